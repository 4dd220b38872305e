//! `complaints --db` against the in-memory complaint queries, field by
//! field: lists under every filter at several times, every complaint's
//! timeline, clusters and counts, over generated plants with corrections of
//! complaint entries (a registration voided and filed again, a step voided,
//! a correction voided in turn, a step of a complaint never registered) and
//! over two ledgers in one database; a version 4 database migrating to
//! version 5 (the complaint rows derived from the stored bytes); and the
//! `lotledger demo` plant through the two commands, byte for byte.
#![cfg(all(feature = "cli", unix))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod db_common;
mod pg;

use std::path::Path;
use std::process::Command;

use db_common::{dump, lotledger, plant};
use lotledger::db::Db;
use lotledger::file::{FileLedger, LedgerReader};
use lotledger::index::Index;
use lotledger::index::cache::{self, CacheMode};
use lotledger::model::{
    ComplaintType, Corrected, EntryRef, Record, Reference, Severity, Text, Timestamp,
};
use lotledger::query::{self, ClusterSpec, ComplaintFilter, ResponseCommitments};

/// Appends corrections of complaint entries to the ledger in `dir`: the
/// first registration voided and then filed again, a step of the second
/// complaint voided, the third registration's correction voided in turn,
/// and a step naming a complaint no ledger registers.
fn complaint_corrections(dir: &Path) {
    let entries: Vec<_> =
        LedgerReader::open(dir).unwrap().entries().unwrap().map(Result::unwrap).collect();
    let registrations: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e.record().unwrap(), Record::ComplaintRegistered(_)))
        .collect();
    let steps: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e.record().unwrap(), Record::ComplaintProgress(_)))
        .collect();
    assert!(registrations.len() >= 4 && steps.len() >= 4, "complaints in the plant");
    let Record::ComplaintRegistered(second) = registrations[1].record().unwrap() else { panic!() };
    let step = steps
        .iter()
        .find(|s| {
            matches!(s.record().unwrap(), Record::ComplaintProgress(p) if p.complaint == second.complaint)
        })
        .expect("a step of the second complaint");
    let (mut ledger, stamp) = db_common::reopen_at_last(dir, &entries);
    let correct = |ledger: &mut FileLedger, seq: u64, hash| {
        let c = Corrected {
            target: EntryRef { seq, hash },
            reason: Text::new("entered for the wrong complaint").unwrap(),
            replacements: heapless::Vec::new(),
        };
        ledger.append(&stamp, &Record::Corrected(c)).unwrap().receipt
    };
    let first = registrations[0];
    let _ = correct(&mut ledger, first.header.seq, first.hash);
    let _ = ledger.append(&stamp, &first.record().unwrap()).unwrap();
    let _ = correct(&mut ledger, step.header.seq, step.hash);
    let third = registrations[2];
    let voider = correct(&mut ledger, third.header.seq, third.hash);
    let _ = correct(&mut ledger, voider.seq, voider.hash);
    let Record::ComplaintProgress(mut orphan) = steps[0].record().unwrap() else { panic!() };
    orphan.complaint = "CMP-NOT-FILED".parse().unwrap();
    let _ = ledger.append(&stamp, &Record::ComplaintProgress(orphan)).unwrap();
    ledger.close().unwrap();
}

/// The filters compared: none, open and closed, overdue, each severity and
/// type, lots and customers the registrations in `dirs` name, and time
/// windows of the complaints in `ix`.
fn filters(ix: &Index, dirs: &[&Path], rc: &ResponseCommitments) -> Vec<ComplaintFilter> {
    let all = query::complaints(ix, &ComplaintFilter::default(), rc, Timestamp(i64::MAX));
    let d = ComplaintFilter::default;
    let mut out = vec![
        d(),
        ComplaintFilter { open: Some(true), ..d() },
        ComplaintFilter { open: Some(false), ..d() },
        ComplaintFilter { overdue: true, ..d() },
        ComplaintFilter { open: Some(true), overdue: true, ..d() },
    ];
    for s in [Severity::General, Severity::Major, Severity::Crisis] {
        out.push(ComplaintFilter { severity: Some(s), ..d() });
    }
    for k in [
        ComplaintType::ProductQuality,
        ComplaintType::ServiceAttitude,
        ComplaintType::Logistics,
        ComplaintType::ContractDispute,
        ComplaintType::MisleadingAdvertising,
    ] {
        out.push(ComplaintFilter { kind: Some(k), ..d() });
    }
    // Lots and customers as the registrations name them.
    let (mut lots, mut customers) = (Vec::new(), Vec::new());
    for dir in dirs {
        for e in LedgerReader::open(dir).unwrap().entries().unwrap() {
            if let Record::ComplaintRegistered(c) = e.unwrap().record().unwrap() {
                lots.extend(c.lot.filter(|l| !lots.contains(l)));
                customers.extend(c.customer.filter(|p| !customers.contains(p)));
            }
        }
    }
    for lot in lots.into_iter().take(3) {
        out.push(ComplaintFilter { lot: Some(lot), ..d() });
    }
    for c in customers.into_iter().take(3) {
        out.push(ComplaintFilter { customer: Some(c), ..d() });
    }
    let n = all.len();
    for (a, b) in [(0, n / 2), (n / 3, n - 1)] {
        out.push(ComplaintFilter {
            from: Some(all[a].received_at),
            to: Some(all[b].received_at),
            ..d()
        });
    }
    out
}

