//! The `splitee` binary: parses flags and calls the library. Errors end as one line on stderr
//! and exit status 2.

mod cli;
mod signals;

use anyhow::{Context, Result};
use clap::CommandFactory;
use cli::{
    BenchArgs, BenchStreamArgs, Cli, Command, EvaluateArgs, InspectArgs, MergeArgs, MixArgs,
    PlotArgs, ReproduceArgs, RunArgs, SimulateArgs, StreamArgs, SweepArgs, SynthArgs, SynthFormat,
};
use indicatif::{ProgressBar, ProgressStyle};
use splitee::config::{ResolveSettings, RunSettings};
use splitee::report::queue::{QueueMarkdown, QueueReport};
use splitee::report::sweep::read_report;
use splitee::report::{Exporter, Json, Markdown, Table};
use splitee::run::{check_shared_present, load_traces, run_checked, run_logging, write_outputs};
use splitee::stream::note;
use splitee::sweep::{write_sweep_outputs, LoadedSweep, SweepSettings};
use splitee::trace::{self, synth::SynthParams, TraceStats};
use std::io::Write;
use std::process::ExitCode;

/// Runs longer than this many decisions show a progress bar (on a terminal).
const PROGRESS_THRESHOLD: u64 = 2_000_000;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // Bare `splitee`: clap would print the whole help; keep errors to one line.
            let names: Vec<String> = Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_owned())
                .filter(|n| n != "help")
                .collect();
            eprintln!(
                "splitee: name a command ({}); see splitee --help",
                names.join(", ")
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            // clap spreads an error over lines (the problem, possible values, usage, a tip);
            // keep what explains the problem, on one line.
            let rendered = e.render().to_string();
            let parts: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("splitee: {}", parts.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if let Err(e) = signals::install() {
        note(&format!("splitee: {}\n", one_line(&e)));
        return ExitCode::from(2);
    }
    splitee::lines::set_max_line_bytes(usize::try_from(cli.max_line_bytes).unwrap_or(usize::MAX));
    let outcome = match cli.command {
        Command::Run(args) => run(&args),
        Command::Simulate(args) => simulate(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Synth(args) => synth(&args),
        Command::Mix(args) => mix(&args),
        Command::Stream(args) => stream(&args),
        Command::Evaluate(args) => evaluate(&args),
        Command::Bench(args) => bench(&args),
        Command::BenchStream(args) => bench_stream(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Merge(args) => merge(&args),
        Command::Reproduce(args) => reproduce(&args),
        Command::Plot(args) => plot(&args),
        Command::Train(args) => train(&args),
        Command::BenchTrain(args) => bench_train(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            note(&format!("splitee: {}\n", one_line(&e)));
            ExitCode::from(2)
        }
    }
}

/// Notes on how the settings were read, on standard error.
fn print_notes(notes: &[String]) {
    for line in notes {
        note(&format!("splitee: note: {line}\n"));
    }
}

/// The error and its causes joined by `: ` (as `{:#}` joins them), folded onto one line. A cause
/// whose text a message already quotes (`f.csv: cannot read: Is a directory`) is left out
/// rather than said twice.
fn one_line(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

fn run(args: &RunArgs) -> Result<()> {
    let (settings, sections) =
        RunSettings::resolve_with_sections(args.learner.config.as_deref(), args.overrides())?;
    print_notes(&sections.notes);
    let settings = settings.check()?;
    let loaded = load_traces(&settings, args.out.is_some())?;
    let (trace, names) = (loaded.trace, loaded.names);

    // Saturating: a count too large to replay is refused by the replay itself, with its memory.
    let total = [settings.policies.len(), settings.sim.runs]
        .into_iter()
        .fold(trace.samples() as u64, |n, m| n.saturating_mul(m as u64));
    let bar = progress_bar(total);
    let advance = |n| bar.inc(n);
    let output = match &args.decisions {
        Some(path) => run_logging(&trace, names, &settings, &advance, path),
        None => run_checked(&trace, names, &settings, &advance),
    }
    .map_err(|e| sections.locate(e))?;
    bar.finish_and_clear();
    if let Some(dir) = &args.out {
        let config_text = args.learner.config.as_ref().map(|_| sections.text.as_str());
        write_outputs(&output.report, loaded.hash.as_deref(), config_text, dir)?;
    }
    let exporter: &dyn Exporter<splitee::report::Report> = if args.json { &Json } else { &Table };
    print_stdout(&exporter.render(&output.report)?)
}

fn simulate(args: &SimulateArgs) -> Result<()> {
    let (settings, sections) =
        RunSettings::resolve_with_sections(args.learner.config.as_deref(), args.overrides())?;
    print_notes(&sections.notes);
    let settings = settings.check()?;
    let deployment = args
        .deployment(sections.simulate.clone())
        .map_err(anyhow::Error::msg)?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "give arrivals: --rate PER_SECOND, --arrivals trace, or a config's [simulate] \
                 section"
            )
        })?;
    let loaded = load_traces(&settings, false)?;
    let report = splitee::simulate::simulate_section(
        &loaded.trace,
        loaded.names,
        &settings,
        &deployment,
        &sections,
    )
    .map_err(|e| sections.locate(e))?;
    if let Some(dir) = &args.out {
        splitee::simulate::write_outputs(&report, dir)?;
    }
    let exporter: &dyn Exporter<QueueReport> = if args.json { &Json } else { &QueueMarkdown };
    print_stdout(&exporter.render(&report)?)
}

fn evaluate(args: &EvaluateArgs) -> Result<()> {
    if args.learner.policies.is_empty() && args.learner.config.is_none() {
        anyhow::bail!("--policy: name at least one policy to evaluate");
    }
    // Targets are replayed over the split arms under strict observation, so a threshold grid or
    // a probe probability would change nothing: say so rather than ignore the flag.
    for (flag, given) in [
        ("--thresholds", args.learner.thresholds.is_some()),
        ("--probe", args.learner.probe.is_some()),
    ] {
        if given {
            anyhow::bail!(
                "{flag}: evaluate estimates policies over the split arms at the run's threshold \
                 under strict observation, where {flag} has no effect; leave it out"
            );
        }
    }
    let (settings, sections) =
        RunSettings::resolve_with_sections(args.learner.config.as_deref(), args.overrides())?;
    print_notes(&sections.notes);
    let settings = settings.check()?;
    let report =
        splitee::evaluate::evaluate_log(&args.log, &settings).map_err(|e| sections.locate(e))?;
    for warning in &report.warnings {
        note(&format!("splitee: warning: {warning}\n"));
    }
    if args.json {
        print_stdout(&format!("{}\n", splitee::json::to_string_pretty(&report)?))
    } else {
        print_stdout(&splitee::evaluate::render(&report))
    }
}

fn inspect(args: &InspectArgs) -> Result<()> {
    // The rule `run` checks alpha by, blaming the flag as `run` does.
    for &alpha in &args.alphas {
        splitee::params::ALPHA
            .check(alpha)
            .map_err(|e| anyhow::anyhow!("--alpha: {}", e.message))?;
    }
    let trace = match &args.trace {
        Some(path) => {
            check_shared_present(std::slice::from_ref(path))?;
            trace::load(path)?
        }
        None => splitee::embedded::trace()?,
    };
    let stats = TraceStats::compute(&trace, &args.alphas);
    if args.json {
        print_stdout(&format!("{}\n", splitee::json::to_string_pretty(&stats)?))
    } else {
        print_stdout(&stats.to_string())
    }
}

fn synth(args: &SynthArgs) -> Result<()> {
    let params = SynthParams {
        samples: args.samples,
        exits: args.exits,
        classes: args.classes,
        seed: args.seed,
    };
    let requested = args.format.map(|f| match f {
        SynthFormat::Csv => trace::TraceFormat::Csv,
        SynthFormat::Jsonl => trace::TraceFormat::Jsonl,
    });
    if let Some(path) = &args.out {
        let format = splitee::synth::file_format(path, requested)?;
        splitee::synth::write_files(&params, args.drift(), path, format)?;
        return Ok(());
    }
    let format = requested.unwrap_or(trace::TraceFormat::Csv);
    // The writers buffer; standard output's own line buffer passes whole chunks through.
    let mut samples = params.stream_with(args.drift())?;
    let mut out = std::io::stdout().lock();
    ignore_closed_pipe(
        splitee::synth::write_samples(&mut out, &mut samples, format).and_then(|()| out.flush()),
    )
}

fn mix(args: &MixArgs) -> Result<()> {
    let format = splitee::synth::file_format(&args.out, None)?;
    let parts = args
        .context
        .iter()
        .map(|(label, path)| Ok((label.clone(), trace::load(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let samples = trace::mixed(&parts, args.seed)?;
    splitee::synth::write_file(&args.out, &mut samples.into_iter(), format)?;
    Ok(())
}

/// Writes `text` to standard output. (`print!` panics when the reader has gone.)
fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    ignore_closed_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// A closed pipe (`splitee synth | head`) is a normal way to stop reading, not an error.
fn ignore_closed_pipe(written: std::io::Result<()>) -> Result<()> {
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

fn stream(args: &StreamArgs) -> Result<()> {
    use splitee::live::LiveSettings;
    use splitee::stream::{Input, Session, StdoutOutput, Stop, StreamOptions};
    use std::sync::{Arc, Mutex};
    let mut overrides = args.learner.overrides();
    if overrides.policies.is_empty() && args.learner.config.is_none() {
        overrides.policies = vec![splitee::settings::DEFAULT_STREAM_POLICY];
    }
    // The stream is this run's trace: without it the settings would take the embedded trace's
    // cost profile.
    overrides.traces = vec![args.input.clone().unwrap_or_else(|| "-".into())];
    let settings = RunSettings::resolve(args.learner.config.as_deref(), overrides)?;
    let policy = match settings.policies[..] {
        [policy] => policy,
        ref several => {
            let names: Vec<String> = several.iter().map(ToString::to_string).collect();
            anyhow::bail!(
                "stream runs one policy, but {} are named ({}); choose one with --policy",
                names.len(),
                names.join(", ")
            )
        }
    };
    let mut live = LiveSettings::from_run(&settings, policy)?;
    live.reward_bounds = args.reward_bounds.map(|b| b.0);
    let options = StreamOptions {
        state: args.state.clone(),
        save_every: args.save_every,
        on_error: args.on_error,
        save_pause: args.save_pause_ms.map(std::time::Duration::from_millis),
    };
    let input = Input::open(args.input.as_deref())?;
    let stop = Stop::default();
    // Unbuffered: the session writes its decisions a block at a time.
    let session = Session::start(live, options, StdoutOutput::new(stop.clone()))?;
    if let Some(path) = &args.state {
        match session.resumed_at() {
            Some(steps) => note(&format!(
                "splitee: resumed from {} at {steps} decisions\n",
                path.display()
            )),
            None => note(&format!(
                "splitee: {} does not exist yet; starting a new learner\n",
                path.display()
            )),
        }
    }
    let session = Arc::new(Mutex::new(session));
    finish_on_signals(Arc::clone(&session), stop.clone());
    let ended = splitee::stream::run(input, &session);
    if let Ok(Some(summary)) = ended.as_ref().map(|e| e.summary.as_ref()) {
        note(&summary.to_string());
    }
    if stop.requested() {
        // A signal stopped the stream: its handler saves, summarises and exits with its status.
        signals::wait_for_exit();
    }
    match ended?.error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// On Ctrl-C (SIGINT) or SIGTERM, finishes the stream between two samples (flushes the
/// decisions, saves the state, prints the summary) before the process exits with 130 or 143.
/// An output nobody reads is given up after a short grace, so the state is saved regardless.
fn finish_on_signals<W: Write + Send + 'static>(
    session: std::sync::Arc<std::sync::Mutex<splitee::stream::Session<W>>>,
    stop: splitee::stream::Stop,
) {
    signals::before_exit(move || {
        stop.request();
        let mut session = splitee::stream::lock(&session);
        match session.finish(splitee::stream::End::Interrupted) {
            Ok(Some(summary)) => summary.to_string(),
            Ok(None) => String::new(),
            Err(e) => format!("splitee: {}\n", one_line(&e.into())),
        }
    });
}

fn bench_stream(args: &BenchStreamArgs) -> Result<()> {
    let exe = std::env::current_exe().context("cannot locate the splitee binary")?;
    let input = splitee::bench::StreamInput::generate(&exe, args.samples, args.exits)?;
    if let Some(baseline) = &args.baseline {
        let comparison = splitee::bench::compare_streams(
            &exe,
            baseline,
            &input,
            args.policy,
            args.feed,
            args.rounds,
        )?;
        return print_stdout(&if args.json {
            format!("{}\n", serde_json::to_string_pretty(&comparison)?)
        } else {
            comparison.to_string()
        });
    }
    let result = splitee::bench::run_stream(&exe, &input, args.policy, args.feed)?;
    if args.json {
        print_stdout(&format!("{}\n", splitee::json::to_string_pretty(&result)?))
    } else {
        print_stdout(&result.to_string())
    }
}

fn bench(args: &BenchArgs) -> Result<()> {
    if args.paper_grid {
        let result = splitee::bench::paper_grid(args.samples, args.exits, args.runs.max(1))?;
        let text = if args.json {
            splitee::json::to_string_pretty(&result)? + "\n"
        } else {
            result.to_string()
        };
        return print_stdout(&text);
    }
    let result = splitee::bench::replay(&splitee::bench::ReplayBench {
        samples: args.samples,
        exits: args.exits,
        policy: args.policy,
        runs: args.runs.max(1),
        order: args.order,
        repetitions: args.repetitions.max(1),
        seed: 1,
    })?;
    if args.json {
        print_stdout(&format!("{}\n", splitee::json::to_string_pretty(&result)?))
    } else {
        print_stdout(&result.to_string())
    }
}

/// A progress bar over `total` decisions, shown (on a terminal) only for long work.
fn progress_bar(total: u64) -> ProgressBar {
    let bar = if total >= PROGRESS_THRESHOLD {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {percent:>3}% {human_pos}/{human_len} decisions, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn sweep(args: &SweepArgs) -> Result<()> {
    let overrides = splitee::config::Overrides {
        runs: args.runs,
        seed: args.seed,
        ..Default::default()
    };
    let settings = SweepSettings::resolve(&args.config, overrides)?;
    print_notes(&settings.notes);
    let selection = args.selection();
    let grid_size = settings.grid.points().len();
    let indices = match &selection {
        Some(selection) => selection
            .indices(grid_size)
            .map_err(|message| anyhow::anyhow!(message))?,
        None => (0..grid_size).collect(),
    };
    if args.list_points {
        return print_stdout(&settings.point_lines(&indices)?);
    }
    let loaded = LoadedSweep::load(&settings)?;
    let report = match (&args.out, selection) {
        (Some(dir), Some(_)) => {
            let plan = loaded.plan(&indices, dir, args.skip_existing)?;
            if plan.skipped() > 0 {
                print_notes(&[format!(
                    "{} of {} points already done in {}; running the other {}",
                    plan.skipped(),
                    indices.len(),
                    dir.display(),
                    plan.todo.len()
                )]);
            }
            let bar = progress_bar(loaded.decisions(&plan.todo));
            let report = loaded.run_into(plan, dir, &|n| bar.inc(n))?;
            bar.finish_and_clear();
            report
        }
        (out, selection) => {
            let bar = progress_bar(loaded.decisions(&indices));
            let report = loaded.run(&indices, &|n| bar.inc(n))?;
            bar.finish_and_clear();
            if let (Some(dir), None) = (out, selection) {
                write_sweep_outputs(&report, dir)?;
            }
            report
        }
    };
    let rendered = if args.json {
        Json.render(&report)
    } else {
        Markdown.render(&report)
    };
    print_stdout(&rendered?)
}

fn merge(args: &MergeArgs) -> Result<()> {
    let parts = args
        .parts
        .iter()
        .map(|p| Ok((p.display().to_string(), read_report(p)?)))
        .collect::<Result<Vec<_>>>()?;
    let merged = splitee::sweep::merge(parts)?;
    write_sweep_outputs(&merged, &args.out)?;
    print_stdout(&Markdown.render(&merged)?)
}

fn train(args: &cli::TrainArgs) -> Result<()> {
    use splitee::named::Named;
    use splitee::progress::BarProgress;
    use splitee::study;
    use splitee::train::data::{DataSpec, DEFAULT_TRACE_SPLIT, DEFAULT_TRAIN_SPLIT};
    use splitee::train::{distort::Distortion, TrainParams};
    let mut progress = BarProgress::default();
    if let Some(config) = &args.config {
        let report = study::Study::from_config(config)?.run(&mut progress)?;
        return print_stdout(&report.markdown());
    }
    let run = study::SingleRun {
        data: DataSpec {
            kind: args.dataset,
            path: args
                .data_path
                .clone()
                .unwrap_or_else(|| study::shared_data(args.dataset.name())),
            train: args.split.first().copied().unwrap_or(DEFAULT_TRAIN_SPLIT),
            trace: args.split.get(1).copied().unwrap_or(DEFAULT_TRACE_SPLIT),
            seed: args.seed,
        },
        params: TrainParams {
            name: args
                .out
                .file_name()
                .map_or_else(|| "trained".into(), |n| n.to_string_lossy().into_owned()),
            widths: args.widths.clone(),
            exits: args.exits.clone(),
            fanout: args.fanout.clone(),
            exit_fanout: args.exit_fanout.clone(),
            epochs: args.epochs,
            learning_rate: args.learning_rate,
            schedule: args.lr_schedule,
            shift: args.shift,
            weight_decay: args.weight_decay,
            seed: args.seed,
            ..TrainParams::default()
        },
        out: args.out.clone(),
        bytes_per_activation: 4,
        distortions: args
            .noise
            .iter()
            .map(|&sigma| Distortion::Noise { sigma })
            .chain(args.blur.iter().map(|&sigma| Distortion::Blur { sigma }))
            .collect(),
        distortion_seed: args.seed,
    };
    let out = run.run(&mut progress)?;
    print_stdout(&format!("{}\n", splitee::json::to_string_pretty(&out)?))
}

fn bench_train(args: &cli::BenchTrainArgs) -> Result<()> {
    let mnist = args
        .data_path
        .clone()
        .unwrap_or_else(|| splitee::study::shared_data("mnist"));
    if !mnist.exists() {
        print_notes(&[format!(
            "{}; timing synthetic images instead",
            splitee::shared_data::unavailable(&mnist)
        )]);
    }
    let result = splitee::train::bench::run(&splitee::train::bench::TrainBench {
        mnist: Some(mnist),
        epochs: args.epochs,
        min_seconds: 0.5,
    })?;
    if args.json {
        print_stdout(&format!("{}\n", splitee::json::to_string_pretty(&result)?))
    } else {
        print_stdout(&result.to_string())
    }
}

fn reproduce(args: &ReproduceArgs) -> Result<()> {
    let chosen = splitee::reproduce::select(&args.experiments, &args.name)?;
    let start = |total: u64| -> Box<dyn Fn(u64) + Sync> {
        let bar = progress_bar(total);
        Box::new(move |n| bar.inc(n))
    };
    // A results folder of the user's holds everything written, the studies' traces too.
    let (results, datasets) = match &args.results {
        Some(dir) => (dir.clone(), Some(dir.join("datasets"))),
        None => (std::path::PathBuf::from("results"), None),
    };
    let ran = splitee::reproduce::reproduce_each(
        &chosen,
        &results,
        datasets.as_deref(),
        args.name == "all",
        &start,
        &mut splitee::progress::BarProgress::default(),
        &mut |line| eprintln!("{line}"),
    )?;
    if ran == 0 {
        anyhow::bail!("no experiment could run");
    }
    Ok(())
}

fn plot(args: &PlotArgs) -> Result<()> {
    let written = splitee::plot::plot_dir(&args.dir)?;
    let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    print_stdout(&format!("{}\n", list.join("\n")))
}
