//! The learning half of a decision: a policy's `observe` after an arm was played, which for
//! SplitEE-S walks the shallower arms whose rewards the observation model reveals
//! (`Feedback::for_each_side` in `reward.rs`) and records each in the UCB statistics
//! (`policy/ucb.rs`). Rows and outcomes are computed beforehand, so only the update is timed.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use splitee_core::policy::{AnyPolicy, Policy, PolicySpec, RunContext};
use splitee_core::reward::{Action, Feedback, Observation, Outcome, RewardModel, SampleRow};
use splitee_core::settings::RunSettings;
use splitee_core::trace::Trace;
use std::hint::black_box;

/// Decisions per iteration: rows cycled through in order.
const ROWS: usize = 4096;

/// Which arm each decision played.
#[derive(Clone, Copy)]
enum Played {
    /// The final exit: every shallower arm is informed (the most side updates per decision).
    Final,
    /// A uniformly random arm per decision (seeded).
    Random,
}

/// One scenario: the policy, what it may observe, and which arms were played.
struct Case {
    name: &'static str,
    policy: &'static str,
    observation: Observation,
    played: Played,
}

const CASES: [Case; 5] = [
    Case {
        name: "splitee-s/strict/final",
        policy: "splitee-s",
        observation: Observation::Strict,
        played: Played::Final,
    },
    Case {
        name: "splitee-s/strict/random",
        policy: "splitee-s",
        observation: Observation::Strict,
        played: Played::Random,
    },
    Case {
        name: "splitee-s/oracle/random",
        policy: "splitee-s",
        observation: Observation::Oracle,
        played: Played::Random,
    },
    // Bandit feedback: the played arm's update alone, for reference.
    Case {
        name: "splitee/random",
        policy: "splitee",
        observation: Observation::Strict,
        played: Played::Random,
    },
    // Side observations over the (split, threshold) grid: 111 arms.
    Case {
        name: "joint-ucb/strict/random",
        policy: "joint-ucb",
        observation: Observation::Strict,
        played: Played::Random,
    },
];

/// The rows of a synthetic trace's first `ROWS` samples, as the replay loop loads them.
fn rows(trace: &Trace, model: &RewardModel) -> Vec<SampleRow> {
    (0..ROWS)
        .map(|s| {
            let mut row = SampleRow::new(trace, model);
            row.load(trace, model.costs(), s);
            row
        })
        .collect()
}

fn side_updates(c: &mut Criterion) {
    let trace = splitee_bench::synthetic_trace(ROWS);
    let settings = RunSettings::default();
    let base = splitee_bench::default_model(&trace);
    let rows = rows(&trace, &base);

    let mut group = c.benchmark_group("side_updates");
    group.throughput(Throughput::Elements(ROWS as u64));
    for case in &CASES {
        let spec: PolicySpec = case.policy.parse().expect("a known policy");
        let model = base.with_space(spec.arms, &settings.sim.thresholds);
        let arms = model.arms().len();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let outcomes: Vec<Outcome> = rows
            .iter()
            .map(|row| {
                let arm = match case.played {
                    Played::Final => arms - 1,
                    Played::Random => rng.random_range(0..arms),
                };
                model.play(row, Action::Split(arm))
            })
            .collect();
        let ctx = RunContext {
            arms,
            best_arm: 0,
            seed: 0,
            ucb_c: settings.sim.ucb_c,
            log_count: splitee_core::policy::LogCount::default(),
            reward_bounds: model.reward_bounds(&rows[0]),
        };
        let mut policy: AnyPolicy = spec.build(&ctx);
        let probe = settings.sim.probe;
        group.bench_function(case.name, |b| {
            b.iter(|| {
                for (row, outcome) in rows.iter().zip(&outcomes) {
                    policy.observe(&Feedback::new(
                        outcome,
                        row,
                        &model,
                        case.observation,
                        probe,
                    ));
                }
            });
        });
        black_box(policy.reward_sums());
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = splitee_bench::short(20, 2);
    targets = side_updates
}
criterion_main!(benches);
