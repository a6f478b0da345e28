//! Per-exit summary of a trace, as shown by `splitee inspect`.

use super::Trace;
use serde::Serialize;
use std::fmt;

/// What a trace holds and how its exits behave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceStats {
    pub source: String,
    pub samples: usize,
    pub exits: usize,
    pub classes: usize,
    /// Samples that carry a label (accuracy is measured on these only).
    pub labeled_samples: usize,
    pub has_costs: bool,
    /// The thresholds of [`ExitStats::confident_fraction`], in the order given.
    pub alphas: Vec<f64>,
    /// One entry per exit, exit 1 first.
    pub per_exit: Vec<ExitStats>,
}

/// How one exit behaves over the whole trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitStats {
    /// 1-based exit number.
    pub exit: usize,
    /// Fraction of labeled samples this exit predicts right; `None` if no sample is labeled.
    pub accuracy: Option<f64>,
    pub mean_confidence: f64,
    /// For each alpha, the fraction of samples with `C_k >= alpha` (those that would exit here).
    pub confident_fraction: Vec<f64>,
    /// Median measured cost of reaching this exit from the previous one, if the trace has costs.
    pub median_cost: Option<f64>,
}

impl TraceStats {
    pub fn compute(trace: &Trace, alphas: &[f64]) -> Self {
        let samples = trace.samples();
        let labeled_samples = (0..samples).filter(|&s| trace.label(s).is_some()).count();
        let per_exit = (0..trace.exits())
            .map(|k| {
                let right = (0..samples)
                    .filter(|&s| trace.label(s) == Some(trace.pred(s, k)))
                    .count();
                let confident = |alpha: f64| {
                    let count = (0..samples).filter(|&s| trace.conf(s, k) >= alpha).count();
                    count as f64 / samples as f64
                };
                let mean_confidence =
                    (0..samples).map(|s| trace.conf(s, k)).sum::<f64>() / samples as f64;
                let costs = (0..samples).filter_map(|s| trace.cost(s, k)).collect();
                ExitStats {
                    exit: k + 1,
                    accuracy: (labeled_samples > 0).then(|| right as f64 / labeled_samples as f64),
                    mean_confidence,
                    confident_fraction: alphas.iter().map(|&a| confident(a)).collect(),
                    median_cost: median(costs),
                }
            })
            .collect();
        Self {
            source: trace.source().display().to_string(),
            samples,
            exits: trace.exits(),
            classes: trace.classes(),
            labeled_samples,
            has_costs: trace.has_costs(),
            alphas: alphas.to_vec(),
            per_exit,
        }
    }
}

/// The median (mean of the middle two for an even count), or `None` for no values.
fn median(mut values: Vec<f64>) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (_, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    // After the selection every value left of n/2 is <= upper; the largest of them is the other
    // middle value.
    let lower = values[..n / 2]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

impl fmt::Display for TraceStats {
    /// A header line, then one aligned row per exit:
    ///
    /// ```text
    /// exit  accuracy  mean conf  C>=0.80  median cost
    ///    1    0.5092     0.5014   0.0000            -
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels = match self.labeled_samples {
            0 => "unlabeled".to_string(),
            n if n == self.samples => "labeled".to_string(),
            n => format!("{n} labeled"),
        };
        let costs = if self.has_costs {
            "measured costs"
        } else {
            "no costs"
        };
        writeln!(
            f,
            "{}: {} samples, {} exits, {} classes, {labels}, {costs}",
            self.source, self.samples, self.exits, self.classes
        )?;
        let alpha_headers: Vec<String> = self.alphas.iter().map(|a| format!("C>={a:.2}")).collect();
        write!(f, "{:>4}  {:>8}  {:>9}", "exit", "accuracy", "mean conf")?;
        for header in &alpha_headers {
            write!(f, "  {header:>7}")?;
        }
        writeln!(f, "  {:>11}", "median cost")?;
        let dash = "-".to_string();
        for exit in &self.per_exit {
            let accuracy = exit.accuracy.map_or(dash.clone(), |a| format!("{a:.4}"));
            write!(
                f,
                "{:>4}  {accuracy:>8}  {:>9.4}",
                exit.exit, exit.mean_confidence
            )?;
            for (fraction, header) in exit.confident_fraction.iter().zip(&alpha_headers) {
                write!(f, "  {fraction:>w$.4}", w = header.len().max(7))?;
            }
            let cost = exit.median_cost.map_or(dash.clone(), |c| format!("{c:.4}"));
            writeln!(f, "  {cost:>11}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Sample, TraceBuilder};
    use std::path::Path;

    fn sample(conf: [f64; 2], pred: [u32; 2], label: Option<u32>, cost: [f64; 2]) -> Sample {
        Sample {
            conf: conf.to_vec(),
            pred: pred.to_vec(),
            label,
            cost: Some(cost.to_vec()),
        }
    }

    fn trace() -> Trace {
        let mut b = TraceBuilder::new(Path::new("t.csv"));
        b.push(sample([0.5, 0.9], [0, 1], Some(1), [1.0, 10.0]));
        b.push(sample([0.75, 1.0], [1, 1], Some(1), [3.0, 20.0]));
        b.push(sample([1.0, 0.5], [0, 0], None, [2.0, 40.0]));
        b.push(sample([0.25, 0.6], [1, 0], Some(0), [4.0, 30.0]));
        b.finish().unwrap()
    }

    #[test]
    fn computes_per_exit_numbers() {
        let stats = TraceStats::compute(&trace(), &[0.5, 0.9]);
        assert_eq!(stats.samples, 4);
        assert_eq!(stats.labeled_samples, 3);
        let first = &stats.per_exit[0];
        assert_eq!(first.accuracy, Some(1.0 / 3.0));
        assert_eq!(first.mean_confidence, 0.625);
        assert_eq!(first.confident_fraction, vec![0.75, 0.25]);
        assert_eq!(first.median_cost, Some(2.5));
        let last = &stats.per_exit[1];
        assert_eq!(last.accuracy, Some(1.0));
        assert_eq!(last.median_cost, Some(25.0));
    }

    #[test]
    fn renders_an_aligned_table() {
        let text = TraceStats::compute(&trace(), &[0.5]).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "t.csv: 4 samples, 2 exits, 2 classes, 3 labeled, measured costs"
        );
        assert_eq!(lines[1], "exit  accuracy  mean conf  C>=0.50  median cost");
        assert_eq!(lines[2], "   1    0.3333     0.6250   0.7500       2.5000");
        assert!(lines.iter().skip(1).all(|l| l.len() == lines[1].len()));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
