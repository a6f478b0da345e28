//! Seeded synthetic traces. Stub: to be implemented.
