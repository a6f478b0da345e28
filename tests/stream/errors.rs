//! What cannot run live is refused, and bad lines stop the stream or are skipped and counted.

use crate::{error_line, jsonl, lines, run_with_input, samples, stderr, write_file};
use serde_json::Value;

#[test]
fn what_cannot_run_live_is_refused() {
    let input = jsonl(&samples(20, 4, 1, true));
    for (args, expected) in [
        (vec!["--policy", "best-fixed"], "hindsight"),
        (vec!["--observation", "oracle"], "oracle observation"),
        (vec!["--policy", "splitee-s:oracle"], "oracle observation"),
        (
            vec!["--policy", "splitee", "--policy", "random"],
            "one policy",
        ),
        (
            vec!["--policy", "kl-ucb", "--cost-model", "measured"],
            "--reward-bounds",
        ),
        (vec!["--reward-bounds", "1,0"], "LO < HI"),
    ] {
        let mut all = vec!["stream"];
        all.extend(&args);
        let line = error_line(&run_with_input(&all, &input));
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        dir.path(),
        "c.toml",
        b"[policy]\nnames = [\"splitee\"]\n[run]\ncompat = \"splitee-2023\"\n",
    );
    let line = error_line(&run_with_input(
        &["stream", "--config", config.to_str().unwrap()],
        &input,
    ));
    assert!(line.contains("compatibility mode"), "{line}");
    // With a range, a rescaling policy runs on measured costs.
    let ok = run_with_input(
        &[
            "stream",
            "--policy",
            "kl-ucb",
            "--cost-model",
            "measured",
            "--mu",
            "0.01",
            "--reward-bounds",
            "-1,1",
        ],
        &input,
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(lines(&ok).len(), 20);
}

#[test]
fn bad_lines_stop_the_stream_or_are_skipped_and_counted() {
    let good = jsonl(&samples(6, 3, 41, false));
    let good: Vec<&str> = std::str::from_utf8(&good).unwrap().lines().collect();
    let input = format!(
        "{}\n{}\n{{\"conf\": [0.5, 1.5, 0.9], \"pred\": [0, 1, 1]}}\nnot json\n\n{}\n{{\"conf\":[0.5,0.6,",
        good[0], good[1], good[2]
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let s = state.to_str().unwrap();

    let stopped = run_with_input(&["stream", "--state", s], input.as_bytes());
    let line = error_line(&stopped);
    assert_eq!(
        line,
        "splitee: <stdin>: line 3: column conf_2: confidence 1.5 is outside [0, 1]"
    );
    assert_eq!(
        lines(&stopped).len(),
        2,
        "the samples before the bad line are decided"
    );
    assert!(stderr(&stopped).contains("stopped by an error"));
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        saved["learner"]["steps"], 2,
        "the state is saved before stopping"
    );

    std::fs::remove_file(&state).unwrap();
    let skipped = run_with_input(
        &["stream", "--on-error", "skip", "--state", s],
        input.as_bytes(),
    );
    assert!(skipped.status.success(), "{}", stderr(&skipped));
    let text = stderr(&skipped);
    assert!(
        text.contains("skipped <stdin>: line 3: column conf_2"),
        "{text}"
    );
    assert!(text.contains("skipped <stdin>: line 4: "), "{text}");
    assert!(text.contains("line 7: truncated last line"), "{text}");
    assert!(
        text.contains("3 samples in") && text.contains("3 bad lines skipped"),
        "{text}"
    );
    let decided = lines(&skipped);
    assert_eq!(decided.len(), 3);
    assert_eq!(decided[2]["sample"], 2);

    // Arbitrary bytes never make it panic.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20 {
        let mut junk: Vec<u8> = good.join("\n").into_bytes();
        for _ in 0..30 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % junk.len() as u64) as usize;
            junk[at] = (state >> 32) as u8;
        }
        for mode in ["stop", "skip"] {
            let out = run_with_input(&["stream", "--on-error", mode], &junk);
            assert!(matches!(out.status.code(), Some(0 | 2)), "{}", stderr(&out));
            assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        }
    }
}
