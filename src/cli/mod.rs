//! Command-line flags, defined once; `main` turns them into library calls.

pub mod help;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use splitee::config::{
    ArrivalSource, CompatCost, CompatName, CostModelName, Overrides, RunSettings, SimulateSection,
};
use splitee::named::Named;
use splitee::policy::PolicySpec;
use splitee::reward::{Observation, RewardKind};
use splitee::sim::Order;
use splitee::stream::OnError;
use splitee::sweep::{PointList, Selection, Shard};
use splitee::trace::synth::Drift;
use std::path::PathBuf;

/// Examples of each subcommand, shown in its `--help` and together in `splitee --help`.
macro_rules! run_examples {
    () => {
        "  splitee run                                   compare policies on the embedded default trace
  splitee run --trace ../shared/data/traces/sst2-bert12.csv --alpha 0.7 --offload-cost 0.3
  splitee run --trace t.csv --policy splitee --policy splitee-s:oracle --runs 20 --json
  splitee run --trace t.csv --order given --runs 1 --compat splitee-2023 --decisions d.jsonl
  splitee run --trace cifar.csv --cost-model measured --mu 0.01 --offload-cost 10
  splitee run --trace t.csv --thresholds 0.8,0.9,0.99 --policy vector:2:agreement-ucb:unbiased
  splitee run --trace datasets/predictions-mnist-dense.csv --reward disagreement --cost-model cs1 --policy uee-ucb
  splitee run --config experiments/splitee-sst2.toml --out results/sst2"
    };
}
macro_rules! inspect_examples {
    () => {
        "  splitee inspect --trace ../shared/data/traces/cifar10-mobilenet2.csv
  splitee inspect --trace datasets/predictions-mnist-dense.csv   predictions only: strong dominance
  splitee inspect --trace datasets/sparsity-mnist-dense-mixed.csv   names its 5 contexts"
    };
}
macro_rules! synth_examples {
    () => {
        "  splitee synth --samples 100000 --exits 12 --classes 2 --seed 7 --out synth.csv
  splitee synth --samples 200000 --drift switch --seed 9 --out d.csv   writes d-1.csv, d-2.csv"
    };
}

macro_rules! stream_examples {
    () => {
        "  splitee stream samples.jsonl                  decide each sample, one JSON line out per sample
  splitee synth --samples 1000000 --format jsonl | splitee stream --policy splitee-s
  feed | splitee stream --state learner.json --save-every 10000 --on-error skip"
    };
}

macro_rules! simulate_examples {
    () => {
        "  splitee simulate --trace ../shared/data/traces/cifar10-mobilenet2.csv --cost-model measured \\
      --mu 0.01 --rate 30 --rate 45 --rate 60 --buffer 10 --bytes 16384,0 --bandwidth-mbps 10
  splitee simulate --trace t.csv --device-ms 1,2,3 --rate 500 --exponential --json
  splitee simulate --trace timed.csv --device-ms 1,2,3 --arrivals trace
  splitee simulate --config experiments/queue-cifar10.toml --out results/queue"
    };
}

macro_rules! evaluate_examples {
    () => {
        "  splitee run --trace t.csv --policy random --runs 12 --decisions random.jsonl
  splitee evaluate --log random.jsonl --trace t.csv --policy splitee-s --policy fixed:6
  splitee evaluate --log random.jsonl --trace t.csv --policy fixed:3 --json"
    };
}

const EXAMPLES: &str = concat!(
    "Examples:\n",
    run_examples!(),
    "\n",
    simulate_examples!(),
    "\n",
    inspect_examples!(),
    "\n",
    synth_examples!(),
    "\n",
    stream_examples!(),
    "\n",
    evaluate_examples!()
);
const EVALUATE_EXAMPLES: &str = concat!("Examples:\n", evaluate_examples!());
const STREAM_EXAMPLES: &str = concat!("Examples:\n", stream_examples!());
const RUN_EXAMPLES: &str = concat!("Examples:\n", run_examples!());
const SIMULATE_EXAMPLES: &str = concat!("Examples:\n", simulate_examples!());
const INSPECT_EXAMPLES: &str = concat!("Examples:\n", inspect_examples!());
const SYNTH_EXAMPLES: &str = concat!("Examples:\n", synth_examples!());

