//! Forward and backward traces on the hand-built plant of `query_plant`
//! (three ledgers: identities join across them). Expected answers are
//! worked out by hand in the comments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::model::{Disposition, InspectionResult, InspectionStage};
use lotledger::query::{self, QueryError};
use query_plant::*;

fn names(lots: &[query::TracedLot]) -> Vec<(String, u32)> {
    lots.iter().map(|l| (l.lot.to_owned(), l.depth)).collect()
}

#[test]
fn forward_from_a_raw_lot() {
    let p = standard();
    let ix = p.index();
    let f = query::trace_forward(&ix, &lot("RM-A", "A1")).unwrap();
    // A1 feeds WO-1 (-> M1) and WO-2 (-> F1) directly; M1 feeds WO-2 (F1,
    // already reached) and WO-3 (-> F2). F3 is made from B1 only.
    assert_eq!(
        names(&f.lots),
        [("A1".into(), 0), ("M1".into(), 1), ("F1".into(), 1), ("F2".into(), 2)]
    );
    let status: Vec<_> = f.lots.iter().map(|l| l.status).collect();
    assert_eq!(
        status,
        [Some(Disposition::Released), None, Some(Disposition::Released), Some(Disposition::OnHold)]
    );
    assert_eq!(f.lots[2].expiry, Some(date(2027, 1, 31)));
    assert_eq!(f.lots[2].item, FG);
    let links: Vec<_> = f
        .links
        .iter()
        .map(|l| (l.from_lot, l.to_lot, l.work_order, l.consumed.to_string()))
        .collect();
    assert_eq!(
        links,
        [
            ("A1", "M1", "WO-1", "40".into()),
            ("A1", "F1", "WO-2", "10".into()),
            ("M1", "F1", "WO-2", "20".into()),
            ("M1", "F2", "WO-3", "30".into())
        ]
    );
    // Shipments of A1, M1, F1, F2 in force, in ledger order; the 999 of F2
    // to C-3 was voided by a correction, F3's shipment is out of scope.
    let ships: Vec<_> = f
        .shipments
        .iter()
        .map(|s| {
            (
                s.lot(),
                s.customer(),
                s.ship_to(),
                s.quantity().to_string(),
                s.unit(),
                s.order(),
                s.shipped_at(),
            )
        })
        .collect();
    assert_eq!(
        ships,
        [
            ("F1", "C-1", Some("LOC-1"), "300".into(), "H87", "SO-1", t(30)),
            ("F1", "C-2", None, "200".into(), "H87", "SO-2", t(31)),
            ("F2", "C-1", None, "100".into(), "H87", "SO-3", t(32)),
        ]
    );
    // The first shipment is entry 0 of the sales ledger.
    assert_eq!((f.shipments[0].ledger(), f.shipments[0].seq()), (p.id(SALES), 0));
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["shipments"][0]["quantity"], "300");
    assert_eq!(json["lots"][3]["status"], "on_hold");
}

#[test]
fn backward_from_a_finished_lot() {
    let p = standard();
    let ix = p.index();
    let b = query::trace_backward(&ix, &fg("F1")).unwrap();
    // F1 <- WO-2 <- {M1, A1}; M1 <- WO-1 <- {A1 (reached), B1}.
    assert_eq!(
        names(&b.lots),
        [("F1".into(), 0), ("M1".into(), 1), ("A1".into(), 1), ("B1".into(), 2)]
    );
    let receipts: Vec<_> = b
        .receipts
        .iter()
        .map(|r| {
            (
                r.lot,
                r.supplier,
                r.supplier_lot,
                r.quantity.to_string(),
                r.unit,
                r.order,
                r.received_at,
            )
        })
        .collect();
    assert_eq!(
        receipts,
        [
            ("A1", "V-ACME", Some("SA-77"), "100".into(), "KGM", Some("PO-1"), t(0)),
            ("B1", "V-BETA", Some("SB-12"), "50".into(), "KGM", Some("PO-2"), t(3)),
        ]
    );
    let inspections: Vec<_> =
        b.inspections.iter().map(|i| (i.lot, i.stage, i.result, i.inspected_at)).collect();
    assert_eq!(
        inspections,
        [
            ("F1", InspectionStage::Release, InspectionResult::Accepted, t(23)),
            ("M1", InspectionStage::InProcess, InspectionResult::Accepted, t(11)),
            ("A1", InspectionStage::Incoming, InspectionResult::Accepted, t(1)),
            ("B1", InspectionStage::Incoming, InspectionResult::Conditional, t(4)),
        ]
    );
    assert_eq!(b.inspections[0].report, Some("REP-F1"));
    assert_eq!(b.inspections[0].actor, "a.novak");
    // F3 was made from B1 alone.
    let b3 = query::trace_backward(&ix, &fg("F3")).unwrap();
    assert_eq!(names(&b3.lots), [("F3".into(), 0), ("B1".into(), 1)]);
}

