//! Runs: every policy of the settings replayed on a trace, summarised as `splitee run --json`
//! reports it (the engine's [`splitee_core::summary`]), with each run's regret curve and,
//! on request, every decision as columns; and sweeps of grids of settings
//! ([`splitee_core::sweep_grid`]).

use crate::settings::run_settings;
use crate::trace::PyTrace;
use crate::value_error;
use ndarray::Array2;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use splitee_core::decision::Decision;
use splitee_core::grid::Axis;
use splitee_core::policy::PolicySpec;
use splitee_core::settings::CheckedSettings;
use splitee_core::sim::{simulate_logged, SimResult};
use splitee_core::summary::{self, Report};
use splitee_core::sweep_grid::{Grid, Point, Swept};
use splitee_core::trace::Trace;
use std::collections::BTreeMap;
use std::time::Instant;

/// Every decision of a logged run, one entry per decision in each column.
#[derive(Default)]
struct DecisionColumns {
    policy: Vec<i64>,
    run: Vec<i64>,
    t: Vec<u64>,
    sample: Vec<u64>,
    arm: Vec<i64>,
    threshold: Vec<f64>,
    offloaded: Vec<bool>,
    probed: Vec<bool>,
    exit: Vec<i64>,
    prediction: Vec<i64>,
    /// 1 right, 0 wrong, -1 unlabeled.
    correct: Vec<i8>,
    reward: Vec<f64>,
    cost: Vec<f64>,
    total_cost: Vec<f64>,
    /// Each decision's sample's context, on a trace with a context column (empty otherwise).
    context: Vec<String>,
    /// NaN where the log records none.
    propensity: Vec<f64>,
    probe_probability: Vec<f64>,
}

impl DecisionColumns {
    fn push(&mut self, d: Decision, policies: &[PolicySpec]) {
        let policy = d.policy.and_then(|p| policies.iter().position(|q| *q == p));
        self.policy.push(policy.map_or(-1, |i| i as i64));
        self.run.push(d.run.map_or(-1, |r| r as i64));
        self.t.push(d.t);
        self.sample.push(d.sample);
        self.context.extend(d.context);
        self.arm.push(d.arm as i64);
        self.threshold.push(d.threshold.unwrap_or(f64::NAN));
        self.offloaded.push(d.offloaded);
        self.probed.push(d.probed);
        self.exit.push(d.exit as i64);
        self.prediction.push(i64::from(d.prediction));
        self.correct.push(d.correct.map_or(-1, i8::from));
        self.reward.push(d.reward);
        self.cost.push(d.cost);
        self.total_cost.push(d.total_cost);
        self.propensity.push(d.propensity.unwrap_or(f64::NAN));
        self.probe_probability
            .push(d.probe_probability.unwrap_or(f64::NAN));
    }

    fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("policy", self.policy.into_pyarray(py))?;
        d.set_item("run", self.run.into_pyarray(py))?;
        d.set_item("t", self.t.into_pyarray(py))?;
        d.set_item("sample", self.sample.into_pyarray(py))?;
        if !self.context.is_empty() {
            d.set_item("context", self.context)?;
        }
        d.set_item("arm", self.arm.into_pyarray(py))?;
        d.set_item("threshold", self.threshold.into_pyarray(py))?;
        d.set_item("offloaded", self.offloaded.into_pyarray(py))?;
        d.set_item("probed", self.probed.into_pyarray(py))?;
        d.set_item("exit", self.exit.into_pyarray(py))?;
        d.set_item("prediction", self.prediction.into_pyarray(py))?;
        d.set_item("correct", self.correct.into_pyarray(py))?;
        d.set_item("reward", self.reward.into_pyarray(py))?;
        d.set_item("cost", self.cost.into_pyarray(py))?;
        d.set_item("total_cost", self.total_cost.into_pyarray(py))?;
        d.set_item("propensity", self.propensity.into_pyarray(py))?;
        d.set_item("probe_probability", self.probe_probability.into_pyarray(py))?;
        Ok(d)
    }
}

