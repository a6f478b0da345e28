//! Fuzzing the learner-state parser: saved states of every kind of policy, damaged at random
//! (bytes changed, inserted, removed, truncated; JSON values replaced, arrays grown or shrunk,
//! keys dropped or added, numbers pushed to extremes), are loaded back. No input may panic:
//! each is refused with one line naming the file, or accepted, and then the learner must run
//! on without panicking. Seeded and bounded; `SPLITEE_FUZZ_CASES` sets the number of cases
//! and `SPLITEE_FUZZ_SEED` the seed.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};
use splitee::cost::CostModel;
use splitee::live::{LiveLearner, LiveSettings, Observed, StateError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

const EXITS: usize = 5;

fn settings(policy: &str) -> LiveSettings {
    LiveSettings {
        cost: CostModel::linear(0.1, 0.3),
        thresholds: vec![0.6, 0.8],
        probe: 0.2,
        seed: 4,
        ..LiveSettings::new(policy.parse().unwrap())
    }
}

/// `steps` decisions on random confidences (as many as the learner's exits: an accepted state
/// may be one of another network, as its file says).
fn drive(learner: &mut LiveLearner, steps: usize, rng: &mut ChaCha8Rng) {
    for _ in 0..steps {
        learner.choose();
        let conf: Vec<f64> = (0..learner.exits()).map(|_| rng.random::<f64>()).collect();
        learner
            .observe(&Observed {
                conf: &conf,
                cost: None,
            })
            .expect("full confidences are always enough");
    }
}

const POLICIES: [&str; 18] = [
    "splitee",
    "splitee-s",
    "splitee-s:unbiased",
    "joint-ucb",
    "threshold:2:kl-ucb+s",
    "ucb-v+s",
    "ucb-tuned",
    "thompson+s",
    "eps-greedy:decay+s",
    "exp3:0.2",
    "exp3-ix:0.1",
    "sw-ucb:7+s",
    "d-ucb:0.9",
    "random",
    "random-run",
    "device-ee",
    "fixed:3",
    "final-exit",
];

/// A random node of `value` (depth-first, each child entered with probability 2/3), replaced
/// by `replace`.
fn mutate_node(
    value: &mut Value,
    rng: &mut ChaCha8Rng,
    replace: &mut dyn FnMut(&mut Value, &mut ChaCha8Rng),
) {
    let children = match value {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    if children == 0 || rng.random_range(0..3) == 0 {
        replace(value, rng);
        return;
    }
    let i = rng.random_range(0..children);
    match value {
        Value::Array(a) => mutate_node(&mut a[i], rng, replace),
        Value::Object(o) => {
            if let Some((_, child)) = o.iter_mut().nth(i) {
                mutate_node(child, rng, replace);
            }
        }
        _ => {}
    }
}

fn random_value(rng: &mut ChaCha8Rng, like: &Value) -> Value {
    match rng.random_range(0..16) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => Value::from(rng.random::<u64>()),
        3 => Value::from(u64::MAX),
        4 => Value::from(-rng.random_range(0..1000i64)),
        5 => Value::from(1u64 << 53),
        6 => Value::from(rng.random::<f64>() * 2.0 - 0.5),
        7 => Value::from(1e308),
        8 => Value::from(-1e308),
        9 => Value::from(5e-324),
        10 => Value::from("nonsense"),
        11 => Value::Array(Vec::new()),
        12 => Value::Object(Map::new()),
        13 => match like {
            Value::Number(n) => Value::from(n.as_f64().unwrap_or(0.0) + 1.0),
            other => other.clone(),
        },
        14 => Value::from(0),
        _ => match like {
            Value::Number(n) => Value::from(-n.as_f64().unwrap_or(1.0)),
            other => other.clone(),
        },
    }
}

/// One damaged copy of `text`.
fn damage(text: &str, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    match rng.random_range(0..10) {
        // Bytes.
        0 => {
            for _ in 0..rng.random_range(1..8) {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
        }
        1 => {
            let i = rng.random_range(0..=bytes.len());
            bytes.insert(i, rng.random());
        }
        2 => {
            let i = rng.random_range(0..bytes.len());
            let end = (i + rng.random_range(1..64)).min(bytes.len());
            bytes.drain(i..end);
        }
        3 => bytes.truncate(rng.random_range(0..bytes.len())),
        // JSON values.
        kind => {
            let mut value: Value = serde_json::from_str(text).unwrap();
            let mut replace = |node: &mut Value, rng: &mut ChaCha8Rng| match (kind, &mut *node) {
                (4 | 5, _) => *node = random_value(rng, node),
                (6, Value::Array(a)) if !a.is_empty() => {
                    let i = rng.random_range(0..a.len());
                    let copy = a[i].clone();
                    a.insert(i, copy);
                }
                (7, Value::Array(a)) if !a.is_empty() => {
                    a.remove(rng.random_range(0..a.len()));
                }
                (8, Value::Object(o)) if !o.is_empty() => {
                    let key = o.keys().nth(rng.random_range(0..o.len())).cloned();
                    if let Some(key) = key {
                        o.remove(&key);
                    }
                }
                (9, Value::Object(o)) => {
                    o.insert("extra".into(), Value::from(1));
                }
                _ => *node = random_value(rng, node),
            };
            mutate_node(&mut value, rng, &mut replace);
            bytes = serde_json::to_vec_pretty(&value).unwrap();
        }
    }
    bytes
}

#[test]
fn no_state_file_makes_the_loader_or_the_learner_panic() {
    let cases: usize = std::env::var("SPLITEE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed: u64 = std::env::var("SPLITEE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2024);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Saved states of every policy, fresh, young and older.
    let mut bases = Vec::new();
    for policy in POLICIES {
        let settings = settings(policy);
        for steps in [0, 3, 40, 300] {
            let mut learner = LiveLearner::new(&settings, EXITS, false).unwrap();
            drive(&mut learner, steps, &mut rng);
            let text = learner.state_json().unwrap();
            // Every saved state loads back as it was.
            let back =
                LiveLearner::from_state_json(&settings, text.as_bytes(), Path::new("s.json"))
                    .unwrap_or_else(|e| panic!("{policy} after {steps}: {e}"));
            assert_eq!(back.state_json().unwrap(), text, "{policy} after {steps}");
            bases.push((settings.clone(), text));
        }
    }

    let path = Path::new("fuzzed-state.json");
    let (mut refused, mut accepted, mut panics) = (0usize, 0usize, Vec::new());
    for case in 0..cases {
        let (settings, text) = &bases[rng.random_range(0..bases.len())];
        let bytes = damage(text, &mut rng);
        let mut steps_rng = ChaCha8Rng::seed_from_u64(case as u64);
        let result = catch_unwind(AssertUnwindSafe(|| {
            match LiveLearner::from_state_json(settings, &bytes, path) {
                Ok(mut learner) => {
                    drive(&mut learner, 30, &mut steps_rng);
                    learner.state_json().is_ok()
                }
                Err(e) => {
                    let message = e.to_string();
                    assert!(!message.contains('\n'), "{message}");
                    assert!(message.starts_with("fuzzed-state.json: "), "{message}");
                    assert!(!matches!(
                        e,
                        StateError::Read { .. } | StateError::Write { .. }
                    ));
                    false
                }
            }
        }));
        match result {
            Ok(true) => accepted += 1,
            Ok(false) => refused += 1,
            Err(_) => panics.push(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
    // Written to the process's standard error, which the test harness does not capture, so
    // the count shows in every run.
    let report = format!(
        "state fuzz: {cases} cases (seed {seed}): {refused} refused, {accepted} accepted and run \
         30 steps, {} panics\n",
        panics.len()
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes());
    assert!(
        panics.is_empty(),
        "{} inputs panicked; the first:\n{}",
        panics.len(),
        panics[0]
    );
    assert!(
        refused > cases / 2 && accepted > 0,
        "{refused} refused, {accepted} accepted"
    );
}
