//! `splitee train`: train one network from flags, or a density sweep from a TOML config, write
//! each network's trace and cost profile, and (for a config) run the learners on every trace
//! with the profile cost model and write a report.
//!
//! Config layout (unknown keys are errors; paths are relative to the config file):
//!
//! ```toml
//! [data]
//! dataset = "mnist"                   # mnist | optdigits
//! path = "../../shared/data/mnist"
//! train = 7000                        # MNIST without training images: split of the test set
//! trace = 3000
//! seed = 0
//!
//! [model]                             # shared by every network
//! widths = [800, 100, 100, 10]
//! exits = [1, 2]                      # hidden layers followed by an exit head
//! epochs = 30
//! batch = 256
//! learning_rate = 0.001
//! lr_schedule = "constant"            # constant | cosine | step:EVERY:FACTOR
//! shift = 0                           # augmentation: random shifts of up to this many pixels
//! weight_decay = 0.0                  # decoupled (AdamW), weights only
//! seed = 0
//!
//! [[networks]]                        # one per density; the first is the cost reference
//! name = "dense"
//! fanout = [100, 100, 10]             # per junction; omitted = dense
//! exit_fanout = [10, 10]              # per exit head; omitted = dense
//!
//! [output]
//! datasets = "../datasets"            # <datasets>/<prefix>-<network>.csv and .profile.json
//! prefix = "sparsity-mnist"
//! report = "../results/sparsity-mnist"  # report.md and report.json
//! bytes_per_activation = 4
//!
//! [evaluate]                          # learners on every trace, profile cost model; shown
//!                                     # with the defaults (STUDY_ALPHA, STUDY_POLICIES, and
//!                                     # splitee run's for the rest), checked before training
//! alpha = 0.9
//! # per_mac = ...                     # default: 1 / device MACs of the reference's final exit
//! # per_byte = ...                    # default: 1 / (N_0 x bytes_per_activation)
//! cloud_per_mac = 0.0
//! mu = 1.0
//! runs = 20
//! seed = 0
//! policies = ["splitee", "splitee-s", "final-exit", "device-ee", "best-fixed"]
//!
//! [distortion]                        # traces of one network under distortion
//! network = "dense"
//! noise = [0.1, 0.2, 0.3]
//! blur = [1.0]
//! seed = 0
//! ```

mod config;
pub mod report;
mod single;

pub use self::report::{
    mean_sd, read_report, CostResults, DistortionReport, NetworkReport, PolicySummary, Prices,
    SeedReport, StudyReport,
};
pub use self::single::{SingleOutput, SingleRun};

use self::report::mean_confidence;

/// `../shared/data/<name>` (or `$SPLITEE_SHARED/data/<name>`): where the project's external
/// data sets are laid out beside a checkout.
pub fn shared_data(name: &str) -> PathBuf {
    let shared: PathBuf =
        std::env::var_os("SPLITEE_SHARED").map_or_else(|| "../shared".into(), Into::into);
    shared.join("data").join(name)
}

