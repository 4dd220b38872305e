//! The segment header: what makes one file of a ledger checkable and
//! archivable on its own.
//!
//! ```text
//! offset size  field
//! 0      8     magic            "LOTLSEG\n" (4c 4f 54 4c 53 45 47 0a)
//! 8      2     header version   u16 little-endian, 1
//! 10     1     entry version    the entry format version of every frame, 1
//! 11     1     reserved         0
//! 12     16    ledger id        fixed when the ledger is created
//! 28     8     first seq        u64 little-endian: the first entry's number
//! 36     32    previous hash    the hash the first entry links to (the
//!                               genesis hash in the first segment)
//! 68     4     header CRC-32C   u32 little-endian, of bytes 0..68
//! 72     ...   frames           as in docs/FORMAT.md section 1
//! ```
//!
//! `first seq` and `previous hash` are the [`Anchor`] the segment's frames
//! continue, so a segment verifies alone with [`Verifier::new`]. A file is
//! named after its first sequence number, 20 decimal digits and `.seg`, so
//! that listing a directory in name order lists the ledger in order.
//!
//! [`Verifier::new`]: crate::chain::Verifier::new

use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;
use std::{format, fs};

use super::Error;
use crate::chain::Anchor;
use crate::entry::FORMAT_VERSION;
use crate::frame::crc32c;
use crate::model::{Digest, LedgerId};

/// The first eight bytes of every segment file.
pub const MAGIC: [u8; 8] = *b"LOTLSEG\n";
/// The segment header version this library writes and reads.
pub const HEADER_VERSION: u16 = 1;
/// Bytes in a segment header.
pub const HEADER_LEN: usize = 72;
/// The file name extension of segment files.
pub const EXTENSION: &str = "seg";
/// What follows a segment's file name in the name of a file keeping bytes
/// that recovery cut from it: `<segment>.cut-<offset>`.
pub const CUT_INFIX: &str = ".cut-";
/// The suffix of a segment being created; such files are removed on open.
pub const TEMP_SUFFIX: &str = ".seg.tmp";

/// A decoded segment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SegmentHeader {
    /// The ledger the segment belongs to.
    pub ledger: LedgerId,
    /// The entry format version of its frames.
    pub entry_version: u8,
    /// The first entry's number and the hash it links to.
    pub start: Anchor,
}

impl SegmentHeader {
    /// A header for a segment of `ledger` whose first entry continues `start`.
    #[must_use]
    pub const fn new(ledger: LedgerId, start: Anchor) -> Self {
        Self { ledger, entry_version: FORMAT_VERSION, start }
    }

    /// The header's bytes.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let mut fields = Vec::with_capacity(HEADER_LEN);
        fields.extend_from_slice(&MAGIC);
        fields.extend_from_slice(&HEADER_VERSION.to_le_bytes());
        fields.push(self.entry_version);
        fields.push(0);
        fields.extend_from_slice(&self.ledger.0);
        fields.extend_from_slice(&self.start.next_seq.to_le_bytes());
        fields.extend_from_slice(&self.start.head.0);
        let crc = crc32c(&fields);
        fields.extend_from_slice(&crc.to_le_bytes());
        out.iter_mut().zip(fields).for_each(|(o, b)| *o = b);
        out
    }

    /// Reads the header at the start of `bytes` (the first bytes of the file at `path`).
    ///
    /// # Errors
    /// [`Error::TruncatedHeader`], [`Error::NotASegment`],
    /// [`Error::UnsupportedHeaderVersion`], [`Error::HeaderChecksum`] or
    /// [`Error::UnsupportedEntryVersion`], in that order of checking.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Self, Error> {
        let path = || path.to_path_buf();
        let Some(h) = bytes.get(..HEADER_LEN) else {
            // A short file that does not even start like a segment is not one.
            let magic_len = bytes.len().min(MAGIC.len());
            if bytes.get(..magic_len) != MAGIC.get(..magic_len) {
                return Err(Error::NotASegment { path: path() });
            }
            return Err(Error::TruncatedHeader { path: path(), len: bytes.len() as u64 });
        };
        let field = |at: usize, len: usize| h.get(at..at + len).unwrap_or_default();
        if field(0, 8) != MAGIC {
            return Err(Error::NotASegment { path: path() });
        }
        let version = u16::from_le_bytes(field(8, 2).try_into().unwrap_or_default());
        if version != HEADER_VERSION {
            return Err(Error::UnsupportedHeaderVersion { path: path(), version });
        }
        let stored = u32::from_le_bytes(field(68, 4).try_into().unwrap_or_default());
        if stored != crc32c(field(0, 68)) {
            return Err(Error::HeaderChecksum { path: path() });
        }
        let entry_version = field(10, 1).first().copied().unwrap_or_default();
        if entry_version != FORMAT_VERSION {
            return Err(Error::UnsupportedEntryVersion { path: path(), version: entry_version });
        }
        Ok(Self {
            ledger: LedgerId(field(12, 16).try_into().unwrap_or_default()),
            entry_version,
            start: Anchor {
                next_seq: u64::from_le_bytes(field(28, 8).try_into().unwrap_or_default()),
                head: Digest(field(36, 32).try_into().unwrap_or_default()),
            },
        })
    }
}

