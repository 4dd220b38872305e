//! Random appends, reads, forwards and confirms over the mock NOR flash, with
//! power cuts at random writes and erases (torn words filled with arbitrary
//! or programmed bits), after the manner of sequential-storage's shutoff
//! fuzzing. After every reboot:
//!
//! - `open` succeeds: a power cut alone never leaves a state it refuses;
//! - every entry `append` acknowledged is there, byte for byte, until
//!   confirmed; at most the entry being appended at the cut is also there,
//!   exactly as it was being written (no phantom);
//! - the confirmed point never goes back past an acknowledged confirmation,
//!   nor forward past what the receiver holds;
//! - what `read_batch` hands out verifies and is what the model holds;
//! - no word is ever written twice without an erase.
//!
//! Input: one byte per operation (low 3 bits pick it, the rest parametrize).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::chain::{Anchor, Receipt, Verifier, WriteError, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::entry::Stamp;
use lotledger::flash::mock::{MockError, MockFlash, Tear};
use lotledger::flash::{FlashError, FlashLedger, Region};
use lotledger::forward::{MemorySink, Receiver, Sink};
use lotledger::model::{Digest, LedgerId, Record};

type Flash = MockFlash<4, 512>;
const PAGES: u32 = 4;
const REGION: Region = Region { start: 0, pages: PAGES };
const LEDGER: LedgerId = LedgerId(*b"fuzz-power-cut-1");
const BUF: usize = 512;
const BATCH: usize = 2048;

/// The same entries, written to memory: what the device must hold.
struct Model {
    writer: Writer<Vec<u8>, Vec<u8>>,
    offsets: Vec<usize>,
    hashes: Vec<Digest>,
    /// Confirmed on flash for certain (`durable_confirmed` said so).
    confirmed: u64,
    /// The most ever asked to be confirmed.
    confirm_tried: u64,
    /// The entry being appended when the power went.
    in_flight: Option<(Stamp, Record)>,
}

impl Model {
    fn new() -> Self {
        Self {
            writer: Writer::new(Vec::new(), vec![0u8; BUF], Anchor::genesis(&LEDGER)),
            offsets: Vec::new(),
            hashes: Vec::new(),
            confirmed: 0,
            confirm_tried: 0,
            in_flight: None,
        }
    }
    fn acked(&self) -> u64 {
        self.hashes.len() as u64
    }
    fn append(&mut self, stamp: &Stamp, record: &Record) -> Receipt {
        self.offsets.push(self.writer.storage().len());
        let r = self.writer.append(stamp, record).expect("the model appends");
        self.hashes.push(r.hash);
        r
    }
    fn anchor(&self, seq: u64) -> Anchor {
        match seq {
            0 => Anchor::genesis(&LEDGER),
            n => Anchor { next_seq: n, head: self.hashes[n as usize - 1] },
        }
    }
    fn offset(&self, seq: u64) -> usize {
        self.offsets.get(seq as usize).copied().unwrap_or(self.writer.storage().len())
    }
    fn frames(&self, from: u64, to: u64) -> &[u8] {
        &self.writer.storage()[self.offset(from)..self.offset(to)]
    }
}

type Device<'f> = FlashLedger<&'f mut Flash, [u8; BUF]>;

fn cut<T>(r: &Result<T, FlashError<MockError>>) -> bool {
    matches!(r, Err(FlashError::Flash(MockError::PowerCut | MockError::PoweredOff)))
}

fn append_cut<T>(r: &Result<T, WriteError<FlashError<MockError>>>) -> bool {
    matches!(
        r,
        Err(WriteError::Storage(FlashError::Flash(MockError::PowerCut | MockError::PoweredOff)))
    )
}

/// Reads what is pending (at most `limit` bytes) and checks it against the
/// model; with `confirm`, hands it to the receiver and confirms it.
fn forward(
    dev: &mut Device<'_>,
    rx: &mut Receiver<MemorySink>,
    model: &mut Model,
    buf: &mut [u8],
    limit: usize,
    confirm: bool,
) -> Result<(), FlashError<MockError>> {
    let buf = &mut buf[..limit];
    let b = match dev.read_batch(buf) {
        Err(FlashError::BufferTooSmall { .. }) => return Ok(()),
        other => other?,
    };
    assert_eq!(b.start, model.anchor(b.first_seq), "batch anchor");
    assert_eq!(&buf[..b.len], model.frames(b.first_seq, b.first_seq + b.count), "batch bytes");
    let verified = Verifier::new(&buf[..b.len], b.start).filter(Result::is_ok).count();
    assert_eq!(verified as u64, b.count, "a forwarded entry does not verify");
    if b.count == 0 || !confirm {
        return Ok(());
    }
    rx.receive(&LEDGER, &buf[..b.len]).expect("the receiver refused a device batch");
    let up_to = b.first_seq + b.count - 1;
    model.confirm_tried = model.confirm_tried.max(up_to + 1);
    dev.confirm(up_to)?;
    assert_eq!(dev.confirmed(), up_to + 1);
    model.confirmed = model.confirmed.max(dev.durable_confirmed());
    Ok(())
}

