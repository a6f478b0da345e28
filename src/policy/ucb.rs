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
///
/// The argmax is exactly that of the published formula, but computed cheaply: a fast index
/// `mean_k + c*sqrt(ln(t+1))*rsqrt_k` from cached per-arm values differs from the exact one by a
/// few ulps, so only arms whose fast index is within a safe margin of the best are evaluated
/// with the exact formula (usually one).
#[derive(Debug, Clone)]
pub struct Ucb {
    c: f64,
    side: SideInformation,
    sums: Vec<f64>,
    counts: Vec<u64>,
    /// `S_k / N_k`, refreshed when arm `k` is updated (so identical to computing it on demand).
    means: Vec<f64>,
    /// `1 / sqrt(N_k)`.
    rsqrt: Vec<f64>,
    /// Scratch: the fast index of every arm at the current step.
    fast: Vec<f64>,
    /// Arms with no observation yet: played first, lowest first.
    unplayed: usize,
}

/// Relative bound on the fast index's error, with a wide safety factor (~ 45 ulps).
const FAST_INDEX_MARGIN: f64 = 1e-14;

impl Ucb {
    pub fn new(arms: usize, c: f64, side: SideInformation) -> Self {
        Self {
            c,
            side,
            sums: vec![0.0; arms],
            counts: vec![0; arms],
            means: vec![0.0; arms],
            rsqrt: vec![0.0; arms],
            fast: vec![0.0; arms],
            unplayed: arms,
        }
    }

    #[inline]
    fn record(&mut self, arm: usize, reward: f64) {
        self.sums[arm] += reward;
        self.counts[arm] += 1;
        let n = self.counts[arm] as f64;
        if n == 1.0 {
            self.unplayed -= 1;
        }
        self.means[arm] = self.sums[arm] / n;
        self.rsqrt[arm] = 1.0 / n.sqrt();
    }

    /// The published index of `arm` at step `t`, evaluated exactly as the published code does.
    #[inline]
    fn exact_index(&self, arm: usize, log_t: f64) -> f64 {
        let n = self.counts[arm] as f64;
        self.sums[arm] / n + self.c * (log_t / n).sqrt()
    }

    /// The arm with the highest exact index at step `t`, the lowest on ties.
    #[inline]
    fn best_index(&mut self, t: usize) -> usize {
        if self.unplayed > 0 {
            return self.counts.iter().position(|&n| n == 0).unwrap_or(0);
        }
        let log_t = ((t + 1) as f64).ln();
        let scale = self.c * log_t.sqrt();
        for ((f, &mean), &rsqrt) in self.fast.iter_mut().zip(&self.means).zip(&self.rsqrt) {
            *f = mean + scale * rsqrt;
        }
        let (mut leader, mut top) = (0, f64::NEG_INFINITY);
        for (k, &index) in self.fast.iter().enumerate() {
            if index > top {
                (leader, top) = (k, index);
            }
        }
        // Every exact maximiser has a fast index within twice the error bound of `top`; when
        // the leader is alone there, it is the exact argmax and nothing more need be computed.
        let cutoff = top - 2.0 * FAST_INDEX_MARGIN * (1.0 + top.abs() + scale);
        let rivals = self.fast.iter().enumerate();
        let mut rivals = rivals.filter(|&(k, &index)| k != leader && index >= cutoff);
        let Some((first_rival, _)) = rivals.next() else {
            return leader;
        };
        let mut best = leader;
        let mut best_index = self.exact_index(leader, log_t);
        for k in std::iter::once(first_rival).chain(rivals.map(|(k, _)| k)) {
            let index = self.exact_index(k, log_t);
            if index > best_index || (index == best_index && k < best) {
                (best, best_index) = (k, index);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The published argmax: every index evaluated exactly, strict `>` (ties to the lowest).
    fn reference_argmax(ucb: &Ucb, t: usize) -> usize {
        let log_t = ((t + 1) as f64).ln();
        let mut best = 0;
        let mut best_index = f64::NEG_INFINITY;
        for k in 0..ucb.counts.len() {
            let index = ucb.exact_index(k, log_t);
            if index > best_index {
                best = k;
                best_index = index;
            }
        }
        best
    }

    proptest! {
        /// The fast argmax equals the exact published one, including on near-ties created by
        /// rewards on a coarse grid.
        #[test]
        fn fast_argmax_is_the_exact_argmax(
            rewards in proptest::collection::vec((0usize..6, 0u8..8), 6..400),
            c in prop_oneof![Just(1.0), 0.0f64..3.0],
        ) {
            let mut ucb = Ucb::new(6, c, SideInformation::None);
            for arm in 0..6 {
                ucb.prime(arm, 0.1 * f64::from(arm as u8 % 3));
            }
            for (t, (arm, r)) in rewards.into_iter().enumerate() {
                prop_assert_eq!(ucb.best_index(t), reference_argmax(&ucb, t));
                ucb.record(arm, f64::from(r) / 8.0 - 0.3);
            }
        }
    }

    #[test]
    fn unplayed_arms_come_first_in_order() {
        let mut ucb = Ucb::new(3, 1.0, SideInformation::None);
        assert_eq!(ucb.best_index(0), 0);
        ucb.record(0, 1.0);
        assert_eq!(ucb.best_index(1), 1);
        ucb.record(2, 1.0);
        assert_eq!(ucb.best_index(2), 1);
    }
}
