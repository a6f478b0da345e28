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

use crate::arms::{ArmLabel, ArmSpace, Arms};
use crate::cost::{CostError, CostModel, ReportedCost};
use crate::learner::{Choice, Learner, LearnerState};
use crate::policy::{PolicyKind, PolicySpec, RunContext};
use crate::reward::{Action, Observation, Outcome, RewardKind, RewardModel, SampleRow};
use crate::settings::RunSettings;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a live learner is built from: the settings of `splitee run` that apply to one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSettings {
    pub policy: PolicySpec,
    /// Exit threshold of split arms.
    pub alpha: f64,
    pub cost: CostModel,
    pub reward: RewardKind,
    /// The observation model (a policy name may fix its own).
    pub observation: Observation,
    pub ucb_c: f64,
    /// Threshold grid of joint and threshold learners.
    pub thresholds: Vec<f64>,
    /// Probe probability of unbiased observation.
    pub probe: f64,
    /// The seed; the learner draws from run 0's streams of it.
    pub seed: u64,
    /// The range rewards lie in, for policies that rescale them; by default derived from the
    /// cost model (confidences lie in [0, 1]). Required with measured costs, which are not
    /// known before the samples arrive.
    pub reward_bounds: Option<(f64, f64)>,
}

impl LiveSettings {
    /// `policy` with the defaults of `splitee run` for a named trace ([`RunSettings::default`]);
    /// change fields with struct update syntax.
    pub fn new(policy: PolicySpec) -> Self {
        Self::of_run(&RunSettings::default(), policy)
    }

    /// The settings of a resolved `run` configuration, for `policy` (checked when a learner is
    /// built; see [`LiveSettings::check`]). Compatibility mode is refused: it scores every arm
    /// on the first samples and then starts again from the first.
    pub fn from_run(settings: &RunSettings, policy: PolicySpec) -> Result<Self, LiveError> {
        if settings.sim.compat.is_some() {
            return Err(LiveError::Unsupported(
                "compatibility mode (splitee-2023) replays the first samples twice; it cannot \
                 run on a live stream"
                    .into(),
            ));
        }
        Ok(Self::of_run(settings, policy))
    }

    fn of_run(settings: &RunSettings, policy: PolicySpec) -> Self {
        Self {
            policy,
            alpha: settings.alpha,
            cost: settings.cost.clone(),
            reward: settings.reward,
            observation: settings.sim.observation,
            ucb_c: settings.sim.ucb_c,
            thresholds: settings.sim.thresholds.clone(),
            probe: settings.sim.probe,
            seed: settings.sim.seed,
            reward_bounds: None,
        }
    }

    /// Refuses what cannot run live: the best fixed arm in hindsight (it needs the whole
    /// stream) and oracle observation (it reads the final confidence of samples that exited);
    /// and values a config would refuse (alpha, probe, UCB constant, threshold grid).
    pub fn check(&self) -> Result<(), LiveError> {
        // The run's rules (`crate::params`), with their messages; the grid only matters to
        // policies that learn over it.
        let refused = |e: crate::params::ParamError| LiveError::Unsupported(e.message);
        crate::params::ALPHA.check(self.alpha).map_err(refused)?;
        crate::params::PROBE.check(self.probe).map_err(refused)?;
        crate::params::UCB_C.check(self.ucb_c).map_err(refused)?;
        if matches!(
            self.policy.arms,
            ArmSpace::Joint | ArmSpace::ThresholdsAt(_)
        ) {
            crate::params::check_thresholds(&self.thresholds).map_err(refused)?;
        }
        if self.policy.kind == PolicyKind::BestFixed {
            return Err(LiveError::Unsupported(format!(
                "policy `{}` needs the whole stream in hindsight; it cannot run live",
                self.policy
            )));
        }
        if self.policy.observation(self.observation) == Observation::Oracle {
            return Err(LiveError::Unsupported(format!(
                "oracle observation reads the final exit's confidence after the device answered; \
                 a live stream never has it (policy `{}`: use strict or unbiased observation)",
                self.policy
            )));
        }
        let measured = matches!(self.cost.processing, crate::cost::ProcessingCost::Measured);
        if measured && self.reward_bounds.is_none() && self.policy.kind.uses_reward_bounds() {
            return Err(LiveError::NeedsRewardBounds {
                policy: self.policy,
            });
        }
        if let Some((lo, hi)) = self.reward_bounds {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(LiveError::Unsupported(format!(
                    "the reward range must be two finite numbers LO < HI, got {lo}, {hi}"
                )));
            }
        }
        Ok(())
    }
}

