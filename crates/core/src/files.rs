//! Writing files so that a reader never sees half of one: a unique temporary file created
//! exclusively beside the target, then a rename.
//!
//! The temporary files being written are listed, so that a process ending on a signal can
//! remove them ([`remove_temporary_files`]; the binary installs the handler, the library none).
//! One left by a killed process has a name no later write uses and is never read:
//! [`remove_stale_temporary_files`] cleans those of a file that its owner holds locked.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The temporary files being written, and whether the process is ending.
struct Temporaries {
    paths: Vec<PathBuf>,
    /// Set by [`remove_temporary_files`]: no temporary file is renamed into place after it.
    ending: bool,
}

static TEMPORARIES: Mutex<Temporaries> = Mutex::new(Temporaries {
    paths: Vec::new(),
    ending: false,
});

fn temporaries() -> MutexGuard<'static, Temporaries> {
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file on the list while it lives.
struct Listed(PathBuf);

impl Listed {
    fn new(path: &Path) -> std::io::Result<Self> {
        let mut list = temporaries();
        if list.ending {
            return Err(ending());
        }
        list.paths.push(path.to_path_buf());
        Ok(Self(path.to_path_buf()))
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        temporaries().paths.retain(|p| p != &self.0);
    }
}

fn ending() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Interrupted, "the process is ending")
}

/// Removes the temporary files being written, and keeps any write from being renamed into
/// place (or begun) after this: for a signal handler, just before the process exits.
pub fn remove_temporary_files() {
    let mut list = temporaries();
    list.ending = true;
    for path in list.paths.drain(..) {
        // Already renamed or removed: nothing left to do.
        let _ = std::fs::remove_file(path);
    }
}

/// The prefix and suffix of the temporary files written for `path`: `.NAME.` and `.tmp`.
fn temporary_name(path: &Path) -> (String, &'static str) {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    (format!(".{name}."), ".tmp")
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Removes the temporary files of `path` that a killed process left beside it (files or links
/// named as [`write_atomic`] names them, owned by this user), returning how many. Only safe
/// while no other process writes `path`: the caller holds a lock that says so.
pub fn remove_stale_temporary_files(path: &Path) -> usize {
    let (prefix, suffix) = temporary_name(path);
    let Ok(entries) = std::fs::read_dir(folder_of(path)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(&prefix)
            && name.ends_with(suffix)
            && name.len() > prefix.len() + suffix.len())
        {
            continue;
        }
        // A link is removed itself, never followed; folders are left alone.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if meta.is_dir() || !owned_by_us(&meta) {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(unix)]
fn owned_by_us(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    meta.uid() == unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn owned_by_us(_meta: &std::fs::Metadata) -> bool {
    true
}

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(contents))
}

/// Like [`write_atomic`], streaming the contents through `write`. The temporary file has an
/// unpredictable name, is created exclusively (never following a planted link) and is removed
/// if anything fails before the rename. A file already at `path` is replaced (a link there is
/// replaced, not followed) and its permissions and owner carry over to the new one.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = folder_of(path);
    let (prefix, suffix) = temporary_name(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(suffix);
    // Results are ordinary files: readable as the umask allows, not only by their owner.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(dir).map_err(without_temporary_name)?;
    let listed = Listed::new(tmp.path())?;
    let mut out = std::io::BufWriter::new(tmp);
    write(&mut out)?;
    let tmp = out.into_inner().map_err(|e| e.into_error())?;
    keep_permissions_and_owner(path, tmp.as_file())?;
    tmp.as_file().sync_all()?;
    // Renamed while no signal handler removes temporary files, or not at all.
    let list = temporaries();
    if list.ending {
        return Err(ending());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    drop(list);
    drop(listed);
    sync_dir(dir)
}

/// A scratch file in the system's temporary folder, created exclusively with an unpredictable
/// name, on the list of temporary files while it lives (so a signal removes it) and removed
/// when dropped.
pub struct ScratchFile {
    file: tempfile::NamedTempFile,
    _listed: Listed,
}

impl ScratchFile {
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        let file = tempfile::Builder::new().prefix(prefix).tempfile()?;
        let listed = Listed::new(file.path())?;
        Ok(Self {
            file,
            _listed: listed,
        })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The file opened anew for writing or reading from its start.
    pub fn reopen(&self) -> std::io::Result<std::fs::File> {
        self.file.reopen()
    }
}

/// Gives the new file `file` the permissions of the regular file at `path`, if there is one,
/// and its owner and group where this user may (the owner's own files, or root).
#[cfg(unix)]
fn keep_permissions_and_owner(path: &Path, file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(old) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !old.is_file() {
        return Ok(());
    }
    let new = file.metadata()?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        // Not permitted unless root (or a group this user is in): the new file stays ours.
        // Before the mode, which a change of owner may clear bits of.
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    }
    file.set_permissions(old.permissions())
}

#[cfg(not(unix))]
fn keep_permissions_and_owner(path: &Path, file: &std::fs::File) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(old) if old.is_file() => file.set_permissions(old.permissions()),
        _ => Ok(()),
    }
}

/// An error from `tempfile` without the temporary file's name it appends (`... at path "..."`):
/// the user asked for the target, which the caller names instead.
fn without_temporary_name(e: std::io::Error) -> std::io::Error {
    let text = e.to_string();
    match text.rfind(" at path ") {
        Some(end) => std::io::Error::new(e.kind(), &text[..end]),
        None => e,
    }
}

/// Makes a rename in `dir` durable: until the folder itself is synced, a power loss may undo it.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Folders cannot be opened as files here; the rename is as durable as the platform makes it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_target_nor_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let failed = write_atomic_with(&target, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_missing_folder_is_the_error_not_the_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("absent").join("out.txt");
        let e = write_atomic(&target, b"x").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(!e.to_string().contains(".tmp"), "{e}");
    }

    #[test]
    fn a_write_replaces_the_target_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        write_atomic(&target, b"old").unwrap();
        write_atomic(&target, b"new contents").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new contents");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_planted_link_is_replaced_not_followed() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("state.json");
        write_atomic(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&target, b"new").unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        // A link planted at the target: the link is replaced, what it points to is untouched.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"theirs").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let linked = dir.path().join("linked.json");
        symlink(&victim, &linked).unwrap();
        write_atomic(&linked, b"ours").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"theirs");
        assert!(!std::fs::symlink_metadata(&linked).unwrap().is_symlink());
        assert_eq!(std::fs::read(&linked).unwrap(), b"ours");
    }

    #[cfg(unix)]
    #[test]
    fn stale_temporary_files_of_a_path_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("s.json");
        let keep = [
            "s.json",
            ".s.json.lock",
            ".other.json.abc123.tmp",
            ".s.json..tmp",
        ];
        let stale = [".s.json.abc123.tmp", ".s.json.zz9ZZ9.tmp"];
        for name in keep.iter().chain(&stale) {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        // A planted link is removed itself; what it points to stays.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"theirs").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".s.json.link00.tmp")).unwrap();
        std::fs::create_dir(dir.path().join(".s.json.folder.tmp")).unwrap();
        assert_eq!(remove_stale_temporary_files(&target), 3);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut expected: Vec<String> = keep.iter().map(|n| n.to_string()).collect();
        expected.extend([".s.json.folder.tmp".into(), "victim".into()]);
        expected.sort();
        assert_eq!(left, expected);
        assert_eq!(std::fs::read(&victim).unwrap(), b"theirs");
    }
}
