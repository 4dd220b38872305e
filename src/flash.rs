//! Store-and-forward on NOR flash for line controllers (feature `flash`).
//!
//! A device appends entries to a ring of flash pages, forwards them
//! oldest-first to a line PC, and erases them once the line PC confirms it
//! holds them. Power may fail at any point, including during recovery; the
//! guarantees are:
//!
//! - an entry whose [`FlashLedger::append`] returned `Ok` is there after any
//!   number of power cuts until it is confirmed, and verifies;
//! - no entry appears that was not appended: every record read back is an
//!   intact frame that continues the hash chain ([`Chain::follow`]);
//! - the chain head (next sequence number, last hash) and the ledger id
//!   survive every reboot, even when every entry has been confirmed and erased;
//! - when the flash holds a state these rules cannot explain (an unconfirmed
//!   entry missing or altered, another ledger), [`FlashLedger::open`] refuses
//!   it with an error naming where, rather than guessing.
//!
//! # Why not sequential-storage
//!
//! sequential-storage's queue was the first choice. Three things decided
//! against it (measured and explained in `docs/FLASH.md`): its item walk
//! steps over a torn item header one word at a time, so a later write can
//! complete a valid-looking phantom header that hides an acknowledged item
//! (its issue #136, still present in 8.0.2); `pop` rewrites an item header in
//! place, which needs [`MultiwriteNorFlash`] and is impossible on flash with
//! ECC; and its per-item header (8 bytes plus padding) duplicates the length
//! and CRC our frames already carry. The log here writes every word once,
//! never appends after bytes it cannot explain, and finds records only by
//! following the chain, so a torn write can at worst lose itself.
//!
//! # Layout
//!
//! The region is `pages` erase pages. Page number `n` (counting every page
//! ever opened) lives at physical page `n % pages`, so the ring needs no
//! index. Each page starts with a header and holds records, each starting on
//! a write-word boundary:
//!
//! ```text
//! page header (76 bytes, padded to the write size):
//! +-------+---------+-----------+----------+----------+-----------+--------+
//! | magic | page_no | ledger id | next_seq | head     | confirmed | crc    |
//! | LLF1  | u32 LE  | 16 bytes  | u64 LE   | 32 bytes | u64 LE    | u32 LE |
//! +-------+---------+-----------+----------+----------+-----------+--------+
//!   next_seq/head: the chain's anchor where this page starts
//!   confirmed: entries below this sequence number were confirmed
//!   crc: CRC-32C of the 72 bytes before it
//!
//! entry record:   a frame (varint len, body, CRC-32C), see `crate::frame`;
//!                 its first byte is never 0
//! confirm record: 0x00 0x01 | confirmed: u64 LE | CRC-32C of the 10 bytes
//! then 0xFF up to the next write-word boundary
//! ```
//!
//! # What each call acknowledges
//!
//! - [`FlashLedger::append`] `Ok`: the entry is on flash and will be read
//!   back until confirmed.
//! - [`FlashLedger::confirm`] `Ok`: the entries are not offered again in
//!   this session; the confirmation is on flash once
//!   [`FlashLedger::durable_confirmed`] covers it (at once, unless the page
//!   being written is full or torn and no page is free; then with the next
//!   page opened). A page is erased only when every entry on it is durably
//!   confirmed, so no reboot ever finds an unconfirmed entry missing. An
//!   unconfirmed-on-flash entry is forwarded again after a reboot, and the
//!   receiver accepts it once.
//! - [`FlashLedger::read_batch`] only reads.
//! - One page is always kept free: `pages - 1` pages hold unconfirmed
//!   entries; appending beyond that is [`FlashError::Full`].
//!
//! [`Chain::follow`]: crate::chain::Chain::follow
//! [`MultiwriteNorFlash`]: embedded_storage::nor_flash::MultiwriteNorFlash

mod log;
#[cfg(feature = "alloc")]
pub mod mock;

use core::fmt;

use embedded_storage::nor_flash::NorFlash;

use crate::chain::{Anchor, FailureKind, Receipt, WriteError, Writer};
use crate::entry::Stamp;
use crate::model::{LedgerId, Record};