/// A live learner that cannot be built or used as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Policy(String),
    #[error(transparent)]
    Cost(#[from] CostError),
    #[error(
        "policy `{policy}` rescales rewards with their range, which measured costs do not fix in \
         advance; give it with --reward-bounds LO,HI"
    )]
    NeedsRewardBounds { policy: PolicySpec },
    /// What the device or cloud reported does not fit the decision.
    #[error("{0}")]
    Observed(String),
    #[error("observe() needs a decision: call choose() first")]
    NoDecision,
    #[error("a decision is waiting for its observation; save between samples")]
    Pending,
}

/// What the device does with the next sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// Run the exits `0..=split` (0-based) on the device; if the confidence at `split` reaches
    /// `threshold` the device answers (unless `split` is the final exit, where it always
    /// answers), otherwise it sends the sample to the cloud. With `probe`, a sample that exits
    /// is sent to the cloud as well, to observe the final confidence.
    Split {
        arm: usize,
        split: usize,
        threshold: f64,
        probe: bool,
    },
    /// Walk the exits on the device and answer at the first whose confidence reaches
    /// `threshold` (or the final exit); never offload.
    DeviceOnly { threshold: f64 },
}

impl Plan {
    /// Whether a sample whose confidences so far are `conf` (at least up to the split) goes to
    /// the cloud, for a network of `exits` exits.
    pub fn sends_to_cloud(&self, conf: &[f64], exits: usize) -> bool {
        match *self {
            Plan::Split {
                split,
                threshold,
                probe,
                ..
            } => split + 1 < exits && conf.get(split).is_some_and(|&c| c < threshold || probe),
            Plan::DeviceOnly { .. } => false,
        }
    }

    /// How many exits the device runs on a sample whose confidences are `conf`, of a network
    /// of `exits` exits: the split's, or for device-only early exit up to the first confident
    /// exit. `None` if `conf` is too short to tell where device-only early exit stops.
    pub fn device_exits(&self, conf: &[f64], exits: usize) -> Option<usize> {
        match *self {
            Plan::Split { split, .. } => Some(split + 1),
            Plan::DeviceOnly { threshold } => {
                let last = exits - 1;
                match conf[..conf.len().min(last)]
                    .iter()
                    .position(|&c| c >= threshold)
                {
                    Some(stop) => Some(stop + 1),
                    // No confident exit before the final one: the device runs them all.
                    None if conf.len() >= last => Some(exits),
                    None => None,
                }
            }
        }
    }
}

/// What the device and the cloud computed for one sample.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The confidences computed, in exit order: the device's up to where it stopped, followed
    /// by the cloud's when the sample was sent there (then every exit's). More may be given:
    /// the learner reads only what the plan entitles it to.
    pub conf: &'a [f64],
    /// Under the measured cost model, the measured cost of reaching each of those exits from
    /// the previous one (as a trace's `cost_k`); ignored otherwise.
    pub cost: Option<&'a [f64]>,
}

/// Running totals of a live learner since its state began (labels are for evaluation only and
/// never reach the policy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub decisions: u64,
    pub offloads: u64,
    pub probes: u64,
    /// Reported cost, summed.
    pub cost: f64,
    /// Realised reward (less the offloading cost of probes), summed.
    pub reward: f64,
    pub labeled: u64,
    pub correct: u64,
    /// Decisions per arm.
    pub arm_counts: Vec<u64>,
}

impl Totals {
    fn check(&self, arms: usize, steps: u64) -> Result<(), String> {
        if self.arm_counts.len() != arms {
            return Err(format!(
                "totals.arm_counts has {} entries but the learner has {arms} arms",
                self.arm_counts.len()
            ));
        }
        let counted = self
            .arm_counts
            .iter()
            .try_fold(0u64, |total, &n| total.checked_add(n));
        if self.decisions != steps || counted != Some(steps) {
            return Err(format!(
                "totals count {} decisions ({} by arm) but the learner made {steps}",
                self.decisions,
                counted.map_or_else(|| "overflowing".into(), |n| n.to_string())
            ));
        }
        if self.offloads > steps || self.probes > steps || self.labeled > steps {
            return Err("totals count more offloads, probes or labels than decisions".into());
        }
        if self.correct > self.labeled {
            return Err("totals count more correct answers than labeled samples".into());
        }
        if !(self.cost.is_finite() && self.cost >= 0.0 && self.reward.is_finite()) {
            return Err(format!(
                "totals.cost {} or totals.reward {} is not a finite sum",
                self.cost, self.reward
            ));
        }
        Ok(())
    }

