//! Bayes-UCB (Kaufmann, Cappé & Garivier 2012): the index of an arm is an upper quantile of the
//! posterior on its mean, at level `1 - 1/(t (ln t)^c)`.
//!
//! The posterior is Gaussian, `N(mean, sigma^2 / n)` after `n` rewards rescaled to [0, 1] by the
//! run's reward range (the flat-prior posterior of Gaussian rewards of known scale), with
//! `sigma = 1` on that scale: the same scale as Thompson sampling's default (the width of the
//! reward range), and the one with which the index is about UCB1's
//! `mean + sqrt(2 ln t / n)` (Auer et al.), since the quantile is about `sqrt(2 ln t)`
//! deviations. As the other index policies, it uses `ln t = ln(t + 1)` at 0-based step `t`
//! (`ln ln t` taken as 0 while `ln t <= 1`, as KL-UCB does: `ln(t (ln t)^c)` is KL-UCB's
//! budget), plays unplayed arms first (lowest first) and breaks ties towards the lowest arm.
//! Every arm's quantile is at the same level, so one inverse normal per decision serves all.

use super::registry::{write_constant_or_zero, Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{argmax_by, for_each_observed, ArmStats, RewardRange};
use super::{Param, Policy, RunContext, SideInformation};
use crate::params::NON_NEGATIVE;
use crate::reward::{Action, Feedback};
use std::fmt;

/// Bayes-UCB with a Gaussian posterior; see the module documentation.
#[derive(Debug, Clone)]
pub struct BayesUcb {
    stats: ArmStats,
    side: SideInformation,
    range: RewardRange,
    c: f64,
}

impl BayesUcb {
    /// Quantile level `1 - 1/(t (ln t)^c)` with `c >= 0`, for rewards in `reward_bounds` (a
    /// degenerate range counts as width 1).
    pub fn new(arms: usize, c: f64, reward_bounds: (f64, f64), side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            range: RewardRange::new(reward_bounds),
            c,
        }
    }
}

/// How many standard deviations above the posterior mean the quantile lies at 0-based step
/// `t`: the standard normal quantile at `1 - delta`, `delta = 1/(t (ln t)^c)` with `t` counted
/// from 1 (computed from `delta`, which keeps its precision when the level is close to 1).
fn deviations(t: usize, c: f64) -> f64 {
    let log_t = ((t + 1) as f64).ln();
    let budget = log_t + c * log_t.ln().max(0.0);
    let delta = (-budget).exp();
    std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * delta)
}

