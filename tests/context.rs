//! Context-conditioned learning: the `context` column in every trace format, `splitee mix`, and
//! the acceptance test on the committed mixed-distortion MNIST trace (per-context learners learn
//! a split or threshold per distortion and beat one learner for all contexts).

use assert_cmd::Command;
use ndarray::{Array1, Array2};
use ndarray_npy::NpzWriter;
use splitee::config::RunSettings;
use splitee::cost::CostModel;
use splitee::policy::PolicySpec;
use splitee::run::run_on;
use splitee::sim::SimOptions;
use splitee::summary::PolicyResult;
use splitee::trace::{self, write_csv, write_jsonl, Sample};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn sample(s: u32, context: &str) -> Sample {
    Sample {
        conf: vec![0.25 * f64::from(s % 4), 1.0],
        pred: vec![s % 3, 1],
        label: Some(s % 2),
        cost: None,
        context: Some(context.to_string()),
        arrival: None,
    }
}

/// Contexts as labels, one with a comma and one with a quote (CSV quotes them).
fn samples() -> Vec<Sample> {
    ["clean", "noise 0.4", "clean", "a,b", "say \"hi\"", "7"]
        .iter()
        .enumerate()
        .map(|(s, c)| sample(s as u32, c))
        .collect()
}

fn write(dir: &TempDir, name: &str, samples: Vec<Sample>) -> PathBuf {
    let path = dir.path().join(name);
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

#[test]
fn contexts_round_trip_through_csv_and_json_lines() {
    let dir = TempDir::new().unwrap();
    for name in ["t.csv", "t.jsonl"] {
        let path = write(&dir, name, samples());
        assert_eq!(read_back(&path), samples(), "{name}");
        // Streamed as well as loaded.
        let streamed: Vec<Sample> = trace::open_stream(&path)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(streamed, samples(), "{name}");
        let trace = trace::load(&path).unwrap();
        let contexts = trace.contexts().unwrap();
        assert_eq!(
            contexts.names(),
            ["clean", "noise 0.4", "a,b", "say \"hi\"", "7"]
        );
        assert_eq!((contexts.index(2), contexts.index(5)), (0, 4));
    }
    // A JSON number is a context too, read as its digits.
    let (_dir, path) = text(
        "t.jsonl",
        "{\"conf\":[0.5],\"pred\":[1],\"context\":3}\n{\"conf\":[0.5],\"pred\":[1],\"context\":\"3\"}\n",
    );
    let trace = trace::load(&path).unwrap();
    assert_eq!(trace.contexts().unwrap().names(), ["3"]);
}

#[test]
fn contexts_round_trip_through_npz_as_strings_or_integers() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("t.npz");
    let mut npz = NpzWriter::new(std::fs::File::create(&path).unwrap());
    npz.add_array("conf", &Array2::from_elem((3, 2), 0.5))
        .unwrap();
    npz.add_array("pred", &Array2::<i64>::zeros((3, 2)))
        .unwrap();
    npz.add_array("context", &Array1::from(vec![2i64, 0, 2]))
        .unwrap();
    npz.finish().unwrap();
    let trace = trace::load(&path).unwrap();
    assert_eq!(trace.contexts().unwrap().names(), ["2", "0"]);
    assert_eq!(trace.context(2), Some("2"));

    // NumPy's `<U5` strings: UTF-32, NUL-padded, as `np.savez(..., context=np.array([...]))`.
    let archive = npz_with_strings(dir.path(), &["clean", "noisy", "clean"]);
    let trace = trace::load(&archive).unwrap();
    assert_eq!(trace.contexts().unwrap().names(), ["clean", "noisy"]);
    assert_eq!(trace.context(1), Some("noisy"));
}

