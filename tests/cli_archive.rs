//! Retention and archival (issue 15 item 4): `lotledger retention`,
//! `archive`, `dispose`, `verify` of an archive and of a ledger from its
//! cut, proofs and trace with `--archive`, and crash safety of the move.
#![cfg(feature = "cli")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    reason = "test code: a panic is a failed test"
)]

mod cli_common;

use std::fs;
use std::path::{Path, PathBuf};

use cli_common::{all_example_lines, example_lines, run, run_with};
use lotledger::entry::Stamp;
use lotledger::file::archive::{CUT_FILE, MANIFEST_FILE, Manifest, sha256};
use lotledger::file::{FileLedger, LedgerReader, Options, segment};
use lotledger::model::{Record, RetentionAction, Timestamp};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn segment_files(dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(segment::parse_file_name))
        .collect();
    v.sort_unstable();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn result_line(out: &str) -> String {
    out.lines().find(|l| l.starts_with("result ")).unwrap_or_default().to_owned()
}

/// A demo plant ledger of 200 entries in several small segments.
fn demo_ledger(t: &Path) -> PathBuf {
    let dir = t.join("ledger");
    let id = lotledger::model::LedgerId([0x4a; 16]);
    let mut w =
        FileLedger::create(&dir, id, Options::new().segment_size(Options::MIN_SEGMENT_SIZE))
            .unwrap();
    let plant = lotledger::demo::Plant::new(&lotledger::demo::PlantConfig::default());
    for (stamp, record) in plant.take(200) {
        let _ = w.append(&stamp, &record).unwrap();
    }
    w.close().unwrap();
    assert!(segment_files(&dir).len() >= 4, "the test needs several segments");
    dir
}

/// The time at which `archive --before` takes exactly the first `k`
/// segments (their entries are all older), and the entry count in them.
fn cut_before_segment(dir: &Path, k: usize) -> (String, u64) {
    let firsts = segment_files(dir);
    let end = firsts[k];
    let entries: Vec<_> =
        LedgerReader::open(dir).unwrap().entries().unwrap().map(Result::unwrap).collect();
    let newest = entries.iter().filter(|e| e.header.seq < end).map(|e| e.header.time).max();
    let before = Timestamp(newest.unwrap().0 + 1);
    // Segment k must hold an entry at `before` or later, or it would go too.
    assert!(entries.iter().any(|e| e.segment == end && e.header.time >= before));
    (before.to_string(), end)
}

fn last_record(dir: &Path) -> Record {
    let entries = LedgerReader::open(dir).unwrap().entries().unwrap();
    entries.map(Result::unwrap).last().unwrap().record().unwrap()
}

