//! Plots of a small sweep: every figure is written as a valid PNG and SVG of the stated size,
//! with its text, and a missing report is an error naming the file.

mod common;

use common::write_tiny_study;
use splitee::plot::{figure_size, plot_dir, plot_sweep, FIGURES, PANEL_SIZE};
use splitee::report::{PointResult, SweepReport};
use splitee::sweep::{run_sweep, SweepSettings};
use std::path::{Path, PathBuf};

/// Runs a sweep on the golden trace whose config is `settings` after the `[trace]` section.
fn golden_sweep(dir: &Path, settings: &str) -> SweepReport {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden-spec8.csv");
    let path = dir.join("sweep.toml");
    std::fs::write(&path, format!("[trace]\npaths = [{trace:?}]\n\n{settings}")).unwrap();
    let settings = SweepSettings::resolve(&path, Default::default()).unwrap();
    run_sweep(&settings, &|_| {}).unwrap()
}

/// A 3-point offloading-cost sweep of four policies on the golden trace, with published
/// accuracy for SplitEE-S.
fn small_sweep(dir: &Path) -> SweepReport {
    golden_sweep(
        dir,
        r#"[policy]
names = ["splitee", "splitee-s", "final-exit", "random"]

[run]
runs = 3

[sweep]
offload = { start = 0.1, stop = 0.5, step = 0.2 }

[published]
source = "test"
offload = [0.1, 0.3]
accuracy = { "splitee-s" = [0.50, 0.48] }
"#,
    )
}

/// A sweep of 24 policies, more than a legend holds, some at thresholds of their own.
fn many_policies_sweep(dir: &Path) -> SweepReport {
    golden_sweep(
        dir,
        r#"[policy]
alpha = 0.7
names = [
  "final-exit", "device-ee", "random", "best-fixed", "splitee", "splitee-s",
  "alpha:0.5:splitee", "alpha:0.9:splitee", "joint:splitee", "joint-ucb", "ucb1:0.5", "ucb-v",
  "ucb-tuned", "kl-ucb", "bayes-ucb", "thompson", "eps-greedy:0.1", "exp3:0.1", "sw-ucb:500",
  "d-ucb:0.99", "ucb1:0.5+s", "kl-ucb+s", "thompson+s", "joint:kl-ucb+s",
]

[run]
runs = 3

[sweep]
offload = [0.1, 0.3, 0.5]
"#,
    )
}

/// A folder holding the figures of `sweep`, run in it.
fn plotted(sweep: fn(&Path) -> SweepReport) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let report = sweep(dir.path());
    plot_sweep(&report, dir.path()).unwrap();
    dir
}

fn svg_of(dir: &tempfile::TempDir, stem: &str) -> String {
    std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap()
}

/// Pixel coordinates.
type Points = Vec<(i32, i32)>;

/// The point lists of an SVG's polylines, with their stroke width.
fn polylines(svg: &str) -> Vec<(String, Points)> {
    elements(svg, "<polyline")
        .map(|e| {
            (
                attribute(e, "stroke-width"),
                points(&attribute(e, "points")),
            )
        })
        .collect()
}

fn elements<'a>(svg: &'a str, tag: &'a str) -> impl Iterator<Item = &'a str> {
    svg.match_indices(tag)
        .map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()])
}

fn attribute(element: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    let start = element
        .find(&key)
        .unwrap_or_else(|| panic!("{name} in {element}"))
        + key.len();
    let len = element[start..].find('"').unwrap();
    element[start..start + len].to_owned()
}

