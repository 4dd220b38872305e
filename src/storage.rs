//! Where frames go. The core needs one operation, appending a whole frame;
//! a backend never knows what an entry means.
//!
//! Here: [`SliceStorage`], a caller-owned byte slice for tests and small
//! devices, and (with `alloc`) `Vec<u8>`.

use core::fmt;

/// A place frames are appended to, one after another.
pub trait Storage {
    /// What can go wrong in this backend.
    type Error;

    /// Appends one whole frame after the ones already stored.
    ///
    /// # Errors
    /// On failure the backend must not have made any of `frame` readable as
    /// a frame: either nothing was stored, or a torn tail that the frame
    /// checksum exposes and recovery removes.
    fn append(&mut self, frame: &[u8]) -> Result<(), Self::Error>;
}

/// A fixed byte slice filled from the front.
///
/// ```
/// use lotledger::storage::{SliceStorage, Storage};
/// let mut backing = [0u8; 8];
/// let mut s = SliceStorage::new(&mut backing);
/// s.append(b"abc")?;
/// assert_eq!(s.as_bytes(), b"abc");
/// assert!(s.append(b"too long").is_err());
/// assert_eq!(s.as_bytes(), b"abc"); // nothing partial was written
/// # Ok::<(), lotledger::storage::Full>(())
/// ```
#[derive(Debug)]
pub struct SliceStorage<'a> {
    buf: &'a mut [u8],
    len: usize,
}

/// The slice has no room for the frame; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    /// Bytes free.
    pub free: usize,
    /// Bytes needed.
    pub needed: usize,
}

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage full: {} bytes free, {} needed", self.free, self.needed)
    }
}

impl core::error::Error for Full {}

impl<'a> SliceStorage<'a> {
    /// Empty storage over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Storage over `buf` whose first `len` bytes already hold frames.
    /// `len` is clamped to the slice.
    pub fn with_len(buf: &'a mut [u8], len: usize) -> Self {
        let len = len.min(buf.len());
        Self { buf, len }
    }

    /// The bytes stored so far.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Bytes still free.
    #[must_use]
    pub fn free(&self) -> usize {
        self.buf.len().saturating_sub(self.len)
    }
}

impl Storage for SliceStorage<'_> {
    type Error = Full;

    fn append(&mut self, frame: &[u8]) -> Result<(), Full> {
        let full = Full { free: self.free(), needed: frame.len() };
        let end = self.len.checked_add(frame.len()).ok_or(full)?;
        self.buf.get_mut(self.len..end).ok_or(full)?.copy_from_slice(frame);
        self.len = end;
        Ok(())
    }
}

#[cfg(feature = "alloc")]
impl Storage for alloc::vec::Vec<u8> {
    type Error = core::convert::Infallible;

    fn append(&mut self, frame: &[u8]) -> Result<(), Self::Error> {
        self.extend_from_slice(frame);
        Ok(())
    }
}

impl<S: Storage + ?Sized> Storage for &mut S {
    type Error = S::Error;

    fn append(&mut self, frame: &[u8]) -> Result<(), S::Error> {
        (**self).append(frame)
    }
}
