//! What can go wrong with a ledger directory, and where.

use core::fmt;
use std::boxed::Box;
use std::io;
use std::path::{Path, PathBuf};

use crate::chain::{Anchor, Failure};
use crate::entry::EncodeError;
use crate::model::LedgerId;

/// Why a file ledger could not be created, opened, read or appended to.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed while opening or reading; nothing was changed by it.
    Io {
        /// What was being done ("open", "read", "list", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The ledger's directory or files cannot be written (read-only file
    /// system, or no write permission): it can be read, not appended to.
    ReadOnly {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Writing or syncing failed. Every entry at or after `durable.next_seq`
    /// was discarded (none had been acknowledged as durable; until the next
    /// successful sync, a crash may still leave some of them in the file as
    /// ordinary entries). The ledger stays usable and the next append
    /// continues from `durable`.
    WriteFailed {
        /// The segment file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
        /// The durable head the writer rolled back to.
        durable: Anchor,
    },
    /// An earlier write failure could not be rolled back; the writer refuses
    /// to append until the ledger is reopened (which recovers it).
    Poisoned {
        /// The durable head when the writer stopped.
        durable: Anchor,
    },
    /// Another writer holds the ledger's lock.
    Locked {
        /// The ledger directory.
        dir: PathBuf,
    },
    /// `create` found segments already in the directory.
    AlreadyExists {
        /// The ledger directory.
        dir: PathBuf,
    },
    /// The directory holds no segment (or does not exist): it is not a ledger.
    NoLedger {
        /// The directory.
        dir: PathBuf,
    },
    /// A segment file does not start with the segment magic: not a ledger file.
    NotASegment {
        /// The file.
        path: PathBuf,
    },
    /// A name in the directory is a segment's, but the file is not a regular
    /// file (a directory, a FIFO, a device): it is not read.
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A segment file is shorter than a segment header.
    TruncatedHeader {
        /// The file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
    },
    /// A segment header fails its checksum.
    HeaderChecksum {
        /// The file.
        path: PathBuf,
    },
    /// A segment header of a version this library does not know (written by a newer one).
    UnsupportedHeaderVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u16,
    },
    /// A segment of an entry format version this library does not know.
    UnsupportedEntryVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u8,
    },
    /// A segment belongs to another ledger than the directory's first segment.
    LedgerMismatch {
        /// The file.
        path: PathBuf,
        /// The ledger id of the first segment.
        expected: LedgerId,
        /// The ledger id in this one.
        found: LedgerId,
    },
    /// The first segment starts at entry 0, but the hash its header gives for
    /// entry 0 to link to is not the genesis hash of the ledger id in that
    /// header (docs/FORMAT.md): the ledger id or the start was altered.
    NotGenesis {
        /// The file.
        path: PathBuf,
        /// The ledger id its header gives.
        ledger: LedgerId,
    },
    /// A segment's file name disagrees with the first sequence number in its header.
    MisnamedSegment {
        /// The file.
        path: PathBuf,
        /// The first sequence number its header gives.
        first_seq: u64,
    },
    /// A segment does not continue where the previous one ends: a segment
    /// is missing, or the previous one was cut short or replaced.
    SegmentGap {
        /// The file.
        path: PathBuf,
        /// Where the previous segment's chain ends.
        expected: Anchor,
        /// Where this segment's header says it starts.
        found: Anchor,
    },
    /// An entry before the tail is damaged or does not chain: never
    /// dropped, always reported. `failure.offset` is the byte offset in the file.
    Corrupted {
        /// The file.
        path: PathBuf,
        /// The entry expected there, the byte offset and what was wrong
        /// (boxed to keep every `Result` small).
        failure: Box<Failure>,
    },
    /// The last segment ends in a torn frame and the recovery policy is
    /// [`Recovery::Fail`](super::Recovery::Fail); nothing was changed.
    TornTail {
        /// The file.
        path: PathBuf,
        /// Where the intact frames end.
        offset: u64,
        /// Bytes after them.
        len: u64,
    },
    /// The entry could not be encoded.
    Encode(EncodeError),
    /// The entry is longer than a frame may carry.
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// The ledger has used every sequence number.
    SequenceExhausted,
    /// A frame given to [`FileLedger::append_frame`](super::FileLedger::append_frame)
    /// is damaged or does not continue the chain; nothing changed.
    NotNext {
        /// The sequence number the next entry must have.
        seq: u64,
        /// What is wrong with the frame.
        kind: crate::chain::FailureKind,
    },
    /// The options are unusable.
    BadOptions(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { op, path, source } => write!(f, "cannot {op} {}: {source}", path.display()),
            Self::ReadOnly { path, source } => {
                write!(f, "{} is read-only: {source}", path.display())
            }
            Self::WriteFailed { path, source, durable } => write!(
                f,
                "writing {} failed: {source}; entries from {} on were not stored",
                path.display(),
                durable.next_seq
            ),
            Self::Poisoned { durable } => write!(
                f,
                "writer stopped after a failed write (durable up to entry {}); reopen the ledger",
                durable.next_seq.wrapping_sub(1)
            ),
            Self::Locked { dir } => {
                write!(f, "ledger {} is locked by another writer", dir.display())
            }
            Self::AlreadyExists { dir } => {
                write!(f, "{} already holds a ledger", dir.display())
            }
            Self::NoLedger { dir } => write!(f, "{} holds no ledger segment", dir.display()),
            Self::NotASegment { path } => {
                write!(f, "{} is not a ledger segment", path.display())
            }
            Self::NotAFile { path } => write!(
                f,
                "{} is named like a segment but is not a regular file (a directory, FIFO or device)",
                path.display()
            ),
            Self::TruncatedHeader { path, len } => {
                write!(f, "{}: segment header truncated at {len} bytes", path.display())
            }
            Self::HeaderChecksum { path } => {
                write!(f, "{}: segment header checksum mismatch", path.display())
            }
            Self::UnsupportedHeaderVersion { path, version } => write!(
                f,
                "{}: segment header version {version} is newer than this reader; upgrade lotledger",
                path.display()
            ),
            Self::UnsupportedEntryVersion { path, version } => write!(
                f,
                "{}: entry format version {version} is unknown to this reader; upgrade lotledger",
                path.display()
            ),
            Self::LedgerMismatch { path, expected, found } => write!(
                f,
                "{} belongs to ledger {found}, not {expected}: directory mixes ledgers",
                path.display()
            ),
            Self::NotGenesis { path, ledger } => write!(
                f,
                "{}: the ledger starts at entry 0 but not from the genesis hash of ledger {ledger} \
                 named in its header (the ledger id or the start was altered)",
                path.display()
            ),
            Self::MisnamedSegment { path, first_seq } => {
                write!(f, "{}: file name does not match first entry {first_seq}", path.display())
            }
            Self::SegmentGap { path, expected, found } => write!(
                f,
                "{} starts at entry {} but the previous segment ends before entry {}",
                path.display(),
                found.next_seq,
                expected.next_seq
            ),
            Self::Corrupted { path, failure } => write!(f, "{}: {failure}", path.display()),
            Self::TornTail { path, offset, len } => {
                write!(f, "{}: torn tail of {len} bytes at byte {offset}", path.display())
            }
            Self::Encode(e) => write!(f, "{e}"),
            Self::TooLarge { len } => write!(f, "entry of {len} bytes exceeds the frame limit"),
            Self::SequenceExhausted => f.write_str("sequence numbers exhausted"),
            Self::NotNext { seq, kind } => {
                write!(f, "frame is not entry {seq} of this ledger: {kind}")
            }
            Self::BadOptions(why) => write!(f, "bad options: {why}"),
        }
    }
}

