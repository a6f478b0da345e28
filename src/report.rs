//! Reports: simulation results summarised over runs, and exporters that render them (JSON for
//! tools, a terminal table, Markdown for committed results).

use crate::arms::{ArmLabel, Arms};
use crate::config::RunSettings;
use crate::numeric::argmax_first;
use crate::sim::{ArmSummary, Compat, RunMetrics, SimResult};
use crate::stats::{mode, Estimate};
use crate::sweep::{Point, SweepReport};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// Everything `splitee run` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub tool: ToolInfo,
    pub trace: TraceInfo,
    pub settings: SettingsInfo,
    /// 1-based best fixed arm in hindsight.
    pub best_arm: usize,
    /// Mean reward of every fixed arm over the samples (arm 1 first).
    pub arm_mean_rewards: Vec<f64>,
    pub results: Vec<PolicyResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl ToolInfo {
    /// This build of splitee.
    pub fn current() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceInfo {
    pub paths: Vec<String>,
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
    pub labeled: bool,
    pub measured_costs: bool,
    /// FNV-1a 64-bit hash of the trace files' bytes, recorded when outputs are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsInfo {
    pub alpha: f64,
    pub cost: crate::cost::CostModel,
    pub runs: usize,
    pub seed: u64,
    pub order: crate::sim::Order,
    pub observation: crate::reward::Observation,
    pub ucb_c: f64,
    pub compat: Option<Compat>,
}

/// One policy's results over all runs. Arms are 1-based.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: String,
    pub runs: usize,
    /// Fraction of labeled decisions answered correctly; `None` on an unlabeled trace.
    pub accuracy: Option<Estimate>,
    pub cost_per_sample: Estimate,
    pub total_cost: Estimate,
    pub offload_fraction: Estimate,
    /// `1 - cost / cost of the final exit on every sample`.
    pub cost_reduction: Estimate,
    pub reward_per_sample: Estimate,
    pub cumulative_regret: Estimate,
    /// Regret against the best fixed arm of each segment (each file of a concatenated trace),
    /// reported for given-order replays of several segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_regret: Option<Estimate>,
    pub pseudo_regret: Option<Estimate>,
    /// The best fixed arm's split, among the arms this policy learns over.
    pub best_arm: usize,
    /// The best fixed arm's threshold, for policies that learn the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_threshold: Option<f64>,
    /// The split of the arm played most in the second half of the stream, most frequent over
    /// runs.
    pub learned_arm: usize,
    /// That arm's threshold, for policies that learn the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_threshold: Option<f64>,
    /// Compatibility mode: the published "optimum arm", argmax of the reward sums averaged
    /// over runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimum_arm: Option<usize>,
    /// Mean decisions per split (summed over thresholds).
    pub arm_counts: Vec<f64>,
    pub regret_curve: Curve,
    /// Which arms were played when: the share of each arm in every interval between the steps
    /// of the regret curve, averaged over runs.
    pub arm_timeline: ArmTimeline,
}

/// `share[i][k]`: fraction of the decisions in steps `(t[i-1], t[i]]` (`(0, t[0]]` for `i = 0`)
/// that played arm `k + 1`, mean over runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmTimeline {
    pub t: Vec<usize>,
    pub share: Vec<Vec<f64>>,
}

impl ArmTimeline {
    fn summarise(runs: &[RunMetrics], steps: &[usize], arms: &Arms, exits: usize) -> Self {
        let n_runs = runs.len() as f64;
        let share = steps
            .iter()
            .enumerate()
            .map(|(i, &end)| {
                let start = if i == 0 { 0 } else { steps[i - 1] };
                let width = (end - start).max(1) as f64;
                let mut share = vec![0.0; exits];
                for m in runs {
                    for (a, &count) in m.arm_count_curve[i].iter().enumerate() {
                        let before = if i == 0 {
                            0
                        } else {
                            m.arm_count_curve[i - 1][a]
                        };
                        share[arms.split(a)] += (count - before) as f64 / width / n_runs;
                    }
                }
                share
            })
            .collect();
        Self {
            t: steps.to_vec(),
            share,
        }
    }
}

/// Cumulative regret sampled at steps `t` (1-based), mean and 95% half-width over runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub t: Vec<usize>,
    pub mean: Vec<f64>,
    pub ci95: Vec<Option<f64>>,
}

fn arm_label(split: usize, threshold: Option<f64>) -> String {
    match threshold {
        Some(alpha) => ArmLabel {
            split,
            threshold: alpha,
        }
        .to_string(),
        None => split.to_string(),
    }
}

fn estimate(runs: &[RunMetrics], metric: impl Fn(&RunMetrics) -> f64) -> Estimate {
    Estimate::from_values(&runs.iter().map(metric).collect::<Vec<_>>())
}

