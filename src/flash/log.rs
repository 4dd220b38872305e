//! The page log: where records go on flash, how they are found again, and
//! how recovery tells a torn write (lose it, never append after it) from
//! corruption of what was acknowledged (refuse).

use core::mem::size_of;

use embedded_storage::nor_flash::NorFlash;

use super::{FlashError, MAX_WORD, Region};
use crate::chain::{Anchor, Chain, FailureKind};
use crate::frame::{self, FrameError, MAX_BODY_LEN};
use crate::model::{Digest, LedgerId};
use crate::storage::Storage;
use crate::varint;

const MAGIC: [u8; 4] = *b"LLF1";
const HEADER_LEN: usize = 76;
const HEADER_CRC_AT: usize = HEADER_LEN - 4;
const CONFIRM_LEN: usize = 14;
const CONFIRM_TAG: [u8; 2] = [0x00, 0x01];
const CRC32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

type Result<T, E> = core::result::Result<T, FlashError<E>>;

/// A length or offset inside one page (pages are checked to fit `u32`).
#[expect(clippy::cast_possible_truncation, reason = "Region::check bounds pages to u32")]
const fn u(x: usize) -> u32 {
    x as u32
}

fn take<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b.get(at..at + N).and_then(|s| s.try_into().ok()).unwrap_or([0; N])
}

/// The header at the start of every page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PageHeader {
    page_no: u32,
    ledger: LedgerId,
    anchor: Anchor,
    confirmed: u64,
}

impl PageHeader {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let parts: [&[u8]; 6] = [
            &MAGIC,
            &self.page_no.to_le_bytes(),
            &self.ledger.0,
            &self.anchor.next_seq.to_le_bytes(),
            &self.anchor.head.0,
            &self.confirmed.to_le_bytes(),
        ];
        for (slot, b) in out.iter_mut().zip(parts.iter().flat_map(|p| p.iter())) {
            *slot = *b;
        }
        let crc = CRC32C.checksum(out.get(..HEADER_CRC_AT).unwrap_or_default());
        for (slot, b) in out.iter_mut().skip(HEADER_CRC_AT).zip(crc.to_le_bytes()) {
            *slot = b;
        }
        out
    }

    fn decode(b: &[u8; HEADER_LEN]) -> Option<Self> {
        let crc = u32::from_le_bytes(take(b, HEADER_CRC_AT));
        if take::<4>(b, 0) != MAGIC || crc != CRC32C.checksum(b.get(..HEADER_CRC_AT)?) {
            return None;
        }
        Some(Self {
            page_no: u32::from_le_bytes(take(b, 4)),
            ledger: LedgerId(take(b, 8)),
            anchor: Anchor { next_seq: u64::from_le_bytes(take(b, 24)), head: Digest(take(b, 32)) },
            confirmed: u64::from_le_bytes(take(b, 64)),
        })
    }
}

fn confirm_record(confirmed: u64) -> [u8; CONFIRM_LEN] {
    let mut out = [0u8; CONFIRM_LEN];
    let crc_at = CONFIRM_LEN - 4;
    for (slot, b) in out.iter_mut().zip(CONFIRM_TAG.iter().chain(confirmed.to_le_bytes().iter())) {
        *slot = *b;
    }
    let crc = CRC32C.checksum(out.get(..crc_at).unwrap_or_default());
    for (slot, b) in out.iter_mut().skip(crc_at).zip(crc.to_le_bytes()) {
        *slot = b;
    }
    out
}

/// What lies at one record position.
enum Rec {
    /// Erased to the end of the page: no more records.
    Blank,
    /// A confirm record.
    Confirm(u64),
    /// An intact frame of this length, now at the start of the buffer.
    Frame(usize),
    /// An intact frame that does not fit the buffer.
    TooBig(usize),
    /// Bytes that are not an intact record, spanning at most `extent`
    /// bytes from here (as far as their own length field can be believed).
    Invalid { extent: u32, why: FailureKind },
}

