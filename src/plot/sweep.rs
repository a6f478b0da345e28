//! The figures of a sweep report.

use super::draw::{register_font, write_figures, PlotError};
use super::figure::*;
use crate::config::PublishedSection;
use crate::report::PolicyResult;
use crate::report::{PointResult, SweepReport};
use crate::stats::Estimate;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file stems of the figures, in the order [`plot_sweep`] writes them.
pub const FIGURES: [&str; 5] = [
    "accuracy-vs-offload",
    "cost-vs-offload",
    "regret",
    "arm-timeline",
    "pareto",
];

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

/// The report, indexed per trace.
struct Sweep<'a> {
    report: &'a SweepReport,
    traces: Vec<TraceView<'a>>,
    /// The policies some figure draws, in the sweep's order: each one's position is its style.
    drawn: Vec<&'a str>,
}

struct TraceView<'a> {
    name: String,
    /// Points varying only the offloading cost (other axes at the trace's first values),
    /// by increasing cost.
    series: Vec<&'a PointResult>,
    /// The point the regret, timeline and Pareto plots show.
    focus: Option<&'a PointResult>,
    frontier: Option<&'a crate::report::Frontier>,
    /// Where the stream passes to its next file or phase, for the plots over time.
    rules: Vec<Rule>,
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
                    rules: segment_rules(&report.traces[t]),
                }
            })
            .collect();
        let settings = &report.report;
        let drawn = report
            .policies
            .iter()
            .filter(|p| listed(&settings.plot_policies, p) || listed(&settings.regret_policies, p))
            .map(String::as_str)
            .collect();
        Self {
            report,
            traces,
            drawn,
        }
    }

    /// A fixed style per policy, the same in every figure: its position among the policies
    /// drawn, so that up to 9 of them differ in both colour and shape. A name only the
    /// published numbers use takes the style of its first variant (`splitee-s` that of
    /// `splitee-s:strict`), else a hash of the name.
    fn style(&self, policy: &str) -> Style {
        let policies = &self.drawn;
        let index = policies
            .iter()
            .position(|&p| p == policy)
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
        style(index)
    }
}

/// The legend's note when a report setting (`setting`) selected `shown` of `total` policies:
/// which, and where the others are.
fn selection_note(shown: usize, total: usize, setting: &str) -> Vec<String> {
    if shown < total {
        vec![format!(
            "{shown} of {total} policies, chosen by report.{setting}; every policy is in sweep.md"
        )]
    } else {
        Vec::new()
    }
}

/// Whether `names` (all when `None`) lists `policy`.
fn listed(names: &Option<Vec<String>>, policy: &str) -> bool {
    names
        .as_ref()
        .is_none_or(|names| names.iter().any(|n| n == policy))
}

/// How a policy is named in a legend: with the run's α when the panel also shows policies at
/// thresholds of their own, so that the title need not claim one α for all.
fn label(policy: &str, alpha: Option<f64>) -> String {
    match alpha {
        Some(alpha) if !sets_own_alpha(policy) => format!("{policy} (α = {alpha})"),
        _ => policy.to_owned(),
    }
}

/// The run's α, for the labels of `policies` when some of them set their own (see [`label`]).
fn mixed_alpha<'b>(alpha: f64, mut policies: impl Iterator<Item = &'b str>) -> Option<f64> {
    policies.any(sets_own_alpha).then_some(alpha)
}

/// The trace's files, as the second line of each panel heading.
fn trace_name(report: &SweepReport, t: usize) -> String {
    match report.traces[t].paths.join(", ") {
        name if name.is_empty() => format!("trace {}", t + 1),
        name => name,
    }
}

/// A rule where each segment of a trace replayed in order starts: named by its file when the
/// trace is one file per segment, else by its number ("segment 2", a phase of a generated
/// drifting stream).
fn segment_rules(trace: &crate::report::TraceMeta) -> Vec<Rule> {
    let by_file = trace.paths.len() == trace.segment_starts.len() + 1;
    trace
        .segment_starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let name = match &trace.paths[..] {
                paths if by_file => file_name(&paths[i + 1]),
                _ => format!("segment {}", i + 2),
            };
            Rule {
                x: start as f64,
                label: format!("{name} from here"),
            }
        })
        .collect()
}

