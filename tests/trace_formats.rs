//! Trace formats: the real traces, round trips between formats, and one test per class of bad
//! input (SPEC section 4), including what fuzzing found (`tests/fuzz/` fuzzes every reader).

mod common;

use common::shared_trace;
use ndarray::{Array1, Array2};
use ndarray_npy::NpzWriter;
use splitee::trace::synth::SynthParams;
use splitee::trace::{
    self, read_npz, write_csv, write_jsonl, CsvSamples, JsonlSamples, Sample, Trace, TraceStats,
};
use std::fs::File;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(name)
}

/// Writes `contents` to a file called `name` in a fresh temporary directory.
fn temp_file(name: &str, contents: &[u8]) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

/// The message of loading `contents` as a file called `name`, which must fail.
fn load_error(name: &str, contents: &str) -> String {
    let (_dir, path) = temp_file(name, contents.as_bytes());
    let message = trace::load(&path)
        .expect_err("the trace should be rejected")
        .to_string();
    assert!(
        message.contains(name),
        "message does not name the file: {message}"
    );
    message
}

/// Asserts that `message` contains every one of `parts`.
fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "expected {part:?} in the message: {message}"
        );
    }
}

fn samples_of(trace: &Trace) -> Vec<Sample> {
    (0..trace.samples()).map(|s| trace.sample(s)).collect()
}

fn assert_same_trace(a: &Trace, b: &Trace) {
    assert_eq!(a.exits(), b.exits());
    assert_eq!(a.classes(), b.classes());
    assert_eq!(a.is_labeled(), b.is_labeled());
    assert_eq!(a.has_costs(), b.has_costs());
    assert_eq!(samples_of(a), samples_of(b));
}

const HEADER: &str = "label,conf_1,pred_1,conf_2,pred_2\n";

// ---------------------------------------------------------------------------------------------
// Real traces

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

// ---------------------------------------------------------------------------------------------
// Reading and round trips

#[test]
fn csv_fixture_reads_columns_by_name() {
    let trace = trace::load(&fixture("small.csv")).unwrap();
    assert_eq!((trace.samples(), trace.exits(), trace.classes()), (4, 3, 3));
    assert_eq!(trace.conf(1, 2), 0.96875);
    assert_eq!(trace.pred(2, 0), 2);
    assert_eq!(trace.label(2), None);
    assert_eq!(trace.label(3), Some(1));
    assert_eq!(trace.cost(0, 1), Some(2.25));
    // 0.6 is not exact in f32, so the confidences are kept in f64.
    assert!(!trace.is_compact());
    assert_eq!(trace.conf(3, 0), 0.6);
}

#[test]
fn csv_round_trip_is_exact() {
    let original = SynthParams {
        samples: 300,
        exits: 4,
        classes: 5,
        seed: 11,
    }
    .trace()
    .unwrap();
    let mut samples = samples_of(&original);
    // Values short in decimal but not exact in f32, an unlabeled sample and costs.
    samples[0].conf[1] = 0.1;
    samples[1].label = None;
    for (i, s) in samples.iter_mut().enumerate() {
        s.cost = Some(vec![0.1 * i as f64, 1e-9, 3.0, 1e6 / 7.0]);
    }
    let mut csv = Vec::new();
    write_csv(&mut csv, samples.clone()).unwrap();
    let read: Vec<Sample> = CsvSamples::new(Cursor::new(csv), "mem.csv".into())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(read, samples);
}

