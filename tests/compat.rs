//! Compatibility mode `splitee-2023` against SPEC section 8 and the published scripts' own
//! decisions, through the command line as a user runs it.

mod common;

use common::{manifest, shared_dir, splitee, succeed_with_decisions};
use serde_json::Value;
use std::path::Path;

struct CompatRun {
    arms: Vec<u64>,
    result: Value,
}

/// Runs one policy in compatibility mode, given order, one run; returns the 1-based arms played
/// and the JSON result.
fn compat_run(trace: &Path, policy: &str, alpha: f64, lambda: f64, offload: f64) -> CompatRun {
    let (report, decisions) = succeed_with_decisions(
        splitee()
            .args([
                "run",
                "--order",
                "given",
                "--runs",
                "1",
                "--compat",
                "splitee-2023",
                "--json",
            ])
            .arg("--trace")
            .arg(trace)
            .args(["--policy", policy])
            .args(["--alpha", &alpha.to_string()])
            .args(["--lambda", &lambda.to_string()])
            .args(["--offload-cost", &offload.to_string()]),
    );
    CompatRun {
        arms: decisions
            .iter()
            .map(|d| d["arm"].as_u64().unwrap())
            .collect(),
        result: report["results"][0].clone(),
    }
}

fn mean(v: &Value) -> f64 {
    v["mean"].as_f64().unwrap()
}

fn to_1_based(arms_0: &str) -> Vec<u64> {
    arms_0
        .split(',')
        .map(|a| a.parse::<u64>().unwrap() + 1)
        .collect()
}

/// Runs `policy` on the SPEC section 8 golden trace (alpha 0.7, lambda 0.1, o 0.3) and checks
/// its 0-based `arms`, total cost, and offload and correct counts out of 30 samples.
fn assert_golden_vectors(policy: &str, arms: &str, total_cost: f64, offloads: f64, correct: f64) {
    let trace = manifest().join("tests/fixtures/golden-spec8.csv");
    let run = compat_run(&trace, policy, 0.7, 0.1, 0.3);
    assert_eq!(run.arms, to_1_based(arms));
    let r = &run.result;
    assert!((mean(&r["total_cost"]) - total_cost).abs() < 1e-9);
    assert!((mean(&r["offload_fraction"]) * 30.0 - offloads).abs() < 1e-9);
    assert!((mean(&r["accuracy"]) * 30.0 - correct).abs() < 1e-9);
    assert_eq!(r["optimum_arm"], 1);
}

#[test]
fn golden_vectors_splitee_s() {
    assert_golden_vectors(
        "splitee-s",
        "4,4,8,5,6,11,0,0,1,2,2,4,2,2,4,4,10,11,0,0,0,0,1,5,4,5,1,1,1,2",
        16.30,
        11.0,
        13.0,
    );
}

#[test]
fn golden_vectors_splitee() {
    assert_golden_vectors(
        "splitee",
        "4,3,2,0,1,8,7,6,5,2,3,0,1,4,1,0,2,3,11,10,5,2,6,3,4,0,7,1,0,1",
        13.26,
        7.0,
        12.0,
    );
}

/// Every case recorded from the published scripts: same arm at every step, same totals.
#[test]
fn decisions_match_the_published_scripts() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(
            manifest().join("tests/fixtures/compat/published-splitee2023.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["trace"].as_str().unwrap();
        let trace = if name.starts_with("sst2") {
            let p = shared_dir().join("data/traces").join(name);
            if !p.exists() {
                common::skip_notice(&p);
                continue;
            }
            p
        } else {
            manifest().join("tests/fixtures").join(name)
        };
        let f = |k: &str| case[k].as_f64().unwrap();
        let policy = case["policy"].as_str().unwrap();
        let run = compat_run(&trace, policy, f("alpha"), f("lambda"), f("offload"));
        let expected: Vec<u64> = case["arms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_u64().unwrap())
            .collect();
        let first_difference = run.arms.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(first_difference, None, "{name} {policy}: arms differ");
        assert_eq!(run.arms.len(), expected.len());
        let r = &run.result;
        let n = expected.len() as f64;
        assert!(
            (mean(&r["total_cost"]) - f("total_cost")).abs() < 1e-9,
            "{name} {policy}"
        );
        assert!((mean(&r["offload_fraction"]) * n - f("offloads")).abs() < 1e-9);
        assert!((mean(&r["accuracy"]) - f("accuracy")).abs() < 1e-12);
        assert_eq!(r["optimum_arm"], case["optimum_arm"]);
        checked += 1;
    }
    assert!(checked >= 2, "the synthetic cases always run");
}
