//! Trace formats: the real traces, round trips between formats, and one test per class of bad
//! input (SPEC section 4), including what fuzzing found (`tests/fuzz/` fuzzes every reader).
//!
//! One module per format or concern: `real` (the real traces of the shared folder), `csv`,
//! `jsonl` and `npz` (reading, round trips and bad input of each format), `load` (what
//! `trace::load` does whatever the format: gzip, the format from the file name, empty and
//! missing files, messages quoting the input) and `synth` (synthetic traces and statistics).
//! This file holds the helpers they share.

#[path = "../common/mod.rs"]
mod common;

mod csv;
mod jsonl;
mod load;
mod npz;
mod real;
mod synth;

use splitee::trace::{self, Sample, Trace};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(name)
}

/// Writes `contents` to a file called `name` in a fresh temporary directory.
fn temp_file(name: &str, contents: &[u8]) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

/// The message of loading `contents` as a file called `name`, which must fail.
fn load_error(name: &str, contents: &str) -> String {
    let (_dir, path) = temp_file(name, contents.as_bytes());
    let message = trace::load(&path)
        .expect_err("the trace should be rejected")
        .to_string();
    assert!(
        message.contains(name),
        "message does not name the file: {message}"
    );
    message
}

/// Asserts that `message` contains every one of `parts`.
fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "expected {part:?} in the message: {message}"
        );
    }
}

fn samples_of(trace: &Trace) -> Vec<Sample> {
    (0..trace.samples()).map(|s| trace.sample(s)).collect()
}

fn assert_same_trace(a: &Trace, b: &Trace) {
    assert_eq!(a.exits(), b.exits());
    assert_eq!(a.classes(), b.classes());
    assert_eq!(a.is_labeled(), b.is_labeled());
    assert_eq!(a.has_costs(), b.has_costs());
    assert_eq!(samples_of(a), samples_of(b));
}

const HEADER: &str = "label,conf_1,pred_1,conf_2,pred_2\n";