fn points(list: &str) -> Points {
    list.split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// Each `<text>` element's y and content.
fn texts(svg: &str) -> Vec<(i32, String)> {
    svg.match_indices("<text")
        .map(|(i, _)| {
            let element = &svg[i..];
            let open = element.find('>').unwrap();
            let close = element.find("</text>").unwrap();
            let y = attribute(&element[..open], "y").parse().unwrap();
            (y, element[open + 1..close].trim().to_owned())
        })
        .collect()
}

/// The numbers on the y axes of `svg`: the tick labels plotters anchors at their end.
fn y_ticks(svg: &str) -> Vec<f64> {
    svg.match_indices("<text")
        .filter_map(|(i, _)| {
            let element = &svg[i..];
            let open = element.find('>').unwrap();
            let close = element.find("</text>").unwrap();
            (attribute(&element[..open], "text-anchor") == "end")
                .then(|| element[open + 1..close].trim().parse().ok())
                .flatten()
        })
        .collect()
}

/// The figures whose y axis is a fraction, with the label that says so (as the tables do).
const FRACTION_FIGURES: [(&str, &str); 5] = [
    ("accuracy-vs-offload", "accuracy (fraction)"),
    ("pareto", "accuracy (fraction)"),
    ("queue-loss", "loss (fraction)"),
    ("sparsity-accuracy", "final-exit accuracy (fraction)"),
    (
        "sparsity-learners",
        "cost reduction vs the final exit (fraction)",
    ),
];

/// `svg` (figure `stem`) shows no percentage (the intervals' confidence level, "95%
/// intervals", is not a quantity), and a fraction figure labels its y axis as one and ticks it
/// within -1 to 1 (with the axis' padding).
fn assert_fraction_units(stem: &str, svg: &str) {
    for (_, text) in texts(svg) {
        assert!(
            !text.replace("95% intervals", "").contains('%'),
            "{stem}.svg shows a percentage: {text:?}"
        );
    }
    if let Some((_, label)) = FRACTION_FIGURES.iter().find(|(s, _)| *s == stem) {
        assert!(svg.contains(label), "{stem}.svg lacks {label:?}");
        let ticks = y_ticks(svg);
        assert!(!ticks.is_empty(), "{stem}.svg has no y ticks");
        for tick in ticks {
            assert!(
                tick.abs() <= 1.1,
                "{stem}.svg: y tick {tick} is not a fraction"
            );
        }
    }
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Panels per figure for one trace and two learning policies (SplitEE and SplitEE-S).
fn panels(stem: &str) -> usize {
    if stem == "arm-timeline" {
        2
    } else {
        1
    }
}

#[test]
fn every_figure_is_written_as_png_and_svg_of_the_stated_size() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_sweep(dir.path());
    let written = plot_sweep(&report, dir.path()).unwrap();
    // To look at the figures: SPLITEE_PLOT_OUT=/some/dir cargo test --test plot
    if let Some(out) = std::env::var_os("SPLITEE_PLOT_OUT") {
        std::fs::create_dir_all(&out).unwrap();
        plot_sweep(&report, Path::new(&out)).unwrap();
    }
    let expected: Vec<PathBuf> = FIGURES
        .iter()
        .flat_map(|stem| ["svg", "png"].map(|ext| dir.path().join(format!("{stem}.{ext}"))))
        .collect();
    assert_eq!(written, expected);
    for stem in FIGURES {
        let (w, h) = figure_size(panels(stem));
        assert_eq!(figure_size(1), PANEL_SIZE);
        let png = std::fs::read(dir.path().join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), (w, h), "{stem}.png");
        let svg = std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
        let start = svg.trim_start();
        assert!(
            start.starts_with("<svg") || start.starts_with("<?xml"),
            "{stem}.svg"
        );
        assert!(
            svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")),
            "{stem}.svg is not {w}x{h}"
        );
    }
    // No temporary file is left behind.
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn figures_carry_their_labels_legends_and_published_values() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_sweep(dir.path());
    plot_sweep(&report, dir.path()).unwrap();
    let svg = |stem: &str| std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
    let has = |stem: &str, texts: &[&str]| {
        let text = svg(stem);
        for t in texts {
            assert!(text.contains(t), "{stem}.svg lacks {t:?}");
        }
    };
    let policies = ["splitee", "splitee-s", "final-exit", "random"];
    has("accuracy-vs-offload", &policies);
    has(
        "accuracy-vs-offload",
        &[
            "accuracy (fraction)",
            "offloading cost o",
            "splitee-s (published)",
            "golden-spec8.csv",
            "Bars: 95% intervals of the mean",
        ],
    );
    has("cost-vs-offload", &policies);
    has(
        "cost-vs-offload",
        &[
            "cost per sample (cost units)",
            "offloading cost o (cost units)",
        ],
    );
    assert!(!svg("cost-vs-offload").contains("(published)"));
    has("regret", &policies);
    has(
        "regret",
        &[
            "cumulative regret",
            "time t (samples)",
            "o = 0.5",
            "Bands: 95% intervals of the mean",
        ],
    );
    has(
        "arm-timeline",
        &[
            "Arms played by splitee at",
            "Arms played by splitee-s at",
            "share of decisions (fraction)",
        ],
    );
    assert!(!svg("arm-timeline").contains("final-exit"));
    has("pareto", &policies);
    has(
        "pareto",
        &[
            "Pareto front",
            "fixed arms",
            "cost per sample",
            "accuracy (fraction)",
        ],
    );
}

#[test]
fn figures_plot_fractions_and_name_the_unit() {
    let dir = plotted(small_sweep);
    for stem in FIGURES {
        assert_fraction_units(stem, &svg_of(&dir, stem));
    }
}

#[test]
fn regret_is_restricted_to_the_configured_policies() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    report.report.regret_policies = Some(vec!["splitee".into()]);
    plot_sweep(&report, dir.path()).unwrap();
    let regret = std::fs::read_to_string(dir.path().join("regret.svg")).unwrap();
    // plotters writes each text element as `<text ...>\ntext\n</text>`.
    assert!(regret.contains(">\nsplitee\n</text>"));
    assert!(!regret.contains("final-exit") && !regret.contains("splitee-s"));
}

#[test]
fn plot_dir_reads_sweep_json() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_sweep(dir.path());
    let json = serde_json::to_string(&report).unwrap();
    std::fs::write(dir.path().join("sweep.json"), json).unwrap();
    let written = plot_dir(dir.path()).unwrap();
    assert_eq!(written.len(), 2 * FIGURES.len());
    assert!(written.iter().all(|p| p.exists()));
}

#[test]
fn plot_dir_without_a_report_names_the_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("nothing to plot")
            && err.contains("sweep.json")
            && err.contains("report.json"),
        "{err}"
    );
    std::fs::write(dir.path().join("report.json"), "{}").unwrap();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("report.json: not a sparsity study report"),
        "{err}"
    );
}

