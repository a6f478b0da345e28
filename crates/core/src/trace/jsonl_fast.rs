//! A fast path for the usual JSON Lines sample: an object with the keys `conf`, `pred`,
//! `label` and `cost` (any order, each at most once), arrays of plain numbers, and a number or
//! `null` for `label` and `cost`. Anything else (escapes, other keys, duplicates, numbers out
//! of range, malformed text) returns `None`, and the line goes to serde_json, which accepts it
//! or explains what is wrong. On the lines it accepts, the fast path gives exactly what
//! serde_json gives (the tests compare both on random lines).
//!
//! Writing is the mirror image: [`write_line`] builds the line serde_json would write, in one
//! buffer.

use super::decimal::{fraction, MAX_FRACTION_DIGITS};
use super::validate::RawSample;
use super::{Sample, MAX_CLASS};

/// Parses `line` (which may end in a newline) if it has the usual form.
pub(crate) fn parse(line: &[u8]) -> Option<RawSample> {
    let (mut conf, mut pred, mut cost) = (Vec::new(), Vec::new(), None);
    let label = parse_object(line, Parser::number, &mut conf, &mut pred, &mut cost)?;
    Some(RawSample {
        conf,
        pred,
        label,
        cost,
        context: None,
        arrival: None,
    })
}

/// Parses `line` straight into `sample` (reusing its vectors) if it has the usual form, its
/// classes are written as plain integers and every value is valid on its own (confidences in
/// [0, 1], non-negative costs, as many values in every array). What depends on other lines (the
/// number of exits, costs or none) is left to [`super::validate::SampleValidator::accepts`].
/// Any other line returns `false`, leaves `sample` unspecified and goes through [`parse`] and
/// the validator, which explain what is wrong: this only skips the checks' bookkeeping for
/// lines that pass them.
pub(crate) fn parse_valid_into(line: &[u8], sample: &mut Sample) -> bool {
    // The layout written by this project's writers first; any other line is parsed afresh by
    // the general parser (which overwrites everything the first attempt may have left).
    if parse_written_layout(line, sample).is_none() {
        let Some(label) = parse_object(
            line,
            Parser::class,
            &mut sample.conf,
            &mut sample.pred,
            &mut sample.cost,
        ) else {
            return false;
        };
        sample.label = label;
    }
    // `context` and `arrival` keys are not of the usual form: a line the fast path accepts has
    // neither.
    sample.context = None;
    sample.arrival = None;
    let exits = sample.pred.len();
    exits > 0
        && (sample.conf.is_empty() || sample.conf.len() == exits)
        && sample.conf.iter().all(|c| (0.0..=1.0).contains(c))
        && sample
            .cost
            .as_ref()
            .is_none_or(|c| c.len() == exits && c.iter().all(|&v| v >= 0.0))
}

/// Reads `line` into `sample` (but its `context`) if it is laid out exactly as [`write_line`]
/// writes a sample with confidences: `{"conf":[..],"pred":[..]` and optionally `,"label":y`
/// and `,"cost":[..]`, then `}` and at most a newline, without whitespace, arrays not empty,
/// classes plain integers. Fixed parts are compared as whole byte strings instead of going
/// through the general key scan. `None` for any other line, which [`parse_object`] then
/// reads: every line accepted here reads the same there, so nothing else changes.
fn parse_written_layout(line: &[u8], sample: &mut Sample) -> Option<()> {
    let mut p = Parser { s: line, i: 0 };
    p.literal(b"{\"conf\":[")?;
    p.compact_list(Parser::number, &mut sample.conf)?;
    p.literal(b",\"pred\":[")?;
    p.compact_list(Parser::class, &mut sample.pred)?;
    sample.label = match p.literal(b",\"label\":") {
        Some(()) => Some(p.class()?),
        None => None,
    };
    match p.literal(b",\"cost\":[") {
        Some(()) => {
            let mut values = sample.cost.take().unwrap_or_default();
            p.compact_list(Parser::number, &mut values)?;
            sample.cost = Some(values);
        }
        None => sample.cost = None,
    }
    p.literal(b"}")?;
    matches!(&line[p.i..], b"" | b"\n").then_some(())
}

