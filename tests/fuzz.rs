//! Fuzzing every input parser: the CSV and JSON Lines trace readers, the NPZ reader (the `.npy`
//! headers included), the run config, and the `--trace` loader on files. No input may make a
//! parser panic, and every rejection must be one line that names the file (and the line, for the
//! text formats).
//!
//! Inputs are raw bytes and, mostly, valid inputs with a few structured mutations (fields, lines,
//! arrays and keys deleted, duplicated or swapped; NaN, inf, -1, huge numbers, empty cells and
//! wrong types put in; truncation at a byte, flipped and inserted bytes), so that cases reach
//! deep into the parsers rather than stopping at the first line. Unmutated inputs must be read
//! back exactly, so a generator that drifted into producing only garbage would be noticed.
//!
//! Each target runs a bounded number of cases (CI) and prints a line such as
//! `fuzz csv: 20000 cases (1952 accepted), 0 panics (0.8 s, seed 42)` straight to stderr, so it
//! shows even without `--nocapture`. For a longer run, `SPLITEE_FUZZ_CASES=N` runs N cases per
//! target; `SPLITEE_FUZZ_SEED=S` replays the run that printed seed S:
//!
//! ```text
//! SPLITEE_FUZZ_CASES=200000 cargo test --release --test fuzz -- --nocapture
//! ```

mod common;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestCaseResult, TestRunner};
use splitee::config::{Overrides, ResolveSettings, RunSettings};
use splitee::trace::{
    self, read_npz, write_csv, write_jsonl, CsvSamples, JsonlSamples, Location, Sample, Trace,
    TraceError, MAX_CLASS,
};
use std::cell::Cell;
use std::fmt;
use std::io::{Cursor, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// The harness: bounded runs, panics counted, a summary line per target

/// Cases per target: `$SPLITEE_FUZZ_CASES` if set, else the target's CI default.
fn case_count(default: u32) -> u32 {
    match std::env::var("SPLITEE_FUZZ_CASES") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SPLITEE_FUZZ_CASES must be a whole number, got {v:?}")),
        Err(_) => default,
    }
}

/// `$SPLITEE_FUZZ_SEED` if set (to replay a run), else a fresh seed.
fn seed() -> u64 {
    match std::env::var("SPLITEE_FUZZ_SEED") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SPLITEE_FUZZ_SEED must be a whole number, got {v:?}")),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

thread_local! {
    /// Cases the parser accepted, in the target running on this thread.
    static ACCEPTED: Cell<u64> = const { Cell::new(0) };
}

/// Counts a case whose input the parser accepted.
fn accepted() {
    ACCEPTED.with(|a| a.set(a.get() + 1));
}

/// Runs `check` on `default_cases` inputs from `strategy` (or `$SPLITEE_FUZZ_CASES`), shrinking
/// any failure, counting cases and panics, and prints `fuzz NAME: N cases (A accepted), P panics
/// (...)` to stderr.
fn fuzz<S>(name: &str, default_cases: u32, strategy: S, check: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: fmt::Debug,
{
    let cases = case_count(default_cases);
    let seed = seed();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 2048,
        ..Config::default()
    });
    let ran = Cell::new(0u64);
    let panics = Cell::new(0u64);
    ACCEPTED.with(|a| a.set(0));
    let start = Instant::now();
    let result = runner.run(&strategy, |input| {
        ran.set(ran.get() + 1);
        match panic::catch_unwind(AssertUnwindSafe(|| check(input))) {
            Ok(outcome) => outcome,
            Err(payload) => {
                panics.set(panics.get() + 1);
                Err(TestCaseError::fail(format!(
                    "panicked: {}",
                    panic_message(&*payload)
                )))
            }
        }
    });
    // Straight to stderr, not through the test harness's capture, so CI logs show the counts.
    let summary = format!(
        "fuzz {name}: {} cases ({} accepted), {} panics ({:.1} s, seed {seed}){}\n",
        ran.get(),
        ACCEPTED.with(Cell::get),
        panics.get(),
        start.elapsed().as_secs_f64(),
        if result.is_err() { ", FAILED" } else { "" },
    );
    let _ = std::io::stderr().write_all(summary.as_bytes());
    if let Err(e) = result {
        panic!("fuzz {name} failed (replay with SPLITEE_FUZZ_SEED={seed}): {e}");
    }
}

/// A temporary folder for the files of file-based targets: in memory (`/dev/shm`) where there is
/// one, since rewriting a file thousands of times on a disk mounted with `discard` takes
/// milliseconds per write.
fn scratch_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("splitee-fuzz")
        .tempdir_in("/dev/shm")
        .or_else(|_| TempDir::new())
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// What every outcome must satisfy

/// One line, starting with the file's name.
fn check_message(message: &str, file: &str) -> TestCaseResult {
    prop_assert!(
        !message.contains(['\n', '\r']),
        "the message is not one line: {message:?}"
    );
    prop_assert!(
        message.starts_with(&format!("{file}: ")),
        "the message does not start with the file {file:?}: {message:?}"
    );
    Ok(())
}

/// An error reading text of `lines` lines: one line naming the file and a line of the text.
fn check_text_error(error: &TraceError, file: &str, lines: u64) -> TestCaseResult {
    let message = error.to_string();
    check_message(&message, file)?;
    match error.location {
        Some(Location::Line(n)) => {
            prop_assert!(
                (1..=lines).contains(&n),
                "line {n} of a text of {lines} lines: {message:?}"
            );
            prop_assert!(
                message.starts_with(&format!("{file}: line {n}: ")),
                "{message:?}"
            );
        }
        other => prop_assert!(false, "no line ({other:?}) in {message:?}"),
    }
    Ok(())
}

/// Lines of a text, counting an unterminated last one. A line ends with `\n`, `\r\n` or a bare
/// `\r`.
fn line_count(bytes: &[u8]) -> u64 {
    let bare_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'\n' || bare_cr(i))
        .count() as u64
        + 1
}

/// What the readers promise about the samples they accept.
fn check_samples(samples: &[Sample]) -> TestCaseResult {
    let Some(first) = samples.first() else {
        return Ok(());
    };
    let exits = first.conf.len();
    prop_assert!(exits > 0);
    for s in samples {
        prop_assert_eq!(s.conf.len(), exits);
        prop_assert_eq!(s.pred.len(), exits);
        prop_assert_eq!(s.cost.is_some(), first.cost.is_some());
        prop_assert!(s.conf.iter().all(|c| (0.0..=1.0).contains(c)), "{s:?}");
        prop_assert!(s.pred.iter().chain(&s.label).all(|&c| c <= MAX_CLASS));
        if let Some(cost) = &s.cost {
            prop_assert_eq!(cost.len(), exits);
            prop_assert!(cost.iter().all(|c| c.is_finite() && *c >= 0.0), "{s:?}");
        }
    }
    Ok(())
}

/// What a loaded trace promises.
fn check_trace(trace: &Trace) -> TestCaseResult {
    prop_assert!(trace.samples() > 0 && trace.exits() > 0);
    let samples: Vec<Sample> = (0..trace.samples()).map(|s| trace.sample(s)).collect();
    check_samples(&samples)?;
    let top = samples
        .iter()
        .flat_map(|s| s.pred.iter().chain(&s.label))
        .max()
        .map_or(0, |&c| c as usize + 1);
    prop_assert!(trace.classes() >= top);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// Bytes shown as text when a case fails.
#[derive(Clone)]
struct Input {
    bytes: Vec<u8>,
    /// What an unmutated input must read back as.
    expected: Option<Vec<Sample>>,
}

impl Input {
    fn raw(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            expected: None,
        }
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.bytes))?;
        if self.expected.is_some() {
            write!(f, " (valid)")?;
        }
        Ok(())
    }
}