/// Learn online, without labels, where to split an early-exit network between an edge device
/// and the cloud, and when a sample may exit on the device.
#[derive(Debug, Parser)]
#[command(name = "splitee", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// The longest line, in bytes, read from any input (traces, the stream's input, configs,
    /// profiles, states, reports); a longer line is refused with an error naming it.
    #[arg(long, global = true, value_name = "BYTES",
          default_value_t = splitee::lines::DEFAULT_MAX_LINE_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_line_bytes: u64,
}

impl Cli {
    /// Parses the command line. A value that looks like a negative number (`--mu -1`) is the
    /// flag's value, so that it reaches the flag's own check instead of reading as a flag.
    pub fn parse_args() -> Result<Self, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let command = Self::command()
            .mut_subcommands(|sub| sub.mut_args(|arg| arg.allow_negative_numbers(true)));
        Self::from_arg_matches(&command.try_get_matches()?)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay traces through policies; report accuracy, cost, offloading and regret.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Serve samples arriving over time through a device with a finite buffer, for each
    /// arrival rate or at the trace's arrival times; report loss, throughput, latency
    /// percentiles, accuracy and cost, and their time series.
    #[command(after_help = SIMULATE_EXAMPLES)]
    Simulate(SimulateArgs),
    /// Summarise a trace: exits, classes, per-exit accuracy, confidence and costs, and its
    /// contexts and arrival times when it has them.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Write a seeded synthetic trace whose confidence and accuracy rise with depth.
    #[command(after_help = SYNTH_EXAMPLES)]
    Synth(SynthArgs),
    /// Shuffle traces of one network together into one trace with a context column naming
    /// each sample's source (a distortion level, a device), for per-context learners.
    #[command(after_help = MIX_EXAMPLES)]
    Mix(MixArgs),
    /// Decide JSON Lines samples as they arrive (stdin or a file), one JSON decision per line
    /// out; keep the learner's state in a file.
    #[command(after_help = STREAM_EXAMPLES)]
    Stream(StreamArgs),
    /// Estimate, from a decision log alone, how other policies would have done: reward per
    /// sample, cost per sample and accuracy by IPS, self-normalised IPS and doubly robust
    /// off-policy estimators with 95% intervals.
    #[command(after_help = EVALUATE_EXAMPLES,
              mut_arg("policies", |arg| arg.help(help::evaluate_policy())))]
    Evaluate(EvaluateArgs),
    /// Measure replay speed (decisions per second on one thread) and peak memory.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
    /// Measure `splitee stream` on `splitee synth` samples generated first and piped in:
    /// samples per second and the stream's peak memory and CPU time.
    #[command(name = "bench-stream", after_help = BENCH_STREAM_EXAMPLES)]
    BenchStream(BenchStreamArgs),
    /// Run a grid of settings (a config's [sweep] section) on all cores.
    #[command(after_help = SWEEP_EXAMPLES)]
    Sweep(SweepArgs),
    /// Join the point files of a partial sweep into the report a single run gives.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Train multi-exit MLPs (dense or predefined-sparse); write traces and cost profiles.
    #[command(after_help = TRAIN_EXAMPLES)]
    Train(TrainArgs),
    /// Measure training epoch time and dense vs sparse inference throughput.
    #[command(name = "bench-train", after_help = BENCH_TRAIN_EXAMPLES)]
    BenchTrain(BenchTrainArgs),
    /// Run an experiment of experiments/ (or all) and write its report and plots to
    /// results/NAME/.
    #[command(after_help = REPRODUCE_EXAMPLES)]
    Reproduce(ReproduceArgs),
    /// Redraw the plots of a results folder: a sweep's (sweep.json), a sparsity study's
    /// (report.json) or a simulation's (simulate.json).
    #[command(after_help = PLOT_EXAMPLES)]
    Plot(PlotArgs),
}

const BENCH_EXAMPLES: &str = "\
Examples:
  splitee bench                          SplitEE-S on a 1,000,000-sample 12-exit synthetic trace
  splitee bench --policy splitee --samples 100000 --repetitions 10 --json
  splitee bench --paper-grid             the SplitEE paper's grid on all cores";
const BENCH_STREAM_EXAMPLES: &str = "\
Examples:
  splitee bench-stream                   1,000,000 12-exit samples through `splitee stream`
  splitee bench-stream --samples 200000 --policy splitee --json
  splitee bench-stream --feed pipe       input piped in, decisions read back as a consumer would
  splitee bench-stream --baseline OLD    OLD (an earlier splitee binary) in turns with this one";
