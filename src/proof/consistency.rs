//! Consistency proofs: the tree of size `m` is a prefix of the tree of size `n`.
//!
//! This is what catches a truncated or rolled-back ledger: a verifier that
//! kept an earlier checkpoint asks for a consistency proof to the current
//! one; a ledger whose tail was cut off or rewritten cannot produce it.
//! The proof is RFC 9162 §2.1.4's, O(log n) hashes, and verification follows
//! §2.1.4.2 without allocation.

use super::checkpoint::Checkpoint;
use super::inclusion::split_point;
use super::merkle::{EMPTY_ROOT, Hash, node_hash};
use super::path::{self, BufferTooSmall, ParseError, ProofPath, VerifyError};
use super::store::{NodeSource, ProveError, range_hash};

/// Kind byte of an encoded consistency proof.
pub const CONSISTENCY_KIND: u8 = 0x02;

/// A consistency proof borrowing its hashes: the tree of `old_size` leaves is
/// a prefix of the tree of `new_size` leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsistencyProof<'a> {
    /// Size of the earlier tree.
    pub old_size: u64,
    /// Size of the later tree.
    pub new_size: u64,
    /// The consistency path in RFC 9162 order.
    pub path: &'a [Hash],
}

impl<'a> ConsistencyProof<'a> {
    /// Parses the [byte encoding](crate::proof#proof-encoding) without copying the hashes.
    ///
    /// # Errors
    ///
    /// [`ParseError`] naming the offending field; never panics.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let header = path::parse_header(bytes, CONSISTENCY_KIND)?;
        let expected =
            consistency_path_len(header.first, header.second).map_err(ParseError::Range)?;
        let hashes = path::parse_hashes(&header, expected)?;
        Ok(Self { old_size: header.first, new_size: header.second, path: hashes })
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
        path::encode(CONSISTENCY_KIND, self.old_size, self.new_size, self.path, out)
    }

    /// Checks that `old_root` (of `old_size`) and `new_root` (of `new_size`)
    /// are roots of trees of which the first is a prefix of the second.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] if the proof is malformed or either root differs.
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), VerifyError> {
        verify_consistency(self.old_size, self.new_size, self.path, old_root, new_root)
    }

    /// Checks that the ledger state `new` extends the earlier state `old`:
    /// same origin, sizes as in the proof, roots consistent. This is the
    /// check that catches a truncated, rolled-back or forked ledger. Check
    /// both checkpoints' signatures first ([`Checkpoint::open`]).
    ///
    /// # Errors
    ///
    /// [`VerifyError::OriginMismatch`], [`VerifyError::SizeMismatch`], else
    /// as [`verify`](Self::verify).
    pub fn verify_checkpoints(
        &self,
        old: &Checkpoint<'_>,
        new: &Checkpoint<'_>,
    ) -> Result<(), VerifyError> {
        if old.origin != new.origin {
            return Err(VerifyError::OriginMismatch);
        }
        for (proof, checkpoint) in [(self.old_size, old.size), (self.new_size, new.size)] {
            if proof != checkpoint {
                return Err(VerifyError::SizeMismatch { proof, checkpoint });
            }
        }
        self.verify(&old.root, &new.root)
    }
}

/// The number of hashes RFC 9162 prescribes for a consistency proof from
/// `old` to `new` leaves (0 when `old` is 0 or equals `new`).
///
/// # Errors
///
/// [`VerifyError::SizeDecreased`] if `old > new`.
pub fn consistency_path_len(old: u64, new: u64) -> Result<usize, VerifyError> {
    if old > new {
        return Err(VerifyError::SizeDecreased { old, new });
    }
    if old == 0 || old == new {
        return Ok(0);
    }
    let (mut fnode, mut snode) = start(old, new);
    let mut count = 0usize;
    while snode != 0 {
        step(&mut fnode, &mut snode, |_| ());
        count += 1;
    }
    // The seed hash (first element) is omitted when `old` is a power of two.
    Ok(if old.is_power_of_two() { count } else { count + 1 })
}

/// Steps 3 and 4 of §2.1.4.2: the node indexes after skipping the levels
/// where the old tree's last node is a right child.
fn start(old: u64, new: u64) -> (u64, u64) {
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    (fnode, snode)
}

/// One iteration of step 6 of §2.1.4.2; `hash(true)` when the proof hash is
/// a left sibling (enters both roots), `hash(false)` for a right sibling.
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