fn arb_conf() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..=1.0f64,
        1 => (0u32..=1000).prop_map(|n| f64::from(n) / 1000.0),
        1 => (0.0..=1.0f32).prop_map(f64::from),
        1 => select(vec![0.0, 1.0, 0.5, f64::MIN_POSITIVE, 1.0 - f64::EPSILON]),
    ]
}

/// A valid trace: 1 to 4 exits, 1 to 6 samples, labeled or not, with costs or not, with few
/// classes or with more than fit in a byte.
fn arb_samples() -> impl Strategy<Value = Vec<Sample>> {
    (1usize..=4, 1usize..=6, any::<bool>(), any::<bool>()).prop_flat_map(
        |(exits, rows, costs, wide)| {
            let top = if wide { 400u32 } else { 5 };
            let sample = (
                vec(arb_conf(), exits),
                vec(0..top, exits),
                option::of(0..top),
                vec(prop_oneof![0.0..1e3f64, Just(0.0)], exits),
            )
                .prop_map(move |(conf, pred, label, cost)| Sample {
                    conf,
                    pred,
                    label,
                    cost: costs.then_some(cost),
                });
            vec(sample, rows)
        },
    )
}

/// An edit of a byte string.
#[derive(Debug, Clone)]
enum ByteEdit {
    Truncate(Index),
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
    Remove(Index, u8),
}

fn arb_byte_edit() -> impl Strategy<Value = ByteEdit> {
    let inserted = prop_oneof![
        vec(any::<u8>(), 1..8),
        select(vec![
            b"\xff".to_vec(),
            b"\r".to_vec(),
            b"\n".to_vec(),
            b"\"".to_vec(),
            b",".to_vec(),
            b"\0".to_vec(),
            "\u{feff}".as_bytes().to_vec(),
            "é".as_bytes().to_vec(),
            b"\xc3".to_vec(),
        ]),
    ];
    prop_oneof![
        any::<Index>().prop_map(ByteEdit::Truncate),
        (any::<Index>(), 1u8..=255).prop_map(|(i, m)| ByteEdit::Flip(i, m)),
        (any::<Index>(), inserted).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        (any::<Index>(), 1u8..16).prop_map(|(i, n)| ByteEdit::Remove(i, n)),
    ]
}

fn apply_bytes(bytes: &mut Vec<u8>, edit: &ByteEdit) {
    let len = bytes.len();
    match edit {
        ByteEdit::Truncate(at) => bytes.truncate(at.index(len + 1)),
        ByteEdit::Flip(at, mask) if len > 0 => bytes[at.index(len)] ^= mask,
        ByteEdit::Insert(at, data) => {
            let i = at.index(len + 1);
            bytes.splice(i..i, data.iter().copied());
        }
        ByteEdit::Remove(at, n) if len > 0 => {
            let i = at.index(len);
            bytes.drain(i..(i + usize::from(*n)).min(len));
        }
        ByteEdit::Flip(..) | ByteEdit::Remove(..) => {}
    }
}

/// An edit of a text's lines, in any format.
#[derive(Debug, Clone)]
enum LineEdit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Insert(Index, String),
}

/// Line edits that insert one of `inserted`, the lines worth trying in a format.
fn arb_line_edit(inserted: Vec<&'static str>) -> impl Strategy<Value = LineEdit> {
    let line = select(inserted).prop_map(String::from);
    prop_oneof![
        any::<Index>().prop_map(LineEdit::Delete),
        any::<Index>().prop_map(LineEdit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
        (any::<Index>(), line).prop_map(|(at, l)| LineEdit::Insert(at, l)),
    ]
}

/// Applies `edit` to lines held as `T` (a text line, a CSV row, a JSON object), making an
/// inserted line into a `T` with `from_text`.
fn apply_line_edit<T: Clone>(lines: &mut Vec<T>, edit: &LineEdit, from_text: fn(String) -> T) {
    let n = lines.len();
    match edit {
        LineEdit::Insert(at, line) => lines.insert(at.index(n + 1), from_text(line.clone())),
        _ if n == 0 => {}
        LineEdit::Delete(at) => {
            lines.remove(at.index(n));
        }
        LineEdit::Duplicate(at) => {
            let at = at.index(n);
            lines.insert(at, lines[at].clone());
        }
        LineEdit::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
    }
}

/// Lines joined by `eol`, and ended by one if `trailing_eol`.
fn join_lines(lines: impl IntoIterator<Item = String>, eol: &str, trailing_eol: bool) -> String {
    let mut text = lines.into_iter().collect::<Vec<_>>().join(eol);
    if trailing_eol {
        text.push_str(eol);
    }
    text
}

// ---------------------------------------------------------------------------------------------
// The text formats: CSV and JSON Lines share their targets, with edits of their own structure

#[derive(Debug, Clone, Copy)]
enum TextFormat {
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
    fn text(self, samples: &[Sample]) -> String {
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
fn arb_structured_text<E: Clone + fmt::Debug>(
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
fn check_text(input: Input, format: TextFormat) -> TestCaseResult {
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
fn fuzz_bad_value(name: &str, format: TextFormat) {
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
fn fuzz_truncated_last_line(name: &str, format: TextFormat) {
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
// CSV

/// A CSV text as a grid of cells (the header is row 0).
fn csv_grid(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn grid_text(grid: &[Vec<String>], eol: &str, trailing_eol: bool) -> String {
    join_lines(grid.iter().map(|row| row.join(",")), eol, trailing_eol)
}

/// An edit of a CSV file as a grid of cells.
#[derive(Debug, Clone)]
enum GridEdit {
    Set(Index, Index, String),
    Delete(Index, Index),
    Duplicate(Index, Index),
    Swap(Index, Index, Index),
    SwapColumns(Index, Index),
    Line(LineEdit),
}

/// Cell values that are wrong somewhere: not numbers, NaN, infinite, negative, huge, empty,
/// quoted, column names.
fn arb_cell() -> impl Strategy<Value = String> {
    let listed = select(vec![
        "NaN",
        "nan",
        "inf",
        "-inf",
        "infinity",
        "-1",
        "-0",
        "0",
        "1",
        "2",
        "1.5",
        "1e308",
        "-1e308",
        "1e-320",
        "1e400",
        "65534",
        "65535",
        "255",
        "256",
        "4294967296",
        "18446744073709551616",
        "",
        " ",
        "abc",
        "0x1",
        "1_000",
        "+1",
        ".5",
        "5.",
        "\"0.5\"",
        "\"",
        "\"\"",
        "#",
        "conf_1",
        "pred_1",
        "cost_1",
        "label",
        "conf_0",
        "conf_x",
        "conf_",
        "pred_2",
        "cost_9",
        "conf_18446744073709551616",
        "conf_99999999999999999999",
        "label ",
        "\u{feff}conf_1",
        "é",
        "\t0.5",
        "\"a\nb\"",
        "\"conf_\n1\"",
        "\"x\ry\"",
    ])
    .prop_map(String::from);
    prop_oneof![
        6 => listed,
        1 => "[ -~]{0,8}",
        1 => "\\PC{0,6}",
    ]
}

fn arb_grid_edit() -> impl Strategy<Value = GridEdit> {
    let lines = vec![
        "",
        " ",
        "# a comment",
        "#",
        "label,conf_1,pred_1",
        "1,0.5,1",
        "a,b,c",
        "\"",
        ",,,",
    ];
    prop_oneof![
        6 => (any::<Index>(), any::<Index>(), arb_cell()).prop_map(|(r, c, v)| GridEdit::Set(r, c, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(r, c)| GridEdit::Delete(r, c)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(r, c)| GridEdit::Duplicate(r, c)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(r, a, b)| GridEdit::Swap(r, a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| GridEdit::SwapColumns(a, b)),
        // One in four each: delete, duplicate, swap and insert lines.
        4 => arb_line_edit(lines).prop_map(GridEdit::Line),
    ]
}

fn apply_grid(grid: &mut Vec<Vec<String>>, edit: &GridEdit) {
    let rows = grid.len();
    match edit {
        // An inserted line is a row of one cell.
        GridEdit::Line(edit) => apply_line_edit(grid, edit, |line| vec![line]),
        _ if rows == 0 => {}
        GridEdit::Set(r, c, value) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                let c = c.index(row.len());
                row[c] = value.clone();
            }
        }
        GridEdit::Delete(r, c) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                row.remove(c.index(row.len()));
            }
        }
        GridEdit::Duplicate(r, c) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                let c = c.index(row.len());
                row.insert(c, row[c].clone());
            }
        }
        GridEdit::Swap(r, a, b) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                let (a, b) = (a.index(row.len()), b.index(row.len()));
                row.swap(a, b);
            }
        }
        GridEdit::SwapColumns(a, b) => {
            let width = grid[0].len();
            if width > 0 {
                let (a, b) = (a.index(width), b.index(width));
                for row in grid.iter_mut().filter(|row| a.max(b) < row.len()) {
                    row.swap(a, b);
                }
            }
        }
    }
}

/// The CSV text of `samples` after `edits`.
fn csv_edited(samples: &[Sample], edits: &[GridEdit], eol: &str, trailing_eol: bool) -> String {
    let mut grid = csv_grid(&TextFormat::Csv.text(samples));
    for edit in edits {
        apply_grid(&mut grid, edit);
    }
    grid_text(&grid, eol, trailing_eol)
}

fn arb_structured_csv(max_edits: usize) -> impl Strategy<Value = Input> {
    arb_structured_text(arb_grid_edit(), max_edits, csv_edited)
}

fn arb_csv() -> impl Strategy<Value = Input> {
    let header = select(vec![
        "label,conf_1,pred_1,cost_1\n",
        "conf_1,pred_1,conf_2,pred_2\n",
        "id,label,pred_1,conf_1\r\n",
        "# comment\nlabel,conf_1,pred_1\n",
    ]);
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Input::raw),
        1 => (header, vec(any::<u8>(), 0..256)).prop_map(|(h, b)| {
            let mut bytes = h.as_bytes().to_vec();
            bytes.extend(b);
            Input::raw(bytes)
        }),
        1 => "(label|conf_1|pred_1|cost_1|conf_2|pred_2|[-0-9.e#\" ,]|\r|\n){0,60}"
            .prop_map(|s| Input::raw(s.into_bytes())),
        7 => arb_structured_csv(4),
    ]
}

