//! The queue simulator: samples arrive at the device over time, wait in a finite buffer, are
//! decided and served one at a time, and offloaded ones travel to the cloud. It measures what a
//! replay cannot: throughput, lost samples and latency, besides accuracy and cost.
//!
//! **The model.** Times are in milliseconds.
//! - *Arrivals*: a Poisson process at a rate (seeded per run), or given times.
//! - *The device* is one FIFO server with capacity `B`: at most `B` samples are in the device at
//!   once, **counting the one in service** (`B = 1`: no waiting room). A sample that arrives
//!   while `B` are there is lost: it is never decided nor answered. This is M/M/1/B's `B`, whose
//!   loss probability is `(1 - rho) rho^B / (1 - rho^(B+1))`.
//! - *Service on the device*: running the network up to the split (from the [`DeviceTime`]
//!   model: the trace's measured `cost_k`, a per-exit latency table, or MACs over a device
//!   speed) and, when the sample is offloaded (or probed), sending its activations: `bytes(k) /
//!   bandwidth`. Sending holds the device (it has one radio and sends before taking the next
//!   sample). With exponential service (for checking against queueing theory) the service time
//!   is drawn from an exponential distribution with that time as its mean.
//! - *After the device*: an offloaded sample's answer arrives after the uplink's latency and the
//!   cloud's service time, which delay it but do not queue (the cloud is not the bottleneck).
//!
//! **Decisions.** The device decides a sample when it starts serving it, and the policy is told
//! the load then ([`Load`]: the samples waiting behind it, and whether the buffer is full).
//! It learns from the sample's feedback before the next decision, as a replay does: the device
//! serves one sample at a time, so its own observations are complete by then; the cloud's reply
//! to an offload is taken as known at that point too (feedback delay is not modelled).
//!
//! **Measures.** Latency is from arrival to answer. Accuracy and cost are per answered sample
//! (lost samples have no answer; the loss fraction counts them). The mean number in the device
//! is integrated over time and, with the arrival rate of served samples and their mean time in
//! the device, satisfies Little's law. Every run draws its arrivals, its sample order and its
//! service times from its own seeds, common to every policy; runs are computed independently,
//! so results are identical whatever the number of threads.

use crate::policy::{Load, PolicySpec, RunContext};
use crate::reward::{RewardModel, SampleRow};
use crate::sim::{fill_permutation, SimOptions, Space};
use crate::stats::Estimate;
use crate::totals::Totals;
use crate::trace::Trace;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::VecDeque;

/// How samples arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// A Poisson process of `per_second` samples per second.
    Poisson { per_second: f64 },
    /// The i-th sample of every run arrives at `times[i]` ms (non-decreasing).
    Times(Vec<f64>),
}

/// The device's time to run the network up to each exit, in ms.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceTime {
    /// The trace's measured `cost_k` (ms from exit k-1 to exit k), summed up to the split.
    Measured,
    /// Per exit `k = 1..L`, ms from the input to exit k.
    Table(Vec<f64>),
    /// Per exit, the device MACs up to exit k, at `macs_per_ms`.
    Profile { macs: Vec<f64>, macs_per_ms: f64 },
}

/// The simulated deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    pub arrivals: Arrivals,
    /// `B`: samples the device holds at once, the one in service included.
    pub capacity: usize,
    pub device: DeviceTime,
    /// Bytes sent when splitting after exit k, per exit `k = 1..L` (the final one unused).
    pub bytes: Vec<f64>,
    /// Uplink bandwidth, bytes per ms.
    pub bytes_per_ms: f64,
    /// Uplink latency of an offload, ms.
    pub uplink_ms: f64,
    /// The cloud's service time of an offload, ms.
    pub cloud_ms: f64,
    /// Exponential service times with the model's times as means.
    pub exponential: bool,
    /// Points of the time series (windows of consecutive arrivals).
    pub series_points: usize,
}

/// A deployment that cannot be simulated as configured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueueError {
    #[error("{0}")]
    Policy(String),
    #[error("{what} must be {must}, got {value}")]
    Setting {
        what: &'static str,
        must: &'static str,
        value: String,
    },
    #[error("{what} has {got} entries but the trace has {exits} exits")]
    PerExit {
        what: &'static str,
        got: usize,
        exits: usize,
    },
    #[error(
        "the arrival times are {got} but the trace has {samples} samples; give one per sample"
    )]
    TooFewTimes { got: usize, samples: usize },
    #[error(
        "the device time is measured, but {} has no cost_k columns (give a latency table or \
         a profile)",
        path.display()
    )]
    NoMeasuredCosts { path: std::path::PathBuf },
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
}

