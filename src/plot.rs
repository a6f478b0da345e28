//! Figures of a sweep report, as SVG and PNG: accuracy and cost against the offloading cost,
//! cumulative regret, which arm each learning policy played over time, and the Pareto front of
//! the fixed arms beside the learned policies.
//!
//! Every figure is a grid of panels of [`PANEL_SIZE`] (1200 x 800 px) each, on a white
//! background. Figures are first turned into backend-free panel data, then drawn once by
//! code generic over plotters' `DrawingBackend`, so the SVG and the PNG are the same picture.
//! Text uses DejaVu Sans, embedded in the binary, so rendering needs no system font.

use crate::report::PolicyResult;
use crate::stats::Estimate;
use crate::sweep::{read_report, PointResult, PublishedSection, SweepReport};
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
    #[error("cannot read the sweep report")]
    Read(#[source] crate::Error),
    #[error("the bundled font assets/fonts/DejaVuSans.ttf is not a valid font")]
    Font,
}

/// Plots `dir/sweep.json` into `dir` (what `splitee plot DIR` does).
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let report = read_report(&dir.join("sweep.json")).map_err(PlotError::Read)?;
    plot_sweep(&report, dir)
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

enum Panel {
    Xy(XyPanel),
    Heat(HeatPanel),
    /// A panel with nothing to plot, saying why.
    Note {
        title: String,
        message: String,
    },
}

/// Lines and markers on linear axes.
struct XyPanel {
    title: String,
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
}

/// `share[i][k]` of arm `k + 1` in the interval ending at `t[i]`.
struct HeatPanel {
    title: String,
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
    frontier: Option<&'a crate::sweep::Frontier>,
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

