//! I/O errors while appending (disk full with a partial write, write
//! error, failed sync, read-only file system, a rollback that fails too):
//! each is a typed error, no entry is acknowledged that is not stored, and
//! the ledger stays usable: appending continues from the durable head the
//! error names, and the finished ledger is exactly what was meant.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod file_common;

use std::fs::File;
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::{Arc, Mutex};

use file_common::{Reference, assert_prefix, read_all};
use lotledger::chain::Anchor;
use lotledger::demo::Rng;
use lotledger::file::{Durability, Error, FileLedger, LedgerReader, Options, SegmentFile};
use lotledger::model::LedgerId;

/// What the file system does wrong, and when.
#[derive(Debug, Default)]
struct Plan {
    /// Files cannot grow past this many bytes (writes past it are partial, then `StorageFull`).
    capacity: Option<u64>,
    /// Writes fail with this error (after writing half of their bytes).
    write_error: Option<io::ErrorKind>,
    /// Syncs fail.
    sync_error: bool,
    /// Every n-th sync fails (0: none).
    fail_every_nth_sync: u64,
    /// Syncs asked for.
    syncs: u64,
    /// Truncation fails.
    truncate_error: bool,
    /// Calls that failed.
    failures: u64,
}

#[derive(Debug)]
struct Faulty {
    inner: File,
    plan: Arc<Mutex<Plan>>,
}

impl SegmentFile for Faulty {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut plan = self.plan.lock().unwrap();
        let len = self.inner.metadata()?.len();
        if let Some(cap) = plan.capacity
            && len + bytes.len() as u64 > cap
        {
            let fits = cap.saturating_sub(len) as usize;
            self.inner.write_all(&bytes[..fits])?;
            plan.failures += 1;
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        if let Some(kind) = plan.write_error {
            self.inner.write_all(&bytes[..bytes.len() / 2])?;
            plan.failures += 1;
            return Err(io::Error::from(kind));
        }
        self.inner.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut plan = self.plan.lock().unwrap();
        plan.syncs += 1;
        let nth = plan.fail_every_nth_sync;
        if plan.sync_error || (nth > 0 && plan.syncs.is_multiple_of(nth)) {
            plan.failures += 1;
            return Err(io::Error::other("fsync: input/output error"));
        }
        self.inner.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let mut plan = self.plan.lock().unwrap();
        if plan.truncate_error {
            plan.failures += 1;
            return Err(io::Error::other("ftruncate: input/output error"));
        }
        self.inner.set_len(len)
    }

    fn duplicate(&self) -> io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(Faulty { inner: self.inner.try_clone()?, plan: Arc::clone(&self.plan) }))
    }
}

fn faulty(options: Options, plan: &Arc<Mutex<Plan>>) -> Options {
    let plan = Arc::clone(plan);
    options.wrap_files(Arc::new(move |file: File, _: &Path| -> Box<dyn SegmentFile> {
        Box::new(Faulty { inner: file, plan: Arc::clone(&plan) })
    }))
}

