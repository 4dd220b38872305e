//! The recall report computed in PostgreSQL against the in-memory one,
//! field by field: every recall of generated plants (other seeds and
//! sizes, master data on so that parties known by several identities are
//! exercised) and recalls by lot, including productions and shipments
//! voided by corrections; the `lotledger demo` plant through the command.
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

use db_common::{dump, plant};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use lotledger::db::{
    Db, DbRecall, DbRecallCustomer, DbRecallLine, DbRecallLot, DbRecallProgress, DbShipment,
};
use lotledger::file::LedgerReader;
use lotledger::index::Index;
use lotledger::index::cache::{self, CacheMode};
use lotledger::model::{LotId, Record, Reference};
use lotledger::query::{self, RecallReport};

/// The in-memory report in the database report's form and order (the
/// fields the database holds; docs/POSTGRES.md).
fn expected(m: &RecallReport, units_not_counted: u64) -> DbRecall {
    let mut lots: Vec<DbRecallLot> = m
        .lots
        .iter()
        .map(|l| DbRecallLot {
            item: l.item.clone(),
            lot: l.lot.clone(),
            depth: l.depth,
            status: l.status,
            expiry: l.expiry,
            on_hand: l.on_hand.clone(),
            under_recall: l.under_recall.clone(),
        })
        .collect();
    lots.sort_by(|a, b| (a.depth, &a.item, &a.lot).cmp(&(b.depth, &b.item, &b.lot)));
    let mut customers: Vec<DbRecallCustomer> = m
        .customers
        .iter()
        .map(|c| {
            let mut ship_to = c.ship_to.clone();
            ship_to.sort();
            DbRecallCustomer {
                customer: c.customer.clone(),
                ship_to,
                main_address: c.main_address,
                shipped: c.shipped.clone(),
                returned: c.returned.clone(),
                retrieved: c.retrieved.clone(),
                outstanding: c.outstanding.clone(),
                over_returned: c.over_returned.clone(),
                notified: c.notified,
                notified_at: c.notified_at.clone(),
                shipments: c
                    .shipments
                    .iter()
                    .map(|s| DbShipment {
                        order: s.order.clone(),
                        item: s.item.clone(),
                        lot: s.lot.clone(),
                        quantity: s.quantity,
                        unit: s.unit.clone(),
                        shipped_at: s.shipped_at,
                        ship_to: s.ship_to.clone(),
                        delivered_at: s.delivered_at,
                        ledger: s.place.ledger,
                        seq: s.place.seq,
                    })
                    .collect(),
            }
        })
        .collect();
    customers.sort_by(|a, b| a.customer.cmp(&b.customer));
    let mut customer_lots: Vec<DbRecallLine> = m
        .customer_lots
        .iter()
        .map(|l| DbRecallLine {
            customer: l.customer.clone(),
            item: l.item.clone(),
            lot: l.lot.clone(),
            unit: l.unit.clone(),
            shipped: l.shipped,
            returned: l.returned,
            retrieved: l.retrieved,
            outstanding: l.outstanding,
            over_returned: l.over_returned,
            ship_to: l.ship_to.clone(),
            orders: l.orders.clone(),
            notified_at: l.notified_at,
        })
        .collect();
    customer_lots.sort_by(|a, b| {
        (&a.customer, &a.item, &a.lot, &a.unit).cmp(&(&b.customer, &b.item, &b.lot, &b.unit))
    });
    let mut recalls: Vec<DbRecallProgress> = m
        .recalls
        .iter()
        .map(|r| {
            let mut not_notified = r.not_notified.clone();
            not_notified.sort();
            DbRecallProgress {
                recall: r.recall.clone(),
                class: r.class,
                opened_at: r.opened_at,
                lots: r.lots.clone(),
                customers: r.customers,
                notified: r.notified.clone(),
                not_notified,
                retrieved: r.retrieved.clone(),
                outstanding: r.outstanding.clone(),
                over_returned: r.over_returned.clone(),
                closed_at: r.closed_at,
            }
        })
        .collect();
    recalls.sort_by(|a, b| a.recall.cmp(&b.recall));
    let mut balances = m.balances.clone();
    balances.sort_by(|a, b| (&a.item, &a.lot).cmp(&(&b.item, &b.lot)));
    DbRecall {
        recalled: m.recalled.clone(),
        lots,
        customers,
        customer_lots,
        balances,
        recalls,
        unit_shipments_not_counted: units_not_counted,
    }
}

