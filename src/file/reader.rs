//! Reading a ledger directory without the writer's lock, while a writer
//! may be appending: every entry is checked by the core chain code, and
//! the reader stops at the last complete frame of the last segment, where
//! the writer may be in the middle of a write. Only damage the writer could
//! not be causing (see [`recovery`](super::recovery)) is reported as corruption.

use std::boxed::Box;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::vec::Vec;

use super::Error;
use super::ledger::check_header;
use super::recovery::{Step, Walk, is_damaged_frame, is_torn_tail};
use super::segment;
use crate::chain::{Anchor, Failure, Receipt};
use crate::entry::{DecodeError, Header, decode_record};
use crate::model::{Digest, LedgerId, Record, Timestamp};

/// A read-only view of a ledger directory. It takes no lock and never
/// changes a file.
///
/// While a writer appends, a reader sees what the writer has handed to the
/// operating system, which may be more than is durable yet (see
/// [`FileLedger::durable_head`](super::FileLedger::durable_head)).
#[derive(Clone, Debug)]
pub struct LedgerReader {
    dir: PathBuf,
    ledger: LedgerId,
    /// Archive directories whose segments are read before this ledger's
    /// ([`LedgerReader::with_archive`]).
    archives: Vec<PathBuf>,
}

/// One verified entry read from a segment file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// The entry header.
    pub header: Header,
    /// The entry's hash.
    pub hash: Digest,
    /// The first sequence number of the segment holding it (its file name).
    pub segment: u64,
    /// Byte offset of its frame in the segment file.
    pub offset: u64,
    /// Whether its time is earlier than the previous entry's (reported, not a failure).
    pub time_regressed: bool,
    /// The entry body exactly as stored.
    pub body: Vec<u8>,
    record_start: usize,
}

impl StoredEntry {
    /// Its sequence number and hash.
    #[must_use]
    pub const fn receipt(&self) -> Receipt {
        Receipt { seq: self.header.seq, hash: self.hash }
    }

    /// Decodes the record.
    ///
    /// # Errors
    /// [`DecodeError::UnknownKind`] for a kind written by a newer version.
    pub fn record(&self) -> Result<Record, DecodeError> {
        decode_record(self.body.get(self.record_start..).unwrap_or_default())
    }
}

/// What a full read of a ledger found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadReport {
    /// Where the first segment starts.
    pub start: Anchor,
    /// Where the verified chain ends.
    pub head: Anchor,
    /// Entries verified.
    pub entries: u64,
    /// Segment files read.
    pub segments: usize,
    /// Bytes after the last complete frame of the last segment (a write in
    /// progress, or a torn tail the writer will cut on its next open).
    pub tail_bytes: u64,
    /// Where those bytes are, when there are any.
    pub tail: Option<Tail>,
}

/// Bytes after the last complete frame of the last segment that do not
/// make an entry: an append in progress or an interrupted one (a torn
/// tail, see [`recovery`](super::recovery)). Nothing in them was
/// acknowledged as durable; the writer's next open cuts them and keeps them
/// in an evidence file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tail {
    /// The segment file.
    pub path: PathBuf,
    /// Where they start: a byte offset in that file.
    pub offset: u64,
    /// How many there are.
    pub len: u64,
    /// The entry number expected there.
    pub seq: u64,
}

