//! The auditor's view on the hand-built plant of `query_plant`: entries by
//! actor, station, kind and time; corrections beside what they correct
//! (applied, flagged for a wrong hash, flagged for no such entry,
//! corrected themselves); the verification report; genealogy drawings.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::model::{Digest, EntryRef};
use lotledger::query::{self, AuditFilter};
use query_plant::*;

fn count(ix: &lotledger::index::Index, f: AuditFilter) -> usize {
    query::audit_entries(ix, &f).len()
}

#[test]
fn entries_by_actor_station_kind_and_time() {
    let p = standard();
    let ix = p.index();
    let all = AuditFilter::default();
    // dock 6, line 10, sales 5 shipments + 1 correction + 1 return = 23.
    assert_eq!(count(&ix, all.clone()), 23);
    let ships =
        query::audit_entries(&ix, &AuditFilter { actor: Some("t.yilmaz".into()), ..all.clone() });
    assert_eq!(ships.len(), 5, "the voided shipment is still shown");
    assert_eq!(ships.iter().filter(|r| r.void).map(|r| r.seq).collect::<Vec<_>>(), [4]);
    assert!(
        ships
            .iter()
            .all(|r| r.kind == "shipped" && r.station == "SHIP-1" && r.ledger == p.id(SALES))
    );
    assert_eq!(count(&ix, AuditFilter { kind: Some("disposition_set".into()), ..all.clone() }), 6);
    assert_eq!(
        count(
            &ix,
            AuditFilter {
                station: Some("QA-OFFICE".into()),
                kind: Some("corrected".into()),
                ..all.clone()
            }
        ),
        1
    );
    assert_eq!(count(&ix, AuditFilter { from: Some(t(30)), to: Some(t(34)), ..all.clone() }), 4);
    assert_eq!(count(&ix, AuditFilter { ledger: Some(p.id(LINE)), ..all.clone() }), 10);
    assert_eq!(count(&ix, AuditFilter { limit: Some(2), ..all.clone() }), 2);
    assert_eq!(count(&ix, AuditFilter { actor: Some("nobody".into()), ..all.clone() }), 0);
    assert_eq!(count(&ix, AuditFilter { kind: Some("no_such_kind".into()), ..all }), 0);
}