/// An `.npz` of 3 samples whose `context` array is NumPy unicode (`<U5`).
fn npz_with_strings(dir: &Path, contexts: &[&str; 3]) -> PathBuf {
    use std::io::Write;
    let path = dir.join("strings.npz");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let npy = |descr: &str, shape: &str, data: &[u8]| {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        let mut header = dict.into_bytes();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header);
        out.extend(data);
        out
    };
    let conf: Vec<u8> = (0..6).flat_map(|_| 0.5f64.to_le_bytes()).collect();
    let pred: Vec<u8> = (0..6).flat_map(|_| 1i64.to_le_bytes()).collect();
    let text: Vec<u8> = contexts
        .iter()
        .flat_map(|c| {
            let mut chars: Vec<u32> = c.chars().map(u32::from).collect();
            chars.resize(5, 0);
            chars.into_iter().flat_map(u32::to_le_bytes)
        })
        .collect();
    for (name, bytes) in [
        ("conf.npy", npy("<f8", "(3, 2)", &conf)),
        ("pred.npy", npy("<i8", "(3, 2)", &pred)),
        ("context.npy", npy("<U5", "(3,)", &text)),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

fn text(name: &str, contents: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

#[test]
fn a_context_on_some_rows_only_is_refused_naming_the_line() {
    let (_dir, path) = text("t.csv", "conf_1,pred_1,context\n0.5,1,clean\n0.5,1,\n");
    assert_eq!(
        trace::load(&path).unwrap_err().to_string(),
        format!(
            "{}: line 3: column context: is empty (a trace has a context on every row or none)",
            path.display()
        )
    );
    let (_dir, path) = text(
        "t.jsonl",
        "{\"conf\":[0.5],\"pred\":[1]}\n{\"conf\":[0.5],\"pred\":[1],\"context\":\"clean\"}\n",
    );
    assert_eq!(
        trace::load(&path).unwrap_err().to_string(),
        format!(
            "{}: line 2: column context: is given but earlier rows have none (a trace has a \
             context on every row or none)",
            path.display()
        )
    );
    let (_dir, path) = text(
        "t.jsonl",
        "{\"conf\":[0.5],\"pred\":[1],\"context\":\"clean\"}\n{\"conf\":[0.5],\"pred\":[1]}\n",
    );
    assert!(trace::load(&path)
        .unwrap_err()
        .to_string()
        .ends_with("line 2: column context: is missing but earlier rows have one (a trace has a context on every row or none)"));
}

fn splitee() -> Command {
    Command::cargo_bin("splitee").unwrap()
}

#[test]
fn mix_labels_every_sample_with_its_trace_and_shuffles_by_seed() {
    let dir = TempDir::new().unwrap();
    let plain = |s: &Sample| Sample {
        context: None,
        ..s.clone()
    };
    let a = write(&dir, "a.csv", samples()[..4].iter().map(plain).collect());
    let b = write(&dir, "b.csv", samples()[4..].iter().map(plain).collect());
    let out = dir.path().join("mixed.csv");
    let mix = |seed: &str, out: &Path| {
        splitee()
            .args(["mix", "--seed", seed, "--out"])
            .arg(out)
            .arg("--context")
            .arg(format!("clean={}", a.display()))
            .arg("--context")
            .arg(format!("noise0.4={}", b.display()))
            .assert()
            .success();
        read_back(out)
    };
    let mixed = mix("3", &out);
    assert_eq!(mixed.len(), 6);
    let mut from_a: Vec<Sample> = mixed
        .iter()
        .filter(|s| s.context.as_deref() == Some("clean"))
        .map(plain)
        .collect();
    from_a.sort_by(|x, y| {
        x.pred[0]
            .cmp(&y.pred[0])
            .then(x.conf[0].total_cmp(&y.conf[0]))
    });
    let mut expected: Vec<Sample> = samples()[..4].iter().map(plain).collect();
    expected.sort_by(|x, y| {
        x.pred[0]
            .cmp(&y.pred[0])
            .then(x.conf[0].total_cmp(&y.conf[0]))
    });
    assert_eq!(from_a, expected);
    assert_eq!(
        mixed
            .iter()
            .filter(|s| s.context.as_deref() == Some("noise0.4"))
            .count(),
        2
    );
    assert_eq!(mix("3", &dir.path().join("again.csv")), mixed);
    let bad = splitee()
        .args(["mix", "--context", "clean", "--out"])
        .arg(&out)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&bad.get_output().stderr).to_string();
    assert!(stderr.contains("`clean`: write LABEL=FILE"), "{stderr}");
}

/// The mixed-distortion trace committed to `datasets/`.
fn mixed_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sparsity-mnist-dense-mixed.csv")
}