/// The file name of the segment whose first entry is `first_seq`.
#[must_use]
pub fn file_name(first_seq: u64) -> String {
    format!("{first_seq:020}.{EXTENSION}")
}

/// The first sequence number a segment file name stands for, if `name` is one.
#[must_use]
pub fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(EXTENSION)?.strip_suffix('.')?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Segment files (first sequence number from the name, path) in order, and
/// leftover temporary files.
pub(crate) type Listing = (Vec<(u64, PathBuf)>, Vec<PathBuf>);

/// The segment files in `dir`, in order, and the leftover temporary files.
pub(crate) fn list(dir: &Path) -> Result<Listing, Error> {
    let io = |source| Error::Io { op: "list", path: dir.to_path_buf(), source };
    let mut segments = Vec::new();
    let mut temps = Vec::new();
    for item in fs::read_dir(dir).map_err(io)? {
        let item = item.map_err(io)?;
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(seq) = parse_file_name(name) {
            let path = item.path();
            // A FIFO or a device named like a segment would block or never
            // end a read: refuse it before opening it.
            let meta = fs::metadata(&path).map_err(|e| Error::io("read", &path, e))?;
            if !meta.is_file() {
                return Err(Error::NotAFile { path });
            }
            segments.push((seq, path));
        } else if name.ends_with(TEMP_SUFFIX) {
            temps.push(item.path());
        }
    }
    segments.sort_unstable_by_key(|(seq, _)| *seq);
    Ok((segments, temps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SegmentHeader {
        SegmentHeader::new(LedgerId([9; 16]), Anchor { next_seq: 1234, head: Digest([7; 32]) })
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let bytes = h.encode();
        assert_eq!(&bytes[..8], b"LOTLSEG\n");
        assert_eq!(SegmentHeader::decode(&bytes, Path::new("x")).unwrap(), h);
    }

    #[test]
    fn every_flipped_bit_is_refused() {
        let bytes = sample().encode();
        for i in 0..HEADER_LEN * 8 {
            let mut b = bytes;
            b[i / 8] ^= 1 << (i % 8);
            assert!(SegmentHeader::decode(&b, Path::new("x")).is_err(), "bit {i}");
        }
    }

    #[test]
    fn short_headers() {
        let bytes = sample().encode();
        for len in 0..HEADER_LEN {
            let e = SegmentHeader::decode(&bytes[..len], Path::new("x")).unwrap_err();
            assert!(matches!(e, Error::TruncatedHeader { len: l, .. } if l == len as u64), "{e}");
        }
        let e = SegmentHeader::decode(b"hello", Path::new("x")).unwrap_err();
        assert!(matches!(e, Error::NotASegment { .. }));
    }

    #[test]
    fn names_sort_in_order() {
        assert_eq!(file_name(42), "00000000000000000042.seg");
        assert_eq!(parse_file_name(&file_name(u64::MAX - 1)), Some(u64::MAX - 1));
        assert_eq!(parse_file_name("42.seg"), None);
        assert_eq!(parse_file_name("0000000000000000004x.seg"), None);
        assert!(file_name(9) < file_name(10));
    }
}
