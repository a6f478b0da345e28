//! One unit per quantity: every number a table shows (terminal, Markdown) is the number the CSV
//! and the JSON hold, in the same unit (shares as fractions, the cost change against the final
//! exit as a reduction, positive when cheaper), and every column header and key names its unit.
//! The outputs of `run`, `sweep`, `simulate` and a study are parsed, not grepped.

mod common;

use common::{splitee, succeed, write_tiny_study};
use serde_json::Value;
use std::path::Path;

/// The outcome columns every results table starts with: the header (naming its unit) and the
/// JSON key holding the same number (the CSV's columns are the key with `_mean` and `_ci95`).
const OUTCOMES: [(&str, &str); 4] = [
    ("accuracy (fraction)", "accuracy"),
    ("cost/sample", "cost_per_sample"),
    (
        "cost reduction vs final (fraction)",
        "cost_reduction_fraction",
    ),
    ("offload (fraction)", "offload_fraction"),
];

/// A table: its header and rows of cells.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// The row whose `policy` cell is `policy`.
    fn row_of(&self, policy: &str) -> usize {
        (0..self.rows.len())
            .find(|&r| self.cell(r, "policy") == policy)
            .unwrap_or_else(|| panic!("no row of {policy}"))
    }

    /// The cell of `row` under `column`, which the header must have.
    fn cell(&self, row: usize, column: &str) -> &str {
        let c = self
            .header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column:?} in {:?}", self.header));
        &self.rows[row][c]
    }
}

/// The cells of a Markdown table line `| a | b |`.
fn markdown_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// Every Markdown table of `md`.
fn markdown_tables(md: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i + 1 < lines.len() {
        if lines[i].starts_with('|') && lines[i + 1].starts_with("|---") {
            let header = markdown_cells(lines[i]);
            let mut rows = Vec::new();
            i += 2;
            while i < lines.len() && lines[i].starts_with('|') {
                rows.push(markdown_cells(lines[i]));
                i += 1;
            }
            tables.push(Table { header, rows });
        } else {
            i += 1;
        }
    }
    tables
}

/// The first Markdown table of `md` with a column `column`.
fn markdown_table_with(md: &str, column: &str) -> Table {
    markdown_tables(md)
        .into_iter()
        .find(|t| t.header.iter().any(|h| h == column))
        .unwrap_or_else(|| panic!("no table with {column:?} in:\n{md}"))
}

/// The terminal table of `run`: the line starting with `policy` and those after it, columns
/// apart by two spaces or more (cells hold single spaces only).
fn terminal_table(text: &str) -> Table {
    let split = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut lines = text.lines().skip_while(|l| !l.starts_with("policy"));
    let header = split(lines.next().expect("a header line starting with `policy`"));
    let rows = lines
        .take_while(|l| !l.trim().is_empty())
        .map(split)
        .collect();
    Table { header, rows }
}

/// Asserts that the table cell `cell` (`mean` or `mean ± ci95`) shows `estimate` (a JSON
/// `{mean, ci95}`) at the cell's own number of decimals: the same number in the same unit.
fn assert_shows(cell: &str, estimate: &Value, what: &str) {
    let shown = |text: &str, value: f64| {
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
        // A table writes a number that rounds to zero without a sign.
        let expected = format!("{value:.decimals$}");
        let expected = expected
            .strip_prefix("-")
            .map_or(expected.clone(), |unsigned| {
                if unsigned.chars().all(|c| c == '0' || c == '.') {
                    unsigned.to_owned()
                } else {
                    expected.clone()
                }
            });
        assert_eq!(
            text, expected,
            "{what}: table shows {cell:?}, JSON {estimate}"
        );
    };
    let (mean, ci95) = match cell.split_once(" ± ") {
        Some((m, h)) => (m, Some(h)),
        None => (cell, None),
    };
    shown(mean, estimate["mean"].as_f64().unwrap());
    if let Some(h) = ci95 {
        shown(h, estimate["ci95"].as_f64().unwrap());
    }
}

