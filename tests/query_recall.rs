//! Recall scope, customer holdings, mass balance and recall progress on
//! the hand-built plant of `query_plant`, with a recall opened on A1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::model::*;
use lotledger::query::{self, Discrepancy, QueryError, Totals};
use query_plant::*;

fn action(p: &mut Plant, h: i64, step: RecallStep) {
    p.put(
        SALES,
        t(h),
        "s.okafor",
        "QA-OFFICE",
        Record::RecallAction(RecallAction { recall: r("RC-1"), step }),
    );
}

/// The standard plant, then: recall RC-1 opened on A1 (h60), C-1 notified
/// (h61), 50 of F1 retrieved from C-1 (h62).
fn recalled() -> Plant {
    let mut p = standard();
    let mut lots = heapless::Vec::new();
    lots.push(lot("RM-A", "A1")).unwrap();
    p.put(
        SALES,
        t(60),
        "s.okafor",
        "QA-OFFICE",
        Record::RecallOpened(RecallOpened {
            recall: r("RC-1"),
            class: RecallClass::II,
            lots,
            reason: "supplier reported contamination".parse().unwrap(),
        }),
    );
    action(&mut p, 61, RecallStep::CustomerNotified { customer: party("C-1") });
    action(
        &mut p,
        62,
        RecallStep::Retrieved { customer: party("C-1"), lot: fg("F1"), quantity: pcs(50) },
    );
    p
}

fn show(t: &Totals) -> String {
    t.to_string()
}

