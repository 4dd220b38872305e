//! The auditor's view: entries by actor, station, record kind and time;
//! every correction beside the entry it corrects; and a verification report.
//!
//! Unlike the other queries this view shows voided entries too, marked, so
//! that data changed after its first entry is visible (21 CFR 11.10(e),
//! EU GMP Annex 11 §9).

use std::string::String;
use std::vec::Vec;

use serde::{Deserialize, Serialize};

use super::View;
use crate::chain::Anchor;
use crate::index::{CorrectionStatus, Index, KIND_UNDECODABLE, NONE, Problem, Segment};
use crate::model::{LedgerId, RecordKind, Timestamp};

/// Which entries to list; every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only this ledger.
    pub ledger: Option<LedgerId>,
    /// Only entries made by this actor.
    pub actor: Option<String>,
    /// Only entries made at this station.
    pub station: Option<String>,
    /// Only records of this kind (its snake_case name, e.g. `shipped`).
    pub kind: Option<String>,
    /// Made at or after.
    pub from: Option<Timestamp>,
    /// Made before.
    pub to: Option<Timestamp>,
    /// At most this many rows (the first ones in ledger order).
    pub limit: Option<usize>,
}

/// One entry, as an auditor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// The ledger.
    pub ledger: LedgerId,
    /// The sequence number.
    pub seq: u64,
    /// The frame's byte offset (to read the full record).
    pub offset: u64,
    /// When it was made.
    pub time: Timestamp,
    /// Who made it.
    pub actor: String,
    /// Where.
    pub station: String,
    /// The record kind (`unknown` or `undecodable` when it cannot be read).
    pub kind: &'static str,
    /// Whether a correction in force voids it.
    pub void: bool,
}

/// A correction beside the entry it corrects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorrectionLine {
    /// The correction entry.
    pub correction: AuditRow,
    /// Why.
    pub reason: String,
    /// `applied`, `hash_mismatch` (flagged, not applied) or `unknown_target`.
    pub status: &'static str,
    /// Whether it is in force (applied and not itself voided).
    pub in_force: bool,
    /// The sequence number it names.
    pub target_seq: u64,
    /// The entry at that sequence number, when there is one.
    pub target: Option<AuditRow>,
    /// The replacement entries it names.
    pub replacements: Vec<AuditRow>,
}

/// The verification of one ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerReport {
    /// The ledger.
    pub ledger: LedgerId,
    /// Entries verified.
    pub entries: u64,
    /// Bytes verified.
    pub bytes: u64,
    /// Where verification started (genesis, or a kept head).
    pub start: Anchor,
    /// Where the chain ends: next sequence number and head hash.
    pub head: Anchor,
    /// The first entry's time.
    pub first_time: Option<Timestamp>,
    /// The last entry's time.
    pub last_time: Option<Timestamp>,
    /// Entries whose time is earlier than the entry before.
    pub time_regressions: u64,
    /// The segments verified.
    pub segments: Vec<Segment>,
}

/// What was verified, for an auditor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerificationReport {
    /// Entries over all ledgers.
    pub entries: u64,
    /// Each ledger.
    pub ledgers: Vec<LedgerReport>,
    /// Corrections in force.
    pub corrections_applied: usize,
    /// Corrections flagged and not applied.
    pub corrections_flagged: usize,
    /// Entries whose meaning the index could not use.
    pub problems: Vec<Problem>,
}

fn kind_name(k: u8) -> &'static str {
    match RecordKind::from_number(u32::from(k)) {
        Some(kind) => kind.name(),
        None if k == KIND_UNDECODABLE => "undecodable",
        None => "unknown",
    }
}

impl View<'_> {
    fn audit_row(&self, e: u32) -> AuditRow {
        let ix = self.ix;
        let place = self.place(e);
        AuditRow {
            ledger: place.ledger,
            seq: place.seq,
            offset: place.offset,
            time: ix.time(e),
            actor: ix.actor(e).into(),
            station: ix.station(e).into(),
            kind: kind_name(ix.kind(e)),
            void: ix.is_void(e),
        }
    }
}

