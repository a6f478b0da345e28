//! UEE-UCB on prediction-only traces: the three formats without confidences, the refusals of
//! what needs confidences, decisions pinned on a hand-computed example, and the exit learned on
//! the project's MNIST predictions.

mod common;

use common::{manifest, splitee, succeed, succeed_json};
use ndarray::{Array1, Array2};
use ndarray_npy::NpzWriter;
use serde_json::Value;
use splitee::trace::{self, write_csv};
use std::path::Path;

/// Predictions of exits 1..3 and labels of the small trace used below.
const PREDICTIONS: [([u32; 3], u32); 4] = [
    ([0, 1, 1], 1),
    ([2, 2, 2], 2),
    ([1, 1, 0], 0),
    ([0, 0, 0], 3),
];

fn write_prediction_only(dir: &Path) -> [std::path::PathBuf; 3] {
    let csv = dir.join("p.csv");
    let mut text = String::from("label,pred_1,pred_2,pred_3\n");
    let mut jsonl = String::new();
    for (pred, label) in PREDICTIONS {
        text.push_str(&format!("{label},{},{},{}\n", pred[0], pred[1], pred[2]));
        jsonl.push_str(&format!(
            "{{\"pred\":[{},{},{}],\"label\":{label}}}\n",
            pred[0], pred[1], pred[2]
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let json = dir.join("p.jsonl");
    std::fs::write(&json, jsonl).unwrap();
    let npz = dir.join("p.npz");
    let mut writer = NpzWriter::new(std::fs::File::create(&npz).unwrap());
    let pred = Array2::from_shape_fn((4, 3), |(s, k)| i64::from(PREDICTIONS[s].0[k]));
    let label = Array1::from_shape_fn(4, |s| i64::from(PREDICTIONS[s].1));
    writer.add_array("pred", &pred).unwrap();
    writer.add_array("label", &label).unwrap();
    writer.finish().unwrap();
    [csv, json, npz]
}

#[test]
fn prediction_only_traces_read_alike_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for path in write_prediction_only(dir.path()) {
        let t = trace::load(&path).unwrap();
        assert!(!t.has_confidences(), "{}", path.display());
        assert_eq!((t.samples(), t.exits(), t.classes()), (4, 3, 4));
        for (s, (pred, label)) in PREDICTIONS.iter().enumerate() {
            let sample = t.sample(s);
            assert_eq!(sample.pred, pred.to_vec());
            assert_eq!(sample.label, Some(*label));
            assert!(sample.conf.is_empty());
        }
    }
    // Written back, a prediction-only trace keeps its columns.
    let t = trace::load(&dir.path().join("p.npz")).unwrap();
    let mut out = Vec::new();
    write_csv(&mut out, (0..t.samples()).map(|s| t.sample(s))).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().next(), Some("label,pred_1,pred_2,pred_3"));
    assert_eq!(text.lines().nth(1), Some("1,0,1,1"));
}

#[test]
fn rows_with_and_without_confidences_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(
        &path,
        "{\"pred\":[0,1]}\n{\"conf\":[0.5,0.9],\"pred\":[0,1]}\n",
    )
    .unwrap();
    assert_eq!(
        trace::load(&path).unwrap_err().to_string(),
        format!(
            "{}: line 2: column conf: is given but earlier rows have no confidences (a \
             prediction-only trace has none in any row)",
            path.display()
        )
    );
}

fn refusal(args: &[&str], trace: &Path) -> String {
    let output = splitee()
        .arg("run")
        .arg("--trace")
        .arg(trace)
        .args(args)
        .output()
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn what_needs_confidences_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let [csv, ..] = write_prediction_only(dir.path());
    assert_eq!(
        refusal(&["--policy", "splitee-s"], &csv),
        format!(
            "splitee: {}: the trace holds predictions only (no conf_k), and the `splitee` reward \
             reads confidences; learn the exit from predictions with --reward disagreement and \
             a policy such as uee-ucb\n",
            csv.display()
        )
    );
    assert_eq!(
        refusal(&["--reward", "disagreement", "--policy", "device-ee"], &csv),
        "splitee: policy `device-ee` reads confidences or thresholds, which the `disagreement` \
         reward does not use (its device answers at the exit it runs to); use policies over \
         the exits: uee-ucb, splitee-s, final-exit, fixed:K, random, best-fixed, ...\n"
    );
}

