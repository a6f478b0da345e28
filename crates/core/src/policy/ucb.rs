//! UCB1 over split arms: SplitEE (bandit feedback), SplitEE-S (side observations) and UCB1
//! with its own constant (`ucb1:C`), three families of one policy.

use super::registry::{side_suffix, Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{check_counts, check_finite, check_len, for_each_observed};
use super::{Param, Policy, RunContext};
use crate::params::NON_NEGATIVE;
use crate::reward::{Action, Feedback, RecordReward};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which other arms a decision updates besides the played one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SideInformation {
    /// Bandit feedback: only the played arm (SplitEE).
    None,
    /// Every shallower arm whose reward is observable (SplitEE-S).
    Shallower,
}

/// UCB1 with index `S_k/N_k + c*sqrt(ln(t+1)/N_k)` at 0-based step `t` (`ln t` with
/// [`LogCount::Previous`]); unplayed arms come first, and ties go to the lowest arm (as in the
/// published code).
///
/// The argmax is exactly that of the published formula, but computed cheaply: a fast index
/// `mean_k + c*sqrt(ln(t+1))*rsqrt_k` from cached per-arm values differs from the exact one by a
/// few ulps, so only arms whose fast index is within a safe margin of the best are evaluated
/// with the exact formula (usually one).
///
/// It learns the sums and counts; the caches below them are rebuilt on restore (they only speed
/// up the argmax, which is exact without them).
#[derive(Debug, Clone)]
pub struct Ucb {
    c: f64,
    side: SideInformation,
    sums: Vec<f64>,
    counts: Vec<u64>,
    /// `S_k / N_k` (to within an ulp), refreshed when arm `k` is updated.
    means: Vec<f64>,
    /// `1 / sqrt(N_k)`.
    rsqrt: Vec<f64>,
    /// Scratch: the fast index of every arm at the current step.
    fast: Vec<f64>,
    /// Arms with no observation yet: played first, lowest first.
    unplayed: usize,
    /// Which count of decisions the index takes the logarithm of.
    log_count: LogCount,
    log_t: RunningLog,
    /// Proof that one arm leads the others by more than the error margin, kept across steps so
    /// most steps need not look at every arm.
    lead: Option<Lead>,
}

/// What [`Ucb`] learns: per-arm reward sums and counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UcbLearned {
    sums: Vec<f64>,
    counts: Vec<u64>,
}

/// `leader`'s rivals all have fast indices at most `bound` at scale `scale`. Between steps a
/// rival's index grows by at most `(scale' - scale) * rsqrt_max` (its `1/sqrt(N)` only
/// shrinks), and an updated rival raises `bound` to its new index; while `bound` stays below the
/// leader's cutoff, the leader is the lone contender, hence the exact argmax.
#[derive(Debug, Clone, Copy)]
struct Lead {
    leader: usize,
    bound: f64,
    scale: f64,
    rsqrt_max: f64,
}

/// Which count of decisions a UCB index takes the logarithm of at 0-based step `t`: the published
/// codes differ by one, which changes decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum LogCount {
    /// `ln(t + 1)`, the decisions including this one (the SplitEE code).
    #[default]
    Including,
    /// `ln t`, the decisions before this one (the AdaEE code); `ln 1 = 0` at step 0.
    Previous,
}

impl LogCount {
    /// The step `u` whose `ln(u + 1)` is this count's logarithm at step `t`.
    #[inline]
    fn step(self, t: usize) -> usize {
        match self {
            Self::Including => t,
            Self::Previous => t.saturating_sub(1),
        }
    }
}

/// Relative bound on the fast index's error (rounding, and the running logarithm's drift of at
/// most ~1e-14), with a wide safety factor.
const FAST_INDEX_MARGIN: f64 = 1e-13;

/// `ln(t + 1)` for consecutive steps at the price of a division: from step 4096 on it advances
/// by the series of `ln(1 + 1/t)` (truncation error below 1e-19 a step) and is recomputed exactly
/// every 256 steps, so it never drifts by more than ~1e-14.
#[derive(Debug, Clone)]
struct RunningLog {
    t: usize,
    value: f64,
}

