//! The policy zoo through the public API: every policy finds the better arm of a clear two-arm
//! stream, forgetting policies follow a switch, and bad names fail with a message naming the bad
//! parameter. (That counts and sums stay consistent is a unit test: `policy::testing`.)

use assert_cmd::Command;
use splitee::config::RunSettings;
use splitee::cost::CostModel;
use splitee::policy::PolicySpec;
use splitee::run::run_on;
use splitee::sim::SimOptions;
use splitee::trace::{Sample, Trace, TraceBuilder};
use std::path::Path;

/// Every policy of the zoo, with and without side observations where they take them.
const ZOO: [&str; 30] = [
    "ucb1:0.5",
    "ucb1:2",
    "ucb1:1+s",
    "ucb-v",
    "ucb-v+s",
    "ucb-tuned",
    "ucb-tuned+s",
    "kl-ucb",
    "kl-ucb:3",
    "kl-ucb+s",
    "thompson",
    "thompson:0.5",
    "thompson+s",
    "eps-greedy:0.1",
    "eps-greedy:0.1+s",
    "eps-greedy:decay",
    "eps-greedy:decay:5+s",
    "exp3:0.1",
    "exp3:0.3",
    "exp3-ix:0.05",
    "exp3-ix:0.5",
    "sw-ucb:1000",
    "sw-ucb:1000+s",
    "sw-ucb:200",
    "d-ucb:0.999",
    "d-ucb:0.999+s",
    "d-ucb:0.99",
    "ucb-bwk",
    "m-ucb:1000",
    "m-ucb:200:0",
];

/// A deterministic value in [0, 1) for sample `s` and stream `k` (SplitMix64).
fn noise(s: u64, k: u64) -> f64 {
    let mut z = s.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / 2f64.powi(64)
}

/// Two exits: exit 1 is always confident (`C_1` in [0.9, 1) >= alpha = 0.7, reward
/// `C_1 - 0.1`, about 0.85) and exit 2 less so and dearer (`C_2` in [0.45, 0.85), reward
/// `C_2 - 0.2`, about 0.45): arm 1 is clearly better.
fn two_arm_trace(samples: u64) -> Trace {
    let mut b = TraceBuilder::new(Path::new("two-arms")).with_capacity(samples as usize);
    for s in 0..samples {
        b.push(Sample {
            context: None,
            arrival: None,
            conf: vec![0.9 + 0.1 * noise(s, 1), 0.45 + 0.4 * noise(s, 2)],
            pred: vec![0, 0],
            label: Some(0),
            cost: None,
        });
    }
    b.finish().unwrap()
}

fn settings(policies: Vec<PolicySpec>) -> RunSettings {
    RunSettings {
        policies,
        cost: CostModel::linear(0.1, 0.3),
        sim: SimOptions {
            runs: 3,
            seed: 11,
            ..SimOptions::default()
        },
        ..RunSettings::default()
    }
}

fn specs(names: &[&str]) -> Vec<PolicySpec> {
    names.iter().map(|n| n.parse().unwrap()).collect()
}

#[test]
fn every_zoo_policy_ends_on_the_better_of_two_arms() {
    let trace = two_arm_trace(6_000);
    let out = run_on(
        &trace,
        vec!["two-arms".into()],
        &settings(specs(&ZOO)),
        &|_| {},
    )
    .unwrap();
    assert_eq!(out.report.best_arm, 1);
    for (name, result) in ZOO.iter().zip(&out.report.results) {
        assert_eq!(result.policy, *name);
        assert_eq!(result.learned_arm, 1, "{name}: {:?}", result.arm_counts);
        // Every run, not only most of them, plays arm 1 most in the second half.
        let runs = &out.sim.runs[ZOO.iter().position(|n| n == name).unwrap()];
        for run in runs {
            assert!(
                run.late_arm_counts[0] > run.late_arm_counts[1],
                "{name}: {:?}",
                run.late_arm_counts
            );
        }
    }
}

/// A switch half-way: arm 1 is better (0.85 against 0.45), then arm 1's exit is no longer
/// confident and arm 2 is better (0.775 against 0.575).
fn switching_trace(samples: u64) -> Trace {
    let mut b = TraceBuilder::new(Path::new("switch")).with_capacity(samples as usize);
    for s in 0..samples {
        let conf = if s < samples / 2 {
            vec![0.9 + 0.1 * noise(s, 1), 0.45 + 0.4 * noise(s, 2)]
        } else {
            vec![0.2 + 0.3 * noise(s, 1), 0.95 + 0.05 * noise(s, 2)]
        };
        b.push(Sample {
            context: None,
            arrival: None,
            conf,
            pred: vec![0, 0],
            label: Some(0),
            cost: None,
        });
    }
    b.finish().unwrap()
}

/// On a stream that switches, the forgetting policies follow the switch: in the 1,000 steps
/// after it they play the new best arm more often than UCB1, which holds on to the old one, and
/// over the second half they play it most.
#[test]
fn forgetting_policies_follow_a_switch() {
    let trace = switching_trace(8_000);
    let names = [
        "splitee",
        "sw-ucb:500",
        "sw-ucb:500+s",
        "d-ucb:0.99",
        "d-ucb:0.99+s",
    ];
    let mut s = settings(specs(&names));
    s.sim.order = splitee::sim::Order::Given;
    let out = run_on(&trace, vec!["switch".into()], &s, &|_| {}).unwrap();
    let at = |step: usize| out.sim.curve_steps.iter().position(|&t| t == step).unwrap();
    let (switch, later) = (at(4_000), at(5_000));
    let after_switch = |p: usize| {
        out.sim.runs[p]
            .iter()
            .map(|m| m.arm_count_curve[later][1] - m.arm_count_curve[switch][1])
            .sum::<u64>()
    };
    for (p, name) in names.iter().enumerate().skip(1) {
        assert_eq!(out.report.results[p].learned_arm, 2, "{name}");
        assert!(
            after_switch(p) > after_switch(0),
            "{name}: {} against {}",
            after_switch(p),
            after_switch(0)
        );
    }
}

