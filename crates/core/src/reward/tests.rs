//! Tests of rewards, the observation model and side observations (with their reference and unbiasedness properties).

use super::*;
use crate::arms::ArmSpace;
use crate::cost::CostModel;
use crate::param::Param;
use crate::trace::Trace;
use crate::trace::{Sample, TraceBuilder};
use std::path::Path;

/// SPEC section 8 sample 0: confidences 0.51, 0.56, ..., 0.96, 0.52, 0.57.
fn golden_sample0() -> (Trace, RewardModel) {
    let conf: Vec<f64> = (0..12)
        .map(|l| 0.51 + ((5 * l) % 49) as f64 / 100.0)
        .collect();
    let mut b = TraceBuilder::new(Path::new("golden"));
    b.push(Sample {
        context: None,
        arrival: None,
        conf,
        pred: vec![0; 12],
        label: Some(0),
        cost: None,
    });
    let trace = b.finish().unwrap();
    let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
    (
        trace,
        RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1),
    )
}

fn row(trace: &Trace, model: &RewardModel) -> SampleRow {
    let mut r = SampleRow::new(trace, model);
    r.load(trace, model.costs(), 0);
    r
}

#[test]
fn golden_single_sample_rewards_and_costs() {
    let (trace, model) = golden_sample0();
    let r = row(&trace, &model);
    let arm0 = model.play(&r, Action::Split(0));
    assert!(arm0.offloaded);
    assert!((arm0.reward - 0.17).abs() < 1e-12);
    assert!((arm0.cost - 0.4).abs() < 1e-12);
    let arm4 = model.play(&r, Action::Split(4));
    assert!(!arm4.offloaded);
    assert!((arm4.reward - 0.21).abs() < 1e-12);
    let arm11 = model.play(&r, Action::Split(11));
    assert!(!arm11.offloaded);
    assert!((arm11.reward + 0.63).abs() < 1e-12);
}

#[test]
fn device_only_stops_at_first_confident_exit() {
    let (trace, model) = golden_sample0();
    let out = model.play(&row(&trace, &model), Action::DeviceOnly);
    assert_eq!((out.arm, out.offloaded), (4, false)); // 0.71 is the first >= 0.7
}

#[test]
fn strict_observation_hides_final_confidence_after_an_exit() {
    let (trace, model) = golden_sample0();
    let r = row(&trace, &model);
    let exit4 = model.play(&r, Action::Split(4));
    // Arm 0 (C = 0.51 < alpha) would have offloaded: its reward needs C_L, unseen here.
    assert!(!model.is_observable(&r, &exit4, 0, Observation::Strict));
    assert!(model.is_observable(&r, &exit4, 0, Observation::Oracle));
    // Arm 5 was never computed on the device.
    assert!(!model.is_observable(&r, &exit4, 5, Observation::Strict));
    // After an offload the cloud returns everything.
    let off0 = model.play(&r, Action::Split(0));
    assert!(model.is_observable(&r, &off0, 11, Observation::Strict));
}

#[test]
fn script_cost_formula() {
    let (trace, model) = golden_sample0();
    let script = model.with_reported(ReportedCost::SplitEe2023Script);
    let r = row(&trace, &script);
    // arm 4 exits: 0.1 + 0.8*0.1*4 = 0.42; arm 0 offloads: 0.3 + 0 + 0.1 = 0.4
    assert!((script.play(&r, Action::Split(4)).cost - 0.42).abs() < 1e-12);
    assert!((script.play(&r, Action::Split(0)).cost - 0.4).abs() < 1e-12);
}

#[test]
fn confidence_gain_rewards() {
    let (trace, model) = golden_sample0();
    let arms = model.with_space(ArmSpace::SplitsAt(Param::new(0.95).unwrap()), &[]);
    let r = row(&trace, &arms);
    let gain = arms.clone().with_kind(RewardKind::ConfidenceGain);
    let clipped = arms.with_kind(RewardKind::ConfidenceGainClipped);
    // Exit 10 (C = 0.96 >= 0.95) exits: 0. Exit 9 (C = 0.91) offloads: 0.57 - 0.91 - 0.3.
    assert_eq!(gain.reward(&r, 9), 0.0);
    assert!((gain.reward(&r, 8) + 0.64).abs() < 1e-12);
    assert!((clipped.reward(&r, 8) + 0.3).abs() < 1e-12);
    // Exit 1 (C = 0.51) gains 0.06 by offloading.
    assert!((clipped.reward(&r, 0) + 0.24).abs() < 1e-12);
    assert_eq!(gain.reward(&r, 11), 0.0);
    let (lo, hi) = gain.reward_bounds(&r);
    assert!(
        (lo + 1.3).abs() < 1e-12 && (hi - 0.7).abs() < 1e-12,
        "{lo} {hi}"
    );
    assert!((clipped.reward_bounds(&r).0 + 0.3).abs() < 1e-12);
}

