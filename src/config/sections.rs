//! The sections of a config file that only sweeps and their reports read.

use crate::grid::Axis;
use crate::trace::synth::SynthSpec;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use toml::Spanned;

/// The `[sweep]` section of a config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Traces swept over, each run separately (relative to the config file).
    pub traces: Option<Vec<PathBuf>>,
    /// Instead of trace files: a synthetic stream, generated in memory as `splitee synth`
    /// writes it (a drift's phases are its segments, e.g. for segment regret).
    pub synthetic: Option<Spanned<SynthSpec>>,
    pub alpha: Option<Spanned<Axis>>,
    pub lambda: Option<Spanned<Axis>>,
    pub mu: Option<Spanned<Axis>>,
    pub ucb_c: Option<Spanned<Axis>>,
    pub offload: Option<Spanned<Axis>>,
}

/// The `[report]` section: what the plots of a sweep focus on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// The offloading cost whose grid point the regret, arm-timeline and Pareto plots show
    /// (default: the last one swept).
    pub focus_offload: Option<f64>,
    /// Thresholds of the fixed (split, alpha) arms in the Pareto plot (default 0.50 to 0.95 by
    /// 0.05).
    pub pareto_alphas: Option<Vec<f64>>,
    /// Policies drawn in the regret plot (default: all).
    pub regret_policies: Option<Vec<String>>,
    /// Policies drawn in the accuracy, cost and Pareto plots (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plot_policies: Option<Vec<String>>,
    /// Points kept per regret curve and arm timeline (default 200; fewer keep a sweep of many
    /// policies small on disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_points: Option<usize>,
}

/// Published numbers to show beside ours, per policy and offloading cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedSection {
    /// Where the numbers come from.
    pub source: String,
    pub offload: Vec<f64>,
    /// Per policy name: accuracy in % at each `offload`.
    #[serde(default)]
    pub accuracy: std::collections::BTreeMap<String, Vec<f64>>,
    /// Per policy name: cost per sample at each `offload`.
    #[serde(default)]
    pub cost_per_sample: std::collections::BTreeMap<String, Vec<f64>>,
}
