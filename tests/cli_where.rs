//! `lotledger where`, `verify-return` and the unit-level recall columns on
//! a small serialized ledger written with `append`; the answers are worked
//! out by hand in the comments.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use std::sync::OnceLock;

use cli_common::{run, run_with};

const LOT: &str = r#"{"item": {"gtin": "09506000134680"}, "lot": "B260001"}"#;
const SSCC: &str = "106141412345678908";
const CUSTOMER: &str = "gln:4012345000009";

/// B260001: 10,000 pieces expiring 2027-01-31, serials A000001..A010000;
/// A000001..A000500 into CASE-0001, the case onto pallet SSCC; the pallet
/// shipped to the customer on SO0000021; A009991..A010000 taken as samples;
/// A000042 returned.
fn ledger() -> &'static str {
    static DIR: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("units").to_str().unwrap().to_owned();
        assert_eq!(run(&["init", &dir]).0, 0);
        let serials = |first: u32, count: u32| {
            format!(
                r#"{{"serials": {{"lot": {LOT}, "serials": {{"range": {{"prefix": "A", "first": {first}, "count": {count}, "width": 6}}}}}}}}"#
            )
        };
        let lines = [
            format!(
                r#"{{"time": "2026-01-03T12:00:00Z", "actor": "p.rossi", "station": "LINE-2", "record": {{"produced": {{"work_order": "WO1", "line": "LINE-2", "produced_on": "2026-01-03", "expiry": "2027-01-31", "inputs": [], "outputs": [{{"lot": {LOT}, "quantity": "10000 H87"}}]}}}}}}"#
            ),
            format!(
                r#"{{"time": "2026-01-03T14:00:00Z", "actor": "line-2", "station": "PACK-2", "record": {{"commissioned": {{"lot": {LOT}, "serials": [{{"range": {{"prefix": "A", "first": 1, "count": 10000, "width": 6}}}}]}}}}}}"#
            ),
            format!(
                r#"{{"time": "2026-01-03T14:05:00Z", "actor": "line-2", "station": "PACK-2", "record": {{"aggregated": {{"parent": {{"internal": "CASE-0001"}}, "action": "pack", "contents": [{}]}}}}}}"#,
                serials(1, 500)
            ),
            format!(
                r#"{{"time": "2026-01-03T14:06:00Z", "actor": "line-2", "station": "PACK-2", "record": {{"aggregated": {{"parent": {{"sscc": "{SSCC}"}}, "action": "pack", "contents": [{{"container": {{"internal": "CASE-0001"}}}}]}}}}}}"#
            ),
            format!(
                r#"{{"time": "2026-01-05T08:00:00Z", "actor": "m.weber", "station": "WH-DOCK-1", "record": {{"goods_shipped": {{"customer": {{"gln": "4012345000009"}}, "ship_to": null, "order": "SO0000021", "goods": [{{"container": {{"sscc": "{SSCC}"}}}}]}}}}}}"#
            ),
            format!(
                r#"{{"time": "2026-01-06T15:00:00Z", "actor": "l.chen", "station": "QC-LAB", "record": {{"decommissioned": {{"reason": "sample", "note": "retention sample", "recall": null, "goods": [{}]}}}}}}"#,
                serials(9991, 10)
            ),
            format!(
                r#"{{"time": "2026-02-01T10:00:00Z", "actor": "m.weber", "station": "WH-RETURNS", "record": {{"goods_returned": {{"from": {{"gln": "4012345000009"}}, "kind": "return", "reason": "saleable return", "complaint": null, "order": "SO0000021", "goods": [{{"serials": {{"lot": {LOT}, "serials": {{"one": "A000042"}}}}}}]}}}}}}"#
            ),
        ];
        let (code, _, err) = run_with(&["append", &dir], &(lines.join("\n") + "\n"));
        assert_eq!(code, 0, "{err}");
        (tmp, dir)
    })
    .1
}