const BENCH_TRAIN_EXAMPLES: &str = "\
Examples:
  splitee bench-train --data-path ../shared/data/mnist --epochs 3
  splitee bench-train --epochs 1 --json";
const MERGE_EXAMPLES: &str = "\
Examples:
  splitee merge points/point-*.json --out results/sweep   after `splitee sweep --points ... --out points`";
const PLOT_EXAMPLES: &str = "\
Examples:
  splitee plot results/splitee-sst2      redraw from results/splitee-sst2/sweep.json
  splitee plot results/sparsity-mnist    redraw a sparsity study from its report.json
  splitee plot results/queue-cifar10     redraw a simulation from its simulate.json";

const REPRODUCE_EXAMPLES: &str = "\
Examples:
  splitee reproduce splitee-sst2     run experiments/splitee-sst2.toml into results/splitee-sst2/
  splitee reproduce all              every experiment whose traces are available
  splitee reproduce sparsity-mnist   retrain its networks: results/sparsity-mnist/, datasets/
  splitee plot results/splitee-sst2  redraw the figures from results/splitee-sst2/sweep.json";

#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Experiment name (a file experiments/NAME.toml with a [sweep] section, or a training
    /// study's [[networks]]), or `all`.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Folder of the experiment configs.
    #[arg(long, default_value = "experiments", value_name = "DIR")]
    pub experiments: PathBuf,
    /// Folder everything goes to: DIR/NAME/, and a training study's traces and cost profiles
    /// in DIR/datasets/. Default: results/NAME/, and the traces where the study's [output]
    /// section names them (datasets/, which other experiments read).
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A folder written by `splitee sweep --out`, `merge` or `reproduce` (holding sweep.json),
    /// or by a sparsity study of `splitee train` (holding report.json).
    #[arg(value_name = "RESULTS_DIR")]
    pub dir: PathBuf,
}