/// One step of a walk over the records.
pub(super) enum Step {
    Entry {
        seq: u64,
        len: usize,
    },
    Confirm(u64),
    TooBig(usize),
    /// The walk reached the end of the newest page's records at `stop`;
    /// `torn` says why it stopped if not at erased flash.
    End {
        stop: u32,
        torn: Option<(u32, FailureKind)>,
    },
}

/// A place in the log and the chain's state there.
#[derive(Clone, Debug)]
struct Cursor {
    page: u32,
    off: u32,
    chain: Chain,
    /// Where the next page's header says this page's entries end, once read.
    end_seq: Option<u64>,
}

/// A discontinuity between pages: entries `from..to` are not on flash.
type Gap = Option<(u64, u64)>;

fn widen(gap: &mut Gap, from: u64, to: u64) {
    if gap.is_none_or(|(_, t)| to > t) {
        *gap = Some((from, to));
    }
}

/// A batch of whole frames copied out by [`FlashLog::read_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The first entry's sequence number (the next one to write, if none).
    pub first_seq: u64,
    /// How many entries.
    pub count: u64,
    /// Bytes of frames at the start of the buffer.
    pub len: usize,
    /// Where the chain stood before the first entry.
    pub start: Anchor,
}

/// The ring of flash pages under [`FlashLedger`](super::FlashLedger); a
/// [`Storage`] for the core writer that accepts only frames continuing
/// its chain.
#[derive(Debug)]
pub struct FlashLog<F> {
    flash: F,
    region: Region,
    page_size: u32,
    ledger: LedgerId,
    chain: Chain,
    confirmed: u64,
    durable: u64,
    active: u32,
    tail: u32,
    pos: u32,
    sealed: bool,
    cursor: Cursor,
}

impl<F: NorFlash> FlashLog<F> {
    fn unopened(flash: F, region: Region, ledger: LedgerId) -> Result<Self, F::Error> {
        region.check::<F>(flash.capacity()).map_err(FlashError::Region)?;
        let genesis = Chain::new(Anchor::genesis(&ledger));
        let page_size = u(F::ERASE_SIZE);
        Ok(Self {
            flash,
            region,
            page_size,
            ledger,
            chain: genesis.clone(),
            confirmed: 0,
            durable: 0,
            active: 0,
            tail: 0,
            pos: 0,
            sealed: false,
            cursor: Cursor { page: 0, off: 0, chain: genesis, end_seq: None },
        })
    }

    const fn word() -> u32 {
        u(F::WRITE_SIZE)
    }

    const fn align(x: u32) -> u32 {
        x.div_ceil(Self::word()) * Self::word()
    }

    const fn header_len() -> u32 {
        Self::align(u(HEADER_LEN))
    }

    const fn page_addr(&self, page_no: u32) -> u32 {
        self.region.start + (page_no % self.region.pages) * self.page_size
    }

    pub(super) fn format(flash: F, region: Region, ledger: LedgerId) -> Result<Self, F::Error> {
        let mut log = Self::unopened(flash, region, ledger)?;
        for page in 0..region.pages {
            log.erase(page)?;
        }
        let header =
            PageHeader { page_no: 0, ledger, anchor: Anchor::genesis(&ledger), confirmed: 0 };
        log.write(log.page_addr(0), &header.encode())?;
        log.pos = Self::header_len();
        log.cursor.off = Self::header_len();
        Ok(log)
    }

