//! What a study produced, as JSON (`report.json`, read back by `splitee plot`) and Markdown.

use crate::report::export::{markdown_table, FRACTION_DIGITS, OUTCOME_COLUMNS};
use crate::stats::Estimate;
use crate::train::distort::Distortion;
use crate::train::profile::CostProfile;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

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
    /// Shares are fractions, their keys naming it as the run report's do (earlier reports'
    /// unit-less keys, the same fractions, are read too).
    pub accuracy: Option<Estimate>,
    pub cost_per_sample: Estimate,
    #[serde(rename = "cost_reduction_fraction", alias = "cost_reduction")]
    pub cost_reduction: Estimate,
    pub offload_fraction: Estimate,
    /// The learned split, `split@threshold` for learners of the threshold too.
    pub learned_arm: String,
    pub arm_counts: Vec<f64>,
}

impl PolicySummary {
    /// Whether this is the final exit, the accuracy every other policy is held against.
    pub fn is_final_exit(&self) -> bool {
        self.policy.parse::<crate::policy::PolicySpec>()
            == Ok(crate::policy::PolicySpec::FINAL_EXIT)
    }
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

/// One trained network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkReport {
    pub name: String,
    /// The trace and profile written (none without `output.datasets`).
    pub trace: Option<String>,
    pub profile_path: Option<String>,
    /// Per-exit accuracy on the traced samples, fractions.
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
    /// samples, fractions.
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
pub fn read_report(path: &Path) -> Result<StudyReport, crate::trace::TraceError> {
    use crate::trace::TraceError;
    let text = crate::lines::read_text(path).map_err(TraceError::from_text_error)?;
    serde_json::from_str(&text)
        .map_err(|e| TraceError::file(path, format!("not a sparsity study report: {e}")))
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

fn est(e: &Estimate, decimals: usize) -> String {
    match e.ci95 {
        Some(h) => format!("{:.d$} ± {:.d$}", e.mean, h, d = decimals),
        None => format!("{:.d$}", e.mean, d = decimals),
    }
}

/// A fraction as the tables show every share (accuracy, density, gaps between them).
fn fraction(x: f64) -> String {
    format!("{x:.FRACTION_DIGITS$}")
}

/// A signed difference of fractions (an accuracy gap or drop).
fn fraction_gap(x: f64) -> String {
    format!("{x:+.FRACTION_DIGITS$}")
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
        let mut header: Vec<String> = [
            "network",
            "fan-out (junctions; heads)",
            "density (fraction)",
            "density incl. heads (fraction)",
            "weights",
            "fewer weights",
            "biases",
        ]
        .map(String::from)
        .into();
        header.extend(
            (1..=reference.exit_accuracy.len()).map(|k| format!("exit {k} accuracy (fraction)")),
        );
        let rows = self.networks.iter().map(|n| {
            let p = &n.profile;
            let mut row = vec![
                n.name.clone(),
                format!("{:?}; {:?}", p.fanout, p.exit_fanout),
                fraction(p.density),
                fraction(p.density_with_heads),
                p.weights.to_string(),
                format!(
                    "{:.2}x",
                    reference.profile.weights as f64 / p.weights as f64
                ),
                p.biases.to_string(),
            ];
            row.extend(n.exit_accuracy.iter().copied().map(fraction));
            row
        });
        markdown_table(&mut s, &header, rows);
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
        let header = [
            "network",
            "split",
            "device MACs",
            "fewer MACs",
            "storage dense kB",
            "values kB",
            "sparse kB",
            "bytes sent",
            "cloud MACs",
        ];
        let rows = self.networks.iter().flat_map(|n| {
            n.profile
                .splits
                .iter()
                .zip(&reference.profile.splits)
                .map(|(sp, r)| {
                    vec![
                        n.name.clone(),
                        sp.exit.to_string(),
                        sp.device_macs.to_string(),
                        format!(
                            "{:.2}x",
                            r.device_macs as f64 / sp.device_macs.max(1) as f64
                        ),
                        kb(sp.storage_bytes_dense),
                        kb(sp.storage_bytes_values),
                        kb(sp.storage_bytes_sparse),
                        sp.bytes_sent.to_string(),
                        sp.cloud_macs.to_string(),
                    ]
                })
        });
        markdown_table(&mut s, &header, rows);
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
                 interval over runs. *cost reduction vs final*: `1 - cost / cost of running \
                 every sample to the final exit on the device`, positive when cheaper; *drop*: \
                 accuracy of the final exit minus the policy's; both fractions.\n",
                p.per_mac,
                p.per_byte,
                self.widths[0],
                p.cloud_per_mac,
                p.mu,
                p.alpha,
                p.runs,
                p.seed
            );
            let rows = self
                .networks
                .iter()
                .filter_map(|n| Some(policy_rows(&n.name, n.costs.as_ref()?)))
                .flatten();
            markdown_table(&mut s, &POLICY_HEADER, rows);
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
            let header = [
                "network",
                "distortion",
                "exit accuracy (fraction)",
                "mean confidence",
                "trace",
            ];
            let rows = self.distortions.iter().map(|d| {
                vec![
                    d.network.clone(),
                    d.distortion.to_string(),
                    d.exit_accuracy
                        .iter()
                        .copied()
                        .map(fraction)
                        .collect::<Vec<_>>()
                        .join(" / "),
                    d.mean_confidence
                        .iter()
                        .map(|a| format!("{a:.3}"))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    format!("`{}`", d.trace),
                ]
            });
            markdown_table(&mut s, &header, rows);
            if self.distortions.iter().any(|d| d.costs.is_some()) {
                let _ = writeln!(s, "\nLearners on each distorted trace (same prices):\n");
                let rows = self
                    .distortions
                    .iter()
                    .filter_map(|d| {
                        let name = format!("{} {}", d.network, d.distortion);
                        Some(policy_rows(&name, d.costs.as_ref()?))
                    })
                    .flatten();
                markdown_table(&mut s, &POLICY_HEADER, rows);
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
             accuracy gap as a fraction (`{}` minus the network){}.\n",
            reference.name,
            reference.name,
            if seeds > 1 {
                format!(" for seed {} and over all {seeds} seeds", self.seed)
            } else {
                String::new()
            }
        );
        let mut header = vec![
            "network",
            "density (fraction)",
            "fewer weights",
            "fewer device MACs",
            "final-exit accuracy (fraction)",
            "gap (fraction)",
        ];
        if seeds > 1 {
            header.extend([
                "accuracy over seeds (fraction)",
                "gap over seeds (fraction)",
                "largest gap (fraction)",
            ]);
        }
        let reference_final = reference.exit_accuracy.last().copied().unwrap_or(f64::NAN);
        let reference_seeds = self
            .seed_accuracy
            .first()
            .map(SeedReport::final_accuracy)
            .unwrap_or_default();
        let rows = self
            .networks
            .iter()
            .zip(&self.seed_accuracy)
            .map(|(n, row)| {
                let fewer_macs = n
                    .profile
                    .splits
                    .iter()
                    .zip(&reference.profile.splits)
                    .map(|(sp, r)| r.device_macs as f64 / sp.device_macs.max(1) as f64)
                    .fold(f64::INFINITY, f64::min);
                let final_acc = n.exit_accuracy.last().copied().unwrap_or(f64::NAN);
                let mut cells = vec![
                    n.name.clone(),
                    fraction(n.profile.density),
                    format!(
                        "{:.2}x",
                        reference.profile.weights as f64 / n.profile.weights.max(1) as f64
                    ),
                    format!("{fewer_macs:.2}x"),
                    fraction(final_acc),
                    fraction_gap(reference_final - final_acc),
                ];
                if seeds > 1 {
                    let acc = row.final_accuracy();
                    let gaps: Vec<f64> = reference_seeds
                        .iter()
                        .zip(&acc)
                        .map(|(r, a)| r - a)
                        .collect();
                    let (am, asd) = mean_sd(&acc);
                    let (gm, gsd) = mean_sd(&gaps);
                    let largest = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    cells.extend([
                        format!("{} ± {}", fraction(am), fraction(asd)),
                        format!("{} ± {}", fraction_gap(gm), fraction(gsd)),
                        fraction_gap(largest),
                    ]);
                }
                cells
            });
        markdown_table(s, &header, rows);
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
            "\n## Seeds\n\nFinal-exit accuracy (fraction) on the traced samples per training seed \
             (the seed changes the connection pattern, the initial weights, the batch order and \
             the shifts; the data split stays), its mean ± sample standard deviation, and the \
             gap to `{}` (its accuracy minus the network's, a fraction, seed by seed).\n",
            self.networks[0].name
        );
        let mut header = vec!["network".to_owned(), "density (fraction)".to_owned()];
        header.extend(self.seeds.iter().map(|seed| format!("seed {seed}")));
        header.extend(
            [
                "mean ± sd",
                "min to max",
                "gap per seed",
                "gap mean ± sd",
                "largest gap",
            ]
            .map(String::from),
        );
        let rows = self
            .networks
            .iter()
            .zip(&self.seed_accuracy)
            .map(|(n, row)| {
                let acc = row.final_accuracy();
                let (mean, sd) = mean_sd(&acc);
                let lo = acc.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = acc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut cells = vec![n.name.clone(), fraction(n.profile.density)];
                cells.extend(acc.iter().copied().map(fraction));
                cells.extend([
                    format!("{} ± {}", fraction(mean), fraction(sd)),
                    format!("{} to {}", fraction(lo), fraction(hi)),
                ]);
                // No gap of the reference to itself: its row stops here, the gap cells blank.
                if std::ptr::eq(n, &self.networks[0]) {
                    return cells;
                }
                let gaps: Vec<f64> = reference.iter().zip(&acc).map(|(r, a)| r - a).collect();
                let (gm, gsd) = mean_sd(&gaps);
                let largest = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                cells.extend([
                    gaps.iter()
                        .copied()
                        .map(fraction_gap)
                        .collect::<Vec<_>>()
                        .join(", "),
                    format!("{} ± {}", fraction_gap(gm), fraction(gsd)),
                    fraction_gap(largest),
                ]);
                cells
            });
        markdown_table(s, &header, rows);
    }
}

