//! The help of the flags that override run settings, each stating its default as
//! [`RunSettings::default`] (or the stream's, [`DEFAULT_STREAM_POLICY`]) has it, so that a changed
//! default cannot leave stale help. Written as clap shows a one-paragraph doc comment: one line,
//! no final period.
//!
//! [`DEFAULT_STREAM_POLICY`]: splitee::settings::DEFAULT_STREAM_POLICY

use clap::ValueEnum;
use splitee::config::{CompatCost, CostModelName, RunSettings};

fn run() -> RunSettings {
    RunSettings::default()
}

fn value_name<T: ValueEnum>(value: T) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

pub fn policy() -> String {
    format!(
        "Policy to run; repeat for several (`stream` runs one, default {}): {}",
        splitee::settings::DEFAULT_STREAM_POLICY,
        splitee::policy::POLICY_NAMES
    )
}

/// `evaluate` replays its targets on the log instead of running them.
pub fn evaluate_policy() -> String {
    format!(
        "Policy to estimate from the log (replayed on its decisions, over the split arms at the \
         run's threshold under strict observation); repeat for several, at least one here or in \
         the config's [policy] names: {}",
        splitee::policy::POLICY_NAMES
    )
}

/// The families that rescale rewards, from the registry.
pub fn reward_bounds() -> String {
    let families: Vec<&str> = splitee::policy::Family::ALL
        .iter()
        .map(|f| f.entry())
        .filter(|e| e.reward_bounds)
        .map(|e| e.name)
        .collect();
    format!(
        "The range rewards lie in, for policies that rescale them ({}). Default: from the cost \
         model; needed with measured costs",
        families.join(", ")
    )
}

pub fn alpha() -> String {
    format!(
        "Exit threshold: a sample exits at the split when C_k >= alpha. Default {}",
        run().alpha
    )
}

pub fn lambda() -> String {
    format!(
        "Processing cost per layer of the linear cost model. Default {} (any cost setting \
         replaces the embedded trace's profile costs with the linear model)",
        run().cost.linear_lambda().unwrap_or(f64::NAN)
    )
}

pub fn offload() -> String {
    let offload = match run().cost.offload {
        splitee::cost::OffloadCost::Constant(o) => o.to_string(),
        splitee::cost::OffloadCost::PerSplit(list) => format!("{list:?}"),
    };
    format!("Constant offloading cost o. Default {offload}")
}

pub fn mu() -> String {
    format!(
        "Weight of cost against confidence in the reward. Default {}",
        run().cost.mu
    )
}

pub fn cost_model() -> String {
    let run = run();
    let embedded = splitee::embedded::cost_model(run.cost.mu);
    format!(
        "Processing-cost model. Default {} ({} for the embedded trace)",
        value_name(CostModelName::of(&run.cost.processing)),
        value_name(CostModelName::of(&embedded.processing))
    )
}

pub fn ucb_c() -> String {
    format!(
        "UCB exploration constant c (of policies without their own). Default {}",
        run().sim.ucb_c
    )
}

pub fn seed() -> String {
    format!(
        "Seed of the permutations, random policies and probes (`stream` uses run 0's \
         streams, as `run --runs 1`). Default {}",
        run().sim.seed
    )
}

pub fn observation() -> String {
    format!(
        "What side updates may read. Default {}",
        run().sim.observation
    )
}

pub fn thresholds() -> String {
    format!(
        "Threshold grid of joint, threshold and vector learners: START:STOP:STEP or A,B,C, \
         each in [0, 1] (0: always exit there). Default {} (--compat adaee-2023: {})",
        splitee::arms::thresholds_text(&run().sim.thresholds),
        splitee::arms::thresholds_text(&splitee::compat::ADAEE_THRESHOLDS)
    )
}

pub fn probe() -> String {
    format!(
        "Probe probability of unbiased observation. Default {}",
        run().sim.probe
    )
}

pub fn reward() -> String {
    format!(
        "Label-free reward the policies learn from. Default {}",
        run().reward
    )
}

pub fn runs() -> String {
    format!("Independent runs. Default {}", run().sim.runs)
}

pub fn order() -> String {
    format!("Sample order in each run. Default {}", run().sim.order)
}

pub fn compat_cost() -> String {
    format!(
        "Reported cost in compatibility mode. Default {}",
        value_name(CompatCost::default())
    )
}
