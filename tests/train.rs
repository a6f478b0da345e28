//! The trainer (issue #5): sparsity patterns, masking under Adam, validation messages, data
//! loader errors, determinism, the profile cost model, and a quick accuracy check on optdigits.

mod common;

use common::{shared_dir, write_tiny_study};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use splitee::config::{Overrides, ResolveSettings, RunSettings};
use splitee::cost::ProcessingCost;
use splitee::study::Study;
use splitee::train::data::{
    load_mnist_folder, load_optdigits_folder, read_idx_images, read_idx_labels, read_optdigits,
    Images,
};
use splitee::train::mlp::{Adam, SparseMlp};
use splitee::train::profile::CostProfile;
use splitee::train::sparsity::Pattern;
use splitee::train::{trace_samples, train, write_trace, NoProgress, Schedule, TrainParams};
use std::path::Path;

fn random_images(n: usize, rows: usize, cols: usize, seed: u64) -> Images {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Images {
        pixels: Array2::from_shape_simple_fn((n, rows * cols), || rng.random::<f32>()),
        labels: (0..n).map(|_| rng.random_range(0..4u8)).collect(),
        rows,
        cols,
    }
}

fn tiny(fanout: Vec<usize>, exit_fanout: Vec<usize>) -> TrainParams {
    TrainParams {
        name: "tiny".into(),
        widths: vec![20, 12, 8, 4],
        exits: vec![1, 2],
        fanout,
        exit_fanout,
        epochs: 2,
        batch: 16,
        learning_rate: 1e-2,
        schedule: Schedule::Constant,
        shift: 0,
        weight_decay: 0.0,
        seed: 3,
    }
}

#[test]
fn mask_degrees_are_exact_for_several_configs() {
    for &(n_in, n_out, fo) in &[
        (800, 100, 25),
        (800, 100, 4),
        (100, 100, 10),
        (100, 10, 1),
        (100, 10, 5),
        (12, 8, 2),
        (8, 12, 9),
    ] {
        for seed in 0..3 {
            let p = Pattern::random(n_in, n_out, fo, seed).unwrap();
            let m = p.mask();
            for (u, row) in m.rows().into_iter().enumerate() {
                assert_eq!(row.sum(), fo as f32, "{n_in}->{n_out} fo {fo}: input {u}");
            }
            let fi = n_in * fo / n_out;
            for (v, col) in m.columns().into_iter().enumerate() {
                assert_eq!(col.sum(), fi as f32, "{n_in}->{n_out} fo {fo}: output {v}");
            }
            assert_eq!(m.sum(), (n_in * fo) as f32);
        }
    }
    // Different seeds give different patterns; the same seed the same one.
    let a = Pattern::random(100, 100, 10, 1).unwrap();
    assert_eq!(a, Pattern::random(100, 100, 10, 1).unwrap());
    assert_ne!(a, Pattern::random(100, 100, 10, 2).unwrap());
}

