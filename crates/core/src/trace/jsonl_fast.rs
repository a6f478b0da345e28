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
        // All values at once (a loop without early exit vectorises).
        && sample.conf.iter().fold(true, |all, c| all & (0.0..=1.0).contains(c))
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
    sample.conf.clear();
    p.compact_list(Parser::number, &mut sample.conf)?;
    p.literal(b",\"pred\":[")?;
    sample.pred.clear();
    p.one_digit_classes(&mut sample.pred);
    p.compact_list(Parser::class, &mut sample.pred)?;
    sample.label = match p.literal(b",\"label\":") {
        Some(()) => Some(p.class()?),
        None => None,
    };
    match p.literal(b",\"cost\":[") {
        Some(()) => {
            let mut values = sample.cost.take().unwrap_or_default();
            values.clear();
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

    /// The elements of an array whose `[` was read (or the rest of them, after a comma),
    /// written without whitespace and at least one of them, appended to `values`.
    #[inline]
    fn compact_list<T>(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Option<T>,
        values: &mut Vec<T>,
    ) -> Option<()> {
        loop {
            values.push(element(self)?);
            match self.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The leading one-digit classes of a class list that are each followed by a comma (the
    /// usual list), appended to `values` eight at a time ([`one_digit_pairs`]); the rest of
    /// the list is left to [`Parser::compact_list`], which starts at an element either way.
    #[inline(always)]
    fn one_digit_classes(&mut self, values: &mut Vec<u32>) {
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = self.s.get(self.i..).and_then(<[u8]>::first_chunk::<16>) {
            let (classes, count) = one_digit_pairs(chunk);
            let kept = values.len() + count;
            values.extend_from_slice(&classes);
            values.truncate(kept);
            self.i += 2 * count;
            if count < 8 {
                break;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = values;
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

    /// The usual confidence, `0.` and 1 to 16 digits without an exponent, read in one go
    /// ([`sixteen_digits`]); `None` (nothing consumed) for any other number. The digits are
    /// read as sixteen, padded with zeros (`0.25` as `0.2500000000000000`), which is the same
    /// number and lets [`fraction`] work with one fixed scale. Converted by [`fraction`] (exact,
    /// as [`Parser::number`] is), whose multiplications overlap from one number to the next
    /// where a division by a power of ten would wait on the divider.
    #[inline(always)]
    fn short_fraction(&mut self) -> Option<f64> {
        let text: &[u8; 19] = self.s.get(self.i..self.i + 19)?.try_into().ok()?;
        let [b'0', b'.', ref rest @ ..] = *text else {
            return None;
        };
        let (padded, digits) = sixteen_digits(rest.first_chunk::<16>()?);
        let after = rest[digits];
        if digits == 0 || after.is_ascii_digit() || matches!(after, b'e' | b'E') {
            return None;
        }
        let value = if padded == 0 {
            0.0
        } else {
            fraction(padded, 16)?
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
        _ => push_long_int(line, value),
    }
}

/// [`push_int`] for three digits or more (a step, a sample number): the digits are made in a
/// register, eight at a time, and stored whole, then the line is cut to length. A profile
/// showed the general formatter's copy of its text (a `memcpy` call) costing as much as the
/// formatting, and digits stored one pair at a time and then copied stalling on the copy.
#[inline(never)]
fn push_long_int(line: &mut Vec<u8>, value: u64) {
    const EIGHT: u64 = 100_000_000;
    if value >= EIGHT * EIGHT {
        line.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        return;
    }
    let (high, low) = (value / EIGHT, value % EIGHT);
    let first = if high == 0 { low } else { high };
    // The first block without its leading zeros (zero bytes before the ASCII offset).
    let digits = eight_digits_in_bytes(first as u32);
    let leading_zeros = (digits.trailing_zeros() / 8) as usize;
    let kept = line.len() + 8 - leading_zeros;
    line.extend_from_slice(&((digits >> (8 * leading_zeros)) + ASCII_ZEROS).to_le_bytes());
    line.truncate(kept);
    if high != 0 {
        line.extend_from_slice(&(eight_digits_in_bytes(low as u32) + ASCII_ZEROS).to_le_bytes());
    }
}

/// `'0'` in every byte.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `value` (below 10^8, with leading zeros), one per byte, the
/// first digit in the low byte: the inverse of [`eight_digit_value`]. The halves, quarters and
/// digits are split in every lane at once by multiplications by reciprocals (`10486 / 2^20`
/// divides numbers below 10^4 by 100, `103 / 2^10` numbers below 100 by 10).
#[inline]
fn eight_digits_in_bytes(value: u32) -> u64 {
    let value = u64::from(value);
    // Two 32-bit lanes: the first four digits, then the last four.
    let halves = (value / 10_000) | ((value % 10_000) << 32);
    let hundreds = ((halves * 10_486) >> 20) & 0x0000_007F_0000_007F;
    // Four 16-bit lanes of two digits each.
    let pairs = hundreds | ((halves - hundreds * 100) << 16);
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    tens | ((pairs - tens * 10) << 8)
}

/// A float as serde_json writes it (`null` if not finite): the shortest decimal that reads
/// back exactly, from the same formatter serde_json uses, without going through a serializer.
pub fn push_float(line: &mut Vec<u8>, value: f64) {
    if push_short_decimal(line, value) {
        return;
    }
    if value.is_finite() {
        push_text(line, zmij::Buffer::new().format_finite(value).as_bytes());
    } else {
        line.extend_from_slice(b"null");
    }
}

/// Appends `text` (a formatted number, up to 24 bytes) with two fixed-size copies that
/// overlap, straight into the line, where a copy of its length calls `memcpy`.
#[inline]
fn push_text(line: &mut Vec<u8>, text: &[u8]) {
    let start = line.len();
    match text.len() {
        8..=16 => copy_ends::<8>(line, text),
        17..=24 => copy_ends::<16>(line, text),
        _ => return line.extend_from_slice(text),
    }
    line.truncate(start + text.len());
}

/// Appends 24 bytes whose first `text.len()` are `text` (`N <= text.len() <= 2 N`, `N <= 16`):
/// its first and last `N` bytes, copied with a size known at compile time.
#[inline(always)]
fn copy_ends<const N: usize>(line: &mut Vec<u8>, text: &[u8]) {
    let start = line.len();
    let end = start + text.len();
    line.extend_from_slice(&[0; 24]);
    line[start..start + N].copy_from_slice(&text[..N]);
    line[end - N..end].copy_from_slice(&text[text.len() - N..]);
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
    // Rounded by truncation (one instruction, where `round` is a library call; signed, as
    // an unsigned conversion takes several and the magnitude is below 10^15 here); a wrong
    // guess fails the check and goes to the general formatter.
    let scaled = magnitude * 1000.0;
    let thousandths = (scaled + 0.5) as i64;
    // A value far from any number of thousandths (a reward, a running total) is turned away
    // before the division: the double nearest to one lies within a few units in the last
    // place of it, far inside 2^-40.
    if (scaled - thousandths as f64).abs() > scaled * f64::powi(2.0, -40) {
        return false;
    }
    push_thousandths(line, value, thousandths)
}

/// The rest of [`push_short_decimal`] for a value close to `thousandths / 1000`: kept out of
/// line so that the division is not computed before the check above (a profile showed it
/// hoisted there, every value waiting on it).
#[inline(never)]
fn push_thousandths(line: &mut Vec<u8>, value: f64, thousandths: i64) -> bool {
    if thousandths as f64 / 1000.0 != value.abs() {
        return false;
    }
    if value < 0.0 {
        line.push(b'-');
    }
    let thousandths = thousandths as u64;
    push_int(line, thousandths / 1000);
    // The three fraction digits without their trailing zeros, at least one kept (`3.0`): all
    // four bytes from the table, then the ones not kept dropped.
    let (digits, kept) = THOUSANDTHS[(thousandths % 1000) as usize];
    let end = line.len() + usize::from(kept);
    line.extend_from_slice(&digits);
    line.truncate(end);
    true
}

/// For `f` in `0..1000`: `.` and the three digits of `f / 1000`, and how many of those four
/// bytes the shortest form keeps (`.5` of `500`, `.05` of `50`, `.0` of `0`).
const THOUSANDTHS: [([u8; 4], u8); 1000] = {
    let mut table = [([0u8; 4], 0u8); 1000];
    let mut f = 0;
    while f < 1000 {
        let digits = [
            b'.',
            b'0' + (f / 100) as u8,
            b'0' + (f / 10 % 10) as u8,
            b'0' + (f % 10) as u8,
        ];
        let kept = if f % 100 == 0 {
            2
        } else if f % 10 == 0 {
            3
        } else {
            4
        };
        table[f] = (digits, kept);
        f += 1;
    }
    table
};

/// How many of the 16 bytes of `text` are ASCII digits before the first other byte, and the
/// number they write followed by zeros up to sixteen digits (`25` and a comma give
/// 2,500,000,000,000,000).
///
/// On x86-64, with the SSE2 instructions every such processor has: the digits are found with
/// one comparison of all sixteen bytes, and combined in pairs, fours and eights by three
/// multiply-adds of all lanes at once. The word-at-a-time version below took about three
/// times the instructions, and the confidences are most of what a stream's reading thread does.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sixteen_digits(text: &[u8; 16]) -> (u64, usize) {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_madd_epi16,
        _mm_min_epu8, _mm_movemask_epi8, _mm_packs_epi32, _mm_set1_epi8, _mm_setr_epi16,
        _mm_setzero_si128, _mm_srli_si128, _mm_sub_epi8, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
    };
    // SAFETY: SSE2 is part of every x86-64 processor (the intrinsics are marked unsafe only
    // for their target feature), and both loads read the 16 bytes of an array of 16.
    unsafe {
        let load = |bytes: &[u8; 16]| _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
        let values = _mm_sub_epi8(load(text), _mm_set1_epi8(b'0' as i8));
        // A byte is a digit where its value less '0' is at most 9 (unsigned).
        let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);
        let digits = (!(_mm_movemask_epi8(is_digit) as u32)).trailing_zeros() as usize;
        let kept = _mm_and_si128(values, load(&LEADING_BYTES[digits]));
        let zero = _mm_setzero_si128();
        let tens = _mm_setr_epi16(10, 1, 10, 1, 10, 1, 10, 1);
        let pairs = _mm_packs_epi32(
            _mm_madd_epi16(_mm_unpacklo_epi8(kept, zero), tens),
            _mm_madd_epi16(_mm_unpackhi_epi8(kept, zero), tens),
        );
        let fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
        let eights = _mm_madd_epi16(
            _mm_packs_epi32(fours, fours),
            _mm_setr_epi16(10_000, 1, 10_000, 1, 10_000, 1, 10_000, 1),
        );
        let first = _mm_cvtsi128_si32(eights) as u64;
        let second = _mm_cvtsi128_si32(_mm_srli_si128::<4>(eights)) as u64;
        (first * 100_000_000 + second, digits)
    }
}

/// How many of the 16 bytes of `text` begin with pairs of a digit and a comma (`1,0,1,`, up
/// to 8 pairs), and the digits' values (the first `count` of the 8 mean something). A class
/// list of one-digit classes is read this way 8 classes at a time, where one at a time took
/// about 35 instructions a class: the digits and commas are found in all bytes at once, and
/// the digits, in the low byte of each 16-bit lane, widened to 32 bits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn one_digit_pairs(text: &[u8; 16]) -> ([u32; 8], usize) {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
        _mm_set1_epi16, _mm_set1_epi8, _mm_setzero_si128, _mm_storeu_si128, _mm_sub_epi8,
        _mm_unpackhi_epi16, _mm_unpacklo_epi16,
    };
    let mut classes = [0u32; 8];
    // SAFETY: SSE2 is part of every x86-64 processor; the load reads the 16 bytes of `text`
    // and the stores write the 32 bytes of `classes`, unaligned.
    let pattern = unsafe {
        let bytes = _mm_loadu_si128(text.as_ptr().cast::<__m128i>());
        let values = _mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8));
        let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);
        let is_comma = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b',' as i8));
        let digits = _mm_and_si128(values, _mm_set1_epi16(0x00FF));
        let zero = _mm_setzero_si128();
        let out = classes.as_mut_ptr().cast::<__m128i>();
        _mm_storeu_si128(out, _mm_unpacklo_epi16(digits, zero));
        _mm_storeu_si128(out.add(1), _mm_unpackhi_epi16(digits, zero));
        (_mm_movemask_epi8(is_digit) & 0x5555) | (_mm_movemask_epi8(is_comma) & 0xAAAA)
    };
    // Bytes in place from the start, in whole pairs.
    let count = (!(pattern as u32)).trailing_zeros() as usize / 2;
    (classes, count)
}

