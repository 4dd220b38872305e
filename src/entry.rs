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
//! hash(entry n)     = SHA-256(ENTRY_DOMAIN || hash(entry n-1) || body n)
//!                     ENTRY_DOMAIN: "lotledger.entry.v1" and zeros, 64 bytes
//! hash(entry -1)    = genesis = SHA-256("lotledger.genesis.v1\0" || ledger id)
//! ```
//!
//! Each hash covers the whole previous hash and the body exactly as stored;
//! nothing is re-serialised to verify. The body keeps only a short `link`
//! to the previous hash: it lets a verifier without any anchor name the
//! entry where the chain breaks, while the chain's strength comes from the
//! full 256-bit hash that every entry hash binds (24 bytes saved on every
//! entry of a ledger that may hold billions). The domain tag fills one
//! SHA-256 block, so its state is computed once ([`ENTRY_MIDSTATE`]) and
//! each entry costs the blocks of its previous hash and body alone. A reader that does not know the version stops
//! with [`DecodeError::UnknownVersion`]; one that does not know a record
//! kind can still verify the chain, because the chain needs only the
//! header, and reports [`DecodeError::UnknownKind`] when asked for the record.

use core::fmt;

use serde::{Deserialize, Serialize};
use sha2::block_api::compress256;
use sha2::{Digest as _, Sha256};

use crate::model::{Actor, Digest, LedgerId, Record, RecordKind, Station, Timestamp};
use crate::varint;

// Hosts only: on a line controller, flash is dearer than the nanoseconds.
#[cfg(feature = "std")]
mod hot;

/// The entry format version this library writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Domain separation tag hashed before every entry: the ASCII
/// `lotledger.entry.v1` padded with zeros to one SHA-256 block (64 bytes).
pub const ENTRY_DOMAIN: &[u8; 64] = b"lotledger.entry.v1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
/// The SHA-256 state after [`ENTRY_DOMAIN`]: where every entry hash starts
/// (checked against the block in the tests).
pub const ENTRY_MIDSTATE: [u32; 8] = [
    0xe531_2b9f,
    0x9b1e_17a8,
    0xb05c_eca9,
    0xb16f_e34e,
    0x6307_c0d0,
    0x25f2_617e,
    0xdace_f7c2,
    0x548c_efbd,
];
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

/// An entry header read in place: the codes borrow the body's bytes, so
/// following a chain copies nothing. [`HeaderRef::to_header`] makes a
/// [`Header`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HeaderRef<'a> {
    /// Format version, [`FORMAT_VERSION`].
    pub version: u8,
    /// Sequence number.
    pub seq: u64,
    /// When the entry was made.
    pub time: Timestamp,
    /// The first bytes of the previous entry's hash.
    pub link: PrevLink,
    /// Who made it.
    pub actor: CodeRef<'a>,
    /// The station or device.
    pub station: CodeRef<'a>,
}

/// A code (actor, station) that follows the code rule, borrowed: from an
/// entry body read in place, or from a [`Code`](crate::model::Code).
/// Reading a body checks the rule on the bytes; the text is decoded only
/// when asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeRef<'a>(&'a [u8]);

impl<'a> CodeRef<'a> {
    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        // Checked when made: valid UTF-8.
        core::str::from_utf8(self.0).unwrap_or_default()
    }

    /// The code's bytes as stored.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl<'a, const N: usize> From<&'a crate::model::Code<N>> for CodeRef<'a> {
    fn from(code: &'a crate::model::Code<N>) -> Self {
        Self(code.as_str().as_bytes())
    }
}

impl fmt::Debug for CodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for CodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl HeaderRef<'_> {
    /// The owned header. A [`CodeRef`] already follows the code rule, so
    /// only the capacity is checked.
    ///
    /// # Errors
    /// [`DecodeError::BadValue`] when a code is longer than an [`Actor`] or
    /// [`Station`] holds (never for a header from [`decode_header_ref`]).
    pub fn to_header(&self) -> Result<Header, DecodeError> {
        Ok(Header {
            version: self.version,
            seq: self.seq,
            time: self.time,
            link: self.link,
            actor: Actor::from_checked(self.actor.as_str()).ok_or(DecodeError::BadValue)?,
            station: Station::from_checked(self.station.as_str()).ok_or(DecodeError::BadValue)?,
        })
    }
}

