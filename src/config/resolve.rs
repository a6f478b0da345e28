//! Settings resolved from their layers: each value from a flag, then the config, then the
//! default, checked where it is chosen so that an error names its source.

use super::file::{
    invalid, normalise, CompatCost, CompatName, ConfigError, ConfigFile, ConfigSections,
    CostModelName, CostSection, Layers, Origin, Overrides, RunSettings, Setting,
};
use crate::cost::{CostModel, OffloadCost, ProcessingCost, ProfileCost};
use crate::reward::Observation;
use crate::sim::{Compat, SimOptions};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Settings from config files and flags: the file layer over [`RunSettings`].
pub trait ResolveSettings: Sized {
    /// Reads `config` (if any), applies `overrides` and validates the result. A `[sweep]`
    /// section is ignored: `run` uses the base values.
    fn resolve(config: Option<&Path>, overrides: Overrides) -> Result<RunSettings, ConfigError> {
        RunSettings::resolve_with_sections(config, overrides).map(|(settings, _)| settings)
    }

    /// Like [`RunSettings::resolve`], also returning the sections only sweeps use.
    fn resolve_with_sections(
        config: Option<&Path>,
        overrides: Overrides,
    ) -> Result<(RunSettings, ConfigSections), ConfigError> {
        let (path, text) = match config {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::File {
                    path: p.to_path_buf(),
                    message: format!("cannot read config: {e}"),
                })?;
                (p.to_path_buf(), text)
            }
            None => (PathBuf::from("<no config>"), String::new()),
        };
        let layers = Layers {
            path: path.clone(),
            text: &text,
        };
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| layers.line_of(s.start));
            ConfigError::File {
                path: path.clone(),
                message: match line {
                    Some(line) => format!("line {line}: {}", e.message().trim()),
                    None => e.message().trim().to_owned(),
                },
            }
        })?;
        let sections = ConfigSections {
            sweep: file.sweep.clone(),
            report: file.report.clone(),
            published: file.published.clone(),
            path: path.clone(),
            text: text.clone(),
        };
        Ok((from_layers(&layers, file, overrides)?, sections))
    }
}

impl ResolveSettings for RunSettings {}

