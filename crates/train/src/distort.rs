//! Image distortions for traces of one trained network under increasing distortion (the
//! I-SplitEE setting): additive Gaussian noise and Gaussian blur, both seeded and deterministic.
//! Pixels are in [0, 1]; noisy pixels are clipped back to [0, 1].

use super::data::Images;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One distortion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Distortion {
    /// Additive Gaussian noise of standard deviation `sigma` (pixel scale 0..1), clipped.
    Noise { sigma: f64 },
    /// Gaussian blur of standard deviation `sigma` pixels (kernel radius `ceil(3 sigma)`, edges
    /// clamped).
    Blur { sigma: f64 },
}

impl fmt::Display for Distortion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distortion::Noise { sigma } => write!(f, "noise{sigma}"),
            Distortion::Blur { sigma } => write!(f, "blur{sigma}"),
        }
    }
}

/// The widest blur, in pixels. Its kernel (radius `ceil(3 sigma)`, so 601 taps) already
/// spans any image the trainer reads many times over; a wider one would only cost memory and
/// time (a sigma of 1e9 asks for a 48 GB kernel).
pub const MAX_BLUR_SIGMA: f64 = 100.0;

impl Distortion {
    /// Checks the parameter: a finite sigma `>= 0`, and a blur's at most [`MAX_BLUR_SIGMA`].
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Distortion::Noise { sigma } | Distortion::Blur { sigma }
                if !(sigma.is_finite() && sigma >= 0.0) =>
            {
                Err(format!("{self}: sigma must be finite and >= 0"))
            }
            Distortion::Blur { sigma } if sigma > MAX_BLUR_SIGMA => Err(format!(
                "{self}: sigma must be at most {MAX_BLUR_SIGMA} pixels, a kernel of {} taps",
                2 * (3.0 * MAX_BLUR_SIGMA).ceil() as usize + 1
            )),
            _ => Ok(()),
        }
    }

    /// A distorted copy of `images` (noise drawn from `seed`).
    pub fn apply(&self, images: &Images, seed: u64) -> Images {
        let mut out = images.clone();
        match *self {
            Distortion::Noise { sigma } => {
                if sigma > 0.0 {
                    let normal = Normal::new(0.0, sigma).expect("valid sigma");
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    out.pixels.mapv_inplace(|p| {
                        (f64::from(p) + normal.sample(&mut rng)).clamp(0.0, 1.0) as f32
                    });
                }
            }
            Distortion::Blur { sigma } => {
                if sigma > 0.0 {
                    let kernel = gaussian_kernel(sigma);
                    for mut row in out.pixels.rows_mut() {
                        let img = row.to_vec();
                        let blurred = blur(&img, images.rows, images.cols, &kernel);
                        row.iter_mut().zip(blurred).for_each(|(p, b)| *p = b);
                    }
                }
            }
        }
        out
    }
}

/// Writes `img` (`rows x cols`, row-major) moved by `dy` rows down and `dx` columns right into
/// `out`; pixels moved in from outside the image are 0 (background). Used to augment training
/// images with random shifts.
pub fn shift_into(img: &[f32], out: &mut [f32], rows: usize, cols: usize, dy: isize, dx: isize) {
    out.fill(0.0);
    let (rows_i, cols_i) = (rows as isize, cols as isize);
    if dy.abs() >= rows_i || dx.abs() >= cols_i {
        return;
    }
    // Columns c of the output with 0 <= c - dx < cols.
    let (c0, c1) = (dx.max(0) as usize, (cols_i + dx.min(0)) as usize);
    let src0 = (c0 as isize - dx) as usize;
    let width = c1 - c0;
    for r in 0..rows {
        let src_r = r as isize - dy;
        if (0..rows_i).contains(&src_r) {
            let from = src_r as usize * cols + src0;
            out[r * cols + c0..r * cols + c1].copy_from_slice(&img[from..from + width]);
        }
    }
}

/// Normalised 1-D Gaussian kernel of radius `ceil(3 sigma)`.
fn gaussian_kernel(sigma: f64) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil() as i64;
    let weights: Vec<f64> = (-radius..=radius)
        .map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| (w / total) as f32).collect()
}

/// Separable blur of one `rows x cols` image with clamped edges.
fn blur(img: &[f32], rows: usize, cols: usize, kernel: &[f32]) -> Vec<f32> {
    let radius = (kernel.len() / 2) as i64;
    let clamp = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
    let mut tmp = vec![0.0f32; img.len()];
    for r in 0..rows {
        for c in 0..cols {
            tmp[r * cols + c] = kernel
                .iter()
                .enumerate()
                .map(|(j, w)| w * img[r * cols + clamp(c as i64 + j as i64 - radius, cols)])
                .sum();
        }
    }
    let mut out = vec![0.0f32; img.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[r * cols + c] = kernel
                .iter()
                .enumerate()
                .map(|(j, w)| w * tmp[clamp(r as i64 + j as i64 - radius, rows) * cols + c])
                .sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn blur_keeps_mass_and_noise_is_seeded() {
        let mut pixels = Array2::zeros((1, 25));
        pixels[[0, 12]] = 1.0;
        let images = Images {
            pixels,
            labels: vec![0],
            rows: 5,
            cols: 5,
        };
        let b = Distortion::Blur { sigma: 0.6 }.apply(&images, 0);
        assert!((b.pixels.sum() - 1.0).abs() < 1e-5);
        assert!(b.pixels[[0, 12]] < 1.0 && b.pixels[[0, 13]] > 0.0);
        let n1 = Distortion::Noise { sigma: 0.3 }.apply(&images, 5);
        let n2 = Distortion::Noise { sigma: 0.3 }.apply(&images, 5);
        assert_eq!(n1, n2);
        assert!(n1.pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn sigmas_are_finite_and_blurs_bounded() {
        assert!(Distortion::Blur { sigma: 100.0 }.validate().is_ok());
        assert_eq!(
            Distortion::Blur { sigma: 1e9 }.validate().unwrap_err(),
            "blur1000000000: sigma must be at most 100 pixels, a kernel of 601 taps"
        );
        assert!(Distortion::Noise { sigma: 1e9 }.validate().is_ok());
        assert!(Distortion::Noise { sigma: f64::NAN }.validate().is_err());
    }

    #[test]
    fn shifts_move_pixels_and_fill_with_background() {
        // 3 x 4 image with pixel values 1..=12.
        let img: Vec<f32> = (1..=12).map(|v| v as f32).collect();
        let mut out = vec![9.0; 12];
        shift_into(&img, &mut out, 3, 4, 0, 0);
        assert_eq!(out, img);
        shift_into(&img, &mut out, 3, 4, 1, -1);
        #[rustfmt::skip]
        let expected = [
            0.0, 0.0, 0.0, 0.0,
            2.0, 3.0, 4.0, 0.0,
            6.0, 7.0, 8.0, 0.0,
        ];
        assert_eq!(out, expected);
        shift_into(&img, &mut out, 3, 4, -2, 2);
        assert_eq!(
            out,
            [0.0, 0.0, 9.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        shift_into(&img, &mut out, 3, 4, 0, 4);
        assert!(out.iter().all(|&v| v == 0.0));
    }
}
