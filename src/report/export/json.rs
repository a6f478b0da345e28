//! JSON: the full document, for tools.

use super::Exporter;
use serde::Serialize;

/// The full document as JSON (SPEC section 5 for a run).
pub struct Json;

/// The full document as compact JSON on one line, for large documents (sweeps) kept on disk.
pub struct CompactJson;

fn json_text<D: Serialize>(doc: &D, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    };
    // Our documents are plain data: serialising them cannot fail.
    text.unwrap_or_default() + "\n"
}

impl<D: Serialize> Exporter<D> for Json {
    fn extension(&self) -> &'static str {
        "json"
    }
    fn render(&self, doc: &D) -> String {
        json_text(doc, true)
    }
}

impl<D: Serialize> Exporter<D> for CompactJson {
    fn extension(&self) -> &'static str {
        "json"
    }
    fn render(&self, doc: &D) -> String {
        json_text(doc, false)
    }
}
