//! Policies: each decides an [`Action`] per sample and learns from [`Feedback`]. The simulator
//! owns the loop; a policy is one small type behind [`Policy`].
//!
//! Every family of policies is declared once, in its own file (a [`PolicyFamily`], and
//! [`Learns`] for the policy it builds), and listed once in the registry below; parsing and
//! printing names, help, building, saved states and the typed classification [`Family`] all read
//! it (the machinery is in `policy/registry.rs`). Adding a policy: a file with the policy type
//! (`Policy`, `Learns`) and its family (`PolicyFamily`), its `mod` line, and its lines in the
//! registry: the policy type under `policies` (what the replay loop dispatches on and a state
//! file names), the family under `families` (where help lists it).

mod agreement;
mod baseline;
mod bayes_ucb;
mod drift;
mod exp3;
mod index;
mod load_aware;
mod m_ucb;
mod per_context;
mod registry;
mod sampling;
mod stats;
#[cfg(test)]
mod testing;
mod ucb;
mod ucb_bwk;
mod uee_ucb;

pub use self::agreement::{
    AgreementStats, AgreementUcb, AgreementUcbParams, Weighted, DEFAULT_EPS,
};
pub use self::baseline::{DeviceOnly, FixedArm, RandomArm, RandomPerRun};
pub use self::bayes_ucb::{BayesUcb, BayesUcbParams};
pub use self::drift::{
    DiscountedUcb, DiscountedUcbParams, SlidingWindowUcb, SlidingWindowUcbParams,
};
pub use self::exp3::{Exp3, Exp3Ix};
pub use self::index::{KlUcb, KlUcbParams, UcbTuned, UcbV, KL_TOLERANCE};
pub use self::load_aware::{LoadPrice, QueueUcb, ThetaUcb};
pub use self::m_ucb::{MUcb, MUcbLearned, MUcbParams};
pub use self::per_context::{ContextLearned, ContextSharing, PerContext, PerContextLearned};
pub use self::registry::{Entry, Learns, Name, Nothing, PolicyFamily, Side};
pub use self::sampling::{
    EpsilonGreedy, EpsilonGreedyParams, Exploration, Thompson, ThompsonParams,
};
pub use self::ucb::{LogCount, SideInformation, Ucb, Ucb1Params};
pub use self::ucb_bwk::{UcbBwk, UcbBwkLearned};
pub use self::uee_ucb::{UeeUcb, UeeUcbParams};
pub use crate::param::Param;

use crate::arms::ArmSpace;
use crate::reward::{Action, Feedback, Observation};
use crate::trace::Trace;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A decision rule learning online from label-free feedback.
pub trait Policy: Send {
    /// The action for the sample at 0-based step `t`.
    fn choose(&mut self, t: usize) -> Action;

    /// Learns from what the decision revealed.
    fn observe(&mut self, feedback: &Feedback<'_>);

    /// Scores `arm` once before the main loop (the published code's warm start): the estimate is
    /// set but no decision is made.
    fn prime(&mut self, _arm: usize, _reward: f64) {}

    /// Per-arm reward sums and counts, for policies that keep them.
    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        None
    }

    /// The load the next decision is made under, told before [`Policy::choose`] by the queue
    /// simulator ([`crate::queue`]). Only load-aware policies read it; a policy never told
    /// decides as under [`Load::IDLE`].
    fn sense_load(&mut self, _load: Load) {}

    /// The context of the sample the next decision is made for (the trace's `context` column),
    /// told before [`Policy::choose`]. Only context-conditioned policies
    /// ([`PerContext`], `per-context:NAME`) read it; every other policy is one learner for all
    /// contexts.
    fn sense_context(&mut self, _context: &str) {}

    /// The probability with which the last [`Policy::choose`] (at 0-based step `t`, nothing
    /// observed since) played `action`: its propensity, which decision logs record so that
    /// other policies can be evaluated on them (`crate::ope`). A deterministic rule played it
    /// for sure, the default. Computing it never touches the generator `choose` draws from, so
    /// decisions are the same whether or not propensities are asked for.
    fn propensity(&self, _t: usize, _action: Action) -> f64 {
        1.0
    }
}

/// The device's load when it decides a sample: how many samples wait behind it, and whether its
/// buffer is full (a sample arriving while this one is served is lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Load {
    pub queue: usize,
    pub full: bool,
}

impl Load {
    /// No queue: what a learner outside the queue simulator sees.
    pub const IDLE: Self = Self {
        queue: 0,
        full: false,
    };
}