#[test]
fn fuzz_csv() {
    fuzz("csv", 20_000, arb_csv(), |input| {
        check_text(input, TextFormat::Csv)
    });
}

/// One bad cell in a valid CSV trace is reported at its line and column.
#[test]
fn fuzz_csv_bad_cell() {
    fuzz_bad_value("csv-bad-cell", TextFormat::Csv);
}

/// A CSV trace whose last line is cut before its last cell (no newline, too few cells) is
/// reported at that line as truncated.
#[test]
fn fuzz_csv_truncated_last_line() {
    fuzz_truncated_last_line("csv-truncated", TextFormat::Csv);
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

/// JSON text put where a value was: wrong types, NaN and infinities (not JSON), numbers out of
/// range, deep nesting, strings with line breaks.
fn arb_json_token() -> impl Strategy<Value = String> {
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let listed = select(vec![
        "NaN".to_string(),
        "Infinity".into(),
        "-Infinity".into(),
        "-1".into(),
        "-0".into(),
        "0".into(),
        "1".into(),
        "1.5".into(),
        "1e999".into(),
        "-1e999".into(),
        "1e-400".into(),
        "65534".into(),
        "65535".into(),
        "4294967296".into(),
        "18446744073709551616".into(),
        "-9223372036854775809".into(),
        "null".into(),
        "true".into(),
        "\"0.5\"".into(),
        "\"\"".into(),
        "\"a\\nb\"".into(),
        "[]".into(),
        "{}".into(),
        "[0.5]".into(),
        "[[0.5]]".into(),
        "[null]".into(),
        "{\"a\":1}".into(),
        "01".into(),
        "1.".into(),
        ".5".into(),
        "+1".into(),
        "0x1".into(),
        "\"\\ud800\"".into(),
        deep,
    ]);
    prop_oneof![
        8 => listed,
        1 => "[ -~]{0,6}",
    ]
}

/// Keys put into an object: the known ones, unknown ones, one with a line break.
fn arb_json_key() -> impl Strategy<Value = String> {
    select(vec![
        "conf", "pred", "label", "cost", "extra", "Conf", "", "a\nb", "conf ", "é",
    ])
    .prop_map(String::from)
}

#[derive(Debug, Clone)]
enum JsonEdit {
    SetKey(Index, String, String),
    RemoveKey(Index, Index),
    SetElement(Index, Index, Index, String),
    PushElement(Index, Index, String),
    PopElement(Index, Index),
    Line(LineEdit),
}

fn arb_json_edit() -> impl Strategy<Value = JsonEdit> {
    let lines = vec![
        "",
        " ",
        "\t",
        "{}",
        "[]",
        "null",
        "{\"conf\":[0.5],\"pred\":[0]}",
        "{",
        "#",
        "\u{feff}{}",
    ];
    prop_oneof![
        3 => (any::<Index>(), arb_json_key(), arb_json_token())
            .prop_map(|(l, k, v)| JsonEdit::SetKey(l, k, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(l, k)| JsonEdit::RemoveKey(l, k)),
        4 => (any::<Index>(), any::<Index>(), any::<Index>(), arb_json_token())
            .prop_map(|(l, k, i, v)| JsonEdit::SetElement(l, k, i, v)),
        1 => (any::<Index>(), any::<Index>(), arb_json_token())
            .prop_map(|(l, k, v)| JsonEdit::PushElement(l, k, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(l, k)| JsonEdit::PopElement(l, k)),
        // One in four each: delete, duplicate, swap and insert lines.
        4 => arb_line_edit(lines).prop_map(JsonEdit::Line),
    ]
}

/// A line of JSON Lines being edited: an object, or raw text.
#[derive(Clone)]
enum JsonLine {
    Object(serde_json::Map<String, serde_json::Value>),
    Raw(String),
}

/// Stands for raw JSON text `tokens[i]` in a value, replaced after serialising.
fn placeholder(tokens: &mut Vec<String>, token: &str) -> serde_json::Value {
    tokens.push(token.to_string());
    serde_json::Value::String(format!("\u{1}TOKEN{}\u{1}", tokens.len() - 1))
}

fn apply_json(lines: &mut Vec<JsonLine>, tokens: &mut Vec<String>, edit: &JsonEdit) {
    match edit {
        JsonEdit::Line(edit) => apply_line_edit(lines, edit, JsonLine::Raw),
        _ if lines.is_empty() => {}
        JsonEdit::SetKey(l, ..)
        | JsonEdit::RemoveKey(l, _)
        | JsonEdit::SetElement(l, ..)
        | JsonEdit::PushElement(l, ..)
        | JsonEdit::PopElement(l, _) => {
            let n = lines.len();
            if let JsonLine::Object(map) = &mut lines[l.index(n)] {
                edit_object(map, tokens, edit);
            }
        }
    }
}

fn edit_object(
    map: &mut serde_json::Map<String, serde_json::Value>,
    tokens: &mut Vec<String>,
    edit: &JsonEdit,
) {
    let arrays: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.is_array())
        .map(|(k, _)| k.clone())
        .collect();
    match edit {
        JsonEdit::SetKey(_, key, token) => {
            let value = placeholder(tokens, token);
            map.insert(key.clone(), value);
        }
        JsonEdit::RemoveKey(_, k) if !map.is_empty() => {
            let key = map.keys().nth(k.index(map.len())).unwrap().clone();
            map.remove(&key);
        }
        JsonEdit::SetElement(_, k, i, token) if !arrays.is_empty() => {
            let value = placeholder(tokens, token);
            let array = map_array(map, &arrays, k);
            if array.is_empty() {
                array.push(value);
            } else {
                let i = i.index(array.len());
                array[i] = value;
            }
        }
        JsonEdit::PushElement(_, k, token) if !arrays.is_empty() => {
            let value = placeholder(tokens, token);
            map_array(map, &arrays, k).push(value);
        }
        JsonEdit::PopElement(_, k) if !arrays.is_empty() => {
            map_array(map, &arrays, k).pop();
        }
        _ => {}
    }
}

/// The array value of the `k`-th of the keys `arrays`.
fn map_array<'a>(
    map: &'a mut serde_json::Map<String, serde_json::Value>,
    arrays: &[String],
    k: &Index,
) -> &'a mut Vec<serde_json::Value> {
    let key = &arrays[k.index(arrays.len())];
    map.get_mut(key)
        .and_then(serde_json::Value::as_array_mut)
        .unwrap()
}

