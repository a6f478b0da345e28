//! The live learner for an inference loop, over the engine's [`LiveLearner`]: `choose()` the
//! plan of the next sample, run the device part, then `observe()` what the device (and the
//! cloud) computed; states are the files of `splitee stream`.

use crate::settings::run_settings;
use crate::value_error;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use splitee_core::decision::Decision;
use splitee_core::live::{LiveLearner, LiveSettings, Observed, Plan};
use splitee_core::policy::PolicySpec;
use splitee_core::settings::DEFAULT_STREAM_POLICY;
use std::path::PathBuf;

/// The live settings of `policy` (the stream's default when `None`) and the run's keyword
/// arguments.
fn live_settings(
    policy: Option<&str>,
    reward_bounds: Option<(f64, f64)>,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<LiveSettings> {
    let policy: PolicySpec = match policy {
        Some(name) => name.parse().map_err(value_error)?,
        None => DEFAULT_STREAM_POLICY,
    };
    let mut live = LiveSettings::from_run(&run_settings(settings)?, policy).map_err(value_error)?;
    live.reward_bounds = reward_bounds;
    Ok(live)
}

/// Confidences or costs given as a NumPy float64 array (read in place) or any sequence of
/// numbers.
fn with_floats<T>(values: &Bound<'_, PyAny>, f: impl FnOnce(&[f64]) -> PyResult<T>) -> PyResult<T> {
    if let Ok(array) = values.cast::<PyArray1<f64>>() {
        let array = array.try_readonly().map_err(value_error)?;
        if let Ok(slice) = array.as_slice() {
            return f(slice);
        }
        return f(&array.as_array().to_vec());
    }
    f(&values.extract::<Vec<f64>>()?)
}

#[pyclass(name = "LiveLearner", module = "splitee._native")]
pub struct PyLiveLearner {
    learner: LiveLearner,
    /// Decisions observed through this object (the `sample` of its records).
    samples: u64,
}

#[pymethods]
impl PyLiveLearner {
    /// A fresh learner for a network of `exits` exits.
    #[new]
    #[pyo3(signature = (exits, policy=None, measured_costs=false, reward_bounds=None, settings=None))]
    fn new(
        exits: usize,
        policy: Option<&str>,
        measured_costs: bool,
        reward_bounds: Option<(f64, f64)>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let live = live_settings(policy, reward_bounds, settings)?;
        let learner = LiveLearner::new(&live, exits, measured_costs).map_err(value_error)?;
        Ok(Self {
            learner,
            samples: 0,
        })
    }

    /// A learner restored from a state file written by `save` or `splitee stream --state`,
    /// refused unless it was saved with these settings.
    #[staticmethod]
    #[pyo3(signature = (path, policy=None, reward_bounds=None, settings=None))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        policy: Option<&str>,
        reward_bounds: Option<(f64, f64)>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let live = live_settings(policy, reward_bounds, settings)?;
        let learner = py
            .detach(|| LiveLearner::load(&live, &path))
            .map_err(value_error)?;
        Ok(Self {
            learner,
            samples: 0,
        })
    }

    /// Saves the state atomically (between samples only).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.learner.save(&path)).map_err(value_error)
    }

    /// The plan for the next sample; the same until it is observed. `context` is the sample's
    /// context (a `per-context:NAME` policy decides it with that context's learner, and refuses
    /// a sample without one); it is recorded with the decision.
    #[pyo3(signature = (context=None))]
    fn choose(&mut self, context: Option<&str>) -> PyResult<PyPlan> {
        self.learner.sense_context(context).map_err(value_error)?;
        Ok(PyPlan(self.learner.choose()))
    }

    /// Learns from the sample of the last `choose()`: `conf` the confidences computed (the
    /// device's, then every exit's if the cloud ran), `pred` their predicted classes, `cost`
    /// their measured costs (measured cost model), `label` if known (counted in the totals
    /// only). Returns the decision as `splitee stream` records it.
    #[pyo3(signature = (conf, pred, cost=None, label=None))]
    fn observe(
        &mut self,
        conf: &Bound<'_, PyAny>,
        pred: Vec<u32>,
        cost: Option<&Bound<'_, PyAny>>,
        label: Option<u32>,
    ) -> PyResult<PyDecision> {
        let t = self.learner.steps();
        let plan = self.learner.choose();
        let outcome = with_floats(conf, |conf| {
            let mut observe = |cost: Option<&[f64]>| {
                self.learner
                    .observe(&Observed { conf, cost })
                    .map_err(value_error)
            };
            match cost {
                Some(cost) => with_floats(cost, |cost| observe(Some(cost))),
                None => observe(None),
            }
        })?;
        if pred.len() <= outcome.answered_by {
            // Learned already: the outcome stands, only its record is refused.
            return Err(value_error(format!(
                "pred has {} classes but the answer is exit {}'s",
                pred.len(),
                outcome.answered_by + 1
            )));
        }
        let sample = self.samples;
        self.samples += 1;
        Ok(PyDecision(
            self.learner.record(plan, &outcome, t, sample, &pred, label),
        ))
    }

    /// Decisions made, across saved states.
    #[getter]
    fn steps(&self) -> u64 {
        self.learner.steps()
    }

    #[getter]
    fn exits(&self) -> usize {
        self.learner.exits()
    }

    #[getter]
    fn policy(&self) -> String {
        self.learner.config().policy.clone()
    }

    /// The state as JSON text (what `save` writes).
    fn state_json(&self) -> PyResult<String> {
        self.learner.state_json().map_err(value_error)
    }
}

