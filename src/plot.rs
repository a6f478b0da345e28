//! Figures of a sweep report, as SVG and PNG: accuracy and cost against the offloading cost,
//! cumulative regret, which arm each learning policy played over time, and the Pareto front of
//! the fixed arms beside the learned policies.
//!
//! Every figure is a grid of panels of [`PANEL_SIZE`] (1200 x 800 px) each, on a white
//! background. Figures are first turned into backend-free panel data, then drawn once by
//! code generic over plotters' `DrawingBackend`, so the SVG and the PNG are the same picture.
//! Text uses DejaVu Sans, embedded in the binary, so rendering needs no system font.

use crate::config::PublishedSection;
use crate::report::sweep::read_report;
use crate::report::PolicyResult;
use crate::report::{PointResult, SweepReport};
use crate::stats::Estimate;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Size in pixels of one panel; a figure of `n` panels is a grid of them (see [`grid`]).
pub const PANEL_SIZE: (u32, u32) = (1200, 800);

/// The file stems of the figures, in the order [`plot_sweep`] writes them.
pub const FIGURES: [&str; 5] = [
    "accuracy-vs-offload",
    "cost-vs-offload",
    "regret",
    "arm-timeline",
    "pareto",
];

/// Width of the area right of each plot that holds its legend or colour bar.
const LEGEND_WIDTH: u32 = 320;
/// The family all text is drawn in: the bundled font is registered under it, and SVG viewers
/// map it to a sans-serif font of their own.
const FONT: &str = "sans-serif";
const DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// A plot that could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("{}: cannot write", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot draw: {message}", path.display())]
    Draw { path: PathBuf, message: String },
    /// Reading the sweep report failed (the message names the file).
    #[error(transparent)]
    Read(crate::trace::TraceError),
    #[error("the bundled font assets/fonts/DejaVuSans.ttf is not a valid font")]
    Font,
    #[error(
        "{}: nothing to plot: no sweep.json (from sweep, merge or reproduce) or report.json \
         (from a sparsity study)",
        dir.display()
    )]
    NothingToPlot { dir: PathBuf },
}

/// Redraws the figures of a results folder into it (what `splitee plot DIR` does): a sweep's
/// from `dir/sweep.json`, or else a sparsity study's from `dir/report.json`.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let sweep = dir.join("sweep.json");
    let study = dir.join("report.json");
    if sweep.exists() {
        let report = read_report(&sweep).map_err(PlotError::Read)?;
        plot_sweep(&report, dir)
    } else if study.exists() {
        let report = crate::study::report::read_report(&study).map_err(PlotError::Read)?;
        plot_sparsity(&report, dir)
    } else {
        Err(PlotError::NothingToPlot {
            dir: dir.to_path_buf(),
        })
    }
}

/// Writes every figure of `report` that has data into `dir`, each as `<stem>.svg` and
/// `<stem>.png` (stems in [`FIGURES`]), and returns the paths written. A figure with no panel
/// (e.g. the Pareto plot of an unlabeled trace) is skipped.
pub fn plot_sweep(report: &SweepReport, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let sweep = Sweep::new(report);
    let figures = [
        accuracy_vs_offload(&sweep),
        cost_vs_offload(&sweep),
        regret(&sweep),
        arm_timeline(&sweep),
        pareto(&sweep),
    ];
    write_figures(&figures, dir)
}

/// Writes every figure that has panels as `STEM.svg` and `STEM.png` into `dir`.
fn write_figures(figures: &[Figure], dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for figure in figures.iter().filter(|f| !f.panels.is_empty()) {
        written.push(write_svg(
            figure,
            &dir.join(format!("{}.svg", figure.stem)),
        )?);
        written.push(write_png(
            figure,
            &dir.join(format!("{}.png", figure.stem)),
        )?);
    }
    Ok(written)
}

/// Registers the bundled font once per process under [`FONT`].
fn register_font() -> Result<(), PlotError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    ok.then_some(()).ok_or(PlotError::Font)
}

// ---------------------------------------------------------------------------------------------
// Figure data, independent of the backend.

/// One figure: a stem and its panels, laid out in a grid.
struct Figure {
    stem: &'static str,
    panels: Vec<Panel>,
}

struct Panel {
    /// What the panel shows and with which settings.
    title: String,
    /// The trace's files, shortened to fit on a second heading line.
    trace: String,
    body: Body,
}

enum Body {
    Xy(XyPanel),
    Heat(HeatPanel),
    /// Nothing to plot, and why.
    Note(String),
}

/// Lines and markers on linear axes.
struct XyPanel {
    x_label: String,
    y_label: String,
    series: Vec<Series>,
}

struct Series {
    name: String,
    colour: RGBColor,
    kind: Kind,
    points: Vec<XyPoint>,
}

/// A value and the half-width of its 95% interval.
#[derive(Clone, Copy)]
struct XyPoint {
    x: f64,
    y: f64,
    err: Option<f64>,
}

