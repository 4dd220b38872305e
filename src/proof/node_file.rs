//! The Merkle tree of a file ledger, kept beside it: every complete node in
//! post-order (the layout of [`store`](super::store)), 32 bytes each, just
//! under two hashes per entry. Proofs read O(log n) of them; nothing is
//! rewritten and the ledger is never reread to answer.
//!
//! The file is derived data: the ledger is the truth. Opening checks the
//! file against the ledger's entry hashes it is given and cuts or rebuilds
//! whatever does not match (a torn write, a file from before a recovery).

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::merkle::{CompactTree, HASH_LEN, Hash, NodeId, leaf_hash, stored_nodes};
use super::store::NodeSource;

/// The complete nodes of a ledger's Merkle tree, in a file.
#[derive(Debug)]
pub struct NodeFile {
    path: PathBuf,
    file: File,
    tree: CompactTree,
    /// The first leaf whose nodes the file held with other values, when
    /// [`open`](Self::open) rebuilt it from there.
    disagreed_at: Option<u64>,
    /// Opened by [`open_shared`](Self::open_shared): not to be extended.
    shared: bool,
}

/// Up to 65 nodes (a leaf and the parents it completes), as bytes.
struct Emitted {
    bytes: [u8; HASH_LEN * 65],
    len: usize,
}

