//! The entry: one record with who made it, where, when, and its place in the
//! hash chain; its exact bytes and its hash.
//!
//! ```text
//! body := version: u8             (1)
//!         seq:     varint u64     entry number, from 0
//!         time:    zigzag varint  i64 milliseconds UTC
//!         link:    8 bytes        first 8 bytes of the previous entry's hash
//!         actor:   varint len + UTF-8
//!         station: varint len + UTF-8
//!         record:  varint kind + fields (postcard)
//!
//! hash(entry n)     = SHA-256("lotledger.entry.v1\0" || hash(entry n-1) || body n)
//! hash(entry -1)    = genesis = SHA-256("lotledger.genesis.v1\0" || ledger id)
//! ```
//!
//! Each hash covers the whole previous hash and the body exactly as stored;
//! nothing is re-serialised to verify. The body keeps only a short `link`
//! to the previous hash: it lets a verifier without any anchor name the
//! entry where the chain breaks, while the chain's strength comes from the
//! full 256-bit hash that every entry hash binds (24 bytes saved on every
//! entry of a ledger that may hold billions). A reader that does not know the version stops
//! with [`DecodeError::UnknownVersion`]; one that does not know a record
//! kind can still verify the chain, because the chain needs only the
//! header, and reports [`DecodeError::UnknownKind`] when asked for the record.

use core::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::model::{Actor, Digest, LedgerId, Record, RecordKind, Station, Timestamp};
use crate::varint;

/// The entry format version this library writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Domain separation tag hashed before every entry body.
pub const ENTRY_DOMAIN: &[u8] = b"lotledger.entry.v1\0";
/// Domain separation tag hashed before the ledger id to make the genesis hash.
pub const GENESIS_DOMAIN: &[u8] = b"lotledger.genesis.v1\0";

/// Who made an entry, where and when: what the caller supplies besides the record.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Stamp {
    /// When, from the caller's clock.
    pub time: Timestamp,
    /// Who.
    pub actor: Actor,
    /// Which station or device.
    pub station: Station,
}

/// The first [`PrevLink::LEN`] bytes of the previous entry's hash, stored in
/// each entry so a break in the chain is found where it is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct PrevLink(pub [u8; 8]);

impl PrevLink {
    /// Bytes of the hash kept.
    pub const LEN: usize = 8;

    /// The link to the entry whose hash is `hash`.
    #[must_use]
    pub fn of(hash: &Digest) -> Self {
        let mut out = [0u8; Self::LEN];
        out.iter_mut().zip(hash.0.iter()).for_each(|(o, h)| *o = *h);
        Self(out)
    }
}

impl fmt::Display for PrevLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A record as line software submits it: the stamp's fields and the record.
///
/// This is the JSON form `lotledger append` reads, one per line
/// (`docs/JSON.md` has an example of every record kind):
///
/// ```json
/// {"time":"2026-03-02T08:00:00Z","actor":"k.huber","station":"WH-DOCK-1",
///  "record":{"delivered":{"order":"SO0000417","customer":{"internal":"C10417"}}}}
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// When, from the caller's clock (RFC 3339 or milliseconds since 1970 in JSON).
    pub time: Timestamp,
    /// Who.
    pub actor: Actor,
    /// Which station or device.
    pub station: Station,
    /// The event.
    pub record: Record,
}

impl NewEntry {
    /// The stamp part.
    #[must_use]
    pub fn stamp(&self) -> Stamp {
        Stamp { time: self.time, actor: self.actor.clone(), station: self.station.clone() }
    }
}

/// Everything in an entry but the record.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Header {
    /// Format version, [`FORMAT_VERSION`].
    pub version: u8,
    /// Sequence number: 0 for the first entry, then one more each entry.
    pub seq: u64,
    /// When the entry was made.
    pub time: Timestamp,
    /// The first bytes of the previous entry's hash (for entry 0, of the
    /// ledger's genesis hash).
    pub link: PrevLink,
    /// Who made it.
    pub actor: Actor,
    /// The station or device it was made on.
    pub station: Station,
}

