//! `audit --db` against the in-memory audit views, field by field: entries
//! under every kind of filter and the corrections (applied, flagged, of
//! unknown targets, with replacements, voided in turn) of generated
//! plants; the `lotledger demo` plant through the two commands, byte for
//! byte; and a version 3 database migrating to version 4 (the frame
//! offsets computed from the stored bytes).
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

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use db_common::{dump, lotledger, plant, synced};
use lotledger::db::Db;
use lotledger::file::{Durability, FileLedger, LedgerReader, Options};
use lotledger::index::Index;
use lotledger::index::cache::{self, CacheMode};
use lotledger::model::{Corrected, Digest, EntryRef, Record, Text, Timestamp};
use lotledger::query::{self, AuditFilter};

/// Appends corrections of every status to the ledger in `dir`: one with a
/// reason and replacements, one naming a later entry (unknown target), one
/// with a wrong hash (flagged), one naming no entry at all.
fn odd_corrections(dir: &Path) {
    let (mut ledger, _) =
        FileLedger::open(dir, Options::new().durability(Durability::Buffered)).unwrap();
    let entries: Vec<_> =
        LedgerReader::open(dir).unwrap().entries().unwrap().map(Result::unwrap).collect();
    let last = entries.last().unwrap();
    let stamp = lotledger::entry::Stamp {
        time: last.header.time,
        actor: last.header.actor.clone(),
        station: last.header.station.clone(),
    };
    let head = entries.len() as u64;
    let target = &entries[1500];
    let wrong = &entries[1600];
    let mut corrections = vec![
        Corrected {
            target: EntryRef { seq: target.header.seq, hash: target.hash },
            reason: Text::new("scale misread; replaced").unwrap(),
            replacements: heapless::Vec::from_slice(&[1501, 1502, head + 50]).unwrap(),
        },
        Corrected {
            target: EntryRef { seq: head + 10, hash: Digest([7; 32]) },
            reason: Text::new("names a later entry").unwrap(),
            replacements: heapless::Vec::new(),
        },
        Corrected {
            target: EntryRef { seq: wrong.header.seq, hash: Digest([9; 32]) },
            reason: Text::new("wrong hash").unwrap(),
            replacements: heapless::Vec::new(),
        },
    ];
    corrections.push(Corrected {
        target: EntryRef { seq: u64::MAX / 2, hash: Digest([1; 32]) },
        reason: Text::default(),
        replacements: heapless::Vec::new(),
    });
    for c in corrections {
        let _ = ledger.append(&stamp, &Record::Corrected(c)).unwrap();
    }
    ledger.close().unwrap();
}

/// The filters compared: none, each actor and station, each kind, time
/// windows, limits and combinations.
fn filters(ix: &Index) -> Vec<AuditFilter> {
    let all = query::audit_entries(ix, &AuditFilter::default());
    let actors: BTreeSet<String> = all.iter().map(|r| r.actor.clone()).collect();
    let stations: BTreeSet<String> = all.iter().map(|r| r.station.clone()).collect();
    let kinds: BTreeSet<&str> = all.iter().map(|r| r.kind).collect();
    let times: Vec<Timestamp> = all.iter().map(|r| r.time).collect();
    let mut out = vec![AuditFilter::default()];
    for a in &actors {
        out.push(AuditFilter { actor: Some(a.clone()), ..AuditFilter::default() });
    }
    for s in &stations {
        out.push(AuditFilter { station: Some(s.clone()), ..AuditFilter::default() });
        out.push(AuditFilter {
            station: Some(s.clone()),
            actor: actors.iter().next().cloned(),
            limit: Some(7),
            ..AuditFilter::default()
        });
    }
    for k in kinds.iter().filter(|k| lotledger::model::RecordKind::from_name(k).is_some()) {
        out.push(AuditFilter { kind: Some((*k).to_owned()), ..AuditFilter::default() });
        out.push(AuditFilter {
            kind: Some((*k).to_owned()),
            limit: Some(3),
            ..AuditFilter::default()
        });
    }
    let n = times.len();
    for (a, b) in [(0, n / 3), (n / 4, n / 2), (n / 2, n - 1), (n - 5, n - 1)] {
        out.push(AuditFilter {
            from: Some(times[a]),
            to: Some(times[b]),
            ..AuditFilter::default()
        });
    }
    out.push(AuditFilter {
        from: Some(times[n / 2]),
        kind: Some("shipped".into()),
        limit: Some(25_000),
        ..AuditFilter::default()
    });
    out.push(AuditFilter { limit: Some(0), ..AuditFilter::default() });
    out.push(AuditFilter { limit: Some(20_001), ..AuditFilter::default() });
    out.push(AuditFilter { actor: Some("nobody at all".into()), ..AuditFilter::default() });
    out
}

/// Every filter of [`filters`] and the corrections, compared: returns the
/// rows compared.
fn compare(ix: &Index, db: &mut Db, what: &str) -> usize {
    let mut rows = 0;
    for f in filters(ix) {
        let m = query::audit_entries(ix, &f);
        let s = db.audit_entries(&f).unwrap();
        assert_eq!(s.len(), m.len(), "{what}: {f:?}: rows");
        for (a, b) in s.iter().zip(&m) {
            assert_eq!(a, b, "{what}: {f:?}");
        }
        assert_eq!(serde_json::to_string(&s).unwrap(), serde_json::to_string(&m).unwrap());
        rows += m.len();
    }
    let m = query::corrections(ix);
    let s = db.corrections().unwrap();
    assert_eq!(s.len(), m.len(), "{what}: corrections");
    for (a, b) in s.iter().zip(&m) {
        assert_eq!(a, b, "{what}: correction");
    }
    rows
}

