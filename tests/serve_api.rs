//! lotledger's own API under `/api/`: each answer is the JSON the
//! matching CLI command prints with `--json`.
#![cfg(feature = "serve")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod cli_common;
mod serve_common;

use serde_json::Value;

use cli_common::run;
use serve_common::*;

fn cli_json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn api_answers_are_the_cli_json_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("demo");
    let d = ledger.to_str().unwrap();
    let (code, _, err) = run(&["demo", "--out", d, "--events", "20000"]);
    assert_eq!(code, 0, "{err}");
    // A serialized unit: the first serial of the first commissioning.
    let first = cli_json(&["audit", d, "--kind", "commissioned", "--limit", "1", "--json"]);
    let seq = first[0]["seq"].to_string();
    let shown = cli_json(&["show", d, &seq, "--json"]);
    let c = &shown["record"]["commissioned"];
    let gtin = c["lot"]["item"]["gtin"].as_str().unwrap();
    let range = &c["serials"][0]["range"];
    let serial = format!(
        "{}{:0w$}",
        range["prefix"].as_str().unwrap(),
        range["first"].as_u64().unwrap(),
        w = usize::try_from(range["width"].as_u64().unwrap()).unwrap()
    );
    let target = format!("{gtin}/{serial}");
    let server = Server::start(&[d]);
    let now = "2026-06-01T00:00:00Z";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "/api/trace?lot=RM-LINER-SIL%2FR260001".into(),
            vec!["trace", d, "--lot", "RM-LINER-SIL/R260001", "--json"],
        ),
        (
            "/api/trace?lot=RM-LINER-SIL%2FR260001&backward=1".into(),
            vec!["trace", d, "--lot", "RM-LINER-SIL/R260001", "--backward", "--json"],
        ),
        ("/api/recall/RC-2026-001".into(), vec!["recall", d, "--recall", "RC-2026-001", "--json"]),
        (
            "/api/recall?lot=RM-NICOTINE%2FR260149".into(),
            vec!["recall", d, "--lot", "RM-NICOTINE/R260149", "--json"],
        ),
        (
            format!("/api/complaints?now={}", enc(now)),
            vec!["complaints", d, "--now", now, "--json"],
        ),
        (
            format!("/api/complaints?open=1&overdue=1&now={}", enc(now)),
            vec!["complaints", d, "--open", "--overdue", "--now", now, "--json"],
        ),
        (
            format!("/api/complaints?timeline=CMP-000001&now={}", enc(now)),
            vec!["complaints", d, "--timeline", "CMP-000001", "--now", now],
        ),
        ("/api/complaints?counts=1".into(), vec!["complaints", d, "--counts"]),
        (
            "/api/expiring?before=2031-01-01".into(),
            vec!["expiring", d, "--before", "2031-01-01", "--json"],
        ),
        ("/api/audit?report=1".into(), vec!["audit", d, "--report"]),
        ("/api/verify".into(), vec!["audit", d, "--report"]),
        ("/api/audit?kind=corrected".into(), vec!["audit", d, "--kind", "corrected", "--json"]),
        ("/api/audit?corrections=1".into(), vec!["audit", d, "--corrections", "--json"]),
        (
            format!("/api/where?target={}&at=2026-06-01", enc(&target)),
            vec!["where", d, &target, "--at", "2026-06-01", "--json"],
        ),
    ];
    for (path, args) in &cases {
        let a = get(&server.url(path), None);
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!(a.header("content-type"), Some("application/json"));
        let want = cli_json(args);
        assert_eq!(a.json(), want, "{path}");
        assert!(a.json() != Value::Array(Vec::new()), "{path}: an empty answer proves nothing");
    }
    // Errors are problems: a lot in no record, a bad parameter, an unknown endpoint.
    let a = get(&server.url("/api/trace?lot=NOPE%2FX1"), None);
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(a.json()["type"], "epcisException:NoSuchResourceException");
    let a = get(&server.url("/api/expiring?before=soon"), None);
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.json()["type"], "epcisException:QueryParameterException");
    let a = get(&server.url("/api/expiring?before=2031-01-01&colour=red"), None);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.json()["detail"].as_str().unwrap().contains("colour"));
    assert_eq!(get(&server.url("/api/nothing"), None).status, 404);
}

