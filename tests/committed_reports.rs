//! The committed reports and the renderer held together: every `results/*/sweep.md` is the
//! Markdown rendered from the `sweep.json` beside it, and every `results/*/report.md` the
//! Markdown of the study report `report.json` beside it, byte for byte. `$SPLITEE_RESULTS`
//! points them at another results folder (say one `splitee reproduce all --results DIR` wrote).

use splitee::report::{Exporter, Markdown};
use std::path::{Path, PathBuf};

/// The folders of `results/` that hold `json`, with their path to it and to `md` beside it.
fn pairs(json: &str, md: &str) -> Vec<(PathBuf, PathBuf)> {
    let results = std::env::var_os("SPLITEE_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("results"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&results)
        .unwrap_or_else(|e| panic!("reading {}: {e}", results.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(json).is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            let md = d.join(md);
            assert!(md.is_file(), "{} has no {}", d.display(), md.display());
            (d.join(json), md)
        })
        .collect()
}

/// Fails with the first line where `rendered` and the committed `md` part.
fn assert_same(rendered: &str, md: &Path) {
    let committed = std::fs::read_to_string(md).unwrap();
    if rendered == committed {
        return;
    }
    let line = rendered
        .lines()
        .zip(committed.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| rendered.lines().count().min(committed.lines().count()));
    panic!(
        "{} differs from its rendering at line {}:\ncommitted: {:?}\nrendered:  {:?}",
        md.display(),
        line + 1,
        committed.lines().nth(line),
        rendered.lines().nth(line)
    );
}

#[test]
fn committed_sweep_markdown_is_rendered_from_sweep_json() {
    let pairs = pairs("sweep.json", "sweep.md");
    assert!(!pairs.is_empty(), "no results/*/sweep.json");
    for (json, md) in pairs {
        let report = splitee::report::sweep::read_report(&json)
            .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
        assert_same(&Markdown.render(&report).unwrap(), &md);
    }
}

#[test]
fn committed_study_markdown_is_rendered_from_report_json() {
    let pairs = pairs("report.json", "report.md");
    assert!(!pairs.is_empty(), "no results/*/report.json");
    for (json, md) in pairs {
        let report = splitee::study::read_report(&json)
            .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
        assert_same(&report.markdown(), &md);
    }
}
