//! The writer: appends entries through the core [`Writer`] into a buffer,
//! moves the buffer to the current segment file, syncs when the durability
//! mode says so, rotates segments, and recovers on open.

use std::boxed::Box;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::string::String;
use std::time::Instant;
use std::vec::Vec;

use super::io::{SegmentFile, sync_dir, wrap};
use super::lock::Lock;
use super::recovery::{Step, Walk, is_torn_tail};
use super::segment::{self, CUT_INFIX, HEADER_LEN, SegmentHeader, TEMP_SUFFIX};
use super::syncer::Syncer;
use super::{Durability, Error, OpenReport, Options, Recovery, TornTail};
use crate::chain::{Anchor, Receipt, WriteError, Writer};
use crate::entry::Stamp;
use crate::frame::MAX_FRAME_LEN;
use crate::model::{LedgerId, Record};
use crate::storage::Storage;

/// Under background group commit, appending waits once this many groups
/// are not yet durable (a disk stalling for longer than that many groups
/// take to append).
const MAX_GROUPS_WAITING: u64 = 64;

/// Frames appended but not yet handed to the operating system.
#[derive(Debug, Default)]
struct Pending(Vec<u8>);

impl Storage for Pending {
    type Error = core::convert::Infallible;

    fn append(&mut self, frame: &[u8]) -> Result<(), Self::Error> {
        self.0.extend_from_slice(frame);
        Ok(())
    }
}

/// What [`FileLedger::append`] acknowledges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "an append is durable only when `durable` says so"]
pub struct Appended {
    /// The entry's sequence number and hash.
    pub receipt: Receipt,
    /// Whether the entry is durable now: a sync covering it has returned.
    /// Always true under [`Durability::SyncEach`]. Otherwise it becomes
    /// durable when a later call returns a durable head past it
    /// ([`FileLedger::sync`], or the `durable_head` of a later [`Appended`]).
    pub durable: bool,
    /// The durable head when the append returned: every entry before
    /// `durable_head.next_seq` (this one or earlier ones) is durable.
    pub durable_head: Anchor,
}

/// The single writer of a ledger directory.
///
/// Dropping it syncs what was appended, ignoring errors; call
/// [`FileLedger::close`] to learn whether that worked.
#[derive(Debug)]
pub struct FileLedger {
    dir: PathBuf,
    ledger: LedgerId,
    options: Options,
    writer: Writer<Pending, Vec<u8>>,
    file: Box<dyn SegmentFile>,
    path: PathBuf,
    segment_start: Anchor,
    /// Bytes of the current segment handed to the operating system.
    file_len: u64,
    /// Bytes of the current segment known durable.
    durable_len: u64,
    /// The head at `file_len`.
    written: Anchor,
    /// The head at `durable_len`: every entry before it is durable.
    durable: Anchor,
    since_sync: u32,
    last_sync: Instant,
    poisoned: bool,
    /// The background syncer (group commit only).
    syncer: Option<Syncer>,
    _lock: Lock,
}

impl FileLedger {
    /// Creates a new, empty ledger `ledger` in `dir` (created if missing)
    /// and opens it for writing. The first segment is durable when this returns.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`] if `dir` holds segments, [`Error::Locked`],
    /// [`Error::ReadOnly`], [`Error::Io`], [`Error::BadOptions`].
    pub fn create(
        dir: impl AsRef<Path>,
        ledger: LedgerId,
        options: Options,
    ) -> Result<Self, Error> {
        options.check()?;
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        let lock = Lock::acquire(dir)?;
        let (segments, temps) = segment::list(dir)?;
        if !segments.is_empty() {
            return Err(Error::AlreadyExists { dir: dir.to_path_buf() });
        }
        remove_temps(&temps)?;
        let start = Anchor::genesis(&ledger);
        let (file, path) = create_segment(dir, &SegmentHeader::new(ledger, start), &options)?;
        Self::assemble(dir, ledger, options, lock, file, path, start, start, HEADER_LEN as u64)
    }

