//! Inclusion and consistency proof encodings from arbitrary bytes: parsing
//! must never panic, whatever parses must re-encode to the same bytes, and
//! verification of a parsed proof must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::proof::{ConsistencyProof, InclusionProof};

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = InclusionProof::parse(data) {
        let mut buf = vec![0u8; proof.encoded_len()];
        let n = proof.encode(&mut buf).expect("buffer of encoded_len");
        assert_eq!(&buf[..n], data, "inclusion proof did not round-trip");
        let leaf = proof.path.first().copied().unwrap_or([0; 32]);
        let _ = proof.verify(&leaf, &[0; 32]);
    }
    if let Ok(proof) = ConsistencyProof::parse(data) {
        let mut buf = vec![0u8; proof.encoded_len()];
        let n = proof.encode(&mut buf).expect("buffer of encoded_len");
        assert_eq!(&buf[..n], data, "consistency proof did not round-trip");
        let _ = proof.verify(&[0; 32], &[0; 32]);
    }
});
