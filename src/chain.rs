//! The hash chain: a [`Writer`] that appends entries to any [`Storage`] and a
//! [`Verifier`] that walks stored bytes and names the first thing wrong.
//!
//! Each entry carries the hash of the one before it, and entry 0 carries the
//! ledger's genesis hash, so altering, removing, inserting or reordering an
//! entry breaks a link or the numbering. What a chain alone cannot show is
//! that its tail was cut off: compare the head against an [`Anchor`] kept
//! elsewhere (a receipt, a segment header, a signed checkpoint).
//!
//! [`Storage`]: crate::storage::Storage

mod verify;
mod writer;

use core::fmt;
use core::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::entry::{self, DecodeError, Header, HeaderRef, PrevLink};
use crate::frame::{self, FrameError};
use crate::model::{Digest, LedgerId, Timestamp};

pub use verify::{Report, Verified, Verifier, verify, verify_records};
pub use writer::{WriteError, Writer};

/// Where a chain stands: the sequence number of the next entry and the hash
/// it must link to. A ledger's start is [`Anchor::genesis`]; its head after
/// entry `n` is `{ next_seq: n + 1, head: hash(entry n) }`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Anchor {
    /// The sequence number the next entry gets.
    pub next_seq: u64,
    /// The hash the next entry links to.
    pub head: Digest,
}

impl Anchor {
    /// The start of the ledger `ledger`: entry 0 links to its genesis hash.
    #[must_use]
    pub fn genesis(ledger: &LedgerId) -> Self {
        Self { next_seq: 0, head: entry::genesis(ledger) }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "next entry {} after {}", self.next_seq, self.head)
    }
}

/// What the writer hands back for an appended entry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry's hash.
    pub hash: Digest,
}

/// The first thing found wrong in stored entries, and where.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Failure {
    /// The sequence number the entry at that place should have had.
    pub seq: u64,
    /// Byte offset of the frame where it was found.
    pub offset: u64,
    /// What was wrong.
    pub kind: FailureKind,
}

/// What was wrong. The verifier stops at the first of these.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum FailureKind {
    /// The frame is torn, has a bad length, or fails its CRC.
    Frame(FrameError),
    /// The entry header cannot be read (or, when records are checked, the record).
    Undecodable(DecodeError),
    /// The entry is of a format version this reader does not know.
    UnknownVersion(u8),
    /// The sequence number is not the next one: an entry is missing,
    /// duplicated or out of order.
    SequenceGap {
        /// The number expected.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// The entry does not link to the hash of the one before it: that one
    /// or this one was altered.
    BrokenLink {
        /// The link to the previous entry's hash as computed.
        expected: PrevLink,
        /// The link stored in this entry.
        found: PrevLink,
    },
    /// The chain verifies but ends somewhere other than the head it was
    /// checked against: truncated, rolled back, extended or forked.
    HashMismatch {
        /// The head expected.
        expected: Anchor,
        /// The head found.
        found: Anchor,
    },
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "{e}"),
            Self::Undecodable(e) => write!(f, "undecodable entry: {e}"),
            Self::UnknownVersion(v) => write!(f, "{}", DecodeError::UnknownVersion(*v)),
            Self::SequenceGap { expected, found } => {
                write!(f, "sequence gap: expected entry {expected}, found {found}")
            }
            Self::BrokenLink { expected, found } => {
                write!(
                    f,
                    "broken link: previous entry hashes to {expected}, entry links to {found}"
                )
            }
            Self::HashMismatch { expected, found } => write!(
                f,
                "hash mismatch: ledger head is entry {} with hash {}, expected entry {} with hash {}",
                found.next_seq.wrapping_sub(1),
                found.head,
                expected.next_seq.wrapping_sub(1),
                expected.head
            ),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} at byte {}: {}", self.seq, self.offset, self.kind)
    }
}

impl core::error::Error for Failure {}

/// The state a reader keeps while following a chain, one entry body at a
/// time. Every reader (the slice [`Verifier`], file and flash backends)
/// checks entries through this one type.
#[derive(Clone, Debug)]
pub struct Chain {
    anchor: Anchor,
    last_time: Option<Timestamp>,
}

/// One entry body that [`Chain::follow`] accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed<'b> {
    /// The decoded header.
    pub header: Header,
    /// The record's bytes, undecoded.
    pub record_bytes: &'b [u8],
    /// The entry's hash.
    pub hash: Digest,
    /// Whether its time is earlier than the previous entry's (reported, not fatal).
    pub time_regressed: bool,
}

