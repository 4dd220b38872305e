//! Exact quantities in results: decimals at scale 9, summed per unit.

use core::fmt;
use std::string::String;
use std::vec::Vec;

use serde::{Serialize, Serializer};

/// A signed decimal with 9 places: the value is `self.0 / 10^9`. Shown and
/// serialised as text without trailing zeros (`"12.5"`, `"-3"`), so JSON
/// readers never round it through a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(pub i128);

impl Decimal {
    /// Zero.
    pub const ZERO: Self = Self(0);
    /// The scale: nine decimal places.
    pub const SCALE: u32 = 9;

    /// A whole number.
    #[must_use]
    pub const fn whole(n: i64) -> Self {
        Self(n as i128 * 1_000_000_000)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = 1_000_000_000u128;
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        let (int, frac) = (abs / unit, abs % unit);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let mut digits = std::format!("{frac:09}");
        while digits.ends_with('0') {
            digits.pop();
        }
        write!(f, "{sign}{int}.{digits}")
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A quantity of one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// How much.
    pub quantity: Decimal,
    /// The UN/ECE Rec 20 unit code.
    pub unit: String,
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.quantity, self.unit)
    }
}

/// Exact sums, one per unit (sorted by unit code). More than one unit means
/// the records mix units for the same thing: shown, never converted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Totals(pub Vec<Amount>);

impl Totals {
    /// The sum in `unit` (zero when there is none).
    #[must_use]
    pub fn get(&self, unit: &str) -> Decimal {
        self.0.iter().find(|a| a.unit == unit).map_or(Decimal::ZERO, |a| a.quantity)
    }

    /// Whether every sum is zero (or there are none).
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|a| a.quantity == Decimal::ZERO)
    }

    /// Whether more than one unit is involved.
    #[must_use]
    pub fn mixed_units(&self) -> bool {
        self.0.len() > 1
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn decimal_text() {
        assert_eq!(Decimal(12_500_000_000).to_string(), "12.5");
        assert_eq!(Decimal(-3_000_000_000).to_string(), "-3");
        assert_eq!(Decimal(1).to_string(), "0.000000001");
        assert_eq!(Decimal(-1).to_string(), "-0.000000001");
        assert_eq!(Decimal::whole(7).to_string(), "7");
        assert_eq!(Decimal::ZERO.to_string(), "0");
    }
}