/// How a series is drawn.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Line through filled markers with 95% error bars: our results.
    Errorbars,
    /// Line with a shaded 95% band: curves with many points.
    Band,
    /// Dashed line through hollow markers: published numbers.
    Published,
    /// Small dots: every fixed arm.
    Dots,
    /// Staircase through filled markers: the Pareto front.
    Front,
    /// One large triangle with error bars: a policy on the Pareto plot.
    Marker,
    /// Dashed line without markers: a reference level.
    Dashed,
}

/// `share[i][k]` of arm `k + 1` in the interval ending at `t[i]`.
struct HeatPanel {
    t: Vec<usize>,
    share: Vec<Vec<f64>>,
    arms: usize,
}

/// The report, indexed per trace.
struct Sweep<'a> {
    report: &'a SweepReport,
    traces: Vec<TraceView<'a>>,
}

struct TraceView<'a> {
    name: String,
    /// Points varying only the offloading cost (other axes at the trace's first values),
    /// by increasing cost.
    series: Vec<&'a PointResult>,
    /// The point the regret, timeline and Pareto plots show.
    focus: Option<&'a PointResult>,
    frontier: Option<&'a crate::report::Frontier>,
}

impl<'a> Sweep<'a> {
    fn new(report: &'a SweepReport) -> Self {
        let point = |index: usize| report.points.iter().find(|p| p.point.index == index);
        let traces = (0..report.traces.len())
            .map(|t| {
                let mut all: Vec<&PointResult> = report
                    .points
                    .iter()
                    .filter(|p| p.point.trace == t)
                    .collect();
                all.sort_by_key(|p| p.point.index);
                let first = all.first().map(|p| p.point.clone());
                let mut series: Vec<&PointResult> = all
                    .into_iter()
                    .filter(|p| {
                        first.as_ref().is_some_and(|f| {
                            (f.alpha, f.lambda, f.mu, f.ucb_c)
                                == (p.point.alpha, p.point.lambda, p.point.mu, p.point.ucb_c)
                        })
                    })
                    .collect();
                series.sort_by(|a, b| a.point.offload.total_cmp(&b.point.offload));
                let frontier = report
                    .frontiers
                    .iter()
                    .find(|f| point(f.point).is_some_and(|p| p.point.trace == t));
                let focus = frontier
                    .and_then(|f| point(f.point))
                    .or_else(|| series.last().copied());
                TraceView {
                    name: trace_name(report, t),
                    series,
                    focus,
                    frontier,
                }
            })
            .collect();
        Self { report, traces }
    }

    /// A fixed colour per policy: its position in the sweep's policy list. A name only the
    /// published numbers use takes the colour of its first variant (`splitee-s` that of
    /// `splitee-s:strict`), else a hash of the name.
    fn colour(&self, policy: &str) -> RGBColor {
        let policies = &self.report.policies;
        let index = policies
            .iter()
            .position(|p| p == policy)
            .or_else(|| {
                policies
                    .iter()
                    .position(|p| p.split(':').next() == Some(policy))
            })
            .unwrap_or_else(|| {
                policy.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                }) as usize
            });
        PALETTE[index % PALETTE.len()]
    }
}

/// Tableau 10: distinct, colour-blind-friendlier than the primaries.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The trace's files, as the second line of each panel heading.
fn trace_name(report: &SweepReport, t: usize) -> String {
    match report.traces[t].paths.join(", ") {
        name if name.is_empty() => format!("trace {}", t + 1),
        name => name,
    }
}

/// The settings shared by a trace's offloading-cost series, for panel titles.
fn fixed_axes(p: &PointResult, runs: usize) -> String {
    let p = &p.point;
    let lambda = if p.lambda > 0.0 {
        format!(", λ = {}", p.lambda)
    } else {
        String::new()
    };
    format!(
        "α = {}{lambda}, μ = {}, UCB c = {}, {runs} runs",
        p.alpha, p.mu, p.ucb_c
    )
}

fn offload_text(o: f64) -> String {
    if o.is_nan() {
        "per-split o".into()
    } else {
        format!("o = {o}")
    }
}

fn scaled(e: Estimate, scale: f64) -> (f64, Option<f64>) {
    (e.mean * scale, e.ci95.map(|h| h * scale))
}

/// What the two offloading-cost figures plot.
struct OffloadMetric {
    stem: &'static str,
    what: &'static str,
    y_label: &'static str,
    scale: f64,
    value: fn(&PolicyResult) -> Option<Estimate>,
    published: fn(&PublishedSection) -> &BTreeMap<String, Vec<f64>>,
}

/// Accuracy (%) against the offloading cost, one line per policy, published values beside.
fn accuracy_vs_offload(sweep: &Sweep) -> Figure {
    versus_offload(
        sweep,
        &OffloadMetric {
            stem: FIGURES[0],
            what: "Accuracy",
            y_label: "accuracy (%)",
            scale: 100.0,
            value: |r| r.accuracy,
            published: |p| &p.accuracy,
        },
    )
}

/// Cost per sample against the offloading cost (in the unit of the cost model).
fn cost_vs_offload(sweep: &Sweep) -> Figure {
    versus_offload(
        sweep,
        &OffloadMetric {
            stem: FIGURES[1],
            what: "Cost",
            y_label: "cost per sample",
            scale: 1.0,
            value: |r| Some(r.cost_per_sample),
            published: |p| &p.cost_per_sample,
        },
    )
}

