//! What the drift policies learn (their windows and discounted sums, besides every reward's
//! statistics), and the checks of a saved state against the policy the current settings build.

use super::{DiscountedUcb, SlidingWindowUcb};
use crate::policy::stats::{check_counts, check_finite, check_len, same, ArmStats};
use crate::policy::Learns;
use serde::{Deserialize, Serialize};

/// What [`SlidingWindowUcb`] learns: the window's observations (the ring and its oldest entry)
/// with their per-arm sums and counts, and every reward's statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WindowLearned {
    stats: ArmStats,
    ring: Vec<(usize, f64)>,
    head: usize,
    window_sums: Vec<f64>,
    window_counts: Vec<u64>,
    evictions: usize,
}

impl Learns for SlidingWindowUcb {
    type Learned = WindowLearned;

    fn learned(&self) -> WindowLearned {
        WindowLearned {
            stats: self.stats.clone(),
            ring: self.ring.clone(),
            head: self.head,
            window_sums: self.window_sums.clone(),
            window_counts: self.window_counts.clone(),
            evictions: self.evictions,
        }
    }

    fn restored(&self, learned: WindowLearned, steps: u64) -> Result<Self, String> {
        let WindowLearned {
            stats,
            ring,
            head,
            window_sums,
            window_counts,
            evictions,
        } = learned;
        let arms = self.window_counts.len();
        check_len("window_sums", window_sums.len(), arms)?;
        check_len("window_counts", window_counts.len(), arms)?;
        check_finite("window_sums", &window_sums)?;
        if ring.len() > self.window {
            return Err(format!(
                "the window holds {} observations but its length is {}",
                ring.len(),
                self.window
            ));
        }
        let full = ring.len() == self.window;
        if (full && head >= self.window) || (!full && head != 0) {
            return Err(format!("the window's oldest entry {head} is out of place"));
        }
        if evictions > self.window {
            return Err(format!("evictions is {evictions}, beyond the window"));
        }
        // The window's counts and sums are those of the ring (the sums up to rounding).
        let mut counts = vec![0u64; arms];
        let mut sums = vec![0.0; arms];
        let mut magnitude = vec![0.0; arms];
        for (i, &(arm, reward)) in ring.iter().enumerate() {
            if arm >= arms || !reward.is_finite() {
                return Err(format!("window entry {i} is ({arm}, {reward})"));
            }
            counts[arm] += 1;
            sums[arm] += reward;
            magnitude[arm] += reward.abs();
        }
        same("window_counts", &window_counts, &counts)?;
        for k in 0..arms {
            if (window_sums[k] - sums[k]).abs() > 1e-9 * (1.0 + magnitude[k]) {
                return Err(format!(
                    "window_sums[{k}] is {} but the window's rewards sum to {}",
                    window_sums[k], sums[k]
                ));
            }
        }
        check_counts("window_counts", &window_counts, steps)?;
        let stats = stats.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            ring,
            head,
            window_sums,
            window_counts,
            evictions,
            ..self.clone()
        })
    }
}

/// What [`DiscountedUcb`] learns: the discounted sums and counts (divided by `scale`), their
/// total, the scale, and every reward's statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscountedLearned {
    stats: ArmStats,
    sums: Vec<f64>,
    counts: Vec<f64>,
    total: f64,
    scale: f64,
}

impl Learns for DiscountedUcb {
    type Learned = DiscountedLearned;

    fn learned(&self) -> DiscountedLearned {
        DiscountedLearned {
            stats: self.stats.clone(),
            sums: self.sums.clone(),
            counts: self.counts.clone(),
            total: self.total,
            scale: self.scale,
        }
    }

    fn restored(&self, learned: DiscountedLearned, steps: u64) -> Result<Self, String> {
        let DiscountedLearned {
            stats,
            sums,
            counts,
            total,
            scale,
        } = learned;
        let arms = self.counts.len();
        check_len("sums", sums.len(), arms)?;
        check_len("counts", counts.len(), arms)?;
        check_finite("sums", &sums)?;
        check_finite("counts", &counts)?;
        if let Some(k) = counts.iter().position(|&n| n < 0.0) {
            return Err(format!("counts[{k}] is negative ({})", counts[k]));
        }
        if !(total.is_finite() && total >= 0.0) {
            return Err(format!("total is {total}"));
        }
        if !(scale > 0.0 && scale <= 1.0) {
            return Err(format!("scale is {scale}, not in (0, 1]"));
        }
        let stats = stats.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            sums,
            counts,
            total,
            scale,
            ..self.clone()
        })
    }
}