pub use log::{Batch, FlashLog};

/// The most bytes of a flash word this module handles (read and write size).
pub const MAX_WORD: usize = 32;
/// The smallest erase page this module uses.
pub const MIN_PAGE: usize = 256;

/// Where the ledger lives in the flash: `pages` erase pages from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Byte offset of the first page; a multiple of the erase size.
    pub start: u32,
    /// Number of erase pages, at least 2.
    pub pages: u32,
}

/// Why a [`Region`] does not suit a flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionError {
    /// Fewer than two pages.
    TooFewPages,
    /// `start` is not on an erase page boundary.
    Unaligned,
    /// The region runs past the end of the flash.
    OutOfBounds,
    /// The flash's erase page is under [`MIN_PAGE`] bytes or not a multiple
    /// of its write size.
    PageSize,
    /// The flash's read or write size is over [`MAX_WORD`] bytes, zero, or
    /// the write size is not a multiple of the read size.
    WordSize,
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooFewPages => "flash region needs at least two pages",
            Self::Unaligned => "flash region does not start on a page boundary",
            Self::OutOfBounds => "flash region runs past the end of the flash",
            Self::PageSize => "flash erase page too small or not a multiple of the write size",
            Self::WordSize => "flash read or write size unsupported",
        })
    }
}

impl core::error::Error for RegionError {}

impl Region {
    /// Checks the region against the flash type's geometry and capacity.
    ///
    /// # Errors
    /// The [`RegionError`] found.
    pub fn check<F: NorFlash>(&self, capacity: usize) -> Result<(), RegionError> {
        let (r, w, p) = (F::READ_SIZE, F::WRITE_SIZE, F::ERASE_SIZE);
        if r == 0 || w == 0 || r > MAX_WORD || w > MAX_WORD || !w.is_multiple_of(r) {
            return Err(RegionError::WordSize);
        }
        if p < MIN_PAGE || !p.is_multiple_of(w) || u32::try_from(p).is_err() {
            return Err(RegionError::PageSize);
        }
        if self.pages < 2 {
            return Err(RegionError::TooFewPages);
        }
        if !(self.start as usize).is_multiple_of(p) {
            return Err(RegionError::Unaligned);
        }
        let end = (self.pages as usize)
            .checked_mul(p)
            .and_then(|len| len.checked_add(self.start as usize))
            .ok_or(RegionError::OutOfBounds)?;
        if end > capacity || u32::try_from(end).is_err() {
            return Err(RegionError::OutOfBounds);
        }
        Ok(())
    }
}

/// What can go wrong with a flash ledger. `E` is the flash driver's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlashError<E> {
    /// The flash driver failed (in tests: the power was cut).
    Flash(E),
    /// The region does not suit the flash.
    Region(RegionError),
    /// The region holds no ledger: every byte is erased.
    Blank,
    /// The region holds no valid page header, yet is not erased.
    Unrecognized,
    /// The region holds another ledger.
    WrongLedger {
        /// The ledger id found on flash.
        found: LedgerId,
    },
    /// Entries that were never confirmed cannot be found.
    Missing {
        /// The first missing sequence number.
        from: u64,
        /// The sequence number after the last missing one.
        to: u64,
    },
    /// A record before the end of the newest page does not verify: not a
    /// torn write, but corruption of what was written.
    Corrupted {
        /// The sequence number the record should have carried.
        seq: u64,
        /// Byte offset of the record in the flash.
        offset: u32,
        /// What was wrong with it.
        kind: FailureKind,
    },
    /// A stored entry does not fit the buffer given; it needs `need` bytes.
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
    },
    /// The frame does not fit in one page.
    TooLarge {
        /// The frame's length.
        len: usize,
    },
    /// Every page holds entries that are not yet confirmed.
    Full,
    /// Confirmation of an entry that was never appended.
    NotWritten {
        /// The sequence number confirmed.
        seq: u64,
        /// The next sequence number the ledger will write.
        next_seq: u64,
    },
    /// The frame given to append is not the chain's next entry.
    Refused(FailureKind),
    /// The page counter is exhausted (after 2^32 pages).
    Exhausted,
}

