//! What a trained network produces: its trace of held-out samples, and files written
//! atomically.

use crate::data::Images;
use crate::error::TrainError;
use crate::mlp::Mlp;
use splitee_core::files::{write_atomic, write_atomic_with};
use splitee_core::numeric::argmax_first;
use splitee_core::trace::{write_csv, Sample};
use std::path::Path;

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
                context: None,
                arrival: None,
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
