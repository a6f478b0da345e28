//! The training loop, and the progress it reports.

use crate::data::Images;
use crate::distort;
use crate::error::TrainError;
use crate::mlp::{Adam, Mlp};
use crate::params::{derive_seed, ValidParams};
use ndarray::{s, Array2, Axis};
use rand::seq::SliceRandom;
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// One epoch's figures on the training batches.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    pub epoch: usize,
    pub epochs: usize,
    /// Mean over samples of the summed exits' cross-entropies.
    pub loss: f64,
    /// Per-exit accuracy on the training batches (before each step).
    pub accuracy: Vec<f64>,
    pub seconds: f64,
}

/// Receives training progress.
pub trait Progress {
    fn start(&mut self, _name: &str, _epochs: usize) {}
    fn epoch(&mut self, _stats: &EpochStats) {}
    fn finish(&mut self, _message: &str) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Trains a network from `params` on `train` (single-threaded, seeded).
pub fn train(
    params: &ValidParams,
    train: &Images,
    progress: &mut dyn Progress,
) -> Result<Mlp, TrainError> {
    params.check_data(train, "training")?;
    let p = params.params();
    let mut mlp = params.build();
    let n_pixels = train.pixels.len() as f64;
    let mean = train.pixels.iter().map(|&v| f64::from(v)).sum::<f64>() / n_pixels;
    let var = train
        .pixels
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n_pixels;
    mlp.input_mean = mean as f32;
    mlp.input_std = if var > 0.0 { var.sqrt() as f32 } else { 1.0 };
    let mut adam = Adam::new(&mlp, p.learning_rate as f32);
    adam.weight_decay = p.weight_decay as f32;
    let x = mlp.input(&train.pixels.view());
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(p.seed, 2));
    // A separate stream for the shifts, so that turning augmentation on or off leaves the batch
    // order as it was.
    let mut shift_rng = ChaCha8Rng::seed_from_u64(derive_seed(p.seed, 3));
    let shift = i32::try_from(p.shift).unwrap_or(i32::MAX);
    let steps_per_epoch = train.len().div_ceil(p.batch);
    // Saturating: the step count only shapes the schedule, whatever the number of epochs.
    let total_steps = p.epochs.saturating_mul(steps_per_epoch);
    let features = train.features();
    let mut raw = Array2::<f32>::zeros((p.batch.min(train.len()), features));
    progress.start(&p.name, p.epochs);
    for epoch in 1..=p.epochs {
        let started = Instant::now();
        order.shuffle(&mut rng);
        let mut loss = 0.0;
        let mut correct = vec![0usize; mlp.exits()];
        let mut labels = Vec::with_capacity(p.batch);
        for (b, batch) in order.chunks(p.batch).enumerate() {
            let step = (epoch - 1)
                .saturating_mul(steps_per_epoch)
                .saturating_add(b);
            adam.learning_rate =
                p.schedule
                    .rate(p.learning_rate, step, total_steps, epoch - 1) as f32;
            let xb = if shift > 0 {
                let mut rows = raw.slice_mut(s![..batch.len(), ..]);
                for (mut out, &i) in rows.rows_mut().into_iter().zip(batch) {
                    let dy = shift_rng.random_range(-shift..=shift) as isize;
                    let dx = shift_rng.random_range(-shift..=shift) as isize;
                    let img = train.pixels.row(i);
                    distort::shift_into(
                        img.as_slice().expect("contiguous rows"),
                        out.as_slice_mut().expect("contiguous rows"),
                        train.rows,
                        train.cols,
                        dy,
                        dx,
                    );
                }
                mlp.input(&raw.slice(s![..batch.len(), ..]))
            } else {
                x.select(Axis(0), batch)
            };
            labels.clear();
            labels.extend(batch.iter().map(|&i| train.labels[i]));
            let stats = adam.step(&mut mlp, &xb.view(), &labels);
            loss += stats.loss * batch.len() as f64;
            for (c, s) in correct.iter_mut().zip(&stats.correct) {
                *c += s;
            }
        }
        let n = train.len() as f64;
        // A diverged network only gets worse: stop before its NaN weights become a trace.
        let diverged = if !(loss / n).is_finite() {
            Some(format!("the loss is {}", loss / n))
        } else {
            (!mlp.is_finite()).then(|| "the weights are no longer finite".to_owned())
        };
        if let Some(what) = diverged {
            return Err(TrainError::Diverged {
                name: p.name.clone(),
                epoch,
                epochs: p.epochs,
                what,
            });
        }
        progress.epoch(&EpochStats {
            epoch,
            epochs: p.epochs,
            loss: loss / n,
            accuracy: correct.iter().map(|&c| c as f64 / n).collect(),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(mlp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::TrainParams;

    fn images() -> Images {
        let pixels = Array2::from_shape_fn((40, 16), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 10.0);
        Images {
            pixels,
            labels: (0..40).map(|i| (i % 4) as u8).collect(),
            rows: 4,
            cols: 4,
        }
    }

    /// A learning rate that sends the weights to infinity stops the training, naming the
    /// epoch, instead of writing a network of NaN.
    #[test]
    fn a_diverging_training_stops_naming_the_epoch() {
        let params = |learning_rate| {
            TrainParams {
                name: "n".into(),
                widths: vec![16, 8, 4],
                exits: vec![1],
                epochs: 3,
                batch: 8,
                learning_rate,
                ..TrainParams::default()
            }
            .validate()
            .unwrap()
        };
        let e = train(&params(1e308), &images(), &mut NoProgress).unwrap_err();
        let TrainError::Diverged { epoch, .. } = e else {
            panic!("{e}");
        };
        assert_eq!(epoch, 1);
        assert!(e
            .to_string()
            .starts_with("network n: the training diverged in epoch 1 of 3: "));
        assert!(train(&params(1e-3), &images(), &mut NoProgress).is_ok());
    }
}
