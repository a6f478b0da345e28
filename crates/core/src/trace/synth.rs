//! Seeded synthetic traces, for tests, benchmarks and experiments at any size.
//!
//! # Model
//!
//! Exits `k = 1..L` sit at relative depth `x_k = (k - 1) / (L - 1)` (0 at the first exit, 1 at
//! the final one). Every sample draws, from a ChaCha8 stream seeded with `seed`:
//!
//! - a label `y`, uniform over the `K` classes, and a wrong class `w != y` that all its wrong
//!   exits predict (networks tend to repeat the same mistake);
//! - an ease `e ~ U(-1/2, 1/2)`, shared by all its exits (an easy sample is confident
//!   everywhere);
//! - a shared uniform `u ~ U(0, 1)` that decides correctness at most exits, so exits agree far
//!   more often than independent ones would.
//!
//! Then, at every exit `k`:
//!
//! - **confidence**: a certainty `t = clamp(t_k + D * e + N * (v - 1/2), 0, 1)` with the depth
//!   profile `t_k = T_FIRST + (T_LAST - T_FIRST) * sqrt(x_k)` (rising quickly over the first exits,
//!   then flattening, as in real early-exit networks) and fresh noise `v ~ U(0, 1)`. The
//!   confidence `C_k = 1/K + (1 - 1/K) * t` lies in `[1/K, 1]` like a max-softmax probability and
//!   is rounded to `f32`, so a synthetic trace is stored compactly like a real float32 dump.
//! - **correctness**: the exit is right when `u_k < C_k^GAMMA`, where `u_k` is the shared `u`
//!   with probability `SHARED` and a fresh uniform otherwise. `u_k` is uniform either way, so
//!   `P(right | C_k) = C_k^GAMMA`: confidence ranks reliability and, as on the real SST-2 trace,
//!   somewhat understates it (`GAMMA < 1`), while a confident early exit stays less reliable than
//!   the final exit (device-only early exit loses accuracy, as on real traces).
//!
//! With the constants below and `K = 2`, `L = 12`, mean confidence rises from about 0.6 at exit 1
//! to about 0.86 at the final exit and accuracy from about 0.7 to about 0.9, close to the real
//! SST-2 BERT trace (`sst2-bert12.csv`). Samples carry labels and no measured costs.
//!
//! Generation streams: memory does not depend on the number of samples, and the only allocations
//! are the vectors of each [`Sample`].

use super::{Sample, Trace, TraceBuilder, TraceError};
use crate::memory::{Bytes, MemoryError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Certainty of the first and of the final exit on a sample of average ease, before noise.
const T_FIRST: f64 = 0.18;
const T_LAST: f64 = 0.72;
/// Weights of the sample's ease and of per-exit noise in the certainty.
const EASE_WEIGHT: f64 = 0.45;
const NOISE_WEIGHT: f64 = 0.35;
/// Probability that an exit's correctness follows the sample's shared uniform.
const SHARED: f64 = 0.8;
/// `P(right | C) = C^GAMMA`.
const GAMMA: f64 = 0.6;

/// The size and seed of a synthetic trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthParams {
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
    pub seed: u64,
}

/// Where synthetic traces say they come from in messages and reports.
const SOURCE: &str = "<synthetic>";

impl SynthParams {
    /// Checks that the trace makes sense: at least one sample, two exits and two classes,
    /// classes that fit a trace, and samples whose generation fits in memory.
    pub fn validate(&self) -> Result<(), TraceError> {
        let problem = if self.samples < 1 {
            Some(format!("samples must be at least 1 (got {})", self.samples))
        } else if self.exits < 2 {
            Some(format!("exits must be at least 2 (got {})", self.exits))
        } else if self.classes < 2 {
            Some(format!("classes must be at least 2 (got {})", self.classes))
        } else if self.classes > super::MAX_CLASS as usize + 1 {
            Some(format!(
                "classes must be at most {} (got {})",
                super::MAX_CLASS + 1,
                self.classes
            ))
        } else {
            None
        };
        match problem {
            Some(message) => Err(TraceError::file(Path::new(SOURCE), message)),
            None => {
                // Per exit: its certainty and distortion weight, and a sample's confidence and
                // prediction.
                let per_exit = 3 * std::mem::size_of::<f64>() + std::mem::size_of::<u32>();
                Bytes::of(self.exits, per_exit)
                    .check(format!("a sample of {} exits", self.exits))
                    .map(drop)
                    .map_err(too_large)
            }
        }
    }

