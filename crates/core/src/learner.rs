//! The learner a live loop drives, one sample at a time: [`Learner::choose`] says which arm to
//! play before the device runs, [`Learner::observe`] takes what the device (and the cloud, if the
//! sample was sent there) computed. The simulator replays traces through the same two calls, so
//! replay and live behave identically.

use crate::policy::{AnyPolicy, Load, Policy, PolicySpec, PolicyState, RunContext};
use crate::reward::{Action, Feedback, Observation, Outcome, RewardModel, SampleRow};
use crate::seed::{derive_seed, Fnv1a};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;

/// What to do with the next sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub action: Action,
    /// If the sample exits on the device, send it to the cloud anyway to observe the final
    /// confidence ([`Observation::Unbiased`] probing).
    pub probe: bool,
}

/// A policy with the reward model it learns under and what it may observe. The model is
/// borrowed (`&RewardModel`, as the simulator shares one among runs) or owned (a live loop).
#[derive(Debug, Clone)]
pub struct Learner<M> {
    policy: AnyPolicy,
    /// What the policy was built with.
    settings: Settings,
    model: M,
    observation: Observation,
    /// Probe probability `p` and its random stream, when probing (unbiased observation of a
    /// side-observing policy).
    probe: Option<(f64, ChaCha8Rng)>,
    /// Decisions made so far.
    steps: usize,
}

/// What a learner has learned, to save and restore: what the policy learned (statistics,
/// windows, weights, random streams), the number of decisions and the probe stream.
///
/// The settings are not saved: a state is restored into a learner built from the same settings,
/// which supply them. A state taken from a learner in memory remembers them and is refused by a
/// learner of other settings; one read back from a file does not, and whoever stores it checks
/// them (a live state file keeps them in its `config`, compared before the state is restored).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LearnerState {
    pub steps: u64,
    pub policy: PolicyState,
    /// The probe stream of unbiased observation, when probing.
    pub probe_rng: Option<ChaCha8Rng>,
    /// The settings of the learner the state was taken from, in memory only.
    #[serde(skip)]
    settings: Option<Settings>,
}

/// What a learner's policy is built with: the policy, its run context, the observation model
/// and the probe probability.
#[derive(Debug, Clone, Copy)]
struct Settings {
    spec: PolicySpec,
    ctx: RunContext,
    observation: Observation,
    probe: Option<f64>,
}

impl Settings {
    /// The first setting in which a state's (`self`) differ from the learner's (`current`).
    fn check(&self, current: &Self) -> Result<(), String> {
        fn differ<T: PartialEq + std::fmt::Debug>(
            what: &str,
            saved: T,
            current: T,
        ) -> Result<(), String> {
            if saved == current {
                Ok(())
            } else {
                Err(format!(
                    "{what} is {saved:?} but the settings give {current:?}"
                ))
            }
        }
        fn differ_f64(what: &str, saved: f64, current: f64) -> Result<(), String> {
            if saved.to_bits() == current.to_bits() {
                Ok(())
            } else {
                Err(format!("{what} is {saved} but the settings give {current}"))
            }
        }
        let (saved, ctx) = (&self.ctx, &current.ctx);
        differ(
            "the policy",
            self.spec.to_string(),
            current.spec.to_string(),
        )?;
        differ("the number of arms", saved.arms, ctx.arms)?;
        differ("the best fixed arm", saved.best_arm, ctx.best_arm)?;
        differ("the policy's seed", saved.seed, ctx.seed)?;
        differ_f64("the UCB constant c", saved.ucb_c, ctx.ucb_c)?;
        differ_f64(
            "the reward range's lower end",
            saved.reward_bounds.0,
            ctx.reward_bounds.0,
        )?;
        differ_f64(
            "the reward range's upper end",
            saved.reward_bounds.1,
            ctx.reward_bounds.1,
        )?;
        differ(
            "the observation model",
            self.observation,
            current.observation,
        )?;
        differ(
            "the probe probability",
            self.probe.map(f64::to_bits),
            current.probe.map(f64::to_bits),
        )
    }
}

/// More decisions than a saved state may claim: far beyond any stream, small enough that step
/// arithmetic cannot overflow.
const MAX_STEPS: u64 = 1 << 53;

