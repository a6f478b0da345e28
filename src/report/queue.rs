//! The report of a queue simulation (`splitee simulate`): per arrival rate, every policy's
//! loss, throughput, latency percentiles, accuracy and cost with their time series; and its
//! Markdown form (JSON is the generic exporter's).

use super::export::{fraction, markdown_table, Exporter};
use crate::config::{ArrivalSource, SimulateSection};
use crate::queue::QueueSummary;
use crate::stats::Estimate;
use serde::{Deserialize, Serialize};

/// Reads a `simulate.json` back (what `splitee plot DIR` redraws the figures from).
pub fn read_report(path: &std::path::Path) -> Result<QueueReport, crate::trace::TraceError> {
    let text = crate::lines::read_text(path).map_err(crate::trace::TraceError::from_text_error)?;
    serde_json::from_str(&text)
        .map_err(|e| crate::trace::TraceError::file(path, format!("not a simulation report: {e}")))
}

/// What a simulation reports: per arrival rate, every policy's measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueReport {
    pub trace: Vec<String>,
    pub samples: usize,
    pub runs: usize,
    pub deployment: SimulateSection,
    pub rates: Vec<RateResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateResult {
    /// Samples per second: the Poisson rate, or with trace arrivals their mean rate (samples
    /// over the last arrival time).
    pub rate: f64,
    pub results: Vec<PolicyQueueResult>,
}

/// One policy's measures at one rate (mean and 95% interval over runs); times in ms.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyQueueResult {
    pub policy: String,
    pub loss_fraction: Estimate,
    pub throughput_per_s: Estimate,
    pub latency_mean_ms: Estimate,
    pub latency_p50_ms: Estimate,
    pub latency_p95_ms: Estimate,
    pub latency_p99_ms: Estimate,
    /// A fraction, as every share in every output.
    pub accuracy: Option<Estimate>,
    pub cost_per_sample: Estimate,
    pub offload_fraction: Estimate,
    pub mean_in_device: Estimate,
    pub series: Vec<SeriesRow>,
}

/// A point of a time series (a window of consecutive arrivals), averaged over runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesRow {
    /// The window's last arrival.
    pub time_ms: f64,
    pub loss_fraction: f64,
    /// Mean and 95th percentile latency of the window's answered samples.
    pub latency_ms: f64,
    pub latency_p95_ms: f64,
    pub accuracy: Option<f64>,
    pub cost_per_sample: f64,
}

impl From<QueueSummary> for PolicyQueueResult {
    fn from(s: QueueSummary) -> Self {
        Self {
            policy: s.policy.to_string(),
            loss_fraction: s.loss_fraction,
            throughput_per_s: s.throughput_per_s,
            latency_mean_ms: s.latency_mean_ms,
            latency_p50_ms: s.latency_p50_ms,
            latency_p95_ms: s.latency_p95_ms,
            latency_p99_ms: s.latency_p99_ms,
            accuracy: s.accuracy,
            cost_per_sample: s.cost_per_sample,
            offload_fraction: s.offload_fraction,
            mean_in_device: s.mean_in_device,
            series: s
                .series
                .into_iter()
                .map(|p| SeriesRow {
                    time_ms: p.time_ms,
                    loss_fraction: p.loss_fraction,
                    latency_ms: p.latency_ms,
                    latency_p95_ms: p.latency_p95_ms,
                    accuracy: p.accuracy,
                    cost_per_sample: p.cost_per_sample,
                })
                .collect(),
        }
    }
}

/// The report as Markdown: one table per arrival rate.
pub struct QueueMarkdown;

fn cell(e: &Estimate, digits: usize) -> String {
    match e.ci95 {
        Some(h) => format!("{:.*} ± {:.*}", digits, e.mean, digits, h),
        None => format!("{:.*}", digits, e.mean),
    }
}

impl Exporter<QueueReport> for QueueMarkdown {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn render(&self, report: &QueueReport) -> std::result::Result<String, crate::json::JsonError> {
        let d = &report.deployment;
        let mut out = format!(
            "# Queue simulation\n\nTrace: {} ({} samples), {} runs per policy. Arrivals: {}. \
             Buffer B = {} (in service included), {} service, uplink {} Mbit/s + {} ms, cloud \
             {} ms.\n",
            report.trace.join(", "),
            report.samples,
            report.runs,
            match d.arrivals {
                ArrivalSource::Poisson => "Poisson at each rate",
                ArrivalSource::Trace =>
                    "the trace's arrival times (each sample at its own time, in the trace's order)",
            },
            d.buffer,
            if d.exponential {
                "exponential"
            } else {
                "deterministic"
            },
            d.bandwidth_mbps,
            d.uplink_ms,
            d.cloud_ms
        );
        let header = [
            "policy",
            "loss (fraction)",
            "throughput /s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "accuracy (fraction)",
            "cost/sample",
            "offload (fraction)",
        ];
        for rate in &report.rates {
            out.push_str(&match d.arrivals {
                ArrivalSource::Poisson => format!("\n## {} samples/s\n\n", rate.rate),
                ArrivalSource::Trace => format!(
                    "\n## The trace's arrivals: {:.3} samples/s on average\n\n",
                    rate.rate
                ),
            });
            let rows = rate.results.iter().map(|r| {
                vec![
                    r.policy.clone(),
                    fraction(&r.loss_fraction),
                    cell(&r.throughput_per_s, 1),
                    cell(&r.latency_p50_ms, 1),
                    cell(&r.latency_p95_ms, 1),
                    cell(&r.latency_p99_ms, 1),
                    r.accuracy.map_or_else(|| "-".to_owned(), |a| fraction(&a)),
                    cell(&r.cost_per_sample, 3),
                    fraction(&r.offload_fraction),
                ]
            });
            markdown_table(&mut out, &header, rows);
        }
        Ok(out)
    }
}
