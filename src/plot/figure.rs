//! Figures as backend-free data: panels of series or heat maps, drawn by [`super::draw`].

use crate::stats::Estimate;
use plotters::prelude::*;

/// One figure: a stem and its panels, laid out in a grid.
pub(super) struct Figure {
    /// The file name without its extension.
    pub(super) stem: String,
    pub(super) panels: Vec<Panel>,
}

pub(super) struct Panel {
    /// What the panel shows and with which settings.
    pub(super) title: String,
    /// The trace's files, shortened to fit on a second heading line.
    pub(super) trace: String,
    pub(super) body: Body,
}

pub(super) enum Body {
    Xy(XyPanel),
    Heat(HeatPanel),
    /// Nothing to plot, and why.
    Note(String),
}

/// What most bars and bands show: the 95% interval of the mean over a setting's runs.
pub(super) const RUN_INTERVALS: &str = "95% intervals of the mean over the runs";
/// What a study's bars show: the spread of the networks trained with several seeds.
pub(super) const SEED_SD: &str = "± one standard deviation over the seeds";

/// Lines and markers on linear axes.
pub(super) struct XyPanel {
    pub(super) x_label: String,
    /// When x is a place (1, 2, ...) rather than a quantity: the name of each place, written
    /// under its tick in place of the number.
    pub(super) x_places: Option<Vec<String>>,
    pub(super) y_label: String,
    /// What the error bars and bands show, for the note under the legend.
    pub(super) spread: &'static str,
    pub(super) series: Vec<Series>,
    /// Lines under the legend: which series were selected, and where the rest are.
    pub(super) notes: Vec<String>,
    /// Where the stream changes, across the plot.
    pub(super) rules: Vec<Rule>,
}

/// A vertical rule across a plot at `x`, labelled at its top: where a stream of samples
/// replayed in order passes to its next file (or phase).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Rule {
    pub(super) x: f64,
    pub(super) label: String,
}

pub(super) struct Series {
    pub(super) name: String,
    pub(super) style: Style,
    pub(super) kind: Kind,
    pub(super) points: Vec<XyPoint>,
}

/// A value and the half-width of its 95% interval.
#[derive(Clone, Copy)]
pub(super) struct XyPoint {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) err: Option<f64>,
}

impl XyPoint {
    /// An estimate's mean at `x`, with its 95% interval.
    pub(super) fn estimate(x: f64, e: Estimate) -> Self {
        Self {
            x,
            y: e.mean,
            err: e.ci95,
        }
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
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
pub(super) struct HeatPanel {
    pub(super) t: Vec<usize>,
    pub(super) share: Vec<Vec<f64>>,
    pub(super) arms: usize,
    /// Where the stream changes, across the map.
    pub(super) rules: Vec<Rule>,
}

/// How a series looks: its colour and the shape of its markers.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct Style {
    pub(super) colour: RGBColor,
    pub(super) shape: Shape,
}

/// Marker shapes, told apart without colour.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Shape {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Star,
    Pentagon,
    Cross,
    Plus,
}

/// Nine shapes against ten colours: as 9 and 10 are coprime, the first 90 styles are all
/// different pairs, and any 9 consecutive ones differ in both colour and shape.
pub(super) const SHAPES: [Shape; 9] = [
    Shape::Circle,
    Shape::Square,
    Shape::TriangleUp,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Star,
    Shape::Pentagon,
    Shape::Cross,
    Shape::Plus,
];

/// The `i`-th style of a figure: colour and shape cycle together (see [`SHAPES`]).
pub(super) fn style(i: usize) -> Style {
    Style {
        colour: PALETTE[i % PALETTE.len()],
        shape: SHAPES[i % SHAPES.len()],
    }
}

/// A colour with round markers, for series that are not one of a set (fixed arms, levels).
pub(super) fn plain(colour: RGBColor) -> Style {
    Style {
        colour,
        shape: Shape::Circle,
    }
}

/// Tableau 10: distinct, colour-blind-friendlier than the primaries.
pub(super) const PALETTE: [RGBColor; 10] = [
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

/// "1 run", "20 runs": how many seeded runs a title's numbers are over.
pub(super) fn runs(n: usize) -> String {
    if n == 1 {
        "1 run".to_owned()
    } else {
        format!("{n} runs")
    }
}

/// Whether a policy plays at a threshold of its own (`alpha:A:NAME`) or learns one (`joint:…`,
/// `threshold:K:…`) rather than at the run's α. An unknown name counts as the run's.
pub(super) fn sets_own_alpha(policy: &str) -> bool {
    policy
        .parse::<crate::policy::PolicySpec>()
        .is_ok_and(|spec| spec.arms != crate::arms::ArmSpace::Splits)
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn titles_count_runs_in_the_singular_and_plural() {
        assert_eq!(runs(1), "1 run");
        assert_eq!(runs(0), "0 runs");
        assert_eq!(runs(20), "20 runs");
    }
}
