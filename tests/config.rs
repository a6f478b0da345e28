//! Config files and command-line overrides through `RunSettings::resolve`: what is accepted,
//! what wins, and that every rejection names the file, line and key (or the flag).

mod common;

use common::{manifest, EXAMPLE_CONFIG_POLICIES};
use splitee::config::{Overrides, ResolveSettings, RunSettings};
use splitee::cost::{CostModel, OffloadCost, ProcessingCost};
use splitee::policy::PolicySpec;
use splitee::reward::{Observation, RewardKind};
use splitee::sim::{Compat, Order, SimOptions};
use std::path::PathBuf;
use tempfile::TempDir;

const CONFIG_NAME: &str = "experiment.toml";

/// A config file in its own temporary folder.
struct TempConfig {
    dir: TempDir,
}

impl TempConfig {
    fn new(text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_NAME), text).unwrap();
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join(CONFIG_NAME)
    }

    fn resolve(&self, overrides: Overrides) -> Result<RunSettings, String> {
        RunSettings::resolve(Some(&self.path()), overrides).map_err(|e| e.to_string())
    }

    /// The error message for this config, with the config's path replaced by `FILE`.
    fn error(&self, overrides: Overrides) -> String {
        match self.resolve(overrides) {
            Ok(settings) => panic!("config accepted: {settings:?}"),
            Err(message) => message.replace(&self.path().display().to_string(), "FILE"),
        }
    }
}

fn settings_of(text: &str) -> RunSettings {
    TempConfig::new(text)
        .resolve(Overrides::default())
        .unwrap_or_else(|e| panic!("config rejected: {e}"))
}

fn error_of(text: &str) -> String {
    TempConfig::new(text).error(Overrides::default())
}

fn override_error(overrides: Overrides) -> String {
    RunSettings::resolve(None, overrides)
        .unwrap_err()
        .to_string()
}

const NEGATIVE_COST: &str = "costs must be finite, >= 0 and at most 1e100";

#[test]
fn unknown_key_is_named_with_its_line() {
    assert_eq!(
        error_of("[cost]\nlambda = 0.1\nlamda = 0.2\n"),
        "FILE: line 3: unknown key `lamda` in [cost], expected one of `model`, `lambda`, `depths`, \
         `table`, `offload`, `mu`, `profile`, `per_mac`, `per_byte`, `cloud_per_mac`"
    );
}

#[test]
fn unknown_section_is_named_with_its_line() {
    assert_eq!(
        error_of("[run]\nruns = 2\n[plicy]\nalpha = 0.5\n"),
        "FILE: line 3: unknown section `plicy`, expected one of `trace`, `cost`, `policy`, `run`, \
         `sweep`, `report`, `published`, `simulate`"
    );
}

#[test]
fn messages_quoting_the_config_stay_on_one_line() {
    // A key or a value with a line break in it was quoted as is, over two lines.
    assert_eq!(
        error_of("[cost]\n\"lamb\\nda\" = 0.1\n"),
        "FILE: line 2: unknown key `lamb\\nda` in [cost], expected one of `model`, `lambda`, `depths`, \
         `table`, `offload`, `mu`, `profile`, `per_mac`, `per_byte`, `cloud_per_mac`"
    );
    let message = error_of("[cost]\nmodel = \"lin\\r\\near\"\n");
    assert!(
        message.starts_with("FILE: line 2: cost.model: unknown variant `lin\\r\\near`"),
        "{message}"
    );
    let message = error_of("[policy]\nnames = [\"splitee\", \"fixed\\n:1\"]\n");
    assert!(
        message.starts_with("FILE: line 2: policy.names: "),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn wrong_type_names_its_line() {
    assert_eq!(
        error_of("[cost]\nmodel = \"linear\"\nlambda = \"0.1\"\n"),
        "FILE: line 3: cost.lambda: expected a number, got the text \"0.1\""
    );
    assert_eq!(
        error_of("[run]\nruns = -3\n"),
        "FILE: line 2: run.runs: expected a whole number (0 or more), got -3"
    );
    assert_eq!(
        error_of("[run]\nruns = 20.5\n"),
        "FILE: line 2: run.runs: expected a whole number (0 or more), got 20.5"
    );
    assert_eq!(
        error_of("[run]\nruns = 2\nseed = -1\n"),
        "FILE: line 3: run.seed: expected a whole number (0 or more), got -1"
    );
}

#[test]
fn values_of_several_shapes_say_which_shapes_they_take() {
    assert_eq!(
        error_of("[cost]\nmodel = \"linear\"\noffload = \"x\"\n"),
        "FILE: line 3: cost.offload: expected a number, or a list of numbers with one per split"
    );
    assert_eq!(
        error_of("[policy]\nthresholds = \"x\"\n"),
        "FILE: line 2: policy.thresholds: expected a number, a list of numbers, or a table \
         {start, stop, step}"
    );
}

#[test]
fn syntax_error_names_its_line() {
    assert_eq!(
        error_of("[run]\nruns = 2\n[cost\n"),
        "FILE: line 3: unclosed table, expected `]`"
    );
}

#[test]
fn missing_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let message = RunSettings::resolve(Some(&path), Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!("{}: cannot read config: ", path.display())),
        "{message}"
    );
}

