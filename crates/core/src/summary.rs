//! A run's numbers as `splitee run --json` reports them, computed once for every front end: the
//! [`Report`] of a replay (per policy: means and 95% intervals over runs of accuracy, cost,
//! offloading, reward and regret, the regret curve and the arm timeline), and [`run`], which
//! prices a trace by the settings' cost model, replays it and summarises the result. The
//! exporters that render a report live in the experiment layer.

use crate::arms::{vector_label, ArmLabel, Arms};
use crate::numeric::argmax_first;
use crate::policy::PolicySpec;
use crate::reward::RewardModel;
use crate::settings::{CheckedSettings, RunSettings};
use crate::sim::{simulate, ArmSummary, Compat, RunMetrics, SimResult};
use crate::stats::{mode, Estimate};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// Everything `splitee run` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub tool: ToolInfo,
    pub trace: TraceInfo,
    pub settings: SettingsInfo,
    /// 1-based best fixed arm in hindsight.
    pub best_arm: usize,
    /// Mean reward of every fixed arm over the samples (arm 1 first).
    pub arm_mean_rewards: Vec<f64>,
    pub results: Vec<PolicyResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl ToolInfo {
    /// This build of splitee: the crates of the workspace share one version, and the tool is
    /// named `splitee` whichever front end (the command line, the Python package) ran it.
    pub fn current() -> Self {
        Self {
            name: "splitee".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceInfo {
    pub paths: Vec<String>,
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
    pub labeled: bool,
    pub measured_costs: bool,
    /// FNV-1a 64-bit hash of the trace files' bytes, recorded when outputs are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsInfo {
    pub alpha: f64,
    pub cost: crate::cost::CostModel,
    pub runs: usize,
    pub seed: u64,
    pub order: crate::sim::Order,
    pub observation: crate::reward::Observation,
    pub ucb_c: f64,
    pub compat: Option<Compat>,
}

/// One policy's results over all runs. Arms are 1-based.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: String,
    pub runs: usize,
    /// Fraction of labeled decisions answered correctly; `None` on an unlabeled trace. Its key
    /// is `accuracy` in every output, as the stable command-line contract (SPEC section 5) fixes
    /// it; tables name the unit in the header ("accuracy (fraction)").
    pub accuracy: Option<Estimate>,
    pub cost_per_sample: Estimate,
    pub total_cost: Estimate,
    pub offload_fraction: Estimate,
    /// `1 - cost / cost of the final exit on every sample`, a fraction: positive when cheaper
    /// than the final exit. Every output shows it with this sign and unit.
    #[serde(rename = "cost_reduction_fraction", alias = "cost_reduction")]
    pub cost_reduction: Estimate,
    pub reward_per_sample: Estimate,
    pub cumulative_regret: Estimate,
    /// Regret against the best fixed arm of each segment (each file of a concatenated trace),
    /// reported for given-order replays of several segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_regret: Option<Estimate>,
    pub pseudo_regret: Option<Estimate>,
    /// The best fixed arm's split, among the arms this policy learns over.
    pub best_arm: usize,
    /// The best fixed arm's threshold, for policies that learn the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_threshold: Option<f64>,
    /// The split of the arm played most in the second half of the stream, most frequent over
    /// runs.
    pub learned_arm: usize,
    /// That arm's threshold, for policies that learn the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_threshold: Option<f64>,
    /// The best fixed arm's per-exit thresholds, for policies over threshold vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_vector: Option<Vec<f64>>,
    /// The learned arm's per-exit thresholds, for policies over threshold vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_vector: Option<Vec<f64>>,
    /// Share of decisions answered with the final exit's prediction (no label needed), a
    /// fraction.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "agreement_fraction",
        alias = "agreement"
    )]
    pub agreement: Option<Estimate>,
    /// For policies learning under an agreement constraint: how well they kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<ConstraintResult>,
    /// Compatibility mode: the published "optimum arm", argmax of the reward sums averaged
    /// over runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimum_arm: Option<usize>,
    /// Mean decisions per split (summed over thresholds).
    pub arm_counts: Vec<f64>,
    pub regret_curve: Curve,
    /// Which arms were played when: the share of each arm in every interval between the steps
    /// of the regret curve, averaged over runs.
    pub arm_timeline: ArmTimeline,
    /// Per context of a trace with a `context` column, in order of first appearance: what the
    /// policy did on that context's samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contexts: Option<Vec<ContextResult>>,
}

