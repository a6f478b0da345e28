//! The `splitee` binary as users and tools call it: the SPEC section 5 contract (exit status,
//! one-line errors, the `--json` schema, `--decisions`, `--out`), reproducibility, and the
//! `inspect` and `synth` commands.

mod common;

use assert_cmd::Command;
use common::{manifest, shared_trace, splitee, succeed, succeed_json, EXAMPLE_CONFIG_POLICIES};
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const SST2: &str = "sst2-bert12.csv";
const CIFAR10: &str = "cifar10-mobilenet2.csv";
const SST2_SAMPLES: usize = 872;
const SST2_EXITS: usize = 12;
const METRICS: [&str; 5] = [
    "accuracy",
    "cost_per_sample",
    "total_cost",
    "offload_fraction",
    "cumulative_regret",
];

fn temp_file(dir: &TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

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

// ---------------------------------------------------------------- errors

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
         [possible values: linear, table, measured, profile]"
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

// ---------------------------------------------------------------- help and defaults

#[test]
fn version_and_run_help_succeed() {
    splitee()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "splitee {}",
            env!("CARGO_PKG_VERSION")
        )));
    splitee()
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--trace"))
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("splitee run --trace "));
}

/// Each flag of `splitee COMMAND --help` with its help paragraph on one line.
fn flag_helps(command: &str) -> Vec<(String, String)> {
    let out = succeed(splitee().args([command, "--help"]));
    let mut flags: Vec<(String, String)> = Vec::new();
    let mut in_paragraph = false;
    for line in out.lines() {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        if indent <= 6 && text.starts_with("--") {
            let flag = text.split_whitespace().next().unwrap_or_default();
            flags.push((flag.to_owned(), String::new()));
            in_paragraph = true;
        } else if text.is_empty() {
            in_paragraph = false;
        } else if let (true, Some((_, help))) = (in_paragraph, flags.last_mut()) {
            if !help.is_empty() {
                help.push(' ');
            }
            help.push_str(text);
        }
    }
    flags
}

/// The value a help paragraph states as its default (`Default X` or `default X`), if any.
fn stated_default(help: &str) -> Option<String> {
    let at = help.find("Default ").or_else(|| help.find("default "))?;
    let word = help[at + "Default ".len()..].split_whitespace().next()?;
    Some(word.trim_end_matches(['.', ',', ')', ':', ';']).to_owned())
}

/// The defaults that `run --help` and `stream --help` state are the run's defaults
/// (`RunSettings::default`), every one of them: a changed default cannot leave stale help.
#[test]
fn help_states_the_run_defaults() {
    use splitee::config::{CompatCost, CostModelName, RunSettings};
    let run = RunSettings::default();
    let name = |value: serde_json::Value| value.as_str().unwrap().to_owned();
    let number = |value: f64| move |text: &str| text.parse::<f64>() == Ok(value);
    let named = |expected: String| move |text: &str| text == expected;
    let offload = match run.cost.offload {
        splitee::cost::OffloadCost::Constant(o) => o,
        splitee::cost::OffloadCost::PerSplit(_) => f64::NAN,
    };
    let thresholds = run.sim.thresholds.clone();
    // Per flag: whether the text it states is the default.
    type Holds = Box<dyn Fn(&str) -> bool>;
    let expected: Vec<(&str, Holds)> = vec![
        (
            "--policy",
            Box::new(named(splitee::settings::DEFAULT_STREAM_POLICY.to_string())),
        ),
        ("--alpha", Box::new(number(run.alpha))),
        (
            "--lambda",
            Box::new(number(run.cost.linear_lambda().unwrap())),
        ),
        ("--offload-cost", Box::new(number(offload))),
        ("--mu", Box::new(number(run.cost.mu))),
        (
            "--cost-model",
            Box::new(named(name(
                serde_json::to_value(CostModelName::of(&run.cost.processing)).unwrap(),
            ))),
        ),
        ("--ucb-c", Box::new(number(run.sim.ucb_c))),
        ("--seed", Box::new(number(run.sim.seed as f64))),
        (
            "--observation",
            Box::new(named(run.sim.observation.to_string())),
        ),
        (
            "--thresholds",
            Box::new(move |text: &str| {
                splitee::arms::parse_thresholds(text).as_ref() == Ok(&thresholds)
            }),
        ),
        ("--probe", Box::new(number(run.sim.probe))),
        ("--reward", Box::new(named(run.reward.to_string()))),
        ("--runs", Box::new(number(run.sim.runs as f64))),
        ("--order", Box::new(named(run.sim.order.to_string()))),
        (
            "--compat-cost",
            Box::new(named(name(
                serde_json::to_value(CompatCost::default()).unwrap(),
            ))),
        ),
    ];
    for command in ["run", "stream"] {
        let mut checked = 0;
        for (flag, help) in flag_helps(command) {
            let Some(stated) = stated_default(&help) else {
                continue;
            };
            let (_, holds) = expected
                .iter()
                .find(|(f, _)| *f == flag)
                .unwrap_or_else(|| {
                    panic!("{command} {flag} states a default no test holds: {help}")
                });
            assert!(
                holds(&stated),
                "{command} {flag}: stated default {stated:?} in {help:?}"
            );
            checked += 1;
        }
        assert!(checked >= 11, "{command}: {checked} defaults found");
    }
}

