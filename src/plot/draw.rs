//! Drawing figures with plotters, once for SVG and once for PNG from the same code.

use super::figure::*;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// Size in pixels of one panel; a figure of `n` panels is a grid of them (see `grid`).
pub const PANEL_SIZE: (u32, u32) = (1200, 800);

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
        "{}: nothing to plot: no sweep.json (from sweep, merge or reproduce), report.json \
         (from a sparsity study) or simulate.json (from simulate)",
        dir.display()
    )]
    NothingToPlot { dir: PathBuf },
}

/// Writes every figure that has panels as `STEM.svg` and `STEM.png` into `dir`.
pub(super) fn write_figures(figures: &[Figure], dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
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

/// Width of the area right of each plot that holds its legend or colour bar, unless a legend
/// name needs more (see [`legend_width`]).
pub(super) const LEGEND_WIDTH: u32 = 340;

/// The widest a legend column grows for its longest name: the plot keeps the rest.
pub(super) const MAX_LEGEND_WIDTH: u32 = 520;

/// Pixels of a legend row left of its name: the sample of how the series is drawn.
pub(super) const LEGEND_SWATCH: u32 = 72;
/// Pixels kept free right of a legend name.
pub(super) const LEGEND_END: u32 = 16;

/// The family all text is drawn in: the bundled font is registered under it, and SVG viewers
/// map it to a sans-serif font of their own.
pub(super) const FONT: &str = "sans-serif";

pub(super) const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font once per process under [`FONT`].
pub(super) fn register_font() -> Result<(), PlotError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    ok.then_some(()).ok_or(PlotError::Font)
}

// ---------------------------------------------------------------------------------------------
// Figure data, independent of the backend.

pub(super) type Area<DB> = DrawingArea<DB, Shift>;

pub(super) type DrawResult<T, DB> =
    Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Columns and rows of the panel grid: one row up to three panels, then a square-ish grid.
pub fn grid(panels: usize) -> (usize, usize) {
    let cols = if panels <= 3 {
        panels.max(1)
    } else {
        (panels as f64).sqrt().ceil() as usize
    };
    (cols, panels.div_ceil(cols).max(1))
}

/// Pixel size of a figure of `panels` panels: [`PANEL_SIZE`] per cell of the panel grid.
pub fn figure_size(panels: usize) -> (u32, u32) {
    let (cols, rows) = grid(panels);
    (PANEL_SIZE.0 * cols as u32, PANEL_SIZE.1 * rows as u32)
}

