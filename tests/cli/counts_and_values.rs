//! Hostile numbers: huge counts and sizes are refused up front with the memory they would need,
//! finite but huge values are refused where what is computed from them would overflow (so no
//! file is ever written with a `null` for a number), `synth` writes only files `splitee` reads
//! back, and every parameter is checked by the rule `run` checks it by.

use super::*;
use common::{run_ok, succeed};
use std::time::Duration;

const MAX: &str = "18446744073709551615";

/// `args` refused within seconds (nothing allocated, nothing run) with one line holding
/// every one of `parts`.
fn refused(args: &[&str], parts: &[&str]) -> String {
    let mut cmd = splitee();
    cmd.args(args).timeout(Duration::from_secs(30));
    let line = fail_with_one_line(&mut cmd);
    assert_mentions(&line, parts);
    line
}

fn synth_trace(dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    run_ok(
        splitee()
            .args(["synth", "--samples", "50", "--exits", "4", "--seed", "3"])
            .args(extra)
            .arg("--out")
            .arg(&path),
    );
    path
}

#[test]
fn huge_counts_and_sizes_are_refused_up_front_with_the_memory_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let trace = synth_trace(dir.path(), "t.csv", &[]);
    let trace = trace.to_str().unwrap();
    let memory = ["would need", "of memory, but", "is available"];
    for runs in [MAX, "4294967296"] {
        let line = refused(&["run", "--trace", trace, "--runs", runs], &memory);
        assert!(line.starts_with(&format!("splitee: {runs} runs of 5 policies would need ")));
    }
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[run]\nruns = 9223372036854775807\n").unwrap();
    refused(
        &[
            "run",
            "--trace",
            trace,
            "--config",
            config.to_str().unwrap(),
        ],
        &["9223372036854775807 runs", "would need"],
    );
    for exits in [MAX, "1000000000000"] {
        refused(
            &["synth", "--samples", "10", "--exits", exits],
            &[
                &format!("a sample of {exits} exits would need"),
                "of memory",
            ],
        );
    }
    refused(
        &["bench", "--samples", MAX],
        &["samples x 12 exits would need"],
    );
    refused(
        &["bench", "--exits", MAX],
        &[&format!("{MAX} exits would need")],
    );
    refused(
        &["bench", "--runs", MAX],
        &[&format!("{MAX} runs of 1 policy would need")],
    );
    refused(
        &["train", "--widths", "64,4000000000,10", "--exits", "1"],
        &[
            "widths: a network of widths [64, 4000000000, 10] would need",
            "TiB",
        ],
    );
    refused(
        &["train", "--blur", "1e9"],
        &["blur1000000000: sigma must be at most 100 pixels"],
    );
}

#[test]
fn huge_values_are_refused_where_what_is_computed_from_them_would_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let trace = synth_trace(dir.path(), "t.csv", &[]);
    let trace = trace.to_str().unwrap();
    let bound = "costs must be finite, >= 0 and at most 1e100";
    refused(
        &["run", "--trace", trace, "--lambda", "1e308"],
        &["--lambda: is 1e308", bound],
    );
    // Each value is accepted; the cost of the deeper splits computed from them is not.
    refused(
        &["run", "--trace", trace, "--lambda", "1e100"],
        &["proc(2) + off(2) is 2e100, beyond 1e100"],
    );
    // Measured costs each within the bound whose sums are not.
    let measured = dir.path().join("measured.csv");
    std::fs::write(
        &measured,
        "conf_1,conf_2,pred_1,pred_2,label,cost_1,cost_2\n0.6,0.9,0,1,1,1,2\n0.6,0.9,0,1,1,1e99,1e100\n",
    )
    .unwrap();
    refused(
        &["run", "--cost-model", "measured", "--runs", "2", "--trace"]
            .into_iter()
            .chain([measured.to_str().unwrap()])
            .collect::<Vec<_>>(),
        &["measured.csv: sample 2: proc(2) + off(2) is 1.1e100, beyond 1e100"],
    );
    let stream = dir.path().join("s.jsonl");
    std::fs::write(
        &stream,
        "{\"conf\":[0.5,0.6,0.7,0.9],\"pred\":[0,1,1,1],\"cost\":[1,1,1,1]}\n",
    )
    .unwrap();
    let stream = stream.to_str().unwrap();
    for (flag, value) in [
        ("--lambda", "1e308"),
        ("--mu", "1e308"),
        ("--offload-cost", "1.7e308"),
        ("--policy", "sw-ucb:10:1e308"),
    ] {
        refused(&["stream", flag, value, stream], &["at most 1e100"]);
    }
}

