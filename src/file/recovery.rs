//! Telling a torn tail from corruption, and what to do about each.
//!
//! A crash while appending can leave the last segment ending in a partial
//! frame, followed by whatever the disk held: zeros, old blocks, arbitrary
//! bytes. That is a *torn tail*: nothing in it was ever acknowledged as
//! durable, and removing it loses nothing that was promised.
//!
//! A damaged frame with an intact, later entry after it is something else:
//! bytes that were once durable have changed (or pages were written back
//! out of order during a power cut). Guessing there would drop entries that
//! may have been acknowledged, so it is *corruption*: a typed error naming
//! the file, the sequence number expected and the byte offset, never
//! dropped silently.
//!
//! The rule, applied the same way by the writer's recovery and by readers:
//!
//! - a frame that parses (length and CRC-32C) but does not chain (broken
//!   link, unreadable header, a sequence number other than the next one)
//!   is corruption, wherever it is, with one exception: a whole copy of an
//!   *earlier* entry (its sequence number lower than the one expected) is
//!   stale bytes, treated like a frame that does not parse;
//! - a frame that does not parse is a torn tail only in the last segment,
//!   and only when no intact frame of a later entry (sequence number at
//!   least the one expected) starts anywhere after it; otherwise it is
//!   corruption.
//!
//! Among torn tails, a *damaged frame* (complete, version byte intact, CRC
//! failing) is reported as corruption by readers and flagged
//! ([`TornTail::damaged_frame`](super::TornTail::damaged_frame)) when the
//! writer cuts it; every cut keeps its bytes in `<segment>.cut-<offset>`
//! first.
//!
//! Segments before the last were synced before the next one was created,
//! so nothing in them can be torn.

use core::ops::ControlFlow;

use crate::chain::{self, Anchor, Chain, Failure, FailureKind};
use crate::entry::{self, FORMAT_VERSION};
use crate::frame;
use crate::model::Timestamp;
use crate::varint;

use super::segment::HEADER_LEN;

/// What opening a ledger for writing does with a damaged last segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Recovery {
    /// Cut a torn tail off the last segment, sync, and report it in the
    /// [`OpenReport`](super::OpenReport). Corruption is an error. The default.
    #[default]
    TruncateTornTail,
    /// Change nothing: a torn tail is [`Error::TornTail`](super::Error::TornTail),
    /// corruption is an error.
    Fail,
    /// Salvage: cut the last segment at its first failure, torn or not, and
    /// report how many intact frames after it were discarded. For an
    /// operator who has looked at a [`Error::Corrupted`](super::Error::Corrupted)
    /// in the last segment (for example after a power cut on a disk that
    /// reorders writes) and decided. Corruption in an earlier segment is
    /// still an error.
    DiscardFromFirstFailure,
}

/// One step of walking the frames of a segment.
#[derive(Debug)]
pub(super) enum Step<'b> {
    /// An entry that verified, at `offset`, `len` bytes long.
    Entry {
        /// Byte offset of its frame in the file.
        offset: u64,
        /// The entry body.
        body: &'b [u8],
        /// What the chain made of it: the header read in place, nothing copied.
        step: chain::Step<'b>,
    },
    /// The intact frames end exactly at the end of the bytes.
    End,
    /// The bytes at the current position are not the next entry.
    Failed(Failure),
}

/// Walks the frames after a segment header, one entry at a time.
#[derive(Clone, Debug)]
pub(super) struct Walk {
    pos: usize,
    chain: Chain,
}

impl Walk {
    /// A walk over a segment whose header gives `start`, after a previous
    /// segment whose last entry has time `last_time` (`None` for the first
    /// segment): a regression at the segment's first entry is counted too.
    pub(super) const fn continuing(start: Anchor, last_time: Option<Timestamp>) -> Self {
        Self { pos: HEADER_LEN, chain: Chain::continuing(start, last_time) }
    }

    /// The time of the last entry walked (or the one given at the start).
    pub(super) const fn last_time(&self) -> Option<Timestamp> {
        self.chain.last_time()
    }

    /// Where the chain stands after the entries walked.
    pub(super) const fn anchor(&self) -> Anchor {
        self.chain.anchor()
    }

    /// The byte offset after the last entry walked.
    pub(super) const fn pos(&self) -> usize {
        self.pos
    }

    /// The next entry of `bytes` (the whole file).
    pub(super) fn step<'b>(&mut self, bytes: &'b [u8]) -> Step<'b> {
        let mut walked = None;
        let found = self.run(bytes, |w| {
            walked = Some(*w);
            ControlFlow::Break(())
        });
        match (found, walked) {
            (Err(failure), _) => Step::Failed(failure),
            (Ok(()), Some(w)) => {
                Step::Entry { offset: w.offset as u64, body: w.body, step: w.step }
            }
            (Ok(()), None) => Step::End,
        }
    }

    /// Walks the entries of `bytes` (the whole file) from where the walk
    /// stands, handing each to `each` ([`Chain::walk`]), until the intact
    /// frames end exactly at the end of the bytes (`Ok`) or `each` breaks.
    ///
    /// # Errors
    /// The first [`Failure`]: the bytes there are not the next entry.
    pub(super) fn run<'b>(
        &mut self,
        bytes: &'b [u8],
        each: impl FnMut(&chain::Walked<'b>) -> ControlFlow<()>,
    ) -> Result<(), Failure> {
        self.chain.walk(bytes, &mut self.pos, each).map_err(|kind| Failure {
            seq: self.chain.anchor().next_seq,
            offset: self.pos as u64,
            kind,
        })
    }
}

