//! An aligned plain-text table for the terminal.

use super::{cost_line, header_line, table, Exporter};
use crate::json::JsonError;
use crate::report::Report;

/// An aligned plain-text table for the terminal.
pub struct Table;

impl Exporter<Report> for Table {
    fn extension(&self) -> &'static str {
        "txt"
    }
    fn render(&self, report: &Report) -> Result<String, JsonError> {
        let (columns, rows) = table(report);
        let widths: Vec<usize> = (0..columns.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([columns[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!(
            "{}\n{}\n{}\n",
            report.trace.paths.join(" + "),
            header_line(report),
            cost_line(report)
        );
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let pad = w - c.chars().count();
                    if i == 0 {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        out += &line(columns);
        out.push('\n');
        for r in &rows {
            out += &line(r.iter().map(String::as_str).collect());
            out.push('\n');
        }
        Ok(out)
    }
}
