//! `splitee stream`: decides JSON Lines samples as they arrive, one decision per line out.
//!
//! The input is read one line at a time (never further ahead than the reader's buffer) and each
//! sample is decided with a [`LiveLearner`] that sees only what the device and the cloud would
//! have computed. Output is written through a buffer that is flushed whenever the input has
//! nothing more to read right away, so no decision waits in the buffer for later input, while a
//! fast producer is not slowed down by a write per line. Memory does not depend on the length
//! of the stream.
//!
//! The loop's state lives in a [`Session`] behind a mutex so that a signal handler (the CLI's)
//! can finish it (flush, save, summarise) between two batches of samples (the ones read so
//! far, a millisecond's work at most), even while the loop waits for input.

mod input;
mod lock;
mod output;
mod read_ahead;
mod summary;

pub use self::input::Input;
pub use self::lock::StateLock;
pub use self::output::{is_stopped, StdoutOutput, Stop, Stopped};
use self::read_ahead::ReadAhead;
pub use self::summary::{End, Summary};

use crate::decision::Decision;
use crate::error::{Error, Result};
use crate::live::{LiveLearner, LiveSettings, Observed, StateError};
use crate::totals::Totals;
use crate::trace::{Location, Sample, TraceError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What to do with a line that is not a valid sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Report it and stop (after saving the state).
    #[default]
    Stop,
    /// Report it, count it in the summary and go on.
    Skip,
}

/// How a stream runs.
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// Learner state: loaded at the start if the file exists, saved at the end and every
    /// `save_every` samples.
    pub state: Option<PathBuf>,
    /// Save every this many samples (0: only at the end).
    pub save_every: u64,
    pub on_error: OnError,
    /// Test hook: pause halfway through writing every save.
    pub save_pause: Option<Duration>,
}

/// Bytes of decision lines written to the output at a time (unless flushed earlier).
const OUTPUT_BLOCK: usize = 64 << 10;

/// Bad lines reported one by one before they are only counted.
const REPORTED_BAD_LINES: u64 = 20;

/// A stream in progress: the learner, the output and the counts.
pub struct Session<W: Write> {
    settings: LiveSettings,
    options: StreamOptions,
    /// Built from the state file, or at the first sample (which fixes the exits).
    learner: Option<LiveLearner>,
    out: W,
    samples: u64,
    skipped: u64,
    resumed_at: Option<u64>,
    /// Decisions since the last save (or load).
    unsaved: u64,
    started: Instant,
    summary: Option<Summary>,
    /// Why the output took no more, if it did not: every later write and flush fails alike,
    /// so a failure met while waiting for input is reported as it was.
    output_failure: Option<std::io::Error>,
    /// A write error (other than a closed output) was reported.
    write_failed: bool,
    /// Decision lines not yet written to `out`, which takes them a block at a time.
    pending: Vec<u8>,
    /// Held while the session lives: no other stream writes its state file.
    _state_lock: Option<StateLock>,
}

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop(End),
}

impl<W: Write> Session<W> {
    /// A session writing decisions to `out`; locks the state file (refusing one another stream
    /// holds) and restores it if it exists.
    pub fn start(settings: LiveSettings, options: StreamOptions, out: W) -> Result<Self> {
        settings.check()?;
        let state_lock = options.state.as_deref().map(StateLock::take).transpose()?;
        let learner = match &options.state {
            Some(path) if path.exists() => Some(LiveLearner::load(&settings, path)?),
            _ => None,
        };
        Ok(Self {
            resumed_at: learner.as_ref().map(LiveLearner::steps),
            settings,
            options,
            learner,
            out,
            samples: 0,
            skipped: 0,
            unsaved: 0,
            started: Instant::now(),
            summary: None,
            output_failure: None,
            write_failed: false,
            pending: Vec::with_capacity(OUTPUT_BLOCK + 1024),
            _state_lock: state_lock,
        })
    }

    /// The decision count the state file resumed from, if one was loaded.
    pub fn resumed_at(&self) -> Option<u64> {
        self.resumed_at
    }

