//! Run settings from Python keyword arguments: each given key replaces the engine's default
//! ([`RunSettings::default`], the command line's defaults) and the result is checked by the
//! run's rules ([`RunSettings::check`]) when it runs.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use splitee_core::cost::{OffloadCost, ProcessingCost};
use splitee_core::settings::RunSettings;

/// The keys a run accepts, in the order they are applied (the cost model before its values).
const KEYS: [&str; 16] = [
    "cost_model",
    "cost_table",
    "lambda_",
    "cost",
    "mu",
    "policies",
    "alpha",
    "ucb_c",
    "runs",
    "seed",
    "order",
    "observation",
    "thresholds",
    "probe",
    "reward",
    "curve_points",
];

/// `given` (keys of [`KEYS`]; `None` values keep the default) over the default settings.
pub fn run_settings(given: Option<&Bound<'_, PyDict>>) -> PyResult<RunSettings> {
    let mut settings = RunSettings::default();
    let Some(given) = given else {
        return Ok(settings);
    };
    for key in given.keys() {
        let key: String = key.extract()?;
        if !KEYS.contains(&key.as_str()) {
            return Err(PyValueError::new_err(format!(
                "{key}: not a setting (settings: {})",
                KEYS.join(", ")
            )));
        }
    }
    for key in KEYS {
        if let Some(value) = given.get_item(key)?.filter(|v| !v.is_none()) {
            apply(&mut settings, key, &value)
                .map_err(|message| PyValueError::new_err(format!("{key}: {message}")))?;
        }
    }
    Ok(settings)
}

/// A named enum value (`order`, `observation`, `reward`) by the name config files use.
fn named<T: serde::de::DeserializeOwned>(value: &Bound<'_, PyAny>) -> Result<T, String> {
    let name: String = value.extract().map_err(|_| "expected a name".to_owned())?;
    serde_json::from_value(serde_json::Value::String(name)).map_err(|e| e.to_string())
}

fn apply(s: &mut RunSettings, key: &str, value: &Bound<'_, PyAny>) -> Result<(), String> {
    let number = || {
        value
            .extract::<f64>()
            .map_err(|_| "expected a number".to_owned())
    };
    let count = || {
        value
            .extract::<usize>()
            .map_err(|_| "expected a non-negative integer".to_owned())
    };
    let numbers = || {
        value
            .extract::<Vec<f64>>()
            .map_err(|_| "expected a list of numbers".to_owned())
    };
    match key {
        "cost_model" => {
            let model: String = value.extract().map_err(|_| "expected a name")?;
            s.cost.processing = match model.as_str() {
                "linear" => ProcessingCost::Linear {
                    lambda: s
                        .cost
                        .linear_lambda()
                        .unwrap_or(splitee_core::cost::SPLITEE_LAMBDA),
                    depths: None,
                },
                "measured" => ProcessingCost::Measured,
                "table" => ProcessingCost::Table { table: Vec::new() },
                other => {
                    return Err(format!(
                        "`{other}`: the cost models are linear, table (with cost_table) and \
                         measured"
                    ))
                }
            }
        }
        "cost_table" => match &mut s.cost.processing {
            ProcessingCost::Table { table } => *table = numbers()?,
            _ => return Err("a cost table needs cost_model=\"table\"".into()),
        },
        "lambda_" => match &mut s.cost.processing {
            ProcessingCost::Linear { lambda, .. } => *lambda = number()?,
            _ => return Err("lambda applies to the linear cost model".into()),
        },
        "cost" => {
            s.cost.offload = match value.extract::<f64>() {
                Ok(o) => OffloadCost::Constant(o),
                Err(_) => OffloadCost::PerSplit(numbers()?),
            }
        }
        "mu" => s.cost.mu = number()?,
        "policies" => {
            let names: Vec<String> = value
                .extract()
                .map_err(|_| "expected a list of policy names")?;
            s.policies = names
                .iter()
                .map(|name| name.parse())
                .collect::<Result<_, String>>()?;
        }
        "alpha" => s.alpha = number()?,
        "ucb_c" => s.sim.ucb_c = number()?,
        "runs" => s.sim.runs = count()?,
        "seed" => s.sim.seed = value.extract().map_err(|_| "expected a seed in 0..2**64")?,
        "order" => s.sim.order = named(value)?,
        "observation" => s.sim.observation = named(value)?,
        "thresholds" => s.sim.thresholds = numbers()?,
        "probe" => s.sim.probe = number()?,
        "reward" => s.reward = named(value)?,
        "curve_points" => s.sim.curve_points = count()?,
        _ => unreachable!("every key of KEYS is applied"),
    }
    Ok(())
}

/// The settings a run takes when none are given: the command line's defaults.
#[pyfunction]
pub fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let s = RunSettings::default();
    let d = PyDict::new(py);
    let names: Vec<String> = s.policies.iter().map(ToString::to_string).collect();
    let name = |v: serde_json::Result<serde_json::Value>| {
        v.ok().and_then(|v| v.as_str().map(str::to_owned))
    };
    d.set_item("policies", names)?;
    d.set_item("alpha", s.alpha)?;
    d.set_item("cost_model", "linear")?;
    d.set_item("lambda_", s.cost.linear_lambda())?;
    if let OffloadCost::Constant(o) = s.cost.offload {
        d.set_item("cost", o)?;
    }
    d.set_item("mu", s.cost.mu)?;
    d.set_item("ucb_c", s.sim.ucb_c)?;
    d.set_item("runs", s.sim.runs)?;
    d.set_item("seed", s.sim.seed)?;
    d.set_item("order", name(serde_json::to_value(s.sim.order)))?;
    d.set_item("observation", name(serde_json::to_value(s.sim.observation)))?;
    d.set_item("thresholds", s.sim.thresholds.clone())?;
    d.set_item("probe", s.sim.probe)?;
    d.set_item("reward", name(serde_json::to_value(s.reward)))?;
    d.set_item("curve_points", s.sim.curve_points)?;
    Ok(d)
}
