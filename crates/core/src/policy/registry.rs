//! The machinery of the policy registry. A family of policies is declared once, in the file of
//! the policy it builds, by an implementation of [`PolicyFamily`]: its name and help form, its
//! parameters and their rules (parsing and printing them), whether it takes side observations or
//! the run's reward range, and how it is built. The policy it builds declares what it learns by
//! an implementation of [`Learns`]. The registry itself, the one list of policies and families
//! in `policy/mod.rs`, expands through [`registry!`] into everything that reads it:
//!
//! - [`super::AnyPolicy`], the statically dispatched policy the replay loop calls (one variant
//!   per policy type, so every decision is an inlined `match`, never a virtual call);
//! - [`super::PolicyState`], what a state file saves of a policy (what it learned, tagged by its
//!   policy type), and restoring it into a policy freshly built from the settings;
//! - [`super::Family`], the typed classification of a policy (reports and plots match on it, never
//!   on the spelling of a name), with its [`Entry`];
//! - [`super::PolicyKind`], a family with its parameters: parsing, printing and building;
//! - [`super::POLICY_NAMES`], the help list of names, in the families' order.

use super::{Policy, RunContext, SideInformation};
use crate::param::Param;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::Hash;

/// What the registry knows of a family without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The family's name, which its policy names start with (`kl-ucb`).
    pub name: &'static str,
    /// Its forms in help and error messages (`kl-ucb[:c]`).
    pub help: &'static str,
    /// Whether it learns from side observations of other arms.
    pub side: Side,
    /// Whether it rescales rewards with the run's reward range
    /// ([`RunContext::reward_bounds`]); a parameter may make it unnecessary (see
    /// [`PolicyFamily::uses_reward_bounds`]).
    pub reward_bounds: bool,
    /// Whether it chooses among any set of arms, rather than playing a split of its own:
    /// `joint:`, `threshold:K:`, `vector:K:` and `alpha:A:` apply to it.
    pub arm_set: bool,
    /// Whether it learns from what its decisions reveal (the baselines do not).
    pub learns: bool,
}

/// Whether a family learns from side observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Never: it learns from the played arm only (or nothing).
    Never,
    /// When its name ends in `+s`.
    Optional,
    /// Always (`splitee-s`).
    Always,
}

/// A family of policies, declared once and listed once in the registry.
pub trait PolicyFamily {
    /// What a name sets besides the family (`c` and `+s` in `kl-ucb:c+s`).
    type Params: Copy + Eq + Hash + fmt::Debug;
    /// The policy it builds.
    type Policy: Learns + Into<super::AnyPolicy>;
    /// Its name, help form and capabilities.
    const ENTRY: Entry;

    /// The parameters of `name`, whose family is this one; an error names the bad parameter.
    fn parse(name: &Name<'_>) -> Result<Self::Params, String>;

    /// Writes the canonical name (which parses back to the same parameters).
    fn write(_params: &Self::Params, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::ENTRY.name)
    }

    /// A fresh policy for one run.
    fn build(params: &Self::Params, ctx: &RunContext) -> Self::Policy;

    /// Which other arms a decision updates besides the played one.
    fn side(_params: &Self::Params) -> SideInformation {
        match Self::ENTRY.side {
            Side::Always => SideInformation::Shallower,
            Side::Never | Side::Optional => SideInformation::None,
        }
    }

    /// Whether the policy rescales rewards with the run's reward range.
    fn uses_reward_bounds(_params: &Self::Params) -> bool {
        Self::ENTRY.reward_bounds
    }

    /// How many exits a trace must have for the policy (0: any).
    fn exits_needed(_params: &Self::Params) -> usize {
        0
    }

    /// The agreement with the final exit the policy must keep, for policies learning under
    /// that constraint (they read each exit's prediction).
    fn agreement_floor(_params: &Self::Params) -> Option<f64> {
        None
    }
}

/// What a policy learns, and all a state saves of it: per-arm statistics, windows, weights,
/// generator state. Its settings (constants, side information, the reward range, the number of
/// arms) are not saved: a state is restored into a policy freshly built from the settings, which
/// supplies them, and the settings themselves are compared where the state is kept (the
/// learner's state in memory, the state file's `config`).
pub trait Learns: Policy + Clone {
    /// What it learned, as a state saves it.
    type Learned: Serialize + DeserializeOwned + Clone + fmt::Debug;