    pub(super) fn open(
        flash: F,
        region: Region,
        ledger: LedgerId,
        buf: &mut [u8],
    ) -> Result<Self, F::Error> {
        let mut log = Self::unopened(flash, region, ledger)?;
        let pages = region.pages;
        // The newest page is the valid header with the highest page number.
        let mut newest: Option<PageHeader> = None;
        for phys in 0..pages {
            let Some(h) = log.header_at(region.start + phys * log.page_size)? else { continue };
            if h.page_no % pages != phys {
                continue;
            }
            if h.ledger != ledger {
                return Err(FlashError::WrongLedger { found: h.ledger });
            }
            if newest.is_none_or(|n| h.page_no > n.page_no) {
                newest = Some(h);
            }
        }
        let Some(newest) = newest else {
            let end = region.start + pages * log.page_size;
            return Err(if log.blank(region.start, end)? {
                FlashError::Blank
            } else {
                FlashError::Unrecognized
            });
        };
        // The live pages run back from it while their numbers follow on.
        let mut oldest = newest;
        let mut confirmed = newest.confirmed;
        for back in 1..pages {
            let Some(page_no) = newest.page_no.checked_sub(back) else { break };
            match log.header(page_no)? {
                Some(h) => {
                    confirmed = confirmed.max(h.confirmed);
                    oldest = h;
                }
                None => break,
            }
        }
        let mut gap: Gap = None;
        if oldest.page_no == 0 {
            let genesis = Anchor::genesis(&ledger);
            if oldest.anchor != genesis {
                return Err(FlashError::Corrupted {
                    seq: 0,
                    offset: log.page_addr(0),
                    kind: FailureKind::HashMismatch { expected: genesis, found: oldest.anchor },
                });
            }
        } else if oldest.anchor.next_seq > 0 {
            // Pages before it were erased: their entries must have been confirmed.
            widen(&mut gap, 0, oldest.anchor.next_seq);
        }
        log.active = newest.page_no;
        log.tail = oldest.page_no;
        let start = Cursor {
            page: oldest.page_no,
            off: Self::header_len(),
            chain: Chain::new(oldest.anchor),
            end_seq: None,
        };
        let mut at = start.clone();
        let (stop, torn) = loop {
            match log.step(&mut at, buf, log.page_size, &mut gap)? {
                Step::Entry { .. } => {}
                Step::Confirm(v) => confirmed = confirmed.max(v),
                Step::TooBig(need) => return Err(FlashError::BufferTooSmall { need }),
                Step::End { stop, torn } => break (stop, torn),
            }
        };
        let base = log.page_addr(log.active);
        if let Some((extent, why)) = torn {
            // A torn write leaves its own bytes and nothing after them.
            let after = stop.saturating_add(extent).min(log.page_size);
            if !log.blank(base + after, base + log.page_size)? {
                return Err(FlashError::Corrupted {
                    seq: at.chain.anchor().next_seq,
                    offset: base + stop,
                    kind: why,
                });
            }
        }
        let head = at.chain.anchor();
        if let Some((from, to)) = gap
            && to > confirmed
        {
            return Err(FlashError::Missing { from: from.max(confirmed), to });
        }
        if confirmed > head.next_seq {
            return Err(FlashError::Corrupted {
                seq: head.next_seq,
                offset: base + stop,
                kind: FailureKind::SequenceGap { expected: head.next_seq, found: confirmed },
            });
        }
        log.chain = at.chain;
        log.confirmed = confirmed;
        log.durable = confirmed;
        log.pos = stop;
        log.sealed = torn.is_some();
        log.cursor = start;
        Ok(log)
    }