/// The setting of `experiments/context-mnist.toml`.
fn context_settings(names: &[&str]) -> RunSettings {
    RunSettings {
        policies: names
            .iter()
            .map(|n| n.parse::<PolicySpec>().unwrap())
            .collect(),
        alpha: 0.9,
        cost: CostModel::linear(0.05, 0.2),
        sim: SimOptions {
            runs: 20,
            seed: 0,
            ..SimOptions::default()
        },
        ..RunSettings::default()
    }
}

/// Each context's label and the arm its learner settled on.
fn arms_per_context(result: &PolicyResult) -> Vec<(String, String)> {
    result
        .contexts
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| (c.context.clone(), c.learned_label()))
        .collect()
}

/// On the mixed trace, one split (or threshold) cannot suit every distortion: per-context
/// learners settle on exit 1 (threshold 0.9 or 0.95) for clean, noise0.2 and blur1 images and
/// on the final exit (exit 1 at threshold 0.5) for noise0.4 and noise0.6, and earn more reward per sample than
/// the same learner run once for all contexts, by more than both intervals.
#[test]
fn per_context_learners_learn_each_distortions_arm_and_beat_one_learner_for_all() {
    let trace = trace::load(&mixed_trace()).unwrap();
    let names = trace.contexts().unwrap().names().to_vec();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["blur1", "clean", "noise0.2", "noise0.4", "noise0.6"]
    );
    let pairs = [
        ("splitee", "per-context:splitee", [&["1"][..], &["3"]]),
        ("splitee-s", "per-context:splitee-s", [&["1"], &["3"]]),
        (
            "threshold:1:splitee-s",
            "per-context:threshold:1:splitee-s",
            // Clean images reach 0.9 and 0.95 about equally.
            [&["1@0.9", "1@0.95"], &["1@0.5"]],
        ),
    ];
    let all: Vec<&str> = pairs.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    let output = run_on(&trace, vec![], &context_settings(&all), &|_| {}).unwrap();
    let result = |name: &str| {
        output
            .report
            .results
            .iter()
            .find(|r| r.policy == name)
            .unwrap()
    };
    for (pooled, per_context, [light, heavy]) in pairs {
        let learned = arms_per_context(result(per_context));
        for (context, arm) in &learned {
            let expected = if context == "noise0.4" || context == "noise0.6" {
                heavy
            } else {
                light
            };
            assert!(
                expected.contains(&arm.as_str()),
                "{per_context}: {context} settled on {arm}: {learned:?}"
            );
        }
        let pooled_arms = arms_per_context(result(pooled));
        assert!(
            pooled_arms.iter().all(|(_, arm)| *arm == pooled_arms[0].1),
            "{pooled} plays one arm for all contexts: {pooled_arms:?}"
        );
        let (p, c) = (
            result(pooled).reward_per_sample,
            result(per_context).reward_per_sample,
        );
        let gap = c.mean - p.mean;
        assert!(
            gap > p.ci95.unwrap() + c.ci95.unwrap(),
            "{per_context} {c:?} against {pooled} {p:?}"
        );
    }
}

