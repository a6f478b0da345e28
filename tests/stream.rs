//! `splitee stream` and the live learner: decisions equal a one-run replay's, a saved state
//! resumes exactly, states from other settings or damaged ones are refused, bad lines stop or
//! are skipped, decisions come out as samples arrive, Ctrl-C saves, and killing the process in
//! the middle of a save leaves the previous state intact. Also runs the live example.

mod common;

use serde_json::Value;
use splitee::trace::synth::SynthParams;
use splitee::trace::{write_jsonl, Sample};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn splitee() -> Command {
    Command::new(env!("CARGO_BIN_EXE_splitee"))
}

/// Starts `splitee` with `args`, its standard input, output and error piped to the test.
fn spawn_piped(args: &[&str]) -> Child {
    splitee()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `splitee` with `args`, feeding `input` on standard input.
fn run_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Synthetic samples, optionally with measured per-exit costs.
fn samples(n: usize, exits: usize, seed: u64, with_costs: bool) -> Vec<Sample> {
    let params = SynthParams {
        samples: n,
        exits,
        classes: 3,
        seed,
    };
    params
        .stream()
        .unwrap()
        .enumerate()
        .map(|(s, mut sample)| {
            if with_costs {
                // Deterministic costs that vary by sample and exit.
                sample.cost = Some(
                    (0..exits)
                        .map(|k| 1.0 + ((s * 7 + k * 3) % 11) as f64 / 4.0)
                        .collect(),
                );
            }
            sample
        })
        .collect()
}

fn jsonl(samples: &[Sample]) -> Vec<u8> {
    let mut out = Vec::new();
    write_jsonl(&mut out, samples.iter().cloned()).unwrap();
    out
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The fields a stream decision shares with a `run --decisions` line.
const SHARED: [&str; 9] = [
    "t",
    "arm",
    "threshold",
    "offloaded",
    "probed",
    "reward",
    "cost",
    "prediction",
    "correct",
];

fn shared(v: &Value) -> Vec<Option<Value>> {
    SHARED.iter().map(|k| v.get(k).cloned()).collect()
}

#[test]
fn stream_decides_as_a_one_run_replay_in_the_given_order() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write_file(dir.path(), "t.jsonl", &jsonl(&samples(1500, 6, 11, false)));
    let costly = write_file(dir.path(), "c.jsonl", &jsonl(&samples(800, 4, 12, true)));
    let cases: Vec<(&Path, Vec<&str>)> = vec![
        (&plain, vec!["--policy", "splitee"]),
        (&plain, vec!["--policy", "splitee-s"]),
        (
            &plain,
            vec!["--policy", "splitee-s:unbiased", "--probe", "0.2"],
        ),
        (
            &plain,
            vec!["--policy", "joint-ucb", "--thresholds", "0.6,0.8,0.9"],
        ),
        (&plain, vec!["--policy", "joint:thompson+s:unbiased"]),
        (&plain, vec!["--policy", "threshold:3:ucb-tuned+s"]),
        (&plain, vec!["--policy", "alpha:0.8:kl-ucb+s"]),
        (&plain, vec!["--policy", "ucb-v+s", "--offload-cost", "0.2"]),
        (&plain, vec!["--policy", "ucb1:0.5"]),
        (&plain, vec!["--policy", "exp3:0.1"]),
        (&plain, vec!["--policy", "exp3-ix:0.05"]),
        (&plain, vec!["--policy", "eps-greedy:decay+s"]),
        (&plain, vec!["--policy", "sw-ucb:100+s"]),
        (&plain, vec!["--policy", "d-ucb:0.99"]),
        (&plain, vec!["--policy", "random"]),
        (&plain, vec!["--policy", "random-run"]),
        (&plain, vec!["--policy", "device-ee"]),
        (&plain, vec!["--policy", "final-exit"]),
        (&plain, vec!["--policy", "fixed:2"]),
        (
            &plain,
            vec!["--policy", "splitee-s", "--reward", "confidence-gain"],
        ),
        (
            &costly,
            vec![
                "--policy",
                "splitee-s",
                "--cost-model",
                "measured",
                "--mu",
                "0.05",
            ],
        ),
        (
            &costly,
            vec![
                "--policy",
                "eps-greedy:0.1+s:unbiased",
                "--cost-model",
                "measured",
            ],
        ),
    ];
    for (trace, args) in cases {
        let decisions = dir.path().join("d.jsonl");
        let trace_arg = trace.to_str().unwrap();
        let mut run_args = vec![
            "run", "--trace", trace_arg, "--order", "given", "--runs", "1",
        ];
        run_args.extend(["--seed", "5", "--decisions", decisions.to_str().unwrap()]);
        run_args.extend(&args);
        let run = splitee().args(&run_args).output().unwrap();
        assert!(run.status.success(), "{args:?}: {}", stderr(&run));
        let replayed: Vec<Value> = std::fs::read_to_string(&decisions)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();

        let mut stream_args = vec!["stream", trace_arg, "--seed", "5"];
        stream_args.extend(&args);
        let streamed = splitee().args(&stream_args).output().unwrap();
        assert!(streamed.status.success(), "{args:?}: {}", stderr(&streamed));
        let streamed = lines(&streamed);
        assert_eq!(streamed.len(), replayed.len(), "{args:?}");
        let mut total = 0.0;
        for (s, (a, b)) in streamed.iter().zip(&replayed).enumerate() {
            assert_eq!(shared(a), shared(b), "{args:?}: decision {s}");
            assert_eq!(a["sample"], s as u64);
            total += a["cost"].as_f64().unwrap();
            let running = a["total_cost"].as_f64().unwrap();
            assert!((running - total).abs() < 1e-9 * total.max(1.0), "{args:?}");
        }
        // Something was learned: the learners do not all play one arm.
        if args[1].contains("splitee") {
            let arms: std::collections::HashSet<String> =
                streamed.iter().map(|v| v["arm"].to_string()).collect();
            assert!(arms.len() > 1, "{args:?}");
        }
    }
}

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

/// The one line a failing command ends with.
fn error_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    let text = stderr(output);
    let last = text.lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with("splitee: "), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    last
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
}

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
fn bench_stream_times_the_whole_pipe() {
    let out = splitee()
        .args([
            "bench-stream",
            "--samples",
            "20000",
            "--exits",
            "4",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result["decisions"], 20000,
        "every sample decided and read back"
    );
    assert!(result["samples_per_second"].as_f64().unwrap() > 0.0);
    let rss = result["stream_peak_rss_bytes"].as_f64().unwrap();
    assert!(rss > 1e5 && rss < 50e6, "{rss}");
    let text = splitee()
        .args(["bench-stream", "--samples", "5000", "--policy", "splitee"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("M samples/s (wall time of the whole pipe)"),
        "{text}"
    );
    assert!(text.contains("stream process: peak memory"), "{text}");
}

/// The live example's logic, run as the example runs it.
#[path = "../examples/live_device.rs"]
#[allow(dead_code)]
mod live_device;

#[test]
fn live_example_learns_the_best_split_without_labels() {
    let report = live_device::run(40_000, 7).unwrap();
    let text = report.to_string();
    println!("{text}");
    assert_eq!(report.decisions, 40_000);
    assert!(
        report.resumed_at > 0,
        "the example saves and restores its learner"
    );
    // The learner settles on the best fixed split in hindsight and pays far less than running
    // every sample to the final exit, within a few points of its accuracy.
    assert_eq!(report.learned_split, report.best_split, "{text}");
    assert!(
        report.cost_per_sample < 0.7 * report.final_exit_cost,
        "{text}"
    );
    assert!(
        report.accuracy > report.final_exit_accuracy - 0.05,
        "{text}"
    );
    assert!(text.contains("learned split"), "{text}");
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
