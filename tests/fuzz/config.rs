//! Run configs: the valid configs of experiments/ with keys removed, retyped, spoiled or added.

use crate::check::{check_message, line_count};
use crate::inputs::{
    apply_bytes, apply_line_edit, arb_byte_edit, arb_line_edit, join_lines, Input,
};
use crate::{accepted, fuzz, scratch_dir};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;
use splitee::config::{Overrides, ResolveSettings, RunSettings};
use std::path::{Path, PathBuf};

/// The run configs of `experiments/` (the `sparsity-*` ones configure training instead).
fn base_configs() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("splitee-"))
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "run configs in {}", dir.display());
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum TomlEdit {
    Remove(Index, Index),
    Set(Index, Index, toml::Value),
    SetElement(Index, Index, Index, toml::Value),
    Add(Index, String, toml::Value),
    AddSection(String),
    Swap((Index, Index), (Index, Index)),
}

fn toml_table(pairs: &[(&str, toml::Value)]) -> toml::Value {
    toml::Value::Table(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Values of the wrong type, or of the right type but out of range, or just valid.
fn arb_toml_value() -> impl Strategy<Value = toml::Value> {
    use toml::Value as V;
    let strings = [
        "",
        "linear",
        "table",
        "measured",
        "profile",
        "splitee-2023",
        "published",
        "strict",
        "oracle",
        "given",
        "shuffle",
        "splitee",
        "splitee-s:strict",
        "fixed:0",
        "fixed:3",
        "fixed:99999999999999999999",
        "a\nb",
        "net.profile.json",
        "../x.csv",
        "ucb1:0.5",
        "ucb1:nan",
        "ucb1:-1",
        "sw-ucb:0",
        "sw-ucb:99999999999999999999",
        "exp3:2",
        "eps-greedy:1.5",
        "thompson:",
        "kl-ucb+s",
        "d-ucb:1",
        "splitee-s:",
    ];
    let mut values: Vec<V> = vec![
        V::Integer(-1),
        V::Integer(0),
        V::Integer(1),
        V::Integer(2),
        V::Integer(20),
        V::Integer(i64::MAX),
        V::Integer(i64::MIN),
        V::Float(f64::NAN),
        V::Float(f64::INFINITY),
        V::Float(f64::NEG_INFINITY),
        V::Float(-1.0),
        V::Float(-0.0),
        V::Float(0.0),
        V::Float(0.5),
        V::Float(1.5),
        V::Float(1e308),
        V::Float(5e-324),
        V::Boolean(true),
        V::Datetime("1979-05-27T07:32:00Z".parse().unwrap()),
        V::Array(vec![]),
        V::Array(vec![V::Float(0.1)]),
        V::Array(vec![V::Float(-1.0)]),
        V::Array(vec![V::Float(f64::NAN)]),
        V::Array(vec![V::String("splitee".into())]),
        V::Array(vec![V::String("a\nb".into())]),
        V::Array(vec![V::Integer(1), V::String("x".into())]),
        V::Array(vec![V::Array(vec![V::Float(0.1)])]),
        V::Array((1..=12).map(|k| V::Float(f64::from(k) / 10.0)).collect()),
        toml_table(&[]),
        toml_table(&[
            ("start", V::Float(0.1)),
            ("stop", V::Float(0.6)),
            ("step", V::Float(0.05)),
        ]),
        toml_table(&[
            ("start", V::Float(0.0)),
            ("stop", V::Float(1e300)),
            ("step", V::Float(1e-300)),
        ]),
        toml_table(&[
            ("start", V::Float(-1e308)),
            ("stop", V::Float(1e308)),
            ("step", V::Float(1.0)),
        ]),
        toml_table(&[
            ("start", V::Float(0.0)),
            ("stop", V::Float(1.0)),
            ("step", V::Float(0.0)),
        ]),
        toml_table(&[("a", V::Integer(1))]),
    ];
    values.extend(strings.iter().map(|s| V::String(s.to_string())));
    select(values)
}

fn arb_toml_edit() -> impl Strategy<Value = TomlEdit> {
    let key = select(vec![
        "lamda",
        "",
        "a\nb",
        "names",
        "alpha",
        "runs",
        "model",
        "paths",
        "x.y",
        "ü",
        "lambda",
        "offload",
        "focus_offload",
        "traces",
        "compat",
    ])
    .prop_map(String::from);
    let section = select(vec![
        "plicy",
        "sweep",
        "report",
        "published",
        "trace",
        "cost",
        "policy",
        "run",
        "a\nb",
        "",
    ])
    .prop_map(String::from);
    prop_oneof![
        2 => (any::<Index>(), any::<Index>()).prop_map(|(s, k)| TomlEdit::Remove(s, k)),
        5 => (any::<Index>(), any::<Index>(), arb_toml_value()).prop_map(|(s, k, v)| TomlEdit::Set(s, k, v)),
        2 => (any::<Index>(), any::<Index>(), any::<Index>(), arb_toml_value())
            .prop_map(|(s, k, i, v)| TomlEdit::SetElement(s, k, i, v)),
        1 => (any::<Index>(), key, arb_toml_value()).prop_map(|(s, k, v)| TomlEdit::Add(s, k, v)),
        1 => section.prop_map(TomlEdit::AddSection),
        1 => any::<((Index, Index), (Index, Index))>().prop_map(|(a, b)| TomlEdit::Swap(a, b)),
    ]
}

/// The value at key `k` of section `s` (or section `s` itself if it is not a table).
fn toml_slot<'a>(table: &'a mut toml::Table, s: &Index, k: &Index) -> Option<&'a mut toml::Value> {
    if table.is_empty() {
        return None;
    }
    let key = table.keys().nth(s.index(table.len())).unwrap().clone();
    let inner = match &table[&key] {
        toml::Value::Table(section) if !section.is_empty() => {
            Some(section.keys().nth(k.index(section.len())).unwrap().clone())
        }
        _ => None,
    };
    let value = table.get_mut(&key).unwrap();
    match (value, inner) {
        (toml::Value::Table(section), Some(inner)) => section.get_mut(&inner),
        (other, _) => Some(other),
    }
}

