//! `lotledger sync --db` and `lotledger verify --db` against a real
//! PostgreSQL (tests/pg: a private server unless `LOTLEDGER_TEST_DB` is set).
#![cfg(all(feature = "cli", unix))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod cli_common;
mod db_common;
mod pg;

use std::path::Path;
use std::process::Command;

use cli_common::{example_lines, run, run_with};
use db_common::{count, dump, grow, sql};
use lotledger::file::LedgerReader;
use lotledger::model::LedgerId;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn demo(dir: &Path, events: u64) {
    let (code, _, err) = run(&["demo", "--out", s(dir), "--events", &events.to_string()]);
    assert_eq!(code, 0, "{err}");
}

/// `sync --json`: (exit code, the rows or null, stderr).
fn sync(url: &str, dirs: &[&Path], extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["sync"];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--db", url, "--json"]);
    args.extend(extra);
    let (code, out, err) = run(&args);
    (code, serde_json::from_str(&out).unwrap_or(serde_json::Value::Null), err)
}

/// `verify --db --json`: (exit code, the rows).
fn verify(url: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = run(&["verify", "--db", url, "--json"]);
    (code, serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}")))
}

#[test]
fn a_demo_ledger_syncs_verifies_and_a_second_run_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    demo(&dir, 3000);
    let url = pg::fresh_db();
    let (code, rows, err) = sync(&url, &[&dir], &[]);
    assert_eq!(code, 0, "{err}");
    let id = LedgerReader::open(&dir).unwrap().ledger_id().to_string();
    assert_eq!(rows[0]["ledger"], id.as_str());
    assert_eq!(
        (rows[0]["stored"].as_u64(), rows[0]["head_seq"].as_u64()),
        (Some(3000), Some(2999))
    );

    // Every entry is stored with its exact bytes and hash.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let stored =
        c.query("SELECT seq, hash, body, kind FROM lotledger.entries ORDER BY seq", &[]).unwrap();
    let reader = LedgerReader::open(&dir).unwrap();
    let mut n = 0;
    for (e, row) in reader.entries().unwrap().zip(&stored) {
        let e = e.unwrap();
        assert_eq!(row.get::<_, i64>(0), i64::try_from(e.header.seq).unwrap());
        assert_eq!(row.get::<_, Vec<u8>>(1), e.hash.0.to_vec());
        assert_eq!(row.get::<_, Vec<u8>>(2), e.body);
        assert_eq!(
            row.get::<_, i32>(3),
            i32::try_from(e.record().unwrap().kind().number()).unwrap()
        );
        n += 1;
    }
    assert_eq!((n, stored.len()), (3000, 3000));
    // A first load refreshes the planner's statistics of every table
    // (`last_analyze` is set by a manual ANALYZE only, never by autovacuum).
    let unanalyzed = c
        .query(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'lotledger' \
             AND relname <> 'schema_version' AND last_analyze IS NULL ORDER BY relname",
            &[],
        )
        .unwrap();
    let unanalyzed: Vec<String> = unanalyzed.iter().map(|r| r.get(0)).collect();
    assert!(unanalyzed.is_empty(), "not analyzed after the load: {unanalyzed:?}");

    let (code, v) = verify(&url);
    assert_eq!(code, 0, "{v}");
    assert_eq!((v[0]["ok"].as_bool(), v[0]["entries"].as_u64()), (Some(true), Some(3000)));
    let before = dump(&url);

    // Again, the URL from LOTLEDGER_DB: nothing new.
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["sync", s(&dir), "--json"])
        .env("LOTLEDGER_DB", &url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((rows[0]["stored"].as_u64(), rows[0]["entries"].as_u64()), (Some(0), Some(3000)));
    assert_eq!(dump(&url), before);

    // The table form names the ledger and its head.
    let (code, out, _) = run(&["sync", s(&dir), "--db", &url]);
    assert_eq!(code, 0);
    assert!(out.contains(&id) && out.contains("entry 2999"), "{out}");
}

