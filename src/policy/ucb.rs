//! UCB1 over split arms: SplitEE (bandit feedback) and SplitEE-S (side observations).

use super::Policy;
use crate::reward::{Action, Feedback};

/// Which other arms a decision updates besides the played one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideInformation {
    /// Bandit feedback: only the played arm (SplitEE).
    None,
    /// Every shallower arm whose reward is observable (SplitEE-S).
    Shallower,
}

/// UCB1 with index `S_k/N_k + c*sqrt(ln(t+1)/N_k)` at 0-based step `t`; unplayed arms come
/// first, and ties go to the lowest arm (as in the published code).
#[derive(Debug, Clone)]
pub struct Ucb {
    c: f64,
    side: SideInformation,
    sums: Vec<f64>,
    counts: Vec<u64>,
}

impl Ucb {
    pub fn new(arms: usize, c: f64, side: SideInformation) -> Self {
        Self {
            c,
            side,
            sums: vec![0.0; arms],
            counts: vec![0; arms],
        }
    }

    #[inline]
    fn record(&mut self, arm: usize, reward: f64) {
        self.sums[arm] += reward;
        self.counts[arm] += 1;
    }

    /// The arm with the highest index at step `t`.
    #[inline]
    fn best_index(&self, t: usize) -> usize {
        let log_t = ((t + 1) as f64).ln();
        let mut best = 0;
        let mut best_index = f64::NEG_INFINITY;
        for (arm, (&sum, &count)) in self.sums.iter().zip(&self.counts).enumerate() {
            if count == 0 {
                return arm;
            }
            let n = count as f64;
            let index = sum / n + self.c * (log_t / n).sqrt();
            if index > best_index {
                best = arm;
                best_index = index;
            }
        }
        best
    }
}

impl Policy for Ucb {
    fn choose(&mut self, t: usize) -> Action {
        Action::Split(self.best_index(t))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let played = feedback.arm();
        if self.side == SideInformation::Shallower {
            for j in 0..played {
                if let Some(r) = feedback.side_reward(j) {
                    self.record(j, r);
                }
            }
        }
        self.record(played, feedback.reward());
    }

    fn prime(&mut self, arm: usize, reward: f64) {
        self.record(arm, reward);
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some((&self.sums, &self.counts))
    }
}
