//! Reports that add up and say what is missing (issue 12, items 3, 6, 8),
//! on the hand-built plant of `query_plant`. Each test names the finding
//! it guards; each fails on the code before the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::index::{Index, Unresolved};
use lotledger::model::*;
use lotledger::query::{self, Discrepancy};
use query_plant::*;

fn action(p: &mut Plant, h: i64, recall: &str, step: RecallStep) {
    p.put(
        SALES,
        t(h),
        "s.okafor",
        "QA-OFFICE",
        Record::RecallAction(RecallAction { recall: r(recall), step }),
    );
}

/// The standard plant with recall RC-1 opened on A1 (h60), C-1 notified
/// (h61) and 50 of F1 retrieved from C-1 (h62), all in the sales ledger.
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
    action(&mut p, 61, "RC-1", RecallStep::CustomerNotified { customer: party("C-1") });
    action(
        &mut p,
        62,
        "RC-1",
        RecallStep::Retrieved { customer: party("C-1"), lot: fg("F1"), quantity: pcs(50) },
    );
    p
}

fn only(p: &Plant, ledgers: &[usize]) -> Index {
    Index::from_ledgers(ledgers.iter().map(|&l| (p.id(l), p.bytes(l)))).unwrap()
}

// Item 3: with the dock and production ledgers left out, the recall of A1
// answered "1 affected lot, 0 customers" and nothing said a ledger was
// missing. Now the index counts the lots the records use but no indexed
// ledger brings in.
#[test]
fn a_forgotten_ledger_is_reported_as_unresolved() {
    let p = recalled();
    assert_eq!(p.index().unresolved(), Unresolved::default(), "all three ledgers resolve");

    let sales = only(&p, &[SALES]);
    let u = sales.unresolved();
    // A1 (recalled), F1, F2, F3 (shipped): never received or produced in
    // the sales ledger. The voided F2 shipment does not count twice.
    assert_eq!((u.lots, u.recalls, u.complaints, u.corrections), (4, 0, 0, 0), "{u:?}");
    assert!(!u.is_empty());
    assert!(
        u.examples.iter().any(|e| e.contains("/F1 is shipped but no indexed ledger")),
        "{:?}",
        u.examples
    );
    assert_eq!(
        u.examples.last().map(String::as_str),
        Some(
            "lot RM-A/A1 is named by a recall_opened record but no indexed ledger receives or produces it"
        )
    );
    // The recall is still answered, and the gap is there to be shown.
    let rep = query::recall_by_number(&sales, &r("RC-1")).unwrap();
    assert_eq!(rep.lots.len(), 1, "without the line ledger only A1 is in scope");

    // The line ledger without the dock: A1 and B1 are consumed, never received.
    let line = only(&p, &[LINE]);
    let u = line.unresolved();
    assert_eq!(u.lots, 2, "{u:?}");
    assert!(u.examples.iter().any(|e| e.contains("RM-A/A1 is consumed")), "{:?}", u.examples);
}

// Item 3: actions for a recall no indexed ledger opens, steps of a
// complaint never registered and a correction of an entry not indexed are
// each counted, with examples, and the examples stay bounded.
#[test]
fn unknown_recalls_complaints_and_corrections_are_counted_and_bounded() {
    let mut p = standard();
    action(&mut p, 70, "RC-9", RecallStep::CustomerNotified { customer: party("C-1") });
    p.put(
        SALES,
        t(71),
        "s.okafor",
        "QA-OFFICE",
        Record::ComplaintProgress(ComplaintProgress {
            complaint: r("CP-404"),
            step: ComplaintStep::Acknowledged,
        }),
    );
    p.correct(SALES, 72, EntryRef { seq: 9_999, hash: Digest([7; 32]) }, "names another ledger");
    for i in 0..10 {
        p.ship(80 + i, &lot("RM-X", &format!("X{i}")), kg(1), "C-9", None, "SO-9");
    }
    let u = p.index().unresolved();
    assert_eq!((u.lots, u.recalls, u.complaints, u.corrections), (10, 1, 1, 1), "{u:?}");
    assert_eq!(u.total(), 13);

    // A production voided by a correction is no missing ledger: its lot
    // stays resolved (its mass balance flags it instead).
    let mut p = standard();
    let wo9 =
        p.produce(90, "WO-9", "LINE-3", &[(&lot("RM-B", "B1"), kg(1))], (&fg("F9"), pcs(9)), None);
    p.ship(91, &fg("F9"), pcs(9), "C-3", None, "SO-99");
    p.correct(LINE, 92, EntryRef { seq: wo9.seq, hash: wo9.hash }, "never made");
    assert_eq!(p.index().unresolved(), Unresolved::default());
    assert_eq!(u.examples.len(), lotledger::index::UNRESOLVED_EXAMPLES);
}