#[test]
fn audit_in_sql_equals_the_in_memory_views_on_generated_plants() {
    let tmp = tempfile::tempdir().unwrap();
    for (seed, events, correct) in [(7u64, 9_000usize, true), (23, 5000, false)] {
        let dir = tmp.path().join(format!("plant{seed}"));
        plant(&dir, seed, events, correct);
        odd_corrections(&dir);
        // Batches of 1700: each continues the frame offsets of the one before.
        let (_, mut db) = synced(&dir, 1700);
        let ix = cache::open(&[&dir], CacheMode::Off).unwrap().index;
        let m = query::corrections(&ix);
        let statuses: BTreeSet<&str> = m.iter().map(|c| c.status).collect();
        assert_eq!(statuses.len(), 3, "seed {seed}: {statuses:?}");
        assert!(m.iter().any(|c| c.replacements.len() == 2 && c.target.is_some()));
        if correct {
            assert!(m.iter().any(|c| c.status == "applied" && !c.in_force));
        }
        let rows = compare(&ix, &mut db, &format!("seed {seed}"));
        assert!(rows > 4 * events, "seed {seed}: {rows} rows compared");
        assert!(
            query::audit_entries(&ix, &AuditFilter::default()).iter().any(|r| r.void),
            "seed {seed}: voided entries listed"
        );
    }
}

#[test]
fn frame_offsets_continue_across_syncs_and_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let id = lotledger::model::LedgerId([42; 16]);
    let url = pg::fresh_db();
    let mut db = Db::connect(&url).unwrap();
    // Small segments, grown and synced three times.
    for (skip, n) in [(0, 1200), (1200, 900), (2100, 2000)] {
        db_common::grow(&dir, id, 9, skip, n, 16 * 1024);
        db.sync_ledger(&dir, 500, |_, _| {}).unwrap();
    }
    let ix = cache::open(&[&dir], CacheMode::Off).unwrap().index;
    let segments = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "seg"))
        .count();
    assert!(segments > 5, "{segments} segments");
    let m = query::audit_entries(&ix, &AuditFilter::default());
    assert_eq!(db.audit_entries(&AuditFilter::default()).unwrap(), m);
    assert_eq!(m.len(), 4100);
}

/// A version 3 database (no frame offsets) migrates to version 4 by
/// computing them from the stored bodies: the same rows as a database
/// synced at version 4.
#[test]
fn a_version_3_database_migrates_by_computing_the_offsets_from_the_stored_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    plant(&dir, 5, 6000, true);
    let (url, mut db) = synced(&dir, 2500);
    let before = dump(&url);
    let rows = db.audit_entries(&AuditFilter::default()).unwrap();
    drop(db);
    db_common::sql(
        &url,
        "ALTER TABLE lotledger.entries DROP COLUMN frame_offset; \
         DROP FUNCTION lotledger.frame_len(integer); \
         DROP TABLE lotledger.complaint_entries; \
         DELETE FROM lotledger.schema_version WHERE version >= 4;",
    );
    let mut db = Db::connect(&url).unwrap();
    assert_eq!(db.schema_version().unwrap(), lotledger::db::SCHEMA_VERSION);
    assert_eq!(dump(&url), before);
    assert_eq!(db.audit_entries(&AuditFilter::default()).unwrap(), rows);
}

/// `lotledger audit --db` on the `lotledger demo` plant prints the bytes
/// `lotledger audit DIR` prints, in JSON and as a table.
#[test]
fn the_audit_command_on_the_database_prints_what_it_prints_on_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let run = lotledger;
    let d = dir.to_str().unwrap();
    let url = db_common::demo_in_db(&dir);
    let all: serde_json::Value =
        serde_json::from_slice(&run(&["audit", d, "--json", "--no-cache"])).unwrap();
    let all = all.as_array().unwrap();
    assert!(all.len() >= 30_000);
    let actor = all[all.len() / 2]["actor"].as_str().unwrap().to_owned();
    let station = all[all.len() / 3]["station"].as_str().unwrap().to_owned();
    let t = all[all.len() / 2]["time"].as_str().unwrap().to_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--corrections"],
        vec!["--actor", &actor],
        vec!["--station", &station, "--kind", "shipped"],
        vec!["--kind", "produced", "--limit", "40"],
        vec!["--from", &t, "--kind", "material_received"],
        vec!["--to", &t, "--limit", "1000"],
    ];
    let mut compared = 0;
    for case in &cases {
        for form in [&["--json"][..], &[][..], &["--csv"][..]] {
            let mut on_dir = vec!["audit", d];
            on_dir.extend(case.iter().copied().chain(form.iter().copied()));
            let mut on_db = vec!["audit", "--db", &url];
            on_db.extend(case.iter().copied().chain(form.iter().copied()));
            let (m, s) = (run(&on_dir), run(&on_db));
            assert!(!m.is_empty(), "{case:?} {form:?}");
            assert!(m == s, "{case:?} {form:?}: the outputs differ");
            compared += 1;
        }
    }
    assert_eq!(compared, 21);
    // --report and --personal-data read the directories only.
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["audit", "--db", &url, "--report"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
