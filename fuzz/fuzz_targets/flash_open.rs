//! A real flash ledger image with arbitrary bytes changed: `open` must never
//! panic, and whatever it then hands out for forwarding must verify.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lotledger::chain::Verifier;
use lotledger::demo::{Plant, PlantConfig};
use lotledger::flash::mock::MockFlash;
use lotledger::flash::{FlashLedger, Region};
use lotledger::model::LedgerId;

type Flash = MockFlash<4, 512>;
const REGION: Region = Region { start: 0, pages: 4 };
const ID: LedgerId = LedgerId(*b"fuzz-ledger-0001");

/// 20 entries, the first 8 forwarded and confirmed.
fn image() -> &'static Flash {
    static IMAGE: OnceLock<Flash> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let mut flash = Flash::new(4);
        let mut dev = FlashLedger::format(&mut flash, REGION, ID, [0u8; 512]).unwrap();
        let mut plant = Plant::new(&PlantConfig::default());
        for i in 0..20 {
            let (stamp, record) = plant.next().unwrap();
            dev.append(&stamp, &record).unwrap();
            if i == 7 {
                dev.confirm(7).unwrap();
            }
        }
        drop(dev);
        flash
    })
}

fuzz_target!(|data: &[u8]| {
    let mut flash = image().clone();
    // Each 3 bytes: a little-endian offset and a byte to store there.
    for edit in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % flash.bytes().len();
        flash.bytes_mut()[at] = edit[2];
    }
    let Ok(mut dev) = FlashLedger::open(&mut flash, REGION, ID, [0u8; 512]) else { return };
    let mut buf = [0u8; 2048];
    if let Ok(b) = dev.read_batch(&mut buf) {
        let verified = Verifier::new(&buf[..b.len], b.start).filter(Result::is_ok).count();
        assert_eq!(verified as u64, b.count, "a forwarded entry does not verify");
        assert_eq!(b.first_seq + b.count, dev.head().next_seq);
    }
    let (stamp, record) = Plant::new(&PlantConfig::default()).next().unwrap();
    let _ = dev.append(&stamp, &record);
});
