//! The --trace loader: files of every format, plain or gzipped, alone or concatenated.

use crate::check::check_trace;
use crate::csv::arb_structured_csv;
use crate::inputs::Input;
use crate::jsonl::arb_structured_jsonl;
use crate::npz::arb_structured_npz;
use crate::{accepted, fuzz, scratch_dir};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;
use splitee::trace::{self, Location};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A trace file for the loader: its name's extension, bytes, and for a valid file its samples
/// count, exits and whether it has costs.
#[derive(Clone)]
struct TraceFile {
    extension: &'static str,
    bytes: Vec<u8>,
    expected: Option<(usize, usize, bool)>,
}

impl fmt::Debug for TraceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "*{} {:?} (expected {:?})",
            self.extension,
            String::from_utf8_lossy(&self.bytes),
            self.expected
        )
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Text trace bytes under a name: gzipped if the name says so (and maybe cut short).
fn text_file(
    input: Input,
    extension: &'static str,
    right_extension: bool,
    cut_gzip: Option<Index>,
) -> TraceFile {
    let shape = input
        .expected
        .as_ref()
        .map(|s| (s.len(), s[0].conf.len(), s[0].cost.is_some()));
    let (bytes, intact) = if extension.ends_with(".gz") {
        let mut gz = gzip(&input.bytes);
        match cut_gzip {
            Some(at) => {
                gz.truncate(at.index(gz.len()));
                (gz, false)
            }
            None => (gz, true),
        }
    } else {
        (input.bytes, true)
    };
    TraceFile {
        extension,
        bytes,
        expected: shape.filter(|_| right_extension && intact),
    }
}

fn arb_trace_file() -> impl Strategy<Value = TraceFile> {
    let csv = (
        arb_structured_csv(1),
        select(vec![".csv", ".CSV", ".csv.gz", ".txt", ".jsonl"]),
        option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(input, ext, cut)| {
            let right = ext.to_ascii_lowercase().starts_with(".csv");
            text_file(input, ext, right, cut)
        });
    let jsonl = (
        arb_structured_jsonl(1),
        select(vec![".jsonl", ".ndjson", ".jsonl.gz", ".json", ".csv"]),
        option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(input, ext, cut)| {
            let right = matches!(ext, ".jsonl" | ".ndjson" | ".jsonl.gz");
            text_file(input, ext, right, cut)
        });
    let npz = (
        arb_structured_npz(1),
        select(vec![".npz", ".NPZ", ".npz.gz", ".csv"]),
    )
        .prop_map(|(archive, ext)| TraceFile {
            extension: ext,
            bytes: archive.bytes,
            expected: archive
                .expected
                .filter(|_| ext.eq_ignore_ascii_case(".npz"))
                .map(|s| (s.len(), s[0].conf.len(), s[0].cost.is_some())),
        });
    prop_oneof![csv, jsonl, npz]
}

fn check_load(dir: &Path, files: &[TraceFile]) -> TestCaseResult {
    let paths: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = dir.join(format!("t{i}{}", f.extension));
            std::fs::write(&path, &f.bytes).unwrap();
            path
        })
        .collect();
    let result = match &paths[..] {
        [one] => trace::load(one),
        several => trace::load_concatenated(several),
    };
    let expected: Option<Vec<(usize, usize, bool)>> = files.iter().map(|f| f.expected).collect();
    // Concatenated traces must agree on exits and costs (an archive's costs are not tracked).
    let expected = expected.filter(|e| e.iter().all(|&(_, l, c)| (l, c) == (e[0].1, e[0].2)));
    match result {
        Ok(trace) => {
            accepted();
            check_trace(&trace)?;
            if let Some(expected) = expected {
                let samples: usize = expected.iter().map(|e| e.0).sum();
                prop_assert_eq!((trace.samples(), trace.exits()), (samples, expected[0].1));
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(expected.is_none(), "a valid trace was rejected: {message}");
            prop_assert!(!message.contains(['\n', '\r']), "not one line: {message:?}");
            let named = paths
                .iter()
                .position(|p| message.starts_with(&format!("{}: ", p.display())));
            prop_assert!(named.is_some(), "names no file: {message:?}");
            if let Some(Location::Line(_)) = e.location {
                let ext = files[named.unwrap()].extension.to_ascii_lowercase();
                prop_assert!(!ext.contains("npz"), "a line in an archive: {message}");
            }
        }
    }
    Ok(())
}

#[test]
fn fuzz_load() {
    let dir = scratch_dir();
    fuzz("load", 5000, vec(arb_trace_file(), 1..=2), |files| {
        check_load(dir.path(), &files)
    });
}
