//! NumPy `.npz` traces (SPEC section 4).
//!
//! Either `conf` float `[N, L]` and `pred` int `[N, L]`, or `probs` float `[N, L, K]` (what
//! researchers dump from PyTorch), from which `conf` is the largest probability and `pred` its
//! first index; then the trace has `K` classes; or `pred` alone (a prediction-only trace). Optional: `label` int `[N]` (negative means
//! unlabeled), `cost` float `[N, L]`, `context` `[N]`, strings (`<U`, `S`) or non-negative
//! integers, and `arrival` float `[N]` (seconds since the start, non-decreasing). Floats may be
//! `f32` or `f64`, integers any width.

use super::validate::{RawSample, SampleValidator};
use super::{Fingerprint, Location, Trace, TraceBuilder, TraceError, MAX_CLASS};
use ndarray::{ArrayD, Axis, IxDyn, ShapeBuilder};
use ndarray_npy::npy::header::Header;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use zip::ZipArchive;

/// Reads a whole `.npz` trace into memory, validating every value.
pub fn read_npz(path: &Path) -> Result<Trace, TraceError> {
    read_npz_fingerprinted(path, None)
}

/// [`read_npz`], feeding the archive's bytes to `fingerprint` (from the handle already open:
/// an archive is read by seeking, so it is never a pipe).
pub(super) fn read_npz_fingerprinted(
    path: &Path,
    fingerprint: Option<&Fingerprint>,
) -> Result<Trace, TraceError> {
    let mut arrays = Arrays::open(path)?;
    let trace = arrays.trace()?;
    if let Some(fingerprint) = fingerprint {
        let mut file = arrays.zip.into_inner().into_inner();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| std::io::copy(&mut fingerprint.reading(file), &mut std::io::sink()))
            .map_err(|e| TraceError::io(path, &e))?;
    }
    Ok(trace)
}

impl Arrays<'_> {
    fn trace(&mut self) -> Result<Trace, TraceError> {
        let path = self.path;
        let arrays = self;
        let ConfAndPred {
            conf,
            pred,
            classes,
        } = arrays.conf_and_pred()?;
        // The array that fixed N and L, for messages, and its shape.
        let (reference, shape) = match (&conf, classes) {
            (_, Some(_)) => ("probs", pred.shape()),
            (Some(conf), None) => ("conf", conf.shape()),
            (None, None) => ("pred", pred.shape()),
        };
        let samples = match shape {
            &[n, exits] if exits > 0 => n,
            shape => {
                let message = format!("array {reference} has shape {shape:?}: no exits");
                return Err(TraceError::file(path, message));
            }
        };
        let label = arrays.optional("label", Arrays::ints)?;
        let cost = arrays.optional("cost", Arrays::floats)?;
        let arrival = arrays.optional("arrival", Arrays::floats)?;
        let mut context = match arrays.has("context") {
            true => Some(arrays.labels("context", samples)?.into_iter()),
            false => None,
        };
        let expected_shapes = [
            ("pred", Some(&pred), shape),
            ("cost", cost.as_ref(), shape),
            ("label", label.as_ref(), &[samples]),
            ("arrival", arrival.as_ref(), &[samples]),
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
                conf: conf.as_ref().map_or_else(Vec::new, |c| row(c, i)),
                pred: row(&pred, i),
                // NumPy has no missing integer, so a negative label marks an unlabeled sample.
                label: label.as_ref().map(|l| l[[i]]).filter(|&l| l >= 0.0),
                cost: cost.as_ref().map(|c| row(c, i)),
                context: context.as_mut().and_then(Iterator::next),
                arrival: arrival.as_ref().map(|a| a[[i]]),
            };
            builder.push(validator.validate(raw, Location::Row(i as u64))?);
        }
        builder.finish()
    }
}

/// `conf` (none in a prediction-only archive) and `pred` `[N, L]`, and the class count if the
/// archive fixes it (`probs`).
struct ConfAndPred {
    conf: Option<ArrayD<f64>>,
    pred: ArrayD<f64>,
    classes: Option<u32>,
}

/// The largest `.npy` header read. NumPy writes headers of a few hundred bytes (format version 1
/// holds up to 64 KiB); the format allows 4 GiB, which would otherwise be allocated before the
/// archive is found to be short.
const MAX_HEADER_BYTES: usize = 1 << 16;

/// The deepest nesting of brackets allowed in an `.npy` header. A plain array's header nests 2
/// deep; the parser of the header (`py_literal`) backtracks exponentially in the depth of
/// unclosed brackets, so 30 stray `{` would hang it.
const MAX_HEADER_NESTING: usize = 8;

