//! A second implementation, written from docs/FORMAT.md alone in Python
//! (tests/independent/verify.py), agrees with the library: it accepts what
//! the library writes and rejects tampering where the library does.
//! Skipped (with a message) where no python3 is installed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::path::Path;
use std::process::Command;

use lotledger::chain::{Anchor, Verifier, verify};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/independent/verify.py");

fn python() -> Option<&'static str> {
    Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
}

/// Runs the independent verifier; returns (exit code, first stdout line).
fn run(ledger: &Path, id: &str, extra: &[&str]) -> (i32, String) {
    let out = Command::new(python().unwrap())
        .arg(SCRIPT)
        .arg(ledger)
        .arg(id)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), stdout.lines().next().unwrap_or("").to_string())
}

#[test]
fn independent_verifier_agrees_with_the_library() {
    if python().is_none() {
        eprintln!("skipped: no python3 on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (id, bytes) = lotledger::demo::ledger(3_000);
    let id_hex = id.to_string();
    let path = dir.path().join("demo.ledger");
    std::fs::write(&path, &bytes).unwrap();
    let report = verify(&bytes, Anchor::genesis(&id)).unwrap();
    let head = format!("{}:{}", report.head.next_seq, report.head.head);

    let (code, line) = run(&path, &id_hex, &["--records", "--head", &head]);
    assert_eq!(code, 0, "{line}");
    assert_eq!(line, format!("ok entries=3000 head={head}"));

    // A flipped byte in the middle: both reject it, at the same entry and offset.
    let offsets: Vec<u64> =
        Verifier::new(&bytes, Anchor::genesis(&id)).map(|v| v.unwrap().offset).collect();
    for &k in &[1usize, 1_500, 2_999] {
        let mut tampered = bytes.clone();
        let at = offsets[k] as usize + 7;
        tampered[at] ^= 0x40;
        std::fs::write(&path, &tampered).unwrap();
        let ours = verify(&tampered, Anchor::genesis(&id)).unwrap_err();
        let (code, line) = run(&path, &id_hex, &[]);
        assert_eq!(code, 1, "{line}");
        assert!(
            line.starts_with(&format!("fail seq={} offset={} ", ours.seq, ours.offset)),
            "{line} vs {ours}"
        );
    }

    // The last entry cut off: only the head shows it, to both.
    std::fs::write(&path, &bytes[..offsets[2_999] as usize]).unwrap();
    let (code, line) = run(&path, &id_hex, &["--head", &head]);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("hash_mismatch"), "{line}");
}

#[test]
fn independent_verifier_accepts_the_golden_ledger() {
    if python().is_none() {
        eprintln!("skipped: no python3 on this machine");
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden-v1.ledger");
    let (code, line) = run(&path, "000102030405060708090a0b0c0d0e0f", &["--records"]);
    assert_eq!(code, 0, "{line}");
    // The head the library computes, and the one FORMAT.md documents.
    let ledger = lotledger::model::LedgerId(core::array::from_fn(|i| u8::try_from(i).unwrap()));
    let head = verify(&std::fs::read(&path).unwrap(), Anchor::genesis(&ledger)).unwrap().head;
    assert_eq!(line, format!("ok entries=6 head=6:{}", head.head), "{line}");
    let format_md = include_str!("../docs/FORMAT.md");
    assert!(format_md.contains(&format!("hash: {}", head.head)), "FORMAT.md documents the head");
}

/// Runs the independent verifier on a ledger directory; returns (exit code,
/// its verdict line).
fn run_dir(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(python().unwrap())
        .arg(SCRIPT)
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), stdout.lines().next().unwrap_or("").to_string())
}

/// The library's verdict on a directory in the independent verifier's words.
fn library_dir(dir: &Path, archived: bool) -> String {
    use lotledger::file::{Error, LedgerReader};
    let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_owned();
    let read = LedgerReader::open(dir).and_then(|r| {
        let mut entries = r.entries()?;
        let mut regressions = 0;
        for e in entries.by_ref() {
            regressions += u64::from(e?.time_regressed);
        }
        Ok((
            entries.start().unwrap(),
            entries.head().unwrap(),
            regressions,
            entries.tail().cloned(),
        ))
    });
    match read {
        Ok((start, head, regressions, tail)) if start.next_seq == 0 || archived => {
            let mut line = format!(
                "ok first={} entries={} head={}:{} time_regressions={regressions}",
                start.next_seq,
                head.next_seq - start.next_seq,
                head.next_seq,
                head.head
            );
            if let Some(t) = tail {
                line += &format!(" tail={}:{}:{}:{}", name(&t.path), t.offset, t.len, t.seq);
            }
            line
        }
        Ok((start, ..)) => format!("fail missing_start seq={}", start.next_seq),
        Err(Error::Corrupted { path, failure }) => {
            format!("fail file={} seq={} offset={}", name(&path), failure.seq, failure.offset)
        }
        Err(Error::NotGenesis { path, .. }) => format!("fail not_genesis file={}", name(&path)),
        Err(e) => format!("fail other {e}"),
    }
}

