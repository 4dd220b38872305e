//! Bounded strings: identifiers ([`Code`]) and free text ([`Text`]).
//!
//! Both live inline (no allocator) with a capacity fixed by a const generic.
//! A value that does not fit is refused with an [`IdError`] that hands the
//! value back; nothing is ever truncated.

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string was refused as a [`Code`] or [`Text`]. Holds the refused value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdError<'a> {
    /// The value that was refused, handed back unchanged.
    pub value: &'a str,
    /// What was wrong with it.
    pub kind: IdErrorKind,
}

/// What was wrong with a refused identifier or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdErrorKind {
    /// Longer than the capacity, in bytes.
    TooLong {
        /// The capacity in bytes.
        capacity: usize,
    },
    /// An identifier may not be empty.
    Empty,
    /// An identifier may not contain control characters or spaces at its ends.
    BadCharacter {
        /// Byte offset of the offending character.
        position: usize,
    },
    /// Not a valid value of this kind (wrong digits, wrong check digit, ...).
    Invalid,
}

impl fmt::Display for IdError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            IdErrorKind::TooLong { capacity } => write!(
                f,
                "{:?} is {} bytes, longer than the {capacity} allowed",
                self.value,
                self.value.len()
            ),
            IdErrorKind::Empty => f.write_str("identifier is empty"),
            IdErrorKind::BadCharacter { position } => {
                write!(f, "{:?} has a bad character at byte {position}", self.value)
            }
            IdErrorKind::Invalid => write!(f, "{:?} is not valid here", self.value),
        }
    }
}

impl core::error::Error for IdError<'_> {}

impl fmt::Display for IdErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { capacity } => write!(f, "longer than the {capacity} bytes allowed"),
            Self::Empty => f.write_str("empty"),
            Self::BadCharacter { position } => write!(f, "bad character at byte {position}"),
            Self::Invalid => f.write_str("not a valid value"),
        }
    }
}

impl core::error::Error for IdErrorKind {}

macro_rules! bounded_string {
    ($(#[$doc:meta])* $name:ident, $check:path, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name<const N: usize>(heapless::String<N>);

        impl<const N: usize> $name<N> {
            /// Checks `value` and stores it.
            ///
            /// # Errors
            /// An [`IdError`] holding `value` when it is too long or malformed.
            pub fn new(value: &str) -> Result<Self, IdError<'_>> {
                $check(value, N)?;
                heapless::String::try_from(value)
                    .map(Self)
                    .map_err(|_| IdError { value, kind: IdErrorKind::TooLong { capacity: N } })
            }

            /// The stored string.
            #[must_use]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The capacity in bytes.
            pub const CAPACITY: usize = N;

            /// Checks `value` without storing it (what [`Self::new`] checks).
            ///
            /// # Errors
            /// As [`Self::new`].
            pub fn check(value: &str) -> Result<(), IdError<'_>> {
                $check(value, N)
            }
        }

        impl<'a, const N: usize> TryFrom<&'a str> for $name<N> {
            type Error = IdError<'a>;
            fn try_from(value: &'a str) -> Result<Self, IdError<'a>> {
                Self::new(value)
            }
        }

        impl<const N: usize> core::str::FromStr for $name<N> {
            type Err = IdErrorKind;
            fn from_str(value: &str) -> Result<Self, IdErrorKind> {
                Self::new(value).map_err(|e| e.kind)
            }
        }

        impl<const N: usize> AsRef<str> for $name<N> {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl<const N: usize> fmt::Display for $name<N> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<const N: usize> fmt::Debug for $name<N> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl<const N: usize> Serialize for $name<N> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de, const N: usize> Deserialize<'de> for $name<N> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<const N: usize>;
                impl<const N: usize> Visitor<'_> for V<N> {
                    type Value = $name<N>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, $expecting, N)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name<N>, E> {
                        $name::new(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V::<N>)
            }
        }
    };
}

bounded_string!(
    /// An identifier of at most `N` bytes: lot codes, internal item and party
    /// codes, references. Not empty, no control characters, no leading or
    /// trailing spaces.
    ///
    /// ```
    /// use lotledger::model::{Code, IdErrorKind};
    /// let lot: Code<20> = Code::new("L2611A07")?;
    /// assert_eq!(lot.as_str(), "L2611A07");
    /// let err = Code::<4>::new("TOO-LONG").unwrap_err();
    /// assert_eq!((err.value, err.kind), ("TOO-LONG", IdErrorKind::TooLong { capacity: 4 }));
    /// # Ok::<(), lotledger::model::IdError<'static>>(())
    /// ```
    Code,
    check_code,
    "an identifier of 1 to {} bytes"
);