registry::registry! {
    // The policy types: what the replay loop dispatches on, and what a state file names.
    policies {
        Ucb(Ucb),
        Fixed(FixedArm),
        DeviceOnly(DeviceOnly),
        Random(RandomArm),
        RandomPerRun(RandomPerRun),
        UcbV(UcbV),
        UcbTuned(UcbTuned),
        KlUcb(KlUcb),
        Thompson(Thompson),
        EpsilonGreedy(EpsilonGreedy),
        Exp3(Exp3),
        Exp3Ix(Exp3Ix),
        SlidingWindowUcb(SlidingWindowUcb),
        DiscountedUcb(DiscountedUcb),
        BayesUcb(BayesUcb),
        UcbBwk(UcbBwk),
        MUcb(MUcb),
        QueueUcb(QueueUcb),
        ThetaUcb(ThetaUcb),
        AgreementUcb(AgreementUcb),
        UeeUcb(UeeUcb),
        PerContext(PerContext),
    }
    // The families, in the order help lists them.
    families {
        /// `splitee`: UCB1 with bandit feedback.
        SplitEe(ucb::SplitEe),
        /// `splitee-s`: UCB1 with side observations from shallower arms.
        SplitEeS(ucb::SplitEeS),
        /// `final-exit`: always the final exit (arm L).
        FinalExit(baseline::FinalExit),
        /// `device-ee`: walk exits on the device, stop at the first confident one, never offload.
        DeviceEe(baseline::DeviceEe),
        /// `random`: a uniformly random arm for each sample.
        Random(baseline::Random),
        /// `random-run`: one uniformly random arm for the whole run.
        RandomRun(baseline::RandomRun),
        /// `fixed:K`: always arm K (1-based, as users write it).
        Fixed(baseline::Fixed),
        /// `best-fixed`: always the best fixed arm in hindsight (an oracle).
        BestFixed(baseline::BestFixed),
        /// `ucb1:C`: UCB1 with its own exploration constant; the SplitEE policy itself.
        Ucb1(ucb::Ucb1),
        /// `ucb-v`: UCB-V.
        UcbV(UcbV),
        /// `ucb-tuned`: UCB1-Tuned.
        UcbTuned(UcbTuned),
        /// `kl-ucb[:c]`: KL-UCB.
        KlUcb(KlUcb),
        /// `bayes-ucb[:c]`: Bayes-UCB.
        BayesUcb(BayesUcb),
        /// `thompson[:S]`: Gaussian Thompson sampling.
        Thompson(Thompson),
        /// `eps-greedy:E`, `eps-greedy:decay[:C]`: epsilon-greedy.
        EpsGreedy(EpsilonGreedy),
        /// `exp3:G`: EXP3, bandit feedback only.
        Exp3(Exp3),
        /// `exp3-ix:ETA`: EXP3-IX, bandit feedback only.
        Exp3Ix(Exp3Ix),
        /// `sw-ucb:W[:C]`: sliding-window UCB.
        SwUcb(SlidingWindowUcb),
        /// `d-ucb:G[:C]`: discounted UCB.
        DUcb(DiscountedUcb),
        /// `m-ucb:W[:G]`: M-UCB, UCB1 restarted by a change detector.
        MUcb(MUcb),
        /// `ucb-bwk`: UCB-BwK, reward over cost.
        UcbBwk(UcbBwk),
        /// `queue-ucb[:W[:L]]`: UCB1 per queue length, sharing every sample across lengths.
        QueueUcb(QueueUcb),
        /// `theta-ucb[:W[:L]]`: UCB1 over the rules `arm = theta_2 - theta_1 q`.
        ThetaUcb(ThetaUcb),
        /// `agreement-ucb[:eps]`: the cheapest arm whose agreement with the final exit is
        /// bounded above `1 - eps`.
        AgreementUcb(AgreementUcb),
        /// `uee-ucb[:c]`: UEE-UCB, the exit learned from predictions (with the disagreement
        /// reward), with side observations.
        UeeUcb(UeeUcb),
    }
}

/// What [`POLICY_NAMES`] says after the families' forms.
const NAMES_TAIL: &str = " ([+s]: also with side observations); learners also \
                          as joint:NAME (every split x threshold; joint-ucb = joint:splitee-s), \
                          threshold:K:NAME, vector:K:NAME (per-exit threshold vectors over exits \
                          1..K) or alpha:A:NAME; side-observing ones with :strict, :unbiased or \
                          :oracle; any policy also as per-context:NAME (one learner per context of \
                          the trace's context column) or per-context-shared:NAME (each also \
                          learning from the other contexts' samples)";