    /// Opens the ledger in `dir` for writing: takes the lock, verifies every
    /// segment, and recovers the last one by `options`' [`Recovery`]. What
    /// it found and did is in the [`OpenReport`]; every entry in the
    /// reported head is durable.
    ///
    /// # Errors
    /// [`Error::Locked`] when another writer holds the ledger; for a
    /// directory that is not a ledger or a damaged one, the typed error
    /// saying what and where ([`Error::NoLedger`], [`Error::NotAFile`],
    /// [`Error::NotASegment`], [`Error::TruncatedHeader`],
    /// [`Error::UnsupportedHeaderVersion`], [`Error::NotGenesis`],
    /// [`Error::LedgerMismatch`], [`Error::SegmentGap`],
    /// [`Error::Corrupted`], [`Error::TornTail`], ...).
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<(Self, OpenReport), Error> {
        options.check()?;
        let dir = dir.as_ref();
        if !dir.exists() {
            return Err(Error::NoLedger { dir: dir.to_path_buf() });
        }
        let lock = Lock::acquire(dir)?;
        let (segments, temps) = segment::list(dir)?;
        remove_temps(&temps)?;
        let last_index = segments
            .len()
            .checked_sub(1)
            .ok_or_else(|| Error::NoLedger { dir: dir.to_path_buf() })?;
        let mut ledger_id = None;
        let mut start = None;
        let mut expected: Option<Anchor> = None;
        let mut entries = 0u64;
        let mut torn = None;
        let mut last = None;
        let mut last_time = None;
        for (i, (name_seq, path)) in segments.iter().enumerate() {
            let bytes = read_file(path)?;
            let header = check_header(&bytes, path, *name_seq, &mut ledger_id, expected)?;
            start.get_or_insert(header.start);
            let mut walk = Walk::continuing(header.start, last_time);
            let end = loop {
                match walk.step(&bytes) {
                    Step::Entry { .. } => entries += 1,
                    Step::End => break None,
                    Step::Failed(failure) => break Some(failure),
                }
            };
            if let Some(failure) = end {
                let is_last = i == last_index;
                let torn_tail = is_last && is_torn_tail(&bytes, &failure);
                let salvage = is_last && options.recovery == Recovery::DiscardFromFirstFailure;
                if !torn_tail && !salvage {
                    return Err(Error::Corrupted {
                        path: path.clone(),
                        failure: Box::new(failure),
                    });
                }
                let len = bytes.len() as u64 - failure.offset;
                if options.recovery == Recovery::Fail {
                    return Err(Error::TornTail {
                        path: path.clone(),
                        offset: failure.offset,
                        len,
                    });
                }
                let discarded_frames = if torn_tail {
                    0
                } else {
                    super::recovery::count_intact_after(&bytes, &failure)
                };
                let from = usize::try_from(failure.offset).unwrap_or(bytes.len());
                let cut_bytes = bytes.get(from..).unwrap_or_default();
                let evidence = save_cut(dir, path, failure.offset, cut_bytes)?;
                cut(path, failure.offset)?;
                torn = Some(TornTail {
                    path: path.clone(),
                    offset: failure.offset,
                    len,
                    seq: failure.seq,
                    discarded_frames,
                    damaged_frame: super::recovery::is_damaged_frame(&bytes, &failure)
                        || !torn_tail,
                    evidence,
                });
            }
            expected = Some(walk.anchor());
            last_time = walk.last_time();
            last = Some((path.clone(), header, walk.anchor(), walk.pos() as u64));
        }
        let (Some(ledger), Some(start), Some((path, header, head, len))) = (ledger_id, start, last)
        else {
            return Err(Error::NoLedger { dir: dir.to_path_buf() });
        };
        let file =
            OpenOptions::new().append(true).open(&path).map_err(|e| Error::io("open", &path, e))?;
        let file = wrap(options.wrapper.as_ref(), file, &path);
        let report = OpenReport {
            start,
            head,
            entries,
            segments: segments.len(),
            torn,
            removed_temp_files: temps.len(),
        };
        let me = Self::assemble(dir, ledger, options, lock, file, path, header.start, head, len)?;
        Ok((me, report))
    }