/// Appends all of `reference`, calling `weather` before each append to
/// change the plan. On a write failure it checks the error and re-appends
/// from the durable head it names. Returns the number of failures seen.
fn append_through(
    ledger: &mut FileLedger,
    reference: &Reference,
    plan: &Arc<Mutex<Plan>>,
    mut weather: impl FnMut(usize, &mut Plan),
    expect_kind: impl Fn(&io::Error) -> bool,
) -> usize {
    let mut durable = Anchor::genesis(&reference.id);
    let mut failures = 0;
    let mut next = 0;
    let mut attempts = 0;
    while next < reference.items.len() {
        attempts += 1;
        assert!(attempts < 20 * reference.items.len(), "no progress");
        weather(attempts, &mut plan.lock().unwrap());
        let (stamp, record) = &reference.items[next];
        match ledger.append(stamp, record) {
            Ok(a) => {
                assert_eq!(a.receipt, reference.receipts[next]);
                assert!(a.durable_head.next_seq >= durable.next_seq, "durable head went back");
                durable = a.durable_head;
                next += 1;
            }
            Err(Error::WriteFailed { source, durable: d, .. }) => {
                assert!(expect_kind(&source), "unexpected error {source}");
                // Nothing acknowledged durable is taken back.
                assert!(d.next_seq >= durable.next_seq, "durable head went back");
                assert_eq!(d, reference.head(d.next_seq as usize));
                assert_eq!(ledger.head(), d, "the writer continues from the durable head");
                assert_eq!(ledger.durable_head(), d);
                // What the file holds now is exactly the durable prefix.
                let entries = read_all(ledger.dir());
                assert_eq!(entries.len() as u64, d.next_seq);
                assert_prefix(&entries, reference, "after a failed write");
                durable = d;
                next = d.next_seq as usize;
                failures += 1;
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    failures
}

fn finish(mut ledger: FileLedger, reference: &Reference) {
    let mut tries = 0;
    let head = loop {
        match ledger.sync() {
            Ok(h) => break h,
            Err(e) => {
                tries += 1;
                assert!(tries < 3, "sync keeps failing: {e}");
            }
        }
    };
    assert_eq!(head, reference.head(reference.items.len()));
    let dir = ledger.dir().to_path_buf();
    drop(ledger);
    let (_, report) = FileLedger::open(&dir, Options::new()).unwrap();
    assert!(report.torn.is_none());
    assert_eq!(report.head, head);
    let entries = read_all(&dir);
    assert_eq!(entries.len(), reference.items.len());
    assert_prefix(&entries, reference, "finished ledger");
}

#[test]
fn disk_full_then_space_freed() {
    for background in [true, false] {
        let reference = Reference::new(LedgerId([0xd1; 16]), 21, 300);
        let plan = Arc::new(Mutex::new(Plan::default()));
        let dir = tempfile::tempdir().unwrap();
        let options = faulty(
            Options::new()
                .segment_size(8 << 10)
                .durability(Durability::GroupCommit { entries: 10, millis: 0 })
                .background_sync(background),
            &plan,
        );
        let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
        let mut rng = Rng::new(5);
        // Now and then the disk fills up to somewhere inside the next write.
        let failures = append_through(
            &mut ledger,
            &reference,
            &plan,
            |_, p| {
                p.capacity = if rng.chance(400) { Some(rng.between(1_000, 9_000)) } else { None };
            },
            |e| e.kind() == io::ErrorKind::StorageFull,
        );
        assert!(failures >= 3, "only {failures} failures injected");
        plan.lock().unwrap().capacity = None;
        finish(ledger, &reference);
    }
}

#[test]
fn write_errors_under_sync_each() {
    let reference = Reference::new(LedgerId([0xd2; 16]), 22, 120);
    let plan = Arc::new(Mutex::new(Plan::default()));
    let dir = tempfile::tempdir().unwrap();
    let options = faulty(Options::new().durability(Durability::SyncEach), &plan);
    let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
    let failures = append_through(
        &mut ledger,
        &reference,
        &plan,
        |i, p| p.write_error = (i % 7 == 3).then_some(io::ErrorKind::Other),
        |e| e.kind() == io::ErrorKind::Other,
    );
    assert!(failures >= 10);
    plan.lock().unwrap().write_error = None;
    finish(ledger, &reference);
}

#[test]
fn failed_sync_discards_what_it_did_not_make_durable() {
    for background in [true, false] {
        let reference = Reference::new(LedgerId([0xd3; 16]), 23, 1_000);
        let plan = Arc::new(Mutex::new(Plan::default()));
        let dir = tempfile::tempdir().unwrap();
        let options = faulty(
            Options::new()
                .durability(Durability::GroupCommit { entries: 8, millis: 0 })
                .background_sync(background),
            &plan,
        );
        let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
        // Every third sync fails, whichever thread runs it (the rollback's
        // own sync counts too). In the background, groups share syncs, so
        // fewer are run (how many depends on the disk's speed).
        plan.lock().unwrap().fail_every_nth_sync = 3;
        let failures = append_through(
            &mut ledger,
            &reference,
            &plan,
            |_, _| {},
            |e| e.to_string().contains("fsync"),
        );
        assert!(failures >= if background { 1 } else { 10 }, "only {failures} failures seen");
        plan.lock().unwrap().fail_every_nth_sync = 0;
        finish(ledger, &reference);
    }
}

#[test]
fn read_only_file_system_is_a_typed_error_and_the_ledger_stays_readable() {
    let reference = Reference::new(LedgerId([0xd4; 16]), 24, 40);
    let plan = Arc::new(Mutex::new(Plan::default()));
    let dir = tempfile::tempdir().unwrap();
    let options = faulty(Options::new().durability(Durability::SyncEach), &plan);
    let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
    for (s, r) in &reference.items[..20] {
        assert!(ledger.append(s, r).unwrap().durable);
    }
    plan.lock().unwrap().write_error = Some(io::ErrorKind::ReadOnlyFilesystem);
    let (s, r) = &reference.items[20];
    match ledger.append(s, r) {
        Err(Error::WriteFailed { source, durable, .. }) => {
            assert_eq!(source.kind(), io::ErrorKind::ReadOnlyFilesystem);
            assert_eq!(durable, reference.head(20));
        }
        other => panic!("expected a write failure, got {other:?}"),
    }
    // Readers still see every durable entry, and nothing else.
    let report = LedgerReader::open(dir.path()).unwrap().verify().unwrap();
    assert_eq!(report.head, reference.head(20));
    plan.lock().unwrap().write_error = None;
    for (s, r) in &reference.items[20..] {
        assert!(ledger.append(s, r).unwrap().durable);
    }
    finish(ledger, &reference);
}

#[test]
fn a_rollback_that_fails_poisons_the_writer_until_reopened() {
    let reference = Reference::new(LedgerId([0xd5; 16]), 25, 60);
    let plan = Arc::new(Mutex::new(Plan::default()));
    let dir = tempfile::tempdir().unwrap();
    let options = faulty(
        Options::new()
            .durability(Durability::GroupCommit { entries: 5, millis: 0 })
            .background_sync(false),
        &plan,
    );
    let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
    for (s, r) in &reference.items[..22] {
        let _ = ledger.append(s, r).unwrap();
    }
    assert_eq!(ledger.durable_head(), reference.head(20));
    {
        let mut p = plan.lock().unwrap();
        p.sync_error = true;
        p.truncate_error = true;
    }
    let err = ledger.sync().unwrap_err();
    assert!(matches!(err, Error::WriteFailed { durable, .. } if durable == reference.head(20)));
    let (s, r) = &reference.items[20];
    let err = ledger.append(s, r).unwrap_err();
    assert!(matches!(err, Error::Poisoned { durable } if durable == reference.head(20)), "{err}");
    assert!(err.to_string().contains("reopen"));
    drop(ledger);
    // Reopening recovers: the durable entries are there; the two that were
    // written but never synced may be too, as what they are.
    let (mut ledger, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
    assert!(report.head.next_seq >= 20);
    let entries = read_all(dir.path());
    assert_prefix(&entries, &reference, "after reopening a poisoned writer");
    for (s, r) in &reference.items[entries.len()..] {
        assert!(ledger.append(s, r).unwrap().durable);
    }
    finish(ledger, &reference);
}

/// A real read-only directory: opening for writing is [`Error::ReadOnly`]
/// (or [`Error::Io`] naming the lock file), reading works. Skipped when
/// permissions are not enforced (running as root).
#[cfg(unix)]
#[test]
fn real_read_only_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let reference = Reference::new(LedgerId([0xd6; 16]), 26, 10);
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = FileLedger::create(dir.path(), reference.id, Options::new()).unwrap();
    for (s, r) in &reference.items {
        let _ = ledger.append(s, r).unwrap();
    }
    ledger.close().unwrap();
    std::fs::remove_file(dir.path().join(lotledger::file::LOCK_FILE)).unwrap();
    let set = |mode| {
        for e in std::fs::read_dir(dir.path()).unwrap() {
            std::fs::set_permissions(
                e.unwrap().path(),
                std::fs::Permissions::from_mode(mode & 0o666),
            )
            .unwrap();
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set(0o555);
    if File::create(dir.path().join("probe")).is_ok() {
        set(0o755);
        println!("real read-only directory: skipped, permissions are not enforced (root?)");
        return;
    }
    let err = FileLedger::open(dir.path(), Options::new()).unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    let report = LedgerReader::open(dir.path()).unwrap().verify().unwrap();
    assert_eq!(report.head, reference.head(10));
    set(0o755);
}