/// `LEADING_BYTES[n]`: the first `n` bytes all ones, the rest zero.
#[cfg(target_arch = "x86_64")]
const LEADING_BYTES: [[u8; 16]; 17] = {
    let mut table = [[0u8; 16]; 17];
    let mut n = 0;
    while n <= 16 {
        let mut i = 0;
        while i < n {
            table[n][i] = 0xFF;
            i += 1;
        }
        n += 1;
    }
    table
};

/// [`sixteen_digits`] a word at a time, for other processors (and to check the other).
#[cfg(any(not(target_arch = "x86_64"), test))]
#[inline(always)]
fn sixteen_digits_by_words(text: &[u8; 16]) -> (u64, usize) {
    let (first, second) = (
        u64::from_le_bytes(*text.first_chunk::<8>().unwrap_or(&[0; 8])),
        u64::from_le_bytes(*text.last_chunk::<8>().unwrap_or(&[0; 8])),
    );
    let digits = match leading_digits(first) {
        8 => 8 + leading_digits(second),
        n => n,
    };
    // The bytes past the digits read as zeros.
    let padded = |word: u64, kept: usize| match kept {
        0 => ASCII_ZEROS,
        1..=7 => {
            let mask = (1u64 << (8 * kept)) - 1;
            (word & mask) | (ASCII_ZEROS & !mask)
        }
        _ => word,
    };
    let value = eight_digit_value(padded(first, digits)) * 100_000_000
        + eight_digit_value(padded(second, digits.saturating_sub(8)));
    (value, digits)
}