    #[expect(clippy::too_many_arguments, reason = "private constructor of all the fields")]
    fn assemble(
        dir: &Path,
        ledger: LedgerId,
        options: Options,
        lock: Lock,
        file: Box<dyn SegmentFile>,
        path: PathBuf,
        segment_start: Anchor,
        head: Anchor,
        len: u64,
    ) -> Result<Self, Error> {
        let syncer = match options.durability {
            Durability::GroupCommit { .. } if options.background_sync => {
                let handle = file.duplicate().map_err(|e| Error::io("open", &path, e))?;
                Some(Syncer::start(handle, len, head).map_err(|e| Error::io("thread", &path, e))?)
            }
            _ => None,
        };
        let buffer = Vec::with_capacity(options.buffer_size.saturating_add(MAX_FRAME_LEN));
        let last_sync = options.now();
        Ok(Self {
            dir: dir.to_path_buf(),
            ledger,
            writer: Writer::new(Pending(buffer), std::vec![0u8; MAX_FRAME_LEN], head),
            options,
            file,
            path,
            segment_start,
            file_len: len,
            durable_len: len,
            written: head,
            durable: head,
            since_sync: 0,
            last_sync,
            poisoned: false,
            syncer,
            _lock: lock,
        })
    }

    /// Appends `record` with `stamp` as the next entry.
    ///
    /// What the returned [`Appended`] acknowledges depends on the
    /// [`Durability`]: under `SyncEach` the entry is durable; under
    /// `GroupCommit` it is durable when this append completed a group
    /// (`durable` is true, and so is every earlier entry); otherwise it is
    /// appended (it will be in the ledger if this process keeps running)
    /// but not durable.
    ///
    /// # Errors
    /// [`Error::WriteFailed`] when writing or syncing failed: this entry and
    /// every entry not yet durable were discarded, the ledger continues from
    /// the durable head the error names. [`Error::Io`] or [`Error::ReadOnly`]
    /// when the next segment could not be created (every earlier entry is
    /// durable, this one was not appended). [`Error::Poisoned`] after a failure
    /// that could not be rolled back. [`Error::Encode`], [`Error::TooLarge`],
    /// [`Error::SequenceExhausted`] for an entry that cannot be written
    /// (nothing changed).
    pub fn append(&mut self, stamp: &Stamp, record: &Record) -> Result<Appended, Error> {
        self.append_with(|writer| writer.append(stamp, record))
    }

    /// Appends a frame written elsewhere exactly as it is (a device's
    /// forwarded entry, stored under the device's ledger id), after checking
    /// that it is one intact frame continuing this ledger's chain. Durability
    /// as for [`append`](Self::append).
    ///
    /// # Errors
    /// [`Error::NotNext`] when the frame is damaged or does not continue the
    /// chain (nothing changed); otherwise as [`append`](Self::append).
    pub fn append_frame(&mut self, frame: &[u8]) -> Result<Appended, Error> {
        self.append_with(|writer| writer.append_frame(frame))
    }

    fn append_with(
        &mut self,
        write: impl FnOnce(
            &mut Writer<Pending, Vec<u8>>,
        ) -> Result<Receipt, WriteError<core::convert::Infallible>>,
    ) -> Result<Appended, Error> {
        self.check_usable()?;
        let segment_len = self.file_len + self.pending_len();
        if segment_len >= self.options.segment_size
            && self.writer.head().next_seq > self.segment_start.next_seq
        {
            self.rotate()?;
        }
        let next = self.writer.head().next_seq;
        let receipt = write(&mut self.writer).map_err(|e| match e {
            WriteError::Encode(e) => Error::Encode(e),
            WriteError::TooLarge { len } => Error::TooLarge { len },
            WriteError::NotNext(kind) => Error::NotNext { seq: next, kind },
            // `Pending` cannot fail; the remaining case is exhaustion.
            _ => Error::SequenceExhausted,
        })?;
        self.since_sync = self.since_sync.saturating_add(1);
        match self.options.durability {
            Durability::SyncEach => {
                self.sync_now()?;
            }
            Durability::GroupCommit { entries, .. } => {
                if self.since_sync >= entries || self.interval_elapsed(self.options.now()) {
                    if self.syncer.is_some() {
                        self.sync_in_background(entries)?;
                    } else {
                        self.sync_now()?;
                    }
                } else if self.pending_len() >= self.options.buffer_size as u64 {
                    self.write_out()?;
                }
            }
            Durability::Buffered => {
                if self.pending_len() >= self.options.buffer_size as u64 {
                    self.write_out()?;
                }
            }
        }
        self.refresh()?;
        let durable_head = self.durable;
        Ok(Appended { receipt, durable: receipt.seq < durable_head.next_seq, durable_head })
    }

