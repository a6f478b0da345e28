//! Arrival times from the trace: the `arrival` column in every trace format (round trips and
//! hostile values), and `splitee simulate --arrivals trace` (`[simulate] arrivals = "trace"`)
//! replaying them, checked against a queue worked out by hand.

mod common;

use common::{splitee, succeed, succeed_json};
use ndarray::{Array1, Array2};
use ndarray_npy::NpzWriter;
use serde_json::Value;
use splitee::trace::{self, write_csv, write_jsonl, Sample};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Arrivals with repeats (two samples at once) and values that are not short decimals.
const ARRIVALS: [f64; 5] = [0.0, 0.5, 0.5, 1.0 / 3.0 + 1.0, 1e6 + 0.125];

fn samples() -> Vec<Sample> {
    ARRIVALS
        .iter()
        .enumerate()
        .map(|(s, &arrival)| Sample {
            conf: vec![0.25 * (s % 4) as f64, 1.0],
            pred: vec![s as u32 % 3, 1],
            label: Some(s as u32 % 2),
            cost: Some(vec![1.5, 2.0]),
            context: None,
            arrival: Some(arrival),
        })
        .collect()
}

fn write(dir: &Path, name: &str, samples: Vec<Sample>) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    if name.ends_with(".csv") {
        write_csv(file, samples).unwrap();
    } else {
        write_jsonl(file, samples).unwrap();
    }
    path
}

fn read_back(path: &Path) -> Vec<Sample> {
    let trace = trace::load(path).unwrap();
    (0..trace.samples()).map(|s| trace.sample(s)).collect()
}