/// The invariants after a reboot; adopts the in-flight entry if it made it.
fn check(dev: &mut Device<'_>, model: &mut Model, rx: &mut Receiver<MemorySink>, buf: &mut [u8]) {
    let head = dev.head();
    let acked = model.acked();
    if head.next_seq == acked + 1 {
        let (stamp, record) =
            model.in_flight.take().expect("phantom: an entry appeared that was never appended");
        model.append(&stamp, &record);
        assert_eq!(head, model.anchor(acked + 1), "the entry found is not the one appended");
    } else {
        assert_eq!(head.next_seq, acked, "acknowledged entries lost");
        assert_eq!(head, model.anchor(acked), "head differs from the acknowledged chain");
        model.in_flight = None;
    }
    let held = rx.sink_mut().head(&LEDGER).expect("sink head").map_or(0, |a| a.next_seq);
    let c = dev.confirmed();
    assert!(c >= model.confirmed, "confirmation lost: {c} < {}", model.confirmed);
    assert!(c <= model.confirm_tried.max(model.confirmed), "confirmed more than asked");
    assert!(c <= held, "confirmed entries the receiver does not hold");
    model.confirmed = c;
    model.confirm_tried = c;
    let b = dev.read_batch(buf).expect("read after reboot");
    assert_eq!(b.first_seq, c, "pending entries start");
    assert_eq!(b.start, model.anchor(c));
    assert_eq!(&buf[..b.len], model.frames(c, c + b.count), "pending entries differ");
}

fuzz_target!(|data: &[u8]| {
    let mut flash = Flash::new(PAGES as usize).with_seed(0x5eed);
    drop(FlashLedger::format(&mut flash, REGION, LEDGER, [0u8; BUF]).expect("format"));
    let mut model = Model::new();
    let mut rx = Receiver::new(MemorySink::new());
    let mut plant = Plant::new(&PlantConfig::default());
    let mut buf = vec![0u8; BATCH];
    let mut ops = data.iter().copied();
    'boot: loop {
        let opened = FlashLedger::open(&mut flash, REGION, LEDGER, [0u8; BUF]);
        if cut(&opened) {
            // The cut hit the recovery's own writes: reboot again.
            flash.power_on();
            continue 'boot;
        }
        let mut dev = opened.unwrap_or_else(|e| panic!("open after a power cut refused: {e}"));
        check(&mut dev, &mut model, &mut rx, &mut buf);
        for op in ops.by_ref() {
            let arg = op >> 3;
            let went = match op & 7 {
                0..=3 => {
                    let (stamp, record) = plant.next().expect("plant record");
                    let r = dev.append(&stamp, &record);
                    match r {
                        Ok(receipt) => {
                            assert_eq!(receipt, model.append(&stamp, &record));
                            false
                        }
                        Err(WriteError::Storage(FlashError::Full)) => false,
                        ref e if append_cut(e) => {
                            model.in_flight = Some((stamp, record));
                            true
                        }
                        Err(e) => panic!("append failed: {e}"),
                    }
                }
                4 => cut(&forward(&mut dev, &mut rx, &mut model, &mut buf, BATCH, false)),
                5 => cut(&forward(&mut dev, &mut rx, &mut model, &mut buf, BATCH, true)),
                6 => {
                    let limit = (usize::from(arg) * 64).clamp(64, BATCH);
                    cut(&forward(&mut dev, &mut rx, &mut model, &mut buf, limit, true))
                }
                _ => {
                    // Arm a cut at one of the next few writes or erases (it may
                    // land in a later operation or in a reboot's recovery), and
                    // pick how torn words are filled.
                    let tear = if arg & 16 == 0 { Tear::Arbitrary } else { Tear::Programmed };
                    drop(dev);
                    flash = flash.with_tear(tear);
                    flash.cut_at(u64::from(arg % 8));
                    continue 'boot;
                }
            };
            if went {
                drop(dev);
                assert!(!flash.is_powered());
                assert_eq!(flash.unerased_writes(), 0, "a word written twice without an erase");
                flash.power_on();
                continue 'boot;
            }
        }
        // Out of input: forward everything without cuts; nothing may be left.
        drop(dev);
        flash.no_cut();
        let mut dev = FlashLedger::open(&mut flash, REGION, LEDGER, [0u8; BUF]).expect("reopen");
        check(&mut dev, &mut model, &mut rx, &mut buf);
        while dev.pending() > 0 {
            forward(&mut dev, &mut rx, &mut model, &mut buf, BATCH, true).expect("final forward");
        }
        break;
    }
    assert_eq!(flash.unerased_writes(), 0, "a word was written twice without an erase");
    let held = rx.sink_mut().head(&LEDGER).expect("sink head").map_or(0, |a| a.next_seq);
    assert_eq!(held, model.acked(), "the receiver lacks entries");
    assert_eq!(rx.sink().frames(&LEDGER), model.frames(0, held), "the receiver holds other bytes");
});
