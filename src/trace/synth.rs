//! Seeded synthetic traces, for tests, benchmarks and experiments at any size.
//!
//! # Model
//!
//! Exits `k = 1..L` sit at relative depth `x_k = (k - 1) / (L - 1)` (0 at the first exit, 1 at
//! the final one). Every sample draws, from a ChaCha8 stream seeded with `seed`:
//!
//! - a label `y`, uniform over the `K` classes;
//! - a latent difficulty `d ~ U(0, 1)`, shared by all its exits, so exits agree more often than
//!   independent ones would (an easy sample tends to be right everywhere).
//!
//! Then, at every exit `k`:
//!
//! - **correctness**: the exit is right with probability
//!   `clamp(a_k + SPREAD * (1/2 - d), 0, 1)`, where `a_k = A_FIRST + (A_LAST - A_FIRST) * sqrt(x_k)`
//!   rises quickly over the first exits and then flattens, as in real early-exit networks. A wrong
//!   exit predicts a class other than `y`, uniformly.
//! - **confidence**: a certainty `t = clamp(t_k + b - D * (d - 1/2) + N * (v - 1/2), 0, 1)` with
//!   `t_k = T_FIRST + (T_LAST - T_FIRST) * sqrt(x_k)`, a bonus `b` that is positive when the exit
//!   is right and negative when it is wrong, and fresh noise `v ~ U(0, 1)`; the confidence is
//!   `C_k = 1/K + (1 - 1/K) * t`, so it lies in `[1/K, 1]` like a max-softmax probability, and is
//!   rounded to `f32` so a synthetic trace is stored compactly like a real float32 dump.
//!
//! With the constants below and `K = 2`, `L = 12`, per-exit accuracy rises from about 0.55 to about
//! 0.90 and mean confidence from about 0.6 to about 0.9, close to the real SST-2 BERT trace
//! (`sst2-bert12.csv`). Samples carry labels and no measured costs.
//!
//! Generation streams: memory does not depend on the number of samples, and the only allocations
//! are the vectors of each [`Sample`].

use super::{Sample, Trace, TraceBuilder, TraceError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Accuracy of the first and of the final exit on a sample of average difficulty.
const A_FIRST: f64 = 0.55;
const A_LAST: f64 = 0.92;
/// How much difficulty moves the probability of being right (from +SPREAD/2 to -SPREAD/2).
const SPREAD: f64 = 0.5;
/// Certainty of the first and of the final exit before bonus, difficulty and noise.
const T_FIRST: f64 = 0.2;
const T_LAST: f64 = 0.78;
/// Certainty bonus of a right exit and penalty of a wrong one.
const RIGHT_BONUS: f64 = 0.08;
const WRONG_PENALTY: f64 = 0.3;
/// Weights of difficulty and of per-exit noise in the certainty.
const DIFFICULTY_WEIGHT: f64 = 0.3;
const NOISE_WEIGHT: f64 = 0.5;

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
    /// Checks that the trace makes sense: at least one sample, two exits and two classes, and
    /// classes that fit a trace.
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
            None => Ok(()),
        }
    }

    /// The samples, generated one at a time.
    pub fn stream(&self) -> Result<SynthSamples, TraceError> {
        self.validate()?;
        let profile = |first: f64, last: f64| -> Vec<f64> {
            let span = (self.exits - 1) as f64;
            (0..self.exits)
                .map(|k| first + (last - first) * (k as f64 / span).sqrt())
                .collect()
        };
        Ok(SynthSamples {
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            remaining: self.samples,
            classes: self.classes as u32,
            accuracy: profile(A_FIRST, A_LAST),
            certainty: profile(T_FIRST, T_LAST),
        })
    }

    /// The whole trace in memory, for replay.
    pub fn trace(&self) -> Result<Trace, TraceError> {
        let mut builder = TraceBuilder::new(Path::new(SOURCE)).with_classes(self.classes);
        for sample in self.stream()? {
            builder.push(sample);
        }
        builder.finish()
    }
}

/// The stream of samples of a [`SynthParams`]; see the module documentation for the model.
#[derive(Debug, Clone)]
pub struct SynthSamples {
    rng: ChaCha8Rng,
    remaining: usize,
    classes: u32,
    /// `a_k` and `t_k` of every exit, computed once.
    accuracy: Vec<f64>,
    certainty: Vec<f64>,
}

impl Iterator for SynthSamples {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        self.remaining = self.remaining.checked_sub(1)?;
        let rng = &mut self.rng;
        let classes = self.classes;
        let label = rng.random_range(0..classes);
        let ease = 0.5 - rng.random::<f64>();
        let floor = 1.0 / f64::from(classes);
        let exits = self.accuracy.len();
        let mut conf = Vec::with_capacity(exits);
        let mut pred = Vec::with_capacity(exits);
        for (&accuracy, &certainty) in self.accuracy.iter().zip(&self.certainty) {
            let right = rng.random::<f64>() < accuracy + SPREAD * ease;
            let prediction = if right {
                label
            } else {
                // Uniform over the other classes: skip over the label.
                let other = rng.random_range(0..classes - 1);
                other + u32::from(other >= label)
            };
            let bonus = if right { RIGHT_BONUS } else { -WRONG_PENALTY };
            let noise = rng.random::<f64>() - 0.5;
            let t = (certainty + bonus + DIFFICULTY_WEIGHT * ease + NOISE_WEIGHT * noise)
                .clamp(0.0, 1.0);
            conf.push(f64::from((floor + (1.0 - floor) * t) as f32));
            pred.push(prediction);
        }
        Some(Sample {
            conf,
            pred,
            label: Some(label),
            cost: None,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for SynthSamples {}

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
}
