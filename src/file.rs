//! File storage: a ledger is a directory of segment files.
//!
//! The issue this answers is the one users fear most: a record that was
//! acknowledged and then vanished in a power cut, or a ledger that will not
//! open after one. So every promise here is explicit:
//!
//! - **One writer**, enforced by a lock on `LOCK` in the directory
//!   ([`Error::Locked`] for a second one); any number of [`LedgerReader`]s
//!   read while it appends and always see a verified prefix.
//! - **Segments** rotate at [`Options::segment_size`]. Each starts with a
//!   header (see [`segment`]) naming the ledger, the format versions and the
//!   [`Anchor`] its first entry continues, so a segment
//!   can be checked or archived on its own; a directory mixing ledgers is
//!   [`Error::LedgerMismatch`].
//! - **Recovery** on open: a torn tail is kept in an evidence file beside
//!   the segment, cut off, synced and reported in [`OpenReport::torn`]
//!   (which says whether it held a damaged frame rather than an interrupted
//!   write); anything else wrong is a typed error naming the file, sequence
//!   number and byte offset in that file ([`recovery`] gives the rule,
//!   [`Recovery`] the policy).
//! - **Durability** is chosen, not implied ([`Durability`]): an entry is
//!   acknowledged durable only once a sync covering it has returned. Which
//!   call acknowledges what is spelled out on [`FileLedger::append`],
//!   [`FileLedger::sync`] and [`Appended`], and in `docs/STORAGE.md`.
//!
//! Verification is the core's: frames are read with [`crate::frame::parse`]
//! and checked with [`crate::chain::Chain::follow`], entries are written by
//! [`crate::chain::Writer`]. This module only moves bytes to and from files.
//!
//! ```
//! use lotledger::file::{Durability, FileLedger, LedgerReader, Options};
//! use lotledger::demo::{Plant, PlantConfig};
//! use lotledger::model::LedgerId;
//!
//! let dir = std::env::temp_dir().join(format!("lotledger-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let options = Options::new().durability(Durability::GroupCommit { entries: 100, millis: 50 });
//! let mut ledger = FileLedger::create(&dir, LedgerId([1; 16]), options.clone())?;
//! for (stamp, record) in Plant::new(&PlantConfig::default()).take(250) {
//!     ledger.append(&stamp, &record)?;
//! }
//! let durable = ledger.sync()?; // every entry before durable.next_seq is durable
//! assert_eq!(durable.next_seq, 250);
//! drop(ledger);
//!
//! let (ledger, report) = FileLedger::open(&dir, options)?;
//! assert_eq!(report.head, durable);
//! assert!(report.torn.is_none());
//! let read = LedgerReader::open(&dir)?.verify()?;
//! assert_eq!(read.head, durable);
//! # drop(ledger);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod archive;
mod devices;
mod error;
mod io;
mod ledger;
mod lock;
pub mod personal;
mod reader;
pub mod recovery;
pub mod segment;
mod syncer;

use core::fmt;
use core::time::Duration;
use std::path::PathBuf;

pub use devices::{DeviceLedgers, RECENT_HASHES};
pub use error::Error;
pub use io::{Clock, SegmentFile, Wrapper};
pub use ledger::{Appended, FileLedger};
pub use lock::LOCK_FILE;
pub use personal::{Lookup, PERSONAL_DIR, PersonalStore};
pub use reader::{Entries, LedgerReader, ReadReport, SegmentBytes, Segments, StoredEntry, Tail};
pub use recovery::Recovery;
pub use segment::{CUT_INFIX, SegmentHeader};

use crate::chain::Anchor;
use crate::frame::MAX_FRAME_LEN;
use segment::HEADER_LEN;

/// When appended entries are made durable (synced to the disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Durability {
    /// Every [`FileLedger::append`] writes and syncs its entry before it
    /// returns: each receipt is durable. One `write` and one `fdatasync` per entry.
    SyncEach,
    /// Entries are buffered and synced together once `entries` have
    /// accumulated, or on the first append at least `millis` milliseconds
    /// after the last sync (0: no time limit). There is no background
    /// thread: an idle writer makes its tail durable with
    /// [`FileLedger::sync`] (or [`FileLedger::sync_if_due`] from a timer).
    /// By default the sync runs on a background thread while appending
    /// continues ([`Options::background_sync`]).
    GroupCommit {
        /// Entries per sync (at least 1).
        entries: u32,
        /// Milliseconds after which the next append syncs.
        millis: u32,
    },
    /// Entries are buffered and written to the operating system in large
    /// blocks, never synced except at segment rotation, [`FileLedger::sync`],
    /// [`FileLedger::close`] and drop. For bulk import, where a crash means
    /// starting the import again.
    Buffered,
}

/// How a [`FileLedger`] is configured.
#[derive(Clone)]
pub struct Options {
    segment_size: u64,
    durability: Durability,
    recovery: Recovery,
    buffer_size: usize,
    background_sync: bool,
    wrapper: Option<Wrapper>,
    clock: Option<Clock>,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("segment_size", &self.segment_size)
            .field("durability", &self.durability)
            .field("recovery", &self.recovery)
            .field("buffer_size", &self.buffer_size)
            .field("background_sync", &self.background_sync)
            .field("wrapper", &self.wrapper.is_some())
            .field("clock", &self.clock.is_some())
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// The smallest segment size accepted: a header and one largest frame.
    pub const MIN_SEGMENT_SIZE: u64 = (HEADER_LEN + MAX_FRAME_LEN) as u64;

