//! `lotledger append` input: nothing dropped, every exit exact (issue 11
//! items 2, 4, 6, 9–12) and the export round trip (issue 12 item 10).
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use cli_common::{example_lines, run_with};

use core::time::Duration;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const DELIVERED: &str = r#"{"time":0,"actor":"a","station":"s","record":{"delivered":{"order":"SO1","customer":{"internal":"C1"}}}}"#;

/// A new empty ledger in a temporary directory.
fn new_ledger() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    assert_eq!(run_with(&["init", s(&dir)], "").0, 0);
    (tmp, dir)
}

/// The ledger's entry count, from `verify --json`, which must pass.
fn verified_entries(dir: &Path) -> u64 {
    let (code, out, _) = run_with(&["verify", s(dir), "--json"], "");
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["entries"].as_u64().unwrap()
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Guards issue 11 item 2: the documented checkpoint example, appended by
/// hand, was stored (exit 0) and `verify` failed on the ledger for good. It
/// is refused naming the line, nothing of it is stored, and the ledger
/// still verifies.
#[test]
fn a_hand_written_checkpoint_is_refused_and_the_ledger_stays_valid() {
    let (_tmp, dir) = new_ledger();
    let doc = include_str!("../docs/JSON.md");
    let checkpoint = doc
        .lines()
        .find(|l| l.starts_with('{') && l.contains("\"checkpointed\""))
        .expect("the checkpoint example");
    let input = format!("{DELIVERED}\n{checkpoint}\n{DELIVERED}\n");
    let (code, out, err) = run_with(&["append", s(&dir)], &input);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 2") && err.contains("checkpoint entries are written only"), "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(verified_entries(&dir), 1);
}

/// Guards issue 11 item 4: two objects on one line, text after the object
/// and CR-only line endings stored one entry and exited 0. Each is refused
/// with the line number and what is wrong; CR LF endings are accepted.
#[test]
fn content_after_the_object_and_cr_only_endings_are_refused() {
    let (_tmp, dir) = new_ledger();
    let cases = [
        (format!("{DELIVERED}\n{DELIVERED} {DELIVERED}\n"), "line 2: more after the JSON object"),
        (format!("{DELIVERED}\n{DELIVERED} trailing\n"), "line 2: more after the JSON object"),
        (format!("{DELIVERED}\r{DELIVERED}\r"), "line 1: a carriage return not followed"),
    ];
    let mut stored = 0;
    for (input, expected) in cases {
        let (code, out, err) = run_with(&["append", s(&dir)], &input);
        assert_eq!(code, 3, "{input:?}: {err}");
        assert!(err.contains(expected), "{input:?}: {err}");
        stored += out.lines().count() as u64;
        assert_eq!(verified_entries(&dir), stored, "{input:?}");
    }
    assert_eq!(stored, 2);
    let (code, out, err) =
        run_with(&["append", s(&dir)], &format!("{DELIVERED}\r\n{DELIVERED}\r\n"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
    assert_eq!(verified_entries(&dir), 4);
}

/// Guards issue 11 item 6 through the command: `shipto` for `ship_to` was
/// stored as `ship_to: null`. It is refused naming line, path and field.
#[test]
fn a_misspelt_field_is_refused_naming_it() {
    let (_tmp, dir) = new_ledger();
    let line = r#"{"time":0,"actor":"a","station":"s","record":{"shipped":{"lot":{"item":{"gtin":"09506000134680"},"lot":"B1"},"quantity":"1 H87","customer":{"internal":"C1"},"shipto":{"internal":"X"},"order":"SO1"}}}"#;
    let (code, _, err) = run_with(&["append", s(&dir)], &format!("{DELIVERED}\n{line}\n"));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 2: field record.shipped.shipto: unknown field `shipto`"), "{err}");
    let qty = line.replace("\"quantity\"", "\"qty\"").replace("\"shipto\"", "\"ship_to\"");
    let (code, _, err) = run_with(&["append", s(&dir)], &qty);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unknown field `qty`"), "{err}");
    assert_eq!(verified_entries(&dir), 1);
}

/// Guards issue 11 item 9: invalid UTF-8 ended `append` with exit 4 and no
/// line number. It is a bad line (exit 3) named by number, every line
/// before it is answered, and the message states the durable head exactly:
/// entry, hash and input line.
#[test]
fn invalid_utf8_names_the_line_and_the_durable_head() {
    let (_tmp, dir) = new_ledger();
    let mut input = Vec::new();
    for _ in 0..150 {
        input.extend_from_slice(DELIVERED.as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(b"{\"time\":0,\"actor\":\"\xff\"}\n");
    let mut child = spawn(&["append", s(&dir), "--group", "1000"]);
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 151: not UTF-8 at column 20"), "{stderr}");
    let answers: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), 150);
    let last = &answers[149];
    let head = format!(
        "durable head: entry 149, hash {}, from input line 150; input lines up to 150 are stored",
        last["hash"].as_str().unwrap()
    );
    assert!(stderr.contains(&head), "{stderr}");
    assert!(stderr.contains("resend from line 151"), "{stderr}");
    assert_eq!(verified_entries(&dir), 150);
}

/// Guards issue 11 item 9 (an early end after the entries were written):
/// when `merkle.nodes` cannot be extended, every line is still answered
/// and the message says they are stored, with the durable head.
#[test]
fn a_node_file_failure_still_answers_every_stored_line() {
    let (_tmp, dir) = new_ledger();
    assert_eq!(run_with(&["append", s(&dir)], &format!("{DELIVERED}\n")).0, 0);
    // A node file that cannot be opened for writing.
    std::fs::remove_file(dir.join("merkle.nodes")).ok();
    std::fs::create_dir(dir.join("merkle.nodes")).unwrap();
    let input = format!("{DELIVERED}\n{DELIVERED}\n");
    let (code, out, err) = run_with(&["append", s(&dir)], &input);
    assert_eq!(code, 4, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(err.contains("every line was stored and answered"), "{err}");
    assert!(err.contains("durable head: entry 2, hash "), "{err}");
    assert!(err.contains("from input line 2"), "{err}");
}

/// Guards issue 11 item 10: with the reader of the answers gone
/// (`append | head -1`), `append` exited 0 with its input unread. It exits
/// non-zero saying up to which line answers were printed and what is stored.
#[test]
fn a_closed_answer_pipe_is_a_failure_that_says_what_was_stored() {
    let (_tmp, dir) = new_ledger();
    let mut child = spawn(&["append", s(&dir), "--durability", "sync"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{DELIVERED}").unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("\"seq\":0"), "{first}");
    drop(stdout);
    // The next answer cannot be written; lines after it are not stored.
    for _ in 0..50 {
        if writeln!(stdin, "{DELIVERED}").is_err() {
            break;
        }
    }
    drop(stdin);
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{err}");
    assert!(err.contains("the answers could not be written to standard output"), "{err}");
    assert!(err.contains("answers were printed up to input line 1"), "{err}");
    let stored = verified_entries(&dir);
    assert!(err.contains(&format!("durable head: entry {}", stored - 1)), "{err}");
    assert!(stored < 51, "{stored} entries: input was read on after the pipe closed");
}

/// Guards issue 11 item 11: in the default group mode the answer to the
/// last line never came until more input or the end of input, so a
/// producer waiting for it waited forever. One line, stdin kept open: the
/// answer must come (20 s is a liveness bound, not a speed claim).
#[test]
fn group_mode_answers_an_idle_line_without_more_input() {
    let (_tmp, dir) = new_ledger();
    let mut child = spawn(&["append", s(&dir)]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{DELIVERED}").unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        tx.send(line).unwrap();
    });
    let answer = rx.recv_timeout(Duration::from_secs(20));
    drop(stdin);
    let status = child.wait().unwrap();
    let answer = answer.expect("no answer within 20 s while input stayed open");
    assert!(answer.starts_with("{\"line\":1,\"seq\":0,"), "{answer}");
    assert!(status.success());
}

/// Guards issue 11 item 12: a line of any length was read whole into
/// memory, and a long value was repeated whole on standard error. A line
/// over 1 MiB is refused without reading the rest (the writer of a 64 MiB
/// line finds the pipe closed), and an error quotes a short excerpt only.
#[test]
fn long_lines_are_refused_unread_and_errors_quote_excerpts() {
    let (_tmp, dir) = new_ledger();
    let mut child = spawn(&["append", s(&dir)]);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(format!("{DELIVERED}\n").as_bytes())?;
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..64 {
            stdin.write_all(&chunk)?;
        }
        stdin.write_all(b"\n")
    });
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 2: longer than the 1048576 bytes a line may hold"), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let written = writer.join().unwrap();
    assert!(written.is_err(), "all 64 MiB were read");

    // A 100 kB value: the message repeats 24 characters of it.
    let value = "Jane Doe, 12 Long Street, ".repeat(4000);
    let line = DELIVERED.replace("\"SO1\"", &format!("{value:?}"));
    let (code, _, err) = run_with(&["append", s(&dir)], &line);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("field record.delivered.order"), "{err}");
    assert!(err.len() < 600, "{} bytes on stderr: {err}", err.len());
    assert!(!err.contains(&value[..40]), "{err}");
}