/// Asserts the database report equals the in-memory one field by field.
fn assert_same(what: &str, m: &RecallReport, mut sql: DbRecall) {
    let want = expected(m, sql.unit_shipments_not_counted);
    sql.balances.sort_by(|a, b| (&a.item, &a.lot).cmp(&(&b.item, &b.lot)));
    assert_eq!(sql.recalled, want.recalled, "{what}: recalled");
    assert_eq!(sql.lots.len(), want.lots.len(), "{what}: lots");
    for (s, w) in sql.lots.iter().zip(&want.lots) {
        assert_eq!(s, w, "{what}: lot");
    }
    assert_eq!(sql.balances, want.balances, "{what}: balances");
    assert_eq!(sql.customer_lots.len(), want.customer_lots.len(), "{what}: customer lines");
    for (s, w) in sql.customer_lots.iter().zip(&want.customer_lots) {
        assert_eq!(s, w, "{what}: customer line");
    }
    assert_eq!(sql.customers.len(), want.customers.len(), "{what}: customers");
    for (s, w) in sql.customers.iter().zip(&want.customers) {
        assert_eq!(s, w, "{what}: customer");
    }
    assert_eq!(sql.recalls, want.recalls, "{what}: recalls");
}

/// The recall numbers and the lots received or produced in `dir`.
fn names(dir: &Path) -> (BTreeSet<String>, Vec<LotId>) {
    let mut recalls = BTreeSet::new();
    let mut lots = Vec::new();
    let mut seen = BTreeSet::new();
    for e in LedgerReader::open(dir).unwrap().entries().unwrap() {
        let e = e.unwrap();
        let mut note = |l: &LotId| {
            if seen.insert(l.to_string()) {
                lots.push(l.clone());
            }
        };
        match e.record() {
            Ok(Record::RecallOpened(r)) => {
                recalls.insert(r.recall.as_str().to_owned());
            }
            Ok(Record::MaterialReceived(m)) => note(&m.lot),
            Ok(Record::Produced(p)) => p.outputs.iter().for_each(|o| note(&o.lot)),
            _ => {}
        }
    }
    (recalls, lots)
}

fn pair(l: &LotId) -> (String, String) {
    (l.item.to_string(), l.lot.as_str().to_owned())
}

fn compare_plant(ix: &Index, db: &mut Db, dir: &Path, what: &str) -> (usize, usize) {
    let (recalls, lots) = names(dir);
    let mut compared = 0;
    for number in &recalls {
        let m = query::recall_by_number(ix, &Reference::new(number).unwrap()).unwrap();
        let s = db.recall_by_number(number).unwrap();
        assert!(!s.lots.is_empty());
        assert_same(&format!("{what} recall {number}"), &m, s);
        compared += 1;
    }
    // Every raw material lot, every tenth other lot, and pairs of lots.
    let mut with_customers = 0;
    for (i, l) in lots.iter().enumerate() {
        let raw = l.item.to_string().starts_with("RM-");
        if !raw && i % 10 != 0 {
            continue;
        }
        let m = query::recall(ix, core::slice::from_ref(l)).unwrap();
        if !m.customers.is_empty() {
            with_customers += 1;
        }
        assert_same(&format!("{what} lot {l}"), &m, db.recall(&[pair(l)]).unwrap());
        compared += 1;
        if i % 20 == 0
            && let Some(next) = lots.get(i + 3)
        {
            let both = [l.clone(), next.clone()];
            let m = query::recall(ix, &both).unwrap();
            assert_same(
                &format!("{what} lots {l} {next}"),
                &m,
                db.recall(&[pair(l), pair(next)]).unwrap(),
            );
            compared += 1;
        }
    }
    (compared, with_customers)
}

#[test]
fn recall_in_sql_equals_the_in_memory_report_on_generated_plants() {
    let tmp = tempfile::tempdir().unwrap();
    let mut total = 0;
    for (seed, events, correct) in
        [(7u64, 12_000usize, true), (11, 15_000, true), (23, 6000, false)]
    {
        let dir = tmp.path().join(format!("plant{seed}"));
        plant(&dir, seed, events, correct);
        // One database a plant: the plants share recall numbers and
        // customer codes, which join across ledgers in the database as in
        // an index of several ledgers.
        let mut db = Db::connect(&pg::fresh_db()).unwrap();
        db.sync_ledger(&dir, 3000, |_, _| {}).unwrap();
        let ix = cache::open(&[&dir], CacheMode::Off).unwrap().index;
        let (n, with_customers) = compare_plant(&ix, &mut db, &dir, &format!("seed {seed}"));
        assert!(n > 20, "seed {seed}: {n} reports compared");
        assert!(with_customers > 5, "seed {seed}: {with_customers} reports reach customers");
        total += n;
        let (recalls, _) = names(&dir);
        if events >= 12_000 {
            assert!(!recalls.is_empty(), "seed {seed} opens a recall");
        }
    }
    assert!(total > 60);
}

