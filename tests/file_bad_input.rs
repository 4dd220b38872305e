//! Bad input is a clear, typed error, never a panic or a silent skip: a
//! file that is not a ledger, a ledger of a newer format version, a
//! truncated segment header, a segment of another ledger, a misnamed or
//! missing segment.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod file_common;

use std::fs;
use std::path::{Path, PathBuf};

use file_common::Reference;
use lotledger::file::segment::{HEADER_LEN, SegmentHeader, file_name};
use lotledger::file::{Error, FileLedger, LedgerReader, Options};
use lotledger::frame::crc32c;
use lotledger::model::LedgerId;

/// A closed ledger of `n` entries in three or more segments.
fn ledger(dir: &Path, id: LedgerId, n: usize) -> Reference {
    let reference = Reference::new(id, 31, n);
    let options = Options::new().segment_size(Options::MIN_SEGMENT_SIZE);
    let mut ledger = FileLedger::create(dir, id, options).unwrap();
    for (s, r) in &reference.items {
        let _ = ledger.append(s, r).unwrap();
    }
    ledger.close().unwrap();
    reference
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

/// Opening for writing and for reading both fail with the error `check` accepts.
fn both_fail(dir: &Path, check: impl Fn(&Error) -> bool) {
    let err = FileLedger::open(dir, Options::new()).unwrap_err();
    assert!(check(&err), "writer: {err}");
    let err = LedgerReader::open(dir).and_then(|r| r.verify()).unwrap_err();
    assert!(check(&err), "reader: {err}");
}

fn rewrite_header(path: &Path, edit: impl FnOnce(&mut [u8])) {
    let mut bytes = fs::read(path).unwrap();
    edit(&mut bytes[..HEADER_LEN]);
    let crc = crc32c(&bytes[..68]);
    bytes[68..72].copy_from_slice(&crc.to_le_bytes());
    fs::write(path, bytes).unwrap();
}

#[test]
fn an_empty_directory_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    both_fail(dir.path(), |e| matches!(e, Error::NoLedger { .. }));
}

#[test]
fn a_missing_directory_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    both_fail(&dir.path().join("nowhere"), |e| matches!(e, Error::NoLedger { .. }));
    assert!(!dir.path().join("nowhere").exists(), "opening must not create it");
}

#[test]
fn a_file_that_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name(0));
    fs::write(&path, b"%PDF-1.7\n this is a quality certificate, not a ledger segment").unwrap();
    both_fail(dir.path(), |e| matches!(e, Error::NotASegment { path: p } if *p == path));
    assert!(
        FileLedger::open(dir.path(), Options::new())
            .unwrap_err()
            .to_string()
            .contains("not a ledger segment")
    );
    // A path that is a file, not a directory.
    let err = FileLedger::open(&path, Options::new()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

#[test]
fn a_ledger_of_a_newer_format_version() {
    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([1; 16]), 10);
    let first = &segments(dir.path())[0];
    rewrite_header(first, |h| h[8..10].copy_from_slice(&2u16.to_le_bytes()));
    both_fail(dir.path(), |e| matches!(e, Error::UnsupportedHeaderVersion { version: 2, .. }));
    assert!(LedgerReader::open(dir.path()).unwrap_err().to_string().contains("upgrade lotledger"));

    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([1; 16]), 10);
    let first = &segments(dir.path())[0];
    rewrite_header(first, |h| h[10] = 2);
    both_fail(dir.path(), |e| matches!(e, Error::UnsupportedEntryVersion { version: 2, .. }));
}

#[test]
fn a_truncated_segment_header() {
    for len in [0, 1, 8, 40, HEADER_LEN - 1] {
        let dir = tempfile::tempdir().unwrap();
        ledger(dir.path(), LedgerId([2; 16]), 60);
        let segs = segments(dir.path());
        let last = segs.last().unwrap();
        let bytes = fs::read(last).unwrap();
        fs::write(last, &bytes[..len]).unwrap();
        let err = FileLedger::open(dir.path(), Options::new()).unwrap_err();
        assert!(
            matches!(&err, Error::TruncatedHeader { path, len: l } if path == last && *l == len as u64),
            "{len}: {err}"
        );
    }
}

#[test]
fn a_damaged_header_fails_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([3; 16]), 60);
    let segs = segments(dir.path());
    let mut bytes = fs::read(&segs[1]).unwrap();
    bytes[30] ^= 0x10; // first seq
    fs::write(&segs[1], bytes).unwrap();
    both_fail(dir.path(), |e| matches!(e, Error::HeaderChecksum { path } if *path == segs[1]));
}

#[test]
fn a_segment_of_another_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([4; 16]), 60);
    ledger(other.path(), LedgerId([5; 16]), 60);
    let ours = segments(dir.path());
    let theirs = segments(other.path());
    // Replace our second segment by theirs (same name, same first seq).
    assert_eq!(ours[1].file_name(), theirs[1].file_name());
    fs::copy(&theirs[1], &ours[1]).unwrap();
    both_fail(dir.path(), |e| {
        matches!(e, Error::LedgerMismatch { path, expected, found }
            if *path == ours[1] && *expected == LedgerId([4; 16]) && *found == LedgerId([5; 16]))
    });
    assert!(
        FileLedger::open(dir.path(), Options::new())
            .unwrap_err()
            .to_string()
            .contains("mixes ledgers")
    );
}