#[test]
fn csv_writer_rejects_a_sample_with_another_layout() {
    let sample = |exits: usize| Sample {
        conf: vec![0.5; exits],
        pred: vec![1; exits],
        label: None,
        cost: None,
    };
    let error = write_csv(Vec::new(), vec![sample(2), sample(3)]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert_mentions(&error.to_string(), &["3 exits without costs", "2 exits"]);
}

#[test]
fn jsonl_round_trip_is_exact() {
    let params = SynthParams {
        samples: 2_000,
        exits: 3,
        classes: 10,
        seed: 5,
    };
    let mut samples: Vec<Sample> = params.stream().unwrap().collect();
    samples[3].label = None;
    let mut jsonl = Vec::new();
    write_jsonl(&mut jsonl, samples.clone()).unwrap();
    let read: Vec<Sample> = JsonlSamples::new(Cursor::new(jsonl), "mem.jsonl".into())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(read, samples);
}

#[test]
fn gzipped_traces_read_like_plain_ones() {
    let plain = trace::load(&fixture("small.csv")).unwrap();
    let dir = TempDir::new().unwrap();
    let gzip = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        let mut encoder =
            flate2::write::GzEncoder::new(File::create(&path).unwrap(), Default::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap();
        path
    };
    let csv = gzip(
        "small.csv.gz",
        &std::fs::read(fixture("small.csv")).unwrap(),
    );
    assert_same_trace(&plain, &trace::load(&csv).unwrap());
    let mut jsonl = Vec::new();
    write_jsonl(&mut jsonl, samples_of(&plain)).unwrap();
    let jsonl = gzip("small.jsonl.gz", &jsonl);
    assert_same_trace(&plain, &trace::load(&jsonl).unwrap());
}

#[test]
fn npz_fixture_matches_csv_fixture() {
    let csv = trace::load(&fixture("small.csv")).unwrap();
    let npz = trace::load(&fixture("small.npz")).unwrap();
    assert_same_trace(&csv, &npz);
}

#[test]
fn npz_probs_give_conf_pred_and_classes() {
    let trace = read_npz(&fixture("small-probs.npz")).unwrap();
    assert_eq!((trace.samples(), trace.exits(), trace.classes()), (2, 2, 3));
    assert_eq!(trace.conf(0, 0), f64::from(0.5f32));
    assert_eq!(trace.pred(0, 0), 1);
    assert_eq!(trace.pred(0, 1), 2);
    // A tie goes to the first class, as numpy's argmax does.
    assert_eq!(trace.pred(1, 0), 0);
    assert_eq!(trace.conf(1, 1), 1.0);
    assert_eq!(trace.label(1), Some(1));
    assert!(trace.is_compact());
}

#[test]
fn jsonl_skips_blank_lines_and_accepts_null_labels() {
    let (_dir, path) = temp_file(
        "t.jsonl",
        b"\n{\"conf\":[0.5,0.75],\"pred\":[1,1],\"label\":null}\n   \n{\"pred\":[0,1],\"conf\":[1,0.5]}\n",
    );
    let trace = trace::load(&path).unwrap();
    assert_eq!(trace.samples(), 2);
    assert!(!trace.is_labeled());
    assert_eq!(trace.conf(1, 0), 1.0);
}

#[test]
fn csv_line_numbers_count_comments_and_blank_lines() {
    let message = load_error(
        "t.csv",
        "# a comment\nlabel,conf_1,pred_1\n# another\n1,0.5,1\n\n1,1.5,1\n",
    );
    assert_mentions(&message, &["line 6", "column conf_1"]);
    let message = load_error(
        "crlf.csv",
        "label,conf_1,pred_1\r\n\r\n1,0.5,1\r\n1,0.5\r\n",
    );
    assert_mentions(
        &message,
        &["crlf.csv: line 4: has 2 fields but the header has 3"],
    );
    // Old Mac line endings (a bare `\r`) are lines too.
    let message = load_error("cr.csv", "label,conf_1,pred_1\r\r1,0.5,1\r1,0.5\r");
    assert_mentions(
        &message,
        &["cr.csv: line 4: has 2 fields but the header has 3"],
    );
    let message = load_error("cr.csv", "label,conf_1,pred_1\r1,0.5,1\r\n1,0.5,1\r1,1.5,1");
    assert_mentions(&message, &["cr.csv: line 4", "column conf_1"]);
}

// ---------------------------------------------------------------------------------------------
// One test per class of bad input (SPEC section 4), CSV first

#[test]
fn csv_missing_column_is_named() {
    let message = load_error("t.csv", "label,conf_1,pred_1,conf_2\n1,0.5,1,0.5\n");
    assert_mentions(
        &message,
        &["t.csv: line 1: column pred_2: missing (conf_2 is present)"],
    );
}

#[test]
fn csv_gap_in_exits_is_named() {
    let message = load_error("t.csv", "conf_1,pred_1,conf_3,pred_3\n0.5,1,0.5,1\n");
    assert_mentions(&message, &["line 1", "column conf_2", "missing"]);
}

#[test]
fn csv_costs_must_cover_every_exit() {
    let message = load_error(
        "t.csv",
        "conf_1,pred_1,cost_1,conf_2,pred_2\n0.5,1,1,0.5,1\n",
    );
    assert_mentions(&message, &["line 1", "column cost_2", "every exit or none"]);
}

#[test]
fn csv_duplicate_column_is_named() {
    let message = load_error("t.csv", "conf_1,pred_1,conf_1\n0.5,1,0.5\n");
    assert_mentions(&message, &["line 1", "column conf_1", "more than once"]);
}

#[test]
fn csv_without_conf_columns_is_rejected() {
    let message = load_error("t.csv", "label,score\n1,0.5\n");
    assert_mentions(&message, &["line 1", "no conf_k columns"]);
}

#[test]
fn csv_ragged_row_names_the_line() {
    let message = load_error("t.csv", &format!("{HEADER}1,0.5,1,0.5,1\n1,0.5,1,0.5\n"));
    assert_mentions(
        &message,
        &["t.csv: line 3: has 4 fields but the header has 5"],
    );
}

#[test]
fn csv_nan_confidence_is_named() {
    let message = load_error("t.csv", &format!("{HEADER}1,0.5,1,NaN,1\n"));
    assert_mentions(
        &message,
        &["t.csv: line 2: column conf_2: confidence is NaN"],
    );
}

#[test]
fn csv_confidence_outside_unit_interval_is_named() {
    let message = load_error(
        "t.csv",
        &format!("{HEADER}1,0.5,1,0.5,1\n1,-0.25,1,0.5,1\n"),
    );
    assert_mentions(
        &message,
        &["t.csv: line 3: column conf_1: confidence -0.25 is outside [0, 1]"],
    );
}

#[test]
fn csv_non_numeric_cell_is_named() {
    let message = load_error("t.csv", &format!("{HEADER}1,0.5,1,high,1\n"));
    assert_mentions(
        &message,
        &["line 2", "column conf_2", "\"high\" is not a number"],
    );
}

#[test]
fn csv_label_out_of_range_is_named() {
    let message = load_error("t.csv", &format!("{HEADER}70000,0.5,1,0.5,1\n"));
    assert_mentions(
        &message,
        &["line 2", "column label", "label 70000 is out of range"],
    );
}

#[test]
fn csv_negative_label_is_named() {
    let message = load_error("t.csv", &format!("{HEADER}-1,0.5,1,0.5,1\n"));
    assert_mentions(
        &message,
        &["t.csv: line 2: column label: label -1 is negative"],
    );
}

#[test]
fn csv_non_integer_label_is_named() {
    let message = load_error("t.csv", &format!("{HEADER}0.5,0.5,1,0.5,1\n"));
    assert_mentions(
        &message,
        &["t.csv: line 2: column label: label 0.5 is not an integer"],
    );
}

#[test]
fn csv_class_out_of_range_is_named() {
    let message = load_error("t.csv", &format!("{HEADER}1,0.5,1,0.5,65535\n"));
    assert_mentions(
        &message,
        &[
            "line 2",
            "column pred_2",
            "predicted class 65535 is out of range",
        ],
    );
}

#[test]
fn csv_negative_cost_is_named() {
    let message = load_error("t.csv", "conf_1,pred_1,cost_1\n0.5,1,-3\n");
    assert_mentions(
        &message,
        &["t.csv: line 2: column cost_1: cost -3 is negative"],
    );
}

#[test]
fn jsonl_exits_disagreeing_between_rows_are_named() {
    let message = load_error(
        "t.jsonl",
        "{\"conf\":[0.5,0.5],\"pred\":[1,1]}\n{\"conf\":[0.5],\"pred\":[1]}\n",
    );
    assert_mentions(
        &message,
        &["t.jsonl: line 2: has 1 exits but earlier rows have 2"],
    );
}

#[test]
fn empty_trace_is_rejected() {
    let message = load_error("t.csv", HEADER);
    assert_mentions(&message, &["holds no samples"]);
    let message = load_error("e.csv", "");
    assert_mentions(&message, &["e.csv", "the file is empty"]);
    let message = load_error("e.jsonl", "\n\n");
    assert_mentions(&message, &["holds no samples"]);
}

#[test]
fn unknown_format_is_rejected() {
    let message = load_error("trace.txt", "conf_1,pred_1\n0.5,1\n");
    assert_mentions(&message, &["trace.txt", "unknown trace format"]);
}

#[test]
fn missing_file_is_named() {
    let dir = TempDir::new().unwrap();
    for name in ["absent.csv", "absent.jsonl", "absent.npz"] {
        let message = trace::load(&dir.path().join(name)).unwrap_err().to_string();
        assert_mentions(&message, &[name]);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON Lines errors

#[test]
fn jsonl_confidence_error_uses_csv_column_names() {
    let message = load_error(
        "trace.jsonl",
        "{\"conf\":[0.5,0.5],\"pred\":[1,1]}\n\n{\"conf\":[0.5,0.5],\"pred\":[1,1]}\n{\"conf\":[0.5,1.3],\"pred\":[1,1]}\n",
    );
    assert!(
        message.ends_with("trace.jsonl: line 4: column conf_2: confidence 1.3 is outside [0, 1]"),
        "{message}"
    );
}

#[test]
fn jsonl_unknown_key_is_named() {
    let message = load_error(
        "t.jsonl",
        "{\"conf\":[0.5],\"pred\":[1],\"confidence\":[0.5]}\n",
    );
    assert_mentions(&message, &["t.jsonl: line 1", "unknown field `confidence`"]);
}

#[test]
fn jsonl_length_mismatch_names_the_column() {
    let message = load_error("t.jsonl", "{\"conf\":[0.5,0.5],\"pred\":[1]}\n");
    assert_mentions(
        &message,
        &["t.jsonl: line 1: column pred: has 1 values but conf has 2"],
    );
}

#[test]
fn jsonl_truncated_last_line_is_reported() {
    let message = load_error(
        "t.jsonl",
        "{\"conf\":[0.5],\"pred\":[1]}\n{\"conf\":[0.5],\"pr",
    );
    assert_mentions(&message, &["t.jsonl: line 2: truncated last line"]);
}

#[test]
fn jsonl_last_line_cut_anywhere_is_reported_as_truncated() {
    let line = "{\"conf\":[0.5,0.25],\"pred\":[1,20],\"label\":3,\"cost\":[1.5,2e-3]}";
    for cut in 1..line.len() {
        let text = format!("{line}\n{}", &line[..cut]);
        let message = read_jsonl_error(&text);
        assert!(
            message.starts_with("t.jsonl: line 2: truncated last line ("),
            "cut at {cut}: {message}"
        );
    }
    // The same lines with their line break are plain syntax errors.
    let message = read_jsonl_error(&format!("{}\n{line}\n", &line[..20]));
    assert!(!message.contains("truncated"), "{message}");
}

fn read_jsonl_error(text: &str) -> String {
    JsonlSamples::new(Cursor::new(text.as_bytes().to_vec()), "t.jsonl".into())
        .collect::<Result<Vec<_>, _>>()
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn csv_truncated_last_line_is_reported() {
    let head = "label,conf_1,pred_1,conf_2,pred_2\n1,0.5,1,0.25,2\n";
    for (last, expected) in [
        (
            "1,0.5,1,0.2",
            "line 3: truncated last line (has 4 fields but the header has 5)",
        ),
        (
            "1",
            "line 3: truncated last line (has 1 fields but the header has 5)",
        ),
        (
            "1,0.5,1,0.25,",
            "line 3: column pred_2: truncated last line (empty cell)",
        ),
        (
            "1,0.5,1,0.25,-",
            "line 3: column pred_2: truncated last line (\"-\" is not a number)",
        ),
    ] {
        let message = load_error("t.csv", &format!("{head}{last}"));
        assert!(
            message.ends_with(&format!("/t.csv: {expected}")),
            "{message}"
        );
        // With its line break, the line is merely bad.
        let message = load_error("t.csv", &format!("{head}{last}\n"));
        assert!(!message.contains("truncated"), "{message}");
        let message = load_error("t.csv", &format!("{head}{last}\r\n"));
        assert!(!message.contains("truncated"), "{message}");
    }
    // A bad cell that is not the last one, on a last line without a line break, is not a cut.
    let message = load_error("t.csv", &format!("{head}1,x,1,0.25,2"));
    assert!(
        message.ends_with("/t.csv: line 3: column conf_1: \"x\" is not a number"),
        "{message}"
    );
    // An unterminated last line whose empty last cell is a label is complete.
    let (_dir, path) = temp_file("t.csv", b"conf_1,pred_1,label\n0.5,1,2\n0.5,1,");
    assert_eq!(trace::load(&path).unwrap().label(1), None);
}

#[test]
fn messages_quoting_input_stay_on_one_line() {
    // A quoted CSV column name and a JSON key with a line break in them were quoted as is.
    let message = load_error("t.csv", "\"conf_\n1\",pred_1\n0.5,1\n");
    assert!(
        message.ends_with(
            "/t.csv: line 2: column conf_\\n1: is not a valid exit column: exits are numbered \
             1, 2, ..."
        ),
        "{message}"
    );
    let message = load_error("t.jsonl", "{\"conf\":[0.5],\"pred\":[1],\"a\\r\\nb\":1}\n");
    assert!(
        message.contains("/t.jsonl: line 1: unknown field `a\\r\\nb`, expected one of"),
        "{message}"
    );
}

#[test]
fn jsonl_negative_class_is_named() {
    let message = load_error("t.jsonl", "{\"conf\":[0.5],\"pred\":[-1]}\n");
    assert_mentions(
        &message,
        &["line 1", "column pred_1", "predicted class -1 is negative"],
    );
}

// ---------------------------------------------------------------------------------------------
// NPZ errors

/// Writes an `.npz` holding `conf` `[2, 2]` (with `conf_value` at row 1, exit 2) plus the given
/// `pred` and optional `label`.
fn npz_with(conf_value: f64, pred: Array2<i64>, label: Option<Array1<i64>>) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("t.npz");
    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    let conf = Array2::from_shape_vec((2, 2), vec![0.5, 0.5, 0.5, conf_value]).unwrap();
    npz.add_array("conf", &conf).unwrap();
    npz.add_array("pred", &pred).unwrap();
    if let Some(label) = label {
        npz.add_array("label", &label).unwrap();
    }
    npz.finish().unwrap();
    (dir, path)
}

fn npz_error(path: &Path) -> String {
    read_npz(path).unwrap_err().to_string()
}

#[test]
fn npz_value_error_names_row_and_column() {
    let (_dir, path) = npz_with(f64::NAN, Array2::zeros((2, 2)), None);
    assert_mentions(
        &npz_error(&path),
        &["t.npz: row 1: column conf_2: confidence is NaN"],
    );
}

#[test]
fn npz_shape_mismatch_names_the_arrays() {
    let (_dir, path) = npz_with(0.5, Array2::zeros((2, 3)), None);
    assert_mentions(
        &npz_error(&path),
        &[
            "t.npz",
            "array pred has shape [2, 3]; expected [2, 2] to match conf",
        ],
    );
    let (_dir, path) = npz_with(0.5, Array2::zeros((2, 2)), Some(Array1::zeros(3)));
    assert_mentions(
        &npz_error(&path),
        &["array label has shape [3]; expected [2]"],
    );
}

#[test]
fn npz_negative_labels_mean_unlabeled_but_large_ones_are_errors() {
    let (_dir, path) = npz_with(0.5, Array2::zeros((2, 2)), Some(Array1::from(vec![-1, 1])));
    let trace = read_npz(&path).unwrap();
    assert_eq!((trace.label(0), trace.label(1)), (None, Some(1)));
    let (_dir, path) = npz_with(
        0.5,
        Array2::zeros((2, 2)),
        Some(Array1::from(vec![0, 1 << 20])),
    );
    assert_mentions(
        &npz_error(&path),
        &["row 1: column label: label 1048576 is out of range"],
    );
}

#[test]
fn npz_wrong_dtype_and_missing_arrays_are_named() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("t.npz");
    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    npz.add_array("conf", &Array2::<f64>::zeros((2, 2)))
        .unwrap();
    npz.add_array("pred", &Array2::<f64>::zeros((2, 2)))
        .unwrap();
    npz.finish().unwrap();
    assert_mentions(
        &npz_error(&path),
        &["t.npz", "array pred must hold integers"],
    );

    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    npz.add_array("conf", &Array2::<f64>::zeros((2, 2)))
        .unwrap();
    npz.finish().unwrap();
    assert_mentions(&npz_error(&path), &["t.npz", "array pred is missing"]);

    let (_dir, not_zip) = temp_file("bad.npz", b"not a zip archive");
    assert_mentions(
        &npz_error(&not_zip),
        &["bad.npz", "not a readable .npz archive"],
    );
}

/// The header dictionary of a float64 array of shape `shape` (Python tuple syntax).
fn f64_dict(shape: &str) -> String {
    format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}")
}

/// The message of reading an archive of `conf` (the given `.npy` bytes) and a valid `pred`
/// `[1, 1]`, which must fail and name the file and the array `conf`.
fn npz_error_with_conf(conf: Vec<u8>) -> String {
    let pred_dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }";
    let pred = common::npy_bytes((1, 0), None, pred_dict, &0i64.to_le_bytes());
    let archive = common::zip_archive(&[
        ("conf.npy".into(), conf, false),
        ("pred.npy".into(), pred, false),
    ]);
    let (_dir, path) = temp_file("t.npz", &archive);
    let message = npz_error(&path);
    let prefix = format!("{}: array conf: ", path.display());
    assert!(message.starts_with(&prefix), "{message}");
    message[prefix.len()..].to_string()
}

