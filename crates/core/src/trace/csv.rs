//! Canonical wide CSV traces (SPEC section 4).
//!
//! A header is required and columns are found by name, in any order: `label` (optional; an empty
//! cell is an unlabeled sample), and for every exit `k = 1..L` the columns `conf_k` and `pred_k`,
//! plus `cost_k` for all exits or none. A trace with no `conf_k` column at all is
//! prediction-only (`pred_k` for every exit, as UEE-UCB's prediction matrices). An optional
//! `context` column names each sample's condition (a label or an integer, on every row), and an
//! optional `arrival` column when each sample arrived (seconds since the start, non-negative,
//! non-decreasing, on every row). Other columns (a sample id, say) are ignored. Lines
//! starting with `#` are comments. A `.gz` suffix means the file is gzip-compressed.

use super::validate::{open_maybe_gzipped, RawSample, SampleValidator};
use super::{Location, Sample, TraceError};
use crate::lines::{BoundedRead, LineError};
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Streams samples from a canonical CSV trace, one record at a time (memory does not depend on
/// the trace length). Stops after the first error.
pub struct CsvSamples {
    reader: ::csv::Reader<LineCountingReader>,
    line_breaks: LineBreaks,
    layout: Layout,
    validator: SampleValidator,
    record: ::csv::StringRecord,
    failed: bool,
}

/// Where each field of a sample sits in a record.
#[derive(Debug)]
struct Layout {
    label: Option<usize>,
    conf: Vec<usize>,
    pred: Vec<usize>,
    cost: Option<Vec<usize>>,
    context: Option<usize>,
    arrival: Option<usize>,
}

impl CsvSamples {
    /// Opens a `.csv` or `.csv.gz` file and reads its header.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Self::new(open_maybe_gzipped(path)?, path.to_path_buf())
    }

    /// Reads a CSV trace from `input`, naming it `path` in messages. Fails if the header is
    /// missing or does not describe a trace.
    pub fn new(input: impl Read + Send + 'static, path: PathBuf) -> Result<Self, TraceError> {
        let line_breaks = LineBreaks::default();
        let mut reader = ::csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(::csv::Trim::All)
            .from_reader(LineCountingReader {
                inner: Box::new(BoundedRead::new(input)),
                line_breaks: line_breaks.clone(),
            });
        let header = reader.headers().cloned();
        let header_line = line_breaks.line_ending_at(reader.position().byte());
        let header = header.map_err(|e| csv_error(&path, Location::Line(header_line), e, false))?;
        let layout = Layout::from_header(&header).map_err(|(column, message)| {
            TraceError::at(
                &path,
                Location::Line(header_line),
                column.as_deref(),
                message,
            )
        })?;
        Ok(Self {
            reader,
            line_breaks,
            layout,
            validator: SampleValidator::new(&path),
            record: ::csv::StringRecord::new(),
            failed: false,
        })
    }

    /// Parses the record just read, at `line`. When the record is the input's last line and has
    /// no line break (`unterminated`), a missing or unreadable last cell is reported as a
    /// truncated line.
    fn parse_record(&self, line: u64, unterminated: bool) -> Result<RawSample, TraceError> {
        let cell = |index: usize| self.record.get(index).unwrap_or_default();
        let cut_short = |index: usize| unterminated && index + 1 == self.record.len();
        // The column name is only formatted for a message: this runs for every cell.
        let number = |index: usize, prefix: &str, exit: Option<usize>| {
            parse_number(cell(index)).map_err(|message| {
                let column = exit.map_or_else(|| prefix.to_string(), |k| format!("{prefix}_{k}"));
                let message = if cut_short(index) {
                    truncated(&message)
                } else {
                    message
                };
                TraceError::at(
                    self.validator.path(),
                    Location::Line(line),
                    Some(&column),
                    message,
                )
            })
        };
        let numbers = |indices: &[usize], prefix: &str| {
            indices
                .iter()
                .enumerate()
                .map(|(k, &index)| number(index, prefix, Some(k + 1)))
                .collect::<Result<Vec<f64>, TraceError>>()
        };
        let label = match self.layout.label {
            Some(index) if !cell(index).is_empty() => Some(number(index, "label", None)?),
            _ => None,
        };
        Ok(RawSample {
            conf: numbers(&self.layout.conf, "conf")?,
            pred: numbers(&self.layout.pred, "pred")?,
            label,
            cost: match &self.layout.cost {
                Some(indices) => Some(numbers(indices, "cost")?),
                None => None,
            },
            // An empty cell is passed on as given, for the validator to name.
            context: self.layout.context.map(|index| cell(index).to_string()),
            arrival: match self.layout.arrival {
                Some(index) => Some(number(index, "arrival", None)?),
                None => None,
            },
        })
    }

    fn next_sample(&mut self) -> Option<Result<Sample, TraceError>> {
        let read = self.reader.read_record(&mut self.record);
        let end = self.reader.position().byte();
        let line = self.line_breaks.line_ending_at(end);
        let unterminated = self.line_breaks.unterminated_at(end);
        match read {
            Ok(false) => None,
            Ok(true) => Some(
                self.parse_record(line, unterminated)
                    .and_then(|raw| self.validator.validate(raw, Location::Line(line))),
            ),
            Err(e) => Some(Err(csv_error(
                self.validator.path(),
                Location::Line(line),
                e,
                unterminated,
            ))),
        }
    }
}