impl LedgerReader {
    /// Opens the ledger in `dir` for reading.
    ///
    /// # Errors
    /// [`Error::NoLedger`] when `dir` holds no segment, or the error reading
    /// the first segment's header.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        if !dir.exists() {
            return Err(Error::NoLedger { dir: dir.to_path_buf() });
        }
        let (segments, _) = segment::list(dir)?;
        let (_, first) = segments.first().ok_or_else(|| Error::NoLedger { dir: dir.into() })?;
        let mut head = [0u8; segment::HEADER_LEN];
        let len = File::open(first)
            .and_then(|mut f| read_up_to(&mut f, &mut head))
            .map_err(|e| Error::io("read", first, e))?;
        let header = segment::SegmentHeader::decode(head.get(..len).unwrap_or_default(), first)?;
        Ok(Self { dir: dir.to_path_buf(), ledger: header.ledger, archives: Vec::new() })
    }

    /// Reads the segments of the archive in `archive` (docs/STORAGE.md
    /// section 8) as part of this ledger: every reader method then sees
    /// the archive's segments and the ledger's, in order, as one chain. A
    /// segment present in both (an archive move interrupted before its
    /// delete step) is read once, from the ledger.
    ///
    /// # Errors
    /// [`Error::NoLedger`] when `archive` holds no segment;
    /// [`Error::LedgerMismatch`] when its segments are of another ledger.
    pub fn with_archive(mut self, archive: impl AsRef<Path>) -> Result<Self, Error> {
        let other = Self::open(archive.as_ref())?;
        if other.ledger != self.ledger {
            return Err(Error::LedgerMismatch {
                path: other.dir,
                expected: self.ledger,
                found: other.ledger,
            });
        }
        self.archives.push(other.dir);
        Ok(self)
    }

    /// The segment files of the archives and the ledger, in order.
    fn list(&self) -> Result<Vec<(u64, PathBuf)>, Error> {
        let (mut segments, _) = segment::list(&self.dir)?;
        for dir in &self.archives {
            let (more, _) = segment::list(dir)?;
            for (seq, path) in more {
                if !segments.iter().any(|(s, _)| *s == seq) {
                    segments.push((seq, path));
                }
            }
        }
        segments.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(segments)
    }

    /// The ledger's id.
    #[must_use]
    pub const fn ledger_id(&self) -> LedgerId {
        self.ledger
    }

    /// The verified entries, in order, across the segments present now.
    ///
    /// # Errors
    /// [`Error::Io`] when the directory cannot be listed; reading errors come
    /// from the iterator, which stops after the first.
    pub fn entries(&self) -> Result<Entries, Error> {
        let mut segments = self.list()?;
        segments.reverse();
        Ok(Entries {
            segments,
            current: None,
            ledger: Some(self.ledger),
            expected: None,
            start: None,
            last_time: None,
            tail: None,
            count: 0,
            done: false,
            spare: Vec::new(),
        })
    }

    /// Reads and verifies every entry without keeping them.
    ///
    /// # Errors
    /// The first [`Error`] found.
    pub fn verify(&self) -> Result<ReadReport, Error> {
        let mut entries = self.entries()?;
        let segments = entries.segments.len();
        if let Some(e) = entries.verify_rest() {
            return Err(e);
        }
        Ok(ReadReport {
            start: entries.start.unwrap_or(Anchor::genesis(&self.ledger)),
            head: entries.head().unwrap_or(Anchor::genesis(&self.ledger)),
            entries: entries.count,
            segments,
            tail_bytes: entries.tail_bytes(),
            tail: entries.tail,
        })
    }
}

impl LedgerReader {
    /// The segment files present now, in order, each read whole with its
    /// header checked exactly as [`LedgerReader::entries`] checks it
    /// (regular file, magic, versions, CRC, ledger id, file name, the first
    /// segment at entry 0 starting from genesis). The frames are not
    /// verified here: this is for readers that verify them their own way
    /// (an index, a Merkle tree), so that every reader of a ledger
    /// directory refuses the same files. The last segment's frames end
    /// before an incomplete tail ([`SegmentBytes::tail`]), which is left
    /// out as [`Entries`] leaves it out; anything else wrong in the frames
    /// is left in for the caller's verifier to report.
    ///
    /// # Errors
    /// [`Error::Io`] when the directory cannot be listed; each item is the
    /// error reading or checking that segment, and the iterator ends after it.
    pub fn segments(&self) -> Result<Segments, Error> {
        self.segments_from(0)
    }

    /// As [`LedgerReader::segments`], from the segment holding entry `seq`
    /// on (the last segment for `u64::MAX`; the first present for a `seq`
    /// before it): the segments before it are not read.
    ///
    /// # Errors
    /// As [`LedgerReader::segments`].
    pub fn segments_from(&self, seq: u64) -> Result<Segments, Error> {
        let mut segments = self.list()?;
        let skip = segments.iter().rposition(|(first, _)| *first <= seq).unwrap_or(0);
        segments.drain(..skip);
        segments.reverse();
        Ok(Segments { segments, ledger: Some(self.ledger), first: skip == 0, done: false })
    }
}

/// One segment file read by [`LedgerReader::segments`].
#[derive(Clone, Debug)]
pub struct SegmentBytes {
    /// The file.
    pub path: PathBuf,
    /// Its header, checked.
    pub header: segment::SegmentHeader,
    /// An incomplete tail at the end of the last segment, left out of
    /// [`SegmentBytes::frames`].
    pub tail: Option<Tail>,
    bytes: Vec<u8>,
    frames_end: usize,
}

