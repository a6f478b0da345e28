//! Context-conditioned learners (`per-context:NAME`): one learner `NAME` per context, the
//! condition each sample was taken under (a distortion level, a device, a domain: the trace's
//! `context` column, [`crate::trace::Contexts`]), as AdaEE keeps one learner per distortion level.
//!
//! Each sample is routed to its context's learner, which decides it and learns from it on its
//! own clock (its own count of decisions), so a context seen rarely explores as a fresh learner
//! would. A context's learner is created the first time the context is told
//! ([`Policy::sense_context`]), seeded from the run's seed and the context's name, so its draws do
//! not depend on which contexts came before it. A policy never told a context decides every
//! sample with the learner of the unnamed context `""`.
//!
//! With sharing (`per-context-shared:NAME`), every context's learner also learns from every other
//! context's samples once it exists (as the load-aware learners share one sample across queue
//! lengths): what a decision revealed updates them all, while each still decides with its own
//! statistics; each learner's clock then counts every sample it learned from.
//! This pools evidence when contexts change little in the rewards, and biases a context's learner
//! towards the others' arms when they do.

use super::registry::Learns;
use super::{AnyPolicy, Load, Policy, PolicyKind, PolicyState, RunContext};
use crate::reward::{Action, Feedback};
use crate::seed::{derive_seed, Fnv1a};
use crate::trace::{MAX_CONTEXTS, MAX_CONTEXT_LEN};
use serde::{Deserialize, Serialize};

/// Whether a context's learner also learns from other contexts' samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextSharing {
    /// `per-context:NAME`: each learner sees its own context's samples only.
    Separate,
    /// `per-context-shared:NAME`: each learner learns from every sample, decides its own.
    Shared,
}

impl ContextSharing {
    /// The name prefix, `per-context:` or `per-context-shared:`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Separate => "per-context:",
            Self::Shared => "per-context-shared:",
        }
    }
}

/// One learner per context (see the module documentation).
#[derive(Debug, Clone)]
pub struct PerContext {
    kind: PolicyKind,
    ctx: RunContext,
    sharing: ContextSharing,
    /// In the order the contexts were first told.
    learners: Vec<ContextLearner>,
    /// The learner of the sample being decided, when a context was told.
    current: Option<usize>,
    load: Load,
}

/// A context's learner and its clock.
#[derive(Debug, Clone)]
struct ContextLearner {
    name: String,
    steps: u64,
    policy: AnyPolicy,
}

/// What [`PerContext`] learns: each context's name, clock and learner's state, in the order the
/// contexts were first told.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerContextLearned {
    contexts: Vec<ContextLearned>,
}

/// One context's saved learner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContextLearned {
    pub name: String,
    pub steps: u64,
    pub policy: PolicyState,
}

/// Tells a context's random stream from the run's other streams.
const CONTEXT_STREAM: u64 = 0x0043_4f4e_5445_5854;

impl PerContext {
    pub fn new(kind: PolicyKind, ctx: &RunContext, sharing: ContextSharing) -> Self {
        Self {
            kind,
            ctx: *ctx,
            sharing,
            learners: Vec::new(),
            current: None,
            load: Load::IDLE,
        }
    }

    /// A fresh learner for context `name`.
    fn fresh(&self, name: &str) -> ContextLearner {
        let ctx = RunContext {
            seed: derive_seed(
                self.ctx.seed,
                0,
                Fnv1a::of(name.as_bytes()) ^ CONTEXT_STREAM,
            ),
            ..self.ctx
        };
        ContextLearner {
            name: name.to_string(),
            steps: 0,
            policy: self.kind.build(&ctx),
        }
    }

    /// The index of context `name`'s learner, created if new.
    fn learner_of(&mut self, name: &str) -> usize {
        match self.learners.iter().position(|l| l.name == name) {
            Some(index) => index,
            None => {
                let fresh = self.fresh(name);
                self.learners.push(fresh);
                self.learners.len() - 1
            }
        }
    }

    /// The learner deciding now: the told context's, else the unnamed context's.
    fn current(&mut self) -> &mut ContextLearner {
        let index = match self.current {
            Some(index) => index,
            None => {
                let index = self.learner_of("");
                self.current = Some(index);
                index
            }
        };
        &mut self.learners[index]
    }
}

impl Policy for PerContext {
    fn choose(&mut self, _t: usize) -> Action {
        let load = self.load;
        let learner = self.current();
        learner.policy.sense_load(load);
        learner.policy.choose(learner.steps as usize)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        match self.sharing {
            ContextSharing::Separate => {
                let learner = self.current();
                learner.policy.observe(feedback);
                learner.steps += 1;
            }
            ContextSharing::Shared => {
                self.current();
                for learner in &mut self.learners {
                    learner.policy.observe(feedback);
                    learner.steps += 1;
                }
            }
        }
    }

    fn prime(&mut self, arm: usize, reward: f64) {
        self.current().policy.prime(arm, reward);
    }

    fn sense_load(&mut self, load: Load) {
        self.load = load;
    }

    fn sense_context(&mut self, context: &str) {
        self.current = Some(self.learner_of(context));
    }

    fn propensity(&self, _t: usize, action: Action) -> f64 {
        match self.current {
            Some(index) => {
                let learner = &self.learners[index];
                learner.policy.propensity(learner.steps as usize, action)
            }
            // Nothing chosen yet: no learner exists to have chosen.
            None => 1.0,
        }
    }
}