impl Iterator for CsvSamples {
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

/// The kind of a recognised column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Conf,
    Pred,
    Cost,
}

impl Field {
    fn prefix(self) -> &'static str {
        match self {
            Field::Conf => "conf",
            Field::Pred => "pred",
            Field::Cost => "cost",
        }
    }
}

type HeaderProblem = (Option<String>, String);

impl Layout {
    fn from_header(header: &::csv::StringRecord) -> Result<Self, HeaderProblem> {
        if header.iter().all(str::is_empty) {
            return Err((None, "the file is empty: a header line is required".into()));
        }
        let mut label = None;
        let mut context = None;
        let mut arrival = None;
        // (field, exit) -> column index; a BTreeMap so exits come out in order.
        let mut columns: BTreeMap<(Field, usize), usize> = BTreeMap::new();
        for (index, name) in header.iter().enumerate() {
            let seen_before = if name == "label" {
                label.replace(index).is_some()
            } else if name == "context" {
                context.replace(index).is_some()
            } else if name == "arrival" {
                arrival.replace(index).is_some()
            } else if let Some(key) = per_exit_column(name)? {
                columns.insert(key, index).is_some()
            } else {
                false // not a trace column: ignored
            };
            if seen_before {
                return Err(duplicate(name));
            }
        }
        let exits_of = |field: Field| -> Vec<usize> {
            columns
                .keys()
                .filter(|(f, _)| *f == field)
                .map(|&(_, k)| k)
                .collect()
        };
        // A trace without conf_k columns is prediction-only: its pred_k columns fix the exits.
        let has_confidences = !exits_of(Field::Conf).is_empty();
        let anchor = if has_confidences {
            Field::Conf
        } else {
            Field::Pred
        };
        let Some(&exits) = exits_of(anchor).last() else {
            return Err((
                None,
                "no conf_k or pred_k columns: a trace needs pred_k (and conf_k, unless it is \
                 prediction-only) for every exit k = 1..L"
                    .into(),
            ));
        };
        let has_costs = !exits_of(Field::Cost).is_empty();
        for field in [Field::Conf, Field::Pred, Field::Cost] {
            if (field == Field::Cost && !has_costs) || (field == Field::Conf && !has_confidences) {
                continue;
            }
            for k in 1..=exits {
                if !columns.contains_key(&(field, k)) {
                    let column = format!("{}_{k}", field.prefix());
                    let reason = match field {
                        _ if field == anchor => format!(
                            "the header has {} columns up to {}_{exits}",
                            anchor.prefix(),
                            anchor.prefix()
                        ),
                        Field::Conf | Field::Pred => format!("{}_{k} is present", anchor.prefix()),
                        Field::Cost => {
                            "cost_k columns must be given for every exit or none".to_string()
                        }
                    };
                    return Err((Some(column), format!("missing ({reason})")));
                }
            }
            if let Some(&beyond) = exits_of(field).iter().find(|&&k| k > exits) {
                let column = format!("{}_{beyond}", field.prefix());
                let message = format!(
                    "has no matching {}_{beyond} (the last exit is {exits})",
                    anchor.prefix()
                );
                return Err((Some(column), message));
            }
        }
        let indices =
            |field: Field| -> Vec<usize> { (1..=exits).map(|k| columns[&(field, k)]).collect() };
        Ok(Layout {
            label,
            conf: if has_confidences {
                indices(Field::Conf)
            } else {
                Vec::new()
            },
            pred: indices(Field::Pred),
            cost: has_costs.then(|| indices(Field::Cost)),
            context,
            arrival,
        })
    }
}

