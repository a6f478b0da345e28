//! One stream per state file: an advisory lock, held while the stream runs, on a file beside
//! the state (`.NAME.lock`). The state file itself is replaced at every save, so a lock on it
//! would not last past the first one.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The lock of one state file; released when dropped (or when the process ends, however).
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Locks `state` for this stream, or refuses if another stream holds it. Temporary files a
    /// killed stream left beside the state are removed: no one else writes it now.
    pub fn take(state: &Path) -> Result<Self> {
        let path = lock_path(state);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        // A link planted at the lock's name is not followed.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
        let failed = |source| Error::StateLock {
            path: path.clone(),
            source,
        };
        let file = options.open(&path).map_err(failed)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(Error::StateInUse {
                    path: state.to_path_buf(),
                })
            }
            Err(fs4::TryLockError::Error(source)) => return Err(failed(source)),
        }
        crate::files::remove_stale_temporary_files(state);
        Ok(Self { _file: file })
    }
}

/// `.NAME.lock` beside the state file `NAME`.
fn lock_path(state: &Path) -> PathBuf {
    let name = state
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
    state.with_file_name(format!(".{name}.lock"))
}
