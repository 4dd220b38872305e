//! Receiving forwarded entries: the line PC's side of store-and-forward.
//!
//! A device forwards a batch of frames (oldest first) with its ledger id
//! and erases them once the receiver confirms. Power cuts make the device
//! forward the same entries again (it rebooted before the confirmation), so
//! a batch may repeat what the receiver holds. The [`Receiver`] checks every
//! batch against the head it holds for that ledger before storing a byte:
//!
//! - a batch that continues the held chain is stored;
//! - entries the receiver already holds, byte for byte (same sequence
//!   numbers, same hashes), are counted as duplicates and not stored again,
//!   and whatever follows them is stored;
//! - a gap, an entry that differs from the one held (a fork), a batch of
//!   another ledger, or a frame that is torn or breaks the batch's own chain
//!   refuses the whole batch with the sequence number and the reason.
//!
//! Where the entries go is a [`Sink`]: the file ledger on a line PC, or
//! `MemorySink` (feature `alloc`) in tests. The receiver itself needs no
//! allocator.

#[cfg(feature = "alloc")]
mod memory;

use core::fmt;

use crate::chain::{Anchor, FailureKind, Verifier};
use crate::entry::{self, DecodeError};
use crate::frame;
use crate::model::{Digest, LedgerId};

#[cfg(feature = "alloc")]
pub use memory::MemorySink;

/// Where received entries are kept, per ledger.
pub trait Sink {
    /// What can go wrong in the sink.
    type Error;

    /// The head held for `ledger`, or `None` if nothing is held for it.
    ///
    /// # Errors
    /// The sink's error.
    fn head(&mut self, ledger: &LedgerId) -> Result<Option<Anchor>, Self::Error>;

    /// The hash of held entry `seq` of `ledger`, or `None` if it is not held
    /// (or no longer at hand).
    ///
    /// # Errors
    /// The sink's error.
    fn entry_hash(&mut self, ledger: &LedgerId, seq: u64) -> Result<Option<Digest>, Self::Error>;

    /// Stores `frames` (whole frames that continue the held head, already
    /// verified) durably; the chain then stands at `head`.
    ///
    /// # Errors
    /// The sink's error; then nothing of `frames` may count as held.
    fn append(&mut self, ledger: &LedgerId, frames: &[u8], head: Anchor)
    -> Result<(), Self::Error>;
}

impl<S: Sink + ?Sized> Sink for &mut S {
    type Error = S::Error;

    fn head(&mut self, ledger: &LedgerId) -> Result<Option<Anchor>, S::Error> {
        (**self).head(ledger)
    }

    fn entry_hash(&mut self, ledger: &LedgerId, seq: u64) -> Result<Option<Digest>, S::Error> {
        (**self).entry_hash(ledger, seq)
    }

    fn append(&mut self, ledger: &LedgerId, frames: &[u8], head: Anchor) -> Result<(), S::Error> {
        (**self).append(ledger, frames, head)
    }
}

/// What an accepted batch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Entries stored (new to the receiver).
    pub stored: u64,
    /// Entries the receiver already held, not stored again.
    pub duplicates: u64,
    /// Where the held chain now stands. The device may confirm every entry
    /// below `head.next_seq`.
    pub head: Anchor,
}

/// Why a batch was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The batch starts after the next entry the receiver expects.
    Gap {
        /// The sequence number expected.
        expected: u64,
    },
    /// The entry differs from the one the receiver holds under that number,
    /// or does not link to it.
    Fork {
        /// The hash held, if the entry itself is held.
        held: Option<Digest>,
        /// The hash received, if the entry links correctly.
        received: Option<Digest>,
    },
    /// Entry 0 does not start this ledger: the batch belongs to another.
    WrongLedger,
    /// The batch repeats an entry whose hash the sink can no longer give.
    UnknownHistory,
    /// A frame is torn or malformed, or the batch's own chain is broken.
    Invalid(FailureKind),
}

