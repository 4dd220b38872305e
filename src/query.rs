//! Query helpers: what a recall investigator, a complaint manager and an
//! auditor ask of the records, answered from an [`Index`] in milliseconds.
//!
//! Every helper reads the corrected view (entries voided by a correction in
//! force are left out), except the audit view, which shows both. Every result
//! is `serde::Serialize` (the CLI prints it as JSON), and where a result is a
//! list of like things its rows are flat, so they also fit CSV. Identities
//! appear as text: an item as its GTIN (`gtin:…`) or internal code, a party
//! or location as `gln:…` or its internal code. Quantities are summed
//! exactly per unit at scale 9 ([`Decimal`]); never in floating point.
//!
//! Queries are graph walks over the index's adjacency lists (lot →
//! productions consuming it → output lots; lot → shipments), never scans of
//! the ledger. See `docs/QUERIES.md` for every query with a JSON example.
//!
//! ```
//! use lotledger::index::Index;
//! use lotledger::query::{self, ComplaintFilter, ResponseCommitments};
//!
//! // The demo plant opens recall RC-2026-001 on a raw-material lot on day 60.
//! let (id, bytes) = lotledger::demo::ledger(12_000);
//! let index = Index::from_ledgers([(id, bytes.as_slice())])?;
//!
//! let recall = query::recall_by_number(&index, &"RC-2026-001".parse()?)?;
//! let lot = &recall.recalled[0];
//! assert!(recall.lots.len() > 1, "{lot} went into other lots");
//! assert!(recall.customers.iter().all(|c| !c.shipped.is_zero()));
//!
//! let overdue = ComplaintFilter { overdue: true, ..ComplaintFilter::default() };
//! let now = query::verification(&index).ledgers[0].last_time.unwrap_or_default();
//! for row in query::complaints(&index, &overdue, &ResponseCommitments::default(), now) {
//!     assert!(row.open && !row.overdue.is_empty());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod amount;
mod audit;
mod complaints;
mod entry;
mod expiry;
mod genealogy;
mod master;
mod notices;
mod recall;
mod receipts;
mod shipment;
mod suggest;
mod trace;
mod units;

use core::fmt;
use std::collections::{HashSet, VecDeque};
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use crate::index::{EntryPlace, FastBuild, Index, LabelKind, LotQty, NONE, ProductionRow};
use crate::model::{Date, Disposition, LotId, RecordKind};

pub use amount::{Amount, Decimal, Totals};
pub use audit::{
    AuditFilter, AuditRow, CorrectionLine, LedgerReport, VerificationReport, audit_entries,
    corrections, verification,
};
pub use complaints::{
    Cluster, ClusterKey, ClusterSpec, Commitment, ComplaintCounts, ComplaintFilter, ComplaintRow,
    ComplaintTimeline, Count, Deadline, DeadlineStatus, ResponseCommitments, TimelineStep,
    complaint_clusters, complaint_counts, complaint_timeline, complaints,
};
pub use entry::{EntryStatus, entry_status};
pub use expiry::{ExpiringLot, ExpiryCustomerLine, ExpiryReport, expiring};
pub use genealogy::{Genealogy, GenealogyEdge, GenealogyNode, genealogy};
pub use master::{
    MasterVersion, PartyDetails, ProductDetails, address_line, location_history, party,
    party_history, product, product_history,
};
pub use notices::{Notice, NoticeBatch, NoticeKind, NoticeLine, expiry_notices, recall_notices};
pub use recall::{
    AffectedLot, CustomerLotLine, Discrepancy, MassBalance, RecallCustomer, RecallProgress,
    RecallReport, RecallShipment, mass_balance, recall, recall_by_number,
};
pub use receipts::{
    ReceiptFilter, ReceiptMatch, near_supplier_lots, near_suppliers, receipts, received_lots,
};
pub use shipment::ShipmentLine;
pub use suggest::{SUGGESTIONS, near_complaints, near_lots, near_recalls};
pub use trace::{
    BackwardTrace, ForwardTrace, InspectionLine, Link, ReceiptLine, TracedLot, trace_backward,
    trace_forward,
};
pub use units::{
    ReturnCheck, ReturnVerdict, SerialRun, UnitStep, UnitTarget, UnitsReceived, Verdict,
    WhereReport, near_units, verify_return, where_is,
};

/// Why a query has no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// No indexed record names this lot.
    UnknownLot(LotId),
    /// No complaint with this filing number is registered.
    UnknownComplaint(String),
    /// No recall with this number was opened.
    UnknownRecall(String),
    /// No receipt matches (the text says what was asked: `supplier lot
    /// S-4711 from V-ACME`).
    NoReceipt(String),
    /// Every receipt that matches is voided by a correction in force.
    OnlyVoidedReceipts(String),
    /// No commissioning in force names this serial, or no record names
    /// this container.
    UnknownUnit(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownLot(l) => write!(f, "lot {l} is not in any indexed record"),
            Self::UnknownComplaint(c) => write!(f, "complaint {c} is not registered"),
            Self::UnknownRecall(r) => write!(f, "recall {r} was never opened"),
            Self::NoReceipt(what) => write!(f, "no receipt of {what} is recorded"),
            Self::OnlyVoidedReceipts(what) => write!(
                f,
                "every receipt of {what} is voided by a correction in force (lotledger receipts lists them)"
            ),
            Self::UnknownUnit(u) => write!(f, "{u} is not in any indexed record"),
        }
    }
}

