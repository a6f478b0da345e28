//! The sections of a config file that only sweeps and their reports read.

use crate::grid::Axis;
use crate::queue::{Arrivals, DeviceTime, QueueSettings};
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
    /// Per policy name: accuracy as a fraction (0 to 1) at each `offload` (a paper's
    /// percentages divided by 100).
    #[serde(default)]
    pub accuracy: std::collections::BTreeMap<String, Vec<f64>>,
    /// Per policy name: cost per sample at each `offload`.
    #[serde(default)]
    pub cost_per_sample: std::collections::BTreeMap<String, Vec<f64>>,
}

/// Where a simulation's arrivals come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArrivalSource {
    /// A Poisson process at each of the section's rates.
    #[default]
    Poisson,
    /// The trace's `arrival` column: each sample at its own time, in the trace's order.
    Trace,
}

impl crate::named::Named for ArrivalSource {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (Self::Poisson, "poisson", "A Poisson process at each --rate"),
        (
            Self::Trace,
            "trace",
            "The trace's arrival column: each sample at its own time, in the trace's order",
        ),
    ];
}

splitee_core::display_by_name!(ArrivalSource);

/// The `[simulate]` section of a config; the flags of `splitee simulate` override its keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateSection {
    /// Poisson arrivals at each rate, or the trace's arrival times.
    #[serde(default)]
    pub arrivals: ArrivalSource,
    /// Poisson arrival rates, samples per second; each is simulated separately. None with
    /// trace arrivals, whose times set the rate.
    #[serde(default)]
    pub rates: Vec<f64>,
    /// `B`: samples the device holds at once, the one in service included.
    #[serde(default = "SimulateSection::default_buffer")]
    pub buffer: usize,
    /// ms from the input to each exit on the device; default: the trace's measured `cost_k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_ms: Option<Vec<f64>>,
    /// Device MACs up to each exit, with `macs_per_ms` (instead of `device_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_macs: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macs_per_ms: Option<f64>,
    /// Bytes sent when splitting after each exit (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<f64>>,
    /// Uplink bandwidth, megabits per second.
    #[serde(default = "SimulateSection::default_bandwidth")]
    pub bandwidth_mbps: f64,
    /// Uplink latency of an offload, ms.
    #[serde(default)]
    pub uplink_ms: f64,
    /// The cloud's service time of an offload, ms.
    #[serde(default)]
    pub cloud_ms: f64,
    /// Exponential service times with the model's times as means.
    #[serde(default)]
    pub exponential: bool,
    /// Points of each time series.
    #[serde(default = "SimulateSection::default_series_points")]
    pub series_points: usize,
}

impl SimulateSection {
    pub const DEFAULT_BUFFER: usize = 10;
    pub const DEFAULT_BANDWIDTH_MBPS: f64 = 100.0;
    pub const DEFAULT_SERIES_POINTS: usize = 20;

    fn default_buffer() -> usize {
        Self::DEFAULT_BUFFER
    }
    fn default_bandwidth() -> f64 {
        Self::DEFAULT_BANDWIDTH_MBPS
    }
    fn default_series_points() -> usize {
        Self::DEFAULT_SERIES_POINTS
    }

    /// The simulator's settings with `arrivals` for a trace of `exits` exits.
    pub fn queue_settings(&self, arrivals: Arrivals, exits: usize) -> QueueSettings {
        let device = match (&self.device_ms, &self.device_macs) {
            (Some(table), _) => DeviceTime::Table(table.clone()),
            (None, Some(macs)) => DeviceTime::Profile {
                macs: macs.clone(),
                macs_per_ms: self.macs_per_ms.unwrap_or(f64::NAN),
            },
            (None, None) => DeviceTime::Measured,
        };
        QueueSettings {
            arrivals,
            capacity: self.buffer,
            device,
            bytes: self.bytes.clone().unwrap_or_else(|| vec![0.0; exits]),
            // Megabits per second are 125 bytes per ms.
            bytes_per_ms: self.bandwidth_mbps * 125.0,
            uplink_ms: self.uplink_ms,
            cloud_ms: self.cloud_ms,
            exponential: self.exponential,
            series_points: self.series_points,
        }
    }
}