pub(super) fn write_svg(figure: &Figure, path: &Path) -> Result<PathBuf, PlotError> {
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
pub(super) fn write_png(figure: &Figure, path: &Path) -> Result<PathBuf, PlotError> {
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

pub(super) fn draw_error(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

pub(super) fn draw_figure<DB: DrawingBackend>(
    figure: &Figure,
    root: &Area<DB>,
) -> DrawResult<(), DB> {
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

pub(super) fn text_style<DB: DrawingBackend>(
    area: &Area<DB>,
    size: u32,
    pos: Pos,
) -> TextStyle<'static> {
    (FONT, size).into_text_style(area).pos(pos)
}

/// Draws the title and, below it in grey, the trace (shortened from the left to fit), and
/// returns the area under them.
pub(super) fn draw_heading<DB: DrawingBackend>(
    area: &Area<DB>,
    panel: &Panel,
) -> DrawResult<Area<DB>, DB> {
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

pub(super) fn collect(chars: &[char]) -> String {
    chars.iter().collect()
}

/// Splits a panel body into the plot and the legend column, `legend` pixels wide, on its right.
pub(super) fn plot_and_legend<DB: DrawingBackend>(
    area: &Area<DB>,
    legend: u32,
) -> (Area<DB>, Area<DB>) {
    let width = area.dim_in_pixel().0;
    area.split_horizontally(width.saturating_sub(legend))
}

/// The width of a legend column whose longest name is `name` pixels wide at the legend's font
/// size: [`LEGEND_WIDTH`], widened as far as [`MAX_LEGEND_WIDTH`] so that the name fits.
pub(super) fn legend_width(name: u32) -> u32 {
    (LEGEND_SWATCH + name + LEGEND_END).clamp(LEGEND_WIDTH, MAX_LEGEND_WIDTH)
}

/// The font size of legend names.
pub(super) const LEGEND_FONT: u32 = 19;

/// Axis range covering `values` (with their intervals), padded by 5% on each side.
pub(super) fn padded(values: impl Iterator<Item = (f64, f64)>) -> std::ops::Range<f64> {
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
pub(super) fn tick(v: &f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// How many x ticks fit side by side on a plot `width` pixels wide, up to plotters' default
/// of 11: labels of small or long numbers (`-0.00016`) would run into each other.
pub(super) fn x_label_count(range: &std::ops::Range<f64>, width: u32) -> usize {
    let span = range.end - range.start;
    let largest = range.start.abs().max(range.end.abs());
    if !(span > 0.0 && largest.is_finite()) {
        return 11;
    }
    // Decimals of a tenth of the span, digits before the point, the point and a minus sign.
    let decimals = (-(span / 10.0).log10().floor()).max(0.0) as u32;
    let digits = largest.log10().floor().max(0.0) as u32 + 1;
    // The axis' padding reaches below 0 without a negative tick: a tick is some tenth of the span.
    let sign = u32::from(range.start <= -span / 10.0);
    let chars = sign + digits + if decimals > 0 { decimals + 1 } else { 0 };
    // Digits of the tick font (18 px, drawn at some 14.5) are under 10 px wide; 14 px between.
    let label = chars * 10 + 14;
    ((width.saturating_sub(115) / label) as usize).clamp(3, 11)
}

/// A tick label at whole numbers only (arms), none between them.
pub(super) fn whole_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        tick(v)
    } else {
        String::new()
    }
}

/// Height of the area under a plot for its x tick labels and the axis' description.
pub(super) const X_LABEL_AREA: u32 = 70;

/// A chart on `area` with `x_label_area` pixels under it for the x axis' labels.
pub(super) fn build_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_label_area: u32,
) -> DrawResult<Chart<'a, DB>, DB> {
    ChartBuilder::on(area)
        .margin(15)
        .x_label_area_size(x_label_area)
        .y_label_area_size(100)
        .build_cartesian_2d(x, y)
}

/// How the names of an axis' places are written under their ticks.
pub(super) enum PlaceNames {
    /// Level, each on the lines its words need, when every word fits the width of a place.
    Level(Vec<Vec<String>>),
    /// Turned to read upwards, ending at the axis, when some word is wider than a place.
    Upwards(Vec<String>),
}

/// Height of a line of level place names.
const PLACE_LINE: u32 = 22;
/// The font size of tick labels, and of place names.
const TICK_FONT: u32 = 18;

impl PlaceNames {
    /// `names` laid out for places `slot` pixels apart.
    fn fit<DB: DrawingBackend>(
        area: &Area<DB>,
        names: &[String],
        slot: u32,
    ) -> DrawResult<Self, DB> {
        let style = text_style(area, TICK_FONT, Pos::new(HPos::Center, VPos::Top));
        let room = slot.saturating_sub(12);
        let mut level = Vec::new();
        for name in names {
            let lines = wrap_words(area, &words_of(name), &style, room)?;
            for line in &lines {
                if area.estimate_text_size(line, &style)?.0 > room {
                    return Ok(Self::Upwards(names.to_vec()));
                }
            }
            level.push(lines);
        }
        Ok(Self::Level(level))
    }

    /// Pixels the names take under the axis.
    fn height<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<u32, DB> {
        let style = text_style(area, TICK_FONT, Pos::new(HPos::Center, VPos::Top));
        Ok(match self {
            Self::Level(names) => names.iter().map(Vec::len).max().unwrap_or(1) as u32 * PLACE_LINE,
            Self::Upwards(names) => {
                let mut widest = 0;
                for name in names {
                    widest = widest.max(area.estimate_text_size(name, &style)?.0);
                }
                widest
            }
        })
    }

    /// Writes each name under its place (1, 2, ...) on the chart's x axis.
    fn draw<DB: DrawingBackend>(&self, chart: &mut Chart<DB>, bottom: f64) -> DrawResult<(), DB> {
        let area = chart.plotting_area().strip_coord_spec();
        let at = |place: usize| EmptyElement::at(((place + 1) as f64, bottom));
        match self {
            Self::Level(names) => {
                let style = text_style(&area, TICK_FONT, Pos::new(HPos::Center, VPos::Top));
                for (place, lines) in names.iter().enumerate() {
                    for (i, line) in lines.iter().enumerate() {
                        let y = 10 + (i as u32 * PLACE_LINE) as i32;
                        let text = Text::new(line.clone(), (0, y), style.clone());
                        chart.draw_series([at(place) + text])?;
                    }
                }
            }
            Self::Upwards(names) => {
                let style = text_style(&area, TICK_FONT, Pos::new(HPos::Right, VPos::Center))
                    .transform(FontTransform::Rotate270);
                for (place, name) in names.iter().enumerate() {
                    let text = Text::new(name.clone(), (0, 10), style.clone());
                    chart.draw_series([at(place) + text])?;
                }
            }
        }
        Ok(())
    }
}

pub(super) fn draw_xy<DB: DrawingBackend>(panel: &XyPanel, area: &Area<DB>) -> DrawResult<(), DB> {
    let name_style = text_style(area, LEGEND_FONT, Pos::new(HPos::Left, VPos::Center));
    let mut longest = 0;
    for s in &panel.series {
        longest = longest.max(area.estimate_text_size(&s.name, &name_style)?.0);
    }
    let (plot, legend) = plot_and_legend(area, legend_width(longest));
    let mut notes = legend_notes(panel);
    let rows = legend_rows(&legend, &notes)?;
    // Series beyond what the legend holds are left out, and the legend says so.
    let shown = &panel.series[..panel.series.len().min(rows)];
    if shown.len() < panel.series.len() {
        notes.insert(
            0,
            format!(
                "{} more series not drawn: the legend holds {}; all are in the table",
                panel.series.len() - shown.len(),
                shown.len()
            ),
        );
    }
    // Where lines cover each other at some markers only, say so: in the legend when it still
    // holds the series it shows, else under the plot.
    let note = partly_hidden(shown, panel.x_places.as_deref());
    let fits = match &note {
        Some(note) => {
            let with_note = [&notes[..], std::slice::from_ref(note)].concat();
            legend_rows(&legend, &with_note)? >= shown.len()
        }
        None => false,
    };
    let (plot, hidden) = match note {
        Some(note) if fits => {
            notes.push(note);
            (plot, None)
        }
        Some(note) => {
            let lines = wrap(&plot, &note)?;
            let height = (lines.len() as i32 * NOTE_LINE + NOTE_LINE / 2) as u32;
            let (plot, under) = plot.split_vertically(plot.dim_in_pixel().1.saturating_sub(height));
            (plot, Some((under, lines)))
        }
        None => (plot, None),
    };
    let points = || shown.iter().flat_map(|s| &s.points);
    // Places 1, 2, ... each get a whole unit of the axis, half of it either side.
    let x = match &panel.x_places {
        Some(names) => 0.5..names.len().max(1) as f64 + 0.5,
        None => padded(points().map(|p| (p.x, p.x))),
    };
    let y = padded(points().map(|p| {
        let e = p.err.unwrap_or(0.0);
        (p.y - e, p.y + e)
    }));
    let x_labels = x_label_count(&x, plot.dim_in_pixel().0);
    let places = match &panel.x_places {
        Some(names) => {
            // The plot's width between its label area on the left and its margins.
            let inner = plot.dim_in_pixel().0.saturating_sub(130) as f64;
            let slot = inner / (x.end - x.start);
            Some(PlaceNames::fit(&plot, names, slot as u32)?)
        }
        None => None,
    };
    let x_label_area = match &places {
        // The names replace the tick labels' line.
        Some(places) => X_LABEL_AREA - PLACE_LINE + places.height(&plot)? + 10,
        None => X_LABEL_AREA,
    };
    let bottom = y.start;
    let mut chart = build_chart(&plot, x, y.clone(), x_label_area)?;
    let no_tick = |_: &f64| String::new();
    let x_tick: &dyn Fn(&f64) -> String = if places.is_some() { &no_tick } else { &tick };
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .label_style((FONT, TICK_FONT))
        .axis_desc_style((FONT, 22))
        .max_light_lines(2)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .x_labels(x_labels)
        .x_label_formatter(x_tick)
        .y_label_formatter(&tick)
        .draw()?;
    if let Some(places) = &places {
        places.draw(&mut chart, bottom)?;
    }
    draw_rules(&mut chart, &panel.rules, y, DARK_RULE)?;
    // Bands and dots of every series first, so no band hides another series' line.
    for s in shown {
        draw_background(&mut chart, s)?;
    }
    let bands = shown.iter().filter(|s| s.kind == Kind::Band).count();
    let mut band = 0;
    for s in shown {
        draw_foreground(&mut chart, s, (band, bands))?;
        band += usize::from(s.kind == Kind::Band);
    }
    if let Some((under, lines)) = hidden {
        let note = note_style(&under);
        for (i, line) in lines.into_iter().enumerate() {
            let y = NOTE_LINE / 2 + i as i32 * NOTE_LINE;
            under.draw(&Text::new(line, (10, y), note.clone()))?;
        }
    }
    draw_legend(&legend, shown, &notes)
}

/// The colour of the rules across a plot with a white background, and across a heat map.
pub(super) const DARK_RULE: RGBColor = RGBColor(70, 70, 70);
pub(super) const LIGHT_RULE: RGBColor = WHITE;

/// Draws each rule inside the chart's x range as a dashed vertical line over `y`, with its
/// label at the top: right of the rule, or left of it when the plot ends too soon.
pub(super) fn draw_rules<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    rules: &[Rule],
    y: std::ops::Range<f64>,
    colour: RGBColor,
) -> DrawResult<(), DB> {
    let x_range = chart.x_range();
    let area = chart.plotting_area().strip_coord_spec();
    let width = area.dim_in_pixel().0 as i32;
    for rule in rules.iter().filter(|r| x_range.contains(&r.x)) {
        let line = [(rule.x, y.start), (rule.x, y.end)];
        chart.draw_series(DashedLineSeries::new(line, 10, 6, colour.stroke_width(3)))?;
        let text = text_style(&area, 17, Pos::new(HPos::Left, VPos::Top)).color(&BLACK);
        let (w, h) = area.estimate_text_size(&rule.label, &text)?;
        let (w, h) = (w as i32, h as i32);
        let at = chart.backend_coord(&(rule.x, y.end));
        let base = chart.plotting_area().get_base_pixel();
        let right = at.0 - base.0 + 8 + w + 4 <= width;
        let left = if right { 8 } else { -8 - w };
        let box_ = Rectangle::new(
            [(left - 4, 6), (left + w + 4, 10 + h + 2)],
            WHITE.mix(0.85).filled(),
        );
        let label = Text::new(rule.label.clone(), (left, 9), text);
        chart.draw_series([EmptyElement::at((rule.x, y.end)) + box_ + label])?;
    }
    Ok(())
}

/// Radius in pixels of the markers of our results; error bars shorter than it are hidden by
/// their marker and not drawn.
pub(super) const MARKER: i32 = 7;

/// Markers placed along each line of many points (regret curves), so that lines on top of
/// each other still show every series' shape.
pub(super) const MARKS_PER_LINE: usize = 8;

/// Whether a series is drawn with a band: a band series with intervals (none with one run).
pub(super) fn banded(s: &Series) -> bool {
    s.kind == Kind::Band && s.points.iter().filter(|p| p.err.is_some()).count() >= 2
}

pub(super) fn has_bars(s: &Series) -> bool {
    matches!(s.kind, Kind::Errorbars | Kind::Marker) && s.points.iter().any(|p| p.err.is_some())
}

pub(super) fn xy(p: &XyPoint) -> (f64, f64) {
    (p.x, p.y)
}

/// The corners of `shape` around its centre at radius `r` (its size as a circle of radius
/// `r`), or `None` for a circle.
pub(super) fn outline(shape: Shape, r: i32) -> Option<Vec<(i32, i32)>> {
    let r = f64::from(r);
    // Corners on a circle, the first straight up (screen y grows downwards).
    let polar = |radii: &[f64], turn: f64| -> Vec<(f64, f64)> {
        let n = radii.len() as f64;
        radii
            .iter()
            .enumerate()
            .map(|(i, &radius)| {
                let a = std::f64::consts::TAU * (i as f64 / n + turn) - std::f64::consts::FRAC_PI_2;
                (radius * a.cos(), radius * a.sin())
            })
            .collect()
    };
    // A plus of arms `w` wide and `l` long, turned by `turn` (of a full turn).
    let plus = |turn: f64| -> Vec<(f64, f64)> {
        let (w, l) = (0.38 * r, 1.2 * r);
        let arm = [(-w, -l), (w, -l), (w, -w)];
        let (sin, cos) = (std::f64::consts::TAU * turn).sin_cos();
        (0..4)
            .flat_map(|q| {
                let (qs, qc) = (std::f64::consts::FRAC_PI_2 * f64::from(q)).sin_cos();
                arm.map(|(x, y)| (x * qc - y * qs, x * qs + y * qc))
            })
            .map(|(x, y)| (x * cos - y * sin, x * sin + y * cos))
            .collect()
    };
    let corners = match shape {
        Shape::Circle => return None,
        Shape::Square => polar(&[1.25 * r; 4], 0.125),
        Shape::TriangleUp => polar(&[1.4 * r; 3], 0.0),
        Shape::TriangleDown => polar(&[1.4 * r; 3], 0.5),
        Shape::Diamond => vec![(0.0, -1.35 * r), (r, 0.0), (0.0, 1.35 * r), (-r, 0.0)],
        Shape::Pentagon => polar(&[1.2 * r; 5], 0.0),
        Shape::Star => polar(&[1.55 * r, 0.65 * r].repeat(5), 0.0),
        Shape::Plus => plus(0.0),
        Shape::Cross => plus(0.125),
    };
    Some(
        corners
            .into_iter()
            .map(|(x, y)| (x.round() as i32, y.round() as i32))
            .collect(),
    )
}

pub(super) fn draw_background<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    s: &Series,
) -> DrawResult<(), DB> {
    let colour = s.style.colour;
    match s.kind {
        Kind::Band if banded(s) => {
            let upper = s.points.iter().filter_map(|p| Some((p.x, p.y + p.err?)));
            let lower = s
                .points
                .iter()
                .rev()
                .filter_map(|p| Some((p.x, p.y - p.err?)));
            let band: Vec<(f64, f64)> = upper.chain(lower).collect();
            chart.draw_series([Polygon::new(band, colour.mix(0.18).filled())])?;
        }
        Kind::Dots => {
            let dot = |p: &XyPoint| Circle::new(xy(p), 4, colour.filled());
            chart.draw_series(s.points.iter().map(dot))?;
        }
        _ => {}
    }
    Ok(())
}

