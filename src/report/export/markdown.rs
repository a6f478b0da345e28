//! Markdown tables, for committed results and READMEs.

use super::{
    context_names, context_of, cost_line, fraction, header_line, outcome_cells, table,
    with_interval, Exporter, COST_DIGITS, FRACTION_DIGITS, OUTCOME_COLUMNS,
};
use crate::json::JsonError;
use crate::report::{PointResult, PolicyResult, Report, SweepReport};
use std::fmt::Write as _;

/// A Markdown table, for committed results and READMEs.
pub struct Markdown;

/// Writes a Markdown table to `out`, one line each for the header, the `|---|---|` separator and
/// every row: each cell as `| cell `, the line closed by `|`. An empty cell is written `|  |`; a
/// row shorter than the header is finished with blank cells written `| |`.
pub fn markdown_table(
    out: &mut String,
    header: &[impl AsRef<str>],
    rows: impl IntoIterator<Item = Vec<String>>,
) {
    markdown_line(out, header, header.len());
    out.push('|');
    out.push_str(&"---|".repeat(header.len()));
    out.push('\n');
    for row in rows {
        markdown_line(out, &row, header.len());
    }
}

/// One line of a Markdown table of `width` columns.
fn markdown_line(out: &mut String, cells: &[impl AsRef<str>], width: usize) {
    for cell in cells {
        out.push_str("| ");
        out.push_str(cell.as_ref());
        out.push(' ');
    }
    for _ in cells.len()..width {
        out.push_str("| ");
    }
    out.push_str("|\n");
}

impl Exporter<Report> for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }
    fn render(&self, report: &Report) -> Result<String, JsonError> {
        let (columns, rows) = table(report);
        let mut out = format!(
            "`{}`: {}\n\n{}\n\n",
            report.trace.paths.join(" + "),
            header_line(report),
            cost_line(report)
        );
        markdown_table(&mut out, &columns, rows);
        out.push_str(&constraint_table(&report.results, ""));
        Ok(out)
    }
}

/// The published value for `policy` at offloading cost `offload`, if any.
fn published(
    table: &std::collections::BTreeMap<String, Vec<f64>>,
    offloads: &[f64],
    policy: &str,
    offload: f64,
) -> Option<f64> {
    let i = offloads.iter().position(|o| (o - offload).abs() < 1e-9)?;
    table.get(policy)?.get(i).copied()
}

