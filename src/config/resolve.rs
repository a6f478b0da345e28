//! Settings resolved from their layers: each value from a flag, then the config, then the
//! default, then every value through the run's one check ([`RunSettings::check_ref`], the rules
//! of [`crate::params`]), a refusal naming where the bad value came from.

use super::file::{
    invalid, normalise, CompatCost, CompatName, ConfigError, ConfigFile, ConfigSections,
    CostModelName, CostSection, Layers, Origin, Overrides, RunSettings, Setting,
};
use crate::cost::{CostModel, NamedTable, OffloadCost, ProcessingCost, ProfileCost};
use crate::params;
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
                let text = crate::lines::read_text(p).map_err(|e| ConfigError::File {
                    path: p.to_path_buf(),
                    message: format!("cannot read config: {}", e.error),
                })?;
                (p.to_path_buf(), text)
            }
            None => (PathBuf::from("<no config>"), String::new()),
        };
        let layers = Layers {
            path: path.clone(),
            text: &text,
        };
        let mut file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.clone(),
            message: super::words::parse_error(&text, &e),
        })?;
        let published = file
            .published
            .take()
            .map(|p| layers.published(p))
            .transpose()?;
        let mut sections = ConfigSections {
            sweep: file.sweep.clone(),
            report: file.report.clone(),
            published,
            simulate: file.simulate.clone(),
            path: path.clone(),
            text: text.clone(),
            notes: Vec::new(),
            cost_origins: Vec::new(),
        };
        let settings = from_layers(&layers, file, overrides, &mut sections)?;
        Ok((settings, sections))
    }
}

impl ResolveSettings for RunSettings {}

