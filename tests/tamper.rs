//! Tamper properties, 10,000 cases each: every single-byte flip, every
//! deleted, inserted, duplicated or swapped entry is detected, and is
//! reported at the right place. Arbitrary bytes never make a reader panic.
//!
//! "Detected" means what an auditor sees: `verify` fails, or (only where a
//! chain alone cannot tell, a cut tail) the head differs from the one kept
//! elsewhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use std::sync::OnceLock;

use lotledger::chain::{Anchor, FailureKind, Report, Writer, verify, verify_records};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::frame::{self, MAX_FRAME_LEN};
use lotledger::model::LedgerId;
use proptest::prelude::*;

const CASES: u32 = 10_000;

/// A small ledger: its id, its frames, and its true head.
#[derive(Debug)]
struct Sample {
    id: LedgerId,
    frames: Vec<Vec<u8>>,
    head: Anchor,
}

impl Sample {
    fn start(&self) -> Anchor {
        Anchor::genesis(&self.id)
    }
    fn bytes(&self) -> Vec<u8> {
        self.frames.concat()
    }
    fn offset_of(&self, frame: usize) -> u64 {
        self.frames[..frame].iter().map(|f| f.len() as u64).sum()
    }
}

/// Ledgers of 1 to 12 entries drawn from differently seeded plants.
fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        (0..48u64)
            .map(|seed| {
                let id = LedgerId([seed as u8; 16]);
                let config = PlantConfig { seed, ..PlantConfig::default() };
                let mut plant = Plant::new(&config).skip((seed * 37 % 200) as usize);
                let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
                let mut frames = Vec::new();
                for _ in 0..1 + seed % 12 {
                    let (stamp, record) = plant.next().unwrap();
                    let before = w.storage().len();
                    w.append(&stamp, &record).unwrap();
                    frames.push(w.storage()[before..].to_vec());
                }
                Sample { id, frames, head: w.head() }
            })
            .collect()
    })
}

/// Verifies and compares with the true head; `Err` when tampering shows.
fn audit(s: &Sample, bytes: &[u8]) -> Result<Report, lotledger::chain::Failure> {
    let report = verify(bytes, s.start())?;
    report.expect_head(&s.head)?;
    Ok(report)
}

fn sample() -> impl Strategy<Value = &'static Sample> {
    proptest::sample::select(samples().iter().collect::<Vec<_>>())
}

fn multi_entry_sample() -> impl Strategy<Value = &'static Sample> {
    proptest::sample::select(samples().iter().filter(|s| s.frames.len() > 1).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn untouched_ledgers_verify(s in sample()) {
        let r = audit(s, &s.bytes()).unwrap();
        prop_assert_eq!(r.entries, s.frames.len() as u64);
    }

    #[test]
    fn every_single_byte_flip_is_detected_where_it_is(s in sample(), pos in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let mut bytes = s.bytes();
        let p = pos.index(bytes.len());
        bytes[p] ^= mask;
        // The frame holding the flipped byte.
        let mut k = 0;
        while s.offset_of(k + 1) <= p as u64 { k += 1; }
        let e = verify(&bytes, s.start()).unwrap_err();
        prop_assert_eq!((e.seq, e.offset), (k as u64, s.offset_of(k)), "{}", e);
    }

    #[test]
    fn body_change_with_crc_recomputed_is_detected(s in sample(), frame_pick in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let mut frames = s.frames.clone();
        let k = frame_pick.index(frames.len());
        let f = &mut frames[k];
        let body_len = frame::parse(f).unwrap().body.len();
        let prefix = f.len() - frame::CRC_LEN - body_len;
        let p = prefix + pos.index(body_len);
        f[p] ^= mask;
        let n = f.len();
        let crc = frame::crc32c(&f[..n - frame::CRC_LEN]);
        f[n - frame::CRC_LEN..].copy_from_slice(&crc.to_le_bytes());
        let bytes = frames.concat();
        prop_assert!(audit(s, &bytes).is_err());
        if k + 1 < frames.len() {
            // Not the last entry: the chain alone shows it, at or before the next entry.
            let e = verify(&bytes, s.start()).unwrap_err();
            prop_assert!(e.seq <= k as u64 + 1, "{}", e);
        }
    }

    #[test]
    fn every_deleted_entry_is_detected(s in sample(), pick in any::<prop::sample::Index>()) {
        let mut frames = s.frames.clone();
        let k = pick.index(frames.len());
        frames.remove(k);
        let bytes = frames.concat();
        prop_assert!(audit(s, &bytes).is_err());
        if k < frames.len() {
            let e = verify(&bytes, s.start()).unwrap_err();
            prop_assert_eq!(e.kind, FailureKind::SequenceGap { expected: k as u64, found: k as u64 + 1 });
            prop_assert_eq!(e.offset, s.offset_of(k));
        }
    }

    #[test]
    fn every_inserted_entry_is_detected(s in sample(), other in sample(), from in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        prop_assume!(!std::ptr::eq(s, other));
        let mut frames = s.frames.clone();
        let foreign = other.frames[from.index(other.frames.len())].clone();
        let k = at.index(frames.len() + 1);
        frames.insert(k, foreign);
        let e = verify(&frames.concat(), s.start()).unwrap_err();
        prop_assert_eq!(e.offset, s.offset_of(k));
    }

    #[test]
    fn every_duplicated_entry_is_detected(s in sample(), pick in any::<prop::sample::Index>()) {
        let mut frames = s.frames.clone();
        let k = pick.index(frames.len());
        frames.insert(k + 1, frames[k].clone());
        let e = verify(&frames.concat(), s.start()).unwrap_err();
        prop_assert_eq!(e.kind, FailureKind::SequenceGap { expected: k as u64 + 1, found: k as u64 });
    }

    #[test]
    fn every_swap_is_detected(s in multi_entry_sample(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let n = s.frames.len();
        let i = a.index(n);
        let j = (i + 1 + b.index(n - 1)) % n;
        let mut frames = s.frames.clone();
        frames.swap(i, j);
        let e = verify(&frames.concat(), s.start()).unwrap_err();
        prop_assert_eq!(e.offset, s.offset_of(i.min(j)));
        prop_assert!(matches!(e.kind, FailureKind::SequenceGap { .. }), "{}", e);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let start = Anchor::genesis(&LedgerId([0; 16]));
        let _ = verify_records(&bytes, start);
        let _ = frame::parse(&bytes);
        let _ = lotledger::entry::decode(&bytes);
        let _ = lotledger::entry::decode_record(&bytes);
    }

    #[test]
    fn mangled_ledgers_never_panic(s in sample(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let mut bytes = s.bytes();
        for (at, v) in edits { let n = bytes.len(); bytes[at.index(n)] = v; }
        let n = bytes.len();
        bytes.truncate(cut.index(n + 1));
        let _ = verify_records(&bytes, s.start());
        for v in lotledger::chain::Verifier::new(&bytes, s.start()).flatten() {
            let _ = v.record();
        }
    }
}
