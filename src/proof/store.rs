//! Where proofs come from: stored interior nodes, not the ledger.
//!
//! Generating a proof needs hashes of subtrees of the tree at some earlier
//! size. Rereading and rehashing the ledger for that would cost O(n); instead
//! a backend keeps every *complete* node (the root of every perfect subtree),
//! which is `2n - popcount(n)` hashes for `n` leaves, just under two hashes
//! per entry. Any subtree the RFC 9162 recursion asks for is a perfect
//! subtree or a fold of O(log n) of them, so proofs need O(log n) reads.
//!
//! # Post-order layout
//!
//! The layout a file backend should use is append-only: nodes in the order
//! they become complete. Appending leaf `i` writes its leaf hash, then each
//! parent it completes, lowest first (exactly what
//! [`CompactTree::push_leaf_hash`](super::CompactTree::push_leaf_hash) emits).
//! A node's position is [`NodeId::postorder`]; the file for `n` leaves is
//! [`stored_nodes(n)`](super::stored_nodes)` * 32` bytes and nothing is ever
//! rewritten.
//!
//! ```text
//! position:  0    1    2     3    4    5     6    7 ...
//! node:      L0   L1   N1/0  L2   L3   N1/1  N2/0 L4 ...
//!            (L = leaf hash, Nk/i = level k, index i)
//! ```

use core::fmt;

use super::merkle::{Hash, NodeId, fold_peaks};

/// Read access to the complete nodes of a Merkle tree.
///
/// Implementations only need to return nodes that are complete at
/// [`size`](Self::size): node `(level, index)` is asked for only when
/// `(index + 1) << level <= size()`.
pub trait NodeSource {
    /// The backend's error (I/O, corruption, missing node).
    type Error;

    /// The number of leaves the source holds.
    fn size(&self) -> u64;

    /// The hash of the complete node `id`.
    ///
    /// # Errors
    ///
    /// Whatever the backend fails with.
    fn node(&self, id: NodeId) -> Result<Hash, Self::Error>;
}

impl<S: NodeSource + ?Sized> NodeSource for &S {
    type Error = S::Error;

    fn size(&self) -> u64 {
        (**self).size()
    }

    fn node(&self, id: NodeId) -> Result<Hash, Self::Error> {
        (**self).node(id)
    }
}

/// Generating a proof from a [`NodeSource`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProveError<E> {
    /// The node source failed.
    Source(E),
    /// The leaf index is not below the tree size.
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size asked for.
        size: u64,
    },
    /// The tree size asked for is beyond what the source holds.
    SizeOutOfRange {
        /// The tree size asked for.
        size: u64,
        /// The number of leaves the source holds.
        available: u64,
    },
    /// The old tree size of a consistency proof exceeds the new one.
    SizeDecreased {
        /// The old (first) tree size.
        old: u64,
        /// The new (second) tree size.
        new: u64,
    },
}

impl<E: fmt::Display> fmt::Display for ProveError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source(e) => write!(f, "node source: {e}"),
            Self::IndexOutOfRange { index, size } => {
                write!(f, "leaf index {index} not below tree size {size}")
            }
            Self::SizeOutOfRange { size, available } => {
                write!(f, "tree size {size} beyond stored {available} leaves")
            }
            Self::SizeDecreased { old, new } => {
                write!(f, "old size {old} exceeds new size {new}")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display + core::error::Error + 'static> core::error::Error
    for ProveError<E>
{
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Source(e) => Some(e),
            _ => None,
        }
    }
}

/// The RFC 9162 hash of leaves `begin..end`, read as perfect subtrees.
///
/// `begin..end` must be a subtree of the RFC's recursive split (as every
/// range in proof generation is) or any range whose greedy decomposition into
/// aligned perfect subtrees is left-balanced; `0..n` always is.
pub(crate) fn range_hash<S: NodeSource>(
    source: &S,
    begin: u64,
    end: u64,
) -> Result<Hash, ProveError<S::Error>> {
    let mut peaks = [[0u8; 32]; 64];
    let mut count = 0usize;
    let mut pos = begin;
    while pos < end {
        let remaining = end - pos;
        // Largest aligned power of two starting at `pos` that fits.
        let align = if pos == 0 { 63 } else { pos.trailing_zeros() };
        let fit = 63 - remaining.leading_zeros();
        let level = align.min(fit);
        let id = NodeId::new(u8::try_from(level).unwrap_or(u8::MAX), pos >> level);
        let hash = source.node(id).map_err(ProveError::Source)?;
        if let Some(slot) = peaks.get_mut(count) {
            *slot = hash;
            count += 1;
        }
        pos += 1u64 << level;
    }
    Ok(fold_peaks(peaks.iter().take(count).copied()))
}