    /// The samples, generated one at a time.
    pub fn stream(&self) -> Result<SynthSamples, TraceError> {
        self.stream_with(Drift::None)
    }

    /// The samples of a stream whose data drifts (see [`Drift`]).
    pub fn stream_with(&self, drift: Drift) -> Result<SynthSamples, TraceError> {
        self.validate()?;
        drift.validate()?;
        if let Drift::Abrupt { segments, .. } | Drift::Switch { segments, .. } = drift {
            if segments > self.samples {
                return Err(TraceError::file(
                    Path::new(SOURCE),
                    format!(
                        "{segments} segments need at least as many samples (got {}): a segment \
                         would be empty",
                        self.samples
                    ),
                ));
            }
            // The start of every segment, and a file per segment when written.
            Bytes::of(segments, std::mem::size_of::<usize>() + 256)
                .check(format!("{segments} segments"))
                .map_err(too_large)?;
        }
        let span = (self.exits - 1) as f64;
        let depth = |k: usize| k as f64 / span;
        Ok(SynthSamples {
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            remaining: self.samples,
            total: self.samples,
            classes: self.classes as u32,
            certainty: (0..self.exits)
                .map(|k| T_FIRST + (T_LAST - T_FIRST) * depth(k).sqrt())
                .collect(),
            distortion_weight: (0..self.exits).map(|k| 1.0 - 0.5 * depth(k)).collect(),
            shallow: (0..self.exits)
                .take_while(|&k| depth(k) < DEFEATED_DEPTH)
                .count(),
            drift,
        })
    }

    /// The whole trace in memory, for replay.
    pub fn trace(&self) -> Result<Trace, TraceError> {
        self.trace_with(Drift::None)
    }

    /// The whole drifting trace in memory; an abrupt drift's phases are the trace's segments.
    pub fn trace_with(&self, drift: Drift) -> Result<Trace, TraceError> {
        self.validate()?;
        // At least a compact record per sample: an `f32` confidence and a `u8` prediction per
        // exit, and the label.
        Bytes::of(self.exits, 5)
            .plus(Bytes::from(1))
            .times(self.samples)
            .check(format!(
                "a trace of {} samples x {} exits",
                self.samples, self.exits
            ))
            .map_err(too_large)?;
        let mut builder = TraceBuilder::new(Path::new(SOURCE))
            .with_classes(self.classes)
            .with_capacity(self.samples);
        let starts = drift.segment_starts(self.samples);
        for (s, sample) in self.stream_with(drift)?.enumerate() {
            if s > 0 && starts.contains(&s) {
                builder.start_segment();
            }
            builder.push(sample);
        }
        builder.finish()
    }
}

/// How the data of a synthetic stream changes over time.
///
/// [`Drift::Abrupt`] and [`Drift::Gradual`] raise a distortion level `d` in [0, 1] (noise
/// rising, as in the I-SplitEE setting), which lowers every exit's certainty by
/// `shift * d * (1 - x_k / 2)`: shallow exits lose the most and the best split moves deeper.
///
/// [`Drift::Switch`] moves the best split far and back: it alternates clean and distorted
/// phases on easy data, and the distortion makes the shallowest exits useless.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Drift {
    /// A stationary stream.
    #[default]
    None,
    /// `segments` equal phases with distortion `0, 1/(segments-1), ..., 1`.
    Abrupt { segments: usize, shift: f64 },
    /// Distortion rising linearly from 0 to 1 over the stream.
    Gradual { shift: f64 },
    /// `segments` equal phases, alternately clean (the 1st, 3rd, ...) and distorted (the 2nd,
    /// 4th, ...). In every phase the data is easier: every exit's certainty is raised by
    /// `shift` (at 0.5, exit 1 reaches confidence 0.7 on 95% of the samples against 10% without
    /// drift, so an early split that exits on the device is best). In distorted phases the exits
    /// in the first third of the network (relative depth `x_k < 1/3`) are defeated: their
    /// certainty is 0, so their confidence is the chance level `1/K`, below any useful
    /// threshold, and their predictions are right with probability `(1/K)^GAMMA` only; deeper
    /// exits keep their certainty. A split in the first third then offloads every sample, and
    /// the best split moves to the first exit past the distorted third unless offloading is
    /// cheap (with 12 exits, `lambda = 0.1`, `alpha = 0.7` and `shift = 0.5`, the best split
    /// moves from exit 1 to exit 5 for `o` between about 0.43 and 0.85).
    Switch { segments: usize, shift: f64 },
}