impl PolicyResult {
    /// The learned arm as users read it: its split, `split@threshold` when the threshold is
    /// learned too.
    pub fn learned_label(&self) -> String {
        arm_label(self.learned_arm, self.learned_threshold)
    }

    /// The best fixed arm, written like [`PolicyResult::learned_label`].
    pub fn best_label(&self) -> String {
        arm_label(self.best_arm, self.best_threshold)
    }

    fn summarise(policy: String, runs: &[RunMetrics], arms: &ArmSummary, sim: &SimResult) -> Self {
        let exits = sim.arm_means.len();
        let labeled = runs.iter().all(|m| m.labeled > 0);
        let n_runs = runs.len() as f64;
        let arm_set = &arms.arms;
        let optimum_arm = runs[0].reward_sums.as_ref().map(|_| {
            let mean_sums = (0..arm_set.len()).map(|a| {
                runs.iter()
                    .map(|m| m.reward_sums.as_ref().map_or(0.0, |s| s[a]))
                    .sum::<f64>()
                    / n_runs
            });
            arm_set.split(argmax_first(mean_sums)) + 1
        });
        let learned = mode(
            runs.iter()
                .map(|m| argmax_first(m.late_arm_counts.iter().map(|&c| c as f64))),
            arm_set.len(),
        );
        let mut arm_counts = vec![0.0; exits];
        for m in runs {
            for (a, &count) in m.arm_counts.iter().enumerate() {
                arm_counts[arm_set.split(a)] += count as f64 / n_runs;
            }
        }
        let curve_runs: Vec<Estimate> = (0..sim.curve_steps.len())
            .map(|i| estimate(runs, |m| m.regret_curve[i]))
            .collect();
        Self {
            policy,
            runs: runs.len(),
            accuracy: labeled.then(|| estimate(runs, |m| m.correct as f64 / m.labeled as f64)),
            cost_per_sample: estimate(runs, |m| m.total_cost / m.decisions as f64),
            total_cost: estimate(runs, |m| m.total_cost),
            offload_fraction: estimate(runs, |m| m.offloads as f64 / m.decisions as f64),
            cost_reduction: estimate(runs, |m| 1.0 - m.total_cost / sim.final_exit_cost),
            reward_per_sample: estimate(runs, |m| m.total_reward / m.decisions as f64),
            cumulative_regret: estimate(runs, |m| m.regret),
            segment_regret: runs
                .iter()
                .all(|m| m.segment_regret.is_some())
                .then(|| estimate(runs, |m| m.segment_regret.unwrap_or(0.0))),
            pseudo_regret: runs
                .iter()
                .all(|m| m.pseudo_regret.is_some())
                .then(|| estimate(runs, |m| m.pseudo_regret.unwrap_or(0.0))),
            best_arm: arm_set.split(arms.best_arm) + 1,
            best_threshold: arm_set.learned_threshold(arms.best_arm),
            learned_arm: arm_set.split(learned) + 1,
            learned_threshold: arm_set.learned_threshold(learned),
            optimum_arm,
            arm_counts,
            regret_curve: Curve {
                t: sim.curve_steps.clone(),
                mean: curve_runs.iter().map(|e| e.mean).collect(),
                ci95: curve_runs.iter().map(|e| e.ci95).collect(),
            },
            arm_timeline: ArmTimeline::summarise(runs, &sim.curve_steps, arm_set, exits),
        }
    }
}

impl Report {
    pub fn new(trace: &Trace, paths: Vec<String>, settings: &RunSettings, sim: &SimResult) -> Self {
        Self {
            tool: ToolInfo::current(),
            trace: TraceInfo {
                paths,
                samples: trace.samples(),
                exits: trace.exits(),
                classes: trace.classes(),
                labeled: trace.is_labeled(),
                measured_costs: trace.has_costs(),
                hash: None,
            },
            settings: SettingsInfo {
                alpha: settings.alpha,
                cost: settings.cost.clone(),
                runs: settings.sim.runs,
                seed: settings.sim.seed,
                order: settings.sim.order,
                observation: settings.sim.observation,
                ucb_c: settings.sim.ucb_c,
                compat: settings.sim.compat,
            },
            best_arm: sim.best_arm + 1,
            arm_mean_rewards: sim.arm_means.clone(),
            results: sim
                .policies
                .iter()
                .zip(&sim.runs)
                .zip(&sim.arms)
                .map(|((p, runs), arms)| PolicyResult::summarise(p.to_string(), runs, arms, sim))
                .collect(),
        }
    }
}

/// Renders a document in one format.
///
/// Documents are a run's [`Report`] and a [`SweepReport`]; every format renders the documents it
/// makes sense for.
pub trait Exporter<D: ?Sized> {
    /// File extension of the format, without the dot.
    fn extension(&self) -> &'static str;
    fn render(&self, doc: &D) -> String;
}

