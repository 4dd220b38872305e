//! A derived, rebuildable index over any number of ledgers, so that a trace
//! or a recall is a walk over adjacency lists rather than a scan of the
//! records.
//!
//! The ledgers stay the source of truth. The index is built in one
//! verifying pass (each entry's chain link is checked as it is ingested, each
//! record decoded once) and kept current by feeding it the entries appended
//! since; it can always be thrown away and rebuilt. A plant has many ledgers
//! (one per line controller, device or site); lots, items, parties and
//! locations are interned across all of them, so one query spans the plant.
//!
//! A bulk load (a megabyte or more of frames) verifies on a second thread
//! while this one indexes, so it takes about the longer of the two.
//!
//! It is kept small on purpose (well under 100 bytes per entry): identities
//! are `u32` numbers, each event is one compact row, texts that only need to
//! be shown are packed in one buffer, and no decoded record is kept whole.
//! Every row names its entry, whose ledger, sequence number and byte offset
//! let the full record be read again from the ledger.
//!
//! Corrections are applied as the ledger says: a [`Corrected`] record voids
//! its target when the target's sequence number and hash match (the index
//! compares the hash's first 64 bits, the part the chain itself links by);
//! otherwise the correction is flagged and nothing is voided. Replacements
//! are ordinary entries. Queries see the corrected view; the audit view
//! shows both.
//!
//! [`Corrected`]: crate::model::Corrected

mod arena;
pub mod cache;
mod ingest;
mod intern;
mod master;
mod rows;
mod units;
mod unresolved;

use core::fmt;
use std::collections::HashMap;
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use crate::chain::{Anchor, Failure, Verified, Verifier};
use crate::entry::PrevLink;
use crate::model::{
    Code, Digest, ItemCode, LedgerId, LocationId, LotId, PartyId, Reference, Timestamp, Unit,
};

pub(crate) use arena::{LabelKind, Labels, TextArena};
pub(crate) use intern::{FastBuild, Interner};
pub(crate) use master::{Directory, LocationVersion, PartyVersion, ProductVersion};
pub(crate) use rows::*;
pub(crate) use units::{
    DECOMMISSION_REASONS, GoodsRow, Resolved, SerialKey, SerializedGoods, Status, UnitEventRow,
    UnitState, UnitWorld, serial_text, split_serial,
};
pub use unresolved::{UNRESOLVED_EXAMPLES, Unresolved};

