//! The learner a live loop drives, one sample at a time: [`Learner::choose`] says which arm to
//! play before the device runs, [`Learner::observe`] takes what the device (and the cloud, if the
//! sample was sent there) computed. The simulator replays traces through the same two calls, so
//! replay and live behave identically.

use crate::policy::{AnyPolicy, Policy, PolicySpec, RunContext};
use crate::reward::{Action, Feedback, Observation, Outcome, RewardModel, SampleRow};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to do with the next sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub action: Action,
    /// If the sample exits on the device, send it to the cloud anyway to observe the final
    /// confidence ([`Observation::Unbiased`] probing).
    pub probe: bool,
}

/// A policy with the reward model it learns under and what it may observe.
#[derive(Debug, Clone)]
pub struct Learner<'m> {
    policy: AnyPolicy,
    model: &'m RewardModel,
    observation: Observation,
    /// Probe probability `p` and its random stream, when probing (unbiased observation of a
    /// side-observing policy).
    probe: Option<(f64, ChaCha8Rng)>,
    /// Decisions made so far.
    steps: usize,
}

impl<'m> Learner<'m> {
    /// A fresh learner for `spec` over `model`'s arms. `observation` is the run's model (the
    /// spec may override it); `probe` is the probe probability of unbiased observation, and
    /// `probe_seed` seeds its draws.
    pub fn new(
        spec: &PolicySpec,
        model: &'m RewardModel,
        ctx: &RunContext,
        observation: Observation,
        probe: f64,
        probe_seed: u64,
    ) -> Self {
        let observation = spec.observation(observation);
        // Probing buys nothing for a policy that ignores side observations.
        let probing = observation == Observation::Unbiased && spec.kind.observes_side();
        Self {
            policy: spec.build(ctx),
            model,
            observation,
            probe: probing.then(|| (probe, ChaCha8Rng::seed_from_u64(probe_seed))),
            steps: 0,
        }
    }

    /// The decision for the next sample.
    #[inline]
    pub fn choose(&mut self) -> Choice {
        let action = self.policy.choose(self.steps);
        let probe = match &mut self.probe {
            Some((p, rng)) => rng.random::<f64>() < *p,
            None => false,
        };
        Choice { action, probe }
    }

    /// Plays `choice` on `row` and learns from it. `row` must hold the confidences the device
    /// computed up to the chosen split, and the final one if the sample was offloaded or probed;
    /// other entries are never read (under oracle observation every entry is).
    #[inline]
    pub fn observe(&mut self, row: &SampleRow, choice: Choice) -> Outcome {
        let mut outcome = self.model.play(row, choice.action);
        if choice.probe {
            self.model.probe(&mut outcome);
        }
        let p = self.probe.as_ref().map_or(1.0, |(p, _)| *p);
        self.policy.observe(&Feedback::new(
            &outcome,
            row,
            self.model,
            self.observation,
            p,
        ));
        self.steps += 1;
        outcome
    }

    /// Scores `arm` once without a decision (the published code's warm start).
    pub fn prime(&mut self, arm: usize, reward: f64) {
        self.policy.prime(arm, reward);
    }

    pub fn policy(&self) -> &AnyPolicy {
        &self.policy
    }

    pub fn model(&self) -> &'m RewardModel {
        self.model
    }

    /// Decisions made so far.
    pub fn steps(&self) -> usize {
        self.steps
    }
}
