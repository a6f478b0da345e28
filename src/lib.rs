//! splitee's experiment layer, over the engine in [`splitee_core`] and the trainer in
//! [`splitee_train`]: [`config`] reads settings from files and flags, [`experiment`] runs them
//! and writes [`report`]s, [`sweep`] runs grids (shards and merge), [`plot`] draws figures,
//! [`study`] trains and evaluates networks, [`stream`] decides live streams, [`mod@bench`] measures
//! speed. The engine's modules are re-exported under their own names.

pub use splitee_core::{
    arms, cost, embedded, files, frontier, grid, learner, live, named, numeric, param, policy,
    process, reward, seed, settings, sim, stats, text, trace,
};
pub use splitee_train as train;

pub mod bench;
pub mod config;
pub mod error;
pub mod experiment;
pub mod plot;
pub mod progress;
pub mod report;
pub mod stream;
pub mod study;
pub mod sweep;

pub use error::{Error, Result};
