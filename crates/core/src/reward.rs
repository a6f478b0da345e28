//! Label-free rewards, outcomes and the observation model (SPEC section 2).
//!
//! Rewards are computed as `C - mu*off - mu*proc`, the operation order of the published code, so
//! that compatibility mode agrees with it to the last bit (with `mu = 1` the products are exact).

use crate::arms::{Arm, ArmSpace, Arms};
use crate::cost::{CostModel, ReportedCost, ResolvedCosts};
use crate::named::Named;
use crate::trace::Trace;
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
    /// CeeBERT / AdaEE confidence gain: `0` on exit, `C_L - C_k - mu*off(k)` on offload.
    ConfidenceGain,
    /// The confidence gain clipped at 0 before the offloading cost: `max(C_L - C_k, 0) -
    /// mu*off(k)` on offload.
    ConfidenceGainClipped,
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
            "CeeBERT / AdaEE confidence gain: `0` on exit, `C_L - C_k - mu*off(k)` on offload",
        ),
        (
            Self::ConfidenceGainClipped,
            "confidence-gain-clipped",
            "The confidence gain clipped at 0 before the offloading cost: `max(C_L - C_k, 0) - \
             mu*off(k)` on offload",
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

    /// The same model with another reward formula.
    pub fn with_kind(self, kind: RewardKind) -> Self {
        Self { kind, ..self }
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
        self.arm_reward(row, self.arms.arm(a))
    }

    /// Reward of `arm` (an arm of this model, already looked up) on `row`.
    #[inline(always)]
    pub fn arm_reward(&self, row: &SampleRow, arm: Arm) -> f64 {
        let k = arm.split;
        self.split_reward(row, k, row.conf[k] >= arm.threshold)
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
        }
    }

    /// The range every arm's reward on `row` lies in, whatever its confidences (which are in
    /// [0, 1]). SplitEE: arm k earns between `-(mu*proc(k) + mu*off(k))` and `1 - mu*proc(k)`;
    /// confidence gain: between `-1 - mu*off(k)` (clipped: `-mu*off(k)`) and `1 - mu*off(k)`,
    /// and 0 on exit.
    pub fn reward_bounds(&self, row: &SampleRow) -> (f64, f64) {
        let last = row.conf.len() - 1;
        let mut bounds = (f64::INFINITY, f64::NEG_INFINITY);
        for a in 0..self.arms.len() {
            let k = self.arms.split(a);
            let (p, o) = (row.weighted_processing[k], self.costs.weighted_offload()[k]);
            let (lo, hi) = match self.kind {
                RewardKind::Splitee => (-(p + o), 1.0 - p),
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
                // The arm is looked up once and its exit test made once, for both the path
                // and the reward.
                let Arm {
                    split: k,
                    threshold,
                } = self.arms.arm(a);
                let exits = row.conf[k] >= threshold;
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
        let k = self.arms.split(j);
        k < row.conf.len() - 1 && row.conf[k] < self.arms.threshold(j)
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
        if self.arms.split(j) > outcome.split {
            return false;
        }
        // C_j was computed; exiting at j needs nothing more.
        let knows_final = outcome.probed || outcome.split == row.conf.len() - 1;
        knows_final || !self.needs_final(row, j)
    }
}

/// One sample's confidences and processing costs, filled once per step and reused.
#[derive(Debug, Clone)]
pub struct SampleRow {
    pub conf: Vec<f64>,
    /// `proc(k)`, as reported.
    pub processing: Vec<f64>,
    /// `mu * proc(k)`, as the reward uses it.
    pub weighted_processing: Vec<f64>,
}

impl SampleRow {
    /// A row for `trace`, with processing costs filled in when they are the same for every
    /// sample.
    pub fn new(trace: &Trace, costs: &ResolvedCosts) -> Self {
        let mut row = Self {
            conf: vec![0.0; trace.exits()],
            processing: vec![0.0; trace.exits()],
            weighted_processing: vec![0.0; trace.exits()],
        };
        row.fill_processing(trace, costs, 0);
        row
    }

    fn fill_processing(&mut self, trace: &Trace, costs: &ResolvedCosts, sample: usize) {
        costs.processing_into(trace, sample, &mut self.processing);
        for (w, p) in self.weighted_processing.iter_mut().zip(&self.processing) {
            *w = costs.mu() * p;
        }
    }

    /// Loads `sample` of `trace`; processing costs are refilled only when they vary by sample.
    #[inline]
    pub fn load(&mut self, trace: &Trace, costs: &ResolvedCosts, sample: usize) {
        trace.conf_row(sample, &mut self.conf);
        if !costs.is_fixed() {
            self.fill_processing(trace, costs, sample);
        }
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
        let needs_probe = model.arms().split(j) > outcome.split || model.needs_final(row, j);
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
mod tests {
    use super::*;
    use crate::arms::ArmSpace;
    use crate::cost::CostModel;
    use crate::param::Param;
    use crate::trace::{Sample, TraceBuilder};
    use std::path::Path;

    /// SPEC section 8 sample 0: confidences 0.51, 0.56, ..., 0.96, 0.52, 0.57.
    fn golden_sample0() -> (Trace, RewardModel) {
        let conf: Vec<f64> = (0..12)
            .map(|l| 0.51 + ((5 * l) % 49) as f64 / 100.0)
            .collect();
        let mut b = TraceBuilder::new(Path::new("golden"));
        b.push(Sample {
            conf,
            pred: vec![0; 12],
            label: Some(0),
            cost: None,
        });
        let trace = b.finish().unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        (
            trace,
            RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1),
        )
    }

    fn row(trace: &Trace, model: &RewardModel) -> SampleRow {
        let mut r = SampleRow::new(trace, model.costs());
        r.load(trace, model.costs(), 0);
        r
    }

    #[test]
    fn golden_single_sample_rewards_and_costs() {
        let (trace, model) = golden_sample0();
        let r = row(&trace, &model);
        let arm0 = model.play(&r, Action::Split(0));
        assert!(arm0.offloaded);
        assert!((arm0.reward - 0.17).abs() < 1e-12);
        assert!((arm0.cost - 0.4).abs() < 1e-12);
        let arm4 = model.play(&r, Action::Split(4));
        assert!(!arm4.offloaded);
        assert!((arm4.reward - 0.21).abs() < 1e-12);
        let arm11 = model.play(&r, Action::Split(11));
        assert!(!arm11.offloaded);
        assert!((arm11.reward + 0.63).abs() < 1e-12);
    }

    #[test]
    fn device_only_stops_at_first_confident_exit() {
        let (trace, model) = golden_sample0();
        let out = model.play(&row(&trace, &model), Action::DeviceOnly);
        assert_eq!((out.arm, out.offloaded), (4, false)); // 0.71 is the first >= 0.7
    }

    #[test]
    fn strict_observation_hides_final_confidence_after_an_exit() {
        let (trace, model) = golden_sample0();
        let r = row(&trace, &model);
        let exit4 = model.play(&r, Action::Split(4));
        // Arm 0 (C = 0.51 < alpha) would have offloaded: its reward needs C_L, unseen here.
        assert!(!model.is_observable(&r, &exit4, 0, Observation::Strict));
        assert!(model.is_observable(&r, &exit4, 0, Observation::Oracle));
        // Arm 5 was never computed on the device.
        assert!(!model.is_observable(&r, &exit4, 5, Observation::Strict));
        // After an offload the cloud returns everything.
        let off0 = model.play(&r, Action::Split(0));
        assert!(model.is_observable(&r, &off0, 11, Observation::Strict));
    }

    #[test]
    fn script_cost_formula() {
        let (trace, model) = golden_sample0();
        let script = model.with_reported(ReportedCost::SplitEe2023Script);
        let r = row(&trace, &script);
        // arm 4 exits: 0.1 + 0.8*0.1*4 = 0.42; arm 0 offloads: 0.3 + 0 + 0.1 = 0.4
        assert!((script.play(&r, Action::Split(4)).cost - 0.42).abs() < 1e-12);
        assert!((script.play(&r, Action::Split(0)).cost - 0.4).abs() < 1e-12);
    }

    #[test]
    fn confidence_gain_rewards() {
        let (trace, model) = golden_sample0();
        let arms = model.with_space(ArmSpace::SplitsAt(Param::new(0.95).unwrap()), &[]);
        let r = row(&trace, &arms);
        let gain = arms.clone().with_kind(RewardKind::ConfidenceGain);
        let clipped = arms.with_kind(RewardKind::ConfidenceGainClipped);
        // Exit 10 (C = 0.96 >= 0.95) exits: 0. Exit 9 (C = 0.91) offloads: 0.57 - 0.91 - 0.3.
        assert_eq!(gain.reward(&r, 9), 0.0);
        assert!((gain.reward(&r, 8) + 0.64).abs() < 1e-12);
        assert!((clipped.reward(&r, 8) + 0.3).abs() < 1e-12);
        // Exit 1 (C = 0.51) gains 0.06 by offloading.
        assert!((clipped.reward(&r, 0) + 0.24).abs() < 1e-12);
        assert_eq!(gain.reward(&r, 11), 0.0);
        let (lo, hi) = gain.reward_bounds(&r);
        assert!(
            (lo + 1.3).abs() < 1e-12 && (hi - 0.7).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert!((clipped.reward_bounds(&r).0 + 0.3).abs() < 1e-12);
    }

    /// Joint arms over thresholds 0.6 and 0.9: arm `2k + b`, and arm 22 the final exit.
    fn joint_sample0() -> (Trace, RewardModel, SampleRow) {
        let (trace, model) = golden_sample0();
        let joint = model.with_space(ArmSpace::Joint, &[0.6, 0.9]);
        let r = row(&trace, &joint);
        (trace, joint, r)
    }

    #[test]
    fn joint_side_observations_follow_the_observation_model() {
        let (_, model, r) = joint_sample0();
        // Split 5 at 0.6 exits (C = 0.71): the device has computed C_1..C_5, not C_L.
        let played = model.play(&r, Action::Split(8));
        assert_eq!((played.split, played.offloaded), (4, false));
        assert_eq!(model.arms().side_arms_end(8), 10);
        let feedback = |observation| Feedback::new(&played, &r, &model, observation, 0.25);
        let strict = feedback(Observation::Strict);
        // (5, 0.9) would offload: needs C_L. (4, 0.6) exits at C = 0.66. (1, 0.6) offloads.
        assert_eq!(strict.side_reward(9), None);
        assert_eq!(strict.side_reward(6), Some(model.reward(&r, 6)));
        assert_eq!(strict.side_reward(0), None);
        assert_eq!(strict.side_reward(10), None, "split 6 was never computed");
        let oracle = feedback(Observation::Oracle);
        assert_eq!(oracle.side_reward(9), Some(model.reward(&r, 9)));
        // Unbiased, not probed: an arm needing C_L counts 0; probed: r / p.
        let unbiased = feedback(Observation::Unbiased);
        assert_eq!(unbiased.side_reward(9), Some(0.0));
        assert_eq!(unbiased.side_reward(6), Some(model.reward(&r, 6)));
        // Deeper splits too: the probe would have revealed them.
        assert_eq!(unbiased.side_reward(10), Some(0.0));
        assert_eq!(unbiased.side_arms_end(), 23);
        assert_eq!(strict.side_arms_end(), 10);
        let offload = model.play(&r, Action::Split(1)); // split 1 at 0.9: C = 0.51 offloads
        let all = Feedback::new(&offload, &r, &model, Observation::Strict, 0.25);
        assert_eq!(all.side_arms_end(), 23);
        assert_eq!(all.side_reward(22), Some(model.reward(&r, 22)));
        let mut probed = played;
        model.probe(&mut probed);
        assert!(probed.probed && (probed.cost - played.cost - 0.3).abs() < 1e-12);
        let unbiased = Feedback::new(&probed, &r, &model, Observation::Unbiased, 0.25);
        assert!((unbiased.side_reward(9).unwrap() - 4.0 * model.reward(&r, 9)).abs() < 1e-12);
        assert!(model.is_observable(&r, &probed, 9, Observation::Strict));
    }

    proptest::proptest! {
        /// The bulk paths (per split over a grid, per arm with one threshold) reveal exactly
        /// what asking arm by arm does.
        #[test]
        fn side_rewards_in_bulk_equal_arm_by_arm(
            conf in proptest::collection::vec(0.0f64..=1.0, 12),
            played in 0usize..23,
            observation in proptest::sample::select(vec![
                Observation::Strict, Observation::Unbiased, Observation::Oracle,
            ]),
            probe in proptest::bool::ANY,
            joint in proptest::bool::ANY,
        ) {
            let (_, model, mut r) = joint_sample0();
            let model = if joint { model } else { model.with_space(ArmSpace::Splits, &[]) };
            let played = played % model.arms().len();
            r.conf.copy_from_slice(&conf);
            let mut outcome = model.play(&r, Action::Split(played));
            if probe {
                model.probe(&mut outcome);
            }
            let feedback = Feedback::new(&outcome, &r, &model, observation, 0.2);
            let mut bulk = Vec::new();
            feedback.for_each_side(&mut |j, x: f64| bulk.push((j, x.to_bits())));
            let one_by_one: Vec<(usize, u64)> = (0..feedback.side_arms_end())
                .filter(|&j| j != played)
                .filter_map(|j| feedback.side_reward(j).map(|x| (j, x.to_bits())))
                .collect();
            proptest::prop_assert_eq!(bulk, one_by_one);
        }
    }

    proptest::proptest! {
        /// Unbiased side estimates average to the true reward over the probe draw, for every
        /// arm and any confidences.
        #[test]
        fn unbiased_side_estimates_have_the_true_mean(
            conf in proptest::collection::vec(0.0f64..=1.0, 12),
            played in 0usize..23,
            p in 0.01f64..=1.0,
        ) {
            let (_, model, mut r) = joint_sample0();
            r.conf.copy_from_slice(&conf);
            let outcome = model.play(&r, Action::Split(played));
            let mut probed = outcome;
            model.probe(&mut probed);
            for j in 0..model.arms().len() {
                let plain = Feedback::new(&outcome, &r, &model, Observation::Unbiased, p)
                    .side_reward(j).unwrap();
                let with_probe = Feedback::new(&probed, &r, &model, Observation::Unbiased, p)
                    .side_reward(j).unwrap();
                let mean = (1.0 - p) * plain + p * with_probe;
                proptest::prop_assert!((mean - model.reward(&r, j)).abs() < 1e-9);
            }
        }
    }
}
