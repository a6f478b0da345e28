//! Policies: each decides an [`Action`] per sample and learns from [`Feedback`]. The simulator
//! owns the loop; a policy is one small type behind [`Policy`].

mod baseline;
mod drift;
mod exp3;
mod index;
mod params;
mod sampling;
mod stats;
#[cfg(test)]
mod testing;
mod ucb;

pub use self::baseline::{DeviceOnly, FixedArm, RandomArm, RandomPerRun};
pub use self::drift::{DiscountedUcb, SlidingWindowUcb};
pub use self::exp3::{Exp3, Exp3Ix};
pub use self::index::{KlUcb, UcbTuned, UcbV, KL_TOLERANCE};
pub use self::sampling::{EpsilonGreedy, Exploration, Thompson};
pub use self::ucb::{SideInformation, Ucb};
pub use crate::param::Param;

use self::params::{own_constant, side_suffix};
use crate::arms::ArmSpace;
use crate::reward::{Action, Feedback, Observation};
use serde::{Deserialize, Serialize, Serializer};
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
}

/// Restoring a policy from a saved state: `self` was read back from a file, `fresh` is the same
/// policy as the current settings build it. Checks that the two share their settings and that
/// the saved data fits them (lengths, finite values, consistent counts after `steps`
/// decisions), and rebuilds what a state does not store.
pub(crate) trait Restore {
    fn restore(&mut self, fresh: &Self, steps: u64) -> Result<(), String>;
}

/// A policy as named on the command line or in a config: a decision rule, the arms it learns
/// over and, for rules that learn from side observations, the observation model it runs under
/// when not the run's.
///
/// Names: `[joint:|threshold:K:]RULE[:strict|:unbiased|:oracle]`, e.g. `splitee-s:oracle`,
/// `joint-ucb` (UCB1 with side observations over every (split, threshold) pair),
/// `joint:kl-ucb+s:unbiased`, `threshold:6:ucb-tuned+s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicySpec {
    pub kind: PolicyKind,
    pub arms: ArmSpace,
    pub observation: Option<Observation>,
}

impl From<PolicyKind> for PolicySpec {
    fn from(kind: PolicyKind) -> Self {
        Self {
            kind,
            arms: ArmSpace::Splits,
            observation: None,
        }
    }
}

impl PolicySpec {
    pub const SPLITEE: Self = Self::split(PolicyKind::SplitEe);
    pub const SPLITEE_S: Self = Self::split(PolicyKind::SplitEeS);
    pub const FINAL_EXIT: Self = Self::split(PolicyKind::FinalExit);
    pub const DEVICE_EE: Self = Self::split(PolicyKind::DeviceEe);
    pub const RANDOM: Self = Self::split(PolicyKind::Random);

    /// `kind` over the split arms at the run's threshold, under the run's observation model.
    pub const fn split(kind: PolicyKind) -> Self {
        Self {
            kind,
            arms: ArmSpace::Splits,
            observation: None,
        }
    }
}

/// A decision rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// UCB1 with bandit feedback.
    SplitEe,
    /// UCB1 with side observations from shallower arms.
    SplitEeS,
    /// Always the final exit (arm L).
    FinalExit,
    /// Walk exits on the device, stop at the first confident one, never offload.
    DeviceEe,
    /// A uniformly random arm for each sample.
    Random,
    /// One uniformly random arm for the whole run.
    RandomRun,
    /// Always arm K (1-based, as users write it).
    Fixed(usize),
    /// Always the best fixed arm in hindsight (an oracle: zero regret by definition).
    BestFixed,
    /// UCB1 with its own exploration constant (`ucb1:C`); the SplitEE policy itself.
    Ucb1 { c: Param, side: SideInformation },
    /// UCB-V (`ucb-v`).
    UcbV { side: SideInformation },
    /// UCB1-Tuned (`ucb-tuned`).
    UcbTuned { side: SideInformation },
    /// KL-UCB (`kl-ucb`, `kl-ucb:c`; `c = 0` by default).
    KlUcb { c: Param, side: SideInformation },
    /// Gaussian Thompson sampling (`thompson`, `thompson:S`); `sigma` defaults to the width of
    /// the run's reward range.
    Thompson {
        sigma: Option<Param>,
        side: SideInformation,
    },
    /// Epsilon-greedy (`eps-greedy:E`, `eps-greedy:decay`, `eps-greedy:decay:C`).
    EpsGreedy {
        epsilon: Exploration,
        side: SideInformation,
    },
    /// EXP3 (`exp3:G`), bandit feedback only.
    Exp3 { gamma: Param },
    /// EXP3-IX (`exp3-ix:ETA`), bandit feedback only.
    Exp3Ix { eta: Param },
    /// Sliding-window UCB over the last `window` observations (`sw-ucb:W`, `sw-ucb:W:C` with
    /// its own UCB constant instead of the run's).
    SwUcb {
        window: usize,
        c: Option<Param>,
        side: SideInformation,
    },
    /// Discounted UCB (`d-ucb:G`, `d-ucb:G:C` with its own UCB constant).
    DUcb {
        gamma: Param,
        c: Option<Param>,
        side: SideInformation,
    },
}

