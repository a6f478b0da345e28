//! Run settings: a TOML config file and command-line overrides, validated into [`RunSettings`]
//! before anything runs. Every error names where the bad value came from: the file, line and
//! key, or the flag.

pub use self::sections::{PublishedSection, ReportSection, SweepSection};
use crate::cost::{CostModel, OffloadCost, ProcessingCost, ProfileCost};
use crate::grid::Axis;
use crate::policy::PolicySpec;
use crate::reward::{Observation, RewardKind};
use crate::sim::{Compat, Order, SimOptions};
use crate::text::one_line;
mod sections;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, e.g. `--alpha`.
    Flag(&'static str),
    /// A key of a config file.
    Config {
        path: PathBuf,
        line: usize,
        key: &'static str,
    },
    /// The built-in default.
    Default(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => f.write_str(flag),
            Origin::Config { path, line, key } => {
                write!(
                    f,
                    "{}: line {line}: {key}",
                    one_line(&path.display().to_string())
                )
            }
            Origin::Default(key) => write!(f, "default {key}"),
        }
    }
}

/// An invalid setting, or a config file that cannot be read. Rendered as one line: line breaks
/// in the message (a quoted TOML string or key) are escaped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{origin}: {}", one_line(.message))]
    Invalid { origin: Origin, message: String },
    #[error("{}: {}", one_line(&.path.display().to_string()), one_line(.message))]
    File { path: PathBuf, message: String },
}

/// The config file's layout: `[trace]`, `[cost]`, `[policy]`, `[run]`. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    trace: TraceSection,
    #[serde(default)]
    cost: CostSection,
    #[serde(default)]
    policy: PolicySection,
    #[serde(default)]
    run: RunSection,
    sweep: Option<SweepSection>,
    report: Option<ReportSection>,
    published: Option<PublishedSection>,
}

/// The sections `splitee run` does not use: what `splitee sweep` expands and reports.
#[derive(Debug, Clone, Default)]
pub struct ConfigSections {
    pub sweep: Option<SweepSection>,
    pub report: Option<ReportSection>,
    pub published: Option<PublishedSection>,
    /// The config file's path and text, to locate values and to record with results.
    pub path: PathBuf,
    pub text: String,
}

impl ConfigSections {
    /// Where a value with byte span `span` of key `key` sits in the config.
    pub fn origin(&self, span: std::ops::Range<usize>, key: &'static str) -> Origin {
        Origin::Config {
            path: self.path.clone(),
            line: line_of(&self.text, span.start),
            key,
        }
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceSection {
    /// One trace, or several replayed one after the other.
    paths: Option<Spanned<Vec<PathBuf>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CostSection {
    model: Option<Spanned<CostModelName>>,
    lambda: Option<Spanned<f64>>,
    depths: Option<Spanned<Vec<f64>>>,
    table: Option<Spanned<Vec<f64>>>,
    offload: Option<Spanned<OffloadCost>>,
    mu: Option<Spanned<f64>>,
    /// The profile model's network profile (JSON, relative to the config file) and prices.
    profile: Option<Spanned<PathBuf>>,
    per_mac: Option<Spanned<f64>>,
    per_byte: Option<Spanned<f64>>,
    cloud_per_mac: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySection {
    /// Parsed after reading, so that an unknown name is reported at its own line.
    names: Option<Spanned<Vec<Spanned<String>>>>,
    alpha: Option<Spanned<f64>>,
    ucb_c: Option<Spanned<f64>>,
    observation: Option<Spanned<Observation>>,
    /// The threshold grid of joint and threshold learners: a list or `{start, stop, step}`.
    thresholds: Option<Spanned<Axis>>,
    /// Probe probability of unbiased observation.
    probe: Option<Spanned<f64>>,
    /// The label-free reward the policies learn from.
    reward: Option<Spanned<RewardKind>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSection {
    runs: Option<Spanned<usize>>,
    seed: Option<Spanned<u64>>,
    order: Option<Spanned<Order>>,
    compat: Option<Spanned<CompatName>>,
    compat_cost: Option<Spanned<CompatCost>>,
}

/// Processing-cost models by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CostModelName {
    /// `lambda * depth_k`.
    Linear,
    /// A per-exit table (`cost.table` in the config).
    Table,
    /// The trace's `cost_k` columns, summed up to the split (scaled by `mu`).
    Measured,
    /// A network cost profile (`cost.profile`): `per_mac` x device MACs, `per_byte` x bytes
    /// sent (+ `cloud_per_mac` x cloud MACs).
    Profile,
}

/// Published code that compatibility mode reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum CompatName {
    #[serde(rename = "splitee-2023")]
    #[value(name = "splitee-2023")]
    SplitEe2023,
}

/// Reported-cost formula in compatibility mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CompatCost {
    /// As each published script reports it: SplitEE `lambda + 0.8*lambda*i`, SplitEE-S
    /// `lambda*(i+1)`.
    #[default]
    Published,
    /// `lambda*(i+1)` for every policy.
    Linear,
}

/// Values given on the command line; `None` leaves the config's or the default value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub traces: Vec<PathBuf>,
    pub policies: Vec<PolicySpec>,
    pub alpha: Option<f64>,
    pub lambda: Option<f64>,
    pub offload: Option<f64>,
    pub mu: Option<f64>,
    pub cost_model: Option<CostModelName>,
    pub ucb_c: Option<f64>,
    pub runs: Option<usize>,
    pub seed: Option<u64>,
    pub order: Option<Order>,
    pub observation: Option<Observation>,
    pub thresholds: Option<Vec<f64>>,
    pub probe: Option<f64>,
    pub reward: Option<RewardKind>,
    pub compat: Option<CompatName>,
    pub compat_cost: Option<CompatCost>,
}

pub use crate::settings::{RunSettings, DEFAULT_POLICIES};

/// A value with its origin, chosen from a flag, then the config, then a default.
struct Setting<T> {
    value: T,
    origin: Origin,
}

/// Reads config files and picks each setting's source.
struct Layers<'a> {
    path: PathBuf,
    text: &'a str,
}

