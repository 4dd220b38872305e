//! Power cut at every write and erase of a store-and-forward workload on
//! NOR flash, torn words filled with arbitrary bits (and, separately, with
//! the bits NOR programming could leave), once and twice in a row (the
//! second cut lands in the recovery's own writes). After every reboot:
//!
//! - every entry acknowledged by `append` is there, byte for byte, and
//!   verifies; at most the one entry being appended when the power went may
//!   also be there, and only exactly as it was being written (no phantom);
//! - the confirmed point is between the last acknowledged confirmation and
//!   the last attempted one, and never past what the receiver holds;
//! - forwarding again hands the receiver duplicates it accepts once;
//! - appending continues the chain, and the flash was never written twice
//!   without an erase.
//!
//! CI runs a sample; `LOTLEDGER_LONG_RUN=1` runs at least 10,000 single
//! and 10,000 double cuts (use `--release`) and prints the counts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::drop_non_drop
)]

use lotledger::chain::{Anchor, Receipt, Verifier, Writer};
use lotledger::demo::{Plant, PlantConfig, Rng};
use lotledger::entry::Stamp;
use lotledger::flash::mock::{MockError, MockFlash, Tear};
use lotledger::flash::{FlashError, FlashLedger, Region};
use lotledger::forward::{MemorySink, Receiver, Sink};
use lotledger::model::{Digest, LedgerId, Record};

type Flash = MockFlash<4, 1024>;
const PAGES: u32 = 4;
const REGION: Region = Region { start: 0, pages: PAGES };
const LEDGER: LedgerId = LedgerId(*b"line-3-plc-00001");
const BUF: usize = 512;
const BATCH: usize = 4096;

fn long_run() -> bool {
    std::env::var("LOTLEDGER_LONG_RUN").is_ok_and(|v| v == "1")
}

#[derive(Clone, Debug)]
enum Op {
    Append(Box<(Stamp, Record)>),
    /// Forward at most this many bytes of frames, then confirm them.
    Forward(usize),
}

/// Appends from the simulated plant, forwarding and confirming now and then.
fn workload(seed: u64, appends: usize) -> Vec<Op> {
    let mut plant = Plant::new(&PlantConfig { seed, ..PlantConfig::default() });
    let mut rng = Rng::new(seed ^ 0x00f1_a5b0);
    let mut ops = Vec::new();
    for _ in 0..appends {
        ops.push(Op::Append(Box::new(plant.next().unwrap())));
        if rng.chance(180) {
            // Small batches confirm part of what is pending.
            ops.push(Op::Forward(if rng.chance(500) { 350 } else { BATCH }));
        }
    }
    ops.push(Op::Forward(BATCH));
    ops
}

