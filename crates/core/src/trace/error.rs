//! Errors from reading traces: each names the file, the line or row, and the column.

use crate::text::one_line;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a text file.
    Line(u64),
    /// 0-based sample row of an array file.
    Row(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// A problem with a trace file, rendered as one line (line breaks in the parts are escaped):
/// `path: line 7: column conf_3: confidence 1.2 is outside [0, 1]`.
#[derive(Debug, thiserror::Error)]
pub struct TraceError {
    pub path: PathBuf,
    pub location: Option<Location>,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names and messages can quote input (a column name, a JSON key): kept on one line.
        write!(f, "{}", one_line(&self.path.display().to_string()))?;
        if let Some(loc) = self.location {
            write!(f, ": {loc}")?;
        }
        if let Some(col) = &self.column {
            write!(f, ": column {}", one_line(col))?;
        }
        write!(f, ": {}", one_line(&self.message))
    }
}

impl TraceError {
    /// A problem with the file as a whole.
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            location: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem at a line or row, optionally in a named column.
    pub fn at(
        path: &Path,
        location: Location,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            location: Some(location),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A line past the bound (at that line), or an I/O failure.
    pub fn from_line_error(path: &Path, error: crate::lines::LineError) -> Self {
        use crate::lines::LineError;
        match error {
            LineError::TooLong { line, limit } => Self::at(
                path,
                Location::Line(line),
                None,
                crate::lines::too_long(limit),
            ),
            LineError::Io(e) => Self::io(path, &e),
        }
    }

    /// A whole file that could not be read (see [`crate::lines::read_text`]).
    pub fn from_text_error(error: crate::lines::TextError) -> Self {
        Self::from_line_error(&error.path, error.error)
    }

    /// An I/O failure on the file.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Self::file(path, err.to_string())
    }
}