/// The 1-based exits `uee-ucb` plays on `trace` under the disagreement reward, in the given
/// order, one run, with the costs of `config`.
fn uee_decisions(trace: &Path, config: &Path) -> Vec<u64> {
    let dir = tempfile::tempdir().unwrap();
    let decisions = dir.path().join("d.jsonl");
    succeed(
        splitee()
            .args(["run", "--policy", "uee-ucb", "--reward", "disagreement"])
            .args(["--order", "given", "--runs", "1", "--json"])
            .arg("--trace")
            .arg(trace)
            .arg("--config")
            .arg(config)
            .arg("--decisions")
            .arg(&decisions),
    );
    std::fs::read_to_string(&decisions)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["arm"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// Eight samples, three exits at backbone layers 1, 6 and 12 under CS-1: `c = (1/12, 6/12,
/// 12/12)`, so `c_1 - c_j = (0, -5/12, -11/12)`. Predictions (exit 1, 2, 3): (0,1,1), (0,0,0),
/// (1,1,0), (2,2,2), (0,1,1), (1,1,1), (0,0,1), (2,2,2). Index of exit j at round t:
/// `P_1j + c_1 - c_j + sqrt(ln(t+1)/N_j)`; playing j observes exits 1..j.
///
/// - t=0: the deepest exit, 3; observes D = (0,1,1), N = (1,1,1).
/// - t=1: ln 2 = 0.6931; indices 0 + 0.8326 = 0.8326, 1 - 0.4167 + 0.8326 = 1.4159,
///   1 - 0.9167 + 0.8326 = 0.9159: exit 2 (sample (0,0,0): N = (2,2,1), D = (0,1,1)).
/// - t=2: ln 3 = 1.0986; 0 + 0.7412, 0.5 - 0.4167 + 0.7412 = 0.8245, 1 - 0.9167 + 1.0481 =
///   1.1315: exit 3 (sample (1,1,0): D_13 + 1; N = (3,3,2), D = (0,1,2)).
/// - t=3: ln 4 = 1.3863; 0.6798, 0.3333 - 0.4167 + 0.6798 = 0.5964, 1 - 0.9167 + 0.8326 =
///   0.9159: exit 3 (sample (2,2,2): N = (4,4,3), D = (0,1,2)).
/// - t=4: ln 5 = 1.6094; 0.6343, 0.25 - 0.4167 + 0.6343 = 0.4677, 0.6667 - 0.9167 + 0.7324 =
///   0.4824: exit 1 (N = (5,4,3)).
/// - t=5: ln 6 = 1.7918; 0.5986, 0.25 - 0.4167 + 0.6693 = 0.5026, 0.6667 - 0.9167 + 0.7728 =
///   0.5228: exit 1 (N = (6,4,3)).
/// - t=6: ln 7 = 1.9459; 0.5695, 0.25 - 0.4167 + 0.6975 = 0.5308, 0.6667 - 0.9167 + 0.8054 =
///   0.5554: exit 1 (N = (7,4,3)).
/// - t=7: ln 8 = 2.0794; 0.5450, 0.25 - 0.4167 + 0.7210 = 0.5543, 0.6667 - 0.9167 + 0.8326 =
///   0.5826: exit 3.
#[test]
fn uee_ucb_decisions_match_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("hand.csv");
    let rows = [
        [0, 1, 1],
        [0, 0, 0],
        [1, 1, 0],
        [2, 2, 2],
        [0, 1, 1],
        [1, 1, 1],
        [0, 0, 1],
        [2, 2, 2],
    ];
    let mut text = String::from("pred_1,pred_2,pred_3\n");
    for r in rows {
        text.push_str(&format!("{},{},{}\n", r[0], r[1], r[2]));
    }
    std::fs::write(&trace, text).unwrap();
    let config = dir.path().join("cs1.toml");
    std::fs::write(&config, "[cost]\nmodel = \"cs1\"\ndepths = [1, 6, 12]\n").unwrap();
    assert_eq!(uee_decisions(&trace, &config), [3, 2, 3, 3, 1, 1, 1, 3]);
}

/// Per exit, the error rate on the labeled samples of a `label,pred_1..pred_L` CSV, read here
/// independently of the trace readers.
fn error_rates(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let exits = lines.next().unwrap().split(',').count() - 1;
    let (mut wrong, mut samples) = (vec![0usize; exits], 0usize);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        samples += 1;
        for k in 0..exits {
            wrong[k] += usize::from(cells[k + 1] != cells[0]);
        }
    }
    wrong.iter().map(|&w| w as f64 / samples as f64).collect()
}

/// On the project's MNIST predictions (`datasets/predictions-mnist-dense.csv`) under CS-1 at
/// depths 1..3, the exit UEE-UCB learns, in every run, is the notebook's optimum: the exit
/// minimising `cost + error` (error rates 0.0307, 0.0300, 0.0287, so scores 0.1140, 0.1967,
/// 0.2787: exit 1).
#[test]
fn uee_ucb_learns_the_exit_minimising_cost_plus_error_on_mnist() {
    let trace = manifest().join("datasets/predictions-mnist-dense.csv");
    let errors = error_rates(&trace);
    let scores: Vec<f64> = (0..errors.len())
        .map(|k| (k + 1) as f64 / 12.0 + errors[k])
        .collect();
    let optimum = (0..scores.len())
        .min_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap()
        + 1;
    assert_eq!(optimum, 1, "{scores:?}");
    let report = succeed_json(
        splitee()
            .args(["run", "--policy", "uee-ucb", "--policy", "final-exit"])
            .args(["--reward", "disagreement", "--cost-model", "cs1"])
            .args(["--runs", "20", "--seed", "1", "--json", "--trace"])
            .arg(&trace),
    );
    let uee = &report["results"][0];
    assert_eq!(uee["policy"], "uee-ucb");
    assert_eq!(uee["learned_arm"], optimum);
    assert_eq!(uee["best_arm"], optimum);
    // Exploring included, under half the final exit's cost of 3/12 (exit 1 alone costs 1/12).
    let cost = uee["cost_per_sample"]["mean"].as_f64().unwrap();
    assert!(cost < 0.125, "{cost}");
    let final_exit = &report["results"][1];
    assert_eq!(final_exit["cost_per_sample"]["mean"].as_f64(), Some(0.25));
}

#[test]
fn inspect_reports_strong_dominance_on_mnist_predictions() {
    let trace = manifest().join("datasets/predictions-mnist-dense.csv");
    let text = succeed(splitee().args(["inspect", "--trace"]).arg(&trace));
    assert!(
        text.contains("3000 samples, 3 exits, 10 classes, labeled, no costs, predictions only"),
        "{text}"
    );
    // 2892, 72, 17 and 19 of the 3000 samples.
    assert!(
        text.contains(
            "strong dominance (labeled samples): all exits right 0.9640, all wrong 0.0240, \
             right then wrong deeper 0.0057 (violations), wrong then right 0.0063"
        ),
        "{text}"
    );
}
