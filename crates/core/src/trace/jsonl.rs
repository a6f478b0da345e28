//! JSON Lines traces and streams (SPEC section 4).
//!
//! One sample per line: `{"conf":[...], "pred":[...], "label":3, "cost":[...]}`; `label` (which
//! may be `null`), `cost` and `context` (a string or a non-negative integer, on every line or
//! none) are optional, and so is `conf` in a prediction-only trace (no line
//! has it), other keys are rejected and blank lines are skipped. A
//! `.gz` suffix means the file is gzip-compressed. This is also the live `stream` input.

use super::validate::{open_maybe_gzipped, RawSample, SampleValidator};
use super::{Location, Sample, TraceError};
use crate::lines::Lines;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Streams samples from JSON Lines, one line at a time (memory does not depend on the stream
/// length; a line is at most [`crate::lines::max_line_bytes`] long). Stops after the first
/// error.
pub struct JsonlSamples<R> {
    lines: Lines<R>,
    validator: SampleValidator,
    failed: bool,
    /// Go on after a bad line (I/O errors still end the stream).
    keep_going: bool,
}

impl JsonlSamples<Box<dyn BufRead + Send>> {
    /// Opens a `.jsonl` (or `.ndjson`) file, gzipped if its name ends in `.gz`.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let input = BufReader::with_capacity(INPUT_BUFFER, open_maybe_gzipped(path)?);
        Ok(Self::new(Box::new(input), path.to_path_buf()))
    }
}

/// Bytes read at a time.
pub const INPUT_BUFFER: usize = 64 << 10;

impl<R: BufRead> JsonlSamples<R> {
    /// Reads JSON Lines from `reader`, naming it `path` in messages.
    pub fn new(reader: R, path: PathBuf) -> Self {
        Self {
            lines: Lines::new(reader),
            validator: SampleValidator::new(&path),
            failed: false,
            keep_going: false,
        }
    }

    /// Goes on reading after a bad line instead of stopping (a live stream skipping them).
    pub fn keep_going(mut self) -> Self {
        self.keep_going = true;
        self
    }

    /// The 1-based number of the last line read.
    pub fn line_number(&self) -> u64 {
        self.lines.line_number()
    }

    /// Reads the next sample into `sample`, reusing its vectors (a stream decides millions of
    /// samples one at a time); `None` at the end of the input or after an error that stops the
    /// reading. On an error `sample` holds no particular value.
    pub fn read_into(&mut self, sample: &mut Sample) -> Option<Result<(), TraceError>> {
        if self.failed {
            return None;
        }
        let read = self.read_next(sample);
        self.failed = match &read {
            Some(Err(e)) => !self.keep_going || e.location.is_none(),
            _ => false,
        };
        read
    }

    fn read_next(&mut self, sample: &mut Sample) -> Option<Result<(), TraceError>> {
        let (number, line) = loop {
            match self.lines.next_line() {
                Ok(None) => return None,
                Ok(Some((_, line))) if line.trim_ascii().is_empty() => continue,
                Ok(Some(numbered)) => break numbered,
                Err(e) => return Some(Err(TraceError::from_line_error(self.validator.path(), e))),
            }
        };
        // The usual valid line in one pass; any other goes through the parser and the
        // validator, which explain what is wrong.
        if super::jsonl_fast::parse_valid_into(line, sample) && self.validator.accepts(sample) {
            return Some(Ok(()));
        }
        let path = self.validator.path();
        let at = Location::Line(number);
        let checked = parse_line(line, path, at).and_then(|raw| self.validator.validate(raw, at));
        Some(checked.map(|checked| *sample = checked))
    }
}

impl<T: std::io::Read> JsonlSamples<BufReader<T>> {
    /// Whether the next line is already whole in the reader's buffer (reading it will not wait
    /// for input).
    pub fn next_line_buffered(&mut self) -> bool {
        self.lines.next_line_buffered()
    }
}

fn parse_line(line: &[u8], path: &Path, at: Location) -> Result<RawSample, TraceError> {
    if let Some(raw) = super::jsonl_fast::parse(line) {
        return Ok(raw);
    }
    let parsed: JsonSample = serde_json::from_slice(line).map_err(|e| {
        let truncated = e.is_eof() && !line.ends_with(b"\n");
        let message = if truncated {
            format!("truncated last line ({})", describe(&e))
        } else {
            describe(&e)
        };
        TraceError::at(path, at, None, message)
    })?;
    Ok(parsed.into())
}

impl<R: BufRead> Iterator for JsonlSamples<R> {
    type Item = Result<Sample, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut sample = Sample::default();
        let read = self.read_into(&mut sample)?;
        Some(read.map(|()| sample))
    }
}

/// One line as JSON. Classes are read as numbers of any kind so that the shared validator reports
/// `1.5` or `-1` with the same words as for CSV.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonSample {
    /// Absent in a prediction-only trace.
    #[serde(default)]
    conf: Vec<f64>,
    pred: Vec<f64>,
    label: Option<f64>,
    cost: Option<Vec<f64>>,
    context: Option<ContextValue>,
    arrival: Option<f64>,
}

/// A context as JSON may write it: a label, or a non-negative integer (read as its digits).
#[derive(Deserialize)]
#[serde(untagged)]
enum ContextValue {
    Number(u64),
    Label(String),
}

impl From<JsonSample> for RawSample {
    fn from(s: JsonSample) -> Self {
        Self {
            conf: s.conf,
            pred: s.pred,
            label: s.label,
            cost: s.cost,
            context: s.context.map(|c| match c {
                ContextValue::Number(n) => n.to_string(),
                ContextValue::Label(label) => label,
            }),
            arrival: s.arrival,
        }
    }
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

/// Writes samples as JSON Lines (`label` and `cost` only when present), as serde_json would
/// write them. Floats use the shortest round-trip formatting, so reading the stream back gives
/// exactly the same samples.
pub fn write_jsonl<W: Write>(
    out: W,
    samples: impl IntoIterator<Item = Sample>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 << 10, out);
    let mut line = Vec::with_capacity(512);
    for sample in samples {
        super::jsonl_fast::write_line(&mut line, &sample);
        out.write_all(&line)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    /// Shortest round-trip decimals come back exactly (serde_json's `float_roundtrip`), so a
    /// JSON Lines trace replays exactly like the same trace in CSV.
    #[test]
    fn seventeen_digit_values_are_exact() {
        let text = "0.23135769367218018";
        let exact: f64 = text.parse().unwrap();
        assert_eq!(serde_json::from_str::<f64>(text).unwrap(), exact);
    }
}
