//! UCB-BwK, bandits with knapsacks as the MAB_UCB comparison of UCB variants for early exits
//! defines it (Papanikolaou, Kontopoulos & Tserpes, arXiv 2604.24810): each decision reveals a
//! reward and, as a separate observation, a cost, and the index of an arm is the upper
//! confidence bound of its reward over the lower confidence bound of its cost, the latter
//! floored:
//!
//! ```text
//! index_k = (mean_value_k + b_k) / max(mean_cost_k - b_k, tau_t),
//! b_k = sqrt(2 ln t / n_k),   tau_t = sqrt(ln t / t)
//! ```
//!
//! with `t` the decisions so far, counted from 1 (`t + 1` at 0-based step `t`). Arms never played
//! come first (lowest first) and ties go to the lowest arm. It maximises reward per unit of cost
//! (the knapsack's budget), not reward minus cost as SplitEE does: it leans towards cheap arms.
//!
//! **Reward and cost in `splitee`'s terms.** MAB_UCB splits its scalar reward, a confidence term
//! less a depth cost, into those two parts. Here every reward formula is likewise a confidence
//! part less a weighted cost, and the cost is the part the formula subtracts
//! ([`Feedback::charged_cost`]): with SplitEE's reward, `mu*proc(k)` on exit at split `k` and
//! `mu*(proc(k) + off(k))` on offload; with the confidence gains, `mu*off(k)` on offload and 0
//! on exit. The reward observation ("value") is the rest, the reward plus that cost: `C_k` on
//! exit and `C_L` on offload with SplitEE's reward, the (clipped) gain with the others. Both are
//! used as they are, unscaled, as MAB_UCB does (its confidences lie in [0, 1]).
//!
//! It learns from the played arm only (bandit feedback, as in MAB_UCB), over any arm set.

use super::registry::{Entry, Learns, Name, PolicyFamily, Side};
use super::stats::{argmax_by, check_finite, check_len, ArmStats};
use super::{Policy, RunContext};
use crate::reward::{Action, Feedback};
use serde::{Deserialize, Serialize};

/// UCB-BwK; see the module documentation.
#[derive(Debug, Clone)]
pub struct UcbBwk {
    /// Every reward (value less cost) fed, per arm: the counts, and the value's mean with
    /// `cost_sums`.
    stats: ArmStats,
    /// Per arm, the sum of the costs observed.
    cost_sums: Vec<f64>,
}

/// What [`UcbBwk`] learns: the rewards' statistics and the costs' sums.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UcbBwkLearned {
    stats: ArmStats,
    cost_sums: Vec<f64>,
}

impl UcbBwk {
    pub fn new(arms: usize) -> Self {
        Self {
            stats: ArmStats::new(arms),
            cost_sums: vec![0.0; arms],
        }
    }
}

/// The index of an arm with mean value `value`, mean cost `cost` and `n >= 1` observations
/// after `t >= 2` decisions (counted from 1; the first decision plays an unplayed arm, so the
/// floor `tau_t` is positive whenever an index is needed).
fn index(value: f64, cost: f64, n: u64, t: f64) -> f64 {
    let log_t = t.ln();
    let width = (2.0 * log_t / n as f64).sqrt();
    let floor = (log_t / t).sqrt();
    (value + width) / (cost - width).max(floor)
}

