//! The median stored entry of the demo plant's realistic mix is at most 96
//! bytes, everything stored per entry included (frame length, CRC, link).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]

use lotledger::chain::{Anchor, Verifier};

#[test]
fn median_entry_of_the_demo_mix_is_at_most_96_bytes() {
    let n = 50_000;
    let (id, bytes) = lotledger::demo::ledger(n);
    let mut offsets: Vec<u64> =
        Verifier::new(&bytes, Anchor::genesis(&id)).map(|v| v.unwrap().offset).collect();
    assert_eq!(offsets.len(), n);
    offsets.push(bytes.len() as u64);
    let mut sizes: Vec<u64> = offsets.windows(2).map(|w| w[1] - w[0]).collect();
    sizes.sort_unstable();
    let median = sizes[n / 2];
    println!(
        "median {median} bytes, mean {:.1}, max {}",
        bytes.len() as f64 / n as f64,
        sizes[n - 1]
    );
    assert!(median <= 96, "median entry {median} bytes");
    // The sizes are those of whole frames: they add up to the ledger.
    assert_eq!(sizes.iter().sum::<u64>(), bytes.len() as u64);
}
