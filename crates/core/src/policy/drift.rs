//! UCB for drifting streams (Garivier & Moulines 2011): sliding-window UCB forgets everything
//! older than the last `W` observations, discounted UCB weighs an observation `s` steps old by
//! `gamma^s`.
//!
//! Their exploration bonuses are the paper's for rewards in an interval of width `B`: `B` is the
//! width of the run's reward range ([`super::RunContext::reward_bounds`]) and the run's UCB
//! constant `c` (`--ucb-c`, 1 by default) is the paper's `sqrt(xi)`. Their decisions therefore do
//! not change when rewards and range are rescaled together; on a run whose reward range is wider
//! than 1 they explore more than UCB1 with the same `c`, whose bonus assumes rewards in [0, 1].
//!
//! Both also keep every reward ever fed in an [`ArmStats`], which is what
//! [`Policy::reward_sums`] reports; their indices use only the windowed or discounted values.

use super::registry::{own_constant, side_suffix, Entry, Name, PolicyFamily, Rule, Side};
use super::stats::{argmax_by, for_each_observed, ArmStats, RewardRange};
use super::{Param, Policy, RunContext, SideInformation};
use crate::params::NON_NEGATIVE;
use crate::reward::{Action, Feedback};
use std::fmt;

/// What the drift policies learn, and the checks of their saved states.
mod restore;

/// Sliding-window UCB: index `mean_W + B c sqrt(ln(min(t, W)) / n_W)` over the last `W`
/// observations, with `B` the width of the run's reward range and `c` the run's UCB constant
/// (the paper's `B sqrt(xi ln(min(t, tau)) / N_t(tau, k))`). The window is a ring buffer of
/// `(arm, reward)`; with side observations, each observed shallower arm takes a slot too, so
/// `min(t, W)` is the number of observations in the window. Arms absent from the window come
/// first.
#[derive(Debug, Clone)]
pub struct SlidingWindowUcb {
    stats: ArmStats,
    side: SideInformation,
    /// `B c`: the reward range's width times the UCB constant.
    bonus: f64,
    window: usize,
    /// The last `window` observations; once full, `head` is the oldest.
    ring: Vec<(usize, f64)>,
    head: usize,
    window_sums: Vec<f64>,
    window_counts: Vec<u64>,
    /// Evictions since `window_sums` were last recomputed from the ring: they are every
    /// `window` evictions (amortised O(1)), so adding and subtracting never accumulates
    /// rounding error.
    evictions: usize,
}

/// The ring buffer grows to the window as observations arrive rather than being allocated
/// whole: a window longer than the stream never costs its full size.
const INITIAL_RING: usize = 1 << 12;

impl SlidingWindowUcb {
    /// A window of `window` observations (at least 1), UCB constant `c`, for rewards in
    /// `reward_bounds` (a degenerate range counts as width 1).
    pub fn new(
        arms: usize,
        window: usize,
        c: f64,
        reward_bounds: (f64, f64),
        side: SideInformation,
    ) -> Self {
        let window = window.max(1);
        Self {
            stats: ArmStats::new(arms),
            side,
            bonus: RewardRange::new(reward_bounds).width() * c,
            window,
            ring: Vec::with_capacity(window.min(INITIAL_RING)),
            head: 0,
            window_sums: vec![0.0; arms],
            window_counts: vec![0; arms],
            evictions: 0,
        }
    }

    #[inline]
    fn record(&mut self, arm: usize, reward: f64) {
        self.stats.record(arm, reward);
        if self.ring.len() < self.window {
            self.ring.push((arm, reward));
        } else {
            let (old_arm, old_reward) = std::mem::replace(&mut self.ring[self.head], (arm, reward));
            self.head = if self.head + 1 == self.window {
                0
            } else {
                self.head + 1
            };
            self.window_counts[old_arm] -= 1;
            self.window_sums[old_arm] -= old_reward;
            self.evictions += 1;
        }
        self.window_counts[arm] += 1;
        self.window_sums[arm] += reward;
        if self.evictions >= self.window {
            self.resum();
        }
    }

    /// Recomputes the window sums from the ring.
    fn resum(&mut self) {
        self.window_sums.fill(0.0);
        for &(arm, reward) in &self.ring {
            self.window_sums[arm] += reward;
        }
        self.evictions = 0;
    }

    /// Per-arm reward sums and counts over the window.
    #[cfg(test)]
    pub(crate) fn window(&self) -> (&[f64], &[u64]) {
        (&self.window_sums, &self.window_counts)
    }
}