#[test]
fn run_without_trace_uses_the_embedded_default() {
    let table = succeed(splitee().args(["run", "--runs", "2"]));
    assert!(
        table.starts_with("embedded:sparsity-mnist-d25\n3000 samples, 3 exits"),
        "{table}"
    );
    let policies: Vec<&str> = table
        .lines()
        .skip(3)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        policies,
        ["splitee", "splitee-s", "final-exit", "device-ee", "random"]
    );
    // The final exit against itself is no change, printed without a negative zero.
    let final_exit = table.lines().find(|l| l.starts_with("final-exit")).unwrap();
    assert!(final_exit.contains(" +0.0% "), "{final_exit}");
}

#[test]
fn inspect_without_trace_summarises_the_embedded_default() {
    let text = succeed(splitee().args(["inspect", "--alpha", "0.9"]));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("embedded:sparsity-mnist-d25: 3000 samples, 3 exits, 10 classes, labeled, no costs")
    );
    // The final exit (the sparsity report's 96.20%) and its confident share at 0.9.
    let last = lines.last().unwrap();
    assert_eq!(
        last.split_whitespace().collect::<Vec<_>>(),
        ["3", "0.9620", "0.9600", "0.8910", "-"]
    );
}

/// The embedded trace brings its network's cost profile (the sparsity report's prices: the
/// final exit's 22,000 MACs at 1/91,000 each); choosing any cost setting replaces it, and `--mu`
/// only weighs it.
#[test]
fn embedded_trace_is_priced_by_its_profile_unless_costs_are_given() {
    let final_exit_cost = |args: &[&str]| {
        let mut cmd = splitee();
        cmd.args(["run", "--runs", "1", "--policy", "final-exit", "--json"])
            .args(args);
        let report = succeed_json(&mut cmd);
        result(&report, "final-exit")["cost_per_sample"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!((final_exit_cost(&[]) - 22_000.0 / 91_000.0).abs() < 1e-12);
    assert!((final_exit_cost(&["--mu", "2"]) - 22_000.0 / 91_000.0).abs() < 1e-12);
    // Linear costs on its 3 exits: proc(3) = lambda x 3.
    assert!((final_exit_cost(&["--lambda", "0.1"]) - 0.3).abs() < 1e-12);
    assert!((final_exit_cost(&["--offload-cost", "0.2"]) - 0.3).abs() < 1e-12);
    assert!((final_exit_cost(&["--compat", "splitee-2023"]) - 0.3).abs() < 1e-12);
}

#[test]
fn example_config_runs_from_the_repository_root() {
    if !manifest()
        .join("../shared/data/traces")
        .join(SST2)
        .is_file()
    {
        eprintln!("skipping: the example config expects ../shared next to the repository");
        return;
    }
    let report = succeed_json(splitee().current_dir(manifest()).args([
        "run",
        "--config",
        "experiments/splitee-sst2.toml",
        "--json",
    ]));
    assert_eq!(report["trace"]["samples"], SST2_SAMPLES);
    assert_eq!(report["settings"]["runs"], 20);
    let policies: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"].as_str().unwrap())
        .collect();
    assert_eq!(policies, EXAMPLE_CONFIG_POLICIES);
}

// ---------------------------------------------------------------- JSON report

const SCHEMA_POLICIES: [&str; 7] = [
    "splitee",
    "splitee-s",
    "final-exit",
    "device-ee",
    "random",
    "fixed:1",
    "best-fixed",
];

fn policy_args(policies: &[&str]) -> Vec<String> {
    policies
        .iter()
        .flat_map(|p| ["--policy".to_owned(), (*p).to_owned()])
        .collect()
}

#[test]
fn json_report_holds_the_spec_schema() {
    let Some(sst2) = shared_trace(SST2) else {
        return;
    };
    let mut args = policy_args(&SCHEMA_POLICIES);
    args.extend(["--runs", "3"].map(String::from));
    let report = run_json(&sst2, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(report["trace"]["samples"], SST2_SAMPLES);
    assert_eq!(report["trace"]["exits"], SST2_EXITS);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), SCHEMA_POLICIES.len());
    for (r, policy) in results.iter().zip(SCHEMA_POLICIES) {
        assert_eq!(r["policy"], policy);
        assert_eq!(r["runs"], 3);
        for metric in METRICS {
            assert!(
                r[metric]["mean"].is_f64(),
                "{policy} {metric}: {}",
                r[metric]
            );
            assert!(
                r[metric]["ci95"].is_f64(),
                "{policy} {metric}: {}",
                r[metric]
            );
        }
        for arm in ["best_arm", "learned_arm"] {
            let k = r[arm].as_u64().unwrap() as usize;
            assert!((1..=SST2_EXITS).contains(&k), "{policy} {arm} = {k}");
        }
        let counts: Vec<f64> = r["arm_counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        assert_eq!(counts.len(), SST2_EXITS, "{policy}");
        assert_close(counts.iter().sum(), SST2_SAMPLES as f64, 1e-9);
    }
}

#[test]
fn json_numbers_on_sst2_match_the_trace() {
    let Some(sst2) = shared_trace(SST2) else {
        return;
    };
    let alpha = 0.7;
    let report = run_json(
        &sst2,
        &[
            "--lambda",
            "0.1",
            "--alpha",
            "0.7",
            "--offload-cost",
            "0.5",
            "--runs",
            "4",
            "--policy",
            "final-exit",
            "--policy",
            "fixed:1",
            "--policy",
            "best-fixed",
        ],
    );
    assert_close(mean(&report, "final-exit", "accuracy"), 0.9025, 1e-4);
    assert_close(mean(&report, "final-exit", "cost_per_sample"), 1.2, 1e-12);
    assert_close(
        mean(&report, "final-exit", "total_cost"),
        1.2 * SST2_SAMPLES as f64,
        1e-9,
    );
    assert_eq!(mean(&report, "final-exit", "offload_fraction"), 0.0);

    let conf_1 = Columns::read(&sst2).column("conf_1");
    let below = conf_1.iter().filter(|&&c| c < alpha).count() as f64 / conf_1.len() as f64;
    assert_eq!(below, 1.0, "exit 1 of SST-2 is the constant 0.5014");
    assert_close(mean(&report, "fixed:1", "offload_fraction"), below, 1e-12);
    assert_close(mean(&report, "fixed:1", "cost_per_sample"), 0.6, 1e-12);

    let best = result(&report, "best-fixed");
    assert_close(mean(&report, "best-fixed", "cumulative_regret"), 0.0, 1e-9);
    assert_eq!(best["learned_arm"], best["best_arm"]);
    assert_eq!(best["best_arm"], report["best_arm"]);
}

#[test]
fn decisions_file_has_one_line_per_decision() {
    let Some(sst2) = shared_trace(SST2) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.jsonl");
    succeed(
        splitee()
            .args([
                "run", "--runs", "2", "--policy", "splitee", "--order", "given",
            ])
            .arg("--trace")
            .arg(&sst2)
            .arg("--decisions")
            .arg(&path),
    );
    let columns = Columns::read(&sst2);
    let conf: Vec<Vec<f64>> = (1..=SST2_EXITS)
        .map(|k| columns.column(&format!("conf_{k}")))
        .collect();
    let text = std::fs::read_to_string(&path).unwrap();
    let decisions: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decisions.len(), 2 * SST2_SAMPLES);
    for (i, d) in decisions.iter().enumerate() {
        let (run, t) = (i / SST2_SAMPLES, i % SST2_SAMPLES);
        assert_eq!(d["run"], run, "{d}");
        assert_eq!(d["t"], t, "{d}");
        assert_eq!(d["sample"], t, "given order: {d}");
        let arm = d["arm"].as_u64().unwrap() as usize;
        assert!((1..=SST2_EXITS).contains(&arm), "{d}");
        assert!(d["offloaded"].is_boolean(), "{d}");
        assert!(d["reward"].is_f64() && d["cost"].is_f64(), "{d}");
        assert!(d["prediction"].is_u64(), "{d}");
        assert!(d["correct"].is_boolean(), "{d}");
        // Defaults: alpha 0.7, lambda 0.1, o 0.5. Arm L runs on the device; every other arm
        // offloads exactly when its confidence is below alpha.
        let offloaded = arm < SST2_EXITS && conf[arm - 1][t] < 0.7;
        assert_eq!(d["offloaded"], offloaded, "{d}");
        let cost = 0.1 * arm as f64 + if offloaded { 0.5 } else { 0.0 };
        assert_close(d["cost"].as_f64().unwrap(), cost, 1e-12);
    }
}

/// The decision log gives a threshold only for learners of the threshold, and not on the final
/// exit (whose threshold changes nothing), as the report does.
#[test]
fn decisions_give_the_threshold_of_threshold_learners_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.jsonl");
    succeed(
        splitee()
            .args(["run", "--runs", "1", "--thresholds", "0.6,0.8"])
            .args(["--policy", "joint-ucb", "--policy", "alpha:0.8:splitee-s"])
            .args(["--policy", "splitee"])
            .arg("--decisions")
            .arg(&path),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut with, mut final_exit) = (0, 0);
    for line in text.lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        let threshold = d.get("threshold").and_then(Value::as_f64);
        match (d["policy"].as_str().unwrap(), d["arm"].as_u64().unwrap()) {
            ("joint-ucb", 3) => {
                assert_eq!(threshold, None, "{d}");
                final_exit += 1;
            }
            ("joint-ucb", _) => {
                assert!(matches!(threshold, Some(t) if t == 0.6 || t == 0.8), "{d}");
                with += 1;
            }
            _ => assert_eq!(threshold, None, "{d}"),
        }
    }
    // The embedded trace has 3 exits: joint UCB tries every arm, the final exit included.
    assert!(with > 0 && final_exit > 0, "{with} {final_exit}");
}

