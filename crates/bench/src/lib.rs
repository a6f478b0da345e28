//! Criterion benchmarks of [`splitee_core`], in `benches/` (see `benches/README.md`). The crate
//! has no code of its own: it keeps criterion out of the engine's dependency tree.
