//! Where a stream reads and writes: files, gzipped files and standard input; a closed output
//! ends it and a failing one is an error.

use crate::{error_line, jsonl, lines, run_with_input, samples, splitee, stderr, write_file};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

#[test]
fn stream_reads_files_and_gzipped_files() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = jsonl(&samples(40, 4, 71, false));
    let plain = write_file(dir.path(), "s.jsonl", &bytes);
    let gz = dir.path().join("s.jsonl.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
    encoder.write_all(&bytes).unwrap();
    encoder.finish().unwrap();
    let a = splitee()
        .args(["stream", plain.to_str().unwrap()])
        .output()
        .unwrap();
    let b = splitee()
        .args(["stream", gz.to_str().unwrap()])
        .output()
        .unwrap();
    let c = run_with_input(&["stream", "-"], &bytes);
    assert!(a.status.success() && b.status.success() && c.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout, c.stdout);
    assert_eq!(lines(&a).len(), 40);
    let summary = stderr(&a);
    assert!(summary.contains("stream: 40 samples in"), "{summary}");
    assert!(
        summary.contains("accuracy") && summary.contains("peak memory"),
        "{summary}"
    );
    let csv = write_file(dir.path(), "t.csv", b"conf_1\n0.5\n");
    let line = error_line(
        &splitee()
            .args(["stream", csv.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(line.contains("JSON Lines"), "{line}");
}

#[test]
fn a_closed_output_ends_the_stream_and_a_failing_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_file(
        dir.path(),
        "s.jsonl",
        &jsonl(&samples(100_000, 4, 81, false)),
    );
    let state = dir.path().join("s.json");
    // `splitee stream | head -1`: the reader goes away after one line.
    let mut child = splitee()
        .args([
            "stream",
            input.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    drop(out);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("output closed"),
        "{}",
        stderr(&output)
    );
    assert!(state.exists(), "the state is saved");
    // A full disk is an error, not a normal end.
    if Path::new("/dev/full").exists() {
        let full = splitee()
            .args(["stream", input.to_str().unwrap()])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let line = error_line(&full);
        assert!(line.contains("standard output: cannot write"), "{line}");
    }
}

#[test]
fn a_failing_final_flush_ends_with_one_line_and_status_2_and_the_state_saved() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipping: no /dev/full");
        return;
    }
    // From a file, and from a pipe that pauses, so that the decisions are flushed while the
    // stream waits for input and that flush is what fails.
    for piped in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        // Few enough decisions to stay in the output's buffer until the final flush.
        let text = jsonl(&samples(10, 4, 83, false));
        let input = write_file(dir.path(), "s.jsonl", &text);
        let state = dir.path().join("s.json");
        let mut command = splitee();
        command.arg("stream").arg("--state").arg(&state);
        if piped {
            command.stdin(Stdio::piped());
        } else {
            command.arg(&input);
        }
        let mut child = command
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&text).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > std::time::Duration::from_secs(20) {
                child.kill().unwrap();
                panic!("the stream hangs after its final flush failed (piped: {piped})");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let output = child.wait_with_output().unwrap();
        let line = error_line(&output);
        assert_eq!(
            line, "splitee: standard output: cannot write: No space left on device (os error 28)",
            "piped: {piped}"
        );
        assert!(stderr(&output).contains("state in"), "{}", stderr(&output));
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        assert_eq!(saved["learner"]["steps"], 10, "piped: {piped}");
    }
}
