//! Drifting streams: on a synthetic stream whose best split switches half-way, a forgetting UCB
//! (sliding-window or discounted) ends with far less regret against each phase's best arm than
//! UCB1, which holds on to the arm that was best before the switch.

mod common;

use common::{splitee, succeed_json};
use splitee::config::RunSettings;
use splitee::cost::CostModel;
use splitee::run::run_on;
use splitee::sim::{Order, SimOptions};
use splitee::trace::synth::{Drift, SynthParams};
use splitee::trace::{Trace, TraceBuilder};
use std::path::Path;

/// 200,000 samples, 12 exits, 2 classes: a clean phase, then a distorted one.
const PARAMS: SynthParams = SynthParams {
    samples: 200_000,
    exits: 12,
    classes: 2,
    seed: 9,
};
const DRIFT: Drift = Drift::Switch {
    segments: 2,
    shift: 0.5,
};
/// `alpha = 0.7`, `lambda = 0.1` and the dearest offloading cost of the SplitEE grid.
const ALPHA: f64 = 0.7;
const LAMBDA: f64 = 0.1;
const OFFLOAD: f64 = 0.6;

fn settings(policies: &[&str]) -> RunSettings {
    RunSettings {
        policies: policies.iter().map(|n| n.parse().unwrap()).collect(),
        alpha: ALPHA,
        cost: CostModel::linear(LAMBDA, OFFLOAD),
        sim: SimOptions {
            runs: 1,
            seed: 9,
            order: Order::Given,
            ucb_c: 1.0,
            ..SimOptions::default()
        },
        ..RunSettings::default()
    }
}

/// Every arm's mean reward on every phase, each phase replayed on its own.
fn phase_arm_means() -> Vec<Vec<f64>> {
    let mut samples = PARAMS.stream_with(DRIFT).unwrap();
    let starts = DRIFT.segment_starts(PARAMS.samples);
    let ends = starts[1..].iter().copied().chain([PARAMS.samples]);
    starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| {
            let mut b = TraceBuilder::new(Path::new("phase")).with_classes(PARAMS.classes);
            samples.by_ref().take(end - start).for_each(|s| b.push(s));
            let phase: Trace = b.finish().unwrap();
            let out = run_on(
                &phase,
                vec!["phase".into()],
                &settings(&["fixed:1"]),
                &|_| {},
            );
            out.unwrap().sim.arm_means
        })
        .collect()
}

/// The 0-based arm with the highest mean.
fn argmax(means: &[f64]) -> usize {
    (0..means.len())
        .max_by(|&a, &b| means[a].total_cmp(&means[b]))
        .unwrap()
}

/// The acceptance test of drifting streams: with a fixed seed, sliding-window or discounted UCB
/// ends with at least 30% less regret against each segment's best arm than UCB1.
#[test]
fn forgetting_ucb_has_30_percent_less_segment_regret_than_ucb1_after_a_switch() {
    // The switch is a real one: the distorted phase's best arm is a deeper split, and the clean
    // phase's best arm loses at least 0.1 per sample against it there.
    let means = phase_arm_means();
    let best: Vec<usize> = means.iter().map(|m| argmax(m)).collect();
    println!(
        "best arm per phase (1-based): {}, {}",
        best[0] + 1,
        best[1] + 1
    );
    assert_eq!(best.len(), 2);
    assert!(best[1] > best[0], "{best:?}");
    let loss = means[1][best[1]] - means[1][best[0]];
    assert!(loss >= 0.1, "{loss}");

    let trace = PARAMS.trace_with(DRIFT).unwrap();
    assert_eq!(trace.segment_starts(), &[0, PARAMS.samples / 2]);
    let names = ["ucb1:1", "sw-ucb:50000", "d-ucb:0.99995"];
    let out = run_on(&trace, vec!["switch".into()], &settings(&names), &|_| {}).unwrap();
    let regret = |p: usize| {
        let run = &out.sim.runs[p][0];
        (
            run.segment_regret.expect("given order, 2 segments"),
            run.regret,
        )
    };
    for (p, name) in names.iter().enumerate() {
        let (segment, global) = regret(p);
        println!("{name:>14}: segment regret {segment:9.1}, regret {global:9.1}");
    }
    let ucb1 = regret(0).0;
    let forgetting = regret(1).0.min(regret(2).0);
    assert!(
        forgetting <= 0.7 * ucb1,
        "best forgetting UCB {forgetting:.1} against UCB1 {ucb1:.1}"
    );
}

