//! Signed notes, checkpoint bodies and verifier keys from arbitrary bytes:
//! parsing must never panic, and whatever parses as a checkpoint body must
//! be written back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::proof::{Checkpoint, Note, VerifierKey};

/// The sumdb note test key (golang.org/x/mod sumdb/note note_test.go), so
/// that verification paths run on inputs that name it.
const KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

fn round_trip(text: &str) {
    if let Ok(cp) = Checkpoint::parse(text) {
        let mut buf = vec![0u8; cp.body_len()];
        let n = cp.write_body(&mut buf).expect("a parsed checkpoint must be writable");
        assert_eq!(&buf[..n], text.as_bytes(), "checkpoint did not round-trip");
    }
}

fuzz_target!(|data: &[u8]| {
    let key = VerifierKey::parse(KEY).expect("test key parses");
    if let Ok(note) = Note::parse(data) {
        for sig in note.signatures() {
            let _ = sig.ed25519_signature();
        }
        let _ = note.verify(&[key]);
        round_trip(note.text());
    }
    let _ = Checkpoint::open(data, &[key]);
    if let Ok(text) = core::str::from_utf8(data) {
        round_trip(text);
        let _ = VerifierKey::parse(text);
    }
});