impl Emitted {
    fn of(tree: &mut CompactTree, entry_hash: &Hash) -> io::Result<Self> {
        let mut e = Self { bytes: [0; HASH_LEN * 65], len: 0 };
        tree.push_leaf_hash(leaf_hash(entry_hash), |_, h| {
            if let Some(slot) = e.bytes.get_mut(e.len..e.len + HASH_LEN) {
                slot.copy_from_slice(h);
                e.len += HASH_LEN;
            }
        })
        .map_err(|err| io::Error::other(std::format!("{err}")))?;
        Ok(e)
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl NodeFile {
    /// Opens (or creates) the node file at `path` for a ledger whose entry
    /// hashes are `entry_hashes`, in sequence order. Rebuilds the tree from
    /// them while reading the file sequentially: the nodes that agree are
    /// kept, the file is cut where they stop agreeing (a torn write, a file
    /// from before a recovery) and the rest is written anew.
    ///
    /// # Errors
    /// I/O errors.
    pub fn open(
        path: impl AsRef<Path>,
        entry_hashes: impl IntoIterator<Item = Hash>,
    ) -> io::Result<Self> {
        Self::build(path.as_ref(), entry_hashes, false)
    }

    /// As [`open`](Self::open), for a reader that does not hold the
    /// ledger's writer lock: when every node the file holds for the entries
    /// agrees, nodes beyond them (a running writer's, ahead of the entries
    /// the reader saw) are left in place. A file opened so answers proofs
    /// and roots but is not extended: [`push_entry`](Self::push_entry)
    /// fails.
    ///
    /// # Errors
    /// I/O errors.
    pub fn open_shared(
        path: impl AsRef<Path>,
        entry_hashes: impl IntoIterator<Item = Hash>,
    ) -> io::Result<Self> {
        Self::build(path.as_ref(), entry_hashes, true)
    }

    fn build(
        path: &Path,
        entry_hashes: impl IntoIterator<Item = Hash>,
        shared: bool,
    ) -> io::Result<Self> {
        let path = path.to_path_buf();
        let file = OpenOptions::new().read(true).append(true).create(true).open(&path)?;
        let mut reader = BufReader::with_capacity(1 << 16, file.try_clone()?);
        let mut writer: Option<BufWriter<File>> = None;
        let mut tree = CompactTree::new();
        let mut stored = [0u8; HASH_LEN * 65];
        let mut disagreed_at = None;
        for hash in entry_hashes {
            let emitted = Emitted::of(&mut tree, &hash)?;
            let new = emitted.as_bytes();
            if writer.is_none() {
                let old = stored.get_mut(..new.len()).unwrap_or_default();
                match reader.read_exact(old) {
                    Ok(()) if old == new => continue,
                    // Nodes held with other values: damage, or a file from
                    // before a recovery. (A file that simply ends is only
                    // behind the ledger.)
                    Ok(()) => disagreed_at = Some(tree.size() - 1),
                    Err(_) => {}
                }
                // The file stops agreeing with the ledger here.
                let keep = stored_nodes(tree.size() - 1).unwrap_or(0) * HASH_LEN as u64;
                file.set_len(keep)?;
                writer = Some(BufWriter::with_capacity(1 << 16, file.try_clone()?));
            }
            if let Some(w) = writer.as_mut() {
                w.write_all(new)?;
            }
        }
        match writer {
            Some(mut w) => w.flush()?,
            // Everything agreed: drop nodes beyond the ledger's end, if any,
            // unless a writer may be adding them.
            None if shared => {}
            None => file.set_len(stored_nodes(tree.size()).unwrap_or(0) * HASH_LEN as u64)?,
        }
        Ok(Self { path, file, tree, disagreed_at, shared })
    }

    /// Opens the node file at `path` without reading the ledger, trusting it
    /// if it holds the nodes of exactly `size` leaves (extra nodes are cut)
    /// and its last leaf is that of `last_entry_hash`, the ledger's head.
    /// `None` when it does not: then rebuild it with [`open`](Self::open).
    /// Reads O(log n) nodes.
    ///
    /// # Errors
    /// I/O errors.
    pub fn open_at(
        path: impl AsRef<Path>,
        size: u64,
        last_entry_hash: &Hash,
    ) -> io::Result<Option<Self>> {
        let path = path.as_ref().to_path_buf();
        let file = match OpenOptions::new().read(true).append(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(nodes) = stored_nodes(size) else { return Ok(None) };
        let want = nodes * HASH_LEN as u64;
        if file.metadata()?.len() < want {
            return Ok(None);
        }
        let mut this =
            Self { path, file, tree: CompactTree::new(), disagreed_at: None, shared: false };
        if size > 0
            && this.read(NodeId { level: 0, index: size - 1 })? != leaf_hash(last_entry_hash)
        {
            return Ok(None);
        }
        let mut peaks = [[0u8; HASH_LEN]; 64];
        let mut count = 0;
        let mut before = 0u64;
        for level in (0..64u8).rev().filter(|l| size & (1u64 << l) != 0) {
            if let Some(slot) = peaks.get_mut(count) {
                *slot = this.read(NodeId { level, index: before >> level })?;
                count += 1;
            }
            before += 1u64 << level;
        }
        let Ok(tree) = CompactTree::restore(size, peaks.get(..count).unwrap_or_default()) else {
            return Ok(None);
        };
        this.tree = tree;
        this.file.set_len(want)?;
        Ok(Some(this))
    }

    /// Appends the leaf for the next entry hash, and the nodes it completes.
    ///
    /// # Errors
    /// I/O errors, and always for a file opened with
    /// [`open_shared`](Self::open_shared); the file may then end in a torn
    /// node, which the next [`open`](Self::open) cuts off.
    pub fn push_entry(&mut self, entry_hash: &Hash) -> io::Result<()> {
        if self.shared {
            return Err(io::Error::other("a node file opened shared is not extended"));
        }
        let emitted = Emitted::of(&mut self.tree, entry_hash)?;
        self.file.write_all(emitted.as_bytes())
    }

    /// Makes the appended nodes durable.
    ///
    /// # Errors
    /// I/O errors.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// The root of the tree over all entries so far.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// The first leaf (entry sequence number) from which the file held
    /// nodes with values other than the entries give, when
    /// [`open`](Self::open) found it so and rewrote it from there; `None`
    /// when every node it held agreed (it may have been behind, and was
    /// extended).
    #[must_use]
    pub const fn disagreed_at(&self) -> Option<u64> {
        self.disagreed_at
    }

    /// Where the file is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self, id: NodeId) -> io::Result<Hash> {
        let pos = id.postorder().ok_or_else(|| io::Error::other("node position out of range"))?;
        let mut out = [0u8; HASH_LEN];
        read_exact_at(&self.file, &mut out, pos * HASH_LEN as u64)?;
        Ok(out)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = buf.get_mut(n..).unwrap_or_default();
                offset += n as u64;
            }
        }
    }
    Ok(())
}

impl NodeSource for NodeFile {
    type Error = io::Error;

    fn size(&self) -> u64 {
        self.tree.size()
    }