    /// A fixed colour per policy: its position in the sweep's policy list (a hash of the name
    /// for a policy only the published numbers mention).
    fn colour(&self, policy: &str) -> RGBColor {
        let index = self
            .report
            .policies
            .iter()
            .position(|p| p == policy)
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

/// The trace's files, shortened from the left so a title fits its panel.
fn trace_name(report: &SweepReport, t: usize) -> String {
    let name = report.traces[t].paths.join(", ");
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => format!("trace {}", t + 1),
        n if n > 60 => format!("…{}", chars[n - 59..].iter().collect::<String>()),
        _ => name,
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
            let Some(first) = points.first() else {
                return Panel::Note {
                    title: format!("{} vs offloading cost: {}", metric.what, trace.name),
                    message: "the offloading cost was not swept".into(),
                };
            };
            let title = format!(
                "{} vs offloading cost: {} ({})",
                metric.what,
                trace.name,
                fixed_axes(first, sweep.report.runs)
            );
            let mut series: Vec<Series> = sweep
                .report
                .policies
                .iter()
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
                return Panel::Note {
                    title,
                    message: "no values: the trace is unlabeled".into(),
                };
            }
            if let Some(published) = &sweep.report.published {
                series.extend(published_series(
                    sweep,
                    published,
                    (metric.published)(published),
                ));
            }
            Panel::Xy(XyPanel {
                title,
                x_label: "offloading cost o".into(),
                y_label: metric.y_label.into(),
                series,
            })
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
            let series = focus
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
                .collect::<Vec<_>>();
            let title = format!(
                "Cumulative regret at {}: {}",
                offload_text(focus.point.offload),
                trace.name
            );
            Some(if series.is_empty() {
                Panel::Note {
                    title,
                    message: "no policy selected by report.regret_policies".into(),
                }
            } else {
                Panel::Xy(XyPanel {
                    title,
                    x_label: "time t (samples)".into(),
                    y_label: "cumulative regret (reward units)".into(),
                    series,
                })
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
                .map(move |r| {
                    Panel::Heat(HeatPanel {
                        title: format!(
                            "Arms played by {} at {}: {}",
                            r.policy,
                            offload_text(focus.point.offload),
                            trace.name
                        ),
                        t: r.arm_timeline.t.clone(),
                        share: r.arm_timeline.share.clone(),
                        arms: r.arm_counts.len(),
                    })
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
                    colour: RGBColor(150, 150, 150),
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
            Some(Panel::Xy(XyPanel {
                title: format!(
                    "Fixed arms and policies at {}: {}",
                    offload_text(focus.map_or(f64::NAN, |f| f.point.offload)),
                    trace.name
                ),
                x_label: "cost per sample".into(),
                y_label: "accuracy (%)".into(),
                series,
            }))
        })
        .collect();
    Figure {
        stem: FIGURES[4],
        panels,
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing, generic over the backend.

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
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

/// Pixel size of a figure of `panels` panels.
pub fn figure_size(panels: usize) -> (u32, u32) {
    let (cols, rows) = grid(panels);
    (PANEL_SIZE.0 * cols as u32, PANEL_SIZE.1 * rows as u32)
}

fn write_svg(figure: &Figure, path: &Path) -> Result<PathBuf, PlotError> {
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, figure_size(figure.panels.len())).into_drawing_area();
        draw_figure(figure, &root).map_err(|e| draw_error(path, e))?;
        root.present().map_err(|e| draw_error(path, e))?;
    }
    crate::report::write_atomic(path, svg.as_bytes()).map_err(|source| PlotError::Write {
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
        let root = BitMapBackend::new(&tmp, figure_size(figure.panels.len())).into_drawing_area();
        draw_figure(figure, &root)?;
        root.present()
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(draw_error(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        PlotError::Write {
            path: path.to_owned(),
            source,
        }
    })?;
    Ok(path.to_owned())
}

fn draw_error(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn draw_figure<DB: DrawingBackend>(
    figure: &Figure,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (cols, rows) = grid(figure.panels.len());
    for (panel, area) in figure.panels.iter().zip(root.split_evenly((rows, cols))) {
        let area = area.margin(10, 10, 10, 10);
        match panel {
            Panel::Xy(p) => draw_xy(p, &area)?,
            Panel::Heat(p) => draw_heat(p, &area)?,
            Panel::Note { title, message } => {
                let body = area.titled(title, (FONT, 26))?;
                let (w, h) = body.dim_in_pixel();
                body.draw(&Text::new(
                    message.clone(),
                    (w as i32 / 2, h as i32 / 2),
                    centred((FONT, 22).into_text_style(&body)),
                ))?;
            }
        }
    }
    Ok(())
}

fn centred(style: TextStyle) -> TextStyle {
    style.pos(Pos::new(HPos::Center, VPos::Center))
}

/// Splits a panel into its titled plot area and the legend column on its right.
fn panel_areas<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(DrawingArea<DB, Shift>, DrawingArea<DB, Shift>), DrawingAreaErrorKind<DB::ErrorType>> {
    let body = area.titled(title, (FONT, 26))?;
    let width = body.dim_in_pixel().0;
    Ok(body.split_horizontally(width.saturating_sub(LEGEND_WIDTH)))
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

fn configure_mesh<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    x_label: &str,
    y_label: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> DrawResult<DB> {
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 22))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .y_label_formatter(y_format)
        .draw()
}

fn build_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(area)
        .margin(15)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(x, y)
}

fn draw_xy<DB: DrawingBackend>(panel: &XyPanel, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (plot, legend) = panel_areas(area, &panel.title)?;
    let points = || panel.series.iter().flat_map(|s| &s.points);
    let x = padded(points().map(|p| (p.x, p.x)));
    let y = padded(points().map(|p| {
        let e = p.err.unwrap_or(0.0);
        (p.y - e, p.y + e)
    }));
    let mut chart = build_chart(&plot, x, y)?;
    configure_mesh(&mut chart, &panel.x_label, &panel.y_label, &|v| {
        format!("{v}")
    })?;
    // Background kinds first, so markers stay on top.
    let mut order: Vec<&Series> = panel.series.iter().collect();
    order.sort_by_key(|s| !matches!(s.kind, Kind::Dots | Kind::Band));
    for series in order {
        draw_series(&mut chart, series)?;
    }
    draw_legend(&legend, &panel.series)
}

fn draw_series<DB: DrawingBackend>(chart: &mut Chart<DB>, s: &Series) -> DrawResult<DB> {
    let colour = s.colour;
    let line = colour.stroke_width(3);
    let xy = |p: &XyPoint| (p.x, p.y);
    match s.kind {
        Kind::Errorbars | Kind::Marker => {
            if s.kind == Kind::Errorbars {
                chart.draw_series(LineSeries::new(s.points.iter().map(xy), line))?;
            }
            for p in s.points.iter().filter(|p| p.err.is_some()) {
                let e = p.err.unwrap_or(0.0);
                let cap = |y: f64| {
                    EmptyElement::at((p.x, y))
                        + PathElement::new(vec![(-7, 0), (7, 0)], colour.stroke_width(2))
                };
                chart.draw_series([PathElement::new(
                    vec![(p.x, p.y - e), (p.x, p.y + e)],
                    colour.stroke_width(2),
                )])?;
                chart.draw_series([cap(p.y - e), cap(p.y + e)])?;
            }
            if s.kind == Kind::Errorbars {
                chart.draw_series(
                    s.points
                        .iter()
                        .map(|p| Circle::new(xy(p), 6, colour.filled())),
                )?;
            } else {
                chart.draw_series(
                    s.points
                        .iter()
                        .map(|p| TriangleMarker::new(xy(p), 12, colour.filled())),
                )?;
                chart.draw_series(
                    s.points
                        .iter()
                        .map(|p| TriangleMarker::new(xy(p), 12, BLACK.stroke_width(1))),
                )?;
            }
        }
        Kind::Band => {
            let band: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter_map(|p| p.err.map(|e| (p.x, p.y + e)))
                .chain(
                    s.points
                        .iter()
                        .rev()
                        .filter_map(|p| p.err.map(|e| (p.x, p.y - e))),
                )
                .collect();
            if band.len() >= 4 {
                chart.draw_series([Polygon::new(band, colour.mix(0.2).filled())])?;
            }
            chart.draw_series(LineSeries::new(s.points.iter().map(xy), line))?;
        }
        Kind::Published => {
            chart.draw_series(DashedLineSeries::new(
                s.points.iter().map(xy),
                12,
                8,
                colour.stroke_width(2),
            ))?;
            chart.draw_series(
                s.points
                    .iter()
                    .map(|p| Circle::new(xy(p), 9, colour.stroke_width(3))),
            )?;
        }
        Kind::Dots => {
            chart.draw_series(
                s.points
                    .iter()
                    .map(|p| Circle::new(xy(p), 4, colour.filled())),
            )?;
        }
        Kind::Front => {
            let steps = s
                .points
                .windows(2)
                .flat_map(|w| [(w[0].x, w[0].y), (w[1].x, w[0].y)]);
            let last = s.points.last().map(xy);
            chart.draw_series(LineSeries::new(steps.chain(last), colour.stroke_width(2)))?;
            chart.draw_series(
                s.points
                    .iter()
                    .map(|p| Circle::new(xy(p), 6, colour.filled())),
            )?;
        }
    }
    Ok(())
}

/// One legend entry per series, each with a sample of how it is drawn.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[Series],
) -> DrawResult<DB> {
    let style = (FONT, 19)
        .into_text_style(area)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, s) in series.iter().enumerate() {
        let y = 40 + 34 * i as i32;
        let c = s.colour;
        let (x0, x1, mid) = (10, 60, (35, y));
        match s.kind {
            Kind::Errorbars => {
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))?;
                area.draw(&Circle::new(mid, 6, c.filled()))?;
            }
            Kind::Band => {
                area.draw(&Rectangle::new(
                    [(x0, y - 9), (x1, y + 9)],
                    c.mix(0.2).filled(),
                ))?;
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))?;
            }
            Kind::Published => {
                area.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 14, y)],
                    c.stroke_width(2),
                ))?;
                area.draw(&PathElement::new(
                    vec![(x1 - 14, y), (x1, y)],
                    c.stroke_width(2),
                ))?;
                area.draw(&Circle::new(mid, 9, c.stroke_width(3)))?;
            }
            Kind::Dots => area.draw(&Circle::new(mid, 4, c.filled()))?,
            Kind::Front => {
                area.draw(&PathElement::new(
                    vec![(x0, y + 6), (35, y + 6), (35, y - 6), (x1, y - 6)],
                    c.stroke_width(2),
                ))?;
                area.draw(&Circle::new(mid, 6, c.filled()))?;
            }
            Kind::Marker => {
                area.draw(&TriangleMarker::new(mid, 12, c.filled()))?;
                area.draw(&TriangleMarker::new(mid, 12, BLACK.stroke_width(1)))?;
            }
        }
        area.draw(&Text::new(s.name.clone(), (x1 + 12, y), style.clone()))?;
    }
    Ok(())
}