fn setting(what: &'static str, must: &'static str, value: impl ToString) -> QueueError {
    QueueError::Setting {
        what,
        must,
        value: value.to_string(),
    }
}

fn check_per_exit(what: &'static str, values: &[f64], exits: usize) -> Result<(), QueueError> {
    if values.len() != exits {
        return Err(QueueError::PerExit {
            what,
            got: values.len(),
            exits,
        });
    }
    match values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        Some(v) => Err(setting(what, "finite and >= 0", v)),
        None => Ok(()),
    }
}

impl QueueSettings {
    /// Checks the settings against `trace`.
    pub fn check(&self, trace: &Trace) -> Result<(), QueueError> {
        let positive = |what, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(setting(what, "finite and > 0", v))
            }
        };
        let non_negative = |what, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(setting(what, "finite and >= 0", v))
            }
        };
        match &self.arrivals {
            Arrivals::Poisson { per_second } => positive("the arrival rate", *per_second)?,
            Arrivals::Times(times) => {
                if times.len() < trace.samples() {
                    return Err(QueueError::TooFewTimes {
                        got: times.len(),
                        samples: trace.samples(),
                    });
                }
                if let Some(w) = times
                    .windows(2)
                    .find(|w| !(w[0].is_finite() && w[0] >= 0.0 && w[1] >= w[0]))
                {
                    return Err(setting(
                        "the arrival times",
                        "finite, >= 0 and non-decreasing",
                        format!("{} then {}", w[0], w[1]),
                    ));
                }
            }
        }
        if self.capacity == 0 {
            return Err(setting("the buffer size B", "at least 1", 0));
        }
        let exits = trace.exits();
        match &self.device {
            DeviceTime::Measured if !trace.has_costs() => {
                return Err(QueueError::NoMeasuredCosts {
                    path: trace.source().to_path_buf(),
                })
            }
            DeviceTime::Measured => {}
            DeviceTime::Table(table) => check_per_exit("the device latency table", table, exits)?,
            DeviceTime::Profile { macs, macs_per_ms } => {
                check_per_exit("the device MACs", macs, exits)?;
                positive("the device speed (MACs per ms)", *macs_per_ms)?;
            }
        }
        check_per_exit("the bytes sent per split", &self.bytes, exits)?;
        positive("the uplink bandwidth", self.bytes_per_ms)?;
        non_negative("the uplink latency", self.uplink_ms)?;
        non_negative("the cloud service time", self.cloud_ms)?;
        if self.series_points == 0 {
            return Err(setting("the number of series points", "at least 1", 0));
        }
        Ok(())
    }

    /// The device's deterministic time to run sample `s` up to the 0-based `exit`.
    fn compute_ms(&self, trace: &Trace, s: usize, exit: usize) -> f64 {
        match &self.device {
            DeviceTime::Measured => (0..=exit).map(|k| trace.cost(s, k).unwrap_or(0.0)).sum(),
            DeviceTime::Table(table) => table[exit],
            DeviceTime::Profile { macs, macs_per_ms } => macs[exit] / macs_per_ms,
        }
    }
}

/// The latency percentiles of one run's answered samples (nearest rank), in ms.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Latency {
    /// Of `values`, which it sorts; all zero when empty.
    fn of(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_by(f64::total_cmp);
        let rank = |p: f64| values[((p * values.len() as f64).ceil() as usize).max(1) - 1];
        Self {
            mean: values.iter().sum::<f64>() / values.len() as f64,
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
        }
    }
}

/// One window of consecutive arrivals of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// The last arrival's time, ms.
    pub time_ms: f64,
    pub loss_fraction: f64,
    /// Mean latency of the window's answered samples (0 if none).
    pub latency_ms: f64,
    /// Their 95th percentile latency (nearest rank; 0 if none).
    pub latency_p95_ms: f64,
    /// Accuracy of its answered labelled samples, if any.
    pub accuracy: Option<f64>,
    pub cost_per_sample: f64,
}