/// A DataMatrix scan of A-serial `serial` of B260001, expiry 2027-01-31.
fn scan(serial: &str) -> String {
    format!("]d201095060001346801727013110B260001\u{1d}21{serial}")
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn where_a_scanned_unit_is() {
    // Guards: the ]d2 scan read as GTIN + serial; the unit's history through
    // the case and the pallet; the same answer from the index cache.
    let dir = ledger();
    let s = scan("A000001");
    let r = json(&["where", dir, &s, "--json"]);
    assert_eq!(r["status"], "shipped");
    assert_eq!(r["customer"], CUSTOMER);
    assert_eq!(r["order"], "SO0000021");
    assert_eq!(r["lot"]["lot"], "B260001");
    assert_eq!(r["expiry"], "2027-01-31");
    assert_eq!(r["containers"], serde_json::json!(["CASE-0001", format!("sscc:{SSCC}")]));
    let what: Vec<&str> =
        r["history"].as_array().unwrap().iter().map(|s| s["what"].as_str().unwrap()).collect();
    assert_eq!(
        what,
        [
            "commissioned in lot gtin:09506000134680/B260001",
            "packed into CASE-0001",
            &format!("packed into sscc:{SSCC}"),
            &format!("shipped to {CUSTOMER} on order SO0000021"),
        ]
    );
    // Asked again (the index now comes from the cache), as GTIN/SERIAL.
    let again = json(&["where", dir, "09506000134680/A000001", "--json"]);
    assert_eq!(again["history"], r["history"]);
}

#[test]
fn where_a_pallet_is_and_what_it_holds() {
    let dir = ledger();
    let (code, out, err) = run(&["where", dir, &format!("00{SSCC}")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("container sscc:{SSCC}")), "{out}");
    assert!(out.contains(&format!("status: shipped to {CUSTOMER} on order SO0000021")), "{out}");
    assert!(out.contains("holds: CASE-0001"), "{out}");
    assert!(out.contains("gtin:09506000134680/B260001 A000001..A000500 (500)"), "{out}");
    // The same pallet from its homogeneous label scan, (00)(02)(37)(10).
    let label = format!("]C100{SSCC}0209506000134680\u{1d}37500\u{1d}10B260001");
    let (code, from_scan, err) = run(&["where", dir, &label]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_scan, out);
}

#[test]
fn where_an_unknown_unit_exits_6_with_near_matches() {
    let (code, _, err) = run(&["where", ledger(), "09506000134680/A020000"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("not in any indexed record"), "{err}");
    assert!(err.contains("near: gtin:09506000134680/A000001..A010000 (lot B260001)"), "{err}");
    let (code, _, err) = run(&["where", ledger(), "not a serial/"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn verify_return_verdicts_and_exit_codes() {
    let dir = ledger();
    let at = ["--at", "2026-03-01", "--customer", CUSTOMER];
    let verdict = |serial: &str| {
        let s = scan(serial);
        let mut args = vec!["verify-return", dir, "--scan", &s];
        args.extend(at);
        let (code, out, _) = run(&args);
        (code, out.lines().next().unwrap_or_default().to_owned())
    };
    // On the pallet shipped to this customer: saleable (exit 0).
    assert_eq!(verdict("A000002"), (0, "gtin:09506000134680/A000002: saleable".into()));
    // Already back (exit 1).
    assert_eq!(
        verdict("A000042"),
        (1, format!("gtin:09506000134680/A000042: not saleable: already returned by {CUSTOMER}"))
    );
    // Commissioned, never shipped; taken as a sample.
    assert_eq!(verdict("A000600").1, "gtin:09506000134680/A000600: not saleable: never shipped");
    assert_eq!(
        verdict("A009999").1,
        "gtin:09506000134680/A009999: not saleable: decommissioned (sample)"
    );
    // Never made: unknown (exit 6).
    assert_eq!(verdict("A020000").0, 6);
    // By fields, as JSON, from another customer and past expiry.
    let (code, out, err) = run(&[
        "verify-return",
        dir,
        "--gtin",
        "09506000134680",
        "--serial",
        "A000003",
        "--customer",
        "C-OTHER",
        "--at",
        "2027-02-01",
        "--json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "not_saleable");
    assert_eq!(
        v["reasons"],
        serde_json::json!([
            format!("shipped to {CUSTOMER}, not to C-OTHER"),
            "expired on 2027-01-31"
        ])
    );
}

#[test]
fn recall_lists_the_pallet_and_the_serial_ranges() {
    // Guards: the unit-level recall columns, and that the pallet's 500
    // serials count as 500 H87 shipped at lot level.
    let (code, out, err) =
        run(&["recall", ledger(), "--lot", "gtin:09506000134680/B260001", "--csv"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert!(lines.next().unwrap().ends_with(",containers,serials"), "{out}");
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&format!(
            "{CUSTOMER},no master data,,,,,,gtin:09506000134680,B260001,H87,500,"
        )),
        "{row}"
    );
    assert!(row.ends_with(&format!("sscc:{SSCC},A000001..A000500")), "{row}");
}

#[test]
fn expiry_notices_list_the_containers_and_serials_received() {
    // Guards issue 14 item 4 at unit level: the notice to the customer
    // holding B260001 names the pallet it received and the serial run.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("n");
    let out = out.to_str().unwrap();
    let (code, _, err) = run(&[
        "notices",
        ledger(),
        "--expiring-within",
        "400",
        "--today",
        "2026-02-01",
        "--out",
        out,
    ]);
    assert_eq!(code, 0, "{err}");
    let notice =
        std::fs::read_to_string(format!("{out}/001-gln-4012345000009.md")).expect("one notice");
    assert!(notice.contains("## Serialized units and containers you received"), "{notice}");
    let row = notice.lines().find(|l| l.contains("A000001..A000500")).expect(&notice);
    assert!(row.contains(&format!("sscc:{SSCC}")), "{row}");
    assert!(row.starts_with("| gtin:09506000134680 | B260001 |"), "{row}");
}
