//! Training studies: every seed trained and its spread reported, a study without datasets, its
//! options checked, and `splitee reproduce` running one.

use crate::common::write_tiny_study;
use splitee::study::Study;
use splitee::train::NoProgress;
use std::path::Path;

/// A tiny study on synthetic optdigits files in `dir`: a dense and a sparse network, two
/// seeds, and the given `[output]` and further sections.
fn tiny_study(dir: &Path, output: &str) -> std::path::PathBuf {
    write_tiny_study(
        dir,
        &format!(
            r#"lr_schedule = "cosine"
shift = 1
weight_decay = 0.1

[[networks]]
name = "dense"

[[networks]]
name = "sparse"
fanout = [4, 8, 5]
exit_fanout = [5, 5]

{output}"#
        ),
    )
}

#[test]
fn a_study_trains_every_seed_and_reports_the_spread() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_study(
        dir.path(),
        "[output]\ndatasets = \"out\"\nprefix = \"t\"\nreport = \"res\"\n\n[evaluate]\nruns = 2\n",
    );
    let report = Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap();
    assert_eq!(report.seeds, [0, 1]);
    assert_eq!(report.seed_accuracy.len(), 2);
    for (n, s) in report.networks.iter().zip(&report.seed_accuracy) {
        assert_eq!(s.network, n.name);
        assert_eq!(s.exit_accuracy.len(), 2, "{}: one row per seed", n.name);
        // The traced networks are those of the first seed.
        assert_eq!(s.exit_accuracy[0], n.exit_accuracy);
        assert!(n
            .trace
            .as_deref()
            .unwrap()
            .ends_with(&format!("t-{}.csv", n.name)));
    }
    // The synthetic digits are easy: the dense network learns them.
    let dense = report.seed_accuracy[0].final_accuracy();
    assert!(dense.iter().all(|&a| a > 0.8), "{dense:?}");
    let md = std::fs::read_to_string(dir.path().join("res/report.md")).unwrap();
    for text in [
        "Training: 4 epochs, Adam lr 0.01 (cosine schedule), batch 32, weight decay 0.1",
        "shifted by a random whole number of pixels in -1..=1",
        "Every network was also trained with seeds [1]",
        "## Summary",
        "| dense | 1.0000 | 1.00x | 1.00x |",
        "| sparse | 0.3222 | 2.82x |",
        "## Seeds",
        "| network | density (fraction) | seed 0 | seed 1 | mean ± sd |",
    ] {
        assert!(md.contains(text), "report.md lacks {text:?}:\n{md}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("res/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["weight_decay"], 0.1);
    assert_eq!(json["lr_schedule"], "cosine");
    assert_eq!(
        json["seed_accuracy"][1]["exit_accuracy"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The same config gives the same bytes again (traces, profiles and the report).
    let written = || -> Vec<Vec<u8>> {
        [
            "out/t-dense.csv",
            "out/t-sparse.profile.json",
            "res/report.md",
        ]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect()
    };
    let first = written();
    Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap();
    assert_eq!(first, written());
}

#[test]
fn a_study_without_datasets_writes_only_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_study(dir.path(), "[output]\nreport = \"res\"\n");
    let report = Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap();
    assert!(report
        .networks
        .iter()
        .all(|n| n.trace.is_none() && n.profile_path.is_none()));
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["data", "res", "study.toml"]);
    assert!(dir.path().join("res/report.md").is_file());
}

#[test]
fn study_training_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let error = |output: &str, edit: &dyn Fn(String) -> String| {
        let config = tiny_study(dir.path(), output);
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, edit(text)).unwrap();
        Study::from_config(&config).unwrap_err().to_string()
    };
    let report = "[output]\nreport = \"res\"\n";
    let e = error(report, &|t| t.replace("\"cosine\"", "\"linear\""));
    assert!(
        e.contains("model.lr_schedule: unknown schedule \"linear\""),
        "{e}"
    );
    let e = error(report, &|t| {
        t.replace("seeds = [0, 1]", "seeds = [0, 1]\nseed = 3")
    });
    assert!(
        e.ends_with("model: give seed or seeds, not both (the first of seeds gives the traces)"),
        "{e}"
    );
    let e = error(report, &|t| {
        t.replace("seeds = [0, 1]", "seeds = [2, 1, 2]")
    });
    assert!(e.ends_with("model.seeds: seed 2 is listed twice"), "{e}");
    let e = error(report, &|t| t.replace("seeds = [0, 1]", "seeds = []"));
    assert!(e.ends_with("model.seeds: name at least one seed"), "{e}");
    let e = error(report, &|t| {
        t.replace("weight_decay = 0.1", "weight_decay = -1")
    });
    assert!(e.contains("weight_decay: must be finite, >= 0"), "{e}");
    let e = error(&format!("{report}\n[evaluate]\nruns = 2\n"), &|t| t);
    assert!(
        e.contains("output: evaluate and distortion run on written traces"),
        "{e}"
    );
    let e = error("[output]\ndatasets = \"out\"\n", &|t| t);
    assert!(e.contains("output: datasets and prefix go together"), "{e}");
    // A shift that does not fit the 8x8 images is refused before any training.
    let config = tiny_study(dir.path(), report);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("shift = 1", "shift = 8")).unwrap();
    let e = Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("shift: 8 pixels would move a 8x8 training image out of view"),
        "{e}"
    );
    assert!(!dir.path().join("res/report.md").exists());
}