/// Reads a line of the usual form into `conf`, `pred` and `cost` (their earlier values
/// replaced, their memory reused), classes read by `class`; its label, or `None` if the line
/// has another form.
fn parse_object<'a, C>(
    line: &'a [u8],
    class: fn(&mut Parser<'a>) -> Option<C>,
    conf: &mut Vec<f64>,
    pred: &mut Vec<C>,
    cost: &mut Option<Vec<f64>>,
) -> Option<Option<C>> {
    let mut p = Parser { s: line, i: 0 };
    p.ws();
    p.eat(b'{')?;
    let mut spare_cost = cost.take();
    let (mut seen_conf, mut seen_pred, mut seen_cost, mut label) = (false, false, false, None);
    p.ws();
    if p.peek() == Some(b'}') {
        return None;
    }
    loop {
        p.ws();
        let key = p.key()?;
        p.ws();
        p.eat(b':')?;
        p.ws();
        match key {
            Key::Conf if !seen_conf => {
                p.array(Parser::number, conf)?;
                seen_conf = true;
            }
            Key::Pred if !seen_pred => {
                p.array(class, pred)?;
                seen_pred = true;
            }
            Key::Label if label.is_none() => {
                label = Some(if p.null() { None } else { Some(class(&mut p)?) })
            }
            Key::Cost if !seen_cost => {
                seen_cost = true;
                if !p.null() {
                    let mut values = spare_cost.take().unwrap_or_default();
                    p.array(Parser::number, &mut values)?;
                    *cost = Some(values);
                }
            }
            _ => return None,
        }
        p.ws();
        match p.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    p.ws();
    if p.i != line.len() || !seen_pred {
        return None;
    }
    // No `conf`: a prediction-only sample.
    if !seen_conf {
        conf.clear();
    }
    Some(label.flatten())
}

enum Key {
    Conf,
    Pred,
    Label,
    Cost,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// Consumes `bytes` if the text goes on with them.
    #[inline]
    fn literal(&mut self, bytes: &[u8]) -> Option<()> {
        let matches = self.s.get(self.i..self.i + bytes.len())? == bytes;
        self.i += if matches { bytes.len() } else { 0 };
        matches.then_some(())
    }

    /// The elements of an array whose `[` was read, written without whitespace and at least
    /// one of them, into `values` (cleared first).
    #[inline]
    fn compact_list<T>(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Option<T>,
        values: &mut Vec<T>,
    ) -> Option<()> {
        values.clear();
        loop {
            values.push(element(self)?);
            match self.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// JSON whitespace.
    #[inline]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn key(&mut self) -> Option<Key> {
        let rest = &self.s[self.i..];
        let (key, len) = if rest.starts_with(b"\"conf\"") {
            (Key::Conf, 6)
        } else if rest.starts_with(b"\"pred\"") {
            (Key::Pred, 6)
        } else if rest.starts_with(b"\"label\"") {
            (Key::Label, 7)
        } else if rest.starts_with(b"\"cost\"") {
            (Key::Cost, 6)
        } else {
            return None;
        };
        self.i += len;
        Some(key)
    }

    fn null(&mut self) -> bool {
        if self.s[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// A class written as a plain integer (`0` or digits not starting with `0`) no larger than
    /// [`MAX_CLASS`]; anything else (a sign, a fraction, an exponent) returns `None`.
    #[inline]
    fn class(&mut self) -> Option<u32> {
        // The usual class, one digit: its value without the loop.
        if let Some(&[digit @ b'0'..=b'9', after]) = self.s.get(self.i..self.i + 2) {
            if !after.is_ascii_digit() && !matches!(after, b'.' | b'e' | b'E') {
                self.i += 1;
                return Some(u32::from(digit - b'0'));
            }
        }
        let mut value = 0u32;
        let start = self.i;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
            self.i += 1;
        }
        let digits = self.i - start;
        let plain = digits == 1 || (digits > 1 && self.s[start] != b'0');
        let ends = !matches!(self.peek(), Some(b'.' | b'e' | b'E'));
        (plain && ends && value <= MAX_CLASS).then_some(value)
    }

    /// An array into `values` (cleared first; room for the usual number of exits).
    fn array<T>(&mut self, element: fn(&mut Self) -> Option<T>, values: &mut Vec<T>) -> Option<()> {
        self.eat(b'[')?;
        values.clear();
        values.reserve(16);
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            values.push(element(self)?);
            self.ws();
            match self.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A JSON number, correctly rounded to an `f64` as serde_json (with `float_roundtrip`)
    /// reads it (including `-0` as `-0.0`); out-of-range numbers return `None`.
    ///
    /// Numbers of at most 19 digits are accumulated exactly; when the digits fit in 53 bits
    /// and the power of ten is at most 22, one multiplication or division of two exact
    /// doubles is correctly rounded (Clinger's fast path); a longer fraction of at most
    /// [`MAX_FRACTION_DIGITS`] decimals is converted exactly by [`fraction`]. Other numbers go
    /// to the standard library's correctly rounded parser.
    #[inline(always)]
    fn number(&mut self) -> Option<f64> {
        match self.short_fraction() {
            Some(value) => Some(value),
            None => self.other_number(),
        }
    }

    /// [`Parser::number`] for any number but the usual confidence; kept out of line so that
    /// the usual one is read without the call.
    #[inline(never)]
    fn other_number(&mut self) -> Option<f64> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        // The digits, accumulated into `mantissa` (exact while there are at most 19 of them,
        // not counting a leading zero) with `exponent` counting the fraction's digits.
        let mut mantissa = 0u64;
        let mut digits = 0usize;
        match self.next()? {
            b'0' => {}
            d @ b'1'..=b'9' => {
                mantissa = u64::from(d - b'0');
                digits = 1 + self.digits(&mut mantissa);
            }
            _ => return None,
        }
        let mut exponent = 0i64;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digit_ahead()?;
            let fraction = self.digits(&mut mantissa);
            digits += fraction;
            exponent = -(fraction as i64);
        }
        let mut exact = digits <= 19;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            let sign = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    -1
                }
                Some(b'+') => {
                    self.i += 1;
                    1
                }
                _ => 1,
            };
            self.digit_ahead()?;
            let mut e = 0i64;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                e = (e * 10 + i64::from(d - b'0')).min(1 << 32);
                self.i += 1;
            }
            exponent += sign * e;
            exact &= e < 1 << 32;
        }
        if exact && mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
            let m = mantissa as f64;
            let value = if exponent < 0 {
                m / POWERS_OF_TEN[(-exponent) as usize]
            } else {
                m * POWERS_OF_TEN[exponent as usize]
            };
            return Some(if negative { -value } else { value });
        }
        // Longer fractions (a 17-digit confidence): one 128-bit multiplication, exact.
        let fraction_digits = u32::try_from(-exponent)
            .ok()
            .filter(|k| (1..=MAX_FRACTION_DIGITS).contains(k));
        if let (true, Some(k)) = (exact && mantissa > 0, fraction_digits) {
            if let Some(value) = fraction(mantissa, k) {
                return Some(if negative { -value } else { value });
            }
        }
        // SAFETY: the bytes were all matched above as ASCII digits, signs, `.`, `e` or `E`.
        let text = unsafe { std::str::from_utf8_unchecked(&self.s[start..self.i]) };
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// The usual confidence, `0.` and 1 to 16 digits without an exponent, read from two 8-byte
    /// words without a loop; `None` (nothing consumed) for any other number. Converted by
    /// [`fraction`] (exact, as [`Parser::number`] is), whose multiplications overlap from one
    /// number to the next where a division by a power of ten would wait on the divider.
    #[inline(always)]
    fn short_fraction(&mut self) -> Option<f64> {
        let text = self.s.get(self.i..self.i + 19)?;
        if text[0] != b'0' || text[1] != b'.' {
            return None;
        }
        let word = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().unwrap_or([0; 8]));
        let (first, second) = (word(2), word(10));
        let digits = match leading_digits(first) {
            8 => 8 + leading_digits(second),
            n => n,
        };
        let after = text[2 + digits];
        if digits == 0 || after.is_ascii_digit() || matches!(after, b'e' | b'E') {
            return None;
        }
        let mantissa = if digits <= 8 {
            eight_digit_value(left_padded(first, digits))
        } else {
            eight_digit_value(first) * POWERS_OF_TEN_U64[digits - 8]
                + eight_digit_value(left_padded(second, digits - 8))
        };
        // Multiplications by a reciprocal, where a division would wait on the divider.
        let value = if mantissa == 0 {
            0.0
        } else {
            fraction(mantissa, digits as u32)?
        };
        self.i += 2 + digits;
        Some(value)
    }

    /// Reads digits into `mantissa` (wrapping beyond 19), 8 at a time where it can; returns how
    /// many.
    #[inline]
    fn digits(&mut self, mantissa: &mut u64) -> usize {
        let start = self.i;
        while let Some(chunk) = self.s.get(self.i..self.i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if !eight_digits(word) {
                break;
            }
            *mantissa = mantissa
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digit_value(word));
            self.i += 8;
        }
        while let Some(d @ b'0'..=b'9') = self.peek() {
            *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            self.i += 1;
        }
        self.i - start
    }

    /// The next byte is a digit (not consumed).
    #[inline]
    fn digit_ahead(&self) -> Option<()> {
        self.peek()?.is_ascii_digit().then_some(())
    }
}

