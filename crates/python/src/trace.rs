//! Traces from NumPy arrays (read in place, whatever their strides; the GIL released while
//! they are checked and packed) or from files, by the engine's readers.

use crate::value_error;
use ndarray::{Dimension, Ix1, Ix2, Ix3};
use numpy::{
    IntoPyArray, PyArray, PyArrayMethods, PyReadonlyArray, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use splitee_core::trace::arrays::{Floats, Scores, TraceArrays};
use splitee_core::trace::{self, Trace};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A trace held by the engine, shared by every run that replays it.
#[pyclass(name = "Trace", module = "splitee._native", frozen)]
pub struct PyTrace {
    pub trace: Arc<Trace>,
    /// What reports call the trace (file paths, or the name given to arrays).
    pub names: Vec<String>,
}

/// A float array borrowed from NumPy, `f32` or `f64`.
enum HeldFloats<'py, D: Dimension> {
    F32(PyReadonlyArray<'py, f32, D>),
    F64(PyReadonlyArray<'py, f64, D>),
}

impl<D: Dimension> HeldFloats<'_, D> {
    fn view(&self) -> Floats<'_, D> {
        match self {
            HeldFloats::F32(a) => Floats::F32(a.as_array()),
            HeldFloats::F64(a) => Floats::F64(a.as_array()),
        }
    }
}

/// Why `obj` is not the array `name` must be: its dimensions (`axes` names them) or its dtype.
fn refused(name: &str, obj: &Bound<'_, PyAny>, axes: &str, holds: &str) -> PyErr {
    let Ok(array) = obj.cast::<PyUntypedArray>() else {
        return PyValueError::new_err(format!(
            "array {name} must be a NumPy array, got {}",
            obj.get_type()
                .name()
                .map_or_else(|_| "an object".to_owned(), |n| n.to_string())
        ));
    };
    let dims = axes.split(',').count();
    if array.ndim() != dims {
        return PyValueError::new_err(format!(
            "array {name} has shape {:?}; expected [{axes}]",
            array.shape()
        ));
    }
    PyValueError::new_err(format!(
        "array {name} must hold {holds}, got {}",
        array
            .dtype()
            .str()
            .map_or_else(|_| "?".to_owned(), |s| s.to_string())
    ))
}

fn floats<'py, D: Dimension>(
    name: &str,
    obj: &Bound<'py, PyAny>,
    axes: &str,
) -> PyResult<HeldFloats<'py, D>> {
    if let Ok(a) = obj.cast::<PyArray<f64, D>>() {
        return Ok(HeldFloats::F64(a.try_readonly().map_err(value_error)?));
    }
    if let Ok(a) = obj.cast::<PyArray<f32, D>>() {
        return Ok(HeldFloats::F32(a.try_readonly().map_err(value_error)?));
    }
    Err(refused(name, obj, axes, "floats (float32 or float64)"))
}

fn ints<'py, D: Dimension>(
    name: &str,
    obj: &Bound<'py, PyAny>,
    axes: &str,
) -> PyResult<PyReadonlyArray<'py, i64, D>> {
    match obj.cast::<PyArray<i64, D>>() {
        Ok(a) => a.try_readonly().map_err(value_error),
        Err(_) => Err(refused(name, obj, axes, "integers (int64)")),
    }
}

const ROWS: &str = "samples, exits";
const SCORES: &str = "samples, exits, classes";

/// Labels `[samples]` and costs `[samples, exits]`, when given.
type Extras<'py> = (
    Option<PyReadonlyArray<'py, i64, Ix1>>,
    Option<HeldFloats<'py, Ix2>>,
);

fn extras<'py>(
    label: Option<&Bound<'py, PyAny>>,
    cost: Option<&Bound<'py, PyAny>>,
) -> PyResult<Extras<'py>> {
    Ok((
        label
            .map(|l| ints::<Ix1>("label", l, "samples"))
            .transpose()?,
        cost.map(|c| floats::<Ix2>("cost", c, ROWS)).transpose()?,
    ))
}

/// The arrays of `scores` with `extras` and each sample's `context`, checked and packed
/// without the GIL.
fn build<'a>(
    py: Python<'_>,
    scores: Scores<'a>,
    extras: &'a Extras<'_>,
    context: Option<&'a [String]>,
    name: String,
) -> PyResult<PyTrace> {
    let arrays = TraceArrays {
        scores,
        label: extras.0.as_ref().map(|l| l.as_array()),
        cost: extras.1.as_ref().map(HeldFloats::view),
        context,
    };
    let trace = py
        .detach(|| arrays.trace(Path::new(&name)))
        .map_err(value_error)?;
    Ok(PyTrace {
        trace: Arc::new(trace),
        names: vec![name],
    })
}

