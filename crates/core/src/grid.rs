//! Grids of values: one value, a list, or an inclusive range with a step.

use serde::{Deserialize, Serialize};

/// One axis of a sweep: a value, a list, or an inclusive range `{start, stop, step}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a number, a list of numbers, or a table {start, stop, step}"
)]
pub enum Axis {
    One(f64),
    List(Vec<f64>),
    Range { start: f64, stop: f64, step: f64 },
}

impl Axis {
    /// The axis's values. Range values are rounded to 12 decimals so that `0.1 + 2*0.05` reads
    /// (and runs) as `0.2`.
    pub fn values(&self) -> std::result::Result<Vec<f64>, String> {
        match self {
            Axis::One(v) => Ok(vec![*v]),
            Axis::List(v) if v.is_empty() => Err("the list is empty".into()),
            Axis::List(v) => Ok(v.clone()),
            Axis::Range { start, stop, step } => {
                if !start.is_finite() || !stop.is_finite() {
                    return Err(format!("start {start} and stop {stop} must be finite"));
                }
                if !step.is_finite() || *step <= 0.0 {
                    return Err(format!("step must be > 0 (got {step})"));
                }
                if stop < start {
                    return Err(format!("stop {stop} is below start {start}"));
                }
                // Counted in floating point: a huge span must not overflow the conversion.
                let count = ((stop - start) / step + 1e-9).floor() + 1.0;
                if count > 100_000.0 {
                    return Err(format!("{count} values is more than a sweep should hold"));
                }
                let count = count as usize;
                Ok((0..count)
                    .map(|i| ((start + i as f64 * step) * 1e12).round() / 1e12)
                    .collect())
            }
        }
    }
}
