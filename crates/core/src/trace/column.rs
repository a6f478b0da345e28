//! Numeric columns (measured costs) stored as `f32` while that loses nothing.
//!
//! Measured costs dumped from float32 tools are exact in `f32`, so replay needs half the memory;
//! a column switches to `f64` on the first value `f32` cannot hold exactly.

/// A finished column: `f32` storage when every value round-trips exactly, else `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Column {
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Column::F32(v) => f64::from(v[i]),
            Column::F64(v) => v[i],
        }
    }

    /// Hints the CPU to fetch the value at `i` (see `prefetch_slot` in the trace module).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        match self {
            Column::F32(v) => super::prefetch_slot(v, i),
            Column::F64(v) => super::prefetch_slot(v, i),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Column::F32(v) => v.len() * 4,
            Column::F64(v) => v.len() * 8,
        }
    }

    /// Appends `other`, widening to `f64` if either side needs it.
    pub fn extend(&mut self, other: Column) {
        let mut builder = ColumnBuilder::from(std::mem::replace(self, Column::F32(Vec::new())));
        match other {
            Column::F32(v) => v.into_iter().for_each(|x| builder.push(f64::from(x))),
            Column::F64(v) => v.into_iter().for_each(|x| builder.push(x)),
        }
        *self = builder.finish();
    }
}

/// Accumulates values, starting compact and widening once if a value needs `f64`.
#[derive(Debug, Clone)]
pub struct ColumnBuilder(Column);

impl Default for ColumnBuilder {
    fn default() -> Self {
        Self(Column::F32(Vec::new()))
    }
}

impl From<Column> for ColumnBuilder {
    fn from(column: Column) -> Self {
        Self(column)
    }
}

impl ColumnBuilder {
    #[inline]
    pub fn push(&mut self, x: f64) {
        match &mut self.0 {
            Column::F32(v) => {
                let narrow = x as f32;
                if f64::from(narrow) == x {
                    v.push(narrow);
                } else {
                    let mut wide: Vec<f64> = v.iter().map(|&y| f64::from(y)).collect();
                    wide.push(x);
                    self.0 = Column::F64(wide);
                }
            }
            Column::F64(v) => v.push(x),
        }
    }

    pub fn finish(self) -> Column {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_compact_for_float32_values() {
        let mut b = ColumnBuilder::default();
        b.push(0.5014215707778931); // an f32 value printed as f64
        b.push(0.25);
        let c = b.finish();
        assert!(matches!(c, Column::F32(_)));
        assert_eq!(c.get(0), 0.5014215707778931);
    }

    #[test]
    fn widens_without_losing_earlier_values() {
        let mut b = ColumnBuilder::default();
        b.push(0.25);
        b.push(0.56);
        let c = b.finish();
        assert_eq!(c, Column::F64(vec![0.25, 0.56]));
    }

    #[test]
    fn extend_widens_when_needed() {
        let mut a = Column::F32(vec![0.5]);
        a.extend(Column::F64(vec![0.1]));
        assert_eq!(a, Column::F64(vec![0.5, 0.1]));
    }
}