/// What the device does with the next sample.
#[pyclass(name = "Plan", module = "splitee._native", frozen)]
pub struct PyPlan(Plan);

#[pymethods]
impl PyPlan {
    /// The 1-based exit the device runs up to (`None` for device-only early exit, which walks
    /// the exits until one is confident).
    #[getter]
    fn split(&self) -> Option<usize> {
        match self.0 {
            Plan::Split { split, .. } => Some(split + 1),
            Plan::DeviceOnly { .. } => None,
        }
    }

    /// The exit threshold: the sample exits where its confidence reaches it.
    #[getter]
    fn threshold(&self) -> f64 {
        match self.0 {
            Plan::Split { threshold, .. } | Plan::DeviceOnly { threshold } => threshold,
        }
    }

    /// Whether a sample that exits is also sent to the cloud (unbiased observation's probe).
    #[getter]
    fn probe(&self) -> bool {
        matches!(self.0, Plan::Split { probe: true, .. })
    }

    /// Whether a sample whose confidences so far are `conf` goes to the cloud, in a network of
    /// `exits` exits.
    fn sends_to_cloud(&self, conf: Vec<f64>, exits: usize) -> bool {
        self.0.sends_to_cloud(&conf, exits)
    }

    fn __repr__(&self) -> String {
        match self.0 {
            Plan::Split {
                split,
                threshold,
                probe,
                ..
            } => format!(
                "Plan(split={}, threshold={threshold}{})",
                split + 1,
                if probe { ", probe=True" } else { "" }
            ),
            Plan::DeviceOnly { threshold } => format!("Plan(device_only, threshold={threshold})"),
        }
    }
}

/// One decision, as `splitee stream` writes it (`to_dict()` gives its JSON keys).
#[pyclass(name = "Decision", module = "splitee._native", frozen)]
pub struct PyDecision(Decision);

#[pymethods]
impl PyDecision {
    #[getter]
    fn t(&self) -> u64 {
        self.0.t
    }
    #[getter]
    fn sample(&self) -> u64 {
        self.0.sample
    }
    /// The sample's context, when one was told with `choose(context)`.
    #[getter]
    fn context(&self) -> Option<String> {
        self.0.context.clone()
    }
    /// The 1-based split played.
    #[getter]
    fn arm(&self) -> usize {
        self.0.arm
    }
    #[getter]
    fn threshold(&self) -> Option<f64> {
        self.0.threshold
    }
    #[getter]
    fn offloaded(&self) -> bool {
        self.0.offloaded
    }
    #[getter]
    fn probed(&self) -> bool {
        self.0.probed
    }
    /// The 1-based exit whose prediction is the answer.
    #[getter]
    fn exit(&self) -> usize {
        self.0.exit
    }
    #[getter]
    fn prediction(&self) -> u32 {
        self.0.prediction
    }
    #[getter]
    fn correct(&self) -> Option<bool> {
        self.0.correct
    }
    #[getter]
    fn reward(&self) -> f64 {
        self.0.reward
    }
    #[getter]
    fn cost(&self) -> f64 {
        self.0.cost
    }
    #[getter]
    fn total_cost(&self) -> f64 {
        self.0.total_cost
    }
    /// The probability with which the policy chose this arm (what `splitee evaluate` weighs
    /// the decision by).
    #[getter]
    fn propensity(&self) -> Option<f64> {
        self.0.propensity
    }
    /// The probability with which a sample that exits is probed, for a probing learner.
    #[getter]
    fn probe_probability(&self) -> Option<f64> {
        self.0.probe_probability
    }

    /// The record's JSON line (the stream's output).
    fn to_json(&self) -> String {
        let mut line = Vec::new();
        self.0.write_line(&mut line);
        String::from_utf8_lossy(line.trim_ascii_end()).into_owned()
    }

    fn __repr__(&self) -> String {
        format!("Decision({})", self.to_json())
    }
}
