//! `lotledger init`, `append`, `verify` and `export`: what line software and
//! auditors rely on, including exit codes and bad input.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use cli_common::{example_lines, run_with};

use std::path::Path;

fn dir_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn init_append_verify_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let d = dir_arg(&dir);
    let (code, out, _) =
        run_with(&["init", d, "--ledger-id", "000102030405060708090a0b0c0d0e0f"], "");
    assert_eq!(code, 0);
    assert!(out.contains("000102030405060708090a0b0c0d0e0f"));
    // A second init on the same directory refuses: exit 4.
    let (code, _, err) = run_with(&["init", d], "");
    assert_eq!(code, 4, "{err}");

    let lines = example_lines();
    let input = lines.join("\n") + "\n";
    let (code, out, err) = run_with(&["append", d, "--durability", "sync"], &input);
    assert_eq!(code, 0, "{err}");
    let acks: Vec<serde_json::Value> =
        out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(acks.len(), lines.len());
    for (i, ack) in acks.iter().enumerate() {
        assert_eq!(ack["line"], i + 1);
        assert_eq!(ack["seq"], i);
        assert_eq!(ack["hash"].as_str().unwrap().len(), 64);
    }

    // Group commit: every line is still answered, once durable (at the latest at the end).
    let (code, out, _) = run_with(&["append", d, "--group", "4"], &input);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), lines.len());
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["seq"], 2 * lines.len() - 1);

    let (code, out, _) = run_with(&["verify", d, "--json"], "");
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["entries"], 2 * lines.len());
    assert_eq!(v["head_hash"], last["hash"]);

    let (code, out, _) = run_with(&["export", d, "--format", "json"], "");
    assert_eq!(code, 0);
    let exported: Vec<serde_json::Value> =
        out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(exported.len(), 2 * lines.len());
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(exported[0]["record"], first["record"]);
    assert_eq!(exported[0]["hash"], acks[0]["hash"]);
}

#[test]
fn a_bad_line_names_line_and_field_and_writes_nothing_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let d = dir_arg(&dir);
    assert_eq!(run_with(&["init", d], "").0, 0);
    let lines = example_lines();
    let bad = r#"{"time":"2026-03-02T08:00:00Z","actor":"a","station":"s","record":{"shipped":{"lot":{"item":{"gtin":"09506000134353"},"lot":"B1"},"quantity":"1 H87","customer":{"internal":"C1"},"order":"SO1"}}}"#;
    let input = format!("{}\n{}\n{bad}\n{}\n", lines[0], lines[1], lines[2]);
    let (code, out, err) = run_with(&["append", d], &input);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 3") && err.contains("record.shipped.lot.item.gtin"), "{err}");
    // The two good lines before it were written and acknowledged; nothing after.
    assert_eq!(out.lines().count(), 2);
    let (_, out, _) = run_with(&["verify", d, "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"], 2);

    // Not JSON at all, and an unknown record kind: the same.
    let (code, _, err) = run_with(&["append", d], "not json\n");
    assert_eq!(code, 3);
    assert!(err.contains("line 1"), "{err}");
    let (code, _, err) = run_with(
        &["append", d],
        r#"{"time":0,"actor":"a","station":"s","record":{"teleported":{}}}"#,
    );
    assert_eq!(code, 3);
    assert!(err.contains("teleported"), "{err}");
}

#[test]
fn verify_names_tampering_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let d = dir_arg(&dir);
    assert_eq!(run_with(&["init", d], "").0, 0);
    let input = example_lines().join("\n");
    assert_eq!(run_with(&["append", d], &input).0, 0);
    // Change one byte in the middle of the segment file.
    let segment = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().ends_with(".seg"))
        .expect("a segment file");
    let mut bytes = std::fs::read(&segment).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&segment, bytes).unwrap();
    let (code, out, _) = run_with(&["verify", d], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED"), "{out}");
    // No ledger at all: exit 4.
    let (code, _, err) = run_with(&["verify", dir_arg(tmp.path())], "");
    assert_eq!(code, 4, "{err}");
}
