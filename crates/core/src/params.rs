//! The rules of the run parameters, each written once: which values a parameter takes, and how
//! a refusal reads. A leaf: arm sets, cost models, policy names, the run's settings
//! ([`crate::settings::RunSettings::check`]) and live settings all call these rules, and every
//! entrance (flags, config files, sweeps, live learners, studies) reaches them through those.
//!
//! A refusal is a [`ParamError`] naming the parameter's config key (`policy.alpha`, `run.runs`,
//! `cost.mu`, ...); an entrance maps the key to where the value came from (a flag, a line of a
//! config file, a sweep axis, a study key) and keeps the message.

/// A parameter value its rule refuses. `key` is the parameter's config key; `message` says what
/// is wrong without naming where the value came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ParamError {
    pub key: &'static str,
    pub message: String,
}

impl ParamError {
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// Which real values a rule takes, and how messages say it ("must be {must}").
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub ok: fn(f64) -> bool,
    pub must: &'static str,
}

impl Rule {
    pub fn accepts(&self, value: f64) -> bool {
        (self.ok)(value)
    }
}

fn in_unit_interval(value: f64) -> bool {
    value > 0.0 && value <= 1.0
}

fn in_closed_unit_interval(value: f64) -> bool {
    (0.0..=1.0).contains(&value)
}

fn finite_non_negative(value: f64) -> bool {
    (0.0..=MAX_MAGNITUDE).contains(&value)
}

/// The largest cost, weight or constant, and the largest magnitude of what is computed from
/// them (weighted costs, rewards, reward ranges, exploration bonuses). At 1e100, sums of rewards
/// and of their squares over any number of decisions stay finite, so nothing derived from an
/// accepted value can overflow into infinity or NaN.
pub const MAX_MAGNITUDE: f64 = 1e100;

/// Thresholds and probabilities: `(0, 1]` (NaN is refused).
pub const UNIT_INTERVAL: Rule = Rule {
    ok: in_unit_interval,
    must: "in (0, 1]",
};

/// The thresholds of a grid: `[0, 1]` (NaN is refused). Threshold 0 is an arm that always exits
/// at its split (AdaEE's grid starts there); the run's alpha stays in `(0, 1]`, since split arms
/// at threshold 0 would never offload.
pub const GRID_THRESHOLD: Rule = Rule {
    ok: in_closed_unit_interval,
    must: "in [0, 1]",
};

/// Costs and constants: `>= 0` and at most [`MAX_MAGNITUDE`] (NaN is refused).
pub const NON_NEGATIVE: Rule = Rule {
    ok: finite_non_negative,
    must: "finite, >= 0 and at most 1e100",
};

/// A real parameter: its key, what messages call it, and its rule.
#[derive(Debug, Clone, Copy)]
pub struct Real {
    pub key: &'static str,
    pub what: &'static str,
    pub rule: Rule,
}

impl Real {
    /// `value` if the rule takes it; otherwise "{what} must be {must}, got {value}".
    pub fn check(&self, value: f64) -> Result<f64, ParamError> {
        if self.rule.accepts(value) {
            Ok(value)
        } else {
            Err(ParamError::new(
                self.key,
                format!(
                    "{} must be {}, got {}",
                    self.what,
                    self.rule.must,
                    show(value)
                ),
            ))
        }
    }
}

/// The exit threshold of split arms.
pub const ALPHA: Real = Real {
    key: "policy.alpha",
    what: "alpha",
    rule: UNIT_INTERVAL,
};

/// The probe probability of unbiased observation.
pub const PROBE: Real = Real {
    key: "policy.probe",
    what: "the probe probability",
    rule: UNIT_INTERVAL,
};

/// The UCB exploration constant of policies without their own.
pub const UCB_C: Real = Real {
    key: "policy.ucb_c",
    what: "the UCB constant",
    rule: NON_NEGATIVE,
};

/// The key of the policy list.
pub const POLICIES: &str = "policy.names";
/// The key of the number of runs.
pub const RUNS: &str = "run.runs";
/// The key of the threshold grid.
pub const THRESHOLDS: &str = "policy.thresholds";
/// The key of the reward formula.
pub const REWARD: &str = "policy.reward";
/// The key of the weight of costs in the reward.
pub const MU: &str = "cost.mu";
/// The key of the observation model.
pub const OBSERVATION: &str = "policy.observation";
/// The key of the processing-cost model.
pub const COST_MODEL: &str = "cost.model";

/// At least one policy.
pub fn check_policy_count(count: usize) -> Result<(), ParamError> {
    match count {
        0 => Err(ParamError::new(POLICIES, "name at least one policy")),
        _ => Ok(()),
    }
}

/// At least one run.
pub fn check_runs(runs: usize) -> Result<(), ParamError> {
    match runs {
        0 => Err(ParamError::new(RUNS, "runs must be at least 1")),
        _ => Ok(()),
    }
}