    /// What it has learned so far.
    fn learned(&self) -> Self::Learned;

    /// This policy, freshly built from the settings, continuing from `learned`, which was
    /// saved after `steps` decisions. Refuses what does not fit it: lengths, finite values,
    /// counts no larger than the decisions made, nothing recorded for an arm never played.
    fn restored(&self, learned: Self::Learned, steps: u64) -> Result<Self, String>;
}

/// A policy that learns nothing: the settings alone decide it. Saved as `null`; any saved value
/// is accepted (and ignored), as earlier states stored the arm or the draw here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nothing;

impl Serialize for Nothing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Nothing {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Nothing)
    }
}

/// A policy name split into its parts: `family[:param][+s]`.
#[derive(Debug, Clone, Copy)]
pub struct Name<'a> {
    /// The whole name, for messages.
    pub name: &'a str,
    pub family: &'a str,
    /// Everything after the family's `:` (without `+s`).
    pub param: Option<&'a str>,
    /// Whether the name ends in `+s`.
    pub side: SideInformation,
}

/// What a real parameter is and which values it takes, for parsing and error messages.
pub(crate) struct Rule {
    pub(crate) what: &'static str,
    pub(crate) form: &'static str,
    pub(crate) must: &'static str,
    pub(crate) ok: fn(f64) -> bool,
}

impl<'a> Name<'a> {
    /// Splits `name` into its parts.
    pub(crate) fn split(name: &'a str) -> Self {
        let (base, side) = match name.strip_suffix("+s") {
            Some(base) => (base, SideInformation::Shallower),
            None => (name, SideInformation::None),
        };
        let (family, param) = match base.split_once(':') {
            Some((family, param)) => (family, Some(param)),
            None => (base, None),
        };
        Self {
            name,
            family,
            param,
            side,
        }
    }

    /// The error for a name no family knows.
    pub(crate) fn unknown(&self) -> String {
        format!(
            "unknown policy `{}` (known: {})",
            self.name,
            super::POLICY_NAMES
        )
    }

    /// A name that is the family's alone (no parameter, no `+s`); anything else is unknown.
    pub(crate) fn bare(&self) -> Result<(), String> {
        match (self.param, self.side) {
            (None, SideInformation::None) => Ok(()),
            _ => Err(self.unknown()),
        }
    }

    /// The name with its parameter split at its first `:` into a leading parameter and an
    /// optional trailing one (`sw-ucb:W:C`), which the second name holds.
    pub(crate) fn split_trailing(&self) -> (Self, Option<Self>) {
        let Some((first, rest)) = self.param.and_then(|p| p.split_once(':')) else {
            return (self.with_param(self.param), None);
        };
        (
            self.with_param(Some(first)),
            Some(self.with_param(Some(rest))),
        )
    }

    pub(crate) fn with_param(&self, param: Option<&'a str>) -> Self {
        Self { param, ..*self }
    }