impl SegmentBytes {
    /// The frames after the header (byte 0 of this slice is byte
    /// [`segment::HEADER_LEN`] of the file), without an incomplete tail.
    #[must_use]
    pub fn frames(&self) -> &[u8] {
        self.bytes.get(segment::HEADER_LEN..self.frames_end).unwrap_or_default()
    }
}

/// The iterator of [`LedgerReader::segments`].
#[derive(Debug)]
pub struct Segments {
    /// Still to read, last first.
    segments: Vec<(u64, PathBuf)>,
    ledger: Option<LedgerId>,
    first: bool,
    done: bool,
}

impl Segments {
    fn read(&mut self, name_seq: u64, path: PathBuf) -> Result<SegmentBytes, Error> {
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io("read", &path, e))?;
        // The first segment is checked against genesis; whether a later
        // one continues the one before is for the frames' verifier to see
        // (it follows the chain across them), so it is checked against
        // its own start here.
        let expected = if self.first {
            None
        } else {
            Some(segment::SegmentHeader::decode(&bytes, &path)?.start)
        };
        let header = check_header(&bytes, &path, name_seq, &mut self.ledger, expected)?;
        self.first = false;
        let mut frames_end = bytes.len();
        let mut tail = None;
        if self.segments.is_empty() {
            // Where the complete frames of the last segment end.
            let mut pos = segment::HEADER_LEN;
            let mut seq = header.start.next_seq;
            while let Some(rest) = bytes.get(pos..).filter(|r| !r.is_empty()) {
                match crate::frame::parse(rest) {
                    Ok(f) => {
                        pos += f.len;
                        seq = seq.saturating_add(1);
                    }
                    Err(e) => {
                        let failure = crate::chain::Failure {
                            seq,
                            offset: pos as u64,
                            kind: crate::chain::FailureKind::Frame(e),
                        };
                        if is_torn_tail(&bytes, &failure) && !is_damaged_frame(&bytes, &failure) {
                            frames_end = pos;
                            tail = Some(Tail {
                                path: path.clone(),
                                offset: pos as u64,
                                len: (bytes.len() - pos) as u64,
                                seq,
                            });
                        }
                        break;
                    }
                }
            }
        }
        Ok(SegmentBytes { path, header, tail, bytes, frames_end })
    }
}

impl Iterator for Segments {
    type Item = Result<SegmentBytes, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (name_seq, path) = self.segments.pop()?;
        let read = self.read(name_seq, path);
        self.done = read.is_err();
        Some(read)
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..) {
        if rest.is_empty() {
            break;
        }
        match file.read(rest)? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[derive(Debug)]
struct Current {
    path: PathBuf,
    first_seq: u64,
    bytes: Vec<u8>,
    walk: Walk,
    last: bool,
}

/// An iterator over the verified entries of a ledger directory
/// ([`LedgerReader::entries`]). It stops after the first error.
#[derive(Debug)]
pub struct Entries {
    /// Segments still to read, last first.
    segments: Vec<(u64, PathBuf)>,
    current: Option<Current>,
    ledger: Option<LedgerId>,
    expected: Option<Anchor>,
    start: Option<Anchor>,
    /// The time of the last entry of the segments finished.
    last_time: Option<Timestamp>,
    tail: Option<Tail>,
    count: u64,
    done: bool,
    /// The bytes of the last segment finished, reused for the next one.
    spare: Vec<u8>,
}

/// Where an entry was found, for [`Entries::next_with`].
struct At<'b> {
    first_seq: u64,
    offset: u64,
    body: &'b [u8],
    step: crate::chain::Step<'b>,
}

impl Entries {
    /// Where the chain stands after the entries read so far.
    #[must_use]
    pub fn head(&self) -> Option<Anchor> {
        self.current.as_ref().map(|c| c.walk.anchor()).or(self.expected)
    }

    /// Bytes after the last complete frame of the last segment, once the
    /// iterator has reached it.
    #[must_use]
    pub fn tail_bytes(&self) -> u64 {
        self.tail.as_ref().map_or(0, |t| t.len)
    }

    /// Where the bytes after the last complete frame of the last segment
    /// are, once the iterator has reached them.
    #[must_use]
    pub const fn tail(&self) -> Option<&Tail> {
        self.tail.as_ref()
    }

    /// Where the first segment read starts: entry 0 and the genesis hash,
    /// unless older segments were archived away (or removed).
    #[must_use]
    pub const fn start(&self) -> Option<Anchor> {
        self.start
    }

