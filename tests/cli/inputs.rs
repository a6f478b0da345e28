//! Inputs as a hostile or careless user hands them over: text without line breaks (every reader
//! bounds its lines, in bounded memory) and named pipes (every input is read once).

use super::{assert_mentions, fail_with_one_line};
use crate::common::splitee;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The default bound on a line, as the error names it.
const DEFAULT_BOUND: &str = "longer than 67108864 bytes, the bound on a line";

/// `splitee stream` fed bytes without a line break (as from `/dev/zero`) with its address space
/// limited to 512 MiB: it refuses the first line once it passes the bound, instead of growing a
/// line buffer until memory runs out.
#[test]
fn stream_input_without_line_breaks_is_refused_in_bounded_memory() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_splitee"));
    command
        .arg("stream")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 512 << 20,
                rlim_max: 512 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // 1 GiB of zeros, or until the stream stops reading.
    let writer = std::thread::spawn(move || {
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            if stdin.write_all(&zeros).is_err() {
                break;
            }
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("splitee: <stdin>: line 1: {DEFAULT_BOUND} (raise it with --max-line-bytes)")
    );
}

fn gzip(path: &Path, bytes: &[u8]) {
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap();
}

/// Every reader of user text refuses a line past `--max-line-bytes`, naming the file, the line
/// and the bound: traces (CSV, JSON Lines, gzipped), configs, cost profiles, learner states and
/// sweep reports. A 64 MiB line of a small gzip is refused without being held.
#[test]
fn every_reader_bounds_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    let long = "x".repeat(300);
    let ok_csv = "conf_1,pred_1,label\n0.5,1,1\n";
    std::fs::write(at("t.csv"), format!("{ok_csv}0.5,1,1 #{long}\n")).unwrap();
    std::fs::write(
        at("t.jsonl"),
        format!("{{\"conf\":[0.5],\"pred\":[1]}}\n{{\"conf\":[0.5],\"pred\":[1],\"{long}\":1}}\n"),
    )
    .unwrap();
    gzip(&at("big.jsonl.gz"), &vec![b' '; 64 << 20]);
    gzip(&at("big.csv.gz"), format!("{ok_csv}{long}\n").as_bytes());
    std::fs::write(at("c.toml"), format!("[run]\nruns = 1\n# {long}\n")).unwrap();
    std::fs::write(at("profile.json"), format!("{{\"x\": \"{long}\"}}")).unwrap();
    std::fs::write(at("state.json"), format!("{{\"x\": \"{long}\"}}")).unwrap();
    std::fs::write(
        at("p.toml"),
        "[cost]\nmodel = \"profile\"\nprofile = \"profile.json\"\nper_mac = 1e-9\nper_byte = 1e-9\n",
    )
    .unwrap();
    std::fs::create_dir(at("sweep")).unwrap();
    std::fs::write(at("sweep/sweep.json"), format!("{{\"x\": \"{long}\"}}")).unwrap();
    let path = |name: &str| at(name).to_str().unwrap().to_owned();
    let cases: Vec<(Vec<String>, String, u64)> = vec![
        (
            vec!["run".into(), "--trace".into(), path("t.csv")],
            path("t.csv"),
            3,
        ),
        (
            vec!["run".into(), "--trace".into(), path("t.jsonl")],
            path("t.jsonl"),
            2,
        ),
        (
            vec!["inspect".into(), "--trace".into(), path("big.jsonl.gz")],
            path("big.jsonl.gz"),
            1,
        ),
        (
            vec!["run".into(), "--trace".into(), path("big.csv.gz")],
            path("big.csv.gz"),
            3,
        ),
        (vec!["stream".into(), path("t.jsonl")], path("t.jsonl"), 2),
        (
            vec!["run".into(), "--config".into(), path("c.toml")],
            path("c.toml"),
            3,
        ),
        (
            vec!["run".into(), "--config".into(), path("p.toml")],
            path("profile.json"),
            1,
        ),
        (
            vec![
                "stream".into(),
                "--state".into(),
                path("state.json"),
                path("t.jsonl"),
            ],
            path("state.json"),
            1,
        ),
        (
            vec!["plot".into(), path("sweep")],
            path("sweep/sweep.json"),
            1,
        ),
    ];
    for (args, file, line) in cases {
        let mut command = splitee();
        command.arg("--max-line-bytes").arg("100").args(&args);
        let message = if args[0] == "stream" {
            // A stream ends with its summary, then the error.
            let output = command.output().unwrap();
            assert_eq!(output.status.code(), Some(2));
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            stderr.lines().last().unwrap_or_default().to_owned()
        } else {
            fail_with_one_line(&mut command)
        };
        assert_mentions(
            &message,
            &[
                &file,
                &format!("line {line}"),
                "longer than 100 bytes, the bound on a line",
            ],
        );
    }
}

/// A named pipe at `path` that a thread fills with `bytes` once a reader opens it.
fn fifo(path: &Path, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
    let path: PathBuf = path.to_path_buf();
    std::thread::spawn(move || {
        // Fails (a closed pipe) if the reader stops early: the test then sees what it read.
        if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = pipe.write_all(&bytes);
        }
    })
}

/// A trace and a config given as named pipes are read once: `run` replays every sample, with
/// the same report, trace hash and copied config as from regular files (a second open of a pipe
/// would find it empty, or wait forever for a writer).
#[test]
fn named_pipes_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    for (name, format) in [("t.jsonl", "jsonl"), ("t.csv", "csv")] {
        let trace = splitee()
            .args([
                "synth",
                "--samples",
                "3000",
                "--exits",
                "4",
                "--seed",
                "3",
                "--format",
                format,
            ])
            .output()
            .unwrap()
            .stdout;
        assert!(trace.len() > 64 << 10, "the trace spans several reads");
        let config = b"[run]\nruns = 2\nseed = 5\n".to_vec();
        let regular = at(&format!("regular-{name}"));
        std::fs::write(&regular, &trace).unwrap();
        std::fs::write(at("regular.toml"), &config).unwrap();
        let piped = at(&format!("piped-{name}"));
        let writers = [fifo(&piped, trace), fifo(&at("piped.toml"), config)];
        let run = |trace: &Path, config: &Path, out: &Path| {
            let output = splitee()
                .arg("run")
                .arg("--trace")
                .arg(trace)
                .arg("--config")
                .arg(config)
                .arg("--out")
                .arg(out)
                .args(["--policy", "splitee", "--json"])
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(output.status.success(), "{}: {stderr}", trace.display());
            output.stdout
        };
        let from_files = run(&regular, &at("regular.toml"), &at("out-files"));
        let from_pipes = run(&piped, &at("piped.toml"), &at("out-pipes"));
        for writer in writers {
            writer.join().unwrap();
        }
        let report = |stdout: &[u8]| {
            let mut v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
            v["trace"]["paths"] = serde_json::Value::Null;
            v
        };
        assert_eq!(report(&from_pipes)["trace"]["samples"], 3000);
        assert_eq!(report(&from_pipes), report(&from_files));
        let written = |out: &str, file: &str| std::fs::read_to_string(at(out).join(file)).unwrap();
        let hash = |out: &str| {
            let v: serde_json::Value = serde_json::from_str(&written(out, "results.json")).unwrap();
            v["trace"]["hash"].clone()
        };
        assert!(hash("out-pipes").is_string());
        assert_eq!(hash("out-pipes"), hash("out-files"));
        assert_eq!(
            written("out-pipes", "config.toml"),
            "[run]\nruns = 2\nseed = 5\n"
        );
        std::fs::remove_file(at("piped.toml")).unwrap();
    }
}