/// Writes `sample` into `line` (cleared first) as one JSON line, byte for byte as serde_json
/// writes `{"conf":[...],"pred":[...],"label":y,"cost":[...]}` (`label` and `cost` only when
/// present): floats in shortest round-trip form, `null` if not finite.
pub(crate) fn write_line(line: &mut Vec<u8>, sample: &Sample) {
    line.clear();
    // A prediction-only sample has no `conf` key.
    if sample.conf.is_empty() {
        line.extend_from_slice(b"{\"pred\":[");
    } else {
        line.extend_from_slice(b"{\"conf\":[");
        push_floats(line, &sample.conf);
        line.extend_from_slice(b"],\"pred\":[");
    }
    for (i, &p) in sample.pred.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_int(line, u64::from(p));
    }
    line.push(b']');
    if let Some(label) = sample.label {
        line.extend_from_slice(b",\"label\":");
        push_int(line, u64::from(label));
    }
    if let Some(cost) = &sample.cost {
        line.extend_from_slice(b",\"cost\":[");
        push_floats(line, cost);
        line.push(b']');
    }
    if let Some(context) = &sample.context {
        line.extend_from_slice(b",\"context\":");
        // A string cannot fail to serialise; labels are short and validated.
        if let Ok(quoted) = serde_json::to_vec(context) {
            line.extend_from_slice(&quoted);
        }
    }
    if let Some(arrival) = sample.arrival {
        line.extend_from_slice(b",\"arrival\":");
        push_float(line, arrival);
    }
    line.extend_from_slice(b"}\n");
}