#[test]
fn small_batches_and_several_ledgers_store_what_one_batch_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    grow(&a, LedgerId([1; 16]), 1, 0, 700, 16 << 10);
    grow(&b, LedgerId([2; 16]), 2, 0, 300, 64 << 20);
    assert!(std::fs::read_dir(&a).unwrap().count() > 3, "several segments");
    let (one, many) = (pg::fresh_db(), pg::fresh_db());
    assert_eq!(sync(&one, &[&a, &b], &[]).0, 0);
    let (code, rows, err) = sync(&many, &[&a, &b], &["--batch", "7"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows[0]["batches"].as_u64(), Some(100));
    assert_eq!(dump(&one), dump(&many));
    assert_eq!(verify(&many).0, 0);

    // A ledger that grew: only the new entries are shipped.
    grow(&a, LedgerId([1; 16]), 1, 700, 55, 16 << 10);
    let (code, rows, _) = sync(&many, &[&a, &b], &["--batch", "10"]);
    assert_eq!(code, 0);
    assert_eq!((rows[0]["from"].as_u64(), rows[0]["stored"].as_u64()), (Some(700), Some(55)));
    assert_eq!(rows[1]["stored"].as_u64(), Some(0));
    assert_eq!(sync(&one, &[&a, &b], &[]).0, 0);
    assert_eq!(dump(&one), dump(&many));
}

#[test]
fn a_fork_is_refused_naming_the_ledger_and_seq_and_nothing_is_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let id = LedgerId([7; 16]);
    grow(&a, id, 3, 0, 10, 64 << 20);
    let cp = Command::new("cp").arg("-r").arg(&a).arg(&b).status().unwrap();
    assert!(cp.success());
    std::fs::remove_file(b.join("LOCK")).ok();
    grow(&a, id, 3, 10, 10, 64 << 20);
    // b parts from a after entry 9: other entries from 10 on.
    grow(&b, id, 4, 0, 15, 64 << 20);
    let url = pg::fresh_db();
    assert_eq!(sync(&url, &[&a], &[]).0, 0);
    let before = dump(&url);
    let (code, _, err) = sync(&url, &[&b], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("ledger {id}: entry 19 ")) && err.contains("fork"), "{err}");
    assert!(err.contains("nothing stored"), "{err}");
    assert_eq!(dump(&url), before);

    // A database that holds b's line: a then forks in its first batch.
    let other = pg::fresh_db();
    assert_eq!(sync(&other, &[&b], &["--batch", "3"]).0, 0);
    let before = dump(&other);
    let (code, _, err) = sync(&other, &[&a], &[]);
    // a holds 20 entries, the database 25 of b's: a is behind.
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the directory holds 20 entries but the database already 25"), "{err}");
    assert_eq!(dump(&other), before);

    // The same id with a different first entry: a fork at entry 0 of the
    // first segment, caught against the stored head.
    let c = tmp.path().join("c");
    grow(&c, id, 3, 1, 30, 64 << 20);
    let (code, _, err) = sync(&url, &[&c], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("ledger {id}: entry 19 ")), "{err}");
    assert_eq!(count(&url, "SELECT count(*) FROM lotledger.entries"), 20);
}

#[test]
fn a_gap_is_refused_and_nothing_is_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let id = LedgerId([9; 16]);
    grow(&a, id, 6, 0, 900, 16 << 10);
    let url = pg::fresh_db();
    let mut segments: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".seg"))
        .collect();
    segments.sort();
    assert!(segments.len() >= 3, "{segments:?}");
    // The first segment archived away before it was ever synced.
    std::fs::remove_file(a.join(&segments[0])).unwrap();
    let first: u64 = segments[1].trim_end_matches(".seg").parse().unwrap();
    let (code, _, err) = sync(&url, &[&a], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "ledger {id}: the database holds entries up to 0 but the directory starts at {first}"
        )),
        "{err}"
    );
    assert_eq!(count(&url, "SELECT count(*) FROM lotledger.entries"), 0);
    assert_eq!(count(&url, "SELECT count(*) FROM lotledger.ledgers"), 0);
}