#[test]
fn a_missing_or_misnamed_segment() {
    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([6; 16]), 200);
    let segs = segments(dir.path());
    assert!(segs.len() >= 3);
    // A segment removed from the middle: the next one does not continue the chain.
    let middle = fs::read(&segs[1]).unwrap();
    fs::remove_file(&segs[1]).unwrap();
    both_fail(dir.path(), |e| matches!(e, Error::SegmentGap { path, .. } if *path == segs[2]));
    // Put back under another name.
    let wrong = dir.path().join(file_name(1));
    fs::write(&wrong, middle).unwrap();
    both_fail(dir.path(), |e| matches!(e, Error::MisnamedSegment { path, .. } if *path == wrong));
}

#[test]
fn create_refuses_an_existing_ledger_and_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([7; 16]), 5);
    let err = FileLedger::create(dir.path(), LedgerId([8; 16]), Options::new()).unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let err = FileLedger::create(
        tempfile::tempdir().unwrap().path(),
        LedgerId([8; 16]),
        Options::new().segment_size(100),
    )
    .unwrap_err();
    assert!(matches!(err, Error::BadOptions(_)), "{err}");
    let header =
        SegmentHeader::decode(&fs::read(&segments(dir.path())[0]).unwrap(), Path::new("x"))
            .unwrap();
    assert_eq!(header.ledger, LedgerId([7; 16]));
}

/// Guards issue 11 item 8: a ledger id forged in the segment headers (CRC
/// recomputed) is refused, because the first segment's start must be
/// genesis(ledger id); before, the forged id was accepted and reported.
#[test]
fn a_forged_ledger_id_is_not_genesis() {
    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([0x21; 16]), 60);
    let segs = segments(dir.path());
    for path in &segs {
        rewrite_header(path, |h| h[12..28].copy_from_slice(&[0x22; 16]));
    }
    both_fail(
        dir.path(),
        |e| matches!(e, Error::NotGenesis { path, ledger } if *path == segs[0] && *ledger == LedgerId([0x22; 16])),
    );
    let text = FileLedger::open(dir.path(), Options::new()).unwrap_err().to_string();
    assert!(text.contains("genesis") && text.contains(&segs[0].display().to_string()), "{text}");
}

/// Guards issue 11 item 5: with the first segment deleted the ledger does
/// not silently pass as whole; readers say where it starts (the archived
/// case STORAGE.md allows), so `verify` can refuse or state it.
#[test]
fn a_ledger_without_its_first_segment_starts_later() {
    let dir = tempfile::tempdir().unwrap();
    let reference = ledger(dir.path(), LedgerId([0x23; 16]), 200);
    let segs = segments(dir.path());
    fs::remove_file(&segs[0]).unwrap();
    let report = LedgerReader::open(dir.path()).unwrap().verify().unwrap();
    assert!(report.start.next_seq > 0);
    assert_eq!(report.start, reference.head(report.start.next_seq as usize));
    assert_eq!(report.entries, 200 - report.start.next_seq);
}

/// Guards issue 11 item 8 (outside verifier): a time regression at a
/// segment's first entry is counted like any other; before, each segment
/// started a fresh chain that forgot the previous segment's last time.
#[test]
fn a_time_regression_at_a_segment_start_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let id = LedgerId([0x24; 16]);
    ledger(dir.path(), id, 60);
    let first_of_second = LedgerReader::open(dir.path())
        .unwrap()
        .entries()
        .unwrap()
        .map(Result::unwrap)
        .find(|e| e.segment != 0)
        .unwrap()
        .header
        .seq as usize;
    let mut items = Reference::new(id, 31, 60).items;
    items[first_of_second].0.time =
        lotledger::model::Timestamp(items[first_of_second - 1].0.time.0 - 1);
    let again = tempfile::tempdir().unwrap();
    let options = Options::new().segment_size(Options::MIN_SEGMENT_SIZE);
    let mut w = FileLedger::create(again.path(), id, options).unwrap();
    for (s, r) in &items {
        let _ = w.append(s, r).unwrap();
    }
    w.close().unwrap();
    let entries: Vec<_> =
        LedgerReader::open(again.path()).unwrap().entries().unwrap().map(Result::unwrap).collect();
    let e = &entries[first_of_second];
    assert_ne!(e.segment, 0, "the regressed entry must open a later segment");
    assert_eq!(e.segment, e.header.seq);
    assert!(e.time_regressed);
    let regressions: Vec<u64> =
        entries.iter().filter(|e| e.time_regressed).map(|e| e.header.seq).collect();
    assert!(regressions.contains(&(first_of_second as u64)), "{regressions:?}");
}

/// Guards issue 11 (low): a FIFO or a device named like a segment is refused
/// with its path instead of blocking every command in a read.
#[cfg(unix)]
#[test]
fn a_fifo_or_device_named_like_a_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    ledger(dir.path(), LedgerId([0x25; 16]), 5);
    let fifo = dir.path().join(file_name(1_000));
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    both_fail(dir.path(), |e| matches!(e, Error::NotAFile { path } if *path == fifo));
    fs::remove_file(&fifo).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &fifo).unwrap();
    both_fail(dir.path(), |e| matches!(e, Error::NotAFile { path } if *path == fifo));
    assert!(
        FileLedger::open(dir.path(), Options::new())
            .unwrap_err()
            .to_string()
            .contains("not a regular file")
    );
}
