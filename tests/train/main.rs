//! The trainer (issue #5): sparsity patterns, masking under Adam, validation messages, data
//! loader errors, determinism, the profile cost model, and a quick accuracy check on optdigits.
//!
//! One module per concern: `sparsity` (patterns, masking under Adam, fan-out validation),
//! `data` (loader errors, optdigits learns, the MNIST split), `determinism` (seeds, schedules,
//! shifts and weight decay), `profile` (the cost profile and its cost model) and `study`
//! (training studies and `splitee reproduce`). This file holds the helpers they share.

#[path = "../common/mod.rs"]
mod common;

mod data;
mod determinism;
mod profile;
mod sparsity;
mod study;

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use splitee::train::data::Images;
use splitee::train::{Schedule, TrainParams};

fn random_images(n: usize, rows: usize, cols: usize, seed: u64) -> Images {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Images {
        pixels: Array2::from_shape_simple_fn((n, rows * cols), || rng.random::<f32>()),
        labels: (0..n).map(|_| rng.random_range(0..4u8)).collect(),
        rows,
        cols,
    }
}

fn tiny(fanout: Vec<usize>, exit_fanout: Vec<usize>) -> TrainParams {
    TrainParams {
        name: "tiny".into(),
        widths: vec![20, 12, 8, 4],
        exits: vec![1, 2],
        fanout,
        exit_fanout,
        epochs: 2,
        batch: 16,
        learning_rate: 1e-2,
        schedule: Schedule::Constant,
        shift: 0,
        weight_decay: 0.0,
        seed: 3,
    }
}