#[test]
fn npz_header_claiming_a_huge_shape_is_an_error_not_an_allocation() {
    // 8 TiB of float64 claimed and 8 bytes present: reading this aborted the process, unable to
    // allocate the claim.
    let conf = common::npy_bytes((1, 0), None, &f64_dict("(1099511627776,)"), &[0; 8]);
    assert_eq!(
        npz_error_with_conf(conf),
        "shape [1099511627776] needs 8796093022208 bytes of data but the array holds 8"
    );
    let conf = common::npy_bytes((1, 0), None, &f64_dict("(4294967296, 4294967296)"), &[]);
    assert_eq!(
        npz_error_with_conf(conf),
        "shape [4294967296, 4294967296] is too large"
    );
}

#[test]
fn npz_empty_shape_with_a_huge_axis_is_an_error_not_a_panic() {
    // No elements, but axes too large for an array: this panicked inside ndarray-npy.
    let conf = common::npy_bytes((1, 0), None, &f64_dict("(0, 9223372036854775808)"), &[]);
    assert_eq!(
        npz_error_with_conf(conf),
        "shape [0, 9223372036854775808] is too large"
    );
}

#[test]
fn npz_deeply_nested_header_is_an_error_at_once() {
    // The header parser backtracks exponentially in unclosed brackets: 40 of them hung it.
    for dict in [
        "{'a': ".repeat(40),
        "[".repeat(40),
        "(".repeat(30_000),
        format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
    ] {
        let start = std::time::Instant::now();
        let message = npz_error_with_conf(common::npy_bytes((1, 0), None, &dict, &[0; 8]));
        assert_eq!(message, "bad .npy header: brackets nested more than 8 deep");
        assert!(start.elapsed().as_secs_f64() < 5.0);
    }
}