/// A ledger `t/ledger` of the first five example lines with a checkpoint
/// entry signed by `t/qa.example.key` every two entries; returns its path.
fn signed_ledger(t: &std::path::Path) -> String {
    let dir = t.join("ledger");
    let d = dir.to_str().unwrap();
    assert_eq!(run(&["init", d]).0, 0);
    assert_eq!(run(&["keygen", "--name", "qa.example", "--dir", t.to_str().unwrap()]).0, 0);
    let key = t.join("qa.example.key");
    let lines = cli_common::example_lines()[..5].join("\n");
    let (code, _, err) = cli_common::run_with(
        &["append", d, "--checkpoint-every", "2", "--key", key.to_str().unwrap()],
        &lines,
    );
    assert_eq!(code, 0, "{err}");
    d.to_owned()
}

#[test]
fn the_latest_signed_checkpoint_and_the_genealogy() {
    let tmp = tempfile::tempdir().unwrap();
    let d = &signed_ledger(tmp.path());
    let (_, exported, _) = run(&["export", d, "--format", "json"]);
    let last = exported
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .rfind(|e| e["record"].get("checkpointed").is_some())
        .unwrap();
    let server = Server::start(&[d]);
    let cp = get(&server.url("/api/checkpoint"), None).json();
    let c = &cp[0]["checkpoint"];
    assert_eq!(c["seq"], last["seq"]);
    assert_eq!(c["size"], last["record"]["checkpointed"]["size"]);
    assert_eq!(c["signer"], "qa.example");
    assert_eq!(c["record"], last["record"]);
    let status = get(&server.url("/api/status"), None).json();
    assert_eq!(status[0]["entries_read"], exported.lines().count());
    assert_eq!(status[0]["next_seq"], exported.lines().count());
    assert_eq!(status[0]["following"], true);
    // The genealogy of the example's produced lot links its inputs to it.
    let produced = cli_common::example_lines()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["record"].get("produced").is_some())
        .unwrap();
    let output = &produced["record"]["produced"]["outputs"][0]["lot"];
    let lot = format!(
        "{}/{}",
        output["item"]["internal"].as_str().unwrap(),
        output["lot"].as_str().unwrap()
    );
    let g = get(&server.url(&format!("/api/genealogy?lot={}", enc(&lot))), None);
    assert_eq!(g.status, 200, "{lot}: {}", g.body);
    let g = g.json();
    assert_eq!(g["nodes"][0]["generation"], 0);
    assert_eq!(
        format!("{}/{}", g["start"]["item"].as_str().unwrap(), g["start"]["lot"].as_str().unwrap()),
        lot
    );
    let inputs = produced["record"]["produced"]["inputs"].as_array().unwrap();
    assert_eq!(g["edges"].as_array().unwrap().len(), inputs.len());
    assert!(
        g["nodes"].as_array().unwrap().iter().filter(|n| n["generation"] == -1).count()
            == inputs.len()
    );
}

#[test]
fn the_browser_view_is_served_whole_from_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    assert_eq!(run(&["init", dir.to_str().unwrap()]).0, 0);
    let server = Server::start(&[dir.to_str().unwrap()]);
    let page = get(&server.url("/"), None);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    for (path, kind) in [("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css")] {
        assert!(page.body.contains(path), "{path}");
        let a = get(&server.url(path), None);
        assert_eq!(a.status, 200, "{path}");
        assert!(a.header("content-type").unwrap().starts_with(kind));
        // Nothing is loaded from elsewhere: no URL but the SVG namespace.
        let outside: Vec<&str> = a
            .body
            .match_indices("://")
            .map(|(i, _)| &a.body[i.saturating_sub(8)..i + 24])
            .filter(|s| !s.contains("http://www.w3.org/2000/svg"))
            .collect();
        assert!(outside.is_empty(), "{path}: {outside:?}");
    }
    assert!(!page.body.contains("://"));
    assert!(page.body.contains("id=\"prove-form\""));
    assert!(get(&server.url("/ui/style.css"), None).body.contains("@media print"));
}