/// The names accepted by [`PolicySpec::from_str`], for help and error messages.
pub const POLICY_NAMES: &str = "splitee, splitee-s, final-exit, device-ee, random, random-run, \
                                 fixed:K, best-fixed, ucb1:C, ucb-v, ucb-tuned, kl-ucb[:c], \
                                 thompson[:S], eps-greedy:E, eps-greedy:decay[:C], exp3:G, \
                                 exp3-ix:ETA, sw-ucb:W[:C], d-ucb:G[:C] (index policies also with +s for \
                                 side observations); learners also as joint:NAME (every split x \
                                 threshold; joint-ucb = joint:splitee-s), threshold:K:NAME or \
                                 alpha:A:NAME; \
                                 side-observing ones with :strict, :unbiased or :oracle";

/// The observation-model suffixes of policy names.
const OBSERVATION_SUFFIXES: [(&str, Observation); 3] = [
    (":strict", Observation::Strict),
    (":unbiased", Observation::Unbiased),
    (":oracle", Observation::Oracle),
];

impl FromStr for PolicySpec {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
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
                "`{name}`: `{kind}` plays fixed splits; joint:, threshold:K: and alpha:A: apply \
                 to learning policies, random, random-run and best-fixed"
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
        })
    }
}

impl fmt::Display for PolicySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.arms, self.kind) {
            (ArmSpace::Splits, kind) => write!(f, "{kind}")?,
            (ArmSpace::Joint, PolicyKind::SplitEeS) => f.write_str("joint-ucb")?,
            (ArmSpace::Joint, kind) => write!(f, "joint:{kind}")?,
            (ArmSpace::ThresholdsAt(k), kind) => write!(f, "threshold:{}:{kind}", k + 1)?,
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
        let kind = match name {
            "splitee" => Self::SplitEe,
            "splitee-s" => Self::SplitEeS,
            "final-exit" => Self::FinalExit,
            "device-ee" => Self::DeviceEe,
            "random" => Self::Random,
            "random-run" => Self::RandomRun,
            "best-fixed" => Self::BestFixed,
            _ => match name.strip_prefix("fixed:") {
                Some(k) => match k.parse::<usize>() {
                    Ok(k) if k >= 1 => Self::Fixed(k),
                    _ => {
                        return Err(format!(
                            "`{name}`: K in fixed:K must be an exit number >= 1"
                        ))
                    }
                },
                None => match params::parse_zoo(name) {
                    Some(kind) => kind?,
                    None => return Err(format!("unknown policy `{name}` (known: {POLICY_NAMES})")),
                },
            },
        };
        Ok(kind)
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SplitEe => f.write_str("splitee"),
            Self::SplitEeS => f.write_str("splitee-s"),
            Self::FinalExit => f.write_str("final-exit"),
            Self::DeviceEe => f.write_str("device-ee"),
            Self::Random => f.write_str("random"),
            Self::RandomRun => f.write_str("random-run"),
            Self::Fixed(k) => write!(f, "fixed:{k}"),
            Self::BestFixed => f.write_str("best-fixed"),
            Self::Ucb1 { c, side } => write!(f, "ucb1:{c}{}", side_suffix(*side)),
            Self::UcbV { side } => write!(f, "ucb-v{}", side_suffix(*side)),
            Self::UcbTuned { side } => write!(f, "ucb-tuned{}", side_suffix(*side)),
            Self::KlUcb { c, side } if c.get() == 0.0 => write!(f, "kl-ucb{}", side_suffix(*side)),
            Self::KlUcb { c, side } => write!(f, "kl-ucb:{c}{}", side_suffix(*side)),
            Self::Thompson { sigma: None, side } => write!(f, "thompson{}", side_suffix(*side)),
            Self::Thompson {
                sigma: Some(s),
                side,
            } => write!(f, "thompson:{s}{}", side_suffix(*side)),
            Self::EpsGreedy { epsilon, side } => {
                let side = side_suffix(*side);
                match epsilon {
                    Exploration::Fixed(e) => write!(f, "eps-greedy:{e}{side}"),
                    Exploration::Decaying(c) if c.get() == 1.0 => {
                        write!(f, "eps-greedy:decay{side}")
                    }
                    Exploration::Decaying(c) => write!(f, "eps-greedy:decay:{c}{side}"),
                }
            }
            Self::Exp3 { gamma } => write!(f, "exp3:{gamma}"),
            Self::Exp3Ix { eta } => write!(f, "exp3-ix:{eta}"),
            Self::SwUcb { window, c, side } => {
                write!(
                    f,
                    "sw-ucb:{window}{}{}",
                    own_constant(*c),
                    side_suffix(*side)
                )
            }
            Self::DUcb { gamma, c, side } => {
                write!(f, "d-ucb:{gamma}{}{}", own_constant(*c), side_suffix(*side))
            }
        }
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
    /// The range every reward of this run lies in (from the cost model: confidences are in
    /// [0, 1]), for policies that rescale rewards to [0, 1].
    pub reward_bounds: (f64, f64),
}

