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
