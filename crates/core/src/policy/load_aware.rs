//! Load-aware learners: policies whose choice depends on the device's queue when it decides
//! ([`Load`], told by the queue simulator, [`crate::queue`]), after the buffer-aware early-exit
//! learners (a UCB per queue length, and a threshold `alpha = theta_1 q + theta_2` learned over
//! a grid of `theta`).
//!
//! **The reward they learn.** In the queue model an offloaded sample holds the device while its
//! activations are sent, so the `q` samples waiting behind it wait longer, and while the buffer
//! is full every arrival in that time is lost. An arm's reward at load `(q, full)` is therefore
//! its label-free reward less a price for offloading:
//! `r_q(a) = r(a) - [a offloads] * (W * q + L * [full])`, with the waiting weight `W` (per
//! queued sample) and the loss weight `L`. With no queue (`q = 0`, not full: every learner
//! outside the simulator) it is `r(a)`.
//!
//! **Counterfactual sharing.** One sample's confidences determine `r(a)` and whether `a`
//! offloads, hence `r_q(a)` at every queue length `q` at once: each queue length's learner is
//! updated from every sample, whatever length the sample was decided at.
//!
//! Loads are observed at decision time; under unbiased observation the price is applied to the
//! estimates as to observed rewards.

use super::registry::{side_suffix, Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{argmax_by, check_counts, check_finite, check_len, for_each_observed, ArmStats};
use super::{Load, Param, Policy, RunContext, SideInformation};
use crate::params::NON_NEGATIVE;
use crate::reward::{Action, Feedback};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The price of offloading under load: `W * q + L * [full]` (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoadPrice {
    /// `W`: per sample waiting behind the offloaded one.
    pub wait: Param,
    /// `L`: when the buffer is full.
    pub loss: Param,
}

impl LoadPrice {
    /// What `queue-ucb` and `theta-ucb` charge when no weight is named.
    pub const DEFAULT: Self = Self {
        wait: Param::from_const(0.01),
        loss: Param::from_const(0.1),
    };

    /// The price of one offload at `load`.
    pub fn at(&self, load: Load) -> f64 {
        self.wait.get() * load.queue as f64 + if load.full { self.loss.get() } else { 0.0 }
    }

    /// The weights of `name`; `forms` are how help writes them (`queue-ucb:W`, `queue-ucb:W:L`).
    fn parse(name: &Name<'_>, forms: [&'static str; 2]) -> Result<Self, String> {
        let (wait, loss) = name.split_trailing();
        let rule = |what, form| Rule {
            what,
            form,
            must: NON_NEGATIVE.must,
            ok: NON_NEGATIVE.ok,
        };
        let wait_rule = rule("the waiting weight W", forms[0]);
        let loss_rule = rule("the loss weight L", forms[1]);
        Ok(Self {
            wait: wait.optional(&wait_rule)?.unwrap_or(Self::DEFAULT.wait),
            loss: match loss {
                Some(loss) => loss.required(&loss_rule)?,
                None => Self::DEFAULT.loss,
            },
        })
    }

    /// `NAME[:W[:L]][+s]`, leaving out trailing defaults.
    fn write(
        &self,
        family: &str,
        side: SideInformation,
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        let side = side_suffix(side);
        if self.loss != Self::DEFAULT.loss {
            write!(f, "{family}:{}:{}{side}", self.wait, self.loss)
        } else if self.wait != Self::DEFAULT.wait {
            write!(f, "{family}:{}{side}", self.wait)
        } else {
            write!(f, "{family}{side}")
        }
    }
}

/// The parameters of `queue-ucb` and `theta-ucb`: the load price and side observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoadAwareParams {
    pub price: LoadPrice,
    pub side: SideInformation,
}

/// UCB1 per queue length with counterfactual sharing (see the module documentation).
///
/// Every queue length's learner sees every sample, so all share the counts `n_a`, and their
/// reward sums differ only by the price: `S_q(a) = S(a) - price(q) * O(a)`, with `O(a)` the
/// number of `a`'s recorded rewards that offloaded. The policy keeps `S`, `n` and `O`, which hold
/// every queue length's learner exactly (however long the queue grows), and plays the UCB1 index
/// of the current length's: `S_q(a)/n_a + c sqrt(ln(t+1)/n_a)`, unplayed arms first, ties to the
/// lowest arm.
#[derive(Debug, Clone)]
pub struct QueueUcb {
    learned: QueueLearned,
    c: f64,
    price: LoadPrice,
    side: SideInformation,
    load: Load,
}

