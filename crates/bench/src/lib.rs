//! Criterion benchmarks of [`splitee_core`], in `benches/` (see `benches/README.md`). The crate
//! keeps criterion out of the engine's dependency tree; this library is what the benches share.

use criterion::Criterion;
use splitee_core::reward::RewardModel;
use splitee_core::settings::RunSettings;
use splitee_core::trace::synth::SynthParams;
use splitee_core::trace::Trace;
use std::time::Duration;

/// Exits of every benchmark trace (the SST-2 BERT's).
pub const EXITS: usize = 12;

/// The synthetic trace every bench replays: `samples` x [`EXITS`], 2 classes, seed 1.
pub fn synthetic(samples: usize) -> SynthParams {
    SynthParams {
        samples,
        exits: EXITS,
        classes: 2,
        seed: 1,
    }
}

/// [`synthetic`] as a trace in memory.
pub fn synthetic_trace(samples: usize) -> Trace {
    synthetic(samples).trace().expect("a valid synthetic trace")
}

/// The reward model of `splitee run`'s defaults (alpha 0.7, linear costs, the SplitEE reward)
/// on `trace`.
pub fn default_model(trace: &Trace) -> RewardModel {
    let settings = RunSettings::default();
    let costs = settings.cost.resolve(trace).expect("linear costs resolve");
    RewardModel::of_settings(settings.alpha, &settings.cost, costs, settings.reward)
}

/// A short criterion run: `samples` samples, 1 s of warm-up, `seconds` of measurement.
pub fn short(samples: usize, seconds: u64) -> Criterion {
    Criterion::default()
        .sample_size(samples)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(seconds))
}
