//! Store and forward: a line controller's flash ledger forwards entries to
//! a line PC's receiver, which stores each device's entries under its
//! ledger id and checks every batch against the chain it holds. Continuing
//! batches are stored, replays (the device rebooted before the
//! confirmation) are accepted once, partial overlaps store only what is
//! new; gaps, forks, another ledger's entries and broken batches are
//! refused with the entry and the reason, storing nothing. The device's
//! head survives reboots even when everything was forwarded and erased.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::drop_non_drop
)]

use lotledger::chain::{Anchor, FailureKind, WriteError, Writer, verify};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::flash::mock::MockFlash;
use lotledger::flash::{FlashError, FlashLedger, Region};
use lotledger::forward::{MemorySink, ReceiveError, Receiver, Refusal, Sink};
use lotledger::frame;
use lotledger::model::LedgerId;

type Flash = MockFlash<8, 1024>;
const REGION: Region = Region { start: 1024, pages: 4 };
const DEVICE: LedgerId = LedgerId(*b"line-3-plc-00001");
const OTHER: LedgerId = LedgerId(*b"line-4-plc-00002");

fn plant(seed: u64) -> Plant {
    Plant::new(&PlantConfig { seed, ..PlantConfig::default() })
}

type Device<'f> = FlashLedger<&'f mut Flash, [u8; 512]>;

fn append_n(dev: &mut Device<'_>, plant: &mut Plant, n: usize) {
    for _ in 0..n {
        let (stamp, record) = plant.next().unwrap();
        dev.append(&stamp, &record).unwrap();
    }
}

/// The frames of entries `from..to` of a ledger written in memory.
fn frames(ledger: LedgerId, seed: u64, from: usize, to: usize) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), vec![0u8; 512], Anchor::genesis(&ledger));
    let mut starts = Vec::new();
    for (stamp, record) in plant(seed).take(to) {
        starts.push(w.storage().len());
        w.append(&stamp, &record).unwrap();
    }
    w.storage()[starts[from]..].to_vec()
}

