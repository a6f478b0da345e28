//! The simulator: replays a trace through policies over seeded runs and measures accuracy, cost,
//! offloading and regret.
//!
//! Every run of every policy sees the same permutation (common random numbers), and each
//! (run, policy) is computed sequentially from its own seeds, so results are identical whatever
//! the number of threads.

use crate::arms::{ArmSpace, Arms};
use crate::cost::ReportedCost;
use crate::decision::Decision;
use crate::learner::Learner;
use crate::memory::{Bytes, MemoryError};
use crate::policy::{Policy, PolicySpec, RunContext};
use crate::reward::{Observation, RewardModel, SampleRow};
use crate::totals::Totals;
use crate::trace::Trace;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Write;

/// The order in which a run visits the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// A seeded random permutation per run.
    #[default]
    Shuffle,
    /// The trace's own order in every run.
    Given,
}

impl crate::named::Named for Order {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Shuffle,
            "shuffle",
            "A seeded random permutation per run",
        ),
        (Self::Given, "given", "The trace's own order in every run"),
    ];
}

crate::display_by_name!(Order);

pub use crate::compat::Compat;

/// Validated settings of a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    pub runs: usize,
    pub seed: u64,
    pub order: Order,
    pub observation: Observation,
    pub ucb_c: f64,
    /// The threshold grid of joint and threshold-learning policies.
    pub thresholds: Vec<f64>,
    /// Probe probability of unbiased observation ([`Observation::Unbiased`]).
    pub probe: f64,
    pub compat: Option<Compat>,
    /// Points on the cumulative-regret curve kept per run.
    pub curve_points: usize,
}

/// The default probe probability of unbiased observation.
pub const DEFAULT_PROBE: f64 = 0.1;

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            runs: 20,
            seed: 0,
            order: Order::Shuffle,
            observation: Observation::Strict,
            ucb_c: 1.0,
            thresholds: crate::arms::default_thresholds(),
            probe: DEFAULT_PROBE,
            compat: None,
            curve_points: 200,
        }
    }
}

/// A simulation that cannot run as configured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    Policy(String),
    /// The reward cannot be learned from the trace (or by one of the policies).
    #[error("{0}")]
    Reward(String),
    #[error(
        "compatibility mode scores every arm once on the first {exits} samples, but the trace \
         has only {samples}"
    )]
    TooShortForCompat { samples: usize, exits: usize },
    /// Writing the decision log failed.
    #[error("cannot write the decisions: {0}")]
    Decisions(String),
    /// A sample's measured costs, summed up to a split and weighted, leave the range rewards are
    /// kept in ([`crate::params::MAX_MAGNITUDE`]).
    #[error("{}: sample {sample}: {message}", path.display())]
    CostOutOfRange {
        path: std::path::PathBuf,
        /// 1-based.
        sample: usize,
        message: String,
    },
    /// The results of the runs would not fit in memory.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

/// What one run of one policy measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    /// Decisions, offloads, probes, cost, reward, labels and decisions per arm of the policy's
    /// [`Arms`].
    pub totals: Totals,
    /// Decisions per arm in the second half of the stream.
    pub late_arm_counts: Vec<u64>,
    /// Cumulative same-sample regret against the best fixed arm at the end of the run.
    pub regret: f64,
    /// Cumulative regret against the best fixed arm of each segment (a file of a concatenated
    /// trace), when samples are replayed in the given order and there are several segments.
    pub segment_regret: Option<f64>,
    /// `sum_t (mean(best) - mean(a_t))` over the arms' mean rewards; `None` for actions that
    /// are not split arms (device-only early exit).
    pub pseudo_regret: Option<f64>,
    /// Cumulative regret at the steps of [`SimResult::curve_steps`].
    pub regret_curve: Vec<f64>,
    /// Cumulative decisions per arm at the same steps.
    pub arm_count_curve: Vec<Vec<u64>>,
    /// The policy's per-arm reward sums at the end, if it keeps them.
    pub reward_sums: Option<Vec<f64>>,
    /// Per context of the trace (in the order of [`crate::trace::Contexts::names`]; empty when
    /// the trace names none): what the policy did on that context's samples.
    pub contexts: Vec<ContextMetrics>,
}

