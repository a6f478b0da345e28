//! Names of the policy zoo: `family[:parameters][+s]`, parsed into [`PolicySpec`] with every
//! parameter validated, and errors naming the bad parameter.

use super::sampling::Exploration;
use super::{PolicyKind, SideInformation};
use crate::param::Param;
use crate::params::{NON_NEGATIVE, UNIT_INTERVAL};

/// What a real parameter is and which values it takes, for parsing and error messages. Rules
/// shared with the run's parameters take their predicate from [`crate::params`] (finiteness is
/// checked for every parameter by [`Param::new`]).
struct Rule {
    what: &'static str,
    form: &'static str,
    must: &'static str,
    ok: fn(f64) -> bool,
}

const UCB1_C: Rule = Rule {
    what: "the exploration constant C",
    form: "ucb1:C",
    must: "a number >= 0",
    ok: NON_NEGATIVE.ok,
};
const KL_UCB_C: Rule = Rule {
    what: "the exploration constant c",
    form: "kl-ucb:c",
    must: "a number >= 0",
    ok: NON_NEGATIVE.ok,
};
const THOMPSON_S: Rule = Rule {
    what: "the posterior scale S (sigma)",
    form: "thompson:S",
    must: "a number > 0",
    ok: |v| v > 0.0,
};
const EPSILON: Rule = Rule {
    what: "epsilon E",
    form: "eps-greedy:E",
    must: "in [0, 1] (or `decay`, `decay:C`)",
    ok: |v| (0.0..=1.0).contains(&v),
};
const EPSILON_DECAY_C: Rule = Rule {
    what: "the decay constant C",
    form: "eps-greedy:decay:C",
    must: "a number > 0",
    ok: |v| v > 0.0,
};
const EXP3_GAMMA: Rule = Rule {
    what: "the exploration rate G (gamma)",
    form: "exp3:G",
    must: UNIT_INTERVAL.must,
    ok: UNIT_INTERVAL.ok,
};
const EXP3_IX_ETA: Rule = Rule {
    what: "the learning rate ETA (eta)",
    form: "exp3-ix:ETA",
    must: "a number > 0",
    ok: |v| v > 0.0,
};
const D_UCB_GAMMA: Rule = Rule {
    what: "the discount G (gamma)",
    form: "d-ucb:G",
    must: "in (0, 1)",
    ok: |v| v > 0.0 && v < 1.0,
};
const SW_UCB_C: Rule = Rule {
    what: "the UCB constant C",
    form: "sw-ucb:W:C",
    must: "a number >= 0",
    ok: NON_NEGATIVE.ok,
};
const D_UCB_C: Rule = Rule {
    what: "the UCB constant C",
    form: "d-ucb:G:C",
    must: "a number >= 0",
    ok: NON_NEGATIVE.ok,
};

/// A zoo name split into its parts.
struct ZooName<'a> {
    name: &'a str,
    family: &'a str,
    param: Option<&'a str>,
    side: SideInformation,
}

impl<'a> ZooName<'a> {
    /// The name with its parameter split at its first `:` into a leading parameter and an
    /// optional trailing one (`sw-ucb:W:C`), which the second name holds.
    fn split_trailing(&self) -> (Self, Option<Self>) {
        let Some((first, rest)) = self.param.and_then(|p| p.split_once(':')) else {
            return (self.with_param(self.param), None);
        };
        (
            self.with_param(Some(first)),
            Some(self.with_param(Some(rest))),
        )
    }

    fn with_param(&self, param: Option<&'a str>) -> Self {
        Self { param, ..*self }
    }