/// Guards the core of item 4: `archive` moves the leading sealed segments
/// into an archive that verifies on its own (manifest listing each file with
/// its SHA-256), the live ledger keeps the cut (a byte copy of the manifest)
/// and records it in a `retention_applied` entry, and verifies from the cut
/// without `--archived`; with `--archive` it verifies whole from entry 0.
#[test]
fn archive_verifies_alone_and_the_ledger_verifies_from_its_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    let before_files = segment_files(&dir);
    let (before, end) = cut_before_segment(&dir, 2);
    let total = LedgerReader::open(&dir).unwrap().verify().unwrap().entries;
    let archive = tmp.path().join("archive");
    let (code, out, err) = run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("archived entries 0..{end} in 2 segments")), "{out}");

    // The live ledger lost exactly the first two segments.
    assert_eq!(segment_files(&dir), before_files[2..]);
    assert_eq!(segment_files(&archive), before_files[..2]);
    let manifest_bytes = fs::read(archive.join(MANIFEST_FILE)).unwrap();
    assert_eq!(fs::read(dir.join(CUT_FILE)).unwrap(), manifest_bytes);
    let (manifest, digest) = Manifest::read(&archive.join(MANIFEST_FILE)).unwrap();
    assert_eq!(digest, sha256(&manifest_bytes));
    assert_eq!((manifest.start.seq, manifest.end.seq), (0, end));
    assert_eq!(manifest.segments.len(), 2);
    for seg in &manifest.segments {
        assert_eq!(seg.sha256, sha256(&fs::read(archive.join(&seg.name)).unwrap()));
    }
    // The cut is recorded in the ledger, with the manifest's digest.
    match last_record(&dir) {
        Record::RetentionApplied(r) => {
            assert_eq!(r.action, RetentionAction::Archived);
            assert_eq!((r.first_seq, r.end_seq, r.manifest), (0, end, digest));
        }
        other => panic!("{other:?}"),
    }

    let (code, out, _) = run(&["verify", s(&archive)]);
    assert_eq!(code, 0, "{out}");
    assert!(result_line(&out).contains("OK (archive)"), "{out}");
    assert!(out.contains(&format!("0..{end} ({end} verified)")), "{out}");

    let (code, out, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 0, "{out}");
    assert!(result_line(&out).contains(&format!("OK from the cut at entry {end}")), "{out}");
    let (code, out, _) = run(&["verify", s(&dir), "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["first_seq"], end);
    assert_eq!(v["entries"], total + 1 - end);
    assert_eq!(v["archive_cut"], digest.to_string());

    let (code, out, _) = run(&["verify", s(&dir), "--archive", s(&archive), "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["first_seq"], 0);
    assert_eq!(v["entries"], total + 1);
}

/// Guards that both sides of the cut detect tampering: a byte changed in
/// an archived segment, a manifest edited, and a cut file altered in the
/// live ledger (its digest no longer the recorded one).
#[test]
fn tampering_with_the_archive_or_the_cut_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    let (before, _) = cut_before_segment(&dir, 2);
    let archive = tmp.path().join("archive");
    assert_eq!(run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]).0, 0);

    // A flipped byte in the second archived segment.
    let copy = tmp.path().join("copy");
    copy_dir(&archive, &copy);
    let second = copy.join(segment::file_name(segment_files(&copy)[1]));
    let mut bytes = fs::read(&second).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    fs::write(&second, &bytes).unwrap();
    let (code, out, _) = run(&["verify", s(&copy)]);
    assert_eq!(code, 1, "{out}");
    assert!(result_line(&out).contains("SHA-256"), "{out}");

    // An edited manifest (one entry fewer claimed in the first segment).
    let copy2 = tmp.path().join("copy2");
    copy_dir(&archive, &copy2);
    let text = fs::read_to_string(copy2.join(MANIFEST_FILE)).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    let n = m["segments"][0]["entries"].as_u64().unwrap();
    m["segments"][0]["entries"] = (n - 1).into();
    fs::write(copy2.join(MANIFEST_FILE), serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let (code, out, _) = run(&["verify", s(&copy2)]);
    assert_eq!(code, 1, "{out}");
    assert!(result_line(&out).contains("FAILED"), "{out}");

    // A live cut file altered: still parses, but no entry records its digest.
    let cut = dir.join(CUT_FILE);
    let altered = fs::read_to_string(&cut).unwrap().replacen(
        "\"checkpoint\": null",
        "\"checkpoint\": null ",
        1,
    );
    fs::write(&cut, altered).unwrap();
    let (code, out, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 1, "{out}");
    assert!(result_line(&out).contains("no retention_applied entry"), "{out}");
    // Without the cut file the ledger is a ledger missing its first entries.
    fs::remove_file(&cut).unwrap();
    let (code, out, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 1, "{out}");
    assert!(result_line(&out).contains("--archive DIR"), "{out}");
}

/// Guards item 3 for proofs and item 2's signed checkpoint at the cut: the
/// archive's checkpoint verifies with the key; `prove` of an archived entry
/// needs the archive (and says so without it), and with it makes a bundle
/// that `verify-proof` accepts offline.
#[test]
fn a_proof_for_an_archived_entry_checks_with_the_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    let (before, end) = cut_before_segment(&dir, 2);
    assert_eq!(run(&["keygen", "--name", "qa.example", "--dir", s(tmp.path())]).0, 0);
    let key = tmp.path().join("qa.example.key");
    let public = tmp.path().join("qa.example.pub");
    let archive = tmp.path().join("archive");
    let (code, out, err) =
        run(&["archive", s(&dir), "--before", &before, "--to", s(&archive), "--key", s(&key)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("signed checkpoint at the cut"), "{out}");
    let (code, out, _) = run(&["verify", s(&archive), "--key", s(&public)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("OK: signed tree of {end} entries at the cut")), "{out}");

    let cp = tmp.path().join("cp");
    let (code, _, err) = run(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&cp)]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("--archive DIR"), "{err}");
    let (code, _, err) =
        run(&["checkpoint", s(&dir), "--archive", s(&archive), "--key", s(&key), "--out", s(&cp)]);
    assert_eq!(code, 0, "{err}");
    let bundle = tmp.path().join("bundle.json");
    let (code, _, err) = run(&[
        "prove",
        s(&dir),
        "--seq",
        "3",
        "--checkpoint",
        s(&cp),
        "--key",
        s(&public),
        "--out",
        s(&bundle),
        "--archive",
        s(&archive),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["verify-proof", s(&bundle), "--key", s(&public)]);
    assert_eq!(code, 0, "{out}");
}

