//! Serialized units and the containers they travel in.
//!
//! Regulated pharma identifies each sales package by GTIN and serial number
//! (an SGTIN: DSCSA, the EU FMD, China's drug traceability codes), packed
//! into cases and pallets identified by SSCC. Serials are commissioned for a
//! lot in spans (a single serial, or a numbered range) so that 10,000 serials
//! are one entry of a few bytes, not 10,000 entries; the goods an event moves
//! ([`Goods`]) are lot quantities, containers (with whatever they hold) or
//! spans of serials.

use core::fmt;

use heapless::Vec;
use serde::{Deserialize, Serialize};

use super::ids::{ContainerId, LocationId, LotId, PartyId, Reference};
use super::record::{LotQuantity, ReturnKind};
use super::text::{Code, Text};

/// Most serial spans one commissioning record holds.
pub const MAX_SPANS: usize = 16;
/// Most goods (lot quantities, containers, serial spans) one event moves.
pub const MAX_GOODS: usize = 16;
/// The longest serial number, in bytes (GS1 AI 21).
pub const SERIAL_LEN: usize = 20;

/// A serial number (GS1 AI 21: up to 20 characters).
pub type Serial = Code<SERIAL_LEN>;

/// A numbered range of serials: `count` serials, the `i`-th of which is
/// `prefix` followed by `first + i` in decimal, left-padded with zeros to
/// `width` digits (`width` 0: no padding).
///
/// A range is refused (in code and when decoding) when `count` is 0,
/// `first + count - 1` overflows, `prefix` holds a character other than
/// printable ASCII without space, or the longest serial it names would be
/// longer than 20 characters.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawRange")]
pub struct SerialRange {
    prefix: Text<19>,
    first: u64,
    count: u32,
    width: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    #[serde(default)]
    prefix: Text<19>,
    first: u64,
    count: u32,
    #[serde(default)]
    width: u8,
}

/// Why a [`SerialRange`] was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RangeError {
    /// `count` is 0.
    Empty,
    /// `first + count - 1` does not fit in 64 bits.
    Overflow,
    /// The prefix holds a character that is not printable ASCII without space.
    BadPrefix,
    /// The longest serial would be longer than 20 characters.
    TooLong,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "a serial range needs a count of at least 1",
            Self::Overflow => "the serial range runs past 2^64 - 1",
            Self::BadPrefix => {
                "a serial prefix may hold only printable ASCII characters without space"
            }
            Self::TooLong => "the serial range names serials longer than 20 characters",
        })
    }
}

impl core::error::Error for RangeError {}

impl TryFrom<RawRange> for SerialRange {
    type Error = RangeError;
    fn try_from(r: RawRange) -> Result<Self, RangeError> {
        Self::new(r.prefix.as_str(), r.first, r.count, r.width)
    }
}

const fn decimal_digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

impl SerialRange {
    /// A range of `count` serials from `first`, as described on the type.
    ///
    /// ```
    /// use lotledger::model::SerialRange;
    /// let r = SerialRange::new("A", 1, 10_000, 6)?;
    /// assert_eq!(r.serial(0).unwrap().as_str(), "A000001");
    /// assert_eq!(r.serial(9_999).unwrap().as_str(), "A010000");
    /// assert!(r.contains("A004711"));
    /// assert!(!r.contains("A4711"));
    /// # Ok::<(), lotledger::model::RangeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The [`RangeError`] that names what is wrong.
    pub fn new(prefix: &str, first: u64, count: u32, width: u8) -> Result<Self, RangeError> {
        if count == 0 {
            return Err(RangeError::Empty);
        }
        let last = first.checked_add(u64::from(count) - 1).ok_or(RangeError::Overflow)?;
        if !prefix.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(RangeError::BadPrefix);
        }
        let digits = decimal_digits(last).max(usize::from(width));
        if prefix.len() + digits > SERIAL_LEN {
            return Err(RangeError::TooLong);
        }
        let prefix = Text::new(prefix).map_err(|_| RangeError::TooLong)?;
        Ok(Self { prefix, first, count, width })
    }

    /// The text before the number.
    #[must_use]
    pub fn prefix(&self) -> &str {
        self.prefix.as_str()
    }

    /// The first number.
    #[must_use]
    pub const fn first(&self) -> u64 {
        self.first
    }

    /// How many serials.
    #[must_use]
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// The zero-padded width of the number.
    #[must_use]
    pub const fn width(&self) -> u8 {
        self.width
    }

    /// The `i`-th serial, if `i < count`.
    #[must_use]
    pub fn serial(&self, i: u32) -> Option<Serial> {
        if i >= self.count {
            return None;
        }
        let mut s = heapless::String::<SERIAL_LEN>::new();
        let n = self.first + u64::from(i);
        fmt::write(&mut s, format_args!("{}{n:0w$}", self.prefix(), w = usize::from(self.width)))
            .ok()?;
        Serial::from_checked(&s)
    }

    /// Whether `serial` is one of this range's serials.
    #[must_use]
    pub fn contains(&self, serial: &str) -> bool {
        let Some(rest) = serial.strip_prefix(self.prefix()) else { return false };
        if rest.is_empty() || rest.len() > SERIAL_LEN || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let Ok(n) = rest.parse::<u64>() else { return false };
        let Some(i) = n.checked_sub(self.first) else { return false };
        i < u64::from(self.count) && rest.len() == decimal_digits(n).max(usize::from(self.width))
    }
}

/// Serials of one lot: one serial or a range.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SerialSpan {
    /// One serial (randomised serials are listed one by one).
    One(Serial),
    /// A numbered range.
    Range(SerialRange),
}

