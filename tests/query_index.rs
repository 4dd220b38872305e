//! Feeding the index: entries must continue each ledger where the index
//! stands; records it cannot read are indexed as entries and reported,
//! never a panic; ledgers may start after genesis.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

mod query_plant;

use lotledger::chain::{Anchor, Verifier};
use lotledger::entry::{self, FORMAT_VERSION, Header, PrevLink};
use lotledger::frame::{self, MAX_LEN_PREFIX};
use lotledger::index::{Index, IngestError, ProblemKind};
use lotledger::model::{LedgerId, Timestamp};
use lotledger::query::{self, AuditFilter};
use query_plant::*;

#[test]
fn entries_must_continue_the_ledger() {
    let p = standard();
    let (id, bytes) = (p.id(DOCK), p.bytes(DOCK));
    let entries: Vec<_> =
        Verifier::new(bytes, Anchor::genesis(&id)).collect::<Result<_, _>>().unwrap();
    let mut ix = Index::new();
    ix.ingest(&id, &entries[0]).unwrap();
    // Skipping one.
    let err = ix.ingest(&id, &entries[2]).unwrap_err();
    assert_eq!(err, IngestError::NotNext { ledger: id, expected: 1, found: 2 });
    // The same entry twice.
    assert!(matches!(ix.ingest(&id, &entries[0]), Err(IngestError::NotNext { .. })));
    ix.ingest(&id, &entries[1]).unwrap();
    assert_eq!(ix.entries(), 2);
    // Entry 2 of another ledger with the same numbering does not link here.
    let other = p.id(LINE);
    let line: Vec<_> =
        Verifier::new(p.bytes(LINE), Anchor::genesis(&other)).collect::<Result<_, _>>().unwrap();
    assert_eq!(ix.ingest(&id, &line[2]).unwrap_err(), IngestError::Forked { ledger: id, seq: 2 });
    assert_eq!(ix.entries(), 2);
    assert!(err.to_string().contains("expected entry 1, got entry 2"));
    // Fed from bytes, the rest follows on.
    let mut ix2 = Index::new();
    for e in &entries {
        ix2.ingest(&id, e).unwrap();
    }
    assert_eq!(ix2.head(&id), Some(p.ledgers[DOCK].1.head()));
}

#[test]
fn tampered_bytes_stop_ingest_where_they_fail() {
    let p = standard();
    let (id, mut bytes) = (p.id(SALES), p.bytes(SALES).to_vec());
    let third =
        Verifier::new(&bytes, Anchor::genesis(&id)).nth(2).unwrap().unwrap().offset as usize;
    bytes[third + 5] ^= 1;
    let mut ix = Index::new();
    let err = ix.ingest_bytes(&id, &bytes).unwrap_err();
    let IngestError::Chain { failure, .. } = err else { panic!("{err:?}") };
    assert_eq!((failure.seq, failure.offset), (2, third as u64));
    assert_eq!(ix.entries(), 2, "the entries before the damage are indexed");
}

#[test]
fn a_ledger_may_start_after_genesis() {
    let p = standard();
    let (id, bytes) = (p.id(LINE), p.bytes(LINE));
    let entries: Vec<_> =
        Verifier::new(bytes, Anchor::genesis(&id)).collect::<Result<_, _>>().unwrap();
    let start = Anchor { next_seq: 4, head: entries[3].hash };
    let mut ix = Index::new();
    ix.add_ledger(&id, start).unwrap();
    ix.add_ledger(&id, start).unwrap();
    assert_eq!(
        ix.add_ledger(&id, Anchor::genesis(&id)),
        Err(IngestError::StartConflict { ledger: id })
    );
    let tail = &bytes[entries[4].offset as usize..];
    assert_eq!(ix.ingest_segment(&id, "tail", tail).unwrap(), 6);
    let rows = query::audit_entries(&ix, &AuditFilter::default());
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), (4..10).collect::<Vec<_>>());
    let v = query::verification(&ix);
    assert_eq!(v.ledgers[0].start, start);
    assert_eq!(v.ledgers[0].head, p.ledgers[LINE].1.head());
}

/// A verified entry whose record is `record_bytes` (kind varint first).
fn raw_entry(id: &LedgerId, record_bytes: &[u8]) -> Vec<u8> {
    let genesis = entry::genesis(id);
    let header = Header {
        version: FORMAT_VERSION,
        seq: 0,
        time: Timestamp(T0),
        link: PrevLink::of(&genesis),
        actor: "newer".parse().unwrap(),
        station: "DEVICE-9".parse().unwrap(),
    };
    let mut body = postcard::to_allocvec(&header).unwrap();
    body.extend_from_slice(record_bytes);
    let mut buf = vec![0u8; MAX_LEN_PREFIX];
    buf.extend_from_slice(&body);
    buf.extend_from_slice(&[0; 4]);
    let range = frame::seal(&mut buf, body.len()).unwrap();
    buf[range].to_vec()
}

