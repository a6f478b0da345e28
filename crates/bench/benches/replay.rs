//! Replay throughput: one seeded run of a policy over a synthetic trace on one thread, as
//! `splitee run --runs 1` does it (the pass over the trace that finds every arm's mean, the
//! run's permutation, then one decision per sample), in decisions per second.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use splitee_core::policy::PolicySpec;
use splitee_core::sim::{simulate, SimOptions};
use std::hint::black_box;

const SAMPLES: usize = 100_000;

fn replay(c: &mut Criterion) {
    let trace = splitee_bench::synthetic_trace(SAMPLES);
    let model = splitee_bench::default_model(&trace);
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
            ..SimOptions::default()
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
    config = splitee_bench::short(10, 4);
    targets = replay
}
criterion_main!(benches);