impl Policy for SlidingWindowUcb {
    fn choose(&mut self, _t: usize) -> Action {
        let log_n = (self.ring.len() as f64).ln().max(0.0);
        let (sums, counts, bonus) = (&self.window_sums, &self.window_counts, self.bonus);
        Action::Split(argmax_by(counts.len(), |k| match counts[k] {
            0 => f64::INFINITY,
            n => {
                let n = n as f64;
                sums[k] / n + bonus * (log_n / n).sqrt()
            }
        }))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, self.side, &mut |k, r| self.record(k, r));
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

/// Discounted UCB with discount `gamma` in (0, 1): index
/// `mean_d + 2 B c sqrt(ln n_d / n_d(k))`, with `n_d(k)` the discounted count of arm `k`, `n_d`
/// their total, `B` the width of the run's reward range and `c` the run's UCB constant (the
/// paper's `2 B sqrt(xi ln n_t(gamma) / N_t(gamma, k))`). Arms whose discounted count is 0 come
/// first.
///
/// Every step discounts all arms by `gamma`. Rather than touching every arm, the sums and counts
/// are stored divided by a global factor `scale = gamma^steps`, so a step costs O(1) per
/// observation; when `scale` gets small they are multiplied by it and it is reset to 1.
#[derive(Debug, Clone)]
pub struct DiscountedUcb {
    stats: ArmStats,
    side: SideInformation,
    /// `2 B c`: twice the reward range's width times the UCB constant.
    bonus: f64,
    gamma: f64,
    /// Discounted sums and counts, divided by `scale`.
    sums: Vec<f64>,
    counts: Vec<f64>,
    total: f64,
    scale: f64,
}

/// `scale` below which the stored values are renormalised (they stay below ~1e100 / (1 - gamma),
/// far from overflow).
const RENORMALISE_BELOW: f64 = 1e-100;

impl DiscountedUcb {
    /// Discount `gamma` in (0, 1) (validated where policy names are parsed), UCB constant `c`,
    /// for rewards in `reward_bounds` (a degenerate range counts as width 1).
    pub fn new(
        arms: usize,
        gamma: f64,
        c: f64,
        reward_bounds: (f64, f64),
        side: SideInformation,
    ) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            bonus: 2.0 * RewardRange::new(reward_bounds).width() * c,
            gamma,
            sums: vec![0.0; arms],
            counts: vec![0.0; arms],
            total: 0.0,
            scale: 1.0,
        }
    }

    /// Folds `scale` into the stored values.
    fn renormalise(&mut self) {
        for (s, n) in self.sums.iter_mut().zip(&mut self.counts) {
            *s *= self.scale;
            *n *= self.scale;
        }
        self.total *= self.scale;
        self.scale = 1.0;
    }

    /// Discounted reward sums and counts, as they are now.
    #[cfg(test)]
    pub(crate) fn discounted(&self) -> (Vec<f64>, Vec<f64>) {
        let scaled = |v: &[f64]| v.iter().map(|x| x * self.scale).collect();
        (scaled(&self.sums), scaled(&self.counts))
    }
}

impl Policy for DiscountedUcb {
    fn choose(&mut self, _t: usize) -> Action {
        let log_n = (self.total * self.scale).ln().max(0.0);
        let (sums, counts, scale, bonus) = (&self.sums, &self.counts, self.scale, self.bonus);
        Action::Split(argmax_by(counts.len(), |k| {
            // The scale cancels in the mean. A count that underflowed to 0 counts as unplayed.
            if counts[k] > 0.0 {
                sums[k] / counts[k] + bonus * (log_n / (counts[k] * scale)).sqrt()
            } else {
                f64::INFINITY
            }
        }))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        self.scale *= self.gamma;
        if self.scale < RENORMALISE_BELOW {
            self.renormalise();
        }
        let weight = 1.0 / self.scale;
        let Self {
            stats,
            side,
            sums,
            counts,
            total,
            ..
        } = self;
        for_each_observed(feedback, *side, &mut |k, r| {
            stats.record(k, r);
            sums[k] += r * weight;
            counts[k] += weight;
            *total += weight;
        });
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

/// The parameters of `sw-ucb:W[:C][+s]`: the window, and a UCB constant of its own instead of
/// the run's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlidingWindowUcbParams {
    pub window: usize,
    pub c: Option<Param>,
    pub side: SideInformation,
}

const SW_UCB_C: Rule = Rule {
    what: "the UCB constant C",
    form: "sw-ucb:W:C",
    must: NON_NEGATIVE.must,
    ok: NON_NEGATIVE.ok,
};

/// `sw-ucb:W[:C][+s]`.
impl PolicyFamily for SlidingWindowUcb {
    type Params = SlidingWindowUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "sw-ucb",
        help: "sw-ucb:W[:C]",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<SlidingWindowUcbParams, String> {
        let (first, c) = name.split_trailing();
        let window = match first.param {
            None => {
                return Err(format!(
                    "`{}`: the window W is missing (write sw-ucb:W, W >= 1)",
                    name.name
                ))
            }
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(w) if w >= 1 => w,
                _ => {
                    return Err(format!(
                        "`{}`: the window W in sw-ucb:W must be a whole number of observations \
                         >= 1, got `{raw}`",
                        name.name
                    ))
                }
            },
        };
        let c = c.map(|c| c.required(&SW_UCB_C)).transpose()?;
        Ok(SlidingWindowUcbParams {
            window,
            c,
            side: name.side,
        })
    }

