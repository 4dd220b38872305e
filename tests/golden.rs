//! Golden vectors: the entries listed in docs/FORMAT.md, byte for byte.
//!
//! The document is the source: this test builds the same entries with the
//! library and checks that every frame and hash matches the hex printed
//! there, that the fixture ledger in tests/data matches it too, and that the
//! verifier accepts it. Run with LOTLEDGER_PRINT_GOLDEN=1 to print the
//! vectors (only when the format deliberately changes).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

use lotledger::chain::{Anchor, Verifier, Writer, verify_records};
use lotledger::entry::Stamp;
use lotledger::model::*;

const FORMAT_MD: &str = include_str!("../docs/FORMAT.md");
const FIXTURE: &[u8] = include_bytes!("data/golden-v1.ledger");

fn ledger_id() -> LedgerId {
    LedgerId::from_hex("000102030405060708090a0b0c0d0e0f").unwrap()
}

fn stamp(minutes: i64, actor: &str, station: &str) -> Stamp {
    Stamp {
        time: Timestamp(
            Timestamp::parse_rfc3339("2026-03-02T08:00:00Z").unwrap().0 + minutes * 60_000,
        ),
        actor: actor.parse().unwrap(),
        station: station.parse().unwrap(),
    }
}

fn lot(item: ItemCode, code: &str) -> LotId {
    LotId { item, lot: code.parse().unwrap() }
}

fn golden_entries() -> Vec<(Stamp, Record)> {
    let adhesive = lot(ItemCode::Internal("RM-ACRYL-ADH".parse().unwrap()), "R260001");
    let gtin = Gtin::parse("09506000134352").unwrap();
    let patches = lot(ItemCode::Gtin(gtin), "B260001");
    let supplier = PartyId::Gln(Gln::parse("9506000000008").unwrap());
    let customer = PartyId::Internal("C10417".parse().unwrap());
    let coa = Digest([0x11; 32]);
    vec![
        (
            stamp(0, "k.huber", "WH-DOCK-1"),
            Record::MaterialReceived(MaterialReceived {
                lot: adhesive.clone(),
                quantity: Quantity::new(5000, 1, Unit::Kilogram).unwrap(),
                supplier,
                supplier_lot: Some("A17734".parse().unwrap()),
                order: Some("4500001001".parse().unwrap()),
            }),
        ),
        (
            stamp(90, "l.chen", "QC-LAB"),
            Record::Inspected(Inspected {
                lot: adhesive.clone(),
                stage: InspectionStage::Incoming,
                result: InspectionResult::Accepted,
                certificate: Some(coa),
                report: None,
                note: Text::default(),
            }),
        ),
        (
            stamp(300, "j.meyer", "LINE-2"),
            Record::Produced(Produced {
                work_order: "WO0000001".parse().unwrap(),
                line: "LINE-2".parse().unwrap(),
                produced_on: Date::from_ymd(2026, 3, 2).unwrap(),
                expiry: Date::from_ymd(2028, 2, 29),
                inputs: heapless::Vec::from_slice(&[LotQuantity {
                    lot: adhesive,
                    quantity: Quantity::new(1225, 1, Unit::Kilogram).unwrap(),
                }])
                .unwrap(),
                outputs: heapless::Vec::from_slice(&[LotQuantity {
                    lot: patches.clone(),
                    quantity: Quantity::whole(12_000, Unit::Piece),
                }])
                .unwrap(),
            }),
        ),
        (
            stamp(1440, "t.yilmaz", "SHIP-1"),
            Record::Shipped(Shipped {
                lot: patches.clone(),
                quantity: Quantity::whole(240, Unit::Piece),
                customer: customer.clone(),
                ship_to: Some(LocationId::Internal("C10417-2".parse().unwrap())),
                order: "SO0000417".parse().unwrap(),
            }),
        ),
        (
            stamp(2000, "d.moreau", "CS-DESK"),
            Record::ComplaintProgress(ComplaintProgress {
                complaint: "CMP-000001".parse().unwrap(),
                step: ComplaintStep::Acknowledged,
            }),
        ),
    ]
}