/// The full document as JSON (SPEC section 5 for a run).
pub struct Json;

/// The full document as compact JSON on one line, for large documents (sweeps) kept on disk.
pub struct CompactJson;

fn json_text<D: Serialize>(doc: &D, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    };
    // Our documents are plain data: serialising them cannot fail.
    text.unwrap_or_default() + "\n"
}

impl<D: Serialize> Exporter<D> for Json {
    fn extension(&self) -> &'static str {
        "json"
    }
    fn render(&self, doc: &D) -> String {
        json_text(doc, true)
    }
}

impl<D: Serialize> Exporter<D> for CompactJson {
    fn extension(&self) -> &'static str {
        "json"
    }
    fn render(&self, doc: &D) -> String {
        json_text(doc, false)
    }
}

/// One CSV row per policy (and per grid point of a sweep): every metric's mean and interval.
pub struct Csv;

/// Per-step curves as CSV: cumulative regret at every sampled step, per policy and grid point.
pub struct CurvesCsv;

/// An aligned plain-text table for the terminal.
pub struct Table;

/// A Markdown table, for committed results and READMEs.
pub struct Markdown;

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
/// reports it (given-order replays of several traces).
fn table(report: &Report) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let segments = report.results.iter().any(|r| r.segment_regret.is_some());
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
            row
        })
        .collect();
    (columns, rows)
}

