//! NumPy `.npz` traces (SPEC section 4).
//!
//! Either `conf` float `[N, L]` and `pred` int `[N, L]`, or `probs` float `[N, L, K]` (what
//! researchers dump from PyTorch), from which `conf` is the largest probability and `pred` its
//! first index; then the trace has `K` classes. Optional: `label` int `[N]` (negative means
//! unlabeled) and `cost` float `[N, L]`. Floats may be `f32` or `f64`, integers any width.

use super::validate::{RawSample, SampleValidator};
use super::{Location, Trace, TraceBuilder, TraceError, MAX_CLASS};
use ndarray::{ArrayD, Axis, IxDyn, OwnedRepr};
use ndarray_npy::{NpzReader, ReadNpyError, ReadNpzError};
use std::fs::File;
use std::path::Path;

/// Reads a whole `.npz` trace into memory, validating every value.
pub fn read_npz(path: &Path) -> Result<Trace, TraceError> {
    let mut arrays = Arrays::open(path)?;
    let ConfAndPred {
        conf,
        pred,
        classes,
    } = arrays.conf_and_pred()?;
    // The array that fixed N and L, for messages.
    let reference = if classes.is_some() { "probs" } else { "conf" };
    let samples = match conf.shape() {
        &[n, exits] if exits > 0 => n,
        shape => {
            let message = format!("array {reference} has shape {shape:?}: no exits");
            return Err(TraceError::file(path, message));
        }
    };
    let label = arrays.optional("label", Arrays::ints)?;
    let cost = arrays.optional("cost", Arrays::floats)?;
    let expected_shapes = [
        ("pred", Some(&pred), conf.shape()),
        ("cost", cost.as_ref(), conf.shape()),
        ("label", label.as_ref(), &[samples]),
    ];
    for (name, array, expected) in expected_shapes {
        if let Some(array) = array.filter(|a| a.shape() != expected) {
            let message = format!(
                "array {name} has shape {:?}; expected {expected:?} to match {reference}",
                array.shape()
            );
            return Err(TraceError::file(path, message));
        }
    }

    let mut validator = SampleValidator::new(path);
    let mut builder = TraceBuilder::new(path).with_capacity(samples);
    if let Some(k) = classes {
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

/// `conf` and `pred` `[N, L]`, and the class count if the archive fixes it (`probs`).
struct ConfAndPred {
    conf: ArrayD<f64>,
    pred: ArrayD<f64>,
    classes: Option<u32>,
}

/// The arrays of an archive, read by name as `f64` whatever their float or integer dtype.
struct Arrays<'a> {
    npz: NpzReader<File>,
    names: Vec<String>,
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

impl<'a> Arrays<'a> {
    fn open(path: &'a Path) -> Result<Self, TraceError> {
        let unreadable =
            |e: ReadNpzError| TraceError::file(path, format!("not a readable .npz archive: {e}"));
        let file = File::open(path).map_err(|e| TraceError::io(path, &e))?;
        let mut npz = NpzReader::new(file).map_err(unreadable)?;
        let names = npz.names().map_err(unreadable)?;
        Ok(Self { npz, names, path })
    }

    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// `conf` and `pred` as given or derived from `probs`, and the class count `probs` implies.
    fn conf_and_pred(&mut self) -> Result<ConfAndPred, TraceError> {
        let fail = |message: String| Err(TraceError::file(self.path, message));
        match (self.has("probs"), self.has("conf"), self.has("pred")) {
            (true, true, _) => fail("has both probs and conf arrays; give one or the other".into()),
            (true, false, _) => {
                let probs = self.floats("probs")?;
                split_probs(self.path, &probs)
            }
            (false, true, true) => Ok(ConfAndPred {
                conf: self.floats("conf")?,
                pred: self.ints("pred")?,
                classes: None,
            }),
            (false, true, false) => fail("array pred is missing".into()),
            (false, false, _) => fail(format!(
                "has neither a conf nor a probs array (arrays: {})",
                self.names.join(", ")
            )),
        }
    }

    /// The array `name` read with `read`, or `None` if the archive has no such array.
    fn optional(
        &mut self,
        name: &str,
        read: fn(&mut Self, &str) -> Result<ArrayD<f64>, TraceError>,
    ) -> Result<Option<ArrayD<f64>>, TraceError> {
        if self.has(name) {
            read(self, name).map(Some)
        } else {
            Ok(None)
        }
    }

    fn floats(&mut self, name: &str) -> Result<ArrayD<f64>, TraceError> {
        read_first_matching!(self, name, "floats (float32 or float64)", f64, f32)
    }

    fn ints(&mut self, name: &str) -> Result<ArrayD<f64>, TraceError> {
        read_first_matching!(self, name, "integers", i64, i32, i16, i8, u8, u16, u32, u64)
    }
}

/// Confidence (largest probability) and prediction (its first index) of every sample and exit,
/// and the number of classes of a `probs` array. A NaN probability makes the confidence NaN so the validator
/// reports it.
fn split_probs(path: &Path, probs: &ArrayD<f64>) -> Result<ConfAndPred, TraceError> {
    let &[samples, exits, classes] = probs.shape() else {
        let message = format!(
            "array probs has shape {:?}; expected [samples, exits, classes]",
            probs.shape()
        );
        return Err(TraceError::file(path, message));
    };
    let max_classes = MAX_CLASS as usize + 1;
    if !(1..=max_classes).contains(&classes) {
        let message = format!("array probs has {classes} classes; expected 1 to {max_classes}");
        return Err(TraceError::file(path, message));
    }
    let mut conf = ArrayD::zeros(IxDyn(&[samples, exits]));
    let mut pred = ArrayD::zeros(IxDyn(&[samples, exits]));
    for (i, sample) in probs.outer_iter().enumerate() {
        for (k, exit_probs) in sample.outer_iter().enumerate() {
            let (best, best_prob) = first_max(exit_probs.iter().copied());
            conf[[i, k]] = best_prob;
            pred[[i, k]] = best as f64;
        }
    }
    Ok(ConfAndPred {
        conf,
        pred,
        // Lossless: checked against MAX_CLASS + 1 above.
        classes: Some(classes as u32),
    })
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
