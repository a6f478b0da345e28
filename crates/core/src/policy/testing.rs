//! A one-sample bench for driving a policy directly in unit tests: every step sets the sample's
//! confidences, plays an action on it and feeds the policy what it revealed.

use super::{Policy, RunContext};
use crate::cost::{CostModel, ReportedCost};
use crate::reward::{Action, Feedback, Observation, Outcome, RewardModel, SampleRow};
use crate::trace::{Sample, TraceBuilder};
use std::path::Path;

pub(crate) struct Bench {
    model: RewardModel,
    row: SampleRow,
}

impl Bench {
    /// `exits` exits, linear costs (`lambda = 0.1`, `o = 0.3`), `alpha = 0.7`.
    pub(crate) fn new(exits: usize) -> Self {
        let mut b = TraceBuilder::new(Path::new("bench"));
        b.push(Sample {
            context: None,
            arrival: None,
            conf: vec![0.5; exits],
            pred: vec![0; exits],
            label: None,
            cost: None,
        });
        let trace = b.finish().unwrap();
        let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
        let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1);
        let mut row = SampleRow::new(&trace, &model);
        row.load(&trace, model.costs(), 0);
        Self { model, row }
    }

    /// The range every reward lies in (as the simulator computes it).
    pub(crate) fn bounds(&self) -> (f64, f64) {
        self.model.reward_bounds(&self.row)
    }

    /// What a policy is built with for a run with `seed` on this bench.
    pub(crate) fn context(&self, seed: u64) -> RunContext {
        RunContext {
            arms: self.row.conf.len(),
            best_arm: 0,
            seed,
            ucb_c: 1.0,
            log_count: crate::policy::LogCount::default(),
            reward_bounds: self.bounds(),
        }
    }

    /// Step `t`: the policy chooses, `arm` (if given) overrides its choice, the action is played
    /// on a sample with confidences `conf` and the policy observes the outcome. Returns the
    /// outcome and every `(arm, reward)` the feedback lets a side-observing policy see
    /// (shallower observable arms first, then the played arm).
    pub(crate) fn step(
        &mut self,
        policy: &mut impl Policy,
        t: usize,
        conf: &[f64],
        arm: Option<usize>,
        observation: Observation,
    ) -> (Outcome, Vec<(usize, f64)>) {
        let chosen = policy.choose(t);
        self.row.conf.copy_from_slice(conf);
        let outcome = self
            .model
            .play(&self.row, arm.map_or(chosen, Action::Split));
        let feedback = Feedback::new(&outcome, &self.row, &self.model, observation, 1.0);
        policy.observe(&feedback);
        let mut seen: Vec<(usize, f64)> = (0..outcome.arm)
            .filter_map(|j| feedback.side_reward(j).map(|r| (j, r)))
            .collect();
        seen.push((outcome.arm, outcome.reward));
        (outcome, seen)
    }
}

/// The index policies' counts and sums stay exactly what they were fed: the played arm's
/// reward, plus with `+s` every observable shallower arm's.
mod counts_and_sums {
    use super::Bench;
    use crate::policy::{Policy, PolicySpec};
    use crate::reward::Observation;
    use proptest::prelude::*;

    /// One step of a random stream: the sample's confidences, an arm forced on the policy
    /// instead of its own choice (sometimes), and whether side observations read `C_L` as an
    /// oracle.
    type Step = (Vec<f64>, Option<usize>, bool);

    const EXITS: usize = 5;

    fn stream() -> impl Strategy<Value = Vec<Step>> {
        proptest::collection::vec(
            (
                proptest::collection::vec(0.0f64..=1.0, EXITS),
                proptest::option::of(0usize..EXITS),
                any::<bool>(),
            ),
            1..300,
        )
    }

    fn stay_consistent(name: &str, steps: &[Step], seed: u64) -> Result<(), TestCaseError> {
        let spec: PolicySpec = name.parse().unwrap();
        let side = spec.kind.observes_side();
        let mut bench = Bench::new(EXITS);
        let (lo, hi) = bench.bounds();
        let mut policy = spec.build(&bench.context(seed));
        let (mut sums, mut counts) = ([0.0; EXITS], [0u64; EXITS]);
        for (t, (conf, forced, oracle)) in steps.iter().enumerate() {
            let observation = if *oracle {
                Observation::Oracle
            } else {
                Observation::Strict
            };
            let (outcome, seen) = bench.step(&mut policy, t, conf, *forced, observation);
            prop_assert!(outcome.arm < EXITS);
            prop_assert!(outcome.reward >= lo - 1e-12 && outcome.reward <= hi + 1e-12);
            // `seen` lists the observable shallower arms, then the played one.
            let fed = if side {
                &seen[..]
            } else {
                &seen[seen.len() - 1..]
            };
            for &(k, r) in fed {
                sums[k] += r;
                counts[k] += 1;
            }
            let (got_sums, got_counts) = policy.reward_sums().expect("index policies keep sums");
            prop_assert_eq!(got_counts, &counts[..], "{} at step {}", name, t);
            for k in 0..EXITS {
                prop_assert!(
                    (got_sums[k] - sums[k]).abs() <= 1e-9,
                    "{} arm {} at step {}: {} vs {}",
                    name,
                    k,
                    t,
                    got_sums[k],
                    sums[k]
                );
            }
        }
        Ok(())
    }

    macro_rules! counts_and_sums {
        ($($test:ident: [$($name:literal),+ $(,)?];)+) => {
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]
                $(
                    #[test]
                    fn $test(
                        steps in stream(),
                        name in prop_oneof![$(Just($name)),+],
                        seed in any::<u64>(),
                    ) {
                        stay_consistent(name, &steps, seed)?;
                    }
                )+
            }
        };
    }

    counts_and_sums! {
        ucb1: ["ucb1:1", "ucb1:0", "ucb1:2+s"];
        ucb_v: ["ucb-v", "ucb-v+s"];
        ucb_tuned: ["ucb-tuned", "ucb-tuned+s"];
        kl_ucb: ["kl-ucb", "kl-ucb:3+s", "kl-ucb+s"];
        bayes_ucb: ["bayes-ucb", "bayes-ucb:3+s", "bayes-ucb+s"];
        thompson: ["thompson", "thompson:0.1+s"];
        eps_greedy: [
            "eps-greedy:0.2", "eps-greedy:1+s", "eps-greedy:decay", "eps-greedy:decay:3+s",
        ];
        sw_ucb: ["sw-ucb:1", "sw-ucb:7", "sw-ucb:50+s"];
        d_ucb: ["d-ucb:0.01", "d-ucb:0.9", "d-ucb:0.999+s"];
        ucb_bwk: ["ucb-bwk"];
        m_ucb: ["m-ucb:4", "m-ucb:10:0", "m-ucb:2:0.5"];
        uee_ucb: ["uee-ucb", "uee-ucb:0.5"];
    }
}