fn from_layers(
    layers: &Layers<'_>,
    file: ConfigFile,
    o: Overrides,
) -> Result<RunSettings, ConfigError> {
    let defaults = RunSettings::default();
    let (cost, cost_model_origin, cost_given) = cost_model(layers, &file.cost, &o)?;
    // Trace paths in a config are relative to the config file's folder.
    let base = layers.path.parent().unwrap_or(Path::new(""));
    let traces = if o.traces.is_empty() {
        file.trace
            .paths
            .map(|p| {
                p.into_inner()
                    .iter()
                    .map(|t| normalise(&base.join(t)))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        o.traces
    };

    let names = layers.policy_names(file.policy.names)?;
    let policies = layers.pick(
        ("--policy", (!o.policies.is_empty()).then_some(o.policies)),
        ("policy.names", &names),
        defaults.policies,
    );
    if policies.value.is_empty() {
        return Err(invalid(&policies.origin, "name at least one policy"));
    }

    let alpha = layers.pick(
        ("--alpha", o.alpha),
        ("policy.alpha", &file.policy.alpha),
        defaults.alpha,
    );
    if !(alpha.value > 0.0 && alpha.value <= 1.0) {
        return Err(invalid(
            &alpha.origin,
            format!("alpha must be in (0, 1], got {}", alpha.value),
        ));
    }
    let ucb_c = layers.pick(
        ("--ucb-c", o.ucb_c),
        ("policy.ucb_c", &file.policy.ucb_c),
        defaults.sim.ucb_c,
    );
    if !(ucb_c.value.is_finite() && ucb_c.value >= 0.0) {
        return Err(invalid(
            &ucb_c.origin,
            format!(
                "the UCB constant must be finite and >= 0, got {}",
                ucb_c.value
            ),
        ));
    }

    let runs = layers.pick(
        ("--runs", o.runs),
        ("run.runs", &file.run.runs),
        defaults.sim.runs,
    );
    if runs.value == 0 {
        return Err(invalid(&runs.origin, "runs must be at least 1"));
    }
    let seed = layers.pick(
        ("--seed", o.seed),
        ("run.seed", &file.run.seed),
        defaults.sim.seed,
    );
    let order = layers.pick(
        ("--order", o.order),
        ("run.order", &file.run.order),
        defaults.sim.order,
    );
    let compat = o
        .compat
        .or_else(|| file.run.compat.as_ref().map(|s| *s.get_ref()));
    let compat_cost = layers.pick(
        ("--compat-cost", o.compat_cost),
        ("run.compat_cost", &file.run.compat_cost),
        CompatCost::Published,
    );
    let observation = layers.pick(
        ("--observation", o.observation),
        ("policy.observation", &file.policy.observation),
        defaults.sim.observation,
    );
    let thresholds = match (o.thresholds, &file.policy.thresholds) {
        (Some(values), _) => Setting {
            value: values,
            origin: Origin::Flag("--thresholds"),
        },
        (None, Some(axis)) => {
            let origin = Origin::Config {
                path: layers.path.clone(),
                line: layers.line_of(axis.span().start),
                key: "policy.thresholds",
            };
            let values = axis
                .get_ref()
                .values()
                .map_err(|message| invalid(&origin, message))?;
            Setting {
                value: values,
                origin,
            }
        }
        (None, None) => Setting {
            value: defaults.sim.thresholds.clone(),
            origin: Origin::Default("policy.thresholds"),
        },
    };
    crate::params::check_thresholds(&thresholds.value)
        .map_err(|e| invalid(&thresholds.origin, e.message))?;
    let probe = layers.pick(
        ("--probe", o.probe),
        ("policy.probe", &file.policy.probe),
        defaults.sim.probe,
    );
    if !(probe.value > 0.0 && probe.value <= 1.0) {
        return Err(invalid(
            &probe.origin,
            format!(
                "the probe probability must be in (0, 1], got {}",
                probe.value
            ),
        ));
    }
    let reward = layers.pick(
        ("--reward", o.reward),
        ("policy.reward", &file.policy.reward),
        defaults.reward,
    );
    let compat = match compat {
        Some(CompatName::SplitEe2023) => {
            if matches!(observation.origin, Origin::Flag(_) | Origin::Config { .. })
                && observation.value == Observation::Strict
            {
                return Err(invalid(
                    &observation.origin,
                    "compatibility mode splitee-2023 reads C_L on every side update \
                         (oracle observation); drop the strict setting",
                ));
            }
            let lambda = cost.linear_lambda();
            if compat_cost.value == CompatCost::Published && lambda.is_none() {
                // Blame the setting the user wrote: compat_cost if given, else the model.
                let origin = match compat_cost.origin {
                    Origin::Default(_) => &cost_model_origin,
                    ref given => given,
                };
                return Err(invalid(
                    origin,
                    "the published SplitEE cost formula needs the linear cost model; \
                         use compat_cost = \"linear\" or cost.model = \"linear\"",
                ));
            }
            Some(Compat::SplitEe2023 {
                script_cost: compat_cost.value == CompatCost::Published,
            })
        }
        None => None,
    };

    // The embedded trace comes with its network's cost profile, unless the user chose costs
    // (also by sweeping lambda or o) or the compatibility mode, which prices the published
    // way.
    let sweep = file.sweep.as_ref();
    let embedded_trace = traces.is_empty() && sweep.is_none_or(|s| s.traces.is_none());
    let cost_swept = sweep.is_some_and(|s| s.lambda.is_some() || s.offload.is_some());
    let cost = if embedded_trace && !cost_given && !cost_swept && compat.is_none() {
        crate::embedded::cost_model(cost.mu)
    } else {
        cost
    };

    Ok(RunSettings {
        traces,
        policies: policies.value,
        alpha: alpha.value,
        cost,
        reward: reward.value,
        sim: SimOptions {
            runs: runs.value,
            seed: seed.value,
            order: order.value,
            observation: observation.value,
            ucb_c: ucb_c.value,
            thresholds: thresholds.value,
            probe: probe.value,
            compat,
            ..defaults.sim
        },
    })
}

/// The cost model, the origin of its name, and whether any setting of it (beyond `mu`) was
/// given.
fn cost_model(
    layers: &Layers<'_>,
    section: &CostSection,
    o: &Overrides,
) -> Result<(CostModel, Origin, bool), ConfigError> {
    let defaults = RunSettings::default().cost;
    let model = layers.pick(
        ("--cost-model", o.cost_model),
        ("cost.model", &section.model),
        CostModelName::Linear,
    );
    let lambda = layers.pick(
        ("--lambda", o.lambda),
        ("cost.lambda", &section.lambda),
        crate::cost::SPLITEE_LAMBDA,
    );
    let offload = layers.pick(
        ("--offload-cost", o.offload.map(OffloadCost::Constant)),
        ("cost.offload", &section.offload),
        defaults.offload,
    );
    let mu = layers.pick(("--mu", o.mu), ("cost.mu", &section.mu), defaults.mu);
    let depths = layers.config_only("cost.depths", &section.depths, Vec::new());
    let table = layers.config_only("cost.table", &section.table, Vec::new());

    let processing = match model.value {
        CostModelName::Linear => ProcessingCost::Linear {
            lambda: lambda.value,
            depths: (!depths.value.is_empty()).then_some(depths.value),
        },
        CostModelName::Table => {
            if table.value.is_empty() {
                return Err(invalid(
                    &model.origin,
                    "the table cost model needs cost.table = [one cost per exit]",
                ));
            }
            ProcessingCost::Table { table: table.value }
        }
        CostModelName::Measured => ProcessingCost::Measured,
        CostModelName::Profile => profile_cost(layers, section, &model.origin, &offload.origin)?,
    };
    let cost = CostModel {
        processing,
        offload: offload.value,
        mu: mu.value,
    };
    cost.validate().map_err(|e| {
        let origin = match e.key {
            "cost.lambda" => &lambda.origin,
            "cost.offload" => &offload.origin,
            "cost.mu" => &mu.origin,
            "cost.depths" => &depths.origin,
            "cost.per_mac" | "cost.per_byte" | "cost.cloud_per_mac" | "cost.profile" => {
                return invalid(&model.origin, format!("{}: {}", e.key, e.message));
            }
            _ => &table.origin,
        };
        invalid(origin, e.message)
    })?;
    let given = [
        &model.origin,
        &lambda.origin,
        &offload.origin,
        &depths.origin,
        &table.origin,
    ]
    .iter()
    .any(|origin| !matches!(origin, Origin::Default(_)));
    Ok((cost, model.origin, given))
}

/// The profile cost model from `cost.profile`, `cost.per_mac`, `cost.per_byte` and
/// `cost.cloud_per_mac` (the profile path is relative to the config file).
fn profile_cost(
    layers: &Layers<'_>,
    section: &CostSection,
    model_origin: &Origin,
    offload_origin: &Origin,
) -> Result<ProcessingCost, ConfigError> {
    if !matches!(offload_origin, Origin::Default(_)) {
        return Err(invalid(
            offload_origin,
            "the profile cost model derives off(k) from the profile's bytes and MACs; set \
                 cost.per_byte (and cost.cloud_per_mac) instead of an offloading cost",
        ));
    }
    let Some(path) = &section.profile else {
        return Err(invalid(
            model_origin,
            "the profile cost model needs cost.profile = \"network.profile.json\"",
        ));
    };
    let required = |key: &'static str, value: &Option<Spanned<f64>>| {
        let setting = layers.config_only(key, value, f64::NAN);
        if setting.value.is_nan() {
            return Err(invalid(
                model_origin,
                format!("the profile cost model needs {key} (cost per unit)"),
            ));
        }
        if !(setting.value.is_finite() && setting.value >= 0.0) {
            return Err(invalid(
                &setting.origin,
                format!(
                    "{} is {}; costs must be finite and >= 0",
                    key, setting.value
                ),
            ));
        }
        Ok(setting.value)
    };
    let per_mac = required("cost.per_mac", &section.per_mac)?;
    let per_byte = required("cost.per_byte", &section.per_byte)?;
    let cloud_per_mac = match section.cloud_per_mac {
        Some(_) => required("cost.cloud_per_mac", &section.cloud_per_mac)?,
        None => 0.0,
    };
    let origin = layers
        .config_only("cost.profile", &section.profile, PathBuf::new())
        .origin;
    let base = layers.path.parent().unwrap_or(Path::new(""));
    let file = normalise(&base.join(path.get_ref()));
    let cost = ProfileCost::load(&file, per_mac, per_byte, cloud_per_mac)
        .map_err(|e| invalid(&origin, e.message))?;
    Ok(ProcessingCost::Profile(cost))
}