impl Exporter<SweepReport> for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }
    fn render(&self, sweep: &SweepReport) -> Result<String, JsonError> {
        let mut out = String::new();
        let has_published = sweep.published.is_some();
        for (t, meta) in sweep.traces.iter().enumerate() {
            let _ = writeln!(
                out,
                "### `{}`\n\n{} samples, {} exits, {} runs per setting, seed {}\n",
                meta.paths.join(" + "),
                meta.samples,
                meta.exits,
                sweep.runs,
                sweep.seed
            );
            // A segment-regret column follows the regret when a result on this trace reports
            // it (a given-order replay of several segments).
            let segments = sweep
                .points
                .iter()
                .filter(|p| p.point.trace == t)
                .flat_map(|p| &p.results)
                .any(|r| r.segment_regret.is_some());
            let mut header = vec!["alpha", "lambda", "mu", "c", "o", "policy"];
            header.extend(OUTCOME_COLUMNS);
            header.extend(["reward/sample", "regret"]);
            if segments {
                header.push("segment regret");
            }
            header.push("learned arm");
            if has_published {
                header.extend(["published accuracy (fraction)", "published cost/sample"]);
            }
            // On a trace with a context column, a group of columns per context.
            let contexts = context_names(
                sweep
                    .points
                    .iter()
                    .filter(|p| p.point.trace == t)
                    .flat_map(|p| &p.results),
            );
            let contexts = &contexts;
            let mut header: Vec<String> = header.into_iter().map(str::to_owned).collect();
            header.extend(contexts.iter().flat_map(|name| {
                [
                    format!("{name}: reward/sample"),
                    format!("{name}: accuracy (fraction)"),
                    format!("{name}: cost/sample"),
                    format!("{name}: arm"),
                ]
            }));
            let rows = sweep
                .points
                .iter()
                .filter(|p| p.point.trace == t)
                .flat_map(|p| {
                    let q = &p.point;
                    p.results.iter().map(move |r| {
                        let mut cells = vec![
                            q.alpha.to_string(),
                            q.lambda.to_string(),
                            q.mu.to_string(),
                            q.ucb_c.to_string(),
                            q.offload.to_string(),
                            r.policy.clone(),
                        ];
                        cells.extend(outcome_cells(r));
                        cells.extend([
                            with_interval(&r.reward_per_sample, 4),
                            with_interval(&r.cumulative_regret, 1),
                        ]);
                        if segments {
                            cells.push(
                                r.segment_regret
                                    .map_or_else(|| "-".to_owned(), |e| with_interval(&e, 1)),
                            );
                        }
                        cells.push(r.learned_label());
                        if let Some(pb) = &sweep.published {
                            let value = |table, digits: usize| {
                                published(table, &pb.offload, &r.policy, q.offload)
                                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
                            };
                            cells.push(value(&pb.accuracy, FRACTION_DIGITS));
                            cells.push(value(&pb.cost_per_sample, 3));
                        }
                        cells.extend(contexts.iter().flat_map(|name| context_cells(r, name)));
                        cells
                    })
                });
            markdown_table(&mut out, &header, rows);
            out.push('\n');
            for p in sweep.points.iter().filter(|p| p.point.trace == t) {
                out.push_str(&threshold_comparison(p));
                let q = &p.point;
                let at = format!(
                    " at o = {}, lambda = {}, mu = {}",
                    q.offload, q.lambda, q.mu
                );
                out.push_str(&constraint_table(&p.results, &at));
            }
        }
        if let Some(pb) = &sweep.published {
            let _ = writeln!(out, "Published values: {}\n", pb.source);
        }
        Ok(out)
    }
}

/// The cells of `r`'s columns for context `name`: reward per sample, accuracy (a fraction),
/// cost per sample and the arm settled on (`-` where the result has none).
fn context_cells(r: &PolicyResult, name: &str) -> [String; 4] {
    let missing = || "-".to_owned();
    match context_of(r, name) {
        Some(c) => [
            with_interval(&c.reward_per_sample, 4),
            c.accuracy.as_ref().map_or_else(missing, fraction),
            c.cost_per_sample
                .as_ref()
                .map_or_else(missing, |e| with_interval(e, COST_DIGITS)),
            c.learned_label(),
        ],
        None => [missing(), missing(), missing(), missing()],
    }
}

/// When a policy learns under an agreement constraint: every policy's agreement with the final
/// exit next to its cost reduction, and the constrained ones' floor and violations (the share of
/// decisions playing an arm whose agreement over the samples is below the floor, over the run
/// and its second half), with `at` naming the setting. Empty otherwise.
fn constraint_table(results: &[PolicyResult], at: &str) -> String {
    let Some(floor) = results.iter().find_map(|r| r.constraint.as_ref()) else {
        return String::new();
    };
    let mut out = format!(
        "\nAgreement with the final exit{at} (mean ± 95% interval over runs) against the cost, \
         for learners keeping it at a fraction {} or more:\n\n",
        floor.floor
    );
    let header = [
        "policy",
        "agreement (fraction)",
        OUTCOME_COLUMNS[2],
        "floor (fraction)",
        "violations (fraction)",
        "late violations (fraction)",
    ];
    let rows = results.iter().filter_map(|r| {
        let agreement = r.agreement.as_ref()?;
        let constraint = r.constraint.as_ref();
        let cell = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
        Some(vec![
            r.policy.clone(),
            fraction(agreement),
            fraction(&r.cost_reduction),
            cell(constraint.map(|c| c.floor.to_string())),
            cell(constraint.map(|c| fraction(&c.violations))),
            cell(constraint.map(|c| fraction(&c.late_violations))),
        ])
    });
    markdown_table(&mut out, &header, rows);
    out.push('\n');
    out
}

