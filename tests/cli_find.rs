//! Finding things from a supplier's letter (issue 12 item 8): receipts by
//! supplier and supplier lot, and `trace` / `recall` starting from a
//! supplier lot, on a small ledger written through `append` whose answers
//! were worked out by hand:
//!
//! ```text
//! seq 0  receipt RM-A/R1 100 KGM from V-ACME, supplier lot S-4711, PO-1
//! seq 1  receipt RM-A/R2  50 KGM from V-ACME, supplier lot S-4711, PO-2
//! seq 2  receipt RM-B/R3  10 KGM from V-BETA, supplier lot S-4711, PO-3  (same code, other supplier)
//! seq 3  receipt RM-A/R4  20 KGM from V-ACME, supplier lot S-9000, PO-4  (voided by seq 5)
//! seq 4  WO-1: R1 40 KGM + R3 5 KGM -> FG-X/F1 100 H87
//! seq 5  correction of seq 3 ("delivery keyed twice")
//! seq 6  shipped FG-X/F1 60 H87 to C-1 (SO-1)
//! ```
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use cli_common::{run, run_with};

fn receipt(
    h: u32,
    lot: &str,
    item: &str,
    qty: &str,
    supplier: &str,
    slot: &str,
    po: &str,
) -> String {
    format!(
        r#"{{"time": "2026-03-02T{h:02}:00:00Z", "actor": "k.huber", "station": "WH-DOCK-1", "record": {{"material_received": {{"lot": {{"item": {{"internal": "{item}"}}, "lot": "{lot}"}}, "quantity": "{qty}", "supplier": {{"internal": "{supplier}"}}, "supplier_lot": "{slot}", "order": "{po}"}}}}}}"#
    )
}

