//! JSON Lines: exact round trips, blank lines and null labels, and its bad input, a last line
//! cut anywhere included.

use crate::{assert_mentions, load_error, temp_file};
use splitee::trace::synth::SynthParams;
use splitee::trace::{self, write_jsonl, JsonlSamples, Sample};
use std::io::Cursor;

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
fn jsonl_negative_class_is_named() {
    let message = load_error("t.jsonl", "{\"conf\":[0.5],\"pred\":[-1]}\n");
    assert_mentions(
        &message,
        &["line 1", "column pred_1", "predicted class -1 is negative"],
    );
}