fn text(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn arrival_times_round_trip_through_csv_and_json_lines() {
    let dir = TempDir::new().unwrap();
    for name in ["t.csv", "t.jsonl"] {
        let path = write(dir.path(), name, samples());
        assert_eq!(read_back(&path), samples(), "{name}");
        let streamed: Vec<Sample> = trace::open_stream(&path)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(streamed, samples(), "{name}");
        assert_eq!(trace::load(&path).unwrap().arrivals(), Some(&ARRIVALS[..]));
    }
    let csv = std::fs::read_to_string(dir.path().join("t.csv")).unwrap();
    assert!(
        csv.starts_with("label,conf_1,pred_1,cost_1,conf_2,pred_2,cost_2,arrival\n"),
        "{csv}"
    );
    let jsonl = std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
    assert!(jsonl.ends_with(",\"arrival\":1000000.125}\n"), "{jsonl}");
}

/// Concatenated traces are served one after the other: each file's times count from the end of
/// the one before (its last arrival).
#[test]
fn concatenated_traces_continue_each_others_arrivals() {
    let dir = TempDir::new().unwrap();
    let a = write(dir.path(), "a.csv", samples()[..3].to_vec());
    let b = write(dir.path(), "b.jsonl", samples()[..2].to_vec());
    let both = trace::load_concatenated(&[a.clone(), b]).unwrap();
    assert_eq!(both.arrivals(), Some(&[0.0, 0.5, 0.5, 0.5, 1.0][..]));
    let plain = text(
        dir.path(),
        "plain.csv",
        "label,conf_1,pred_1,cost_1,conf_2,pred_2,cost_2\n1,0.5,1,1,1,1,2\n",
    );
    let mixed = trace::load_concatenated(&[a, plain])
        .unwrap_err()
        .to_string();
    assert!(
        mixed.ends_with("plain.csv: concatenated traces must all carry an arrival column, or none"),
        "{mixed}"
    );
}

#[test]
fn arrival_times_round_trip_through_npz_as_f64_or_f32() {
    let dir = TempDir::new().unwrap();
    let npz = |name: &str, add: &dyn Fn(&mut NpzWriter<std::fs::File>)| {
        let path = dir.path().join(name);
        let mut npz = NpzWriter::new(std::fs::File::create(&path).unwrap());
        npz.add_array("conf", &Array2::from_elem((3, 2), 0.5))
            .unwrap();
        npz.add_array("pred", &Array2::<i64>::zeros((3, 2)))
            .unwrap();
        add(&mut npz);
        npz.finish().unwrap();
        path
    };
    let f64s = npz("f64.npz", &|n| {
        n.add_array("arrival", &Array1::from(vec![0.0f64, 0.1, 2.75]))
            .unwrap();
    });
    let trace = trace::load(&f64s).unwrap();
    assert_eq!(trace.arrivals(), Some(&[0.0, 0.1, 2.75][..]));
    // Written back as CSV, the times read back bit for bit.
    let csv = write(
        dir.path(),
        "back.csv",
        (0..3).map(|s| trace.sample(s)).collect(),
    );
    assert_eq!(trace::load(&csv).unwrap().arrivals(), trace.arrivals());

    let f32s = npz("f32.npz", &|n| {
        n.add_array("arrival", &Array1::from(vec![0.0f32, 0.1, 2.75]))
            .unwrap();
    });
    let times = trace::load(&f32s).unwrap().arrivals().unwrap().to_vec();
    assert_eq!(times, [0.0, f64::from(0.1f32), 2.75]);

    let decreasing = npz("down.npz", &|n| {
        n.add_array("arrival", &Array1::from(vec![0.0f64, 2.0, 1.0]))
            .unwrap();
    });
    let message = trace::load(&decreasing).unwrap_err().to_string();
    assert!(
        message.ends_with(
            "down.npz: row 2: column arrival: arrival time 1 is before the previous row's 2 \
             (arrival times never decrease)"
        ),
        "{message}"
    );
    let short = npz("short.npz", &|n| {
        n.add_array("arrival", &Array1::from(vec![0.0f64, 2.0]))
            .unwrap();
    });
    let message = trace::load(&short).unwrap_err().to_string();
    assert!(
        message.ends_with("short.npz: array arrival has shape [2]; expected [3] to match conf"),
        "{message}"
    );
}

/// NaN, negative, decreasing, huge, empty or partial arrival times: refused with the file, the
/// line and the column, in CSV and JSON Lines alike.
#[test]
fn hostile_arrival_times_are_refused_naming_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let header = "label,conf_1,pred_1,arrival\n";
    for (rows, expected) in [
        (
            "1,0.5,1,0\n1,0.5,1,NaN\n",
            "line 3: column arrival: arrival time is NaN",
        ),
        (
            "1,0.5,1,-0.5\n",
            "line 2: column arrival: arrival time -0.5 is negative (seconds since the start)",
        ),
        (
            "1,0.5,1,2\n1,0.5,1,2\n1,0.5,1,1.5\n",
            "line 4: column arrival: arrival time 1.5 is before the previous row's 2 (arrival \
             times never decrease)",
        ),
        (
            "1,0.5,1,1700000000\n",
            "line 2: column arrival: arrival time 1700000000 is beyond 1000000000 s (about 32 \
             years); arrival times are seconds since the start of the trace",
        ),
        (
            "1,0.5,1,inf\n",
            "line 2: column arrival: arrival time inf is beyond 1000000000 s (about 32 years); \
             arrival times are seconds since the start of the trace",
        ),
        (
            "1,0.5,1,0\n1,0.5,1,\n",
            "line 3: column arrival: empty cell",
        ),
        (
            "1,0.5,1,soon\n",
            "line 2: column arrival: \"soon\" is not a number",
        ),
    ] {
        let path = text(dir.path(), "t.csv", &format!("{header}{rows}"));
        let message = trace::load(&path).unwrap_err().to_string();
        assert!(
            message.ends_with(&format!("t.csv: {expected}")),
            "{rows:?}: {message}"
        );
    }
    for (lines, expected) in [
        (
            "{\"conf\":[0.5],\"pred\":[1],\"arrival\":1}\n{\"conf\":[0.5],\"pred\":[1]}\n",
            "line 2: column arrival: is missing but earlier rows have one (a trace has an \
             arrival time on every row or none)",
        ),
        (
            "{\"conf\":[0.5],\"pred\":[1]}\n{\"conf\":[0.5],\"pred\":[1],\"arrival\":1}\n",
            "line 2: column arrival: is given but earlier rows have none (a trace has an \
             arrival time on every row or none)",
        ),
        (
            "{\"conf\":[0.5],\"pred\":[1],\"arrival\":3}\n{\"conf\":[0.5],\"pred\":[1],\"arrival\":2.5}\n",
            "line 2: column arrival: arrival time 2.5 is before the previous row's 3 (arrival \
             times never decrease)",
        ),
        (
            "{\"conf\":[0.5],\"pred\":[1],\"arrival\":-1}\n",
            "line 1: column arrival: arrival time -1 is negative (seconds since the start)",
        ),
    ] {
        let path = text(dir.path(), "t.jsonl", lines);
        let message = trace::load(&path).unwrap_err().to_string();
        assert!(
            message.ends_with(&format!("t.jsonl: {expected}")),
            "{lines:?}: {message}"
        );
    }
}