/// The arrays of an archive, read by name as `f64` whatever their float or integer dtype.
///
/// The archive is read with `zip` and only the `.npy` header is parsed by `ndarray-npy`: its own
/// reader allocates whatever shape a header claims before reading any data (and panics on some
/// empty shapes), so a few corrupt bytes could abort the process. Here data is read before
/// anything is allocated for it, and every shape is checked.
struct Arrays<'a> {
    zip: ZipArchive<BufReader<File>>,
    /// Array names: entry names without a `.npy` suffix, as NumPy lists them.
    names: Vec<String>,
    path: &'a Path,
}

/// What an array must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Float => "floats (float32 or float64)",
            Kind::Int => "integers",
        }
    }
}

/// A numeric dtype of an `.npy` array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dtype {
    kind: Kind,
    signed: bool,
    size: usize,
    big_endian: bool,
}

impl Dtype {
    /// The dtype of a descriptor such as `<f8`, `>i4` or `|u1`; `None` for any other.
    fn parse(descr: &str) -> Option<Self> {
        let one_byte = |signed| Dtype {
            kind: Kind::Int,
            signed,
            size: 1,
            big_endian: false,
        };
        match descr {
            "|i1" | "<i1" | ">i1" | "=i1" | "i1" | "b" => return Some(one_byte(true)),
            "|u1" | "<u1" | ">u1" | "=u1" | "u1" | "B" => return Some(one_byte(false)),
            _ => {}
        }
        let mut chars = descr.chars();
        let big_endian = match chars.next()? {
            '<' => false,
            '>' => true,
            '=' => cfg!(target_endian = "big"),
            _ => return None,
        };
        let (kind, signed, size) = match chars.as_str() {
            "f4" => (Kind::Float, true, 4),
            "f8" => (Kind::Float, true, 8),
            "i2" => (Kind::Int, true, 2),
            "i4" => (Kind::Int, true, 4),
            "i8" => (Kind::Int, true, 8),
            "u2" => (Kind::Int, false, 2),
            "u4" => (Kind::Int, false, 4),
            "u8" => (Kind::Int, false, 8),
            _ => return None,
        };
        Some(Self {
            kind,
            signed,
            size,
            big_endian,
        })
    }

    /// The value of one element, `bytes` long `size` (exact for every valid value: classes are
    /// small integers and `f32` widens exactly).
    fn decode(self, bytes: &[u8]) -> f64 {
        let mut raw = [0u8; 8];
        if self.big_endian {
            raw[8 - self.size..].copy_from_slice(bytes);
            raw.reverse();
        } else {
            raw[..self.size].copy_from_slice(bytes);
        }
        let bits = u64::from_le_bytes(raw);
        match (self.kind, self.size, self.signed) {
            (Kind::Float, 4, _) => f64::from(f32::from_bits(bits as u32)),
            (Kind::Float, _, _) => f64::from_bits(bits),
            (Kind::Int, size, true) => {
                // Sign-extend from `size` bytes.
                let shift = 64 - 8 * size as u32;
                ((bits << shift) as i64 >> shift) as f64
            }
            (Kind::Int, _, false) => bits as f64,
        }
    }
}

