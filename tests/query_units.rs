//! Serialized units and containers: `where`, the unit-level recall, return
//! verification and the lot quantities a container shipment counts, on a
//! small hand-built plant whose answers are worked out in the comments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::index::ProblemKind;
use lotledger::model::*;
use lotledger::query::{self, QueryError, ReturnCheck, UnitTarget, Verdict};
use query_plant::*;

const PALLET: &str = "106141412345678908";

fn gtin() -> ItemCode {
    ItemCode::Gtin(Gtin::parse("09506000134352").unwrap())
}

fn range(first: u64, count: u32) -> SerialSpan {
    SerialSpan::Range(SerialRange::new("A", first, count, 6).unwrap())
}

fn one(s: &str) -> SerialSpan {
    SerialSpan::One(s.parse().unwrap())
}

fn serials(lot: &LotId, span: SerialSpan) -> Goods {
    Goods::Serials(LotSerials { lot: lot.clone(), serials: span })
}

fn case(n: &str) -> ContainerId {
    ContainerId::Internal(n.parse().unwrap())
}

fn pallet() -> ContainerId {
    ContainerId::Sscc(Sscc::parse(PALLET).unwrap())
}

fn goods(list: Vec<Goods>) -> heapless::Vec<Goods, MAX_GOODS> {
    list.into_iter().collect()
}

fn pack(p: &mut Plant, h: i64, parent: ContainerId, action: AggregationAction, what: Vec<Goods>) {
    p.put(
        LINE,
        t(h),
        "j.meyer",
        "PACK-1",
        Record::Aggregated(Aggregated { parent, action, contents: goods(what) }),
    );
}

fn ship(
    p: &mut Plant,
    h: i64,
    customer: &str,
    order: &str,
    what: Vec<Goods>,
) -> lotledger::chain::Receipt {
    p.put(
        SALES,
        t(h),
        "t.yilmaz",
        "SHIP-1",
        Record::GoodsShipped(GoodsShipped {
            customer: party(customer),
            ship_to: None,
            order: r(order),
            goods: goods(what),
        }),
    )
}

/// S1 (GTIN 09506000134352, expiry 2026-12-31): 100 pieces made at h0,
/// serials A000001..A000100 commissioned at h1;
/// h2 A000001..050 into CASE-1, h3 A000051..100 into CASE-2, h4 both cases
/// onto the pallet; h5 A000050 moved into CASE-2; h6 A000100 taken out of
/// CASE-2; h7 the pallet shipped to C-1 on SO-1 (A000001..A000099);
/// h8 A000100 shipped alone to C-2 on SO-2; h9 C-1 returns A000007;
/// h10 A000008 destroyed.
fn serialized() -> Plant {
    let mut p = Plant::default();
    let s1 = fg("S1");
    p.produce(0, "WO-S", "L1", &[], (&s1, pcs(100)), Some(date(2026, 12, 31)));
    p.put(
        LINE,
        t(1),
        "j.meyer",
        "SER-1",
        Record::Commissioned(Commissioned {
            lot: s1.clone(),
            serials: [range(1, 100)].into_iter().collect(),
        }),
    );
    pack(&mut p, 2, case("CASE-1"), AggregationAction::Pack, vec![serials(&s1, range(1, 50))]);
    pack(&mut p, 3, case("CASE-2"), AggregationAction::Pack, vec![serials(&s1, range(51, 50))]);
    pack(
        &mut p,
        4,
        pallet(),
        AggregationAction::Pack,
        vec![Goods::Container(case("CASE-1")), Goods::Container(case("CASE-2"))],
    );
    pack(&mut p, 5, case("CASE-2"), AggregationAction::Pack, vec![serials(&s1, one("A000050"))]);
    pack(&mut p, 6, case("CASE-2"), AggregationAction::Unpack, vec![serials(&s1, one("A000100"))]);
    ship(&mut p, 7, "C-1", "SO-1", vec![Goods::Container(pallet())]);
    ship(&mut p, 8, "C-2", "SO-2", vec![serials(&s1, one("A000100"))]);
    p.put(
        SALES,
        t(9),
        "t.yilmaz",
        "SHIP-1",
        Record::GoodsReturned(GoodsReturned {
            from: party("C-1"),
            kind: ReturnKind::Return,
            reason: "damaged carton".parse().unwrap(),
            complaint: None,
            order: Some(r("SO-1")),
            goods: goods(vec![serials(&s1, one("A000007"))]),
        }),
    );
    p.put(
        LINE,
        t(10),
        "a.novak",
        "QC-LAB",
        Record::Decommissioned(Decommissioned {
            reason: DecommissionReason::Destroyed,
            note: Text::default(),
            recall: None,
            goods: goods(vec![serials(&s1, one("A000008"))]),
        }),
    );
    p
}

