//! JSON Lines.

use crate::fuzz;
use crate::inputs::{apply_line_edit, arb_line_edit, Input, LineEdit};
use crate::text::{
    arb_structured_text, check_text, fuzz_bad_value, fuzz_truncated_last_line, json_lines,
    json_text, placeholder, JsonLine, TextFormat,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use splitee::trace::Sample;

/// JSON text put where a value was: wrong types, NaN and infinities (not JSON), numbers out of
/// range, deep nesting, strings with line breaks.
fn arb_json_token() -> impl Strategy<Value = String> {
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let listed = select(vec![
        "NaN".to_string(),
        "Infinity".into(),
        "-Infinity".into(),
        "-1".into(),
        "-0".into(),
        "0".into(),
        "1".into(),
        "1.5".into(),
        "1e999".into(),
        "-1e999".into(),
        "1e-400".into(),
        "65534".into(),
        "65535".into(),
        "4294967296".into(),
        "18446744073709551616".into(),
        "-9223372036854775809".into(),
        "null".into(),
        "true".into(),
        "\"0.5\"".into(),
        "\"\"".into(),
        "\"a\\nb\"".into(),
        "[]".into(),
        "{}".into(),
        "[0.5]".into(),
        "[[0.5]]".into(),
        "[null]".into(),
        "{\"a\":1}".into(),
        "01".into(),
        "1.".into(),
        ".5".into(),
        "+1".into(),
        "0x1".into(),
        "\"\\ud800\"".into(),
        deep,
    ]);
    prop_oneof![
        8 => listed,
        1 => "[ -~]{0,6}",
    ]
}

/// Keys put into an object: the known ones, unknown ones, one with a line break.
fn arb_json_key() -> impl Strategy<Value = String> {
    select(vec![
        "conf", "pred", "label", "cost", "extra", "Conf", "", "a\nb", "conf ", "é",
    ])
    .prop_map(String::from)
}

#[derive(Debug, Clone)]
enum JsonEdit {
    SetKey(Index, String, String),
    RemoveKey(Index, Index),
    SetElement(Index, Index, Index, String),
    PushElement(Index, Index, String),
    PopElement(Index, Index),
    Line(LineEdit),
}

fn arb_json_edit() -> impl Strategy<Value = JsonEdit> {
    let lines = vec![
        "",
        " ",
        "\t",
        "{}",
        "[]",
        "null",
        "{\"conf\":[0.5],\"pred\":[0]}",
        "{",
        "#",
        "\u{feff}{}",
    ];
    prop_oneof![
        3 => (any::<Index>(), arb_json_key(), arb_json_token())
            .prop_map(|(l, k, v)| JsonEdit::SetKey(l, k, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(l, k)| JsonEdit::RemoveKey(l, k)),
        4 => (any::<Index>(), any::<Index>(), any::<Index>(), arb_json_token())
            .prop_map(|(l, k, i, v)| JsonEdit::SetElement(l, k, i, v)),
        1 => (any::<Index>(), any::<Index>(), arb_json_token())
            .prop_map(|(l, k, v)| JsonEdit::PushElement(l, k, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(l, k)| JsonEdit::PopElement(l, k)),
        // One in four each: delete, duplicate, swap and insert lines.
        4 => arb_line_edit(lines).prop_map(JsonEdit::Line),
    ]
}

fn apply_json(lines: &mut Vec<JsonLine>, tokens: &mut Vec<String>, edit: &JsonEdit) {
    match edit {
        JsonEdit::Line(edit) => apply_line_edit(lines, edit, JsonLine::Raw),
        _ if lines.is_empty() => {}
        JsonEdit::SetKey(l, ..)
        | JsonEdit::RemoveKey(l, _)
        | JsonEdit::SetElement(l, ..)
        | JsonEdit::PushElement(l, ..)
        | JsonEdit::PopElement(l, _) => {
            let n = lines.len();
            if let JsonLine::Object(map) = &mut lines[l.index(n)] {
                edit_object(map, tokens, edit);
            }
        }
    }
}

fn edit_object(
    map: &mut serde_json::Map<String, serde_json::Value>,
    tokens: &mut Vec<String>,
    edit: &JsonEdit,
) {
    let arrays: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.is_array())
        .map(|(k, _)| k.clone())
        .collect();
    match edit {
        JsonEdit::SetKey(_, key, token) => {
            let value = placeholder(tokens, token);
            map.insert(key.clone(), value);
        }
        JsonEdit::RemoveKey(_, k) if !map.is_empty() => {
            let key = map.keys().nth(k.index(map.len())).unwrap().clone();
            map.remove(&key);
        }
        JsonEdit::SetElement(_, k, i, token) if !arrays.is_empty() => {
            let value = placeholder(tokens, token);
            let array = map_array(map, &arrays, k);
            if array.is_empty() {
                array.push(value);
            } else {
                let i = i.index(array.len());
                array[i] = value;
            }
        }
        JsonEdit::PushElement(_, k, token) if !arrays.is_empty() => {
            let value = placeholder(tokens, token);
            map_array(map, &arrays, k).push(value);
        }
        JsonEdit::PopElement(_, k) if !arrays.is_empty() => {
            map_array(map, &arrays, k).pop();
        }
        _ => {}
    }
}

/// The array value of the `k`-th of the keys `arrays`.
fn map_array<'a>(
    map: &'a mut serde_json::Map<String, serde_json::Value>,
    arrays: &[String],
    k: &Index,
) -> &'a mut Vec<serde_json::Value> {
    let key = &arrays[k.index(arrays.len())];
    map.get_mut(key)
        .and_then(serde_json::Value::as_array_mut)
        .unwrap()
}

/// The JSON Lines text of `samples` after `edits`.
fn jsonl_edited(samples: &[Sample], edits: &[JsonEdit], eol: &str, trailing_eol: bool) -> String {
    let mut lines = json_lines(&TextFormat::Jsonl.text(samples));
    let mut tokens = Vec::new();
    for edit in edits {
        apply_json(&mut lines, &mut tokens, edit);
    }
    json_text(&lines, &tokens, eol, trailing_eol)
}

pub(crate) fn arb_structured_jsonl(max_edits: usize) -> impl Strategy<Value = Input> {
    arb_structured_text(arb_json_edit(), max_edits, jsonl_edited)
}

fn arb_jsonl() -> impl Strategy<Value = Input> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Input::raw),
        1 => "(\\{|\\}|\\[|\\]|\"conf\"|\"pred\"|\"label\"|\"cost\"|[-0-9.e:, ]|null|NaN|\r|\n){0,60}"
            .prop_map(|s| Input::raw(s.into_bytes())),
        8 => arb_structured_jsonl(4),
    ]
}

#[test]
fn fuzz_jsonl() {
    fuzz("jsonl", 20_000, arb_jsonl(), |input| {
        check_text(input, TextFormat::Jsonl)
    });
}

/// One bad value in a valid JSON Lines trace is reported at its line, and at its column when it
/// is a number (other values are syntax or type errors of the line).
#[test]
fn fuzz_jsonl_bad_value() {
    fuzz_bad_value("jsonl-bad-value", TextFormat::Jsonl);
}

/// A JSON Lines trace whose last line is cut (no newline, an incomplete object) is reported at
/// that line as truncated.
#[test]
fn fuzz_jsonl_truncated_last_line() {
    fuzz_truncated_last_line("jsonl-truncated", TextFormat::Jsonl);
}
