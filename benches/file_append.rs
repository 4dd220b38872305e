//! Durable append throughput for each durability mode, and open/recover
//! time for a ledger of one million entries.
//!
//! Every figure counts durable entries: each measured batch ends with a
//! `sync`, so nothing is counted that a power cut could take back.
//!
//! `cargo bench --bench file_append`; `BENCH_DIR` chooses where the
//! ledgers are written (default: the system temp directory, which must be
//! on the disk being measured, not tmpfs, for the sync figures to mean anything).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

use core::hint::black_box;
use core::time::Duration;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::entry::Stamp;
use lotledger::file::{Durability, FileLedger, LedgerReader, Options};
use lotledger::model::{LedgerId, Record};

fn items(n: usize) -> Vec<(Stamp, Record)> {
    Plant::new(&PlantConfig::default()).take(n).collect()
}

fn base() -> PathBuf {
    std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from)
}

fn append(c: &mut Criterion) {
    let items = items(100_000);
    let mut group = c.benchmark_group("file_append");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let modes = [
        ("sync_each", Durability::SyncEach, 200u64),
        ("group_commit_1000", Durability::GroupCommit { entries: 1000, millis: 0 }, 100_000),
        ("group_commit_1000_fg", Durability::GroupCommit { entries: 1000, millis: 0 }, 100_000),
        ("group_commit_100", Durability::GroupCommit { entries: 100, millis: 0 }, 20_000),
        ("group_commit_10ms", Durability::GroupCommit { entries: u32::MAX, millis: 10 }, 20_000),
        ("buffered", Durability::Buffered, 20_000),
    ];
    for (name, durability, batch) in modes {
        let dir = tempfile::tempdir_in(base()).unwrap();
        // `_fg`: the sync runs inside the append that completes a group.
        let options = Options::new().durability(durability).background_sync(!name.ends_with("_fg"));
        let mut ledger = FileLedger::create(dir.path(), LedgerId([0xbe; 16]), options).unwrap();
        let mut next = 0;
        group.throughput(Throughput::Elements(batch));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    for _ in 0..batch {
                        let (s, r) = &items[next % items.len()];
                        next += 1;
                        let _ = black_box(ledger.append(s, r).unwrap());
                    }
                    // Every entry counted is durable.
                    black_box(ledger.sync().unwrap());
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

fn open_recover(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let dir = tempfile::tempdir_in(base()).unwrap();
    let items = items(100_000);
    let mut ledger = FileLedger::create(
        dir.path(),
        LedgerId([0xbf; 16]),
        Options::new().durability(Durability::Buffered),
    )
    .unwrap();
    for i in 0..N {
        let (s, r) = &items[i % items.len()];
        let _ = ledger.append(s, r).unwrap();
    }
    let last = ledger.current_segment().to_path_buf();
    ledger.close().unwrap();
    let bytes: u64 =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    println!("1M-entry ledger: {bytes} bytes");

    let mut group = c.benchmark_group("file_open_1m");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("open_verify", |b| {
        b.iter(|| {
            let (l, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
            assert_eq!(report.entries, N as u64);
            black_box(l);
        });
    });
    group.bench_function("open_recover_torn_tail", |b| {
        b.iter_batched(
            || {
                use std::io::Write as _;
                let mut f = std::fs::OpenOptions::new().append(true).open(&last).unwrap();
                f.write_all(&[0x55; 300]).unwrap();
            },
            |()| {
                let (l, report) = FileLedger::open(dir.path(), Options::new()).unwrap();
                assert!(report.torn.is_some());
                black_box(l);
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("reader_verify", |b| {
        b.iter(|| {
            let report = LedgerReader::open(dir.path()).unwrap().verify().unwrap();
            assert_eq!(report.entries, N as u64);
        });
    });
    group.finish();
}

criterion_group!(benches, append, open_recover);
criterion_main!(benches);