/// What [`QueueUcb`] learns: per arm the reward sum, the count and the offloads among them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueLearned {
    sums: Vec<f64>,
    counts: Vec<u64>,
    offloads: Vec<u64>,
}

impl QueueUcb {
    pub fn new(arms: usize, c: f64, price: LoadPrice, side: SideInformation) -> Self {
        Self {
            learned: QueueLearned {
                sums: vec![0.0; arms],
                counts: vec![0; arms],
                offloads: vec![0; arms],
            },
            c,
            price,
            side,
            load: Load::IDLE,
        }
    }
}

impl Policy for QueueUcb {
    fn choose(&mut self, t: usize) -> Action {
        let QueueLearned {
            sums,
            counts,
            offloads,
        } = &self.learned;
        let arm = counts.iter().position(|&n| n == 0).unwrap_or_else(|| {
            let (price, width) = (self.price.at(self.load), ((t + 1) as f64).ln().sqrt());
            argmax_by(counts.len(), |a| {
                let n = counts[a] as f64;
                (sums[a] - price * offloads[a] as f64) / n + self.c * width / n.sqrt()
            })
        });
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let learned = &mut self.learned;
        for_each_observed(feedback, self.side, &mut |a, r| {
            learned.sums[a] += r;
            learned.counts[a] += 1;
            learned.offloads[a] += u64::from(feedback.offloads(a));
        });
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some((&self.learned.sums, &self.learned.counts))
    }

    fn sense_load(&mut self, load: Load) {
        self.load = load;
    }
}

impl Learns for QueueUcb {
    type Learned = QueueLearned;

    fn learned(&self) -> QueueLearned {
        self.learned.clone()
    }

    fn restored(&self, learned: QueueLearned, steps: u64) -> Result<Self, String> {
        let arms = self.learned.counts.len();
        check_len("sums", learned.sums.len(), arms)?;
        check_len("counts", learned.counts.len(), arms)?;
        check_len("offloads", learned.offloads.len(), arms)?;
        check_finite("sums", &learned.sums)?;
        check_counts("counts", &learned.counts, steps)?;
        if let Some(a) = (0..arms).find(|&a| learned.offloads[a] > learned.counts[a]) {
            return Err(format!(
                "offloads[{a}] is {} but arm {a} has only {} rewards",
                learned.offloads[a], learned.counts[a]
            ));
        }
        Ok(Self {
            learned,
            ..self.clone()
        })
    }
}

/// `queue-ucb[:W[:L]][+s]`.
impl PolicyFamily for QueueUcb {
    type Params = LoadAwareParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "queue-ucb",
        help: "queue-ucb[:W[:L]]",
        side: Side::Optional,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<LoadAwareParams, String> {
        Ok(LoadAwareParams {
            price: LoadPrice::parse(name, ["queue-ucb:W", "queue-ucb:W:L"])?,
            side: name.side,
        })
    }

    fn write(p: &LoadAwareParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        p.price.write(Self::ENTRY.name, p.side, f)
    }

    fn build(p: &LoadAwareParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, ctx.ucb_c, p.price, p.side)
    }

    fn side(p: &LoadAwareParams) -> SideInformation {
        p.side
    }
}

/// The slopes `theta_1` of [`ThetaUcb`]'s rules, in arms per waiting sample.
const THETA_SLOPES: [f64; 7] = [-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5];

/// UCB1 over parametrised rules: rule `(theta_1, theta_2)` plays arm
/// `round(theta_2 + theta_1 q)` (clamped to the arms) at queue length `q`, for every intercept
/// `theta_2` (an arm) and slope `theta_1` in `THETA_SLOPES` (-0.5 to 0.5). Over a threshold
/// grid at one split (`threshold:K:theta-ucb`), whose arms rise with the threshold, it is
/// `alpha = theta_1 q + theta_2` in steps of the grid; over the splits, a split that moves with
/// the queue.
///
/// Counterfactual sharing: a decision at queue length `q` updates every rule whose arm at `q`
/// had its reward revealed, with the load-priced reward `r_q` of that arm. Unplayed rules come
/// first; ties go to the lowest rule (slope-major, intercepts ascending).
#[derive(Debug, Clone)]
pub struct ThetaUcb {
    stats: ArmStats,
    arms: usize,
    c: f64,
    price: LoadPrice,
    side: SideInformation,
    load: Load,
    /// Scratch: the load-priced reward revealed for each arm on the current sample.
    revealed: Vec<Option<f64>>,
}

