//! `splitee simulate`: the queue simulation's report, its one-line errors, and the load-aware
//! learners on the real CIFAR-10 trace.

use super::*;
use common::shared_trace;

/// The experiment's acceptance on CIFAR-10 with its measured latencies (`experiments/
/// queue-cifar10.toml`, fewer runs): at the highest rate both load-aware learners lose fewer
/// samples than the fixed threshold, beyond their intervals.
#[test]
fn load_aware_learners_lose_fewer_samples_than_a_fixed_threshold() {
    let Some(trace) = shared_trace("cifar10-mobilenet2.csv") else {
        return;
    };
    let config = common::manifest().join("experiments/queue-cifar10.toml");
    let report = succeed_json(
        splitee()
            .args(["simulate", "--runs", "4", "--json", "--config"])
            .arg(&config)
            .arg("--trace")
            .arg(&trace),
    );
    let rates = report["rates"].as_array().unwrap();
    assert_eq!(rates.len(), 3);
    let highest = &rates[2];
    assert_eq!(highest["rate"], 60.0);
    let loss = |policy: &str| {
        let r = highest["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["policy"] == policy)
            .unwrap();
        let l = &r["loss_fraction"];
        (l["mean"].as_f64().unwrap(), l["ci95"].as_f64().unwrap())
    };
    let (fixed, fixed_ci) = loss("fixed:1");
    for learner in ["threshold:1:queue-ucb+s", "threshold:1:theta-ucb+s"] {
        let (mean, ci) = loss(learner);
        assert!(
            mean + ci < fixed - fixed_ci,
            "{learner}: {mean} +- {ci} vs fixed {fixed} +- {fixed_ci}"
        );
    }
}

/// The JSON report holds every rate and policy with loss, latency percentiles in order, and a
/// time series of the requested length.
#[test]
fn the_report_holds_every_rate_and_policy() {
    let report = succeed_json(splitee().args([
        "simulate",
        "--policy",
        "final-exit",
        "--policy",
        "queue-ucb",
        "--device-ms",
        "2,3,5",
        "--rate",
        "200",
        "--rate",
        "400",
        "--runs",
        "2",
        "--json",
    ]));
    let rates = report["rates"].as_array().unwrap();
    assert_eq!(rates.len(), 2);
    for rate in rates {
        for r in rate["results"].as_array().unwrap() {
            let loss = r["loss_fraction"]["mean"].as_f64().unwrap();
            assert!((0.0..1.0).contains(&loss));
            let p = |k: &str| r[k]["mean"].as_f64().unwrap();
            assert!(p("latency_p50_ms") <= p("latency_p95_ms"));
            assert!(p("latency_p95_ms") <= p("latency_p99_ms"));
            assert_eq!(r["series"].as_array().unwrap().len(), 20);
        }
    }
    // Twice the rate on the final exit (5 ms per sample, 200 per second capacity) loses more.
    let final_loss = |i: usize| {
        rates[i]["results"][0]["loss_fraction"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(final_loss(1) > final_loss(0) + 0.2);
}

/// `--out` draws, besides the figures against the rate, one time series per rate (p95 latency
/// and loss over time, a line per policy), which `splitee plot` redraws from simulate.json.
#[test]
fn each_rate_gets_a_timeline_that_plot_redraws() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    splitee()
        .args([
            "simulate",
            "--policy",
            "final-exit",
            "--policy",
            "queue-ucb",
        ])
        .args(["--device-ms", "2,3,5", "--rate", "150", "--rate", "312.5"])
        .args(["--runs", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    let figures = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png"))
            .collect();
        names.sort();
        names
    };
    let expected = [
        "queue-latency.png",
        "queue-loss.png",
        "queue-timeline-150.png",
        "queue-timeline-312.5.png",
    ];
    assert_eq!(figures(&out), expected);
    let svg = std::fs::read_to_string(out.join("queue-timeline-312.5.svg")).unwrap();
    for text in [
        "p95 latency (ms) over time at 312.5 samples/s (Poisson; buffer B = 10, mean of 2 runs)",
        "loss (fraction) over time",
        "time (s): last arrival of each of 20 windows of arrivals",
        "queue-ucb",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    let redrawn = dir.path().join("redrawn");
    std::fs::create_dir(&redrawn).unwrap();
    std::fs::copy(out.join("simulate.json"), redrawn.join("simulate.json")).unwrap();
    splitee().arg("plot").arg(&redrawn).assert().success();
    assert_eq!(figures(&redrawn), expected);
    assert_eq!(
        std::fs::read(redrawn.join("queue-timeline-150.svg")).unwrap(),
        std::fs::read(out.join("queue-timeline-150.svg")).unwrap()
    );
}

#[test]
fn a_deployment_error_is_one_line_naming_its_setting() {
    let line = fail_with_one_line(splitee().args(["simulate", "--policy", "splitee"]));
    assert!(
        line.ends_with(
            "give arrivals: --rate PER_SECOND, --arrivals trace, or a config's [simulate] section"
        ),
        "{line}"
    );
    let line = fail_with_one_line(splitee().args(["simulate", "--rate", "10", "--buffer", "0"]));
    assert!(
        line.ends_with("splitee simulate: the buffer size B must be at least 1, got 0"),
        "{line}"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("q.toml");
    std::fs::write(
        &config,
        "[run]\nruns = 2\n\n[simulate]\nrates = [10.0]\ndevice_ms = [1.0, 2.0, 3.0]\nuplink_ms = -1.0\n",
    )
    .unwrap();
    let line = fail_with_one_line(splitee().arg("simulate").arg("--config").arg(&config));
    assert!(
        line.ends_with(&format!(
            "{}: line 4: simulate: the uplink latency must be finite and >= 0, got -1",
            config.display()
        )),
        "{line}"
    );
}

/// The arrival rates are the `[simulate]` section's list, not a sweep axis: a sweep of a config
/// with one replays the trace and says where the rates are served.
#[test]
fn a_sweep_says_it_does_not_serve_the_simulate_section() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("q.toml");
    std::fs::write(
        &config,
        "[policy]\nnames = [\"final-exit\"]\n\n[run]\nruns = 1\n\n[simulate]\nrates = [10.0]\n\
         device_ms = [1.0, 2.0, 3.0]\n",
    )
    .unwrap();
    let output = splitee()
        .args(["sweep", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "splitee: note: {}: the [simulate] section is not swept: a sweep replays the trace; \
             `splitee simulate --config` (or `splitee reproduce`) serves its arrival rates",
            config.display()
        )),
        "{stderr}"
    );
}
