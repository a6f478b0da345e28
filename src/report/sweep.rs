//! What a sweep produced: its grid points and their results, ready to merge, export and plot.

use super::ToolInfo;
use crate::config::{PublishedSection, ReportSection};
use crate::frontier::FixedArm;
pub use crate::sweep_grid::{Point, PointResult};
use crate::trace::TraceError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What a trace was, so a result can be traced to its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceMeta {
    pub paths: Vec<String>,
    /// FNV-1a 64-bit hash of the files' bytes, in order.
    pub hash: String,
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
    /// The first sample of each segment after the first (each file after the first of a
    /// concatenation, each phase after the first of a generated drifting stream) when the runs
    /// replay the samples in their given order (`run.order = "given"`): where the stream
    /// changes. Empty when shuffled runs mix the segments, and in reports written before it was
    /// recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_starts: Vec<usize>,
}

/// Fixed arms of one trace at the focus point, for the Pareto plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frontier {
    /// Index of the grid point whose costs the arms were evaluated with.
    pub point: usize,
    pub arms: Vec<FixedArm>,
}

/// Everything a sweep produced, or part of it. Merged parts equal the undivided report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub tool: ToolInfo,
    /// The config file's text, verbatim.
    pub config: String,
    pub traces: Vec<TraceMeta>,
    pub runs: usize,
    pub seed: u64,
    pub policies: Vec<String>,
    /// Number of points in the full grid.
    pub grid_size: usize,
    /// The grid points this report holds, in index order: all of them, or a partial sweep's.
    pub points: Vec<PointResult>,
    /// Per trace, computed with the point its plots focus on (in that point's report).
    pub frontiers: Vec<Frontier>,
    pub report: ReportSection,
    pub published: Option<PublishedSection>,
}

/// Reads a sweep report written by the sweep's exporters.
pub fn read_report(path: &Path) -> Result<SweepReport, TraceError> {
    let text = crate::lines::read_text(path).map_err(TraceError::from_text_error)?;
    serde_json::from_str(&text)
        .map_err(|e| TraceError::file(path, format!("not a sweep report: {e}")))
}