/// Draws a series' lines, bars and markers; `band` is its place among the panel's bands
/// (index, count), which staggers their markers.
pub(super) fn draw_foreground<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    s: &Series,
    band: (usize, usize),
) -> DrawResult<(), DB> {
    let Style { colour, shape } = s.style;
    match s.kind {
        Kind::Errorbars => {
            chart.draw_series(LineSeries::new(
                s.points.iter().map(xy),
                colour.stroke_width(3),
            ))?;
            draw_error_bars(chart, s)?;
            draw_markers(chart, s.points.iter(), shape, MARKER, colour.filled())?;
        }
        Kind::Marker => {
            draw_error_bars(chart, s)?;
            // A black halo keeps light colours visible on the grey dots.
            draw_markers(chart, s.points.iter(), shape, MARKER + 3, BLACK.filled())?;
            draw_markers(chart, s.points.iter(), shape, MARKER + 1, colour.filled())?;
        }
        Kind::Band => {
            chart.draw_series(LineSeries::new(
                s.points.iter().map(xy),
                colour.stroke_width(3),
            ))?;
            // Evenly spaced markers, each band's shifted by a fraction of the spacing.
            let (index, count) = band;
            let step = (s.points.len() / MARKS_PER_LINE).max(1);
            let first = (step * index / count.max(1) + step / 2) % step;
            let marked = s.points.iter().skip(first).step_by(step);
            draw_markers(chart, marked, shape, MARKER - 1, colour.filled())?;
        }
        Kind::Published => {
            let line =
                DashedLineSeries::new(s.points.iter().map(xy), 12, 8, colour.stroke_width(2));
            chart.draw_series(line)?;
            let hollow = colour.stroke_width(3);
            draw_markers(chart, s.points.iter(), shape, MARKER + 3, hollow)?;
        }
        Kind::Front => {
            let steps = s
                .points
                .windows(2)
                .flat_map(|w| [(w[0].x, w[0].y), (w[1].x, w[0].y)]);
            let last = s.points.last().map(xy);
            chart.draw_series(LineSeries::new(steps.chain(last), colour.stroke_width(2)))?;
            draw_markers(chart, s.points.iter(), shape, MARKER - 1, colour.filled())?;
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

fn draw_markers<'p, DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    points: impl Iterator<Item = &'p XyPoint>,
    shape: Shape,
    r: i32,
    style: ShapeStyle,
) -> DrawResult<(), DB> {
    let at = |p: &XyPoint| EmptyElement::at(xy(p));
    match outline(shape, r) {
        None => chart.draw_series(points.map(|p| at(p) + Circle::new((0, 0), r, style)))?,
        Some(corners) if style.filled => {
            chart.draw_series(points.map(|p| at(p) + Polygon::new(corners.clone(), style)))?
        }
        Some(corners) => {
            chart.draw_series(points.map(|p| at(p) + PathElement::new(closed(&corners), style)))?
        }
    };
    Ok(())
}

/// A marker of `shape`, filled or as an outline, centred on `at` in a legend.
fn draw_legend_marker<DB: DrawingBackend>(
    area: &Area<DB>,
    at: (i32, i32),
    shape: Shape,
    r: i32,
    style: ShapeStyle,
) -> DrawResult<(), DB> {
    let at = EmptyElement::at(at);
    match outline(shape, r) {
        None => area.draw(&(at + Circle::new((0, 0), r, style))),
        Some(corners) if style.filled => area.draw(&(at + Polygon::new(corners, style))),
        Some(corners) => area.draw(&(at + PathElement::new(closed(&corners), style))),
    }
}

/// An outline's corners, back to the first.
fn closed(corners: &[(i32, i32)]) -> Vec<(i32, i32)> {
    corners.iter().chain(corners.first()).copied().collect()
}

/// Vertical 95% bars with caps, centred on their point; a bar the marker would hide is left
/// out, so that no stray cap shows beside a marker.
pub(super) fn draw_error_bars<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    s: &Series,
) -> DrawResult<(), DB> {
    let style = s.style.colour.stroke_width(2);
    let bars = s.points.iter().filter_map(|p| {
        let (lo, hi) = (p.y - p.err?, p.y + p.err?);
        let top = chart.backend_coord(&(p.x, hi));
        let bottom = chart.backend_coord(&(p.x, lo));
        let h = bottom.1 - top.1;
        if h <= 2 * (MARKER + 2) {
            return None;
        }
        let cap = |y| PathElement::new(vec![(-7, y), (7, y)], style);
        let stem = PathElement::new(vec![(0, 0), (0, h)], style);
        Some(EmptyElement::at((p.x, hi)) + cap(0) + stem + cap(h))
    });
    let bars: Vec<_> = bars.collect();
    chart.draw_series(bars)?;
    Ok(())
}

/// Height in pixels of one legend entry, and of one line of a legend note.
pub(super) const LEGEND_ROW: i32 = 34;
pub(super) const NOTE_LINE: i32 = 24;

/// The notes under a panel's legend: the panel's own, then what its error bars leave out.
pub(super) fn legend_notes(panel: &XyPanel) -> Vec<String> {
    let mut notes = panel.notes.clone();
    if panel.series.iter().any(has_bars) {
        notes.push(format!(
            "Bars: {}; those inside their marker are not drawn.",
            panel.spread
        ));
    }
    if panel.series.iter().any(banded) {
        notes.push(format!("Bands: {}.", panel.spread));
    }
    notes.extend(coinciding(&panel.series));
    notes
}

/// A note for each group of series drawn over each other, since only the one drawn last shows:
/// single markers (policies on the Pareto plot, say) on one spot, or lines whose every marker
/// falls on another's. "Over each other" is within [`HIDDEN`] of the axes' spans, where a
/// marker covers most of another.
pub(super) fn coinciding(series: &[Series]) -> Vec<String> {
    let marked = |s: &&Series| matches!(s.kind, Kind::Marker | Kind::Errorbars);
    let (x_span, y_span) = spans(series);
    let close = |a: &Series, b: &Series| {
        a.points.len() == b.points.len()
            && a.points.iter().zip(&b.points).all(|(p, q)| {
                (p.x - q.x).abs() <= HIDDEN * x_span && (p.y - q.y).abs() <= HIDDEN * y_span
            })
    };
    let mut groups: Vec<Vec<&Series>> = Vec::new();
    for s in series
        .iter()
        .filter(marked)
        .filter(|s| !s.points.is_empty())
    {
        match groups.iter_mut().find(|group| close(group[0], s)) {
            Some(group) => group.push(s),
            None => groups.push(vec![s]),
        }
    }
    groups
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| {
            let names: Vec<&str> = group.iter().map(|s| s.name.as_str()).collect();
            let on = if group[0].points.len() == 1 {
                "point"
            } else {
                "line"
            };
            format!("On one {on}, the last on top: {}.", names.join(", "))
        })
        .collect()
}

