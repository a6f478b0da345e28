//! Figures of a queue simulation: the p95 latency and the loss fraction against the arrival
//! rate, one line per policy with 95% intervals over runs; and their time series at each rate
//! (`super::queue_timeline`).

use super::draw::{register_font, write_figures, PlotError};
use super::figure::{
    runs, style, Body, Figure, Kind, Panel, Series, XyPanel, XyPoint, RUN_INTERVALS,
};
use crate::report::queue::{PolicyQueueResult, QueueReport};
use crate::stats::Estimate;
use std::path::{Path, PathBuf};

/// The figures' stems (each written as `.svg` and `.png`).
pub const QUEUE_FIGURES: [&str; 2] = ["queue-latency", "queue-loss"];

/// Draws the report's figures into `dir`.
pub fn plot_queue(report: &QueueReport, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let figures = [
        against_rate(
            report,
            QUEUE_FIGURES[0],
            ("P95 latency", "p95 latency (ms)"),
            |r| r.latency_p95_ms,
        ),
        against_rate(report, QUEUE_FIGURES[1], ("Loss", "loss (fraction)"), |r| {
            r.loss_fraction
        }),
    ];
    let mut written = write_figures(&figures, dir)?;
    written.extend(write_figures(
        &super::queue_timeline::timelines(report),
        dir,
    )?);
    Ok(written)
}

/// One line per policy of `value` against the arrival rate; `(what, y_label)` name it in the
/// title and on the axis.
fn against_rate(
    report: &QueueReport,
    stem: &'static str,
    (what, y_label): (&str, &str),
    value: fn(&PolicyQueueResult) -> Estimate,
) -> Figure {
    let policies: Vec<&str> = report
        .rates
        .first()
        .map(|r| r.results.iter().map(|p| p.policy.as_str()).collect())
        .unwrap_or_default();
    let series = policies
        .iter()
        .enumerate()
        .map(|(i, &policy)| Series {
            name: policy.to_owned(),
            style: style(i),
            kind: Kind::Errorbars,
            points: report
                .rates
                .iter()
                .filter_map(|rate| {
                    let r = rate.results.iter().find(|r| r.policy == policy)?;
                    Some(XyPoint::estimate(rate.rate, value(r)))
                })
                .collect(),
        })
        .collect();
    let d = &report.deployment;
    Figure {
        stem: stem.into(),
        panels: vec![Panel {
            title: format!(
                "{} against the arrival rate (buffer B = {}, {})",
                what,
                d.buffer,
                runs(report.runs)
            ),
            trace: report.trace.join(", "),
            body: Body::Xy(XyPanel {
                x_label: "arrival rate (samples/s)".into(),
                x_places: None,
                spread: RUN_INTERVALS,
                y_label: y_label.into(),
                series,
                notes: Vec::new(),
                rules: Vec::new(),
            }),
        }],
    }
}