fn apply_toml(table: &mut toml::Table, edit: &TomlEdit) {
    match edit {
        TomlEdit::AddSection(name) => {
            table.insert(name.clone(), toml_table(&[]));
        }
        TomlEdit::Remove(s, k) if !table.is_empty() => {
            let key = table.keys().nth(s.index(table.len())).unwrap().clone();
            match table.get_mut(&key) {
                Some(toml::Value::Table(section)) if !section.is_empty() => {
                    let inner = section.keys().nth(k.index(section.len())).unwrap().clone();
                    section.remove(&inner);
                }
                _ => {
                    table.remove(&key);
                }
            }
        }
        TomlEdit::Set(s, k, value) => {
            if let Some(slot) = toml_slot(table, s, k) {
                *slot = value.clone();
            }
        }
        TomlEdit::SetElement(s, k, i, value) => {
            if let Some(toml::Value::Array(array)) = toml_slot(table, s, k) {
                if array.is_empty() {
                    array.push(value.clone());
                } else {
                    let i = i.index(array.len());
                    array[i] = value.clone();
                }
            }
        }
        TomlEdit::Add(s, key, value) if !table.is_empty() => {
            let section = table.keys().nth(s.index(table.len())).unwrap().clone();
            match table.get_mut(&section) {
                Some(toml::Value::Table(section)) => {
                    section.insert(key.clone(), value.clone());
                }
                _ => {
                    table.insert(key.clone(), value.clone());
                }
            }
        }
        TomlEdit::Swap((s1, k1), (s2, k2)) => {
            let a = toml_slot(table, s1, k1).map(|v| v.clone());
            let b = toml_slot(table, s2, k2).map(|v| v.clone());
            if let (Some(a), Some(b)) = (a, b) {
                *toml_slot(table, s1, k1).unwrap() = b;
                *toml_slot(table, s2, k2).unwrap() = a;
            }
        }
        TomlEdit::Remove(..) | TomlEdit::Add(..) => {}
    }
}