impl Header {
    /// The header, borrowed.
    #[must_use]
    pub fn as_ref(&self) -> HeaderRef<'_> {
        HeaderRef {
            version: self.version,
            seq: self.seq,
            time: self.time,
            link: self.link,
            actor: CodeRef::from(&self.actor),
            station: CodeRef::from(&self.station),
        }
    }
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
    /// A field's value is outside the range the format allows (a
    /// satisfaction other than 1 to 5).
    BadValue,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall => f.write_str("buffer too small for the entry"),
            Self::BadValue => f.write_str("a field value is outside the range the format allows"),
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
    encode_parts(&header.as_ref(), record, out)
}

/// As [`encode`], from a borrowed header (what a writer has: no codes copied).
///
/// # Errors
/// [`EncodeError::BufferTooSmall`] when `out` cannot hold the body.
pub fn encode_parts(
    header: &HeaderRef<'_>,
    record: &Record,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut w = Cursor { out, pos: 0 };
    w.bytes(&[header.version])?;
    w.varint(header.seq)?;
    w.varint(zigzag(header.time.0))?;
    w.bytes(&header.link.0)?;
    w.prefixed(header.actor.as_bytes())?;
    w.prefixed(header.station.as_bytes())?;
    #[cfg(feature = "std")]
    if let Some(done) = hot::encode(record, &mut w) {
        return done.map(|()| w.pos);
    }
    postcard::serialize_with_flavor(record, w).map_err(|e| match e {
        postcard::Error::SerdeSerCustom => EncodeError::BadValue,
        _ => EncodeError::BufferTooSmall,
    })
}

/// Where an entry body is written: the header fields by hand (postcard's
/// encoding; the header is on every entry's path), then the record through
/// postcard with this as its output.
struct Cursor<'o> {
    out: &'o mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn bytes(&mut self, b: &[u8]) -> Result<(), EncodeError> {
        let end = self.pos + b.len();
        let dst = self.out.get_mut(self.pos..end).ok_or(EncodeError::BufferTooSmall)?;
        copy_short(dst, b);
        self.pos = end;
        Ok(())
    }

    #[inline(always)]
    fn varint(&mut self, v: u64) -> Result<(), EncodeError> {
        #[cfg(feature = "std")]
        if let Ok(byte @ 0..0x80) = u8::try_from(v) {
            // Most lengths, indexes and small numbers: one byte.
            return self.bytes(&[byte]);
        }
        let mut buf = [0u8; varint::MAX_LEN_U64];
        let n = varint::encode(v, &mut buf);
        self.bytes(buf.get(..n).unwrap_or_default())
    }

    /// A string or byte list as postcard writes it: its length, then its bytes.
    #[inline(always)]
    fn prefixed(&mut self, b: &[u8]) -> Result<(), EncodeError> {
        self.varint(b.len() as u64)?;
        self.bytes(b)
    }

    /// A string as postcard writes it.
    #[cfg(feature = "std")]
    #[inline(always)]
    fn str(&mut self, s: &str) -> Result<(), EncodeError> {
        self.prefixed(s.as_bytes())
    }
}

impl postcard::ser_flavors::Flavor for Cursor<'_> {
    type Output = usize;

    #[inline(always)]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        let slot = self.out.get_mut(self.pos).ok_or(postcard::Error::SerializeBufferFull)?;
        *slot = byte;
        self.pos += 1;
        Ok(())
    }

    #[inline(always)]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.bytes(data).map_err(|_| postcard::Error::SerializeBufferFull)
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.pos)
    }
}