/// An index over one or more ledgers. See the [module documentation](self).
///
/// ```
/// use lotledger::index::Index;
///
/// let (id, bytes) = lotledger::demo::ledger(2_000);
/// let mut index = Index::new();
/// index.ingest_bytes(&id, &bytes)?;
/// assert_eq!(index.entries(), 2_000);
/// # Ok::<(), lotledger::index::IngestError>(())
/// ```
#[derive(Debug, Default)]
pub struct Index {
    pub(crate) ledgers: Vec<LedgerState>,
    ledger_numbers: HashMap<LedgerId, u16>,
    pub(crate) entries: Entries,
    /// One bit per entry: set when a correction in force voids it.
    pub(crate) void: Vec<u64>,
    /// Applied corrections of each corrected entry.
    pub(crate) voiders: HashMap<u32, Vec<u32>, FastBuild>,
    /// The correction row of each correction entry.
    pub(crate) correction_of: HashMap<u32, u32, FastBuild>,
    pub(crate) lots: Interner<LotId>,
    pub(crate) lot_nodes: Vec<LotNode>,
    pub(crate) items: Interner<ItemCode>,
    /// The item of each lot.
    pub(crate) lot_item: Vec<u32>,
    pub(crate) parties: Interner<PartyId>,
    pub(crate) locations: Interner<LocationId>,
    /// The text of each item, party and location as results show it
    /// (`gtin:…`, `gln:…` or the internal code), written once when the
    /// identity is first seen so that results can borrow it.
    pub(crate) labels: Labels,
    /// (actor, station) pairs.
    pub(crate) stamps: Interner<(Code<32>, Code<32>)>,
    /// Runs of consecutive entries of one ledger, in entry order.
    pub(crate) runs: Vec<Run>,
    pub(crate) units: Interner<Unit>,
    /// Complaint and recall numbers.
    pub(crate) refs: Interner<Reference>,
    pub(crate) text: TextArena,
    pub(crate) certificates: Vec<Digest>,
    pub(crate) receipts: Vec<ReceiptRow>,
    pub(crate) inspections: Vec<InspectionRow>,
    pub(crate) productions: Vec<ProductionRow>,
    pub(crate) lot_qtys: Vec<LotQty>,
    pub(crate) dispositions: Vec<DispositionRow>,
    pub(crate) returns: Vec<ReturnRow>,
    /// Delivery confirmations (`Delivered` records), in entry order.
    pub(crate) deliveries: Vec<DeliveryRow>,
    pub(crate) destructions: Vec<DestructionRow>,
    pub(crate) complaints: Vec<ComplaintRow>,
    /// Registration rows of each complaint number (a corrected registration
    /// may be replaced by one with the same number).
    pub(crate) complaint_by_number: HashMap<u32, Vec<u32>, FastBuild>,
    /// Step rows of each complaint number.
    pub(crate) complaint_steps: HashMap<u32, Vec<u32>, FastBuild>,
    pub(crate) steps: Vec<StepRow>,
    pub(crate) recalls: Vec<RecallRow>,
    /// Opening rows of each recall number.
    pub(crate) recall_by_number: HashMap<u32, Vec<u32>, FastBuild>,
    /// Action rows of each recall number.
    pub(crate) recall_actions: HashMap<u32, Vec<u32>, FastBuild>,
    pub(crate) actions: Vec<ActionRow>,
    pub(crate) corrections: Vec<CorrectionRow>,
    pub(crate) problems: Vec<Problem>,
    /// Every party description, in entry order (`src/index/master.rs`).
    pub(crate) party_versions: Vec<PartyVersion>,
    /// Every location description, in entry order.
    pub(crate) location_versions: Vec<LocationVersion>,
    /// Every product description, in entry order.
    pub(crate) product_versions: Vec<ProductVersion>,
    /// The master data in force, derived from the versions on first use
    /// after a change (not persisted).
    pub(crate) directory: std::sync::OnceLock<Directory>,
    /// Serialized units and containers: their events and the state derived
    /// from them (src/index/units.rs).
    pub(crate) serialized: SerializedGoods,
}

/// Per-entry columns, indexed by entry number (the order of ingestion).
#[derive(Debug, Default)]
pub(crate) struct Entries {
    pub time: Vec<i64>,
    pub offset: Vec<u64>,
    /// The interned (actor, station) pair.
    pub stamp: Vec<u32>,
    /// The record kind number; [`KIND_UNKNOWN`] or [`KIND_UNDECODABLE`].
    pub kind: Vec<u8>,
    /// The first 8 bytes of the entry hash.
    pub hash8: Vec<u64>,
}

/// Bulk loads at least this large verify on a second thread.
const PIPELINE_MIN_BYTES: usize = 1 << 20;
/// Entries handed from the verifying thread at a time.
const PIPELINE_BATCH: usize = 4096;

/// Kind byte of an entry whose record kind this version does not know.
pub(crate) const KIND_UNKNOWN: u8 = 0xff;
/// Kind byte of an entry whose record could not be decoded.
pub(crate) const KIND_UNDECODABLE: u8 = 0xfe;

/// Consecutive entry numbers holding consecutive entries of one ledger.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    pub first_entry: u32,
    pub first_seq: u64,
    pub len: u32,
    pub ledger: u16,
}

/// What the index knows of one ledger.
#[derive(Debug)]
pub(crate) struct LedgerState {
    pub id: LedgerId,
    pub start: Anchor,
    pub head: Anchor,
    /// The hash the head entry links to (the head before it), so that the
    /// index cache can recompute the head entry's hash from its stored bytes.
    pub prev_head: Digest,
    /// Its runs (indices into `Index::runs`), in sequence order.
    pub runs: Vec<u32>,
    /// How many of its entries are indexed.
    pub entries: u64,
    pub first_time: Option<Timestamp>,
    pub last_time: Option<Timestamp>,
    pub bytes: u64,
    pub time_regressions: u64,
    pub segments: Vec<Segment>,
}

