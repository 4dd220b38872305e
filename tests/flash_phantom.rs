//! No phantom entries, and no silent loss: bytes on flash that pass a
//! storage-level check (a CRC-valid frame) but do not continue the chain
//! are never taken for entries; a torn tail is never appended after, so two
//! interrupted writes cannot combine into a valid-looking record (the
//! failure sequential-storage's issue #136 describes); and damage that power
//! loss cannot explain makes `open` refuse, naming the entry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::drop_non_drop
)]

use lotledger::chain::{Anchor, FailureKind, WriteError, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::flash::mock::{MockFlash, Tear};
use lotledger::flash::{FlashError, FlashLedger, Region};
use lotledger::model::LedgerId;

type Flash = MockFlash<4, 1024>;
const REGION: Region = Region { start: 0, pages: 4 };
const DEVICE: LedgerId = LedgerId(*b"line-3-plc-00001");

fn plant(seed: u64) -> Plant {
    Plant::new(&PlantConfig { seed, ..PlantConfig::default() })
}

/// The frames of the first `n` entries of ledger `ledger` from plant `seed`.
fn frames(ledger: LedgerId, seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut w = Writer::new(Vec::new(), vec![0u8; 512], Anchor::genesis(&ledger));
    let mut out = Vec::new();
    for (stamp, record) in plant(seed).take(n) {
        let start = w.storage().len();
        w.append(&stamp, &record).unwrap();
        out.push(w.storage()[start..].to_vec());
    }
    out
}

fn device_with(flash: &mut Flash, n: usize) -> Anchor {
    let mut dev = FlashLedger::format(&mut *flash, REGION, DEVICE, [0u8; 512]).unwrap();
    for (stamp, record) in plant(1).take(n) {
        dev.append(&stamp, &record).unwrap();
    }
    dev.head()
}

#[test]
fn crc_valid_frames_that_do_not_continue_the_chain_are_not_entries() {
    let own = frames(DEVICE, 1, 6);
    let candidates = [
        ("a replay of entry 0", own[0].clone()),
        ("entry 5 of the same history, one too far", own[5].clone()),
        ("entry 4 of another history", frames(DEVICE, 9, 5)[4].clone()),
        ("entry 4 of another ledger", frames(LedgerId([7; 16]), 1, 5)[4].clone()),
    ];
    for (what, phantom) in candidates {
        let mut flash = Flash::new(4);
        let head = device_with(&mut flash, 4);
        // The phantom sits exactly where the next record would go, as if
        // assembled there by torn writes.
        let dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
        let at = dev.log().next_address() as usize;
        drop(dev);
        flash.bytes_mut()[at..at + phantom.len()].copy_from_slice(&phantom);
        assert!(lotledger::frame::parse(&phantom).is_ok(), "{what}: passes the frame check");

        let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
        assert_eq!(dev.head(), head, "{what} was taken for an entry");
        assert!(dev.log().sealed(), "{what}: the page must not be appended after");
        let mut buf = [0u8; 4096];
        assert_eq!(dev.read_batch(&mut buf).unwrap().count, 4);
        // The next entry goes to a fresh page and continues the real chain.
        let page = dev.log().active_page();
        let (stamp, record) = plant(1).nth(4).unwrap();
        let r = dev.append(&stamp, &record).unwrap();
        assert_eq!(dev.log().active_page(), page + 1);
        drop(dev);
        let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
        assert_eq!(dev.head().next_seq, 5);
        assert_eq!(dev.head().head, r.hash);
        let b = dev.read_batch(&mut buf).unwrap();
        assert_eq!(&buf[..b.len], own[..5].concat(), "{what}");
        assert_eq!(flash.unerased_writes(), 0);
    }
}

#[test]
fn two_interrupted_writes_then_a_clean_one() {
    // sequential-storage #136: two interrupted stores, then a clean store
    // that is acknowledged and lost after a reboot. Here, for every tear
    // pattern the seeds give: cut the next append, reboot, cut the first
    // operation of recovery, reboot, append cleanly, reboot.
    for seed in 0..120u64 {
        for (first, second) in [(0u64, 0u64), (0, 1), (1, 0)] {
            let tear = if seed % 2 == 0 { Tear::Arbitrary } else { Tear::Programmed };
            let mut flash = Flash::new(4).with_seed(seed).with_tear(tear);
            let mut head = device_with(&mut flash, 3 + (seed % 11) as usize);
            let mut p = plant(2);
            for cut in [first, second] {
                flash.cut_at(cut);
                let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
                assert_eq!(dev.head(), head);
                let mut acked = 0;
                loop {
                    let (stamp, record) = p.next().unwrap();
                    match dev.append(&stamp, &record) {
                        Ok(_) => acked += 1,
                        Err(WriteError::Storage(FlashError::Full)) => {
                            if dev.confirm(dev.head().next_seq - 1).is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    }
                }
                drop(dev);
                flash.power_on();
                let dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
                // Every acknowledged entry is there, and at most the one being written.
                let grew = dev.head().next_seq - head.next_seq;
                assert!(grew == acked || grew == acked + 1, "seed {seed}: {grew} vs {acked}");
                head = dev.head();
                drop(dev);
            }
            let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
            let (stamp, record) = p.next().unwrap();
            dev.confirm(dev.head().next_seq - 1).unwrap();
            let r = dev.append(&stamp, &record).unwrap();
            drop(dev);
            let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
            assert_eq!((dev.head().next_seq - 1, dev.head().head), (r.seq, r.hash), "seed {seed}");
            let mut buf = [0u8; 4096];
            let b = dev.read_batch(&mut buf).unwrap();
            assert_eq!(b.first_seq + b.count, r.seq + 1);
            assert_eq!(flash.unerased_writes(), 0);
        }
    }
}

#[test]
fn damage_power_loss_cannot_explain_is_refused() {
    // An acknowledged entry altered before the newest page's tail.
    let mut flash = Flash::new(4);
    device_with(&mut flash, 5);
    let entry1 = 76 + frames(DEVICE, 1, 1)[0].len().div_ceil(4) * 4;
    flash.bytes_mut()[entry1 + 10] ^= 0x04;
    match FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]) {
        Err(FlashError::Corrupted { seq: 1, offset, kind: FailureKind::Frame(_) }) => {
            assert_eq!(offset as usize, entry1);
        }
        other => panic!("{other:?}"),
    }

    // An unconfirmed entry altered in an older page: entries are missing.
    let mut flash = Flash::new(4);
    let head = device_with(&mut flash, 30);
    assert!(head.next_seq == 30);
    flash.bytes_mut()[76 + 3] ^= 0x80;
    match FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]) {
        Err(FlashError::Missing { from: 0, to }) => assert!(to > 1 && to < 30),
        other => panic!("{other:?}"),
    }

    // Damage to pages holding only confirmed entries (an erase cut short
    // while freeing them) is harmless; a cut confirmation is all or nothing.
    let mut torn_erase_seen = false;
    for cut in 0..6 {
        let mut flash = Flash::new(4);
        let head = device_with(&mut flash, 30);
        flash.cut_at(cut);
        let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
        assert!(dev.log().oldest_page() < dev.log().active_page());
        let result = dev.confirm(29);
        drop(dev);
        flash.power_on();
        let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
        assert_eq!(dev.head(), head);
        assert!(dev.confirmed() == 0 || dev.confirmed() == 30);
        torn_erase_seen |= result.is_err() && dev.confirmed() == 30;
        dev.confirm(29).unwrap();
        assert_eq!(dev.read_batch(&mut [0u8; 512]).unwrap().count, 0);
        assert_eq!(dev.log().oldest_page(), dev.log().active_page());
    }
    assert!(torn_erase_seen);

    // No page header at all, but not blank: not a ledger.
    let mut flash = Flash::new(4);
    flash.bytes_mut()[100] = 0;
    assert!(matches!(
        FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]),
        Err(FlashError::Unrecognized)
    ));
}

