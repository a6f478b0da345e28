//! `splitee train` from flags: one network, its trace and cost profile.

use super::report::{mean_confidence, DistortionReport};
use crate::train::data::{DataSpec, Images};
use crate::train::distort::Distortion;
use crate::train::profile::CostProfile;
use crate::train::{
    exit_accuracy, trace_samples, train, write_text, write_trace, Progress, TrainError, TrainParams,
};
use serde::Serialize;
use std::path::{Path, PathBuf};

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
        crate::run::check_shared_present(std::slice::from_ref(&self.data.path))?;
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