/// What one run of one policy measured.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRun {
    /// The answered samples' decisions.
    pub totals: Totals,
    pub arrivals: u64,
    pub lost: u64,
    /// From 0 to the last event (the last answer or arrival), ms.
    pub duration_ms: f64,
    pub latency: Latency,
    /// Time-average number of samples in the device (waiting or in service).
    pub mean_in_device: f64,
    /// Mean time an answered sample spent in the device (waiting and service), ms.
    pub mean_time_in_device_ms: f64,
    pub series: Vec<SeriesPoint>,
}

impl QueueRun {
    pub fn loss_fraction(&self) -> f64 {
        self.lost as f64 / self.arrivals.max(1) as f64
    }

    /// Answered samples per second.
    pub fn throughput_per_s(&self) -> f64 {
        if self.duration_ms > 0.0 {
            self.totals.decisions as f64 * 1000.0 / self.duration_ms
        } else {
            0.0
        }
    }
}

/// Per policy, one [`QueueRun`] per run.
#[derive(Debug, Clone)]
pub struct QueueResult {
    pub policies: Vec<PolicySpec>,
    /// `runs[p][r]`: policy `p`, run `r`.
    pub runs: Vec<Vec<QueueRun>>,
}

/// One policy's measures over runs (mean and 95% interval).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSummary {
    pub policy: PolicySpec,
    pub loss_fraction: Estimate,
    pub throughput_per_s: Estimate,
    pub latency_mean_ms: Estimate,
    pub latency_p50_ms: Estimate,
    pub latency_p95_ms: Estimate,
    pub latency_p99_ms: Estimate,
    /// Over runs with labelled answers; `None` without labels.
    pub accuracy: Option<Estimate>,
    pub cost_per_sample: Estimate,
    pub offload_fraction: Estimate,
    pub mean_in_device: Estimate,
    /// The time series averaged over runs, point by point.
    pub series: Vec<SeriesPoint>,
}

impl QueueResult {
    /// Every policy's measures over runs.
    pub fn summaries(&self) -> Vec<QueueSummary> {
        self.policies
            .iter()
            .zip(&self.runs)
            .map(|(&policy, runs)| summarise(policy, runs))
            .collect()
    }
}

fn summarise(policy: PolicySpec, runs: &[QueueRun]) -> QueueSummary {
    let over = |f: &dyn Fn(&QueueRun) -> f64| {
        Estimate::from_values(&runs.iter().map(f).collect::<Vec<_>>())
    };
    let accuracies: Vec<f64> = runs.iter().filter_map(|r| r.totals.accuracy()).collect();
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
    let points = runs.first().map_or(0, |r| r.series.len());
    let series = (0..points)
        .map(|i| {
            let at = |f: &dyn Fn(&SeriesPoint) -> f64| {
                mean(&runs.iter().map(|r| f(&r.series[i])).collect::<Vec<_>>())
            };
            let accuracy: Vec<f64> = runs.iter().filter_map(|r| r.series[i].accuracy).collect();
            SeriesPoint {
                time_ms: at(&|p| p.time_ms),
                loss_fraction: at(&|p| p.loss_fraction),
                latency_ms: at(&|p| p.latency_ms),
                latency_p95_ms: at(&|p| p.latency_p95_ms),
                accuracy: (!accuracy.is_empty()).then(|| mean(&accuracy)),
                cost_per_sample: at(&|p| p.cost_per_sample),
            }
        })
        .collect();
    QueueSummary {
        policy,
        loss_fraction: over(&QueueRun::loss_fraction),
        throughput_per_s: over(&QueueRun::throughput_per_s),
        latency_mean_ms: over(&|r| r.latency.mean),
        latency_p50_ms: over(&|r| r.latency.p50),
        latency_p95_ms: over(&|r| r.latency.p95),
        latency_p99_ms: over(&|r| r.latency.p99),
        accuracy: (!accuracies.is_empty()).then(|| Estimate::from_values(&accuracies)),
        cost_per_sample: over(&|r| r.totals.cost_per_sample()),
        offload_fraction: over(&|r| r.totals.offload_fraction()),
        mean_in_device: over(&|r| r.mean_in_device),
        series,
    }
}

/// The seed streams of a run's arrivals and service-time draws (the order uses stream 0, the
/// policies streams hashed from their names).
const ARRIVAL_STREAM: u64 = 1;
const SERVICE_STREAM: u64 = 2;

/// What every policy of a run shares: arrival times, the sample visiting order, and the
/// exponential factor of each arrival's service time (1 for deterministic service).
struct RunDraws {
    arrivals: Vec<f64>,
    order: Vec<u32>,
    service_factor: Vec<f64>,
}

