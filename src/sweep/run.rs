//! Running a sweep: its traces loaded once, the chosen grid points run in parallel, and its
//! report written — whole, or one file per point as each finishes, so that a partial sweep
//! stopped midway resumes where it stopped.

use super::merge::first_difference;
use super::points::point_file;
use super::SweepSettings;
use crate::error::{Error, Result};
use crate::files::write_atomic;
use crate::frontier::fixed_arms;
use crate::report::sweep::read_report;
use crate::report::{CompactJson, Csv, CurvesCsv, Exporter, Markdown};
use crate::report::{Frontier, Point, PointResult, SweepReport, ToolInfo, TraceMeta};
use crate::run::{write_all, write_error, LoadedTraces};
use crate::trace::Trace;
use rayon::prelude::*;
use std::path::Path;

/// Writes a complete sweep's outputs into `dir`: `sweep.json`, `sweep.csv`, `sweep.md`,
/// `curves.csv` and the config it ran (`config.toml`).
pub fn write_sweep_outputs(sweep: &SweepReport, dir: &Path) -> Result<()> {
    write_all(dir, "sweep", sweep, &[&CompactJson, &Csv, &Markdown])?;
    write_all(dir, "curves", sweep, &[&CurvesCsv])?;
    let config = dir.join("config.toml");
    write_atomic(&config, sweep.config.as_bytes()).map_err(write_error(&config))
}

/// A partial sweep's point file that cannot be taken as done.
fn unusable(path: &Path, why: String) -> Error {
    Error::PointFile {
        path: path.to_path_buf(),
        why,
    }
}

/// A sweep with its traces loaded, ready to run (or to size a progress bar).
pub struct LoadedSweep<'a> {
    settings: &'a SweepSettings,
    traces: Vec<(Trace, Vec<String>)>,
    metas: Vec<TraceMeta>,
    points: Vec<Point>,
    /// Per trace, the grid point its plots focus on (whose file holds the trace's frontier).
    focus: Vec<Option<usize>>,
}

impl<'a> LoadedSweep<'a> {
    /// Loads every trace of the sweep once (or generates its synthetic stream).
    pub fn load(settings: &'a SweepSettings) -> Result<Self> {
        if let Some(spec) = &settings.synthetic {
            let trace = spec.trace()?;
            let synthetic = ((trace, vec![spec.command()]), "synthetic".to_owned());
            return Ok(Self::new(settings, vec![synthetic]));
        }
        let loaded: Vec<LoadedTraces> = settings
            .grid
            .traces
            .iter()
            .map(|paths| {
                let mut s = settings.grid.base.clone();
                s.traces = paths.clone();
                crate::run::load_traces(&s, true)
            })
            .collect::<Result<_>>()?;
        let traces = loaded
            .into_iter()
            .map(|l| {
                let hash = l.hash.unwrap_or_else(|| "embedded".into());
                ((l.trace, l.names), hash)
            })
            .collect();
        Ok(Self::new(settings, traces))
    }

    /// A sweep over traces already in memory (one per `settings.grid.traces` entry), e.g. synthetic
    /// ones for benchmarks; their hash reads "in-memory".
    pub fn with_traces(settings: &'a SweepSettings, traces: Vec<(Trace, Vec<String>)>) -> Self {
        let hashed = traces
            .into_iter()
            .map(|t| (t, "in-memory".to_owned()))
            .collect();
        Self::new(settings, hashed)
    }

    fn new(settings: &'a SweepSettings, traces: Vec<((Trace, Vec<String>), String)>) -> Self {
        // Segments keep their places in the stream only when samples are replayed in order.
        let in_order = settings.grid.base.sim.order == crate::sim::Order::Given;
        let metas = traces
            .iter()
            .map(|((trace, names), hash)| TraceMeta {
                paths: names.clone(),
                hash: hash.clone(),
                samples: trace.samples(),
                exits: trace.exits(),
                classes: trace.classes(),
                segment_starts: match trace.segment_starts() {
                    [_, later @ ..] if in_order => later.to_vec(),
                    _ => Vec::new(),
                },
            })
            .collect();
        let points = settings.grid.points();
        let focus = (0..traces.len())
            .map(|t| settings.focus_point(&points, t))
            .collect();
        Self {
            settings,
            traces: traces.into_iter().map(|(t, _)| t).collect(),
            metas,
            points,
            focus,
        }
    }

    /// The index of every grid point, for the whole sweep.
    pub fn all_points(&self) -> Vec<usize> {
        (0..self.points.len()).collect()
    }

    /// Number of points in the grid.
    pub fn grid_size(&self) -> usize {
        self.points.len()
    }

    /// Decisions the given grid points will make, for a progress bar.
    pub fn decisions(&self, indices: &[usize]) -> u64 {
        // Saturating: a count too large to replay is refused by the replay itself.
        let base = &self.settings.grid.base;
        let per_point = (base.sim.runs as u64).saturating_mul(base.policies.len() as u64);
        indices.iter().fold(0, |n: u64, &i| {
            let samples = self.traces[self.points[i].trace].0.samples() as u64;
            n.saturating_add(samples.saturating_mul(per_point))
        })
    }

