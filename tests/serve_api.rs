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
