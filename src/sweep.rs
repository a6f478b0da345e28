//! Parameter sweeps: a run config with a `[sweep]` section expands into a grid of settings
//! (traces x alpha x lambda x mu x UCB constant x offloading cost), run in parallel on all cores
//! with results identical whatever the number of threads. `--shard I/N` runs a deterministic
//! slice of the grid and [`merge`] joins shard outputs into the report a single run gives.

use crate::config::{ConfigError, ConfigSections, ResolveSettings, RunSettings};
use crate::cost::{OffloadCost, ProcessingCost};
use crate::error::{Error, Result};
use crate::experiment::run_on;
use crate::frontier::{fixed_arms, FixedArm};
use crate::grid::Axis;
use crate::report::{PolicyResult, ToolInfo};
use crate::trace::{self, Trace};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The `[sweep]` section of a config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Traces swept over, each run separately (relative to the config file).
    pub traces: Option<Vec<PathBuf>>,
    pub alpha: Option<Spanned<Axis>>,
    pub lambda: Option<Spanned<Axis>>,
    pub mu: Option<Spanned<Axis>>,
    pub ucb_c: Option<Spanned<Axis>>,
    pub offload: Option<Spanned<Axis>>,
}

/// The `[report]` section: what the plots of a sweep focus on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// The offloading cost whose grid point the regret, arm-timeline and Pareto plots show
    /// (default: the last one swept).
    pub focus_offload: Option<f64>,
    /// Thresholds of the fixed (split, alpha) arms in the Pareto plot (default 0.50 to 0.95 by
    /// 0.05).
    pub pareto_alphas: Option<Vec<f64>>,
    /// Policies drawn in the regret plot (default: all).
    pub regret_policies: Option<Vec<String>>,
    /// Policies drawn in the accuracy and cost plots (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plot_policies: Option<Vec<String>>,
    /// Points kept per regret curve and arm timeline (default 200; fewer keep a sweep of many
    /// policies small on disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_points: Option<usize>,
}

/// Published numbers to show beside ours, per policy and offloading cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedSection {
    /// Where the numbers come from.
    pub source: String,
    pub offload: Vec<f64>,
    /// Per policy name: accuracy in % at each `offload`.
    #[serde(default)]
    pub accuracy: std::collections::BTreeMap<String, Vec<f64>>,
    /// Per policy name: cost per sample at each `offload`.
    #[serde(default)]
    pub cost_per_sample: std::collections::BTreeMap<String, Vec<f64>>,
}

/// A validated sweep: base settings, the grid, and what to report.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSettings {
    pub base: RunSettings,
    /// The config file's text, recorded with the results.
    pub config_text: String,
    /// Each entry is one trace (a concatenation of files).
    pub traces: Vec<Vec<PathBuf>>,
    pub alpha: Vec<f64>,
    pub lambda: Vec<f64>,
    pub mu: Vec<f64>,
    pub ucb_c: Vec<f64>,
    pub offload: Vec<f64>,
    pub report: ReportSection,
    pub published: Option<PublishedSection>,
}

/// One grid point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Position in the full grid (shards keep it).
    pub index: usize,
    /// Index into [`SweepReport::traces`].
    pub trace: usize,
    pub alpha: f64,
    pub lambda: f64,
    pub mu: f64,
    pub ucb_c: f64,
    pub offload: f64,
}

/// What a trace was, so a result can be traced to its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceMeta {
    pub paths: Vec<String>,
    /// FNV-1a 64-bit hash of the files' bytes, in order.
    pub hash: String,
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
}

/// One grid point's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    pub point: Point,
    /// 1-based best fixed arm in hindsight.
    pub best_arm: usize,
    pub arm_mean_rewards: Vec<f64>,
    pub results: Vec<PolicyResult>,
}

/// Fixed arms of one trace at the focus point, for the Pareto plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frontier {
    /// Index of the grid point whose costs the arms were evaluated with.
    pub point: usize,
    pub arms: Vec<FixedArm>,
}

/// Everything a sweep produced. A merged set of shards equals the unsharded report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub tool: ToolInfo,
    /// The config file's text, verbatim.
    pub config: String,
    pub traces: Vec<TraceMeta>,
    pub runs: usize,
    pub seed: u64,
    pub policies: Vec<String>,
    /// Number of points in the full grid.
    pub grid_size: usize,
    /// `(index, count)` of this shard; `None` for a complete sweep.
    pub shard: Option<(usize, usize)>,
    pub points: Vec<PointResult>,
    /// Per trace, computed by the shard holding that trace's focus point.
    pub frontiers: Vec<Frontier>,
    pub report: ReportSection,
    pub published: Option<PublishedSection>,
}

