//! Power cuts at every byte: a writer double cuts the byte stream at every
//! offset inside the last frames (and inside segment headers being
//! written), and a replay cuts a finished stream at random offsets, with the
//! torn bytes filled with arbitrary values. After reopening, every entry
//! acknowledged as durable is there and verifies, every entry is one that
//! was appended (no phantom), and appending continues the chain.
//!
//! Counts: `LOTLEDGER_LONG_RUN=1` runs 10,000 random cuts (and every offset
//! of the last frames with every fill), the default a smaller number; each
//! test prints how many cases ran.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod file_common;

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::{Arc, Mutex};

use file_common::{Reference, assert_prefix, cases, long_run, read_all};
use lotledger::demo::Rng;
use lotledger::file::{Durability, FileLedger, Options, SegmentFile};
use lotledger::frame;
use lotledger::model::LedgerId;

/// What the torn bytes after a cut hold.
#[derive(Clone, Copy, Debug)]
enum Fill {
    /// Random bytes.
    Random,
    /// Zeros (a file extended before its data arrived).
    Zeros,
    /// 0xff.
    Ones,
    /// Bytes copied from earlier in the stream: stale, well-formed frames.
    Stale,
}

const FILLS: [Fill; 4] = [Fill::Random, Fill::Zeros, Fill::Ones, Fill::Stale];

fn garbage(fill: Fill, rng: &mut Rng, earlier: &[u8]) -> Vec<u8> {
    let len = rng.below(300) as usize;
    match fill {
        Fill::Random => (0..len).map(|_| rng.next_u64() as u8).collect(),
        Fill::Zeros => vec![0; len],
        Fill::Ones => vec![0xff; len],
        Fill::Stale if earlier.is_empty() => Vec::new(),
        Fill::Stale => {
            let from = rng.below(earlier.len() as u64) as usize;
            earlier[from..(from + len).min(earlier.len())].to_vec()
        }
    }
}

/// The stream position at which the power goes, and what follows it.
#[derive(Debug)]
struct Cut {
    at: u64,
    written: u64,
    fill: Fill,
    rng: Rng,
    dead: bool,
    seen: Vec<u8>,
}

/// A segment file whose byte stream (across all files the writer opens)
/// stops at `Cut::at`: the write crossing it stores only the bytes before
/// it, then torn bytes, and fails; every later call fails.
#[derive(Debug)]
struct Cutter {
    inner: File,
    cut: Arc<Mutex<Cut>>,
}

fn power_cut() -> io::Error {
    io::Error::other("power cut")
}

impl SegmentFile for Cutter {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut c = self.cut.lock().unwrap();
        if c.dead {
            return Err(power_cut());
        }
        let end = c.written + bytes.len() as u64;
        if end > c.at {
            let keep = (c.at - c.written) as usize;
            self.inner.write_all(&bytes[..keep])?;
            let (fill, seen) = (c.fill, std::mem::take(&mut c.seen));
            let torn = garbage(fill, &mut c.rng, &seen);
            self.inner.write_all(&torn)?;
            c.dead = true;
            return Err(power_cut());
        }
        self.inner.write_all(bytes)?;
        c.seen.extend_from_slice(bytes);
        c.written = end;
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.cut.lock().unwrap().dead { Err(power_cut()) } else { self.inner.sync_data() }
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        if self.cut.lock().unwrap().dead { Err(power_cut()) } else { self.inner.set_len(len) }
    }

    fn duplicate(&self) -> io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(Cutter { inner: self.inner.try_clone()?, cut: Arc::clone(&self.cut) }))
    }
}

/// Appends `reference` through a [`Cutter`] until the power goes; returns
/// how many entries were acknowledged durable.
fn run_until_cut(
    dir: &Path,
    reference: &Reference,
    options: Options,
    cut: Arc<Mutex<Cut>>,
) -> usize {
    let wrapper = Arc::new(move |file: File, _: &Path| -> Box<dyn SegmentFile> {
        Box::new(Cutter { inner: file, cut: Arc::clone(&cut) })
    });
    let Ok(mut ledger) = FileLedger::create(dir, reference.id, options.wrap_files(wrapper)) else {
        return 0; // the power went while creating: nothing was acknowledged
    };
    let mut durable = 0;
    for (stamp, record) in &reference.items {
        match ledger.append(stamp, record) {
            Ok(a) => {
                assert_eq!(a.receipt, reference.receipts[a.receipt.seq as usize]);
                durable = a.durable_head.next_seq as usize;
            }
            Err(_) => return durable,
        }
    }
    match ledger.sync() {
        Ok(head) => head.next_seq as usize,
        Err(_) => durable,
    }
}

