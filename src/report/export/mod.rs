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
use crate::summary::ContextResult;

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
fn with_interval(e: &Estimate, digits: usize) -> String {
    match e.ci95 {
        Some(h) => format!("{:.*} ± {:.*}", digits, e.mean, digits, h),
        None => format!("{:.*}", digits, e.mean),
    }
}

/// The columns every results table starts with, each naming its unit. Shares are fractions in
/// every output (tables, CSV, JSON, Python), so that a number read in a table is the one in the
/// CSV and JSON; the cost change against the final exit is a reduction (positive when cheaper).
/// The CSV columns and JSON keys are [`OUTCOME_KEYS`], in the same order.
pub(crate) const OUTCOME_COLUMNS: [&str; 4] = [
    "accuracy (fraction)",
    "cost/sample",
    "cost reduction vs final (fraction)",
    "offload (fraction)",
];

/// The JSON keys (and CSV column stems) of [`OUTCOME_COLUMNS`].
pub(crate) const OUTCOME_KEYS: [&str; 4] = [
    "accuracy",
    "cost_per_sample",
    "cost_reduction_fraction",
    "offload_fraction",
];

/// Decimals of a fraction in a table: a hundredth of a percent.
pub(crate) const FRACTION_DIGITS: usize = 4;

/// The contexts `results` report on (a trace with a context column), in order of first
/// appearance: a sweep's tables have a group of per-context columns for each.
pub(crate) fn context_names<'r>(
    results: impl IntoIterator<Item = &'r PolicyResult>,
) -> Vec<&'r str> {
    let mut names: Vec<&str> = Vec::new();
    for c in results
        .into_iter()
        .flat_map(|r| r.contexts.iter().flatten())
    {
        if !names.contains(&c.context.as_str()) {
            names.push(&c.context);
        }
    }
    names
}

/// What `r` did on context `name`, if its trace has that context.
pub(crate) fn context_of<'r>(r: &'r PolicyResult, name: &str) -> Option<&'r ContextResult> {
    r.contexts.iter().flatten().find(|c| c.context == name)
}

/// Decimals of a cost per sample in a table.
const COST_DIGITS: usize = 3;

/// A fraction as a table shows it, with its interval. A mean that rounds to zero is written
/// without a sign: the final exit's reduction against itself can be a rounding error below 0.
pub(crate) fn fraction(e: &Estimate) -> String {
    let rounds_to_zero = format!("{:.FRACTION_DIGITS$}", e.mean.abs())
        .chars()
        .all(|c| c == '0' || c == '.');
    let e = Estimate {
        mean: if rounds_to_zero { 0.0 } else { e.mean },
        ..*e
    };
    with_interval(&e, FRACTION_DIGITS)
}

/// The cells of [`OUTCOME_COLUMNS`] for `r`.
fn outcome_cells(r: &PolicyResult) -> [String; 4] {
    [
        r.accuracy.map_or_else(|| "-".to_owned(), |a| fraction(&a)),
        with_interval(&r.cost_per_sample, COST_DIGITS),
        fraction(&r.cost_reduction),
        fraction(&r.offload_fraction),
    ]
}

/// The table's columns and rows; a segment-regret column follows the regret when the run
/// reports it (given-order replays of several traces), and on a trace with a context column the
/// reward per sample and the arm settled on in each context follow the learned arm.
pub(crate) fn table(report: &Report) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let segments = report.results.iter().any(|r| r.segment_regret.is_some());
    let contexts = report.results.iter().any(|r| r.contexts.is_some());
    let mut columns = vec!["policy"];
    columns.extend(OUTCOME_COLUMNS);
    columns.push("regret");
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
            row.push(with_interval(&r.cumulative_regret, 1));
            if segments {
                row.push(
                    r.segment_regret
                        .map_or_else(|| "-".to_owned(), |e| with_interval(&e, 1)),
                );
            }
            row.push(r.learned_label());
            if contexts {
                row.push(with_interval(&r.reward_per_sample, 4));
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