#[test]
fn recall_of_a_raw_lot() {
    let p = recalled();
    let ix = p.index();
    let rep = query::recall(&ix, &[lot("RM-A", "A1")]).unwrap();

    // Affected: A1 and everything made from it.
    let lots: Vec<_> =
        rep.lots.iter().map(|l| (l.lot.as_str(), l.depth, l.status, show(&l.on_hand))).collect();
    // A1: 100 received - 40 (WO-1) - 10 (WO-2) = 50 KGM
    // M1: 50 produced - 20 (WO-2) - 30 (WO-3) = 0 KGM
    // F1: 1000 produced - 300 - 200 shipped + 20 returned + 50 retrieved = 570
    // F2: 500 produced - 100 shipped (the 999 was voided) = 400
    assert_eq!(
        lots,
        [
            ("A1", 0, Some(Disposition::Released), "50 KGM".into()),
            ("M1", 1, None, "0 KGM".into()),
            ("F1", 1, Some(Disposition::Released), "570 H87".into()),
            ("F2", 2, Some(Disposition::OnHold), "400 H87".into()),
        ]
    );

    // Per customer, lot and unit: C-1 F1 300 - 20 returned - 50 retrieved
    // = 230; C-2 F1 200; C-1 F2 100.
    let rows: Vec<_> = rep
        .customer_lots
        .iter()
        .map(|c| {
            (
                c.customer.as_str(),
                c.lot.as_str(),
                c.shipped.to_string(),
                c.returned.to_string(),
                c.retrieved.to_string(),
                c.outstanding.to_string(),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        rows,
        [
            ("C-1", "F1", s("300"), s("20"), s("50"), s("230")),
            ("C-2", "F1", s("200"), s("0"), s("0"), s("200")),
            ("C-1", "F2", s("100"), s("0"), s("0"), s("100")),
        ]
    );

    // Per customer: C-1 shipped 400, outstanding 330, at LOC-1 and its
    // main address; notified. C-2: 200 outstanding, main address, not notified.
    assert_eq!(rep.customers.len(), 2);
    let c1 = &rep.customers[0];
    assert_eq!(c1.customer, "C-1");
    assert_eq!(c1.ship_to, ["LOC-1"]);
    assert!(c1.main_address);
    assert_eq!(
        (show(&c1.shipped), show(&c1.returned), show(&c1.retrieved)),
        (s("400 H87"), s("20 H87"), s("50 H87"))
    );
    assert_eq!(show(&c1.outstanding), "330 H87");
    assert!(c1.notified);
    let c2 = &rep.customers[1];
    assert_eq!(
        (c2.customer.as_str(), show(&c2.outstanding), c2.notified),
        ("C-2", s("200 H87"), false)
    );
    assert!(c2.ship_to.is_empty() && c2.main_address);

    // Mass balance of A1 and F1.
    let a1 = &rep.balances[0];
    assert_eq!(
        (show(&a1.received), show(&a1.consumed), show(&a1.on_hand)),
        (s("100 KGM"), s("50 KGM"), s("50 KGM"))
    );
    assert!(rep.balances.iter().all(|b| b.discrepancies.is_empty()), "{:?}", rep.balances);
    let f1 = &rep.balances[2];
    assert_eq!(
        (
            show(&f1.produced),
            show(&f1.shipped),
            show(&f1.returned),
            show(&f1.retrieved),
            show(&f1.destroyed)
        ),
        (s("1000 H87"), s("500 H87"), s("20 H87"), s("50 H87"), s(""))
    );

    // Progress of RC-1: 2 customers in scope, C-1 notified, C-2 not; 50
    // retrieved; 230 + 200 + 100 = 530 still out; not closed.
    assert_eq!(rep.recalls.len(), 1);
    let rc = &rep.recalls[0];
    assert_eq!((rc.recall.as_str(), rc.class, rc.opened_at), ("RC-1", RecallClass::II, t(60)));
    assert_eq!(rc.customers, 2);
    assert_eq!(rc.notified, ["C-1"]);
    assert_eq!(rc.not_notified, ["C-2"]);
    assert_eq!((show(&rc.retrieved), show(&rc.outstanding)), (s("50 H87"), s("530 H87")));
    assert_eq!(rc.closed_at, None);

    // The same report by recall number.
    assert_eq!(query::recall_by_number(&ix, &r("RC-1")).unwrap(), rep);
    assert_eq!(
        query::recall_by_number(&ix, &r("RC-9")).unwrap_err(),
        QueryError::UnknownRecall("RC-9".into())
    );
    let json = serde_json::to_value(&rep).unwrap();
    assert_eq!(json["customers"][0]["outstanding"][0]["quantity"], "330");
    assert_eq!(json["customers"][0]["outstanding"][0]["unit"], "H87");
}

#[test]
fn recall_of_an_intermediate_and_closing() {
    let mut p = recalled();
    action(&mut p, 70, RecallStep::Closed { note: Text::default() });
    let ix = p.index();
    // M1 reaches F1 and F2 but not A1; RC-1 (on A1) covers M1's scope.
    let rep = query::recall(&ix, &[lot("IM-M", "M1")]).unwrap();
    let lots: Vec<_> = rep.lots.iter().map(|l| l.lot.as_str()).collect();
    assert_eq!(lots, ["M1", "F1", "F2"]);
    assert_eq!(rep.recalls.len(), 1);
    assert_eq!(rep.recalls[0].closed_at, Some(t(70)));
    // Two seeds, F3 and F2: C-3 holds 50 of F3; C-1 100 of F2.
    let rep = query::recall(&ix, &[fg("F3"), fg("F2")]).unwrap();
    let rows: Vec<_> = rep
        .customer_lots
        .iter()
        .map(|c| (c.customer.as_str(), c.lot.as_str(), c.outstanding.to_string()))
        .collect();
    assert_eq!(rows, [("C-3", "F3", "50".to_string()), ("C-1", "F2", "100".to_string())]);
}

#[test]
fn discrepancies_are_flagged() {
    let mut p = standard();
    // X1 is shipped without ever being received: no source, -10 KGM.
    p.ship(80, &lot("RM-X", "X1"), kg(10), "C-9", None, "SO-9");
    // X2 is received in KGM and shipped in pieces: mixed units.
    p.receive(81, &lot("RM-X", "X2"), kg(10), "V-ACME", "SX", "PO-9");
    p.ship(82, &lot("RM-X", "X2"), pcs(5), "C-9", None, "SO-10");
    // C-2 sends back 250 of F1 but got only 200.
    p.give_back(83, &fg("F1"), pcs(250), "C-2");
    let ix = p.index();
    let x1 = query::mass_balance(&ix, &lot("RM-X", "X1")).unwrap();
    assert_eq!(
        x1.discrepancies,
        [
            Discrepancy::NegativeOnHand { unit: "KGM".into(), on_hand: query::Decimal::whole(-10) },
            Discrepancy::NoSource
        ]
    );
    let x2 = query::mass_balance(&ix, &lot("RM-X", "X2")).unwrap();
    assert_eq!(x2.on_hand.to_string(), "-5 H87 + 10 KGM");
    assert!(x2.discrepancies.contains(&Discrepancy::MixedUnits));
    let f1 = query::mass_balance(&ix, &fg("F1")).unwrap();
    assert_eq!(
        f1.discrepancies,
        [Discrepancy::MoreBackThanShipped { customer: "C-2".into(), unit: "H87".into() }]
    );
    // 1000 - 500 + 20 + 250 = 770.
    assert_eq!(f1.on_hand.to_string(), "770 H87");
}