// Item 6: the recall total netted C-2's over-return of F1 against C-1's
// stock (530 - 50 = 280 outstanding for RC-1). Each customer's holding of
// each lot is now at least zero and the excess is reported apart.
#[test]
fn over_returns_are_not_netted_against_other_customers() {
    let mut p = recalled();
    p.give_back(63, &fg("F1"), pcs(250), "C-2");
    let ix = p.index();
    let rep = query::recall_by_number(&ix, &r("RC-1")).unwrap();
    let rc = &rep.recalls[0];
    // C-1: F1 300 - 20 - 50 = 230, F2 100; C-2: F1 200 - 250 -> 0 (+50 over).
    assert_eq!(rc.outstanding.to_string(), "330 H87");
    assert_eq!(rc.over_returned.to_string(), "50 H87");
    let c2 = rep.customers.iter().find(|c| c.customer == "C-2").unwrap();
    assert_eq!(
        (c2.outstanding.to_string(), c2.over_returned.to_string()),
        ("0 H87".into(), "50 H87".into())
    );
    let line = rep.customer_lots.iter().find(|c| c.customer == "C-2").unwrap();
    assert_eq!(
        (line.outstanding.to_string(), line.over_returned.to_string()),
        ("0".into(), "50".into())
    );
    let c1 = rep.customers.iter().find(|c| c.customer == "C-1").unwrap();
    assert!(c1.over_returned.is_zero());
}

// Item 6: recalled lots showed `released` with nothing saying they are
// under recall; a closed recall no longer marks them.
#[test]
fn affected_lots_say_which_open_recall_holds_them() {
    let mut p = recalled();
    let ix = p.index();
    let rep = query::recall(&ix, &[lot("RM-A", "A1")]).unwrap();
    let f1 = rep.lots.iter().find(|l| l.lot == "F1").unwrap();
    assert_eq!(f1.status, Some(Disposition::Released));
    assert_eq!(f1.under_recall, ["RC-1"]);
    let rep = query::recall(&ix, &[lot("RM-B", "B1")]).unwrap();
    let f3 = rep.lots.iter().find(|l| l.lot == "F3").unwrap();
    assert!(f3.under_recall.is_empty(), "F3 is made of B1 only: {f3:?}");

    action(&mut p, 90, "RC-1", RecallStep::Closed { note: Text::default() });
    let rep = query::recall(&p.index(), &[lot("RM-A", "A1")]).unwrap();
    assert!(rep.lots.iter().all(|l| l.under_recall.is_empty()), "closed: {:?}", rep.lots);
}

// Item 6: the recall table printed a negative on-hand as
// `NegativeOnHand { unit: "KGM", on_hand: Decimal(-10000000000) }`.
#[test]
fn discrepancies_read_as_words() {
    let d = Discrepancy::NegativeOnHand { unit: "KGM".into(), on_hand: query::Decimal::whole(-10) };
    assert_eq!(d.to_string(), "negative on hand (-10 KGM)");
    assert_eq!(Discrepancy::NoSource.to_string(), "never received or produced");
    let back = Discrepancy::MoreBackThanShipped { customer: "C-2".into(), unit: "H87".into() };
    assert_eq!(back.to_string(), "more back from C-2 than shipped (H87)");
}

// Item 8: a lot, recall or complaint not found is answered with near
// matches from the records.
#[test]
fn near_matches_for_what_is_not_found() {
    let p = recalled();
    let ix = p.index();
    // The right code under the wrong item first, then one edit away.
    let near: Vec<String> =
        query::near_lots(&ix, &lot("RM-Z", "F1")).iter().map(ToString::to_string).collect();
    assert_eq!(near.first().map(String::as_str), Some("gtin:09506000134352/F1"), "{near:?}");
    assert!(near.iter().any(|n| n.ends_with("/F2")), "{near:?}");
    assert_eq!(query::near_recalls(&ix, "RC-2"), ["RC-1"]);
    assert!(query::near_recalls(&ix, "XYZ-12345").is_empty());
    assert!(query::near_complaints(&ix, "CP-1").is_empty(), "the plant registers none");
}

