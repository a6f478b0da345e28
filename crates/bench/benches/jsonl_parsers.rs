//! JSON Lines samples parsed four ways, in bytes of input per second, on the same lines (the
//! synthetic 12-exit trace) and to the same samples (checked before timing): the engine's
//! reader (`JsonlSamples`: line splitting, its hand-written parser, validation of every value),
//! and each line deserialized by `serde_json`, `sonic-rs` and `simd-json` into the same fields
//! (line splitting and conversion included, no validation). What decides whether the engine
//! keeps its parser.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use splitee_core::trace::{write_jsonl, JsonlSamples, Sample};
use std::hint::black_box;
use std::path::PathBuf;

const SAMPLES: usize = 20_000;

/// One line as the libraries deserialize it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    conf: Vec<f64>,
    pred: Vec<u32>,
    label: Option<u32>,
    cost: Option<Vec<f64>>,
}

impl From<Line> for Sample {
    fn from(line: Line) -> Self {
        Sample {
            context: None,
            arrival: None,
            conf: line.conf,
            pred: line.pred,
            label: line.label,
            cost: line.cost,
        }
    }
}

/// Reads every sample of a JSON Lines text.
type Reader = fn(&[u8]) -> Vec<Sample>;

/// Every sample of `jsonl`, each line deserialized by `parse`.
fn each_line(jsonl: &[u8], mut parse: impl FnMut(&[u8]) -> Line) -> Vec<Sample> {
    jsonl
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| parse(line).into())
        .collect()
}

fn engine(jsonl: &[u8]) -> Vec<Sample> {
    JsonlSamples::new(jsonl, PathBuf::from("bench"))
        .map(|s| s.expect("a valid sample"))
        .collect()
}

fn serde_json(jsonl: &[u8]) -> Vec<Sample> {
    each_line(jsonl, |line| {
        serde_json::from_slice(line).expect("serde_json reads the line")
    })
}

fn sonic_rs(jsonl: &[u8]) -> Vec<Sample> {
    each_line(jsonl, |line| {
        sonic_rs::from_slice(line).expect("sonic-rs reads the line")
    })
}

fn simd_json(jsonl: &[u8]) -> Vec<Sample> {
    // simd-json parses in place: each line is copied into a scratch buffer first.
    let mut scratch = Vec::new();
    each_line(jsonl, |line| {
        scratch.clear();
        scratch.extend_from_slice(line);
        simd_json::from_slice(&mut scratch).expect("simd-json reads the line")
    })
}

fn parsers(c: &mut Criterion) {
    let samples: Vec<Sample> = splitee_bench::synthetic(SAMPLES)
        .stream()
        .expect("a valid synthetic trace")
        .collect();
    let mut jsonl = Vec::new();
    write_jsonl(&mut jsonl, samples.iter().cloned()).expect("writing to memory");
    let parsers: [(&str, Reader); 4] = [
        ("engine", engine),
        ("serde_json", serde_json),
        ("sonic-rs", sonic_rs),
        ("simd-json", simd_json),
    ];
    for (name, parse) in parsers {
        assert!(parse(&jsonl) == samples, "{name} reads other samples");
    }
    let mut group = c.benchmark_group("jsonl_parsers");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Bytes(jsonl.len() as u64));
    for (name, parse) in parsers {
        group.bench_function(name, |b| b.iter(|| black_box(parse(&jsonl))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = splitee_bench::short(10, 3);
    targets = parsers
}
criterion_main!(benches);