/// Why bytes could not be read as an entry or a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is empty.
    Empty,
    /// The format version is not one this library knows.
    UnknownVersion(u8),
    /// The record kind is not one this library knows (written by a newer version).
    UnknownKind(u64),
    /// The bytes end inside a field.
    Truncated,
    /// A field is not well formed (varint, UTF-8, option or enum tag).
    Malformed,
    /// A field is well formed but not a valid value (too long, bad check digit, ...).
    BadValue,
    /// Bytes are left over after the record.
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty entry"),
            Self::UnknownVersion(v) => write!(
                f,
                "entry format version {v} is unknown to this reader (it knows {FORMAT_VERSION}); upgrade lotledger"
            ),
            Self::UnknownKind(k) => write!(
                f,
                "record kind {k} is unknown to this reader (it knows 0 to {}); upgrade lotledger",
                RecordKind::ALL.len().saturating_sub(1)
            ),
            Self::Truncated => f.write_str("entry ends inside a field"),
            Self::Malformed => f.write_str("malformed field"),
            Self::BadValue => f.write_str("field value out of range"),
            Self::TrailingBytes { count } => write!(f, "{count} bytes after the record"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why an entry could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small for this entry.
    BufferTooSmall,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall => f.write_str("buffer too small for the entry"),
        }
    }
}

impl core::error::Error for EncodeError {}

fn from_postcard(e: postcard::Error) -> DecodeError {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated,
        postcard::Error::SerdeDeCustom => DecodeError::BadValue,
        _ => DecodeError::Malformed,
    }
}

/// Encodes `header` then `record` into `out`; returns the body length.
///
/// # Errors
/// [`EncodeError::BufferTooSmall`] when `out` cannot hold the body.
pub fn encode(header: &Header, record: &Record, out: &mut [u8]) -> Result<usize, EncodeError> {
    postcard::to_slice(&(header, record), out)
        .map(|written| written.len())
        .map_err(|_| EncodeError::BufferTooSmall)
}

/// Reads the header of an entry body and returns it with the record bytes.
///
/// # Errors
/// [`DecodeError::UnknownVersion`] for another format version; otherwise the
/// reason the header is unreadable.
pub fn decode_header(body: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
    let version = *body.first().ok_or(DecodeError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    postcard::take_from_bytes::<Header>(body).map_err(from_postcard)
}

/// Reads a record from its bytes (what [`decode_header`] leaves).
///
/// # Errors
/// [`DecodeError::UnknownKind`] for a kind this version does not know;
/// otherwise the reason the record is unreadable.
pub fn decode_record(bytes: &[u8]) -> Result<Record, DecodeError> {
    let (kind, _) = varint::decode(bytes).map_err(|e| match e {
        varint::VarintError::Truncated => DecodeError::Truncated,
        varint::VarintError::Overflow => DecodeError::Malformed,
    })?;
    if u32::try_from(kind).ok().and_then(RecordKind::from_number).is_none() {
        return Err(DecodeError::UnknownKind(kind));
    }
    match postcard::take_from_bytes::<Record>(bytes).map_err(from_postcard)? {
        (record, []) => Ok(record),
        (_, rest) => Err(DecodeError::TrailingBytes { count: rest.len() }),
    }
}

/// Reads a whole entry body.
///
/// # Errors
/// As [`decode_header`] and [`decode_record`].
pub fn decode(body: &[u8]) -> Result<(Header, Record), DecodeError> {
    let (header, rest) = decode_header(body)?;
    Ok((header, decode_record(rest)?))
}

/// The hash of an entry: SHA-256 over [`ENTRY_DOMAIN`], the previous
/// entry's hash (the genesis hash for entry 0), then the body as stored.
#[must_use]
pub fn hash(prev: &Digest, body: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update(ENTRY_DOMAIN);
    h.update(prev.0);
    h.update(body);
    Digest(h.finalize().into())
}

/// The hash entry 0 links to: SHA-256 over [`GENESIS_DOMAIN`] then the ledger id.
#[must_use]
pub fn genesis(ledger: &LedgerId) -> Digest {
    let mut h = Sha256::new();
    h.update(GENESIS_DOMAIN);
    h.update(ledger.0);
    Digest(h.finalize().into())
}
