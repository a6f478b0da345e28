//! Every fixed (split, threshold) arm's accuracy and cost on a trace, and their Pareto front:
//! what a learned policy can at best achieve, for plots.

use crate::cost::CostError;
use crate::cost::CostModel;
use crate::reward::{Action, Outcome, RewardKind, RewardModel, SampleRow};
use crate::totals::Totals;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// Playing one arm on every sample of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedArm {
    /// 1-based split.
    pub arm: usize,
    pub alpha: f64,
    /// `None` on an unlabeled trace.
    pub accuracy: Option<f64>,
    pub cost_per_sample: f64,
    pub offload_fraction: f64,
    pub reward_per_sample: f64,
    /// Whether no other arm is at least as accurate and at most as costly (and better in one).
    pub pareto: bool,
}

/// Every split arm at every threshold in `alphas`, with the Pareto-optimal ones marked.
pub fn fixed_arms(
    trace: &Trace,
    cost: &CostModel,
    reward: RewardKind,
    alphas: &[f64],
) -> Result<Vec<FixedArm>, CostError> {
    let costs = cost.resolve(trace)?;
    let exits = trace.exits();
    let mut arms = Vec::with_capacity(alphas.len() * exits);
    for &alpha in alphas {
        let model = RewardModel::of_settings(alpha, cost, costs.clone(), reward);
        let mut row = SampleRow::new(trace, &model);
        // One split arm each: the totals of always playing it.
        let mut totals = vec![Totals::new(1); exits];
        for s in 0..trace.samples() {
            row.load(trace, model.costs(), s);
            let label = trace.label(s);
            for (k, totals) in totals.iter_mut().enumerate() {
                let out = model.play(&row, Action::Split(k));
                totals.record(&Outcome { arm: 0, ..out }, out.reward);
                if let Some(y) = label {
                    totals.score(y == trace.pred(s, out.answered_by));
                }
            }
        }
        arms.extend(totals.iter().enumerate().map(|(k, t)| FixedArm {
            arm: k + 1,
            alpha,
            accuracy: t.accuracy(),
            cost_per_sample: t.cost_per_sample(),
            offload_fraction: t.offload_fraction(),
            reward_per_sample: t.reward_per_sample(),
            pareto: false,
        }));
    }
    mark_pareto(&mut arms);
    Ok(arms)
}

/// Marks the arms no other arm dominates (accuracy up, cost down).
fn mark_pareto(arms: &mut [FixedArm]) {
    let key = |a: &FixedArm| (a.accuracy.unwrap_or(a.reward_per_sample), a.cost_per_sample);
    let points: Vec<(f64, f64)> = arms.iter().map(key).collect();
    for (i, arm) in arms.iter_mut().enumerate() {
        let (acc, cost) = points[i];
        arm.pareto = !points
            .iter()
            .any(|&(a, c)| a >= acc && c <= cost && (a > acc || c < cost));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Sample, TraceBuilder};
    use std::path::Path;

    #[test]
    fn fixed_arms_match_hand_computed_values_and_front() {
        // Two samples, two exits: exit 1 is confident and right on sample 0 only.
        let mut b = TraceBuilder::new(Path::new("t"));
        for (conf1, pred1, label) in [(0.9, 1, 1), (0.5, 0, 1)] {
            b.push(Sample {
                context: None,
                arrival: None,
                conf: vec![conf1, 0.8],
                pred: vec![pred1, 1],
                label: Some(label),
                cost: None,
            });
        }
        let trace = b.finish().unwrap();
        let arms = fixed_arms(
            &trace,
            &CostModel::linear(0.1, 0.3),
            RewardKind::Splitee,
            &[0.7],
        )
        .unwrap();
        // Arm 1: sample 0 exits (cost 0.1, right), sample 1 offloads (cost 0.4, final is right).
        assert_eq!(arms[0].accuracy, Some(1.0));
        assert!((arms[0].cost_per_sample - 0.25).abs() < 1e-12);
        assert_eq!(arms[0].offload_fraction, 0.5);
        // Arm 2: the whole network on the device, cost 0.2, both right.
        assert!((arms[1].cost_per_sample - 0.2).abs() < 1e-12);
        assert!(arms[1].pareto);
        assert!(!arms[0].pareto, "arm 2 is as accurate and cheaper");
    }
}
