//! Cost models (SPEC section 2): what running up to a split costs the device, what offloading
//! from it costs, and how much cost weighs against confidence.

use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// SplitEE's processing cost per layer (`proc(k) = 0.1 k` on 12 exits).
pub const SPLITEE_LAMBDA: f64 = 0.1;
/// The offloading cost `o` when none is given (the middle of SplitEE's 0.10 to 0.60 sweep).
pub const DEFAULT_OFFLOAD: f64 = 0.5;

/// Device processing cost `proc(k)` of running up to exit `k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum ProcessingCost {
    /// `proc(k) = lambda * depth_k`; depths default to `1..=L` (SplitEE: `lambda = 0.1`).
    Linear {
        lambda: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depths: Option<Vec<f64>>,
    },
    /// `proc(k)` given per exit.
    Table { table: Vec<f64> },
    /// A published per-exit table computed from the exits' backbone depths (default `1..=L`).
    Named {
        table: NamedTable,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depths: Option<Vec<f64>>,
    },
    /// Per-sample measured costs carried by the trace (`cost_k`), summed up to the split.
    Measured,
    /// Derived from a network's cost profile: `proc(k) = per_mac * device_macs(k)`; the
    /// offloading cost comes from the same profile (see [`ProfileCost`]).
    Profile(ProfileCost),
}

/// The cost structures of UEE-UCB (Hari Narayan et al., arXiv 2209.09480), on a backbone of
/// [`NamedTable::LAYERS`] layers (their 12-layer ElasticBERT) as the authors' notebook computes
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NamedTable {
    /// CS-1: `proc(k) = depth_k / 12`, the share of the backbone computed.
    Cs1,
    /// CS-2: `proc(k) = 0.5` up to layer 7, else 1.
    Cs2,
}

impl NamedTable {
    /// The layers of the backbone the tables are defined on.
    pub const LAYERS: f64 = 12.0;
    /// CS-2's last layer at the lower cost.
    const CS2_CHEAP_UP_TO: f64 = 7.0;

    /// `proc(k)` of an exit at backbone layer `depth`.
    pub fn cost(self, depth: f64) -> f64 {
        match self {
            Self::Cs1 => depth / Self::LAYERS,
            Self::Cs2 if depth <= Self::CS2_CHEAP_UP_TO => 0.5,
            Self::Cs2 => 1.0,
        }
    }

    /// The name a config or `--cost-model` gives.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cs1 => "cs1",
            Self::Cs2 => "cs2",
        }
    }
}

/// The profile cost model: a network's per-split MACs and bytes (from `splitee train`'s
/// `*.profile.json`, or given inline) and hardware prices. For split `k`:
/// `proc(k) = per_mac * device_macs(k)` and, for `k < L`,
/// `off(k) = per_byte * bytes_sent(k) + cloud_per_mac * cloud_macs(k)` (`off(L) = 0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileCost {
    /// The profile file the numbers came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<std::path::PathBuf>,
    /// Per exit `k = 1..L`.
    pub device_macs: Vec<f64>,
    /// Per exit `k = 1..L` (the final exit's entry is not used: it never offloads).
    pub bytes_sent: Vec<f64>,
    /// Per exit `k = 1..L` (the final exit's entry is not used).
    pub cloud_macs: Vec<f64>,
    pub per_mac: f64,
    pub per_byte: f64,
    #[serde(default)]
    pub cloud_per_mac: f64,
}

/// The part of a profile file the cost model reads: `{"splits": [{"device_macs": ..,
/// "bytes_sent": .., "cloud_macs": ..}, ...]}` (other keys are ignored).
#[derive(Deserialize)]
struct ProfileFile {
    splits: Vec<ProfileSplit>,
}

#[derive(Deserialize)]
struct ProfileSplit {
    device_macs: f64,
    bytes_sent: f64,
    #[serde(default)]
    cloud_macs: f64,
}

impl ProfileCost {
    /// Reads a profile JSON file (as written by `splitee train`) and attaches prices.
    pub fn load(
        path: &std::path::Path,
        per_mac: f64,
        per_byte: f64,
        cloud_per_mac: f64,
    ) -> Result<Self, CostError> {
        let text = crate::lines::read_text(path).map_err(|e| {
            cost_error(
                "cost.profile",
                format!("{}: cannot read: {}", path.display(), e.error),
            )
        })?;
        Self::parse(&text, path, per_mac, per_byte, cloud_per_mac)
    }

