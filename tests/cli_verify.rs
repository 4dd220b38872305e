//! `lotledger verify` and the open/recovery part of `append`: verdicts an
//! auditor cannot misread, and nothing cut, replaced or forked without a
//! word (issues 11 and 12).
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use std::fs;
use std::path::{Path, PathBuf};

use cli_common::{example_lines, run_with};
use lotledger::file::{FileLedger, LedgerReader, Options, StoredEntry};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A ledger of the docs/JSON.md examples (15 entries, one segment) written
/// through `append`; its segment and its last entry.
fn ledger(t: &Path) -> (PathBuf, PathBuf, StoredEntry) {
    let dir = t.join("ledger");
    assert_eq!(run_with(&["init", s(&dir)], "").0, 0);
    let (code, _, err) = run_with(&["append", s(&dir)], &example_lines().join("\n"));
    assert_eq!(code, 0, "{err}");
    let last = LedgerReader::open(&dir).unwrap().entries().unwrap().last().unwrap().unwrap();
    let segment = dir.join(lotledger::file::segment::file_name(0));
    (dir, segment, last)
}

/// The `result` row of a verify table.
fn result_line(out: &str) -> &str {
    out.lines().find(|l| l.starts_with("result")).unwrap_or_else(|| panic!("no result: {out}"))
}

/// Guards issue 11 item 1: a flipped byte in the last entry made `verify`
/// say OK with one entry fewer, and `append` replace it under the same seq
/// with exit 0. Now verify fails naming file and offset, and append keeps the
/// bytes as evidence, says so and appends nothing.
#[test]
fn a_bit_rotted_last_entry_fails_verify_and_append_keeps_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, segment, last) = ledger(tmp.path());
    let mut bytes = fs::read(&segment).unwrap();
    let at = usize::try_from(last.offset).unwrap() + 6;
    bytes[at] ^= 0x10;
    fs::write(&segment, &bytes).unwrap();
    let (code, out, _) = run_with(&["verify", s(&dir)], "");
    assert_eq!(code, 1, "{out}");
    let result = result_line(&out);
    assert!(result.contains("FAILED"), "{out}");
    assert!(
        result.contains(s(&segment)) && result.contains(&format!("byte {}", last.offset)),
        "{out}"
    );
    let (code, out, _) = run_with(&["verify", s(&dir), "--json"], "");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);

    let line = &example_lines()[0];
    let (code, out, err) = run_with(&["append", s(&dir)], line);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "nothing may be acknowledged: {out}");
    assert!(err.contains("DAMAGED last entry") && err.contains("entry 14"), "{err}");
    let evidence = PathBuf::from(format!("{}.cut-{}", segment.display(), last.offset));
    assert!(err.contains(s(&evidence)), "{err}");
    assert_eq!(fs::read(&evidence).unwrap(), &bytes[usize::try_from(last.offset).unwrap()..]);
    // The cut is now known and kept; verify sees 14 entries and appending resumes.
    let (code, out, _) = run_with(&["verify", s(&dir), "--json"], "");
    assert_eq!(code, 0, "{out}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["entries"], 14);
    let (code, out, err) = run_with(&["append", s(&dir)], line);
    assert_eq!((code, out.contains(r#""seq":14"#)), (0, true), "{out}{err}");
}

/// Guards issue 11 items 1 and 8: a torn tail (an incomplete last frame) is
/// still recovered, but `verify` and `append` say so, with file and offset,
/// instead of dropping it without a word.
#[test]
fn a_torn_tail_is_reported_by_verify_and_append() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, segment, last) = ledger(tmp.path());
    let bytes = fs::read(&segment).unwrap();
    fs::write(&segment, &bytes[..bytes.len() - 3]).unwrap();
    let (code, out, err) = run_with(&["verify", s(&dir)], "");
    assert_eq!(code, 0, "{out}");
    assert!(result_line(&out).ends_with("OK"), "{out}");
    let tail = out.lines().find(|l| l.starts_with("incomplete tail")).unwrap();
    assert!(tail.contains(&format!("at byte {} of {}", last.offset, s(&segment))), "{out}");
    assert!(err.contains("interrupted append of entry 14"), "{err}");
    let (_, out, _) = run_with(&["verify", s(&dir), "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"], 14);
    assert_eq!(v["torn_tail"]["file"], s(&segment));
    assert_eq!(v["torn_tail"]["offset"], last.offset);
    assert_eq!(v["torn_tail"]["seq"], 14);
    let (code, out, err) = run_with(&["append", s(&dir)], &example_lines()[0]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#""seq":14"#), "{out}");
    assert!(err.contains("recovered: cut an incomplete entry 14"), "{err}");
    assert!(err.contains(".cut-"), "{err}");
}

/// Guards issue 12 item 4: `verify --checkpoint` on a truncated copy printed
/// `result OK` and then `checkpoint FAILED`; the result row is now the
/// overall verdict. Plain `verify` says what it cannot see and how to keep
/// a checkpoint.
#[test]
fn the_result_row_is_the_overall_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, segment, last) = ledger(t);
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    let (key, public) = (t.join("qa.example.key"), t.join("qa.example.pub"));
    let cp = t.join("cp.note");
    assert_eq!(run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&cp)], "").0, 0);
    let (code, out, _) = run_with(&["verify", s(&dir)], "");
    assert_eq!(code, 0);
    let note = out.lines().find(|l| l.starts_with("not checked")).unwrap();
    assert!(note.contains("lotledger checkpoint") && note.contains("--checkpoint"), "{out}");
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}");
    assert!(result_line(&out).ends_with("OK"), "{out}");
    assert!(!out.contains("not checked"), "{out}");
    // Cut at the last entry: a clean, shorter ledger.
    let bytes = fs::read(&segment).unwrap();
    fs::write(&segment, &bytes[..usize::try_from(last.offset).unwrap()]).unwrap();
    fs::remove_file(dir.join("merkle.nodes")).unwrap();
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp), "--key", s(&public)], "");
    assert_eq!(code, 1, "{out}");
    let result = result_line(&out);
    assert!(result.contains("FAILED") && result.contains("TRUNCATED or ROLLED BACK"), "{out}");
    let (_, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp), "--key", s(&public), "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["ok"].as_bool(), v["checkpoint_ok"].as_bool()), (Some(false), Some(false)));
}

