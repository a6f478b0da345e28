//! Run settings from Python keyword arguments: each given key replaces the engine's default
//! ([`RunSettings::default`], the command line's defaults) and the result is checked by the
//! run's rules ([`RunSettings::check`]) when it runs. The profile cost model's keys
//! (`profile`, `per_mac`, `per_byte`, `cloud_per_mac`) are read together, as a config's `[cost]`
//! section reads them.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use splitee_core::compat::Compat;
use splitee_core::cost::{OffloadCost, ProcessingCost, ProfileCost};
use splitee_core::grid::Axis;
use splitee_core::settings::RunSettings;

/// The keys a run accepts, in the order they are applied (the cost model before its values).
const KEYS: [&str; 22] = [
    "cost_model",
    "cost_table",
    "lambda_",
    "depths",
    "profile",
    "per_mac",
    "per_byte",
    "cloud_per_mac",
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
    "compat",
];

/// The Python key of each setting a compatibility mode may replace or refuse when given.
const COMPAT_KEYS: [(&str, &str); 5] = [
    (splitee_core::params::POLICIES, "policies"),
    (splitee_core::params::THRESHOLDS, "thresholds"),
    (splitee_core::params::REWARD, "reward"),
    (splitee_core::params::MU, "mu"),
    (splitee_core::params::OBSERVATION, "observation"),
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
    let mut profile = profile_cost(given)?;
    let mut compat = None;
    for key in KEYS {
        if let Some(value) = given.get_item(key)?.filter(|v| !v.is_none()) {
            if key == "compat" {
                let name: String = value
                    .extract()
                    .map_err(|_| PyValueError::new_err("compat: expected a name"))?;
                compat = Some(Compat::named(&name).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "compat: `{name}`: the modes are splitee-2023 and adaee-2023"
                    ))
                })?);
                continue;
            }
            apply(&mut settings, &mut profile, key, &value)
                .map_err(|message| PyValueError::new_err(format!("{key}: {message}")))?;
        }
    }
    // What the mode implies, from the core as for the command line.
    let is_given = |config_key: &'static str| {
        COMPAT_KEYS
            .iter()
            .find(|(k, _)| *k == config_key)
            .is_some_and(|(_, key)| {
                given
                    .get_item(key)
                    .ok()
                    .flatten()
                    .is_some_and(|v| !v.is_none())
            })
    };
    settings.with_compat(compat, is_given).map_err(|e| {
        let key = COMPAT_KEYS
            .iter()
            .find(|(k, _)| *k == e.key)
            .map_or(e.key, |(_, key)| key);
        PyValueError::new_err(format!("{key}: {}", e.message))
    })
}

/// The profile cost model, when `cost_model="profile"`: read up front from `profile` with its
/// prices, by the config file's rules (the path and both prices are required, and the
/// offloading cost comes from the profile).
fn profile_cost(given: &Bound<'_, PyDict>) -> PyResult<Option<ProfileCost>> {
    let item = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        Ok(given.get_item(key)?.filter(|v| !v.is_none()))
    };
    let chosen = item("cost_model")?
        .map(|m| m.extract::<String>())
        .transpose()
        .ok()
        .flatten();
    if chosen.as_deref() != Some("profile") {
        return Ok(None);
    }
    let fail = |message: String| PyValueError::new_err(message);
    if item("cost")?.is_some() {
        return Err(fail(
            "cost: the profile cost model derives off(k) from the profile's bytes and MACs; \
             set per_byte (and cloud_per_mac) instead of an offloading cost"
                .into(),
        ));
    }
    let path: std::path::PathBuf = item("profile")?
        .ok_or_else(|| {
            fail("cost_model: the profile cost model needs profile=\"network.profile.json\"".into())
        })?
        .extract()
        .map_err(|_| fail("profile: expected a path".into()))?;
    let price = |key: &str, required: bool| -> PyResult<f64> {
        match item(key)? {
            Some(value) => value
                .extract()
                .map_err(|_| fail(format!("{key}: expected a number"))),
            None if required => Err(fail(format!(
                "cost_model: the profile cost model needs {key} (cost per unit)"
            ))),
            None => Ok(0.0),
        }
    };
    let (per_mac, per_byte) = (price("per_mac", true)?, price("per_byte", true)?);
    ProfileCost::load(&path, per_mac, per_byte, price("cloud_per_mac", false)?)
        .map(Some)
        .map_err(|e| fail(format!("profile: {}", e.message)))
}

/// A named enum value (`order`, `observation`, `reward`) by the name config files use.
fn named<T: serde::de::DeserializeOwned>(value: &Bound<'_, PyAny>) -> Result<T, String> {
    let name: String = value.extract().map_err(|_| "expected a name".to_owned())?;
    serde_json::from_value(serde_json::Value::String(name)).map_err(|e| e.to_string())
}

fn apply(
    s: &mut RunSettings,
    profile: &mut Option<ProfileCost>,
    key: &str,
    value: &Bound<'_, PyAny>,
) -> Result<(), String> {
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
                // Read up front with its prices (`profile_cost`).
                "profile" => ProcessingCost::Profile(
                    profile
                        .take()
                        .ok_or("the profile cost model is read once")?,
                ),
                other => {
                    return Err(format!(
                        "`{other}`: the cost models are linear, table (with cost_table), \
                         measured and profile (with profile, per_mac and per_byte)"
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
        "depths" => match &mut s.cost.processing {
            ProcessingCost::Linear { depths, .. } => *depths = Some(numbers()?),
            _ => return Err("depths apply to the linear cost model".into()),
        },
        // Read with the model (`profile_cost`); here only refused under another model.
        "profile" | "per_mac" | "per_byte" | "cloud_per_mac" => {
            if !matches!(s.cost.processing, ProcessingCost::Profile(_)) {
                return Err("applies to the profile cost model (cost_model=\"profile\")".into());
            }
        }
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
        "thresholds" => {
            s.sim.thresholds = match value.extract::<std::collections::HashMap<String, f64>>() {
                // `{start, stop, step}`, as a config's `policy.thresholds` may be.
                Ok(range) => {
                    let bound = |key: &str| {
                        range.get(key).copied().ok_or(format!(
                            "a range needs start, stop and step (missing {key})"
                        ))
                    };
                    Axis::Range {
                        start: bound("start")?,
                        stop: bound("stop")?,
                        step: bound("step")?,
                    }
                    .values()?
                }
                Err(_) => numbers()?,
            }
        }
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