#[test]
fn negative_costs_are_rejected_naming_file_line_and_key() {
    let cases = [
        ("lambda = -0.1", "cost.lambda: is -0.1"),
        ("offload = -0.3", "cost.offload: is -0.3"),
        (
            "offload = [0.1, 0.2, -0.4]",
            "cost.offload: entry 3 is -0.4",
        ),
        ("mu = -1.0", "cost.mu: is -1"),
        ("depths = [1.0, -2.0]", "cost.depths: entry 2 is -2"),
    ];
    for (line, expected) in cases {
        assert_eq!(
            error_of(&format!("[cost]\nmodel = \"linear\"\n{line}\n")),
            format!("FILE: line 3: {expected}; {NEGATIVE_COST}"),
            "{line}"
        );
    }
}

#[test]
fn negative_table_entry_is_rejected() {
    assert_eq!(
        error_of("[cost]\nmodel = \"table\"\ntable = [0.1, -0.2]\n"),
        format!("FILE: line 3: cost.table: entry 2 is -0.2; {NEGATIVE_COST}")
    );
}

#[test]
fn alpha_outside_zero_one_is_rejected() {
    for alpha in ["0", "0.0", "1.5", "-0.2"] {
        assert_eq!(
            error_of(&format!("[policy]\nalpha = {alpha}\n")),
            format!(
                "FILE: line 2: policy.alpha: alpha must be in (0, 1], got {}",
                alpha.parse::<f64>().unwrap()
            ),
        );
    }
}

#[test]
fn alpha_one_is_accepted() {
    assert_eq!(settings_of("[policy]\nalpha = 1.0\n").alpha, 1.0);
}

#[test]
fn zero_runs_are_rejected() {
    assert_eq!(
        error_of("[run]\nseed = 3\nruns = 0\n"),
        "FILE: line 3: run.runs: runs must be at least 1"
    );
}

#[test]
fn negative_ucb_constant_is_rejected() {
    assert_eq!(
        error_of("[policy]\nucb_c = -0.5\n"),
        "FILE: line 2: policy.ucb_c: the UCB constant must be finite, >= 0 and at most 1e100, got -0.5"
    );
}

#[test]
fn unknown_policy_is_named_at_its_own_line() {
    let message = error_of("[policy]\nnames = [\n  \"splitee\",\n  \"ucb9\",\n]\n");
    assert!(
        message.starts_with("FILE: line 4: policy.names: unknown policy `ucb9` (known: splitee,"),
        "{message}"
    );
}

#[test]
fn bad_fixed_arm_is_rejected() {
    assert_eq!(
        error_of("[policy]\nnames = [\"fixed:0\"]\n"),
        "FILE: line 2: policy.names: `fixed:0`: K in fixed:K must be an exit number >= 1"
    );
}