#[test]
fn a_proof_from_the_server_verifies_offline_and_a_tampered_one_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let d = &signed_ledger(t);
    let public = t.join("qa.example.pub");
    let public = public.to_str().unwrap();
    let server = Server::start(&[d]);
    let status = get(&server.url("/api/status"), None).json();
    let id = status[0]["ledger"].as_str().unwrap().to_owned();
    let cp = get(&server.url("/api/checkpoint"), None).json();
    let size = cp[0]["checkpoint"]["size"].as_u64().unwrap();
    assert!(size >= 4, "{cp}");
    for seq in [0, size - 1] {
        let a = get(&server.url(&format!("/api/proof?ledger={id}&seq={seq}")), None);
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.header("content-type"), Some("application/json"));
        let file = t.join(format!("proof-{seq}.json"));
        let f = file.to_str().unwrap();
        std::fs::write(&file, &a.body).unwrap();
        let (code, out, err) = run(&["verify-proof", f, "--key", public]);
        assert_eq!(code, 0, "{out}{err}");
        // The very bytes `prove` writes against the same signed checkpoint.
        let note = t.join("checkpoint.txt");
        std::fs::write(&note, a.json()["checkpoint"].as_str().unwrap()).unwrap();
        let seq_text = seq.to_string();
        let (code, proved, err) = run(&[
            "prove",
            d,
            "--seq",
            &seq_text,
            "--checkpoint",
            note.to_str().unwrap(),
            "--key",
            public,
        ]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(proved, a.body);
        // One byte of the entry's frame changed: the proof no longer verifies.
        let mut bundle = a.json();
        let frame = bundle["frame"].as_str().unwrap();
        let at = frame.len() / 2;
        let flipped = if &frame[at..=at] == "0" { "1" } else { "0" };
        let tampered = format!("{}{flipped}{}", &frame[..at], &frame[at + 1..]);
        bundle["frame"] = Value::String(tampered);
        std::fs::write(&file, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
        let (code, out, _) = run(&["verify-proof", f, "--key", public]);
        assert_eq!(code, 1, "{out}");
        // As does one byte of the inclusion proof.
        let mut bundle = a.json();
        let inclusion = bundle["inclusion"].as_str().unwrap();
        let last = inclusion.len() - 1;
        let flipped = if &inclusion[last..] == "0" { "1" } else { "0" };
        bundle["inclusion"] = Value::String(format!("{}{flipped}", &inclusion[..last]));
        std::fs::write(&file, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
        assert_eq!(run(&["verify-proof", f, "--key", public]).0, 1);
    }
    // Beyond the checkpoint, an unknown ledger: 404; bad parameters: 400.
    for (path, status) in [
        (format!("/api/proof?ledger={id}&seq={size}"), 404),
        (format!("/api/proof?ledger={}&seq=0", "0".repeat(32)), 404),
        (format!("/api/proof?ledger={id}&seq=first"), 400),
        (format!("/api/proof?ledger={id}"), 400),
        ("/api/proof?ledger=nothex&seq=0".to_owned(), 400),
        (format!("/api/proof?ledger={id}&seq=0&key=x"), 400),
    ] {
        let a = get(&server.url(&path), None);
        assert_eq!(a.status, status, "{path}: {}", a.body);
        assert!(a.header("content-type").unwrap().starts_with("application/problem+json"));
    }
    // A ledger without a signed checkpoint has nothing to prove against.
    let plain = t.join("plain");
    let p = plain.to_str().unwrap();
    assert_eq!(run(&["init", p]).0, 0);
    let lines = cli_common::example_lines()[..5].join("\n");
    assert_eq!(cli_common::run_with(&["append", p], &lines).0, 0);
    let server = Server::start(&[p]);
    let id = get(&server.url("/api/status"), None).json()[0]["ledger"].as_str().unwrap().to_owned();
    let a = get(&server.url(&format!("/api/proof?ledger={id}&seq=0")), None);
    assert_eq!(a.status, 404, "{}", a.body);
}