#[test]
fn masked_weights_stay_zero_after_adam_steps() {
    let params = tiny(vec![6, 4, 2], vec![2, 2]).validate().unwrap();
    let mut mlp = params.build();
    let images = random_images(64, 4, 5, 1);
    let x = mlp.input(&images.pixels.view());
    let mut adam = Adam::new(&mlp, 1e-2);
    adam.weight_decay = 0.5; // AdamW shrinks weights, but absent edges stay exactly 0
    let before: Vec<Array2<f32>> = mlp.layers.iter().map(|l| l.w.clone()).collect();
    for _ in 0..5 {
        adam.step(&mut mlp, &x.view(), &images.labels);
    }
    for l in mlp.layers.iter().chain(&mlp.heads) {
        let mask = l.mask.as_ref().expect("sparse layer");
        let mut live = 0;
        for (w, m) in l.w.iter().zip(mask) {
            if *m == 0.0 {
                assert_eq!(*w, 0.0, "a masked weight moved");
            } else if *w != 0.0 {
                live += 1;
            }
        }
        assert_eq!(live, l.pattern.edges(), "every edge keeps a nonzero weight");
    }
    assert!(
        mlp.layers.iter().zip(&before).any(|(l, b)| l.w != b),
        "training changed nothing"
    );
    // The truly sparse kernel computes the same final logits as the masked-dense one.
    let dense = mlp.predict(&x.view(), 32);
    let mut sparse = SparseMlp::of(&mlp).forward(&x.view());
    splitee::train::mlp::softmax_rows(&mut sparse);
    let last = dense.last().unwrap();
    for (a, b) in last.iter().zip(&sparse) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn fan_in_is_checked_with_the_gcd() {
    use splitee::train::sparsity::{fan_in, gcd};
    assert_eq!(gcd(800, 100), 100);
    assert_eq!(gcd(20, 12), 4);
    assert_eq!(fan_in(800, 100, 5), Ok(40));
    assert_eq!(fan_in(100, 10, 1), Ok(10));
    assert_eq!(fan_in(8, 12, 3), Ok(2));
    assert!(fan_in(8, 12, 2)
        .unwrap_err()
        .contains("multiple of 3 (12 / gcd(8, 12))"));
    assert!(fan_in(10, 10, 0).is_err());
    tiny(vec![6, 4, 3], vec![]).validate().unwrap();
}

#[test]
fn fanout_that_gives_a_fractional_fanin_is_rejected() {
    let mut p = tiny(vec![], vec![]);
    p.widths = vec![20, 12, 8, 4];
    p.fanout = vec![4, 4, 1]; // 20*4/12 = 6.67
    assert_eq!(
        p.validate().unwrap_err().to_string(),
        "network tiny: junction 1 (20 -> 12): fan-out 4 gives fan-in 20 x 4 / 12 = 6.667, not \
         an integer; the fan-out must be a multiple of 3 (12 / gcd(20, 12))"
    );
    p.fanout = vec![3, 13, 1];
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .contains("junction 2 (12 -> 8): fan-out 13 must be in 1..=8"));
    p.fanout = vec![3, 2, 1];
    p.exit_fanout = vec![3, 3]; // head 1: 12 -> 4, 12*3/4 = 9 ok; head 2: 8 -> 4: 6 ok
    p.validate().unwrap();
    p.widths = vec![20, 12, 6, 4];
    p.fanout = vec![3, 1, 2];
    p.exit_fanout = vec![1, 1]; // head 2: 6 -> 4, 6/4
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .starts_with("network tiny: exit head 2 (after layer 2, 6 -> 4): fan-out 1 gives fan-in"));
    p.exits = vec![2, 1];
    assert!(p.validate().unwrap_err().to_string().starts_with("exits:"));
}

#[test]
fn data_loader_errors_name_the_file_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad-idx");
    // Wrong magic.
    std::fs::write(
        &path,
        [0u8, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4],
    )
    .unwrap();
    let e = read_idx_labels(&path, 10).unwrap_err().to_string();
    assert!(
        e.contains("bad-idx: not an IDX labels file: magic number 0x00000803, expected 0x00000801"),
        "{e}"
    );
    // Truncated images.
    std::fs::write(
        &path,
        [0u8, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3],
    )
    .unwrap();
    let e = read_idx_images(&path).unwrap_err().to_string();
    assert!(e.contains("truncated IDX images file: its header announces 1 x 2 x 2 (20 bytes) but it has 19 bytes"), "{e}");
    // Label out of range (gzipped, to read through gzip too).
    let gz = dir.path().join("labels.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &[0, 0, 8, 1, 0, 0, 0, 3, 1, 12, 3]).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let e = read_idx_labels(&gz, 10).unwrap_err().to_string();
    assert!(
        e.ends_with("labels.gz: label 1: label 12 is out of range 0..=9"),
        "{e}"
    );
    // optdigits: short row, out-of-range pixel, bad class.
    let opt = dir.path().join("optdigits.tra");
    let row = |pixel: &str, class: &str| format!("{pixel}{},{class}\n", ",0".repeat(63));
    std::fs::write(&opt, row("0", "1") + "1,2,3\n").unwrap();
    let e = read_optdigits(&opt).unwrap_err().to_string();
    assert!(e.ends_with("optdigits.tra: line 2: column 3: has 3 values; an optdigits row has 64 pixels and a class"), "{e}");
    std::fs::write(&opt, row("17", "1")).unwrap();
    assert!(read_optdigits(&opt)
        .unwrap_err()
        .to_string()
        .contains("line 1: column 1: pixel count 17 is out of range 0..=16"));
    std::fs::write(&opt, row("0", "10")).unwrap();
    assert!(read_optdigits(&opt)
        .unwrap_err()
        .to_string()
        .ends_with("line 1: label 10 is out of range 0..=9"));
    // A folder without MNIST files.
    let e = load_mnist_folder(dir.path(), 7000, 3000, 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no t10k-images-idx*-ubyte[.gz] file in this MNIST folder"),
        "{e}"
    );
    assert!(load_optdigits_folder(&dir.path().join("nope"))
        .unwrap_err()
        .to_string()
        .contains("cannot read"));
}

