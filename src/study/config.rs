//! A study's config file: its sections, their defaults, and their validation into a [`Study`]
//! before anything trains (`[evaluate]` by the run's rules, [`Evaluate::check`]).

use super::{Evaluate, Study, STUDY_ALPHA, STUDY_POLICIES};
use crate::policy::PolicySpec;
use crate::settings::RunSettings;
use crate::train::data::{DataSpec, DatasetKind};
use crate::train::distort::Distortion;
use crate::train::{TrainError, TrainParams};
use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    crate::train::data::DEFAULT_TRAIN_SPLIT
}

fn default_trace() -> usize {
    crate::train::data::DEFAULT_TRACE_SPLIT
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

/// `[evaluate]`: an absent key takes the study's default ([`super::STUDY_ALPHA`],
/// [`super::STUDY_POLICIES`]) or the run's ([`RunSettings::default`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateSection {
    alpha: Option<f64>,
    per_mac: Option<f64>,
    per_byte: Option<f64>,
    #[serde(default)]
    cloud_per_mac: f64,
    mu: Option<f64>,
    runs: Option<usize>,
    seed: Option<u64>,
    policies: Option<Vec<String>>,
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
        let text = crate::lines::read_text(path)
            .map_err(|e| config_error(format!("cannot read config: {}", e.error)))?;
        let file: StudyFile = toml::from_str(&text)
            .map_err(|e| config_error(crate::config::words::parse_error(&text, &e)))?;
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
                let run = RunSettings::default();
                let policies = match &e.policies {
                    None => STUDY_POLICIES.to_vec(),
                    Some(names) => names
                        .iter()
                        .map(|p| p.parse::<PolicySpec>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|m| config_error(format!("evaluate.policies: {m}")))?,
                };
                let evaluate = Evaluate {
                    alpha: e.alpha.unwrap_or(STUDY_ALPHA),
                    per_mac: e.per_mac,
                    per_byte: e.per_byte,
                    cloud_per_mac: e.cloud_per_mac,
                    mu: e.mu.unwrap_or(run.cost.mu),
                    runs: e.runs.unwrap_or(run.sim.runs),
                    seed: e.seed.unwrap_or(run.sim.seed),
                    policies,
                };
                // Every network has the first one's exits (the model section is shared).
                evaluate
                    .check(networks[0].exits())
                    .map_err(|e| config_error(e.to_string()))?;
                Some(evaluate)
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
}