/// Entries matching `filter`, in ingestion order (ledger order within each
/// ledger), voided ones included and marked.
#[must_use]
pub fn audit_entries(index: &Index, filter: &AuditFilter) -> Vec<AuditRow> {
    let view = View::new(index);
    // Which interned (actor, station) pairs pass the filter.
    let stamps: Vec<bool> = (0..index.stamps.len())
        .map(|s| {
            let pair = u32::try_from(s).ok().and_then(|s| index.stamps.value(s));
            pair.is_some_and(|(a, st)| {
                filter.actor.as_ref().is_none_or(|x| x == a.as_str())
                    && filter.station.as_ref().is_none_or(|x| x == st.as_str())
            })
        })
        .collect();
    let kind = filter.kind.as_ref().map(|k| {
        RecordKind::from_name(k).and_then(|k| u8::try_from(k.number()).ok()).unwrap_or(0xfd)
    });
    let ledger = filter.ledger.as_ref().map(|l| index.ledger_no(l));
    let e = &index.entries;
    let limit = filter.limit.unwrap_or(usize::MAX);
    (0..e.time.len())
        .filter_map(|i| u32::try_from(i).ok())
        .filter(|&n| {
            let i = n as usize;
            e.stamp.get(i).is_some_and(|&s| stamps.get(s as usize) == Some(&true))
                && ledger.is_none_or(|l| l.is_some_and(|l| index.ledger_of(n) == Some(l)))
                && kind.is_none_or(|k| e.kind.get(i) == Some(&k))
                && filter.from.is_none_or(|t| e.time.get(i).is_some_and(|&x| x >= t.0))
                && filter.to.is_none_or(|t| e.time.get(i).is_some_and(|&x| x < t.0))
        })
        .take(limit)
        .map(|i| view.audit_row(i))
        .collect()
}

/// Every correction with the entry it corrects and its replacements,
/// applied or flagged.
#[must_use]
pub fn corrections(index: &Index) -> Vec<CorrectionLine> {
    let view = View::new(index);
    index
        .corrections
        .iter()
        .map(|c| {
            let ledger = index.ledger_of(c.entry).unwrap_or(u16::MAX);
            CorrectionLine {
                correction: view.audit_row(c.entry),
                reason: c.reason.clone(),
                status: match c.status {
                    CorrectionStatus::Applied => "applied",
                    CorrectionStatus::HashMismatch => "hash_mismatch",
                    CorrectionStatus::UnknownTarget => "unknown_target",
                },
                in_force: c.status == CorrectionStatus::Applied && !index.is_void(c.entry),
                target_seq: c.target_seq,
                target: (c.target != NONE)
                    .then(|| view.audit_row(c.target))
                    .or_else(|| index.entry_of(ledger, c.target_seq).map(|t| view.audit_row(t))),
                replacements: c
                    .replacements
                    .iter()
                    .filter_map(|&s| index.entry_of(ledger, s))
                    .filter(|&r| r < c.entry)
                    .map(|r| view.audit_row(r))
                    .collect(),
            }
        })
        .collect()
}

/// The verification report: per ledger the entries, bytes, time span, head
/// hash and segments verified, and the entries the index could not use.
#[must_use]
pub fn verification(index: &Index) -> VerificationReport {
    let applied = index
        .corrections
        .iter()
        .filter(|c| c.status == CorrectionStatus::Applied && !index.is_void(c.entry))
        .count();
    let flagged =
        index.corrections.iter().filter(|c| c.status != CorrectionStatus::Applied).count();
    VerificationReport {
        entries: index.entries(),
        ledgers: index
            .ledgers
            .iter()
            .map(|l| LedgerReport {
                ledger: l.id,
                entries: l.entries,
                bytes: l.bytes,
                start: l.start,
                head: l.head,
                first_time: l.first_time,
                last_time: l.last_time,
                time_regressions: l.time_regressions,
                segments: l.segments.clone(),
            })
            .collect(),
        corrections_applied: applied,
        corrections_flagged: flagged,
        problems: index.problems.clone(),
    }
}
