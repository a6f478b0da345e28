//! Every text a user hands over is read here, one bounded line at a time.
//!
//! A file or pipe without line breaks (`/dev/zero`, one 4 GiB line in a small gzip) would
//! otherwise grow a reader's line buffer until memory runs out. Every reader of user text goes
//! through [`Lines`] (line by line), [`BoundedRead`] (for parsers that want a plain reader) or
//! [`read_text`]/[`read_bytes`] (whole small files: configs, profiles, states, reports); all
//! three count lines with one [`LineBound`] and refuse a line longer than the bound with an
//! error naming the line and the bound. The bound is set once per process (the CLI's
//! `--max-line-bytes`), so a new reader cannot forget it.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default bound on a line, in bytes: far above any trace line or one-line JSON report
/// this tool writes (a few MB), far below what would exhaust memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

static MAX_LINE_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_LINE_BYTES);

/// Sets the bound on a line for every reader opened afterwards (at least 1 byte).
pub fn set_max_line_bytes(bytes: usize) {
    MAX_LINE_BYTES.store(bytes.max(1), Ordering::Relaxed);
}

/// The bound on a line readers use.
pub fn max_line_bytes() -> usize {
    MAX_LINE_BYTES.load(Ordering::Relaxed)
}

/// What is wrong with a line longer than `limit` bytes.
pub fn too_long(limit: usize) -> String {
    format!("longer than {limit} bytes, the bound on a line (raise it with --max-line-bytes)")
}

/// A line was too long, or reading failed.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: {}", too_long(*limit))]
    TooLong { line: u64, limit: usize },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl LineError {
    /// As an I/O error, for error types that hold one.
    pub fn into_io(self) -> std::io::Error {
        match self {
            LineError::Io(e) => e,
            too_long => std::io::Error::new(std::io::ErrorKind::InvalidData, too_long),
        }
    }

    /// The line error an I/O error from a [`BoundedRead`] carries, if it is one.
    pub fn from_io(error: std::io::Error) -> Self {
        Self::too_long_in(&error).unwrap_or(LineError::Io(error))
    }

    /// The too-long line an I/O error from a [`BoundedRead`] reports, if it reports one.
    pub fn too_long_in(error: &std::io::Error) -> Option<Self> {
        match error.get_ref()?.downcast_ref::<LineError>()? {
            &LineError::TooLong { line, limit } => Some(LineError::TooLong { line, limit }),
            LineError::Io(_) => None,
        }
    }
}

/// Counts lines and the length of the current one over bytes read in any pieces.
#[derive(Debug, Clone)]
pub struct LineBound {
    limit: usize,
    /// 1-based number of the line being read.
    line: u64,
    /// Bytes of the current line read so far (its line break excluded).
    length: usize,
}

impl LineBound {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            line: 1,
            length: 0,
        }
    }

    /// Accounts for `bytes`, the next bytes of the input; fails at the first line that grows
    /// past the bound.
    pub fn check(&mut self, bytes: &[u8]) -> Result<(), LineError> {
        let mut rest = bytes;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.grow(at)?;
            self.line += 1;
            self.length = 0;
            rest = &rest[at + 1..];
        }
        self.grow(rest.len())
    }

    fn grow(&mut self, bytes: usize) -> Result<(), LineError> {
        self.length += bytes;
        if self.length > self.limit {
            return Err(LineError::TooLong {
                line: self.line,
                limit: self.limit,
            });
        }
        Ok(())
    }
}

/// A reader that fails (with an `InvalidData` error carrying a [`LineError`]) as soon as a
/// line grows past the bound, for parsers that read through [`Read`] (CSV, TOML, JSON).
pub struct BoundedRead<R> {
    inner: R,
    bound: LineBound,
}

impl<R: Read> BoundedRead<R> {
    /// Bounds `inner`'s lines by [`max_line_bytes`].
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, max_line_bytes())
    }

    pub fn with_limit(inner: R, limit: usize) -> Self {
        Self {
            inner,
            bound: LineBound::new(limit),
        }
    }
}

