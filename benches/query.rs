//! Index build, trace and recall on the demo plant at 1 million entries.
//! The index's heap size per entry (from a counting allocator) is printed
//! before the benchmarks run.
//!
//! ```text
//! cargo bench --bench query
//! ```
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use std::alloc;
use std::hint::black_box;
use std::time::Duration;

use cap::Cap;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lotledger::index::Index;
use lotledger::model::{Code, LotId, Record, Timestamp};
use lotledger::query::{self, AuditFilter};

#[global_allocator]
static ALLOCATOR: Cap<alloc::System> = Cap::new(alloc::System, usize::MAX);

const ENTRIES: usize = 1_000_000;

/// A raw-material lot received half way through the ledger.
fn middle_raw_lot(index: &Index, bytes: &[u8]) -> LotId {
    let report = query::verification(index);
    let l = &report.ledgers[0];
    let mid = Timestamp((l.first_time.unwrap().0 + l.last_time.unwrap().0) / 2);
    let filter = AuditFilter {
        kind: Some("material_received".into()),
        from: Some(mid),
        limit: Some(1),
        ..AuditFilter::default()
    };
    let row = &query::audit_entries(index, &filter)[0];
    let frame = lotledger::frame::parse(&bytes[row.offset as usize..]).unwrap();
    match lotledger::entry::decode(frame.body).unwrap().1 {
        Record::MaterialReceived(r) => r.lot,
        other => panic!("not a receipt: {other:?}"),
    }
}

fn benches(c: &mut Criterion) {
    let (id, bytes) = lotledger::demo::ledger(ENTRIES);
    let before = ALLOCATOR.allocated();
    let mut index = Index::new();
    index.ingest_bytes(&id, &bytes).unwrap();
    let heap = ALLOCATOR.allocated() - before;
    println!(
        "index of {ENTRIES} entries: {heap} bytes on the heap, {:.1} bytes/entry",
        heap as f64 / ENTRIES as f64
    );

    let mut g = c.benchmark_group("index");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.bench_function("open_and_index_1M", |b| {
        b.iter(|| {
            let mut ix = Index::new();
            ix.ingest_bytes(&id, black_box(&bytes)).unwrap();
            ix
        });
    });
    g.finish();

    let lot = middle_raw_lot(&index, &bytes);
    let mut g = c.benchmark_group("query_1M");
    g.bench_function("trace_forward_and_backward_raw_lot", |b| {
        b.iter(|| {
            let f = query::trace_forward(&index, black_box(&lot)).unwrap();
            let k = query::trace_backward(&index, black_box(&lot)).unwrap();
            (f, k)
        });
    });
    let recall = Code::<24>::new("RC-2026-001").unwrap();
    g.bench_function("recall_report_RC-2026-001", |b| {
        b.iter(|| query::recall_by_number(&index, black_box(&recall)).unwrap());
    });
    g.bench_function("recall_report_raw_lot", |b| {
        b.iter(|| query::recall(&index, std::slice::from_ref(black_box(&lot))).unwrap());
    });
    let rc = query::ResponseCommitments::default();
    let filter = query::ComplaintFilter { overdue: true, ..query::ComplaintFilter::default() };
    g.bench_function("overdue_complaints", |b| {
        b.iter(|| query::complaints(&index, black_box(&filter), &rc, Timestamp(i64::MAX / 2)));
    });
    g.finish();
}

criterion_group!(query_benches, benches);
criterion_main!(query_benches);