    fn write(p: &SlidingWindowUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (c, side) = (own_constant(p.c), side_suffix(p.side));
        write!(f, "sw-ucb:{}{c}{side}", p.window)
    }

    fn build(p: &SlidingWindowUcbParams, ctx: &RunContext) -> Self {
        let c = p.c.map_or(ctx.ucb_c, Param::get);
        Self::new(ctx.arms, p.window, c, ctx.reward_bounds, p.side)
    }

    fn side(p: &SlidingWindowUcbParams) -> SideInformation {
        p.side
    }
}

/// The parameters of `d-ucb:G[:C][+s]`: the discount, and a UCB constant of its own instead of
/// the run's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiscountedUcbParams {
    pub gamma: Param,
    pub c: Option<Param>,
    pub side: SideInformation,
}

const D_UCB_GAMMA: Rule = Rule {
    what: "the discount G (gamma)",
    form: "d-ucb:G",
    must: "in (0, 1)",
    ok: |v| v > 0.0 && v < 1.0,
};
const D_UCB_C: Rule = Rule {
    what: "the UCB constant C",
    form: "d-ucb:G:C",
    must: NON_NEGATIVE.must,
    ok: NON_NEGATIVE.ok,
};

/// `d-ucb:G[:C][+s]`.
impl PolicyFamily for DiscountedUcb {
    type Params = DiscountedUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "d-ucb",
        help: "d-ucb:G[:C]",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<DiscountedUcbParams, String> {
        let (first, c) = name.split_trailing();
        let gamma = first.required(&D_UCB_GAMMA)?;
        let c = c.map(|c| c.required(&D_UCB_C)).transpose()?;
        Ok(DiscountedUcbParams {
            gamma,
            c,
            side: name.side,
        })
    }

    fn write(p: &DiscountedUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (c, side) = (own_constant(p.c), side_suffix(p.side));
        write!(f, "d-ucb:{}{c}{side}", p.gamma)
    }

    fn build(p: &DiscountedUcbParams, ctx: &RunContext) -> Self {
        let c = p.c.map_or(ctx.ucb_c, Param::get);
        Self::new(ctx.arms, p.gamma.get(), c, ctx.reward_bounds, p.side)
    }

