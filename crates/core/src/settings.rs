//! The settings of a run, with the only defaults: every entrance (flags, config files, sweeps,
//! live learners, studies) starts from [`RunSettings::default`].

use crate::cost::CostModel;
use crate::policy::PolicySpec;
use crate::reward::RewardKind;
use crate::sim::SimOptions;
use std::path::PathBuf;

/// Validated settings of `splitee run`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Traces replayed one after the other; empty means the embedded default trace
    /// ([`crate::embedded`]), whose cost profile then prices the run unless costs were given.
    pub traces: Vec<PathBuf>,
    pub policies: Vec<PolicySpec>,
    pub alpha: f64,
    pub cost: CostModel,
    pub reward: RewardKind,
    pub sim: SimOptions,
}

/// SplitEE's setting for a named trace, and the default of every key: the five default
/// policies, alpha 0.7, linear costs with lambda 0.1 and o 0.5, mu 1, the SplitEE reward and
/// [`SimOptions::default`]. (With no trace, the config layer prices the embedded trace
/// by its profile instead.)
impl Default for RunSettings {
    fn default() -> Self {
        Self {
            traces: Vec::new(),
            policies: DEFAULT_POLICIES.to_vec(),
            alpha: 0.7,
            cost: CostModel::linear(crate::cost::SPLITEE_LAMBDA, crate::cost::DEFAULT_OFFLOAD),
            reward: RewardKind::Splitee,
            sim: SimOptions::default(),
        }
    }
}

/// The policies compared when none is named.
pub const DEFAULT_POLICIES: [PolicySpec; 5] = [
    PolicySpec::SPLITEE,
    PolicySpec::SPLITEE_S,
    PolicySpec::FINAL_EXIT,
    PolicySpec::DEVICE_EE,
    PolicySpec::RANDOM,
];