    /// A report of this sweep holding `points` (and the frontiers computed with them).
    fn report(&self, mut points: Vec<PointResult>, mut frontiers: Vec<Frontier>) -> SweepReport {
        let settings = self.settings;
        points.sort_by_key(|p| p.point.index);
        frontiers.sort_by_key(|f| f.point);
        SweepReport {
            tool: ToolInfo::current(),
            config: settings.config_text.clone(),
            traces: self.metas.clone(),
            runs: settings.grid.base.sim.runs,
            seed: settings.grid.base.sim.seed,
            policies: settings
                .grid
                .base
                .policies
                .iter()
                .map(|p| p.to_string())
                .collect(),
            grid_size: self.points.len(),
            points,
            frontiers,
            report: settings.report.clone(),
            published: settings.published.clone(),
        }
    }

    /// Runs one grid point and, when its trace's plots focus on it, that trace's fixed arms.
    fn run_point(
        &self,
        index: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(PointResult, Option<Frontier>)> {
        let grid = &self.settings.grid;
        let point = &self.points[index];
        let traces: Vec<(&Trace, &[String])> = self
            .traces
            .iter()
            .map(|(trace, names)| (trace, names.as_slice()))
            .collect();
        let mut results = grid.run(&traces, &[point], progress)?;
        // One point in, one result out.
        let result = results.remove(0);
        if self.focus[point.trace] != Some(index) {
            return Ok((result, None));
        }
        let alphas = self
            .settings
            .report
            .pareto_alphas
            .clone()
            .unwrap_or_else(crate::arms::default_thresholds);
        let at = grid.settings_at(point);
        let trace = &self.traces[point.trace].0;
        let frontier = Frontier {
            point: index,
            arms: fixed_arms(trace, &at.cost, at.reward, &alphas)?,
        };
        Ok((result, Some(frontier)))
    }

    /// Runs the grid points `indices` in parallel, `visit`ing each result as it finishes.
    /// `progress` receives decision counts as runs finish.
    fn run_each(
        &self,
        indices: &[usize],
        progress: &(dyn Fn(u64) + Sync),
        visit: &(dyn Fn(&PointResult, Option<&Frontier>) -> Result<()> + Sync),
    ) -> Result<Vec<(PointResult, Option<Frontier>)>> {
        indices
            .par_iter()
            .map(|&i| {
                let (result, frontier) = self.run_point(i, progress)?;
                visit(&result, frontier.as_ref())?;
                Ok((result, frontier))
            })
            .collect()
    }

    /// A report of the results of `done`.
    fn report_of(&self, done: Vec<(PointResult, Option<Frontier>)>) -> SweepReport {
        let (points, frontiers): (Vec<_>, Vec<_>) = done.into_iter().unzip();
        self.report(points, frontiers.into_iter().flatten().collect())
    }

    /// Runs the grid points `indices` ([`Self::all_points`] for the whole sweep).
    pub fn run(&self, indices: &[usize], progress: &(dyn Fn(u64) + Sync)) -> Result<SweepReport> {
        Ok(self.report_of(self.run_each(indices, progress, &|_, _| Ok(()))?))
    }

    /// What a partial sweep into `dir` has to do for the grid points `indices`: with
    /// `skip_existing`, the points whose file is already there are done (each file checked to
    /// hold its point of this very sweep: one made with other settings is an error, never taken
    /// as done); the others are to run.
    pub fn plan(&self, indices: &[usize], dir: &Path, skip_existing: bool) -> Result<Plan> {
        let expected = self.report(Vec::new(), Vec::new());
        let mut plan = Plan::default();
        for &index in indices {
            let path = point_file(dir, index);
            if !(skip_existing && path.exists()) {
                plan.todo.push(index);
                continue;
            }
            let mut part = read_report(&path)?;
            if let Some(setting) = first_difference(&expected, &part) {
                return Err(unusable(&path, format!("made with different {setting}")));
            }
            match part.points.pop() {
                Some(result) if part.points.is_empty() && result.point.index == index => {
                    plan.done.push((result, part.frontiers.pop()));
                }
                _ => {
                    return Err(unusable(
                        &path,
                        format!("does not hold grid point {index} alone"),
                    ))
                }
            }
        }
        Ok(plan)
    }

    /// Runs the points `plan` has to run, writing each point's report to its own file in `dir`
    /// (`point-I.json`, atomically) as soon as it finishes, and reports them with those found
    /// done.
    pub fn run_into(
        &self,
        plan: Plan,
        dir: &Path,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<SweepReport> {
        std::fs::create_dir_all(dir).map_err(write_error(dir))?;
        let mut done = self.run_each(&plan.todo, progress, &|result, frontier| {
            let part = self.report(
                vec![result.clone()],
                frontier.into_iter().cloned().collect(),
            );
            let path = point_file(dir, result.point.index);
            let text = CompactJson
                .render(&part)
                .map_err(|source| Error::Unwritable {
                    path: path.clone(),
                    source,
                })?;
            write_atomic(&path, text.as_bytes()).map_err(write_error(&path))
        })?;
        done.extend(plan.done);
        Ok(self.report_of(done))
    }
}

/// The work of a partial sweep: the grid points to run, and those whose files say they are done.
#[derive(Default)]
pub struct Plan {
    pub todo: Vec<usize>,
    done: Vec<(PointResult, Option<Frontier>)>,
}

impl Plan {
    /// Number of points found done.
    pub fn skipped(&self) -> usize {
        self.done.len()
    }
}

/// Loads and runs a whole sweep in one call.
pub fn run_sweep(settings: &SweepSettings, progress: &(dyn Fn(u64) + Sync)) -> Result<SweepReport> {
    let loaded = LoadedSweep::load(settings)?;
    loaded.run(&loaded.all_points(), progress)
}
