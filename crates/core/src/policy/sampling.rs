//! Randomised index policies: Gaussian Thompson sampling and epsilon-greedy. Each draws from its
//! own generator seeded by [`super::RunContext::seed`].

use super::stats::{argmax_by, for_each_observed, same, same_f64, ArmStats};
use super::{Param, Policy, Restore, SideInformation};
use crate::reward::{Action, Feedback};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Gaussian Thompson sampling (Agrawal & Goyal 2013): each step draws `N(mean_k, sigma^2 /
/// (n_k + 1))` for every arm and plays the largest draw; unplayed arms come first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thompson {
    stats: ArmStats,
    side: SideInformation,
    sigma: f64,
    rng: ChaCha8Rng,
}

impl Thompson {
    /// `sigma` scales the posterior spread (the width of the reward range plays the role of the
    /// unit variance of rewards in [0, 1]).
    pub fn new(arms: usize, sigma: f64, seed: u64, side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            sigma,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }
}

impl Policy for Thompson {
    fn choose(&mut self, _t: usize) -> Action {
        let (s, rng, sigma) = (&self.stats, &mut self.rng, self.sigma);
        let arm = s.first_unplayed().unwrap_or_else(|| {
            argmax_by(s.arms(), |k| {
                let z: f64 = rng.sample(StandardNormal);
                s.mean(k) + sigma * z / ((s.count(k) + 1) as f64).sqrt()
            })
        });
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, self.side, &mut |k, r| self.stats.record(k, r));
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

/// How often epsilon-greedy explores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Exploration {
    /// A fixed probability in [0, 1] (`eps-greedy:E`).
    Fixed(Param),
    /// `min(1, c K / t)` at 1-based step `t`, with `c > 0` (`eps-greedy:decay[:C]`).
    Decaying(Param),
}

/// Epsilon-greedy: after one play of every arm, explores a uniformly random arm with
/// probability epsilon, else plays the arm with the highest mean (lowest on ties).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpsilonGreedy {
    stats: ArmStats,
    side: SideInformation,
    exploration: Exploration,
    rng: ChaCha8Rng,
}

impl EpsilonGreedy {
    pub fn new(arms: usize, exploration: Exploration, seed: u64, side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            exploration,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Epsilon at 0-based step `t`.
    fn epsilon(&self, t: usize) -> f64 {
        match self.exploration {
            Exploration::Fixed(e) => e.get(),
            Exploration::Decaying(c) => {
                (c.get() * self.stats.arms() as f64 / (t + 1) as f64).min(1.0)
            }
        }
    }
}

impl Policy for EpsilonGreedy {
    fn choose(&mut self, t: usize) -> Action {
        if let Some(arm) = self.stats.first_unplayed() {
            return Action::Split(arm);
        }
        let epsilon = self.epsilon(t);
        let arm = if epsilon > 0.0 && self.rng.random::<f64>() < epsilon {
            self.rng.random_range(0..self.stats.arms())
        } else {
            self.stats.greedy()
        };
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, self.side, &mut |k, r| self.stats.record(k, r));
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

impl Restore for Thompson {
    fn restore(&mut self, fresh: &Self, steps: u64) -> Result<(), String> {
        same("the side information", &self.side, &fresh.side)?;
        same_f64("the posterior scale", self.sigma, fresh.sigma)?;
        self.stats.restore(&fresh.stats, steps)
    }
}

impl Restore for EpsilonGreedy {
    fn restore(&mut self, fresh: &Self, steps: u64) -> Result<(), String> {
        same("the side information", &self.side, &fresh.side)?;
        same("the exploration", &self.exploration, &fresh.exploration)?;
        self.stats.restore(&fresh.stats, steps)
    }
}
