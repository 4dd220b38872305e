//! The persistent index cache: an [`Index`] saved in a file beside the
//! ledger, so that a query on an unchanged (or grown) ledger loads the index
//! instead of re-reading and re-indexing every entry.
//!
//! It is a cache and nothing more. Deleting it changes no answer. It is used
//! only when it is whole (format version and checksum match) and still
//! describes a prefix of every ledger it covers: same ledger ids in the same
//! order, the same segment files (names, first entries; sealed ones the same
//! length), and the ledger's entry at the cached head still hashes, from its
//! stored bytes, to the cached head hash. The entries appended since are
//! then read, verified and added as usual. Anything else is rebuilt from the
//! ledgers, and [`Opened::cache`] says why. A used cache means the cached
//! prefix of the chain was not verified again by this query: that is
//! `lotledger verify`'s job (docs/INDEX.md).
//!
//! What the checksum does not do: it is a CRC-32C, so it detects damage, not
//! forgery. Whoever can write files in a ledger directory can write a cache
//! that passes every check and gives other answers. The ledger itself stays
//! tamper-evident (`verify`); [`CacheMode::Refresh`] (`--no-cache`) builds
//! from the ledgers alone and replaces the cache.
//!
//! # File layout
//!
//! All numbers little-endian; a length is a `u64` count of items.
//!
//! ```text
//! +----------+-------------+-----------+----------------+-------------+
//! | magic 8  | version u32 | parts u32 | length u64 of  | CRC-32C u32 |
//! | LOTLIDX\n|             | (3)       | each part      | of the above|
//! +----------+-------------+-----------+----------------+-------------+
//! then each part: its bytes, then the CRC-32C u32 of them
//! ```
//!
//! Part 0 is the index without the fields listed `apart` in its
//! `persist_struct!`; the other parts are those fields, one each (the
//! largest two), so that [`open`] reads the parts on threads of their own.
//!
//! Each component writes its fields in declaration order: a list of numbers
//! is its length then one column of fixed-width values (read and written a
//! megabyte at a time), a list of rows is its length then each row's fields
//! in order, text is its byte length then UTF-8, a model value (a lot, a
//! party, a unit...) is one length byte then its postcard encoding, an
//! interner is the list of its values in number order (its hash maps are
//! rebuilt on load), and a map is its length then (key, value) pairs in key
//! order. Adding a field to [`Index`] is one line in its `persist_struct!`
//! below; forgetting it does not compile. Any change to what is written
//! must raise [`FORMAT_VERSION`].

use core::fmt;
use core::hash::BuildHasher;
use std::boxed::Box;
use std::collections::HashMap;
use std::format;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;
use crate::chain::{Anchor, Chain};
use crate::file::{self, LedgerReader, segment};
use crate::model::{
    ComplaintType, ContainerId, Digest, Disposition, InspectionResult, InspectionStage,
    LocationDescribed, PartyDescribed, ProductDescribed, RecallClass, Remedy, RootCause, Severity,
    Timestamp,
};

/// The version of the cache file layout. A cache of another version is
/// rebuilt, never read.
pub const FORMAT_VERSION: u32 = 3;

/// The file a one-ledger cache is kept in, inside the ledger directory.
pub const FILE_NAME: &str = "index.cache";

const MAGIC: [u8; 8] = *b"LOTLIDX\n";
/// Bytes moved between the file and the buffer at a time.
const CHUNK: usize = 1 << 20;

/// Whether [`open`] uses and writes the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheMode {
    /// Use a valid cache, catch it up, rebuild and rewrite it when it is not.
    Use,
    /// Ignore any cache: build from the ledgers, verifying every entry,
    /// then write a fresh cache (`--no-cache`).
    Refresh,
    /// Neither read nor write a cache.
    Off,
}

/// How [`open`] got its index.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// From the cache: `cached` entries as the cache held them (not
    /// verified again), then `caught_up` entries appended since, verified.
    Cache {
        /// Entries loaded from the cache.
        cached: u64,
        /// Entries read from the ledgers after them.
        caught_up: u64,
    },
    /// Built from the ledgers, every entry verified, because of `why`.
    Built {
        /// Why the cache was not used.
        why: Rebuild,
    },
}

/// Why a cache was not used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rebuild {
    /// There is none yet.
    Missing,
    /// Asked not to use it ([`CacheMode::Refresh`] or [`CacheMode::Off`]).
    NotWanted,
    /// It was written by another format version.
    Version {
        /// The version found.
        found: u32,
    },
    /// It is damaged: cut short, bad checksum, or not a cache file.
    Corrupt(String),
    /// It is whole but no longer describes the ledgers.
    Stale(String),
    /// It could not be read.
    Unreadable(String),
}

impl fmt::Display for Rebuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no cache yet"),
            Self::NotWanted => f.write_str("cache not used (--no-cache)"),
            Self::Version { found } => {
                write!(f, "version: cache format {found}, this reader writes {FORMAT_VERSION}")
            }
            Self::Corrupt(why) => write!(f, "corrupt: {why}"),
            Self::Stale(why) => write!(f, "stale: {why}"),
            Self::Unreadable(why) => write!(f, "unreadable: {why}"),
        }
    }
}

/// What became of the cache file after opening.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Written {
    /// It was current enough and left as it was (or the mode writes none).
    Kept,
    /// It was (re)written.
    Written,
    /// Writing it failed; the answer is unaffected.
    Failed(String),
}

/// What [`open`] did with the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheReport {
    /// The cache file.
    pub path: PathBuf,
    /// Where the index came from.
    pub source: Source,
    /// What became of the file.
    pub written: Written,
}

impl fmt::Display for CacheReport {
    /// One line for standard error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.source {
            Source::Cache { cached, caught_up } => write!(
                f,
                "index: {cached} entries from the cache {path}, their chain not re-verified (lotledger verify checks it; --no-cache rebuilds), {caught_up} entries appended since verified"
            )?,
            Source::Built { why } => {
                write!(f, "index: {why}: built from the ledgers, every entry verified")?;
            }
        }
        match &self.written {
            Written::Kept => Ok(()),
            Written::Written => write!(f, "; cache written to {path}"),
            Written::Failed(e) => write!(f, "; cache not written: {e}"),
        }
    }
}