    /// Parses a profile's JSON text; `source` names it in errors and reports.
    pub fn parse(
        text: &str,
        source: &std::path::Path,
        per_mac: f64,
        per_byte: f64,
        cloud_per_mac: f64,
    ) -> Result<Self, CostError> {
        let file: ProfileFile = serde_json::from_str(text).map_err(|e| {
            cost_error(
                "cost.profile",
                format!("{}: not a cost profile: {e}", source.display()),
            )
        })?;
        if file.splits.is_empty() {
            return Err(cost_error(
                "cost.profile",
                format!("{}: the profile has no split points", source.display()),
            ));
        }
        Ok(Self {
            source: Some(source.to_path_buf()),
            device_macs: file.splits.iter().map(|s| s.device_macs).collect(),
            bytes_sent: file.splits.iter().map(|s| s.bytes_sent).collect(),
            cloud_macs: file.splits.iter().map(|s| s.cloud_macs).collect(),
            per_mac,
            per_byte,
            cloud_per_mac,
        })
    }

    /// Number of split points (exits) of the profile.
    pub fn exits(&self) -> usize {
        self.device_macs.len()
    }

    /// `proc(k)` per exit.
    pub fn processing(&self) -> Vec<f64> {
        self.device_macs.iter().map(|m| self.per_mac * m).collect()
    }

    /// `off(k)` per exit (0 for the final exit).
    pub fn offload(&self) -> Vec<f64> {
        let last = self.exits().saturating_sub(1);
        (0..self.exits())
            .map(|k| {
                if k == last {
                    0.0
                } else {
                    self.per_byte * self.bytes_sent[k] + self.cloud_per_mac * self.cloud_macs[k]
                }
            })
            .collect()
    }

    fn validate(&self) -> Result<(), CostError> {
        check_non_negative("cost.per_mac", &[self.per_mac])?;
        check_non_negative("cost.per_byte", &[self.per_byte])?;
        check_non_negative("cost.cloud_per_mac", &[self.cloud_per_mac])?;
        let n = self.device_macs.len();
        if n == 0 || self.bytes_sent.len() != n || self.cloud_macs.len() != n {
            return Err(cost_error(
                "cost.profile",
                format!(
                    "device_macs, bytes_sent and cloud_macs need one entry per exit each (got \
                     {}, {} and {})",
                    n,
                    self.bytes_sent.len(),
                    self.cloud_macs.len()
                ),
            ));
        }
        check_non_negative("cost.profile", &self.device_macs)?;
        check_non_negative("cost.profile", &self.bytes_sent)?;
        check_non_negative("cost.profile", &self.cloud_macs)
    }
}

/// Offloading cost `off(k)` when splitting after exit `k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a number, or a list of numbers with one per split"
)]
pub enum OffloadCost {
    /// The same `o` at every split (SplitEE sweeps `o = 0.10 ..= 0.60`).
    Constant(f64),
    /// One value per split `k = 1..L-1` (offloading from the final exit never happens).
    PerSplit(Vec<f64>),
}

/// How the cost of a decision is reported (the reward always uses `proc + off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportedCost {
    /// `proc(k)`, plus `off(k)` when offloaded: the same formula as the reward's cost part.
    Standard,
    /// The published SplitEE script's `lambda + 0.8 * lambda * i (+ o)` for 0-based arm `i`
    /// (linear model only).
    SplitEe2023Script,
}

/// A validated cost model, not yet tied to a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    pub processing: ProcessingCost,
    pub offload: OffloadCost,
    /// Weight of cost against confidence in the reward.
    pub mu: f64,
}

/// A cost model that cannot be used with a trace or is invalid in itself; the message names the
/// config key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct CostError {
    pub key: &'static str,
    pub message: String,
}

fn cost_error(key: &'static str, message: impl Into<String>) -> CostError {
    CostError {
        key,
        message: message.into(),
    }
}

impl From<crate::params::ParamError> for CostError {
    fn from(e: crate::params::ParamError) -> Self {
        cost_error(e.key, e.message)
    }
}

