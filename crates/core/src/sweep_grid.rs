//! Sweep grids: base settings and the values of each swept parameter (traces x alpha x lambda
//! x mu x UCB constant x offloading cost), expanded into points in a fixed order (offloading
//! cost fastest), each point's settings, and points run in parallel with results identical
//! whatever the number of threads. Config files, shards and reports of sweeps are the
//! experiment layer's; the Python package sweeps grids given as dicts.

use crate::cost::{CostModel, OffloadCost, ProcessingCost};
use crate::settings::RunSettings;
use crate::summary::PolicyResult;
use crate::trace::Trace;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One grid point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Position in the full grid (shards keep it).
    pub index: usize,
    /// Index into the grid's traces ([`Grid::traces`]).
    pub trace: usize,
    pub alpha: f64,
    pub lambda: f64,
    pub mu: f64,
    pub ucb_c: f64,
    pub offload: f64,
}

/// One grid point's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    pub point: Point,
    /// The cost model the point ran with and its numbers, so that points (and sweeps) whose
    /// costs differ can be told apart.
    pub cost: CostModel,
    /// 1-based best fixed arm in hindsight.
    pub best_arm: usize,
    pub arm_mean_rewards: Vec<f64>,
    pub results: Vec<PolicyResult>,
}

/// A swept parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swept {
    Alpha,
    Lambda,
    Mu,
    UcbC,
    Offload,
}

impl Swept {
    /// Sets `value` into `settings`; an error when the settings have no such value (lambda of
    /// a cost model that is not linear).
    pub fn set(self, settings: &mut RunSettings, value: f64) -> Result<(), String> {
        match self {
            Swept::Alpha => settings.alpha = value,
            Swept::Lambda => match &mut settings.cost.processing {
                ProcessingCost::Linear { lambda, .. } => *lambda = value,
                _ => return Err("sweeping lambda needs the linear cost model".into()),
            },
            Swept::Mu => settings.cost.mu = value,
            Swept::UcbC => settings.sim.ucb_c = value,
            Swept::Offload => match settings.cost.processing {
                ProcessingCost::Profile(_) => {
                    return Err(
                        "sweeping o has no effect under the profile cost model, which \
                                derives off(k) from the profile's bytes and MACs"
                            .into(),
                    )
                }
                _ => settings.cost.offload = OffloadCost::Constant(value),
            },
        }
        Ok(())
    }

    /// The value of `settings` an absent axis keeps: lambda is 0 for a cost model that is not
    /// linear, and the offloading cost NaN when it is given per split (then it is not set).
    pub fn base_value(self, settings: &RunSettings) -> f64 {
        match self {
            Swept::Alpha => settings.alpha,
            Swept::Lambda => settings.cost.linear_lambda().unwrap_or(0.0),
            Swept::Mu => settings.cost.mu,
            Swept::UcbC => settings.sim.ucb_c,
            Swept::Offload => match settings.cost.offload {
                OffloadCost::Constant(o) => o,
                OffloadCost::PerSplit(_) => f64::NAN,
            },
        }
    }

    /// Checks each of `values` set into `base` by the run's rules
    /// ([`RunSettings::check_ref`]): a swept value obeys the rule of the value it replaces.
    pub fn check(self, base: &RunSettings, values: &[f64]) -> Result<(), String> {
        for &value in values {
            let mut settings = base.clone();
            self.set(&mut settings, value)?;
            settings.check_ref().map_err(|e| e.message)?;
        }
        Ok(())
    }
}

/// A sweep's grid: base settings, its traces, and the values of every axis (the base's own
/// value when the axis is not swept).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub base: RunSettings,
    /// Each entry is one trace (a concatenation of files; empty for a trace given in memory).
    pub traces: Vec<Vec<PathBuf>>,
    pub alpha: Vec<f64>,
    pub lambda: Vec<f64>,
    pub mu: Vec<f64>,
    pub ucb_c: Vec<f64>,
    pub offload: Vec<f64>,
}

impl Grid {
    /// The grid of one point: `base` on `traces`, every axis at the base's value.
    pub fn new(base: RunSettings, traces: Vec<Vec<PathBuf>>) -> Self {
        let at = |swept: Swept| vec![swept.base_value(&base)];
        Self {
            alpha: at(Swept::Alpha),
            lambda: at(Swept::Lambda),
            mu: at(Swept::Mu),
            ucb_c: at(Swept::UcbC),
            offload: at(Swept::Offload),
            base,
            traces,
        }
    }

    /// The values of an axis.
    pub fn axis_mut(&mut self, swept: Swept) -> &mut Vec<f64> {
        match swept {
            Swept::Alpha => &mut self.alpha,
            Swept::Lambda => &mut self.lambda,
            Swept::Mu => &mut self.mu,
            Swept::UcbC => &mut self.ucb_c,
            Swept::Offload => &mut self.offload,
        }
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
        let mut swept = vec![
            (Swept::Alpha, point.alpha),
            (Swept::Lambda, point.lambda),
            (Swept::Mu, point.mu),
            (Swept::UcbC, point.ucb_c),
        ];
        // NaN: the base's per-split offloading costs, not swept.
        if !point.offload.is_nan() {
            swept.push((Swept::Offload, point.offload));
        }
        for (axis, value) in swept {
            // Refused only where the base has no such value: the lambda of a model that is not
            // linear, whose axis is the placeholder 0.
            let _ = axis.set(&mut s, value);
        }
        s
    }

    /// Runs `points` of the grid in parallel, each on its trace of `traces` (one per
    /// [`Grid::traces`] entry, with its names), each point's settings checked first.
    /// `progress` receives decision counts as runs finish.
    pub fn run(
        &self,
        traces: &[(&Trace, &[String])],
        points: &[&Point],
        progress: &(dyn Fn(u64) + Sync),
    ) -> crate::Result<Vec<PointResult>> {
        points
            .par_iter()
            .map(|&point| {
                let (trace, names) = traces[point.trace];
                let settings = self.settings_at(point).check()?;
                let (report, _) = crate::summary::run(trace, names.to_vec(), &settings, progress)?;
                Ok(PointResult {
                    point: point.clone(),
                    cost: settings.cost.clone(),
                    best_arm: report.best_arm,
                    arm_mean_rewards: report.arm_mean_rewards,
                    results: report.results,
                })
            })
            .collect()
    }
}