impl<E: fmt::Display> fmt::Display for FlashError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flash(e) => write!(f, "flash: {e}"),
            Self::Region(e) => write!(f, "{e}"),
            Self::Blank => f.write_str("flash region is blank: no ledger"),
            Self::Unrecognized => f.write_str("flash region holds no ledger page"),
            Self::WrongLedger { found } => write!(f, "flash holds ledger {found}"),
            Self::Missing { from, to } => {
                write!(f, "unconfirmed entries {from} to {} are missing", to.saturating_sub(1))
            }
            Self::Corrupted { seq, offset, kind } => {
                write!(f, "entry {seq} at flash offset {offset}: {kind}")
            }
            Self::BufferTooSmall { need } => {
                write!(f, "buffer too small: entry needs {need} bytes")
            }
            Self::TooLarge { len } => write!(f, "frame of {len} bytes does not fit a flash page"),
            Self::Full => f.write_str("flash full of unconfirmed entries"),
            Self::NotWritten { seq, next_seq } => {
                write!(f, "cannot confirm entry {seq}: next entry is {next_seq}")
            }
            Self::Refused(kind) => write!(f, "frame refused: {kind}"),
            Self::Exhausted => f.write_str("flash page counter exhausted"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for FlashError<E> {}

/// The device side: a ledger on NOR flash that appends entries through the
/// core [`Writer`] and hands them out oldest-first for forwarding.
///
/// `B` is the entry buffer (as for [`Writer`]); it must hold the largest
/// frame stored. Nothing is allocated: RAM is this struct (the flash
/// handle, `B`, and about 200 bytes of state) plus the caller's batch
/// buffer for [`FlashLedger::read_batch`].
///
/// ```
/// use lotledger::entry::Stamp;
/// use lotledger::flash::{FlashLedger, Region, mock::MockFlash};
/// use lotledger::model::*;
///
/// let flash = MockFlash::<4, 1024>::new(4);
/// let region = Region { start: 0, pages: 4 };
/// let ledger = LedgerId([1; 16]);
/// let mut device = FlashLedger::format(flash, region, ledger, [0u8; 512])?;
/// let stamp = Stamp { time: Timestamp(1_772_352_000_000), actor: "line.3".parse()?, station: "L3-PLC".parse()? };
/// let lot = LotId { item: ItemCode::Internal("FG-7".parse()?), lot: "B2611".parse()? };
/// device.append(&stamp, &Record::DispositionSet(DispositionSet { lot, status: Disposition::OnHold, reason: Text::default() }))?;
///
/// let mut batch = [0u8; 1024];
/// let b = device.read_batch(&mut batch)?;
/// assert_eq!((b.first_seq, b.count), (0, 1));
/// // ... the line PC stores batch[..b.len] and answers ...
/// device.confirm(b.first_seq + b.count - 1)?;
///
/// // After a reboot the head is still there, though no entry is left to forward.
/// let head = device.head();
/// let (flash, _) = device.into_parts();
/// let mut device = FlashLedger::open(flash, region, ledger, [0u8; 512])?;
/// assert_eq!(device.head(), head);
/// assert_eq!(device.read_batch(&mut batch)?.count, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FlashLedger<F, B> {
    writer: Writer<FlashLog<F>, B>,
}

impl<F: NorFlash, B: AsMut<[u8]>> FlashLedger<F, B> {
    /// Erases the region and starts ledger `ledger` in it.
    ///
    /// # Errors
    /// [`FlashError::Region`], or [`FlashError::Flash`] (then format again).
    pub fn format(
        flash: F,
        region: Region,
        ledger: LedgerId,
        buffer: B,
    ) -> Result<Self, FlashError<F::Error>> {
        let log = FlashLog::format(flash, region, ledger)?;
        let head = log.head();
        Ok(Self { writer: Writer::new(log, buffer, head) })
    }