#[test]
fn corrections_beside_their_targets() {
    let mut p = standard();
    // A correction naming the F3 shipment (sales 3) with the wrong hash, and
    // one naming an entry that does not exist.
    p.correct(SALES, 90, EntryRef { seq: 3, hash: Digest([7; 32]) }, "wrong hash");
    p.correct(SALES, 91, EntryRef { seq: 999, hash: Digest([0; 32]) }, "no such entry");
    let ix = p.index();
    let lines = query::corrections(&ix);
    let got: Vec<_> = lines
        .iter()
        .map(|c| {
            (
                c.correction.seq,
                c.status,
                c.in_force,
                c.target_seq,
                c.target.as_ref().map(|t| (t.kind, t.void)),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (5, "applied", true, 4, Some(("shipped", true))),
            (7, "hash_mismatch", false, 3, Some(("shipped", false))),
            (8, "unknown_target", false, 999, None),
        ]
    );
    assert_eq!(lines[0].reason, "keyed against the wrong lot");
    // The F3 shipment is still in force.
    let f = query::trace_forward(&ix, &fg("F3")).unwrap();
    assert_eq!(f.shipments.len(), 1);
    let v = query::verification(&ix);
    assert_eq!((v.corrections_applied, v.corrections_flagged), (1, 2));
    let kinds: Vec<_> = v.problems.iter().map(|p| (p.seq, p.kind)).collect();
    use lotledger::index::ProblemKind::*;
    assert_eq!(kinds, [(7, CorrectionHashMismatch), (8, CorrectionUnknownTarget)]);
}

#[test]
fn correcting_a_correction_restores_the_original() {
    let mut p = standard();
    let ix = p.index();
    assert_eq!(query::trace_forward(&ix, &fg("F2")).unwrap().shipments.len(), 1);
    // Sales entry 5 is the correction voiding the 999 of F2 to C-3.
    let bytes = p.bytes(SALES).to_vec();
    let entries: Vec<_> =
        lotledger::chain::Verifier::new(&bytes, lotledger::chain::Anchor::genesis(&p.id(SALES)))
            .collect::<Result<_, _>>()
            .unwrap();
    let c =
        p.correct(SALES, 95, EntryRef { seq: 5, hash: entries[5].hash }, "that shipment was right");
    let ix = p.index();
    let ships = query::trace_forward(&ix, &fg("F2")).unwrap().shipments;
    assert_eq!(ships.iter().map(|s| s.quantity().to_string()).collect::<Vec<_>>(), ["100", "999"]);
    let lines = query::corrections(&ix);
    assert!(!lines[0].in_force && lines[0].correction.void);
    assert!(lines[1].in_force && lines[1].correction.seq == c.seq);
    // And voiding the second correction voids the shipment again.
    p.correct(SALES, 96, EntryRef { seq: c.seq, hash: c.hash }, "it was not");
    let ix = p.index();
    assert_eq!(query::trace_forward(&ix, &fg("F2")).unwrap().shipments.len(), 1);
}

#[test]
fn verification_report_and_segments() {
    let mut p = standard();
    let mut ix = p.index();
    let v = query::verification(&ix);
    assert_eq!(v.entries, 23);
    for (l, n) in [(DOCK, 6), (LINE, 10), (SALES, 7)] {
        let r = v.ledgers.iter().find(|r| r.ledger == p.id(l)).unwrap();
        assert_eq!(r.entries, n);
        assert_eq!(r.head, p.ledgers[l].1.head());
        assert_eq!(r.bytes, p.bytes(l).len() as u64);
        assert_eq!(r.segments.len(), 1);
        assert_eq!(r.start.next_seq, 0);
    }
    let sales = v.ledgers.iter().find(|r| r.ledger == p.id(SALES)).unwrap();
    assert_eq!((sales.first_time, sales.last_time), (Some(t(30)), Some(t(40))));
    // Appending and feeding the index the whole ledger again adds only the
    // new entry, in the same segment.
    p.ship(100, &fg("F3"), pcs(10), "C-4", None, "SO-20");
    assert_eq!(ix.ingest_bytes(&p.id(SALES), p.bytes(SALES)).unwrap(), 1);
    let v = query::verification(&ix);
    let sales = v.ledgers.iter().find(|r| r.ledger == p.id(SALES)).unwrap();
    assert_eq!((sales.entries, sales.segments.len(), sales.segments[0].entries), (8, 1, 8));
    assert_eq!(sales.head, p.ledgers[SALES].1.head());
    assert_eq!(ix.ingest_bytes(&p.id(SALES), p.bytes(SALES)).unwrap(), 0);

    // The line ledger fed as two segments split at a frame boundary.
    let line = p.bytes(LINE);
    let cut = lotledger::chain::Verifier::new(line, lotledger::chain::Anchor::genesis(&p.id(LINE)))
        .nth(4)
        .unwrap()
        .unwrap()
        .offset as usize;
    let mut ix = lotledger::index::Index::new();
    assert_eq!(ix.ingest_segment(&p.id(LINE), "line-0.seg", &line[..cut]).unwrap(), 4);
    assert_eq!(ix.ingest_segment(&p.id(LINE), "line-1.seg", &line[cut..]).unwrap(), 6);
    let segs = &query::verification(&ix).ledgers[0].segments;
    let got: Vec<_> =
        segs.iter().map(|s| (s.label.as_str(), s.first_seq, s.entries, s.offset)).collect();
    assert_eq!(got, [("line-0.seg", 0, 4, 0), ("line-1.seg", 4, 6, cut as u64)]);
    // Offsets continue across segments: entry 4 is at `cut`.
    let rows = query::audit_entries(&ix, &AuditFilter::default());
    assert_eq!(rows[4].offset, cut as u64);
}

#[test]
fn genealogy_drawings() {
    let ix = standard().index();
    let g = query::genealogy(&ix, &lot("IM-M", "M1")).unwrap();
    assert_eq!(
        g.to_dot(),
        "digraph genealogy {\n  rankdir=LR;\n  node [shape=box];\n\
         \x20 n0 [label=\"IM-M/M1\", style=bold];\n\
         \x20 n1 [label=\"RM-A/A1 (released)\"];\n\
         \x20 n2 [label=\"RM-B/B1 (released)\"];\n\
         \x20 n3 [label=\"gtin:09506000134352/F1 (released)\"];\n\
         \x20 n4 [label=\"gtin:09506000134352/F2 (on hold)\"];\n\
         \x20 n1 -> n0 [label=\"WO-1\"];\n\
         \x20 n2 -> n0 [label=\"WO-1\"];\n\
         \x20 n0 -> n3 [label=\"WO-2\"];\n\
         \x20 n0 -> n4 [label=\"WO-3\"];\n}\n"
    );
    assert_eq!(
        g.to_mermaid(),
        "flowchart LR\n\
         \x20 n0[\"IM-M/M1\"]\n\
         \x20 n1[\"RM-A/A1 (released)\"]\n\
         \x20 n2[\"RM-B/B1 (released)\"]\n\
         \x20 n3[\"gtin:09506000134352/F1 (released)\"]\n\
         \x20 n4[\"gtin:09506000134352/F2 (on hold)\"]\n\
         \x20 n1 -->|\"WO-1\"| n0\n\
         \x20 n2 -->|\"WO-1\"| n0\n\
         \x20 n0 -->|\"WO-2\"| n3\n\
         \x20 n0 -->|\"WO-3\"| n4\n\
         \x20 style n0 stroke-width:3px\n"
    );
    let gens: Vec<_> = g.nodes.iter().map(|n| (n.lot.as_str(), n.generation)).collect();
    assert_eq!(gens, [("M1", 0), ("A1", -1), ("B1", -1), ("F1", 1), ("F2", 1)]);
    // F1: A1 feeds it directly and through M1.
    let g = query::genealogy(&ix, &fg("F1")).unwrap();
    assert_eq!(g.edges.len(), 4);
}