/// A ledger with signed checkpoint entries every 10 entries, synced.
fn checkpointed(t: &Path) -> (String, String) {
    let dir = t.join("cp");
    assert_eq!(run(&["init", s(&dir)]).0, 0);
    assert_eq!(run(&["keygen", "--name", "qa.example", "--dir", s(t)]).0, 0);
    let key = t.join("qa.example.key");
    let mut lines = example_lines();
    lines.extend(example_lines());
    lines.extend(example_lines());
    let (code, _, err) = run_with(
        &["append", s(&dir), "--checkpoint-every", "10", "--key", s(&key)],
        &lines.join("\n"),
    );
    assert_eq!(code, 0, "{err}");
    let url = pg::fresh_db();
    let (code, _, err) = sync(&url, &[&dir], &[]);
    assert_eq!(code, 0, "{err}");
    (url, LedgerReader::open(&dir).unwrap().ledger_id().to_string())
}

#[test]
fn edits_in_sql_are_found_at_the_right_ledger_and_seq() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    demo(&dir, 1500);
    let id = LedgerReader::open(&dir).unwrap().ledger_id().to_string();
    let fresh = || {
        let url = pg::fresh_db();
        assert_eq!(sync(&url, &[&dir], &["--batch", "500"]).0, 0);
        url
    };
    let failed_at = |url: &str| {
        let (code, v) = verify(url);
        assert_eq!(code, 1, "{v}");
        assert_eq!(v[0]["ledger"], id.as_str());
        assert_eq!(v[0]["ok"], false);
        (v[0]["failed_seq"].as_u64().unwrap(), v[0]["failure"].as_str().unwrap().to_owned())
    };

    // One byte of one entry's stored bytes changed.
    let url = fresh();
    sql(
        &url,
        "UPDATE lotledger.entries SET body = set_byte(body, length(body) - 1, \
         (get_byte(body, length(body) - 1) + 1) % 256) WHERE seq = 731",
    );
    let (seq, why) = failed_at(&url);
    assert_eq!(seq, 731, "{why}");
    // The hash recomputed along: the next entry no longer links to it.
    sql(&url, "UPDATE lotledger.entries SET hash = sha256('x'::bytea) WHERE seq = 731");
    assert_eq!(failed_at(&url).0, 731);

    // One row deleted.
    let url = fresh();
    sql(&url, "DELETE FROM lotledger.entries WHERE seq = 1020");
    let (seq, why) = failed_at(&url);
    assert_eq!(seq, 1020, "{why}");
    assert!(why.contains("entry 1020 is missing"), "{why}");

    // The last rows deleted, the table's end cut.
    let url = fresh();
    sql(&url, "DELETE FROM lotledger.entries WHERE seq >= 1400");
    assert_eq!(failed_at(&url).0, 1400);

    // The whole table truncated.
    let url = fresh();
    sql(&url, "TRUNCATE lotledger.entries");
    let (seq, why) = failed_at(&url);
    assert_eq!(seq, 0, "{why}");

    // The table text form names the ledger and the entry.
    let (code, out, _) = run(&["verify", "--db", &url, "--ledger", &id]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("ledger {id}: FAILED: entry 0 is missing")), "{out}");
    // The ledger's row deleted: its rows are orphans, found.
    let url = fresh();
    sql(&url, "DELETE FROM lotledger.ledgers");
    let (code, out, _) = run(&["verify", "--db", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("which lotledger.ledgers does not hold"), "{out}");
    // A ledger the database does not hold.
    let (code, _, err) = run(&["verify", "--db", &url, "--ledger", &"ab".repeat(16)]);
    assert_eq!(code, 6, "{err}");
}

