//! Mixing traces into one with a context column (`splitee mix`): the samples of several traces
//! of the same network, each trace named by a context (the distortion it was taken under),
//! shuffled together with a seed.

use super::{Sample, Trace, TraceError};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The samples of `parts` (each a context label and its trace), every sample labelled with its
/// part's context, in an order shuffled by `seed` (the same seed gives the same order). The
/// traces must agree in exits, in carrying costs and confidences, and carry no context of their
/// own; labels must be distinct.
pub fn mixed(parts: &[(String, Trace)], seed: u64) -> Result<Vec<Sample>, TraceError> {
    let Some((_, first)) = parts.first() else {
        return Err(TraceError::file(
            std::path::Path::new("<none>"),
            "no trace to mix",
        ));
    };
    for (i, (label, trace)) in parts.iter().enumerate() {
        let refuse = |message: String| Err(TraceError::file(trace.source(), message));
        if let Err(message) = super::validate::check_context(label) {
            return refuse(format!("context label {message}"));
        }
        if parts[..i].iter().any(|(l, _)| l == label) {
            return refuse(format!("context `{label}` is given twice"));
        }
        if trace.contexts().is_some() {
            return refuse("already has a context column; mix traces without one".into());
        }
        if trace.arrivals().is_some() {
            return refuse(
                "has an arrival column, which mixing would scramble (it shuffles the samples); \
                 mix traces without one"
                    .into(),
            );
        }
        let agrees = trace.exits() == first.exits()
            && trace.has_costs() == first.has_costs()
            && trace.has_confidences() == first.has_confidences();
        if !agrees {
            return refuse(format!(
                "has {} exits{}{} but {} has {}{}{}: mixed traces must agree",
                trace.exits(),
                if trace.has_costs() { " with costs" } else { "" },
                if trace.has_confidences() {
                    ""
                } else {
                    " (prediction-only)"
                },
                first.source().display(),
                first.exits(),
                if first.has_costs() { " with costs" } else { "" },
                if first.has_confidences() {
                    ""
                } else {
                    " (prediction-only)"
                },
            ));
        }
    }
    let mut order: Vec<(u32, u32)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, (_, trace))| (0..trace.samples()).map(move |s| (p as u32, s as u32)))
        .collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    Ok(order
        .into_iter()
        .map(|(p, s)| {
            let (label, trace) = &parts[p as usize];
            Sample {
                context: Some(label.clone()),
                ..trace.sample(s as usize)
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceBuilder;
    use std::path::Path;

    fn trace(name: &str, samples: u32, exits: usize) -> Trace {
        let mut b = TraceBuilder::new(Path::new(name));
        for s in 0..samples {
            b.push(Sample {
                conf: vec![0.5; exits],
                pred: vec![s; exits],
                label: Some(s),
                cost: None,
                context: None,
                arrival: None,
            });
        }
        b.finish().unwrap()
    }

    /// Every sample of every part appears once, labelled with its part's context; the order is
    /// the seed's.
    #[test]
    fn every_sample_once_with_its_context() {
        let parts = vec![
            ("clean".to_string(), trace("a.csv", 30, 2)),
            ("noise".to_string(), trace("b.csv", 20, 2)),
        ];
        let mixed_once = mixed(&parts, 7).unwrap();
        assert_eq!(mixed_once.len(), 50);
        let mut seen: Vec<(String, u32)> = mixed_once
            .iter()
            .map(|s| (s.context.clone().unwrap(), s.pred[0]))
            .collect();
        assert_eq!(mixed(&parts, 7).unwrap(), mixed_once);
        assert_ne!(mixed(&parts, 8).unwrap(), mixed_once);
        // Shuffled: the first 20 are not all one context.
        assert!(seen[..20].iter().any(|(c, _)| c == "noise"));
        assert!(seen[..20].iter().any(|(c, _)| c == "clean"));
        seen.sort();
        let expected: Vec<(String, u32)> = (0..30)
            .map(|s| ("clean".to_string(), s))
            .chain((0..20).map(|s| ("noise".to_string(), s)))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn refuses_disagreeing_traces_and_repeated_labels() {
        let err = |parts: Vec<(String, Trace)>| mixed(&parts, 0).unwrap_err().to_string();
        assert_eq!(
            err(vec![
                ("a".into(), trace("a.csv", 3, 2)),
                ("b".into(), trace("b.csv", 3, 3))
            ]),
            "b.csv: has 3 exits but a.csv has 2: mixed traces must agree"
        );
        assert_eq!(
            err(vec![
                ("a".into(), trace("a.csv", 3, 2)),
                ("a".into(), trace("b.csv", 3, 2))
            ]),
            "b.csv: context `a` is given twice"
        );
        assert!(err(vec![(String::new(), trace("a.csv", 3, 2))]).contains("context label is empty"));
        let mut timed = TraceBuilder::new(Path::new("timed.csv"));
        timed.push(Sample {
            arrival: Some(0.5),
            ..trace("a.csv", 1, 2).sample(0)
        });
        assert_eq!(
            err(vec![("t".into(), timed.finish().unwrap())]),
            "timed.csv: has an arrival column, which mixing would scramble (it shuffles the \
             samples); mix traces without one"
        );
    }
}
