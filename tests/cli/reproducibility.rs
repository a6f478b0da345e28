//! Reproducibility: same command, same output; seeds and threads; `--out`.

use super::*;
use crate::common::succeed;

/// `splitee run --json` stdout on the embedded trace, with extra args and environment.
fn default_trace_json(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = splitee();
    cmd.args(["run", "--runs", "4", "--json"]).args(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    succeed(&mut cmd)
}

#[test]
fn same_command_gives_identical_json() {
    let first = default_trace_json(&["--seed", "3"], &[]);
    assert_eq!(first, default_trace_json(&["--seed", "3"], &[]));
}

#[test]
fn another_seed_changes_the_learned_policy_results() {
    let parse = |s: String| -> Value { serde_json::from_str(&s).unwrap() };
    let a = parse(default_trace_json(&["--seed", "3"], &[]));
    let b = parse(default_trace_json(&["--seed", "4"], &[]));
    assert_ne!(
        result(&a, "splitee")["cumulative_regret"],
        result(&b, "splitee")["cumulative_regret"]
    );
    // The final exit does not depend on the order of the samples.
    assert_eq!(
        mean(&a, "final-exit", "cost_per_sample"),
        mean(&b, "final-exit", "cost_per_sample")
    );
}

#[test]
fn thread_count_does_not_change_results() {
    let one = default_trace_json(&[], &[("RAYON_NUM_THREADS", "1")]);
    let two = default_trace_json(&[], &[("RAYON_NUM_THREADS", "2")]);
    assert_eq!(one, two);
}

#[test]
fn out_dir_holds_the_json_report_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results/sst2");
    let stdout = succeed(
        splitee()
            .args(["run", "--runs", "2", "--json", "--out"])
            .arg(&out),
    );
    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    assert_eq!(json, stdout);
    let report: Value = serde_json::from_str(&json).unwrap();
    let markdown = std::fs::read_to_string(out.join("results.md")).unwrap();
    for r in report["results"].as_array().unwrap() {
        let policy = r["policy"].as_str().unwrap();
        assert!(
            markdown.contains(&format!("| {policy} |")),
            "{policy} missing from\n{markdown}"
        );
    }
}