/// A kind of drift, as `splitee synth --drift` and a sweep's `synthetic.drift` name it; with a
/// number of phases and a shift it makes a [`Drift`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftKind {
    #[default]
    None,
    Abrupt,
    Gradual,
    Switch,
}

impl DriftKind {
    /// The drift of this kind with `segments` phases (abrupt and switching drifts) and `shift`.
    pub fn with(self, segments: usize, shift: f64) -> Drift {
        match self {
            Self::None => Drift::None,
            Self::Abrupt => Drift::Abrupt { segments, shift },
            Self::Gradual => Drift::Gradual { shift },
            Self::Switch => Drift::Switch { segments, shift },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Abrupt => "abrupt",
            Self::Gradual => "gradual",
            Self::Switch => "switch",
        }
    }
}

/// A synthetic stream as the flags of `splitee synth` describe it, with their defaults, for a
/// config to name (a sweep's `synthetic`): generated in memory, its phases are its segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthSpec {
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
    pub seed: u64,
    pub drift: DriftKind,
    pub segments: usize,
    pub shift: f64,
}

impl Default for SynthSpec {
    fn default() -> Self {
        Self {
            samples: 10_000,
            exits: 12,
            classes: 2,
            seed: 0,
            drift: DriftKind::None,
            segments: 2,
            shift: 0.5,
        }
    }
}

impl SynthSpec {
    pub fn params(&self) -> SynthParams {
        SynthParams {
            samples: self.samples,
            exits: self.exits,
            classes: self.classes,
            seed: self.seed,
        }
    }

    pub fn drift(&self) -> Drift {
        self.drift.with(self.segments, self.shift)
    }

    /// The trace, checked as `splitee synth` checks it.
    pub fn trace(&self) -> Result<Trace, TraceError> {
        self.params().trace_with(self.drift())
    }

    /// The `splitee synth` command that writes this stream: its name in reports.
    pub fn command(&self) -> String {
        let mut command = format!(
            "synth --samples {} --exits {} --classes {} --seed {}",
            self.samples, self.exits, self.classes, self.seed
        );
        match self.drift {
            DriftKind::None => {}
            DriftKind::Gradual => command += &format!(" --drift gradual --shift {}", self.shift),
            kind => {
                command += &format!(
                    " --drift {} --segments {} --shift {}",
                    kind.name(),
                    self.segments,
                    self.shift
                )
            }
        }
        command
    }
}

/// Work refused for its memory, as a trace error on the synthetic source.
fn too_large(e: MemoryError) -> TraceError {
    TraceError::file(Path::new(SOURCE), e.to_string())
}

/// `index * parts / total` without overflow, whatever the counts.
fn share(index: usize, parts: usize, total: usize) -> usize {
    // Exact in 128 bits, and at most `parts` when `index <= total`.
    (index as u128 * parts as u128 / total.max(1) as u128) as usize
}

/// Exits shallower than this relative depth are defeated in the distorted phases of
/// [`Drift::Switch`].
const DEFEATED_DEPTH: f64 = 1.0 / 3.0;

/// The data's condition at one sample of a drifting stream.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Condition {
    /// Distortion level, weighted by `1 - x_k / 2` at exit `k` (abrupt and gradual drifts).
    level: f64,
    /// Certainty added at every exit (switching drift).
    ease: f64,
    /// Whether the first third of the network is defeated (switching drift).
    defeated: bool,
}

impl Condition {
    const STATIONARY: Self = Self {
        level: 0.0,
        ease: 0.0,
        defeated: false,
    };
}

