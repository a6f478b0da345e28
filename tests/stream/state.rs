//! Saved states: two halves with a state decide as one pass, and states from other settings or
//! damaged ones are refused.

use crate::{error_line, jsonl, lines, run_with_input, samples, stderr};
use serde_json::Value;
use std::path::Path;

#[test]
fn halves_with_a_saved_state_decide_as_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let all = samples(1200, 6, 21, false);
    let whole = jsonl(&all);
    let (first, second) = (jsonl(&all[..517]), jsonl(&all[517..]));
    for policy in [
        "splitee-s",
        "splitee-s:unbiased",
        "joint:kl-ucb+s",
        "thompson+s",
        "exp3-ix:0.1",
        "sw-ucb:64+s",
        "d-ucb:0.95+s",
        "eps-greedy:0.2",
        "random",
        "ucb-tuned",
    ] {
        let once_state = dir.path().join("once.json");
        let halves_state = dir.path().join("halves.json");
        let _ = std::fs::remove_file(&once_state);
        let _ = std::fs::remove_file(&halves_state);
        let args = |path: &Path| -> Vec<String> {
            let path = path.to_str().unwrap();
            [
                "stream",
                "--policy",
                policy,
                "--seed",
                "3",
                "--state",
                path,
                "--save-every",
                "100",
            ]
            .map(String::from)
            .to_vec()
        };
        let (once_args, halves_args) = (args(&once_state), args(&halves_state));
        fn borrow(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        let once = run_with_input(&borrow(&once_args), &whole);
        assert!(once.status.success(), "{policy}: {}", stderr(&once));
        let a = run_with_input(&borrow(&halves_args), &first);
        let b = run_with_input(&borrow(&halves_args), &second);
        assert!(
            a.status.success() && b.status.success(),
            "{policy}: {}",
            stderr(&b)
        );
        assert!(stderr(&b).contains("resumed from"), "{}", stderr(&b));
        let strip = |mut v: Value| {
            v.as_object_mut().unwrap().remove("sample");
            v
        };
        let once: Vec<Value> = lines(&once).into_iter().map(strip).collect();
        let halves: Vec<Value> = lines(&a).into_iter().chain(lines(&b)).map(strip).collect();
        assert_eq!(once.len(), 1200);
        assert_eq!(once, halves, "{policy}");
        // The saved states are the same too, byte for byte.
        assert_eq!(
            std::fs::read(&once_state).unwrap(),
            std::fs::read(&halves_state).unwrap(),
            "{policy}"
        );
    }
}

#[test]
fn states_from_other_settings_or_damaged_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let s = state.to_str().unwrap();
    let input = jsonl(&samples(300, 6, 31, false));
    let saved = run_with_input(&["stream", "--policy", "splitee-s", "--state", s], &input);
    assert!(saved.status.success(), "{}", stderr(&saved));
    let good = std::fs::read(&state).unwrap();

    for (args, field) in [
        (vec!["--policy", "splitee"], "policy \"splitee-s\""),
        (vec!["--seed", "9"], "seed 0"),
        (vec!["--alpha", "0.8"], "alpha 0.7"),
        (vec!["--offload-cost", "0.3"], "cost model"),
        (vec!["--observation", "unbiased"], "observation"),
        (vec!["--ucb-c", "2"], "UCB constant"),
    ] {
        let mut all = vec!["stream", "--state", s];
        all.extend(&args);
        let line = error_line(&run_with_input(&all, &input));
        assert!(line.contains(s) && line.contains(field), "{args:?}: {line}");
        assert!(line.contains("use the same settings"), "{line}");
        assert_eq!(
            std::fs::read(&state).unwrap(),
            good,
            "a refused state is left alone"
        );
    }
    // Samples of another network.
    let other = jsonl(&samples(10, 4, 31, false));
    let line = error_line(&run_with_input(&["stream", "--state", s], &other));
    assert!(
        line.contains("<stdin>: line 1") && line.contains("has 4 exits but the learner has 6"),
        "{line}"
    );

    let text = String::from_utf8(good.clone()).unwrap();
    let damaged = [
        (text[..text.len() / 2].to_owned(), "not valid JSON"),
        ("garbage".to_owned(), "not valid JSON"),
        ("{}".to_owned(), "format"),
        (
            text.replace("\"version\": 1", "\"version\": 7"),
            "version 7",
        ),
        (
            text.replacen("\"steps\": 300", "\"steps\": 299", 1),
            "decisions",
        ),
        (
            text.replacen("\"counts\": [", "\"counts\": [1000000, ", 1),
            "counts",
        ),
        (
            text.replacen("\"sums\": [", "\"sums\": [1.0, ", 1),
            "sums has 7 entries",
        ),
        (
            text.replacen("\"decisions\": 300", "\"decisions\": 301", 1),
            "totals",
        ),
    ];
    for (content, expected) in damaged {
        assert_ne!(
            content.as_bytes(),
            &good[..],
            "the edit applies ({expected})"
        );
        std::fs::write(&state, &content).unwrap();
        let line = error_line(&run_with_input(&["stream", "--state", s], &input));
        assert!(
            line.contains(s) && line.contains(expected),
            "{expected}: {line}"
        );
    }
}

#[test]
fn a_second_stream_on_the_same_state_is_refused_naming_it() {
    use std::io::{BufRead, BufReader, Write};
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let s = state.to_str().unwrap();
    let all = samples(40, 4, 41, false);
    let mut first = crate::spawn_piped(&["stream", "--state", s]);
    let mut first_err = BufReader::new(first.stderr.take().unwrap());
    let mut started = String::new();
    first_err.read_line(&mut started).unwrap();
    assert!(started.contains("starting a new learner"), "{started}");
    let mut first_in = first.stdin.take().unwrap();
    first_in.write_all(&jsonl(&all[..20])).unwrap();

    // While the first runs, a second on the same state is refused and changes nothing.
    let second = run_with_input(&["stream", "--state", s], &jsonl(&all[20..]));
    let line = error_line(&second);
    assert_eq!(
        line,
        format!(
            "splitee: {s}: in use by another stream (one state file takes one stream at a \
             time); stop that stream or choose another --state"
        )
    );
    assert!(second.stdout.is_empty());

    drop(first_in);
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success());
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["learner"]["steps"], 20);
    // Once the first has ended, the state is free.
    let third = run_with_input(&["stream", "--state", s], &jsonl(&all[20..]));
    assert!(third.status.success(), "{}", stderr(&third));
    assert_eq!(lines(&third)[0]["t"], 20);
}
