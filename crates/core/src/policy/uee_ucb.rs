//! UEE-UCB (Hari Narayan, Hanawal & Bhardwaj, arXiv 2209.09480): learns the exit of a
//! multi-exit network from predictions alone, with side observations.
//!
//! Under strong dominance (an exit that is right stays right at every deeper exit) the error
//! rates of exits 1 and j differ by their disagreement rate `P_1j`, so `P_1j + c_1 - c_j` ranks
//! the exits by `-(c_j + err_j)` without a label. The index of exit j at 0-based round `t` is
//! `P_1j + c_1 - c_j + sqrt(c ln(t + 1) / N_j)` (the authors' notebook
//! `Part2_UEE_UCB_Algorithm_Evaluation.ipynb`, with `c = 1`), the highest index is played and
//! ties go to the shallowest exit. Running to exit j computes every shallower exit, so a
//! decision observes exits 1..j (the engine's side observations). The first round plays the
//! deepest exit, which observes every exit once, as the notebook does.
//!
//! Under the disagreement reward ([`crate::reward::RewardKind::Disagreement`]) an arm's reward
//! is `D_1j + mu*proc(1) - mu*proc(j)`, so its mean is the index's first three terms (equal to
//! the notebook's `P_1j + c_1 - c_j` up to rounding: a mean of sums rather than a count ratio
//! plus costs). Under other rewards it is UCB1 with the notebook's exploration term and start.

use super::registry::{Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{argmax_by, for_each_observed, ArmStats};
use super::{Param, Policy, RunContext, SideInformation};
use crate::params::NON_NEGATIVE;
use crate::reward::{Action, Feedback};
use std::fmt;

/// UEE-UCB; see the module documentation.
#[derive(Debug, Clone)]
pub struct UeeUcb {
    stats: ArmStats,
    /// The exploration constant inside the square root (the notebook's `alpha = 1`).
    c: f64,
}

impl UeeUcb {
    pub fn new(arms: usize, c: f64) -> Self {
        Self {
            stats: ArmStats::new(arms),
            c,
        }
    }

    /// `mean_j + sqrt(c ln(t + 1) / N_j)` for an observed arm.
    fn index(&self, arm: usize, log_t: f64) -> f64 {
        self.stats.mean(arm) + (self.c * log_t / self.stats.count(arm) as f64).sqrt()
    }
}

impl Policy for UeeUcb {
    fn choose(&mut self, t: usize) -> Action {
        let s = &self.stats;
        // The deepest arm not yet observed: playing it observes every shallower one too.
        let unobserved = (0..s.arms()).rev().find(|&k| s.count(k) == 0);
        let arm = unobserved.unwrap_or_else(|| {
            let log_t = ((t + 1) as f64).ln();
            argmax_by(s.arms(), |k| self.index(k, log_t))
        });
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, SideInformation::Shallower, &mut |k, r| {
            self.stats.record(k, r)
        });
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }
}

impl Learns for UeeUcb {
    type Learned = ArmStats;

    fn learned(&self) -> ArmStats {
        self.stats.clone()
    }

    fn restored(&self, learned: ArmStats, steps: u64) -> Result<Self, String> {
        let stats = learned.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            ..self.clone()
        })
    }
}

/// The parameter of `uee-ucb[:c]` (`c = 1` by default, the notebook's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UeeUcbParams {
    pub c: Param,
}

const UEE_UCB_C: Rule = Rule {
    what: "the exploration constant c",
    form: "uee-ucb:c",
    must: NON_NEGATIVE.must,
    ok: NON_NEGATIVE.ok,
};

/// `uee-ucb[:c]`.
impl PolicyFamily for UeeUcb {
    type Params = UeeUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "uee-ucb",
        help: "uee-ucb[:c]",
        side: Side::Always,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<UeeUcbParams, String> {
        if name.side == SideInformation::Shallower {
            return Err(name.unknown());
        }
        let c = name.optional(&UEE_UCB_C)?.unwrap_or(Param::ONE);
        Ok(UeeUcbParams { c })
    }

    fn write(p: &UeeUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if p.c == Param::ONE {
            f.write_str(Self::ENTRY.name)
        } else {
            write!(f, "{}:{}", Self::ENTRY.name, p.c)
        }
    }

    fn build(p: &UeeUcbParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, p.c.get())
    }
}