/// The object on line `line` of JSON Lines text.
fn json_lines(text: &str) -> Vec<JsonLine> {
    text.lines()
        .map(|l| match serde_json::from_str(l).unwrap() {
            serde_json::Value::Object(map) => JsonLine::Object(map),
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// Serialises edited lines, putting the raw tokens in place of their placeholders.
fn json_text(lines: &[JsonLine], tokens: &[String], eol: &str, trailing_eol: bool) -> String {
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

/// The JSON Lines text of `samples` after `edits`.
fn jsonl_edited(samples: &[Sample], edits: &[JsonEdit], eol: &str, trailing_eol: bool) -> String {
    let mut lines = json_lines(&TextFormat::Jsonl.text(samples));
    let mut tokens = Vec::new();
    for edit in edits {
        apply_json(&mut lines, &mut tokens, edit);
    }
    json_text(&lines, &tokens, eol, trailing_eol)
}

fn arb_structured_jsonl(max_edits: usize) -> impl Strategy<Value = Input> {
    arb_structured_text(arb_json_edit(), max_edits, jsonl_edited)
}

fn arb_jsonl() -> impl Strategy<Value = Input> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Input::raw),
        1 => "(\\{|\\}|\\[|\\]|\"conf\"|\"pred\"|\"label\"|\"cost\"|[-0-9.e:, ]|null|NaN|\r|\n){0,60}"
            .prop_map(|s| Input::raw(s.into_bytes())),
        8 => arb_structured_jsonl(4),
    ]
}

#[test]
fn fuzz_jsonl() {
    fuzz("jsonl", 20_000, arb_jsonl(), |input| {
        check_text(input, TextFormat::Jsonl)
    });
}

/// One bad value in a valid JSON Lines trace is reported at its line, and at its column when it
/// is a number (other values are syntax or type errors of the line).
#[test]
fn fuzz_jsonl_bad_value() {
    fuzz_bad_value("jsonl-bad-value", TextFormat::Jsonl);
}

/// A JSON Lines trace whose last line is cut (no newline, an incomplete object) is reported at
/// that line as truncated.
#[test]
fn fuzz_jsonl_truncated_last_line() {
    fuzz_truncated_last_line("jsonl-truncated", TextFormat::Jsonl);
}

// ---------------------------------------------------------------------------------------------
// NPZ: archives built by hand, so that every byte of an .npy header can be wrong

/// One `.npy` array of an archive, with whatever its header should (or should not) say.
#[derive(Debug, Clone)]
struct NpyArray {
    /// Entry name in the archive (`conf.npy`).
    entry: String,
    descr: String,
    fortran: bool,
    shape: Vec<usize>,
    /// Replaces the shape tuple in the header.
    shape_text: Option<String>,
    /// Replaces the whole header dictionary.
    header_text: Option<String>,
    version: (u8, u8),
    /// Replaces the HEADER_LEN field.
    header_len: Option<u32>,
    data: Vec<u8>,
    /// Bytes of the serialised array to flip.
    flips: Vec<(Index, u8)>,
    deflate: bool,
}

fn encode_float(descr: &str, v: f64) -> Option<Vec<u8>> {
    Some(match descr {
        "<f8" => v.to_le_bytes().to_vec(),
        ">f8" => v.to_be_bytes().to_vec(),
        "<f4" => (v as f32).to_le_bytes().to_vec(),
        ">f4" => (v as f32).to_be_bytes().to_vec(),
        _ => return None,
    })
}

fn encode_int(descr: &str, v: i64) -> Option<Vec<u8>> {
    let (width, big) = match descr {
        "<i8" | "<u8" => (8, false),
        ">i8" | ">u8" => (8, true),
        "<i4" | "<u4" => (4, false),
        ">i4" | ">u4" => (4, true),
        "<i2" | "<u2" => (2, false),
        ">i2" | ">u2" => (2, true),
        "|i1" | "|u1" => (1, false),
        _ => return None,
    };
    Some(if big {
        v.to_be_bytes()[8 - width..].to_vec()
    } else {
        v.to_le_bytes()[..width].to_vec()
    })
}

/// The bytes of `value` (a float and an integer reading of it) in `descr`, if it is numeric.
fn encode(descr: &str, value: (f64, i64)) -> Option<Vec<u8>> {
    encode_float(descr, value.0).or_else(|| encode_int(descr, value.1))
}

impl NpyArray {
    fn new(name: &str, descr: &str, shape: Vec<usize>, data: Vec<u8>) -> Self {
        Self {
            entry: format!("{name}.npy"),
            descr: descr.into(),
            fortran: false,
            shape,
            shape_text: None,
            header_text: None,
            version: (1, 0),
            header_len: None,
            data,
            flips: Vec::new(),
            deflate: false,
        }
    }

    fn floats(name: &str, descr: &str, shape: Vec<usize>, values: &[f64]) -> Self {
        let data = values
            .iter()
            .flat_map(|&v| encode_float(descr, v).unwrap())
            .collect();
        Self::new(name, descr, shape, data)
    }

    fn ints(name: &str, descr: &str, shape: Vec<usize>, values: &[i64]) -> Self {
        let data = values
            .iter()
            .flat_map(|&v| encode_int(descr, v).unwrap())
            .collect();
        Self::new(name, descr, shape, data)
    }

    fn bytes(&self) -> Vec<u8> {
        let shape = self
            .shape_text
            .clone()
            .unwrap_or_else(|| match &self.shape[..] {
                [] => "()".into(),
                [n] => format!("({n},)"),
                dims => format!(
                    "({})",
                    dims.iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        let dict = self.header_text.clone().unwrap_or_else(|| {
            let fortran = if self.fortran { "True" } else { "False" };
            format!(
                "{{'descr': '{}', 'fortran_order': {fortran}, 'shape': {shape}, }}",
                self.descr
            )
        });
        let mut out = common::npy_bytes(self.version, self.header_len, &dict, &self.data);
        for (at, mask) in &self.flips {
            let i = at.index(out.len());
            out[i] ^= mask;
        }
        out
    }

    fn item_size(&self) -> usize {
        encode(&self.descr, (0.0, 0)).map_or(1, |b| b.len())
    }
}

/// The arrays of a valid archive for `samples`: `conf` and `pred`, or `probs` with `classes`
/// classes; `label` (negative when unlabeled) and `cost` when wanted or present.
fn npz_arrays(
    samples: &[Sample],
    classes: Option<usize>,
    float: &str,
    int: &str,
    with_label: bool,
) -> Vec<NpyArray> {
    let (n, l) = (samples.len(), samples[0].conf.len());
    let mut arrays = Vec::new();
    let class_of = |c: u32| match classes {
        Some(k) => c as usize % k,
        None => c as usize,
    };
    match classes {
        Some(k) => {
            let mut probs = Vec::new();
            for s in samples {
                for e in 0..l {
                    for j in 0..k {
                        let top = j == class_of(s.pred[e]);
                        probs.push(if top { s.conf[e] } else { s.conf[e] * 0.5 });
                    }
                }
            }
            arrays.push(NpyArray::floats("probs", float, vec![n, l, k], &probs));
        }
        None => {
            let conf: Vec<f64> = samples.iter().flat_map(|s| s.conf.clone()).collect();
            let pred: Vec<i64> = samples
                .iter()
                .flat_map(|s| s.pred.iter().map(|&p| i64::from(p)))
                .collect();
            // One-byte integers cannot hold classes of 128 and more.
            let wide = pred.iter().any(|&p| p > 127);
            let int = if wide && int.ends_with('1') {
                "<i8"
            } else {
                int
            };
            arrays.push(NpyArray::floats("conf", float, vec![n, l], &conf));
            arrays.push(NpyArray::ints("pred", int, vec![n, l], &pred));
        }
    }
    if with_label {
        let label: Vec<i64> = samples
            .iter()
            .map(|s| s.label.map_or(-1, |c| class_of(c) as i64))
            .collect();
        arrays.push(NpyArray::ints("label", "<i8", vec![n], &label));
    }
    if samples[0].cost.is_some() {
        let cost: Vec<f64> = samples
            .iter()
            .flat_map(|s| s.cost.clone().unwrap())
            .collect();
        arrays.push(NpyArray::floats("cost", "<f8", vec![n, l], &cost));
    }
    arrays
}

/// The samples an archive made by [`npz_arrays`] holds: confidences rounded to `f32` if stored
/// so, classes of `probs` taken modulo its width (class 0 when all probabilities are 0).
fn npz_samples(
    samples: &[Sample],
    classes: Option<usize>,
    f32_conf: bool,
    with_label: bool,
) -> Vec<Sample> {
    let round = |c: f64| if f32_conf { f64::from(c as f32) } else { c };
    let class_of = |c: u32| classes.map_or(c, |k| c % k as u32);
    samples
        .iter()
        .map(|s| Sample {
            conf: s.conf.iter().map(|&c| round(c)).collect(),
            pred: s
                .conf
                .iter()
                .zip(&s.pred)
                .map(|(&c, &p)| match classes {
                    Some(_) if round(c) == 0.0 => 0,
                    _ => class_of(p),
                })
                .collect(),
            label: s.label.filter(|_| with_label).map(class_of),
            cost: s.cost.clone(),
        })
        .collect()
}

#[derive(Debug, Clone)]
enum NpzEdit {
    Descr(Index, String),
    Shape(Index, Index),
    Fortran(Index),
    HeaderText(Index, String),
    Version(Index, (u8, u8)),
    HeaderLen(Index, u32),
    TruncateData(Index, Index),
    ExtraData(Index, Vec<u8>),
    SetValue(Index, Index, (f64, i64)),
    Rename(Index, String),
    Drop(Index),
    Duplicate(Index),
    Flip(Index, Index, u8),
    Deflate(Index),
}

/// Shapes that disagree with the data or with each other, overflow, or are not shapes.
fn shape_variants(shape: &[usize]) -> Vec<String> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let product: usize = shape.iter().product();
    let mut reversed = dims.clone();
    reversed.reverse();
    vec![
        "()".into(),
        format!("({product},)"),
        format!("({}, 1)", dims.join(", ")),
        format!("(1, {})", dims.join(", ")),
        format!("({}, )", reversed.join(", ")),
        "(0, 2)".into(),
        "(2, 0)".into(),
        "(0,)".into(),
        "(0, 0, 0)".into(),
        "(0, 9223372036854775808)".into(),
        "(0, 18446744073709551615, 2)".into(),
        "(9223372036854775807, 0)".into(),
        "(1099511627776,)".into(),
        "(4294967296, 4294967296)".into(),
        "(1099511627776, 2)".into(),
        "(3, 1099511627776, 4)".into(),
        "(2305843009213693952,)".into(),
        "(-1, 2)".into(),
        "(2.5,)".into(),
        format!("[{}]", dims.join(", ")),
        format!("({}", dims.join(", ")),
        "None".into(),
        "'x'".into(),
        "(True,)".into(),
        "(3, 2, 1, 1, 1, 1, 1, 1)".into(),
        "(99999999999999999999999,)".into(),
        format!("{}{}", "(".repeat(200), ")".repeat(200)),
    ]
}

fn arb_npz_edit() -> impl Strategy<Value = NpzEdit> {
    let descr = select(vec![
        "<f8",
        "<f4",
        ">f8",
        ">f4",
        "<f2",
        "<i8",
        "<i4",
        "<i2",
        "|i1",
        "|u1",
        "<u2",
        "<u4",
        "<u8",
        ">i8",
        "|b1",
        "<c16",
        "<U4",
        "|S3",
        "|O",
        "<M8[ns]",
        "f8",
        "<f16",
        "",
        "[('a', '<f8')]",
    ])
    .prop_map(String::from);
    let header = prop_oneof![
        4 => select(vec![
            String::new(),
            "{}".into(),
            "{'descr': '<f8'}".into(),
            "{'descr': '<f8', 'fortran_order': False}".into(),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}".into(),
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}".into(),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'descr': '<i8'}".into(),
            "{'descr': b'<f8', 'fortran_order': False, 'shape': (1,)}".into(),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }".into(),
            "{'descr': 'é', 'fortran_order': False, 'shape': (1,)}".into(),
            "[]".into(),
            "None".into(),
            "{".into(),
            "(".repeat(30_000),
            format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
            "{'a': ".repeat(3000),
        ]),
        1 => "[ -~]{0,40}",
    ];
    let version = select(vec![
        (1, 0),
        (2, 0),
        (3, 0),
        (0, 0),
        (4, 0),
        (1, 1),
        (255, 255),
    ]);
    let header_len = prop_oneof![
        select(vec![
            0u32,
            1,
            10,
            63,
            64,
            65535,
            65536,
            1 << 20,
            1 << 30,
            u32::MAX
        ]),
        any::<u32>(),
    ];
    let value = select(vec![
        (f64::NAN, -1),
        (f64::INFINITY, i64::MAX),
        (f64::NEG_INFINITY, i64::MIN),
        (-1.0, 65535),
        (1.5, 65534),
        (1e300, 255),
        (-0.0, 256),
        (0.5, 4_294_967_296),
    ]);
    let entry = select(vec![
        "conf",
        "conf.npy",
        "pred.npy",
        "label.npy",
        "cost.npy",
        "probs.npy",
        "x.npy",
        "",
        ".npy",
        "conf/x.npy",
        "CONF.npy",
        "../conf.npy",
        "conf.npy.npy",
        "pred",
    ])
    .prop_map(String::from);
    prop_oneof![
        2 => (any::<Index>(), descr).prop_map(|(a, d)| NpzEdit::Descr(a, d)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, s)| NpzEdit::Shape(a, s)),
        1 => any::<Index>().prop_map(NpzEdit::Fortran),
        1 => (any::<Index>(), header).prop_map(|(a, h)| NpzEdit::HeaderText(a, h)),
        1 => (any::<Index>(), version).prop_map(|(a, v)| NpzEdit::Version(a, v)),
        1 => (any::<Index>(), header_len).prop_map(|(a, l)| NpzEdit::HeaderLen(a, l)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, at)| NpzEdit::TruncateData(a, at)),
        1 => (any::<Index>(), vec(any::<u8>(), 1..16)).prop_map(|(a, b)| NpzEdit::ExtraData(a, b)),
        3 => (any::<Index>(), any::<Index>(), value).prop_map(|(a, i, v)| NpzEdit::SetValue(a, i, v)),
        1 => (any::<Index>(), entry).prop_map(|(a, e)| NpzEdit::Rename(a, e)),
        1 => any::<Index>().prop_map(NpzEdit::Drop),
        1 => any::<Index>().prop_map(NpzEdit::Duplicate),
        1 => (any::<Index>(), any::<Index>(), 1u8..=255).prop_map(|(a, i, m)| NpzEdit::Flip(a, i, m)),
        1 => any::<Index>().prop_map(NpzEdit::Deflate),
    ]
}

