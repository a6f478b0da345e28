//! The stream's input: standard input or a file, read in buffers that flush the output first.

use crate::error::Result;
use crate::trace::{TraceError, TraceFormat};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A JSON Lines input: standard input or a file (gzipped if it ends in `.gz`).
pub struct Input {
    pub(super) reader: Box<dyn Read + Send>,
    pub(super) name: PathBuf,
    /// The descriptor to ask whether a read would wait (Unix; `None` when unknown).
    pub(super) fd: Option<i32>,
}

impl Input {
    /// `None` or `-` reads standard input.
    pub fn open(path: Option<&Path>) -> Result<Self, TraceError> {
        let path = path.filter(|p| p.as_os_str() != "-");
        let Some(path) = path else {
            return Ok(Self {
                reader: Box::new(std::io::stdin()),
                name: PathBuf::from("<stdin>"),
                fd: Some(0),
            });
        };
        if let Ok(TraceFormat::Csv | TraceFormat::Npz) = TraceFormat::from_path(path) {
            return Err(TraceError::file(
                path,
                "stream reads JSON Lines samples, one {\"conf\": [...], \"pred\": [...]} per \
                 line (see splitee stream --help)",
            ));
        }
        let gzipped = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        if gzipped {
            let reader = crate::trace::open_maybe_gzipped(path)?;
            return Ok(Self {
                reader,
                name: path.to_path_buf(),
                fd: None,
            });
        }
        let file = std::fs::File::open(path).map_err(|e| TraceError::io(path, &e))?;
        #[cfg(unix)]
        let fd = Some(std::os::unix::io::AsRawFd::as_raw_fd(&file));
        #[cfg(not(unix))]
        let fd = None;
        Ok(Self {
            reader: Box::new(file),
            name: path.to_path_buf(),
            fd,
        })
    }

    /// Reads from any reader (tests), flushing before every read that may wait.
    pub fn from_reader(reader: impl Read + Send + 'static, name: &str) -> Self {
        Self {
            reader: Box::new(reader),
            name: PathBuf::from(name),
            fd: None,
        }
    }

    pub fn name(&self) -> &Path {
        &self.name
    }
}