/// The last component of a path as the report records it (`datasets/imdb.csv`: `imdb.csv`).
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// The settings shared by a panel's series, for its title; α only when every series plays at
/// it (`mixed` is the α the legend names instead, see [`label`]).
fn fixed_axes(p: &PointResult, n_runs: usize, mixed: Option<f64>) -> String {
    let p = &p.point;
    let mut axes = Vec::new();
    if mixed.is_none() {
        axes.push(format!("α = {}", p.alpha));
    }
    if p.lambda > 0.0 {
        axes.push(format!("λ = {}", p.lambda));
    }
    axes.push(format!(
        "μ = {}, UCB c = {}, {}",
        p.mu,
        p.ucb_c,
        runs(n_runs)
    ));
    axes.join(", ")
}

/// The unit of a point's costs and offloading cost: the trace's measured milliseconds, or the
/// cost model's own units (the reward's).
fn cost_unit(p: &PointResult) -> &'static str {
    match p.cost.processing {
        crate::cost::ProcessingCost::Measured => "ms",
        _ => "cost units",
    }
}

/// Whether a point's costs come from a network profile, which prices offloading from the
/// profile's bytes: such a point has no offloading cost `o`, whatever it records.
fn priced_by_profile(p: &PointResult) -> bool {
    matches!(p.cost.processing, crate::cost::ProcessingCost::Profile(_))
}

/// The offloading cost `o` of a point, `None` when its cost model has none (given per split,
/// or priced by a profile).
fn offload_of(p: &PointResult) -> Option<f64> {
    (!priced_by_profile(p) && p.point.offload.is_finite()).then_some(p.point.offload)
}

/// The offloading costs of a point, for titles: `o = 0.5`, or where they come from.
fn offload_text(p: &PointResult) -> String {
    match offload_of(p) {
        Some(o) if cost_unit(p) == "ms" => format!("o = {o} ms"),
        Some(o) => format!("o = {o}"),
        None if priced_by_profile(p) => "the profile's off(k)".into(),
        None => "per-split o".into(),
    }
}

/// What the two offloading-cost figures plot.
struct OffloadMetric {
    stem: &'static str,
    what: &'static str,
    y_label: &'static str,
    /// Whether the plotted value is a cost, in the cost model's unit.
    is_cost: bool,
    value: fn(&PolicyResult) -> Option<Estimate>,
    published: fn(&PublishedSection) -> &BTreeMap<String, Vec<f64>>,
}

/// Accuracy (a fraction) against the offloading cost, one line per policy, published values beside.
fn accuracy_vs_offload(sweep: &Sweep) -> Figure {
    versus_offload(
        sweep,
        &OffloadMetric {
            stem: FIGURES[0],
            what: "Accuracy",
            y_label: "accuracy (fraction)",
            is_cost: false,
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
            is_cost: true,
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
            // Priced by a profile there is no o to plot against: each policy is one point, at
            // its place in the legend.
            // So is a sweep of one offloading cost: a line over one x would be a column of
            // markers.
            let priced = trace.series.iter().all(|p| priced_by_profile(p));
            let points: Vec<&PointResult> = if priced {
                trace.series.iter().copied().take(1).collect()
            } else {
                trace
                    .series
                    .iter()
                    .copied()
                    .filter(|p| offload_of(p).is_some())
                    .collect()
            };
            let by_policy = priced || points.len() == 1;
            let only = &sweep.report.report.plot_policies;
            let policies: Vec<&String> = sweep
                .report
                .policies
                .iter()
                .filter(|policy| listed(only, policy))
                .collect();
            let mixed = points.first().and_then(|first| {
                mixed_alpha(first.point.alpha, policies.iter().map(|p| p.as_str()))
            });
            let against = if by_policy {
                "per policy"
            } else {
                "vs offloading cost"
            };
            let title = match points.first() {
                Some(first) => format!(
                    "{} {against} ({})",
                    metric.what,
                    fixed_axes(first, sweep.report.runs, mixed)
                ),
                None => format!("{} {against}", metric.what),
            };
            let panel = |body| Panel {
                title: title.clone(),
                trace: trace.name.clone(),
                body,
            };
            if points.is_empty() {
                return panel(Body::Note("the offloading cost was not swept".into()));
            }
            let mut series: Vec<Series> = policies
                .iter()
                .filter_map(|&policy| {
                    let points: Vec<XyPoint> = points
                        .iter()
                        .filter_map(|p| {
                            let r = p.results.iter().find(|r| &r.policy == policy)?;
                            Some(XyPoint::estimate(p.point.offload, (metric.value)(r)?))
                        })
                        .collect();
                    (!points.is_empty()).then(|| Series {
                        name: label(policy, mixed),
                        style: sweep.style(policy),
                        kind: Kind::Errorbars,
                        points,
                    })
                })
                .collect();
            if series.is_empty() {
                return panel(Body::Note("no values: the trace is unlabeled".into()));
            }
            let x_label = if by_policy {
                for (place, s) in series.iter_mut().enumerate() {
                    for p in &mut s.points {
                        p.x = (place + 1) as f64;
                    }
                }
                if priced {
                    "policy (the profile cost model has no o)".to_string()
                } else {
                    format!("policy (one offloading cost, {})", offload_text(points[0]))
                }
            } else {
                if let Some(published) = &sweep.report.published {
                    let values = (metric.published)(published);
                    series.extend(published_series(sweep, published, values));
                }
                format!("offloading cost o ({})", cost_unit(points[0]))
            };
            let unit = cost_unit(points[0]);
            let y_label = if metric.is_cost {
                format!("{} ({unit})", metric.y_label)
            } else {
                metric.y_label.to_string()
            };
            panel(Body::Xy(XyPanel {
                x_places: by_policy.then(|| series.iter().map(|s| s.name.clone()).collect()),
                x_label,
                spread: RUN_INTERVALS,
                y_label,
                series,
                notes: selection_note(policies.len(), sweep.report.policies.len(), "plot_policies"),
                rules: Vec::new(),
            }))
        })
        .collect();
    Figure {
        stem: metric.stem.into(),
        panels,
    }
}

