//! Proof paths, their byte encoding and the errors shared by both proof kinds.
//!
//! # Byte encoding
//!
//! Both proof kinds share one compact, fixed-width layout (all integers
//! big-endian) so that a proof can be stored, sent or bundled as bytes and
//! parsed without allocation:
//!
//! ```text
//!  0        1        2                 10                18       19
//! +--------+--------+-----------------+-----------------+--------+------------------+
//! | 0x01   | kind   | first (u64 BE)  | second (u64 BE) | count  | count × 32 bytes |
//! +--------+--------+-----------------+-----------------+--------+------------------+
//!  version  0x01 inclusion:   first = leaf index, second = tree size
//!           0x02 consistency: first = old size,   second = new size
//! ```
//!
//! `count` must equal the path length that RFC 9162 prescribes for the two
//! numbers, and the input must end right after the last hash. The hashes
//! are in RFC 9162 order (from the leaf or old subtree upwards).

use core::fmt;

use super::merkle::{HASH_LEN, Hash};

/// The most hashes any proof for a `u64` tree size can hold.
pub const MAX_PROOF_HASHES: usize = 64;

/// Length of the fixed header of an encoded proof.
pub const PROOF_HEADER_LEN: usize = 19;

/// Version byte of the proof encoding.
pub const PROOF_VERSION: u8 = 0x01;

/// A proof's hashes, owned in a fixed array (no allocation), as produced by
/// [`prove_inclusion`](super::prove_inclusion) and
/// [`prove_consistency`](super::prove_consistency).
#[derive(Clone, PartialEq, Eq)]
pub struct ProofPath {
    len: usize,
    hashes: [Hash; MAX_PROOF_HASHES],
}

impl ProofPath {
    /// An empty path.
    #[must_use]
    pub const fn new() -> Self {
        Self { len: 0, hashes: [[0; HASH_LEN]; MAX_PROOF_HASHES] }
    }

    /// The hashes, in RFC 9162 order.
    #[must_use]
    pub fn as_slice(&self) -> &[Hash] {
        self.hashes.get(..self.len).unwrap_or(&self.hashes)
    }

    /// Number of hashes.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the path has no hashes.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a hash; hands it back if the path is full.
    pub(crate) fn push(&mut self, hash: Hash) -> Result<(), Hash> {
        match self.hashes.get_mut(self.len) {
            Some(slot) => {
                *slot = hash;
                self.len += 1;
                Ok(())
            }
            None => Err(hash),
        }
    }

    /// Reverses the order (generation collects top-down).
    pub(crate) fn reverse(&mut self) {
        if let Some(s) = self.hashes.get_mut(..self.len) {
            s.reverse();
        }
    }
}

impl Default for ProofPath {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ProofPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The leaf index is not below the tree size.
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old tree size exceeds the new one.
    SizeDecreased {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// The path does not have the length RFC 9162 prescribes for these sizes.
    PathLength {
        /// The prescribed number of hashes.
        expected: usize,
        /// The number of hashes in the proof.
        found: usize,
    },
    /// The root computed from the proof is not the expected root.
    RootMismatch,
    /// The old root computed from a consistency proof is not the expected one.
    OldRootMismatch,
    /// The proof is for another tree size than the checkpoint.
    SizeMismatch {
        /// The size the proof is for.
        proof: u64,
        /// The size the checkpoint states.
        checkpoint: u64,
    },
    /// Two checkpoints have different origins: they are different logs.
    OriginMismatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IndexOutOfRange { index, size } => {
                write!(f, "leaf index {index} not below tree size {size}")
            }
            Self::SizeDecreased { old, new } => {
                write!(f, "old size {old} exceeds new size {new}")
            }
            Self::PathLength { expected, found } => {
                write!(f, "proof has {found} hashes, expected {expected}")
            }
            Self::RootMismatch => f.write_str("root does not match proof"),
            Self::OldRootMismatch => f.write_str("old root does not match proof"),
            Self::SizeMismatch { proof, checkpoint } => {
                write!(f, "proof for size {proof}, checkpoint has size {checkpoint}")
            }
            Self::OriginMismatch => f.write_str("checkpoints have different origins"),
        }
    }
}

impl core::error::Error for VerifyError {}

/// Encoded proof bytes are malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The input ends before the header or the announced hashes.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        found: usize,
    },
    /// The version byte (offset 0) is unknown.
    Version {
        /// The byte found.
        found: u8,
    },
    /// The kind byte (offset 1) is not the kind asked for.
    Kind {
        /// The kind expected.
        expected: u8,
        /// The byte found.
        found: u8,
    },
    /// The two numbers (offsets 2 and 10) do not form a valid proof statement.
    Range(VerifyError),
    /// The hash count (offset 18) is not the one RFC 9162 prescribes.
    Count {
        /// The prescribed count.
        expected: usize,
        /// The count found.
        found: u8,
    },
    /// Bytes follow the last hash.
    TrailingBytes {
        /// Offset of the first extra byte.
        at: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, found } => {
                write!(f, "proof truncated: {found} of {needed} bytes")
            }
            Self::Version { found } => write!(f, "unknown proof version {found:#04x} at byte 0"),
            Self::Kind { expected, found } => {
                write!(f, "proof kind {found:#04x} at byte 1, expected {expected:#04x}")
            }
            Self::Range(e) => write!(f, "invalid proof header: {e}"),
            Self::Count { expected, found } => {
                write!(f, "hash count {found} at byte 18, expected {expected}")
            }
            Self::TrailingBytes { at } => write!(f, "trailing bytes at offset {at}"),
        }
    }
}

