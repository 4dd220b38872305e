//! Arbitrary batches offered to a receiver that holds part of a chain:
//! never a panic, and whatever is accepted leaves the held chain intact.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::chain::{Anchor, verify};
use lotledger::forward::{MemorySink, Receiver, Sink};
use lotledger::model::LedgerId;

fuzz_target!(|data: &[u8]| {
    let (id, frames) = lotledger::demo::ledger(6);
    let mut rx = Receiver::new(MemorySink::new());
    // Hold the first three entries (whatever their byte length).
    let cut = lotledger::chain::Verifier::new(&frames, Anchor::genesis(&id))
        .nth(3)
        .map_or(frames.len(), |v| v.unwrap().offset as usize);
    rx.receive(&id, &frames[..cut]).unwrap();
    // The fuzz input is appended to a real prefix half the time, to reach past the first frame.
    let mut batch = Vec::new();
    if data.first().is_some_and(|b| b & 1 == 1) {
        batch.extend_from_slice(&frames[cut..]);
    }
    batch.extend_from_slice(data);
    let _ = rx.receive(&id, &batch);
    let _ = rx.receive(&LedgerId([1; 16]), data);
    let held = rx.sink().frames(&id).to_vec();
    let report = verify(&held, Anchor::genesis(&id)).expect("held chain broken");
    assert_eq!(Some(report.head), rx.sink_mut().head(&id).unwrap());
});