    /// The arm played most (the lowest on ties), if any decision was made.
    pub fn most_played(&self) -> Option<usize> {
        (self.decisions > 0)
            .then(|| crate::numeric::argmax_first(self.arm_counts.iter().map(|&n| n as f64)))
    }
}

/// The settings a state was saved with; a state is only restored under the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    pub policy: String,
    pub exits: usize,
    /// Whether processing costs are measured per sample (and every sample must carry them).
    pub measured_costs: bool,
    /// Every arm as (1-based split, threshold).
    pub arms: Vec<ArmLabel>,
    pub alpha: f64,
    pub reward: RewardKind,
    pub cost: CostModel,
    /// The observation model the policy runs under.
    pub observation: Observation,
    /// The probe probability, when the learner probes.
    pub probe: Option<f64>,
    pub ucb_c: f64,
    /// The reward range the policy rescales with, when known.
    pub reward_bounds: Option<(f64, f64)>,
    pub seed: u64,
}

impl StateConfig {
    /// The first setting that differs from `current`, as (name, saved, current).
    fn difference(&self, current: &Self) -> Option<(&'static str, String, String)> {
        fn show<T: Serialize>(value: &T) -> String {
            let text = serde_json::to_string(value).unwrap_or_default();
            if text.chars().count() > 80 {
                format!("{}...", text.chars().take(77).collect::<String>())
            } else {
                text
            }
        }
        macro_rules! compare {
            // Shortest round-trip numbers: equal text is equal values.
            ($($field:ident: $name:literal),+ $(,)?) => {$(
                if serde_json::to_string(&self.$field).ok()
                    != serde_json::to_string(&current.$field).ok()
                {
                    return Some(($name, show(&self.$field), show(&current.$field)));
                }
            )+};
        }
        compare!(
            policy: "policy",
            exits: "exits",
            measured_costs: "measured costs",
            alpha: "alpha",
            arms: "arms",
            cost: "cost model",
            reward: "reward",
            observation: "observation",
            probe: "probe probability",
            ucb_c: "UCB constant",
            reward_bounds: "reward range",
            seed: "seed",
        );
        None
    }
}

/// The state file's identification.
const STATE_FORMAT: &str = "splitee-learner-state";
/// Bumped whenever saved states change meaning; others are refused.
const STATE_VERSION: u32 = 1;
/// More exits than a saved state may claim (a guard against absurd allocations).
const MAX_EXITS: usize = 1 << 10;

/// A learner's state as saved.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: String,
    version: u32,
    /// The splitee version that wrote the file (for information).
    splitee: String,
    config: StateConfig,
    totals: Totals,
    learner: LearnerState,
}

/// Just the identification, read first so that another file or version gets a clear message.
#[derive(Deserialize)]
struct StateHeader {
    format: Option<String>,
    version: Option<u32>,
}

/// A state file that cannot be read, written, or restored under the current settings.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{}: cannot read the learner state: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a usable learner state: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "{}: the learner state was saved with {field} {saved}, but this stream has {current}; \
         use the same settings or another state file",
        path.display()
    )]
    Mismatch {
        path: PathBuf,
        field: &'static str,
        saved: String,
        current: String,
    },
    #[error("{}: {source}", path.display())]
    Settings { path: PathBuf, source: LiveError },
    #[error("{}: cannot save the learner state: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A learner for a live stream: it owns its reward model and settings.
