//! Adversarial bandits: EXP3 (Auer et al. 2002) and EXP3-IX (Kocák et al. 2014, Neu 2015).
//! Both keep exponential weights over importance-weighted estimates built from the played arm's
//! reward only (rescaled to [0, 1]); they take no side observations.

use super::registry::{Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{check_finite, check_len, RewardRange};
use super::{Param, Policy, RunContext};
use crate::params::UNIT_INTERVAL;
use crate::reward::{Action, Feedback};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Exponential weights kept as logarithms, and the sampling distribution derived from them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpWeights {
    log_weights: Vec<f64>,
    probs: Vec<f64>,
}

impl ExpWeights {
    fn new(arms: usize) -> Self {
        Self {
            log_weights: vec![0.0; arms],
            probs: vec![1.0 / arms as f64; arms],
        }
    }

    /// Sets `probs` to `(1 - mix) w_k / sum(w) + mix / K`. The largest log-weight is subtracted
    /// first (and kept subtracted, so the log-weights stay at most 0 and never lose precision
    /// to a growing offset).
    #[inline]
    fn refresh(&mut self, mix: f64) {
        let top = self
            .log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for (lw, p) in self.log_weights.iter_mut().zip(&mut self.probs) {
            *lw -= top;
            *p = lw.exp();
            total += *p;
        }
        let uniform = mix / self.probs.len() as f64;
        let scale = (1.0 - mix) / total;
        for p in &mut self.probs {
            *p = *p * scale + uniform;
        }
    }

    /// The probability the last draw gave `action` (an arm; nothing else is ever drawn).
    fn probability(&self, action: Action) -> f64 {
        match action {
            Action::Split(arm) => self.probs.get(arm).copied().unwrap_or(0.0),
            Action::DeviceOnly => 0.0,
        }
    }

    /// An arm drawn from `probs`.
    #[inline]
    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let u = rng.random::<f64>();
        let mut cumulative = 0.0;
        let mut last_possible = 0;
        for (k, &p) in self.probs.iter().enumerate() {
            cumulative += p;
            if p > 0.0 {
                if u < cumulative {
                    return k;
                }
                last_possible = k;
            }
        }
        // `u` beyond the rounded total.
        last_possible
    }
}

/// EXP3 with exploration rate `gamma` in (0, 1]: plays from `(1 - gamma) w / sum(w) +
/// gamma / K` and adds `gamma x / (p K)` to the played arm's log-weight, `x` its reward in
/// [0, 1].
#[derive(Debug, Clone)]
pub struct Exp3 {
    gamma: f64,
    weights: ExpWeights,
    range: RewardRange,
    rng: ChaCha8Rng,
}

