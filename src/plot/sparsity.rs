//! The figures of a sparsity study.

use super::draw::{register_font, write_figures, PlotError};
use super::figure::*;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

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

/// Overall density of a network: the fraction of its junctions' weights it keeps.
fn density(n: &crate::study::report::NetworkReport) -> f64 {
    n.profile.density
}

/// Where the study's networks go on the x axis: at their densities, or, when two densities lie
/// so close that their markers would pile up (a study of layouts at one density), at their
/// places in the report's tables.
struct Abscissa {
    x: Vec<f64>,
    label: String,
    /// The networks' names, when they are drawn by place.
    places: Option<Vec<String>>,
}

impl Abscissa {
    /// Networks at their densities are joined by a line; networks by place are not related.
    fn joined(&self) -> Kind {
        if self.places.is_some() {
            Kind::Marker
        } else {
            Kind::Errorbars
        }
    }

    fn against(&self) -> &'static str {
        if self.places.is_some() {
            "per network"
        } else {
            "vs density"
        }
    }
}

/// Densities closer than this share of their span are drawn apart, by place.
const CROWDED: f64 = 0.02;

fn abscissa(report: &crate::study::report::StudyReport) -> Abscissa {
    let mut densities: Vec<f64> = report.networks.iter().map(density).collect();
    densities.sort_by(f64::total_cmp);
    let span = densities.last().unwrap_or(&0.0) - densities.first().unwrap_or(&0.0);
    let crowded = densities.windows(2).any(|w| w[1] - w[0] < CROWDED * span);
    if crowded {
        Abscissa {
            x: (1..=report.networks.len()).map(|i| i as f64).collect(),
            label:
                "network, in the order of report.md's tables (densities too close to plot against)"
                    .into(),
            places: Some(report.networks.iter().map(|n| n.name.clone()).collect()),
        }
    } else {
        Abscissa {
            x: report.networks.iter().map(density).collect(),
            label: "overall density (fraction)".into(),
            places: None,
        }
    }
}

/// A dashed horizontal line at `y`, marked at each of the study's densities.
fn level(report: &crate::study::report::StudyReport, name: String, y: f64) -> Series {
    Series {
        name,
        style: plain(RGBColor(90, 90, 90)),
        kind: Kind::Dashed,
        points: per_network(report, |_| Some(y)),
    }
}

/// One point per network with a value (`y`), at its place on the x axis ([`abscissa`]), in
/// order of x.
fn per_network(
    report: &crate::study::report::StudyReport,
    y: impl Fn(&crate::study::report::NetworkReport) -> Option<f64>,
) -> Vec<XyPoint> {
    let x = abscissa(report).x;
    by_x(
        report
            .networks
            .iter()
            .zip(x)
            .filter_map(|(n, x)| {
                Some(XyPoint {
                    x,
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
    let axis = abscissa(report);
    let accuracies: Vec<(f64, Vec<f64>)> = axis
        .x
        .iter()
        .zip(&report.seed_accuracy)
        .map(|(&x, s)| (x, s.final_accuracy()))
        .collect();
    let mut series = Vec::new();
    if seeds > 1 {
        series.push(Series {
            name: format!("each of {seeds} seeds"),
            style: plain(RGBColor(160, 160, 160)),
            kind: Kind::Dots,
            points: accuracies
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
        accuracies
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
    let reference = accuracies.first().map(|(_, acc)| mean_sd(acc).0);
    series.push(Series {
        name: if seeds > 1 {
            format!("mean ± sd over {seeds} seeds")
        } else {
            format!("seed {}", report.seed)
        },
        style: style(0),
        kind: axis.joined(),
        points,
    });
    if let (Some(r), Some(first)) = (reference, report.networks.first()) {
        let what = if seeds > 1 { " (mean)" } else { "" };
        series.push(level(
            report,
            format!("{}{what} − 0.01", first.name),
            r - 0.01,
        ));
    }
    let panel = Panel {
        title: format!(
            "Final-exit accuracy {} ({} epochs, lr {}, weight decay {}{})",
            axis.against(),
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
            x_label: axis.label,
            x_places: axis.places,
            spread: SEED_SD,
            y_label: "final-exit accuracy (fraction)".into(),
            series,
            notes: Vec::new(),
            rules: Vec::new(),
        }),
    };
    Figure {
        stem: SPARSITY_FIGURES[0].into(),
        panels: vec![panel],
    }
}

fn sparsity_cost(report: &crate::study::report::StudyReport) -> Figure {
    let Some(first) = report.networks.first() else {
        return Figure {
            stem: SPARSITY_FIGURES[1].into(),
            panels: Vec::new(),
        };
    };
    let axis = abscissa(report);
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
                style: style(k),
                kind: axis.joined(),
                points: per_network(report, |n| Some(value(n.profile.splits.get(k)?) as f64)),
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
        // Black, in the shape after the splits': unlike every split's series.
        style: Style {
            colour: BLACK,
            shape: SHAPES[exits % SHAPES.len()],
        },
        kind: axis.joined(),
        points: per_network(report, |n| Some(n.profile.weights as f64)),
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
            x_label: axis.label.clone(),
            x_places: axis.places.clone(),
            spread: RUN_INTERVALS,
            y_label: y_label.into(),
            series,
            notes: Vec::new(),
            rules: Vec::new(),
        }),
    };
    Figure {
        stem: SPARSITY_FIGURES[1].into(),
        panels: vec![
            panel(
                &format!("Device MACs per sample {}", axis.against()),
                "device MACs (nonzero weights run)",
                macs,
            ),
            panel(
                &format!("Stored weights {}", axis.against()),
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
            if !p.is_final_exit() && !policies.contains(&p.policy.as_str()) {
                policies.push(&p.policy);
            }
        }
    }
    let panels = policies
        .iter()
        .map(|&policy| {
            // A policy that sets or learns its own threshold is not run at the study's α.
            let settings = report.prices.as_ref().map_or_else(String::new, |p| {
                if sets_own_alpha(policy) {
                    format!(", {}", runs(p.runs))
                } else {
                    format!(", α = {}, {}", p.alpha, runs(p.runs))
                }
            });
            let series: Vec<Series> = report
                .networks
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let costs = n.costs.as_ref()?;
                    let final_acc = costs
                        .policies
                        .iter()
                        .find(|p| p.is_final_exit())
                        .and_then(|p| p.accuracy)
                        .map(|a| a.mean)
                        .or_else(|| n.exit_accuracy.last().copied())?;
                    let p = costs.policies.iter().find(|p| p.policy == policy)?;
                    Some(Series {
                        name: format!("{} (density {:.2})", n.name, density(n)),
                        style: style(i),
                        kind: Kind::Marker,
                        points: vec![XyPoint::estimate(
                            final_acc - p.accuracy?.mean,
                            p.cost_reduction,
                        )],
                    })
                })
                .collect();
            Panel {
                title: format!("{policy}: cost saved vs accuracy lost, per density{settings}"),
                trace: report.config.clone(),
                body: Body::Xy(XyPanel {
                    x_label: "accuracy drop vs the final exit (fraction)".into(),
                    x_places: None,
                    spread: RUN_INTERVALS,
                    y_label: "cost reduction vs the final exit (fraction)".into(),
                    series,
                    notes: Vec::new(),
                    rules: Vec::new(),
                }),
            }
        })
        .collect();
    Figure {
        stem: SPARSITY_FIGURES[2].into(),
        panels,
    }
}