const SWEEP_EXAMPLES: &str = "\
Examples:
  splitee sweep --config experiments/splitee-sst2.toml --out results/sst2-sweep
  splitee sweep --config sweep.toml --list-points            one JSON line per grid point
  splitee sweep --config sweep.toml --points 0,3,5-9 --out points --skip-existing
  splitee sweep --config sweep.toml --shard 0/3 --out points   (then 1/3, 2/3, e.g. a job array)
  parallel -j 4 splitee sweep --config sweep.toml --points {} --out points ::: $(seq 0 10)
  splitee merge points/point-*.json --out results/sweep";

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selection").args(["shard", "points"])))]
pub struct SweepArgs {
    /// TOML config with a [sweep] section: lists or {start, stop, step} ranges for offload,
    /// lambda, mu, alpha, ucb_c, and a list of traces.
    #[arg(long, value_name = "FILE.toml")]
    pub config: PathBuf,
    /// Print the grid points (of --shard or --points, or all), one JSON line each: its index,
    /// trace and settings, and run nothing.
    #[arg(long, conflicts_with_all = ["out", "json", "skip_existing"])]
    pub list_points: bool,
    /// Run only slice I of N of the grid (the points whose index is I modulo N, 0 <= I < N).
    /// With --out, each point goes to its own file; join them with `splitee merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Run only these grid points: indices and inclusive ranges, e.g. 0,3,5-9 (see
    /// --list-points). With --out, each point goes to its own file; join them with
    /// `splitee merge`.
    #[arg(long, value_name = "LIST")]
    pub points: Option<PointList>,
    /// With --shard or --points: keep the point files already in --out (made with the same
    /// settings; any other is an error) and run only the missing points, so a stopped or
    /// requeued job resumes where it stopped.
    #[arg(long, requires = "out", requires = "selection")]
    pub skip_existing: bool,
    /// Independent runs per grid point (overrides run.runs).
    #[arg(long, value_name = "R")]
    pub runs: Option<usize>,
    /// Seed (overrides run.seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Write sweep.json, sweep.csv, sweep.md, curves.csv and config.toml into this folder; with
    /// --shard or --points, one file per grid point (point-I.json), each written as soon as
    /// its point finishes.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

impl SweepArgs {
    /// The part of the grid chosen, if not all of it.
    pub fn selection(&self) -> Option<Selection> {
        match (&self.shard, &self.points) {
            (Some(shard), _) => Some(Selection::Shard(*shard)),
            (None, Some(points)) => Some(Selection::Points(points.clone())),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The point files of a partial sweep (point-I.json), every grid point in exactly one.
    #[arg(required = true, value_name = "POINT.json")]
    pub parts: Vec<PathBuf>,
    /// Folder for the merged outputs (as `splitee sweep --out` writes them).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Samples of the synthetic trace.
    #[arg(long, default_value_t = 1_000_000)]
    pub samples: usize,
    /// Exits of the synthetic trace.
    #[arg(long, default_value_t = 12)]
    pub exits: usize,
    /// Policy to replay.
    #[arg(long, default_value = "splitee-s")]
    pub policy: PolicySpec,
    /// Runs per timed call, as `splitee run --runs`.
    #[arg(long, default_value_t = RunSettings::default().sim.runs)]
    pub runs: usize,
    /// Sample order of each run.
    #[arg(long, value_parser = named::<Order>(), default_value_t = RunSettings::default().sim.order)]
    pub order: Order,
    /// Timed calls.
    #[arg(long, default_value_t = 5)]
    pub repetitions: usize,
    /// Instead, time the SplitEE paper grid (11 offloading costs x --runs runs x SplitEE and
    /// SplitEE-S) on all cores.
    #[arg(long)]
    pub paper_grid: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The settings of a learner, shared by `run` and `stream`: a config and the flags that
/// override it. The help of a flag that has a default states it, generated from the run's
/// defaults ([`help`]); the flags stay `None` when not given, so that a config's value applies.
#[derive(Debug, Args)]
pub struct LearnerArgs {
    /// TOML config with [trace], [cost], [policy] and [run] sections; flags override it.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    #[arg(long = "policy", value_name = "NAME", help = help::policy())]
    pub policies: Vec<PolicySpec>,
    #[arg(long, value_name = "A", help = help::alpha())]
    pub alpha: Option<f64>,
    #[arg(long, value_name = "L", help = help::lambda())]
    pub lambda: Option<f64>,
    #[arg(long = "offload-cost", value_name = "O", help = help::offload())]
    pub offload_cost: Option<f64>,
    #[arg(long, value_name = "M", help = help::mu())]
    pub mu: Option<f64>,
    #[arg(long = "cost-model", value_enum, value_name = "MODEL", help = help::cost_model())]
    pub cost_model: Option<CostModelName>,
    #[arg(long = "ucb-c", value_name = "C", help = help::ucb_c())]
    pub ucb_c: Option<f64>,
    #[arg(long, value_name = "S", help = help::seed())]
    pub seed: Option<u64>,
    #[arg(long, value_parser = named::<Observation>(), help = help::observation())]
    pub observation: Option<Observation>,
    #[arg(long, value_name = "GRID", value_parser = parse_thresholds, help = help::thresholds())]
    pub thresholds: Option<Thresholds>,
    #[arg(long, value_name = "P", help = help::probe())]
    pub probe: Option<f64>,
    #[arg(long, value_parser = named::<RewardKind>(), help = help::reward())]
    pub reward: Option<RewardKind>,
}

impl LearnerArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            policies: self.policies.clone(),
            alpha: self.alpha,
            lambda: self.lambda,
            offload: self.offload_cost,
            mu: self.mu,
            cost_model: self.cost_model,
            ucb_c: self.ucb_c,
            seed: self.seed,
            observation: self.observation,
            thresholds: self.thresholds.clone().map(|t| t.0),
            probe: self.probe,
            reward: self.reward,
            ..Overrides::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Trace file (.csv, .jsonl, .npz); repeat to replay several in order. Default: the
    /// embedded sparse-MNIST trace, priced by its network's cost profile.
    #[arg(long = "trace", value_name = "PATH")]
    pub traces: Vec<PathBuf>,
    #[command(flatten)]
    pub learner: LearnerArgs,
    #[arg(long, value_name = "R", help = help::runs())]
    pub runs: Option<usize>,
    #[arg(long, value_parser = named::<Order>(), help = help::order())]
    pub order: Option<Order>,
    /// Reproduce published code decision for decision: the SplitEE scripts (split learning) or
    /// the AdaEE code (threshold learning at one exit, `threshold:K:splitee`).
    #[arg(long, value_enum)]
    pub compat: Option<CompatName>,
    #[arg(long = "compat-cost", value_enum, help = help::compat_cost())]
    pub compat_cost: Option<CompatCost>,
    /// Write every decision as JSON Lines.
    #[arg(long, value_name = "FILE.jsonl")]
    pub decisions: Option<PathBuf>,
    /// Write results.json, results.md and results.csv into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the results as one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl RunArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            traces: self.traces.clone(),
            runs: self.runs,
            order: self.order,
            compat: self.compat,
            compat_cost: self.compat_cost,
            ..self.learner.overrides()
        }
    }
}

/// `splitee simulate`: the run's settings, and the deployment (flags override the config's
/// `[simulate]` section).
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Trace file (.csv, .jsonl, .npz); repeat to serve several in order. Default: the
    /// embedded sparse-MNIST trace.
    #[arg(long = "trace", value_name = "PATH")]
    pub traces: Vec<PathBuf>,
    #[command(flatten)]
    pub learner: LearnerArgs,
    #[arg(long, value_name = "R", help = help::runs())]
    pub runs: Option<usize>,
    #[arg(long, value_parser = named::<Order>(), help = help::order())]
    pub order: Option<Order>,
    /// Where arrivals come from: `poisson` at each --rate, or `trace`: each sample at its own
    /// time, from the trace's `arrival` column (seconds since the start, non-negative,
    /// non-decreasing; a CSV column, a JSON Lines key or an npz array), in the trace's order
    /// whatever --order says. Trace arrivals set their own rate: no --rate with them
    /// [default: poisson, or the config's [simulate] arrivals].
    #[arg(long, value_name = "SOURCE", value_parser = named::<ArrivalSource>())]
    pub arrivals: Option<ArrivalSource>,
    /// Poisson arrival rate, samples per second; repeat to simulate several.
    #[arg(long = "rate", value_name = "PER_SECOND")]
    pub rates: Vec<f64>,
    /// Buffer size B: samples the device holds at once, the one in service included
    /// [default: 10].
    #[arg(long, value_name = "B")]
    pub buffer: Option<usize>,
    /// Device time from the input to each exit, ms (comma-separated, one per exit) [default:
    /// the trace's measured cost_k].
    #[arg(long = "device-ms", value_name = "MS,...", value_delimiter = ',')]
    pub device_ms: Vec<f64>,
    /// Bytes sent when splitting after each exit (comma-separated) [default: 0].
    #[arg(long, value_name = "BYTES,...", value_delimiter = ',')]
    pub bytes: Vec<f64>,
    /// Uplink bandwidth, Mbit/s [default: 100].
    #[arg(long = "bandwidth-mbps", value_name = "MBPS")]
    pub bandwidth_mbps: Option<f64>,
    /// Uplink latency of an offload, ms [default: 0].
    #[arg(long = "uplink-ms", value_name = "MS")]
    pub uplink_ms: Option<f64>,
    /// Cloud service time of an offload, ms [default: 0].
    #[arg(long = "cloud-ms", value_name = "MS")]
    pub cloud_ms: Option<f64>,
    /// Exponential service times (with the model's times as means), for checking.
    #[arg(long)]
    pub exponential: bool,
    /// Write simulate.json, simulate.md and the latency and loss plots into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

/// `splitee evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The decision log (JSON Lines, as `splitee run --decisions` and `splitee stream` write
    /// it), of one logging policy, with each decision's propensity.
    #[arg(long, value_name = "FILE.jsonl")]
    pub log: PathBuf,
    /// The trace the log was written on (its `sample` indexes it); repeat for several in order.
    /// The cost flags, threshold and reward must be those the log was written with.
    #[arg(long = "trace", value_name = "PATH", required = true)]
    pub traces: Vec<PathBuf>,
    /// The policies to evaluate (`--policy`, at least one), over the split arms at the run's
    /// threshold; the other flags are as `splitee run` takes them.
    #[command(flatten)]
    pub learner: LearnerArgs,
    /// Print the estimates as JSON.
    #[arg(long)]
    pub json: bool,
}

