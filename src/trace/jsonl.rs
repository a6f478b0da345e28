//! JSON Lines traces and streams (SPEC section 4). Stub: to be implemented.
use super::{Sample, TraceError};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Streams samples from JSON Lines.
pub struct JsonlSamples<R> {
    _reader: R,
    _path: PathBuf,
}

impl JsonlSamples<std::io::BufReader<std::fs::File>> {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Err(TraceError::file(path, "JSONL reading is not implemented yet"))
    }
}

impl<R: BufRead> JsonlSamples<R> {
    pub fn new(reader: R, path: PathBuf) -> Self {
        Self { _reader: reader, _path: path }
    }
}

impl<R: BufRead> Iterator for JsonlSamples<R> {
    type Item = Result<Sample, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        None
    }
}

/// Writes samples as JSON Lines.
pub fn write_jsonl<W: std::io::Write>(
    _out: W,
    _samples: impl IntoIterator<Item = Sample>,
) -> std::io::Result<()> {
    Ok(())
}