/// A note naming the lines covered at some of their markers (not a whole line on another, which
/// [`coinciding`] names) by a line drawn after them, and where.
pub(super) fn partly_hidden(series: &[Series], places: Option<&[String]>) -> Option<String> {
    // Where, as the x axis says it: by a place's name, or by the value.
    let at = |x: f64| {
        places
            .and_then(|names| names.get((x.round() as usize).checked_sub(1)?))
            .cloned()
            .unwrap_or_else(|| tick(&x))
    };
    let marked = |s: &&Series| matches!(s.kind, Kind::Marker | Kind::Errorbars);
    let (x_span, y_span) = spans(series);
    let over = |p: &XyPoint, q: &XyPoint| {
        (p.x - q.x).abs() <= HIDDEN * x_span && (p.y - q.y).abs() <= HIDDEN * y_span
    };
    let lines: Vec<&Series> = series
        .iter()
        .filter(marked)
        .filter(|s| s.points.len() > 1)
        .collect();
    let partly: Vec<String> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let hidden: Vec<String> = s
                .points
                .iter()
                .filter(|p| {
                    lines[i + 1..]
                        .iter()
                        .any(|t| t.points.iter().any(|q| over(p, q)))
                })
                .map(|p| at(p.x))
                .collect();
            let at = if hidden.len() <= LISTED_PLACES {
                hidden.join(", ")
            } else {
                format!("{} of its {} markers", hidden.len(), s.points.len())
            };
            (!hidden.is_empty() && hidden.len() < s.points.len())
                .then(|| format!("{} at {at}", s.name))
        })
        .collect();
    (!partly.is_empty()).then(|| format!("Under later series: {}.", partly.join("; ")))
}

