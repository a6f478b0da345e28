//! The cost profile of a network (weights, bytes and cloud work per split) and the profile cost
//! model a config builds from it.

use crate::tiny;
use splitee::config::{Overrides, ResolveSettings, RunSettings};
use splitee::cost::ProcessingCost;
use splitee::train::profile::CostProfile;
use splitee::train::{write_trace, TrainParams};

#[test]
fn profile_counts_weights_bytes_and_cloud_work() {
    let mlp = TrainParams {
        widths: vec![800, 100, 100, 10],
        ..tiny(vec![25, 10, 5], vec![5, 5])
    }
    .validate()
    .unwrap()
    .build();
    let p = CostProfile::of(&mlp, "d25", 4);
    let macs: Vec<u64> = p.splits.iter().map(|s| s.device_macs).collect();
    assert_eq!(macs, [20_000 + 500, 21_000 + 500, 21_500]);
    let sent: Vec<u64> = p.splits.iter().map(|s| s.bytes_sent).collect();
    assert_eq!(sent, [400, 400, 0]);
    let cloud: Vec<u64> = p.splits.iter().map(|s| s.cloud_macs).collect();
    assert_eq!(cloud, [1_500, 500, 0]);
    assert_eq!(p.weights, 22_500);
    assert_eq!(p.dense_weights, 93_000);
    assert_eq!(p.splits[0].storage_bytes_sparse, 20_500 * 6 + 110 * 4);
    assert_eq!(p.splits[0].storage_bytes_dense, (81_000 + 110) * 4);
    assert!((p.density - 21_500.0 / 91_000.0).abs() < 1e-12);
}

#[test]
fn profile_cost_model_from_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let mlp = tiny(vec![], vec![]).validate().unwrap().build();
    std::fs::write(
        dir.path().join("net.profile.json"),
        CostProfile::of(&mlp, "t", 4).to_json(),
    )
    .unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[cost]\nmodel = \"profile\"\nprofile = \"net.profile.json\"\nper_mac = 0.001\nper_byte = 0.01\ncloud_per_mac = 0.0001\n",
    )
    .unwrap();
    let settings = RunSettings::resolve(Some(&config), Overrides::default()).unwrap();
    let ProcessingCost::Profile(p) = &settings.cost.processing else {
        panic!("not a profile model: {:?}", settings.cost.processing);
    };
    // Device: 20*12 + head 12*4; 240 + 96 + head 8*4; whole backbone 240 + 96 + 32.
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
    assert!(
        close(&p.processing(), &[0.288, 0.368, 0.368]),
        "{:?}",
        p.processing()
    );
    // Offload: 12 activations x 4 bytes x 0.01 + cloud (96 + 32) x 1e-4, then 8 x 4 x 0.01 + 32e-4.
    let off = p.offload();
    assert!((off[0] - (0.48 + 0.0128)).abs() < 1e-12 && (off[1] - (0.32 + 0.0032)).abs() < 1e-12);
    assert_eq!(off[2], 0.0);

    // A trace with another number of exits is refused, naming the key.
    let trace = splitee::trace::synth::SynthParams {
        samples: 10,
        exits: 4,
        classes: 2,
        seed: 0,
    };
    let samples: Vec<_> = trace.stream().unwrap().collect();
    let path = dir.path().join("t.csv");
    write_trace(&path, &samples).unwrap();
    let e = settings
        .cost
        .resolve(&splitee::trace::load(&path).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cost.profile: ")
            && e.ends_with("has 3 split points but the trace has 4 exits"),
        "{e}"
    );

    // Missing prices and a constant offloading cost are errors naming the key.
    let config_error = |text: &str| {
        std::fs::write(&config, text).unwrap();
        RunSettings::resolve(Some(&config), Overrides::default())
            .unwrap_err()
            .to_string()
    };
    let e =
        config_error("[cost]\nmodel = \"profile\"\nprofile = \"net.profile.json\"\nper_byte = 1\n");
    assert!(
        e.ends_with(
            "line 2: cost.model: the profile cost model needs cost.per_mac (cost per unit)"
        ),
        "{e}"
    );
    let e = config_error("[cost]\nmodel = \"profile\"\nprofile = \"net.profile.json\"\nper_mac = 1\nper_byte = 1\noffload = 0.3\n");
    assert!(
        e.contains("line 6: cost.offload: the profile cost model derives off(k)"),
        "{e}"
    );
    let e = config_error(
        "[cost]\nmodel = \"profile\"\nprofile = \"missing.json\"\nper_mac = 1\nper_byte = 1\n",
    );
    assert!(
        e.contains("line 3: cost.profile: ") && e.contains("missing.json: cannot read"),
        "{e}"
    );
}