    fn node(&self, id: NodeId) -> io::Result<Hash> {
        self.read(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::{MemoryStore, prove_consistency, prove_inclusion};
    use std::vec::Vec;

    fn hashes(n: u8) -> Vec<Hash> {
        (0..n).map(|i| [i; 32]).collect()
    }

    #[test]
    fn matches_the_memory_store_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.nodes");
        let all = hashes(37);
        let mut mem = MemoryStore::new();
        all.iter().for_each(|h| mem.push_entry(h).unwrap());
        // Built in two goes, with a reopen between.
        drop(NodeFile::open(&path, all[..20].iter().copied()).unwrap());
        let file = NodeFile::open(&path, all.iter().copied()).unwrap();
        assert_eq!(file.size(), 37);
        assert_eq!(file.root(), mem.root());
        assert_eq!(std::fs::read(&path).unwrap(), mem.nodes().concat());
        for size in [1, 20, 37] {
            for i in [0, size / 2, size - 1] {
                assert_eq!(
                    prove_inclusion(&file, i, size).unwrap().as_slice(),
                    prove_inclusion(&mem, i, size).unwrap().as_slice()
                );
            }
        }
        assert_eq!(
            prove_consistency(&file, 13, 37).unwrap().as_slice(),
            prove_consistency(&mem, 13, 37).unwrap().as_slice()
        );
    }

    #[test]
    fn open_at_trusts_a_current_file_and_refuses_a_stale_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.nodes");
        let all = hashes(29);
        assert!(NodeFile::open_at(&path, 0, &[0; 32]).unwrap().is_none());
        let built = NodeFile::open(&path, all.iter().copied()).unwrap();
        let root = built.root();
        drop(built);
        let mut fast = NodeFile::open_at(&path, 29, &all[28]).unwrap().expect("current file");
        assert_eq!((fast.size(), fast.root()), (29, root));
        // It continues where it was: the same nodes as building it whole.
        fast.push_entry(&[200; 32]).unwrap();
        let mut mem = MemoryStore::new();
        all.iter().chain([[200u8; 32]].iter()).for_each(|h| mem.push_entry(h).unwrap());
        assert_eq!(fast.root(), mem.root());
        drop(fast);
        assert_eq!(std::fs::read(&path).unwrap(), mem.nodes().concat());
        // The wrong head, or more leaves than the file holds: rebuild.
        assert!(NodeFile::open_at(&path, 30, &[7; 32]).unwrap().is_none());
        assert!(NodeFile::open_at(&path, 31, &[200; 32]).unwrap().is_none());
        // A shorter ledger (a recovery cut it): the file is cut to match.
        let cut = NodeFile::open_at(&path, 20, &all[19]).unwrap().expect("prefix");
        assert_eq!(cut.size(), 20);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), stored_nodes(20).unwrap() * 32);
    }

    /// Guards that a node file holding wrong values is reported, not just
    /// silently rewritten, and that one merely behind is not.
    #[test]
    fn open_reports_where_a_damaged_file_disagreed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.nodes");
        let all = hashes(16);
        drop(NodeFile::open(&path, all[..9].iter().copied()).unwrap());
        let behind = NodeFile::open(&path, all.iter().copied()).unwrap();
        assert_eq!(behind.disagreed_at(), None);
        let root = behind.root();
        drop(behind);
        // Flip one bit in the node at post-order position 11 (leaf 7's parent chain).
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[11 * 32] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let rebuilt = NodeFile::open(&path, all.iter().copied()).unwrap();
        assert_eq!(rebuilt.disagreed_at(), Some(7));
        assert_eq!(rebuilt.root(), root);
        let mut mem = MemoryStore::new();
        all.iter().for_each(|h| mem.push_entry(h).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), mem.nodes().concat());
    }

    /// Guards that a reader without the writer's lock leaves a running
    /// writer's nodes, ahead of the entries it saw, in place.
    #[test]
    fn open_shared_leaves_nodes_beyond_the_entries_and_is_not_extended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.nodes");
        let all = hashes(12);
        drop(NodeFile::open(&path, all.iter().copied()).unwrap());
        let whole = std::fs::read(&path).unwrap();
        let mut shared = NodeFile::open_shared(&path, all[..9].iter().copied()).unwrap();
        assert_eq!(shared.size(), 9);
        let mut mem = MemoryStore::new();
        all[..9].iter().for_each(|h| mem.push_entry(h).unwrap());
        assert_eq!(shared.root(), mem.root());
        assert_eq!(std::fs::read(&path).unwrap(), whole);
        assert!(shared.push_entry(&[1; 32]).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), whole);
    }

    #[test]
    fn torn_and_stale_files_are_cut_back_to_the_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.nodes");
        let all = hashes(30);
        drop(NodeFile::open(&path, all.iter().copied()).unwrap());
        // A torn node at the end.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0xAB; 17]).unwrap();
        drop(f);
        let file = NodeFile::open(&path, all.iter().copied()).unwrap();
        assert_eq!(file.size(), 30);
        // The ledger lost its last 5 entries in a recovery and gained others.
        let mut other = all[..25].to_vec();
        other.extend((100..103).map(|i| [i; 32]));
        let file = NodeFile::open(&path, other.iter().copied()).unwrap();
        let mut mem = MemoryStore::new();
        other.iter().for_each(|h| mem.push_entry(h).unwrap());
        assert_eq!((file.size(), file.root()), (28, mem.root()));
        assert_eq!(std::fs::read(&path).unwrap(), mem.nodes().concat());
    }
}
