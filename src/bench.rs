//! Built-in benchmarks (`splitee bench`): replay throughput on a synthetic trace, measured on
//! one thread over repetitions, with the peak memory of the process.

use crate::config::ReportSection;
use crate::config::RunSettings;
use crate::error::Result;
use crate::policy::PolicySpec;
use crate::run::run_on;
use crate::sim::SimOptions;
use crate::stats::Estimate;
use crate::sweep::{LoadedSweep, SweepSettings};
use crate::sweep_grid::Grid;
use crate::trace::synth::SynthParams;
use serde::Serialize;
use std::time::Instant;

/// What to replay and how often.
#[derive(Debug, Clone)]
pub struct ReplayBench {
    pub samples: usize,
    pub exits: usize,
    pub policy: PolicySpec,
    /// Runs per timed call, as `splitee run --runs`.
    pub runs: usize,
    pub order: crate::sim::Order,
    pub repetitions: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayBenchResult {
    pub policy: String,
    pub samples: usize,
    pub exits: usize,
    /// Arms the policy chooses among (every split, or every (split, threshold) pair).
    pub arms: usize,
    pub runs: usize,
    pub order: crate::sim::Order,
    pub repetitions: usize,
    /// Decisions per second on one thread, mean and 95% interval over repetitions.
    pub decisions_per_second: Estimate,
    /// Seconds to build the synthetic trace (not part of the replay figure).
    pub generate_seconds: f64,
    pub trace_bytes: usize,
    /// Peak resident memory of the whole process (Linux `VmHWM`), if known.
    pub peak_rss_bytes: Option<u64>,
}

impl std::fmt::Display for ReplayBenchResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.decisions_per_second;
        writeln!(
            f,
            "replay {} ({} arms): {} samples x {} exits, {} {:?} runs per call, {} calls, 1 thread",
            self.policy,
            self.arms,
            self.samples,
            self.exits,
            self.runs,
            self.order,
            self.repetitions
        )?;
        writeln!(
            f,
            "  {:.2} M decisions/s (95% interval ± {:.2})",
            d.mean / 1e6,
            d.ci95.unwrap_or(f64::NAN) / 1e6
        )?;
        writeln!(
            f,
            "  synthetic trace generated at {:.1} M sample-exits/s",
            (self.samples * self.exits) as f64 / self.generate_seconds / 1e6
        )?;
        let mb = |b: f64| b / 1e6;
        match self.peak_rss_bytes {
            Some(p) => writeln!(
                f,
                "  peak memory {:.1} MB (trace arrays {:.1} MB)",
                mb(p as f64),
                mb(self.trace_bytes as f64)
            ),
            None => writeln!(f, "  peak memory unknown on this platform"),
        }
    }
}

/// Replays a synthetic trace through one policy on a single thread, `repetitions` times, each a
/// full `splitee run`-style call of `runs` shuffled runs (including the per-call pass that finds
/// the best fixed arm), and reports decisions per second over the calls.
pub fn replay(bench: &ReplayBench) -> Result<ReplayBenchResult> {
    let started = Instant::now();
    let trace = SynthParams {
        samples: bench.samples,
        exits: bench.exits,
        classes: 2,
        seed: bench.seed,
    }
    .trace()?;
    let generate_seconds = started.elapsed().as_secs_f64();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool can always be built");
    let mut rates = Vec::with_capacity(bench.repetitions);
    let mut arms = 0;
    for rep in 0..bench.repetitions {
        let settings = RunSettings {
            policies: vec![bench.policy],
            sim: SimOptions {
                runs: bench.runs,
                order: bench.order,
                seed: bench.seed.wrapping_add(rep as u64),
                ..SimOptions::default()
            },
            ..RunSettings::default()
        };
        let start = Instant::now();
        let output = pool.install(|| run_on(&trace, vec![], &settings, &|_| {}))?;
        arms = output.sim.arms.first().map_or(0, |a| a.arms.len());
        rates.push((bench.samples * bench.runs) as f64 / start.elapsed().as_secs_f64());
    }
    Ok(ReplayBenchResult {
        policy: bench.policy.to_string(),
        samples: bench.samples,
        exits: bench.exits,
        arms,
        runs: bench.runs,
        order: bench.order,
        repetitions: bench.repetitions,
        decisions_per_second: Estimate::from_values(&rates),
        generate_seconds,
        trace_bytes: trace.heap_bytes(),
        peak_rss_bytes: crate::process::peak_rss_bytes(),
    })
}

