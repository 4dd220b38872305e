//! Helpers shared by the file storage tests: a reference ledger written by
//! the core writer to memory, and the long-run switch.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;

use lotledger::chain::{Anchor, Receipt, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::entry::Stamp;
use lotledger::file::{LedgerReader, StoredEntry};
use lotledger::frame::MAX_FRAME_LEN;
use lotledger::model::{LedgerId, Record};

/// `LOTLEDGER_LONG_RUN=1` runs the full counts of the fault-injection suites.
pub fn long_run() -> bool {
    std::env::var("LOTLEDGER_LONG_RUN").is_ok_and(|v| v == "1")
}

/// `ci` cases normally, `long` in the long-run mode.
pub fn cases(ci: usize, long: usize) -> usize {
    if long_run() { long } else { ci }
}

/// What a ledger should hold: every entry the plant makes, in order, with
/// the receipts the core writer gives for them.
pub struct Reference {
    pub id: LedgerId,
    pub items: Vec<(Stamp, Record)>,
    pub receipts: Vec<Receipt>,
}

impl Reference {
    pub fn new(id: LedgerId, seed: u64, n: usize) -> Self {
        let items: Vec<_> =
            Plant::new(&PlantConfig { seed, ..PlantConfig::default() }).take(n).collect();
        let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
        let receipts = items.iter().map(|(s, r)| w.append(s, r).unwrap()).collect();
        Self { id, items, receipts }
    }

    /// The head after the first `k` entries.
    pub fn head(&self, k: usize) -> Anchor {
        match k.checked_sub(1) {
            None => Anchor::genesis(&self.id),
            Some(i) => Anchor { next_seq: k as u64, head: self.receipts[i].hash },
        }
    }
}

/// Every verified entry of the ledger in `dir`.
pub fn read_all(dir: &Path) -> Vec<StoredEntry> {
    LedgerReader::open(dir).unwrap().entries().unwrap().collect::<Result<_, _>>().unwrap()
}

/// Checks that `entries` are the first entries of `reference`, hash for hash.
pub fn assert_prefix(entries: &[StoredEntry], reference: &Reference, context: &str) {
    assert!(
        entries.len() <= reference.receipts.len(),
        "{context}: {} entries, only {} were appended",
        entries.len(),
        reference.receipts.len()
    );
    for (e, r) in entries.iter().zip(&reference.receipts) {
        assert_eq!(e.receipt(), *r, "{context}: entry {} differs (phantom or altered)", r.seq);
    }
}
