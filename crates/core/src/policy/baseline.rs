//! Non-learning baselines: fixed arms, device-only early exit, random arms.

use super::stats::same;
use super::{Policy, Restore};
use crate::reward::{Action, Feedback};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Always split after the same 0-based exit (`final-exit`, `fixed:K`, `best-fixed`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct FixedArm(pub usize);

impl Policy for FixedArm {
    fn choose(&mut self, _t: usize) -> Action {
        Action::Split(self.0)
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
}

/// Device-only early exit: never offloads.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DeviceOnly;

impl Policy for DeviceOnly {
    fn choose(&mut self, _t: usize) -> Action {
        Action::DeviceOnly
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
}

/// A uniformly random arm for every sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

/// One uniformly random arm, drawn when the run starts and kept.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RandomPerRun(usize);

impl RandomPerRun {
    pub fn new(arms: usize, seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed).random_range(0..arms))
    }
}

impl Policy for RandomPerRun {
    fn choose(&mut self, _t: usize) -> Action {
        Action::Split(self.0)
    }
    fn observe(&mut self, _feedback: &Feedback<'_>) {}
}

impl Restore for FixedArm {
    fn restore(&mut self, fresh: &Self, _steps: u64) -> Result<(), String> {
        same("the arm", &self.0, &fresh.0)
    }
}

impl Restore for DeviceOnly {
    fn restore(&mut self, _fresh: &Self, _steps: u64) -> Result<(), String> {
        Ok(())
    }
}

impl Restore for RandomArm {
    fn restore(&mut self, fresh: &Self, _steps: u64) -> Result<(), String> {
        same("the number of arms", &self.arms, &fresh.arms)
    }
}

impl Restore for RandomPerRun {
    fn restore(&mut self, fresh: &Self, _steps: u64) -> Result<(), String> {
        // Drawn from the seed when the run started: the same settings draw the same arm.
        same("the arm", &self.0, &fresh.0)
    }
}
