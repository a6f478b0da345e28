//! The splitee engine: learn online, without labels, where to split an early-exit network
//! between an edge device and the cloud, and when a sample may exit on the device.
//!
//! The layers, bottom up (a module uses only modules above it in this list): leaf utilities
//! ([`text`], [`lines`], [`files`], [`seed`], [`numeric`], [`process`], [`param`], [`grid`],
//! [`memory`], which counts what work would hold and refuses what the machine cannot, [`json`],
//! which writes only finite numbers, and [`params`], the rules every run parameter is checked
//! by); [`trace`] reads per-exit traces; [`cost`] prices
//! splits; [`arms`] are the learners' choices; [`reward`] turns a trace row into label-free
//! rewards under an observation model; [`policy`] decides; [`compat`] says what reproducing
//! published code changes; [`learner`] is the decision kernel
//! shared by [`sim`] (seeded replays of traces) and [`live`] (one sample at a time, with state
//! files) and by [`queue`] (samples arriving over time at a device with a finite buffer);
//! [`frontier`] scores every fixed arm; [`stats`] summarises; [`settings`] holds the run's
//! parameters with their only defaults and checks them into a
//! [`settings::CheckedSettings`]; [`summary`] runs them and turns the replay into the numbers a
//! run reports; [`ope`] estimates, from a decision log, how other policies would have done;
//! [`sweep_grid`] expands and runs grids of settings; [`embedded`] is the data a
//! run without a trace uses.
//!
//! This crate depends on no command-line, plotting or progress-bar crate: the experiment layer,
//! the trainer, the binary and the bindings build on it.

pub mod arms;
pub mod compat;
pub mod cost;
pub mod decision;
pub mod embedded;
pub mod error;
pub mod files;
pub mod frontier;
pub mod grid;
pub mod json;
pub mod learner;
pub mod lines;
pub mod live;
pub mod memory;
pub mod named;
pub mod numeric;
pub mod ope;
pub mod param;
pub mod params;
pub mod policy;
pub mod process;
pub mod queue;
pub mod reward;
pub mod seed;
pub mod settings;
pub mod sim;
pub mod stats;
pub mod summary;
pub mod sweep_grid;
pub mod text;
pub mod totals;
pub mod trace;

pub use error::{Error, Result};
