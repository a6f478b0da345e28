//! M-UCB (Cao, Wen, Kveton & Xie, "Nearly optimal adaptive procedure with change detection for
//! piecewise-stationary bandit", AISTATS 2019): UCB1 with a change detector and forced
//! exploration. When the detector fires on the played arm, every arm's statistics are restarted
//! (the paper's global restart), and UCB1 starts over on what comes next.
//!
//! - **Detector**: once the played arm has `W` observations since the last restart, the sum of
//!   its latest `W/2` rewards is compared with the sum of the `W/2` before them; it fires when
//!   they differ by more than `b = B sqrt((W/2) ln(2 K t^2))`. That is the paper's threshold
//!   for rewards in [0, 1] (a Hoeffding bound over `K` arms and the horizon `T`), scaled by the
//!   width `B` of the run's reward range ([`super::RunContext::reward_bounds`]), with `T`
//!   unknown to a stream and replaced by the decisions made so far, `t` (counted from 1).
//! - **Forced exploration**: at `s` decisions since the restart (`s = 0` first), if
//!   `s mod floor(K / G) < K` the arm `s mod floor(K / G)` is played: a fraction `G` of the
//!   decisions, every arm in turn, so a change on an arm UCB1 no longer plays is still seen.
//!   `G = 0` turns it off (unplayed arms are then played first, lowest first).
//! - **UCB1**: otherwise the index is SplitEE's, `S_k/N_k + c sqrt(ln s / N_k)` with `s`
//!   counted from 1 at the restart and `N_k` the observations since it; `c` is the run's UCB
//!   constant (`--ucb-c`). Without a restart, and with `G = 0`, M-UCB decides as `splitee`
//!   does.
//!
//! It learns from the played arm only (bandit feedback, as in the paper) and is deterministic.

use super::registry::{own_constant, Entry, Learns, Name, PolicyFamily, Rule, Side};
use super::stats::{argmax_by, check_finite, check_len, same, ArmStats, RewardRange};
use super::{Param, Policy, RunContext};
use crate::reward::{Action, Feedback};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// M-UCB; see the module documentation.
#[derive(Debug, Clone)]
pub struct MUcb {
    c: f64,
    /// `W`, even.
    window: usize,
    /// `floor(K / G)` decisions per round of forced exploration (`None` with `G = 0`).
    period: Option<u64>,
    /// `B`, the width of the run's reward range.
    width: f64,
    learned: MUcbLearned,
}

/// What [`MUcb`] learns: every reward's statistics, and since the last restart each arm's
/// statistics and latest rewards.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MUcbLearned {
    /// Every reward ever fed (what [`Policy::reward_sums`] reports).
    stats: ArmStats,
    /// Since the last restart.
    recent: ArmStats,
    /// Per arm, its latest rewards since the last restart (at most `W`, oldest first).
    windows: Vec<VecDeque<f64>>,
    /// The 0-based step of the first decision after the last restart (0 before any).
    restart: u64,
    /// How many times the detector fired.
    restarts: u64,
}

impl MUcbLearned {
    /// The 0-based step of the first decision after the last restart (0 before any).
    pub fn last_restart(&self) -> u64 {
        self.restart
    }

    /// How many times the detector has fired.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }
}

impl MUcb {
    /// Window `window` (even, >= 2), forced-exploration fraction `gamma` in [0, 1), UCB constant
    /// `c`, for rewards in `reward_bounds` (a degenerate range counts as width 1).
    pub fn new(arms: usize, window: usize, gamma: f64, c: f64, reward_bounds: (f64, f64)) -> Self {
        let period = (gamma > 0.0).then(|| (arms as f64 / gamma).floor() as u64);
        Self {
            c,
            window,
            period,
            width: RewardRange::new(reward_bounds).width(),
            learned: MUcbLearned {
                stats: ArmStats::new(arms),
                recent: ArmStats::new(arms),
                windows: vec![VecDeque::new(); arms],
                restart: 0,
                restarts: 0,
            },
        }
    }

