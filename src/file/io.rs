//! The one seam between the writer and the operating system, so that
//! tests (and careful operators) can put a double between them: cut the
//! byte stream at any offset, fill the disk, fail a sync.

use core::fmt;
use std::boxed::Box;
use std::fs::File;
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::Arc;

/// What the writer does to a segment file. Every byte the writer stores
/// and every sync it relies on goes through these three calls.
pub trait SegmentFile: fmt::Debug + Send {
    /// Appends all of `bytes` at the end of the file (it is opened in append mode).
    ///
    /// # Errors
    /// The operating system's error; part of `bytes` may have been written.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// Makes everything written so far durable (`fdatasync`).
    ///
    /// # Errors
    /// The operating system's error; after one, nothing written since the
    /// last successful sync may be assumed durable.
    fn sync(&mut self) -> io::Result<()>;

    /// Cuts the file to `len` bytes.
    ///
    /// # Errors
    /// The operating system's error.
    fn truncate(&mut self, len: u64) -> io::Result<()>;

    /// A second handle to the same file, whose [`sync`](Self::sync) makes
    /// durable what was written through this one (group commit syncs on
    /// it from a background thread).
    ///
    /// # Errors
    /// The operating system's error.
    fn duplicate(&self) -> io::Result<Box<dyn SegmentFile>>;
}

impl SegmentFile for File {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(self, bytes)?;
        self.flush()
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn duplicate(&self) -> io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(self.try_clone()?))
    }
}

/// A function that wraps each segment file the writer opens (given the
/// file and its path), e.g. with a fault-injecting double.
pub type Wrapper = Arc<dyn Fn(File, &Path) -> Box<dyn SegmentFile> + Send + Sync>;

/// Where a [`FileLedger`](super::FileLedger) reads the time for group
/// commit's time limit ([`Options::clock`](super::Options::clock)).
pub type Clock = Arc<dyn Fn() -> std::time::Instant + Send + Sync>;

pub(super) fn wrap(wrapper: Option<&Wrapper>, file: File, path: &Path) -> Box<dyn SegmentFile> {
    match wrapper {
        Some(w) => w(file, path),
        None => Box::new(file),
    }
}

/// Syncs a directory so that a file created or renamed in it survives a power cut.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
