//! Enumerations a user picks by name (flags, config files, bindings): each variant's name and a
//! line of help, declared once beside the type, so that no front end restates them.

/// A choice among named variants.
pub trait Named: Sized + Copy + PartialEq + 'static {
    /// Every variant, with its name and what it means.
    const VARIANTS: &'static [(Self, &'static str, &'static str)];

    /// The variant's name.
    fn name(self) -> &'static str {
        Self::VARIANTS
            .iter()
            .find(|(v, _, _)| *v == self)
            .map_or("", |(_, name, _)| name)
    }

    /// The variant called `name`, if any.
    fn from_name(name: &str) -> Option<Self> {
        Self::VARIANTS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(v, _, _)| *v)
    }
}

/// `impl Display` by name for [`Named`] types.
#[macro_export]
macro_rules! display_by_name {
    ($($t:ty),+) => {$(
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::named::Named::name(*self))
            }
        }
    )+};
}
