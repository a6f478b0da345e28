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
    /// False for a prediction-only trace (no confidence statistics then).
    pub has_confidences: bool,
    /// The thresholds of [`ExitStats::confident_fraction`], in the order given.
    pub alphas: Vec<f64>,
    /// One entry per exit, exit 1 first.
    pub per_exit: Vec<ExitStats>,
    /// How far the labeled samples follow strong dominance; `None` if none is labeled.
    pub dominance: Option<Dominance>,
    /// The distinct contexts of the `context` column, in order of first appearance; `None`
    /// without the column.
    pub contexts: Option<Vec<String>>,
    /// The span of the `arrival` column; `None` without the column.
    pub arrivals: Option<ArrivalSpan>,
}

/// When the samples of a trace with an `arrival` column arrived, in seconds since its start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArrivalSpan {
    pub first: f64,
    pub last: f64,
}

/// UEE-UCB's strong-dominance diagnostics (the categories of the authors' notebook), as shares
/// of the labeled samples; they sum to 1. UEE-UCB's label-free estimate of an exit's error is
/// exact when `right_then_wrong` is 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dominance {
    /// Every exit predicts the label.
    pub all_right: f64,
    /// No exit predicts the label.
    pub all_wrong: f64,
    /// Some exit is right and a deeper one wrong: strong dominance fails (the notebook's "bad"
    /// samples).
    pub right_then_wrong: f64,
    /// Wrong up to some exit, right from it on (the notebook's "good" samples).
    pub wrong_then_right: f64,
}

impl Dominance {
    fn compute(trace: &Trace) -> Option<Self> {
        let mut counts = [0usize; 4];
        for s in 0..trace.samples() {
            let Some(label) = trace.label(s) else {
                continue;
            };
            let right: Vec<bool> = (0..trace.exits())
                .map(|k| trace.pred(s, k) == label)
                .collect();
            let category = match right.iter().position(|&r| r) {
                None => 1,
                Some(0) if right.iter().all(|&r| r) => 0,
                Some(first) if right[first..].iter().all(|&r| r) => 3,
                Some(_) => 2,
            };
            counts[category] += 1;
        }
        let labeled: usize = counts.iter().sum();
        let share = |count: usize| count as f64 / labeled as f64;
        (labeled > 0).then(|| Self {
            all_right: share(counts[0]),
            all_wrong: share(counts[1]),
            right_then_wrong: share(counts[2]),
            wrong_then_right: share(counts[3]),
        })
    }
}

/// How one exit behaves over the whole trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitStats {
    /// 1-based exit number.
    pub exit: usize,
    /// Fraction of labeled samples this exit predicts right; `None` if no sample is labeled.
    /// A fraction, as every report's `accuracy` is.
    pub accuracy: Option<f64>,
    /// `None` in a prediction-only trace.
    pub mean_confidence: Option<f64>,
    /// For each alpha, the fraction of samples with `C_k >= alpha` (those that would exit here);
    /// empty in a prediction-only trace.
    pub confident_fraction: Vec<f64>,
    /// Median measured cost of reaching this exit from the previous one, if the trace has costs.
    pub median_cost: Option<f64>,
}

