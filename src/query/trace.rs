//! Forward and backward traces: where a lot went, and what went into it.
//!
//! One step forward and one step back is what EU 178/2002 asks; a recall
//! needs every step, so both walks go to any depth.

use std::vec::Vec;

use serde::Serialize;

use super::{Closure, Decimal, LotRef, QueryError, ShipmentLine, View, find_row};
use crate::index::{Index, NONE, ShipmentRow};
use crate::model::{
    Date, Digest, Disposition, InspectionResult, InspectionStage, LedgerId, LotId, RecordKind,
    Timestamp,
};

/// A lot reached by a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TracedLot<'a> {
    /// The item.
    pub item: &'a str,
    /// The lot code.
    pub lot: &'a str,
    /// Production steps from the start lot (0 for the start lot itself).
    pub depth: u32,
    /// The current status: the last disposition in force, if any.
    pub status: Option<Disposition>,
    /// The expiry date, when a production record gave one.
    pub expiry: Option<Date>,
}

/// One input lot feeding one output lot in one production step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link<'a> {
    /// The input's item.
    pub from_item: &'a str,
    /// The input's lot code.
    pub from_lot: &'a str,
    /// The output's item.
    pub to_item: &'a str,
    /// The output's lot code.
    pub to_lot: &'a str,
    /// The work order.
    pub work_order: &'a str,
    /// The production line.
    pub line: &'a str,
    /// The production date.
    pub produced_on: Date,
    /// How much of the input was consumed.
    pub consumed: Decimal,
    /// Its unit.
    pub unit: &'a str,
    /// The production entry's ledger.
    pub ledger: LedgerId,
    /// The production entry's sequence number.
    pub seq: u64,
}

/// Where a lot went: every lot derived from it, every shipment of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForwardTrace<'a> {
    /// The start lot.
    pub start: LotRef,
    /// The start lot and every lot derived from it, nearest first.
    pub lots: Vec<TracedLot<'a>>,
    /// The production links walked.
    pub links: Vec<Link<'a>>,
    /// Every shipment of those lots, in ledger order.
    pub shipments: Vec<ShipmentLine<'a>>,
}

/// A receipt of a traced lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptLine<'a> {
    /// The item (material).
    pub item: &'a str,
    /// Our lot code.
    pub lot: &'a str,
    /// The supplier.
    pub supplier: &'a str,
    /// The supplier's name from master data; none without it.
    pub supplier_name: Option<&'a str>,
    /// The supplier's lot code, when recorded.
    pub supplier_lot: Option<&'a str>,
    /// How much was received.
    pub quantity: Decimal,
    /// The unit.
    pub unit: &'a str,
    /// The purchase order.
    pub order: Option<&'a str>,
    /// When it was recorded.
    pub received_at: Timestamp,
    /// The entry's ledger.
    pub ledger: LedgerId,
    /// The entry's sequence number.
    pub seq: u64,
}

/// An inspection of a traced lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectionLine<'a> {
    /// The item.
    pub item: &'a str,
    /// The lot code.
    pub lot: &'a str,
    /// Incoming, in-process or release.
    pub stage: InspectionStage,
    /// The result.
    pub result: InspectionResult,
    /// SHA-256 of the certificate of analysis or report.
    pub certificate: Option<Digest>,
    /// The report number.
    pub report: Option<&'a str>,
    /// When it was recorded.
    pub inspected_at: Timestamp,
    /// Who recorded it.
    pub actor: &'a str,
    /// The entry's ledger.
    pub ledger: LedgerId,
    /// The entry's sequence number.
    pub seq: u64,
}

/// What went into a lot: every input lot to any depth, with receipts from
/// suppliers and inspection results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackwardTrace<'a> {
    /// The start lot.
    pub start: LotRef,
    /// The start lot and every lot it was made from, nearest first.
    pub lots: Vec<TracedLot<'a>>,
    /// The production links walked.
    pub links: Vec<Link<'a>>,
    /// Receipts of any of those lots.
    pub receipts: Vec<ReceiptLine<'a>>,
    /// Inspections of any of those lots.
    pub inspections: Vec<InspectionLine<'a>>,
}

impl<'a> View<'a> {
    pub(crate) fn traced_lots(&self, closure: &Closure) -> Vec<TracedLot<'a>> {
        closure
            .lots
            .iter()
            .map(|&(l, depth)| {
                let (item, lot) = self.lot_names(l);
                TracedLot { item, lot, depth, status: self.status(l), expiry: self.expiry(l) }
            })
            .collect()
    }

    pub(crate) fn links(&self, closure: &Closure) -> Vec<Link<'a>> {
        let mut run = 0;
        closure
            .edges
            .iter()
            .filter_map(|&(from, to, r)| {
                let p = self.ix.productions.get(r as usize)?;
                let ((from_item, from_lot), (to_item, to_lot)) =
                    (self.lot_names(from), self.lot_names(to));
                let mut consumed = 0i128;
                let mut unit = NONE;
                for lq in self.inputs(p).iter().filter(|lq| lq.lot == from) {
                    consumed += lq.qty.normalized();
                    unit = lq.qty.unit;
                }
                let (ledger, seq) = self.seq_near(p.entry, &mut run);
                Some(Link {
                    from_item,
                    from_lot,
                    to_item,
                    to_lot,
                    work_order: self.text_str(p.work_order).unwrap_or_default(),
                    line: self.text_str(p.line).unwrap_or_default(),
                    produced_on: Date(p.produced_on),
                    consumed: Decimal(consumed),
                    unit: self.unit_code(unit),
                    ledger,
                    seq,
                })
            })
            .collect()
    }

    /// The shipment lines of `lots` in force, in entry order. Each lot
    /// keeps its shipments together and in entry order; they are gathered
    /// lot by lot and put in entry order by a radix sort on the entry
    /// number.
    pub(crate) fn shipment_lines(&self, lots: impl Iterator<Item = u32>) -> Vec<ShipmentLine<'a>> {
        // The (item, lot code) of each lot; each line's entry and its lot's
        // place in `names` (high and low 32 bits), and its row.
        let mut names: Vec<(&'a str, &'a str)> = Vec::new();
        let mut picked: Vec<(u64, &'a ShipmentRow)> = Vec::new();
        for l in lots {
            let at = names.len() as u64;
            names.push(self.lot_names(l));
            picked.extend(self.shipments(l).map(|s| ((u64::from(s.entry) << 32) | at, s)));
        }
        sort_by_entry(&mut picked);
        picked
            .iter()
            .map(|&(k, s)| {
                let at = usize::try_from(k & 0xffff_ffff).unwrap_or(usize::MAX);
                ShipmentLine::new(*self, names.get(at).copied().unwrap_or_default(), s)
            })
            .collect()
    }

    /// The ledger and sequence number of entry `e` (see [`Index::seq_near`]).
    fn seq_near(&self, e: u32, run: &mut usize) -> (LedgerId, u64) {
        self.ix.seq_near(e, run).unwrap_or_default()
    }
}