impl SerialSpan {
    /// How many serials the span names.
    #[must_use]
    pub fn len(&self) -> u64 {
        match self {
            Self::One(_) => 1,
            Self::Range(r) => u64::from(r.count()),
        }
    }

    /// A span is never empty; present for the `len` convention.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Whether `serial` is in the span.
    #[must_use]
    pub fn contains(&self, serial: &str) -> bool {
        match self {
            Self::One(s) => s.as_str() == serial,
            Self::Range(r) => r.contains(serial),
        }
    }
}

/// Serials of a lot, as goods.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotSerials {
    /// The lot the serials were commissioned in (its item is the GTIN of an SGTIN).
    pub lot: LotId,
    /// The serials.
    pub serials: SerialSpan,
}

/// Goods an event moves.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goods {
    /// A quantity of a lot, not serialized.
    Lot(LotQuantity),
    /// A container and whatever it holds at that moment.
    Container(ContainerId),
    /// Serialized units.
    Serials(LotSerials),
}

/// Serial numbers were assigned to units of an output lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commissioned {
    /// The lot the units belong to.
    pub lot: LotId,
    /// The serials assigned.
    pub serials: Vec<SerialSpan, MAX_SPANS>,
}

/// Packing goods into a container, or taking them out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregationAction {
    /// Put the goods into the container (moving any of them out of the
    /// container they were in).
    Pack,
    /// Take the goods out; with no goods listed, empty the container.
    Unpack,
}

/// Aggregation: units into cases, cases onto pallets, and back.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregated {
    /// The container (a case, a pallet's SSCC).
    pub parent: ContainerId,
    /// Pack or unpack.
    pub action: AggregationAction,
    /// The goods packed or unpacked.
    #[serde(default)]
    pub contents: Vec<Goods, MAX_GOODS>,
}

/// A shipment of goods by container, serials or lot quantity.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoodsShipped {
    /// The customer.
    pub customer: PartyId,
    /// The ship-to location when it is not the customer's main address.
    pub ship_to: Option<LocationId>,
    /// The sales order or invoice.
    pub order: Reference,
    /// What was shipped; a container ships what it holds.
    pub goods: Vec<Goods, MAX_GOODS>,
}

/// Goods came back from a customer, by container, serials or lot quantity.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoodsReturned {
    /// Who returned them.
    pub from: PartyId,
    /// Return or exchange.
    pub kind: ReturnKind,
    /// Why.
    #[serde(default)]
    pub reason: Text<64>,
    /// The complaint it settles, if any.
    pub complaint: Option<Reference>,
    /// The order they were shipped on, if known.
    pub order: Option<Reference>,
    /// What came back.
    pub goods: Vec<Goods, MAX_GOODS>,
}

/// Why units left the supply chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecommissionReason {
    /// Taken as a sample.
    Sample,
    /// Destroyed.
    Destroyed,
    /// Stolen.
    Stolen,
    /// Dispensed to a patient.
    Dispensed,
    /// Damaged beyond sale.
    Damaged,
    /// Anything else, said in the note.
    Other,
}

/// Units left the supply chain (sampled, destroyed, stolen, dispensed).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decommissioned {
    /// Why.
    pub reason: DecommissionReason,
    /// Details; empty when there are none.
    #[serde(default)]
    pub note: Text<64>,
    /// The recall it belongs to, if any.
    pub recall: Option<Reference>,
    /// The goods.
    pub goods: Vec<Goods, MAX_GOODS>,
}

#[cfg(test)]
mod tests {
    use std::string::ToString as _;

    use super::*;

    #[test]
    fn ranges_name_exactly_their_serials() {
        let r = SerialRange::new("", 998, 5, 0).unwrap();
        assert_eq!(r.serial(0).unwrap().as_str(), "998");
        assert_eq!(r.serial(4).unwrap().as_str(), "1002");
        assert!(r.serial(5).is_none());
        assert!(r.contains("1000") && r.contains("998"));
        assert!(!r.contains("0998") && !r.contains("997") && !r.contains("1003"));
        assert!(!r.contains("+999") && !r.contains(""));
        let padded = SerialRange::new("X-", 7, 3, 4).unwrap();
        assert!(
            padded.contains("X-0008") && !padded.contains("X-8") && !padded.contains("X-00008")
        );
    }

    #[test]
    fn bad_ranges_are_refused_when_decoding_too() {
        assert_eq!(SerialRange::new("A", 1, 0, 0), Err(RangeError::Empty));
        assert_eq!(SerialRange::new("A", u64::MAX, 2, 0), Err(RangeError::Overflow));
        assert_eq!(SerialRange::new("A B", 1, 2, 0), Err(RangeError::BadPrefix));
        assert_eq!(SerialRange::new("ABCDEFGHIJ", 1, 2, 11), Err(RangeError::TooLong));
        assert!(SerialRange::new("ABCDEFGHIJ", 1, 2, 10).is_ok());
        // The stored form of a zero-count range: prefix "", first 1, count 0, width 0.
        assert!(postcard::from_bytes::<SerialRange>(&[0, 1, 0, 0]).is_err());
        assert!(postcard::from_bytes::<SerialRange>(&[0, 1, 1, 0]).is_ok());
        let e = serde_json::from_str::<SerialRange>(r#"{"first":5,"count":0}"#).unwrap_err();
        assert!(e.to_string().contains("count of at least 1"), "{e}");
    }

    #[test]
    fn ten_thousand_serials_are_a_few_bytes() {
        let r = SerialSpan::Range(SerialRange::new("", 100_000_000_000, 10_000, 0).unwrap());
        assert_eq!(r.len(), 10_000);
        let bytes = postcard::to_allocvec(&r).unwrap();
        // tag 1, empty prefix 1, first varint 6, count varint 2, width 1
        assert_eq!(bytes.len(), 11);
    }
}