#[test]
fn unknown_lots_and_recalls_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    plant(&dir, 3, 2000, false);
    let url = pg::fresh_db();
    let mut db = Db::connect(&url).unwrap();
    db.sync_ledger(&dir, 1000, |_, _| {}).unwrap();
    let e = db.recall(&[("RM-NOTHING".into(), "X1".into())]).unwrap_err();
    assert!(e.to_string().contains("RM-NOTHING/X1"), "{e}");
    let e = db.recall_by_number("RC-NONE").unwrap_err();
    assert!(e.to_string().contains("RC-NONE"), "{e}");
}

/// `lotledger recall --db` on the `lotledger demo` plant: the recall it
/// records, and raw material lots, against `lotledger recall DIR`. The
/// demo plant ships its serialized products by container and serial
/// (kind 22), which the database report does not count (it says how many
/// such entries it left out): lots and customers those shipments touch are
/// compared on the other fields; the rest field by field.
#[test]
fn the_recall_command_on_the_database_matches_the_directory_on_the_demo_plant() {
    use serde_json::Value;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let bin = env!("CARGO_BIN_EXE_lotledger");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
    };
    let d = dir.to_str().unwrap();
    run(&["demo", "--out", d, "--events", "30000"]);
    let url = pg::fresh_db();
    run(&["sync", d, "--db", &url, "--json"]);
    let (recalls, lots) = names(&dir);
    assert!(!recalls.is_empty(), "the demo plant opens a recall");
    let mut unit_seqs = BTreeSet::new();
    for e in LedgerReader::open(&dir).unwrap().entries().unwrap() {
        let e = e.unwrap();
        if matches!(e.record(), Ok(Record::GoodsShipped(_))) {
            unit_seqs.insert(e.header.seq);
        }
    }
    assert!(!unit_seqs.is_empty(), "the demo plant ships goods by serial");
    let mut starts: Vec<[String; 2]> =
        recalls.iter().map(|r| ["--recall".to_owned(), r.clone()]).collect();
    starts.extend(
        lots.iter()
            .filter(|l| l.item.to_string().starts_with("RM-"))
            .take(10)
            .map(|l| ["--lot".to_owned(), l.to_string()]),
    );
    let key = |v: &Value, fields: &[&str]| -> String {
        fields.iter().map(|f| v[*f].to_string()).collect::<Vec<_>>().join("|")
    };
    let (mut full_customers, mut touched_customers, mut full_lots) = (0, 0, 0);
    for [flag, value] in &starts {
        let m = run(&["recall", d, flag, value, "--json", "--no-cache"]);
        let s = run(&["recall", "--db", &url, flag, value, "--json"]);
        let what = format!("{flag} {value}");
        assert_eq!(s["unit_shipments_not_counted"].as_u64(), Some(unit_seqs.len() as u64));
        assert_eq!(s["recalled"], m["recalled"], "{what}");
        // Lots whose shipments include goods shipped by serial.
        let mut by_unit: BTreeSet<String> = BTreeSet::new();
        let mut customer_by_unit: BTreeSet<String> = BTreeSet::new();
        for c in m["customers"].as_array().unwrap() {
            for sh in c["shipments"].as_array().unwrap() {
                if unit_seqs.contains(&sh["place"]["seq"].as_u64().unwrap()) {
                    by_unit.insert(key(sh, &["item", "lot"]));
                    customer_by_unit.insert(c["customer"].to_string());
                }
            }
        }
        let sorted = |v: &Value, fields: &[&str]| {
            let mut l: Vec<Value> = v.as_array().unwrap().clone();
            l.sort_by_key(|x| key(x, fields));
            l
        };
        let (ml, sl) = (sorted(&m["lots"], &["item", "lot"]), sorted(&s["lots"], &["item", "lot"]));
        assert_eq!(ml.len(), sl.len(), "{what}: lots");
        for (a, b) in ml.iter().zip(&sl) {
            let unit = by_unit.contains(&key(a, &["item", "lot"]));
            for f in ["item", "lot", "depth", "status", "expiry", "under_recall"] {
                assert_eq!(a[f], b[f], "{what}: lot {f}");
            }
            if !unit {
                assert_eq!(a["on_hand"], b["on_hand"], "{what}: lot on hand");
                full_lots += 1;
            }
        }
        let (mb, sb) =
            (sorted(&m["balances"], &["item", "lot"]), sorted(&s["balances"], &["item", "lot"]));
        for (a, b) in mb.iter().zip(&sb) {
            let unit = by_unit.contains(&key(a, &["item", "lot"]));
            for f in ["received", "produced", "returned", "retrieved", "consumed", "destroyed"] {
                assert_eq!(a[f], b[f], "{what}: balance {f}");
            }
            if !unit {
                assert_eq!(a, b, "{what}: balance");
            }
        }
        let mc = sorted(&m["customers"], &["customer"]);
        let sc = sorted(&s["customers"], &["customer"]);
        for a in &mc {
            let b = sc.iter().find(|b| b["customer"] == a["customer"]);
            // The database's shipments: the directory's, less those by serial.
            let want: Vec<Value> = a["shipments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|sh| !unit_seqs.contains(&sh["place"]["seq"].as_u64().unwrap()))
                .map(|sh| {
                    let mut x = sh.clone();
                    let place = x.as_object_mut().unwrap().remove("place").unwrap();
                    x["ledger"] = place["ledger"].clone();
                    x["seq"] = place["seq"].clone();
                    x
                })
                .collect();
            if want.is_empty() && b.is_none() {
                continue;
            }
            let b = b.unwrap_or_else(|| panic!("{what}: customer {} missing", a["customer"]));
            assert_eq!(b["shipments"].as_array().unwrap(), &want, "{what}: shipments");
            for f in ["notified", "notified_at", "returned", "retrieved"] {
                assert_eq!(a[f], b[f], "{what}: customer {f}");
            }
            if customer_by_unit.contains(&a["customer"].to_string()) {
                touched_customers += 1;
            } else {
                for f in ["shipped", "outstanding", "over_returned", "main_address"] {
                    assert_eq!(a[f], b[f], "{what}: customer {f}");
                }
                full_customers += 1;
            }
        }
    }
    assert!(full_customers > 10, "customers compared in full: {full_customers}");
    assert!(full_lots > 10, "lots compared in full: {full_lots}");
    let _ = touched_customers;
}

