//! Train multi-exit MLPs with predefined sparsity (SPEC section 6) and turn them into what the
//! rest of splitee consumes: a per-exit trace of held-out samples (canonical CSV) and a cost
//! profile (JSON) per split point.
//!
//! - [`data`]: MNIST IDX and UCI optdigits loaders;
//! - [`sparsity`]: fixed fan-out / fan-in connection patterns;
//! - [`mlp`]: the network, its forward and backward passes, Adam, and a sparse inference kernel;
//! - [`profile`]: cost profiles;
//! - [`distort`]: Gaussian noise and blur for traces under distortion;
//! - [`mod@bench`]: training and inference speed.
//!
//! Parameters are checked once ([`TrainParams::validate`] gives [`ValidParams`]); everything is
//! seeded (ChaCha8) and single-threaded, so a seed gives byte-identical traces and profiles on a
//! given machine.

pub mod bench;
pub mod data;
pub mod distort;
pub mod mlp;
pub mod profile;
pub mod sparsity;

use self::data::{DataError, Images};
use self::mlp::{Adam, Mlp};
use self::sparsity::{fan_in, Pattern};
use ndarray::{s, Array2, Axis};
use rand::seq::SliceRandom;
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use splitee_core::files::{write_atomic, write_atomic_with};
use splitee_core::numeric::argmax_first;
use splitee_core::seed::GOLDEN;
use splitee_core::trace::{write_csv, Sample};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Anything that stops a training: bad data, parameters, config or output.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    /// A fan-out that gives no integer fan-in, or is out of range.
    #[error("{place}: {message}")]
    Fanout { place: String, message: String },
    /// Any other invalid parameter, named by its key.
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    /// A study config that cannot be read or is invalid.
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An invalid parameter `key`.
pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> TrainError {
    TrainError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// What to train, as given; [`validate`](Self::validate) checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// Name of the network (used in messages and file names).
    pub name: String,
    /// Layer widths `N_0..N_D` (inputs are zero-padded to `N_0`; `N_D` = classes).
    pub widths: Vec<usize>,
    /// Hidden layers (1-based, `1..D-1`) followed by an exit head.
    pub exits: Vec<usize>,
    /// Fan-out of every junction `1..=D`; empty means dense.
    pub fanout: Vec<usize>,
    /// Fan-out of every exit head; empty means dense.
    pub exit_fanout: Vec<usize>,
    pub epochs: usize,
    pub batch: usize,
    /// Adam's (initial) learning rate.
    pub learning_rate: f64,
    /// How the learning rate changes over the training.
    pub schedule: Schedule,
    /// Data augmentation: every epoch, every training image is shifted by a random whole number
    /// of pixels in `-shift..=shift` along each axis (independently; uncovered pixels are
    /// background, 0). 0 = no augmentation.
    pub shift: usize,
    /// Decoupled weight decay (AdamW) of the weights (not the biases): every step multiplies
    /// each weight by `1 - lr_t x weight_decay`. 0 = none.
    pub weight_decay: f64,
    /// Seed of the connection patterns, the initial weights, the batch order and the shifts.
    pub seed: u64,
}

/// A learning-rate schedule, written `constant`, `cosine` or `step:EVERY:FACTOR`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Schedule {
    /// The same rate at every step.
    #[default]
    Constant,
    /// Cosine decay per step, from the learning rate at the first step to 0 after the last:
    /// `lr_t = lr x (1 + cos(pi t / T)) / 2` for step `t` of `T`.
    Cosine,
    /// The rate times `factor` after every `every` epochs.
    Step { every: usize, factor: f64 },
}

