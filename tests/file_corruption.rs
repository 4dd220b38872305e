//! Corruption before the tail is a typed error naming the file, the
//! sequence number and the byte offset, and nothing is dropped: the files
//! are left as they were. Only a damaged last frame with nothing intact
//! after it counts as a torn tail, and its removal is reported. The
//! recovery policy decides the rest, explicitly.
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

use file_common::{Reference, assert_prefix, read_all};
use lotledger::chain::FailureKind;
use lotledger::file::{Error, FileLedger, LedgerReader, Options, Recovery, StoredEntry, segment};
use lotledger::frame;
use lotledger::model::LedgerId;

fn ledger(dir: &Path, n: usize) -> (Reference, Vec<StoredEntry>) {
    let reference = Reference::new(LedgerId([0xc0; 16]), 41, n);
    let options = Options::new().segment_size(Options::MIN_SEGMENT_SIZE);
    let mut ledger = FileLedger::create(dir, reference.id, options).unwrap();
    for (s, r) in &reference.items {
        let _ = ledger.append(s, r).unwrap();
    }
    ledger.close().unwrap();
    let entries = read_all(dir);
    assert_eq!(entries.len(), n);
    (reference, entries)
}

fn path_of(dir: &Path, e: &StoredEntry) -> PathBuf {
    dir.join(segment::file_name(e.segment))
}

fn flip(path: &Path, at: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[at as usize] ^= 0x04;
    fs::write(path, bytes).unwrap();
}

fn assert_corrupted(err: &Error, path: &Path, seq: u64, offset: u64) {
    match err {
        Error::Corrupted { path: p, failure } => {
            assert_eq!(p, path);
            assert_eq!((failure.seq, failure.offset), (seq, offset), "{err}");
            let text = err.to_string();
            assert!(text.contains(&format!("entry {seq} at byte {offset}")), "{text}");
        }
        other => panic!("expected corruption at entry {seq}, got {other}"),
    }
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_flipped_byte_before_the_tail_is_named_and_nothing_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (_, entries) = ledger(dir.path(), 200);
    let last_segment = entries.last().unwrap().segment;
    // Every entry but the very last one: in earlier segments, and in the
    // last segment with intact entries after it.
    for e in entries.iter().step_by(7).filter(|e| e.header.seq + 1 < entries.len() as u64) {
        let path = path_of(dir.path(), e);
        let at = e.offset + 1 + (e.header.seq % (e.body.len() as u64));
        flip(&path, at);
        let before = snapshot(dir.path());
        for policy in [Recovery::TruncateTornTail, Recovery::Fail] {
            let err = FileLedger::open(dir.path(), Options::new().recovery(policy)).unwrap_err();
            assert_corrupted(&err, &path, e.header.seq, e.offset);
        }
        let err = LedgerReader::open(dir.path()).unwrap().verify().unwrap_err();
        assert_corrupted(&err, &path, e.header.seq, e.offset);
        if e.segment != last_segment {
            // Salvage never reaches into earlier segments.
            let err = FileLedger::open(
                dir.path(),
                Options::new().recovery(Recovery::DiscardFromFirstFailure),
            )
            .unwrap_err();
            assert_corrupted(&err, &path, e.header.seq, e.offset);
        }
        assert_eq!(snapshot(dir.path()), before, "files changed");
        flip(&path, at);
    }
    assert_eq!(read_all(dir.path()).len(), 200);
}

#[test]
fn a_rewritten_frame_with_a_valid_checksum_is_corruption_even_at_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (_, entries) = ledger(dir.path(), 50);
    let last = entries.last().unwrap();
    let path = path_of(dir.path(), last);
    let mut bytes = fs::read(&path).unwrap();
    // Change the entry's time and recompute the frame's CRC: a tampered,
    // not a torn, frame.
    let start = last.offset as usize;
    let (body_len, frame_len) = {
        let f = frame::parse(&bytes[start..]).unwrap();
        (f.body.len(), f.len)
    };
    let body_at = start + frame_len - body_len - frame::CRC_LEN;
    let crc_at = body_at + body_len;
    bytes[body_at + 1] ^= 0x02; // the sequence number: 49 becomes 51
    let crc = frame::crc32c(&bytes[start..crc_at]);
    bytes[crc_at..crc_at + frame::CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let err = FileLedger::open(dir.path(), Options::new()).unwrap_err();
    assert_corrupted(&err, &path, last.header.seq, last.offset);
    let Error::Corrupted { failure, .. } = err else { unreachable!() };
    assert!(matches!(failure.kind, FailureKind::SequenceGap { .. }), "{failure}");
}

