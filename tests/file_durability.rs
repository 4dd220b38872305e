//! What each durability mode acknowledges, call by call: an entry is
//! reported durable only after a sync covering it returned, the durable
//! head never runs ahead of the head or goes back, and `sync`, `flush`,
//! `sync_if_due`, `close` and drop do what docs/STORAGE.md says.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod file_common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use file_common::{Reference, assert_prefix, read_all};
use lotledger::file::{Durability, FileLedger, LedgerReader, Options, SegmentFile};
use lotledger::model::LedgerId;

fn reference() -> Reference {
    Reference::new(LedgerId([0xdd; 16]), 61, 60)
}

#[test]
fn sync_each_acknowledges_every_append() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let mut l = FileLedger::create(dir.path(), r.id, Options::new()).unwrap();
    for (i, (s, rec)) in r.items.iter().enumerate() {
        let a = l.append(s, rec).unwrap();
        assert!(a.durable);
        assert_eq!(a.durable_head, r.head(i + 1));
        assert_eq!(l.durable_head(), l.head());
    }
}

#[test]
fn group_commit_in_the_foreground_syncs_every_n_entries() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new()
        .durability(Durability::GroupCommit { entries: 5, millis: 0 })
        .background_sync(false);
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    for (i, (s, rec)) in r.items.iter().take(23).enumerate() {
        let a = l.append(s, rec).unwrap();
        let synced = (i + 1) / 5 * 5;
        assert_eq!(a.durable, (i + 1) % 5 == 0, "entry {i}");
        assert_eq!(a.durable_head, r.head(synced), "entry {i}");
    }
    assert_eq!(l.sync().unwrap(), r.head(23));
    assert_eq!(l.durable_head(), r.head(23));
}

#[test]
fn group_commit_in_the_background_never_claims_too_much() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new().durability(Durability::GroupCommit { entries: 4, millis: 0 });
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    let mut last = 0;
    for (i, (s, rec)) in r.items.iter().enumerate() {
        let a = l.append(s, rec).unwrap();
        let d = a.durable_head.next_seq;
        assert!(d <= i as u64 + 1 && d >= last, "entry {i}: durable head {d}, before {last}");
        assert_eq!(a.durable_head, r.head(d as usize));
        assert_eq!(a.durable, a.receipt.seq < d);
        // Never more than 64 groups behind.
        assert!(i as u64 + 1 - d <= 64 * 4 + 4, "entry {i}: {d} durable");
        last = d;
    }
    assert_eq!(l.sync().unwrap(), r.head(60));
    assert_eq!(l.durable_head(), l.head());
}

/// A segment file whose syncs take 5 ms.
#[derive(Debug)]
struct SlowDisk(std::fs::File);

impl SegmentFile for SlowDisk {
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        std::io::Write::write_all(&mut self.0, bytes)
    }
    fn sync(&mut self) -> std::io::Result<()> {
        std::thread::sleep(Duration::from_millis(5));
        self.0.sync_data()
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.0.set_len(len)
    }
    fn duplicate(&self) -> std::io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(Self(self.0.try_clone()?)))
    }
}

#[test]
fn a_slow_disk_makes_the_appender_wait_after_64_groups() {
    let r = Reference::new(LedgerId([0xdf; 16]), 63, 400);
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new()
        .durability(Durability::GroupCommit { entries: 1, millis: 0 })
        .wrap_files(Arc::new(|f, _: &Path| -> Box<dyn SegmentFile> { Box::new(SlowDisk(f)) }));
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    let mut most_behind = 0;
    for (i, (s, rec)) in r.items.iter().enumerate() {
        let a = l.append(s, rec).unwrap();
        let behind = i as u64 + 1 - a.durable_head.next_seq;
        assert!(behind <= 65, "entry {i}: {behind} entries not durable");
        most_behind = most_behind.max(behind);
    }
    // Appending 400 entries takes far less than 400 syncs of 5 ms: groups
    // shared syncs and the appender ran ahead, up to the limit.
    assert!(most_behind > 1, "the appender never ran ahead of the disk");
    assert_eq!(l.close().unwrap(), r.head(400));
}

