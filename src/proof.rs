//! Merkle checkpoints and proofs over the ledger's entry hashes.
//!
//! The hash chain shows that no entry was altered, but not that the tail was
//! not cut off, and proving one entry means handing over the whole chain.
//! Certificate Transparency and Go's checksum database solve both with a
//! Merkle tree and signed checkpoints; this module does the same, in the
//! same formats, so that existing transparency-log verifiers can check a
//! lotledger:
//!
//! - [`CompactTree`](crate::proof::CompactTree): the RFC 9162 tree over entry hashes, appended in O(log n)
//!   RAM on a device, with its root at any size.
//! - [`Checkpoint`](crate::proof::Checkpoint): a C2SP `tlog-checkpoint` (origin, size, root, chain head)
//!   signed as a C2SP `signed-note` with Ed25519 by any [`Signer`](crate::proof::Signer), e.g. a
//!   secure element.
//! - [`InclusionProof`](crate::proof::InclusionProof) (entry `i` is in the tree of size `n`) and
//!   [`ConsistencyProof`](crate::proof::ConsistencyProof) (the tree of size `m` is a prefix of the one of
//!   size `n`): O(log n) hashes, generated from stored interior nodes
//!   ([`NodeSource`](crate::proof::NodeSource)) without rereading the ledger and verified without
//!   allocation. A verifier that kept any earlier checkpoint detects a
//!   truncated or rolled-back ledger: no consistency proof exists.
//!
//! Formats are specified in `docs/PROOFS.md`.
//!
//! # Proof encoding
//!
//! Both proof kinds share one compact, fixed-width layout (integers
//! big-endian), parsed without allocation:
//!
//! ```text
//!  0        1        2                 10                18       19
//! +--------+--------+-----------------+-----------------+--------+------------------+
//! | 0x01   | kind   | first (u64 BE)  | second (u64 BE) | count  | count × 32 bytes |
//! +--------+--------+-----------------+-----------------+--------+------------------+
//!  version  0x01 inclusion:   first = leaf index, second = tree size
//!           0x02 consistency: first = old size,   second = new size
//! ```
//!
//! `count` must equal the path length RFC 9162 prescribes for the two
//! numbers ([`inclusion_path_len`](crate::proof::inclusion_path_len),
//! [`consistency_path_len`](crate::proof::consistency_path_len)) and the
//! input must end right after the last hash. Hashes are in RFC 9162 order.
//!
//! # Node storage
//!
//! Proofs are generated from stored complete nodes through
//! [`NodeSource`](crate::proof::NodeSource). A backend should store them in
//! post-order, the order in which they become complete (what
//! [`CompactTree::push_leaf_hash`](crate::proof::CompactTree::push_leaf_hash)
//! emits): append-only, `2n - popcount(n)` hashes for `n` leaves, node
//! position [`NodeId::postorder`](crate::proof::NodeId::postorder).
//!
//! ```text
//! position:  0    1    2     3    4    5     6    7 ...
//! node:      L0   L1   N1/0  L2   L3   N1/1  N2/0 L4 ...
//!            (L = leaf hash, Nk/i = level k, index i)
//! ```

#[cfg(feature = "alloc")]
mod bundle;
mod checkpoint;
mod consistency;
mod entry;
mod inclusion;
mod merkle;
#[cfg(feature = "std")]
mod node_file;
mod note;
mod path;
mod store;
#[cfg(test)]
mod testutil;

#[cfg(feature = "alloc")]
pub use bundle::{BUNDLE_FORMAT, BundleCheck, BundleError, ProofBundle};
pub use checkpoint::{ChainHead, Checkpoint, CheckpointError, HEAD_EXTENSION, LedgerOrigin};
pub use consistency::{
    CONSISTENCY_KIND, ConsistencyProof, consistency_path_len, prove_consistency, verify_consistency,
};
pub use entry::{checkpoint_note, checkpoint_record};
pub use inclusion::{
    INCLUSION_KIND, InclusionProof, inclusion_path_len, prove_inclusion, root_from_inclusion,
    verify_inclusion,
};
pub use merkle::{
    CompactTree, EMPTY_ROOT, HASH_LEN, Hash, NodeId, RestoreError, TreeFull, leaf_hash, node_hash,
    stored_nodes,
};
#[cfg(feature = "std")]
pub use node_file::NodeFile;
pub use note::{
    Ed25519Signer, KeyId, MAX_SIGNATURES, Note, NoteError, NoteWriter, PrivateKey, SignError,
    SignatureLine, Signer, VerifierKey, key_id,
};
pub use path::{
    BufferTooSmall, MAX_PROOF_HASHES, PROOF_HEADER_LEN, PROOF_VERSION, ParseError, ProofPath,
    VerifyError,
};
#[cfg(feature = "alloc")]
pub use store::{MemoryStore, MissingNode};
pub use store::{NodeSource, ProveError, root_at};