/// A run of bytes fed to the index in one piece.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The name the feeder gave it (a file name), or `memory`.
    pub label: String,
    /// The sequence number of its first entry.
    pub first_seq: u64,
    /// How many entries it held.
    pub entries: u64,
    /// Its offset in the ledger (the sum of the segments before it).
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: u64,
}

/// An entry the index could not fully use, kept for the audit view. The
/// entry itself is indexed (it verified); only its meaning is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The ledger.
    pub ledger: LedgerId,
    /// The entry.
    pub seq: u64,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What the index could not use in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The record kind is newer than this reader.
    UnknownKind,
    /// The record does not decode although its entry verified.
    Undecodable,
    /// A complaint number registered again while its registration is in
    /// force (the later one counts).
    DuplicateComplaint,
    /// A step for a complaint number never registered.
    UnknownComplaint,
    /// A recall number opened again while its opening is in force (the
    /// later one counts).
    DuplicateRecall,
    /// An action for a recall number never opened.
    UnknownRecall,
    /// A correction whose target hash does not match: not applied.
    CorrectionHashMismatch,
    /// A correction naming no earlier entry of its ledger: not applied.
    CorrectionUnknownTarget,
    /// A correction naming replacement entries that are not earlier entries.
    CorrectionBadReplacement,
    /// Serials packed, shipped, returned or decommissioned that no record
    /// in force commissioned (the event applies to the others it names).
    SerialNotCommissioned,
    /// Serials commissioned again (the first commissioning counts).
    SerialCommissionedTwice,
    /// Units packed, shipped or decommissioned after they were shipped or
    /// decommissioned.
    UnitNotAvailable,
    /// Units returned that were not shipped.
    UnitNotShipped,
    /// Goods unpacked from a container that does not hold them.
    NotInContainer,
    /// A container packed into itself or into a container inside it (not applied).
    ContainerCycle,
}

impl ProblemKind {
    /// Whether the problem concerns serialized units or containers (these
    /// are recomputed when a correction changes what is in force).
    #[must_use]
    pub const fn is_unit(self) -> bool {
        matches!(
            self,
            Self::SerialNotCommissioned
                | Self::SerialCommissionedTwice
                | Self::UnitNotAvailable
                | Self::UnitNotShipped
                | Self::NotInContainer
                | Self::ContainerCycle
        )
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownKind => "record kind unknown to this reader",
            Self::Undecodable => "record does not decode",
            Self::DuplicateComplaint => "complaint number registered twice",
            Self::UnknownComplaint => "step for an unregistered complaint",
            Self::DuplicateRecall => "recall number opened twice",
            Self::UnknownRecall => "action for a recall never opened",
            Self::CorrectionHashMismatch => "correction names the wrong hash",
            Self::CorrectionUnknownTarget => "correction names no earlier entry",
            Self::CorrectionBadReplacement => "correction names a replacement that is not earlier",
            Self::SerialNotCommissioned => "serials that were never commissioned",
            Self::SerialCommissionedTwice => "serials commissioned twice",
            Self::UnitNotAvailable => "units already shipped or decommissioned",
            Self::UnitNotShipped => "units returned that were not shipped",
            Self::NotInContainer => "goods unpacked from a container that does not hold them",
            Self::ContainerCycle => "a container packed into itself",
        })
    }
}

