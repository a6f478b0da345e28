//! The `splitee` binary as users and tools call it: the SPEC section 5 contract (exit status,
//! one-line errors, the `--json` schema, `--decisions`, `--out`), reproducibility, the
//! `inspect` and `synth` commands, and hostile counts and values.

#[path = "../common/mod.rs"]
mod common;

mod agreement;
mod compat_adaee;
mod costs;
mod counts_and_values;
mod errors;
mod files;
mod help_defaults;
mod inputs;
mod inspect_synth;
mod joint_threshold;
mod json_report;
mod reproducibility;
mod simulate;

use assert_cmd::Command;
use common::{splitee, succeed_json};
use serde_json::Value;
use std::path::Path;

const SST2: &str = "sst2-bert12.csv";
const SST2_SAMPLES: usize = 872;
const SST2_EXITS: usize = 12;

/// Runs `cmd`, asserts exit status 2 with exactly one line on stderr and no panic, and returns
/// that line.
fn fail_with_one_line(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    assert!(stderr.starts_with("splitee: "), "{stderr}");
    stderr.trim_end().to_owned()
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "`{message}` does not mention `{part}`"
        );
    }
}

/// `splitee run --json` with `args`, parsed.
fn run_json(trace: &Path, args: &[&str]) -> Value {
    succeed_json(
        splitee()
            .arg("run")
            .arg("--trace")
            .arg(trace)
            .args(args)
            .arg("--json"),
    )
}

fn result<'a>(report: &'a Value, policy: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["policy"] == policy)
        .unwrap_or_else(|| panic!("no result for {policy}"))
}

fn mean(report: &Value, policy: &str, metric: &str) -> f64 {
    result(report, policy)[metric]["mean"].as_f64().unwrap()
}

fn assert_close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not within {tolerance} of {expected}"
    );
}

/// Reads a canonical CSV trace's columns by name.
struct Columns {
    rows: Vec<csv::StringRecord>,
    header: csv::StringRecord,
}

impl Columns {
    fn read(path: &Path) -> Self {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().clone();
        let rows = reader.records().map(Result::unwrap).collect();
        Self { rows, header }
    }

    fn column(&self, name: &str) -> Vec<f64> {
        let i = self.header.iter().position(|h| h == name).unwrap();
        self.rows.iter().map(|r| r[i].parse().unwrap()).collect()
    }
}