use crate::cost::{CostModel, OffloadCost, ProcessingCost, ProfileCost};
use crate::params::{self, ParamError};
use crate::policy::PolicySpec;
use crate::run::run_on;
use crate::settings::RunSettings;
use crate::sim::SimOptions;
use crate::train::data::{DataSpec, DataSplit};
use crate::train::distort::Distortion;
use crate::train::profile::CostProfile;
use crate::train::{
    exit_accuracy, trace_samples, train, write_text, write_trace, Progress, TrainParams,
    ValidParams,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A validated study.
#[derive(Debug)]
pub struct Study {
    pub config: PathBuf,
    pub data: DataSpec,
    /// Every network, with the first of `seeds`.
    pub networks: Vec<ValidParams>,
    /// Training seeds: the first gives the traces, profiles and learners' runs; every seed's
    /// networks are trained for the accuracy spread over seeds.
    pub seeds: Vec<u64>,
    /// Where traces and profiles go (`<datasets>/<prefix>-<network>.csv`); none: not written.
    pub datasets: Option<(PathBuf, String)>,
    pub report: Option<PathBuf>,
    pub bytes_per_activation: u64,
    pub evaluate: Option<Evaluate>,
    pub distortion: Option<(String, Vec<Distortion>, u64)>,
}

/// A study's exit threshold when `[evaluate]` gives none: a study's own default, stricter than
/// `splitee run`'s ([`RunSettings::default`]); the other `[evaluate]` keys default as a run.
pub const STUDY_ALPHA: f64 = 0.9;

/// The learners a study compares when `[evaluate]` names none: `splitee run`'s defaults with the
/// best fixed arm in hindsight in place of random, as the reference each learner is scored
/// against.
pub const STUDY_POLICIES: [PolicySpec; 5] = [
    PolicySpec::SPLITEE,
    PolicySpec::SPLITEE_S,
    PolicySpec::FINAL_EXIT,
    PolicySpec::DEVICE_EE,
    PolicySpec::BEST_FIXED,
];

/// Settings of the learners' runs on every trace, checked by [`Evaluate::check`].
#[derive(Debug, Clone)]
pub struct Evaluate {
    pub alpha: f64,
    pub per_mac: Option<f64>,
    pub per_byte: Option<f64>,
    pub cloud_per_mac: f64,
    pub mu: f64,
    pub runs: usize,
    pub seed: u64,
    pub policies: Vec<PolicySpec>,
}

impl Evaluate {
    /// The run settings of the learners on `trace`, priced by `cost`: this section's values, the
    /// run defaults for the rest.
    fn run_settings(&self, trace: PathBuf, cost: CostModel) -> RunSettings {
        let run = RunSettings::default();
        RunSettings {
            traces: vec![trace],
            policies: self.policies.clone(),
            alpha: self.alpha,
            cost,
            sim: SimOptions {
                runs: self.runs,
                seed: self.seed,
                ..run.sim
            },
            ..run
        }
    }

    /// Checks the section by the run's rules ([`RunSettings::check_ref`]), and every policy
    /// against networks of `exits` exits, before anything trains; the error names the
    /// `evaluate.` key.
    pub fn check(&self, exits: usize) -> Result<(), ParamError> {
        const KEYS: [(&str, &str); 7] = [
            (params::ALPHA.key, "evaluate.alpha"),
            (params::RUNS, "evaluate.runs"),
            (params::POLICIES, "evaluate.policies"),
            ("cost.mu", "evaluate.mu"),
            ("cost.per_mac", "evaluate.per_mac"),
            ("cost.per_byte", "evaluate.per_byte"),
            ("cost.cloud_per_mac", "evaluate.cloud_per_mac"),
        ];
        let in_study = |e: ParamError| {
            let key = KEYS.iter().find(|(run, _)| *run == e.key);
            ParamError::new(key.map_or(e.key, |(_, study)| study), e.message)
        };
        // The profile's numbers are known after training; its prices and mu are checked here.
        for (k, price) in [
            ("cost.per_mac", self.per_mac),
            ("cost.per_byte", self.per_byte),
            ("cost.cloud_per_mac", Some(self.cloud_per_mac)),
        ] {
            params::check_costs(k, price.as_slice()).map_err(in_study)?;
        }
        let cost = CostModel {
            processing: ProcessingCost::Measured,
            offload: OffloadCost::Constant(0.0),
            mu: self.mu,
        };
        self.run_settings(PathBuf::new(), cost)
            .check_ref()
            .map_err(in_study)?;
        for policy in &self.policies {
            policy
                .validate(exits, SimOptions::default().thresholds.len())
                .map_err(|m| ParamError::new("evaluate.policies", m))?;
        }
        Ok(())
    }
}

impl Study {
    fn trace_path(&self, name: &str) -> Option<PathBuf> {
        let (dir, prefix) = self.datasets.as_ref()?;
        Some(dir.join(format!("{prefix}-{name}.csv")))
    }

    fn profile_path(&self, name: &str) -> Option<PathBuf> {
        let (dir, prefix) = self.datasets.as_ref()?;
        Some(dir.join(format!("{prefix}-{name}.profile.json")))
    }

    /// Trains every network, writes traces and profiles, evaluates and writes the report.
    pub fn run(&self, progress: &mut dyn Progress) -> crate::Result<StudyReport> {
        // As `from_config` did: no network trains for learners that cannot run.
        if let Some(eval) = &self.evaluate {
            eval.check(self.networks[0].exits())?;
        }
        crate::run::check_shared_present(std::slice::from_ref(&self.data.path))?;
        let data = self.data.load()?;
        for n in &self.networks {
            n.check_data(&data.train, "training")?;
            n.check_data(&data.trace, "traced")?;
        }
        let mut networks = Vec::new();
        let mut trained = Vec::new();
        for params in &self.networks {
            let name = &params.params().name;
            let started = Instant::now();
            let mlp = train(params, &data.train, progress)?;
            let samples = trace_samples(&mlp, &data.trace);
            let accuracy = exit_accuracy(&samples);
            let profile = CostProfile::of(&mlp, name, self.bytes_per_activation);
            let paths = match (self.trace_path(name), self.profile_path(name)) {
                (Some(trace_path), Some(profile_path)) => {
                    write_trace(&trace_path, &samples)?;
                    write_text(&profile_path, &profile.to_json())?;
                    Some((trace_path, profile_path))
                }
                _ => None,
            };
            progress.finish(&format!(
                "{name}: density (fraction) {:.4}, {} weights, exit accuracy (fraction) {} on {} \
                 traced samples (seed {}, {:.1} s){}",
                profile.density,
                profile.weights,
                fraction_list(&accuracy),
                samples.len(),
                params.params().seed,
                started.elapsed().as_secs_f64(),
                paths.as_ref().map_or_else(String::new, |(t, p)| format!(
                    "; wrote {} and {}",
                    t.display(),
                    p.display()
                ))
            ));
            let (trace, profile_path) = paths
                .map(|(t, p)| (t.display().to_string(), p.display().to_string()))
                .unzip();
            networks.push(NetworkReport {
                name: name.clone(),
                trace,
                profile_path,
                exit_accuracy: accuracy,
                profile,
                costs: None,
            });
            trained.push(mlp);
        }
        // The same networks with the other seeds: accuracy only.
        let mut seed_accuracy: Vec<Vec<Vec<f64>>> = networks
            .iter()
            .map(|n| vec![n.exit_accuracy.clone()])
            .collect();
        for &seed in &self.seeds[1..] {
            for (params, acc) in self.networks.iter().zip(&mut seed_accuracy) {
                let params = TrainParams {
                    seed,
                    ..params.params().clone()
                }
                .validate()?;
                let started = Instant::now();
                let mlp = train(&params, &data.train, progress)?;
                let accuracy = exit_accuracy(&trace_samples(&mlp, &data.trace));
                progress.finish(&format!(
                    "{}: exit accuracy (fraction) {} (seed {seed}, {:.1} s)",
                    params.params().name,
                    fraction_list(&accuracy),
                    started.elapsed().as_secs_f64()
                ));
                acc.push(accuracy);
            }
        }
        let seeds = networks
            .iter()
            .zip(seed_accuracy)
            .map(|(n, exit_accuracy)| SeedReport {
                network: n.name.clone(),
                exit_accuracy,
            })
            .collect();
        let mut distortions = Vec::new();
        if let Some((network, list, seed)) = &self.distortion {
            let i = self
                .networks
                .iter()
                .position(|n| &n.params().name == network)
                .expect("checked at validation");
            for (j, d) in list.iter().enumerate() {
                let images = d.apply(&data.trace, crate::train::derive_seed(*seed, j as u64));
                let samples = trace_samples(&trained[i], &images);
                let path = self
                    .trace_path(&format!("{network}-{d}"))
                    .expect("distortions need output.datasets (checked at validation)");
                write_trace(&path, &samples)?;
                let accuracy = exit_accuracy(&samples);
                progress.finish(&format!(
                    "{network} under {d}: exit accuracy (fraction) {}; wrote {}",
                    fraction_list(&accuracy),
                    path.display()
                ));
                distortions.push(DistortionReport {
                    network: network.clone(),
                    distortion: *d,
                    trace: path.display().to_string(),
                    exit_accuracy: accuracy,
                    mean_confidence: mean_confidence(&samples),
                    costs: None,
                });
            }
        }
        let first = self.networks[0].params();
        let mut report = StudyReport {
            config: self.config.display().to_string(),
            data: describe(&data),
            widths: first.widths.clone(),
            exits: first.exits.clone(),
            epochs: first.epochs,
            batch: first.batch,
            learning_rate: first.learning_rate,
            lr_schedule: first.schedule.to_string(),
            shift: first.shift,
            weight_decay: first.weight_decay,
            seed: first.seed,
            seeds: self.seeds.clone(),
            prices: None,
            networks,
            seed_accuracy: seeds,
            distortions,
        };
        if let Some(eval) = &self.evaluate {
            self.evaluate(eval, &mut report)?;
        }
        if let Some(dir) = &self.report {
            write_text(&dir.join("report.md"), &report.markdown())?;
            let path = dir.join("report.json");
            let mut json = crate::json::to_string_pretty(&report).map_err(|source| {
                crate::Error::Unwritable {
                    path: path.clone(),
                    source,
                }
            })?;
            json.push('\n');
            write_text(&path, &json)?;
            crate::plot::plot_sparsity(&report, dir)?;
        }
        Ok(report)
    }

    /// Runs the learners on every trace (as written to disk) with the profile cost model.
    fn evaluate(&self, eval: &Evaluate, report: &mut StudyReport) -> crate::Result<()> {
        let reference = &report.networks[0].profile;
        let final_macs = reference.splits.last().map_or(1, |s| s.device_macs).max(1);
        let prices = Prices {
            per_mac: eval.per_mac.unwrap_or(1.0 / final_macs as f64),
            per_byte: eval
                .per_byte
                .unwrap_or(1.0 / (reference.widths[0] as f64 * self.bytes_per_activation as f64)),
            cloud_per_mac: eval.cloud_per_mac,
            mu: eval.mu,
            alpha: eval.alpha,
            runs: eval.runs,
            seed: eval.seed,
        };
        const WRITTEN: &str = "evaluate needs output.datasets (checked at validation)";
        let profiles: Vec<(String, CostProfile)> = report
            .networks
            .iter()
            .map(|n| (n.profile_path.clone().expect(WRITTEN), n.profile.clone()))
            .collect();
        for (net, (path, profile)) in report.networks.iter_mut().zip(&profiles) {
            let trace = net.trace.as_deref().expect(WRITTEN);
            net.costs = Some(run_learners(trace, path, profile, &prices, eval)?);
        }
        for d in &mut report.distortions {
            let (path, profile) = report
                .networks
                .iter()
                .find(|n| n.name == d.network)
                .map(|n| (n.profile_path.clone().expect(WRITTEN), n.profile.clone()))
                .expect("distorted network exists");
            d.costs = Some(run_learners(&d.trace, &path, &profile, &prices, eval)?);
        }
        report.prices = Some(prices);
        Ok(())
    }
}

/// Fractions as every output shows them.
fn fraction_list(values: &[f64]) -> String {
    values
        .iter()
        .map(|a| format!("{a:.4}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn describe(data: &DataSplit) -> String {
    data.description.clone()
}

fn run_learners(
    trace_path: &str,
    profile_path: &str,
    profile: &CostProfile,
    prices: &Prices,
    eval: &Evaluate,
) -> crate::Result<CostResults> {
    let trace = crate::trace::load(Path::new(trace_path)).map_err(crate::Error::from)?;
    let cost = ProfileCost {
        source: Some(PathBuf::from(profile_path)),
        device_macs: profile
            .splits
            .iter()
            .map(|s| s.device_macs as f64)
            .collect(),
        bytes_sent: profile.splits.iter().map(|s| s.bytes_sent as f64).collect(),
        cloud_macs: profile.splits.iter().map(|s| s.cloud_macs as f64).collect(),
        per_mac: prices.per_mac,
        per_byte: prices.per_byte,
        cloud_per_mac: prices.cloud_per_mac,
    };
    let settings = eval.run_settings(
        PathBuf::from(trace_path),
        CostModel {
            processing: ProcessingCost::Profile(cost.clone()),
            offload: OffloadCost::Constant(0.0),
            mu: prices.mu,
        },
    );
    let out = run_on(&trace, vec![trace_path.to_owned()], &settings, &|_| {})?;
    Ok(CostResults {
        processing: cost.processing(),
        offload: cost.offload(),
        best_arm: out.report.best_arm,
        policies: out
            .report
            .results
            .iter()
            .map(|r| PolicySummary {
                policy: r.policy.clone(),
                accuracy: r.accuracy,
                cost_per_sample: r.cost_per_sample,
                cost_reduction: r.cost_reduction,
                offload_fraction: r.offload_fraction,
                learned_arm: r.learned_label(),
                arm_counts: r.arm_counts.clone(),
            })
            .collect(),
    })
}
