//! Randomised index policies: Gaussian Thompson sampling and epsilon-greedy. Each draws from its
//! own generator seeded by [`super::RunContext::seed`].

use super::registry::{side_suffix, Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{argmax_by, for_each_observed, ArmStats, RewardRange};
use super::{Param, Policy, RunContext, SideInformation};
use crate::reward::{Action, Feedback};
use crate::seed::derive_seed;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Gaussian Thompson sampling (Agrawal & Goyal 2013): each step draws `N(mean_k, sigma^2 /
/// (n_k + 1))` for every arm and plays the largest draw; unplayed arms come first.
#[derive(Debug, Clone)]
pub struct Thompson {
    stats: ArmStats,
    side: SideInformation,
    sigma: f64,
    rng: ChaCha8Rng,
    /// The run's seed, from which each step's propensity draws are seeded.
    seed: u64,
}

/// Draws per propensity estimate of Thompson sampling: the estimate `(wins + 1) / (M + 1)` is
/// within about `1.6 / sqrt(M)` (`1 / (2 sqrt(M))` at worst) of the probability.
const THOMPSON_PROPENSITY_DRAWS: u32 = 255;

/// Tells Thompson sampling's propensity draws from its decision draws.
const PROPENSITY_STREAM: u64 = 0x5052_4f50_454e;

impl Thompson {
    /// `sigma` scales the posterior spread (the width of the reward range plays the role of the
    /// unit variance of rewards in [0, 1]).
    pub fn new(arms: usize, sigma: f64, seed: u64, side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            sigma,
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
        }
    }
}

/// The arm one posterior draw from `rng` plays once every arm has been played: the largest of
/// `N(mean_k, sigma^2 / (n_k + 1))`.
fn posterior_draw(stats: &ArmStats, sigma: f64, rng: &mut ChaCha8Rng) -> usize {
    argmax_by(stats.arms(), |k| {
        let z: f64 = rng.sample(StandardNormal);
        stats.mean(k) + sigma * z / ((stats.count(k) + 1) as f64).sqrt()
    })
}

impl Policy for Thompson {
    fn choose(&mut self, _t: usize) -> Action {
        let arm = self
            .stats
            .first_unplayed()
            .unwrap_or_else(|| posterior_draw(&self.stats, self.sigma, &mut self.rng));
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, self.side, &mut |k, r| self.stats.record(k, r));
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }

    /// The probability that a posterior draw plays `action` has no closed form: it is estimated
    /// by Monte Carlo, `(wins + 1) / (M + 1)` over `M` fresh draws from a generator seeded by
    /// the run's seed and `t` alone (the decision's own draw, which played the arm, counts as
    /// the `+ 1`), so the estimate is reproducible and never 0, and the decisions' generator is
    /// left untouched. An unplayed arm is played for sure.
    fn propensity(&self, t: usize, action: Action) -> f64 {
        let Action::Split(arm) = action else {
            return 0.0;
        };
        if let Some(first) = self.stats.first_unplayed() {
            return f64::from(u8::from(first == arm));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(self.seed, t, PROPENSITY_STREAM));
        let wins = (0..THOMPSON_PROPENSITY_DRAWS)
            .filter(|_| posterior_draw(&self.stats, self.sigma, &mut rng) == arm)
            .count();
        (wins + 1) as f64 / f64::from(THOMPSON_PROPENSITY_DRAWS + 1)
    }
}

/// How often epsilon-greedy explores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Exploration {
    /// A fixed probability in [0, 1] (`eps-greedy:E`).
    Fixed(Param),
    /// `min(1, c K / t)` at 1-based step `t`, with `c > 0` (`eps-greedy:decay[:C]`).
    Decaying(Param),
}

/// Epsilon-greedy: after one play of every arm, explores a uniformly random arm with
/// probability epsilon, else plays the arm with the highest mean (lowest on ties).
#[derive(Debug, Clone)]
pub struct EpsilonGreedy {
    stats: ArmStats,
    side: SideInformation,
    exploration: Exploration,
    rng: ChaCha8Rng,
}

impl EpsilonGreedy {
    pub fn new(arms: usize, exploration: Exploration, seed: u64, side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms),
            side,
            exploration,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Epsilon at 0-based step `t`.
    fn epsilon(&self, t: usize) -> f64 {
        match self.exploration {
            Exploration::Fixed(e) => e.get(),
            Exploration::Decaying(c) => {
                (c.get() * self.stats.arms() as f64 / (t + 1) as f64).min(1.0)
            }
        }
    }
}

impl Policy for EpsilonGreedy {
    fn choose(&mut self, t: usize) -> Action {
        if let Some(arm) = self.stats.first_unplayed() {
            return Action::Split(arm);
        }
        let epsilon = self.epsilon(t);
        let arm = if epsilon > 0.0 && self.rng.random::<f64>() < epsilon {
            self.rng.random_range(0..self.stats.arms())
        } else {
            self.stats.greedy()
        };
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        for_each_observed(feedback, self.side, &mut |k, r| self.stats.record(k, r));
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }

