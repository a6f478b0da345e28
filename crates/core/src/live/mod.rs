//! Live learning: a learner that owns its settings, decides each sample before the device runs
//! it, learns from exactly what the device and the cloud computed, and saves and restores what
//! it has learned.
//!
//! ```text
//! let plan = learner.choose();   // run the device up to this split (exit if confident there)
//! // ... the device computes C_1..C_k; the cloud, if the sample goes there, returns C_1..C_L
//! let outcome = learner.observe(&Observed { conf: &computed, cost: None })?;
//! ```
//!
//! [`LiveLearner::observe`] lets the policy see only what a deployment has: the confidences up
//! to the split, and every exit's only when the sample went to the cloud (offloaded, or probed
//! under unbiased observation). Entries it may not see are NaN in the row the policy learns
//! from, so reading one would show. Replays ([`crate::sim`]) and live streams go through the
//! same [`Learner`] calls, and a stream decides exactly as a one-run replay of the same samples
//! in the given order (run 0's seeds).
//!
//! A learner's state (the policy's statistics and random streams, the decisions made, the
//! running totals and a fingerprint of the settings) is saved as JSON and refused on load when
//! it comes from other settings or does not check out.

mod plan;
mod settings;
mod state;

pub use self::plan::{Observed, Plan};
pub use self::settings::{LiveError, LiveSettings};
pub use self::state::{StateConfig, StateError};
use self::state::{StateFile, StateHeader, MAX_EXITS, STATE_FORMAT, STATE_VERSION};

use crate::arms::{ArmLabel, Arms};
use crate::decision::Decision;
use crate::learner::{Choice, Learner};
use crate::policy::RunContext;
use crate::reward::{Action, Outcome, RewardModel, SampleRow};
use crate::totals::Totals;

use std::path::Path;
use std::time::Duration;

/// A learner for a live stream: it owns its reward model and settings.
#[derive(Debug, Clone)]
pub struct LiveLearner {
    learner: Learner<RewardModel>,
    config: StateConfig,
    /// What the policy may read of the current sample (NaN where it may not).
    row: SampleRow,
    /// The decision awaiting its observation, and its propensity.
    pending: Option<(Choice, f64)>,
    /// The propensity of the decision observed last, for its record.
    observed_propensity: f64,
    /// The context told for the sample being decided, for its record.
    context: Option<String>,
    totals: Totals,
}

impl LiveLearner {
    /// A fresh learner for a network of `exits` exits whose samples carry measured costs or
    /// not (the measured cost model needs them).
    pub fn new(settings: &LiveSettings, exits: usize, has_costs: bool) -> Result<Self, LiveError> {
        settings.check()?;
        let spec = settings.policy;
        if exits == 0 {
            return Err(LiveError::Policy(
                "a network needs at least one exit".into(),
            ));
        }
        spec.validate(exits, settings.thresholds.len())
            .map_err(LiveError::Policy)?;
        let costs = settings
            .cost
            .resolve_for(exits, has_costs, Path::new("the stream"))?;
        let model =
            RewardModel::of_settings(settings.alpha, &settings.cost, costs, settings.reward)
                .with_space(spec.arms, &settings.thresholds);
        let mut row = SampleRow {
            conf: vec![f64::NAN; exits],
            processing: vec![f64::NAN; exits],
            weighted_processing: vec![f64::NAN; exits],
            disagreement: Vec::new(),
            pred: Vec::new(),
        };
        let mu = model.costs().mu();
        if let Some(fixed) = model.costs().fixed_processing() {
            row.processing.copy_from_slice(fixed);
            for (w, p) in row.weighted_processing.iter_mut().zip(fixed) {
                *w = mu * p;
            }
        }
        // As a replay computes them: from the cost model, whatever the confidences.
        let reward_bounds = match settings.reward_bounds {
            Some(bounds) => Some(bounds),
            None if model.costs().is_fixed() => Some(model.reward_bounds(&row)),
            None if spec.kind.uses_reward_bounds() => {
                return Err(LiveError::NeedsRewardBounds { policy: spec })
            }
            None => None,
        };
        let (seed, probe_seed) = crate::learner::learner_seeds(settings.seed, 0, &spec);
        let ctx = RunContext {
            arms: model.arms().len(),
            best_arm: 0,
            seed,
            ucb_c: settings.ucb_c,
            log_count: crate::policy::LogCount::default(),
            reward_bounds: reward_bounds.unwrap_or((0.0, 1.0)),
        };
        let arms: Vec<ArmLabel> = (0..model.arms().len())
            .map(|a| model.arms().label(a))
            .collect();
        let learner = Learner::new(
            &spec,
            model,
            &ctx,
            settings.observation,
            settings.probe,
            probe_seed,
        );
        let config = StateConfig {
            policy: spec.to_string(),
            exits,
            measured_costs: !learner.model().costs().is_fixed(),
            arms,
            alpha: settings.alpha,
            reward: settings.reward,
            cost: settings.cost.clone(),
            observation: learner.observation(),
            probe: learner.probes().then_some(settings.probe),
            ucb_c: settings.ucb_c,
            reward_bounds,
            seed: settings.seed,
        };
        let totals = Totals::new(config.arms.len());
        Ok(Self {
            learner,
            config,
            row,
            pending: None,
            observed_propensity: 1.0,
            context: None,
            totals,
        })
    }

