//! splitee: learn online, without labels, where to split an early-exit network between an edge
//! device and the cloud, and when a sample may exit on the device.
//!
//! The pieces, in the order data flows through them: [`trace`] reads per-exit traces, [`cost`]
//! and [`reward`] turn a trace row into label-free rewards under an observation model,
//! [`policy`] decides, [`sim`] replays traces through policies, [`stats`] and [`report`]
//! summarise, [`config`] validates settings and [`experiment`] ties them together for the CLI;
//! [`embedded`] is the data a run without a trace uses.

pub mod arms;
pub mod bench;
pub mod config;
pub mod cost;
pub mod embedded;
pub mod error;
pub mod experiment;
pub mod frontier;
pub mod learner;
pub mod live;
pub mod plot;
pub mod policy;
pub mod report;
pub mod reward;
pub mod sim;
pub mod stats;
pub mod stream;
pub mod sweep;
pub mod trace;
pub mod train;

pub use error::{Error, Result};