impl Schedule {
    /// The learning rate of step `step` (0-based) of `total`, in epoch `epoch` (0-based).
    pub fn rate(&self, learning_rate: f64, step: usize, total: usize, epoch: usize) -> f64 {
        match *self {
            Schedule::Constant => learning_rate,
            Schedule::Cosine => {
                let t = step as f64 / total.max(1) as f64;
                learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            Schedule::Step { every, factor } => {
                let times = (epoch / every.max(1)).min(i32::MAX as usize) as i32;
                learning_rate * factor.powi(times)
            }
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Constant => f.write_str("constant"),
            Schedule::Cosine => f.write_str("cosine"),
            Schedule::Step { every, factor } => write!(f, "step:{every}:{factor}"),
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "expected constant, cosine or step:EVERY:FACTOR (e.g. step:20:0.5: halve \
                     the rate every 20 epochs)";
        match s.trim() {
            "constant" => Ok(Schedule::Constant),
            "cosine" => Ok(Schedule::Cosine),
            other => {
                let parts: Vec<&str> = other.split(':').collect();
                let ["step", every, factor] = parts.as_slice() else {
                    return Err(format!("unknown schedule {other:?}: {usage}"));
                };
                let every: usize = every.parse().ok().filter(|&e| e >= 1).ok_or_else(|| {
                    format!("{other:?}: EVERY must be a whole number of epochs >= 1")
                })?;
                let factor: f64 = factor
                    .parse()
                    .ok()
                    .filter(|f: &f64| f.is_finite() && *f > 0.0 && *f <= 1.0)
                    .ok_or_else(|| format!("{other:?}: FACTOR must be in (0, 1]"))?;
                Ok(Schedule::Step { every, factor })
            }
        }
    }
}

impl Default for TrainParams {
    /// Dense 800,100,100,10 with exits after both hidden layers, 30 epochs, Adam 1e-3, batch 256.
    fn default() -> Self {
        Self {
            name: "dense".into(),
            widths: vec![800, 100, 100, 10],
            exits: vec![1, 2],
            fanout: Vec::new(),
            exit_fanout: Vec::new(),
            epochs: 30,
            batch: 256,
            learning_rate: 1e-3,
            schedule: Schedule::Constant,
            shift: 0,
            weight_decay: 0.0,
            seed: 0,
        }
    }
}

/// Checked training parameters: the only way to build a network.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidParams {
    params: TrainParams,
}

/// The place of junction `i` (1-based) in messages.
fn junction_place(name: &str, i: usize, from: usize, to: usize) -> String {
    let prefix = if name.is_empty() {
        String::new()
    } else {
        format!("network {name}: ")
    };
    format!("{prefix}junction {i} ({from} -> {to})")
}

impl TrainParams {
    /// Checks widths, exits, fan-outs (integral fan-in, SPEC section 6) and optimiser settings.
    /// Empty fan-out lists become dense ones.
    pub fn validate(&self) -> Result<ValidParams, TrainError> {
        let mut p = self.clone();
        let w = &p.widths;
        if w.len() < 2 || w.contains(&0) {
            return Err(invalid(
                "widths",
                format!("need at least two widths, all >= 1 (got {w:?})"),
            ));
        }
        if w[w.len() - 1] < 2 {
            return Err(invalid("widths", "the last width (classes) must be >= 2"));
        }
        let depth = w.len() - 1;
        if p.exits.windows(2).any(|e| e[0] >= e[1]) || p.exits.iter().any(|&e| e == 0 || e >= depth)
        {
            return Err(invalid(
                "exits",
                format!(
                    "exit layers must be increasing hidden layers in 1..={} (got {:?}); the \
                     final layer is always an exit",
                    depth - 1,
                    p.exits
                ),
            ));
        }
        if p.fanout.is_empty() {
            p.fanout = w[1..].to_vec();
        }
        if p.fanout.len() != depth {
            return Err(invalid(
                "fanout",
                format!(
                    "has {} entries; {depth} junctions need one each",
                    p.fanout.len()
                ),
            ));
        }
        let classes = w[depth];
        if p.exit_fanout.is_empty() {
            p.exit_fanout = vec![classes; p.exits.len()];
        }
        if p.exit_fanout.len() != p.exits.len() {
            return Err(invalid(
                "exit_fanout",
                format!(
                    "has {} entries; {} exit heads need one each",
                    p.exit_fanout.len(),
                    p.exits.len()
                ),
            ));
        }
        for (i, &fo) in p.fanout.iter().enumerate() {
            fan_in(w[i], w[i + 1], fo).map_err(|message| TrainError::Fanout {
                place: junction_place(&p.name, i + 1, w[i], w[i + 1]),
                message,
            })?;
        }
        for (h, (&layer, &fo)) in p.exits.iter().zip(&p.exit_fanout).enumerate() {
            fan_in(w[layer], classes, fo).map_err(|message| TrainError::Fanout {
                place: format!(
                    "{}exit head {} (after layer {layer}, {} -> {classes})",
                    if p.name.is_empty() {
                        String::new()
                    } else {
                        format!("network {}: ", p.name)
                    },
                    h + 1,
                    w[layer]
                ),
                message,
            })?;
        }
        if p.epochs == 0 {
            return Err(invalid("epochs", "must be at least 1"));
        }
        if p.batch == 0 {
            return Err(invalid("batch", "must be at least 1"));
        }
        if !(p.learning_rate.is_finite() && p.learning_rate > 0.0) {
            return Err(invalid(
                "learning_rate",
                format!("must be finite and > 0, got {}", p.learning_rate),
            ));
        }
        if let Schedule::Step { every, factor } = p.schedule {
            if every == 0 || !(factor.is_finite() && factor > 0.0 && factor <= 1.0) {
                return Err(invalid(
                    "lr_schedule",
                    format!("{}: EVERY must be >= 1 and FACTOR in (0, 1]", p.schedule),
                ));
            }
        }
        if !(p.weight_decay.is_finite()
            && p.weight_decay >= 0.0
            && p.weight_decay * p.learning_rate < 1.0)
        {
            return Err(invalid(
                "weight_decay",
                format!(
                    "must be finite, >= 0 and below 1 / learning_rate, got {}",
                    p.weight_decay
                ),
            ));
        }
        Ok(ValidParams { params: p })
    }
}

/// A seed for the trainer's stream `stream` (weights, batches, shifts, distortions). Its own
/// mix of the seed and the stream, kept so that a seed gives the same networks as before.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    splitee_core::seed::splitmix64((seed ^ stream.wrapping_mul(GOLDEN)).wrapping_add(GOLDEN))
}

