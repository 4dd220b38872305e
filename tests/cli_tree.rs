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

/// A ledger of the docs/JSON.md examples (15 entries) in `t/ledger`, a key
/// pair `qa.example` in `t`, and a genuine checkpoint `t/cp.note` of it.
fn checkpointed(t: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let dir = t.join("ledger");
    assert_eq!(run_with(&["init", s(&dir)], "").0, 0);
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    let key = t.join("qa.example.key");
    assert_eq!(run_with(&["append", s(&dir)], &example_lines().join("\n")).0, 0);
    let cp = t.join("cp.note");
    assert_eq!(run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&cp)], "").0, 0);
    (dir, key, cp)
}

/// Flips one bit of the node at post-order position `pos` in `dir`'s node file.
fn damage_node(dir: &Path, pos: usize) {
    let path = dir.join("merkle.nodes");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[pos * 32 + 5] ^= 0x10;
    std::fs::write(&path, bytes).unwrap();
}

/// The root line (line 3) of a checkpoint note.
fn root_line(note: &str) -> String {
    note.lines().nth(2).unwrap().to_owned()
}

/// Guards issue 11 item 3: a flipped bit in a peak node of `merkle.nodes`
/// made `checkpoint` sign a wrong root (exit 0) and a genuine checkpoint
/// report "FORKED or REWRITTEN" on an intact ledger. The node file is a
/// cache: it is checked against the verified entries, reported and rebuilt.
#[test]
fn a_damaged_node_file_is_reported_and_rebuilt_never_signed_or_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, key, cp) = checkpointed(t);
    let public = t.join("qa.example.pub");
    let genuine = std::fs::read_to_string(&cp).unwrap();
    // 15 leaves: the peak over entries 0..8 is node N3/0 at post-order position 14.
    let peak = 14;

    damage_node(&dir, peak);
    let (code, out, err) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("OK: the ledger's 15 entries extend the signed tree"), "{out}");
    assert!(err.contains("merkle.nodes disagreed with the ledger's entries from entry 7"), "{err}");

    damage_node(&dir, peak);
    let again = t.join("again.note");
    let (code, _, err) =
        run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&again)], "");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rebuilt it from the verified entries"), "{err}");
    let signed = std::fs::read_to_string(&again).unwrap();
    assert_eq!(root_line(&signed), root_line(&genuine), "a root the entries do not give");

    damage_node(&dir, peak);
    let bundle = t.join("b3.json");
    let args = ["prove", s(&dir), "--seq", "3", "--checkpoint", s(&cp), "--key", s(&public)];
    let (code, _, err) = run_with(&[&args[..], &["--out", s(&bundle)]].concat(), "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(run_with(&["verify-proof", s(&bundle), "--key", s(&public)], "").0, 0);

    damage_node(&dir, 2);
    let (code, out, err) =
        run_with(&["consistency", s(&dir), "--from", s(&cp), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("consistent: the ledger's 15 entries extend"), "{out}");
}

/// The segment file of a one-segment ledger.
fn only_segment(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap()
}

/// Guards issue 11 item 3: `checkpoint`, `prove` and `consistency`
/// succeeded on a corrupted ledger (trusting the node file), and
/// `checkpoint` signed a truncated prefix of one whose last entry rotted.
/// A ledger whose chain does not verify is refused with exit 5 and nothing
/// is signed.
#[test]
fn tree_commands_refuse_a_ledger_that_does_not_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, key, cp) = checkpointed(t);
    let public = t.join("qa.example.pub");
    let segment = only_segment(&dir);
    let reader = lotledger::file::LedgerReader::open(&dir).unwrap();
    let entries: Vec<_> = reader.entries().unwrap().map(Result::unwrap).collect();
    let pristine = std::fs::read(&segment).unwrap();
    // A byte inside entry 6, then a byte inside the last entry (14).
    for (seq, what) in [(6usize, "entry 6"), (14, "entry 14")] {
        let mut bytes = pristine.clone();
        let at = usize::try_from(entries[seq].offset).unwrap() + 12;
        bytes[at] ^= 0x01;
        std::fs::write(&segment, &bytes).unwrap();
        let out_file = t.join("bad.note");
        let (code, out, err) =
            run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&out_file)], "");
        assert_eq!(code, 5, "{seq}: {out}{err}");
        assert!(err.contains("does not verify, so nothing was signed or proved"), "{err}");
        assert!(err.contains(what), "{seq}: {err}");
        assert!(!out_file.exists() && out.is_empty(), "{seq}: something was signed");
        let (code, _, err) = run_with(
            &["prove", s(&dir), "--seq", "2", "--checkpoint", s(&cp), "--key", s(&public)],
            "",
        );
        assert_eq!(code, 5, "{seq}: {err}");
        let (code, _, err) =
            run_with(&["consistency", s(&dir), "--from", s(&cp), "--key", s(&public)], "");
        assert_eq!(code, 5, "{seq}: {err}");
    }
}