/// Guards issue 12 item 10: `export --format json` could not be appended
/// (its `seq` and `hash` were unknown fields). Exported, appended into a
/// new ledger with the same id, and exported again, the demo ledger is the
/// same line for line; into a ledger of another id the records are the
/// same and every answer names the source entry.
#[test]
fn an_export_appends_into_a_new_ledger_and_exports_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let (code, _, err) = run_with(&["demo", "--out", s(&demo), "--events", "400"], "");
    assert_eq!(code, 0, "{err}");
    let (code, exported, _) = run_with(&["export", s(&demo), "--format", "json"], "");
    assert_eq!(code, 0);
    let (_, v, _) = run_with(&["verify", s(&demo), "--json"], "");
    let id = serde_json::from_str::<serde_json::Value>(&v).unwrap()["ledger"]
        .as_str()
        .unwrap()
        .to_owned();

    let copy = tmp.path().join("copy");
    assert_eq!(run_with(&["init", s(&copy), "--ledger-id", &id], "").0, 0);
    // The demo's personal fields are plain; an identical copy keeps them
    // so (sealing would give new commitments and so new hashes).
    let (code, answers, err) = run_with(&["append", s(&copy), "--plain-personal-data"], &exported);
    assert_eq!(code, 0, "{err}");
    for (answer, line) in answers.lines().zip(exported.lines()) {
        let a: serde_json::Value = serde_json::from_str(answer).unwrap();
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!((&a["seq"], &a["hash"]), (&l["seq"], &l["hash"]));
        assert_eq!((&a["source_seq"], &a["source_hash"]), (&l["seq"], &l["hash"]));
    }
    let (_, again, _) = run_with(&["export", s(&copy), "--format", "json"], "");
    assert_eq!(again, exported);

    let merged = tmp.path().join("merged");
    assert_eq!(run_with(&["init", s(&merged)], "").0, 0);
    assert_eq!(run_with(&["append", s(&merged)], &format!("{DELIVERED}\n")).0, 0);
    let (code, _, err) = run_with(&["append", s(&merged), "--plain-personal-data"], &exported);
    assert_eq!(code, 0, "{err}");
    let (_, merged_export, _) = run_with(&["export", s(&merged), "--format", "json"], "");
    let records = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                let o = v.as_object_mut().unwrap();
                o.remove("seq");
                o.remove("hash");
                v
            })
            .collect()
    };
    assert_eq!(records(&merged_export)[1..], records(&exported)[..]);
}