/// Joint arms over thresholds 0.6 and 0.9: arm `2k + b`, and arm 22 the final exit.
fn joint_sample0() -> (Trace, RewardModel, SampleRow) {
    let (trace, model) = golden_sample0();
    let joint = model.with_space(ArmSpace::Joint, &[0.6, 0.9]);
    let r = row(&trace, &joint);
    (trace, joint, r)
}

#[test]
fn joint_side_observations_follow_the_observation_model() {
    let (_, model, r) = joint_sample0();
    // Split 5 at 0.6 exits (C = 0.71): the device has computed C_1..C_5, not C_L.
    let played = model.play(&r, Action::Split(8));
    assert_eq!((played.split, played.offloaded), (4, false));
    assert_eq!(model.arms().side_arms_end(8), 10);
    let feedback = |observation| Feedback::new(&played, &r, &model, observation, 0.25);
    let strict = feedback(Observation::Strict);
    // (5, 0.9) would offload: needs C_L. (4, 0.6) exits at C = 0.66. (1, 0.6) offloads.
    assert_eq!(strict.side_reward(9), None);
    assert_eq!(strict.side_reward(6), Some(model.reward(&r, 6)));
    assert_eq!(strict.side_reward(0), None);
    assert_eq!(strict.side_reward(10), None, "split 6 was never computed");
    let oracle = feedback(Observation::Oracle);
    assert_eq!(oracle.side_reward(9), Some(model.reward(&r, 9)));
    // Unbiased, not probed: an arm needing C_L counts 0; probed: r / p.
    let unbiased = feedback(Observation::Unbiased);
    assert_eq!(unbiased.side_reward(9), Some(0.0));
    assert_eq!(unbiased.side_reward(6), Some(model.reward(&r, 6)));
    // Deeper splits too: the probe would have revealed them.
    assert_eq!(unbiased.side_reward(10), Some(0.0));
    assert_eq!(unbiased.side_arms_end(), 23);
    assert_eq!(strict.side_arms_end(), 10);
    let offload = model.play(&r, Action::Split(1)); // split 1 at 0.9: C = 0.51 offloads
    let all = Feedback::new(&offload, &r, &model, Observation::Strict, 0.25);
    assert_eq!(all.side_arms_end(), 23);
    assert_eq!(all.side_reward(22), Some(model.reward(&r, 22)));
    let mut probed = played;
    model.probe(&mut probed);
    assert!(probed.probed && (probed.cost - played.cost - 0.3).abs() < 1e-12);
    let unbiased = Feedback::new(&probed, &r, &model, Observation::Unbiased, 0.25);
    assert!((unbiased.side_reward(9).unwrap() - 4.0 * model.reward(&r, 9)).abs() < 1e-12);
    assert!(model.is_observable(&r, &probed, 9, Observation::Strict));
}

/// Threshold vectors over exits 1..3 from the grid 0.6, 0.9 (arms 0..8, exit 1's threshold
/// varying slowest), and arm 8 the final exit, on a 4-exit sample: confidences 0.7, 0.85, 0.3,
/// 0.8, predictions 1, 2, 0, 2; lambda 0.1, o = 0.3. The row holds the predictions.
fn vector_sample() -> (RewardModel, SampleRow) {
    let mut b = TraceBuilder::new(Path::new("vectors"));
    b.push(Sample {
        context: None,
        arrival: None,
        conf: vec![0.7, 0.85, 0.3, 0.8],
        pred: vec![1, 2, 0, 2],
        label: Some(2),
        cost: None,
    });
    let trace = b.finish().unwrap();
    let costs = CostModel::linear(0.1, 0.3).resolve(&trace).unwrap();
    let model = RewardModel::new(0.7, costs, ReportedCost::Standard, 0.1)
        .with_space(ArmSpace::VectorsAt(2), &[0.6, 0.9]);
    let mut r = SampleRow::new(&trace, &model).with_predictions();
    r.load(&trace, model.costs(), 0);
    (model, r)
}

