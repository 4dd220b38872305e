//! A writer killed with SIGKILL at random moments never loses an entry it
//! acknowledged. The test re-executes its own binary in a child mode
//! (selected by `LOTLEDGER_SIGKILL_CHILD`) that appends with
//! `Durability::SyncEach` and prints `ack <seq> <hash>` after each append
//! returns durable; the parent reads some of those lines, waits a random
//! moment, kills the child, reopens the ledger (recovering it) and checks
//! every entry ever acknowledged. Every other round the child uses group
//! commit (acknowledging a group once its sync returns) with a small write
//! buffer, so writes of many frames can be cut inside the kernel. Small segments make rotations frequent,
//! so kills also land while a segment is being created, and while a
//! restarted child is itself recovering the ledger.
//!
//! 50 kills by default, 500 with `LOTLEDGER_LONG_RUN=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod file_common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use file_common::{cases, read_all};
use lotledger::demo::{Plant, PlantConfig, Rng};
use lotledger::file::{Durability, FileLedger, Options};
use lotledger::model::{Digest, LedgerId};

const CHILD_ENV: &str = "LOTLEDGER_SIGKILL_CHILD";
const MODE_ENV: &str = "LOTLEDGER_SIGKILL_GROUP";

fn options() -> Options {
    Options::new().segment_size(16 << 10).durability(Durability::SyncEach)
}

/// Group commit with a small buffer: writes of many frames at once, which
/// a fatal signal can cut short inside the kernel.
fn group_options() -> Options {
    options().durability(Durability::GroupCommit { entries: 50, millis: 0 }).buffer_size(1500)
}

/// The child mode: append forever, acknowledging each durable entry on stdout.
#[test]
fn child_appender() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let group = std::env::var(MODE_ENV).is_ok();
    let (mut ledger, _) =
        FileLedger::open(&dir, if group { group_options() } else { options() }).unwrap();
    let start = ledger.head().next_seq as usize;
    let config = PlantConfig { seed: start as u64, ..PlantConfig::default() };
    let mut out = std::io::stdout().lock();
    let mut waiting = Vec::new();
    for (stamp, record) in Plant::new(&config) {
        let a = ledger.append(&stamp, &record).unwrap();
        assert!(group || a.durable);
        waiting.push(a.receipt);
        let durable = waiting.partition_point(|r| r.seq < a.durable_head.next_seq);
        if durable > 0 {
            for r in waiting.drain(..durable) {
                writeln!(out, "ack {} {}", r.seq, r.hash).unwrap();
            }
            out.flush().unwrap();
        }
    }
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_entry() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let kills = cases(50, 500);
    let dir = tempfile::tempdir().unwrap();
    FileLedger::create(dir.path(), LedgerId([0x5c; 16]), options()).unwrap().close().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng::new(0x5161_4b11);
    let mut acked: BTreeMap<u64, Digest> = BTreeMap::new();
    let mut torn_tails = 0;
    for round in 0..kills {
        let mut command = Command::new(&exe);
        if round % 2 == 1 {
            command.env(MODE_ENV, "1");
        }
        let mut child = command
            .args(["child_appender", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut record = |line: &str| {
            let Some(rest) = line.strip_prefix("ack ") else { return false };
            let mut parts = rest.split_whitespace();
            let seq: u64 = parts.next().unwrap().parse().unwrap();
            let hash = Digest::from_hex(parts.next().unwrap()).unwrap();
            if let Some(before) = acked.insert(seq, hash) {
                assert_eq!(before, hash, "entry {seq} acknowledged twice with different hashes");
            }
            true
        };
        let wait_for = rng.below(if round % 2 == 1 { 200 } else { 40 });
        let mut seen = 0;
        let mut line = String::new();
        while seen < wait_for {
            line.clear();
            if lines.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if record(&line) {
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(3_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Lines printed before the kill are acknowledgements too.
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if line.ends_with('\n') {
                record(&line);
            }
        }
        let (ledger, report) = FileLedger::open(dir.path(), options())
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        torn_tails += usize::from(report.torn.is_some());
        drop(ledger);
        let entries = read_all(dir.path());
        for (&seq, hash) in &acked {
            let e = entries.get(seq as usize).unwrap_or_else(|| {
                panic!("round {round}: acknowledged entry {seq} lost ({} entries)", entries.len())
            });
            assert_eq!(e.hash, *hash, "round {round}: entry {seq} differs");
        }
        assert_eq!(report.head.next_seq, entries.len() as u64);
    }
    let segments = std::fs::read_dir(dir.path()).unwrap().count();
    println!(
        "sigkill: {kills} kills, {} acknowledged entries kept, {torn_tails} torn tails cut, {segments} files",
        acked.len()
    );
    assert!(!acked.is_empty());
}
