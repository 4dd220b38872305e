//! `lotledger keygen` and `lotledger verify-proof`: an auditor's offline
//! check of one record, with exit codes a script can rely on.
#![cfg(feature = "cli")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod cli_common;

use cli_common::run;

use lotledger::chain::{Anchor, Verifier};
use lotledger::proof::{
    BUNDLE_FORMAT, Checkpoint, Ed25519Signer, InclusionProof, LedgerOrigin, MemoryStore,
    ProofBundle, prove_inclusion,
};

fn bundle(signer: &Ed25519Signer<'_>, seq: usize) -> ProofBundle {
    let (id, bytes) = lotledger::demo::ledger(40);
    let entries: Vec<_> = Verifier::new(&bytes, Anchor::genesis(&id)).map(Result::unwrap).collect();
    let mut tree = MemoryStore::new();
    entries.iter().for_each(|e| tree.push_entry(&e.hash.0).unwrap());
    let origin = LedgerOrigin::new(&id.0);
    let mut note = [0u8; 1024];
    let n = Checkpoint::new(origin.as_str(), 40, tree.root()).sign(signer, &mut note).unwrap();
    let path = prove_inclusion(&tree, seq as u64, 40).unwrap();
    let proof = InclusionProof { leaf_index: seq as u64, tree_size: 40, path: path.as_slice() };
    let mut inclusion = vec![0u8; proof.encoded_len()];
    proof.encode(&mut inclusion).unwrap();
    let end = entries.get(seq + 1).map_or(bytes.len(), |e| e.offset as usize);
    ProofBundle {
        format: BUNDLE_FORMAT.into(),
        ledger: id,
        seq: seq as u64,
        prev_hash: if seq == 0 { Anchor::genesis(&id).head } else { entries[seq - 1].hash },
        frame: bytes[entries[seq].offset as usize..end].to_vec(),
        inclusion,
        checkpoint: String::from_utf8(note[..n].to_vec()).unwrap(),
    }
}

#[test]
fn keygen_then_verify_a_bundle_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["keygen", "--name", "qa.plant1.example", "--dir", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("qa.plant1.example+"), "{out}");
    let secret = std::fs::read_to_string(dir.path().join("qa.plant1.example.key")).unwrap();
    let public = dir.path().join("qa.plant1.example.pub");
    let signer = Ed25519Signer::parse_private(secret.trim()).unwrap();
    // A second keygen under the same name refuses to overwrite the key.
    assert_eq!(run(&["keygen", "--name", "qa.plant1.example", "--dir", d]).0, 2);

    let b = bundle(&signer, 21);
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, serde_json::to_string(&b).unwrap()).unwrap();
    let f = file.to_str().unwrap();
    let (code, out, err) = run(&["verify-proof", f, "--key", public.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("verified: entry 21 of ledger "), "{out}");
    let (code, out, _) = run(&["verify-proof", f, "--key", public.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["tree_size"], 40);

    // Tampered: exit 1, and the reason.
    let mut t = b.clone();
    t.frame[12] ^= 4;
    std::fs::write(&file, serde_json::to_string(&t).unwrap()).unwrap();
    let (code, out, _) = run(&["verify-proof", f, "--key", public.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("NOT verified"), "{out}");

    // Another key: exit 1. A malformed key: exit 3. Not a bundle: exit 3.
    std::fs::write(&file, serde_json::to_string(&b).unwrap()).unwrap();
    let stranger =
        Ed25519Signer::from_seed("qa.plant1.example", &[9; 32]).unwrap().verifier_key().to_string();
    assert_eq!(run(&["verify-proof", f, "--key", &stranger]).0, 1);
    assert_eq!(run(&["verify-proof", f, "--key", "nonsense"]).0, 3);
    std::fs::write(&file, "{}").unwrap();
    assert_eq!(run(&["verify-proof", f, "--key", &stranger]).0, 3);
}
