//! The library's error type: every failure a user can cause, each rendered as one line.

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
    #[error(transparent)]
    Param(#[from] crate::params::ParamError),
    /// Boxed: a plot error can itself hold an error reading a report.
    #[error(transparent)]
    Plot(Box<crate::plot::PlotError>),
    #[error(transparent)]
    Merge(#[from] crate::sweep::merge::MergeError),
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
    #[error(transparent)]
    State(#[from] crate::live::StateError),
    #[error(transparent)]
    Ope(#[from] crate::ope::OpeError),
    /// Boxed: a training error can itself hold an error of a learners' run.
    #[error(transparent)]
    Train(Box<crate::train::TrainError>),
    #[error("{name}: {message}")]
    Experiment { name: String, message: String },
    /// One of the project's external data files is not here (it is never in the repository).
    #[error("{}", crate::shared_data::unavailable(path))]
    Unavailable { path: PathBuf },
    /// A partial sweep's point file that `--skip-existing` cannot take as done.
    #[error(
        "{}: {why}; remove it to run the point again, or choose another --out",
        path.display()
    )]
    PointFile { path: PathBuf, why: String },
    /// A benchmark's child process failed.
    #[error("{0}")]
    Bench(String),
    /// A document that cannot be written as it is (a non-finite number in JSON).
    #[error("{}: cannot write: {source}", path.display())]
    Unwritable {
        path: PathBuf,
        source: crate::json::JsonError,
    },
    #[error(
        "{}: in use by another stream (one state file takes one stream at a time); stop that \
         stream or choose another --state",
        path.display()
    )]
    StateInUse { path: PathBuf },
    #[error("{}: cannot lock the state file", path.display())]
    StateLock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<splitee_core::Error> for Error {
    fn from(e: splitee_core::Error) -> Self {
        match e {
            splitee_core::Error::Trace(e) => e.into(),
            splitee_core::Error::Cost(e) => e.into(),
            splitee_core::Error::Sim(e) => e.into(),
            splitee_core::Error::Live(e) => e.into(),
            splitee_core::Error::State(e) => e.into(),
            splitee_core::Error::Param(e) => e.into(),
            splitee_core::Error::Ope(e) => e.into(),
        }
    }
}

impl From<crate::plot::PlotError> for Error {
    fn from(e: crate::plot::PlotError) -> Self {
        Error::Plot(Box::new(e))
    }
}

impl From<crate::train::data::DataError> for Error {
    fn from(e: crate::train::data::DataError) -> Self {
        Error::Train(Box::new(e.into()))
    }
}

impl From<crate::train::TrainError> for Error {
    fn from(e: crate::train::TrainError) -> Self {
        Error::Train(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
