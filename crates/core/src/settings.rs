//! The settings of a run, with the only defaults, and their check: every entrance (flags, config
//! files, sweeps, live learners, studies) starts from [`RunSettings::default`] and goes through
//! [`RunSettings::check`].
//!
//! The shape follows linfa's `ParamGuard`. [`RunSettings`] are the parameters as given: public
//! fields, changed with struct update syntax, the only defaults. [`RunSettings::check`] applies
//! every rule of [`crate::params`] and returns a [`CheckedSettings`], which nothing else can
//! build, or a [`ParamError`] naming the first bad key (`cost.mu`, `policy.names`,
//! `policy.alpha`, `policy.ucb_c`, `run.runs`, `policy.thresholds`, `policy.probe`, in that
//! order). [`RunSettings::check_ref`] runs the same rules on a borrowed value; entrances that
//! know where each value came from (a flag, a config line, a sweep axis, a study key) call it and
//! blame that origin. The experiment layer's `run_on` checks whatever settings it is given, so
//! an unchecked value never reaches a replay.
//!
//! `RunSettings` stays the unchecked type, rather than becoming the checked one behind a
//! separate `RunParams`, because its fields are the public surface that library users and tests
//! build settings with; the checked newtype only dereferences to it.

use crate::compat::Compat;
use crate::cost::CostModel;
use crate::params::{self, ParamError};
use crate::policy::PolicySpec;
use crate::reward::RewardKind;
use crate::sim::SimOptions;
use std::path::PathBuf;

/// The settings of `splitee run`, as given; [`RunSettings::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Traces replayed one after the other; empty means the embedded default trace
    /// ([`crate::embedded`]), whose cost profile then prices the run unless costs were given.
    pub traces: Vec<PathBuf>,
    pub policies: Vec<PolicySpec>,
    pub alpha: f64,
    pub cost: CostModel,
    pub reward: RewardKind,
    pub sim: SimOptions,
}

/// SplitEE's setting for a named trace, and the default of every key: the five default
/// policies, alpha 0.7, linear costs with lambda 0.1 and o 0.5, mu 1, the SplitEE reward and
/// [`SimOptions::default`]. (With no trace, the config layer prices the embedded trace
/// by its profile instead.)
impl Default for RunSettings {
    fn default() -> Self {
        Self {
            traces: Vec::new(),
            policies: DEFAULT_POLICIES.to_vec(),
            alpha: 0.7,
            cost: CostModel::linear(crate::cost::SPLITEE_LAMBDA, crate::cost::DEFAULT_OFFLOAD),
            reward: RewardKind::Splitee,
            sim: SimOptions::default(),
        }
    }
}

/// The policies compared when none is named.
pub const DEFAULT_POLICIES: [PolicySpec; 5] = [
    PolicySpec::SPLITEE,
    PolicySpec::SPLITEE_S,
    PolicySpec::FINAL_EXIT,
    PolicySpec::DEVICE_EE,
    PolicySpec::RANDOM,
];

/// The policy a live stream runs when none is named (it runs exactly one).
pub const DEFAULT_STREAM_POLICY: PolicySpec = PolicySpec::SPLITEE_S;

impl RunSettings {
    /// Checks every parameter by the rules of [`crate::params`], in a fixed order (the cost
    /// model, the policy list, alpha, the UCB constant, runs, the threshold grid, the probe
    /// probability); the error names the first bad key.
    pub fn check_ref(&self) -> Result<(), ParamError> {
        self.cost
            .validate()
            .map_err(|e| ParamError::new(e.key, e.message))?;
        params::check_policy_count(self.policies.len())?;
        params::ALPHA.check(self.alpha)?;
        params::UCB_C.check(self.sim.ucb_c)?;
        params::check_runs(self.sim.runs)?;
        params::check_thresholds(&self.sim.thresholds)?;
        params::PROBE.check(self.sim.probe)?;
        Ok(())
    }

