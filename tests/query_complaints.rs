//! Complaints against the response-time commitments, worked out by hand.
//!
//! ```text
//! no.    received  severity/type              lot  customer  steps (hours after T0)
//! CMP-1  h0        general product_quality    F1   C-1       ack h2, investigated (production) h10, resolved h20, closed h30
//! CMP-2  h0        general product_quality    F1   C-2       ack h5
//! CMP-3  h1        major logistics            F2   C-1       -
//! CMP-4  h6        crisis product_quality     F1   C-3       ack h7, planned h40, resolved (refund) h80
//! CMP-5  h10       general service_attitude   -    -         closed h11
//! CMP-6  h90       general logistics          -    -         ack h91
//! CMP-7  h0        general product_quality    F2   C-2       ack h1, reclassified major h2, planned h30
//! ```
//! At now = h100 with the default commitments (4 h / 24 h / 48 h / 72 h):
//! CMP-2 is overdue to resolve (due h24) and to answer (h72); CMP-7, now
//! major, is overdue to answer (h72); CMP-3 is overdue on all three (ack
//! h5, plan h49, answer h73). CMP-4 answered late (h80 > h78) but did
//! answer; CMP-5 was closed without steps (missed, not overdue); CMP-6 is
//! not yet due.
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
use lotledger::query::{
    self, ClusterKey, ClusterSpec, Commitment, ComplaintFilter, DeadlineStatus, ResponseCommitments,
};
use query_plant::*;

#[allow(clippy::too_many_arguments)]
fn register(
    p: &mut Plant,
    received: Timestamp,
    no: &str,
    severity: Severity,
    kind: ComplaintType,
    lot: Option<LotId>,
    customer: Option<&str>,
    product: &str,
) {
    p.put(
        SALES,
        Timestamp(received.0 + 10 * 60_000),
        "d.moreau",
        "CS-DESK",
        Record::ComplaintRegistered(ComplaintRegistered {
            complaint: r(no),
            received_at: received,
            channel: Channel::Phone,
            complainant: Complainant {
                person: Personal::plain("Pharmacist").unwrap(),
                organisation: None,
                contact: Personal::default(),
            },
            customer: customer.map(party),
            product: product.parse().unwrap(),
            packaging: Text::default(),
            quantity: None,
            lot,
            order: None,
            place_of_purchase: Text::default(),
            story: Personal::default(),
            expectation: Text::default(),
            evidence: heapless::Vec::new(),
            severity,
            kind,
        }),
    );
}

fn step(p: &mut Plant, at: Timestamp, no: &str, step: ComplaintStep) {
    p.put(
        SALES,
        at,
        "d.moreau",
        "CS-DESK",
        Record::ComplaintProgress(ComplaintProgress { complaint: r(no), step }),
    );
}

fn resolved(remedy: Remedy) -> ComplaintStep {
    ComplaintStep::Resolved { remedy, capa: None, note: Text::default() }
}

fn plant() -> Plant {
    use ComplaintType::*;
    use Severity::*;
    let mut p = standard();
    let planned = || ComplaintStep::Planned { note: Text::default() };
    register(&mut p, t(0), "CMP-1", General, ProductQuality, Some(fg("F1")), Some("C-1"), "Patch");
    register(&mut p, t(0), "CMP-2", General, ProductQuality, Some(fg("F1")), Some("C-2"), "Patch");
    register(&mut p, t(0), "CMP-7", General, ProductQuality, Some(fg("F2")), Some("C-2"), "Patch");
    register(&mut p, t(1), "CMP-3", Major, Logistics, Some(fg("F2")), Some("C-1"), "Patch");
    step(&mut p, t(1), "CMP-7", ComplaintStep::Acknowledged);
    step(&mut p, t(2), "CMP-1", ComplaintStep::Acknowledged);
    step(
        &mut p,
        t(2),
        "CMP-7",
        ComplaintStep::Reclassified { severity: Major, kind: ProductQuality },
    );
    step(&mut p, t(5), "CMP-2", ComplaintStep::Acknowledged);
    register(&mut p, t(6), "CMP-4", Crisis, ProductQuality, Some(fg("F1")), Some("C-3"), "Patch");
    step(&mut p, t(7), "CMP-4", ComplaintStep::Acknowledged);
    step(
        &mut p,
        t(10),
        "CMP-1",
        ComplaintStep::Investigated {
            method: InvestigationMethod::Sampling,
            findings: Text::default(),
            root_cause: Some(RootCause::Production),
        },
    );
    register(&mut p, t(10), "CMP-5", General, ServiceAttitude, None, None, "Gel");
    step(&mut p, t(11), "CMP-5", ComplaintStep::Closed);
    step(&mut p, t(20), "CMP-1", resolved(Remedy::Exchange));
    step(&mut p, t(30), "CMP-1", ComplaintStep::Closed);
    step(&mut p, t(30), "CMP-7", planned());
    step(&mut p, t(40), "CMP-4", planned());
    step(&mut p, t(80), "CMP-4", resolved(Remedy::Refund));
    register(&mut p, t(90), "CMP-6", General, Logistics, None, None, "Gel");
    step(&mut p, t(91), "CMP-6", ComplaintStep::Acknowledged);
    p
}

