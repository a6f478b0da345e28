//! Compatibility mode `adaee-2023` (AdaEE, ICC 2023): decisions on the CIFAR-10 trace against a
//! hand-computed prefix, the mode's defaults, and its refusals.

use super::*;
use crate::common::{manifest, shared_trace, succeed_with_decisions};

/// The thresholds `threshold:1:splitee` plays under `--compat adaee-2023` on the first samples of
/// `trace` in file order, one run, with `args`.
fn adaee_thresholds(trace: &Path, args: &[&str], prefix: usize) -> Vec<f64> {
    let (report, decisions) = succeed_with_decisions(
        splitee()
            .args([
                "run",
                "--compat",
                "adaee-2023",
                "--order",
                "given",
                "--runs",
                "1",
            ])
            .args(["--policy", "threshold:1:splitee", "--json"])
            .arg("--trace")
            .arg(trace)
            .args(args),
    );
    assert_eq!(report["settings"]["compat"], "adaee-2023");
    decisions
        .iter()
        .take(prefix)
        .map(|decision| {
            assert_eq!(decision["arm"], 1, "the threshold is learned at exit 1");
            decision["threshold"].as_f64().unwrap()
        })
        .collect()
}

/// The first 24 decisions of AdaEE's UCB on the CIFAR-10 trace (file order), o = 0.1, c = 0.2.
///
/// Derived by hand (checked with a ten-line script reading `conf_1`, `conf_2` of the first 24
/// rows, outside the repository): grid 0, 0.2, ..., 1; arm `a` offloads when `C_1 <
/// threshold`, earning `max(C_2 - C_1, 0) - 0.1`, else exits earning 0. Steps 0-5 play each
/// threshold once; on these rows `C_1 < 1` always and `C_1 >= 0.8` whenever thresholds 0.8 or
/// below are played, so only threshold 1 ever offloads: at t = 5 (C = 0.9694, 0.9999: reward
/// -0.0694), t = 11 (0.9512, 0.9746: -0.0766) and t = 23 (0.9896, 0.9999: -0.0897). Every other
/// arm earns 0, so the index `mean + 0.2 sqrt(ln t / n)` cycles through the least-played arms,
/// lowest first (ties), skipping threshold 1 while its mean is below. At t = 17 threshold 1 (n =
/// 2, mean -0.0730) has index 0.1650 < 0.1944 of threshold 0 (n = 3). At t = 22, threshold 0
/// (n = 4, mean 0) has `0.2 sqrt(ln 22 / 4)` = 0.17580 and threshold 1 (n = 2) `-0.0730 + 0.2
/// sqrt(ln 22 / 2)` = 0.17562, so threshold 0 is played; with SplitEE's `ln(t + 1)` = ln 23 the
/// order flips (0.17707 vs 0.17737) and threshold 1 would be played at t = 22: this prefix
/// tells the two indices apart. At t = 23, threshold 1 leads (0.1774 vs 0.1771).
#[test]
fn adaee_decisions_on_cifar10_match_a_hand_computed_prefix() {
    let Some(trace) = shared_trace("cifar10-mobilenet2.csv") else {
        return;
    };
    let played = adaee_thresholds(&trace, &["--offload-cost", "0.1", "--ucb-c", "0.2"], 24);
    let expected = [
        0.0, 0.2, 0.4, 0.6, 0.8, 1.0, // each arm once
        0.0, 0.2, 0.4, 0.6, 0.8, 1.0, // ties among the zero-mean arms, then threshold 1
        0.0, 0.2, 0.4, 0.6, 0.8, // threshold 1's mean is now below
        0.0, 0.2, 0.4, 0.6, 0.8, //
        0.0, // ln 22: threshold 0 by 0.00018 (ln 23 would pick threshold 1)
        1.0,
    ];
    assert_eq!(played, expected);
}

/// The mode implies AdaEE's grid (from 0), reward and policies; given values replace the grid
/// and the policies.
#[test]
fn adaee_mode_brings_its_grid_reward_and_policies() {
    let trace = manifest().join("tests/fixtures/golden-spec8.csv");
    let report = run_json(&trace, &["--compat", "adaee-2023", "--runs", "2"]);
    let policies: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        [
            "threshold:1:splitee",
            "threshold:1:best-fixed",
            "final-exit"
        ]
    );
    // The learner and the best threshold in hindsight come from the grid 0, 0.2, ..., 1.
    for policy in ["threshold:1:splitee", "threshold:1:best-fixed"] {
        let learned = result(&report, policy)["learned_threshold"]
            .as_f64()
            .unwrap();
        assert!(
            [0.0, 0.2, 0.4, 0.6, 0.8, 1.0].contains(&learned),
            "{policy}: {learned}"
        );
    }
    let given = run_json(
        &trace,
        &[
            "--compat",
            "adaee-2023",
            "--thresholds",
            "0,0.5",
            "--policy",
            "threshold:2:splitee",
            "--policy",
            "threshold:2:best-fixed",
        ],
    );
    assert_eq!(given["results"].as_array().unwrap().len(), 2);
    let best = result(&given, "threshold:2:best-fixed")["best_threshold"]
        .as_f64()
        .unwrap();
    assert!([0.0, 0.5].contains(&best), "{best}");
}

#[test]
fn adaee_mode_refuses_what_the_published_code_cannot_do() {
    let message = fail_with_one_line(splitee().args([
        "run",
        "--compat",
        "adaee-2023",
        "--policy",
        "splitee",
    ]));
    assert_mentions(
        &message,
        &[
            "--policy",
            "learns the threshold at one exit",
            "threshold:K:splitee",
        ],
    );
    let message = fail_with_one_line(splitee().args([
        "run",
        "--compat",
        "adaee-2023",
        "--reward",
        "confidence-gain",
    ]));
    assert_mentions(
        &message,
        &[
            "--reward",
            "confidence-gain-clipped",
            "drop the confidence-gain",
        ],
    );
    let message =
        fail_with_one_line(splitee().args(["run", "--compat", "adaee-2023", "--mu", "0.5"]));
    assert_mentions(&message, &["--mu", "unweighted", "mu = 0.5"]);
    let message = fail_with_one_line(splitee().args([
        "run",
        "--compat",
        "adaee-2023",
        "--compat-cost",
        "linear",
    ]));
    assert_mentions(&message, &["--compat-cost", "has no effect", "adaee-2023"]);
}

/// A grid may hold 0 (an arm that always exits at its split); alpha may not (split arms at 0
/// would never offload).
#[test]
fn threshold_grids_may_start_at_zero() {
    let trace = manifest().join("tests/fixtures/golden-spec8.csv");
    // Threshold 0 always exits at exit 1; threshold 1 offloads every sample of this trace (its
    // confidences are at most 0.99).
    for (grid, offloaded) in [("0", 0.0), ("1", 1.0)] {
        let report = run_json(
            &trace,
            &[
                "--thresholds",
                grid,
                "--policy",
                "threshold:1:splitee",
                "--runs",
                "1",
            ],
        );
        let r = result(&report, "threshold:1:splitee");
        assert_eq!(r["offload_fraction"]["mean"], offloaded, "grid {grid}");
    }
    let message = fail_with_one_line(splitee().args(["run", "--thresholds=-0.1,0.5"]));
    assert_mentions(&message, &["--thresholds", "[0, 1]", "-0.1"]);
    let message = fail_with_one_line(splitee().args(["run", "--alpha", "0"]));
    assert_mentions(&message, &["--alpha", "(0, 1]"]);
}
