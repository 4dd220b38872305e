//! Queries computed in PostgreSQL against the in-memory index, on the demo
//! plant: the lots a trace reaches, forward and backward, with their depths.
#![cfg(all(feature = "cli", unix))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod pg;

use std::collections::BTreeMap;
use std::process::Command;

use lotledger::db::Db;
use lotledger::file::LedgerReader;
use lotledger::index::cache::{self, CacheMode};
use lotledger::model::{LotId, Record};
use lotledger::query;

#[test]
fn trace_lots_in_sql_equal_the_in_memory_trace_on_the_demo_plant() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["demo", "--out", dir.to_str().unwrap(), "--events", "40000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = pg::fresh_db();
    let mut db = Db::connect(&url).unwrap();
    let report = db.sync_ledger(&dir, 5000, |_, _| {}).unwrap();
    assert_eq!(report.to, 40_000);
    let ix = cache::open(&[&dir], CacheMode::Off).unwrap().index;

    // Every lot a production or a receipt names, and whether any
    // production was corrected (so that voids are exercised).
    let mut lots: BTreeMap<(String, String), LotId> = BTreeMap::new();
    let mut corrections = 0;
    let reader = LedgerReader::open(&dir).unwrap();
    for e in reader.entries().unwrap() {
        let e = e.unwrap();
        match e.record() {
            Ok(Record::Produced(p)) => {
                for lq in p.inputs.iter().chain(p.outputs.iter()) {
                    lots.insert(
                        (lq.lot.item.to_string(), lq.lot.lot.as_str().to_owned()),
                        lq.lot.clone(),
                    );
                }
            }
            Ok(Record::MaterialReceived(m)) => {
                lots.insert((m.lot.item.to_string(), m.lot.lot.as_str().to_owned()), m.lot.clone());
            }
            Ok(Record::Corrected(_)) => corrections += 1,
            _ => {}
        }
    }
    assert!(lots.len() > 200, "{}", lots.len());
    assert!(corrections > 0, "the plant corrects some entries");
    let mut compared = 0;
    let mut deep = 0;
    for ((item, lot), id) in &lots {
        for forward in [true, false] {
            let memory: Vec<(String, String, u32)> = if forward {
                query::trace_forward(&ix, id).map(|t| {
                    t.lots.iter().map(|l| (l.item.to_owned(), l.lot.to_owned(), l.depth)).collect()
                })
            } else {
                query::trace_backward(&ix, id).map(|t| {
                    t.lots.iter().map(|l| (l.item.to_owned(), l.lot.to_owned(), l.depth)).collect()
                })
            }
            .unwrap_or_default();
            let mut memory = memory;
            memory.sort_by(|a, b| (a.2, &a.0, &a.1).cmp(&(b.2, &b.0, &b.1)));
            let mut sql = db.trace_lots(item, lot, forward).unwrap();
            if sql.is_empty() {
                // No link names the lot: the trace is the lot alone.
                sql.push((item.clone(), lot.clone(), 0));
            }
            assert_eq!(sql, memory, "{item}/{lot} forward={forward}");
            compared += 1;
            if memory.len() > 2 {
                deep += 1;
            }
        }
    }
    assert!(deep > 20, "traces with more than one step: {deep}");
    assert_eq!(compared, 2 * lots.len());
}

