//! The demo plant end to end in memory: write its records as a hash-chained
//! ledger, verify it, and report what an auditor would see.
//!
//! `cargo run --release --example demo -- [EVENTS]` (default 100000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

use std::collections::BTreeMap;
use std::time::Instant;

use lotledger::chain::{Anchor, Verifier, Writer, verify_records};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::frame::MAX_FRAME_LEN;
use lotledger::model::LedgerId;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("EVENTS must be a whole number: {e}"))?,
        None => 100_000,
    };
    let id = LedgerId(*b"lotledger-demo-1");
    let records: Vec<_> = Plant::new(&PlantConfig::default()).take(events).collect();

    let t = Instant::now();
    let mut w = Writer::new(
        Vec::with_capacity(events * 80),
        vec![0u8; MAX_FRAME_LEN],
        Anchor::genesis(&id),
    );
    for (stamp, record) in &records {
        w.append(stamp, record)?;
    }
    let append = t.elapsed();
    let bytes = w.into_parts().0;

    let t = Instant::now();
    let report = verify_records(&bytes, Anchor::genesis(&id))?;
    let verify = t.elapsed();

    let mut kinds = BTreeMap::new();
    for v in Verifier::new(&bytes, Anchor::genesis(&id)) {
        *kinds.entry(v?.kind()?.name()).or_insert(0u64) += 1;
    }
    println!("lotledger demo plant: {events} events");
    println!("  ledger id      {id}");
    println!(
        "  bytes          {} ({:.1} per entry)",
        bytes.len(),
        bytes.len() as f64 / events as f64
    );
    println!(
        "  append         {:?} ({:.0} entries/s)",
        append,
        events as f64 / append.as_secs_f64()
    );
    println!(
        "  verify+decode  {:?} ({:.0} entries/s)",
        verify,
        events as f64 / verify.as_secs_f64()
    );
    println!(
        "  time span      {} .. {}",
        report.first_time.map(|t| t.to_string()).unwrap_or_default(),
        report.last_time.map(|t| t.to_string()).unwrap_or_default()
    );
    println!(
        "  head           entry {} hash {}",
        report.head.next_seq.saturating_sub(1),
        report.head.head
    );
    println!("  records by kind:");
    for (kind, n) in kinds {
        println!("    {kind:22} {n:>9}");
    }
    Ok(())
}
