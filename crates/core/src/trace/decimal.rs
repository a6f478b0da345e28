//! Exact conversion of a short decimal fraction `digits * 10^-k` to the nearest `f64`, for the
//! confidences a JSON Lines trace holds (up to 17 significant digits, `k` up to about 20).
//!
//! `digits / 10^k = digits / 5^k * 2^-k`, and `digits / 5^k` is `digits` times a 128-bit
//! reciprocal of `5^k`. The reciprocal is truncated, so the product lies at most `2^64` below
//! the exact quotient (scaled); when no rounding boundary falls in that gap, the product's
//! top 54 bits round exactly as the exact value does. A boundary in the gap is either the
//! exact value itself (a binary fraction written in full, such as `0.9336395263671875`:
//! `5^k` divides `digits`, and the quotient is exact) or about once in 2^73 inputs a value
//! just beside one, which the caller hands to the standard library's parser. Ties cannot be
//! missed: an exact tie is a rounding boundary, which then lies in the gap.

/// The largest `k` handled: `5^k` fits in 64 bits, so its reciprocal is computed exactly below.
pub(super) const MAX_FRACTION_DIGITS: u32 = 27;

/// `floor(2^(127 + L) / 5^k)` at index `k - 1` for `k = 1..=MAX_FRACTION_DIGITS`, where `L` is
/// the bit length of `5^k`: each in `[2^127, 2^128)`, computed at compile time by long division.
const RECIPROCALS: [u128; MAX_FRACTION_DIGITS as usize] = reciprocals();

const fn reciprocals() -> [u128; MAX_FRACTION_DIGITS as usize] {
    let mut table = [0u128; MAX_FRACTION_DIGITS as usize];
    let mut k = 1;
    let mut power = 5u64;
    while k <= MAX_FRACTION_DIGITS as usize {
        let divisor = power as u128;
        let length = 64 - power.leading_zeros();
        // The dividend is a one followed by 127 + L zeros. Its leading one starts the remainder
        // (its quotient bit is zero, as 5^k > 1), and the quotient that follows fits 128 bits.
        let mut remainder = 1u128;
        let mut quotient = 0u128;
        let mut bit = 0;
        while bit < 127 + length {
            remainder <<= 1;
            quotient <<= 1;
            if remainder >= divisor {
                remainder -= divisor;
                quotient |= 1;
            }
            bit += 1;
        }
        table[k - 1] = quotient;
        k += 1;
        if k <= MAX_FRACTION_DIGITS as usize {
            power *= 5;
        }
    }
    table
}

/// `127 + L + k - 128` at index `k - 1`, `L` the bit length of `5^k`: what the exponent of the
/// product's top bit is lowered by. A table, since `5^k` computed for each number would cost
/// a loop of multiplications.
const SCALES: [i32; MAX_FRACTION_DIGITS as usize] = scales();

const fn scales() -> [i32; MAX_FRACTION_DIGITS as usize] {
    let mut table = [0i32; MAX_FRACTION_DIGITS as usize];
    let mut k = 1;
    while k <= MAX_FRACTION_DIGITS {
        let length = 64 - 5u64.pow(k).leading_zeros();
        table[k as usize - 1] = (127 + length + k) as i32 - 128;
        k += 1;
    }
    table
}

/// `digits * 10^-k` correctly rounded (to nearest, ties to even), for `1 <= digits` and
/// `1 <= k <= MAX_FRACTION_DIGITS`; `None` in the rare case neither the product nor an exact
/// division decides the rounding.
#[inline]
pub(super) fn fraction(digits: u64, k: u32) -> Option<f64> {
    debug_assert!(digits > 0 && (1..=MAX_FRACTION_DIGITS).contains(&k));
    let shift = digits.leading_zeros();
    let normalized = digits << shift;
    let reciprocal = RECIPROCALS[k as usize - 1];
    // The 192-bit product `normalized * reciprocal` as `high:middle:low`.
    let low_part = u128::from(normalized) * (reciprocal as u64 as u128);
    let high_part = u128::from(normalized) * (reciprocal >> 64);
    let (middle, carry) = (high_part as u64).overflowing_add((low_part >> 64) as u64);
    let high = ((high_part >> 64) as u64) + u64::from(carry);
    // The product's top bit is bit 191 or 190; keep 54 bits from it (53 and a rounding bit).
    let top = 63 - high.leading_zeros();
    let dropped = top - 53;
    let rest_mask = (1u64 << dropped) - 1;
    // The exact value lies in [product, product + 2^64): if the dropped bits are all ones, a
    // rounding boundary may lie in between.
    if high & rest_mask == rest_mask && middle == u64::MAX {
        return exact_binary(digits, k);
    }
    let kept = high >> dropped;
    // Strictly above the product, so a set rounding bit means above the halfway point.
    let mut mantissa = (kept + 1) >> 1;
    // The value is product / 2^(127 + L + shift + k), and the product is about
    // mantissa * 2^(top + 76): mantissa * 2^(exponent - 52).
    let mut exponent = top as i32 - SCALES[k as usize - 1] - shift as i32;
    if mantissa == 1 << 53 {
        mantissa >>= 1;
        exponent += 1;
    }
    // A positive normal number: 1 <= digits < 2^64 and k <= 27 keep it within 1e-27..2^64.
    let biased = (exponent + 1023) as u64;
    Some(f64::from_bits(
        (biased << 52) | (mantissa & ((1 << 52) - 1)),
    ))
}