#[test]
fn buffered_flush_and_sync() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new().durability(Durability::Buffered);
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    for (s, rec) in &r.items[..30] {
        let a = l.append(s, rec).unwrap();
        assert!(!a.durable);
        assert_eq!(a.durable_head, r.head(0));
    }
    // Nothing handed to the OS yet: readers see nothing.
    assert_eq!(LedgerReader::open(dir.path()).unwrap().verify().unwrap().entries, 0);
    // flush: visible to readers, still not durable.
    assert_eq!(l.flush().unwrap(), r.head(30));
    assert_eq!(l.durable_head(), r.head(0));
    assert_eq!(LedgerReader::open(dir.path()).unwrap().verify().unwrap().head, r.head(30));
    assert_eq!(l.sync().unwrap(), r.head(30));
    assert_eq!(l.durable_head(), r.head(30));
    for (s, rec) in &r.items[30..] {
        let _ = l.append(s, rec).unwrap();
    }
    assert_eq!(l.close().unwrap(), r.head(60));
    assert_prefix(&read_all(dir.path()), &r, "after close");
}

/// A clock the test steps forward by hand: `Instant` at creation plus the
/// offset set so far.
fn stepped_clock() -> (lotledger::file::Clock, Arc<AtomicU64>) {
    let start = Instant::now();
    let offset = Arc::new(AtomicU64::new(0));
    let theirs = Arc::clone(&offset);
    let clock: lotledger::file::Clock =
        Arc::new(move || start + Duration::from_millis(theirs.load(Ordering::SeqCst)));
    (clock, offset)
}

/// Guards the time limit of group commit, with the time stepped by an
/// injected clock rather than slept: `sync_if_due(now)` syncs only once
/// `millis` have passed since the last sync (not 1 ms before), and the first
/// append after the limit syncs while one just before it does not.
#[test]
fn the_time_limit_is_checked_by_sync_if_due_and_on_append() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let (clock, offset) = stepped_clock();
    let at = |ms: u64| {
        offset.store(ms, Ordering::SeqCst);
        clock()
    };
    let options = Options::new()
        .durability(Durability::GroupCommit { entries: u32::MAX, millis: 20 })
        .background_sync(false)
        .clock(Arc::clone(&clock));
    // Created at 0 ms: the last sync is at 0.
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    let _ = l.append(&r.items[0].0, &r.items[0].1).unwrap();
    assert_eq!(l.sync_if_due(at(19)).unwrap(), r.head(0), "19 ms: not due");
    assert_eq!(l.sync_if_due(at(20)).unwrap(), r.head(1), "20 ms: due");
    // The last sync is now at 20 ms (read from the clock when it ran).
    let a = l.append(&r.items[1].0, &r.items[1].1).unwrap();
    assert!(!a.durable);
    offset.store(39, Ordering::SeqCst);
    let a = l.append(&r.items[2].0, &r.items[2].1).unwrap();
    assert!(!a.durable, "19 ms after the last sync the append does not sync");
    offset.store(40, Ordering::SeqCst);
    let a = l.append(&r.items[3].0, &r.items[3].1).unwrap();
    assert!(a.durable, "the first append at the time limit syncs");
    assert_eq!(a.durable_head, r.head(4));
    // Nothing waiting: a due timer does not sync (the durable head stays).
    assert_eq!(l.sync_if_due(at(1_000)).unwrap(), r.head(4));
}

/// Guards that `sync_if_due` never syncs without a time limit (`millis: 0`),
/// however late the timer fires.
#[test]
fn sync_if_due_without_a_time_limit_never_syncs() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let (clock, offset) = stepped_clock();
    let options = Options::new()
        .durability(Durability::GroupCommit { entries: u32::MAX, millis: 0 })
        .background_sync(false)
        .clock(Arc::clone(&clock));
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    let _ = l.append(&r.items[0].0, &r.items[0].1).unwrap();
    offset.store(86_400_000, Ordering::SeqCst);
    assert_eq!(l.sync_if_due(clock()).unwrap(), r.head(0));
    assert_eq!(l.sync().unwrap(), r.head(1));
}

#[test]
fn drop_syncs_and_segments_rotate() {
    let r = Reference::new(LedgerId([0xde; 16]), 62, 400);
    let dir = tempfile::tempdir().unwrap();
    let options =
        Options::new().durability(Durability::Buffered).segment_size(Options::MIN_SEGMENT_SIZE);
    let mut l = FileLedger::create(dir.path(), r.id, options).unwrap();
    for (s, rec) in &r.items {
        let _ = l.append(s, rec).unwrap();
    }
    drop(l);
    let (_, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
    assert_eq!(report.head, r.head(400));
    assert!(report.segments >= 5, "{} segments", report.segments);
    let entries = read_all(dir.path());
    assert_prefix(&entries, &r, "after drop");
    // Each segment is named after its first entry and starts where the last ended.
    let mut starts: Vec<u64> = entries.iter().map(|e| e.segment).collect();
    starts.dedup();
    assert_eq!(starts.len(), report.segments);
    for s in starts {
        assert!(entries.iter().any(|e| e.header.seq == s && e.segment == s));
    }
}
