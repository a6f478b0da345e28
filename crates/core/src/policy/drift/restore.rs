//! Restoring the drift policies from a saved state: their windows and discounted sums are
//! checked against the policy the current settings build.

use super::{DiscountedUcb, SlidingWindowUcb};
use crate::policy::stats::{check_counts, check_finite, check_len, same, same_f64};
use crate::policy::{Restore, SideInformation};

/// The settings both drift policies fix when built: side information and exploration bonus.
fn same_side_and_bonus(
    saved: (SideInformation, f64),
    fresh: (SideInformation, f64),
) -> Result<(), String> {
    same("the side information", &saved.0, &fresh.0)?;
    same_f64(
        "the exploration bonus (UCB constant x reward range)",
        saved.1,
        fresh.1,
    )
}

impl Restore for SlidingWindowUcb {
    fn restore(&mut self, fresh: &Self, steps: u64) -> Result<(), String> {
        same_side_and_bonus((self.side, self.bonus), (fresh.side, fresh.bonus))?;
        same("the window", &self.window, &fresh.window)?;
        let arms = fresh.window_counts.len();
        check_len("window_sums", self.window_sums.len(), arms)?;
        check_len("window_counts", self.window_counts.len(), arms)?;
        check_finite("window_sums", &self.window_sums)?;
        if self.ring.len() > self.window {
            return Err(format!(
                "the window holds {} observations but its length is {}",
                self.ring.len(),
                self.window
            ));
        }
        let full = self.ring.len() == self.window;
        if (full && self.head >= self.window) || (!full && self.head != 0) {
            return Err(format!(
                "the window's oldest entry {} is out of place",
                self.head
            ));
        }
        if self.evictions > self.window {
            return Err(format!(
                "evictions is {}, beyond the window",
                self.evictions
            ));
        }
        // The window's counts and sums are those of the ring (the sums up to rounding).
        let mut counts = vec![0u64; arms];
        let mut sums = vec![0.0; arms];
        let mut magnitude = vec![0.0; arms];
        for (i, &(arm, reward)) in self.ring.iter().enumerate() {
            if arm >= arms || !reward.is_finite() {
                return Err(format!("window entry {i} is ({arm}, {reward})"));
            }
            counts[arm] += 1;
            sums[arm] += reward;
            magnitude[arm] += reward.abs();
        }
        same("window_counts", &self.window_counts, &counts)?;
        for k in 0..arms {
            if (self.window_sums[k] - sums[k]).abs() > 1e-9 * (1.0 + magnitude[k]) {
                return Err(format!(
                    "window_sums[{k}] is {} but the window's rewards sum to {}",
                    self.window_sums[k], sums[k]
                ));
            }
        }
        check_counts("window_counts", &self.window_counts, steps)?;
        self.stats.restore(&fresh.stats, steps)
    }
}

impl Restore for DiscountedUcb {
    fn restore(&mut self, fresh: &Self, steps: u64) -> Result<(), String> {
        same_side_and_bonus((self.side, self.bonus), (fresh.side, fresh.bonus))?;
        same_f64("the discount gamma", self.gamma, fresh.gamma)?;
        let arms = fresh.counts.len();
        check_len("sums", self.sums.len(), arms)?;
        check_len("counts", self.counts.len(), arms)?;
        check_finite("sums", &self.sums)?;
        check_finite("counts", &self.counts)?;
        if let Some(k) = self.counts.iter().position(|&n| n < 0.0) {
            return Err(format!("counts[{k}] is negative ({})", self.counts[k]));
        }
        if !(self.total.is_finite() && self.total >= 0.0) {
            return Err(format!("total is {}", self.total));
        }
        if !(self.scale > 0.0 && self.scale <= 1.0) {
            return Err(format!("scale is {}, not in (0, 1]", self.scale));
        }
        self.stats.restore(&fresh.stats, steps)
    }
}
