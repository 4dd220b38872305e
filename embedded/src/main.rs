//! A line controller's use of lotledger, and nothing else: append entries
//! to a RAM-backed store with a caller-owned buffer, then verify them. No
//! heap, no std. Built to measure what the core costs in flash and RAM:
//! `bash embedded/size.sh`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_halt as _;

use lotledger::chain::{Anchor, Writer, verify};
use lotledger::entry::Stamp;
use lotledger::model::{
    Code, ItemCode, LedgerId, LotId, PartyId, Quantity, Record, Shipped, Timestamp, Unit,
};
use lotledger::storage::SliceStorage;

#[entry]
fn main() -> ! {
    let mut store = [0u8; 4096];
    let mut buffer = [0u8; 256];
    let ledger = LedgerId([0x11; 16]);
    let mut writer =
        Writer::new(SliceStorage::new(&mut store), &mut buffer[..], Anchor::genesis(&ledger));
    // Values a controller would read from its scanner and its clock.
    let time = core::hint::black_box(1_772_438_400_000i64);
    let (Ok(actor), Ok(station), Ok(item), Ok(lot), Ok(customer), Ok(order)) = (
        Code::new(core::hint::black_box("op.4711")),
        Code::new("LINE-2"),
        Code::new("FG-PATCH-10"),
        Code::new("B260417"),
        Code::new("C10417"),
        Code::new("SO0000417"),
    ) else {
        loop {}
    };
    let mut stamp = Stamp { time: Timestamp(time), actor, station };
    let record = Record::Shipped(Shipped {
        lot: LotId { item: ItemCode::Internal(item), lot },
        quantity: Quantity::whole(core::hint::black_box(240), Unit::Piece),
        customer: PartyId::Internal(customer),
        ship_to: None,
        order,
    });
    for _ in 0..16 {
        stamp.time.0 += 60_000;
        if writer.append(&stamp, &record).is_err() {
            break;
        }
    }
    let head = writer.head();
    let (storage, _) = writer.into_parts();
    let verified =
        verify(storage.as_bytes(), Anchor::genesis(&ledger)).and_then(|r| r.expect_head(&head));
    core::hint::black_box(verified.is_ok());
    loop {}
}
