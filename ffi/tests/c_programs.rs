//! The C ABI from C and Python: the example program built with gcc against
//! the static library, the C test of every error path under AddressSanitizer
//! and UndefinedBehaviorSanitizer, and the ctypes example against the shared
//! library. Needs gcc and python3 on PATH (CI installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use lotledger::entry::NewEntry;
use lotledger::file::LedgerReader;

/// `target/<profile>`, where cargo puts `liblotledger_ffi.a` and `.so` when
/// it builds this crate's library for the tests.
/// A library artifact of this crate built with this test: `cargo test`
/// leaves the static and shared libraries in `target/<profile>/deps/` (only
/// `cargo build` copies them up to `target/<profile>/`), so look there first.
fn built(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("target/<profile>/deps/<test>");
    let fresh = deps.join(name);
    if fresh.exists() {
        return fresh;
    }
    deps.parent().expect("target/<profile>").join(name)
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `source` against the static library into `out`, with `flags`.
fn gcc(source: &str, out: &Path, flags: &[&str]) {
    let lib = built("liblotledger_ffi.a");
    assert!(lib.exists(), "{} not built", lib.display());
    let status = Command::new("gcc")
        .args(["-std=c11", "-g", "-Wall", "-Wextra", "-Werror", "-DLOTLEDGER_STD"])
        .args(flags)
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join(source))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(out)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed on {source}");
}

/// The entries `examples/write_ledger.c` writes, in the JSON form: what the
/// Rust reader must decode from its ledger.
const WRITTEN: &[&str] = &[
    r#"{"time": 1772438400000, "actor": "k.huber", "station": "WH-DOCK-1", "record": {"material_received": {"lot": {"item": {"internal": "RM-ESTRADIOL"}, "lot": "R260003"}, "quantity": "450 GRM", "supplier": {"gln": "5412345000662"}, "supplier_lot": "LT15619"}}}"#,
    r#"{"time": 1772442000000, "actor": "s.okafor", "station": "QA-OFFICE", "record": {"disposition_set": {"lot": {"item": {"internal": "RM-ESTRADIOL"}, "lot": "R260003"}, "status": "released"}}}"#,
    r#"{"time": 1772449200000, "actor": "p.rossi", "station": "LINE-1-MIX", "record": {"produced": {"work_order": "WO0000001", "line": "LINE-1", "produced_on": "2026-03-02", "expiry": "2028-02-29", "inputs": [{"lot": {"item": {"internal": "RM-ESTRADIOL"}, "lot": "R260003"}, "quantity": "225 GRM"}], "outputs": [{"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260001"}, "quantity": "768 H87"}]}}}"#,
    r#"{"time": 1772456400000, "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260001"}, "quantity": "252 H87", "customer": {"internal": "C10140"}, "ship_to": {"internal": "C10140-3"}, "order": "SO0000001"}}}"#,
    r#"{"time": "2026-03-03T08:00:00Z", "actor": "n.sato", "station": "CS-DESK", "record": {"delivered": {"order": "SO0000001", "customer": {"internal": "C10140"}}}}"#,
];

/// Guards the whole path from C: the example's ledger verifies with the
/// library's reader, holds exactly the records the C structs describe, and
/// its entries have the sequence numbers and hashes the C program printed.
#[test]
fn c_example_writes_a_ledger_the_rust_reader_decodes_identically() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let exe = tmp.path().join("write_ledger");
    gcc("examples/write_ledger.c", &exe, &[]);
    let dir = tmp.path().join("ledger");
    let out = Command::new(&exe).arg(&dir).output().expect("example runs");
    assert!(out.status.success(), "example failed: {}", String::from_utf8_lossy(&out.stderr));

    let reader = LedgerReader::open(&dir).expect("ledger opens");
    let report = reader.verify().expect("ledger verifies");
    assert_eq!(report.entries, WRITTEN.len() as u64);
    let stored: Vec<_> =
        reader.entries().expect("entries").collect::<Result<_, _>>().expect("entries read");
    let printed = String::from_utf8(out.stdout).expect("utf-8");
    let printed: Vec<&str> = printed.lines().collect();
    assert_eq!(printed.len(), WRITTEN.len());
    for ((entry, json), line) in stored.iter().zip(WRITTEN).zip(&printed) {
        let expected: NewEntry = serde_json::from_str(json).expect("expected entry parses");
        assert_eq!(entry.header.time, expected.time);
        assert_eq!(entry.header.actor.as_str(), expected.actor.as_str());
        assert_eq!(entry.header.station.as_str(), expected.station.as_str());
        assert_eq!(entry.record().expect("record decodes"), expected.record);
        assert_eq!(*line, format!("entry {} {}", entry.header.seq, entry.hash));
    }
}

/// Runs tests/c/errors.c, built with `-fsanitize=address,undefined`: every
/// error path returns its code, leaves what was stored unchanged, and
/// touches no memory it should not.
#[test]
fn c_error_paths_pass_under_address_and_undefined_behavior_sanitizers() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let exe = tmp.path().join("errors");
    gcc("tests/c/errors.c", &exe, &["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]);
    let out = Command::new(&exe)
        .arg(tmp.path().join("ledger"))
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        .env("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        .output()
        .expect("error test runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "C error test failed:\n{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("all error paths checked"));
}

/// The Python example drives the shared library through ctypes and prints
/// a recall report naming the customer the finished lot was shipped to.
#[test]
fn python_example_runs_the_recall_through_ctypes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = Command::new("python3")
        .arg(crate_dir().join("examples/recall.py"))
        .arg(built("liblotledger_ffi.so"))
        .arg(tmp.path().join("ledger"))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "recall.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("recall JSON");
    assert_eq!(report["customers"][0]["customer"], "gln:4012345000009");
    assert_eq!(report["customers"][0]["shipped"][0]["quantity"], "1200");
}
