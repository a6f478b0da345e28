//! Train multi-exit MLPs with predefined sparsity (SPEC section 6) and turn them into what the
//! rest of splitee consumes: a per-exit trace of held-out samples (canonical CSV) and a cost
//! profile (JSON) per split point.
//!
//! - [`data`]: MNIST IDX and UCI optdigits loaders;
//! - [`sparsity`]: fixed fan-out / fan-in connection patterns;
//! - [`mlp`]: the network, its forward and backward passes, Adam, and a sparse inference kernel;
//! - [`profile`]: cost profiles;
//! - [`distort`]: Gaussian noise and blur for traces under distortion;
//! - [`study`]: `splitee train --config`: a density sweep, its traces, profiles and report;
//! - [`bench`]: training and inference speed.
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
pub mod study;

use self::data::{DataError, Images};
use self::mlp::{argmax, Adam, Mlp};
use self::sparsity::{fan_in, Pattern};
use crate::report::write_atomic_with;
use crate::trace::{write_csv, Sample};
use ndarray::Axis;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
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
    /// Running the learners on a trace.
    #[error(transparent)]
    Run(#[from] crate::Error),
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> TrainError {
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
    pub learning_rate: f64,
    /// Seed of the connection patterns, the initial weights and the batch order.
    pub seed: u64,
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
        Ok(ValidParams { params: p })
    }
}

/// A 64-bit mix of a seed and a stream number (SplitMix64), for independent seeded streams.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl ValidParams {
    /// The parameters, with dense fan-outs filled in.
    pub fn params(&self) -> &TrainParams {
        &self.params
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

/// A progress bar per network on standard error (hidden when it is not a terminal), with the
/// loss and per-exit training accuracy; one summary line per network.
#[derive(Default)]
pub struct BarProgress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress for BarProgress {
    fn start(&mut self, name: &str, epochs: usize) {
        let bar = indicatif::ProgressBar::new(epochs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>10} {bar:30} epoch {pos}/{len} {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_prefix(name.to_owned());
        self.bar = Some(bar);
    }
    fn epoch(&mut self, s: &EpochStats) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "loss {:.4} acc {}",
                s.loss,
                s.accuracy
                    .iter()
                    .map(|a| format!("{:.2}", 100.0 * a))
                    .collect::<Vec<_>>()
                    .join("/")
            ));
            bar.inc(1);
        }
    }
    fn finish(&mut self, message: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("{message}");
    }
}

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
    let x = mlp.input(&train.pixels.view());
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(p.seed, 2));
    progress.start(&p.name, p.epochs);
    for epoch in 1..=p.epochs {
        let started = Instant::now();
        order.shuffle(&mut rng);
        let mut loss = 0.0;
        let mut correct = vec![0usize; mlp.exits()];
        let mut labels = Vec::with_capacity(p.batch);
        for batch in order.chunks(p.batch) {
            let xb = x.select(Axis(0), batch);
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
                let k = argmax(row);
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
    crate::report::write_atomic(path, text.as_bytes()).map_err(write_error(path))
}