fn versus_offload(sweep: &Sweep, metric: &OffloadMetric) -> Figure {
    let panels = sweep
        .traces
        .iter()
        .map(|trace| {
            let points: Vec<&PointResult> = trace
                .series
                .iter()
                .copied()
                .filter(|p| p.point.offload.is_finite())
                .collect();
            let title = match points.first() {
                Some(first) => format!(
                    "{} vs offloading cost ({})",
                    metric.what,
                    fixed_axes(first, sweep.report.runs)
                ),
                None => format!("{} vs offloading cost", metric.what),
            };
            let panel = |body| Panel {
                title: title.clone(),
                trace: trace.name.clone(),
                body,
            };
            if points.is_empty() {
                return panel(Body::Note("the offloading cost was not swept".into()));
            }
            let only = &sweep.report.report.plot_policies;
            let mut series: Vec<Series> = sweep
                .report
                .policies
                .iter()
                .filter(|policy| only.as_ref().is_none_or(|names| names.contains(policy)))
                .filter_map(|policy| {
                    let points: Vec<XyPoint> = points
                        .iter()
                        .filter_map(|p| {
                            let r = p.results.iter().find(|r| &r.policy == policy)?;
                            let (y, err) = scaled((metric.value)(r)?, metric.scale);
                            Some(XyPoint {
                                x: p.point.offload,
                                y,
                                err,
                            })
                        })
                        .collect();
                    (!points.is_empty()).then(|| Series {
                        name: policy.clone(),
                        colour: sweep.colour(policy),
                        kind: Kind::Errorbars,
                        points,
                    })
                })
                .collect();
            if series.is_empty() {
                return panel(Body::Note("no values: the trace is unlabeled".into()));
            }
            if let Some(published) = &sweep.report.published {
                let values = (metric.published)(published);
                series.extend(published_series(sweep, published, values));
            }
            panel(Body::Xy(XyPanel {
                x_label: "offloading cost o".into(),
                y_label: metric.y_label.into(),
                series,
            }))
        })
        .collect();
    Figure {
        stem: metric.stem,
        panels,
    }
}

