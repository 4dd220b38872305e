//! Store and forward on the mock NOR flash: append throughput, forward
//! (read, receive, confirm) throughput, and flash bytes written per entry.
//! The mock costs nothing per byte, so these figures are the CPU cost of
//! the format (hashing, CRCs, scanning); a real part adds its program and
//! erase times per byte and per page.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::drop_non_drop,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::entry::Stamp;
use lotledger::flash::mock::MockFlash;
use lotledger::flash::{FlashLedger, Region};
use lotledger::forward::{MemorySink, Receiver};
use lotledger::model::{LedgerId, Record};

type Flash = MockFlash<4, 4096>;
const REGION: Region = Region { start: 0, pages: 16 };
const LEDGER: LedgerId = LedgerId(*b"line-3-plc-00001");
const N: usize = 1000;

fn entries() -> Vec<(Stamp, Record)> {
    Plant::new(&PlantConfig::default()).take(N).collect()
}

/// Appends every entry, forwarding and confirming each 100.
fn run(entries: &[(Stamp, Record)], forward: bool) -> Flash {
    let mut flash = Flash::new(16);
    let mut dev = FlashLedger::format(&mut flash, REGION, LEDGER, [0u8; 512]).unwrap();
    let mut rx = Receiver::new(MemorySink::new());
    let mut buf = vec![0u8; 16 * 1024];
    for chunk in entries.chunks(100) {
        for (stamp, record) in chunk {
            dev.append(stamp, record).unwrap();
        }
        if forward {
            let b = dev.read_batch(&mut buf).unwrap();
            rx.receive(&LEDGER, &buf[..b.len]).unwrap();
            dev.confirm(b.first_seq + b.count - 1).unwrap();
        } else {
            dev.confirm(dev.head().next_seq - 1).unwrap();
        }
    }
    drop(dev);
    flash
}

fn bench(c: &mut Criterion) {
    let entries = entries();
    let flash = run(&entries, true);
    let s = flash.stats();
    let frames: usize = {
        let mut w = lotledger::chain::Writer::new(
            Vec::new(),
            vec![0u8; 512],
            lotledger::chain::Anchor::genesis(&LEDGER),
        );
        entries.iter().for_each(|(st, r)| {
            w.append(st, r).unwrap();
        });
        w.storage().len()
    };
    eprintln!(
        "flash: {N} entries, frames {:.1} B/entry, flash written {:.1} B/entry, {} page erases, \
         FlashLedger<_, [u8; 512]> is {} bytes",
        frames as f64 / N as f64,
        s.bytes_written as f64 / N as f64,
        s.erases,
        core::mem::size_of::<FlashLedger<&mut Flash, [u8; 512]>>(),
    );

    let mut g = c.benchmark_group("flash");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("append_1000_confirm_each_100", |b| b.iter(|| run(&entries, false)));
    g.bench_function("append_1000_forward_each_100", |b| b.iter(|| run(&entries, true)));
    let full = {
        let mut flash = Flash::new(16);
        let mut dev = FlashLedger::format(&mut flash, REGION, LEDGER, [0u8; 512]).unwrap();
        for (stamp, record) in entries.iter().take(600) {
            dev.append(stamp, record).unwrap();
        }
        drop(dev);
        flash
    };
    g.throughput(Throughput::Elements(600));
    g.bench_function("open_600_pending", |b| {
        b.iter_batched(
            || full.clone(),
            |mut f| FlashLedger::open(&mut f, REGION, LEDGER, [0u8; 512]).unwrap().head(),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