const NAMES_LEN: usize = registry::help_len(ENTRIES, NAMES_TAIL);
const NAMES_BYTES: [u8; NAMES_LEN] = registry::help_bytes(ENTRIES, NAMES_TAIL);

/// The names accepted by [`PolicySpec::from_str`], for help and error messages: every family's
/// forms, in the registry's order, and how names combine.
pub const POLICY_NAMES: &str = match std::str::from_utf8(&NAMES_BYTES) {
    Ok(names) => names,
    Err(_) => panic!("policy help forms are UTF-8"),
};

/// A policy as named on the command line or in a config: a decision rule, the arms it learns
/// over and, for rules that learn from side observations, the observation model it runs under
/// when not the run's.
///
/// Names: `[per-context:|per-context-shared:][joint:|threshold:K:|vector:K:|alpha:A:]RULE`
/// `[:strict|:unbiased|:oracle]`, e.g.
/// `splitee-s:oracle`, `joint-ucb` (UCB1 with side observations over every (split, threshold)
/// pair), `joint:kl-ucb+s:unbiased`, `threshold:6:ucb-tuned+s`, `vector:3:agreement-ucb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicySpec {
    pub kind: PolicyKind,
    pub arms: ArmSpace,
    pub observation: Option<Observation>,
    /// One learner per context (`per-context:`), and whether they share samples; `None`: one
    /// learner for all contexts.
    pub contexts: Option<ContextSharing>,
}

impl From<PolicyKind> for PolicySpec {
    fn from(kind: PolicyKind) -> Self {
        Self::split(kind)
    }
}

impl PolicySpec {
    pub const SPLITEE: Self = Self::split(PolicyKind::SplitEe(()));
    pub const SPLITEE_S: Self = Self::split(PolicyKind::SplitEeS(()));
    pub const FINAL_EXIT: Self = Self::split(PolicyKind::FinalExit(()));
    pub const DEVICE_EE: Self = Self::split(PolicyKind::DeviceEe(()));
    pub const RANDOM: Self = Self::split(PolicyKind::Random(()));
    pub const BEST_FIXED: Self = Self::split(PolicyKind::BestFixed(()));

    /// `kind` over the split arms at the run's threshold, under the run's observation model.
    pub const fn split(kind: PolicyKind) -> Self {
        Self {
            kind,
            arms: ArmSpace::Splits,
            observation: None,
            contexts: None,
        }
    }
}

/// The observation-model suffixes of policy names.
const OBSERVATION_SUFFIXES: [(&str, Observation); 3] = [
    (":strict", Observation::Strict),
    (":unbiased", Observation::Unbiased),
    (":oracle", Observation::Oracle),
];

impl FromStr for PolicySpec {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        for sharing in [ContextSharing::Separate, ContextSharing::Shared] {
            if let Some(inner) = name.strip_prefix(sharing.prefix()) {
                let spec: Self = inner.parse().map_err(|e: String| {
                    if e.starts_with('`') {
                        e
                    } else {
                        format!("`{name}`: {e}")
                    }
                })?;
                if spec.contexts.is_some() {
                    return Err(format!("`{name}`: per-context learners do not nest"));
                }
                return Ok(Self {
                    contexts: Some(sharing),
                    ..spec
                });
            }
        }
        let (rest, observation) = OBSERVATION_SUFFIXES
            .iter()
            .find_map(|&(suffix, o)| name.strip_suffix(suffix).map(|rest| (rest, Some(o))))
            .unwrap_or((name, None));
        let (arms, rule) = if rest == "joint-ucb" {
            (ArmSpace::Joint, "splitee-s")
        } else if let Some(rule) = rest.strip_prefix("joint:") {
            (ArmSpace::Joint, rule)
        } else if let Some(tail) = rest.strip_prefix("threshold:") {
            let (k, rule) = tail.split_once(':').unwrap_or((tail, ""));
            match k.parse::<usize>() {
                Ok(k) if k >= 1 => (ArmSpace::ThresholdsAt(k - 1), rule),
                _ => {
                    return Err(format!(
                        "`{name}`: K in threshold:K:NAME must be an exit number >= 1"
                    ))
                }
            }
        } else if let Some(tail) = rest.strip_prefix("vector:") {
            let (k, rule) = tail.split_once(':').unwrap_or((tail, ""));
            match k.parse::<usize>() {
                Ok(k) if k >= 1 => (ArmSpace::VectorsAt(k - 1), rule),
                _ => {
                    return Err(format!(
                        "`{name}`: K in vector:K:NAME must be an exit number >= 1"
                    ))
                }
            }
        } else if let Some(tail) = rest.strip_prefix("alpha:") {
            let (a, rule) = tail.split_once(':').unwrap_or((tail, ""));
            match a
                .parse::<f64>()
                .ok()
                .filter(|&a| crate::params::ALPHA.rule.accepts(a))
            {
                Some(a) => (
                    ArmSpace::SplitsAt(Param::new(a).unwrap_or(Param::ONE)),
                    rule,
                ),
                None => {
                    return Err(format!(
                        "`{name}`: A in alpha:A:NAME must be a threshold in (0, 1]"
                    ))
                }
            }
        } else {
            (ArmSpace::Splits, rest)
        };
        let kind: PolicyKind = rule.parse().map_err(|e: String| {
            if rule == rest {
                e
            } else {
                format!("`{name}`: {e}")
            }
        })?;
        if arms != ArmSpace::Splits && !kind.takes_arm_set() {
            return Err(format!(
                "`{name}`: `{kind}` plays fixed splits; joint:, threshold:K:, vector:K: and \
                 alpha:A: apply to learning policies, random, random-run and best-fixed"
            ));
        }
        if observation.is_some() && !kind.observes_side() {
            return Err(format!(
                "`{name}`: an observation model (:strict, :unbiased, :oracle) applies only to \
                 policies with side observations (splitee-s or an index policy with +s)"
            ));
        }
        Ok(Self {
            kind,
            arms,
            observation,
            contexts: None,
        })
    }
}

