//! The text formats: CSV and JSON Lines share their targets, with edits of their own structure.
//! Here is what they share: the format (writing, reading, spoiling one value), the bad-value and
//! truncated-last-line targets, and the structures edits work on (a CSV grid of cells, JSON
//! Lines objects); the edits of each format are in `csv` and `jsonl`.

use crate::check::{check_samples, check_text_error, line_count};
use crate::inputs::{apply_bytes, arb_byte_edit, arb_samples, join_lines, Input};
use crate::{accepted, fuzz};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;
use splitee::trace::{
    write_csv, write_jsonl, CsvSamples, JsonlSamples, Location, Sample, TraceError,
};
use std::fmt;
use std::io::Cursor;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy)]
pub(crate) enum TextFormat {
    Csv,
    Jsonl,
}

impl TextFormat {
    /// The file name the reader reports.
    fn file_name(self) -> &'static str {
        match self {
            TextFormat::Csv => "fuzz.csv",
            TextFormat::Jsonl => "fuzz.jsonl",
        }
    }

    /// `samples` as the crate writes them.
    pub(crate) fn text(self, samples: &[Sample]) -> String {
        let mut out = Vec::new();
        match self {
            TextFormat::Csv => write_csv(&mut out, samples.to_vec()).unwrap(),
            TextFormat::Jsonl => write_jsonl(&mut out, samples.to_vec()).unwrap(),
        }
        String::from_utf8(out).unwrap()
    }

    fn read(self, bytes: &[u8]) -> Result<Vec<Sample>, TraceError> {
        let (reader, path) = (Cursor::new(bytes.to_vec()), PathBuf::from(self.file_name()));
        match self {
            TextFormat::Csv => CsvSamples::new(reader, path)?.collect(),
            TextFormat::Jsonl => JsonlSamples::new(reader, path).collect(),
        }
    }

    /// Lines before the first sample's.
    fn header_lines(self) -> u64 {
        match self {
            TextFormat::Csv => 1,
            TextFormat::Jsonl => 0,
        }
    }

    /// Values that are wrong for `field`: numbers out of its range (`numeric`), or text that is
    /// no number in this format.
    fn bad_values(self, field: Field, numeric: bool) -> Vec<&'static str> {
        match (self, numeric, field) {
            (_, true, Field::Conf) => vec!["-1", "1.5", "1e308", "-0.1", "1.0000001", "-1e-300"],
            (_, true, Field::Pred | Field::Label) => {
                vec!["-1", "1.5", "65535", "1e308", "4294967296", "-0.5", "0.1"]
            }
            (_, true, Field::Cost) => vec!["-1", "-1e-9", "-1e308"],
            (TextFormat::Csv, false, Field::Conf) => vec!["NaN", "inf", "-inf", "", "abc", "0.5.5"],
            (TextFormat::Csv, false, Field::Pred) => vec!["NaN", "inf", "", "x", "1..2"],
            (TextFormat::Csv, false, Field::Label) => vec!["NaN", "inf", "x", "1..2"],
            (TextFormat::Csv, false, Field::Cost) => vec!["NaN", "inf", "-inf", "", "x"],
            (TextFormat::Jsonl, false, _) => vec![
                "NaN", "Infinity", "\"0.5\"", "[]", "1e999", "01", "true", "{}",
            ],
        }
    }

    /// Whether a bad value is reported at its column: every CSV cell is, but a JSON value that
    /// is no number is a syntax or type error of the whole line.
    fn names_column(self, numeric: bool) -> bool {
        match self {
            TextFormat::Csv => true,
            TextFormat::Jsonl => numeric,
        }
    }

    /// The text of `samples` with `value` put for `field` at `exit` of sample `sample`.
    fn spoiled_text(
        self,
        samples: &[Sample],
        sample: usize,
        (field, exit): (Field, usize),
        value: &str,
    ) -> String {
        let text = self.text(samples);
        match self {
            TextFormat::Csv => {
                let mut grid = csv_grid(&text);
                let column = field.column(exit);
                let col = grid[0].iter().position(|c| *c == column).unwrap();
                grid[1 + sample][col] = value.to_string();
                grid_text(&grid, "\n", true)
            }
            TextFormat::Jsonl => {
                let mut lines = json_lines(&text);
                let JsonLine::Object(map) = &mut lines[sample] else {
                    unreachable!()
                };
                let mut tokens = Vec::new();
                let value = placeholder(&mut tokens, value);
                match field {
                    Field::Label => {
                        map.insert(field.key().into(), value);
                    }
                    Field::Conf | Field::Pred | Field::Cost => {
                        let values = map.get_mut(field.key()).unwrap();
                        values.as_array_mut().unwrap()[exit] = value;
                    }
                }
                json_text(&lines, &tokens, "\n", true)
            }
        }
    }

    /// Line ends the truncation target tries.
    fn line_ends(self) -> Vec<&'static str> {
        match self {
            TextFormat::Csv => vec!["\n", "\r\n"],
            TextFormat::Jsonl => vec!["\n"],
        }
    }

    /// How many bytes of a complete last line `last` may be kept so that it is still cut: in
    /// CSV up to its last comma (a cell or more missing, or the last cell empty), in JSON Lines
    /// all but the closing brace.
    fn max_kept_when_cut(self, last: &str) -> usize {
        match self {
            TextFormat::Csv => last.rfind(',').unwrap() + 1,
            TextFormat::Jsonl => last.len() - 1,
        }
    }
}