/// `[evaluate]` goes through the run's rules in `from_config`, before any network trains; each
/// refusal names its `evaluate.` key. Absent keys take the study's defaults.
#[test]
fn study_evaluate_settings_are_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let output = "[output]\ndatasets = \"out\"\nprefix = \"t\"\n\n[evaluate]\n";
    let error = |evaluate: &str| {
        let config = tiny_study(dir.path(), &format!("{output}{evaluate}\n"));
        Study::from_config(&config).unwrap_err().to_string()
    };
    let costs = "costs must be finite, >= 0 and at most 1e100";
    for (evaluate, expected) in [
        ("mu = -1.0", format!("evaluate.mu: is -1; {costs}")),
        (
            "per_mac = -1.0",
            format!("evaluate.per_mac: is -1; {costs}"),
        ),
        (
            "cloud_per_mac = inf",
            format!("evaluate.cloud_per_mac: is inf; {costs}"),
        ),
        (
            "alpha = 1.5",
            "evaluate.alpha: alpha must be in (0, 1], got 1.5".to_owned(),
        ),
        (
            "runs = 0",
            "evaluate.runs: runs must be at least 1".to_owned(),
        ),
        (
            "policies = []",
            "evaluate.policies: name at least one policy".to_owned(),
        ),
        (
            "policies = [\"splitee\", \"fixed:4\"]",
            "evaluate.policies: policy `fixed:4`: the trace has only 3 exits".to_owned(),
        ),
    ] {
        let e = error(evaluate);
        assert!(e.ends_with(&expected), "{evaluate}: {e}");
    }
    // The defaults: the study's alpha and policies, the run's mu, runs and seed.
    let study = Study::from_config(&tiny_study(dir.path(), output)).unwrap();
    let eval = study.evaluate.unwrap();
    let run = splitee::settings::RunSettings::default();
    assert_eq!(eval.alpha, splitee::study::STUDY_ALPHA);
    assert_eq!(eval.policies, splitee::study::STUDY_POLICIES);
    assert_eq!(
        (eval.mu, eval.runs, eval.seed),
        (run.cost.mu, run.sim.runs, run.sim.seed)
    );
}

/// The committed studies pass `from_config`'s checks (nothing is read or trained).
#[test]
fn committed_studies_pass_their_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut studies = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if path.extension().is_some_and(|e| e == "toml") && text.contains("[[networks]]") {
            Study::from_config(&path).unwrap_or_else(|e| panic!("{e}"));
            studies += 1;
        }
    }
    assert!(studies >= 2, "studies in {}", dir.display());
}

/// `splitee reproduce` runs training studies too: the report and figures go to
/// `RESULTS/NAME/`, the traces where the config says; `all` skips a study whose data is absent.
#[test]
fn reproduce_runs_a_study_and_all_skips_one_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let experiments = dir.path().join("experiments");
    let config = tiny_study(
        &experiments,
        "[output]\ndatasets = \"out\"\nprefix = \"t\"\n\n[evaluate]\nruns = 2\n",
    );
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        experiments.join("absent.toml"),
        text.replace("path = \"data\"", "path = \"nowhere\""),
    )
    .unwrap();
    let results = dir.path().join("results");
    let out = assert_cmd::Command::cargo_bin("splitee")
        .unwrap()
        .args(["reproduce", "all", "--experiments"])
        .arg(&experiments)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipping absent: data folder") && stderr.contains("nowhere"),
        "{stderr}"
    );
    assert!(stderr.contains("study: wrote "), "{stderr}");
    assert!(!results.join("absent").exists());
    for file in [
        "report.md",
        "report.json",
        "sparsity-accuracy.svg",
        "sparsity-learners.png",
    ] {
        assert!(results.join("study").join(file).is_file(), "{file}");
    }
    // With --results, everything goes under it: the study's traces too, nothing beside the
    // configs.
    assert!(results.join("datasets/t-sparse.profile.json").is_file());
    assert!(results.join("datasets/t-sparse.csv").is_file());
    assert!(!experiments.join("out").exists());
}
