//! `where --db` against `where` on the ledger directory, field by field:
//! serials commissioned, packed, shipped, returned and sampled, units of
//! lots in a recall's scope, cases and pallets (pallets packed with lots
//! and pallets of aggregated cases) of the `lotledger demo` plant, through
//! the library and through the two commands, byte for byte.
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

use db_common::lotledger;
use lotledger::db::Db;
use lotledger::file::LedgerReader;
use lotledger::index::cache::{self, CacheMode};
use lotledger::model::{
    Date, Goods, LotId, RecallClass, RecallOpened, Record, Reference, SerialSpan, Text,
};
use lotledger::query::{self, UnitTarget};

/// Units and containers the demo's records name: the first, 50th and last
/// serial of every commissioned range, serials returned or decommissioned
/// one by one, cases and pallets of aggregations, and pallets packed with
/// lots.
fn targets(dir: &std::path::Path) -> Vec<UnitTarget> {
    let mut out = Vec::new();
    let mut pallets = 0;
    for e in LedgerReader::open(dir).unwrap().entries().unwrap() {
        match e.unwrap().record().unwrap() {
            Record::Commissioned(c) => {
                let SerialSpan::Range(range) = &c.serials[0] else { continue };
                for i in [0, 49, range.count() - 1] {
                    let serial = range.serial(i).unwrap().as_str().to_owned();
                    out.push(UnitTarget::Serial { item: c.lot.item.clone(), serial });
                }
            }
            Record::GoodsReturned(g) => {
                if let Goods::Serials(s) = &g.goods[0]
                    && let SerialSpan::One(serial) = &s.serials
                {
                    let serial = serial.as_str().to_owned();
                    out.push(UnitTarget::Serial { item: s.lot.item.clone(), serial });
                }
            }
            Record::Decommissioned(d) => {
                if let Goods::Serials(s) = &d.goods[0]
                    && let SerialSpan::One(serial) = &s.serials
                {
                    let serial = serial.as_str().to_owned();
                    out.push(UnitTarget::Serial { item: s.lot.item.clone(), serial });
                }
            }
            Record::Aggregated(a) => out.push(UnitTarget::Container(a.parent.clone())),
            Record::Packed(p) if pallets < 40 => {
                pallets += 1;
                out.push(UnitTarget::Container(p.into.clone()));
            }
            _ => {}
        }
    }
    out.sort_by_key(ToString::to_string);
    out.dedup_by_key(|t| t.to_string());
    out
}

/// The `lotledger demo` plant of 30 000 entries, with a recall of an
/// input of the production that made a serialized lot added (the demo's
/// own recall reaches no serialized lot this early), synced into a fresh
/// database by the command: its URL.
fn demo_with_recall(dir: &std::path::Path) -> String {
    let d = dir.to_str().unwrap();
    lotledger(&["demo", "--out", d, "--events", "30000"]);
    let entries: Vec<_> =
        LedgerReader::open(dir).unwrap().entries().unwrap().map(Result::unwrap).collect();
    let serialized: Vec<LotId> = entries
        .iter()
        .filter_map(|e| match e.record().unwrap() {
            Record::Commissioned(c) => Some(c.lot),
            _ => None,
        })
        .collect();
    let input = entries
        .iter()
        .find_map(|e| match e.record().unwrap() {
            Record::Produced(p) if p.outputs.iter().any(|o| o.lot == serialized[2]) => {
                Some(p.inputs[0].lot.clone())
            }
            _ => None,
        })
        .unwrap();
    let (mut ledger, stamp) = db_common::reopen_at_last(dir, &entries);
    let mut lots = heapless::Vec::new();
    lots.push(input).unwrap();
    let recall = RecallOpened {
        recall: Reference::new("RC-TEST-7").unwrap(),
        class: RecallClass::I,
        lots,
        reason: Text::default(),
    };
    let _ = ledger.append(&stamp, &Record::RecallOpened(recall)).unwrap();
    ledger.close().unwrap();
    let url = pg::fresh_db();
    lotledger(&["sync", d, "--db", &url, "--json"]);
    url
}

