//! Per-exit traces: what every exit of a multi-exit network said about every sample.
//!
//! A trace is read either as a stream of [`Sample`]s (CSV and JSON Lines, memory independent of
//! the trace length) or into a compact in-memory [`Trace`] for replay. Formats are described in
//! the README and in SPEC section 4.

pub mod arrays;
mod column;
mod context;
mod csv;
mod decimal;
mod error;
mod jsonl;
mod jsonl_fast;
mod mix;
mod npz;
mod rows;
mod stats;
pub mod synth;
mod validate;

pub use self::column::{Column, ColumnBuilder};
pub use self::context::{Contexts, MAX_CONTEXTS};
pub use self::csv::{write_csv, CsvSamples};
pub use self::error::{Location, TraceError};
pub use self::jsonl::{write_jsonl, JsonlSamples, INPUT_BUFFER};
pub use self::jsonl_fast::{push_float, push_int};
pub use self::mix::mixed;
pub use self::npz::read_npz;
pub use self::stats::{ExitStats, TraceStats};
pub use self::validate::{
    decompress_if_gzipped, open_maybe_gzipped, MAX_ARRIVAL_S, MAX_CONTEXT_LEN,
};

use self::rows::Rows;
use crate::seed::Fnv1a;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Largest class index a trace may hold: classes are stored in at most 16 bits, and the largest
/// value marks a missing label.
pub const MAX_CLASS: u32 = u16::MAX as u32 - 1;

/// One sample as read from a stream: confidence and prediction of every exit, its label if known
/// and the measured cost of reaching every exit from the previous one if the trace carries it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Empty in a prediction-only trace (predictions and labels only, as UEE-UCB's prediction
    /// matrices): only rewards that need no confidence can be learned from it.
    pub conf: Vec<f64>,
    pub pred: Vec<u32>,
    pub label: Option<u32>,
    pub cost: Option<Vec<f64>>,
    /// The condition the sample was taken under (a distortion level, a device, a domain), if the
    /// trace names one: a short label (an integer is its digits). Context-conditioned learners
    /// (`per-context:NAME`) keep one learner per context; other policies ignore it.
    pub context: Option<String>,
    /// When the sample arrived, in seconds since the start of the trace, if the trace records
    /// it (non-decreasing): the queue simulator can replay these times instead of drawing
    /// Poisson arrivals.
    pub arrival: Option<f64>,
}

/// The on-disk formats a trace can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    Csv,
    Jsonl,
    Npz,
}

impl TraceFormat {
    /// The format implied by a file's extension (`.csv`, `.jsonl`/`.ndjson`, `.npz`, optionally
    /// followed by `.gz` for the text formats).
    pub fn from_path(path: &Path) -> Result<Self, TraceError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".csv") {
            Ok(Self::Csv)
        } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
            Ok(Self::Jsonl)
        } else if name.ends_with(".npz") {
            Ok(Self::Npz)
        } else {
            Err(TraceError::file(
                path,
                "unknown trace format: expected a .csv, .jsonl or .npz file",
            ))
        }
    }
}

/// A stream of samples from a text trace (CSV or JSON Lines). Samples are validated one by one;
/// the stream also checks that every row has the same number of exits.
pub type SampleStream = Box<dyn Iterator<Item = Result<Sample, TraceError>> + Send>;

/// A text trace's reader, read one sample at a time into the caller's sample, whose vectors
/// are reused (loading a trace this way allocates nothing per sample).
trait ReadSamples: Send {
    /// The next sample into `sample`; `None` at the end or after an error that ends reading.
    fn read_into(&mut self, sample: &mut Sample) -> Option<Result<(), TraceError>>;
}

impl<R: std::io::BufRead + Send> ReadSamples for JsonlSamples<R> {
    fn read_into(&mut self, sample: &mut Sample) -> Option<Result<(), TraceError>> {
        JsonlSamples::read_into(self, sample)
    }
}

impl ReadSamples for CsvSamples {
    fn read_into(&mut self, sample: &mut Sample) -> Option<Result<(), TraceError>> {
        self.next().map(|read| read.map(|read| *sample = read))
    }
}

/// Opens a CSV or JSON Lines trace as a stream of samples (`-` reads JSON Lines from stdin).
pub fn open_stream(path: &Path) -> Result<SampleStream, TraceError> {
    let mut samples = open_text(path, None)?.samples;
    Ok(Box::new(std::iter::from_fn(move || {
        let mut sample = Sample::default();
        let read = samples.read_into(&mut sample)?;
        Some(read.map(|()| sample))
    })))
}

