//! The compact rows the index keeps per event: identities as interned
//! `u32`s, quantities as they were recorded, and the entry number that lets
//! the full record be read again from its ledger. Nothing decoded is kept
//! whole.

use std::string::String;
use std::vec::Vec;

use crate::model::{
    ComplaintStep, ComplaintType, Digest, Disposition, InspectionResult, InspectionStage, Personal,
    RecallClass, Remedy, RootCause, Severity,
};

/// "None" for an interned id or a row number.
pub(crate) const NONE: u32 = u32::MAX;

/// A quantity as recorded, its unit interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Qty {
    pub amount: u64,
    pub unit: u32,
    pub scale: u8,
}

impl Qty {
    /// The amount at scale 9, for exact sums.
    pub(crate) fn normalized(self) -> i128 {
        const POW10: [i128; 10] =
            [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];
        let shift = usize::from(9u8.saturating_sub(self.scale));
        i128::from(self.amount) * POW10.get(shift).copied().unwrap_or(1)
    }
}

/// What the index knows of one lot: its item and its edges.
#[derive(Clone, Debug, Default)]
pub(crate) struct LotNode {
    /// Production rows that list this lot as an output.
    pub produced_by: Vec<u32>,
    /// Production rows that list this lot as an input.
    pub consumed_by: Vec<u32>,
    /// Shipment lines of this lot, in entry order. They are kept here
    /// rather than in one list for all lots so that a trace reads each
    /// lot's shipments as one contiguous run.
    pub shipments: Vec<ShipmentRow>,
    /// Entries of every other kind that name this lot.
    pub events: Vec<u32>,
}

/// A delivery confirmation: the customer confirmed receiving an order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeliveryRow {
    pub entry: u32,
    pub customer: u32,
    /// The order number, in the text buffer.
    pub order: u32,
}

/// A raw material receipt.
#[derive(Clone, Debug)]
pub(crate) struct ReceiptRow {
    pub entry: u32,
    pub supplier: u32,
    pub supplier_lot: u32,
    pub order: u32,
    pub qty: Qty,
}

/// An inspection.
#[derive(Clone, Debug)]
pub(crate) struct InspectionRow {
    pub entry: u32,
    pub stage: InspectionStage,
    pub result: InspectionResult,
    /// Index into the certificate digests, or [`NONE`].
    pub certificate: u32,
    /// Text arena offset of the report number, or [`NONE`].
    pub report: u32,
}

/// A production step; inputs and outputs live in the shared lot-quantity list.
#[derive(Clone, Debug)]
pub(crate) struct ProductionRow {
    pub entry: u32,
    /// Text arena offset of the work order.
    pub work_order: u32,
    /// Text arena offset of the line.
    pub line: u32,
    pub produced_on: i32,
    /// Expiry day, or `i32::MIN` when none.
    pub expiry: i32,
    pub inputs_start: u32,
    pub inputs_len: u8,
    pub outputs_len: u8,
}

/// One lot and quantity of a production's inputs or outputs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LotQty {
    pub lot: u32,
    pub qty: Qty,
}

/// A disposition decision.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DispositionRow {
    pub entry: u32,
    pub status: Disposition,
}

/// A shipment line, kept with its lot (see [`LotNode::shipments`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShipmentRow {
    pub amount: u64,
    /// The entry's time (also in the entry columns; kept here so a trace
    /// need not look it up there).
    pub time: i64,
    pub entry: u32,
    pub customer: u32,
    pub ship_to: u32,
    /// Text arena offset of the order.
    pub order: u32,
    pub unit: u32,
    pub scale: u8,
}

impl ShipmentRow {
    pub(crate) fn qty(&self) -> Qty {
        Qty { amount: self.amount, unit: self.unit, scale: self.scale }
    }
}

/// Goods returned.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReturnRow {
    pub entry: u32,
    pub from: u32,
    pub qty: Qty,
}

/// Goods destroyed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DestructionRow {
    pub entry: u32,
    pub qty: Qty,
}

/// A registered complaint and the rows of its steps.
#[derive(Clone, Debug)]
pub(crate) struct ComplaintRow {
    pub entry: u32,
    pub number: u32,
    pub received_at: i64,
    pub severity: Severity,
    pub kind: ComplaintType,
    pub customer: u32,
    pub lot: u32,
    /// Text arena offset of the product name as given.
    pub product: u32,
    /// The complainant's name.
    pub person: PersonalCell,
    /// The complainant's contact.
    pub contact: PersonalCell,
}

/// A personal field as the index keeps it: a plain value in the text
/// arena, or the commitment (resolved against the personal-data store only
/// when it is shown, never here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PersonalCell {
    /// Text arena offset of the plain value (empty when not filled in).
    Plain(u32),
    /// The commitment.
    Sealed(Digest),
}

impl PersonalCell {
    /// The field as a [`Personal`] again; `text` reads the arena.
    pub(crate) fn to_personal<const N: usize>(self, text: &str) -> Personal<N> {
        match self {
            // The arena holds what a `Personal<N>` held, so it fits.
            Self::Plain(_) => Personal::plain(text).unwrap_or_default(),
            Self::Sealed(c) => Personal::Sealed(c),
        }
    }
}

/// What a complaint step was, without its free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepKind {
    Acknowledged,
    Reclassified(Severity, ComplaintType),
    Investigated(Option<RootCause>),
    Planned,
    Resolved(Remedy),
    CustomerResponse(bool),
    FollowedUp(u8),
    Closed,
    Archived,
}

impl StepKind {
    pub(crate) fn of(step: &ComplaintStep) -> Self {
        match step {
            ComplaintStep::Acknowledged => Self::Acknowledged,
            ComplaintStep::Reclassified { severity, kind } => Self::Reclassified(*severity, *kind),
            ComplaintStep::Investigated { root_cause, .. } => Self::Investigated(*root_cause),
            ComplaintStep::Planned { .. } => Self::Planned,
            ComplaintStep::Resolved { remedy, .. } => Self::Resolved(*remedy),
            ComplaintStep::CustomerResponse { accepted, .. } => Self::CustomerResponse(*accepted),
            ComplaintStep::FollowedUp { satisfaction, .. } => Self::FollowedUp(*satisfaction),
            ComplaintStep::Closed => Self::Closed,
            ComplaintStep::Archived => Self::Archived,
        }
    }
}

/// A complaint step.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepRow {
    pub entry: u32,
    pub step: StepKind,
}

/// An opened recall and its actions.
#[derive(Clone, Debug)]
pub(crate) struct RecallRow {
    pub entry: u32,
    pub number: u32,
    pub class: RecallClass,
    pub lots: Vec<u32>,
    /// Text arena offset of the reason given, or [`NONE`] when empty.
    pub reason: u32,
}

/// A recall action.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ActionKind {
    Notified { customer: u32 },
    Retrieved { customer: u32, lot: u32, qty: Qty },
    Closed,
}

/// A recall action row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ActionRow {
    pub entry: u32,
    pub action: ActionKind,
}

/// What became of a correction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CorrectionStatus {
    /// The target matched by sequence number and hash: it is void.
    Applied,
    /// The target's hash is not the one named: flagged, not applied.
    HashMismatch,
    /// No such earlier entry in this ledger: flagged, not applied.
    UnknownTarget,
}

/// A correction.
#[derive(Clone, Debug)]
pub(crate) struct CorrectionRow {
    pub entry: u32,
    /// The target entry, or [`NONE`] when unknown.
    pub target: u32,
    pub target_seq: u64,
    pub status: CorrectionStatus,
    pub reason: String,
    pub replacements: Vec<u64>,
}
