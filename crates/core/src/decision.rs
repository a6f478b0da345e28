//! The one decision record, written by `splitee run --decisions` (each replayed run) and
//! `splitee stream` (each live sample) as one line of JSON.
//!
//! Schema, in this order (absent keys are left out): `policy` (replay: the policy's name),
//! `run` (replay: the 0-based run), `t` (decisions made before this one; a live learner's count
//! continues across saved states), `sample` (0-based index of the sample in its trace or
//! input), `context` (the sample's context, when its trace or stream has a context column),
//! `arm` (1-based split), `threshold` (the arm's exit threshold, for learners of the
//! threshold), `propensity` (the probability with which the policy chose this arm: 1 for
//! deterministic rules, see [`crate::policy::Policy::propensity`]; logs written before it was
//! recorded lack it), `offloaded`, `probed` (only when true: a sample that exited was also sent
//! to the cloud), `probe_probability` (the probability with which a sample that exits is
//! probed, when the policy probes), `exit` (1-based exit whose prediction is the answer), `prediction`, `correct` (when
//! the sample is labelled), `reward` (the played arm's reward), `cost` (the decision's reported
//! cost) and `total_cost` (reported cost of every decision so far, this one included).

use crate::policy::PolicySpec;
use crate::reward::Outcome;
use crate::trace::{push_float, push_int};
use serde::{Deserialize, Serialize};

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<usize>,
    pub t: u64,
    pub sample: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub arm: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propensity: Option<f64>,
    pub offloaded: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub probed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_probability: Option<f64>,
    pub exit: usize,
    pub prediction: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<bool>,
    pub reward: f64,
    pub cost: f64,
    pub total_cost: f64,
}

impl Decision {
    /// The record of `outcome` (its arm, where it answered, whether it offloaded or probed, its
    /// reward and cost) at step `t` on sample `sample`; replays add `policy` and `run`,
    /// learners the propensities, and both the sample's context.
    pub fn of(
        outcome: &Outcome,
        t: u64,
        sample: u64,
        threshold: Option<f64>,
        prediction: u32,
        correct: Option<bool>,
        total_cost: f64,
    ) -> Self {
        Self {
            policy: None,
            run: None,
            t,
            sample,
            context: None,
            arm: outcome.split + 1,
            threshold,
            propensity: None,
            offloaded: outcome.offloaded,
            probed: outcome.probed,
            probe_probability: None,
            exit: outcome.answered_by + 1,
            prediction,
            correct,
            reward: outcome.reward,
            cost: outcome.cost,
            total_cost,
        }
    }

    /// Replaces `out` with the record as a line of JSON (newline included), written by hand
    /// because streams and large replays write millions of them; the same text serde writes
    /// (checked by a test), numbers as shortest round-trip decimals.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        out.clear();
        self.append_line(out);
    }

    /// Appends the line [`Decision::write_line`] writes to `out` (a stream's output buffer).
    pub fn append_line(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        if let Some(policy) = &self.policy {
            out.extend_from_slice(b"\"policy\":");
            // Policy names are plain ASCII, but quote them as JSON does all the same.
            let name = serde_json::to_string(&policy.to_string()).unwrap_or_default();
            out.extend_from_slice(name.as_bytes());
            out.push(b',');
        }
        if let Some(run) = self.run {
            out.extend_from_slice(b"\"run\":");
            push_int(out, run as u64);
            out.push(b',');
        }
        out.extend_from_slice(b"\"t\":");
        push_int(out, self.t);
        out.extend_from_slice(b",\"sample\":");
        push_int(out, self.sample);
        if let Some(context) = &self.context {
            out.extend_from_slice(b",\"context\":");
            // Contexts are any text: quoted and escaped as JSON does.
            let quoted = serde_json::to_string(context).unwrap_or_default();
            out.extend_from_slice(quoted.as_bytes());
        }
        out.extend_from_slice(b",\"arm\":");
        push_int(out, self.arm as u64);
        if let Some(threshold) = self.threshold {
            out.extend_from_slice(b",\"threshold\":");
            push_float(out, threshold);
        }
        if let Some(propensity) = self.propensity {
            out.extend_from_slice(b",\"propensity\":");
            push_float(out, propensity);
        }
        out.extend_from_slice(if self.offloaded {
            b",\"offloaded\":true"
        } else {
            b",\"offloaded\":false"
        });
        if self.probed {
            out.extend_from_slice(b",\"probed\":true");
        }
        if let Some(p) = self.probe_probability {
            out.extend_from_slice(b",\"probe_probability\":");
            push_float(out, p);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            -1e6..1e6f64,
            Just(0.0),
            Just(-0.0),
            Just(0.1),
            Just(1e-300),
            Just(1.7e308)
        ]
    }

    proptest! {
        /// The hand-written line is exactly what serde_json writes, and reads back the same.
        #[test]
        fn the_line_is_the_serde_json_text(
            replay in any::<bool>(),
            run in 0usize..100,
            t in any::<u64>(),
            sample in any::<u64>(),
            context in proptest::option::of(".{0,8}"),
            arm in 1usize..13,
            threshold in proptest::option::of(0.05..1.0f64),
            propensity in proptest::option::of(1e-6..=1.0f64),
            offloaded in any::<bool>(),
            probed in any::<bool>(),
            probe_probability in proptest::option::of(0.0..=1.0f64),
            exit in 1usize..13,
            prediction in any::<u32>(),
            correct in proptest::option::of(any::<bool>()),
            reward in finite(),
            cost in finite(),
            total_cost in finite(),
        ) {
            let d = Decision {
                policy: replay.then_some(PolicySpec::SPLITEE_S),
                run: replay.then_some(run),
                t, sample, context, arm, threshold, propensity, offloaded, probed,
                probe_probability, exit,
                prediction, correct, reward, cost, total_cost,
            };
            let mut line = Vec::new();
            d.write_line(&mut line);
            let expected = serde_json::to_string(&d).unwrap() + "\n";
            prop_assert_eq!(String::from_utf8(line.clone()).unwrap(), expected);
            let back: Decision = serde_json::from_slice(&line).unwrap();
            prop_assert_eq!(back, d);
        }
    }
}