    /// Number of exits of the network.
    pub fn exits(&self) -> usize {
        self.config.exits
    }

    /// Whether the learner needs measured costs with every sample (the measured cost model).
    pub fn measured_costs(&self) -> bool {
        self.config.measured_costs
    }

    /// The arms the policy chooses among.
    pub fn arms(&self) -> &Arms {
        self.learner.model().arms()
    }

    /// The settings this learner was built with, as its state records them.
    pub fn config(&self) -> &StateConfig {
        &self.config
    }

    /// Decisions made so far (including those of a restored state).
    pub fn steps(&self) -> u64 {
        self.learner.steps() as u64
    }

    /// Running totals since the state began.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Tells the learner the context of the next sample (its `context` field, `None` when it
    /// has none), before [`LiveLearner::choose`]: a `per-context:NAME` policy decides and learns
    /// it with that context's learner, and refuses a sample without one (it would decide every
    /// such sample with one learner); other policies ignore it. The context is recorded with the
    /// sample's decision ([`LiveLearner::record`]). Ignored while a decision is pending, so the
    /// sample decided is the one observed.
    pub fn sense_context(&mut self, context: Option<&str>) -> Result<(), LiveError> {
        self.learner
            .spec()
            .check_sample_context(context)
            .map_err(LiveError::Policy)?;
        if self.pending.is_none() {
            if let Some(context) = context {
                self.learner.sense_context(context);
            }
            self.context = context.map(str::to_owned);
        }
        Ok(())
    }

    /// The decision for the next sample. Until it is observed, the same plan is returned.
    pub fn choose(&mut self) -> Plan {
        let choice = match self.pending {
            Some((choice, _)) => choice,
            None => {
                let choice = self.learner.choose();
                self.pending = Some((choice, self.learner.propensity(choice)));
                choice
            }
        };
        self.plan(choice)
    }

    fn plan(&self, choice: Choice) -> Plan {
        let arms = self.learner.model().arms();
        match choice.action {
            Action::Split(arm) => Plan::Split {
                arm,
                split: arms.split(arm),
                threshold: arms.threshold(arm),
                probe: choice.probe,
            },
            Action::DeviceOnly => Plan::DeviceOnly {
                threshold: self.config.alpha,
            },
        }
    }

    /// Learns from what the device (and the cloud) computed for the sample of the last
    /// [`LiveLearner::choose`]. The policy sees the confidences up to where the device stopped
    /// and, if the sample went to the cloud, every exit's; nothing else.
    pub fn observe(&mut self, observed: &Observed<'_>) -> Result<Outcome, LiveError> {
        let (choice, propensity) = self.pending.ok_or(LiveError::NoDecision)?;
        let plan = self.plan(choice);
        let exits = self.exits();
        let conf = observed.conf;
        if conf.len() > exits {
            return Err(LiveError::Observed(format!(
                "{} confidences reported but the network has {exits} exits",
                conf.len()
            )));
        }
        let device = plan.device_exits(conf, exits).ok_or_else(|| {
            LiveError::Observed(format!(
                "the device walks the exits until one is confident, but only {} confidences \
                 were reported and none reaches the threshold",
                conf.len()
            ))
        })?;
        if conf.len() < device {
            return Err(LiveError::Observed(format!(
                "the device runs exits 1..={device} for this decision, but {} confidences were \
                 reported",
                conf.len()
            )));
        }
        check_confidences(&conf[..device], 0)?;
        let cloud = plan.sends_to_cloud(conf, exits);
        let visible = if cloud { exits } else { device };
        if conf.len() < visible {
            return Err(LiveError::Observed(format!(
                "the sample went to the cloud, which returns every exit's confidence, but {} of \
                 {exits} were reported",
                conf.len()
            )));
        }
        check_confidences(&conf[device..visible], device)?;
        self.row.conf[..visible].copy_from_slice(&conf[..visible]);
        self.row.conf[visible..].fill(f64::NAN);
        if self.config.measured_costs {
            self.fill_measured(observed.cost, visible)?;
        }

        let outcome = self.learner.observe(&self.row, choice);
        self.pending = None;
        self.observed_propensity = propensity;
        let reward = self.learner.model().realised_reward(&outcome);
        self.totals.record(&outcome, reward);
        Ok(outcome)
    }

