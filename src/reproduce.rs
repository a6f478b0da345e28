//! The committed experiments: every config of `experiments/` that runs a sweep or a study,
//! regenerated into `results/NAME/` by `splitee reproduce`.

use crate::config::Overrides;
use crate::error::{Error, Result};
use crate::report::SweepReport;
use crate::sweep::{write_sweep_outputs, LoadedSweep, SweepSettings};
use std::path::{Path, PathBuf};

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
    /// Policies served through the queue simulator (a `[simulate]` section):
    /// [`reproduce_simulation`].
    Simulate,
}

impl ExperimentKind {
    /// The kind a config's text declares by its sections, if any.
    fn of(config: &str) -> Option<Self> {
        config.lines().find_map(|line| match line.trim() {
            "[sweep]" => Some(Self::Sweep),
            "[[networks]]" => Some(Self::Study),
            "[simulate]" => Some(Self::Simulate),
            _ => None,
        })
    }
}

/// The experiments in `dir` (every `*.toml` with a `[sweep]`, `[[networks]]` or `[simulate]`
/// section), by name.
pub fn experiments(dir: &Path) -> Result<Vec<Experiment>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Experiment {
        name: dir.display().to_string(),
        message: format!("cannot list experiments: {e}"),
    })?;
    let mut found: Vec<Experiment> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .filter_map(|config| {
            let kind = ExperimentKind::of(&crate::lines::read_text(&config).ok()?)?;
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
        .grid
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
            message: format!("trace {}", crate::shared_data::unavailable(&missing)),
        });
    }
    let loaded = LoadedSweep::load(&settings)?;
    let advance = start(loaded.decisions(&loaded.all_points()));
    let report = loaded.run(&loaded.all_points(), &*advance)?;
    let dir = results.join(&experiment.name);
    write_sweep_outputs(&report, &dir)?;
    crate::plot::plot_sweep(&report, &dir)?;
    Ok(report)
}

/// Runs an experiment's queue simulation and writes its report and plots into `results/NAME/`.
pub fn reproduce_simulation(
    experiment: &Experiment,
    results: &Path,
) -> Result<crate::report::queue::QueueReport> {
    use crate::config::{ResolveSettings, RunSettings};
    let (settings, sections) =
        RunSettings::resolve_with_sections(Some(&experiment.config), Overrides::default())?;
    if let Some(missing) = settings.traces.iter().find(|p| !p.exists()) {
        return Err(Error::Experiment {
            name: experiment.name.clone(),
            message: format!("trace {}", crate::shared_data::unavailable(missing)),
        });
    }
    let settings = settings.check()?;
    let loaded = crate::run::load_traces(&settings, false)?;
    let deployment = sections.simulate.clone().ok_or_else(|| Error::Experiment {
        name: experiment.name.clone(),
        message: "no [simulate] section".into(),
    })?;
    let report = crate::simulate::simulate_section(
        &loaded.trace,
        loaded.names,
        &settings,
        &deployment,
        &sections,
    )
    .map_err(|e| sections.locate(e))?;
    crate::simulate::write_outputs(&report, &results.join(&experiment.name))?;
    Ok(report)
}

/// Trains a study's networks (as `splitee train --config` does) and writes its report and
/// figures into `results/NAME/`; its traces and cost profiles go into `datasets` when given,
/// else where its `[output]` section says (other experiments read them there).
pub fn reproduce_study(
    experiment: &Experiment,
    results: &Path,
    datasets: Option<&Path>,
    progress: &mut dyn crate::train::Progress,
) -> Result<crate::study::StudyReport> {
    let mut study = crate::study::Study::from_config(&experiment.config)?;
    if !study.data.path.exists() {
        return Err(Error::Experiment {
            name: experiment.name.clone(),
            message: format!(
                "data folder {}",
                crate::shared_data::unavailable(&study.data.path)
            ),
        });
    }
    study.report = Some(results.join(&experiment.name));
    if let (Some(dir), Some((written, _))) = (datasets, study.datasets.as_mut()) {
        *written = dir.to_path_buf();
    }
    study.run(progress)
}

/// The experiments `name` asks for in `dir`: `all` of them, or the one so named (an error lists
/// those available).
pub fn select(dir: &Path, name: &str) -> Result<Vec<Experiment>> {
    let available = experiments(dir)?;
    if name == "all" {
        return Ok(available);
    }
    match available.iter().find(|e| e.name == name) {
        Some(found) => Ok(vec![found.clone()]),
        None => {
            let names: Vec<&str> = available.iter().map(|e| e.name.as_str()).collect();
            Err(Error::Experiment {
                name: name.to_owned(),
                message: format!(
                    "no such experiment in {} (available: {}, all)",
                    dir.display(),
                    names.join(", ")
                ),
            })
        }
    }
}

/// Reproduces each of `chosen` into `results/NAME/` (a study's traces into `datasets` when
/// given), telling `say` what was written (and, when `skip_unavailable`, what was skipped
/// because its data is not here). Returns how many ran.
pub fn reproduce_each<'p>(
    chosen: &[Experiment],
    results: &Path,
    datasets: Option<&Path>,
    skip_unavailable: bool,
    start: &dyn Fn(u64) -> Box<dyn Fn(u64) + Sync + 'p>,
    progress: &mut dyn crate::train::Progress,
    say: &mut dyn FnMut(String),
) -> Result<usize> {
    let mut ran = 0;
    for experiment in chosen {
        let outcome = match experiment.kind {
            ExperimentKind::Sweep => reproduce(experiment, results, start).map(drop),
            ExperimentKind::Study => {
                reproduce_study(experiment, results, datasets, progress).map(drop)
            }
            ExperimentKind::Simulate => reproduce_simulation(experiment, results).map(drop),
        };
        match outcome {
            Ok(()) => {
                ran += 1;
                let dir = results.join(&experiment.name);
                say(format!("{}: wrote {}", experiment.name, dir.display()));
            }
            Err(e @ Error::Experiment { .. }) if skip_unavailable => say(format!("skipping {e}")),
            Err(e) => return Err(e),
        }
    }
    Ok(ran)
}