/// `splitee plot` redraws every committed results folder's figures from its sweep.json or
/// report.json: the same SVG, byte for byte, and PNG of the same size (rasterising is left
/// some freedom). The committed figures are thus those of the code.
#[test]
fn plot_dir_redraws_every_committed_figure() {
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(folders.len() >= 7, "{folders:?}");
    for committed in folders {
        redraws_the_committed_figures(&committed);
    }
}

fn redraws_the_committed_figures(committed: &Path) {
    let dir = tempfile::tempdir().unwrap();
    for report in ["report.json", "sweep.json", "simulate.json"] {
        if committed.join(report).exists() {
            std::fs::copy(committed.join(report), dir.path().join(report)).unwrap();
        }
    }
    let written = plot_dir(dir.path()).unwrap();
    let committed_figures = std::fs::read_dir(committed)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.ends_with(".svg") || name.ends_with(".png")
        })
        .count();
    assert_eq!(written.len(), committed_figures, "{}", committed.display());
    for path in written {
        let name = path.file_name().unwrap();
        let (new, old) = (
            std::fs::read(&path).unwrap(),
            std::fs::read(committed.join(name)).unwrap(),
        );
        if path.extension().unwrap() == "svg" {
            let stem = path.file_stem().unwrap().to_string_lossy();
            assert_fraction_units(&stem, &String::from_utf8_lossy(&old));
            assert!(
                new == old,
                "{} differs from the committed figure in {}",
                name.to_string_lossy(),
                committed.display()
            );
        } else {
            assert_eq!(png_size(&new), png_size(&old), "{}", name.to_string_lossy());
        }
    }
}

#[test]
fn an_unwritable_directory_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_sweep(dir.path());
    let missing = dir.path().join("no/such/dir");
    let err = plot_sweep(&report, &missing).unwrap_err();
    assert!(err.to_string().contains("accuracy-vs-offload.svg"), "{err}");
}

#[test]
fn without_a_frontier_the_focus_is_the_largest_offload_and_pareto_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    report.frontiers.clear();
    let written = plot_sweep(&report, dir.path()).unwrap();
    assert_eq!(written.len(), 2 * (FIGURES.len() - 1));
    assert!(!dir.path().join("pareto.svg").exists());
    let regret = std::fs::read_to_string(dir.path().join("regret.svg")).unwrap();
    assert!(regret.contains("Cumulative regret at o = 0.5"));
}

#[test]
fn an_unlabeled_trace_says_why_it_has_no_accuracy_and_no_pareto_plot() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    report.published = None;
    for point in &mut report.points {
        for result in &mut point.results {
            result.accuracy = None;
        }
    }
    for frontier in &mut report.frontiers {
        for arm in &mut frontier.arms {
            arm.accuracy = None;
        }
    }
    plot_sweep(&report, dir.path()).unwrap();
    let accuracy = std::fs::read_to_string(dir.path().join("accuracy-vs-offload.svg")).unwrap();
    assert!(accuracy.contains("the trace is unlabeled"));
    assert!(dir.path().join("cost-vs-offload.png").exists());
    assert!(!dir.path().join("pareto.png").exists());
}

#[test]
fn a_long_trace_name_is_shortened_from_the_left_to_fit_its_panel() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    let long = format!("/{}/end-of-the-name.csv", "very-long-folder".repeat(20));
    report.traces[0].paths = vec![long.clone()];
    plot_sweep(&report, dir.path()).unwrap();
    let svg = std::fs::read_to_string(dir.path().join("regret.svg")).unwrap();
    let line = svg
        .lines()
        .find(|l| l.ends_with("end-of-the-name.csv"))
        .expect("the trace name is shown");
    // About 9 px per character at 20 px: a 1200 px panel holds some 130.
    let shown = line.chars().count();
    assert!(line.starts_with('…') && shown < 140 && shown > 60, "{line}");
    assert!(long.len() > 300);
}

/// Runs a tiny predefined-sparsity study (synthetic optdigits-format digits, a dense and a
/// sparse network, two seeds, learners when `evaluate`) whose report goes to `dir/res`.
fn tiny_sparsity_study(dir: &Path, evaluate: bool) -> splitee::study::StudyReport {
    let learners = if evaluate {
        "datasets = \"out\"\nprefix = \"t\"\n\n[evaluate]\nruns = 2\n"
    } else {
        ""
    };
    let config = write_tiny_study(
        dir,
        &format!(
            r#"
[[networks]]
name = "dense"

[[networks]]
name = "half"
fanout = [8, 8, 5]
exit_fanout = [5, 5]

[[networks]]
name = "quarter"
fanout = [4, 4, 5]
exit_fanout = [5, 5]

[output]
report = "res"
{learners}"#
        ),
    );
    splitee::study::Study::from_config(&config)
        .unwrap()
        .run(&mut splitee::train::NoProgress)
        .unwrap()
}