impl Error {
    /// An [`Error::Io`], or [`Error::ReadOnly`] when the file system refuses writes.
    ///
    /// A refused read or listing is an [`Error::Io`] (the file cannot be
    /// read, which says nothing about writing); a refused write, creation,
    /// lock or sync is [`Error::ReadOnly`].
    pub(super) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        let reading = matches!(op, "read" | "list");
        match source.kind() {
            io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied if !reading => {
                Self::ReadOnly { path: path.to_path_buf(), source }
            }
            _ => Self::Io { op, path: path.to_path_buf(), source },
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Io { source, .. }
            | Self::ReadOnly { source, .. }
            | Self::WriteFailed { source, .. } => Some(source),
            Self::Corrupted { failure, .. } => Some(&**failure),
            Self::Encode(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString as _;

    /// Guards issue 11 (low): a read refused for want of permission is an
    /// I/O error naming the file, not "read-only"; a refused write still is.
    #[test]
    fn a_refused_read_is_not_read_only() {
        let denied = || io::Error::from(io::ErrorKind::PermissionDenied);
        let e = Error::io("read", Path::new("/l/00000000000000000000.seg"), denied());
        assert!(matches!(e, Error::Io { op: "read", .. }), "{e}");
        let text = e.to_string();
        assert!(text.starts_with("cannot read /l/00000000000000000000.seg: "), "{text}");
        assert!(!text.contains("read-only"), "{text}");
        let e = Error::io("create", Path::new("/l"), denied());
        assert!(matches!(e, Error::ReadOnly { .. }), "{e}");
    }
}
