//! A proof bundle proves one record offline against a signed checkpoint,
//! and fails when any part of it is changed or the wrong key is trusted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use lotledger::chain::{Anchor, Verifier};
use lotledger::model::{Digest, Record};
use lotledger::proof::{
    BUNDLE_FORMAT, BundleError, Checkpoint, Ed25519Signer, InclusionProof, LedgerOrigin,
    MemoryStore, ProofBundle, prove_inclusion,
};

fn bundle_for(seq: usize) -> (ProofBundle, String, Digest, Record) {
    let (id, bytes) = lotledger::demo::ledger(50);
    let entries: Vec<_> = Verifier::new(&bytes, Anchor::genesis(&id)).map(Result::unwrap).collect();
    let mut tree = MemoryStore::new();
    for e in &entries {
        tree.push_entry(&e.hash.0).unwrap();
    }
    let signer = Ed25519Signer::from_seed("qa.plant1.example", &[7; 32]).unwrap();
    let key = signer.verifier_key().to_string();
    let origin = LedgerOrigin::new(&id.0);
    let checkpoint = Checkpoint::new(origin.as_str(), entries.len() as u64, tree.root());
    let mut buf = [0u8; 1024];
    let n = checkpoint.sign(&signer, &mut buf).unwrap();
    let path = prove_inclusion(&tree, seq as u64, entries.len() as u64).unwrap();
    let proof = InclusionProof {
        leaf_index: seq as u64,
        tree_size: entries.len() as u64,
        path: path.as_slice(),
    };
    let mut enc = vec![0u8; proof.encoded_len()];
    proof.encode(&mut enc).unwrap();
    let e = &entries[seq];
    let end = entries.get(seq + 1).map_or(bytes.len(), |n| n.offset as usize);
    let prev_hash = if seq == 0 { Anchor::genesis(&id).head } else { entries[seq - 1].hash };
    let bundle = ProofBundle {
        format: BUNDLE_FORMAT.into(),
        ledger: id,
        seq: seq as u64,
        prev_hash,
        frame: bytes[e.offset as usize..end].to_vec(),
        inclusion: enc,
        checkpoint: String::from_utf8(buf[..n].to_vec()).unwrap(),
    };
    (bundle, key, e.hash, e.record().unwrap())
}

#[test]
fn a_bundle_proves_its_record_and_survives_json() {
    for seq in [0, 17, 49] {
        let (bundle, key, hash, record) = bundle_for(seq);
        let json = serde_json::to_string_pretty(&bundle).unwrap();
        let back: ProofBundle = serde_json::from_str(&json).unwrap();
        assert_eq!(back, bundle);
        let keys = [lotledger::proof::VerifierKey::parse(&key).unwrap()];
        let check = back.verify(&keys).unwrap();
        assert_eq!(check.header.seq, seq as u64);
        assert_eq!(check.tree_size, 50);
        assert_eq!(check.entry_hash, hash);
        assert_eq!(check.record.unwrap(), record);
    }
}

#[test]
fn any_change_or_the_wrong_key_fails() {
    let (bundle, key, _, _) = bundle_for(17);
    let keys = [lotledger::proof::VerifierKey::parse(&key).unwrap()];
    let other =
        Ed25519Signer::from_seed("qa.plant1.example", &[8; 32]).unwrap().verifier_key().to_string();
    let other = [lotledger::proof::VerifierKey::parse(&other).unwrap()];
    assert!(matches!(bundle.verify(&other), Err(BundleError::Checkpoint(_))));

    let mut b = bundle.clone();
    b.frame[10] ^= 1;
    assert!(matches!(b.verify(&keys), Err(BundleError::Frame(_))));

    let mut b = bundle.clone();
    b.prev_hash = Digest([0; 32]);
    assert!(matches!(b.verify(&keys), Err(BundleError::Entry(_))));

    let mut b = bundle.clone();
    b.seq = 18;
    assert!(matches!(b.verify(&keys), Err(BundleError::Entry(_))));

    let mut b = bundle.clone();
    let last = b.inclusion.len() - 1;
    b.inclusion[last] ^= 1;
    assert!(matches!(b.verify(&keys), Err(BundleError::NotIncluded(_))));

    let mut b = bundle.clone();
    b.checkpoint = b.checkpoint.replacen("\n50\n", "\n51\n", 1);
    assert!(matches!(b.verify(&keys), Err(BundleError::Checkpoint(_))));

    let mut b = bundle.clone();
    b.ledger.0[0] ^= 1;
    assert!(matches!(b.verify(&keys), Err(BundleError::WrongLedger { .. })));

    let mut b = bundle;
    b.format = "other/1".into();
    assert!(matches!(b.verify(&keys), Err(BundleError::UnknownFormat(_))));
}
