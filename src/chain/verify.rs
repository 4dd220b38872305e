//! Walking stored bytes: every frame intact, every entry numbered and
//! linked in order, the first failure named with its place.

use core::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::{Anchor, Chain, Failure, FailureKind};
use crate::entry::{self, DecodeError, Header};
use crate::model::{Digest, Record, RecordKind, Timestamp};

/// An iterator over the entries stored in a byte slice, checking each one.
///
/// It yields each entry that verifies, then stops after yielding the first
/// [`Failure`]. Records are not decoded unless asked for
/// ([`Verified::record`]), so a reader that does not know a record kind can
/// still verify the chain.
///
/// ```
/// use lotledger::chain::{Anchor, Verifier, Writer};
/// use lotledger::entry::Stamp;
/// use lotledger::model::*;
///
/// let ledger = LedgerId([7; 16]);
/// let mut w = Writer::new(Vec::new(), [0u8; 512], Anchor::genesis(&ledger));
/// let stamp = Stamp { time: Timestamp(1_772_352_000_000), actor: "qa.mei".parse()?, station: "QA-LAB".parse()? };
/// let lot = LotId { item: ItemCode::Internal("RM-0042".parse()?), lot: "S2611-07".parse()? };
/// let record = Record::DispositionSet(DispositionSet { lot, status: Disposition::Released, reason: Text::default() });
/// w.append(&stamp, &record)?;
///
/// let entries: Vec<_> = Verifier::new(w.storage(), Anchor::genesis(&ledger)).collect::<Result<_, _>>()?;
/// assert_eq!(entries.len(), 1);
/// assert_eq!(entries[0].record()?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier<'a> {
    bytes: &'a [u8],
    pos: usize,
    base_offset: u64,
    chain: Chain,
    done: bool,
}

/// One entry that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<'a> {
    /// The header.
    pub header: Header,
    /// The entry's hash.
    pub hash: Digest,
    /// Byte offset of its frame.
    pub offset: u64,
    /// The entry body exactly as stored (what the hash covers).
    pub body: &'a [u8],
    /// Whether its time is earlier than the previous entry's (not a failure).
    pub time_regressed: bool,
    record_bytes: &'a [u8],
}

impl<'a> Verified<'a> {
    /// An entry verified elsewhere (the central repository re-verifies its
    /// stored chain: docs/POSTGRES.md), from its stored body, hash and frame
    /// offset; `None` when the body's header does not decode.
    #[cfg(feature = "postgres")]
    pub(crate) fn stored(body: &'a [u8], hash: Digest, offset: u64) -> Option<Self> {
        let (header, record_bytes) = entry::decode_header(body).ok()?;
        Some(Self { header, hash, offset, body, time_regressed: false, record_bytes })
    }
}

impl Verified<'_> {
    /// Decodes the record.
    ///
    /// # Errors
    /// [`DecodeError::UnknownKind`] for a kind written by a newer version.
    pub fn record(&self) -> Result<Record, DecodeError> {
        entry::decode_record(self.record_bytes)
    }

    /// The record's kind, without decoding the rest of it.
    ///
    /// # Errors
    /// [`DecodeError::UnknownKind`] for a kind written by a newer version.
    pub fn kind(&self) -> Result<RecordKind, DecodeError> {
        let (n, _) =
            crate::varint::decode(self.record_bytes).map_err(|_| DecodeError::Truncated)?;
        u32::try_from(n).ok().and_then(RecordKind::from_number).ok_or(DecodeError::UnknownKind(n))
    }

    /// The record's bytes, undecoded.
    #[must_use]
    pub fn record_bytes(&self) -> &[u8] {
        self.record_bytes
    }
}

impl<'a> Verifier<'a> {
    /// Verifies the frames in `bytes`, the first of which must continue `start`.
    #[must_use]
    pub const fn new(bytes: &'a [u8], start: Anchor) -> Self {
        Self { bytes, pos: 0, base_offset: 0, chain: Chain::new(start), done: false }
    }

    /// Reports offsets as if `bytes` began at `offset` (for a segment of a file).
    #[must_use]
    pub const fn with_base_offset(mut self, offset: u64) -> Self {
        self.base_offset = offset;
        self
    }

    /// Where the chain stands after the entries verified so far.
    #[must_use]
    pub const fn anchor(&self) -> Anchor {
        self.chain.anchor()
    }

    /// How many bytes have verified so far (the intact prefix).
    #[must_use]
    pub const fn verified_len(&self) -> usize {
        self.pos
    }

    fn fail(&mut self, kind: FailureKind) -> Failure {
        self.done = true;
        Failure {
            seq: self.chain.anchor().next_seq,
            offset: self.base_offset + self.pos as u64,
            kind,
        }
    }
}