// ---------------------------------------------------------------- reproducibility

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

// ---------------------------------------------------------------- cost models on CIFAR-10

#[test]
fn measured_costs_report_milliseconds_on_cifar10() {
    let Some(cifar) = shared_trace(CIFAR10) else {
        return;
    };
    let report = run_json(
        &cifar,
        &[
            "--cost-model",
            "measured",
            "--mu",
            "0.01",
            "--offload-cost",
            "0.2",
            "--runs",
            "2",
        ],
    );
    assert_eq!(report["trace"]["measured_costs"], true);
    let columns = Columns::read(&cifar);
    let total: f64 = columns
        .column("cost_1")
        .iter()
        .zip(columns.column("cost_2"))
        .map(|(a, b)| a + b)
        .sum();
    let expected = total / columns.rows.len() as f64;
    let actual = mean(&report, "final-exit", "cost_per_sample");
    assert!(
        ((actual - expected) / expected).abs() <= 1e-9,
        "{actual} vs {expected}"
    );
}

#[test]
fn linear_costs_on_cifar10() {
    let Some(cifar) = shared_trace(CIFAR10) else {
        return;
    };
    let report = run_json(&cifar, &["--lambda", "0.1", "--runs", "2"]);
    assert_eq!(report["trace"]["exits"], 2);
    assert_close(mean(&report, "final-exit", "cost_per_sample"), 0.2, 1e-12);
}