/// What one run did on one context's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextMetrics {
    pub decisions: u64,
    /// The realised reward summed over the context's samples.
    pub reward: f64,
    /// The reported cost summed over the context's samples.
    pub cost: f64,
    /// The context's labelled samples, and those answered correctly.
    pub labeled: u64,
    pub correct: u64,
    /// Decisions per arm on the context's samples in the second half of the stream: the arm
    /// the policy settled on for the context is the most played.
    pub late_arm_counts: Vec<u64>,
}

impl ContextMetrics {
    fn new(arms: usize) -> Self {
        Self {
            decisions: 0,
            reward: 0.0,
            cost: 0.0,
            labeled: 0,
            correct: 0,
            late_arm_counts: vec![0; arms],
        }
    }
}

/// Everything a simulation produced: per policy, one [`RunMetrics`] per run.
#[derive(Debug, Clone)]
pub struct SimResult {
    pub policies: Vec<PolicySpec>,
    /// `runs[p][r]`: policy `p`, run `r`.
    pub runs: Vec<Vec<RunMetrics>>,
    /// `arms[p]`: the arms policy `p` chose among, and how good each was.
    pub arms: Vec<ArmSummary>,
    /// 0-based best split in hindsight at the run's threshold (highest mean reward over the
    /// samples).
    pub best_arm: usize,
    /// Mean reward of every split at the run's threshold over the samples.
    pub arm_means: Vec<f64>,
    /// Total cost of running every sample to the final exit.
    pub final_exit_cost: f64,
    /// The 1-based steps at which regret curves are sampled.
    pub curve_steps: Vec<usize>,
}

/// A policy's arms and each one's mean reward over the samples.
#[derive(Debug, Clone)]
pub struct ArmSummary {
    pub arms: Arms,
    /// The best fixed arm in hindsight.
    pub best_arm: usize,
    pub arm_means: Vec<f64>,
    /// Each arm's agreement with the final exit over the samples (the share of samples it
    /// answers with the final exit's prediction), when a policy learns under that constraint.
    pub arm_agreement: Option<Vec<f64>>,
}

/// What one pass over the trace tells before any run: every arm's mean reward, the cost of
/// running every sample to the final exit, and the range rewards can take.
pub(crate) struct TraceSummary {
    pub(crate) arm_means: Vec<f64>,
    final_exit_cost: f64,
    pub(crate) reward_bounds: (f64, f64),
    /// The best fixed arm of every segment of the trace (one per concatenated file).
    segment_best: Vec<usize>,
}

/// Each arm's agreement with the final exit over the samples of `trace`: the share of samples
/// whose answer under the arm is the final exit's prediction.
fn arm_agreement(trace: &Trace, model: &RewardModel) -> Vec<f64> {
    let arms = model.arms();
    let last = trace.exits() - 1;
    let mut row = SampleRow::new(trace, model).with_predictions();
    let mut agreeing = vec![0u64; arms.len()];
    for s in 0..trace.samples() {
        row.load(trace, model.costs(), s);
        for (a, count) in agreeing.iter_mut().enumerate() {
            let (exit, exits) = arms.stop(a, &row.conf);
            let answer = if exits { exit } else { last };
            *count += u64::from(row.pred[answer] == row.pred[last]);
        }
    }
    let n = trace.samples() as f64;
    agreeing.iter().map(|&c| c as f64 / n).collect()
}

pub(crate) fn summarise_trace(
    trace: &Trace,
    model: &RewardModel,
) -> Result<TraceSummary, SimError> {
    let exits = trace.exits();
    let arms = model.arms().len();
    let mut row = SampleRow::new(trace, model);
    let mut rewards = vec![0.0; arms];
    let mut sums = vec![0.0; arms];
    let starts = trace.segment_starts();
    let mut segment_sums = vec![vec![0.0; arms]; starts.len()];
    let mut segment = 0;
    let mut final_exit_cost = 0.0;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in 0..trace.samples() {
        row.load(trace, model.costs(), s);
        model.rewards_into(&row, &mut rewards);
        while starts.get(segment + 1).is_some_and(|&next| s >= next) {
            segment += 1;
        }
        for ((sum, seg), r) in sums
            .iter_mut()
            .zip(&mut segment_sums[segment])
            .zip(&rewards)
        {
            *sum += r;
            *seg += r;
        }
        final_exit_cost += row.processing[exits - 1];
        // Processing costs, hence the bounds, change per sample only when measured.
        if !model.costs().is_fixed() {
            let processing = row.processing.iter().copied();
            model
                .costs()
                .check_computed("cost.model", processing)
                .map_err(|e| SimError::CostOutOfRange {
                    path: trace.source().to_path_buf(),
                    sample: s + 1,
                    message: e.message,
                })?;
        }
        if s == 0 || !model.costs().is_fixed() {
            let (row_lo, row_hi) = model.reward_bounds(&row);
            (lo, hi) = (lo.min(row_lo), hi.max(row_hi));
        }
    }
    let n = trace.samples() as f64;
    Ok(TraceSummary {
        arm_means: sums.iter().map(|s| s / n).collect(),
        final_exit_cost,
        reward_bounds: (lo, hi),
        segment_best: segment_sums
            .iter()
            .map(|sums| crate::numeric::argmax_first(sums.iter().copied()))
            .collect(),
    })
}

