//! Replay throughput: one seeded run of a policy over a synthetic trace on one thread, as
//! `splitee run --runs 1` does it (the pass over the trace that finds every arm's mean, the
//! run's permutation, then one decision per sample), in decisions per second.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use splitee_core::cost::ReportedCost;
use splitee_core::policy::PolicySpec;
use splitee_core::reward::RewardModel;
use splitee_core::settings::RunSettings;
use splitee_core::sim::{simulate, SimOptions};
use splitee_core::trace::synth::SynthParams;
use std::hint::black_box;
use std::time::Duration;

const SAMPLES: usize = 100_000;
const EXITS: usize = 12;

fn replay(c: &mut Criterion) {
    let trace = SynthParams {
        samples: SAMPLES,
        exits: EXITS,
        classes: 2,
        seed: 1,
    }
    .trace()
    .expect("a valid synthetic trace");
    // The defaults of `splitee run` (alpha 0.7, linear costs, the SplitEE reward).
    let settings = RunSettings::default();
    let costs = settings.cost.resolve(&trace).expect("linear costs resolve");
    let model = RewardModel::new(
        settings.alpha,
        costs,
        ReportedCost::Standard,
        settings.cost.linear_lambda().unwrap_or(0.0),
    )
    .with_kind(settings.reward);
    // `simulate` spreads runs over rayon's pool; one thread, as `splitee bench` measures.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");

    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(SAMPLES as u64));
    group.sampling_mode(SamplingMode::Flat);
    for name in ["splitee-s", "joint-ucb"] {
        let policy: PolicySpec = name.parse().expect("a known policy");
        let mut opts = SimOptions {
            runs: 1,
            ..settings.sim.clone()
        };
        group.bench_function(name, |b| {
            // Seeds 0, 1, 2, ... in every measurement: each iteration replays its own
            // permutation, and two baselines replay the same ones.
            opts.seed = 0;
            b.iter(|| {
                let result = pool
                    .install(|| simulate(&trace, &model, &[policy], &opts, &|_| {}))
                    .expect("the replay runs");
                opts.seed += 1;
                black_box(result)
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = replay
}
criterion_main!(benches);