impl<R: Read> Read for BoundedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bound
            .check(&buf[..n])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(n)
    }
}

/// Lines of a buffered reader, each at most the bound long. A line that fits in the reader's
/// buffer is handed out in place, without a copy.
pub struct Lines<R> {
    reader: R,
    limit: usize,
    /// Lines handed out so far (the 1-based number of the last one).
    line: u64,
    /// Bytes of the line handed out last, still in the reader's buffer.
    pending: usize,
    /// A line that straddles the reader's buffer, assembled here.
    assembled: Vec<u8>,
    /// The rest of a too-long line is dropped before the next line is read.
    discarding: bool,
    /// Where the next line's break lies in the reader's buffer (after the pending line), when
    /// [`Lines::next_line_buffered`] has looked: the next read takes it without a search.
    next_break: Option<usize>,
}

impl<R: BufRead> Lines<R> {
    /// Bounds `reader`'s lines by [`max_line_bytes`].
    pub fn new(reader: R) -> Self {
        Self::with_limit(reader, max_line_bytes())
    }

    pub fn with_limit(reader: R, limit: usize) -> Self {
        Self {
            reader,
            limit,
            line: 0,
            pending: 0,
            assembled: Vec::new(),
            discarding: false,
            next_break: None,
        }
    }

    /// The 1-based number of the last line read.
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// The next line with its line break, if any, and its 1-based number; `None` at the end of
    /// the input. After a too-long line, the next call goes on after that line's end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, LineError> {
        self.reader.consume(std::mem::take(&mut self.pending));
        if self.discarding {
            self.discard_rest()?;
        }
        self.assembled.clear();
        // Found in the same bytes, which were not refilled since.
        let mut known_break = self.next_break.take();
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                if self.assembled.is_empty() {
                    return Ok(None);
                }
                self.line += 1;
                return Ok(Some((self.line, &self.assembled)));
            }
            let found = known_break
                .take()
                .or_else(|| memchr::memchr(b'\n', available));
            let Some(at) = found else {
                let taken = available.len();
                if self.assembled.len() + taken > self.limit {
                    return Err(self.too_long());
                }
                self.assembled.extend_from_slice(available);
                self.reader.consume(taken);
                continue;
            };
            if self.assembled.len() + at > self.limit {
                self.reader.consume(at + 1);
                self.line += 1;
                return Err(LineError::TooLong {
                    line: self.line,
                    limit: self.limit,
                });
            }
            self.line += 1;
            if self.assembled.is_empty() {
                self.pending = at + 1;
                // The buffer is not refilled while it holds data: the same bytes come back.
                return Ok(Some((self.line, &self.reader.fill_buf()?[..=at])));
            }
            self.assembled.extend_from_slice(&available[..=at]);
            self.reader.consume(at + 1);
            return Ok(Some((self.line, &self.assembled)));
        }
    }

    /// The error for the line being read, whose end is still ahead.
    fn too_long(&mut self) -> LineError {
        self.assembled.clear();
        self.discarding = true;
        self.line += 1;
        LineError::TooLong {
            line: self.line,
            limit: self.limit,
        }
    }

    /// Drops input up to and including the next line break.
    fn discard_rest(&mut self) -> Result<(), LineError> {
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                break;
            }
            match memchr::memchr(b'\n', available) {
                Some(at) => {
                    self.reader.consume(at + 1);
                    break;
                }
                None => {
                    let taken = available.len();
                    self.reader.consume(taken);
                }
            }
        }
        self.discarding = false;
        Ok(())
    }
}

impl<T: std::io::Read> Lines<std::io::BufReader<T>> {
    /// Whether the next line is already whole in the reader's buffer, so reading it will not
    /// wait for input.
    pub fn next_line_buffered(&mut self) -> bool {
        if self.discarding {
            return false;
        }
        let rest = self.reader.buffer().get(self.pending..).unwrap_or_default();
        self.next_break = memchr::memchr(b'\n', rest);
        self.next_break.is_some()
    }
}

