//! Optimistic index policies on stationary streams: UCB-V, UCB1-Tuned and KL-UCB. (UCB1 with
//! a chosen constant, `ucb1:C`, is the SplitEE [`super::Ucb`] itself.)
//!
//! All use `ln t = ln(t + 1)` at 0-based step `t`, as SplitEE does, play unplayed arms first
//! (lowest first) and break ties towards the lowest arm.

use super::registry::{
    side_suffix, write_constant_or_zero, Entry, Learns, Name, PolicyFamily, Rule, Side,
};
use super::stats::{argmax_by, for_each_observed, ArmStats, RewardRange};
use super::{Param, Policy, RunContext, SideInformation};
use crate::params::NON_NEGATIVE;
use crate::reward::{Action, Feedback};
use serde::{Deserialize, Serialize};
use std::fmt;

/// UCB-V (Audibert, Munos & Szepesvári 2009): `mean + sqrt(2 V ln t / n) + 3 b ln t / n`, with
/// `V` the empirical variance and `b` the width of the run's reward range.
#[derive(Debug, Clone)]
pub struct UcbV {
    stats: ArmStats,
    side: SideInformation,
    range: f64,
}

impl UcbV {
    pub fn new(arms: usize, reward_bounds: (f64, f64), side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            range: RewardRange::new(reward_bounds).width(),
        }
    }
}

