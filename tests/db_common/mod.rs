//! Ledgers and database dumps for the PostgreSQL tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

use std::path::Path;

use lotledger::demo::{Plant, PlantConfig};
use lotledger::file::{Durability, FileLedger, Options};
use lotledger::model::{LedgerId, Record};

/// Options for test ledgers: buffered, `segment` bytes a segment.
pub fn options(segment: u64) -> Options {
    Options::new().durability(Durability::Buffered).segment_size(segment)
}

/// Appends `n` entries of the demo plant with `seed` to the ledger in
/// `dir`, creating it as ledger `id` when it does not exist; skips the
/// plant's first `skip` entries.
pub fn grow(dir: &Path, id: LedgerId, seed: u64, skip: usize, n: usize, segment: u64) {
    let mut ledger = if dir.join("00000000000000000000.seg").exists() {
        FileLedger::open(dir, options(segment)).unwrap().0
    } else {
        FileLedger::create(dir, id, options(segment)).unwrap()
    };
    let plant = Plant::new(&PlantConfig { seed, ..PlantConfig::default() });
    for (stamp, record) in plant.skip(skip).take(n) {
        let _ = ledger.append(&stamp, &record).unwrap();
    }
    ledger.close().unwrap();
}

/// Every row of the lotledger tables, in order, as text (the bodies as
/// their MD5, `synced_at` left out): equal dumps are equal databases.
pub fn dump(url: &str) -> Vec<String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut out = Vec::new();
    for (table, sql) in [
        (
            "ledgers",
            "SELECT encode(ledger_id, 'hex') || ' ' || head_seq || ' ' || encode(head_hash, 'hex') \
             FROM lotledger.ledgers ORDER BY ledger_id",
        ),
        (
            "entries",
            "SELECT encode(l.ledger_id, 'hex') || ' ' || seq || ' ' || encode(hash, 'hex') || ' ' || \
             time_ms || ' ' || kind || ' ' || actor || ' ' || station || ' ' || md5(body) || ' ' || \
             frame_offset \
             FROM lotledger.entries e JOIN lotledger.ledgers l USING (ledger_no) \
             ORDER BY l.ledger_id, seq",
        ),
        (
            "checkpoints",
            "SELECT encode(l.ledger_id, 'hex') || ' ' || seq || ' ' || size || ' ' || \
             encode(root, 'hex') || ' ' || signed \
             FROM lotledger.checkpoints c JOIN lotledger.ledgers l USING (ledger_no) \
             ORDER BY l.ledger_id, seq",
        ),
    ] {
        for row in c.query(sql, &[]).unwrap() {
            out.push(format!("{table}: {}", row.get::<_, String>(0)));
        }
    }
    // The derived rows, each as JSON with its ledger's id for its number.
    for table in DERIVED {
        let sql = format!(
            "SELECT encode(l.ledger_id, 'hex') || ' ' || (to_jsonb(t) - 'ledger_no')::text AS r \
             FROM lotledger.{table} t JOIN lotledger.ledgers l USING (ledger_no) ORDER BY r"
        );
        for row in c.query(&sql, &[]).unwrap() {
            out.push(format!("{table}: {}", row.get::<_, String>(0)));
        }
    }
    // Marks of derived rows written without their entries yet (schema
    // version 3): none once a sync has finished.
    let sql = "SELECT ledger_no || ' ' || from_seq FROM lotledger.derive_pending ORDER BY 1";
    for row in c.query(sql, &[]).unwrap() {
        out.push(format!("derive_pending: {}", row.get::<_, String>(0)));
    }
    out
}

/// The tables derived from the entries at sync (schema version 2, then
/// `complaint_entries`, version 5).
pub const DERIVED: [&str; 12] = [
    "lot_links",
    "corrections",
    "voided",
    "lot_moves",
    "dispositions",
    "recalls",
    "recall_lots",
    "recall_actions",
    "deliveries",
    "party_ids",
    "unit_shipments",
    "complaint_entries",
];

/// Runs SQL on the database.
pub fn sql(url: &str, statements: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(statements).unwrap();
}

/// One value from the database.
pub fn count(url: &str, query: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(query, &[]).unwrap().get(0)
}

