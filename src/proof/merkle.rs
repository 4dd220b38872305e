//! RFC 9162 hashing and the incremental (compact) Merkle tree.
//!
//! A device appends leaves one at a time and must be able to state the root
//! of everything it has written so far without keeping the leaves. The tree
//! of RFC 9162 §2.1.1 is left-balanced: for `n` leaves it is the sequence of
//! perfect subtrees given by the set bits of `n` (largest first), folded from
//! the right. Keeping only those subtree roots, the *peaks*, is enough to
//! append and to compute the root: one hash per set bit of `n`, so at most
//! 64 hashes for any `u64` size and `log2(n) + 1` in practice.
//!
//! ```text
//! leaf hash      = SHA-256(0x00 || leaf data)
//! interior hash  = SHA-256(0x01 || left || right)
//! empty tree     = SHA-256("")
//!
//! size 6 = 0b110:      root
//!                     /    \
//!               peak 0      peak 1
//!              (4 leaves)  (2 leaves)
//! ```

use core::fmt;

use sha2::{Digest, Sha256};

/// Length in bytes of every hash in the tree (SHA-256).
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash: a leaf hash, an interior node hash or a root.
pub type Hash = [u8; HASH_LEN];

/// The RFC 9162 root of the empty tree, `SHA-256("")`.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// Hashes leaf data with the RFC 9162 leaf prefix: `SHA-256(0x00 || data)`.
///
/// For a lotledger the leaf data is the 32-byte entry hash.
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    h.finalize().into()
}

/// Hashes two child hashes with the RFC 9162 interior prefix:
/// `SHA-256(0x01 || left || right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Identifies a perfect subtree: `2^level` leaves starting at leaf
/// `index << level`. Level 0 nodes are leaf hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves (0 for a leaf hash).
    pub level: u8,
    /// Position among the nodes of this level, counted from the left.
    pub index: u64,
}

impl NodeId {
    /// A node at `level` and horizontal `index`.
    #[must_use]
    pub const fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// The first leaf covered by this node, or `None` if it does not fit a `u64`.
    #[must_use]
    pub const fn first_leaf(&self) -> Option<u64> {
        if self.level >= 64 {
            return if self.index == 0 { Some(0) } else { None };
        }
        let first = self.index << self.level;
        if first >> self.level == self.index { Some(first) } else { None }
    }

    /// The number of leaves after which this node is complete (its last leaf + 1),
    /// or `None` on overflow.
    #[must_use]
    pub const fn complete_at(&self) -> Option<u64> {
        if self.level >= 64 {
            return None;
        }
        let Some(first) = self.first_leaf() else {
            return None;
        };
        first.checked_add(1 << self.level)
    }

    /// Position of this node in the append-only post-order layout (see
    /// the [node storage](crate::proof#node-storage) section), or `None` if it does not fit a `u64`.
    ///
    /// Nodes are numbered in the order they become complete: each leaf hash,
    /// then every parent it completes, lowest first. The first `n` leaves
    /// occupy `2n - popcount(n)` positions.
    #[must_use]
    pub const fn postorder(&self) -> Option<u64> {
        let Some(before) = self.first_leaf() else {
            return None;
        };
        if self.level >= 63 {
            return None;
        }
        // Nodes of all subtrees to the left, then this subtree's own nodes
        // (2^(level+1) - 1 of them), of which the root is the last.
        let Some(left) = stored_nodes(before) else {
            return None;
        };
        let own = (1u64 << (self.level + 1)) - 2;
        left.checked_add(own)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}/{}", self.level, self.index)
    }
}

/// Number of nodes the post-order layout holds for `leaves` leaves:
/// `2 * leaves - popcount(leaves)`, or `None` on overflow.
#[must_use]
pub const fn stored_nodes(leaves: u64) -> Option<u64> {
    match leaves.checked_mul(2) {
        Some(twice) => Some(twice - leaves.count_ones() as u64),
        None => None,
    }
}

/// The compact tree is full: it cannot take another leaf at its capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TreeFull {
    /// The number of leaves already in the tree.
    pub size: u64,
}

impl fmt::Display for TreeFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "merkle tree full at {} leaves", self.size)
    }
}

impl core::error::Error for TreeFull {}