/// An exponential variate of mean 1.
fn unit_exponential(rng: &mut ChaCha8Rng) -> f64 {
    // `random` is in [0, 1), so `1 - u` is in (0, 1] and the logarithm finite.
    -(1.0 - rng.random::<f64>()).ln()
}

impl RunDraws {
    fn new(trace: &Trace, settings: &QueueSettings, opts: &SimOptions, run: usize) -> Self {
        let n = trace.samples();
        let mut order = Vec::new();
        fill_permutation(&mut order, n, opts, run);
        let arrivals = match &settings.arrivals {
            Arrivals::Poisson { per_second } => {
                let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::derive_seed(
                    opts.seed,
                    run,
                    ARRIVAL_STREAM,
                ));
                let mean_gap = 1000.0 / per_second;
                let mut t = 0.0;
                (0..n)
                    .map(|_| {
                        t += mean_gap * unit_exponential(&mut rng);
                        t
                    })
                    .collect()
            }
            Arrivals::Times(times) => times[..n].to_vec(),
        };
        let service_factor = if settings.exponential {
            let mut rng =
                ChaCha8Rng::seed_from_u64(crate::seed::derive_seed(opts.seed, run, SERVICE_STREAM));
            (0..n).map(|_| unit_exponential(&mut rng)).collect()
        } else {
            vec![1.0; n]
        };
        Self {
            arrivals,
            order,
            service_factor,
        }
    }
}

/// Simulates the deployment of `settings` for every policy over `opts.runs` runs (in
/// parallel; see the module documentation for the model).
pub fn simulate_queue(
    trace: &Trace,
    model: &RewardModel,
    policies: &[PolicySpec],
    settings: &QueueSettings,
    opts: &SimOptions,
) -> Result<QueueResult, QueueError> {
    settings.check(trace)?;
    for p in policies {
        p.check_trace(trace, opts.thresholds.len())
            .map_err(QueueError::Policy)?;
    }
    let spaces = crate::sim::spaces_of(trace, model, policies, opts)?;
    let per_run: Vec<Vec<QueueRun>> = (0..opts.runs)
        .into_par_iter()
        .map(|run| {
            let draws = RunDraws::new(trace, settings, opts, run);
            policies
                .iter()
                .map(|spec| {
                    let space = spaces.iter().find(|s| s.space == spec.arms);
                    let space = space.expect("every policy's arm set was summarised");
                    Device {
                        trace,
                        settings,
                        opts,
                        space,
                        draws: &draws,
                    }
                    .run(spec, run)
                })
                .collect()
        })
        .collect();
    let mut runs: Vec<Vec<QueueRun>> = policies.iter().map(|_| Vec::new()).collect();
    for run in per_run {
        for (p, m) in run.into_iter().enumerate() {
            runs[p].push(m);
        }
    }
    Ok(QueueResult {
        policies: policies.to_vec(),
        runs,
    })
}

/// One run of one policy.
struct Device<'a> {
    trace: &'a Trace,
    settings: &'a QueueSettings,
    opts: &'a SimOptions,
    space: &'a Space,
    draws: &'a RunDraws,
}

/// The answer of one served sample, kept for the time series.
#[derive(Clone, Copy)]
struct Answer {
    latency_ms: f64,
    cost: f64,
    correct: Option<bool>,
}

