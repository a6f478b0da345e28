//! The arms a policy chooses among: split points, each with an exit threshold.
//!
//! SplitEE learns the split with one fixed threshold; threshold learners (CeeBERT, AdaEE) learn
//! the threshold at one split; joint learning takes every (split, threshold) pair of a grid. All
//! three are one [`Arms`] set, laid out split-major (arm `a` of a grid with `T` thresholds is split
//! `a / T`, threshold `a % T`), so the arms at or below a split form a prefix and a single-threshold
//! set numbers its arms exactly like the splits.

use crate::param::Param;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which (split, threshold) pairs a policy learns over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ArmSpace {
    /// Every split with the run's threshold alpha (SplitEE).
    #[default]
    Splits,
    /// Every split with its own fixed threshold, whatever the run's alpha.
    SplitsAt(Param),
    /// Every split with every threshold of the grid.
    Joint,
    /// One 0-based split with every threshold of the grid.
    ThresholdsAt(usize),
}

/// The default threshold grid: 0.50 to 0.95 by 0.05.
pub fn default_thresholds() -> Vec<f64> {
    // i / 20 is the double nearest each decimal, so the grid prints as 0.55, not 0.5500000001.
    (10..=19).map(|i| f64::from(i) / 20.0).collect()
}

/// A concrete set of arms: per arm its 0-based split and its threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Arms {
    split: Vec<usize>,
    threshold: Vec<f64>,
    /// Arms `0..side_end[a]` are those whose split is at or below arm `a`'s: the arms whose
    /// confidence the device has computed when it plays `a`.
    side_end: Vec<usize>,
    /// Whether arm `a` is split `a` at one threshold (the SplitEE layout).
    by_split: bool,
    /// Whether each split comes with several thresholds.
    grid: bool,
    /// The final exit's split.
    last: usize,
}

impl Arms {
    /// Every split `0..exits` at threshold `alpha`.
    pub fn splits(exits: usize, alpha: f64) -> Self {
        Self::grid(&(0..exits).collect::<Vec<_>>(), &[alpha], exits - 1)
    }

    /// The arms of `space` for a trace with `exits` exits.
    pub fn of(space: ArmSpace, exits: usize, alpha: f64, thresholds: &[f64]) -> Self {
        match space {
            ArmSpace::Splits => Self::splits(exits, alpha),
            ArmSpace::SplitsAt(alpha) => Self::splits(exits, alpha.get()),
            ArmSpace::Joint => Self::grid(&(0..exits).collect::<Vec<_>>(), thresholds, exits - 1),
            ArmSpace::ThresholdsAt(k) => Self::grid(&[k], thresholds, exits - 1),
        }
    }

    /// Every pair of `splits` (ascending) and `thresholds`, split-major. When `last` (the final
    /// exit) is among the splits of a grid it gets one arm: the final exit never offloads, so
    /// its threshold changes nothing.
    fn grid(splits: &[usize], thresholds: &[f64], last: usize) -> Self {
        let grid = thresholds.len() > 1;
        let mut arms = Self {
            split: Vec::new(),
            threshold: Vec::new(),
            side_end: Vec::new(),
            by_split: !grid && splits.iter().copied().eq(0..splits.len()),
            grid,
            last,
        };
        for &k in splits {
            let per_split = if k == last && grid {
                1
            } else {
                thresholds.len()
            };
            for &alpha in &thresholds[..per_split] {
                arms.split.push(k);
                arms.threshold.push(alpha);
            }
        }
        // With one threshold, side arms are the strictly shallower ones (SplitEE-S); with a grid,
        // the played split's other thresholds count too.
        arms.side_end = (0..arms.split.len())
            .map(|a| match grid {
                false => a,
                true => arms
                    .split
                    .iter()
                    .take_while(|&&k| k <= arms.split[a])
                    .count(),
            })
            .collect();
        arms
    }

    pub fn len(&self) -> usize {
        self.split.len()
    }

    pub fn is_empty(&self) -> bool {
        self.split.is_empty()
    }

    /// The 0-based split of arm `a`.
    #[inline(always)]
    pub fn split(&self, a: usize) -> usize {
        if self.by_split {
            a
        } else {
            self.split[a]
        }
    }

    /// The exit threshold of arm `a`.
    #[inline(always)]
    pub fn threshold(&self, a: usize) -> f64 {
        // One threshold: no load (the hot replay loop reads it for every arm it looks at).
        if self.grid {
            self.threshold[a]
        } else {
            self.threshold[0]
        }
    }

    /// Arm `a`'s threshold if the arm set learns thresholds: `None` with one threshold (it is
    /// the run's or the policy's setting) and for the final exit, whose threshold changes
    /// nothing. Reports and decision logs show thresholds by this rule.
    pub fn learned_threshold(&self, a: usize) -> Option<f64> {
        (self.grid && self.split(a) != self.last).then(|| self.threshold[a])
    }

    /// Arm `a`'s split and threshold, read once (the replay loop then uses both without
    /// looking them up again).
    #[inline(always)]
    pub fn arm(&self, a: usize) -> Arm {
        Arm {
            split: self.split(a),
            threshold: self.threshold(a),
        }
    }

    /// The arms other than `a` whose reward a play of `a` may reveal: `0..side_arms_end(a)`,
    /// skipping `a` itself.
    #[inline]
    pub fn side_arms_end(&self, a: usize) -> usize {
        self.side_end[a]
    }