/// Every entry of `values` finite and `>= 0` (the cost rule of [`crate::params`]).
fn check_non_negative(key: &'static str, values: &[f64]) -> Result<(), CostError> {
    Ok(crate::params::check_costs(key, values)?)
}

/// One line naming the model and its numbers, so that two runs' costs can be told apart:
/// `linear: lambda 0.1, o 0.5, mu 1`, `profile embedded:...json: 0.000011 per MAC, ...`.
impl std::fmt::Display for CostModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |values: &[f64]| {
            let items: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            format!("[{}]", items.join(", "))
        };
        let offload = match &self.offload {
            OffloadCost::Constant(o) => format!("o {o}"),
            OffloadCost::PerSplit(v) => format!("o {}", list(v)),
        };
        match &self.processing {
            ProcessingCost::Linear { lambda, depths } => {
                write!(f, "linear: lambda {lambda}")?;
                if let Some(depths) = depths {
                    write!(f, " x depths {}", list(depths))?;
                }
                write!(f, ", {offload}")?;
            }
            ProcessingCost::Table { table } => write!(f, "table {}, {offload}", list(table))?,
            ProcessingCost::Named { table, depths } => {
                write!(f, "{}", table.name())?;
                if let Some(depths) = depths {
                    write!(f, " at depths {}", list(depths))?;
                }
                write!(f, ", {offload}")?;
            }
            ProcessingCost::Measured => write!(f, "measured (cost_k columns), {offload}")?,
            ProcessingCost::Profile(p) => {
                f.write_str("profile")?;
                if let Some(source) = &p.source {
                    write!(f, " {}", source.display())?;
                }
                // Prices are tiny (1/91,000 per MAC): four significant digits say them.
                let price = |v: f64| match v.abs() {
                    a if a != 0.0 && a < 1e-3 => format!("{v:.3e}"),
                    _ => v.to_string(),
                };
                write!(
                    f,
                    ": {} per MAC, {} per byte",
                    price(p.per_mac),
                    price(p.per_byte)
                )?;
                if p.cloud_per_mac != 0.0 {
                    write!(f, ", {} per cloud MAC", price(p.cloud_per_mac))?;
                }
            }
        }
        write!(f, ", mu {}", self.mu)
    }
}

impl ProcessingCost {
    /// The config key of the model's values, blamed for what is computed from them.
    pub fn key(&self) -> &'static str {
        match self {
            ProcessingCost::Linear { .. } => "cost.lambda",
            ProcessingCost::Table { .. } => "cost.table",
            ProcessingCost::Named {
                depths: Some(_), ..
            } => "cost.depths",
            ProcessingCost::Measured | ProcessingCost::Named { .. } => "cost.model",
            ProcessingCost::Profile(_) => "cost.profile",
        }
    }
}

impl CostModel {
    /// The SplitEE setting: `proc(k) = lambda * k`, constant offload `o`, `mu = 1`.
    pub fn linear(lambda: f64, offload: f64) -> Self {
        Self {
            processing: ProcessingCost::Linear {
                lambda,
                depths: None,
            },
            offload: OffloadCost::Constant(offload),
            mu: 1.0,
        }
    }

    /// Checks values that do not depend on a trace.
    pub fn validate(&self) -> Result<(), CostError> {
        check_non_negative("cost.mu", &[self.mu])?;
        match &self.processing {
            ProcessingCost::Linear { lambda, depths } => {
                check_non_negative("cost.lambda", &[*lambda])?;
                if let Some(d) = depths {
                    check_non_negative("cost.depths", d)?;
                }
            }
            ProcessingCost::Table { table } => check_non_negative("cost.table", table)?,
            ProcessingCost::Named { depths, .. } => {
                if let Some(d) = depths {
                    check_non_negative("cost.depths", d)?;
                }
            }
            ProcessingCost::Measured => {}
            ProcessingCost::Profile(p) => p.validate()?,
        }
        match &self.offload {
            OffloadCost::Constant(o) => check_non_negative("cost.offload", &[*o]),
            OffloadCost::PerSplit(v) => check_non_negative("cost.offload", v),
        }
    }

    /// Ties the model to a trace's exits, checking lengths and that measured costs exist.
    pub fn resolve(&self, trace: &Trace) -> Result<ResolvedCosts, CostError> {
        self.resolve_for(trace.exits(), trace.has_costs(), trace.source())
    }

