//! `lotledger sync --follow`: ships new entries as the ledger grows, and
//! goes on after the database restarts. Its own test binary: it stops the
//! private server.
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

use std::process::{Command, Stdio};
use std::time::Duration;

use db_common::{dump, grow};
use lotledger::model::LedgerId;

/// Entries stored, or None while the server is away.
fn stored(url: &str) -> Option<i64> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).ok()?;
    c.query_one("SELECT count(*) FROM lotledger.entries", &[]).ok().map(|r| r.get(0))
}

/// Waits until the database holds `n` entries. The loop is bounded so that
/// a broken follow mode fails the test instead of hanging it.
fn wait_for(url: &str, n: i64) {
    for _ in 0..12_000 {
        if stored(url) == Some(n) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the database never reached {n} entries (it holds {:?})", stored(url));
}

#[test]
fn follow_ships_new_entries_and_survives_a_database_restart() {
    let server = pg::server();
    if std::env::var("LOTLEDGER_TEST_DB").is_ok_and(|v| !v.trim().is_empty()) {
        panic!("this test restarts the server: run it without LOTLEDGER_TEST_DB");
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("line");
    let id = LedgerId([5; 16]);
    grow(&dir, id, 11, 0, 100, 16 << 10);
    let url = pg::fresh_db();
    let log = std::fs::File::create(tmp.path().join("follow.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["sync", dir.to_str().unwrap(), "--db", &url, "--follow", "--interval", "0.05"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_for(&url, 100);
    grow(&dir, id, 11, 100, 50, 16 << 10);
    wait_for(&url, 150);

    server.stop();
    grow(&dir, id, 11, 150, 250, 16 << 10);
    std::thread::sleep(Duration::from_millis(300));
    server.start_again();
    wait_for(&url, 400);
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(tmp.path().join("follow.log")).unwrap();
    assert!(log.contains("retrying in"), "{log}");
    assert!(log.contains("the database is back; resuming"), "{log}");

    // What a single run leaves.
    let clean = pg::fresh_db();
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["sync", dir.to_str().unwrap(), "--db", &clean])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(dump(&url), dump(&clean));
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["verify", "--db", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
