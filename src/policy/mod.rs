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
pub use self::params::Param;
pub use self::sampling::{EpsilonGreedy, Exploration, Thompson};
pub use self::ucb::{SideInformation, Ucb};

use self::params::side_suffix;
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
    /// Sliding-window UCB over the last `window` observations (`sw-ucb:W`).
    SwUcb {
        window: usize,
        side: SideInformation,
    },
    /// Discounted UCB (`d-ucb:G`).
    DUcb { gamma: Param, side: SideInformation },
}

/// The names accepted by [`PolicySpec::from_str`], for help and error messages.
/// Index policies take a `+s` suffix (e.g. `kl-ucb+s`) to learn from side observations too.
pub const POLICY_NAMES: &str = "splitee, splitee-s, splitee-s:strict, splitee-s:oracle, \
                                 final-exit, device-ee, random, random-run, fixed:K, best-fixed, \
                                 ucb1:C, ucb-v, ucb-tuned, kl-ucb[:c], thompson[:S], \
                                 eps-greedy:E, eps-greedy:decay[:C], exp3:G, exp3-ix:ETA, \
                                 sw-ucb:W, d-ucb:G (index policies also with +s)";

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
                None => match params::parse_zoo(name) {
                    Some(spec) => spec?,
                    None => return Err(format!("unknown policy `{name}` (known: {POLICY_NAMES})")),
                },
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
            Self::SwUcb { window, side } => write!(f, "sw-ucb:{window}{}", side_suffix(*side)),
            Self::DUcb { gamma, side } => write!(f, "d-ucb:{gamma}{}", side_suffix(*side)),
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
            Self::Ucb1 { c, side } => Ucb::new(ctx.exits, c.get(), *side).into(),
            Self::UcbV { side } => UcbV::new(ctx.exits, ctx.reward_bounds, *side).into(),
            Self::UcbTuned { side } => UcbTuned::new(ctx.exits, ctx.reward_bounds, *side).into(),
            Self::KlUcb { c, side } => {
                KlUcb::new(ctx.exits, c.get(), ctx.reward_bounds, *side).into()
            }
            Self::Thompson { sigma, side } => {
                let width = stats::RewardRange::new(ctx.reward_bounds).width();
                let sigma = sigma.map_or(width, Param::get);
                Thompson::new(ctx.exits, sigma, ctx.seed, *side).into()
            }
            Self::EpsGreedy { epsilon, side } => {
                EpsilonGreedy::new(ctx.exits, *epsilon, ctx.seed, *side).into()
            }
            Self::Exp3 { gamma } => {
                Exp3::new(ctx.exits, gamma.get(), ctx.reward_bounds, ctx.seed).into()
            }
            Self::Exp3Ix { eta } => {
                Exp3Ix::new(ctx.exits, eta.get(), ctx.reward_bounds, ctx.seed).into()
            }
            Self::SwUcb { window, side } => {
                SlidingWindowUcb::new(ctx.exits, *window, ctx.ucb_c, ctx.reward_bounds, *side)
                    .into()
            }
            Self::DUcb { gamma, side } => {
                DiscountedUcb::new(ctx.exits, gamma.get(), ctx.ucb_c, ctx.reward_bounds, *side)
                    .into()
            }
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
    fn rejects_unknown_and_bad_fixed() {
        assert!("ucb9"
            .parse::<PolicySpec>()
            .unwrap_err()
            .starts_with("unknown policy `ucb9`"));
        assert!("fixed:0".parse::<PolicySpec>().is_err());
        assert!("fixed:x".parse::<PolicySpec>().is_err());
        assert!(PolicySpec::Fixed(13).validate(12).is_err());
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
            "d-ucb:0.99",
            "d-ucb:0.999+s",
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
