//! The arms a policy chooses among: split points, each with an exit threshold.
//!
//! SplitEE learns the split with one fixed threshold; threshold learners (CeeBERT, AdaEE) learn
//! the threshold at one split; joint learning takes every (split, threshold) pair of a grid. All
//! three are one [`Arms`] set, laid out split-major (arm `a` of a grid with `T` thresholds is split
//! `a / T`, threshold `a % T`), so the arms at or below a split form a prefix and a single-threshold
//! set numbers its arms exactly like the splits.
//!
//! Threshold vectors (Apparate, A-CapEEN) give every device exit up to a split its own threshold:
//! the device walks exits `1..=K`, leaves at the first whose confidence reaches that exit's
//! threshold, and offloads at `K` if none does. Their arms are every vector of the grid over the
//! `K` exits, then the final exit.

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
    /// Every vector of per-exit thresholds over the exits up to one 0-based split (each exit's
    /// from the grid), then the final exit.
    VectorsAt(usize),
}

/// The most arms a threshold-vector set may have: a policy keeps statistics per arm and a
/// trace pass computes every arm's reward on every sample, so `grid^K` must stay small.
pub const MAX_VECTOR_ARMS: usize = 1 << 16;

impl ArmSpace {
    /// Refuses an arm set too large to learn over: threshold vectors from a grid of
    /// `thresholds` values over `K` exits make `thresholds^K + 1` arms.
    pub fn check_size(self, thresholds: usize) -> Result<(), String> {
        let ArmSpace::VectorsAt(k) = self else {
            return Ok(());
        };
        let count = u32::try_from(k + 1)
            .ok()
            .and_then(|exits| thresholds.checked_pow(exits))
            .and_then(|vectors| vectors.checked_add(1));
        match count {
            Some(count) if count <= MAX_VECTOR_ARMS => Ok(()),
            _ => Err(format!(
                "{thresholds} thresholds over {} exits make {} arms, more than the \
                 {MAX_VECTOR_ARMS} a policy may learn over (use a coarser threshold grid or a \
                 shallower split)",
                k + 1,
                count.map_or_else(
                    || format!("more than {}", usize::MAX),
                    |count| count.to_string()
                ),
            )),
        }
    }
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
    /// Per-exit threshold vectors, when the arms are vectors.
    vectors: Option<Vectors>,
}

/// Threshold vectors: arm `a < count` walks exits `0..width` with the thresholds
/// `thresholds[a * width..(a + 1) * width]` and offloads at exit `width - 1`; the arm after
/// them is the final exit.
#[derive(Debug, Clone, PartialEq)]
struct Vectors {
    width: usize,
    thresholds: Vec<f64>,
}

impl Vectors {
    /// Every vector of `grid` over `width` exits, the first exit's threshold varying slowest.
    fn of(grid: &[f64], width: usize) -> Self {
        let count = grid.len().pow(width as u32);
        let mut thresholds = Vec::with_capacity(count * width);
        for a in 0..count {
            // Digit `i` (base `grid.len()`, most significant first) is exit `i`'s threshold.
            let mut rest = a;
            let start = thresholds.len();
            thresholds.resize(start + width, 0.0);
            for slot in thresholds[start..].iter_mut().rev() {
                *slot = grid[rest % grid.len()];
                rest /= grid.len();
            }
        }
        Self { width, thresholds }
    }

    fn count(&self) -> usize {
        self.thresholds.len() / self.width
    }