fn push_floats(line: &mut Vec<u8>, values: &[f64]) {
    for (i, &v) in values.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_float(line, v);
    }
}

/// A non-negative integer in decimal; one or two digits (an arm, an exit, a class) without
/// the general formatter.
#[inline]
pub fn push_int(line: &mut Vec<u8>, value: u64) {
    match value {
        0..=9 => line.push(b'0' + value as u8),
        10..=99 => line.extend_from_slice(&[b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]),
        _ => line.extend_from_slice(itoa::Buffer::new().format(value).as_bytes()),
    }
}

/// A float as serde_json writes it (`null` if not finite): the shortest decimal that reads
/// back exactly, from the same formatter serde_json uses, without going through a serializer.
pub fn push_float(line: &mut Vec<u8>, value: f64) {
    if push_short_decimal(line, value) {
        return;
    }
    if value.is_finite() {
        line.extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    } else {
        line.extend_from_slice(b"null");
    }
}

/// Writes `value` as [`push_float`] would if it is the double nearest to a decimal with at
/// most three fraction digits and a magnitude in [0.001, 10^12) (a cost of `0.6`, a
/// propensity of `1.0`), without the general formatter; whether it did.
///
/// Any such decimal is a number of thousandths, `d / 1000`, checked by one correctly rounded
/// division of exact doubles (`d < 2^53`), so any other value is turned away after one try.
/// Below 2^42 a double's spacing is under 0.001, so no other decimal of three or fewer
/// fraction digits reads back as `value`: `d / 1000` without its trailing zeros is the
/// shortest round-trip form, written as the formatter writes it in that range (`0.005`,
/// `12.5`, `3.0`). The tests compare both on random values.
#[inline]
fn push_short_decimal(line: &mut Vec<u8>, value: f64) -> bool {
    let magnitude = value.abs();
    if !(1e-3..1e12).contains(&magnitude) {
        return false;
    }
    // Rounded by truncation (one instruction, where `round` is a library call); a wrong
    // guess fails the check and goes to the general formatter.
    let scaled = magnitude * 1000.0;
    let thousandths = (scaled + 0.5) as u64;
    // A value far from any number of thousandths (a reward, a running total) is turned away
    // before the division: the double nearest to one lies within a few units in the last
    // place of it, far inside 2^-40.
    if (scaled - thousandths as f64).abs() > scaled * f64::powi(2.0, -40) {
        return false;
    }
    if thousandths as f64 / 1000.0 != magnitude {
        return false;
    }
    if value < 0.0 {
        line.push(b'-');
    }
    push_int(line, thousandths / 1000);
    // The three fraction digits without their trailing zeros, at least one kept (`3.0`).
    let fraction = (thousandths % 1000) as u16;
    let digits = [
        b'.',
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ];
    let kept = match (fraction % 100, fraction % 10) {
        (0, _) => 2,
        (_, 0) => 3,
        _ => 4,
    };
    // All four bytes, then the ones not kept dropped: a copy of known length.
    let end = line.len() + kept;
    line.extend_from_slice(&digits);
    line.truncate(end);
    true
}

