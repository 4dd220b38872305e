//! Progress of an index build (issue 12 item 11): `cache::open_with_progress`
//! reports the bytes of segment files read against their total, within a
//! segment as well as at its end, and feeding a segment to the index in
//! chunks gives the same index as feeding it whole.
#![cfg(feature = "std")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use lotledger::file::{Durability, FileLedger, Options};
use lotledger::frame;
use lotledger::index::Index;
use lotledger::index::cache::{self, CacheMode};
use lotledger::query::{self, AuditFilter};

/// A 60,000-entry demo ledger (about 4.7 MB: more than one 4 MB chunk) on
/// disk, and the same ledger in memory.
fn ledger(dir: &std::path::Path) -> (lotledger::model::LedgerId, Vec<u8>) {
    let (id, bytes) = lotledger::demo::ledger(60_000);
    let mut l =
        FileLedger::create(dir, id, Options::new().durability(Durability::Buffered)).unwrap();
    let mut at = 0;
    while at < bytes.len() {
        let len = frame::parse(&bytes[at..]).unwrap().len;
        let _ = l.append_frame(&bytes[at..at + len]).unwrap();
        at += len;
    }
    l.close().unwrap();
    (id, bytes)
}

/// Appends the demo's entry 60,000 (which continues [`ledger`]'s chain).
fn append_one(dir: &std::path::Path) {
    let (_, bytes) = lotledger::demo::ledger(60_001);
    let mut at = 0;
    let mut last = 0;
    while at < bytes.len() {
        last = at;
        at += frame::parse(&bytes[at..]).unwrap().len;
    }
    let (mut l, _) =
        FileLedger::open(dir, Options::new().durability(Durability::Buffered)).unwrap();
    let _ = l.append_frame(&bytes[last..]).unwrap();
    l.close().unwrap();
}

fn files_len(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

// Guards the progress figures: they start at 0 of the total, rise, are
// reported within the segment (more than start and end), and end at the
// total, which is the size of the segment files.
#[test]
fn a_build_reports_bytes_read_against_the_total() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let (id, bytes) = ledger(&dir);
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let opened =
        cache::open_with_progress(&[&dir], CacheMode::Off, &mut |d, t| seen.push((d, t))).unwrap();
    let total = files_len(&dir);
    assert_eq!(seen.first(), Some(&(0, total)));
    assert_eq!(seen.last(), Some(&(total, total)));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0 && w[1].1 == total), "{seen:?}");
    let inside: Vec<_> = seen.iter().filter(|(d, _)| *d > 72 && *d < total).collect();
    assert!(!inside.is_empty(), "progress within the segment: {seen:?}");

    // The same index as the whole ledger fed at once.
    let whole = Index::from_ledgers([(id, bytes.as_slice())]).unwrap();
    let chunked = opened.index;
    assert_eq!(chunked.stats(), whole.stats());
    let all = AuditFilter::default();
    assert_eq!(query::audit_entries(&chunked, &all), query::audit_entries(&whole, &all));
    let number = "RC-2026-001".parse().unwrap();
    assert_eq!(
        serde_json::to_value(query::recall_by_number(&chunked, &number).unwrap()).unwrap(),
        serde_json::to_value(query::recall_by_number(&whole, &number).unwrap()).unwrap()
    );
    let (a, b) = (query::verification(&chunked), query::verification(&whole));
    assert_eq!((a.entries, a.ledgers[0].head), (b.entries, b.ledgers[0].head));
    // One segment file, listed once however many chunks it took.
    assert_eq!(a.ledgers[0].segments.len(), 1);
    assert_eq!(a.ledgers[0].segments[0].entries, 60_000);
}

// Guards the catch-up's figures: with a valid cache only the segment the
// new entries are in is read, and the figures end at its size; an
// unchanged ledger is not read at all (figures 0 of 0).
#[test]
fn a_catch_up_reports_the_segments_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    ledger(&dir);
    cache::open(&[&dir], CacheMode::Use).unwrap();
    let mut seen = Vec::new();
    let opened =
        cache::open_with_progress(&[&dir], CacheMode::Use, &mut |d, t| seen.push((d, t))).unwrap();
    assert!(matches!(opened.cache.unwrap().source, cache::Source::Cache { caught_up: 0, .. }));
    assert_eq!(seen.last(), Some(&(0, 0)), "{seen:?}");
    // One more entry: the last segment is read again, to its end.
    append_one(&dir);
    seen.clear();
    let opened =
        cache::open_with_progress(&[&dir], CacheMode::Use, &mut |d, t| seen.push((d, t))).unwrap();
    assert!(matches!(opened.cache.unwrap().source, cache::Source::Cache { caught_up: 1, .. }));
    let (done, total) = *seen.last().unwrap();
    assert_eq!(done, total, "{seen:?}");
    assert!(total > 0 && total <= files_len(&dir), "{seen:?}");
}
