//! Non-learning baselines: fixed arms, device-only early exit, random arms.

use super::registry::{Entry, Learns, Name, Nothing, PolicyFamily, Side};
use super::{Policy, RunContext, SideInformation};
use crate::reward::{Action, Feedback};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Always split after the same 0-based exit (`final-exit`, `fixed:K`, `best-fixed`).
#[derive(Debug, Clone, Copy)]
pub struct FixedArm(pub usize);

impl Policy for FixedArm {
    fn choose(&mut self, _t: usize) -> Action {
        Action::Split(self.0)
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
}

/// Device-only early exit: never offloads.
#[derive(Debug, Clone, Copy)]
pub struct DeviceOnly;

impl Policy for DeviceOnly {
    fn choose(&mut self, _t: usize) -> Action {
        Action::DeviceOnly
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
}

/// A uniformly random arm for every sample.
#[derive(Debug, Clone)]
pub struct RandomArm {
    arms: usize,
    rng: ChaCha8Rng,
}

impl RandomArm {
    pub fn new(arms: usize, seed: u64) -> Self {
        Self {
            arms,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }
}

impl Policy for RandomArm {
    fn choose(&mut self, _t: usize) -> Action {
        Action::Split(self.rng.random_range(0..self.arms))
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
    fn propensity(&self, _t: usize, _action: Action) -> f64 {
        1.0 / self.arms as f64
    }
}

/// One uniformly random arm, drawn when the run starts and kept.
#[derive(Debug, Clone, Copy)]
pub struct RandomPerRun {
    arm: usize,
    arms: usize,
}

impl RandomPerRun {
    pub fn new(arms: usize, seed: u64) -> Self {
        Self {
            arm: ChaCha8Rng::seed_from_u64(seed).random_range(0..arms),
            arms,
        }
    }
}

impl Policy for RandomPerRun {
    fn choose(&mut self, _t: usize) -> Action {
        Action::Split(self.arm)
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
    /// `1/K`, the probability of the run's draw: every decision of a run follows from that one
    /// draw, so a run's decisions are weighted together (over runs, not within one).
    fn propensity(&self, _t: usize, _action: Action) -> f64 {
        1.0 / self.arms as f64
    }
}

// The fixed arms, device-only early exit and the per-run draw learn nothing: the settings (and
// the run's seed) decide them.
impl Learns for FixedArm {
    type Learned = Nothing;

    fn learned(&self) -> Nothing {
        Nothing
    }

    fn restored(&self, Nothing: Nothing, _steps: u64) -> Result<Self, String> {
        Ok(*self)
    }
}

impl Learns for DeviceOnly {
    type Learned = Nothing;

    fn learned(&self) -> Nothing {
        Nothing
    }

    fn restored(&self, Nothing: Nothing, _steps: u64) -> Result<Self, String> {
        Ok(*self)
    }
}

impl Learns for RandomPerRun {
    type Learned = Nothing;

    fn learned(&self) -> Nothing {
        Nothing
    }

    fn restored(&self, Nothing: Nothing, _steps: u64) -> Result<Self, String> {
        Ok(*self)
    }
}

/// What [`RandomArm`] learns: where its generator is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RandomLearned {
    rng: ChaCha8Rng,
}

impl Learns for RandomArm {
    type Learned = RandomLearned;

    fn learned(&self) -> RandomLearned {
        RandomLearned {
            rng: self.rng.clone(),
        }
    }

    fn restored(&self, learned: RandomLearned, _steps: u64) -> Result<Self, String> {
        Ok(Self {
            arms: self.arms,
            rng: learned.rng,
        })
    }
}

/// A baseline family: no parameter, and the policy a run context builds.
macro_rules! baseline {
    ($(#[$doc:meta])* $family:ident, $name:literal, arm_set: $arm_set:literal,
     $policy:ty, |$ctx:ident| $build:expr) => {
        $(#[$doc])*
        pub struct $family;

        impl PolicyFamily for $family {
            type Params = ();
            type Policy = $policy;
            const ENTRY: Entry = Entry {
                name: $name,
                help: $name,
                side: Side::Never,
                reward_bounds: false,
                arm_set: $arm_set,
                learns: false,
            };

            fn parse(name: &Name<'_>) -> Result<(), String> {
                name.bare()
            }

            fn build((): &(), $ctx: &RunContext) -> $policy {
                $build
            }
        }
    };
}

baseline!(
    /// `final-exit`: always the final exit (arm L).
    FinalExit, "final-exit", arm_set: false, FixedArm, |ctx| FixedArm(ctx.arms - 1)
);
baseline!(
    /// `device-ee`: walk exits on the device, stop at the first confident one, never offload.
    DeviceEe, "device-ee", arm_set: false, DeviceOnly, |_ctx| DeviceOnly
);
baseline!(
    /// `random`: a uniformly random arm for each sample.
    Random, "random", arm_set: true, RandomArm, |ctx| RandomArm::new(ctx.arms, ctx.seed)
);
baseline!(
    /// `random-run`: one uniformly random arm for the whole run.
    RandomRun, "random-run", arm_set: true, RandomPerRun, |ctx| RandomPerRun::new(ctx.arms, ctx.seed)
);
baseline!(
    /// `best-fixed`: always the best fixed arm in hindsight (an oracle: zero regret by
    /// definition).
    BestFixed, "best-fixed", arm_set: true, FixedArm, |ctx| FixedArm(ctx.best_arm)
);

/// `fixed:K`: always arm K (1-based, as users write it).
pub struct Fixed;

impl PolicyFamily for Fixed {
    type Params = usize;
    type Policy = FixedArm;
    const ENTRY: Entry = Entry {
        name: "fixed",
        help: "fixed:K",
        side: Side::Never,
        reward_bounds: false,
        arm_set: false,
        learns: false,
    };

    fn parse(name: &Name<'_>) -> Result<usize, String> {
        let k = match (name.param, name.side) {
            (None, _) => return Err(name.unknown()),
            (Some(k), SideInformation::None) => k.parse::<usize>().ok().filter(|&k| k >= 1),
            (Some(_), SideInformation::Shallower) => None,
        };
        k.ok_or_else(|| format!("`{}`: K in fixed:K must be an exit number >= 1", name.name))
    }

    fn write(k: &usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixed:{k}")
    }

    fn build(k: &usize, _ctx: &RunContext) -> FixedArm {
        FixedArm(k - 1)
    }

    fn exits_needed(k: &usize) -> usize {
        *k
    }
}
