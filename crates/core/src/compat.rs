//! Compatibility with published code: what each mode changes in a run, decided here once, so that
//! the command line, config files and the Python bindings imply the same (SPEC section 2).
//!
//! A mode changes only the policies it [`applies to`](Compat::applies_to) (the published
//! learner); baselines and the rest of the zoo run as without it.

use crate::arms::ArmSpace;
use crate::policy::{Family, LogCount, PolicyKind, PolicySpec};
use crate::reward::{Observation, RewardKind};
use serde::{Deserialize, Serialize};

/// Compatibility with published code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compat {
    /// The SplitEE scripts (AIMLSystems 2023), SPEC section 2. `script_cost` charges SplitEE the
    /// published script's `lambda + 0.8*lambda*i` (SplitEE-S and baselines keep `lambda*(i+1)`).
    #[serde(rename = "splitee-2023")]
    SplitEe2023 { script_cost: bool },
    /// The AdaEE code (Pacheco et al., ICC 2023; `pachecobeto95/UCBEE`, `pachecobeto95/EE_MAB`):
    /// UCB1 with bandit feedback learns the threshold at one exit (`threshold:K:splitee`) from
    /// the clipped confidence gain `max(C_L - C_k, 0) - o` on offload (0 on exit), with index
    /// `mean + c*sqrt(ln t / n)` (`t` the decisions so far), each arm played once first, over the
    /// grid 0, 0.2, ..., 1.
    #[serde(rename = "adaee-2023")]
    AdaEe2023,
}

/// The threshold grid of the AdaEE code, `np.arange(0, 1.1, 0.2)`, as decimals.
pub const ADAEE_THRESHOLDS: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];

/// The policies a run under AdaEE compatibility compares when none is named: the published
/// learner at exit 1, the best threshold there in hindsight and the final exit.
pub const ADAEE_POLICIES: [PolicySpec; 3] = [
    PolicySpec {
        kind: PolicyKind::SplitEe(()),
        arms: ArmSpace::ThresholdsAt(0),
        observation: None,
        contexts: None,
    },
    PolicySpec {
        kind: PolicyKind::BestFixed(()),
        arms: ArmSpace::ThresholdsAt(0),
        observation: None,
        contexts: None,
    },
    PolicySpec::FINAL_EXIT,
];