/// Restoring a compact tree from saved peaks failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreError {
    /// The number of peaks is not the number of set bits of the size.
    PeakCount {
        /// Peaks required for the size (`popcount(size)`).
        expected: u32,
        /// Peaks supplied.
        found: usize,
    },
    /// The size needs more levels than this tree type holds.
    TooLarge {
        /// The size supplied.
        size: u64,
    },
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PeakCount { expected, found } => {
                write!(f, "expected {expected} peaks, found {found}")
            }
            Self::TooLarge { size } => write!(f, "tree size {size} exceeds capacity"),
        }
    }
}

impl core::error::Error for RestoreError {}

/// An append-only RFC 9162 Merkle tree that keeps only its peaks.
///
/// `LEVELS` bounds the size to `2^LEVELS - 1` leaves and the state to
/// `LEVELS` hashes plus the size; the default 64 covers every `u64` size
/// (2 KiB). A device that will never write more than 2^32 entries can use
/// `CompactTree<32>` (1 KiB).
///
/// ```
/// use lotledger::proof::{CompactTree, leaf_hash};
///
/// let mut tree: CompactTree = CompactTree::new();
/// tree.push_entry(&[7u8; 32])?;
/// assert_eq!(tree.root(), leaf_hash(&[7u8; 32]));
/// # Ok::<(), lotledger::proof::TreeFull>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactTree<const LEVELS: usize = 64> {
    size: u64,
    /// Peaks from the largest subtree to the smallest; only the first
    /// `popcount(size)` entries are meaningful.
    peaks: [Hash; LEVELS],
}

impl<const LEVELS: usize> Default for CompactTree<LEVELS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const LEVELS: usize> CompactTree<LEVELS> {
    /// An empty tree.
    #[must_use]
    pub const fn new() -> Self {
        Self { size: 0, peaks: [[0; HASH_LEN]; LEVELS] }
    }

    /// Rebuilds a tree from its size and peaks (largest subtree first), as
    /// returned by [`peaks`](Self::peaks), e.g. after a reboot.
    ///
    /// # Errors
    ///
    /// [`RestoreError`] if the number of peaks does not match the size or the
    /// size exceeds the capacity.
    pub fn restore(size: u64, peaks: &[Hash]) -> Result<Self, RestoreError> {
        if !fits(size, LEVELS) {
            return Err(RestoreError::TooLarge { size });
        }
        let expected = size.count_ones();
        if usize::try_from(expected).ok() != Some(peaks.len()) {
            return Err(RestoreError::PeakCount { expected, found: peaks.len() });
        }
        let mut tree = Self::new();
        tree.size = size;
        for (slot, peak) in tree.peaks.iter_mut().zip(peaks) {
            *slot = *peak;
        }
        Ok(tree)
    }

    /// Number of leaves appended so far.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The peaks (roots of the perfect subtrees), largest subtree first.
    #[must_use]
    pub fn peaks(&self) -> &[Hash] {
        let n = usize::try_from(self.size.count_ones()).unwrap_or(LEVELS);
        self.peaks.get(..n).unwrap_or(&self.peaks)
    }

    /// Appends the leaf for a 32-byte entry hash (hashing it with the leaf prefix).
    ///
    /// # Errors
    ///
    /// [`TreeFull`] at `2^LEVELS - 1` leaves.
    pub fn push_entry(&mut self, entry_hash: &Hash) -> Result<(), TreeFull> {
        self.push_leaf_hash(leaf_hash(entry_hash), |_, _| ())
    }

    /// Appends an already hashed leaf, calling `emit` for every node that
    /// becomes complete, in post-order: the leaf hash first, then each parent
    /// it completes, lowest first. A storage backend appends them in that
    /// order to get the [post-order layout](crate::proof#node-storage).
    ///
    /// # Errors
    ///
    /// [`TreeFull`] at `2^LEVELS - 1` leaves; nothing is emitted then.
    pub fn push_leaf_hash(
        &mut self,
        leaf: Hash,
        mut emit: impl FnMut(NodeId, &Hash),
    ) -> Result<(), TreeFull> {
        let new_size = match self.size.checked_add(1) {
            Some(s) if fits(s, LEVELS) => s,
            _ => return Err(TreeFull { size: self.size }),
        };
        let mut count = usize::try_from(self.size.count_ones()).unwrap_or(LEVELS);
        let mut node = leaf;
        let mut id = NodeId::new(0, self.size);
        emit(id, &node);
        // Each trailing one bit of the old size is a peak that merges.
        for _ in 0..self.size.trailing_ones() {
            let Some(left) = count.checked_sub(1).and_then(|i| self.peaks.get(i)) else {
                break;
            };
            node = node_hash(left, &node);
            count -= 1;
            id = NodeId::new(id.level.saturating_add(1), id.index >> 1);
            emit(id, &node);
        }
        let Some(slot) = self.peaks.get_mut(count) else {
            return Err(TreeFull { size: self.size });
        };
        *slot = node;
        self.size = new_size;
        Ok(())
    }

