//! A running stream: each decision comes out before the next sample arrives, Ctrl-C saves, and
//! a kill in the middle of a save leaves the previous state.

use crate::{jsonl, lines, run_with_input, samples, spawn_piped, splitee, stderr};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Reads one line from the child's output within `timeout`.
fn read_line_within(reader: &std::sync::mpsc::Receiver<String>, timeout: Duration) -> String {
    reader
        .recv_timeout(timeout)
        .expect("a decision within the timeout")
}

fn spawn_stream(args: &[&str]) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = spawn_piped(args);
    let out = child.stdout.take().unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (child, receive)
}

#[test]
fn each_decision_comes_out_before_the_next_sample_arrives_and_ctrl_c_saves() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let input = jsonl(&samples(10, 5, 51, false));
    let input: Vec<&str> = std::str::from_utf8(&input).unwrap().lines().collect();
    let (mut child, decisions) = spawn_stream(&["stream", "--state", state.to_str().unwrap()]);
    let mut stdin = child.stdin.take().unwrap();
    for (i, line) in input.iter().enumerate() {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        // The input stays open: the decision must not wait for more input.
        let decision: Value =
            serde_json::from_str(&read_line_within(&decisions, Duration::from_secs(20))).unwrap();
        assert_eq!(decision["t"], i as u64);
    }
    // Ctrl-C while it waits for input: it saves, summarises and exits with 130.
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("interrupted") && text.contains("state in"),
        "{text}"
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["learner"]["steps"], 10);
    assert_eq!(saved["totals"]["decisions"], 10);
}

#[test]
fn killing_the_stream_in_the_middle_of_a_save_leaves_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let s = state.to_str().unwrap();
    let all = samples(600, 6, 61, false);
    let first = run_with_input(
        &["stream", "--policy", "thompson+s", "--state", s],
        &jsonl(&all[..50]),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let previous = std::fs::read(&state).unwrap();

    // Every save now pauses for a minute halfway through writing its temporary file.
    let mut child = splitee()
        .args([
            "stream",
            "--policy",
            "thompson+s",
            "--state",
            s,
            "--save-every",
            "100",
        ])
        .args(["--save-pause-ms", "60000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Written from another thread: the paused save stops reading, and the pipe fills up.
    let mut stdin = child.stdin.take().unwrap();
    let rest = jsonl(&all[50..]);
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&rest);
    });
    // The temporary file's name is unpredictable: `.s.json.XXXXXX.tmp` beside the state.
    let temporary_file = || {
        std::fs::read_dir(dir.path()).ok()?.find_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            (name.starts_with(".s.json.") && name.ends_with(".tmp")).then_some(path)
        })
    };
    let started = Instant::now();
    let temporary = loop {
        if let Some(path) = temporary_file().filter(|p| p.metadata().is_ok_and(|m| m.len() > 0)) {
            break path;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no save began");
        std::thread::sleep(Duration::from_millis(20));
    };
    // SIGKILL, mid-save: the temporary file is half written.
    child.kill().unwrap();
    child.wait().unwrap();
    writer.join().unwrap();
    let partial = std::fs::read(&temporary).unwrap();
    assert!(!partial.is_empty() && partial.len() < previous.len() * 2);
    assert!(
        serde_json::from_slice::<Value>(&partial).is_err(),
        "the kill came in the middle of the save"
    );
    assert_eq!(
        std::fs::read(&state).unwrap(),
        previous,
        "the state file is untouched"
    );

    // And it still loads: the stream resumes at 50 decisions.
    let resumed = run_with_input(
        &["stream", "--policy", "thompson+s", "--state", s],
        &jsonl(&all[50..60]),
    );
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("resumed from") && stderr(&resumed).contains("at 50 decisions")
    );
    assert_eq!(lines(&resumed)[0]["t"], 50);
    // The killed save's temporary file was cleaned by the next stream on the state.
    assert!(!temporary.exists(), "{} is left", temporary.display());
}

#[test]
fn a_signal_ends_a_stream_whose_reader_stopped_reading_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let input = crate::write_file(
        dir.path(),
        "s.jsonl",
        &jsonl(&samples(100_000, 4, 91, false)),
    );
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let state = dir.path().join(format!("s{signal}.json"));
        // Standard output is a pipe nobody reads: the stream fills it and waits.
        let mut child = splitee()
            .args(["stream", input.to_str().unwrap()])
            .arg("--state")
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            child.try_wait().unwrap().is_none(),
            "it waits on its reader"
        );
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let signalled = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if signalled.elapsed() > Duration::from_secs(10) {
                child.kill().unwrap();
                panic!("signal {signal} did not end the stream");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = signalled.elapsed();
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let text = stderr(&output);
        assert_eq!(status.code(), Some(128 + signal), "{text}");
        // A second is the promise; the margin is for a loaded machine.
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert!(
            text.contains("interrupted") && text.contains("state in"),
            "{text}"
        );
        let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        let steps = saved["learner"]["steps"].as_u64().unwrap();
        assert!(steps > 0 && steps < 100_000, "{steps}");
        assert_eq!(saved["totals"]["decisions"], steps);
    }
}