/// Copies `src` into `dst` (of the same length). Codes and texts are a few
/// bytes long, bodies rarely over 128, and for them a call to `memcpy`
/// costs more than the copy: two overlapping fixed-size moves do it inline.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    fn ends<const N: usize>(dst: &mut [u8], src: &[u8]) {
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_chunk_mut::<N>(), src.last_chunk::<N>()) {
            *d = *s;
        }
    }
    match src.len() {
        n if n != dst.len() => {}
        0 => {}
        1..4 => copy_tiny(dst, src),
        4..8 => ends::<4>(dst, src),
        8..16 => ends::<8>(dst, src),
        16..=32 => ends::<16>(dst, src),
        33..=64 => ends::<32>(dst, src),
        65..=128 => ends::<64>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// [`copy_short`] for 1 to 3 bytes. On hosts: the first, last and second
/// byte, inline (a byte loop would be turned into a call to `memcpy`).
/// Without `std` the loop stays: there flash counts more than time, and the
/// size-optimised firmware images came out larger with the inline form.
#[cfg(feature = "std")]
#[inline(always)]
fn copy_tiny(dst: &mut [u8], src: &[u8]) {
    // `src` holds 1 to 3 bytes: `len - 1` does not wrap.
    for at in [0, src.len() - 1, 1] {
        if let (Some(d), Some(s)) = (dst.get_mut(at), src.get(at)) {
            *d = *s;
        }
    }
}

/// [`copy_short`] for 1 to 3 bytes, without `std`.
#[cfg(not(feature = "std"))]
#[inline(always)]
fn copy_tiny(dst: &mut [u8], src: &[u8]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
}

const fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

const fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Reads the header fields, with the errors postcard gives for them.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.0.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    #[inline(always)]
    fn varint(&mut self) -> Result<u64, DecodeError> {
        // Up to 8 bytes (56 bits: every sequence number and time a ledger
        // holds) from one load, without a loop; anything else below.
        if let Some(word) = self.0.first_chunk::<8>() {
            let word = u64::from_le_bytes(*word);
            let ends = !word & 0x8080_8080_8080_8080;
            if ends != 0 {
                let n = (ends.trailing_zeros() / 8 + 1) as usize;
                let mut v = word & (u64::MAX >> (64 - 8 * n));
                // Drop the continuation bits: 7 bits a byte into place.
                v = (v & 0x007f_007f_007f_007f) | ((v & 0x7f00_7f00_7f00_7f00) >> 1);
                v = (v & 0x0000_3fff_0000_3fff) | ((v & 0x3fff_0000_3fff_0000) >> 2);
                v = (v & 0x0000_0000_0fff_ffff) | ((v & 0x0fff_ffff_0000_0000) >> 4);
                self.0 = self.0.get(n..).unwrap_or_default();
                return Ok(v);
            }
        }
        let (v, n) = varint::decode(self.0).map_err(|e| match e {
            varint::VarintError::Truncated => DecodeError::Truncated,
            varint::VarintError::Overflow => DecodeError::Malformed,
        })?;
        self.take(n)?;
        Ok(v)
    }

    /// An actor or station: bytes, then UTF-8 (malformed), then the code
    /// rule (bad value), in postcard's order. Printable ASCII, which almost
    /// every code is, is valid UTF-8 and free of control characters, so
    /// only its length and edge spaces are left to check.
    #[inline(always)]
    fn code(&mut self) -> Result<CodeRef<'a>, DecodeError> {
        let len = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated)?;
        let bytes = self.take(len)?;
        if bytes.iter().fold(true, |ok, &b| ok & (b.wrapping_sub(0x20) < 0x5f)) {
            let edge_space = bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ');
            if bytes.is_empty() || bytes.len() > Actor::CAPACITY || edge_space {
                return Err(DecodeError::BadValue);
            }
            return Ok(CodeRef(bytes));
        }
        let s = core::str::from_utf8(bytes).map_err(|_| DecodeError::Malformed)?;
        Actor::check(s).map_err(|_| DecodeError::BadValue)?;
        Ok(CodeRef(bytes))
    }
}