    /// The settings under compatibility mode `compat` (none: unchanged): the mode's reward,
    /// threshold grid and policies replace those not `given` (`given(key)` says whether the
    /// setting under a config key, [`params::POLICIES`], [`params::THRESHOLDS`],
    /// [`params::REWARD`], [`params::MU`], [`params::OBSERVATION`], was chosen rather than left
    /// at its default), and a
    /// chosen value the published code cannot have is refused, naming its key. The command
    /// line, config files and the Python bindings all come through here.
    pub fn with_compat(
        self,
        compat: Option<Compat>,
        given: impl Fn(&'static str) -> bool,
    ) -> Result<Self, ParamError> {
        let Some(compat) = compat else {
            return Ok(self);
        };
        let mut settings = self;
        if let Some(policies) = compat
            .default_policies()
            .filter(|_| !given(params::POLICIES))
        {
            settings.policies = policies.to_vec();
        }
        for spec in &settings.policies {
            compat
                .check_policy(spec)
                .map_err(|m| ParamError::new(params::POLICIES, m))?;
        }
        if let Some(grid) = compat.thresholds().filter(|_| !given(params::THRESHOLDS)) {
            settings.sim.thresholds = grid.to_vec();
        }
        if let Some(reward) = compat.reward() {
            if given(params::REWARD) {
                compat
                    .check_reward(settings.reward)
                    .map_err(|m| ParamError::new(params::REWARD, m))?;
            }
            settings.reward = reward;
        }
        compat
            .check_mu(settings.cost.mu)
            .map_err(|m| ParamError::new(params::MU, m))?;
        if given(params::OBSERVATION) {
            compat
                .check_observation(settings.sim.observation)
                .map_err(|m| ParamError::new(params::OBSERVATION, m))?;
        }
        compat
            .check_cost(settings.cost.linear_lambda())
            .map_err(|m| ParamError::new(params::COST_MODEL, m))?;
        settings.sim.compat = Some(compat);
        Ok(settings)
    }

    /// The settings, checked ([`RunSettings::check_ref`]).
    pub fn check(self) -> Result<CheckedSettings, ParamError> {
        self.check_ref()?;
        Ok(CheckedSettings(self))
    }
}

/// Settings that passed [`RunSettings::check`], the only way to build one. Read them through
/// `Deref`; change them by taking them out ([`CheckedSettings::into_inner`]) and checking again.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSettings(RunSettings);

impl CheckedSettings {
    pub fn into_inner(self) -> RunSettings {
        self.0
    }
}

impl std::ops::Deref for CheckedSettings {
    type Target = RunSettings;

    fn deref(&self) -> &RunSettings {
        &self.0
    }
}

impl AsRef<RunSettings> for CheckedSettings {
    fn as_ref(&self) -> &RunSettings {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_their_check() {
        let checked = RunSettings::default().check().unwrap();
        assert_eq!(*checked, RunSettings::default());
    }

    #[test]
    fn the_first_bad_key_is_named() {
        let bad = |edit: &dyn Fn(&mut RunSettings)| {
            let mut s = RunSettings::default();
            edit(&mut s);
            s.check().unwrap_err().to_string()
        };
        assert_eq!(
            bad(&|s| s.alpha = 0.0),
            "policy.alpha: alpha must be in (0, 1], got 0"
        );
        assert_eq!(
            bad(&|s| s.cost.mu = -1.0),
            "cost.mu: is -1; costs must be finite, >= 0 and at most 1e100"
        );
        assert_eq!(
            bad(&|s| s.policies.clear()),
            "policy.names: name at least one policy"
        );
        assert_eq!(
            bad(&|s| s.sim.runs = 0),
            "run.runs: runs must be at least 1"
        );
        assert_eq!(
            bad(&|s| s.sim.ucb_c = f64::NAN),
            "policy.ucb_c: the UCB constant must be finite, >= 0 and at most 1e100, got NaN"
        );
        assert_eq!(
            bad(&|s| s.sim.thresholds = vec![0.9, 0.6]),
            "policy.thresholds: thresholds must be strictly increasing"
        );
        assert_eq!(
            bad(&|s| s.sim.probe = 1.5),
            "policy.probe: the probe probability must be in (0, 1], got 1.5"
        );
        // The cost model comes first, then the order of the fields.
        assert!(bad(&|s| {
            s.alpha = 2.0;
            s.cost.mu = f64::NAN;
        })
        .starts_with("cost.mu"));
    }
}