/// The RFC 9162 root of the first `size` leaves of `source`, from at most
/// 64 stored nodes (one per set bit of `size`).
///
/// # Errors
///
/// [`ProveError::SizeOutOfRange`] beyond the source's size, or the source's error.
pub fn root_at<S: NodeSource>(source: &S, size: u64) -> Result<Hash, ProveError<S::Error>> {
    let available = source.size();
    if size > available {
        return Err(ProveError::SizeOutOfRange { size, available });
    }
    range_hash(source, 0, size)
}

#[cfg(feature = "alloc")]
pub use memory::{MemoryStore, MissingNode};

#[cfg(feature = "alloc")]
mod memory {
    use alloc::vec::Vec;
    use core::fmt;

    use super::NodeSource;
    use crate::proof::merkle::{CompactTree, Hash, NodeId, TreeFull, leaf_hash};

    /// A node was asked for that the store does not hold.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct MissingNode {
        /// The node asked for.
        pub id: NodeId,
    }

    impl fmt::Display for MissingNode {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} not stored", self.id)
        }
    }

    impl core::error::Error for MissingNode {}

    /// An in-memory tree in the post-order layout: every complete node,
    /// about two hashes per leaf, plus the compact tree for the current root.
    ///
    /// ```
    /// use lotledger::proof::{MemoryStore, prove_inclusion, InclusionProof, leaf_hash};
    ///
    /// let mut store = MemoryStore::new();
    /// for i in 0u8..5 {
    ///     store.push_entry(&[i; 32])?;
    /// }
    /// let path = prove_inclusion(&store, 3, 5)?;
    /// let proof = InclusionProof { leaf_index: 3, tree_size: 5, path: path.as_slice() };
    /// proof.verify(&leaf_hash(&[3; 32]), &store.root())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Clone, Debug, Default)]
    pub struct MemoryStore {
        nodes: Vec<Hash>,
        tree: CompactTree,
    }

    impl MemoryStore {
        /// An empty store.
        #[must_use]
        pub fn new() -> Self {
            Self::default()
        }

        /// Appends the leaf for a 32-byte entry hash.
        ///
        /// # Errors
        ///
        /// [`TreeFull`] at `u64::MAX` leaves.
        pub fn push_entry(&mut self, entry_hash: &Hash) -> Result<(), TreeFull> {
            self.push_leaf_hash(leaf_hash(entry_hash))
        }

        /// Appends an already hashed leaf.
        ///
        /// # Errors
        ///
        /// [`TreeFull`] at `u64::MAX` leaves.
        pub fn push_leaf_hash(&mut self, leaf: Hash) -> Result<(), TreeFull> {
            let nodes = &mut self.nodes;
            self.tree.push_leaf_hash(leaf, |_, h| nodes.push(*h))
        }

        /// The root of the whole tree.
        #[must_use]
        pub fn root(&self) -> Hash {
            self.tree.root()
        }

        /// The stored nodes in post-order, as a file backend would write them.
        #[must_use]
        pub fn nodes(&self) -> &[Hash] {
            &self.nodes
        }
    }

    impl NodeSource for MemoryStore {
        type Error = MissingNode;

        fn size(&self) -> u64 {
            self.tree.size()
        }

        fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
            id.postorder()
                .and_then(|p| usize::try_from(p).ok())
                .and_then(|p| self.nodes.get(p))
                .copied()
                .ok_or(MissingNode { id })
        }
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::proof::merkle::{CompactTree, leaf_hash};

    #[test]
    fn root_at_every_size_matches_compact_tree() {
        let mut store = MemoryStore::new();
        let mut roots = alloc::vec::Vec::new();
        let mut tree: CompactTree = CompactTree::new();
        roots.push(tree.root());
        for i in 0u32..70 {
            let e = leaf_hash(&i.to_be_bytes());
            store.push_entry(&e).unwrap();
            tree.push_entry(&e).unwrap();
            roots.push(tree.root());
        }
        for (n, root) in roots.iter().enumerate() {
            assert_eq!(root_at(&store, n as u64).unwrap(), *root, "size {n}");
        }
        assert_eq!(
            root_at(&store, 71),
            Err(ProveError::SizeOutOfRange { size: 71, available: 70 })
        );
        assert_eq!(store.nodes().len() as u64, crate::proof::stored_nodes(70).unwrap());
    }

    #[test]
    fn missing_node_is_an_error() {
        let store = MemoryStore::new();
        let id = NodeId::new(0, 0);
        assert_eq!(store.node(id), Err(MissingNode { id }));
    }
}