    /// Takes one step of a walk from `at`: the next entry or confirm
    /// record, moving on to the next page where one ends. `limit` is where
    /// records end in the newest page.
    ///
    /// An older page's entries end where the next page's header anchor
    /// says: an entry at or past it was written but never acknowledged (its
    /// write reported an error, and the next page was opened without it),
    /// so it is not part of the ledger. Between pages, a header that does
    /// not continue the chain where the previous page stopped widens `gap`
    /// (entries missing, or disagreeing with the header) and the chain
    /// restarts at the header.
    fn step(
        &mut self,
        at: &mut Cursor,
        buf: &mut [u8],
        limit: u32,
        gap: &mut Gap,
    ) -> Result<Step, F::Error> {
        loop {
            let base = self.page_addr(at.page);
            let end = if at.page == self.active { limit } else { self.page_size };
            let end_seq = if at.page == self.active {
                u64::MAX
            } else if let Some(e) = at.end_seq {
                e
            } else {
                let e = self.header(at.page + 1)?.map_or(u64::MAX, |h| h.anchor.next_seq);
                at.end_seq = Some(e);
                e
            };
            let rec = if at.off < end {
                self.record_at(base + at.off, base + end, buf)?
            } else {
                Rec::Blank
            };
            let torn = match rec {
                Rec::Confirm(v) if v <= at.chain.anchor().next_seq => {
                    at.off += Self::align(u(CONFIRM_LEN));
                    return Ok(Step::Confirm(v));
                }
                Rec::Confirm(v) => Some((
                    Self::align(u(CONFIRM_LEN)),
                    FailureKind::SequenceGap { expected: at.chain.anchor().next_seq, found: v },
                )),
                Rec::Frame(len) => {
                    let mut chain = at.chain.clone();
                    let followed = frame::parse(buf.get(..len).unwrap_or_default())
                        .map_err(FailureKind::Frame)
                        .and_then(|f| chain.follow(f.body).map(|f| f.header.seq));
                    match followed {
                        Ok(seq) if seq < end_seq => {
                            at.chain = chain;
                            at.off += Self::align(u(len));
                            return Ok(Step::Entry { seq, len });
                        }
                        Ok(_) => None,
                        Err(why) => Some((Self::align(u(len)), why)),
                    }
                }
                Rec::TooBig(need) => return Ok(Step::TooBig(need)),
                Rec::Invalid { extent, why } => Some((extent, why)),
                Rec::Blank => None,
            };
            if at.page == self.active {
                return Ok(Step::End { stop: at.off, torn });
            }
            // Records in this page end here; the next page says where the chain goes on.
            let next = at.page + 1;
            let Some(h) = self.header(next)? else { return Err(FlashError::Unrecognized) };
            let here = at.chain.anchor();
            if h.anchor != here {
                if h.anchor.next_seq > here.next_seq {
                    widen(gap, here.next_seq, h.anchor.next_seq);
                } else {
                    // Not something power loss leaves: the last entries
                    // disagree with the header written after them.
                    widen(gap, h.anchor.next_seq.saturating_sub(1), here.next_seq);
                }
                at.chain = Chain::new(h.anchor);
            }
            at.page = next;
            at.off = Self::header_len();
            at.end_seq = None;
        }
    }

    /// Classifies the bytes at `addr` (records end by `end`); an intact
    /// frame is left at the start of `buf`.
    fn record_at(&mut self, addr: u32, end: u32, buf: &mut [u8]) -> Result<Rec, F::Error> {
        let avail = end - addr;
        let mut head = [0u8; 16];
        let n = head.len().min(avail as usize);
        let head = head.get_mut(..n).unwrap_or_default();
        self.read(addr, head)?;
        let first = head.first().copied().unwrap_or(0xFF);
        if first == 0xFF && self.blank(addr, end)? {
            return Ok(Rec::Blank);
        }
        let bad_frame = |e| FailureKind::Frame(e);
        if first == 0x00 {
            let extent = Self::align(u(CONFIRM_LEN)).min(avail);
            if let Some(rec) = head.get(..CONFIRM_LEN) {
                let value = u64::from_le_bytes(take(rec, 2));
                if *rec == confirm_record(value) {
                    return Ok(Rec::Confirm(value));
                }
            }
            let why = bad_frame(FrameError::BadLength { len: 0 });
            return Ok(Rec::Invalid { extent, why });
        }
        let len = match varint::decode(head) {
            Ok((len, prefix))
                if len > 0 && len <= MAX_BODY_LEN as u64 && prefix == varint::len(len) =>
            {
                usize::try_from(len).unwrap_or(MAX_BODY_LEN)
            }
            Ok((len, _)) => {
                let why = bad_frame(FrameError::BadLength { len });
                return Ok(Rec::Invalid { extent: Self::word().min(avail), why });
            }
            Err(_) => {
                let why = bad_frame(FrameError::BadLength { len: u64::MAX });
                return Ok(Rec::Invalid { extent: Self::word().min(avail), why });
            }
        };
        let flen = frame::frame_len(len);
        if u(flen) > avail {
            let why = bad_frame(FrameError::Truncated { have: avail as usize, need: flen });
            return Ok(Rec::Invalid { extent: avail, why });
        }
        let extent = Self::align(u(flen)).min(avail);
        let Some(dst) = buf.get_mut(..flen) else {
            // Too long for the buffer: check its CRC in pieces to tell a
            // real entry from torn bytes.
            return Ok(match self.crc_in_place(addr, flen)? {
                Ok(()) => Rec::TooBig(flen),
                Err(e) => Rec::Invalid { extent, why: bad_frame(e) },
            });
        };
        self.read(addr, dst)?;
        Ok(match frame::parse(dst) {
            Ok(f) if f.len == flen => Rec::Frame(flen),
            Ok(_) => Rec::Invalid { extent, why: bad_frame(FrameError::BadLength { len: 0 }) },
            Err(e) => Rec::Invalid { extent, why: bad_frame(e) },
        })
    }

