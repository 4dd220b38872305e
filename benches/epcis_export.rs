//! EPCIS export (with the CBV 2.0 event hash of every event), import of the
//! export, and the FSMA 204 rows, over the first 2,000 entries of the demo
//! plant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lotledger::chain::{Anchor, Verifier};
use lotledger::interop::epcis::event_hash::Canonicalizer;
use lotledger::interop::epcis::{ExportOptions, ImportOptions, export, import, ledger_entries};
use lotledger::interop::fsma::{Table, rows, write_csv};
use lotledger::interop::scope::{Corrections, Scope};
use lotledger::model::{PartyId, Timestamp};

const N: usize = 2000;

fn bench(c: &mut Criterion) {
    let (id, bytes) = lotledger::demo::ledger(N);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    let exported = export(entries.clone(), &options);
    let doc = serde_json::to_vec(&exported.document).unwrap();
    let events = exported.document["epcisBody"]["eventList"].as_array().unwrap().clone();

    let mut g = c.benchmark_group("epcis");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("export_2000_entries", |b| b.iter(|| export(entries.clone(), &options)));
    g.bench_function("event_hash_2000_events", |b| {
        let canon = Canonicalizer::for_document(&exported.document);
        b.iter(|| events.iter().map(|e| canon.event_hash(e).unwrap().len()).sum::<usize>());
    });
    let import_options = ImportOptions::new(
        PartyId::Internal("P".parse().unwrap()),
        "bench".parse().unwrap(),
        "BENCH".parse().unwrap(),
        Timestamp(0),
    );
    g.bench_function("import_2000_events", |b| b.iter(|| import(&doc, &import_options).unwrap()));
    g.bench_function("fsma_csv_2000_entries", |b| {
        b.iter(|| {
            let r = rows(
                &id,
                entries.iter().map(|(h, d, r)| (h, d, r)),
                &Scope::all(),
                &Corrections::none(),
            );
            let mut out = Vec::with_capacity(1 << 20);
            write_csv(&mut out, &Table::fsma(&r), true).unwrap();
            out.len()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