/// The published values of each policy, as dashed series in the policy's colour.
fn published_series(
    sweep: &Sweep,
    published: &PublishedSection,
    values: &BTreeMap<String, Vec<f64>>,
) -> Vec<Series> {
    values
        .iter()
        .map(|(policy, ys)| Series {
            name: format!("{policy} (published)"),
            colour: sweep.colour(policy),
            kind: Kind::Published,
            points: published
                .offload
                .iter()
                .zip(ys)
                .map(|(&x, &y)| XyPoint { x, y, err: None })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// Cumulative regret over time at each trace's focus point, with its 95% band.
fn regret(sweep: &Sweep) -> Figure {
    let wanted = |policy: &str| {
        let only = &sweep.report.report.regret_policies;
        only.as_ref()
            .is_none_or(|names| names.iter().any(|n| n == policy))
    };
    let panels = sweep
        .traces
        .iter()
        .filter_map(|trace| {
            let focus = trace.focus?;
            let series: Vec<Series> = focus
                .results
                .iter()
                .filter(|r| wanted(&r.policy))
                .map(|r| {
                    let c = &r.regret_curve;
                    Series {
                        name: r.policy.clone(),
                        colour: sweep.colour(&r.policy),
                        kind: Kind::Band,
                        points: (0..c.t.len().min(c.mean.len()))
                            .map(|i| XyPoint {
                                x: c.t[i] as f64,
                                y: c.mean[i],
                                err: c.ci95.get(i).copied().flatten(),
                            })
                            .collect(),
                    }
                })
                .collect();
            Some(Panel {
                title: format!(
                    "Cumulative regret at {} ({})",
                    offload_text(focus.point.offload),
                    fixed_axes(focus, sweep.report.runs)
                ),
                trace: trace.name.clone(),
                body: if series.is_empty() {
                    Body::Note("no policy selected by report.regret_policies".into())
                } else {
                    Body::Xy(XyPanel {
                        x_label: "time t (samples)".into(),
                        y_label: "cumulative regret (reward units)".into(),
                        series,
                    })
                },
            })
        })
        .collect();
    Figure {
        stem: FIGURES[2],
        panels,
    }
}

/// Which arm each learning policy played over time at each trace's focus point.
fn arm_timeline(sweep: &Sweep) -> Figure {
    let panels = sweep
        .traces
        .iter()
        .filter_map(|trace| trace.focus.map(|focus| (trace, focus)))
        .flat_map(|(trace, focus)| {
            focus
                .results
                .iter()
                .filter(|r| r.policy.starts_with("splitee"))
                .map(move |r| Panel {
                    title: format!(
                        "Arms played by {} at {}",
                        r.policy,
                        offload_text(focus.point.offload)
                    ),
                    trace: trace.name.clone(),
                    body: Body::Heat(HeatPanel {
                        t: r.arm_timeline.t.clone(),
                        share: r.arm_timeline.share.clone(),
                        arms: r.arm_counts.len(),
                    }),
                })
        })
        .collect();
    Figure {
        stem: FIGURES[3],
        panels,
    }
}

/// Accuracy against cost of every fixed (split, alpha) arm, the Pareto front, and where the
/// policies at the focus point land.
fn pareto(sweep: &Sweep) -> Figure {
    let panels = sweep
        .traces
        .iter()
        .filter_map(|trace| {
            let frontier = trace.frontier?;
            let arm = |a: &crate::frontier::FixedArm| {
                Some(XyPoint {
                    x: a.cost_per_sample,
                    y: a.accuracy? * 100.0,
                    err: None,
                })
            };
            let all: Vec<XyPoint> = frontier.arms.iter().filter_map(arm).collect();
            if all.is_empty() {
                return None;
            }
            let mut front: Vec<XyPoint> = frontier
                .arms
                .iter()
                .filter(|a| a.pareto)
                .filter_map(arm)
                .collect();
            front.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
            let mut series = vec![
                Series {
                    name: "fixed arms (split, α)".into(),
                    colour: RGBColor(160, 160, 160),
                    kind: Kind::Dots,
                    points: all,
                },
                Series {
                    name: "Pareto front".into(),
                    colour: BLACK,
                    kind: Kind::Front,
                    points: front,
                },
            ];
            let focus = trace.focus;
            series.extend(focus.iter().flat_map(|f| &f.results).filter_map(|r| {
                let (y, err) = scaled(r.accuracy?, 100.0);
                Some(Series {
                    name: r.policy.clone(),
                    colour: sweep.colour(&r.policy),
                    kind: Kind::Marker,
                    points: vec![XyPoint {
                        x: r.cost_per_sample.mean,
                        y,
                        err,
                    }],
                })
            }));
            let at = focus.map_or_else(String::new, |f| {
                format!(
                    " at {}, policies at α = {}",
                    offload_text(f.point.offload),
                    f.point.alpha
                )
            });
            Some(Panel {
                title: format!("Fixed arms (split, α) and policies{at}"),
                trace: trace.name.clone(),
                body: Body::Xy(XyPanel {
                    x_label: "cost per sample".into(),
                    y_label: "accuracy (%)".into(),
                    series,
                }),
            })
        })
        .collect();
    Figure {
        stem: FIGURES[4],
        panels,
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing, generic over the backend.

type Area<DB> = DrawingArea<DB, Shift>;
type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Columns and rows of the panel grid: one row up to three panels, then a square-ish grid.
pub fn grid(panels: usize) -> (usize, usize) {
    let cols = if panels <= 3 {
        panels.max(1)
    } else {
        (panels as f64).sqrt().ceil() as usize
    };
    (cols, panels.div_ceil(cols).max(1))
}

/// Pixel size of a figure of `panels` panels: [`PANEL_SIZE`] per cell of the [`grid`].
pub fn figure_size(panels: usize) -> (u32, u32) {
    let (cols, rows) = grid(panels);
    (PANEL_SIZE.0 * cols as u32, PANEL_SIZE.1 * rows as u32)
}

fn write_svg(figure: &Figure, path: &Path) -> Result<PathBuf, PlotError> {
    let mut svg = String::new();
    {
        let size = figure_size(figure.panels.len());
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_figure(figure, &root).map_err(|e| draw_error(path, e))?;
        root.present().map_err(|e| draw_error(path, e))?;
    }
    crate::files::write_atomic(path, svg.as_bytes()).map_err(|source| PlotError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(path.to_owned())
}

/// Renders to a temporary PNG beside `path`, then renames it: a reader never sees half a file.
fn write_png(figure: &Figure, path: &Path) -> Result<PathBuf, PlotError> {
    let name = path
        .file_name()
        .map_or_else(|| "plot".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}.png", std::process::id()));
    let drawn = (|| {
        let size = figure_size(figure.panels.len());
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        draw_figure(figure, &root)?;
        root.present()
    })();
    let renamed = drawn.map_err(|e| draw_error(path, e)).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|source| PlotError::Write {
            path: path.to_owned(),
            source,
        })
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed.map(|()| path.to_owned())
}

fn draw_error(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn draw_figure<DB: DrawingBackend>(figure: &Figure, root: &Area<DB>) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (cols, rows) = grid(figure.panels.len());
    for (panel, area) in figure.panels.iter().zip(root.split_evenly((rows, cols))) {
        let body = draw_heading(&area.margin(12, 0, 12, 12), panel)?;
        match &panel.body {
            Body::Xy(p) => draw_xy(p, &body)?,
            Body::Heat(p) => draw_heat(p, &body)?,
            Body::Note(message) => {
                let (w, h) = body.dim_in_pixel();
                let style = text_style(&body, 22, Pos::new(HPos::Center, VPos::Center));
                body.draw(&Text::new(
                    message.clone(),
                    (w as i32 / 2, h as i32 / 2),
                    style,
                ))?;
            }
        }
    }
    Ok(())
}

fn text_style<DB: DrawingBackend>(area: &Area<DB>, size: u32, pos: Pos) -> TextStyle<'static> {
    (FONT, size).into_text_style(area).pos(pos)
}

/// Draws the title and, below it in grey, the trace (shortened from the left to fit), and
/// returns the area under them.
fn draw_heading<DB: DrawingBackend>(area: &Area<DB>, panel: &Panel) -> DrawResult<Area<DB>, DB> {
    let (w, _) = area.dim_in_pixel();
    let top = Pos::new(HPos::Center, VPos::Top);
    let title = text_style(area, 26, top);
    let trace = text_style(area, 20, top).color(&RGBColor(90, 90, 90));
    let mut name: Vec<char> = panel.trace.chars().collect();
    while name.len() > 12 && area.estimate_text_size(&collect(&name), &trace)?.0 + 40 > w {
        name.splice(..2, ['…']);
    }
    area.draw(&Text::new(panel.title.clone(), (w as i32 / 2, 0), title))?;
    area.draw(&Text::new(collect(&name), (w as i32 / 2, 34), trace))?;
    Ok(area.split_vertically(66).1)
}

fn collect(chars: &[char]) -> String {
    chars.iter().collect()
}

/// Splits a panel body into the plot and the legend column on its right.
fn plot_and_legend<DB: DrawingBackend>(area: &Area<DB>) -> (Area<DB>, Area<DB>) {
    let width = area.dim_in_pixel().0;
    area.split_horizontally(width.saturating_sub(LEGEND_WIDTH))
}

/// Axis range covering `values` (with their intervals), padded by 5% on each side.
fn padded(values: impl Iterator<Item = (f64, f64)>) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
            (lo.min(a), hi.max(b))
        });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        (lo.abs() * 0.05).max(0.05)
    };
    lo - pad..hi + pad
}

