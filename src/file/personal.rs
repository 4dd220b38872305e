//! The personal-data store beside a file ledger: `LEDGER/personal/`, one
//! file per sealed value (`docs/PRIVACY.md`).
//!
//! A value's file is named by its commitment in lowercase hex (64 digits)
//! and holds the 32-byte key followed by the value's UTF-8 bytes, nothing
//! else. It is written to `<hex>.tmp`, synced, renamed into place and the
//! directory synced ([`PersonalStore::put`]) before the entry that commits
//! to it is appended, so the ledger never holds a commitment whose value
//! was not durably stored. Erasure ([`PersonalStore::erase`]) first writes
//! an empty marker `<hex>.erased` (it holds nothing but its name, which is
//! the commitment already in the ledger), then overwrites the value's file
//! and any temporary file of it with zeros, syncs and unlinks them, and
//! syncs the directory: no copy of the key or
//! value is left in any file the store keeps. Files are created with mode
//! 0600 and the directory with mode 0700 on Unix.
//!
//! Segment listing and the index cache never look inside this directory:
//! its name is not a segment name.

use std::format;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::string::{String, ToString as _};
use std::vec::Vec;

use super::Error;
use super::io::sync_dir;
use crate::model::Digest;
use crate::model::personal::{KEY_LEN, SealKey, commitment};

/// The store's directory name inside the ledger directory.
pub const PERSONAL_DIR: &str = "personal";

/// The suffix of a value being written (removed by the rename).
const TEMP_SUFFIX: &str = ".tmp";

/// The suffix of the empty marker an erasure leaves.
const ERASED_SUFFIX: &str = ".erased";

/// What the store says about one commitment.
#[derive(Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The value, which opens the commitment under its stored key.
    Value(String),
    /// Erased by `lotledger erase`: key and value are gone.
    Erased,
    /// Neither a value nor an erasure marker: the value was never stored
    /// here (sealed elsewhere) or its file was removed by hand.
    Missing,
    /// The file does not open the commitment: the key or value was changed,
    /// or the file is shorter than a key or not UTF-8.
    Tampered,
}

impl core::fmt::Debug for Lookup {
    /// Never shows the value.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Value(v) => write!(f, "Value(<{} bytes>)", v.len()),
            Self::Erased => f.write_str("Erased"),
            Self::Missing => f.write_str("Missing"),
            Self::Tampered => f.write_str("Tampered"),
        }
    }
}

/// The personal-data store of one file ledger.
#[derive(Clone, Debug)]
pub struct PersonalStore {
    dir: PathBuf,
}

/// The file name of a commitment's value.
fn file_name(c: &Digest) -> String {
    c.to_string()
}

