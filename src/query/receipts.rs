//! Receipts by supplier and by supplier lot: where a recall starts when the
//! supplier writes "our lot S-4711 is contaminated". The receipts are few
//! (one per delivery), so they are scanned; the lot each receipt names is
//! found in one pass over the lots' event lists, only for the receipts that
//! match.

use std::collections::BTreeSet;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use serde::Serialize;

use super::suggest::{distance, nearest, tolerance};
use super::{Decimal, QueryError, ReceiptLine, View};
use crate::index::{Index, ReceiptRow};
use crate::model::{LotId, PartyId, RecordKind};

/// Which receipts to find; every field given must match (exactly, as
/// recorded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptFilter {
    /// Only receipts from this supplier.
    pub supplier: Option<PartyId>,
    /// Only receipts of this supplier lot code.
    pub supplier_lot: Option<String>,
}

impl ReceiptFilter {
    /// What the filter asks for, in words: `supplier lot S-4711 from
    /// V-ACME`, `supplier lot S-4711`, `supplier V-ACME`, or `any receipt`.
    #[must_use]
    pub fn describe(&self) -> String {
        let supplier = self.supplier.as_ref().map(ToString::to_string);
        match (&self.supplier_lot, supplier) {
            (Some(l), Some(s)) => format!("supplier lot {l} from {s}"),
            (Some(l), None) => format!("supplier lot {l}"),
            (None, Some(s)) => format!("supplier {s}"),
            (None, None) => "any receipt".into(),
        }
    }
}

/// A receipt that matched: the receipt as a backward trace shows it (our
/// lot, supplier, supplier lot, quantity, order, time, entry), and whether
/// it is voided. It serializes as one flat object: the receipt's fields,
/// then `void`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptMatch<'a> {
    /// The receipt.
    #[serde(flatten)]
    pub receipt: ReceiptLine<'a>,
    /// Whether a correction in force voids this receipt. A voided receipt
    /// is listed (marked) but is no starting point for a trace or recall.
    pub void: bool,
}

/// The entry numbers of the receipts matching `filter`, in entry order,
/// with their rows.
fn matching<'a>(index: &'a Index, filter: &ReceiptFilter) -> Vec<&'a ReceiptRow> {
    let view = View::new(index);
    let supplier = match &filter.supplier {
        Some(p) => match index.parties.get(p) {
            Some(n) => Some(n),
            None => return Vec::new(),
        },
        None => None,
    };
    index
        .receipts
        .iter()
        .filter(|r| supplier.is_none_or(|s| r.supplier == s))
        .filter(|r| {
            filter.supplier_lot.as_deref().is_none_or(|l| view.text_str(r.supplier_lot) == Some(l))
        })
        .collect()
}

/// The lot number each of `entries` (receipt entries, in entry order)
/// received, [`None`] where no lot lists it: one pass over the lots' event
/// lists, looking up only the receipt entries.
fn lots_of(index: &Index, entries: &[u32]) -> Vec<Option<u32>> {
    let mut lots = std::vec![None; entries.len()];
    if entries.is_empty() {
        return lots;
    }
    let kind = u8::try_from(RecordKind::MaterialReceived.number()).unwrap_or(u8::MAX);
    for (l, node) in index.lot_nodes.iter().enumerate() {
        for &e in &node.events {
            if index.kind(e) != kind {
                continue;
            }
            if let Ok(i) = entries.binary_search(&e)
                && let Some(slot) = lots.get_mut(i)
            {
                *slot = u32::try_from(l).ok();
            }
        }
    }
    lots
}

/// The receipts matching `filter`, in ledger order (voided ones included
/// and marked). The texts are borrowed from `index`.
#[must_use]
pub fn receipts<'a>(index: &'a Index, filter: &ReceiptFilter) -> Vec<ReceiptMatch<'a>> {
    let view = View::new(index);
    let rows = matching(index, filter);
    let entries: Vec<u32> = rows.iter().map(|r| r.entry).collect();
    let lots = lots_of(index, &entries);
    let mut run = 0;
    rows.iter()
        .zip(lots)
        .map(|(r, lot)| {
            let (item, lot) = lot.map_or(("", ""), |l| view.lot_names(l));
            let (ledger, seq) = index.seq_near(r.entry, &mut run).unwrap_or_default();
            ReceiptMatch {
                receipt: ReceiptLine {
                    item,
                    lot,
                    supplier: view.party_name(r.supplier),
                    supplier_name: view.party_title(r.supplier),
                    supplier_lot: view.text_str(r.supplier_lot),
                    quantity: Decimal(r.qty.normalized()),
                    unit: view.unit_code(r.qty.unit),
                    order: view.text_str(r.order),
                    received_at: index.time(r.entry),
                    ledger,
                    seq,
                },
                void: index.is_void(r.entry),
            }
        })
        .collect()
}

/// Our lots that receipts in force matching `filter` received, each once,
/// in the order of their first receipt: the starting points of a trace or
/// a recall that begins with a supplier's lot.
///
/// # Errors
/// [`QueryError::NoReceipt`] when no receipt matches;
/// [`QueryError::OnlyVoidedReceipts`] when every one that matches is voided
/// by a correction in force.
pub fn received_lots(index: &Index, filter: &ReceiptFilter) -> Result<Vec<LotId>, QueryError> {
    let rows = matching(index, filter);
    if rows.is_empty() {
        return Err(QueryError::NoReceipt(filter.describe()));
    }
    let live: Vec<u32> = rows.iter().map(|r| r.entry).filter(|&e| !index.is_void(e)).collect();
    if live.is_empty() {
        return Err(QueryError::OnlyVoidedReceipts(filter.describe()));
    }
    let mut out: Vec<LotId> = Vec::new();
    for l in lots_of(index, &live).into_iter().flatten() {
        if let Some(lot) = index.lots.value(l)
            && !out.contains(lot)
        {
            out.push(lot.clone());
        }
    }
    Ok(out)
}

/// Supplier lot codes the receipts record near `code` (one edit, two from
/// eight characters on; case ignored), at most [`SUGGESTIONS`](super::SUGGESTIONS).
#[must_use]
pub fn near_supplier_lots(index: &Index, code: &str) -> Vec<String> {
    let view = View::new(index);
    near_texts(code, index.receipts.iter().filter_map(|r| view.text_str(r.supplier_lot)))
}

/// Suppliers the receipts record near `supplier` (its text: `gln:…` or the
/// internal code), at most [`SUGGESTIONS`](super::SUGGESTIONS).
#[must_use]
pub fn near_suppliers(index: &Index, supplier: &str) -> Vec<String> {
    let view = View::new(index);
    near_texts(supplier, index.receipts.iter().map(|r| view.party_name(r.supplier)))
}

fn near_texts<'a>(typed: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let max = tolerance(typed);
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut found = Vec::new();
    for k in known {
        if k == typed || !seen.insert(k) {
            continue;
        }
        if let Some(d) = distance(typed, k, max) {
            found.push((d, k.to_string()));
        }
    }
    nearest(found)
}
