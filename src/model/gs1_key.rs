//! GS1 keys with a mod-10 check digit: [`Gtin`], [`Gln`], [`Sscc`].
//!
//! Stored as the number the digits spell (a varint of 7 to 9 bytes in the
//! ledger, against 13 to 18 bytes as text), shown zero-padded to their
//! full width. Every constructor checks the width and the check digit.

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::text::{IdError, IdErrorKind};

/// The GS1 mod-10 check digit for `body` (the digits before the check digit).
///
/// Weights 3 and 1 alternate from the rightmost digit of `body` leftwards.
#[must_use]
pub const fn gs1_check_digit(mut body: u64) -> u64 {
    let mut sum = 0;
    let mut weight = 3;
    while body > 0 {
        sum += (body % 10) * weight;
        weight = 4 - weight;
        body /= 10;
    }
    (10 - sum % 10) % 10
}

/// Whether the last digit of `value` is the GS1 check digit of the others.
#[must_use]
pub const fn gs1_check_digit_ok(value: u64) -> bool {
    gs1_check_digit(value / 10) == value % 10
}

macro_rules! gs1_key {
    ($(#[$doc:meta])* $name:ident, $digits:literal, [$($accept:literal),*]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// The number of digits, check digit included.
            pub const DIGITS: usize = $digits;

            /// Takes the key as a number (leading zeros dropped).
            ///
            /// # Errors
            /// [`IdErrorKind::Invalid`] when it has too many digits or a wrong check digit.
            pub const fn new(value: u64) -> Result<Self, IdErrorKind> {
                if value >= 10u64.pow($digits) || !gs1_check_digit_ok(value) {
                    return Err(IdErrorKind::Invalid);
                }
                Ok(Self(value))
            }

            /// Parses the key from its digits. Also accepts these shorter
            /// widths, padded on the left with zeros:
            #[doc = concat!($(stringify!($accept), " "),*)]
            ///
            /// # Errors
            /// An [`IdError`] holding `text` when it is not such a string of
            /// digits or the check digit is wrong.
            pub fn parse(text: &str) -> Result<Self, IdError<'_>> {
                let invalid = IdError { value: text, kind: IdErrorKind::Invalid };
                if !(text.len() == $digits $(|| text.len() == $accept)*) {
                    return Err(invalid);
                }
                let mut value: u64 = 0;
                for (position, b) in text.bytes().enumerate() {
                    if !b.is_ascii_digit() {
                        return Err(IdError { value: text, kind: IdErrorKind::BadCharacter { position } });
                    }
                    value = value * 10 + u64::from(b - b'0');
                }
                Self::new(value).map_err(|_| invalid)
            }

            /// The key as a number.
            #[must_use]
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:0width$}", self.0, width = $digits)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    s.serialize_u64(self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, concat!("a ", stringify!($name), " of {} digits with its check digit"), $digits)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        $name::new(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                }
                if d.is_human_readable() {
                    d.deserialize_str(V)
                } else {
                    d.deserialize_u64(V)
                }
            }
        }
    };
}

gs1_key!(
    /// A GS1 Global Trade Item Number, normalised to 14 digits (GTIN-8, -12
    /// and -13 are padded with leading zeros).
    ///
    /// ```
    /// use lotledger::model::Gtin;
    /// let gtin = Gtin::parse("09506000134352").unwrap();
    /// assert_eq!(gtin.to_string(), "09506000134352");
    /// assert!(Gtin::parse("09506000134353").is_err()); // wrong check digit
    /// ```
    Gtin, 14, [8, 12, 13]
);

gs1_key!(
    /// A GS1 Global Location Number (13 digits): a party or a place.
    Gln, 13, []
);

gs1_key!(
    /// A GS1 Serial Shipping Container Code (18 digits): a pallet or case.
    Sscc, 18, []
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn check_digits_from_gs1_examples() {
        // GS1 General Specifications examples.
        assert!(Gtin::parse("09506000134352").is_ok());
        assert!(Gtin::parse("4006381333931").is_ok()); // GTIN-13, padded
        assert_eq!(Gtin::parse("4006381333931").unwrap().to_string(), "04006381333931");
        assert!(Gln::parse("9506000000008").is_ok());
        assert!(Sscc::parse("106141412345678908").is_ok());
        assert!(Sscc::parse("106141412345678909").is_err());
        assert!(Gtin::parse("0950600013435X").is_err());
        assert!(Gtin::new(1_000_000_000_000_000).is_err()); // 15 digits
    }

    #[test]
    fn every_single_digit_error_is_caught() {
        let good = 9_506_000_134_352u64;
        assert!(gs1_check_digit_ok(good));
        let mut p = 1u64;
        for _ in 0..14 {
            let digit = (good / p) % 10;
            for d in 0..10 {
                if d != digit {
                    let changed = good - digit * p + d * p;
                    assert!(!gs1_check_digit_ok(changed), "{changed}");
                }
            }
            p *= 10;
        }
    }
}
