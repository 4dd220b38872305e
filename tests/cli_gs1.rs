//! `lotledger gs1`: exit codes and output a script can rely on.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_common;

use cli_common::run;

#[test]
fn a_scan_prints_its_ais_and_the_lot_it_names() {
    let (code, out, _) = run(&["gs1", "--year", "2026", "(01)09506000134352(17)261200(10)ABC123"]);
    assert_eq!(code, 0);
    assert!(out.contains("17  USE BY or EXPIRY  261200"), "{out}");
    assert!(out.contains("lot: gtin:09506000134352/ABC123"), "{out}");
    assert!(out.contains("expiry: 2026-12-31"), "{out}");
}

#[test]
fn json_for_scripts_and_a_remapped_separator() {
    // A keyboard-wedge scanner that sends '|' for FNC1.
    let (code, out, _) =
        run(&["gs1", "--json", "--separator", "|", "]d20109506000134352|10ABC|17261231"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["symbology"], "d2");
    assert_eq!(v["fields"][1]["ai"], "10");
    assert_eq!(v["fields"][1]["value"], "ABC");
    assert_eq!(v["lot"], "gtin:09506000134352/ABC");
}

#[test]
fn a_bad_scan_exits_3_naming_the_ai_and_the_position() {
    let (code, out, err) = run(&["gs1", "(01)09506000134353(10)X"]);
    assert_eq!(code, 3);
    assert!(out.is_empty());
    assert!(err.contains("(01)") && err.contains("17") && err.contains("check digit"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["gs1"]);
    assert_eq!(code, 2, "{err}");
}

/// Guards the Low item of issue 11: plain data in a `]Q1` QR Code printed an
/// empty table with exit 0; it holds no GS1 data, which is bad input.
#[test]
fn a_scan_without_gs1_data_exits_3() {
    for scan in ["]Q1hello world", "]d1TESTING", "]Q1"] {
        let (code, out, err) = run(&["gs1", scan]);
        assert_eq!(code, 3, "{scan}: {out}");
        assert!(out.is_empty(), "{scan}: {out}");
        assert!(err.contains("no GS1 data"), "{scan}: {err}");
    }
    let (code, _, err) = run(&["gs1", "]Q1hello world"]);
    assert_eq!(code, 3);
    assert!(err.contains("]Q3"), "{err}");
    // A Digital Link in a plain QR Code is GS1 data.
    let (code, out, err) = run(&["gs1", "]Q1https://id.gs1.org/01/09506000134352/10/ABC123"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ABC123"), "{out}");
}

/// Issue 14 item 5: a homogeneous pallet label (00)(02)(37)(10) names the
/// container, the item it holds, how many and their lot.
#[test]
fn a_pallet_label_names_its_contents_lot_and_count() {
    let scan = "]C1001061414123456789080209506000134352\u{1d}3724\u{1d}10L1";
    let (code, out, err) = run(&["gs1", scan]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("container: sscc:106141412345678908\n"), "{out}");
    assert!(
        out.contains("contents: 24 x gtin:09506000134352, lot gtin:09506000134352/L1\n"),
        "{out}"
    );
    assert!(!out.contains("\nlot:"), "the pallet is no trade item with a lot: {out}");
    let (code, out, _) = run(&["gs1", "--json", scan]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["container"], "sscc:106141412345678908");
    assert_eq!(
        v["contents"],
        serde_json::json!({"item": "gtin:09506000134352", "count": 24, "lot": "gtin:09506000134352/L1"})
    );
    assert_eq!(v["lot"], serde_json::Value::Null);
    // Without (10): the item and count, no lot.
    let (_, out, _) = run(&["gs1", "--json", "(00)106141412345678908(02)09506000134352(37)5"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["contents"],
        serde_json::json!({"item": "gtin:09506000134352", "count": 5, "lot": null})
    );
    // A trade item label has no contents.
    let (_, out, _) = run(&["gs1", "--json", "(01)09506000134352(10)ABC"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["contents"], serde_json::Value::Null);
}