#[test]
fn npz_header_length_beyond_the_limit_is_an_error() {
    let conf = common::npy_bytes((2, 0), Some(u32::MAX), &f64_dict("(1, 1)"), &[0; 8]);
    assert_eq!(
        npz_error_with_conf(conf),
        "the .npy header claims 4294967295 bytes; at most 65536 are read"
    );
}

#[test]
fn npz_header_and_data_problems_are_named_briefly() {
    let long = format!("{{'descr': {}", "x".repeat(5000));
    let message = npz_error_with_conf(common::npy_bytes((1, 0), None, &long, &[0; 8]));
    assert!(message.starts_with("bad .npy header: "), "{message}");
    assert!(message.len() < 300, "{message}");
    let dict = f64_dict("(1, 1)");
    for (conf, expected) in [
        (
            b"\x93NUMPX\x01\x00".to_vec(),
            "not an .npy array: no \\x93NUMPY magic string",
        ),
        (b"\x93NUMPY\x01".to_vec(), "not an .npy array: too short"),
        (
            common::npy_bytes((4, 0), None, &dict, &[0; 8]),
            "unsupported .npy version 4.0",
        ),
        (
            common::npy_bytes((1, 0), None, &dict, &[0; 12]),
            "shape [1, 1] needs 8 bytes of data but the array holds more",
        ),
    ] {
        assert_eq!(npz_error_with_conf(conf), expected);
    }
}