    fn vector(&self, a: usize) -> &[f64] {
        &self.thresholds[a * self.width..(a + 1) * self.width]
    }
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
            ArmSpace::VectorsAt(k) => Self::vectors(k, thresholds, exits - 1),
        }
    }

    /// Every vector of `thresholds` over exits `0..=k`, then the final exit `last`. Any play
    /// may reveal any vector (whichever stops at an exit the device computed), so every arm's
    /// side arms are all the vectors, and all arms for the final exit.
    fn vectors(k: usize, thresholds: &[f64], last: usize) -> Self {
        let vectors = Vectors::of(thresholds, k + 1);
        let count = vectors.count();
        let mut split = vec![k; count];
        split.push(last);
        let mut threshold: Vec<f64> = (0..count).map(|a| vectors.vector(a)[k]).collect();
        threshold.push(thresholds[0]);
        let mut side_end = vec![count; count];
        side_end.push(count + 1);
        Self {
            split,
            threshold,
            side_end,
            by_split: false,
            grid: true,
            last,
            vectors: Some(vectors),
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
            vectors: None,
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
        (self.grid && self.vectors.is_none() && self.split(a) != self.last)
            .then(|| self.threshold[a])
    }

    /// Arm `a`'s per-exit thresholds (exits `1..=K`), if the arms are threshold vectors and
    /// `a` is not the final exit.
    pub fn learned_vector(&self, a: usize) -> Option<&[f64]> {
        self.vectors
            .as_ref()
            .filter(|v| a < v.count())
            .map(|v| v.vector(a))
    }

    /// Where arm `a` leaves the device on a sample with confidences `conf`: the 0-based exit
    /// and whether it exits there (else it offloads there, or ran to the final exit). An arm
    /// with one threshold reads its split's confidence only; a threshold vector walks its
    /// exits and stops at the first confident one.
    #[inline(always)]
    pub fn stop(&self, a: usize, conf: &[f64]) -> (usize, bool) {
        if let Some(v) = self.vectors.as_ref().filter(|v| a < v.count()) {
            let thresholds = v.vector(a);
            return match conf[..v.width]
                .iter()
                .zip(thresholds)
                .position(|(c, t)| c >= t)
            {
                Some(e) => (e, true),
                None => (v.width - 1, false),
            };
        }
        let Arm { split, threshold } = self.arm(a);
        (split, conf[split] >= threshold)
    }

    /// Whether the arms are threshold vectors.
    pub fn is_vectors(&self) -> bool {
        self.vectors.is_some()
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

/// A threshold vector's arm as users read it: `k@[a1,...,ak]` (1-based split `k`).
pub fn vector_label(split: usize, vector: &[f64]) -> String {
    let values: Vec<String> = vector.iter().map(ToString::to_string).collect();
    format!("{split}@[{}]", values.join(","))
}

/// Parses a threshold grid: `A:B:STEP` (inclusive range) or a comma-separated list; every value
/// in [0, 1], strictly increasing.
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
    fn threshold_vectors_walk_their_exits() {
        let arms = Arms::of(ArmSpace::VectorsAt(1), 4, 0.7, &[0.5, 0.8, 0.9]);
        // 3 x 3 vectors over exits 1 and 2, then the final exit.
        assert_eq!(arms.len(), 10);
        assert_eq!(arms.learned_vector(0), Some(&[0.5, 0.5][..]));
        assert_eq!(arms.learned_vector(5), Some(&[0.8, 0.9][..]));
        assert_eq!(arms.learned_vector(9), None);
        assert_eq!((arms.split(5), arms.split(9)), (1, 3));
        assert_eq!(arms.learned_threshold(5), None);
        assert_eq!(
            vector_label(2, arms.learned_vector(5).unwrap()),
            "2@[0.8,0.9]"
        );
        assert_eq!((arms.side_arms_end(5), arms.side_arms_end(9)), (9, 10));
        let conf = [0.85, 0.95, 0.2, 0.6];
        // [0.8, 0.9]: exit 1 is confident enough.
        assert_eq!(arms.stop(5, &conf), (0, true));
        // [0.9, 0.9]: exit 1 is not, exit 2 is.
        assert_eq!(arms.stop(8, &conf), (1, true));
        // [0.9, 0.5] on a sample confident nowhere: offload at exit 2.
        assert_eq!(arms.stop(6, &[0.1, 0.2, 0.3, 0.4]), (1, false));
        assert_eq!(arms.stop(9, &conf).0, 3);
    }

    #[test]
    fn threshold_vector_sets_are_refused_past_the_arm_limit() {
        assert_eq!(ArmSpace::VectorsAt(3).check_size(15), Ok(()));
        assert_eq!(
            ArmSpace::VectorsAt(4).check_size(10).unwrap_err(),
            "10 thresholds over 5 exits make 100001 arms, more than the 65536 a policy may \
             learn over (use a coarser threshold grid or a shallower split)"
        );
        let huge = ArmSpace::VectorsAt(40).check_size(10).unwrap_err();
        assert!(
            huge.contains(&format!("make more than {} arms", usize::MAX)),
            "{huge}"
        );
        assert_eq!(ArmSpace::Joint.check_size(1000), Ok(()));
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
        assert_eq!(parse_thresholds("0:1:0.5").unwrap(), vec![0.0, 0.5, 1.0]);
        assert!(parse_thresholds("-0.5:1:0.5")
            .unwrap_err()
            .contains("[0, 1]"));
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
