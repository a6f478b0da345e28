//! Canonical wide CSV traces (SPEC section 4). Stub: to be implemented.
use super::{Sample, TraceError};
use std::path::{Path, PathBuf};

/// Streams samples from a canonical CSV trace.
pub struct CsvSamples {
    _path: PathBuf,
}

impl CsvSamples {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Err(TraceError::file(path, "CSV reading is not implemented yet"))
    }
}

impl Iterator for CsvSamples {
    type Item = Result<Sample, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        None
    }
}

/// Writes samples as a canonical CSV trace.
pub fn write_csv<W: std::io::Write>(
    _out: W,
    _samples: impl IntoIterator<Item = Sample>,
) -> std::io::Result<()> {
    Ok(())
}