    /// Checks the CRC of the `flen`-byte frame at `addr` without holding it.
    fn crc_in_place(
        &mut self,
        addr: u32,
        flen: usize,
    ) -> Result<core::result::Result<(), FrameError>, F::Error> {
        let covered = flen - frame::CRC_LEN;
        let mut digest = CRC32C.digest();
        let mut chunk = [0u8; 64];
        let mut done = 0;
        while done < covered {
            let n = chunk.len().min(covered - done);
            let piece = chunk.get_mut(..n).unwrap_or_default();
            self.read(addr + u(done), piece)?;
            digest.update(piece);
            done += n;
        }
        let mut stored = [0u8; 4];
        self.read(addr + u(covered), &mut stored)?;
        let (stored, computed) = (u32::from_le_bytes(stored), digest.finalize());
        Ok(if stored == computed {
            Ok(())
        } else {
            Err(FrameError::BadChecksum { stored, computed })
        })
    }

    /// The valid header of page `page_no`, if its page holds that page.
    fn header(&mut self, page_no: u32) -> Result<Option<PageHeader>, F::Error> {
        let h = self.header_at(self.page_addr(page_no))?;
        Ok(h.filter(|h| h.page_no == page_no && h.ledger == self.ledger))
    }

    fn header_at(&mut self, addr: u32) -> Result<Option<PageHeader>, F::Error> {
        let mut b = [0u8; HEADER_LEN];
        self.read(addr, &mut b)?;
        Ok(PageHeader::decode(&b))
    }

    /// Reads any range, whatever the flash's read size.
    fn read(&mut self, addr: u32, out: &mut [u8]) -> Result<(), F::Error> {
        let r = F::READ_SIZE;
        if r == 1 {
            return self.flash.read(addr, out).map_err(FlashError::Flash);
        }
        let mut scratch = [0u8; MAX_WORD];
        let mut done = 0;
        while done < out.len() {
            let a = addr + u(done);
            let skip = a as usize % r;
            let want = out.len() - done;
            if skip == 0 && want >= r {
                let n = want - want % r;
                let dst = out.get_mut(done..done + n).unwrap_or_default();
                self.flash.read(a, dst).map_err(FlashError::Flash)?;
                done += n;
            } else {
                let word = scratch.get_mut(..r).unwrap_or_default();
                self.flash.read(a - u(skip), word).map_err(FlashError::Flash)?;
                let n = (r - skip).min(want);
                let src = word.get(skip..skip + n).unwrap_or_default();
                out.get_mut(done..done + n).unwrap_or_default().copy_from_slice(src);
                done += n;
            }
        }
        Ok(())
    }