/// Whether the 8 bytes of `word` (little-endian) are all ASCII digits.
#[inline]
fn eight_digits(word: u64) -> bool {
    non_digit_flags(word) == 0
}

/// How many of the 8 bytes of `word` (little-endian) are ASCII digits before the first other
/// byte.
#[inline]
fn leading_digits(word: u64) -> usize {
    (non_digit_flags(word).trailing_zeros() / 8) as usize
}

/// The high bit of each byte of `word` set where the byte is not an ASCII digit, at least up to
/// the first such byte: it is flagged by the high bit of `byte + 0x46` (above `9`) or of
/// `byte - 0x30` (below `0`), and carries and borrows only start at a non-digit, so none reaches
/// a byte before the first one.
#[inline]
fn non_digit_flags(word: u64) -> u64 {
    (word.wrapping_add(0x4646_4646_4646_4646) | word.wrapping_sub(0x3030_3030_3030_3030))
        & 0x8080_8080_8080_8080
}

/// The first `digits` (1 to 8) bytes of `word` moved to its end, behind `0`s, so that
/// [`eight_digit_value`] reads them as a number.
#[inline]
fn left_padded(word: u64, digits: usize) -> u64 {
    let shift = 8 * (8 - digits as u32);
    (word << shift)
        | (0x3030_3030_3030_3030u64
            .checked_shr(64 - shift)
            .unwrap_or(0))
}

/// `10^k` for `k = 0..=8`.
const POWERS_OF_TEN_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The number written by 8 ASCII digits (little-endian `word`, first digit in the low byte).
#[inline]
fn eight_digit_value(word: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let mut v = word.wrapping_sub(0x3030_3030_3030_3030);
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    (((v & MASK).wrapping_mul(MUL1)).wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2))) >> 32
}

