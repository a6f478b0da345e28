//! Accuracy-constrained learning, as Apparate (SOSP 2024) frames it: save as much cost as
//! possible while the answers agree with the final exit's on at least `1 - eps` of the samples.
//! Agreement is measured without labels, on the samples whose final prediction is known (the
//! device offloaded, ran to the final exit, or probed).
//!
//! The rule is a UCB restricted by the constraint: an arm is *feasible* when the KL upper
//! confidence bound of its disagreement rate (Bernoulli, at budget `ln(t + 1)` over its
//! effective sample size) is at most `eps`. The arm set's last arm is the final exit in every arm
//! set that has it (split arms, joint arms, threshold vectors; the highest threshold at one split
//! otherwise): it agrees with itself, so it is always a candidate, whatever its estimate (probes
//! weigh `1 / p`, which can leave its effective sample small). Among the candidates the one with
//! the lowest estimated cost is played (ties to the lowest arm), and the last arm while no
//! other is feasible. The final exit computes every exit, so falling back to it reveals every
//! arm's cost and agreement: it is also how the learner explores.
//!
//! Every decision audits every arm ([`Feedback::audit`]): its cost and its disagreement with the
//! final exit, with the weight `1 / q` of the chance `q` that the sample revealed them. The
//! estimates are weighted means (self-normalised inverse propensity: unbiased in the limit under
//! unbiased observation, where samples that exit are probed with probability `p`), and a
//! weighted mean's sample size is Kish's effective one, `(sum w)^2 / sum w^2`. A cost is known
//! as soon as the exits an arm reads were computed, long before its agreement is bounded
//! within `eps`, so costs are taken at their means, without a bonus.

use super::index::kl_upper;
use super::registry::{Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::check_len;
use super::{Param, Policy, RunContext, SideInformation};
use crate::reward::{Action, Feedback};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A weighted mean under construction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Weighted {
    /// `sum w x`.
    pub sum: f64,
    /// `sum w`.
    pub weight: f64,
    /// `sum w^2`.
    pub weight_sq: f64,
}

impl Weighted {
    #[inline]
    fn add(&mut self, (x, w): (f64, f64)) {
        self.sum += w * x;
        self.weight += w;
        self.weight_sq += w * w;
    }

    fn mean(&self) -> f64 {
        self.sum / self.weight
    }

    /// Kish's effective sample size.
    fn effective(&self) -> f64 {
        self.weight * self.weight / self.weight_sq
    }
}

/// What the constrained learner knows of each arm: its cost and its disagreement with the
/// final exit, as weighted means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementStats {
    pub cost: Vec<Weighted>,
    pub disagreement: Vec<Weighted>,
}

/// The agreement-constrained UCB; see the module documentation.
#[derive(Debug, Clone)]
pub struct AgreementUcb {
    stats: AgreementStats,
    eps: f64,
}

impl AgreementUcb {
    pub fn new(arms: usize, eps: f64) -> Self {
        Self {
            stats: AgreementStats {
                cost: vec![Weighted::default(); arms],
                disagreement: vec![Weighted::default(); arms],
            },
            eps,
        }
    }

    /// Whether arm `a`'s disagreement is bounded within `eps` at exploration budget `budget`.
    fn feasible(&self, a: usize, budget: f64) -> bool {
        let d = &self.stats.disagreement[a];
        d.weight > 0.0 && kl_upper(d.mean().clamp(0.0, 1.0), budget / d.effective()) <= self.eps
    }
}

impl Policy for AgreementUcb {
    fn choose(&mut self, t: usize) -> Action {
        let budget = ((t + 1) as f64).ln();
        let arms = self.stats.cost.len();
        let last = arms - 1;
        let cheapest = (0..arms)
            .filter(|&a| self.stats.cost[a].weight > 0.0 && (a == last || self.feasible(a, budget)))
            .min_by(|&a, &b| {
                let (ca, cb) = (self.stats.cost[a].mean(), self.stats.cost[b].mean());
                ca.total_cmp(&cb)
            });
        Action::Split(cheapest.unwrap_or(last))
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let stats = &mut self.stats;
        for (a, (cost, disagreement)) in stats
            .cost
            .iter_mut()
            .zip(&mut stats.disagreement)
            .enumerate()
        {
            let audit = feedback.audit(a);
            if let Some(seen) = audit.cost {
                cost.add(seen);
            }
            if let Some(seen) = audit.disagreement {
                disagreement.add(seen);
            }
        }
    }
}

impl Learns for AgreementUcb {
    type Learned = AgreementStats;

    fn learned(&self) -> AgreementStats {
        self.stats.clone()
    }

    fn restored(&self, learned: AgreementStats, _steps: u64) -> Result<Self, String> {
        let arms = self.stats.cost.len();
        check_len("cost", learned.cost.len(), arms)?;
        check_len("disagreement", learned.disagreement.len(), arms)?;
        for (what, values) in [
            ("cost", &learned.cost),
            ("disagreement", &learned.disagreement),
        ] {
            for (a, w) in values.iter().enumerate() {
                let fields = [w.sum, w.weight, w.weight_sq];
                if !fields.iter().all(|v| v.is_finite() && *v >= 0.0)
                    || (w.weight == 0.0) != (w.weight_sq == 0.0)
                {
                    return Err(format!(
                        "{what}[{a}] must hold finite, non-negative sums, and a weight exactly \
                         when it has a squared weight"
                    ));
                }
            }
        }
        Ok(Self {
            stats: learned,
            ..self.clone()
        })
    }
}