/// Why entries could not be added to the index. Entries before the one
/// named were added; the index stays usable.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IngestError {
    /// The stored bytes fail verification.
    Chain {
        /// The ledger.
        ledger: LedgerId,
        /// What failed, and where.
        failure: Failure,
    },
    /// The entry does not continue the ledger where the index stands.
    NotNext {
        /// The ledger.
        ledger: LedgerId,
        /// The sequence number the index expected.
        expected: u64,
        /// The sequence number of the entry offered.
        found: u64,
    },
    /// The entry has the right number but does not link to the head the
    /// index holds: the ledger was rewritten or forked.
    Forked {
        /// The ledger.
        ledger: LedgerId,
        /// The entry.
        seq: u64,
    },
    /// The ledger's bytes are shorter than what was already indexed from
    /// them: it was truncated or rolled back.
    Shrunk {
        /// The ledger.
        ledger: LedgerId,
        /// Bytes already indexed.
        indexed: u64,
        /// Bytes given now.
        found: u64,
    },
    /// A ledger was added twice with different starts.
    StartConflict {
        /// The ledger.
        ledger: LedgerId,
    },
    /// The index is full (more than 65,535 ledgers or 4 billion entries, lots or parties).
    Full {
        /// What ran out.
        what: &'static str,
    },
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chain { ledger, failure } => write!(f, "ledger {ledger}: {failure}"),
            Self::NotNext { ledger, expected, found } => {
                write!(f, "ledger {ledger}: expected entry {expected}, got entry {found}")
            }
            Self::Forked { ledger, seq } => {
                write!(f, "ledger {ledger}: entry {seq} does not link to the indexed head")
            }
            Self::Shrunk { ledger, indexed, found } => write!(
                f,
                "ledger {ledger} is {found} bytes, shorter than the {indexed} already indexed: truncated or rolled back"
            ),
            Self::StartConflict { ledger } => {
                write!(f, "ledger {ledger} added twice with different starts")
            }
            Self::Full { what } => write!(f, "index full: too many {what}"),
        }
    }
}

impl core::error::Error for IngestError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Chain { failure, .. } => Some(failure),
            _ => None,
        }
    }
}

/// Where an entry lives: its ledger, sequence number and frame offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct EntryPlace {
    /// The ledger.
    pub ledger: LedgerId,
    /// The sequence number.
    pub seq: u64,
    /// The byte offset of its frame in the ledger.
    pub offset: u64,
}

/// Sizes of an index, for capacity planning and the memory figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Ledgers.
    pub ledgers: usize,
    /// Entries.
    pub entries: u64,
    /// Distinct lots.
    pub lots: usize,
    /// Distinct parties.
    pub parties: usize,
    /// Shipment lines.
    pub shipments: usize,
    /// Production steps.
    pub productions: usize,
    /// Complaints.
    pub complaints: usize,
    /// Corrections (applied or flagged).
    pub corrections: usize,
}

impl Index {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds an index from whole in-memory ledgers, each verified from its
    /// genesis.
    ///
    /// # Errors
    /// The first [`IngestError`].
    pub fn from_ledgers<'a>(
        ledgers: impl IntoIterator<Item = (LedgerId, &'a [u8])>,
    ) -> Result<Self, IngestError> {
        let mut index = Self::new();
        for (id, bytes) in ledgers {
            index.ingest_bytes(&id, bytes)?;
        }
        Ok(index)
    }

    /// Adds a ledger whose next entry must continue `start`: its genesis
    /// ([`Anchor::genesis`]), or a later head when earlier entries are kept
    /// elsewhere. A ledger first seen by [`Index::ingest`] starts at genesis.
    ///
    /// # Errors
    /// [`IngestError::StartConflict`] when the ledger is known with another
    /// start; [`IngestError::Full`] past 65,535 ledgers.
    pub fn add_ledger(&mut self, id: &LedgerId, start: Anchor) -> Result<(), IngestError> {
        if let Some(&n) = self.ledger_numbers.get(id) {
            let known = self.ledgers.get(usize::from(n)).map(|l| l.start);
            return if known == Some(start) {
                Ok(())
            } else {
                Err(IngestError::StartConflict { ledger: *id })
            };
        }
        self.ledger_number(id, start).map(|_| ())
    }

    fn ledger_number(&mut self, id: &LedgerId, start: Anchor) -> Result<u16, IngestError> {
        if let Some(&n) = self.ledger_numbers.get(id) {
            return Ok(n);
        }
        let n =
            u16::try_from(self.ledgers.len()).map_err(|_| IngestError::Full { what: "ledgers" })?;
        self.ledgers.push(LedgerState {
            id: *id,
            start,
            head: start,
            prev_head: start.head,
            runs: Vec::new(),
            entries: 0,
            first_time: None,
            last_time: None,
            bytes: 0,
            time_regressions: 0,
            segments: Vec::new(),
        });
        self.ledger_numbers.insert(*id, n);
        Ok(n)
    }

