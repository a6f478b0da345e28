//! The one bookkeeping of decisions. Replays, live learners, the fixed-arm frontier and the
//! reports count with [`Totals`], and accuracy, cost per sample and offload share are defined
//! here alone.

use crate::reward::Outcome;
use serde::{Deserialize, Serialize};

/// Running totals of decisions: of a replayed run, of a live learner since its state began
/// (saved with its state), or of one fixed arm. Labels are for evaluation only and never reach
/// a policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub decisions: u64,
    pub offloads: u64,
    pub probes: u64,
    /// Reported cost, summed.
    pub cost: f64,
    /// Realised reward (less the offloading cost of probes), summed.
    pub reward: f64,
    pub labeled: u64,
    pub correct: u64,
    /// Decisions answered with the final exit's prediction (offloaded, run to the final exit,
    /// or an earlier exit that predicted the same class): agreement needs no label. Counted by
    /// replays, which know every exit's prediction.
    #[serde(default)]
    pub agreeing: u64,
    /// Decisions per arm.
    pub arm_counts: Vec<u64>,
}

impl Totals {
    /// Totals of no decision over `arms` arms.
    pub fn new(arms: usize) -> Self {
        Self {
            arm_counts: vec![0; arms],
            ..Self::default()
        }
    }

    /// Counts a decision: its arm, whether it offloaded or probed, its reported cost and its
    /// realised reward.
    #[inline]
    pub fn record(&mut self, outcome: &Outcome, reward: f64) {
        self.decisions += 1;
        self.offloads += u64::from(outcome.offloaded);
        self.probes += u64::from(outcome.probed);
        self.cost += outcome.cost;
        self.reward += reward;
        self.arm_counts[outcome.arm] += 1;
    }

    /// Counts whether a labelled sample's answer was right.
    #[inline]
    pub fn score(&mut self, correct: bool) {
        self.labeled += 1;
        self.correct += u64::from(correct);
    }

    /// The share of decisions answered as the final exit would have (0 before any).
    pub fn agreement(&self) -> f64 {
        self.per_decision(self.agreeing as f64)
    }

    /// The share of labelled samples answered right; `None` without labels.
    pub fn accuracy(&self) -> Option<f64> {
        (self.labeled > 0).then(|| self.correct as f64 / self.labeled as f64)
    }

    /// Reported cost per decision (0 before any).
    pub fn cost_per_sample(&self) -> f64 {
        self.per_decision(self.cost)
    }

    /// The share of decisions sent to the cloud (0 before any).
    pub fn offload_fraction(&self) -> f64 {
        self.per_decision(self.offloads as f64)
    }

    /// Realised reward per decision (0 before any).
    pub fn reward_per_sample(&self) -> f64 {
        self.per_decision(self.reward)
    }

    fn per_decision(&self, sum: f64) -> f64 {
        if self.decisions > 0 {
            sum / self.decisions as f64
        } else {
            0.0
        }
    }

    /// Whether the totals agree with a learner of `arms` arms that made `steps` decisions.
    pub(crate) fn check(&self, arms: usize, steps: u64) -> Result<(), String> {
        if self.arm_counts.len() != arms {
            return Err(format!(
                "totals.arm_counts has {} entries but the learner has {arms} arms",
                self.arm_counts.len()
            ));
        }
        let counted = self
            .arm_counts
            .iter()
            .try_fold(0u64, |total, &n| total.checked_add(n));
        if self.decisions != steps || counted != Some(steps) {
            return Err(format!(
                "totals count {} decisions ({} by arm) but the learner made {steps}",
                self.decisions,
                counted.map_or_else(|| "overflowing".into(), |n| n.to_string())
            ));
        }
        if self.offloads > steps || self.probes > steps || self.labeled > steps {
            return Err("totals count more offloads, probes or labels than decisions".into());
        }
        if self.correct > self.labeled {
            return Err("totals count more correct answers than labeled samples".into());
        }
        if !(self.cost.is_finite() && self.cost >= 0.0 && self.reward.is_finite()) {
            return Err(format!(
                "totals.cost {} or totals.reward {} is not a finite sum",
                self.cost, self.reward
            ));
        }
        Ok(())
    }

    /// The arm played most (the lowest on ties), if any decision was made.
    pub fn most_played(&self) -> Option<usize> {
        (self.decisions > 0)
            .then(|| crate::numeric::argmax_first(self.arm_counts.iter().map(|&n| n as f64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(arm: usize, offloaded: bool, cost: f64) -> Outcome {
        Outcome {
            arm,
            split: arm,
            answered_by: arm,
            offloaded,
            probed: false,
            reward: 0.0,
            cost,
        }
    }

    #[test]
    fn derived_figures_come_from_the_counts() {
        let mut t = Totals::new(2);
        assert_eq!((t.accuracy(), t.cost_per_sample()), (None, 0.0));
        t.record(&outcome(0, false, 0.2), 0.5);
        t.record(&outcome(1, true, 0.6), -0.1);
        t.score(true);
        t.score(false);
        t.score(true);
        assert_eq!(t.arm_counts, [1, 1]);
        assert_eq!(t.offload_fraction(), 0.5);
        assert!((t.cost_per_sample() - 0.4).abs() < 1e-15);
        assert!((t.reward_per_sample() - 0.2).abs() < 1e-15);
        assert_eq!(t.accuracy(), Some(2.0 / 3.0));
        assert_eq!(t.most_played(), Some(0));
    }
}
