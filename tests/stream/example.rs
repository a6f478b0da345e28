//! Whole pipes as a user runs them: `splitee bench-stream` and the live example
//! (`examples/live_device.rs`).

use crate::{splitee, stderr};
use serde_json::Value;

#[test]
fn bench_stream_times_the_stream_on_input_generated_first() {
    // The input is generated into the temporary folder and removed afterwards.
    let scratch = tempfile::tempdir().unwrap();
    for feed in ["file", "pipe"] {
        let out = splitee()
            .env("TMPDIR", scratch.path())
            .args(["bench-stream", "--samples", "20000", "--exits", "4"])
            .args(["--feed", feed, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["feed"], feed);
        assert_eq!(
            result["decisions"], 20000,
            "{feed}: every sample decided and counted"
        );
        assert!(result["samples_per_second"].as_f64().unwrap() > 0.0);
        let rss = result["stream_peak_rss_bytes"].as_f64().unwrap();
        assert!(rss > 1e5 && rss < 50e6, "{rss}");
        let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
        assert!(left.is_empty(), "the generated input is removed: {left:?}");
    }
    for (feed, how) in [
        (
            None,
            "input read from the file, decisions written to /dev/null",
        ),
        (
            Some("pipe"),
            "input piped in as fast as taken, decisions read back",
        ),
    ] {
        let mut command = splitee();
        command.args(["bench-stream", "--samples", "5000", "--policy", "splitee"]);
        command.args(feed.map(|f| ["--feed", f]).into_iter().flatten());
        let text = String::from_utf8_lossy(&command.output().unwrap().stdout).into_owned();
        assert!(
            text.starts_with(&format!(
                "splitee stream --policy splitee < 5000 lines of splitee synth --exits 12 \
                 --format jsonl (generated first; {how})\n  5000 decisions in "
            )),
            "{text}"
        );
        assert!(text.contains("M samples/s (wall time)"), "{text}");
        assert!(text.contains("stream process: peak memory"), "{text}");
    }
}

/// With `--baseline`, an earlier build's stream (here the same binary) is measured in turns on
/// the same input and printed beside this build's: medians and ranges of the runs, and the
/// speed ratio taken round by round.
#[test]
fn bench_stream_measures_a_baseline_side_by_side() {
    let exe = env!("CARGO_BIN_EXE_splitee");
    let run = |json: bool| {
        let mut command = splitee();
        command.args(["bench-stream", "--samples", "3000", "--exits", "4"]);
        command.args(["--baseline", exe, "--rounds", "3"]);
        if json {
            command.arg("--json");
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let result: Value = serde_json::from_str(&run(true)).unwrap();
    for side in ["current", "baseline"] {
        let runs = result[side]["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 3, "{side}");
        assert!(runs.iter().all(|r| r["decisions"] == 3000), "{side}");
        let mut seconds: Vec<f64> = runs
            .iter()
            .map(|r| r["seconds"].as_f64().unwrap())
            .collect();
        seconds.sort_by(f64::total_cmp);
        let spread = &result[side]["seconds"];
        assert_eq!(spread["median"].as_f64(), Some(seconds[1]), "{side}");
        assert_eq!(spread["min"].as_f64(), Some(seconds[0]), "{side}");
        assert_eq!(spread["max"].as_f64(), Some(seconds[2]), "{side}");
    }
    // The wall ratio is the median of the three rounds' ratios.
    let ratios: Vec<f64> = (0..3)
        .map(|i| {
            let wall = |side: &str| result[side]["runs"][i]["seconds"].as_f64().unwrap();
            wall("baseline") / wall("current")
        })
        .collect();
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(result["wall_speedup"]["median"].as_f64(), Some(sorted[1]));
    assert_eq!(result["baseline_path"], exe);
    assert_eq!(result["rounds"], 3);
    assert_eq!(result["feed"], "file");
    let text = run(false);
    assert!(
        text.contains("\n3 rounds, this build and the baseline in turns:\n  this build: "),
        "{text}"
    );
    assert!(text.contains(&format!("\n  baseline {exe}: ")), "{text}");
    assert_eq!(text.matches(" s wall, median of 3 (").count(), 2, "{text}");
    assert!(
        text.contains("this build / baseline, round by round: ")
            && text.contains("x samples per second (wall), median ("),
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
