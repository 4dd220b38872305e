//! Forward and backward traces: where a lot went, and what went into it.
//!
//! One step forward and one step back is what EU 178/2002 asks; a recall
//! needs every step, so both walks go to any depth.

use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::{Closure, Decimal, LotRef, QueryError, View, find_row};
use crate::index::{Index, NONE};
use crate::model::{
    Date, Digest, Disposition, InspectionResult, InspectionStage, LedgerId, LotId, RecordKind,
    Timestamp,
};

/// A lot reached by a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TracedLot {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Production steps from the start lot (0 for the start lot itself).
    pub depth: u32,
    /// The current status: the last disposition in force, if any.
    pub status: Option<Disposition>,
    /// The expiry date, when a production record gave one.
    pub expiry: Option<Date>,
}

/// One input lot feeding one output lot in one production step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The input's item.
    pub from_item: String,
    /// The input's lot code.
    pub from_lot: String,
    /// The output's item.
    pub to_item: String,
    /// The output's lot code.
    pub to_lot: String,
    /// The work order.
    pub work_order: String,
    /// The production line.
    pub line: String,
    /// The production date.
    pub produced_on: Date,
    /// How much of the input was consumed.
    pub consumed: Decimal,
    /// Its unit.
    pub unit: String,
    /// The production entry's ledger.
    pub ledger: LedgerId,
    /// The production entry's sequence number.
    pub seq: u64,
}

/// A shipment line of a traced lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShipmentLine {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// The customer.
    pub customer: String,
    /// The ship-to location; none means the customer's main address.
    pub ship_to: Option<String>,
    /// How much.
    pub quantity: Decimal,
    /// The unit.
    pub unit: String,
    /// When it was recorded as shipped.
    pub shipped_at: Timestamp,
    /// The sales order or invoice.
    pub order: String,
    /// The entry's ledger.
    pub ledger: LedgerId,
    /// The entry's sequence number.
    pub seq: u64,
}

/// Where a lot went: every lot derived from it, every shipment of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForwardTrace {
    /// The start lot.
    pub start: LotRef,
    /// The start lot and every lot derived from it, nearest first.
    pub lots: Vec<TracedLot>,
    /// The production links walked.
    pub links: Vec<Link>,
    /// Every shipment of those lots, in ledger order.
    pub shipments: Vec<ShipmentLine>,
}

/// A receipt of a traced lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptLine {
    /// The item (material).
    pub item: String,
    /// Our lot code.
    pub lot: String,
    /// The supplier.
    pub supplier: String,
    /// The supplier's lot code, when recorded.
    pub supplier_lot: Option<String>,
    /// How much was received.
    pub quantity: Decimal,
    /// The unit.
    pub unit: String,
    /// The purchase order.
    pub order: Option<String>,
    /// When it was recorded.
    pub received_at: Timestamp,
    /// The entry's ledger.
    pub ledger: LedgerId,
    /// The entry's sequence number.
    pub seq: u64,
}

/// An inspection of a traced lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectionLine {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Incoming, in-process or release.
    pub stage: InspectionStage,
    /// The result.
    pub result: InspectionResult,
    /// SHA-256 of the certificate of analysis or report.
    pub certificate: Option<Digest>,
    /// The report number.
    pub report: Option<String>,
    /// When it was recorded.
    pub inspected_at: Timestamp,
    /// Who recorded it.
    pub actor: String,
    /// The entry's ledger.
    pub ledger: LedgerId,
    /// The entry's sequence number.
    pub seq: u64,
}

/// What went into a lot: every input lot to any depth, with receipts from
/// suppliers and inspection results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackwardTrace {
    /// The start lot.
    pub start: LotRef,
    /// The start lot and every lot it was made from, nearest first.
    pub lots: Vec<TracedLot>,
    /// The production links walked.
    pub links: Vec<Link>,
    /// Receipts of any of those lots.
    pub receipts: Vec<ReceiptLine>,
    /// Inspections of any of those lots.
    pub inspections: Vec<InspectionLine>,
}