/// Guards issue 11 item 5: with the first segment deleted, a rebuilt node
/// file signed "750 entries" with the last entry's hash. The tree commands
/// use only entries verified from entry 0 and the ledger id's genesis hash.
#[test]
fn a_ledger_missing_its_first_segment_is_never_signed() {
    use lotledger::file::{FileLedger, Options};
    use lotledger::model::{Delivered, LedgerId, PartyId, Record, Timestamp};
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("ledger");
    let options = Options::new().segment_size(Options::MIN_SEGMENT_SIZE);
    let mut ledger = FileLedger::create(&dir, LedgerId([7; 16]), options).unwrap();
    let stamp = lotledger::entry::Stamp {
        time: Timestamp(1_772_438_400_000),
        actor: "op7".parse().unwrap(),
        station: "L1".parse().unwrap(),
    };
    for n in 0..3000 {
        let record = Record::Delivered(Delivered {
            order: format!("SO{n}").parse().unwrap(),
            customer: PartyId::Internal("C1".parse().unwrap()),
        });
        let _ = ledger.append(&stamp, &record).unwrap();
    }
    ledger.close().unwrap();
    let mut segs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    assert!(segs.len() >= 2, "{segs:?}");
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    let genuine = t.join("genuine.note");
    let key = t.join("qa.example.key");
    assert_eq!(run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&genuine)], "").0, 0);
    std::fs::remove_file(&segs[0]).unwrap();
    let public = t.join("qa.example.pub");
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&genuine), "--key", s(&public)], "");
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("extend the signed tree"), "{out}");
    let _ = std::fs::remove_file(dir.join("merkle.nodes"));
    let out_file = t.join("cp.note");
    let (code, out, err) = run_with(
        &["checkpoint", s(&dir), "--key", s(&t.join("qa.example.key")), "--out", s(&out_file)],
        "",
    );
    assert_ne!(code, 0, "{out}{err}");
    assert!(!out_file.exists() && out.is_empty(), "signed a ledger without its first entries");
}

/// Guards issue 11 item 7: a checkpoint entry signed under a trusted key's
/// name by another key passed `verify --key` (exit 0, "0 signatures
/// verified"). With keys given, an entry no given key verifies fails,
/// naming the entry and the signer.
#[test]
fn a_checkpoint_entry_no_given_key_verifies_fails_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let forger = t.join("forger");
    std::fs::create_dir(&forger).unwrap();
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(&forger)], "").0, 0);
    let dir = t.join("ledger");
    assert_eq!(run_with(&["init", s(&dir)], "").0, 0);
    let forged_key = forger.join("qa.example.key");
    let (code, _, err) = run_with(
        &["append", s(&dir), "--checkpoint-every", "10", "--key", s(&forged_key)],
        &example_lines().join("\n"),
    );
    assert_eq!(code, 0, "{err}");
    let trusted = t.join("qa.example.pub");
    let (code, out, err) = run_with(&["verify", s(&dir), "--key", s(&trusted)], "");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("entry 10: the checkpoint entry is signed by qa.example (key id"),
        "{out}"
    );
    assert!(out.contains("which is none of the given keys"), "{out}");
    assert!(out.contains("(0 signatures verified"), "{out}");
    // The forger's own key verifies it: 1 signature, counted.
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--key", s(&forger.join("qa.example.pub"))], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 (1 signatures verified"), "{out}");
}