fn apply_npz(arrays: &mut Vec<NpyArray>, edit: &NpzEdit) {
    if arrays.is_empty() {
        return;
    }
    let n = arrays.len();
    let pick = |i: &Index| i.index(n);
    match edit {
        NpzEdit::Drop(a) => {
            arrays.remove(pick(a));
        }
        NpzEdit::Duplicate(a) => {
            let a = pick(a);
            arrays.insert(a, arrays[a].clone());
        }
        NpzEdit::Descr(a, descr) => arrays[pick(a)].descr = descr.clone(),
        NpzEdit::Shape(a, s) => {
            let array = &mut arrays[pick(a)];
            let variants = shape_variants(&array.shape);
            array.shape_text = Some(variants[s.index(variants.len())].clone());
        }
        NpzEdit::Fortran(a) => {
            let array = &mut arrays[pick(a)];
            array.fortran = !array.fortran;
        }
        NpzEdit::HeaderText(a, text) => arrays[pick(a)].header_text = Some(text.clone()),
        NpzEdit::Version(a, v) => arrays[pick(a)].version = *v,
        NpzEdit::HeaderLen(a, len) => arrays[pick(a)].header_len = Some(*len),
        NpzEdit::TruncateData(a, at) => {
            let data = &mut arrays[pick(a)].data;
            data.truncate(at.index(data.len().max(1)));
        }
        NpzEdit::ExtraData(a, bytes) => arrays[pick(a)].data.extend(bytes),
        NpzEdit::SetValue(a, i, value) => {
            let array = &mut arrays[pick(a)];
            let size = array.item_size();
            let items = array.data.len() / size;
            if let (Some(bytes), true) = (encode(&array.descr, *value), items > 0) {
                let at = i.index(items) * size;
                array.data[at..at + size].copy_from_slice(&bytes);
            }
        }
        NpzEdit::Rename(a, entry) => arrays[pick(a)].entry = entry.clone(),
        NpzEdit::Flip(a, i, mask) => arrays[pick(a)].flips.push((*i, *mask)),
        NpzEdit::Deflate(a) => {
            let array = &mut arrays[pick(a)];
            array.deflate = !array.deflate;
        }
    }
}

