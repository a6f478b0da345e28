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
//! [evaluate]                          # learners on every trace, profile cost model
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

use crate::config::RunSettings;
use crate::cost::{CostModel, OffloadCost, ProcessingCost, ProfileCost};
use crate::experiment::run_on;
use crate::policy::PolicySpec;
use crate::sim::SimOptions;
use crate::stats::Estimate;
use crate::train::data::{DataSpec, DataSplit, DatasetKind, Images};
use crate::train::distort::Distortion;
use crate::train::profile::CostProfile;
use crate::train::{
    exit_accuracy, trace_samples, train, write_text, write_trace, Progress, TrainError,
    TrainParams, ValidParams,
};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyFile {
    data: DataSection,
    model: ModelSection,
    networks: Vec<NetworkSection>,
    output: OutputSection,
    evaluate: Option<EvaluateSection>,
    distortion: Option<DistortionSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSection {
    dataset: DatasetKind,
    path: PathBuf,
    #[serde(default = "default_train")]
    train: usize,
    #[serde(default = "default_trace")]
    trace: usize,
    #[serde(default)]
    seed: u64,
}

fn default_train() -> usize {
    7000
}
fn default_trace() -> usize {
    3000
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelSection {
    widths: Vec<usize>,
    #[serde(default)]
    exits: Vec<usize>,
    #[serde(default = "default_epochs")]
    epochs: usize,
    #[serde(default = "default_batch")]
    batch: usize,
    #[serde(default = "default_lr")]
    learning_rate: f64,
    #[serde(default = "default_schedule")]
    lr_schedule: String,
    #[serde(default)]
    shift: usize,
    #[serde(default)]
    weight_decay: f64,
    seed: Option<u64>,
    seeds: Option<Vec<u64>>,
}

fn default_schedule() -> String {
    "constant".into()
}
fn default_epochs() -> usize {
    30
}
fn default_batch() -> usize {
    256
}
fn default_lr() -> f64 {
    1e-3
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkSection {
    name: String,
    #[serde(default)]
    fanout: Vec<usize>,
    #[serde(default)]
    exit_fanout: Vec<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputSection {
    datasets: Option<PathBuf>,
    prefix: Option<String>,
    report: Option<PathBuf>,
    #[serde(default = "default_bytes")]
    bytes_per_activation: u64,
}

fn default_bytes() -> u64 {
    4
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateSection {
    #[serde(default = "default_alpha")]
    alpha: f64,
    per_mac: Option<f64>,
    per_byte: Option<f64>,
    #[serde(default)]
    cloud_per_mac: f64,
    #[serde(default = "default_mu")]
    mu: f64,
    #[serde(default = "default_runs")]
    runs: usize,
    #[serde(default)]
    seed: u64,
    #[serde(default = "default_policies")]
    policies: Vec<String>,
}

fn default_alpha() -> f64 {
    0.9
}
fn default_mu() -> f64 {
    1.0
}
fn default_runs() -> usize {
    20
}
fn default_policies() -> Vec<String> {
    [
        "splitee",
        "splitee-s",
        "final-exit",
        "device-ee",
        "best-fixed",
    ]
    .map(String::from)
    .to_vec()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistortionSection {
    network: String,
    #[serde(default)]
    noise: Vec<f64>,
    #[serde(default)]
    blur: Vec<f64>,
    #[serde(default)]
    seed: u64,
}

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

/// Settings of the learners' runs on every trace.
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

impl Study {
    /// Reads and validates a study config (every network's parameters are checked before any
    /// training starts).
    pub fn from_config(path: &Path) -> crate::Result<Self> {
        let config_error = |message: String| -> crate::Error {
            TrainError::Config {
                path: path.to_path_buf(),
                message,
            }
            .into()
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| config_error(format!("cannot read config: {e}")))?;
        let file: StudyFile = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            config_error(match line {
                Some(line) => format!("line {line}: {}", e.message().trim()),
                None => e.message().trim().to_owned(),
            })
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let rel = |p: &Path| crate::config::normalise(&base.join(p));
        if file.networks.is_empty() {
            return Err(config_error(
                "networks: name at least one [[networks]]".into(),
            ));
        }
        let schedule: crate::train::Schedule = file
            .model
            .lr_schedule
            .parse()
            .map_err(|m| config_error(format!("model.lr_schedule: {m}")))?;
        let seeds = match (file.model.seed, &file.model.seeds) {
            (Some(_), Some(_)) => {
                return Err(config_error(
                    "model: give seed or seeds, not both (the first of seeds gives the traces)"
                        .into(),
                ))
            }
            (seed, None) => vec![seed.unwrap_or(0)],
            (None, Some(list)) => {
                if list.is_empty() {
                    return Err(config_error("model.seeds: name at least one seed".into()));
                }
                if let Some(d) = list
                    .iter()
                    .enumerate()
                    .find(|(i, s)| list[..*i].contains(s))
                {
                    return Err(config_error(format!(
                        "model.seeds: seed {} is listed twice",
                        d.1
                    )));
                }
                list.clone()
            }
        };
        let mut networks = Vec::new();
        for (i, n) in file.networks.iter().enumerate() {
            if n.name.is_empty() || n.name.contains(['/', '\\']) {
                return Err(config_error(format!(
                    "networks[{}]: name {:?} must be non-empty and hold no path separator",
                    i + 1,
                    n.name
                )));
            }
            if file.networks[..i].iter().any(|m| m.name == n.name) {
                return Err(config_error(format!(
                    "networks[{}]: name {:?} is used twice",
                    i + 1,
                    n.name
                )));
            }
            let params = TrainParams {
                name: n.name.clone(),
                widths: file.model.widths.clone(),
                exits: file.model.exits.clone(),
                fanout: n.fanout.clone(),
                exit_fanout: n.exit_fanout.clone(),
                epochs: file.model.epochs,
                batch: file.model.batch,
                learning_rate: file.model.learning_rate,
                schedule,
                shift: file.model.shift,
                weight_decay: file.model.weight_decay,
                seed: seeds[0],
            };
            networks.push(params.validate().map_err(|e| config_error(e.to_string()))?);
        }
        let evaluate = match file.evaluate {
            None => None,
            Some(e) => {
                let policies = e
                    .policies
                    .iter()
                    .map(|p| p.parse::<PolicySpec>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| config_error(format!("evaluate.policies: {m}")))?;
                if policies.is_empty() || e.runs == 0 || !(e.alpha > 0.0 && e.alpha <= 1.0) {
                    return Err(config_error(
                        "evaluate: needs at least one policy, runs >= 1 and alpha in (0, 1]".into(),
                    ));
                }
                Some(Evaluate {
                    alpha: e.alpha,
                    per_mac: e.per_mac,
                    per_byte: e.per_byte,
                    cloud_per_mac: e.cloud_per_mac,
                    mu: e.mu,
                    runs: e.runs,
                    seed: e.seed,
                    policies,
                })
            }
        };
        let distortion = match file.distortion {
            None => None,
            Some(d) => {
                if !file.networks.iter().any(|n| n.name == d.network) {
                    return Err(config_error(format!(
                        "distortion.network: no network named {:?}",
                        d.network
                    )));
                }
                let list: Vec<Distortion> = d
                    .noise
                    .iter()
                    .map(|&sigma| Distortion::Noise { sigma })
                    .chain(d.blur.iter().map(|&sigma| Distortion::Blur { sigma }))
                    .collect();
                for x in &list {
                    x.validate()
                        .map_err(|m| config_error(format!("distortion: {m}")))?;
                }
                Some((d.network, list, d.seed))
            }
        };
        let datasets = match (&file.output.datasets, &file.output.prefix) {
            (Some(dir), Some(prefix)) => Some((rel(dir), prefix.clone())),
            (None, None) => None,
            _ => {
                return Err(config_error(
                    "output: datasets and prefix go together (traces are written to \
                     <datasets>/<prefix>-<network>.csv)"
                        .into(),
                ))
            }
        };
        if datasets.is_none() && (evaluate.is_some() || distortion.is_some()) {
            return Err(config_error(
                "output: evaluate and distortion run on written traces; give output.datasets \
                 and output.prefix"
                    .into(),
            ));
        }
        if file.output.bytes_per_activation == 0 {
            return Err(config_error(
                "output.bytes_per_activation must be >= 1".into(),
            ));
        }
        Ok(Self {
            config: path.to_path_buf(),
            data: DataSpec {
                kind: file.data.dataset,
                path: rel(&file.data.path),
                train: file.data.train,
                trace: file.data.trace,
                seed: file.data.seed,
            },
            networks,
            seeds,
            datasets,
            report: file.output.report.as_deref().map(rel),
            bytes_per_activation: file.output.bytes_per_activation,
            evaluate,
            distortion,
        })
    }

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
                "{name}: density {:.2}%, {} weights, exit accuracy {} on {} traced samples \
                 (seed {}, {:.1} s){}",
                100.0 * profile.density,
                profile.weights,
                pct_list(&accuracy),
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
                    "{}: exit accuracy {} (seed {seed}, {:.1} s)",
                    params.params().name,
                    pct_list(&accuracy),
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
                    "{network} under {d}: exit accuracy {}; wrote {}",
                    pct_list(&accuracy),
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
            let mut json = serde_json::to_string_pretty(&report).expect("a report serialises");
            json.push('\n');
            write_text(&dir.join("report.json"), &json)?;
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

fn pct_list(values: &[f64]) -> String {
    values
        .iter()
        .map(|a| format!("{:.2}%", 100.0 * a))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn mean_confidence(samples: &[crate::trace::Sample]) -> Vec<f64> {
    let exits = samples.first().map_or(0, |s| s.conf.len());
    (0..exits)
        .map(|k| samples.iter().map(|s| s.conf[k]).sum::<f64>() / samples.len().max(1) as f64)
        .collect()
}

fn describe(data: &DataSplit) -> String {
    data.description.clone()
}

/// The profile cost model's prices and the runs' settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prices {
    pub per_mac: f64,
    pub per_byte: f64,
    pub cloud_per_mac: f64,
    pub mu: f64,
    pub alpha: f64,
    pub runs: usize,
    pub seed: u64,
}

/// One policy's outcome on one trace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicySummary {
    pub policy: String,
    pub accuracy: Option<Estimate>,
    pub cost_per_sample: Estimate,
    pub cost_reduction: Estimate,
    pub offload_fraction: Estimate,
    /// The learned split, `split@threshold` for learners of the threshold too.
    pub learned_arm: String,
    pub arm_counts: Vec<f64>,
}

/// The learners on one trace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostResults {
    /// `proc(k)` per exit.
    pub processing: Vec<f64>,
    /// `off(k)` per exit.
    pub offload: Vec<f64>,
    pub best_arm: usize,
    pub policies: Vec<PolicySummary>,
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
    let settings = RunSettings {
        traces: vec![PathBuf::from(trace_path)],
        policies: eval.policies.clone(),
        alpha: prices.alpha,
        cost: CostModel {
            processing: ProcessingCost::Profile(cost.clone()),
            offload: OffloadCost::Constant(0.0),
            mu: prices.mu,
        },
        sim: SimOptions {
            runs: prices.runs,
            seed: prices.seed,
            ..SimOptions::default()
        },
        ..RunSettings::default()
    };
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

/// One trained network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkReport {
    pub name: String,
    /// The trace and profile written (none without `output.datasets`).
    pub trace: Option<String>,
    pub profile_path: Option<String>,
    /// Per-exit accuracy on the traced samples.
    pub exit_accuracy: Vec<f64>,
    pub profile: CostProfile,
    pub costs: Option<CostResults>,
}

/// One network under one distortion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistortionReport {
    pub network: String,
    pub distortion: Distortion,
    pub trace: String,
    pub exit_accuracy: Vec<f64>,
    pub mean_confidence: Vec<f64>,
    pub costs: Option<CostResults>,
}

/// One network's accuracy over the training seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedReport {
    pub network: String,
    /// Per seed (in the order of [`StudyReport::seeds`]), the per-exit accuracy on the traced
    /// samples.
    pub exit_accuracy: Vec<Vec<f64>>,
}

impl SeedReport {
    /// Final-exit accuracy per seed.
    pub fn final_accuracy(&self) -> Vec<f64> {
        self.exit_accuracy
            .iter()
            .map(|a| a.last().copied().unwrap_or(f64::NAN))
            .collect()
    }
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Reads a study's `report.json` (for `splitee plot`).
pub fn read_report(path: &Path) -> crate::Result<StudyReport> {
    use crate::trace::TraceError;
    let text = std::fs::read_to_string(path).map_err(|e| TraceError::io(path, &e))?;
    serde_json::from_str(&text)
        .map_err(|e| TraceError::file(path, format!("not a sparsity study report: {e}")).into())
}

/// What a study produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyReport {
    pub config: String,
    pub data: String,
    pub widths: Vec<usize>,
    pub exits: Vec<usize>,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub lr_schedule: String,
    pub shift: usize,
    pub weight_decay: f64,
    /// The seed of the traces, profiles and learners' runs (the first of `seeds`).
    pub seed: u64,
    pub seeds: Vec<u64>,
    pub prices: Option<Prices>,
    pub networks: Vec<NetworkReport>,
    /// Every network's accuracy per training seed.
    pub seed_accuracy: Vec<SeedReport>,
    pub distortions: Vec<DistortionReport>,
}

fn est(e: &Estimate, scale: f64, decimals: usize) -> String {
    match e.ci95 {
        Some(h) => format!("{:.d$} ± {:.d$}", scale * e.mean, scale * h, d = decimals),
        None => format!("{:.d$}", scale * e.mean, d = decimals),
    }
}

fn kb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

impl StudyReport {
    /// The report as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let reference = &self.networks[0];
        let _ = writeln!(s, "# Predefined sparsity: {}\n", self.config);
        let augmentation = if self.shift == 0 {
            "no augmentation".to_owned()
        } else {
            format!(
                "every epoch every training image shifted by a random whole number of pixels in \
                 -{0}..={0} along each axis",
                self.shift
            )
        };
        let _ = writeln!(
            s,
            "Data: {}.\n\nNetworks: widths {:?}, exits after hidden layers {:?} plus the final \
             layer. Training: {} epochs, Adam lr {} ({} schedule), batch {}, weight decay {} \
             (decoupled, weights only), {augmentation}; seed {}. Reference network (ratios, \
             prices): `{}`.\n",
            self.data,
            self.widths,
            self.exits,
            self.epochs,
            self.learning_rate,
            self.lr_schedule,
            self.batch,
            self.weight_decay,
            self.seed,
            reference.name
        );
        if self.seeds.len() > 1 {
            let _ = writeln!(
                s,
                "Every network was also trained with seeds {:?}: see *Seeds* for the accuracy \
                 over all {} seeds. The other tables are for seed {}.\n",
                &self.seeds[1..],
                self.seeds.len(),
                self.seed
            );
        }
        self.summary_markdown(&mut s);
        let _ = writeln!(s, "## Networks\n");
        let exits = reference.exit_accuracy.len();
        let _ = write!(
            s,
            "| network | fan-out (junctions; heads) | density | density incl. heads | weights | \
             fewer weights | biases |"
        );
        for k in 1..=exits {
            let _ = write!(s, " exit {k} acc. % |");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "|{}", "---|".repeat(7 + exits));
        for n in &self.networks {
            let p = &n.profile;
            let _ = write!(
                s,
                "| {} | {:?}; {:?} | {:.2}% | {:.2}% | {} | {:.2}x | {} |",
                n.name,
                p.fanout,
                p.exit_fanout,
                100.0 * p.density,
                100.0 * p.density_with_heads,
                p.weights,
                reference.profile.weights as f64 / p.weights as f64,
                p.biases
            );
            for a in &n.exit_accuracy {
                let _ = write!(s, " {:.2} |", 100.0 * a);
            }
            let _ = writeln!(s);
        }
        if self.seeds.len() > 1 {
            self.seeds_markdown(&mut s);
        }
        let _ = writeln!(
            s,
            "\n## Split points\n\nPer split `k` (after exit `k`): device MACs and stored \
             weights (backbone up to the split plus exit `k`'s head; the final exit runs the \
             whole backbone), storage in kB (dense f32 with zeros / nonzero f32 values only, \
             the pattern regenerated from its seed / values plus {}-byte indices), bytes sent \
             when offloading, cloud MACs for the rest.\n",
            reference.profile.index_bytes
        );
        let _ = writeln!(
            s,
            "| network | split | device MACs | fewer MACs | storage dense kB | values kB | \
             sparse kB | bytes sent | cloud MACs |"
        );
        let _ = writeln!(s, "|{}", "---|".repeat(9));
        for n in &self.networks {
            for (sp, r) in n.profile.splits.iter().zip(&reference.profile.splits) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.2}x | {} | {} | {} | {} | {} |",
                    n.name,
                    sp.exit,
                    sp.device_macs,
                    r.device_macs as f64 / sp.device_macs.max(1) as f64,
                    kb(sp.storage_bytes_dense),
                    kb(sp.storage_bytes_values),
                    kb(sp.storage_bytes_sparse),
                    sp.bytes_sent,
                    sp.cloud_macs
                );
            }
        }
        if let Some(p) = &self.prices {
            let _ = writeln!(
                s,
                "\n## Split computing end to end\n\nProfile cost model: `proc(k) = per_mac x \
                 device_macs(k)`, `off(k) = per_byte x bytes_sent(k) + cloud_per_mac x \
                 cloud_macs(k)` with per_mac = {:.6e} (the reference network's final exit costs \
                 1.0 on the device), per_byte = {:.6e} (sending the zero-padded input, {} \
                 values, would cost 1.0), cloud_per_mac = {}, mu = {}, alpha = {}; {} shuffled \
                 runs, seed {}, strict observation. Every network is priced on the same \
                 hardware, so sparse networks are cheaper in absolute terms. Cells: mean ± 95% \
                 interval over runs. *vs final*: cost change against running every sample to \
                 the final exit on the device; *drop*: accuracy of the final exit minus the \
                 policy's, in points.\n",
                p.per_mac,
                p.per_byte,
                self.widths[0],
                p.cloud_per_mac,
                p.mu,
                p.alpha,
                p.runs,
                p.seed
            );
            let _ = writeln!(
                s,
                "| network | proc(k) | off(k) | policy | accuracy % | drop | cost/sample | vs \
                 final | offload % | learned arm |"
            );
            let _ = writeln!(s, "|{}", "---|".repeat(10));
            for n in &self.networks {
                if let Some(c) = &n.costs {
                    policy_rows(&mut s, &n.name, c);
                }
            }
            let _ = writeln!(
                s,
                "\n*learned arm*: the split played most in the second half of the stream \
                 (most frequent over runs). Joint learners (`joint-*`) learn the split and the \
                 threshold together over every (k, alpha) pair of the grid 0.50 to 0.95 by 0.05 \
                 (the final exit is one arm), written `k@alpha`; the others use alpha = {}.\n",
                p.alpha
            );
        }
        if !self.distortions.is_empty() {
            let _ = writeln!(
                s,
                "## Under distortion\n\nThe traced images of one network with seeded Gaussian \
                 noise (sigma on the 0..1 pixel scale, clipped) or Gaussian blur (sigma in \
                 pixels), for drifting-stream experiments (concatenate the traces).\n"
            );
            let _ = writeln!(
                s,
                "| network | distortion | exit accuracy % | mean confidence | trace |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|");
            for d in &self.distortions {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | `{}` |",
                    d.network,
                    d.distortion,
                    d.exit_accuracy
                        .iter()
                        .map(|a| format!("{:.2}", 100.0 * a))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    d.mean_confidence
                        .iter()
                        .map(|a| format!("{a:.3}"))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    d.trace
                );
            }
            if self.distortions.iter().any(|d| d.costs.is_some()) {
                let _ = writeln!(
                    s,
                    "\nLearners on each distorted trace (same prices):\n\n| network | proc(k) \
                     | off(k) | policy | accuracy % | drop | cost/sample | vs final | offload % \
                     | learned arm |"
                );
                let _ = writeln!(s, "|{}", "---|".repeat(10));
                for d in &self.distortions {
                    if let Some(c) = &d.costs {
                        policy_rows(&mut s, &format!("{} {}", d.network, d.distortion), c);
                    }
                }
            }
        }
        s
    }
}

