//! Off-policy evaluation: how another policy would have done, estimated from a decision log
//! (`splitee run --decisions`, `splitee stream`) alone.
//!
//! Each logged decision `i` played arm `a_i` with propensity `p_i` (the probability the
//! logging policy gave that arm, [`crate::decision::Decision::propensity`]) and revealed `y_i`,
//! the played arm's reward, cost or correctness. A target policy is run through the log as one
//! stream (the log's records in order, runs one after the other) and asked at every record
//! which arm it would play, `b_i`. Its weight there is `w_i = 1[b_i = a_i] / p_i`, and:
//!
//! - **IPS** (inverse propensity scoring) is the mean of `w_i y_i`;
//! - **SNIPS** (self-normalised IPS) is `sum w_i y_i / sum w_i`, defined once the target agrees
//!   with the log at least once;
//! - **DR** (doubly robust) is the mean of `q(b_i) + w_i (y_i - q(a_i))`, with `q(a)` the mean of
//!   `y` over the log's decisions on arm `a` (over all decisions for an arm the log never played).
//!
//! Each comes with a 95% interval: Student-t over the per-record terms (for SNIPS, its
//! linearisation `w_i (y_i - V) / mean(w)`), which treats the records as independent.
//!
//! **Learning targets** are evaluated by rejection replay (Li, Chu, Langford and Wang, WSDM
//! 2011): when the target agrees with the logged arm it learns from what that decision revealed
//! (the trace's row of the sample, read as the device and the cloud saw it), and otherwise its
//! decision is discarded and it learns nothing. With a uniformly random logging policy the
//! accepted decisions are distributed as an on-policy run of as many decisions, and SNIPS is
//! exactly Li et al.'s estimate; so a learning target's estimate is of its value per decision
//! over a stream as long as its accepted decisions (reported as `accepted`). A log of a
//! uniformly random policy over `K` arms accepts about one decision in `K`: `K` runs of the
//! trace make one run's worth. Non-learning targets (fixed arms, random) are evaluated the same
//! way and are unbiased for any log whose propensities are positive. A learning target's
//! interval covers how the log's decisions were drawn given the one trajectory the target took
//! through it, not how its trajectories differ from one another (its run-to-run spread), so for
//! a learner whose runs differ widely it is too narrow; evaluating logs of several seeds, each
//! with its own target seed, shows that spread.
//!
//! On a trace with a context column, a per-context target (`per-context:NAME`) is told each
//! logged sample's context before it decides, as in a replay; a log that records contexts
//! (`context`) must agree with the trace's.
//!
//! Only what a logged decision revealed may reach a target, so targets are policies over the
//! split arms at the run's threshold under strict observation, and never probe; the log must
//! be one policy's, over the same arms.

use crate::decision::Decision;
use crate::learner::{learner_seeds, Learner};
use crate::lines::{LineError, Lines};
use crate::numeric::argmax_first;
use crate::policy::{PolicySpec, RunContext};
use crate::reward::{Action, Observation, RewardModel, SampleRow};
use crate::sim::{summarise_trace, SimError, SimOptions};
use crate::stats::Estimate;
use crate::trace::Trace;
use serde::Serialize;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Fewer effective decisions than this (`(sum w)^2 / sum w^2`) and a target's estimates are
/// flagged as resting on too few decisions.
pub const MIN_EFFECTIVE_SAMPLES: f64 = 100.0;

/// A logged reward further than this (relative) from the one the trace and settings give means
/// the log was written under other settings.
const REWARD_TOLERANCE: f64 = 1e-9;

/// Why a log cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum OpeError {
    #[error("{}: {error}", path.display())]
    Read { path: PathBuf, error: LineError },
    #[error("{}: line {line}: {field}: {message}", path.display())]
    Field {
        path: PathBuf,
        line: u64,
        field: &'static str,
        message: String,
    },
    #[error("{}: the log holds no decisions", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{}: no decision records its propensity (logs written before propensities were \
         recorded cannot be evaluated)",
        path.display()
    )]
    NoPropensities { path: PathBuf },
    #[error("policy `{policy}`: {message}")]
    Target { policy: String, message: String },
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// One logged decision, as evaluation reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    /// 1-based line of the log.
    pub line: u64,
    /// 0-based index of the sample in the trace.
    pub sample: usize,
    /// 0-based arm played.
    pub arm: usize,
    pub propensity: Option<f64>,
    pub offloaded: bool,
    pub reward: f64,
    /// The sample's context, when the log records it (logs of traces with a context column).
    pub context: Option<String>,
}

