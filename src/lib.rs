//! splitee's experiment layer, over the engine in [`splitee_core`] and the trainer in
//! [`splitee_train`]. Bottom up (a module uses only those before it): [`config`] reads settings
//! from files and flags; [`report`] summarises runs and sweeps and exports them; [`plot`] draws
//! them; [`error`] gathers every failure; [`run`] runs settings and writes their outputs;
//! [`simulate`] serves arrivals through the queue simulator;
//! [`evaluate`] estimates policies from decision logs;
//! [`sweep`] runs grids (shards and merge); [`study`] trains and evaluates networks;
//! [`reproduce`] regenerates the committed experiments; [`stream`] decides live streams;
//! [`mod@bench`] measures speed; [`progress`] shows bars; [`shared_data`] says where the data
//! the project reads but does not hold comes from. The engine's modules are re-exported under
//! their own names.

pub use splitee_core::{
    arms, compat, cost, decision, embedded, files, frontier, grid, json, learner, lines, live,
    memory, named, numeric, ope, param, params, policy, process, queue, reward, seed, settings,
    sim, stats, summary, sweep_grid, text, totals, trace,
};
pub use splitee_train as train;

pub mod bench;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod plot;
pub mod progress;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod shared_data;
pub mod simulate;
pub mod stream;
pub mod study;
pub mod sweep;
pub mod synth;

pub use error::{Error, Result};