/// The commitment a value file's name spells, if it is one.
fn parse_name(name: &str) -> Option<Digest> {
    if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    Digest::from_hex(name).ok()
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// Overwrites the file at `path` with zeros in place, syncs it, then
/// unlinks it; false when there is no such file. On a file system that
/// writes in place (ext4, XFS) the old blocks are overwritten; on a
/// copy-on-write or journalling-data one they may survive until reused
/// (docs/PRIVACY.md says what erasure does not guarantee).
fn shred(path: &Path) -> io::Result<bool> {
    let mut f = match OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut left = f.metadata()?.len();
    let zeros = [0u8; 4096];
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(zeros.len()).min(zeros.len());
        f.write_all(zeros.get(..n).unwrap_or_default())?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

impl PersonalStore {
    /// The store beside the ledger in `ledger_dir`, if it has one.
    #[must_use]
    pub fn open(ledger_dir: &Path) -> Option<Self> {
        let dir = ledger_dir.join(PERSONAL_DIR);
        dir.is_dir().then_some(Self { dir })
    }

    /// The store beside the ledger in `ledger_dir`, created (and the
    /// ledger directory synced) when it is not there yet.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::ReadOnly`] naming the directory, also when
    /// `personal` exists and is not a directory.
    pub fn create(ledger_dir: &Path) -> Result<Self, Error> {
        let dir = ledger_dir.join(PERSONAL_DIR);
        if dir.is_dir() {
            return Ok(Self { dir });
        }
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(|e| Error::io("create", &dir, e))?;
        sync_dir(ledger_dir).map_err(|e| Error::io("sync", ledger_dir, e))?;
        Ok(Self { dir })
    }

    /// The store's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `value` with the `key` that opens `commitment`, durably:
    /// temporary file, sync, rename, directory sync. Only after this has
    /// returned may the entry holding `commitment` be appended.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::ReadOnly`] naming the file (never the
    /// value); [`Error::Io`] with kind `InvalidInput` when `key` and `value`
    /// do not open `commitment`. Nothing is left in place on failure.
    pub fn put(&self, c: &Digest, key: &SealKey, value: &str) -> Result<(), Error> {
        let name = file_name(c);
        let path = self.dir.join(&name);
        if commitment(key, value) != *c {
            return Err(Error::io(
                "store",
                &path,
                io::Error::new(io::ErrorKind::InvalidInput, "key and value do not open it"),
            ));
        }
        let temp = self.dir.join(format!("{name}{TEMP_SUFFIX}"));
        let written = (|| {
            let mut f = create_private(&temp)?;
            f.write_all(key)?;
            f.write_all(value.as_bytes())?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::io("write", &temp, e));
        }
        if let Err(e) = fs::rename(&temp, &path) {
            let _ = fs::remove_file(&temp);
            return Err(Error::io("rename", &path, e));
        }
        sync_dir(&self.dir).map_err(|e| Error::io("sync", &self.dir, e))
    }

    /// Stores `value` as [`put`](Self::put) does, but without syncing the
    /// file or the directory: for a bulk writer (the demo) that calls
    /// [`sync`](Self::sync) once at the end, before it reports its ledger
    /// durable. Until then a crash may lose the value while an entry
    /// committing to it survives (the value is then `missing`).
    ///
    /// # Errors
    ///
    /// As for [`put`](Self::put).
    pub fn put_unsynced(&self, c: &Digest, key: &SealKey, value: &str) -> Result<(), Error> {
        let path = self.dir.join(file_name(c));
        if commitment(key, value) != *c {
            return Err(Error::io(
                "store",
                &path,
                io::Error::new(io::ErrorKind::InvalidInput, "key and value do not open it"),
            ));
        }
        let written = (|| {
            let mut f = create_private(&path)?;
            f.write_all(key)?;
            f.write_all(value.as_bytes())
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&path);
            Error::io("write", &path, e)
        })
    }

    /// Syncs every value file and the directory (after
    /// [`put_unsynced`](Self::put_unsynced)).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the file that could not be synced.
    pub fn sync(&self) -> Result<(), Error> {
        for c in self.commitments()? {
            let path = self.dir.join(file_name(&c));
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io("sync", &path, e))?;
        }
        sync_dir(&self.dir).map_err(|e| Error::io("sync", &self.dir, e))
    }

    /// What the store holds for `c`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file exists and cannot be read.
    pub fn get(&self, c: &Digest) -> Result<Lookup, Error> {
        let name = file_name(c);
        let path = self.dir.join(&name);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let marker = self.dir.join(format!("{name}{ERASED_SUFFIX}"));
                return Ok(if marker.exists() { Lookup::Erased } else { Lookup::Missing });
            }
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        let Some((key, value)) = bytes.split_at_checked(KEY_LEN) else {
            return Ok(Lookup::Tampered);
        };
        let Ok(key) = SealKey::try_from(key) else { return Ok(Lookup::Tampered) };
        let Ok(value) = core::str::from_utf8(value) else { return Ok(Lookup::Tampered) };
        if commitment(&key, value) != *c {
            return Ok(Lookup::Tampered);
        }
        Ok(Lookup::Value(value.into()))
    }

    /// Erases `c` durably: writes the empty erasure marker (synced), then
    /// overwrites the value's file and any temporary file of it with zeros,
    /// syncs and unlinks each, and syncs the directory.
    /// Returns whether a value (or a temporary copy) was there to delete.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::ReadOnly`] naming the file.
    pub fn erase(&self, c: &Digest) -> Result<bool, Error> {
        let name = file_name(c);
        let marker = self.dir.join(format!("{name}{ERASED_SUFFIX}"));
        create_private(&marker)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io("write", &marker, e))?;
        let mut deleted = false;
        for path in [self.dir.join(&name), self.dir.join(format!("{name}{TEMP_SUFFIX}"))] {
            deleted |= shred(&path).map_err(|e| Error::io("delete", &path, e))?;
        }
        sync_dir(&self.dir).map_err(|e| Error::io("sync", &self.dir, e))?;
        Ok(deleted)
    }

    /// The commitments of every value file in the store, in order.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory cannot be listed.
    pub fn commitments(&self) -> Result<Vec<Digest>, Error> {
        let io = |e| Error::io("list", &self.dir, e);
        let mut out = Vec::new();
        for item in fs::read_dir(&self.dir).map_err(io)? {
            let item = item.map_err(io)?;
            if let Some(c) = item.file_name().to_str().and_then(parse_name) {
                out.push(c);
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

impl PersonalStore {
    /// The commitments the store holds an erasure marker for, in order.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory cannot be listed.
    pub fn erased(&self) -> Result<Vec<Digest>, Error> {
        let io = |e| Error::io("list", &self.dir, e);
        let mut out = Vec::new();
        for item in fs::read_dir(&self.dir).map_err(io)? {
            let item = item.map_err(io)?;
            if let Some(c) = item
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(ERASED_SUFFIX))
                .and_then(parse_name)
            {
                out.push(c);
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;
    use std::vec;

    fn store() -> (tempfile::TempDir, PersonalStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = PersonalStore::create(dir.path()).unwrap();
        (dir, store)
    }

    /// Guards the file layout docs/PRIVACY.md gives: named by the
    /// commitment's hex, key then value, mode 0600; and the four answers.
    #[test]
    fn put_get_erase() {
        let (_d, store) = store();
        let key = [5u8; 32];
        let c = commitment(&key, "Jane Doe");
        assert_eq!(store.get(&c).unwrap(), Lookup::Missing);
        store.put(&c, &key, "Jane Doe").unwrap();
        let path = store.dir().join(c.to_string());
        let mut expected = key.to_vec();
        expected.extend_from_slice(b"Jane Doe");
        assert_eq!(fs::read(&path).unwrap(), expected);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(store.get(&c).unwrap(), Lookup::Value("Jane Doe".into()));
        assert_eq!(store.commitments().unwrap(), vec![c]);
        assert!(store.erase(&c).unwrap());
        assert_eq!(store.get(&c).unwrap(), Lookup::Erased);
        assert!(!path.exists());
        assert!(store.commitments().unwrap().is_empty());
        assert_eq!(store.erased().unwrap(), vec![c]);
        // Only the empty marker is left: no byte of the key or value.
        let left: Vec<_> = fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(left.len(), 1);
        assert_eq!(fs::metadata(&left[0]).unwrap().len(), 0);
        // Again: nothing left to delete.
        assert!(!store.erase(&c).unwrap());
    }

    /// Guards tamper detection: a changed value byte, a changed key byte and
    /// a cut file all fail the commitment.
    #[test]
    fn tampering_is_detected() {
        let (_d, store) = store();
        let key = [6u8; 32];
        let c = commitment(&key, "+41 79 555 01 23");
        store.put(&c, &key, "+41 79 555 01 23").unwrap();
        let path = store.dir().join(c.to_string());
        let good = fs::read(&path).unwrap();
        for (at, len) in [(40usize, None), (3, None), (0, Some(10usize))] {
            let mut bad = good.clone();
            match len {
                Some(n) => bad.truncate(n),
                None => bad[at] ^= 1,
            }
            fs::write(&path, &bad).unwrap();
            assert_eq!(store.get(&c).unwrap(), Lookup::Tampered, "at {at}");
        }
    }

    /// Guards that a store never keeps a value under a commitment it does
    /// not open, and that a failed write leaves no file behind.
    #[test]
    fn put_refuses_a_wrong_commitment() {
        let (_d, store) = store();
        let c = commitment(&[1; 32], "Jane Doe");
        assert!(store.put(&c, &[2; 32], "Jane Doe").is_err());
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 0);
    }
}