// ---------------------------------------------------------------- inspect and synth

#[test]
fn inspect_lists_every_exit_of_sst2() {
    let Some(sst2) = shared_trace(SST2) else {
        return;
    };
    let table = succeed(splitee().arg("inspect").arg("--trace").arg(&sst2));
    assert!(table.contains("872 samples, 12 exits"), "{table}");
    let exit_rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| cells.first().is_some_and(|c| c.parse::<usize>().is_ok()))
        .collect();
    assert_eq!(exit_rows.len(), SST2_EXITS);
    assert_eq!(exit_rows[11][..2], ["12", "0.9025"]);

    let json = succeed_json(
        splitee()
            .arg("inspect")
            .arg("--json")
            .arg("--trace")
            .arg(&sst2),
    );
    assert_eq!(json["samples"], SST2_SAMPLES);
    assert_eq!(json["per_exit"].as_array().unwrap().len(), SST2_EXITS);
    assert_close(
        json["per_exit"][11]["accuracy"].as_f64().unwrap(),
        0.9025,
        1e-4,
    );
}

const SYNTH_ARGS: [&str; 9] = [
    "synth",
    "--samples",
    "50",
    "--exits",
    "4",
    "--classes",
    "3",
    "--seed",
    "9",
];

fn synth_to(path: &Path) -> Vec<u8> {
    succeed(splitee().args(SYNTH_ARGS).arg("--out").arg(path));
    std::fs::read(path).unwrap()
}