/// An index over ledger directories, and what was done with its cache.
#[derive(Debug)]
pub struct Opened {
    /// The index.
    pub index: Index,
    /// What was done with the cache; `None` with [`CacheMode::Off`].
    pub cache: Option<CacheReport>,
    /// For each ledger, in the order given: the bytes at the end of its
    /// last segment that are not a complete entry (an interrupted append),
    /// left out of the index, when there are any.
    pub tails: Vec<Option<file::Tail>>,
}

/// Why the ledgers could not be indexed (the cache never causes one).
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// A ledger directory could not be opened or listed.
    Storage(file::Error),
    /// A segment file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// A segment's entries do not verify or do not continue the ledger.
    Ingest {
        /// The segment file.
        path: PathBuf,
        /// What failed.
        error: Box<IngestError>,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Storage(e) => write!(f, "{e}"),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Ingest { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl core::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Storage(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            Self::Ingest { error, .. } => Some(&**error),
        }
    }
}

/// The cache file for `ids` (the ledgers in the order given) kept in
/// `first_dir`, the first ledger's directory: [`FILE_NAME`] for one ledger,
/// `index-HHHHHHHHHHHHHHHH.cache` for several (16 hex digits of the SHA-256
/// of their ids in order: the order numbers the entries).
#[must_use]
pub fn path_for(first_dir: &Path, ids: &[LedgerId]) -> PathBuf {
    if ids.len() <= 1 {
        return first_dir.join(FILE_NAME);
    }
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for id in ids {
        h.update(id.0);
    }
    let sum = h.finalize();
    let hex: String = sum.iter().take(8).map(|b| format!("{b:02x}")).collect();
    first_dir.join(format!("index-{hex}.cache"))
}

/// Indexes the ledgers in `dirs` (in that order), through the cache as
/// `mode` says. See the [module documentation](self).
///
/// # Errors
/// [`OpenError`] when a ledger cannot be read or does not verify: the same
/// error with or without a cache.
pub fn open(dirs: &[impl AsRef<Path>], mode: CacheMode) -> Result<Opened, OpenError> {
    open_with_progress(dirs, mode, &mut |_, _| {})
}

/// [`open`], calling `progress(done, total)` as segment files are read
/// and indexed (a build, or a cache's catch-up): the bytes of segment files
/// read so far and in all, about every 4 MB and at the end of each segment.
/// Loading a valid cache file is not counted.
///
/// # Errors
/// As [`open`].
pub fn open_with_progress(
    dirs: &[impl AsRef<Path>],
    mode: CacheMode,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Opened, OpenError> {
    let mut ids = Vec::with_capacity(dirs.len());
    for dir in dirs {
        ids.push(LedgerReader::open(dir).map_err(OpenError::Storage)?.ledger_id());
    }
    let Some(first) = dirs.first() else {
        return Ok(Opened { index: Index::new(), cache: None, tails: Vec::new() });
    };
    let path = path_for(first.as_ref(), &ids);
    let why = match mode {
        CacheMode::Off => {
            let (index, tails) = build(dirs, &ids, progress)?;
            return Ok(Opened { index, cache: None, tails });
        }
        CacheMode::Refresh => Rebuild::NotWanted,
        CacheMode::Use => match load(&path, dirs, &ids) {
            Ok(mut index) => {
                let cached = index.entries();
                let (caught_up, tails) = catch_up(&mut index, dirs, &ids, progress)?;
                // Rewritten once the part read past it is a sixteenth of
                // what it held: catching up stays short, rewriting rare.
                let written = if caught_up > 0 && caught_up.saturating_mul(16) >= cached {
                    write_file(&index, &path)
                } else {
                    Written::Kept
                };
                let source = Source::Cache { cached, caught_up };
                let cache = Some(CacheReport { path, source, written });
                return Ok(Opened { index, cache, tails });
            }
            Err(why) => why,
        },
    };
    let (index, tails) = build(dirs, &ids, progress)?;
    let written = write_file(&index, &path);
    let cache = Some(CacheReport { path, source: Source::Built { why }, written });
    Ok(Opened { index, cache, tails })
}

/// Builds from the ledgers alone, every entry verified, through the one
/// reader path every command uses ([`LedgerReader::segments`]: headers
/// checked, an incomplete tail left out). A ledger whose older segments were
/// archived is indexed from its first segment present.
fn build(
    dirs: &[impl AsRef<Path>],
    ids: &[LedgerId],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(Index, Vec<Option<file::Tail>>), OpenError> {
    let mut index = Index::new();
    let mut tails = Vec::with_capacity(dirs.len());
    let mut meter = Meter::new(dirs.iter().map(|d| (d.as_ref(), 0)), progress);
    for (dir, id) in dirs.iter().zip(ids) {
        let reader = LedgerReader::open(dir).map_err(OpenError::Storage)?;
        let mut tail = None;
        for (i, seg) in reader.segments().map_err(OpenError::Storage)?.enumerate() {
            let seg = seg.map_err(OpenError::Storage)?;
            if i == 0 && seg.header.start.next_seq > 0 {
                index.add_ledger(id, seg.header.start).map_err(|e| OpenError::Ingest {
                    path: seg.path.clone(),
                    error: Box::new(e),
                })?;
            }
            ingest_frames(&mut index, id, &seg, 0, &mut meter)?;
            tail.clone_from(&seg.tail);
        }
        tails.push(tail);
    }
    index.shrink_to_fit();
    Ok((index, tails))
}

/// Bytes of frames given to the index at a time, so that progress moves
/// within a segment.
const PROGRESS_CHUNK: usize = 4 << 20;

/// Counts the bytes of segment files read, against the total of the files
/// to read, for [`open_with_progress`].
struct Meter<'p> {
    done: u64,
    total: u64,
    progress: &'p mut dyn FnMut(u64, u64),
}

impl<'p> Meter<'p> {
    /// A meter over the segment files of each `(dir, first)` from the one
    /// holding entry `first` on (as [`LedgerReader::segments_from`] reads
    /// them); files it cannot list or measure count as 0.
    fn new<'d>(
        dirs: impl Iterator<Item = (&'d Path, u64)>,
        progress: &'p mut dyn FnMut(u64, u64),
    ) -> Self {
        let mut total = 0;
        for (dir, first) in dirs {
            let Ok((files, _)) = segment::list(dir) else { continue };
            let skip = files.iter().rposition(|(f, _)| *f <= first).unwrap_or(0);
            for (_, path) in files.get(skip..).unwrap_or_default() {
                total += fs::metadata(path).map_or(0, |m| m.len());
            }
        }
        progress(0, total);
        Self { done: 0, total, progress }
    }

    fn add(&mut self, bytes: u64) {
        self.done += bytes;
        (self.progress)(self.done, self.total.max(self.done));
    }
}

/// Where to cut `frames` at a frame boundary after about
/// [`PROGRESS_CHUNK`] bytes: the length of the frames up to there, or all
/// of it (a frame whose length does not read is left to the index to
/// report).
fn chunk_end(frames: &[u8]) -> usize {
    let mut at = 0;
    while at < PROGRESS_CHUNK {
        let Some((len, prefix)) = frames.get(at..).and_then(|b| crate::varint::decode(b).ok())
        else {
            return frames.len();
        };
        let next = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(prefix)?.checked_add(l)?.checked_add(4));
        match next {
            Some(n) if n < frames.len() => at = n,
            _ => return frames.len(),
        }
    }
    at
}