impl Policy for UcbBwk {
    fn choose(&mut self, t: usize) -> Action {
        let s = &self.stats;
        let arm = s.first_unplayed().unwrap_or_else(|| {
            let decisions = (t + 1) as f64;
            argmax_by(s.arms(), |k| {
                let cost = self.cost_sums[k] / s.count(k) as f64;
                index(s.mean(k) + cost, cost, s.count(k), decisions)
            })
        });
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let arm = feedback.arm();
        self.stats.record(arm, feedback.reward());
        self.cost_sums[arm] += feedback.charged_cost();
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

impl Learns for UcbBwk {
    type Learned = UcbBwkLearned;

    fn learned(&self) -> UcbBwkLearned {
        UcbBwkLearned {
            stats: self.stats.clone(),
            cost_sums: self.cost_sums.clone(),
        }
    }

    fn restored(&self, learned: UcbBwkLearned, steps: u64) -> Result<Self, String> {
        let stats = learned.stats.restored(&self.stats, steps)?;
        let cost_sums = learned.cost_sums;
        check_len("cost_sums", cost_sums.len(), self.cost_sums.len())?;
        check_finite("cost_sums", &cost_sums)?;
        for (k, &c) in cost_sums.iter().enumerate() {
            if c < 0.0 || (stats.count(k) == 0 && c != 0.0) {
                return Err(format!(
                    "cost_sums[{k}] is {c}: costs are >= 0 and an arm never played has none"
                ));
            }
        }
        Ok(Self { stats, cost_sums })
    }
}

/// `ucb-bwk`.
impl PolicyFamily for UcbBwk {
    type Params = ();
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "ucb-bwk",
        help: "ucb-bwk",
        side: Side::Never,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<(), String> {
        name.no_parameter()?;
        name.bandit_only()
    }

    fn build(_params: &(), ctx: &RunContext) -> Self {
        Self::new(ctx.arms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::Bench;
    use crate::policy::{AnyPolicy, PolicySpec};
    use crate::reward::Observation;

    fn build(name: &str, bench: &Bench) -> UcbBwk {
        let spec: PolicySpec = name.parse().unwrap();
        match spec.build(&bench.context(1)) {
            AnyPolicy::UcbBwk(p) => p,
            other => panic!("{name} builds {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    /// The index by hand: the floor binds while the cost's interval is wide, and the cost's
    /// LCB once it is narrow (value 0.8, cost 0.9, 100 observations, t = 1000:
    /// `b = sqrt(2 ln 1000 / 100) = 0.37169`, `(0.8 + b) / (0.9 - b) = 2.21782`).
    #[test]
    fn the_index_is_the_reward_ucb_over_the_floored_cost_lcb() {
        assert!(close(index(0.9, 0.1, 1, 3.0), 3.936_729_239_536_547_6));
        assert!(close(index(0.6, 0.2, 1, 3.0), 3.440_982_740_618_757_4));
        assert!(close(index(0.8, 0.9, 100, 1000.0), 2.217_821_241_269_771_5));
    }

    /// A two-exit bench (`lambda = 0.1`, `o = 0.3`, `alpha = 0.7`), step by step: each
    /// decision's value and cost as the module documentation defines them, and the arm the
    /// index picks.
    #[test]
    fn decisions_on_a_hand_computed_stream() {
        let mut bench = Bench::new(2);
        let mut policy = build("ucb-bwk", &bench);
        // Unplayed arms first: arm 0 exits (C_1 = 0.9 >= 0.7), value 0.9, cost proc(1) = 0.1.
        let (o, _) = bench.step(&mut policy, 0, &[0.9, 0.6], None, Observation::Strict);
        assert_eq!((o.arm, o.offloaded), (0, false));
        assert!(close(policy.cost_sums[0], 0.1));
        // Arm 1 is the final exit: value C_2 = 0.6, cost proc(2) = 0.2.
        let (o, _) = bench.step(&mut policy, 1, &[0.9, 0.6], None, Observation::Strict);
        assert_eq!(o.arm, 1);
        assert!(close(policy.cost_sums[1], 0.2));
        assert!(close(policy.stats.mean(1) + 0.2, 0.6));
        // t = 3: both costs' LCBs fall below the floor sqrt(ln 3 / 3) = 0.60515, so the values
        // decide: 3.93673 (arm 0) against 3.44098. Arm 0 offloads (C_1 = 0.5): value
        // C_L = 0.95, cost proc(1) + o = 0.4.
        let (o, _) = bench.step(&mut policy, 2, &[0.5, 0.95], None, Observation::Strict);
        assert_eq!((o.arm, o.offloaded), (0, true));
        assert!(close(policy.cost_sums[0], 0.5));
        assert!(close(policy.stats.mean(0) + 0.25, 0.925));
        // t = 4: arm 0 (value 0.925, 2 plays) 3.57125 against arm 1 (0.6, 1 play) 3.84761.
        assert!(close(index(0.925, 0.25, 2, 4.0), 3.571_245_330_532_835_5));
        assert!(close(index(0.6, 0.2, 1, 4.0), 3.847_613_285_091_812_8));
        assert_eq!(policy.choose(3), Action::Split(1));
    }

    /// The cost is what the reward subtracts, under every reward formula: value less cost is
    /// the reward, and the value is the confidence part.
    #[test]
    fn the_cost_is_what_the_reward_subtracts() {
        let mut bench = Bench::new(3);
        let mut policy = build("ucb-bwk", &bench);
        for (t, (conf, arm, value)) in [
            ([0.8, 0.1, 0.3], 0, 0.8),
            ([0.1, 0.2, 0.9], 1, 0.9),
            ([0.1, 0.2, 0.4], 2, 0.4),
        ]
        .into_iter()
        .enumerate()
        {
            let (o, _) = bench.step(&mut policy, t, &conf, Some(arm), Observation::Strict);
            let cost = policy.cost_sums[arm];
            assert!(
                close(o.reward + cost, value),
                "arm {arm}: {} + {cost}",
                o.reward
            );
        }
        // Arm 1 offloaded: proc(2) + o = 0.5; arm 2 is the final exit: proc(3) = 0.3.
        assert!(close(policy.cost_sums[1], 0.5));
        assert!(close(policy.cost_sums[2], 0.3));
    }

    #[test]
    fn takes_no_parameter_and_no_side_observations() {
        for (name, message) in [
            ("ucb-bwk:1", "`ucb-bwk:1`: ucb-bwk takes no parameter"),
            (
                "ucb-bwk+s",
                "`ucb-bwk+s`: ucb-bwk learns from the played arm's reward only",
            ),
        ] {
            let err = name.parse::<PolicySpec>().unwrap_err();
            assert!(err.starts_with(message), "{err}");
        }
        for name in [
            "ucb-bwk",
            "joint:ucb-bwk",
            "threshold:2:ucb-bwk",
            "alpha:0.8:ucb-bwk",
        ] {
            assert_eq!(name.parse::<PolicySpec>().unwrap().to_string(), name);
        }
    }

    /// A policy restored from what another learned decides as the other from then on; what
    /// does not fit it is refused.
    #[test]
    fn a_restored_policy_continues_exactly() {
        let mut bench = Bench::new(4);
        let mut original = build("ucb-bwk", &bench);
        let conf = |t: usize| {
            let x = (t as f64 * 0.618_033_988_7).fract();
            [x, 1.0 - x, 0.5 + 0.5 * x, 0.9]
        };
        for t in 0..150 {
            bench.step(&mut original, t, &conf(t), None, Observation::Strict);
        }
        let fresh = build("ucb-bwk", &bench);
        let mut restored = fresh.restored(original.learned(), 150).unwrap();
        for t in 150..300 {
            let (a, _) = bench.step(&mut original, t, &conf(t), None, Observation::Strict);
            let (b, _) = bench.step(&mut restored, t, &conf(t), None, Observation::Strict);
            assert_eq!(a, b, "step {t}");
        }
        let mut bad = original.learned();
        bad.cost_sums[1] = -1.0;
        let err = fresh.restored(bad, 300).unwrap_err();
        assert!(err.starts_with("cost_sums[1] is -1"), "{err}");
        let mut bad = original.learned();
        bad.cost_sums.pop();
        assert!(fresh.restored(bad, 300).is_err());
        let mut bad = fresh.learned();
        bad.cost_sums[0] = 0.5;
        assert!(fresh.restored(bad, 0).is_err(), "cost for an unplayed arm");
    }
}