/// The most places a partly hidden line's note lists; beyond, it counts them.
const LISTED_PLACES: usize = 8;

/// The padded x and y spans of a panel's series, against which closeness is measured.
fn spans(series: &[Series]) -> (f64, f64) {
    let span = |value: fn(&XyPoint) -> (f64, f64)| {
        let range = padded(series.iter().flat_map(|s| &s.points).map(value));
        range.end - range.start
    };
    (span(|p| (p.x, p.x)), span(|p| (p.y, p.y)))
}

/// How close two markers are, as a share of each axis' span, when one hides the other: a
/// fraction of a marker's radius on a panel's plot of some 700 x 600 px.
pub(super) const HIDDEN: f64 = 0.004;

pub(super) fn note_style<DB: DrawingBackend>(area: &Area<DB>) -> TextStyle<'static> {
    text_style(area, 17, Pos::new(HPos::Left, VPos::Top)).color(&RGBColor(70, 70, 70))
}

/// A note broken into lines that fit `area` (the legend column, or the width under a plot).
pub(super) fn wrap<DB: DrawingBackend>(area: &Area<DB>, text: &str) -> DrawResult<Vec<String>, DB> {
    let width = area.dim_in_pixel().0.saturating_sub(20);
    let words: Vec<&str> = text.split_whitespace().collect();
    wrap_words(area, &words, &note_style(area), width)
}

