//! Training parameters as given ([`TrainParams`]) and checked ([`ValidParams`]): the only way
//! to build a network.

use crate::data::Images;
use crate::error::{invalid, TrainError};
use crate::mlp::Mlp;
use crate::sparsity::{fan_in, Pattern};
use splitee_core::memory::Bytes;
use splitee_core::seed::GOLDEN;

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
        network_memory(w, &p.exits, p.batch)
            .check(format!("a network of widths {w:?}"))
            .map_err(|e| invalid("widths", e.to_string()))?;
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

/// What training a network of `widths` with exit heads after `exits` holds: per junction and
/// head, `inputs x outputs` weights, their mask, Adam's two moments and their gradient (`f32`
/// each); per layer, a batch of activations and of their gradients.
fn network_memory(widths: &[usize], exits: &[usize], batch: usize) -> Bytes {
    let classes = widths[widths.len() - 1];
    let junctions = widths.windows(2).map(|w| (w[0], w[1]));
    let heads = exits.iter().map(|&layer| (widths[layer], classes));
    let per_weight = 5 * std::mem::size_of::<f32>();
    let weights = junctions
        .chain(heads)
        .fold(Bytes::ZERO, |total, (inputs, outputs)| {
            total.plus(Bytes::of(inputs, per_weight).times(outputs))
        });
    let activations = widths
        .iter()
        .fold(Bytes::ZERO, |total, &width| total.plus(Bytes::from(width)))
        .times(2 * std::mem::size_of::<f32>())
        .times(batch.max(1));
    weights.plus(activations)
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
