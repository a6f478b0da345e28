//! NumPy `.npz` traces (SPEC section 4). Stub: to be implemented.
use super::{Trace, TraceError};
use std::path::Path;

pub fn read_npz(path: &Path) -> Result<Trace, TraceError> {
    Err(TraceError::file(path, "NPZ reading is not implemented yet"))
}
