//! `splitee synth` to files: a synthetic trace as one file, or, for an abrupt drift, one file per
//! phase (`OUT-1.csv`, `OUT-2.csv`, ...) to replay one after the other with `--order given`.

use crate::error::{Error, Result};
use crate::files::write_atomic_with;
use crate::trace::synth::{Drift, SynthParams};
use crate::trace::{write_csv, write_jsonl, Sample, TraceFormat};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..=phases)
        .map(|phase| path.with_file_name(format!("{stem}-{phase}{ext}")))
        .collect()
}

/// Generates the trace of `params` under `drift` and writes it to `path` (one file per phase of
/// an abrupt drift), each file atomically. Returns the files written.
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
        write_atomic_with(file, |out| {
            write_samples(out, &mut samples.by_ref().take(end - start), format)
        })
        .map_err(|source| Error::Write {
            path: file.clone(),
            source,
        })?;
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
    }
}