    /// Handles one item of the input read at line `line`: decides a sample and writes the
    /// decision, or reports a bad line (skipping it, or stopping with its error).
    pub fn handle(
        &mut self,
        item: Result<&Sample, TraceError>,
        line: u64,
        source: &Path,
    ) -> Result<Flow> {
        // A finished session (a signal handler finished it) decides nothing more.
        if let Some(summary) = &self.summary {
            return Ok(Flow::Stop(summary.end));
        }
        // The first sample sizes the learner, which then checks every sample, this one too.
        if let (Ok(sample), None) = (&item, &self.learner) {
            let learner =
                LiveLearner::new(&self.settings, sample.conf.len(), sample.cost.is_some())?;
            self.learner = Some(learner);
        }
        let sample = match item.and_then(|s| self.fits(s, line, source).map(|()| s)) {
            Ok(sample) => sample,
            Err(e) if self.options.on_error == OnError::Skip && e.location.is_some() => {
                self.skipped += 1;
                if self.skipped <= REPORTED_BAD_LINES {
                    note(&format!("splitee: skipped {e}\n"));
                }
                if self.skipped == REPORTED_BAD_LINES {
                    note("splitee: further bad lines are skipped without a report\n");
                }
                return Ok(Flow::Continue);
            }
            Err(e) => return Err(e.into()),
        };
        let Some(learner) = self.learner.as_mut() else {
            return Ok(Flow::Continue);
        };
        let t = learner.steps();
        // A per-context learner refuses a sample without a context whatever `--on-error` says:
        // a stream has a context on every line or on none, so no later line would be decided.
        if let Err(e) = learner.sense_context(sample.context.as_deref()) {
            return Err(TraceError::at(source, Location::Line(line), None, e.to_string()).into());
        }
        let plan = learner.choose();
        let observed = Observed {
            conf: &sample.conf,
            cost: sample.cost.as_deref(),
        };
        // The sample was validated: an error here is a bug, not bad input.
        let outcome = learner.observe(&observed)?;
        let line = learner.record(plan, &outcome, t, self.samples, &sample.pred, sample.label);
        self.samples += 1;
        self.unsaved += 1;
        let written = self.write_line(&line);
        if let Err(e) = written {
            return self.output_failed(e);
        }
        let every = self.options.save_every;
        if self.options.state.is_some() && every > 0 && self.unsaved >= every {
            // The decisions go out before the state that includes them is saved.
            if let Err(e) = self.flush() {
                return self.output_failed(e);
            }
            self.save()?;
        }
        Ok(Flow::Continue)
    }

    /// Whether a validated sample also fits the learner (its exits and costs).
    fn fits(&self, sample: &Sample, line: u64, source: &Path) -> Result<(), TraceError> {
        let Some(learner) = &self.learner else {
            return Ok(());
        };
        let problem = if sample.conf.len() != learner.exits() {
            Some(format!(
                "has {} exits but the learner has {}",
                sample.conf.len(),
                learner.exits()
            ))
        } else if learner.measured_costs() {
            match &sample.cost {
                None => Some("has no costs but the measured cost model needs them".into()),
                Some(cost) => learner.check_costs(cost).err(),
            }
        } else {
            None
        };
        match problem {
            Some(message) => Err(TraceError::at(
                source,
                crate::trace::Location::Line(line),
                None,
                message,
            )),
            None => Ok(()),
        }
    }

    /// A closed output (its reader has gone: `splitee stream | head`) ends the stream normally,
    /// a write given up on a stop request ends it as interrupted; another write error is an
    /// error.
    fn output_failed(&mut self, error: std::io::Error) -> Result<Flow> {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Ok(Flow::Stop(End::OutputClosed))
        } else if is_stopped(&error) {
            Ok(Flow::Stop(End::Interrupted))
        } else {
            Err(Error::Write {
                path: PathBuf::from("standard output"),
                source: error,
            })
        }
    }

    fn write_line(&mut self, line: &Decision) -> std::io::Result<()> {
        // After a failed write, later ones are not attempted.
        if let Some(failure) = &self.output_failure {
            return Err(same_failure(failure));
        }
        line.append_line(&mut self.pending);
        if self.pending.len() < OUTPUT_BLOCK {
            return Ok(());
        }
        self.write_pending()
    }

    /// Writes the pending decision lines to the output.
    fn write_pending(&mut self) -> std::io::Result<()> {
        let written = self.out.write_all(&self.pending);
        self.pending.clear();
        if let Err(e) = &written {
            self.output_failure = Some(same_failure(e));
        }
        written
    }

    /// Flushes the decisions written so far.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if let Some(failure) = &self.output_failure {
            return Err(same_failure(failure));
        }
        self.write_pending()?;
        let flushed = self.out.flush();
        if let Err(e) = &flushed {
            self.output_failure = Some(same_failure(e));
        }
        flushed
    }

    /// Saves the learner state, if there is a state file and a learner.
    fn save(&mut self) -> Result<Option<PathBuf>, StateError> {
        let (Some(path), Some(learner)) = (&self.options.state, &self.learner) else {
            return Ok(None);
        };
        learner.save_pausing(path, self.options.save_pause)?;
        self.unsaved = 0;
        Ok(Some(path.clone()))
    }

    /// Ends the session: flushes the output, saves the state and summarises. Later calls
    /// return `None` (a signal may arrive while the loop is finishing).
    pub fn finish(&mut self, end: End) -> Result<Option<Summary>> {
        if self.summary.is_some() {
            return Ok(None);
        }
        let flushed = self.flush();
        let saved = if self.unsaved > 0 || self.resumed_at.is_none() {
            self.save()?
        } else {
            // Nothing new since the state was loaded: the file already holds it.
            self.options
                .state
                .clone()
                .filter(|_| self.learner.is_some())
        };
        let seconds = self.started.elapsed().as_secs_f64();
        let totals = self.learner.as_ref().map(LiveLearner::totals);
        let decisions = totals.map_or(0, |t| t.decisions);
        let summary = Summary {
            end,
            samples: self.samples,
            skipped: self.skipped,
            seconds,
            samples_per_second: if seconds > 0.0 {
                self.samples as f64 / seconds
            } else {
                0.0
            },
            decisions,
            offload_fraction: totals.map_or(0.0, Totals::offload_fraction),
            cost_per_sample: totals.map_or(0.0, Totals::cost_per_sample),
            reward_per_sample: totals.map_or(0.0, Totals::reward_per_sample),
            labeled: totals.map_or(0, |t| t.labeled),
            accuracy: totals.and_then(Totals::accuracy),
            most_played_arm: self.learner.as_ref().and_then(|l| {
                let arm = l.totals().most_played()?;
                let label = l.arms().label(arm);
                Some(if l.arms().has_one_threshold() {
                    label.split.to_string()
                } else {
                    label.to_string()
                })
            }),
            resumed_at: self.resumed_at,
            saved,
            peak_rss_bytes: crate::process::peak_rss_bytes(),
        };
        self.summary = Some(summary.clone());
        if let Err(e) = flushed {
            let ended_normally = e.kind() == std::io::ErrorKind::BrokenPipe || is_stopped(&e);
            if !ended_normally && !self.write_failed {
                self.write_failed = true;
                return Err(Error::Write {
                    path: PathBuf::from("standard output"),
                    source: e,
                });
            }
        }
        Ok(Some(summary))
    }
}

