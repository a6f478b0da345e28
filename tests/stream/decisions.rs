//! A stream decides exactly as a one-run replay of the same samples in the given order.

use crate::{jsonl, lines, samples, splitee, stderr, write_file};
use serde_json::Value;
use std::path::Path;

/// The fields a stream decision shares with a `run --decisions` line.
const SHARED: [&str; 11] = [
    "t",
    "arm",
    "threshold",
    "propensity",
    "offloaded",
    "probed",
    "probe_probability",
    "reward",
    "cost",
    "prediction",
    "correct",
];

fn shared(v: &Value) -> Vec<Option<Value>> {
    SHARED.iter().map(|k| v.get(k).cloned()).collect()
}

#[test]
fn stream_decides_as_a_one_run_replay_in_the_given_order() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write_file(dir.path(), "t.jsonl", &jsonl(&samples(1500, 6, 11, false)));
    let costly = write_file(dir.path(), "c.jsonl", &jsonl(&samples(800, 4, 12, true)));
    let cases: Vec<(&Path, Vec<&str>)> = vec![
        (&plain, vec!["--policy", "splitee"]),
        (&plain, vec!["--policy", "splitee-s"]),
        (
            &plain,
            vec!["--policy", "splitee-s:unbiased", "--probe", "0.2"],
        ),
        (
            &plain,
            vec!["--policy", "joint-ucb", "--thresholds", "0.6,0.8,0.9"],
        ),
        (&plain, vec!["--policy", "joint:thompson+s:unbiased"]),
        (&plain, vec!["--policy", "threshold:3:ucb-tuned+s"]),
        (&plain, vec!["--policy", "alpha:0.8:kl-ucb+s"]),
        (&plain, vec!["--policy", "ucb-v+s", "--offload-cost", "0.2"]),
        (&plain, vec!["--policy", "ucb1:0.5"]),
        (&plain, vec!["--policy", "exp3:0.1"]),
        (&plain, vec!["--policy", "exp3-ix:0.05"]),
        (&plain, vec!["--policy", "eps-greedy:decay+s"]),
        (&plain, vec!["--policy", "sw-ucb:100+s"]),
        (&plain, vec!["--policy", "d-ucb:0.99"]),
        (&plain, vec!["--policy", "random"]),
        (&plain, vec!["--policy", "random-run"]),
        (&plain, vec!["--policy", "device-ee"]),
        (&plain, vec!["--policy", "final-exit"]),
        (&plain, vec!["--policy", "fixed:2"]),
        (
            &plain,
            vec!["--policy", "splitee-s", "--reward", "confidence-gain"],
        ),
        (
            &costly,
            vec![
                "--policy",
                "splitee-s",
                "--cost-model",
                "measured",
                "--mu",
                "0.05",
            ],
        ),
        (
            &costly,
            vec![
                "--policy",
                "eps-greedy:0.1+s:unbiased",
                "--cost-model",
                "measured",
            ],
        ),
    ];
    for (trace, args) in cases {
        let decisions = dir.path().join("d.jsonl");
        let trace_arg = trace.to_str().unwrap();
        let mut run_args = vec![
            "run", "--trace", trace_arg, "--order", "given", "--runs", "1",
        ];
        run_args.extend(["--seed", "5", "--decisions", decisions.to_str().unwrap()]);
        run_args.extend(&args);
        let run = splitee().args(&run_args).output().unwrap();
        assert!(run.status.success(), "{args:?}: {}", stderr(&run));
        let replayed: Vec<Value> = std::fs::read_to_string(&decisions)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();

        let mut stream_args = vec!["stream", trace_arg, "--seed", "5"];
        stream_args.extend(&args);
        let streamed = splitee().args(&stream_args).output().unwrap();
        assert!(streamed.status.success(), "{args:?}: {}", stderr(&streamed));
        let streamed = lines(&streamed);
        assert_eq!(streamed.len(), replayed.len(), "{args:?}");
        let mut total = 0.0;
        for (s, (a, b)) in streamed.iter().zip(&replayed).enumerate() {
            assert_eq!(shared(a), shared(b), "{args:?}: decision {s}");
            assert_eq!(a["sample"], s as u64);
            // Every decision records a probability, the same live as replayed.
            let propensity = a["propensity"].as_f64().unwrap();
            assert!(
                propensity > 0.0 && propensity <= 1.0,
                "{args:?}: {propensity}"
            );
            total += a["cost"].as_f64().unwrap();
            let running = a["total_cost"].as_f64().unwrap();
            assert!((running - total).abs() < 1e-9 * total.max(1.0), "{args:?}");
        }
        // Something was learned: the learners do not all play one arm.
        if args[1].contains("splitee") {
            let arms: std::collections::HashSet<String> =
                streamed.iter().map(|v| v["arm"].to_string()).collect();
            assert!(arms.len() > 1, "{args:?}");
        }
    }
}