/// Fills `order` with the visiting order of run `run`: the identity, shuffled with the run's own
/// seed (so it does not depend on what the buffer held before).
pub(crate) fn fill_permutation(
    order: &mut Vec<u32>,
    samples: usize,
    opts: &SimOptions,
    run: usize,
) {
    order.clear();
    order.extend(0..samples as u32);
    if opts.order == Order::Shuffle {
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(crate::seed::derive_seed(
            opts.seed, run, 0,
        )));
    }
}

/// The 1-based steps at which regret is sampled: `points` evenly spaced, ending at `samples`.
fn curve_steps(samples: usize, points: usize) -> Vec<usize> {
    let points = points.clamp(1, samples);
    let mut steps: Vec<usize> = (1..=points).map(|i| i * samples / points).collect();
    steps.dedup();
    steps
}

/// Refuses a trace, or policies, `reward` cannot be learned from: a prediction-only trace under
/// a reward that reads confidences, and under the disagreement reward (whose device answers at
/// the exit it runs to) the policies that read confidences or thresholds.
fn check_reward_fits(
    reward: crate::reward::RewardKind,
    trace: &Trace,
    policies: &[PolicySpec],
) -> Result<(), String> {
    if reward.needs_confidences() && !trace.has_confidences() {
        return Err(format!(
            "{}: the trace holds predictions only (no conf_k), and the `{reward}` reward reads \
             confidences; learn the exit from predictions with --reward disagreement and a \
             policy such as uee-ucb",
            trace.source().display()
        ));
    }
    if reward.needs_confidences() {
        return Ok(());
    }
    let reads_confidences = |p: &&PolicySpec| {
        p.arms != ArmSpace::Splits || p.family() == crate::policy::Family::DeviceEe
    };
    match policies.iter().find(reads_confidences) {
        Some(p) => Err(format!(
            "policy `{p}` reads confidences or thresholds, which the `{reward}` reward does not \
             use (its device answers at the exit it runs to); use policies over the exits: \
             uee-ucb, splitee-s, final-exit, fixed:K, random, best-fixed, ..."
        )),
        None => Ok(()),
    }
}

