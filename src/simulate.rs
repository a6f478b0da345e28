//! `splitee simulate` as a library call: the deployment of a config's `[simulate]` section (or
//! the command's flags) served by the queue simulator ([`crate::queue`]) at each arrival rate,
//! for every policy of the run settings; then its report and plots written.

use crate::config::{ConfigError, ConfigSections, Origin, SimulateSection};
use crate::error::Result;
use crate::queue::simulate_queue;
use crate::report::queue::{QueueMarkdown, QueueReport, RateResult};
use crate::report::{Exporter, Json};
use crate::settings::CheckedSettings;
use crate::summary::reward_model;
use crate::trace::Trace;
use std::path::Path;

/// Where the `[simulate]` section starts in the config, to blame a setting it holds; the
/// command's flags when the config has none.
fn section_origin(sections: &ConfigSections) -> Origin {
    match sections.text.lines().position(|l| l.trim() == "[simulate]") {
        Some(i) => Origin::Config {
            path: sections.path.clone(),
            line: i + 1,
            key: "simulate",
        },
        None => Origin::Flag("splitee simulate"),
    }
}

/// Simulates `deployment` at each of its rates for every policy of `settings` on `trace`.
/// An invalid deployment is blamed on `origin` (the config section or the flags).
pub fn simulate(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &CheckedSettings,
    deployment: &SimulateSection,
    origin: Origin,
) -> Result<QueueReport> {
    let invalid = |message: String| ConfigError::Invalid {
        origin: origin.clone(),
        message,
    };
    if deployment.rates.is_empty() {
        return Err(invalid("give at least one arrival rate".into()).into());
    }
    let model = reward_model(trace, settings)?;
    let mut rates = Vec::with_capacity(deployment.rates.len());
    for &rate in &deployment.rates {
        let queue = deployment.at_rate(rate, trace.exits());
        let result = simulate_queue(trace, &model, &settings.policies, &queue, &settings.sim)
            .map_err(|e| match e {
                crate::queue::QueueError::Sim(e) => crate::Error::Sim(e),
                e => invalid(e.to_string()).into(),
            })?;
        rates.push(RateResult {
            rate,
            results: result.summaries().into_iter().map(Into::into).collect(),
        });
    }
    Ok(QueueReport {
        trace: trace_names,
        samples: trace.samples(),
        runs: settings.sim.runs,
        deployment: deployment.clone(),
        rates,
    })
}

/// [`simulate`] blaming an invalid deployment on the config's `[simulate]` section.
pub fn simulate_section(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &CheckedSettings,
    deployment: &SimulateSection,
    sections: &ConfigSections,
) -> Result<QueueReport> {
    simulate(
        trace,
        trace_names,
        settings,
        deployment,
        section_origin(sections),
    )
}

/// Writes `simulate.json`, `simulate.md` and the plots of latency and loss against the arrival
/// rate into `dir`.
pub fn write_outputs(report: &QueueReport, dir: &Path) -> Result<()> {
    let exporters: [&dyn Exporter<QueueReport>; 2] = [&Json, &QueueMarkdown];
    crate::run::write_all(dir, "simulate", report, &exporters)?;
    crate::plot::plot_queue(report, dir)?;
    Ok(())
}
