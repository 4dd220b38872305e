//! A line PC receiving a device's forwarded entries into a file ledger under
//! the device's ledger id: byte for byte, each batch checked to continue the
//! chain held, a batch forwarded twice stored once, gaps, forks and other
//! ledgers refused, and the head kept across restarts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use lotledger::chain::{Anchor, Verifier, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::file::{DeviceLedgers, LedgerReader};
use lotledger::forward::{ReceiveError, Receiver, Refusal};
use lotledger::model::LedgerId;

/// A device's frames for entries 0..n, and where each frame starts.
fn device(id: LedgerId, n: usize, seed: u64) -> (Vec<u8>, Vec<usize>) {
    let mut w = Writer::new(Vec::new(), vec![0u8; 4096], Anchor::genesis(&id));
    let mut starts = Vec::new();
    for (stamp, record) in Plant::new(&PlantConfig { seed, ..PlantConfig::default() }).take(n) {
        starts.push(w.storage().len());
        w.append(&stamp, &record).unwrap();
    }
    (w.into_parts().0, starts)
}

#[test]
fn forwarded_batches_land_once_in_the_devices_file_ledger() {
    let root = tempfile::tempdir().unwrap();
    let id = LedgerId([0x42; 16]);
    let (frames, starts) = device(id, 300, 1);
    let mut rx = Receiver::new(DeviceLedgers::new(root.path()));

    let a = rx.receive(&id, &frames[..starts[100]]).unwrap();
    assert_eq!((a.stored, a.duplicates, a.head.next_seq), (100, 0, 100));
    // The device rebooted before it saw the confirmation: it sends 50..150.
    let b = rx.receive(&id, &frames[starts[50]..starts[150]]).unwrap();
    assert_eq!((b.stored, b.duplicates, b.head.next_seq), (50, 50, 150));
    // The same batch again: nothing new.
    let c = rx.receive(&id, &frames[starts[50]..starts[150]]).unwrap();
    assert_eq!((c.stored, c.duplicates), (0, 100));
    // A gap: entries 200.. while 150 is next.
    let gap = rx.receive(&id, &frames[starts[200]..]).unwrap_err();
    assert!(
        matches!(
            gap,
            ReceiveError::Refused { seq: 200, reason: Refusal::Gap { expected: 150 }, .. }
        ),
        "{gap:?}"
    );
    // A fork: another history for entries 150.. of the same ledger.
    let (other, other_starts) = device(id, 300, 2);
    let fork = rx.receive(&id, &other[other_starts[150]..other_starts[160]]).unwrap_err();
    assert!(
        matches!(fork, ReceiveError::Refused { seq: 150, reason: Refusal::Fork { .. }, .. }),
        "{fork:?}"
    );
    // Nothing of the refused batches was stored.
    drop(rx);

    // The line PC restarts: the head is where it was, and the rest arrives.
    let mut rx = Receiver::new(DeviceLedgers::new(root.path()));
    let d = rx.receive(&id, &frames[starts[140]..]).unwrap();
    assert_eq!((d.stored, d.duplicates, d.head.next_seq), (150, 10, 300));
    drop(rx);

    // The file ledger holds the device's entries byte for byte and verifies
    // to the device's own head.
    let dir = root.path().join(id.to_string());
    let reader = LedgerReader::open(&dir).unwrap();
    assert_eq!(reader.ledger_id(), id);
    let report = reader.verify().unwrap();
    let device_head = lotledger::chain::verify(&frames, Anchor::genesis(&id)).unwrap().head;
    assert_eq!(report.head, device_head);
    let stored: Vec<u8> = reader
        .entries()
        .unwrap()
        .flat_map(|e| {
            let e = e.unwrap();
            let mut buf = vec![0u8; lotledger::frame::MAX_FRAME_LEN];
            buf[2..2 + e.body.len()].copy_from_slice(&e.body);
            let r = lotledger::frame::seal(&mut buf, e.body.len()).unwrap();
            buf[r].to_vec()
        })
        .collect();
    assert_eq!(stored, frames);
    let device_entries: Vec<_> =
        Verifier::new(&frames, Anchor::genesis(&id)).map(|v| v.unwrap().hash).collect();
    assert_eq!(device_entries.len(), 300);
}

#[test]
fn another_devices_entries_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (LedgerId([1; 16]), LedgerId([2; 16]));
    let (frames_b, _) = device(b, 10, 3);
    let mut rx = Receiver::new(DeviceLedgers::new(root.path()));
    let err = rx.receive(&a, &frames_b).unwrap_err();
    assert!(
        matches!(err, ReceiveError::Refused { seq: 0, reason: Refusal::WrongLedger, .. }),
        "{err:?}"
    );
    assert!(!root.path().join(a.to_string()).exists(), "nothing created for a refused batch");
    // Each device gets its own ledger.
    assert_eq!(rx.receive(&b, &frames_b).unwrap().stored, 10);
    let (frames_a, _) = device(a, 5, 4);
    assert_eq!(rx.receive(&a, &frames_a).unwrap().stored, 5);
}
