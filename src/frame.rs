//! Frames: how an entry's bytes are stored, so that a torn write is told
//! apart from a complete one.
//!
//! ```text
//! +-----------------+----------------------+-------------------------+
//! | len: varint     | body: len bytes      | crc: u32 little-endian  |
//! | 1..=2 bytes     | the entry (hashed)   | CRC-32C of len || body  |
//! +-----------------+----------------------+-------------------------+
//! ```
//!
//! `len` is 1 to [`MAX_BODY_LEN`], written in the fewest bytes (a longer
//! form is refused). The CRC guards against torn and
//! corrupted writes; the entry hash inside the body guards against tampering.

use core::fmt;
use core::ops::Range;

use crate::varint;

/// The largest entry body a frame may carry.
pub const MAX_BODY_LEN: usize = 4096;
/// The most bytes the length prefix takes (a varint of at most [`MAX_BODY_LEN`]).
pub const MAX_LEN_PREFIX: usize = 2;
/// Bytes of the CRC-32C trailer.
pub const CRC_LEN: usize = 4;
/// The largest frame.
pub const MAX_FRAME_LEN: usize = MAX_LEN_PREFIX + MAX_BODY_LEN + CRC_LEN;

/// On devices: one 1 KiB table, because flash is counted. Under `std` the
/// [`crc32c`](https://docs.rs/crc32c) crate uses the CPU's CRC-32C
/// instruction (SSE 4.2, ARMv8) when it has one. Both compute the same CRC.
#[cfg(not(feature = "std"))]
const CRC32C: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISCSI);

/// Why the bytes at some offset are not a whole, intact frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The bytes end before the frame does (a torn tail, or a short read).
    Truncated {
        /// Bytes present.
        have: usize,
        /// Bytes the frame needs (as far as can be told).
        need: usize,
    },
    /// The length prefix is zero, unreadable, or over [`MAX_BODY_LEN`].
    BadLength {
        /// The length read, if one could be read.
        len: u64,
    },
    /// The CRC-32C does not match the bytes.
    BadChecksum {
        /// The CRC stored in the frame.
        stored: u32,
        /// The CRC of the bytes as found.
        computed: u32,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { have, need } => {
                write!(f, "frame truncated: {have} of {need} bytes present")
            }
            Self::BadLength { len } => write!(f, "frame length {len} out of range"),
            Self::BadChecksum { stored, computed } => {
                write!(f, "frame checksum {stored:08x} does not match {computed:08x}")
            }
        }
    }
}

impl core::error::Error for FrameError {}

/// One intact frame found at the start of some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The entry body (the bytes that are hashed).
    pub body: &'a [u8],
    /// The whole frame's length in bytes, prefix and CRC included.
    pub len: usize,
}

/// The CRC-32C (Castagnoli) of `bytes`.
#[must_use]
pub fn crc32c(bytes: &[u8]) -> u32 {
    #[cfg(feature = "std")]
    return ::crc32c::crc32c(bytes);
    #[cfg(not(feature = "std"))]
    return CRC32C.checksum(bytes);
}

/// The frame length for a body of `body_len` bytes.
#[must_use]
pub const fn frame_len(body_len: usize) -> usize {
    varint::len(body_len as u64) + body_len + CRC_LEN
}

/// Reads the frame at the start of `bytes`, checking its length and CRC.
///
/// # Errors
/// [`FrameError`] when the bytes are not a whole, intact frame.
#[inline]
pub fn parse(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    let (len, prefix) = varint::decode(bytes).map_err(|e| match e {
        varint::VarintError::Truncated => {
            FrameError::Truncated { have: bytes.len(), need: bytes.len() + 1 }
        }
        varint::VarintError::Overflow => FrameError::BadLength { len: u64::MAX },
    })?;
    if len == 0 || len > MAX_BODY_LEN as u64 || prefix != varint::len(len) {
        return Err(FrameError::BadLength { len });
    }
    let body_len = usize::try_from(len).map_err(|_| FrameError::BadLength { len })?;
    let need = prefix + body_len + CRC_LEN;
    let (covered, trailer) =
        match (bytes.get(..prefix + body_len), bytes.get(prefix + body_len..need)) {
            (Some(c), Some(t)) => (c, t),
            _ => {
                return Err(FrameError::Truncated { have: bytes.len(), need });
            }
        };
    let stored = u32::from_le_bytes(
        trailer.try_into().map_err(|_| FrameError::Truncated { have: bytes.len(), need })?,
    );
    let computed = crc32c(covered);
    if stored != computed {
        return Err(FrameError::BadChecksum { stored, computed });
    }
    let body = covered.get(prefix..).ok_or(FrameError::Truncated { have: bytes.len(), need })?;
    Ok(Frame { body, len: need })
}

/// [`parse`]'s answer for the common frame, a body of 1 to 127 bytes
/// (one length byte) that is whole and whose CRC matches; `None` for
/// anything else, which [`parse`] then reads (and names what is wrong).
/// The frame walker's first try: the same checks, inline.
#[inline(always)]
pub(crate) fn parse_short(bytes: &[u8]) -> Option<Frame<'_>> {
    let (&len, rest) = bytes.split_first()?;
    if len == 0 || len >= 0x80 {
        return None;
    }
    let body_len = usize::from(len);
    let (body, rest) = rest.split_at_checked(body_len)?;
    let stored = u32::from_le_bytes(*rest.first_chunk::<CRC_LEN>()?);
    let covered = bytes.get(..=body_len)?;
    (crc32c(covered) == stored).then_some(Frame { body, len: 1 + body_len + CRC_LEN })
}