#[test]
fn every_forward_lot_traces_back_to_the_start() {
    let ix = standard().index();
    for start in [lot("RM-A", "A1"), lot("RM-B", "B1"), lot("IM-M", "M1")] {
        for l in query::trace_forward(&ix, &start).unwrap().lots {
            let this = if l.item == FG { fg(l.lot) } else { lot(l.item, l.lot) };
            let back = query::trace_backward(&ix, &this).unwrap();
            assert!(
                back.lots.iter().any(|b| b.lot == start.lot.as_str()),
                "{} from {}",
                l.lot,
                start
            );
        }
    }
}

#[test]
fn a_voided_production_cuts_the_trace() {
    let mut p = standard();
    // WO-3 (M1 -> F2) is production entry 3 of the line ledger (WO-1, the
    // M1 inspection, WO-2, then WO-3).
    let ix = p.index();
    let head = ix.head(&p.id(LINE)).unwrap();
    assert_eq!(head.next_seq, 10);
    let bytes = p.bytes(LINE).to_vec();
    let entries: Vec<_> =
        lotledger::chain::Verifier::new(&bytes, lotledger::chain::Anchor::genesis(&p.id(LINE)))
            .collect::<Result<_, _>>()
            .unwrap();
    let wo3 = &entries[3];
    assert!(
        matches!(wo3.record().unwrap(), lotledger::model::Record::Produced(ref x) if x.work_order.as_str() == "WO-3")
    );
    p.correct(
        LINE,
        60,
        lotledger::model::EntryRef { seq: 3, hash: wo3.hash },
        "wrong batch record",
    );
    let ix = p.index();
    let f = query::trace_forward(&ix, &lot("RM-A", "A1")).unwrap();
    assert_eq!(names(&f.lots), [("A1".into(), 0), ("M1".into(), 1), ("F1".into(), 1)]);
    assert_eq!(f.shipments.len(), 2);
}

#[test]
fn unknown_lot_is_an_error() {
    let ix = standard().index();
    let err = query::trace_forward(&ix, &lot("RM-Z", "Z9")).unwrap_err();
    assert_eq!(err, QueryError::UnknownLot(lot("RM-Z", "Z9")));
    assert_eq!(err.to_string(), "lot RM-Z/Z9 is not in any indexed record");
}

#[test]
fn a_shipment_line_serializes_as_its_fields_in_order() {
    let p = standard();
    let ix = p.index();
    let f = query::trace_forward(&ix, &lot("RM-A", "A1")).unwrap();
    let s = f.shipments[0];
    let expected = format!(
        r#"{{"item":"{FG}","lot":"F1","customer":"C-1","customer_name":null,"ship_to":"LOC-1","quantity":"300","unit":"H87","shipped_at":{},"order":"SO-1","ledger":"{}","seq":0}}"#,
        serde_json::to_string(&s.shipped_at()).unwrap(),
        p.id(SALES)
    );
    assert_eq!(serde_json::to_string(&s).unwrap(), expected);
    assert_eq!(s, s.clone());
    assert_ne!(f.shipments[0], f.shipments[1]);
    assert!(format!("{s:?}").contains(r#"order: "SO-1""#));
}

/// The forward trace's shipments are exactly the shipment records of the
/// traced lots, in ledger order, found here by decoding every record.
#[test]
fn forward_shipments_match_a_scan_of_the_ledger() {
    let (id, bytes) = lotledger::demo::ledger(30_000);
    let ix = lotledger::index::Index::from_ledgers([(id, bytes.as_slice())]).unwrap();
    let records: Vec<(u64, lotledger::model::Record)> =
        lotledger::chain::Verifier::new(&bytes, lotledger::chain::Anchor::genesis(&id))
            .map(|v| {
                let v = v.unwrap();
                (v.header.seq, v.record().unwrap())
            })
            .collect();
    let corrected: Vec<u64> = records
        .iter()
        .filter_map(|(_, r)| match r {
            lotledger::model::Record::Corrected(c) => Some(c.target.seq),
            _ => None,
        })
        .collect();
    let mut checked = 0;
    for start in records.iter().filter_map(|(_, r)| match r {
        lotledger::model::Record::MaterialReceived(m) => Some(m.lot.clone()),
        _ => None,
    }) {
        let f = query::trace_forward(&ix, &start).unwrap();
        let traced: Vec<(String, String)> =
            f.lots.iter().map(|l| (l.item.to_owned(), l.lot.to_owned())).collect();
        let expected: Vec<u64> = records
            .iter()
            .filter(|(seq, _)| !corrected.contains(seq))
            .filter_map(|(seq, r)| match r {
                lotledger::model::Record::Shipped(s)
                    if traced
                        .contains(&(s.lot.item.to_string(), s.lot.lot.as_str().to_owned())) =>
                {
                    Some(*seq)
                }
                _ => None,
            })
            .collect();
        let seqs: Vec<u64> = f.shipments.iter().map(query::ShipmentLine::seq).collect();
        assert_eq!(seqs, expected, "forward trace of {start}");
        assert!(f.shipments.iter().all(|s| s.ledger() == id));
        checked += seqs.len();
        if checked > 2_000 {
            break;
        }
    }
    assert!(checked > 0, "some trace reached shipments");
}
