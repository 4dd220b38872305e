//! One writer at a time, any number of readers: a second writer gets
//! `Error::Locked` until the first is gone, and readers reading while the
//! writer appends and rotates segments always see a verified prefix of
//! what was appended, never an error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod file_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use file_common::{Reference, assert_prefix, cases, read_all};
use lotledger::file::{Durability, Error, FileLedger, LedgerReader, Options};
use lotledger::model::LedgerId;

#[test]
fn a_second_writer_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let first = FileLedger::create(dir.path(), LedgerId([0xa1; 16]), Options::new()).unwrap();
    let err = FileLedger::open(dir.path(), Options::new()).unwrap_err();
    assert!(matches!(&err, Error::Locked { dir: d } if d == dir.path()), "{err}");
    assert!(err.to_string().contains("locked by another writer"));
    let err = FileLedger::create(dir.path(), LedgerId([0xa1; 16]), Options::new()).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    // Readers are not blocked by the lock.
    assert_eq!(LedgerReader::open(dir.path()).unwrap().verify().unwrap().entries, 0);
    drop(first);
    let (_, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
    assert_eq!(report.entries, 0);
}

#[test]
fn readers_see_a_verified_prefix_while_the_writer_appends() {
    let n = cases(3_000, 30_000);
    let reference = Arc::new(Reference::new(LedgerId([0xa2; 16]), 51, n));
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new()
        .segment_size(16 << 10)
        .buffer_size(700) // writes of a few frames, often cut mid-frame for a reader
        .durability(Durability::GroupCommit { entries: 64, millis: 0 });
    let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (dir, done, reference) =
                (dir.path().to_path_buf(), Arc::clone(&done), Arc::clone(&reference));
            std::thread::spawn(move || {
                let mut reads = 0;
                let mut last = 0;
                while !done.load(Ordering::Relaxed) {
                    let entries: Vec<_> = LedgerReader::open(&dir)
                        .unwrap()
                        .entries()
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap_or_else(|e| panic!("a reader saw an error: {e}"));
                    assert_prefix(&entries, &reference, "concurrent read");
                    assert!(entries.len() >= last, "a reader saw the ledger shrink");
                    last = entries.len();
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for (s, r) in &reference.items {
        let _ = ledger.append(s, r).unwrap();
    }
    ledger.close().unwrap();
    done.store(true, Ordering::Relaxed);
    let reads: usize = readers.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(reads > 0);
    let entries = read_all(dir.path());
    assert_eq!(entries.len(), n);
    assert_prefix(&entries, &reference, "final");
    println!("concurrent readers: {reads} full reads during {n} appends");
}