/// The SplitEE paper grid: 11 offloading costs (0.10 to 0.60) x `runs` runs x SplitEE and
/// SplitEE-S, on a synthetic trace, on all cores.
#[derive(Debug, Clone, Serialize)]
pub struct PaperGridResult {
    pub samples: usize,
    pub exits: usize,
    pub runs: usize,
    pub points: usize,
    pub threads: usize,
    pub decisions: u64,
    pub seconds: f64,
}

impl std::fmt::Display for PaperGridResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "paper grid: {} offloading costs x {} runs x {{splitee, splitee-s}} on {} samples x {} exits, {} threads",
            self.points, self.runs, self.samples, self.exits, self.threads
        )?;
        writeln!(
            f,
            "  {:.0} M decisions in {:.2} s ({:.1} M decisions/s)",
            self.decisions as f64 / 1e6,
            self.seconds,
            self.decisions as f64 / self.seconds / 1e6
        )
    }
}

/// Times the paper grid on a synthetic trace (generation not included).
pub fn paper_grid(samples: usize, exits: usize, runs: usize) -> Result<PaperGridResult> {
    let trace = SynthParams {
        samples,
        exits,
        classes: 2,
        seed: 1,
    }
    .trace()?;
    let offload: Vec<f64> = (0..11).map(|i| (10 + 5 * i) as f64 / 100.0).collect();
    // SplitEE's setting (the run defaults) at each offloading cost.
    let base = RunSettings {
        policies: vec![PolicySpec::SPLITEE, PolicySpec::SPLITEE_S],
        sim: SimOptions {
            runs,
            ..SimOptions::default()
        },
        ..RunSettings::default()
    };
    let mut grid = Grid::new(base, vec![Vec::new()]);
    grid.offload = offload;
    let settings = SweepSettings {
        grid,
        synthetic: None,
        report: ReportSection::default(),
        published: None,
        config_text: String::new(),
        notes: Vec::new(),
    };
    let sweep = LoadedSweep::with_traces(&settings, vec![(trace, vec!["synthetic".into()])]);
    let decisions = sweep.decisions(&sweep.all_points());
    let start = Instant::now();
    let report = sweep.run(&sweep.all_points(), &|_| {})?;
    Ok(PaperGridResult {
        samples,
        exits,
        runs,
        points: report.points.len(),
        threads: rayon::current_num_threads(),
        decisions,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// How `bench-stream` gives the stream its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StreamFeed {
    /// The generated file is the stream's standard input and its decisions go to `/dev/null`
    /// (counted by the stream's summary): while it is timed, only the stream runs, and what
    /// is measured is reading, deciding and writing, not a file system or a consumer.
    File,
    /// Piped in by this process as fast as the stream takes it, the decisions read back as a
    /// consumer would: the feeding and reading share the machine with the stream.
    Pipe,
}

impl StreamFeed {
    /// How the input and the decisions travel, as the report says it.
    fn describe(self) -> &'static str {
        match self {
            Self::File => "input read from the file, decisions written to /dev/null",
            Self::Pipe => "input piped in as fast as taken, decisions read back",
        }
    }
}

/// One timed `splitee stream` on the generated input.
#[derive(Debug, Clone, Serialize)]
pub struct StreamBenchResult {
    pub samples: usize,
    pub exits: usize,
    pub policy: String,
    pub feed: StreamFeed,
    /// Wall time from starting the stream until it has exited.
    pub seconds: f64,
    /// `samples / seconds`.
    pub samples_per_second: f64,
    /// Peak resident memory of the stream process (its `ru_maxrss`), in bytes.
    pub stream_peak_rss_bytes: Option<u64>,
    /// CPU time (user + system) of the stream process.
    pub stream_cpu_seconds: Option<f64>,
    /// The decisions the stream wrote: counted by this process as it reads them (`pipe`), or
    /// as the stream's summary reports them (`file`).
    pub decisions: u64,
}

impl StreamBenchResult {
    /// What was run, on one line.
    fn command(&self) -> String {
        format!(
            "splitee stream --policy {} < {} lines of splitee synth --exits {} --format jsonl (generated first; {})",
            self.policy,
            self.samples,
            self.exits,
            self.feed.describe()
        )
    }
}

impl std::fmt::Display for StreamBenchResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.command())?;
        writeln!(
            f,
            "  {} decisions in {:.2} s: {:.2} M samples/s (wall time)",
            self.decisions,
            self.seconds,
            self.samples_per_second / 1e6
        )?;
        match (self.stream_peak_rss_bytes, self.stream_cpu_seconds) {
            (Some(rss), Some(cpu)) => writeln!(
                f,
                "  stream process: peak memory {:.1} MB (max RSS), {:.2} s CPU ({:.2} M samples per CPU second)",
                rss as f64 / 1e6,
                cpu,
                self.samples as f64 / cpu / 1e6
            ),
            _ => writeln!(f, "  stream process: peak memory unknown on this platform"),
        }
    }
}