/// What a failing `splitee` command writes to standard error.
fn stderr_of_failure(cmd: &mut Command) -> String {
    let out = cmd.assert().failure();
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

/// The one-line error of a failing `splitee` command.
fn refusal(cmd: &mut Command) -> String {
    let stderr = stderr_of_failure(cmd);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr.trim_end().to_owned()
}

/// A per-context policy on a trace without a context column would decide every sample with one
/// learner (the policy without `per-context:`): `run`, `sweep`, `evaluate` and `stream` refuse
/// it, naming the policy and the trace (the stream: its first line).
#[test]
fn per_context_policies_refuse_traces_without_contexts() {
    let dir = TempDir::new().unwrap();
    let plain: Vec<Sample> = samples()
        .into_iter()
        .map(|s| Sample { context: None, ..s })
        .collect();
    let trace = write(&dir, "plain.csv", plain.clone());
    let expected = |policy: &str| {
        format!(
            "splitee: policy `{policy}` needs a trace with a context column; {} has none",
            trace.display()
        )
    };
    assert_eq!(
        refusal(
            splitee()
                .args([
                    "run",
                    "--policy",
                    "splitee",
                    "--policy",
                    "per-context:splitee-s"
                ])
                .arg("--trace")
                .arg(&trace)
        ),
        expected("per-context:splitee-s")
    );

    let config = dir.path().join("sweep.toml");
    std::fs::write(
        &config,
        format!(
            "[trace]\npaths = [{:?}]\n[policy]\nnames = [\"per-context-shared:kl-ucb\"]\n\
             [sweep]\noffload = [0.2, 0.3]\n",
            trace.display().to_string()
        ),
    )
    .unwrap();
    assert_eq!(
        refusal(splitee().args(["sweep", "--config"]).arg(&config)),
        expected("per-context-shared:kl-ucb")
    );

    let log = dir.path().join("random.jsonl");
    splitee()
        .args(["run", "--policy", "random", "--runs", "2", "--trace"])
        .arg(&trace)
        .arg("--decisions")
        .arg(&log)
        .assert()
        .success();
    assert_eq!(
        refusal(
            splitee()
                .args(["evaluate", "--policy", "fixed:1"])
                .args(["--policy", "per-context:splitee"])
                .arg("--log")
                .arg(&log)
                .arg("--trace")
                .arg(&trace)
        ),
        expected("per-context:splitee")
    );

    // A stream's lines have a context key on every line or on none: the first is refused,
    // whatever --on-error says (no later line would be decided).
    let lines = std::fs::read_to_string(write(&dir, "plain.jsonl", plain)).unwrap();
    for on_error in ["stop", "skip"] {
        // The stream's summary comes first, the error last.
        let stderr = stderr_of_failure(
            splitee()
                .args(["stream", "--policy", "per-context:splitee-s", "--on-error"])
                .arg(on_error)
                .write_stdin(lines.clone()),
        );
        assert!(stderr.contains("0 samples"), "{stderr}");
        assert_eq!(
            stderr.lines().last().unwrap(),
            "splitee: <stdin>: line 1: policy `per-context:splitee-s` needs every \
             sample's context, and this one has none"
        );
    }
    // The same stream with contexts is decided, each decision recording its sample's context,
    // as `run --decisions` records them.
    let with_contexts = std::fs::read_to_string(write(&dir, "ctx.jsonl", samples())).unwrap();
    let out = splitee()
        .args(["stream", "--policy", "per-context:splitee-s"])
        .write_stdin(with_contexts)
        .assert()
        .success();
    let decided: Vec<serde_json::Value> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let contexts: Vec<&str> = decided
        .iter()
        .map(|d| d["context"].as_str().unwrap())
        .collect();
    assert_eq!(
        contexts,
        ["clean", "noise 0.4", "clean", "a,b", "say \"hi\"", "7"]
    );
}

/// The settings of `experiments/context-mnist.toml` at o = 0.2, as a trace's reward model.
fn context_model(trace: &trace::Trace) -> splitee::reward::RewardModel {
    splitee::summary::reward_model(trace, &context_settings(&[])).unwrap()
}

/// A policy's on-policy reward per sample: the mean over 20 shuffled runs.
fn on_policy_value(trace: &trace::Trace, name: &str) -> f64 {
    let settings = context_settings(&[name]);
    let output = run_on(trace, vec![], &settings, &|_| {}).unwrap();
    output.report.results[0].reward_per_sample.mean
}

/// Off-policy evaluation on the mixed trace: a log of `random` (3 shuffled runs, so a learning
/// target accepts about one run's worth of decisions) records each sample's context, and the
/// IPS, SNIPS and DR intervals of `per-context:splitee-s` (told each logged sample's context)
/// and of the fixed arms 1 and 3 cover their on-policy values for each of 3 seeds. The
/// per-context learner earns more than one learner for all contexts, and its estimate shows it:
/// its SNIPS and DR intervals lie above the pooled learner's on-policy value.
#[test]
fn evaluate_sees_each_logged_samples_context() {
    use splitee::ope::{evaluate, DecisionLog};
    use splitee::sim::simulate_logged;
    let trace = trace::load(&mixed_trace()).unwrap();
    let model = context_model(&trace);
    let targets = ["per-context:splitee-s", "fixed:1", "fixed:3"];
    let truths: Vec<f64> = targets
        .iter()
        .map(|name| on_policy_value(&trace, name))
        .collect();
    let pooled = on_policy_value(&trace, "splitee-s");
    eprintln!("on-policy values {targets:?}: {truths:?}; splitee-s {pooled}");
    assert!(truths[0] > pooled + 0.005, "{truths:?} against {pooled}");
    let specs: Vec<PolicySpec> = targets.iter().map(|n| n.parse().unwrap()).collect();
    for seed in 1..4 {
        let opts = SimOptions {
            runs: 3,
            seed,
            ..SimOptions::default()
        };
        let mut out = Vec::new();
        simulate_logged(
            &trace,
            &model,
            &[PolicySpec::RANDOM],
            &opts,
            &|_| {},
            &mut out,
        )
        .unwrap();
        // Every record names its sample's context.
        for line in out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .take(50)
        {
            let d: serde_json::Value = serde_json::from_slice(line).unwrap();
            let sample = d["sample"].as_u64().unwrap() as usize;
            assert_eq!(d["context"].as_str(), trace.context(sample));
        }
        let log = DecisionLog::parse(Path::new("random.jsonl"), out.as_slice()).unwrap();
        let report = evaluate(&log, &trace, &model, &specs, &opts).unwrap();
        if seed == 1 {
            // A log whose context is not the trace's sample's was written on another trace.
            let mut other = log.clone();
            other.decisions[1].context = Some("clean-ish".into());
            let sample = other.decisions[1].sample;
            let error = evaluate(&other, &trace, &model, &specs, &opts)
                .unwrap_err()
                .to_string();
            assert_eq!(
                error,
                format!(
                    "random.jsonl: line 2: context: `clean-ish`, but sample {sample} of the \
                     trace is `{}`: evaluate with the trace the log was written on",
                    trace.context(sample).unwrap()
                )
            );
        }
        for (e, truth) in report.evaluations.iter().zip(&truths) {
            let r = e.reward;
            let snips = r.snips.unwrap();
            for (estimator, interval) in [("IPS", r.ips), ("SNIPS", snips), ("DR", r.dr)] {
                eprintln!(
                    "seed {seed}: {estimator} of {} is {:.4} ± {:.4} (accepted {}), on-policy \
                     {truth:.4}",
                    e.policy,
                    interval.value,
                    interval.ci95.unwrap(),
                    e.accepted
                );
                assert!(
                    interval.covers(*truth),
                    "seed {seed}: {estimator} of {}: {interval:?} against {truth}",
                    e.policy
                );
                // IPS, unnormalised, is too wide to tell the two apart.
                if e.policy == specs[0] && estimator != "IPS" {
                    assert!(
                        interval.value - interval.ci95.unwrap() > pooled,
                        "seed {seed}: {estimator}: {interval:?} against splitee-s {pooled}"
                    );
                }
            }
        }
    }
}

/// A sweep on a trace with a context column reports each context's reward per sample,
/// accuracy, cost per sample and arm: in `sweep.json` (`contexts`), and as a group of columns
/// per context in `sweep.csv` and `sweep.md`. The final exit answers every sample with its
/// prediction 1 at the final exit's cost: its accuracy per context is the share of the
/// context's labels that are 1, and its cost the same in every context.
#[test]
fn sweep_reports_have_per_context_columns() {
    let dir = TempDir::new().unwrap();
    // Four times the samples, in the given order, so that every context has samples in the
    // second half of the stream (where the arm settled on is counted).
    let repeated: Vec<Sample> = samples().into_iter().cycle().take(24).collect();
    let trace = write(&dir, "t.csv", repeated);
    let config = dir.path().join("sweep.toml");
    std::fs::write(
        &config,
        format!(
            "[trace]\npaths = [{:?}]\n[policy]\nnames = [\"final-exit\", \
             \"per-context:splitee\"]\n[run]\nruns = 2\norder = \"given\"\n\
             [sweep]\noffload = [0.2, 0.3]\n",
            trace.display().to_string()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    splitee()
        .args(["sweep", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let names = ["clean", "noise 0.4", "a,b", "say \"hi\"", "7"];
    // Labels s % 2 of samples 0..6, by context: clean 0 and 0, then 1, 1, 0, 1.
    let final_exit_accuracy = [0.0, 1.0, 1.0, 0.0, 1.0];

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let final_exit = &json["points"][0]["results"][0];
    assert_eq!(final_exit["policy"], "final-exit");
    let contexts = final_exit["contexts"].as_array().unwrap();
    let cost = final_exit["cost_per_sample"]["mean"].as_f64().unwrap();
    for ((c, name), accuracy) in contexts.iter().zip(names).zip(final_exit_accuracy) {
        assert_eq!(c["context"], name);
        assert_eq!(c["accuracy"]["mean"].as_f64(), Some(accuracy), "{name}");
        let context_cost = c["cost_per_sample"]["mean"].as_f64().unwrap();
        assert!(
            (context_cost - cost).abs() < 1e-12,
            "{name}: {context_cost} {cost}"
        );
        assert_eq!(c["learned_arm"], 2);
    }

    let mut csv = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    let first_context = header
        .iter()
        .position(|h| h == "clean:reward_per_sample_mean")
        .unwrap();
    assert_eq!(
        header[first_context..first_context + 7],
        [
            "clean:reward_per_sample_mean",
            "clean:reward_per_sample_ci95",
            "clean:accuracy_mean",
            "clean:accuracy_ci95",
            "clean:cost_per_sample_mean",
            "clean:cost_per_sample_ci95",
            "clean:learned_arm"
        ]
    );
    assert_eq!(header.len(), first_context + 5 * 7);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    let cell = |row: &csv::StringRecord, column: &str| {
        row[header.iter().position(|h| h == column).unwrap()].to_owned()
    };
    for (name, accuracy) in names.iter().zip(final_exit_accuracy) {
        assert_eq!(
            cell(&rows[0], &format!("{name}:accuracy_mean")),
            accuracy.to_string()
        );
        assert_eq!(cell(&rows[0], &format!("{name}:learned_arm")), "2");
    }
    // The per-context learner's rewards, weighted by the contexts' samples, are its reward.
    let learner = &rows[1];
    assert_eq!(cell(learner, "policy"), "per-context:splitee");
    let samples_of = [8.0, 4.0, 4.0, 4.0, 4.0];
    let weighted: f64 = names
        .iter()
        .zip(samples_of)
        .map(|(name, n)| {
            n * cell(learner, &format!("{name}:reward_per_sample_mean"))
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    let overall: f64 = cell(learner, "reward_per_sample_mean").parse().unwrap();
    assert!(
        (weighted / 24.0 - overall).abs() < 1e-12,
        "{weighted} {overall}"
    );

    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    let header_line = md.lines().find(|l| l.starts_with("| alpha")).unwrap();
    assert!(
        header_line.ends_with(
            "| learned arm | clean: reward/sample | clean: accuracy (fraction) | clean: \
             cost/sample | clean: arm | noise 0.4: reward/sample | noise 0.4: accuracy \
             (fraction) | noise 0.4: cost/sample | noise 0.4: arm | a,b: reward/sample | a,b: \
             accuracy (fraction) | a,b: cost/sample | a,b: arm | say \"hi\": reward/sample | \
             say \"hi\": accuracy (fraction) | say \"hi\": cost/sample | say \"hi\": arm | 7: \
             reward/sample | 7: accuracy (fraction) | 7: cost/sample | 7: arm |"
        ),
        "{header_line}"
    );
    let final_row = md.lines().find(|l| l.contains("| final-exit |")).unwrap();
    assert!(
        final_row.contains("| 2 | ") && final_row.contains(" | 0.0000 ± 0.0000 | "),
        "{final_row}"
    );
}
