//! Sweeps: thread-count independence, sharding + merge, config errors, exporters.

mod common;

use common::{run_ok, shared_trace, splitee, succeed};
use splitee::config::Overrides;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The files of a sweep's report folder.
const REPORT_FILES: [&str; 5] = [
    "sweep.json",
    "sweep.csv",
    "sweep.md",
    "curves.csv",
    "config.toml",
];

/// A temporary folder with the config of the paper grid on SST-2 (11 offloading costs x 5
/// policies x 20 runs), or `None` with a skip notice when the shared trace is not there.
fn paper_grid() -> Option<(TempDir, PathBuf)> {
    let trace = shared_trace("sst2-bert12.csv")?;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sweep.toml");
    std::fs::write(
        &config,
        format!(
            "[trace]\npaths = [{:?}]\n\
             [policy]\nnames = [\"splitee\", \"splitee-s\", \"final-exit\", \"device-ee\", \"random\"]\n\
             [run]\nruns = 20\n\
             [sweep]\noffload = {{start = 0.1, stop = 0.6, step = 0.05}}\n",
            trace.display().to_string()
        ),
    )
    .unwrap();
    Some((dir, config))
}

fn sweep(config: &Path, threads: &str, extra: &[&str]) -> String {
    succeed(
        splitee()
            .env("RAYON_NUM_THREADS", threads)
            .args(["sweep", "--json", "--config"])
            .arg(config)
            .args(extra),
    )
}

#[test]
fn sweep_json_is_identical_with_one_and_two_threads() {
    // The folder lives as long as the config in it is read.
    let Some((_dir, config)) = paper_grid() else {
        return;
    };
    let one = sweep(&config, "1", &[]);
    let two = sweep(&config, "2", &[]);
    assert_eq!(one, two);
    let report: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(report["grid_size"], 11);
    assert_eq!(report["points"].as_array().unwrap().len(), 11);
    assert_eq!(report["points"][10]["point"]["offload"], 0.6);
    assert_eq!(report["points"][0]["results"].as_array().unwrap().len(), 5);
}

#[test]
fn three_shards_merged_equal_the_unsharded_sweep() {
    let Some((dir, config)) = paper_grid() else {
        return;
    };
    let whole = dir.path().join("whole");
    sweep(&config, "2", &["--out", whole.to_str().unwrap()]);
    let points = dir.path().join("points");
    for i in 0..3 {
        let shard = format!("{i}/3");
        sweep(
            &config,
            "2",
            &["--shard", &shard, "--out", points.to_str().unwrap()],
        );
    }
    let merged = dir.path().join("merged");
    let mut merge = splitee();
    merge.arg("merge").arg("--out").arg(&merged);
    for i in (0..11).rev() {
        merge.arg(points.join(format!("point-{i}.json")));
    }
    merge.assert().success();
    for file in REPORT_FILES {
        assert_eq!(
            std::fs::read(merged.join(file)).unwrap(),
            std::fs::read(whole.join(file)).unwrap(),
            "{file}"
        );
    }
    // Missing points are named, as the --points that runs them.
    let mut partial = splitee();
    partial
        .arg("merge")
        .arg("--out")
        .arg(dir.path().join("partial"));
    for i in [0, 2, 3, 5, 6, 8, 9] {
        partial.arg(points.join(format!("point-{i}.json")));
    }
    let out = partial.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "splitee: cannot merge: 4 of the grid's 11 points are missing: 1,4,7,10 (run them with \
         `splitee sweep --points 1,4,7,10`)"
    );
}