/// The input of the stream benchmarks: `exe synth --samples N --exits L --format jsonl --seed 1`
/// written once to a scratch file (removed when dropped), so that every stream measured reads
/// the same bytes and none waits on the generator.
pub struct StreamInput {
    file: splitee_core::files::ScratchFile,
    samples: usize,
    exits: usize,
}

impl StreamInput {
    pub fn generate(exe: &std::path::Path, samples: usize, exits: usize) -> Result<Self> {
        use std::process::{Command, Stdio};
        let failed = |what: &str, e: std::io::Error| crate::Error::Bench(format!("{what}: {e}"));
        let file = splitee_core::files::ScratchFile::new(".splitee-bench-stream-")
            .map_err(|e| failed("cannot create the stream's input file", e))?;
        let out = file
            .reopen()
            .map_err(|e| failed("cannot open the stream's input file", e))?;
        let synth = Command::new(exe)
            .args(["synth", "--format", "jsonl", "--seed", "1"])
            .args([
                "--samples",
                &samples.to_string(),
                "--exits",
                &exits.to_string(),
            ])
            .stdout(out)
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| failed("cannot run splitee synth", e))?;
        if !synth.status.success() {
            return Err(child_failed(
                "synth",
                &String::from_utf8_lossy(&synth.stderr),
            ));
        }
        Ok(Self {
            file,
            samples,
            exits,
        })
    }
}

/// Runs `stream_exe stream --policy P` on `input`, fed as `feed` says, and measures the wall
/// time from starting it until it has exited, with the stream process's peak memory and CPU
/// time (from `wait4`); the decisions it wrote are counted.
pub fn run_stream(
    stream_exe: &std::path::Path,
    input: &StreamInput,
    policy: PolicySpec,
    feed: StreamFeed,
) -> Result<StreamBenchResult> {
    use std::process::{Command, Stdio};
    let failed = |what: &str, e: std::io::Error| crate::Error::Bench(format!("{what}: {e}"));
    let source = input
        .file
        .reopen()
        .map_err(|e| failed("cannot open the stream's input file", e))?;
    let mut command = Command::new(stream_exe);
    command
        .args(["stream", "--policy", &policy.to_string()])
        .stderr(Stdio::piped());
    let start = Instant::now();
    let (succeeded, usage, decisions, errors) =
        match feed {
            StreamFeed::File => {
                let mut stream = command
                    .stdin(source)
                    .stdout(Stdio::null())
                    .spawn()
                    .map_err(|e| failed("cannot start splitee stream", e))?;
                let errors = read_in_background(stream.stderr.take());
                let (succeeded, usage) = wait_with_usage(&mut stream)?;
                (succeeded, usage, None, errors)
            }
            StreamFeed::Pipe => {
                let mut stream = command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .map_err(|e| failed("cannot start splitee stream", e))?;
                let errors = read_in_background(stream.stderr.take());
                let mut stdin = stream.stdin.take().ok_or_else(|| {
                    crate::Error::Bench("splitee stream has no input pipe".into())
                })?;
                // Fed on a thread of its own; a stream that stops early closes the pipe, which
                // ends it.
                let mut source = source;
                let feeder =
                    std::thread::spawn(move || std::io::copy(&mut source, &mut stdin).map(drop));
                let mut out = stream.stdout.take().ok_or_else(|| {
                    crate::Error::Bench("splitee stream has no output pipe".into())
                })?;
                let lines = count_lines(&mut out)
                    .map_err(|e| failed("cannot read the stream's output", e))?;
                let (succeeded, usage) = wait_with_usage(&mut stream)?;
                let fed = feeder.join().unwrap_or(Ok(()));
                if succeeded {
                    fed.map_err(|e| failed("cannot pipe the input into splitee stream", e))?;
                }
                (succeeded, usage, Some(lines), errors)
            }
        };
    let seconds = start.elapsed().as_secs_f64();
    let errors = errors.join().unwrap_or_default();
    if !succeeded {
        return Err(child_failed("stream", &errors));
    }
    // Decisions thrown away are counted by the stream's own summary.
    let decisions = match decisions.or_else(|| crate::stream::Summary::decisions_in(&errors)) {
        Some(decisions) => decisions,
        None => {
            return Err(crate::Error::Bench(
                "splitee stream did not report how many samples it decided".into(),
            ))
        }
    };
    Ok(StreamBenchResult {
        samples: input.samples,
        exits: input.exits,
        policy: policy.to_string(),
        feed,
        seconds,
        samples_per_second: input.samples as f64 / seconds,
        stream_peak_rss_bytes: usage.map(|u| u.0),
        stream_cpu_seconds: usage.map(|u| u.1),
        decisions,
    })
}