/// A valid trace in a text format, a few edits of its structure, `\n` or `\r\n`, and a few byte
/// edits. `edited` applies the structural edits and writes the text with the given line end,
/// and a final one if asked.
pub(crate) fn arb_structured_text<E: Clone + fmt::Debug>(
    edit: impl Strategy<Value = E>,
    max_edits: usize,
    edited: fn(&[Sample], &[E], &str, bool) -> String,
) -> impl Strategy<Value = Input> {
    (
        arb_samples(),
        vec(edit, 0..=max_edits),
        any::<bool>(),
        prop_oneof![4 => Just(true), 1 => Just(false)],
        vec(arb_byte_edit(), 0..=max_edits.min(2)),
    )
        .prop_map(move |(samples, edits, crlf, trailing_eol, byte_edits)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut bytes = edited(&samples, &edits, eol, trailing_eol).into_bytes();
            for edit in &byte_edits {
                apply_bytes(&mut bytes, edit);
            }
            let valid = edits.is_empty() && byte_edits.is_empty();
            Input {
                bytes,
                expected: valid.then_some(samples),
            }
        })
}

/// A text reader's result on `input`: a valid trace reads back exactly; any error is one line
/// naming the file and a line of the input.
pub(crate) fn check_text(input: Input, format: TextFormat) -> TestCaseResult {
    match format.read(&input.bytes) {
        Ok(samples) => {
            accepted();
            check_samples(&samples)?;
            if let Some(expected) = &input.expected {
                prop_assert_eq!(&samples, expected);
            }
        }
        Err(e) => {
            prop_assert!(input.expected.is_none(), "a valid trace was rejected: {e}");
            check_text_error(&e, format.file_name(), line_count(&input.bytes))?;
        }
    }
    Ok(())
}

/// Which value of a sample to spoil.
#[derive(Debug, Clone, Copy)]
enum Field {
    Conf,
    Pred,
    Label,
    Cost,
}

impl Field {
    /// The JSON key.
    fn key(self) -> &'static str {
        match self {
            Field::Conf => "conf",
            Field::Pred => "pred",
            Field::Label => "label",
            Field::Cost => "cost",
        }
    }

    /// The CSV column at 0-based `exit`.
    fn column(self, exit: usize) -> String {
        match self {
            Field::Label => self.key().into(),
            _ => format!("{}_{}", self.key(), exit + 1),
        }
    }
}

fn arb_field() -> impl Strategy<Value = Field> {
    select(vec![Field::Conf, Field::Pred, Field::Label, Field::Cost])
}

