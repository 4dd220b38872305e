//! The index and every query over entries whose records are arbitrary
//! bytes (each entry correctly framed and chained, so the bytes reach the
//! record decoders): ingest must never panic, every entry must be indexed
//! whether or not its record decodes, and no query may panic on what was
//! indexed.
//!
//! Input: a sequence of `len: u8, record bytes: len bytes` chunks; each
//! becomes one entry (kind varint first, then the record's fields).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::chain::Anchor;
use lotledger::entry::{self, FORMAT_VERSION, PrevLink};
use lotledger::frame::{self, MAX_LEN_PREFIX};
use lotledger::index::Index;
use lotledger::model::{Date, LedgerId, LotId, Record, Timestamp};
use lotledger::query;
use lotledger::varint;

fn push_varint(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; varint::MAX_LEN_U64];
    let n = varint::encode(v, &mut buf);
    out.extend_from_slice(&buf[..n]);
}

fn lots_of(record: &Record, out: &mut Vec<LotId>) {
    match record {
        Record::MaterialReceived(r) => out.push(r.lot.clone()),
        Record::Produced(p) => {
            out.extend(p.inputs.iter().chain(p.outputs.iter()).map(|q| q.lot.clone()))
        }
        Record::Shipped(s) => out.push(s.lot.clone()),
        Record::RecallOpened(r) => out.extend(r.lots.iter().cloned()),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let id = LedgerId([0x5a; 16]);
    let mut ledger = Vec::new();
    let mut head = Anchor::genesis(&id);
    let mut lots = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let take = usize::from(len).min(tail.len());
        let (record, next) = tail.split_at(take);
        rest = next;
        if record.is_empty() {
            continue;
        }
        let seq = head.next_seq;
        let time = 1_772_409_600_000i64 + (seq as i64) * 3_600_000;
        let mut body = vec![FORMAT_VERSION];
        push_varint(&mut body, seq);
        push_varint(&mut body, ((time << 1) ^ (time >> 63)) as u64);
        body.extend_from_slice(&PrevLink::of(&head.head).0);
        for text in ["fuzz", "F-1"] {
            push_varint(&mut body, text.len() as u64);
            body.extend_from_slice(text.as_bytes());
        }
        body.extend_from_slice(record);
        if body.len() > frame::MAX_BODY_LEN {
            break;
        }
        if let Ok(r) = entry::decode_record(record) {
            lots_of(&r, &mut lots);
        }
        let mut buf = vec![0u8; MAX_LEN_PREFIX];
        buf.extend_from_slice(&body);
        buf.extend_from_slice(&[0; 4]);
        let range = frame::seal(&mut buf, body.len()).expect("room for the frame");
        head = Anchor { next_seq: seq + 1, head: entry::hash(&head.head, &body) };
        ledger.extend_from_slice(&buf[range]);
    }

    let mut index = Index::new();
    let added = index.ingest_bytes(&id, &ledger).expect("a well-chained ledger always ingests");
    assert_eq!(added, head.next_seq, "every entry is indexed");
    assert_eq!(index.head(&id), Some(head));

    let _ = query::audit_entries(&index, &query::AuditFilter::default());
    let _ = query::corrections(&index);
    let _ = query::verification(&index);
    let rc = query::ResponseCommitments::default();
    for now in [Timestamp(i64::MIN), Timestamp(0), Timestamp(i64::MAX)] {
        let filter = query::ComplaintFilter { overdue: true, ..query::ComplaintFilter::default() };
        let _ = query::complaints(&index, &filter, &rc, now);
    }
    let _ = query::complaint_clusters(&index, &query::ClusterSpec { min: 1, window_ms: i64::MAX });
    let _ = query::complaint_counts(&index, None, None);
    let _ = query::expiring(&index, Date(i32::MAX), Some(Date(i32::MIN)));
    for lot in lots.iter().take(16) {
        let _ = query::trace_forward(&index, lot);
        let _ = query::trace_backward(&index, lot);
        let _ = query::recall(&index, std::slice::from_ref(lot));
        let _ = query::mass_balance(&index, lot);
        if let Ok(g) = query::genealogy(&index, lot) {
            let _ = (g.to_dot(), g.to_mermaid());
        }
    }
});
