//! Parameter sweeps: a run config with a `[sweep]` section expands into a grid of settings
//! (traces x alpha x lambda x mu x UCB constant x offloading cost), run in parallel on all cores
//! with results identical whatever the number of threads. `--shard I/N` runs a deterministic
//! slice of the grid and [`merge()`] joins shard outputs into the report a single run gives.

pub mod merge;
mod run;

pub use self::merge::{merge, MergeError};
pub use self::run::{run_sweep, write_sweep_outputs, LoadedSweep};

use crate::config::{
    ConfigError, ConfigSections, PublishedSection, ReportSection, ResolveSettings, RunSettings,
};
use crate::cost::{OffloadCost, ProcessingCost};
use crate::error::Result;
use crate::grid::Axis;
use crate::report::Point;
use std::path::{Path, PathBuf};
use toml::Spanned;
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
    /// Notes on how the settings were read, for standard error.
    pub notes: Vec<String>,
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

/// The values of a sweep axis, or `base`'s own value when the axis is absent. Each value is set
/// into the base settings by `set` and goes through the run's check
/// ([`RunSettings::check_ref`]): a swept value obeys the same rule as the value it replaces, and a
/// refusal names the axis.
fn axis_values(
    axis: &Option<Spanned<Axis>>,
    key: &'static str,
    sections: &ConfigSections,
    base: &RunSettings,
    base_value: f64,
    set: Set,
) -> std::result::Result<Vec<f64>, ConfigError> {
    let Some(axis) = axis else {
        return Ok(vec![base_value]);
    };
    let invalid = |message: String| ConfigError::Invalid {
        origin: sections.origin(axis.span(), key),
        message,
    };
    let values = axis.get_ref().values().map_err(invalid)?;
    for &v in &values {
        let mut settings = base.clone();
        set(&mut settings, v).map_err(invalid)?;
        settings.check_ref().map_err(|e| invalid(e.message))?;
    }
    Ok(values)
}

/// Sets a swept value into run settings; an error when the settings have no such value.
type Set = fn(&mut RunSettings, f64) -> std::result::Result<(), String>;

fn set_alpha(s: &mut RunSettings, alpha: f64) -> std::result::Result<(), String> {
    s.alpha = alpha;
    Ok(())
}

fn set_lambda(s: &mut RunSettings, value: f64) -> std::result::Result<(), String> {
    match &mut s.cost.processing {
        ProcessingCost::Linear { lambda, .. } => {
            *lambda = value;
            Ok(())
        }
        _ => Err("sweeping lambda needs the linear cost model".into()),
    }
}

fn set_mu(s: &mut RunSettings, mu: f64) -> std::result::Result<(), String> {
    s.cost.mu = mu;
    Ok(())
}

fn set_ucb_c(s: &mut RunSettings, ucb_c: f64) -> std::result::Result<(), String> {
    s.sim.ucb_c = ucb_c;
    Ok(())
}

fn set_offload(s: &mut RunSettings, offload: f64) -> std::result::Result<(), String> {
    if let ProcessingCost::Profile(_) = s.cost.processing {
        return Err(
            "sweeping o has no effect under the profile cost model, which derives \
                    off(k) from the profile's bytes and MACs"
                .into(),
        );
    }
    s.cost.offload = OffloadCost::Constant(offload);
    Ok(())
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
        // A per-split offload list is kept unless the offloading cost is swept (NaN marks it).
        let base_offload = match base.cost.offload {
            OffloadCost::Constant(o) => o,
            OffloadCost::PerSplit(_) => f64::NAN,
        };
        let axis =
            |axis, key, base_value, set| axis_values(axis, key, &sections, &base, base_value, set);
        Ok(Self {
            traces,
            alpha: axis(&sweep.alpha, "sweep.alpha", base.alpha, set_alpha)?,
            lambda: axis(
                &sweep.lambda,
                "sweep.lambda",
                base.cost.linear_lambda().unwrap_or(0.0),
                set_lambda,
            )?,
            mu: axis(&sweep.mu, "sweep.mu", base.cost.mu, set_mu)?,
            ucb_c: axis(&sweep.ucb_c, "sweep.ucb_c", base.sim.ucb_c, set_ucb_c)?,
            offload: axis(&sweep.offload, "sweep.offload", base_offload, set_offload)?,
            report: sections.report.clone().unwrap_or_default(),
            published: sections.published.clone(),
            config_text: sections.text.clone(),
            notes: sections.notes.clone(),
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
        let mut swept: Vec<(Set, f64)> = vec![
            (set_alpha, point.alpha),
            (set_lambda, point.lambda),
            (set_mu, point.mu),
            (set_ucb_c, point.ucb_c),
        ];
        // NaN: the base's per-split offloading costs, not swept.
        if !point.offload.is_nan() {
            swept.push((set_offload, point.offload));
        }
        for (set, value) in swept {
            // Refused only where the base has no such value: the lambda of a model that is not
            // linear, whose axis is the placeholder 0.
            let _ = set(&mut s, value);
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