/// A decision log: one policy's decisions, in the order they were made.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    pub path: PathBuf,
    /// The logging policy, when the log names it (replays do, streams do not).
    pub policy: Option<PolicySpec>,
    pub decisions: Vec<Logged>,
}

impl DecisionLog {
    /// Reads a log file (JSON Lines, [`crate::decision`]'s schema).
    pub fn read(path: &Path) -> Result<Self, OpeError> {
        let file = std::fs::File::open(path).map_err(|e| OpeError::Read {
            path: path.to_path_buf(),
            error: e.into(),
        })?;
        Self::parse(path, std::io::BufReader::new(file))
    }

    /// Reads a log from `reader`; errors name `path`.
    pub fn parse(path: &Path, reader: impl BufRead) -> Result<Self, OpeError> {
        let field = |line, field, message: String| OpeError::Field {
            path: path.to_path_buf(),
            line,
            field,
            message,
        };
        let mut lines = Lines::new(reader);
        let mut log = Self {
            path: path.to_path_buf(),
            policy: None,
            decisions: Vec::new(),
        };
        let mut first_policy: Option<(u64, PolicySpec)> = None;
        loop {
            let (line, text) = match lines.next_line() {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(error) => {
                    return Err(OpeError::Read {
                        path: path.to_path_buf(),
                        error,
                    })
                }
            };
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let d: Decision = serde_json::from_slice(text)
                .map_err(|e| field(line, "record", format!("not a decision record ({e})")))?;
            match (first_policy, d.policy) {
                (None, Some(p)) => first_policy = Some((line, p)),
                (Some((at, first)), Some(p)) if p != first => {
                    return Err(field(
                        line,
                        "policy",
                        format!(
                            "`{p}`, but line {at} is `{first}`: evaluate one logging policy's \
                             decisions at a time"
                        ),
                    ))
                }
                _ => {}
            }
            if d.arm == 0 {
                return Err(field(line, "arm", "must be a 1-based arm".into()));
            }
            if d.threshold.is_some() {
                return Err(field(
                    line,
                    "threshold",
                    "a learner of the threshold wrote this log; evaluation takes logs over the \
                     split arms at one threshold"
                        .into(),
                ));
            }
            if let Some(p) = d.propensity.filter(|p| !(*p > 0.0 && *p <= 1.0)) {
                return Err(field(
                    line,
                    "propensity",
                    format!("{p} is not a probability in (0, 1]"),
                ));
            }
            let sample = usize::try_from(d.sample)
                .map_err(|_| field(line, "sample", format!("{} is out of range", d.sample)))?;
            log.decisions.push(Logged {
                line,
                sample,
                arm: d.arm - 1,
                propensity: d.propensity,
                offloaded: d.offloaded,
                reward: d.reward,
                context: d.context,
            });
        }
        log.policy = first_policy.map(|(_, p)| p);
        if log.decisions.is_empty() {
            return Err(OpeError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(log)
    }
}

/// A value with its 95% interval half-width (`None` with fewer than two decisions).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub value: f64,
    pub ci95: Option<f64>,
}

impl Interval {
    /// Whether `x` lies in the interval.
    pub fn covers(&self, x: f64) -> bool {
        self.ci95.is_some_and(|h| (x - self.value).abs() <= h)
    }
}

/// The three estimates of one quantity per decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimates {
    pub ips: Interval,
    /// `None` when the target never agreed with the log.
    pub snips: Option<Interval>,
    pub dr: Interval,
}

