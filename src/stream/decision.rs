//! One decision as a line of JSON.

use crate::trace::{push_float, push_int};

/// One decision as written on standard output.
pub(super) struct DecisionLine {
    /// Decisions the learner made before this one (continues across saved states).
    pub(super) t: u64,
    /// 0-based index of the sample in this input (bad lines not counted).
    pub(super) sample: u64,
    /// 1-based split.
    pub(super) arm: usize,
    /// The arm's threshold, for learners over several thresholds.
    pub(super) threshold: Option<f64>,
    pub(super) offloaded: bool,
    pub(super) probed: bool,
    /// 1-based exit whose prediction is the answer.
    pub(super) exit: usize,
    pub(super) prediction: u32,
    pub(super) correct: Option<bool>,
    pub(super) reward: f64,
    pub(super) cost: f64,
    /// Reported cost of every decision since the state began.
    pub(super) total_cost: f64,
}

impl DecisionLine {
    /// The line as JSON, into `out` (cleared first): `{"t":..,"sample":..,"arm":..,
    /// ["threshold":..,]"offloaded":..,["probed":true,]"exit":..,"prediction":..,
    /// ["correct":..,]"reward":..,"cost":..,"total_cost":..}` and a newline. Numbers are
    /// written as serde_json writes them (shortest round-trip floats).
    pub(super) fn write_into(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(b"{\"t\":");
        push_int(out, self.t);
        out.extend_from_slice(b",\"sample\":");
        push_int(out, self.sample);
        out.extend_from_slice(b",\"arm\":");
        push_int(out, self.arm as u64);
        if let Some(threshold) = self.threshold {
            out.extend_from_slice(b",\"threshold\":");
            push_float(out, threshold);
        }
        out.extend_from_slice(if self.offloaded {
            b",\"offloaded\":true"
        } else {
            b",\"offloaded\":false"
        });
        if self.probed {
            out.extend_from_slice(b",\"probed\":true");
        }
        out.extend_from_slice(b",\"exit\":");
        push_int(out, self.exit as u64);
        out.extend_from_slice(b",\"prediction\":");
        push_int(out, u64::from(self.prediction));
        match self.correct {
            Some(true) => out.extend_from_slice(b",\"correct\":true"),
            Some(false) => out.extend_from_slice(b",\"correct\":false"),
            None => {}
        }
        out.extend_from_slice(b",\"reward\":");
        push_float(out, self.reward);
        out.extend_from_slice(b",\"cost\":");
        push_float(out, self.cost);
        out.extend_from_slice(b",\"total_cost\":");
        push_float(out, self.total_cost);
        out.extend_from_slice(b"}\n");
    }
}
