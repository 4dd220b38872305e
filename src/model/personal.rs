//! Personal data kept out of the chain's bytes: a field that names or
//! reaches a person is stored in the entry as a [`Personal::Sealed`]
//! commitment, and its value, with the key that opens the commitment, is kept
//! in a personal-data store beside the ledger (`docs/PRIVACY.md`).
//!
//! The commitment is `SHA-256("lotledger personal v1" || 0x00 || key || value)`
//! with a fresh random 32-byte key per value ([`commitment`]). The chain, its
//! checkpoints and proofs cover the commitment only, so they verify with or
//! without the store; whoever holds the store can check each value against
//! its commitment; and once the store forgets the key and the value, the
//! commitment reveals nothing (the key is random, so even a guessed value
//! cannot be confirmed).
//!
//! The core only computes and checks commitments. The key comes from the
//! caller's random source; keeping the key and value (and forgetting them on
//! erasure) is the store's job, so a `no_std` writer can seal fields with
//! caller-owned buffers and forward the values over its own channel.

use core::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use super::ids::Digest;
use super::text::{IdError, Text};

/// The domain tag that starts every commitment's hash input.
pub const COMMITMENT_DOMAIN: &[u8] = b"lotledger personal v1\0";

/// The length of the random key that opens one commitment.
pub const KEY_LEN: usize = 32;

/// The random key of one sealed value.
pub type SealKey = [u8; KEY_LEN];

/// The commitment to `value` under `key`:
/// `SHA-256("lotledger personal v1" || 0x00 || key || value)`, the value as
/// its UTF-8 bytes.
///
/// ```
/// use lotledger::model::personal::commitment;
/// let c = commitment(&[7; 32], "Jane Doe");
/// assert_ne!(c, commitment(&[8; 32], "Jane Doe"));
/// ```
#[must_use]
pub fn commitment(key: &SealKey, value: &str) -> Digest {
    let mut h = Sha256::new();
    h.update(COMMITMENT_DOMAIN);
    h.update(key);
    h.update(value.as_bytes());
    Digest(h.finalize().into())
}

/// A field that may name or reach a person, of at most `N` bytes.
///
/// In JSON a plain value is a string and a sealed one is
/// `{"sealed": "<64 hex digits>"}`; in the ledger it is
/// `enum { 0 plain(text<N>), 1 sealed(digest) }` (`docs/FORMAT.md`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Personal<const N: usize> {
    /// Stored in the clear: it can never be erased from the ledger. The
    /// empty value, or what the writer chose to keep plain.
    Plain(Text<N>),
    /// Only the commitment is stored; the value is in the personal-data store.
    Sealed(Digest),
}

impl<const N: usize> Default for Personal<N> {
    fn default() -> Self {
        Self::Plain(Text::default())
    }
}

impl<const N: usize> Personal<N> {
    /// A plain value.
    ///
    /// # Errors
    ///
    /// When `value` is longer than `N` bytes.
    pub fn plain(value: &str) -> Result<Self, IdError<'_>> {
        Text::new(value).map(Self::Plain)
    }

    /// Seals `value` under `key` (fresh and random for each value): the
    /// field that goes into the record. The caller keeps `key` and `value`
    /// in its personal-data store.
    ///
    /// # Errors
    ///
    /// When `value` is longer than `N` bytes, as for a plain value: a sealed
    /// value keeps the field's bound.
    pub fn seal<'a>(value: &'a str, key: &SealKey) -> Result<Self, IdError<'a>> {
        Text::<N>::check(value)?;
        Ok(Self::Sealed(commitment(key, value)))
    }

    /// The plain value, when it is stored in the clear.
    #[must_use]
    pub fn as_plain(&self) -> Option<&str> {
        match self {
            Self::Plain(t) => Some(t.as_str()),
            Self::Sealed(_) => None,
        }
    }

    /// The commitment, when the value is sealed.
    #[must_use]
    pub const fn commitment(&self) -> Option<&Digest> {
        match self {
            Self::Plain(_) => None,
            Self::Sealed(c) => Some(c),
        }
    }

    /// Whether the field is plain and empty (nothing to show or erase).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Plain(t) if t.as_str().is_empty())
    }

    /// Whether `value` under `key` is what this sealed field commits to.
    /// Always false for a plain field.
    #[must_use]
    pub fn opens_with(&self, key: &SealKey, value: &str) -> bool {
        match self {
            Self::Plain(_) => false,
            Self::Sealed(c) => value.len() <= N && commitment(key, value) == *c,
        }
    }
}

