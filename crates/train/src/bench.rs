//! Training and inference speed (`splitee bench-train`): the time of one training epoch over
//! 7,000 MNIST samples for 800,100,100,10 with two exits (with the training settings of
//! `experiments/sparsity-mnist.toml`: shifts and weight decay included), and final-exit inference throughput of
//! a dense and a 10%-dense network with a masked-dense kernel (dense matrix products over weights
//! that are zero off the pattern) and a truly sparse one (fixed fan-in gather, [`SparseMlp`]).

use super::data::{load_mnist_folder, Images};
use super::mlp::{Mlp, SparseMlp};
use super::{train, EpochStats, Progress, TrainError, TrainParams};
use ndarray::{s, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct TrainBench {
    /// An MNIST folder; synthetic images of the same shape when absent or unreadable.
    pub mnist: Option<PathBuf>,
    pub epochs: usize,
    /// Minimum seconds spent timing each inference kernel.
    pub min_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InferenceFigure {
    pub network: String,
    pub density: f64,
    pub masked_dense_per_s: f64,
    pub sparse_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainBenchResult {
    pub data: String,
    pub train_samples: usize,
    pub epoch_seconds: Vec<f64>,
    pub inference_samples: usize,
    pub inference: Vec<InferenceFigure>,
}

/// Training settings timed: those of `experiments/sparsity-mnist.toml`.
pub const BENCH_LEARNING_RATE: f64 = 0.002;
pub const BENCH_SHIFT: usize = 1;
pub const BENCH_WEIGHT_DECAY: f64 = 0.3;

struct Timer(Vec<f64>);
impl Progress for Timer {
    fn epoch(&mut self, s: &EpochStats) {
        self.0.push(s.seconds);
    }
}

fn synthetic(n: usize, seed: u64) -> Images {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Images {
        pixels: Array2::from_shape_simple_fn((n, 784), || rng.random::<f32>()),
        labels: (0..n).map(|_| rng.random_range(0..10u8)).collect(),
        rows: 28,
        cols: 28,
    }
}

/// Final-exit logits with dense matrix products (chunks of 256 rows).
fn masked_dense(mlp: &Mlp, x: &Array2<f32>) -> f32 {
    let mut check = 0.0;
    let depth = mlp.layers.len();
    let mut start = 0;
    while start < x.nrows() {
        let end = (start + 256).min(x.nrows());
        let mut a = x.slice(s![start..end, ..]).to_owned();
        for (i, l) in mlp.layers.iter().enumerate() {
            a = l.forward(&a.view());
            if i + 1 < depth {
                a.mapv_inplace(|v| v.max(0.0));
            }
        }
        check += a[[0, 0]];
        start = end;
    }
    check
}

/// Samples per second of `f` over `n` samples, repeated for at least `min_seconds`.
fn throughput(n: usize, min_seconds: f64, mut f: impl FnMut() -> f32) -> f64 {
    let _ = std::hint::black_box(f());
    let started = Instant::now();
    let mut reps = 0usize;
    while reps == 0 || started.elapsed().as_secs_f64() < min_seconds {
        std::hint::black_box(f());
        reps += 1;
    }
    (reps * n) as f64 / started.elapsed().as_secs_f64()
}

pub fn run(bench: &TrainBench) -> Result<TrainBenchResult, TrainError> {
    let split = bench
        .mnist
        .as_deref()
        .and_then(|dir| load_mnist_folder(dir, 7000, 3000, 0).ok());
    let (data, train_set, trace_set) = match split {
        Some(s) => (s.description, s.train, s.trace),
        None => (
            "synthetic uniform images (no MNIST folder found), 7000 train, 3000 traced".into(),
            synthetic(7000, 1),
            synthetic(3000, 2),
        ),
    };
    // The settings of experiments/sparsity-mnist.toml (shifts and weight decay cost time too).
    let dense = TrainParams {
        epochs: bench.epochs.max(1),
        learning_rate: BENCH_LEARNING_RATE,
        shift: BENCH_SHIFT,
        weight_decay: BENCH_WEIGHT_DECAY,
        ..TrainParams::default()
    }
    .validate()?;
    let mut timer = Timer(Vec::new());
    let dense_net = train(&dense, &train_set, &mut timer)?;
    let sparse = TrainParams {
        name: "d10".into(),
        fanout: vec![10, 10, 1],
        exit_fanout: vec![1, 1],
        epochs: 1,
        ..TrainParams::default()
    }
    .validate()?;
    let sparse_net = train(&sparse, &train_set, &mut super::NoProgress)?;
    let x = dense_net.input(&trace_set.pixels.view());
    let n = x.nrows();
    let inference = [("dense", &dense_net), ("d10", &sparse_net)]
        .into_iter()
        .map(|(name, mlp)| {
            let sparse_kernel = SparseMlp::of(mlp);
            let weights: usize = mlp.layers.iter().map(|l| l.weights()).sum();
            let possible: usize = mlp
                .layers
                .iter()
                .map(|l| l.pattern.inputs * l.pattern.outputs)
                .sum();
            InferenceFigure {
                network: name.into(),
                density: weights as f64 / possible as f64,
                masked_dense_per_s: throughput(n, bench.min_seconds, || masked_dense(mlp, &x)),
                sparse_per_s: throughput(n, bench.min_seconds, || {
                    sparse_kernel.forward(&x.view())[[0, 0]]
                }),
            }
        })
        .collect();
    Ok(TrainBenchResult {
        data,
        train_samples: train_set.len(),
        epoch_seconds: timer.0,
        inference_samples: n,
        inference,
    })
}

impl fmt::Display for TrainBenchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mean = self.epoch_seconds.iter().sum::<f64>() / self.epoch_seconds.len().max(1) as f64;
        let best = self
            .epoch_seconds
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        writeln!(f, "data: {}", self.data)?;
        writeln!(
            f,
            "training 800,100,100,10 dense, exits after layers 1 and 2, batch 256, Adam lr {}, \
             weight decay {}, random shifts of up to {} pixel, 1 thread: {} samples per epoch",
            BENCH_LEARNING_RATE, BENCH_WEIGHT_DECAY, BENCH_SHIFT, self.train_samples
        )?;
        writeln!(
            f,
            "  epoch time {:.3} s mean, {:.3} s best over {} epochs ({})",
            mean,
            best,
            self.epoch_seconds.len(),
            self.epoch_seconds
                .iter()
                .map(|s| format!("{s:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(
            f,
            "final-exit inference over {} samples, 1 thread (samples/s):",
            self.inference_samples
        )?;
        writeln!(
            f,
            "  network  density  masked-dense kernel  sparse kernel (fixed fan-in)"
        )?;
        for r in &self.inference {
            writeln!(
                f,
                "  {:<7} {:>7.2}% {:>20.0} {:>29.0}",
                r.network,
                100.0 * r.density,
                r.masked_dense_per_s,
                r.sparse_per_s
            )?;
        }
        Ok(())
    }
}