impl ThetaUcb {
    pub fn new(arms: usize, c: f64, price: LoadPrice, side: SideInformation) -> Self {
        Self {
            stats: ArmStats::new(arms * THETA_SLOPES.len()),
            arms,
            c,
            price,
            side,
            load: Load::IDLE,
            revealed: vec![None; arms],
        }
    }

    /// The arm rule `rule` plays at queue length `queue`.
    fn arm_of(&self, rule: usize, queue: usize) -> usize {
        let (slope, intercept) = (THETA_SLOPES[rule / self.arms], rule % self.arms);
        let arm = (intercept as f64 + slope * queue as f64).round();
        arm.clamp(0.0, (self.arms - 1) as f64) as usize
    }
}

impl Policy for ThetaUcb {
    fn choose(&mut self, t: usize) -> Action {
        let s = &self.stats;
        let rule = s.first_unplayed().unwrap_or_else(|| {
            let width = ((t + 1) as f64).ln().sqrt();
            argmax_by(s.arms(), |k| {
                s.mean(k) + self.c * width / (s.count(k) as f64).sqrt()
            })
        });
        Action::Split(self.arm_of(rule, self.load.queue))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let price = self.price.at(self.load);
        let revealed = &mut self.revealed;
        revealed.fill(None);
        for_each_observed(feedback, self.side, &mut |a, r| {
            revealed[a] = Some(r - if feedback.offloads(a) { price } else { 0.0 });
        });
        for rule in 0..self.stats.arms() {
            if let Some(r) = self.revealed[self.arm_of(rule, self.load.queue)] {
                self.stats.record(rule, r);
            }
        }
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.stats.sums())
    }

    fn sense_load(&mut self, load: Load) {
        self.load = load;
    }
}

impl Learns for ThetaUcb {
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

/// `theta-ucb[:W[:L]][+s]`.
impl PolicyFamily for ThetaUcb {
    type Params = LoadAwareParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "theta-ucb",
        help: "theta-ucb[:W[:L]]",
        side: Side::Optional,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<LoadAwareParams, String> {
        Ok(LoadAwareParams {
            price: LoadPrice::parse(name, ["theta-ucb:W", "theta-ucb:W:L"])?,
            side: name.side,
        })
    }

    fn write(p: &LoadAwareParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        p.price.write(Self::ENTRY.name, p.side, f)
    }

    fn build(p: &LoadAwareParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, ctx.ucb_c, p.price, p.side)
    }

