//! Receipts by supplier and supplier lot on the hand-built plant of
//! `query_plant`: V-ACME delivered RM-A/A1 as its lot SA-77 (dock entry 0),
//! V-BETA delivered RM-B/B1 as SB-12 (dock entry 3). The receipts live in
//! the dock ledger while the lots' productions are in the line ledger: the
//! lot of each receipt is found across ledgers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod query_plant;

use lotledger::query::{self, QueryError, ReceiptFilter};
use query_plant::*;

fn by_lot(code: &str) -> ReceiptFilter {
    ReceiptFilter { supplier: None, supplier_lot: Some(code.into()) }
}

// Guards the QUERIES.md example: SB-12 is V-BETA's receipt of B1, dock
// entry 3, 50 KGM on PO-2, at hour 3.
#[test]
fn a_supplier_lot_names_its_receipt_and_our_lot() {
    let p = standard();
    let ix = p.index();
    let rows = query::receipts(&ix, &by_lot("SB-12"));
    assert_eq!(rows.len(), 1);
    let r = &rows[0].receipt;
    assert_eq!(
        (r.item, r.lot, r.supplier, r.supplier_lot),
        ("RM-B", "B1", "V-BETA", Some("SB-12"))
    );
    assert_eq!((r.quantity.to_string().as_str(), r.unit, r.order), ("50", "KGM", Some("PO-2")));
    assert_eq!((r.ledger, r.seq, r.received_at, rows[0].void), (p.id(DOCK), 3, t(3), false));
    let json = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(json["lot"], "B1");
    assert_eq!(json["void"], false);
    assert_eq!(json["received_at"], "2026-03-02T03:00:00.000Z");

    assert_eq!(query::received_lots(&ix, &by_lot("SB-12")).unwrap(), [lot("RM-B", "B1")]);
    // By supplier alone; both filters must match.
    let acme = ReceiptFilter { supplier: Some(party("V-ACME")), supplier_lot: None };
    let rows = query::receipts(&ix, &acme);
    assert_eq!(
        rows.iter().map(|r| (r.receipt.lot, r.receipt.seq)).collect::<Vec<_>>(),
        [("A1", 0)]
    );
    let mismatch =
        ReceiptFilter { supplier: Some(party("V-ACME")), supplier_lot: Some("SB-12".into()) };
    assert!(query::receipts(&ix, &mismatch).is_empty());
    assert_eq!(
        query::received_lots(&ix, &mismatch),
        Err(QueryError::NoReceipt("supplier lot SB-12 from V-ACME".into()))
    );
    // A supplier no record names matches nothing (and is no error here).
    let nobody = ReceiptFilter { supplier: Some(party("V-NOBODY")), supplier_lot: None };
    assert!(query::receipts(&ix, &nobody).is_empty());
    // With no filter: every receipt, in ledger order.
    let all = query::receipts(&ix, &ReceiptFilter::default());
    assert_eq!(all.iter().map(|r| r.receipt.lot).collect::<Vec<_>>(), ["A1", "B1"]);
}

// Guards the near matches: a typo in a supplier lot or supplier is
// answered with what the receipts record, never with the text typed.
#[test]
fn near_supplier_lots_and_suppliers() {
    let ix = standard().index();
    assert_eq!(query::near_supplier_lots(&ix, "SB-13"), ["SB-12"]);
    assert_eq!(query::near_supplier_lots(&ix, "sa-77"), ["SA-77"]);
    assert!(query::near_supplier_lots(&ix, "SB-12").is_empty());
    assert!(query::near_supplier_lots(&ix, "ZZZZZ").is_empty());
    assert_eq!(query::near_suppliers(&ix, "V-BETTA"), ["V-BETA"]);
}

// Guards corrections: a voided receipt is listed and marked, but is no
// starting point; a later receipt of the same supplier lot in force is.
#[test]
fn a_voided_receipt_is_marked_and_no_starting_point() {
    let mut p = standard();
    p.receive(30, &lot("RM-C", "C1"), kg(5), "V-GAMMA", "SG-1", "PO-9");
    let head = p.ledgers[DOCK].1.head();
    let target = lotledger::model::EntryRef { seq: head.next_seq - 1, hash: head.head };
    p.correct(DOCK, 31, target, "keyed for the wrong supplier");
    let ix = p.index();
    let rows = query::receipts(&ix, &by_lot("SG-1"));
    assert_eq!(rows.len(), 1);
    assert!(rows[0].void);
    assert_eq!(rows[0].receipt.lot, "C1");
    assert_eq!(
        query::received_lots(&ix, &by_lot("SG-1")),
        Err(QueryError::OnlyVoidedReceipts("supplier lot SG-1".into()))
    );
    let mut p2 = p;
    p2.receive(32, &lot("RM-C", "C2"), kg(5), "V-GAMMA", "SG-1", "PO-10");
    let ix = p2.index();
    assert_eq!(query::received_lots(&ix, &by_lot("SG-1")).unwrap(), [lot("RM-C", "C2")]);
}