impl View<'_> {
    pub(crate) fn traced_lots(&self, closure: &Closure) -> Vec<TracedLot> {
        closure
            .lots
            .iter()
            .map(|&(l, depth)| {
                let r = self.lot_ref(l);
                TracedLot {
                    item: r.item,
                    lot: r.lot,
                    depth,
                    status: self.status(l),
                    expiry: self.expiry(l),
                }
            })
            .collect()
    }

    pub(crate) fn links(&self, closure: &Closure) -> Vec<Link> {
        closure
            .edges
            .iter()
            .filter_map(|&(from, to, r)| {
                let p = self.ix.productions.get(r as usize)?;
                let (f, t) = (self.lot_ref(from), self.lot_ref(to));
                let mut consumed = 0i128;
                let mut unit = NONE;
                for lq in self.inputs(p).iter().filter(|lq| lq.lot == from) {
                    consumed += lq.qty.normalized();
                    unit = lq.qty.unit;
                }
                let place = self.place(p.entry);
                Some(Link {
                    from_item: f.item,
                    from_lot: f.lot,
                    to_item: t.item,
                    to_lot: t.lot,
                    work_order: self.text(p.work_order).unwrap_or_default(),
                    line: self.text(p.line).unwrap_or_default(),
                    produced_on: Date(p.produced_on),
                    consumed: Decimal(consumed),
                    unit: self.unit(unit),
                    ledger: place.ledger,
                    seq: place.seq,
                })
            })
            .collect()
    }

    pub(crate) fn shipment_lines(&self, lots: impl Iterator<Item = u32>) -> Vec<ShipmentLine> {
        let mut rows: Vec<_> = lots.flat_map(|l| self.shipments(l)).collect();
        rows.sort_by_key(|s| s.entry);
        rows.iter()
            .map(|s| {
                let r = self.lot_ref(s.lot);
                let place = self.place(s.entry);
                ShipmentLine {
                    item: r.item,
                    lot: r.lot,
                    customer: self.party(s.customer),
                    ship_to: self.location(s.ship_to),
                    quantity: Decimal(s.qty().normalized()),
                    unit: self.unit(s.unit),
                    shipped_at: self.ix.time(s.entry),
                    order: self.text(s.order).unwrap_or_default(),
                    ledger: place.ledger,
                    seq: place.seq,
                }
            })
            .collect()
    }
}

/// Where `lot` went: every lot derived from it through any number of
/// production steps, every shipment of those lots (customer, location,
/// quantity, date), and the current status of each lot.
///
/// # Errors
/// [`QueryError::UnknownLot`] when no record names the lot.
pub fn trace_forward(index: &Index, lot: &LotId) -> Result<ForwardTrace, QueryError> {
    let view = View::new(index);
    let start = view.lot_no(lot)?;
    let closure = view.closure(&[start], true);
    Ok(ForwardTrace {
        start: view.lot_ref(start),
        lots: view.traced_lots(&closure),
        links: view.links(&closure),
        shipments: view.shipment_lines(closure.lots.iter().map(|&(l, _)| l)),
    })
}

/// What went into `lot`: every input lot to any depth, with suppliers,
/// receipts and inspection results.
///
/// # Errors
/// [`QueryError::UnknownLot`] when no record names the lot.
pub fn trace_backward(index: &Index, lot: &LotId) -> Result<BackwardTrace, QueryError> {
    let view = View::new(index);
    let start = view.lot_no(lot)?;
    let closure = view.closure(&[start], false);
    let mut receipts = Vec::new();
    let mut inspections = Vec::new();
    for &(l, _) in &closure.lots {
        let r = view.lot_ref(l);
        for e in view.lot_events(l, RecordKind::MaterialReceived) {
            let Some(row) = find_row(&index.receipts, |x| x.entry, e) else { continue };
            let place = view.place(e);
            receipts.push(ReceiptLine {
                item: r.item.clone(),
                lot: r.lot.clone(),
                supplier: view.party(row.supplier),
                supplier_lot: view.text(row.supplier_lot),
                quantity: super::Decimal(row.qty.normalized()),
                unit: view.unit(row.qty.unit),
                order: view.text(row.order),
                received_at: index.time(e),
                ledger: place.ledger,
                seq: place.seq,
            });
        }
        for e in view.lot_events(l, RecordKind::Inspected) {
            let Some(row) = find_row(&index.inspections, |x| x.entry, e) else { continue };
            let place = view.place(e);
            inspections.push(InspectionLine {
                item: r.item.clone(),
                lot: r.lot.clone(),
                stage: row.stage,
                result: row.result,
                certificate: index.certificates.get(row.certificate as usize).copied(),
                report: view.text(row.report),
                inspected_at: index.time(e),
                actor: index.actor(e).into(),
                ledger: place.ledger,
                seq: place.seq,
            });
        }
    }
    Ok(BackwardTrace {
        start: view.lot_ref(start),
        lots: view.traced_lots(&closure),
        links: view.links(&closure),
        receipts,
        inspections,
    })
}