    /// The detector's threshold after `t` decisions (counted from 1).
    fn threshold(&self, t: u64) -> f64 {
        let (half, arms, t) = (
            (self.window / 2) as f64,
            self.learned.windows.len() as f64,
            t as f64,
        );
        self.width * (half * (2.0 * arms * t * t).ln()).sqrt()
    }

    /// Whether `arm`'s latest `W/2` rewards sum to more than `b` away from the `W/2` before.
    fn detects_change(&self, arm: usize, t: u64) -> bool {
        let window = &self.learned.windows[arm];
        if window.len() < self.window {
            return false;
        }
        let half = self.window / 2;
        let older: f64 = window.iter().take(half).sum();
        let newer: f64 = window.iter().skip(half).sum();
        (newer - older).abs() > self.threshold(t)
    }
}

impl Policy for MUcb {
    fn choose(&mut self, t: usize) -> Action {
        let learned = &self.learned;
        let s = (t as u64).saturating_sub(learned.restart);
        let arms = learned.windows.len();
        if let Some(period) = self.period {
            let phase = s % period;
            if phase < arms as u64 {
                return Action::Split(phase as usize);
            }
        }
        let recent = &learned.recent;
        let arm = recent.first_unplayed().unwrap_or_else(|| {
            let log_s = ((s + 1) as f64).ln();
            argmax_by(arms, |k| {
                let n = recent.count(k) as f64;
                recent.mean(k) + self.c * (log_s / n).sqrt()
            })
        });
        Action::Split(arm)
    }

    fn observe(&mut self, feedback: &Feedback<'_>) {
        let (arm, reward) = (feedback.arm(), feedback.reward());
        let learned = &mut self.learned;
        learned.stats.record(arm, reward);
        learned.recent.record(arm, reward);
        let window = &mut learned.windows[arm];
        if window.len() == self.window {
            window.pop_front();
        }
        window.push_back(reward);
        // Every decision records one reward (bandit feedback): the decisions made are the
        // total count.
        let t: u64 = learned.stats.sums().1.iter().sum();
        if self.detects_change(arm, t) {
            let learned = &mut self.learned;
            learned.recent = ArmStats::new(learned.windows.len());
            learned.windows.iter_mut().for_each(VecDeque::clear);
            learned.restart = t;
            learned.restarts += 1;
        }
    }

    fn reward_sums(&self) -> Option<(&[f64], &[u64])> {
        Some(self.learned.stats.sums())
    }
}

impl Learns for MUcb {
    type Learned = MUcbLearned;

    fn learned(&self) -> MUcbLearned {
        self.learned.clone()
    }

    fn restored(&self, learned: MUcbLearned, steps: u64) -> Result<Self, String> {
        let fresh = &self.learned;
        let stats = learned.stats.restored(&fresh.stats, steps)?;
        let recent = learned.recent.restored(&fresh.recent, steps)?;
        let arms = fresh.windows.len();
        check_len("windows", learned.windows.len(), arms)?;
        if learned.restart > steps || learned.restarts > steps {
            return Err(format!(
                "restart is {} after {} restarts, but only {steps} decisions were made",
                learned.restart, learned.restarts
            ));
        }
        let since = steps - learned.restart;
        same(
            "the rewards recorded",
            &stats.sums().1.iter().sum::<u64>(),
            &steps,
        )?;
        same(
            "the decisions since the restart",
            &recent.sums().1.iter().sum::<u64>(),
            &since,
        )?;
        for (k, window) in learned.windows.iter().enumerate() {
            let values: Vec<f64> = window.iter().copied().collect();
            check_finite(&format!("windows[{k}]"), &values)?;
            let expected = (recent.count(k) as usize).min(self.window);
            if window.len() != expected {
                return Err(format!(
                    "windows[{k}] holds {} rewards but should hold {expected}",
                    window.len()
                ));
            }
        }
        Ok(Self {
            learned: MUcbLearned {
                stats,
                recent,
                ..learned
            },
            ..self.clone()
        })
    }
}