/// Guards crash safety: every intermediate state of the move verifies, and
/// a re-run completes it. States built by hand: (1) the archive written,
/// the live ledger untouched (killed after the copy step); (2) the cut
/// recorded, one archived segment still in the ledger (killed while
/// deleting); (3) a leftover temporary copy in the archive directory.
#[test]
fn an_interrupted_archive_is_completed_by_a_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    let original = tmp.path().join("original");
    copy_dir(&dir, &original);
    let files = segment_files(&dir);
    let (before, end) = cut_before_segment(&dir, 2);
    let archive = tmp.path().join("archive");
    fs::create_dir_all(&archive).unwrap();
    // (3) a torn temporary copy from an earlier attempt.
    fs::write(archive.join(format!("{}.tmp", segment::file_name(0))), b"LOTL").unwrap();
    assert_eq!(run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]).0, 0);

    // (1) Killed after the copy: the live ledger as it was, the archive whole.
    fs::remove_dir_all(&dir).unwrap();
    copy_dir(&original, &dir);
    assert_eq!(run(&["verify", s(&dir)]).0, 0);
    assert_eq!(run(&["verify", s(&archive)]).0, 0);
    let (code, out, err) = run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("completed archiving entries 0..{end}")), "{out}");
    assert!(out.contains("recorded as entry"), "{out}");
    assert_eq!(segment_files(&dir), files[2..]);
    assert_eq!(run(&["verify", s(&dir)]).0, 0);

    // (2) Killed while deleting: the second archived segment still here.
    let second = segment::file_name(files[1]);
    fs::copy(archive.join(&second), dir.join(&second)).unwrap();
    let (code, out, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("an archive move was interrupted"), "{out}");
    let (code, out, _) = run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the ledger already recorded the cut"), "{out}");
    assert_eq!(segment_files(&dir), files[2..]);
    let (code, out, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("interrupted"), "{out}");
    // One retention entry only, however many runs.
    let records = LedgerReader::open(&dir)
        .unwrap()
        .entries()
        .unwrap()
        .filter(|e| matches!(e.as_ref().unwrap().record(), Ok(Record::RetentionApplied(_))));
    assert_eq!(records.count(), 1);
}