impl RunningLog {
    /// Not started: the first call computes the logarithm exactly.
    fn new() -> Self {
        Self {
            t: usize::MAX,
            value: 0.0,
        }
    }

    #[inline]
    fn at(&mut self, t: usize) -> f64 {
        if t == self.t + 1 && t >= 4096 && t % 256 != 0 {
            let x = 1.0 / t as f64;
            self.value += x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * 0.25)));
        } else {
            self.value = ((t + 1) as f64).ln();
        }
        self.t = t;
        self.value
    }
}

impl Ucb {
    pub fn new(arms: usize, c: f64, side: SideInformation) -> Self {
        Self::with_log_count(arms, c, side, LogCount::default())
    }

    /// UCB1 whose index takes the logarithm of `log_count`.
    pub fn with_log_count(arms: usize, c: f64, side: SideInformation, log_count: LogCount) -> Self {
        Self {
            c,
            side,
            sums: vec![0.0; arms],
            counts: vec![0; arms],
            means: vec![0.0; arms],
            rsqrt: vec![0.0; arms],
            fast: vec![0.0; arms],
            unplayed: arms,
            log_count,
            log_t: RunningLog::new(),
            lead: None,
        }
    }

    /// `means` and `rsqrt` of `arm` from its sum and count, as [`Ucb::record`] sets them (for a
    /// restored state).
    fn refresh(&mut self, arm: usize) {
        let n = self.counts[arm] as f64;
        if n == 0.0 {
            (self.means[arm], self.rsqrt[arm]) = (0.0, 0.0);
            return;
        }
        let inverse = 1.0 / n;
        self.means[arm] = self.sums[arm] * inverse;
        self.rsqrt[arm] = inverse.sqrt();
    }

    /// Cutoff below which an arm cannot be an exact maximiser when the top fast index is `top`.
    #[inline]
    fn cutoff(top: f64, scale: f64) -> f64 {
        top - 2.0 * FAST_INDEX_MARGIN * (1.0 + top.abs() + scale)
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
        // From here on the logarithm is `ln(t + 1)` of the shifted step.
        let t = self.log_count.step(t);
        let scale = self.c * self.log_t.at(t).sqrt();
        if let Some(lead) = &mut self.lead {
            let leader = lead.leader;
            let top = self.means[leader] + scale * self.rsqrt[leader];
            // Rivals rise by at most `rsqrt_max` per unit of scale; were the scale to fall (the
            // running logarithm's resync), they would only fall.
            let bound = lead.bound + (scale - lead.scale).max(0.0) * lead.rsqrt_max;
            // A few ulps of slack for the rounding of `bound` itself.
            if bound + 1e-15 * (1.0 + bound.abs() + scale) < Self::cutoff(top, scale) {
                (lead.bound, lead.scale) = (bound, scale);
                return leader;
            }
            self.lead = None;
        }
        // Equal-length slices and plain index loops: no bounds checks, and the first loop
        // vectorises.
        let n = self.means.len();
        let (means, rsqrt, fast) = (&self.means[..n], &self.rsqrt[..n], &mut self.fast[..n]);
        for k in 0..n {
            fast[k] = means[k] + scale * rsqrt[k];
        }
        // Branch-free passes that vectorise: the top value, then how many arms come within the
        // error bound of it, then (usually) the single arm that does.
        let top = max_of(fast);
        let cutoff = Self::cutoff(top, scale);
        let contenders = fast.iter().filter(|&&index| index >= cutoff).count();
        let leader = fast.iter().position(|&index| index >= cutoff).unwrap_or(0);
        // Every exact maximiser is a contender; a lone contender is the exact argmax.
        if contenders == 1 {
            // Maxima over the rivals (every arm but the leader), with the vectorised reduction:
            // a plain fold is one long dependency chain, and with many arms it dominated.
            let rivals_max = |values: &[f64]| {
                let (below, above) = values.split_at(leader);
                max_of(below).max(max_of(&above[1..]))
            };
            self.lead = Some(Lead {
                leader,
                bound: rivals_max(fast),
                scale,
                rsqrt_max: rivals_max(rsqrt).max(0.0),
            });
            return leader;
        }
        let log_t = ((t + 1) as f64).ln();
        let mut best = leader;
        let mut best_index = self.exact_index(leader, log_t);
        for k in leader + 1..n {
            if self.fast[k] >= cutoff {
                let index = self.exact_index(k, log_t);
                if index > best_index || (index == best_index && k < best) {
                    (best, best_index) = (k, index);
                }
            }
        }
        best
    }
}