impl Policy for UcbV {
    fn choose(&mut self, t: usize) -> Action {
        let s = &self.stats;
        let arm = s.first_unplayed().unwrap_or_else(|| {
            let log_t = ((t + 1) as f64).ln();
            argmax_by(s.arms(), |k| {
                let n = s.count(k) as f64;
                s.mean(k) + (2.0 * s.variance(k) * log_t / n).sqrt() + 3.0 * self.range * log_t / n
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

/// UCB1-Tuned (Auer, Cesa-Bianchi & Fischer 2002) on rewards rescaled to [0, 1]:
/// `mean + sqrt((ln t / n) * min(1/4, V + sqrt(2 ln t / n)))`.
#[derive(Debug, Clone)]
pub struct UcbTuned {
    stats: ArmStats,
    side: SideInformation,
    range: RewardRange,
}

impl UcbTuned {
    pub fn new(arms: usize, reward_bounds: (f64, f64), side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            range: RewardRange::new(reward_bounds),
        }
    }
}

impl Policy for UcbTuned {
    fn choose(&mut self, t: usize) -> Action {
        let (s, range) = (&self.stats, self.range);
        let arm = s.first_unplayed().unwrap_or_else(|| {
            let log_t = ((t + 1) as f64).ln();
            let inv_width2 = 1.0 / (range.width() * range.width());
            argmax_by(s.arms(), |k| {
                let n = s.count(k) as f64;
                let v = s.variance(k) * inv_width2 + (2.0 * log_t / n).sqrt();
                range.unit(s.mean(k)) + (log_t / n * v.min(0.25)).sqrt()
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

/// KL-UCB (Garivier & Cappé 2011) with the Bernoulli divergence on rewards rescaled to [0, 1]:
/// the index is the largest `q` in `[mean, 1]` with `n kl(mean, q) <= ln t + c ln ln t`, found by
/// safeguarded Newton and chord steps to [`KL_TOLERANCE`].
#[derive(Debug, Clone)]
pub struct KlUcb {
    stats: ArmStats,
    side: SideInformation,
    range: RewardRange,
    c: f64,
    /// The arm chosen at the last step.
    last: usize,
}

/// Width of the bracket at which the KL-UCB root finding stops (the index is its lower end, so it
/// never exceeds the exact one).
pub const KL_TOLERANCE: f64 = 1e-6;

/// Above this, the root finding starts from the smaller of both caps.
const NEAR_ONE: f64 = 0.5;

/// Bound on root-finding iterations: a handful suffice (see the tests); the bound only guards
/// against a pathological input looping for long.
const KL_MAX_ITERATIONS: usize = 32;

impl KlUcb {
    pub fn new(arms: usize, c: f64, reward_bounds: (f64, f64), side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            range: RewardRange::new(reward_bounds),
            c,
            last: 0,
        }
    }
}

/// Bernoulli KL divergence `kl(p, q)` for `p, q` in [0, 1], with `0 ln 0 = 0`.
#[inline]
pub(crate) fn kl_bernoulli(p: f64, q: f64) -> f64 {
    let a = if p > 0.0 { p * (p / q).ln() } else { 0.0 };
    let b = if p < 1.0 {
        (1.0 - p) * ((1.0 - p) / (1.0 - q)).ln()
    } else {
        0.0
    };
    a + b
}

/// An upper bound on the KL-UCB index. Since `kl(p, q) = integral from p to q of
/// (x - p) / (x (1 - x)) dx >= (q - p)^2 / (2 V)` with `V` the largest `x (1 - x)` on `[p, q]`,
/// no `q` with `(q - p)^2 > 2 d V` has `kl(p, q) <= d`. `V = p (1 - p)` when `p >= 1/2`;
/// otherwise `V <= 1/4` (Pinsker) and `V <= q (1 - p)`, whose quadratic in `q` gives the second
/// bound (tight for small `p`).
#[inline]
fn kl_cap(p: f64, d: f64) -> f64 {
    let cap = if p >= 0.5 {
        p + (2.0 * d * p * (1.0 - p)).sqrt()
    } else {
        let e = d * (1.0 - p);
        (p + (0.5 * d).sqrt()).min(p + e + (e * (e + 2.0 * p)).sqrt())
    };
    cap.min(1.0)
}

/// A second upper bound on the KL-UCB index, tight when it is close to 1: `p ln(p / q) >= p ln p`,
/// so `kl(p, q) >= -H(p) - (1 - p) ln(1 - q)` with `H` the entropy, which exceeds `d` for `q`
/// above `1 - exp(-(d + H(p)) / (1 - p))` (`p < 1`).
#[inline]
fn kl_cap_near_one(p: f64, d: f64) -> f64 {
    let entropy = if p > 0.0 { -p * p.ln() } else { 0.0 } - (1.0 - p) * (1.0 - p).ln();
    1.0 - (-(d + entropy) / (1.0 - p)).exp()
}

/// The largest `q` in `[p, 1]` with `kl(p, q) <= d`, to within [`KL_TOLERANCE`] below.
///
/// `f(q) = kl(p, q) - d` is convex and increasing on `[p, 1]`, so from a bracket `lo < root <=
/// hi` a Newton step from `hi` lands at or above the root and the chord from `lo` to `hi` at or
/// below it: each iteration tightens both ends (each candidate is checked, so rounding can never
/// break the bracket; one outside it falls back to bisection) and a handful reach the tolerance.
#[inline]
pub(crate) fn kl_upper(p: f64, d: f64) -> f64 {
    kl_root(p, d).0
}

/// [`kl_upper`], and how many iterations it took.
#[inline]
fn kl_root(p: f64, d: f64) -> (f64, usize) {
    if d <= 0.0 || p >= 1.0 {
        return (p.min(1.0), 0);
    }
    let (mut lo, mut hi) = (p, kl_cap(p, d));
    if hi > NEAR_ONE {
        hi = hi.min(kl_cap_near_one(p, d)).max(p);
        // A root closer to 1 than the tolerance (possibly not even representable below 1).
        let x = 1.0 - KL_TOLERANCE;
        if hi > x && x > p && kl_bernoulli(p, x) <= d {
            return (x, 0);
        }
    }
    let (mut f_lo, mut f_hi) = (-d, kl_bernoulli(p, hi) - d);
    if f_hi <= 0.0 {
        return (hi, 0);
    }
    let mut iterations = 0;
    while hi - lo > KL_TOLERANCE && iterations < KL_MAX_ITERATIONS {
        iterations += 1;
        let newton = hi - f_hi * hi * (1.0 - hi) / (hi - p);
        let chord = lo - f_lo * (hi - lo) / (f_hi - f_lo);
        for x in [newton, chord] {
            let x = if x > lo && x < hi { x } else { 0.5 * (lo + hi) };
            let f = kl_bernoulli(p, x) - d;
            if f <= 0.0 {
                (lo, f_lo) = (x, f);
            } else {
                (hi, f_hi) = (x, f);
            }
        }
    }
    (lo, iterations)
}

impl Policy for KlUcb {
    fn choose(&mut self, t: usize) -> Action {
        let s = &self.stats;
        if let Some(arm) = s.first_unplayed() {
            return Action::Split(arm);
        }
        let log_t = ((t + 1) as f64).ln();
        // `ln ln t` is taken as 0 while `ln t <= 1`.
        let budget = log_t + self.c * log_t.ln().max(0.0);
        let range = self.range;
        // Arm `k`'s mean in [0, 1] and its divergence budget.
        let arm = |k: usize| (range.unit(s.mean(k)), budget / s.count(k) as f64);
        // The last step's choice first: it is usually the argmax again, and then most other
        // arms' caps fall below its index and they need no root finding.
        let mut best = self.last.min(s.arms() - 1);
        let mut best_index = {
            let (p, d) = arm(best);
            kl_upper(p, d)
        };
        for k in 0..s.arms() {
            if k == best {
                continue;
            }
            let (p, d) = arm(k);
            // The exact index is at most the cap: an arm whose cap cannot win (ties go to the
            // lowest arm) is skipped, which leaves the argmax unchanged.
            let cap = kl_cap(p, d);
            if cap < best_index || (cap == best_index && k > best) {
                continue;
            }
            let index = kl_upper(p, d);
            if index > best_index || (index == best_index && k < best) {
                (best, best_index) = (k, index);
            }
        }
        self.last = best;
        Action::Split(best)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, self.side, &mut |k, r| self.stats.record(k, r));
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

impl Learns for UcbV {
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

impl Learns for UcbTuned {
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

/// What [`KlUcb`] learns: its statistics and the arm it chose last.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KlUcbLearned {
    stats: ArmStats,
    last: usize,
}

impl Learns for KlUcb {
    type Learned = KlUcbLearned;

    fn learned(&self) -> KlUcbLearned {
        KlUcbLearned {
            stats: self.stats.clone(),
            last: self.last,
        }
    }

    fn restored(&self, learned: KlUcbLearned, steps: u64) -> Result<Self, String> {
        if learned.last >= self.stats.arms() {
            return Err(format!(
                "the last arm played, {}, is not an arm",
                learned.last
            ));
        }
        let stats = learned.stats.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            last: learned.last,
            ..self.clone()
        })
    }
}

/// `ucb-v[+s]`.
impl PolicyFamily for UcbV {
    type Params = SideInformation;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "ucb-v",
        help: "ucb-v",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<SideInformation, String> {
        name.no_parameter().map(|()| name.side)
    }

    fn write(side: &SideInformation, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ucb-v{}", side_suffix(*side))
    }

    fn build(side: &SideInformation, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, ctx.reward_bounds, *side)
    }

    fn side(side: &SideInformation) -> SideInformation {
        *side
    }
}

/// `ucb-tuned[+s]`.
impl PolicyFamily for UcbTuned {
    type Params = SideInformation;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "ucb-tuned",
        help: "ucb-tuned",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<SideInformation, String> {
        name.no_parameter().map(|()| name.side)
    }

    fn write(side: &SideInformation, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ucb-tuned{}", side_suffix(*side))
    }

    fn build(side: &SideInformation, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, ctx.reward_bounds, *side)
    }

    fn side(side: &SideInformation) -> SideInformation {
        *side
    }
}

/// The parameters of `kl-ucb[:c][+s]` (`c = 0` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KlUcbParams {
    pub c: Param,
    pub side: SideInformation,
}

const KL_UCB_C: Rule = Rule {
    what: "the exploration constant c",
    form: "kl-ucb:c",
    must: NON_NEGATIVE.must,
    ok: NON_NEGATIVE.ok,
};

/// `kl-ucb[:c][+s]`.
impl PolicyFamily for KlUcb {
    type Params = KlUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "kl-ucb",
        help: "kl-ucb[:c]",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<KlUcbParams, String> {
        let c = name.optional(&KL_UCB_C)?.unwrap_or(Param::ZERO);
        Ok(KlUcbParams { c, side: name.side })
    }

    fn write(p: &KlUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_constant_or_zero(f, Self::ENTRY.name, p.c, p.side)
    }

    fn build(p: &KlUcbParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, p.c.get(), ctx.reward_bounds, p.side)
    }

    fn side(p: &KlUcbParams) -> SideInformation {
        p.side
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kl_divergence_edge_cases() {
        assert_eq!(kl_bernoulli(0.3, 0.3), 0.0);
        assert_eq!(kl_bernoulli(0.0, 0.5), 2f64.ln());
        assert_eq!(kl_bernoulli(1.0, 1.0), 0.0);
        assert!(kl_bernoulli(0.5, 1.0).is_infinite());
        assert_eq!(kl_upper(1.0, 3.0), 1.0);
        assert_eq!(kl_upper(0.4, 0.0), 0.4);
        // kl(0, q) = -ln(1 - q) <= d  <=>  q <= 1 - exp(-d).
        assert!((kl_upper(0.0, 1.0) - (1.0 - (-1f64).exp())).abs() <= KL_TOLERANCE);
    }

    /// The boundary by bisection on [p, 1] to 1e-13.
    fn bisect(p: f64, d: f64) -> f64 {
        let (mut lo, mut hi) = (p, 1.0);
        if p >= 1.0 || kl_bernoulli(p, hi) <= d {
            return 1.0;
        }
        while hi - lo > 1e-13 {
            let mid = 0.5 * (lo + hi);
            if kl_bernoulli(p, mid) <= d {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    #[test]
    fn root_finding_takes_few_iterations() {
        let mut worst = 0;
        let grid = (0..=200).map(|i| f64::from(i) / 200.0);
        for p in grid.chain([1e-12, 1e-6, 0.999, 1.0 - 1e-6, 1.0 - 1e-12]) {
            for &d in &[
                1e-12, 1e-9, 1e-6, 1e-3, 0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 40.0, 1e3,
            ] {
                let q = kl_upper(p, d);
                let reference = bisect(p, d);
                assert!(
                    (q - reference).abs() <= KL_TOLERANCE,
                    "p {p} d {d}: {q} vs {reference}"
                );
                worst = worst.max(kl_root(p, d).1);
            }
        }
        assert!(worst <= 6, "{worst} iterations");
    }

    /// KL-UCB's argmax over every arm, lowest on ties, with no pruning or ordering.
    fn reference_argmax(policy: &KlUcb, t: usize) -> usize {
        let s = &policy.stats;
        if let Some(arm) = s.first_unplayed() {
            return arm;
        }
        let log_t = ((t + 1) as f64).ln();
        let budget = log_t + policy.c * log_t.ln().max(0.0);
        argmax_by(s.arms(), |k| {
            kl_upper(policy.range.unit(s.mean(k)), budget / s.count(k) as f64)
        })
    }

    proptest! {
        /// Starting from the last choice and skipping arms by their caps leaves the argmax
        /// unchanged, also on near-ties from rewards on a coarse grid.
        #[test]
        fn pruned_argmax_is_the_plain_argmax(
            rewards in proptest::collection::vec((0usize..6, 0u8..5), 0..300),
            c in prop_oneof![Just(0.0), 0.0f64..5.0],
            start in prop_oneof![Just(0usize), 0usize..1_000_000],
        ) {
            let mut policy = KlUcb::new(6, c, (-1.0, 1.0), SideInformation::None);
            for (t, (arm, r)) in (start..).zip(rewards) {
                let expected = reference_argmax(&policy, t);
                prop_assert_eq!(policy.choose(t), Action::Split(expected));
                policy.stats.record(arm, f64::from(r) / 4.0 * 2.0 - 1.0);
            }
        }

        /// The root finding's answer satisfies the constraint and is within the tolerance below
        /// the boundary found by plain bisection to 1e-13 (or the boundary is 1).
        #[test]
        fn kl_upper_is_the_constraint_boundary(p in 0.0f64..=1.0, d in 0.0f64..20.0) {
            let q = kl_upper(p, d);
            prop_assert!(q >= p && q <= 1.0);
            prop_assert!(kl_bernoulli(p, q) <= d + 1e-12);
            let above = (q + KL_TOLERANCE).min(1.0);
            prop_assert!(above == 1.0 || kl_bernoulli(p, above) >= d);
            let reference = bisect(p, d);
            prop_assert!(q <= reference + 1e-12 && q >= reference - KL_TOLERANCE, "{} vs {}", q, reference);
        }
    }
}
