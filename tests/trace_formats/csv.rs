//! CSV: columns read by name, exact round trips, line numbers, and one test per class of bad
//! input (SPEC section 4), a truncated last line included.

use crate::{assert_mentions, fixture, load_error, samples_of, temp_file, HEADER};
use splitee::trace::synth::SynthParams;
use splitee::trace::{self, write_csv, CsvSamples, Sample};
use std::io::Cursor;

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
        context: None,
        arrival: None,
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
fn csv_without_exit_columns_is_rejected() {
    let message = load_error("t.csv", "label,score\n1,0.5\n");
    assert_mentions(&message, &["line 1", "no conf_k or pred_k columns"]);
}

#[test]
fn csv_prediction_only_header_names_a_missing_pred_column() {
    let message = load_error("t.csv", "label,pred_1,pred_3\n1,0,1\n");
    assert_mentions(
        &message,
        &["line 1", "column pred_2", "pred columns up to pred_3"],
    );
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