/// A personal field as stored, borrowed: what a visitor reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PersonalValue<'a> {
    /// Stored in the clear (empty when the field is not filled in).
    Plain(&'a str),
    /// Only the commitment is stored.
    Sealed(&'a Digest),
}

/// One personal field of a record, whatever its bound: what
/// [`Record::for_each_personal`](crate::model::Record::for_each_personal)
/// and its `_mut` twin hand to the visitor, so that sealing, erasing and
/// reading need one loop over a record and not one per record kind.
pub trait PersonalField {
    /// The field as stored.
    fn value(&self) -> PersonalValue<'_>;
    /// The most bytes a value of this field may hold.
    fn bound(&self) -> usize;
    /// Replaces the field with the commitment to its value.
    fn set_sealed(&mut self, commitment: Digest);
    /// Replaces the field with a plain value; false (the field unchanged)
    /// when `value` is longer than [`Self::bound`].
    fn set_plain(&mut self, value: &str) -> bool;
}

impl<const N: usize> PersonalField for Personal<N> {
    fn value(&self) -> PersonalValue<'_> {
        match self {
            Self::Plain(t) => PersonalValue::Plain(t.as_str()),
            Self::Sealed(c) => PersonalValue::Sealed(c),
        }
    }

    fn bound(&self) -> usize {
        N
    }

    fn set_sealed(&mut self, commitment: Digest) {
        *self = Self::Sealed(commitment);
    }

    fn set_plain(&mut self, value: &str) -> bool {
        match Text::new(value) {
            Ok(t) => {
                *self = Self::Plain(t);
                true
            }
            Err(_) => false,
        }
    }
}

/// Seals `field` when it is plain and not empty: `random` gives a fresh
/// 32-byte key, `keep` stores (commitment, key, value) in the caller's
/// personal-data store, and only when `keep` succeeded is the field
/// replaced by the commitment. Returns the commitment, or `None` when there
/// was nothing to seal (empty, or sealed already).
///
/// # Errors
///
/// What `keep` returned; the field is then left as it was.
pub fn seal_field<E>(
    field: &mut dyn PersonalField,
    random: &mut dyn FnMut() -> SealKey,
    keep: &mut dyn FnMut(&Digest, &SealKey, &str) -> Result<(), E>,
) -> Result<Option<Digest>, E> {
    let PersonalValue::Plain(value) = field.value() else { return Ok(None) };
    if value.is_empty() {
        return Ok(None);
    }
    let key = random();
    let c = commitment(&key, value);
    keep(&c, &key, value)?;
    field.set_sealed(c);
    Ok(Some(c))
}

impl<const N: usize> fmt::Debug for Personal<N> {
    /// Never shows a plain value's text: a debug print in a log must not
    /// leak personal data. A plain value shows its length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(t) => write!(f, "Plain(<{} bytes>)", t.as_str().len()),
            Self::Sealed(c) => write!(f, "Sealed({c})"),
        }
    }
}

impl<const N: usize> Serialize for Personal<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return match self {
                Self::Plain(t) => t.serialize(s),
                Self::Sealed(c) => {
                    let mut m = s.serialize_map(Some(1))?;
                    m.serialize_entry("sealed", c)?;
                    m.end()
                }
            };
        }
        match self {
            Self::Plain(t) => s.serialize_newtype_variant("Personal", 0, "plain", t),
            Self::Sealed(c) => s.serialize_newtype_variant("Personal", 1, "sealed", c),
        }
    }
}

/// The stored form: an ordinary two-variant enum.
#[derive(Deserialize)]
#[serde(rename = "Personal")]
enum Stored<const N: usize> {
    #[serde(rename = "plain")]
    Plain(Text<N>),
    #[serde(rename = "sealed")]
    Sealed(Digest),
}

struct HumanVisitor<const N: usize>;

impl<'de, const N: usize> Visitor<'de> for HumanVisitor<N> {
    type Value = Personal<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "text of at most {N} bytes, or {{\"sealed\": \"<64 hex digits>\"}}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Personal<N>, E> {
        Text::new(v).map(Personal::Plain).map_err(|e| E::custom(e.kind))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Personal<N>, A::Error> {
        if map.next_key::<SealedKey>()?.is_none() {
            return Err(de::Error::missing_field("sealed"));
        }
        let c: Digest = map.next_value()?;
        if map.next_key::<SealedKey>()?.is_some() {
            return Err(de::Error::duplicate_field("sealed"));
        }
        Ok(Personal::Sealed(c))
    }
}

