//! Cost models on CIFAR-10: measured and linear costs.

use super::*;
use crate::common::{run_ok, shared_trace, succeed};

const CIFAR10: &str = "cifar10-mobilenet2.csv";

#[test]
fn measured_costs_report_milliseconds_on_cifar10() {
    let Some(cifar) = shared_trace(CIFAR10) else {
        return;
    };
    let report = run_json(
        &cifar,
        &[
            "--cost-model",
            "measured",
            "--mu",
            "0.01",
            "--offload-cost",
            "0.2",
            "--runs",
            "2",
        ],
    );
    assert_eq!(report["trace"]["measured_costs"], true);
    let columns = Columns::read(&cifar);
    let total: f64 = columns
        .column("cost_1")
        .iter()
        .zip(columns.column("cost_2"))
        .map(|(a, b)| a + b)
        .sum();
    let expected = total / columns.rows.len() as f64;
    let actual = mean(&report, "final-exit", "cost_per_sample");
    assert!(
        ((actual - expected) / expected).abs() <= 1e-9,
        "{actual} vs {expected}"
    );
}

#[test]
fn linear_costs_on_cifar10() {
    let Some(cifar) = shared_trace(CIFAR10) else {
        return;
    };
    let report = run_json(&cifar, &["--lambda", "0.1", "--runs", "2"]);
    assert_eq!(report["trace"]["exits"], 2);
    assert_close(mean(&report, "final-exit", "cost_per_sample"), 0.2, 1e-12);
}

/// A cost setting the chosen model does not read is refused, naming the setting and the model.
#[test]
fn settings_without_effect_under_the_model_are_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let synth = dir.path().join("s.csv");
    succeed(
        splitee()
            .args(["synth", "--samples", "50", "--out"])
            .arg(&synth),
    );
    assert_eq!(
        fail_with_one_line(
            splitee()
                .args([
                    "run",
                    "--cost-model",
                    "measured",
                    "--lambda",
                    "0.2",
                    "--trace"
                ])
                .arg(&synth)
        ),
        "splitee: --lambda: has no effect under the measured cost model (--cost-model); drop \
         it, or choose a model that reads it"
    );
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[cost]\nmodel = \"linear\"\ntable = [0.1, 0.2]\n").unwrap();
    let message = fail_with_one_line(splitee().arg("run").arg("--config").arg(&config));
    let file = config.display();
    assert_eq!(
        message,
        format!(
            "splitee: {file}: line 3: cost.table: has no effect under the linear cost model \
             ({file}: line 2: cost.model); drop it, or choose a model that reads it"
        )
    );
    std::fs::write(&config, "[cost]\nper_byte = 0.1\n").unwrap();
    let message = fail_with_one_line(splitee().arg("run").arg("--config").arg(&config));
    assert!(
        message.contains(
            "line 2: cost.per_byte: has no effect under the linear cost model (the default)"
        ),
        "{message}"
    );
}

/// A cost setting on the embedded trace replaces its profile, and says so; every run table
/// names its costs.
#[test]
fn replacing_the_embedded_profile_is_said_and_costs_are_shown() {
    let output = run_ok(splitee().args(["run", "--runs", "2", "--offload-cost", "0.125"]));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "splitee: note: --offload-cost replaces the embedded trace's cost profile; costs: \
         linear: lambda 0.1, o 0.125, mu 1\n"
    );
    let table = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        table.lines().nth(2),
        Some("costs: linear: lambda 0.1, o 0.125, mu 1")
    );

    let output = run_ok(splitee().args(["run", "--runs", "2"]));
    assert!(output.stderr.is_empty(), "{:?}", output.stderr);
    let table = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        table.lines().nth(2),
        Some(
            "costs: profile embedded:sparsity-mnist-d25.profile.json: 1.099e-5 per MAC, \
             3.125e-4 per byte, mu 1"
        )
    );
}
