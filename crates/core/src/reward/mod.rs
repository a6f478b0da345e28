//! Label-free rewards, outcomes and the observation model (SPEC section 2).
//!
//! Rewards are computed as `C - mu*off - mu*proc`, the operation order of the published code, so
//! that compatibility mode agrees with it to the last bit (with `mu = 1` the products are exact).

mod row;

pub use self::row::SampleRow;

use crate::arms::{ArmSpace, Arms};
use crate::cost::{CostModel, ReportedCost, ResolvedCosts};
use crate::named::Named;
use serde::{Deserialize, Serialize};

/// What a policy may read after a decision (SPEC section 2, observation model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Observation {
    /// Only what the device and the cloud actually computed.
    #[default]
    Strict,
    /// Strict, made unbiased: a sample that exits on the device is also sent to the cloud with
    /// a small probe probability `p`, and a side reward that needs the final confidence counts
    /// `r / p` when probed and `0` when not (inverse propensity weighting).
    Unbiased,
    /// Side updates may read `C_L` even when the sample exited on the device (published
    /// SplitEE-S behaviour; a deployment never has this information).
    Oracle,
}

/// The label-free reward a policy learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RewardKind {
    /// SplitEE: confidence minus costs (`C_k - mu*proc(k)` on exit, `C_L - mu*(proc(k) +
    /// off(k))` on offload).
    #[default]
    Splitee,
    /// CeeBERT's confidence gain: `0` on exit, `C_L - C_k - mu*off(k)` on offload.
    ConfidenceGain,
    /// AdaEE's confidence gain (as its released code computes it), clipped at 0 before the
    /// offloading cost: `0` on exit, `max(C_L - C_k, 0) - mu*off(k)` on offload.
    ConfidenceGainClipped,
    /// UEE-UCB's (Hari Narayan et al., arXiv 2209.09480) reward from predictions alone: the
    /// device answers at the exit it runs to (never offloads) and earns `D_1k + mu*proc(1) -
    /// mu*proc(k)`, with `D_1k = 1` when exit k's prediction differs from exit 1's. Under strong
    /// dominance (an exit that is right stays right deeper) the mean of `D_1k` is
    /// `err_1 - err_k`, so the best arm minimises `mu*proc(k) + err_k`.
    Disagreement,
}

impl RewardKind {
    /// Whether the reward reads confidences (a prediction-only trace cannot give them).
    pub fn needs_confidences(self) -> bool {
        self != Self::Disagreement
    }
}

impl Named for Observation {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Strict,
            "strict",
            "Only what the device and the cloud actually computed",
        ),
        (
            Self::Unbiased,
            "unbiased",
            "Strict, made unbiased: a sample that exits on the device is also sent to the cloud \
             with a small probe probability `p`, and a side reward that needs the final \
             confidence counts `r / p` when probed and `0` when not (inverse propensity weighting)",
        ),
        (
            Self::Oracle,
            "oracle",
            "Side updates may read `C_L` even when the sample exited on the device (published \
             SplitEE-S behaviour; a deployment never has this information)",
        ),
    ];
}

impl Named for RewardKind {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Splitee,
            "splitee",
            "SplitEE: confidence minus costs (`C_k - mu*proc(k)` on exit, `C_L - mu*(proc(k) + \
             off(k))` on offload)",
        ),
        (
            Self::ConfidenceGain,
            "confidence-gain",
            "CeeBERT's confidence gain: `0` on exit, `C_L - C_k - mu*off(k)` on offload",
        ),
        (
            Self::ConfidenceGainClipped,
            "confidence-gain-clipped",
            "AdaEE's confidence gain, clipped at 0 before the offloading cost: `0` on exit, \
             `max(C_L - C_k, 0) - mu*off(k)` on offload",
        ),
        (
            Self::Disagreement,
            "disagreement",
            "UEE-UCB's reward from predictions alone (prediction-only traces): the device \
             answers at the exit it runs to and earns `D_1k + mu*proc(1) - mu*proc(k)`, `D_1k = \
             1` when exit k's prediction differs from exit 1's (under strong dominance the best \
             exit minimises cost + error)",
        ),
    ];
}

crate::display_by_name!(Observation, RewardKind);