fn from_layers(
    layers: &Layers<'_>,
    file: ConfigFile,
    o: Overrides,
    sections: &mut ConfigSections,
) -> Result<RunSettings, ConfigError> {
    let defaults = RunSettings::default();
    let cost = cost_model(layers, &file.cost, &o)?;
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
        (params::POLICIES, &names),
        defaults.policies,
    );
    let alpha = layers.pick(
        ("--alpha", o.alpha),
        (params::ALPHA.key, &file.policy.alpha),
        defaults.alpha,
    );
    let ucb_c = layers.pick(
        ("--ucb-c", o.ucb_c),
        (params::UCB_C.key, &file.policy.ucb_c),
        defaults.sim.ucb_c,
    );
    let runs = layers.pick(
        ("--runs", o.runs),
        (params::RUNS, &file.run.runs),
        defaults.sim.runs,
    );
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
        CompatCost::default(),
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
                key: params::THRESHOLDS,
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
            origin: Origin::Default(params::THRESHOLDS),
        },
    };
    let probe = layers.pick(
        ("--probe", o.probe),
        (params::PROBE.key, &file.policy.probe),
        defaults.sim.probe,
    );
    let reward = layers.pick(
        ("--reward", o.reward),
        ("policy.reward", &file.policy.reward),
        defaults.reward,
    );

    let compat = match compat {
        Some(CompatName::SplitEe2023) => Some(Compat::SplitEe2023 {
            script_cost: compat_cost.value == CompatCost::Published,
        }),
        Some(CompatName::AdaEe2023) => {
            if !matches!(compat_cost.origin, Origin::Default(_)) {
                return Err(invalid(
                    &compat_cost.origin,
                    "has no effect under compatibility mode adaee-2023 (its reward charges \
                         only the offloading cost o); drop it",
                ));
            }
            Some(Compat::AdaEe2023)
        }
        None => None,
    };

    // Every value through the compatibility mode and the run's one check, a refusal blamed on
    // where the value came from.
    let origins = [
        (params::POLICIES, &policies.origin),
        (params::ALPHA.key, &alpha.origin),
        (params::UCB_C.key, &ucb_c.origin),
        (params::RUNS, &runs.origin),
        (params::THRESHOLDS, &thresholds.origin),
        (params::PROBE.key, &probe.origin),
        (params::REWARD, &reward.origin),
        (params::OBSERVATION, &observation.origin),
    ];
    // The published cost formula's refusal is blamed on compat_cost if given, else the model.
    let cost_model_origin = match compat_cost.origin {
        Origin::Default(_) => &cost.origins.model,
        ref given => given,
    };
    let blame = |e: params::ParamError| match origins.iter().find(|(key, _)| *key == e.key) {
        Some((_, origin)) => invalid(origin, e.message),
        None if e.key == params::COST_MODEL => invalid(cost_model_origin, e.message),
        None => cost.origins.refusal(e),
    };
    let given = |key: &'static str| {
        let origin = match key {
            params::MU => Some(&cost.origins.mu),
            _ => origins.iter().find(|(k, _)| *k == key).map(|(_, o)| *o),
        };
        origin.is_some_and(|o| !matches!(o, Origin::Default(_)))
    };
    let settings = RunSettings {
        traces,
        policies: policies.value,
        alpha: alpha.value,
        cost: cost.model,
        reward: reward.value,
        sim: SimOptions {
            runs: runs.value,
            seed: seed.value,
            order: order.value,
            observation: observation.value,
            ucb_c: ucb_c.value,
            thresholds: thresholds.value,
            probe: probe.value,
            ..defaults.sim
        },
    }
    .with_compat(compat, given)
    .map_err(blame)?;
    settings.check_ref().map_err(blame)?;

    // The embedded trace comes with its network's cost profile, unless the user chose costs
    // (also by sweeping lambda or o) or the compatibility mode, which prices the published
    // way.
    let sweep = file.sweep.as_ref();
    let embedded_trace = settings.traces.is_empty()
        && sweep.is_none_or(|s| s.traces.is_none() && s.synthetic.is_none());
    let cost_swept = sweep.is_some_and(|s| s.lambda.is_some() || s.offload.is_some());
    sections.cost_origins = cost.origins.keyed();
    let replaced_by = match (&cost.given, cost_swept, compat) {
        (_, _, Some(_)) => Some("compatibility mode".to_owned()),
        (_, true, None) => Some("the swept cost".to_owned()),
        (Some(origin), false, None) => Some(origin.to_string()),
        (None, false, None) => None,
    };
    let cost = match (embedded_trace, replaced_by) {
        (true, None) => crate::embedded::cost_model(settings.cost.mu),
        (true, Some(by)) => {
            sections.notes.push(format!(
                "{by} replaces the embedded trace's cost profile; costs: {}",
                settings.cost
            ));
            settings.cost
        }
        (false, _) => settings.cost,
    };
    Ok(RunSettings { cost, ..settings })
}

/// The cost model as the layers give it, before the run's check.
struct CostSettings {
    model: CostModel,
    origins: CostOrigins,
    /// The first setting of the model (beyond `mu`) that was given, if any.
    given: Option<Origin>,
}

/// Where each value of the cost model came from.
struct CostOrigins {
    model: Origin,
    lambda: Origin,
    offload: Origin,
    mu: Origin,
    depths: Origin,
    table: Origin,
}

impl CostOrigins {
    /// Each origin under its config key.
    fn keyed(&self) -> Vec<(&'static str, Origin)> {
        vec![
            ("cost.model", self.model.clone()),
            ("cost.lambda", self.lambda.clone()),
            ("cost.offload", self.offload.clone()),
            ("cost.mu", self.mu.clone()),
            ("cost.depths", self.depths.clone()),
            ("cost.table", self.table.clone()),
        ]
    }

    /// A refusal of the cost model's values, blamed on the setting it names; the profile's
    /// prices and numbers are blamed on the model, naming the key.
    fn refusal(&self, e: crate::params::ParamError) -> ConfigError {
        let origin = match e.key {
            "cost.lambda" => &self.lambda,
            "cost.offload" => &self.offload,
            "cost.mu" => &self.mu,
            "cost.depths" => &self.depths,
            "cost.per_mac" | "cost.per_byte" | "cost.cloud_per_mac" | "cost.profile" => {
                return invalid(&self.model, format!("{}: {}", e.key, e.message));
            }
            _ => &self.table,
        };
        invalid(origin, e.message)
    }
}

