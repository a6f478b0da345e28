//! Whole pipes as a user runs them: `splitee bench-stream` and the live example
//! (`examples/live_device.rs`).

use crate::{splitee, stderr};
use serde_json::Value;

#[test]
fn bench_stream_times_the_stream_on_input_generated_first() {
    // The input is generated into the temporary folder and removed afterwards.
    let scratch = tempfile::tempdir().unwrap();
    let out = splitee()
        .env("TMPDIR", scratch.path())
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
    let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(left.is_empty(), "the generated input is removed: {left:?}");
    let text = splitee()
        .args(["bench-stream", "--samples", "5000", "--policy", "splitee"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("M samples/s (wall time, input piped in as fast as taken)"),
        "{text}"
    );
    assert!(
        text.starts_with(
            "splitee stream --policy splitee < 5000 lines of splitee synth --exits 12"
        ),
        "{text}"
    );
    assert!(text.contains("stream process: peak memory"), "{text}");
}

/// With `--baseline`, an earlier build's stream (here the same binary) is measured in turns on
/// the same input and printed beside this build's, with their ratio.
#[test]
fn bench_stream_measures_a_baseline_side_by_side() {
    let exe = env!("CARGO_BIN_EXE_splitee");
    let run = |json: bool| {
        let mut command = splitee();
        command.args(["bench-stream", "--samples", "3000", "--exits", "4"]);
        command.args(["--baseline", exe, "--rounds", "2"]);
        if json {
            command.arg("--json");
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let result: Value = serde_json::from_str(&run(true)).unwrap();
    for side in ["current", "baseline"] {
        assert_eq!(result[side]["decisions"], 3000, "{side}");
    }
    assert_eq!(result["baseline_path"], exe);
    assert_eq!(result["rounds"], 2);
    let text = run(false);
    assert!(
        text.starts_with("this build, fastest of 2 runs:\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("baseline {exe}, fastest of 2 runs")),
        "{text}"
    );
    assert_eq!(
        text.matches("M samples per CPU second").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("this build / baseline: ") && text.contains("x samples per second (wall), "),
        "{text}"
    );
}

/// The live example's logic, run as the example runs it.
#[path = "../../examples/live_device.rs"]
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
fn bench_stream_fails_when_a_child_fails() {
    let out = splitee()
        .args(["bench-stream", "--samples", "0"])
        .output()
        .unwrap();
    let line = crate::error_line(&out);
    assert_eq!(
        line,
        "splitee: splitee synth failed: <synthetic>: samples must be at least 1 (got 0)"
    );
    assert!(out.stdout.is_empty());
}