/// Two exits, each reached in 1 s on the device (`--device-ms 1000,1000`), nothing sent, no
/// uplink or cloud delay: every answered sample takes exactly 1 s of service.
fn timed_trace(dir: &Path, arrivals: &[f64]) -> PathBuf {
    let rows: String = arrivals
        .iter()
        .enumerate()
        .map(|(s, t)| format!("{},0.9,{},0.95,{},{t}\n", s % 2, s % 2, s % 2))
        .collect();
    text(
        dir,
        "timed.csv",
        &format!("label,conf_1,pred_1,conf_2,pred_2,arrival\n{rows}"),
    )
}

fn simulate_trace_arrivals(trace: &Path, buffer: &str) -> Value {
    succeed_json(
        splitee()
            .args([
                "simulate",
                "--arrivals",
                "trace",
                "--device-ms",
                "1000,1000",
            ])
            .args(["--buffer", buffer, "--policy", "fixed:2", "--runs", "2"])
            .args(["--json", "--trace"])
            .arg(trace),
    )
}

/// The only result of a trace-arrivals report, and its rate.
fn only_result(report: &Value) -> (&Value, f64) {
    let rates = report["rates"].as_array().unwrap();
    assert_eq!(rates.len(), 1);
    let results = rates[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    (&results[0], rates[0]["rate"].as_f64().unwrap())
}

fn mean(result: &Value, key: &str) -> f64 {
    result[key]["mean"].as_f64().unwrap()
}

fn series(result: &Value, key: &str) -> Vec<f64> {
    result["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[key].as_f64().unwrap())
        .collect()
}

/// B = 1 (no waiting room), 1 s of service, arrivals at 0, 0.5, 1.2 and 3 s:
/// - 0: served at once, leaves at 1 (latency 1 s);
/// - 0.5: the device holds one sample, B = 1: lost;
/// - 1.2: the device is empty again: leaves at 2.2 (1 s);
/// - 3: leaves at 4 (1 s).
///
/// One loss in four, every latency 1000 ms, three answers over 4 s; the mean arrival rate is 4
/// samples over the last arrival, 3 s.
#[test]
fn trace_arrivals_without_waiting_room_by_hand() {
    let dir = TempDir::new().unwrap();
    let report = simulate_trace_arrivals(&timed_trace(dir.path(), &[0.0, 0.5, 1.2, 3.0]), "1");
    let (result, rate) = only_result(&report);
    assert_eq!(rate, 4.0 / 3.0);
    assert_eq!(report["deployment"]["arrivals"], "trace");
    assert_eq!(mean(result, "loss_fraction"), 0.25);
    for key in ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] {
        assert_eq!(mean(result, key), 1000.0, "{key}");
    }
    assert_eq!(mean(result, "throughput_per_s"), 0.75);
    // Windows of one arrival each (the 20 series points clamped to the 4 samples).
    assert_eq!(series(result, "loss_fraction"), [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(series(result, "time_ms"), [0.0, 500.0, 1200.0, 3000.0]);
}

/// B = 2 (room for one waiting), 1 s of service, arrivals at 0, 0.5, 0.7, 1.2 and 3 s:
/// - 0: served at once, leaves at 1 (latency 1 s);
/// - 0.5: waits behind it; served from 1, leaves at 2 (1.5 s);
/// - 0.7: the device holds two, B = 2: lost;
/// - 1.2: waits behind the second; served from 2, leaves at 3 (1.8 s);
/// - 3: the third leaves at that instant, freeing the device first: leaves at 4 (1 s).
///
/// One loss in five; latencies 1000, 1500, 1800 and 1000 ms: the median (nearest rank, 2nd of
/// 4) is 1000, p95 and p99 (4th of 4) 1800, the mean 1325; four answers over 4 s.
#[test]
fn trace_arrivals_with_a_waiting_room_by_hand() {
    let dir = TempDir::new().unwrap();
    let report = simulate_trace_arrivals(&timed_trace(dir.path(), &[0.0, 0.5, 0.7, 1.2, 3.0]), "2");
    let (result, rate) = only_result(&report);
    assert_eq!(rate, 5.0 / 3.0);
    assert_eq!(mean(result, "loss_fraction"), 0.2);
    assert_eq!(mean(result, "latency_p50_ms"), 1000.0);
    assert_eq!(mean(result, "latency_p95_ms"), 1800.0);
    assert_eq!(mean(result, "latency_p99_ms"), 1800.0);
    assert_eq!(mean(result, "latency_mean_ms"), 1325.0);
    assert_eq!(mean(result, "throughput_per_s"), 1.0);
    // Two runs of the same deterministic queue agree: no interval width.
    assert_eq!(result["loss_fraction"]["ci95"].as_f64(), Some(0.0));
    assert_eq!(series(result, "loss_fraction"), [0.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(
        series(result, "latency_p95_ms"),
        [1000.0, 1500.0, 0.0, 1800.0, 1000.0]
    );
}

/// Each sample arrives at its own time, so the runs take the samples in the trace's order
/// even under `--order shuffle`. Service is the trace's measured `cost_k` (ms), summed to the
/// final exit: 3000 ms for the first sample, 500 for the others. B = 2, arrivals at 0, 1, 2 s:
/// - 0: served at once, leaves at 3 (latency 3 s);
/// - 1: waits behind it; served from 3, leaves at 3.5 (2.5 s);
/// - 2: the device holds two: lost.
///
/// Any other order gives another queue (the slow sample second, say: nothing is lost).
#[test]
fn trace_arrivals_keep_each_sample_at_its_own_time() {
    let dir = TempDir::new().unwrap();
    let trace = text(
        dir.path(),
        "costed.csv",
        "label,conf_1,pred_1,cost_1,conf_2,pred_2,cost_2,arrival
\
         1,0.9,1,1000,0.9,1,2000,0
0,0.9,0,250,0.9,0,250,1
1,0.9,1,250,0.9,1,250,2
",
    );
    let report = succeed_json(
        splitee()
            .args(["simulate", "--arrivals", "trace", "--order", "shuffle"])
            .args(["--buffer", "2", "--policy", "fixed:2", "--runs", "6"])
            .args(["--json", "--trace"])
            .arg(&trace),
    );
    let (result, rate) = only_result(&report);
    assert_eq!(rate, 1.5);
    for (key, expected) in [("loss_fraction", 1.0 / 3.0), ("latency_mean_ms", 2750.0)] {
        assert_eq!(mean(result, key), expected, "{key}");
        assert_eq!(result[key]["ci95"].as_f64(), Some(0.0), "{key}");
    }
}

/// The same deployment from a config's `[simulate]` section, with its Markdown report and the
/// time-series figure, which `splitee plot` redraws from simulate.json.
#[test]
fn trace_arrivals_from_a_config_write_a_timeline() {
    let dir = TempDir::new().unwrap();
    let trace = timed_trace(dir.path(), &[0.0, 0.5, 0.7, 1.2, 3.0]);
    let config = text(
        dir.path(),
        "q.toml",
        &format!(
            "[trace]\npaths = [{:?}]\n\n[policy]\nnames = [\"fixed:2\"]\n\n[run]\nruns = 2\n\n\
             [simulate]\narrivals = \"trace\"\nbuffer = 2\ndevice_ms = [1000.0, 1000.0]\n",
            trace.file_name().unwrap()
        ),
    );
    let out = dir.path().join("out");
    let markdown = succeed(
        splitee()
            .args(["simulate", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(&out),
    );
    assert!(
        markdown.contains(
            "Arrivals: the trace's arrival times (each sample at its own time, in the trace's \
             order)."
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("## The trace's arrivals: 1.667 samples/s on average"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| fixed:2 | 0.2000 ± 0.0000 |"),
        "{markdown}"
    );
    let timeline = out.join("queue-timeline-trace.png");
    assert!(timeline.exists());
    std::fs::remove_file(&timeline).unwrap();
    succeed(splitee().arg("plot").arg(&out));
    assert!(timeline.exists());
}

fn fail_with_one_line(cmd: &mut assert_cmd::Command) -> String {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    stderr.trim_end().to_owned()
}

#[test]
fn trace_arrivals_are_refused_in_words() {
    let dir = TempDir::new().unwrap();
    let timed = timed_trace(dir.path(), &[0.0, 1.0]);
    let line = fail_with_one_line(
        splitee()
            .args(["simulate", "--arrivals", "trace", "--rate", "3", "--trace"])
            .arg(&timed),
    );
    assert_eq!(
        line,
        "splitee: --rate sets Poisson arrivals, but --arrivals trace replays the trace's arrival \
         times, which set the rate: give one or the other"
    );
    let plain = text(dir.path(), "plain.csv", "label,conf_1,pred_1\n1,0.5,1\n");
    let line = fail_with_one_line(
        splitee()
            .args(["simulate", "--arrivals", "trace", "--trace"])
            .arg(&plain),
    );
    assert_eq!(
        line,
        format!(
            "splitee: {}: column arrival: is missing; trace arrivals replay each sample's \
             arrival time (seconds since the start) from it",
            plain.display()
        )
    );
    let at_once = timed_trace(dir.path(), &[0.0, 0.0]);
    let line = fail_with_one_line(
        splitee()
            .args([
                "simulate",
                "--arrivals",
                "trace",
                "--device-ms",
                "1,1",
                "--trace",
            ])
            .arg(&at_once),
    );
    assert!(
        line.ends_with(
            "timed.csv: column arrival: every sample arrives at 0 s, which gives no arrival \
             rate; trace arrivals need times that span some time"
        ),
        "{line}"
    );
    // In a config, rates beside trace arrivals are blamed on the section.
    let config = text(
        dir.path(),
        "q.toml",
        "[trace]\npaths = [\"timed.csv\"]\n\n[simulate]\narrivals = \"trace\"\nrates = [5.0]\n\
         device_ms = [1.0, 1.0]\n",
    );
    let line = fail_with_one_line(splitee().args(["simulate", "--config"]).arg(&config));
    assert_eq!(
        line,
        format!(
            "splitee: {}: line 4: simulate: the arrival rates are for Poisson arrivals, but \
             arrivals = \"trace\" replays the trace's arrival times, which set the rate: drop \
             the rates (or the trace arrivals)",
            config.display()
        )
    );
    // `--arrivals trace` on the command line replaces the config's Poisson rates.
    let config = text(
        dir.path(),
        "p.toml",
        "[trace]\npaths = [\"timed.csv\"]\n\n[simulate]\nrates = [5.0]\ndevice_ms = [1.0, 1.0]\n",
    );
    let timed = timed_trace(dir.path(), &[0.0, 1.0]);
    assert_eq!(timed.file_name().unwrap(), "timed.csv");
    let report = succeed_json(
        splitee()
            .args(["simulate", "--arrivals", "trace", "--json", "--config"])
            .arg(&config),
    );
    assert_eq!(report["rates"][0]["rate"], 2.0);
}