impl<'a> Arrays<'a> {
    fn open(path: &'a Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(|e| TraceError::io(path, &e))?;
        let zip = ZipArchive::new(BufReader::new(file))
            .map_err(|e| TraceError::file(path, format!("not a readable .npz archive: {e}")))?;
        let names = zip
            .file_names()
            .map(|name| name.strip_suffix(".npy").unwrap_or(name).to_owned())
            .collect();
        Ok(Self { zip, names, path })
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
                conf: Some(self.floats("conf")?),
                pred: self.ints("pred")?,
                classes: None,
            }),
            (false, true, false) => fail("array pred is missing".into()),
            // Predictions alone: a prediction-only trace.
            (false, false, true) => Ok(ConfAndPred {
                conf: None,
                pred: self.ints("pred")?,
                classes: None,
            }),
            (false, false, false) => fail(format!(
                "has neither a conf, a probs nor a pred array (arrays: {})",
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
        self.read(name, Kind::Float)
    }

    fn ints(&mut self, name: &str) -> Result<ArrayD<f64>, TraceError> {
        self.read(name, Kind::Int)
    }

    /// Reads array `name` (the entry `name`, else `name.npy`, as NumPy does) as `f64`, if it
    /// holds `kind`.
    fn read(&mut self, name: &str, kind: Kind) -> Result<ArrayD<f64>, TraceError> {
        let path = self.path;
        let fail = |message: String| TraceError::file(path, format!("array {name}: {message}"));
        let mut dtype = None;
        let (header, data) = self.entry(name, |descr| {
            dtype = Dtype::parse(descr).filter(|d| d.kind == kind);
            dtype
                .map(|d| d.size)
                .ok_or_else(|| format!("must hold {}", kind.expected()))
        })?;
        let dtype = dtype.ok_or_else(|| fail(format!("must hold {}", kind.expected())))?;
        let shape = &header.shape;
        let values: Vec<f64> = data
            .chunks_exact(dtype.size)
            .map(|b| dtype.decode(b))
            .collect();
        let dims = IxDyn(shape);
        let array = if header.layout.is_fortran() {
            ArrayD::from_shape_vec(dims.f(), values)
        } else {
            ArrayD::from_shape_vec(dims, values)
        };
        array.map_err(|e| fail(format!("shape {shape:?}: {e}")))
    }

    /// Reads array `name` as text labels, one per sample: NumPy strings (`<U8`, `|S8`; trailing
    /// NULs padding each) or non-negative integers (written as their digits).
    fn labels(&mut self, name: &str, samples: usize) -> Result<Vec<String>, TraceError> {
        let path = self.path;
        let fail = |message: String| TraceError::file(path, format!("array {name}: {message}"));
        let (mut text, mut number) = (None, None);
        let (header, data) = self.entry(name, |descr| {
            text = TextDtype::parse(descr);
            number = Dtype::parse(descr).filter(|d| d.kind == Kind::Int);
            match (text, number) {
                (Some(t), _) => Ok(t.size),
                (None, Some(d)) => Ok(d.size),
                (None, None) => Err("must hold strings or integers".into()),
            }
        })?;
        if header.shape != [samples] {
            return Err(fail(format!(
                "has shape {:?}; expected [{samples}] to match the samples",
                header.shape
            )));
        }
        match (text, number) {
            (Some(text), _) => data
                .chunks_exact(text.size)
                .map(|cell| text.decode(cell).map_err(fail))
                .collect(),
            (None, Some(dtype)) => data
                .chunks_exact(dtype.size)
                .map(|cell| match dtype.decode(cell) {
                    v if v >= 0.0 => Ok((v as u64).to_string()),
                    v => Err(fail(format!("holds {v}; a context number is >= 0"))),
                })
                .collect(),
            (None, None) => Ok(Vec::new()),
        }
    }

    /// The header and data of array `name` (the entry `name`, else `name.npy`, as NumPy
    /// does); `element_size` gives the bytes per element of the header's type descriptor, or
    /// says why the array cannot be read.
    fn entry(
        &mut self,
        name: &str,
        element_size: impl FnOnce(&str) -> Result<usize, String>,
    ) -> Result<(Header, Vec<u8>), TraceError> {
        let path = self.path;
        let fail = |message: String| TraceError::file(path, format!("array {name}: {message}"));
        let entry = match self.zip.index_for_name(name) {
            Some(_) => name.to_owned(),
            None => format!("{name}.npy"),
        };
        let mut file = self.zip.by_name(&entry).map_err(|e| fail(e.to_string()))?;
        let header = read_header(&mut file).map_err(fail)?;
        let size = element_size(
            header
                .type_descriptor
                .as_string()
                .map_or("", |d| d.as_str()),
        )
        .map_err(|m| TraceError::file(path, format!("array {name} {m}")))?;
        let shape = &header.shape;
        // ndarray's limits: the product of the non-zero axes fits in `isize`, and so do the bytes.
        let bytes = shape
            .iter()
            .filter(|&&n| n > 0)
            .try_fold(size, |acc, &n| acc.checked_mul(n))
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| fail(format!("shape {shape:?} is too large")))?;
        let bytes = if shape.contains(&0) { 0 } else { bytes };
        // Read what the entry holds, at most one byte beyond what the shape needs: a header may
        // claim any shape, so nothing is allocated for data that is not there.
        let mut data = Vec::with_capacity(bytes.min(1 << 26));
        (&mut file)
            .take(bytes as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| fail(format!("cannot read its data: {e}")))?;
        if data.len() != bytes {
            let have = if data.len() > bytes {
                "more".to_owned()
            } else {
                data.len().to_string()
            };
            return Err(fail(format!(
                "shape {shape:?} needs {bytes} bytes of data but the array holds {have}"
            )));
        }
        drop(file);
        Ok((header, data))
    }
}