    /// Adds one verified entry of `ledger`. It must be the ledger's next
    /// entry and link to the head the index holds.
    ///
    /// # Errors
    /// [`IngestError::NotNext`], [`IngestError::Forked`] or [`IngestError::Full`];
    /// nothing was added.
    pub fn ingest(&mut self, ledger: &LedgerId, entry: &Verified<'_>) -> Result<(), IngestError> {
        let n = self.ledger_number(ledger, Anchor::genesis(ledger))?;
        let added = self.ingest_numbered(n, entry, None);
        self.settle_units()?;
        added
    }

    /// Adds verified entries of any ledgers from any source, in order within
    /// each ledger (ledgers may interleave). Returns how many were added.
    ///
    /// # Errors
    /// The first [`IngestError`]; the entries before it were added.
    pub fn ingest_all<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (LedgerId, Verified<'a>)>,
    ) -> Result<u64, IngestError> {
        let mut added = 0u64;
        let mut result = Ok(());
        for (ledger, v) in entries {
            let one = self
                .ledger_number(&ledger, Anchor::genesis(&ledger))
                .and_then(|n| self.ingest_numbered(n, &v, None));
            if let Err(e) = one {
                result = Err(e);
                break;
            }
            added += 1;
        }
        self.settle_units()?;
        if added >= 4096 && added.saturating_mul(4) >= self.entries() {
            self.shrink_to_fit();
        }
        result.map(|()| added)
    }

    /// Adds the entries of an in-memory ledger that the index has not seen:
    /// `bytes` is the whole ledger as stored so far, and only what follows
    /// the bytes already indexed is verified and added. Call it again after
    /// appending to keep the index current. Returns how many entries were added.
    ///
    /// # Errors
    /// [`IngestError::Shrunk`] when `bytes` is shorter than what was indexed;
    /// otherwise the first [`IngestError`], the entries before it added.
    pub fn ingest_bytes(&mut self, ledger: &LedgerId, bytes: &[u8]) -> Result<u64, IngestError> {
        let n = self.ledger_number(ledger, Anchor::genesis(ledger))?;
        let done = self.ledgers.get(usize::from(n)).map_or(0, |l| l.bytes);
        let from = usize::try_from(done).unwrap_or(usize::MAX);
        let Some(tail) = bytes.get(from..) else {
            return Err(IngestError::Shrunk {
                ledger: *ledger,
                indexed: done,
                found: bytes.len() as u64,
            });
        };
        let continuing = self
            .ledgers
            .get(usize::from(n))
            .and_then(|l| l.segments.last())
            .is_some_and(|s| s.label == "memory" && s.offset + s.bytes == done);
        self.ingest_run(n, tail, done, "memory", continuing)
    }

    /// Adds a segment of a ledger (for example one segment file): frames
    /// that continue the ledger where the index stands. The segment is
    /// listed under `label` in the verification report and its offsets
    /// follow the segments before it. Called again with the label of the
    /// last segment it was given, it continues that segment: `bytes` are then
    /// the frames appended to it since. Returns how many entries were added.
    ///
    /// # Errors
    /// The first [`IngestError`]; the entries before it were added.
    pub fn ingest_segment(
        &mut self,
        ledger: &LedgerId,
        label: &str,
        bytes: &[u8],
    ) -> Result<u64, IngestError> {
        let n = self.ledger_number(ledger, Anchor::genesis(ledger))?;
        let done = self.ledgers.get(usize::from(n)).map_or(0, |l| l.bytes);
        let continuing = self
            .ledgers
            .get(usize::from(n))
            .and_then(|l| l.segments.last())
            .is_some_and(|s| s.label == label && s.offset + s.bytes == done);
        self.ingest_run(n, bytes, done, label, continuing)
    }

