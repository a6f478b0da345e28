//! Anything that stops a training.

use crate::data::DataError;
use std::path::PathBuf;

/// Anything that stops a training: bad data, parameters, config or output.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    /// A fan-out that gives no integer fan-in, or is out of range.
    #[error("{place}: {message}")]
    Fanout { place: String, message: String },
    /// Any other invalid parameter, named by its key.
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    /// A study config that cannot be read or is invalid.
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    /// The loss or the weights stopped being finite.
    #[error(
        "network {name}: the training diverged in epoch {epoch} of {epochs}: {what}; lower \
         the learning rate"
    )]
    Diverged {
        name: String,
        epoch: usize,
        epochs: usize,
        what: String,
    },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An invalid parameter `key`.
pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> TrainError {
    TrainError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}
