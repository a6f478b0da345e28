//! Pieces shared by the index policies: per-arm statistics, the side-observation rule, the
//! argmax and the rescaling of rewards to [0, 1].

use super::SideInformation;
use crate::reward::{Feedback, RecordReward};
use serde::{Deserialize, Serialize};

/// Calls `record(arm, reward)` for every reward a decision revealed to a policy: with
/// [`SideInformation::Shallower`], first every other arm at or below the played split (strictly
/// shallower with one threshold) whose reward is observable under the run's observation model
/// (lowest first), then the played arm.
// Always, with the policy's update inlined into it: it runs for every decision.
#[inline(always)]
pub(crate) fn for_each_observed(
    feedback: &Feedback<'_>,
    side: SideInformation,
    record: &mut impl RecordReward,
) {
    let played = feedback.arm();
    if side == SideInformation::Shallower {
        feedback.for_each_side(record);
    }
    record.record(played, feedback.reward());
}

pub(crate) use crate::numeric::argmax_by;

/// Every reward ever fed to a policy, per arm: count, sum (kept as a plain running sum, so
/// [`ArmStats::sums`] is exactly what was fed) and Welford's running mean and sum of squared
/// deviations for the variance. (It is what the index policies learn; a state saves it.)
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArmStats {
    sums: Vec<f64>,
    counts: Vec<u64>,
    welford_means: Vec<f64>,
    m2: Vec<f64>,
    /// Recounted when a saved state is restored.
    #[serde(skip)]
    unplayed: usize,
}

impl ArmStats {
    pub(crate) fn new(arms: usize) -> Self {
        Self {
            sums: vec![0.0; arms],
            counts: vec![0; arms],
            welford_means: vec![0.0; arms],
            m2: vec![0.0; arms],
            unplayed: arms,
        }
    }

    pub(crate) fn arms(&self) -> usize {
        self.counts.len()
    }

    #[inline]
    pub(crate) fn record(&mut self, arm: usize, reward: f64) {
        self.sums[arm] += reward;
        self.counts[arm] += 1;
        let n = self.counts[arm];
        if n == 1 {
            self.unplayed -= 1;
        }
        let delta = reward - self.welford_means[arm];
        self.welford_means[arm] += delta / n as f64;
        self.m2[arm] += delta * (reward - self.welford_means[arm]);
    }

    /// The lowest arm with no observation yet.
    #[inline]
    pub(crate) fn first_unplayed(&self) -> Option<usize> {
        if self.unplayed == 0 {
            None
        } else {
            self.counts.iter().position(|&n| n == 0)
        }
    }

    #[inline]
    pub(crate) fn count(&self, arm: usize) -> u64 {
        self.counts[arm]
    }

    /// `sum / count` (NaN for an unplayed arm).
    #[inline]
    pub(crate) fn mean(&self, arm: usize) -> f64 {
        self.sums[arm] / self.counts[arm] as f64
    }

    /// The empirical (biased, `1/n`) variance; 0 for an unplayed arm.
    #[inline]
    pub(crate) fn variance(&self, arm: usize) -> f64 {
        match self.counts[arm] {
            0 => 0.0,
            n => (self.m2[arm] / n as f64).max(0.0),
        }
    }

    /// Greedy choice: the arm with the highest mean, unplayed arms first.
    #[inline]
    pub(crate) fn greedy(&self) -> usize {
        self.first_unplayed()
            .unwrap_or_else(|| argmax_by(self.arms(), |k| self.mean(k)))
    }

    pub(crate) fn sums(&self) -> (&[f64], &[u64]) {
        (&self.sums, &self.counts)
    }