/// The parameters of `m-ucb:W[:G]`: the detector's window and the forced-exploration fraction
/// (`None`: 0.01, one decision in a hundred).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MUcbParams {
    pub window: usize,
    pub gamma: Option<Param>,
}

/// `G` when not given: one decision in a hundred explores.
pub const DEFAULT_GAMMA: f64 = 0.01;

const M_UCB_GAMMA: Rule = Rule {
    what: "the forced-exploration fraction G",
    form: "m-ucb:W:G",
    must: "in [0, 1)",
    ok: |v| (0.0..1.0).contains(&v),
};

/// `m-ucb:W[:G]`.
impl PolicyFamily for MUcb {
    type Params = MUcbParams;
    type Policy = Self;
    const ENTRY: Entry = Entry {
        name: "m-ucb",
        help: "m-ucb:W[:G]",
        side: Side::Never,
        reward_bounds: true,
        arm_set: true,
        learns: true,
    };

    fn parse(name: &Name<'_>) -> Result<MUcbParams, String> {
        name.bandit_only()?;
        let (first, gamma) = name.split_trailing();
        let window = match first.param {
            None => {
                return Err(format!(
                    "`{}`: the window W is missing (write m-ucb:W, W an even number of \
                     observations >= 2)",
                    name.name
                ))
            }
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(w) if w >= 2 && w % 2 == 0 => w,
                _ => {
                    return Err(format!(
                        "`{}`: the window W in m-ucb:W must be an even number of observations \
                         >= 2, got `{raw}`",
                        name.name
                    ))
                }
            },
        };
        let gamma = gamma.map(|g| g.required(&M_UCB_GAMMA)).transpose()?;
        Ok(MUcbParams { window, gamma })
    }

    fn write(p: &MUcbParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m-ucb:{}{}", p.window, own_constant(p.gamma))
    }

    fn build(p: &MUcbParams, ctx: &RunContext) -> Self {
        Self::new(
            ctx.arms,
            p.window,
            p.gamma.map_or(DEFAULT_GAMMA, Param::get),
            ctx.ucb_c,
            ctx.reward_bounds,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::Bench;
    use crate::policy::{AnyPolicy, PolicySpec};
    use crate::reward::Observation;

    fn build(name: &str, bench: &Bench) -> MUcb {
        let spec: PolicySpec = name.parse().unwrap();
        match spec.build(&bench.context(1)) {
            AnyPolicy::MUcb(p) => p,
            other => panic!("{name} builds {other:?}"),
        }
    }

    /// The paper's threshold, by hand: 2 arms, W = 4, B = 1, t = 10:
    /// `sqrt(2 ln(2 * 2 * 100)) = 3.46164`.
    #[test]
    fn the_threshold_is_the_papers_with_t_for_the_horizon() {
        let policy = MUcb::new(2, 4, 0.0, 1.0, (0.0, 1.0));
        assert!((policy.threshold(10) - 3.461_636_765_204_571).abs() < 1e-12);
        let wide = MUcb::new(2, 4, 0.0, 1.0, (-1.0, 1.5));
        assert!((wide.threshold(10) - 2.5 * 3.461_636_765_204_571).abs() < 1e-12);
    }

    /// Forced exploration plays arm `s mod floor(K/G)` while it is below K: 3 arms at
    /// G = 0.5 force arms 0, 1, 2 in every 6 decisions, counted from the restart.
    #[test]
    fn forced_exploration_plays_every_arm_in_turn() {
        let mut bench = Bench::new(3);
        let mut policy = build("m-ucb:1000:0.5", &bench);
        let mut played = Vec::new();
        for t in 0..12 {
            let (o, _) = bench.step(&mut policy, t, &[0.9, 0.1, 0.1], None, Observation::Strict);
            played.push(o.arm);
        }
        // Arm 0 (exit 1, confident) is best: UCB1 plays it outside the forced rounds.
        assert_eq!(played, [0, 1, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0]);
    }

    /// A change on the played arm: arm 0 earns 0.9 (exit 1 at confidence 1), then -0.4
    /// (offload, final confidence 0). With W = 200 the detector fires at the first step whose
    /// latest 100 rewards sum to more than `b = B sqrt(100 ln(2 K t^2))` below the 100 before,
    /// and every arm starts over, once.
    #[test]
    fn a_change_restarts_every_arm() {
        let mut bench = Bench::new(2);
        let mut policy = build("m-ucb:200:0", &bench);
        let (lo, hi) = bench.bounds();
        let mut fired_at = None;
        for t in 0..500 {
            let conf = if t < 300 { [1.0, 0.0] } else { [0.0, 0.0] };
            bench.step(&mut policy, t, &conf, Some(0), Observation::Strict);
            if fired_at.is_none() && policy.learned.restarts == 1 {
                fired_at = Some(t);
            }
        }
        // m rewards after the change (m <= 100) move the difference by 1.3 m.
        let first = (300..400).find(|&t| {
            let (m, decisions) = ((t - 299) as f64, (t + 1) as f64);
            1.3 * m > (hi - lo) * (100.0 * (4.0 * decisions * decisions).ln()).sqrt()
        });
        assert_eq!((lo, hi), (-0.4, 0.9));
        assert_eq!(fired_at, first);
        assert_eq!(fired_at, Some(336));
        assert_eq!(policy.learned.restarts, 1);
        assert_eq!(policy.learned.restart, 337);
        assert_eq!(policy.learned.windows[0].len(), 163);
    }

    #[test]
    fn parameters_are_checked() {
        for (name, message) in [
            ("m-ucb", "`m-ucb`: the window W is missing"),
            (
                "m-ucb:3",
                "`m-ucb:3`: the window W in m-ucb:W must be an even number",
            ),
            (
                "m-ucb:0",
                "`m-ucb:0`: the window W in m-ucb:W must be an even number",
            ),
            (
                "m-ucb:10:1",
                "`m-ucb:10:1`: the forced-exploration fraction G in m-ucb:W:G must be in [0, 1)",
            ),
            (
                "m-ucb:10+s",
                "`m-ucb:10+s`: m-ucb learns from the played arm's reward only",
            ),
        ] {
            let err = name.parse::<PolicySpec>().unwrap_err();
            assert!(err.starts_with(message), "{err}");
        }
        for name in ["m-ucb:10", "m-ucb:10:0", "m-ucb:4000:0.05", "joint:m-ucb:8"] {
            assert_eq!(name.parse::<PolicySpec>().unwrap().to_string(), name);
        }
    }

    /// A policy restored from what another learned decides as the other from then on, after a
    /// restart; what does not fit it is refused.
    #[test]
    fn a_restored_policy_continues_exactly() {
        let mut bench = Bench::new(4);
        let mut original = build("m-ucb:100:0.1", &bench);
        // Exit 1 is confident, then not, and the final exit with it.
        let conf = |t: usize| {
            let x = (t as f64 * 0.618_033_988_7).fract();
            if t < 200 {
                [0.9, x, 0.5 + 0.5 * x, 0.9]
            } else {
                [0.1 * x, x, 0.5 + 0.5 * x, 0.0]
            }
        };
        for t in 0..300 {
            bench.step(&mut original, t, &conf(t), None, Observation::Strict);
        }
        assert_eq!(original.learned.restarts, 1, "the stream changes at 200");
        let fresh = build("m-ucb:100:0.1", &bench);
        let mut restored = fresh.restored(original.learned(), 300).unwrap();
        for t in 300..500 {
            let (a, _) = bench.step(&mut original, t, &conf(t), None, Observation::Strict);
            let (b, _) = bench.step(&mut restored, t, &conf(t), None, Observation::Strict);
            assert_eq!(a, b, "step {t}");
        }
        let mut bad = original.learned();
        bad.windows[0].push_back(0.5);
        assert!(fresh.restored(bad, 500).is_err());
        let mut bad = original.learned();
        bad.restart = 501;
        assert!(fresh.restored(bad, 500).is_err());
        assert!(fresh.restored(original.learned(), 499).is_err());
    }
}