/// A NumPy string dtype: `U` (UTF-32, 4 bytes a character) or `S` (bytes), `size` bytes an
/// element.
#[derive(Clone, Copy, Debug)]
struct TextDtype {
    utf32: bool,
    big_endian: bool,
    size: usize,
}

impl TextDtype {
    /// `<U8`, `>U8`, `|S8`, `S8`; `None` for any other descriptor.
    fn parse(descr: &str) -> Option<Self> {
        let (big_endian, rest) = match descr.as_bytes().first()? {
            b'<' | b'|' | b'=' => (false, &descr[1..]),
            b'>' => (true, &descr[1..]),
            _ => (false, descr),
        };
        let (utf32, count) = if let Some(n) = rest.strip_prefix('U') {
            (true, n)
        } else {
            (false, rest.strip_prefix('S')?)
        };
        let count: usize = count.parse().ok().filter(|&n| n > 0)?;
        Some(Self {
            utf32,
            big_endian,
            size: if utf32 { count.checked_mul(4)? } else { count },
        })
    }

    /// One element, without its NUL padding.
    fn decode(self, cell: &[u8]) -> Result<String, String> {
        let text = if self.utf32 {
            cell.chunks_exact(4)
                .map(|c| {
                    let c = [c[0], c[1], c[2], c[3]];
                    let code = if self.big_endian {
                        u32::from_be_bytes(c)
                    } else {
                        u32::from_le_bytes(c)
                    };
                    char::from_u32(code).ok_or_else(|| format!("holds code point {code:#x}"))
                })
                .collect::<Result<String, String>>()?
        } else {
            String::from_utf8(cell.to_vec()).map_err(|_| "holds bytes that are not UTF-8")?
        };
        Ok(text.trim_end_matches('\0').to_string())
    }
}

/// Reads an `.npy` header: the magic string, the version, a header length within bounds and the
/// header dictionary (parsed by `ndarray-npy`).
fn read_header(entry: &mut impl Read) -> Result<Header, String> {
    let mut prefix = vec![0u8; 8];
    entry
        .read_exact(&mut prefix)
        .map_err(|_| "not an .npy array: too short".to_owned())?;
    if prefix[..6] != *b"\x93NUMPY" {
        return Err("not an .npy array: no \\x93NUMPY magic string".into());
    }
    let length_bytes = match prefix[6] {
        1 => 2,
        2 | 3 => 4,
        major => return Err(format!("unsupported .npy version {major}.{}", prefix[7])),
    };
    let mut length = [0u8; 4];
    entry
        .read_exact(&mut length[..length_bytes])
        .map_err(|_| "the .npy header is cut short".to_owned())?;
    prefix.extend(&length[..length_bytes]);
    let header_len = u32::from_le_bytes(length) as usize;
    if header_len > MAX_HEADER_BYTES {
        return Err(format!(
            "the .npy header claims {header_len} bytes; at most {MAX_HEADER_BYTES} are read"
        ));
    }
    let mut header = prefix;
    let read = entry
        .take(header_len as u64)
        .read_to_end(&mut header)
        .map_err(|e| format!("cannot read the .npy header: {e}"))?;
    if read < header_len {
        return Err("the .npy header is cut short".into());
    }
    if nesting(&header) > MAX_HEADER_NESTING {
        return Err(format!(
            "bad .npy header: brackets nested more than {MAX_HEADER_NESTING} deep"
        ));
    }
    Header::from_reader(&mut header.as_slice())
        .map_err(|e| format!("bad .npy header: {}", brief(&e.to_string())))
}

/// The deepest nesting of brackets in `text` (counting brackets in strings too: a plain dtype
/// has at most one pair, as in `<M8[ns]`).
fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    for &b in text {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A parser's message cut to one short line: the header parser's messages quote the header
/// over several lines.
fn brief(message: &str) -> String {
    const MAX_CHARS: usize = 160;
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let text = match lines[..] {
        [] => String::new(),
        [one] => one.to_owned(),
        [first, .., last] => format!("{first} ... {last}"),
    };
    if text.chars().count() <= MAX_CHARS {
        text
    } else {
        let cut: String = text.chars().take(MAX_CHARS).collect();
        format!("{cut}...")
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
        conf: Some(conf),
        pred,
        // Lossless: checked against MAX_CLASS + 1 above.
        classes: Some(classes as u32),
    })
}

/// Index and value of the first largest value; the value is NaN if any value is.
pub(super) fn first_max(values: impl Iterator<Item = f64>) -> (usize, f64) {
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