/// The columns of the learners' tables, whose rows [`policy_rows`] makes.
const POLICY_HEADER: [&str; 10] = [
    "network",
    "proc(k)",
    "off(k)",
    "policy",
    OUTCOME_COLUMNS[0],
    "drop (fraction)",
    OUTCOME_COLUMNS[1],
    OUTCOME_COLUMNS[2],
    OUTCOME_COLUMNS[3],
    "learned arm",
];

/// One row per policy of `c`, the first named `name` and with the exits' prices.
fn policy_rows(name: &str, c: &CostResults) -> Vec<Vec<String>> {
    let final_acc = c
        .policies
        .iter()
        .find(|p| p.is_final_exit())
        .and_then(|p| p.accuracy.map(|a| a.mean));
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    c.policies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (proc_s, off_s) = if i == 0 {
                (list(&c.processing), list(&c.offload[..c.offload.len() - 1]))
            } else {
                (String::new(), String::new())
            };
            let drop = match (final_acc, p.accuracy) {
                (Some(f), Some(a)) => fraction_gap(f - a.mean),
                _ => "n/a".into(),
            };
            vec![
                if i == 0 { name } else { "" }.to_owned(),
                proc_s,
                off_s,
                p.policy.clone(),
                p.accuracy
                    .as_ref()
                    .map_or_else(|| "n/a".into(), |a| est(a, FRACTION_DIGITS)),
                drop,
                est(&p.cost_per_sample, 4),
                est(&p.cost_reduction, FRACTION_DIGITS),
                est(&p.offload_fraction, FRACTION_DIGITS),
                p.learned_arm.clone(),
            ]
        })
        .collect()
}

/// Each exit's mean confidence over `samples`.
pub(super) fn mean_confidence(samples: &[crate::trace::Sample]) -> Vec<f64> {
    let exits = samples.first().map_or(0, |s| s.conf.len());
    (0..exits)
        .map(|k| samples.iter().map(|s| s.conf[k]).sum::<f64>() / samples.len().max(1) as f64)
        .collect()
}