#[test]
fn a_rolled_back_table_is_found_against_the_stored_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, id) = checkpointed(tmp.path());
    let (code, v) = verify(&url);
    assert_eq!(code, 0, "{v}");
    let entries = v[0]["entries"].as_u64().unwrap();
    assert!(v[0]["checkpoints"].as_u64().unwrap() >= 4, "{v}");
    // Entries 25.. deleted and the head moved back to match: the chain
    // that is left verifies, the checkpoints after 25 do not.
    sql(
        &url,
        "DELETE FROM lotledger.entries WHERE seq >= 25; \
         UPDATE lotledger.ledgers SET head_seq = 25, \
         head_hash = (SELECT hash FROM lotledger.entries WHERE seq = 24)",
    );
    let (code, v) = verify(&url);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v[0]["ledger"], id.as_str());
    assert_eq!(v[0]["failed_seq"].as_u64(), Some(25), "{v}");
    assert!(entries > 25);
    // A checkpoint's root changed: found at that checkpoint.
    let (url, _) = {
        let t2 = tmp.path().join("again");
        std::fs::create_dir(&t2).unwrap();
        checkpointed(&t2)
    };
    let second = count(&url, "SELECT seq FROM lotledger.checkpoints ORDER BY seq OFFSET 1 LIMIT 1");
    sql(
        &url,
        &format!("UPDATE lotledger.checkpoints SET root = sha256('y'::bytea) WHERE seq = {second}"),
    );
    let (code, v) = verify(&url);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v[0]["failed_seq"].as_u64(), Some(u64::try_from(second).unwrap()), "{v}");
}