/// A target policy's estimated reward per sample, cost per sample and accuracy.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub policy: PolicySpec,
    /// Logged decisions used (those with a propensity).
    pub decisions: usize,
    /// Decisions where the target played the logged arm (what a learning target learned from).
    pub accepted: usize,
    /// `(sum w)^2 / sum w^2`: how many decisions of an on-policy log the estimate is worth.
    pub effective_samples: f64,
    /// Keys name their unit, as the run report's do.
    #[serde(rename = "reward_per_sample")]
    pub reward: Estimates,
    #[serde(rename = "cost_per_sample")]
    pub cost: Estimates,
    /// A fraction, when every decision's sample is labelled.
    pub accuracy: Option<Estimates>,
}

/// What [`evaluate`] found: one evaluation per target, and warnings (one line each) about
/// decisions without propensities or estimates resting on too few effective decisions.
#[derive(Debug, Clone, Serialize)]
pub struct OpeReport {
    pub log: PathBuf,
    pub logging_policy: Option<PolicySpec>,
    pub evaluations: Vec<Evaluation>,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// What a logged decision revealed, checked against the trace.
struct Revealed {
    sample: usize,
    arm: usize,
    propensity: f64,
    /// Reward, cost and (when labelled) correctness of the logged arm on the sample.
    reward: f64,
    cost: f64,
    correct: Option<f64>,
}

/// Estimates each of `targets` from `log`, whose samples are rows of `trace`, under `model`
/// (the settings the log was written with: a logged decision the trace and model disagree with
/// is refused). Of `opts`, the seed seeds the targets' own randomness and the UCB constant and
/// observation model are theirs as in a replay.
pub fn evaluate(
    log: &DecisionLog,
    trace: &Trace,
    model: &RewardModel,
    targets: &[PolicySpec],
    opts: &SimOptions,
) -> Result<OpeReport, OpeError> {
    for target in targets {
        target
            .check_trace(trace, opts.thresholds.len())
            .map_err(SimError::Policy)?;
    }
    let costs = model.costs();
    let arms = model.arms().len();
    let mut row = SampleRow::new(trace, model);
    let mut revealed = Vec::with_capacity(log.decisions.len());
    for d in &log.decisions {
        let field = |field, message: String| OpeError::Field {
            path: log.path.clone(),
            line: d.line,
            field,
            message,
        };
        if d.sample >= trace.samples() {
            return Err(field(
                "sample",
                format!(
                    "{} is beyond the trace's {} samples",
                    d.sample,
                    trace.samples()
                ),
            ));
        }
        if d.arm >= arms {
            return Err(field(
                "arm",
                format!("{} is beyond the trace's {arms} arms", d.arm + 1),
            ));
        }
        if let Some(logged) = &d.context {
            if trace.context(d.sample) != Some(logged.as_str()) {
                return Err(field(
                    "context",
                    format!(
                        "`{logged}`, but sample {} of the trace is {}: evaluate with the trace \
                         the log was written on",
                        d.sample,
                        trace
                            .context(d.sample)
                            .map_or_else(|| "of no context".to_owned(), |c| format!("`{c}`"))
                    ),
                ));
            }
        }
        row.load(trace, costs, d.sample);
        let outcome = model.play(&row, Action::Split(d.arm));
        let tolerance = REWARD_TOLERANCE * outcome.reward.abs().max(1.0);
        if outcome.offloaded != d.offloaded || (outcome.reward - d.reward).abs() > tolerance {
            return Err(field(
                "reward",
                format!(
                    "the log says {} (offloaded: {}), but the trace and settings give {} \
                     (offloaded: {}) for arm {} on sample {}: evaluate with the settings the \
                     log was written with",
                    d.reward,
                    d.offloaded,
                    outcome.reward,
                    outcome.offloaded,
                    d.arm + 1,
                    d.sample
                ),
            ));
        }
        let Some(propensity) = d.propensity else {
            continue;
        };
        let prediction = trace.pred(d.sample, outcome.answered_by);
        revealed.push(Revealed {
            sample: d.sample,
            arm: d.arm,
            propensity,
            reward: outcome.reward,
            cost: outcome.cost,
            correct: trace
                .label(d.sample)
                .map(|y| f64::from(u8::from(y == prediction))),
        });
    }
    let mut warnings = Vec::new();
    let missing = log.decisions.len() - revealed.len();
    if revealed.is_empty() {
        return Err(OpeError::NoPropensities {
            path: log.path.clone(),
        });
    }
    if missing > 0 {
        warnings.push(format!(
            "{}: {missing} of {} decisions record no propensity and are left out",
            log.path.display(),
            log.decisions.len()
        ));
    }
    let labelled = revealed.iter().all(|r| r.correct.is_some());
    // What a replay gives its policies: the best fixed arm in hindsight (for `best-fixed`) and
    // the range of rewards.
    let summary = summarise_trace(trace, model)?;
    let hindsight = Hindsight {
        best_arm: argmax_first(summary.arm_means.iter().copied()),
        reward_bounds: summary.reward_bounds,
    };
    let mut evaluations = Vec::with_capacity(targets.len());
    for target in targets {
        let played = replay_target(target, trace, model, &revealed, opts, &hindsight)?;
        let quantity = |y: &dyn Fn(&Revealed) -> f64| estimates(&revealed, &played, arms, y);
        let evaluation = Evaluation {
            policy: *target,
            decisions: revealed.len(),
            accepted: played.accepted,
            effective_samples: played.effective_samples(),
            reward: quantity(&|r| r.reward),
            cost: quantity(&|r| r.cost),
            accuracy: labelled.then(|| quantity(&|r| r.correct.unwrap_or(0.0))),
        };
        if evaluation.effective_samples < MIN_EFFECTIVE_SAMPLES {
            let smallest = revealed
                .iter()
                .zip(&played.weights)
                .filter(|(_, &w)| w > 0.0)
                .map(|(r, _)| r.propensity)
                .fold(f64::INFINITY, f64::min);
            warnings.push(format!(
                "policy `{target}`: effective sample size {:.1} of {} decisions (below {}; \
                 smallest propensity of an agreeing decision: {}): its estimates rest on too \
                 few decisions",
                evaluation.effective_samples,
                revealed.len(),
                MIN_EFFECTIVE_SAMPLES,
                if smallest.is_finite() {
                    smallest.to_string()
                } else {
                    "none agreed".into()
                }
            ));
        }
        evaluations.push(evaluation);
    }
    Ok(OpeReport {
        log: log.path.clone(),
        logging_policy: log.policy,
        evaluations,
        warnings,
    })
}

/// What a replay tells its policies of the whole trace.
struct Hindsight {
    best_arm: usize,
    reward_bounds: (f64, f64),
}

/// What a target did along the log: the arm it would play at each decision and its weight
/// there.
struct Played {
    arms: Vec<usize>,
    weights: Vec<f64>,
    accepted: usize,
}

impl Played {
    fn effective_samples(&self) -> f64 {
        let sum: f64 = self.weights.iter().sum();
        let squares: f64 = self.weights.iter().map(|w| w * w).sum();
        if squares > 0.0 {
            sum * sum / squares
        } else {
            0.0
        }
    }
}

/// Runs `target` through the log by rejection replay (see the module documentation).
fn replay_target(
    target: &PolicySpec,
    trace: &Trace,
    model: &RewardModel,
    revealed: &[Revealed],
    opts: &SimOptions,
    hindsight: &Hindsight,
) -> Result<Played, OpeError> {
    let refuse = |message: &str| OpeError::Target {
        policy: target.to_string(),
        message: message.to_owned(),
    };
    if target.arms != crate::arms::ArmSpace::Splits {
        return Err(refuse(
            "evaluation takes policies over the split arms at the run's threshold",
        ));
    }
    if target.observation(opts.observation) != Observation::Strict && target.kind.observes_side() {
        return Err(refuse(
            "only strict observation reads no more than a logged decision revealed",
        ));
    }
    let (policy_seed, _) = learner_seeds(opts.seed, 0, target);
    let ctx = RunContext {
        arms: model.arms().len(),
        best_arm: hindsight.best_arm,
        seed: policy_seed,
        ucb_c: opts.ucb_c,
        log_count: crate::policy::LogCount::default(),
        reward_bounds: hindsight.reward_bounds,
    };
    // Strict observation never probes: the probe probability and stream are unused.
    let mut learner = Learner::new(target, model, &ctx, Observation::Strict, 0.0, 0);
    let mut row = SampleRow::new(trace, model);
    let mut played = Played {
        arms: Vec::with_capacity(revealed.len()),
        weights: Vec::with_capacity(revealed.len()),
        accepted: 0,
    };
    let contexts = trace.contexts();
    for r in revealed {
        // A per-context target decides each sample with its context's learner, as in a replay.
        if let Some(contexts) = contexts {
            learner.sense_context(contexts.name_of(r.sample));
        }
        let choice = learner.choose();
        let Action::Split(arm) = choice.action else {
            return Err(refuse(
                "walks the exits on the device, which plays no arm of the log",
            ));
        };
        played.arms.push(arm);
        if arm == r.arm {
            played.weights.push(1.0 / r.propensity);
            played.accepted += 1;
            row.load(trace, model.costs(), r.sample);
            learner.observe(&row, choice);
        } else {
            played.weights.push(0.0);
        }
    }
    Ok(played)
}

/// IPS, SNIPS and DR estimates of the quantity `y` of the played arms.
fn estimates(
    revealed: &[Revealed],
    played: &Played,
    arms: usize,
    y: &dyn Fn(&Revealed) -> f64,
) -> Estimates {
    let interval = |terms: &[f64]| {
        let e = Estimate::from_values(terms);
        Interval {
            value: e.mean,
            ci95: e.ci95,
        }
    };
    let w = &played.weights;
    let ips: Vec<f64> = revealed.iter().zip(w).map(|(r, w)| w * y(r)).collect();

    let total_weight: f64 = w.iter().sum();
    let snips = (total_weight > 0.0).then(|| {
        let value = ips.iter().sum::<f64>() / total_weight;
        let mean_weight = total_weight / w.len() as f64;
        let terms: Vec<f64> = revealed
            .iter()
            .zip(w)
            .map(|(r, w)| w * (y(r) - value) / mean_weight)
            .collect();
        Interval {
            value,
            ci95: interval(&terms).ci95,
        }
    });

    // The reward model of DR: the mean of `y` per logged arm, the overall mean for arms the
    // log never played.
    let mut sums = vec![0.0; arms];
    let mut counts = vec![0usize; arms];
    for r in revealed {
        sums[r.arm] += y(r);
        counts[r.arm] += 1;
    }
    let overall = sums.iter().sum::<f64>() / revealed.len() as f64;
    let q: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(&s, &n)| if n > 0 { s / n as f64 } else { overall })
        .collect();
    let dr: Vec<f64> = revealed
        .iter()
        .zip(w)
        .zip(&played.arms)
        .map(|((r, w), &b)| q[b] + w * (y(r) - q[r.arm]))
        .collect();

