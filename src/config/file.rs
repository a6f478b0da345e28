//! The config file's layout, the command line's overrides, and where each value came from.

use super::sections::{PublishedSection, ReportSection, SimulateSection, SweepSection};
use crate::cost::{NamedTable, OffloadCost};
use crate::grid::Axis;
use crate::policy::PolicySpec;
use crate::reward::{Observation, RewardKind};
use crate::sim::Order;
use crate::text::one_line;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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

/// The config file's layout: `[trace]`, `[cost]`, `[policy]`, `[run]`, and the sections of sweeps
/// (`[sweep]`, `[report]`, `[published]`) and simulations (`[simulate]`). Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    #[serde(default)]
    pub(super) trace: TraceSection,
    #[serde(default)]
    pub(super) cost: CostSection,
    #[serde(default)]
    pub(super) policy: PolicySection,
    #[serde(default)]
    pub(super) run: RunSection,
    pub(super) sweep: Option<SweepSection>,
    pub(super) report: Option<ReportSection>,
    pub(super) published: Option<PublishedFile>,
    pub(super) simulate: Option<SimulateSection>,
}

/// The `[published]` section as written: [`PublishedSection`] with the place of each accuracy,
/// to name the line of one that is not a fraction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PublishedFile {
    source: String,
    offload: Vec<f64>,
    #[serde(default)]
    accuracy: BTreeMap<String, Vec<Spanned<f64>>>,
    #[serde(default)]
    cost_per_sample: BTreeMap<String, Vec<f64>>,
}

/// The sections `splitee run` does not use: what `splitee sweep` expands and reports, and the
/// deployment `splitee simulate` simulates.
#[derive(Debug, Clone, Default)]
pub struct ConfigSections {
    pub sweep: Option<SweepSection>,
    pub report: Option<ReportSection>,
    pub published: Option<PublishedSection>,
    /// The deployment `splitee simulate` serves the policies in.
    pub simulate: Option<SimulateSection>,
    /// The config file's path and text, to locate values and to record with results.
    pub path: PathBuf,
    pub text: String,
    /// What the user should know about how the settings were read (e.g. that a cost setting
    /// replaced the embedded trace's cost profile), one sentence each, for standard error.
    pub notes: Vec<String>,
    /// Where the cost model's settings came from, to blame one a trace later refuses.
    pub cost_origins: Vec<(&'static str, Origin)>,
}

impl ConfigSections {
    /// `error` blamed on where its setting came from, when it is a cost setting that only a
    /// trace could refuse (a per-split list of the wrong length, say).
    pub fn locate(&self, error: crate::Error) -> crate::Error {
        match error {
            crate::Error::Cost(e) => {
                match self.cost_origins.iter().find(|(key, _)| *key == e.key) {
                    Some((_, origin @ (Origin::Config { .. } | Origin::Flag(_)))) => {
                        ConfigError::Invalid {
                            origin: origin.clone(),
                            message: e.message,
                        }
                        .into()
                    }
                    _ => crate::Error::Cost(e),
                }
            }
            other => other,
        }
    }

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
pub(super) struct TraceSection {
    /// One trace, or several replayed one after the other.
    pub(super) paths: Option<Spanned<Vec<PathBuf>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CostSection {
    pub(super) model: Option<Spanned<CostModelName>>,
    pub(super) lambda: Option<Spanned<f64>>,
    pub(super) depths: Option<Spanned<Vec<f64>>>,
    pub(super) table: Option<Spanned<Vec<f64>>>,
    pub(super) offload: Option<Spanned<OffloadCost>>,
    pub(super) mu: Option<Spanned<f64>>,
    /// The profile model's network profile (JSON, relative to the config file) and prices.
    pub(super) profile: Option<Spanned<PathBuf>>,
    pub(super) per_mac: Option<Spanned<f64>>,
    pub(super) per_byte: Option<Spanned<f64>>,
    pub(super) cloud_per_mac: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicySection {
    /// Parsed after reading, so that an unknown name is reported at its own line.
    pub(super) names: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) alpha: Option<Spanned<f64>>,
    pub(super) ucb_c: Option<Spanned<f64>>,
    pub(super) observation: Option<Spanned<Observation>>,
    /// The threshold grid of joint and threshold learners: a list or `{start, stop, step}`.
    pub(super) thresholds: Option<Spanned<Axis>>,
    /// Probe probability of unbiased observation.
    pub(super) probe: Option<Spanned<f64>>,
    /// The label-free reward the policies learn from.
    pub(super) reward: Option<Spanned<RewardKind>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunSection {
    pub(super) runs: Option<Spanned<usize>>,
    pub(super) seed: Option<Spanned<u64>>,
    pub(super) order: Option<Spanned<Order>>,
    pub(super) compat: Option<Spanned<CompatName>>,
    pub(super) compat_cost: Option<Spanned<CompatCost>>,
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
    /// UEE-UCB's CS-1: `depth_k / 12` (depths from `cost.depths`, default 1..L).
    Cs1,
    /// UEE-UCB's CS-2: 0.5 up to layer 7, else 1 (depths from `cost.depths`, default 1..L).
    Cs2,
}

impl CostModelName {
    /// The name a config or `--cost-model` gives.
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Table => "table",
            Self::Measured => "measured",
            Self::Profile => "profile",
            Self::Cs1 => NamedTable::Cs1.name(),
            Self::Cs2 => NamedTable::Cs2.name(),
        }
    }

