//! The figures at scale: open + index throughput, index memory per entry
//! (counted by a counting global allocator), and median trace and recall
//! times on the demo plant's ledger.
//!
//! ```text
//! cargo run --release --example query_scale -- 10000000
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::print_stdout,
    clippy::panic,
    missing_docs
)]

use std::alloc;
use std::time::{Duration, Instant};

use cap::Cap;
use lotledger::index::Index;
use lotledger::model::{Code, Record, Timestamp};
use lotledger::query::{self, AuditFilter};

#[global_allocator]
static ALLOCATOR: Cap<alloc::System> = Cap::new(alloc::System, usize::MAX);

/// CPU time of this thread so far (Linux), to tell work from waiting on a
/// busy machine; `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let t = Instant::now();
    let (id, bytes) = lotledger::demo::ledger(n);
    println!(
        "demo ledger: {n} entries, {} bytes ({:.1} bytes/entry), written in {:.1?}",
        bytes.len(),
        bytes.len() as f64 / n as f64,
        t.elapsed()
    );

    let cpu = cpu_time();
    let t = Instant::now();
    let report = lotledger::chain::verify(&bytes, lotledger::chain::Anchor::genesis(&id)).unwrap();
    if let (Some(a), Some(b)) = (cpu, cpu_time()) {
        println!(
            "chain verification alone (for comparison): {:.2?} wall, {:.2?} CPU for {} entries",
            t.elapsed(),
            b - a,
            report.entries
        );
    }

    let before = ALLOCATOR.allocated();
    let t = Instant::now();
    let cpu = cpu_time();
    let mut index = Index::new();
    index.ingest_bytes(&id, &bytes).expect("demo ledger verifies");
    let took = t.elapsed();
    if let (Some(a), Some(b)) = (cpu, cpu_time()) {
        let busy = b - a;
        println!(
            "open + index: {busy:.2?} CPU on this thread while verification runs on a second ({:.0} entries per CPU-second here)",
            index.entries() as f64 / busy.as_secs_f64()
        );
    }
    let heap = ALLOCATOR.allocated() - before;
    println!(
        "open + index: {:.2?}, {:.0} entries/s",
        took,
        index.entries() as f64 / took.as_secs_f64()
    );
    println!(
        "index memory: {} bytes, {:.1} bytes/entry; {:?}",
        heap,
        heap as f64 / index.entries() as f64,
        index.stats()
    );

    // A raw-material lot received half way through the ledger, read back
    // from the ledger by the offset the index keeps.
    let report = query::verification(&index);
    let l = &report.ledgers[0];
    let mid = Timestamp((l.first_time.unwrap().0 + l.last_time.unwrap().0) / 2);
    let filter = AuditFilter {
        kind: Some("material_received".into()),
        from: Some(mid),
        limit: Some(1),
        ..AuditFilter::default()
    };
    let row = &query::audit_entries(&index, &filter)[0];
    let frame = lotledger::frame::parse(&bytes[row.offset as usize..]).unwrap();
    let (_, record) = lotledger::entry::decode(frame.body).unwrap();
    let Record::MaterialReceived(received) = record else { panic!("not a receipt") };
    let lot = received.lot;

    let mut traces = Vec::new();
    let (mut fwd_lots, mut ships, mut back_lots) = (0, 0, 0);
    for _ in 0..51 {
        let t = Instant::now();
        let f = query::trace_forward(&index, &lot).unwrap();
        let b = query::trace_backward(&index, &lot).unwrap();
        traces.push(t.elapsed());
        (fwd_lots, ships, back_lots) = (f.lots.len(), f.shipments.len(), b.lots.len());
    }
    println!(
        "trace forward + backward of {lot}: median {:.3?} ({fwd_lots} lots forward, {ships} shipments, {back_lots} lots back)",
        median(traces)
    );

    let recall_no: Code<24> = Code::new("RC-2026-001").unwrap();
    let mut recalls = Vec::new();
    let (mut lots, mut customers) = (0, 0);
    for _ in 0..21 {
        let t = Instant::now();
        let r = query::recall_by_number(&index, &recall_no).unwrap();
        recalls.push(t.elapsed());
        (lots, customers) = (r.lots.len(), r.customers.len());
    }
    println!(
        "recall report RC-2026-001: median {:.3?} ({lots} lots, {customers} customers)",
        median(recalls)
    );
    let recall = query::recall(&index, std::slice::from_ref(&lot)).unwrap();
    let mut recalls = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let _ = query::recall(&index, std::slice::from_ref(&lot)).unwrap();
        recalls.push(t.elapsed());
    }
    println!(
        "recall report for {lot}: median {:.3?} ({} lots, {} customers)",
        median(recalls),
        recall.lots.len(),
        recall.customers.len()
    );
}