    /// Writes and syncs everything appended. Returns the durable head:
    /// every entry before `next_seq` is durable.
    ///
    /// # Errors
    /// [`Error::WriteFailed`] (entries not yet durable discarded, as for
    /// [`Self::append`]) or [`Error::Poisoned`].
    pub fn sync(&mut self) -> Result<Anchor, Error> {
        self.check_usable()?;
        self.sync_now()
    }

    /// Syncs if a group commit's time limit has passed between the last
    /// sync and `now` and something is waiting; for a caller's timer, which
    /// passes the time it fired (`Instant::now()`, or the time on the clock
    /// given to [`Options::clock`](super::Options::clock)). Returns the durable head.
    ///
    /// # Errors
    /// As [`Self::sync`].
    pub fn sync_if_due(&mut self, now: Instant) -> Result<Anchor, Error> {
        self.check_usable()?;
        self.refresh()?;
        if self.since_sync > 0 && self.interval_elapsed(now) {
            self.sync_now()?;
        }
        Ok(self.durable)
    }

    /// Hands everything appended to the operating system without syncing:
    /// readers see it and it survives this process being killed, not a
    /// power cut. Returns the head written so far.
    ///
    /// # Errors
    /// As [`Self::sync`].
    pub fn flush(&mut self) -> Result<Anchor, Error> {
        self.check_usable()?;
        self.write_out()?;
        Ok(self.written)
    }

    /// Syncs and releases the ledger. Returns the durable head.
    ///
    /// # Errors
    /// As [`Self::sync`].
    pub fn close(mut self) -> Result<Anchor, Error> {
        self.sync()
    }

    /// The head after every entry appended (durable or not).
    #[must_use]
    pub const fn head(&self) -> Anchor {
        self.writer.head()
    }

    /// The durable head: every entry before `next_seq` is durable.
    #[must_use]
    pub fn durable_head(&self) -> Anchor {
        match &self.syncer {
            Some(s) => s.state().durable,
            None => self.durable,
        }
    }

    /// The ledger's id.
    #[must_use]
    pub const fn ledger_id(&self) -> LedgerId {
        self.ledger
    }

    /// The ledger directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The segment file being appended to.
    #[must_use]
    pub fn current_segment(&self) -> &Path {
        &self.path
    }

    const fn check_usable(&self) -> Result<(), Error> {
        if self.poisoned {
            return Err(Error::Poisoned { durable: self.durable });
        }
        Ok(())
    }

    fn pending_len(&self) -> u64 {
        self.writer.storage().0.len() as u64
    }

    fn interval_elapsed(&self, now: Instant) -> bool {
        self.options
            .group_interval()
            .is_some_and(|t| now.saturating_duration_since(self.last_sync) >= t)
    }

    /// Hands the pending frames to the operating system.
    fn write_out(&mut self) -> Result<(), Error> {
        let pending = &mut self.writer.storage_mut().0;
        if pending.is_empty() {
            return Ok(());
        }
        let len = pending.len() as u64;
        if let Err(e) = self.file.append(pending) {
            return Err(self.fail(e));
        }
        self.writer.storage_mut().0.clear();
        self.file_len += len;
        self.written = self.writer.head();
        Ok(())
    }