/// An `.npz` file: bytes, and for an unmutated archive the samples it holds.
#[derive(Clone)]
struct Archive {
    bytes: Vec<u8>,
    expected: Option<Vec<Sample>>,
    /// How it was made, for failure reports.
    description: String,
}

impl fmt::Debug for Archive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

fn arb_structured_npz(max_edits: usize) -> impl Strategy<Value = Archive> {
    (
        arb_samples(),
        option::of(1usize..=4),
        select(vec!["<f8", "<f4", ">f8", ">f4"]),
        select(vec!["<i8", "<i4", "<i2", "|u1", "|i1", "<u2", "<u4", "<u8", ">i8", ">i4"]),
        any::<bool>(),
        any::<bool>(),
        vec(arb_npz_edit(), 0..=max_edits),
        vec(arb_byte_edit(), 0..=max_edits.min(1)),
    )
        .prop_map(
            |(samples, classes, float, int, with_label, deflate, edits, byte_edits)| {
                let mut arrays = npz_arrays(&samples, classes, float, int, with_label);
                for array in &mut arrays {
                    array.deflate = deflate;
                }
                for edit in &edits {
                    apply_npz(&mut arrays, edit);
                }
                let entries: Vec<(String, Vec<u8>, bool)> = arrays
                    .iter()
                    .map(|a| (a.entry.clone(), a.bytes(), a.deflate))
                    .collect();
                let mut bytes = common::zip_archive(&entries);
                for edit in &byte_edits {
                    apply_bytes(&mut bytes, edit);
                }
                let valid = edits.is_empty() && byte_edits.is_empty();
                let expected = valid.then(|| {
                    npz_samples(&samples, classes, float.ends_with('4'), with_label)
                });
                let description = format!(
                    "{} samples x {} exits, classes {classes:?}, {float}/{int}, label {with_label}, \
                     edits {edits:?}, byte edits {byte_edits:?}, arrays {:?}",
                    samples.len(),
                    samples[0].conf.len(),
                    arrays
                        .iter()
                        .map(|a| (&a.entry, &a.descr, &a.shape_text, &a.header_text))
                        .collect::<Vec<_>>()
                );
                Archive {
                    bytes,
                    expected,
                    description,
                }
            },
        )
}

fn arb_npz() -> impl Strategy<Value = Archive> {
    let name =
        select(vec!["conf.npy", "pred.npy", "probs.npy", "label.npy", "x"]).prop_map(String::from);
    prop_oneof![
        1 => vec(any::<u8>(), 0..512).prop_map(|bytes| Archive {
            description: format!("raw {bytes:?}"),
            bytes,
            expected: None,
        }),
        1 => vec((name, vec(any::<u8>(), 0..128), any::<bool>()), 0..4).prop_map(|entries| Archive {
            bytes: common::zip_archive(&entries),
            expected: None,
            description: format!("entries {entries:?}"),
        }),
        8 => arb_structured_npz(3),
    ]
}

fn check_npz(path: &Path, archive: &Archive) -> TestCaseResult {
    std::fs::write(path, &archive.bytes).unwrap();
    match read_npz(path) {
        Ok(trace) => {
            accepted();
            check_trace(&trace)?;
            if let Some(expected) = &archive.expected {
                let samples: Vec<Sample> = (0..trace.samples()).map(|s| trace.sample(s)).collect();
                prop_assert_eq!(&samples, expected);
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                archive.expected.is_none(),
                "a valid archive was rejected: {message}"
            );
            check_message(&message, &path.display().to_string())?;
            prop_assert!(
                !matches!(e.location, Some(Location::Line(_))),
                "an archive has no lines: {message}"
            );
        }
    }
    Ok(())
}

#[test]
fn fuzz_npz() {
    let dir = scratch_dir();
    let path = dir.path().join("fuzz.npz");
    fuzz("npz", 10_000, arb_npz(), |archive| {
        check_npz(&path, &archive)
    });
}

// ---------------------------------------------------------------------------------------------
// Run configs: the valid configs of experiments/ with keys removed, retyped, spoiled or added