/// An error telling the same as `error`: its system error, its kind, or a stop request.
fn same_failure(error: &std::io::Error) -> std::io::Error {
    if is_stopped(error) {
        return std::io::Error::other(Stopped);
    }
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => error.kind().into(),
    }
}

/// Writes `text` to standard error; a closed standard error does not stop the stream.
pub fn note(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Locks the session, whatever happened to another holder.
pub fn lock<W: Write>(session: &Mutex<Session<W>>) -> MutexGuard<'_, Session<W>> {
    session.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a stream ended: its summary (`None` if another holder of the session, a signal
/// handler, finished it first) and the error that stopped it, if any.
pub struct Ended {
    pub summary: Option<Summary>,
    pub error: Option<Error>,
}

/// Runs the stream: every sample of `input` decided by the session's learner, until the input
/// ends, the output closes or a bad line stops it. The input is read and parsed ahead on a
/// thread of its own (`src/stream/read_ahead.rs`); the decisions written so far are flushed
/// whenever no sample is ready. The state is saved and the summary taken at the end, also
/// after a bad line. A stream stopped from outside (its output gave up on a [`Stop`] request)
/// is left to the one who stopped it to finish.
pub fn run<W: Write>(input: Input, session: &Mutex<Session<W>>) -> Result<Ended> {
    let keep_going = lock(session).options.on_error == OnError::Skip;
    let name = input.name.clone();
    let reader = ReadAhead::start(input, keep_going).map_err(|e| {
        TraceError::file(&name, format!("cannot start the thread that reads it: {e}"))
    })?;
    let (end, error) = 'samples: loop {
        // A closed output is noticed when the next decision is written.
        let waiting = || drop(lock(session).flush());
        let Some(mut batch) = reader.next(waiting) else {
            break (End::Eof, None);
        };
        // The session is locked once a batch: a signal handler waits at most one batch (a
        // millisecond or so) to finish it, and the samples are decided without a lock each.
        let stopped = {
            let mut decider = lock(session);
            batch
                .items()
                .find_map(|(line, read)| match decider.handle(read, line, &name) {
                    Ok(Flow::Continue) => None,
                    Ok(Flow::Stop(end)) => Some(Ok(end)),
                    Err(e) => Some(Err(e)),
                })
        };
        match stopped {
            None => {}
            // Whoever stopped the stream (the CLI's signal handler) finishes it.
            Some(Ok(End::Interrupted)) => {
                return Ok(Ended {
                    summary: None,
                    error: None,
                })
            }
            Some(Ok(end)) => break 'samples (end, None),
            Some(Err(e)) => break 'samples (End::Failed, Some(e)),
        }
        reader.give_back(batch);
    };
    // Bound first: the guard must be gone before the error branch locks again.
    let finished = lock(session).finish(end);
    let summary = match finished {
        Ok(summary) => summary,
        // The summary was taken; only the final flush failed.
        Err(e @ Error::Write { .. }) => {
            let summary = lock(session).summary.clone();
            return Ok(Ended {
                summary,
                error: error.or(Some(e)),
            });
        }
        Err(e) => return Err(e),
    };
    Ok(Ended { summary, error })
}