/// What a policy did on one context's samples, over all runs. Arms are 1-based.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextResult {
    pub context: String,
    pub samples: u64,
    pub reward_per_sample: Estimate,
    /// A fraction, when the context's samples are labelled. (Reports written before it was
    /// kept per context lack it, as they lack `cost_per_sample`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<Estimate>,
    /// The reported cost per sample of the context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_sample: Option<Estimate>,
    /// The split of the arm played most on the context's samples in the second half of the
    /// stream, most frequent over runs: the arm the policy settled on for the context.
    pub learned_arm: usize,
    /// That arm's threshold, for policies that learn the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_threshold: Option<f64>,
}

impl ContextResult {
    /// The learned arm as users read it (see [`PolicyResult::learned_label`]).
    pub fn learned_label(&self) -> String {
        arm_label(self.learned_arm, self.learned_threshold, None)
    }

    fn summarise(names: &[String], runs: &[RunMetrics], arm_set: &Arms) -> Option<Vec<Self>> {
        if names.is_empty() {
            return None;
        }
        let results = names.iter().enumerate().map(|(c, name)| {
            let learned = mode(
                runs.iter()
                    .map(|m| argmax_first(m.contexts[c].late_arm_counts.iter().map(|&n| n as f64))),
                arm_set.len(),
            );
            Self {
                context: name.clone(),
                samples: runs[0].contexts[c].decisions,
                reward_per_sample: estimate(runs, |m| {
                    let context = &m.contexts[c];
                    context.reward / context.decisions.max(1) as f64
                }),
                accuracy: (runs[0].contexts[c].labeled > 0).then(|| {
                    estimate(runs, |m| {
                        let context = &m.contexts[c];
                        context.correct as f64 / context.labeled as f64
                    })
                }),
                cost_per_sample: Some(estimate(runs, |m| {
                    let context = &m.contexts[c];
                    context.cost / context.decisions.max(1) as f64
                })),
                learned_arm: arm_set.split(learned) + 1,
                learned_threshold: arm_set.learned_threshold(learned),
            }
        });
        Some(results.collect())
    }
}

/// How a policy kept its agreement constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstraintResult {
    /// The agreement with the final exit it must keep, `1 - eps`, a fraction.
    #[serde(rename = "floor_fraction", alias = "floor")]
    pub floor: f64,
    /// Share of decisions that played an arm whose agreement over the samples is below the
    /// floor: over the run, and over its second half (once learning has settled); fractions.
    #[serde(rename = "violations_fraction", alias = "violations")]
    pub violations: Estimate,
    #[serde(rename = "late_violations_fraction", alias = "late_violations")]
    pub late_violations: Estimate,
}

impl ConstraintResult {
    fn summarise(floor: f64, runs: &[RunMetrics], arm_agreement: &[f64]) -> Self {
        let infeasible = |counts: &[u64]| -> f64 {
            counts
                .iter()
                .zip(arm_agreement)
                .filter(|&(_, &agreement)| agreement < floor)
                .map(|(&count, _)| count as f64)
                .sum()
        };
        Self {
            floor,
            violations: estimate(runs, |m| {
                infeasible(&m.totals.arm_counts) / m.totals.decisions.max(1) as f64
            }),
            late_violations: estimate(runs, |m| {
                let late: u64 = m.late_arm_counts.iter().sum();
                infeasible(&m.late_arm_counts) / late.max(1) as f64
            }),
        }
    }
}

/// `share[i][k]`: fraction of the decisions in steps `(t[i-1], t[i]]` (`(0, t[0]]` for `i = 0`)
/// that played arm `k + 1`, mean over runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmTimeline {
    pub t: Vec<usize>,
    pub share: Vec<Vec<f64>>,
}