/// A text trace opened once: its samples, and how many rows to expect.
struct OpenedText {
    samples: Box<dyn ReadSamples>,
    /// A generous estimate of the rows of an uncompressed regular file (0 when unknown), from
    /// its size and the line density of the first buffer read. Reserving it up front keeps
    /// loading from copying the trace as it grows; capacity never used is never touched.
    estimated_rows: usize,
}

/// Opens a text trace once (a named pipe cannot be opened twice): the first buffer read both
/// estimates the rows and starts the parse. Every byte read is fed to `fingerprint`, if any.
fn open_text(path: &Path, fingerprint: Option<&Fingerprint>) -> Result<OpenedText, TraceError> {
    use std::io::BufRead;
    if path.as_os_str() == "-" {
        let stdin = std::io::BufReader::with_capacity(jsonl::INPUT_BUFFER, std::io::stdin());
        return Ok(OpenedText {
            samples: Box::new(JsonlSamples::new(stdin, PathBuf::from("<stdin>"))),
            estimated_rows: 0,
        });
    }
    let format = TraceFormat::from_path(path)?;
    if format == TraceFormat::Npz {
        return Err(TraceError::file(
            path,
            "an .npz trace cannot be streamed; load it for replay instead",
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| TraceError::io(path, &e))?;
    let size = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len() as usize);
    let raw: Box<dyn std::io::Read + Send> = match fingerprint {
        Some(f) => Box::new(f.reading(file)),
        None => Box::new(file),
    };
    let gzipped = validate::is_gzipped(path);
    let mut input = std::io::BufReader::with_capacity(
        jsonl::INPUT_BUFFER,
        validate::decompress_if_gzipped(path, raw),
    );
    let estimated_rows = match size {
        Some(size) if !gzipped => {
            let head = input.fill_buf().map_err(|e| TraceError::io(path, &e))?;
            let lines = memchr::memchr_iter(b'\n', head).count();
            match lines {
                0 => 0,
                _ => (size / (head.len() / lines).max(1)) * 5 / 4,
            }
        }
        _ => 0,
    };
    let samples: Box<dyn ReadSamples> = match format {
        TraceFormat::Csv => Box::new(CsvSamples::new(input, path.to_path_buf())?),
        _ => Box::new(JsonlSamples::new(
            Box::new(input) as Box<dyn std::io::BufRead + Send>,
            path.to_path_buf(),
        )),
    };
    Ok(OpenedText {
        samples,
        estimated_rows,
    })
}

/// Loads a whole trace, in any supported format, into memory for replay.
pub fn load(path: &Path) -> Result<Trace, TraceError> {
    load_one(path, None)
}

fn load_one(path: &Path, fingerprint: Option<&Fingerprint>) -> Result<Trace, TraceError> {
    if path.as_os_str() != "-" && TraceFormat::from_path(path)? == TraceFormat::Npz {
        return npz::read_npz_fingerprinted(path, fingerprint);
    }
    let mut opened = open_text(path, fingerprint)?;
    let mut builder = TraceBuilder::new(path).with_capacity(opened.estimated_rows);
    let mut sample = Sample::default();
    while let Some(read) = opened.samples.read_into(&mut sample) {
        read?;
        builder.push(&sample);
    }
    builder.finish()
}

/// FNV-1a over the raw bytes of the files read through it, in order: a cheap fingerprint
/// tying a result to its inputs, taken while they are read (so each is read once).
#[derive(Clone, Default)]
pub struct Fingerprint(Arc<Mutex<Fnv1a>>);

impl Fingerprint {
    /// `file`, feeding every byte read from it to the fingerprint.
    pub fn reading<R: std::io::Read>(&self, file: R) -> FingerprintReader<R> {
        FingerprintReader {
            inner: file,
            fingerprint: self.clone(),
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .finish()
    }
}

/// A reader feeding a [`Fingerprint`].
pub struct FingerprintReader<R> {
    inner: R,
    fingerprint: Fingerprint,
}

impl<R: std::io::Read> std::io::Read for FingerprintReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut hash = self
            .fingerprint
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads a CSV trace built into the binary; `name` names it in
/// errors.
pub fn from_csv_bytes(csv: &'static [u8], name: &Path) -> Result<Trace, TraceError> {
    let mut builder = TraceBuilder::new(name);
    for sample in CsvSamples::new(csv, name.to_path_buf())? {
        builder.push(sample?);
    }
    builder.finish()
}

/// Loads several traces and concatenates them in order (for example to build a shifting
/// stream from real data). All must have the same number of exits.
pub fn load_concatenated(paths: &[PathBuf]) -> Result<Trace, TraceError> {
    load_all(paths, None)
}

/// [`load_concatenated`], also returning the FNV-1a hash of the files' bytes in order (each
/// file is read once, for both).
pub fn load_fingerprinted(paths: &[PathBuf]) -> Result<(Trace, u64), TraceError> {
    let fingerprint = Fingerprint::default();
    let trace = load_all(paths, Some(&fingerprint))?;
    Ok((trace, fingerprint.finish()))
}

fn load_all(paths: &[PathBuf], fingerprint: Option<&Fingerprint>) -> Result<Trace, TraceError> {
    let mut traces = paths.iter().map(|p| load_one(p, fingerprint));
    let mut first = match traces.next() {
        Some(t) => t?,
        None => return Err(TraceError::file(Path::new("<none>"), "no trace given")),
    };
    for next in traces {
        first.append(next?)?;
    }
    Ok(first)
}

/// A replayable trace held compactly in memory: one fixed-size record per sample (see
/// the `rows` module), confidences as `f32` whenever that is lossless, and measured costs, if
/// any, in a separate [`Column`].
#[derive(Debug, Clone)]
pub struct Trace {
    source: PathBuf,
    classes: usize,
    labeled: bool,
    /// False for a prediction-only trace, whose stored confidences are placeholders (0).
    confidences: bool,
    rows: Rows,
    cost: Option<Column>,
    /// Every sample's context, if the trace has a `context` column.
    contexts: Option<Contexts>,
    /// Every sample's arrival time (seconds), if the trace has an `arrival` column.
    arrivals: Option<Vec<f64>>,
    /// First sample of each segment (a file of a concatenation), starting with 0.
    segments: Vec<usize>,
}

impl Trace {
    /// Every sample's context, if the trace names them.
    pub fn contexts(&self) -> Option<&Contexts> {
        self.contexts.as_ref()
    }
    /// The context label of `sample`, if the trace names contexts.
    #[inline]
    pub fn context(&self, sample: usize) -> Option<&str> {
        self.contexts.as_ref().map(|c| c.name_of(sample))
    }
    /// Every sample's arrival time in seconds since the start (non-decreasing), if the trace
    /// has an `arrival` column.
    pub fn arrivals(&self) -> Option<&[f64]> {
        self.arrivals.as_deref()
    }
    /// The first sample of each segment: one segment per file of a concatenated trace.
    pub fn segment_starts(&self) -> &[usize] {
        &self.segments
    }
    /// Where the trace was read from (for messages and reports).
    pub fn source(&self) -> &Path {
        &self.source
    }
    /// Number of samples `N`.
    pub fn samples(&self) -> usize {
        self.rows.len()
    }
    /// Number of exits `L` (exit `L` is the final layer).
    pub fn exits(&self) -> usize {
        self.rows.exits()
    }
    /// Number of classes: one more than the largest class seen (or the width of `probs`).
    pub fn classes(&self) -> usize {
        self.classes
    }
    /// Whether any sample carries a label.
    pub fn is_labeled(&self) -> bool {
        self.labeled
    }
    /// Whether the trace carries measured per-exit costs.
    pub fn has_costs(&self) -> bool {
        self.cost.is_some()
    }
    /// Whether the trace carries confidences (false for a prediction-only trace).
    pub fn has_confidences(&self) -> bool {
        self.confidences
    }
    /// Confidence of 0-based exit `exit` on sample `sample` (0 in a prediction-only trace).
    #[inline]
    pub fn conf(&self, sample: usize, exit: usize) -> f64 {
        self.rows.conf(sample, exit)
    }
    /// Predicted class of 0-based exit `exit` on sample `sample`.
    #[inline]
    pub fn pred(&self, sample: usize, exit: usize) -> u32 {
        self.rows.pred(sample, exit)
    }
    /// The label of `sample`, if known.
    #[inline]
    pub fn label(&self, sample: usize) -> Option<u32> {
        self.rows.label(sample)
    }
    /// Measured cost of going from exit `exit - 1` to 0-based exit `exit` on `sample`, if the
    /// trace carries costs.
    #[inline]
    pub fn cost(&self, sample: usize, exit: usize) -> Option<f64> {
        self.cost
            .as_ref()
            .map(|c| c.get(sample * self.exits() + exit))
    }
    /// Copies the confidences of `sample` into `out` (length `L`).
    #[inline]
    pub fn conf_row(&self, sample: usize, out: &mut [f64]) {
        self.rows.conf_row(sample, out);
    }
    /// Copies the predicted classes of `sample` into `out` (length `L`).
    #[inline]
    pub fn pred_row(&self, sample: usize, out: &mut [u32]) {
        for (exit, p) in out.iter_mut().enumerate() {
            *p = self.rows.pred(sample, exit);
        }
    }
    /// Hints the CPU to fetch `sample`'s record (and costs) before they are read.
    #[inline]
    pub fn prefetch(&self, sample: usize) {
        self.rows.prefetch(sample);
        if let Some(cost) = &self.cost {
            cost.prefetch(sample * self.exits());
        }
    }
    /// Whether the confidences are held as `f32` (true for traces dumped from float32 models).
    pub fn is_compact(&self) -> bool {
        self.rows.is_compact()
    }
    /// Bytes of memory held by the trace's arrays.
    pub fn heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
            + self.cost.as_ref().map_or(0, Column::heap_bytes)
            + self.contexts.as_ref().map_or(0, Contexts::heap_bytes)
            + self.arrivals.as_ref().map_or(0, |a| a.capacity() * 8)
    }
    /// One sample back as a [`Sample`] (for writers and for streaming a replayed trace).
    pub fn sample(&self, s: usize) -> Sample {
        let exits = self.exits();
        let with_confidences = if self.confidences { exits } else { 0 };
        Sample {
            conf: (0..with_confidences).map(|k| self.conf(s, k)).collect(),
            pred: (0..exits).map(|k| self.pred(s, k)).collect(),
            label: self.label(s),
            cost: self
                .cost
                .as_ref()
                .map(|_| (0..exits).map(|k| self.cost(s, k).unwrap_or(0.0)).collect()),
            context: self.context(s).map(str::to_string),
            arrival: self.arrivals.as_ref().map(|a| a[s]),
        }
    }

    /// Appends the samples of `other` (which must have the same exits) after this trace's.
    pub fn append(&mut self, other: Trace) -> Result<(), TraceError> {
        if other.exits() != self.exits() {
            return Err(TraceError::file(
                &other.source,
                format!(
                    "has {} exits but {} has {}; concatenated traces must agree",
                    other.exits(),
                    self.source.display(),
                    self.exits()
                ),
            ));
        }
        if self.cost.is_some() != other.cost.is_some() {
            return Err(TraceError::file(
                &other.source,
                "concatenated traces must all carry cost_k columns, or none",
            ));
        }
        if self.confidences != other.confidences {
            return Err(TraceError::file(
                &other.source,
                "concatenated traces must all carry conf_k columns, or none (prediction-only)",
            ));
        }
        if self.contexts.is_some() != other.contexts.is_some() {
            return Err(TraceError::file(
                &other.source,
                "concatenated traces must all carry a context column, or none",
            ));
        }
        if self.arrivals.is_some() != other.arrivals.is_some() {
            return Err(TraceError::file(
                &other.source,
                "concatenated traces must all carry an arrival column, or none",
            ));
        }
        let offset = self.samples();
        self.segments
            .extend(other.segments.iter().map(|start| start + offset));
        self.rows.reserve(other.samples());
        let mut conf = vec![0.0; self.exits()];
        for s in 0..other.samples() {
            other.conf_row(s, &mut conf);
            let pred: Vec<u32> = (0..other.exits()).map(|k| other.pred(s, k)).collect();
            self.rows.push(&conf, &pred, other.label(s));
        }
        if let (Some(c), Some(o)) = (self.cost.as_mut(), other.cost) {
            c.extend(o);
        }
        if let (Some(c), Some(o)) = (self.contexts.as_mut(), &other.contexts) {
            c.reserve(other.rows.len());
            for s in 0..other.rows.len() {
                c.push(o.name_of(s));
            }
            if c.names().len() > MAX_CONTEXTS {
                return Err(too_many_contexts(&other.source));
            }
        }
        // Each file counts its arrivals from its own start, which is the previous file's last
        // arrival: the files are served one after the other.
        if let (Some(a), Some(o)) = (self.arrivals.as_mut(), &other.arrivals) {
            let start = a.last().copied().unwrap_or(0.0);
            a.extend(o.iter().map(|t| start + t));
        }
        self.classes = self.classes.max(other.classes);
        self.labeled |= other.labeled;
        Ok(())
    }
}

/// Hints the CPU to bring `values[index]` into cache; a no-op off x86_64 or out of bounds.
#[inline]
pub(crate) fn prefetch_slot<T>(values: &[T], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(v) = values.get(index) {
        // SAFETY: prefetching is only a hint; the pointer comes from a live reference and is
        // never dereferenced.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (v as *const T).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, index);
}

/// Builds a [`Trace`] sample by sample, checking what a per-sample reader cannot: that every
/// sample has the same exits and either always or never carries costs.
#[derive(Debug)]
pub struct TraceBuilder {
    source: PathBuf,
    classes: u32,
    labeled: bool,
    /// Whether the samples carry confidences (fixed by the first; readers check the rest).
    confidences: bool,
    /// What a prediction-only sample stores as its confidences.
    placeholder_conf: Vec<f64>,
    rows: Option<Rows>,
    cost: Option<ColumnBuilder>,
    contexts: Option<Contexts>,
    arrivals: Option<Vec<f64>>,
    /// Samples expected in all, when known, so storage is allocated once.
    expected: usize,
    /// First sample of each segment, starting with 0.
    segments: Vec<usize>,
}

impl TraceBuilder {
    pub fn new(source: &Path) -> Self {
        Self {
            source: source.to_path_buf(),
            classes: 0,
            labeled: false,
            confidences: true,
            placeholder_conf: Vec::new(),
            rows: None,
            cost: None,
            contexts: None,
            arrivals: None,
            expected: 0,
            segments: vec![0],
        }
    }

    /// Declares the number of classes up front (for example the width of a `probs` array).
    pub fn with_classes(mut self, classes: usize) -> Self {
        self.classes = classes as u32;
        self
    }

    /// Declares how many samples will be pushed, so storage is allocated once.
    pub fn with_capacity(mut self, samples: usize) -> Self {
        self.expected = samples;
        self
    }

    /// Appends one sample (given or lent: a loader reads every sample into one and lends it).
    /// Readers validate values and consistency before pushing, so this only asserts the
    /// invariants they guarantee.
    pub fn push(&mut self, sample: impl std::borrow::Borrow<Sample>) {
        let sample = sample.borrow();
        let expected = self.expected;
        if self.rows.is_none() {
            self.confidences = !sample.conf.is_empty();
            self.placeholder_conf = vec![0.0; sample.pred.len()];
        }
        let rows = self.rows.get_or_insert_with(|| {
            let mut rows = Rows::new(sample.pred.len());
            rows.reserve(expected);
            rows
        });
        debug_assert_eq!(sample.pred.len(), rows.exits());
        debug_assert_eq!(sample.conf.is_empty(), !self.confidences);
        let top = sample.pred.iter().chain(&sample.label).max().copied();
        self.classes = self.classes.max(top.map_or(0, |c| c + 1));
        self.labeled |= sample.label.is_some();
        let conf = if self.confidences {
            &sample.conf
        } else {
            &self.placeholder_conf
        };
        rows.push(conf, &sample.pred, sample.label);
        if let Some(cost) = &sample.cost {
            let col = self.cost.get_or_insert_with(ColumnBuilder::default);
            for &c in cost {
                col.push(c);
            }
        }
        if let Some(context) = &sample.context {
            self.contexts
                .get_or_insert_with(|| {
                    let mut contexts = Contexts::default();
                    contexts.reserve(expected);
                    contexts
                })
                .push(context);
        }
        if let Some(arrival) = sample.arrival {
            self.arrivals
                .get_or_insert_with(|| Vec::with_capacity(expected))
                .push(arrival);
        }
    }

    /// Starts a new segment (a phase of a drifting stream) at the next sample pushed.
    pub fn start_segment(&mut self) {
        let next = self.len();
        if next > 0 && self.segments.last() != Some(&next) {
            self.segments.push(next);
        }
    }

    /// Number of samples pushed so far.
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(0, Rows::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn finish(self) -> Result<Trace, TraceError> {
        let rows = match self.rows {
            Some(rows) if rows.len() > 0 => rows,
            _ => return Err(TraceError::file(&self.source, "the trace holds no samples")),
        };
        if self
            .contexts
            .as_ref()
            .is_some_and(|c| c.names().len() > MAX_CONTEXTS)
        {
            return Err(too_many_contexts(&self.source));
        }
        Ok(Trace {
            source: self.source,
            classes: self.classes as usize,
            labeled: self.labeled,
            confidences: self.confidences,
            segments: self.segments,
            rows,
            cost: self.cost.map(ColumnBuilder::finish),
            contexts: self.contexts,
            arrivals: self.arrivals,
        })
    }
}

fn too_many_contexts(source: &Path) -> TraceError {
    TraceError::file(
        source,
        format!(
            "column context: names more than {MAX_CONTEXTS} distinct contexts; a context is a condition a \
             learner is kept for (a distortion level, a device), not a sample id"
        ),
    )
}