/// Asserts that the CSV record `row` holds `estimate` exactly under `key`'s columns.
fn assert_csv_holds(row: &csv::StringRecord, header: &csv::StringRecord, key: &str, e: &Value) {
    let column = |suffix: &str| {
        let name = format!("{key}_{suffix}");
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no CSV column {name} in {header:?}"));
        row[i].to_owned()
    };
    let mean: f64 = column("mean").parse().unwrap();
    assert_eq!(mean, e["mean"].as_f64().unwrap(), "{key}_mean");
    let ci95 = column("ci95");
    match e["ci95"].as_f64() {
        Some(h) => assert_eq!(ci95.parse::<f64>().unwrap(), h, "{key}_ci95"),
        None => assert_eq!(ci95, "", "{key}_ci95"),
    }
}

/// The CSV file at `path`: its header and records.
fn read_csv(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let records = reader.records().map(Result::unwrap).collect();
    (header, records)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// No header of `table` shows a percentage, and every outcome header names its unit.
fn assert_headers_name_units(table: &Table) {
    for h in &table.header {
        assert!(!h.contains('%'), "header {h:?} shows a percentage");
    }
    for (column, _) in OUTCOMES {
        assert!(
            column.ends_with("(fraction)") || column.ends_with("/sample"),
            "{column}"
        );
    }
}

/// For each result of `results` (JSON, in table order), the table's outcome cells show its
/// numbers, and the CSV row (if any) holds them.
fn assert_outcomes_agree(
    table: &Table,
    results: &[&Value],
    csv: Option<(&csv::StringRecord, &[csv::StringRecord])>,
) {
    assert_headers_name_units(table);
    assert_eq!(table.rows.len(), results.len(), "one row per result");
    for (i, result) in results.iter().enumerate() {
        let policy = result["policy"].as_str().unwrap();
        assert_eq!(table.cell(i, "policy"), policy);
        for (column, key) in OUTCOMES {
            let estimate = &result[key];
            assert!(estimate.is_object(), "{policy}: no JSON key {key}");
            assert_shows(table.cell(i, column), estimate, &format!("{policy} {key}"));
            if let Some((header, rows)) = csv {
                assert_csv_holds(&rows[i], header, key, estimate);
            }
        }
        // The unit-less keys of earlier reports are gone; `accuracy` stays, as the stable
        // command-line contract names it (a fraction, as the table's header says).
        for old in ["cost_reduction", "agreement"] {
            assert!(result.get(old).is_none(), "{policy}: key {old}");
        }
    }
}

#[test]
fn a_run_shows_the_same_numbers_in_its_table_markdown_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = succeed(splitee().args([
        "run",
        "--runs",
        "3",
        "--policy",
        "splitee-s",
        "--policy",
        "agreement-ucb:0.02",
        "--policy",
        "final-exit",
        "--out",
        dir.path().to_str().unwrap(),
    ]));
    let json = read_json(&dir.path().join("results.json"));
    let results: Vec<&Value> = json["results"].as_array().unwrap().iter().collect();
    let (header, rows) = read_csv(&dir.path().join("results.csv"));
    let csv = Some((&header, rows.as_slice()));
    assert_outcomes_agree(&terminal_table(&stdout), &results, csv);
    let md = std::fs::read_to_string(dir.path().join("results.md")).unwrap();
    assert_outcomes_agree(&markdown_table_with(&md, "learned arm"), &results, csv);
    // The saving is a reduction: the final exit's is 0 and a cheaper policy's positive.
    assert_eq!(results[2]["cost_reduction_fraction"]["mean"], 0.0);
    assert!(
        results[0]["cost_reduction_fraction"]["mean"]
            .as_f64()
            .unwrap()
            > 0.0
    );

    // The agreement table: the same fractions as the JSON's agreement and constraint.
    let agreement = markdown_table_with(&md, "agreement (fraction)");
    assert_headers_name_units(&agreement);
    let learner = results[1];
    let row = agreement.row_of("agreement-ucb:0.02");
    assert_shows(
        agreement.cell(row, "agreement (fraction)"),
        &learner["agreement_fraction"],
        "agreement",
    );
    assert_shows(
        agreement.cell(row, "cost reduction vs final (fraction)"),
        &learner["cost_reduction_fraction"],
        "cost reduction",
    );
    let constraint = &learner["constraint"];
    assert_eq!(
        agreement
            .cell(row, "floor (fraction)")
            .parse::<f64>()
            .unwrap(),
        constraint["floor_fraction"].as_f64().unwrap()
    );
    for (column, key) in [
        ("violations (fraction)", "violations_fraction"),
        ("late violations (fraction)", "late_violations_fraction"),
    ] {
        assert_shows(agreement.cell(row, column), &constraint[key], key);
    }
}