/// Reads the header of an entry body in place and returns it with the
/// record bytes. This is what following a chain reads of every entry.
///
/// # Errors
/// [`DecodeError::UnknownVersion`] for another format version; otherwise the
/// reason the header is unreadable.
#[inline(always)]
pub fn decode_header_ref(body: &[u8]) -> Result<(HeaderRef<'_>, &[u8]), DecodeError> {
    let version = *body.first().ok_or(DecodeError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let mut r = Reader(body.get(1..).unwrap_or_default());
    let seq = r.varint()?;
    let time = Timestamp(unzigzag(r.varint()?));
    let mut link = [0u8; PrevLink::LEN];
    link.copy_from_slice(r.take(PrevLink::LEN)?);
    let actor = r.code()?;
    let station = r.code()?;
    let header = HeaderRef { version, seq, time, link: PrevLink(link), actor, station };
    Ok((header, r.0))
}

/// Reads the header of an entry body and returns it with the record bytes.
///
/// # Errors
/// [`DecodeError::UnknownVersion`] for another format version; otherwise the
/// reason the header is unreadable.
pub fn decode_header(body: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
    let (header, rest) = decode_header_ref(body)?;
    Ok((header.to_header()?, rest))
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
///
/// It starts from [`ENTRY_MIDSTATE`] and runs the compression function
/// over the previous hash, the body and the padding: two blocks for a body
/// of up to 87 bytes, as many as SHA-256 of those bytes alone would take.
#[must_use]
pub fn hash(prev: &Digest, body: &[u8]) -> Digest {
    const BLOCK: usize = 64;
    let mut state = ENTRY_MIDSTATE;
    let total_bits = ((ENTRY_DOMAIN.len() + prev.0.len() + body.len()) as u64) * 8;
    // The previous hash and the start of the body fill the first block.
    let mut buf = [0u8; 2 * BLOCK];
    let (first, body_rest) = body.split_at(body.len().min(2 * BLOCK - prev.0.len()));
    buf.get_mut(..prev.0.len()).unwrap_or_default().copy_from_slice(&prev.0);
    copy_short(buf.get_mut(prev.0.len()..prev.0.len() + first.len()).unwrap_or_default(), first);
    let mut used = prev.0.len() + first.len();
    if !body_rest.is_empty() || used + 9 > 2 * BLOCK {
        // A long body: the two buffered blocks, the body's whole blocks in
        // place, then its tail.
        let (whole, tail) = body_rest.as_chunks::<BLOCK>();
        let (buffered, _) = buf.as_chunks::<BLOCK>();
        let filled = used / BLOCK;
        compress256(&mut state, buffered.get(..filled).unwrap_or_default());
        compress256(&mut state, whole);
        let mut last = [0u8; 2 * BLOCK];
        let carried = buf.get(filled * BLOCK..used).unwrap_or_default();
        last.get_mut(..carried.len()).unwrap_or_default().copy_from_slice(carried);
        // `carried` is empty when `used` is a multiple of the block size.
        last.get_mut(carried.len()..carried.len() + tail.len())
            .unwrap_or_default()
            .copy_from_slice(tail);
        used = carried.len() + tail.len();
        buf = last;
    }
    // Padding: 0x80, zeros, the message length in bits.
    if let Some(b) = buf.get_mut(used) {
        *b = 0x80;
    }
    let blocks = if used + 9 <= BLOCK { 1 } else { 2 };
    buf.get_mut(blocks * BLOCK - 8..blocks * BLOCK)
        .unwrap_or_default()
        .copy_from_slice(&total_bits.to_be_bytes());
    let (padded, _) = buf.as_chunks::<BLOCK>();
    compress256(&mut state, padded.get(..blocks).unwrap_or_default());
    let mut out = [0u8; 32];
    for (o, w) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *o = w.to_be_bytes();
    }
    Digest(out)
}

/// The hash entry 0 links to: SHA-256 over [`GENESIS_DOMAIN`] then the ledger id.
#[must_use]
pub fn genesis(ledger: &LedgerId) -> Digest {
    let mut h = Sha256::new();
    h.update(GENESIS_DOMAIN);
    h.update(ledger.0);
    Digest(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256_IV: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];

    #[test]
    fn midstate_is_the_domain_block() {
        let mut state = SHA256_IV;
        compress256(&mut state, &[*ENTRY_DOMAIN]);
        assert_eq!(state, ENTRY_MIDSTATE);
        assert_eq!(ENTRY_DOMAIN.get(..18), Some(&b"lotledger.entry.v1"[..]));
        assert!(ENTRY_DOMAIN.iter().skip(18).all(|&b| b == 0));
    }

    /// The block-level hash equals SHA-256 of the whole message for every
    /// body length across the one-, two- and many-block paths.
    #[test]
    fn hash_is_sha256_of_domain_prev_body() {
        let mut body = [0u8; 400];
        for (i, b) in (0u32..).zip(body.iter_mut()) {
            *b = (i.wrapping_mul(40_503) >> 7).to_le_bytes()[0];
        }
        let prev = Digest([0xa5; 32]);
        for len in 0..body.len() {
            let mut h = Sha256::new();
            h.update(ENTRY_DOMAIN);
            h.update(prev.0);
            h.update(&body[..len]);
            assert_eq!(hash(&prev, &body[..len]), Digest(h.finalize().into()), "body of {len}");
        }
    }

    #[test]
    fn copy_short_copies_every_length() {
        let src: [u8; 140] = core::array::from_fn(|i| u8::try_from(i + 1).unwrap());
        for n in 0..=src.len() {
            let mut dst = [0u8; 140];
            copy_short(&mut dst[..n], &src[..n]);
            assert_eq!(dst[..n], src[..n], "{n}");
            assert!(dst[n..].iter().all(|&b| b == 0), "{n}");
        }
    }

    fn reference_decode(body: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
        let version = *body.first().ok_or(DecodeError::Empty)?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnknownVersion(version));
        }
        postcard::take_from_bytes::<Header>(body).map_err(from_postcard)
    }

    /// Codes at the edges of the rule read as postcard reads them, through
    /// the ASCII shortcut and the general path.
    #[test]
    fn header_codes_at_the_edges_of_the_rule() {
        let long = "A".repeat(33);
        let cases: [&[u8]; 12] = [
            b"A",
            b" A",
            b"A ",
            b"",
            long.as_bytes(),
            &long.as_bytes()[..32],
            "é".as_bytes(),
            " é".as_bytes(),
            b"\x7f",
            b"A\tB",
            b"\xff",
            "\u{85}".as_bytes(),
        ];
        for actor in cases {
            let mut body =
                std::vec![1u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, u8::try_from(actor.len()).unwrap()];
            body.extend_from_slice(actor);
            body.extend_from_slice(&[1, b'S', 4]);
            assert_eq!(decode_header(&body), reference_decode(&body), "{actor:?}");
        }
    }

    proptest::proptest! {
        /// The header's one-load varint reads what `varint::decode` reads,
        /// for every length, with and without bytes after it.
        #[test]
        fn header_varint_agrees_with_decode(
            v in proptest::prelude::any::<u64>(),
            shift in 0u32..64,
            after in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..10),
        ) {
            let v = v >> shift;
            let mut bytes = [0u8; 32];
            let mut enc = [0u8; varint::MAX_LEN_U64];
            let n = varint::encode(v, &mut enc);
            bytes[..n].copy_from_slice(&enc[..n]);
            bytes[n..n + after.len()].copy_from_slice(&after);
            for len in 0..=n + after.len() {
                let mut r = Reader(&bytes[..len]);
                let ours = r.varint().map(|v| (v, len - r.0.len()));
                let theirs = varint::decode(&bytes[..len]).map_err(|e| match e {
                    varint::VarintError::Truncated => DecodeError::Truncated,
                    varint::VarintError::Overflow => DecodeError::Malformed,
                });
                proptest::prop_assert_eq!(ours, theirs, "{} of {:?}", len, &bytes[..len]);
            }
        }

        /// The hand-written header reader gives postcard's answer, value or
        /// error, for any bytes after a valid start.
        #[test]
        fn header_reader_agrees_with_postcard(
            seq in proptest::prelude::any::<u64>(),
            time in proptest::prelude::any::<i64>(),
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            cut in 0usize..120,
        ) {
            let mut body = [0u8; 256];
            let header = HeaderRef {
                version: FORMAT_VERSION, seq, time: Timestamp(time), link: PrevLink([3; 8]),
                actor: CodeRef(b"qa.mei"), station: CodeRef(b"LINE-2"),
            };
            let mut w = Cursor { out: &mut body, pos: 0 };
            w.bytes(&[header.version]).unwrap();
            w.varint(header.seq).unwrap();
            w.varint(zigzag(time)).unwrap();
            w.bytes(&header.link.0).unwrap();
            let pos = w.pos;
            body[pos..pos + tail.len()].copy_from_slice(&tail);
            let bytes = &body[..(pos + tail.len()).min(cut.max(1))];
            let ours = decode_header(bytes);
            let theirs = reference_decode(bytes);
            proptest::prop_assert_eq!(ours, theirs);
        }

        /// The hand-written header writer writes postcard's bytes.
        #[test]
        fn header_writer_agrees_with_postcard(
            seq in proptest::prelude::any::<u64>(),
            time in proptest::prelude::any::<i64>(),
            link in proptest::prelude::any::<[u8; 8]>(),
            actor in "[a-z.]{1,32}",
            station in "[A-Z][A-Z0-9 é-]{0,10}[A-Z]",
        ) {
            let header = Header {
                version: FORMAT_VERSION, seq, time: Timestamp(time), link: PrevLink(link),
                actor: Actor::new(&actor).unwrap(), station: Station::new(&station).unwrap(),
            };
            let record = Record::Delivered(crate::model::Delivered {
                order: "SO1".parse().unwrap(),
                customer: crate::model::PartyId::Internal("C1".parse().unwrap()),
            });
            let (mut ours, mut theirs) = ([0u8; 256], [0u8; 256]);
            let n = encode(&header, &record, &mut ours).unwrap();
            let expected = postcard::to_slice(&(&header, &record), &mut theirs).unwrap();
            proptest::prop_assert_eq!(&ours[..n], &*expected);
            let (back, rest) = decode_header(&ours[..n]).unwrap();
            proptest::prop_assert_eq!(back, header);
            proptest::prop_assert_eq!(decode_record(rest).unwrap(), record);
        }
    }
}