    /// Refuses measured per-exit costs this learner cannot learn from: one outside the cost
    /// rule, or sums of them that, with the offloading costs and weighted by mu, would leave the
    /// range rewards are kept in ([`crate::params::MAX_MAGNITUDE`]). A stream checks a sample
    /// with this before deciding it; [`LiveLearner::observe`] checks again.
    pub fn check_costs(&self, cost: &[f64]) -> Result<(), String> {
        let rule = crate::params::NON_NEGATIVE;
        if let Some(k) = cost.iter().position(|&c| !rule.accepts(c)) {
            return Err(format!(
                "cost_{} is {}; costs must be {}",
                k + 1,
                crate::params::show(cost[k]),
                rule.must
            ));
        }
        let processing = cost.iter().scan(0.0, |total, &c| {
            *total += c;
            Some(*total)
        });
        self.learner
            .model()
            .costs()
            .check_computed("cost", processing)
            .map_err(|e| e.message)
    }

    /// Processing costs of the visible exits from measured per-exit costs (NaN beyond).
    fn fill_measured(&mut self, cost: Option<&[f64]>, visible: usize) -> Result<(), LiveError> {
        let cost = cost.filter(|c| c.len() >= visible).ok_or_else(|| {
            LiveError::Observed(format!(
                "the measured cost model needs the cost of each of the {visible} exits computed"
            ))
        })?;
        self.check_costs(&cost[..visible])
            .map_err(LiveError::Observed)?;
        let mu = self.learner.model().costs().mu();
        let mut total = 0.0;
        for (k, &c) in cost[..visible].iter().enumerate() {
            total += c;
            self.row.processing[k] = total;
            self.row.weighted_processing[k] = mu * total;
        }
        self.row.processing[visible..].fill(f64::NAN);
        self.row.weighted_processing[visible..].fill(f64::NAN);
        Ok(())
    }

    /// The record of the sample just observed (what `splitee stream` writes for it): decided
    /// by `plan` at step `t` (the learner's [`LiveLearner::steps`] before the decision), its
    /// `outcome`, the answer `pred[outcome.answered_by]` scored against `label` when known (and
    /// counted in the totals), at index `sample` of its input.
    pub fn record(
        &mut self,
        plan: Plan,
        outcome: &Outcome,
        t: u64,
        sample: u64,
        pred: &[u32],
        label: Option<u32>,
    ) -> Decision {
        let prediction = pred[outcome.answered_by];
        let correct = label.map(|y| y == prediction);
        if let Some(c) = correct {
            self.score(c);
        }
        // As `run --decisions` writes it: for learners of the threshold.
        let threshold = match plan {
            Plan::Split { arm, .. } => self.arms().learned_threshold(arm),
            Plan::DeviceOnly { .. } => None,
        };
        Decision {
            // A context told for this sample is recorded once: the next sample's is told anew.
            context: self.context.take(),
            propensity: Some(self.observed_propensity),
            probe_probability: self.learner.probe_probability(),
            ..Decision::of(
                outcome,
                t,
                sample,
                threshold,
                prediction,
                correct,
                self.totals.cost,
            )
        }
    }

    /// Counts whether the last answer was right, when the sample's label is known (for the
    /// totals only: labels never reach the policy).
    pub fn score(&mut self, correct: bool) {
        self.totals.score(correct);
    }

    /// The state as JSON (between samples only).
    pub fn state_json(&self) -> Result<String, LiveError> {
        if self.pending.is_some() {
            return Err(LiveError::Pending);
        }
        let file = StateFile {
            format: STATE_FORMAT.into(),
            version: STATE_VERSION,
            splitee: env!("CARGO_PKG_VERSION").into(),
            config: self.config.clone(),
            totals: self.totals.clone(),
            learner: self.learner.state(),
        };
        crate::json::to_string_pretty(&file)
            .map(|text| text + "\n")
            .map_err(|e| LiveError::Unsupported(format!("cannot serialise the state: {e}")))
    }