/// A version 1 database (no derived rows for recall) migrates to version 2
/// by re-deriving the rows from the stored entries' bytes: the same rows
/// and the same report as a database synced at version 2.
#[test]
fn a_version_1_database_migrates_by_rederiving_from_the_stored_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    plant(&dir, 5, 12_000, true);
    let url = pg::fresh_db();
    let mut db = Db::connect(&url).unwrap();
    db.sync_ledger(&dir, 2500, |_, _| {}).unwrap();
    // The tables versions 2 and 5 added (the first two are version 1's).
    let tables = &db_common::DERIVED[2..];
    let before = dump(&url);
    assert!(before.iter().any(|r| r.starts_with("voided: ")), "corrections void entries");
    assert!(before.iter().filter(|r| r.starts_with("lot_moves: ")).count() > 1000);
    let (recalls, _) = names(&dir);
    let number = recalls.iter().next().unwrap().clone();
    let report = db.recall_by_number(&number).unwrap();
    drop(db);
    // Back to version 1.
    let mut drop_sql = String::new();
    for t in tables {
        drop_sql.push_str(&format!("DROP TABLE lotledger.{t};"));
    }
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "{drop_sql} DROP FUNCTION lotledger.shown_party(text); \
             DROP FUNCTION lotledger.is_void(integer, bigint); \
             DROP FUNCTION lotledger.qty(bigint, smallint); \
             DROP INDEX lotledger.corrections_target; \
             ALTER TABLE lotledger.corrections DROP COLUMN applied; \
             DROP TABLE lotledger.derive_pending; \
             ALTER TABLE lotledger.entries DROP COLUMN frame_offset; \
             DROP FUNCTION lotledger.frame_len(integer); \
             DELETE FROM lotledger.schema_version WHERE version >= 2;"
        ))
        .unwrap();
    let v: i32 =
        admin.query_one("SELECT max(version) FROM lotledger.schema_version", &[]).unwrap().get(0);
    assert_eq!(v, 1);
    let mut db = Db::connect(&url).unwrap();
    assert_eq!(db.schema_version().unwrap(), lotledger::db::SCHEMA_VERSION);
    assert_eq!(dump(&url), before);
    assert_eq!(db.recall_by_number(&number).unwrap(), report);
}