impl TraceStats {
    pub fn compute(trace: &Trace, alphas: &[f64]) -> Self {
        let samples = trace.samples();
        let labeled_samples = (0..samples).filter(|&s| trace.label(s).is_some()).count();
        let with_confidences = trace.has_confidences();
        let alphas = if with_confidences { alphas } else { &[] };
        let per_exit = (0..trace.exits())
            .map(|k| {
                let right = (0..samples)
                    .filter(|&s| trace.label(s) == Some(trace.pred(s, k)))
                    .count();
                let confident = |alpha: f64| {
                    let count = (0..samples).filter(|&s| trace.conf(s, k) >= alpha).count();
                    count as f64 / samples as f64
                };
                let mean_confidence = with_confidences
                    .then(|| (0..samples).map(|s| trace.conf(s, k)).sum::<f64>() / samples as f64);
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
            has_confidences: with_confidences,
            alphas: alphas.to_vec(),
            per_exit,
            dominance: Dominance::compute(trace),
            contexts: trace.contexts().map(|c| c.names().to_vec()),
            // Arrival times never decrease, so the first and last bound them all.
            arrivals: trace.arrivals().and_then(|times| {
                Some(ArrivalSpan {
                    first: *times.first()?,
                    last: *times.last()?,
                })
            }),
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
        let predictions_only = if self.has_confidences {
            ""
        } else {
            ", predictions only"
        };
        writeln!(
            f,
            "{}: {} samples, {} exits, {} classes, {labels}, {costs}{predictions_only}",
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
            let confidence = exit
                .mean_confidence
                .map_or(dash.clone(), |c| format!("{c:.4}"));
            write!(f, "{:>4}  {accuracy:>8}  {confidence:>9}", exit.exit)?;
            for (fraction, header) in exit.confident_fraction.iter().zip(&alpha_headers) {
                write!(f, "  {fraction:>w$.4}", w = header.len().max(7))?;
            }
            let cost = exit.median_cost.map_or(dash.clone(), |c| format!("{c:.4}"));
            writeln!(f, "  {cost:>11}")?;
        }
        if let Some(d) = &self.dominance {
            writeln!(
                f,
                "strong dominance (labeled samples): all exits right {:.4}, all wrong {:.4}, \
                 right then wrong deeper {:.4} (violations), wrong then right {:.4}",
                d.all_right, d.all_wrong, d.right_then_wrong, d.wrong_then_right
            )?;
        }
        if let Some(names) = &self.contexts {
            writeln!(f, "{}", contexts_line(names))?;
        }
        if let Some(span) = &self.arrivals {
            writeln!(
                f,
                "arrivals: from {:.3} s to {:.3} s, a span of {:.3} s",
                span.first,
                span.last,
                span.last - span.first
            )?;
        }
        Ok(())
    }
}

/// The contexts line of `inspect`: their count, then their names in order of first appearance,
/// the first few only when there are many (a trace may name thousands).
fn contexts_line(names: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut listed = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        listed.push_str(&format!(", ... ({} more)", names.len() - SHOWN));
    }
    format!("contexts: {} distinct ({listed})", names.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Sample, TraceBuilder};
    use std::path::Path;

    fn sample(conf: [f64; 2], pred: [u32; 2], label: Option<u32>, cost: [f64; 2]) -> Sample {
        Sample {
            context: None,
            arrival: None,
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
        assert_eq!(first.mean_confidence, Some(0.625));
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
        let table = &lines[1..4];
        assert!(table.iter().all(|l| l.len() == lines[1].len()));
        assert_eq!(
            lines[4],
            "strong dominance (labeled samples): all exits right 0.3333, all wrong 0.0000, \
             right then wrong deeper 0.0000 (violations), wrong then right 0.6667"
        );
    }

    /// One labeled sample of each strong-dominance category (3 exits), two of the violating
    /// one, and an unlabeled sample that is not counted: shares over the 5 labeled.
    #[test]
    fn strong_dominance_shares_follow_the_notebook_categories() {
        let mut b = TraceBuilder::new(Path::new("p.csv"));
        for (pred, label) in [
            ([2, 2, 2], Some(2)), // all right
            ([0, 1, 1], Some(2)), // all wrong
            ([2, 0, 2], Some(2)), // right, then wrong at exit 2: a violation
            ([1, 1, 2], Some(1)), // right, then wrong at exit 3: a violation
            ([0, 2, 2], Some(2)), // wrong, then right from exit 2 on
            ([0, 0, 0], None),
        ] {
            b.push(Sample {
                context: None,
                arrival: None,
                conf: Vec::new(),
                pred: pred.to_vec(),
                label,
                cost: None,
            });
        }
        let stats = TraceStats::compute(&b.finish().unwrap(), &[0.5]);
        assert_eq!(
            stats.dominance,
            Some(Dominance {
                all_right: 0.2,
                all_wrong: 0.2,
                right_then_wrong: 0.4,
                wrong_then_right: 0.2,
            })
        );
        assert!(!stats.has_confidences);
        assert_eq!(stats.per_exit[0].mean_confidence, None);
        assert!(stats.alphas.is_empty() && stats.per_exit[0].confident_fraction.is_empty());
        let text = stats.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "p.csv: 6 samples, 3 exits, 3 classes, 5 labeled, no costs, predictions only"
        );
        assert_eq!(lines[2], "   1    0.6000          -            -");
        assert_eq!(
            lines[5],
            "strong dominance (labeled samples): all exits right 0.2000, all wrong 0.2000, \
             right then wrong deeper 0.4000 (violations), wrong then right 0.2000"
        );
    }

    #[test]
    fn many_contexts_are_counted_and_the_first_eight_named() {
        let names: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        assert_eq!(
            contexts_line(&names),
            "contexts: 10 distinct (c0, c1, c2, c3, c4, c5, c6, c7, ... (2 more))"
        );
        assert_eq!(contexts_line(&names[..1]), "contexts: 1 distinct (c0)");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
