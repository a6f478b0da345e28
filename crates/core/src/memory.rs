//! What work would hold in memory, counted before it starts. Every count and size that sets an
//! allocation (runs, samples, exits, layer widths, kernel sizes) passes through [`Bytes`], whose
//! arithmetic is checked, and [`Bytes::check`] refuses work that would need more than the
//! machine has, with one line saying how much, before anything is allocated.

use std::fmt;

/// A number of bytes, or more than 64 bits can count once a product or sum overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(Option<u64>);

impl Bytes {
    pub const ZERO: Self = Self(Some(0));

    /// `count` items of `each` bytes.
    pub fn of(count: usize, each: usize) -> Self {
        Self(Self::from(count).times(each).0)
    }

    /// This many bytes `times` over.
    pub fn times(self, times: usize) -> Self {
        Self(
            self.0
                .zip(u64::try_from(times).ok())
                .and_then(|(b, t)| b.checked_mul(t)),
        )
    }

    pub fn plus(self, other: Self) -> Self {
        Self(self.0.zip(other.0).and_then(|(a, b)| a.checked_add(b)))
    }

    /// The count, unless it overflowed.
    pub fn get(self) -> Option<u64> {
        self.0
    }

    /// `Ok` when this fits in the memory the machine has ([`available`]); otherwise a
    /// [`MemoryError`] saying that `what` would need this much.
    pub fn check(self, what: impl Into<String>) -> Result<Self, MemoryError> {
        self.check_within(what, available())
    }

    /// [`Bytes::check`] against `available` bytes.
    pub fn check_within(
        self,
        what: impl Into<String>,
        available: u64,
    ) -> Result<Self, MemoryError> {
        match self.0 {
            Some(need) if need <= available => Ok(self),
            _ => Err(MemoryError {
                what: what.into(),
                need: self,
                available: Bytes(Some(available)),
            }),
        }
    }
}

impl From<usize> for Bytes {
    fn from(bytes: usize) -> Self {
        Self(u64::try_from(bytes).ok())
    }
}

impl fmt::Display for Bytes {
    /// Binary units, three significant digits: `512 B`, `1.50 GiB`, `96.0 TiB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let Some(bytes) = self.0 else {
            return f.write_str("more than 16 EiB");
        };
        let mut value = bytes as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        match unit {
            0 => write!(f, "{bytes} B"),
            _ if value >= 100.0 => write!(f, "{value:.0} {}", UNITS[unit]),
            _ if value >= 10.0 => write!(f, "{value:.1} {}", UNITS[unit]),
            _ => write!(f, "{value:.2} {}", UNITS[unit]),
        }
    }
}

/// Work refused up front: it would need more memory than the machine has.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what} would need {need} of memory, but {available} is available")]
pub struct MemoryError {
    pub what: String,
    pub need: Bytes,
    pub available: Bytes,
}

/// Memory assumed where the machine does not say (no `/proc/meminfo`).
pub const FALLBACK_AVAILABLE: u64 = 8 << 30;

/// The memory the machine can give without swapping: `MemAvailable` of `/proc/meminfo`, or
/// [`FALLBACK_AVAILABLE`] where that is unknown.
pub fn available() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_available(&text))
        .unwrap_or(FALLBACK_AVAILABLE)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Bytes::of(3, 8).get(), Some(24));
        assert_eq!(
            Bytes::of(3, 8).times(2).plus(Bytes::of(1, 1)).get(),
            Some(49)
        );
        assert_eq!(Bytes::of(usize::MAX, 2).get(), None);
        assert_eq!(Bytes::of(1, 8).times(usize::MAX).get(), None);
        assert_eq!(Bytes::of(1, 1).plus(Bytes::of(usize::MAX, 24)).get(), None);
        assert_eq!(
            Bytes::of(usize::MAX, 2).times(0).get(),
            None,
            "overflow stays overflow"
        );
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(Bytes::of(512, 1).to_string(), "512 B");
        assert_eq!(Bytes::of(3, 1 << 29).to_string(), "1.50 GiB");
        assert_eq!(Bytes::of(96, 1 << 40).to_string(), "96.0 TiB");
        assert_eq!(Bytes::of(usize::MAX, 2).to_string(), "more than 16 EiB");
    }

    #[test]
    fn work_beyond_the_available_memory_is_refused_with_its_need() {
        assert!(Bytes::of(1 << 20, 1)
            .check_within("a trace", 1 << 30)
            .is_ok());
        assert_eq!(
            Bytes::of(3, 1 << 30)
                .check_within("replaying 4294967296 runs", 1 << 30)
                .unwrap_err()
                .to_string(),
            "replaying 4294967296 runs would need 3.00 GiB of memory, but 1.00 GiB is available"
        );
        assert!(Bytes::of(usize::MAX, 8).check("anything").is_err());
    }

    #[test]
    fn meminfo_is_read_in_kibibytes() {
        let text = "MemTotal:       32000000 kB\nMemAvailable:   22962504 kB\n";
        assert_eq!(mem_available(text), Some(22_962_504 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert!(available() > 0);
    }
}
