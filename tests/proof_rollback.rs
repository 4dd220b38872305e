//! Scenario: a device signs checkpoints as its ledger grows; an auditor who
//! kept an earlier checkpoint detects a truncated or rewritten ledger, and
//! checks a single entry against a checkpoint without the rest of the chain.
#![cfg(feature = "alloc")]

use lotledger::proof::{
    ChainHead, Checkpoint, CompactTree, ConsistencyProof, Ed25519Signer, InclusionProof,
    LedgerOrigin, MemoryStore, VerifyError, prove_consistency, prove_inclusion, root_at,
};

fn entry(i: u64, variant: u8) -> [u8; 32] {
    let mut e = [variant; 32];
    e[..8].copy_from_slice(&i.to_be_bytes());
    e
}

/// Appends entries `from..to` to both the store and the compact tree.
fn grow(store: &mut MemoryStore, tree: &mut CompactTree, from: u64, to: u64, variant: u8) {
    for i in from..to {
        assert!(store.push_entry(&entry(i, variant)).is_ok());
        assert!(tree.push_entry(&entry(i, variant)).is_ok());
    }
}

#[test]
fn auditor_detects_truncation_and_rewrite() {
    let origin = LedgerOrigin::new(&[0x42; 16]);
    let signer = Ed25519Signer::from_seed(origin.as_str(), &[1; 32]).unwrap();
    let key = signer.verifier_key();

    // The device writes 10 entries and signs a checkpoint with its
    // compact tree (what it keeps in RAM).
    let mut store = MemoryStore::new();
    let mut tree: CompactTree = CompactTree::new();
    grow(&mut store, &mut tree, 0, 10, 0);
    let cp10 = Checkpoint {
        head: Some(ChainHead { seq: 9, hash: entry(9, 0) }),
        ..Checkpoint::new(origin.as_str(), tree.size(), tree.root())
    };
    let mut signed10 = [0u8; 512];
    let n10 = cp10.sign(&signer, &mut signed10).unwrap();

    // It grows to 25 and signs again.
    grow(&mut store, &mut tree, 10, 25, 0);
    let cp25 = Checkpoint::new(origin.as_str(), 25, tree.root());
    let mut signed25 = [0u8; 512];
    let n25 = cp25.sign(&signer, &mut signed25).unwrap();

    // The auditor opens both and checks consistency.
    let old = Checkpoint::open(&signed10[..n10], &[key]).unwrap();
    let new = Checkpoint::open(&signed25[..n25], &[key]).unwrap();
    let path = prove_consistency(&store, 10, 25).unwrap();
    let proof = ConsistencyProof { old_size: 10, new_size: 25, path: path.as_slice() };
    assert_eq!(proof.verify_checkpoints(&old, &new), Ok(()));

    // Entry 9 (the chain head of the old checkpoint) is in both trees.
    let incl = prove_inclusion(&store, 9, 10).unwrap();
    let incl = InclusionProof { leaf_index: 9, tree_size: 10, path: incl.as_slice() };
    assert_eq!(incl.verify_entry(&old.head.unwrap().hash, &old), Ok(()));
    assert_eq!(
        incl.verify_entry(&entry(9, 0), &new),
        Err(VerifyError::SizeMismatch { proof: 10, checkpoint: 25 })
    );

    // A ledger truncated to 8 entries and rewritten from there cannot prove
    // consistency with the old checkpoint, whatever it claims.
    let mut forged = MemoryStore::new();
    let mut forged_tree: CompactTree = CompactTree::new();
    grow(&mut forged, &mut forged_tree, 0, 8, 0);
    grow(&mut forged, &mut forged_tree, 8, 30, 1);
    let forged_cp = Checkpoint::new(origin.as_str(), 30, forged_tree.root());
    let path = prove_consistency(&forged, 10, 30).unwrap();
    let proof = ConsistencyProof { old_size: 10, new_size: 30, path: path.as_slice() };
    assert_eq!(proof.verify_checkpoints(&old, &forged_cp), Err(VerifyError::OldRootMismatch));
    assert_ne!(root_at(&forged, 10).unwrap(), old.root);

    // A rolled-back ledger (fewer entries than the old checkpoint) cannot
    // even state a proof.
    assert!(prove_consistency(&forged, 10, 9).is_err());

    // A checkpoint from another ledger is not comparable.
    let other = LedgerOrigin::new(&[0x43; 16]);
    let other_cp = Checkpoint::new(other.as_str(), 25, new.root);
    let path = prove_consistency(&store, 10, 25).unwrap();
    let proof = ConsistencyProof { old_size: 10, new_size: 25, path: path.as_slice() };
    assert_eq!(proof.verify_checkpoints(&old, &other_cp), Err(VerifyError::OriginMismatch));
}

#[test]
fn device_restores_compact_tree_after_reboot() {
    let mut tree: CompactTree<32> = CompactTree::new();
    for i in 0..77 {
        tree.push_entry(&entry(i, 0)).unwrap();
    }
    // Persist size and peaks (popcount(77) = 4 hashes), reboot, continue.
    let saved: Vec<[u8; 32]> = tree.peaks().to_vec();
    let mut restored: CompactTree<32> = CompactTree::restore(tree.size(), &saved).unwrap();
    for i in 77..100 {
        tree.push_entry(&entry(i, 0)).unwrap();
        restored.push_entry(&entry(i, 0)).unwrap();
    }
    assert_eq!(restored.root(), tree.root());
    assert_eq!(saved.len(), 4);
}
