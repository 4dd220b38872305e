//! The receiving side of store-and-forward on a line PC: each device's
//! forwarded entries go into a file ledger of their own, under the device's
//! ledger id (`ROOT/<ledger id in hex>/`), byte for byte as the device wrote
//! them, so the device's hash chain, receipts and checkpoints stay valid.
//!
//! [`DeviceLedgers`] is the [`Sink`] a [`Receiver`](crate::forward::Receiver)
//! stores into: the receiver decides what continues the chain (gaps, forks
//! and replays are refused, a batch forwarded twice is stored once); this
//! file only keeps the bytes durable.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::vec::Vec;

use super::{Durability, Error, FileLedger, LedgerReader, Options};
use crate::chain::Anchor;
use crate::forward::Sink;
use crate::frame;
use crate::model::{Digest, LedgerId};

/// How many recent entry hashes are kept per device to recognise a batch
/// forwarded again (a device that rebooted before its confirmation resends
/// what it had not had confirmed, which is at most its flash's contents).
pub const RECENT_HASHES: usize = 1 << 16;

/// One device's ledger, open for writing, and its most recent hashes.
#[derive(Debug)]
struct Device {
    ledger: FileLedger,
    head: Anchor,
    recent: VecDeque<(u64, Digest)>,
}

/// File ledgers of forwarded device entries, one directory per device.
#[derive(Debug)]
pub struct DeviceLedgers {
    root: PathBuf,
    open: BTreeMap<LedgerId, Device>,
}

impl DeviceLedgers {
    /// Device ledgers under `root` (created when the first batch arrives).
    pub fn new(root: impl AsRef<Path>) -> Self {
        Self { root: root.as_ref().to_path_buf(), open: BTreeMap::new() }
    }

    /// The directory of `ledger`'s file ledger.
    #[must_use]
    pub fn dir(&self, ledger: &LedgerId) -> PathBuf {
        self.root.join(std::format!("{ledger}"))
    }

    fn options() -> Options {
        // Each batch is synced once, before the receiver acknowledges it.
        Options::new().durability(Durability::Buffered)
    }

    /// The device's ledger, opened (and its recent hashes read) on first use.
    fn device(&mut self, ledger: &LedgerId, create: bool) -> Result<Option<&mut Device>, Error> {
        if !self.open.contains_key(ledger) {
            let dir = self.dir(ledger);
            let device = if dir.exists() {
                let mut recent = VecDeque::new();
                for entry in LedgerReader::open(&dir)?.entries()? {
                    let entry = entry?;
                    if recent.len() == RECENT_HASHES {
                        recent.pop_front();
                    }
                    recent.push_back((entry.header.seq, entry.hash));
                }
                let (file, report) = FileLedger::open(&dir, Self::options())?;
                Device { ledger: file, head: report.head, recent }
            } else if create {
                let file = FileLedger::create(&dir, *ledger, Self::options())?;
                Device { ledger: file, head: Anchor::genesis(ledger), recent: VecDeque::new() }
            } else {
                return Ok(None);
            };
            self.open.insert(*ledger, device);
        }
        Ok(self.open.get_mut(ledger))
    }
}

impl Sink for DeviceLedgers {
    type Error = Error;

    fn head(&mut self, ledger: &LedgerId) -> Result<Option<Anchor>, Error> {
        Ok(self.device(ledger, false)?.map(|d| d.head))
    }

    fn entry_hash(&mut self, ledger: &LedgerId, seq: u64) -> Result<Option<Digest>, Error> {
        let Some(device) = self.device(ledger, false)? else { return Ok(None) };
        let Some(&(first, _)) = device.recent.front() else { return Ok(None) };
        let index = seq.checked_sub(first).and_then(|i| usize::try_from(i).ok());
        Ok(index.and_then(|i| device.recent.get(i)).map(|(_, h)| *h))
    }

    fn append(&mut self, ledger: &LedgerId, frames: &[u8], head: Anchor) -> Result<(), Error> {
        let Some(device) = self.device(ledger, true)? else { return Ok(()) };
        let mut rest = frames;
        let mut added = Vec::new();
        while !rest.is_empty() {
            let len = frame::parse(rest).map(|f| f.len).unwrap_or(rest.len());
            let (one, tail) = rest.split_at(len.min(rest.len()));
            let appended = device.ledger.append_frame(one)?;
            added.push((appended.receipt.seq, appended.receipt.hash));
            rest = tail;
        }
        let durable = device.ledger.sync()?;
        device.head = durable;
        for item in added {
            if device.recent.len() == RECENT_HASHES {
                device.recent.pop_front();
            }
            device.recent.push_back(item);
        }
        debug_assert_eq!(durable, head, "the receiver checked the batch continues the chain");
        Ok(())
    }
}
