//! The `splitee` binary: parses flags and calls the library. Errors end as one line on stderr
//! and exit status 2.

mod cli;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};
use cli::{BenchArgs, Cli, Command, InspectArgs, RunArgs, SynthArgs, SynthFormat};
use indicatif::{ProgressBar, ProgressStyle};
use splitee::config::RunSettings;
use splitee::experiment::{load_traces, run_on, write_decisions, write_outputs};
use splitee::report::{write_atomic_with, Exporter, Json, Table};
use splitee::trace::{self, synth::SynthParams, write_csv, write_jsonl, TraceStats};
use std::io::Write;
use std::process::ExitCode;

/// Runs longer than this many decisions show a progress bar (on a terminal).
const PROGRESS_THRESHOLD: u64 = 2_000_000;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("splitee: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Synth(args) => synth(&args),
        Command::Bench(args) => bench(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("splitee: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes (`{:#}`), folded onto one line.
fn one_line(error: &anyhow::Error) -> String {
    format!("{error:#}")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(args: &RunArgs) -> Result<()> {
    let mut settings = RunSettings::resolve(args.config.as_deref(), args.overrides())?;
    settings.sim.record_decisions = args.decisions.is_some();
    let (trace, names) = load_traces(&settings)?;

    let total = (trace.samples() * settings.policies.len() * settings.sim.runs) as u64;
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
    let output = run_on(&trace, names, &settings, &|n| bar.inc(n))?;
    bar.finish_and_clear();

    if let Some(path) = &args.decisions {
        write_decisions(&output.sim, path)?;
    }
    if let Some(dir) = &args.out {
        write_outputs(&output.report, dir)?;
    }
    let exporter: &dyn Exporter = if args.json { &Json } else { &Table };
    print_stdout(&exporter.render(&output.report))
}

fn inspect(args: &InspectArgs) -> Result<()> {
    let trace = trace::load(&args.trace)?;
    let stats = TraceStats::compute(&trace, &args.alphas);
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&stats)?))
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
    let samples = params.stream()?;
    let format = args.format.unwrap_or_else(|| match &args.out {
        Some(p) if trace::TraceFormat::from_path(p).ok() == Some(trace::TraceFormat::Jsonl) => {
            SynthFormat::Jsonl
        }
        _ => SynthFormat::Csv,
    });
    let write = |out: &mut dyn Write| match format {
        SynthFormat::Csv => write_csv(out, samples),
        SynthFormat::Jsonl => write_jsonl(out, samples),
    };
    match &args.out {
        Some(path) => write_atomic_with(path, write)
            .with_context(|| format!("{}: cannot write", path.display()))?,
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            ignore_closed_pipe(write(&mut out).and_then(|()| out.flush()))?;
        }
    }
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

fn bench(args: &BenchArgs) -> Result<()> {
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
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&result)?))
    } else {
        print_stdout(&result.to_string())
    }
}