/// Replays `trace` through every policy for `opts.runs` runs, in parallel. `progress` is called
/// with the number of decisions each finished (run, policy) made.
pub fn simulate(
    trace: &Trace,
    model: &RewardModel,
    policies: &[PolicySpec],
    opts: &SimOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SimResult, SimError> {
    simulate_inner(trace, model, policies, opts, progress, None)
}

/// Like [`simulate`], writing every decision to `log` as it is made, as JSON Lines
/// ([`Decision`]), policy by policy and run by run. Runs are then replayed one after the other
/// in that order (the log is written as fast as it can be, and nothing is held in memory); the
/// results are the same as [`simulate`]'s.
pub fn simulate_logged(
    trace: &Trace,
    model: &RewardModel,
    policies: &[PolicySpec],
    opts: &SimOptions,
    progress: &(dyn Fn(u64) + Sync),
    log: &mut dyn Write,
) -> Result<SimResult, SimError> {
    simulate_inner(trace, model, policies, opts, progress, Some(log))
}

fn simulate_inner(
    trace: &Trace,
    model: &RewardModel,
    policies: &[PolicySpec],
    opts: &SimOptions,
    progress: &(dyn Fn(u64) + Sync),
    log: Option<&mut dyn Write>,
) -> Result<SimResult, SimError> {
    for p in policies {
        p.check_trace(trace, opts.thresholds.len())
            .map_err(SimError::Policy)?;
    }
    check_reward_fits(model.kind(), trace, policies).map_err(SimError::Reward)?;
    if opts.compat.is_some_and(Compat::warm_start) && trace.samples() < trace.exits() {
        return Err(SimError::TooShortForCompat {
            samples: trace.samples(),
            exits: trace.exits(),
        });
    }
    let spaces = spaces_of(trace, model, policies, opts)?;
    let space_of = |p: &PolicySpec| spaces.iter().find(|s| s.space == p.arms);
    let splits = &spaces[0];
    let steps = curve_steps(trace.samples(), opts.curve_points);
    let arms = spaces
        .iter()
        .map(|s| s.model.arms().len())
        .max()
        .unwrap_or(0);
    let named = match policies.len() {
        1 => "1 policy".to_owned(),
        n => format!("{n} policies"),
    };
    results_memory(opts.runs, policies.len(), steps.len(), arms)
        .check(format!("{} runs of {named}", opts.runs))?;

    let replay = |spec: &PolicySpec, run: usize, order: &[u32], log: Option<&mut dyn Write>| {
        let metrics = Replay {
            trace,
            space: space_of(spec).unwrap_or(splits),
            spec: *spec,
            opts,
            run,
            order,
            curve_steps: &steps,
        }
        .run(log)
        .map_err(|e| SimError::Decisions(e.to_string()))?;
        progress(metrics.totals.decisions);
        Ok(metrics)
    };
    let runs: Vec<Vec<RunMetrics>> = match log {
        Some(log) => {
            let mut order = Vec::new();
            let mut runs = Vec::with_capacity(policies.len());
            for spec in policies {
                let mut per_policy = Vec::with_capacity(opts.runs);
                for run in 0..opts.runs {
                    fill_permutation(&mut order, trace.samples(), opts, run);
                    per_policy.push(replay(spec, run, &order, Some(&mut *log))?);
                }
                runs.push(per_policy);
            }
            runs
        }
        None => {
            let per_run: Vec<Vec<RunMetrics>> = (0..opts.runs)
                .into_par_iter()
                // One order buffer per worker, refilled each run: no fresh pages to fault in.
                .map_init(Vec::new, |order, run| {
                    fill_permutation(order, trace.samples(), opts, run);
                    policies
                        .iter()
                        .map(|spec| replay(spec, run, order, None))
                        .collect::<Result<Vec<_>, SimError>>()
                })
                .collect::<Result<_, _>>()?;
            // Transpose to per policy.
            let mut runs: Vec<Vec<RunMetrics>> = policies.iter().map(|_| Vec::new()).collect();
            for run in per_run {
                for (p, m) in run.into_iter().enumerate() {
                    runs[p].push(m);
                }
            }
            runs
        }
    };
    Ok(SimResult {
        policies: policies.to_vec(),
        runs,
        arms: policies
            .iter()
            .map(|p| space_of(p).unwrap_or(splits).arm_summary())
            .collect(),
        best_arm: splits.best_arm,
        arm_means: splits.summary.arm_means.clone(),
        final_exit_cost: splits.summary.final_exit_cost,
        curve_steps: steps,
    })
}

/// What a simulation's results hold at the end: one [`RunMetrics`] per run and policy, with its
/// per-arm counts and curves of `steps` points over `arms` arms.
fn results_memory(runs: usize, policies: usize, steps: usize, arms: usize) -> Bytes {
    use std::mem::size_of;
    let per_arm = Bytes::of(arms, 3 * size_of::<u64>());
    let curve_point = Bytes::from(size_of::<f64>() + size_of::<Vec<u64>>())
        .plus(Bytes::of(arms, size_of::<u64>()));
    let per_run = Bytes::from(size_of::<RunMetrics>())
        .plus(per_arm)
        .plus(curve_point.times(steps));
    per_run
        .times(policies)
        .plus(Bytes::from(size_of::<Vec<RunMetrics>>()))
        .times(runs)
}

/// Each distinct arm set of `policies`, summarised once; the split arms always, first (the
/// report's header).
pub(crate) fn spaces_of(
    trace: &Trace,
    model: &RewardModel,
    policies: &[PolicySpec],
    opts: &SimOptions,
) -> Result<Vec<Space>, SimError> {
    let mut spaces = vec![ArmSpace::Splits];
    for p in policies {
        if !spaces.contains(&p.arms) {
            spaces.push(p.arms);
        }
    }
    spaces
        .into_iter()
        .map(|space| {
            let audited = policies
                .iter()
                .any(|p| p.arms == space && p.kind.agreement_floor().is_some());
            Space::new(trace, model, space, opts, audited)
        })
        .collect()
}

/// One arm set of a simulation: its reward model and what a pass over the trace tells of it.
pub(crate) struct Space {
    pub(crate) space: ArmSpace,
    pub(crate) model: RewardModel,
    summary: TraceSummary,
    pub(crate) best_arm: usize,
    /// Total reward of each segment's best arm, when per-segment regret is measured.
    segment_best_total: Option<f64>,
    /// Each arm's agreement with the final exit, when a policy over this space learns under
    /// that constraint.
    arm_agreement: Option<Vec<f64>>,
}

impl Space {
    pub(crate) fn new(
        trace: &Trace,
        base: &RewardModel,
        space: ArmSpace,
        opts: &SimOptions,
        audited: bool,
    ) -> Result<Self, SimError> {
        let model = base.with_space(space, &opts.thresholds);
        let summary = summarise_trace(trace, &model)?;
        // Segments keep their meaning only when samples are replayed in order.
        let segment_best_total = (opts.order == Order::Given && summary.segment_best.len() > 1)
            .then(|| segment_best_total(trace, &model, &summary.segment_best));
        let best_arm = crate::numeric::argmax_first(summary.arm_means.iter().copied());
        Ok(Self {
            space,
            arm_agreement: audited.then(|| arm_agreement(trace, &model)),
            model,
            summary,
            best_arm,
            segment_best_total,
        })
    }

    /// The range every reward of this arm set lies in over the trace.
    pub(crate) fn reward_bounds(&self) -> (f64, f64) {
        self.summary.reward_bounds
    }

    fn arm_summary(&self) -> ArmSummary {
        ArmSummary {
            arms: self.model.arms().clone(),
            best_arm: self.best_arm,
            arm_means: self.summary.arm_means.clone(),
            arm_agreement: self.arm_agreement.clone(),
        }
    }
}

/// Total reward of playing each segment's best fixed arm on that segment: the benchmark of
/// per-segment regret in a given-order replay.
fn segment_best_total(trace: &Trace, model: &RewardModel, best: &[usize]) -> f64 {
    let starts = trace.segment_starts();
    let ends = starts[1..].iter().copied().chain([trace.samples()]);
    let mut row = SampleRow::new(trace, model);
    let mut total = 0.0;
    for ((start, end), &arm) in starts.iter().copied().zip(ends).zip(best) {
        for s in start..end {
            row.load(trace, model.costs(), s);
            total += model.reward(&row, arm);
        }
    }
    total
}

/// One run of one policy.
struct Replay<'a> {
    trace: &'a Trace,
    space: &'a Space,
    spec: PolicySpec,
    opts: &'a SimOptions,
    run: usize,
    order: &'a [u32],
    curve_steps: &'a [usize],
}