impl Drift {
    fn validate(&self) -> Result<(), TraceError> {
        let problem = match *self {
            Drift::None => None,
            Drift::Abrupt { segments, .. } | Drift::Switch { segments, .. } if segments < 2 => {
                Some(format!(
                    "an abrupt or switching drift needs at least 2 segments (got {segments})"
                ))
            }
            Drift::Abrupt { shift, .. }
            | Drift::Gradual { shift }
            | Drift::Switch { shift, .. }
                if !(shift.is_finite() && (0.0..=1.0).contains(&shift)) =>
            {
                Some(format!("the drift shift must be in [0, 1] (got {shift})"))
            }
            _ => None,
        };
        match problem {
            Some(message) => Err(TraceError::file(Path::new(SOURCE), message)),
            None => Ok(()),
        }
    }

    /// The first sample of each phase (just 0 unless the drift has phases: abrupt or switch).
    pub fn segment_starts(&self, samples: usize) -> Vec<usize> {
        match *self {
            Drift::Abrupt { segments, .. } | Drift::Switch { segments, .. } => {
                (0..segments).map(|i| share(i, samples, segments)).collect()
            }
            _ => vec![0],
        }
    }

    /// The data's condition at sample `index` of `total`.
    fn condition(&self, index: usize, total: usize) -> Condition {
        let phase = |segments: usize| share(index, segments, total);
        let level = match *self {
            Drift::None => 0.0,
            Drift::Abrupt { segments, shift } => {
                shift * phase(segments) as f64 / (segments - 1) as f64
            }
            Drift::Gradual { shift } => shift * index as f64 / (total.max(2) - 1) as f64,
            Drift::Switch { segments, shift } => {
                return Condition {
                    level: 0.0,
                    ease: shift,
                    defeated: phase(segments) % 2 == 1,
                }
            }
        };
        Condition {
            level,
            ..Condition::STATIONARY
        }
    }
}

/// The stream of samples of a [`SynthParams`]; see the module documentation for the model.
#[derive(Debug, Clone)]
pub struct SynthSamples {
    rng: ChaCha8Rng,
    remaining: usize,
    total: usize,
    classes: u32,
    /// `t_k` of every exit, computed once.
    certainty: Vec<f64>,
    /// How much distortion lowers each exit's certainty (`1 - x_k / 2`).
    distortion_weight: Vec<f64>,
    /// How many exits lie in the first third of the network (`x_k < 1/3`), which a switching
    /// drift's distortion defeats.
    shallow: usize,
    drift: Drift,
}