    /// The published table this name stands for, if any.
    pub fn named_table(self) -> Option<NamedTable> {
        match self {
            Self::Cs1 => Some(NamedTable::Cs1),
            Self::Cs2 => Some(NamedTable::Cs2),
            Self::Linear | Self::Table | Self::Measured | Self::Profile => None,
        }
    }

    /// The name of a processing-cost model.
    pub fn of(processing: &crate::cost::ProcessingCost) -> Self {
        use crate::cost::ProcessingCost as P;
        match processing {
            P::Linear { .. } => Self::Linear,
            P::Table { .. } => Self::Table,
            P::Measured => Self::Measured,
            P::Profile(_) => Self::Profile,
            P::Named {
                table: NamedTable::Cs1,
                ..
            } => Self::Cs1,
            P::Named {
                table: NamedTable::Cs2,
                ..
            } => Self::Cs2,
        }
    }
}

/// Published code that compatibility mode reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum CompatName {
    /// The SplitEE scripts (AIMLSystems 2023).
    #[serde(rename = "splitee-2023")]
    #[value(name = "splitee-2023")]
    SplitEe2023,
    /// The AdaEE code (ICC 2023): threshold learning at one exit.
    #[serde(rename = "adaee-2023")]
    #[value(name = "adaee-2023")]
    AdaEe2023,
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
pub(super) struct Setting<T> {
    pub(super) value: T,
    pub(super) origin: Origin,
}

/// Reads config files and picks each setting's source.
pub(super) struct Layers<'a> {
    pub(super) path: PathBuf,
    pub(super) text: &'a str,
}

impl Layers<'_> {
    pub(super) fn line_of(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    pub(super) fn pick<T: Clone>(
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
    pub(super) fn config_only<T: Clone>(
        &self,
        key: &'static str,
        config: &Option<Spanned<T>>,
        default: T,
    ) -> Setting<T> {
        self.pick(("", None), (key, config), default)
    }

    /// Parses `policy.names`, naming the line of an unknown policy.
    pub(super) fn policy_names(
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

impl Layers<'_> {
    /// The `[published]` section, refusing an accuracy that is not a fraction: papers state
    /// theirs in %, every accuracy here is a fraction (0 to 1).
    pub(super) fn published(
        &self,
        section: PublishedFile,
    ) -> Result<PublishedSection, ConfigError> {
        let mut accuracy = BTreeMap::new();
        for (policy, values) in section.accuracy {
            for (i, value) in values.iter().enumerate() {
                let v = *value.get_ref();
                if !(0.0..=1.0).contains(&v) {
                    let origin = Origin::Config {
                        path: self.path.clone(),
                        line: self.line_of(value.span().start),
                        key: "published.accuracy",
                    };
                    return Err(invalid(
                        &origin,
                        format!(
                            "{policy} entry {} is {v}, not a fraction (0 to 1); give the \
                             paper's percentages divided by 100",
                            i + 1
                        ),
                    ));
                }
            }
            accuracy.insert(
                policy,
                values.into_iter().map(Spanned::into_inner).collect(),
            );
        }
        Ok(PublishedSection {
            source: section.source,
            offload: section.offload,
            accuracy,
            cost_per_sample: section.cost_per_sample,
        })
    }
}

pub(super) fn invalid(origin: &Origin, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.clone(),
        message: message.into(),
    }
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
