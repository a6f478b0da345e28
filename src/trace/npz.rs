//! NumPy `.npz` traces (SPEC section 4).
//!
//! Either `conf` float `[N, L]` and `pred` int `[N, L]`, or `probs` float `[N, L, K]` (what
//! researchers dump from PyTorch), from which `conf` is the largest probability and `pred` its
//! first index; then the trace has `K` classes. Optional: `label` int `[N]` (negative means
//! unlabeled) and `cost` float `[N, L]`. Floats may be `f32` or `f64`, integers any width.

use super::validate::{RawSample, SampleValidator};
use super::{Location, Trace, TraceBuilder, TraceError};
use ndarray::{ArrayD, Axis, IxDyn, OwnedRepr};
use ndarray_npy::{NpzReader, ReadNpyError, ReadNpzError};
use std::fs::File;
use std::path::Path;

type Npz = NpzReader<File>;

/// Reads a whole `.npz` trace into memory, validating every value.
pub fn read_npz(path: &Path) -> Result<Trace, TraceError> {
    let file = File::open(path).map_err(|e| TraceError::io(path, &e))?;
    let mut npz = NpzReader::new(file)
        .map_err(|e| TraceError::file(path, format!("not a readable .npz archive: {e}")))?;
    let names = npz
        .names()
        .map_err(|e| TraceError::file(path, format!("not a readable .npz archive: {e}")))?;
    let has = |name: &str| names.iter().any(|n| n == name);
    let mut arrays = Arrays {
        npz: &mut npz,
        path,
    };

    let (conf, pred, classes) = match (has("probs"), has("conf")) {
        (true, true) => {
            return Err(TraceError::file(
                path,
                "has both probs and conf arrays; give one or the other",
            ))
        }
        (true, false) => {
            let probs = arrays.floats("probs")?;
            let (conf, pred) = split_probs(path, &probs)?;
            (conf, pred, Some(probs.shape()[2]))
        }
        (false, true) if has("pred") => (arrays.floats("conf")?, arrays.ints("pred")?, None),
        (false, true) => return Err(TraceError::file(path, "array pred is missing")),
        (false, false) => {
            return Err(TraceError::file(
                path,
                format!(
                    "has neither a conf nor a probs array (arrays: {})",
                    names.join(", ")
                ),
            ))
        }
    };
    let samples = match conf.shape() {
        &[n, l] if l > 0 => n,
        shape => return Err(TraceError::file(
            path,
            format!(
                "array conf has shape {shape:?}; expected [samples, exits] with at least one exit"
            ),
        )),
    };
    let label = if has("label") {
        Some(arrays.ints("label")?)
    } else {
        None
    };
    let cost = if has("cost") {
        Some(arrays.floats("cost")?)
    } else {
        None
    };
    // The array that fixed N and L, for messages.
    let reference = if classes.is_some() { "probs" } else { "conf" };
    let per_exit = [("pred", Some(&pred)), ("cost", cost.as_ref())];
    for (name, array) in per_exit {
        if let Some(array) = array {
            if array.shape() != conf.shape() {
                return Err(shape_mismatch(
                    path,
                    name,
                    array.shape(),
                    conf.shape(),
                    reference,
                ));
            }
        }
    }
    if let Some(label) = &label {
        if label.shape() != [samples] {
            return Err(shape_mismatch(
                path,
                "label",
                label.shape(),
                &[samples],
                reference,
            ));
        }
    }

    let mut validator = SampleValidator::new(path);
    let mut builder = TraceBuilder::new(path);
    if let Some(k) = classes {
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        validator = validator.with_classes(k);
        builder = builder.with_classes(k as usize);
    }
    let row =
        |array: &ArrayD<f64>, i: usize| array.index_axis(Axis(0), i).iter().copied().collect();
    for i in 0..samples {
        let raw = RawSample {
            conf: row(&conf, i),
            pred: row(&pred, i),
            // NumPy has no missing integer, so a negative label marks an unlabeled sample.
            label: label.as_ref().map(|l| l[[i]]).filter(|&l| l >= 0.0),
            cost: cost.as_ref().map(|c| row(c, i)),
        };
        builder.push(validator.validate(raw, Location::Row(i as u64))?);
    }
    builder.finish()
}

/// Reads named arrays, accepting any of the dtypes a float or integer array may have.
struct Arrays<'a> {
    npz: &'a mut Npz,
    path: &'a Path,
}

/// Tries each listed element type in turn and converts the array to `f64` (exact for every
/// valid value: classes are small integers and `f32` widens exactly).
macro_rules! read_first_matching {
    ($self:ident, $name:expr, $expected:expr, $($t:ty),+) => {{
        $(
            match $self.npz.by_name::<OwnedRepr<$t>, IxDyn>($name) {
                Ok(array) => return Ok(array.mapv(|x| x as f64)),
                Err(ReadNpzError::Npy(ReadNpyError::WrongDescriptor(_))) => {}
                Err(e) => return Err(TraceError::file($self.path, format!("array {}: {e}", $name))),
            }
        )+
        Err(TraceError::file(
            $self.path,
            format!("array {} must hold {}", $name, $expected),
        ))
    }};
}

impl Arrays<'_> {
    fn floats(&mut self, name: &str) -> Result<ArrayD<f64>, TraceError> {
        read_first_matching!(self, name, "floats (float32 or float64)", f64, f32)
    }

    fn ints(&mut self, name: &str) -> Result<ArrayD<f64>, TraceError> {
        read_first_matching!(self, name, "integers", i64, i32, i16, i8, u8, u16, u32, u64)
    }
}

/// Confidence (largest probability) and prediction (its first index) of every sample and exit.
/// A NaN probability makes the confidence NaN so the validator reports it.
fn split_probs(path: &Path, probs: &ArrayD<f64>) -> Result<(ArrayD<f64>, ArrayD<f64>), TraceError> {
    let &[samples, exits, classes] = probs.shape() else {
        return Err(TraceError::file(
            path,
            format!(
                "array probs has shape {:?}; expected [samples, exits, classes]",
                probs.shape()
            ),
        ));
    };
    if classes == 0 {
        return Err(TraceError::file(
            path,
            "array probs has no classes (its last axis is empty)",
        ));
    }
    let mut conf = ArrayD::zeros(IxDyn(&[samples, exits]));
    let mut pred = ArrayD::zeros(IxDyn(&[samples, exits]));
    for i in 0..samples {
        let sample = probs.index_axis(Axis(0), i);
        for (k, exit_probs) in sample.outer_iter().enumerate() {
            let (best, best_prob) = first_max(exit_probs.iter().copied());
            conf[[i, k]] = best_prob;
            pred[[i, k]] = best as f64;
        }
    }
    Ok((conf, pred))
}

/// Index and value of the first largest value; the value is NaN if any value is.
fn first_max(values: impl Iterator<Item = f64>) -> (usize, f64) {
    values
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(best, max), (j, p)| {
            if p.is_nan() || max.is_nan() {
                (best, f64::NAN)
            } else if p > max {
                (j, p)
            } else {
                (best, max)
            }
        })
}

fn shape_mismatch(
    path: &Path,
    name: &str,
    shape: &[usize],
    expected: &[usize],
    reference: &str,
) -> TraceError {
    TraceError::file(
        path,
        format!("array {name} has shape {shape:?}; expected {expected:?} to match {reference}"),
    )
}