impl SimulateArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            traces: self.traces.clone(),
            runs: self.runs,
            order: self.order,
            ..self.learner.overrides()
        }
    }

    /// The config's deployment with the flags applied; `Ok(None)` when neither gives arrivals.
    /// `--arrivals trace` replaces the config's rates (they are a Poisson process's) and
    /// refuses `--rate`.
    pub fn deployment(
        &self,
        section: Option<SimulateSection>,
    ) -> Result<Option<SimulateSection>, String> {
        if self.arrivals == Some(ArrivalSource::Trace) && !self.rates.is_empty() {
            return Err(
                "--rate sets Poisson arrivals, but --arrivals trace replays the trace's \
                        arrival times, which set the rate: give one or the other"
                    .into(),
            );
        }
        let mut d = match section {
            Some(section) => section,
            None if self.rates.is_empty() && self.arrivals.is_none() => return Ok(None),
            None => SimulateSection {
                arrivals: ArrivalSource::default(),
                rates: Vec::new(),
                buffer: SimulateSection::DEFAULT_BUFFER,
                device_ms: None,
                device_macs: None,
                macs_per_ms: None,
                bytes: None,
                bandwidth_mbps: SimulateSection::DEFAULT_BANDWIDTH_MBPS,
                uplink_ms: 0.0,
                cloud_ms: 0.0,
                exponential: false,
                series_points: SimulateSection::DEFAULT_SERIES_POINTS,
            },
        };
        if let Some(arrivals) = self.arrivals {
            d.arrivals = arrivals;
            if arrivals == ArrivalSource::Trace {
                d.rates.clear();
            }
        }
        if !self.rates.is_empty() {
            d.rates.clone_from(&self.rates);
        }
        if !self.device_ms.is_empty() {
            d.device_ms = Some(self.device_ms.clone());
        }
        if !self.bytes.is_empty() {
            d.bytes = Some(self.bytes.clone());
        }
        d.buffer = self.buffer.unwrap_or(d.buffer);
        d.bandwidth_mbps = self.bandwidth_mbps.unwrap_or(d.bandwidth_mbps);
        d.uplink_ms = self.uplink_ms.unwrap_or(d.uplink_ms);
        d.cloud_ms = self.cloud_ms.unwrap_or(d.cloud_ms);
        d.exponential |= self.exponential;
        Ok(Some(d))
    }
}