/// What to do with one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Play arm `a` of the policy's [`Arms`]: run the device up to the arm's split, exit there if
    /// its confidence reaches the arm's threshold, else offload. With one threshold, arm `a` is
    /// split `a`.
    Split(usize),
    /// Walk the exits on the device, stop at the first confident one, never offload.
    DeviceOnly,
}

/// The result of an action on one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The arm reported for the decision: the arm played for [`Action::Split`], the exit where
    /// the device stopped for [`Action::DeviceOnly`].
    pub arm: usize,
    /// The 0-based split of the arm.
    pub split: usize,
    /// The 0-based exit whose prediction is the answer.
    pub answered_by: usize,
    pub offloaded: bool,
    /// The sample exited on the device but was also sent to the cloud to observe the final
    /// confidence (see [`Observation::Unbiased`]); its offloading cost is in `cost`.
    pub probed: bool,
    /// The played arm's reward (what the policy learns from; a probe's cost is not the arm's).
    pub reward: f64,
    pub cost: f64,
}

/// The arms, thresholds, costs and reward formula that turn a trace row into rewards.
#[derive(Debug, Clone)]
pub struct RewardModel {
    /// The device-only early exit's threshold (and the arms' when they have one).
    alpha: f64,
    arms: Arms,
    kind: RewardKind,
    costs: ResolvedCosts,
    reported: ReportedCost,
    /// `lambda` for the published script's reported cost.
    script_lambda: f64,
}

impl RewardModel {
    /// The reward model of a run's settings: threshold `alpha`, the costs of `cost` resolved
    /// for a trace, reported as charged, and the reward `kind`. Replays, live learners and the
    /// fixed-arm frontier all build theirs here.
    pub fn of_settings(
        alpha: f64,
        cost: &CostModel,
        costs: ResolvedCosts,
        kind: RewardKind,
    ) -> Self {
        let lambda = cost.linear_lambda().unwrap_or(0.0);
        Self::new(alpha, costs, ReportedCost::Standard, lambda).with_kind(kind)
    }

    /// SplitEE's reward over every split at threshold `alpha`. `script_lambda` is only read
    /// when `reported` is [`ReportedCost::SplitEe2023Script`].
    pub fn new(
        alpha: f64,
        costs: ResolvedCosts,
        reported: ReportedCost,
        script_lambda: f64,
    ) -> Self {
        Self {
            alpha,
            arms: Arms::splits(costs.weighted_offload().len(), alpha),
            kind: RewardKind::Splitee,
            costs,
            reported,
            script_lambda,
        }
    }

    pub fn costs(&self) -> &ResolvedCosts {
        &self.costs
    }

    pub fn arms(&self) -> &Arms {
        &self.arms
    }

    pub fn kind(&self) -> RewardKind {
        self.kind
    }

    /// The same model with another reported-cost formula.
    pub fn with_reported(&self, reported: ReportedCost) -> Self {
        Self {
            reported,
            ..self.clone()
        }
    }

    /// The same model with another reward formula. Under the disagreement reward the device
    /// answers at the exit it runs to: threshold 0, which every stored confidence reaches (a
    /// prediction-only trace stores 0).
    pub fn with_kind(self, kind: RewardKind) -> Self {
        if kind.needs_confidences() {
            return Self { kind, ..self };
        }
        let exits = self.costs.weighted_offload().len();
        Self {
            kind,
            alpha: 0.0,
            arms: Arms::splits(exits, 0.0),
            ..self
        }
    }

    /// The same model over the arms of `space`, with `thresholds` as the grid.
    pub fn with_space(&self, space: ArmSpace, thresholds: &[f64]) -> Self {
        let exits = self.costs.weighted_offload().len();
        Self {
            arms: Arms::of(space, exits, self.alpha, thresholds),
            ..self.clone()
        }
    }

    /// What a decision earned: the played arm's reward, less the weighted offloading cost of a
    /// probe.
    #[inline]
    pub fn realised_reward(&self, outcome: &Outcome) -> f64 {
        if outcome.probed {
            outcome.reward - self.costs.weighted_offload()[outcome.split]
        } else {
            outcome.reward
        }
    }