fn refused<E: std::fmt::Debug>(r: Result<impl std::fmt::Debug, ReceiveError<E>>) -> (u64, Refusal) {
    match r {
        Err(ReceiveError::Refused { seq, reason, .. }) => (seq, reason),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn forwarded_entries_reach_the_receiver_once_and_are_erased() {
    let mut flash = Flash::new(6);
    let mut dev = FlashLedger::format(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    let mut p = plant(1);
    let mut rx = Receiver::new(MemorySink::new());
    let mut buf = [0u8; 600];
    for round in 0..12 {
        append_n(&mut dev, &mut p, 7);
        // Small batches: several per round.
        while dev.pending() > 0 {
            let b = dev.read_batch(&mut buf).unwrap();
            assert_eq!(b.first_seq, dev.confirmed(), "round {round}");
            let got = rx.receive(&DEVICE, &buf[..b.len]).unwrap();
            assert_eq!((got.stored, got.duplicates), (b.count, 0));
            dev.confirm(got.head.next_seq - 1).unwrap();
        }
    }
    assert_eq!(dev.head().next_seq, 84);
    let held = rx.sink().frames(&DEVICE);
    let report = verify(held, Anchor::genesis(&DEVICE)).unwrap();
    assert_eq!(report.head, dev.head());
    assert_eq!(held, frames(DEVICE, 1, 0, 84));
    // Everything is confirmed: only the page being written is left.
    assert_eq!(dev.log().oldest_page(), dev.log().active_page());
    let active = dev.log().active_page();
    drop(dev);
    for page in 0..4u32 {
        let start = (1024 * (1 + page)) as usize;
        let blank = flash.bytes()[start..start + 1024].iter().all(|b| *b == 0xFF);
        assert_eq!(blank, page != active % 4, "page {page}");
    }
    // Outside the region nothing was touched.
    assert!(flash.bytes()[..1024].iter().chain(&flash.bytes()[5 * 1024..]).all(|b| *b == 0xFF));
}

#[test]
fn head_survives_reboot_when_everything_was_forwarded() {
    let mut flash = Flash::new(6);
    let mut dev = FlashLedger::format(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    let mut p = plant(2);
    let mut rx = Receiver::new(MemorySink::new());
    let mut buf = [0u8; 4096];
    append_n(&mut dev, &mut p, 30);
    let b = dev.read_batch(&mut buf).unwrap();
    assert_eq!(b.count, 30);
    rx.receive(&DEVICE, &buf[..b.len]).unwrap();
    dev.confirm(29).unwrap();
    let head = dev.head();
    drop(dev);

    for _ in 0..3 {
        let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
        assert_eq!(dev.head(), head);
        assert_eq!(dev.ledger(), DEVICE);
        assert_eq!((dev.confirmed(), dev.pending()), (30, 0));
        assert_eq!(dev.read_batch(&mut buf).unwrap().count, 0);
    }
    // The next entry continues the chain the receiver holds.
    let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    append_n(&mut dev, &mut p, 1);
    let b = dev.read_batch(&mut buf).unwrap();
    assert_eq!((b.first_seq, b.count, b.start), (30, 1, head));
    let got = rx.receive(&DEVICE, &buf[..b.len]).unwrap();
    assert_eq!((got.stored, got.head), (1, dev.head()));
    assert_eq!(rx.sink().frames(&DEVICE), frames(DEVICE, 2, 0, 31));
}

#[test]
fn batch_forwarded_twice_is_accepted_once() {
    let mut flash = Flash::new(6);
    let mut dev = FlashLedger::format(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    append_n(&mut dev, &mut plant(3), 10);
    let mut rx = Receiver::new(MemorySink::new());
    let mut buf = [0u8; 4096];
    let b = dev.read_batch(&mut buf).unwrap();
    let first = rx.receive(&DEVICE, &buf[..b.len]).unwrap();
    assert_eq!((first.stored, first.duplicates), (10, 0));
    // The device reboots before it hears back, and forwards the same batch.
    drop(dev);
    let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    let again = dev.read_batch(&mut buf).unwrap();
    assert_eq!(again, b);
    let second = rx.receive(&DEVICE, &buf[..again.len]).unwrap();
    assert_eq!((second.stored, second.duplicates, second.head), (0, 10, first.head));
    assert_eq!(rx.sink().appends(), 1, "stored once");
    assert_eq!(rx.sink().frames(&DEVICE), frames(DEVICE, 3, 0, 10));
    dev.confirm(second.head.next_seq - 1).unwrap();
    assert_eq!(dev.pending(), 0);
}

#[test]
fn partial_overlap_stores_only_the_new_entries() {
    let mut rx = Receiver::new(MemorySink::new());
    rx.receive(&DEVICE, &frames(DEVICE, 4, 0, 10)).unwrap();
    let got = rx.receive(&DEVICE, &frames(DEVICE, 4, 6, 15)).unwrap();
    assert_eq!((got.stored, got.duplicates, got.head.next_seq), (5, 4, 15));
    assert_eq!(rx.sink().frames(&DEVICE), frames(DEVICE, 4, 0, 15));
    assert_eq!(verify(rx.sink().frames(&DEVICE), Anchor::genesis(&DEVICE)).unwrap().entries, 15);
}

#[test]
fn gaps_forks_and_other_ledgers_are_refused_storing_nothing() {
    let mut rx = Receiver::new(MemorySink::new());
    rx.receive(&DEVICE, &frames(DEVICE, 5, 0, 5)).unwrap();
    let before = rx.sink().frames(&DEVICE).to_vec();

    // A gap: entries 5..8 never arrived.
    let (seq, why) = refused(rx.receive(&DEVICE, &frames(DEVICE, 5, 8, 12)));
    assert_eq!((seq, why), (8, Refusal::Gap { expected: 5 }));

    // A fork: another history under the same ledger id (seed 6 differs from entry 0).
    let (seq, why) = refused(rx.receive(&DEVICE, &frames(DEVICE, 6, 3, 7)));
    assert_eq!(seq, 3);
    assert!(matches!(why, Refusal::Fork { .. }), "{why:?}");
    let (seq, why) = refused(rx.receive(&DEVICE, &frames(DEVICE, 6, 5, 7)));
    assert_eq!((seq, why), (5, Refusal::Fork { held: None, received: None }));
    let (seq, why) = refused(rx.receive(&DEVICE, &frames(DEVICE, 6, 0, 3)));
    assert_eq!(seq, 0);
    assert!(matches!(why, Refusal::Fork { held: Some(h), received: Some(r) } if h != r));

    // Another device's entries sent under this id, or under a new id.
    let (seq, why) = refused(rx.receive(&LedgerId([9; 16]), &frames(OTHER, 5, 0, 3)));
    assert_eq!((seq, why), (0, Refusal::WrongLedger));
    let (seq, why) = refused(rx.receive(&DEVICE, &frames(OTHER, 5, 5, 7)));
    assert_eq!((seq, why), (5, Refusal::Fork { held: None, received: None }));

    // A torn or altered frame anywhere refuses the whole batch.
    let mut batch = frames(DEVICE, 5, 5, 9);
    let last = batch.len() - 2;
    batch[last] ^= 1;
    let (seq, why) = refused(rx.receive(&DEVICE, &batch));
    assert_eq!(seq, 8);
    assert!(matches!(
        why,
        Refusal::Invalid(FailureKind::Frame(frame::FrameError::BadChecksum { .. }))
    ));
    let mut reordered = frames(DEVICE, 5, 6, 7);
    reordered.extend(frames(DEVICE, 5, 5, 6));
    let (seq, _) = refused(rx.receive(&DEVICE, &reordered));
    assert_eq!(seq, 6, "starts past the held head: a gap");

    assert_eq!(rx.sink().frames(&DEVICE), before, "nothing stored");
    assert_eq!(rx.sink().appends(), 1);
    let mut sink = rx.into_sink();
    assert_eq!(sink.head(&LedgerId([9; 16])).unwrap(), None);
    // Displayed errors name the entry.
    let e = Receiver::new(&mut sink).receive(&DEVICE, &frames(DEVICE, 5, 8, 9)).unwrap_err();
    assert_eq!(e.to_string(), "batch refused at entry 8 (byte 0): gap: expected entry 5");
}

#[test]
fn open_refuses_another_ledger_and_an_empty_region() {
    let mut flash = Flash::new(6);
    assert!(matches!(
        FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]),
        Err(FlashError::Blank)
    ));
    drop(FlashLedger::format(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap());
    match FlashLedger::open(&mut flash, REGION, OTHER, [0u8; 512]) {
        Err(FlashError::WrongLedger { found }) => assert_eq!(found, DEVICE),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        FlashLedger::open(&mut flash, Region { start: 0, pages: 1 }, DEVICE, [0u8; 512]),
        Err(FlashError::Region(_))
    ));
}

#[test]
fn full_flash_refuses_appends_until_forwarded() {
    let mut flash = Flash::new(6);
    let mut dev = FlashLedger::format(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    let mut p = plant(7);
    let mut n = 0;
    let err = loop {
        let (stamp, record) = p.next().unwrap();
        match dev.append(&stamp, &record) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
        assert!(n < 200, "never full");
    };
    assert!(matches!(err, WriteError::Storage(FlashError::Full)), "{err:?}");
    assert_eq!(dev.head().next_seq, n);
    let head = dev.head();
    let mut buf = [0u8; 4096];
    let b = dev.read_batch(&mut buf).unwrap();
    assert_eq!(b.count, n);
    // Confirming a little is not enough to free the oldest page ...
    dev.confirm(0).unwrap();
    let (stamp, record) = p.next().unwrap();
    assert!(dev.append(&stamp, &record).is_err());
    assert_eq!(dev.head(), head);
    // ... confirming all of it is.
    dev.confirm(n - 1).unwrap();
    dev.append(&stamp, &record).unwrap();
    assert!(
        matches!(dev.confirm(n + 1), Err(FlashError::NotWritten { seq, next_seq }) if seq == n + 1 && next_seq == n + 1)
    );
}