/// Guards issue 11 item 7: a checkpoint entry under the trusted key's name
/// and key id whose signature does not verify (here: made for another
/// ledger) fails `verify --key`, naming the entry.
#[test]
fn a_checkpoint_entry_with_a_bad_signature_by_a_given_key_fails_verify() {
    use lotledger::file::{FileLedger, Options};
    use lotledger::model::{Delivered, LedgerId, PartyId, Record, Timestamp};
    use lotledger::proof::{CompactTree, Ed25519Signer, checkpoint_record};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let mut ledger = FileLedger::create(&dir, LedgerId([7; 16]), Options::new()).unwrap();
    let stamp = lotledger::entry::Stamp {
        time: Timestamp(1_772_438_400_000),
        actor: "op7".parse().unwrap(),
        station: "L1".parse().unwrap(),
    };
    let mut tree: CompactTree = CompactTree::new();
    let mut last = [0u8; 32];
    for n in 0..3 {
        let record = Record::Delivered(Delivered {
            order: format!("SO{n}").parse().unwrap(),
            customer: PartyId::Internal("C1".parse().unwrap()),
        });
        last = ledger.append(&stamp, &record).unwrap().receipt.hash.0;
        tree.push_entry(&last).unwrap();
    }
    let signer = Ed25519Signer::from_seed("qa.example", &[9; 32]).unwrap();
    let mut buf = [0u8; 512];
    let other_ledger = LedgerId([8; 16]);
    let record =
        checkpoint_record(&other_ledger, 3, &tree.root(), Some(&last), Some(&signer), &mut buf)
            .unwrap();
    let _ = ledger.append(&stamp, &Record::Checkpointed(record)).unwrap();
    ledger.close().unwrap();
    let key = signer.verifier_key().to_string();
    let (code, out, err) = run_with(&["verify", s(&dir), "--key", &key], "");
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("entry 3: the checkpoint entry's signature by qa.example"), "{out}");
    assert!(out.contains("does not verify"), "{out}");
    // Without keys only the root is checked, and it is right.
    assert_eq!(run_with(&["verify", s(&dir)], "").0, 0);
}

/// Guards the low finding of issue 11: a refused concurrent `append
/// --checkpoint-every` cut the running writer's node file. The node file is
/// opened only once the writer's lock is held.
#[test]
fn a_refused_concurrent_append_leaves_the_node_file_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, key, _) = checkpointed(t);
    let nodes = dir.join("merkle.nodes");
    // The running writer holds the lock and has written nodes ahead of the
    // entries a reader sees.
    let (_writer, _) =
        lotledger::file::FileLedger::open(&dir, lotledger::file::Options::new()).unwrap();
    let mut bytes = std::fs::read(&nodes).unwrap();
    bytes.extend_from_slice(&[0x5A; 64]);
    std::fs::write(&nodes, &bytes).unwrap();
    let (code, _, err) = run_with(
        &["append", s(&dir), "--checkpoint-every", "5", "--key", s(&key)],
        &example_lines()[0],
    );
    assert_eq!(code, 4, "{err}");
    assert_eq!(std::fs::read(&nodes).unwrap(), bytes, "the writer's node file was changed");
}

/// Guards the low finding of issue 11: errors printed Rust debug text
/// (`Note(NoKnownSignature)`). A checkpoint no given key verifies is
/// refused with a sentence naming its signer.
#[test]
fn a_checkpoint_no_given_key_verifies_is_refused_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, _, cp) = checkpointed(t);
    let (code, out, err) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp), "--key", &stranger_key()], "");
    assert_eq!(code, 1, "{out}{err}");
    // The verify command's result row carries the checkpoint's verdict.
    assert!(
        (out.clone() + &err)
            .contains("not a checkpoint signed by a trusted key: signed by qa.example (key id "),
        "{out}{err}"
    );
    assert!((out.clone() + &err).contains("which is none of the given keys"), "{out}{err}");
    for debug in ["Note(", "NoKnownSignature", "InvalidSignature", "{ "] {
        assert!(!err.contains(debug) && !out.contains(debug), "{debug}: {err}");
    }
}

/// Guards that the tree commands, which take no lock, never cut a running
/// writer's node file: nodes ahead of the entries they read stay in place.
#[test]
fn tree_commands_leave_a_running_writers_nodes_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, key, cp) = checkpointed(t);
    let nodes = dir.join("merkle.nodes");
    let mut bytes = std::fs::read(&nodes).unwrap();
    bytes.extend_from_slice(&[0x5A; 64]);
    std::fs::write(&nodes, &bytes).unwrap();
    let again = t.join("again.note");
    let (code, _, err) =
        run_with(&["checkpoint", s(&dir), "--key", s(&key), "--out", s(&again)], "");
    assert_eq!(code, 0, "{err}");
    let public = t.join("qa.example.pub");
    let (code, out, _) =
        run_with(&["verify", s(&dir), "--checkpoint", s(&cp), "--key", s(&public)], "");
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read(&nodes).unwrap(), bytes, "a reader changed the node file");
}
