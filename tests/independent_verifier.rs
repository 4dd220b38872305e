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