#[pymethods]
impl PyTrace {
    /// A trace from confidences and predictions `[samples, exits]`.
    #[staticmethod]
    #[pyo3(signature = (conf, pred, label=None, cost=None, name="arrays".to_owned(), context=None))]
    fn from_conf_pred(
        py: Python<'_>,
        conf: &Bound<'_, PyAny>,
        pred: &Bound<'_, PyAny>,
        label: Option<&Bound<'_, PyAny>>,
        cost: Option<&Bound<'_, PyAny>>,
        name: String,
        context: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let conf = floats::<Ix2>("conf", conf, ROWS)?;
        let pred = ints::<Ix2>("pred", pred, ROWS)?;
        let scores = Scores::ConfPred {
            conf: conf.view(),
            pred: pred.as_array(),
        };
        build(py, scores, &extras(label, cost)?, context.as_deref(), name)
    }

    /// A trace from softmax probabilities `[samples, exits, classes]`.
    #[staticmethod]
    #[pyo3(signature = (probs, label=None, cost=None, name="arrays".to_owned(), context=None))]
    fn from_probs(
        py: Python<'_>,
        probs: &Bound<'_, PyAny>,
        label: Option<&Bound<'_, PyAny>>,
        cost: Option<&Bound<'_, PyAny>>,
        name: String,
        context: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let probs = floats::<Ix3>("probs", probs, SCORES)?;
        build(
            py,
            Scores::Probs(probs.view()),
            &extras(label, cost)?,
            context.as_deref(),
            name,
        )
    }

    /// A trace from logits `[samples, exits, classes]` (softmax taken per exit).
    #[staticmethod]
    #[pyo3(signature = (logits, label=None, cost=None, name="arrays".to_owned(), context=None))]
    fn from_logits(
        py: Python<'_>,
        logits: &Bound<'_, PyAny>,
        label: Option<&Bound<'_, PyAny>>,
        cost: Option<&Bound<'_, PyAny>>,
        name: String,
        context: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let logits = floats::<Ix3>("logits", logits, SCORES)?;
        build(
            py,
            Scores::Logits(logits.view()),
            &extras(label, cost)?,
            context.as_deref(),
            name,
        )
    }

    /// Trace files (`.csv`, `.jsonl`, `.npz`, gzipped text too), replayed one after the other.
    #[staticmethod]
    fn load(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Self> {
        if paths.is_empty() {
            return Err(PyValueError::new_err("name at least one trace file"));
        }
        let trace = py
            .detach(|| trace::load_concatenated(&paths))
            .map_err(value_error)?;
        Ok(PyTrace {
            trace: Arc::new(trace),
            names: paths.iter().map(|p| p.display().to_string()).collect(),
        })
    }

    #[getter]
    fn samples(&self) -> usize {
        self.trace.samples()
    }

    #[getter]
    fn exits(&self) -> usize {
        self.trace.exits()
    }

    #[getter]
    fn classes(&self) -> usize {
        self.trace.classes()
    }

    #[getter]
    fn labeled(&self) -> bool {
        self.trace.is_labeled()
    }

    #[getter]
    fn has_costs(&self) -> bool {
        self.trace.has_costs()
    }

    #[getter]
    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The context labels, in order of first appearance; `None` without a context column.
    #[getter]
    fn contexts(&self) -> Option<Vec<String>> {
        self.trace.contexts().map(|c| c.names().to_vec())
    }

    /// Each sample's context label, `None` without a context column.
    fn context(&self) -> Option<Vec<String>> {
        let contexts = self.trace.contexts()?;
        Some(
            (0..self.trace.samples())
                .map(|s| contexts.name_of(s).to_owned())
                .collect(),
        )
    }

    /// The trace as arrays: `conf` float64 and `pred` int64 `[samples, exits]`, `label` int64
    /// `[samples]` (-1 where unlabeled) and `cost` float64 `[samples, exits]` or `None`.
    #[allow(clippy::type_complexity)]
    fn arrays<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyArray<f64, Ix2>>,
        Bound<'py, PyArray<i64, Ix2>>,
        Bound<'py, PyArray<i64, Ix1>>,
        Option<Bound<'py, PyArray<f64, Ix2>>>,
    ) {
        let t = &self.trace;
        let shape = (t.samples(), t.exits());
        let conf = ndarray::Array2::from_shape_fn(shape, |(i, k)| t.conf(i, k));
        let pred = ndarray::Array2::from_shape_fn(shape, |(i, k)| i64::from(t.pred(i, k)));
        let label =
            ndarray::Array1::from_shape_fn(t.samples(), |i| t.label(i).map_or(-1, i64::from));
        let cost = t.has_costs().then(|| {
            ndarray::Array2::from_shape_fn(shape, |(i, k)| t.cost(i, k).unwrap_or(f64::NAN))
                .into_pyarray(py)
        });
        (
            conf.into_pyarray(py),
            pred.into_pyarray(py),
            label.into_pyarray(py),
            cost,
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "Trace({} samples, {} exits, {} classes{}{}{})",
            self.trace.samples(),
            self.trace.exits(),
            self.trace.classes(),
            if self.trace.is_labeled() {
                ", labeled"
            } else {
                ""
            },
            if self.trace.has_costs() {
                ", measured costs"
            } else {
                ""
            },
            self.trace
                .contexts()
                .map_or_else(String::new, |c| format!(", {} contexts", c.names().len())),
        )
    }
}
