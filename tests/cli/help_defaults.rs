//! Help and defaults: `--version`, `--help`, the defaults help states, the embedded trace and
//! the example configuration.

use super::*;
use crate::common::{manifest, succeed, EXAMPLE_CONFIG_POLICIES};
use predicates::prelude::*;

#[test]
fn version_and_run_help_succeed() {
    splitee()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "splitee {}",
            env!("CARGO_PKG_VERSION")
        )));
    splitee()
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--trace"))
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("splitee run --trace "));
}

/// Each flag of `splitee COMMAND --help` with its help paragraph on one line.
fn flag_helps(command: &str) -> Vec<(String, String)> {
    let out = succeed(splitee().args([command, "--help"]));
    let mut flags: Vec<(String, String)> = Vec::new();
    let mut in_paragraph = false;
    for line in out.lines() {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        if indent <= 6 && text.starts_with("--") {
            let flag = text.split_whitespace().next().unwrap_or_default();
            flags.push((flag.to_owned(), String::new()));
            in_paragraph = true;
        } else if text.is_empty() {
            in_paragraph = false;
        } else if let (true, Some((_, help))) = (in_paragraph, flags.last_mut()) {
            if !help.is_empty() {
                help.push(' ');
            }
            help.push_str(text);
        }
    }
    flags
}

/// The value a help paragraph states as its default (`Default X` or `default X`), if any.
fn stated_default(help: &str) -> Option<String> {
    let at = help.find("Default ").or_else(|| help.find("default "))?;
    let word = help[at + "Default ".len()..].split_whitespace().next()?;
    Some(word.trim_end_matches(['.', ',', ')', ':', ';']).to_owned())
}

/// The defaults that `run --help` and `stream --help` state are the run's defaults
/// (`RunSettings::default`), every one of them: a changed default cannot leave stale help.
#[test]
fn help_states_the_run_defaults() {
    use splitee::config::{CompatCost, CostModelName, RunSettings};
    let run = RunSettings::default();
    let name = |value: serde_json::Value| value.as_str().unwrap().to_owned();
    let number = |value: f64| move |text: &str| text.parse::<f64>() == Ok(value);
    let named = |expected: String| move |text: &str| text == expected;
    let offload = match run.cost.offload {
        splitee::cost::OffloadCost::Constant(o) => o,
        splitee::cost::OffloadCost::PerSplit(_) => f64::NAN,
    };
    let thresholds = run.sim.thresholds.clone();
    // Per flag: whether the text it states is the default.
    type Holds = Box<dyn Fn(&str) -> bool>;
    let expected: Vec<(&str, Holds)> = vec![
        (
            "--policy",
            Box::new(named(splitee::settings::DEFAULT_STREAM_POLICY.to_string())),
        ),
        ("--alpha", Box::new(number(run.alpha))),
        (
            "--lambda",
            Box::new(number(run.cost.linear_lambda().unwrap())),
        ),
        ("--offload-cost", Box::new(number(offload))),
        ("--mu", Box::new(number(run.cost.mu))),
        (
            "--cost-model",
            Box::new(named(name(
                serde_json::to_value(CostModelName::of(&run.cost.processing)).unwrap(),
            ))),
        ),
        ("--ucb-c", Box::new(number(run.sim.ucb_c))),
        ("--seed", Box::new(number(run.sim.seed as f64))),
        (
            "--observation",
            Box::new(named(run.sim.observation.to_string())),
        ),
        (
            "--thresholds",
            Box::new(move |text: &str| {
                splitee::arms::parse_thresholds(text).as_ref() == Ok(&thresholds)
            }),
        ),
        ("--probe", Box::new(number(run.sim.probe))),
        ("--reward", Box::new(named(run.reward.to_string()))),
        ("--runs", Box::new(number(run.sim.runs as f64))),
        ("--order", Box::new(named(run.sim.order.to_string()))),
        (
            "--compat-cost",
            Box::new(named(name(
                serde_json::to_value(CompatCost::default()).unwrap(),
            ))),
        ),
    ];
    for command in ["run", "stream"] {
        let mut checked = 0;
        for (flag, help) in flag_helps(command) {
            let Some(stated) = stated_default(&help) else {
                continue;
            };
            let (_, holds) = expected
                .iter()
                .find(|(f, _)| *f == flag)
                .unwrap_or_else(|| {
                    panic!("{command} {flag} states a default no test holds: {help}")
                });
            assert!(
                holds(&stated),
                "{command} {flag}: stated default {stated:?} in {help:?}"
            );
            checked += 1;
        }
        assert!(checked >= 11, "{command}: {checked} defaults found");
    }
}

#[test]
fn run_without_trace_uses_the_embedded_default() {
    let table = succeed(splitee().args(["run", "--runs", "2"]));
    assert!(
        table.starts_with("embedded:sparsity-mnist-d25\n3000 samples, 3 exits"),
        "{table}"
    );
    let policies: Vec<&str> = table
        .lines()
        .skip(4)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        policies,
        ["splitee", "splitee-s", "final-exit", "device-ee", "random"]
    );
    // The final exit against itself is no reduction, printed without a negative zero.
    let final_exit = table.lines().find(|l| l.starts_with("final-exit")).unwrap();
    let cells: Vec<&str> = final_exit.split("  ").filter(|c| !c.is_empty()).collect();
    assert_eq!(cells[3].trim(), "0.0000 ± 0.0000", "{final_exit}");
}