/// `value` as messages show it: as typed for ordinary values, in exponent form when huge or
/// tiny (`1e308`, not 309 digits).
pub fn show(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && magnitude.is_finite() && !(1e-6..1e16).contains(&magnitude) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// A value computed from accepted parameters (a weighted cost, a reward range, a bonus) under
/// `key`: finite and at most [`MAX_MAGNITUDE`] in magnitude, or refused naming it by `what`
/// (called only then: checks run per sample).
pub fn check_computed(
    key: &'static str,
    value: f64,
    what: impl FnOnce() -> String,
) -> Result<f64, ParamError> {
    if value.abs() <= MAX_MAGNITUDE {
        Ok(value)
    } else {
        Err(ParamError::new(
            key,
            format!(
                "{} is {}, beyond 1e100: lower the values it is computed from",
                what(),
                show(value)
            ),
        ))
    }
}

/// A threshold grid: at least one threshold, every one in [0, 1] ([`GRID_THRESHOLD`]), strictly
/// increasing.
pub fn check_thresholds(values: &[f64]) -> Result<(), ParamError> {
    let refuse = |message: String| Err(ParamError::new(THRESHOLDS, message));
    if values.is_empty() {
        return refuse("the threshold grid is empty".into());
    }
    if let Some(bad) = values.iter().find(|&&v| !GRID_THRESHOLD.accepts(v)) {
        return refuse(format!(
            "thresholds must be {}, got {bad}",
            GRID_THRESHOLD.must
        ));
    }
    if values.windows(2).any(|w| w[1] <= w[0]) {
        return refuse("thresholds must be strictly increasing".into());
    }
    Ok(())
}

/// Cost values under `key` (`cost.lambda`, `cost.mu`, a table, per-split offloading costs, ...):
/// every entry finite and `>= 0`; the message names the first bad entry (1-based).
pub fn check_costs(key: &'static str, values: &[f64]) -> Result<(), ParamError> {
    let which = |i: usize| match values.len() {
        1 => String::new(),
        _ => format!("entry {} ", i + 1),
    };
    match values.iter().position(|&v| !NON_NEGATIVE.accepts(v)) {
        Some(i) => Err(ParamError::new(
            key,
            format!(
                "{}is {}; costs must be {}",
                which(i),
                show(values[i]),
                NON_NEGATIVE.must
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_key_and_the_rule() {
        assert_eq!(ALPHA.check(0.7), Ok(0.7));
        assert_eq!(
            ALPHA.check(1.5).unwrap_err().to_string(),
            "policy.alpha: alpha must be in (0, 1], got 1.5"
        );
        assert!(ALPHA.check(f64::NAN).is_err());
        assert_eq!(
            PROBE.check(0.0).unwrap_err().message,
            "the probe probability must be in (0, 1], got 0"
        );
        assert_eq!(
            UCB_C.check(-0.5).unwrap_err().message,
            "the UCB constant must be finite, >= 0 and at most 1e100, got -0.5"
        );
        assert!(UCB_C.check(f64::INFINITY).is_err());
        assert_eq!(UCB_C.check(0.0), Ok(0.0));
        assert_eq!(
            check_runs(0).unwrap_err().to_string(),
            "run.runs: runs must be at least 1"
        );
        assert_eq!(
            check_policy_count(0).unwrap_err().to_string(),
            "policy.names: name at least one policy"
        );
        assert_eq!(
            check_costs("cost.mu", &[0.5, -2.0])
                .unwrap_err()
                .to_string(),
            "cost.mu: entry 2 is -2; costs must be finite, >= 0 and at most 1e100"
        );
        assert!(check_costs("cost.table", &[]).is_ok());
    }

    #[test]
    fn huge_values_and_what_is_computed_from_them_are_refused() {
        assert!(UCB_C.check(1e100).is_ok());
        assert!(UCB_C.check(1e308).is_err());
        assert_eq!(
            check_costs("cost.lambda", &[1e308]).unwrap_err().message,
            "is 1e308; costs must be finite, >= 0 and at most 1e100"
        );
        assert_eq!(
            check_computed("cost.mu", -1e99, || "a reward range".into()),
            Ok(-1e99)
        );
        assert_eq!(
            check_computed("cost.mu", f64::INFINITY, || "mu * proc(3)".into())
                .unwrap_err()
                .to_string(),
            "cost.mu: mu * proc(3) is inf, beyond 1e100: lower the values it is computed from"
        );
        assert!(check_computed("cost.mu", f64::NAN, String::new).is_err());
    }

    #[test]
    fn threshold_grids() {
        assert!(check_thresholds(&[0.5, 1.0]).is_ok());
        assert!(check_thresholds(&[0.0, 0.5]).is_ok());
        let message = |v: &[f64]| check_thresholds(v).unwrap_err().message;
        assert_eq!(message(&[]), "the threshold grid is empty");
        assert_eq!(
            message(&[-0.1, 0.5]),
            "thresholds must be in [0, 1], got -0.1"
        );
        assert_eq!(
            message(&[0.5, 1.5]),
            "thresholds must be in [0, 1], got 1.5"
        );
        assert_eq!(
            message(&[0.6, 0.6]),
            "thresholds must be strictly increasing"
        );
    }
}
