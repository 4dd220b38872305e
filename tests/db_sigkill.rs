//! `lotledger sync --db` killed with SIGKILL at random moments, then run
//! again: the database equals the one a clean run leaves, with no entry
//! twice. 20 kills; 100 with `LOTLEDGER_LONG_RUN=1` (the figure).
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
use std::time::{Duration, Instant};

use db_common::{count, dump};
use lotledger::demo::Rng;

fn sync(dir: &std::path::Path, url: &str, batch: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lotledger"));
    c.args(["sync", dir.to_str().unwrap(), "--db", url, "--batch", batch])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_killed_sync_run_again_leaves_what_a_clean_run_leaves() {
    let kills = if std::env::var("LOTLEDGER_LONG_RUN").is_ok_and(|v| v == "1") { 100 } else { 20 };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["demo", "--out", dir.to_str().unwrap(), "--events", "30000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let clean = pg::fresh_db();
    let started = Instant::now();
    let out = sync(&dir, &clean, "1000").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // How long a whole run takes here: the kills land anywhere in one.
    let span = u64::try_from(started.elapsed().as_micros()).unwrap().max(1000);
    let expected = dump(&clean);

    let url = pg::fresh_db();
    let mut rng = Rng::new(16);
    let mut progressed = 0;
    for round in 0..kills {
        let batch = ["250", "1000", "4096"][round % 3];
        let mut child = sync(&dir, &url, batch).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        // A kill before the schema's first migration committed leaves no
        // tables at all: nothing stored.
        let created = count(
            &url,
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE n.nspname = 'lotledger' AND c.relname = 'entries'",
        ) > 0;
        let (n, head) = if created {
            (
                count(&url, "SELECT count(*) FROM lotledger.entries"),
                count(&url, "SELECT coalesce(max(head_seq), 0) FROM lotledger.ledgers"),
            )
        } else {
            (0, 0)
        };
        // Whole batches only: the recorded head is what the table holds.
        assert_eq!(n, head, "round {round}: {status}");
        if n > 0 && n < 30_000 {
            progressed += 1;
        }
        // Start again from an empty database now and then, so that kills
        // also land early in a run.
        if n == 30_000 && round + 1 < kills {
            let derived: Vec<String> =
                db_common::DERIVED.iter().map(|t| format!("lotledger.{t}")).collect();
            db_common::sql(
                &url,
                &format!(
                    "TRUNCATE lotledger.entries, lotledger.ledgers, lotledger.checkpoints, \
                     lotledger.derive_pending, {}",
                    derived.join(", ")
                ),
            );
        }
    }
    assert!(progressed > 0, "no kill landed in the middle of a run");
    let out = sync(&dir, &url, "1000").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(dump(&url), expected);
    let out = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(["verify", "--db", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