/// `digits * 10^-k` when it is a binary fraction (`5^k` divides `digits`: a float written in
/// full, such as `0.9336395263671875`, whose exact value sits on a rounding boundary of the
/// product above): `digits / 5^k` rounded once to 53 bits, then scaled exactly by `2^-k`.
fn exact_binary(digits: u64, k: u32) -> Option<f64> {
    let power = 5u64.pow(k);
    (digits % power == 0).then(|| (digits / power) as f64 * f64::powi(2.0, -(k as i32)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(digits: u64, k: u32) -> f64 {
        format!("{digits}e-{k}").parse().unwrap()
    }

    #[test]
    fn reciprocals_are_normalized_and_exact_at_small_powers() {
        for (i, &r) in RECIPROCALS.iter().enumerate() {
            assert!(r >> 127 == 1, "5^{}", i + 1);
        }
        // floor(2^130 / 5) and floor(2^132 / 25).
        assert_eq!(
            RECIPROCALS[0],
            272_225_893_536_750_770_770_699_685_945_414_569_164
        );
        assert_eq!(
            RECIPROCALS[1],
            217_780_714_829_400_616_616_559_748_756_331_655_331
        );
    }

    #[test]
    fn converts_hand_picked_values() {
        for (digits, k, expected) in [
            (5u64, 1u32, 0.5f64),
            (1, 1, 0.1),
            (25, 2, 0.25),
            (12_345_678_901_234_567, 17, 0.123_456_789_012_345_67),
            (99_999_999_999_999_999, 17, 0.999_999_999_999_999_99),
            (u64::MAX, 19, 1.844_674_407_370_955_2),
            (1, 27, 1e-27),
            (9_007_199_254_740_993, 16, 0.900_719_925_474_099_3),
            // Binary fractions written in full, whose product lands just below a boundary.
            (9_336_395_263_671_875, 16, 0.933_639_526_367_187_5),
            (9_155_426_025_390_625, 16, 0.915_542_602_539_062_5),
            // 2^52 + 0.5 lies halfway between two doubles: to the even one.
            (45_035_996_273_704_965, 1, 4_503_599_627_370_496.0),
            (45_035_996_273_704_975, 1, 4_503_599_627_370_498.0),
        ] {
            assert_eq!(
                fraction(digits, k).map(f64::to_bits),
                Some(expected.to_bits()),
                "{digits}e-{k}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Every decided conversion equals the standard library's correctly rounded parse.
        #[test]
        fn equals_the_standard_parse(digits in 1u64.., k in 1..=MAX_FRACTION_DIGITS) {
            if let Some(value) = fraction(digits, k) {
                prop_assert_eq!(value.to_bits(), reference(digits, k).to_bits());
            }
        }

        /// The shortest decimal of any double in [0, 1] (what trace writers print) converts back
        /// to it.
        #[test]
        fn round_trips_shortest_decimals(value in 0.0f64..1.0) {
            let text = format!("{value:e}");
            let (mantissa, exponent) = text.split_once('e').unwrap();
            let fraction_digits = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
            let k = fraction_digits - exponent.parse::<i32>().unwrap();
            let digits: u64 = mantissa.replace('.', "").parse().unwrap();
            if digits > 0 && (1..=MAX_FRACTION_DIGITS as i32).contains(&k) {
                prop_assert_eq!(fraction(digits, k as u32), Some(value));
            }
        }
    }
}
