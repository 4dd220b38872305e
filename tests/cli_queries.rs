//! The investigator's commands on a demo plant: the drill, traces, recall,
//! complaints, expiry and audit views, their output forms, and exit codes
//! for bad input.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use cli_common::run;

use std::sync::OnceLock;

/// One demo plant shared by the tests (written once).
fn plant() -> &'static str {
    static DIR: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("plant").to_str().unwrap().to_owned();
        let (code, out, err) = run(&["demo", "--out", &dir, "--events", "30000"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("MOCK RECALL DRILL"), "{out}");
        assert!(out.contains("recall report:") && out.contains("customers to contact"), "{out}");
        // Issue 12 item 11: the timings come after the tables, so they
        // stay on screen; piped, no progress bar is drawn.
        let drill = out.find("MOCK RECALL DRILL").unwrap();
        assert!(out.find("mass balance").unwrap() < drill, "{out}");
        assert!(!err.contains('\r') && !err.contains("writing ["), "{err}");
        (tmp, dir)
    })
    .1
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn demo_refuses_a_used_directory() {
    let (code, _, err) = run(&["demo", "--out", plant(), "--events", "100"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty"), "{err}");
}

// Issue 11 (low): `demo --events 1000000000` is refused up front, naming
// the limit, and creates nothing (it used to run out of memory and leave a
// directory behind).
#[test]
fn demo_refuses_more_than_its_limit_before_creating_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("big");
    let (code, _, err) = run(&["demo", "--out", out.to_str().unwrap(), "--events", "1000000000"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 100000000") && err.contains("nothing was created"), "{err}");
    assert!(!out.exists());
}

#[test]
fn recall_then_trace_the_recalled_lot_both_ways() {
    let dir = plant();
    let report = json(&["recall", dir, "--recall", "RC-2026-001", "--json"]);
    let recalled = &report["recalled"][0];
    let lot =
        format!("{}/{}", recalled["item"].as_str().unwrap(), recalled["lot"].as_str().unwrap());
    assert!(!report["customers"].as_array().unwrap().is_empty());
    assert_eq!(report["recalls"][0]["recall"], "RC-2026-001");

    let forward = json(&["trace", dir, "--lot", &lot, "--json"]);
    let lots = forward["lots"].as_array().unwrap();
    assert!(lots.len() > 1, "a raw lot feeds products: {forward}");
    // Every derived lot traces back to the recalled one.
    for l in lots.iter().skip(1).take(5) {
        let derived = format!("{}/{}", l["item"].as_str().unwrap(), l["lot"].as_str().unwrap());
        let back = json(&["trace", dir, "--lot", &derived, "--backward", "--json"]);
        let found = back["lots"].as_array().unwrap().iter().any(|b| b["lot"] == recalled["lot"]);
        assert!(found, "{derived} does not trace back to {lot}");
    }
    // The same recall by lot: the same customers.
    let by_lot = json(&["recall", dir, "--lot", &lot, "--json"]);
    assert_eq!(
        by_lot["customers"].as_array().unwrap().len(),
        report["customers"].as_array().unwrap().len()
    );
    // Tables and CSV.
    let (code, out, err) = run(&["trace", dir, "--lot", &lot]);
    assert_eq!(code, 0);
    assert!(!err.contains("indexing ["), "piped: no progress bar: {err}");
    assert!(out.starts_with(&format!("forward trace of {lot}")), "{out}");
    let (_, csv, _) = run(&["recall", dir, "--recall", "RC-2026-001", "--csv"]);
    assert!(
        csv.starts_with(
            "customer,customer name,address,contact,person,phone,email,item,lot,unit,shipped,returned,retrieved,outstanding,over-returned,ship to,orders,notified,containers,serials\r\n"
        ),
        "{csv}"
    );
    let (_, dot, _) = run(&["trace", dir, "--lot", &lot, "--graph", "dot"]);
    assert!(dot.starts_with("digraph"), "{dot}");
    let (_, mermaid, _) = run(&["trace", dir, "--lot", &lot, "--graph", "mermaid"]);
    assert!(mermaid.starts_with("flowchart") || mermaid.starts_with("graph"), "{mermaid}");
}

#[test]
fn complaints_expiry_and_audit_views() {
    let dir = plant();
    let overdue =
        json(&["complaints", dir, "--open", "--overdue", "--now", "2030-01-01", "--json"]);
    let rows = overdue.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["open"] == true && !r["overdue"].as_array().unwrap().is_empty()));
    let crisis = json(&["complaints", dir, "--severity", "crisis", "--json"]);
    assert!(crisis.as_array().unwrap().iter().all(|r| r["severity"] == "crisis"));
    let first = rows[0]["complaint"].as_str().unwrap().to_owned();
    let timeline = json(&["complaints", dir, "--timeline", &first, "--now", "2030-01-01"]);
    assert_eq!(timeline["complaint"], first.as_str());
    assert!(!timeline["deadlines"].as_array().unwrap().is_empty());

    let (code, csv, _) = run(&["expiring", dir, "--before", "2030-01-01", "--csv"]);
    assert_eq!(code, 0);
    assert!(csv.starts_with("customer,customer name,address,contact,person,phone,email,ship to,item,lot,expiry,outstanding\r\n"), "{csv}");
    assert!(csv.lines().count() > 1);

    let corrected = json(&["audit", dir, "--kind", "corrected", "--json"]);
    assert!(corrected.as_array().unwrap().iter().all(|r| r["kind"] == "corrected"));
    let corrections = json(&["audit", dir, "--corrections", "--json"]);
    assert_eq!(corrections.as_array().unwrap().len(), corrected.as_array().unwrap().len());
    let report = json(&["audit", dir, "--report"]);
    assert_eq!(report["entries"], 30000);
}

#[test]
fn bad_input_exits_2_and_a_missing_ledger_4() {
    let dir = plant();
    for args in [
        vec!["trace", dir, "--lot", "no-slash"],
        vec!["trace", dir, "--lot", "gtin:09506000134353/B1"],
        vec!["recall", dir],
        vec!["complaints", dir, "--severity", "catastrophic"],
        vec!["expiring", dir, "--before", "2030-13-01"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        // The error line may follow the index cache's notice line.
        assert!(
            err.lines().any(|l| l.starts_with("lotledger: ")) || err.contains("error:"),
            "{err}"
        );
    }
    let (code, _, _) = run(&["trace", "/nonexistent/ledger", "--lot", "A/B"]);
    assert_eq!(code, 4);
}

// Issue 12 item 8: "not found" has its own exit code (6), distinct from
// bad usage (2), and names near matches; `audit --kind` refuses an unknown
// kind; a bare GTIN before `/lot` reads as `gtin:`.
#[test]
fn not_found_exits_5_with_near_matches_and_bare_gtins_are_read() {
    let dir = plant();
    let (code, _, err) = run(&["trace", dir, "--lot", "RM-NOTHING/R0"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("not in any indexed record"), "{err}");
    let (code, _, err) = run(&["recall", dir, "--recall", "RC-2026-01"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("did you mean RC-2026-001"), "{err}");
    let (code, _, err) = run(&["complaints", dir, "--timeline", "NO-SUCH-COMPLAINT"]);
    assert_eq!(code, 6, "{err}");

    let (code, _, err) = run(&["audit", dir, "--kind", "shipment"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("one of material_received,") && err.contains("shipped"), "{err}");

    let report = json(&["recall", dir, "--recall", "RC-2026-001", "--json"]);
    let lot = report["lots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item"].as_str().unwrap().starts_with("gtin:"))
        .expect("a finished lot in scope");
    let code = lot["lot"].as_str().unwrap();
    let gtin = lot["item"].as_str().unwrap().strip_prefix("gtin:").unwrap();
    let prefixed = json(&["trace", dir, "--lot", &format!("gtin:{gtin}/{code}"), "--json"]);
    let bare = json(&["trace", dir, "--lot", &format!("{gtin}/{code}"), "--json"]);
    assert_eq!(prefixed, bare);
    // The same lot code under the wrong item is suggested under the right one.
    let (code5, _, err) = run(&["trace", dir, "--lot", &format!("RM-WRONG/{code}")]);
    assert_eq!(code5, 6, "{err}");
    assert!(err.contains(&format!("did you mean gtin:{gtin}/{code}")), "{err}");
}

// Issue 12 items 6 and 9: the tables add up and use the JSON spellings:
// the mass balance shows returned and retrieved, no Debug text
// (`Decimal(…)`, `NegativeOnHand {`), the corrections table has ledger and
// in-force columns, enum values are snake_case as in JSON.
#[test]
fn tables_add_up_and_spell_values_as_json_does() {
    let dir = plant();
    let (code, out, err) = run(&["recall", dir, "--recall", "RC-2026-001"]);
    assert_eq!(code, 0, "{err}");
    let header = out.lines().skip_while(|l| *l != "mass balance").nth(1).unwrap();
    for column in
        ["received", "produced", "returned", "retrieved", "consumed", "shipped", "destroyed"]
    {
        assert!(header.contains(column), "{header}");
    }
    assert!(!out.contains("Decimal(") && !out.contains(" { "), "{out}");
    assert!(out.contains("UNDER RECALL RC-2026-001"), "{out}");
    assert!(out.contains("over-returned"), "{out}");
    // Item 7: the shipments that carried affected lots, with delivery state.
    let shipments = out.lines().skip_while(|l| *l != "shipments of affected lots").nth(1).unwrap();
    assert!(shipments.starts_with("customer  ") && shipments.contains("delivered"), "{shipments}");

    let (_, out, _) = run(&["audit", dir, "--corrections"]);
    let header = out.lines().next().unwrap();
    assert!(header.starts_with("ledger") && header.contains("in force"), "{header}");

    let (_, out, _) = run(&["complaints", dir, "--type", "product_quality"]);
    assert!(out.contains("product_quality"), "{out}");
    assert!(!out.contains("productquality"), "{out}");
    let (_, out, _) = run(&["expiring", dir, "--before", "2030-01-01"]);
    assert!(!out.contains("onhold"), "{out}");
}

// Issue 12 item 3: a shipment of a lot no indexed ledger produces or
// receives (the production ledger was left out) is warned about on
// stderr, atop the table, and in the JSON; the full plant has nothing
// unresolved.
#[test]
fn a_forgotten_ledger_is_warned_about_in_every_form() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("sales");
    let d = d.to_str().unwrap();
    let (code, _, err) = run(&["init", d]);
    assert_eq!(code, 0, "{err}");
    let line = r#"{"time": "2026-01-03T23:43:49.012Z", "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260001"}, "quantity": "252 H87", "customer": {"internal": "C10140"}, "order": "SO0000001"}}}"#;
    let (code, _, err) = cli_common::run_with(&["append", d], &format!("{line}\n"));
    assert_eq!(code, 0, "{err}");

    let lot = "gtin:09506000134680/B260001";
    let (code, out, err) = run(&["trace", d, "--lot", lot]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("WARNING:") && out.contains("1 lots"), "{out}");
    assert!(err.contains("WARNING:") && err.contains("B260001 is shipped"), "{err}");
    let (_, csv, err) = run(&["trace", d, "--lot", lot, "--csv"]);
    assert!(!csv.contains("WARNING") && err.contains("WARNING"), "{csv}");
    let j = json(&["trace", d, "--lot", lot, "--json"]);
    assert_eq!(j["unresolved"]["lots"], 1, "{j}");
    assert_eq!(j["unresolved"]["examples"].as_array().unwrap().len(), 1);
    let j = json(&["recall", d, "--lot", lot, "--json"]);
    assert_eq!(j["unresolved"]["lots"], 1, "{j}");

    let full = json(&["recall", plant(), "--recall", "RC-2026-001", "--json"]);
    assert_eq!(full["unresolved"]["lots"], 0, "{}", full["unresolved"]);
    assert_eq!(full["unresolved"]["recalls"], 0);
}