#[test]
fn entries_larger_than_the_buffer_are_reported_not_skipped() {
    let mut flash = Flash::new(4);
    device_with(&mut flash, 5);
    let smallest = frames(DEVICE, 1, 5).iter().map(Vec::len).min().unwrap();
    match FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 16]) {
        Err(FlashError::BufferTooSmall { need }) => assert!(need >= smallest),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_entry_written_but_not_acknowledged_never_surfaces() {
    // The driver reports an error for a write the flash completed: the
    // entry is on flash but was not acknowledged.
    let fifth = frames(DEVICE, 1, 5)[4].clone();
    let last_op = u64::from(!fifth.len().is_multiple_of(4)); // a padded tail word is a second write
    let (stamp, record) = plant(1).nth(4).unwrap();

    // After a reboot a complete entry is an entry: it was appended.
    let mut flash = Flash::new(4);
    let head = device_with(&mut flash, 4);
    flash.spurious_at(last_op);
    let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    let at = dev.log().next_address() as usize;
    assert!(dev.append(&stamp, &record).is_err());
    assert_eq!(dev.head(), head);
    drop(dev);
    assert_eq!(&flash.bytes()[at..at + fifth.len()], fifth, "complete on flash");
    let dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    assert_eq!(dev.head().next_seq, 5);
    drop(dev);

    // Within the session the error seals the page and the next entry takes
    // number 4 on a new page. Neither forwarding nor a reboot may bring the
    // unacknowledged one back.
    let mut flash = Flash::new(4);
    device_with(&mut flash, 4);
    flash.spurious_at(last_op);
    let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    assert!(dev.append(&stamp, &record).is_err());
    let (stamp, record) = plant(5).next().unwrap();
    let r = dev.append(&stamp, &record).unwrap();
    assert_eq!(r.seq, 4);
    let head = Anchor { next_seq: 5, head: r.hash };
    let mut buf = [0u8; 4096];
    let b = dev.read_batch(&mut buf).unwrap();
    assert_eq!((b.count, dev.head()), (5, head));
    let expected = buf[..b.len].to_vec();
    let first_four = frames(DEVICE, 1, 4).concat();
    assert_eq!(&expected[..first_four.len()], first_four);
    assert_ne!(&expected[first_four.len()..], fifth, "the new entry 4, not the unacknowledged one");
    drop(dev);
    let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
    assert_eq!(dev.head(), head);
    let b = dev.read_batch(&mut buf).unwrap();
    assert_eq!(&buf[..b.len], expected, "the unacknowledged entry surfaced");
}

#[test]
fn a_driver_error_on_any_write_loses_nothing_acknowledged() {
    // Whichever write reports an error (a frame, a page header, a padded
    // tail word), the entries acknowledged before and after it survive a
    // reboot, in order, and nothing else appears.
    for before in 1..30 {
        for op in 0..3 {
            let mut flash = Flash::new(4);
            device_with(&mut flash, before);
            let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
            dev.confirm(dev.head().next_seq - 1).unwrap(); // room for what follows
            drop(dev);
            flash.spurious_at(op);
            let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512]).unwrap();
            let mut acked = Vec::new();
            for (stamp, record) in plant(3).take(4) {
                match dev.append(&stamp, &record) {
                    Ok(r) => acked.push(r),
                    Err(e) => assert!(e.to_string().contains("spurious"), "{e}"),
                }
            }
            assert!(acked.len() >= 3, "one error, at most one entry refused");
            let head = dev.head();
            assert_eq!(head.head, acked.last().unwrap().hash);
            drop(dev);
            let mut dev = FlashLedger::open(&mut flash, REGION, DEVICE, [0u8; 512])
                .unwrap_or_else(|e| panic!("{before} entries, error at op {op}: {e}"));
            assert_eq!(dev.head(), head, "{before} entries, error at op {op}");
            let mut buf = [0u8; 4096];
            let b = dev.read_batch(&mut buf).unwrap();
            assert_eq!(b.first_seq + b.count, head.next_seq);
            assert_eq!(flash.unerased_writes(), 0);
        }
    }
}
