//! Inclusion proofs: leaf `i` is in the tree of size `n`.
//!
//! The proof is RFC 9162 §2.1.3's audit path: the sibling subtree roots from
//! the leaf up to the root, O(log n) hashes. Verification follows §2.1.3.2
//! step by step and needs no allocation.

use super::checkpoint::Checkpoint;
use super::merkle::{Hash, leaf_hash, node_hash};
use super::path::{self, BufferTooSmall, ParseError, ProofPath, VerifyError};
use super::store::{NodeSource, ProveError, range_hash};

/// Kind byte of an encoded inclusion proof.
pub const INCLUSION_KIND: u8 = 0x01;

/// An inclusion proof borrowing its hashes: leaf `leaf_index` is in the tree
/// of `tree_size` leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InclusionProof<'a> {
    /// Index of the proven leaf (0-based).
    pub leaf_index: u64,
    /// Size of the tree the proof is against.
    pub tree_size: u64,
    /// The audit path, leaf level first.
    pub path: &'a [Hash],
}

impl<'a> InclusionProof<'a> {
    /// Parses the [byte encoding](crate::proof#proof-encoding) without copying the hashes.
    ///
    /// # Errors
    ///
    /// [`ParseError`] naming the offending field; never panics.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let header = path::parse_header(bytes, INCLUSION_KIND)?;
        let expected =
            inclusion_path_len(header.first, header.second).map_err(ParseError::Range)?;
        let hashes = path::parse_hashes(&header, expected)?;
        Ok(Self { leaf_index: header.first, tree_size: header.second, path: hashes })
    }

    /// Length of the byte encoding.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        path::encoded_len(self.path.len())
    }

    /// Writes the byte encoding into `out`; returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`] if `out` is shorter than [`encoded_len`](Self::encoded_len).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        path::encode(INCLUSION_KIND, self.leaf_index, self.tree_size, self.path, out)
    }

    /// Checks that `leaf_hash` is leaf `leaf_index` of the tree with `root`.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] if the proof is malformed or does not lead to `root`.
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<(), VerifyError> {
        verify_inclusion(self.leaf_index, self.tree_size, leaf_hash, self.path, root)
    }

    /// Checks that the entry with `entry_hash` is entry `leaf_index` of the
    /// ledger state `checkpoint` commits to (the leaf is
    /// [`leaf_hash`]`(entry_hash)`). Check the checkpoint's signature first
    /// ([`Checkpoint::open`]).
    ///
    /// # Errors
    ///
    /// [`VerifyError::SizeMismatch`] if the proof is for another size, else
    /// as [`verify`](Self::verify).
    pub fn verify_entry(
        &self,
        entry_hash: &Hash,
        checkpoint: &Checkpoint<'_>,
    ) -> Result<(), VerifyError> {
        if self.tree_size != checkpoint.size {
            return Err(VerifyError::SizeMismatch {
                proof: self.tree_size,
                checkpoint: checkpoint.size,
            });
        }
        self.verify(&leaf_hash(entry_hash), &checkpoint.root)
    }
}

/// The number of hashes RFC 9162 prescribes for an inclusion proof of leaf
/// `index` in a tree of `size` leaves.
///
/// # Errors
///
/// [`VerifyError::IndexOutOfRange`] unless `index < size`.
pub fn inclusion_path_len(index: u64, size: u64) -> Result<usize, VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut count = 0usize;
    while snode != 0 {
        step(&mut fnode, &mut snode, |_| ());
        count += 1;
    }
    Ok(count)
}

/// One iteration of the §2.1.3.2 loop on the node indexes, calling `hash`
/// with `true` when the proof hash is a left sibling.
fn step(fnode: &mut u64, snode: &mut u64, mut hash: impl FnMut(bool)) {
    if *fnode & 1 == 1 || *fnode == *snode {
        hash(true);
        if *fnode & 1 == 0 {
            while *fnode & 1 == 0 && *fnode != 0 {
                *fnode >>= 1;
                *snode >>= 1;
            }
        }
    } else {
        hash(false);
    }
    *fnode >>= 1;
    *snode >>= 1;
}

/// Recomputes the root from leaf `index`, its hash and the audit path
/// (RFC 9162 §2.1.3.2).
///
/// # Errors
///
/// [`VerifyError::IndexOutOfRange`] or [`VerifyError::PathLength`].
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, VerifyError> {
    let expected = inclusion_path_len(index, size)?;
    if proof.len() != expected {
        return Err(VerifyError::PathLength { expected, found: proof.len() });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        step(&mut fnode, &mut snode, |left| {
            r = if left { node_hash(p, &r) } else { node_hash(&r, p) };
        });
    }
    Ok(r)
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves
/// with `root` (RFC 9162 §2.1.3.2).
///
/// # Errors
///
/// [`VerifyError`] if the proof is malformed or leads to another root.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if root_from_inclusion(index, size, leaf_hash, proof)? == *root {
        Ok(())
    } else {
        Err(VerifyError::RootMismatch)
    }
}

