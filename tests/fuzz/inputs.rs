//! Inputs: valid traces, and the edits of bytes and of lines that every format's generators use.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use splitee::trace::Sample;
use std::fmt;

/// Bytes shown as text when a case fails.
#[derive(Clone)]
pub(crate) struct Input {
    pub(crate) bytes: Vec<u8>,
    /// What an unmutated input must read back as.
    pub(crate) expected: Option<Vec<Sample>>,
}

impl Input {
    pub(crate) fn raw(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            expected: None,
        }
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.bytes))?;
        if self.expected.is_some() {
            write!(f, " (valid)")?;
        }
        Ok(())
    }
}

fn arb_conf() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..=1.0f64,
        1 => (0u32..=1000).prop_map(|n| f64::from(n) / 1000.0),
        1 => (0.0..=1.0f32).prop_map(f64::from),
        1 => select(vec![0.0, 1.0, 0.5, f64::MIN_POSITIVE, 1.0 - f64::EPSILON]),
    ]
}

/// A valid trace: 1 to 4 exits, 1 to 6 samples, labeled or not, with costs or not, with few
/// classes or with more than fit in a byte.
pub(crate) fn arb_samples() -> impl Strategy<Value = Vec<Sample>> {
    (1usize..=4, 1usize..=6, any::<bool>(), any::<bool>()).prop_flat_map(
        |(exits, rows, costs, wide)| {
            let top = if wide { 400u32 } else { 5 };
            let sample = (
                vec(arb_conf(), exits),
                vec(0..top, exits),
                option::of(0..top),
                vec(prop_oneof![0.0..1e3f64, Just(0.0)], exits),
            )
                .prop_map(move |(conf, pred, label, cost)| Sample {
                    context: None,
                    arrival: None,
                    conf,
                    pred,
                    label,
                    cost: costs.then_some(cost),
                });
            vec(sample, rows)
        },
    )
}

/// An edit of a byte string.
#[derive(Debug, Clone)]
pub(crate) enum ByteEdit {
    Truncate(Index),
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
    Remove(Index, u8),
}

pub(crate) fn arb_byte_edit() -> impl Strategy<Value = ByteEdit> {
    let inserted = prop_oneof![
        vec(any::<u8>(), 1..8),
        select(vec![
            b"\xff".to_vec(),
            b"\r".to_vec(),
            b"\n".to_vec(),
            b"\"".to_vec(),
            b",".to_vec(),
            b"\0".to_vec(),
            "\u{feff}".as_bytes().to_vec(),
            "é".as_bytes().to_vec(),
            b"\xc3".to_vec(),
        ]),
    ];
    prop_oneof![
        any::<Index>().prop_map(ByteEdit::Truncate),
        (any::<Index>(), 1u8..=255).prop_map(|(i, m)| ByteEdit::Flip(i, m)),
        (any::<Index>(), inserted).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        (any::<Index>(), 1u8..16).prop_map(|(i, n)| ByteEdit::Remove(i, n)),
    ]
}

pub(crate) fn apply_bytes(bytes: &mut Vec<u8>, edit: &ByteEdit) {
    let len = bytes.len();
    match edit {
        ByteEdit::Truncate(at) => bytes.truncate(at.index(len + 1)),
        ByteEdit::Flip(at, mask) if len > 0 => bytes[at.index(len)] ^= mask,
        ByteEdit::Insert(at, data) => {
            let i = at.index(len + 1);
            bytes.splice(i..i, data.iter().copied());
        }
        ByteEdit::Remove(at, n) if len > 0 => {
            let i = at.index(len);
            bytes.drain(i..(i + usize::from(*n)).min(len));
        }
        ByteEdit::Flip(..) | ByteEdit::Remove(..) => {}
    }
}

/// An edit of a text's lines, in any format.
#[derive(Debug, Clone)]
pub(crate) enum LineEdit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Insert(Index, String),
}

/// Line edits that insert one of `inserted`, the lines worth trying in a format.
pub(crate) fn arb_line_edit(inserted: Vec<&'static str>) -> impl Strategy<Value = LineEdit> {
    let line = select(inserted).prop_map(String::from);
    prop_oneof![
        any::<Index>().prop_map(LineEdit::Delete),
        any::<Index>().prop_map(LineEdit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
        (any::<Index>(), line).prop_map(|(at, l)| LineEdit::Insert(at, l)),
    ]
}

/// Applies `edit` to lines held as `T` (a text line, a CSV row, a JSON object), making an
/// inserted line into a `T` with `from_text`.
pub(crate) fn apply_line_edit<T: Clone>(
    lines: &mut Vec<T>,
    edit: &LineEdit,
    from_text: fn(String) -> T,
) {
    let n = lines.len();
    match edit {
        LineEdit::Insert(at, line) => lines.insert(at.index(n + 1), from_text(line.clone())),
        _ if n == 0 => {}
        LineEdit::Delete(at) => {
            lines.remove(at.index(n));
        }
        LineEdit::Duplicate(at) => {
            let at = at.index(n);
            lines.insert(at, lines[at].clone());
        }
        LineEdit::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
    }
}

/// Lines joined by `eol`, and ended by one if `trailing_eol`.
pub(crate) fn join_lines(
    lines: impl IntoIterator<Item = String>,
    eol: &str,
    trailing_eol: bool,
) -> String {
    let mut text = lines.into_iter().collect::<Vec<_>>().join(eol);
    if trailing_eol {
        text.push_str(eol);
    }
    text
}
