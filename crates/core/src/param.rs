//! A finite real parameter of a policy or arm-set name.

use std::fmt;
use std::hash::{Hash, Hasher};

/// A finite real parameter of a policy name. Equality and hashing are on the value's bits
/// (`-0` is stored as `0`), so [`crate::policy::PolicySpec`] stays `Eq + Hash`; it displays as the shortest
/// decimal that parses back to the same value, so names round-trip.
#[derive(Debug, Clone, Copy)]
pub struct Param(f64);

impl Param {
    pub const ZERO: Self = Self(0.0);
    pub const ONE: Self = Self(1.0);

    /// A constant default; `value` must be finite and not `-0` (checked at compile time where
    /// used in a `const`).
    pub const fn from_const(value: f64) -> Self {
        assert!(value.is_finite());
        Self(value)
    }

    /// `None` unless `value` is finite.
    pub fn new(value: f64) -> Option<Self> {
        value.is_finite().then_some(Self(value + 0.0))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl PartialEq for Param {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Param {}

impl Hash for Param {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl serde::Serialize for Param {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Param {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        Self::new(value).ok_or_else(|| serde::de::Error::custom("a parameter must be finite"))
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
