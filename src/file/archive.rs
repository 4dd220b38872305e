//! Archives of sealed segments (docs/STORAGE.md section 8): the manifest
//! that makes an archive directory verify on its own, its check, and the
//! durable file steps `lotledger archive` and `lotledger dispose` are made
//! of (copy, sync, rename, sync the directory; delete, sync the directory).
//!
//! An archive directory holds whole segment files moved out of a ledger,
//! unchanged (their headers carry their anchors), and `manifest.json`:
//! the ledger id, each segment's name, first sequence number, entry count,
//! length and SHA-256, the anchor the first segment starts from and the
//! head the last one ends at, each with the Merkle tree's peaks there. The
//! live ledger keeps a byte-identical copy of the latest manifest as
//! `archive-cut.json`: the documented cut it verifies from.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::string::{String, ToString as _};
use std::vec::Vec;
use std::{format, vec};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::segment;
use super::{Error, LedgerReader};
use crate::chain::Anchor;
use crate::model::{Digest, LedgerId, Record};
use crate::proof::CompactTree;

/// The manifest's file name in an archive directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The copy of the latest archive's manifest in the live ledger: its cut.
pub const CUT_FILE: &str = "archive-cut.json";
/// The signed checkpoint at the cut, in the archive, when a key was given.
pub const CHECKPOINT_FILE: &str = "cut.checkpoint";
/// The manifest's `format` value.
pub const MANIFEST_FORMAT: &str = "lotledger archive v1";

/// A point of the chain: the entry count there, the hash of the last entry
/// before it (the genesis hash at 0) and the peaks of the Merkle tree of the
/// entries before it (PROOFS.md; `CompactTree::peaks`, highest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutPoint {
    /// Entries before this point.
    pub seq: u64,
    /// The hash the next entry links to.
    pub head: Digest,
    /// The Merkle tree peaks of the entries before this point.
    pub tree: Vec<Digest>,
}

impl CutPoint {
    /// The chain anchor of this point.
    #[must_use]
    pub const fn anchor(&self) -> Anchor {
        Anchor { next_seq: self.seq, head: self.head }
    }

    /// The Merkle tree of the entries before this point, to be continued.
    ///
    /// # Errors
    /// A description when the peaks do not fit the entry count.
    pub fn tree(&self) -> Result<CompactTree, String> {
        let peaks: Vec<[u8; 32]> = self.tree.iter().map(|d| d.0).collect();
        CompactTree::restore(self.seq, &peaks).map_err(|e| e.to_string())
    }

    /// The point after `tree`'s entries, the last of which hashes to `head`.
    #[must_use]
    pub fn of(tree: &CompactTree, head: Digest) -> Self {
        Self { seq: tree.size(), head, tree: tree.peaks().iter().map(|p| Digest(*p)).collect() }
    }
}

/// One archived segment file as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedSegment {
    /// Its file name (`00000000000000000000.seg`).
    pub name: String,
    /// Its first entry's sequence number.
    pub first_seq: u64,
    /// Entries in it.
    pub entries: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// SHA-256 of the whole file.
    pub sha256: Digest,
}

/// An archive's `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// The ledger the segments belong to.
    pub ledger: LedgerId,
    /// Where the first archived segment starts.
    pub start: CutPoint,
    /// Where the last archived segment ends: the live ledger's cut.
    pub end: CutPoint,
    /// The segment files, in order.
    pub segments: Vec<ArchivedSegment>,
    /// The signed checkpoint at the cut in the archive ([`CHECKPOINT_FILE`]),
    /// when one was made.
    pub checkpoint: Option<String>,
}

impl Manifest {
    /// The bytes written to the file: pretty JSON and a line feed.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Reads the manifest at `path` and returns it with the SHA-256 of its bytes.
    ///
    /// # Errors
    /// [`ArchiveError::Io`] when it cannot be read; [`ArchiveError::BadManifest`]
    /// when it is no manifest of this format.
    pub fn read(path: &Path) -> Result<(Self, Digest), ArchiveError> {
        let bytes = fs::read(path).map_err(|e| ArchiveError::io("read", path, e))?;
        let bad = |why: String| ArchiveError::BadManifest { path: path.to_path_buf(), why };
        let manifest: Self = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(bad(format!("format {:?}, not {MANIFEST_FORMAT:?}", manifest.format)));
        }
        Ok((manifest, sha256(&bytes)))
    }

    /// The entries archived: `start.seq..end.seq`.
    #[must_use]
    pub const fn range(&self) -> core::ops::Range<u64> {
        self.start.seq..self.end.seq
    }
}

/// SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> Digest {
    Digest(sha2::Sha256::digest(bytes).into())
}

/// What is wrong with an archive, or why a step on it failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A file could not be read, written, synced or removed.
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The manifest is not valid JSON of [`Manifest`] or not this format.
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The archive's files do not match its manifest, or its chain does not
    /// verify: the archive was altered, or is incomplete.
    Mismatch {
        /// The file that does not match.
        path: PathBuf,
        /// How.
        why: String,
    },
    /// Reading a segment failed (damage is named by the file error).
    Storage(Error),
}

impl ArchiveError {
    fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        Self::Io { op, path: path.to_path_buf(), source }
    }
}

impl core::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Io { op, path, source } => write!(f, "cannot {op} {}: {source}", path.display()),
            Self::BadManifest { path, why } => {
                write!(f, "{}: not an archive manifest: {why}", path.display())
            }
            Self::Mismatch { path, why } => write!(f, "{}: {why}", path.display()),
            Self::Storage(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for ArchiveError {}

impl From<Error> for ArchiveError {
    fn from(e: Error) -> Self {
        Self::Storage(e)
    }
}

/// What [`verify`] found in an archive that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveCheck {
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of the manifest file (what `retention_applied.manifest` names).
    pub manifest_digest: Digest,
    /// Entries verified.
    pub entries: u64,
    /// Checkpoint entries whose root was checked against the tree.
    pub checkpoint_entries: u64,
}

/// Verifies the archive in `dir` on its own: the manifest, every listed
/// segment file (present, its length and SHA-256, no other segment file),
/// every entry's frame and chain link from the manifest's start anchor
/// (FORMAT.md "Verifying a ledger"), the entry count of each segment, the
/// end head, the Merkle tree from the start peaks to the end peaks, and the
/// root of each checkpoint entry.
///
/// # Errors
/// The first thing that does not match, as an [`ArchiveError`].
pub fn verify(dir: &Path) -> Result<ArchiveCheck, ArchiveError> {
    let path = dir.join(MANIFEST_FILE);
    let (manifest, manifest_digest) = Manifest::read(&path)?;
    let mismatch = |path: &Path, why: String| ArchiveError::Mismatch { path: path.into(), why };
    let (files, _) = segment::list(dir)?;
    for (first, file) in &files {
        if !manifest.segments.iter().any(|s| s.first_seq == *first) {
            return Err(mismatch(file, "a segment file the manifest does not list".into()));
        }
    }
    let mut expected_first = manifest.start.seq;
    for s in &manifest.segments {
        let file = dir.join(&s.name);
        if s.name != segment::file_name(s.first_seq) || s.first_seq != expected_first {
            return Err(mismatch(
                &path,
                format!("segment {} listed out of order or misnamed", s.name),
            ));
        }
        expected_first = s.first_seq.saturating_add(s.entries);
        let bytes = match fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(mismatch(&file, "listed in the manifest, missing".into()));
            }
            Err(e) => return Err(ArchiveError::io("read", &file, e)),
        };
        if bytes.len() as u64 != s.bytes || sha256(&bytes) != s.sha256 {
            return Err(mismatch(
                &file,
                format!(
                    "{} bytes with SHA-256 {}, the manifest lists {} bytes with {}",
                    bytes.len(),
                    sha256(&bytes),
                    s.bytes,
                    s.sha256
                ),
            ));
        }
    }
    if expected_first != manifest.end.seq {
        return Err(mismatch(
            &path,
            format!(
                "the segments hold entries {}..{expected_first}, the end is {}",
                manifest.start.seq, manifest.end.seq
            ),
        ));
    }
    if manifest.segments.is_empty() {
        return Err(mismatch(&path, "lists no segment".into()));
    }
    let reader = LedgerReader::open(dir)?;
    if reader.ledger_id() != manifest.ledger {
        return Err(mismatch(
            &path,
            format!("names ledger {}, the segments are of {}", manifest.ledger, reader.ledger_id()),
        ));
    }
    let mut tree = manifest.start.tree().map_err(|why| mismatch(&path, why))?;
    let mut entries = reader.entries()?;
    let mut per_segment = vec![0u64; manifest.segments.len()];
    let mut checkpoint_entries = 0;
    let mut count = 0;
    for item in entries.by_ref() {
        let e = item?;
        if let Ok(Record::Checkpointed(c)) = e.record() {
            if c.size != e.header.seq || c.root.0 != tree.root() {
                return Err(mismatch(
                    &dir.join(segment::file_name(e.segment)),
                    format!("checkpoint entry {} does not match the tree", e.header.seq),
                ));
            }
            checkpoint_entries += 1;
        }
        tree.push_entry(&e.hash.0).map_err(|e| mismatch(&path, e.to_string()))?;
        if let Some(c) = manifest
            .segments
            .iter()
            .position(|s| s.first_seq == e.segment)
            .and_then(|n| per_segment.get_mut(n))
        {
            *c += 1;
        }
        count += 1;
    }
    if let Some(t) = entries.tail() {
        return Err(mismatch(&t.path, format!("{} bytes after the last entry", t.len)));
    }
    if entries.start() != Some(manifest.start.anchor()) {
        return Err(mismatch(&path, "the first segment does not start at the start anchor".into()));
    }
    for (s, n) in manifest.segments.iter().zip(&per_segment) {
        if *n != s.entries {
            return Err(mismatch(
                &dir.join(&s.name),
                format!("holds {n} entries, the manifest lists {}", s.entries),
            ));
        }
    }
    if entries.head() != Some(manifest.end.anchor())
        || CutPoint::of(&tree, manifest.end.head) != manifest.end
    {
        return Err(mismatch(
            &path,
            "the chain or the Merkle tree does not end where the manifest's end says".into(),
        ));
    }
    Ok(ArchiveCheck { manifest, manifest_digest, entries: count, checkpoint_entries })
}