#[test]
fn empty_policy_list_is_rejected() {
    assert_eq!(
        error_of("[policy]\nnames = []\n"),
        "FILE: line 2: policy.names: name at least one policy"
    );
}

#[test]
fn table_model_needs_a_table() {
    assert_eq!(
        error_of("[cost]\nmu = 0.5\nmodel = \"table\"\n"),
        "FILE: line 3: cost.model: the table cost model needs cost.table = [one cost per exit]"
    );
}

#[test]
fn table_model_with_table_is_accepted() {
    let settings = settings_of("[cost]\nmodel = \"table\"\ntable = [0.5, 1.5]\noffload = 0.2\n");
    assert_eq!(
        settings.cost,
        CostModel {
            processing: ProcessingCost::Table {
                table: vec![0.5, 1.5]
            },
            offload: OffloadCost::Constant(0.2),
            mu: 1.0,
        }
    );
}

#[test]
fn command_line_overrides_win_over_the_config() {
    let config = TempConfig::new(
        "[policy]\nalpha = 0.6\nnames = [\"random\"]\n[cost]\nlambda = 0.2\noffload = 0.4\n\
         mu = 0.5\n[run]\nruns = 3\nseed = 11\norder = \"given\"\n",
    );
    let settings = config
        .resolve(Overrides {
            alpha: Some(0.9),
            policies: vec![PolicySpec::FINAL_EXIT],
            lambda: Some(0.05),
            runs: Some(7),
            seed: Some(5),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(settings.alpha, 0.9);
    assert_eq!(settings.policies, vec![PolicySpec::FINAL_EXIT]);
    assert_eq!(
        settings.cost,
        CostModel {
            mu: 0.5,
            ..CostModel::linear(0.05, 0.4)
        }
    );
    assert_eq!(
        (settings.sim.runs, settings.sim.seed, settings.sim.order),
        (7, 5, Order::Given)
    );
}

#[test]
fn valid_override_hides_an_invalid_config_value() {
    let config = TempConfig::new("[policy]\nalpha = 1.5\n");
    let settings = config
        .resolve(Overrides {
            alpha: Some(0.8),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(settings.alpha, 0.8);
}

#[test]
fn invalid_override_names_the_flag() {
    let config = TempConfig::new("[policy]\nalpha = 0.7\n");
    assert_eq!(
        config.error(Overrides {
            alpha: Some(1.5),
            ..Overrides::default()
        }),
        "--alpha: alpha must be in (0, 1], got 1.5"
    );
}

#[test]
fn invalid_overrides_without_config_name_their_flags() {
    let cases = [
        (
            Overrides {
                runs: Some(0),
                ..Overrides::default()
            },
            "--runs: runs must be at least 1".to_owned(),
        ),
        (
            Overrides {
                offload: Some(-0.3),
                ..Overrides::default()
            },
            format!("--offload-cost: is -0.3; {NEGATIVE_COST}"),
        ),
        (
            Overrides {
                lambda: Some(f64::INFINITY),
                ..Overrides::default()
            },
            format!("--lambda: is inf; {NEGATIVE_COST}"),
        ),
        (
            Overrides {
                mu: Some(-2.0),
                ..Overrides::default()
            },
            format!("--mu: is -2; {NEGATIVE_COST}"),
        ),
        (
            Overrides {
                ucb_c: Some(f64::NAN),
                ..Overrides::default()
            },
            "--ucb-c: the UCB constant must be finite, >= 0 and at most 1e100, got NaN".to_owned(),
        ),
    ];
    for (overrides, expected) in cases {
        assert_eq!(override_error(overrides), expected);
    }
}

#[test]
fn trace_paths_are_relative_to_the_config_folder() {
    let config = TempConfig::new("[trace]\npaths = [\"a.csv\", \"sub/b.csv\", \"/abs/c.csv\"]\n");
    let settings = config.resolve(Overrides::default()).unwrap();
    let dir = config.dir.path();
    assert_eq!(
        settings.traces,
        vec![
            dir.join("a.csv"),
            dir.join("sub/b.csv"),
            PathBuf::from("/abs/c.csv")
        ]
    );
}

#[test]
fn trace_flag_replaces_config_paths() {
    let config = TempConfig::new("[trace]\npaths = [\"a.csv\"]\n");
    let settings = config
        .resolve(Overrides {
            traces: vec![PathBuf::from("x.csv")],
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(settings.traces, vec![PathBuf::from("x.csv")]);
}

#[test]
fn empty_config_gives_the_defaults() {
    let settings = settings_of("");
    assert_eq!(
        settings,
        RunSettings::resolve(None, Overrides::default()).unwrap()
    );
    assert!(settings.traces.is_empty());
    assert_eq!(settings.alpha, 0.7);
    // No trace: the embedded one, with its network's cost profile.
    assert_eq!(settings.cost, splitee::embedded::cost_model(1.0));
    assert_eq!(settings.sim, SimOptions::default());
    assert_eq!(settings.policies.len(), 5);
    // With a trace, the linear SplitEE costs.
    let with_trace = RunSettings::resolve(
        None,
        Overrides {
            traces: vec![PathBuf::from("x.csv")],
            ..Overrides::default()
        },
    )
    .unwrap();
    assert_eq!(with_trace.cost, CostModel::linear(0.1, 0.5));
    assert_eq!(
        with_trace,
        RunSettings {
            traces: vec![PathBuf::from("x.csv")],
            ..RunSettings::default()
        }
    );
}

#[test]
fn example_experiment_parses_into_its_settings() {
    let path = manifest().join("experiments/splitee-sst2.toml");
    let settings = RunSettings::resolve(Some(&path), Overrides::default()).unwrap();
    let expected = RunSettings {
        // Config-relative, and `..` resolved lexically.
        traces: vec![manifest()
            .parent()
            .unwrap()
            .join("shared/data/traces/sst2-bert12.csv")],
        policies: EXAMPLE_CONFIG_POLICIES
            .map(|name| name.parse::<PolicySpec>().unwrap())
            .to_vec(),
        alpha: 0.7,
        cost: CostModel::linear(0.1, 0.5),
        reward: RewardKind::Splitee,
        sim: SimOptions {
            runs: 20,
            seed: 0,
            order: Order::Shuffle,
            observation: Observation::Strict,
            ucb_c: 1.0,
            compat: None,
            ..SimOptions::default()
        },
    };
    assert_eq!(settings, expected);
}

#[test]
fn compat_mode_rejects_an_explicit_strict_observation() {
    assert_eq!(
        error_of("[run]\ncompat = \"splitee-2023\"\n[policy]\nobservation = \"strict\"\n"),
        "FILE: line 4: policy.observation: compatibility mode splitee-2023 reads C_L on every \
         side update (oracle observation); drop the strict setting"
    );
}

#[test]
fn compat_mode_uses_the_published_script_cost_by_default() {
    let settings = settings_of("[run]\ncompat = \"splitee-2023\"\n");
    assert_eq!(
        settings.sim.compat,
        Some(Compat::SplitEe2023 { script_cost: true })
    );
    let linear = settings_of("[run]\ncompat = \"splitee-2023\"\ncompat_cost = \"linear\"\n");
    assert_eq!(
        linear.sim.compat,
        Some(Compat::SplitEe2023 { script_cost: false })
    );
}

const PUBLISHED_NEEDS_LINEAR: &str = "the published SplitEE cost formula needs the linear cost \
     model; use compat_cost = \"linear\" or cost.model = \"linear\"";

#[test]
fn published_compat_cost_with_a_table_model_is_rejected() {
    assert_eq!(
        error_of(
            "[run]\ncompat = \"splitee-2023\"\ncompat_cost = \"published\"\n[cost]\n\
             model = \"table\"\ntable = [1.0, 2.0]\n"
        ),
        format!("FILE: line 3: run.compat_cost: {PUBLISHED_NEEDS_LINEAR}")
    );
}

#[test]
fn default_compat_cost_with_a_table_model_blames_the_model() {
    assert_eq!(
        error_of("[run]\ncompat = \"splitee-2023\"\n[cost]\nmodel = \"table\"\ntable = [1.0]\n"),
        format!("FILE: line 4: cost.model: {PUBLISHED_NEEDS_LINEAR}")
    );
}

#[test]
fn threshold_grid_probe_and_reward_are_read_and_validated() {
    let settings = settings_of(
        "[policy]\nthresholds = {start = 0.6, stop = 0.9, step = 0.1}\nprobe = 0.25\n\
         reward = \"confidence-gain-clipped\"\n",
    );
    assert_eq!(settings.sim.thresholds, vec![0.6, 0.7, 0.8, 0.9]);
    assert_eq!(settings.sim.probe, 0.25);
    assert_eq!(settings.reward, RewardKind::ConfidenceGainClipped);
    assert_eq!(
        settings_of("[policy]\nthresholds = [0.5, 0.75]\n")
            .sim
            .thresholds,
        vec![0.5, 0.75]
    );
    assert_eq!(
        settings_of("").sim.thresholds,
        splitee::arms::default_thresholds()
    );
    assert_eq!(
        error_of("[run]\nruns = 2\n[policy]\nthresholds = [0.9, 0.6]\n"),
        "FILE: line 4: policy.thresholds: thresholds must be strictly increasing"
    );
    assert_eq!(
        error_of("[policy]\nthresholds = [0.5, 1.5]\n"),
        "FILE: line 2: policy.thresholds: thresholds must be in [0, 1], got 1.5"
    );
    assert_eq!(
        error_of("[policy]\nprobe = 0\n"),
        "FILE: line 2: policy.probe: the probe probability must be in (0, 1], got 0"
    );
    assert!(error_of("[policy]\nreward = \"gain\"\n").starts_with("FILE: line 2"));
    assert_eq!(
        override_error(Overrides {
            probe: Some(1.5),
            ..Overrides::default()
        }),
        "--probe: the probe probability must be in (0, 1], got 1.5"
    );
}

/// A `[published]` section with `accuracy` as given.
fn published(accuracy: &str) -> String {
    format!(
        "[published]\nsource = \"the paper\"\noffload = [0.1, 0.2]\n\
         accuracy = {{ \"splitee-s\" = {accuracy} }}\n"
    )
}

#[test]
fn published_accuracy_in_percent_is_refused_naming_file_line_and_key() {
    let config = format!("# a paper's table\n\n{}", published("[0.83, 83.42]"));
    assert_eq!(
        TempConfig::new(&config).error(Overrides::default()),
        "FILE: line 6: published.accuracy: splitee-s entry 2 is 83.42, not a fraction (0 to 1); \
         give the paper's percentages divided by 100"
    );
    assert_eq!(
        error_of(&published("[-0.1, 0.5]")),
        "FILE: line 4: published.accuracy: splitee-s entry 1 is -0.1, not a fraction (0 to 1); \
         give the paper's percentages divided by 100"
    );
}

#[test]
fn published_accuracy_as_fractions_is_kept() {
    let config = TempConfig::new(&published("[0.0, 1.0]"));
    let (_, sections) =
        RunSettings::resolve_with_sections(Some(&config.path()), Overrides::default()).unwrap();
    let published = sections.published.unwrap();
    assert_eq!(published.accuracy["splitee-s"], [0.0, 1.0]);
    assert_eq!(published.offload, [0.1, 0.2]);
    assert_eq!(published.source, "the paper");
}

/// Every experiment's published accuracies are fractions (the loader refuses any other).
#[test]
fn experiments_state_published_accuracy_as_fractions() {
    let mut read = 0;
    for entry in std::fs::read_dir(manifest().join("experiments")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("\n[published]") {
            continue;
        }
        let (_, sections) = RunSettings::resolve_with_sections(Some(&path), Overrides::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let published = sections.published.unwrap();
        assert!(!published.accuracy.is_empty(), "{}", path.display());
        read += 1;
    }
    assert_eq!(read, 5, "experiments with a [published] section");
}
