//! `splitee run` as a library call: load the traces, tie the cost model to them, simulate every
//! policy, summarise, and write the requested outputs.

use crate::config::Overrides;
use crate::config::RunSettings;
use crate::error::{Error, Result};
use crate::report::{
    write_atomic, write_atomic_with, CompactJson, Csv, CurvesCsv, Exporter, Json, Markdown, Report,
};
use crate::reward::RewardModel;
use crate::sim::{simulate, SimResult};
use crate::sweep::{LoadedSweep, SweepReport, SweepSettings};
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

/// Runs every policy of `settings` on `trace`. `progress` receives decision counts as runs
/// finish.
pub fn run_on(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &RunSettings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput> {
    let costs = settings.cost.resolve(trace)?;
    let model = RewardModel::new(
        settings.alpha,
        costs,
        crate::cost::ReportedCost::Standard,
        settings.cost.linear_lambda().unwrap_or(0.0),
    )
    .with_kind(settings.reward);
    let sim = simulate(trace, &model, &settings.policies, &settings.sim, progress)?;
    let report = Report::new(trace, trace_names, settings, &sim);
    Ok(RunOutput { report, sim })
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes every recorded decision as JSON Lines (SPEC section 5), policy by policy, run by run.
pub fn write_decisions(sim: &SimResult, path: &Path) -> Result<()> {
    write_atomic_with(path, |out| {
        for metrics in sim.runs.iter().flatten() {
            for d in &metrics.log {
                serde_json::to_writer(&mut *out, d)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    })
    .map_err(write_error(path))
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
        report.trace.hash = Some(crate::sweep::hash_files(&settings.traces)?);
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

fn write_all<D: ?Sized>(
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

/// Writes a sweep's outputs into `dir`: a shard writes only `shard-I-of-N.json` (for
/// `splitee merge`); a complete sweep writes `sweep.json`, `sweep.csv`, `sweep.md`,
/// `curves.csv` and the config it ran (`config.toml`).
pub fn write_sweep_outputs(sweep: &SweepReport, dir: &Path) -> Result<()> {
    if let Some((index, count)) = sweep.shard {
        let name = format!("shard-{index}-of-{count}");
        return write_all(dir, &name, sweep, &[&CompactJson]);
    }
    write_all(dir, "sweep", sweep, &[&CompactJson, &Csv, &Markdown])?;
    write_all(dir, "curves", sweep, &[&CurvesCsv])?;
    let config = dir.join("config.toml");
    write_atomic(&config, sweep.config.as_bytes()).map_err(write_error(&config))
}

/// An experiment of `experiments/`, named by its file stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experiment {
    pub name: String,
    pub config: PathBuf,
    pub kind: ExperimentKind,
}

/// What an experiment's config runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExperimentKind {
    /// A grid of policy runs (a `[sweep]` section): [`reproduce`].
    Sweep,
    /// Networks to train (`[[networks]]` sections, `splitee train --config`): [`reproduce_study`].
    Study,
}

impl ExperimentKind {
    /// The kind a config's text declares by its sections, if any.
    fn of(config: &str) -> Option<Self> {
        config.lines().find_map(|line| match line.trim() {
            "[sweep]" => Some(Self::Sweep),
            "[[networks]]" => Some(Self::Study),
            _ => None,
        })
    }
}

/// The experiments in `dir` (every `*.toml` with a `[sweep]` or `[[networks]]` section), by
/// name.
pub fn experiments(dir: &Path) -> Result<Vec<Experiment>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Experiment {
        name: dir.display().to_string(),
        message: format!("cannot list experiments: {e}"),
    })?;
    let mut found: Vec<Experiment> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .filter_map(|config| {
            let kind = ExperimentKind::of(&std::fs::read_to_string(&config).ok()?)?;
            let name = config.file_stem()?.to_string_lossy().into_owned();
            Some(Experiment { name, config, kind })
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Why an experiment cannot run here: the first of its trace files that does not exist.
pub fn missing_trace(settings: &SweepSettings) -> Option<PathBuf> {
    settings
        .traces
        .iter()
        .flatten()
        .find(|p| !p.exists())
        .cloned()
}

/// Runs an experiment's sweep and writes its outputs and plots into `results/NAME/`.
/// `start` is told the number of decisions to come and returns the progress callback.
pub fn reproduce<'p>(
    experiment: &Experiment,
    results: &Path,
    start: &dyn Fn(u64) -> Box<dyn Fn(u64) + Sync + 'p>,
) -> Result<SweepReport> {
    let settings = SweepSettings::resolve(&experiment.config, Overrides::default())?;
    if let Some(missing) = missing_trace(&settings) {
        return Err(Error::Experiment {
            name: experiment.name.clone(),
            message: format!(
                "trace {} is not available (the README says how to convert published traces)",
                missing.display()
            ),
        });
    }
    let loaded = LoadedSweep::load(&settings)?;
    let advance = start(loaded.decisions(None));
    let report = loaded.run(None, &*advance)?;
    let dir = results.join(&experiment.name);
    write_sweep_outputs(&report, &dir)?;
    crate::plot::plot_sweep(&report, &dir)?;
    Ok(report)
}

/// Trains a study's networks (as `splitee train --config` does) and writes its report and
/// figures into `results/NAME/`; its traces and cost profiles go where its `[output]` section
/// says, since other experiments read them there.
pub fn reproduce_study(
    experiment: &Experiment,
    results: &Path,
    progress: &mut dyn crate::train::Progress,
) -> Result<crate::study::StudyReport> {
    let mut study = crate::study::Study::from_config(&experiment.config)?;
    if !study.data.path.exists() {
        return Err(Error::Experiment {
            name: experiment.name.clone(),
            message: format!("data folder {} is not available", study.data.path.display()),
        });
    }
    study.report = Some(results.join(&experiment.name));
    study.run(progress)
}