impl Exp3 {
    pub fn new(arms: usize, gamma: f64, reward_bounds: (f64, f64), seed: u64) -> Self {
        Self {
            gamma,
            weights: ExpWeights::new(arms),
            range: RewardRange::new(reward_bounds),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The distribution of the last [`Policy::choose`].
    #[cfg(test)]
    pub(crate) fn probabilities(&self) -> &[f64] {
        &self.weights.probs
    }
}

impl Policy for Exp3 {
    fn choose(&mut self, _t: usize) -> Action {
        self.weights.refresh(self.gamma);
        Action::Split(self.weights.sample(&mut self.rng))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let arm = feedback.arm();
        let x = self.range.unit(feedback.reward());
        let arms = self.weights.probs.len() as f64;
        self.weights.log_weights[arm] += self.gamma * x / (self.weights.probs[arm] * arms);
    }

    fn propensity(&self, _t: usize, action: Action) -> f64 {
        self.weights.probability(action)
    }
}

/// EXP3-IX with learning rate `eta > 0` and implicit exploration `gamma = eta / 2`: plays from
/// `w / sum(w)` and subtracts `eta l / (p + gamma)` from the played arm's log-weight, `l = 1 - x`
/// its loss in [0, 1].
#[derive(Debug, Clone)]
pub struct Exp3Ix {
    eta: f64,
    weights: ExpWeights,
    range: RewardRange,
    rng: ChaCha8Rng,
}

impl Exp3Ix {
    pub fn new(arms: usize, eta: f64, reward_bounds: (f64, f64), seed: u64) -> Self {
        Self {
            eta,
            weights: ExpWeights::new(arms),
            range: RewardRange::new(reward_bounds),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The distribution of the last [`Policy::choose`].
    #[cfg(test)]
    pub(crate) fn probabilities(&self) -> &[f64] {
        &self.weights.probs
    }
}

impl Policy for Exp3Ix {
    fn choose(&mut self, _t: usize) -> Action {
        self.weights.refresh(0.0);
        Action::Split(self.weights.sample(&mut self.rng))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let arm = feedback.arm();
        let loss = 1.0 - self.range.unit(feedback.reward());
        let gamma = 0.5 * self.eta;
        self.weights.log_weights[arm] -= self.eta * loss / (self.weights.probs[arm] + gamma);
    }

    fn propensity(&self, _t: usize, action: Action) -> f64 {
        self.weights.probability(action)
    }
}

impl ExpWeights {
    /// Checks weights read back from a saved state: one finite log-weight and one probability
    /// in [0, 1] per arm.
    fn check(&self, fresh: &Self) -> Result<(), String> {
        let arms = fresh.probs.len();
        check_len("log_weights", self.log_weights.len(), arms)?;
        check_len("probs", self.probs.len(), arms)?;
        check_finite("log_weights", &self.log_weights)?;
        match self.probs.iter().position(|p| !(0.0..=1.0).contains(p)) {
            Some(k) => Err(format!(
                "probs[{k}] is {}, not a probability",
                self.probs[k]
            )),
            None => Ok(()),
        }
    }
}

/// What the EXP3 policies learn: their weights and the state of their generator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WeightsLearned {
    weights: ExpWeights,
    rng: ChaCha8Rng,
}

impl Learns for Exp3 {
    type Learned = WeightsLearned;

    fn learned(&self) -> WeightsLearned {
        WeightsLearned {
            weights: self.weights.clone(),
            rng: self.rng.clone(),
        }
    }

    fn restored(&self, learned: WeightsLearned, _steps: u64) -> Result<Self, String> {
        learned.weights.check(&self.weights)?;
        Ok(Self {
            weights: learned.weights,
            rng: learned.rng,
            ..self.clone()
        })
    }
}

impl Learns for Exp3Ix {
    type Learned = WeightsLearned;

    fn learned(&self) -> WeightsLearned {
        WeightsLearned {
            weights: self.weights.clone(),
            rng: self.rng.clone(),
        }
    }

    fn restored(&self, learned: WeightsLearned, _steps: u64) -> Result<Self, String> {
        learned.weights.check(&self.weights)?;
        Ok(Self {
            weights: learned.weights,
            rng: learned.rng,
            ..self.clone()
        })
    }
}

const EXP3_GAMMA: Rule = Rule {
    what: "the exploration rate G (gamma)",
    form: "exp3:G",
    must: UNIT_INTERVAL.must,
    ok: UNIT_INTERVAL.ok,
};

/// `exp3:G`: the exploration rate gamma.
impl PolicyFamily for Exp3 {
    type Params = Param;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "exp3",
        help: "exp3:G",
        side: Side::Never,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<Param, String> {
        name.bandit_only()?;
        name.required(&EXP3_GAMMA)
    }

    fn write(gamma: &Param, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exp3:{gamma}")
    }

    fn build(gamma: &Param, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, gamma.get(), ctx.reward_bounds, ctx.seed)
    }
}

const EXP3_IX_ETA: Rule = Rule {
    what: "the learning rate ETA (eta)",
    form: "exp3-ix:ETA",
    must: "a number > 0",
    ok: |v| v > 0.0,
};

/// `exp3-ix:ETA`: the learning rate eta.
impl PolicyFamily for Exp3Ix {
    type Params = Param;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "exp3-ix",
        help: "exp3-ix:ETA",
        side: Side::Never,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<Param, String> {
        name.bandit_only()?;
        name.required(&EXP3_IX_ETA)
    }

    fn write(eta: &Param, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exp3-ix:{eta}")
    }

    fn build(eta: &Param, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, eta.get(), ctx.reward_bounds, ctx.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::Bench;
    use crate::reward::Observation;
    use proptest::prelude::*;

    fn check_distribution(p: &[f64]) -> Result<(), TestCaseError> {
        let total: f64 = p.iter().sum();
        prop_assert!(
            (total - 1.0).abs() <= 1e-9,
            "probabilities sum to {}",
            total
        );
        prop_assert!(p.iter().all(|&x| (0.0..=1.0).contains(&x)), "{:?}", p);
        Ok(())
    }

    /// A random stream: per step the sample's confidences and, sometimes, an arm forced on the
    /// policy instead of its own choice.
    fn stream() -> impl Strategy<Value = Vec<(Vec<f64>, Option<usize>)>> {
        proptest::collection::vec(
            (
                proptest::collection::vec(0.0f64..=1.0, 6),
                proptest::option::of(0usize..6),
            ),
            1..400,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// At every step both policies sample from a probability distribution, including with
        /// extreme rates that drive some weights far below the others.
        #[test]
        fn probabilities_are_a_distribution_at_every_step(
            steps in stream(),
            gamma in prop_oneof![Just(1.0), Just(1e-9), 1e-6f64..=1.0],
            eta in prop_oneof![Just(1e3), Just(1e-9), 1e-6f64..10.0],
            seed in any::<u64>(),
        ) {
            let mut bench = Bench::new(6);
            let mut exp3 = Exp3::new(6, gamma, bench.bounds(), seed);
            let mut ix = Exp3Ix::new(6, eta, bench.bounds(), seed);
            for (t, (conf, arm)) in steps.iter().enumerate() {
                bench.step(&mut exp3, t, conf, *arm, Observation::Strict);
                check_distribution(exp3.probabilities())?;
                prop_assert!(exp3.probabilities().iter().all(|&p| p >= gamma / 6.0 * (1.0 - 1e-12)));
                bench.step(&mut ix, t, conf, *arm, Observation::Strict);
                check_distribution(ix.probabilities())?;
            }
        }
    }

    #[test]
    fn sampling_follows_the_probabilities() {
        let mut weights = ExpWeights::new(3);
        weights
            .log_weights
            .copy_from_slice(&[0.0, f64::NEG_INFINITY, 2f64.ln()]);
        weights.refresh(0.0);
        assert_eq!(weights.probs[1], 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[weights.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = counts[2] as f64 / 30_000.0;
        assert!((share - 2.0 / 3.0).abs() < 0.02, "{share}");
    }
}