impl StudyReport {
    /// The *Summary* section: every network against the reference, in weights, device MACs
    /// and final-exit accuracy (over seeds when there are several).
    fn summary_markdown(&self, s: &mut String) {
        let Some(reference) = self.networks.first() else {
            return;
        };
        let seeds = self.seeds.len();
        let _ = writeln!(
            s,
            "## Summary\n\nAgainst `{}`: fewer stored weights (whole network, heads included), \
             fewer device MACs (the smallest ratio over the split points), and the final-exit \
             accuracy gap in points (`{}` minus the network){}.\n",
            reference.name,
            reference.name,
            if seeds > 1 {
                format!(" for seed {} and over all {seeds} seeds", self.seed)
            } else {
                String::new()
            }
        );
        let _ = write!(
            s,
            "| network | density | fewer weights | fewer device MACs | final-exit acc. % | gap |"
        );
        if seeds > 1 {
            let _ = write!(s, " acc. % over seeds | gap over seeds | largest gap |");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "|{}", "---|".repeat(if seeds > 1 { 9 } else { 6 }));
        let reference_final = reference.exit_accuracy.last().copied().unwrap_or(f64::NAN);
        let reference_seeds = self
            .seed_accuracy
            .first()
            .map(SeedReport::final_accuracy)
            .unwrap_or_default();
        for (n, row) in self.networks.iter().zip(&self.seed_accuracy) {
            let fewer_macs = n
                .profile
                .splits
                .iter()
                .zip(&reference.profile.splits)
                .map(|(sp, r)| r.device_macs as f64 / sp.device_macs.max(1) as f64)
                .fold(f64::INFINITY, f64::min);
            let final_acc = n.exit_accuracy.last().copied().unwrap_or(f64::NAN);
            let _ = write!(
                s,
                "| {} | {:.2}% | {:.2}x | {:.2}x | {:.2} | {:+.2} |",
                n.name,
                100.0 * n.profile.density,
                reference.profile.weights as f64 / n.profile.weights.max(1) as f64,
                fewer_macs,
                100.0 * final_acc,
                100.0 * (reference_final - final_acc)
            );
            if seeds > 1 {
                let acc = row.final_accuracy();
                let gaps: Vec<f64> = reference_seeds
                    .iter()
                    .zip(&acc)
                    .map(|(r, a)| 100.0 * (r - a))
                    .collect();
                let (am, asd) = mean_sd(&acc);
                let (gm, gsd) = mean_sd(&gaps);
                let largest = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let _ = write!(
                    s,
                    " {:.2} ± {:.2} | {gm:+.2} ± {gsd:.2} | {largest:+.2} |",
                    100.0 * am,
                    100.0 * asd
                );
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
    }

    /// The *Seeds* section: final-exit accuracy per seed, mean and spread, and the gap to the
    /// reference network.
    fn seeds_markdown(&self, s: &mut String) {
        let reference = self
            .seed_accuracy
            .first()
            .map(SeedReport::final_accuracy)
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\n## Seeds\n\nFinal-exit accuracy (%) on the traced samples per training seed (the \
             seed changes the connection pattern, the initial weights, the batch order and the \
             shifts; the data split stays), its mean ± sample standard deviation, and the gap \
             to `{}` (its accuracy minus the network's, in points, seed by seed).\n",
            self.networks[0].name
        );
        let _ = write!(s, "| network | density |");
        for seed in &self.seeds {
            let _ = write!(s, " seed {seed} |");
        }
        let _ = writeln!(
            s,
            " mean ± sd | min to max | gap per seed | gap mean ± sd | largest gap |"
        );
        let _ = writeln!(s, "|{}", "---|".repeat(7 + self.seeds.len()));
        for (n, row) in self.networks.iter().zip(&self.seed_accuracy) {
            let acc: Vec<f64> = row.final_accuracy().iter().map(|a| 100.0 * a).collect();
            let (mean, sd) = mean_sd(&acc);
            let lo = acc.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = acc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let _ = write!(s, "| {} | {:.2}% |", n.name, 100.0 * n.profile.density);
            for a in &acc {
                let _ = write!(s, " {a:.2} |");
            }
            let _ = write!(s, " {mean:.2} ± {sd:.2} | {lo:.2} to {hi:.2} |");
            if std::ptr::eq(n, &self.networks[0]) {
                let _ = writeln!(s, " | | |");
                continue;
            }
            let gaps: Vec<f64> = reference
                .iter()
                .zip(&acc)
                .map(|(r, a)| 100.0 * r - a)
                .collect();
            let (gm, gsd) = mean_sd(&gaps);
            let largest = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let _ = writeln!(
                s,
                " {} | {gm:+.2} ± {gsd:.2} | {largest:+.2} |",
                gaps.iter()
                    .map(|g| format!("{g:+.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

fn policy_rows(s: &mut String, name: &str, c: &CostResults) {
    let final_acc = c
        .policies
        .iter()
        .find(|p| p.policy == "final-exit")
        .and_then(|p| p.accuracy.map(|a| a.mean));
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (i, p) in c.policies.iter().enumerate() {
        let (proc_s, off_s) = if i == 0 {
            (list(&c.processing), list(&c.offload[..c.offload.len() - 1]))
        } else {
            (String::new(), String::new())
        };
        let drop = match (final_acc, p.accuracy) {
            (Some(f), Some(a)) => format!("{:+.2}", 100.0 * (f - a.mean)),
            _ => "n/a".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {:+.1}% | {} | {} |",
            if i == 0 { name } else { "" },
            proc_s,
            off_s,
            p.policy,
            p.accuracy
                .as_ref()
                .map_or_else(|| "n/a".into(), |a| est(a, 100.0, 2)),
            drop,
            est(&p.cost_per_sample, 1.0, 4),
            -100.0 * p.cost_reduction.mean,
            est(&p.offload_fraction, 100.0, 1),
            p.learned_arm
        );
    }
}

/// `splitee train` from flags: one network.
#[derive(Debug, Clone)]
pub struct SingleRun {
    pub data: DataSpec,
    pub params: TrainParams,
    /// Output prefix: writes `<out>.csv` and `<out>.profile.json`, and `<out>-<distortion>.csv`.
    pub out: PathBuf,
    pub bytes_per_activation: u64,
    pub distortions: Vec<Distortion>,
    pub distortion_seed: u64,
}

/// What a single training wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SingleOutput {
    pub data: String,
    pub trace: String,
    pub profile_path: String,
    pub exit_accuracy: Vec<f64>,
    pub profile: CostProfile,
    pub distortions: Vec<DistortionReport>,
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl SingleRun {
    pub fn run(&self, progress: &mut dyn Progress) -> crate::Result<SingleOutput> {
        let params = self.params.validate()?;
        for d in &self.distortions {
            d.validate()
                .map_err(|m| crate::train::invalid("distortion", m))?;
        }
        if self.bytes_per_activation == 0 {
            return Err(crate::train::invalid("bytes_per_activation", "must be >= 1").into());
        }
        let data = self.data.load()?;
        params.check_data(&data.trace, "traced")?;
        let mlp = train(&params, &data.train, progress)?;
        let write =
            |path: &Path, images: &Images| -> Result<Vec<crate::trace::Sample>, TrainError> {
                let samples = trace_samples(&mlp, images);
                write_trace(path, &samples)?;
                Ok(samples)
            };
        let trace = with_suffix(&self.out, ".csv");
        let samples = write(&trace, &data.trace)?;
        let profile = CostProfile::of(&mlp, &self.params.name, self.bytes_per_activation);
        let profile_path = with_suffix(&self.out, ".profile.json");
        write_text(&profile_path, &profile.to_json())?;
        let mut distortions = Vec::new();
        for (j, d) in self.distortions.iter().enumerate() {
            let images = d.apply(
                &data.trace,
                crate::train::derive_seed(self.distortion_seed, j as u64),
            );
            let path = with_suffix(&self.out, &format!("-{d}.csv"));
            let s = write(&path, &images)?;
            distortions.push(DistortionReport {
                network: self.params.name.clone(),
                distortion: *d,
                trace: path.display().to_string(),
                exit_accuracy: exit_accuracy(&s),
                mean_confidence: mean_confidence(&s),
                costs: None,
            });
        }
        Ok(SingleOutput {
            data: data.description,
            trace: trace.display().to_string(),
            profile_path: profile_path.display().to_string(),
            exit_accuracy: exit_accuracy(&samples),
            profile,
            distortions,
        })
    }
}