/// Adds the frames of segment `seg` from byte `skip` of its frames, a
/// chunk at a time (the index continues the segment), counting the bytes
/// read on `meter`.
fn ingest_frames(
    index: &mut Index,
    id: &LedgerId,
    seg: &file::SegmentBytes,
    skip: u64,
    meter: &mut Meter<'_>,
) -> Result<u64, OpenError> {
    let label = seg.path.file_name().and_then(|n| n.to_str()).unwrap_or("segment");
    let from = usize::try_from(skip).unwrap_or(usize::MAX);
    let mut bytes = seg.frames().get(from..).unwrap_or_default();
    meter.add((seg.frames().len() - bytes.len() + segment::HEADER_LEN) as u64);
    let mut added = 0;
    loop {
        let (chunk, rest) = bytes.split_at(chunk_end(bytes));
        added += index
            .ingest_segment(id, label, chunk)
            .map_err(|e| OpenError::Ingest { path: seg.path.clone(), error: Box::new(e) })?;
        meter.add(chunk.len() as u64);
        bytes = rest;
        if bytes.is_empty() {
            break;
        }
    }
    meter.add(seg.tail.as_ref().map_or(0, |t| t.len));
    Ok(added)
}

/// Adds what was appended to each ledger after the part the loaded cache
/// covers (already checked by [`check_prefix`]): the rest of its last
/// segment, then any newer segment files. A ledger whose last covered
/// segment is still its last segment file and exactly the length covered
/// has nothing more: no segment file is read for it. Returns the entries
/// added and each ledger's incomplete tail.
fn catch_up(
    index: &mut Index,
    dirs: &[impl AsRef<Path>],
    ids: &[LedgerId],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(u64, Vec<Option<file::Tail>>), OpenError> {
    // Where each ledger's cached part ends, and whether it grew since: an
    // unchanged ledger is not read again, nor counted in the progress.
    let known: Vec<(u64, Option<u64>, bool)> = dirs
        .iter()
        .enumerate()
        .map(|(n, dir)| {
            let last = index.ledgers.get(n).and_then(|l| l.segments.last());
            let (first, bytes) = last.map_or((0, None), |s| (s.first_seq, Some(s.bytes)));
            let unchanged = bytes.is_some_and(|b| unchanged_since(dir.as_ref(), first, b));
            (first, bytes, unchanged)
        })
        .collect();
    let to_read = dirs.iter().zip(&known).filter(|(_, k)| !k.2).map(|(d, k)| (d.as_ref(), k.0));
    let mut meter = Meter::new(to_read, progress);
    let mut added = 0;
    let mut tails = Vec::with_capacity(dirs.len());
    for ((dir, id), &(first_known, last_bytes, unchanged)) in dirs.iter().zip(ids).zip(&known) {
        if unchanged {
            tails.push(None);
            continue;
        }
        let reader = LedgerReader::open(dir).map_err(OpenError::Storage)?;
        let mut tail = None;
        for seg in reader.segments_from(first_known).map_err(OpenError::Storage)? {
            let seg = seg.map_err(OpenError::Storage)?;
            let skip = match last_bytes {
                Some(bytes) if seg.header.start.next_seq == first_known => bytes,
                _ => 0,
            };
            added += ingest_frames(index, id, &seg, skip, &mut meter)?;
            tail.clone_from(&seg.tail);
        }
        tails.push(tail);
    }
    if added > 0 {
        index.shrink_to_fit();
    }
    Ok((added, tails))
}

/// Whether the ledger in `dir` still ends with the segment file numbered
/// `first_seq`, holding exactly `bytes` bytes of frames after its header:
/// then nothing was appended since the cache covered it, and there is no
/// incomplete tail either (its bytes would make the file longer).
fn unchanged_since(dir: &Path, first_seq: u64, bytes: u64) -> bool {
    let Ok((files, _)) = segment::list(dir) else { return false };
    let Some((last_seq, path)) = files.last() else { return false };
    *last_seq == first_seq
        && fs::metadata(path).is_ok_and(|m| m.len() == segment::HEADER_LEN as u64 + bytes)
}

/// Reads the cache at `path` and checks that it describes a prefix of the
/// ledgers in `dirs`.
fn load(path: &Path, dirs: &[impl AsRef<Path>], ids: &[LedgerId]) -> Result<Index, Rebuild> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Rebuild::Missing),
        Err(e) => return Err(Rebuild::Unreadable(e.to_string())),
    };
    let len = file.metadata().map_err(|e| Rebuild::Unreadable(e.to_string()))?.len();
    let index = read_file(&file, len)?;
    if index.ledgers.len() != ids.len() || index.ledgers.iter().zip(ids).any(|(l, id)| l.id != *id)
    {
        return Err(Rebuild::Stale("the cache is of other ledgers".into()));
    }
    for (n, dir) in dirs.iter().enumerate() {
        if let Some(state) = index.ledgers.get(n) {
            check_prefix(&index, n, state, dir.as_ref()).map_err(Rebuild::Stale)?;
        }
    }
    Ok(index)
}

