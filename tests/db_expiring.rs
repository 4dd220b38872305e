//! `expiring --db` against the in-memory expiry report, field by field:
//! windows over the expiry dates of generated plants (productions,
//! shipments and returns voided by corrections, one correction voided in
//! turn), two ledgers in one database, and the `lotledger demo` plant
//! through the two commands, byte for byte.
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

use db_common::{lotledger, plant};
use lotledger::db::Db;
use lotledger::index::cache::{self, CacheMode};
use lotledger::model::Date;
use lotledger::query;

/// Every window of the expiry dates in the ledgers `dirs`, compared with
/// the report over the database's selection: returns the lots compared.
fn compare(dirs: &[&Path], db: &mut Db, what: &str) -> usize {
    let ix = cache::open(dirs, CacheMode::Off).unwrap().index;
    let all = query::expiring(&ix, Date(i32::MAX), None);
    let dates: Vec<Date> = all.lots.iter().map(|l| l.expiry).collect();
    assert!(dates.len() >= 20, "{what}: {} lots with an expiry", dates.len());
    let n = dates.len();
    let day = |d: Date, k: i32| Date(d.0 + k);
    let mut windows = vec![
        (Date(i32::MAX), None),
        (dates[0], None),
        (day(dates[0], 1), None),
        (dates[n / 2], None),
        (dates[n / 2], Some(dates[n / 4])),
        (day(dates[n - 1], 1), Some(dates[n - 1])),
        (dates[n / 3], Some(dates[n / 3])),
    ];
    windows.push((dates[n / 10 + 1], Some(dates[n / 10])));
    let mut lots = 0;
    for (before, from) in windows {
        let m = query::expiring(&ix, before, from);
        let sx = db.expiring_index(before, from).unwrap();
        let s = query::expiring(&sx, before, from);
        assert_eq!(s.lots, m.lots, "{what}: lots before {before:?} from {from:?}");
        assert_eq!(s.customers, m.customers, "{what}: customers before {before:?} from {from:?}");
        assert_eq!(serde_json::to_string(&s).unwrap(), serde_json::to_string(&m).unwrap());
        if m.lots.len() < n / 5 {
            assert!(sx.entries() < ix.entries() / 2, "{what}: a narrow window selects little");
        }
        lots += m.lots.len();
    }
    assert!(all.customers.iter().any(|c| !c.ship_to.is_empty()), "{what}: ship-to names");
    lots
}

#[test]
fn the_expiry_report_over_the_selected_entries_equals_the_in_memory_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (seed, events, correct) in [(17u64, 20_000usize, true), (31, 12_000, false)] {
        let dir = tmp.path().join(format!("plant{seed}"));
        plant(&dir, seed, events, correct);
        let (_, mut db) = db_common::synced(&dir, 3000);
        let n = compare(&[&dir], &mut db, &format!("seed {seed}"));
        assert!(n > 40, "seed {seed}: {n} lots compared");
        dirs.push(dir);
    }
    let mut db = db_common::all_synced(&dirs);
    let paths: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let _ = compare(&paths, &mut db, "two ledgers");
}

/// `lotledger expiring --db` on the `lotledger demo` plant prints the
/// bytes `lotledger expiring DIR` prints, in JSON, as tables and CSV (the
/// personal-data store moved away from the directory, as the database
/// holds the commitments only).
#[test]
fn the_expiring_command_on_the_database_prints_what_it_prints_on_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let run = lotledger;
    let d = dir.to_str().unwrap();
    let url = db_common::demo_in_db(&dir);
    std::fs::rename(dir.join("personal"), tmp.path().join("personal")).unwrap();
    let all: serde_json::Value = serde_json::from_slice(&run(&[
        "expiring",
        d,
        "--before",
        "2100-01-01",
        "--json",
        "--no-cache",
    ]))
    .unwrap();
    let mut dates: Vec<String> = all["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["expiry"].as_str().unwrap().to_owned())
        .collect();
    dates.sort();
    assert!(dates.len() >= 50, "{} lots", dates.len());
    let n = dates.len();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--before", "2100-01-01"],
        vec!["--before", &dates[n / 2]],
        vec!["--before", &dates[n / 2], "--from", &dates[n / 3]],
        vec!["--before", &dates[0]],
    ];
    let mut compared = 0;
    for case in &cases {
        compared += db_common::same_output("expiring", d, &url, case, &[]);
    }
    assert_eq!(compared, 12);
}