impl<const N: usize> Code<N> {
    /// Stores a value already checked against the code rule (a code read
    /// from an entry); only the capacity is checked again.
    pub(crate) fn from_checked(value: &str) -> Option<Self> {
        heapless::String::try_from(value).ok().map(Self)
    }
}

bounded_string!(
    /// Free text of at most `N` bytes (UTF-8; may be empty). Longer documents
    /// belong outside the ledger, referenced by digest.
    Text,
    check_text,
    "text of at most {} bytes"
);

fn check_code(value: &str, capacity: usize) -> Result<(), IdError<'_>> {
    if value.len() > capacity {
        return Err(IdError { value, kind: IdErrorKind::TooLong { capacity } });
    }
    if value.is_empty() {
        return Err(IdError { value, kind: IdErrorKind::Empty });
    }
    // Printable ASCII (almost every code) needs no character decoding.
    let bytes = value.as_bytes();
    if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        return match (bytes.first(), bytes.last()) {
            (Some(b' '), _) => {
                Err(IdError { value, kind: IdErrorKind::BadCharacter { position: 0 } })
            }
            (_, Some(b' ')) => Err(IdError {
                value,
                kind: IdErrorKind::BadCharacter { position: bytes.len() - 1 },
            }),
            _ => Ok(()),
        };
    }
    let last = value.len().saturating_sub(1);
    for (position, c) in value.char_indices() {
        let edge_space = c == ' ' && (position == 0 || position == last);
        if c.is_control() || edge_space {
            return Err(IdError { value, kind: IdErrorKind::BadCharacter { position } });
        }
    }
    Ok(())
}

fn check_text(value: &str, capacity: usize) -> Result<(), IdError<'_>> {
    if value.len() > capacity {
        return Err(IdError { value, kind: IdErrorKind::TooLong { capacity } });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_rules() {
        assert!(Code::<8>::new("ABC-1").is_ok());
        assert_eq!(Code::<8>::new("").unwrap_err().kind, IdErrorKind::Empty);
        assert_eq!(
            Code::<8>::new(" A").unwrap_err().kind,
            IdErrorKind::BadCharacter { position: 0 }
        );
        assert_eq!(
            Code::<8>::new("A\tB").unwrap_err().kind,
            IdErrorKind::BadCharacter { position: 1 }
        );
        assert!(Code::<8>::new("A B").is_ok());
        // Exactly at capacity is fine; one more byte is not.
        assert!(Code::<3>::new("ABC").is_ok());
        let e = Code::<3>::new("ABCD").unwrap_err();
        assert_eq!(e.value, "ABCD");
    }

    /// The rule as written in FORMAT.md, character by character.
    fn code_rule(value: &str) -> Result<(), IdErrorKind> {
        let chars: std::vec::Vec<(usize, char)> = value.char_indices().collect();
        if chars.is_empty() {
            return Err(IdErrorKind::Empty);
        }
        for (i, &(position, c)) in chars.iter().enumerate() {
            if c.is_control() || (c == ' ' && (i == 0 || i == chars.len() - 1)) {
                return Err(IdErrorKind::BadCharacter { position });
            }
        }
        Ok(())
    }

    proptest::proptest! {
        /// The printable-ASCII shortcut decides exactly as the character rule.
        #[test]
        fn code_check_agrees_with_the_rule(value in "[ A\\t~\\x7f\u{85}é\u{2003}]{0,6}") {
            let fast = check_code(&value, 64).map_err(|e| e.kind);
            proptest::prop_assert_eq!(fast, code_rule(&value));
        }
    }

    #[test]
    fn edge_spaces_are_refused_where_they_are() {
        assert_eq!(
            Code::<8>::new("AB ").unwrap_err().kind,
            IdErrorKind::BadCharacter { position: 2 }
        );
        assert_eq!(
            Code::<8>::new("é ").unwrap_err().kind,
            IdErrorKind::BadCharacter { position: 2 }
        );
        assert!(Code::<8>::check("A B").is_ok());
    }

    #[test]
    fn text_may_be_empty_but_bounded() {
        assert!(Text::<4>::new("").is_ok());
        assert!(Text::<4>::new("a\nb").is_ok());
        // multi-byte characters count in bytes
        assert_eq!(Text::<4>::new("ééé").unwrap_err().kind, IdErrorKind::TooLong { capacity: 4 });
    }
}
