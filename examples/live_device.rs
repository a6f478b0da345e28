//! A live split-computing loop around a small in-process early-exit model.
//!
//! The "network" is a Gaussian classifier over 24 input features with 6 exits: exit `k` has
//! read the first `4k` features, and its head is the class posterior given them. Running a
//! layer adds 4 features' log-likelihoods to the running scores (the activations a split sends
//! to the cloud), so the device pays for the layers it runs and the cloud finishes the rest.
//!
//! For every sample the learner chooses a split; the device runs the layers up to it, answers
//! if the exit there is confident enough and otherwise sends the scores to the cloud, which
//! runs the remaining layers and returns every exit's confidence. The learner observes exactly
//! that, with no labels. Halfway through, its state is saved to a file and a new learner
//! resumes from it, as a restarted device would.
//!
//! Only for the report, the example also runs the whole network on every sample to find the
//! best fixed split in hindsight and the final exit's accuracy.
//!
//! ```sh
//! cargo run --release --example live_device
//! ```

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use splitee::cost::{CostModel, ReportedCost};
use splitee::live::{LiveLearner, LiveSettings, Observed, Plan};
use splitee::policy::PolicySpec;
use splitee::reward::{RewardModel, SampleRow};
use std::fmt;
use std::path::Path;

const FEATURES_PER_LAYER: usize = 4;
const EXITS: usize = 6;
const CLASSES: usize = 4;
const FEATURES: usize = FEATURES_PER_LAYER * EXITS;

/// The model: class means, one per class and feature.
struct Model {
    means: Vec<[f64; FEATURES]>,
}

/// A sample on its way through the network: its features and the running class scores
/// (log-likelihoods) after the layers run so far.
struct Pass<'a> {
    x: &'a [f64; FEATURES],
    scores: [f64; CLASSES],
    layers: usize,
}

impl Model {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let means = (0..CLASSES)
            .map(|_| std::array::from_fn(|_| 0.8 * rng.sample::<f64, _>(StandardNormal)))
            .collect();
        Self { means }
    }

    /// A sample of class `y`; its noise level varies, so some samples are easy and some hard.
    fn sample(&self, y: usize, rng: &mut ChaCha8Rng) -> [f64; FEATURES] {
        let noise = 0.7 + 0.8 * rng.random::<f64>();
        std::array::from_fn(|i| self.means[y][i] + noise * rng.sample::<f64, _>(StandardNormal))
    }

    fn start<'a>(&self, x: &'a [f64; FEATURES]) -> Pass<'a> {
        Pass {
            x,
            scores: [0.0; CLASSES],
            layers: 0,
        }
    }

    /// Runs the next layer; returns its exit's confidence and prediction.
    fn layer(&self, pass: &mut Pass<'_>) -> (f64, usize) {
        let features = pass.layers * FEATURES_PER_LAYER..(pass.layers + 1) * FEATURES_PER_LAYER;
        for (c, score) in pass.scores.iter_mut().enumerate() {
            for i in features.clone() {
                *score -= 0.5 * (pass.x[i] - self.means[c][i]).powi(2);
            }
        }
        pass.layers += 1;
        let top = pass
            .scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = pass.scores.iter().map(|s| (s - top).exp()).sum();
        let best = (0..CLASSES)
            .find(|&c| pass.scores[c] == top)
            .unwrap_or_default();
        (1.0 / total, best)
    }
}

/// What the example measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub decisions: u64,
    /// Decisions the restored learner resumed from.
    pub resumed_at: u64,
    pub offload_fraction: f64,
    pub cost_per_sample: f64,
    pub accuracy: f64,
    /// The split played most in the second half (1-based).
    pub learned_split: usize,
    /// The best fixed split in hindsight (1-based).
    pub best_split: usize,
    pub final_exit_cost: f64,
    pub final_exit_accuracy: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} samples decided live by splitee-s (state saved and restored at {})",
            self.decisions, self.resumed_at
        )?;
        writeln!(
            f,
            "learned split {} (best fixed split in hindsight: {})",
            self.learned_split, self.best_split
        )?;
        writeln!(
            f,
            "cost per sample {:.4} vs {:.4} for the final exit (cost reduction {:.3}), offload \
             fraction {:.3}",
            self.cost_per_sample,
            self.final_exit_cost,
            1.0 - self.cost_per_sample / self.final_exit_cost,
            self.offload_fraction
        )?;
        writeln!(
            f,
            "accuracy fraction {:.4} vs {:.4} for the final exit",
            self.accuracy, self.final_exit_accuracy
        )
    }
}

