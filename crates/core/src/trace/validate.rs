//! What every trace reader shares: opening a possibly gzipped file, and the one per-sample check.
//!
//! Readers only parse: they turn a line or row into a [`RawSample`] whose classes are still plain
//! numbers (a CSV cell `1.5`, a JSON `-1`, an `int64` from NumPy) and hand it to
//! [`SampleValidator::validate`], which checks every value and the consistency between samples.
//! Errors name columns the way the CSV format would (`conf_3`, `pred_3`, `cost_3`, `label`,
//! 1-based), whatever the input format, so messages look alike everywhere.

use super::{Location, Sample, TraceError, MAX_CLASS};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Opens a text trace for reading, decompressing it if its name ends in `.gz`.
pub fn open_maybe_gzipped(path: &Path) -> Result<Box<dyn Read + Send>, TraceError> {
    let file = File::open(path).map_err(|e| TraceError::io(path, &e))?;
    Ok(decompress_if_gzipped(path, Box::new(file)))
}

/// Whether `path` names a gzipped file (its name ends in `.gz`).
pub(crate) fn is_gzipped(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gz"))
}

/// `raw`, the bytes of `path`, decompressed if the name says gzip.
pub fn decompress_if_gzipped(path: &Path, raw: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
    if is_gzipped(path) {
        // Multi-member, so files made with `cat a.gz b.gz` read whole.
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw)))
    } else {
        raw
    }
}

/// One sample as parsed, before validation. Class values are `f64` so that every format can hand
/// over what it read (including non-integers and negatives) and get the same message for it; any
/// class index that fits in the valid range is exact in `f64`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawSample {
    pub conf: Vec<f64>,
    pub pred: Vec<f64>,
    pub label: Option<f64>,
    pub cost: Option<Vec<f64>>,
    /// The sample's context label, as written (an integer is its digits).
    pub context: Option<String>,
    /// When the sample arrived, seconds since the start of the trace.
    pub arrival: Option<f64>,
}

/// What the first sample fixed for all the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    exits: usize,
    has_costs: bool,
    /// Whether the samples carry confidences (a prediction-only trace has none).
    has_confidences: bool,
    /// Whether the samples carry a context.
    has_context: bool,
    /// Whether the samples carry an arrival time.
    has_arrival: bool,
}

/// Validates samples one by one and remembers what the first sample fixed (its number of exits
/// and whether it carries costs), so later samples that disagree are reported.
#[derive(Debug)]
pub(crate) struct SampleValidator {
    path: PathBuf,
    /// A declared number of classes (the width of a `probs` array), tighter than `MAX_CLASS`.
    classes: Option<u32>,
    shape: Option<Shape>,
    /// The last arrival time read, which the next may not precede.
    last_arrival: f64,
}

#[derive(Clone, Copy)]
enum ClassKind {
    Label,
    Prediction,
}

impl ClassKind {
    fn noun(self) -> &'static str {
        match self {
            ClassKind::Label => "label",
            ClassKind::Prediction => "predicted class",
        }
    }
}