#[test]
fn inspect_without_trace_summarises_the_embedded_default() {
    let text = succeed(splitee().args(["inspect", "--alpha", "0.9"]));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("embedded:sparsity-mnist-d25: 3000 samples, 3 exits, 10 classes, labeled, no costs")
    );
    // The final exit (the sparsity report's 96.20%) and its confident share at 0.9, above the
    // strong-dominance line.
    let last = lines.nth(3).unwrap();
    assert_eq!(
        last.split_whitespace().collect::<Vec<_>>(),
        ["3", "0.9620", "0.9600", "0.8910", "-"]
    );
}

/// The embedded trace brings its network's cost profile (the sparsity report's prices: the
/// final exit's 22,000 MACs at 1/91,000 each); choosing any cost setting replaces it, and `--mu`
/// only weighs it.
#[test]
fn embedded_trace_is_priced_by_its_profile_unless_costs_are_given() {
    let final_exit_cost = |args: &[&str]| {
        let mut cmd = splitee();
        cmd.args(["run", "--runs", "1", "--policy", "final-exit", "--json"])
            .args(args);
        let report = succeed_json(&mut cmd);
        result(&report, "final-exit")["cost_per_sample"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!((final_exit_cost(&[]) - 22_000.0 / 91_000.0).abs() < 1e-12);
    assert!((final_exit_cost(&["--mu", "2"]) - 22_000.0 / 91_000.0).abs() < 1e-12);
    // Linear costs on its 3 exits: proc(3) = lambda x 3.
    assert!((final_exit_cost(&["--lambda", "0.1"]) - 0.3).abs() < 1e-12);
    assert!((final_exit_cost(&["--offload-cost", "0.2"]) - 0.3).abs() < 1e-12);
    assert!((final_exit_cost(&["--compat", "splitee-2023"]) - 0.3).abs() < 1e-12);
}

#[test]
fn example_config_runs_from_the_repository_root() {
    let sst2 = manifest().join("../shared/data/traces").join(SST2);
    if !sst2.is_file() {
        eprintln!(
            "skipping: {} (the example config names it relative to itself, whatever \
             SPLITEE_SHARED says)",
            splitee::shared_data::unavailable(&sst2)
        );
        return;
    }
    let report = succeed_json(splitee().current_dir(manifest()).args([
        "run",
        "--config",
        "experiments/splitee-sst2.toml",
        "--json",
    ]));
    assert_eq!(report["trace"]["samples"], SST2_SAMPLES);
    assert_eq!(report["settings"]["runs"], 20);
    let policies: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"].as_str().unwrap())
        .collect();
    assert_eq!(policies, EXAMPLE_CONFIG_POLICIES);
}

/// The subcommands `splitee --help` lists.
fn subcommands() -> Vec<String> {
    let out = succeed(splitee().arg("--help"));
    out.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A name sits at two spaces; wrapped descriptions are indented further.
        .filter(|line| !line[2..].starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_help_ends_with_examples_of_itself() {
    let commands = subcommands();
    assert!(commands.len() >= 12, "{commands:?}");
    for command in commands {
        let out = succeed(splitee().args([&command, "--help"]));
        let (_, examples) = out
            .rsplit_once("Examples:\n")
            .unwrap_or_else(|| panic!("`splitee {command} --help` has no examples"));
        let lines: Vec<&str> = examples.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!lines.is_empty(), "{command}: empty examples");
        assert!(
            lines.iter().any(
                |l| l.trim_start().starts_with(&format!("splitee {command} "))
                    || l.trim() == format!("splitee {command}")
            ),
            "{command}: no example calls it: {examples}"
        );
    }
}

#[test]
fn list_defaults_are_shown_as_they_are_typed() {
    let train = succeed(splitee().args(["train", "--help"]));
    assert!(train.contains("[default: 800,100,100,10]"), "{train}");
    assert!(train.contains("[default: 7000,3000]"), "{train}");
    let inspect = succeed(splitee().args(["inspect", "--help"]));
    assert!(
        inspect.contains("[default: 0.5,0.6,0.7,0.8,0.9]"),
        "{inspect}"
    );
}

/// `--policy` is shared by the commands that take learner flags; each says what it does with it.
#[test]
fn policy_help_says_what_each_command_does_with_it() {
    let policy_help = |command: &str| {
        flag_helps(command)
            .into_iter()
            .find(|(flag, _)| flag == "--policy")
            .map(|(_, help)| help)
            .unwrap_or_else(|| panic!("{command} --help has no --policy"))
    };
    for command in ["run", "simulate", "stream"] {
        let help = policy_help(command);
        assert!(
            help.starts_with("Policy to run; repeat for several"),
            "{command}: {help}"
        );
    }
    let help = policy_help("evaluate");
    assert!(
        help.starts_with("Policy to estimate from the log") && !help.contains("`run` only"),
        "{help}"
    );
}
