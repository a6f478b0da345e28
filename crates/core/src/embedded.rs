//! The data `splitee run` uses when given no trace, built into the binary so a first run needs
//! no file: the 24%-dense predefined-sparse MNIST network of `experiments/sparsity-mnist.toml`
//! (`datasets/sparsity-mnist-d25.csv`, 3,000 held-out images, 3 exits) and its cost profile,
//! priced as in that experiment's report. See `datasets/README.md` for its provenance.

use crate::cost::{CostModel, OffloadCost, ProcessingCost, ProfileCost};
use crate::trace::{self, Trace, TraceError};
use std::path::Path;

/// The embedded trace's name in reports.
pub const TRACE_NAME: &str = "embedded:sparsity-mnist-d25";

const TRACE_CSV: &[u8] = include_bytes!("../../../datasets/sparsity-mnist-d25.csv");
const PROFILE_JSON: &str = include_str!("../../../datasets/sparsity-mnist-d25.profile.json");

/// Device cost per MAC: the dense reference network's final exit (91,000 MACs) costs 1.0, so
/// the sparse network's costs read as fractions of the dense one's.
pub const PER_MAC: f64 = 1.0 / 91_000.0;
/// Cost per byte sent: sending the zero-padded input (800 f32 values, 3,200 bytes) costs 1.0.
pub const PER_BYTE: f64 = 1.0 / 3_200.0;

/// The embedded trace.
pub fn trace() -> Result<Trace, TraceError> {
    trace::from_csv_bytes(TRACE_CSV, Path::new(TRACE_NAME))
}

/// The embedded trace's profile cost model with the weight `mu` of cost against confidence;
/// `splitee run` uses it when neither a trace nor a cost model is given.
pub fn cost_model(mu: f64) -> CostModel {
    let profile = ProfileCost::parse(
        PROFILE_JSON,
        Path::new("embedded:sparsity-mnist-d25.profile.json"),
        PER_MAC,
        PER_BYTE,
        0.0,
    )
    .expect("the embedded profile is valid (checked by a test)");
    CostModel {
        processing: ProcessingCost::Profile(profile),
        // Unused: the profile model derives off(k) from the profile's bytes.
        offload: OffloadCost::Constant(0.0),
        mu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded data loads, agrees on its exits, and prices the network as the sparsity
    /// report does (proc = 0.181, 0.236, 0.242; off = 0.125 at both splits).
    #[test]
    fn embedded_trace_and_costs_match_the_sparsity_report() {
        let trace = trace().unwrap();
        assert_eq!((trace.samples(), trace.exits()), (3000, 3));
        let costs = cost_model(1.0).resolve(&trace).unwrap();
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        let processing: Vec<f64> = costs
            .fixed_processing()
            .unwrap()
            .iter()
            .map(|&x| round(x))
            .collect();
        let offload: Vec<f64> = (0..3).map(|k| round(costs.offload(k))).collect();
        assert_eq!(processing, [0.181, 0.236, 0.242]);
        assert_eq!(offload, [0.125, 0.125, 0.0]);
    }
}