/// Productions voided by corrections, and a correction voided by another,
/// are out of (and back in) force in SQL as in the index.
#[test]
fn corrected_productions_are_left_out_as_the_index_leaves_them_out() {
    use lotledger::demo::{Plant, PlantConfig};
    use lotledger::file::{Durability, FileLedger, Options};
    use lotledger::model::{Corrected, EntryRef, LedgerId};

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("line");
    let id = LedgerId([3; 16]);
    let mut ledger =
        FileLedger::create(&dir, id, Options::new().durability(Durability::Buffered)).unwrap();
    let mut productions = Vec::new();
    let mut last = None;
    for (stamp, record) in Plant::new(&PlantConfig::default()).take(6000) {
        let a = ledger.append(&stamp, &record).unwrap();
        if let Record::Produced(p) = &record {
            productions.push((a.receipt, p.clone()));
        }
        last = Some(stamp);
    }
    let stamp = last.unwrap();
    assert!(productions.len() > 10);
    let correct = |ledger: &mut FileLedger, seq: u64, hash| {
        let c = Corrected {
            target: EntryRef { seq, hash },
            reason: lotledger::model::Text::default(),
            replacements: heapless::Vec::new(),
        };
        ledger.append(&stamp, &Record::Corrected(c)).unwrap().receipt
    };
    // Void the first three productions; then void the correction of the
    // second, so that it is in force again.
    let mut voiders = Vec::new();
    for (r, _) in productions.iter().take(3) {
        voiders.push(correct(&mut ledger, r.seq, r.hash));
    }
    let _ = correct(&mut ledger, voiders[1].seq, voiders[1].hash);
    ledger.close().unwrap();

    let url = pg::fresh_db();
    let mut db = Db::connect(&url).unwrap();
    db.sync_ledger(&dir, 1000, |_, _| {}).unwrap();
    let ix = cache::open(&[&dir], CacheMode::Off).unwrap().index;
    let mut compared = 0;
    for (_, p) in productions.iter().take(3) {
        for lq in p.inputs.iter().chain(p.outputs.iter()) {
            let (item, lot) = (lq.lot.item.to_string(), lq.lot.lot.as_str().to_owned());
            for forward in [true, false] {
                let mut memory: Vec<(String, String, u32)> = if forward {
                    query::trace_forward(&ix, &lq.lot).map(|t| {
                        t.lots
                            .iter()
                            .map(|l| (l.item.to_owned(), l.lot.to_owned(), l.depth))
                            .collect()
                    })
                } else {
                    query::trace_backward(&ix, &lq.lot).map(|t| {
                        t.lots
                            .iter()
                            .map(|l| (l.item.to_owned(), l.lot.to_owned(), l.depth))
                            .collect()
                    })
                }
                .unwrap();
                memory.sort_by(|a, b| (a.2, &a.0, &a.1).cmp(&(b.2, &b.0, &b.1)));
                let mut sql = db.trace_lots(&item, &lot, forward).unwrap();
                if sql.is_empty() {
                    sql.push((item.clone(), lot.clone(), 0));
                }
                assert_eq!(sql, memory, "{item}/{lot} forward={forward}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 6);
}

/// `lotledger trace --db` answers with the lots and depths `lotledger trace
/// DIR` gives.
#[test]
fn the_trace_command_on_the_database_gives_the_directory_s_lots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let bin = env!("CARGO_BIN_EXE_lotledger");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()
    };
    let d = dir.to_str().unwrap();
    run(&["demo", "--out", d, "--events", "5000"]);
    let url = pg::fresh_db();
    run(&["sync", d, "--db", &url, "--json"]);
    let lots_of = |v: &serde_json::Value| {
        let mut l: Vec<(String, String, u64)> = v["lots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["item"].as_str().unwrap().to_owned(),
                    l["lot"].as_str().unwrap().to_owned(),
                    l["depth"].as_u64().unwrap(),
                )
            })
            .collect();
        l.sort_by(|a, b| (a.2, &a.0, &a.1).cmp(&(b.2, &b.0, &b.1)));
        l
    };
    let mut deep = 0;
    for lot in [
        "RM-ESTRADIOL/R260003",
        "RM-NICOTINE/R260002",
        "IM-BLEND-L/M260001",
        "PM-POUCH-ALU/R260004",
    ] {
        for back in [false, true] {
            let mut args = vec!["trace", d, "--lot", lot, "--json", "--no-cache"];
            let mut db_args = vec!["trace", "--db", &url, "--lot", lot, "--json"];
            if back {
                args.push("--backward");
                db_args.push("--backward");
            }
            let (memory, sql) = (lots_of(&run(&args)), lots_of(&run(&db_args)));
            assert_eq!(sql, memory, "{lot} backward={back}");
            if memory.len() > 1 {
                deep += 1;
            }
        }
    }
    assert!(deep >= 3, "{deep}");
}