/// Whether ledger number `n` of the cached `index` is still a prefix of
/// the ledger in `dir`; the reason when it is not.
fn check_prefix(index: &Index, n: usize, state: &LedgerState, dir: &Path) -> Result<(), String> {
    let changed = |what: &str| format!("ledger {}: {what} since the cache was written", state.id);
    let (files, _) = segment::list(dir).map_err(|e| e.to_string())?;
    if files.len() < state.segments.len() {
        return Err(changed("segment files were removed"));
    }
    let header = segment::HEADER_LEN as u64;
    for (i, (seg, (first, path))) in state.segments.iter().zip(&files).enumerate() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name != seg.label || *first != seg.first_seq {
            return Err(changed("the segment files changed"));
        }
        let len = fs::metadata(path).map_err(|e| e.to_string())?.len();
        // Every covered segment's header must still be a good one of this
        // ledger, as the one reader path would check it.
        let mut head = [0u8; segment::HEADER_LEN];
        File::open(path).and_then(|mut f| f.read_exact(&mut head)).map_err(|e| e.to_string())?;
        let decoded = segment::SegmentHeader::decode(&head, path).map_err(|e| e.to_string())?;
        if decoded.ledger != state.id || decoded.start.next_seq != seg.first_seq {
            return Err(changed(&format!("the header of segment {name} changed")));
        }
        let last = i + 1 == state.segments.len();
        if len < header + seg.bytes || (!last && len != header + seg.bytes) {
            return Err(changed(&format!("segment {name} changed length")));
        }
    }
    if state.entries == 0 {
        return Ok(());
    }
    // The head entry, read from its segment, must still hash to the head.
    let seq = state.head.next_seq - 1;
    let entry = u16::try_from(n).ok().and_then(|n| index.entry_of(n, seq));
    let offset = entry.and_then(|e| index.entries.offset.get(e as usize).copied());
    let found = offset.and_then(|o| {
        let i = state.segments.iter().rposition(|s| s.offset <= o && o < s.offset + s.bytes)?;
        Some((i, o))
    });
    let Some((i, offset)) = found else {
        return Err(format!("ledger {}: the cache does not place its head entry", state.id));
    };
    let (Some(seg), Some((_, path))) = (state.segments.get(i), files.get(i)) else {
        return Err(changed("the segment files changed"));
    };
    let mut frame = std::vec![0u8; crate::frame::MAX_FRAME_LEN];
    let read = (|| {
        let mut f = File::open(path)?;
        f.seek(SeekFrom::Start(header + offset - seg.offset))?;
        let mut got = 0;
        while got < frame.len() {
            match f.read(frame.get_mut(got..).unwrap_or_default())? {
                0 => break,
                k => got += k,
            }
        }
        Ok::<usize, io::Error>(got)
    })()
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let body = crate::frame::parse(frame.get(..read).unwrap_or_default()).map(|f| f.body);
    let mut chain = Chain::new(Anchor { next_seq: seq, head: state.prev_head });
    match body.ok().map(|b| chain.step(b)) {
        Some(Ok(step)) if step.hash == state.head.head => Ok(()),
        _ => Err(changed(&format!("entry {seq} (the cached head) changed"))),
    }
}

/// Writes `index` to `path` through a temporary file beside it, synced and
/// renamed over it, so that readers see the old file or the new one whole.
fn write_file(index: &Index, path: &Path) -> Written {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(FILE_NAME);
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = File::create(&temp)?;
        write_to(index, &mut f)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()
    })();
    match result {
        Ok(()) => Written::Written,
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Written::Failed(format!("{}: {e}", path.display()))
        }
    }
}

/// How many parts the file holds: the index without the fields listed
/// `apart` in its `persist_struct!`, then each of those fields.
const PARTS: usize = PARTS_U32 as usize;
const PARTS_U32: u32 = 3;
/// The header's bytes before its checksum: magic, version, the number of
/// parts and the length of each.
const HEADER_BYTES: u64 = 8 + 4 + 4 + 8 * PARTS as u64;

/// Writes part `k` of `index` (see [`PARTS`]).
fn put_part(index: &Index, k: usize, w: &mut Output<'_>) {
    match k {
        0 => index.put(w),
        1 => index.entries.put(w),
        _ => index.lot_nodes.put(w),
    }
}

/// A part read on its own: the index without its apart fields, or one of them.
enum Part {
    Main(Box<Index>),
    Entries(Entries),
    LotNodes(Vec<LotNode>),
}

/// Reads part `k` (see [`PARTS`]), `len` bytes and its checksum, from `input`.
fn take_part(input: &mut dyn Read, k: usize, len: u64) -> Result<Part, Bad> {
    let mut r = Input::new(input, len);
    let part = match k {
        0 => Part::Main(Box::new(Index::take(&mut r)?)),
        1 => Part::Entries(Entries::take(&mut r)?),
        _ => Part::LotNodes(Vec::take(&mut r)?),
    };
    r.finish()?;
    Ok(part)
}

/// Writes `index` in the cache layout to `out`.
///
/// # Errors
/// The first error writing, or [`io::ErrorKind::InvalidData`] for a value
/// too large for the layout (none the index holds is).
pub fn write_to(index: &Index, out: &mut dyn Write) -> io::Result<()> {
    // The header gives each part's length, so each part is first encoded
    // without being kept, only counted.
    let mut lens = [0u64; PARTS];
    for (k, len) in lens.iter_mut().enumerate() {
        let mut sink = io::sink();
        let mut count = Output::new(&mut sink);
        put_part(index, k, &mut count);
        *len = count.finish()?;
    }
    let mut header = Output::new(out);
    header.bytes(&MAGIC);
    FORMAT_VERSION.put(&mut header);
    PARTS_U32.put(&mut header);
    for len in lens {
        len.put(&mut header);
    }
    header.finish()?;
    for k in 0..PARTS {
        let mut part = Output::new(out);
        put_part(index, k, &mut part);
        part.finish()?;
    }
    Ok(())
}