/// The parameter of `agreement-ucb[:eps]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgreementUcbParams {
    /// The share of answers allowed to differ from the final exit's; `None` for
    /// [`DEFAULT_EPS`] (so that both spellings are one policy).
    eps: Option<Param>,
}

impl AgreementUcbParams {
    pub fn eps(&self) -> f64 {
        self.eps.map_or(DEFAULT_EPS, Param::get)
    }
}

/// The default `eps`: agreement with the final exit of at least 98.5%, Apparate's setting.
pub const DEFAULT_EPS: f64 = 0.015;

const EPS: Rule = Rule {
    what: "the allowed disagreement eps",
    form: "agreement-ucb:eps",
    must: "a number in (0, 1)",
    ok: |eps| eps > 0.0 && eps < 1.0,
};

/// `agreement-ucb[:eps]`.
impl PolicyFamily for AgreementUcb {
    type Params = AgreementUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "agreement-ucb",
        help: "agreement-ucb[:eps]",
        side: Side::Always,
        reward_bounds: false,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<AgreementUcbParams, String> {
        // It always learns from every arm's audit: `+s` is not a variant of it.
        if name.side != SideInformation::None {
            return Err(name.unknown());
        }
        let eps = name.optional(&EPS)?.filter(|eps| eps.get() != DEFAULT_EPS);
        Ok(AgreementUcbParams { eps })
    }

    fn write(p: &AgreementUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match p.eps {
            Some(eps) => write!(f, "{}:{eps}", Self::ENTRY.name),
            None => f.write_str(Self::ENTRY.name),
        }
    }

    fn build(p: &AgreementUcbParams, ctx: &RunContext) -> Self {
        Self::new(ctx.arms, p.eps())
    }

    fn agreement_floor(p: &AgreementUcbParams) -> Option<f64> {
        Some(1.0 - p.eps())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` observations of one arm, each with weight 1.
    fn seen(n: usize, value: f64) -> Weighted {
        Weighted {
            sum: n as f64 * value,
            weight: n as f64,
            weight_sq: n as f64,
        }
    }

    #[test]
    fn plays_the_cheapest_arm_whose_agreement_is_bounded_else_the_last() {
        let mut policy = AgreementUcb::new(3, 0.015);
        // Nothing known: the last arm (the final exit).
        assert_eq!(policy.choose(0), Action::Split(2));
        // Arm 0 never disagreed in 600 samples: at t = 600 its bound is about
        // ln(601) / 600 = 0.0107 <= 0.015. Arm 1 is cheaper but disagreed on 5%.
        policy.stats.cost = vec![seen(600, 0.3), seen(600, 0.1), seen(600, 1.2)];
        policy.stats.disagreement = vec![seen(600, 0.0), seen(600, 0.05), seen(600, 0.0)];
        assert_eq!(policy.choose(599), Action::Split(0));
        // The last arm is a candidate whatever its estimate: here the cheapest.
        policy.stats.cost[2] = seen(600, 0.2);
        policy.stats.disagreement[2] = seen(2, 0.0);
        assert_eq!(policy.choose(599), Action::Split(2));
        policy.stats.cost[2] = seen(600, 1.2);
        // At 300 samples no bound is within eps yet (about ln(300) / 300 = 0.019): the last arm.
        policy.stats.disagreement = vec![seen(300, 0.0), seen(300, 0.05), seen(300, 0.0)];
        assert_eq!(policy.choose(299), Action::Split(2));
        assert!(!policy.feasible(0, 300f64.ln()));
        // Weights shrink the effective sample: 600 observations of weight 1 or 20 (Kish:
        // (300 + 6000)^2 / (300 + 120000) = 330) bound less tightly than 600 of weight 1.
        policy.stats.disagreement[0] = Weighted {
            sum: 0.0,
            weight: 6300.0,
            weight_sq: 120_300.0,
        };
        assert!((policy.stats.disagreement[0].effective() - 329.9).abs() < 0.1);
        assert!(!policy.feasible(0, 600f64.ln()));
    }

    #[test]
    fn restoring_refuses_what_does_not_fit() {
        let policy = AgreementUcb::new(2, 0.015);
        let mut learned = policy.learned();
        learned.cost[1] = seen(3, 0.5);
        assert!(policy.restored(learned.clone(), 3).is_ok());
        learned.disagreement.pop();
        assert!(policy
            .restored(learned.clone(), 3)
            .unwrap_err()
            .contains("disagreement"));
        learned.disagreement = vec![Weighted::default(); 2];
        learned.cost[0].weight = f64::NAN;
        assert!(policy
            .restored(learned, 3)
            .unwrap_err()
            .starts_with("cost[0]"));
    }
}