/// `10^k` for `k = 0..=22`, each exact in an `f64`.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::validate::SampleValidator;
    use crate::trace::Location;
    use proptest::prelude::*;

    /// What the reader's serde path makes of a line.
    fn slow(line: &[u8]) -> Option<RawSample> {
        serde_json::from_slice::<super::super::jsonl::JsonSample>(line)
            .ok()
            .map(RawSample::from)
    }

    fn same(a: &RawSample, b: &RawSample) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        bits(&a.conf) == bits(&b.conf)
            && bits(&a.pred) == bits(&b.pred)
            && a.label.map(f64::to_bits) == b.label.map(f64::to_bits)
            && a.cost.as_deref().map(bits) == b.cost.as_deref().map(bits)
    }

    #[test]
    fn reads_the_usual_lines_and_leaves_the_rest() {
        let line = b"{\"conf\":[0.5,1,0.25e0],\"pred\":[1,0,2],\"label\":3}\n";
        let raw = parse(line).unwrap();
        assert_eq!(raw.conf, vec![0.5, 1.0, 0.25]);
        assert_eq!(
            (raw.pred, raw.label, raw.cost),
            (vec![1.0, 0.0, 2.0], Some(3.0), None)
        );
        let spaced =
            b" { \"pred\" : [ 1 ] , \"cost\": null, \"conf\" : [ -0 ] ,\"label\":null }\r\n";
        let raw = parse(spaced).unwrap();
        assert_eq!(
            raw.conf[0].to_bits(),
            (-0f64).to_bits(),
            "-0 is -0.0, as serde_json reads it"
        );
        for other in [
            &b"{\"conf\":[0.5],\"pred\":[1],\"conf\":[0.5]}"[..],
            b"{\"conf\":[0.5],\"pred\":[1],\"extra\":1}",
            b"{\"con\\u0066\":[0.5],\"pred\":[1]}",
            b"{\"conf\":[1e400],\"pred\":[1]}",
            b"{\"conf\":[.5],\"pred\":[1]}",
            b"{\"conf\":[0.5],\"pred\":[1]",
            b"{\"conf\":[0.5],\"pred\":[1]} x",
            b"{}",
        ] {
            assert!(parse(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }

    /// A JSON number as text, from a grammar mixing the forms real files hold.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>()
                .prop_filter("finite", |v| v.is_finite())
                .prop_map(|v| v.to_string()),
            (0.0f64..=1.0).prop_map(|v| format!("{v}")),
            (0.0f32..=1.0).prop_map(|v| format!("{}", f64::from(v))),
            any::<i64>().prop_map(|v| v.to_string()),
            "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
            "[-+.0-9eE]{1,8}",
        ]
    }

    fn array() -> impl Strategy<Value = String> {
        (proptest::collection::vec(number(), 0..6), "[ ]{0,2}")
            .prop_map(|(v, ws)| format!("[{ws}{}]", v.join(&format!("{ws},{ws}"))))
    }

    /// Lines holding some of the four keys in a random order, with random spacing, sometimes
    /// damaged: a foreign or repeated key, or a byte changed, inserted or removed.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let entries = (
            array(),
            array(),
            proptest::option::of(prop_oneof![number(), Just("null".to_string())]),
            proptest::option::of(prop_oneof![array(), Just("null".to_string())]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(conf, pred, label, cost, drop_conf, drop_pred)| {
                let mut entries = Vec::new();
                if !drop_conf {
                    entries.push(format!("\"conf\":{conf}"));
                }
                if !drop_pred {
                    entries.push(format!("\"pred\": {pred}"));
                }
                if let Some(label) = label {
                    entries.push(format!("\"label\" :{label}"));
                }
                if let Some(cost) = cost {
                    entries.push(format!("\"cost\" : {cost}"));
                }
                entries
            })
            .prop_shuffle();
        let damage = prop_oneof![
            6 => Just(None),
            1 => Just(Some((0usize, 0u8, 3u8))),
            1 => Just(Some((0, 0, 4))),
            3 => (any::<usize>(), any::<u8>(), 0u8..3).prop_map(Some),
        ];
        (entries, "[ \t]{0,2}", damage).prop_map(|(mut entries, ws, damage)| {
            match damage {
                Some((_, _, 3)) => entries.push("\"other\":1".into()),
                Some((_, _, 4)) if !entries.is_empty() => entries.push(entries[0].clone()),
                _ => {}
            }
            let mut line = format!("{ws}{{{}}}{ws}\n", entries.join(",")).into_bytes();
            if let Some((at, byte, kind @ 0..=2)) = damage {
                let i = at % line.len();
                match kind {
                    0 => line[i] = byte,
                    1 => line.insert(i, byte),
                    _ => {
                        line.remove(i);
                    }
                }
            }
            line
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The fast path accepts exactly the lines of this form that serde_json accepts, with
        /// the same values.
        #[test]
        fn agrees_with_serde_json(line in line()) {
            let text = String::from_utf8_lossy(&line).into_owned();
            match (parse(&line), slow(&line)) {
                (Some(fast), Some(slow)) => prop_assert!(same(&fast, &slow), "{}", text),
                (Some(_), None) => prop_assert!(false, "serde_json rejects {}", text),
                (None, Some(_)) => prop_assert!(false, "the fast path leaves {}", text),
                (None, None) => {}
            }
        }

        /// A line the one-pass path takes reads exactly as the parser and the validator read it,
        /// into a sample that held an earlier line (nothing of which is left).
        #[test]
        fn one_pass_agrees_with_the_checked_path(earlier in line(), line in line()) {
            let mut fast = Sample::default();
            parse_valid_into(&earlier, &mut fast);
            if parse_valid_into(&line, &mut fast) {
                let text = String::from_utf8_lossy(&line).into_owned();
                let raw = parse(&line);
                prop_assert!(raw.is_some(), "{}", text);
                let checked = SampleValidator::new(std::path::Path::new("t"))
                    .validate(raw.unwrap(), Location::Line(1));
                prop_assert!(checked.is_ok(), "{}", text);
                prop_assert!(same_sample(&fast, &checked.unwrap()), "{}", text);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Every number reads as the standard library's correctly rounded parse of its text,
        /// whichever path takes it (short confidences, exact long fractions, the rest), at any
        /// distance from the end of the line.
        #[test]
        fn numbers_read_as_the_standard_parse(
            text in prop_oneof![
                (0.0f64..1.0).prop_map(|v| v.to_string()),
                (0.0f32..1.0).prop_map(|v| f64::from(v).to_string()),
                "0\\.[0-9]{1,21}",
                "-?(0|[1-9][0-9]{0,19})\\.[0-9]{1,20}([eE][+-]?[0-9]{1,2})?",
            ],
            after in "[],}]",
            filler in "[ 0-9,]{0,20}",
        ) {
            let line = format!("{text}{after}{filler}");
            let mut parser = Parser { s: line.as_bytes(), i: 0 };
            let value = parser.number();
            let expected = text.parse::<f64>().ok().filter(|v| v.is_finite());
            prop_assert_eq!(value.map(f64::to_bits), expected.map(f64::to_bits), "{}", line);
            if value.is_some() {
                prop_assert_eq!(parser.i, text.len(), "{}", line);
            }
        }
    }

    #[test]
    fn counts_leading_digits_and_pads_them() {
        for (text, digits) in [
            ("12345678", 8),
            ("1234567]", 7),
            ("1,345678", 1),
            ("]1234567", 0),
        ] {
            let word = u64::from_le_bytes(text.as_bytes().try_into().unwrap());
            assert_eq!(leading_digits(word), digits, "{text}");
            if digits > 0 {
                let padded = left_padded(word, digits);
                assert_eq!(
                    eight_digit_value(padded),
                    text[..digits].parse::<u64>().unwrap(),
                    "{text}"
                );
            }
        }
    }

    fn same_sample(a: &Sample, b: &Sample) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        bits(&a.conf) == bits(&b.conf)
            && a.pred == b.pred
            && a.label == b.label
            && a.cost.as_deref().map(bits) == b.cost.as_deref().map(bits)
    }

    #[test]
    fn classes_are_plain_integers_in_range() {
        for (text, class) in [("0", Some(0)), ("17", Some(17)), ("65534", Some(65534))] {
            assert_eq!(
                Parser {
                    s: text.as_bytes(),
                    i: 0
                }
                .class(),
                class,
                "{text}"
            );
        }
        for text in ["65535", "01", "-1", "1.0", "1e0", "", "99999999999"] {
            assert_eq!(
                Parser {
                    s: text.as_bytes(),
                    i: 0
                }
                .class(),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn eight_digits_at_a_time() {
        for text in ["00000000", "12345678", "99999999", "90000001", "01020304"] {
            let word = u64::from_le_bytes(text.as_bytes().try_into().unwrap());
            assert!(eight_digits(word));
            assert_eq!(eight_digit_value(word), text.parse::<u64>().unwrap());
        }
        for text in ["1234567a", "/2345678", ":0000000", "1234 678", "-1234567"] {
            assert!(!eight_digits(u64::from_le_bytes(
                text.as_bytes().try_into().unwrap()
            )));
        }
    }

    /// Short decimals are written as the general formatter writes them, and only they take
    /// that path: the decimals it is for and their neighbours, at every scale around its
    /// bounds, and any double.
    #[test]
    fn short_decimals_are_written_as_the_formatter_writes_them() {
        let general = |value: f64| zmij::Buffer::new().format_finite(value).as_bytes().to_vec();
        let check = |value: f64| {
            let mut line = b"x".to_vec();
            if push_short_decimal(&mut line, value) {
                assert_eq!(line[1..], general(value)[..], "{value:e}");
            }
            push_short_decimal(&mut line, value)
        };
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut taken = 0;
        for _ in 0..200_000 {
            let bits = next();
            let k = (bits % 6) as i32;
            let digits = (next() >> (next() % 64)) as f64;
            let decimal = digits / 10f64.powi(k);
            let sign = if bits & 1 << 40 == 0 { 1.0 } else { -1.0 };
            for value in [
                sign * decimal,
                sign * f64::from_bits(decimal.to_bits() + 1),
                sign * f64::from_bits(decimal.to_bits().saturating_sub(1)),
                f64::from_bits(bits),
            ] {
                taken += usize::from(value.is_finite() && check(value));
            }
        }
        for value in [
            1e-3,
            0.0015,
            0.6,
            1.0,
            3.0,
            12.5,
            0.005,
            0.999,
            999_999_999_999.999,
            1e12,
            4.4e12,
            1.2999999999999998,
            -0.25,
            0.0,
            -0.0,
            1e-4,
        ] {
            check(value);
        }
        assert!(check(0.6) && check(1.0) && check(-0.25) && check(1e-3));
        assert!(!check(1.2999999999999998) && !check(1e12) && !check(0.0) && !check(1e-4));
        assert!(taken > 90_000, "{taken} values took the short path");
    }

    /// Lines are written byte for byte as serde_json writes them.
    #[test]
    fn writes_lines_as_serde_json_does() {
        #[derive(serde::Serialize)]
        struct Reference<'a> {
            // A prediction-only sample has no `conf`.
            #[serde(skip_serializing_if = "<[f64]>::is_empty")]
            conf: &'a [f64],
            pred: &'a [u32],
            #[serde(skip_serializing_if = "Option::is_none")]
            label: Option<u32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            cost: Option<&'a [f64]>,
        }
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut line = Vec::new();
        for case in 0..2000 {
            let exits = (next() % 14) as usize;
            let float = |bits: u64| match bits % 7 {
                0 => f64::from_bits(bits),
                1 => f64::NAN,
                2 => (bits >> 11) as f64,
                _ => (bits >> 11) as f64 / (1u64 << 53) as f64,
            };
            let sample = Sample {
                context: None,
                arrival: None,
                conf: (0..exits).map(|_| float(next())).collect(),
                pred: (0..exits).map(|_| next() as u32 >> (next() % 32)).collect(),
                label: (case % 3 != 0).then(|| next() as u32),
                cost: (case % 2 == 0).then(|| (0..exits).map(|_| float(next())).collect()),
            };
            write_line(&mut line, &sample);
            let mut expected = serde_json::to_vec(&Reference {
                conf: &sample.conf,
                pred: &sample.pred,
                label: sample.label,
                cost: sample.cost.as_deref(),
            })
            .unwrap();
            expected.push(b'\n');
            assert_eq!(line, expected);
        }
    }

    /// The common lines do take the fast path.
    #[test]
    fn takes_the_fast_path_on_written_samples() {
        let mut out = Vec::new();
        let samples = crate::trace::synth::SynthParams {
            samples: 200,
            exits: 12,
            classes: 3,
            seed: 5,
        }
        .stream()
        .unwrap();
        crate::trace::write_jsonl(&mut out, samples).unwrap();
        let written: Vec<Sample> = crate::trace::synth::SynthParams {
            samples: 200,
            exits: 12,
            classes: 3,
            seed: 5,
        }
        .stream()
        .unwrap()
        .collect();
        for (line, sample) in out.split_inclusive(|&b| b == b'\n').zip(&written) {
            let fast = parse(line).expect("a written sample takes the fast path");
            assert!(same(&fast, &slow(line).unwrap()));
            let mut one_pass = Sample::default();
            assert!(
                parse_valid_into(line, &mut one_pass),
                "and the one-pass path"
            );
            assert!(same_sample(&one_pass, sample));
        }
    }
}
