//! A NOR flash in RAM that loses power on command (feature `alloc`), for
//! power-loss tests of [`FlashLedger`](super::FlashLedger) and of firmware
//! built on it.
//!
//! It behaves as strictly as the strictest real part: reads and writes must
//! be aligned, a word may be written only once after an erase (as on flash
//! with ECC), and erase sets a whole page to 0xFF. [`MockFlash::cut_at`]
//! picks a write or erase to interrupt: a torn write completes the words
//! before a random one, fills that word with arbitrary bits (or, in
//! [`Tear::Programmed`] mode, programs a random subset of its bits) and
//! leaves the rest as they were; a torn erase leaves every word of the page
//! erased, unchanged or random. After a cut every call fails until
//! [`MockFlash::power_on`], as after a reboot.

#![expect(
    clippy::cast_possible_truncation,
    reason = "a test double: offsets and counts are bounded by the flash size"
)]

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// How a torn word is filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tear {
    /// Any bits at all (stricter than physics, which the tests want).
    Arbitrary,
    /// As NOR flash programs: a write clears a random subset of the bits it
    /// was clearing, an erase sets a random subset.
    Programmed,
}

/// Operation counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Write calls.
    pub writes: u64,
    /// Erase calls (one per page).
    pub erases: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Read calls.
    pub reads: u64,
    /// Bytes read.
    pub bytes_read: u64,
}

/// What the mock flash refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MockError {
    /// Offset or length not aligned to the read, write or erase size.
    NotAligned,
    /// Beyond the end of the flash.
    OutOfBounds,
    /// A write to a word that is not erased (a bug in the caller).
    NotErased {
        /// The word's offset.
        offset: u32,
    },
    /// The power was cut during this operation.
    PowerCut,
    /// The power is off (until [`MockFlash::power_on`]).
    PoweredOff,
    /// The operation completed, but the driver reported an error anyway
    /// (see [`MockFlash::spurious_at`]).
    Spurious,
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAligned => f.write_str("not aligned"),
            Self::OutOfBounds => f.write_str("out of bounds"),
            Self::NotErased { offset } => write!(f, "write to unerased word at {offset}"),
            Self::PowerCut => f.write_str("power cut"),
            Self::PoweredOff => f.write_str("power off"),
            Self::Spurious => f.write_str("spurious error"),
        }
    }
}

impl core::error::Error for MockError {}

impl NorFlashError for MockError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// A NOR flash of `WORD`-byte write words and `PAGE`-byte erase pages.
#[derive(Clone, Debug)]
pub struct MockFlash<const WORD: usize, const PAGE: usize> {
    mem: Vec<u8>,
    ops: u64,
    cut: Option<u64>,
    spurious: Option<u64>,
    powered: bool,
    tear: Tear,
    rng: u64,
    stats: Stats,
    unerased_writes: u64,
}

impl<const WORD: usize, const PAGE: usize> MockFlash<WORD, PAGE> {
    /// An erased flash of `pages` pages.
    #[must_use]
    pub fn new(pages: usize) -> Self {
        Self {
            mem: vec![0xFF; pages * PAGE],
            ops: 0,
            cut: None,
            spurious: None,
            powered: true,
            tear: Tear::Arbitrary,
            rng: 0x5eed,
            stats: Stats::default(),
            unerased_writes: 0,
        }
    }

