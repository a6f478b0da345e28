//! Cost models on CIFAR-10: measured and linear costs.

use super::*;
use crate::common::shared_trace;

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