/// Completes a frame around a body already written at
/// `buf[MAX_LEN_PREFIX..MAX_LEN_PREFIX + body_len]`: writes the length just
/// before it and the CRC just after it. Returns where the frame lies in `buf`.
///
/// # Errors
/// [`FrameError::BadLength`] when `body_len` is 0 or over [`MAX_BODY_LEN`],
/// [`FrameError::Truncated`] when `buf` has no room for the CRC.
pub fn seal(buf: &mut [u8], body_len: usize) -> Result<Range<usize>, FrameError> {
    if body_len == 0 || body_len > MAX_BODY_LEN {
        return Err(FrameError::BadLength { len: body_len as u64 });
    }
    let mut prefix = [0u8; varint::MAX_LEN_U64];
    let n = varint::encode(body_len as u64, &mut prefix);
    let start = MAX_LEN_PREFIX - n;
    let end = MAX_LEN_PREFIX + body_len;
    let need = end + CRC_LEN;
    let have = buf.len();
    let truncated = FrameError::Truncated { have, need };
    buf.get_mut(start..MAX_LEN_PREFIX)
        .ok_or(truncated)?
        .copy_from_slice(prefix.get(..n).ok_or(truncated)?);
    let crc = crc32c(buf.get(start..end).ok_or(truncated)?);
    buf.get_mut(end..need).ok_or(truncated)?.copy_from_slice(&crc.to_le_bytes());
    Ok(start..need)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_parse() {
        for body_len in [1usize, 127, 128, 4096] {
            let mut buf = [0u8; MAX_FRAME_LEN];
            for (i, b) in buf[MAX_LEN_PREFIX..MAX_LEN_PREFIX + body_len].iter_mut().enumerate() {
                *b = u8::try_from(i % 251).unwrap();
            }
            let r = seal(&mut buf, body_len).unwrap();
            assert_eq!(r.len(), frame_len(body_len));
            let f = parse(&buf[r.clone()]).unwrap();
            assert_eq!(f.len, r.len());
            assert_eq!(f.body, &buf[MAX_LEN_PREFIX..MAX_LEN_PREFIX + body_len]);
            // Every proper prefix is truncated, never accepted.
            for cut in 0..r.len() {
                assert!(matches!(
                    parse(&buf[r.start..r.start + cut]),
                    Err(FrameError::Truncated { .. })
                ));
            }
        }
    }

    #[test]
    fn crc32c_known_answer() {
        // RFC 3720 appendix B.4: 32 bytes of zeros.
        assert_eq!(crc32c(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }

    /// The hardware CRC (under std) and the table the core uses on devices
    /// agree at every length around the instruction's 8-byte steps.
    #[test]
    fn crc32c_matches_the_table() {
        let table = crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISCSI);
        let mut bytes = [0u8; 600];
        for (i, b) in (0u32..).zip(bytes.iter_mut()) {
            *b = (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0];
        }
        for start in 0..9 {
            for end in start..bytes.len() {
                assert_eq!(
                    crc32c(&bytes[start..end]),
                    table.checksum(&bytes[start..end]),
                    "{start}..{end}"
                );
            }
        }
    }

    /// The inline short-frame path accepts exactly what [`parse`] accepts
    /// with a one-byte length, and leaves everything else to it.
    #[test]
    fn parse_short_agrees_with_parse() {
        let mut buf = [0u8; MAX_FRAME_LEN];
        for body_len in 1..=130usize {
            for (i, b) in buf[MAX_LEN_PREFIX..MAX_LEN_PREFIX + body_len].iter_mut().enumerate() {
                *b = u8::try_from((i * 7 + body_len) % 256).unwrap();
            }
            let r = seal(&mut buf, body_len).unwrap();
            let whole = &buf[r.clone()];
            for cut in 0..=whole.len() {
                let short = parse_short(&whole[..cut]);
                match parse(&whole[..cut]) {
                    Ok(f) if body_len < 128 => assert_eq!(short, Some(f), "{body_len} {cut}"),
                    _ => assert_eq!(short, None, "{body_len} {cut}"),
                }
            }
            // A flipped bit anywhere is refused by both.
            let mut bad = [0u8; MAX_FRAME_LEN];
            let bad = &mut bad[..whole.len()];
            bad.copy_from_slice(whole);
            for at in 0..bad.len() {
                bad[at] ^= 0x10;
                assert_eq!(parse_short(bad).is_some(), body_len < 128 && parse(bad).is_ok());
                bad[at] ^= 0x10;
            }
        }
    }

    #[test]
    fn bad_lengths() {
        assert_eq!(parse(&[0, 0, 0, 0, 0]), Err(FrameError::BadLength { len: 0 }));
        assert_eq!(parse(&[0x81, 0x20]), Err(FrameError::BadLength { len: 4097 }));
        assert!(matches!(parse(&[]), Err(FrameError::Truncated { .. })));
        // 5 written in two bytes is not the minimal form.
        assert_eq!(
            parse(&[0x85, 0x00, 1, 2, 3, 4, 5, 0, 0, 0, 0]),
            Err(FrameError::BadLength { len: 5 })
        );
    }
}
