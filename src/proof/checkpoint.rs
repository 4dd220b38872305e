//! Checkpoints: the C2SP `tlog-checkpoint` body for a ledger.
//!
//! A checkpoint commits to the whole ledger up to a size: anyone holding a
//! signed checkpoint can later demand an inclusion proof for any entry it
//! covers and a consistency proof to any later checkpoint, so a ledger that
//! was cut short or rewritten is caught. The body is exactly C2SP's, so
//! tools for Go's checksum database and CT-style logs read it:
//!
//! ```text
//! <origin>\n                               e.g. lotledger/00112233445566778899aabbccddeeff
//! <tree size, decimal, no leading zeros>\n
//! <base64 of the 32-byte root>\n
//! lotledger-head <seq> <base64 of the 32-byte entry hash>\n   (optional extension line)
//! <other extension lines, each non-empty>\n
//! ```
//!
//! The chain head (sequence number and hash of the last entry) ties the
//! Merkle root to the hash chain, so a verifier holding only the checkpoint
//! can check the newest entry directly.

use core::fmt;

use base64ct::{Base64, Encoding};

use super::merkle::{HASH_LEN, Hash};
use super::note::{Note, NoteError, NoteWriter, SignError, Signer, VerifierKey};

/// Keyword of the extension line that carries the chain head.
pub const HEAD_EXTENSION: &str = "lotledger-head";

/// Prefix of the origin line for a ledger id.
const ORIGIN_PREFIX: &str = "lotledger/";
/// Base64 length of a 32-byte hash.
const HASH_B64_LEN: usize = 44;

/// The origin string for a 16-byte ledger id:
/// `lotledger/<32 lowercase hex digits>`, held without allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LedgerOrigin([u8; 42]);

impl LedgerOrigin {
    /// The origin for ledger id `id`.
    #[must_use]
    pub fn new(id: &[u8; 16]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 42];
        let (prefix, hex) = out.split_at_mut(ORIGIN_PREFIX.len());
        prefix.copy_from_slice(ORIGIN_PREFIX.as_bytes());
        for (pair, byte) in hex.chunks_exact_mut(2).zip(id) {
            let hi = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(byte & 0x0f)).copied().unwrap_or(b'0');
            pair.copy_from_slice(&[hi, lo]);
        }
        Self(out)
    }

    /// The origin as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for LedgerOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LedgerOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The head of the hash chain: the last entry's sequence number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence number of the last entry.
    pub seq: u64,
    /// Hash of the last entry.
    pub hash: Hash,
}

/// A checkpoint body that is malformed or cannot be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The text ends before the given line (1-based).
    MissingLine {
        /// The missing line.
        line: usize,
    },
    /// The text does not end in a newline.
    Unterminated,
    /// The origin (line 1) is empty or has control characters.
    Origin,
    /// The tree size (line 2) is not a canonical decimal `u64`.
    Size,
    /// The root (line 3) is not base64 of 32 bytes.
    Root,
    /// An extension line is empty or has a control character.
    Extension {
        /// The line number, from 1.
        line: usize,
    },
    /// A `lotledger-head` line is malformed or not the first extension line.
    Head {
        /// The line number, from 1.
        line: usize,
    },
    /// A second `lotledger-head` line.
    DuplicateHead {
        /// The line number, from 1.
        line: usize,
    },
    /// Extension lines to write are malformed (empty line or no final newline).
    Extensions,
    /// The signed note around the checkpoint is malformed or unverified.
    Note(NoteError),
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLine { line } => write!(f, "checkpoint ends before line {line}"),
            Self::Unterminated => f.write_str("checkpoint does not end in newline"),
            Self::Origin => f.write_str("invalid origin on line 1"),
            Self::Size => f.write_str("invalid tree size on line 2"),
            Self::Root => f.write_str("invalid root hash on line 3"),
            Self::Extension { line } => write!(f, "empty or invalid extension line {line}"),
            Self::Head { line } => write!(f, "malformed {HEAD_EXTENSION} on line {line}"),
            Self::DuplicateHead { line } => {
                write!(f, "duplicate {HEAD_EXTENSION} on line {line}")
            }
            Self::Extensions => f.write_str("malformed extension lines"),
            Self::Note(e) => write!(f, "signed note: {e}"),
            Self::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: need {needed} bytes, have {available}")
            }
        }
    }
}

impl core::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Note(e) => Some(e),
            _ => None,
        }
    }
}

impl From<NoteError> for CheckpointError {
    fn from(e: NoteError) -> Self {
        Self::Note(e)
    }
}