impl ValidParams {
    /// The parameters, with dense fan-outs filled in.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }

    /// The network's exits `L`: one per exit head, and the final layer (as [`Mlp::exits`]).
    pub fn exits(&self) -> usize {
        self.params.exits.len() + 1
    }

    /// A freshly initialised network: patterns drawn once from the seed, He-normal weights.
    pub fn build(&self) -> Mlp {
        let p = &self.params;
        let w = &p.widths;
        let classes = w[w.len() - 1];
        let pattern = |inputs: usize, outputs: usize, fo: usize, stream: u64| {
            if fo == outputs {
                Pattern::dense(inputs, outputs)
            } else {
                Pattern::random(inputs, outputs, fo, derive_seed(p.seed, stream))
                    .expect("fan-outs were validated")
            }
        };
        let layers = (0..w.len() - 1)
            .map(|i| pattern(w[i], w[i + 1], p.fanout[i], 100 + i as u64))
            .collect();
        let heads = p
            .exits
            .iter()
            .zip(&p.exit_fanout)
            .enumerate()
            .map(|(h, (&layer, &fo))| pattern(w[layer], classes, fo, 200 + h as u64))
            .collect();
        Mlp::new(
            w.clone(),
            p.exits.clone(),
            layers,
            heads,
            derive_seed(p.seed, 1),
        )
    }

    /// Checks that `images` fit the network: features at most `N_0`, labels below `N_D`.
    pub fn check_data(&self, images: &Images, what: &str) -> Result<(), TrainError> {
        let w = &self.params.widths;
        if images.features() > w[0] {
            return Err(invalid(
                "widths",
                format!(
                    "the {what} images have {} features but the first width is {}; inputs are \
                     zero-padded, so it must be at least the number of features",
                    images.features(),
                    w[0]
                ),
            ));
        }
        let shift = self.params.shift;
        if shift > 0 && (shift >= images.rows || shift >= images.cols) {
            return Err(invalid(
                "shift",
                format!(
                    "{shift} pixels would move a {}x{} {what} image out of view; it must be \
                     below both sides",
                    images.rows, images.cols
                ),
            ));
        }
        let classes = w[w.len() - 1];
        if let Some(&l) = images.labels.iter().find(|&&l| usize::from(l) >= classes) {
            return Err(invalid(
                "widths",
                format!(
                    "the {what} images have label {l} but the last width (classes) is {classes}"
                ),
            ));
        }
        Ok(())
    }
}

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
    let p = &params.params;
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
    let total_steps = p.epochs * steps_per_epoch;
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
            let step = (epoch - 1) * steps_per_epoch + b;
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

/// Confidences are written with this many decimals (exact in the trace, compact on disk).
pub const CONF_DECIMALS: i32 = 6;

/// The trace of `images` through every exit of `mlp`: per exit the max softmax probability
/// (rounded to [`CONF_DECIMALS`] decimals) and the argmax class; the label.
pub fn trace_samples(mlp: &Mlp, images: &Images) -> Vec<Sample> {
    let x = mlp.input(&images.pixels.view());
    let probs = mlp.predict(&x.view(), 1024);
    let scale = 10f64.powi(CONF_DECIMALS);
    (0..images.len())
        .map(|s| {
            let mut conf = Vec::with_capacity(probs.len());
            let mut pred = Vec::with_capacity(probs.len());
            for p in &probs {
                let row = p.row(s);
                let row = row.as_slice().expect("contiguous rows");
                let k = argmax_first(row.iter().map(|&v| f64::from(v)));
                conf.push(((f64::from(row[k]) * scale).round() / scale).clamp(0.0, 1.0));
                pred.push(k as u32);
            }
            Sample {
                conf,
                pred,
                label: Some(u32::from(images.labels[s])),
                cost: None,
            }
        })
        .collect()
}