fn complaint(p: &mut Plant, h: i64, no: &str, customer: &str, lot: LotId) {
    p.put(
        SALES,
        t(h),
        "d.moreau",
        "CS-DESK",
        Record::ComplaintRegistered(ComplaintRegistered {
            complaint: r(no),
            received_at: t(h),
            channel: Channel::Phone,
            complainant: Complainant {
                person: Personal::plain("Pharmacist").unwrap(),
                organisation: None,
                contact: Personal::default(),
            },
            customer: Some(party(customer)),
            product: "Plasters".parse().unwrap(),
            packaging: Text::default(),
            quantity: None,
            lot: Some(lot),
            order: None,
            place_of_purchase: Text::default(),
            story: Personal::default(),
            expectation: Text::default(),
            evidence: heapless::Vec::new(),
            severity: Severity::Major,
            kind: ComplaintType::ProductQuality,
        }),
    );
}

// Item 7: the recall report gave no orders, ship dates, delivery state or
// notification times per customer, and did not point out an un-notified
// customer with an open complaint on an affected lot.
#[test]
fn the_recall_report_lists_orders_deliveries_notifications_and_open_complaints() {
    let mut p = recalled();
    // C-1 confirms SO-1 (F1 to LOC-1) delivered; SO-3 (F2) stays in transit.
    p.put(
        SALES,
        t(45),
        "t.yilmaz",
        "SHIP-1",
        Record::Delivered(Delivered { order: r("SO-1"), customer: party("C-1") }),
    );
    // C-2, never notified, complains about F1 and the complaint is open;
    // C-3's complaint on F3 is outside the A1 scope.
    complaint(&mut p, 70, "CP-7", "C-2", fg("F1"));
    complaint(&mut p, 71, "CP-8", "C-3", fg("F3"));
    let ix = p.index();
    let rep = query::recall_by_number(&ix, &r("RC-1")).unwrap();

    let c1 = rep.customers.iter().find(|c| c.customer == "C-1").unwrap();
    assert_eq!(c1.notified_at, [t(61)]);
    assert!(c1.open_complaints.is_empty());
    let rows: Vec<_> = c1
        .shipments
        .iter()
        .map(|s| {
            (
                s.order.as_str(),
                s.lot.as_str(),
                s.quantity.to_string(),
                s.shipped_at,
                s.ship_to.as_deref(),
                s.delivered_at,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("SO-1", "F1", "300".to_string(), t(30), Some("LOC-1"), Some(t(45))),
            ("SO-3", "F2", "100".to_string(), t(32), None, None),
        ]
    );
    let c2 = rep.customers.iter().find(|c| c.customer == "C-2").unwrap();
    assert!(!c2.notified && c2.notified_at.is_empty());
    assert_eq!(c2.open_complaints, ["CP-7"]);
    assert_eq!(c2.shipments.len(), 1);
    assert_eq!(c2.shipments[0].delivered_at, None, "SO-2 was never confirmed");

    let line = rep.customer_lots.iter().find(|l| l.customer == "C-1" && l.lot == "F1").unwrap();
    assert_eq!(
        (line.ship_to.as_slice(), line.orders.as_slice()),
        (&["LOC-1".to_string()][..], &["SO-1".to_string()][..])
    );
    assert_eq!(line.notified_at, Some(t(61)));
    let line = rep.customer_lots.iter().find(|l| l.customer == "C-2").unwrap();
    assert_eq!(
        (line.ship_to.len(), line.orders.as_slice(), line.notified_at),
        (0, &["SO-2".to_string()][..], None)
    );

    // A closed complaint is no longer open.
    p.put(
        SALES,
        t(80),
        "d.moreau",
        "CS-DESK",
        Record::ComplaintProgress(ComplaintProgress {
            complaint: r("CP-7"),
            step: ComplaintStep::Closed,
        }),
    );
    let rep = query::recall_by_number(&p.index(), &r("RC-1")).unwrap();
    assert!(rep.customers.iter().all(|c| c.open_complaints.is_empty()));
}