/// Shards made with different settings are refused, naming the first difference, instead of
/// being merged into a report that claims the first shard's settings.
#[test]
fn shards_made_with_different_settings_are_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    run_ok(
        splitee()
            .args([
                "synth",
                "--samples",
                "200",
                "--exits",
                "4",
                "--seed",
                "3",
                "--out",
            ])
            .arg(&trace),
    );
    let write_config = |name: &str, extra: &str| {
        let config = dir.path().join(name);
        std::fs::write(
            &config,
            format!(
                "[trace]\npaths = [{:?}]\n[policy]\nnames = [\"splitee\", \"random\"]\n\
                 [run]\nruns = 2\n[sweep]\noffload = [0.3, 0.5]\n{extra}",
                trace.display().to_string()
            ),
        )
        .unwrap();
        config
    };
    let config = write_config("s.toml", "");
    let shard = |i: usize, config: &Path, extra: &[&str]| {
        let stem = config.file_stem().unwrap().to_string_lossy();
        let out = dir.path().join(format!("{stem}-{i}-{}", extra.join("")));
        run_ok(
            splitee()
                .args(["sweep", "--config"])
                .arg(config)
                .args(["--shard", &format!("{i}/2"), "--out"])
                .arg(&out)
                .args(extra),
        );
        out.join(format!("point-{i}.json"))
    };
    let first = shard(0, &config, &[]);
    let merge = |second: &Path| {
        splitee()
            .arg("merge")
            .arg("--out")
            .arg(dir.path().join("merged"))
            .arg(&first)
            .arg(second)
            .output()
            .unwrap()
    };
    assert!(merge(&shard(1, &config, &[])).status.success());
    // The same point twice is refused, naming both files.
    let out = merge(&first);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "splitee: cannot merge: point 0 is in both {0} and {0}",
            first.display()
        )
    );
    let other_config = write_config("other.toml", "# another config\n");
    for (second, setting) in [
        (shard(1, &config, &["--seed", "9"]), "--seed"),
        (shard(1, &config, &["--runs", "3"]), "--runs"),
        (shard(1, &other_config, &[]), "config files"),
    ] {
        let out = merge(&second);
        assert_eq!(out.status.code(), Some(2), "{setting}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            format!(
                "splitee: cannot merge: {} and {} were made with different {setting}",
                first.display(),
                second.display()
            )
        );
    }
}

#[test]
fn sweep_axis_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[run]\nruns = 1\n[sweep]\nalpha = [0.5, 1.5]\noffload = {start = 0.5, stop = 0.1, step = 0.1}\n",
    )
    .unwrap();
    let out = splitee()
        .args(["sweep", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        format!(
            "splitee: {}: line 4: sweep.alpha: alpha must be in (0, 1], got 1.5",
            config.display()
        )
    );
}

/// A swept value goes through the rule of the value it replaces, with that rule's message.
#[test]
fn every_axis_value_follows_the_rule_of_the_value_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    let refusal = |text: &str| {
        std::fs::write(&config, text).unwrap();
        splitee::sweep::SweepSettings::resolve(&config, Overrides::default())
            .unwrap_err()
            .to_string()
    };
    let error = |sweep: &str| refusal(&format!("[run]\nruns = 1\n[sweep]\n{sweep}\n"));
    let at = |key: &str, message: &str| format!("{}: line 4: {key}: {message}", config.display());
    let costs = "costs must be finite, >= 0 and at most 1e100";
    for (sweep, key, message) in [
        (
            "alpha = [0.5, 0.0]",
            "sweep.alpha",
            "alpha must be in (0, 1], got 0".to_owned(),
        ),
        ("mu = [1.0, -1.0]", "sweep.mu", format!("is -1; {costs}")),
        (
            "lambda = [0.1, inf]",
            "sweep.lambda",
            format!("is inf; {costs}"),
        ),
        (
            "lambda = [0.1, 1e308]",
            "sweep.lambda",
            format!("is 1e308; {costs}"),
        ),
        (
            "offload = [nan]",
            "sweep.offload",
            format!("is NaN; {costs}"),
        ),
        (
            "ucb_c = [1.0, -0.5]",
            "sweep.ucb_c",
            "the UCB constant must be finite, >= 0 and at most 1e100, got -0.5".to_owned(),
        ),
    ] {
        assert_eq!(error(sweep), at(key, &message), "{sweep}");
    }
    let message =
        refusal("[cost]\nmodel = \"table\"\ntable = [0.1, 0.2]\n[sweep]\nlambda = [0.1]\n");
    assert_eq!(
        message,
        at(
            "sweep.lambda",
            "sweeping lambda needs the linear cost model"
        )
        .replace("line 4", "line 5")
    );
    // The profile model derives off(k) from its bytes and MACs: a swept o would be ignored.
    let profile =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sparsity-mnist-d25.profile.json");
    let message = refusal(&format!(
        "[cost]\nmodel = \"profile\"\nprofile = {:?}\nper_mac = 1e-5\nper_byte = 1e-3\n\
         [sweep]\noffload = [0.1, 0.2]\n",
        profile.display().to_string()
    ));
    assert_eq!(
        message,
        at(
            "sweep.offload",
            "sweeping o has no effect under the profile cost model, which derives off(k) from \
             the profile's bytes and MACs"
        )
        .replace("line 4", "line 7")
    );
}