fn draw_heat<DB: DrawingBackend>(
    panel: &HeatPanel,
    area: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let (plot, legend) = panel_areas(area, &panel.title)?;
    let t_max = panel.t.last().copied().unwrap_or(1).max(1) as f64;
    let arms = panel.arms.max(1) as f64;
    let mut chart = build_chart(&plot, 0.0..t_max, 0.5..arms + 0.5)?;
    let integer = |v: &f64| {
        if (v - v.round()).abs() < 1e-6 {
            format!("{}", v.round())
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time t (samples)")
        .y_desc("arm (split after exit k)")
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 22))
        .y_labels(panel.arms.clamp(2, 25))
        .y_label_formatter(&integer)
        .draw()?;
    let cells = panel.t.iter().enumerate().flat_map(|(i, &end)| {
        let start = if i == 0 { 0 } else { panel.t[i - 1] };
        panel.share[i].iter().enumerate().map(move |(k, &share)| {
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
fn draw_colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (_, h) = area.dim_in_pixel();
    let bar = area.margin(10, (h / 4) as i32, 20, (LEGEND_WIDTH - 140) as i32);
    let mut chart = ChartBuilder::on(&bar)
        .y_label_area_size(0)
        .right_y_label_area_size(70)
        .caption("share of decisions", (FONT, 19))
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style((FONT, 18))
        .y_labels(6)
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