/// Change detection on the same stream: M-UCB's detector fires once, within 3,000 decisions
/// after the switch, and its segment regret is less than a fifth of UCB1's (whose constant it
/// shares) and below the best forgetting UCB's of the test above.
#[test]
fn m_ucb_detects_the_switch_and_beats_ucb1_after_it() {
    use splitee::policy::{AnyPolicy, Policy, PolicySpec, PolicyState, RunContext};
    use splitee::reward::{Feedback, Observation, RewardKind, RewardModel, SampleRow};

    let trace = PARAMS.trace_with(DRIFT).unwrap();
    let switch = PARAMS.samples / 2;
    // The detector, step by step, as the replay drives it (given order, bandit feedback).
    let cost = CostModel::linear(LAMBDA, OFFLOAD);
    let costs = cost.resolve(&trace).unwrap();
    let model = RewardModel::of_settings(ALPHA, &cost, costs.clone(), RewardKind::Splitee);
    let mut row = SampleRow::new(&trace, &model);
    row.load(&trace, &costs, 0);
    let spec: PolicySpec = "m-ucb:4000".parse().unwrap();
    let mut policy = spec.build(&RunContext {
        arms: PARAMS.exits,
        best_arm: 0,
        seed: 9,
        ucb_c: 1.0,
        log_count: splitee::policy::LogCount::default(),
        reward_bounds: model.reward_bounds(&row),
    });
    let restarts = |policy: &AnyPolicy| match policy.state() {
        PolicyState::MUcb(learned) => (learned.restarts(), learned.last_restart()),
        other => panic!("m-ucb saves {other:?}"),
    };
    let mut before_switch = (0, 0);
    for t in 0..PARAMS.samples {
        if t == switch {
            before_switch = restarts(&policy);
        }
        row.load(&trace, &costs, t);
        let outcome = model.play(&row, policy.choose(t));
        policy.observe(&Feedback::new(
            &outcome,
            &row,
            &model,
            Observation::Strict,
            1.0,
        ));
    }
    let (count, last) = restarts(&policy);
    println!("m-ucb:4000: {count} restart(s), the last at step {last} (switch at {switch})");
    assert_eq!(before_switch, (0, 0), "no false alarm before the switch");
    assert_eq!(count, 1);
    let delay = last as usize - switch;
    assert!(
        (1..=3_000).contains(&delay),
        "detected {delay} decisions after the switch"
    );

    let names = ["ucb1:1", "m-ucb:4000", "sw-ucb:50000"];
    let out = run_on(&trace, vec!["switch".into()], &settings(&names), &|_| {}).unwrap();
    let segment = |p: usize| out.sim.runs[p][0].segment_regret.unwrap();
    for (p, name) in names.iter().enumerate() {
        println!("{name:>14}: segment regret {:9.1}", segment(p));
    }
    assert!(
        segment(1) <= 0.2 * segment(0),
        "m-ucb {:.1} against UCB1 {:.1}",
        segment(1),
        segment(0)
    );
    assert!(segment(1) < segment(2), "m-ucb against sw-ucb");
}

/// The command line writes the phases of a switching drift to one file each, and replaying
/// them in the given order reports regret against each phase's best arm.
#[test]
fn synth_writes_one_file_per_phase_and_run_reports_segment_regret() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.csv");
    splitee()
        .args([
            "synth",
            "--samples",
            "4000",
            "--drift",
            "switch",
            "--seed",
            "9",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (first, second) = (dir.path().join("d-1.csv"), dir.path().join("d-2.csv"));
    assert!(!out.exists());
    let json = succeed_json(
        splitee()
            .args([
                "run",
                "--order",
                "given",
                "--runs",
                "1",
                "--offload-cost",
                "0.6",
            ])
            .args(["--policy", "ucb1:1", "--policy", "sw-ucb:1000", "--json"])
            .arg("--trace")
            .arg(&first)
            .arg("--trace")
            .arg(&second),
    );
    assert_eq!(json["trace"]["samples"], 4000);
    for result in json["results"].as_array().unwrap() {
        let segment = result["segment_regret"]["mean"].as_f64().unwrap();
        let global = result["cumulative_regret"]["mean"].as_f64().unwrap();
        // Each phase's best arm earns at least the global best arm's reward on its phase.
        assert!(segment >= global - 1e-6, "{segment} < {global}");
    }
}