#[cfg(not(target_arch = "x86_64"))]
use sixteen_digits_by_words as sixteen_digits;

/// Whether the 8 bytes of `word` (little-endian) are all ASCII digits.
#[inline]
fn eight_digits(word: u64) -> bool {
    non_digit_flags(word) == 0
}

/// How many of the 8 bytes of `word` (little-endian) are ASCII digits before the first other
/// byte.
#[cfg(any(not(target_arch = "x86_64"), test))]
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
    fn counts_leading_digits() {
        for (text, digits) in [
            ("12345678", 8),
            ("1234567]", 7),
            ("1,345678", 1),
            ("]1234567", 0),
        ] {
            let word = u64::from_le_bytes(text.as_bytes().try_into().unwrap());
            assert_eq!(leading_digits(word), digits, "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Sixteen bytes read as their leading digits, padded with zeros to sixteen, both ways.
        #[test]
        fn sixteen_digits_are_read_padded(text in "[0-9]{0,16}[],}e.:/0-9]{0,16}") {
            let mut bytes = [b']'; 16];
            let length = text.len().min(16);
            bytes[..length].copy_from_slice(&text.as_bytes()[..length]);
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let padded = format!("{:0<16}", std::str::from_utf8(&bytes[..digits]).unwrap());
            let expected = (padded.parse::<u64>().unwrap(), digits);
            prop_assert_eq!(sixteen_digits(&bytes), expected, "{}", text);
            prop_assert_eq!(sixteen_digits_by_words(&bytes), expected, "{}", text);
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

    /// Integers are written as `to_string` writes them, after what the line held: every
    /// length, the edges of each, and random values.
    #[test]
    fn integers_are_written_in_decimal() {
        let mut values = vec![0, u64::MAX, u64::MAX - 1];
        let mut power = 1u64;
        while let Some(next) = power.checked_mul(10) {
            values.extend([power - 1, power, power + 1, next - 1]);
            power = next;
        }
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            values.push(rng >> (rng % 64));
        }
        for value in values {
            let mut line = b"{\"t\":".to_vec();
            push_int(&mut line, value);
            assert_eq!(line, format!("{{\"t\":{value}").into_bytes(), "{value}");
        }
    }

    /// Eight digits are split into bytes as `{:08}` writes them, for every value below 10^6
    /// and a spread of the rest.
    #[test]
    fn eight_digits_are_split_into_bytes() {
        for value in (0..1_000_000)
            .chain((1_000_000..100_000_000).step_by(997))
            .chain([99_999_999])
        {
            let bytes = (eight_digits_in_bytes(value) + ASCII_ZEROS).to_le_bytes();
            assert_eq!(bytes, format!("{value:08}").as_bytes(), "{value}");
        }
    }

    /// One-digit classes with their commas are counted in whole pairs from the start.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn one_digit_classes_are_read_in_pairs() {
        for (text, expected) in [
            ("1,0,1,1,0,0,1,1,", &[1, 0, 1, 1, 0, 0, 1, 1][..]),
            ("1,0,1,1,0,0,1,1]", &[1, 0, 1, 1, 0, 0, 1][..]),
            ("9,8,7]}\n........", &[9, 8][..]),
            ("12,3,4,5,6,7,8,9", &[][..]),
            ("3,12,4,5,6,7,8,9", &[3][..]),
            ("3,4,,5,6,7,8,9,0", &[3, 4][..]),
            ("], 1,2,3,4,5,6,7", &[][..]),
            ("0,1,2,3,4,5,6,:,", &[0, 1, 2, 3, 4, 5, 6][..]),
        ] {
            let (classes, count) = one_digit_pairs(text.as_bytes().try_into().unwrap());
            assert_eq!(&classes[..count], expected, "{text}");
        }
    }

    /// Formatted numbers of every length are appended whole.
    #[test]
    fn texts_of_every_length_are_appended_whole() {
        let digits = b"-1.2345678901234567e-300";
        for length in 0..=digits.len() {
            let mut line = b"x".to_vec();
            push_text(&mut line, &digits[..length]);
            assert_eq!(line[1..], digits[..length], "{length}");
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