    fn side(p: &DiscountedUcbParams) -> SideInformation {
        p.side
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::Bench;
    use crate::reward::Observation;
    use proptest::prelude::*;

    fn stream() -> impl Strategy<Value = Vec<(Vec<f64>, Option<usize>, bool)>> {
        proptest::collection::vec(
            (
                proptest::collection::vec(0.0f64..=1.0, 5),
                proptest::option::of(0usize..5),
                any::<bool>(),
            ),
            1..300,
        )
    }

    fn side(shallower: bool) -> SideInformation {
        if shallower {
            SideInformation::Shallower
        } else {
            SideInformation::None
        }
    }

    /// What a policy with or without side information records of `observed`.
    fn fed(mut observed: Vec<(usize, f64)>, shallower: bool) -> Vec<(usize, f64)> {
        if !shallower {
            observed.drain(..observed.len() - 1);
        }
        observed
    }

    fn observation(oracle: bool) -> Observation {
        if oracle {
            Observation::Oracle
        } else {
            Observation::Strict
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The window's sums and counts are those of the last `W` observations.
        #[test]
        fn window_holds_the_last_w_observations(
            steps in stream(),
            window in prop_oneof![1usize..12, Just(1000)],
            shallower in any::<bool>(),
        ) {
            let mut bench = Bench::new(5);
            let mut policy = SlidingWindowUcb::new(5, window, 1.0, bench.bounds(), side(shallower));
            let mut seen = Vec::new();
            for (t, (conf, arm, oracle)) in steps.iter().enumerate() {
                let (_, observed) = bench.step(&mut policy, t, conf, *arm, observation(*oracle));
                let observed = fed(observed, shallower);
                seen.extend(observed);
                let last = &seen[seen.len().saturating_sub(window)..];
                let (sums, counts) = policy.window();
                for k in 0..5 {
                    let in_window = last.iter().filter(|(a, _)| *a == k);
                    prop_assert_eq!(counts[k], in_window.clone().count() as u64);
                    let sum: f64 = in_window.map(|(_, r)| r).sum();
                    prop_assert!((sums[k] - sum).abs() <= 1e-9, "arm {}: {} vs {}", k, sums[k], sum);
                }
            }
        }

        /// Lazy discounting (with renormalisation, frequent at small `gamma`) gives the sums and
        /// counts of discounting every arm at every step.
        #[test]
        fn lazy_discounting_matches_eager_discounting(
            steps in stream(),
            gamma in prop_oneof![Just(0.01), Just(0.2), 0.5f64..0.9999],
            shallower in any::<bool>(),
        ) {
            let mut bench = Bench::new(5);
            let mut policy = DiscountedUcb::new(5, gamma, 1.0, bench.bounds(), side(shallower));
            let (mut sums, mut counts) = (vec![0.0; 5], vec![0.0; 5]);
            for (t, (conf, arm, oracle)) in steps.iter().enumerate() {
                let (_, observed) = bench.step(&mut policy, t, conf, *arm, observation(*oracle));
                let observed = fed(observed, shallower);
                for k in 0..5 {
                    sums[k] *= gamma;
                    counts[k] *= gamma;
                }
                for (k, r) in observed {
                    sums[k] += r;
                    counts[k] += 1.0;
                }
                let (lazy_sums, lazy_counts) = policy.discounted();
                for k in 0..5 {
                    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
                    prop_assert!(close(lazy_sums[k], sums[k]), "sum {}: {} vs {}", k, lazy_sums[k], sums[k]);
                    prop_assert!(close(lazy_counts[k], counts[k]), "count {}: {} vs {}", k, lazy_counts[k], counts[k]);
                }
            }
        }
    }

    /// Long streams stay finite and the window sums do not drift.
    #[test]
    fn long_streams_stay_exact_enough() {
        let mut bench = Bench::new(3);
        let bounds = bench.bounds();
        let mut sw = SlidingWindowUcb::new(3, 7, 1.0, bounds, SideInformation::Shallower);
        let mut d = DiscountedUcb::new(3, 0.3, 1.0, bounds, SideInformation::Shallower);
        let mut seen = Vec::new();
        for t in 0..100_000 {
            let x = (t as f64 * 0.618_033_988_7).fract();
            let conf = [x, 1.0 - x, 0.5 + 0.5 * x];
            let (_, observed) = bench.step(&mut sw, t, &conf, None, Observation::Strict);
            seen.extend(observed);
            bench.step(&mut d, t, &conf, None, Observation::Oracle);
        }
        let last = &seen[seen.len() - 7..];
        let (sums, _) = sw.window();
        for (k, window_sum) in sums.iter().enumerate() {
            let sum: f64 = last.iter().filter(|(a, _)| *a == k).map(|(_, r)| r).sum();
            assert!((window_sum - sum).abs() < 1e-12);
        }
        let (d_sums, d_counts) = d.discounted();
        assert!(d_sums.iter().chain(&d_counts).all(|x| x.is_finite()));
        assert!(d_counts.iter().sum::<f64>() <= 3.0 / (1.0 - 0.3) + 1e-9);
    }

    /// Arm 0 earned 0.8 a hundred times and arm 1 0.3 four times: a narrow reward range makes
    /// the bonus small and the policy exploits arm 0; a wide one makes it explore arm 1.
    #[test]
    fn the_bonus_scales_with_the_width_of_the_reward_range() {
        fn after_warm_up(policy: &mut impl Policy) -> Action {
            let mut bench = Bench::new(2);
            // Exit 1 confident (reward 0.9 - 0.1), or the final exit (0.5 - 0.2).
            let conf = [0.9, 0.5];
            for t in 0..104 {
                let arm = usize::from(t >= 100);
                bench.step(policy, t, &conf, Some(arm), Observation::Strict);
            }
            policy.choose(104)
        }
        let none = SideInformation::None;
        // Index gap of arm 1 over arm 0: -0.5 + 0.862 B for SW-UCB, twice the bonus for D-UCB.
        for (narrow, wide) in [((0.0, 0.5), (-1.0, 1.0)), ((0.2, 0.7), (-3.0, 2.0))] {
            let sw = |bounds| after_warm_up(&mut SlidingWindowUcb::new(2, 1000, 1.0, bounds, none));
            assert_eq!(sw(narrow), Action::Split(0));
            assert_eq!(sw(wide), Action::Split(1));
        }
        let d = |bounds| after_warm_up(&mut DiscountedUcb::new(2, 0.99999, 1.0, bounds, none));
        assert_eq!(d((0.0, 0.25)), Action::Split(0));
        assert_eq!(d((0.0, 1.0)), Action::Split(1));
        // A degenerate range counts as width 1.
        assert_eq!(d((0.5, 0.5)), Action::Split(1));
    }
}