/// A checkpoint: origin, tree size, root and optionally the chain head.
///
/// ```
/// use lotledger::proof::{ChainHead, Checkpoint, CompactTree, Ed25519Signer, LedgerOrigin};
///
/// let origin = LedgerOrigin::new(&[0x11; 16]);
/// let mut tree: CompactTree = CompactTree::new();
/// tree.push_entry(&[0xaa; 32])?;
/// let cp = Checkpoint {
///     head: Some(ChainHead { seq: 0, hash: [0xaa; 32] }),
///     ..Checkpoint::new(origin.as_str(), tree.size(), tree.root())
/// };
/// let signer = Ed25519Signer::from_seed(origin.as_str(), &[9; 32])?;
/// let mut buf = [0u8; 512];
/// let len = cp.sign(&signer, &mut buf)?;
/// let opened = Checkpoint::open(&buf[..len], &[signer.verifier_key()])?;
/// assert_eq!(opened, cp);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint<'a> {
    /// The log identity (line 1); for a ledger, [`LedgerOrigin`].
    pub origin: &'a str,
    /// Number of leaves (entries) covered.
    pub size: u64,
    /// RFC 9162 root of those leaves.
    pub root: Hash,
    /// The chain head, from the `lotledger-head` extension line.
    pub head: Option<ChainHead>,
    /// Other extension lines verbatim, each ending in `\n` (empty if none).
    /// The head line is not included; it is written before these.
    pub extensions: &'a str,
}

impl<'a> Checkpoint<'a> {
    /// A checkpoint without chain head or extensions.
    #[must_use]
    pub const fn new(origin: &'a str, size: u64, root: Hash) -> Self {
        Self { origin, size, root, head: None, extensions: "" }
    }

    /// Parses a checkpoint body (the text of the signed note).
    ///
    /// Any origin is accepted. The `lotledger-head` line is recognised only
    /// as the first extension line (line 4), where [`write_body`](Self::write_body)
    /// puts it; other extension lines are kept verbatim in
    /// [`extensions`](Self::extensions), so parsing and writing round-trip.
    ///
    /// # Errors
    ///
    /// [`CheckpointError`] naming the line at fault; never panics.
    pub fn parse(text: &'a str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(if text.is_empty() {
            CheckpointError::MissingLine { line: 1 }
        } else {
            CheckpointError::Unterminated
        })?;
        let mut lines = body.split('\n');
        let origin = lines.next().ok_or(CheckpointError::MissingLine { line: 1 })?;
        if origin.is_empty() || origin.bytes().any(|b| b < 0x20) {
            return Err(CheckpointError::Origin);
        }
        let size = parse_decimal(lines.next().ok_or(CheckpointError::MissingLine { line: 2 })?)
            .ok_or(CheckpointError::Size)?;
        let root = parse_hash(lines.next().ok_or(CheckpointError::MissingLine { line: 3 })?)
            .ok_or(CheckpointError::Root)?;
        // Extension lines start after the third newline.
        let ext_begin = origin.len() + 1 + size_line_len(body, origin.len()) + HASH_B64_LEN + 1;
        let mut head = None;
        let mut kept = ext_begin;
        for (i, line) in lines.enumerate() {
            let number = i + 4;
            if line.is_empty() || line.bytes().any(|b| b < 0x20) {
                return Err(CheckpointError::Extension { line: number });
            }
            if line.split(' ').next() == Some(HEAD_EXTENSION) {
                if head.is_some() {
                    return Err(CheckpointError::DuplicateHead { line: number });
                }
                if number != 4 {
                    return Err(CheckpointError::Head { line: number });
                }
                head = Some(parse_head(line).ok_or(CheckpointError::Head { line: number })?);
                kept += line.len() + 1;
            }
        }
        Ok(Self { origin, size, root, head, extensions: text.get(kept..).unwrap_or_default() })
    }

    /// Length of the body [`write_body`](Self::write_body) produces.
    #[must_use]
    pub fn body_len(&self) -> usize {
        let head = self
            .head
            .map_or(0, |h| HEAD_EXTENSION.len() + 1 + decimal_len(h.seq) + 1 + HASH_B64_LEN + 1);
        self.origin.len()
            + 1
            + decimal_len(self.size)
            + 1
            + HASH_B64_LEN
            + 1
            + head
            + self.extensions.len()
    }

    /// Writes the checkpoint body into `out`; returns its length.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Origin`], [`CheckpointError::Extensions`] or
    /// [`CheckpointError::BufferTooSmall`].
    pub fn write_body(&self, out: &mut [u8]) -> Result<usize, CheckpointError> {
        if self.origin.is_empty() || self.origin.bytes().any(|b| b < 0x20) {
            return Err(CheckpointError::Origin);
        }
        if !self.extensions.is_empty()
            && (!self.extensions.ends_with('\n')
                || self.extensions.starts_with('\n')
                || self.extensions.contains("\n\n")
                || self.extensions.bytes().any(|b| b < 0x20 && b != b'\n'))
        {
            return Err(CheckpointError::Extensions);
        }
        let needed = self.body_len();
        let available = out.len();
        let out =
            out.get_mut(..needed).ok_or(CheckpointError::BufferTooSmall { needed, available })?;
        let mut w = Writer { out, at: 0 };
        w.put(self.origin.as_bytes());
        w.put(b"\n");
        w.put_decimal(self.size);
        w.put(b"\n");
        w.put_hash(&self.root);
        w.put(b"\n");
        if let Some(head) = self.head {
            w.put(HEAD_EXTENSION.as_bytes());
            w.put(b" ");
            w.put_decimal(head.seq);
            w.put(b" ");
            w.put_hash(&head.hash);
            w.put(b"\n");
        }
        w.put(self.extensions.as_bytes());
        Ok(w.at)
    }

    /// Writes the checkpoint as a signed note signed by `signer`; returns
    /// its length. To sign with several keys (e.g. during a key rotation),
    /// use [`write_body`](Self::write_body) and [`NoteWriter::with_text`].
    ///
    /// # Errors
    ///
    /// [`SignError`] from the body, the buffer or the signer.
    pub fn sign<S: Signer>(
        &self,
        signer: &S,
        out: &mut [u8],
    ) -> Result<usize, SignError<S::Error>> {
        let len = self.write_body(out).map_err(SignError::Checkpoint)?;
        let mut w = NoteWriter::with_text(out, len)?;
        w.sign(signer)?;
        Ok(w.finish())
    }

    /// Parses a signed checkpoint and verifies it against `keys`: at least
    /// one key must have signed it and every signature by a listed key must
    /// be valid (see [`Note::verify`]).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Note`] for a malformed or unverified note, other
    /// variants for a malformed body.
    pub fn open(msg: &'a [u8], keys: &[VerifierKey<'_>]) -> Result<Self, CheckpointError> {
        let note = Note::parse(msg)?;
        note.verify(keys)?;
        Self::parse(note.text())
    }
}

