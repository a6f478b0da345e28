//! Determinism: the same seed gives the same bytes, and the schedule, shifts and weight decay
//! are seeded and change what is learned.

use crate::{random_images, tiny};
use splitee::train::data::Images;
use splitee::train::profile::CostProfile;
use splitee::train::{trace_samples, train, write_trace, NoProgress, Schedule, TrainParams};
use std::path::Path;

#[test]
fn same_seed_gives_byte_identical_trace_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let params = tiny(vec![6, 4, 2], vec![2, 2]).validate().unwrap();
    let train_set = random_images(100, 4, 5, 1);
    let held_out = random_images(40, 4, 5, 2);
    let mut outputs = Vec::new();
    for run in 0..2 {
        let mlp = train(&params, &train_set, &mut NoProgress).unwrap();
        let path = dir.path().join(format!("t{run}.csv"));
        write_trace(&path, &trace_samples(&mlp, &held_out)).unwrap();
        outputs.push((
            std::fs::read(&path).unwrap(),
            CostProfile::of(&mlp, "tiny", 4).to_json(),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
    // The trace reads back as a 3-exit labeled trace.
    let trace = splitee::trace::load(&dir.path().join("t0.csv")).unwrap();
    assert_eq!((trace.samples(), trace.exits()), (40, 3));
    let other = TrainParams {
        seed: 4,
        ..params.params().clone()
    }
    .validate()
    .unwrap();
    let mlp = train(&other, &train_set, &mut NoProgress).unwrap();
    let path = dir.path().join("t2.csv");
    write_trace(&path, &trace_samples(&mlp, &held_out)).unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), outputs[0].0);
}

/// Trains `params` on `train_set` and returns the trace of `held_out` as CSV bytes.
fn trace_bytes(params: &TrainParams, train_set: &Images, held_out: &Images, dir: &Path) -> Vec<u8> {
    let mlp = train(&params.validate().unwrap(), train_set, &mut NoProgress).unwrap();
    let path = dir.join("t.csv");
    write_trace(&path, &trace_samples(&mlp, held_out)).unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn schedule_shifts_and_weight_decay_are_seeded_and_change_the_training() {
    let dir = tempfile::tempdir().unwrap();
    let train_set = random_images(100, 4, 5, 1);
    let held_out = random_images(40, 4, 5, 2);
    let plain = tiny(vec![6, 4, 2], vec![2, 2]);
    let tuned = TrainParams {
        schedule: Schedule::Cosine,
        shift: 1,
        weight_decay: 0.5,
        epochs: 3,
        ..plain.clone()
    };
    let a = trace_bytes(&tuned, &train_set, &held_out, dir.path());
    assert!(
        a == trace_bytes(&tuned, &train_set, &held_out, dir.path()),
        "not reproducible"
    );
    // Each option on its own changes what is learned.
    let base = TrainParams {
        epochs: 3,
        ..plain.clone()
    };
    let reference = trace_bytes(&base, &train_set, &held_out, dir.path());
    for changed in [
        TrainParams {
            schedule: Schedule::Cosine,
            ..base.clone()
        },
        TrainParams {
            schedule: "step:1:0.5".parse().unwrap(),
            ..base.clone()
        },
        TrainParams {
            shift: 1,
            ..base.clone()
        },
        TrainParams {
            weight_decay: 0.5,
            ..base.clone()
        },
    ] {
        let bytes = trace_bytes(&changed, &train_set, &held_out, dir.path());
        assert_ne!(
            bytes, reference,
            "{changed:?} trained like the plain network"
        );
    }
    // Another seed gives other shifts (and weights), hence another trace.
    let other = TrainParams { seed: 4, ..tuned };
    assert!(
        trace_bytes(&other, &train_set, &held_out, dir.path()) != a,
        "seed ignored"
    );
}