/// Generates the audit path for leaf `index` in the tree of the first `size`
/// leaves of `source` (RFC 9162 §2.1.3.1), reading O(log² n) stored nodes at
/// worst and O(log n) typically.
///
/// # Errors
///
/// [`ProveError`] if `index >= size`, `size` exceeds the source, or the
/// source fails.
pub fn prove_inclusion<S: NodeSource>(
    source: &S,
    index: u64,
    size: u64,
) -> Result<ProofPath, ProveError<S::Error>> {
    let available = source.size();
    if size > available {
        return Err(ProveError::SizeOutOfRange { size, available });
    }
    if index >= size {
        return Err(ProveError::IndexOutOfRange { index, size });
    }
    let mut out = ProofPath::new();
    let (mut lo, mut hi) = (0u64, size);
    // PATH(m, D[lo:hi]) with k the largest power of two below hi - lo.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        let (sibling, next) = if index < lo + k {
            ((lo + k, hi), (lo, lo + k))
        } else {
            ((lo, lo + k), (lo + k, hi))
        };
        let hash = range_hash(source, sibling.0, sibling.1)?;
        if out.push(hash).is_err() {
            break;
        }
        (lo, hi) = next;
    }
    out.reverse();
    Ok(out)
}

/// The RFC 9162 split: the largest power of two strictly less than `n` (n ≥ 2).
pub(crate) fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::proof::merkle::leaf_hash;
    use crate::proof::testutil::{h, hashes};

    // transparency-dev/merkle proof/verify_test.go: `inclusionProofs` (leaf
    // numbers there are 1-based), `roots` and `leaves`; the same vectors as
    // google/certificate-transparency's merkle_tree_test.
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
    pub(crate) const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    /// (0-based leaf index, tree size, path).
    const VECTORS: [(u64, u64, &[&str]); 5] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    #[test]
    fn known_proofs_verify() {
        for (index, size, path) in VECTORS {
            let (buf, n) = hashes(path);
            let path = &buf[..n];
            let leaf = leaf_hash(LEAVES[usize::try_from(index).unwrap()]);
            let root = h(ROOTS[usize::try_from(size).unwrap() - 1]);
            verify_inclusion(index, size, &leaf, path, &root).unwrap();
            // Any flipped bit in the path fails.
            for i in 0..path.len() {
                let mut bad = [[0u8; 32]; 3];
                bad[..path.len()].copy_from_slice(path);
                bad[i][0] ^= 8;
                assert_eq!(
                    verify_inclusion(index, size, &leaf, &bad[..path.len()], &root),
                    Err(VerifyError::RootMismatch)
                );
            }
            // Wrong index, size and leaf fail.
            assert!(verify_inclusion(index + 1, size, &leaf, path, &root).is_err());
            assert!(verify_inclusion(index, size * 2, &leaf, path, &root).is_err());
            assert!(verify_inclusion(index, size, &leaf_hash(b"WrongLeaf"), path, &root).is_err());
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn known_proofs_are_generated() {
        let mut store = crate::proof::MemoryStore::new();
        for leaf in LEAVES {
            store.push_leaf_hash(leaf_hash(leaf)).unwrap();
        }
        for (index, size, want) in VECTORS {
            let got = prove_inclusion(&store, index, size).unwrap();
            assert_eq!(got.len(), want.len(), "{index}/{size}");
            for (g, w) in got.as_slice().iter().zip(want) {
                assert_eq!(*g, h(w), "{index}/{size}");
            }
        }
    }

    #[test]
    fn degenerate_inputs() {
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        for (index, size) in [(0, 0), (1, 0), (2, 1)] {
            assert_eq!(
                verify_inclusion(index, size, &some, &[], &some),
                Err(VerifyError::IndexOutOfRange { index, size })
            );
        }
        assert_eq!(
            verify_inclusion(0, 2, &some, &[], &some),
            Err(VerifyError::PathLength { expected: 1, found: 0 })
        );
        assert_eq!(verify_inclusion(0, 1, &some, &[], &some), Ok(()));
    }

    #[test]
    fn encoding_round_trip() {
        let path = [[1u8; 32], [2; 32], [3; 32]];
        let proof = InclusionProof { leaf_index: 5, tree_size: 8, path: &path };
        let mut buf = [0u8; 200];
        let n = proof.encode(&mut buf).unwrap();
        assert_eq!(n, 19 + 96);
        assert_eq!(buf[..19], [1, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8, 3]);
        assert_eq!(InclusionProof::parse(&buf[..n]), Ok(proof));
        assert_eq!(InclusionProof::parse(&buf[..n + 1]), Err(ParseError::TrailingBytes { at: n }));
        assert_eq!(
            InclusionProof::parse(&buf[..n - 1]),
            Err(ParseError::Truncated { needed: n, found: n - 1 })
        );
        buf[18] = 2;
        assert_eq!(
            InclusionProof::parse(&buf[..n]),
            Err(ParseError::Count { expected: 3, found: 2 })
        );
        buf[9] = 9;
        assert_eq!(
            InclusionProof::parse(&buf[..n]),
            Err(ParseError::Range(VerifyError::IndexOutOfRange { index: 9, size: 8 }))
        );
    }
}