fn unit(s: &str) -> UnitTarget {
    UnitTarget::Serial { item: gtin(), serial: s.into() }
}

fn steps(rep: &query::WhereReport) -> Vec<(String, Option<String>)> {
    rep.history.iter().map(|s| (s.what.clone(), s.via.clone())).collect()
}

#[test]
fn where_follows_a_unit_through_cases_and_the_pallet() {
    // Guards: history through containers (a case packed onto a pallet, the
    // pallet shipped), the current container chain, and the last shipment.
    let ix = serialized().index();
    let rep = query::where_is(&ix, &unit("A000001"), None).unwrap();
    assert_eq!(rep.lot.as_ref().map(|l| l.lot.as_str()), Some("S1"));
    assert_eq!(rep.status, "shipped");
    assert_eq!(rep.customer.as_deref(), Some("C-1"));
    assert_eq!(rep.order.as_deref(), Some("SO-1"));
    assert_eq!(rep.containers, ["CASE-1", &format!("sscc:{PALLET}")]);
    let sscc = format!("sscc:{PALLET}");
    assert_eq!(
        steps(&rep),
        [
            ("commissioned in lot gtin:09506000134352/S1".into(), None),
            ("packed into CASE-1".into(), None),
            (format!("packed into {sscc}"), Some("CASE-1".into())),
            ("shipped to C-1 on order SO-1".into(), Some(sscc.clone())),
        ]
    );
}

#[test]
fn a_unit_moved_between_cases_travels_with_the_second() {
    // Guards: pack moves a unit out of its previous container.
    let ix = serialized().index();
    let rep = query::where_is(&ix, &unit("A000050"), None).unwrap();
    let sscc = format!("sscc:{PALLET}");
    assert_eq!(rep.containers, ["CASE-2", sscc.as_str()]);
    assert_eq!(rep.history.len(), 5);
    assert_eq!(rep.history[3].what, "packed into CASE-2");
    assert_eq!(rep.history[3].via, None);
    assert_eq!(rep.history[4].via.as_deref(), Some(sscc.as_str()));
    // A000100 left CASE-2 before the pallet shipped: it went alone to C-2.
    let rep = query::where_is(&ix, &unit("A000100"), None).unwrap();
    assert!(rep.containers.is_empty());
    assert_eq!(rep.customer.as_deref(), Some("C-2"));
    assert_eq!(rep.history.last().unwrap().what, "shipped to C-2 on order SO-2");
    assert_eq!(rep.history.last().unwrap().via, None);
}

#[test]
fn returned_destroyed_and_never_made() {
    let ix = serialized().index();
    let rep = query::where_is(&ix, &unit("A000007"), None).unwrap();
    assert_eq!((rep.status, rep.customer.as_deref()), ("returned", Some("C-1")));
    assert_eq!(rep.history.last().unwrap().what, "returned by C-1 (order SO-1): damaged carton");
    let rep = query::where_is(&ix, &unit("A000008"), None).unwrap();
    assert_eq!((rep.status, rep.decommissioned), ("decommissioned", Some("destroyed")));
    // A000101 was never commissioned; the near match is the lot's run.
    let e = query::where_is(&ix, &unit("A000101"), None).unwrap_err();
    assert_eq!(e, QueryError::UnknownUnit("gtin:09506000134352/A000101".into()));
    let near = query::near_units(&ix, &unit("A000101"));
    assert_eq!(near[0], "gtin:09506000134352/A000001..A000100 (lot S1)");
}

#[test]
fn a_container_shows_what_it_holds_and_where_it_went() {
    let ix = serialized().index();
    let rep = query::where_is(&ix, &UnitTarget::Container(pallet()), None).unwrap();
    assert_eq!(rep.status, "shipped");
    assert_eq!(rep.holds, ["CASE-1", "CASE-2"]);
    // CASE-1: 001..049 (050 moved), CASE-2: 050..099 (100 taken out): one run.
    let runs: Vec<String> = rep.serials.iter().map(|r| format!("{r} {}", r.count)).collect();
    assert_eq!(runs, ["A000001..A000099 99"]);
    assert_eq!(rep.history.len(), 2, "{:?}", rep.history);
}

