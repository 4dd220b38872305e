//! Quantities: fixed-point decimals with a UN/ECE Recommendation 20 unit.
//!
//! Never floating point: `12.5 KGM` is stored as amount 125, scale 1, unit
//! `KGM`, so sums in a mass balance are exact.

use core::fmt;

use serde::{Deserialize, Serialize};

use super::text::{Code, IdError, IdErrorKind};

/// A unit of measure by its UN/ECE Recommendation 20 code. The common ones
/// have their own variant (one byte in the ledger); any other code is kept
/// as [`Unit::Other`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Unit {
    /// `H87`, piece.
    #[serde(rename = "H87")]
    Piece,
    /// `C62`, one (a count without a named unit).
    #[serde(rename = "C62")]
    One,
    /// `KGM`, kilogram.
    #[serde(rename = "KGM")]
    Kilogram,
    /// `GRM`, gram.
    #[serde(rename = "GRM")]
    Gram,
    /// `MGM`, milligram.
    #[serde(rename = "MGM")]
    Milligram,
    /// `TNE`, tonne.
    #[serde(rename = "TNE")]
    Tonne,
    /// `LTR`, litre.
    #[serde(rename = "LTR")]
    Litre,
    /// `MLT`, millilitre.
    #[serde(rename = "MLT")]
    Millilitre,
    /// `MTR`, metre.
    #[serde(rename = "MTR")]
    Metre,
    /// `MTK`, square metre.
    #[serde(rename = "MTK")]
    SquareMetre,
    /// Any other Rec 20 code: 2 or 3 uppercase letters or digits.
    Other(UnitCode),
}

const NAMED: [(Unit, &str); 10] = [
    (Unit::Piece, "H87"),
    (Unit::One, "C62"),
    (Unit::Kilogram, "KGM"),
    (Unit::Gram, "GRM"),
    (Unit::Milligram, "MGM"),
    (Unit::Tonne, "TNE"),
    (Unit::Litre, "LTR"),
    (Unit::Millilitre, "MLT"),
    (Unit::Metre, "MTR"),
    (Unit::SquareMetre, "MTK"),
];

impl Unit {
    /// The unit for a Rec 20 code; a common code always gives its own variant.
    ///
    /// # Errors
    /// When `code` is not 2 or 3 uppercase ASCII letters or digits.
    pub fn from_code(code: &str) -> Result<Self, IdError<'_>> {
        if let Some((unit, _)) = NAMED.iter().find(|(_, c)| *c == code) {
            return Ok(unit.clone());
        }
        let bad = code.bytes().position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit()));
        if let Some(position) = bad {
            return Err(IdError { value: code, kind: IdErrorKind::BadCharacter { position } });
        }
        if code.len() < 2 {
            return Err(IdError { value: code, kind: IdErrorKind::Invalid });
        }
        Code::new(code).map(|c| Unit::Other(UnitCode(c)))
    }

    /// The Rec 20 code.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Unit::Other(c) => c.0.as_str(),
            named => NAMED.iter().find(|(u, _)| u == named).map_or("", |(_, c)| c),
        }
    }
}

/// A Rec 20 code without a variant of its own in [`Unit`]: 2 or 3 of
/// `A-Z0-9`, never one of the common codes (so every unit has one form).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct UnitCode(Code<3>);

