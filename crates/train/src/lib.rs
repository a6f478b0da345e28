//! Train multi-exit MLPs with predefined sparsity (SPEC section 6) and turn them into what the
//! rest of splitee consumes: a per-exit trace of held-out samples (canonical CSV) and a cost
//! profile (JSON) per split point.
//!
//! - [`data`]: MNIST IDX and UCI optdigits loaders;
//! - [`sparsity`]: fixed fan-out / fan-in connection patterns;
//! - [`mlp`]: the network, its forward and backward passes, Adam, and a sparse inference kernel;
//! - [`profile`]: cost profiles;
//! - [`distort`]: Gaussian noise and blur for traces under distortion;
//! - [`mod@bench`]: training and inference speed.
//!
//! Parameters are checked once ([`TrainParams::validate`] gives [`ValidParams`]); everything is
//! seeded (ChaCha8) and single-threaded, so a seed gives byte-identical traces and profiles on a
//! given machine.

pub mod bench;
pub mod data;
pub mod distort;
pub mod mlp;
pub mod profile;
pub mod sparsity;

mod error;
mod fit;
mod output;
mod params;

pub use self::error::{invalid, TrainError};
pub use self::fit::{train, EpochStats, NoProgress, Progress};
pub use self::output::{exit_accuracy, trace_samples, write_text, write_trace, CONF_DECIMALS};
pub use self::params::{derive_seed, Schedule, TrainParams, ValidParams};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Images;

    #[test]
    fn schedules_parse_print_and_give_rates() {
        for text in ["constant", "cosine", "step:20:0.5"] {
            let s: Schedule = text.parse().unwrap();
            assert_eq!(s.to_string(), text);
        }
        let step: Schedule = " step:3:0.1 ".parse().unwrap();
        assert_eq!(
            step,
            Schedule::Step {
                every: 3,
                factor: 0.1
            }
        );
        for bad in [
            "linear",
            "step:0:0.5",
            "step:2:1.5",
            "step:2:0",
            "step:2",
            "step:x:0.5",
        ] {
            let e = bad.parse::<Schedule>().unwrap_err();
            assert!(e.contains(bad.trim()), "{bad}: {e}");
        }
        let lr = 0.002;
        assert_eq!(Schedule::Constant.rate(lr, 7, 10, 3), lr);
        let cos = |step| Schedule::Cosine.rate(lr, step, 100, 0);
        assert_eq!(cos(0), lr);
        assert!((cos(50) - lr / 2.0).abs() < 1e-15);
        assert!(cos(99) > 0.0 && cos(99) < 1e-5 * lr * 100.0);
        assert!((1..100).all(|t| cos(t) < cos(t - 1)), "cosine decreases");
        // The step schedule depends on the epoch only.
        let r = |epoch| step.rate(1.0, 0, 1, epoch);
        assert_eq!([r(0), r(2)], [1.0, 1.0]);
        assert!((r(3) - 0.1).abs() < 1e-12 && (r(8) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn training_options_are_validated() {
        let base = TrainParams {
            widths: vec![20, 12, 8, 4],
            ..TrainParams::default()
        };
        let err = |p: TrainParams| p.validate().unwrap_err().to_string();
        let e = err(TrainParams {
            weight_decay: -0.1,
            ..base.clone()
        });
        assert!(e.starts_with("weight_decay: must be finite, >= 0"), "{e}");
        let e = err(TrainParams {
            weight_decay: 1000.0,
            ..base.clone()
        });
        assert!(e.contains("below 1 / learning_rate, got 1000"), "{e}");
        let e = err(TrainParams {
            schedule: Schedule::Step {
                every: 0,
                factor: 0.5,
            },
            ..base.clone()
        });
        assert!(e.starts_with("lr_schedule: step:0:0.5"), "{e}");
        // A network the machine cannot hold is refused before anything is allocated.
        let e = err(TrainParams {
            widths: vec![64, 4_000_000_000, 10],
            exits: vec![],
            ..base.clone()
        });
        assert!(
            e.starts_with("widths: a network of widths [64, 4000000000, 10] would need "),
            "{e}"
        );
        let e = err(TrainParams {
            widths: vec![64, usize::MAX, 10],
            exits: vec![],
            ..base.clone()
        });
        assert!(e.contains("would need more than 16 EiB of memory"), "{e}");
        // Shifts must leave part of the image in view.
        let images = Images {
            pixels: ndarray::Array2::zeros((2, 20)),
            labels: vec![0, 1],
            rows: 4,
            cols: 5,
        };
        let shifted = |shift| {
            TrainParams {
                shift,
                ..base.clone()
            }
            .validate()
            .unwrap()
            .check_data(&images, "training")
        };
        shifted(3).unwrap();
        let e = shifted(4).unwrap_err().to_string();
        assert_eq!(
            e,
            "shift: 4 pixels would move a 4x5 training image out of view; it must be below both \
             sides"
        );
    }
}