/// Entry 5 corrects entry 3, so it needs entry 3's hash.
fn correction(target: EntryRef) -> (Stamp, Record) {
    (
        stamp(2100, "k.huber", "QA-OFFICE"),
        Record::Corrected(Corrected {
            target,
            reason: "quantity was 24 cartons, not 240".parse().unwrap(),
            replacements: heapless::Vec::new(),
        }),
    )
}

/// (frame, hash) of every golden entry, as the library writes them.
fn written() -> Vec<(Vec<u8>, Digest)> {
    let mut w = Writer::new(Vec::new(), [0u8; 1024], Anchor::genesis(&ledger_id()));
    let mut out = Vec::new();
    let mut append = |stamp: &Stamp, record: &Record| {
        let before = w.storage().len();
        let receipt = w.append(stamp, record).unwrap();
        out.push((w.storage()[before..].to_vec(), receipt.hash));
        receipt
    };
    let receipts: Vec<_> = golden_entries().iter().map(|(s, r)| append(s, r)).collect();
    let (s, r) = correction(EntryRef { seq: receipts[3].seq, hash: receipts[3].hash });
    append(&s, &r);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The (frame, hash) pairs printed in FORMAT.md: lines `frame: <hex>` (a
/// frame may continue on following lines that are pure hex) and `hash: <hex>`.
fn documented() -> Vec<(Vec<u8>, String)> {
    let mut out = Vec::new();
    let mut frame: Option<String> = None;
    for line in FORMAT_MD.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("frame: ") {
            frame = Some(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("hash: ") {
            out.push((unhex(&frame.take().expect("hash without frame")), rest.to_string()));
        } else if let Some(f) = frame.as_mut()
            && !line.is_empty()
            && line.bytes().all(|b| b.is_ascii_hexdigit())
        {
            f.push_str(line);
        }
    }
    out
}

#[test]
fn library_writes_exactly_the_documented_vectors() {
    let written = written();
    if std::env::var_os("LOTLEDGER_PRINT_GOLDEN").is_some() {
        for (i, (frame, hash)) in written.iter().enumerate() {
            println!("entry {i}\nframe: {}\nhash: {}\n", hex(frame), hash);
        }
        let all: Vec<u8> = written.iter().flat_map(|(f, _)| f.clone()).collect();
        std::fs::write("tests/data/golden-v1.ledger", all).unwrap();
    }
    let documented = documented();
    assert_eq!(
        documented.len(),
        written.len(),
        "FORMAT.md should list {} golden entries",
        written.len()
    );
    for (i, ((frame, hash), (doc_frame, doc_hash))) in written.iter().zip(&documented).enumerate() {
        assert_eq!(hex(frame), hex(doc_frame), "frame of entry {i}");
        assert_eq!(&hash.to_string(), doc_hash, "hash of entry {i}");
    }
}

#[test]
fn fixture_is_the_documented_ledger_and_verifies() {
    let doc_bytes: Vec<u8> = documented().into_iter().flat_map(|(f, _)| f).collect();
    assert_eq!(FIXTURE, doc_bytes.as_slice());
    let report = verify_records(FIXTURE, Anchor::genesis(&ledger_id())).unwrap();
    assert_eq!(report.entries, 6);
    let last = documented().last().unwrap().1.clone();
    assert_eq!(report.head.head.to_string(), last);
    // Each documented record decodes to what the test built.
    let expected = golden_entries();
    for (i, v) in Verifier::new(FIXTURE, Anchor::genesis(&ledger_id())).enumerate().take(5) {
        let v = v.unwrap();
        assert_eq!(v.record().unwrap(), expected[i].1);
        assert_eq!(v.header.actor, expected[i].0.actor);
    }
}

/// FORMAT.md gives the state after the domain block; it is the library's.
#[test]
fn entry_midstate_is_documented() {
    let words: Vec<String> =
        lotledger::entry::ENTRY_MIDSTATE.iter().map(|w| format!("{w:08x}")).collect();
    let documented = FORMAT_MD.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(documented.contains(&words.join(" ")), "FORMAT.md should give the words {words:?}");
}

#[test]
fn genesis_hash_is_documented() {
    let g = lotledger::entry::genesis(&ledger_id()).to_string();
    assert!(FORMAT_MD.contains(&format!("genesis: {g}")), "FORMAT.md should state genesis: {g}");
}

/// The tampered examples in FORMAT.md section 7 fail as the document says.
#[test]
fn documented_tampering_is_rejected() {
    use lotledger::chain::{FailureKind, verify};
    use lotledger::frame::{FrameError, crc32c};
    let start = Anchor::genesis(&ledger_id());
    let frames: Vec<Vec<u8>> = documented().into_iter().map(|(f, _)| f).collect();
    let join = |fs: &[Vec<u8>]| fs.concat();
    // The quantity byte of entry 3 (offset 48 in its frame: see the byte map).
    let mut changed = frames.clone();
    let pos = changed[3].iter().position(|&b| b == 0xf0).unwrap();
    changed[3][pos] = 0xf1;
    let e = verify(&join(&changed), start).unwrap_err();
    assert_eq!((e.seq, e.offset), (3, 298));
    assert!(matches!(e.kind, FailureKind::Frame(FrameError::BadChecksum { .. })));
    // Recompute the CRC: entry 4's link now breaks.
    let n = changed[3].len();
    let crc = crc32c(&changed[3][..n - 4]);
    changed[3][n - 4..].copy_from_slice(&crc.to_le_bytes());
    let e = verify(&join(&changed), start).unwrap_err();
    assert_eq!((e.seq, e.offset), (4, 385));
    assert!(matches!(e.kind, FailureKind::BrokenLink { .. }));
    // Entry 3 removed.
    let mut removed = frames.clone();
    removed.remove(3);
    let e = verify(&join(&removed), start).unwrap_err();
    assert_eq!(e.kind, FailureKind::SequenceGap { expected: 3, found: 4 });
    // Entry 5 removed: verifies, but not against the real head.
    let full = verify(&join(&frames), start).unwrap();
    let cut = verify(&join(&frames[..5]), start).unwrap();
    assert_eq!(cut.head.next_seq, 5);
    let e = cut.expect_head(&full.head).unwrap_err();
    assert!(matches!(e.kind, FailureKind::HashMismatch { .. }));
}

/// The records of docs/JSON.md's examples for kinds 16 to 26, as FORMAT.md
/// section 7 lists them (`record <kind>: <hex>`), and the kind 16 example with
/// its complainant's name sealed under the commitment golden vector
/// (`record 16 sealed: <hex>`). Run with LOTLEDGER_PRINT_GOLDEN=1 to print.
#[test]
fn records_of_the_new_kinds_are_documented() {
    use lotledger::entry::NewEntry;
    const JSON_MD: &str = include_str!("../docs/JSON.md");
    let section = JSON_MD.split("## One example of each record kind").nth(1).unwrap();
    let mut vectors: Vec<(String, Vec<u8>)> = Vec::new();
    for block in section.split("```json\n").skip(1) {
        let text = block.split("\n```").next().unwrap();
        let entry: NewEntry = serde_json::from_str(text).unwrap();
        let kind = entry.record.kind().number();
        if kind < 16 {
            continue;
        }
        vectors.push((format!("{kind}"), postcard::to_allocvec(&entry.record).unwrap()));
        if let Record::ComplaintRegistered(mut c) = entry.record {
            let key: [u8; 32] = core::array::from_fn(|i| u8::try_from(i).unwrap());
            c.complainant.person = Personal::seal("Jane Doe, +41 79 555 01 23", &key).unwrap();
            let sealed = Record::ComplaintRegistered(c);
            vectors.push(("16 sealed".into(), postcard::to_allocvec(&sealed).unwrap()));
        }
    }
    assert_eq!(vectors.len(), 12);
    if std::env::var_os("LOTLEDGER_PRINT_GOLDEN").is_some() {
        for (name, bytes) in &vectors {
            println!("record {name}: {}\n", hex(bytes));
        }
    }
    for (name, bytes) in &vectors {
        let line = format!("record {name}: {}", hex(bytes));
        assert!(
            FORMAT_MD.lines().any(|l| l.trim() == line),
            "FORMAT.md section 7 should list: {line}"
        );
        assert_eq!(
            lotledger::entry::decode_record(bytes).unwrap().kind().number().to_string(),
            name[..2]
        );
    }
}