impl Replay<'_> {
    #[inline(never)]
    fn run(&self, mut log: Option<&mut dyn Write>) -> std::io::Result<RunMetrics> {
        let trace = self.trace;
        let arms = self.space.model.arms().len();
        let best_arm = self.space.best_arm;
        let compat = self.opts.compat.filter(|c| c.applies_to(&self.spec));
        let observation = compat
            .and_then(Compat::observation)
            .unwrap_or_else(|| self.spec.observation(self.opts.observation));
        let script_cost = matches!(compat, Some(Compat::SplitEe2023 { script_cost: true }))
            && self.spec == PolicySpec::SPLITEE;
        let scripted;
        let model = if script_cost {
            scripted = self
                .space
                .model
                .with_reported(ReportedCost::SplitEe2023Script);
            &scripted
        } else {
            &self.space.model
        };
        let (seed, probe_seed) =
            crate::learner::learner_seeds(self.opts.seed, self.run, &self.spec);
        let ctx = RunContext {
            arms,
            best_arm,
            seed,
            ucb_c: self.opts.ucb_c,
            log_count: compat.map(Compat::log_count).unwrap_or_default(),
            reward_bounds: self.space.summary.reward_bounds,
        };
        let mut learner = Learner::new(
            &self.spec,
            model,
            &ctx,
            observation,
            self.opts.probe,
            probe_seed,
        );
        let mut row = SampleRow::new(trace, model);
        if self.spec.kind.agreement_floor().is_some() {
            row = row.with_predictions();
        }

        if compat.is_some_and(Compat::warm_start) {
            for (arm, &s) in self.order[..arms].iter().enumerate() {
                row.load(trace, model.costs(), s as usize);
                learner.prime(arm, model.reward(&row, arm));
            }
        }

        let n = self.order.len();
        let half = n / 2;
        let mut m = RunMetrics {
            totals: Totals::new(arms),
            late_arm_counts: vec![0; arms],
            regret: 0.0,
            segment_regret: None,
            pseudo_regret: None,
            regret_curve: Vec::with_capacity(self.curve_steps.len()),
            arm_count_curve: Vec::with_capacity(self.curve_steps.len()),
            reward_sums: None,
            contexts: trace.contexts().map_or_else(Vec::new, |c| {
                vec![ContextMetrics::new(arms); c.names().len()]
            }),
        };
        let contexts = trace.contexts();
        // Running totals live in locals (registers) rather than in `m.totals`, which the
        // compiler would otherwise update through memory on every step; they are the same sums
        // as `Totals::record` and `Totals::score` make, stored at the end.
        let (mut best_total, mut total_reward, mut total_cost) = (0.0, 0.0, 0.0);
        let (mut offloads, mut probes, mut labeled, mut correct_count) = (0, 0, 0, 0);
        let mut agreeing = 0;
        let last = trace.exits() - 1;
        let mut line = Vec::new();
        let mut next_point = 0;
        for (t, &s) in self.order.iter().enumerate() {
            let s = s as usize;
            if let Some(&ahead) = self.order.get(t + PREFETCH_DISTANCE) {
                trace.prefetch(ahead as usize);
            }
            row.load(trace, model.costs(), s);
            if let Some(contexts) = contexts {
                learner.sense_context(contexts.name_of(s));
            }
            let choice = learner.choose();
            // Asked before the policy learns from the decision, and only for the log.
            let propensity = log.is_some().then(|| learner.propensity(choice));
            let outcome = learner.observe(&row, choice);

            m.totals.arm_counts[outcome.arm] += 1;
            if t >= half {
                m.late_arm_counts[outcome.arm] += 1;
            }
            total_cost += outcome.cost;
            total_reward += model.realised_reward(&outcome);
            offloads += u64::from(outcome.offloaded);
            probes += u64::from(outcome.probed);
            let prediction = trace.pred(s, outcome.answered_by);
            agreeing += u64::from(prediction == trace.pred(s, last));
            let correct = trace.label(s).map(|y| y == prediction);
            if let Some(c) = correct {
                labeled += 1;
                correct_count += u64::from(c);
            }
            if let Some(contexts) = contexts {
                let context = &mut m.contexts[contexts.index(s)];
                context.decisions += 1;
                context.reward += model.realised_reward(&outcome);
                context.cost += outcome.cost;
                if let Some(c) = correct {
                    context.labeled += 1;
                    context.correct += u64::from(c);
                }
                if t >= half {
                    context.late_arm_counts[outcome.arm] += 1;
                }
            }
            best_total += model.reward(&row, best_arm);
            if self.curve_steps.get(next_point) == Some(&(t + 1)) {
                m.regret_curve.push(best_total - total_reward);
                m.arm_count_curve.push(m.totals.arm_counts.clone());
                next_point += 1;
            }
            if let Some(log) = log.as_mut() {
                let threshold = model.arms().learned_threshold(outcome.arm);
                Decision {
                    policy: Some(self.spec),
                    run: Some(self.run),
                    context: contexts.map(|c| c.name_of(s).to_owned()),
                    propensity,
                    probe_probability: learner.probe_probability(),
                    ..Decision::of(
                        &outcome, t as u64, s as u64, threshold, prediction, correct, total_cost,
                    )
                }
                .write_line(&mut line);
                log.write_all(&line)?;
            }
        }
        m.totals.decisions = n as u64;
        (m.totals.cost, m.totals.reward) = (total_cost, total_reward);
        (m.totals.offloads, m.totals.probes) = (offloads, probes);
        (m.totals.labeled, m.totals.correct) = (labeled, correct_count);
        m.totals.agreeing = agreeing;
        m.regret = best_total - total_reward;
        m.segment_regret = self
            .space
            .segment_best_total
            .map(|best| best - total_reward);
        if self.spec != PolicySpec::DEVICE_EE {
            let arm_means = &self.space.summary.arm_means;
            let best_mean = arm_means[best_arm];
            m.pseudo_regret = Some(
                m.totals
                    .arm_counts
                    .iter()
                    .zip(arm_means)
                    .map(|(&c, &mean)| c as f64 * (best_mean - mean))
                    .sum(),
            );
        }
        m.reward_sums = learner
            .policy()
            .reward_sums()
            .map(|(sums, _)| sums.to_vec());
        Ok(m)
    }
}

