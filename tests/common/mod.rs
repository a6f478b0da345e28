//! Helpers shared by the integration tests: where the crate and the shared data are.

// Each test crate uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The crate's root folder.
pub fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared data folder: `$SPLITEE_SHARED`, by default `../shared` beside the crate.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("SPLITEE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../shared"))
}

/// A file of the shared data folder, or `None` with a skip notice when it is not there.
pub fn shared_file(relative: &str) -> Option<PathBuf> {
    let path = shared_dir().join(relative);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipping: {} not found (set SPLITEE_SHARED to the shared folder)",
            path.display()
        );
        None
    }
}

/// A real trace of `data/traces` in the shared folder, or `None` with a skip notice.
pub fn shared_trace(name: &str) -> Option<PathBuf> {
    shared_file(&format!("data/traces/{name}"))
}
