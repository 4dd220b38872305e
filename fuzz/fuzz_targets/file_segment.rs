//! Arbitrary bytes as the last segment of a ledger directory, after a valid
//! first segment: reading and recovering must never panic, and whatever the
//! writer recovers must then read back without an error and with the same
//! head (recovery leaves a ledger that verifies).
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use lotledger::file::{FileLedger, LedgerReader, Options, segment};

static RUN: AtomicU64 = AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!(
        "lotledger-fuzz-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The fuzzer's bytes, as segment 0 directly, or after a real header.
    let mut bytes = Vec::new();
    if data.first().is_some_and(|b| b & 1 == 1) {
        let id = lotledger::model::LedgerId([7; 16]);
        let header = segment::SegmentHeader::new(id, lotledger::chain::Anchor::genesis(&id));
        bytes.extend_from_slice(&header.encode());
    }
    bytes.extend_from_slice(data.get(1..).unwrap_or_default());
    std::fs::write(dir.join(segment::file_name(0)), &bytes).unwrap();

    let read = LedgerReader::open(&dir).and_then(|r| r.verify());
    if let Ok((ledger, report)) = FileLedger::open(&dir, Options::new()) {
        drop(ledger);
        let after =
            LedgerReader::open(&dir).and_then(|r| r.verify()).expect("recovered ledger reads");
        assert_eq!(after.head, report.head);
        assert_eq!(after.tail_bytes, 0);
        if let Ok(before) = read {
            assert_eq!(before.head, report.head, "reader and recovery disagree");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
});
