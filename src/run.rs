//! `splitee run` as a library call: load the traces, tie the cost model to them, simulate every
//! policy, summarise, and write the requested outputs.

use crate::error::{Error, Result};
use crate::files::{write_atomic, write_atomic_with};
use crate::report::{Csv, Exporter, Json, Markdown, Report};
use crate::settings::{CheckedSettings, RunSettings};
use crate::sim::{simulate_logged, SimError, SimResult};
use crate::summary::reward_model;
use crate::trace::{self, Trace};
use std::path::{Path, PathBuf};

/// The traces of a run, loaded.
pub struct LoadedTraces {
    /// The traces concatenated in order.
    pub trace: Trace,
    /// How the report names them.
    pub names: Vec<String>,
    /// FNV-1a hash of the files' bytes in order, taken as they were read, when asked for
    /// (`None` for the embedded trace).
    pub hash: Option<String>,
}

/// Refuses a missing file or folder of the project's external data (`shared/data/`), naming
/// where it comes from rather than as a bare `No such file`; other paths are left to their
/// loader.
pub fn check_shared_present(paths: &[PathBuf]) -> Result<()> {
    let absent = |p: &&PathBuf| !p.exists() && crate::shared_data::source_of(p).is_some();
    match paths.iter().find(absent) {
        Some(path) => Err(Error::Unavailable { path: path.clone() }),
        None => Ok(()),
    }
}

/// Loads the settings' traces (concatenated in order), or the embedded default trace, each file
/// read once; with `fingerprint`, also hashing their bytes for the report.
pub fn load_traces(settings: &RunSettings, fingerprint: bool) -> Result<LoadedTraces> {
    if settings.traces.is_empty() {
        return Ok(LoadedTraces {
            trace: crate::embedded::trace()?,
            names: vec![crate::embedded::TRACE_NAME.to_owned()],
            hash: None,
        });
    }
    check_shared_present(&settings.traces)?;
    let names = settings
        .traces
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let (trace, hash) = if fingerprint {
        let (trace, hash) = trace::load_fingerprinted(&settings.traces)?;
        (trace, Some(format!("{hash:016x}")))
    } else {
        (trace::load_concatenated(&settings.traces)?, None)
    };
    Ok(LoadedTraces { trace, names, hash })
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
/// the traces' hash in the report and, when the run had a config, its text (as read for the
/// run) as `config.toml`, so a result can be traced to its inputs.
pub fn write_outputs(
    report: &Report,
    traces_hash: Option<&str>,
    config_text: Option<&str>,
    dir: &Path,
) -> Result<()> {
    let mut report = report.clone();
    if let Some(hash) = traces_hash {
        report.trace.hash = Some(hash.to_owned());
    }
    let exporters: [&dyn Exporter<Report>; 3] = [&Json, &Markdown, &Csv];
    write_all(dir, "results", &report, &exporters)?;
    if let Some(text) = config_text {
        let copy = dir.join("config.toml");
        write_atomic(&copy, text.as_bytes()).map_err(write_error(&copy))?;
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
        let text = exporter.render(doc).map_err(|source| Error::Unwritable {
            path: path.clone(),
            source,
        })?;
        write_atomic(&path, text.as_bytes()).map_err(write_error(&path))?;
    }
    Ok(())
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