    /// Seeds the bits torn words get.
    #[must_use]
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.rng = seed;
        self
    }

    /// Sets how torn words are filled.
    #[must_use]
    pub const fn with_tear(mut self, tear: Tear) -> Self {
        self.tear = tear;
        self
    }

    /// Cuts the power during the write or erase `n` operations from now
    /// (0: the next one).
    pub const fn cut_at(&mut self, n: u64) {
        self.cut = Some(self.ops + n);
    }

    /// Makes the write or erase `n` operations from now complete and then
    /// report [`MockError::Spurious`], power staying on: a driver that
    /// times out on an operation the flash finished.
    pub const fn spurious_at(&mut self, n: u64) {
        self.spurious = Some(self.ops + n);
    }

    /// Cancels a cut that has not happened yet.
    pub const fn no_cut(&mut self) {
        self.cut = None;
    }

    /// Restores power, as a reboot does.
    pub const fn power_on(&mut self) {
        self.powered = true;
        self.cut = None;
    }

    /// Whether the power is on.
    #[must_use]
    pub const fn is_powered(&self) -> bool {
        self.powered
    }

    /// Write and erase operations so far (the numbering [`Self::cut_at`] uses).
    #[must_use]
    pub const fn ops(&self) -> u64 {
        self.ops
    }

    /// The counters.
    #[must_use]
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// Writes refused because their word was not erased; a correct user makes none.
    #[must_use]
    pub const fn unerased_writes(&self) -> u64 {
        self.unerased_writes
    }

    /// The whole flash.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.mem
    }

    /// The whole flash, to tamper with in tests.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }

    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn random_byte(&mut self) -> u8 {
        self.next_random().to_le_bytes()[0]
    }

    /// Counts an operation; true if the power fails during it.
    fn begin(&mut self) -> Result<bool, MockError> {
        if !self.powered {
            return Err(MockError::PoweredOff);
        }
        let n = self.ops;
        self.ops += 1;
        Ok(self.cut == Some(n))
    }

    /// Whether the operation just begun reports a spurious error.
    fn spurious(&self) -> Result<(), MockError> {
        if self.spurious == Some(self.ops - 1) { Err(MockError::Spurious) } else { Ok(()) }
    }

    fn range(&self, offset: u32, len: usize, align: usize) -> Result<(usize, usize), MockError> {
        let start = offset as usize;
        if !start.is_multiple_of(align) || !len.is_multiple_of(align) {
            return Err(MockError::NotAligned);
        }
        let end = start.checked_add(len).ok_or(MockError::OutOfBounds)?;
        if end > self.mem.len() {
            return Err(MockError::OutOfBounds);
        }
        Ok((start, end))
    }
}

impl<const WORD: usize, const PAGE: usize> ErrorType for MockFlash<WORD, PAGE> {
    type Error = MockError;
}

impl<const WORD: usize, const PAGE: usize> ReadNorFlash for MockFlash<WORD, PAGE> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), MockError> {
        if !self.powered {
            return Err(MockError::PoweredOff);
        }
        let (start, end) = self.range(offset, bytes.len(), 1)?;
        bytes.copy_from_slice(self.mem.get(start..end).ok_or(MockError::OutOfBounds)?);
        self.stats.reads += 1;
        self.stats.bytes_read += bytes.len() as u64;
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl<const WORD: usize, const PAGE: usize> NorFlash for MockFlash<WORD, PAGE> {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), MockError> {
        let torn = self.begin()?;
        let len = (to as usize).checked_sub(from as usize).ok_or(MockError::OutOfBounds)?;
        let (start, end) = self.range(from, len, PAGE)?;
        self.stats.erases += (len / PAGE) as u64;
        if !torn {
            self.mem.get_mut(start..end).ok_or(MockError::OutOfBounds)?.fill(0xFF);
            return self.spurious();
        }
        for word in (start..end).step_by(WORD) {
            let choice = self.next_random() % 3;
            for i in word..word + WORD {
                let random = self.random_byte();
                let Some(b) = self.mem.get_mut(i) else { continue };
                *b = match (choice, self.tear) {
                    (0, _) => 0xFF,
                    (1, Tear::Arbitrary) => random,
                    (1, Tear::Programmed) => *b | random,
                    _ => *b,
                };
            }
        }
        self.powered = false;
        Err(MockError::PowerCut)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), MockError> {
        let torn = self.begin()?;
        let (start, end) = self.range(offset, bytes.len(), WORD)?;
        let target = self.mem.get(start..end).ok_or(MockError::OutOfBounds)?;
        if let Some(i) = target.chunks(WORD).position(|w| w.iter().any(|b| *b != 0xFF)) {
            self.unerased_writes += 1;
            return Err(MockError::NotErased { offset: offset + (i * WORD) as u32 });
        }
        self.stats.writes += 1;
        self.stats.bytes_written += bytes.len() as u64;
        let words = bytes.len() / WORD;
        let torn_word =
            if torn { (self.next_random() % words.max(1) as u64) as usize } else { words };
        for (w, chunk) in bytes.chunks(WORD).enumerate() {
            if w > torn_word {
                break;
            }
            for (i, byte) in chunk.iter().enumerate() {
                let random = self.random_byte();
                let Some(b) = self.mem.get_mut(start + w * WORD + i) else { continue };
                *b = match (w == torn_word, self.tear) {
                    (false, _) => *byte,
                    (true, Tear::Arbitrary) => random,
                    (true, Tear::Programmed) => *b & (*byte | random),
                };
            }
        }
        if torn {
            self.powered = false;
            return Err(MockError::PowerCut);
        }
        self.spurious()
    }
}
