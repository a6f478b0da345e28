//! The library's error type: every failure a user can cause, each rendered as one line.

use std::borrow::Cow;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Trace(#[from] crate::trace::TraceError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Cost(#[from] crate::cost::CostError),
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// Boxed: a plot error can itself hold an error reading a report.
    #[error(transparent)]
    Plot(Box<crate::plot::PlotError>),
    #[error(transparent)]
    Merge(#[from] crate::sweep::MergeError),
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
    #[error(transparent)]
    State(#[from] crate::live::StateError),
    /// Boxed: a training error can itself hold an error of a learners' run.
    #[error(transparent)]
    Train(Box<crate::train::TrainError>),
    #[error("{name}: {message}")]
    Experiment { name: String, message: String },
    /// A benchmark's child process failed.
    #[error("{0}")]
    Bench(String),
    #[error("{}: cannot write", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<crate::plot::PlotError> for Error {
    fn from(e: crate::plot::PlotError) -> Self {
        Error::Plot(Box::new(e))
    }
}

impl From<crate::train::TrainError> for Error {
    fn from(e: crate::train::TrainError) -> Self {
        Error::Train(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `text` with line breaks and other control characters escaped (`\n`, `\r`, `\u{1b}`; tabs are
/// kept), so that user input quoted in a message (a CSV column name, a JSON key, a TOML string)
/// cannot break the message over several lines.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn one_line_escapes_line_breaks_and_control_characters_only() {
        assert_eq!(
            one_line("a\nb\r\nc\u{1b}d\te é"),
            "a\\nb\\r\\nc\\u{1b}d\te é"
        );
        assert!(matches!(
            one_line("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }
}