/// Reads the header from `input` and checks it against the file length
/// `len`: the length of each part.
fn take_header(input: &mut dyn Read, len: u64) -> Result<[u64; PARTS], Rebuild> {
    let mut r = Input::new(input, HEADER_BYTES);
    let magic: [u8; 8] = r.array().map_err(Bad::into_rebuild)?;
    if magic != MAGIC {
        return Err(Rebuild::Corrupt("not an index cache file".into()));
    }
    let version = u32::take(&mut r).map_err(Bad::into_rebuild)?;
    if version != FORMAT_VERSION {
        return Err(Rebuild::Version { found: version });
    }
    let lens = (|| {
        if u32::take(&mut r)? != PARTS_U32 {
            return Err(Bad::Corrupt("number of parts"));
        }
        let mut lens = [0u64; PARTS];
        for l in &mut lens {
            *l = u64::take(&mut r)?;
        }
        r.finish()?;
        Ok(lens)
    })()
    .map_err(Bad::into_rebuild)?;
    let whole = lens.iter().try_fold(HEADER_BYTES + 4, |sum, l| sum.checked_add(l.checked_add(4)?));
    if whole != Some(len) {
        return Err(Rebuild::Corrupt(format!(
            "{len} bytes, not the length its header gives its parts"
        )));
    }
    Ok(lens)
}

/// The index from its parts, its derived fields rebuilt.
fn assemble(parts: impl IntoIterator<Item = Part>) -> Result<Index, Bad> {
    let (mut main, mut entries, mut lot_nodes) = (None, None, None);
    for part in parts {
        match part {
            Part::Main(index) => main = Some(index),
            Part::Entries(e) => entries = Some(e),
            Part::LotNodes(l) => lot_nodes = Some(l),
        }
    }
    let (Some(index), Some(entries), Some(lot_nodes)) = (main, entries, lot_nodes) else {
        return Err(Bad::Corrupt("parts"));
    };
    let mut index = *index;
    index.entries = entries;
    index.lot_nodes = lot_nodes;
    index.ledger_numbers = index
        .ledgers
        .iter()
        .enumerate()
        .map(|(n, l)| Ok((l.id, u16::try_from(n).map_err(|_| Bad::Corrupt("ledgers"))?)))
        .collect::<Result<_, Bad>>()?;
    if index.ledger_numbers.len() != index.ledgers.len() {
        return Err(Bad::Corrupt("a ledger listed twice"));
    }
    index.rebuild_unit_world();
    Ok(index)
}

/// Reads an index written by [`write_to`] from `input`, `len` bytes long,
/// one part after the other.
///
/// # Errors
/// [`Rebuild::Version`], [`Rebuild::Corrupt`] or [`Rebuild::Unreadable`].
pub fn read_from(input: impl Read, len: u64) -> Result<Index, Rebuild> {
    let mut input = input;
    let lens = take_header(&mut input, len)?;
    let mut parts = Vec::with_capacity(PARTS);
    for (k, part_len) in lens.into_iter().enumerate() {
        parts.push(take_part(&mut input, k, part_len).map_err(Bad::into_rebuild)?);
    }
    assemble(parts).map_err(Bad::into_rebuild)
}

/// Reads the cache `file`, `len` bytes long, as [`read_from`] does, but
/// each part on a thread of its own, through positioned reads of the one
/// open file (so every part comes from the same file, even when the cache
/// is replaced meanwhile). A thread that cannot be started leaves its part
/// to this one.
#[cfg(unix)]
fn read_file(file: &File, len: u64) -> Result<Index, Rebuild> {
    let lens = take_header(&mut At { file, pos: 0 }, len)?;
    let mut starts = [0u64; PARTS];
    let mut pos = HEADER_BYTES + 4;
    for (start, l) in starts.iter_mut().zip(lens) {
        *start = pos;
        pos += l + 4;
    }
    let read = |k: usize| {
        let (start, l) = (starts.get(k).copied().unwrap_or(0), lens.get(k).copied().unwrap_or(0));
        take_part(&mut At { file, pos: start }, k, l)
    };
    let parts = std::thread::scope(|s| {
        let others: Vec<_> = (1..PARTS)
            .map(|k| {
                std::thread::Builder::new()
                    .name(format!("cache part {k}"))
                    .spawn_scoped(s, move || read(k))
                    .map_err(|_| k)
            })
            .collect();
        let mut parts = Vec::with_capacity(PARTS);
        parts.push(read(0)?);
        for other in others {
            parts.push(match other {
                Ok(thread) => {
                    thread.join().map_err(|_| Bad::Corrupt("part (its reader failed)"))??
                }
                Err(k) => read(k)?,
            });
        }
        Ok(parts)
    });
    parts.and_then(assemble).map_err(Bad::into_rebuild)
}

#[cfg(not(unix))]
fn read_file(file: &File, len: u64) -> Result<Index, Rebuild> {
    read_from(file, len)
}

/// Reads a file from `pos` on with positioned reads, which leave the
/// file's own offset alone, so several can read one open file at once.
#[cfg(unix)]
struct At<'a> {
    file: &'a File,
    pos: u64,
}

#[cfg(unix)]
impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// What went wrong reading.
#[derive(Debug)]
enum Bad {
    Io(io::Error),
    Truncated,
    Checksum,
    Corrupt(&'static str),
}

impl Bad {
    fn into_rebuild(self) -> Rebuild {
        match self {
            Self::Io(e) => Rebuild::Unreadable(e.to_string()),
            Self::Truncated => Rebuild::Corrupt("cut short".into()),
            Self::Checksum => Rebuild::Corrupt("checksum mismatch".into()),
            Self::Corrupt(what) => Rebuild::Corrupt(format!("bad {what}")),
        }
    }
}

/// The writing end: a buffer flushed to `out` a chunk at a time, with the
/// running checksum and the bytes written. The first error is kept and
/// reported at the end.
struct Output<'a> {
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    crc: u32,
    written: u64,
    error: Option<io::Error>,
}

impl<'a> Output<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Self { out, buf: Vec::with_capacity(CHUNK + 4096), crc: 0, written: 0, error: None }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            self.crc = ::crc32c::crc32c_append(self.crc, &self.buf);
            self.written += self.buf.len() as u64;
            if let Err(e) = self.out.write_all(&self.buf) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    fn fail(&mut self, what: &str) {
        if self.error.is_none() {
            self.error = Some(io::Error::new(io::ErrorKind::InvalidData, what.to_string()));
        }
    }

    /// Writes what is left and the checksum after it; the bytes written
    /// before the checksum.
    fn finish(mut self) -> io::Result<u64> {
        self.flush();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.write_all(&self.crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.written)
    }
}