impl ArmTimeline {
    fn summarise(runs: &[RunMetrics], steps: &[usize], arms: &Arms, exits: usize) -> Self {
        let n_runs = runs.len() as f64;
        let share = steps
            .iter()
            .enumerate()
            .map(|(i, &end)| {
                let start = if i == 0 { 0 } else { steps[i - 1] };
                let width = (end - start).max(1) as f64;
                let mut share = vec![0.0; exits];
                for m in runs {
                    for (a, &count) in m.arm_count_curve[i].iter().enumerate() {
                        let before = if i == 0 {
                            0
                        } else {
                            m.arm_count_curve[i - 1][a]
                        };
                        share[arms.split(a)] += (count - before) as f64 / width / n_runs;
                    }
                }
                share
            })
            .collect();
        Self {
            t: steps.to_vec(),
            share,
        }
    }
}

/// Cumulative regret sampled at steps `t` (1-based), mean and 95% half-width over runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub t: Vec<usize>,
    pub mean: Vec<f64>,
    pub ci95: Vec<Option<f64>>,
}

fn arm_label(split: usize, threshold: Option<f64>, vector: Option<&[f64]>) -> String {
    match (vector, threshold) {
        (Some(vector), _) => vector_label(split, vector),
        (None, Some(alpha)) => ArmLabel {
            split,
            threshold: alpha,
        }
        .to_string(),
        (None, None) => split.to_string(),
    }
}

fn estimate(runs: &[RunMetrics], metric: impl Fn(&RunMetrics) -> f64) -> Estimate {
    Estimate::from_values(&runs.iter().map(metric).collect::<Vec<_>>())
}

impl PolicyResult {
    /// The learned arm as users read it: its split, `split@threshold` when the threshold is
    /// learned too, `split@[a1,...,ak]` for a threshold vector.
    pub fn learned_label(&self) -> String {
        arm_label(
            self.learned_arm,
            self.learned_threshold,
            self.learned_vector.as_deref(),
        )
    }

    /// The policy, as the registry reads its name (`None` for a name this build does not know,
    /// from a report written by another version).
    pub fn spec(&self) -> Option<PolicySpec> {
        self.policy.parse().ok()
    }

    /// The best fixed arm, written like [`PolicyResult::learned_label`].
    pub fn best_label(&self) -> String {
        arm_label(
            self.best_arm,
            self.best_threshold,
            self.best_vector.as_deref(),
        )
    }