#[derive(Debug, Clone)]
pub struct LiveLearner {
    learner: Learner<RewardModel>,
    config: StateConfig,
    /// What the policy may read of the current sample (NaN where it may not).
    row: SampleRow,
    pending: Option<Choice>,
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
        spec.validate(exits).map_err(LiveError::Policy)?;
        let costs = settings
            .cost
            .resolve_for(exits, has_costs, Path::new("the stream"))?;
        let lambda = settings.cost.linear_lambda().unwrap_or(0.0);
        let model = RewardModel::new(settings.alpha, costs, ReportedCost::Standard, lambda)
            .with_kind(settings.reward)
            .with_space(spec.arms, &settings.thresholds);
        let mut row = SampleRow {
            conf: vec![f64::NAN; exits],
            processing: vec![f64::NAN; exits],
            weighted_processing: vec![f64::NAN; exits],
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
        let totals = Totals {
            arm_counts: vec![0; config.arms.len()],
            ..Totals::default()
        };
        Ok(Self {
            learner,
            config,
            row,
            pending: None,
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

    /// The decision for the next sample. Until it is observed, the same plan is returned.
    pub fn choose(&mut self) -> Plan {
        let choice = match self.pending {
            Some(choice) => choice,
            None => {
                let choice = self.learner.choose();
                self.pending = Some(choice);
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
        let choice = self.pending.ok_or(LiveError::NoDecision)?;
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
        let t = &mut self.totals;
        t.decisions += 1;
        t.offloads += u64::from(outcome.offloaded);
        t.probes += u64::from(outcome.probed);
        t.cost += outcome.cost;
        t.reward += self.learner.model().realised_reward(&outcome);
        t.arm_counts[outcome.arm] += 1;
        Ok(outcome)
    }

    /// Processing costs of the visible exits from measured per-exit costs (NaN beyond).
    fn fill_measured(&mut self, cost: Option<&[f64]>, visible: usize) -> Result<(), LiveError> {
        let cost = cost.filter(|c| c.len() >= visible).ok_or_else(|| {
            LiveError::Observed(format!(
                "the measured cost model needs the cost of each of the {visible} exits computed"
            ))
        })?;
        let mu = self.learner.model().costs().mu();
        let mut total = 0.0;
        for (k, &c) in cost[..visible].iter().enumerate() {
            if !(c.is_finite() && c >= 0.0) {
                return Err(LiveError::Observed(format!(
                    "cost_{} is {c}; costs must be finite and >= 0",
                    k + 1
                )));
            }
            total += c;
            self.row.processing[k] = total;
            self.row.weighted_processing[k] = mu * total;
        }
        self.row.processing[visible..].fill(f64::NAN);
        self.row.weighted_processing[visible..].fill(f64::NAN);
        Ok(())
    }

    /// Counts whether the last answer was right, when the sample's label is known (for the
    /// totals only: labels never reach the policy).
    pub fn score(&mut self, correct: bool) {
        self.totals.labeled += 1;
        self.totals.correct += u64::from(correct);
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
        serde_json::to_string_pretty(&file)
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
        let bytes = std::fs::read(path).map_err(|source| StateError::Read {
            path: path.to_path_buf(),
            source,
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
mod tests {
    use super::*;

    fn settings(policy: &str) -> LiveSettings {
        LiveSettings {
            cost: CostModel::linear(0.1, 0.3),
            thresholds: vec![0.6, 0.8],
            probe: 0.5,
            seed: 1,
            ..LiveSettings::new(policy.parse().unwrap())
        }
    }

    /// The row the policy learned from hides what the device and cloud did not compute.
    #[test]
    fn the_policy_sees_only_what_was_computed() {
        let mut learner = LiveLearner::new(&settings("fixed:2"), 4, false).unwrap();
        assert_eq!(
            learner.choose(),
            Plan::Split {
                arm: 1,
                split: 1,
                threshold: 0.7,
                probe: false
            }
        );
        // Exit 2 is confident: the device answers; exits 3 and 4 stay unseen.
        let out = learner
            .observe(&Observed {
                conf: &[0.5, 0.9, 0.95, 0.99],
                cost: None,
            })
            .unwrap();
        assert!(!out.offloaded);
        assert_eq!(&learner.row.conf[..2], &[0.5, 0.9]);
        assert!(learner.row.conf[2..].iter().all(|c| c.is_nan()));
        // Exit 2 is not confident: the cloud returns every confidence.
        learner.choose();
        let out = learner
            .observe(&Observed {
                conf: &[0.5, 0.6, 0.95, 0.99],
                cost: None,
            })
            .unwrap();
        assert!(out.offloaded);
        assert_eq!(learner.row.conf, vec![0.5, 0.6, 0.95, 0.99]);
        assert_eq!(
            (out.reward * 1e9).round(),
            ((0.99 - 0.3 - 0.2) * 1e9_f64).round()
        );
    }

    #[test]
    fn observations_must_hold_what_the_decision_needs() {
        let mut learner = LiveLearner::new(&settings("fixed:2"), 4, false).unwrap();
        let observe = |l: &mut LiveLearner, conf: &[f64]| {
            l.observe(&Observed { conf, cost: None })
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            observe(&mut learner, &[0.5, 0.9]),
            Err("observe() needs a decision: call choose() first".into())
        );
        learner.choose();
        let short = observe(&mut learner, &[0.5]).unwrap_err();
        assert!(short.contains("runs exits 1..=2"), "{short}");
        let offloaded = observe(&mut learner, &[0.5, 0.6]).unwrap_err();
        assert!(offloaded.contains("went to the cloud"), "{offloaded}");
        let bad = observe(&mut learner, &[0.5, 1.5]).unwrap_err();
        assert!(bad.contains("conf_2 is 1.5"), "{bad}");
        // Exiting on the device needs only the device's confidences; the same plan stood.
        assert!(observe(&mut learner, &[0.5, 0.9]).is_ok());
        assert_eq!(learner.steps(), 1);

        // Device-only early exit: up to the first confident exit.
        let mut device = LiveLearner::new(&settings("device-ee"), 4, false).unwrap();
        device.choose();
        assert!(observe(&mut device, &[0.5, 0.6])
            .unwrap_err()
            .contains("none reaches"));
        let out = observe(&mut device, &[0.5, 0.8]).unwrap();
        assert_eq!((out.arm, out.offloaded), (1, false));
    }

    #[test]
    fn measured_costs_come_with_the_observation() {
        let mut cost = CostModel::linear(0.1, 0.3);
        cost.processing = crate::cost::ProcessingCost::Measured;
        let settings = LiveSettings {
            cost,
            ..settings("fixed:3")
        };
        let mut learner = LiveLearner::new(&settings, 3, true).unwrap();
        assert!(learner.measured_costs());
        learner.choose();
        let missing = learner.observe(&Observed {
            conf: &[0.5, 0.6, 0.9],
            cost: None,
        });
        assert!(missing
            .unwrap_err()
            .to_string()
            .contains("measured cost model"));
        let out = learner
            .observe(&Observed {
                conf: &[0.5, 0.6, 0.9],
                cost: Some(&[1.0, 2.0, 4.0]),
            })
            .unwrap();
        assert_eq!(out.cost, 7.0);
        assert!(
            LiveLearner::new(&settings, 3, false).is_err(),
            "samples without costs"
        );
    }

    #[test]
    fn settings_a_config_would_refuse_are_refused() {
        for (bad, expected) in [
            (
                LiveSettings {
                    alpha: 0.0,
                    ..settings("splitee")
                },
                "alpha",
            ),
            (
                LiveSettings {
                    probe: 0.0,
                    ..settings("splitee")
                },
                "probe",
            ),
            (
                LiveSettings {
                    ucb_c: f64::NAN,
                    ..settings("splitee")
                },
                "UCB constant",
            ),
            (
                LiveSettings {
                    thresholds: vec![],
                    ..settings("joint-ucb")
                },
                "grid is empty",
            ),
            (settings("best-fixed"), "hindsight"),
            (settings("splitee-s:oracle"), "oracle"),
        ] {
            let message = LiveLearner::new(&bad, 4, false).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
        // The split arms do not use the grid.
        let splits = LiveSettings {
            thresholds: vec![],
            ..settings("splitee")
        };
        assert!(LiveLearner::new(&splits, 4, false).is_ok());
    }

    #[test]
    fn a_state_is_saved_between_samples_only() {
        let mut learner = LiveLearner::new(&settings("splitee-s:unbiased"), 4, false).unwrap();
        learner.choose();
        assert_eq!(learner.state_json().unwrap_err(), LiveError::Pending);
        learner
            .observe(&Observed {
                conf: &[0.1, 0.2, 0.3, 0.4],
                cost: None,
            })
            .unwrap();
        let text = learner.state_json().unwrap();
        let back = LiveLearner::from_state_json(
            &settings("splitee-s:unbiased"),
            text.as_bytes(),
            Path::new("s"),
        )
        .unwrap();
        assert_eq!(back.state_json().unwrap(), text);
        assert_eq!(back.config().probe, Some(0.5));
    }
}