fn numbers(rows: &[query::ComplaintRow]) -> Vec<&str> {
    rows.iter().map(|r| r.complaint.as_str()).collect()
}

#[test]
fn overdue_at_hour_100() {
    let ix = plant().index();
    let rc = ResponseCommitments::default();
    let filter = ComplaintFilter { overdue: true, ..ComplaintFilter::default() };
    let rows = query::complaints(&ix, &filter, &rc, t(100));
    let got: Vec<_> = rows.iter().map(|r| (r.complaint.as_str(), r.overdue.clone())).collect();
    use Commitment::*;
    assert_eq!(
        got,
        [
            ("CMP-2", vec![ResolveGeneral, DefiniteAnswer]),
            ("CMP-7", vec![DefiniteAnswer]),
            ("CMP-3", vec![Acknowledge, PlanComplex, DefiniteAnswer]),
        ]
    );
    assert_eq!(rows[1].severity, Severity::Major, "CMP-7 was reclassified");
    // At hour 20 only CMP-3's acknowledgement (due h5) is overdue.
    let rows = query::complaints(&ix, &filter, &rc, t(20));
    assert_eq!(numbers(&rows), ["CMP-3"]);
    assert_eq!(rows[0].overdue, [Acknowledge]);
    // With a 1-hour acknowledgement commitment, CMP-1 (ack h2), CMP-2 (h5)
    // and CMP-4 (h7 for h6) were late but are not overdue; at hour 3 CMP-2
    // (still unacknowledged) and CMP-3 (due h2) are.
    let strict = ResponseCommitments::hours(1, 24, 48, 72);
    let rows = query::complaints(&ix, &filter, &strict, t(3));
    assert_eq!(numbers(&rows), ["CMP-2", "CMP-3"]);
}

#[test]
fn filters() {
    let ix = plant().index();
    let rc = ResponseCommitments::default();
    let list = |f: ComplaintFilter| numbers(&query::complaints(&ix, &f, &rc, t(100))).join(" ");
    let all = ComplaintFilter::default();
    assert_eq!(list(all.clone()), "CMP-1 CMP-2 CMP-7 CMP-3 CMP-4 CMP-5 CMP-6");
    assert_eq!(
        list(ComplaintFilter { open: Some(true), ..all.clone() }),
        "CMP-2 CMP-7 CMP-3 CMP-4 CMP-6"
    );
    assert_eq!(list(ComplaintFilter { open: Some(false), ..all.clone() }), "CMP-1 CMP-5");
    assert_eq!(
        list(ComplaintFilter { severity: Some(Severity::Major), ..all.clone() }),
        "CMP-7 CMP-3"
    );
    assert_eq!(
        list(ComplaintFilter { kind: Some(ComplaintType::Logistics), ..all.clone() }),
        "CMP-3 CMP-6"
    );
    assert_eq!(list(ComplaintFilter { lot: Some(fg("F1")), ..all.clone() }), "CMP-1 CMP-2 CMP-4");
    assert_eq!(
        list(ComplaintFilter { customer: Some(party("C-1")), ..all.clone() }),
        "CMP-1 CMP-3"
    );
    assert_eq!(
        list(ComplaintFilter { from: Some(t(1)), to: Some(t(50)), ..all.clone() }),
        "CMP-3 CMP-4 CMP-5"
    );
    assert_eq!(list(ComplaintFilter { lot: Some(lot("RM-Z", "none")), ..all }), "");
}

#[test]
fn timeline_of_a_crisis() {
    let ix = plant().index();
    let tl = query::complaint_timeline(&ix, &r("CMP-4"), &ResponseCommitments::default(), t(100))
        .unwrap();
    let steps: Vec<_> =
        tl.steps.iter().map(|s| (s.step, s.elapsed_ms, s.detail.as_deref())).collect();
    let h = Timestamp::HOUR;
    assert_eq!(
        steps,
        [
            ("registered", 10 * 60_000, None),
            ("acknowledged", h, None),
            ("planned", 34 * h, None),
            ("resolved", 74 * h, Some("refund")),
        ]
    );
    let deadlines: Vec<_> =
        tl.deadlines.iter().map(|d| (d.commitment, d.due, d.met_at, d.status)).collect();
    assert_eq!(
        deadlines,
        [
            (Commitment::Acknowledge, t(10), Some(t(7)), DeadlineStatus::Met),
            (Commitment::PlanComplex, t(54), Some(t(40)), DeadlineStatus::Met),
            (Commitment::DefiniteAnswer, t(78), Some(t(80)), DeadlineStatus::Late),
        ]
    );
    assert!(tl.summary.open && tl.summary.overdue.is_empty());
    // CMP-5: closed without any step: missed, never overdue.
    let tl = query::complaint_timeline(&ix, &r("CMP-5"), &ResponseCommitments::default(), t(100))
        .unwrap();
    assert!(tl.deadlines.iter().all(|d| d.status == DeadlineStatus::Missed));
    assert!(!tl.summary.open);
    // CMP-6 at h100: acknowledged, resolution pending until h114.
    let tl = query::complaint_timeline(&ix, &r("CMP-6"), &ResponseCommitments::default(), t(100))
        .unwrap();
    let st: Vec<_> = tl.deadlines.iter().map(|d| d.status).collect();
    assert_eq!(st, [DeadlineStatus::Met, DeadlineStatus::Pending, DeadlineStatus::Pending]);
    let json = serde_json::to_value(&tl).unwrap();
    assert_eq!(json["complaint"], "CMP-6");
    assert_eq!(json["deadlines"][1]["commitment"], "resolve_general");
    assert!(
        query::complaint_timeline(&ix, &r("CMP-99"), &ResponseCommitments::default(), t(0))
            .is_err()
    );
}