    fn ingest_run(
        &mut self,
        n: u16,
        bytes: &[u8],
        base: u64,
        label: &str,
        continuing: bool,
    ) -> Result<u64, IngestError> {
        let Some(state) = self.ledgers.get_mut(usize::from(n)) else { return Ok(0) };
        let id = state.id;
        let head = state.head;
        if !continuing {
            state.segments.push(Segment {
                label: label.into(),
                first_seq: head.next_seq,
                entries: 0,
                offset: base,
                bytes: 0,
            });
        }
        let verifier = Verifier::new(bytes, head).with_base_offset(base);
        let parallel = bytes.len() >= PIPELINE_MIN_BYTES
            && std::thread::available_parallelism().is_ok_and(|p| p.get() > 1);
        let (added, end, result) = if parallel {
            self.ingest_pipelined(n, id, verifier)
        } else {
            self.ingest_serial(n, id, verifier)
        };
        if let Some(seg) = self.ledgers.get_mut(usize::from(n)).and_then(|l| l.segments.last_mut())
        {
            seg.entries += added;
            seg.bytes += end;
        }
        self.settle_units()?;
        // After a bulk load, give back what doubling growth reserved.
        if added >= 4096 && added.saturating_mul(4) >= self.entries() {
            self.shrink_to_fit();
        }
        result.map(|()| added)
    }

    /// Verifies and adds entries one after the other.
    fn ingest_serial(
        &mut self,
        n: u16,
        id: LedgerId,
        mut verifier: Verifier<'_>,
    ) -> (u64, u64, Result<(), IngestError>) {
        let (mut added, mut end) = (0, 0usize);
        while let Some(item) = verifier.next() {
            let v = match item {
                Ok(v) => v,
                Err(failure) => {
                    return (added, end as u64, Err(IngestError::Chain { ledger: id, failure }));
                }
            };
            let frame_len = (verifier.verified_len() - end) as u64;
            if let Err(e) = self.ingest_numbered(n, &v, Some(frame_len)) {
                return (added, end as u64, Err(e));
            }
            end = verifier.verified_len();
            added += 1;
        }
        (added, end as u64, Ok(()))
    }

