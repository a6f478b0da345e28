//! The committed transformer traces (`datasets/minilm-*.csv`, made by
//! `examples/text_to_trace.py`) and their cost profiles: shapes, measured costs, and each exit's
//! accuracy as `datasets/README.md` states it.

mod common;

use splitee::cost::ProfileCost;
use splitee::trace::{load, Trace};

const EXITS: usize = 6;
const HIDDEN_BYTES: f64 = 384.0 * 4.0;

/// One committed set: its name, sample count and correct predictions per exit (the accuracies
/// `datasets/README.md` gives, as counts so that the check is exact).
struct TextTrace {
    name: &'static str,
    samples: usize,
    correct: [usize; EXITS],
}

const TRACES: [TextTrace; 5] = [
    TextTrace {
        name: "sst2-dev",
        samples: 872,
        correct: SST2_DEV_CORRECT,
    },
    TextTrace {
        name: "imdb",
        samples: 2000,
        correct: IMDB_CORRECT,
    },
    TextTrace {
        name: "airline",
        samples: 2000,
        correct: AIRLINE_CORRECT,
    },
    TextTrace {
        name: "amazon-books",
        samples: 2000,
        correct: BOOKS_CORRECT,
    },
    TextTrace {
        name: "amazon-electronics",
        samples: 2000,
        correct: ELECTRONICS_CORRECT,
    },
];

const SST2_DEV_CORRECT: [usize; EXITS] = [697, 736, 765, 779, 779, 779];
const IMDB_CORRECT: [usize; EXITS] = [1515, 1535, 1593, 1642, 1648, 1652];
const AIRLINE_CORRECT: [usize; EXITS] = [1398, 1391, 1454, 1518, 1554, 1546];
const BOOKS_CORRECT: [usize; EXITS] = [1525, 1608, 1670, 1693, 1707, 1708];
const ELECTRONICS_CORRECT: [usize; EXITS] = [1412, 1458, 1475, 1534, 1579, 1576];

fn dataset(file: &str) -> std::path::PathBuf {
    common::manifest().join("datasets").join(file)
}

#[test]
fn text_traces_have_six_labelled_binary_exits_with_measured_costs() {
    for t in &TRACES {
        let trace = load(&dataset(&format!("minilm-{}.csv", t.name))).unwrap();
        assert_eq!(trace.samples(), t.samples, "{}", t.name);
        assert_eq!(trace.exits(), EXITS, "{}", t.name);
        assert_eq!(trace.classes(), 2, "{}", t.name);
        assert!(trace.is_labeled() && trace.has_costs(), "{}", t.name);
        for s in 0..trace.samples() {
            for k in 0..EXITS {
                let conf = trace.conf(s, k);
                // Two classes: the top softmax probability is at least one half.
                assert!(
                    (0.5..=1.0).contains(&conf),
                    "{} sample {s} exit {k}: {conf}",
                    t.name
                );
                let ms = trace.cost(s, k).unwrap();
                assert!(
                    ms > 0.0 && ms < 10_000.0,
                    "{} sample {s} exit {k}: {ms} ms",
                    t.name
                );
            }
        }
    }
}

/// How many labelled samples each exit predicts right.
fn correct_per_exit(trace: &Trace) -> Vec<usize> {
    (0..EXITS)
        .map(|k| {
            (0..trace.samples())
                .filter(|&s| Some(trace.pred(s, k)) == trace.label(s))
                .count()
        })
        .collect()
}

#[test]
fn text_trace_accuracies_per_exit_are_those_stated_in_the_provenance() {
    for t in &TRACES {
        let trace = load(&dataset(&format!("minilm-{}.csv", t.name))).unwrap();
        let correct = correct_per_exit(&trace);
        assert_eq!(correct, t.correct, "{}", t.name);
    }
}

/// The fine-tuned backbone's point (issue 17): on SST-2 dev no exit is less accurate than the
/// one before it, and accuracy rises at every exit through exit 4. (The frozen backbone failed
/// this: its exit 6 was below its exit 3; 0.38 epochs of fine-tuning left exits 5 and 6 below
/// exit 4.) Exits 4 to 6 are level, 779 of 872 each, as `datasets/README.md` states.
#[test]
fn sst2_dev_accuracy_never_falls_with_depth() {
    let trace = load(&dataset("minilm-sst2-dev.csv")).unwrap();
    let correct = correct_per_exit(&trace);
    assert!(
        correct.windows(2).all(|w| w[0] <= w[1]),
        "correct per exit {correct:?}"
    );
    assert!(correct[..4].windows(2).all(|w| w[0] < w[1]), "{correct:?}");
}

#[test]
fn text_profiles_price_a_transformer_split() {
    for t in &TRACES {
        let path = dataset(&format!("minilm-{}.profile.json", t.name));
        let profile = ProfileCost::load(&path, 1.0, 1.0, 1.0).unwrap();
        assert_eq!(profile.exits(), EXITS, "{}", t.name);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mean_tokens = json["mean_tokens"].as_f64().unwrap();
        assert!((2.0..=128.0).contains(&mean_tokens), "{}", t.name);
        // Every split but the last sends every token's hidden state (float32), the last nothing.
        let expected = (mean_tokens * HIDDEN_BYTES).round();
        for (k, bytes) in profile.bytes_sent[..EXITS - 1].iter().enumerate() {
            assert!((bytes - expected).abs() <= 1.0, "{} split {k}", t.name);
        }
        assert_eq!(profile.bytes_sent[EXITS - 1], 0.0);
        assert_eq!(profile.cloud_macs[EXITS - 1], 0.0);
        // Equal layers: device MACs grow by one layer per split, cloud MACs shrink by as much.
        let layer = profile.device_macs[1] - profile.device_macs[0];
        assert!(layer > 0.0);
        let head = 384.0 * 2.0;
        let whole_network = profile.device_macs[EXITS - 1] + head;
        let splits = profile.device_macs.windows(2).zip(&profile.cloud_macs);
        for (k, (device, cloud)) in splits.enumerate() {
            assert!(
                (device[1] - device[0] - layer).abs() <= 1.0,
                "{} split {k}",
                t.name
            );
            // Device and cloud together run the whole network and two heads (the split's exit
            // and the final one).
            let both = device[0] + cloud;
            assert!((both - whole_network).abs() <= 2.0, "{} split {k}", t.name);
        }
        // A layer over T tokens: 4 H^2 + 2 H I per token (projections, feed-forward) plus the
        // attention's 2 T H; so at least the linear part at the mean token count.
        let linear = mean_tokens * (4.0 * 384.0 * 384.0 + 2.0 * 384.0 * 1536.0);
        assert!(layer >= linear - 1.0, "{}: {layer} < {linear}", t.name);
    }
}
