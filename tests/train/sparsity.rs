//! Sparsity patterns: exact degrees, masked weights that stay zero under Adam, and fan-outs
//! checked against the layer widths.

use crate::{random_images, tiny};
use ndarray::Array2;
use splitee::train::mlp::{Adam, SparseMlp};
use splitee::train::sparsity::Pattern;

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