/// The run with its decisions logged (runs one after the other, as `--decisions` does), read
/// back into columns.
fn run_logged(
    trace: &Trace,
    names: Vec<String>,
    settings: &CheckedSettings,
) -> splitee_core::Result<(Report, SimResult, DecisionColumns)> {
    let model = summary::reward_model(trace, settings)?;
    let mut log = Vec::new();
    let sim = simulate_logged(
        trace,
        &model,
        &settings.policies,
        &settings.sim,
        &|_| {},
        &mut log,
    )?;
    let mut columns = DecisionColumns::default();
    for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        // The engine wrote these lines from its own records.
        let decision: Decision = serde_json::from_slice(line)
            .map_err(|e| splitee_core::sim::SimError::Decisions(e.to_string()))?;
        columns.push(decision, &settings.policies);
    }
    Ok((Report::new(trace, names, settings, &sim), sim, columns))
}

/// Runs `trace` with `settings` (the run's keyword arguments); returns the report as
/// `splitee run --json` prints it (JSON text), each policy's regret curves `[runs, points]`,
/// with `decisions` every decision as columns, and the seconds the engine took (the replay and
/// its summary, without the conversions to Python).
#[pyfunction]
#[pyo3(signature = (trace, settings=None, decisions=false))]
pub fn run<'py>(
    py: Python<'py>,
    trace: &PyTrace,
    settings: Option<&Bound<'py, PyDict>>,
    decisions: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let checked = run_settings(settings)?.check().map_err(value_error)?;
    let names = trace.names.clone();
    let engine = &trace.trace;
    let started = Instant::now();
    let (report, sim, columns) = py
        .detach(|| {
            if decisions {
                run_logged(engine, names, &checked).map(|(r, s, c)| (r, s, Some(c)))
            } else {
                summary::run(engine, names, &checked, &|_| {}).map(|(r, s)| (r, s, None))
            }
        })
        .map_err(value_error)?;
    let engine_seconds = started.elapsed().as_secs_f64();
    let out = PyDict::new(py);
    out.set_item("engine_seconds", engine_seconds)?;
    out.set_item(
        "report",
        serde_json::to_string(&report).map_err(value_error)?,
    )?;
    let curves = sim
        .runs
        .iter()
        .map(|runs| {
            let points = sim.curve_steps.len();
            Array2::from_shape_fn((runs.len(), points), |(r, i)| runs[r].regret_curve[i])
                .into_pyarray(py)
        })
        .collect::<Vec<_>>();
    out.set_item("curves", curves)?;
    match columns {
        Some(c) => out.set_item("decisions", c.into_dict(py)?)?,
        None => out.set_item("decisions", py.None())?,
    }
    Ok(out)
}

/// Runs the grid of `axes` (JSON: `alpha`, `lambda`, `mu`, `ucb_c`, `offload`, each a value, a
/// list or `{start, stop, step}` as in a config's `[sweep]`) over `traces` and the run's
/// `settings`, grid points in parallel; returns every point's results as JSON (a list of
/// `{point, cost, best_arm, arm_mean_rewards, results}`, as `sweep.json` holds them).
#[pyfunction]
#[pyo3(signature = (traces, axes, settings=None))]
pub fn sweep(
    py: Python<'_>,
    traces: Vec<PyRef<'_, PyTrace>>,
    axes: &str,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let base = run_settings(settings)?;
    let axes: BTreeMap<String, Axis> = serde_json::from_str(axes).map_err(value_error)?;
    let mut grid = Grid::new(base, vec![Vec::new(); traces.len()]);
    for (key, axis) in &axes {
        let swept = match key.as_str() {
            "alpha" => Swept::Alpha,
            "lambda" => Swept::Lambda,
            "mu" => Swept::Mu,
            "ucb_c" => Swept::UcbC,
            "offload" => Swept::Offload,
            other => {
                return Err(value_error(format!(
                    "{other}: not a sweep axis (axes: alpha, lambda, mu, ucb_c, offload)"
                )))
            }
        };
        let values = axis
            .values()
            .and_then(|values| swept.check(&grid.base, &values).map(|()| values))
            .map_err(|message| value_error(format!("{key}: {message}")))?;
        *grid.axis_mut(swept) = values;
    }
    let shared: Vec<(&Trace, &[String])> = traces
        .iter()
        .map(|t| (t.trace.as_ref(), t.names.as_slice()))
        .collect();
    let points = grid.points();
    let all: Vec<&Point> = points.iter().collect();
    let results = py
        .detach(|| grid.run(&shared, &all, &|_| {}))
        .map_err(value_error)?;
    serde_json::to_string(&results).map_err(value_error)
}