/// The words of a name, each parenthesis kept whole: `splitee (α = 0.7)` is `splitee` and
/// `(α = 0.7)`.
pub(super) fn words_of(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in name.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        open = (open || word.contains('(')) && !word.contains(')');
    }
    words
}

/// `words` in `style` joined by spaces into lines at most `width` pixels wide where they allow.
pub(super) fn wrap_words<DB: DrawingBackend>(
    area: &Area<DB>,
    words: &[impl AsRef<str>],
    style: &TextStyle,
    width: u32,
) -> DrawResult<Vec<String>, DB> {
    let mut lines: Vec<String> = Vec::new();
    for word in words.iter().map(AsRef::as_ref) {
        match lines.last_mut() {
            Some(line) if area.estimate_text_size(&format!("{line} {word}"), style)?.0 <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    Ok(lines)
}

/// How many legend entries fit above the notes.
pub(super) fn legend_rows<DB: DrawingBackend>(
    area: &Area<DB>,
    notes: &[String],
) -> DrawResult<usize, DB> {
    let mut lines = 0;
    for note in notes {
        lines += wrap(area, note)?.len() as i32;
    }
    // One more note line may come, saying how many series were left out.
    let room = area.dim_in_pixel().1 as i32 - 30 - NOTE_LINE * (lines + 3);
    Ok((room / LEGEND_ROW).max(1) as usize)
}

/// The font size at which a legend name `width` pixels wide at `size` fits in `room` pixels:
/// `size` when it fits, else scaled down (text width is proportional to the size), never below
/// 11 so that it stays legible.
pub(super) fn legend_font_size(size: u32, width: u32, room: u32) -> u32 {
    if width <= room {
        size
    } else {
        (size * room / width).max(11)
    }
}

/// One legend entry per series, each with a sample of how it is drawn, then the notes.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &Area<DB>,
    series: &[Series],
    notes: &[String],
) -> DrawResult<(), DB> {
    let style = text_style(area, LEGEND_FONT, Pos::new(HPos::Left, VPos::Center));
    let mut y = 30;
    for s in series {
        let Style { colour: c, shape } = s.style;
        let (x0, x1, mid) = (10, 60, (35, y));
        let line = |width| PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(width));
        let mark = |r, style| draw_legend_marker(area, mid, shape, r, style);
        match s.kind {
            Kind::Errorbars => {
                // A line through one point is not drawn.
                if s.points.len() > 1 {
                    area.draw(&line(3))?;
                }
                mark(MARKER, c.filled())?;
            }
            Kind::Band => {
                if banded(s) {
                    area.draw(&Rectangle::new(
                        [(x0, y - 9), (x1, y + 9)],
                        c.mix(0.18).filled(),
                    ))?;
                }
                area.draw(&line(3))?;
                mark(MARKER - 1, c.filled())?;
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
                mark(MARKER + 3, c.stroke_width(3))?;
            }
            Kind::Dots => area.draw(&Circle::new(mid, 4, c.filled()))?,
            Kind::Front => {
                area.draw(&line(2))?;
                mark(MARKER - 1, c.filled())?;
            }
            Kind::Marker => {
                mark(MARKER + 3, BLACK.filled())?;
                mark(MARKER + 1, c.filled())?;
            }
            Kind::Dashed => {
                for (a, b) in [(x0, x0 + 18), (x1 - 18, x1)] {
                    area.draw(&PathElement::new(vec![(a, y), (b, y)], c.stroke_width(2)))?;
                }
            }
        }
        // A name too long even for the widest column is drawn smaller rather than cut off at
        // the edge.
        let room = area
            .dim_in_pixel()
            .0
            .saturating_sub(LEGEND_SWATCH + LEGEND_END);
        let width = area.estimate_text_size(&s.name, &style)?.0;
        let style = match legend_font_size(LEGEND_FONT, width, room) {
            LEGEND_FONT => style.clone(),
            size => text_style(area, size, Pos::new(HPos::Left, VPos::Center)),
        };
        area.draw(&Text::new(s.name.clone(), (LEGEND_SWATCH as i32, y), style))?;
        y += LEGEND_ROW;
    }
    let note = note_style(area);
    y += NOTE_LINE / 2 - LEGEND_ROW / 2;
    for text in notes {
        y += NOTE_LINE / 2;
        for line in wrap(area, text)? {
            area.draw(&Text::new(line, (10, y), note.clone()))?;
            y += NOTE_LINE;
        }
    }
    Ok(())
}