/// The reading end: `left` payload bytes still in `input`, read a chunk at
/// a time into `buf`, whose bytes `pos..end` are read but not consumed,
/// with the running checksum. The buffer is allocated (and zeroed) once.
struct Input<'a> {
    input: &'a mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    left: u64,
    crc: u32,
}

impl<'a> Input<'a> {
    fn new(input: &'a mut dyn Read, payload: u64) -> Self {
        // A chunk beside the at most a chunk left over from the last one.
        let size = usize::try_from(payload).unwrap_or(usize::MAX).min(2 * CHUNK);
        Self { input, buf: std::vec![0; size], pos: 0, end: 0, left: payload, crc: 0 }
    }

    /// The bytes read and not yet consumed.
    fn available(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// Payload bytes not yet consumed.
    fn remaining(&self) -> u64 {
        self.left + (self.end - self.pos) as u64
    }

    /// Makes at least `need` (at most [`CHUNK`]) bytes available.
    #[inline(never)]
    fn fill(&mut self, need: usize) -> Result<(), Bad> {
        if self.end - self.pos >= need {
            return Ok(());
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        let want = usize::try_from(self.left).unwrap_or(usize::MAX).min(self.buf.len() - self.end);
        let have = self.end;
        let mut got = 0;
        while got < want {
            let Some(space) = self.buf.get_mut(have + got..have + want) else { break };
            match self.input.read(space) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Bad::Io(e)),
            }
        }
        self.end = have + got;
        self.crc =
            ::crc32c::crc32c_append(self.crc, self.buf.get(have..self.end).unwrap_or_default());
        self.left -= got as u64;
        if got < want || self.end < need {
            return Err(Bad::Truncated);
        }
        Ok(())
    }

    /// The next `n` (at most [`CHUNK`]) bytes.
    fn slice(&mut self, n: usize) -> Result<&[u8], Bad> {
        self.fill(n)?;
        let out = self.buf.get(self.pos..self.pos + n).ok_or(Bad::Truncated)?;
        self.pos += n;
        Ok(out)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        let mut a = [0u8; N];
        // Most reads find their bytes in the buffer: no call to `fill`.
        if let Some(b) = self.available().get(..N) {
            a.copy_from_slice(b);
            self.pos += N;
            return Ok(a);
        }
        a.copy_from_slice(self.slice(N)?);
        Ok(a)
    }

    /// A length of items at least `min_bytes` each: never more than the
    /// bytes left could hold, so a damaged length cannot make a huge
    /// allocation.
    fn len(&mut self, min_bytes: usize) -> Result<usize, Bad> {
        let n = u64::take(self)?;
        if n.saturating_mul(min_bytes.max(1) as u64) > self.remaining() {
            return Err(Bad::Corrupt("length"));
        }
        usize::try_from(n).map_err(|_| Bad::Corrupt("length"))
    }

    /// Checks that the payload was consumed exactly and the checksum after it.
    fn finish(&mut self) -> Result<(), Bad> {
        if self.remaining() != 0 {
            return Err(Bad::Corrupt("length: bytes left over"));
        }
        let mut tail = [0u8; 4];
        self.input.read_exact(&mut tail).map_err(|_| Bad::Truncated)?;
        if u32::from_le_bytes(tail) != self.crc {
            return Err(Bad::Checksum);
        }
        Ok(())
    }
}

/// A part of the index that can be written to and read from the cache.
trait Persist: Sized {
    /// The fewest bytes one value takes.
    const MIN_BYTES: usize = 1;
    fn put(&self, w: &mut Output<'_>);
    fn take(r: &mut Input<'_>) -> Result<Self, Bad>;
    /// Writes a list of values (one after the other unless faster).
    fn put_all(items: &[Self], w: &mut Output<'_>) {
        for item in items {
            item.put(w);
        }
    }
    /// Reads `n` values into `out`.
    fn take_all(r: &mut Input<'_>, n: usize, out: &mut Vec<Self>) -> Result<(), Bad> {
        for _ in 0..n {
            out.push(Self::take(r)?);
        }
        Ok(())
    }
}

/// Fixed-width numbers: lists of them are columns moved a chunk at a time.
macro_rules! persist_number {
    ($($t:ty),*) => {$(
        impl Persist for $t {
            const MIN_BYTES: usize = size_of::<$t>();
            fn put(&self, w: &mut Output<'_>) {
                w.bytes(&self.to_le_bytes());
            }
            fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
                Ok(<$t>::from_le_bytes(r.array()?))
            }
            fn put_all(items: &[Self], w: &mut Output<'_>) {
                for chunk in items.chunks(CHUNK / size_of::<$t>()) {
                    w.buf.reserve(chunk.len() * size_of::<$t>());
                    for x in chunk {
                        w.buf.extend_from_slice(&x.to_le_bytes());
                    }
                    if w.buf.len() >= CHUNK {
                        w.flush();
                    }
                }
            }
            fn take_all(r: &mut Input<'_>, n: usize, out: &mut Vec<Self>) -> Result<(), Bad> {
                const SIZE: usize = size_of::<$t>();
                out.reserve_exact(n);
                let mut left = n;
                while left > 0 {
                    r.fill(SIZE)?;
                    let k = (r.available().len() / SIZE).min(left);
                    let bytes = r.available().get(..k * SIZE).ok_or(Bad::Truncated)?;
                    out.extend(bytes.chunks_exact(SIZE).map(|c| {
                        let mut a = [0u8; SIZE];
                        a.copy_from_slice(c);
                        <$t>::from_le_bytes(a)
                    }));
                    r.pos += k * SIZE;
                    left -= k;
                }
                Ok(())
            }
        }
    )*};
}
persist_number!(u8, u16, u32, u64, i32, i64);

/// Values of the data model, in their postcard encoding after a length byte.
macro_rules! persist_model {
    ($($t:ty),*) => {$(
        impl Persist for $t {
            const MIN_BYTES: usize = 2;
            fn put(&self, w: &mut Output<'_>) {
                put_postcard(self, w);
            }
            fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
                take_postcard(r)
            }
        }
    )*};
}
persist_model!(
    LotId,
    ItemCode,
    PartyId,
    LocationId,
    Code<32>,
    Unit,
    Reference,
    Digest,
    LedgerId,
    Severity,
    ComplaintType,
    InspectionStage,
    InspectionResult,
    Disposition,
    RecallClass,
    Remedy,
    RootCause,
    ContainerId
);