/// Per-exit accuracy of trace samples.
pub fn exit_accuracy(samples: &[Sample]) -> Vec<f64> {
    let exits = samples.first().map_or(0, |s| s.pred.len());
    (0..exits)
        .map(|k| {
            samples
                .iter()
                .filter(|s| s.label == Some(s.pred[k]))
                .count() as f64
                / samples.len().max(1) as f64
        })
        .collect()
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn create_parent(path: &Path) -> Result<(), TrainError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(write_error(dir))
        }
        _ => Ok(()),
    }
}

/// Writes samples as a canonical CSV trace, atomically (parent folders created).
pub fn write_trace(path: &Path, samples: &[Sample]) -> Result<(), TrainError> {
    create_parent(path)?;
    write_atomic_with(path, |out| write_csv(out, samples.iter().cloned()))
        .map_err(write_error(path))
}

/// Writes `text` atomically (parent folders created).
pub fn write_text(path: &Path, text: &str) -> Result<(), TrainError> {
    create_parent(path)?;
    write_atomic(path, text.as_bytes()).map_err(write_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_print_and_give_rates() {
        for text in ["constant", "cosine", "step:20:0.5"] {
            let s: Schedule = text.parse().unwrap();
            assert_eq!(s.to_string(), text);
        }
        let step: Schedule = " step:3:0.1 ".parse().unwrap();
        assert_eq!(
            step,
            Schedule::Step {
                every: 3,
                factor: 0.1
            }
        );
        for bad in [
            "linear",
            "step:0:0.5",
            "step:2:1.5",
            "step:2:0",
            "step:2",
            "step:x:0.5",
        ] {
            let e = bad.parse::<Schedule>().unwrap_err();
            assert!(e.contains(bad.trim()), "{bad}: {e}");
        }
        let lr = 0.002;
        assert_eq!(Schedule::Constant.rate(lr, 7, 10, 3), lr);
        let cos = |step| Schedule::Cosine.rate(lr, step, 100, 0);
        assert_eq!(cos(0), lr);
        assert!((cos(50) - lr / 2.0).abs() < 1e-15);
        assert!(cos(99) > 0.0 && cos(99) < 1e-5 * lr * 100.0);
        assert!((1..100).all(|t| cos(t) < cos(t - 1)), "cosine decreases");
        // The step schedule depends on the epoch only.
        let r = |epoch| step.rate(1.0, 0, 1, epoch);
        assert_eq!([r(0), r(2)], [1.0, 1.0]);
        assert!((r(3) - 0.1).abs() < 1e-12 && (r(8) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn training_options_are_validated() {
        let base = TrainParams {
            widths: vec![20, 12, 8, 4],
            ..TrainParams::default()
        };
        let err = |p: TrainParams| p.validate().unwrap_err().to_string();
        let e = err(TrainParams {
            weight_decay: -0.1,
            ..base.clone()
        });
        assert!(e.starts_with("weight_decay: must be finite, >= 0"), "{e}");
        let e = err(TrainParams {
            weight_decay: 1000.0,
            ..base.clone()
        });
        assert!(e.contains("below 1 / learning_rate, got 1000"), "{e}");
        let e = err(TrainParams {
            schedule: Schedule::Step {
                every: 0,
                factor: 0.5,
            },
            ..base.clone()
        });
        assert!(e.starts_with("lr_schedule: step:0:0.5"), "{e}");
        // Shifts must leave part of the image in view.
        let images = Images {
            pixels: ndarray::Array2::zeros((2, 20)),
            labels: vec![0, 1],
            rows: 4,
            cols: 5,
        };
        let shifted = |shift| {
            TrainParams {
                shift,
                ..base.clone()
            }
            .validate()
            .unwrap()
            .check_data(&images, "training")
        };
        shifted(3).unwrap();
        let e = shifted(4).unwrap_err().to_string();
        assert_eq!(
            e,
            "shift: 4 pixels would move a 4x5 training image out of view; it must be below both \
             sides"
        );
    }
}