#[test]
fn a_sweep_shows_the_same_numbers_in_its_markdown_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("s.toml");
    std::fs::write(
        &config,
        "[policy]\nnames = [\"splitee-s\", \"final-exit\"]\n[run]\nruns = 2\n\
         [sweep]\noffload = [0.2, 0.4]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    succeed(splitee().args([
        "sweep",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let json = read_json(&out.join("sweep.json"));
    let results: Vec<&Value> = json["points"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["results"].as_array().unwrap())
        .collect();
    assert_eq!(results.len(), 4);
    let (header, rows) = read_csv(&out.join("sweep.csv"));
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    let table = markdown_table_with(&md, "learned arm");
    assert_outcomes_agree(&table, &results, Some((&header, &rows)));
    // The grid's offloading cost is the same number in the table and the CSV.
    for (i, row) in rows.iter().enumerate() {
        let o = header.iter().position(|h| h == "offload").unwrap();
        assert_eq!(table.cell(i, "o"), &row[o]);
    }
}

#[test]
fn a_simulation_shows_the_same_numbers_in_its_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    succeed(splitee().args([
        "simulate",
        "--runs",
        "2",
        "--policy",
        "splitee-s",
        "--policy",
        "final-exit",
        "--device-ms",
        "1,2,3",
        "--rate",
        "2000",
        "--out",
        dir.path().to_str().unwrap(),
    ]));
    let json = read_json(&dir.path().join("simulate.json"));
    let rate = &json["rates"][0];
    let results: Vec<&Value> = rate["results"].as_array().unwrap().iter().collect();
    let md = std::fs::read_to_string(dir.path().join("simulate.md")).unwrap();
    let table = markdown_table_with(&md, "loss (fraction)");
    assert_headers_name_units(&table);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(table.cell(i, "policy"), result["policy"].as_str().unwrap());
        for (column, key) in [
            ("loss (fraction)", "loss_fraction"),
            ("accuracy (fraction)", "accuracy"),
            ("cost/sample", "cost_per_sample"),
            ("offload (fraction)", "offload_fraction"),
        ] {
            assert_shows(table.cell(i, column), &result[key], key);
        }
    }
}

#[test]
fn a_study_shows_the_same_numbers_in_its_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_tiny_study(
        dir.path(),
        "\n[[networks]]\nname = \"dense\"\n\n[[networks]]\nname = \"half\"\nfanout = [8, 8, 5]\n\
         exit_fanout = [5, 5]\n\n[output]\nreport = \"res\"\ndatasets = \"out\"\nprefix = \"t\"\n\n\
         [evaluate]\nruns = 2\n",
    );
    splitee::study::Study::from_config(&config)
        .unwrap()
        .run(&mut splitee::train::NoProgress)
        .unwrap();
    let json = read_json(&dir.path().join("res/report.json"));
    let md = std::fs::read_to_string(dir.path().join("res/report.md")).unwrap();
    let networks = json["networks"].as_array().unwrap();

    // The networks' exit accuracies and density, as fractions.
    let table = markdown_table_with(&md, "density incl. heads (fraction)");
    assert_headers_name_units(&table);
    for (i, n) in networks.iter().enumerate() {
        let density = n["profile"]["density"].as_f64().unwrap();
        assert_eq!(table.cell(i, "density (fraction)"), format!("{density:.4}"));
        for (k, a) in n["exit_accuracy"].as_array().unwrap().iter().enumerate() {
            let column = format!("exit {} accuracy (fraction)", k + 1);
            assert_eq!(
                table.cell(i, &column),
                format!("{:.4}", a.as_f64().unwrap())
            );
        }
    }

    // The learners on each network: the run tables' outcome columns and keys.
    let learners = markdown_table_with(&md, "drop (fraction)");
    let results: Vec<&Value> = networks
        .iter()
        .flat_map(|n| n["costs"]["policies"].as_array().unwrap())
        .collect();
    assert!(!results.is_empty());
    assert_outcomes_agree(&learners, &results, None);
}
