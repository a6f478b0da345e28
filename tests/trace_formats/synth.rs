//! Synthetic traces and the statistics of a trace.

use crate::{assert_mentions, fixture};
use splitee::trace::synth::SynthParams;
use splitee::trace::{self, TraceStats};

#[test]
fn synthetic_accuracy_and_confidence_rise_with_depth() {
    let trace = SynthParams {
        samples: 20_000,
        exits: 12,
        classes: 2,
        seed: 1,
    }
    .trace()
    .unwrap();
    let stats = TraceStats::compute(&trace, &[]);
    let accuracy: Vec<f64> = stats.per_exit.iter().map(|e| e.accuracy.unwrap()).collect();
    let confidence: Vec<f64> = stats
        .per_exit
        .iter()
        .filter_map(|e| e.mean_confidence)
        .collect();
    for k in 1..12 {
        assert!(accuracy[k] > accuracy[k - 1], "accuracy {accuracy:?}");
        assert!(
            confidence[k] > confidence[k - 1],
            "confidence {confidence:?}"
        );
    }
    // Roughly the profile of the real SST-2 trace (documented in `trace::synth`).
    assert!((0.65..0.78).contains(&accuracy[0]), "{accuracy:?}");
    assert!((0.87..0.94).contains(&accuracy[11]), "{accuracy:?}");
    assert!((0.55..0.65).contains(&confidence[0]), "{confidence:?}");
    assert!((0.82..0.9).contains(&confidence[11]), "{confidence:?}");
}

#[test]
fn stats_render_as_a_table_and_as_json() {
    let trace = trace::load(&fixture("small.csv")).unwrap();
    let stats = TraceStats::compute(&trace, &[0.5, 0.9]);
    let table = stats.to_string();
    assert_mentions(
        &table,
        &[
            "4 samples, 3 exits, 3 classes, 3 labeled, measured costs",
            "C>=0.90",
        ],
    );
    // The header, the column names, 3 exits and the strong-dominance line.
    assert_eq!(table.lines().count(), 2 + 3 + 1);
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["per_exit"][2]["median_cost"], 3.0);
    assert_eq!(json["per_exit"][0]["confident_fraction"][0], 0.75);
}