// Always inlined: it runs several times per decision with side observations, and as the
// policy's own recorder it is inlined wherever a reward is revealed.
impl RecordReward for Ucb {
    #[inline(always)]
    fn record(&mut self, arm: usize, reward: f64) {
        self.sums[arm] += reward;
        self.counts[arm] += 1;
        let n = self.counts[arm] as f64;
        if n == 1.0 {
            self.unplayed -= 1;
        }
        // One division: these feed only the fast index, whose error bound covers an ulp here.
        let inverse = 1.0 / n;
        self.means[arm] = self.sums[arm] * inverse;
        self.rsqrt[arm] = inverse.sqrt();
        if let Some(lead) = self.lead.as_mut().filter(|l| l.leader != arm) {
            let index = self.means[arm] + lead.scale * self.rsqrt[arm];
            lead.bound = lead.bound.max(index);
        }
    }
}

// `choose` and `observe` run once per decision: always inlined, so the replay loop of SplitEE,
// SplitEE-S and joint UCB (the policies replayed most) makes no call for them (with a plain
// `#[inline]`, the registry's dispatch left `choose` a call: 4 to 8% of replay time).
impl Policy for Ucb {
    #[inline(always)]
    fn choose(&mut self, t: usize) -> Action {
        Action::Split(self.best_index(t))
    }

    #[inline(always)]
    fn observe(&mut self, feedback: &Feedback<'_>) {
        let side = self.side;
        for_each_observed(feedback, side, self);
    }

    fn prime(&mut self, arm: usize, reward: f64) {
        self.record(arm, reward);
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some((&self.sums, &self.counts))
    }
}

impl Learns for Ucb {
    type Learned = UcbLearned;

    fn learned(&self) -> UcbLearned {
        UcbLearned {
            sums: self.sums.clone(),
            counts: self.counts.clone(),
        }
    }

    fn restored(&self, learned: UcbLearned, steps: u64) -> Result<Self, String> {
        let UcbLearned { sums, counts } = learned;
        let arms = self.counts.len();
        check_len("sums", sums.len(), arms)?;
        check_len("counts", counts.len(), arms)?;
        check_finite("sums", &sums)?;
        check_counts("counts", &counts, steps)?;
        if let Some(k) = (0..arms).find(|&k| counts[k] == 0 && sums[k] != 0.0) {
            return Err(format!("arm {k} has no observation but a nonzero sum"));
        }
        let mut policy = Self::with_log_count(arms, self.c, self.side, self.log_count);
        (policy.sums, policy.counts) = (sums, counts);
        for k in 0..arms {
            policy.refresh(k);
        }
        policy.unplayed = policy.counts.iter().filter(|&&n| n == 0).count();
        Ok(policy)
    }
}

/// `splitee`: UCB1 with bandit feedback and the run's constant (`--ucb-c`).
pub struct SplitEe;