/// A tick label without float noise: `0.7`, not `0.7000000000000001`; `5`, not `5.0`.
fn tick(v: &f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn build_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> DrawResult<Chart<'a, DB>, DB> {
    ChartBuilder::on(area)
        .margin(15)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(x, y)
}

fn draw_xy<DB: DrawingBackend>(panel: &XyPanel, area: &Area<DB>) -> DrawResult<(), DB> {
    let (plot, legend) = plot_and_legend(area);
    let points = || panel.series.iter().flat_map(|s| &s.points);
    let x = padded(points().map(|p| (p.x, p.x)));
    let y = padded(points().map(|p| {
        let e = p.err.unwrap_or(0.0);
        (p.y - e, p.y + e)
    }));
    let mut chart = build_chart(&plot, x, y)?;
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 22))
        .max_light_lines(2)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    // Bands and dots of every series first, so no band hides another series' line.
    for s in &panel.series {
        draw_background(&mut chart, s)?;
    }
    let bars = panel.series.iter().filter(|s| has_bars(s)).count();
    let mut dodge = -(bars.saturating_sub(1) as i32) * DODGE / 2;
    for s in &panel.series {
        draw_foreground(&mut chart, s, dodge)?;
        if has_bars(s) {
            dodge += DODGE;
        }
    }
    draw_legend(&legend, &panel.series)
}

/// Horizontal offset in pixels between the error bars of series at the same x, so that
/// overlapping intervals stay distinguishable.
const DODGE: i32 = 4;

fn has_bars(s: &Series) -> bool {
    matches!(s.kind, Kind::Errorbars | Kind::Marker) && s.points.iter().any(|p| p.err.is_some())
}

fn xy(p: &XyPoint) -> (f64, f64) {
    (p.x, p.y)
}

fn draw_background<DB: DrawingBackend>(chart: &mut Chart<DB>, s: &Series) -> DrawResult<(), DB> {
    match s.kind {
        Kind::Band => {
            let upper = s.points.iter().filter_map(|p| Some((p.x, p.y + p.err?)));
            let lower = s
                .points
                .iter()
                .rev()
                .filter_map(|p| Some((p.x, p.y - p.err?)));
            let band: Vec<(f64, f64)> = upper.chain(lower).collect();
            if band.len() >= 4 {
                chart.draw_series([Polygon::new(band, s.colour.mix(0.18).filled())])?;
            }
        }
        Kind::Dots => {
            let dot = |p: &XyPoint| Circle::new(xy(p), 4, s.colour.filled());
            chart.draw_series(s.points.iter().map(dot))?;
        }
        _ => {}
    }
    Ok(())
}

