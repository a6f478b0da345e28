//! How a stream ended and what it did.

use serde::Serialize;
use std::path::PathBuf;

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum End {
    /// The input ended.
    Eof,
    /// Standard output was closed by its reader.
    OutputClosed,
    /// An error stopped it: a bad line (`--on-error stop`) or settings that do not fit the
    /// samples.
    Failed,
    /// A signal (Ctrl-C) stopped it.
    Interrupted,
}

/// What a stream did, printed on standard error at the end.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub end: End,
    /// Samples decided in this session.
    pub samples: u64,
    /// Bad lines skipped.
    pub skipped: u64,
    pub seconds: f64,
    pub samples_per_second: f64,
    /// Decisions since the state began (including a restored state's).
    pub decisions: u64,
    pub offload_fraction: f64,
    pub cost_per_sample: f64,
    pub reward_per_sample: f64,
    pub labeled: u64,
    /// A fraction, as every share in every output.
    pub accuracy: Option<f64>,
    /// The arm played most since the state began, as `k` or `k@alpha`.
    pub most_played_arm: Option<String>,
    /// The decision count a state resumed from.
    pub resumed_at: Option<u64>,
    /// The state file, if there is a learner state in it (saved now, or unchanged since it was
    /// loaded).
    pub saved: Option<PathBuf>,
    /// Peak resident memory of the process (Linux), in bytes.
    pub peak_rss_bytes: Option<u64>,
}

impl Summary {
    /// The decision count in a summary as [`Summary`]'s `Display` writes it (a stream started
    /// without a state: `  N decisions in all: ...`), read back from a stream's standard error
    /// by `bench-stream`, which throws the decisions themselves away. Kept beside the format
    /// it reads, and tested against it.
    pub fn decisions_in(text: &str) -> Option<u64> {
        text.lines().find_map(|line| {
            let (count, rest) = line.trim_start().split_once(' ')?;
            rest.starts_with("decisions in all")
                .then(|| count.parse().ok())
                .flatten()
        })
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ended = match self.end {
            End::Eof => "end of input",
            End::OutputClosed => "output closed",
            End::Failed => "stopped by an error",
            End::Interrupted => "interrupted",
        };
        writeln!(
            f,
            "stream: {} samples in {:.2} s ({:.3} M samples/s), {} bad lines skipped, {ended}",
            self.samples,
            self.seconds,
            self.samples_per_second / 1e6,
            self.skipped
        )?;
        let since = match self.resumed_at {
            Some(n) => format!("since the state began ({n} restored)"),
            None => "in all".into(),
        };
        write!(
            f,
            "  {} decisions {since}: offload fraction {:.3}, cost {:.4} per sample, reward {:.4} \
             per sample",
            self.decisions, self.offload_fraction, self.cost_per_sample, self.reward_per_sample
        )?;
        if let Some(a) = self.accuracy {
            write!(f, ", accuracy fraction {a:.4} of {} labeled", self.labeled)?;
        }
        if let Some(arm) = &self.most_played_arm {
            write!(f, ", most played arm {arm}")?;
        }
        writeln!(f)?;
        if let Some(path) = &self.saved {
            writeln!(
                f,
                "  state in {}: {} decisions",
                path.display(),
                self.decisions
            )?;
        }
        if let Some(peak) = self.peak_rss_bytes {
            writeln!(f, "  peak memory {:.1} MB", peak as f64 / 1e6)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decision_count_is_read_back_from_the_text() {
        let summary = Summary {
            end: End::Eof,
            samples: 1234,
            skipped: 0,
            seconds: 0.5,
            samples_per_second: 2468.0,
            decisions: 1234,
            offload_fraction: 0.5,
            cost_per_sample: 0.4,
            reward_per_sample: 0.3,
            labeled: 1234,
            accuracy: Some(0.9),
            most_played_arm: Some("2".into()),
            resumed_at: None,
            saved: None,
            peak_rss_bytes: Some(8_000_000),
        };
        let text = format!("splitee: a note before\n{summary}");
        assert_eq!(Summary::decisions_in(&text), Some(1234));
        assert_eq!(Summary::decisions_in("stream: nothing decided\n"), None);
    }
}