    fn sync_now(&mut self) -> Result<Anchor, Error> {
        self.write_out()?;
        if let Some(syncer) = &self.syncer {
            let target = self.file_len;
            syncer.request(target, self.written);
            drop(syncer.wait_until(|s| s.durable_len >= target));
            self.refresh()?;
        } else if self.durable_len != self.file_len {
            if let Err(e) = self.file.sync() {
                return Err(self.fail(e));
            }
            self.durable_len = self.file_len;
            self.durable = self.written;
        }
        self.since_sync = 0;
        self.last_sync = self.options.now();
        Ok(self.durable)
    }

    /// Writes the group out and asks the syncer to sync it; waits only
    /// when more than [`MAX_GROUPS_WAITING`] groups are waiting for a sync.
    fn sync_in_background(&mut self, entries: u32) -> Result<(), Error> {
        self.write_out()?;
        let Some(syncer) = &self.syncer else { return Ok(()) };
        syncer.request(self.file_len, self.written);
        self.since_sync = 0;
        self.last_sync = self.options.now();
        let backlog = u64::from(entries).saturating_mul(MAX_GROUPS_WAITING);
        let head = self.written.next_seq;
        if head.saturating_sub(self.durable.next_seq) > backlog {
            drop(syncer.wait_until(|s| s.durable.next_seq.saturating_add(backlog) >= head));
        }
        self.refresh()
    }

    /// Takes in what the syncer has made durable, or rolls back after a
    /// sync it ran failed.
    fn refresh(&mut self) -> Result<(), Error> {
        let Some(syncer) = &self.syncer else { return Ok(()) };
        let mut state = syncer.state();
        let error = state.error.take();
        self.durable = state.durable;
        self.durable_len = state.durable_len;
        drop(state);
        match error {
            Some(e) => Err(self.fail(e)),
            None => Ok(()),
        }
    }

    /// Rolls back to the durable head after `source` failed a write or sync.
    fn fail(&mut self, source: io::Error) -> Error {
        if let Some(syncer) = &self.syncer {
            // Let a running sync finish: it may have made more durable.
            let mut state = syncer.quiesce();
            if state.error.take().is_none() {
                self.durable = state.durable;
                self.durable_len = state.durable_len;
            }
        }
        let placeholder = Writer::new(Pending::default(), Vec::new(), self.durable);
        let (mut pending, buffer) = core::mem::replace(&mut self.writer, placeholder).into_parts();
        pending.0.clear();
        self.writer = Writer::new(pending, buffer, self.durable);
        // After a failed write or fsync the bytes past the durable length
        // are unknown (a failed fsync may even have dropped dirty pages), so
        // they are cut off and written again from memory, never trusted.
        // Syncing the cut is best effort: until the next sync succeeds a
        // crash may bring back some of the discarded entries, which were
        // never acknowledged durable and are intact entries of this chain.
        if self.file.truncate(self.durable_len).is_err() {
            self.poisoned = true;
        } else {
            let _ = self.file.sync();
        }
        self.file_len = self.durable_len;
        self.written = self.durable;
        self.since_sync = 0;
        if let Some(syncer) = &self.syncer {
            syncer.quiesce().reset(self.durable_len, self.durable);
        }
        Error::WriteFailed { path: self.path.clone(), source, durable: self.durable }
    }

    /// Makes the current segment durable and starts the next one.
    fn rotate(&mut self) -> Result<(), Error> {
        self.sync_now()?;
        let start = self.writer.head();
        let header = SegmentHeader::new(self.ledger, start);
        let (file, path) = create_segment(&self.dir, &header, &self.options)?;
        if let Some(syncer) = &self.syncer {
            let handle = file.duplicate().map_err(|e| Error::io("open", &path, e))?;
            syncer.replace(handle, HEADER_LEN as u64, start);
        }
        self.file = file;
        self.path = path;
        self.segment_start = start;
        self.file_len = HEADER_LEN as u64;
        self.durable_len = HEADER_LEN as u64;
        Ok(())
    }
}

