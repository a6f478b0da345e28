//! What every outcome must satisfy.

use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;
use splitee::trace::{Location, Sample, Trace, TraceError, MAX_CLASS};

/// One line, starting with the file's name.
pub(crate) fn check_message(message: &str, file: &str) -> TestCaseResult {
    prop_assert!(
        !message.contains(['\n', '\r']),
        "the message is not one line: {message:?}"
    );
    prop_assert!(
        message.starts_with(&format!("{file}: ")),
        "the message does not start with the file {file:?}: {message:?}"
    );
    Ok(())
}

/// An error reading text of `lines` lines: one line naming the file and a line of the text.
pub(crate) fn check_text_error(error: &TraceError, file: &str, lines: u64) -> TestCaseResult {
    let message = error.to_string();
    check_message(&message, file)?;
    match error.location {
        Some(Location::Line(n)) => {
            prop_assert!(
                (1..=lines).contains(&n),
                "line {n} of a text of {lines} lines: {message:?}"
            );
            prop_assert!(
                message.starts_with(&format!("{file}: line {n}: ")),
                "{message:?}"
            );
        }
        other => prop_assert!(false, "no line ({other:?}) in {message:?}"),
    }
    Ok(())
}

/// Lines of a text, counting an unterminated last one. A line ends with `\n`, `\r\n` or a bare
/// `\r`.
pub(crate) fn line_count(bytes: &[u8]) -> u64 {
    let bare_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'\n' || bare_cr(i))
        .count() as u64
        + 1
}

/// What the readers promise about the samples they accept.
pub(crate) fn check_samples(samples: &[Sample]) -> TestCaseResult {
    let Some(first) = samples.first() else {
        return Ok(());
    };
    // The predictions fix the exits; confidences are given for every exit of every sample, or
    // (a prediction-only trace) for none.
    let exits = first.pred.len();
    prop_assert!(exits > 0);
    let confidences = if first.conf.is_empty() { 0 } else { exits };
    for s in samples {
        prop_assert_eq!(s.conf.len(), confidences);
        prop_assert_eq!(s.pred.len(), exits);
        prop_assert_eq!(s.cost.is_some(), first.cost.is_some());
        prop_assert!(s.conf.iter().all(|c| (0.0..=1.0).contains(c)), "{s:?}");
        prop_assert!(s.pred.iter().chain(&s.label).all(|&c| c <= MAX_CLASS));
        if let Some(cost) = &s.cost {
            prop_assert_eq!(cost.len(), exits);
            prop_assert!(cost.iter().all(|c| c.is_finite() && *c >= 0.0), "{s:?}");
        }
    }
    Ok(())
}

/// What a loaded trace promises.
pub(crate) fn check_trace(trace: &Trace) -> TestCaseResult {
    prop_assert!(trace.samples() > 0 && trace.exits() > 0);
    let samples: Vec<Sample> = (0..trace.samples()).map(|s| trace.sample(s)).collect();
    check_samples(&samples)?;
    let top = samples
        .iter()
        .flat_map(|s| s.pred.iter().chain(&s.label))
        .max()
        .map_or(0, |&c| c as usize + 1);
    prop_assert!(trace.classes() >= top);
    Ok(())
}