    /// Statistics read back from a saved state, checked against `fresh` (which has the right
    /// number of arms) after `steps` decisions, each of which records an arm at most once:
    /// lengths, finite values, counts no larger than the steps, nothing recorded for an arm
    /// never played.
    pub(crate) fn restored(mut self, fresh: &Self, steps: u64) -> Result<Self, String> {
        let arms = fresh.arms();
        check_len("sums", self.sums.len(), arms)?;
        check_len("counts", self.counts.len(), arms)?;
        check_len("welford_means", self.welford_means.len(), arms)?;
        check_len("m2", self.m2.len(), arms)?;
        check_finite("sums", &self.sums)?;
        check_finite("welford_means", &self.welford_means)?;
        check_finite("m2", &self.m2)?;
        check_counts("counts", &self.counts, steps)?;
        for k in 0..arms {
            if self.m2[k] < 0.0 {
                return Err(format!("m2[{k}] is negative ({})", self.m2[k]));
            }
            if self.counts[k] == 0
                && (self.sums[k] != 0.0 || self.welford_means[k] != 0.0 || self.m2[k] != 0.0)
            {
                return Err(format!(
                    "arm {k} has no observation but a nonzero sum or mean"
                ));
            }
        }
        self.unplayed = self.counts.iter().filter(|&&n| n == 0).count();
        Ok(self)
    }
}

/// `what` must have one entry per arm.
pub(crate) fn check_len(what: &str, len: usize, arms: usize) -> Result<(), String> {
    if len == arms {
        Ok(())
    } else {
        Err(format!(
            "{what} has {len} entries but the policy has {arms} arms"
        ))
    }
}

/// Every value of `what` must be finite.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(k) => Err(format!("{what}[{k}] is {}", values[k])),
        None => Ok(()),
    }
}

/// Per-arm counts: each decision records an arm at most once, so none exceeds `steps`.
pub(crate) fn check_counts(what: &str, counts: &[u64], steps: u64) -> Result<(), String> {
    match counts.iter().position(|&n| n > steps) {
        Some(k) => Err(format!(
            "{what}[{k}] is {} but only {steps} decisions were made",
            counts[k]
        )),
        None => Ok(()),
    }
}

/// A setting a saved state must share with the policy the current settings build.
pub(crate) fn same<T: PartialEq + std::fmt::Debug>(
    what: &str,
    saved: &T,
    fresh: &T,
) -> Result<(), String> {
    if saved == fresh {
        Ok(())
    } else {
        Err(format!(
            "{what} is {saved:?} but the settings give {fresh:?}"
        ))
    }
}

/// The range `[lo, lo + width]` rewards of a run lie in, to rescale them to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct RewardRange {
    lo: f64,
    width: f64,
}

impl RewardRange {
    /// From [`super::RunContext::reward_bounds`]; a degenerate or invalid range counts as
    /// width 1.
    pub(crate) fn new((lo, hi): (f64, f64)) -> Self {
        let width = hi - lo;
        if lo.is_finite() && width.is_finite() && width > 0.0 {
            Self { lo, width }
        } else {
            Self {
                lo: if lo.is_finite() { lo } else { 0.0 },
                width: 1.0,
            }
        }
    }

    /// `hi - lo`.
    #[inline]
    pub(crate) fn width(&self) -> f64 {
        self.width
    }

    /// `reward` rescaled to [0, 1] (clamped, against rounding at the ends).
    #[inline]
    pub(crate) fn unit(&self, reward: f64) -> f64 {
        ((reward - self.lo) / self.width).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_the_two_pass_variance() {
        let xs = [0.3, -0.1, 0.7, 0.7, 0.2, -0.45];
        let mut s = ArmStats::new(2);
        for &x in &xs {
            s.record(1, x);
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        assert!((s.mean(1) - mean).abs() < 1e-15);
        assert!((s.variance(1) - var).abs() < 1e-15);
        assert_eq!(s.variance(0), 0.0);
        assert_eq!(s.first_unplayed(), Some(0));
    }

    #[test]
    fn argmax_ties_go_to_the_lowest_arm() {
        assert_eq!(argmax_by(4, |k| [0.1, 0.5, 0.5, f64::NAN][k]), 1);
        assert_eq!(argmax_by(2, |_| f64::NAN), 0);
    }

    #[test]
    fn reward_range_rescales_and_survives_bad_bounds() {
        let r = RewardRange::new((-1.4, 0.9));
        assert!((r.width() - 2.3).abs() < 1e-12);
        assert_eq!(r.unit(-1.4), 0.0);
        assert_eq!(r.unit(2.0), 1.0);
        assert_eq!(RewardRange::new((0.5, 0.5)).width(), 1.0);
        assert_eq!(RewardRange::new((f64::NAN, 1.0)).width(), 1.0);
    }
}
