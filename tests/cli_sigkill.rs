//! `lotledger append` killed with SIGKILL at random moments, again and
//! again on the same ledger: every line it answered as durable is there
//! afterwards, with the hash it was answered with, the ledger verifies and
//! appending goes on. 50 kills; 500 with `LOTLEDGER_LONG_RUN=1`.
#![cfg(all(feature = "cli", unix))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod cli_common;

use cli_common::example_lines;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lotledger::demo::Rng;
use lotledger::file::LedgerReader;

#[test]
fn every_answered_line_survives_sigkill() {
    let kills = if std::env::var_os("LOTLEDGER_LONG_RUN").is_some() { 500 } else { 50 };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let bin = env!("CARGO_BIN_EXE_lotledger");
    assert!(Command::new(bin).arg("init").arg(&dir).output().unwrap().status.success());
    let lines = example_lines();
    let mut rng = Rng::new(7);
    // Every (seq -> hash) ever answered.
    let mut answered: BTreeMap<u64, String> = BTreeMap::new();
    for round in 0..kills {
        let durability = ["sync", "group"][round % 2];
        let mut child = Command::new(bin)
            .args(["append", dir.to_str().unwrap(), "--durability", durability, "--group", "20"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feed: Vec<String> = lines.clone();
        let feeder = std::thread::spawn(move || {
            for i in 0.. {
                let line = &feed[i % feed.len()];
                if stdin.write_all(line.as_bytes()).and_then(|()| stdin.write_all(b"\n")).is_err() {
                    break;
                }
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                let _ =
                    tx.send((v["seq"].as_u64().unwrap(), v["hash"].as_str().unwrap().to_owned()));
            }
        });
        let wait = Duration::from_millis(5 + rng.below(60));
        let started = Instant::now();
        while started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        feeder.join().unwrap();
        for (seq, hash) in rx.try_iter() {
            answered.insert(seq, hash);
        }
        // Reopen: it verifies, and every answered entry is there as answered.
        let reader = LedgerReader::open(&dir).unwrap();
        let held: BTreeMap<u64, String> = reader
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.header.seq, e.hash.to_string()))
            .collect();
        for (seq, hash) in &answered {
            assert_eq!(
                held.get(seq),
                Some(hash),
                "round {round}: answered entry {seq} lost or changed"
            );
        }
    }
    println!("{kills} kills, {} answered entries all present", answered.len());
    assert!(
        !answered.is_empty(),
        "the appender never answered: the test did not exercise anything"
    );
}