/// Why [`Receiver::receive`] stored nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveError<E> {
    /// The sink failed.
    Sink(E),
    /// The batch was refused at entry `seq`.
    Refused {
        /// The sequence number where the batch goes wrong.
        seq: u64,
        /// Byte offset of that entry's frame in the batch.
        offset: u64,
        /// Why.
        reason: Refusal,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gap { expected } => write!(f, "gap: expected entry {expected}"),
            Self::Fork { held: Some(h), received: Some(r) } => {
                write!(f, "fork: held hash {h}, received {r}")
            }
            Self::Fork { .. } => f.write_str("fork: does not link to the held chain"),
            Self::WrongLedger => f.write_str("entry 0 belongs to another ledger"),
            Self::UnknownHistory => f.write_str("replayed entry no longer held to compare"),
            Self::Invalid(kind) => write!(f, "{kind}"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for ReceiveError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sink(e) => write!(f, "sink: {e}"),
            Self::Refused { seq, offset, reason } => {
                write!(f, "batch refused at entry {seq} (byte {offset}): {reason}")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for ReceiveError<E> {}

/// Checks forwarded batches against the chains a [`Sink`] holds and stores
/// what is new. See the [module documentation](self).
#[derive(Debug)]
pub struct Receiver<S> {
    sink: S,
}

impl<S: Sink> Receiver<S> {
    /// A receiver storing into `sink`.
    pub const fn new(sink: S) -> Self {
        Self { sink }
    }

    /// The sink.
    pub const fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, mutably.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// The sink back.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// Checks `batch` (whole frames, oldest first) from the device keeping
    /// ledger `ledger`, then stores the entries the sink does not hold yet.
    /// Either the whole batch is accepted or nothing is stored.
    ///
    /// # Errors
    /// [`ReceiveError::Refused`] naming the entry and the reason;
    /// [`ReceiveError::Sink`].
    pub fn receive(
        &mut self,
        ledger: &LedgerId,
        batch: &[u8],
    ) -> Result<Accepted, ReceiveError<S::Error>> {
        let genesis = Anchor::genesis(ledger);
        let held = self.sink.head(ledger).map_err(ReceiveError::Sink)?.unwrap_or(genesis);
        if batch.is_empty() {
            return Ok(Accepted { stored: 0, duplicates: 0, head: held });
        }
        let refused = |seq, offset, reason| ReceiveError::Refused { seq, offset, reason };
        let first =
            first_seq(batch).map_err(|kind| refused(held.next_seq, 0, Refusal::Invalid(kind)))?;
        if first > held.next_seq {
            return Err(refused(first, 0, Refusal::Gap { expected: held.next_seq }));
        }
        let start = if first == held.next_seq {
            held
        } else if first == 0 {
            genesis
        } else {
            let before = self.sink.entry_hash(ledger, first - 1).map_err(ReceiveError::Sink)?;
            let head = before.ok_or_else(|| refused(first, 0, Refusal::UnknownHistory))?;
            Anchor { next_seq: first, head }
        };

        // Check everything before storing anything.
        let mut duplicates = 0;
        let mut new_from = None;
        let mut verifier = Verifier::new(batch, start);
        for item in &mut verifier {
            let v = item.map_err(|f| {
                let reason = match f.kind {
                    FailureKind::BrokenLink { .. } if f.offset == 0 && first == 0 => {
                        Refusal::WrongLedger
                    }
                    FailureKind::BrokenLink { .. } if f.offset == 0 => {
                        Refusal::Fork { held: None, received: None }
                    }
                    kind => Refusal::Invalid(kind),
                };
                refused(f.seq, f.offset, reason)
            })?;
            let seq = v.header.seq;
            if seq < held.next_seq {
                let held_hash = self.sink.entry_hash(ledger, seq).map_err(ReceiveError::Sink)?;
                match held_hash {
                    Some(h) if h == v.hash => duplicates += 1,
                    Some(h) => {
                        let reason = Refusal::Fork { held: Some(h), received: Some(v.hash) };
                        return Err(refused(seq, v.offset, reason));
                    }
                    None => return Err(refused(seq, v.offset, Refusal::UnknownHistory)),
                }
            } else if new_from.is_none() {
                new_from = Some(v.offset);
            }
        }
        let head = verifier.anchor();
        let Some(from) = new_from else {
            return Ok(Accepted { stored: 0, duplicates, head: held });
        };
        let from = usize::try_from(from).unwrap_or(batch.len());
        let new = batch.get(from..).unwrap_or_default();
        self.sink.append(ledger, new, head).map_err(ReceiveError::Sink)?;
        Ok(Accepted { stored: head.next_seq - held.next_seq, duplicates, head })
    }
}

/// The sequence number of the first frame in `batch`.
fn first_seq(batch: &[u8]) -> Result<u64, FailureKind> {
    let f = frame::parse(batch).map_err(FailureKind::Frame)?;
    entry::decode_header(f.body).map(|(h, _)| h.seq).map_err(|e| match e {
        DecodeError::UnknownVersion(v) => FailureKind::UnknownVersion(v),
        other => FailureKind::Undecodable(other),
    })
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::chain::Writer;
    use crate::entry::Stamp;
    use crate::model::{Disposition, DispositionSet, ItemCode, LotId, Record, Text, Timestamp};

    /// The frames of entries `0..n` of `ledger`, one per lot number, and
    /// where each starts.
    #[expect(clippy::unwrap_used, reason = "fixed test data always fits")]
    fn ledger(ledger: LedgerId, n: u8, variant: &str) -> (Vec<u8>, Vec<usize>) {
        let mut w = Writer::new(Vec::new(), [0u8; 256], Anchor::genesis(&ledger));
        let mut starts = Vec::new();
        for i in 0..n {
            let stamp = Stamp {
                time: Timestamp(1_772_352_000_000 + i64::from(i)),
                actor: "qa".parse().unwrap(),
                station: "QA".parse().unwrap(),
            };
            let lot = LotId {
                item: ItemCode::Internal("FG-1".parse().unwrap()),
                lot: alloc::format!("{variant}{i}").parse().unwrap(),
            };
            let record = Record::DispositionSet(DispositionSet {
                lot,
                status: Disposition::Released,
                reason: Text::default(),
            });
            starts.push(w.storage().len());
            w.append(&stamp, &record).unwrap();
        }
        starts.push(w.storage().len());
        (w.into_parts().0, starts)
    }

    #[test]
    fn continue_replay_overlap_gap_fork() {
        let id = LedgerId([5; 16]);
        let (bytes, at) = ledger(id, 8, "L");
        let (other, other_at) = ledger(id, 8, "X");
        let mut rx = Receiver::new(MemorySink::new());
        let got = rx.receive(&id, &bytes[..at[3]]).unwrap();
        assert_eq!((got.stored, got.duplicates, got.head.next_seq), (3, 0, 3));
        let again = rx.receive(&id, &bytes[..at[3]]).unwrap();
        assert_eq!((again.stored, again.duplicates, again.head), (0, 3, got.head));
        let overlap = rx.receive(&id, &bytes[at[1]..at[5]]).unwrap();
        assert_eq!((overlap.stored, overlap.duplicates), (2, 2));
        assert_eq!(rx.sink().frames(&id), &bytes[..at[5]]);
        assert_eq!(rx.sink().appends(), 2);

        let refusal = |r: Result<Accepted, ReceiveError<core::convert::Infallible>>| match r {
            Err(ReceiveError::Refused { seq, reason, .. }) => (seq, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refusal(rx.receive(&id, &bytes[at[6]..at[7]])),
            (6, Refusal::Gap { expected: 5 })
        );
        let (seq, why) = refusal(rx.receive(&id, &other[other_at[0]..other_at[2]]));
        assert_eq!(seq, 0);
        assert!(matches!(why, Refusal::Fork { held: Some(_), received: Some(_) }));
        assert_eq!(
            refusal(rx.receive(&LedgerId([6; 16]), &bytes[..at[1]])),
            (0, Refusal::WrongLedger)
        );
        let mut torn = bytes[at[5]..at[7]].to_vec();
        torn.truncate(torn.len() - 1);
        let (seq, why) = refusal(rx.receive(&id, &torn));
        assert_eq!(seq, 6);
        assert!(matches!(why, Refusal::Invalid(FailureKind::Frame(_))));
        assert_eq!(rx.sink().frames(&id), &bytes[..at[5]], "refusals store nothing");
        let empty = rx.receive(&id, &[]).unwrap();
        assert_eq!((empty.stored, empty.head.next_seq), (0, 5));
    }
}