impl<'a> Iterator for Verifier<'a> {
    type Item = Result<Verified<'a>, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut walked = None;
        let found = self.chain.walk(self.bytes, &mut self.pos, |w| {
            walked = Some(*w);
            ControlFlow::Break(())
        });
        if let Err(kind) = found {
            return Some(Err(self.fail(kind)));
        }
        let Some(w) = walked else {
            self.done = true;
            return None;
        };
        let offset = self.base_offset + w.offset as u64;
        // A header read in place always fits its owned form.
        let header = match w.step.header.to_header() {
            Ok(h) => h,
            Err(e) => {
                self.done = true;
                let kind = FailureKind::Undecodable(e);
                return Some(Err(Failure { seq: w.step.header.seq, offset, kind }));
            }
        };
        Some(Ok(Verified {
            header,
            hash: w.step.hash,
            offset,
            body: w.body,
            time_regressed: w.step.time_regressed,
            record_bytes: w.step.record_bytes,
        }))
    }
}

/// A summary of a verified ledger, for an auditor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Entries verified.
    pub entries: u64,
    /// Bytes verified.
    pub bytes: u64,
    /// Where verification started.
    pub start: Anchor,
    /// Where the chain ends: the next sequence number and the head hash.
    pub head: Anchor,
    /// The first entry's time.
    pub first_time: Option<Timestamp>,
    /// The last entry's time.
    pub last_time: Option<Timestamp>,
    /// How many entries have a time earlier than the entry before them.
    pub time_regressions: u64,
    /// The first such entry.
    pub first_time_regression: Option<u64>,
    /// How many records are of a kind this version does not know (counted
    /// only when records are checked).
    pub unknown_kinds: u64,
}

impl Report {
    /// An empty report starting (and ending) at `start`.
    #[must_use]
    pub const fn new(start: Anchor) -> Self {
        Self {
            entries: 0,
            bytes: 0,
            start,
            head: start,
            first_time: None,
            last_time: None,
            time_regressions: 0,
            first_time_regression: None,
            unknown_kinds: 0,
        }
    }

    /// Adds one verified entry of `frame_len` bytes.
    pub fn add(&mut self, v: &Verified<'_>, frame_len: u64) {
        self.note(v.header.seq, v.header.time, v.hash, v.time_regressed, frame_len);
    }

    fn note(&mut self, seq: u64, time: Timestamp, hash: Digest, regressed: bool, frame_len: u64) {
        self.entries += 1;
        self.bytes += frame_len;
        self.head = Anchor { next_seq: seq + 1, head: hash };
        self.first_time.get_or_insert(time);
        self.last_time = Some(time);
        if regressed {
            self.time_regressions += 1;
            self.first_time_regression.get_or_insert(seq);
        }
    }

    /// Checks that the chain ended at `expected`.
    ///
    /// # Errors
    /// [`FailureKind::HashMismatch`] when it did not.
    pub fn expect_head(&self, expected: &Anchor) -> Result<(), Failure> {
        if self.head == *expected {
            return Ok(());
        }
        Err(Failure {
            seq: self.head.next_seq,
            offset: self.bytes,
            kind: FailureKind::HashMismatch { expected: *expected, found: self.head },
        })
    }
}

/// The loop behind [`verify`] and [`verify_records`]: the [`Verifier`]'s
/// checks, with headers read in place rather than copied out.
fn run(bytes: &[u8], start: Anchor, check_records: bool) -> Result<Report, Failure> {
    let mut report = Report::new(start);
    let mut chain = Chain::new(start);
    let mut pos = 0;
    let mut bad_record = None;
    let walked = chain.walk(bytes, &mut pos, |w| {
        let h = &w.step.header;
        if check_records {
            match entry::decode_record(w.step.record_bytes) {
                Ok(_) => {}
                Err(DecodeError::UnknownKind(_)) => report.unknown_kinds += 1,
                Err(e) => {
                    let kind = FailureKind::Undecodable(e);
                    bad_record = Some(Failure { seq: h.seq, offset: w.offset as u64, kind });
                    return ControlFlow::Break(());
                }
            }
        }
        report.note(h.seq, h.time, w.step.hash, w.step.time_regressed, w.frame_len as u64);
        ControlFlow::Continue(())
    });
    if let Some(failure) = bad_record {
        return Err(failure);
    }
    walked.map_err(|kind| Failure { seq: chain.anchor().next_seq, offset: pos as u64, kind })?;
    Ok(report)
}

/// Verifies every frame in `bytes` from `start` and summarises them.
/// Records are not decoded: this is the chain check an independent
/// verifier does.
///
/// # Errors
/// The first [`Failure`].
pub fn verify(bytes: &[u8], start: Anchor) -> Result<Report, Failure> {
    run(bytes, start, false)
}

/// As [`verify`], and also decodes every record: a malformed record fails,
/// a record of an unknown kind is counted in [`Report::unknown_kinds`].
///
/// # Errors
/// The first [`Failure`].
pub fn verify_records(bytes: &[u8], start: Anchor) -> Result<Report, Failure> {
    run(bytes, start, true)
}
