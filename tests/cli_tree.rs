//! Checkpoints and proofs on a file ledger through the CLI: a ledger that
//! grows stays consistent with its old checkpoints; one that was truncated,
//! rolled back or rewritten is caught; a record's proof bundle verifies
//! offline.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use cli_common::{example_lines, run_with};

use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn checkpoints_catch_truncation_and_forks_and_prove_records() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("ledger");
    let id = "00112233445566778899aabbccddeeff";
    assert_eq!(run_with(&["init", s(&dir), "--ledger-id", id], "").0, 0);
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    let (key, public) = (t.join("qa.example.key"), t.join("qa.example.pub"));
    let batch = example_lines().join("\n");
    assert_eq!(run_with(&["append", s(&dir)], &batch).0, 0);
    let cp1 = t.join("cp1.note");
    assert_eq!(run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&cp1)], "").0, 0);
    let note = std::fs::read_to_string(&cp1).unwrap();
    assert!(note.starts_with(&format!("lotledger/{id}\n15\n")), "{note}");
    assert!(note.contains("\nlotledger-head 14 "), "{note}");
    assert!(note.contains("\n\n\u{2014} qa.example "), "{note}");

    assert_eq!(run_with(&["append", s(&dir)], &batch).0, 0);
    // `append` kept the node file current: 2n - popcount(n) nodes of 32 bytes for 30 entries.
    let nodes = std::fs::metadata(dir.join("merkle.nodes")).unwrap().len();
    assert_eq!(nodes, lotledger::proof::stored_nodes(30).unwrap() * 32);
    let cp2 = t.join("cp2.note");
    assert_eq!(run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&cp2)], "").0, 0);
    let (code, out, err) =
        run_with(&["consistency", s(&dir), "--from", s(&cp1), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("consistent: the ledger's 30 entries extend the checkpoint's 15"),
        "{out}"
    );
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp2), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}");

    // A record proven against cp2 and checked offline.
    let bundle = t.join("b20.json");
    let (code, _, err) = run_with(
        &[
            "prove",
            s(&dir),
            "--seq",
            "20",
            "--checkpoint",
            s(&cp2),
            "--key",
            s(&public),
            "--out",
            s(&bundle),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run_with(&["verify-proof", s(&bundle), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("verified: entry 20 of ledger 00112233445566778899aabbccddeeff"),
        "{out}"
    );

    // Rolled back to 20 entries: the chain alone verifies, the checkpoint does not.
    let reader = lotledger::file::LedgerReader::open(&dir).unwrap();
    let cut = reader.entries().unwrap().map(Result::unwrap).find(|e| e.header.seq == 20).unwrap();
    let segment = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap();
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, &bytes[..usize::try_from(cut.offset).unwrap()]).unwrap();
    assert_eq!(run_with(&["verify", s(&dir)], "").0, 0);
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp2), "--key", s(&public)], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TRUNCATED or ROLLED BACK"), "{out}");
    let (code, out, _) =
        run_with(&["consistency", s(&dir), "--from", s(&cp2), "--key", s(&public)], "");
    assert_eq!(code, 1, "{out}");
    // The older checkpoint still holds: its 15 entries are intact.
    assert_eq!(
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp1), "--key", s(&public)], "").0,
        0
    );

    // Rewritten: the same ledger id, other entries.
    let forged = t.join("forged");
    assert_eq!(run_with(&["init", s(&forged), "--ledger-id", id], "").0, 0);
    let mut reversed = example_lines();
    reversed.reverse();
    assert_eq!(run_with(&["append", s(&forged)], &(reversed.join("\n") + "\n" + &batch)).0, 0);
    let (code, out, _) =
        run_with(&["verify", s(&forged), "--checkpoint", s(&cp1), "--key", s(&public)], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FORKED or REWRITTEN"), "{out}");

    // Signed checkpoint entries written into a ledger as it is appended to.
    let anchored = t.join("anchored");
    assert_eq!(run_with(&["init", s(&anchored)], "").0, 0);
    let (code, _, err) = run_with(
        &["append", s(&anchored), "--checkpoint-every", "10", "--key", s(&key)],
        &(batch.clone() + "\n" + &batch),
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run_with(&["verify", s(&anchored), "--json", "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["entries"].as_u64(), v["checkpoint_entries"].as_u64()), (Some(33), Some(3)));
    assert_eq!(v["checkpoint_signatures_verified"], 3);
    let (_, out, _) = run_with(&["verify", s(&anchored), "--json", "--key", &stranger_key()], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["checkpoint_signatures_verified"], 0);

    // A checkpoint nobody trusted signed: exit 1.
    let stranger = lotledger::proof::Ed25519Signer::from_seed("qa.example", &[3; 32])
        .unwrap()
        .verifier_key()
        .to_string();
    assert_eq!(
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp1), "--key", &stranger], "").0,
        1
    );
}

fn stranger_key() -> String {
    lotledger::proof::Ed25519Signer::from_seed("qa.example", &[3; 32])
        .unwrap()
        .verifier_key()
        .to_string()
}