    /// Opens the ledger `ledger` in the region after a reboot: finds the
    /// pages, verifies every entry, rebuilds the head and where forwarding
    /// stands, and decides where the next entry goes.
    ///
    /// # Errors
    /// [`FlashError::Blank`] or [`FlashError::Unrecognized`] when there is
    /// no ledger (see [`FlashLedger::format`]); [`FlashError::WrongLedger`];
    /// [`FlashError::Missing`] or [`FlashError::Corrupted`] when the flash
    /// holds a state that power loss cannot explain;
    /// [`FlashError::BufferTooSmall`]; [`FlashError::Flash`].
    pub fn open(
        flash: F,
        region: Region,
        ledger: LedgerId,
        mut buffer: B,
    ) -> Result<Self, FlashError<F::Error>> {
        let log = FlashLog::open(flash, region, ledger, buffer.as_mut())?;
        let head = log.head();
        Ok(Self { writer: Writer::new(log, buffer, head) })
    }

    /// Appends `record` as the next entry. `Ok` means it is on flash.
    ///
    /// # Errors
    /// [`WriteError`]; the head does not move. After a flash error the
    /// entry may or may not be on flash; [`FlashLedger::head`] (after
    /// [`FlashLedger::open`] on reboot) says which.
    pub fn append(
        &mut self,
        stamp: &Stamp,
        record: &Record,
    ) -> Result<Receipt, WriteError<FlashError<F::Error>>> {
        self.writer.append(stamp, record)
    }

    /// Copies the oldest unconfirmed entries, as whole frames, into `out`,
    /// as many as fit, each verified against the chain.
    ///
    /// # Errors
    /// [`FlashError::BufferTooSmall`] when not even the oldest fits;
    /// [`FlashError::Corrupted`] when a stored entry no longer verifies;
    /// [`FlashError::Flash`].
    pub fn read_batch(&mut self, out: &mut [u8]) -> Result<Batch, FlashError<F::Error>> {
        self.writer.storage_mut().read_batch(out)
    }

    /// Records that the receiver holds every entry up to and including
    /// `up_to_seq`: they are not offered again, and pages holding only
    /// confirmed entries are erased.
    ///
    /// The confirmation is written at once (a 14-byte record) unless the
    /// page being written cannot take it (full, or ending in a torn write)
    /// and no page is free; then the next page opened carries it. Until it
    /// is on flash ([`FlashLedger::durable_confirmed`]) a reboot forwards
    /// those entries again, which a [`Receiver`](crate::forward::Receiver)
    /// accepts as duplicates. Confirming again is always safe.
    ///
    /// # Errors
    /// [`FlashError::NotWritten`] for an entry not appended yet;
    /// [`FlashError::Flash`] (confirm again).
    pub fn confirm(&mut self, up_to_seq: u64) -> Result<(), FlashError<F::Error>> {
        self.writer.storage_mut().confirm(up_to_seq)
    }

    /// Where the chain stands: the next sequence number and the last hash.
    #[must_use]
    pub const fn head(&self) -> Anchor {
        self.writer.head()
    }

    /// The ledger's id.
    #[must_use]
    pub const fn ledger(&self) -> LedgerId {
        self.writer.storage().ledger()
    }

    /// Entries with a sequence number below this are confirmed.
    #[must_use]
    pub const fn confirmed(&self) -> u64 {
        self.writer.storage().confirmed()
    }

    /// Entries below this sequence number are confirmed on flash; after a
    /// reboot, entries from here on are forwarded again (the receiver
    /// accepts them once).
    #[must_use]
    pub const fn durable_confirmed(&self) -> u64 {
        self.writer.storage().durable_confirmed()
    }

    /// Entries appended but not yet confirmed.
    #[must_use]
    pub const fn pending(&self) -> u64 {
        self.head().next_seq.saturating_sub(self.confirmed())
    }

    /// The log underneath, for inspection.
    #[must_use]
    pub const fn log(&self) -> &FlashLog<F> {
        self.writer.storage()
    }

    /// The flash and the buffer back.
    pub fn into_parts(self) -> (F, B) {
        let (log, buffer) = self.writer.into_parts();
        (log.into_flash(), buffer)
    }
}