/// Guards issue 11 item 1: a flipped byte inside the last frame (its length
/// and version intact, its checksum failing) is not a torn write. Readers
/// report it as corruption instead of stopping before it as they did; the
/// writer's recovery cuts it only after keeping the bytes in
/// `<segment>.cut-<offset>`, and says it was damaged.
#[test]
fn a_damaged_last_frame_is_corruption_to_readers_and_cut_only_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, entries) = ledger(dir.path(), 50);
    let last = entries.last().unwrap();
    let path = path_of(dir.path(), last);
    let len = fs::metadata(&path).unwrap().len();
    flip(&path, last.offset + 3);
    let damaged = fs::read(&path).unwrap()[last.offset as usize..].to_vec();
    // The `Fail` policy changes nothing and says where.
    let err = FileLedger::open(dir.path(), Options::new().recovery(Recovery::Fail)).unwrap_err();
    assert!(
        matches!(&err, Error::TornTail { path: p, offset, len: l }
            if *p == path && *offset == last.offset && *l == len - last.offset),
        "{err}"
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), len);
    // Readers name it: entry 49 at its offset in its own file, a bad checksum.
    let err = LedgerReader::open(dir.path()).unwrap().verify().unwrap_err();
    assert_corrupted(&err, &path, 49, last.offset);
    let Error::Corrupted { failure, .. } = &err else { unreachable!() };
    assert!(matches!(failure.kind, FailureKind::Frame(frame::FrameError::BadChecksum { .. })));
    // An evidence file of other bytes already has the name: it is kept as it is.
    let name = format!("{}.cut-{}", path.file_name().unwrap().to_str().unwrap(), last.offset);
    fs::write(dir.path().join(&name), b"older evidence").unwrap();
    // The default cuts it off, syncs, keeps the bytes and reports it as damaged.
    let (_, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
    let torn = report.torn.unwrap();
    assert_eq!(
        (torn.path, torn.offset, torn.len, torn.seq),
        (path.clone(), last.offset, len - last.offset, 49)
    );
    assert!(torn.damaged_frame);
    assert_eq!(torn.discarded_frames, 0);
    let evidence = dir.path().join(format!("{name}.1"));
    assert_eq!(torn.evidence.as_deref(), Some(evidence.as_path()));
    assert_eq!(fs::read(&evidence).unwrap(), damaged);
    assert_eq!(fs::read(dir.path().join(&name)).unwrap(), b"older evidence");
    assert_eq!(report.head, reference.head(49));
    assert_eq!(fs::metadata(&path).unwrap().len(), last.offset);
    // Evidence files are not segments: the ledger reads as 49 entries.
    assert_eq!(LedgerReader::open(dir.path()).unwrap().verify().unwrap().entries, 49);
}

/// Guards issue 11 item 1 (torn half): a last frame cut short is a torn tail;
/// readers report where it is (file and offset in it) rather than dropping
/// it without a word, and recovery keeps the cut bytes too.
#[test]
fn an_incomplete_last_frame_is_a_reported_torn_tail_kept_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, entries) = ledger(dir.path(), 50);
    let last = entries.last().unwrap();
    let path = path_of(dir.path(), last);
    let len = fs::metadata(&path).unwrap().len();
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..len as usize - 2]).unwrap();
    let report = LedgerReader::open(dir.path()).unwrap().verify().unwrap();
    assert_eq!(report.entries, 49);
    let tail = report.tail.unwrap();
    assert_eq!(
        (tail.path, tail.offset, tail.len, tail.seq),
        (path.clone(), last.offset, len - 2 - last.offset, 49)
    );
    let (_, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
    let torn = report.torn.unwrap();
    assert!(!torn.damaged_frame);
    let evidence = torn.evidence.unwrap();
    assert_eq!(fs::read(evidence).unwrap(), &bytes[last.offset as usize..len as usize - 2]);
    assert_eq!(report.head, reference.head(49));
}

#[test]
fn salvage_cuts_the_last_segment_at_its_first_failure_and_counts_what_it_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, entries) = ledger(dir.path(), 200);
    let last_segment = entries.last().unwrap().segment;
    let in_last: Vec<_> = entries.iter().filter(|e| e.segment == last_segment).collect();
    assert!(in_last.len() >= 5);
    let victim = in_last[in_last.len() - 4];
    let path = path_of(dir.path(), victim);
    flip(&path, victim.offset + 5);
    assert!(FileLedger::open(dir.path(), Options::new()).is_err());
    let options = Options::new().recovery(Recovery::DiscardFromFirstFailure);
    let (mut ledger, report) = FileLedger::open(dir.path(), options).unwrap();
    let torn = report.torn.unwrap();
    assert_eq!((torn.seq, torn.offset), (victim.header.seq, victim.offset));
    assert_eq!(torn.discarded_frames, 3);
    let k = victim.header.seq as usize;
    assert_eq!(report.head, reference.head(k));
    let (s, r) = &reference.items[k];
    assert_eq!(ledger.append(s, r).unwrap().receipt, reference.receipts[k]);
    drop(ledger);
    let after = read_all(dir.path());
    assert_eq!(after.len(), k + 1);
    assert_prefix(&after, &reference, "after salvage");
}