/// The published values of each policy, as dashed series in the policy's colour and shape.
fn published_series(
    sweep: &Sweep,
    published: &PublishedSection,
    values: &BTreeMap<String, Vec<f64>>,
) -> Vec<Series> {
    values
        .iter()
        .map(|(policy, ys)| Series {
            name: format!("{policy} (published)"),
            style: sweep.style(policy),
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
    let only = &sweep.report.report.regret_policies;
    let panels = sweep
        .traces
        .iter()
        .filter_map(|trace| {
            let focus = trace.focus?;
            let results: Vec<&PolicyResult> = focus
                .results
                .iter()
                .filter(|r| listed(only, &r.policy))
                .collect();
            let mixed = mixed_alpha(focus.point.alpha, results.iter().map(|r| r.policy.as_str()));
            let mut notes = selection_note(results.len(), focus.results.len(), "regret_policies");
            notes.extend(regret_references(&results));
            let series: Vec<Series> = results
                .iter()
                .map(|r| {
                    let c = &r.regret_curve;
                    Series {
                        name: label(&r.policy, mixed),
                        style: sweep.style(&r.policy),
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
                    offload_text(focus),
                    fixed_axes(focus, sweep.report.runs, mixed)
                ),
                trace: trace.name.clone(),
                body: if series.is_empty() {
                    Body::Note("no policy selected by report.regret_policies".into())
                } else {
                    Body::Xy(XyPanel {
                        x_label: "time t (samples)".into(),
                        x_places: None,
                        spread: RUN_INTERVALS,
                        y_label: "cumulative regret (reward units)".into(),
                        series,
                        notes,
                        rules: trace.rules.clone(),
                    })
                },
            })
        })
        .collect();
    Figure {
        stem: FIGURES[2].into(),
        panels,
    }
}

/// What the regret curves of `results` are measured against, where a reader would assume
/// otherwise: each policy's best fixed arm among its own arms (a threshold learner's is a
/// (split, threshold) pair, not the best split), named when they differ; one arm for all
/// contexts for per-context learners; the best arm by reward for learners that keep an
/// agreement floor instead of maximising reward.
fn regret_references(results: &[&PolicyResult]) -> Vec<String> {
    let per_context = |r: &&PolicyResult| r.spec().is_some_and(|spec| spec.contexts.is_some());
    let mut notes = Vec::new();
    let mut references: Vec<(String, Vec<&str>)> = Vec::new();
    for r in results {
        let best = r.best_label();
        match references.iter_mut().find(|(label, _)| *label == best) {
            Some((_, policies)) => policies.push(&r.policy),
            None => references.push((best, vec![&r.policy])),
        }
    }
    if references.len() > 1 {
        // The largest group is "the others"; the rest are named.
        references.sort_by_key(|(_, policies)| std::cmp::Reverse(policies.len()));
        let (common, _) = &references[0];
        let named: Vec<String> = references[1..]
            .iter()
            .map(|(arm, policies)| format!("arm {arm} for {}", policies.join(", ")))
            .collect();
        notes.push(format!(
            "Regret is against each policy's best fixed arm among its own arms: {}; arm {common} \
             for the others.",
            named.join("; ")
        ));
    }
    if results.iter().any(per_context) {
        notes.push(
            "Per-context learners are measured against one best arm for all contexts: below 0 \
             when they beat it."
                .into(),
        );
    }
    let below: Vec<&str> = results
        .iter()
        .filter(|r| r.cumulative_regret.mean < 0.0 && !per_context(r))
        .map(|r| r.policy.as_str())
        .collect();
    if !below.is_empty() {
        notes.push(format!(
            "Below 0 ({}): the reference is one fixed arm for the whole trace, which a learner \
             that follows a change in the data can beat.",
            below.join(", ")
        ));
    }
    let constrained: Vec<&str> = results
        .iter()
        .filter(|r| r.constraint.is_some())
        .map(|r| r.policy.as_str())
        .collect();
    if !constrained.is_empty() {
        notes.push(format!(
            "Learners keeping an agreement floor ({}): regret is against the best arm by reward, \
             which they do not maximise by design.",
            constrained.join(", ")
        ));
    }
    notes
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
                .filter(|r| r.spec().is_some_and(|s| s.is_bandit()))
                .map(move |r| Panel {
                    title: format!("Arms played by {} at {}", r.policy, offload_text(focus)),
                    trace: trace.name.clone(),
                    body: Body::Heat(HeatPanel {
                        t: r.arm_timeline.t.clone(),
                        share: r.arm_timeline.share.clone(),
                        arms: r.arm_counts.len(),
                        rules: trace.rules.clone(),
                    }),
                })
        })
        .collect();
    Figure {
        stem: FIGURES[3].into(),
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
                    y: a.accuracy?,
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
                    style: plain(RGBColor(160, 160, 160)),
                    kind: Kind::Dots,
                    points: all,
                },
                Series {
                    name: "Pareto front".into(),
                    style: plain(BLACK),
                    kind: Kind::Front,
                    points: front,
                },
            ];
            let focus = trace.focus;
            let only = &sweep.report.report.plot_policies;
            let results: Vec<&PolicyResult> = focus
                .iter()
                .flat_map(|f| &f.results)
                .filter(|r| listed(only, &r.policy))
                .collect();
            let total = focus.map_or(0, |f| f.results.len());
            let notes = selection_note(results.len(), total, "plot_policies");
            let mixed = focus.and_then(|f| {
                mixed_alpha(f.point.alpha, results.iter().map(|r| r.policy.as_str()))
            });
            series.extend(results.iter().filter_map(|r| {
                Some(Series {
                    name: label(&r.policy, mixed),
                    style: sweep.style(&r.policy),
                    kind: Kind::Marker,
                    points: vec![XyPoint::estimate(r.cost_per_sample.mean, r.accuracy?)],
                })
            }));
            let at = focus.map_or_else(String::new, |f| match mixed {
                Some(_) => format!(" at {}", offload_text(f)),
                None => format!(" at {}, policies at α = {}", offload_text(f), f.point.alpha),
            });
            Some(Panel {
                title: format!("Fixed arms (split, α) and policies{at}"),
                trace: trace.name.clone(),
                body: Body::Xy(XyPanel {
                    x_label: format!(
                        "cost per sample ({})",
                        trace.series.first().map_or("cost units", |p| cost_unit(p))
                    ),
                    x_places: None,
                    spread: RUN_INTERVALS,
                    y_label: "accuracy (fraction)".into(),
                    series,
                    notes,
                    rules: Vec::new(),
                }),
            })
        })
        .collect();
    Figure {
        stem: FIGURES[4].into(),
        panels,
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing, generic over the backend.
