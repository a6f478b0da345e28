//! Exporters: one file per format, each rendering the documents it makes sense for behind one
//! trait.

mod csv;
mod json;
mod markdown;
mod table;

pub use self::csv::{Csv, CurvesCsv};
pub use self::json::{CompactJson, Json};
pub use self::markdown::{markdown_table, Markdown};
pub use self::table::Table;

use super::{PolicyResult, Report};
use crate::stats::Estimate;

/// Renders a document in one format.
///
/// Documents are a run's [`Report`] and a [`SweepReport`](crate::report::SweepReport); every format renders the documents it
/// makes sense for.
pub trait Exporter<D: ?Sized> {
    /// File extension of the format, without the dot.
    fn extension(&self) -> &'static str;
    /// The document in this format. Only JSON refuses a document: one holding a non-finite
    /// number ([`crate::json`]).
    fn render(&self, doc: &D) -> Result<String, crate::json::JsonError>;
}

/// `mean ± ci95` with `digits` decimals; just the mean for a single run.
fn with_interval(e: &Estimate, scale: f64, digits: usize) -> String {
    match e.ci95 {
        Some(h) => format!("{:.*} ± {:.*}", digits, e.mean * scale, digits, h * scale),
        None => format!("{:.*}", digits, e.mean * scale),
    }
}

/// Accuracy, cost per sample, cost change against the final exit, and offload share: the cells
/// every results table starts with.
fn outcome_cells(r: &PolicyResult) -> [String; 4] {
    [
        r.accuracy
            .map_or_else(|| "-".to_owned(), |a| with_interval(&a, 100.0, 2)),
        with_interval(&r.cost_per_sample, 1.0, 3),
        // `+ 0.0` turns -0.0 (the final exit against itself) into 0.0.
        format!("{:+.1}%", -100.0 * r.cost_reduction.mean + 0.0),
        with_interval(&r.offload_fraction, 100.0, 1),
    ]
}

/// The table's columns and rows; a segment-regret column follows the regret when the run
/// reports it (given-order replays of several traces), and on a trace with a context column the
/// reward per sample and the arm settled on in each context follow the learned arm.
pub(crate) fn table(report: &Report) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let segments = report.results.iter().any(|r| r.segment_regret.is_some());
    let contexts = report.results.iter().any(|r| r.contexts.is_some());
    let mut columns = vec![
        "policy",
        "accuracy %",
        "cost/sample",
        "vs final",
        "offload %",
        "regret",
    ];
    if segments {
        columns.push("segment regret");
    }
    columns.push("learned arm");
    if contexts {
        columns.extend(["reward/sample", "arm per context"]);
    }
    let rows = report
        .results
        .iter()
        .map(|r| {
            let mut row = vec![r.policy.clone()];
            row.extend(outcome_cells(r));
            row.push(with_interval(&r.cumulative_regret, 1.0, 1));
            if segments {
                row.push(
                    r.segment_regret
                        .map_or_else(|| "-".to_owned(), |e| with_interval(&e, 1.0, 1)),
                );
            }
            row.push(r.learned_label());
            if contexts {
                row.push(with_interval(&r.reward_per_sample, 1.0, 4));
                row.push(r.contexts.as_deref().map_or_else(String::new, |contexts| {
                    let arms: Vec<String> = contexts
                        .iter()
                        .map(|c| format!("{}={}", c.context, c.learned_label()))
                        .collect();
                    arms.join(" ")
                }));
            }
            row
        })
        .collect();
    (columns, rows)
}

/// The line above a run's table: the trace, the threshold, the best arm and the runs.
pub(crate) fn header_line(report: &Report) -> String {
    let t = &report.trace;
    format!(
        "{} samples, {} exits, alpha = {}, best fixed arm {} (mean reward {:.4}), {} run{}",
        t.samples,
        t.exits,
        report.settings.alpha,
        report.best_arm,
        report.arm_mean_rewards[report.best_arm - 1],
        report.settings.runs,
        if report.settings.runs == 1 { "" } else { "s" },
    )
}

/// The cost model and its numbers, so that two runs' costs can be told apart.
pub(crate) fn cost_line(report: &Report) -> String {
    format!("costs: {}", report.settings.cost)
}