impl UnitCode {
    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl<'de> Deserialize<'de> for UnitCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = Code::<3>::deserialize(d)?;
        match Unit::from_code(code.as_str()) {
            Ok(Unit::Other(c)) => Ok(c),
            _ => Err(serde::de::Error::custom("not an uncommon UN/ECE Rec 20 unit code")),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A quantity: `amount / 10^scale` of `unit`.
///
/// ```
/// use lotledger::model::{Quantity, Unit};
/// let q = Quantity::new(125, 1, Unit::Kilogram)?;
/// assert_eq!(q.to_string(), "12.5 KGM");
/// assert_eq!("12.50 KGM".parse::<Quantity>()?, Quantity::new(1250, 2, Unit::Kilogram)?);
/// # Ok::<(), lotledger::model::QuantityError>(())
/// ```
///
/// In JSON a quantity is the text `"12.5 KGM"`; an object
/// `{"amount": 125, "scale": 1, "unit": "KGM"}` is accepted too.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Quantity {
    /// The amount in units of `10^-scale`.
    pub amount: u64,
    /// Decimal places, at most [`Quantity::MAX_SCALE`].
    pub scale: u8,
    /// The unit of measure.
    pub unit: Unit,
}

/// Why a quantity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuantityError {
    /// More decimal places than [`Quantity::MAX_SCALE`].
    ScaleTooLarge,
    /// The number is malformed or too large (position of the offending byte).
    BadNumber {
        /// Byte offset in the text.
        position: usize,
    },
    /// The unit code is not a Rec 20 code.
    BadUnit,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ScaleTooLarge => write!(f, "more than {} decimal places", Quantity::MAX_SCALE),
            Self::BadNumber { position } => write!(f, "bad number at byte {position}"),
            Self::BadUnit => f.write_str("unit is not a UN/ECE Rec 20 code"),
        }
    }
}

impl core::error::Error for QuantityError {}

impl Quantity {
    /// The largest scale (decimal places) accepted.
    pub const MAX_SCALE: u8 = 9;

    /// A quantity of `amount / 10^scale` units.
    ///
    /// # Errors
    /// [`QuantityError::ScaleTooLarge`] when `scale` exceeds [`Quantity::MAX_SCALE`].
    pub fn new(amount: u64, scale: u8, unit: Unit) -> Result<Self, QuantityError> {
        if scale > Self::MAX_SCALE {
            return Err(QuantityError::ScaleTooLarge);
        }
        Ok(Self { amount, scale, unit })
    }

    /// A whole number of `unit`.
    #[must_use]
    pub const fn whole(amount: u64, unit: Unit) -> Self {
        Self { amount, scale: 0, unit }
    }

    /// The amount at scale [`Quantity::MAX_SCALE`], for exact sums across
    /// scales; `None` when the scale is out of range.
    #[must_use]
    pub fn normalized(&self) -> Option<i128> {
        let shift = Self::MAX_SCALE.checked_sub(self.scale)?;
        Some(i128::from(self.amount) * 10i128.pow(u32::from(shift)))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = 10u64.pow(u32::from(self.scale.min(19)));
        if self.scale == 0 {
            write!(f, "{} {}", self.amount, self.unit)
        } else {
            let width = usize::from(self.scale);
            write!(f, "{}.{:0width$} {}", self.amount / p, self.amount % p, self.unit)
        }
    }
}

/// The ledger form: the three fields in order.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename = "Quantity")]
struct QuantityFields {
    amount: u64,
    scale: u8,
    unit: Unit,
}

/// [`QuantityFields`] borrowed, for writing without copying the unit.
#[derive(Serialize)]
#[serde(rename = "Quantity")]
struct QuantityFieldsRef<'a> {
    amount: u64,
    scale: u8,
    unit: &'a Unit,
}

impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            QuantityFieldsRef { amount: self.amount, scale: self.scale, unit: &self.unit }
                .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        if !d.is_human_readable() {
            let f = QuantityFields::deserialize(d)?;
            return Quantity::new(f.amount, f.scale, f.unit).map_err(D::Error::custom);
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity such as \"12.5 KGM\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                v.parse().map_err(|e: QuantityError| E::custom(format_args!("{v:?}: {e}")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Quantity, A::Error> {
                let f =
                    QuantityFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Quantity::new(f.amount, f.scale, f.unit).map_err(A::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl core::str::FromStr for Quantity {
    type Err = QuantityError;

    /// Parses `"12.5 KGM"`: a decimal number, one space, a Rec 20 code.
    fn from_str(text: &str) -> Result<Self, QuantityError> {
        let (number, unit) = text.split_once(' ').ok_or(QuantityError::BadUnit)?;
        let unit = Unit::from_code(unit).map_err(|_| QuantityError::BadUnit)?;
        let (amount, scale) = parse_decimal(number)?;
        Self::new(amount, scale, unit)
    }
}

/// Parses a non-negative decimal such as `12.50` into (1250, 2).
///
/// # Errors
/// [`QuantityError::BadNumber`] at the first byte that does not belong.
pub fn parse_decimal(number: &str) -> Result<(u64, u8), QuantityError> {
    let mut amount: u64 = 0;
    let mut scale: Option<u8> = None;
    let mut digits = 0;
    for (position, b) in number.bytes().enumerate() {
        let bad = QuantityError::BadNumber { position };
        match b {
            b'0'..=b'9' => {
                amount = amount
                    .checked_mul(10)
                    .and_then(|a| a.checked_add(u64::from(b - b'0')))
                    .ok_or(bad)?;
                digits += 1;
                if let Some(s) = scale.as_mut() {
                    *s = s.checked_add(1).ok_or(bad)?;
                    if *s > Quantity::MAX_SCALE {
                        return Err(QuantityError::ScaleTooLarge);
                    }
                }
            }
            b'.' if scale.is_none() && digits > 0 => scale = Some(0),
            _ => return Err(bad),
        }
    }
    match scale {
        _ if digits == 0 => Err(QuantityError::BadNumber { position: 0 }),
        Some(0) => Err(QuantityError::BadNumber { position: number.len() }),
        s => Ok((amount, s.unwrap_or(0))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(Unit::from_code("KGM").unwrap(), Unit::Kilogram);
        assert_eq!(Unit::from_code("XBX").unwrap().code(), "XBX");
        assert_eq!(Unit::Millilitre.code(), "MLT");
        assert!(Unit::from_code("kg").is_err());
        assert!(Unit::from_code("K").is_err());
        assert!(Unit::from_code("KGMS").is_err());
        // A common code in the "other" form is refused on decoding: one unit, one encoding.
        let other_kgm = [10u8, 3, b'K', b'G', b'M'];
        assert!(postcard::from_bytes::<Unit>(&other_kgm).is_err());
        let other_xbx = [10u8, 3, b'X', b'B', b'X'];
        assert_eq!(
            postcard::from_bytes::<Unit>(&other_xbx).unwrap(),
            Unit::from_code("XBX").unwrap()
        );
        assert!(postcard::from_bytes::<Unit>(&[10u8, 2, b'k', b'g']).is_err());
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("12.50"), Ok((1250, 2)));
        assert_eq!(parse_decimal("7"), Ok((7, 0)));
        assert_eq!(parse_decimal("1."), Err(QuantityError::BadNumber { position: 2 }));
        assert_eq!(parse_decimal(".5"), Err(QuantityError::BadNumber { position: 0 }));
        assert_eq!(parse_decimal("1,5"), Err(QuantityError::BadNumber { position: 1 }));
        assert_eq!(parse_decimal("0.0000000001"), Err(QuantityError::ScaleTooLarge));
        assert!(parse_decimal("99999999999999999999").is_err());
        let q: Quantity = "0.05 LTR".parse().unwrap();
        let mut s = heapless::String::<32>::new();
        core::fmt::write(&mut s, format_args!("{q}")).unwrap();
        assert_eq!(s.as_str(), "0.05 LTR");
        assert_eq!(q.normalized(), Some(50_000_000));
        // Ledger form: amount, scale, unit; a scale over 9 does not decode.
        assert_eq!(postcard::to_slice(&q, &mut [0u8; 8]).unwrap(), &[5, 2, 6]);
        assert!(postcard::from_bytes::<Quantity>(&[5, 10, 6]).is_err());
    }
}