impl Learns for PerContext {
    type Learned = PerContextLearned;

    fn learned(&self) -> PerContextLearned {
        PerContextLearned {
            contexts: self
                .learners
                .iter()
                .map(|l| ContextLearned {
                    name: l.name.clone(),
                    steps: l.steps,
                    policy: l.policy.state(),
                })
                .collect(),
        }
    }

    fn restored(&self, learned: PerContextLearned, steps: u64) -> Result<Self, String> {
        if learned.contexts.len() > MAX_CONTEXTS {
            return Err(format!(
                "{} contexts are saved; at most {MAX_CONTEXTS} are kept",
                learned.contexts.len()
            ));
        }
        let mut restored = Self {
            learners: Vec::with_capacity(learned.contexts.len()),
            current: None,
            ..self.clone()
        };
        let mut decided = 0u64;
        for saved in learned.contexts {
            let name = &saved.name;
            if name.len() > MAX_CONTEXT_LEN {
                return Err(format!(
                    "a saved context name is {} bytes long; at most {MAX_CONTEXT_LEN}",
                    name.len()
                ));
            }
            if restored.learners.iter().any(|l| &l.name == name) {
                return Err(format!("context `{name}` is saved twice"));
            }
            if saved.steps > steps {
                return Err(format!(
                    "context `{name}` claims {} decisions but only {steps} were made",
                    saved.steps
                ));
            }
            decided += saved.steps;
            let fresh = restored.fresh(name);
            let policy = fresh
                .policy
                .restored(saved.policy, saved.steps)
                .map_err(|e| format!("context `{name}`: {e}"))?;
            restored.learners.push(ContextLearner {
                steps: saved.steps,
                policy,
                ..fresh
            });
        }
        if self.sharing == ContextSharing::Separate && decided > steps {
            return Err(format!(
                "the contexts claim {decided} decisions in all but only {steps} were made"
            ));
        }
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Bench;
    use super::super::{Policy, PolicySpec};
    use crate::reward::{Action, Observation};

    /// Confidences of two contexts over 3 exits (alpha 0.7, lambda 0.1, o 0.3): in `a` every
    /// exit is confident, so exit 1 is best (rewards 0.85, 0.75, 0.65); in `b` only the final
    /// exit is, so the final exit is best (0.59, 0.49, 0.69).
    fn conf(context: &str) -> [f64; 3] {
        match context {
            "a" => [0.95, 0.95, 0.95],
            _ => [0.2, 0.2, 0.99],
        }
    }

    /// The arms `name` plays on the contexts in order (0-based).
    fn decisions(name: &str, contexts: &[&str]) -> Vec<usize> {
        let spec: PolicySpec = name.parse().unwrap();
        let mut bench = Bench::new(3);
        let mut policy = spec.build(&bench.context(1));
        contexts
            .iter()
            .enumerate()
            .map(|(t, &context)| {
                policy.sense_context(context);
                let (outcome, _) =
                    bench.step(&mut policy, t, &conf(context), None, Observation::Strict);
                outcome.arm
            })
            .collect()
    }

    /// Each context's learner tries its arms on its own clock, then settles on its context's
    /// best arm; one learner for all settles on one arm for both.
    #[test]
    fn samples_are_routed_to_their_contexts_learner() {
        // Each learner plays its unplayed arms in order, then (all counts equal) its best.
        let contexts = ["a", "a", "b", "a", "b", "b", "a", "b"];
        assert_eq!(
            decisions("per-context:splitee", &contexts),
            [0, 1, 0, 2, 1, 2, 0, 2]
        );
        assert_eq!(decisions("splitee", &contexts[..4]), [0, 1, 2, 0]);
        // Shared: from `b`'s first sample on, every sample teaches both learners, so `b`'s
        // learner knows arms 1 and 2 by its second sample.
        let contexts = ["a", "b", "a", "b"];
        assert_eq!(
            decisions("per-context-shared:splitee", &contexts),
            [0, 0, 1, 2]
        );
        assert_eq!(decisions("per-context:splitee", &contexts), [0, 0, 1, 1]);
        // Never told a context: one learner, deciding as the policy alone does.
        let untold = |name: &str| {
            let spec: PolicySpec = name.parse().unwrap();
            let mut bench = Bench::new(3);
            let mut policy = spec.build(&bench.context(1));
            let arms: Vec<usize> = (0..8)
                .map(|t| {
                    let conf = conf(["a", "b"][t % 2]);
                    bench
                        .step(&mut policy, t, &conf, None, Observation::Strict)
                        .0
                        .arm
                })
                .collect();
            (arms, policy.propensity(8, Action::Split(0)))
        };
        assert_eq!(untold("per-context:splitee"), untold("splitee"));
    }

    #[test]
    fn names_round_trip_and_refuse_nesting() {
        for name in [
            "per-context:splitee-s",
            "per-context:splitee-s:oracle",
            "per-context-shared:kl-ucb+s",
            "per-context:threshold:1:splitee-s",
            "per-context:joint-ucb",
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            assert_eq!(spec.to_string(), name);
            assert!(!spec.is_bandit(), "{name}");
        }
        let err = |name: &str| name.parse::<PolicySpec>().unwrap_err();
        assert_eq!(
            err("per-context:per-context:splitee"),
            "`per-context:per-context:splitee`: per-context learners do not nest"
        );
        assert!(err("per-context:nope").starts_with("`per-context:nope`: unknown policy `nope`"));
    }
}
