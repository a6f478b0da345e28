//! JSON Lines traces and streams (SPEC section 4).
//!
//! One sample per line: `{"conf":[...], "pred":[...], "label":3, "cost":[...]}`; `label` (which
//! may be `null`) and `cost` are optional, other keys are rejected and blank lines are skipped. A
//! `.gz` suffix means the file is gzip-compressed. This is also the live `stream` input.

use super::validate::{open_maybe_gzipped, RawSample, SampleValidator};
use super::{Location, Sample, TraceError};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Streams samples from JSON Lines, one line at a time (memory does not depend on the stream
/// length). Stops after the first error.
pub struct JsonlSamples<R> {
    reader: R,
    validator: SampleValidator,
    line: Vec<u8>,
    line_number: u64,
    failed: bool,
}

impl JsonlSamples<Box<dyn BufRead + Send>> {
    /// Opens a `.jsonl` (or `.ndjson`) file, gzipped if its name ends in `.gz`.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let input = BufReader::new(open_maybe_gzipped(path)?);
        Ok(Self::new(Box::new(input), path.to_path_buf()))
    }
}

impl<R: BufRead> JsonlSamples<R> {
    /// Reads JSON Lines from `reader`, naming it `path` in messages.
    pub fn new(reader: R, path: PathBuf) -> Self {
        Self {
            reader,
            validator: SampleValidator::new(&path),
            line: Vec::new(),
            line_number: 0,
            failed: false,
        }
    }

    fn next_sample(&mut self) -> Option<Result<Sample, TraceError>> {
        loop {
            self.line.clear();
            match self.reader.read_until(b'\n', &mut self.line) {
                Ok(0) => return None,
                Ok(_) => self.line_number += 1,
                Err(e) => return Some(Err(TraceError::io(self.validator.path(), &e))),
            }
            if !self.line.trim_ascii().is_empty() {
                break;
            }
        }
        let at = Location::Line(self.line_number);
        Some(
            self.parse_line(at)
                .and_then(|raw| self.validator.validate(raw, at)),
        )
    }

    fn parse_line(&self, at: Location) -> Result<RawSample, TraceError> {
        let parsed: JsonSample = serde_json::from_slice(&self.line).map_err(|e| {
            let truncated = e.is_eof() && !self.line.ends_with(b"\n");
            let message = if truncated {
                format!("truncated last line ({})", describe(&e))
            } else {
                describe(&e)
            };
            TraceError::at(self.validator.path(), at, None, message)
        })?;
        let mut raw = RawSample {
            conf: parsed.conf,
            pred: parsed.pred,
            label: parsed.label,
            cost: parsed.cost,
        };
        exact::reparse_floats(&self.line, &mut raw);
        Ok(raw)
    }
}

impl<R: BufRead> Iterator for JsonlSamples<R> {
    type Item = Result<Sample, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_sample();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// One line as JSON. Classes are read as numbers of any kind so that the shared validator reports
/// `1.5` or `-1` with the same words as for CSV.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSample {
    conf: Vec<f64>,
    pred: Vec<f64>,
    label: Option<f64>,
    cost: Option<Vec<f64>>,
}

/// serde_json's message without its position: each line is parsed on its own, so its "line 1"
/// would mislead; the character within the line is kept.
fn describe(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    if error.column() > 0 {
        format!("{message} (at character {})", error.column())
    } else {
        message.to_string()
    }
}