/// Master-data records, which can be longer than a length byte allows: a
/// `u32` length then their postcard encoding.
macro_rules! persist_record {
    ($($t:ty),*) => {$(
        impl Persist for Box<$t> {
            const MIN_BYTES: usize = 4;
            fn put(&self, w: &mut Output<'_>) {
                match postcard::to_allocvec(&**self) {
                    Ok(bytes) => {
                        u32::try_from(bytes.len()).unwrap_or(u32::MAX).put(w);
                        w.bytes(&bytes);
                    }
                    Err(_) => w.fail("a master-data record that does not encode"),
                }
            }
            fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
                let len = u32::take(r)? as usize;
                let bytes = r.slice(len)?;
                match postcard::take_from_bytes::<$t>(bytes) {
                    Ok((value, [])) => Ok(Box::new(value)),
                    _ => Err(Bad::Corrupt("master-data record")),
                }
            }
        }
    )*};
}
persist_record!(PartyDescribed, LocationDescribed, ProductDescribed);

fn put_postcard(value: &impl Serialize, w: &mut Output<'_>) {
    let mut scratch = [0u8; 255];
    match postcard::to_slice(value, &mut scratch) {
        Ok(used) => {
            let len = u8::try_from(used.len()).unwrap_or(u8::MAX);
            w.bytes(&[len]);
            w.bytes(used);
        }
        Err(_) => w.fail("a value too large for the index cache"),
    }
}

fn take_postcard<T: DeserializeOwned>(r: &mut Input<'_>) -> Result<T, Bad> {
    let [len] = r.array()?;
    let bytes = r.slice(usize::from(len))?;
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        _ => Err(Bad::Corrupt("model value")),
    }
}

impl Persist for bool {
    fn put(&self, w: &mut Output<'_>) {
        u8::from(*self).put(w);
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        match u8::take(r)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Bad::Corrupt("flag")),
        }
    }
}

impl<T: Persist> Persist for Vec<T> {
    const MIN_BYTES: usize = 8;
    fn put(&self, w: &mut Output<'_>) {
        (self.len() as u64).put(w);
        T::put_all(self, w);
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        let n = r.len(T::MIN_BYTES)?;
        let mut out = Vec::with_capacity(n);
        T::take_all(r, n, &mut out)?;
        Ok(out)
    }
}

impl<T: Persist> Persist for Option<T> {
    fn put(&self, w: &mut Output<'_>) {
        self.is_some().put(w);
        if let Some(v) = self {
            v.put(w);
        }
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        Ok(if bool::take(r)? { Some(T::take(r)?) } else { None })
    }
}

impl<A: Persist, B: Persist> Persist for (A, B) {
    const MIN_BYTES: usize = A::MIN_BYTES + B::MIN_BYTES;
    fn put(&self, w: &mut Output<'_>) {
        self.0.put(w);
        self.1.put(w);
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        Ok((A::take(r)?, B::take(r)?))
    }
}

impl Persist for String {
    const MIN_BYTES: usize = 8;
    fn put(&self, w: &mut Output<'_>) {
        (self.len() as u64).put(w);
        for chunk in self.as_bytes().chunks(CHUNK) {
            w.bytes(chunk);
        }
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        let n = r.len(1)?;
        let mut bytes = Vec::with_capacity(n);
        let mut left = n;
        while left > 0 {
            let k = left.min(CHUNK);
            bytes.extend_from_slice(r.slice(k)?);
            left -= k;
        }
        Self::from_utf8(bytes).map_err(|_| Bad::Corrupt("text"))
    }
}

impl Persist for Box<str> {
    const MIN_BYTES: usize = 8;
    fn put(&self, w: &mut Output<'_>) {
        (self.len() as u64).put(w);
        w.bytes(self.as_bytes());
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        String::take(r).map(String::into_boxed_str)
    }
}

impl Persist for Timestamp {
    fn put(&self, w: &mut Output<'_>) {
        self.0.put(w);
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        i64::take(r).map(Timestamp)
    }
}

impl Persist for Anchor {
    fn put(&self, w: &mut Output<'_>) {
        self.next_seq.put(w);
        self.head.put(w);
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        Ok(Self { next_seq: u64::take(r)?, head: Digest::take(r)? })
    }
}

/// A map, as its pairs in key order (so that equal indexes write equal files).
impl<V: Persist, S: BuildHasher + Default> Persist for HashMap<u32, V, S> {
    const MIN_BYTES: usize = 8;
    fn put(&self, w: &mut Output<'_>) {
        let mut keys: Vec<u32> = self.keys().copied().collect();
        keys.sort_unstable();
        (keys.len() as u64).put(w);
        for k in keys {
            k.put(w);
            if let Some(v) = self.get(&k) {
                v.put(w);
            }
        }
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        let n = r.len(4 + V::MIN_BYTES)?;
        let mut map = Self::with_capacity_and_hasher(n, S::default());
        for _ in 0..n {
            let k = u32::take(r)?;
            if map.insert(k, V::take(r)?).is_some() {
                return Err(Bad::Corrupt("map key repeated"));
            }
        }
        Ok(map)
    }
}

/// An interner, as its values in number order; its maps are rebuilt.
impl<T: Persist + core::hash::Hash + Eq + Clone> Persist for Interner<T> {
    const MIN_BYTES: usize = 8;
    fn put(&self, w: &mut Output<'_>) {
        (self.values().len() as u64).put(w);
        T::put_all(self.values(), w);
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        Self::from_values(Vec::take(r)?).ok_or(Bad::Corrupt("interned values"))
    }
}

impl Persist for TextArena {
    const MIN_BYTES: usize = 8;
    fn put(&self, w: &mut Output<'_>) {
        // The arena's buffer, written as text.
        let text = self.as_str();
        (text.len() as u64).put(w);
        for chunk in text.as_bytes().chunks(CHUNK) {
            w.bytes(chunk);
        }
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        String::take(r).map(Self::from_string)
    }
}

