//! `splitee evaluate` as a library call: read a decision log, load the trace it indexes, and
//! estimate target policies from it ([`crate::ope`]); render the estimates as a table.

use crate::error::Result;
use crate::ope::{evaluate, DecisionLog, Estimates, Interval, OpeReport};
use crate::run::load_traces;
use crate::settings::CheckedSettings;
use crate::summary::reward_model;
use std::fmt::Write as _;
use std::path::Path;

/// Estimates every policy of `settings` from the log at `log`, written on the settings' traces
/// under the same cost model and threshold.
pub fn evaluate_log(log: &Path, settings: &CheckedSettings) -> Result<OpeReport> {
    let log = DecisionLog::read(log)?;
    let trace = load_traces(settings, false)?.trace;
    let model = reward_model(&trace, settings)?;
    Ok(evaluate(
        &log,
        &trace,
        &model,
        &settings.policies,
        &settings.sim,
    )?)
}

/// The report as an aligned text table: per policy and estimator, the reward per sample, cost
/// per sample and accuracy with their 95% intervals.
pub fn render(report: &OpeReport) -> String {
    let mut out = String::new();
    let logged = report
        .logging_policy
        .map_or_else(|| "unnamed policy".to_owned(), |p| format!("`{p}`"));
    let _ = writeln!(
        out,
        "Off-policy estimates from {} (logged by {logged}); value ± 95% interval half-width\n",
        report.log.display()
    );
    let header = [
        "policy",
        "decisions",
        "accepted",
        "ESS",
        "estimator",
        "reward/sample",
        "cost/sample",
        "accuracy (fraction)",
    ];
    let mut rows = vec![header.map(str::to_owned).to_vec()];
    for e in &report.evaluations {
        let rows_of = |pick: fn(&Estimates) -> Option<Interval>| {
            [&e.reward, &e.cost]
                .into_iter()
                .map(|x| cell(pick(x)))
                .chain([cell(e.accuracy.as_ref().and_then(pick))])
                .collect::<Vec<_>>()
        };
        for (i, (name, pick)) in [
            (
                "IPS",
                (|x: &Estimates| Some(x.ips)) as fn(&Estimates) -> Option<Interval>,
            ),
            ("SNIPS", |x: &Estimates| x.snips),
            ("DR", |x: &Estimates| Some(x.dr)),
        ]
        .into_iter()
        .enumerate()
        {
            let first = i == 0;
            let mut row = vec![
                if first {
                    e.policy.to_string()
                } else {
                    String::new()
                },
                if first {
                    e.decisions.to_string()
                } else {
                    String::new()
                },
                if first {
                    e.accepted.to_string()
                } else {
                    String::new()
                },
                if first {
                    format!("{:.0}", e.effective_samples)
                } else {
                    String::new()
                },
                name.to_owned(),
            ];
            row.extend(rows_of(pick));
            rows.push(row);
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(text, &w)| format!("{text:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

/// `value ± half-width`, `-` when there is no estimate.
fn cell(interval: Option<Interval>) -> String {
    match interval {
        Some(Interval {
            value,
            ci95: Some(h),
        }) => format!("{value:.4} ± {h:.4}"),
        Some(Interval { value, ci95: None }) => format!("{value:.4}"),
        None => "-".into(),
    }
}