    Estimates {
        ips: interval(&ips),
        snips,
        dr: interval(&dr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{CostModel, ReportedCost};
    use crate::sim::simulate_logged;
    use crate::trace::synth::SynthParams;

    fn synthetic(samples: usize) -> Trace {
        SynthParams {
            samples,
            exits: 4,
            classes: 3,
            seed: 5,
        }
        .trace()
        .unwrap()
    }

    fn model(trace: &Trace) -> RewardModel {
        let costs = CostModel::linear(0.1, 0.3).resolve(trace).unwrap();
        RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1)
    }

    /// The log `policy` writes over `runs` runs of `trace` with `seed`.
    fn log_of(trace: &Trace, policy: &str, runs: usize, seed: u64) -> DecisionLog {
        let opts = SimOptions {
            runs,
            seed,
            ..SimOptions::default()
        };
        let mut out = Vec::new();
        let spec: PolicySpec = policy.parse().unwrap();
        simulate_logged(trace, &model(trace), &[spec], &opts, &|_| {}, &mut out).unwrap();
        DecisionLog::parse(Path::new("log.jsonl"), out.as_slice()).unwrap()
    }

    fn target(name: &str) -> Vec<PolicySpec> {
        vec![name.parse().unwrap()]
    }

    /// On a uniformly random log, a fixed arm's IPS is `K / n` times its logged rewards' sum,
    /// and SNIPS and DR are their mean (the per-arm mean is DR's own reward model, and the
    /// correction averages to 0).
    #[test]
    fn fixed_arm_estimates_on_a_uniform_log_are_the_hand_computed_sums() {
        let trace = synthetic(300);
        let model = model(&trace);
        let log = log_of(&trace, "random", 2, 1);
        assert_eq!(log.policy, Some(PolicySpec::RANDOM));
        assert!(log.decisions.iter().all(|d| d.propensity == Some(0.25)));
        let report = evaluate(
            &log,
            &trace,
            &model,
            &target("fixed:2"),
            &SimOptions::default(),
        )
        .unwrap();
        let e = &report.evaluations[0];
        let on_arm: Vec<f64> = log
            .decisions
            .iter()
            .filter(|d| d.arm == 1)
            .map(|d| d.reward)
            .collect();
        let n = log.decisions.len() as f64;
        assert_eq!((e.decisions, e.accepted), (600, on_arm.len()));
        let sum: f64 = on_arm.iter().sum();
        let mean = sum / on_arm.len() as f64;
        assert!((e.reward.ips.value - 4.0 * sum / n).abs() < 1e-12);
        assert!((e.reward.snips.unwrap().value - mean).abs() < 1e-12);
        assert!((e.reward.dr.value - mean).abs() < 1e-12);
        // Weights of 4 on a quarter of the decisions: ESS = (4m)^2 / (16 m) = m.
        assert!((e.effective_samples - on_arm.len() as f64).abs() < 1e-9);
        assert!(e.accuracy.is_some());
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    /// The estimators' spread over independent logs shrinks as the log grows: four times the
    /// decisions, about a quarter of the variance (and half the interval).
    #[test]
    fn the_estimates_variance_shrinks_as_the_log_grows() {
        let trace = synthetic(400);
        let model = model(&trace);
        let spread = |runs: usize| {
            let (mut values, mut widths) = (Vec::new(), Vec::new());
            for seed in 0..40 {
                let log = log_of(&trace, "random", runs, seed);
                let report = evaluate(
                    &log,
                    &trace,
                    &model,
                    &target("fixed:3"),
                    &SimOptions::default(),
                )
                .unwrap();
                let e = report.evaluations[0].reward;
                values.push([e.ips.value, e.snips.unwrap().value, e.dr.value]);
                widths.push(e.ips.ci95.unwrap());
            }
            let variance = |k: usize| {
                let mean = values.iter().map(|v| v[k]).sum::<f64>() / values.len() as f64;
                values.iter().map(|v| (v[k] - mean).powi(2)).sum::<f64>() / values.len() as f64
            };
            let width = widths.iter().sum::<f64>() / widths.len() as f64;
            ([variance(0), variance(1), variance(2)], width)
        };
        let (small, small_width) = spread(1);
        let (large, large_width) = spread(4);
        for k in 0..3 {
            assert!(
                large[k] < 0.5 * small[k],
                "estimator {k}: {large:?} vs {small:?}"
            );
        }
        let ratio = large_width / small_width;
        assert!((0.45..0.55).contains(&ratio), "{ratio}");
    }

    /// A learning target is asked at every decision and learns only from those it agrees
    /// with: on a uniform log over K = 4 arms it accepts about one in 4, reproducibly.
    #[test]
    fn a_learning_target_is_replayed_on_the_decisions_it_agrees_with() {
        let trace = synthetic(500);
        let model = model(&trace);
        let log = log_of(&trace, "random", 8, 2);
        let run = || {
            evaluate(
                &log,
                &trace,
                &model,
                &target("splitee-s"),
                &SimOptions::default(),
            )
            .unwrap()
        };
        let report = run();
        let e = &report.evaluations[0];
        let share = e.accepted as f64 / e.decisions as f64;
        assert!((0.2..0.3).contains(&share), "{share}");
        assert_eq!(run().evaluations[0].reward, e.reward, "reproducible");
    }

    #[test]
    fn logs_the_trace_and_settings_disagree_with_are_refused_naming_the_line() {
        let trace = synthetic(50);
        let log = log_of(&trace, "random", 1, 3);
        let other = {
            let costs = CostModel::linear(0.2, 0.3).resolve(&trace).unwrap();
            RewardModel::new(0.7, costs, ReportedCost::Standard, 0.2)
        };
        let error = evaluate(
            &log,
            &trace,
            &other,
            &target("fixed:1"),
            &SimOptions::default(),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("log.jsonl: line 1: reward: the log says "),
            "{message}"
        );
        assert!(message.ends_with("evaluate with the settings the log was written with"));
        let short = synthetic(10);
        let error = evaluate(
            &log,
            &short,
            &model(&short),
            &target("fixed:1"),
            &SimOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains(": sample: "), "{error}");
        assert!(
            error.ends_with("is beyond the trace's 10 samples"),
            "{error}"
        );
    }

    #[test]
    fn bad_records_are_refused_naming_line_and_field() {
        let parse = |text: &str| {
            DecisionLog::parse(Path::new("d.jsonl"), text.as_bytes())
                .unwrap_err()
                .to_string()
        };
        let line = |extra: &str| {
            format!(
                "{{\"t\":0,\"sample\":1,\"arm\":2{extra},\"offloaded\":false,\"exit\":2,\
                 \"prediction\":0,\"reward\":0.5,\"cost\":0.2,\"total_cost\":0.2}}\n"
            )
        };
        assert_eq!(
            parse(&line(",\"propensity\":0")),
            "d.jsonl: line 1: propensity: 0 is not a probability in (0, 1]"
        );
        assert_eq!(
            parse(&(line(",\"policy\":\"random\"") + &line(",\"policy\":\"splitee\""))),
            "d.jsonl: line 2: policy: `splitee`, but line 1 is `random`: evaluate one logging \
             policy's decisions at a time"
        );
        assert!(parse(&line(",\"threshold\":0.6")).starts_with("d.jsonl: line 1: threshold: "));
        assert!(parse("{\"t\":0}\n").starts_with("d.jsonl: line 1: record: not a decision record"));
        assert_eq!(parse("\n"), "d.jsonl: the log holds no decisions");
    }

    /// Decisions without a propensity are left out with a warning; a log with none is refused;
    /// a target that rarely agrees with the log is flagged.
    #[test]
    fn missing_propensities_and_small_effective_samples_are_reported() {
        let trace = synthetic(60);
        let model = model(&trace);
        let mut log = log_of(&trace, "random", 1, 4);
        for d in &mut log.decisions[..10] {
            d.propensity = None;
        }
        let report = evaluate(
            &log,
            &trace,
            &model,
            &target("fixed:4"),
            &SimOptions::default(),
        )
        .unwrap();
        assert_eq!(
            report.warnings[0],
            "log.jsonl: 10 of 60 decisions record no propensity and are left out"
        );
        assert!(
            report.warnings[1].starts_with("policy `fixed:4`: effective sample size "),
            "{:?}",
            report.warnings
        );
        assert_eq!(report.evaluations[0].decisions, 50);
        for d in &mut log.decisions {
            d.propensity = None;
        }
        let error = evaluate(
            &log,
            &trace,
            &model,
            &target("fixed:4"),
            &SimOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(error, OpeError::NoPropensities { .. }), "{error}");
    }

    #[test]
    fn targets_that_would_read_more_than_the_log_revealed_are_refused() {
        let trace = synthetic(40);
        let model = model(&trace);
        let log = log_of(&trace, "random", 1, 5);
        for (name, says) in [
            ("splitee-s:oracle", "only strict observation"),
            ("joint-ucb", "over the split arms"),
            ("device-ee", "walks the exits on the device"),
        ] {
            let error = evaluate(&log, &trace, &model, &target(name), &SimOptions::default())
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(&format!("policy `{name}`: ")), "{error}");
            assert!(error.contains(says), "{error}");
        }
    }
}