#[test]
fn same_seed_gives_byte_identical_trace_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let params = tiny(vec![6, 4, 2], vec![2, 2]).validate().unwrap();
    let train_set = random_images(100, 4, 5, 1);
    let held_out = random_images(40, 4, 5, 2);
    let mut outputs = Vec::new();
    for run in 0..2 {
        let mlp = train(&params, &train_set, &mut NoProgress).unwrap();
        let path = dir.path().join(format!("t{run}.csv"));
        write_trace(&path, &trace_samples(&mlp, &held_out)).unwrap();
        outputs.push((
            std::fs::read(&path).unwrap(),
            CostProfile::of(&mlp, "tiny", 4).to_json(),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
    // The trace reads back as a 3-exit labeled trace.
    let trace = splitee::trace::load(&dir.path().join("t0.csv")).unwrap();
    assert_eq!((trace.samples(), trace.exits()), (40, 3));
    let other = TrainParams {
        seed: 4,
        ..params.params().clone()
    }
    .validate()
    .unwrap();
    let mlp = train(&other, &train_set, &mut NoProgress).unwrap();
    let path = dir.path().join("t2.csv");
    write_trace(&path, &trace_samples(&mlp, &held_out)).unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), outputs[0].0);
}

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

#[test]
fn optdigits_small_network_learns() {
    let dir = shared_dir().join("data/optdigits");
    if !dir.join("optdigits.tra").is_file() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let data = load_optdigits_folder(&dir).unwrap();
    assert_eq!((data.train.len(), data.trace.len()), (3823, 1797));
    let params = TrainParams {
        name: "quick".into(),
        widths: vec![64, 64, 10],
        exits: vec![1],
        epochs: 15,
        ..TrainParams::default()
    }
    .validate()
    .unwrap();
    let mlp = train(&params, &data.train, &mut NoProgress).unwrap();
    let acc = splitee::train::exit_accuracy(&trace_samples(&mlp, &data.trace));
    assert!(acc[1] >= 0.90, "final-exit accuracy {acc:?}");
}

#[test]
fn mnist_test_set_is_split_with_a_seed() {
    let dir = shared_dir().join("data/mnist");
    if !dir.join("t10k-images-idx3-ubyte.gz").is_file() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let a = load_mnist_folder(&dir, 7000, 3000, 0).unwrap();
    assert_eq!(
        (a.train.len(), a.trace.len(), a.train.rows, a.train.cols),
        (7000, 3000, 28, 28)
    );
    let b = load_mnist_folder(&dir, 7000, 3000, 0).unwrap();
    assert_eq!(a.trace.labels, b.trace.labels);
    let e = load_mnist_folder(&dir, 8000, 3000, 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot split 10000 test images into 8000 for training and 3000 to trace"),
        "{e}"
    );
}