#[test]
fn where_over_the_selected_entries_equals_where_over_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let url = demo_with_recall(&dir);
    // The database holds the personal fields' commitments only: the store
    // moves away so that both sides show them sealed.
    std::fs::rename(dir.join("personal"), tmp.path().join("personal")).unwrap();
    let ix = cache::open(&[&dir], CacheMode::Off).unwrap().index;
    let mut db = Db::connect(&url).unwrap();
    let targets = targets(&dir);
    let today = Some(Date(20_700));
    let (mut statuses, mut kinds) = (BTreeSet::new(), BTreeSet::new());
    let (mut recalled, mut expiring, mut packed_lots, mut smaller) = (0, 0, 0, 0);
    for t in &targets {
        let m = query::where_is(&ix, t, today).unwrap();
        let sx = db.where_index(t).unwrap();
        let s = query::where_is(&sx, t, today).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::to_value(&m).unwrap(), "{t}");
        statuses.insert(m.status);
        kinds.insert(m.kind);
        recalled += usize::from(!m.recalls.is_empty());
        expiring += usize::from(m.expiry.is_some());
        packed_lots += usize::from(m.history.iter().any(|h| h.event == "packed"));
        smaller += usize::from(sx.entries() < ix.entries() / 2);
    }
    // Every case came up: units in stock, shipped, returned and sampled,
    // in the recall's scope or not, cases and pallets packed with lots.
    assert!(targets.len() > 60, "{} targets", targets.len());
    assert!(statuses.len() >= 4, "{statuses:?}");
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(
        recalled > 0 && recalled < targets.len(),
        "{recalled} of {} in a recall",
        targets.len()
    );
    assert!(expiring > 10, "{expiring} with an expiry");
    assert!(packed_lots > 0, "{packed_lots} with a packing of lots");
    assert_eq!(smaller, targets.len(), "every selection is under half the ledger");

    // A unit no record names: not found on both sides, with near matches.
    let missing = UnitTarget::Serial {
        item: targets
            .iter()
            .find_map(|t| match t {
                UnitTarget::Serial { item, .. } => Some(item.clone()),
                UnitTarget::Container(_) => None,
            })
            .unwrap(),
        serial: "NOSUCHSERIAL".into(),
    };
    assert!(query::where_is(&db.where_index(&missing).unwrap(), &missing, today).is_err());
    assert_eq!(
        query::near_units(&db.where_index(&missing).unwrap(), &missing),
        query::near_units(&ix, &missing)
    );

    // The two commands print the same bytes: a unit in a recall's scope,
    // a returned one, a pallet packed with lots and an aggregated case.
    let d = dir.to_str().unwrap();
    let pick = |want: &dyn Fn(&query::WhereReport) -> bool| {
        targets
            .iter()
            .find(|t| want(&query::where_is(&ix, t, today).unwrap()))
            .map(ToString::to_string)
            .unwrap()
    };
    let picks = [
        pick(&|r| !r.recalls.is_empty()),
        pick(&|r| r.status == "returned"),
        pick(&|r| r.history.iter().any(|h| h.event == "packed")),
        pick(&|r| r.kind == "container" && !r.serials.is_empty()),
    ];
    let mut compared = 0;
    for target in &picks {
        compared += db_common::same_output("where", d, &url, &[target, "--at", "2026-09-01"], &[]);
    }
    assert_eq!(compared, 12);
    // Not found: exit 6 from both, the same message.
    let not_found = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lotledger"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(6), "{args:?}");
        // The last line: the directory's run notes the index cache first.
        String::from_utf8(out.stderr).unwrap().lines().last().unwrap().to_owned()
    };
    let m = missing.to_string();
    assert_eq!(not_found(&["where", d, &m]), not_found(&["where", "--db", &url, &m]));
}