pub(super) fn draw_heat<DB: DrawingBackend>(
    panel: &HeatPanel,
    area: &Area<DB>,
) -> DrawResult<(), DB> {
    let (plot, legend) = plot_and_legend(area, LEGEND_WIDTH);
    let t_max = panel.t.last().copied().unwrap_or(1).max(1) as f64;
    let arms = panel.arms.max(1) as f64;
    let mut chart = build_chart(&plot, 0.0..t_max, 0.5..arms + 0.5, X_LABEL_AREA)?;
    // Arms are integers; the axis runs between half-integers so each arm is one row.
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time t (samples)")
        .y_desc("arm k (split after exit k)")
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 22))
        .x_label_formatter(&tick)
        .y_labels(panel.arms.clamp(2, 25))
        .y_label_formatter(&whole_tick)
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
    draw_rules(&mut chart, &panel.rules, 0.5..arms + 0.5, LIGHT_RULE)?;
    draw_colour_bar(&legend)
}

/// The share-to-colour scale of the heat maps.
pub(super) fn draw_colour_bar<DB: DrawingBackend>(area: &Area<DB>) -> DrawResult<(), DB> {
    let (_, h) = area.dim_in_pixel();
    // The caption is wider than the bar: it starts at the legend's left edge, above the bar.
    area.draw_text(
        "share of decisions (fraction)",
        &(FONT, 19).into_text_style(area),
        (30, 10),
    )?;
    let bar = area.margin(40, (h / 5) as i32, 30, (LEGEND_WIDTH - 150) as i32);
    let mut chart = ChartBuilder::on(&bar)
        .right_y_label_area_size(60)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A legend column widens for a long name, up to its widest; only a name wider still is
    /// drawn smaller, and never below a legible size.
    #[test]
    fn a_parenthesis_is_one_word_of_a_name() {
        assert_eq!(words_of("splitee (α = 0.7)"), ["splitee", "(α = 0.7)"]);
        assert_eq!(words_of("a (b) c (d e) f"), ["a", "(b)", "c", "(d e)", "f"]);
        assert_eq!(words_of("f20-40-10-h10"), ["f20-40-10-h10"]);
    }

    #[test]
    fn legend_columns_widen_for_long_names_and_only_wider_ones_are_drawn_smaller() {
        // Short names keep the usual column; a longer one widens it by what it needs.
        assert_eq!(legend_width(200), LEGEND_WIDTH);
        assert_eq!(
            legend_width(LEGEND_WIDTH - LEGEND_SWATCH - LEGEND_END),
            LEGEND_WIDTH
        );
        assert_eq!(legend_width(340), LEGEND_SWATCH + 340 + LEGEND_END);
        assert!(legend_width(340) > LEGEND_WIDTH);
        assert_eq!(legend_width(2000), MAX_LEGEND_WIDTH);
        // In its column, every name up to the widest column's room keeps the legend's size.
        let room = |name| legend_width(name) - LEGEND_SWATCH - LEGEND_END;
        for name in [100, 250, 340, MAX_LEGEND_WIDTH - LEGEND_SWATCH - LEGEND_END] {
            assert_eq!(legend_font_size(LEGEND_FONT, name, room(name)), LEGEND_FONT);
        }
        // Beyond it, smaller in proportion, down to 11 px.
        let widest = room(2000);
        assert_eq!(legend_font_size(19, widest * 5 / 4, widest), 15);
        assert_eq!(legend_font_size(19, 2000, widest), 11);
    }
}
