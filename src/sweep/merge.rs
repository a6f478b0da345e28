//! Joining the reports of a sweep's parts (one file per grid point) into the whole report.

use super::points::PointList;
use crate::report::SweepReport;

/// A set of partial reports that cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot merge: {0}")]
pub struct MergeError(pub String);

/// Joins partial reports of one sweep, each given with the name of its file, into the report an
/// undivided run gives. Every grid point must be in exactly one part, and every part made with
/// the same settings.
pub fn merge(parts: Vec<(String, SweepReport)>) -> Result<SweepReport, MergeError> {
    let mut parts = parts.into_iter();
    let (first_name, mut merged) = parts
        .next()
        .ok_or_else(|| MergeError("no file given".into()))?;
    let grid_size = merged.grid_size;
    // The file each grid point came from.
    let mut source: Vec<Option<String>> = vec![None; grid_size];
    let mut claim = |name: &str, report: &SweepReport| {
        for p in &report.points {
            let index = p.point.index;
            match source.get_mut(index) {
                None => {
                    return Err(MergeError(format!(
                        "{name} holds point {index}, beyond the grid's {grid_size} points"
                    )))
                }
                Some(Some(other)) => {
                    return Err(MergeError(format!(
                        "point {index} is in both {other} and {name}"
                    )))
                }
                Some(slot) => *slot = Some(name.to_owned()),
            }
        }
        Ok(())
    };
    claim(&first_name, &merged)?;
    for (name, report) in parts {
        if let Some(setting) = first_difference(&merged, &report) {
            return Err(MergeError(format!(
                "{first_name} and {name} were made with different {setting}"
            )));
        }
        claim(&name, &report)?;
        merged.points.extend(report.points);
        merged.frontiers.extend(report.frontiers);
    }
    let missing: Vec<usize> = (0..grid_size).filter(|&i| source[i].is_none()).collect();
    if !missing.is_empty() {
        let list = PointList::of(&missing);
        return Err(MergeError(format!(
            "{} of the grid's {grid_size} points {} missing: {list} (run them with \
             `splitee sweep --points {list}`)",
            missing.len(),
            if missing.len() == 1 { "is" } else { "are" },
        )));
    }
    merged.points.sort_by_key(|p| p.point.index);
    merged.frontiers.sort_by_key(|f| f.point);
    Ok(merged)
}

/// The first setting two parts of one sweep must share and do not, by name: everything a
/// point's results depend on besides the point itself.
pub(crate) fn first_difference(a: &SweepReport, b: &SweepReport) -> Option<&'static str> {
    let differs = [
        ("tool versions", a.tool != b.tool),
        ("config files", a.config != b.config),
        ("traces", a.traces != b.traces),
        ("--runs", a.runs != b.runs),
        ("--seed", a.seed != b.seed),
        ("policies", a.policies != b.policies),
        ("grids", a.grid_size != b.grid_size),
        ("[report] sections", a.report != b.report),
        ("[published] sections", a.published != b.published),
    ];
    differs.into_iter().find(|&(_, d)| d).map(|(name, _)| name)
}