impl SampleValidator {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            classes: None,
            shape: None,
            last_arrival: 0.0,
        }
    }

    /// Requires every class to be below `classes` (for traces whose class count is known).
    pub fn with_classes(mut self, classes: u32) -> Self {
        self.classes = Some(classes);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `sample`, whose values are each valid on their own, also fits what earlier samples
    /// fixed (exits, costs) and the declared classes; the first sample fixes them.
    pub fn accepts(&mut self, sample: &Sample) -> bool {
        let shape = Shape {
            exits: sample.pred.len(),
            has_costs: sample.cost.is_some(),
            has_confidences: !sample.conf.is_empty(),
            has_context: sample.context.is_some(),
            has_arrival: sample.arrival.is_some(),
        };
        let expected = *self.shape.get_or_insert(shape);
        let classes_fit = self.classes.is_none_or(|classes| {
            sample
                .pred
                .iter()
                .chain(&sample.label)
                .all(|&c| c < classes)
        });
        shape == expected && classes_fit
    }

    /// Checks one sample read at `at` and converts its classes to integers. A sample without
    /// confidences (`conf` empty) is a prediction-only sample: its exits are its predictions'.
    pub fn validate(&mut self, raw: RawSample, at: Location) -> Result<Sample, TraceError> {
        let error =
            |column: Option<&str>, message: String| TraceError::at(&self.path, at, column, message);
        let has_confidences = !raw.conf.is_empty();
        // The array the others are measured against, named as messages name it.
        let (exits, reference) = if has_confidences {
            (raw.conf.len(), "conf")
        } else {
            (raw.pred.len(), "pred")
        };
        if exits == 0 {
            return Err(error(Some(reference), "has no exits".into()));
        }
        if raw.pred.len() != exits {
            let message = format!("has {} values but conf has {exits}", raw.pred.len());
            return Err(error(Some("pred"), message));
        }
        if let Some(cost) = &raw.cost {
            if cost.len() != exits {
                let message = format!("has {} values but {reference} has {exits}", cost.len());
                return Err(error(Some("cost"), message));
            }
        }
        let shape = Shape {
            exits,
            has_costs: raw.cost.is_some(),
            has_confidences,
            has_context: raw.context.is_some(),
            has_arrival: raw.arrival.is_some(),
        };
        let expected = *self.shape.get_or_insert(shape);
        if shape.exits != expected.exits {
            let message = format!(
                "has {} exits but earlier rows have {}",
                shape.exits, expected.exits
            );
            return Err(error(None, message));
        }
        if shape.has_costs != expected.has_costs {
            let message = if expected.has_costs {
                "has no costs but earlier rows have them"
            } else {
                "has costs but earlier rows do not"
            };
            return Err(error(Some("cost"), message.into()));
        }
        if shape.has_confidences != expected.has_confidences {
            let message = if expected.has_confidences {
                "is missing (earlier rows have confidences; a prediction-only trace has none in \
                 any row)"
            } else {
                "is given but earlier rows have no confidences (a prediction-only trace has none \
                 in any row)"
            };
            return Err(error(Some("conf"), message.into()));
        }
        if shape.has_context != expected.has_context {
            let message = if expected.has_context {
                "is missing but earlier rows have one (a trace has a context on every row or none)"
            } else {
                "is given but earlier rows have none (a trace has a context on every row or none)"
            };
            return Err(error(Some("context"), message.into()));
        }
        if let Some(context) = &raw.context {
            check_context(context).map_err(|m| error(Some("context"), m))?;
        }
        if shape.has_arrival != expected.has_arrival {
            let message = if expected.has_arrival {
                "is missing but earlier rows have one (a trace has an arrival time on every row \
                 or none)"
            } else {
                "is given but earlier rows have none (a trace has an arrival time on every row \
                 or none)"
            };
            return Err(error(Some("arrival"), message.into()));
        }
        if let Some(arrival) = raw.arrival {
            check_arrival(arrival, self.last_arrival).map_err(|m| error(Some("arrival"), m))?;
            self.last_arrival = arrival;
        }

        for (k, &c) in raw.conf.iter().enumerate() {
            check_confidence(c).map_err(|m| error(Some(&format!("conf_{}", k + 1)), m))?;
        }
        let mut pred = Vec::with_capacity(exits);
        for (k, &p) in raw.pred.iter().enumerate() {
            let class = self
                .check_class(p, ClassKind::Prediction)
                .map_err(|m| error(Some(&format!("pred_{}", k + 1)), m))?;
            pred.push(class);
        }
        let label = match raw.label {
            Some(l) => Some(
                self.check_class(l, ClassKind::Label)
                    .map_err(|m| error(Some("label"), m))?,
            ),
            None => None,
        };
        if let Some(cost) = &raw.cost {
            for (k, &c) in cost.iter().enumerate() {
                check_cost(c).map_err(|m| error(Some(&format!("cost_{}", k + 1)), m))?;
            }
        }
        Ok(Sample {
            conf: raw.conf,
            pred,
            label,
            cost: raw.cost,
            context: raw.context,
            arrival: raw.arrival,
        })
    }

    fn check_class(&self, value: f64, kind: ClassKind) -> Result<u32, String> {
        // The usual class, a small non-negative integer, is accepted here without the rounding
        // calls below, which only explain what is wrong.
        let largest = self
            .classes
            .map_or(f64::from(MAX_CLASS), |classes| f64::from(classes) - 1.0);
        if (0.0..=largest).contains(&value) && f64::from(value as u32) == value {
            return Ok(value as u32);
        }
        let noun = kind.noun();
        if value.is_nan() {
            return Err(format!("{noun} is NaN"));
        }
        if value.fract() != 0.0 || value.is_infinite() {
            return Err(format!("{noun} {value} is not an integer"));
        }
        if value < 0.0 {
            return Err(format!("{noun} {value} is negative"));
        }
        match self.classes {
            Some(classes) if value >= f64::from(classes) => Err(format!(
                "{noun} {value} is out of range: the trace has {classes} classes (0..={})",
                classes.saturating_sub(1)
            )),
            _ if value > f64::from(MAX_CLASS) => Err(format!(
                "{noun} {value} is out of range: classes must be at most {MAX_CLASS}"
            )),
            // Exact: the value is a non-negative integer no larger than MAX_CLASS.
            _ => Ok(value as u32),
        }
    }
}