    fn load(&mut self) -> Result<bool, Error> {
        let Some((name_seq, path)) = self.segments.pop() else { return Ok(false) };
        let mut bytes = core::mem::take(&mut self.spare);
        bytes.clear();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io("read", &path, e))?;
        let header = check_header(&bytes, &path, name_seq, &mut self.ledger, self.expected)?;
        self.start.get_or_insert(header.start);
        self.current = Some(Current {
            path,
            first_seq: name_seq,
            bytes,
            walk: Walk::continuing(header.start, self.last_time),
            last: self.segments.is_empty(),
        });
        Ok(true)
    }

    fn next_with<T>(&mut self, make: impl FnOnce(At<'_>) -> T) -> Option<Result<T, Error>> {
        if self.done {
            return None;
        }
        loop {
            if self.current.is_none() {
                match self.load() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            let current = self.current.as_mut()?;
            match current.walk.step(&current.bytes) {
                Step::Entry { offset, body, step, .. } => {
                    self.count += 1;
                    let at = At { first_seq: current.first_seq, offset, body, step };
                    return Some(Ok(make(at)));
                }
                Step::End => self.finish_segment(),
                Step::Failed(failure) => return self.failed(failure).map(Err),
            }
        }
    }

    /// Verifies every entry still to come, in one loop per segment (what
    /// [`LedgerReader::verify`] does, without making an item of each).
    /// Returns the first error, as the iterator would have.
    fn verify_rest(&mut self) -> Option<Error> {
        loop {
            if self.done {
                return None;
            }
            if self.current.is_none() {
                if self.stream_next() {
                    continue;
                }
                match self.load() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(e);
                    }
                }
            }
            let current = self.current.as_mut()?;
            let mut walked = 0;
            let found = current.walk.run(&current.bytes, |_| {
                walked += 1;
                core::ops::ControlFlow::Continue(())
            });
            self.count += walked;
            match found {
                Ok(()) => self.finish_segment(),
                Err(failure) => return self.failed(failure),
            }
        }
    }

    /// Verifies the next segment through a small buffer, read a piece at a
    /// time, so that its bytes stay in the CPU's cache and no memory is
    /// faulted in for a whole segment. All or nothing: it returns `true`
    /// only when the header checked and every frame verified to the very
    /// end of the file, and only then moves on. Anything else (an error,
    /// a failure, a torn tail) leaves everything as it was and returns
    /// `false`, and the segment is read whole and walked as
    /// [`Entries`] walks it, which names what is wrong.
    fn stream_next(&mut self) -> bool {
        /// Bytes read at a time (frames are at most 4,102 bytes).
        const PIECE: usize = 256 * 1024;
        let Some((name_seq, path)) = self.segments.last() else { return false };
        let Ok(mut file) = File::open(path) else { return false };
        let mut buf = core::mem::take(&mut self.spare);
        buf.clear();
        buf.resize(PIECE, 0);
        let verified = (|| {
            let mut filled = read_up_to(&mut file, &mut buf).ok()?;
            let mut ledger = self.ledger;
            let header =
                check_header(buf.get(..filled)?, path, *name_seq, &mut ledger, self.expected)
                    .ok()?;
            let mut chain = crate::chain::Chain::continuing(header.start, self.last_time);
            let (mut pos, mut count) = (segment::HEADER_LEN, 0u64);
            loop {
                let found = chain.walk(buf.get(..filled)?, &mut pos, |_| {
                    count += 1;
                    core::ops::ControlFlow::Continue(())
                });
                match found {
                    Ok(()) => {}
                    // A frame that goes on in the next piece.
                    Err(crate::chain::FailureKind::Frame(
                        crate::frame::FrameError::Truncated { .. },
                    )) => {}
                    Err(_) => return None,
                }
                buf.copy_within(pos..filled, 0);
                let kept = filled - pos;
                let more = read_up_to(&mut file, buf.get_mut(kept..)?).ok()?;
                if more == 0 {
                    // The end of the file: whole only if nothing is left over.
                    return (kept == 0).then_some((header, ledger, chain, count));
                }
                (pos, filled) = (0, kept + more);
            }
        })();
        self.spare = buf;
        let Some((header, ledger, chain, count)) = verified else { return false };
        self.segments.pop();
        self.ledger = ledger;
        self.start.get_or_insert(header.start);
        self.expected = Some(chain.anchor());
        self.last_time = chain.last_time();
        self.count += count;
        true
    }

    /// The current segment's frames ended exactly at its end: on to the next.
    fn finish_segment(&mut self) {
        if let Some(current) = self.current.take() {
            self.expected = Some(current.walk.anchor());
            self.last_time = current.walk.last_time();
            self.spare = current.bytes;
        }
    }

    /// The current segment failed with `failure`: the error to report, or
    /// `None` for a torn tail of the last segment (kept in [`Entries::tail`]).
    fn failed(&mut self, failure: Failure) -> Option<Error> {
        self.done = true;
        let current = self.current.as_ref()?;
        // A damaged frame is never a write in progress: bytes
        // that parsed have changed.
        if current.last
            && is_torn_tail(&current.bytes, &failure)
            && !is_damaged_frame(&current.bytes, &failure)
        {
            self.tail = Some(Tail {
                path: current.path.clone(),
                offset: failure.offset,
                len: current.bytes.len() as u64 - failure.offset,
                seq: failure.seq,
            });
            return None;
        }
        Some(Error::Corrupted { path: current.path.clone(), failure: Box::new(failure) })
    }
}