/// The lines of `reader` to its end, 64 KiB at a time.
fn count_lines(reader: &mut impl std::io::Read) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 64 << 10];
    let mut lines = 0u64;
    loop {
        match reader.read(&mut buffer)? {
            0 => return Ok(lines),
            n => lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64,
        }
    }
}

/// A failed `splitee COMMAND` child, told by the last line of its standard error.
fn child_failed(command: &str, stderr: &str) -> crate::Error {
    let last = stderr
        .lines()
        .last()
        .map_or("no message", |l| l.trim_start_matches("splitee: "));
    crate::Error::Bench(format!("splitee {command} failed: {last}"))
}

/// Reads a child's standard error to the end on a thread of its own (so that a chatty child
/// never waits on a full pipe while we wait for it).
fn read_in_background(
    stderr: Option<std::process::ChildStderr>,
) -> std::thread::JoinHandle<String> {
    use std::io::Read;
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_string(&mut text);
        }
        text
    })
}

/// The median, least and greatest of some figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for no figures.
    pub fn of(figures: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut sorted: Vec<f64> = figures.into_iter().collect();
        sorted.sort_by(f64::total_cmp);
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Some(Self { median, min, max })
    }

    /// `min to max`, with `decimals` decimals.
    fn range(&self, decimals: usize) -> String {
        format!("{:.*} to {:.*}", decimals, self.min, decimals, self.max)
    }
}

/// One side's runs in a [`StreamComparison`].
#[derive(Debug, Clone, Serialize)]
pub struct StreamRuns {
    /// Wall seconds of the runs.
    pub seconds: Spread,
    pub samples_per_second: Spread,
    /// CPU seconds of the stream process, where the platform reports them.
    pub cpu_seconds: Option<Spread>,
    pub peak_rss_bytes: Option<Spread>,
    pub runs: Vec<StreamBenchResult>,
}

impl StreamRuns {
    fn of(runs: Vec<StreamBenchResult>) -> Option<Self> {
        Some(Self {
            seconds: Spread::of(runs.iter().map(|r| r.seconds))?,
            samples_per_second: Spread::of(runs.iter().map(|r| r.samples_per_second))?,
            cpu_seconds: all_of(&runs, |r| r.stream_cpu_seconds),
            peak_rss_bytes: all_of(&runs, |r| r.stream_peak_rss_bytes.map(|b| b as f64)),
            runs,
        })
    }
}

/// The spread of a figure every run has, or `None`.
fn all_of(
    runs: &[StreamBenchResult],
    figure: impl Fn(&StreamBenchResult) -> Option<f64>,
) -> Option<Spread> {
    Spread::of(runs.iter().map(figure).collect::<Option<Vec<f64>>>()?)
}

/// This build's stream and a baseline binary's (an earlier build) run in turns on the same
/// input, `rounds` times each; ratios are taken round by round (the baseline's time over this
/// build's), so that a drift in the machine's speed meets both sides of a ratio.
#[derive(Debug, Clone, Serialize)]
pub struct StreamComparison {
    pub feed: StreamFeed,
    pub rounds: usize,
    pub baseline_path: std::path::PathBuf,
    pub current: StreamRuns,
    pub baseline: StreamRuns,
    /// How many times more samples per second (wall) this build decides, round by round.
    pub wall_speedup: Spread,
    /// How many times more samples per CPU second of the stream process, round by round.
    pub cpu_speedup: Option<Spread>,
}

