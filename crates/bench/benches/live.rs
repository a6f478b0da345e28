//! The live learner's step, in decisions per second: `LiveLearner::choose`, then
//! `LiveLearner::observe` with the confidences the device computed up to the plan's split (and
//! every exit's when the plan sends the sample to the cloud), as a device loop drives it
//! (`examples/live_device.rs`). The samples come from a synthetic trace held in memory; the
//! learner keeps learning across iterations.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use splitee_core::live::{LiveLearner, LiveSettings, Observed};
use splitee_core::policy::PolicySpec;
use std::hint::black_box;

const SAMPLES: usize = 20_000;
use splitee_bench::EXITS;
/// Decisions per iteration.
const BLOCK: usize = 1000;

fn live(c: &mut Criterion) {
    let trace = splitee_bench::synthetic_trace(SAMPLES);
    // Every sample's confidences, row after row.
    let mut conf = vec![0.0; SAMPLES * EXITS];
    for (s, row) in conf.chunks_exact_mut(EXITS).enumerate() {
        trace.conf_row(s, row);
    }

    let mut group = c.benchmark_group("live");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for name in ["splitee-s", "splitee-s:unbiased", "joint-ucb"] {
        let policy: PolicySpec = name.parse().expect("a known policy");
        let mut learner =
            LiveLearner::new(&LiveSettings::new(policy), EXITS, false).expect("a live learner");
        let mut rows = conf.chunks_exact(EXITS).cycle();
        group.bench_function(name, |b| {
            b.iter(|| {
                for row in rows.by_ref().take(BLOCK) {
                    let plan = learner.choose();
                    let computed = if plan.sends_to_cloud(row, EXITS) {
                        EXITS
                    } else {
                        plan.device_exits(row, EXITS).expect("a full row")
                    };
                    let outcome = learner
                        .observe(&Observed {
                            conf: &row[..computed],
                            cost: None,
                        })
                        .expect("a consistent observation");
                    black_box(outcome);
                }
            });
        });
        black_box(learner.totals());
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = splitee_bench::short(20, 2);
    targets = live
}
criterion_main!(benches);