fn check_confidence(value: f64) -> Result<(), String> {
    if value.is_nan() {
        Err("confidence is NaN".into())
    } else if !(0.0..=1.0).contains(&value) {
        Err(format!("confidence {value} is outside [0, 1]"))
    } else {
        Ok(())
    }
}

/// The longest context label accepted, in bytes: contexts name a condition (a distortion level,
/// a device, a domain), not free text.
pub const MAX_CONTEXT_LEN: usize = 64;

pub(crate) fn check_context(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("is empty (a trace has a context on every row or none)".into())
    } else if value.len() > MAX_CONTEXT_LEN {
        Err(format!(
            "is {} bytes long; a context label has at most {MAX_CONTEXT_LEN}",
            value.len()
        ))
    } else if value.trim() != value {
        Err(format!("`{value}` starts or ends with white space"))
    } else if value.chars().any(char::is_control) {
        Err(format!(
            "`{}` holds a control character",
            value.escape_debug()
        ))
    } else {
        Ok(())
    }
}

/// The latest arrival time accepted, in seconds (about 32 years): a later one is a unit
/// mistake (milliseconds or an epoch timestamp), not seconds since the start of the trace.
pub const MAX_ARRIVAL_S: f64 = 1e9;

/// An arrival time in seconds since the start: finite, non-negative, at most
/// [`MAX_ARRIVAL_S`], and not before the previous sample's (`previous`, 0 for the first).
fn check_arrival(value: f64, previous: f64) -> Result<(), String> {
    if value.is_nan() {
        Err("arrival time is NaN".into())
    } else if value < 0.0 {
        Err(format!(
            "arrival time {value} is negative (seconds since the start)"
        ))
    } else if value > MAX_ARRIVAL_S {
        Err(format!(
            "arrival time {value} is beyond {MAX_ARRIVAL_S} s (about 32 years); arrival \
             times are seconds since the start of the trace"
        ))
    } else if value < previous {
        Err(format!(
            "arrival time {value} is before the previous row's {previous} (arrival times \
             never decrease)"
        ))
    } else {
        Ok(())
    }
}