#[test]
fn unreadable_records_are_reported_not_fatal() {
    let id = LedgerId([42; 16]);
    // Kind 99: written by a newer version.
    let mut ix = Index::new();
    assert_eq!(ix.ingest_bytes(&id, &raw_entry(&id, &[99, 1, 2, 3])).unwrap(), 1);
    assert_eq!(ix.problems()[0].kind, ProblemKind::UnknownKind);
    assert_eq!(query::audit_entries(&ix, &AuditFilter::default())[0].kind, "unknown");
    // Kind 5 (shipped) with bytes that are no shipment.
    let id2 = LedgerId([43; 16]);
    assert_eq!(ix.ingest_bytes(&id2, &raw_entry(&id2, &[5, 0xff, 0xff])).unwrap(), 1);
    assert_eq!(ix.problems()[1].kind, ProblemKind::Undecodable);
    let rows =
        query::audit_entries(&ix, &AuditFilter { ledger: Some(id2), ..AuditFilter::default() });
    assert_eq!((rows[0].kind, rows[0].actor.as_str()), ("undecodable", "newer"));
    assert_eq!(ix.entries(), 2);
    assert_eq!(ix.ledgers().count(), 2);
}

#[test]
fn a_large_tampered_ledger_stops_where_it_fails() {
    // Over 1 MiB: verified on a second thread while indexed on this one.
    let (id, mut bytes) = lotledger::demo::ledger(20_000);
    assert!(bytes.len() > 1 << 20);
    let at =
        Verifier::new(&bytes, Anchor::genesis(&id)).nth(12_345).unwrap().unwrap().offset as usize;
    bytes[at + 3] ^= 0x40;
    let mut ix = Index::new();
    let err = ix.ingest_bytes(&id, &bytes).unwrap_err();
    let IngestError::Chain { failure, .. } = err else { panic!("{err:?}") };
    assert_eq!((failure.seq, failure.offset), (12_345, at as u64));
    assert_eq!(ix.entries(), 12_345);
    assert_eq!(ix.head(&id).unwrap().next_seq, 12_345);
    let v = query::verification(&ix);
    assert_eq!((v.ledgers[0].segments[0].entries, v.ledgers[0].bytes), (12_345, at as u64));
}

#[test]
fn interleaved_ledgers_from_any_source() {
    let p = standard();
    let dock: Vec<_> =
        Verifier::new(p.bytes(DOCK), Anchor::genesis(&p.id(DOCK))).map(Result::unwrap).collect();
    let line: Vec<_> =
        Verifier::new(p.bytes(LINE), Anchor::genesis(&p.id(LINE))).map(Result::unwrap).collect();
    let sales: Vec<_> =
        Verifier::new(p.bytes(SALES), Anchor::genesis(&p.id(SALES))).map(Result::unwrap).collect();
    // Round robin over the three ledgers.
    let mut feed = Vec::new();
    for i in 0..10 {
        for (l, list) in [(DOCK, &dock), (LINE, &line), (SALES, &sales)] {
            if let Some(v) = list.get(i) {
                feed.push((p.id(l), v.clone()));
            }
        }
    }
    let mut ix = Index::new();
    assert_eq!(ix.ingest_all(feed).unwrap(), 23);
    let bulk = p.index();
    assert_eq!(ix.stats(), bulk.stats());
    let a1 = lot("RM-A", "A1");
    let (mut f, mut g) =
        (query::trace_forward(&ix, &a1).unwrap(), query::trace_forward(&bulk, &a1).unwrap());
    // Same answer; only the shipment order follows ingestion order, which is ledger order here too.
    f.shipments.sort_by_key(|s| (s.ledger(), s.seq()));
    g.shipments.sort_by_key(|s| (s.ledger(), s.seq()));
    assert_eq!(f, g);
    assert_eq!(query::recall(&ix, std::slice::from_ref(&a1)).unwrap().customer_lots.len(), 3);
    let rows = query::audit_entries(
        &ix,
        &AuditFilter { ledger: Some(p.id(SALES)), ..AuditFilter::default() },
    );
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), (0..7).collect::<Vec<_>>());
}

#[test]
fn a_ledger_shorter_than_indexed_is_refused() {
    let p = standard();
    let (id, bytes) = (p.id(SALES), p.bytes(SALES));
    let mut ix = Index::new();
    ix.ingest_bytes(&id, bytes).unwrap();
    let cut = &bytes[..bytes.len() - 10];
    let err = ix.ingest_bytes(&id, cut).unwrap_err();
    assert_eq!(
        err,
        IngestError::Shrunk { ledger: id, indexed: bytes.len() as u64, found: cut.len() as u64 }
    );
    assert!(err.to_string().contains("truncated or rolled back"));
    // The same bytes again add nothing; bytes from another ledger after
    // them do not continue this chain.
    assert_eq!(ix.ingest_bytes(&id, bytes).unwrap(), 0);
    let mut spliced = bytes.to_vec();
    spliced.extend_from_slice(p.bytes(LINE));
    assert!(matches!(ix.ingest_bytes(&id, &spliced), Err(IngestError::Chain { .. })));
    assert_eq!(ix.head(&id), Some(p.ledgers[SALES].1.head()));
}