    /// Writes `bytes` at the word-aligned `addr`, padding the last word with 0xFF.
    fn write(&mut self, addr: u32, bytes: &[u8]) -> Result<(), F::Error> {
        let w = F::WRITE_SIZE;
        let whole = bytes.len() - bytes.len() % w;
        let (body, rest) = bytes.split_at(whole);
        if !body.is_empty() {
            self.flash.write(addr, body).map_err(FlashError::Flash)?;
        }
        if !rest.is_empty() {
            let mut word = [0xFFu8; MAX_WORD];
            let word = word.get_mut(..w).unwrap_or_default();
            word.iter_mut().zip(rest).for_each(|(d, s)| *d = *s);
            self.flash.write(addr + u(whole), word).map_err(FlashError::Flash)?;
        }
        Ok(())
    }

    fn erase(&mut self, page_no: u32) -> Result<(), F::Error> {
        let from = self.page_addr(page_no);
        self.flash.erase(from, from + self.page_size).map_err(FlashError::Flash)
    }

    /// Whether every byte in `from..to` is erased.
    fn blank(&mut self, from: u32, to: u32) -> Result<bool, F::Error> {
        let mut chunk = [0u8; MAX_WORD * 2];
        let mut at = from;
        while at < to {
            let n = chunk.len().min((to - at) as usize);
            let piece = chunk.get_mut(..n).unwrap_or_default();
            self.read(at, piece)?;
            if piece.iter().any(|b| *b != 0xFF) {
                return Ok(false);
            }
            at += u(n);
        }
        Ok(true)
    }

    /// Opens the next page and writes its header with the chain's anchor
    /// and the confirmed point, which makes the confirmation durable.
    /// Nothing is ever written after the old page's last record.
    ///
    /// One page is always kept free, so that a rotation never has to erase
    /// a page whose entries are confirmed only in RAM: when opening the
    /// next page fills the ring, the oldest page must be wholly confirmed,
    /// and it is erased right after the new header carries that
    /// confirmation. A cut between the two leaves the ring full; the next
    /// rotation erases the oldest page first.
    fn rotate(&mut self) -> Result<(), F::Error> {
        let pages = u64::from(self.region.pages);
        if self.live() >= pages {
            self.free_tail(self.durable)?;
        }
        if self.live() + 1 >= pages && self.tail_end()? > self.confirmed {
            return Err(FlashError::Full);
        }
        let next = self.active.checked_add(1).ok_or(FlashError::Exhausted)?;
        let at = self.page_addr(next);
        let confirmed = self.confirmed;
        let header = PageHeader {
            page_no: next,
            ledger: self.ledger,
            anchor: self.chain.anchor(),
            confirmed,
        };
        let opened = match self.blank(at, at + self.page_size) {
            Ok(true) => self.write(at, &header.encode()),
            Ok(false) => self.erase(next).and_then(|()| self.write(at, &header.encode())),
            Err(e) => Err(e),
        };
        if let Err(e) = opened {
            // The new header may be on flash after all: nothing more may be
            // written to the old page, or it would end up behind that header.
            self.sealed = true;
            return Err(e);
        }
        self.active = next;
        self.pos = Self::header_len();
        self.sealed = false;
        self.durable = confirmed;
        if self.live() >= pages {
            self.free_tail(self.durable)?;
        }
        Ok(())
    }

    /// Pages holding records (the oldest through the one being written).
    fn live(&self) -> u64 {
        u64::from(self.active) - u64::from(self.tail) + 1
    }

    /// The sequence number after the oldest page's last entry.
    fn tail_end(&mut self) -> Result<u64, F::Error> {
        if self.tail == self.active {
            return Ok(self.chain.anchor().next_seq);
        }
        let successor = self.header(self.tail + 1)?.ok_or(FlashError::Unrecognized)?;
        Ok(successor.anchor.next_seq)
    }