/// Sorts `items` by the high 32 bits of their keys (an entry number),
/// keeping the order of equal ones: a radix sort 11 bits at a time, over
/// as many digits as the largest entry number needs (two up to 4 million
/// entries). For the few thousand lines of a trace it takes about half
/// the time of a comparison sort.
fn sort_by_entry<T: Copy>(items: &mut Vec<(u64, T)>) {
    const BITS: u32 = 11;
    let digit = |k: u64, shift: u32| usize::try_from((k >> shift) & 0x7ff).unwrap_or(0);
    let Some(&first) = items.first() else { return };
    let max = items.iter().map(|&(k, _)| k >> 32).max().unwrap_or(0);
    let mut spare = std::vec![first; items.len()];
    let mut at = std::vec![0u32; 1 << BITS];
    let mut shift = 32;
    while shift < 64 && max >> (shift - 32) != 0 {
        at.fill(0);
        for &(k, _) in items.iter() {
            if let Some(n) = at.get_mut(digit(k, shift)) {
                *n += 1;
            }
        }
        let mut next = 0;
        for n in &mut at {
            (*n, next) = (next, next + *n);
        }
        for &item in items.iter() {
            if let Some(n) = at.get_mut(digit(item.0, shift)) {
                if let Some(slot) = spare.get_mut(*n as usize) {
                    *slot = item;
                }
                *n += 1;
            }
        }
        core::mem::swap(items, &mut spare);
        shift += BITS;
    }
}

/// Where `lot` went: every lot derived from it through any number of
/// production steps, every shipment of those lots (customer, location,
/// quantity, date), and the current status of each lot. The lines borrow
/// their texts from `index`.
///
/// # Errors
/// [`QueryError::UnknownLot`] when no record names the lot.
pub fn trace_forward<'a>(index: &'a Index, lot: &LotId) -> Result<ForwardTrace<'a>, QueryError> {
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
/// receipts and inspection results. The lines borrow their texts from
/// `index`.
///
/// # Errors
/// [`QueryError::UnknownLot`] when no record names the lot.
pub fn trace_backward<'a>(index: &'a Index, lot: &LotId) -> Result<BackwardTrace<'a>, QueryError> {
    let view = View::new(index);
    let start = view.lot_no(lot)?;
    let closure = view.closure(&[start], false);
    let mut receipts = Vec::new();
    let mut inspections = Vec::new();
    let mut run = 0;
    for &(l, _) in &closure.lots {
        let (item, lot) = view.lot_names(l);
        for e in view.lot_events(l, RecordKind::MaterialReceived) {
            let Some(row) = find_row(&index.receipts, |x| x.entry, e) else { continue };
            let (ledger, seq) = view.seq_near(e, &mut run);
            receipts.push(ReceiptLine {
                item,
                lot,
                supplier: view.party_name(row.supplier),
                supplier_name: view.party_title(row.supplier),
                supplier_lot: view.text_str(row.supplier_lot),
                quantity: Decimal(row.qty.normalized()),
                unit: view.unit_code(row.qty.unit),
                order: view.text_str(row.order),
                received_at: index.time(e),
                ledger,
                seq,
            });
        }
        for e in view.lot_events(l, RecordKind::Inspected) {
            let Some(row) = find_row(&index.inspections, |x| x.entry, e) else { continue };
            let (ledger, seq) = view.seq_near(e, &mut run);
            inspections.push(InspectionLine {
                item,
                lot,
                stage: row.stage,
                result: row.result,
                certificate: index.certificates.get(row.certificate as usize).copied(),
                report: view.text_str(row.report),
                inspected_at: index.time(e),
                actor: index.actor(e),
                ledger,
                seq,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_by_entry_orders_by_entry_and_keeps_ties_in_order() {
        // Entry numbers needing one, two and three 11-bit digits.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for max in [1_000u64, 3_000_000, u64::from(u32::MAX)] {
            let mut items: Vec<(u64, u32)> =
                (0..5_000u32).map(|i| (((next() % max) << 32) | u64::from(i % 7), i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|&(k, _)| k >> 32);
            sort_by_entry(&mut items);
            assert_eq!(items, expected, "entries below {max}");
        }
        let mut empty: Vec<(u64, u8)> = Vec::new();
        sort_by_entry(&mut empty);
        assert!(empty.is_empty());
    }
}
