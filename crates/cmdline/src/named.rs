//! [`named_values!`]: an option value that is one of a fixed set of names
//! (`log=debug`, `ktest=timer`), declared once: the enum, its names, the
//! list of them for error messages, lookup by name and `Display`.

/// Declares `pub enum $name` with one variant per `Variant = "name"` row
/// (documented as written), plus `ALL` (in row order), `EXPECTED` (`"one
/// of a, b, c"`, for [`crate::Problem::BadValue`]), `name()`,
/// `from_name()` (ignoring ASCII case) and `Display`.
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [Self; [$(Self::$variant),+].len()] = [$(Self::$variant),+];

            /// What the option's value must be; used in
            /// [`crate::Problem::BadValue`].
            pub const EXPECTED: &'static str =
                $crate::named::one_of!($($text),+);

            /// The name used on the command line.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value called `name`, ignoring ASCII case.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.name().eq_ignore_ascii_case(name))
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// `"one of a, b, c"` from the literals `"a", "b", "c"`.
macro_rules! one_of {
    ($first:literal $(, $rest:literal)*) => {
        concat!("one of ", $first $(, ", ", $rest)*)
    };
}

pub(crate) use named_values;
pub(crate) use one_of;
