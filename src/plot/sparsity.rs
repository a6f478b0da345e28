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

/// A dashed horizontal line at `y`, marked at each of the study's densities.
fn level(report: &crate::study::report::StudyReport, name: String, y: f64) -> Series {
    Series {
        name,
        style: plain(RGBColor(90, 90, 90)),
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
                    x: density(n),
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
        .map(|(n, s)| (density(n), s.final_accuracy()))
        .collect();
    let mut series = Vec::new();
    if seeds > 1 {
        series.push(Series {
            name: format!("each of {seeds} seeds"),
            style: plain(RGBColor(160, 160, 160)),
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
        style: style(0),
        kind: Kind::Errorbars,
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
            x_label: "overall density (fraction)".into(),
            x_positions: false,
            spread: SEED_SD,
            y_label: "final-exit accuracy (fraction)".into(),
            series,
            notes: Vec::new(),
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
        // Black, in the shape after the splits': unlike every split's series.
        style: Style {
            colour: BLACK,
            shape: SHAPES[exits % SHAPES.len()],
        },
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
            x_label: "overall density (fraction)".into(),
            x_positions: false,
            spread: RUN_INTERVALS,
            y_label: y_label.into(),
            series,
            notes: Vec::new(),
        }),
    };
    Figure {
        stem: SPARSITY_FIGURES[1].into(),
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
                    x_positions: false,
                    spread: RUN_INTERVALS,
                    y_label: "cost reduction vs the final exit (fraction)".into(),
                    series,
                    notes: Vec::new(),
                }),
            }
        })
        .collect();
    Figure {
        stem: SPARSITY_FIGURES[2].into(),
        panels,
    }
}