/// Trains `params` on `train_set` and returns the trace of `held_out` as CSV bytes.
fn trace_bytes(params: &TrainParams, train_set: &Images, held_out: &Images, dir: &Path) -> Vec<u8> {
    let mlp = train(&params.validate().unwrap(), train_set, &mut NoProgress).unwrap();
    let path = dir.join("t.csv");
    write_trace(&path, &trace_samples(&mlp, held_out)).unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn schedule_shifts_and_weight_decay_are_seeded_and_change_the_training() {
    let dir = tempfile::tempdir().unwrap();
    let train_set = random_images(100, 4, 5, 1);
    let held_out = random_images(40, 4, 5, 2);
    let plain = tiny(vec![6, 4, 2], vec![2, 2]);
    let tuned = TrainParams {
        schedule: Schedule::Cosine,
        shift: 1,
        weight_decay: 0.5,
        epochs: 3,
        ..plain.clone()
    };
    let a = trace_bytes(&tuned, &train_set, &held_out, dir.path());
    assert!(
        a == trace_bytes(&tuned, &train_set, &held_out, dir.path()),
        "not reproducible"
    );
    // Each option on its own changes what is learned.
    let base = TrainParams {
        epochs: 3,
        ..plain.clone()
    };
    let reference = trace_bytes(&base, &train_set, &held_out, dir.path());
    for changed in [
        TrainParams {
            schedule: Schedule::Cosine,
            ..base.clone()
        },
        TrainParams {
            schedule: "step:1:0.5".parse().unwrap(),
            ..base.clone()
        },
        TrainParams {
            shift: 1,
            ..base.clone()
        },
        TrainParams {
            weight_decay: 0.5,
            ..base.clone()
        },
    ] {
        let bytes = trace_bytes(&changed, &train_set, &held_out, dir.path());
        assert_ne!(
            bytes, reference,
            "{changed:?} trained like the plain network"
        );
    }
    // Another seed gives other shifts (and weights), hence another trace.
    let other = TrainParams { seed: 4, ..tuned };
    assert!(
        trace_bytes(&other, &train_set, &held_out, dir.path()) != a,
        "seed ignored"
    );
}

/// A tiny study on synthetic optdigits files in `dir`: a dense and a sparse network, two
/// seeds, and the given `[output]` and further sections.
fn tiny_study(dir: &Path, output: &str) -> std::path::PathBuf {
    write_tiny_study(
        dir,
        &format!(
            r#"lr_schedule = "cosine"
shift = 1
weight_decay = 0.1

[[networks]]
name = "dense"

[[networks]]
name = "sparse"
fanout = [4, 8, 5]
exit_fanout = [5, 5]

{output}"#
        ),
    )
}

#[test]
fn a_study_trains_every_seed_and_reports_the_spread() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_study(
        dir.path(),
        "[output]\ndatasets = \"out\"\nprefix = \"t\"\nreport = \"res\"\n\n[evaluate]\nruns = 2\n",
    );
    let report = Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap();
    assert_eq!(report.seeds, [0, 1]);
    assert_eq!(report.seed_accuracy.len(), 2);
    for (n, s) in report.networks.iter().zip(&report.seed_accuracy) {
        assert_eq!(s.network, n.name);
        assert_eq!(s.exit_accuracy.len(), 2, "{}: one row per seed", n.name);
        // The traced networks are those of the first seed.
        assert_eq!(s.exit_accuracy[0], n.exit_accuracy);
        assert!(n
            .trace
            .as_deref()
            .unwrap()
            .ends_with(&format!("t-{}.csv", n.name)));
    }
    // The synthetic digits are easy: the dense network learns them.
    let dense = report.seed_accuracy[0].final_accuracy();
    assert!(dense.iter().all(|&a| a > 0.8), "{dense:?}");
    let md = std::fs::read_to_string(dir.path().join("res/report.md")).unwrap();
    for text in [
        "Training: 4 epochs, Adam lr 0.01 (cosine schedule), batch 32, weight decay 0.1",
        "shifted by a random whole number of pixels in -1..=1",
        "Every network was also trained with seeds [1]",
        "## Summary",
        "| dense | 100.00% | 1.00x | 1.00x |",
        "| sparse | 32.22% | 2.82x |",
        "## Seeds",
        "| network | density | seed 0 | seed 1 | mean ± sd |",
    ] {
        assert!(md.contains(text), "report.md lacks {text:?}:\n{md}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("res/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["weight_decay"], 0.1);
    assert_eq!(json["lr_schedule"], "cosine");
    assert_eq!(
        json["seed_accuracy"][1]["exit_accuracy"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The same config gives the same bytes again (traces, profiles and the report).
    let written = || -> Vec<Vec<u8>> {
        [
            "out/t-dense.csv",
            "out/t-sparse.profile.json",
            "res/report.md",
        ]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect()
    };
    let first = written();
    Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap();
    assert_eq!(first, written());
}

#[test]
fn a_study_without_datasets_writes_only_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_study(dir.path(), "[output]\nreport = \"res\"\n");
    let report = Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap();
    assert!(report
        .networks
        .iter()
        .all(|n| n.trace.is_none() && n.profile_path.is_none()));
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["data", "res", "study.toml"]);
    assert!(dir.path().join("res/report.md").is_file());
}

#[test]
fn study_training_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let error = |output: &str, edit: &dyn Fn(String) -> String| {
        let config = tiny_study(dir.path(), output);
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, edit(text)).unwrap();
        Study::from_config(&config).unwrap_err().to_string()
    };
    let report = "[output]\nreport = \"res\"\n";
    let e = error(report, &|t| t.replace("\"cosine\"", "\"linear\""));
    assert!(
        e.contains("model.lr_schedule: unknown schedule \"linear\""),
        "{e}"
    );
    let e = error(report, &|t| {
        t.replace("seeds = [0, 1]", "seeds = [0, 1]\nseed = 3")
    });
    assert!(
        e.ends_with("model: give seed or seeds, not both (the first of seeds gives the traces)"),
        "{e}"
    );
    let e = error(report, &|t| {
        t.replace("seeds = [0, 1]", "seeds = [2, 1, 2]")
    });
    assert!(e.ends_with("model.seeds: seed 2 is listed twice"), "{e}");
    let e = error(report, &|t| t.replace("seeds = [0, 1]", "seeds = []"));
    assert!(e.ends_with("model.seeds: name at least one seed"), "{e}");
    let e = error(report, &|t| {
        t.replace("weight_decay = 0.1", "weight_decay = -1")
    });
    assert!(e.contains("weight_decay: must be finite, >= 0"), "{e}");
    let e = error(&format!("{report}\n[evaluate]\nruns = 2\n"), &|t| t);
    assert!(
        e.contains("output: evaluate and distortion run on written traces"),
        "{e}"
    );
    let e = error("[output]\ndatasets = \"out\"\n", &|t| t);
    assert!(e.contains("output: datasets and prefix go together"), "{e}");
    // A shift that does not fit the 8x8 images is refused before any training.
    let config = tiny_study(dir.path(), report);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("shift = 1", "shift = 8")).unwrap();
    let e = Study::from_config(&config)
        .unwrap()
        .run(&mut NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("shift: 8 pixels would move a 8x8 training image out of view"),
        "{e}"
    );
    assert!(!dir.path().join("res/report.md").exists());
}