    fn reported_cost(&self, row: &SampleRow, exit: usize, offloaded: bool) -> f64 {
        let off = if offloaded {
            self.costs.offload(exit)
        } else {
            0.0
        };
        match self.reported {
            ReportedCost::Standard => off + row.processing[exit],
            // `o + 0.8*lambda*i + lambda`, evaluated left to right as the script does.
            ReportedCost::SplitEe2023Script => {
                off + 0.8 * self.script_lambda * exit as f64 + self.script_lambda
            }
        }
    }

    /// Reward of arm `a` on `row`.
    #[inline(always)]
    pub fn reward(&self, row: &SampleRow, a: usize) -> f64 {
        let (exit, exits) = self.stop(row, a);
        self.split_reward(row, exit, exits)
    }

    /// Where arm `a` leaves the device on `row`, and whether it exits there (see
    /// [`Arms::stop`]).
    #[inline(always)]
    fn stop(&self, row: &SampleRow, a: usize) -> (usize, bool) {
        self.arms.stop(a, &row.conf)
    }

    /// Reward of splitting after exit `k` on `row`, when the sample `exits` there or not.
    #[inline(always)]
    fn split_reward(&self, row: &SampleRow, k: usize, exits: bool) -> f64 {
        let last = row.conf.len() - 1;
        match self.kind {
            RewardKind::Splitee => {
                // Selecting instead of branching: whether a sample exits is data-dependent and
                // would be mispredicted about half the time. At the final exit `mu*off = 0`, so
                // `C_L - 0 = C_L`.
                let confidence = if exits {
                    row.conf[k]
                } else {
                    row.conf[last] - self.costs.weighted_offload()[k]
                };
                confidence - row.weighted_processing[k]
            }
            RewardKind::ConfidenceGain | RewardKind::ConfidenceGainClipped => {
                if exits || k == last {
                    return 0.0;
                }
                let gain = row.conf[last] - row.conf[k];
                let gain = if self.kind == RewardKind::ConfidenceGainClipped {
                    gain.max(0.0)
                } else {
                    gain
                };
                gain - self.costs.weighted_offload()[k]
            }
            // In the notebook's order, `P_1k + c_1 - c_k`.
            RewardKind::Disagreement => {
                row.disagreement[k] + row.weighted_processing[0] - row.weighted_processing[k]
            }
        }
    }

    /// The weighted cost that the reward of splitting after exit `k` on `row` subtracts, when
    /// the sample `exits` there or not: SplitEE's `mu*proc(k)` plus `mu*off(k)` on offload; the
    /// confidence gains' `mu*off(k)` on offload (they charge no processing); the disagreement
    /// reward's `mu*proc(k) - mu*proc(1)`, the processing beyond exit 1. A policy that
    /// observes cost apart from reward (UCB-BwK) reads it here, so the two stay in step with
    /// [`Self::split_reward`]: the reward plus this cost is the confidence part alone.
    #[inline]
    fn split_cost(&self, row: &SampleRow, k: usize, exits: bool) -> f64 {
        let offload = if exits || k == row.conf.len() - 1 {
            0.0
        } else {
            self.costs.weighted_offload()[k]
        };
        match self.kind {
            RewardKind::Splitee => row.weighted_processing[k] + offload,
            RewardKind::ConfidenceGain | RewardKind::ConfidenceGainClipped => offload,
            RewardKind::Disagreement => row.weighted_processing[k] - row.weighted_processing[0],
        }
    }

