//! Running a sweep: its traces loaded once, every grid point of a shard run in parallel, and
//! its report written.

use super::{Shard, SweepSettings};
use crate::error::Result;
use crate::files::write_atomic;
use crate::frontier::fixed_arms;
use crate::report::{CompactJson, Csv, CurvesCsv, Markdown};
use crate::report::{Frontier, Point, SweepReport, ToolInfo, TraceMeta};
use crate::run::{write_all, write_error, LoadedTraces};
use crate::trace::Trace;
use std::path::Path;

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

/// A sweep with its traces loaded, ready to run (or to size a progress bar).
pub struct LoadedSweep<'a> {
    settings: &'a SweepSettings,
    traces: Vec<(Trace, Vec<String>)>,
    metas: Vec<TraceMeta>,
    points: Vec<Point>,
}

impl<'a> LoadedSweep<'a> {
    /// Loads every trace of the sweep once (or generates its synthetic stream).
    pub fn load(settings: &'a SweepSettings) -> Result<Self> {
        if let Some(spec) = &settings.synthetic {
            let trace = spec.trace()?;
            return Ok(Self::in_memory(
                settings,
                vec![(trace, vec![spec.command()])],
                "synthetic",
            ));
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
        let metas = loaded
            .iter()
            .map(|l| TraceMeta {
                paths: l.names.clone(),
                hash: l.hash.clone().unwrap_or_else(|| "embedded".into()),
                samples: l.trace.samples(),
                exits: l.trace.exits(),
                classes: l.trace.classes(),
            })
            .collect();
        let traces = loaded.into_iter().map(|l| (l.trace, l.names)).collect();
        Ok(Self {
            settings,
            traces,
            metas,
            points: settings.grid.points(),
        })
    }

    /// A sweep over traces already in memory (one per `settings.grid.traces` entry), e.g. synthetic
    /// ones for benchmarks; their hash reads "in-memory".
    pub fn with_traces(settings: &'a SweepSettings, traces: Vec<(Trace, Vec<String>)>) -> Self {
        Self::in_memory(settings, traces, "in-memory")
    }

    /// A sweep over `traces`, whose hash reads `hash`.
    fn in_memory(
        settings: &'a SweepSettings,
        traces: Vec<(Trace, Vec<String>)>,
        hash: &str,
    ) -> Self {
        let metas = traces
            .iter()
            .map(|(trace, names)| TraceMeta {
                paths: names.clone(),
                hash: hash.into(),
                samples: trace.samples(),
                exits: trace.exits(),
                classes: trace.classes(),
            })
            .collect();
        Self {
            settings,
            traces,
            metas,
            points: settings.grid.points(),
        }
    }

    fn in_shard(shard: Option<Shard>, point: &Point) -> bool {
        shard.is_none_or(|s| point.index % s.count == s.index)
    }

    /// Decisions the sweep (or shard) will make, for a progress bar.
    pub fn decisions(&self, shard: Option<Shard>) -> u64 {
        let per_trace = |p: &Point| self.traces[p.trace].0.samples() as u64;
        // Saturating: a count too large to replay is refused by the replay itself.
        let base = &self.settings.grid.base;
        let per_point = (base.sim.runs as u64).saturating_mul(base.policies.len() as u64);
        self.points
            .iter()
            .filter(|p| Self::in_shard(shard, p))
            .fold(0, |n: u64, p| {
                n.saturating_add(per_trace(p).saturating_mul(per_point))
            })
    }

    /// Runs the sweep (or one shard of it), grid points in parallel. `progress` receives
    /// decision counts as runs finish.
    pub fn run(
        &self,
        shard: Option<Shard>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<SweepReport> {
        let settings = self.settings;
        let mine: Vec<&Point> = self
            .points
            .iter()
            .filter(|p| Self::in_shard(shard, p))
            .collect();
        let traces: Vec<(&Trace, &[String])> = self
            .traces
            .iter()
            .map(|(trace, names)| (trace, names.as_slice()))
            .collect();
        let results = settings.grid.run(&traces, &mine, progress)?;

        let alphas = settings
            .report
            .pareto_alphas
            .clone()
            .unwrap_or_else(crate::arms::default_thresholds);
        let mut frontiers = Vec::new();
        for (t, (trace, _)) in self.traces.iter().enumerate() {
            let Some(focus) = settings.focus_point(&self.points, t) else {
                continue;
            };
            if Self::in_shard(shard, &self.points[focus]) {
                let at = settings.grid.settings_at(&self.points[focus]);
                frontiers.push(Frontier {
                    point: focus,
                    arms: fixed_arms(trace, &at.cost, at.reward, &alphas)?,
                });
            }
        }

        Ok(SweepReport {
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
            shard: shard.map(|s| (s.index, s.count)),
            points: results,
            frontiers,
            report: settings.report.clone(),
            published: settings.published.clone(),
        })
    }
}

/// Loads and runs a sweep (or one shard) in one call.
pub fn run_sweep(
    settings: &SweepSettings,
    shard: Option<Shard>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SweepReport> {
    LoadedSweep::load(settings)?.run(shard, progress)
}
