//! `splitee stream` and the live learner: decisions equal a one-run replay's, a saved state
//! resumes exactly, states from other settings or damaged ones are refused, bad lines stop or
//! are skipped, decisions come out as samples arrive, Ctrl-C saves, and killing the process in
//! the middle of a save leaves the previous state intact. Also runs the live example.
//!
//! One module per concern: `decisions` (equal to a one-run replay's), `state` (saved states:
//! resuming exactly, refusing others), `errors` (what cannot run live, bad lines), `signals`
//! (decisions as samples arrive, Ctrl-C, a kill in the middle of a save), `io` (files, gzip and
//! standard input; a closed or failing output) and `example` (`bench-stream` and the live
//! example). This file holds the helpers they share.

#[path = "../common/mod.rs"]
mod common;

mod decisions;
mod errors;
mod example;
mod io;
mod signals;
mod state;

use serde_json::Value;
use splitee::trace::synth::SynthParams;
use splitee::trace::{write_jsonl, Sample};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn splitee() -> Command {
    Command::new(env!("CARGO_BIN_EXE_splitee"))
}

/// Starts `splitee` with `args`, its standard input, output and error piped to the test.
fn spawn_piped(args: &[&str]) -> Child {
    splitee()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `splitee` with `args`, feeding `input` on standard input.
fn run_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Synthetic samples, optionally with measured per-exit costs.
fn samples(n: usize, exits: usize, seed: u64, with_costs: bool) -> Vec<Sample> {
    let params = SynthParams {
        samples: n,
        exits,
        classes: 3,
        seed,
    };
    params
        .stream()
        .unwrap()
        .enumerate()
        .map(|(s, mut sample)| {
            if with_costs {
                // Deterministic costs that vary by sample and exit.
                sample.cost = Some(
                    (0..exits)
                        .map(|k| 1.0 + ((s * 7 + k * 3) % 11) as f64 / 4.0)
                        .collect(),
                );
            }
            sample
        })
        .collect()
}

fn jsonl(samples: &[Sample]) -> Vec<u8> {
    let mut out = Vec::new();
    write_jsonl(&mut out, samples.iter().cloned()).unwrap();
    out
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The one line a failing command ends with.
fn error_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    let text = stderr(output);
    let last = text.lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with("splitee: "), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    last
}