#[test]
fn clusters_and_counts() {
    let ix = plant().index();
    // 3 within 24 h: the product (F1 x3 + F2 x2 within h0..h6) and lot F1
    // (h0, h0, h6). F2 has two, "Gel" two days apart.
    let c =
        query::complaint_clusters(&ix, &ClusterSpec { min: 3, window_ms: 24 * Timestamp::HOUR });
    let got: Vec<_> = c.iter().map(|c| (c.key.clone(), c.count)).collect();
    assert_eq!(
        got,
        [
            (ClusterKey::Item { item: FG.into() }, 5),
            (ClusterKey::Lot { item: FG.into(), lot: "F1".into() }, 3),
        ]
    );
    assert_eq!(c[1].complaints, ["CMP-1", "CMP-2", "CMP-4"]);
    assert_eq!((c[1].first, c[1].last), (t(0), t(6)));
    // Within one hour: F1 has CMP-1 and CMP-2 at h0; the item has four (h0 x3, h1).
    let c = query::complaint_clusters(&ix, &ClusterSpec { min: 2, window_ms: Timestamp::HOUR });
    let got: Vec<_> = c.iter().map(|c| (c.key.clone(), c.count)).collect();
    assert_eq!(
        got,
        [
            (ClusterKey::Item { item: FG.into() }, 4),
            (ClusterKey::Lot { item: FG.into(), lot: "F1".into() }, 2),
            (ClusterKey::Lot { item: FG.into(), lot: "F2".into() }, 2),
        ]
    );

    let counts = query::complaint_counts(&ix, None, None);
    assert_eq!(counts.total, 7);
    let pairs = |v: &[query::Count]| v.iter().map(|c| (c.key, c.count)).collect::<Vec<_>>();
    assert_eq!(
        pairs(&counts.by_type),
        [("product_quality", 4), ("logistics", 2), ("service_attitude", 1)]
    );
    assert_eq!(pairs(&counts.by_root_cause), [("unknown", 6), ("production", 1)]);
    assert_eq!(pairs(&counts.by_severity), [("general", 4), ("major", 2), ("crisis", 1)]);
    let counts = query::complaint_counts(&ix, Some(t(5)), Some(t(95)));
    assert_eq!(counts.total, 3, "CMP-4, CMP-5, CMP-6");
}

#[test]
fn a_corrected_registration_is_replaced_under_the_same_number() {
    let mut p = plant();
    let id = p.id(SALES);
    let bytes = p.bytes(SALES).to_vec();
    let wrong = lotledger::chain::Verifier::new(&bytes, lotledger::chain::Anchor::genesis(&id))
        .map(Result::unwrap)
        .find(|v| matches!(v.record().unwrap(), Record::ComplaintRegistered(c) if c.complaint.as_str() == "CMP-3"))
        .unwrap();
    register(
        &mut p,
        t(1),
        "CMP-3",
        Severity::General,
        ComplaintType::Logistics,
        Some(fg("F2")),
        Some("C-1"),
        "Patch",
    );
    p.correct(
        SALES,
        99,
        EntryRef { seq: wrong.header.seq, hash: wrong.hash },
        "severity keyed wrong",
    );
    let ix = p.index();
    let rc = ResponseCommitments::default();
    let filter = ComplaintFilter { overdue: true, ..ComplaintFilter::default() };
    let rows = query::complaints(&ix, &filter, &rc, t(100));
    let cmp3: Vec<_> = rows.iter().filter(|r| r.complaint == "CMP-3").collect();
    assert_eq!(cmp3.len(), 1);
    // Now general: ack (h5), resolve (h25) and answer (h73) are overdue.
    use Commitment::*;
    assert_eq!(cmp3[0].severity, Severity::General);
    assert_eq!(cmp3[0].overdue, [Acknowledge, ResolveGeneral, DefiniteAnswer]);
    assert_eq!(query::complaint_counts(&ix, None, None).total, 7);
    // Written before the correction, the replacement was a duplicate then.
    assert!(
        ix.problems().iter().any(|p| p.kind == lotledger::index::ProblemKind::DuplicateComplaint)
    );
}