/// How many steps ahead the next sample's row is prefetched: shuffled replay reads rows at
/// random, and each would otherwise be a cache miss on the critical path.
const PREFETCH_DISTANCE: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{CostModel, ReportedCost};
    use crate::trace::{Sample, TraceBuilder};
    use std::path::Path;

    #[test]
    fn reward_bounds_come_from_the_cost_model() {
        let mut b = TraceBuilder::new(Path::new("t"));
        b.push(Sample {
            context: None,
            arrival: None,
            conf: vec![0.6; 12],
            pred: vec![0; 12],
            label: None,
            cost: None,
        });
        let trace = b.finish().unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1);
        let (lo, hi) = summarise_trace(&trace, &model).unwrap().reward_bounds;
        // Lowest: arm 11 offloading, -(1.1 + 0.3); highest: arm 1 exiting with C = 1.
        assert!((lo + 1.4).abs() < 1e-12, "{lo}");
        assert!((hi - 0.9).abs() < 1e-12, "{hi}");
    }

    /// Runs whose results would not fit in memory are refused before any is replayed.
    #[test]
    fn huge_run_counts_are_refused_up_front() {
        let trace = crate::trace::synth::SynthParams {
            samples: 50,
            exits: 4,
            classes: 2,
            seed: 1,
        }
        .trace()
        .unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1);
        let policies = [PolicySpec::SPLITEE, PolicySpec::RANDOM];
        let replay = |runs| {
            let opts = SimOptions {
                runs,
                ..SimOptions::default()
            };
            simulate(&trace, &model, &policies, &opts, &|_| {})
        };
        for runs in [usize::MAX, 1 << 32] {
            let SimError::Memory(e) = replay(runs).unwrap_err() else {
                panic!("{runs} runs were not refused for their memory");
            };
            assert_eq!(e.what, format!("{runs} runs of 2 policies"));
            assert!(e.to_string().contains(" would need "), "{e}");
        }
        assert_eq!(
            results_memory(usize::MAX, 2, 50, 4).get(),
            None,
            "counted without overflow"
        );
        assert_eq!(replay(3).unwrap().runs[0].len(), 3);
    }

    /// Measured costs each accepted whose sums are not: refused before any run, naming the
    /// sample, instead of reporting infinite costs.
    #[test]
    fn measured_costs_summing_past_the_bound_are_refused_naming_the_sample() {
        let mut b = TraceBuilder::new(Path::new("t.csv"));
        for cost in [[1.0, 2.0], [1e308, 1e308]] {
            b.push(Sample {
                context: None,
                arrival: None,
                conf: vec![0.6, 0.9],
                pred: vec![0, 1],
                label: Some(1),
                cost: Some(cost.to_vec()),
            });
        }
        let trace = b.finish().unwrap();
        let mut cost = CostModel::linear(0.1, 0.3);
        cost.processing = crate::cost::ProcessingCost::Measured;
        let model = RewardModel::new(
            0.7,
            cost.resolve(&trace).unwrap(),
            ReportedCost::Standard,
            0.0,
        );
        let error = simulate(
            &trace,
            &model,
            &[PolicySpec::SPLITEE],
            &SimOptions::default(),
            &|_| {},
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "t.csv: sample 2: proc(1) + off(1) is 1e308, beyond 1e100: lower the values it is \
             computed from"
        );
    }
}