/// `[evaluate]` goes through the run's rules in `from_config`, before any network trains; each
/// refusal names its `evaluate.` key. Absent keys take the study's defaults.
#[test]
fn study_evaluate_settings_are_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let output = "[output]\ndatasets = \"out\"\nprefix = \"t\"\n\n[evaluate]\n";
    let error = |evaluate: &str| {
        let config = tiny_study(dir.path(), &format!("{output}{evaluate}\n"));
        Study::from_config(&config).unwrap_err().to_string()
    };
    let costs = "costs must be finite and >= 0";
    for (evaluate, expected) in [
        ("mu = -1.0", format!("evaluate.mu: entry 1 is -1; {costs}")),
        (
            "per_mac = -1.0",
            format!("evaluate.per_mac: entry 1 is -1; {costs}"),
        ),
        (
            "cloud_per_mac = inf",
            format!("evaluate.cloud_per_mac: entry 1 is inf; {costs}"),
        ),
        (
            "alpha = 1.5",
            "evaluate.alpha: alpha must be in (0, 1], got 1.5".to_owned(),
        ),
        (
            "runs = 0",
            "evaluate.runs: runs must be at least 1".to_owned(),
        ),
        (
            "policies = []",
            "evaluate.policies: name at least one policy".to_owned(),
        ),
        (
            "policies = [\"splitee\", \"fixed:4\"]",
            "evaluate.policies: policy `fixed:4`: the trace has only 3 exits".to_owned(),
        ),
    ] {
        let e = error(evaluate);
        assert!(e.ends_with(&expected), "{evaluate}: {e}");
    }
    // The defaults: the study's alpha and policies, the run's mu, runs and seed.
    let study = Study::from_config(&tiny_study(dir.path(), output)).unwrap();
    let eval = study.evaluate.unwrap();
    let run = splitee::settings::RunSettings::default();
    assert_eq!(eval.alpha, splitee::study::STUDY_ALPHA);
    assert_eq!(eval.policies, splitee::study::STUDY_POLICIES);
    assert_eq!(
        (eval.mu, eval.runs, eval.seed),
        (run.cost.mu, run.sim.runs, run.sim.seed)
    );
}

/// The committed studies pass `from_config`'s checks (nothing is read or trained).
#[test]
fn committed_studies_pass_their_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut studies = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if path.extension().is_some_and(|e| e == "toml") && text.contains("[[networks]]") {
            Study::from_config(&path).unwrap_or_else(|e| panic!("{e}"));
            studies += 1;
        }
    }
    assert!(studies >= 2, "studies in {}", dir.display());
}

/// `splitee reproduce` runs training studies too: the report and figures go to
/// `RESULTS/NAME/`, the traces where the config says; `all` skips a study whose data is absent.
#[test]
fn reproduce_runs_a_study_and_all_skips_one_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let experiments = dir.path().join("experiments");
    let config = tiny_study(
        &experiments,
        "[output]\ndatasets = \"out\"\nprefix = \"t\"\n\n[evaluate]\nruns = 2\n",
    );
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        experiments.join("absent.toml"),
        text.replace("path = \"data\"", "path = \"nowhere\""),
    )
    .unwrap();
    let results = dir.path().join("results");
    let out = assert_cmd::Command::cargo_bin("splitee")
        .unwrap()
        .args(["reproduce", "all", "--experiments"])
        .arg(&experiments)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipping absent: data folder") && stderr.contains("nowhere"),
        "{stderr}"
    );
    assert!(stderr.contains("study: wrote "), "{stderr}");
    assert!(!results.join("absent").exists());
    for file in [
        "report.md",
        "report.json",
        "sparsity-accuracy.svg",
        "sparsity-learners.png",
    ] {
        assert!(results.join("study").join(file).is_file(), "{file}");
    }
    assert!(experiments.join("out/t-sparse.profile.json").is_file());
}
