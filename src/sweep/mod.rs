//! Parameter sweeps: a run config with a `[sweep]` section expands into a grid of settings
//! (traces x alpha x lambda x mu x UCB constant x offloading cost), run in parallel on all cores
//! with results identical whatever the number of threads. A partial sweep (`--shard I/N`, or
//! `--points` naming grid points) writes one file per point as each finishes, so a stopped one
//! resumes where it stopped, and [`merge()`] joins the point files into the report a single run
//! gives.

pub mod merge;
mod points;
mod run;

pub use self::merge::{merge, MergeError};
pub use self::points::{PointList, Selection};
pub use self::run::{run_sweep, write_sweep_outputs, LoadedSweep, Plan};

use crate::config::{
    ConfigError, ConfigSections, PublishedSection, ReportSection, ResolveSettings, RunSettings,
};
use crate::error::{Error, Result};
use crate::grid::Axis;
use crate::report::Point;
use crate::sweep_grid::{Grid, Swept};
use crate::trace::synth::SynthSpec;
use std::path::Path;
use toml::Spanned;
/// A validated sweep: the grid (base settings, traces and axes) and what to report.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSettings {
    pub grid: Grid,
    /// A synthetic stream replayed instead of trace files (`sweep.synthetic`).
    pub synthetic: Option<SynthSpec>,
    /// The config file's text, recorded with the results.
    pub config_text: String,
    pub report: ReportSection,
    pub published: Option<PublishedSection>,
    /// Notes on how the settings were read, for standard error.
    pub notes: Vec<String>,
}

/// A slice `index` of `count` of the grid: the points whose index is `index` modulo `count`.
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

/// The values of a sweep axis, or `base`'s own value when the axis is absent. Each value goes
/// through the run's check ([`Swept::check`]); a refusal names the axis's config line.
fn axis_values(
    axis: &Option<Spanned<Axis>>,
    key: &'static str,
    sections: &ConfigSections,
    base: &RunSettings,
    swept: Swept,
) -> std::result::Result<Vec<f64>, ConfigError> {
    let Some(axis) = axis else {
        return Ok(vec![swept.base_value(base)]);
    };
    let invalid = |message: String| ConfigError::Invalid {
        origin: sections.origin(axis.span(), key),
        message,
    };
    let values = axis.get_ref().values().map_err(invalid)?;
    swept.check(base, &values).map_err(invalid)?;
    Ok(values)
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
        let synthetic = sweep.synthetic.as_ref();
        if let Some(spec) = synthetic.filter(|_| sweep.traces.is_some() || !base.traces.is_empty())
        {
            return Err(ConfigError::Invalid {
                origin: sections.origin(spec.span(), "sweep.synthetic"),
                message: "a synthetic stream replaces the trace files: drop trace.paths and \
                          sweep.traces (or sweep.synthetic)"
                    .into(),
            }
            .into());
        }
        let traces = match &sweep.traces {
            Some(list) => list
                .iter()
                .map(|p| vec![crate::config::normalise(&folder.join(p))])
                .collect(),
            None => vec![base.traces.clone()],
        };
        let axis = |axis, key, swept| axis_values(axis, key, &sections, &base, swept);
        let grid = Grid {
            traces,
            alpha: axis(&sweep.alpha, "sweep.alpha", Swept::Alpha)?,
            lambda: axis(&sweep.lambda, "sweep.lambda", Swept::Lambda)?,
            mu: axis(&sweep.mu, "sweep.mu", Swept::Mu)?,
            ucb_c: axis(&sweep.ucb_c, "sweep.ucb_c", Swept::UcbC)?,
            offload: axis(&sweep.offload, "sweep.offload", Swept::Offload)?,
            base,
        };
        let mut notes = sections.notes.clone();
        // The arrival rates are not an axis: a sweep point is a replay, whose report has no
        // queue; the simulator takes its list of rates itself.
        if sections.simulate.is_some() {
            notes.push(format!(
                "{}: the [simulate] section is not swept: a sweep replays the trace; `splitee \
                 simulate --config` (or `splitee reproduce`) serves its arrival rates",
                config.display()
            ));
        }
        Ok(Self {
            grid,
            synthetic: synthetic.map(|spec| spec.get_ref().clone()),
            report: sections.report.clone().unwrap_or_default(),
            published: sections.published.clone(),
            config_text: sections.text.clone(),
            notes,
        })
    }

    /// One JSON line per grid point of `indices`: its index, trace, swept values and the cost
    /// model they make (as a run's `costs:` line), for `sweep --list-points`.
    pub fn point_lines(&self, indices: &[usize]) -> Result<String> {
        /// A grid point as listed; the offloading cost is absent when given per split.
        #[derive(serde::Serialize)]
        struct Listed<'a> {
            index: usize,
            trace: Vec<String>,
            alpha: f64,
            lambda: f64,
            mu: f64,
            ucb_c: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            offload: Option<f64>,
            costs: &'a str,
        }
        let points = self.grid.points();
        let mut out = String::new();
        for &index in indices {
            let p = &points[index];
            let paths = &self.grid.traces[p.trace];
            let trace = if paths.is_empty() {
                vec![crate::embedded::TRACE_NAME.to_owned()]
            } else {
                paths
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect()
            };
            let costs = self.grid.settings_at(p).cost.to_string();
            let listed = Listed {
                index,
                trace,
                alpha: p.alpha,
                lambda: p.lambda,
                mu: p.mu,
                ucb_c: p.ucb_c,
                offload: (!p.offload.is_nan()).then_some(p.offload),
                costs: &costs,
            };
            out += &crate::json::to_string(&listed).map_err(|source| Error::Unwritable {
                path: "standard output".into(),
                source,
            })?;
            out.push('\n');
        }
        Ok(out)
    }

    /// The grid point the plots of `trace` focus on: the configured offloading cost (or the
    /// last one), at the first value of every other axis.
    pub fn focus_point(&self, points: &[Point], trace: usize) -> Option<usize> {
        let grid = &self.grid;
        let target = self
            .report
            .focus_offload
            .or_else(|| grid.offload.last().copied())?;
        let first = |axis: &[f64], v: f64| axis.first() == Some(&v);
        points
            .iter()
            .filter(|p| p.trace == trace)
            .filter(|p| first(&grid.alpha, p.alpha) && first(&grid.lambda, p.lambda))
            .filter(|p| first(&grid.mu, p.mu) && first(&grid.ucb_c, p.ucb_c))
            .min_by(|a, b| {
                let d = |p: &Point| (p.offload - target).abs();
                d(a).total_cmp(&d(b))
            })
            .map(|p| p.index)
    }
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