/// Whether `failure`, found in the last segment's `bytes`, is a torn tail
/// (see the module documentation) rather than corruption.
pub(super) fn is_torn_tail(bytes: &[u8], failure: &Failure) -> bool {
    match failure.kind {
        FailureKind::Frame(_) => {}
        // A whole frame of an entry already in the chain: stale bytes
        // (an old block, a replayed copy), not a competing later entry.
        FailureKind::SequenceGap { expected, found } if found < expected => {}
        _ => return false,
    }
    let Ok(from) = usize::try_from(failure.offset) else { return false };
    !(from.saturating_add(1)..bytes.len())
        .any(|at| intact_entry_at(bytes.get(at..).unwrap_or_default(), failure.seq))
}

/// Whether `failure` is a *damaged frame*: a frame whose length prefix is
/// valid, whose bytes are all present and whose body starts with the entry
/// format version, but whose CRC-32C fails. An interrupted append leaves a
/// frame that ends short of the length its prefix gives; a complete frame
/// that fails its checksum means bytes that were written have changed (bit
/// rot, an overwrite). Recovery may still cut it from the end of the last
/// segment, but keeps the bytes and says so ([`TornTail::damaged_frame`]),
/// and readers report it as corruption.
///
/// [`TornTail::damaged_frame`]: super::TornTail::damaged_frame
pub(super) fn is_damaged_frame(bytes: &[u8], failure: &Failure) -> bool {
    if !matches!(failure.kind, FailureKind::Frame(frame::FrameError::BadChecksum { .. })) {
        return false;
    }
    let Ok(from) = usize::try_from(failure.offset) else { return false };
    let rest = bytes.get(from..).unwrap_or_default();
    varint::decode(rest).is_ok_and(|(_, prefix)| rest.get(prefix) == Some(&FORMAT_VERSION))
}

/// How many intact frames of later entries start after `failure` (what
/// [`Recovery::DiscardFromFirstFailure`] throws away).
pub(super) fn count_intact_after(bytes: &[u8], failure: &Failure) -> u64 {
    let Ok(from) = usize::try_from(failure.offset) else { return 0 };
    let mut count = 0;
    let mut at = from.saturating_add(1);
    while at < bytes.len() {
        let rest = bytes.get(at..).unwrap_or_default();
        if intact_entry_at(rest, failure.seq) {
            count += 1;
            at += frame::parse(rest).map_or(1, |f| f.len);
        } else {
            at += 1;
        }
    }
    count
}

/// Whether an intact frame of entry `min_seq` or later starts at `bytes[0]`.
fn intact_entry_at(bytes: &[u8], min_seq: u64) -> bool {
    // Cheap checks first: a minimal length prefix followed by the version byte.
    let Ok((len, prefix)) = varint::decode(bytes) else { return false };
    if len == 0 || prefix > frame::MAX_LEN_PREFIX || bytes.get(prefix) != Some(&FORMAT_VERSION) {
        return false;
    }
    let Ok(f) = frame::parse(bytes) else { return false };
    entry::decode_header(f.body).is_ok_and(|(h, _)| h.seq >= min_seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameError;

    fn failure(offset: u64) -> Failure {
        Failure {
            seq: 3,
            offset,
            kind: FailureKind::Frame(FrameError::Truncated { have: 0, need: 1 }),
        }
    }

    #[test]
    fn garbage_after_a_failure_is_a_torn_tail() {
        let bytes = [0xa5u8; 300];
        assert!(is_torn_tail(&bytes, &failure(10)));
        assert!(is_torn_tail(&[], &failure(0)));
    }

    #[test]
    fn a_chain_failure_is_never_torn() {
        let f = Failure { kind: FailureKind::SequenceGap { expected: 3, found: 5 }, ..failure(0) };
        assert!(!is_torn_tail(&[0; 10], &f));
        let f = Failure {
            kind: FailureKind::BrokenLink {
                expected: crate::entry::PrevLink([1; 8]),
                found: crate::entry::PrevLink([2; 8]),
            },
            ..failure(0)
        };
        assert!(!is_torn_tail(&[0; 10], &f));
    }

    #[test]
    fn a_stale_copy_of_an_earlier_entry_is_torn() {
        let f = Failure { kind: FailureKind::SequenceGap { expected: 3, found: 1 }, ..failure(0) };
        assert!(is_torn_tail(&[0; 10], &f));
    }
}