impl Policy for BayesUcb {
    fn choose(&mut self, t: usize) -> Action {
        let (s, range) = (&self.stats, self.range);
        let arm = s.first_unplayed().unwrap_or_else(|| {
            let z = deviations(t, self.c);
            argmax_by(s.arms(), |k| {
                range.unit(s.mean(k)) + z / (s.count(k) as f64).sqrt()
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

impl Learns for BayesUcb {
    type Learned = ArmStats;

    fn learned(&self) -> ArmStats {
        self.stats.clone()
    }

    fn restored(&self, learned: ArmStats, steps: u64) -> Result<Self, String> {
        let stats = learned.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            ..self.clone()
        })
    }
}

/// The parameters of `bayes-ucb[:c][+s]` (`c = 0` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BayesUcbParams {
    pub c: Param,
    pub side: SideInformation,
}

const BAYES_UCB_C: Rule = Rule {
    what: "the exploration constant c",
    form: "bayes-ucb:c",
    must: NON_NEGATIVE.must,
    ok: NON_NEGATIVE.ok,
};

/// `bayes-ucb[:c][+s]`.
impl PolicyFamily for BayesUcb {
    type Params = BayesUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "bayes-ucb",
        help: "bayes-ucb[:c]",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<BayesUcbParams, String> {
        let c = name.optional(&BAYES_UCB_C)?.unwrap_or(Param::ZERO);
        Ok(BayesUcbParams { c, side: name.side })
    }

    fn write(p: &BayesUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_constant_or_zero(f, Self::ENTRY.name, p.c, p.side)
    }

    fn build(p: &BayesUcbParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, p.c.get(), ctx.reward_bounds, p.side)
    }

    fn side(p: &BayesUcbParams) -> SideInformation {
        p.side
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::Bench;
    use crate::policy::PolicySpec;
    use crate::reward::Observation;
    use proptest::prelude::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn the_quantile_is_the_normal_one() {
        // The standard normal's upper quantiles at 1 - delta; with c = 0, delta = 1/t.
        for (delta, z) in [
            (0.5, 0.0),
            (0.025, 1.959_963_984_540_053_8),
            (1e-6, 4.753_424_308_822_899),
            (1e-12, 7.034_483_825_301_132),
        ] {
            let t = (1.0 / delta) as usize - 1;
            let got = deviations(t, 0.0);
            assert!(
                (got - z).abs() <= 1e-12 * (1.0 + z),
                "{delta}: {got} vs {z}"
            );
        }
        // c lowers delta to 1/(t (ln t)^c) (ln t = ln 1000 > 1).
        let t: f64 = 1000.0;
        let delta = 1.0 / (t * t.ln().powf(2.0));
        let z = -Normal::standard().inverse_cdf(delta);
        assert!((deviations(999, 2.0) - z).abs() < 1e-12 * z);
    }

    /// Bayes-UCB's argmax by its definition: every arm's posterior quantile from the normal
    /// distribution itself, lowest arm on ties, unplayed arms first. Returns the arm and every
    /// arm's quantile.
    fn reference(policy: &BayesUcb, t: usize) -> (usize, Vec<f64>) {
        let s = &policy.stats;
        if let Some(arm) = (0..s.arms()).find(|&k| s.count(k) == 0) {
            return (arm, Vec::new());
        }
        let t1 = (t + 1) as f64;
        let delta = 1.0 / (t1 * t1.ln().max(1.0).powf(policy.c));
        let quantiles: Vec<f64> = (0..s.arms())
            .map(|k| {
                let sd = 1.0 / (s.count(k) as f64).sqrt();
                let mean = policy.range.unit(s.mean(k));
                // The upper quantile at 1 - delta, by symmetry from the lower one at delta
                // (1 - delta would round).
                2.0 * mean - Normal::new(mean, sd).unwrap().inverse_cdf(delta)
            })
            .collect();
        (argmax_by(s.arms(), |k| quantiles[k]), quantiles)
    }

    proptest! {
        /// The arm chosen is the one with the highest posterior quantile (or, where two are
        /// within rounding of each other, one of them), also on near-ties from rewards on a
        /// coarse grid.
        #[test]
        fn chooses_the_highest_posterior_quantile(
            rewards in proptest::collection::vec((0usize..6, 0u8..5), 0..300),
            c in prop_oneof![Just(0.0), 0.0f64..5.0],
            start in prop_oneof![Just(0usize), 0usize..1_000_000],
        ) {
            let mut policy = BayesUcb::new(6, c, (-1.0, 1.0), SideInformation::None);
            for (t, (arm, r)) in (start..).zip(rewards) {
                let (expected, quantiles) = reference(&policy, t);
                let Action::Split(chosen) = policy.choose(t) else {
                    panic!("Bayes-UCB splits");
                };
                if chosen != expected {
                    prop_assert!(!quantiles.is_empty(), "unplayed arm {} first, got {}", expected, chosen);
                    let (a, b) = (quantiles[chosen], quantiles[expected]);
                    prop_assert!((a - b).abs() <= 1e-9, "step {}: {} ({}) vs {} ({})", t, chosen, a, expected, b);
                }
                policy.stats.record(arm, f64::from(r) / 4.0 * 2.0 - 1.0);
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_arm_and_unplayed_arms_come_first() {
        let mut policy = BayesUcb::new(3, 0.0, (0.0, 1.0), SideInformation::None);
        policy.stats.record(1, 0.5);
        assert_eq!(policy.choose(5), Action::Split(0));
        policy.stats.record(0, 0.5);
        assert_eq!(policy.choose(5), Action::Split(2));
        policy.stats.record(2, 0.5);
        assert_eq!(policy.choose(5), Action::Split(0));
        // More observations narrow the posterior: an equal mean seen more often ranks lower.
        policy.stats.record(0, 0.5);
        assert_eq!(policy.choose(5), Action::Split(1));
    }

    /// On two arms, arm 1 (exit 1, always confident: reward about 0.85) against arm 2 (the final
    /// exit: about 0.45), Bayes-UCB ends on arm 1, with or without side observations.
    #[test]
    fn ends_on_the_better_of_two_arms() {
        fn noise(s: u64, k: u64) -> f64 {
            let mut z =
                s.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / 2f64.powi(64)
        }
        for name in ["bayes-ucb", "bayes-ucb:3", "bayes-ucb+s"] {
            let spec: PolicySpec = name.parse().unwrap();
            let mut bench = Bench::new(2);
            let mut policy = spec.build(&bench.context(1));
            let mut late = [0usize; 2];
            for t in 0..4000u64 {
                let conf = [0.9 + 0.1 * noise(t, 1), 0.45 + 0.4 * noise(t, 2)];
                let observation = Observation::Strict;
                let (outcome, _) = bench.step(&mut policy, t as usize, &conf, None, observation);
                if t >= 2000 {
                    late[outcome.arm] += 1;
                }
            }
            // Exploration of arm 2 thins out: at most one step in ten of the second half.
            assert!(late[0] >= 1800, "{name}: {late:?}");
        }
    }

    /// A policy restored from what another learned decides as the other from then on; what
    /// does not fit it is refused.
    #[test]
    fn a_restored_policy_continues_exactly() {
        let mut bench = Bench::new(4);
        let spec: PolicySpec = "bayes-ucb:1+s".parse().unwrap();
        let build = |bench: &Bench| match spec.build(&bench.context(1)) {
            crate::policy::AnyPolicy::BayesUcb(p) => p,
            _ => unreachable!("bayes-ucb builds Bayes-UCB"),
        };
        let mut original = build(&bench);
        let conf = |t: usize| {
            let x = (t as f64 * 0.618_033_988_7).fract();
            [x, 1.0 - x, 0.5 + 0.5 * x, 0.9]
        };
        for t in 0..150 {
            bench.step(&mut original, t, &conf(t), None, Observation::Strict);
        }
        let fresh = build(&bench);
        let mut restored = fresh.restored(original.learned(), 150).unwrap();
        for t in 150..300 {
            let (a, _) = bench.step(&mut original, t, &conf(t), None, Observation::Strict);
            let (b, _) = bench.step(&mut restored, t, &conf(t), None, Observation::Strict);
            assert_eq!(a, b, "step {t}");
        }
        assert!(
            fresh.restored(original.learned(), 10).is_err(),
            "counts beyond the steps"
        );
    }
}