fn draw_foreground<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    s: &Series,
    dodge: i32,
) -> DrawResult<(), DB> {
    let colour = s.colour;
    match s.kind {
        Kind::Errorbars => {
            chart.draw_series(LineSeries::new(
                s.points.iter().map(xy),
                colour.stroke_width(3),
            ))?;
            draw_error_bars(chart, s, dodge)?;
            let marker = |p: &XyPoint| Circle::new(xy(p), 6, colour.filled());
            chart.draw_series(s.points.iter().map(marker))?;
        }
        Kind::Marker => {
            draw_error_bars(chart, s, dodge)?;
            // A black halo keeps light colours visible on the grey dots.
            let halo = |p: &XyPoint| TriangleMarker::new(xy(p), 14, BLACK.filled());
            let marker = |p: &XyPoint| TriangleMarker::new(xy(p), 10, colour.filled());
            chart.draw_series(s.points.iter().map(halo))?;
            chart.draw_series(s.points.iter().map(marker))?;
        }
        Kind::Band => {
            chart.draw_series(LineSeries::new(
                s.points.iter().map(xy),
                colour.stroke_width(3),
            ))?;
        }
        Kind::Published => {
            let line =
                DashedLineSeries::new(s.points.iter().map(xy), 12, 8, colour.stroke_width(2));
            chart.draw_series(line)?;
            let hollow = |p: &XyPoint| Circle::new(xy(p), 9, colour.stroke_width(3));
            chart.draw_series(s.points.iter().map(hollow))?;
        }
        Kind::Front => {
            let steps = s
                .points
                .windows(2)
                .flat_map(|w| [(w[0].x, w[0].y), (w[1].x, w[0].y)]);
            let last = s.points.last().map(xy);
            chart.draw_series(LineSeries::new(steps.chain(last), colour.stroke_width(2)))?;
            let marker = |p: &XyPoint| Circle::new(xy(p), 6, colour.filled());
            chart.draw_series(s.points.iter().map(marker))?;
        }
        Kind::Dots => {}
        Kind::Dashed => {
            let line =
                DashedLineSeries::new(s.points.iter().map(xy), 12, 8, colour.stroke_width(2));
            chart.draw_series(line)?;
        }
    }
    Ok(())
}

/// Vertical 95% bars with caps, shifted `dodge` pixels right of their point.
fn draw_error_bars<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    s: &Series,
    dodge: i32,
) -> DrawResult<(), DB> {
    let style = s.colour.stroke_width(2);
    let bars = s.points.iter().filter_map(|p| {
        let (lo, hi) = (p.y - p.err?, p.y + p.err?);
        let top = chart.backend_coord(&(p.x, hi));
        let bottom = chart.backend_coord(&(p.x, lo));
        let h = bottom.1 - top.1;
        let cap = |y| PathElement::new(vec![(dodge - 7, y), (dodge + 7, y)], style);
        let stem = PathElement::new(vec![(dodge, 0), (dodge, h)], style);
        Some(EmptyElement::at((p.x, hi)) + cap(0) + stem + cap(h))
    });
    let bars: Vec<_> = bars.collect();
    chart.draw_series(bars)?;
    Ok(())
}

/// One legend entry per series, each with a sample of how it is drawn.
fn draw_legend<DB: DrawingBackend>(area: &Area<DB>, series: &[Series]) -> DrawResult<(), DB> {
    let style = text_style(area, 19, Pos::new(HPos::Left, VPos::Center));
    for (i, s) in series.iter().enumerate() {
        let y = 30 + 34 * i as i32;
        let c = s.colour;
        let (x0, x1, mid) = (10, 60, (35, y));
        let line = |width| PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(width));
        match s.kind {
            Kind::Errorbars => {
                area.draw(&line(3))?;
                area.draw(&Circle::new(mid, 6, c.filled()))?;
            }
            Kind::Band => {
                area.draw(&Rectangle::new(
                    [(x0, y - 9), (x1, y + 9)],
                    c.mix(0.18).filled(),
                ))?;
                area.draw(&line(3))?;
            }
            Kind::Published => {
                area.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 12, y)],
                    c.stroke_width(2),
                ))?;
                area.draw(&PathElement::new(
                    vec![(x1 - 12, y), (x1, y)],
                    c.stroke_width(2),
                ))?;
                area.draw(&Circle::new(mid, 9, c.stroke_width(3)))?;
            }
            Kind::Dots => area.draw(&Circle::new(mid, 4, c.filled()))?,
            Kind::Front => {
                area.draw(&line(2))?;
                area.draw(&Circle::new(mid, 6, c.filled()))?;
            }
            Kind::Marker => {
                area.draw(&TriangleMarker::new(mid, 14, BLACK.filled()))?;
                area.draw(&TriangleMarker::new(mid, 10, c.filled()))?;
            }
            Kind::Dashed => {
                for (a, b) in [(x0, x0 + 18), (x1 - 18, x1)] {
                    area.draw(&PathElement::new(vec![(a, y), (b, y)], c.stroke_width(2)))?;
                }
            }
        }
        area.draw(&Text::new(s.name.clone(), (x1 + 12, y), style.clone()))?;
    }
    Ok(())
}

