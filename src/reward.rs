//! Label-free rewards, outcomes and the observation model (SPEC section 2).
//!
//! Rewards are computed as `C - mu*off - mu*proc`, the operation order of the published code, so
//! that compatibility mode agrees with it to the last bit (with `mu = 1` the products are exact).

use crate::cost::{ReportedCost, ResolvedCosts};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// What a policy may read after a decision (SPEC section 2, observation model).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Observation {
    /// Only what the device and the cloud actually computed.
    #[default]
    Strict,
    /// Side updates may read `C_L` even when the sample exited on the device (published
    /// SplitEE-S behaviour; a deployment never has this information).
    Oracle,
}

/// What to do with one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run the device up to 0-based exit `k`; exit there if confident, else offload.
    Split(usize),
    /// Walk the exits on the device, stop at the first confident one, never offload.
    DeviceOnly,
}

/// The result of an action on one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The 0-based arm reported for the decision: the split for [`Action::Split`], the exit where
    /// the device stopped for [`Action::DeviceOnly`].
    pub arm: usize,
    /// The 0-based exit whose prediction is the answer.
    pub answered_by: usize,
    pub offloaded: bool,
    pub reward: f64,
    pub cost: f64,
}

/// The exit threshold and costs that turn a trace row into rewards.
#[derive(Debug, Clone)]
pub struct RewardModel {
    alpha: f64,
    costs: ResolvedCosts,
    reported: ReportedCost,
    /// `lambda` for the published script's reported cost.
    script_lambda: f64,
}

impl RewardModel {
    /// `script_lambda` is only read when `reported` is [`ReportedCost::SplitEe2023Script`].
    pub fn new(
        alpha: f64,
        costs: ResolvedCosts,
        reported: ReportedCost,
        script_lambda: f64,
    ) -> Self {
        Self {
            alpha,
            costs,
            reported,
            script_lambda,
        }
    }

    pub fn costs(&self) -> &ResolvedCosts {
        &self.costs
    }

    /// The same model with another reported-cost formula.
    pub fn with_reported(&self, reported: ReportedCost) -> Self {
        Self {
            reported,
            ..self.clone()
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

    /// Reward of splitting after 0-based exit `k` on `row`.
    #[inline]
    pub fn reward(&self, row: &SampleRow, k: usize) -> f64 {
        let last = row.conf.len() - 1;
        // Selecting instead of branching: whether a sample exits is data-dependent and would be
        // mispredicted about half the time. At the final exit `mu*off = 0`, so `C_L - 0 = C_L`.
        let confidence = if row.conf[k] < self.alpha {
            row.conf[last] - self.costs.weighted_offload()[k]
        } else {
            row.conf[k]
        };
        confidence - row.weighted_processing[k]
    }

    /// The range every arm's reward on `row` lies in, whatever its confidences: confidences are
    /// in [0, 1], so arm k earns between `-(mu*proc(k) + mu*off(k))` and `1 - mu*proc(k)`.
    pub fn reward_bounds(&self, row: &SampleRow) -> (f64, f64) {
        let arms = row
            .weighted_processing
            .iter()
            .zip(self.costs.weighted_offload());
        arms.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (&p, &o)| {
            (lo.min(-(p + o)), hi.max(1.0 - p))
        })
    }

    /// The reward of every arm on `row`, into `out`.
    #[inline]
    pub fn rewards_into(&self, row: &SampleRow, out: &mut [f64]) {
        let last = row.conf[row.conf.len() - 1];
        let alpha = self.alpha;
        // Zipped slices: no bounds checks, so the loop vectorises.
        let arms = out
            .iter_mut()
            .zip(&row.conf)
            .zip(self.costs.weighted_offload())
            .zip(&row.weighted_processing);
        for (((r, &c), &offload), &processing) in arms {
            let confidence = if c < alpha { last - offload } else { c };
            *r = confidence - processing;
        }
    }

    /// Plays `action` on `row`.
    #[inline]
    pub fn play(&self, row: &SampleRow, action: Action) -> Outcome {
        let last = row.conf.len() - 1;
        let (arm, answered_by, offloaded) = match action {
            Action::Split(k) if k < last && row.conf[k] < self.alpha => (k, last, true),
            Action::Split(k) => (k, k, false),
            Action::DeviceOnly => {
                let stop = row.conf[..last]
                    .iter()
                    .position(|&c| c >= self.alpha)
                    .unwrap_or(last);
                (stop, stop, false)
            }
        };
        Outcome {
            arm,
            answered_by,
            offloaded,
            reward: self.reward(row, arm),
            cost: self.reported_cost(row, arm, offloaded),
        }
    }

    /// Whether the reward of arm `j` can be known after `outcome`, under `observation`.
    ///
    /// The device has computed `C_1..C_k` for the played split `k`; it knows `C_L` only if it
    /// offloaded (the cloud returns every exit's confidence) or ran to the final exit.
    #[inline]
    pub fn is_observable(
        &self,
        row: &SampleRow,
        outcome: &Outcome,
        j: usize,
        observation: Observation,
    ) -> bool {
        let last = row.conf.len() - 1;
        let knows_final = outcome.offloaded || outcome.arm == last;
        if observation == Observation::Oracle || outcome.offloaded {
            return true;
        }
        if j > outcome.arm {
            return false;
        }
        // j <= played arm: C_j was computed; exiting at j needs nothing more.
        j == last || row.conf[j] >= self.alpha || knows_final
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

/// What a policy is told after a decision: the played reward, and on request the reward of any
/// other arm that the observation model allows it to see.
pub struct Feedback<'a> {
    pub outcome: &'a Outcome,
    row: &'a SampleRow,
    model: &'a RewardModel,
    observation: Observation,
}

impl<'a> Feedback<'a> {
    pub fn new(
        outcome: &'a Outcome,
        row: &'a SampleRow,
        model: &'a RewardModel,
        observation: Observation,
    ) -> Self {
        Self {
            outcome,
            row,
            model,
            observation,
        }
    }

    /// The 0-based arm that was played.
    pub fn arm(&self) -> usize {
        self.outcome.arm
    }

    pub fn reward(&self) -> f64 {
        self.outcome.reward
    }

    /// The reward arm `j` would have earned on this sample, if it is observable.
    #[inline]
    pub fn side_reward(&self, j: usize) -> Option<f64> {
        self.model
            .is_observable(self.row, self.outcome, j, self.observation)
            .then(|| self.model.reward(self.row, j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::CostModel;
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
}