    /// `epsilon / K`, plus `1 - epsilon` for the greedy arm; an unplayed arm is played for sure.
    fn propensity(&self, t: usize, action: Action) -> f64 {
        let Action::Split(arm) = action else {
            return 0.0;
        };
        if let Some(first) = self.stats.first_unplayed() {
            return f64::from(u8::from(first == arm));
        }
        let epsilon = self.epsilon(t);
        let greedy = if arm == self.stats.greedy() {
            1.0 - epsilon
        } else {
            0.0
        };
        epsilon / self.stats.arms() as f64 + greedy
    }
}

/// What the randomised index policies learn: their statistics and the state of their generator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampledLearned {
    stats: ArmStats,
    rng: ChaCha8Rng,
}

impl Learns for Thompson {
    type Learned = SampledLearned;

    fn learned(&self) -> SampledLearned {
        SampledLearned {
            stats: self.stats.clone(),
            rng: self.rng.clone(),
        }
    }

    fn restored(&self, learned: SampledLearned, steps: u64) -> Result<Self, String> {
        let stats = learned.stats.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            rng: learned.rng,
            ..self.clone()
        })
    }
}

impl Learns for EpsilonGreedy {
    type Learned = SampledLearned;

    fn learned(&self) -> SampledLearned {
        SampledLearned {
            stats: self.stats.clone(),
            rng: self.rng.clone(),
        }
    }

    fn restored(&self, learned: SampledLearned, steps: u64) -> Result<Self, String> {
        let stats = learned.stats.restored(&self.stats, steps)?;
        Ok(Self {
            stats,
            rng: learned.rng,
            ..self.clone()
        })
    }
}

/// The parameters of `thompson[:S][+s]`: the posterior scale, by default the width of the run's
/// reward range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThompsonParams {
    pub sigma: Option<Param>,
    pub side: SideInformation,
}

const THOMPSON_S: Rule = Rule {
    what: "the posterior scale S (sigma)",
    form: "thompson:S",
    must: "a number > 0",
    ok: |v| v > 0.0,
};

/// `thompson[:S][+s]`.
impl PolicyFamily for Thompson {
    type Params = ThompsonParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "thompson",
        help: "thompson[:S]",
        side: Side::Optional,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<ThompsonParams, String> {
        let sigma = name.optional(&THOMPSON_S)?;
        Ok(ThompsonParams {
            sigma,
            side: name.side,
        })
    }

    fn write(p: &ThompsonParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = side_suffix(p.side);
        match p.sigma {
            None => write!(f, "thompson{side}"),
            Some(s) => write!(f, "thompson:{s}{side}"),
        }
    }

    fn build(p: &ThompsonParams, ctx: &RunContext) -> Self {
        let width = RewardRange::new(ctx.reward_bounds).width();
        let sigma = p.sigma.map_or(width, Param::get);
        Self::new(ctx.arms, sigma, ctx.seed, p.side)
    }

    fn side(p: &ThompsonParams) -> SideInformation {
        p.side
    }

    /// Only for the default posterior scale.
    fn uses_reward_bounds(p: &ThompsonParams) -> bool {
        p.sigma.is_none()
    }
}

/// The parameters of `eps-greedy:E[+s]` and `eps-greedy:decay[:C][+s]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EpsilonGreedyParams {
    pub epsilon: Exploration,
    pub side: SideInformation,
}

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

/// `eps-greedy:E[+s]`, `eps-greedy:decay[:C][+s]`.
impl PolicyFamily for EpsilonGreedy {
    type Params = EpsilonGreedyParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "eps-greedy",
        help: "eps-greedy:E, eps-greedy:decay[:C]",
        side: Side::Optional,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<EpsilonGreedyParams, String> {
        let epsilon = match name.param {
            Some("decay") => Exploration::Decaying(Param::ONE),
            Some(raw) => match raw.strip_prefix("decay:") {
                Some(c) => Exploration::Decaying(name.real(c, &EPSILON_DECAY_C)?),
                None => Exploration::Fixed(name.real(raw, &EPSILON)?),
            },
            None => Exploration::Fixed(name.required(&EPSILON)?),
        };
        Ok(EpsilonGreedyParams {
            epsilon,
            side: name.side,
        })
    }

    fn write(p: &EpsilonGreedyParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = side_suffix(p.side);
        match p.epsilon {
            Exploration::Fixed(e) => write!(f, "eps-greedy:{e}{side}"),
            Exploration::Decaying(c) if c.get() == 1.0 => write!(f, "eps-greedy:decay{side}"),
            Exploration::Decaying(c) => write!(f, "eps-greedy:decay:{c}{side}"),
        }
    }

    fn build(p: &EpsilonGreedyParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, p.epsilon, ctx.seed, p.side)
    }

    fn side(p: &EpsilonGreedyParams) -> SideInformation {
        p.side
    }
}