impl Iterator for SynthSamples {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        self.remaining = self.remaining.checked_sub(1)?;
        let rng = &mut self.rng;
        let classes = self.classes;
        let label = rng.random_range(0..classes);
        // Uniform over the other classes: skip over the label.
        let other = rng.random_range(0..classes - 1);
        let wrong = other + u32::from(other >= label);
        let ease = rng.random::<f64>() - 0.5;
        let shared = rng.random::<f64>();
        let floor = 1.0 / f64::from(classes);
        let exits = self.certainty.len();
        let condition = self
            .drift
            .condition(self.total - self.remaining - 1, self.total);
        let defeated = if condition.defeated { self.shallow } else { 0 };
        let mut conf = Vec::with_capacity(exits);
        let mut pred = Vec::with_capacity(exits);
        let exit_params = self.certainty.iter().zip(&self.distortion_weight);
        for (k, (&certainty, &weight)) in exit_params.enumerate() {
            let noise = rng.random::<f64>() - 0.5;
            // Without drift the certainty is left untouched, bit for bit.
            let mut shifted = certainty;
            if condition.level > 0.0 {
                shifted -= condition.level * weight;
            }
            if condition.ease > 0.0 {
                shifted += condition.ease;
            }
            let t = if k < defeated {
                0.0
            } else {
                (shifted + EASE_WEIGHT * ease + NOISE_WEIGHT * noise).clamp(0.0, 1.0)
            };
            let c = f64::from((floor + (1.0 - floor) * t) as f32);
            let u = if rng.random::<f64>() < SHARED {
                shared
            } else {
                rng.random::<f64>()
            };
            conf.push(c);
            // `c <= c^GAMMA` (GAMMA < 1, c in (0, 1]): most draws are decided without the power.
            pred.push(if u < c || u < power(c) { label } else { wrong });
        }
        Some(Sample {
            conf,
            pred,
            label: Some(label),
            cost: None,
            context: None,
            arrival: None,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for SynthSamples {}

/// `c^GAMMA`, out of line: inlined, the compiler computes it before knowing it is needed.
#[inline(never)]
fn power(c: f64) -> f64 {
    c.powf(GAMMA)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(seed: u64) -> SynthParams {
        SynthParams {
            samples: 500,
            exits: 12,
            classes: 2,
            seed,
        }
    }

    fn mean_conf(trace: &Trace, exit: usize, samples: std::ops::Range<usize>) -> f64 {
        let n = samples.len() as f64;
        samples.map(|s| trace.conf(s, exit)).sum::<f64>() / n
    }

    #[test]
    fn abrupt_drift_lowers_shallow_confidence_in_later_phases_and_marks_segments() {
        let p = SynthParams {
            samples: 9_000,
            ..params(3)
        };
        let trace = p
            .trace_with(Drift::Abrupt {
                segments: 3,
                shift: 0.4,
            })
            .unwrap();
        assert_eq!(trace.segment_starts(), &[0, 3_000, 6_000]);
        // Exit 4 (exit 1 soon sits at the 1/K floor): lower in every phase, and it loses more
        // than the final exit.
        let phase = |i: usize, exit| mean_conf(&trace, exit, i * 3_000..(i + 1) * 3_000);
        assert!(phase(0, 3) > phase(1, 3) + 0.05 && phase(1, 3) > phase(2, 3) + 0.05);
        let drop = |exit| phase(0, exit) - phase(2, exit);
        assert!(drop(3) > drop(11) + 0.03, "{} vs {}", drop(3), drop(11));
    }

    #[test]
    fn gradual_drift_declines_steadily_and_no_drift_changes_nothing() {
        let p = SynthParams {
            samples: 8_000,
            ..params(4)
        };
        let trace = p.trace_with(Drift::Gradual { shift: 0.4 }).unwrap();
        assert_eq!(trace.segment_starts(), &[0]);
        let quarter = |i: usize| mean_conf(&trace, 3, i * 2_000..(i + 1) * 2_000);
        assert!((0..3).all(|i| quarter(i) > quarter(i + 1)));
        let plain: Vec<Sample> = p.stream().unwrap().collect();
        let none: Vec<Sample> = p.stream_with(Drift::None).unwrap().collect();
        assert_eq!(plain, none);
        let bad = Drift::Abrupt {
            segments: 1,
            shift: 0.2,
        };
        assert!(p.stream_with(bad).is_err());
        assert!(p.stream_with(Drift::Gradual { shift: 1.5 }).is_err());
    }

    #[test]
    fn switching_drift_alternates_clean_phases_and_phases_that_defeat_the_first_third() {
        let p = SynthParams {
            samples: 8_000,
            ..params(5)
        };
        let drift = Drift::Switch {
            segments: 4,
            shift: 0.5,
        };
        let trace = p.trace_with(drift).unwrap();
        assert_eq!(trace.segment_starts(), &[0, 2_000, 4_000, 6_000]);
        let phase = |i: usize| i * 2_000..(i + 1) * 2_000;
        // 12 exits at depths k / 11: exits 1..=4 lie in the first third.
        for i in 0..4 {
            let distorted = i % 2 == 1;
            for s in phase(i) {
                for k in 0..4 {
                    assert_eq!(trace.conf(s, k) == 0.5, distorted, "phase {i}, exit {k}");
                }
            }
            // Deeper exits are untouched by the distortion, and confident on this easy data.
            assert!(mean_conf(&trace, 4, phase(i)) > 0.95);
        }
        // Clean phases: the first exit is confident at alpha = 0.7 most of the time, far more
        // than without the ease.
        let confident = |trace: &Trace, samples: std::ops::Range<usize>| {
            samples.filter(|&s| trace.conf(s, 0) >= 0.7).count() as f64 / 2_000.0
        };
        let plain = p.trace().unwrap();
        assert!(
            confident(&trace, phase(0)) > 0.7,
            "{}",
            confident(&trace, phase(0))
        );
        assert!(confident(&plain, phase(0)) < 0.3);
        // Defeated exits are right at chance: (1/2)^0.6 = 0.66 of the time.
        let right = phase(1)
            .filter(|&s| Some(trace.pred(s, 0)) == trace.label(s))
            .count() as f64
            / 2_000.0;
        assert!((right - 0.66).abs() < 0.03, "{right}");
        for bad in [
            Drift::Switch {
                segments: 1,
                shift: 0.5,
            },
            Drift::Switch {
                segments: 2,
                shift: -0.1,
            },
        ] {
            assert!(p.stream_with(bad).is_err());
        }
    }

    #[test]
    fn same_seed_gives_identical_samples() {
        let a: Vec<Sample> = params(7).stream().unwrap().collect();
        let b: Vec<Sample> = params(7).stream().unwrap().collect();
        let c: Vec<Sample> = params(8).stream().unwrap().collect();
        assert_eq!(a.len(), 500);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn rejects_degenerate_parameters() {
        for (bad, expected) in [
            (
                SynthParams {
                    exits: 1,
                    ..params(0)
                },
                "exits must be at least 2 (got 1)",
            ),
            (
                SynthParams {
                    classes: 1,
                    ..params(0)
                },
                "classes must be at least 2",
            ),
            (
                SynthParams {
                    samples: 0,
                    ..params(0)
                },
                "samples must be at least 1",
            ),
            (
                SynthParams {
                    classes: 70_000,
                    ..params(0)
                },
                "classes must be at most 65535",
            ),
        ] {
            let message = bad.stream().unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn values_are_valid_and_compact() {
        let trace = SynthParams {
            classes: 10,
            ..params(3)
        }
        .trace()
        .unwrap();
        assert!(trace.is_compact());
        assert_eq!(trace.classes(), 10);
        for s in 0..trace.samples() {
            assert!(trace.label(s).is_some_and(|y| y < 10));
            for k in 0..trace.exits() {
                let c = trace.conf(s, k);
                assert!((0.1 - 1e-7..=1.0).contains(&c), "{c}");
                assert!(trace.pred(s, k) < 10);
            }
        }
    }

    /// The shortcut `u < c || u < c^GAMMA` decides as `u < c^GAMMA` does: `c <= c^GAMMA` for
    /// every confidence a sample can have (f32 values in [1/K, 1]), checked on a dense grid.
    #[test]
    fn power_shortcut_never_changes_a_prediction() {
        let mut c = 1.0f32 / 65_536.0;
        while c <= 1.0 {
            let x = f64::from(c);
            assert!(x <= x.powf(GAMMA), "{x}");
            c = f32::from_bits(c.to_bits() + 97);
        }
        assert!(1.0 <= 1f64.powf(GAMMA));
    }

    /// Sizes the machine cannot hold are refused before anything is allocated, and phases
    /// never come out empty.
    #[test]
    fn huge_sizes_and_more_segments_than_samples_are_refused() {
        let refused = |p: SynthParams, drift: Drift| p.stream_with(drift).unwrap_err().to_string();
        for exits in [usize::MAX, 1 << 40] {
            let message = refused(SynthParams { exits, ..params(1) }, Drift::None);
            assert!(
                message.starts_with(&format!(
                    "<synthetic>: a sample of {exits} exits would need "
                )),
                "{message}"
            );
        }
        let huge = SynthParams {
            samples: usize::MAX,
            ..params(1)
        };
        assert!(
            huge.stream().is_ok(),
            "streaming needs no memory per sample"
        );
        assert!(huge
            .trace()
            .unwrap_err()
            .to_string()
            .contains("would need more than 16 EiB of memory"));
        let switch = |segments| Drift::Switch {
            segments,
            shift: 0.5,
        };
        let few = SynthParams {
            samples: 10,
            ..params(1)
        };
        assert_eq!(
            refused(few, switch(20)),
            "<synthetic>: 20 segments need at least as many samples (got 10): a segment would be \
             empty"
        );
        assert!(refused(huge, switch(usize::MAX / 2)).contains("segments would need"));
        assert_eq!(
            few.trace_with(switch(10)).unwrap().segment_starts().len(),
            10
        );
        // Phase boundaries computed without overflow.
        assert_eq!(
            switch(3).segment_starts(usize::MAX),
            [0, usize::MAX / 3, usize::MAX / 3 * 2]
        );
    }
}