#[test]
fn a_sparsity_study_writes_its_figures() {
    use splitee::plot::SPARSITY_FIGURES;
    let dir = tempfile::tempdir().unwrap();
    tiny_sparsity_study(dir.path(), true);
    let res = dir.path().join("res");
    // Panels: accuracy; MACs and weights; one per learner but the final exit (4 by default).
    for (stem, panels) in SPARSITY_FIGURES.iter().zip([1, 2, 4]) {
        let png = std::fs::read(res.join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), figure_size(panels), "{stem}.png");
        // A blank figure compresses to a few kB; lines, markers and text take far more.
        assert!(
            png.len() > 20_000 * panels,
            "{stem}.png has only {} bytes",
            png.len()
        );
        let svg = std::fs::read_to_string(res.join(format!("{stem}.svg"))).unwrap();
        let (w, h) = figure_size(panels);
        assert!(
            svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")),
            "{stem}.svg is not {w}x{h}"
        );
    }
    let svg = |stem: &str| std::fs::read_to_string(res.join(format!("{stem}.svg"))).unwrap();
    for stem in SPARSITY_FIGURES {
        assert_fraction_units(stem, &svg(stem));
    }
    let has = |stem: &str, texts: &[&str]| {
        let text = svg(stem);
        for t in texts {
            assert!(text.contains(t), "{stem}.svg lacks {t:?}");
        }
    };
    has(
        "sparsity-accuracy",
        &[
            "Final-exit accuracy vs density",
            "overall density (fraction)",
            "final-exit accuracy (fraction)",
            "each of 2 seeds",
            "mean ± sd over 2 seeds",
            "dense (mean) − 0.01",
        ],
    );
    // One dot per network and seed, one marker per network's mean (and two in the legend).
    let circles = svg("sparsity-accuracy").matches("<circle").count();
    assert_eq!(circles, 3 * 2 + 3 + 2, "circles in sparsity-accuracy.svg");
    has(
        "sparsity-cost",
        &[
            "Device MACs per sample vs density",
            "Stored weights vs density",
            "split after exit 1",
            "final exit (whole backbone)",
            "whole network (with heads)",
            "dense final exit ÷ 4",
        ],
    );
    has(
        "sparsity-learners",
        &[
            "splitee: cost saved vs accuracy lost",
            "splitee-s: cost saved vs accuracy lost",
            "accuracy drop vs the final exit (fraction)",
            "cost reduction vs the final exit (fraction)",
            "dense (density 1.00)",
            "half (density 0.50)",
            "quarter (density 0.28)",
        ],
    );
    assert!(!svg("sparsity-learners").contains("final-exit: cost saved"));
}

#[test]
fn a_sparsity_study_without_learners_has_no_learners_figure() {
    let dir = tempfile::tempdir().unwrap();
    let report = tiny_sparsity_study(dir.path(), false);
    let res = dir.path().join("res");
    assert!(res.join("sparsity-accuracy.png").is_file());
    assert!(res.join("sparsity-cost.svg").is_file());
    assert!(!res.join("sparsity-learners.png").exists());
    // plot_sparsity returns what it wrote, and an unwritable folder is an error naming the file.
    let again = splitee::plot::plot_sparsity(&report, &res).unwrap();
    assert_eq!(again.len(), 4);
    let err = splitee::plot::plot_sparsity(&report, &res.join("no/such")).unwrap_err();
    assert!(err.to_string().contains("sparsity-accuracy.svg"), "{err}");
}

/// An error bar: its x, top and bottom.
type Bar = (i32, i32, i32);

/// The error bars of `svg` (vertical polylines 2 px wide, as x, top, bottom) and their caps
/// (horizontal ones 14 px long, as their middle).
fn error_bars(svg: &str) -> (Vec<Bar>, Points) {
    let lines: Vec<Points> = polylines(svg)
        .into_iter()
        .filter(|(width, p)| width == "2" && p.len() == 2)
        .map(|(_, p)| p)
        .collect();
    let bars = lines
        .iter()
        .filter(|p| p[0].0 == p[1].0 && p[0].1 != p[1].1)
        .map(|p| (p[0].0, p[0].1.min(p[1].1), p[0].1.max(p[1].1)))
        .collect();
    let caps = lines
        .iter()
        .filter(|p| p[0].1 == p[1].1 && (p[1].0 - p[0].0).abs() == 14)
        .map(|p| ((p[0].0 + p[1].0) / 2, p[0].1))
        .collect();
    (bars, caps)
}

#[test]
fn error_bars_sit_on_their_markers_and_none_hides_inside_one() {
    let svg = svg_of(&plotted(small_sweep), "accuracy-vs-offload");
    // SplitEE, the first policy, is drawn with round markers at every offloading cost (the
    // hollow ones of published values are larger).
    let marker_x: Vec<i32> = elements(&svg, "<circle")
        .filter(|c| attribute(c, "r").parse::<i32>().unwrap() < 9)
        .map(|c| attribute(c, "cx").parse().unwrap())
        .collect();
    let (bars, caps) = error_bars(&svg);
    assert!(!bars.is_empty(), "no error bar drawn");
    for &(x, top, bottom) in &bars {
        assert!(
            marker_x.contains(&x),
            "a bar at x = {x} is off every marker ({marker_x:?})"
        );
        // A bar no longer than the marker (radius 7) would only show as stray caps.
        assert!(bottom - top > 18, "a bar of {} px at x = {x}", bottom - top);
    }
    // Every cap ends a bar: none is left as a stray dash beside a marker.
    for (x, y) in caps {
        assert!(
            bars.iter()
                .any(|&(bx, top, bottom)| bx == x && (y == top || y == bottom)),
            "a cap at ({x}, {y}) ends no bar"
        );
    }
}