/// Recognises `conf_k`, `pred_k` and `cost_k`; any other name is not a trace column.
fn per_exit_column(name: &str) -> Result<Option<(Field, usize)>, HeaderProblem> {
    let Some((prefix, exit)) = name.split_once('_') else {
        return Ok(None);
    };
    let field = match prefix {
        "conf" => Field::Conf,
        "pred" => Field::Pred,
        "cost" => Field::Cost,
        _ => return Ok(None),
    };
    match exit.parse::<usize>() {
        Ok(k) if k >= 1 => Ok(Some((field, k))),
        _ => Err((
            Some(name.to_string()),
            "is not a valid exit column: exits are numbered 1, 2, ...".into(),
        )),
    }
}

fn duplicate(name: &str) -> HeaderProblem {
    (
        Some(name.to_string()),
        "appears more than once in the header".into(),
    )
}

fn parse_number(cell: &str) -> Result<f64, String> {
    if cell.is_empty() {
        return Err("empty cell".into());
    }
    // Rust's parser is exact, so values written by `write_csv` (or by NumPy) read back bit for bit.
    cell.parse::<f64>()
        .map_err(|_| format!("{cell:?} is not a number"))
}

/// The message for a record that is the input's unterminated last line and lacks cells.
fn truncated(message: &str) -> String {
    format!("truncated last line ({message})")
}

/// A parser error as a trace error at `line`, the line where the parser stopped. A record with
/// too few fields on an `unterminated` last line is reported as truncated.
fn csv_error(path: &Path, line: Location, error: ::csv::Error, unterminated: bool) -> TraceError {
    match error.kind() {
        ::csv::ErrorKind::Io(e) => match LineError::too_long_in(e) {
            Some(too_long) => TraceError::from_line_error(path, too_long),
            None => TraceError::io(path, e),
        },
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            let message = format!("has {len} fields but the header has {expected_len}");
            let message = if unterminated && len < expected_len {
                truncated(&message)
            } else {
                message
            };
            TraceError::at(path, line, None, message)
        }
        ::csv::ErrorKind::Utf8 { err, .. } => TraceError::at(
            path,
            line,
            None,
            format!("field {} is not valid UTF-8", err.field() + 1),
        ),
        _ => TraceError::at(path, line, None, error.to_string()),
    }
}

/// Where the line breaks of the input are, so that records can be given their file line:
/// `csv::Position::line` does not count comment or blank lines. The input is wrapped in a
/// [`LineCountingReader`] that logs its line breaks; the parser reads ahead of the record it
/// returns, so breaks stay logged until a record has passed them (at most a buffer's worth).
#[derive(Clone, Default)]
struct LineBreaks(Arc<Mutex<LineBreakLog>>);

#[derive(Default)]
struct LineBreakLog {
    bytes_read: u64,
    /// Offsets of the line breaks read but not yet passed, in order.
    ahead: VecDeque<u64>,
    passed: u64,
    /// Whether the input has been read to its end, and its last byte.
    at_end: bool,
    last_byte: Option<u8>,
}

impl LineBreakLog {
    /// Logs the line breaks of `bytes`, read at offset `start`: every `\n`, and every `\r` not
    /// followed by `\n` (old Mac line endings, which the parser accepts too). A `\r` ending one
    /// read is judged by the next read's first byte, or as a break at the end of the input
    /// (once, however often the end is read again).
    fn log_breaks(&mut self, start: u64, bytes: &[u8]) {
        if self.last_byte == Some(b'\r') && bytes.first() != Some(&b'\n') && !self.at_end {
            self.ahead.push_back(start - 1);
        }
        let bare_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1).is_some_and(|&b| b != b'\n');
        let breaks = (0..bytes.len())
            .filter(|&i| bytes[i] == b'\n' || bare_cr(i))
            .map(|i| start + i as u64);
        self.ahead.extend(breaks);
    }
}

impl LineBreaks {
    fn log(&self) -> MutexGuard<'_, LineBreakLog> {
        // A panic elsewhere cannot leave the log inconsistent, so poisoning is ignored.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The 1-based line of a record that ends at byte `end` (just past its terminator, or past
    /// its `\r` for `\r\n`). Queries must come in increasing order of `end`.
    fn line_ending_at(&self, end: u64) -> u64 {
        let mut log = self.log();
        let last_byte = end.saturating_sub(1);
        while log.ahead.front().is_some_and(|&offset| offset < last_byte) {
            log.ahead.pop_front();
            log.passed += 1;
        }
        log.passed + 1
    }

    /// Whether a record that ends at byte `end` is the input's last line and has no line break:
    /// the input has been read to its end, it ends at `end`, and not with a line break.
    fn unterminated_at(&self, end: u64) -> bool {
        let log = self.log();
        log.at_end && end >= log.bytes_read && !matches!(log.last_byte, Some(b'\n' | b'\r'))
    }
}