/// The cost model and where its values came from (checked with the run's other settings).
fn cost_model(
    layers: &Layers<'_>,
    section: &CostSection,
    o: &Overrides,
) -> Result<CostSettings, ConfigError> {
    let defaults = RunSettings::default().cost;
    let model = layers.pick(
        ("--cost-model", o.cost_model),
        ("cost.model", &section.model),
        CostModelName::of(&defaults.processing),
    );
    let lambda = layers.pick(
        ("--lambda", o.lambda),
        ("cost.lambda", &section.lambda),
        defaults
            .linear_lambda()
            .unwrap_or(crate::cost::SPLITEE_LAMBDA),
    );
    let offload = layers.pick(
        ("--offload-cost", o.offload.map(OffloadCost::Constant)),
        ("cost.offload", &section.offload),
        defaults.offload,
    );
    let mu = layers.pick(("--mu", o.mu), ("cost.mu", &section.mu), defaults.mu);
    let depths = layers.config_only("cost.depths", &section.depths, Vec::new());
    let table = layers.config_only("cost.table", &section.table, Vec::new());

    // A setting the chosen model does not read is refused, never silently ignored.
    let profile_keys = [
        ("cost.profile", section.profile.as_ref().map(Spanned::span)),
        ("cost.per_mac", section.per_mac.as_ref().map(Spanned::span)),
        (
            "cost.per_byte",
            section.per_byte.as_ref().map(Spanned::span),
        ),
        (
            "cost.cloud_per_mac",
            section.cloud_per_mac.as_ref().map(Spanned::span),
        ),
    ];
    let profile_origins: Vec<Origin> = profile_keys
        .iter()
        .filter_map(|(key, span)| {
            span.clone().map(|span| Origin::Config {
                path: layers.path.clone(),
                line: layers.line_of(span.start),
                key,
            })
        })
        .collect();
    let readers: Vec<(&Origin, bool)> = [
        (&lambda.origin, model.value == CostModelName::Linear),
        (
            &depths.origin,
            model.value == CostModelName::Linear || model.value.named_table().is_some(),
        ),
        (&table.origin, model.value == CostModelName::Table),
    ]
    .into_iter()
    .chain(
        profile_origins
            .iter()
            .map(|origin| (origin, model.value == CostModelName::Profile)),
    )
    .collect();
    if let Some((origin, _)) = readers
        .iter()
        .find(|(origin, read)| !read && !matches!(origin, Origin::Default(_)))
    {
        let chosen = match &model.origin {
            Origin::Default(_) => "the default".to_owned(),
            given => given.to_string(),
        };
        return Err(invalid(
            origin,
            format!(
                "has no effect under the {} cost model ({chosen}); drop it, or choose a model \
                 that reads it",
                model.value.name()
            ),
        ));
    }

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
        CostModelName::Cs1 => named_table(NamedTable::Cs1, depths.value),
        CostModelName::Cs2 => named_table(NamedTable::Cs2, depths.value),
        CostModelName::Profile => profile_cost(layers, section, &model.origin, &offload.origin)?,
    };
    let given = [
        &model.origin,
        &lambda.origin,
        &offload.origin,
        &depths.origin,
        &table.origin,
    ]
    .into_iter()
    .find(|origin| !matches!(origin, Origin::Default(_)))
    .cloned();
    Ok(CostSettings {
        model: CostModel {
            processing,
            offload: offload.value,
            mu: mu.value,
        },
        origins: CostOrigins {
            model: model.origin,
            lambda: lambda.origin,
            offload: offload.origin,
            mu: mu.origin,
            depths: depths.origin,
            table: table.origin,
        },
        given,
    })
}

/// A published table at `depths` (none given: `1..=L`).
fn named_table(table: NamedTable, depths: Vec<f64>) -> ProcessingCost {
    ProcessingCost::Named {
        table,
        depths: (!depths.is_empty()).then_some(depths),
    }
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
        crate::params::check_costs(key, &[setting.value])
            .map_err(|e| invalid(&setting.origin, e.message))?;
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