#[test]
fn threshold_vectors_stop_at_their_first_confident_exit() {
    let (model, r) = vector_sample();
    assert_eq!(model.arms().len(), 9);
    // [0.6, *, *] exits at exit 1 (0.7 >= 0.6): reward 0.7 - 0.1.
    let first = model.play(&r, Action::Split(0));
    assert_eq!(
        (first.split, first.answered_by, first.offloaded),
        (0, 0, false)
    );
    assert!((first.reward - 0.6).abs() < 1e-12 && (first.cost - 0.1).abs() < 1e-12);
    // [0.9, 0.6, *] exits at exit 2 (0.85 >= 0.6).
    let second = model.play(&r, Action::Split(4));
    assert_eq!((second.split, second.offloaded), (1, false));
    assert!((second.reward - 0.65).abs() < 1e-12);
    // [0.9, 0.9, 0.9] offloads at exit 3: 0.8 - 0.3 - 0.3, cost 0.6.
    let offload = model.play(&r, Action::Split(7));
    assert_eq!(
        (offload.split, offload.answered_by, offload.offloaded),
        (2, 3, true)
    );
    assert!((offload.reward - 0.2).abs() < 1e-12 && (offload.cost - 0.6).abs() < 1e-12);
    assert_eq!(model.reward(&r, 7), offload.reward);
    let last = model.play(&r, Action::Split(8));
    assert_eq!((last.split, last.offloaded), (3, false));
    // Exits 1 and 2 computed, not C_L: [0.9, 0.9, 0.6] would read exit 3, never computed.
    assert!(!model.is_observable(&r, &second, 6, Observation::Strict));
    assert!(model.is_observable(&r, &second, 2, Observation::Strict));
    // [0.9, 0.9, 0.9] would offload at exit 3: never computed either.
    assert!(!model.is_observable(&r, &second, 7, Observation::Strict));
    assert!(model.is_observable(&r, &offload, 8, Observation::Strict));
}

#[test]
fn audits_reveal_cost_and_agreement_as_the_observation_model_allows() {
    let (model, r) = vector_sample();
    // [0.9, 0.6, *] exits at exit 2 (prediction 2, as the final exit's).
    let played = model.play(&r, Action::Split(4));
    let audit = |outcome: &Outcome, observation, j| {
        Feedback::new(outcome, &r, &model, observation, 0.25).audit(j)
    };
    // [0.6, ...] exits at exit 1 (prediction 1): its cost is seen, its disagreement needs the
    // final prediction.
    assert_eq!(
        audit(&played, Observation::Strict, 0),
        Audit {
            cost: Some((0.1, 1.0)),
            disagreement: None
        }
    );
    assert_eq!(
        audit(&played, Observation::Oracle, 0).disagreement,
        Some((1.0, 1.0))
    );
    // [0.9, 0.9, *] reads exit 3, never computed; the final exit too.
    for j in [6, 8] {
        let hidden = audit(&played, Observation::Strict, j);
        assert_eq!((hidden.cost, hidden.disagreement), (None, None), "{j}");
    }
    assert_eq!(audit(&played, Observation::Unbiased, 8).cost, None);
    let mut probed = played;
    model.probe(&mut probed);
    // Probed with p = 0.25: what only the probe revealed weighs 4.
    assert_eq!(
        audit(&probed, Observation::Unbiased, 0).disagreement,
        Some((1.0, 4.0))
    );
    let last = audit(&probed, Observation::Unbiased, 8);
    assert_eq!(last.disagreement, Some((0.0, 4.0)));
    assert!((last.cost.unwrap().0 - 0.4).abs() < 1e-12);
    // An offload returns everything: [0.6, ...] disagrees, seen with weight 1.
    let offload = model.play(&r, Action::Split(7));
    assert_eq!(
        audit(&offload, Observation::Strict, 0).disagreement,
        Some((1.0, 1.0))
    );
    assert_eq!(
        audit(&offload, Observation::Strict, 6).disagreement,
        Some((0.0, 1.0))
    );
}