/// Writes samples as JSON Lines (`label` and `cost` only when present). Floats use the shortest
/// round-trip formatting, so reading the stream back gives exactly the same samples.
pub fn write_jsonl<W: Write>(
    out: W,
    samples: impl IntoIterator<Item = Sample>,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct JsonSampleRef<'a> {
        conf: &'a [f64],
        pred: &'a [u32],
        #[serde(skip_serializing_if = "Option::is_none")]
        label: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cost: Option<&'a [f64]>,
    }
    let mut out = std::io::BufWriter::new(out);
    for sample in samples {
        let json = JsonSampleRef {
            conf: &sample.conf,
            pred: &sample.pred,
            label: sample.label,
            cost: sample.cost.as_deref(),
        };
        serde_json::to_writer(&mut out, &json)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Exact floats for `conf` and `cost`.
///
/// Without its `float_roundtrip` feature (not enabled in this crate) serde_json may round a
/// 17-digit decimal to a neighbouring `f64`: about one value in ten written with the shortest
/// round-trip formatting came back different, which would make a JSON Lines trace replay
/// differently from the same trace in CSV and cost `f32` traces their compact storage. Once
/// serde_json has accepted a line, its `conf` and `cost` number tokens are parsed again here with
/// the standard library's exact parser.
mod exact {
    use super::RawSample;

    /// Replaces `raw.conf` and `raw.cost` with exact parses of their tokens in `line`, which
    /// serde_json has already accepted as a valid sample.
    pub(super) fn reparse_floats(line: &[u8], raw: &mut RawSample) {
        let (conf, cost) = collect_numbers(line);
        if conf.len() == raw.conf.len() {
            raw.conf = conf;
        }
        if let Some(raw_cost) = &mut raw.cost {
            if cost.len() == raw_cost.len() {
                *raw_cost = cost;
            }
        }
    }

    /// The numbers under the top-level keys `conf` and `cost`, in order. A small scanner suffices
    /// because the line is known to be a valid sample object: strings occur only as keys.
    fn collect_numbers(line: &[u8]) -> (Vec<f64>, Vec<f64>) {
        let (mut conf, mut cost) = (Vec::new(), Vec::new());
        let mut target: Option<&mut Vec<f64>> = None;
        let mut depth = 0usize;
        let mut i = 0;
        while i < line.len() {
            match line[i] {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                b'"' => {
                    let end = string_end(line, i);
                    if depth == 1 {
                        // Decoded by serde_json so that escaped keys (`"co\u006ef"`) are recognised.
                        let key = serde_json::from_slice::<String>(&line[i..end]).ok();
                        target = match key.as_deref() {
                            Some("conf") => Some(&mut conf),
                            Some("cost") => Some(&mut cost),
                            _ => None,
                        };
                    }
                    i = end;
                    continue;
                }
                b'-' | b'0'..=b'9' => {
                    let end = line[i..]
                        .iter()
                        .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                        .map_or(line.len(), |n| i + n);
                    let value = std::str::from_utf8(&line[i..end])
                        .ok()
                        .and_then(|text| text.parse::<f64>().ok());
                    if let (Some(values), Some(value)) = (target.as_deref_mut(), value) {
                        values.push(value);
                    }
                    i = end;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        (conf, cost)
    }

    /// The index just past the string that starts at `start` (a `"`), skipping escapes.
    fn string_end(line: &[u8], start: usize) -> usize {
        let mut i = start + 1;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        line.len()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn collects_conf_and_cost_in_order_whatever_the_key_order() {
            let line = br#"{"cost":[1.5,2e-3],"pred":[1,0],"label":null,"co\u006ef":[0.25,-0.0]}"#;
            let (conf, cost) = collect_numbers(line);
            assert_eq!(conf, vec![0.25, -0.0]);
            assert_eq!(cost, vec![1.5, 0.002]);
        }

        #[test]
        fn seventeen_digit_values_are_exact() {
            // An f32 value that serde_json alone reads as 0.23135769367218015.
            let text = "0.23135769367218018";
            let exact: f64 = text.parse().unwrap();
            assert_eq!(f64::from(exact as f32), exact);
            let line = format!(r#"{{"conf":[{text}],"pred":[1]}}"#);
            let mut raw = RawSample {
                conf: vec![serde_json::from_str::<f64>(text).unwrap()],
                pred: vec![1.0],
                label: None,
                cost: None,
            };
            assert_ne!(
                raw.conf[0], exact,
                "serde_json is exact now: this module can go"
            );
            reparse_floats(line.as_bytes(), &mut raw);
            assert_eq!(raw.conf, vec![exact]);
        }
    }
}