fn draw_heat<DB: DrawingBackend>(panel: &HeatPanel, area: &Area<DB>) -> DrawResult<(), DB> {
    let (plot, legend) = plot_and_legend(area);
    let t_max = panel.t.last().copied().unwrap_or(1).max(1) as f64;
    let arms = panel.arms.max(1) as f64;
    let mut chart = build_chart(&plot, 0.0..t_max, 0.5..arms + 0.5)?;
    // Arms are integers; the axis runs between half-integers so each arm is one row.
    let integer = |v: &f64| {
        if (v - v.round()).abs() < 1e-6 {
            tick(v)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time t (samples)")
        .y_desc("arm k (split after exit k)")
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 22))
        .x_label_formatter(&tick)
        .y_labels(panel.arms.clamp(2, 25))
        .y_label_formatter(&integer)
        .draw()?;
    let cells = panel.t.iter().enumerate().flat_map(|(i, &end)| {
        let start = if i == 0 { 0 } else { panel.t[i - 1] };
        let shares = panel.share.get(i).map_or(&[][..], Vec::as_slice);
        shares.iter().enumerate().map(move |(k, &share)| {
            let y = k as f64 + 1.0;
            Rectangle::new(
                [(start as f64, y - 0.5), (end as f64, y + 0.5)],
                ViridisRGB.get_color(share.clamp(0.0, 1.0) as f32).filled(),
            )
        })
    });
    chart.draw_series(cells)?;
    draw_colour_bar(&legend)
}