    /// Ties the model to `exits` exits of samples that carry measured costs or not (a live
    /// stream, before any trace exists); `source` names the samples in messages.
    pub fn resolve_for(
        &self,
        exits: usize,
        has_costs: bool,
        source: &std::path::Path,
    ) -> Result<ResolvedCosts, CostError> {
        self.validate()?;
        let fixed_processing = match &self.processing {
            ProcessingCost::Linear { lambda, depths } => Some(
                depths_of(depths.as_deref(), exits)?
                    .iter()
                    .map(|d| lambda * d)
                    .collect(),
            ),
            ProcessingCost::Named { table, depths } => Some(
                depths_of(depths.as_deref(), exits)?
                    .iter()
                    .map(|&d| table.cost(d))
                    .collect(),
            ),
            ProcessingCost::Table { table } => {
                if table.len() != exits {
                    return Err(cost_error(
                        "cost.table",
                        format!(
                            "has {} entries but the trace has {exits} exits",
                            table.len()
                        ),
                    ));
                }
                Some(table.clone())
            }
            ProcessingCost::Measured => {
                if !has_costs {
                    return Err(cost_error(
                        "cost.model",
                        format!(
                            "\"measured\" needs cost_k columns, which {} does not have",
                            source.display()
                        ),
                    ));
                }
                None
            }
            ProcessingCost::Profile(p) => {
                if p.exits() != exits {
                    return Err(cost_error(
                        "cost.profile",
                        format!(
                            "{}has {} split points but the trace has {exits} exits",
                            p.source
                                .as_ref()
                                .map_or_else(String::new, |s| format!("{}: ", s.display())),
                            p.exits()
                        ),
                    ));
                }
                Some(p.processing())
            }
        };
        let offload = match (&self.processing, &self.offload) {
            (ProcessingCost::Profile(p), _) => p.offload(),
            (_, offload) => match offload {
                OffloadCost::Constant(o) => {
                    let mut v = vec![*o; exits];
                    v[exits - 1] = 0.0; // the final exit never offloads
                    v
                }
                OffloadCost::PerSplit(v) => {
                    if v.len() != exits - 1 {
                        return Err(cost_error(
                            "cost.offload",
                            format!(
                            "has {} entries; a per-split offload cost needs one per split 1..{} \
                             ({} values)",
                            v.len(),
                            exits - 1,
                            exits - 1
                        ),
                        ));
                    }
                    let mut v = v.clone();
                    v.push(0.0); // the final exit never offloads
                    v
                }
            },
        };
        let resolved = ResolvedCosts {
            fixed_processing,
            weighted_offload: offload.iter().map(|o| self.mu * o).collect(),
            offload,
            mu: self.mu,
        };
        if let Some(fixed) = &resolved.fixed_processing {
            resolved.check_computed(self.processing.key(), fixed.iter().copied())?;
        }
        Ok(resolved)
    }

    /// The linear model's `lambda`, if this is one (needed by the published script's cost).
    pub fn linear_lambda(&self) -> Option<f64> {
        match self.processing {
            ProcessingCost::Linear { lambda, .. } => Some(lambda),
            _ => None,
        }
    }
}

/// The backbone depth of every exit: as given (one per exit), or `1..=exits`.
fn depths_of(depths: Option<&[f64]>, exits: usize) -> Result<Vec<f64>, CostError> {
    match depths {
        Some(d) if d.len() != exits => Err(cost_error(
            "cost.depths",
            format!("has {} entries but the trace has {exits} exits", d.len()),
        )),
        Some(d) => Ok(d.to_vec()),
        None => Ok((1..=exits).map(|k| k as f64).collect()),
    }
}

/// Cost numbers for one trace, ready for the hot loop.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCosts {
    /// `proc(k)` per 0-based exit when it does not depend on the sample.
    fixed_processing: Option<Vec<f64>>,
    /// `off(k)` per 0-based exit (0 for the final exit).
    offload: Vec<f64>,
    /// `mu * off(k)`, as the reward uses it.
    weighted_offload: Vec<f64>,
    mu: f64,
}

