//! In-memory append and verify over the demo plant's realistic record mix.
//!
//! `cargo bench --bench core` prints, besides criterion's timings and
//! entries per second, the mix's bytes per entry (mean and median, frame
//! overhead included).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lotledger::chain::{Anchor, Verifier, Writer, verify, verify_records};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::frame::MAX_FRAME_LEN;
use lotledger::model::LedgerId;

const N: usize = 100_000;

fn bench(c: &mut Criterion) {
    let records: Vec<_> = Plant::new(&PlantConfig::default()).take(N).collect();
    let id = LedgerId([1; 16]);
    let mut w =
        Writer::new(Vec::with_capacity(N * 100), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
    for (s, r) in &records {
        w.append(s, r).unwrap();
    }
    let bytes = w.into_parts().0;
    let mut sizes: Vec<usize> = {
        let mut offsets: Vec<u64> =
            Verifier::new(&bytes, Anchor::genesis(&id)).map(|v| v.unwrap().offset).collect();
        offsets.push(bytes.len() as u64);
        offsets.windows(2).map(|w| (w[1] - w[0]) as usize).collect()
    };
    sizes.sort_unstable();
    println!(
        "demo mix: {N} entries, {} bytes, mean {:.1} bytes/entry, median {} bytes/entry",
        bytes.len(),
        bytes.len() as f64 / N as f64,
        sizes[N / 2]
    );

    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("append_mem", |b| {
        b.iter_batched(
            || {
                Writer::new(
                    Vec::with_capacity(bytes.len()),
                    vec![0u8; MAX_FRAME_LEN],
                    Anchor::genesis(&id),
                )
            },
            |mut w| {
                for (s, r) in &records {
                    w.append(s, r).unwrap();
                }
                w
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("verify_chain", |b| b.iter(|| verify(&bytes, Anchor::genesis(&id)).unwrap()));
    g.bench_function("verify_and_decode_records", |b| {
        b.iter(|| verify_records(&bytes, Anchor::genesis(&id)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