#[test]
fn synth_writes_a_trace_inspect_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    synth_to(&path);
    let json = succeed_json(
        splitee()
            .arg("inspect")
            .arg("--json")
            .arg("--trace")
            .arg(&path),
    );
    assert_eq!(
        (&json["samples"], &json["exits"], &json["classes"]),
        (&Value::from(50), &Value::from(4), &Value::from(3))
    );
    let table = succeed(splitee().arg("inspect").arg("--trace").arg(&path));
    assert!(table.contains("50 samples, 4 exits, 3 classes"), "{table}");
}

#[test]
fn synth_same_seed_gives_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = synth_to(&dir.path().join("a.csv"));
    assert_eq!(first, synth_to(&dir.path().join("b.csv")));
    let mut other_seed = SYNTH_ARGS;
    other_seed[8] = "10";
    let different = succeed(splitee().args(other_seed));
    assert_ne!(first, different.into_bytes());
}

#[test]
fn synth_jsonl_to_stdout_has_one_line_per_sample() {
    let stdout = succeed(splitee().args(SYNTH_ARGS).args(["--format", "jsonl"]));
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 50);
    assert!(lines
        .iter()
        .all(|s| s["conf"].as_array().map(Vec::len) == Some(4)));
}

#[test]
fn joint_and_threshold_learners_report_and_find_their_arms() {
    let trace =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/synthetic-sst2like-12exit.csv");
    let report = run_json(
        &trace,
        &[
            "--policy",
            "splitee-s",
            "--policy",
            "joint-ucb",
            "--policy",
            "threshold:3:splitee-s",
            "--policy",
            "joint:best-fixed",
            "--runs",
            "3",
            "--offload-cost",
            "0.3",
        ],
    );
    // The threshold learner at split 3 ends on the best threshold there.
    let threshold = result(&report, "threshold:3:splitee-s");
    assert_eq!(threshold["learned_arm"], 3);
    assert_eq!(threshold["learned_threshold"], threshold["best_threshold"]);
    // Joint learning reports (split, threshold) pairs, comes within 0.01 per sample of the best
    // pair in hindsight and beats SplitEE-S at the default alpha.
    let joint = result(&report, "joint-ucb");
    assert!(joint["learned_threshold"]
        .as_f64()
        .is_some_and(|a| (0.5..=0.95).contains(&a)));
    let best = mean(&report, "joint:best-fixed", "reward_per_sample");
    let learned = mean(&report, "joint-ucb", "reward_per_sample");
    assert!(learned > best - 0.01, "{learned} vs {best}");
    assert!(learned > mean(&report, "splitee-s", "reward_per_sample") + 0.05);
    // Split-only policies report no threshold.
    assert!(result(&report, "splitee-s")
        .get("learned_threshold")
        .is_none());
}