impl Layers<'_> {
    fn line_of(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    fn pick<T: Clone>(
        &self,
        flag: (&'static str, Option<T>),
        config: (&'static str, &Option<Spanned<T>>),
        default: T,
    ) -> Setting<T> {
        if let Some(value) = flag.1 {
            return Setting {
                value,
                origin: Origin::Flag(flag.0),
            };
        }
        match config.1 {
            Some(spanned) => Setting {
                value: spanned.get_ref().clone(),
                origin: Origin::Config {
                    path: self.path.clone(),
                    line: self.line_of(spanned.span().start),
                    key: config.0,
                },
            },
            None => Setting {
                value: default,
                origin: Origin::Default(config.0),
            },
        }
    }
}

/// `path` with `.` and `dir/..` removed lexically, so config-relative paths read naturally in
/// messages and reports (`experiments/../data/t.csv` is `data/t.csv`).
pub fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl Layers<'_> {
    /// A setting that has no flag.
    fn config_only<T: Clone>(
        &self,
        key: &'static str,
        config: &Option<Spanned<T>>,
        default: T,
    ) -> Setting<T> {
        self.pick(("", None), (key, config), default)
    }

    /// Parses `policy.names`, naming the line of an unknown policy.
    fn policy_names(
        &self,
        names: Option<Spanned<Vec<Spanned<String>>>>,
    ) -> Result<Option<Spanned<Vec<PolicySpec>>>, ConfigError> {
        let Some(names) = names else {
            return Ok(None);
        };
        let span = names.span();
        let specs = names
            .into_inner()
            .into_iter()
            .map(|name| {
                name.get_ref().parse::<PolicySpec>().map_err(|message| {
                    let origin = Origin::Config {
                        path: self.path.clone(),
                        line: self.line_of(name.span().start),
                        key: "policy.names",
                    };
                    invalid(&origin, message)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Spanned::new(span, specs)))
    }
}

fn invalid(origin: &Origin, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.clone(),
        message: message.into(),
    }
}

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
    crate::arms::check_thresholds(&thresholds.value)
        .map_err(|message| invalid(&thresholds.origin, message))?;
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

#[cfg(test)]
mod tests {
    use super::normalise;
    use std::path::{Path, PathBuf};

    #[test]
    fn normalise_resolves_dot_dot_lexically_but_keeps_leading_ones() {
        assert_eq!(
            normalise(Path::new("experiments/../../shared/./t.csv")),
            PathBuf::from("../shared/t.csv")
        );
        assert_eq!(normalise(Path::new("/a/b/../c")), PathBuf::from("/a/c"));
    }
}
