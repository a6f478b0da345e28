//! Traces from arrays in memory (the Python package's NumPy arrays): confidences and
//! predictions `[N, L]`, softmax probabilities `[N, L, K]` or logits `[N, L, K]`, with optional
//! labels `[N]` (negative means unlabeled), measured costs `[N, L]` and contexts `[N]`, as the
//! `.npz` format holds them. Arrays are read in place through views, whatever their strides, and every sample
//! goes through the readers' one check; a refusal names the array, the row and the rule.

use super::validate::{RawSample, SampleValidator};
use super::{Location, Trace, TraceBuilder, TraceError, MAX_CLASS};
use ndarray::{ArrayView, ArrayView1, ArrayView2, Dimension, Ix2, Ix3, NdIndex};
use std::path::Path;

/// A float array as given: `f32` or `f64`.
#[derive(Debug, Clone)]
pub enum Floats<'a, D: Dimension> {
    F32(ArrayView<'a, f32, D>),
    F64(ArrayView<'a, f64, D>),
}

impl<D: Dimension> Floats<'_, D> {
    pub fn shape(&self) -> &[usize] {
        match self {
            Floats::F32(a) => a.shape(),
            Floats::F64(a) => a.shape(),
        }
    }

    #[inline]
    fn at<I: NdIndex<D>>(&self, index: I) -> f64 {
        match self {
            Floats::F32(a) => f64::from(a[index]),
            Floats::F64(a) => a[index],
        }
    }
}

/// What the exits said: confidences and predictions, or the per-class scores they come from.
#[derive(Debug, Clone)]
pub enum Scores<'a> {
    /// `conf` (in `[0, 1]`) and `pred` (class indices), `[N, L]` each.
    ConfPred {
        conf: Floats<'a, Ix2>,
        pred: ArrayView2<'a, i64>,
    },
    /// Softmax probabilities `[N, L, K]`: the confidence is the largest, the prediction its
    /// first index, and the trace has `K` classes.
    Probs(Floats<'a, Ix3>),
    /// Logits `[N, L, K]`, turned into probabilities by a softmax over the classes.
    Logits(Floats<'a, Ix3>),
}

/// The arrays of a trace.
#[derive(Debug, Clone)]
pub struct TraceArrays<'a> {
    pub scores: Scores<'a>,
    /// Labels `[N]`; a negative label marks an unlabeled sample.
    pub label: Option<ArrayView1<'a, i64>>,
    /// Measured per-exit costs `[N, L]`.
    pub cost: Option<Floats<'a, Ix2>>,
    /// Each sample's context label `[N]` (the `context` column: integers as their digits).
    pub context: Option<&'a [String]>,
}

/// A refused array: `array probs: row 3: column conf_2: confidence is NaN`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("array {array}: {message}")]
pub struct ArrayError {
    /// The array's name, as the caller passed it (`conf`, `pred`, `probs`, `logits`, `label`,
    /// `cost`, `context`).
    pub array: &'static str,
    pub message: String,
}

impl ArrayError {
    pub fn new(array: &'static str, message: impl Into<String>) -> Self {
        Self {
            array,
            message: message.into(),
        }
    }
}

