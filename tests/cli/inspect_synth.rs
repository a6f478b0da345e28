//! The `inspect` and `synth` commands.

use super::*;
use crate::common::{shared_trace, succeed};

#[test]
fn inspect_lists_every_exit_of_sst2() {
    let Some(sst2) = shared_trace(SST2) else {
        return;
    };
    let table = inspect_table(&sst2);
    assert!(table.contains("872 samples, 12 exits"), "{table}");
    let exit_rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| cells.first().is_some_and(|c| c.parse::<usize>().is_ok()))
        .collect();
    assert_eq!(exit_rows.len(), SST2_EXITS);
    assert_eq!(exit_rows[11][..2], ["12", "0.9025"]);

    let json = inspect_json(&sst2);
    assert_eq!(json["samples"], SST2_SAMPLES);
    assert_eq!(json["per_exit"].as_array().unwrap().len(), SST2_EXITS);
    assert_close(
        json["per_exit"][11]["accuracy"].as_f64().unwrap(),
        0.9025,
        1e-4,
    );
}

/// `splitee inspect --trace PATH`'s table.
fn inspect_table(path: &std::path::Path) -> String {
    succeed(splitee().arg("inspect").arg("--trace").arg(path))
}

/// `splitee inspect --json --trace PATH`.
fn inspect_json(path: &std::path::Path) -> Value {
    succeed_json(splitee().args(["inspect", "--json", "--trace"]).arg(path))
}

const SYNTH_ARGS: [&str; 9] = [
    "synth",
    "--samples",
    "50",
    "--exits",
    "4",
    "--classes",
    "3",
    "--seed",
    "9",
];

fn synth_to(path: &Path) -> Vec<u8> {
    succeed(splitee().args(SYNTH_ARGS).arg("--out").arg(path));
    std::fs::read(path).unwrap()
}

#[test]
fn synth_writes_a_trace_inspect_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    synth_to(&path);
    let json = inspect_json(&path);
    assert_eq!(
        (&json["samples"], &json["exits"], &json["classes"]),
        (&Value::from(50), &Value::from(4), &Value::from(3))
    );
    let table = inspect_table(&path);
    assert!(table.contains("50 samples, 4 exits, 3 classes"), "{table}");
}

#[test]
fn synth_same_seed_gives_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = synth_to(&dir.path().join("a.csv"));
    assert_eq!(first, synth_to(&dir.path().join("b.csv")));
    let mut other_seed = SYNTH_ARGS;
    other_seed[8] = "10";
    let different = succeed(splitee().args(other_seed));
    assert_ne!(first, different.into_bytes());
}

#[test]
fn synth_jsonl_to_stdout_has_one_line_per_sample() {
    let stdout = succeed(splitee().args(SYNTH_ARGS).args(["--format", "jsonl"]));
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 50);
    assert!(lines
        .iter()
        .all(|s| s["conf"].as_array().map(Vec::len) == Some(4)));
}

/// A trace's optional `context` and `arrival` columns: `inspect` counts the distinct contexts
/// (named in order of first appearance) and gives the arrival times' span; a trace without them
/// gets neither line.
#[test]
fn inspect_reports_contexts_and_arrivals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timed.csv");
    std::fs::write(
        &path,
        "conf_1,pred_1,conf_2,pred_2,label,context,arrival\n\
         0.9,1,0.95,1,1,noise,0.25\n\
         0.4,0,0.8,1,1,clean,0.5\n\
         0.7,1,0.9,1,0,noise,0.5\n\
         0.6,0,0.7,0,0,blur,3.75\n",
    )
    .unwrap();
    let table = inspect_table(&path);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[lines.len() - 2..],
        [
            "contexts: 3 distinct (noise, clean, blur)",
            "arrivals: from 0.250 s to 3.750 s, a span of 3.500 s",
        ],
        "{table}"
    );
    let json = inspect_json(&path);
    assert_eq!(
        json["contexts"],
        serde_json::json!(["noise", "clean", "blur"])
    );
    assert_eq!(
        json["arrivals"],
        serde_json::json!({"first": 0.25, "last": 3.75})
    );

    let plain = dir.path().join("plain.csv");
    synth_to(&plain);
    let table = inspect_table(&plain);
    assert!(
        !table.contains("contexts:") && !table.contains("arrivals:"),
        "{table}"
    );
    let json = inspect_json(&plain);
    assert!(
        json["contexts"].is_null() && json["arrivals"].is_null(),
        "{json}"
    );
}
