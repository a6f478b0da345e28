//! Joining the reports of a sweep's shards.

use crate::report::SweepReport;

/// A set of shard reports that cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot merge: {0}")]
pub struct MergeError(pub String);

/// Joins the reports of all shards of one sweep into the report an unsharded run gives.
pub fn merge(shards: Vec<SweepReport>) -> std::result::Result<SweepReport, MergeError> {
    let mut shards = shards.into_iter();
    let mut merged = shards
        .next()
        .ok_or_else(|| MergeError("no shard given".into()))?;
    let count = merged.shard.map_or(1, |(_, n)| n);
    let mut seen = vec![false; count];
    let mark = |seen: &mut Vec<bool>, report: &SweepReport| match report.shard {
        Some((i, n)) if n == count && !seen[i] => {
            seen[i] = true;
            Ok(())
        }
        Some((i, n)) => Err(MergeError(format!(
            "shard {i}/{n} is a duplicate or from a {n}-way split, not {count}"
        ))),
        None => Err(MergeError("a complete sweep is not a shard".into())),
    };
    mark(&mut seen, &merged)?;
    for report in shards {
        mark(&mut seen, &report)?;
        if let Some(setting) = first_difference(&merged, &report) {
            let shard = |r: &SweepReport| {
                r.shard
                    .map_or_else(String::new, |(i, n)| format!("{i}/{n}"))
            };
            return Err(MergeError(format!(
                "shards {} and {} were made with different {setting}",
                shard(&merged),
                shard(&report)
            )));
        }
        merged.points.extend(report.points);
        merged.frontiers.extend(report.frontiers);
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(MergeError(format!("shard {missing}/{count} is missing")));
    }
    merged.points.sort_by_key(|p| p.point.index);
    merged.frontiers.sort_by_key(|f| f.point);
    merged.shard = None;
    Ok(merged)
}

/// The first setting two shards of one sweep must share and do not, by name: everything a
/// point's results depend on besides the point itself.
fn first_difference(a: &SweepReport, b: &SweepReport) -> Option<&'static str> {
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