/// What the device must hold: the same entries written to memory.
struct Model {
    writer: Writer<Vec<u8>, Vec<u8>>,
    offsets: Vec<usize>,
    hashes: Vec<Digest>,
    confirmed: u64,
    confirm_tried: u64,
    in_flight: Option<Box<(Stamp, Record)>>,
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
        let r = self.writer.append(stamp, record).unwrap();
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

fn is_cut<T: std::fmt::Debug>(e: &T) -> bool {
    let s = format!("{e:?}");
    s.contains("PowerCut") || s.contains("PoweredOff")
}

/// Forwards what is pending and confirms it. `Err` when the power went.
fn forward(
    dev: &mut Device<'_>,
    rx: &mut Receiver<MemorySink>,
    model: &mut Model,
    buf: &mut [u8],
    limit: usize,
) -> Result<(), FlashError<MockError>> {
    let buf = &mut buf[..limit];
    let b = dev.read_batch(buf)?;
    if b.count == 0 {
        return Ok(());
    }
    let got = rx.receive(&LEDGER, &buf[..b.len]).expect("receiver refused a device batch");
    assert_eq!(got.head.next_seq, b.first_seq + b.count);
    let up_to = b.first_seq + b.count - 1;
    model.confirm_tried = model.confirm_tried.max(up_to + 1);
    dev.confirm(up_to)?;
    assert_eq!(dev.confirmed(), up_to + 1);
    model.confirmed = model.confirmed.max(dev.durable_confirmed());
    Ok(())
}

/// Appends; when every page holds unconfirmed entries, forwards first.
fn append(
    dev: &mut Device<'_>,
    rx: &mut Receiver<MemorySink>,
    model: &mut Model,
    buf: &mut [u8],
    op: &(Stamp, Record),
) -> Result<Receipt, lotledger::chain::WriteError<FlashError<MockError>>> {
    match dev.append(&op.0, &op.1) {
        Err(lotledger::chain::WriteError::Storage(FlashError::Full)) => {
            forward(dev, rx, model, buf, BATCH).map_err(lotledger::chain::WriteError::Storage)?;
            dev.append(&op.0, &op.1)
        }
        other => other,
    }
}

/// The invariants after a reboot; adopts the in-flight entry if it made it.
fn check(dev: &mut Device<'_>, model: &mut Model, rx: &mut Receiver<MemorySink>, buf: &mut [u8]) {
    let head = dev.head();
    let acked = model.acked();
    if head.next_seq == acked + 1 {
        let op =
            model.in_flight.take().expect("phantom: an entry appeared that was never appended");
        model.append(&op.0, &op.1);
        assert_eq!(head, model.anchor(acked + 1), "the entry found is not the one being appended");
    } else {
        assert_eq!(head.next_seq, acked, "acknowledged entries lost");
        assert_eq!(head, model.anchor(acked), "head differs from the acknowledged chain");
        model.in_flight = None;
    }
    let held = rx.sink_mut().head(&LEDGER).unwrap().map_or(0, |a| a.next_seq);
    let c = dev.confirmed();
    assert!(c >= model.confirmed, "confirmation lost: {c} < {}", model.confirmed);
    assert!(c <= model.confirm_tried.max(model.confirmed), "confirmed more than asked");
    assert!(c <= held, "confirmed entries the receiver does not hold");
    model.confirmed = c;
    model.confirm_tried = c;

    let b = dev.read_batch(buf).unwrap();
    assert_eq!((b.first_seq, b.count), (c, head.next_seq - c), "pending entries");
    assert_eq!(b.start, model.anchor(c));
    assert_eq!(&buf[..b.len], model.frames(c, head.next_seq), "pending entries differ");
    assert!(Verifier::new(&buf[..b.len], b.start).all(|v| v.is_ok()));
    assert_eq!(rx.sink().frames(&LEDGER), model.frames(0, held), "receiver holds other bytes");
}

/// Runs the workload, cutting the power at `cuts[i]` write/erase operations
/// after boot `i`. Returns how many cuts happened.
fn run_case(ops: &[Op], tear: Tear, seed: u64, cuts: &[u64]) -> usize {
    let mut flash = Flash::new(PAGES as usize).with_seed(seed).with_tear(tear);
    drop(FlashLedger::format(&mut flash, REGION, LEDGER, [0u8; BUF]).unwrap());
    let mut model = Model::new();
    let mut rx = Receiver::new(MemorySink::new());
    let mut buf = vec![0u8; BATCH];
    let (mut step, mut boot) = (0, 0);
    loop {
        match cuts.get(boot) {
            Some(k) => flash.cut_at(*k),
            None => flash.no_cut(),
        }
        let mut dev =
            FlashLedger::open(&mut flash, REGION, LEDGER, [0u8; BUF]).unwrap_or_else(|e| {
                panic!("seed {seed} {tear:?} cuts {cuts:?}: open after cut {boot} refused: {e}")
            });
        check(&mut dev, &mut model, &mut rx, &mut buf);
        // Whatever was forwarded before the cut comes again: accepted once.
        let mut cut = forward(&mut dev, &mut rx, &mut model, &mut buf, BATCH).is_err();
        while !cut && step < ops.len() {
            match &ops[step] {
                Op::Append(op) => match append(&mut dev, &mut rx, &mut model, &mut buf, op) {
                    Ok(r) => assert_eq!(r, model.append(&op.0, &op.1)),
                    Err(e) => {
                        assert!(is_cut(&e), "append failed: {e}");
                        model.in_flight = Some(op.clone());
                        cut = true;
                    }
                },
                Op::Forward(limit) => {
                    if let Err(e) = forward(&mut dev, &mut rx, &mut model, &mut buf, *limit) {
                        assert!(is_cut(&e), "forward failed: {e}");
                        cut = true;
                    }
                }
            }
            step += 1;
        }
        drop(dev);
        if !cut {
            break;
        }
        assert!(!flash.is_powered());
        flash.power_on();
        boot += 1;
    }
    // Appending continues the chain across a clean reboot.
    flash.no_cut();
    let extra =
        Plant::new(&PlantConfig { seed: seed + 1, ..PlantConfig::default() }).next().unwrap();
    let mut dev = FlashLedger::open(&mut flash, REGION, LEDGER, [0u8; BUF]).unwrap();
    check(&mut dev, &mut model, &mut rx, &mut buf);
    let r = dev.append(&extra.0, &extra.1).unwrap();
    assert_eq!(r, model.append(&extra.0, &extra.1));
    drop(dev);
    let mut dev = FlashLedger::open(&mut flash, REGION, LEDGER, [0u8; BUF]).unwrap();
    check(&mut dev, &mut model, &mut rx, &mut buf);
    forward(&mut dev, &mut rx, &mut model, &mut buf, BATCH).unwrap();
    assert_eq!(dev.pending(), 0);
    drop(dev);
    assert_eq!(flash.unerased_writes(), 0, "a word was written twice without an erase");
    boot
}

/// Write and erase operations the workload makes without cuts.
fn total_ops(ops: &[Op], seed: u64) -> u64 {
    let mut flash = Flash::new(PAGES as usize).with_seed(seed);
    drop(FlashLedger::format(&mut flash, REGION, LEDGER, [0u8; BUF]).unwrap());
    let start = flash.ops();
    let mut dev = FlashLedger::open(&mut flash, REGION, LEDGER, [0u8; BUF]).unwrap();
    let (mut model, mut rx, mut buf) =
        (Model::new(), Receiver::new(MemorySink::new()), vec![0u8; BATCH]);
    for op in ops {
        match op {
            Op::Append(op) => {
                append(&mut dev, &mut rx, &mut model, &mut buf, op).unwrap();
                model.append(&op.0, &op.1);
            }
            Op::Forward(limit) => forward(&mut dev, &mut rx, &mut model, &mut buf, *limit).unwrap(),
        }
    }
    drop(dev);
    flash.ops() - start
}

struct Counts {
    cases: u64,
    cuts: u64,
}

fn sweep(seeds: std::ops::Range<u64>, appends: usize, seconds: &[u64], stride: u64) -> Counts {
    let mut counts = Counts { cases: 0, cuts: 0 };
    for seed in seeds {
        let ops = workload(seed, appends);
        let total = total_ops(&ops, seed);
        assert!(total > appends as u64, "workload too small: {total} operations");
        for tear in [Tear::Arbitrary, Tear::Programmed] {
            for k in (0..total).step_by(stride as usize) {
                if seconds.is_empty() {
                    counts.cuts += run_case(&ops, tear, seed * 7919 + k, &[k]) as u64;
                    counts.cases += 1;
                }
                for &j in seconds {
                    counts.cuts += run_case(&ops, tear, seed * 7919 + k * 31 + j, &[k, j]) as u64;
                    counts.cases += 1;
                }
            }
        }
    }
    counts
}

#[test]
fn one_cut_at_every_write_and_erase() {
    let (seeds, appends) = if long_run() { (0..56, 60) } else { (0..2, 40) };
    let c = sweep(seeds, appends, &[], 1);
    println!("flash power loss, single cuts: {} cases, {} cuts", c.cases, c.cuts);
    assert!(c.cuts >= c.cases, "every case must cut the power");
    if long_run() {
        assert!(c.cuts >= 10_000);
    }
}

#[test]
fn two_cuts_in_a_row() {
    // The second cut hits the first, second or fourth write/erase after the
    // reboot: the torn tail's sealing, a rotation's erase or header, a retry.
    let (seeds, appends, seconds, stride) =
        if long_run() { (0..20, 60, &[0u64, 1, 3][..], 1) } else { (0..1, 40, &[0u64, 1][..], 3) };
    let c = sweep(seeds, appends, seconds, stride);
    println!("flash power loss, double cuts: {} cases, {} cuts", c.cases, c.cuts);
    assert!(c.cuts > c.cases, "second cuts must happen");
    if long_run() {
        assert!(c.cases >= 10_000);
    }
}
