//! Golden vectors for the lotledger proof formats: a ledger of five entries
//! (entry hash `i` = 32 bytes of value `i`), ledger id
//! 00112233445566778899aabbccddeeff, signed with the Ed25519 seed of 32
//! bytes 0x01. A format change breaks these on purpose; the same values are
//! quoted in docs/PROOFS.md so another implementation can check itself.
#![cfg(feature = "alloc")]

use lotledger::proof::{
    ChainHead, Checkpoint, ConsistencyProof, Ed25519Signer, InclusionProof, LedgerOrigin,
    MemoryStore, VerifierKey, prove_consistency, prove_inclusion, root_at,
};

const SIGNED_CHECKPOINT: &[u8] = include_bytes!("data/checkpoint_5.txt");
const VERIFIER_KEY: &str = "lotledger/00112233445566778899aabbccddeeff+7f19c2b6+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";
const INCLUSION_2_5: &str = "0101000000000000000200000000000000050\
    3acaa04663a8547a2f70c60cc18f9378796b13c4f9a08f70d6adae662365b30c6\
    28fb81e496897e0ce886f08602392e9239b65c659041e5202163e58ad898f444\
    1da033bf8927ed69376d91533748494f7f5e88c20603dede2afc9bfd43d46f17";
const CONSISTENCY_3_5: &str = "0102000000000000000300000000000000050\
    4cba8c596120bdb69debbd923d92cba948bde7c7d06a465a1bb7d98d3116038fa\
    acaa04663a8547a2f70c60cc18f9378796b13c4f9a08f70d6adae662365b30c6\
    28fb81e496897e0ce886f08602392e9239b65c659041e5202163e58ad898f444\
    1da033bf8927ed69376d91533748494f7f5e88c20603dede2afc9bfd43d46f17";
const ROOT_3: &str = "ba8d94b7fbcecae7b81c4c80574fe24734a6917bf9c1ecd66ff3e0c34ead4620";
const ROOT_5: &str = "85e20cac1f02fda7bcdb2fc3f908568c57018c77815f1fa361acad13994f08bf";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16).unwrap_or(0))
        .collect()
}

fn ledger() -> MemoryStore {
    let mut store = MemoryStore::new();
    for i in 0u8..5 {
        assert!(store.push_entry(&[i; 32]).is_ok());
    }
    store
}

#[test]
fn writes_the_golden_bytes() {
    let origin = LedgerOrigin::new(&[
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ]);
    let signer = Ed25519Signer::from_seed(origin.as_str(), &[0x01; 32]).unwrap();
    assert_eq!(signer.verifier_key().to_string(), VERIFIER_KEY);

    let store = ledger();
    assert_eq!(store.root().to_vec(), unhex(ROOT_5));
    assert_eq!(root_at(&store, 3).unwrap().to_vec(), unhex(ROOT_3));

    let cp = Checkpoint {
        head: Some(ChainHead { seq: 4, hash: [4; 32] }),
        ..Checkpoint::new(origin.as_str(), 5, store.root())
    };
    let mut buf = [0u8; 512];
    let n = cp.sign(&signer, &mut buf).unwrap();
    assert_eq!(&buf[..n], SIGNED_CHECKPOINT);

    let path = prove_inclusion(&store, 2, 5).unwrap();
    let proof = InclusionProof { leaf_index: 2, tree_size: 5, path: path.as_slice() };
    let mut out = vec![0u8; proof.encoded_len()];
    proof.encode(&mut out).unwrap();
    assert_eq!(out, unhex(INCLUSION_2_5));

    let path = prove_consistency(&store, 3, 5).unwrap();
    let proof = ConsistencyProof { old_size: 3, new_size: 5, path: path.as_slice() };
    let mut out = vec![0u8; proof.encoded_len()];
    proof.encode(&mut out).unwrap();
    assert_eq!(out, unhex(CONSISTENCY_3_5));
}

#[test]
fn reads_the_golden_bytes() {
    let key = VerifierKey::parse(VERIFIER_KEY).unwrap();
    let cp = Checkpoint::open(SIGNED_CHECKPOINT, &[key]).unwrap();
    assert_eq!(cp.size, 5);
    assert_eq!(cp.head, Some(ChainHead { seq: 4, hash: [4; 32] }));

    let bytes = unhex(INCLUSION_2_5);
    let proof = InclusionProof::parse(&bytes).unwrap();
    assert_eq!(proof.verify_entry(&[2; 32], &cp), Ok(()));
    assert!(proof.verify_entry(&[3; 32], &cp).is_err());

    let bytes = unhex(CONSISTENCY_3_5);
    let proof = ConsistencyProof::parse(&bytes).unwrap();
    let old_root: [u8; 32] = unhex(ROOT_3).try_into().unwrap();
    assert_eq!(proof.verify(&old_root, &cp.root), Ok(()));
}