/// Guards item 3 for queries: trace across live + archive equals trace on
/// the original ledger; without the archive the note names `--archive`.
#[test]
fn trace_across_live_and_archive_equals_trace_on_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    let original = tmp.path().join("original");
    copy_dir(&dir, &original);
    let (before, end) = cut_before_segment(&dir, 2);
    // A lot produced in the archived part.
    let lot = LedgerReader::open(&dir)
        .unwrap()
        .entries()
        .unwrap()
        .map(Result::unwrap)
        .filter(|e| e.header.seq < end)
        .find_map(|e| match e.record() {
            Ok(Record::Produced(p)) => Some(p.outputs[0].lot.clone()),
            _ => None,
        })
        .expect("a production in the archived segments");
    let lot = format!("{}/{}", lot.item, lot.lot);
    let archive = tmp.path().join("archive");
    assert_eq!(run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]).0, 0);
    let (code, expected, _) = run(&["--no-cache", "trace", s(&original), "--lot", &lot, "--json"]);
    assert_eq!(code, 0);
    let (code, got, err) =
        run(&["trace", s(&dir), "--archive", s(&archive), "--lot", &lot, "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, expected);
    let (_, _, err) = run(&["trace", s(&dir), "--lot", &lot, "--json"]);
    assert!(
        err.contains(&format!("starts at entry {end}")) && err.contains("--archive DIR"),
        "{err}"
    );
}

/// The record of `kind` among docs/JSON.md's examples, with `edit` applied.
fn example(kind: &str, time: &str, edit: impl FnOnce(&mut serde_json::Value)) -> (Stamp, Record) {
    let line = all_example_lines()
        .into_iter()
        .find(|l| l.contains(&format!("\"record\": {{\"{kind}\"")))
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
    v["time"] = time.into();
    edit(&mut v["record"][kind]);
    let stamp = Stamp {
        time: Timestamp::parse_rfc3339(time).unwrap(),
        actor: lotledger::model::Actor::new("qa").unwrap(),
        station: lotledger::model::Station::new("QA").unwrap(),
    };
    (stamp, serde_json::from_value(v["record"].clone()).unwrap())
}

/// Appends fillers (attachments naming `lot`) at `time` until the writer
/// starts a new segment.
fn fill_segment(w: &mut FileLedger, dir: &Path, time: &str) {
    let n = segment_files(dir).len();
    while segment_files(dir).len() == n {
        let (stamp, record) = example("attached", time, |_| {});
        let _ = w.append(&stamp, &record).unwrap();
        w.flush().unwrap();
    }
}

/// A ledger worked by hand: segment 0 holds the product description of
/// gtin 09506000134680 (shelf life 730 days), its lot B260001 produced on
/// 2026-01-03 and attachments naming raw lot RM-LINER-SIL/R260001 (shelf
/// life 365 days, first seen 2026-01-03); segment 1 a complaint of
/// 2026-01-04 and more attachments; segment 2 is active.
fn policy_ledger(t: &Path) -> PathBuf {
    let dir = t.join("policy");
    let mut w = FileLedger::create(
        &dir,
        lotledger::model::LedgerId([0x77; 16]),
        Options::new().segment_size(Options::MIN_SEGMENT_SIZE),
    )
    .unwrap();
    let (st, r) = example("product_described", "2026-01-02T07:00:00Z", |_| {});
    let _ = w.append(&st, &r).unwrap();
    // The raw material's shelf life: 365 days from its first entry.
    let (st, r) = example("product_described", "2026-01-02T07:00:01Z", |p| {
        p["item"] = serde_json::json!({"internal": "RM-LINER-SIL"});
        p["also_known_as"] = serde_json::json!([]);
        p["shelf_life_days"] = 365.into();
    });
    let _ = w.append(&st, &r).unwrap();
    let (st, r) = example("produced", "2026-01-03T12:00:00Z", |p| {
        p["inputs"] = serde_json::json!([]);
        p["outputs"] = serde_json::json!([{"lot": {"item": {"gtin": "09506000134680"},
            "lot": "B260001"}, "quantity": "100 H87"}]);
    });
    let _ = w.append(&st, &r).unwrap();
    fill_segment(&mut w, &dir, "2026-01-03T13:00:00Z");
    let (st, r) = example("complaint_registered_v1", "2026-01-04T03:07:31Z", |_| {});
    let _ = w.append(&st, &r).unwrap();
    fill_segment(&mut w, &dir, "2026-01-05T09:00:00Z");
    w.close().unwrap();
    assert_eq!(segment_files(&dir).len(), 3);
    dir
}

/// Guards item 1 with hand-worked dates: segment 0 is kept until
/// 2029-01-02 (lot B260001: produced 2026-01-03 + 730 days = 2028-01-03,
/// plus 365 days margin = 2029-01-02; the fillers' raw lot R260001 ends
/// 2027-01-03, and + 365 = 2028-01-03; the descriptions 2026-01-02 and 365);
/// segment 1 until 2031-01-04 (the complaint of 2026-01-04 + 5 years, later
/// than its fillers); the active segment is never archived. A
/// retention.json of 7 complaint years moves segment 1 to 2033-01-04.
#[test]
fn retention_report_with_hand_worked_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = policy_ledger(tmp.path());
    let (code, out, err) = run(&["retention", s(&dir), "--at", "2026-06-01", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs[0]["keep_until"], "2029-01-02");
    assert_eq!(segs[1]["keep_until"], "2031-01-04");
    assert_eq!(segs[0]["may_archive"], true);
    assert_eq!(segs[1]["may_archive"], true);
    assert_eq!(segs[2]["active"], true);
    assert_eq!(segs[2]["may_archive"], false);
    assert_eq!(segs[0]["may_dispose"], false);
    let (_, out, _) = run(&["retention", s(&dir), "--at", "2029-01-03", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["segments"][0]["may_dispose"], true);
    assert_eq!(v["segments"][1]["may_dispose"], false);

    fs::write(dir.join("retention.json"), r#"{"complaint_years": 7}"#).unwrap();
    let (_, out, _) = run(&["retention", s(&dir), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["segments"][1]["keep_until"], "2033-01-04");
    assert_eq!(v["policy"]["margin_days"], 365);
    fs::write(dir.join("retention.json"), r#"{"complaint_yeers": 7}"#).unwrap();
    let (code, _, err) = run(&["retention", s(&dir)]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("retention.json") && err.contains("complaint_yeers"), "{err}");
}

/// Guards item 4: disposal before retention ends is refused naming the
/// date, and nothing changes; once it has ended the archive's files are
/// deleted and the disposal is recorded in the live ledger, which still
/// verifies from its cut.
#[test]
fn disposal_is_refused_before_retention_ends_and_recorded_after() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = policy_ledger(tmp.path());
    let archive = tmp.path().join("archive");
    let (code, out, err) =
        run(&["archive", s(&dir), "--before", "2026-01-04", "--to", s(&archive)]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(segment_files(&archive), [0]);
    let (_, digest) = Manifest::read(&archive.join(MANIFEST_FILE)).unwrap();
    // The archived segment, read with --archive, keeps its hand-worked date.
    let (code, out, err) =
        run(&["retention", s(&dir), "--archive", s(&archive), "--at", "2026-06-01", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["segments"][0]["keep_until"], "2029-01-02");
    assert_eq!(v["segments"][0]["archived"], true);
    assert_eq!(v["segments"][0]["may_archive"], false);
    assert_eq!(v["segments"][1]["archived"], false);

    let (code, _, err) = run(&["dispose", s(&archive), "--ledger", s(&dir), "--at", "2029-01-02"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("kept until 2029-01-02"), "{err}");
    assert_eq!(segment_files(&archive), [0]);
    assert!(
        matches!(last_record(&dir), Record::RetentionApplied(r) if r.action == RetentionAction::Archived)
    );

    let (code, out, err) =
        run(&["dispose", s(&archive), "--ledger", s(&dir), "--at", "2029-01-03"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("disposed of entries 0.."), "{out}");
    assert!(segment_files(&archive).is_empty());
    assert!(!archive.join(MANIFEST_FILE).exists());
    match last_record(&dir) {
        Record::RetentionApplied(r) => {
            assert_eq!(r.action, RetentionAction::Disposed);
            assert_eq!(r.manifest, digest);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(run(&["verify", s(&dir)]).0, 0);
}

/// Guards item 5: `append` refuses a hand-written `retention_applied` line
/// (exit 3, naming the line and field) and writes nothing of it.
#[test]
fn append_refuses_a_hand_written_retention_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    assert_eq!(run(&["init", s(&dir)]).0, 0);
    let line = r#"{"time": "2026-01-02T07:00:00Z", "actor": "x", "station": "y", "record": {"retention_applied": {"action": "archived", "first_seq": 0, "end_seq": 10, "manifest": "6de3a3b3d6a8cb55e0a77fdeded6e0e6187ba618846295516597e6085476db47"}}}"#;
    let (code, _, err) = run_with(&["append", s(&dir)], &format!("{line}\n"));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 1: field record.retention_applied"), "{err}");
    assert_eq!(LedgerReader::open(&dir).unwrap().verify().unwrap().entries, 0);
}

/// Guards that the active segment is never archived and that nothing is
/// archived when the first segment holds entries of the date or later.
#[test]
fn nothing_to_archive_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = policy_ledger(tmp.path());
    let archive = tmp.path().join("archive");
    let (code, _, err) = run(&["archive", s(&dir), "--before", "2026-01-02", "--to", s(&archive)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing to archive"), "{err}");
    // Far in the future: the two sealed segments go, the active one stays.
    let (code, out, err) =
        run(&["archive", s(&dir), "--before", "2100-01-01", "--to", s(&archive)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("in 2 segments"), "{out}");
    assert_eq!(segment_files(&dir).len(), 1);
}

/// Guards that the live ledger's checkpoint entries after the cut are
/// checked against the Merkle tree continued from the cut's peaks (a wrong
/// peak would fail them), and that `--archived` without a cut reports
/// their roots as not checked instead of failing them.
#[test]
fn checkpoint_entries_after_the_cut_are_checked_from_the_cut_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    assert_eq!(run(&["keygen", "--name", "qa.example", "--dir", s(tmp.path())]).0, 0);
    let key = tmp.path().join("qa.example.key");
    let lines = example_lines()[..10].join("\n");
    let (code, _, err) =
        run_with(&["append", s(&dir), "--checkpoint-every", "4", "--key", s(&key)], &lines);
    assert_eq!(code, 0, "{err}");
    let (before, _) = cut_before_segment(&dir, 2);
    let archive = tmp.path().join("archive");
    assert_eq!(run(&["archive", s(&dir), "--before", &before, "--to", s(&archive)]).0, 0);
    let (code, out, _) = run(&["verify", s(&dir), "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 200 demo entries, then 10 lines with a checkpoint entry whenever the
    // tree size reaches a multiple of 4: at 204, 208 and 212 (each
    // checkpoint entry counts): three roots checked from the cut's tree.
    assert_eq!(v["checkpoint_entries"], 3, "{out}");

    // Without the cut file, `--archived` verifies the rest and says which
    // roots it could not check.
    let cut = dir.join(CUT_FILE);
    let text = fs::read_to_string(&cut).unwrap();
    fs::remove_file(&cut).unwrap();
    let (code, out, _) = run(&["verify", s(&dir), "--archived", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["checkpoint_entries"], 0);
    let notes = v["not_checked"].to_string();
    assert!(notes.contains("the roots of") && notes.contains("checkpoint entries"), "{notes}");
    fs::write(&cut, text).unwrap();
    assert_eq!(run(&["verify", s(&dir)]).0, 0);
}

/// Guards a second archive run: it continues from the first cut (its
/// manifest starts where the first ends, with the same Merkle peaks), the
/// ledger verifies from the new cut, and `verify --archive` reads both
/// archives and the ledger as one chain from entry 0.
#[test]
fn a_second_archive_continues_from_the_first_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_ledger(tmp.path());
    let total = LedgerReader::open(&dir).unwrap().verify().unwrap().entries;
    let (before1, end1) = cut_before_segment(&dir, 1);
    let (before2, end2) = cut_before_segment(&dir, 3);
    let (a1, a2) = (tmp.path().join("a1"), tmp.path().join("a2"));
    assert_eq!(run(&["archive", s(&dir), "--before", &before1, "--to", s(&a1)]).0, 0);
    let (code, out, err) = run(&["archive", s(&dir), "--before", &before2, "--to", s(&a2)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("archived entries {end1}..{end2} in 2 segments")), "{out}");
    let (m1, _) = Manifest::read(&a1.join(MANIFEST_FILE)).unwrap();
    let (m2, _) = Manifest::read(&a2.join(MANIFEST_FILE)).unwrap();
    assert_eq!(m2.start, m1.end);
    assert_eq!(run(&["verify", s(&a2)]).0, 0);
    let (code, out, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 0, "{out}");
    assert!(result_line(&out).contains(&format!("OK from the cut at entry {end2}")), "{out}");
    let (code, out, _) =
        run(&["verify", s(&dir), "--archive", s(&a1), "--archive", s(&a2), "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["first_seq"].as_u64(), v["entries"].as_u64()), (Some(0), Some(total + 2)));
}