/// A slice `index` of `count` of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parse = |(i, n): (&str, &str)| Some((i.parse().ok()?, n.parse().ok()?));
        match s.split_once('/').and_then(parse) {
            Some((index, count)) if count >= 1 && index < count => Ok(Shard { index, count }),
            _ => Err(format!("`{s}`: a shard is I/N with 0 <= I < N, e.g. 0/3")),
        }
    }
}

/// The values of a sweep axis (or `base` when the axis is absent), each checked by `valid`.
fn axis_values(
    axis: &Option<Spanned<Axis>>,
    key: &'static str,
    sections: &ConfigSections,
    base: f64,
    valid: impl Fn(f64) -> std::result::Result<(), String>,
) -> std::result::Result<Vec<f64>, ConfigError> {
    let Some(axis) = axis else {
        return Ok(vec![base]);
    };
    let invalid = |message: String| ConfigError::Invalid {
        origin: sections.origin(axis.span(), key),
        message,
    };
    let values = axis.get_ref().values().map_err(invalid)?;
    for &v in &values {
        valid(v).map_err(invalid)?;
    }
    Ok(values)
}

fn non_negative(v: f64) -> std::result::Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{v} is not a finite value >= 0"))
    }
}

impl SweepSettings {
    /// Reads a config with a `[sweep]` section (and optional `[report]` and `[published]`).
    pub fn resolve(config: &Path, overrides: crate::config::Overrides) -> Result<Self> {
        let (mut base, sections) = RunSettings::resolve_with_sections(Some(config), overrides)?;
        let sweep = sections.sweep.clone().unwrap_or_default();
        if let Some(points) = sections.report.as_ref().and_then(|r| r.curve_points) {
            base.sim.curve_points = points;
        }
        let folder = config.parent().unwrap_or(Path::new(""));
        let traces = match &sweep.traces {
            Some(list) => list
                .iter()
                .map(|p| vec![crate::config::normalise(&folder.join(p))])
                .collect(),
            None => vec![base.traces.clone()],
        };
        let lambda_base = base.cost.linear_lambda();
        let lambda_valid = |v: f64| match lambda_base {
            Some(_) => non_negative(v),
            None => Err("sweeping lambda needs the linear cost model".into()),
        };
        // A per-split offload list is kept unless the offloading cost is swept (NaN marks it).
        let base_offload = match base.cost.offload {
            OffloadCost::Constant(o) => o,
            OffloadCost::PerSplit(_) => f64::NAN,
        };
        let alpha_valid = |a: f64| {
            if a > 0.0 && a <= 1.0 {
                Ok(())
            } else {
                Err(format!("alpha must be in (0, 1], got {a}"))
            }
        };
        Ok(Self {
            traces,
            alpha: axis_values(
                &sweep.alpha,
                "sweep.alpha",
                &sections,
                base.alpha,
                alpha_valid,
            )?,
            lambda: axis_values(
                &sweep.lambda,
                "sweep.lambda",
                &sections,
                lambda_base.unwrap_or(0.0),
                lambda_valid,
            )?,
            mu: axis_values(&sweep.mu, "sweep.mu", &sections, base.cost.mu, non_negative)?,
            ucb_c: axis_values(
                &sweep.ucb_c,
                "sweep.ucb_c",
                &sections,
                base.sim.ucb_c,
                non_negative,
            )?,
            offload: axis_values(
                &sweep.offload,
                "sweep.offload",
                &sections,
                base_offload,
                |o| {
                    if o.is_nan() {
                        Ok(())
                    } else {
                        non_negative(o)
                    }
                },
            )?,
            report: sections.report.clone().unwrap_or_default(),
            published: sections.published.clone(),
            config_text: sections.text.clone(),
            base,
        })
    }

