//! The `--json` report's schema and numbers, and the `--decisions` log.

use super::*;
use crate::common::{shared_trace, succeed};

const METRICS: [&str; 5] = [
    "accuracy",
    "cost_per_sample",
    "total_cost",
    "offload_fraction",
    "cumulative_regret",
];

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