impl EvaluateArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            traces: self.traces.clone(),
            ..self.learner.overrides()
        }
    }
}

/// `splitee stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// JSON Lines samples, one {"conf": [...], "pred": [...], "label": y, "cost": [...]} per
    /// line (label and cost optional); `-` or absent reads standard input; `.gz` is gunzipped.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub learner: LearnerArgs,
    #[arg(long = "reward-bounds", value_name = "LO,HI", value_parser = parse_bounds,
          allow_hyphen_values = true, help = help::reward_bounds())]
    pub reward_bounds: Option<RewardBounds>,
    /// Learner state: loaded at the start if the file exists, saved (atomically) at the end,
    /// every --save-every samples, after a bad line and on Ctrl-C.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Save the state every N samples (0: only at the end).
    #[arg(long = "save-every", value_name = "N", default_value_t = 100_000)]
    pub save_every: u64,
    /// A line that is not a valid sample stops the stream (the default; the state is saved)
    /// or is reported, skipped and counted.
    #[arg(long = "on-error", value_enum, default_value_t = OnError::Stop)]
    pub on_error: OnError,
    /// Test hook: pause this many milliseconds halfway through writing each save.
    #[arg(long = "save-pause-ms", hide = true)]
    pub save_pause_ms: Option<u64>,
}

/// A reward range `LO,HI` (a newtype, so clap does not read it as a repeated flag).
#[derive(Debug, Clone, Copy)]
pub struct RewardBounds(pub (f64, f64));

