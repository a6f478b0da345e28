//! Tests of the live learner: settings, decisions, state files and restores.

use super::*;
use crate::cost::CostModel;

fn settings(policy: &str) -> LiveSettings {
    LiveSettings {
        cost: CostModel::linear(0.1, 0.3),
        thresholds: vec![0.6, 0.8],
        probe: 0.5,
        seed: 1,
        ..LiveSettings::new(policy.parse().unwrap())
    }
}

/// The row the policy learned from hides what the device and cloud did not compute.
#[test]
fn the_policy_sees_only_what_was_computed() {
    let mut learner = LiveLearner::new(&settings("fixed:2"), 4, false).unwrap();
    assert_eq!(
        learner.choose(),
        Plan::Split {
            arm: 1,
            split: 1,
            threshold: 0.7,
            probe: false
        }
    );
    // Exit 2 is confident: the device answers; exits 3 and 4 stay unseen.
    let out = learner
        .observe(&Observed {
            conf: &[0.5, 0.9, 0.95, 0.99],
            cost: None,
        })
        .unwrap();
    assert!(!out.offloaded);
    assert_eq!(&learner.row.conf[..2], &[0.5, 0.9]);
    assert!(learner.row.conf[2..].iter().all(|c| c.is_nan()));
    // Exit 2 is not confident: the cloud returns every confidence.
    learner.choose();
    let out = learner
        .observe(&Observed {
            conf: &[0.5, 0.6, 0.95, 0.99],
            cost: None,
        })
        .unwrap();
    assert!(out.offloaded);
    assert_eq!(learner.row.conf, vec![0.5, 0.6, 0.95, 0.99]);
    assert_eq!(
        (out.reward * 1e9).round(),
        ((0.99 - 0.3 - 0.2) * 1e9_f64).round()
    );
}

#[test]
fn observations_must_hold_what_the_decision_needs() {
    let mut learner = LiveLearner::new(&settings("fixed:2"), 4, false).unwrap();
    let observe = |l: &mut LiveLearner, conf: &[f64]| {
        l.observe(&Observed { conf, cost: None })
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        observe(&mut learner, &[0.5, 0.9]),
        Err("observe() needs a decision: call choose() first".into())
    );
    learner.choose();
    let short = observe(&mut learner, &[0.5]).unwrap_err();
    assert!(short.contains("runs exits 1..=2"), "{short}");
    let offloaded = observe(&mut learner, &[0.5, 0.6]).unwrap_err();
    assert!(offloaded.contains("went to the cloud"), "{offloaded}");
    let bad = observe(&mut learner, &[0.5, 1.5]).unwrap_err();
    assert!(bad.contains("conf_2 is 1.5"), "{bad}");
    // Exiting on the device needs only the device's confidences; the same plan stood.
    assert!(observe(&mut learner, &[0.5, 0.9]).is_ok());
    assert_eq!(learner.steps(), 1);

    // Device-only early exit: up to the first confident exit.
    let mut device = LiveLearner::new(&settings("device-ee"), 4, false).unwrap();
    device.choose();
    assert!(observe(&mut device, &[0.5, 0.6])
        .unwrap_err()
        .contains("none reaches"));
    let out = observe(&mut device, &[0.5, 0.8]).unwrap();
    assert_eq!((out.arm, out.offloaded), (1, false));
}

/// `fixed:3` under the measured cost model.
fn measured_settings() -> LiveSettings {
    let mut cost = CostModel::linear(0.1, 0.3);
    cost.processing = crate::cost::ProcessingCost::Measured;
    LiveSettings {
        cost,
        ..settings("fixed:3")
    }
}

#[test]
fn measured_costs_come_with_the_observation() {
    let settings = measured_settings();
    let mut learner = LiveLearner::new(&settings, 3, true).unwrap();
    assert!(learner.measured_costs());
    learner.choose();
    let missing = learner.observe(&Observed {
        conf: &[0.5, 0.6, 0.9],
        cost: None,
    });
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("measured cost model"));
    let out = learner
        .observe(&Observed {
            conf: &[0.5, 0.6, 0.9],
            cost: Some(&[1.0, 2.0, 4.0]),
        })
        .unwrap();
    assert_eq!(out.cost, 7.0);
    assert!(
        LiveLearner::new(&settings, 3, false).is_err(),
        "samples without costs"
    );
}

/// Costs each within bounds whose sum is not: refused before the learner or the totals see
/// them, so the state stays finite and loads back.
#[test]
fn huge_measured_costs_are_refused_and_the_state_stays_readable() {
    let settings = measured_settings();
    let mut learner = LiveLearner::new(&settings, 3, true).unwrap();
    learner.choose();
    let observe = |l: &mut LiveLearner, cost: &[f64]| {
        l.observe(&Observed {
            conf: &[0.5, 0.6, 0.9],
            cost: Some(cost),
        })
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        observe(&mut learner, &[1e308, 1.0, 1.0]).unwrap_err(),
        "cost_1 is 1e308; costs must be finite, >= 0 and at most 1e100"
    );
    assert!(observe(&mut learner, &[1e100, 1e100, 1e100])
        .unwrap_err()
        .contains("proc(2) + off(2) is 2e100, beyond 1e100"));
    assert_eq!(observe(&mut learner, &[1.0, 2.0, 4.0]).unwrap(), {
        let mut fresh = LiveLearner::new(&settings, 3, true).unwrap();
        fresh.choose();
        observe(&mut fresh, &[1.0, 2.0, 4.0]).unwrap()
    });
    let state = learner.state_json().unwrap();
    LiveLearner::from_state_json(&settings, state.as_bytes(), Path::new("s")).unwrap();
}