    /// Every grid point, in a fixed order (offloading cost varies fastest).
    pub fn points(&self) -> Vec<Point> {
        let mut points = Vec::new();
        for trace in 0..self.traces.len() {
            for &alpha in &self.alpha {
                for &lambda in &self.lambda {
                    for &mu in &self.mu {
                        for &ucb_c in &self.ucb_c {
                            for &offload in &self.offload {
                                points.push(Point {
                                    index: points.len(),
                                    trace,
                                    alpha,
                                    lambda,
                                    mu,
                                    ucb_c,
                                    offload,
                                });
                            }
                        }
                    }
                }
            }
        }
        points
    }

    /// The run settings of one grid point.
    pub fn settings_at(&self, point: &Point) -> RunSettings {
        let mut s = self.base.clone();
        s.traces = self.traces[point.trace].clone();
        s.alpha = point.alpha;
        s.sim.ucb_c = point.ucb_c;
        s.cost.mu = point.mu;
        if let ProcessingCost::Linear { lambda, .. } = &mut s.cost.processing {
            *lambda = point.lambda;
        }
        if !point.offload.is_nan() {
            s.cost.offload = OffloadCost::Constant(point.offload);
        }
        s
    }

    /// The grid point the plots of `trace` focus on: the configured offloading cost (or the
    /// last one), at the first value of every other axis.
    pub fn focus_point(&self, points: &[Point], trace: usize) -> Option<usize> {
        let target = self
            .report
            .focus_offload
            .or_else(|| self.offload.last().copied())?;
        let first = |axis: &[f64], v: f64| axis.first() == Some(&v);
        points
            .iter()
            .filter(|p| p.trace == trace)
            .filter(|p| first(&self.alpha, p.alpha) && first(&self.lambda, p.lambda))
            .filter(|p| first(&self.mu, p.mu) && first(&self.ucb_c, p.ucb_c))
            .min_by(|a, b| {
                let d = |p: &Point| (p.offload - target).abs();
                d(a).total_cmp(&d(b))
            })
            .map(|p| p.index)
    }
}

/// FNV-1a over the files' bytes: a cheap fingerprint tying a result to its inputs.
pub fn hash_files(paths: &[PathBuf]) -> Result<String> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in paths {
        let bytes = std::fs::read(p).map_err(|e| trace::TraceError::io(p, &e))?;
        for b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{h:016x}"))
}

/// A sweep with its traces loaded, ready to run (or to size a progress bar).
pub struct LoadedSweep<'a> {
    settings: &'a SweepSettings,
    traces: Vec<(Trace, Vec<String>)>,
    metas: Vec<TraceMeta>,
    points: Vec<Point>,
}