impl Iterator for Entries {
    type Item = Result<StoredEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.next_with(|at| {
            // The header was read in place; copied out here, for the owned
            // entry. A header read in place always fits (`to_header`).
            let header = at.step.header.to_header().map_err(|e| (at.offset, e))?;
            Ok(StoredEntry {
                record_start: at.body.len() - at.step.record_bytes.len(),
                header,
                hash: at.step.hash,
                segment: at.first_seq,
                offset: at.offset,
                time_regressed: at.step.time_regressed,
                body: at.body.to_vec(),
            })
        })?;
        Some(match item {
            Ok(Ok(entry)) => Ok(entry),
            Ok(Err((offset, e))) => {
                self.done = true;
                self.count = self.count.saturating_sub(1);
                let path = self.current.as_ref().map(|c| c.path.clone()).unwrap_or_default();
                let seq = self.head().map_or(0, |h| h.next_seq.saturating_sub(1));
                let kind = crate::chain::FailureKind::Undecodable(e);
                Err(Error::Corrupted {
                    path,
                    failure: Box::new(crate::chain::Failure { seq, offset, kind }),
                })
            }
            Err(e) => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use super::*;
    use crate::demo::{Plant, PlantConfig};
    use crate::file::{Durability, FileLedger, Options};

    /// What the iterator (each segment read whole) finds: entries, head
    /// and the first error.
    fn by_items(reader: &LedgerReader) -> (u64, Option<Anchor>, Option<std::string::String>) {
        let mut entries = reader.entries().unwrap();
        let mut n = 0;
        for item in &mut entries {
            match item {
                Ok(_) => n += 1,
                Err(e) => return (n, entries.head(), Some(e.to_string())),
            }
        }
        (n, entries.head(), None)
    }

    /// `verify` reads segments a piece at a time and falls back to reading
    /// a segment whole when anything is wrong: it reports what the
    /// iterator reports, on segments of several pieces, intact and with a
    /// byte changed past the first piece of a middle segment or the last.
    #[test]
    fn streamed_verify_agrees_with_the_iterator() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let opts = Options::new().durability(Durability::Buffered).segment_size(700_000);
        let mut l = FileLedger::create(&path, LedgerId([3; 16]), opts).unwrap();
        for (stamp, record) in Plant::new(&PlantConfig::default()).take(25_000) {
            let _ = l.append(&stamp, &record).unwrap();
        }
        l.close().unwrap();
        let reader = LedgerReader::open(&path).unwrap();
        let report = reader.verify().unwrap();
        assert!(report.segments >= 2, "{} segments", report.segments);
        assert_eq!((report.entries, Some(report.head), None), by_items(&reader));
        assert_eq!(report.entries, 25_000);
        let files: Vec<PathBuf> = reader.segments().unwrap().map(|s| s.unwrap().path).collect();
        assert_eq!(files.len(), report.segments);
        for file in [&files[0], files.last().unwrap()] {
            let original = std::fs::read(file).unwrap();
            let at = (300_000).min(original.len() - 10);
            let mut bad = original.clone();
            bad[at] ^= 0x40;
            std::fs::write(file, &bad).unwrap();
            let err = reader.verify().unwrap_err().to_string();
            let (n, _, items_err) = by_items(&reader);
            assert_eq!(Some(err), items_err, "{}", file.display());
            assert!(n < 25_000);
            std::fs::write(file, &original).unwrap();
        }
        assert_eq!(reader.verify().unwrap(), report);
    }
}
