//! Appending entries: encode into a caller-owned buffer, frame, hash, store.

use core::fmt;

use super::{Anchor, Chain, FailureKind, Receipt};
use crate::entry::{self, CodeRef, EncodeError, FORMAT_VERSION, HeaderRef, PrevLink, Stamp};
use crate::frame::{self, CRC_LEN, FrameError, MAX_BODY_LEN, MAX_LEN_PREFIX};
use crate::model::Record;
use crate::storage::Storage;

/// Appends entries to a [`Storage`], keeping the chain's head.
///
/// `B` is the scratch buffer an entry is encoded in (an array, a `&mut [u8]`
/// or a `Vec<u8>`): the writer never allocates. A buffer of
/// [`frame::MAX_FRAME_LEN`] bytes fits any entry; smaller ones fit the
/// entries a device actually writes and refuse the rest with
/// [`WriteError::Encode`].
///
/// An append either stores the whole entry and advances the head, or
/// returns an error and leaves the writer as it was.
#[derive(Debug)]
pub struct Writer<S, B> {
    storage: S,
    buffer: B,
    head: Anchor,
}

/// Why an append failed. Nothing was appended and the head did not move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError<E> {
    /// The storage backend failed.
    Storage(E),
    /// The entry does not fit the writer's buffer.
    Encode(EncodeError),
    /// The entry is longer than a frame may carry ([`frame::MAX_BODY_LEN`]).
    TooLarge {
        /// The entry's length.
        len: usize,
    },
    /// The ledger has used every sequence number.
    SequenceExhausted,
    /// A frame given to [`Writer::append_frame`] is damaged or does not
    /// continue the chain.
    NotNext(FailureKind),
}

impl<E: fmt::Display> fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Storage(e) => write!(f, "storage: {e}"),
            Self::Encode(e) => write!(f, "{e}"),
            Self::TooLarge { len } => {
                write!(f, "entry of {len} bytes exceeds the {MAX_BODY_LEN}-byte limit")
            }
            Self::SequenceExhausted => f.write_str("sequence numbers exhausted"),
            Self::NotNext(kind) => write!(f, "frame does not continue the chain: {kind}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for WriteError<E> {}

impl<S: Storage, B: AsMut<[u8]>> Writer<S, B> {
    /// A writer whose next entry continues `head`: [`Anchor::genesis`] for a
    /// new ledger, or the head a verifier reported for an existing one.
    pub const fn new(storage: S, buffer: B, head: Anchor) -> Self {
        Self { storage, buffer, head }
    }

    /// Appends `record` with `stamp` as the next entry.
    ///
    /// # Errors
    /// [`WriteError`]; the writer and the storage are unchanged.
    pub fn append(
        &mut self,
        stamp: &Stamp,
        record: &Record,
    ) -> Result<Receipt, WriteError<S::Error>> {
        let seq = self.head.next_seq;
        if seq == u64::MAX {
            return Err(WriteError::SequenceExhausted);
        }
        let header = HeaderRef {
            version: FORMAT_VERSION,
            seq,
            time: stamp.time,
            link: PrevLink::of(&self.head.head),
            actor: CodeRef::from(&stamp.actor),
            station: CodeRef::from(&stamp.station),
        };
        let buf = self.buffer.as_mut();
        let body_end = buf.len().saturating_sub(CRC_LEN);
        let body_area = buf
            .get_mut(MAX_LEN_PREFIX..body_end)
            .ok_or(WriteError::Encode(EncodeError::BufferTooSmall))?;
        let body_len =
            entry::encode_parts(&header, record, body_area).map_err(WriteError::Encode)?;
        if body_len > MAX_BODY_LEN {
            return Err(WriteError::TooLarge { len: body_len });
        }
        let hash = entry::hash(&self.head.head, body_area.get(..body_len).unwrap_or_default());
        let range = frame::seal(buf, body_len)
            .map_err(|_| WriteError::Encode(EncodeError::BufferTooSmall))?;
        self.storage.append(buf.get(range).unwrap_or_default()).map_err(WriteError::Storage)?;
        self.head = Anchor { next_seq: seq + 1, head: hash };
        Ok(Receipt { seq, hash })
    }

    /// Appends a frame written elsewhere (forwarded from a device, restored
    /// from an archive) exactly as it is, after checking that it is one
    /// intact frame and continues this chain.
    ///
    /// # Errors
    /// [`WriteError::NotNext`] naming what is wrong with it, or the
    /// storage's error; the writer and the storage are unchanged.
    pub fn append_frame(&mut self, frame: &[u8]) -> Result<Receipt, WriteError<S::Error>> {
        let parsed = frame::parse(frame).map_err(|e| WriteError::NotNext(FailureKind::Frame(e)))?;
        if parsed.len != frame.len() {
            let extra = FrameError::BadLength { len: frame.len() as u64 };
            return Err(WriteError::NotNext(FailureKind::Frame(extra)));
        }
        let mut chain = Chain::new(self.head);
        let step = chain.step(parsed.body).map_err(WriteError::NotNext)?;
        self.storage.append(frame).map_err(WriteError::Storage)?;
        self.head = chain.anchor();
        Ok(Receipt { seq: step.header.seq, hash: step.hash })
    }

    /// Where the chain stands: the next sequence number and the last hash.
    #[must_use]
    pub const fn head(&self) -> Anchor {
        self.head
    }

    /// The storage.
    #[must_use]
    pub const fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, mutably (for backend operations such as sync).
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// The storage and the buffer back.
    pub fn into_parts(self) -> (S, B) {
        (self.storage, self.buffer)
    }
}