/// Guards issue 12 item 10 for tool-only records: an exported checkpoint
/// entry is not appended (its signature is over the old ledger's tree) and
/// is answered as skipped, naming its source entry; the copy verifies.
#[test]
fn exported_checkpoints_are_answered_as_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let old = t.join("old");
    assert_eq!(run_with(&["init", s(&old)], "").0, 0);
    assert_eq!(run_with(&["keygen", "--name", "qa.example", "--dir", s(t)], "").0, 0);
    let key = t.join("qa.example.key");
    let batch = example_lines()[..4].join("\n");
    let (code, _, err) =
        run_with(&["append", s(&old), "--checkpoint-every", "2", "--key", s(&key)], &batch);
    assert_eq!(code, 0, "{err}");
    let (_, exported, _) = run_with(&["export", s(&old), "--format", "json"], "");
    // Every second tree entry is a checkpoint (the checkpoints count too).
    let exported_checkpoints: Vec<u64> = exported
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["record"].get("checkpointed").is_some())
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(exported_checkpoints, [2, 4, 6]);
    let new = t.join("new");
    assert_eq!(run_with(&["init", s(&new)], "").0, 0);
    let (code, answers, err) = run_with(&["append", s(&new)], &exported);
    assert_eq!(code, 0, "{err}");
    let answers: Vec<serde_json::Value> =
        answers.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), 7);
    let skipped: Vec<u64> = answers
        .iter()
        .filter(|a| a["skipped"] == "checkpointed")
        .map(|a| a["source_seq"].as_u64().unwrap())
        .collect();
    assert_eq!(skipped, exported_checkpoints);
    // The entry after the first skipped checkpoint takes its seq.
    assert_eq!((&answers[3]["seq"], &answers[3]["source_seq"]), (&2.into(), &3.into()));
    assert_eq!(verified_entries(&new), 4);
    // `seq` without `hash` is not the export form.
    let half = r#"{"seq":3,"time":0,"actor":"a","station":"s","record":{"delivered":{"order":"SO1","customer":{"internal":"C1"}}}}"#;
    let (code, _, err) = run_with(&["append", s(&new)], half);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("`seq` and `hash` come together"), "{err}");
}