fn header_line(report: &Report) -> String {
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

impl Exporter<Report> for Table {
    fn extension(&self) -> &'static str {
        "txt"
    }
    fn render(&self, report: &Report) -> String {
        let (columns, rows) = table(report);
        let widths: Vec<usize> = (0..columns.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([columns[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!(
            "{}\n{}\n",
            report.trace.paths.join(" + "),
            header_line(report)
        );
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let pad = w - c.chars().count();
                    if i == 0 {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        out += &line(columns);
        out.push('\n');
        for r in &rows {
            out += &line(r.iter().map(String::as_str).collect());
            out.push('\n');
        }
        out
    }
}

impl Exporter<Report> for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }
    fn render(&self, report: &Report) -> String {
        let (columns, rows) = table(report);
        let mut out = format!(
            "`{}`: {}\n\n| {} |\n|{}|\n",
            report.trace.paths.join(" + "),
            header_line(report),
            columns.join(" | "),
            vec!["---"; columns.len()].join("|")
        );
        for r in rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out
    }
}

/// The metric columns of a CSV row, after any setting columns.
const METRIC_HEADER: [&str; 17] = [
    "policy",
    "runs",
    "accuracy_mean",
    "accuracy_ci95",
    "cost_per_sample_mean",
    "cost_per_sample_ci95",
    "cost_reduction_mean",
    "cost_reduction_ci95",
    "offload_fraction_mean",
    "offload_fraction_ci95",
    "reward_per_sample_mean",
    "reward_per_sample_ci95",
    "cumulative_regret_mean",
    "cumulative_regret_ci95",
    "best_arm",
    "learned_arm",
    "optimum_arm",
];

fn metric_cells(r: &PolicyResult) -> Vec<String> {
    let number = |x: f64| x.to_string();
    let estimate = |e: Option<Estimate>| match e {
        Some(e) => [number(e.mean), e.ci95.map(number).unwrap_or_default()],
        None => [String::new(), String::new()],
    };
    let mut cells = vec![r.policy.clone(), r.runs.to_string()];
    for e in [
        r.accuracy,
        Some(r.cost_per_sample),
        Some(r.cost_reduction),
        Some(r.offload_fraction),
        Some(r.reward_per_sample),
        Some(r.cumulative_regret),
    ] {
        cells.extend(estimate(e));
    }
    cells.push(r.best_label());
    cells.push(r.learned_label());
    cells.push(r.optimum_arm.map(|a| a.to_string()).unwrap_or_default());
    cells
}

/// The setting columns of a sweep row.
const POINT_HEADER: [&str; 6] = ["trace", "alpha", "lambda", "mu", "ucb_c", "offload"];

fn point_cells(sweep: &SweepReport, p: &Point) -> Vec<String> {
    let trace = sweep
        .traces
        .get(p.trace)
        .map(|t| t.paths.join("+"))
        .unwrap_or_default();
    let mut cells = vec![trace];
    cells.extend([p.alpha, p.lambda, p.mu, p.ucb_c, p.offload].map(|x| x.to_string()));
    cells
}

/// CSV text of `rows` under `header` (the csv crate quotes what needs quoting).
fn csv_text(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let records = std::iter::once(header.iter().map(|h| h.to_string()).collect()).chain(rows);
    for record in records {
        // Writing into memory cannot fail.
        let _ = out.write_record(&record);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

impl Exporter<Report> for Csv {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn render(&self, report: &Report) -> String {
        csv_text(&METRIC_HEADER, report.results.iter().map(metric_cells))
    }
}

impl Exporter<SweepReport> for Csv {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn render(&self, sweep: &SweepReport) -> String {
        let header: Vec<&str> = POINT_HEADER.iter().chain(&METRIC_HEADER).copied().collect();
        let rows = sweep.points.iter().flat_map(|p| {
            p.results.iter().map(|r| {
                let mut cells = point_cells(sweep, &p.point);
                cells.extend(metric_cells(r));
                cells
            })
        });
        csv_text(&header, rows)
    }
}

impl Exporter<SweepReport> for CurvesCsv {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn render(&self, sweep: &SweepReport) -> String {
        let header: Vec<&str> = POINT_HEADER
            .iter()
            .chain(&["policy", "t", "regret_mean", "regret_ci95"])
            .copied()
            .collect();
        let rows = sweep.points.iter().flat_map(|p| {
            p.results.iter().flat_map(move |r| {
                let curve = &r.regret_curve;
                (0..curve.t.len()).map(move |i| {
                    let mut cells = point_cells(sweep, &p.point);
                    cells.push(r.policy.clone());
                    cells.push(curve.t[i].to_string());
                    cells.push(curve.mean[i].to_string());
                    cells.push(curve.ci95[i].map(|h| h.to_string()).unwrap_or_default());
                    cells
                })
            })
        });
        csv_text(&header, rows)
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
    fn render(&self, sweep: &SweepReport) -> String {
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
            let mut header = vec![
                "alpha",
                "lambda",
                "mu",
                "c",
                "o",
                "policy",
                "accuracy %",
                "cost/sample",
                "vs final",
                "offload %",
                "reward/sample",
                "regret",
                "learned arm",
            ];
            if has_published {
                header.extend(["published accuracy %", "published cost/sample"]);
            }
            let _ = writeln!(
                out,
                "| {} |\n|{}|",
                header.join(" | "),
                vec!["---"; header.len()].join("|")
            );
            for p in sweep.points.iter().filter(|p| p.point.trace == t) {
                let q = &p.point;
                for r in &p.results {
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
                        with_interval(&r.reward_per_sample, 1.0, 4),
                        with_interval(&r.cumulative_regret, 1.0, 1),
                        r.learned_label(),
                    ]);
                    if let Some(pb) = &sweep.published {
                        let value = |table, digits: usize| {
                            published(table, &pb.offload, &r.policy, q.offload)
                                .map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
                        };
                        cells.push(value(&pb.accuracy, 2));
                        cells.push(value(&pb.cost_per_sample, 3));
                    }
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
            }
            out.push('\n');
            for p in sweep.points.iter().filter(|p| p.point.trace == t) {
                out.push_str(&threshold_comparison(p));
            }
        }
        if let Some(pb) = &sweep.published {
            let _ = writeln!(out, "Published values: {}\n", pb.source);
        }
        out
    }
}

/// For a grid point that runs a learner at fixed thresholds (`alpha:A:NAME`): its best
/// threshold in hindsight, the same learner at the run's alpha, and its joint version (split and
/// threshold learned together), by reward per sample. Empty when there is nothing to compare.
fn threshold_comparison(point: &crate::sweep::PointResult) -> String {
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
         sample, mean ± 95% interval; the best fixed threshold is chosen in hindsight):\n\n\
         | learner | best fixed threshold | reward/sample | at alpha = {} | joint | reward/sample \
         |\n|---|---|---|---|---|---|\n",
        q.offload, q.lambda, q.mu, q.alpha
    );
    let reward = |r: Option<&PolicyResult>| {
        r.map_or_else(
            || "-".to_owned(),
            |r| with_interval(&r.reward_per_sample, 1.0, 4),
        )
    };
    for (spec, best, at_run_alpha, joint) in rows {
        let learner = PolicySpec {
            arms: ArmSpace::Splits,
            ..spec
        };
        let _ = writeln!(
            out,
            "| {learner} | {} | {} | {} | {} | {} |",
            best.map_or_else(
                || "-".to_owned(),
                |(s, _)| match s.arms {
                    ArmSpace::SplitsAt(a) => a.to_string(),
                    _ => "-".to_owned(),
                }
            ),
            reward(best.map(|(_, r)| *r)),
            reward(at_run_alpha),
            joint.map_or_else(|| "-".to_owned(), |r| r.policy.clone()),
            reward(joint),
        );
    }
    out.push('\n');
    out
}

/// Writes `contents` to `path` atomically: a temporary file in the same folder, then a rename,
/// so a reader never sees a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(contents))
}

/// Makes a rename in `dir` durable: until the folder itself is synced, a power loss may undo it.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Folders cannot be opened as files here; the rename is as durable as the platform makes it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Like [`write_atomic`], streaming the contents through `write`.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