/// The one key of a sealed field's JSON object, read from borrowed or
/// owned text alike (a `serde_json::Value` holds owned keys).
struct SealedKey;

impl<'de> Deserialize<'de> for SealedKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = SealedKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the key `sealed`")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SealedKey, E> {
                if v == "sealed" { Ok(SealedKey) } else { Err(E::unknown_field(v, &["sealed"])) }
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl<'de, const N: usize> Deserialize<'de> for Personal<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            return d.deserialize_any(HumanVisitor::<N>);
        }
        Ok(match Stored::<N>::deserialize(d)? {
            Stored::Plain(t) => Self::Plain(t),
            Stored::Sealed(c) => Self::Sealed(c),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the EPCIS import of a sealed field: `ll:record` is read
    /// through a `serde_json::Value`, whose keys are owned, not borrowed.
    #[cfg(feature = "std")]
    #[test]
    fn a_sealed_field_reads_from_an_owned_json_value() {
        let hex = "ab".repeat(32);
        let v = serde_json::json!({ "sealed": hex });
        let p: Personal<16> = serde_json::from_value(v).unwrap();
        assert_eq!(p.commitment().map(|c| std::format!("{c}")), Some(hex.clone()));
        let bad = serde_json::json!({ "sealed": hex, "x": 1 });
        assert!(serde_json::from_value::<Personal<16>>(bad).is_err());
        assert!(serde_json::from_value::<Personal<16>>(serde_json::json!({ "x": 1 })).is_err());
    }

    /// The construction as docs/FORMAT.md writes it, byte for byte: a golden
    /// vector an outside implementation can check.
    #[test]
    fn commitment_golden_vector() {
        let key: SealKey = core::array::from_fn(|i| u8::try_from(i).unwrap());
        let c = commitment(&key, "Jane Doe, +41 79 555 01 23");
        let mut h = Sha256::new();
        h.update(b"lotledger personal v1\x00");
        h.update(key);
        h.update(b"Jane Doe, +41 79 555 01 23");
        assert_eq!(c.0, <[u8; 32]>::from(h.finalize()));
        let mut hex = heapless::String::<64>::new();
        core::fmt::write(&mut hex, format_args!("{c}")).unwrap();
        assert_eq!(hex, GOLDEN_COMMITMENT);
    }

    /// Written in docs/FORMAT.md section 5 (personal fields).
    const GOLDEN_COMMITMENT: &str =
        "470bb76483cdf713d31370f859e3386cfb74f761410531746a9e97649405c63d";

    #[test]
    fn seal_and_open() {
        let key = [42u8; 32];
        let p = Personal::<16>::seal("Jane Doe", &key).unwrap();
        assert!(p.opens_with(&key, "Jane Doe"));
        assert!(!p.opens_with(&key, "Jane Dow"));
        assert!(!p.opens_with(&[43u8; 32], "Jane Doe"));
        assert!(Personal::<4>::seal("Jane Doe", &key).is_err());
        assert!(!Personal::<16>::plain("Jane Doe").unwrap().opens_with(&key, "Jane Doe"));
    }

    #[test]
    fn debug_never_shows_plain_text() {
        let p = Personal::<16>::plain("Jane Doe").unwrap();
        let mut s = heapless::String::<64>::new();
        core::fmt::write(&mut s, format_args!("{p:?}")).unwrap();
        assert_eq!(s, "Plain(<8 bytes>)");
    }

    #[test]
    fn stored_form_is_a_two_variant_enum() {
        let mut buf = [0u8; 64];
        let plain = Personal::<16>::plain("Ann").unwrap();
        let out = postcard::to_slice(&plain, &mut buf).unwrap();
        assert_eq!(out, &[0, 3, b'A', b'n', b'n']);
        let sealed = Personal::<16>::Sealed(Digest([9; 32]));
        let out = postcard::to_slice(&sealed, &mut buf).unwrap();
        assert_eq!(out.len(), 33);
        assert_eq!(out[0], 1);
        let back: Personal<16> = postcard::from_bytes(out).unwrap();
        assert_eq!(back, sealed);
        assert!(postcard::from_bytes::<Personal<16>>(&[2, 0]).is_err());
    }
}