impl core::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Range(e) => Some(e),
            _ => None,
        }
    }
}

/// Writing encoded bytes failed: the output buffer is too small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BufferTooSmall {
    /// Bytes needed.
    pub needed: usize,
    /// Bytes available.
    pub available: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer too small: need {} bytes, have {}", self.needed, self.available)
    }
}

impl core::error::Error for BufferTooSmall {}

/// A decoded proof header.
pub(crate) struct Header<'a> {
    pub first: u64,
    pub second: u64,
    pub count: u8,
    pub hashes: &'a [u8],
}

fn be_u64(bytes: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        buf.copy_from_slice(src);
    }
    u64::from_be_bytes(buf)
}

/// Checks version, kind and the header length; returns the fields.
pub(crate) fn parse_header(bytes: &[u8], kind: u8) -> Result<Header<'_>, ParseError> {
    let Some((head, hashes)) = bytes.split_at_checked(PROOF_HEADER_LEN) else {
        return Err(ParseError::Truncated { needed: PROOF_HEADER_LEN, found: bytes.len() });
    };
    let [version, found_kind, .., count] = *head else {
        return Err(ParseError::Truncated { needed: PROOF_HEADER_LEN, found: bytes.len() });
    };
    if version != PROOF_VERSION {
        return Err(ParseError::Version { found: version });
    }
    if found_kind != kind {
        return Err(ParseError::Kind { expected: kind, found: found_kind });
    }
    Ok(Header { first: be_u64(head, 2), second: be_u64(head, 10), count, hashes })
}

/// Checks the count against the prescribed length and splits the hashes.
pub(crate) fn parse_hashes<'a>(
    header: &Header<'a>,
    expected: usize,
) -> Result<&'a [Hash], ParseError> {
    if usize::from(header.count) != expected {
        return Err(ParseError::Count { expected, found: header.count });
    }
    let body = expected * HASH_LEN;
    if header.hashes.len() < body {
        return Err(ParseError::Truncated {
            needed: PROOF_HEADER_LEN + body,
            found: PROOF_HEADER_LEN + header.hashes.len(),
        });
    }
    if header.hashes.len() > body {
        return Err(ParseError::TrailingBytes { at: PROOF_HEADER_LEN + body });
    }
    // Length checked above: no remainder.
    let (hashes, _) = header.hashes.as_chunks::<HASH_LEN>();
    Ok(hashes)
}

/// Length of an encoded proof with `count` hashes.
pub(crate) const fn encoded_len(count: usize) -> usize {
    PROOF_HEADER_LEN + count * HASH_LEN
}

/// Writes header and hashes into `out`; returns the length written.
pub(crate) fn encode(
    kind: u8,
    first: u64,
    second: u64,
    path: &[Hash],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let needed = encoded_len(path.len());
    let count =
        u8::try_from(path.len()).map_err(|_| BufferTooSmall { needed, available: out.len() })?;
    let available = out.len();
    let Some(out) = out.get_mut(..needed) else {
        return Err(BufferTooSmall { needed, available });
    };
    let (head, body) = out.split_at_mut(PROOF_HEADER_LEN);
    let mut header = [0u8; PROOF_HEADER_LEN];
    header[0] = PROOF_VERSION;
    header[1] = kind;
    header[2..10].copy_from_slice(&first.to_be_bytes());
    header[10..18].copy_from_slice(&second.to_be_bytes());
    header[18] = count;
    head.copy_from_slice(&header);
    for (chunk, hash) in body.chunks_exact_mut(HASH_LEN).zip(path) {
        chunk.copy_from_slice(hash);
    }
    Ok(needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_push_until_full() {
        let mut p = ProofPath::new();
        for i in 0..MAX_PROOF_HASHES {
            p.push([u8::try_from(i).unwrap(); 32]).unwrap();
        }
        assert_eq!(p.push([9; 32]), Err([9; 32]));
        p.reverse();
        assert_eq!(p.as_slice()[0], [63; 32]);
        assert_eq!(p.len(), MAX_PROOF_HASHES);
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            parse_header(&[1, 1], 1).err(),
            Some(ParseError::Truncated { needed: 19, found: 2 })
        );
        let mut b = [0u8; 19];
        b[0] = 2;
        assert_eq!(parse_header(&b, 1).err(), Some(ParseError::Version { found: 2 }));
        b[0] = 1;
        b[1] = 2;
        assert_eq!(parse_header(&b, 1).err(), Some(ParseError::Kind { expected: 1, found: 2 }));
    }

    #[test]
    fn encode_too_small() {
        let mut out = [0u8; 50];
        assert_eq!(
            encode(1, 0, 2, &[[0; 32]; 2], &mut out),
            Err(BufferTooSmall { needed: 83, available: 50 })
        );
    }
}
