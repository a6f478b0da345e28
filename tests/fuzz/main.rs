//! Fuzzing every input parser: the CSV and JSON Lines trace readers, the NPZ reader (the `.npy`
//! headers included), the run config, and the `--trace` loader on files. No input may make a
//! parser panic, and every rejection must be one line that names the file (and the line, for the
//! text formats).
//!
//! Inputs are raw bytes and, mostly, valid inputs with a few structured mutations (fields, lines,
//! arrays and keys deleted, duplicated or swapped; NaN, inf, -1, huge numbers, empty cells and
//! wrong types put in; truncation at a byte, flipped and inserted bytes), so that cases reach
//! deep into the parsers rather than stopping at the first line. Unmutated inputs must be read
//! back exactly, so a generator that drifted into producing only garbage would be noticed.
//!
//! Each target runs a bounded number of cases (CI) and prints a line such as
//! `fuzz csv: 20000 cases (1952 accepted), 0 panics (0.8 s, seed 42)` straight to stderr, so it
//! shows even without `--nocapture`. For a longer run, `SPLITEE_FUZZ_CASES=N` runs N cases per
//! target; `SPLITEE_FUZZ_SEED=S` replays the run that printed seed S:
//!
//! ```text
//! SPLITEE_FUZZ_CASES=200000 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! One module per target: `csv`, `jsonl`, `npz`, `config` and `load` (the `--trace` loader), on
//! top of `inputs` (valid traces, byte and line edits), `text` (what CSV and JSON Lines share:
//! the format, its bad-value and truncated-line targets) and `check` (what every outcome must
//! satisfy). This file is the harness.

#[path = "../common/mod.rs"]
mod common;

mod check;
mod config;
mod csv;
mod inputs;
mod jsonl;
mod load;
mod npz;
mod text;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestCaseResult, TestRunner};
use std::cell::Cell;
use std::fmt;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// The harness: bounded runs, panics counted, a summary line per target

/// Cases per target: `$SPLITEE_FUZZ_CASES` if set, else the target's CI default.
fn case_count(default: u32) -> u32 {
    match std::env::var("SPLITEE_FUZZ_CASES") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SPLITEE_FUZZ_CASES must be a whole number, got {v:?}")),
        Err(_) => default,
    }
}

/// `$SPLITEE_FUZZ_SEED` if set (to replay a run), else a fresh seed.
fn seed() -> u64 {
    match std::env::var("SPLITEE_FUZZ_SEED") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SPLITEE_FUZZ_SEED must be a whole number, got {v:?}")),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

thread_local! {
    /// Cases the parser accepted, in the target running on this thread.
    static ACCEPTED: Cell<u64> = const { Cell::new(0) };
}

/// Counts a case whose input the parser accepted.
fn accepted() {
    ACCEPTED.with(|a| a.set(a.get() + 1));
}

/// Runs `check` on `default_cases` inputs from `strategy` (or `$SPLITEE_FUZZ_CASES`), shrinking
/// any failure, counting cases and panics, and prints `fuzz NAME: N cases (A accepted), P panics
/// (...)` to stderr.
fn fuzz<S>(name: &str, default_cases: u32, strategy: S, check: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: fmt::Debug,
{
    let cases = case_count(default_cases);
    let seed = seed();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 2048,
        ..Config::default()
    });
    let ran = Cell::new(0u64);
    let panics = Cell::new(0u64);
    ACCEPTED.with(|a| a.set(0));
    let start = Instant::now();
    let result = runner.run(&strategy, |input| {
        ran.set(ran.get() + 1);
        match panic::catch_unwind(AssertUnwindSafe(|| check(input))) {
            Ok(outcome) => outcome,
            Err(payload) => {
                panics.set(panics.get() + 1);
                Err(TestCaseError::fail(format!(
                    "panicked: {}",
                    panic_message(&*payload)
                )))
            }
        }
    });
    // Straight to stderr, not through the test harness's capture, so CI logs show the counts.
    let summary = format!(
        "fuzz {name}: {} cases ({} accepted), {} panics ({:.1} s, seed {seed}){}\n",
        ran.get(),
        ACCEPTED.with(Cell::get),
        panics.get(),
        start.elapsed().as_secs_f64(),
        if result.is_err() { ", FAILED" } else { "" },
    );
    let _ = std::io::stderr().write_all(summary.as_bytes());
    if let Err(e) = result {
        panic!("fuzz {name} failed (replay with SPLITEE_FUZZ_SEED={seed}): {e}");
    }
}

/// A temporary folder for the files of file-based targets: in memory (`/dev/shm`) where there is
/// one, since rewriting a file thousands of times on a disk mounted with `discard` takes
/// milliseconds per write.
fn scratch_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("splitee-fuzz")
        .tempdir_in("/dev/shm")
        .or_else(|_| TempDir::new())
        .unwrap()
}