impl<'a> LoadedSweep<'a> {
    /// Loads every trace of the sweep once.
    pub fn load(settings: &'a SweepSettings) -> Result<Self> {
        let traces: Vec<(Trace, Vec<String>)> = settings
            .traces
            .iter()
            .map(|paths| {
                let mut s = settings.base.clone();
                s.traces = paths.clone();
                crate::experiment::load_traces(&s)
            })
            .collect::<Result<_>>()?;
        let metas = settings
            .traces
            .iter()
            .zip(&traces)
            .map(|(paths, (trace, names))| {
                Ok(TraceMeta {
                    paths: names.clone(),
                    hash: if paths.is_empty() {
                        "embedded".into()
                    } else {
                        hash_files(paths)?
                    },
                    samples: trace.samples(),
                    exits: trace.exits(),
                    classes: trace.classes(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            settings,
            traces,
            metas,
            points: settings.points(),
        })
    }

    /// A sweep over traces already in memory (one per `settings.traces` entry), e.g. synthetic
    /// ones for benchmarks; their hash reads "in-memory".
    pub fn with_traces(settings: &'a SweepSettings, traces: Vec<(Trace, Vec<String>)>) -> Self {
        let metas = traces
            .iter()
            .map(|(trace, names)| TraceMeta {
                paths: names.clone(),
                hash: "in-memory".into(),
                samples: trace.samples(),
                exits: trace.exits(),
                classes: trace.classes(),
            })
            .collect();
        Self {
            settings,
            traces,
            metas,
            points: settings.points(),
        }
    }

    fn in_shard(shard: Option<Shard>, point: &Point) -> bool {
        shard.is_none_or(|s| point.index % s.count == s.index)
    }

    /// Decisions the sweep (or shard) will make, for a progress bar.
    pub fn decisions(&self, shard: Option<Shard>) -> u64 {
        let per_trace = |p: &Point| self.traces[p.trace].0.samples() as u64;
        let per_point = (self.settings.base.sim.runs * self.settings.base.policies.len()) as u64;
        self.points
            .iter()
            .filter(|p| Self::in_shard(shard, p))
            .map(|p| per_trace(p) * per_point)
            .sum()
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
        let results = mine
            .into_par_iter()
            .map(|point| {
                let (trace, names) = &self.traces[point.trace];
                let out = run_on(trace, names.clone(), &settings.settings_at(point), progress)?;
                Ok(PointResult {
                    point: point.clone(),
                    best_arm: out.report.best_arm,
                    arm_mean_rewards: out.report.arm_mean_rewards,
                    results: out.report.results,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let alphas = settings
            .report
            .pareto_alphas
            .clone()
            .unwrap_or_else(|| (0..10).map(|i| 0.5 + 0.05 * i as f64).collect());
        let mut frontiers = Vec::new();
        for (t, (trace, _)) in self.traces.iter().enumerate() {
            let Some(focus) = settings.focus_point(&self.points, t) else {
                continue;
            };
            if Self::in_shard(shard, &self.points[focus]) {
                let cost = settings.settings_at(&self.points[focus]).cost;
                frontiers.push(Frontier {
                    point: focus,
                    arms: fixed_arms(trace, &cost, &alphas)?,
                });
            }
        }

        Ok(SweepReport {
            tool: ToolInfo::current(),
            config: settings.config_text.clone(),
            traces: self.metas.clone(),
            runs: settings.base.sim.runs,
            seed: settings.base.sim.seed,
            policies: settings
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

/// A set of shard reports that cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot merge: {0}")]
pub struct MergeError(pub String);

/// Joins the reports of all shards of one sweep into the report an unsharded run gives.
pub fn merge(shards: Vec<SweepReport>) -> std::result::Result<SweepReport, MergeError> {
    let mut shards = shards.into_iter();
    let mut merged = shards
        .next()
        .ok_or_else(|| MergeError("no shard given".into()))?;
    let count = merged.shard.map_or(1, |(_, n)| n);
    let mut seen = vec![false; count];
    let mark = |seen: &mut Vec<bool>, report: &SweepReport| match report.shard {
        Some((i, n)) if n == count && !seen[i] => {
            seen[i] = true;
            Ok(())
        }
        Some((i, n)) => Err(MergeError(format!(
            "shard {i}/{n} is a duplicate or from a {n}-way split, not {count}"
        ))),
        None => Err(MergeError("a complete sweep is not a shard".into())),
    };
    mark(&mut seen, &merged)?;
    for report in shards {
        mark(&mut seen, &report)?;
        let same = report.config == merged.config
            && report.traces == merged.traces
            && report.tool == merged.tool
            && report.grid_size == merged.grid_size;
        if !same {
            return Err(MergeError(
                "shards come from different configs, traces or tool versions".into(),
            ));
        }
        merged.points.extend(report.points);
        merged.frontiers.extend(report.frontiers);
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(MergeError(format!("shard {missing}/{count} is missing")));
    }
    merged.points.sort_by_key(|p| p.point.index);
    merged.frontiers.sort_by_key(|f| f.point);
    merged.shard = None;
    Ok(merged)
}

/// Reads a sweep report written by [`crate::experiment`]'s exporters.
pub fn read_report(path: &Path) -> Result<SweepReport> {
    let text = std::fs::read_to_string(path).map_err(|e| trace::TraceError::io(path, &e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Trace(trace::TraceError::file(
            path,
            format!("not a sweep report: {e}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_rounded() {
        let r = Axis::Range {
            start: 0.1,
            stop: 0.6,
            step: 0.05,
        };
        let v = r.values().unwrap();
        assert_eq!(v.len(), 11);
        assert_eq!(v[2], 0.2);
        assert_eq!(v[10], 0.6);
        assert!(Axis::Range {
            start: 1.0,
            stop: 0.0,
            step: 0.1
        }
        .values()
        .is_err());
        assert!(Axis::List(vec![]).values().is_err());
        // A span too wide to count is an error, not an overflow.
        let huge = Axis::Range {
            start: -1e308,
            stop: 1e308,
            step: 1.0,
        };
        assert!(huge
            .values()
            .unwrap_err()
            .contains("more than a sweep should hold"));
    }

    #[test]
    fn shards_parse() {
        assert_eq!("1/3".parse::<Shard>(), Ok(Shard { index: 1, count: 3 }));
        assert!("3/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
