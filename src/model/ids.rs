//! Identities: items, lots, parties, locations, containers, digests.
//!
//! GS1 keys are used where a plant has them; internal codes everywhere else.
//! A lot is always named together with its item ([`LotId`]), because two
//! suppliers may well use the same lot code for different materials.

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::gs1_key::{Gln, Gtin, Sscc};
use super::text::Code;

/// A batch or lot code: GS1 AI 10 allows up to 20 characters.
pub type LotCode = Code<20>;
/// An internal item, material or product code.
pub type InternalCode = Code<20>;
/// A business reference: order, invoice, work order, complaint or recall number.
pub type Reference = Code<24>;
/// Who made an entry: a user id, badge number or service account.
pub type Actor = Code<32>;
/// Where an entry was made: a station, line controller or device.
pub type Station = Code<32>;

macro_rules! byte_id {
    ($(#[$doc:meta])* $name:ident, $len:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The number of bytes.
            pub const LEN: usize = $len;

            /// Parses lowercase or uppercase hex of exactly twice [`Self::LEN`] digits.
            ///
            /// # Errors
            /// The byte position of the first character that is not a hex
            /// digit, or the length when it is wrong.
            pub fn from_hex(text: &str) -> Result<Self, usize> {
                let bytes = text.as_bytes();
                if bytes.len() != 2 * $len {
                    return Err(bytes.len());
                }
                let mut out = [0u8; $len];
                for (i, (o, pair)) in out.iter_mut().zip(bytes.chunks_exact(2)).enumerate() {
                    let [hi, lo] = pair else { return Err(2 * i) };
                    let hi = hex_value(*hi).ok_or(2 * i)?;
                    let lo = hex_value(*lo).ok_or(2 * i + 1)?;
                    *o = (hi << 4) | lo;
                }
                Ok(Self(out))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
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
                    self.0.serialize(s)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    struct V;
                    impl Visitor<'_> for V {
                        type Value = $name;
                        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                            write!(f, "{} hex digits", 2 * $len)
                        }
                        fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                            $name::from_hex(v).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
                        }
                    }
                    d.deserialize_str(V)
                } else {
                    <[u8; $len]>::deserialize(d).map(Self)
                }
            }
        }
    };
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

byte_id!(
    /// A SHA-256 digest: of an entry, or of an external document such as a
    /// certificate of analysis or a photo. Shown as 64 lowercase hex digits.
    Digest,
    32
);

byte_id!(
    /// The 128-bit identity of a ledger, fixed when it is created. It seeds
    /// the hash chain, so entries cannot be moved between ledgers unnoticed.
    LedgerId,
    16
);

/// What an item (a material, an intermediate or a product) is called.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemCode {
    /// A GS1 GTIN.
    Gtin(Gtin),
    /// A plant's own material or product code.
    Internal(InternalCode),
}

/// A trading partner: supplier, customer, carrier, complainant organisation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyId {
    /// A GS1 GLN of the party.
    Gln(Gln),
    /// A plant's own customer or supplier number.
    Internal(InternalCode),
}

/// A place: a ship-to address, a warehouse, a production line.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationId {
    /// A GS1 GLN of the place.
    Gln(Gln),
    /// A plant's own location code.
    Internal(Code<24>),
}

/// A handling unit that lots are packed into.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerId {
    /// A GS1 SSCC (a pallet or logistic unit).
    Sscc(Sscc),
    /// A plant's own case or tote number.
    Internal(Code<24>),
}

/// A lot: an item and the lot code it was made or received under.
/// With a GTIN this is what GS1 calls an LGTIN.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotId {
    /// The item the lot is of.
    pub item: ItemCode,
    /// The lot or batch code.
    pub lot: LotCode,
}

impl fmt::Display for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gtin(g) => write!(f, "gtin:{g}"),
            Self::Internal(c) => f.write_str(c.as_str()),
        }
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gln(g) => write!(f, "gln:{g}"),
            Self::Internal(c) => f.write_str(c.as_str()),
        }
    }
}

impl fmt::Display for LocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gln(g) => write!(f, "gln:{g}"),
            Self::Internal(c) => f.write_str(c.as_str()),
        }
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sscc(s) => write!(f, "sscc:{s}"),
            Self::Internal(c) => f.write_str(c.as_str()),
        }
    }
}

impl fmt::Display for LotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.item, self.lot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let id = LedgerId([0xab; 16]);
        let mut s = heapless::String::<64>::new();
        core::fmt::write(&mut s, format_args!("{id}")).unwrap();
        assert_eq!(LedgerId::from_hex(&s).unwrap(), id);
        assert_eq!(LedgerId::from_hex("00"), Err(2));
        let mut bad = [b'0'; 32];
        bad[5] = b'g';
        assert_eq!(LedgerId::from_hex(core::str::from_utf8(&bad).unwrap()), Err(5));
    }
}