impl TraceArrays<'_> {
    /// The array that fixes `N` and `L`.
    fn reference(&self) -> &'static str {
        match self.scores {
            Scores::ConfPred { .. } => "conf",
            Scores::Probs(_) => "probs",
            Scores::Logits(_) => "logits",
        }
    }

    /// `[N, L]` and, for per-class scores, `K`.
    fn shape(&self) -> Result<(usize, usize, Option<u32>), ArrayError> {
        let reference = self.reference();
        let (samples, exits, classes) = match &self.scores {
            Scores::ConfPred { conf, pred } => {
                // Two axes: the view's dimension says so.
                let (n, l) = (conf.shape()[0], conf.shape()[1]);
                if pred.shape() != conf.shape() {
                    return Err(ArrayError::new(
                        "pred",
                        format!(
                            "has shape {:?}; expected {:?} to match conf",
                            pred.shape(),
                            conf.shape()
                        ),
                    ));
                }
                (n, l, None)
            }
            Scores::Probs(scores) | Scores::Logits(scores) => {
                let shape = scores.shape();
                let (n, l, k) = (shape[0], shape[1], shape[2]);
                let max_classes = MAX_CLASS as usize + 1;
                if !(1..=max_classes).contains(&k) {
                    return Err(ArrayError::new(
                        reference,
                        format!("has {k} classes; expected 1 to {max_classes}"),
                    ));
                }
                // Lossless: checked against MAX_CLASS + 1 above.
                (n, l, Some(k as u32))
            }
        };
        if exits == 0 {
            return Err(ArrayError::new(reference, "has no exits"));
        }
        if let Some(cost) = self.cost.as_ref().filter(|c| c.shape() != [samples, exits]) {
            return Err(ArrayError::new(
                "cost",
                format!(
                    "has shape {:?}; expected {:?} to match {reference}",
                    cost.shape(),
                    [samples, exits]
                ),
            ));
        }
        if let Some(label) = self.label.as_ref().filter(|l| l.len() != samples) {
            return Err(ArrayError::new(
                "label",
                format!(
                    "has shape {:?}; expected [{samples}] to match {reference}",
                    label.shape()
                ),
            ));
        }
        if let Some(context) = self.context.filter(|c| c.len() != samples) {
            return Err(ArrayError::new(
                "context",
                format!(
                    "has shape [{}]; expected [{samples}] to match {reference}",
                    context.len()
                ),
            ));
        }
        Ok((samples, exits, classes))
    }

    /// The trace the arrays hold, named `source` in reports; every value checked as the
    /// readers check a file's.
    pub fn trace(&self, source: &Path) -> Result<Trace, ArrayError> {
        let (samples, exits, classes) = self.shape()?;
        let mut validator = SampleValidator::new(source);
        let mut builder = TraceBuilder::new(source).with_capacity(samples);
        if let Some(k) = classes {
            validator = validator.with_classes(k);
            builder = builder.with_classes(k as usize);
        }
        let mut conf = vec![0.0; exits];
        let mut pred = vec![0.0; exits];
        for i in 0..samples {
            self.scores_of(i, &mut conf, &mut pred)?;
            let raw = RawSample {
                conf: conf.clone(),
                pred: pred.clone(),
                // As in `.npz` traces: NumPy has no missing integer.
                label: self
                    .label
                    .as_ref()
                    .map(|l| l[i])
                    .filter(|&l| l >= 0)
                    .map(|l| l as f64),
                cost: self
                    .cost
                    .as_ref()
                    .map(|c| (0..exits).map(|k| c.at([i, k])).collect()),
                context: self.context.map(|c| c[i].clone()),
                arrival: None,
            };
            let sample = validator
                .validate(raw, Location::Row(i as u64))
                .map_err(|e| self.blame(e))?;
            builder.push(sample);
        }
        builder
            .finish()
            .map_err(|e| ArrayError::new(self.reference(), e.message))
    }

    /// Fills the confidences and predictions of sample `i`.
    fn scores_of(&self, i: usize, conf: &mut [f64], pred: &mut [f64]) -> Result<(), ArrayError> {
        match &self.scores {
            Scores::ConfPred { conf: c, pred: p } => {
                for k in 0..conf.len() {
                    conf[k] = c.at([i, k]);
                    pred[k] = p[[i, k]] as f64;
                }
            }
            Scores::Probs(probs) => {
                let classes = probs.shape()[2];
                for k in 0..conf.len() {
                    let (best, p) =
                        super::npz::first_max((0..classes).map(|j| probs.at([i, k, j])));
                    (conf[k], pred[k]) = (p, best as f64);
                }
            }
            Scores::Logits(logits) => {
                let classes = logits.shape()[2];
                for k in 0..conf.len() {
                    let logit = |j: usize| logits.at([i, k, j]);
                    if let Some(bad) = (0..classes).map(logit).find(|l| !l.is_finite()) {
                        return Err(ArrayError::new(
                            "logits",
                            format!(
                                "row {i}: column conf_{}: logits must be finite, got {bad}",
                                k + 1
                            ),
                        ));
                    }
                    let (best, top) = super::npz::first_max((0..classes).map(logit));
                    // Softmax of the largest logit: exp(0) over the sum, shifted for stability.
                    let sum: f64 = (0..classes).map(|j| (logit(j) - top).exp()).sum();
                    (conf[k], pred[k]) = (1.0 / sum, best as f64);
                }
            }
        }
        Ok(())
    }

    /// A reader's refusal, blamed on the array the value came from.
    fn blame(&self, e: TraceError) -> ArrayError {
        let column = e.column.as_deref().unwrap_or("");
        let array = match column.split('_').next().unwrap_or("") {
            "cost" => "cost",
            "label" => "label",
            "context" => "context",
            "pred" if matches!(self.scores, Scores::ConfPred { .. }) => "pred",
            _ => self.reference(),
        };
        let location = e.location.map(|l| format!("{l}: ")).unwrap_or_default();
        let column = e
            .column
            .map(|c| format!("column {c}: "))
            .unwrap_or_default();
        ArrayError::new(array, format!("{location}{column}{}", e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    fn conf_pred<'a>(
        conf: &'a ndarray::Array2<f64>,
        pred: &'a ndarray::Array2<i64>,
    ) -> TraceArrays<'a> {
        TraceArrays {
            scores: Scores::ConfPred {
                conf: Floats::F64(conf.view()),
                pred: pred.view(),
            },
            label: None,
            cost: None,
            context: None,
        }
    }

    #[test]
    fn probs_logits_and_conf_pred_give_one_trace() {
        let logits = Array3::from_shape_fn((5, 3, 4), |(i, k, j)| {
            ((i * 7 + k * 3 + j * 5) % 11) as f64 / 3.0
        });
        let probs = Array3::from_shape_fn((5, 3, 4), |(i, k, j)| {
            let row = logits.slice(ndarray::s![i, k, ..]);
            let top = row.fold(f64::NEG_INFINITY, |m, &x| m.max(x));
            (logits[[i, k, j]] - top).exp() / row.iter().map(|x| (x - top).exp()).sum::<f64>()
        });
        let of = |scores| {
            TraceArrays {
                scores,
                label: None,
                cost: None,
                context: None,
            }
            .trace(Path::new("a"))
            .unwrap()
        };
        let from_probs = of(Scores::Probs(Floats::F64(probs.view())));
        let from_logits = of(Scores::Logits(Floats::F64(logits.view())));
        assert_eq!(from_probs.classes(), 4);
        for i in 0..5 {
            for k in 0..3 {
                assert_eq!(from_probs.pred(i, k), from_logits.pred(i, k));
                assert!((from_probs.conf(i, k) - from_logits.conf(i, k)).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn refusals_name_the_array_row_and_rule() {
        let conf = array![[0.5, 0.9], [0.4, 1.5]];
        let pred = array![[1, 2], [0, 1]];
        let e = conf_pred(&conf, &pred).trace(Path::new("a")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "array conf: row 1: column conf_2: confidence 1.5 is outside [0, 1]"
        );
        let conf = array![[0.5, 0.9], [0.4, 0.5]];
        let pred = array![[1, 2], [0, -1]];
        let e = conf_pred(&conf, &pred).trace(Path::new("a")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "array pred: row 1: column pred_2: predicted class -1 is negative"
        );
        let (label, pred) = (array![0, 1, 2], array![[1, 2], [0, 1]]);
        let mut arrays = conf_pred(&conf, &pred);
        arrays.label = Some(label.view());
        let e = arrays.trace(Path::new("a")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "array label: has shape [3]; expected [2] to match conf"
        );
        let probs = Array3::from_elem((2, 2, 3), f64::NAN);
        let e = TraceArrays {
            scores: Scores::Probs(Floats::F64(probs.view())),
            label: None,
            cost: None,
            context: None,
        }
        .trace(Path::new("a"))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "array probs: row 0: column conf_1: confidence is NaN"
        );
    }
}