/// Runs target `name`: one bad value in a valid trace is reported at its line, and at its column
/// where the format names one.
pub(crate) fn fuzz_bad_value(name: &str, format: TextFormat) {
    let strategy = (
        arb_samples(),
        any::<Index>(),
        any::<Index>(),
        arb_field(),
        any::<bool>(),
        any::<Index>(),
    );
    fuzz(
        name,
        5000,
        strategy,
        |(samples, sample, exit, field, numeric, value)| {
            let exit = exit.index(samples[0].conf.len());
            // Costs fall back to confidences in a trace without costs.
            let field = match field {
                Field::Cost if samples[0].cost.is_none() => Field::Conf,
                _ => field,
            };
            let column = field.column(exit);
            let values = format.bad_values(field, numeric);
            let value = values[value.index(values.len())];
            let sample = sample.index(samples.len());
            let text = format.spoiled_text(&samples, sample, (field, exit), value);
            let error = format
                .read(text.as_bytes())
                .expect_err("a bad value was accepted");
            let line = format.header_lines() + sample as u64 + 1;
            let message = error.to_string();
            prop_assert_eq!(error.location, Some(Location::Line(line)), "{}", message);
            if format.names_column(numeric) {
                prop_assert_eq!(
                    error.column.as_deref(),
                    Some(column.as_str()),
                    "{}",
                    message
                );
                let file = format.file_name();
                prop_assert!(
                    message.starts_with(&format!("{file}: line {line}: column {column}: ")),
                    "{message}"
                );
            }
            prop_assert!(!message.contains("truncated"), "{message}");
            check_text_error(&error, format.file_name(), line_count(text.as_bytes()))
        },
    );
}

/// Runs target `name`: a trace whose last line is cut (no line end, the line incomplete) is
/// reported at that line as truncated.
pub(crate) fn fuzz_truncated_last_line(name: &str, format: TextFormat) {
    fuzz(
        name,
        5000,
        (arb_samples(), any::<Index>(), select(format.line_ends())),
        |(samples, cut, eol)| {
            let text = format.text(&samples).replace('\n', eol);
            let body = &text[..text.len() - eol.len()];
            let start = body.rfind('\n').map_or(0, |i| i + 1);
            let keep = 1 + cut.index(format.max_kept_when_cut(&body[start..]));
            let cut_text = &body[..start + keep];
            let error = format
                .read(cut_text.as_bytes())
                .expect_err("a truncated line was accepted");
            let line = format.header_lines() + samples.len() as u64;
            let message = error.to_string();
            prop_assert_eq!(error.location, Some(Location::Line(line)), "{}", message);
            prop_assert!(message.contains("truncated last line"), "{message}");
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The structure each format is edited in: CSV as a grid of cells, JSON Lines as objects

/// A CSV text as a grid of cells (the header is row 0).
pub(crate) fn csv_grid(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

pub(crate) fn grid_text(grid: &[Vec<String>], eol: &str, trailing_eol: bool) -> String {
    join_lines(grid.iter().map(|row| row.join(",")), eol, trailing_eol)
}

/// A line of JSON Lines being edited: an object, or raw text.
#[derive(Clone)]
pub(crate) enum JsonLine {
    Object(serde_json::Map<String, serde_json::Value>),
    Raw(String),
}

/// Stands for raw JSON text `tokens[i]` in a value, replaced after serialising.
pub(crate) fn placeholder(tokens: &mut Vec<String>, token: &str) -> serde_json::Value {
    tokens.push(token.to_string());
    serde_json::Value::String(format!("\u{1}TOKEN{}\u{1}", tokens.len() - 1))
}

/// The object on line `line` of JSON Lines text.
pub(crate) fn json_lines(text: &str) -> Vec<JsonLine> {
    text.lines()
        .map(|l| match serde_json::from_str(l).unwrap() {
            serde_json::Value::Object(map) => JsonLine::Object(map),
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// Serialises edited lines, putting the raw tokens in place of their placeholders.
pub(crate) fn json_text(
    lines: &[JsonLine],
    tokens: &[String],
    eol: &str,
    trailing_eol: bool,
) -> String {
    let lines = lines.iter().map(|line| match line {
        JsonLine::Object(map) => serde_json::to_string(map).unwrap(),
        JsonLine::Raw(raw) => raw.clone(),
    });
    let mut text = join_lines(lines, eol, trailing_eol);
    for (i, token) in tokens.iter().enumerate() {
        text = text.replace(&format!("\"\\u0001TOKEN{i}\\u0001\""), token);
    }
    text
}