/// Verifies that the tree of `old` leaves with `old_root` is a prefix of the
/// tree of `new` leaves with `new_root` (RFC 9162 §2.1.4.2).
///
/// When `old == new` the path must be empty and the roots equal. When
/// `old == 0` the path must be empty and `old_root` must be the empty-tree
/// root (stricter than some implementations, which ignore it).
///
/// # Errors
///
/// [`VerifyError`] if the proof is malformed or either root differs.
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), VerifyError> {
    let expected = consistency_path_len(old, new)?;
    if proof.len() != expected {
        return Err(VerifyError::PathLength { expected, found: proof.len() });
    }
    if old == 0 {
        return if *old_root == EMPTY_ROOT { Ok(()) } else { Err(VerifyError::OldRootMismatch) };
    }
    if old == new {
        return if old_root == new_root { Ok(()) } else { Err(VerifyError::RootMismatch) };
    }
    // Step 2: for a power-of-two old size the old root is the seed.
    let (seed, rest) = if old.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(VerifyError::PathLength { expected, found: 0 });
            }
        }
    };
    let (mut fnode, mut snode) = start(old, new);
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        step(&mut fnode, &mut snode, |left| {
            if left {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
            } else {
                sr = node_hash(&sr, c);
            }
        });
    }
    if fr != *old_root {
        return Err(VerifyError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Generates the consistency path from the first `old` to the first `new`
/// leaves of `source` (RFC 9162 §2.1.4.1).
///
/// # Errors
///
/// [`ProveError`] if `old > new`, `new` exceeds the source, or the source fails.
pub fn prove_consistency<S: NodeSource>(
    source: &S,
    old: u64,
    new: u64,
) -> Result<ProofPath, ProveError<S::Error>> {
    let available = source.size();
    if new > available {
        return Err(ProveError::SizeOutOfRange { size: new, available });
    }
    if old > new {
        return Err(ProveError::SizeDecreased { old, new });
    }
    let mut out = ProofPath::new();
    if old == 0 || old == new {
        return Ok(out);
    }
    // SUBPROOF(m, D[lo:hi], whole) where `whole` is RFC 9162's `b`: true
    // while the old tree is still the left edge of the current subtree.
    let (mut lo, mut hi, mut whole) = (0u64, new, true);
    loop {
        if old == hi {
            if !whole {
                let hash = range_hash(source, lo, hi)?;
                // Cannot be full: at most 63 hashes were pushed before.
                let _ = out.push(hash);
            }
            break;
        }
        let k = split_point(hi - lo);
        let (sibling, next) = if old - lo <= k {
            ((lo + k, hi), (lo, lo + k))
        } else {
            whole = false;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::inclusion::tests::ROOTS;
    use crate::proof::testutil::{h, hashes};

    // transparency-dev/merkle proof/verify_test.go `consistencyProofs`
    // (same tree as the inclusion vectors: testonly.LeafInputs()).
    const VECTORS: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn root(size: u64) -> Hash {
        h(ROOTS[usize::try_from(size).unwrap() - 1])
    }

    #[test]
    fn known_proofs_verify_and_corruptions_fail() {
        for (old, new, path) in VECTORS {
            let (buf, n) = hashes(path);
            let path = &buf[..n];
            assert_eq!(consistency_path_len(old, new), Ok(n));
            verify_consistency(old, new, path, &root(old), &root(new)).unwrap();
            if n == 0 {
                continue;
            }
            for i in 0..n {
                let mut bad = buf;
                bad[i][0] ^= 16;
                assert!(verify_consistency(old, new, &bad[..n], &root(old), &root(new)).is_err());
            }
            assert!(verify_consistency(old, new, &path[..n - 1], &root(old), &root(new)).is_err());
            assert!(verify_consistency(old, new, path, &root(new), &root(old)).is_err());
            assert!(verify_consistency(old - 1, new, path, &root(old), &root(new)).is_err());
            assert!(verify_consistency(old, new * 2, path, &root(old), &root(new)).is_err());
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn known_proofs_are_generated() {
        use crate::proof::merkle::leaf_hash;
        let leaves: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let mut store = crate::proof::MemoryStore::new();
        for leaf in leaves {
            store.push_leaf_hash(leaf_hash(leaf)).unwrap();
        }
        for (old, new, want) in VECTORS {
            let got = prove_consistency(&store, old, new).unwrap();
            let (buf, n) = hashes(want);
            assert_eq!(got.as_slice(), &buf[..n], "{old}->{new}");
        }
    }

    #[test]
    fn trivial_sizes() {
        // transparency-dev/merkle proof/verify_test.go TestVerifyConsistency
        // cases, adapted: we also require the empty root for size 0.
        let (r1, r2) = ([1u8; 32], [2u8; 32]);
        assert_eq!(verify_consistency(0, 0, &[], &EMPTY_ROOT, &EMPTY_ROOT), Ok(()));
        assert_eq!(verify_consistency(0, 1, &[], &EMPTY_ROOT, &r2), Ok(()));
        assert_eq!(verify_consistency(0, 1, &[], &r1, &r2), Err(VerifyError::OldRootMismatch));
        assert_eq!(verify_consistency(1, 1, &[], &r2, &r2), Ok(()));
        assert_eq!(verify_consistency(1, 1, &[], &r1, &r2), Err(VerifyError::RootMismatch));
        assert_eq!(
            verify_consistency(2, 1, &[], &r1, &r2),
            Err(VerifyError::SizeDecreased { old: 2, new: 1 })
        );
        assert_eq!(
            verify_consistency(1, 2, &[], &r1, &r2),
            Err(VerifyError::PathLength { expected: 1, found: 0 })
        );
        assert!(verify_consistency(1, 1, &[EMPTY_ROOT], &EMPTY_ROOT, &EMPTY_ROOT).is_err());
    }

    #[test]
    fn encoding_round_trip() {
        let path = [[7u8; 32], [8; 32]];
        let proof = ConsistencyProof { old_size: 2, new_size: 5, path: &path };
        let mut buf = [0u8; 100];
        let n = proof.encode(&mut buf).unwrap();
        assert_eq!(n, proof.encoded_len());
        assert_eq!(ConsistencyProof::parse(&buf[..n]), Ok(proof));
        buf[1] = 1;
        assert_eq!(
            ConsistencyProof::parse(&buf[..n]),
            Err(ParseError::Kind { expected: 2, found: 1 })
        );
        buf[1] = 2;
        buf[17] = 1;
        assert_eq!(
            ConsistencyProof::parse(&buf[..n]),
            Err(ParseError::Range(VerifyError::SizeDecreased { old: 2, new: 1 }))
        );
    }
}