fn check_cost(value: f64) -> Result<(), String> {
    if value.is_nan() {
        Err("cost is NaN".into())
    } else if value.is_infinite() {
        Err(format!("cost {value} is not finite"))
    } else if value < 0.0 {
        Err(format!("cost {value} is negative"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(conf: &[f64], pred: &[f64]) -> RawSample {
        RawSample {
            conf: conf.to_vec(),
            pred: pred.to_vec(),
            label: Some(1.0),
            cost: None,
            context: None,
            arrival: None,
        }
    }

    fn message(result: Result<Sample, TraceError>) -> String {
        result.expect_err("should be rejected").to_string()
    }

    #[test]
    fn accepts_a_valid_sample_and_converts_classes() {
        let mut v = SampleValidator::new(Path::new("t.csv"));
        let sample = v.validate(raw(&[0.5, 1.0], &[1.0, 0.0]), Location::Line(2));
        assert_eq!(
            sample.unwrap(),
            Sample {
                conf: vec![0.5, 1.0],
                pred: vec![1, 0],
                label: Some(1),
                cost: None,
                context: None,
                arrival: None,
            }
        );
    }

    #[test]
    fn names_file_location_and_column() {
        let mut v = SampleValidator::new(Path::new("t.jsonl"));
        let m = message(v.validate(raw(&[0.5, 1.3], &[1.0, 0.0]), Location::Line(4)));
        assert_eq!(
            m,
            "t.jsonl: line 4: column conf_2: confidence 1.3 is outside [0, 1]"
        );
        let m = message(v.validate(raw(&[f64::NAN, 0.5], &[1.0, 0.0]), Location::Row(0)));
        assert_eq!(m, "t.jsonl: row 0: column conf_1: confidence is NaN");
    }

    #[test]
    fn classes_must_be_small_non_negative_integers() {
        let mut v = SampleValidator::new(Path::new("t"));
        for (pred, expected) in [
            (1.5, "pred_1: predicted class 1.5 is not an integer"),
            (-2.0, "pred_1: predicted class -2 is negative"),
            (65535.0, "predicted class 65535 is out of range"),
            (f64::INFINITY, "predicted class inf is not an integer"),
        ] {
            let m = message(v.validate(raw(&[0.5], &[pred]), Location::Line(2)));
            assert!(m.contains(expected), "{m}");
        }
        let mut v = SampleValidator::new(Path::new("t")).with_classes(3);
        let m = message(v.validate(raw(&[0.5], &[3.0]), Location::Row(7)));
        assert!(m.contains("the trace has 3 classes (0..=2)"), "{m}");
    }

    #[test]
    fn later_samples_must_match_the_first() {
        let mut v = SampleValidator::new(Path::new("t"));
        v.validate(raw(&[0.5, 0.5], &[1.0, 1.0]), Location::Line(1))
            .unwrap();
        let m = message(v.validate(raw(&[0.5], &[1.0]), Location::Line(2)));
        assert_eq!(m, "t: line 2: has 1 exits but earlier rows have 2");
        let mut with_cost = raw(&[0.5, 0.5], &[1.0, 1.0]);
        with_cost.cost = Some(vec![1.0, 2.0]);
        let m = message(v.validate(with_cost, Location::Line(3)));
        assert!(
            m.ends_with("column cost: has costs but earlier rows do not"),
            "{m}"
        );
    }

    #[test]
    fn costs_must_be_finite_and_non_negative() {
        let mut v = SampleValidator::new(Path::new("t"));
        let mut s = raw(&[0.5, 0.5], &[1.0, 1.0]);
        s.cost = Some(vec![1.0, -0.5]);
        let m = message(v.validate(s, Location::Line(2)));
        assert!(m.ends_with("column cost_2: cost -0.5 is negative"), "{m}");
    }

    #[test]
    fn a_context_is_on_every_row_or_none() {
        let with = |context: &str| RawSample {
            context: Some(context.into()),
            ..raw(&[0.5], &[1.0])
        };
        let mut v = SampleValidator::new(Path::new("t"));
        assert_eq!(
            v.validate(with("noise0.2"), Location::Line(2))
                .unwrap()
                .context
                .as_deref(),
            Some("noise0.2")
        );
        assert_eq!(
            message(v.validate(raw(&[0.5], &[1.0]), Location::Line(3))),
            "t: line 3: column context: is missing but earlier rows have one (a trace has a \
             context on every row or none)"
        );
        let mut v = SampleValidator::new(Path::new("t"));
        v.validate(raw(&[0.5], &[1.0]), Location::Line(2)).unwrap();
        assert_eq!(
            message(v.validate(with("clean"), Location::Line(3))),
            "t: line 3: column context: is given but earlier rows have none (a trace has a \
             context on every row or none)"
        );
        let mut v = SampleValidator::new(Path::new("t"));
        let m = message(v.validate(with(&"x".repeat(65)), Location::Line(2)));
        assert!(
            m.ends_with("is 65 bytes long; a context label has at most 64"),
            "{m}"
        );
    }
}
