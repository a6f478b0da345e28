//! One-line errors: exit status 2, one line on stderr naming what was wrong, no panic.

use super::*;
use std::path::PathBuf;
use tempfile::TempDir;

fn temp_file(dir: &TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn missing_trace_file_is_one_line_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.csv");
    let line = fail_with_one_line(splitee().arg("run").arg("--trace").arg(&path));
    assert_mentions(&line, &[&path.display().to_string(), "No such file"]);
}

#[test]
fn missing_config_file_is_one_line_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let line = fail_with_one_line(splitee().arg("run").arg("--config").arg(&path));
    assert_mentions(&line, &[&path.display().to_string(), "cannot read config"]);
}

#[test]
fn config_syntax_error_is_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "bad.toml", "[run]\nruns = 2\n[cost]\nlambda = \n");
    let line = fail_with_one_line(splitee().arg("run").arg("--config").arg(&path));
    assert_mentions(&line, &[&path.display().to_string(), "line 4"]);
}

#[test]
fn unknown_policy_is_one_line_naming_it() {
    let line = fail_with_one_line(splitee().args(["run", "--policy", "ucb9"]));
    assert_mentions(&line, &["unknown policy `ucb9`", "splitee-s"]);
}

#[test]
fn a_bad_choice_is_one_line_listing_the_possible_values() {
    let line = fail_with_one_line(splitee().args(["run", "--cost-model", "x"]));
    assert_eq!(
        line,
        "splitee: invalid value 'x' for '--cost-model <MODEL>' \
         [possible values: linear, table, measured, profile, cs1, cs2]"
    );
}

#[test]
fn out_of_range_flags_are_one_line_naming_the_flag() {
    let cases = [
        (
            ["--alpha", "2"],
            "splitee: --alpha: alpha must be in (0, 1], got 2",
        ),
        (["--runs", "0"], "splitee: --runs: runs must be at least 1"),
        // A negative value after a flag is the flag's value, refused by its own check.
        (
            ["--mu", "-1"],
            "splitee: --mu: is -1; costs must be finite, >= 0 and at most 1e100",
        ),
        (
            ["--lambda", "-0.1"],
            "splitee: --lambda: is -0.1; costs must be finite, >= 0 and at most 1e100",
        ),
        (
            ["--alpha", "-0.5"],
            "splitee: --alpha: alpha must be in (0, 1], got -0.5",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(
            fail_with_one_line(splitee().arg("run").args(args)),
            expected
        );
    }
}

#[test]
fn bad_trace_value_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(
        &dir,
        "bad.csv",
        "label,conf_1,pred_1,conf_2,pred_2\n1,0.6,1,0.9,1\n0,1.5,0,0.9,0\n",
    );
    let line = fail_with_one_line(splitee().arg("run").arg("--trace").arg(&path));
    assert_mentions(
        &line,
        &[&path.display().to_string(), "line 3", "conf_1", "1.5"],
    );
}

#[test]
fn measured_cost_model_needs_cost_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(
        &dir,
        "nocost.csv",
        "label,conf_1,pred_1,conf_2,pred_2\n1,0.6,1,0.9,1\n0,0.8,0,0.9,0\n",
    );
    let line = fail_with_one_line(
        splitee()
            .args(["run", "--cost-model", "measured", "--trace"])
            .arg(&path),
    );
    assert_mentions(&line, &[&path.display().to_string(), "cost_k", "measured"]);
    // The library error carries its cause in its own text; it must not be printed twice.
    assert_eq!(line.matches("cost_k").count(), 1, "{line}");
}

#[test]
fn unwritable_output_is_one_line_without_repeating_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-folder/decisions.jsonl");
    let line = fail_with_one_line(
        splitee()
            .args([
                "run",
                "--runs",
                "1",
                "--policy",
                "final-exit",
                "--decisions",
            ])
            .arg(&path),
    );
    assert_mentions(&line, &[&path.display().to_string(), "cannot write"]);
    assert_eq!(line.matches("No such file").count(), 1, "{line}");
}

#[test]
fn bare_command_is_one_line_listing_the_commands() {
    let line = fail_with_one_line(&mut splitee());
    assert_mentions(&line, &["run", "inspect", "synth", "--help"]);
}

#[test]
fn closed_stdout_is_not_an_error() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("splitee"))
        .args(["run", "--json", "--runs", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A cost list only the trace can refuse (one value per split) is blamed on its file and line.
#[test]
fn wrong_length_cost_lists_name_their_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("s.csv");
    crate::common::succeed(
        splitee()
            .args(["synth", "--samples", "20", "--exits", "3", "--out"])
            .arg(&trace),
    );
    let refusal = |config: &PathBuf| {
        fail_with_one_line(
            splitee()
                .args(["run", "--config"])
                .arg(config)
                .arg("--trace")
                .arg(&trace),
        )
    };
    let config = temp_file(
        &dir,
        "c.toml",
        "[cost]\nmodel = \"linear\"\noffload = [0.1, 0.2, 0.3, 0.4]\n",
    );
    assert_eq!(
        refusal(&config),
        format!(
            "splitee: {}: line 3: cost.offload: has 4 entries; a per-split offload cost needs one \
             per split 1..2 (2 values)",
            config.display()
        )
    );
    let config = temp_file(
        &dir,
        "t.toml",
        "[cost]\nmodel = \"table\"\ntable = [0.1, 0.2]\n",
    );
    assert_eq!(
        refusal(&config),
        format!(
            "splitee: {}: line 3: cost.table: has 2 entries but the trace has 3 exits",
            config.display()
        )
    );
}

/// An error whose message quotes its cause (the OS error) says it once, not again as the cause.
#[test]
fn a_quoted_cause_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::create_dir(&state).unwrap();
    let line = fail_with_one_line(
        splitee()
            .args(["stream", "--state"])
            .arg(&state)
            .write_stdin("{}\n"),
    );
    assert_mentions(&line, &["cannot read the learner state", "os error"]);
    assert_eq!(line.matches("os error").count(), 1, "{line}");

    let line = fail_with_one_line(
        splitee()
            .args(["train", "--dataset", "optdigits", "--data-path"])
            .arg(dir.path())
            .arg("--out")
            .arg(dir.path().join("net")),
    );
    assert_mentions(&line, &["optdigits.tra: cannot read", "No such file"]);
    assert_eq!(line.matches("No such file").count(), 1, "{line}");
}

/// A missing file of the shared data is named with the public source it comes from.
#[test]
fn a_missing_shared_trace_says_where_it_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared/data/traces/sst2-bert12.csv");
    for command in ["run", "inspect"] {
        let line = fail_with_one_line(splitee().arg(command).arg("--trace").arg(&path));
        assert_mentions(
            &line,
            &[
                &format!("{} is not available; it comes from", path.display()),
                "Div290/Buffer_based_threshold",
                "csv_files/df.csv",
            ],
        );
    }
    // An experiment whose trace is missing: `reproduce NAME` refuses it in the same words.
    let experiments = dir.path().join("experiments");
    std::fs::create_dir(&experiments).unwrap();
    std::fs::write(
        experiments.join("sst2.toml"),
        "[trace]\npaths = [\"../shared/data/traces/sst2-bert12.csv\"]\n[sweep]\noffload = 0.5\n",
    )
    .unwrap();
    let line = fail_with_one_line(
        splitee()
            .args(["reproduce", "sst2", "--experiments"])
            .arg(&experiments)
            .arg("--results")
            .arg(dir.path().join("results")),
    );
    assert_mentions(
        &line,
        &[
            "sst2: trace ",
            "is not available; it comes from GitHub Div290",
        ],
    );
}
