//! The stream's input read and parsed on a thread of its own, so that reading the next samples
//! overlaps deciding and writing the last ones. Samples are handed over in batches of what was
//! ready: a batch goes out as soon as the next line is not in the input buffer yet and a read
//! may wait, so a sample never waits in a batch for later input. The batches' memory is handed
//! back and reused, at most [`BATCHES_AHEAD`] of them are read ahead, and a batch of samples
//! with very many exits holds few of them ([`BATCH_VALUES`]): a handful of batches are alive at
//! a time, so memory stays within a few samples' worth whatever the input.

use super::input::{Input, Waits};
use crate::trace::{JsonlSamples, Sample, TraceError, INPUT_BUFFER};
use std::io::BufReader;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};

/// Samples read at most into one batch.
const BATCH_SAMPLES: usize = 1024;

/// Confidences and predictions read at most into one batch (a sample with more fills one).
const BATCH_VALUES: usize = 1 << 16;

/// Full batches waiting for the decider, at most.
const BATCHES_AHEAD: usize = 1;

/// Samples read in input order, with what reading each gave.
#[derive(Default)]
pub(super) struct Batch {
    /// Slots reused from batch to batch; the first `reads.len()` hold this batch's samples.
    samples: Vec<Sample>,
    /// Per sample: its 1-based line and whether it was read (an error explains why not; boxed,
    /// so that the usual entry is 16 bytes rather than the error's 88).
    reads: Vec<(u64, Result<(), Box<TraceError>>)>,
}

impl Batch {
    /// The samples in input order: the line each was read at, and the sample or why not.
    pub(super) fn items(&mut self) -> impl Iterator<Item = (u64, Result<&Sample, TraceError>)> {
        let samples = &self.samples;
        self.reads
            .drain(..)
            .enumerate()
            .map(move |(i, (line, read))| (line, read.map(|()| &samples[i]).map_err(|e| *e)))
    }

    /// The slot the next sample is read into.
    fn next_slot(&mut self) -> &mut Sample {
        let index = self.reads.len();
        if self.samples.len() == index {
            self.samples.push(Sample::default());
        }
        &mut self.samples[index]
    }
}

/// The reading thread's side: full batches to take, spent ones to give back.
pub(super) struct ReadAhead {
    full: Receiver<Batch>,
    spent: SyncSender<Batch>,
}

impl ReadAhead {
    /// Starts reading `input` on its own thread; `keep_going` reads on after a bad line.
    pub(super) fn start(input: Input, keep_going: bool) -> std::io::Result<Self> {
        let (full_sender, full) = mpsc::sync_channel(BATCHES_AHEAD);
        let (spent, spent_receiver) = mpsc::sync_channel(BATCHES_AHEAD + 1);
        std::thread::Builder::new()
            .name("stream input".into())
            .spawn(move || read(input, keep_going, &full_sender, &spent_receiver))?;
        Ok(Self { full, spent })
    }

    /// The next batch, `None` once the input has ended (or a read error or a bad line ended
    /// it); `before_waiting` runs first whenever none is ready yet.
    pub(super) fn next(&self, before_waiting: impl FnOnce()) -> Option<Batch> {
        match self.full.try_recv() {
            Err(TryRecvError::Empty) => {
                before_waiting();
                self.full.recv().ok()
            }
            ready => ready.ok(),
        }
    }

    /// Gives a decided batch back for reuse.
    pub(super) fn give_back(&self, batch: Batch) {
        // A full return queue or a finished reader: the batch is simply dropped.
        let _ = self.spent.try_send(batch);
    }
}

/// The reading thread: batches of samples until the input ends or the decider goes away.
fn read(input: Input, keep_going: bool, full: &SyncSender<Batch>, spent: &Receiver<Batch>) {
    let waits = input.waits;
    let reader = BufReader::with_capacity(INPUT_BUFFER, input.reader);
    let mut samples = JsonlSamples::new(reader, input.name);
    if keep_going {
        samples = samples.keep_going();
    }
    loop {
        let mut batch = spent.try_recv().unwrap_or_default();
        let mut values = 0;
        let ended = loop {
            let slot = batch.next_slot();
            let Some(read) = samples.read_into(slot) else {
                break true;
            };
            values += slot.conf.len() + slot.pred.len();
            batch
                .reads
                .push((samples.line_number(), read.map_err(Box::new)));
            if batch.reads.len() == BATCH_SAMPLES
                || values >= BATCH_VALUES
                || (waits != Waits::Never && !samples.next_line_buffered() && may_wait(waits))
            {
                break false;
            }
        };
        // A decider that went away (the stream stopped) ends the reading.
        if !batch.reads.is_empty() && full.send(batch).is_err() || ended {
            return;
        }
    }
}

/// Whether reading more may block: nothing readable right now on the descriptor.
fn may_wait(waits: Waits) -> bool {
    match waits {
        Waits::Never => false,
        #[cfg(unix)]
        Waits::UnlessReady(fd) => {
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, zero timeout.
            let ready = unsafe { libc::poll(&mut poll, 1, 0) };
            ready <= 0
        }
        _ => true,
    }
}
