//! `splitee synth` to files: a synthetic trace as one file, or, for an abrupt drift, one file per
//! phase (`OUT-1.csv`, `OUT-2.csv`, ...) to replay one after the other with `--order given`.
//! Files are written in the format their name says, gzip-compressed when it ends in `.gz`, so
//! that every file `synth` writes is one `run` reads back.

use crate::error::{Error, Result};
use crate::files::write_atomic_with;
use crate::trace::synth::{Drift, SynthParams};
use crate::trace::{write_csv, write_jsonl, Sample, TraceError, TraceFormat};
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The format `synth` writes `path` in: the one its name says (`.csv`, `.jsonl`, `.ndjson`, each
/// optionally followed by `.gz`), which a `requested` format must agree with. Other names
/// (`.npz` included) are refused: text written under them could not be read back.
pub fn file_format(path: &Path, requested: Option<TraceFormat>) -> Result<TraceFormat> {
    let refuse = |message: String| Err(TraceError::file(path, message).into());
    match (TraceFormat::from_path(path).ok(), requested) {
        (Some(TraceFormat::Npz) | None, _) => refuse(
            "synth writes CSV or JSON Lines: name the file .csv, .jsonl or .ndjson, optionally \
             followed by .gz"
                .into(),
        ),
        (Some(named), Some(requested)) if named != requested => refuse(format!(
            "--format {} does not match the file's name, which says {}",
            format_name(requested),
            format_name(named)
        )),
        (Some(named), _) => Ok(named),
    }
}

fn format_name(format: TraceFormat) -> &'static str {
    match format {
        TraceFormat::Csv => "csv",
        TraceFormat::Jsonl => "jsonl",
        TraceFormat::Npz => "npz",
    }
}

/// Whether a file name asks for gzip compression.
fn is_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// A file name split before its format suffix: `t.csv.gz` is `t` and `.csv.gz`.
fn split_suffix(name: &str) -> (&str, &str) {
    // ASCII lowercasing keeps every byte offset.
    let lower = name.to_ascii_lowercase();
    let text = lower.strip_suffix(".gz").map_or(lower.len(), str::len);
    name.split_at(lower[..text].rfind('.').unwrap_or(text))
}

/// Writes `samples` in `format` (CSV or JSON Lines).
pub fn write_samples(
    out: &mut dyn Write,
    samples: &mut dyn Iterator<Item = Sample>,
    format: TraceFormat,
) -> std::io::Result<()> {
    match format {
        TraceFormat::Jsonl => write_jsonl(out, samples),
        _ => write_csv(out, samples),
    }
}

/// The file of each phase: `path` itself for one phase, else `STEM-1.EXT`, `STEM-2.EXT`, ...
pub fn phase_files(path: &Path, phases: usize) -> Vec<PathBuf> {
    if phases == 1 {
        return vec![path.to_path_buf()];
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let (stem, suffix) = split_suffix(&name);
    (1..=phases)
        .map(|phase| path.with_file_name(format!("{stem}-{phase}{suffix}")))
        .collect()
}

/// Writes `samples` to `path` in `format`, atomically, gzip-compressed when the name ends in
/// `.gz`.
pub fn write_file(
    path: &Path,
    samples: &mut dyn Iterator<Item = Sample>,
    format: TraceFormat,
) -> Result<()> {
    write_atomic_with(path, |out| {
        if is_gzip(path) {
            let mut gz = GzEncoder::new(out, flate2::Compression::default());
            write_samples(&mut gz, samples, format)?;
            gz.finish().map(drop)
        } else {
            write_samples(out, samples, format)
        }
    })
    .map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Generates the trace of `params` under `drift` and writes it to `path` (one file per phase of
/// an abrupt drift), each file atomically, gzip-compressed when the name ends in `.gz`.
/// Returns the files written.
pub fn write_files(
    params: &SynthParams,
    drift: Drift,
    path: &Path,
    format: TraceFormat,
) -> Result<Vec<PathBuf>> {
    let mut samples = params.stream_with(drift)?;
    let starts = drift.segment_starts(params.samples);
    let ends = starts[1..].iter().copied().chain([params.samples]);
    let files = phase_files(path, starts.len());
    for ((&start, end), file) in starts.iter().zip(ends).zip(&files) {
        write_file(file, &mut samples.by_ref().take(end - start), format)?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::phase_files;
    use std::path::{Path, PathBuf};

    #[test]
    fn phases_are_numbered_before_the_extension() {
        assert_eq!(
            phase_files(Path::new("d/t.csv"), 1),
            [PathBuf::from("d/t.csv")]
        );
        assert_eq!(
            phase_files(Path::new("d/t.jsonl"), 2),
            [PathBuf::from("d/t-1.jsonl"), PathBuf::from("d/t-2.jsonl")]
        );
        assert_eq!(
            phase_files(Path::new("d.v2/t.x.CSV.gz"), 2),
            [
                PathBuf::from("d.v2/t.x-1.CSV.gz"),
                PathBuf::from("d.v2/t.x-2.CSV.gz")
            ]
        );
    }
}