/// Every query of `complaints` over the ledgers in `dirs` and over the
/// database, compared; returns the complaints compared.
fn compare(dirs: &[&Path], db: &mut Db, what: &str) -> usize {
    let ix = cache::open(dirs, CacheMode::Off).unwrap().index;
    let sx = db.complaint_index(None).unwrap();
    assert!(sx.entries() < ix.entries() / 4, "{what}: only the complaint entries are selected");
    let rc = ResponseCommitments::default();
    let all = query::complaints(&ix, &ComplaintFilter::default(), &rc, Timestamp(i64::MAX));
    assert!(all.len() >= 4, "{what}: {} complaints", all.len());
    let t = |i: usize| all[i.min(all.len() - 1)].received_at;
    let times = [t(all.len() / 2), Timestamp(t(all.len() - 1).0 + 5 * Timestamp::HOUR), t(0)];
    let mut rows = 0;
    for f in filters(&ix, dirs, &rc) {
        for now in times {
            let m = query::complaints(&ix, &f, &rc, now);
            let s = query::complaints(&sx, &f, &rc, now);
            assert_eq!(s, m, "{what}: {f:?} at {now}");
            assert_eq!(serde_json::to_string(&s).unwrap(), serde_json::to_string(&m).unwrap());
            rows += m.len();
        }
    }
    assert!(rows > all.len(), "{what}: {rows} rows");
    let mut numbers: Vec<String> = all.iter().map(|r| r.complaint.clone()).collect();
    numbers.push("CMP-NOT-FILED".into());
    for number in &numbers {
        let n: Reference = number.parse().unwrap();
        let one = db.complaint_index(Some(number)).unwrap();
        for now in times {
            let m = query::complaint_timeline(&ix, &n, &rc, now);
            for (form, x) in [("one", &one), ("all", &sx)] {
                let s = query::complaint_timeline(x, &n, &rc, now);
                assert_eq!(s, m, "{what}: timeline of {number} ({form}) at {now}");
                if let (Ok(s), Ok(m)) = (&s, &m) {
                    assert_eq!(
                        serde_json::to_string(s).unwrap(),
                        serde_json::to_string(m).unwrap()
                    );
                }
            }
        }
    }
    assert!(
        query::complaint_timeline(&ix, &"CMP-NOT-FILED".parse().unwrap(), &rc, times[1]).is_err()
    );
    for spec in [
        ClusterSpec { min: 1, window_ms: Timestamp::HOUR },
        ClusterSpec { min: 2, window_ms: 720 * Timestamp::HOUR },
        ClusterSpec { min: 3, window_ms: 24 * Timestamp::HOUR },
    ] {
        let m = query::complaint_clusters(&ix, &spec);
        let s = query::complaint_clusters(&sx, &spec);
        assert_eq!(serde_json::to_string(&s).unwrap(), serde_json::to_string(&m).unwrap());
        assert_eq!(s, m, "{what}: clusters {spec:?}");
    }
    for (from, to) in [(None, None), (Some(times[2]), Some(times[0])), (Some(times[0]), None)] {
        let m = query::complaint_counts(&ix, from, to);
        assert_eq!(query::complaint_counts(&sx, from, to), m, "{what}: counts");
    }
    all.len()
}

