//! Policies: each decides an [`Action`] per sample and learns from [`Feedback`]. The simulator
//! owns the loop; a policy is one small type behind [`Policy`].

mod baseline;
mod ucb;

pub use self::baseline::{DeviceOnly, FixedArm, RandomArm, RandomPerRun};
pub use self::ucb::{SideInformation, Ucb};

use crate::reward::{Action, Feedback, Observation};
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
}

/// A policy as named on the command line or in a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicySpec {
    /// UCB1 over split arms with bandit feedback.
    SplitEe,
    /// UCB1 with side observations from shallower arms, optionally under its own observation
    /// model (`splitee-s:strict`, `splitee-s:oracle`) instead of the run's.
    SplitEeS(Option<Observation>),
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
}

/// The names accepted by [`PolicySpec::from_str`], for help and error messages.
pub const POLICY_NAMES: &str = "splitee, splitee-s, splitee-s:strict, splitee-s:oracle, \
                                 final-exit, device-ee, random, random-run, fixed:K, best-fixed";

impl FromStr for PolicySpec {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let spec = match name {
            "splitee" => Self::SplitEe,
            "splitee-s" => Self::SplitEeS(None),
            "splitee-s:strict" => Self::SplitEeS(Some(Observation::Strict)),
            "splitee-s:oracle" => Self::SplitEeS(Some(Observation::Oracle)),
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
                None => return Err(format!("unknown policy `{name}` (known: {POLICY_NAMES})")),
            },
        };
        Ok(spec)
    }
}

impl fmt::Display for PolicySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SplitEe => f.write_str("splitee"),
            Self::SplitEeS(None) => f.write_str("splitee-s"),
            Self::SplitEeS(Some(Observation::Strict)) => f.write_str("splitee-s:strict"),
            Self::SplitEeS(Some(Observation::Oracle)) => f.write_str("splitee-s:oracle"),
            Self::FinalExit => f.write_str("final-exit"),
            Self::DeviceEe => f.write_str("device-ee"),
            Self::Random => f.write_str("random"),
            Self::RandomRun => f.write_str("random-run"),
            Self::Fixed(k) => write!(f, "fixed:{k}"),
            Self::BestFixed => f.write_str("best-fixed"),
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
    pub exits: usize,
    /// 0-based best fixed arm in hindsight on this run's samples.
    pub best_arm: usize,
    /// Seed for the policy's own randomness in this run.
    pub seed: u64,
    /// UCB exploration constant `c`.
    pub ucb_c: f64,
    /// The range every reward of this run lies in (from the cost model: confidences are in
    /// [0, 1]), for policies that rescale rewards to [0, 1].
    pub reward_bounds: (f64, f64),
}

impl PolicySpec {
    /// Whether the policy learns a split with a UCB index (and takes the compatibility warm
    /// start).
    pub fn is_bandit(&self) -> bool {
        matches!(self, Self::SplitEe | Self::SplitEeS(_))
    }

    /// The observation model this policy runs under, given the run's.
    pub fn observation(&self, run_default: Observation) -> Observation {
        match self {
            Self::SplitEeS(Some(own)) => *own,
            _ => run_default,
        }
    }

    /// Checks the spec against a trace's number of exits.
    pub fn validate(&self, exits: usize) -> Result<(), String> {
        match self {
            Self::Fixed(k) if *k > exits => {
                Err(format!("policy `{self}`: the trace has only {exits} exits"))
            }
            _ => Ok(()),
        }
    }

    /// A fresh policy for one run.
    pub fn build(&self, ctx: &RunContext) -> AnyPolicy {
        let last = ctx.exits - 1;
        match self {
            Self::SplitEe => Ucb::new(ctx.exits, ctx.ucb_c, SideInformation::None).into(),
            Self::SplitEeS(_) => Ucb::new(ctx.exits, ctx.ucb_c, SideInformation::Shallower).into(),
            Self::FinalExit => FixedArm(last).into(),
            Self::DeviceEe => DeviceOnly.into(),
            Self::Random => RandomArm::new(ctx.exits, ctx.seed).into(),
            Self::RandomRun => RandomPerRun::new(ctx.exits, ctx.seed).into(),
            Self::Fixed(k) => FixedArm(k - 1).into(),
            Self::BestFixed => FixedArm(ctx.best_arm).into(),
        }
    }
}

/// Declares [`AnyPolicy`] over the given policies, forwarding each [`Policy`] method.
macro_rules! any_policy {
    ($($variant:ident($policy:ty)),+ $(,)?) => {
        /// Any built-in policy. The simulator calls policies through this enum rather than a
        /// trait object so the per-step calls are inlined into the replay loop.
        #[derive(Debug, Clone)]
        pub enum AnyPolicy {
            $($variant($policy),)+
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
    fn rejects_unknown_and_bad_fixed() {
        assert!("ucb9"
            .parse::<PolicySpec>()
            .unwrap_err()
            .starts_with("unknown policy `ucb9`"));
        assert!("fixed:0".parse::<PolicySpec>().is_err());
        assert!("fixed:x".parse::<PolicySpec>().is_err());
        assert!(PolicySpec::Fixed(13).validate(12).is_err());
    }
}
