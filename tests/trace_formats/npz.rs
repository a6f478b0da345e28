//! NPZ: the fixtures, probabilities instead of confidences, every integer and float dtype in
//! either byte order and layout, and bad archives, arrays and `.npy` headers, including what
//! fuzzing found.

use crate::common;
use crate::{assert_mentions, assert_same_trace, fixture, samples_of, temp_file};
use ndarray::{Array1, Array2};
use ndarray_npy::NpzWriter;
use splitee::trace::{self, read_npz, Sample};
use std::fs::File;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

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
                    context: None,
                    arrival: None,
                    conf: vec![0.25, 0.5],
                    pred: vec![1, 2],
                    label: None,
                    cost: None
                },
                Sample {
                    context: None,
                    arrival: None,
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