impl core::error::Error for QueryError {}

/// A lot as shown in results: its item and its lot code, as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LotRef {
    /// The item: `gtin:` and 14 digits, or the internal code.
    pub item: String,
    /// The lot code.
    pub lot: String,
}

impl fmt::Display for LotRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.item, self.lot)
    }
}

/// Lots reached by a walk, with their distance from the start and the
/// production steps that link them.
#[derive(Debug, Default)]
pub(crate) struct Closure {
    /// (lot, depth) in the order reached.
    pub lots: Vec<(u32, u32)>,
    /// (from lot, to lot, production row) for every edge walked.
    pub edges: Vec<(u32, u32, u32)>,
}

/// Per-unit exact sums, keyed by interned unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sums(pub Vec<(u32, i128)>);

impl Sums {
    pub(crate) fn add(&mut self, unit: u32, value: i128) {
        match self.0.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, v)) => *v = v.saturating_add(value),
            None => self.0.push((unit, value)),
        }
    }

    pub(crate) fn add_all(&mut self, other: &Sums, sign: i128) {
        for &(u, v) in &other.0 {
            self.add(u, v.saturating_mul(sign));
        }
    }
}

/// Read access to an index for the queries.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub ix: &'a Index,
}

impl<'a> View<'a> {
    pub(crate) fn new(ix: &'a Index) -> Self {
        Self { ix }
    }

    pub(crate) fn lot_no(&self, lot: &LotId) -> Result<u32, QueryError> {
        self.ix.lots.get(lot).ok_or_else(|| QueryError::UnknownLot(lot.clone()))
    }

    /// The item's text and the lot code of lot number `lot`, borrowed
    /// from the index.
    pub(crate) fn lot_names(&self, lot: u32) -> (&'a str, &'a str) {
        let ix = self.ix;
        let code = ix.lots.value(lot).map_or("", |l| l.lot.as_str());
        let item = ix.lot_item.get(lot as usize).map_or("", |&i| ix.labels.get(LabelKind::Item, i));
        (item, code)
    }

    pub(crate) fn lot_ref(&self, lot: u32) -> LotRef {
        let (item, lot) = self.lot_names(lot);
        LotRef { item: item.into(), lot: lot.into() }
    }

