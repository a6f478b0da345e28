//! Choosing grid points: a shard (`--shard I/N`) or a list of indices and ranges
//! (`--points 0,3,5-9`), and the one-file-per-point outputs that let a partial sweep resume.

use super::Shard;
use std::path::{Path, PathBuf};

/// Grid point indices as the user writes them: comma-separated indices and inclusive ranges
/// (`0,3,5-9`). Ranges stay ranges, so `0-1000000000` costs nothing until checked against a
/// grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointList(Vec<(usize, usize)>);

impl PointList {
    /// The list of `indices` (sorted, without repeats), written with runs as ranges.
    pub fn of(indices: &[usize]) -> Self {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for &i in indices {
            match ranges.last_mut() {
                Some((_, end)) if end.checked_add(1) == Some(i) => *end = i,
                _ => ranges.push((i, i)),
            }
        }
        Self(ranges)
    }

    fn contains(&self, index: usize) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&index))
    }

    fn last(&self) -> usize {
        self.0.iter().map(|&(_, b)| b).max().unwrap_or(0)
    }
}

impl std::fmt::Display for PointList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|&(a, b)| match b - a {
                0 => a.to_string(),
                1 => format!("{a},{b}"),
                _ => format!("{a}-{b}"),
            })
            .collect();
        f.write_str(&items.join(","))
    }
}

impl std::str::FromStr for PointList {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let wrong = || {
            format!(
                "`{s}`: points are grid indices and inclusive ranges separated by commas, \
                 e.g. 0,3,5-9 (`splitee sweep --list-points` lists them)"
            )
        };
        let index = |t: &str| t.trim().parse::<usize>().map_err(|_| wrong());
        let ranges = s
            .split(',')
            .map(|item| match item.split_once('-') {
                Some((a, b)) => match (index(a)?, index(b)?) {
                    (a, b) if a <= b => Ok((a, b)),
                    _ => Err(wrong()),
                },
                None => index(item).map(|i| (i, i)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(ranges))
    }
}

/// The part of a grid one invocation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// `--shard I/N`: the points whose index is I modulo N.
    Shard(Shard),
    /// `--points LIST`.
    Points(PointList),
}

impl Selection {
    /// The selected indices of a grid of `grid_size` points, in order; an error naming the
    /// first index the grid does not have.
    pub fn indices(&self, grid_size: usize) -> Result<Vec<usize>, String> {
        match self {
            Selection::Shard(s) => Ok((s.index..grid_size).step_by(s.count).collect()),
            Selection::Points(list) if list.last() >= grid_size => Err(format!(
                "--points: the grid has no point {} (it has {grid_size} points, 0-{})",
                list.last(),
                grid_size.saturating_sub(1)
            )),
            Selection::Points(list) => Ok((0..grid_size).filter(|&i| list.contains(i)).collect()),
        }
    }
}

/// The file holding the results of grid point `index` in a partial sweep's folder.
pub fn point_file(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("point-{index}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_lists_parse_ranges_and_print_them_back() {
        let list: PointList = "7, 0-2,4".parse().unwrap();
        assert_eq!(Selection::Points(list).indices(10), Ok(vec![0, 1, 2, 4, 7]));
        assert_eq!(PointList::of(&[0, 1, 2, 4, 5, 9]).to_string(), "0-2,4,5,9");
        for bad in ["", "1,", "3-1", "a", "-1", "1-2-3"] {
            assert!(bad.parse::<PointList>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_selection_beyond_the_grid_is_refused() {
        let huge: PointList = "3-18446744073709551615".parse().unwrap();
        assert_eq!(
            Selection::Points(huge).indices(11).unwrap_err(),
            "--points: the grid has no point 18446744073709551615 (it has 11 points, 0-10)"
        );
        let shard = Selection::Shard(Shard { index: 1, count: 3 });
        assert_eq!(shard.indices(8), Ok(vec![1, 4, 7]));
    }
}