impl PolicyFamily for SplitEe {
    type Params = ();
    type Policy = Ucb;
    const ENTRY: Entry = Entry {
        name: "splitee",
        help: "splitee",
        side: Side::Never,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<(), String> {
        name.bare()
    }

    fn build((): &(), ctx: &RunContext) -> Ucb {
        Ucb::with_log_count(ctx.arms, ctx.ucb_c, SideInformation::None, ctx.log_count)
    }
}

/// `splitee-s`: UCB1 with side observations from shallower arms and the run's constant.
pub struct SplitEeS;

impl PolicyFamily for SplitEeS {
    type Params = ();
    type Policy = Ucb;
    const ENTRY: Entry = Entry {
        name: "splitee-s",
        help: "splitee-s",
        side: Side::Always,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<(), String> {
        name.bare()
    }

    fn build((): &(), ctx: &RunContext) -> Ucb {
        Ucb::with_log_count(
            ctx.arms,
            ctx.ucb_c,
            SideInformation::Shallower,
            ctx.log_count,
        )
    }
}

/// `ucb1:C[+s]`: UCB1 with its own exploration constant.
pub struct Ucb1;

/// The parameters of `ucb1:C[+s]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ucb1Params {
    pub c: Param,
    pub side: SideInformation,
}

const UCB1_C: Rule = Rule {
    what: "the exploration constant C",
    form: "ucb1:C",
    must: NON_NEGATIVE.must,
    ok: NON_NEGATIVE.ok,
};

impl PolicyFamily for Ucb1 {
    type Params = Ucb1Params;
    type Policy = Ucb;
    const ENTRY: Entry = Entry {
        name: "ucb1",
        help: "ucb1:C",
        side: Side::Optional,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<Ucb1Params, String> {
        let c = name.required(&UCB1_C)?;
        Ok(Ucb1Params { c, side: name.side })
    }

    fn write(p: &Ucb1Params, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ucb1:{}{}", p.c, side_suffix(p.side))
    }

    fn build(p: &Ucb1Params, ctx: &RunContext) -> Ucb {
        Ucb::with_log_count(ctx.arms, p.c.get(), p.side, ctx.log_count)
    }

    fn side(p: &Ucb1Params) -> SideInformation {
        p.side
    }
}

/// The largest value (`values` holds no NaN; -inf when empty), with four independent
/// accumulators so the reduction vectorises.
#[inline]
fn max_of(values: &[f64]) -> f64 {
    let mut lanes = [f64::NEG_INFINITY; 4];
    let mut chunks = values.chunks_exact(4);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = if v > *lane { v } else { *lane };
        }
    }
    let tail = chunks.remainder().iter().copied();
    lanes
        .into_iter()
        .chain(tail)
        .fold(f64::NEG_INFINITY, |a, b| if b > a { b } else { a })
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
            start in prop_oneof![Just(0usize), 0usize..100_000],
        ) {
            let mut ucb = Ucb::new(6, c, SideInformation::None);
            for arm in 0..6 {
                ucb.prime(arm, 0.1 * f64::from(arm as u8 % 3));
            }
            // Late starts exercise the running logarithm.
            for (t, (arm, r)) in (start..).zip(rewards) {
                prop_assert_eq!(ucb.best_index(t), reference_argmax(&ucb, t));
                ucb.record(arm, f64::from(r) / 8.0 - 0.3);
            }
        }
    }

    /// A long stream of near-tied arms, with side updates as SplitEE-S makes them: the
    /// certificate and the running logarithm never change a decision.
    #[test]
    fn long_runs_choose_the_exact_argmax_at_every_step() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let means = [0.30, 0.31, 0.305, 0.2, 0.31, 0.1, 0.29, 0.3];
        let mut ucb = Ucb::new(means.len(), 1.0, SideInformation::None);
        for (arm, &mean) in means.iter().enumerate() {
            ucb.prime(arm, mean);
        }
        for t in 0..200_000 {
            let arm = ucb.best_index(t);
            assert_eq!(arm, reference_argmax(&ucb, t), "step {t}");
            for (j, &mean) in means.iter().enumerate().take(arm + 1) {
                if j == arm || rng.random::<f64>() < 0.5 {
                    ucb.record(j, mean + 0.2 * (rng.random::<f64>() - 0.5));
                }
            }
        }
    }

    #[test]
    fn running_log_stays_within_its_bound() {
        let mut log = RunningLog::new();
        for t in 0..200_000 {
            let exact = ((t + 1) as f64).ln();
            assert!(
                (log.at(t) - exact).abs() <= 1e-14 * exact.max(1.0),
                "t = {t}"
            );
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
