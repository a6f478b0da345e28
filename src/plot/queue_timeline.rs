//! Time series of a queue simulation: for each arrival rate (or the trace's own arrivals), one
//! figure of the p95 latency and the loss fraction over time, one line per policy. Each point
//! is a window of consecutive arrivals (the report's `series`), placed at the window's last
//! arrival and averaged over runs.

use super::figure::{
    runs, style, Body, Figure, Kind, Panel, Series, XyPanel, XyPoint, RUN_INTERVALS,
};
use crate::config::ArrivalSource;
use crate::report::queue::{QueueReport, RateResult, SeriesRow};

/// The stem of the time series of `rate` in `report`: `queue-timeline-RATE` (the rate in
/// samples per second as the report writes it), or `queue-timeline-trace` for the trace's
/// arrivals.
fn timeline_stem(report: &QueueReport, rate: &RateResult) -> String {
    match report.deployment.arrivals {
        ArrivalSource::Poisson => format!("queue-timeline-{}", rate.rate),
        ArrivalSource::Trace => "queue-timeline-trace".to_owned(),
    }
}

/// One figure per rate of `report`.
pub(super) fn timelines(report: &QueueReport) -> Vec<Figure> {
    report
        .rates
        .iter()
        .map(|rate| Figure {
            stem: timeline_stem(report, rate),
            panels: vec![
                panel(report, rate, "p95 latency (ms)", |p| p.latency_p95_ms),
                panel(report, rate, "loss (fraction)", |p| p.loss_fraction),
            ],
        })
        .collect()
}

/// `y_label` (read from each point by `value`) over time, one line per policy.
fn panel(
    report: &QueueReport,
    rate: &RateResult,
    y_label: &str,
    value: fn(&SeriesRow) -> f64,
) -> Panel {
    let series = rate
        .results
        .iter()
        .enumerate()
        .map(|(i, result)| Series {
            name: result.policy.clone(),
            style: style(i),
            kind: Kind::Errorbars,
            points: result
                .series
                .iter()
                .map(|p| XyPoint {
                    x: p.time_ms / 1000.0,
                    y: value(p),
                    err: None,
                })
                .collect(),
        })
        .collect();
    let (b, runs) = (report.deployment.buffer, runs(report.runs));
    let title = match report.deployment.arrivals {
        ArrivalSource::Poisson => format!(
            "{y_label} over time at {} samples/s (Poisson; buffer B = {b}, mean of {runs})",
            rate.rate
        ),
        ArrivalSource::Trace => format!(
            "{y_label} over time, trace arrivals ({:.1} samples/s on average; B = {b}, mean of {runs})",
            rate.rate
        ),
    };
    let windows = rate.results.first().map_or(0, |r| r.series.len());
    Panel {
        title,
        trace: report.trace.join(", "),
        body: Body::Xy(XyPanel {
            x_label: format!("time (s): last arrival of each of {windows} windows of arrivals"),
            y_label: y_label.into(),
            x_places: None,
            spread: RUN_INTERVALS,
            series,
            notes: Vec::new(),
            rules: Vec::new(),
        }),
    }
}