/// The legend's sample markers (right of the plot, 860 px in a 1200 px panel): each one's
/// fill colour and its outline relative to its first corner (empty for a circle).
fn legend_markers(svg: &str) -> Vec<(String, Vec<(i32, i32)>)> {
    let circles = elements(svg, "<circle")
        .filter(|c| attribute(c, "cx").parse::<i32>().unwrap() > 860)
        .map(|c| {
            (
                attribute(c, "cy").parse::<i32>().unwrap(),
                attribute(c, "fill"),
                vec![],
            )
        });
    let polygons = elements(svg, "<polygon").filter_map(|e| {
        let p = points(&attribute(e, "points"));
        (p.iter().all(|&(x, _)| x > 860) && p.len() < 13).then(|| {
            let (x0, y0) = p[0];
            let shape = p.iter().map(|&(x, y)| (x - x0, y - y0)).collect();
            (y0, attribute(e, "fill"), shape)
        })
    });
    let mut markers: Vec<_> = circles.chain(polygons).collect();
    markers.sort_by_key(|m| m.0);
    markers
        .into_iter()
        .map(|(_, fill, shape)| (fill, shape))
        .collect()
}

#[test]
fn every_series_has_its_own_colour_and_marker_shape() {
    let svg = svg_of(&plotted(many_policies_sweep), "cost-vs-offload");
    let markers = legend_markers(&svg);
    assert!(markers.len() >= 12, "{} legend markers", markers.len());
    for (i, a) in markers.iter().enumerate() {
        for b in &markers[i + 1..] {
            assert!(a != b, "two series drawn alike: {a:?}");
        }
    }
    // The first nine differ in colour and in shape alike.
    for (i, a) in markers[..9].iter().enumerate() {
        for b in &markers[i + 1..9] {
            assert!(a.0 != b.0 && a.1 != b.1, "{a:?} and {b:?}");
        }
    }
}

#[test]
fn a_legend_too_long_for_its_panel_leaves_series_out_and_says_so() {
    let dir = plotted(many_policies_sweep);
    for stem in ["accuracy-vs-offload", "regret", "pareto"] {
        let svg = svg_of(&dir, stem);
        let texts = texts(&svg);
        let (_, h) = PANEL_SIZE;
        for (y, text) in &texts {
            assert!(*y < h as i32, "{stem}.svg: {text:?} at y = {y}");
        }
        assert!(
            texts
                .iter()
                .any(|(_, t)| t.contains("more series not drawn")),
            "{stem}.svg does not say series were left out"
        );
        assert!(!svg.contains("d-ucb:0.99"), "{stem}.svg");
    }
}

#[test]
fn series_chosen_by_the_report_settings_are_counted_in_the_legend() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = many_policies_sweep(dir.path());
    report.report.plot_policies = Some(vec!["splitee".into(), "joint-ucb".into()]);
    report.report.regret_policies = Some(vec!["splitee".into()]);
    plot_sweep(&report, dir.path()).unwrap();
    let svg = |stem: &str| std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
    for stem in ["accuracy-vs-offload", "cost-vs-offload", "pareto"] {
        let svg = svg(stem);
        assert!(
            svg.contains("2 of 24 policies, chosen by") && svg.contains("report.plot_policies"),
            "{stem}.svg"
        );
        assert!(!svg.contains("final-exit"), "{stem}.svg");
    }
    let regret = svg("regret");
    assert!(regret.contains("1 of 24 policies, chosen by") && !regret.contains("joint-ucb"));
}

#[test]
fn regret_says_which_arm_each_policy_is_measured_against() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = many_policies_sweep(dir.path());
    report.report.regret_policies = Some(vec!["splitee".into(), "joint:splitee".into()]);
    plot_sweep(&report, dir.path()).unwrap();
    let words: Vec<String> = texts(&svg_of(&dir, "regret"))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let words = words.join(" ").replace("&apos;", "'");
    let focus = report
        .points
        .iter()
        .rev()
        .find(|p| p.point.trace == 0)
        .unwrap();
    let best = |policy: &str| {
        let r = focus.results.iter().find(|r| r.policy == policy).unwrap();
        r.best_label()
    };
    assert!(
        best("joint:splitee").contains('@'),
        "{}",
        best("joint:splitee")
    );
    assert!(
        words.contains(&format!(
            "Regret is against each policy's best fixed arm among its own arms: arm {} for",
            best("joint:splitee")
        )) && words.contains(&format!("arm {} for the others.", best("splitee"))),
        "{words}"
    );
    // One reference for all: no note.
    report.report.regret_policies = Some(vec!["splitee".into(), "splitee-s".into()]);
    plot_sweep(&report, dir.path()).unwrap();
    assert!(!svg_of(&dir, "regret").contains("best fixed arm among"));
}