    /// The range every arm's reward on `row` lies in, whatever its confidences (which are in
    /// [0, 1]). SplitEE: arm k earns between `-(mu*proc(k) + mu*off(k))` and `1 - mu*proc(k)`;
    /// confidence gain: between `-1 - mu*off(k)` (clipped: `-mu*off(k)`) and `1 - mu*off(k)`,
    /// and 0 on exit; disagreement: between `mu*proc(1) - mu*proc(k)` and one more.
    ///
    /// A threshold vector may stop at any exit up to its split: its range is taken over all of
    /// them (a superset of what it can earn, which is all a bound needs).
    pub fn reward_bounds(&self, row: &SampleRow) -> (f64, f64) {
        let last = row.conf.len() - 1;
        let mut bounds = (f64::INFINITY, f64::NEG_INFINITY);
        let stops = (0..self.arms.len()).flat_map(|a| {
            let k = self.arms.split(a);
            let first = match self.arms.learned_vector(a) {
                Some(_) => 0,
                None => k,
            };
            first..=k
        });
        for k in stops {
            let (p, o) = (row.weighted_processing[k], self.costs.weighted_offload()[k]);
            let (lo, hi) = match self.kind {
                RewardKind::Splitee => (-(p + o), 1.0 - p),
                RewardKind::Disagreement => {
                    let saved = row.weighted_processing[0] - p;
                    (saved, 1.0 + saved)
                }
                _ if k == last => (0.0, 0.0),
                RewardKind::ConfidenceGain => ((-1.0 - o).min(0.0), (1.0 - o).max(0.0)),
                RewardKind::ConfidenceGainClipped => ((-o).min(0.0), (1.0 - o).max(0.0)),
            };
            bounds = (bounds.0.min(lo), bounds.1.max(hi));
        }
        bounds
    }

    /// The reward of every arm on `row`, into `out`: per split its two possible rewards, then
    /// per arm the one its threshold selects.
    #[inline]
    pub fn rewards_into(&self, row: &SampleRow, out: &mut [f64]) {
        if self.arms.is_vectors() {
            for (a, r) in out.iter_mut().enumerate() {
                *r = self.reward(row, a);
            }
            return;
        }
        if self.arms.is_by_split() && self.kind == RewardKind::Splitee {
            // SplitEE's layout: zipped slices with no bounds checks, so the loop vectorises
            // (this pass runs over every sample before the runs).
            let (last, alpha) = (row.conf[row.conf.len() - 1], self.arms.threshold(0));
            let arms = out
                .iter_mut()
                .zip(&row.conf)
                .zip(self.costs.weighted_offload())
                .zip(&row.weighted_processing);
            for (((r, &c), &offload), &processing) in arms {
                let confidence = if c < alpha { last - offload } else { c };
                *r = confidence - processing;
            }
            return;
        }
        let mut start = 0;
        while start < out.len() {
            let k = self.arms.split(start);
            let end = self.arms.block_end(start).min(out.len());
            let (on_exit, on_offload) = (
                self.split_reward(row, k, true),
                self.split_reward(row, k, false),
            );
            for (a, r) in out[start..end].iter_mut().enumerate() {
                *r = if row.conf[k] >= self.arms.threshold(start + a) {
                    on_exit
                } else {
                    on_offload
                };
            }
            start = end;
        }
    }

    /// Plays `action` on `row`.
    #[inline(always)]
    pub fn play(&self, row: &SampleRow, action: Action) -> Outcome {
        let last = row.conf.len() - 1;
        let (arm, split, offloaded, reward) = match action {
            Action::Split(a) => {
                // The arm's stop is found once, for both the path and the reward. A threshold
                // vector's split is where its device stopped: the exits computed.
                let (k, exits) = self.stop(row, a);
                (a, k, k < last && !exits, self.split_reward(row, k, exits))
            }
            Action::DeviceOnly => {
                let stop = row.conf[..last]
                    .iter()
                    .position(|&c| c >= self.alpha)
                    .unwrap_or(last);
                (stop, stop, false, self.reward(row, stop))
            }
        };
        Outcome {
            arm,
            split,
            answered_by: if offloaded { last } else { split },
            offloaded,
            probed: false,
            reward,
            cost: self.reported_cost(row, split, offloaded),
        }
    }

    /// Sends a sample that exited on the device to the cloud as well, to observe the final
    /// confidence: the outcome now knows `C_L` and pays the offloading cost.
    pub fn probe(&self, outcome: &mut Outcome) {
        if !outcome.offloaded && outcome.split < self.costs.weighted_offload().len() - 1 {
            outcome.probed = true;
            outcome.cost += self.costs.offload(outcome.split);
        }
    }

    /// Whether the reward of arm `j` needs the final confidence on `row` (it offloads there).
    #[inline]
    fn needs_final(&self, row: &SampleRow, j: usize) -> bool {
        let (k, exits) = self.stop(row, j);
        k < row.conf.len() - 1 && !exits
    }