    /// The RFC 9162 root hash of the current tree ([`EMPTY_ROOT`] when empty).
    #[must_use]
    pub fn root(&self) -> Hash {
        fold_peaks(self.peaks().iter().copied())
    }
}

/// Whether `size` leaves fit a tree of `levels` peaks.
fn fits(size: u64, levels: usize) -> bool {
    levels >= 64 || u32::try_from(levels).is_ok_and(|l| size >> l == 0)
}

/// Folds peaks (largest subtree first) into a root: `H(p0, H(p1, ... pk))`.
pub(crate) fn fold_peaks(peaks: impl DoubleEndedIterator<Item = Hash>) -> Hash {
    let mut iter = peaks.rev();
    let Some(mut acc) = iter.next() else {
        return EMPTY_ROOT;
    };
    for left in iter {
        acc = node_hash(&left, &acc);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::testutil::h;

    // Leaf inputs and roots from transparency-dev/merkle testonly/constants.go
    // (LeafInputs, RootHashes), the Go RFC 6962/9162 reference used by
    // Trillian and the CT ecosystem.
    const LEAVES: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(CompactTree::<64>::new().root(), h(ROOTS[0]));
    }

    #[test]
    fn known_roots_for_every_size() {
        let mut tree = CompactTree::<64>::new();
        for (n, leaf) in LEAVES.iter().enumerate() {
            tree.push_leaf_hash(leaf_hash(leaf), |_, _| ()).unwrap();
            assert_eq!(tree.root(), h(ROOTS[n + 1]), "size {}", n + 1);
        }
    }

    #[test]
    fn known_node_hashes() {
        // transparency-dev/merkle testonly/constants.go NodeHashes, level 0..3.
        assert_eq!(
            leaf_hash(LEAVES[6]),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f")
        );
        let mut seen = [(NodeId::new(0, 0), [0u8; 32]); 15];
        let mut count = 0;
        let mut tree = CompactTree::<64>::new();
        for leaf in LEAVES {
            tree.push_leaf_hash(leaf_hash(leaf), |id, h| {
                seen[count] = (id, *h);
                count += 1;
            })
            .unwrap();
        }
        assert_eq!(count, 15);
        let level1_3 = h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
        let level2_1 = h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        assert!(seen.contains(&(NodeId::new(1, 3), level1_3)));
        assert!(seen.contains(&(NodeId::new(2, 1), level2_1)));
        // Emitted in post-order: positions 0, 1, 2, ...
        for (pos, (id, _)) in seen.iter().enumerate() {
            assert_eq!(id.postorder(), Some(pos as u64), "{id}");
        }
        assert_eq!(count as u64, stored_nodes(8).unwrap());
    }

    #[test]
    fn restore_round_trip_and_errors() {
        let mut tree = CompactTree::<64>::new();
        for leaf in &LEAVES[..7] {
            tree.push_leaf_hash(leaf_hash(leaf), |_, _| ()).unwrap();
        }
        let back = CompactTree::<64>::restore(7, tree.peaks()).unwrap();
        assert_eq!(back, tree);
        assert_eq!(
            CompactTree::<64>::restore(6, tree.peaks()),
            Err(RestoreError::PeakCount { expected: 2, found: 3 })
        );
        assert_eq!(
            CompactTree::<2>::restore(4, &[[0; 32]]),
            Err(RestoreError::TooLarge { size: 4 })
        );
    }

    #[test]
    fn small_tree_fills_up() {
        let mut tree = CompactTree::<2>::new();
        for _ in 0..3 {
            tree.push_entry(&[1; 32]).unwrap();
        }
        assert_eq!(tree.push_entry(&[1; 32]), Err(TreeFull { size: 3 }));
        assert_eq!(tree.size(), 3);
    }

    #[test]
    fn postorder_positions() {
        assert_eq!(NodeId::new(0, 0).postorder(), Some(0));
        assert_eq!(NodeId::new(0, 1).postorder(), Some(1));
        assert_eq!(NodeId::new(1, 0).postorder(), Some(2));
        assert_eq!(NodeId::new(0, 2).postorder(), Some(3));
        assert_eq!(NodeId::new(2, 0).postorder(), Some(6));
        assert_eq!(NodeId::new(0, u64::MAX).postorder(), None);
    }
}