    fn summarise(
        spec: &PolicySpec,
        runs: &[RunMetrics],
        arms: &ArmSummary,
        sim: &SimResult,
        context_names: &[String],
    ) -> Self {
        let policy = spec.to_string();
        let exits = sim.arm_means.len();
        let labeled = runs.iter().all(|m| m.totals.labeled > 0);
        let n_runs = runs.len() as f64;
        let arm_set = &arms.arms;
        let optimum_arm = runs[0].reward_sums.as_ref().map(|_| {
            let mean_sums = (0..arm_set.len()).map(|a| {
                runs.iter()
                    .map(|m| m.reward_sums.as_ref().map_or(0.0, |s| s[a]))
                    .sum::<f64>()
                    / n_runs
            });
            arm_set.split(argmax_first(mean_sums)) + 1
        });
        let learned = mode(
            runs.iter()
                .map(|m| argmax_first(m.late_arm_counts.iter().map(|&c| c as f64))),
            arm_set.len(),
        );
        let mut arm_counts = vec![0.0; exits];
        for m in runs {
            for (a, &count) in m.totals.arm_counts.iter().enumerate() {
                arm_counts[arm_set.split(a)] += count as f64 / n_runs;
            }
        }
        let curve_runs: Vec<Estimate> = (0..sim.curve_steps.len())
            .map(|i| estimate(runs, |m| m.regret_curve[i]))
            .collect();
        Self {
            policy,
            runs: runs.len(),
            accuracy: labeled.then(|| estimate(runs, |m| m.totals.accuracy().unwrap_or(f64::NAN))),
            cost_per_sample: estimate(runs, |m| m.totals.cost_per_sample()),
            total_cost: estimate(runs, |m| m.totals.cost),
            offload_fraction: estimate(runs, |m| m.totals.offload_fraction()),
            cost_reduction: estimate(runs, |m| 1.0 - m.totals.cost / sim.final_exit_cost),
            reward_per_sample: estimate(runs, |m| m.totals.reward_per_sample()),
            cumulative_regret: estimate(runs, |m| m.regret),
            segment_regret: runs
                .iter()
                .all(|m| m.segment_regret.is_some())
                .then(|| estimate(runs, |m| m.segment_regret.unwrap_or(0.0))),
            pseudo_regret: runs
                .iter()
                .all(|m| m.pseudo_regret.is_some())
                .then(|| estimate(runs, |m| m.pseudo_regret.unwrap_or(0.0))),
            best_arm: arm_set.split(arms.best_arm) + 1,
            best_threshold: arm_set.learned_threshold(arms.best_arm),
            learned_arm: arm_set.split(learned) + 1,
            learned_threshold: arm_set.learned_threshold(learned),
            best_vector: arm_set.learned_vector(arms.best_arm).map(<[f64]>::to_vec),
            learned_vector: arm_set.learned_vector(learned).map(<[f64]>::to_vec),
            agreement: Some(estimate(runs, |m| m.totals.agreement())),
            constraint: spec
                .kind
                .agreement_floor()
                .zip(arms.arm_agreement.as_deref())
                .map(|(floor, agreement)| ConstraintResult::summarise(floor, runs, agreement)),
            optimum_arm,
            arm_counts,
            regret_curve: Curve {
                t: sim.curve_steps.clone(),
                mean: curve_runs.iter().map(|e| e.mean).collect(),
                ci95: curve_runs.iter().map(|e| e.ci95).collect(),
            },
            arm_timeline: ArmTimeline::summarise(runs, &sim.curve_steps, arm_set, exits),
            contexts: ContextResult::summarise(context_names, runs, arm_set),
        }
    }
}

impl Report {
    pub fn new(trace: &Trace, paths: Vec<String>, settings: &RunSettings, sim: &SimResult) -> Self {
        let context_names = trace.contexts().map_or(&[][..], |c| c.names());
        Self {
            tool: ToolInfo::current(),
            trace: TraceInfo {
                paths,
                samples: trace.samples(),
                exits: trace.exits(),
                classes: trace.classes(),
                labeled: trace.is_labeled(),
                measured_costs: trace.has_costs(),
                hash: None,
            },
            settings: SettingsInfo {
                alpha: settings.alpha,
                cost: settings.cost.clone(),
                runs: settings.sim.runs,
                seed: settings.sim.seed,
                order: settings.sim.order,
                observation: settings.sim.observation,
                ucb_c: settings.sim.ucb_c,
                compat: settings.sim.compat,
            },
            best_arm: sim.best_arm + 1,
            arm_mean_rewards: sim.arm_means.clone(),
            results: sim
                .policies
                .iter()
                .zip(&sim.runs)
                .zip(&sim.arms)
                .map(|((p, runs), arms)| PolicyResult::summarise(p, runs, arms, sim, context_names))
                .collect(),
        }
    }
}

/// Runs every policy of checked `settings` on `trace` (named `trace_names` in the report) and
/// summarises the runs. `progress` receives decision counts as runs finish.
pub fn run(
    trace: &Trace,
    trace_names: Vec<String>,
    settings: &CheckedSettings,
    progress: &(dyn Fn(u64) + Sync),
) -> crate::Result<(Report, SimResult)> {
    let model = reward_model(trace, settings)?;
    let sim = simulate(trace, &model, &settings.policies, &settings.sim, progress)?;
    Ok((Report::new(trace, trace_names, settings, &sim), sim))
}

/// The reward model of `settings` on `trace`: its cost model resolved against the trace.
pub fn reward_model(
    trace: &Trace,
    settings: &RunSettings,
) -> Result<RewardModel, crate::cost::CostError> {
    let costs = settings.cost.resolve(trace)?;
    Ok(RewardModel::of_settings(
        settings.alpha,
        &settings.cost,
        costs,
        settings.reward,
    ))
}
