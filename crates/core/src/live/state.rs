//! The learner state file: its identification, the settings it was saved with, its errors.

use super::settings::LiveError;
use crate::arms::ArmLabel;
use crate::cost::CostModel;
use crate::learner::LearnerState;
use crate::reward::{Observation, RewardKind};
use crate::totals::Totals;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The settings a state was saved with; a state is only restored under the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    pub policy: String,
    pub exits: usize,
    /// Whether processing costs are measured per sample (and every sample must carry them).
    pub measured_costs: bool,
    /// Every arm as (1-based split, threshold).
    pub arms: Vec<ArmLabel>,
    pub alpha: f64,
    pub reward: RewardKind,
    pub cost: CostModel,
    /// The observation model the policy runs under.
    pub observation: Observation,
    /// The probe probability, when the learner probes.
    pub probe: Option<f64>,
    pub ucb_c: f64,
    /// The reward range the policy rescales with, when known.
    pub reward_bounds: Option<(f64, f64)>,
    pub seed: u64,
}

impl StateConfig {
    /// The first setting that differs from `current`, as (name, saved, current).
    pub(super) fn difference(&self, current: &Self) -> Option<(&'static str, String, String)> {
        fn show<T: Serialize>(value: &T) -> String {
            let text = serde_json::to_string(value).unwrap_or_default();
            if text.chars().count() > 80 {
                format!("{}...", text.chars().take(77).collect::<String>())
            } else {
                text
            }
        }
        macro_rules! compare {
            // Shortest round-trip numbers: equal text is equal values.
            ($($field:ident: $name:literal),+ $(,)?) => {$(
                if serde_json::to_string(&self.$field).ok()
                    != serde_json::to_string(&current.$field).ok()
                {
                    return Some(($name, show(&self.$field), show(&current.$field)));
                }
            )+};
        }
        compare!(
            policy: "policy",
            exits: "exits",
            measured_costs: "measured costs",
            alpha: "alpha",
            arms: "arms",
            cost: "cost model",
            reward: "reward",
            observation: "observation",
            probe: "probe probability",
            ucb_c: "UCB constant",
            reward_bounds: "reward range",
            seed: "seed",
        );
        None
    }
}

/// The state file's identification.
pub(super) const STATE_FORMAT: &str = "splitee-learner-state";

/// Bumped whenever saved states change meaning; others are refused.
pub(super) const STATE_VERSION: u32 = 1;

/// More exits than a saved state may claim (a guard against absurd allocations).
pub(super) const MAX_EXITS: usize = 1 << 10;

/// A learner's state as saved.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateFile {
    pub(super) format: String,
    pub(super) version: u32,
    /// The splitee version that wrote the file (for information).
    pub(super) splitee: String,
    pub(super) config: StateConfig,
    pub(super) totals: Totals,
    pub(super) learner: LearnerState,
}

/// Just the identification, read first so that another file or version gets a clear message.
#[derive(Deserialize)]
pub(super) struct StateHeader {
    pub(super) format: Option<String>,
    pub(super) version: Option<u32>,
}

/// A state file that cannot be read, written, or restored under the current settings.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{}: cannot read the learner state: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a usable learner state: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "{}: the learner state was saved with {field} {saved}, but this stream has {current}; \
         use the same settings or another state file",
        path.display()
    )]
    Mismatch {
        path: PathBuf,
        field: &'static str,
        saved: String,
        current: String,
    },
    #[error("{}: {source}", path.display())]
    Settings { path: PathBuf, source: LiveError },
    #[error("{}: cannot save the learner state: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}
