//! The verifier against a model: a known-good ledger, changed by the fuzz
//! input (byte edits, cuts, splices). Any change must be detected by an
//! auditor holding the true head; the unchanged ledger must verify. Raw
//! input is also verified as a ledger on its own: no panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lotledger::chain::{Anchor, Verifier, verify, verify_records};
use lotledger::model::LedgerId;

fn good() -> &'static (LedgerId, Vec<u8>, Anchor) {
    static GOOD: OnceLock<(LedgerId, Vec<u8>, Anchor)> = OnceLock::new();
    GOOD.get_or_init(|| {
        let (id, bytes) = lotledger::demo::ledger(24);
        let head = verify(&bytes, Anchor::genesis(&id)).expect("demo ledger verifies").head;
        (id, bytes, head)
    })
}

fuzz_target!(|data: &[u8]| {
    let (id, original, head) = good();
    let start = Anchor::genesis(id);
    // Raw bytes as a ledger.
    let _ = verify_records(data, start);
    for v in Verifier::new(data, start).flatten() {
        let _ = v.record();
    }
    // Edits: each 4-byte group is (position hi, position lo, op, value).
    let mut bytes = original.clone();
    for op in data.chunks_exact(4) {
        let pos = usize::from(u16::from_be_bytes([op[0], op[1]]));
        match op[2] % 4 {
            0 if !bytes.is_empty() => {
                let n = bytes.len();
                bytes[pos % n] ^= op[3].max(1);
            }
            1 => {
                let n = bytes.len();
                bytes.truncate(pos % (n + 1));
            }
            2 => {
                let at = pos % (bytes.len() + 1);
                bytes.insert(at, op[3]);
            }
            _ if !bytes.is_empty() => {
                let at = pos % bytes.len();
                bytes.remove(at);
            }
            _ => {}
        }
    }
    let audited = verify(&bytes, start).and_then(|r| r.expect_head(head).map(|()| r));
    if bytes == *original {
        assert!(audited.is_ok());
    } else {
        assert!(audited.is_err(), "a changed ledger passed the audit");
    }
});