    /// The end of the run of arms sharing arm `a`'s split (they are contiguous).
    #[inline]
    pub fn block_end(&self, a: usize) -> usize {
        if self.grid {
            self.side_end[a]
        } else {
            a + 1
        }
    }

    /// Whether arm `a` is split `a` (every split, one threshold: the SplitEE layout).
    #[inline]
    pub fn is_by_split(&self) -> bool {
        self.by_split
    }

    /// Whether every arm has the same threshold (so arms are just splits).
    pub fn has_one_threshold(&self) -> bool {
        !self.grid
    }

    /// Arm `a` as users read it: `k` (1-based split) or `k@alpha`.
    pub fn label(&self, a: usize) -> ArmLabel {
        ArmLabel {
            split: self.split(a) + 1,
            threshold: self.threshold[a],
        }
    }
}

/// One arm: its 0-based split and its exit threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arm {
    pub split: usize,
    pub threshold: f64,
}

/// A (1-based split, threshold) pair, printed `k@alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ArmLabel {
    pub split: usize,
    pub threshold: f64,
}

impl fmt::Display for ArmLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.split, self.threshold)
    }
}

/// Parses a threshold grid: `A:B:STEP` (inclusive range) or a comma-separated list; every value
/// in (0, 1], strictly increasing.
pub fn parse_thresholds(text: &str) -> Result<Vec<f64>, String> {
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{s}` is not a number"))
    };
    let values = match text.split(':').collect::<Vec<_>>()[..] {
        [start, stop, step] => crate::grid::Axis::Range {
            start: number(start)?,
            stop: number(stop)?,
            step: number(step)?,
        }
        .values()?,
        [_] => text.split(',').map(number).collect::<Result<Vec<_>, _>>()?,
        _ => return Err("write thresholds as START:STOP:STEP or a list A,B,C".into()),
    };
    crate::params::check_thresholds(&values).map_err(|e| e.message)?;
    Ok(values)
}

/// A threshold grid as [`parse_thresholds`] reads it: `START:STOP:STEP` when the values are
/// evenly spaced (and read back the same), otherwise the list `A,B,C`.
pub fn thresholds_text(values: &[f64]) -> String {
    let list = || {
        values
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    if let [first, second, .., last] = values {
        // Rounded as grid ranges round their values, so 0.55 - 0.5 reads as 0.05.
        let step = ((second - first) * 1e12).round() / 1e12;
        let range = format!("{first}:{last}:{step}");
        if parse_thresholds(&range).is_ok_and(|back| back == values) {
            return range;
        }
    }
    list()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_arms_are_numbered_like_splits() {
        let arms = Arms::splits(4, 0.7);
        assert_eq!(arms.len(), 4);
        assert!(arms.has_one_threshold());
        for a in 0..4 {
            assert_eq!((arms.split(a), arms.threshold(a)), (a, 0.7));
            assert_eq!(arms.side_arms_end(a), a);
        }
    }

    #[test]
    fn joint_arms_are_split_major_with_shallower_prefixes() {
        let arms = Arms::of(ArmSpace::Joint, 3, 0.7, &[0.5, 0.8]);
        // The final exit has one arm: its threshold changes nothing.
        assert_eq!(arms.len(), 5);
        assert_eq!(arms.side_arms_end(4), 5);
        assert_eq!(arms.side_arms_end(0), 2);
        assert_eq!(arms.split(3), 1);
        assert_eq!(arms.threshold(3), 0.8);
        // Playing (split 2, 0.5) reveals splits 1 and 2 at both thresholds.
        assert_eq!(arms.side_arms_end(2), 4);
        assert_eq!(arms.label(3).to_string(), "2@0.8");
        let at = Arms::of(ArmSpace::ThresholdsAt(1), 3, 0.7, &[0.5, 0.8, 0.9]);
        assert_eq!((at.len(), at.split(1), at.side_arms_end(0)), (3, 1, 3));
    }

    #[test]
    fn threshold_grids_parse_and_validate() {
        assert_eq!(
            parse_thresholds("0.5:0.95:0.05").unwrap(),
            default_thresholds()
        );
        assert_eq!(default_thresholds().len(), 10);
        assert_eq!(default_thresholds()[9], 0.95);
        assert_eq!(parse_thresholds("0.6,0.9").unwrap(), vec![0.6, 0.9]);
        assert!(parse_thresholds("0.9,0.6")
            .unwrap_err()
            .contains("increasing"));
        assert!(parse_thresholds("0:1:0.5").unwrap_err().contains("(0, 1]"));
        assert!(parse_thresholds("0.5:0.9:0")
            .unwrap_err()
            .contains("step must be > 0"));
        assert!(parse_thresholds("a,b")
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_thresholds("1:2").is_err());
    }

    #[test]
    fn threshold_grids_print_as_they_parse() {
        assert_eq!(thresholds_text(&default_thresholds()), "0.5:0.95:0.05");
        assert_eq!(thresholds_text(&[0.6, 0.9]), "0.6,0.9");
        assert_eq!(thresholds_text(&[0.5, 0.6, 0.9]), "0.5,0.6,0.9");
        assert_eq!(thresholds_text(&[0.7]), "0.7");
        for grid in [vec![0.6, 0.7, 0.8, 0.9], vec![0.5, 0.6, 0.9]] {
            assert_eq!(parse_thresholds(&thresholds_text(&grid)).unwrap(), grid);
        }
    }
}
