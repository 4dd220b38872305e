//! Property tests: generated proofs agree with a direct transcription of the
//! RFC 9162 definitions (MTH, PATH, PROOF/SUBPROOF, §2.1.1-2.1.4), every
//! proof verifies, and any alteration of proof, root, size or index fails.
#![cfg(feature = "alloc")]
#![expect(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    reason = "test helpers: a panic is a test failure"
)]

use lotledger::proof::{
    CompactTree, ConsistencyProof, EMPTY_ROOT, Hash, InclusionProof, MemoryStore, ParseError,
    consistency_path_len, inclusion_path_len, leaf_hash, node_hash, prove_consistency,
    prove_inclusion, root_at, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// Largest power of two strictly less than `n` (n >= 2): RFC 9162's `k`.
fn k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) from RFC 9162 §2.1.1, over leaf hashes.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => EMPTY_ROOT,
        1 => d[0],
        n => node_hash(&mth(&d[..k(n)]), &mth(&d[k(n)..])),
    }
}

/// PATH(m, D[n]) from RFC 9162 §2.1.3.1.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) from RFC 9162 §2.1.4.1.
fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]); empty for m = 0 or m = n.
fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    if m == 0 || m == d.len() { vec![] } else { subproof(m, d, true) }
}

fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| {
            let mut e = [0u8; 32];
            e[..8].copy_from_slice(&i.to_be_bytes());
            e[8..16].copy_from_slice(&seed.to_be_bytes());
            leaf_hash(&e)
        })
        .collect()
}

fn store(d: &[Hash]) -> MemoryStore {
    let mut s = MemoryStore::new();
    for h in d {
        s.push_leaf_hash(*h).unwrap();
    }
    s
}

#[test]
fn exhaustive_small_trees_match_rfc_definitions() {
    let d = leaves(40, 1);
    let s = store(&d);
    let mut tree: CompactTree = CompactTree::new();
    for n in 0..=d.len() {
        let root = mth(&d[..n]);
        assert_eq!(root_at(&s, n as u64).unwrap(), root, "root {n}");
        assert_eq!(tree.root(), root, "compact root {n}");
        if let Some(h) = d.get(n) {
            tree.push_leaf_hash(*h, |_, _| ()).unwrap();
        }
        for m in 0..n {
            let want = path(m, &d[..n]);
            let got = prove_inclusion(&s, m as u64, n as u64).unwrap();
            assert_eq!(got.as_slice(), &want[..], "path {m}/{n}");
            assert_eq!(inclusion_path_len(m as u64, n as u64), Ok(want.len()));
            verify_inclusion(m as u64, n as u64, &d[m], &want, &root).unwrap();
        }
        for m in 0..=n {
            let want = proof(m, &d[..n]);
            let got = prove_consistency(&s, m as u64, n as u64).unwrap();
            assert_eq!(got.as_slice(), &want[..], "proof {m}->{n}");
            assert_eq!(consistency_path_len(m as u64, n as u64), Ok(want.len()));
            verify_consistency(m as u64, n as u64, &want, &mth(&d[..m]), &root).unwrap();
        }
    }
}

/// One way to alter an otherwise valid proof statement.
#[derive(Clone, Copy, Debug)]
enum Alter {
    /// Flip one bit of one proof hash.
    Hash { which: usize, bit: u8 },
    /// Flip one bit of the (new) root.
    Root { bit: u8 },
    /// Flip one bit of the old root (consistency) or the leaf (inclusion).
    Other { bit: u8 },
    /// Add a delta to the size (new size for consistency).
    Size { delta: u64 },
    /// Add a delta to the index (old size for consistency).
    Index { delta: u64 },
    /// Drop the last hash.
    Truncate,
    /// Append the root.
    Extend,
}

fn alter() -> impl Strategy<Value = Alter> {
    prop_oneof![
        (any::<usize>(), 0u8..=255).prop_map(|(which, bit)| Alter::Hash { which, bit }),
        (0u8..=255).prop_map(|bit| Alter::Root { bit }),
        (0u8..=255).prop_map(|bit| Alter::Other { bit }),
        (1u64..5000).prop_map(|delta| Alter::Size { delta }),
        (1u64..5000).prop_map(|delta| Alter::Index { delta }),
        Just(Alter::Truncate),
        Just(Alter::Extend),
    ]
}