/// For a grid point that runs a learner at fixed thresholds (`alpha:A:NAME`): its best
/// threshold in hindsight, the same learner at the run's alpha, and its joint version (split and
/// threshold learned together), by reward per sample. Empty when there is nothing to compare.
fn threshold_comparison(point: &PointResult) -> String {
    use crate::arms::ArmSpace;
    use crate::policy::PolicySpec;
    let specs: Vec<(PolicySpec, &PolicyResult)> = point
        .results
        .iter()
        .filter_map(|r| Some((r.policy.parse::<PolicySpec>().ok()?, r)))
        .collect();
    let same_learner =
        |a: &PolicySpec, b: &PolicySpec| a.kind == b.kind && a.observation == b.observation;
    let mut rows = Vec::new();
    for (spec, _) in &specs {
        if !matches!(spec.arms, ArmSpace::SplitsAt(_))
            || rows
                .iter()
                .any(|(s, ..): &(PolicySpec, _, _, Option<&PolicyResult>)| same_learner(s, spec))
        {
            continue;
        }
        let fixed = specs
            .iter()
            .filter(|(s, _)| matches!(s.arms, ArmSpace::SplitsAt(_)) && same_learner(s, spec));
        let best = fixed.max_by(|a, b| {
            a.1.reward_per_sample
                .mean
                .total_cmp(&b.1.reward_per_sample.mean)
        });
        let at_run_alpha = specs
            .iter()
            .find(|(s, _)| s.arms == ArmSpace::Splits && same_learner(s, spec))
            .map(|(_, r)| *r);
        // The joint versions of the learner, under every observation model run.
        let joints: Vec<&PolicyResult> = specs
            .iter()
            .filter(|(s, _)| s.arms == ArmSpace::Joint && s.kind == spec.kind)
            .map(|(_, r)| *r)
            .collect();
        if joints.is_empty() {
            rows.push((*spec, best, at_run_alpha, None));
        }
        for joint in joints {
            rows.push((*spec, best, at_run_alpha, Some(joint)));
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let q = &point.point;
    let mut out = format!(
        "Fixed thresholds against joint learning at o = {}, lambda = {}, mu = {} (reward per \
         sample, mean ± 95% interval; the best fixed threshold is chosen in hindsight):\n\n",
        q.offload, q.lambda, q.mu
    );
    let header = [
        "learner".to_owned(),
        "best fixed threshold".to_owned(),
        "reward/sample".to_owned(),
        format!("at alpha = {}", q.alpha),
        "joint".to_owned(),
        "reward/sample".to_owned(),
    ];
    let reward = |r: Option<&PolicyResult>| {
        r.map_or_else(
            || "-".to_owned(),
            |r| with_interval(&r.reward_per_sample, 4),
        )
    };
    let rows = rows.into_iter().map(|(spec, best, at_run_alpha, joint)| {
        let learner = PolicySpec {
            arms: ArmSpace::Splits,
            ..spec
        };
        vec![
            learner.to_string(),
            best.map_or_else(
                || "-".to_owned(),
                |(s, _)| match s.arms {
                    ArmSpace::SplitsAt(a) => a.to_string(),
                    _ => "-".to_owned(),
                },
            ),
            reward(best.map(|(_, r)| *r)),
            reward(at_run_alpha),
            joint.map_or_else(|| "-".to_owned(), |r| r.policy.clone()),
            reward(joint),
        ]
    });
    markdown_table(&mut out, &header, rows);
    out.push('\n');
    out
}