/// Decides `samples` samples live with a learner seeded with `seed` (the data too).
pub fn run(samples: usize, seed: u64) -> Result<Report, Box<dyn std::error::Error>> {
    let settings = LiveSettings {
        alpha: 0.9,
        cost: CostModel::linear(0.1, 0.3),
        seed,
        ..LiveSettings::new("splitee-s".parse::<PolicySpec>()?)
    };
    let mut learner = LiveLearner::new(&settings, EXITS, false)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let model = Model::new(&mut rng);

    // For the report only: every fixed split's reward and the final exit's accuracy.
    let costs = settings
        .cost
        .resolve_for(EXITS, false, Path::new("example"))?;
    let hindsight = RewardModel::new(settings.alpha, costs, ReportedCost::Standard, 0.1);
    let processing: Vec<f64> = (1..=EXITS).map(|k| 0.1 * k as f64).collect();
    let mut row = SampleRow {
        conf: vec![0.0; EXITS],
        processing: processing.clone(),
        weighted_processing: processing,
        // The SplitEE reward reads confidences, not disagreements or predictions.
        disagreement: Vec::new(),
        pred: Vec::new(),
    };
    let (mut arm_totals, mut rewards) = (vec![0.0; EXITS], vec![0.0; EXITS]);
    let mut final_correct = 0u64;
    let mut late_counts = [0u64; EXITS];
    let mut resumed_at = 0;
    let state =
        std::env::temp_dir().join(format!("splitee-live-example-{}.json", std::process::id()));

    for t in 0..samples {
        if t == samples / 2 {
            // A restart: save, drop the learner, resume from the file.
            learner.save(&state)?;
            drop(learner);
            learner = LiveLearner::load(&settings, &state)?;
            resumed_at = learner.steps();
            std::fs::remove_file(&state)?;
        }
        let y = rng.random_range(0..CLASSES);
        let x = model.sample(y, &mut rng);

        // The device: run the layers the plan asks for.
        let plan = learner.choose();
        let mut pass = model.start(&x);
        let mut computed = Vec::with_capacity(EXITS);
        let mut answer = 0;
        let device_layers = match plan {
            Plan::Split { split, .. } => split + 1,
            Plan::DeviceOnly { .. } => EXITS,
        };
        for _ in 0..device_layers {
            let (confidence, prediction) = model.layer(&mut pass);
            computed.push(confidence);
            answer = prediction;
        }
        // The cloud finishes the network when the device sends the sample there.
        if plan.sends_to_cloud(&computed, EXITS) {
            while pass.layers < EXITS {
                let (confidence, prediction) = model.layer(&mut pass);
                computed.push(confidence);
                answer = prediction;
            }
        }
        let outcome = learner.observe(&Observed {
            conf: &computed,
            cost: None,
        })?;
        learner.score(answer == y);
        if t >= samples / 2 {
            late_counts[outcome.split] += 1;
        }

        // Hindsight, for the report: the whole network on this sample.
        let mut full = model.start(&x);
        for k in 0..EXITS {
            let (confidence, prediction) = model.layer(&mut full);
            row.conf[k] = confidence;
            if k == EXITS - 1 {
                final_correct += u64::from(prediction == y);
            }
        }
        hindsight.rewards_into(&row, &mut rewards);
        for (total, r) in arm_totals.iter_mut().zip(&rewards) {
            *total += r;
        }
    }

    let totals = learner.totals();
    let n = totals.decisions as f64;
    let argmax = |v: &[f64]| (0..v.len()).fold(0, |best, k| if v[k] > v[best] { k } else { best });
    let late: Vec<f64> = late_counts.iter().map(|&c| c as f64).collect();
    Ok(Report {
        decisions: totals.decisions,
        resumed_at,
        offload_fraction: totals.offloads as f64 / n,
        cost_per_sample: totals.cost / n,
        accuracy: totals.correct as f64 / totals.labeled as f64,
        learned_split: argmax(&late) + 1,
        best_split: argmax(&arm_totals) + 1,
        final_exit_cost: 0.1 * EXITS as f64,
        final_exit_accuracy: final_correct as f64 / n,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let report = run(40_000, 7)?;
    print!("{report}");
    Ok(())
}