    /// Saves the state to `path` atomically (a temporary file beside it, then a rename): a
    /// reader sees the previous state or the new one, never a mix.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        self.save_pausing(path, None)
    }

    /// [`LiveLearner::save`], pausing halfway through writing the temporary file (a test hook:
    /// it lets a test kill the process in the middle of a save).
    #[doc(hidden)]
    pub fn save_pausing(&self, path: &Path, pause: Option<Duration>) -> Result<(), StateError> {
        let text = self.state_json().map_err(|source| StateError::Settings {
            path: path.to_path_buf(),
            source,
        })?;
        let bytes = text.as_bytes();
        crate::files::write_atomic_with(path, |out| {
            if let Some(pause) = pause {
                let half = bytes.len() / 2;
                out.write_all(&bytes[..half])?;
                out.flush()?;
                std::thread::sleep(pause);
                out.write_all(&bytes[half..])
            } else {
                out.write_all(bytes)
            }
        })
        .map_err(|source| StateError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Restores a learner saved at `path` under `settings`.
    pub fn load(settings: &LiveSettings, path: &Path) -> Result<Self, StateError> {
        let bytes = crate::lines::read_bytes(path).map_err(|e| StateError::Read {
            path: path.to_path_buf(),
            source: e.error.into_io(),
        })?;
        Self::from_state_json(settings, &bytes, path)
    }

    /// Restores a learner from a state's JSON text (`path` names it in messages). The state is
    /// refused if it is not one, comes from another format version or other settings, or its
    /// numbers do not check out (lengths, finite values, consistent counts).
    pub fn from_state_json(
        settings: &LiveSettings,
        text: &[u8],
        path: &Path,
    ) -> Result<Self, StateError> {
        // Messages may quote the file's text: control characters are escaped to keep one line.
        let corrupt = |message: String| StateError::Corrupt {
            path: path.to_path_buf(),
            message: message
                .chars()
                .flat_map(|c| {
                    let escaped: Vec<char> = if c.is_control() {
                        c.escape_default().collect()
                    } else {
                        vec![c]
                    };
                    escaped
                })
                .collect(),
        };
        let header: StateHeader =
            serde_json::from_slice(text).map_err(|e| corrupt(format!("not valid JSON ({e})")))?;
        if header.format.as_deref() != Some(STATE_FORMAT) {
            return Err(corrupt(format!(
                "no \"format\": \"{STATE_FORMAT}\" identification"
            )));
        }
        match header.version {
            Some(STATE_VERSION) => {}
            Some(v) => {
                return Err(corrupt(format!(
                    "state format version {v}; this splitee reads version {STATE_VERSION}"
                )))
            }
            None => return Err(corrupt("no state format version".into())),
        }
        let file: StateFile = serde_json::from_slice(text).map_err(|e| corrupt(e.to_string()))?;
        let saved = &file.config;
        if saved.exits == 0 || saved.exits > MAX_EXITS {
            return Err(corrupt(format!("{} exits", saved.exits)));
        }
        let mut learner =
            Self::new(settings, saved.exits, saved.measured_costs).map_err(|source| {
                StateError::Settings {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        if let Some((field, saved, current)) = saved.difference(&learner.config) {
            return Err(StateError::Mismatch {
                path: path.to_path_buf(),
                field,
                saved,
                current,
            });
        }
        let steps = file.learner.steps;
        learner
            .learner
            .restore(file.learner)
            .map_err(|m| corrupt(format!("learner: {m}")))?;
        file.totals
            .check(learner.config.arms.len(), steps)
            .map_err(corrupt)?;
        learner.totals = file.totals;
        Ok(learner)
    }
}

/// Confidences must be numbers in [0, 1]; `first` is the 0-based exit of `conf[0]`.
fn check_confidences(conf: &[f64], first: usize) -> Result<(), LiveError> {
    // All values at once first (a loop without early exit vectorises); where one is out,
    // which.
    if conf
        .iter()
        .fold(true, |all, c| all & (0.0..=1.0).contains(c))
    {
        return Ok(());
    }
    match conf.iter().position(|c| !(0.0..=1.0).contains(c)) {
        Some(i) => Err(LiveError::Observed(format!(
            "conf_{} is {}; confidences must be in [0, 1]",
            first + i + 1,
            conf[i]
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