    /// Whether the reward of arm `j` can be known after `outcome`, under `observation`.
    ///
    /// The device has computed `C_1..C_k` for the played split `k`; it knows `C_L` only if it
    /// offloaded (the cloud returns every exit's confidence), probed, or ran to the final exit.
    #[inline]
    pub fn is_observable(
        &self,
        row: &SampleRow,
        outcome: &Outcome,
        j: usize,
        observation: Observation,
    ) -> bool {
        if observation == Observation::Oracle || outcome.offloaded {
            return true;
        }
        // The exits arm j reads, up to where it stops, must have been computed.
        if self.stop(row, j).0 > outcome.split {
            return false;
        }
        // C_j was computed; exiting at j needs nothing more.
        let knows_final = outcome.probed || outcome.split == row.conf.len() - 1;
        knows_final || !self.needs_final(row, j)
    }
}

/// How a decision reveals a reward whose inputs the device may not have computed.
#[derive(Debug, Clone, Copy)]
enum Reveal {
    Seen,
    Hidden,
    /// Estimated through the probe of [`Observation::Unbiased`], sent with probability `p`:
    /// `r / p` if it was sent (`Some(p)`), else `0`.
    Estimated(Option<f64>),
}

impl Reveal {
    /// What the policy learns of reward `r`.
    // Three cases, not four: four would be compiled to a jump table, whose target changes from
    // one decision to the next and is mispredicted.
    #[inline(always)]
    fn of(self, r: f64) -> Option<f64> {
        match self {
            Reveal::Seen => Some(r),
            Reveal::Hidden => None,
            Reveal::Estimated(probe) => Some(probe.map_or(0.0, |p| r / p)),
        }
    }
}

/// What a decision tells of one arm against the final exit ([`Feedback::audit`]): each value
/// with its weight, `None` when hidden.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Audit {
    /// The arm's reported cost on the sample.
    pub cost: Option<(f64, f64)>,
    /// 1 if the arm's answer differs from the final exit's, else 0.
    pub disagreement: Option<(f64, f64)>,
}

/// Receives the rewards a decision reveals, arm by arm (see [`Feedback::for_each_side`]). A
/// closure `FnMut(arm, reward)` is one; a policy whose update runs on every decision implements
/// it itself, so that the update is inlined at every place a reward is revealed (a closure
/// called from several places may stay a call).
pub trait RecordReward {
    fn record(&mut self, arm: usize, reward: f64);
}

impl<F: FnMut(usize, f64)> RecordReward for F {
    #[inline(always)]
    fn record(&mut self, arm: usize, reward: f64) {
        self(arm, reward)
    }
}

/// What a policy is told after a decision: the played reward, and on request the reward of any
/// other arm that the observation model allows it to see.
pub struct Feedback<'a> {
    pub outcome: &'a Outcome,
    row: &'a SampleRow,
    model: &'a RewardModel,
    observation: Observation,
    /// The probe probability `p` of [`Observation::Unbiased`].
    probe: f64,
}

impl<'a> Feedback<'a> {
    /// `probe` is the probe probability of [`Observation::Unbiased`] (ignored otherwise).
    pub fn new(
        outcome: &'a Outcome,
        row: &'a SampleRow,
        model: &'a RewardModel,
        observation: Observation,
        probe: f64,
    ) -> Self {
        Self {
            outcome,
            row,
            model,
            observation,
            probe,
        }
    }

    /// The arm that was played.
    pub fn arm(&self) -> usize {
        self.outcome.arm
    }

    pub fn reward(&self) -> f64 {
        self.outcome.reward
    }

    /// The weighted cost the played arm's reward subtracts (a probe's offloading is not the
    /// arm's, as it is not in the reward): see [`RewardModel`]'s `split_cost`. Always
    /// observable: the device knows where it stopped and whether it offloaded.
    pub fn charged_cost(&self) -> f64 {
        let outcome = self.outcome;
        let exits = !outcome.offloaded;
        self.model.split_cost(self.row, outcome.split, exits)
    }

    /// Whether arm `j` sends this sample to the cloud. Known (from confidences the device
    /// computed) for every arm whose reward this decision reveals under strict or oracle
    /// observation; load-aware policies price the reward of such an arm by it.
    #[inline]
    pub fn offloads(&self, j: usize) -> bool {
        self.model.needs_final(self.row, j)
    }