impl Drop for FileLedger {
    fn drop(&mut self) {
        if !self.poisoned {
            // Best effort; `close` reports failures.
            let _ = self.sync_now();
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| Error::io("read", path, e))?;
    Ok(bytes)
}

/// Checks a segment's header against its name, the ledger's id and where
/// the previous segment ended.
pub(super) fn check_header(
    bytes: &[u8],
    path: &Path,
    name_seq: u64,
    ledger: &mut Option<LedgerId>,
    expected: Option<Anchor>,
) -> Result<SegmentHeader, Error> {
    let header = SegmentHeader::decode(bytes, path)?;
    if expected.is_none()
        && header.start.next_seq == 0
        && header.start != Anchor::genesis(&header.ledger)
    {
        // Entry 0 links to genesis(ledger id): a first segment whose header
        // says otherwise has had its ledger id or its start changed.
        return Err(Error::NotGenesis { path: path.to_path_buf(), ledger: header.ledger });
    }
    let id = *ledger.get_or_insert(header.ledger);
    if header.ledger != id {
        return Err(Error::LedgerMismatch {
            path: path.to_path_buf(),
            expected: id,
            found: header.ledger,
        });
    }
    if header.start.next_seq != name_seq {
        return Err(Error::MisnamedSegment {
            path: path.to_path_buf(),
            first_seq: header.start.next_seq,
        });
    }
    if let Some(expected) = expected
        && expected != header.start
    {
        return Err(Error::SegmentGap { path: path.to_path_buf(), expected, found: header.start });
    }
    Ok(header)
}

/// Keeps the bytes recovery is about to cut from `segment` at `offset` in a
/// new file beside it, `<segment file name>.cut-<offset>` (`.1`, `.2`, ...
/// added when that name is taken by other bytes: an evidence file is never
/// overwritten), synced with its directory before the cut. `None` when
/// there are no bytes to keep.
fn save_cut(
    dir: &Path,
    segment: &Path,
    offset: u64,
    bytes: &[u8],
) -> Result<Option<PathBuf>, Error> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let name = segment.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for n in 0u32.. {
        let suffix = if n == 0 { String::new() } else { std::format!(".{n}") };
        let evidence = dir.join(std::format!("{name}{CUT_INFIX}{offset}{suffix}"));
        match OpenOptions::new().write(true).create_new(true).open(&evidence) {
            Ok(mut file) => {
                file.write_all(bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Error::io("write", &evidence, e))?;
                sync_dir(dir).map_err(|e| Error::io("sync", dir, e))?;
                return Ok(Some(evidence));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // The same bytes kept by an earlier open that was interrupted
                // before its cut: nothing new to keep.
                if fs::read(&evidence).is_ok_and(|kept| kept == bytes) {
                    return Ok(Some(evidence));
                }
            }
            Err(e) => return Err(Error::io("create", &evidence, e)),
        }
    }
    Ok(None)
}

fn cut(path: &Path, len: u64) -> Result<(), Error> {
    let file = OpenOptions::new().write(true).open(path).map_err(|e| Error::io("open", path, e))?;
    file.set_len(len).and_then(|()| file.sync_all()).map_err(|e| Error::io("truncate", path, e))
}

fn remove_temps(temps: &[PathBuf]) -> Result<(), Error> {
    temps.iter().try_for_each(|p| fs::remove_file(p).map_err(|e| Error::io("remove", p, e)))
}

/// Creates a segment durably: header written and synced under a temporary
/// name, renamed, directory synced. Returns it opened for appending.
fn create_segment(
    dir: &Path,
    header: &SegmentHeader,
    options: &Options,
) -> Result<(Box<dyn SegmentFile>, PathBuf), Error> {
    let name = segment::file_name(header.start.next_seq);
    let path = dir.join(&name);
    let temp = dir.join(std::format!("{:020}{TEMP_SUFFIX}", header.start.next_seq));
    match fs::remove_file(&temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(Error::io("remove", &temp, e)),
        _ => {}
    }
    let file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&temp)
        .map_err(|e| Error::io("create", &temp, e))?;
    let mut file = wrap(options.wrapper.as_ref(), file, &temp);
    file.append(&header.encode())
        .and_then(|()| file.sync())
        .map_err(|e| Error::io("write", &temp, e))?;
    fs::rename(&temp, &path).map_err(|e| Error::io("rename", &temp, e))?;
    sync_dir(dir).map_err(|e| Error::io("sync", dir, e))?;
    Ok((file, path))
}