    /// A party as text, borrowed from the index: the identity that stands
    /// for its party when master data links several (`query/master.rs`).
    pub(crate) fn party_name(&self, p: u32) -> &'a str {
        self.ix.labels.get(LabelKind::Party, self.who(p))
    }

    pub(crate) fn party(&self, p: u32) -> String {
        self.party_name(p).into()
    }

    /// A location as text, borrowed from the index; none for [`NONE`].
    pub(crate) fn location_name(&self, l: u32) -> Option<&'a str> {
        (l != NONE).then(|| self.ix.labels.get(LabelKind::Location, l))
    }

    pub(crate) fn location(&self, l: u32) -> Option<String> {
        self.location_name(l).map(Into::into)
    }

    /// A unit's code, borrowed from the index.
    pub(crate) fn unit_code(&self, u: u32) -> &'a str {
        self.ix.units.value(u).map_or("", |u| u.code())
    }

    pub(crate) fn unit(&self, u: u32) -> String {
        self.unit_code(u).into()
    }

    /// A packed text, borrowed from the index; none for [`NONE`].
    pub(crate) fn text_str(&self, offset: u32) -> Option<&'a str> {
        (offset != NONE).then(|| self.ix.text.get(offset))
    }

    pub(crate) fn text(&self, offset: u32) -> Option<String> {
        self.text_str(offset).map(Into::into)
    }

    pub(crate) fn place(&self, e: u32) -> EntryPlace {
        self.ix.place(e).unwrap_or(EntryPlace {
            ledger: crate::model::LedgerId::default(),
            seq: 0,
            offset: 0,
        })
    }

    pub(crate) fn totals(&self, sums: &Sums) -> Totals {
        let mut amounts: Vec<Amount> = sums
            .0
            .iter()
            .map(|&(u, v)| Amount { quantity: Decimal(v), unit: self.unit(u) })
            .collect();
        amounts.sort_by(|a, b| a.unit.cmp(&b.unit));
        Totals(amounts)
    }

    pub(crate) fn inputs(&self, p: &ProductionRow) -> &'a [LotQty] {
        let start = p.inputs_start as usize;
        self.ix.lot_qtys.get(start..start + usize::from(p.inputs_len)).unwrap_or_default()
    }

    pub(crate) fn outputs(&self, p: &ProductionRow) -> &'a [LotQty] {
        let start = p.inputs_start as usize + usize::from(p.inputs_len);
        self.ix.lot_qtys.get(start..start + usize::from(p.outputs_len)).unwrap_or_default()
    }

    /// The production rows of `rows` that are in force.
    pub(crate) fn productions(
        &self,
        rows: &'a [u32],
    ) -> impl Iterator<Item = (u32, &'a ProductionRow)> + 'a {
        let ix = self.ix;
        rows.iter().filter_map(move |&r| {
            let p = ix.productions.get(r as usize)?;
            (!ix.is_void(p.entry)).then_some((r, p))
        })
    }

    /// Walks forward (`true`: lot → productions consuming it → outputs) or
    /// backward (lot → productions making it → inputs) from `seeds`.
    pub(crate) fn closure(&self, seeds: &[u32], forward: bool) -> Closure {
        let mut seen: HashSet<u32, FastBuild> = seeds.iter().copied().collect();
        let mut out = Closure::default();
        let mut queue: VecDeque<(u32, u32)> = VecDeque::new();
        for &s in seeds {
            if !out.lots.iter().any(|&(l, _)| l == s) {
                out.lots.push((s, 0));
                queue.push_back((s, 0));
            }
        }
        while let Some((lot, depth)) = queue.pop_front() {
            let Some(node) = self.ix.lot_nodes.get(lot as usize) else { continue };
            let rows = if forward { &node.consumed_by } else { &node.produced_by };
            // Every edge found from here has `lot` at this end, so a repeat
            // can only be among the edges found from here.
            let first = out.edges.len();
            for (r, p) in self.productions(rows) {
                let next = if forward { self.outputs(p) } else { self.inputs(p) };
                for lq in next {
                    if lq.lot == lot {
                        continue;
                    }
                    let edge = if forward { (lot, lq.lot, r) } else { (lq.lot, lot, r) };
                    if !out.edges.get(first..).is_some_and(|new| new.contains(&edge)) {
                        out.edges.push(edge);
                    }
                    if seen.insert(lq.lot) {
                        out.lots.push((lq.lot, depth + 1));
                        queue.push_back((lq.lot, depth + 1));
                    }
                }
            }
        }
        out
    }

    /// Entries of `lot` (of the non-production, non-shipment kinds) of
    /// `kind`, in force.
    pub(crate) fn lot_events(&self, lot: u32, kind: RecordKind) -> impl Iterator<Item = u32> + 'a {
        let ix = self.ix;
        let k = u8::try_from(kind.number()).unwrap_or(u8::MAX);
        ix.lot_nodes
            .get(lot as usize)
            .map(|n| n.events.as_slice())
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(move |&e| ix.kind(e) == k && !ix.is_void(e))
    }

    /// The lot's current status: the last disposition in force.
    pub(crate) fn status(&self, lot: u32) -> Option<Disposition> {
        let e = self.lot_events(lot, RecordKind::DispositionSet).last()?;
        find_row(&self.ix.dispositions, |d| d.entry, e).map(|d| d.status)
    }

    /// The lot's expiry: from the last production in force that made it.
    pub(crate) fn expiry(&self, lot: u32) -> Option<Date> {
        let node = self.ix.lot_nodes.get(lot as usize)?;
        self.productions(&node.produced_by)
            .filter(|(_, p)| p.expiry != i32::MIN)
            .last()
            .map(|(_, p)| Date(p.expiry))
    }

    /// Shipment rows of `lot` in force.
    pub(crate) fn shipments(
        &self,
        lot: u32,
    ) -> impl Iterator<Item = &'a crate::index::ShipmentRow> + 'a {
        let ix = self.ix;
        ix.lot_nodes
            .get(lot as usize)
            .map(|n| n.shipments.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(move |s| !ix.is_void(s.entry))
    }
}

/// The row of entry `e` in `rows` (rows are in entry order).
pub(crate) fn find_row<T>(rows: &[T], entry: impl Fn(&T) -> u32, e: u32) -> Option<&T> {
    let i = rows.partition_point(|r| entry(r) < e);
    rows.get(i).filter(|r| entry(r) == e)
}

/// Lot numbers for `lots`, all of which must be known.
pub(crate) fn lot_numbers(view: &View<'_>, lots: &[LotId]) -> Result<Vec<u32>, QueryError> {
    lots.iter().map(|l| view.lot_no(l)).collect()
}

/// `value`'s JSON with the `unresolved` block added as the last member (when
/// `value` is a JSON object): what every query's JSON output carries, so a
/// reader sees that a ledger may be missing (docs/QUERIES.md).
///
/// # Errors
/// When `value` does not serialize.
pub fn json_with_unresolved<T: Serialize>(
    value: &T,
    unresolved: &crate::index::Unresolved,
) -> serde_json::Result<serde_json::Value> {
    let mut v = serde_json::to_value(value)?;
    if let serde_json::Value::Object(map) = &mut v {
        map.insert("unresolved".into(), serde_json::to_value(unresolved)?);
    }
    Ok(v)
}