#[test]
fn npz_reads_every_integer_and_float_dtype_in_either_byte_order_and_layout() {
    // conf [2, 2] = [[0.25, 0.5], [0.75, 1.0]] in Fortran (column-major) order, big-endian.
    let conf: Vec<u8> = [0.25f64, 0.75, 0.5, 1.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let conf_dict = "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 2), }";
    for (descr, bytes) in [
        (
            "<i8",
            [1i64, 2, 3, 300]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>(),
        ),
        (
            ">i4",
            [1i32, 2, 3, 300]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
        ),
        (
            "<u2",
            [1u16, 2, 3, 300]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        (
            ">u8",
            [1u64, 2, 3, 300]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect(),
        ),
        ("|i1", vec![1, 2, 3, 100]),
    ] {
        let pred_dict =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 2), }}");
        let label_dict = "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }";
        let archive = common::zip_archive(&[
            (
                "conf.npy".into(),
                common::npy_bytes((1, 0), None, conf_dict, &conf),
                true,
            ),
            (
                "pred".into(),
                common::npy_bytes((3, 0), None, &pred_dict, &bytes),
                false,
            ),
            (
                "label.npy".into(),
                common::npy_bytes((2, 0), None, label_dict, &[0xff, 2]),
                true,
            ),
        ]);
        let (_dir, path) = temp_file("t.npz", &archive);
        let trace = read_npz(&path).unwrap_or_else(|e| panic!("{descr}: {e}"));
        let last = if descr == "|i1" { 100 } else { 300 };
        assert_eq!(
            samples_of(&trace),
            vec![
                Sample {
                    conf: vec![0.25, 0.5],
                    pred: vec![1, 2],
                    label: None,
                    cost: None
                },
                Sample {
                    conf: vec![0.75, 1.0],
                    pred: vec![3, last],
                    label: Some(2),
                    cost: None
                },
            ],
            "{descr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic traces and statistics

#[test]
fn synthetic_accuracy_and_confidence_rise_with_depth() {
    let trace = SynthParams {
        samples: 20_000,
        exits: 12,
        classes: 2,
        seed: 1,
    }
    .trace()
    .unwrap();
    let stats = TraceStats::compute(&trace, &[]);
    let accuracy: Vec<f64> = stats.per_exit.iter().map(|e| e.accuracy.unwrap()).collect();
    let confidence: Vec<f64> = stats.per_exit.iter().map(|e| e.mean_confidence).collect();
    for k in 1..12 {
        assert!(accuracy[k] > accuracy[k - 1], "accuracy {accuracy:?}");
        assert!(
            confidence[k] > confidence[k - 1],
            "confidence {confidence:?}"
        );
    }
    // Roughly the profile of the real SST-2 trace (documented in `trace::synth`).
    assert!((0.65..0.78).contains(&accuracy[0]), "{accuracy:?}");
    assert!((0.87..0.94).contains(&accuracy[11]), "{accuracy:?}");
    assert!((0.55..0.65).contains(&confidence[0]), "{confidence:?}");
    assert!((0.82..0.9).contains(&confidence[11]), "{confidence:?}");
}

#[test]
fn stats_render_as_a_table_and_as_json() {
    let trace = trace::load(&fixture("small.csv")).unwrap();
    let stats = TraceStats::compute(&trace, &[0.5, 0.9]);
    let table = stats.to_string();
    assert_mentions(
        &table,
        &[
            "4 samples, 3 exits, 3 classes, 3 labeled, measured costs",
            "C>=0.90",
        ],
    );
    assert_eq!(table.lines().count(), 2 + 3);
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["per_exit"][2]["median_cost"], 3.0);
    assert_eq!(json["per_exit"][0]["confident_fraction"][0], 0.75);
}