impl std::fmt::Display for StreamComparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |f: &mut std::fmt::Formatter<'_>, name: &str, runs: &StreamRuns| {
            write!(
                f,
                "  {name}: {:.3} s wall, median of {} ({}): {:.2} M samples/s",
                runs.seconds.median,
                runs.runs.len(),
                runs.seconds.range(3),
                runs.samples_per_second.median / 1e6
            )?;
            if let Some(cpu) = runs.cpu_seconds {
                write!(f, "; {:.3} s CPU ({})", cpu.median, cpu.range(3))?;
            }
            if let Some(rss) = runs.peak_rss_bytes {
                write!(f, "; peak memory {:.1} MB", rss.median / 1e6)?;
            }
            writeln!(f)
        };
        if let Some(first) = self.current.runs.first() {
            writeln!(f, "{}", first.command())?;
        }
        writeln!(
            f,
            "{} rounds, this build and the baseline in turns:",
            self.rounds
        )?;
        side(f, "this build", &self.current)?;
        side(
            f,
            &format!("baseline {}", self.baseline_path.display()),
            &self.baseline,
        )?;
        let wall = self.wall_speedup;
        write!(
            f,
            "this build / baseline, round by round: {:.2}x samples per second (wall), median ({})",
            wall.median,
            wall.range(2)
        )?;
        if let Some(cpu) = self.cpu_speedup {
            write!(
                f,
                "; {:.2}x samples per CPU second ({})",
                cpu.median,
                cpu.range(2)
            )?;
        }
        writeln!(f)
    }
}

/// [`run_stream`] with this build's stream and with `baseline`'s on one input, `rounds` times
/// each in turns (so that both meet the same machine load).
pub fn compare_streams(
    exe: &std::path::Path,
    baseline: &std::path::Path,
    input: &StreamInput,
    policy: PolicySpec,
    feed: StreamFeed,
    rounds: usize,
) -> Result<StreamComparison> {
    let rounds = rounds.max(1);
    let (mut current, mut old) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        current.push(run_stream(exe, input, policy, feed)?);
        old.push(run_stream(baseline, input, policy, feed)?);
    }
    let ratio = |figure: fn(&StreamBenchResult) -> Option<f64>| {
        let pairs = current.iter().zip(&old);
        Spread::of(
            pairs
                .map(|(new, old)| Some(figure(old)? / figure(new)?))
                .collect::<Option<Vec<f64>>>()?,
        )
    };
    let no_run = || crate::Error::Bench("no run was made".into());
    let wall_speedup = ratio(|r| Some(r.seconds)).ok_or_else(no_run)?;
    let cpu_speedup = ratio(|r| r.stream_cpu_seconds);
    Ok(StreamComparison {
        feed,
        rounds,
        baseline_path: baseline.to_path_buf(),
        current: StreamRuns::of(current).ok_or_else(no_run)?,
        baseline: StreamRuns::of(old).ok_or_else(no_run)?,
        wall_speedup,
        cpu_speedup,
    })
}

/// Waits for `child`; whether it succeeded, and its peak RSS (bytes) and CPU seconds when the
/// platform reports them.
#[cfg(unix)]
fn wait_with_usage(child: &mut std::process::Child) -> Result<(bool, Option<(u64, f64)>)> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to a status and a rusage; `pid` is our child, not yet reaped.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if reaped != pid {
        return Err(crate::Error::Bench(format!(
            "cannot wait for splitee stream: {}",
            std::io::Error::last_os_error()
        )));
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    // Linux reports ru_maxrss in KiB.
    let rss = usage.ru_maxrss as u64 * 1024;
    Ok((
        ok,
        Some((rss, seconds(usage.ru_utime) + seconds(usage.ru_stime))),
    ))
}

#[cfg(not(unix))]
fn wait_with_usage(child: &mut std::process::Child) -> Result<(bool, Option<(u64, f64)>)> {
    let status = child
        .wait()
        .map_err(|e| crate::Error::Bench(format!("cannot wait for splitee stream: {e}")))?;
    Ok((status.success(), None))
}