/// Guards issue 12 item 4: `append` to a copy shorter than the Merkle tree
/// kept beside it (rolled back or truncated) refused nothing and forked the
/// signed history; now it refuses and writes nothing.
#[test]
fn append_refuses_a_rolled_back_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, segment, last) = ledger(t);
    // A checkpoint of the 15 entries was signed: the node file holds their tree.
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    let key = t.join("qa.example.key");
    assert_eq!(
        run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&t.join("cp"))], "").0,
        0
    );
    let bytes = fs::read(&segment).unwrap();
    fs::write(&segment, &bytes[..usize::try_from(last.offset).unwrap()]).unwrap();
    let (code, out, err) = run_with(&["append", s(&dir)], &example_lines()[0]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("ROLLED BACK or TRUNCATED") && err.contains("merkle.nodes"), "{err}");
    assert_eq!(LedgerReader::open(&dir).unwrap().verify().unwrap().entries, 14);
}

/// A ledger of 200 entries in several segments, written by the library.
fn segmented(t: &Path) -> PathBuf {
    let dir = t.join("segmented");
    let id = lotledger::model::LedgerId([0x5e; 16]);
    let mut w =
        FileLedger::create(&dir, id, Options::new().segment_size(Options::MIN_SEGMENT_SIZE))
            .unwrap();
    let plant = lotledger::demo::Plant::new(&lotledger::demo::PlantConfig::default());
    for (stamp, record) in plant.take(200) {
        let _ = w.append(&stamp, &record).unwrap();
    }
    w.close().unwrap();
    dir
}