impl fmt::Display for PolicySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(sharing) = self.contexts {
            f.write_str(sharing.prefix())?;
        }
        match (self.arms, self.kind) {
            (ArmSpace::Splits, kind) => write!(f, "{kind}")?,
            (ArmSpace::Joint, PolicyKind::SplitEeS(())) => f.write_str("joint-ucb")?,
            (ArmSpace::Joint, kind) => write!(f, "joint:{kind}")?,
            (ArmSpace::ThresholdsAt(k), kind) => write!(f, "threshold:{}:{kind}", k + 1)?,
            (ArmSpace::VectorsAt(k), kind) => write!(f, "vector:{}:{kind}", k + 1)?,
            (ArmSpace::SplitsAt(alpha), kind) => write!(f, "alpha:{alpha}:{kind}")?,
        }
        match self.observation {
            Some(o) => {
                let suffix = OBSERVATION_SUFFIXES.iter().find(|(_, x)| *x == o);
                f.write_str(suffix.map_or("", |(s, _)| s))
            }
            None => Ok(()),
        }
    }
}

impl FromStr for PolicyKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = Name::split(name);
        match Family::named(name.family) {
            Some(family) => Self::parse_as(family, &name),
            None => Err(name.unknown()),
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl Serialize for PolicySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PolicySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// What a policy needs to know to start a run.
#[derive(Debug, Clone, Copy)]
pub struct RunContext {
    /// How many arms the policy chooses among.
    pub arms: usize,
    /// The best fixed arm in hindsight on this run's samples.
    pub best_arm: usize,
    /// Seed for the policy's own randomness in this run.
    pub seed: u64,
    /// UCB exploration constant `c`.
    pub ucb_c: f64,
    /// Which count of decisions UCB1's index takes the logarithm of (compatibility modes
    /// differ).
    pub log_count: LogCount,
    /// The range every reward of this run lies in (from the cost model: confidences are in
    /// [0, 1]), for policies that rescale rewards to [0, 1].
    pub reward_bounds: (f64, f64),
}

impl PolicyKind {
    /// Whether the rule chooses among a set of arms (any set), rather than playing a split of its
    /// own.
    pub fn takes_arm_set(&self) -> bool {
        self.family().entry().arm_set
    }

    /// Whether the rule learns from side observations of other arms.
    pub fn observes_side(&self) -> bool {
        self.side() == SideInformation::Shallower
    }
}

impl PolicySpec {
    /// Whether the policy learns a split with the published UCB index (and takes the
    /// compatibility warm start).
    pub fn is_bandit(&self) -> bool {
        self.arms == ArmSpace::Splits
            && self.contexts.is_none()
            && matches!(self.family(), Family::SplitEe | Family::SplitEeS)
    }

    /// The policy's family.
    pub fn family(&self) -> Family {
        self.kind.family()
    }

    /// The observation model this policy runs under, given the run's.
    pub fn observation(&self, run_default: Observation) -> Observation {
        self.observation.unwrap_or(run_default)
    }

    /// Checks the spec against a trace's number of exits and the size of the threshold grid.
    pub fn validate(&self, exits: usize, thresholds: usize) -> Result<(), String> {
        let deepest = match self.arms {
            // A threshold's split, and a vector's, must be able to offload: the final exit comes
            // after it (at the final exit every sample leaves, whatever the threshold).
            ArmSpace::ThresholdsAt(k) | ArmSpace::VectorsAt(k) => k + 2,
            _ => self.kind.exits_needed(),
        };
        if deepest > exits {
            let can = match exits {
                0 | 1 => "no split can".to_owned(),
                2 => "so K must be 1".to_owned(),
                _ => format!("so K must be 1 to {}", exits - 1),
            };
            return Err(match self.arms {
                ArmSpace::ThresholdsAt(_) => format!(
                    "policy `{self}`: a threshold is learned at a split that can exit early or \
                     offload, before the final exit; the trace has {exits} exits, {can}"
                ),
                ArmSpace::VectorsAt(_) => format!(
                    "policy `{self}`: threshold vectors end at a split that can offload, before \
                     the final exit; the trace has {exits} exits, {can}"
                ),
                _ => format!("policy `{self}`: the trace has only {exits} exits"),
            });
        }
        self.arms
            .check_size(thresholds)
            .map_err(|e| format!("policy `{self}`: {e}"))
    }

    /// Checks the spec against the trace it is to run on: its exits and the size of the
    /// threshold grid ([`PolicySpec::validate`]), and, for a per-context policy, the trace's
    /// context column: without one every sample would go to one learner, silently the policy
    /// without `per-context:`.
    pub fn check_trace(&self, trace: &Trace, thresholds: usize) -> Result<(), String> {
        self.validate(trace.exits(), thresholds)?;
        if self.contexts.is_some() && trace.contexts().is_none() {
            return Err(format!(
                "policy `{self}` needs a trace with a context column; {} has none",
                trace.source().display()
            ));
        }
        Ok(())
    }

    /// Refuses a sample without a context (`context` is `None`) for a per-context policy, as
    /// [`PolicySpec::check_trace`] refuses a trace without a context column; a live learner
    /// checks every sample with it.
    pub fn check_sample_context(&self, context: Option<&str>) -> Result<(), String> {
        match (self.contexts, context) {
            (Some(_), None) => Err(format!(
                "policy `{self}` needs every sample's context, and this one has none"
            )),
            _ => Ok(()),
        }
    }

    /// A fresh policy for one run over `ctx.arms` arms.
    pub fn build(&self, ctx: &RunContext) -> AnyPolicy {
        match self.contexts {
            Some(sharing) => PerContext::new(self.kind, ctx, sharing).into(),
            None => self.kind.build(ctx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "splitee",
            "splitee-s",
            "splitee-s:oracle",
            "splitee-s:strict",
            "final-exit",
            "device-ee",
            "random",
            "random-run",
            "fixed:3",
            "best-fixed",
        ] {
            assert_eq!(name.parse::<PolicySpec>().unwrap().to_string(), name);
        }
    }

    #[test]
    fn arm_set_and_observation_names_round_trip() {
        for name in [
            "joint-ucb",
            "joint-ucb:unbiased",
            "joint-ucb:oracle",
            "joint:splitee",
            "joint:kl-ucb+s:strict",
            "joint:exp3:0.1",
            "joint:best-fixed",
            "threshold:6:ucb-tuned+s",
            "threshold:2:splitee-s:unbiased",
            "alpha:0.8:splitee-s",
            "alpha:0.55:ucb1:2+s:oracle",
            "kl-ucb+s:unbiased",
            "vector:3:splitee-s",
            "vector:2:agreement-ucb:unbiased",
            "joint:agreement-ucb:0.05",
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            assert_eq!(spec.to_string(), name);
        }
        assert_eq!(
            "vector:3:splitee".parse::<PolicySpec>().unwrap().arms,
            ArmSpace::VectorsAt(2)
        );
        // The default eps is left out, as other defaults are.
        assert_eq!(
            "agreement-ucb:0.015"
                .parse::<PolicySpec>()
                .unwrap()
                .to_string(),
            "agreement-ucb"
        );
        let spec: PolicySpec = "joint:splitee-s:unbiased".parse().unwrap();
        assert_eq!(spec.to_string(), "joint-ucb:unbiased");
        assert_eq!(spec.arms, ArmSpace::Joint);
        assert_eq!(spec.observation, Some(Observation::Unbiased));
        assert_eq!(
            "threshold:3:splitee".parse::<PolicySpec>().unwrap().arms,
            ArmSpace::ThresholdsAt(2)
        );
    }

    #[test]
    fn arm_set_and_observation_errors_name_the_problem() {
        let err = |name: &str| name.parse::<PolicySpec>().unwrap_err();
        assert!(err("joint:final-exit").contains("plays fixed splits"));
        assert!(err("threshold:0:splitee").contains("K in threshold:K:NAME"));
        assert!(err("vector:0:splitee").contains("K in vector:K:NAME"));
        assert!(err("vector:2:final-exit").contains("plays fixed splits"));
        assert!(err("agreement-ucb+s").starts_with("unknown policy"));
        assert!(err("agreement-ucb:0").contains("eps"));
        assert!(err("alpha:1.5:splitee").contains("A in alpha:A:NAME"));
        assert!(err("splitee:oracle").contains("applies only to policies with side"));
        assert!(err("joint:exp3:0.1:unbiased").contains("applies only to policies with side"));
        assert!(err("joint:nope").starts_with("`joint:nope`: unknown policy `nope`"));
    }

    #[test]
    fn rejects_unknown_and_bad_fixed() {
        assert!("ucb9"
            .parse::<PolicySpec>()
            .unwrap_err()
            .starts_with("unknown policy `ucb9`"));
        assert!("fixed:0".parse::<PolicySpec>().is_err());
        assert!("fixed:x".parse::<PolicySpec>().is_err());
        assert!(PolicySpec::split(PolicyKind::Fixed(13))
            .validate(12, 10)
            .is_err());
        assert!("threshold:13:splitee"
            .parse::<PolicySpec>()
            .unwrap()
            .validate(12, 10)
            .is_err());
        assert!("threshold:11:splitee"
            .parse::<PolicySpec>()
            .unwrap()
            .validate(12, 10)
            .is_ok());
        assert_eq!(
            "threshold:12:splitee"
                .parse::<PolicySpec>()
                .unwrap()
                .validate(12, 10)
                .unwrap_err(),
            "policy `threshold:12:splitee`: a threshold is learned at a split that can exit \
             early or offload, before the final exit; the trace has 12 exits, so K must be 1 to 11"
        );
        assert!("threshold:1:splitee"
            .parse::<PolicySpec>()
            .unwrap()
            .validate(2, 10)
            .is_ok());
        assert!("threshold:2:splitee"
            .parse::<PolicySpec>()
            .unwrap()
            .validate(2, 10)
            .unwrap_err()
            .ends_with("the trace has 2 exits, so K must be 1"));
        let vector =
            |name: &str, thresholds| name.parse::<PolicySpec>().unwrap().validate(4, thresholds);
        assert!(vector("vector:3:splitee-s", 10).is_ok());
        assert_eq!(
            vector("vector:4:splitee-s", 2).unwrap_err(),
            "policy `vector:4:splitee-s`: threshold vectors end at a split that can offload, \
             before the final exit; the trace has 4 exits, so K must be 1 to 3"
        );
        assert!(vector("vector:3:splitee-s", 41)
            .unwrap_err()
            .contains("41 thresholds over 3 exits make 68922 arms"));
    }

    #[test]
    fn zoo_names_round_trip() {
        for name in [
            "ucb1:0.5",
            "ucb1:2+s",
            "ucb1:0",
            "ucb-v",
            "ucb-v+s",
            "ucb-tuned",
            "ucb-tuned+s",
            "kl-ucb",
            "kl-ucb:3",
            "kl-ucb+s",
            "thompson",
            "thompson:0.25+s",
            "eps-greedy:0.1",
            "eps-greedy:0+s",
            "eps-greedy:1",
            "eps-greedy:decay",
            "eps-greedy:decay:5+s",
            "exp3:0.1",
            "exp3:1",
            "exp3-ix:0.05",
            "sw-ucb:500",
            "sw-ucb:500+s",
            "sw-ucb:500:0.25",
            "sw-ucb:500:0+s",
            "d-ucb:0.99",
            "d-ucb:0.999+s",
            "d-ucb:0.99:2+s",
            "joint:sw-ucb:500:0.5+s:unbiased",
            "uee-ucb",
            "uee-ucb:0.5",
            "uee-ucb:oracle",
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            assert_eq!(spec.to_string(), name);
            assert_eq!(spec.to_string().parse::<PolicySpec>().unwrap(), spec);
        }
        // Defaults and equivalent spellings print in one canonical form.
        for (name, canonical) in [
            ("kl-ucb:0", "kl-ucb"),
            ("eps-greedy:decay:1", "eps-greedy:decay"),
            ("exp3:0.10", "exp3:0.1"),
            ("ucb1:-0", "ucb1:0"),
            ("d-ucb:9.9e-1", "d-ucb:0.99"),
            ("sw-ucb:500:1.0", "sw-ucb:500:1"),
        ] {
            assert_eq!(name.parse::<PolicySpec>().unwrap().to_string(), canonical);
        }
    }

    #[test]
    fn zoo_parameters_are_validated() {
        let err = |name: &str| name.parse::<PolicySpec>().unwrap_err();
        for (name, names) in [
            ("exp3:2", "gamma"),
            ("exp3:0", "gamma"),
            ("exp3", "gamma"),
            ("exp3-ix:0", "eta"),
            ("exp3-ix:-1", "eta"),
            ("eps-greedy:1.5", "epsilon"),
            ("eps-greedy:-0.1", "epsilon"),
            ("eps-greedy", "epsilon"),
            ("eps-greedy:decay:0", "decay constant"),
            ("eps-greedy:decay:x", "decay constant"),
            ("sw-ucb:0", "window W"),
            ("sw-ucb:1.5", "window W"),
            ("sw-ucb", "window W"),
            ("d-ucb:1.2", "discount G (gamma)"),
            ("d-ucb:1", "discount G (gamma)"),
            ("d-ucb:0", "discount G (gamma)"),
            ("sw-ucb:500:-1", "UCB constant C in sw-ucb:W:C"),
            ("sw-ucb:500:", "UCB constant C in sw-ucb:W:C"),
            ("sw-ucb:x:1", "window W"),
            ("d-ucb:0.99:x", "UCB constant C in d-ucb:G:C"),
            ("d-ucb:2:1", "discount G (gamma)"),
            ("kl-ucb:x", "exploration constant c"),
            ("kl-ucb:-1", "exploration constant c"),
            ("kl-ucb:nan", "exploration constant c"),
            ("ucb1:inf", "exploration constant C"),
            ("ucb1", "exploration constant C"),
            ("thompson:0", "posterior scale S"),
            ("exp3+s", "side observations (+s)"),
            ("exp3-ix:0.1+s", "side observations (+s)"),
            ("ucb-v:2", "takes no parameter"),
        ] {
            let message = err(name);
            assert!(message.starts_with(&format!("`{name}`: ")), "{message}");
            assert!(message.contains(names), "{name}: {message}");
        }
        assert!(err("splitee+s").starts_with("unknown policy"));
        assert!(err("uee-ucb+s").starts_with("unknown policy"));
        assert!(err("uee-ucb:-1").contains("exploration constant c in uee-ucb:c"));
        assert!(err("ucb2:1").starts_with("unknown policy"));
    }

    /// The propensity a policy reports for each arm, after a choice, is the frequency with
    /// which it chooses that arm from the same state (Thompson sampling's within its Monte
    /// Carlo error); deterministic rules report 1 for the arm they play.
    #[test]
    fn propensities_are_the_frequencies_of_the_choices() {
        use super::testing::Bench;
        use rand::{RngExt, SeedableRng};
        let draws = 20_000;
        // (name, how far the reported propensities may be from the frequencies), or for rules
        // that play one arm from this state, the propensity they report for it.
        for (name, tolerance, exactly) in [
            ("random", 0.015, None),
            ("eps-greedy:0.3", 0.015, None),
            ("eps-greedy:decay:5+s", 0.015, None),
            ("exp3:0.2", 0.015, None),
            ("exp3-ix:0.5", 0.015, None),
            ("thompson", 0.08, None),
            ("thompson:0.05+s", 0.08, None),
            // Over runs: the draw that decides the whole run.
            ("random-run", 0.0, Some(0.2)),
            ("splitee-s", 0.0, Some(1.0)),
            ("kl-ucb", 0.0, Some(1.0)),
            ("fixed:2", 0.0, Some(1.0)),
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            let mut bench = Bench::new(5);
            let mut policy = spec.build(&bench.context(7));
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
            for t in 0..60 {
                let conf: Vec<f64> = (0..5).map(|_| rng.random::<f64>()).collect();
                bench.step(
                    &mut policy,
                    t,
                    &conf,
                    None,
                    crate::reward::Observation::Strict,
                );
            }
            let chosen = policy.choose(60);
            let propensity = |policy: &AnyPolicy, arm| policy.propensity(60, Action::Split(arm));
            let reported: Vec<f64> = (0..5).map(|arm| propensity(&policy, arm)).collect();
            let mut counts = [0usize; 5];
            let mut clone = policy.clone();
            for _ in 0..draws {
                if let Action::Split(arm) = clone.choose(60) {
                    counts[arm] += 1;
                }
            }
            let Action::Split(chosen) = chosen else {
                panic!("{name} plays an arm")
            };
            if let Some(p) = exactly {
                assert_eq!(counts[chosen], draws as usize, "{name} plays one arm");
                assert_eq!(reported[chosen], p, "{name}");
                continue;
            }
            for arm in 0..5 {
                let frequency = counts[arm] as f64 / f64::from(draws);
                // A closed-form propensity is right for every arm; Thompson's estimate is
                // meant only for the arm it played, but is a fair estimate for any.
                assert!(
                    (reported[arm] - frequency).abs() <= tolerance,
                    "{name}, arm {arm}: reported {} vs frequency {frequency}",
                    reported[arm]
                );
            }
        }
    }

    /// The help list is generated from the registry, and reads as it did when it was written
    /// by hand.
    #[test]
    fn policy_names_come_from_the_registry() {
        assert_eq!(
            POLICY_NAMES,
            "splitee, splitee-s, final-exit, device-ee, random, random-run, fixed:K, \
             best-fixed, ucb1:C[+s], ucb-v[+s], ucb-tuned[+s], kl-ucb[:c][+s], \
             bayes-ucb[:c][+s], thompson[:S][+s], eps-greedy:E, eps-greedy:decay[:C][+s], \
             exp3:G, exp3-ix:ETA, sw-ucb:W[:C][+s], d-ucb:G[:C][+s], m-ucb:W[:G], ucb-bwk, \
             queue-ucb[:W[:L]][+s], theta-ucb[:W[:L]][+s], agreement-ucb[:eps], uee-ucb[:c] \
             ([+s]: also with side observations); learners also as \
             joint:NAME (every split x threshold; joint-ucb = joint:splitee-s), threshold:K:NAME, \
             vector:K:NAME (per-exit threshold vectors over exits 1..K) or \
             alpha:A:NAME; side-observing ones with :strict, :unbiased or :oracle; any policy \
             also as per-context:NAME (one learner per context of the trace's context column) \
             or per-context-shared:NAME (each also learning from the other contexts' samples)"
        );
        for family in Family::ALL {
            assert!(POLICY_NAMES.contains(family.entry().help), "{family:?}");
        }
    }

    /// A name of every family: its family is the one whose name it starts with, and what the
    /// registry says of the family holds for it.
    #[test]
    fn every_family_is_found_by_its_name_and_keeps_its_entry() {
        let names = [
            "splitee",
            "splitee-s",
            "final-exit",
            "device-ee",
            "random",
            "random-run",
            "fixed:2",
            "best-fixed",
            "ucb1:2",
            "ucb-v",
            "ucb-tuned",
            "kl-ucb:1",
            "bayes-ucb:1",
            "thompson",
            "eps-greedy:decay",
            "exp3:0.1",
            "exp3-ix:0.1",
            "sw-ucb:9",
            "d-ucb:0.9",
            "m-ucb:10",
            "ucb-bwk",
            "queue-ucb:0.1",
            "theta-ucb",
            "agreement-ucb:0.05",
            "uee-ucb:2",
        ];
        let mut seen = Vec::new();
        for name in names {
            let kind: PolicyKind = name.parse().unwrap();
            let family = kind.family();
            let entry = family.entry();
            assert_eq!(Family::named(entry.name), Some(family));
            assert!(name.starts_with(entry.name), "{name}");
            assert_eq!(kind.takes_arm_set(), entry.arm_set, "{name}");
            assert_eq!(kind.uses_reward_bounds(), entry.reward_bounds, "{name}");
            assert_eq!(kind.observes_side(), entry.side == Side::Always, "{name}");
            let sided = format!("{name}+s").parse::<PolicyKind>();
            assert_eq!(sided.is_ok(), entry.side == Side::Optional, "{name}+s");
            let marked = format!("{}{}", entry.help, registry::SIDE_MARK);
            assert_eq!(
                POLICY_NAMES.contains(&marked),
                entry.side == Side::Optional,
                "the help marks {name} as taking +s exactly when it does"
            );
            if let Ok(sided) = sided {
                assert!(
                    sided.observes_side() && sided.family() == family,
                    "{name}+s"
                );
            }
            seen.push(family);
        }
        assert_eq!(
            seen,
            Family::ALL,
            "one name per family, in the registry's order"
        );
        // A scale of its own spares Thompson sampling the reward range.
        assert!(!"thompson:0.5"
            .parse::<PolicyKind>()
            .unwrap()
            .uses_reward_bounds());
        assert_eq!(PolicySpec::SPLITEE_S.family(), Family::SplitEeS);
        assert!(PolicySpec::SPLITEE_S.is_bandit());
        assert!(!"joint-ucb".parse::<PolicySpec>().unwrap().is_bandit());
    }
}
