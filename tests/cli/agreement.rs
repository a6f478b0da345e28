//! Threshold vectors and the agreement-constrained learner: their reports, refusals, and the
//! acceptance claim on the real traces.

use super::*;
use crate::common::shared_trace;

/// The threshold grid the constrained learner runs with in the README and the experiments.
const GRID: &str = "0.6,0.7,0.8,0.9,0.95,0.99";

/// On both real traces at eps = 0.015, the constrained learner over threshold vectors keeps
/// its agreement with the final exit at 98.5% or more (up to its interval), plays an arm below
/// the floor on at most 1% of the second half's decisions, and costs less than the final exit
/// (on CIFAR-10 at o = 0.1: at o = 0.3 offloading after exit 1 costs more than running exit 2
/// on the device, so only exits could save, and none is accurate enough often enough).
#[test]
fn the_constrained_learner_keeps_agreement_and_saves_cost_on_the_real_traces() {
    for (name, policy, offload) in [
        (SST2, "vector:3:agreement-ucb:unbiased", "0.3"),
        (
            "cifar10-mobilenet2.csv",
            "vector:1:agreement-ucb:unbiased",
            "0.1",
        ),
    ] {
        let Some(trace) = shared_trace(name) else {
            return;
        };
        let report = run_json(
            &trace,
            &[
                "--thresholds",
                GRID,
                "--probe",
                "0.05",
                "--offload-cost",
                offload,
                "--runs",
                "5",
                "--policy",
                policy,
                "--policy",
                "final-exit",
            ],
        );
        let learner = result(&report, policy);
        let agreement = &learner["agreement_fraction"];
        let (mean, ci) = (
            agreement["mean"].as_f64().unwrap(),
            agreement["ci95"].as_f64().unwrap(),
        );
        assert!(mean + ci >= 0.985, "{name}: agreement {mean} ± {ci}");
        let constraint = &learner["constraint"];
        assert_eq!(constraint["floor_fraction"].as_f64(), Some(0.985));
        let late = constraint["late_violations_fraction"]["mean"]
            .as_f64()
            .unwrap();
        assert!(late <= 0.01, "{name}: late violations {late}");
        let saved = learner["cost_reduction_fraction"]["mean"].as_f64().unwrap();
        assert!(saved > 0.05, "{name}: saves {saved}");
        // The final exit agrees with itself and reports no constraint.
        let last = result(&report, "final-exit");
        assert_eq!(last["agreement_fraction"]["mean"].as_f64(), Some(1.0));
        assert!(last.get("constraint").is_none());
    }
}

#[test]
fn threshold_vectors_report_their_learned_vector() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sparsity-mnist-dense.csv");
    let report = run_json(
        &trace,
        &[
            "--thresholds",
            "0.8,0.9,0.99",
            "--runs",
            "2",
            "--policy",
            "vector:2:best-fixed",
            "--policy",
            "vector:2:splitee-s",
        ],
    );
    let best = result(&report, "vector:2:best-fixed");
    let vector = best["learned_vector"].as_array().unwrap();
    assert_eq!(vector.len(), 2);
    assert_eq!(best["learned_vector"], best["best_vector"]);
    assert_eq!(best["learned_arm"], 2);
    assert!(best.get("learned_threshold").is_none());
    assert!(
        result(&report, "vector:2:splitee-s")["agreement_fraction"]["mean"]
            .as_f64()
            .is_some_and(|a| (0.0..=1.0).contains(&a))
    );
}

#[test]
fn threshold_vector_and_constraint_errors_are_one_line() {
    let message = fail_with_one_line(splitee().args(["run", "--policy", "vector:3:splitee"]));
    assert_mentions(&message, &["vector:3:splitee", "K must be 1 to 2"]);
    let message = fail_with_one_line(splitee().args([
        "run",
        "--trace",
        "datasets/synthetic-sst2like-12exit.csv",
        "--policy",
        "vector:5:splitee-s",
    ]));
    assert_mentions(
        &message,
        &[
            "vector:5:splitee-s",
            "10 thresholds over 5 exits make 100001 arms",
        ],
    );
    let message = fail_with_one_line(splitee().args(["run", "--policy", "agreement-ucb:1.5"]));
    assert_mentions(&message, &["agreement-ucb:1.5", "eps", "in (0, 1)"]);
    let message = fail_with_one_line(splitee().args(["run", "--policy", "vector:0:splitee"]));
    assert_mentions(&message, &["K in vector:K:NAME"]);
}
