//! The data sets: loader errors name the file and the problem, a small network learns
//! optdigits, and the MNIST test set is split with a seed (the last two skipped without the
//! shared data).

use crate::common::{shared_dir, skip_notice};
use splitee::train::data::{
    load_mnist_folder, load_optdigits_folder, read_idx_images, read_idx_labels, read_optdigits,
};
use splitee::train::{trace_samples, train, NoProgress, TrainParams};

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
fn optdigits_small_network_learns() {
    let dir = shared_dir().join("data/optdigits");
    if !dir.join("optdigits.tra").is_file() {
        skip_notice(&dir);
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
        skip_notice(&dir);
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