/// The title of the first panel of `svg`.
fn title(svg: &str) -> String {
    texts(svg).swap_remove(0).1
}

#[test]
fn titles_name_alpha_only_when_every_series_plays_at_it() {
    let dir = plotted(many_policies_sweep);
    for stem in ["accuracy-vs-offload", "cost-vs-offload", "regret", "pareto"] {
        let svg = svg_of(&dir, stem);
        let title = title(&svg);
        assert!(
            !title.contains('α') || title.starts_with("Fixed arms (split, α) and policies at o"),
            "{stem}.svg: {title}"
        );
        assert!(!title.contains("α = "), "{stem}.svg: {title}");
        // Each series says its threshold: by its name, or with the run's α.
        for label in [
            "splitee (α = 0.7)",
            "final-exit (α = 0.7)",
            "alpha:0.5:splitee<",
            "joint-ucb<",
        ] {
            let label = label.replace('<', "\n</text>");
            assert!(svg.contains(&label), "{stem}.svg lacks {label:?}");
        }
    }
    // When every series plays at the run's α, the title says it once.
    let dir = plotted(small_sweep);
    for stem in ["accuracy-vs-offload", "regret", "pareto"] {
        let svg = svg_of(&dir, stem);
        let title = title(&svg);
        assert!(title.contains("α = 0.7"), "{stem}.svg: {title}");
        assert!(!svg.contains("(α = 0.7)"), "{stem}.svg");
    }
}

/// Puts random's accuracy and cost where the final exit's are, at one grid point.
fn land_random_on_the_final_exit(point: &mut PointResult) {
    let last = point
        .results
        .iter()
        .find(|r| r.policy == "final-exit")
        .unwrap();
    let (accuracy, cost) = (last.accuracy, last.cost_per_sample);
    let random = point
        .results
        .iter_mut()
        .find(|r| r.policy == "random")
        .unwrap();
    (random.accuracy, random.cost_per_sample) = (accuracy, cost);
}

/// The texts of a plotted figure, joined by spaces (notes wrap across lines).
fn words_of(dir: &tempfile::TempDir, stem: &str) -> String {
    let words: Vec<String> = texts(&svg_of(dir, stem))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    words.join(" ")
}

#[test]
fn policies_landing_on_one_point_are_named_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    // Random lands exactly where the final exit does, at every grid point.
    report
        .points
        .iter_mut()
        .for_each(land_random_on_the_final_exit);
    plot_sweep(&report, dir.path()).unwrap();
    let pareto = words_of(&dir, "pareto");
    assert!(
        pareto.contains("On one point, the last on top: final-exit, random."),
        "{pareto}"
    );
    assert!(!pareto.contains("splitee, "), "{pareto}");
    // Lines through several points are told apart by their other points, unless every one
    // falls on another line's.
    let accuracy = words_of(&dir, "accuracy-vs-offload");
    assert!(!accuracy.contains("On one point"), "{accuracy}");
    assert!(
        accuracy.contains("On one line, the last on top: final-exit, random."),
        "{accuracy}"
    );
    assert!(!accuracy.contains("Under later series"), "{accuracy}");
}

/// A line covered at some of its markers only is named with where, so a reader knows where to
/// look for it.
#[test]
fn lines_hidden_at_some_points_are_named_with_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    // Random lands where the final exit does at the first grid point only.
    land_random_on_the_final_exit(&mut report.points[0]);
    plot_sweep(&report, dir.path()).unwrap();
    let accuracy = words_of(&dir, "accuracy-vs-offload");
    assert!(!accuracy.contains("On one line"), "{accuracy}");
    assert!(
        accuracy.contains("Under later series: final-exit at 0.1."),
        "{accuracy}"
    );
}

/// Costs measured in milliseconds are plotted in milliseconds, and say so (the committed
/// transformer experiment under measured time).
#[test]
fn measured_costs_are_plotted_in_milliseconds() {
    let dir = common::manifest().join("results/minilm-measured");
    let read = |stem: &str| std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    let cost = read("cost-vs-offload");
    assert!(cost.contains("cost per sample (ms)"), "cost-vs-offload");
    assert!(cost.contains("offloading cost o (ms)"), "cost-vs-offload");
    assert!(read("pareto").contains("cost per sample (ms)"), "pareto");
    assert!(read("regret").contains("o = 20 ms"), "regret");
}

/// A study's networks are drawn at their densities unless the densities lie too close to tell
/// apart (the validation study's nine layouts at about one density), where they are drawn by
/// place, without lines between unrelated networks.
#[test]
fn crowded_densities_are_drawn_by_network() {
    let read = |dir: &str| {
        let path = common::manifest().join(dir).join("sparsity-accuracy.svg");
        std::fs::read_to_string(path).unwrap()
    };
    let spread = read("results/sparsity-mnist");
    assert!(spread.contains("overall density (fraction)"));
    assert!(spread.contains("Final-exit accuracy vs density"));
    let crowded = read("results/sparsity-mnist-validation");
    assert!(crowded.contains("network, in the order of report.md"));
    assert!(crowded.contains("Final-exit accuracy per network"));
    assert!(!crowded.contains("overall density"));
}