/// Reopens after a cut and checks everything the tests promise.
fn check_recovery(
    dir: &Path,
    reference: &Reference,
    durable: usize,
    at_least: usize,
    context: &str,
) {
    if !dir.join(lotledger::file::segment::file_name(0)).exists() {
        // The cut came before the first segment was renamed into place:
        // the ledger was never created and nothing was acknowledged.
        assert_eq!(durable, 0, "{context}");
        return;
    }
    let (mut ledger, report) = FileLedger::open(dir, Options::new())
        .unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
    let entries = read_all(dir);
    assert_prefix(&entries, reference, context);
    let k = entries.len();
    assert!(k >= durable, "{context}: {durable} entries were durable, {k} recovered");
    assert!(k >= at_least, "{context}: {at_least} complete frames, only {k} recovered");
    assert_eq!(report.head, reference.head(k), "{context}");
    // Appending continues the chain.
    let (stamp, record) = &reference.items[k.min(reference.items.len() - 1)];
    let a = ledger.append(stamp, record).unwrap();
    assert!(a.durable);
    assert_eq!(a.receipt.seq, k as u64, "{context}");
    drop(ledger);
    let after = read_all(dir);
    assert_eq!(after.len(), k + 1, "{context}");
    assert_eq!(after[k].receipt(), a.receipt, "{context}");
    assert_prefix(&after[..k], reference, context);
}

/// Where each frame ends in a single-segment stream.
fn frame_ends(stream: &[u8]) -> Vec<u64> {
    let mut pos = lotledger::file::segment::HEADER_LEN;
    let mut ends = Vec::new();
    while let Ok(f) = frame::parse(&stream[pos..]) {
        pos += f.len;
        ends.push(pos as u64);
    }
    ends
}

fn clean_stream(reference: &Reference, options: Options) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = FileLedger::create(dir.path(), reference.id, options).unwrap();
    for (s, r) in &reference.items {
        let _ = ledger.append(s, r).unwrap();
    }
    ledger.close().unwrap();
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    names.sort();
    names.iter().map(|p| fs::read(p).unwrap()).collect()
}

/// The live double, at every offset of the last three frames, under group
/// commit and sync-each, with each fill in turn.
#[test]
fn every_offset_inside_the_last_frames() {
    let reference = Reference::new(LedgerId([0x31; 16]), 11, 24);
    let modes = [Durability::SyncEach, Durability::GroupCommit { entries: 5, millis: 0 }];
    let mut ran = 0;
    for (m, mode) in modes.into_iter().enumerate() {
        let options = Options::new().durability(mode);
        let stream = clean_stream(&reference, options.clone()).concat();
        let ends = frame_ends(&stream);
        assert_eq!(ends.len(), reference.items.len());
        let from = ends[ends.len() - 4];
        for at in from..=stream.len() as u64 {
            let fills: &[Fill] = if long_run() { &FILLS } else { &FILLS[at as usize % 4..][..1] };
            for &fill in fills {
                let dir = tempfile::tempdir().unwrap();
                let cut = Cut {
                    at,
                    written: 0,
                    fill,
                    rng: Rng::new(at * 7 + m as u64),
                    dead: false,
                    seen: Vec::new(),
                };
                let durable = run_until_cut(
                    dir.path(),
                    &reference,
                    options.clone(),
                    Arc::new(Mutex::new(cut)),
                );
                let complete = ends.iter().filter(|&&e| e <= at).count();
                let context = format!("{mode:?} cut at {at} fill {fill:?}");
                if at < stream.len() as u64 {
                    assert!(durable <= complete, "{context}: acknowledged a frame not written");
                }
                check_recovery(dir.path(), &reference, durable, complete, &context);
                ran += 1;
            }
        }
    }
    println!("torn tail, every offset of the last frames: {ran} cases");
}