/// One entry body that [`Chain::step`] accepted, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step<'b> {
    /// The header, borrowing the body.
    pub header: HeaderRef<'b>,
    /// The record's bytes, undecoded.
    pub record_bytes: &'b [u8],
    /// The entry's hash.
    pub hash: Digest,
    /// Whether its time is earlier than the previous entry's (reported, not fatal).
    pub time_regressed: bool,
}

/// One frame [`Chain::walk`] accepted: where it lies and what the chain
/// made of it, borrowing the bytes walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walked<'b> {
    /// Byte offset of its frame in the bytes walked.
    pub offset: usize,
    /// The frame's length, prefix and CRC included.
    pub frame_len: usize,
    /// The entry body exactly as stored (what the hash covers).
    pub body: &'b [u8],
    /// The header read in place, the record's bytes and the hash.
    pub step: Step<'b>,
}

impl Chain {
    /// A chain whose next entry must match `anchor`.
    #[must_use]
    pub const fn new(anchor: Anchor) -> Self {
        Self { anchor, last_time: None }
    }

    /// A chain whose next entry must match `anchor` and follows an entry
    /// with time `last_time` (when a reader carries on from one part of a
    /// ledger, such as a segment, to the next): a next entry earlier than
    /// it is reported as [`Followed::time_regressed`].
    #[must_use]
    pub const fn continuing(anchor: Anchor, last_time: Option<Timestamp>) -> Self {
        Self { anchor, last_time }
    }

    /// Where the chain stands now.
    #[must_use]
    pub const fn anchor(&self) -> Anchor {
        self.anchor
    }

    /// The time of the last entry followed (or the one given to
    /// [`Chain::continuing`]).
    #[must_use]
    pub const fn last_time(&self) -> Option<Timestamp> {
        self.last_time
    }