#[test]
fn settings_a_config_would_refuse_are_refused() {
    for (bad, expected) in [
        (
            LiveSettings {
                alpha: 0.0,
                ..settings("splitee")
            },
            "alpha",
        ),
        (
            LiveSettings {
                probe: 0.0,
                ..settings("splitee")
            },
            "probe",
        ),
        (
            LiveSettings {
                ucb_c: f64::NAN,
                ..settings("splitee")
            },
            "UCB constant",
        ),
        (
            LiveSettings {
                thresholds: vec![],
                ..settings("joint-ucb")
            },
            "grid is empty",
        ),
        (settings("best-fixed"), "hindsight"),
        (settings("splitee-s:oracle"), "oracle"),
        (
            LiveSettings {
                reward_bounds: Some((-1e308, 1e308)),
                ..settings("sw-ucb:10")
            },
            "each at most 1e100 in magnitude, got -1e308, 1e308",
        ),
        (
            LiveSettings {
                cost: CostModel::linear(1e308, 0.3),
                ..settings("splitee")
            },
            "cost.lambda: is 1e308",
        ),
    ] {
        let message = LiveLearner::new(&bad, 4, false).unwrap_err().to_string();
        assert!(message.contains(expected), "{message}");
    }
    // The split arms do not use the grid.
    let splits = LiveSettings {
        thresholds: vec![],
        ..settings("splitee")
    };
    assert!(LiveLearner::new(&splits, 4, false).is_ok());
}

#[test]
fn a_state_is_saved_between_samples_only() {
    let mut learner = LiveLearner::new(&settings("splitee-s:unbiased"), 4, false).unwrap();
    learner.choose();
    assert_eq!(learner.state_json().unwrap_err(), LiveError::Pending);
    learner
        .observe(&Observed {
            conf: &[0.1, 0.2, 0.3, 0.4],
            cost: None,
        })
        .unwrap();
    let text = learner.state_json().unwrap();
    let back = LiveLearner::from_state_json(
        &settings("splitee-s:unbiased"),
        text.as_bytes(),
        Path::new("s"),
    )
    .unwrap();
    assert_eq!(back.state_json().unwrap(), text);
    assert_eq!(back.config().probe, Some(0.5));
}

/// `steps` decisions on confidences drawn from `seed`.
fn drive(learner: &mut LiveLearner, steps: usize, seed: u64) {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..steps {
        // Only per-context policies read the context.
        learner
            .sense_context(Some(["clean", "noise", "blur"][rng.random_range(0..3)]))
            .unwrap();
        learner.choose();
        let conf: Vec<f64> = (0..learner.exits()).map(|_| rng.random::<f64>()).collect();
        learner
            .observe(&Observed {
                conf: &conf,
                cost: None,
            })
            .unwrap();
    }
}

/// A state file holds what the policy learned, never its settings (the file's `config`
/// fingerprints them); a file that also holds them, as files written before did, loads
/// and continues the same.
#[test]
fn states_hold_what_was_learned_and_older_files_still_load() {
    use serde_json::Value;
    let settings_keys = [
        "c",
        "side",
        "range",
        "bonus",
        "window",
        "gamma",
        "eta",
        "sigma",
        "exploration",
        "arms",
    ];
    for name in [
        "splitee-s",
        "joint-ucb",
        "kl-ucb+s",
        "ucb-v",
        "thompson+s",
        "eps-greedy:0.2",
        "exp3:0.2",
        "sw-ucb:7+s",
        "d-ucb:0.9",
        "ucb-bwk",
        "m-ucb:6:0.2",
        "random",
        "random-run",
        "fixed:2",
        "per-context:splitee-s",
        "per-context-shared:thompson+s",
    ] {
        let settings = settings(name);
        let mut learner = LiveLearner::new(&settings, 4, false).unwrap();
        drive(&mut learner, 40, 1);
        let text = learner.state_json().unwrap();
        let mut file: Value = serde_json::from_str(&text).unwrap();
        let policy = file["learner"]["policy"].as_object_mut().unwrap();
        assert_eq!(policy.len(), 1, "{name}");
        let learned = policy.values_mut().next().unwrap();
        match learned {
            Value::Object(fields) => {
                for key in settings_keys {
                    assert!(!fields.contains_key(key), "{name}: {key}");
                }
                // What files written before held besides.
                fields.insert("c".into(), Value::from(1.0));
                fields.insert("side".into(), Value::from("Shallower"));
                fields.insert("range".into(), serde_json::json!({"lo": 0.0, "width": 1.0}));
            }
            Value::Null => *learned = Value::from(1),
            other => panic!("{name}: {other}"),
        }
        let older = serde_json::to_string_pretty(&file).unwrap();
        let mut back =
            LiveLearner::from_state_json(&settings, older.as_bytes(), Path::new("s")).unwrap();
        assert_eq!(back.state_json().unwrap(), text, "{name}");
        drive(&mut learner, 30, 2);
        drive(&mut back, 30, 2);
        assert_eq!(
            back.state_json().unwrap(),
            learner.state_json().unwrap(),
            "{name}"
        );
    }
}
