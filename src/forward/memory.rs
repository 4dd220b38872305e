//! An in-memory [`Sink`] for tests and examples.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::convert::Infallible;

use super::Sink;
use crate::chain::{Anchor, Verifier};
use crate::model::{Digest, LedgerId};

/// Keeps each ledger's frames and entry hashes in memory.
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    ledgers: BTreeMap<LedgerId, Held>,
    appends: u64,
}

#[derive(Clone, Debug)]
struct Held {
    frames: Vec<u8>,
    hashes: Vec<Digest>,
    head: Anchor,
}

impl MemorySink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The frames held for `ledger`, oldest first.
    #[must_use]
    pub fn frames(&self, ledger: &LedgerId) -> &[u8] {
        self.ledgers.get(ledger).map_or(&[], |h| h.frames.as_slice())
    }

    /// How many times [`Sink::append`] was called (to show nothing is stored twice).
    #[must_use]
    pub const fn appends(&self) -> u64 {
        self.appends
    }
}

impl Sink for MemorySink {
    type Error = Infallible;

    fn head(&mut self, ledger: &LedgerId) -> Result<Option<Anchor>, Infallible> {
        Ok(self.ledgers.get(ledger).map(|h| h.head))
    }

    fn entry_hash(&mut self, ledger: &LedgerId, seq: u64) -> Result<Option<Digest>, Infallible> {
        let i = usize::try_from(seq).ok();
        Ok(self.ledgers.get(ledger).and_then(|h| i.and_then(|i| h.hashes.get(i))).copied())
    }

    fn append(&mut self, ledger: &LedgerId, frames: &[u8], head: Anchor) -> Result<(), Infallible> {
        let held = self.ledgers.entry(*ledger).or_insert_with(|| Held {
            frames: Vec::new(),
            hashes: Vec::new(),
            head: Anchor::genesis(ledger),
        });
        // The receiver verified these; the hashes are kept for replay checks.
        held.hashes.extend(Verifier::new(frames, held.head).map_while(Result::ok).map(|v| v.hash));
        held.frames.extend_from_slice(frames);
        held.head = head;
        self.appends += 1;
        Ok(())
    }
}