/// The live double with small segments: cuts land in frames, in the header
/// of a segment being created, and at rotation.
#[test]
fn cuts_around_segment_rotation() {
    let reference = Reference::new(LedgerId([0x32; 16]), 12, 150);
    let options = Options::new()
        .segment_size(Options::MIN_SEGMENT_SIZE)
        .durability(Durability::GroupCommit { entries: 7, millis: 0 });
    let segments = clean_stream(&reference, options.clone());
    assert!(segments.len() >= 3, "the test needs rotations");
    let total: u64 = segments.iter().map(|s| s.len() as u64).sum();
    let mut rng = Rng::new(99);
    let n = cases(150, 1_500);
    // Every offset around the second segment's start, then random ones.
    let boundary = segments[0].len() as u64;
    let mut cuts: Vec<u64> = (boundary - 40..boundary + 120).collect();
    cuts.extend((0..n).map(|_| rng.below(total + 1)));
    for (i, &at) in cuts.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let fill = FILLS[i % 4];
        let cut = Cut { at, written: 0, fill, rng: Rng::new(at), dead: false, seen: Vec::new() };
        let durable =
            run_until_cut(dir.path(), &reference, options.clone(), Arc::new(Mutex::new(cut)));
        check_recovery(dir.path(), &reference, durable, 0, &format!("cut at {at} fill {fill:?}"));
    }
    println!("torn tail around rotation: {} cases", cuts.len());
}

/// Replay: a finished stream cut at random offsets with torn bytes after
/// it; every complete frame before the cut is kept, nothing else appears.
#[test]
fn random_offsets() {
    let reference = Reference::new(LedgerId([0x33; 16]), 13, 200);
    let stream = clean_stream(&reference, Options::new().durability(Durability::Buffered)).concat();
    let ends = frame_ends(&stream);
    let n = cases(1_000, 10_000);
    let mut rng = Rng::new(2026);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(lotledger::file::segment::file_name(0));
    for case in 0..n {
        let at = lotledger::file::segment::HEADER_LEN
            + rng.below((stream.len() - lotledger::file::segment::HEADER_LEN + 1) as u64) as usize;
        let fill = FILLS[case % 4];
        let mut bytes = stream[..at].to_vec();
        bytes.extend(garbage(fill, &mut rng, &stream[..at]));
        fs::write(&path, &bytes).unwrap();
        let complete = ends.iter().filter(|&&e| e <= at as u64).count();
        check_recovery(
            dir.path(),
            &reference,
            complete,
            complete,
            &format!("case {case}: cut at {at} fill {fill:?}"),
        );
        // The next case starts from a fresh single segment.
        for e in fs::read_dir(dir.path()).unwrap() {
            fs::remove_file(e.unwrap().path()).unwrap();
        }
    }
    println!("torn tail, random offsets: {n} cases");
}

/// Stale bytes that begin exactly at a frame boundary with whole copies of
/// earlier frames (an old block after the end of the file): a torn tail,
/// not corruption. (Found by the long run: case 4111, cut at 15075.)
#[test]
fn stale_whole_frames_at_a_frame_boundary() {
    let reference = Reference::new(LedgerId([0x34; 16]), 14, 60);
    let stream = clean_stream(&reference, Options::new().durability(Durability::Buffered)).concat();
    let ends = frame_ends(&stream);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(lotledger::file::segment::file_name(0));
    let mut ran = 0;
    for (k, &end) in ends.iter().enumerate().skip(1).step_by(3) {
        for from in [lotledger::file::segment::HEADER_LEN as u64, ends[0], ends[k / 2]] {
            let end = end as usize;
            let mut bytes = stream[..end].to_vec();
            // Whole earlier frames, then a cut inside one.
            bytes.extend_from_slice(&stream[from as usize..end.min(from as usize + 250)]);
            fs::write(&path, &bytes).unwrap();
            check_recovery(dir.path(), &reference, k + 1, k + 1, &format!("stale at {end}"));
            for e in fs::read_dir(dir.path()).unwrap() {
                fs::remove_file(e.unwrap().path()).unwrap();
            }
            ran += 1;
        }
    }
    println!("stale frames at a boundary: {ran} cases");
}