#[test]
fn csv_exports_one_row_per_point_and_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("s.toml");
    std::fs::write(
        &config,
        "[policy]\nnames = [\"splitee\", \"final-exit\"]\n[run]\nruns = 2\n\
         [sweep]\noffload = [0.2, 0.4]\nalpha = [0.6, 0.8]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    sweep(&config, "2", &["--out", out.to_str().unwrap()]);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 2 * 2);
    assert!(
        lines[0].starts_with("trace,alpha,lambda,mu,ucb_c,offload,costs,policy,runs,accuracy_mean")
    );
    // Offload varies fastest, then alpha; each row names its cost model and numbers.
    assert!(
        lines[1].contains(",0.6,0.1,1,1,0.2,\"linear: lambda 0.1, o 0.2, mu 1\",splitee,2,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[8].contains(",0.8,0.1,1,1,0.4,\"linear: lambda 0.1, o 0.4, mu 1\",final-exit,2,"),
        "{}",
        lines[8]
    );
    let curves = std::fs::read_to_string(out.join("curves.csv")).unwrap();
    assert_eq!(curves.lines().count(), 1 + 8 * 200);
}

#[test]
fn reproduce_writes_reports_and_figures_and_all_names_what_it_skips() {
    let Some(trace) = shared_trace("sst2-bert12.csv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let experiments = dir.path().join("experiments");
    std::fs::create_dir(&experiments).unwrap();
    std::fs::write(
        experiments.join("small.toml"),
        format!(
            "[trace]\npaths = [{:?}]\n[policy]\nnames = [\"splitee\", \"final-exit\"]\n\
             [run]\nruns = 2\n[sweep]\noffload = [0.2, 0.5]\n",
            trace.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        experiments.join("absent.toml"),
        "[trace]\npaths = [\"nowhere.npz\"]\n[sweep]\noffload = 0.5\n",
    )
    .unwrap();
    // A config without [sweep] is not an experiment.
    std::fs::write(experiments.join("plain.toml"), "[run]\nruns = 1\n").unwrap();
    let results = dir.path().join("results");
    let out = run_ok(
        splitee()
            .args(["reproduce", "all", "--experiments"])
            .arg(&experiments)
            .arg("--results")
            .arg(&results),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipping absent: trace "), "{stderr}");
    assert!(stderr.contains("small: wrote "), "{stderr}");
    assert!(!results.join("absent").exists());
    let small = results.join("small");
    for file in REPORT_FILES {
        assert!(small.join(file).is_file(), "{file}");
    }
    for figure in [
        "accuracy-vs-offload",
        "cost-vs-offload",
        "regret",
        "arm-timeline",
        "pareto",
    ] {
        for ext in ["png", "svg"] {
            assert!(
                small.join(format!("{figure}.{ext}")).is_file(),
                "{figure}.{ext}"
            );
        }
    }
    // Naming a missing experiment lists the available ones.
    let out = splitee()
        .args(["reproduce", "nope", "--experiments"])
        .arg(&experiments)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(available: absent, small, all)"));
}

/// Two concatenated traces with different best arms: regret against the best arm of each
/// segment, in a given-order replay (hand-computed, see the comments).
#[test]
fn concatenated_traces_report_regret_against_each_segments_best_arm() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, conf_1: f64| {
        let path = dir.path().join(name);
        let rows: String = (0..10).map(|_| format!("1,{conf_1},1,0.9,1\n")).collect();
        std::fs::write(&path, format!("label,conf_1,pred_1,conf_2,pred_2\n{rows}")).unwrap();
        path
    };
    // alpha 0.7, lambda 0.1, o 0.5. Segment a: arm 1 exits (0.9 - 0.1 = 0.8), arm 2 earns
    // 0.9 - 0.2 = 0.7. Segment b: arm 1 offloads (0.9 - 0.5 - 0.1 = 0.3), arm 2 earns 0.7.
    // Totals: arm 1 = 11, arm 2 = 14 (the global best), segment bests = 8 + 7 = 15.
    let (a, b) = (write("a.csv", 0.9), write("b.csv", 0.5));
    let output = |order: &str, format: &[&str]| -> String {
        succeed(
            splitee()
                .args(["run", "--runs", "1", "--order", order])
                .args(format)
                .args(["--alpha", "0.7", "--lambda", "0.1", "--offload-cost", "0.5"])
                .args(["--policy", "fixed:1", "--policy", "fixed:2", "--trace"])
                .arg(&a)
                .arg("--trace")
                .arg(&b),
        )
    };
    let run = |order: &str| -> serde_json::Value {
        serde_json::from_str(&output(order, &["--json"])).unwrap()
    };
    let given = run("given");
    let metric = |r: &serde_json::Value, key: &str| r[key]["mean"].as_f64().unwrap();
    let (fixed_1, fixed_2) = (&given["results"][0], &given["results"][1]);
    assert!((metric(fixed_1, "cumulative_regret") - 3.0).abs() < 1e-9);
    assert!((metric(fixed_1, "segment_regret") - 4.0).abs() < 1e-9);
    assert!(metric(fixed_2, "cumulative_regret").abs() < 1e-9);
    assert!((metric(fixed_2, "segment_regret") - 1.0).abs() < 1e-9);
    // Shuffled, segments mean nothing and are not reported.
    assert!(run("shuffle")["results"][0].get("segment_regret").is_none());
    // The table shows the segment regret after the regret, only when it is reported.
    let table = output("given", &[]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(3)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        rows[0].ends_with(&["regret", "segment", "regret", "learned", "arm"]),
        "{table}"
    );
    assert!(rows[1].ends_with(&["3.0", "4.0", "1"]), "{table}");
    assert!(rows[2].ends_with(&["0.0", "1.0", "2"]), "{table}");
    assert!(!output("shuffle", &[]).contains("segment"));
}

/// A sweep replays a synthetic stream given as `sweep.synthetic` (the flags of `splitee synth`),
/// its phases as segments: `sweep.md` and `sweep.csv` then report the segment regret, the one
/// `sweep.json` holds. Trace files beside it are refused in one line naming the key.
#[test]
fn a_synthetic_drift_stream_reports_segment_regret() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("drift.toml");
    let synthetic = "synthetic = {samples = 2000, exits = 4, seed = 9, drift = \"switch\"}";
    std::fs::write(
        &config,
        format!(
            "[policy]\nnames = [\"fixed:1\", \"fixed:2\", \"m-ucb:100\"]\n\
             [run]\nruns = 1\norder = \"given\"\n[sweep]\n{synthetic}\noffload = [0.6]\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    succeed(
        splitee()
            .args(["sweep", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(&out),
    );
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    assert!(
        md.starts_with(
            "### `synth --samples 2000 --exits 4 --classes 2 --seed 9 --drift switch \
             --segments 2 --shift 0.5`"
        ),
        "{md}"
    );
    assert!(
        md.contains("| regret | segment regret | learned arm |"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let results = json["points"][0]["results"].as_array().unwrap();
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .ends_with(",segment_regret_mean,segment_regret_ci95"));
    for (line, result) in lines.zip(results) {
        let cells: Vec<&str> = line.split(',').collect();
        let segment: f64 = cells[cells.len() - 2].parse().unwrap();
        assert_eq!(segment, result["segment_regret"]["mean"].as_f64().unwrap());
        // Each phase's best arm earns at least the whole stream's best arm on its phase.
        let regret = result["cumulative_regret"]["mean"].as_f64().unwrap();
        assert!(segment >= regret - 1e-9, "{line}");
    }
    assert_eq!(results.len(), 3);

    std::fs::write(
        &config,
        format!("[trace]\npaths = [\"t.csv\"]\n[sweep]\n{synthetic}\n"),
    )
    .unwrap();
    let out = splitee()
        .args(["sweep", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "splitee: {}: line 4: sweep.synthetic: a synthetic stream replaces the trace files: \
             drop trace.paths and sweep.traces (or sweep.synthetic)",
            config.display()
        )
    );
}