/// The independent verifier's line reduced to what `library_dir` gives.
fn python_dir(dir: &Path, archived: bool) -> String {
    let (code, line) = run_dir(dir, if archived { &["--archived"] } else { &[] });
    if code == 0 {
        return line;
    }
    let field = |k: &str| line.split(' ').find_map(|w| w.strip_prefix(k)).unwrap_or("?").to_owned();
    match field("kind=").as_str() {
        "missing_start" => format!("fail missing_start seq={}", field("seq=")),
        "not_genesis" => format!("fail not_genesis file={}", field("file=")),
        _ => format!(
            "fail file={} seq={} offset={}",
            field("file="),
            field("seq="),
            field("offset=")
        ),
    }
}

/// Guards issue 11 item 8: the independent verifier, given a segment
/// directory, agrees with the library on the cases FORMAT.md now settles:
/// offsets in the file named, a forged ledger id (not genesis), a missing
/// first segment (archived or not), a damaged last frame, an incomplete
/// tail, and a time regression at a segment's first entry.
#[test]
fn independent_verifier_agrees_on_segment_directories() {
    use lotledger::file::{FileLedger, LedgerReader, Options, segment};
    if python().is_none() {
        eprintln!("skipped: no python3 on this machine");
        return;
    }
    let id = lotledger::model::LedgerId([0x3c; 16]);
    let items: Vec<_> =
        lotledger::demo::Plant::new(&lotledger::demo::PlantConfig::default()).take(120).collect();
    let make = |dir: &Path, items: &[(lotledger::entry::Stamp, lotledger::model::Record)]| {
        let options = Options::new().segment_size(Options::MIN_SEGMENT_SIZE);
        let mut w = FileLedger::create(dir, id, options).unwrap();
        for (s, r) in items {
            let _ = w.append(s, r).unwrap();
        }
        w.close().unwrap();
        let mut segs: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .collect();
        segs.sort();
        segs
    };
    let agree = |dir: &Path, archived: bool, what: &str| {
        let (ours, theirs) = (library_dir(dir, archived), python_dir(dir, archived));
        assert_eq!(ours, theirs, "{what}");
        ours
    };
    let tmp = tempfile::tempdir().unwrap();

    let dir = tmp.path().join("intact");
    let segs = make(&dir, &items);
    assert!(segs.len() >= 3);
    assert!(agree(&dir, false, "intact").starts_with("ok first=0 entries=120 "));

    // Damaged last frame, then an incomplete one.
    let last = LedgerReader::open(&dir).unwrap().entries().unwrap().last().unwrap().unwrap();
    let path = segs.last().unwrap();
    let bytes = std::fs::read(path).unwrap();
    let mut b = bytes.clone();
    b[usize::try_from(last.offset).unwrap() + 5] ^= 0x08;
    std::fs::write(path, &b).unwrap();
    assert!(agree(&dir, false, "damaged last frame").starts_with("fail file="));
    std::fs::write(path, &bytes[..bytes.len() - 2]).unwrap();
    assert!(agree(&dir, false, "incomplete tail").contains(" tail="));
    std::fs::write(path, &bytes).unwrap();

    // A forged ledger id in every header, CRCs recomputed.
    let dir2 = tmp.path().join("forged");
    let segs2 = make(&dir2, &items);
    for p in &segs2 {
        let mut b = std::fs::read(p).unwrap();
        b[12] ^= 1;
        let crc = lotledger::frame::crc32c(&b[..68]);
        b[68..72].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(p, b).unwrap();
    }
    assert!(agree(&dir2, false, "forged id").starts_with("fail not_genesis"));

    // The first segment deleted.
    std::fs::remove_file(&segs[0]).unwrap();
    assert!(agree(&dir, false, "first segment missing").starts_with("fail missing_start"));
    assert!(agree(&dir, true, "first segment archived").starts_with("ok first="));

    // A time regression at a segment's first entry.
    let dir3 = tmp.path().join("regressed");
    let segs3 = make(&dir3, &items);
    let first_of_second =
        segment::parse_file_name(segs3[1].file_name().unwrap().to_str().unwrap()).unwrap() as usize;
    let mut changed = items.clone();
    changed[first_of_second].0.time =
        lotledger::model::Timestamp(changed[first_of_second - 1].0.time.0 - 1);
    let dir4 = tmp.path().join("regressed2");
    let segs4 = make(&dir4, &changed);
    assert_eq!(segs4[1].file_name(), segs3[1].file_name());
    let line = agree(&dir4, false, "time regression at a segment start");
    let before = agree(&dir3, false, "no regression");
    let count = |l: &str| {
        l.split(' ')
            .find_map(|w| w.strip_prefix("time_regressions="))
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(count(&line), count(&before) + 1, "{line}");
}

#[path = "common/mod.rs"]
mod common;

/// One single-entry ledger holding `record_bytes` (kind number included) as
/// its record, framed with a correct CRC: the chain verifies, only the record
/// decoding can fail.
fn single_entry(id: &lotledger::model::LedgerId, record_bytes: &[u8]) -> Vec<u8> {
    use lotledger::entry::{FORMAT_VERSION, Header, PrevLink};
    use lotledger::frame::{MAX_FRAME_LEN, MAX_LEN_PREFIX};
    let header = Header {
        version: FORMAT_VERSION,
        seq: 0,
        time: lotledger::model::Timestamp(1_772_438_400_000),
        link: PrevLink::of(&Anchor::genesis(id).head),
        actor: "a".parse().unwrap(),
        station: "s".parse().unwrap(),
    };
    let mut body = postcard::to_allocvec(&header).unwrap();
    body.extend_from_slice(record_bytes);
    let mut frame = vec![0u8; MAX_FRAME_LEN];
    frame[MAX_LEN_PREFIX..MAX_LEN_PREFIX + body.len()].copy_from_slice(&body);
    let r = lotledger::frame::seal(&mut frame, body.len()).unwrap();
    frame[r].to_vec()
}

/// Guards issue 14/15's "an outside verifier written from FORMAT.md alone
/// handles the new kinds": every kind, random records of each, decode in the
/// Python verifier (no "unknown record kind" notice), and single-byte
/// mutations inside records of kinds 15 to 26 get the same verdict from both
/// (decodes or undecodable).
#[test]
fn independent_verifier_decodes_every_kind_as_the_library_does() {
    use lotledger::chain::Writer;
    use lotledger::model::{LedgerId, RecordKind};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    if python().is_none() {
        eprintln!("skipped: no python3 on this machine");
        return;
    }
    let id = LedgerId([7; 16]);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let mut w = Writer::new(Vec::new(), vec![0u8; 8192], Anchor::genesis(&id));
    let mut samples = Vec::new();
    let stamp = lotledger::entry::Stamp {
        time: lotledger::model::Timestamp(1_772_438_400_000),
        actor: "a".parse().unwrap(),
        station: "s".parse().unwrap(),
    };
    for &kind in RecordKind::ALL {
        for _ in 0..12 {
            let record = common::record_of(kind).new_tree(&mut runner).unwrap().current();
            w.append(&stamp, &record).unwrap();
            if kind.number() >= 15 {
                samples.push(postcard::to_allocvec(&record).unwrap());
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinds.ledger");
    std::fs::write(&path, w.into_parts().0).unwrap();
    let out = Command::new("python3")
        .arg(SCRIPT)
        .arg(&path)
        .arg(id.to_string())
        .arg("--records")
        .output()
        .unwrap();
    let all =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("unknown record kind"), "{all}");

    // Mutations: one byte of the record (after its kind number) changed.
    let mut agreed = (0, 0);
    for (i, bytes) in samples.iter().enumerate().step_by(3) {
        if bytes.len() < 3 {
            continue;
        }
        let at = 1 + (i * 7919) % (bytes.len() - 1);
        for delta in [0x01u8, 0x80] {
            let mut m = bytes.clone();
            m[at] ^= delta;
            let ledger = single_entry(&id, &m);
            let ours = Verifier::new(&ledger, Anchor::genesis(&id))
                .next()
                .unwrap()
                .unwrap()
                .record()
                .is_ok();
            std::fs::write(&path, &ledger).unwrap();
            let (code, line) = run(&path, &id.to_string(), &["--records"]);
            assert!(code == 0 || line.contains("undecodable"), "{line}");
            assert_eq!(ours, code == 0, "kind {} byte {at} ^{delta:#x}: python says {line}", m[0]);
            if ours { agreed.0 += 1 } else { agreed.1 += 1 }
        }
    }
    // Both verdicts occur, so the comparison means something.
    assert!(agreed.0 > 10 && agreed.1 > 10, "{agreed:?}");
}
