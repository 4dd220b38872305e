//! `lotledger notices`: one file per affected customer and an index, their
//! contents checked against a small ledger written by hand:
//!
//! ```text
//! own site SITE-1 "Example Works AG", Plant Road 1, 4000 Basel, CH; QA desk +41 61 555 01 00
//! customer gln:7612345000008 aka C-2 "Apotheke am Markt", Marktgasse 1, 3011 Bern, CH
//! RM-X/R1 received; WO-1 makes gtin 09506000134352 / B1 (expiry 2026-06-30) from it
//! B1: 120 H87 -> C-2 (SO-1, 2026-03-02), 60 H87 -> gln:7612345000008 (SO-2, 2026-03-03),
//!     30 H87 -> C-9 (SO-3, 2026-03-04; no master data)
//! recall RC-9 class I on RM-X/R1, "label mix-up"
//! ```
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use std::fs;
use std::path::Path;

use cli_common::{run, run_with};

const LINES: &[&str] = &[
    r#"{"time":"2026-03-01T07:00:00Z","actor":"s.okafor","station":"MD","record":{"party_described":{"party":{"internal":"SITE-1"},"name":"Example Works AG","roles":["own_site"],"addresses":[{"street":"Plant Road 1","city":"Basel","postal_code":"4000","country":"CH"}],"contacts":[{"function":"QA recall desk","phone":"+41 61 555 01 00"}]}}}"#,
    r#"{"time":"2026-03-01T07:01:00Z","actor":"s.okafor","station":"MD","record":{"party_described":{"party":{"gln":"7612345000008"},"also_known_as":[{"internal":"C-2"}],"name":"Apotheke am Markt","roles":["customer"],"addresses":[{"street":"Marktgasse 1","city":"Bern","postal_code":"3011","country":"CH"}],"contacts":[{"function":"recall coordinator","person":"Anna Muster","phone":"+41 31 000 00 00"}]}}}"#,
    r#"{"time":"2026-03-01T08:00:00Z","actor":"k.huber","station":"DOCK","record":{"material_received":{"lot":{"item":{"internal":"RM-X"},"lot":"R1"},"quantity":"10 KGM","supplier":{"internal":"V-1"}}}}"#,
    r#"{"time":"2026-03-01T10:00:00Z","actor":"p.rossi","station":"LINE","record":{"produced":{"work_order":"WO-1","line":"L1","produced_on":"2026-03-01","expiry":"2026-06-30","inputs":[{"lot":{"item":{"internal":"RM-X"},"lot":"R1"},"quantity":"10 KGM"}],"outputs":[{"lot":{"item":{"gtin":"09506000134352"},"lot":"B1"},"quantity":"500 H87"}]}}}"#,
    r#"{"time":"2026-03-02T09:00:00Z","actor":"t.yilmaz","station":"SHIP","record":{"shipped":{"lot":{"item":{"gtin":"09506000134352"},"lot":"B1"},"quantity":"120 H87","customer":{"internal":"C-2"},"order":"SO-1"}}}"#,
    r#"{"time":"2026-03-03T09:00:00Z","actor":"t.yilmaz","station":"SHIP","record":{"shipped":{"lot":{"item":{"gtin":"09506000134352"},"lot":"B1"},"quantity":"60 H87","customer":{"gln":"7612345000008"},"order":"SO-2"}}}"#,
    r#"{"time":"2026-03-04T09:00:00Z","actor":"t.yilmaz","station":"SHIP","record":{"shipped":{"lot":{"item":{"gtin":"09506000134352"},"lot":"B1"},"quantity":"30 H87","customer":{"internal":"C-9"},"order":"SO-3"}}}"#,
    r#"{"time":"2026-03-05T09:00:00Z","actor":"s.okafor","station":"QA","record":{"recall_opened":{"recall":"RC-9","class":"I","lots":[{"item":{"internal":"RM-X"},"lot":"R1"}],"reason":"label mix-up"}}}"#,
];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ledger() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    assert_eq!(run(&["init", s(&dir)]).0, 0);
    let (code, _, err) = run_with(&["append", s(&dir)], &(LINES.join("\n") + "\n"));
    assert_eq!(code, 0, "{err}");
    (tmp, dir)
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// Guards item 4: one notice per affected customer (the party known by
/// its GLN and by C-2 gets one notice, C-9 another) and an index; each
/// names the customer with address, the lots with quantities and dates,
/// the class I instructions with the reason, our site as contact and the
/// reference; a customer without master data is said to be unsendable.
#[test]
fn a_recall_writes_one_notice_per_customer_and_an_index() {
    let (tmp, dir) = ledger();
    let out = tmp.path().join("notices");
    let (code, stdout, err) = run(&["notices", s(&dir), "--recall", "RC-9", "--out", s(&out)]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("RC-9: 2 notices and an index"), "{stdout}");
    assert!(stdout.contains("WARNING: 1 customers have no master data"), "{stdout}");
    assert_eq!(files(&out), ["001-gln-7612345000008.md", "002-C-9.md", "index.md"]);

    let markt = fs::read_to_string(out.join("001-gln-7612345000008.md")).unwrap();
    for want in [
        "# Recall notice RC-9",
        "Apotheke am Markt (gln:7612345000008, C-2)",
        "Marktgasse 1, 3011 Bern, CH",
        "Attention: recall coordinator, Anna Muster, +41 31 000 00 00",
        "Reference RC-9: recall class I, opened 2026-03-05.",
        "| gtin:09506000134352 |  | B1 | 2026-06-30 | 120 H87 | SO-1 | 2026-03-02 | not confirmed | main address |",
        "| 60 H87 | SO-2 | 2026-03-03 |",
        "Still with you according to our records: 180 H87",
        "Stop using and distributing the lots listed below at once.",
        "Reason: label mix-up.",
        "Example Works AG (SITE-1)",
        "Plant Road 1, 4000 Basel, CH",
        "Attention: QA recall desk, +41 61 555 01 00",
        "Please quote the reference RC-9 in every reply.",
    ] {
        assert!(markt.contains(want), "missing {want:?} in\n{markt}");
    }
    assert!(!markt.contains("SO-3"), "C-9's shipment is not theirs");
    let c9 = fs::read_to_string(out.join("002-C-9.md")).unwrap();
    assert!(c9.contains("C-9 (no master data: no name or address on record)"), "{c9}");
    assert!(c9.contains("| 30 H87 | SO-3 |"), "{c9}");
    let index = fs::read_to_string(out.join("index.md")).unwrap();
    assert!(index.contains("2 customers notified; 1 of them without master data"), "{index}");
    assert!(
        index.contains("| 001-gln-7612345000008.md | gln:7612345000008 | Apotheke am Markt | Marktgasse 1, 3011 Bern, CH | gtin:09506000134352/B1 120 H87; gtin:09506000134352/B1 60 H87 |"),
        "{index}"
    );
    assert!(index.contains("| 002-C-9.md | C-9 | NO MASTER DATA |  |"), "{index}");

    // Written once: a second run into the same directory is refused.
    let (code, _, err) = run(&["notices", s(&dir), "--recall", "RC-9", "--out", s(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("index.md exists"), "{err}");
    // An unknown recall is not found.
    let other = tmp.path().join("other");
    let (code, _, _) = run(&["notices", s(&dir), "--recall", "RC-404", "--out", s(&other)]);
    assert_ne!(code, 0);
}

/// Guards the HTML form and expiry notices: lots expiring within the days
/// asked go to the customers holding them, with the text escaped.
#[test]
fn expiry_notices_in_html() {
    let (tmp, dir) = ledger();
    let out = tmp.path().join("expiry");
    let args = [
        "notices",
        s(&dir),
        "--expiring-within",
        "200",
        "--today",
        "2026-03-10",
        "--out",
        s(&out),
        "--format",
        "html",
    ];
    let (code, stdout, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    // 2026-03-10 + 200 days = 2026-09-26: B1 (2026-06-30) is in.
    assert!(stdout.contains("EXPIRY-2026-09-26: 2 notices"), "{stdout}");
    assert_eq!(files(&out), ["001-gln-7612345000008.html", "002-C-9.html", "index.html"]);
    let markt = fs::read_to_string(out.join("001-gln-7612345000008.html")).unwrap();
    assert!(markt.starts_with("<!DOCTYPE html>"), "{markt}");
    assert!(markt.contains("<h1>Expiry notice: lots expiring before 2026-09-26</h1>"), "{markt}");
    assert!(markt.contains("<td>120 H87</td><td>SO-1</td>"), "{markt}");
    assert!(markt.contains("expire before 2026-09-26. Do not sell or dispense them"), "{markt}");
    // Within 100 days (before 2026-06-18) nothing expires: an index, no notices.
    let none = tmp.path().join("none");
    let args = ["notices", s(&dir), "--expiring-within", "100", "--today", "2026-03-10"];
    let (code, stdout, err) = run(&[&args[..], &["--out", s(&none)]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains(": 0 notices"), "{stdout}");
    assert_eq!(files(&none), ["index.md"]);
}

/// The text a PDF shows: the strings of its `Tj` operators, one per line,
/// unescaped (bytes beyond ASCII read as `?`, so that string offsets are
/// file offsets; these notices are ASCII).
/// Also checks the file's skeleton: the header, the trailer, and that the
/// cross-reference table points at each object it lists.
fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-1."), "not a PDF");
    let text: String =
        bytes.iter().map(|b| if b.is_ascii() { char::from(*b) } else { '?' }).collect();
    assert!(text.trim_end().ends_with("%%EOF"), "no trailer");
    let xref_at: usize = text
        .rsplit("startxref")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(text[xref_at..].starts_with("xref"), "startxref points at the xref table");
    let mut lines = text[xref_at..].lines().skip(1);
    let count: usize = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    for (n, entry) in lines.take(count).enumerate().skip(1) {
        let offset: usize = entry[..10].parse().unwrap();
        assert!(text[offset..].starts_with(&format!("{n} 0 obj")), "object {n} at {offset}");
    }
    // Each line is `x y Td (string) Tj`; a literal string may hold
    // balanced parentheses unescaped and escaped ones.
    let mut shown = Vec::new();
    for part in text.split("Td\n(").skip(1) {
        let (mut out, mut depth, mut chars) = (String::new(), 1, part.chars());
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next().unwrap()),
                '(' => {
                    depth += 1;
                    out.push(c);
                }
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        shown.push(out);
    }
    shown.join("\n")
}

/// Guards the PDF form (issue 14 item 4): the same notices and index as
/// the Markdown form, as PDF files whose cross-reference table is right,
/// with the addressee, the lots, the instructions and the reference in
/// their text, and the table cells lined up in columns.
#[test]
fn notices_as_pdf() {
    let (tmp, dir) = ledger();
    let out = tmp.path().join("pdf");
    let (code, stdout, err) =
        run(&["notices", s(&dir), "--recall", "RC-9", "--out", s(&out), "--format", "pdf"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("RC-9: 2 notices and an index"), "{stdout}");
    assert_eq!(files(&out), ["001-gln-7612345000008.pdf", "002-C-9.pdf", "index.pdf"]);
    let markt = pdf_text(&fs::read(out.join("001-gln-7612345000008.pdf")).unwrap());
    for want in [
        "Recall notice RC-9",
        "Apotheke am Markt (gln:7612345000008, C-2)",
        "Marktgasse 1, 3011 Bern, CH",
        "Reference RC-9: recall class I, opened 2026-03-05.",
        "Still with you according to our records: 180 H87",
        "Stop using and distributing the lots listed below at once.",
        "Example Works AG (SITE-1)",
        "Please quote the reference RC-9 in every reply.",
        "Recall notice RC-9 - page 1 of 1",
    ] {
        assert!(markt.contains(want), "{want:?} missing from:\n{markt}");
    }
    // The table: a header, a rule, and each row's cells under their column.
    let lines: Vec<&str> = markt.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("item ")).expect(&markt);
    let lot_col = lines[header].find("lot ").unwrap();
    assert!(lines[header + 1].starts_with("-----"), "{markt}");
    let row = lines[header + 2];
    assert!(row.starts_with("gtin:09506000134352"), "{row}");
    assert_eq!(&row[lot_col..lot_col + 2], "B1", "{markt}");
    assert!(row.contains("120 H87") && row.contains("SO-1"), "{row}");
    let index = pdf_text(&fs::read(out.join("index.pdf")).unwrap());
    assert!(index.contains("2 customers notified; 1 of them without master data"), "{index}");
    assert!(index.contains("002-C-9.pdf"), "{index}");
    assert!(!err.contains("shown as ?"), "{err}");
}
