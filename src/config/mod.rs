//! Run settings: a TOML config file and command-line overrides, validated into [`RunSettings`]
//! before anything runs. Every error names where the bad value came from: the file, line and
//! key, or the flag. [`mod@file`] is the file's layout and where each value came from; [`resolve`]
//! picks and checks every setting; [`sections`] are what only sweeps read.

pub mod file;
pub mod resolve;
pub mod sections;
pub mod words;

pub use self::file::{
    normalise, CompatCost, CompatName, ConfigError, ConfigSections, CostModelName, Origin,
    Overrides, RunSettings, DEFAULT_POLICIES,
};
pub use self::resolve::ResolveSettings;
pub use self::sections::{
    ArrivalSource, PublishedSection, ReportSection, SimulateSection, SweepSection,
};