impl ResolvedCosts {
    /// Fills `out[k] = proc(k)` for `sample`: fixed per exit, or the sample's measured costs
    /// summed up to each exit.
    #[inline]
    pub fn processing_into(&self, trace: &Trace, sample: usize, out: &mut [f64]) {
        match &self.fixed_processing {
            Some(fixed) => out.copy_from_slice(fixed),
            None => {
                let mut total = 0.0;
                for (k, o) in out.iter_mut().enumerate() {
                    total += trace.cost(sample, k).unwrap_or(0.0);
                    *o = total;
                }
            }
        }
    }

    /// Checks the costs computed for one sample from its `proc(k)` per exit, blaming `key`:
    /// every split's `proc(k) + off(k)` and `mu * (proc(k) + off(k))`, hence every reward and
    /// reward range, stay within [`crate::params::MAX_MAGNITUDE`].
    pub fn check_computed(
        &self,
        key: &'static str,
        processing: impl IntoIterator<Item = f64>,
    ) -> Result<(), crate::params::ParamError> {
        use crate::params::check_computed;
        for (split, (p, &o)) in (1..).zip(processing.into_iter().zip(&self.offload)) {
            let cost = check_computed(key, p + o, || format!("proc({split}) + off({split})"))?;
            check_computed(key, self.mu * cost, || {
                format!("mu * (proc({split}) + off({split}))")
            })?;
        }
        Ok(())
    }

    /// Whether `proc(k)` is the same for every sample (so it need not be refilled per sample).
    pub fn is_fixed(&self) -> bool {
        self.fixed_processing.is_some()
    }

    /// `proc(k)` per 0-based exit, when it is the same for every sample.
    pub fn fixed_processing(&self) -> Option<&[f64]> {
        self.fixed_processing.as_deref()
    }

    #[inline]
    pub fn offload(&self, exit: usize) -> f64 {
        self.offload[exit]
    }

    /// `mu * off(k)` per 0-based exit (0 for the final exit).
    #[inline]
    pub fn weighted_offload(&self) -> &[f64] {
        &self.weighted_offload
    }

    #[inline]
    pub fn mu(&self) -> f64 {
        self.mu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_negative_values_naming_the_key() {
        let mut m = CostModel::linear(0.1, -0.3);
        assert_eq!(
            m.validate().unwrap_err().to_string(),
            "cost.offload: is -0.3; costs must be finite, >= 0 and at most 1e100"
        );
        m = CostModel::linear(-1.0, 0.3);
        assert_eq!(m.validate().unwrap_err().key, "cost.lambda");
        m = CostModel::linear(0.1, 0.3);
        m.mu = f64::NAN;
        assert_eq!(m.validate().unwrap_err().key, "cost.mu");
    }

    #[test]
    fn costs_computed_from_accepted_values_stay_finite() {
        let source = std::path::Path::new("t");
        // lambda and mu are each accepted, but mu * proc(12) would be 1.2e102.
        let mut m = CostModel::linear(1e100, 0.5);
        assert_eq!(
            m.resolve_for(12, false, source).unwrap_err().to_string(),
            "cost.lambda: proc(2) + off(2) is 2e100, beyond 1e100: lower the values it is \
             computed from"
        );
        m = CostModel::linear(1e99, 0.5);
        m.mu = 100.0;
        assert!(m
            .resolve_for(12, false, source)
            .unwrap_err()
            .message
            .starts_with("mu * (proc(1) + off(1)) is"));
        m = CostModel::linear(1e308, 0.5);
        assert_eq!(m.validate().unwrap_err().key, "cost.lambda");
        m = CostModel::linear(0.1, 1.7e308);
        assert_eq!(m.validate().unwrap_err().key, "cost.offload");
        assert!(CostModel::linear(0.1, 0.5)
            .resolve_for(12, false, source)
            .is_ok());
    }

    #[test]
    fn offload_cost_reads_scalar_or_list() {
        #[derive(Deserialize)]
        struct W {
            offload: OffloadCost,
        }
        let scalar: W = toml::from_str("offload = 0.5").unwrap();
        assert_eq!(scalar.offload, OffloadCost::Constant(0.5));
        let list: W = toml::from_str("offload = [0.1, 0.2]").unwrap();
        assert_eq!(list.offload, OffloadCost::PerSplit(vec![0.1, 0.2]));
    }
}
