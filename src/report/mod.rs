//! Reports: simulation results summarised over runs ([`Report`], computed by the engine's
//! [`crate::summary`]) and sweeps ([`SweepReport`]), rendered by the [`export`]ers (JSON for
//! tools, CSV, a terminal table, Markdown for committed results).

pub mod export;
pub mod queue;
pub mod sweep;

pub use self::export::{CompactJson, Csv, CurvesCsv, Exporter, Json, Markdown, Table};
pub use self::sweep::{Frontier, Point, PointResult, SweepReport, TraceMeta};
pub use crate::summary::{
    ArmTimeline, Curve, PolicyResult, Report, SettingsInfo, ToolInfo, TraceInfo,
};