fn arb_structured_config(max_edits: usize) -> impl Strategy<Value = Input> {
    let bases = base_configs();
    let count = bases.len();
    let config_lines = vec![
        "[run]",
        "[cost]",
        "[[run]]",
        "runs = 3",
        "alpha = 0.5",
        "lambda = -1",
        "x = ",
        "= 1",
        "a = [",
        "\"",
        "[",
        "model = \"linear\"",
        "mu = nan",
        "runs = 1e3",
        "seed = -1",
    ];
    (
        0..count,
        any::<bool>(),
        vec(arb_toml_edit(), 0..=max_edits),
        vec(arb_line_edit(config_lines), 0..=max_edits.min(2)),
        vec(arb_byte_edit(), 0..=max_edits.min(1)),
    )
        .prop_map(move |(base, reformat, edits, line_edits, byte_edits)| {
            let text = &bases[base];
            // Reformatted by the toml crate when edited (which drops the comments).
            let text = if reformat || !edits.is_empty() {
                let mut table: toml::Table = text.parse().unwrap();
                for edit in &edits {
                    apply_toml(&mut table, edit);
                }
                toml::to_string(&table).unwrap_or_default()
            } else {
                text.clone()
            };
            let text = if line_edits.is_empty() {
                text
            } else {
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                for edit in &line_edits {
                    apply_line_edit(&mut lines, edit, String::from);
                }
                join_lines(lines, "\n", true)
            };
            let mut bytes = text.into_bytes();
            for edit in &byte_edits {
                apply_bytes(&mut bytes, edit);
            }
            let valid = edits.is_empty() && line_edits.is_empty() && byte_edits.is_empty();
            Input {
                bytes,
                // Valid configs resolve; `expected` is only a marker here.
                expected: valid.then(Vec::new),
            }
        })
}

fn arb_config() -> impl Strategy<Value = Input> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Input::raw),
        1 => "(\\[[a-z]{1,7}\\]|[a-z_]{1,8} = (-?[0-9.]{1,6}|\"[a-z:0-9-]*\"|\\[[0-9., ]*\\]|nan|inf|true|\\{\\})|\n){0,20}"
            .prop_map(|s| Input::raw(s.into_bytes())),
        8 => arb_structured_config(4),
    ]
}

/// The line a config message names (`FILE: line N: ...`), if any.
fn named_line(message: &str, file: &str) -> Option<u64> {
    let rest = message.strip_prefix(&format!("{file}: line "))?;
    rest.split(':').next()?.parse().ok()
}

fn check_config(path: &Path, input: &Input) -> TestCaseResult {
    std::fs::write(path, &input.bytes).unwrap();
    let file = path.display().to_string();
    let result = RunSettings::resolve_with_sections(Some(path), Overrides::default());
    if result.is_ok() {
        accepted();
    }
    if let Err(e) = result {
        let message = e.to_string();
        prop_assert!(
            input.expected.is_none(),
            "a valid config was rejected: {message}"
        );
        check_message(&message, &file)?;
        if let Some(line) = named_line(&message, &file) {
            let lines = line_count(&input.bytes);
            prop_assert!(
                (1..=lines).contains(&line),
                "line {line} of {lines}: {message}"
            );
        }
    }
    Ok(())
}

#[test]
fn fuzz_config() {
    let dir = scratch_dir();
    let path = dir.path().join("fuzz.toml");
    fuzz("config", 10_000, arb_config(), |input| {
        check_config(&path, &input)
    });
}
