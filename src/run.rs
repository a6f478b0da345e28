//! `splitee run` as a library call: load the traces, tie the cost model to them, simulate every
//! policy, summarise, and write the requested outputs.

use crate::error::{Error, Result};
use crate::files::{write_atomic, write_atomic_with};
use crate::report::{Csv, Exporter, Json, Markdown, Report};
use crate::seed::Fnv1a;
use crate::settings::{CheckedSettings, RunSettings};
use crate::sim::{simulate_logged, SimError, SimResult};
use crate::summary::reward_model;
use crate::trace::{self, Trace};
use std::path::{Path, PathBuf};

/// Loads the settings' traces (concatenated in order), or the embedded default trace.
pub fn load_traces(settings: &RunSettings) -> Result<(Trace, Vec<String>)> {
    if settings.traces.is_empty() {
        return Ok((
            crate::embedded::trace()?,
            vec![crate::embedded::TRACE_NAME.to_owned()],
        ));
    }
    let names = settings
        .traces
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    Ok((trace::load_concatenated(&settings.traces)?, names))
}

/// What a run produced.
pub struct RunOutput {
    pub report: Report,
    pub sim: SimResult,
}

/// Runs every policy of `settings` on `trace`, after checking them ([`RunSettings::check`]).
/// `progress` receives decision counts as runs finish.
pub fn run_on(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &RunSettings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput> {
    run_checked(trace, trace_names, &settings.clone().check()?, progress)
}

/// Runs every policy of checked `settings` on `trace`. `progress` receives decision counts as
/// runs finish.
pub fn run_checked(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &CheckedSettings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput> {
    let (report, sim) = crate::summary::run(trace, trace_names, settings, progress)?;
    Ok(RunOutput { report, sim })
}

/// Like [`run_on`], writing every decision to `decisions` as it is made (JSON Lines, the
/// schema of [`crate::decision`]; policy by policy, run by run), atomically: the file appears
/// whole once the run has finished, or not at all.
pub fn run_logging(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &CheckedSettings,
    progress: &(dyn Fn(u64) + Sync),
    decisions: &Path,
) -> Result<RunOutput> {
    let model = reward_model(trace, settings)?;
    let mut outcome = None;
    let written = write_atomic_with(decisions, |out| {
        let sim = simulate_logged(
            trace,
            &model,
            &settings.policies,
            &settings.sim,
            progress,
            out,
        );
        let failed = match &sim {
            Ok(_) => None,
            Err(SimError::Decisions(message)) => Some(message.clone()),
            Err(_) => Some("the run failed".to_owned()),
        };
        outcome = Some(sim);
        failed.map_or(Ok(()), |message| Err(std::io::Error::other(message)))
    });
    let sim = match (outcome, written) {
        (Some(Ok(sim)), Ok(())) => sim,
        (Some(Err(e)), _) if !matches!(e, SimError::Decisions(_)) => return Err(e.into()),
        // Writing failed: the log's own error, or the reason the closure gave.
        (_, written) => {
            let e = written
                .err()
                .unwrap_or_else(|| std::io::Error::other("not written"));
            return Err(write_error(decisions)(e));
        }
    };
    let report = Report::new(trace, trace_names, settings, &sim);
    Ok(RunOutput { report, sim })
}

pub(crate) fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `results.json`, `results.md` and `results.csv` into `dir` (created if missing), with
/// the traces' hash in the report and, when the run had one, the config as `config.toml`, so a
/// result can be traced to its inputs.
pub fn write_outputs(
    report: &Report,
    settings: &RunSettings,
    config: Option<&Path>,
    dir: &Path,
) -> Result<()> {
    let mut report = report.clone();
    if !settings.traces.is_empty() {
        report.trace.hash = Some(hash_files(&settings.traces)?);
    }
    let exporters: [&dyn Exporter<Report>; 3] = [&Json, &Markdown, &Csv];
    write_all(dir, "results", &report, &exporters)?;
    if let Some(config) = config {
        let text = std::fs::read(config).map_err(|e| crate::trace::TraceError::io(config, &e))?;
        let copy = dir.join("config.toml");
        write_atomic(&copy, &text).map_err(write_error(&copy))?;
    }
    Ok(())
}

/// Writes `doc` into `dir` as `STEM.EXT` once per exporter.
pub(crate) fn write_all<D: ?Sized>(
    dir: &Path,
    stem: &str,
    doc: &D,
    exporters: &[&dyn Exporter<D>],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    for exporter in exporters {
        let path = dir.join(format!("{stem}.{}", exporter.extension()));
        write_atomic(&path, exporter.render(doc).as_bytes()).map_err(write_error(&path))?;
    }
    Ok(())
}

/// FNV-1a over the files' bytes: a cheap fingerprint tying a result to its inputs.
pub fn hash_files(paths: &[PathBuf]) -> Result<String> {
    let mut h = Fnv1a::default();
    for p in paths {
        h.update(&std::fs::read(p).map_err(|e| trace::TraceError::io(p, &e))?);
    }
    Ok(format!("{:016x}", h.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::synth::SynthParams;

    #[test]
    fn settings_that_skipped_the_check_do_not_run() {
        let trace = SynthParams {
            samples: 50,
            exits: 4,
            classes: 2,
            seed: 1,
        }
        .trace()
        .unwrap();
        let run = |settings: RunSettings| {
            run_on(&trace, vec![], &settings, &|_| {}).map_err(|e| e.to_string())
        };
        assert_eq!(
            run(RunSettings {
                alpha: 1.5,
                ..RunSettings::default()
            })
            .err(),
            Some("policy.alpha: alpha must be in (0, 1], got 1.5".into())
        );
        let mut settings = RunSettings::default();
        settings.sim.runs = 2;
        assert_eq!(run(settings).unwrap().sim.runs[0].len(), 2);
    }
}