/// A stream line whose costs sum past the bound is a bad line: the stream stops with the line
/// named, saves a state without a `null`, and the next start resumes from it.
#[test]
fn a_stream_line_of_huge_costs_is_refused_and_the_state_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let line = |cost: &str| {
        format!("{{\"conf\":[0.5,0.6,0.7,0.9],\"pred\":[0,1,1,1],\"label\":1,\"cost\":[{cost}]}}\n")
    };
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        line("1,1,1,1") + &line("1e100,1e100,1,1") + &line("1,1,1,1"),
    )
    .unwrap();
    let state = dir.path().join("state.json");
    let stream = |extra: &[&str]| {
        let mut cmd = splitee();
        cmd.args(["stream", "--cost-model", "measured", "--state"])
            .arg(&state)
            .args(extra)
            .arg(&input)
            .timeout(Duration::from_secs(30));
        cmd.output().unwrap()
    };
    let out = stream(&[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_mentions(
        &stderr,
        &["line 2: proc(2) + off(2) is 2e100, beyond 1e100"],
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["totals"]["decisions"], 1, "{saved}");
    let out = stream(&["--on-error", "skip"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["totals"]["decisions"], 3);
    assert!(saved["totals"]["cost"].as_f64().unwrap().is_finite());
}

#[test]
fn synth_writes_gzip_and_refuses_names_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let inspect = |path: &Path| {
        succeed_json(
            splitee()
                .arg("inspect")
                .arg("--json")
                .arg("--trace")
                .arg(path),
        )
    };
    let plain = inspect(&synth_trace(dir.path(), "t.csv", &[]));
    assert_eq!(plain["samples"], 50);
    for name in ["t.csv.gz", "t.jsonl.gz", "t.ndjson.gz", "t.jsonl"] {
        let path = synth_trace(dir.path(), name, &[]);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes.starts_with(&[0x1f, 0x8b]),
            name.ends_with(".gz"),
            "{name} is gzip exactly when named so"
        );
        let read = inspect(&path);
        assert_eq!(read["samples"], plain["samples"], "{name}");
        assert_eq!(read["per_exit"], plain["per_exit"], "{name}");
    }
    // A drift's phases keep the full suffix.
    synth_trace(dir.path(), "d.csv.gz", &["--drift", "switch"]);
    for phase in ["d-1.csv.gz", "d-2.csv.gz"] {
        assert_eq!(inspect(&dir.path().join(phase))["samples"], 25);
    }
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for (args, parts) in [
        (
            vec!["synth", "--out", &out("x.npz")],
            vec!["x.npz: synth writes CSV or JSON Lines"],
        ),
        (
            vec!["synth", "--out", &out("x.txt")],
            vec!["x.txt: synth writes CSV or JSON Lines"],
        ),
        (
            vec!["synth", "--format", "jsonl", "--out", &out("x.csv.gz")],
            vec!["--format jsonl does not match the file's name, which says csv"],
        ),
        (
            vec![
                "synth",
                "--samples",
                "10",
                "--drift",
                "switch",
                "--segments",
                "20",
                "--out",
                &out("y.csv"),
            ],
            vec!["20 segments need at least as many samples (got 10)"],
        ),
    ] {
        refused(&args, &parts);
    }
    for name in ["x.npz", "x.txt", "x.csv.gz", "y-1.csv", "y.csv"] {
        assert!(!dir.path().join(name).exists(), "{name} was written");
    }
}

#[test]
fn inspect_checks_alpha_by_the_rule_run_checks_it_by() {
    for alpha in ["nan", "2", "0"] {
        let from_run = refused(&["run", "--alpha", alpha, "--runs", "1"], &["--alpha"]);
        let from_inspect = refused(&["inspect", "--alpha", alpha], &["--alpha"]);
        assert_eq!(from_inspect, from_run);
    }
    let ok = succeed(splitee().args(["inspect", "--alpha", "0.5,1"]));
    assert!(ok.contains("C>=0.50  C>=1.00"), "{ok}");
}

/// A tiny optdigits folder: 8x8 images of values 0..=16 and a digit label per line.
fn optdigits(dir: &Path) -> std::path::PathBuf {
    let folder = dir.join("optdigits");
    std::fs::create_dir_all(&folder).unwrap();
    let rows: String = (0..40)
        .map(|i| {
            let pixels: Vec<String> = (0..64)
                .map(|j| ((i * 7 + j * 3) % 17).to_string())
                .collect();
            format!("{},{}\n", pixels.join(","), i % 10)
        })
        .collect();
    for name in ["optdigits.tra", "optdigits.tes"] {
        std::fs::write(folder.join(name), &rows).unwrap();
    }
    folder
}

#[test]
fn a_diverging_training_stops_naming_the_epoch_and_writes_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let data = optdigits(dir.path());
    let out = dir.path().join("net");
    let train = |learning_rate: &str| {
        let mut cmd = splitee();
        cmd.args(["train", "--dataset", "optdigits", "--data-path"])
            .arg(&data)
            .args(["--widths", "64,16,10", "--exits", "1", "--epochs", "2"])
            .args(["--learning-rate", learning_rate, "--out"])
            .arg(&out)
            .timeout(Duration::from_secs(60));
        cmd
    };
    let line = fail_with_one_line(&mut train("1e308"));
    assert_mentions(
        &line,
        &["the training diverged in epoch 1 of 2", "learning rate"],
    );
    // `--out DIR/net` writes the trace DIR/net.csv.
    let trace = out.with_extension("csv");
    assert!(
        !trace.exists(),
        "a diverged network wrote {}",
        trace.display()
    );
    run_ok(&mut train("0.001"));
    assert!(trace.exists());
}
