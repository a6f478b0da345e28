//! Joint and threshold learners: their reports, arms, errors and the README's joint-learning
//! claim.

use super::*;
use crate::common::shared_trace;

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
    // The embedded trace has 3 exits: a threshold is learned at exit 1 or 2, never at the final
    // exit (where every sample leaves) or beyond.
    for k in [3, 4] {
        let name = format!("threshold:{k}:splitee");
        let message = fail_with_one_line(splitee().args(["run", "--policy", &name]));
        assert_mentions(
            &message,
            &[
                &name,
                "before the final exit",
                "3 exits, so K must be 1 to 2",
            ],
        );
    }
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