/// `ucb1:C` is SplitEE's UCB1 with its own constant: with `C` equal to the run's `--ucb-c` it
/// makes the same decisions, and `ucb1:C+s` those of `splitee-s`.
#[test]
fn ucb1_with_the_run_constant_is_splitee() {
    // The synthetic 12-exit trace, where arms are close and side observations matter.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/synthetic-sst2like-12exit.csv");
    let trace = splitee::trace::load(&path).unwrap();
    let policies = specs(&["splitee", "ucb1:1", "splitee-s", "ucb1:1+s", "ucb1:3"]);
    let out = run_on(&trace, vec!["t".into()], &settings(policies), &|_| {}).unwrap();
    let runs = &out.sim.runs;
    for (splitee, ucb1) in [(0, 1), (2, 3)] {
        for (a, b) in runs[splitee].iter().zip(&runs[ucb1]) {
            assert_eq!(a.totals.arm_counts, b.totals.arm_counts);
            assert_eq!(a.regret_curve, b.regret_curve);
            assert_eq!(a.reward_sums, b.reward_sums);
        }
    }
    // A larger constant explores more: it plays the best arm less.
    let best = out.sim.best_arm;
    let exploited = |p: usize| {
        runs[p]
            .iter()
            .map(|m| m.totals.arm_counts[best])
            .sum::<u64>()
    };
    assert!(exploited(4) < exploited(1));
}

/// `sw-ucb:W:C` and `d-ucb:G:C` decide as `sw-ucb:W` and `d-ucb:G` in a run whose `--ucb-c` is
/// C, whatever the run's constant.
#[test]
fn forgetting_ucb_with_its_own_constant_ignores_the_runs() {
    let trace = two_arm_trace(2_000);
    let run = |names: &[&str], ucb_c: f64| {
        let mut s = settings(specs(names));
        s.sim.ucb_c = ucb_c;
        run_on(&trace, vec!["t".into()], &s, &|_| {}).unwrap().sim
    };
    let own = run(&["sw-ucb:200:0.3", "d-ucb:0.99:0.3+s"], 1.0);
    let runs = run(&["sw-ucb:200", "d-ucb:0.99+s"], 0.3);
    let other = run(&["sw-ucb:200", "d-ucb:0.99+s"], 1.0);
    for p in 0..2 {
        for ((a, b), c) in own.runs[p].iter().zip(&runs.runs[p]).zip(&other.runs[p]) {
            assert_eq!(a.totals.arm_counts, b.totals.arm_counts);
            assert_eq!(a.regret_curve, b.regret_curve);
            // The constant matters on this stream, so the equality above says something.
            assert_ne!(a.totals.arm_counts, c.totals.arm_counts);
        }
    }
}

/// The same seed gives the same decisions; randomised policies use it.
#[test]
fn randomised_policies_are_reproducible_from_the_seed() {
    let trace = two_arm_trace(500);
    let names = ["thompson", "eps-greedy:0.3", "exp3:0.5", "exp3-ix:1"];
    let run = |seed: u64| {
        let mut s = settings(specs(&names));
        s.sim.seed = seed;
        run_on(&trace, vec!["t".into()], &s, &|_| {})
            .unwrap()
            .sim
            .runs
    };
    let (a, b, c) = (run(1), run(1), run(2));
    for p in 0..names.len() {
        assert_eq!(
            a[p][0].totals.arm_counts, b[p][0].totals.arm_counts,
            "{}",
            names[p]
        );
        assert_ne!(
            a[p][0].totals.arm_counts, c[p][0].totals.arm_counts,
            "{}",
            names[p]
        );
    }
}

#[test]
fn bad_parameters_fail_naming_the_parameter() {
    for (name, parameter) in [
        ("exp3:2", "gamma"),
        ("eps-greedy:1.5", "epsilon E"),
        ("sw-ucb:0", "window W"),
        ("d-ucb:1.2", "discount G (gamma)"),
        ("exp3+s", "side observations (+s)"),
        ("kl-ucb:x", "exploration constant c"),
    ] {
        let message = name.parse::<PolicySpec>().unwrap_err();
        assert!(
            message.starts_with(&format!("`{name}`: ")) && message.contains(parameter),
            "{name}: {message}"
        );
    }
}

#[test]
fn the_cli_takes_zoo_names_and_rejects_bad_ones_in_one_line() {
    let out = Command::cargo_bin("splitee")
        .unwrap()
        .args(["run", "--runs", "2", "--json"])
        .args([
            "--policy",
            "kl-ucb+s",
            "--policy",
            "exp3:0.1",
            "--policy",
            "sw-ucb:500+s",
        ])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kl-ucb+s", "exp3:0.1", "sw-ucb:500+s"]);

    let out = Command::cargo_bin("splitee")
        .unwrap()
        .args(["run", "--policy", "d-ucb:1.2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("the discount G (gamma) in d-ucb:G must be in (0, 1)"),
        "{stderr}"
    );
}
