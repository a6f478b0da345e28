//! JSON: the full document, for tools.

use super::Exporter;
use crate::json::JsonError;
use serde::Serialize;

/// The full document as JSON (SPEC section 5 for a run).
pub struct Json;

/// The full document as compact JSON on one line, for large documents (sweeps) kept on disk.
pub struct CompactJson;

/// Through [`crate::json`], the one place JSON is written: a document holding a non-finite
/// number is refused, never written with a `null` no reader takes back.
fn json_text<D: Serialize>(doc: &D, pretty: bool) -> Result<String, JsonError> {
    let text = if pretty {
        crate::json::to_string_pretty(doc)
    } else {
        crate::json::to_string(doc)
    };
    Ok(text? + "\n")
}

impl<D: Serialize> Exporter<D> for Json {
    fn extension(&self) -> &'static str {
        "json"
    }
    fn render(&self, doc: &D) -> Result<String, JsonError> {
        json_text(doc, true)
    }
}

impl<D: Serialize> Exporter<D> for CompactJson {
    fn extension(&self) -> &'static str {
        "json"
    }
    fn render(&self, doc: &D) -> Result<String, JsonError> {
        json_text(doc, false)
    }
}