    /// Verifies on a second thread while this one adds what was verified:
    /// the hash chain is sequential, but checking it and indexing it are
    /// independent, so a bulk load takes about the longer of the two.
    fn ingest_pipelined(
        &mut self,
        n: u16,
        id: LedgerId,
        mut verifier: Verifier<'_>,
    ) -> (u64, u64, Result<(), IngestError>) {
        type Batch<'b> = Vec<(Verified<'b>, u64)>;
        let (mut added, mut end) = (0u64, 0u64);
        let mut result = Ok(());
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Batch<'_>, Failure>>(4);
            s.spawn(move || {
                let mut batch = Vec::with_capacity(PIPELINE_BATCH);
                let mut done = 0;
                loop {
                    match verifier.next() {
                        Some(Ok(v)) => {
                            let len = (verifier.verified_len() - done) as u64;
                            done = verifier.verified_len();
                            batch.push((v, len));
                            if batch.len() == PIPELINE_BATCH {
                                let full = core::mem::replace(
                                    &mut batch,
                                    Vec::with_capacity(PIPELINE_BATCH),
                                );
                                if tx.send(Ok(full)).is_err() {
                                    return;
                                }
                            }
                        }
                        Some(Err(failure)) => {
                            let _ = tx.send(Ok(batch));
                            let _ = tx.send(Err(failure));
                            return;
                        }
                        None => {
                            let _ = tx.send(Ok(batch));
                            return;
                        }
                    }
                }
            });
            'feed: for message in rx {
                match message {
                    Ok(batch) => {
                        for (v, len) in &batch {
                            if let Err(e) = self.ingest_numbered(n, v, Some(*len)) {
                                result = Err(e);
                                break 'feed;
                            }
                            added += 1;
                            end += len;
                        }
                    }
                    Err(failure) => {
                        result = Err(IngestError::Chain { ledger: id, failure });
                        break 'feed;
                    }
                }
            }
        });
        (added, end, result)
    }

    /// Gives back spare capacity (vectors grow by doubling, so up to half
    /// of an index built entry by entry can be spare). The index does this
    /// itself after a bulk load of a quarter or more of its entries.
    pub fn shrink_to_fit(&mut self) {
        let e = &mut self.entries;
        e.time.shrink_to_fit();
        e.offset.shrink_to_fit();
        e.stamp.shrink_to_fit();
        e.kind.shrink_to_fit();
        e.hash8.shrink_to_fit();
        self.void.shrink_to_fit();
        self.runs.shrink_to_fit();
        for node in &mut self.lot_nodes {
            node.produced_by.shrink_to_fit();
            node.consumed_by.shrink_to_fit();
            node.shipments.shrink_to_fit();
            node.events.shrink_to_fit();
        }
        self.lot_nodes.shrink_to_fit();
        self.lot_item.shrink_to_fit();
        self.labels.shrink_to_fit();
        self.lots.shrink_to_fit();
        self.text.shrink_to_fit();
        self.certificates.shrink_to_fit();
        self.receipts.shrink_to_fit();
        self.inspections.shrink_to_fit();
        self.productions.shrink_to_fit();
        self.lot_qtys.shrink_to_fit();
        self.dispositions.shrink_to_fit();
        self.returns.shrink_to_fit();
        self.deliveries.shrink_to_fit();
        self.destructions.shrink_to_fit();
        self.steps.shrink_to_fit();
        self.actions.shrink_to_fit();
    }

    fn ingest_numbered(
        &mut self,
        n: u16,
        v: &Verified<'_>,
        frame_len: Option<u64>,
    ) -> Result<(), IngestError> {
        let Some(state) = self.ledgers.get(usize::from(n)) else {
            return Err(IngestError::Full { what: "ledgers" });
        };
        if v.header.seq != state.head.next_seq {
            return Err(IngestError::NotNext {
                ledger: state.id,
                expected: state.head.next_seq,
                found: v.header.seq,
            });
        }
        if v.header.link != PrevLink::of(&state.head.head) {
            return Err(IngestError::Forked { ledger: state.id, seq: v.header.seq });
        }
        let frame_len = frame_len.unwrap_or_else(|| crate::frame::frame_len(v.body.len()) as u64);
        self.add_entry(n, v, frame_len)
    }

    /// Adds a selection of a ledger's entries, in seq order, each verified
    /// elsewhere (the rows `complaints --db` selects in the central
    /// repository): later entries than the index holds of that ledger, not
    /// necessarily the next. The queries then answer over the entries
    /// selected.
    #[cfg(feature = "postgres")]
    pub(crate) fn ingest_selected(
        &mut self,
        ledger: &LedgerId,
        v: &Verified<'_>,
    ) -> Result<(), IngestError> {
        let n = self.ledger_number(ledger, Anchor::genesis(ledger))?;
        let Some(state) = self.ledgers.get_mut(usize::from(n)) else {
            return Err(IngestError::Full { what: "ledgers" });
        };
        if v.header.seq < state.head.next_seq {
            return Err(IngestError::NotNext {
                ledger: state.id,
                expected: state.head.next_seq,
                found: v.header.seq,
            });
        }
        // Where this entry's run starts: the entries before it are not
        // selected.
        state.head.next_seq = v.header.seq;
        self.add_entry(n, v, crate::frame::frame_len(v.body.len()) as u64)?;
        self.settle_units()
    }

    /// How many entries are indexed, over all ledgers.
    #[must_use]
    pub fn entries(&self) -> u64 {
        self.entries.time.len() as u64
    }

    /// The ledgers indexed, in the order first seen.
    pub fn ledgers(&self) -> impl Iterator<Item = LedgerId> + '_ {
        self.ledgers.iter().map(|l| l.id)
    }

    /// Where `ledger` stands in the index: the next sequence number and the
    /// head hash.
    #[must_use]
    pub fn head(&self, ledger: &LedgerId) -> Option<Anchor> {
        let n = *self.ledger_numbers.get(ledger)?;
        self.ledgers.get(usize::from(n)).map(|l| l.head)
    }

    /// Entries the index could not fully use.
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Counts of what the index holds.
    #[must_use]
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            ledgers: self.ledgers.len(),
            entries: self.entries(),
            lots: self.lots.len(),
            parties: self.parties.len(),
            shipments: self.lot_nodes.iter().map(|n| n.shipments.len()).sum(),
            productions: self.productions.len(),
            complaints: self.complaints.len(),
            corrections: self.corrections.len(),
        }
    }

    /// Whether `lot` appears in any indexed record.
    #[must_use]
    pub fn knows_lot(&self, lot: &LotId) -> bool {
        self.lots.get(lot).is_some()
    }

    /// The run holding entry number `e`.
    fn run_of(&self, e: u32) -> Option<&Run> {
        let i = self.runs.partition_point(|r| r.first_entry <= e).checked_sub(1)?;
        self.runs.get(i).filter(|r| e - r.first_entry < r.len)
    }

    /// The ledger number of entry number `e`.
    pub(crate) fn ledger_of(&self, e: u32) -> Option<u16> {
        self.run_of(e).map(|r| r.ledger)
    }

    /// The ledger and sequence number of entry number `e`, using and
    /// updating `run` (a run number) as a hint: entries visited in order
    /// mostly fall in the run of the one before.
    pub(crate) fn seq_near(&self, e: u32, run: &mut usize) -> Option<(LedgerId, u64)> {
        let hit = self.runs.get(*run).filter(|r| e >= r.first_entry && e - r.first_entry < r.len);
        let r = match hit {
            Some(r) => r,
            None => {
                *run = self.runs.partition_point(|r| r.first_entry <= e).checked_sub(1)?;
                self.runs.get(*run).filter(|r| e - r.first_entry < r.len)?
            }
        };
        let ledger = self.ledgers.get(usize::from(r.ledger))?;
        Some((ledger.id, r.first_seq + u64::from(e - r.first_entry)))
    }

    /// Where entry number `e` lives.
    pub(crate) fn place(&self, e: u32) -> Option<EntryPlace> {
        let run = self.run_of(e)?;
        let ledger = self.ledgers.get(usize::from(run.ledger))?;
        Some(EntryPlace {
            ledger: ledger.id,
            seq: run.first_seq + u64::from(e - run.first_entry),
            offset: *self.entries.offset.get(e as usize)?,
        })
    }

    /// The entry number of `seq` in ledger number `n`.
    pub(crate) fn entry_of(&self, n: u16, seq: u64) -> Option<u32> {
        let ledger = self.ledgers.get(usize::from(n))?;
        let runs = &ledger.runs;
        let i = runs
            .partition_point(|&r| self.runs.get(r as usize).is_some_and(|r| r.first_seq <= seq))
            .checked_sub(1)?;
        let run = self.runs.get(*runs.get(i)? as usize)?;
        let k = seq - run.first_seq;
        (k < u64::from(run.len)).then(|| run.first_entry + u32::try_from(k).unwrap_or(0))
    }

    /// The ledger number of `id`.
    pub(crate) fn ledger_no(&self, id: &LedgerId) -> Option<u16> {
        self.ledger_numbers.get(id).copied()
    }

    /// Whether entry `e` is voided by a correction in force.
    pub(crate) fn is_void(&self, e: u32) -> bool {
        self.void.get((e / 64) as usize).is_some_and(|w| w & (1 << (e % 64)) != 0)
    }

    /// The time of entry `e`.
    pub(crate) fn time(&self, e: u32) -> Timestamp {
        Timestamp(self.entries.time.get(e as usize).copied().unwrap_or_default())
    }

    /// The record kind byte of entry `e`.
    pub(crate) fn kind(&self, e: u32) -> u8 {
        self.entries.kind.get(e as usize).copied().unwrap_or(KIND_UNKNOWN)
    }

    /// The registration in force of complaint number `number`: the last
    /// one not voided.
    pub(crate) fn complaint_in_force(&self, number: u32) -> Option<&ComplaintRow> {
        let rows = self.complaint_by_number.get(&number)?;
        rows.iter()
            .rev()
            .filter_map(|&r| self.complaints.get(r as usize))
            .find(|c| !self.is_void(c.entry))
    }

    /// The opening in force of recall number `number`.
    pub(crate) fn recall_in_force(&self, number: u32) -> Option<&RecallRow> {
        let rows = self.recall_by_number.get(&number)?;
        rows.iter()
            .rev()
            .filter_map(|&r| self.recalls.get(r as usize))
            .find(|c| !self.is_void(c.entry))
    }

    /// Who made entry `e`.
    pub(crate) fn actor(&self, e: u32) -> &str {
        self.entries
            .stamp
            .get(e as usize)
            .and_then(|&s| self.stamps.value(s))
            .map_or("", |(a, _)| a.as_str())
    }

    /// Where entry `e` was made.
    pub(crate) fn station(&self, e: u32) -> &str {
        self.entries
            .stamp
            .get(e as usize)
            .and_then(|&s| self.stamps.value(s))
            .map_or("", |(_, s)| s.as_str())
    }
}