proptest::proptest! {
    /// Under unbiased observation an audit's weighted values average, over the probe draw, to
    /// the arm's true cost and disagreement, and its weights to 1.
    #[test]
    fn unbiased_audits_have_the_true_mean(
        conf in proptest::collection::vec(0.0f64..=1.0, 4),
        pred in proptest::collection::vec(0u32..3, 4),
        played in 0usize..9,
        p in 0.01f64..=1.0,
    ) {
        let (model, mut r) = vector_sample();
        r.conf.copy_from_slice(&conf);
        r.pred.copy_from_slice(&pred);
        let outcome = model.play(&r, Action::Split(played));
        let mut probed = outcome;
        model.probe(&mut probed);
        let mean = |pick: fn(&Audit) -> Option<(f64, f64)>, j| {
            let draw = |o: &Outcome| {
                pick(&Feedback::new(o, &r, &model, Observation::Unbiased, p).audit(j))
                    .map_or((0.0, 0.0), |(x, w)| (w * x, w))
            };
            let (plain, with_probe) = (draw(&outcome), draw(&probed));
            (
                (1.0 - p) * plain.0 + p * with_probe.0,
                (1.0 - p) * plain.1 + p * with_probe.1,
            )
        };
        let last = r.conf.len() - 1;
        for j in 0..model.arms().len() {
            let truth = model.play(&r, Action::Split(j));
            let disagrees = f64::from(u8::from(r.pred[truth.answered_by] != r.pred[last]));
            for (pick, value) in [
                ((|a: &Audit| a.cost) as fn(&Audit) -> Option<(f64, f64)>, truth.cost),
                (|a: &Audit| a.disagreement, disagrees),
            ] {
                let (x, w) = mean(pick, j);
                proptest::prop_assert!((x - value).abs() < 1e-9, "arm {}: {} vs {}", j, x, value);
                proptest::prop_assert!((w - 1.0).abs() < 1e-9, "arm {}: weight {}", j, w);
            }
        }
    }
}

proptest::proptest! {
    /// The bulk paths (per split over a grid, per arm with one threshold, per exit over
    /// threshold vectors) reveal exactly what asking arm by arm does.
    #[test]
    fn side_rewards_in_bulk_equal_arm_by_arm(
        conf in proptest::collection::vec(0.0f64..=1.0, 12),
        played in 0usize..23,
        observation in proptest::sample::select(vec![
            Observation::Strict, Observation::Unbiased, Observation::Oracle,
        ]),
        probe in proptest::bool::ANY,
        space in proptest::sample::select(vec![
            ArmSpace::Splits, ArmSpace::Joint, ArmSpace::VectorsAt(2), ArmSpace::VectorsAt(0),
        ]),
    ) {
        let (_, model, mut r) = joint_sample0();
        let model = model.with_space(space, &[0.6, 0.9]);
        let played = played % model.arms().len();
        r.conf.copy_from_slice(&conf);
        let mut outcome = model.play(&r, Action::Split(played));
        if probe {
            model.probe(&mut outcome);
        }
        let feedback = Feedback::new(&outcome, &r, &model, observation, 0.2);
        let mut bulk = Vec::new();
        feedback.for_each_side(&mut |j, x: f64| bulk.push((j, x.to_bits())));
        let one_by_one: Vec<(usize, u64)> = (0..feedback.side_arms_end())
            .filter(|&j| j != played)
            .filter_map(|j| feedback.side_reward(j).map(|x| (j, x.to_bits())))
            .collect();
        proptest::prop_assert_eq!(bulk, one_by_one);
    }
}

proptest::proptest! {
    /// Unbiased side estimates average to the true reward over the probe draw, for every
    /// arm and any confidences.
    #[test]
    fn unbiased_side_estimates_have_the_true_mean(
        conf in proptest::collection::vec(0.0f64..=1.0, 12),
        played in 0usize..23,
        p in 0.01f64..=1.0,
        vectors in proptest::bool::ANY,
    ) {
        let (_, model, mut r) = joint_sample0();
        let model = if vectors {
            model.with_space(ArmSpace::VectorsAt(2), &[0.6, 0.9])
        } else {
            model
        };
        r.conf.copy_from_slice(&conf);
        let played = played % model.arms().len();
        let outcome = model.play(&r, Action::Split(played));
        let mut probed = outcome;
        model.probe(&mut probed);
        for j in 0..model.arms().len() {
            let plain = Feedback::new(&outcome, &r, &model, Observation::Unbiased, p)
                .side_reward(j).unwrap();
            let with_probe = Feedback::new(&probed, &r, &model, Observation::Unbiased, p)
                .side_reward(j).unwrap();
            let mean = (1.0 - p) * plain + p * with_probe;
            proptest::prop_assert!((mean - model.reward(&r, j)).abs() < 1e-9);
        }
    }
}