/// Length of line 2 plus its newline, found after the origin line.
fn size_line_len(body: &str, origin_len: usize) -> usize {
    body.get(origin_len + 1..).and_then(|rest| rest.find('\n')).map_or(0, |n| n + 1)
}

/// A canonical decimal `u64`: digits only, no leading zero unless "0".
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Standard padded base64 of exactly 32 bytes.
fn parse_hash(s: &str) -> Option<Hash> {
    if s.len() != HASH_B64_LEN {
        return None;
    }
    let mut out = [0u8; HASH_LEN];
    let decoded = Base64::decode(s, &mut out).ok()?;
    if decoded.len() != HASH_LEN {
        return None;
    }
    Some(out)
}

/// A head line: `lotledger-head <seq> <base64 hash>`.
fn parse_head(line: &str) -> Option<ChainHead> {
    let rest = line.strip_prefix(HEAD_EXTENSION)?.strip_prefix(' ')?;
    let (seq, hash) = rest.split_once(' ')?;
    Some(ChainHead { seq: parse_decimal(seq)?, hash: parse_hash(hash)? })
}

/// Number of decimal digits of `n`.
fn decimal_len(n: u64) -> usize {
    let mut len = 1;
    let mut n = n / 10;
    while n > 0 {
        len += 1;
        n /= 10;
    }
    len
}

