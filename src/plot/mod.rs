//! Figures of a sweep report, as SVG and PNG: accuracy and cost against the offloading cost,
//! cumulative regret, which arm each learning policy played over time, and the Pareto front of
//! the fixed arms beside the learned policies.
//!
//! Every figure is a grid of panels of [`PANEL_SIZE`] (1200 x 800 px) each, on a white
//! background. Figures are first turned into backend-free panel data, then drawn once by
//! code generic over plotters' `DrawingBackend`, so the SVG and the PNG are the same picture.
//! Text uses DejaVu Sans, embedded in the binary, so rendering needs no system font.

mod draw;
mod figure;
mod queue;
mod queue_timeline;
mod sparsity;
mod sweep;

pub use self::queue::{plot_queue, QUEUE_FIGURES};
pub use self::sparsity::{plot_sparsity, SPARSITY_FIGURES};
pub use self::sweep::{plot_sweep, FIGURES};

pub use self::draw::{figure_size, PlotError, PANEL_SIZE};
use crate::report::sweep::read_report;
use std::path::{Path, PathBuf};

/// Redraws the figures of a results folder into it (what `splitee plot DIR` does): a sweep's
/// from `dir/sweep.json`, a sparsity study's from `dir/report.json`, or else a queue
/// simulation's from `dir/simulate.json`.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let sweep = dir.join("sweep.json");
    let study = dir.join("report.json");
    let simulation = dir.join("simulate.json");
    if sweep.exists() {
        let report = read_report(&sweep).map_err(PlotError::Read)?;
        plot_sweep(&report, dir)
    } else if study.exists() {
        let report = crate::study::report::read_report(&study).map_err(PlotError::Read)?;
        plot_sparsity(&report, dir)
    } else if simulation.exists() {
        let report = crate::report::queue::read_report(&simulation).map_err(PlotError::Read)?;
        plot_queue(&report, dir)
    } else {
        Err(PlotError::NothingToPlot {
            dir: dir.to_path_buf(),
        })
    }
}