fn parse_bounds(text: &str) -> Result<RewardBounds, String> {
    let values: Vec<f64> = text
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{v}` is not a number"))
        })
        .collect::<Result<_, _>>()?;
    match values[..] {
        [lo, hi] if lo.is_finite() && hi.is_finite() && lo < hi => Ok(RewardBounds((lo, hi))),
        _ => Err("write the reward range as LO,HI with finite LO < HI".into()),
    }
}

/// `splitee bench-stream`.
#[derive(Debug, Args)]
pub struct BenchStreamArgs {
    /// Samples of `splitee synth`, written first to a temporary file (about 280 bytes each
    /// with 12 exits), then given to `splitee stream`.
    #[arg(long, default_value_t = 1_000_000)]
    pub samples: usize,
    /// Exits of the synthetic samples.
    #[arg(long, default_value_t = 12)]
    pub exits: usize,
    /// Policy of the stream.
    #[arg(long, default_value = "splitee-s")]
    pub policy: PolicySpec,
    /// Another splitee binary (an earlier build) whose stream is measured too, in turns with
    /// this one's on the same input, and printed beside it.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// How the input reaches the stream: `file` (its standard input is the generated file and
    /// its decisions go to /dev/null: only the stream runs while timed) or `pipe` (piped in by
    /// this process as fast as taken, the decisions read back as a consumer would).
    #[arg(long, value_enum, default_value = "file")]
    pub feed: splitee::bench::StreamFeed,
    /// With --baseline: runs of each side, in turns; the report gives medians and ranges, and
    /// the speed ratio round by round.
    #[arg(long, default_value_t = 5, requires = "baseline")]
    pub rounds: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A parsed threshold grid (a newtype, so clap does not read it as a repeated flag).
#[derive(Debug, Clone)]
pub struct Thresholds(pub Vec<f64>);

fn parse_thresholds(text: &str) -> Result<Thresholds, String> {
    splitee::arms::parse_thresholds(text).map(Thresholds)
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Trace file (.csv, .jsonl, .npz). Default: the embedded sparse-MNIST trace of `run`.
    #[arg(long, value_name = "PATH")]
    pub trace: Option<PathBuf>,
    /// Thresholds at which to report the fraction of samples with C_k >= alpha.
    #[arg(
        long = "alpha",
        value_name = "A",
        value_delimiter = ',',
        default_value = "0.5,0.6,0.7,0.8,0.9"
    )]
    pub alphas: Vec<f64>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftKind {
    None,
    Abrupt,
    Gradual,
    Switch,
}

impl SynthArgs {
    pub fn drift(&self) -> Drift {
        let kind = match self.drift {
            DriftKind::None => splitee::trace::synth::DriftKind::None,
            DriftKind::Abrupt => splitee::trace::synth::DriftKind::Abrupt,
            DriftKind::Gradual => splitee::trace::synth::DriftKind::Gradual,
            DriftKind::Switch => splitee::trace::synth::DriftKind::Switch,
        };
        kind.with(self.segments, self.shift)
    }
}

const MIX_EXAMPLES: &str = "\
Examples:
  splitee mix --context clean=datasets/sparsity-mnist-dense.csv \\
              --context noise0.4=datasets/sparsity-mnist-dense-noise0.4.csv --seed 1 --out mixed.csv
  splitee run --trace mixed.csv --policy splitee-s --policy per-context:splitee-s";

#[derive(Debug, Args)]
pub struct MixArgs {
    /// A context label and its trace, as LABEL=FILE (repeat for each); every sample of FILE
    /// gets the context LABEL. The traces must agree in exits and costs and have no context.
    #[arg(long, value_name = "LABEL=FILE", required = true, value_parser = parse_context_file)]
    pub context: Vec<(String, PathBuf)>,
    /// Seed of the shuffle; the same seed gives the same trace.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output file, .csv or .jsonl (optionally .gz), written atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn parse_context_file(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((label, path)) if !label.is_empty() && !path.is_empty() => {
            Ok((label.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "`{text}`: write LABEL=FILE, e.g. noise0.4=noisy.csv"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of samples.
    #[arg(long, default_value_t = 10_000)]
    pub samples: usize,
    /// Number of exits (the last is the final layer).
    #[arg(long, default_value_t = 12)]
    pub exits: usize,
    /// Number of classes.
    #[arg(long, default_value_t = 2)]
    pub classes: usize,
    /// Seed; the same seed gives the same trace.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output file (format from its extension); standard output when absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format; defaults to the extension of --out, or csv.
    #[arg(long, value_enum)]
    pub format: Option<SynthFormat>,
    /// Let the data drift: a distortion that rises in equal phases (`abrupt`; with --out each
    /// phase goes to its own file, OUT-1, OUT-2, ..., to replay with --order given) or steadily
    /// over the stream (`gradual`), shallow exits losing confidence the most; or equal phases
    /// alternating between clean data and a distortion that drops the exits of the first third
    /// of the network to chance confidence (`switch`, one file per phase too): the best split
    /// moves from an early exit to the first exit past that third and back.
    #[arg(long, value_enum, default_value_t = DriftKind::None)]
    pub drift: DriftKind,
    /// Phases of an abrupt or switching drift.
    #[arg(long, default_value_t = 2)]
    pub segments: usize,
    /// In [0, 1]. abrupt and gradual: how far the distortion lowers certainty at its peak;
    /// switch: how much easier the data is, added to every exit's certainty in every phase
    /// (0.5: the first exit reaches confidence 0.7 on 95% of the clean samples).
    #[arg(long, default_value_t = 0.5)]
    pub shift: f64,
}

const TRAIN_EXAMPLES: &str = "\
Examples:
  splitee train --config experiments/sparsity-mnist.toml
  splitee train --dataset optdigits --data-path ../shared/data/optdigits --widths 100,100,100,10 --out d
  splitee train --fanout 10,10,1 --exit-fanout 1,1 --noise 0.2,0.4 --blur 1 --out mnist-d10
  splitee train --fanout 20,50,10 --exit-fanout 5,5 --epochs 50 --learning-rate 0.002 --weight-decay 0.3 --out mnist-d24";

/// `splitee train`: a study config, or one network from flags.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Study config (TOML): data, model, [[networks]], output, evaluate, distortion. The other
    /// flags train one network instead.
    #[arg(long, value_name = "FILE.toml", conflicts_with_all = ["dataset", "data_path", "split", "widths", "exits", "fanout", "exit_fanout", "epochs", "learning_rate", "lr_schedule", "shift", "weight_decay", "seed", "out", "noise", "blur"])]
    pub config: Option<std::path::PathBuf>,
    /// Dataset.
    #[arg(long, value_parser = named::<splitee::train::data::DatasetKind>(), default_value = "mnist")]
    pub dataset: splitee::train::data::DatasetKind,
    /// The dataset's folder. Default: ../shared/data/<dataset>.
    #[arg(long = "data-path", value_name = "DIR")]
    pub data_path: Option<std::path::PathBuf>,
    /// MNIST without training images: test images used to train, and traced.
    #[arg(
        long = "split",
        value_name = "TRAIN,TRACE",
        value_delimiter = ',',
        default_value = "7000,3000"
    )]
    pub split: Vec<usize>,
    /// Layer widths N_0..N_D (inputs are zero-padded to N_0).
    #[arg(long, value_delimiter = ',', default_value = "800,100,100,10")]
    pub widths: Vec<usize>,
    /// Hidden layers followed by an exit head.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub exits: Vec<usize>,
    /// Fan-out per junction (default dense).
    #[arg(long, value_delimiter = ',')]
    pub fanout: Vec<usize>,
    /// Fan-out per exit head (default dense).
    #[arg(long = "exit-fanout", value_delimiter = ',')]
    pub exit_fanout: Vec<usize>,
    /// Training epochs.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Adam's learning rate (the initial one with a schedule).
    #[arg(long = "learning-rate", value_name = "LR", default_value_t = 1e-3)]
    pub learning_rate: f64,
    /// Learning-rate schedule: constant, cosine (per step, down to 0 at the end) or
    /// step:EVERY:FACTOR (times FACTOR every EVERY epochs).
    #[arg(
        long = "lr-schedule",
        value_name = "SCHEDULE",
        default_value = "constant"
    )]
    pub lr_schedule: splitee::train::Schedule,
    /// Augmentation: shift every training image by a random whole number of pixels in
    /// -SHIFT..=SHIFT along each axis, every epoch (0 = none).
    #[arg(long, value_name = "PIXELS", default_value_t = 0)]
    pub shift: usize,
    /// Decoupled (AdamW) weight decay of the weights, not the biases (0 = none).
    #[arg(long = "weight-decay", value_name = "WD", default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Seed of the patterns, weights, batch order, shifts and data split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output prefix: writes PREFIX.csv (trace) and PREFIX.profile.json.
    #[arg(long, value_name = "PREFIX", default_value = "trained")]
    pub out: std::path::PathBuf,
    /// Also trace the held-out images with Gaussian noise of these sigmas (0..1 pixel scale).
    #[arg(long, value_delimiter = ',')]
    pub noise: Vec<f64>,
    /// Also trace them blurred with these Gaussian sigmas (pixels).
    #[arg(long, value_delimiter = ',')]
    pub blur: Vec<f64>,
}

/// `splitee bench-train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// MNIST folder (synthetic images of the same shape when absent). Default: ../shared/data/mnist.
    #[arg(long = "data-path", value_name = "DIR")]
    pub data_path: Option<std::path::PathBuf>,
    /// Timed training epochs.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses an engine enumeration by name; `--help` lists each variant with its help.
fn named<T: Named + Send + Sync + Clone>() -> impl clap::builder::TypedValueParser<Value = T> {
    clap::builder::PossibleValuesParser::new(
        T::VARIANTS
            .iter()
            .map(|&(_, name, help)| clap::builder::PossibleValue::new(name).help(help)),
    )
    .map(|name: String| T::from_name(&name).expect("clap accepts only the listed names"))
}