/// Sequential writer into a slice already checked to be long enough.
struct Writer<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        if let Some(dst) = self.out.get_mut(self.at..end) {
            dst.copy_from_slice(bytes);
        }
        self.at = end;
    }

    fn put_decimal(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let len = decimal_len(n);
        let mut m = n;
        for d in digits.get_mut(..len).unwrap_or_default().iter_mut().rev() {
            *d = b'0' + (m % 10) as u8;
            m /= 10;
        }
        self.put(digits.get(..len).unwrap_or_default());
    }

    fn put_hash(&mut self, hash: &Hash) {
        let mut b64 = [0u8; HASH_B64_LEN];
        if let Ok(s) = Base64::encode(hash, &mut b64) {
            self.put(s.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::note::Ed25519Signer;
    use crate::proof::testutil::h;

    #[test]
    fn ledger_origin() {
        let id = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        assert_eq!(LedgerOrigin::new(&id).as_str(), "lotledger/00112233445566778899aabbccddeeff");
    }

    #[test]
    fn c2sp_example_body_parses() {
        // The example in C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint).
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse(text).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20_852_163);
        assert_eq!(cp.head, None);
        assert_eq!(cp.extensions, "");
        let mut buf = [0u8; 256];
        let n = cp.write_body(&mut buf).unwrap();
        assert_eq!(&buf[..n], text.as_bytes());
        assert_eq!(n, cp.body_len());
    }

    #[test]
    fn exact_body_with_head() {
        let cp = Checkpoint {
            head: Some(ChainHead { seq: 41, hash: [0xff; 32] }),
            ..Checkpoint::new("lotledger/00000000000000000000000000000001", 42, [0; 32])
        };
        let mut buf = [0u8; 256];
        let n = cp.write_body(&mut buf).unwrap();
        let want = "lotledger/00000000000000000000000000000001\n\
                    42\n\
                    AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
                    lotledger-head 41 //////////////////////////////////////////8=\n";
        assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), want);
        assert_eq!(Checkpoint::parse(want), Ok(cp));
    }

    #[test]
    fn extensions_are_kept() {
        let text = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nlotledger-head 0 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx y\n";
        let cp = Checkpoint::parse(text).unwrap();
        assert_eq!(cp.root, h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_eq!(cp.extensions, "x y\n");
        assert_eq!(cp.head.unwrap().seq, 0);
        let no_head = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\na\nb\n";
        assert_eq!(Checkpoint::parse(no_head).unwrap().extensions, "a\nb\n");
    }

    #[test]
    fn malformed_bodies() {
        let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let mut buf = [0u8; 512];
        let cases: [(&[&str], CheckpointError); 11] = [
            (&[""], CheckpointError::MissingLine { line: 1 }),
            (&["o"], CheckpointError::Unterminated),
            (&["o\n"], CheckpointError::MissingLine { line: 2 }),
            (&["o\n1\n"], CheckpointError::MissingLine { line: 3 }),
            (&["\n1\n", root, "\n"], CheckpointError::Origin),
            (&["o\n01\n", root, "\n"], CheckpointError::Size),
            (&["o\n+1\n", root, "\n"], CheckpointError::Size),
            (&["o\n18446744073709551616\n", root, "\n"], CheckpointError::Size),
            (&["o\n1\nAAAA\n"], CheckpointError::Root),
            (&["o\n1\n", root, "\n\n"], CheckpointError::Extension { line: 4 }),
            (&["o\n1\n", root, "\nlotledger-head 1\n"], CheckpointError::Head { line: 4 }),
        ];
        for (parts, want) in cases {
            let mut at = 0;
            for p in parts {
                buf[at..at + p.len()].copy_from_slice(p.as_bytes());
                at += p.len();
            }
            let text = core::str::from_utf8(&buf[..at]).unwrap();
            assert_eq!(Checkpoint::parse(text), Err(want), "{text:?}");
        }
        let dup = "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\
                   lotledger-head 0 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\
                   lotledger-head 0 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
        assert_eq!(Checkpoint::parse(dup), Err(CheckpointError::DuplicateHead { line: 5 }));
    }

    #[test]
    fn signed_checkpoint_round_trip_and_tamper() {
        let origin = LedgerOrigin::new(&[7; 16]);
        let signer = Ed25519Signer::from_seed(origin.as_str(), &[3; 32]).unwrap();
        let cp = Checkpoint {
            head: Some(ChainHead { seq: 9, hash: [5; 32] }),
            ..Checkpoint::new(origin.as_str(), 10, [4; 32])
        };
        let mut buf = [0u8; 512];
        let n = cp.sign(&signer, &mut buf).unwrap();
        let key = signer.verifier_key();
        assert_eq!(Checkpoint::open(&buf[..n], &[key]), Ok(cp));
        // Change the size digit "10" -> "11": the signature fails.
        let pos = origin.as_str().len() + 2;
        buf[pos] = b'1';
        assert_eq!(
            Checkpoint::open(&buf[..n], &[key]),
            Err(CheckpointError::Note(NoteError::InvalidSignature { key_id: key.key_id() }))
        );
        let mut small = [0u8; 10];
        assert!(matches!(
            cp.sign(&signer, &mut small),
            Err(SignError::Checkpoint(CheckpointError::BufferTooSmall { .. }))
        ));
    }
}