impl Device<'_> {
    fn run(&self, spec: &PolicySpec, run: usize) -> QueueRun {
        let (trace, settings, model) = (self.trace, self.settings, &self.space.model);
        let observation = spec.observation(self.opts.observation);
        let (seed, probe_seed) = crate::learner::learner_seeds(self.opts.seed, run, spec);
        let ctx = RunContext {
            arms: model.arms().len(),
            best_arm: self.space.best_arm,
            seed,
            ucb_c: self.opts.ucb_c,
            log_count: crate::policy::LogCount::default(),
            reward_bounds: self.space.reward_bounds(),
        };
        let mut learner = crate::learner::Learner::new(
            spec,
            model,
            &ctx,
            observation,
            self.opts.probe,
            probe_seed,
        );
        let mut row = SampleRow::new(trace, model);
        let arrivals = &self.draws.arrivals;
        let n = arrivals.len();
        let mut totals = Totals::new(model.arms().len());
        let mut answers: Vec<Option<Answer>> = vec![None; n];
        let mut waiting: VecDeque<usize> = VecDeque::new();
        // The sample in service and when it leaves the device.
        let mut serving: Option<(usize, f64)> = None;
        let (mut clock, mut area, mut time_in_device) = (0.0, 0.0, 0.0);
        let mut lost = 0u64;

        // Starts serving arrival `i` at time `now`: decides, plays and learns.
        let mut start = |i: usize, now: f64, waiting: &VecDeque<usize>| -> (usize, f64) {
            let s = self.draws.order[i] as usize;
            let load = Load {
                queue: waiting.len(),
                full: waiting.len() + 1 >= settings.capacity,
            };
            if let Some(context) = trace.context(s) {
                learner.sense_context(context);
            }
            let choice = learner.choose_under(load);
            row.load(trace, model.costs(), s);
            let outcome = learner.observe(&row, choice);
            let mut service = settings.compute_ms(trace, s, outcome.split);
            let sent = outcome.offloaded || outcome.probed;
            if sent {
                service += settings.bytes[outcome.split] / settings.bytes_per_ms;
            }
            let leaves = now + service * self.draws.service_factor[i];
            let mut latency = leaves - arrivals[i];
            if outcome.offloaded {
                latency += settings.uplink_ms + settings.cloud_ms;
            }
            totals.record(&outcome, model.realised_reward(&outcome));
            let correct = trace
                .label(s)
                .map(|y| y == trace.pred(s, outcome.answered_by));
            if let Some(c) = correct {
                totals.score(c);
            }
            answers[i] = Some(Answer {
                latency_ms: latency,
                cost: outcome.cost,
                correct,
            });
            (i, leaves)
        };
        let in_device = |serving: &Option<(usize, f64)>, waiting: &VecDeque<usize>| {
            waiting.len() + usize::from(serving.is_some())
        };
        // Moves the clock to `t`, integrating the number in the device.
        let advance = |clock: &mut f64, area: &mut f64, count: usize, t: f64| {
            *area += count as f64 * (t - *clock);
            *clock = t;
        };
        for i in 0..=n {
            // Departures up to the next arrival (all of them after the last one); a departure
            // at an arrival's instant frees its place first.
            let next = arrivals.get(i).copied().unwrap_or(f64::INFINITY);
            while let Some((j, leaves)) = serving.filter(|&(_, leaves)| leaves <= next) {
                let count = in_device(&serving, &waiting);
                advance(&mut clock, &mut area, count, leaves);
                time_in_device += leaves - arrivals[j];
                serving = waiting.pop_front().map(|k| start(k, leaves, &waiting));
            }
            if i == n {
                break;
            }
            let count = in_device(&serving, &waiting);
            advance(&mut clock, &mut area, count, next);
            if count >= settings.capacity {
                lost += 1;
            } else if serving.is_none() {
                serving = Some(start(i, next, &waiting));
            } else {
                waiting.push_back(i);
            }
        }
        let served = totals.decisions;
        let mut latencies: Vec<f64> = answers.iter().flatten().map(|a| a.latency_ms).collect();
        let series = series(arrivals, &answers, settings.series_points);
        QueueRun {
            totals,
            arrivals: n as u64,
            lost,
            duration_ms: clock,
            latency: Latency::of(&mut latencies),
            mean_in_device: if clock > 0.0 { area / clock } else { 0.0 },
            mean_time_in_device_ms: time_in_device / served.max(1) as f64,
            series,
        }
    }
}