fn flip(h: &mut Hash, bit: u8) {
    h[usize::from(bit / 8)] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_proofs_verify_and_alterations_fail(
        n in 1usize..3000, i in any::<prop::sample::Index>(), seed in any::<u64>(), alt in alter()
    ) {
        let d = leaves(n, seed);
        let s = store(&d);
        let m = i.index(n);
        let root = s.root();
        let p = prove_inclusion(&s, m as u64, n as u64).unwrap();
        let (idx, size) = (m as u64, n as u64);
        prop_assert_eq!(verify_inclusion(idx, size, &d[m], p.as_slice(), &root), Ok(()));

        // Round trip through the byte encoding.
        let proof = InclusionProof { leaf_index: idx, tree_size: size, path: p.as_slice() };
        let mut buf = vec![0u8; proof.encoded_len()];
        proof.encode(&mut buf).unwrap();
        prop_assert_eq!(InclusionProof::parse(&buf), Ok(proof));

        let mut path = p.as_slice().to_vec();
        let (mut root2, mut leaf2, mut idx2, mut size2) = (root, d[m], idx, size);
        match alt {
            Alter::Hash { which, bit } => {
                if path.is_empty() { return Ok(()); }
                let w = which % path.len();
                flip(&mut path[w], bit);
            }
            Alter::Root { bit } => flip(&mut root2, bit),
            Alter::Other { bit } => flip(&mut leaf2, bit),
            Alter::Size { delta } => size2 += delta,
            Alter::Index { delta } => idx2 += delta,
            Alter::Truncate => { if path.pop().is_none() { return Ok(()); } }
            Alter::Extend => path.push(root),
        }
        // An inclusion proof binds the size only through the path's shape
        // (RFC 9162 §2.1.3.2 uses the size for nothing else); the signed
        // checkpoint binds root and size together. So an altered size or
        // index must fail exactly when it changes the shape.
        let still_valid = match alt {
            Alter::Size { .. } | Alter::Index { .. } => {
                idx2 < size2 && incl_shape(idx2, size2) == incl_shape(idx, size)
            }
            _ => false,
        };
        let res = verify_inclusion(idx2, size2, &leaf2, &path, &root2);
        prop_assert_eq!(res.is_ok(), still_valid, "{:?}: {:?}", alt, res);
    }

    #[test]
    fn consistency_proofs_verify_and_alterations_fail(
        n in 1usize..3000, i in any::<prop::sample::Index>(), seed in any::<u64>(), alt in alter()
    ) {
        let d = leaves(n, seed);
        let s = store(&d);
        let m = i.index(n + 1);
        let (old, new) = (m as u64, n as u64);
        let old_root = mth(&d[..m]);
        let new_root = s.root();
        let p = prove_consistency(&s, old, new).unwrap();
        prop_assert_eq!(verify_consistency(old, new, p.as_slice(), &old_root, &new_root), Ok(()));

        let proof = ConsistencyProof { old_size: old, new_size: new, path: p.as_slice() };
        let mut buf = vec![0u8; proof.encoded_len()];
        proof.encode(&mut buf).unwrap();
        prop_assert_eq!(ConsistencyProof::parse(&buf), Ok(proof));

        let mut path = p.as_slice().to_vec();
        let (mut old_root2, mut new_root2, mut old2, mut new2) = (old_root, new_root, old, new);
        match alt {
            Alter::Hash { which, bit } => {
                if path.is_empty() { return Ok(()); }
                let w = which % path.len();
                flip(&mut path[w], bit);
            }
            Alter::Root { bit } => flip(&mut new_root2, bit),
            Alter::Other { bit } => flip(&mut old_root2, bit),
            Alter::Size { delta } => new2 += delta,
            Alter::Index { delta } => old2 += delta,
            Alter::Truncate => { if path.pop().is_none() { return Ok(()); } }
            Alter::Extend => path.push(new_root),
        }
        // As for inclusion, sizes are bound only through the proof's shape.
        let still_valid = match alt {
            Alter::Size { .. } | Alter::Index { .. } => {
                old2 <= new2 && cons_shape(old2, new2) == cons_shape(old, new)
            }
            _ => false,
        };
        let res = verify_consistency(old2, new2, &path, &old_root2, &new_root2);
        prop_assert_eq!(res.is_ok(), still_valid, "{:?}: {:?}", alt, res);
    }

    #[test]
    fn proof_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = InclusionProof::parse(&bytes);
        let _ = ConsistencyProof::parse(&bytes);
    }

    #[test]
    fn truncated_encodings_are_rejected(n in 2usize..500, cut in any::<prop::sample::Index>()) {
        let d = leaves(n, 7);
        let s = store(&d);
        let p = prove_inclusion(&s, 0, n as u64).unwrap();
        let proof = InclusionProof { leaf_index: 0, tree_size: n as u64, path: p.as_slice() };
        let mut buf = vec![0u8; proof.encoded_len()];
        proof.encode(&mut buf).unwrap();
        let cut = cut.index(buf.len());
        let is_truncated = matches!(
            InclusionProof::parse(&buf[..cut]),
            Err(ParseError::Truncated { .. })
        );
        prop_assert!(is_truncated);
    }
}

/// The sides of the siblings on leaf `m`'s path in a tree of `n` leaves,
/// leaf first (true: sibling on the left), following PATH's recursion.
fn incl_shape(m: u64, n: u64) -> Vec<bool> {
    if n <= 1 {
        return vec![];
    }
    let k = k(n as usize) as u64;
    let mut s = if m < k { incl_shape(m, k) } else { incl_shape(m - k, n - k) };
    s.push(m >= k);
    s
}

/// The shape of PROOF(m, D[n]): sibling sides in SUBPROOF's recursion
/// (1 left, 0 right), 2 for the seed MTH(D[m]), or a marker for the two
/// trivial cases.
fn cons_shape(m: u64, n: u64) -> Vec<u8> {
    fn sub(m: u64, n: u64, b: bool) -> Vec<u8> {
        if m == n {
            return if b { vec![] } else { vec![2] };
        }
        let k = k(n as usize) as u64;
        let mut s = if m <= k { sub(m, k, b) } else { sub(m - k, n - k, false) };
        s.push(u8::from(m > k));
        s
    }
    match (m, n) {
        (0, _) => vec![9],
        _ if m == n => vec![8],
        _ => sub(m, n, true),
    }
}
