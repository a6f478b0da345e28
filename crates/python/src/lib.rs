//! `splitee._native`: the Python package's native module over the engine ([`splitee_core`]).
//! Traces from NumPy arrays or files (`trace`), runs and sweeps with the command line's
//! settings and defaults (`settings`, `run`), and the live learner (`live`). The GIL is
//! released while the engine works, so several runs proceed at once in Python threads.
//! Every refusal of bad input is a `ValueError` carrying the engine's one-line message.

mod live;
mod run;
mod settings;
mod trace;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An engine error as Python's `ValueError`, with the engine's message.
fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<trace::PyTrace>()?;
    m.add_class::<live::PyLiveLearner>()?;
    m.add_class::<live::PyPlan>()?;
    m.add_class::<live::PyDecision>()?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(run::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(settings::defaults, m)?)?;
    Ok(())
}
