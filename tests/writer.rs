//! The writer on a small device: a full store, a small buffer, an oversized
//! record. Each failure is typed, nothing partial is stored, the head does
//! not move, and appending continues the chain afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use lotledger::chain::{Anchor, WriteError, Writer, verify};
use lotledger::entry::{EncodeError, Stamp};
use lotledger::model::*;
use lotledger::storage::{Full, SliceStorage};

fn stamp() -> Stamp {
    Stamp {
        time: Timestamp(1_772_438_400_000),
        actor: "op7".parse().unwrap(),
        station: "L1".parse().unwrap(),
    }
}

fn small_record(n: u64) -> Record {
    Record::Delivered(Delivered {
        order: format!("SO{n}").parse().unwrap(),
        customer: PartyId::Internal("C1".parse().unwrap()),
    })
}

#[test]
fn a_full_store_refuses_without_writing_and_the_chain_continues() {
    let id = LedgerId([5; 16]);
    let mut backing = [0u8; 300];
    let mut w = Writer::new(SliceStorage::new(&mut backing), [0u8; 256], Anchor::genesis(&id));
    let mut receipts = Vec::new();
    let err = loop {
        match w.append(&stamp(), &small_record(receipts.len() as u64)) {
            Ok(r) => receipts.push(r),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, WriteError::Storage(Full { .. })), "{err:?}");
    let stored = w.storage().as_bytes().to_vec();
    let head = w.head();
    assert_eq!(head.next_seq, receipts.len() as u64);
    // What was stored verifies and ends at the writer's head.
    let report = verify(&stored, Anchor::genesis(&id)).unwrap();
    report.expect_head(&head).unwrap();
    // Retrying fails the same way and changes nothing.
    assert!(w.append(&stamp(), &small_record(99)).is_err());
    assert_eq!(w.storage().as_bytes(), stored.as_slice());
    assert_eq!(w.head(), head);
    // Forwarded elsewhere and erased: a new store continues the same chain.
    let mut next = [0u8; 300];
    let mut w2 = Writer::new(SliceStorage::new(&mut next), [0u8; 256], head);
    let r = w2.append(&stamp(), &small_record(100)).unwrap();
    assert_eq!(r.seq, head.next_seq);
    let both = [stored.as_slice(), w2.storage().as_bytes()].concat();
    assert_eq!(verify(&both, Anchor::genesis(&id)).unwrap().entries, head.next_seq + 1);
}

#[test]
fn a_small_buffer_refuses_large_records_only() {
    let id = LedgerId([6; 16]);
    let mut w = Writer::new(Vec::new(), [0u8; 64], Anchor::genesis(&id));
    w.append(&stamp(), &small_record(1)).unwrap();
    let big = Record::Corrected(Corrected {
        target: EntryRef { seq: 0, hash: Digest([0; 32]) },
        reason: "x".repeat(120).parse().unwrap(),
        replacements: heapless::Vec::new(),
    });
    let before = w.storage().clone();
    assert_eq!(
        w.append(&stamp(), &big).unwrap_err(),
        WriteError::Encode(EncodeError::BufferTooSmall)
    );
    assert_eq!(w.storage(), &before);
    assert_eq!(w.head().next_seq, 1);
    w.append(&stamp(), &small_record(2)).unwrap();
    assert_eq!(verify(w.storage(), Anchor::genesis(&id)).unwrap().entries, 2);
}

#[test]
fn the_largest_records_fit_the_largest_frame() {
    // Every bounded field at its capacity: the entry still fits a frame.
    let lot = LotId {
        item: ItemCode::Internal("I".repeat(20).parse().unwrap()),
        lot: "L".repeat(20).parse().unwrap(),
    };
    let q = Quantity::new(u64::MAX, 9, Unit::from_code("XYZ").unwrap()).unwrap();
    let lq = LotQuantity { lot: lot.clone(), quantity: q.clone() };
    let produced = Record::Produced(Produced {
        work_order: "W".repeat(24).parse().unwrap(),
        line: "L".repeat(24).parse().unwrap(),
        produced_on: Date(i32::MIN),
        expiry: Some(Date(i32::MAX)),
        inputs: heapless::Vec::from_slice(&vec![lq.clone(); MAX_INPUTS]).unwrap(),
        outputs: heapless::Vec::from_slice(&vec![lq; MAX_OUTPUTS]).unwrap(),
    });
    let long = Stamp {
        time: Timestamp(i64::MIN),
        actor: "A".repeat(32).parse().unwrap(),
        station: "S".repeat(32).parse().unwrap(),
    };
    let id = LedgerId([7; 16]);
    let mut w =
        Writer::new(Vec::new(), vec![0u8; lotledger::frame::MAX_FRAME_LEN], Anchor::genesis(&id));
    w.append(&long, &produced).unwrap();
    assert!(w.storage().len() <= lotledger::frame::MAX_FRAME_LEN);
    assert_eq!(verify(w.storage(), Anchor::genesis(&id)).unwrap().entries, 1);
}