/// Passes the input through to the parser, logging where its line breaks are.
struct LineCountingReader {
    inner: Box<dyn Read + Send>,
    line_breaks: LineBreaks,
}

impl Read for LineCountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut log = self.line_breaks.log();
        let start = log.bytes_read;
        log.log_breaks(start, &buf[..n]);
        log.bytes_read += n as u64;
        match n {
            0 => log.at_end |= !buf.is_empty(),
            _ => log.last_byte = Some(buf[n - 1]),
        }
        Ok(n)
    }
}

/// Writes samples as a canonical CSV trace. The layout comes from the first sample: its number of
/// exits, and `cost_k` columns if it carries costs. A `label` column is always written (an empty
/// cell for an unlabeled sample), because a stream cannot know whether a later sample is labeled.
/// Values use Rust's shortest round-trip formatting, so reading the file back gives exactly the
/// same samples. Writes nothing at all for no samples. Fails with `InvalidInput` if a sample's
/// layout differs from the first one's.
pub fn write_csv<W: Write>(
    out: W,
    samples: impl IntoIterator<Item = Sample>,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(out);
    let mut first_layout = None;
    for sample in samples {
        let layout = SampleLayout::of(&sample)?;
        match first_layout {
            None => {
                write_header(&mut out, layout)?;
                first_layout = Some(layout);
            }
            Some(first) if first != layout => {
                return Err(invalid_input(format!(
                    "cannot write a sample with {layout} after samples with {first}"
                )))
            }
            Some(_) => {}
        }
        if let Some(label) = sample.label {
            write!(out, "{label}")?;
        }
        for k in 0..layout.exits {
            if layout.has_confidences {
                write!(out, ",{}", sample.conf[k])?;
            }
            write!(out, ",{}", sample.pred[k])?;
            if let Some(cost) = &sample.cost {
                write!(out, ",{}", cost[k])?;
            }
        }
        if let Some(context) = &sample.context {
            write_cell(&mut out, context)?;
        }
        if let Some(arrival) = sample.arrival {
            write!(out, ",{arrival}")?;
        }
        writeln!(out)?;
    }
    out.flush()
}

/// The columns a sample needs: its exits and whether it carries costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SampleLayout {
    exits: usize,
    has_costs: bool,
    has_confidences: bool,
    has_context: bool,
    has_arrival: bool,
}

impl SampleLayout {
    /// The layout of `sample`, or `InvalidInput` if its vectors disagree in length (indexing them
    /// by exit is then safe).
    fn of(sample: &Sample) -> std::io::Result<Self> {
        let exits = sample.pred.len();
        let has_confidences = !sample.conf.is_empty();
        let conf_len = if has_confidences {
            sample.conf.len()
        } else {
            exits
        };
        let cost_len = sample.cost.as_ref().map_or(exits, Vec::len);
        if conf_len != exits || cost_len != exits {
            return Err(invalid_input(format!(
                "cannot write a sample with {} confidences, {exits} predictions and {cost_len} costs",
                sample.conf.len()
            )));
        }
        Ok(Self {
            exits,
            has_costs: sample.cost.is_some(),
            has_confidences,
            has_context: sample.context.is_some(),
            has_arrival: sample.arrival.is_some(),
        })
    }
}

impl std::fmt::Display for SampleLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let costs = if self.has_costs { "with" } else { "without" };
        let confidences = if self.has_confidences {
            ""
        } else {
            " and no confidences"
        };
        let context = if self.has_context {
            " and a context"
        } else {
            ""
        };
        let arrival = if self.has_arrival {
            " and an arrival time"
        } else {
            ""
        };
        write!(
            f,
            "{} exits {costs} costs{confidences}{context}{arrival}",
            self.exits
        )
    }
}

fn write_header(out: &mut impl Write, layout: SampleLayout) -> std::io::Result<()> {
    write!(out, "label")?;
    for k in 1..=layout.exits {
        if layout.has_confidences {
            write!(out, ",conf_{k}")?;
        }
        write!(out, ",pred_{k}")?;
        if layout.has_costs {
            write!(out, ",cost_{k}")?;
        }
    }
    if layout.has_context {
        write!(out, ",context")?;
    }
    if layout.has_arrival {
        write!(out, ",arrival")?;
    }
    writeln!(out)
}

/// Writes `,cell`, quoted when the cell holds a separator or a quote.
fn write_cell(out: &mut impl Write, cell: &str) -> std::io::Result<()> {
    if cell.contains([',', '"']) {
        write!(out, ",\"{}\"", cell.replace('"', "\"\""))
    } else {
        write!(out, ",{cell}")
    }
}

fn invalid_input(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}