    /// `raw` as a real number the rule accepts.
    pub(crate) fn real(&self, raw: &str, rule: &Rule) -> Result<Param, String> {
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

    /// The parameter, which must be given.
    pub(crate) fn required(&self, rule: &Rule) -> Result<Param, String> {
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

    /// The parameter, if given.
    pub(crate) fn optional(&self, rule: &Rule) -> Result<Option<Param>, String> {
        self.param.map(|raw| self.real(raw, rule)).transpose()
    }

    /// No parameter may be given.
    pub(crate) fn no_parameter(&self) -> Result<(), String> {
        match self.param {
            None => Ok(()),
            Some(_) => Err(format!(
                "`{}`: {} takes no parameter",
                self.name, self.family
            )),
        }
    }

    /// `+s` may not be given.
    pub(crate) fn bandit_only(&self) -> Result<(), String> {
        match self.side {
            SideInformation::None => Ok(()),
            SideInformation::Shallower => Err(format!(
                "`{}`: {} learns from the played arm's reward only; side observations (+s) are \
                 not supported",
                self.name, self.family
            )),
        }
    }
}

/// The name suffix of a side-information setting.
pub(crate) fn side_suffix(side: SideInformation) -> &'static str {
    match side {
        SideInformation::None => "",
        SideInformation::Shallower => "+s",
    }
}

/// Writes `NAME[:c][+s]` for a family whose constant `c` defaults to 0 and is then left out
/// (KL-UCB's and Bayes-UCB's weight of `ln ln t`).
pub(crate) fn write_constant_or_zero(
    f: &mut fmt::Formatter<'_>,
    family: &str,
    c: Param,
    side: SideInformation,
) -> fmt::Result {
    let side = side_suffix(side);
    if c.get() == 0.0 {
        write!(f, "{family}{side}")
    } else {
        write!(f, "{family}:{c}{side}")
    }
}

/// The name suffix of a policy's own UCB constant (`:C`), empty when it takes the run's.
pub(crate) fn own_constant(c: Option<Param>) -> String {
    c.map(|c| format!(":{c}")).unwrap_or_default()
}

/// The length of the help list: every entry's help form, `, ` between them, then `tail`.
pub(crate) const fn help_len(entries: &[&Entry], tail: &str) -> usize {
    let mut len = tail.len();
    let mut i = 0;
    while i < entries.len() {
        if i > 0 {
            len += 2;
        }
        len += entries[i].help.len();
        if matches!(entries[i].side, Side::Optional) {
            len += SIDE_MARK.len();
        }
        i += 1;
    }
    len
}

/// What follows the form of a family whose side observations are optional, so that the help
/// says which families take `+s` (the registry's [`Side`], not a sentence that can go stale).
pub(crate) const SIDE_MARK: &str = "[+s]";

/// The help list's bytes (`N` from [`help_len`]).
pub(crate) const fn help_bytes<const N: usize>(entries: &[&Entry], tail: &str) -> [u8; N] {
    const fn copy<const N: usize>(out: &mut [u8; N], at: usize, text: &[u8]) -> usize {
        let mut j = 0;
        while j < text.len() {
            out[at + j] = text[j];
            j += 1;
        }
        at + text.len()
    }
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < entries.len() {
        if i > 0 {
            at = copy(&mut out, at, b", ");
        }
        at = copy(&mut out, at, entries[i].help.as_bytes());
        if matches!(entries[i].side, Side::Optional) {
            at = copy(&mut out, at, SIDE_MARK.as_bytes());
        }
        i += 1;
    }
    copy(&mut out, at, tail.as_bytes());
    out
}

/// Expands the registry: the policy types (what the replay loop dispatches on and what a state
/// file names) and the families (in the order help lists them). See the module documentation.
macro_rules! registry {
    (
        policies { $($variant:ident($policy:ty)),+ $(,)? }
        families { $($(#[$doc:meta])* $family:ident($def:ty)),+ $(,)? }
    ) => {
        /// Any built-in policy. The simulator calls policies through this enum rather than a
        /// trait object so the per-step calls are inlined into the replay loop.
        #[derive(Debug, Clone)]
        pub enum AnyPolicy {
            $($variant($policy),)+
        }

        /// What a policy has learned, as a learner's state saves it: the policy type's name
        /// and its [`Learns::Learned`] (`{"Ucb": {"sums": [...], "counts": [...]}}`).
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        pub enum PolicyState {
            $($variant(<$policy as $crate::policy::Learns>::Learned),)+
        }

        impl PolicyState {
            /// The policy type's name.
            fn variant(&self) -> &'static str {
                match self { $(Self::$variant(_) => stringify!($variant),)+ }
            }
        }

        impl AnyPolicy {
            /// The policy type's name, as states name it.
            fn variant(&self) -> &'static str {
                match self { $(Self::$variant(_) => stringify!($variant),)+ }
            }

            /// What the policy has learned so far.
            pub fn state(&self) -> PolicyState {
                match self {
                    $(Self::$variant(p) => {
                        PolicyState::$variant($crate::policy::Learns::learned(p))
                    })+
                }
            }

            /// This policy, freshly built from the settings, continuing from `state`, saved
            /// after `steps` decisions; refused if `state` is another policy's or does not fit
            /// this one (see [`Learns::restored`]).
            pub fn restored(&self, state: PolicyState, steps: u64) -> Result<Self, String> {
                match (self, state) {
                    $((Self::$variant(fresh), PolicyState::$variant(learned)) => {
                        $crate::policy::Learns::restored(fresh, learned, steps).map(Self::$variant)
                    })+
                    (fresh, saved) => Err(format!(
                        "the saved policy is {}, but the settings build {}",
                        saved.variant(),
                        fresh.variant()
                    )),
                }
            }
        }

        $(impl From<$policy> for AnyPolicy {
            fn from(policy: $policy) -> Self {
                Self::$variant(policy)
            }
        })+

        // Always inlined: the replay loop dispatches once per decision and each policy's code
        // then sits in the loop (a call here cost 3% of instructions per decision).
        impl Policy for AnyPolicy {
            #[inline(always)]
            fn choose(&mut self, t: usize) -> Action {
                match self { $(Self::$variant(p) => p.choose(t),)+ }
            }
            #[inline(always)]
            fn observe(&mut self, feedback: &Feedback<'_>) {
                match self { $(Self::$variant(p) => p.observe(feedback),)+ }
            }
            fn prime(&mut self, arm: usize, reward: f64) {
                match self { $(Self::$variant(p) => p.prime(arm, reward),)+ }
            }
            fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
                match self { $(Self::$variant(p) => p.reward_sums(),)+ }
            }
            fn sense_load(&mut self, load: $crate::policy::Load) {
                match self { $(Self::$variant(p) => p.sense_load(load),)+ }
            }
            fn sense_context(&mut self, context: &str) {
                match self { $(Self::$variant(p) => p.sense_context(context),)+ }
            }
            fn propensity(&self, t: usize, action: Action) -> f64 {
                match self { $(Self::$variant(p) => p.propensity(t, action),)+ }
            }
        }

        /// A family of policies: what reports, plots and settings tell policies apart by.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Family {
            $($(#[$doc])* $family,)+
        }

        /// Every family's entry, in the registry's order.
        const ENTRIES: &[&$crate::policy::Entry] = &[
            $(&<$def as $crate::policy::PolicyFamily>::ENTRY,)+
        ];

        impl Family {
            /// Every family, in the order help lists them.
            pub const ALL: &'static [Family] = &[$(Family::$family,)+];

            /// Its name, help form and capabilities.
            pub fn entry(self) -> &'static $crate::policy::Entry {
                ENTRIES[self as usize]
            }

            /// The family of policy names starting with `name` (`kl-ucb`).
            pub fn named(name: &str) -> Option<Family> {
                Self::ALL.iter().copied().find(|f| f.entry().name == name)
            }
        }

        /// A decision rule: a family and its parameters.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PolicyKind {
            $($(#[$doc])* $family(<$def as $crate::policy::PolicyFamily>::Params),)+
        }

        impl PolicyKind {
            /// The rule's family.
            pub fn family(&self) -> Family {
                match self { $(Self::$family(_) => Family::$family,)+ }
            }

            /// Parses `name` as a name of `family`.
            fn parse_as(family: Family, name: &$crate::policy::Name<'_>) -> Result<Self, String> {
                match family {
                    $(Family::$family => {
                        <$def as $crate::policy::PolicyFamily>::parse(name).map(Self::$family)
                    })+
                }
            }

            fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Self::$family(p) => <$def as $crate::policy::PolicyFamily>::write(p, f),)+
                }
            }

            /// A fresh policy for one run over `ctx.arms` arms.
            pub fn build(&self, ctx: &RunContext) -> AnyPolicy {
                match self {
                    $(Self::$family(p) => {
                        <$def as $crate::policy::PolicyFamily>::build(p, ctx).into()
                    })+
                }
            }

            /// Which other arms a decision updates besides the played one.
            pub fn side(&self) -> SideInformation {
                match self {
                    $(Self::$family(p) => <$def as $crate::policy::PolicyFamily>::side(p),)+
                }
            }

            /// Whether the rule rescales rewards with the run's reward range
            /// ([`RunContext::reward_bounds`]).
            pub fn uses_reward_bounds(&self) -> bool {
                match self {
                    $(Self::$family(p) => {
                        <$def as $crate::policy::PolicyFamily>::uses_reward_bounds(p)
                    })+
                }
            }

            /// How many exits a trace must have for the rule (0: any).
            pub fn exits_needed(&self) -> usize {
                match self {
                    $(Self::$family(p) => {
                        <$def as $crate::policy::PolicyFamily>::exits_needed(p)
                    })+
                }
            }

            /// The agreement with the final exit the rule must keep, if it learns under
            /// that constraint (it then reads each exit's prediction).
            pub fn agreement_floor(&self) -> Option<f64> {
                match self {
                    $(Self::$family(p) => {
                        <$def as $crate::policy::PolicyFamily>::agreement_floor(p)
                    })+
                }
            }
        }
    };
}

pub(crate) use registry;