    /// Checks that `body` is the next entry and advances past it, reading
    /// the header in place (nothing is copied).
    ///
    /// # Errors
    /// The [`FailureKind`] found; the chain does not advance.
    #[inline]
    pub fn step<'b>(&mut self, body: &'b [u8]) -> Result<Step<'b>, FailureKind> {
        let step = self.check(body)?;
        self.advance(&step);
        Ok(step)
    }

    /// As [`Chain::step`], with the header decoded into a [`Header`].
    ///
    /// # Errors
    /// The [`FailureKind`] found; the chain does not advance.
    pub fn follow<'b>(&mut self, body: &'b [u8]) -> Result<Followed<'b>, FailureKind> {
        let step = self.check(body)?;
        let header = step.header.to_header().map_err(FailureKind::Undecodable)?;
        self.advance(&step);
        Ok(Followed {
            header,
            record_bytes: step.record_bytes,
            hash: step.hash,
            time_regressed: step.time_regressed,
        })
    }

    /// The frame walker every reader of stored frames uses (the
    /// [`Verifier`], [`verify`], file reading and recovery): from
    /// `bytes[*pos..]`, reads each frame (length, CRC-32C, as
    /// [`frame::parse`]), checks it as [`Chain::step`] does and hands it
    /// to `each`, in one loop, until the bytes end (`Ok`) or `each` breaks
    /// (`Ok`, after that entry). `*pos` is left after the last entry
    /// accepted.
    ///
    /// # Errors
    /// The first [`FailureKind`]: `*pos` is then the offset of the frame
    /// that failed and the chain stands at the entry expected there.
    #[inline]
    pub fn walk<'b>(
        &mut self,
        bytes: &'b [u8],
        pos: &mut usize,
        mut each: impl FnMut(&Walked<'b>) -> ControlFlow<()>,
    ) -> Result<(), FailureKind> {
        while let Some(rest) = bytes.get(*pos..).filter(|r| !r.is_empty()) {
            let frame = match frame::parse_short(rest) {
                Some(f) => f,
                None => frame::parse(rest).map_err(FailureKind::Frame)?,
            };
            let step = self.check(frame.body)?;
            self.advance(&step);
            let walked = Walked { offset: *pos, frame_len: frame.len, body: frame.body, step };
            *pos += frame.len;
            if each(&walked).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Everything [`Chain::step`] checks, without moving the chain.
    #[inline]
    fn check<'b>(&self, body: &'b [u8]) -> Result<Step<'b>, FailureKind> {
        let (header, record_bytes) = entry::decode_header_ref(body).map_err(|e| match e {
            DecodeError::UnknownVersion(v) => FailureKind::UnknownVersion(v),
            other => FailureKind::Undecodable(other),
        })?;
        if header.seq == u64::MAX {
            // Never written: the writer stops one short, so `next_seq` cannot wrap.
            return Err(FailureKind::Undecodable(DecodeError::BadValue));
        }
        if header.seq != self.anchor.next_seq {
            return Err(FailureKind::SequenceGap {
                expected: self.anchor.next_seq,
                found: header.seq,
            });
        }
        let expected = PrevLink::of(&self.anchor.head);
        if header.link != expected {
            return Err(FailureKind::BrokenLink { expected, found: header.link });
        }
        let hash = entry::hash(&self.anchor.head, body);
        let time_regressed = self.last_time.is_some_and(|t| header.time < t);
        Ok(Step { header, record_bytes, hash, time_regressed })
    }

    /// Moves the chain past an entry [`Chain::check`] accepted.
    #[inline]
    fn advance(&mut self, step: &Step<'_>) {
        self.anchor = Anchor { next_seq: step.header.seq + 1, head: step.hash };
        self.last_time = Some(step.header.time);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use std::vec::Vec;

    use super::*;
    use crate::demo::{Plant, PlantConfig};

    /// The reference: one frame at a time through [`frame::parse`] and
    /// [`Chain::step`], as every reader did before the walker. Returns the
    /// entries accepted (offset, frame length, hash) and the first failure.
    fn reference(bytes: &[u8], start: Anchor) -> (Vec<(usize, usize, Digest)>, Option<Failure>) {
        let mut chain = Chain::new(start);
        let (mut pos, mut out) = (0, Vec::new());
        while let Some(rest) = bytes.get(pos..).filter(|r| !r.is_empty()) {
            let seq = chain.anchor().next_seq;
            let fail = |kind| Failure { seq, offset: pos as u64, kind };
            let step = frame::parse(rest)
                .map_err(|e| fail(FailureKind::Frame(e)))
                .and_then(|f| chain.step(f.body).map(|s| (f.len, s.hash)).map_err(fail));
            match step {
                Ok((len, hash)) => {
                    out.push((pos, len, hash));
                    pos += len;
                }
                Err(f) => return (out, Some(f)),
            }
        }
        (out, None)
    }

    fn walked(bytes: &[u8], start: Anchor) -> (Vec<(usize, usize, Digest)>, Option<Failure>) {
        let mut chain = Chain::new(start);
        let (mut pos, mut out) = (0, Vec::new());
        let found = chain.walk(bytes, &mut pos, |w| {
            out.push((w.offset, w.frame_len, w.step.hash));
            ControlFlow::Continue(())
        });
        let failure = found.err().map(|kind| Failure {
            seq: chain.anchor().next_seq,
            offset: pos as u64,
            kind,
        });
        (out, failure)
    }

    /// The walker accepts, hashes and refuses exactly what the
    /// one-frame-at-a-time reference does: on an intact ledger with short
    /// and long bodies, and with any one byte changed or the bytes cut.
    #[test]
    fn walk_agrees_with_the_frame_by_frame_reference() {
        let ledger = LedgerId([4; 16]);
        let start = Anchor::genesis(&ledger);
        let mut w = Writer::new(Vec::new(), [0u8; frame::MAX_FRAME_LEN], start);
        for (stamp, record) in Plant::new(&PlantConfig::default()).take(120) {
            w.append(&stamp, &record).unwrap();
        }
        let bytes = w.into_parts().0;
        let mut long = 0;
        let mut pos = 0;
        while let Ok(f) = frame::parse(&bytes[pos..]) {
            long += usize::from(f.body.len() >= 128);
            pos += f.len;
        }
        assert!(long > 0, "the demo mix has two-byte length prefixes too");
        let intact = walked(&bytes, start);
        assert_eq!(intact, reference(&bytes, start));
        assert_eq!(intact.0.len(), 120);
        assert_eq!(intact.1, None);
        let mut bad = bytes.clone();
        for at in (0..bytes.len()).step_by(7) {
            for flip in [0x01u8, 0x80] {
                bad[at] ^= flip;
                let ours = walked(&bad, start);
                assert!(ours.1.is_some(), "a change at byte {at} is found");
                assert_eq!(ours, reference(&bad, start), "byte {at} ^ {flip:#x}");
                bad[at] ^= flip;
            }
        }
        for cut in (0..bytes.len()).step_by(13) {
            assert_eq!(walked(&bytes[..cut], start), reference(&bytes[..cut], start), "cut {cut}");
        }
    }
}