/// Guards issue 11 item 5: with the first segment deleted, `verify` said
/// OK for the entries left. Now it fails naming the missing entries, unless
/// `--archived` says they were archived on purpose, and then the verdict
/// says from which entry it holds.
#[test]
fn a_missing_first_segment_fails_unless_archived_is_stated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = segmented(tmp.path());
    fs::remove_file(dir.join(lotledger::file::segment::file_name(0))).unwrap();
    let first = LedgerReader::open(&dir).unwrap().verify().unwrap().start.next_seq;
    assert!(first > 0);
    let (code, out, _) = run_with(&["verify", s(&dir)], "");
    assert_eq!(code, 1, "{out}");
    let result = result_line(&out);
    assert!(result.contains(&format!("starts at entry {first}, not 0")), "{out}");
    assert!(result.contains("--archived"), "{out}");
    let (code, out, _) = run_with(&["verify", s(&dir), "--archived"], "");
    assert_eq!(code, 0, "{out}");
    assert!(result_line(&out).contains(&format!("OK from entry {first} on")), "{out}");
    assert!(out.contains(&format!("entries 0 to {} are not here", first - 1)), "{out}");
    let (_, out, _) = run_with(&["verify", s(&dir), "--archived", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["first_seq"].as_u64(), v["missing_entries"].as_u64()),
        (Some(first), Some(first))
    );
    assert_eq!(v["entries"].as_u64(), Some(200 - first));
}

/// Guards issue 11 items 8 and 13 (low): a forged ledger id and a FIFO named
/// like a segment give a failed verify naming the file, not an OK or a hang.
#[cfg(unix)]
#[test]
fn a_forged_id_and_a_fifo_fail_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, segment, _) = ledger(tmp.path());
    let mut bytes = fs::read(&segment).unwrap();
    bytes[12] ^= 1;
    let crc = lotledger::frame::crc32c(&bytes[..68]);
    bytes[68..72].copy_from_slice(&crc.to_le_bytes());
    fs::write(&segment, &bytes).unwrap();
    let (code, out, _) = run_with(&["verify", s(&dir)], "");
    assert_eq!(code, 1, "{out}");
    assert!(result_line(&out).contains("genesis"), "{out}");
    bytes[12] ^= 1;
    let crc = lotledger::frame::crc32c(&bytes[..68]);
    bytes[68..72].copy_from_slice(&crc.to_le_bytes());
    fs::write(&segment, &bytes).unwrap();
    let fifo = dir.join(lotledger::file::segment::file_name(99));
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (code, out, _) = run_with(&["verify", s(&dir)], "");
    assert_eq!(code, 1, "{out}");
    assert!(result_line(&out).contains("not a regular file"), "{out}");
}

/// Guards issue 11 item 13: queries read segments through the library's
/// one reader path. Before, `audit --report` exited 0 on a corrupted
/// segment header and on an empty stray `.seg`, exited 1 on a torn tail
/// that `verify` accepts, and refused a ledger whose oldest segments were
/// archived.
#[test]
fn queries_check_headers_accept_a_torn_tail_and_archived_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, segment, _) = ledger(tmp.path());
    assert_eq!(run_with(&["audit", s(&dir), "--report"], "").0, 0);
    // A torn tail: answered, with a note.
    let bytes = fs::read(&segment).unwrap();
    fs::write(&segment, &bytes[..bytes.len() - 3]).unwrap();
    let (code, out, err) = run_with(&["audit", s(&dir), "--report"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("interrupted append of entry 14"), "{err}");
    fs::write(&segment, &bytes).unwrap();
    // A corrupted header (CRC not recomputed).
    let mut bad = bytes.clone();
    bad[30] ^= 1;
    fs::write(&segment, &bad).unwrap();
    let (code, _, err) = run_with(&["audit", s(&dir), "--report"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("checksum") && err.contains(s(&segment)), "{err}");
    fs::write(&segment, &bytes).unwrap();
    // An empty stray segment.
    let stray = dir.join(lotledger::file::segment::file_name(500));
    fs::write(&stray, b"").unwrap();
    let (code, _, err) = run_with(&["audit", s(&dir), "--report"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(s(&stray)), "{err}");
    fs::remove_file(&stray).unwrap();

    // Archived oldest segments: answered from the first segment present, saying so.
    let archived = segmented(tmp.path());
    fs::remove_file(archived.join(lotledger::file::segment::file_name(0))).unwrap();
    let (code, out, err) = run_with(&["audit", s(&archived), "--report"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("the entries before it are not here (archived)"), "{err}");
}
