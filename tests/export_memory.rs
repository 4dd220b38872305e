//! The streaming exports keep their memory bounded: exporting a ledger
//! whose decoded entries alone would take far more than the bound stays
//! under it. A counting allocator (`cap`) refuses any allocation past the
//! bound, which aborts this test binary, so holding the ledger fails it.
//!
//! Guards issue 12 item 1: every entry used to be decoded into a list
//! before the scope filter, and the whole EPCIS document built in memory
//! before it was printed (15 GB at 1,000,000 entries).
#![cfg(feature = "std")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

use std::alloc::System;
use std::io::{self, Write};

use cap::Cap;
use lotledger::chain::{Anchor, Verifier};
use lotledger::index::Index;
use lotledger::interop::epcis::{ExportOptions, Plan};
use lotledger::interop::fsma;
use lotledger::interop::scope::{Corrections, Selector};
use lotledger::model::Timestamp;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Entries in the ledger: their decoded records alone take well over
/// `BOUND` (a `Record` is about 300 bytes before any heap data).
const ENTRIES: usize = 20_000;
/// What an export may allocate beyond what was allocated before it.
const BOUND: usize = 2 << 20;

/// Counts what it is given, like /dev/null with a meter.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn epcis_and_csv_exports_stream_in_bounded_memory() {
    let (id, bytes) = lotledger::demo::ledger(ENTRIES);
    let mut index = Index::new();
    index.ingest_bytes(&id, &bytes).unwrap();
    let corrections = Corrections::from_index(&index);
    drop(index);
    assert!(corrections.voided() > 0, "the demo ledger has corrections in force");
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.corrections = corrections;
    let entries = || Verifier::new(&bytes, Anchor::genesis(&id)).map(Result::unwrap);

    ALLOCATOR.set_limit(ALLOCATOR.allocated() + BOUND).unwrap();
    // EPCIS: both passes.
    let mut plan = Plan::new(&options);
    for v in entries() {
        plan.observe(&id, &v.header, &v.hash, &v.record().unwrap());
    }
    let mut writer = plan.writer(io::BufWriter::new(Counter(0))).unwrap();
    for v in entries() {
        writer.write(&id, &v.header, &v.hash, &v.record().unwrap()).unwrap();
    }
    let events = writer.events();
    let written = writer.finish().unwrap().into_inner().ok().unwrap().0;
    // The FSMA spreadsheet, row by row.
    let mut selector = Selector::new(&options.scope, &options.corrections);
    let mut out = io::BufWriter::new(Counter(0));
    let mut rows = 0;
    for v in entries() {
        let record = v.record().unwrap();
        if selector.select(&id, v.header.seq, v.header.time, &record)
            && !options.corrections.is_void(&id, v.header.seq)
        {
            for row in fsma::entry_rows(&id, &v.header, &v.hash, &record) {
                fsma::write_row(&mut out, &row.cells(), true).unwrap();
                rows += 1;
            }
        }
    }
    out.flush().unwrap();
    ALLOCATOR.set_limit(usize::MAX).unwrap();

    // The exports did their work: every entry an event, many rows, and far
    // more bytes written than the bound.
    assert_eq!(events, ENTRIES as u64);
    assert!(rows > ENTRIES / 10, "{rows}");
    assert!(written > 4 * BOUND as u64, "{written}");
}