    /// 64 MiB segments, [`Durability::SyncEach`], [`Recovery::TruncateTornTail`],
    /// a 256 KiB write buffer.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            segment_size: 64 << 20,
            durability: Durability::SyncEach,
            recovery: Recovery::TruncateTornTail,
            buffer_size: 256 << 10,
            background_sync: true,
            wrapper: None,
            clock: None,
        }
    }

    /// Rotate to a new segment once the current one holds `bytes` bytes or
    /// more (a segment exceeds it by less than one frame).
    #[must_use]
    pub const fn segment_size(mut self, bytes: u64) -> Self {
        self.segment_size = bytes;
        self
    }

    /// When appends are synced.
    #[must_use]
    pub const fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// What opening does with a damaged last segment.
    #[must_use]
    pub const fn recovery(mut self, recovery: Recovery) -> Self {
        self.recovery = recovery;
        self
    }

    /// Bytes buffered before they are written to the operating system
    /// (in [`Durability::GroupCommit`] and [`Durability::Buffered`]).
    #[must_use]
    pub const fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes;
        self
    }

    /// Under [`Durability::GroupCommit`], run each group's sync on a
    /// background thread while appending continues (the default), or in the
    /// append that completes the group (`false`). Either way an entry is
    /// acknowledged durable only after a sync covering it has returned;
    /// in the background, groups requested while a sync runs share the
    /// next one, and appending waits when more than 64 groups are not
    /// yet durable.
    #[must_use]
    pub const fn background_sync(mut self, on: bool) -> Self {
        self.background_sync = on;
        self
    }

    /// Passes every segment file the writer opens through `wrapper` (fault
    /// injection in tests, instrumentation).
    #[must_use]
    pub fn wrap_files(mut self, wrapper: Wrapper) -> Self {
        self.wrapper = Some(wrapper);
        self
    }

    /// Reads the time for group commit's time limit from `clock` instead of
    /// [`std::time::Instant::now`] (tests step time forward instead of
    /// sleeping). [`FileLedger::sync_if_due`] takes its `now` from the same clock.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The time now on the configured clock.
    fn now(&self) -> std::time::Instant {
        self.clock.as_ref().map_or_else(std::time::Instant::now, |c| c())
    }

    /// Checks the options.
    ///
    /// # Errors
    /// [`Error::BadOptions`] for a segment size under
    /// [`Self::MIN_SEGMENT_SIZE`] or group commit of 0 entries.
    pub const fn check(&self) -> Result<(), Error> {
        if self.segment_size < Self::MIN_SEGMENT_SIZE {
            return Err(Error::BadOptions("segment size below a header and one largest frame"));
        }
        if let Durability::GroupCommit { entries: 0, .. } = self.durability {
            return Err(Error::BadOptions("group commit of 0 entries"));
        }
        Ok(())
    }

    const fn group_interval(&self) -> Option<Duration> {
        match self.durability {
            Durability::GroupCommit { millis, .. } if millis > 0 => {
                Some(Duration::from_millis(millis as u64))
            }
            _ => None,
        }
    }
}

/// What opening a ledger for writing found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenReport {
    /// Where the ledger starts: the first segment's anchor (entry 0 and the
    /// genesis hash unless older segments were archived away).
    pub start: Anchor,
    /// Where the chain ends after recovery: every entry before
    /// `head.next_seq` is present, verified and durable.
    pub head: Anchor,
    /// Entries verified.
    pub entries: u64,
    /// Segment files.
    pub segments: usize,
    /// The tail cut off the last segment, if any.
    pub torn: Option<TornTail>,
    /// Leftover temporary files of an interrupted segment creation, removed.
    pub removed_temp_files: usize,
}

/// A tail cut off the last segment on open.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TornTail {
    /// The segment file.
    pub path: PathBuf,
    /// Where it was cut: the end of the last intact entry.
    pub offset: u64,
    /// Bytes removed.
    pub len: u64,
    /// The entry number expected at the cut.
    pub seq: u64,
    /// Intact frames of later entries that were discarded too (only under
    /// [`Recovery::DiscardFromFirstFailure`]; otherwise 0).
    pub discarded_frames: u64,
    /// Whether what was cut held bytes that had parsed, so that it was not
    /// just an interrupted write: a complete frame failing its checksum (a
    /// damaged frame, see [`recovery`]), or, under
    /// [`Recovery::DiscardFromFirstFailure`], a frame that does not chain or
    /// intact frames after the failure. An entry may have been lost:
    /// report it to a person.
    pub damaged_frame: bool,
    /// The file beside the segment that keeps the cut bytes,
    /// `<segment>.cut-<offset>` (see `docs/STORAGE.md`); `None` when no
    /// bytes were cut.
    pub evidence: Option<PathBuf>,
}
