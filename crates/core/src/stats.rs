//! Summary statistics over independent runs: mean and 95% Student-t interval half-width.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A metric summarised over runs. `ci95` is the half-width of the two-sided 95% Student-t
/// interval of the mean; it is `None` (JSON `null`) with fewer than two runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: Option<f64>,
}

impl Estimate {
    pub fn from_values(values: &[f64]) -> Self {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Self { mean, ci95: None };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let ci95 = t_quantile_975(n - 1) * (var / n as f64).sqrt();
        Self {
            mean,
            ci95: Some(ci95),
        }
    }

    /// The same estimate in other units (for example per sample instead of in total).
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            mean: self.mean * factor,
            ci95: self.ci95.map(|h| h * factor),
        }
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
fn t_quantile_975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// The most frequent value (ties go to the smallest), for "most frequent arm over runs".
pub fn mode(values: impl IntoIterator<Item = usize>, bins: usize) -> usize {
    let mut counts = vec![0usize; bins];
    for v in values {
        counts[v] += 1;
    }
    crate::numeric::argmax_first(counts.iter().map(|&c| c as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_interval_matches_tables() {
        // t_{0.975, 19} = 2.093024 (standard tables).
        assert!((t_quantile_975(19) - 2.093024).abs() < 1e-5);
        let e = Estimate::from_values(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        // sd = 1.290994, se = 0.645497, t_{0.975,3} = 3.182446
        assert!((e.ci95.unwrap() - 3.182446 * 0.645497).abs() < 1e-5);
    }

    #[test]
    fn single_run_has_no_interval() {
        assert_eq!(Estimate::from_values(&[5.0]).ci95, None);
    }

    #[test]
    fn mode_and_argmax_prefer_the_first() {
        assert_eq!(mode([2, 1, 2, 1], 3), 1);
    }
}