    /// The other arms this decision may inform are `0..side_arms_end()` (all but the played
    /// one): those whose split is at or below the played split (strictly below with one
    /// threshold: SplitEE-S). Over a threshold grid, an offloaded sample informs every arm (the
    /// cloud returns every exit's confidence), and unbiased observation estimates every arm on
    /// every sample (deeper splits through the probe).
    #[inline]
    pub fn side_arms_end(&self) -> usize {
        let arms = self.model.arms();
        if !arms.has_one_threshold()
            && (self.outcome.offloaded || self.observation == Observation::Unbiased)
        {
            arms.len()
        } else {
            arms.side_arms_end(self.outcome.arm)
        }
    }

    /// Calls `record(j, side_reward(j))` for every arm `j` in `0..side_arms_end()` other than
    /// the played one whose side reward is `Some`, lowest first. What the observation model
    /// reveals is settled once per decision, not per arm; over a threshold grid the rewards are
    /// computed once per split (a split's arms share its two possible rewards).
    #[inline(always)]
    pub fn for_each_side(&self, record: &mut impl RecordReward) {
        let (model, row, outcome) = (self.model, self.row, self.outcome);
        let arms = model.arms();
        let needing_final = self.final_reveal();
        if arms.has_one_threshold() {
            // One threshold: the side arms are the splits below the played one, all computed
            // on the device and none the final exit.
            let alpha = arms.threshold(0);
            let end = arms.side_arms_end(outcome.arm);
            for (k, &c) in row.conf[..end].iter().enumerate() {
                let exits = c >= alpha;
                let r = model.split_reward(row, k, exits);
                let seen = if exits { Some(r) } else { needing_final.of(r) };
                if let Some(r) = seen {
                    record.record(k, r);
                }
            }
            return;
        }
        let deeper = self.deeper_reveal();
        let end = self.side_arms_end();
        let last = row.conf.len() - 1;
        let played = outcome.arm;
        if arms.is_vectors() {
            self.for_each_vector_side(record, needing_final, deeper, end);
            return;
        }
        let mut start = 0;
        while start < end {
            let k = arms.split(start);
            let block = start..arms.block_end(start).min(end);
            start = block.end;
            let (on_exit, on_offload) = (
                model.split_reward(row, k, true),
                model.split_reward(row, k, false),
            );
            // What an arm of this split that exits, and one that offloads, lets the policy
            // learn.
            let (exit_seen, offload_seen) = if k <= outcome.split || outcome.offloaded {
                (Some(on_exit), needing_final.of(on_offload))
            } else {
                (deeper.of(on_exit), deeper.of(on_offload))
            };
            for j in block.filter(|&j| j != played) {
                let exits = k == last || row.conf[k] >= arms.threshold(j);
                let seen = if exits { exit_seen } else { offload_seen };
                if let Some(r) = seen {
                    record.record(j, r);
                }
            }
        }
    }

    /// [`Feedback::for_each_side`] over threshold vectors: each exit's reward on exit, and the
    /// split's on offload, are computed once; a vector then takes the one where it stops.
    #[inline(always)]
    fn for_each_vector_side(
        &self,
        record: &mut impl RecordReward,
        needing_final: Reveal,
        deeper: Reveal,
        end: usize,
    ) {
        let (model, row, outcome) = (self.model, self.row, self.outcome);
        let arms = model.arms();
        let last = row.conf.len() - 1;
        // Every vector offloads at the same split.
        let split = arms.split(0);
        let on_offload = model.split_reward(row, split, false);
        let computed = if outcome.offloaded {
            last
        } else {
            outcome.split
        };
        for j in (0..end).filter(|&j| j != outcome.arm) {
            let (exit, exits) = arms.stop(j, &row.conf);
            // The final exit's arm answers there whatever its confidence.
            let exits = exits || exit == last;
            let r = if exits {
                model.split_reward(row, exit, true)
            } else {
                on_offload
            };
            let seen = if exit > computed {
                deeper.of(r)
            } else if exits {
                Some(r)
            } else {
                needing_final.of(r)
            };
            if let Some(r) = seen {
                record.record(j, r);
            }
        }
    }