#[test]
fn bad_threshold_grids_and_arm_sets_are_one_line_errors() {
    let message = fail_with_one_line(splitee().args(["run", "--thresholds", "0.9,0.5"]));
    assert_mentions(&message, &["--thresholds", "strictly increasing"]);
    let message = fail_with_one_line(splitee().args(["run", "--policy", "joint:final-exit"]));
    assert_mentions(&message, &["joint:final-exit", "plays fixed splits"]);
    let message = fail_with_one_line(splitee().args(["run", "--policy", "threshold:4:splitee"]));
    assert_mentions(&message, &["threshold:4:splitee", "only 3 exits"]);
}

/// The joint-learning claim of the README on SST-2 at o = 0.3: joint UCB with strict side
/// information beats SplitEE-S at its best fixed threshold (in hindsight) and at alpha 0.7, and
/// the unbiased variant learns the oracle's split at alpha 0.7.
#[test]
fn joint_learning_beats_every_fixed_threshold_on_sst2() {
    let Some(trace) = shared_trace("sst2-bert12.csv") else {
        return;
    };
    let mut args = vec!["--offload-cost", "0.3", "--probe", "0.05"];
    let fixed: Vec<String> = splitee::arms::default_thresholds()
        .iter()
        .map(|a| format!("alpha:{a}:splitee-s"))
        .collect();
    for name in &fixed {
        args.extend(["--policy", name]);
    }
    for name in [
        "splitee-s",
        "splitee-s:unbiased",
        "splitee-s:oracle",
        "joint-ucb",
    ] {
        args.extend(["--policy", name]);
    }
    let report = run_json(&trace, &args);
    let reward = |policy: &str| {
        let e = &result(&report, policy)["reward_per_sample"];
        (e["mean"].as_f64().unwrap(), e["ci95"].as_f64().unwrap())
    };
    let (joint, joint_ci) = reward("joint-ucb");
    for name in &fixed {
        let (fixed, fixed_ci) = reward(name);
        assert!(
            joint - joint_ci > fixed + fixed_ci,
            "{name}: {fixed} vs joint {joint}"
        );
    }
    assert!(joint > reward("splitee-s").0 + 0.05);
    assert_eq!(
        result(&report, "splitee-s:unbiased")["learned_arm"],
        result(&report, "splitee-s:oracle")["learned_arm"]
    );
}