impl PolicyKind {
    /// Whether the rule chooses among a set of arms (any set), rather than playing a split of its
    /// own.
    pub fn takes_arm_set(&self) -> bool {
        !matches!(self, Self::FinalExit | Self::DeviceEe | Self::Fixed(_))
    }

    /// Whether the rule rescales rewards with the run's reward range
    /// ([`RunContext::reward_bounds`]).
    pub fn uses_reward_bounds(&self) -> bool {
        matches!(
            self,
            Self::UcbV { .. }
                | Self::UcbTuned { .. }
                | Self::KlUcb { .. }
                | Self::Thompson { sigma: None, .. }
                | Self::Exp3 { .. }
                | Self::Exp3Ix { .. }
        )
    }

    /// Whether the rule learns from side observations of other arms.
    pub fn observes_side(&self) -> bool {
        let side = match self {
            Self::SplitEeS => return true,
            Self::Ucb1 { side, .. }
            | Self::UcbV { side }
            | Self::UcbTuned { side }
            | Self::KlUcb { side, .. }
            | Self::Thompson { side, .. }
            | Self::EpsGreedy { side, .. }
            | Self::SwUcb { side, .. }
            | Self::DUcb { side, .. } => *side,
            _ => SideInformation::None,
        };
        side == SideInformation::Shallower
    }
}

impl PolicySpec {
    /// Whether the policy learns a split with the published UCB index (and takes the
    /// compatibility warm start).
    pub fn is_bandit(&self) -> bool {
        self.arms == ArmSpace::Splits
            && matches!(self.kind, PolicyKind::SplitEe | PolicyKind::SplitEeS)
    }

    /// The observation model this policy runs under, given the run's.
    pub fn observation(&self, run_default: Observation) -> Observation {
        self.observation.unwrap_or(run_default)
    }

    /// Checks the spec against a trace's number of exits.
    pub fn validate(&self, exits: usize) -> Result<(), String> {
        let deepest = match (self.kind, self.arms) {
            (_, ArmSpace::ThresholdsAt(k)) => k + 1,
            (PolicyKind::Fixed(k), _) => k,
            _ => 0,
        };
        if deepest > exits {
            return Err(format!("policy `{self}`: the trace has only {exits} exits"));
        }
        Ok(())
    }