/// Regret below 0 is explained where it happens: on the drift stream the change-following
/// learners beat the one fixed arm the regret is measured against.
#[test]
fn regret_below_zero_says_why() {
    let path = common::manifest().join("results/family-drift/regret.svg");
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(svg.contains("Below 0 (m-ucb:4000, sw-ucb:50000)"));
    let path = common::manifest().join("results/splitee-sst2/regret.svg");
    assert!(!std::fs::read_to_string(path).unwrap().contains("Below 0"));
}

/// A sweep on the golden trace given twice over (two files), replayed in the given order or
/// shuffled, with `runs` runs of two policies at one offloading cost.
fn two_file_sweep(dir: &Path, order: &str, runs: usize) -> SweepReport {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden-spec8.csv");
    let path = dir.join("sweep.toml");
    let config = format!(
        "[trace]\npaths = [{trace:?}, {trace:?}]\n\n[policy]\nnames = [\"splitee\", \
         \"final-exit\"]\n\n[run]\nruns = {runs}\norder = \"{order}\"\n\n[sweep]\noffload = \
         [0.3, 0.5]\n"
    );
    std::fs::write(&path, config).unwrap();
    let settings = SweepSettings::resolve(&path, Default::default()).unwrap();
    run_sweep(&settings, &|_| {}).unwrap()
}

/// The x of each vertical dashed rule (polylines 3 px wide, straight down) of `svg`.
fn rules(svg: &str) -> Vec<i32> {
    polylines(svg)
        .into_iter()
        .filter(|(width, p)| width == "3" && p.len() == 2 && p[0].0 == p[1].0)
        .map(|(_, p)| p[0].0)
        .collect()
}

/// The x of each text of `svg` that reads `text`.
fn text_x(svg: &str, text: &str) -> Vec<i32> {
    svg.match_indices("<text")
        .filter_map(|(i, _)| {
            let element = &svg[i..];
            let open = element.find('>').unwrap();
            let close = element.find("</text>").unwrap();
            (element[open + 1..close].trim() == text)
                .then(|| attribute(&element[..open], "x").parse().unwrap())
        })
        .collect()
}

/// Files replayed in their given order are one stream that changes where each file starts:
/// the report records where, and the plots over time draw a rule there, labelled with the file.
/// Shuffled runs mix the files, and a report from before the record was kept reads as before.
#[test]
fn plots_over_time_mark_where_each_file_of_an_ordered_trace_starts() {
    let dir = tempfile::tempdir().unwrap();
    let report = two_file_sweep(dir.path(), "given", 2);
    let samples = report.traces[0].samples;
    assert_eq!(report.traces[0].segment_starts, [samples / 2]);
    plot_sweep(&report, dir.path()).unwrap();
    let label = "golden-spec8.csv from here";
    for stem in ["regret", "arm-timeline"] {
        let svg = svg_of(&dir, stem);
        let labels = text_x(&svg, label);
        // One per panel: the regret panel, and the timeline of SplitEE, the one learner.
        assert_eq!(labels.len(), 1, "{stem}.svg");
        // The label starts just right of its rule, which spans the plot in dashes.
        let rule_x = labels[0] - 8;
        let dashes = rules(&svg).into_iter().filter(|&x| x == rule_x).count();
        assert!(dashes > 5, "{stem}.svg: {dashes} dashes at x = {rule_x}");
    }
    // The figures against the offloading cost are not over time.
    assert!(!svg_of(&dir, "cost-vs-offload").contains(label));

    let shuffled = two_file_sweep(dir.path(), "shuffle", 2);
    assert!(shuffled.traces[0].segment_starts.is_empty());
    plot_sweep(&shuffled, dir.path()).unwrap();
    assert!(!svg_of(&dir, "regret").contains(label));

    // An older report, without the record, reads and plots without rules.
    let mut json: serde_json::Value = serde_json::to_value(&report).unwrap();
    json["traces"][0]
        .as_object_mut()
        .unwrap()
        .remove("segment_starts");
    std::fs::write(dir.path().join("sweep.json"), json.to_string()).unwrap();
    plot_dir(dir.path()).unwrap();
    assert!(!svg_of(&dir, "regret").contains(label));
}

/// The committed drift experiments mark their switch: SST-2 dev then IMDb, and the two phases
/// of the generated drift stream.
#[test]
fn the_committed_shift_experiments_mark_their_switch() {
    let read = |path: &str| std::fs::read_to_string(common::manifest().join(path)).unwrap();
    for stem in ["regret", "arm-timeline"] {
        let shift = read(&format!("results/minilm-shift/{stem}.svg"));
        assert!(
            shift.contains("minilm-imdb.csv from here"),
            "minilm-shift {stem}"
        );
        let drift = read(&format!("results/family-drift/{stem}.svg"));
        assert!(drift.contains("segment 2 from here"), "family-drift {stem}");
    }
}

/// The legend's filled boxes behind band samples (translucent rectangles right of the plot,
/// which ends some 850 px into a 1200 px panel).
fn band_swatches(svg: &str) -> usize {
    elements(svg, "<rect")
        .filter(|r| {
            r.contains("opacity=\"0.18\"") && attribute(r, "x").parse::<i32>().unwrap() > 850
        })
        .count()
}

