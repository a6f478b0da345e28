//! The text trace readers on a synthetic trace, in bytes of input per second: streaming samples
//! out of CSV and JSON Lines held in memory (`CsvSamples`, `JsonlSamples`: parse and validate),
//! and loading the same files from a temporary directory into a replayable trace
//! (`trace::load`: open, read, parse, validate, build the compact trace).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use splitee_core::trace::{self, write_csv, write_jsonl, CsvSamples, JsonlSamples, Sample};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const SAMPLES: usize = 20_000;

/// Reads every sample of a stream, failing on the first error; returns how many there were.
fn drain(samples: impl Iterator<Item = Result<Sample, trace::TraceError>>) -> usize {
    let mut count = 0;
    for sample in samples {
        black_box(sample.expect("a valid sample"));
        count += 1;
    }
    count
}

fn readers(c: &mut Criterion) {
    let samples: Vec<Sample> = splitee_bench::synthetic(SAMPLES)
        .stream()
        .expect("a valid synthetic trace")
        .collect();
    let mut csv = Vec::new();
    write_csv(&mut csv, samples.iter().cloned()).expect("writing to memory");
    let mut jsonl = Vec::new();
    write_jsonl(&mut jsonl, samples).expect("writing to memory");
    // `CsvSamples` takes a `'static` reader: the bytes live as long as the process.
    let csv: &'static [u8] = Vec::leak(csv);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let csv_path = dir.path().join("trace.csv");
    let jsonl_path = dir.path().join("trace.jsonl");
    std::fs::write(&csv_path, csv).expect("writing the CSV trace");
    std::fs::write(&jsonl_path, &jsonl).expect("writing the JSON Lines trace");
    let name = PathBuf::from("bench");

    let mut group = c.benchmark_group("readers");
    group.sampling_mode(SamplingMode::Flat);

    group.throughput(Throughput::Bytes(csv.len() as u64));
    group.bench_function("csv/stream", |b| {
        b.iter(|| {
            let stream = CsvSamples::new(csv, name.clone()).expect("a CSV header");
            assert_eq!(drain(stream), SAMPLES);
        });
    });
    group.bench_function("csv/load", |b| b.iter(|| load(&csv_path)));

    group.throughput(Throughput::Bytes(jsonl.len() as u64));
    group.bench_function("jsonl/stream", |b| {
        b.iter(|| {
            let stream = JsonlSamples::new(jsonl.as_slice(), name.clone());
            assert_eq!(drain(stream), SAMPLES);
        });
    });
    group.bench_function("jsonl/load", |b| b.iter(|| load(&jsonl_path)));
    group.finish();
}

fn load(path: &Path) {
    let trace = trace::load(path).expect("the trace loads");
    assert_eq!(trace.samples(), SAMPLES);
    black_box(trace);
}

criterion_group! {
    name = benches;
    config = splitee_bench::short(10, 3);
    targets = readers
}
criterion_main!(benches);