    /// A fresh policy for one run over `ctx.arms` arms.
    pub fn build(&self, ctx: &RunContext) -> AnyPolicy {
        let arms = ctx.arms;
        match self.kind {
            PolicyKind::SplitEe => Ucb::new(arms, ctx.ucb_c, SideInformation::None).into(),
            PolicyKind::SplitEeS => Ucb::new(arms, ctx.ucb_c, SideInformation::Shallower).into(),
            PolicyKind::FinalExit => FixedArm(arms - 1).into(),
            PolicyKind::DeviceEe => DeviceOnly.into(),
            PolicyKind::Random => RandomArm::new(arms, ctx.seed).into(),
            PolicyKind::RandomRun => RandomPerRun::new(arms, ctx.seed).into(),
            PolicyKind::Fixed(k) => FixedArm(k - 1).into(),
            PolicyKind::BestFixed => FixedArm(ctx.best_arm).into(),
            PolicyKind::Ucb1 { c, side } => Ucb::new(arms, c.get(), side).into(),
            PolicyKind::UcbV { side } => UcbV::new(arms, ctx.reward_bounds, side).into(),
            PolicyKind::UcbTuned { side } => UcbTuned::new(arms, ctx.reward_bounds, side).into(),
            PolicyKind::KlUcb { c, side } => {
                KlUcb::new(arms, c.get(), ctx.reward_bounds, side).into()
            }
            PolicyKind::Thompson { sigma, side } => {
                let width = stats::RewardRange::new(ctx.reward_bounds).width();
                let sigma = sigma.map_or(width, Param::get);
                Thompson::new(arms, sigma, ctx.seed, side).into()
            }
            PolicyKind::EpsGreedy { epsilon, side } => {
                EpsilonGreedy::new(arms, epsilon, ctx.seed, side).into()
            }
            PolicyKind::Exp3 { gamma } => {
                Exp3::new(arms, gamma.get(), ctx.reward_bounds, ctx.seed).into()
            }
            PolicyKind::Exp3Ix { eta } => {
                Exp3Ix::new(arms, eta.get(), ctx.reward_bounds, ctx.seed).into()
            }
            PolicyKind::SwUcb { window, c, side } => {
                let c = c.map_or(ctx.ucb_c, Param::get);
                SlidingWindowUcb::new(arms, window, c, ctx.reward_bounds, side).into()
            }
            PolicyKind::DUcb { gamma, c, side } => {
                let c = c.map_or(ctx.ucb_c, Param::get);
                DiscountedUcb::new(arms, gamma.get(), c, ctx.reward_bounds, side).into()
            }
        }
    }
}

/// Declares [`AnyPolicy`] over the given policies, forwarding each [`Policy`] method.
macro_rules! any_policy {
    ($($variant:ident($policy:ty)),+ $(,)?) => {
        /// Any built-in policy. The simulator calls policies through this enum rather than a
        /// trait object so the per-step calls are inlined into the replay loop. It serialises
        /// as the learner state a live stream saves.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub enum AnyPolicy {
            $($variant($policy),)+
        }

        impl AnyPolicy {
            /// The rule's name in saved states.
            fn variant(&self) -> &'static str {
                match self { $(Self::$variant(_) => stringify!($variant),)+ }
            }

            /// Checks a policy read back from a saved state against `fresh`, the same policy
            /// as the current settings build it, after `steps` decisions (see `Restore`).
            pub fn restore(&mut self, fresh: &AnyPolicy, steps: u64) -> Result<(), String> {
                match (self, fresh) {
                    $((Self::$variant(saved), Self::$variant(fresh)) => {
                        Restore::restore(saved, fresh, steps)
                    })+
                    (saved, fresh) => Err(format!(
                        "the saved policy is {}, but the settings build {}",
                        saved.variant(),
                        fresh.variant()
                    )),
                }
            }
        }

        $(impl From<$policy> for AnyPolicy {
            fn from(policy: $policy) -> Self {
                Self::$variant(policy)
            }
        })+

        impl Policy for AnyPolicy {
            #[inline]
            fn choose(&mut self, t: usize) -> Action {
                match self { $(Self::$variant(p) => p.choose(t),)+ }
            }
            #[inline]
            fn observe(&mut self, feedback: &Feedback<'_>) {
                match self { $(Self::$variant(p) => p.observe(feedback),)+ }
            }
            fn prime(&mut self, arm: usize, reward: f64) {
                match self { $(Self::$variant(p) => p.prime(arm, reward),)+ }
            }
            fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
                match self { $(Self::$variant(p) => p.reward_sums(),)+ }
            }
        }
    };
}

any_policy! {
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
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            assert_eq!(spec.to_string(), name);
        }
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
            .validate(12)
            .is_err());
        assert!("threshold:13:splitee"
            .parse::<PolicySpec>()
            .unwrap()
            .validate(12)
            .is_err());
        assert!("threshold:12:splitee"
            .parse::<PolicySpec>()
            .unwrap()
            .validate(12)
            .is_ok());
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
        assert!(err("ucb2:1").starts_with("unknown policy"));
    }
}