#[test]
fn a_shipped_pallet_ships_its_contents_at_lot_level() {
    // Guards: serial goods count toward the lot's shipped quantity
    // (one piece each) in trace, recall and mass balance.
    let ix = serialized().index();
    let rep = query::recall(&ix, &[fg("S1")]).unwrap();
    let lines: Vec<_> = rep
        .customer_lots
        .iter()
        .map(|c| (c.customer.as_str(), c.unit.as_str(), c.shipped.to_string()))
        .collect();
    assert_eq!(lines, [("C-1", "H87", "99".to_string()), ("C-2", "H87", "1".to_string())]);
    // Unit level: C-1 got the pallet and 99 serials in one run; C-2 one serial.
    let c1 = &rep.customer_lots[0];
    assert_eq!(c1.containers, [format!("sscc:{PALLET}")]);
    let runs: Vec<String> = c1.serials.iter().map(ToString::to_string).collect();
    assert_eq!(runs, ["A000001..A000099"]);
    let c2 = &rep.customer_lots[1];
    assert!(c2.containers.is_empty());
    assert_eq!(c2.serials[0].to_string(), "A000100");
    // 100 made - 100 shipped = 0 on hand.
    let balance = query::mass_balance(&ix, &fg("S1")).unwrap();
    assert_eq!(balance.on_hand.to_string(), "0 H87");
}

#[test]
fn a_voided_shipment_unships() {
    // Guards: corrections rebuild the unit state and the derived lot lines.
    let mut p = serialized();
    let receipt = ship(&mut p, 11, "C-3", "SO-3", vec![serials(&fg("S1"), one("A000007"))]);
    let ix = p.index();
    assert_eq!(
        query::where_is(&ix, &unit("A000007"), None).unwrap().customer.as_deref(),
        Some("C-3")
    );
    p.correct(SALES, 12, EntryRef { seq: receipt.seq, hash: receipt.hash }, "wrong pack");
    let ix = p.index();
    let rep = query::where_is(&ix, &unit("A000007"), None).unwrap();
    assert_eq!((rep.status, rep.customer.as_deref()), ("returned", Some("C-1")));
    let rep = query::recall(&ix, &[fg("S1")]).unwrap();
    assert!(rep.customer_lots.iter().all(|c| c.customer != "C-3"), "{:?}", rep.customer_lots);
}

#[test]
fn bad_sequences_are_problems() {
    // Guards: shipping a serial never commissioned, commissioning twice,
    // packing a shipped unit are recorded, not silently accepted.
    let mut p = serialized();
    let s1 = fg("S1");
    ship(&mut p, 11, "C-2", "SO-9", vec![serials(&s1, one("A000200"))]);
    p.put(
        LINE,
        t(12),
        "j.meyer",
        "SER-1",
        Record::Commissioned(Commissioned {
            lot: s1.clone(),
            serials: [range(100, 2)].into_iter().collect(),
        }),
    );
    pack(&mut p, 13, case("CASE-9"), AggregationAction::Pack, vec![serials(&s1, one("A000001"))]);
    let ix = p.index();
    let kinds: Vec<ProblemKind> = ix.problems().iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::SerialNotCommissioned,
            ProblemKind::SerialCommissionedTwice,
            ProblemKind::UnitNotAvailable,
        ]
    );
    // The second commissioning still adds the serial it newly names.
    assert!(query::where_is(&ix, &unit("A000101"), None).is_ok());
}

fn check(serial: &str, customer: &str) -> ReturnCheck {
    ReturnCheck {
        item: gtin(),
        serial: serial.into(),
        lot: Some("S1".parse().unwrap()),
        expiry: Some(date(2026, 12, 31)),
        customer: Some(party(customer)),
        today: date(2026, 3, 10),
    }
}

#[test]
fn return_verification_verdicts() {
    let ix = serialized().index();
    // A000002 went to C-1 on the pallet: saleable from C-1.
    let v = query::verify_return(&ix, &check("A000002", "C-1"));
    assert_eq!((v.verdict, v.reasons.len()), (Verdict::Saleable, 0), "{:?}", v.reasons);
    // From C-2 it is not theirs.
    let v = query::verify_return(&ix, &check("A000002", "C-2"));
    assert_eq!(v.reasons, ["shipped to C-1, not to C-2"]);
    // Already returned; destroyed; wrong lot and expiry.
    assert_eq!(
        query::verify_return(&ix, &check("A000007", "C-1")).reasons,
        ["already returned by C-1"]
    );
    assert_eq!(
        query::verify_return(&ix, &check("A000008", "C-1")).reasons,
        ["decommissioned (destroyed)"]
    );
    let mut c = check("A000003", "C-1");
    c.lot = Some("S9".parse().unwrap());
    c.expiry = Some(date(2027, 1, 31));
    assert_eq!(
        query::verify_return(&ix, &c).reasons,
        [
            "lot S9 does not match: commissioned in lot S1",
            "expiry 2027-01-31 does not match: the lot expires 2026-12-31"
        ]
    );
    // Expired by the day it comes back.
    let mut c = check("A000003", "C-1");
    c.today = date(2027, 1, 1);
    assert_eq!(query::verify_return(&ix, &c).reasons, ["expired on 2026-12-31"]);
    // Never made.
    assert_eq!(query::verify_return(&ix, &check("A000500", "C-1")).verdict, Verdict::Unknown);
}

