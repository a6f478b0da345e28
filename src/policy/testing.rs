//! A one-sample bench for driving a policy directly in unit tests: every step sets the sample's
//! confidences, plays an action on it and feeds the policy what it revealed.

use super::Policy;
use crate::cost::{CostModel, ReportedCost};
use crate::reward::{Action, Feedback, Observation, Outcome, RewardModel, SampleRow};
use crate::trace::{Sample, TraceBuilder};
use std::path::Path;

pub(crate) struct Bench {
    model: RewardModel,
    row: SampleRow,
}

impl Bench {
    /// `exits` exits, linear costs (`lambda = 0.1`, `o = 0.3`), `alpha = 0.7`.
    pub(crate) fn new(exits: usize) -> Self {
        let mut b = TraceBuilder::new(Path::new("bench"));
        b.push(Sample {
            conf: vec![0.5; exits],
            pred: vec![0; exits],
            label: None,
            cost: None,
        });
        let trace = b.finish().unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1);
        let mut row = SampleRow::new(&trace, model.costs());
        row.load(&trace, model.costs(), 0);
        Self { model, row }
    }

    /// The range every reward lies in (as the simulator computes it).
    pub(crate) fn bounds(&self) -> (f64, f64) {
        let offload = self.model.costs().weighted_offload();
        let arms = self.row.weighted_processing.iter().zip(offload);
        arms.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (&p, &o)| {
            (lo.min(-(p + o)), hi.max(1.0 - p))
        })
    }

    /// Step `t`: the policy chooses, `arm` (if given) overrides its choice, the action is played
    /// on a sample with confidences `conf` and the policy observes the outcome. Returns the
    /// outcome and every `(arm, reward)` the feedback lets a side-observing policy see
    /// (shallower observable arms first, then the played arm).
    pub(crate) fn step(
        &mut self,
        policy: &mut impl Policy,
        t: usize,
        conf: &[f64],
        arm: Option<usize>,
        observation: Observation,
    ) -> (Outcome, Vec<(usize, f64)>) {
        let chosen = policy.choose(t);
        self.row.conf.copy_from_slice(conf);
        let outcome = self
            .model
            .play(&self.row, arm.map_or(chosen, Action::Split));
        let feedback = Feedback::new(t, &outcome, &self.row, &self.model, observation);
        policy.observe(&feedback);
        let mut seen: Vec<(usize, f64)> = (0..outcome.arm)
            .filter_map(|j| feedback.side_reward(j).map(|r| (j, r)))
            .collect();
        seen.push((outcome.arm, outcome.reward));
        (outcome, seen)
    }
}