impl Compat {
    /// The mode's name, as `--compat` and `run.compat` take it.
    pub fn name(self) -> &'static str {
        match self {
            Self::SplitEe2023 { .. } => "splitee-2023",
            Self::AdaEe2023 => "adaee-2023",
        }
    }

    /// Whether the mode changes how `spec` learns: the published learner (SplitEE and
    /// SplitEE-S over the splits; AdaEE's UCB1 with bandit feedback over one exit's thresholds).
    pub fn applies_to(self, spec: &PolicySpec) -> bool {
        match self {
            Self::SplitEe2023 { .. } => spec.is_bandit(),
            Self::AdaEe2023 => {
                matches!(spec.arms, ArmSpace::ThresholdsAt(_)) && spec.family() == Family::SplitEe
            }
        }
    }

    /// Whether each arm is scored once on the first samples before the decisions, which then
    /// start again from the first sample (the SplitEE scripts). AdaEE's code instead plays each
    /// arm once as its first decisions, which UCB1 does anyway.
    pub fn warm_start(self) -> bool {
        matches!(self, Self::SplitEe2023 { .. })
    }

    /// The observation model the published learner runs under, when the mode fixes one: the
    /// SplitEE-S script reads `C_L` on every side update.
    pub fn observation(self) -> Option<Observation> {
        match self {
            Self::SplitEe2023 { .. } => Some(Observation::Oracle),
            Self::AdaEe2023 => None,
        }
    }

    /// Which count of decisions the published UCB index takes the logarithm of.
    pub fn log_count(self) -> LogCount {
        match self {
            Self::SplitEe2023 { .. } => LogCount::Including,
            Self::AdaEe2023 => LogCount::Previous,
        }
    }

    /// The reward the published code learns from, when it is not the run's choice.
    pub fn reward(self) -> Option<RewardKind> {
        match self {
            Self::SplitEe2023 { .. } => None,
            Self::AdaEe2023 => Some(RewardKind::ConfidenceGainClipped),
        }
    }

    /// The published threshold grid, when the mode has one (the default grid otherwise).
    pub fn thresholds(self) -> Option<&'static [f64]> {
        match self {
            Self::SplitEe2023 { .. } => None,
            Self::AdaEe2023 => Some(&ADAEE_THRESHOLDS),
        }
    }

    /// The policies compared when none is named, when the mode has its own.
    pub fn default_policies(self) -> Option<&'static [PolicySpec]> {
        match self {
            Self::SplitEe2023 { .. } => None,
            Self::AdaEe2023 => Some(&ADAEE_POLICIES),
        }
    }

    /// Refuses a setting the published code cannot have (the message names the mode and what to
    /// change): AdaEE learns a threshold, so SplitEE's UCB over the splits has no counterpart;
    /// its reward subtracts the overhead `o` itself, so `mu` stays 1.
    pub fn check_policy(self, spec: &PolicySpec) -> Result<(), String> {
        if self == Self::AdaEe2023 && spec.is_bandit() {
            return Err(format!(
                "compatibility mode adaee-2023 learns the threshold at one exit, not the split: \
                 use threshold:K:splitee instead of `{spec}`"
            ));
        }
        Ok(())
    }

    /// Refuses an observation model the published learner cannot run under, when `given`: the
    /// SplitEE-S script reads `C_L` on every side update.
    pub fn check_observation(self, observation: Observation) -> Result<(), String> {
        if self.observation() == Some(Observation::Oracle) && observation == Observation::Strict {
            return Err(format!(
                "compatibility mode {} reads C_L on every side update (oracle observation); \
                 drop the strict setting",
                self.name()
            ));
        }
        Ok(())
    }

    /// Refuses a cost model the published reported cost cannot price: the SplitEE script's
    /// `lambda + 0.8*lambda*i` needs the linear model's `lambda`.
    pub fn check_cost(self, linear_lambda: Option<f64>) -> Result<(), String> {
        if matches!(self, Self::SplitEe2023 { script_cost: true }) && linear_lambda.is_none() {
            return Err(
                "the published SplitEE cost formula needs the linear cost model; use \
                        compat_cost = \"linear\" or cost.model = \"linear\""
                    .into(),
            );
        }
        Ok(())
    }

    /// A mode by its name (`splitee-2023` with the published reported cost).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "splitee-2023" => Some(Self::SplitEe2023 { script_cost: true }),
            "adaee-2023" => Some(Self::AdaEe2023),
            _ => None,
        }
    }

    /// Refuses a cost weight the published reward does not have.
    pub fn check_mu(self, mu: f64) -> Result<(), String> {
        if self == Self::AdaEe2023 && mu != 1.0 {
            return Err(format!(
                "compatibility mode adaee-2023 subtracts the offloading cost o unweighted \
                 (max(C_L - C_k, 0) - o); drop mu = {mu} or set it to 1"
            ));
        }
        Ok(())
    }

    /// Refuses a reward other than the published one.
    pub fn check_reward(self, reward: RewardKind) -> Result<(), String> {
        match self.reward() {
            Some(published) if published != reward => Err(format!(
                "compatibility mode {} learns from the {published} reward; drop the {reward} \
                 setting",
                self.name()
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> PolicySpec {
        name.parse().unwrap()
    }

    #[test]
    fn each_mode_applies_to_its_published_learner_only() {
        let splitee = Compat::SplitEe2023 { script_cost: true };
        assert!(splitee.applies_to(&spec("splitee")));
        assert!(splitee.applies_to(&spec("splitee-s")));
        assert!(!splitee.applies_to(&spec("threshold:1:splitee")));
        let adaee = Compat::AdaEe2023;
        assert!(adaee.applies_to(&spec("threshold:1:splitee")));
        assert!(adaee.applies_to(&spec("threshold:4:splitee")));
        assert!(!adaee.applies_to(&spec("threshold:1:splitee-s")));
        assert!(!adaee.applies_to(&spec("threshold:1:ucb-v")));
        assert!(!adaee.applies_to(&spec("joint:splitee")));
        assert!(!adaee.applies_to(&spec("final-exit")));
    }

    #[test]
    fn adaee_refuses_what_its_code_cannot_do() {
        let adaee = Compat::AdaEe2023;
        assert_eq!(
            adaee.check_policy(&spec("splitee-s")).unwrap_err(),
            "compatibility mode adaee-2023 learns the threshold at one exit, not the split: use \
             threshold:K:splitee instead of `splitee-s`"
        );
        assert!(adaee.check_policy(&spec("threshold:2:splitee")).is_ok());
        assert!(adaee.check_mu(1.0).is_ok());
        assert!(adaee.check_mu(0.5).unwrap_err().contains("mu = 0.5"));
        assert!(adaee
            .check_reward(RewardKind::ConfidenceGainClipped)
            .is_ok());
        assert_eq!(
            adaee.check_reward(RewardKind::ConfidenceGain).unwrap_err(),
            "compatibility mode adaee-2023 learns from the confidence-gain-clipped reward; drop \
             the confidence-gain setting"
        );
        let splitee = Compat::SplitEe2023 { script_cost: false };
        assert!(splitee.check_reward(RewardKind::ConfidenceGain).is_ok());
        assert!(splitee.check_policy(&spec("splitee")).is_ok());
        assert!(splitee.check_mu(0.5).is_ok());
    }

    #[test]
    fn adaee_grid_policies_and_index_are_the_published_ones() {
        let adaee = Compat::AdaEe2023;
        assert_eq!(
            adaee.thresholds(),
            Some(&[0.0, 0.2, 0.4, 0.6, 0.8, 1.0][..])
        );
        let names: Vec<String> = adaee
            .default_policies()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            [
                "threshold:1:splitee",
                "threshold:1:best-fixed",
                "final-exit"
            ]
        );
        assert_eq!(adaee.log_count(), LogCount::Previous);
        assert_eq!(adaee.observation(), None);
        assert!(!adaee.warm_start());
        let splitee = Compat::SplitEe2023 { script_cost: true };
        assert_eq!(splitee.log_count(), LogCount::Including);
        assert_eq!(splitee.observation(), Some(Observation::Oracle));
        assert!(splitee.warm_start());
    }
}