/// A file that could not be read whole, or held a line past the bound.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", crate::text::one_line(&path.display().to_string()))]
pub struct TextError {
    pub path: PathBuf,
    pub error: LineError,
}

/// Reads a whole file (a config, a profile, a state, a report) once, refusing a line past the
/// bound.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, TextError> {
    let failed = |error: LineError| TextError {
        path: path.to_path_buf(),
        error,
    };
    let file = File::open(path).map_err(|e| failed(e.into()))?;
    let mut bytes = Vec::new();
    BoundedRead::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(LineError::from_io(e)))?;
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, TextError> {
    String::from_utf8(read_bytes(path)?).map_err(|_| TextError {
        path: path.to_path_buf(),
        error: LineError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn lines(text: &[u8], capacity: usize, limit: usize) -> Vec<Result<Vec<u8>, String>> {
        let mut lines = Lines::with_limit(BufReader::with_capacity(capacity, text), limit);
        let mut out = Vec::new();
        loop {
            match lines.next_line() {
                Ok(Some((_, line))) => out.push(Ok(line.to_vec())),
                Ok(None) => return out,
                Err(e) => out.push(Err(e.to_string())),
            }
        }
    }

    #[test]
    fn splits_lines_in_place_and_across_buffers() {
        let text = b"ab\n\ncdefgh\nij";
        for capacity in [1, 2, 3, 5, 64] {
            let got = lines(text, capacity, 100);
            let want: Vec<Result<Vec<u8>, String>> = vec![
                Ok(b"ab\n".to_vec()),
                Ok(b"\n".to_vec()),
                Ok(b"cdefgh\n".to_vec()),
                Ok(b"ij".to_vec()),
            ];
            assert_eq!(got, want, "buffer of {capacity}");
        }
    }

    #[test]
    fn asking_whether_the_next_line_is_buffered_changes_no_line() {
        let text = b"ab\n\ncdefgh\nij";
        for capacity in [1, 2, 3, 5, 64] {
            let reader = BufReader::with_capacity(capacity, &text[..]);
            let mut lines = Lines::with_limit(reader, 100);
            let (mut got, mut buffered) = (Vec::new(), Vec::new());
            loop {
                buffered.push(lines.next_line_buffered());
                match lines.next_line().unwrap() {
                    Some((_, line)) => got.push(line.to_vec()),
                    None => break,
                }
            }
            let want = [&b"ab\n"[..], b"\n", b"cdefgh\n", b"ij"];
            assert_eq!(got, want, "buffer of {capacity}");
            if capacity == 64 {
                assert_eq!(buffered, [false, true, true, false, false]);
            }
        }
    }

    #[test]
    fn refuses_a_long_line_and_goes_on_after_it() {
        for capacity in [2, 4, 64] {
            let got = lines(b"abc\nabcdefgh\nxyz\nabcdefghij", capacity, 4);
            let long = |line| {
                Err(format!(
                    "line {line}: longer than 4 bytes, the bound on a line (raise it with --max-line-bytes)"
                ))
            };
            assert_eq!(
                got,
                vec![
                    Ok(b"abc\n".to_vec()),
                    long(2),
                    Ok(b"xyz\n".to_vec()),
                    long(4)
                ],
                "buffer of {capacity}"
            );
        }
    }

    #[test]
    fn bounded_read_fails_at_the_long_line() {
        let mut out = Vec::new();
        let error = BoundedRead::with_limit(&b"ok\nok\ntoo long\n"[..], 4)
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(
            LineError::from_io(error).to_string(),
            "line 3: longer than 4 bytes, the bound on a line (raise it with --max-line-bytes)"
        );
        let mut out = Vec::new();
        BoundedRead::with_limit(&b"abcd\nefgh"[..], 4)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"abcd\nefgh");
    }
}
