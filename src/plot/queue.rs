//! Figures of a queue simulation: the p95 latency and the loss fraction against the arrival
//! rate, one line per policy with 95% intervals over runs; and their time series at each rate
//! (`super::queue_timeline`).

use super::draw::{register_font, write_figures, PlotError};
use super::figure::{runs, scaled, style, Body, Figure, Kind, Panel, Series, XyPanel, XyPoint};
use crate::report::queue::{PolicyQueueResult, QueueReport};
use crate::stats::Estimate;
use std::path::{Path, PathBuf};

/// The figures' stems (each written as `.svg` and `.png`).
pub const QUEUE_FIGURES: [&str; 2] = ["queue-latency", "queue-loss"];

/// Draws the report's figures into `dir`.
pub fn plot_queue(report: &QueueReport, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let figures = [
        against_rate(report, QUEUE_FIGURES[0], "p95 latency (ms)", 1.0, |r| {
            r.latency_p95_ms
        }),
        against_rate(report, QUEUE_FIGURES[1], "loss (%)", 100.0, |r| {
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

fn against_rate(
    report: &QueueReport,
    stem: &'static str,
    y_label: &str,
    scale: f64,
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
                    let (y, err) = scaled(value(r), scale);
                    Some(XyPoint {
                        x: rate.rate,
                        y,
                        err,
                    })
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
                y_label,
                d.buffer,
                runs(report.runs)
            ),
            trace: report.trace.join(", "),
            body: Body::Xy(XyPanel {
                x_label: "arrival rate (samples/s)".into(),
                y_label: y_label.into(),
                series,
                notes: Vec::new(),
            }),
        }],
    }
}