/// Writes the ledger above into `dir`.
fn scenario(dir: &str) {
    let (code, _, err) = run(&["init", dir, "--ledger-id", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(code, 0, "{err}");
    let first = [
        receipt(6, "R1", "RM-A", "100 KGM", "V-ACME", "S-4711", "PO-1"),
        receipt(7, "R2", "RM-A", "50 KGM", "V-ACME", "S-4711", "PO-2"),
        receipt(8, "R3", "RM-B", "10 KGM", "V-BETA", "S-4711", "PO-3"),
        receipt(9, "R4", "RM-A", "20 KGM", "V-ACME", "S-9000", "PO-4"),
        r#"{"time": "2026-03-03T06:00:00Z", "actor": "p.rossi", "station": "LINE-1", "record": {"produced": {"work_order": "WO-1", "line": "LINE-1", "produced_on": "2026-03-03", "inputs": [{"lot": {"item": {"internal": "RM-A"}, "lot": "R1"}, "quantity": "40 KGM"}, {"lot": {"item": {"internal": "RM-B"}, "lot": "R3"}, "quantity": "5 KGM"}], "outputs": [{"lot": {"item": {"internal": "FG-X"}, "lot": "F1"}, "quantity": "100 H87"}]}}}"#.to_owned(),
    ];
    let (code, answers, err) = run_with(&["append", dir], &(first.join("\n") + "\n"));
    assert_eq!(code, 0, "{err}");
    let hash3: serde_json::Value = serde_json::from_str(answers.lines().nth(3).unwrap()).unwrap();
    let hash3 = hash3["hash"].as_str().unwrap();
    let second = [
        format!(
            r#"{{"time": "2026-03-03T10:00:00Z", "actor": "s.okafor", "station": "QA-OFFICE", "record": {{"corrected": {{"target": {{"seq": 3, "hash": "{hash3}"}}, "reason": "delivery keyed twice", "replacements": []}}}}}}"#
        ),
        r#"{"time": "2026-03-04T06:00:00Z", "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"internal": "FG-X"}, "lot": "F1"}, "quantity": "60 H87", "customer": {"internal": "C-1"}, "order": "SO-1"}}}"#.to_owned(),
    ];
    let (code, _, err) = run_with(&["append", dir], &(second.join("\n") + "\n"));
    assert_eq!(code, 0, "{err}");
}

fn ledger() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dock").to_str().unwrap().to_owned();
    scenario(&dir);
    (tmp, dir)
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// (seq, lot, supplier, void) of each row of a `receipts --json` answer.
fn rows(v: &serde_json::Value) -> Vec<(u64, String, String, bool)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["seq"].as_u64().unwrap(),
                format!("{}/{}", r["item"].as_str().unwrap(), r["lot"].as_str().unwrap()),
                r["supplier"].as_str().unwrap().to_owned(),
                r["void"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(seq: u64, lot: &str, supplier: &str, void: bool) -> (u64, String, String, bool) {
    (seq, lot.into(), supplier.into(), void)
}

// Guards `receipts`: each filter alone and both together select exactly
// the hand-listed receipts, with our lot, quantity, order and entry; a
// voided receipt is listed and marked, not hidden.
#[test]
fn receipts_by_supplier_lot_and_by_supplier() {
    let (_tmp, dir) = ledger();
    let all = json(&["receipts", &dir, "--json"]);
    assert_eq!(
        rows(&all),
        [
            row(0, "RM-A/R1", "V-ACME", false),
            row(1, "RM-A/R2", "V-ACME", false),
            row(2, "RM-B/R3", "V-BETA", false),
            row(3, "RM-A/R4", "V-ACME", true),
        ]
    );
    let first = &all[0];
    assert_eq!(first["quantity"], "100");
    assert_eq!(first["unit"], "KGM");
    assert_eq!(first["supplier_lot"], "S-4711");
    assert_eq!(first["order"], "PO-1");
    assert_eq!(first["received_at"], "2026-03-02T06:00:00.000Z");
    assert_eq!(first["ledger"], "0123456789abcdef0123456789abcdef");

    let by_lot = json(&["receipts", &dir, "--supplier-lot", "S-4711", "--json"]);
    assert_eq!(
        rows(&by_lot),
        [
            row(0, "RM-A/R1", "V-ACME", false),
            row(1, "RM-A/R2", "V-ACME", false),
            row(2, "RM-B/R3", "V-BETA", false),
        ]
    );
    let both =
        json(&["receipts", &dir, "--supplier-lot", "S-4711", "--supplier", "V-ACME", "--json"]);
    assert_eq!(
        rows(&both),
        [row(0, "RM-A/R1", "V-ACME", false), row(1, "RM-A/R2", "V-ACME", false)]
    );
    let beta = json(&["receipts", &dir, "--supplier", "V-BETA", "--json"]);
    assert_eq!(rows(&beta), [row(2, "RM-B/R3", "V-BETA", false)]);
    let voided = json(&["receipts", &dir, "--supplier-lot", "S-9000", "--json"]);
    assert_eq!(rows(&voided), [row(3, "RM-A/R4", "V-ACME", true)]);

    // The table marks the voided receipt; CSV has one header row.
    let (code, out, _) = run(&["receipts", &dir]);
    assert_eq!(code, 0);
    let header = out.lines().next().unwrap();
    assert!(header.starts_with("ledger  ") && header.contains("supplier lot"), "{header}");
    let void_line = out.lines().find(|l| l.contains("S-9000")).unwrap();
    assert!(void_line.ends_with("VOID"), "{void_line}");
    let (_, csv, _) = run(&["receipts", &dir, "--supplier", "V-BETA", "--csv"]);
    assert_eq!(
        csv,
        "ledger,seq,received,item,lot,quantity,supplier,supplier lot,order,void\r\n\
         0123456789abcdef0123456789abcdef,2,2026-03-02T08:00:00.000Z,RM-B,R3,10 KGM,V-BETA,S-4711,PO-3,\r\n"
    );
}

// Guards "not found": no receipt matching is exit 6 with near matches
// among the supplier lots (or suppliers) recorded; a supplier lot whose
// only receipt is voided is no starting point (exit 6, saying so).
#[test]
fn no_receipt_exits_6_with_near_matches() {
    let (_tmp, dir) = ledger();
    let (code, _, err) = run(&["receipts", &dir, "--supplier-lot", "S-4712"]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("no receipt of supplier lot S-4712") && err.contains("did you mean S-4711")
    );
    let (code, _, err) = run(&["receipts", &dir, "--supplier", "V-ACMEE"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("did you mean V-ACME"), "{err}");
    let (code, _, err) = run(&["trace", &dir, "--supplier-lot", "s-4711x"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("did you mean S-4711"), "{err}");
    let (code, _, err) =
        run(&["recall", &dir, "--supplier-lot", "S-4711", "--supplier", "V-GAMMA"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("supplier lot S-4711 from V-GAMMA"), "{err}");

    let (code, _, err) = run(&["trace", &dir, "--supplier-lot", "S-9000"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("voided by a correction in force"), "{err}");
    // --supplier needs --supplier-lot in trace and recall; --lot and
    // --supplier-lot exclude each other.
    for args in [
        vec!["trace", dir.as_str(), "--supplier", "V-ACME"],
        vec!["trace", dir.as_str(), "--lot", "RM-A/R1", "--supplier-lot", "S-4711"],
        vec!["recall", dir.as_str(), "--recall", "RC-1", "--supplier-lot", "S-4711"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}

// Guards `trace --supplier-lot`: every lot of ours received as the supplier
// lot is traced (R1 and R3 went into F1, shipped 60 to C-1; R2 went
// nowhere), the receipts are shown, and CSV rows name the lot they start
// from.
#[test]
fn trace_from_a_supplier_lot() {
    let (_tmp, dir) = ledger();
    let t = json(&["trace", &dir, "--supplier-lot", "S-4711", "--json"]);
    assert_eq!(t["supplier_lot"], "S-4711");
    assert_eq!(t["supplier"], serde_json::Value::Null);
    assert_eq!(rows(&t["receipts"]).len(), 3);
    let traces = t["traces"].as_array().unwrap();
    let starts: Vec<String> = traces
        .iter()
        .map(|t| {
            format!(
                "{}/{}",
                t["start"]["item"].as_str().unwrap(),
                t["start"]["lot"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(starts, ["RM-A/R1", "RM-A/R2", "RM-B/R3"]);
    let shipped: Vec<usize> =
        traces.iter().map(|t| t["shipments"].as_array().unwrap().len()).collect();
    assert_eq!(shipped, [1, 0, 1]);
    assert_eq!(traces[0]["shipments"][0]["customer"], "C-1");
    assert_eq!(traces[0]["shipments"][0]["quantity"], "60");
    assert_eq!(t["unresolved"]["lots"], 0, "{t}");

    // Narrowed to one supplier: one lot; a graph can then be drawn.
    let beta = json(&["trace", &dir, "--supplier-lot", "S-4711", "--supplier", "V-BETA", "--json"]);
    assert_eq!(beta["traces"].as_array().unwrap().len(), 1);
    assert_eq!(beta["supplier"], "V-BETA");
    let (code, dot, err) =
        run(&["trace", &dir, "--supplier-lot", "S-4711", "--supplier", "V-BETA", "--graph", "dot"]);
    assert_eq!(code, 0, "{err}");
    assert!(dot.starts_with("digraph"), "{dot}");
    let (code, _, err) = run(&["trace", &dir, "--supplier-lot", "S-4711", "--graph", "dot"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("received as 3 lots: RM-A/R1, RM-A/R2, RM-B/R3"), "{err}");

    // Backward from the supplier lot: each lot's own trace back.
    let back = json(&["trace", &dir, "--supplier-lot", "S-4711", "--backward", "--json"]);
    assert_eq!(back["traces"][2]["receipts"][0]["supplier"], "V-BETA");

    let (code, csv, _) = run(&["trace", &dir, "--supplier-lot", "S-4711", "--csv"]);
    assert_eq!(code, 0);
    assert_eq!(
        csv,
        "from lot,item,lot,customer,customer name,ship to,quantity,shipped,order\r\n\
         RM-A/R1,FG-X,F1,C-1,no master data,,60 H87,2026-03-04T06:00:00.000Z,SO-1\r\n\
         RM-B/R3,FG-X,F1,C-1,no master data,,60 H87,2026-03-04T06:00:00.000Z,SO-1\r\n"
    );
    let (code, table, _) = run(&["trace", &dir, "--supplier-lot", "S-4711"]);
    assert_eq!(code, 0);
    assert!(
        table
            .starts_with("supplier lot S-4711 was received as 3 lots: RM-A/R1, RM-A/R2, RM-B/R3\n"),
        "{table}"
    );
    assert_eq!(table.matches("forward trace of ").count(), 3, "{table}");
}

// Guards `recall --supplier-lot`: the recall of every lot received as the
// supplier lot, once, with the receipts that resolved it. From S-4711:
// R1, R2, R3 and F1 are affected; C-1 holds 60 H87 of F1. From V-BETA's
// S-4711 only: R3 (5 KGM left of 10) and F1 (40 H87 on hand of 100).
#[test]
fn recall_from_a_supplier_lot() {
    let (_tmp, dir) = ledger();
    let r = json(&["recall", &dir, "--supplier-lot", "S-4711", "--json"]);
    let recalled: Vec<&str> =
        r["recalled"].as_array().unwrap().iter().map(|l| l["lot"].as_str().unwrap()).collect();
    assert_eq!(recalled, ["R1", "R2", "R3"]);
    let affected: Vec<&str> =
        r["lots"].as_array().unwrap().iter().map(|l| l["lot"].as_str().unwrap()).collect();
    assert_eq!(affected.len(), 4, "{affected:?}");
    assert!(affected.contains(&"F1"));
    assert_eq!(r["customers"][0]["customer"], "C-1");
    assert_eq!(r["customers"][0]["outstanding"][0]["quantity"], "60");
    assert_eq!(r["received_as"].as_array().unwrap().len(), 3);
    assert_eq!(r["unresolved"]["lots"], 0);

    let beta =
        json(&["recall", &dir, "--supplier-lot", "S-4711", "--supplier", "V-BETA", "--json"]);
    let on_hand: Vec<(String, String)> = beta["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["lot"].as_str().unwrap().into(),
                l["on_hand"][0]["quantity"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(on_hand, [("R3".into(), "5".into()), ("F1".into(), "40".into())]);

    let (code, table, _) =
        run(&["recall", &dir, "--supplier-lot", "S-4711", "--supplier", "V-BETA"]);
    assert_eq!(code, 0);
    assert!(table.starts_with("supplier lot S-4711 from V-BETA was received as 1 lots: RM-B/R3\n"));
    assert!(table.contains("recall of RM-B/R3: 2 affected lots, 1 customers"), "{table}");
    let (_, csv, _) = run(&["recall", &dir, "--supplier-lot", "S-4711", "--csv"]);
    assert!(
        csv.starts_with(
            "customer,customer name,address,contact,person,phone,email,item,lot,unit,shipped,"
        ),
        "{csv}"
    );
}