#[test]
fn a_recalled_lot_is_not_saleable() {
    let mut p = serialized();
    p.put(
        SALES,
        t(20),
        "s.okafor",
        "QA-OFFICE",
        Record::RecallOpened(RecallOpened {
            recall: r("RC-9"),
            class: RecallClass::II,
            lots: [fg("S1")].into_iter().collect(),
            reason: "label error".parse().unwrap(),
        }),
    );
    let ix = p.index();
    let v = query::verify_return(&ix, &check("A000002", "C-1"));
    assert_eq!(
        (v.verdict, v.reasons),
        (Verdict::NotSaleable, vec!["its lot is under recall RC-9".to_string()])
    );
}

#[test]
fn ten_thousand_serials_take_a_few_bytes_each() {
    // Figures for docs/QUERIES.md: one range of 10,000 serials is one
    // entry and one index interval; 10,000 random serials listed one by one
    // take 16 per entry.
    let s1 = fg("S1");
    let mut p = Plant::default();
    p.produce(0, "WO-S", "L1", &[], (&s1, pcs(10_000)), None);
    let before = p.bytes(LINE).len();
    p.put(
        LINE,
        t(1),
        "j.meyer",
        "SER-1",
        Record::Commissioned(Commissioned {
            lot: s1.clone(),
            serials: [SerialSpan::Range(SerialRange::new("", 100_000_000_000, 10_000, 0).unwrap())]
                .into_iter()
                .collect(),
        }),
    );
    let range_bytes = p.bytes(LINE).len() - before;
    assert!(range_bytes < 100, "{range_bytes} bytes for 10,000 serials in a range");
    // Random 12-character serials, 16 per entry.
    let before = p.bytes(LINE).len();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..625 {
        let mut spans = heapless::Vec::new();
        for _ in 0..16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let s = format!("R{:011}", x % 100_000_000_000);
            spans.push(one(&s)).unwrap();
        }
        p.put(
            LINE,
            t(2),
            "j.meyer",
            "SER-1",
            Record::Commissioned(Commissioned { lot: s1.clone(), serials: spans }),
        );
    }
    let listed = p.bytes(LINE).len() - before;
    let per_serial = listed as f64 / 10_000.0;
    assert!(per_serial < 20.0, "{per_serial} bytes per listed serial");
    eprintln!(
        "range: {range_bytes} bytes for 10,000 serials; listed: {per_serial:.1} bytes per serial"
    );
    let ix = p.index();
    assert!(query::where_is(&ix, &unit("100000009999"), None).is_ok());
}

#[test]
fn the_demo_serializes_its_finished_goods_consistently() {
    // Guards: the demo's serialization (issue 14 item 6) is a valid unit
    // history: no unit problems, a commissioned carton sits in a case on an
    // SSCC pallet shipped to a customer, and its lot's mass balance holds.
    let n = 20_000;
    let config = lotledger::demo::PlantConfig { serialized: true, ..Default::default() };
    let (id, bytes) = lotledger::demo::ledger_with(n, &config);
    let ix = lotledger::index::Index::from_ledgers([(id, bytes.as_slice())]).unwrap();
    // The demo's staff void a random recent entry now and then; a unit
    // problem is only ever the trace of such a correction (a return of a
    // carton whose pallet's packing or shipment was voided).
    let unit_problems = ix.problems().iter().filter(|p| p.kind.is_unit()).count();
    let unit_kinds = ["aggregated", "goods_shipped", "commissioned", "packed"];
    let voided_units = query::corrections(&ix)
        .iter()
        .filter(|c| c.in_force && c.target.as_ref().is_some_and(|t| unit_kinds.contains(&t.kind)))
        .count();
    assert!(unit_problems <= voided_units, "{unit_problems} problems, {voided_units} voided");
    let first = lotledger::chain::Verifier::new(&bytes, lotledger::chain::Anchor::genesis(&id))
        .find_map(|v| match v.unwrap().record() {
            Ok(Record::Commissioned(c)) => Some(c),
            _ => None,
        })
        .expect("the demo commissions serials");
    let SerialSpan::Range(range) = &first.serials[0] else { panic!("{first:?}") };
    assert!(range.count() >= 98, "{range:?}");
    let target = UnitTarget::Serial {
        item: first.lot.item.clone(),
        serial: range.serial(0).unwrap().as_str().into(),
    };
    let rep = query::where_is(&ix, &target, None).unwrap();
    assert!(matches!(rep.status, "shipped" | "returned"), "{rep:?}");
    assert_eq!(rep.containers.len(), 2, "case and pallet: {rep:?}");
    assert!(rep.containers[1].starts_with("sscc:"), "{rep:?}");
    let balance = query::mass_balance(&ix, &first.lot).unwrap();
    assert!(balance.discrepancies.is_empty(), "{balance:?}");
}
