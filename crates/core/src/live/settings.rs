//! What a live learner is built from, and what it refuses.

use crate::arms::ArmSpace;
use crate::cost::{CostError, CostModel};
use crate::policy::{Family, PolicySpec};
use crate::reward::{Observation, RewardKind};
use crate::settings::RunSettings;

/// What a live learner is built from: the settings of `splitee run` that apply to one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSettings {
    pub policy: PolicySpec,
    /// Exit threshold of split arms.
    pub alpha: f64,
    pub cost: CostModel,
    pub reward: RewardKind,
    /// The observation model (a policy name may fix its own).
    pub observation: Observation,
    pub ucb_c: f64,
    /// Threshold grid of joint and threshold learners.
    pub thresholds: Vec<f64>,
    /// Probe probability of unbiased observation.
    pub probe: f64,
    /// The seed; the learner draws from run 0's streams of it.
    pub seed: u64,
    /// The range rewards lie in, for policies that rescale them; by default derived from the
    /// cost model (confidences lie in [0, 1]). Required with measured costs, which are not
    /// known before the samples arrive.
    pub reward_bounds: Option<(f64, f64)>,
}

impl LiveSettings {
    /// `policy` with the defaults of `splitee run` for a named trace ([`RunSettings::default`]);
    /// change fields with struct update syntax.
    pub fn new(policy: PolicySpec) -> Self {
        Self::of_run(&RunSettings::default(), policy)
    }

    /// The settings of a resolved `run` configuration, for `policy` (checked when a learner is
    /// built; see [`LiveSettings::check`]). Compatibility mode is refused: it reproduces a
    /// published replay (SplitEE's scores every arm on the first samples and then starts again
    /// from the first).
    pub fn from_run(settings: &RunSettings, policy: PolicySpec) -> Result<Self, LiveError> {
        if let Some(compat) = settings.sim.compat {
            return Err(LiveError::Unsupported(format!(
                "compatibility mode ({}) reproduces a published replay; it cannot run on a live \
                 stream",
                compat.name()
            )));
        }
        Ok(Self::of_run(settings, policy))
    }

    fn of_run(settings: &RunSettings, policy: PolicySpec) -> Self {
        Self {
            policy,
            alpha: settings.alpha,
            cost: settings.cost.clone(),
            reward: settings.reward,
            observation: settings.sim.observation,
            ucb_c: settings.sim.ucb_c,
            thresholds: settings.sim.thresholds.clone(),
            probe: settings.sim.probe,
            seed: settings.sim.seed,
            reward_bounds: None,
        }
    }

    /// Refuses what cannot run live: the best fixed arm in hindsight (it needs the whole
    /// stream), oracle observation (it reads the final confidence of samples that exited),
    /// threshold vectors and learners under an agreement constraint (replays only);
    /// and values a config would refuse (alpha, probe, UCB constant, threshold grid).
    pub fn check(&self) -> Result<(), LiveError> {
        // The run's rules (`crate::params`), with their messages; the grid only matters to
        // policies that learn over it.
        let refused = |e: crate::params::ParamError| LiveError::Unsupported(e.message);
        crate::params::ALPHA.check(self.alpha).map_err(refused)?;
        crate::params::PROBE.check(self.probe).map_err(refused)?;
        crate::params::UCB_C.check(self.ucb_c).map_err(refused)?;
        if matches!(
            self.policy.arms,
            ArmSpace::Joint | ArmSpace::ThresholdsAt(_)
        ) {
            crate::params::check_thresholds(&self.thresholds).map_err(refused)?;
        }
        if let ArmSpace::VectorsAt(_) = self.policy.arms {
            return Err(LiveError::Unsupported(format!(
                "policy `{}`: threshold vectors are for replays (`splitee run`); a live learner \
                 plays one split and one threshold per decision",
                self.policy
            )));
        }
        if self.policy.kind.agreement_floor().is_some() {
            return Err(LiveError::Unsupported(format!(
                "policy `{}` learns its agreement with the final exit from every exit's \
                 prediction, which a live learner is not given; replay a trace with `splitee run`",
                self.policy
            )));
        }
        if !self.reward.needs_confidences() {
            return Err(LiveError::Unsupported(format!(
                "the `{}` reward is learned by replaying a trace (`splitee run`); a live stream \
                 reports confidences as the device computes them",
                self.reward
            )));
        }
        if self.policy.family() == Family::BestFixed {
            return Err(LiveError::Unsupported(format!(
                "policy `{}` needs the whole stream in hindsight; it cannot run live",
                self.policy
            )));
        }
        if self.policy.observation(self.observation) == Observation::Oracle {
            return Err(LiveError::Unsupported(format!(
                "oracle observation reads the final exit's confidence after the device answered; \
                 a live stream never has it (policy `{}`: use strict or unbiased observation)",
                self.policy
            )));
        }
        let measured = matches!(self.cost.processing, crate::cost::ProcessingCost::Measured);
        if measured && self.reward_bounds.is_none() && self.policy.kind.uses_reward_bounds() {
            return Err(LiveError::NeedsRewardBounds {
                policy: self.policy,
            });
        }
        if let Some((lo, hi)) = self.reward_bounds {
            // Bounded, so that the range `hi - lo` rewards are rescaled by is finite too.
            let bounded = |v: f64| v.abs() <= crate::params::MAX_MAGNITUDE;
            if !(bounded(lo) && bounded(hi) && lo < hi) {
                return Err(LiveError::Unsupported(format!(
                    "the reward range must be two numbers LO < HI, each at most 1e100 in \
                     magnitude, got {}, {}",
                    crate::params::show(lo),
                    crate::params::show(hi)
                )));
            }
        }
        Ok(())
    }
}

/// A live learner that cannot be built or used as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Policy(String),
    #[error(transparent)]
    Cost(#[from] CostError),
    #[error(
        "policy `{policy}` rescales rewards with their range, which measured costs do not fix in \
         advance; give it with --reward-bounds LO,HI"
    )]
    NeedsRewardBounds { policy: PolicySpec },
    /// What the device or cloud reported does not fit the decision.
    #[error("{0}")]
    Observed(String),
    #[error("observe() needs a decision: call choose() first")]
    NoDecision,
    #[error("a decision is waiting for its observation; save between samples")]
    Pending,
}