/// The run's time series: `points` windows of consecutive arrivals.
fn series(arrivals: &[f64], answers: &[Option<Answer>], points: usize) -> Vec<SeriesPoint> {
    let n = arrivals.len();
    let points = points.clamp(1, n.max(1));
    (0..points)
        .filter_map(|p| {
            let window = p * n / points..(p + 1) * n / points;
            let last = *arrivals.get(window.end.checked_sub(1)?)?;
            let answered: Vec<Answer> = answers[window.clone()].iter().flatten().copied().collect();
            let per = |total: f64| total / answered.len().max(1) as f64;
            let mut latencies: Vec<f64> = answered.iter().map(|a| a.latency_ms).collect();
            let labelled: Vec<bool> = answered.iter().filter_map(|a| a.correct).collect();
            Some(SeriesPoint {
                time_ms: last,
                loss_fraction: (window.len() - answered.len()) as f64 / window.len().max(1) as f64,
                latency_ms: per(answered.iter().map(|a| a.latency_ms).sum()),
                latency_p95_ms: Latency::of(&mut latencies).p95,
                accuracy: (!labelled.is_empty()).then(|| {
                    labelled.iter().filter(|&&c| c).count() as f64 / labelled.len() as f64
                }),
                cost_per_sample: per(answered.iter().map(|a| a.cost).sum()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{CostModel, ReportedCost};
    use statrs::distribution::{ContinuousCDF, StudentsT};

    fn synthetic(samples: usize) -> (Trace, RewardModel) {
        let trace = crate::trace::synth::SynthParams {
            samples,
            exits: 2,
            classes: 2,
            seed: 3,
        }
        .trace()
        .unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1);
        (trace, model)
    }

    /// Every exit reached in `ms`, nothing sent, no uplink or cloud delay.
    fn device(arrivals: Arrivals, capacity: usize, ms: f64, exponential: bool) -> QueueSettings {
        QueueSettings {
            arrivals,
            capacity,
            device: DeviceTime::Table(vec![ms, ms]),
            bytes: vec![0.0, 0.0],
            bytes_per_ms: 1.0,
            uplink_ms: 0.0,
            cloud_ms: 0.0,
            exponential,
            series_points: 4,
        }
    }

    fn opts(runs: usize) -> SimOptions {
        SimOptions {
            runs,
            seed: 11,
            ..SimOptions::default()
        }
    }

    /// Arrivals at 0, 1, 2 and 3 ms, 2.5 ms of service, room for two: the third finds two in
    /// the device and is lost; the others leave at 2.5, 5 and 7.5 ms.
    #[test]
    fn a_deterministic_queue_by_hand() {
        let (trace, model) = synthetic(4);
        let settings = device(Arrivals::Times(vec![0.0, 1.0, 2.0, 3.0]), 2, 2.5, false);
        let result = simulate_queue(
            &trace,
            &model,
            &[PolicySpec::FINAL_EXIT],
            &settings,
            &opts(1),
        )
        .unwrap();
        let run = &result.runs[0][0];
        assert_eq!((run.arrivals, run.lost, run.totals.decisions), (4, 1, 3));
        assert_eq!(run.loss_fraction(), 0.25);
        assert_eq!(run.duration_ms, 7.5);
        // Latencies 2.5, 4 and 4.5 ms.
        assert_eq!(run.latency.p50, 4.0);
        assert_eq!(run.latency.p99, 4.5);
        assert!((run.latency.mean - 11.0 / 3.0).abs() < 1e-12);
        // In the device: 1, 2, 2, 1, 2, 1 over [0,1], [1,2], [2,2.5], [2.5,3], [3,5], [5,7.5].
        assert!((run.mean_in_device - 11.0 / 7.5).abs() < 1e-12);
        assert!((run.throughput_per_s() - 3000.0 / 7.5).abs() < 1e-9);
        // Windows of one arrival each; the third was lost.
        let losses: Vec<f64> = run.series.iter().map(|p| p.loss_fraction).collect();
        assert_eq!(losses, [0.0, 0.0, 1.0, 0.0]);
        assert_eq!(run.series[3].latency_ms, 4.5);
        let p95: Vec<f64> = run.series.iter().map(|p| p.latency_p95_ms).collect();
        assert_eq!(p95, [2.5, 4.0, 0.0, 4.5]);
    }

    /// `(1 - rho) rho^n / (1 - rho^(B+1))`: M/M/1/B's probability of `n` in the system.
    fn mm1b(rho: f64, capacity: usize, n: usize) -> f64 {
        (1.0 - rho) * rho.powi(n as i32) / (1.0 - rho.powi(capacity as i32 + 1))
    }

    /// The half-width of the 99.9% Student-t interval, from the 95% one over `runs` runs.
    fn widen(ci95: f64, runs: usize) -> f64 {
        let t = StudentsT::new(0.0, 1.0, (runs - 1) as f64).unwrap();
        ci95 * t.inverse_cdf(0.9995) / t.inverse_cdf(0.975)
    }

    /// Poisson arrivals, exponential service and room for B: the loss fraction is M/M/1/B's
    /// blocking probability and the time-average number in the device its mean, both within
    /// their 99.9% intervals over the runs (narrower than 15% of the value), below, near and
    /// above saturation.
    #[test]
    fn poisson_arrivals_and_exponential_service_give_mm1b() {
        let (trace, model) = synthetic(40_000);
        let runs = 20;
        let capacity = 5;
        for rho in [0.5, 0.8, 0.95, 1.5, 3.0] {
            let settings = device(
                Arrivals::Poisson {
                    per_second: rho * 1000.0,
                },
                capacity,
                1.0,
                true,
            );
            let result = simulate_queue(
                &trace,
                &model,
                &[PolicySpec::FINAL_EXIT],
                &settings,
                &opts(runs),
            )
            .unwrap();
            let summary = &result.summaries()[0];
            let loss = mm1b(rho, capacity, capacity);
            let mean: f64 = (0..=capacity)
                .map(|n| n as f64 * mm1b(rho, capacity, n))
                .sum();
            for (what, estimate, expected) in [
                ("loss", summary.loss_fraction, loss),
                ("mean number", summary.mean_in_device, mean),
            ] {
                let half = widen(estimate.ci95.unwrap(), runs);
                assert!(
                    (estimate.mean - expected).abs() <= half,
                    "rho {rho}, {what}: {} +- {half} vs {expected}",
                    estimate.mean
                );
                assert!(half < 0.15 * expected, "rho {rho}, {what}: interval {half}");
            }
        }
    }

    /// Little's law on the output: the mean number in the device is the rate of answered
    /// samples times their mean time in the device, for learning policies with offloads,
    /// deterministic or exponential service.
    #[test]
    fn littles_law_holds() {
        let (trace, model) = synthetic(3_000);
        for exponential in [false, true] {
            let settings = QueueSettings {
                bytes: vec![500.0, 0.0],
                uplink_ms: 3.0,
                cloud_ms: 2.0,
                ..device(Arrivals::Poisson { per_second: 600.0 }, 4, 1.2, exponential)
            };
            let policies = [PolicySpec::SPLITEE_S, "queue-ucb+s".parse().unwrap()];
            let result = simulate_queue(&trace, &model, &policies, &settings, &opts(2)).unwrap();
            for run in result.runs.iter().flatten() {
                let rate = run.totals.decisions as f64 / run.duration_ms;
                let little = rate * run.mean_time_in_device_ms;
                assert!(run.lost > 0 && run.totals.offloads > 0);
                assert!(
                    (run.mean_in_device - little).abs() < 1e-9 * little,
                    "{} vs {little}",
                    run.mean_in_device
                );
            }
        }
    }

    /// Results do not depend on the number of threads.
    #[test]
    fn bit_identical_across_thread_counts() {
        let (trace, model) = synthetic(2_000);
        let settings = device(Arrivals::Poisson { per_second: 900.0 }, 3, 1.0, true);
        let policies = [
            PolicySpec::SPLITEE_S,
            "threshold:1:theta-ucb+s".parse().unwrap(),
        ];
        let in_pool = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| simulate_queue(&trace, &model, &policies, &settings, &opts(4)))
                .unwrap()
                .runs
        };
        assert_eq!(in_pool(1), in_pool(3));
    }

    #[test]
    fn settings_are_checked() {
        let (trace, model) = synthetic(3);
        let check = |settings: QueueSettings| {
            simulate_queue(&trace, &model, &[PolicySpec::SPLITEE], &settings, &opts(1))
                .unwrap_err()
                .to_string()
        };
        let base = device(Arrivals::Poisson { per_second: 1.0 }, 2, 1.0, false);
        assert_eq!(
            check(QueueSettings {
                capacity: 0,
                ..base.clone()
            }),
            "the buffer size B must be at least 1, got 0"
        );
        assert_eq!(
            check(QueueSettings {
                arrivals: Arrivals::Poisson { per_second: -2.0 },
                ..base.clone()
            }),
            "the arrival rate must be finite and > 0, got -2"
        );
        assert_eq!(
            check(QueueSettings {
                device: DeviceTime::Table(vec![1.0]),
                ..base.clone()
            }),
            "the device latency table has 1 entries but the trace has 2 exits"
        );
        assert_eq!(
            check(QueueSettings {
                arrivals: Arrivals::Times(vec![0.0, 2.0, 1.0]),
                ..base.clone()
            }),
            "the arrival times must be finite, >= 0 and non-decreasing, got 2 then 1"
        );
        assert!(check(QueueSettings {
            device: DeviceTime::Measured,
            ..base
        })
        .ends_with("has no cost_k columns (give a latency table or a profile)"));
    }
}