    fn real(&self, raw: &str, rule: &Rule) -> Result<Param, String> {
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|&v| (rule.ok)(v))
            .and_then(Param::new)
            .ok_or_else(|| {
                format!(
                    "`{}`: {} in {} must be {}, got `{raw}`",
                    self.name, rule.what, rule.form, rule.must
                )
            })
    }

    fn required(&self, rule: &Rule) -> Result<Param, String> {
        match self.param {
            Some(raw) => self.real(raw, rule),
            None => Err(format!(
                "`{}`: {} is missing (write {}, {} {})",
                self.name,
                rule.what,
                rule.form,
                rule.form.rsplit(':').next().unwrap_or(""),
                rule.must.strip_prefix("a number ").unwrap_or(rule.must)
            )),
        }
    }

    fn optional(&self, rule: &Rule) -> Result<Option<Param>, String> {
        self.param.map(|raw| self.real(raw, rule)).transpose()
    }

    fn no_parameter(&self) -> Result<(), String> {
        match self.param {
            None => Ok(()),
            Some(_) => Err(format!(
                "`{}`: {} takes no parameter",
                self.name, self.family
            )),
        }
    }

    fn bandit_only(&self) -> Result<(), String> {
        match self.side {
            SideInformation::None => Ok(()),
            SideInformation::Shallower => Err(format!(
                "`{}`: {} learns from the played arm's reward only; side observations (+s) are \
                 not supported",
                self.name, self.family
            )),
        }
    }

    fn window(&self) -> Result<usize, String> {
        let bad = |raw: &str| {
            format!(
                "`{}`: the window W in sw-ucb:W must be a whole number of observations >= 1, \
                 got `{raw}`",
                self.name
            )
        };
        match self.param {
            None => Err(format!(
                "`{}`: the window W is missing (write sw-ucb:W, W >= 1)",
                self.name
            )),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(w) if w >= 1 => Ok(w),
                _ => Err(bad(raw)),
            },
        }
    }

    fn exploration(&self) -> Result<Exploration, String> {
        match self.param {
            Some("decay") => Ok(Exploration::Decaying(Param::ONE)),
            Some(raw) => match raw.strip_prefix("decay:") {
                Some(c) => self.real(c, &EPSILON_DECAY_C).map(Exploration::Decaying),
                None => self.real(raw, &EPSILON).map(Exploration::Fixed),
            },
            None => self.required(&EPSILON).map(Exploration::Fixed),
        }
    }
}

/// Parses a name of the policy zoo; `None` if `name` is not one (whatever its parameters).
pub(super) fn parse_zoo(name: &str) -> Option<Result<PolicyKind, String>> {
    let (base, side) = match name.strip_suffix("+s") {
        Some(base) => (base, SideInformation::Shallower),
        None => (name, SideInformation::None),
    };
    let (family, param) = match base.split_once(':') {
        Some((family, param)) => (family, Some(param)),
        None => (base, None),
    };
    let n = ZooName {
        name,
        family,
        param,
        side,
    };
    let spec = match family {
        "ucb1" => n.required(&UCB1_C).map(|c| PolicyKind::Ucb1 { c, side }),
        "ucb-v" => n.no_parameter().map(|()| PolicyKind::UcbV { side }),
        "ucb-tuned" => n.no_parameter().map(|()| PolicyKind::UcbTuned { side }),
        "kl-ucb" => n.optional(&KL_UCB_C).map(|c| PolicyKind::KlUcb {
            c: c.unwrap_or(Param::ZERO),
            side,
        }),
        "thompson" => n
            .optional(&THOMPSON_S)
            .map(|sigma| PolicyKind::Thompson { sigma, side }),
        "eps-greedy" => n
            .exploration()
            .map(|epsilon| PolicyKind::EpsGreedy { epsilon, side }),
        "exp3" => n
            .bandit_only()
            .and_then(|()| n.required(&EXP3_GAMMA))
            .map(|gamma| PolicyKind::Exp3 { gamma }),
        "exp3-ix" => n
            .bandit_only()
            .and_then(|()| n.required(&EXP3_IX_ETA))
            .map(|eta| PolicyKind::Exp3Ix { eta }),
        "sw-ucb" => {
            let (first, c) = n.split_trailing();
            first.window().and_then(|window| {
                let c = c.map(|c| c.required(&SW_UCB_C)).transpose()?;
                Ok(PolicyKind::SwUcb { window, c, side })
            })
        }
        "d-ucb" => {
            let (first, c) = n.split_trailing();
            first.required(&D_UCB_GAMMA).and_then(|gamma| {
                let c = c.map(|c| c.required(&D_UCB_C)).transpose()?;
                Ok(PolicyKind::DUcb { gamma, c, side })
            })
        }
        _ => return None,
    };
    Some(spec)
}

/// The name suffix of a side-information setting.
pub(super) fn side_suffix(side: SideInformation) -> &'static str {
    match side {
        SideInformation::None => "",
        SideInformation::Shallower => "+s",
    }
}

/// The name suffix of a policy's own UCB constant (`:C`), empty when it takes the run's.
pub(super) fn own_constant(c: Option<Param>) -> String {
    c.map(|c| format!(":{c}")).unwrap_or_default()
}