    /// Erases the oldest page if `covered` confirms all its entries.
    fn free_tail(&mut self, covered: u64) -> Result<(), F::Error> {
        if self.tail == self.active {
            return Err(FlashError::Full);
        }
        let successor = self.header(self.tail + 1)?.ok_or(FlashError::Unrecognized)?;
        if successor.anchor.next_seq > covered {
            return Err(FlashError::Full);
        }
        self.erase(self.tail)?;
        self.drop_tail(successor);
        Ok(())
    }

    /// The oldest page was erased; `successor` is the new oldest.
    fn drop_tail(&mut self, successor: PageHeader) {
        self.tail = successor.page_no;
        if self.cursor.page < self.tail {
            self.cursor = Cursor {
                page: self.tail,
                off: Self::header_len(),
                chain: Chain::new(successor.anchor),
                end_seq: None,
            };
        }
    }

    /// See [`FlashLedger::confirm`](super::FlashLedger::confirm).
    ///
    /// # Errors
    /// As there.
    pub fn confirm(&mut self, up_to_seq: u64) -> Result<(), F::Error> {
        let next_seq = self.chain.anchor().next_seq;
        if up_to_seq >= next_seq {
            return Err(FlashError::NotWritten { seq: up_to_seq, next_seq });
        }
        let value = up_to_seq + 1;
        if value > self.confirmed {
            self.confirmed = value;
            let need = Self::align(u(CONFIRM_LEN));
            if self.sealed || self.pos + need > self.page_size {
                // A new page's header carries the confirmation; if no page
                // can be opened now, the next rotation will.
                match self.rotate() {
                    Ok(()) | Err(FlashError::Full) => {}
                    Err(e) => return Err(e),
                }
            } else {
                let addr = self.page_addr(self.active) + self.pos;
                if let Err(e) = self.write(addr, &confirm_record(value)) {
                    self.sealed = true;
                    return Err(e);
                }
                self.pos += need;
                self.durable = value;
            }
        }
        // Erase the pages whose entries are all durably confirmed, oldest first.
        while self.tail < self.active {
            match self.free_tail(self.durable) {
                Ok(()) => {}
                Err(FlashError::Full) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// See [`FlashLedger::read_batch`](super::FlashLedger::read_batch).
    ///
    /// # Errors
    /// As there.
    pub fn read_batch(&mut self, out: &mut [u8]) -> Result<Batch, F::Error> {
        let mut at = self.cursor.clone();
        let mut batch = Batch {
            first_seq: self.chain.anchor().next_seq,
            count: 0,
            len: 0,
            start: self.chain.anchor(),
        };
        let mut gap: Gap = None;
        loop {
            let before = at.chain.anchor();
            let room = out.get_mut(batch.len..).unwrap_or_default();
            let step = self.step(&mut at, room, self.pos, &mut gap)?;
            if let Some((from, to)) = gap
                && to > self.confirmed
            {
                return Err(FlashError::Missing { from: from.max(self.confirmed), to });
            }
            match step {
                Step::Entry { seq, len } => {
                    if seq < self.confirmed {
                        // Already confirmed: the cursor moves past it for good.
                        self.cursor = at.clone();
                        continue;
                    }
                    if batch.count == 0 {
                        batch.first_seq = seq;
                        batch.start = before;
                    }
                    batch.count += 1;
                    batch.len += len;
                }
                Step::Confirm(_) => {
                    if batch.count == 0 {
                        self.cursor = at.clone();
                    }
                }
                Step::TooBig(need) => {
                    if batch.count == 0 {
                        return Err(FlashError::BufferTooSmall { need });
                    }
                    return Ok(batch);
                }
                Step::End { stop, torn } => {
                    if let Some((_, kind)) = torn {
                        let offset = self.page_addr(at.page) + stop;
                        return Err(FlashError::Corrupted {
                            seq: at.chain.anchor().next_seq,
                            offset,
                            kind,
                        });
                    }
                    return Ok(batch);
                }
            }
        }
    }

    /// Where the chain stands: the next sequence number and the last hash.
    #[must_use]
    pub fn head(&self) -> Anchor {
        self.chain.anchor()
    }

    /// The ledger's id.
    #[must_use]
    pub const fn ledger(&self) -> LedgerId {
        self.ledger
    }

    /// Entries below this sequence number are confirmed.
    #[must_use]
    pub const fn confirmed(&self) -> u64 {
        self.confirmed
    }

    /// Entries below this sequence number are confirmed on flash: after a
    /// reboot they are not forwarded again.
    #[must_use]
    pub const fn durable_confirmed(&self) -> u64 {
        self.durable
    }

    /// The page number of the page being written (pages opened so far, less one).
    #[must_use]
    pub const fn active_page(&self) -> u32 {
        self.active
    }

    /// The page number of the oldest page still holding records.
    #[must_use]
    pub const fn oldest_page(&self) -> u32 {
        self.tail
    }

    /// The flash address where the next record would go in the current
    /// page (unless it is [`sealed`](Self::sealed) or full).
    #[must_use]
    pub const fn next_address(&self) -> u32 {
        self.page_addr(self.active) + self.pos
    }

    /// Whether the next record goes to a new page because the current one
    /// ends in bytes recovery could not explain (a torn write).
    #[must_use]
    pub const fn sealed(&self) -> bool {
        self.sealed
    }

    /// The flash back.
    pub fn into_flash(self) -> F {
        self.flash
    }
}

impl<F: NorFlash> Storage for FlashLog<F> {
    type Error = FlashError<F::Error>;

    /// Stores `frame` if it is an intact frame whose entry continues the
    /// chain; a page is never written after bytes recovery could not explain.
    fn append(&mut self, frame_bytes: &[u8]) -> Result<(), F::Error> {
        let f =
            frame::parse(frame_bytes).map_err(|e| FlashError::Refused(FailureKind::Frame(e)))?;
        if f.len != frame_bytes.len() {
            let len = frame_bytes.len() as u64;
            return Err(FlashError::Refused(FailureKind::Frame(FrameError::BadLength { len })));
        }
        let mut chain = self.chain.clone();
        chain.follow(f.body).map_err(FlashError::Refused)?;
        let need = Self::align(u(f.len));
        if Self::header_len() + need > self.page_size {
            return Err(FlashError::TooLarge { len: f.len });
        }
        if self.sealed || self.pos + need > self.page_size {
            self.rotate()?;
        }
        let addr = self.page_addr(self.active) + self.pos;
        if let Err(e) = self.write(addr, frame_bytes) {
            self.sealed = true;
            return Err(e);
        }
        self.pos += need;
        self.chain = chain;
        Ok(())
    }
}

const _: () = assert!(HEADER_LEN == 4 + 4 + 16 + 8 + 32 + 8 + 4);
const _: () = assert!(size_of::<u64>() + CONFIRM_TAG.len() + 4 == CONFIRM_LEN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_crc() {
        let h = PageHeader {
            page_no: 7,
            ledger: LedgerId([3; 16]),
            anchor: Anchor { next_seq: 42, head: Digest([9; 32]) },
            confirmed: 40,
        };
        let b = h.encode();
        assert_eq!(&b[..4], b"LLF1");
        assert_eq!(PageHeader::decode(&b), Some(h));
        for i in 0..HEADER_LEN {
            let mut bad = b;
            bad[i] ^= 0x10;
            assert_eq!(PageHeader::decode(&bad), None, "flip at {i}");
        }
        assert_eq!(PageHeader::decode(&[0xFF; HEADER_LEN]), None);
    }

    #[test]
    fn confirm_record_layout() {
        let r = confirm_record(0x0102);
        assert_eq!(&r[..4], &[0, 1, 2, 1]);
        assert_eq!(u32::from_le_bytes(r[10..14].try_into().unwrap()), CRC32C.checksum(&r[..10]));
    }
}