/// The share-to-colour scale of the heat maps.
fn draw_colour_bar<DB: DrawingBackend>(area: &Area<DB>) -> DrawResult<(), DB> {
    let (_, h) = area.dim_in_pixel();
    let bar = area.margin(0, (h / 5) as i32, 30, (LEGEND_WIDTH - 150) as i32);
    let mut chart = ChartBuilder::on(&bar)
        .margin_top(15)
        .right_y_label_area_size(60)
        .caption("share of decisions", (FONT, 19))
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style((FONT, 18))
        .y_labels(6)
        .y_label_formatter(&tick)
        .draw()?;
    let steps = 100;
    chart.draw_series((0..steps).map(|i| {
        let (lo, hi) = (i as f64 / steps as f64, (i + 1) as f64 / steps as f64);
        Rectangle::new(
            [(0.0, lo), (1.0, hi)],
            ViridisRGB.get_color(lo as f32).filled(),
        )
    }))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Figures of a predefined-sparsity study (`splitee train --config`).

/// The file stems of the figures of a sparsity study, in the order [`plot_sparsity`] writes
/// them: final-exit accuracy against density; device MACs and stored weights against density;
/// each learner's cost reduction against its accuracy drop, per network.
pub const SPARSITY_FIGURES: [&str; 3] = ["sparsity-accuracy", "sparsity-cost", "sparsity-learners"];

/// Writes the figures of a sparsity study into `dir` as `<stem>.svg` and `<stem>.png` (stems in
/// [`SPARSITY_FIGURES`]) and returns the paths written. The learners' figure is skipped when
/// the study ran no learners.
pub fn plot_sparsity(
    report: &crate::study::report::StudyReport,
    dir: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let figures = [
        sparsity_accuracy(report),
        sparsity_cost(report),
        sparsity_learners(report),
    ];
    write_figures(&figures, dir)
}

/// Overall density of a network, in percent.
fn density_pct(n: &crate::study::report::NetworkReport) -> f64 {
    100.0 * n.profile.density
}

/// A dashed horizontal line at `y`, marked at each of the study's densities.
fn level(report: &crate::study::report::StudyReport, name: String, y: f64) -> Series {
    Series {
        name,
        colour: RGBColor(90, 90, 90),
        kind: Kind::Dashed,
        points: per_density(report, |_| Some(y)),
    }
}

/// Points sorted by x.
/// One point per network with a value (`y`), at its density, in order of density.
fn per_density(
    report: &crate::study::report::StudyReport,
    y: impl Fn(&crate::study::report::NetworkReport) -> Option<f64>,
) -> Vec<XyPoint> {
    by_x(
        report
            .networks
            .iter()
            .filter_map(|n| {
                Some(XyPoint {
                    x: density_pct(n),
                    y: y(n)?,
                    err: None,
                })
            })
            .collect(),
    )
}

fn by_x(mut points: Vec<XyPoint>) -> Vec<XyPoint> {
    points.sort_by(|a, b| a.x.total_cmp(&b.x));
    points
}

fn sparsity_accuracy(report: &crate::study::report::StudyReport) -> Figure {
    use crate::study::report::mean_sd;
    let seeds = report.seeds.len();
    let per_network: Vec<(f64, Vec<f64>)> = report
        .networks
        .iter()
        .zip(&report.seed_accuracy)
        .map(|(n, s)| {
            let acc = s.final_accuracy().iter().map(|a| 100.0 * a).collect();
            (density_pct(n), acc)
        })
        .collect();
    let mut series = Vec::new();
    if seeds > 1 {
        series.push(Series {
            name: format!("each of {seeds} seeds"),
            colour: RGBColor(160, 160, 160),
            kind: Kind::Dots,
            points: per_network
                .iter()
                .flat_map(|(x, acc)| {
                    acc.iter().map(|&y| XyPoint {
                        x: *x,
                        y,
                        err: None,
                    })
                })
                .collect(),
        });
    }
    let points = by_x(
        per_network
            .iter()
            .map(|(x, acc)| {
                let (mean, sd) = mean_sd(acc);
                XyPoint {
                    x: *x,
                    y: mean,
                    err: (seeds > 1).then_some(sd),
                }
            })
            .collect(),
    );
    let reference = per_network.first().map(|(_, acc)| mean_sd(acc).0);
    series.push(Series {
        name: if seeds > 1 {
            format!("mean ± sd over {seeds} seeds")
        } else {
            format!("seed {}", report.seed)
        },
        colour: PALETTE[0],
        kind: Kind::Errorbars,
        points,
    });
    if let (Some(r), Some(first)) = (reference, report.networks.first()) {
        let what = if seeds > 1 { " (mean)" } else { "" };
        series.push(level(
            report,
            format!("{}{what} − 1 point", first.name),
            r - 1.0,
        ));
    }
    let panel = Panel {
        title: format!(
            "Final-exit accuracy vs density ({} epochs, lr {}, weight decay {}{})",
            report.epochs,
            report.learning_rate,
            report.weight_decay,
            if report.shift > 0 {
                format!(", shifts ±{} px", report.shift)
            } else {
                String::new()
            }
        ),
        trace: report.config.clone(),
        body: Body::Xy(XyPanel {
            x_label: "overall density (%)".into(),
            y_label: "final-exit accuracy (%)".into(),
            series,
        }),
    };
    Figure {
        stem: SPARSITY_FIGURES[0],
        panels: vec![panel],
    }
}

fn sparsity_cost(report: &crate::study::report::StudyReport) -> Figure {
    let Some(first) = report.networks.first() else {
        return Figure {
            stem: SPARSITY_FIGURES[1],
            panels: Vec::new(),
        };
    };
    let exits = first.profile.splits.len();
    let split_name = |k: usize| {
        if k + 1 == exits {
            "final exit (whole backbone)".to_owned()
        } else {
            format!("split after exit {}", k + 1)
        }
    };
    let per_split = |value: fn(&crate::train::profile::SplitCost) -> u64| -> Vec<Series> {
        (0..exits)
            .map(|k| Series {
                name: split_name(k),
                colour: PALETTE[k % PALETTE.len()],
                kind: Kind::Errorbars,
                points: per_density(report, |n| Some(value(n.profile.splits.get(k)?) as f64)),
            })
            .collect()
    };
    let mut macs = per_split(|s| s.device_macs);
    if let Some(last) = first.profile.splits.last() {
        macs.push(level(
            report,
            format!("{} final exit ÷ 4", first.name),
            last.device_macs as f64 / 4.0,
        ));
    }
    let mut weights = vec![Series {
        name: "whole network (with heads)".into(),
        colour: BLACK,
        kind: Kind::Errorbars,
        points: per_density(report, |n| Some(n.profile.weights as f64)),
    }];
    weights.extend(per_split(|s| s.device_weights));
    weights.push(level(
        report,
        format!("{} whole network ÷ 4", first.name),
        first.profile.weights as f64 / 4.0,
    ));
    let panel = |title: &str, y_label: &str, series| Panel {
        title: title.into(),
        trace: report.config.clone(),
        body: Body::Xy(XyPanel {
            x_label: "overall density (%)".into(),
            y_label: y_label.into(),
            series,
        }),
    };
    Figure {
        stem: SPARSITY_FIGURES[1],
        panels: vec![
            panel(
                "Device MACs per sample vs density",
                "device MACs (nonzero weights run)",
                macs,
            ),
            panel(
                "Stored weights vs density",
                "stored weights (nonzero)",
                weights,
            ),
        ],
    }
}

fn sparsity_learners(report: &crate::study::report::StudyReport) -> Figure {
    let mut policies: Vec<&str> = Vec::new();
    for n in &report.networks {
        for p in n.costs.iter().flat_map(|c| &c.policies) {
            if p.policy != "final-exit" && !policies.contains(&p.policy.as_str()) {
                policies.push(&p.policy);
            }
        }
    }
    let alpha = report.prices.as_ref().map_or_else(String::new, |p| {
        format!(", α = {}, {} runs", p.alpha, p.runs)
    });
    let panels = policies
        .iter()
        .map(|&policy| {
            let series: Vec<Series> = report
                .networks
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let costs = n.costs.as_ref()?;
                    let final_acc = costs
                        .policies
                        .iter()
                        .find(|p| p.policy == "final-exit")
                        .and_then(|p| p.accuracy)
                        .map(|a| a.mean)
                        .or_else(|| n.exit_accuracy.last().copied())?;
                    let p = costs.policies.iter().find(|p| p.policy == policy)?;
                    let (y, err) = scaled(p.cost_reduction, 100.0);
                    Some(Series {
                        name: format!("{} ({:.0}% dense)", n.name, density_pct(n)),
                        colour: PALETTE[i % PALETTE.len()],
                        kind: Kind::Marker,
                        points: vec![XyPoint {
                            x: 100.0 * (final_acc - p.accuracy?.mean),
                            y,
                            err,
                        }],
                    })
                })
                .collect();
            Panel {
                title: format!("{policy}: cost saved vs accuracy lost, per density{alpha}"),
                trace: report.config.clone(),
                body: Body::Xy(XyPanel {
                    x_label: "accuracy drop vs the final exit (points)".into(),
                    y_label: "cost reduction vs the final exit (%)".into(),
                    series,
                }),
            }
        })
        .collect();
    Figure {
        stem: SPARSITY_FIGURES[2],
        panels,
    }
}