impl Persist for Labels {
    fn put(&self, w: &mut Output<'_>) {
        for list in self.lists() {
            list.put(w);
        }
    }
    fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
        Ok(Self::from_lists(Vec::take(r)?, Vec::take(r)?, Vec::take(r)?))
    }
}

/// Enums the index defines, as a tag byte and their fields.
macro_rules! persist_tags {
    ($t:ident { $($tag:literal => $variant:ident $(($($f:ident),*))? $({$($g:ident),*})?),* $(,)? }) => {
        impl Persist for $t {
            fn put(&self, w: &mut Output<'_>) {
                match self {
                    $($t::$variant $(($($f),*))? $({$($g),*})? => {
                        w.bytes(&[$tag]);
                        $($($f.put(w);)*)?
                        $($($g.put(w);)*)?
                    })*
                }
            }
            fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
                match u8::take(r)? {
                    $($tag => Ok($t::$variant $(($(persist_tags!(@take r $f)),*))? $({$($g: Persist::take(r)?),*})?),)*
                    _ => Err(Bad::Corrupt(stringify!($t))),
                }
            }
        }
    };
    (@take $r:ident $f:ident) => { Persist::take($r)? };
}

persist_tags!(StepKind {
    0 => Acknowledged,
    1 => Reclassified(severity, kind),
    2 => Investigated(cause),
    3 => Planned,
    4 => Resolved(remedy),
    5 => CustomerResponse(accepted),
    6 => FollowedUp(satisfaction),
    7 => Closed,
    8 => Archived,
});
persist_tags!(ActionKind {
    0 => Notified { customer },
    1 => Retrieved { customer, lot, qty },
    2 => Closed,
});
persist_tags!(CorrectionStatus { 0 => Applied, 1 => HashMismatch, 2 => UnknownTarget });
persist_tags!(ProblemKind {
    0 => UnknownKind,
    1 => Undecodable,
    2 => DuplicateComplaint,
    3 => UnknownComplaint,
    4 => DuplicateRecall,
    5 => UnknownRecall,
    6 => CorrectionHashMismatch,
    7 => CorrectionUnknownTarget,
    8 => CorrectionBadReplacement,
    9 => SerialNotCommissioned,
    10 => SerialCommissionedTwice,
    11 => UnitNotAvailable,
    12 => UnitNotShipped,
    13 => NotInContainer,
    14 => ContainerCycle,
});
persist_tags!(GoodsRow {
    0 => Lot { lot, qty },
    1 => Container { container },
    2 => One { lot, serial },
    3 => Range { lot, prefix, first, count, width },
});

/// Structs, field by field in the order listed. Every field must be
/// listed (the destructuring and the literal are exhaustive), except
/// fields named after `derived`, which are rebuilt after reading, and
/// fields named after `apart`, which are written and read as parts of
/// their own ([`put_part`], [`take_part`]).
macro_rules! persist_struct {
    ($t:ident { $($field:ident),* $(,)? } $(derived { $($d:ident),* })? $(apart { $($a:ident),* })?) => {
        impl Persist for $t {
            fn put(&self, w: &mut Output<'_>) {
                let $t { $($field,)* $($($d: _,)*)? $($($a: _,)*)? } = self;
                $($field.put(w);)*
            }
            fn take(r: &mut Input<'_>) -> Result<Self, Bad> {
                Ok($t {
                    $($field: Persist::take(r)?,)*
                    $($($d: Default::default(),)*)?
                    $($($a: Default::default(),)*)?
                })
            }
        }
    };
}

persist_struct!(Index {
    ledgers,
    void,
    voiders,
    correction_of,
    lots,
    items,
    lot_item,
    parties,
    locations,
    labels,
    stamps,
    runs,
    units,
    refs,
    text,
    certificates,
    receipts,
    inspections,
    productions,
    lot_qtys,
    dispositions,
    returns,
    deliveries,
    destructions,
    complaints,
    complaint_by_number,
    complaint_steps,
    steps,
    recalls,
    recall_by_number,
    recall_actions,
    actions,
    corrections,
    problems,
    party_versions,
    location_versions,
    product_versions,
    serialized,
} derived { ledger_numbers, directory } apart { entries, lot_nodes });
persist_struct!(Entries { time, offset, stamp, kind, hash8 });
persist_struct!(LedgerState {
    id,
    start,
    head,
    prev_head,
    runs,
    entries,
    first_time,
    last_time,
    bytes,
    time_regressions,
    segments,
});
persist_struct!(Segment { label, first_seq, entries, offset, bytes });
persist_struct!(Run { first_entry, first_seq, len, ledger });
persist_struct!(Problem { ledger, seq, kind });
persist_struct!(Qty { amount, unit, scale });
persist_struct!(LotNode { produced_by, consumed_by, shipments, events });
persist_struct!(ReceiptRow { entry, supplier, supplier_lot, order, qty });
persist_struct!(InspectionRow { entry, stage, result, certificate, report });
persist_struct!(ProductionRow {
    entry,
    work_order,
    line,
    produced_on,
    expiry,
    inputs_start,
    inputs_len,
    outputs_len,
});
persist_struct!(LotQty { lot, qty });
persist_struct!(DispositionRow { entry, status });
persist_struct!(ShipmentRow { amount, time, entry, customer, ship_to, order, unit, scale });
persist_struct!(ReturnRow { entry, from, qty });
persist_struct!(DeliveryRow { entry, customer, order });
persist_struct!(DestructionRow { entry, qty });
persist_struct!(ComplaintRow {
    entry,
    number,
    received_at,
    severity,
    kind,
    customer,
    lot,
    product,
    person,
    contact,
});
persist_tags!(PersonalCell { 0 => Plain(offset), 1 => Sealed(commitment) });
persist_struct!(StepRow { entry, step });
persist_struct!(RecallRow { entry, number, class, lots, reason });
persist_struct!(ActionRow { entry, action });
persist_struct!(PartyVersion { entry, ids, record });
persist_struct!(LocationVersion { entry, location, record });
persist_struct!(ProductVersion { entry, items, record });
persist_struct!(SerializedGoods { containers, events, goods } derived { world });
persist_struct!(UnitEventRow {
    entry,
    kind,
    party,
    order,
    ship_to,
    detail,
    parent,
    note,
    goods_start,
    goods_len,
});
persist_struct!(CorrectionRow { entry, target, target_seq, status, reason, replacements });