    fn side(p: &LoadAwareParams) -> SideInformation {
        p.side
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::Bench;
    use crate::policy::PolicySpec;
    use crate::reward::Observation;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn names_round_trip_and_weights_are_checked() {
        for name in [
            "queue-ucb",
            "queue-ucb:0.05",
            "queue-ucb:0.05:2+s",
            "queue-ucb:0.01:0.5",
            "theta-ucb+s",
            "threshold:1:theta-ucb:0:1+s",
        ] {
            let spec: PolicySpec = name.parse().unwrap();
            assert_eq!(spec.to_string(), name);
        }
        for (name, canonical) in [
            ("queue-ucb:0.01", "queue-ucb"),
            ("theta-ucb:0.01:0.1", "theta-ucb"),
        ] {
            assert_eq!(name.parse::<PolicySpec>().unwrap().to_string(), canonical);
        }
        let err = |name: &str| name.parse::<PolicySpec>().unwrap_err();
        assert_eq!(
            err("queue-ucb:-1"),
            "`queue-ucb:-1`: the waiting weight W in queue-ucb:W must be finite, >= 0 and at \
             most 1e100, got `-1`"
        );
        assert_eq!(
            err("theta-ucb:0.1:x"),
            "`theta-ucb:0.1:x`: the loss weight L in theta-ucb:W:L must be finite, >= 0 and at \
             most 1e100, got `x`"
        );
    }

    #[test]
    fn the_price_counts_waiting_samples_and_a_full_buffer() {
        let price = LoadPrice {
            wait: Param::new(0.02).unwrap(),
            loss: Param::new(0.5).unwrap(),
        };
        assert_eq!(price.at(Load::IDLE), 0.0);
        assert!(
            (price.at(Load {
                queue: 3,
                full: false
            }) - 0.06)
                .abs()
                < 1e-15
        );
        assert!(
            (price.at(Load {
                queue: 3,
                full: true
            }) - 0.56)
                .abs()
                < 1e-15
        );
    }

    /// A random stream through `queue-ucb+s` at random loads: at every step its choice is that
    /// of the UCB1 of the current queue length, where that length's learner was fed every
    /// sample's load-priced rewards (counterfactual sharing), kept here for lengths 0..8 with
    /// and without a full buffer.
    #[test]
    fn queue_ucb_is_one_ucb_per_queue_length_fed_every_sample() {
        const EXITS: usize = 4;
        let mut bench = Bench::new(EXITS);
        let spec: PolicySpec = "queue-ucb:0.03:0.2+s".parse().unwrap();
        let mut policy = spec.build(&bench.context(1));
        let price = |load: Load| 0.03 * load.queue as f64 + if load.full { 0.2 } else { 0.0 };
        let loads: Vec<Load> = (0..8)
            .flat_map(|queue| [false, true].map(|full| Load { queue, full }))
            .collect();
        let mut sums = vec![[0.0; EXITS]; loads.len()];
        let mut counts = [0u64; EXITS];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut choices_differ = false;
        for t in 0..400 {
            let load = loads[rng.random_range(0..loads.len())];
            policy.sense_load(load);
            let expected = match counts.iter().position(|&n| n == 0) {
                Some(a) => a,
                None => {
                    let l = loads.iter().position(|&l| l == load).unwrap();
                    let index = |a: usize| {
                        let n = counts[a] as f64;
                        sums[l][a] / n + (((t + 1) as f64).ln() / n).sqrt()
                    };
                    crate::numeric::argmax_by(EXITS, index)
                }
            };
            let conf: Vec<f64> = (0..EXITS).map(|_| rng.random::<f64>()).collect();
            let (outcome, seen) = bench.step(&mut policy, t, &conf, None, Observation::Strict);
            assert_eq!(outcome.arm, expected, "step {t}");
            for (a, r) in seen {
                let offloads = a < EXITS - 1 && conf[a] < 0.7;
                for (l, &at) in loads.iter().enumerate() {
                    sums[l][a] += r - if offloads { price(at) } else { 0.0 };
                }
                counts[a] += 1;
            }
            choices_differ |= (0..loads.len()).any(|l| {
                counts.iter().all(|&n| n > 0)
                    && crate::numeric::argmax_by(EXITS, |a| sums[l][a] / counts[a] as f64)
                        != crate::numeric::argmax_by(EXITS, |a| sums[0][a] / counts[a] as f64)
            });
        }
        assert!(choices_differ, "the load never changed the greedy arm");
    }

    #[test]
    fn theta_rules_move_the_arm_with_the_queue() {
        let policy = ThetaUcb::new(10, 1.0, LoadPrice::DEFAULT, SideInformation::None);
        let rule = |slope: f64, intercept: usize| {
            THETA_SLOPES.iter().position(|&s| s == slope).unwrap() * 10 + intercept
        };
        assert_eq!(policy.arm_of(rule(-0.5, 6), 0), 6);
        assert_eq!(policy.arm_of(rule(-0.5, 6), 4), 4);
        assert_eq!(policy.arm_of(rule(-0.5, 6), 40), 0);
        assert_eq!(policy.arm_of(rule(0.25, 6), 6), 8); // 7.5 rounds away from zero
        assert_eq!(policy.arm_of(rule(0.5, 6), 40), 9);
    }

    /// A decision updates every rule whose arm at the decision's queue length was revealed,
    /// with that arm's load-priced reward.
    #[test]
    fn theta_ucb_shares_a_sample_with_every_rule_it_determines() {
        const EXITS: usize = 3;
        let mut bench = Bench::new(EXITS);
        let mut policy = ThetaUcb::new(EXITS, 1.0, LoadPrice::DEFAULT, SideInformation::Shallower);
        let load = Load {
            queue: 4,
            full: true,
        };
        policy.sense_load(load);
        // Arm 2 (the final exit) played: arms 0 and 1 offload (0.5 < 0.7) and are seen too.
        let conf = [0.5, 0.6, 0.9];
        let (_, seen) = bench.step(&mut policy, 0, &conf, Some(2), Observation::Strict);
        assert_eq!(seen.len(), 3);
        let price = LoadPrice::DEFAULT.at(load);
        let (sums, counts) = policy.stats.sums();
        for rule in 0..policy.stats.arms() {
            let arm = policy.arm_of(rule, 4);
            let reward = seen[arm].1 - if arm < 2 { price } else { 0.0 };
            assert_eq!(counts[rule], 1, "rule {rule}");
            assert!((sums[rule] - reward).abs() < 1e-15, "rule {rule}");
        }
    }
}
