//! What `trace::load` does whatever the format: gzipped files, the format from the file name,
//! empty and missing files, and messages quoting the input kept to one line.

use crate::{assert_mentions, assert_same_trace, fixture, load_error, samples_of, HEADER};
use splitee::trace::{self, write_jsonl};
use std::fs::File;
use std::io::Write;
use tempfile::TempDir;

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
