//! Cost profiles of a multi-exit network (SPEC section 6): per split point, what the device
//! computes and stores, what it sends, and what the cloud computes. `cost.model = "profile"`
//! turns one into `proc(k)` and `off(k)` (see [`splitee_core::cost::ProfileCost`]).
//!
//! Split point `k` (1-based, one per exit) is "split after exit `k`": the device runs the
//! backbone up to the exit's hidden layer `h_k` and exit `k`'s head; the final exit `L` runs the
//! whole backbone (its last junction is the classifier) and never offloads.
//! - `device_macs(k)`: nonzero weights of junctions `1..=h_k` plus those of head `k` (one
//!   multiply-accumulate per weight per sample);
//! - `device_weights(k)`, `device_biases(k)`: parameters the device stores for that split;
//! - `storage_bytes_dense(k)`: every weight stored densely (zeros included) plus biases, 4 bytes
//!   each (f32);
//! - `storage_bytes_values(k)`: nonzero weights and biases only, 4 bytes each: the pattern is not
//!   stored, because the device regenerates it from its seed;
//! - `storage_bytes_sparse(k)`: nonzero weights with their input index (`index_bytes` each: 2
//!   when every layer has at most 65,536 inputs, else 4) plus biases; the fan-in is fixed, so no
//!   row pointers are needed;
//! - `bytes_sent(k)`: width of layer `h_k` x `bytes_per_activation` (0 for the final exit);
//! - `cloud_macs(k)`: nonzero weights of junctions `h_k + 1..=D` (0 for the final exit).

use super::mlp::{Linear, Mlp};
use serde::{Deserialize, Serialize};

/// Bytes per stored weight or bias value (f32).
pub const VALUE_BYTES: u64 = 4;

/// Costs of one split point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitCost {
    /// 1-based exit.
    pub exit: usize,
    /// Backbone layer of the exit (1-based; `D` for the final exit).
    pub layer: usize,
    pub device_macs: u64,
    pub device_weights: u64,
    pub device_biases: u64,
    pub storage_bytes_dense: u64,
    pub storage_bytes_values: u64,
    pub storage_bytes_sparse: u64,
    pub bytes_sent: u64,
    pub cloud_macs: u64,
}

/// A network's cost profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostProfile {
    /// Name of the network (e.g. `dense`, `d10`).
    pub network: String,
    pub widths: Vec<usize>,
    /// Fan-out of every backbone junction.
    pub fanout: Vec<usize>,
    /// Fan-out of every exit head.
    pub exit_fanout: Vec<usize>,
    /// Hidden layers (1-based) followed by an exit head.
    pub exit_layers: Vec<usize>,
    /// Backbone density `sum |W_i| / sum N_{i-1} N_i` (SPEC section 6).
    pub density: f64,
    /// Density counting the exit heads too.
    pub density_with_heads: f64,
    /// Nonzero weights of the whole network (backbone and heads).
    pub weights: u64,
    /// Weights the dense network of the same widths and exits would have.
    pub dense_weights: u64,
    pub biases: u64,
    pub bytes_per_activation: u64,
    pub index_bytes: u64,
    /// One entry per exit `k = 1..L`.
    pub splits: Vec<SplitCost>,
}

fn dense_count(l: &Linear) -> u64 {
    (l.pattern.inputs * l.pattern.outputs) as u64
}

impl CostProfile {
    /// The profile of `mlp`.
    pub fn of(mlp: &Mlp, network: &str, bytes_per_activation: u64) -> Self {
        let depth = mlp.layers.len();
        let widest_input = mlp
            .layers
            .iter()
            .chain(&mlp.heads)
            .map(|l| l.pattern.inputs)
            .max()
            .unwrap_or(0);
        let index_bytes: u64 = if widest_input <= 1 << 16 { 2 } else { 4 };
        let mut splits = Vec::with_capacity(mlp.exits());
        let exit_layers = mlp.exit_layers.iter().copied().chain([depth]);
        for (k, layer) in exit_layers.enumerate() {
            let is_final = k + 1 == mlp.exits();
            let mut device: Vec<&Linear> = mlp.layers[..layer].iter().collect();
            if !is_final {
                device.push(&mlp.heads[k]);
            }
            let weights: u64 = device.iter().map(|l| l.weights() as u64).sum();
            let biases: u64 = device.iter().map(|l| l.b.len() as u64).sum();
            let dense: u64 = device.iter().map(|l| dense_count(l)).sum();
            splits.push(SplitCost {
                exit: k + 1,
                layer,
                device_macs: weights,
                device_weights: weights,
                device_biases: biases,
                storage_bytes_dense: (dense + biases) * VALUE_BYTES,
                storage_bytes_values: (weights + biases) * VALUE_BYTES,
                storage_bytes_sparse: weights * (VALUE_BYTES + index_bytes) + biases * VALUE_BYTES,
                bytes_sent: if is_final {
                    0
                } else {
                    mlp.widths[layer] as u64 * bytes_per_activation
                },
                cloud_macs: if is_final {
                    0
                } else {
                    mlp.layers[layer..].iter().map(|l| l.weights() as u64).sum()
                },
            });
        }
        let backbone: u64 = mlp.layers.iter().map(|l| l.weights() as u64).sum();
        let backbone_dense: u64 = mlp.layers.iter().map(dense_count).sum();
        let dense_weights: u64 = mlp.layers.iter().chain(&mlp.heads).map(dense_count).sum();
        Self {
            network: network.to_owned(),
            widths: mlp.widths.clone(),
            fanout: mlp.layers.iter().map(|l| l.pattern.fanout).collect(),
            exit_fanout: mlp.heads.iter().map(|l| l.pattern.fanout).collect(),
            exit_layers: mlp.exit_layers.clone(),
            density: backbone as f64 / backbone_dense as f64,
            density_with_heads: mlp.weights() as f64 / dense_weights as f64,
            weights: mlp.weights() as u64,
            dense_weights,
            biases: mlp.biases() as u64,
            bytes_per_activation,
            index_bytes,
            splits,
        }
    }

    /// The profile as pretty JSON (with a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a profile serialises");
        s.push('\n');
        s
    }
}