/// A plant of `events` entries with `seed` and master data in `dir`, with
/// the first productions and shipments after entry `correct_from` voided
/// by corrections (and one correction voided in turn).
pub fn plant(dir: &Path, seed: u64, events: usize, correct: bool) {
    let id = LedgerId([u8::try_from(seed % 250).unwrap() + 1; 16]);
    let mut ledger =
        FileLedger::create(dir, id, Options::new().durability(Durability::Buffered)).unwrap();
    let config = PlantConfig { seed, master_data: true, ..PlantConfig::default() };
    let mut targets = Vec::new();
    let mut last = None;
    for (stamp, record) in Plant::new(&config).take(events) {
        let a = ledger.append(&stamp, &record).unwrap();
        if matches!(record, Record::Produced(_) | Record::Shipped(_) | Record::Returned(_))
            && targets.len() < 12
            && a.receipt.seq > 2000
            && a.receipt.seq.is_multiple_of(7)
        {
            targets.push(a.receipt);
        }
        last = Some(stamp);
    }
    if correct {
        let stamp = last.unwrap();
        let mut voiders = Vec::new();
        for t in &targets {
            let c = lotledger::model::Corrected {
                target: lotledger::model::EntryRef { seq: t.seq, hash: t.hash },
                reason: lotledger::model::Text::default(),
                replacements: heapless::Vec::new(),
            };
            voiders.push(ledger.append(&stamp, &Record::Corrected(c)).unwrap().receipt);
        }
        // Void the correction of the second target: in force again; then
        // void that one too: the second target is void again.
        let mut again = voiders[1];
        for _ in 0..2 {
            let c = lotledger::model::Corrected {
                target: lotledger::model::EntryRef { seq: again.seq, hash: again.hash },
                reason: lotledger::model::Text::default(),
                replacements: heapless::Vec::new(),
            };
            again = ledger.append(&stamp, &Record::Corrected(c)).unwrap().receipt;
        }
    }
    ledger.close().unwrap();
}

/// A fresh database with the ledger in `dir` synced into it, `batch`
/// entries a transaction: its URL and a connection.
pub fn synced(dir: &Path, batch: usize) -> (String, lotledger::db::Db) {
    let url = crate::pg::fresh_db();
    let mut db = lotledger::db::Db::connect(&url).unwrap();
    db.sync_ledger(dir, batch, |_, _| {}).unwrap();
    (url, db)
}

/// Runs `lotledger` with `args`, which must succeed: its standard output.
pub fn lotledger(args: &[&str]) -> Vec<u8> {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_lotledger")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The `lotledger demo` plant of 30 000 entries written to `dir` by the
/// command and synced by the command into a fresh database: its URL.
pub fn demo_in_db(dir: &Path) -> String {
    let d = dir.to_str().unwrap();
    lotledger(&["demo", "--out", d, "--events", "30000"]);
    let url = crate::pg::fresh_db();
    lotledger(&["sync", d, "--db", &url, "--json"]);
    url
}

/// A fresh database with the ledgers in `dirs` synced into it in that
/// order (so ledger number order is the directories' order).
pub fn all_synced(dirs: &[std::path::PathBuf]) -> lotledger::db::Db {
    let url = crate::pg::fresh_db();
    let mut db = lotledger::db::Db::connect(&url).unwrap();
    for d in dirs {
        db.sync_ledger(d, 5000, |_, _| {}).unwrap();
    }
    db
}

/// Runs `lotledger COMMAND DIR ARGS...` and `lotledger COMMAND --db URL
/// ARGS...`, which must print the same bytes (and something) in JSON, as
/// a table and as CSV; `then` is added after the form. Returns the runs
/// compared.
pub fn same_output(command: &str, dir: &str, url: &str, args: &[&str], then: &[&str]) -> usize {
    for form in [&["--json"][..], &[][..], &["--csv"][..]] {
        let tail = args.iter().chain(form).chain(then).copied();
        let on_dir: Vec<&str> = [command, dir].into_iter().chain(tail.clone()).collect();
        let on_db: Vec<&str> = [command, "--db", url].into_iter().chain(tail).collect();
        let (m, s) = (lotledger(&on_dir), lotledger(&on_db));
        assert!(!m.is_empty(), "{on_dir:?}");
        assert!(m == s, "{on_dir:?} {then:?}: the outputs differ");
    }
    3
}

/// The last entry's stamp (for entries added at its time) and the ledger in
/// `dir` opened for appending, buffered.
pub fn reopen_at_last(
    dir: &Path,
    entries: &[lotledger::file::StoredEntry],
) -> (FileLedger, lotledger::entry::Stamp) {
    let last = entries.last().unwrap();
    let stamp = lotledger::entry::Stamp {
        time: last.header.time,
        actor: last.header.actor.clone(),
        station: last.header.station.clone(),
    };
    let (ledger, _) =
        FileLedger::open(dir, Options::new().durability(Durability::Buffered)).unwrap();
    (ledger, stamp)
}
