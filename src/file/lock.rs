//! One writer per ledger: an advisory lock on a `LOCK` file in the ledger
//! directory, taken with [`File::try_lock`] (`flock` on Unix, `LockFileEx`
//! on Windows). The lock belongs to the open file, so it is released when
//! the writer is dropped or its process dies, even by `SIGKILL`: a crashed
//! writer never leaves a stale lock behind. Readers do not take it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use super::Error;

/// The name of the lock file in a ledger directory.
pub const LOCK_FILE: &str = "LOCK";

/// A held writer lock; released on drop.
#[derive(Debug)]
pub(super) struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the writer lock of `dir`.
    pub(super) fn acquire(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::io("lock", &path, source))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked { dir: dir.to_path_buf() }),
            Err(TryLockError::Error(source)) => Err(Error::io("lock", &path, source)),
        }
    }
}
