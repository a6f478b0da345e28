//! The one argmax: the first largest value wins, and NaN never does.

/// Index of the largest value, the first one on ties; 0 when every value is NaN or there are none.
#[inline]
pub fn argmax_first(values: impl IntoIterator<Item = f64>) -> usize {
    let mut best = 0;
    let mut best_value = f64::NEG_INFINITY;
    for (i, v) in values.into_iter().enumerate() {
        if v > best_value {
            best = i;
            best_value = v;
        }
    }
    best
}

/// The arm among `0..arms` with the highest `index`, the lowest on ties.
#[inline]
pub fn argmax_by(arms: usize, index: impl FnMut(usize) -> f64) -> usize {
    argmax_first((0..arms).map(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_first_and_nan_never_wins() {
        assert_eq!(argmax_first([0.5, 0.7, 0.7]), 1);
        assert_eq!(argmax_by(4, |k| [0.1, 0.5, 0.5, f64::NAN][k]), 1);
        assert_eq!(argmax_by(2, |_| f64::NAN), 0);
        assert_eq!(argmax_first([f64::NAN, 0.2]), 1);
    }
}