    /// How this decision reveals a reward that needs the final confidence, at a split the
    /// device computed.
    #[inline]
    fn final_reveal(&self) -> Reveal {
        let outcome = self.outcome;
        // The cloud returns every exit's confidence; the final exit is the final confidence.
        let knows_final = outcome.offloaded || outcome.split == self.row.conf.len() - 1;
        match self.observation {
            Observation::Oracle => Reveal::Seen,
            _ if knows_final => Reveal::Seen,
            Observation::Strict if outcome.probed => Reveal::Seen,
            Observation::Strict => Reveal::Hidden,
            Observation::Unbiased => self.probe_estimate(),
        }
    }

    /// How this decision reveals any reward at a split deeper than the one the device computed
    /// (there is none after an offload).
    #[inline]
    fn deeper_reveal(&self) -> Reveal {
        match self.observation {
            Observation::Oracle => Reveal::Seen,
            Observation::Strict => Reveal::Hidden,
            Observation::Unbiased => self.probe_estimate(),
        }
    }

    /// The unbiased estimate through the probe.
    #[inline]
    fn probe_estimate(&self) -> Reveal {
        Reveal::Estimated(self.outcome.probed.then_some(self.probe))
    }

    /// What this decision tells of arm `j` against the final exit (for learners under an
    /// agreement constraint): its reported cost, and whether its answer disagrees with the
    /// final exit's, each with the weight `1 / q` of the chance `q` that it was seen. Both need
    /// the exits `j` reads up to where it stops; the disagreement of an arm that exits before
    /// the final exit also needs the final prediction (an arm that offloads answers with it).
    /// Oracle observation sees everything; strict sees what was computed (the final exit after
    /// an offload), with weight 1; unbiased counts what only the probe revealed with weight
    /// `1 / p`, so that weighted means are unbiased. The row must hold the predictions
    /// ([`SampleRow::with_predictions`]).
    pub fn audit(&self, j: usize) -> Audit {
        let (model, row, outcome) = (self.model, self.row, self.outcome);
        let last = row.conf.len() - 1;
        let (exit, exits) = model.stop(row, j);
        let answers_final = exit == last || !exits;
        let cost = model.reported_cost(row, exit, exit < last && !exits);
        let disagrees = if answers_final || row.pred[exit] == row.pred[last] {
            0.0
        } else {
            1.0
        };
        let computed = if outcome.offloaded {
            last
        } else {
            outcome.split
        };
        let weight = |reveal: Reveal| match reveal {
            Reveal::Seen => Some(1.0),
            Reveal::Hidden | Reveal::Estimated(None) => None,
            Reveal::Estimated(Some(p)) => Some(1.0 / p),
        };
        let (cost_weight, disagreement_weight) = if exit > computed {
            let deeper = weight(self.deeper_reveal());
            (deeper, deeper)
        } else if answers_final {
            (Some(1.0), Some(1.0))
        } else {
            (Some(1.0), weight(self.final_reveal()))
        };
        Audit {
            cost: cost_weight.map(|w| (cost, w)),
            disagreement: disagreement_weight.map(|w| (disagrees, w)),
        }
    }

    /// What the policy may learn of arm `j`'s reward on this sample: the reward if it is
    /// observable; under [`Observation::Unbiased`], an unbiased estimate for every arm (`r / p`
    /// when it needs what only the probe reveals, the final or a deeper confidence, and `0` when
    /// the sample was not probed).
    #[inline]
    pub fn side_reward(&self, j: usize) -> Option<f64> {
        let (model, row, outcome) = (self.model, self.row, self.outcome);
        if self.observation != Observation::Unbiased {
            return model
                .is_observable(row, outcome, j, self.observation)
                .then(|| model.reward(row, j));
        }
        if outcome.offloaded || outcome.split == row.conf.len() - 1 {
            return Some(model.reward(row, j));
        }
        // A deeper split's confidence (and C_L) is known only through the probe.
        let needs_probe = model.stop(row, j).0 > outcome.split || model.needs_final(row, j);
        Some(if !needs_probe {
            model.reward(row, j)
        } else if outcome.probed {
            model.reward(row, j) / self.probe
        } else {
            0.0
        })
    }
}

#[cfg(test)]
mod tests;