/// Writes `bytes` to `path` durably: to `path` + `.tmp`, synced, renamed,
/// the directory synced. A crash leaves the old file or the new one.
///
/// # Errors
/// [`ArchiveError::Io`] naming the step that failed.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut tmp = std::ffi::OsString::from(path.as_os_str());
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = File::create(&tmp).map_err(|e| ArchiveError::io("create", &tmp, e))?;
    file.write_all(bytes).map_err(|e| ArchiveError::io("write", &tmp, e))?;
    file.sync_all().map_err(|e| ArchiveError::io("sync", &tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| ArchiveError::io("rename", &tmp, e))?;
    sync_parent(path)
}

/// Copies the segment file `src` into `dir` under its own name, durably
/// ([`write_durably`]), unless a file of exactly its bytes is there
/// already (a re-run). Returns its manifest line.
///
/// # Errors
/// [`ArchiveError::Io`] naming the step that failed.
pub fn copy_segment(
    src: &Path,
    first_seq: u64,
    entries: u64,
    dir: &Path,
) -> Result<ArchivedSegment, ArchiveError> {
    let bytes = fs::read(src).map_err(|e| ArchiveError::io("read", src, e))?;
    let name = segment::file_name(first_seq);
    let dst = dir.join(&name);
    if fs::read(&dst).ok().as_deref() != Some(bytes.as_slice()) {
        write_durably(&dst, &bytes)?;
    }
    Ok(ArchivedSegment {
        name,
        first_seq,
        entries,
        bytes: bytes.len() as u64,
        sha256: sha256(&bytes),
    })
}

/// Removes `paths` (each missing one is already gone) and syncs their
/// directories, so that the removal is durable.
///
/// # Errors
/// [`ArchiveError::Io`] naming the file.
pub fn remove_durably(paths: &[PathBuf]) -> Result<(), ArchiveError> {
    for p in paths {
        match fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(ArchiveError::io("remove", p, e)),
        }
        sync_parent(p)?;
    }
    Ok(())
}

fn sync_parent(path: &Path) -> Result<(), ArchiveError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| ArchiveError::io("sync", dir, e))
}
