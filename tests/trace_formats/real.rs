//! The real traces of the shared folder (each test is skipped when its trace is absent).

use crate::common::shared_trace;
use crate::{assert_same_trace, samples_of};
use splitee::trace::{self, write_jsonl, TraceStats};
use std::fs::File;
use tempfile::TempDir;

#[test]
fn real_sst2_trace_loads_compactly() {
    let Some(path) = shared_trace("sst2-bert12.csv") else {
        return;
    };
    let trace = trace::load(&path).unwrap();
    assert_eq!(trace.samples(), 872);
    assert_eq!(trace.exits(), 12);
    assert_eq!(trace.classes(), 2);
    assert!(trace.is_labeled());
    assert!(!trace.has_costs());
    assert!(trace.is_compact(), "float32 confidences must stay f32");
    let stats = TraceStats::compute(&trace, &[0.9]);
    let last = stats.per_exit[11].accuracy.unwrap();
    assert!((last - 0.9025).abs() < 1e-4, "exit 12 accuracy {last}");
}

#[test]
fn real_cifar10_trace_has_costs() {
    let Some(path) = shared_trace("cifar10-mobilenet2.csv") else {
        return;
    };
    let trace = trace::load(&path).unwrap();
    assert_eq!(trace.samples(), 10_000);
    assert_eq!(trace.exits(), 2);
    assert_eq!(trace.classes(), 10);
    assert!(trace.has_costs());
    let stats = TraceStats::compute(&trace, &[0.8]);
    let first = stats.per_exit[0].accuracy.unwrap();
    assert!((first - 0.7915).abs() < 1e-4, "exit 1 accuracy {first}");
    // PROVENANCE.md: median costs 14.36 ms and 10.27 ms.
    let median = stats.per_exit[0].median_cost.unwrap();
    assert!((median - 14.36).abs() < 0.01, "exit 1 median cost {median}");
}

#[test]
fn real_trace_round_trips_through_jsonl_exactly() {
    let Some(path) = shared_trace("cifar10-mobilenet2.csv") else {
        return;
    };
    let original = trace::load(&path).unwrap();
    let dir = TempDir::new().unwrap();
    let jsonl = dir.path().join("cifar.jsonl");
    write_jsonl(File::create(&jsonl).unwrap(), samples_of(&original)).unwrap();
    let replayed = trace::load(&jsonl).unwrap();
    assert!(replayed.is_compact());
    assert_same_trace(&original, &replayed);
}
