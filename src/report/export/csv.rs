//! CSV: one row per policy (and grid point), and the regret curves.

use super::{context_names, context_of, Exporter, OUTCOME_KEYS};
use crate::json::JsonError;
use crate::report::{PointResult, PolicyResult, Report, SweepReport};
use crate::stats::Estimate;

/// One CSV row per policy (and per grid point of a sweep): every metric's mean and interval.
pub struct Csv;

/// Per-step curves as CSV: cumulative regret at every sampled step, per policy and grid point.
pub struct CurvesCsv;

/// The metric columns of a CSV row, after any setting columns: `policy`, `runs`, each metric's
/// mean and 95% half-width (the outcome columns named by their JSON keys, which carry their
/// unit), and the arms.
fn metric_header() -> Vec<String> {
    let estimated = OUTCOME_KEYS
        .iter()
        .chain(&["reward_per_sample", "cumulative_regret"])
        .flat_map(|key| [format!("{key}_mean"), format!("{key}_ci95")]);
    ["policy", "runs"]
        .into_iter()
        .map(str::to_owned)
        .chain(estimated)
        .chain(["best_arm", "learned_arm", "optimum_arm"].map(str::to_owned))
        .collect()
}

/// An estimate's mean and 95% half-width cells (blank when there is none).
fn estimate(e: Option<Estimate>) -> [String; 2] {
    let number = |x: f64| x.to_string();
    match e {
        Some(e) => [number(e.mean), e.ci95.map(number).unwrap_or_default()],
        None => [String::new(), String::new()],
    }
}

fn metric_cells(r: &PolicyResult) -> Vec<String> {
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

/// The segment-regret columns, after the metrics when some result reports it (given-order
/// replays of several segments).
const SEGMENT_HEADER: [&str; 2] = ["segment_regret_mean", "segment_regret_ci95"];

/// Whether any of `results` reports segment regret.
fn has_segments<'r>(mut results: impl Iterator<Item = &'r PolicyResult>) -> bool {
    results.any(|r| r.segment_regret.is_some())
}

/// The metric cells of `r`, with its segment regret when `segments`.
fn metric_row(r: &PolicyResult, segments: bool) -> Vec<String> {
    let mut cells = metric_cells(r);
    if segments {
        let e = r.segment_regret;
        cells.push(e.map(|e| e.mean.to_string()).unwrap_or_default());
        cells.push(
            e.and_then(|e| e.ci95)
                .map(|h| h.to_string())
                .unwrap_or_default(),
        );
    }
    cells
}

/// The header of rows led by `settings`: the metrics, and the segment regret when `segments`.
fn header(settings: &[&str], segments: bool) -> Vec<String> {
    let segment: &[&str] = if segments { &SEGMENT_HEADER } else { &[] };
    let settings = settings.iter().map(|s| s.to_string());
    settings
        .chain(metric_header())
        .chain(segment.iter().map(|s| s.to_string()))
        .collect()
}

/// The per-context columns of a sweep's rows, a group per context (`NAME:` then the column):
/// the reward per sample, accuracy (a fraction) and cost per sample on the context's samples,
/// each mean and 95% half-width, and the arm settled on for the context.
fn context_header(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|name| {
            ["reward_per_sample", "accuracy", "cost_per_sample"]
                .iter()
                .flat_map(move |key| [format!("{name}:{key}_mean"), format!("{name}:{key}_ci95")])
                .chain([format!("{name}:learned_arm")])
        })
        .collect()
}

/// The cells of [`context_header`] for `r` (blank for a context its trace lacks).
fn context_cells(r: &PolicyResult, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|name| match context_of(r, name) {
            Some(c) => [
                estimate(Some(c.reward_per_sample)),
                estimate(c.accuracy),
                estimate(c.cost_per_sample),
            ]
            .into_iter()
            .flatten()
            .chain([c.learned_label()])
            .collect::<Vec<_>>(),
            None => vec![String::new(); 7],
        })
        .collect()
}

/// The setting columns of a sweep row: the swept values, then the cost model they make and
/// its numbers (as a run's `costs:` line).
const POINT_HEADER: [&str; 7] = [
    "trace", "alpha", "lambda", "mu", "ucb_c", "offload", "costs",
];

fn point_cells(sweep: &SweepReport, point: &PointResult) -> Vec<String> {
    let p = &point.point;
    let trace = sweep
        .traces
        .get(p.trace)
        .map(|t| t.paths.join("+"))
        .unwrap_or_default();
    let mut cells = vec![trace];
    cells.extend([p.alpha, p.lambda, p.mu, p.ucb_c, p.offload].map(|x| x.to_string()));
    cells.push(point.cost.to_string());
    cells
}

/// CSV text of `rows` under `header` (the csv crate quotes what needs quoting).
fn csv_text(header: &[impl AsRef<str>], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let records =
        std::iter::once(header.iter().map(|h| h.as_ref().to_owned()).collect()).chain(rows);
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
    fn render(&self, report: &Report) -> Result<String, JsonError> {
        let segments = has_segments(report.results.iter());
        Ok(csv_text(
            &header(&[], segments),
            report.results.iter().map(|r| metric_row(r, segments)),
        ))
    }
}

impl Exporter<SweepReport> for Csv {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn render(&self, sweep: &SweepReport) -> Result<String, JsonError> {
        Ok({
            let segments = has_segments(sweep.points.iter().flat_map(|p| &p.results));
            let contexts = context_names(sweep.points.iter().flat_map(|p| &p.results));
            let contexts = &contexts;
            let rows = sweep.points.iter().flat_map(|p| {
                p.results.iter().map(move |r| {
                    let mut cells = point_cells(sweep, p);
                    cells.extend(metric_row(r, segments));
                    cells.extend(context_cells(r, contexts));
                    cells
                })
            });
            let mut header = header(&POINT_HEADER, segments);
            header.extend(context_header(contexts));
            csv_text(&header, rows)
        })
    }
}

impl Exporter<SweepReport> for CurvesCsv {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn render(&self, sweep: &SweepReport) -> Result<String, JsonError> {
        Ok({
            let header: Vec<&str> = POINT_HEADER
                .iter()
                .chain(&["policy", "t", "regret_mean", "regret_ci95"])
                .copied()
                .collect();
            let rows = sweep.points.iter().flat_map(|p| {
                p.results.iter().flat_map(move |r| {
                    let curve = &r.regret_curve;
                    (0..curve.t.len()).map(move |i| {
                        let mut cells = point_cells(sweep, p);
                        cells.push(r.policy.clone());
                        cells.push(curve.t[i].to_string());
                        cells.push(curve.mean[i].to_string());
                        cells.push(curve.ci95[i].map(|h| h.to_string()).unwrap_or_default());
                        cells
                    })
                })
            });
            csv_text(&header, rows)
        })
    }
}