/// Guards issue 11 item 9 (a group-mode write failure): lines were left
/// unanswered though durable, and the message said "entries from N on were
/// not stored" without saying which input line that was. A file size limit
/// (`ulimit -f`, with SIGXFSZ ignored) makes a write of the segment fail:
/// every durable line is answered, and the message names the durable
/// entry, its hash and its input line, which `verify` confirms (or, when
/// no group was durable yet, that no line was stored).
#[cfg(target_os = "linux")]
#[test]
fn a_failed_group_write_answers_every_durable_line_and_names_the_head() {
    let (tmp, dir) = new_ledger();
    let input_file = tmp.path().join("input");
    std::fs::write(&input_file, format!("{DELIVERED}\n").repeat(200)).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" append \"$1\" --group 64 < \"$2\"")
        .arg(env!("CARGO_BIN_EXE_lotledger"))
        .arg(&dir)
        .arg(&input_file)
        .output()
        .unwrap();
    let (stdout, stderr) =
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    let answered = stdout.lines().count() as u64;
    let stored = verified_entries(&dir);
    assert!(stored < 200, "{stored}");
    assert_eq!(answered, stored, "{stderr}");
    if stored == 0 {
        // The first group was written but its sync, in the background, had
        // not finished when the second group's write failed (a loaded
        // machine): it is rolled back, and the message says so.
        assert!(
            stderr.contains("the ledger holds no entries; no line of this input was stored"),
            "{stderr}"
        );
        return;
    }
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let head = format!(
        "durable head: entry {}, hash {}, from input line {stored}; input lines up to {stored} \
         are stored, lines after {stored} are not: resend from line {}",
        stored - 1,
        last["hash"].as_str().unwrap(),
        stored + 1
    );
    assert!(stderr.contains(&head), "{stderr}");
}