/// The run configs of `experiments/` (the `sparsity-*` ones configure training instead).
fn base_configs() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("splitee-"))
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "run configs in {}", dir.display());
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum TomlEdit {
    Remove(Index, Index),
    Set(Index, Index, toml::Value),
    SetElement(Index, Index, Index, toml::Value),
    Add(Index, String, toml::Value),
    AddSection(String),
    Swap((Index, Index), (Index, Index)),
}

fn toml_table(pairs: &[(&str, toml::Value)]) -> toml::Value {
    toml::Value::Table(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Values of the wrong type, or of the right type but out of range, or just valid.
fn arb_toml_value() -> impl Strategy<Value = toml::Value> {
    use toml::Value as V;
    let strings = [
        "",
        "linear",
        "table",
        "measured",
        "profile",
        "splitee-2023",
        "published",
        "strict",
        "oracle",
        "given",
        "shuffle",
        "splitee",
        "splitee-s:strict",
        "fixed:0",
        "fixed:3",
        "fixed:99999999999999999999",
        "a\nb",
        "net.profile.json",
        "../x.csv",
        "ucb1:0.5",
        "ucb1:nan",
        "ucb1:-1",
        "sw-ucb:0",
        "sw-ucb:99999999999999999999",
        "exp3:2",
        "eps-greedy:1.5",
        "thompson:",
        "kl-ucb+s",
        "d-ucb:1",
        "splitee-s:",
    ];
    let mut values: Vec<V> = vec![
        V::Integer(-1),
        V::Integer(0),
        V::Integer(1),
        V::Integer(2),
        V::Integer(20),
        V::Integer(i64::MAX),
        V::Integer(i64::MIN),
        V::Float(f64::NAN),
        V::Float(f64::INFINITY),
        V::Float(f64::NEG_INFINITY),
        V::Float(-1.0),
        V::Float(-0.0),
        V::Float(0.0),
        V::Float(0.5),
        V::Float(1.5),
        V::Float(1e308),
        V::Float(5e-324),
        V::Boolean(true),
        V::Datetime("1979-05-27T07:32:00Z".parse().unwrap()),
        V::Array(vec![]),
        V::Array(vec![V::Float(0.1)]),
        V::Array(vec![V::Float(-1.0)]),
        V::Array(vec![V::Float(f64::NAN)]),
        V::Array(vec![V::String("splitee".into())]),
        V::Array(vec![V::String("a\nb".into())]),
        V::Array(vec![V::Integer(1), V::String("x".into())]),
        V::Array(vec![V::Array(vec![V::Float(0.1)])]),
        V::Array((1..=12).map(|k| V::Float(f64::from(k) / 10.0)).collect()),
        toml_table(&[]),
        toml_table(&[
            ("start", V::Float(0.1)),
            ("stop", V::Float(0.6)),
            ("step", V::Float(0.05)),
        ]),
        toml_table(&[
            ("start", V::Float(0.0)),
            ("stop", V::Float(1e300)),
            ("step", V::Float(1e-300)),
        ]),
        toml_table(&[
            ("start", V::Float(-1e308)),
            ("stop", V::Float(1e308)),
            ("step", V::Float(1.0)),
        ]),
        toml_table(&[
            ("start", V::Float(0.0)),
            ("stop", V::Float(1.0)),
            ("step", V::Float(0.0)),
        ]),
        toml_table(&[("a", V::Integer(1))]),
    ];
    values.extend(strings.iter().map(|s| V::String(s.to_string())));
    select(values)
}

fn arb_toml_edit() -> impl Strategy<Value = TomlEdit> {
    let key = select(vec![
        "lamda",
        "",
        "a\nb",
        "names",
        "alpha",
        "runs",
        "model",
        "paths",
        "x.y",
        "ü",
        "lambda",
        "offload",
        "focus_offload",
        "traces",
        "compat",
    ])
    .prop_map(String::from);
    let section = select(vec![
        "plicy",
        "sweep",
        "report",
        "published",
        "trace",
        "cost",
        "policy",
        "run",
        "a\nb",
        "",
    ])
    .prop_map(String::from);
    prop_oneof![
        2 => (any::<Index>(), any::<Index>()).prop_map(|(s, k)| TomlEdit::Remove(s, k)),
        5 => (any::<Index>(), any::<Index>(), arb_toml_value()).prop_map(|(s, k, v)| TomlEdit::Set(s, k, v)),
        2 => (any::<Index>(), any::<Index>(), any::<Index>(), arb_toml_value())
            .prop_map(|(s, k, i, v)| TomlEdit::SetElement(s, k, i, v)),
        1 => (any::<Index>(), key, arb_toml_value()).prop_map(|(s, k, v)| TomlEdit::Add(s, k, v)),
        1 => section.prop_map(TomlEdit::AddSection),
        1 => any::<((Index, Index), (Index, Index))>().prop_map(|(a, b)| TomlEdit::Swap(a, b)),
    ]
}

/// The value at key `k` of section `s` (or section `s` itself if it is not a table).
fn toml_slot<'a>(table: &'a mut toml::Table, s: &Index, k: &Index) -> Option<&'a mut toml::Value> {
    if table.is_empty() {
        return None;
    }
    let key = table.keys().nth(s.index(table.len())).unwrap().clone();
    let inner = match &table[&key] {
        toml::Value::Table(section) if !section.is_empty() => {
            Some(section.keys().nth(k.index(section.len())).unwrap().clone())
        }
        _ => None,
    };
    let value = table.get_mut(&key).unwrap();
    match (value, inner) {
        (toml::Value::Table(section), Some(inner)) => section.get_mut(&inner),
        (other, _) => Some(other),
    }
}

fn apply_toml(table: &mut toml::Table, edit: &TomlEdit) {
    match edit {
        TomlEdit::AddSection(name) => {
            table.insert(name.clone(), toml_table(&[]));
        }
        TomlEdit::Remove(s, k) if !table.is_empty() => {
            let key = table.keys().nth(s.index(table.len())).unwrap().clone();
            match table.get_mut(&key) {
                Some(toml::Value::Table(section)) if !section.is_empty() => {
                    let inner = section.keys().nth(k.index(section.len())).unwrap().clone();
                    section.remove(&inner);
                }
                _ => {
                    table.remove(&key);
                }
            }
        }
        TomlEdit::Set(s, k, value) => {
            if let Some(slot) = toml_slot(table, s, k) {
                *slot = value.clone();
            }
        }
        TomlEdit::SetElement(s, k, i, value) => {
            if let Some(toml::Value::Array(array)) = toml_slot(table, s, k) {
                if array.is_empty() {
                    array.push(value.clone());
                } else {
                    let i = i.index(array.len());
                    array[i] = value.clone();
                }
            }
        }
        TomlEdit::Add(s, key, value) if !table.is_empty() => {
            let section = table.keys().nth(s.index(table.len())).unwrap().clone();
            match table.get_mut(&section) {
                Some(toml::Value::Table(section)) => {
                    section.insert(key.clone(), value.clone());
                }
                _ => {
                    table.insert(key.clone(), value.clone());
                }
            }
        }
        TomlEdit::Swap((s1, k1), (s2, k2)) => {
            let a = toml_slot(table, s1, k1).map(|v| v.clone());
            let b = toml_slot(table, s2, k2).map(|v| v.clone());
            if let (Some(a), Some(b)) = (a, b) {
                *toml_slot(table, s1, k1).unwrap() = b;
                *toml_slot(table, s2, k2).unwrap() = a;
            }
        }
        TomlEdit::Remove(..) | TomlEdit::Add(..) => {}
    }
}

