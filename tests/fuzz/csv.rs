//! CSV.

use crate::fuzz;
use crate::inputs::{apply_line_edit, arb_line_edit, Input, LineEdit};
use crate::text::{
    arb_structured_text, check_text, csv_grid, fuzz_bad_value, fuzz_truncated_last_line, grid_text,
    TextFormat,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use splitee::trace::Sample;

/// An edit of a CSV file as a grid of cells.
#[derive(Debug, Clone)]
enum GridEdit {
    Set(Index, Index, String),
    Delete(Index, Index),
    Duplicate(Index, Index),
    Swap(Index, Index, Index),
    SwapColumns(Index, Index),
    Line(LineEdit),
}

/// Cell values that are wrong somewhere: not numbers, NaN, infinite, negative, huge, empty,
/// quoted, column names.
fn arb_cell() -> impl Strategy<Value = String> {
    let listed = select(vec![
        "NaN",
        "nan",
        "inf",
        "-inf",
        "infinity",
        "-1",
        "-0",
        "0",
        "1",
        "2",
        "1.5",
        "1e308",
        "-1e308",
        "1e-320",
        "1e400",
        "65534",
        "65535",
        "255",
        "256",
        "4294967296",
        "18446744073709551616",
        "",
        " ",
        "abc",
        "0x1",
        "1_000",
        "+1",
        ".5",
        "5.",
        "\"0.5\"",
        "\"",
        "\"\"",
        "#",
        "conf_1",
        "pred_1",
        "cost_1",
        "label",
        "conf_0",
        "conf_x",
        "conf_",
        "pred_2",
        "cost_9",
        "conf_18446744073709551616",
        "conf_99999999999999999999",
        "label ",
        "\u{feff}conf_1",
        "é",
        "\t0.5",
        "\"a\nb\"",
        "\"conf_\n1\"",
        "\"x\ry\"",
    ])
    .prop_map(String::from);
    prop_oneof![
        6 => listed,
        1 => "[ -~]{0,8}",
        1 => "\\PC{0,6}",
    ]
}

fn arb_grid_edit() -> impl Strategy<Value = GridEdit> {
    let lines = vec![
        "",
        " ",
        "# a comment",
        "#",
        "label,conf_1,pred_1",
        "1,0.5,1",
        "a,b,c",
        "\"",
        ",,,",
    ];
    prop_oneof![
        6 => (any::<Index>(), any::<Index>(), arb_cell()).prop_map(|(r, c, v)| GridEdit::Set(r, c, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(r, c)| GridEdit::Delete(r, c)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(r, c)| GridEdit::Duplicate(r, c)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(r, a, b)| GridEdit::Swap(r, a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| GridEdit::SwapColumns(a, b)),
        // One in four each: delete, duplicate, swap and insert lines.
        4 => arb_line_edit(lines).prop_map(GridEdit::Line),
    ]
}

fn apply_grid(grid: &mut Vec<Vec<String>>, edit: &GridEdit) {
    let rows = grid.len();
    match edit {
        // An inserted line is a row of one cell.
        GridEdit::Line(edit) => apply_line_edit(grid, edit, |line| vec![line]),
        _ if rows == 0 => {}
        GridEdit::Set(r, c, value) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                let c = c.index(row.len());
                row[c] = value.clone();
            }
        }
        GridEdit::Delete(r, c) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                row.remove(c.index(row.len()));
            }
        }
        GridEdit::Duplicate(r, c) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                let c = c.index(row.len());
                row.insert(c, row[c].clone());
            }
        }
        GridEdit::Swap(r, a, b) => {
            let row = &mut grid[r.index(rows)];
            if !row.is_empty() {
                let (a, b) = (a.index(row.len()), b.index(row.len()));
                row.swap(a, b);
            }
        }
        GridEdit::SwapColumns(a, b) => {
            let width = grid[0].len();
            if width > 0 {
                let (a, b) = (a.index(width), b.index(width));
                for row in grid.iter_mut().filter(|row| a.max(b) < row.len()) {
                    row.swap(a, b);
                }
            }
        }
    }
}

/// The CSV text of `samples` after `edits`.
fn csv_edited(samples: &[Sample], edits: &[GridEdit], eol: &str, trailing_eol: bool) -> String {
    let mut grid = csv_grid(&TextFormat::Csv.text(samples));
    for edit in edits {
        apply_grid(&mut grid, edit);
    }
    grid_text(&grid, eol, trailing_eol)
}

pub(crate) fn arb_structured_csv(max_edits: usize) -> impl Strategy<Value = Input> {
    arb_structured_text(arb_grid_edit(), max_edits, csv_edited)
}

fn arb_csv() -> impl Strategy<Value = Input> {
    let header = select(vec![
        "label,conf_1,pred_1,cost_1\n",
        "conf_1,pred_1,conf_2,pred_2\n",
        "id,label,pred_1,conf_1\r\n",
        "# comment\nlabel,conf_1,pred_1\n",
    ]);
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Input::raw),
        1 => (header, vec(any::<u8>(), 0..256)).prop_map(|(h, b)| {
            let mut bytes = h.as_bytes().to_vec();
            bytes.extend(b);
            Input::raw(bytes)
        }),
        1 => "(label|conf_1|pred_1|cost_1|conf_2|pred_2|[-0-9.e#\" ,]|\r|\n){0,60}"
            .prop_map(|s| Input::raw(s.into_bytes())),
        7 => arb_structured_csv(4),
    ]
}

#[test]
fn fuzz_csv() {
    fuzz("csv", 20_000, arb_csv(), |input| {
        check_text(input, TextFormat::Csv)
    });
}

/// One bad cell in a valid CSV trace is reported at its line and column.
#[test]
fn fuzz_csv_bad_cell() {
    fuzz_bad_value("csv-bad-cell", TextFormat::Csv);
}

/// A CSV trace whose last line is cut before its last cell (no newline, too few cells) is
/// reported at that line as truncated.
#[test]
fn fuzz_csv_truncated_last_line() {
    fuzz_truncated_last_line("csv-truncated", TextFormat::Csv);
}
