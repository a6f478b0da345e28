//! The files commands write: atomic writes replace a link planted at the target instead of
//! following it and keep the mode of the file they replace; temporary files are removed on
//! Ctrl-C and SIGTERM; the decision log is written as it is made, in bounded memory.

use super::*;
use crate::common::succeed;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `splitee` with `args`, started in the background, its output discarded.
fn spawn_quiet(args: &[&str]) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_splitee"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The temporary files being written for `target`: `.NAME.XXXXXX.tmp` beside it.
fn temporary_files(target: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.", target.file_name().unwrap().to_str().unwrap());
    std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?;
            (name.starts_with(&prefix) && name.ends_with(".tmp")).then_some(path)
        })
        .collect()
}

/// Waits until a temporary file of `target` holds at least `bytes`.
fn wait_for_temporary_file(target: &Path, bytes: u64, child: &mut Child) {
    let started = Instant::now();
    while !temporary_files(target)
        .iter()
        .any(|p| p.metadata().is_ok_and(|m| m.len() >= bytes))
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "it ended before writing"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no write began"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A synthetic CSV trace of `samples` samples with 4 exits, written into `dir`.
fn synthetic_trace(dir: &Path, samples: usize) -> PathBuf {
    let path = dir.join("trace.csv");
    succeed(
        splitee()
            .args(["synth", "--exits", "4", "--samples", &samples.to_string()])
            .arg("--out")
            .arg(&path),
    );
    path
}

#[test]
fn signals_remove_the_temporary_files_being_written() {
    let dir = tempfile::tempdir().unwrap();
    let trace = synthetic_trace(dir.path(), 20_000);
    let synth_out = dir.path().join("big.csv");
    let decisions = dir.path().join("decisions.jsonl");
    let cases: [(&PathBuf, Vec<&str>, i32); 2] = [
        (
            &synth_out,
            vec![
                "synth",
                "--samples",
                "50000000",
                "--out",
                synth_out.to_str().unwrap(),
            ],
            libc::SIGINT,
        ),
        (
            &decisions,
            vec![
                "run",
                "--trace",
                trace.to_str().unwrap(),
                "--runs",
                "200",
                "--decisions",
                decisions.to_str().unwrap(),
            ],
            libc::SIGTERM,
        ),
    ];
    for (target, args, signal) in cases {
        let mut child = spawn_quiet(&args);
        wait_for_temporary_file(target, 1 << 20, &mut child);
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(128 + signal),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(temporary_files(target), Vec::<PathBuf>::new(), "{args:?}");
        assert!(!target.exists(), "{args:?}: nothing half written in place");
    }
}

#[cfg(unix)]
#[test]
fn writes_replace_a_planted_link_and_keep_the_mode_of_the_file_they_replace() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.csv");
    std::fs::write(&victim, b"someone else's file\n").unwrap();
    let out = dir.path().join("out.csv");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    let synth = |seed: &str| {
        succeed(
            splitee()
                .args(["synth", "--samples", "20", "--seed", seed])
                .arg("--out")
                .arg(&out),
        )
    };
    synth("1");
    assert_eq!(std::fs::read(&victim).unwrap(), b"someone else's file\n");
    assert!(!std::fs::symlink_metadata(&out).unwrap().is_symlink());
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("label,conf_1"));
    // A private file stays private when it is written again.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    synth("2");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600);
    assert_eq!(temporary_files(&out), Vec::<PathBuf>::new());
}

/// Runs `child` to its end; its exit code and peak resident memory in bytes.
#[cfg(target_os = "linux")]
fn wait_with_peak_rss(child: Child) -> (Option<i32>, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers; `pid` is our child, not yet reaped.
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // Linux reports ru_maxrss in KiB.
    (code, usage.ru_maxrss as u64 * 1024)
}

#[cfg(target_os = "linux")]
#[test]
fn the_decision_log_is_written_as_it_is_made_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let trace = synthetic_trace(dir.path(), 10_000);
    let log = dir.path().join("decisions.jsonl");
    let child = spawn_quiet(&[
        "run",
        "--trace",
        trace.to_str().unwrap(),
        "--runs",
        "20",
        "--decisions",
        log.to_str().unwrap(),
    ]);
    let (code, peak) = wait_with_peak_rss(child);
    assert_eq!(code, Some(0));
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size > 100_000_000, "a log of {size} bytes");
    // Holding the log in memory would take more than its size; writing it as it is made takes
    // the trace and a buffer.
    assert!(
        peak < size / 5,
        "peak memory {peak} bytes for a {size}-byte log"
    );
}