/// A legend sample looks like what is drawn: a shaded band with its line when the runs give
/// intervals, a bare line with one run, where no band is drawn.
#[test]
fn legend_samples_show_bands_only_where_bands_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    plot_sweep(&two_file_sweep(dir.path(), "shuffle", 3), dir.path()).unwrap();
    let regret = svg_of(&dir, "regret");
    assert_eq!(band_swatches(&regret), 2);
    assert!(regret.contains("Bands: 95% intervals"));

    plot_sweep(&two_file_sweep(dir.path(), "shuffle", 1), dir.path()).unwrap();
    let regret = svg_of(&dir, "regret");
    assert_eq!(band_swatches(&regret), 0);
    assert!(!regret.contains("Bands:"));
    assert!(
        !regret.contains("opacity=\"0.18\""),
        "a band is drawn with one run"
    );
}

/// The font size of the text of `svg` that reads `text`.
fn font_size(svg: &str, text: &str) -> String {
    let at = svg
        .find(&format!(">\n{text}\n</text>"))
        .unwrap_or_else(|| panic!("{text:?} is not drawn"));
    let open = svg[..at].rfind("<text").unwrap();
    attribute(&svg[open..at], "font-size")
}

/// A legend widens for its longest name, so that every name is drawn at one size (the
/// committed context experiment, whose per-context learners have long names).
#[test]
fn long_legend_names_are_drawn_at_the_legend_size() {
    let dir = common::manifest().join("results/context-mnist");
    for stem in ["accuracy-vs-offload", "cost-vs-offload", "regret", "pareto"] {
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        assert_eq!(
            font_size(&svg, "per-context-shared:splitee-s (α = 0.9)"),
            font_size(&svg, "splitee (α = 0.9)"),
            "{stem}.svg"
        );
    }
}

/// The lines of legend samples: 3 px wide, 50 px long, right of the plot.
fn legend_lines(svg: &str) -> usize {
    polylines(svg)
        .into_iter()
        .filter(|(width, p)| {
            width == "3"
                && p.len() == 2
                && p[0].0 > 850
                && p[0].1 == p[1].1
                && p[1].0 - p[0].0 == 50
        })
        .count()
}

/// Places on an x axis are named under their ticks: the policies of a sweep of one offloading
/// cost, level when their names fit, and a study's networks turned upwards when they do not.
#[test]
fn places_on_an_x_axis_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = small_sweep(dir.path());
    report.points.retain(|p| p.point.offload == 0.5);
    plot_sweep(&report, dir.path()).unwrap();
    let svg = svg_of(&dir, "accuracy-vs-offload");
    assert!(svg.contains("policy (one offloading cost, o = 0.5)"));
    let policies = ["splitee", "splitee-s", "final-exit", "random"];
    // In the legend, and under the axis, in order from left to right.
    let under: Vec<i32> = policies
        .iter()
        .map(|p| {
            let xs = text_x(&svg, p);
            assert_eq!(xs.len(), 2, "{p}: {xs:?}");
            *xs.iter().min().unwrap()
        })
        .collect();
    assert!(under.windows(2).all(|w| w[0] < w[1]), "{under:?}");
    // Only the y axis' description is turned.
    assert_eq!(svg.matches("rotate(").count(), 1);
    // One point per policy draws no line, and the legend shows none: its samples are markers.
    assert_eq!(legend_lines(&svg), 0);
    assert_eq!(
        legend_lines(&svg_of(&plotted(small_sweep), "accuracy-vs-offload")),
        4
    );

    let crowded =
        common::manifest().join("results/sparsity-mnist-validation/sparsity-accuracy.svg");
    let svg = std::fs::read_to_string(crowded).unwrap();
    assert_eq!(text_x(&svg, "f20-40-10-h10").len(), 1);
    assert!(svg.contains("transform=\"rotate(270"));
    // Notes say where by the places' names too.
    let cost = common::manifest().join("results/sparsity-mnist-validation/sparsity-cost.svg");
    let words: Vec<String> = texts(&std::fs::read_to_string(cost).unwrap())
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let words = words.join(" ");
    assert!(
        words.contains("Under later series: split after exit 2 at dense, f25-10-5,"),
        "{words}"
    );
}

/// A line covered at some markers is named under the plot even when the legend is full, and
/// the legend keeps as many series as without the note.
#[test]
fn the_partly_hidden_note_takes_no_series_from_a_full_legend() {
    let holds = |words: &str| {
        let at = words.find("the legend holds ").expect("a full legend") + 17;
        words[at..].split(';').next().unwrap().to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut report = many_policies_sweep(dir.path());
    plot_sweep(&report, dir.path()).unwrap();
    let before = words_of(&dir, "accuracy-vs-offload");
    land_random_on_the_final_exit(&mut report.points[0]);
    plot_sweep(&report, dir.path()).unwrap();
    let after = words_of(&dir, "accuracy-vs-offload");
    assert!(
        after.contains("Under later series: final-exit (α = 0.7) at 0.1"),
        "{after}"
    );
    assert_eq!(holds(&after), holds(&before));
}