impl<M: Borrow<RewardModel>> Learner<M> {
    /// A fresh learner for `spec` over `model`'s arms. `observation` is the run's model (the
    /// spec may override it); `probe` is the probe probability of unbiased observation, and
    /// `probe_seed` seeds its draws.
    pub fn new(
        spec: &PolicySpec,
        model: M,
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
            settings: Settings {
                spec: *spec,
                ctx: *ctx,
                observation,
                probe: probing.then_some(probe),
            },
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

    /// The decision for the next sample, made under `load` (the device queue of the queue
    /// simulator; [`Learner::choose`] decides as under [`Load::IDLE`] for load-aware policies).
    #[inline]
    pub fn choose_under(&mut self, load: Load) -> Choice {
        self.policy.sense_load(load);
        self.choose()
    }

    /// Tells the learner the context of the next sample (the trace's `context` column), before
    /// [`Learner::choose`]: a context-conditioned policy (`per-context:NAME`) routes the sample to
    /// that context's learner; any other ignores it.
    #[inline]
    pub fn sense_context(&mut self, context: &str) {
        self.policy.sense_context(context);
    }

    /// Plays `choice` on `row` and learns from it. `row` must hold the confidences the device
    /// computed up to the chosen split, and the final one if the sample was offloaded or probed;
    /// other entries are never read (under oracle observation every entry is).
    #[inline]
    pub fn observe(&mut self, row: &SampleRow, choice: Choice) -> Outcome {
        let model = self.model.borrow();
        let mut outcome = model.play(row, choice.action);
        if choice.probe {
            model.probe(&mut outcome);
        }
        let p = self.probe.as_ref().map_or(1.0, |(p, _)| *p);
        self.policy
            .observe(&Feedback::new(&outcome, row, model, self.observation, p));
        self.steps += 1;
        outcome
    }

    /// The probability with which the policy made `choice`, the one [`Learner::choose`] just
    /// returned (before it is observed): see [`Policy::propensity`].
    pub fn propensity(&self, choice: Choice) -> f64 {
        self.policy.propensity(self.steps, choice.action)
    }

    /// The probability `p` with which a sample that exits is probed, when the learner probes.
    pub fn probe_probability(&self) -> Option<f64> {
        self.probe.as_ref().map(|(p, _)| *p)
    }

    /// The policy the learner was built for.
    pub fn spec(&self) -> &PolicySpec {
        &self.settings.spec
    }

    /// Scores `arm` once without a decision (the published code's warm start).
    pub fn prime(&mut self, arm: usize, reward: f64) {
        self.policy.prime(arm, reward);
    }

    pub fn policy(&self) -> &AnyPolicy {
        &self.policy
    }

    pub fn model(&self) -> &RewardModel {
        self.model.borrow()
    }

    /// The observation model the policy runs under.
    pub fn observation(&self) -> Observation {
        self.observation
    }

    /// Whether samples that exit on the device are sometimes probed (sent to the cloud too).
    pub fn probes(&self) -> bool {
        self.probe.is_some()
    }

    /// Decisions made so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// What the learner has learned so far.
    pub fn state(&self) -> LearnerState {
        LearnerState {
            steps: self.steps as u64,
            policy: self.policy.state(),
            probe_rng: self.probe.as_ref().map(|(_, rng)| rng.clone()),
            settings: Some(self.settings),
        }
    }

    /// Continues from `state`, saved by a learner built with the same settings (this learner
    /// is one freshly built from them). A state that does not fit them is refused, and the
    /// learner left as it was.
    pub fn restore(&mut self, state: LearnerState) -> Result<(), String> {
        if state.steps > MAX_STEPS {
            return Err(format!("steps is {}, beyond any stream", state.steps));
        }
        if let Some(saved) = &state.settings {
            saved.check(&self.settings)?;
        }
        let policy = self.policy.restored(state.policy, state.steps)?;
        let probe = match (&self.probe, state.probe_rng) {
            (Some((p, _)), Some(rng)) => Some((*p, rng)),
            (None, None) => None,
            (Some(_), None) => return Err("the probe stream is missing".into()),
            (None, Some(_)) => return Err("a probe stream is saved but nothing probes".into()),
        };
        self.policy = policy;
        self.probe = probe;
        self.steps = state.steps as usize;
        Ok(())
    }
}

/// A stable small number per policy name, so adding a policy does not change another's seeds.
fn policy_stream(spec: &PolicySpec) -> u64 {
    Fnv1a::of(spec.to_string().as_bytes())
}

/// Tells a learner's probe stream from its own.
const PROBE_STREAM: u64 = 0x0050_524f_4245;

/// The seeds of `spec`'s own random stream and of its probe stream in run `run`. A live stream
/// uses run 0's, so it decides as a one-run replay in the given order does.
pub fn learner_seeds(seed: u64, run: usize, spec: &PolicySpec) -> (u64, u64) {
    let stream = policy_stream(spec);
    (
        derive_seed(seed, run, stream),
        derive_seed(seed, run, stream ^ PROBE_STREAM),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arms::ArmSpace;
    use crate::cost::{CostModel, ReportedCost};
    use crate::trace::{Sample, TraceBuilder};

    /// A 5-exit model over the arms of `space`, and a row to fill.
    fn model(space: ArmSpace) -> (RewardModel, SampleRow) {
        let mut b = TraceBuilder::new(std::path::Path::new("t"));
        b.push(Sample {
            context: None,
            arrival: None,
            conf: vec![0.5; 5],
            pred: vec![0; 5],
            label: None,
            cost: None,
        });
        let trace = b.finish().unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1)
            .with_space(space, &[0.6, 0.8]);
        let row = SampleRow::new(&trace, &model);
        (model, row)
    }

    /// A learner restored from another's state decides as the original from then on; a state
    /// of another policy or of other parameters is refused.
    #[test]
    fn a_restored_learner_continues_exactly() {
        for name in [
            "splitee",
            "splitee-s:unbiased",
            "joint-ucb",
            "ucb-v+s",
            "ucb-tuned",
            "kl-ucb+s",
            "thompson",
            "eps-greedy:0.3+s",
            "exp3:0.2",
            "exp3-ix:0.1",
            "sw-ucb:9+s",
            "d-ucb:0.9",
            "random",
            "random-run",
            "device-ee",
            "fixed:2",
            "per-context:splitee-s",
            "per-context:threshold:2:thompson",
            "per-context-shared:kl-ucb+s",
            "per-context:exp3:0.2",
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            let (model, mut row) = model(spec.arms);
            let ctx = RunContext {
                arms: model.arms().len(),
                best_arm: 0,
                seed: 3,
                ucb_c: 1.0,
                log_count: crate::policy::LogCount::default(),
                reward_bounds: model.reward_bounds(&row),
            };
            let new = || Learner::new(&spec, &model, &ctx, Observation::Strict, 0.3, 9);
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            // Three contexts, which only per-context policies tell apart.
            let contexts = ["clean", "noise", "blur"];
            let mut step = |learner: &mut Learner<&RewardModel>, row: &mut SampleRow| {
                for c in row.conf.iter_mut() {
                    *c = rng.random::<f64>();
                }
                learner.sense_context(contexts[rng.random_range(0..3)]);
                let choice = learner.choose();
                learner.observe(row, choice);
                choice
            };
            let mut original = new();
            for _ in 0..150 {
                step(&mut original, &mut row);
            }
            let mut restored = new();
            restored.restore(original.state()).unwrap();
            assert_eq!(restored.steps(), 150);
            let mut copy = row.clone();
            let mut rng2 = ChaCha8Rng::seed_from_u64(2);
            for t in 0..150 {
                for (c, d) in row.conf.iter_mut().zip(copy.conf.iter_mut()) {
                    *c = rng2.random::<f64>();
                    *d = *c;
                }
                let context = contexts[t % 3];
                original.sense_context(context);
                restored.sense_context(context);
                let (a, b) = (original.choose(), restored.choose());
                assert_eq!(a, b, "{name} at step {t} after the restore");
                assert_eq!(original.observe(&row, a), restored.observe(&copy, b));
            }
            // Another policy's state, or the same policy with another constant, is refused.
            let other: PolicySpec = if name == "splitee" {
                "random"
            } else {
                "splitee"
            }
            .parse()
            .unwrap();
            let (other_model, _) = super::tests::model(other.arms);
            let mut foreign = Learner::new(&other, &other_model, &ctx, Observation::Strict, 0.3, 9);
            assert!(foreign.restore(original.state()).is_err(), "{name}");
        }
        let spec = PolicySpec::SPLITEE_S;
        let (model, _) = model(spec.arms);
        let ctx = |c| RunContext {
            arms: 5,
            best_arm: 0,
            seed: 3,
            ucb_c: c,
            log_count: crate::policy::LogCount::default(),
            reward_bounds: (0.0, 1.0),
        };
        let saved = Learner::new(&spec, &model, &ctx(1.0), Observation::Strict, 0.3, 9).state();
        let mut other = Learner::new(&spec, &model, &ctx(2.0), Observation::Strict, 0.3, 9);
        let refused = other.restore(saved).unwrap_err();
        assert!(refused.contains("the UCB constant c is 1"), "{refused}");
    }
}