#[test]
fn complaints_over_the_selected_entries_equal_the_in_memory_queries() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (seed, events, correct) in [(11u64, 20_000usize, true), (29, 14_000, false)] {
        let dir = tmp.path().join(format!("plant{seed}"));
        plant(&dir, seed, events, correct);
        complaint_corrections(&dir);
        let (_, mut db) = db_common::synced(&dir, 3000);
        let n = compare(&[&dir], &mut db, &format!("seed {seed}"));
        // The corrections are seen: a registration filed again is one
        // complaint; the one whose correction was voided is in force.
        assert!(n >= 4);
        dirs.push(dir);
    }
    // Two ledgers in one database, synced in the order the directories are
    // given: ledger number order is the directories' order.
    let mut db = db_common::all_synced(&dirs);
    let paths: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let _ = compare(&paths, &mut db, "two ledgers");
}

/// A version 4 database (no complaint rows) migrates to version 5 by
/// deriving them from the stored bodies: the same rows as a database
/// synced at version 5.
#[test]
fn a_version_4_database_migrates_by_deriving_the_complaint_rows_from_the_stored_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    plant(&dir, 13, 15_000, true);
    complaint_corrections(&dir);
    let (url, db) = db_common::synced(&dir, 4000);
    drop(db);
    let before = dump(&url);
    let rows = before.iter().filter(|r| r.starts_with("complaint_entries: ")).count();
    assert!(rows > 20, "{rows} complaint rows");
    db_common::sql(
        &url,
        "DROP TABLE lotledger.complaint_entries; \
         DELETE FROM lotledger.schema_version WHERE version >= 5;",
    );
    let mut db = Db::connect(&url).unwrap();
    assert_eq!(db.schema_version().unwrap(), lotledger::db::SCHEMA_VERSION);
    assert_eq!(dump(&url), before);
    let _ = compare(&[&dir], &mut db, "migrated");
}

/// `lotledger complaints --db` on the `lotledger demo` plant prints the
/// bytes `lotledger complaints DIR` prints, in JSON, as a table and CSV,
/// with timelines, clusters and counts; the personal-data store is moved
/// away from the directory first (the database holds the commitments only,
/// so both show sealed fields as `sealed:` and the commitment's start).
#[test]
fn the_complaints_command_on_the_database_prints_what_it_prints_on_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let run = lotledger;
    let d = dir.to_str().unwrap();
    let url = db_common::demo_in_db(&dir);
    std::fs::rename(dir.join("personal"), tmp.path().join("personal")).unwrap();
    let all: serde_json::Value = serde_json::from_slice(&run(&[
        "complaints",
        d,
        "--json",
        "--no-cache",
        "--now",
        "2030-01-01",
    ]))
    .unwrap();
    let all = all.as_array().unwrap();
    assert!(all.len() >= 10, "{} complaints", all.len());
    let mid = &all[all.len() / 2];
    let now = mid["received_at"].as_str().unwrap().to_owned();
    let number = mid["complaint"].as_str().unwrap().to_owned();
    let first = all[0]["complaint"].as_str().unwrap().to_owned();
    let lot = all
        .iter()
        .find_map(|c| Some(format!("{}/{}", c["item"].as_str()?, c["lot"].as_str()?)))
        .unwrap();
    let customer = all.iter().find_map(|c| c["customer"].as_str()).unwrap().to_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--open", "--overdue"],
        vec!["--closed", "--severity", "general"],
        vec!["--type", "logistics"],
        vec!["--lot", &lot],
        vec!["--customer", &customer, "--from", "2026-01-01"],
        vec!["--timeline", &number],
        vec!["--timeline", &first],
        vec!["--clusters", "2", "--window-hours", "240"],
        vec!["--counts", "--to", &now],
    ];
    let mut compared = 0;
    for case in &cases {
        for at in ["2030-01-01", now.as_str()] {
            compared += db_common::same_output("complaints", d, &url, case, &["--now", at]);
        }
    }
    assert_eq!(compared, 60);
    // An unknown number: not found (exit 6) with the same near matches.
    let unknown = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lotledger")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8(out.stderr).unwrap();
        err.lines().filter(|l| l.contains("did you mean")).map(String::from).collect::<Vec<_>>()
    };
    let lower = first.to_lowercase();
    let m = unknown(&["complaints", d, "--timeline", &lower]);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(unknown(&["complaints", "--db", &url, "--timeline", &lower]), m);
}
