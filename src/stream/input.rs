//! The stream's input: standard input or a file, read in buffers that flush the output first.

use crate::error::Result;
use crate::trace::{TraceError, TraceFormat};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A JSON Lines input: standard input or a file (gzipped if it ends in `.gz`).
pub struct Input {
    pub(super) reader: Box<dyn Read + Send>,
    pub(super) name: PathBuf,
    pub(super) waits: Waits,
}

/// Whether a read of the input may wait for bytes to arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Waits {
    /// A regular file: every read returns at once.
    Never,
    /// Unless the descriptor (Unix) says bytes are ready.
    UnlessReady(i32),
    /// Unknown: any read may.
    Maybe,
}

impl Input {
    /// `None` or `-` reads standard input.
    pub fn open(path: Option<&Path>) -> Result<Self, TraceError> {
        let path = path.filter(|p| p.as_os_str() != "-");
        let Some(path) = path else {
            return Ok(Self {
                reader: Box::new(std::io::stdin()),
                name: PathBuf::from("<stdin>"),
                waits: descriptor_waits(std::io::stdin()),
            });
        };
        if let Ok(TraceFormat::Csv | TraceFormat::Npz) = TraceFormat::from_path(path) {
            return Err(TraceError::file(
                path,
                "stream reads JSON Lines samples, one {\"conf\": [...], \"pred\": [...]} per \
                 line (see splitee stream --help)",
            ));
        }
        let file = std::fs::File::open(path).map_err(|e| TraceError::io(path, &e))?;
        let mut waits = descriptor_waits(&file);
        let gzipped = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let reader: Box<dyn Read + Send> = if gzipped {
            // Bytes ready on the descriptor need not make a whole compressed block.
            if waits != Waits::Never {
                waits = Waits::Maybe;
            }
            crate::trace::decompress_if_gzipped(path, Box::new(file))
        } else {
            Box::new(file)
        };
        Ok(Self {
            reader,
            name: path.to_path_buf(),
            waits,
        })
    }

    /// Reads from any reader (tests), flushing before every read that may wait.
    pub fn from_reader(reader: impl Read + Send + 'static, name: &str) -> Self {
        Self {
            reader: Box::new(reader),
            name: PathBuf::from(name),
            waits: Waits::Maybe,
        }
    }

    pub fn name(&self) -> &Path {
        &self.name
    }
}

/// How reads of an open descriptor may wait: never for a regular file (a redirected standard
/// input too), else unless it has bytes ready.
#[cfg(unix)]
fn descriptor_waits(descriptor: impl std::os::fd::AsFd) -> Waits {
    use std::os::fd::AsRawFd;
    let fd = descriptor.as_fd();
    let regular = fd
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file());
    if regular {
        Waits::Never
    } else {
        Waits::UnlessReady(fd.as_raw_fd())
    }
}

#[cfg(not(unix))]
fn descriptor_waits<T>(_: T) -> Waits {
    Waits::Maybe
}