fn arb_structured_config(max_edits: usize) -> impl Strategy<Value = Input> {
    let bases = base_configs();
    let count = bases.len();
    let config_lines = vec![
        "[run]",
        "[cost]",
        "[[run]]",
        "runs = 3",
        "alpha = 0.5",
        "lambda = -1",
        "x = ",
        "= 1",
        "a = [",
        "\"",
        "[",
        "model = \"linear\"",
        "mu = nan",
        "runs = 1e3",
        "seed = -1",
    ];
    (
        0..count,
        any::<bool>(),
        vec(arb_toml_edit(), 0..=max_edits),
        vec(arb_line_edit(config_lines), 0..=max_edits.min(2)),
        vec(arb_byte_edit(), 0..=max_edits.min(1)),
    )
        .prop_map(move |(base, reformat, edits, line_edits, byte_edits)| {
            let text = &bases[base];
            // Reformatted by the toml crate when edited (which drops the comments).
            let text = if reformat || !edits.is_empty() {
                let mut table: toml::Table = text.parse().unwrap();
                for edit in &edits {
                    apply_toml(&mut table, edit);
                }
                toml::to_string(&table).unwrap_or_default()
            } else {
                text.clone()
            };
            let text = if line_edits.is_empty() {
                text
            } else {
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                for edit in &line_edits {
                    apply_line_edit(&mut lines, edit, String::from);
                }
                join_lines(lines, "\n", true)
            };
            let mut bytes = text.into_bytes();
            for edit in &byte_edits {
                apply_bytes(&mut bytes, edit);
            }
            let valid = edits.is_empty() && line_edits.is_empty() && byte_edits.is_empty();
            Input {
                bytes,
                // Valid configs resolve; `expected` is only a marker here.
                expected: valid.then(Vec::new),
            }
        })
}

fn arb_config() -> impl Strategy<Value = Input> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Input::raw),
        1 => "(\\[[a-z]{1,7}\\]|[a-z_]{1,8} = (-?[0-9.]{1,6}|\"[a-z:0-9-]*\"|\\[[0-9., ]*\\]|nan|inf|true|\\{\\})|\n){0,20}"
            .prop_map(|s| Input::raw(s.into_bytes())),
        8 => arb_structured_config(4),
    ]
}

/// The line a config message names (`FILE: line N: ...`), if any.
fn named_line(message: &str, file: &str) -> Option<u64> {
    let rest = message.strip_prefix(&format!("{file}: line "))?;
    rest.split(':').next()?.parse().ok()
}

fn check_config(path: &Path, input: &Input) -> TestCaseResult {
    std::fs::write(path, &input.bytes).unwrap();
    let file = path.display().to_string();
    let result = RunSettings::resolve_with_sections(Some(path), Overrides::default());
    if result.is_ok() {
        accepted();
    }
    if let Err(e) = result {
        let message = e.to_string();
        prop_assert!(
            input.expected.is_none(),
            "a valid config was rejected: {message}"
        );
        check_message(&message, &file)?;
        if let Some(line) = named_line(&message, &file) {
            let lines = line_count(&input.bytes);
            prop_assert!(
                (1..=lines).contains(&line),
                "line {line} of {lines}: {message}"
            );
        }
    }
    Ok(())
}

#[test]
fn fuzz_config() {
    let dir = scratch_dir();
    let path = dir.path().join("fuzz.toml");
    fuzz("config", 10_000, arb_config(), |input| {
        check_config(&path, &input)
    });
}

// ---------------------------------------------------------------------------------------------
// The --trace loader: files of every format, plain or gzipped, alone or concatenated

/// A trace file for the loader: its name's extension, bytes, and for a valid file its samples
/// count, exits and whether it has costs.
#[derive(Clone)]
struct TraceFile {
    extension: &'static str,
    bytes: Vec<u8>,
    expected: Option<(usize, usize, bool)>,
}

impl fmt::Debug for TraceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "*{} {:?} (expected {:?})",
            self.extension,
            String::from_utf8_lossy(&self.bytes),
            self.expected
        )
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Text trace bytes under a name: gzipped if the name says so (and maybe cut short).
fn text_file(
    input: Input,
    extension: &'static str,
    right_extension: bool,
    cut_gzip: Option<Index>,
) -> TraceFile {
    let shape = input
        .expected
        .as_ref()
        .map(|s| (s.len(), s[0].conf.len(), s[0].cost.is_some()));
    let (bytes, intact) = if extension.ends_with(".gz") {
        let mut gz = gzip(&input.bytes);
        match cut_gzip {
            Some(at) => {
                gz.truncate(at.index(gz.len()));
                (gz, false)
            }
            None => (gz, true),
        }
    } else {
        (input.bytes, true)
    };
    TraceFile {
        extension,
        bytes,
        expected: shape.filter(|_| right_extension && intact),
    }
}

fn arb_trace_file() -> impl Strategy<Value = TraceFile> {
    let csv = (
        arb_structured_csv(1),
        select(vec![".csv", ".CSV", ".csv.gz", ".txt", ".jsonl"]),
        option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(input, ext, cut)| {
            let right = ext.to_ascii_lowercase().starts_with(".csv");
            text_file(input, ext, right, cut)
        });
    let jsonl = (
        arb_structured_jsonl(1),
        select(vec![".jsonl", ".ndjson", ".jsonl.gz", ".json", ".csv"]),
        option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(input, ext, cut)| {
            let right = matches!(ext, ".jsonl" | ".ndjson" | ".jsonl.gz");
            text_file(input, ext, right, cut)
        });
    let npz = (
        arb_structured_npz(1),
        select(vec![".npz", ".NPZ", ".npz.gz", ".csv"]),
    )
        .prop_map(|(archive, ext)| TraceFile {
            extension: ext,
            bytes: archive.bytes,
            expected: archive
                .expected
                .filter(|_| ext.eq_ignore_ascii_case(".npz"))
                .map(|s| (s.len(), s[0].conf.len(), s[0].cost.is_some())),
        });
    prop_oneof![csv, jsonl, npz]
}

fn check_load(dir: &Path, files: &[TraceFile]) -> TestCaseResult {
    let paths: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = dir.join(format!("t{i}{}", f.extension));
            std::fs::write(&path, &f.bytes).unwrap();
            path
        })
        .collect();
    let result = match &paths[..] {
        [one] => trace::load(one),
        several => trace::load_concatenated(several),
    };
    let expected: Option<Vec<(usize, usize, bool)>> = files.iter().map(|f| f.expected).collect();
    // Concatenated traces must agree on exits and costs (an archive's costs are not tracked).
    let expected = expected.filter(|e| e.iter().all(|&(_, l, c)| (l, c) == (e[0].1, e[0].2)));
    match result {
        Ok(trace) => {
            accepted();
            check_trace(&trace)?;
            if let Some(expected) = expected {
                let samples: usize = expected.iter().map(|e| e.0).sum();
                prop_assert_eq!((trace.samples(), trace.exits()), (samples, expected[0].1));
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(expected.is_none(), "a valid trace was rejected: {message}");
            prop_assert!(!message.contains(['\n', '\r']), "not one line: {message:?}");
            let named = paths
                .iter()
                .position(|p| message.starts_with(&format!("{}: ", p.display())));
            prop_assert!(named.is_some(), "names no file: {message:?}");
            if let Some(Location::Line(_)) = e.location {
                let ext = files[named.unwrap()].extension.to_ascii_lowercase();
                prop_assert!(!ext.contains("npz"), "a line in an archive: {message}");
            }
        }
    }
    Ok(())
}

#[test]
fn fuzz_load() {
    let dir = scratch_dir();
    fuzz("load", 5000, vec(arb_trace_file(), 1..=2), |files| {
        check_load(dir.path(), &files)
    });
}