#[test]
fn concurrent_syncs_of_one_ledger_never_store_an_entry_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    demo(&dir, 4000);
    let clean = pg::fresh_db();
    assert_eq!(sync(&clean, &[&dir], &[]).0, 0);
    // Three at once on an empty database, again and again: together they
    // store each entry once.
    for round in 0..4 {
        let url = pg::fresh_db();
        let spawned: Vec<_> = (0..3)
            .map(|i| {
                let batch = ["50", "173", "400"][(i + round) % 3];
                Command::new(env!("CARGO_BIN_EXE_lotledger"))
                    .args(["sync", s(&dir), "--db", &url, "--json", "--batch", batch])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut stored = 0;
        for child in spawned {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(rows[0]["entries"].as_u64(), Some(4000));
            stored += rows[0]["stored"].as_u64().unwrap();
        }
        assert_eq!(stored, 4000);
        assert_eq!(dump(&url), dump(&clean));
        assert_eq!(verify(&url).0, 0);
    }
}

#[test]
fn device_ledgers_received_by_store_and_forward_sync_the_same_way() {
    use lotledger::chain::{Anchor, Writer};
    use lotledger::demo::{Plant, PlantConfig};
    use lotledger::file::DeviceLedgers;
    use lotledger::forward::Receiver;

    let root = tempfile::tempdir().unwrap();
    let mut rx = Receiver::new(DeviceLedgers::new(root.path()));
    let devices = [LedgerId([0x51; 16]), LedgerId([0x52; 16])];
    let mut frames = Vec::new();
    for (i, id) in devices.iter().enumerate() {
        let mut w = Writer::new(Vec::new(), vec![0u8; 4096], Anchor::genesis(id));
        let mut starts = Vec::new();
        let plant = Plant::new(&PlantConfig { seed: 20 + i as u64, ..PlantConfig::default() });
        for (stamp, record) in plant.take(400) {
            starts.push(w.storage().len());
            w.append(&stamp, &record).unwrap();
        }
        let bytes = w.into_parts().0;
        rx.receive(id, &bytes[..starts[250]]).unwrap();
        frames.push((bytes, starts));
    }
    let store = DeviceLedgers::new(root.path());
    let dirs: Vec<_> = devices.iter().map(|id| store.dir(id)).collect();
    let url = pg::fresh_db();
    let (code, rows, err) = sync(&url, &[&dirs[0], &dirs[1]], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((rows[0]["stored"].as_u64(), rows[1]["stored"].as_u64()), (Some(250), Some(250)));
    // More forwarded (with a resent overlap): only the new entries ship.
    for (id, (bytes, starts)) in devices.iter().zip(&frames) {
        rx.receive(id, &bytes[starts[200]..]).unwrap();
    }
    let (code, rows, err) = sync(&url, &[&dirs[0], &dirs[1]], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((rows[0]["stored"].as_u64(), rows[1]["entries"].as_u64()), (Some(150), Some(400)));
    let (code, v) = verify(&url);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 2);
    // The stored hashes are the device's own chain.
    let reader = LedgerReader::open(&dirs[1]).unwrap();
    let last = reader.entries().unwrap().last().unwrap().unwrap();
    assert_eq!(v[1]["head_hash"].as_str(), Some(last.hash.to_string().as_str()));
}

#[test]
fn verify_db_checks_checkpoint_signatures_with_the_given_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (url, _) = checkpointed(t);
    let public = t.join("qa.example.pub");
    let (code, out, err) = run(&["verify", "--db", &url, "--json", "--key", s(&public)]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v[0]["checkpoints"].as_u64().unwrap() >= 4, "{v}");
    assert_eq!(v[0]["signatures_verified"], v[0]["checkpoints"], "{v}");
    let first = count(&url, "SELECT min(seq) FROM lotledger.checkpoints");

    // Another key: the entries are not signed by it.
    let other = t.join("other");
    std::fs::create_dir(&other).unwrap();
    assert_eq!(run(&["keygen", "--name", "qa.other", "--dir", s(&other)]).0, 0);
    let (code, out, _) =
        run(&["verify", "--db", &url, "--json", "--key", s(&other.join("qa.other.pub"))]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["failed_seq"].as_i64(), Some(first), "{v}");
    assert!(v[0]["failure"].as_str().unwrap().contains("none of the given keys"), "{v}");
}

/// Derived rows a sync committed on its second connection and then was
/// killed before the entries' commit (the rows and their
/// `derive_pending` mark, entries from the head on): the next sync removes
/// them, and the database ends as a clean run leaves it.
#[test]
fn derived_rows_left_without_their_entries_are_removed_by_the_next_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a");
    grow(&dir, LedgerId([3; 16]), 5, 0, 1500, 64 << 20);
    let url = pg::fresh_db();
    assert_eq!(sync(&url, &[&dir], &[]).0, 0);
    let moves = count(&url, "SELECT count(*) FROM lotledger.lot_moves");
    assert!(moves > 100, "{moves}");
    // What the killed sync left: rows for entries 1500 on, and the mark.
    sql(
        &url,
        "INSERT INTO lotledger.lot_moves SELECT ledger_no, seq + 1500, time_ms, move, item, lot, \
             party, unit, amount, scale, ord, ship_to, expiry FROM lotledger.lot_moves;
         INSERT INTO lotledger.deliveries SELECT ledger_no, seq + 1500, time_ms, customer, ord \
             FROM lotledger.deliveries;
         INSERT INTO lotledger.derive_pending SELECT ledger_no, 1500 FROM lotledger.ledgers;",
    );
    grow(&dir, LedgerId([3; 16]), 5, 1500, 100, 64 << 20);
    let (code, rows, err) = sync(&url, &[&dir], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows[0]["stored"].as_u64(), Some(100));
    let clean = pg::fresh_db();
    assert_eq!(sync(&clean, &[&dir], &[]).0, 0);
    assert_eq!(dump(&url), dump(&clean));
    assert_eq!(count(&url, "SELECT count(*) FROM lotledger.derive_pending"), 0);
}
