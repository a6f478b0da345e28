//! `splitee simulate` as a library call: the deployment of a config's `[simulate]` section (or
//! the command's flags) served by the queue simulator ([`crate::queue`]) at each arrival rate,
//! or at the trace's own arrival times, for every policy of the run settings; then its report
//! and plots written.

use crate::config::{ArrivalSource, ConfigError, ConfigSections, Origin, SimulateSection};
use crate::error::Result;
use crate::queue::{simulate_queue, Arrivals};
use crate::report::queue::{QueueMarkdown, QueueReport, RateResult};
use crate::report::{Exporter, Json};
use crate::settings::CheckedSettings;
use crate::sim::{Order, SimOptions};
use crate::summary::reward_model;
use crate::trace::{Trace, TraceError};
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

/// The arrivals to simulate, each with its rate in samples per second (for trace arrivals,
/// the mean rate over the trace's span), and the options the runs use: trace arrivals are
/// each sample's own time, so the samples come in the trace's order. A trace without arrival
/// times is the trace's error; other refusals are the deployment's, made by `invalid`.
fn arrivals_of(
    trace: &Trace,
    deployment: &SimulateSection,
    opts: &SimOptions,
    invalid: &dyn Fn(String) -> crate::Error,
) -> Result<(Vec<(f64, Arrivals)>, SimOptions)> {
    let no_times = |message: &str| TraceError {
        path: trace.source().to_path_buf(),
        location: None,
        column: Some("arrival".into()),
        message: message.into(),
    };
    match deployment.arrivals {
        ArrivalSource::Poisson if deployment.rates.is_empty() => {
            Err(invalid("give at least one arrival rate".into()))
        }
        ArrivalSource::Poisson => {
            let rates = deployment.rates.iter();
            let arrivals = rates.map(|&r| (r, Arrivals::Poisson { per_second: r }));
            Ok((arrivals.collect(), opts.clone()))
        }
        ArrivalSource::Trace if !deployment.rates.is_empty() => Err(invalid(
            "the arrival rates are for Poisson arrivals, but arrivals = \"trace\" replays the \
             trace's arrival times, which set the rate: drop the rates (or the trace arrivals)"
                .into(),
        )),
        ArrivalSource::Trace => {
            let Some(seconds) = trace.arrivals() else {
                return Err(no_times(
                    "is missing; trace arrivals replay each sample's arrival time (seconds since \
                     the start) from it",
                )
                .into());
            };
            let span = seconds.last().copied().unwrap_or(0.0);
            if span <= 0.0 {
                return Err(no_times(
                    "every sample arrives at 0 s, which gives no arrival rate; trace arrivals \
                     need times that span some time",
                )
                .into());
            }
            let times = Arrivals::Times(seconds.iter().map(|s| s * 1000.0).collect());
            let in_trace_order = SimOptions {
                order: Order::Given,
                ..opts.clone()
            };
            Ok((vec![(seconds.len() as f64 / span, times)], in_trace_order))
        }
    }
}

/// Simulates `deployment` at each of its rates (or at the trace's arrival times) for every
/// policy of `settings` on `trace`. An invalid deployment is blamed on `origin` (the config
/// section or the flags).
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
    let (arrivals, opts) = arrivals_of(trace, deployment, &settings.sim, &|m| invalid(m).into())?;
    let model = reward_model(trace, settings)?;
    let mut rates = Vec::with_capacity(arrivals.len());
    for (rate, arrivals) in arrivals {
        let queue = deployment.queue_settings(arrivals, trace.exits());
        let result = simulate_queue(trace, &model, &settings.policies, &queue, &opts).map_err(
            |e| match e {
                crate::queue::QueueError::Sim(e) => crate::Error::Sim(e),
                e => invalid(e.to_string()).into(),
            },
        )?;
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
