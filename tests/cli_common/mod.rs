//! Running the `lotledger` command in tests, and the example entries of
//! docs/JSON.md.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::std_instead_of_core)]

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Runs `lotledger ARGS` with `stdin`; returns (exit code, stdout, stderr).
pub fn run_with(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lotledger"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs `lotledger ARGS` with nothing on standard input.
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_with(args, "")
}

/// The example lines of docs/JSON.md of kinds 0 to 15 (the tests that use
/// them count their 15 entries and tree positions by hand; kinds 16 on
/// follow them), without the checkpoint, whose example is illustrative
/// (its root belongs to no ledger here).
pub fn example_lines() -> Vec<String> {
    all_example_lines().into_iter().take(15).collect()
}

/// Every example line of docs/JSON.md, one entry of every record kind,
/// but the checkpoint (see [`example_lines`]) and the retention entry,
/// which only `lotledger archive` and `dispose` write (`append` refuses it).
pub fn all_example_lines() -> Vec<String> {
    let doc = include_str!("../../docs/JSON.md");
    let section = doc.split("## One example of each record kind").nth(1).unwrap();
    section
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap().to_owned())
        .filter(|l| !l.contains("\"checkpointed\"") && !l.contains("\"retention_applied\""))
        .collect()
}
