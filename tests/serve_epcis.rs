//! `lotledger serve` as an EPCIS 2.0 REST repository: GS1's examples
//! captured come back with their eventIDs, queries and pages give the
//! events the export gives, captures without a valid token or with a bad
//! document write nothing, and entries appended meanwhile show up.
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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use cli_common::run;
use serve_common::*;

fn init(dir: &Path) {
    let (code, _, err) = run(&["init", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

fn examples() -> Option<Vec<PathBuf>> {
    let Ok(dir) = std::env::var("LOTLEDGER_EPCIS_EXAMPLES") else {
        println!("skipped: LOTLEDGER_EPCIS_EXAMPLES is not set");
        return None;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonld" || e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    Some(files)
}

fn without_record_time(e: &Value) -> Value {
    let mut e = e.clone();
    e.as_object_mut().unwrap().remove("recordTime");
    e
}

/// `event` of `doc` alone in a query document with EPCIS 2.0's context and
/// the prefixes of the document's context.
fn alone(doc: &Value, event: &Value) -> Value {
    let mut prefixes = serde_json::Map::new();
    for part in doc["@context"].as_array().into_iter().flatten() {
        if let Some(o) = part.as_object() {
            prefixes.extend(o.clone());
        }
    }
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", prefixes],
        "type": "EPCISQueryDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": [event]}}}
    })
}

#[test]
fn gs1_examples_captured_come_back_with_their_event_ids() {
    let Some(files) = examples() else { return };
    let (tmp, ledger, server) = empty(&[]);
    let tokens = tmp.path().join("tokens");
    // Every event of every example, by id, as sent (the first one of an id),
    // and whether it validates against the schema in a query document with
    // EPCIS 2.0's context (the examples name an older context URL, and the
    // events of the four `*_all_possible_fields` examples break the schema
    // themselves, for example a sensor element's `type`).
    let mut expected: Vec<(String, Value, bool)> = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let a = post(&server.url("/capture"), Some(ALICE), &bytes);
        assert_eq!(a.status, 202, "{}: {}", file.display(), a.body);
        assert_eq!(a.header("gs1-epcis-version"), Some("2.0.0"));
        let job = get(&server.url(a.header("location").unwrap()), Some(ALICE)).json();
        assert_eq!(job["success"], true, "{job}");
        assert_eq!(job["running"], false, "{job}");
        assert_eq!(job["capturedBy"], "alice");
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let events = lotledger::interop::epcis::event_hash::document_events(&doc).unwrap();
        let event_ids = lotledger::interop::epcis::import::document_event_ids(&bytes).unwrap();
        for (e, id) in events.iter().zip(event_ids) {
            if !expected.iter().any(|(x, _, _)| *x == id) {
                let mut e = e.clone();
                e["eventID"] = Value::String(id.clone());
                let valid = schema_errors(&alone(&doc, &e)).is_empty();
                if !valid {
                    println!("{}: event {id} breaks the schema itself", file.display());
                }
                expected.push((id, e, valid));
            }
        }
    }
    assert!(expected.len() >= 10, "{}", expected.len());
    let check = |server: &Server| {
        for (id, event, valid) in &expected {
            let a = get(&server.url(&format!("/events/{}", enc(id))), None);
            assert_eq!(a.status, 200, "{id}: {}", a.body);
            let doc = a.json();
            if *valid {
                validate(&doc);
            }
            let list = doc.pointer("/epcisBody/queryResults/resultsBody/eventList").unwrap();
            assert_eq!(list.as_array().unwrap().len(), 1);
            assert_eq!(list[0]["eventID"].as_str(), Some(id.as_str()));
            assert_eq!(without_record_time(&list[0]), *event, "{id}");
        }
        // All of them, and nothing else: the entries the imports wrote are
        // not served a second time as events of their own.
        let valid: Vec<String> =
            expected.iter().filter(|(_, _, v)| *v).map(|(id, _, _)| id.clone()).collect();
        assert!(valid.len() >= 8, "{valid:?}");
        let list = valid.iter().map(|id| enc(id)).collect::<Vec<_>>().join(",");
        let (events, _) = all_pages(server, &format!("/events?EQ_eventID={list}&perPage=1000"));
        assert_eq!(ids(&events), valid);
        // A business location of the examples, equal and with descendants
        // (none: lotledger's master data has no location hierarchy).
        let location =
            expected.iter().find_map(|(_, e, _)| e["bizLocation"]["id"].as_str()).unwrap();
        let at: Vec<String> = expected
            .iter()
            .filter(|(_, e, _)| e["bizLocation"]["id"] == location)
            .map(|(id, _, _)| id.clone())
            .collect();
        assert!(!at.is_empty() && at.len() < expected.len(), "{location}: {at:?}");
        for p in ["EQ_bizLocation", "WD_bizLocation"] {
            let q = format!("/events?{p}={}&perPage=1000", enc(location));
            assert_eq!(ids(&all_pages(server, &q).0), at, "{p}");
        }
        let (events, pages) = pages_unchecked(server, "/events?perPage=3");
        let got = ids(&events);
        let want: Vec<String> = expected.iter().map(|(id, _, _)| id.clone()).collect();
        assert_eq!(got, want);
        assert_eq!(pages, want.len().div_ceil(3));
    };
    check(&server);
    // The same document again is refused whole.
    let before = segments(&ledger);
    let a = post(&server.url("/capture"), Some(ALICE), &std::fs::read(&files[0]).unwrap());
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.json()["type"], "epcisException:ValidationException");
    assert!(a.json()["detail"].as_str().unwrap().contains("imported before"), "{}", a.body);
    assert_eq!(segments(&ledger), before);
    drop(server);
    // A new server finds the captured documents in the ledger.
    let server = Server::start(&[ledger.to_str().unwrap(), "--tokens", tokens.to_str().unwrap()]);
    check(&server);
    // And the ledger verifies.
    let (code, out, err) = run(&["verify", ledger.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}

const SMALL: &str = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
 "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00Z",
   "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving",
   "epcList": ["https://id.gs1.org/01/09506000134352/21/S1"]}]}}"#;

/// A new, empty ledger and a server of it with the test tokens and `extra` options.
fn empty(extra: &[&str]) -> (tempfile::TempDir, PathBuf, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger");
    init(&ledger);
    let tokens = tokens_file(tmp.path());
    let mut args = vec![ledger.to_str().unwrap(), "--tokens", tokens.to_str().unwrap()];
    args.extend(extra);
    let server = Server::start(&args);
    (tmp, ledger, server)
}

#[test]
fn captures_without_a_valid_token_or_with_a_bad_document_write_nothing() {
    let (_tmp, ledger, server) = empty(&["--max-body", "2000"]);
    let before = segments(&ledger);
    let a = post(&server.url("/capture"), None, SMALL.as_bytes());
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
    assert_eq!(a.json()["type"], "epcisException:SecurityException");
    assert_eq!(a.header("www-authenticate"), Some("Bearer"));
    let a = post(&server.url("/capture"), Some("alice-token-0123456789abcdeX"), SMALL.as_bytes());
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.json()["type"], "epcisException:SecurityException");
    let a = post(&server.url("/events"), None, SMALL.as_bytes());
    assert_eq!(a.status, 401, "{}", a.body);
    // Malformed: not JSON, not a document, an invalid event.
    for bad in [
        "{\"type\": \"EPCISDocument\", ",
        "{\"type\": \"Nothing\"}",
        &SMALL.replace("OBSERVE", "CREATE"),
    ] {
        let a = post(&server.url("/capture"), Some(ALICE), bad.as_bytes());
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(a.json()["type"], "epcisException:ValidationException");
        assert!(!a.body.contains("panicked"), "{}", a.body);
    }
    let a = post(
        &server.url("/capture"),
        Some(ALICE),
        &SMALL.replace("OBSERVE", "CREATE").into_bytes(),
    );
    assert!(a.json()["detail"].as_str().unwrap().contains("action"), "{}", a.body);
    // Oversized.
    let big = SMALL.replace(
        "\"type\": \"EPCISDocument\"",
        &format!("\"type\": \"EPCISDocument\", \"x\": \"{}\"", "y".repeat(3000)),
    );
    let a = post(&server.url("/capture"), Some(ALICE), big.as_bytes());
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.json()["type"], "epcisException:CaptureLimitExceededException");
    assert_eq!(a.header("gs1-epcis-capture-file-size-limit"), Some("2000"));
    assert_eq!(segments(&ledger), before, "a refused capture wrote to the ledger");
    assert!(
        !ledger.join("attachments").exists()
            || std::fs::read_dir(ledger.join("attachments")).unwrap().next().is_none()
    );
    assert_eq!(get(&server.url("/capture"), Some(ALICE)).json(), serde_json::json!([]));
    // The good one, as a single event through POST /events.
    let doc: Value = serde_json::from_str(SMALL).unwrap();
    let event = doc.pointer("/epcisBody/eventList/0").unwrap().to_string();
    let a = post(&server.url("/events"), Some(ALICE), event.as_bytes());
    assert_eq!(a.status, 202, "{}", a.body);
    assert_ne!(segments(&ledger), before);
    let (events, _) = all_pages(&server, "/events?EQ_bizStep=receiving");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["epcList"][0], "https://id.gs1.org/01/09506000134352/21/S1");
}

#[test]
fn reads_need_a_token_with_read_token() {
    let (_tmp, _ledger, server) = empty(&["--read-token"]);
    let a = get(&server.url("/events"), None);
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(a.json()["type"], "epcisException:SecurityException");
    assert_eq!(get(&server.url("/events"), Some("wrong-token-0123456789")).status, 403);
    assert_eq!(get(&server.url("/events"), Some(ALICE)).status, 200);
    // Every read, not only GET: a HEAD, the browser view and the own API too.
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    assert_eq!(agent.head(&server.url("/events")).call().unwrap().status().as_u16(), 401);
    assert_eq!(get(&server.url("/"), None).status, 401);
    assert_eq!(get(&server.url("/api/verify"), None).status, 401);
    assert_eq!(get(&server.url("/api/verify"), Some(ALICE)).status, 200);
}

/// A demo ledger and its `export --format epcis` events.
fn demo(dir: &Path) -> Vec<Value> {
    let (code, _, err) = run(&["demo", "--out", dir.to_str().unwrap(), "--events", "3000"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["export", dir.to_str().unwrap(), "--format", "epcis"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["epcisBody"]["eventList"].as_array().unwrap().clone()
}

fn strings(e: &Value, key: &str) -> Vec<String> {
    e.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn classes(e: &Value) -> Vec<String> {
    classes_in(e, &["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"])
}

/// The EPC classes of these quantity lists of `e`.
fn classes_in(e: &Value, lists: &[&str]) -> Vec<String> {
    lists
        .iter()
        .flat_map(|k| {
            e.get(*k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|q| q["epcClass"].as_str().map(str::to_owned))
        })
        .collect()
}

fn time(e: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(e["eventTime"].as_str().unwrap()).unwrap()
}

#[test]
fn queries_and_pages_give_the_events_the_export_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("demo");
    let export = demo(&ledger);
    assert!(export.len() > 1000);
    let server = Server::start(&[ledger.to_str().unwrap(), "--rate", "0"]);
    // Everything, in ledger order, page by page.
    let (events, pages) = all_pages(&server, "/events?perPage=500");
    assert_eq!(ids(&events), ids(&export));
    assert_eq!(pages, export.len().div_ceil(500));
    for (got, want) in events.iter().zip(&export) {
        assert_eq!(without_record_time(got), *want);
        assert!(got["recordTime"].is_string());
    }
    // Values to filter on, taken from the export.
    let shipped = export.iter().find(|e| e["bizStep"] == "shipping").unwrap();
    let class = classes(shipped)[0].clone();
    let po = export
        .iter()
        .flat_map(|e| e["bizTransactionList"].as_array().into_iter().flatten())
        .find(|b| b["type"] == "po")
        .map(|b| b["bizTransaction"].as_str().unwrap().to_owned())
        .unwrap();
    let read_point = export.iter().find_map(|e| e["readPoint"]["id"].as_str()).unwrap().to_owned();
    let epc = export.iter().find_map(|e| strings(e, "epcList").first().cloned()).unwrap();
    let (from, until) = (time(&export[export.len() / 4]), time(&export[export.len() / 2]));
    type Pick = Box<dyn Fn(&Value) -> bool>;
    let class2 = class.clone();
    let po2 = po.clone();
    let rp2 = read_point.clone();
    let rp3 = read_point.clone();
    let epc2 = epc.clone();
    let cases: Vec<(String, Pick)> = vec![
        (
            "eventType=TransformationEvent".into(),
            Box::new(|e: &Value| e["type"] == "TransformationEvent"),
        ),
        (
            "eventType=AggregationEvent,TransformationEvent".into(),
            Box::new(|e: &Value| {
                e["type"] == "AggregationEvent" || e["type"] == "TransformationEvent"
            }),
        ),
        ("EQ_bizStep=shipping".into(), Box::new(|e: &Value| e["bizStep"] == "shipping")),
        (
            "EQ_bizStep=https%3A%2F%2Fref.gs1.org%2Fcbv%2FBizStep-receiving".into(),
            Box::new(|e: &Value| e["bizStep"] == "receiving"),
        ),
        (
            "EQ_disposition=in_progress".into(),
            Box::new(|e: &Value| e["disposition"] == "in_progress"),
        ),
        ("EQ_action=ADD".into(), Box::new(|e: &Value| e["action"] == "ADD")),
        (
            "EXISTS_errorDeclaration=true".into(),
            Box::new(|e: &Value| e.get("errorDeclaration").is_some()),
        ),
        (
            format!(
                "GE_eventTime={}&LT_eventTime={}",
                enc(&from.to_rfc3339()),
                enc(&until.to_rfc3339())
            ),
            Box::new(move |e: &Value| time(e) >= from && time(e) < until),
        ),
        (
            format!("MATCH_epcClass={}", enc(&class)),
            Box::new(move |e: &Value| {
                classes_in(e, &["quantityList", "childQuantityList"]).contains(&class2)
            }),
        ),
        (
            format!("EQ_bizTransaction_po={}", enc(&po)),
            Box::new(move |e: &Value| {
                e["bizTransactionList"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|b| b["type"] == "po" && b["bizTransaction"] == po2.as_str())
            }),
        ),
        (
            format!("EQ_readPoint={}", enc(&read_point)),
            Box::new(move |e: &Value| e["readPoint"]["id"] == rp2.as_str()),
        ),
        (
            // No location has descendants in lotledger's master data.
            format!("WD_readPoint={}", enc(&read_point)),
            Box::new(move |e: &Value| e["readPoint"]["id"] == rp3.as_str()),
        ),
        (
            format!("MATCH_anyEPC={}", enc(&epc)),
            Box::new(move |e: &Value| {
                ["epcList", "childEPCs", "inputEPCList", "outputEPCList"]
                    .iter()
                    .any(|k| strings(e, k).contains(&epc2))
                    || e["parentID"] == epc2.as_str()
            }),
        ),
        (
            "EQ_bizStep=shipping&EQ_action=OBSERVE&eventType=ObjectEvent".into(),
            Box::new(|e: &Value| {
                e["bizStep"] == "shipping" && e["action"] == "OBSERVE" && e["type"] == "ObjectEvent"
            }),
        ),
    ];
    // The sections of an event's EPCs and EPC classes, each by its own
    // parameter: a value the export has in that section, and the events
    // with it there.
    let mut cases = cases;
    const ANY_CLASS: [&str; 4] =
        ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"];
    for (parameter, lists) in [
        ("MATCH_epcClass", &["quantityList", "childQuantityList"][..]),
        ("MATCH_inputEPCClass", &["inputQuantityList"][..]),
        ("MATCH_outputEPCClass", &["outputQuantityList"][..]),
        ("MATCH_anyEPCClass", &ANY_CLASS[..]),
    ] {
        // A class of a transformation's input (in a receipt's quantity
        // list too), or of its output for the outputs.
        let from = if parameter == "MATCH_outputEPCClass" {
            "outputQuantityList"
        } else {
            "inputQuantityList"
        };
        let value = export.iter().find_map(|e| classes_in(e, &[from]).first().cloned()).unwrap();
        let pick = value.clone();
        cases.push((
            format!("{parameter}={}", enc(&value)),
            Box::new(move |e: &Value| classes_in(e, lists).contains(&pick)),
        ));
    }
    let parents = |e: &Value| -> Vec<String> {
        e["parentID"].as_str().map(str::to_owned).into_iter().collect()
    };
    type Section = fn(&Value) -> Vec<String>;
    let sections: [(&str, Section); 3] = [
        ("MATCH_parentID", |e| e["parentID"].as_str().map(str::to_owned).into_iter().collect()),
        ("MATCH_inputEPC", |e| strings(e, "inputEPCList")),
        ("MATCH_outputEPC", |e| strings(e, "outputEPCList")),
    ];
    assert!(export.iter().any(|e| !parents(e).is_empty()), "the demo has no parentID");
    for (parameter, section) in sections {
        // The demo's transformations name lots, not EPCs: those with none are left out.
        let Some(value) = export.iter().find_map(|e| section(e).first().cloned()) else { continue };
        let pick = value.clone();
        cases.push((
            format!("{parameter}={}", enc(&value)),
            Box::new(move |e: &Value| section(e).contains(&pick)),
        ));
    }
    for (query, pick) in &cases {
        let want: Vec<&Value> = export.iter().filter(|e| pick(e)).collect();
        assert!(!want.is_empty(), "{query}: the demo has no such event");
        let (got, pages) = all_pages(&server, &format!("/events?{query}&perPage=7"));
        assert_eq!(
            ids(&got),
            want.iter().map(|e| e["eventID"].as_str().unwrap().to_owned()).collect::<Vec<_>>(),
            "{query}"
        );
        assert_eq!(pages, want.len().div_ceil(7).max(1), "{query}");
    }
    // Discovery: the distinct values, and one value's events.
    let steps = get(&server.url("/bizSteps"), None).json();
    let want: BTreeSet<&str> = export.iter().filter_map(|e| e["bizStep"].as_str()).collect();
    let got: BTreeSet<&str> =
        steps["member"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(got, want);
    let (shipping, _) = all_pages(&server, "/bizSteps/shipping/events?perPage=100");
    assert_eq!(shipping.len(), export.iter().filter(|e| e["bizStep"] == "shipping").count());
    // Bad parameters are problems, not empty answers.
    for bad in [
        "EQ_action=CREATE",
        "GE_eventTime=yesterday",
        "perPage=0",
        "nextPageToken=zz",
        "unknown=1",
        "eventType=Thing",
    ] {
        let a = get(&server.url(&format!("/events?{bad}")), None);
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(a.json()["type"], "epcisException:QueryParameterException", "{bad}");
    }
    // A token of one query does not page another.
    let first = get(&server.url("/events?EQ_bizStep=shipping&perPage=2"), None);
    let link = first.header("link").unwrap();
    let token = link.split("nextPageToken=").nth(1).unwrap().split('>').next().unwrap();
    let a = get(
        &server.url(&format!("/events?EQ_bizStep=receiving&perPage=2&nextPageToken={token}")),
        None,
    );
    assert_eq!(a.status, 400, "{}", a.body);
    let a = get(&server.url("/events/urn%3Auuid%3Anone"), None);
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["type"], "epcisException:NoSuchResourceException");
    let a = agent_options(&server.url("/events"));
    assert_eq!(a.0, 204);
    assert!(a.1.contains("POST"), "{}", a.1);
}

fn agent_options(url: &str) -> (u16, String) {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let r = agent.options(url).call().unwrap();
    (
        r.status().as_u16(),
        r.headers().get("allow").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default(),
    )
}

#[test]
fn an_entry_appended_meanwhile_shows_up() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("demo");
    let export = demo(&ledger);
    let server = Server::start(&[ledger.to_str().unwrap()]);
    let line = r#"{"time": "2026-03-01T10:00:00.000Z", "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260001"}, "quantity": "7 H87", "customer": {"internal": "C10140"}, "ship_to": {"internal": "C10140-3"}, "order": "SO-SERVE-TEST"}}}"#;
    let (code, out, err) =
        cli_common::run_with(&["append", ledger.to_str().unwrap()], &format!("{line}\n"));
    assert_eq!(code, 0, "{out}{err}");
    let query =
        format!("/events?EQ_bizTransaction_po={}", enc("urn:lotledger:order:SO-SERVE-TEST"));
    let events = eventually(Duration::from_secs(60), || {
        let (events, _) = all_pages(&server, &query);
        (!events.is_empty()).then_some(events)
    });
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["quantityList"][0]["quantity"], 7);
    assert_eq!(events[0]["bizStep"], "shipping");
    let (all, _) = all_pages(&server, "/events?perPage=1000");
    assert_eq!(all.len(), export.len() + 1);
    assert_eq!(ids(&all[..export.len()]), ids(&export));
}

#[test]
fn the_rate_limit_answers_429_then_serves_again() {
    let (_tmp, _ledger, server) = empty(&["--rate", "5"]);
    let answers: Vec<Answer> = (0..30).map(|_| get(&server.url("/eventTypes"), None)).collect();
    let limited: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!limited.is_empty(), "30 requests at once passed a limit of 5 a second");
    assert!(answers.iter().all(|a| a.status == 200 || a.status == 429));
    assert_eq!(limited[0].json()["type"], "epcisException:ImplementationException");
    assert_eq!(limited[0].header("retry-after"), Some("1"));
    // A token comes back every 0.2 s: after 1.5 s a request passes.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(get(&server.url("/eventTypes"), None).status, 200);
}

/// The answers of `server` that a capture or an append changes, byte for
/// byte but for each document's `creationDate` (the time of the answer):
/// every page of `/events` with its `Link`, filtered pages, the discovery
/// resources, and the last event by id.
fn answers(server: &Server) -> Vec<String> {
    fn undated(body: &str) -> String {
        const KEY: &str = "\"creationDate\":\"";
        let Some(at) = body.find(KEY).map(|a| a + KEY.len()) else { return body.to_owned() };
        let end = at + body[at..].find('"').unwrap();
        format!("{}DATE{}", &body[..at], &body[end..])
    }
    let mut out = Vec::new();
    let mut last = None;
    let mut url = server.url("/events?perPage=500");
    loop {
        let a = get(&url, None);
        assert_eq!(a.status, 200, "{url}: {}", a.body);
        let list = a.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"].clone();
        last = list
            .as_array()
            .unwrap()
            .last()
            .map(|e| e["eventID"].as_str().unwrap().to_owned())
            .or(last);
        out.push(undated(&a.body));
        let Some(link) = a.header("link") else { break };
        out.push(link.to_owned());
        url = server.url(link.split_once('<').unwrap().1.split_once('>').unwrap().0);
    }
    for path in [
        "/events?EQ_bizStep=receiving&perPage=50",
        "/events?EQ_bizStep=shipping&EQ_action=OBSERVE&perPage=1000",
        "/events?MATCH_anyEPC=https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352%2F21%2FS*",
        "/bizSteps",
        "/dispositions",
        "/readPoints",
        "/bizLocations",
        &format!("/events/{}", enc(&last.unwrap())),
    ] {
        let a = get(&server.url(path), None);
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        out.push(undated(&a.body));
        out.extend(a.header("link").map(str::to_owned));
    }
    out
}

/// The answers of a server that has followed `ledger` equal those of one
/// started afresh on it.
fn same_as_a_fresh_server(running: &Server, ledger: &Path) {
    let fresh = Server::start(&[ledger.to_str().unwrap(), "--rate", "0"]);
    let (got, want) = (answers(running), answers(&fresh));
    assert_eq!(got.len(), want.len());
    for (n, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(g == w, "answer {n} differs from a fresh server's:\n{g:.2000}\n---\n{w:.2000}");
    }
}

#[test]
fn captures_and_appends_give_the_answers_of_a_fresh_server() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("demo");
    let export = demo(&ledger);
    let tokens = tokens_file(tmp.path());
    let server = Server::capturing(&ledger, &tokens);
    // Captures whose terms the demo's events use: rows added to the table.
    for n in 1..=3 {
        let doc = SMALL
            .replace("/21/S1", &format!("/21/S{n}"))
            .replace("10:00:00Z", &format!("10:0{n}:00Z"));
        let a = post(&server.url("/capture"), Some(ALICE), doc.as_bytes());
        assert_eq!(a.status, 202, "{}", a.body);
    }
    let doc: Value = serde_json::from_str(SMALL).unwrap();
    let mut event = doc.pointer("/epcisBody/eventList/0").unwrap().clone();
    event["epcList"][0] = Value::from("https://id.gs1.org/01/09506000134352/21/S9");
    let a = post(&server.url("/events"), Some(ALICE), event.to_string().as_bytes());
    assert_eq!(a.status, 202, "{}", a.body);
    let (all, _) = pages_unchecked(&server, "/events?perPage=1000");
    assert_eq!(all.len(), export.len() + 4);
    same_as_a_fresh_server(&server, &ledger);
    // A capture with terms no event used (GS1's examples), then one more
    // without.
    if let Some(files) = examples() {
        for file in files.iter().take(3) {
            let a = post(&server.url("/capture"), Some(ALICE), &std::fs::read(file).unwrap());
            assert_eq!(a.status, 202, "{}: {}", file.display(), a.body);
        }
        let doc = SMALL.replace("/21/S1", "/21/S5");
        let a = post(&server.url("/capture"), Some(ALICE), doc.as_bytes());
        assert_eq!(a.status, 202, "{}", a.body);
        same_as_a_fresh_server(&server, &ledger);
    }
    // An entry appended by another process, then a correction voiding it.
    let line = r#"{"time": "2026-03-01T10:00:00.000Z", "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260001"}, "quantity": "7 H87", "customer": {"internal": "C10140"}, "ship_to": {"internal": "C10140-3"}, "order": "SO-SERVE-TEST"}}}"#;
    let (code, out, err) =
        cli_common::run_with(&["append", ledger.to_str().unwrap()], &format!("{line}\n"));
    assert_eq!(code, 0, "{out}{err}");
    let appended: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let query =
        format!("/events?EQ_bizTransaction_po={}", enc("urn:lotledger:order:SO-SERVE-TEST"));
    eventually(Duration::from_secs(60), || {
        let (events, _) = all_pages(&server, &query);
        (!events.is_empty()).then_some(())
    });
    same_as_a_fresh_server(&server, &ledger);
    let correction = format!(
        r#"{{"time": "2026-03-01T11:00:00.000Z", "actor": "s.okafor", "station": "QA-OFFICE", "record": {{"corrected": {{"target": {{"seq": {}, "hash": "{}"}}, "reason": "shipment keyed twice", "replacements": []}}}}}}"#,
        appended["seq"],
        appended["hash"].as_str().unwrap()
    );
    let (code, out, err) =
        cli_common::run_with(&["append", ledger.to_str().unwrap()], &format!("{correction}\n"));
    assert_eq!(code, 0, "{out}{err}");
    eventually(Duration::from_secs(60), || {
        let (events, _) = all_pages(&server, &query);
        events[0].get("errorDeclaration").is_some().then_some(())
    });
    same_as_a_fresh_server(&server, &ledger);
}

/// A bare word in an earlier event that a later event makes a CBV term of
/// the document (a receipt's supplier lot `shipping`, then the first
/// shipment) changes the earlier event's hash: the table is built again,
/// and the answers are still those of a fresh server.
#[test]
fn a_term_no_event_used_before_gives_the_answers_of_a_fresh_server() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger");
    init(&ledger);
    let append = |line: &str| {
        let (code, out, err) =
            cli_common::run_with(&["append", ledger.to_str().unwrap()], &format!("{line}\n"));
        assert_eq!(code, 0, "{out}{err}");
    };
    append(
        r#"{"time": "2026-03-02T06:00:00Z", "actor": "k.huber", "station": "WH-DOCK-1", "record": {"material_received": {"lot": {"item": {"internal": "RM-A"}, "lot": "R1"}, "quantity": "100 KGM", "supplier": {"internal": "V-ACME"}, "supplier_lot": "shipping", "order": "PO-1"}}}"#,
    );
    let server = Server::start(&[ledger.to_str().unwrap(), "--rate", "0"]);
    let (before, _) = all_pages(&server, "/events");
    assert_eq!(before.len(), 1);
    append(
        r#"{"time": "2026-03-02T07:00:00Z", "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"internal": "RM-A"}, "lot": "R1"}, "quantity": "10 KGM", "customer": {"internal": "C1"}, "ship_to": {"internal": "C1-1"}, "order": "SO-1"}}}"#,
    );
    let events = eventually(Duration::from_secs(60), || {
        let (events, _) = all_pages(&server, "/events");
        (events.len() == 2).then_some(events)
    });
    assert_eq!(events[1]["bizStep"], "shipping");
    let fresh = Server::start(&[ledger.to_str().unwrap(), "--rate", "0"]);
    let (want, _) = all_pages(&fresh, "/events");
    assert_ne!(ids(&before), ids(&want[..1]), "the receipt's hash did not change: no test");
    assert_eq!(ids(&events), ids(&want));
    assert_eq!(events, want);
}

/// An object event of `SMALL`'s kind with the id `urn:uuid:...0N`, at
/// `10:MM`, with a quantity of a lot when `quantity` is given; events 1
/// and 3 with a `persistentDisposition`.
fn counted(n: u32, minute: u32, quantity: Option<u32>) -> String {
    let what = match quantity {
        Some(q) => format!(
            r#""quantityList": [{{"epcClass": "https://id.gs1.org/01/09506000134352/10/L{n}", "quantity": {q}}}]"#
        ),
        None => format!(r#""epcList": ["https://id.gs1.org/01/09506000134352/21/Q{n}"]"#),
    };
    let persistent = match n {
        1 => r#""persistentDisposition": {"set": ["completeness_verified"]}, "#,
        3 => {
            r#""persistentDisposition": {"set": ["https://ref.gs1.org/cbv/Disp-in_transit"], "unset": ["completeness_verified"]}, "#
        }
        _ => "",
    };
    // Events 2 and 4 declared in error, 2 with a corrective event.
    let declared = match n {
        2 => {
            r#""errorDeclaration": {"declarationTime": "2026-01-06T08:00:00Z", "reason": "incorrect_data", "correctiveEventIDs": ["urn:uuid:00000000-0000-4000-8000-000000000003"]}, "#
        }
        4 => {
            r#""errorDeclaration": {"declarationTime": "2026-01-07T08:00:00.000+02:00", "reason": "https://ref.gs1.org/cbv/ER-did_not_occur"}, "#
        }
        _ => "",
    };
    format!(
        r#"{{"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-00000000000{n}", "eventTime": "2026-01-05T10:{minute:02}:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving", {persistent}{declared}{what}}}"#
    )
}

#[test]
fn quantity_parameters_and_order_by_select_and_order_as_the_bindings_say() {
    let (_tmp, _ledger, server) = empty(&[]);
    // Two captures, so two record times: events 1 and 2, then 3 and 4.
    for pair in [
        [counted(1, 3, Some(5)), counted(2, 1, Some(10))],
        [counted(3, 4, Some(20)), counted(4, 2, None)],
    ] {
        let doc = SMALL.replace(
            &SMALL
                [SMALL.find("[{\"type\": \"ObjectEvent\"").unwrap()..SMALL.rfind(']').unwrap() + 1],
            &format!("[{}]", pair.join(",")),
        );
        let a = post(&server.url("/capture"), Some(ALICE), doc.as_bytes());
        assert_eq!(a.status, 202, "{}", a.body);
    }
    let served = |query: &str| -> Vec<u32> {
        let (events, _) = all_pages(&server, &format!("/events?{query}"));
        events
            .iter()
            .map(|e| e["eventID"].as_str().unwrap().rsplit('0').next().unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(served(""), [1, 2, 3, 4]);
    for (query, want) in [
        ("EQ_quantity=10", vec![2]),
        ("EQ_quantity=10.0", vec![2]),
        ("GT_quantity=5", vec![2, 3]),
        ("GE_quantity=5", vec![1, 2, 3]),
        ("LT_quantity=20", vec![1, 2]),
        ("LE_quantity=20&GT_quantity=5", vec![2, 3]),
        ("LT_quantity=5", vec![]),
        // DESC by default; an event's time, then the record time (ties in
        // ledger order).
        ("orderBy=eventTime", vec![3, 1, 4, 2]),
        ("orderBy=eventTime&orderDirection=ASC", vec![2, 4, 1, 3]),
        ("orderBy=eventTime&orderDirection=ASC&perPage=3", vec![2, 4, 1, 3]),
        ("orderBy=eventTime&orderDirection=DESC&perPage=1", vec![3, 1, 4, 2]),
        ("orderBy=recordTime&orderDirection=ASC", vec![1, 2, 3, 4]),
        ("orderBy=recordTime", vec![3, 4, 1, 2]),
        ("orderBy=eventTime&GE_quantity=10&perPage=1", vec![3, 2]),
        ("orderDirection=ASC", vec![1, 2, 3, 4]),
        ("EQ_persistentDisposition_set=completeness_verified", vec![1]),
        ("EQ_persistentDisposition_set=in_transit", vec![3]),
        ("EQ_persistentDisposition_set=urn%3Aepcglobal%3Acbv%3Adisp%3Ain_transit", vec![3]),
        ("EQ_persistentDisposition_set=in_transit,completeness_verified", vec![1, 3]),
        ("EQ_persistentDisposition_unset=completeness_verified", vec![3]),
        ("EQ_persistentDisposition_unset=in_transit", vec![]),
        ("EXISTS_errorDeclaration=true", vec![2, 4]),
        ("EQ_errorReason=incorrect_data", vec![2]),
        ("EQ_errorReason=urn%3Aepcglobal%3Acbv%3Aer%3Adid_not_occur", vec![4]),
        ("EQ_errorReason=did_not_occur,incorrect_data", vec![2, 4]),
        ("EQ_errorReason=other", vec![]),
        ("EQ_correctiveEventID=urn%3Auuid%3A00000000-0000-4000-8000-000000000003", vec![2]),
        ("EQ_correctiveEventID=urn%3Auuid%3A00000000-0000-4000-8000-000000000001", vec![]),
        ("GE_errorDeclarationTime=2026-01-06T08%3A00%3A00Z", vec![2, 4]),
        ("GE_errorDeclarationTime=2026-01-06T08%3A00%3A01Z", vec![4]),
        ("LT_errorDeclarationTime=2026-01-07T06%3A00%3A00Z", vec![2]),
        ("LT_errorDeclarationTime=2026-01-07T06%3A00%3A01Z", vec![2, 4]),
        ("EXISTS_errorDeclaration=false", vec![1, 2, 3, 4]),
        // The first N in the query's order, over pages too.
        ("eventCountLimit=2", vec![1, 2]),
        ("eventCountLimit=3&perPage=2", vec![1, 2, 3]),
        ("eventCountLimit=1&perPage=1", vec![1]),
        ("eventCountLimit=9", vec![1, 2, 3, 4]),
        ("orderBy=eventTime&eventCountLimit=2", vec![3, 1]),
        ("orderBy=eventTime&eventCountLimit=3&perPage=2", vec![3, 1, 4]),
        ("GE_quantity=5&eventCountLimit=2", vec![1, 2]),
        ("maxEventCount=4", vec![1, 2, 3, 4]),
        ("maxEventCount=3&GE_quantity=5&perPage=1", vec![1, 2, 3]),
    ] {
        assert_eq!(served(query), want, "{query}");
    }
    // More matches than maxEventCount: the bindings' 413, whatever the page.
    for query in ["maxEventCount=3", "maxEventCount=1&perPage=1", "maxEventCount=2&GE_quantity=5"] {
        let a = get(&server.url(&format!("/events?{query}")), None);
        assert_eq!(a.status, 413, "{query}: {}", a.body);
        assert_eq!(a.json()["type"], "epcisException:QueryTooLargeException", "{query}");
    }
    for query in ["eventCountLimit=2&maxEventCount=3", "eventCountLimit=0", "maxEventCount=-1"] {
        let a = get(&server.url(&format!("/events?{query}")), None);
        assert_eq!(a.status, 400, "{query}: {}", a.body);
        assert_eq!(a.json()["type"], "epcisException:QueryParameterException", "{query}");
    }
    // A transformation: EPCs and classes in and out, each by its own parameter.
    let epc = |s: &str| format!("https://id.gs1.org/01/09506000134352/21/{s}");
    let class = |s: &str| format!("https://id.gs1.org/01/09506000134352/10/{s}");
    let transformation = format!(
        r#"{{"type": "TransformationEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-000000000005", "eventTime": "2026-01-05T10:05:00Z", "eventTimeZoneOffset": "+00:00", "bizStep": "commissioning", "inputEPCList": ["{}"], "outputEPCList": ["{}"], "inputQuantityList": [{{"epcClass": "{}", "quantity": 3}}], "outputQuantityList": [{{"epcClass": "{}", "quantity": 4}}]}}"#,
        epc("Q4"),
        epc("T9"),
        class("L1"),
        class("L9")
    );
    let at = SMALL.find("[{\"type\": \"ObjectEvent\"").unwrap();
    let doc = format!("{}[{transformation}]}}}}", &SMALL[..at]);
    let a = post(&server.url("/capture"), Some(ALICE), doc.as_bytes());
    assert_eq!(a.status, 202, "{}", a.body);
    for (parameter, value, want) in [
        ("MATCH_epc", epc("Q4"), vec![4]),
        ("MATCH_inputEPC", epc("Q4"), vec![5]),
        ("MATCH_outputEPC", epc("Q4"), vec![]),
        ("MATCH_outputEPC", epc("T9"), vec![5]),
        ("MATCH_inputEPC", epc("T*"), vec![]),
        ("MATCH_outputEPC", epc("T*"), vec![5]),
        ("MATCH_parentID", epc("Q4"), vec![]),
        ("MATCH_anyEPC", epc("Q4"), vec![4, 5]),
        ("MATCH_epcClass", class("L1"), vec![1]),
        ("MATCH_inputEPCClass", class("L1"), vec![5]),
        ("MATCH_outputEPCClass", class("L1"), vec![]),
        ("MATCH_outputEPCClass", class("L9"), vec![5]),
        ("MATCH_anyEPCClass", class("L1"), vec![1, 5]),
        ("EQ_quantity", "4".to_owned(), vec![5]),
    ] {
        assert_eq!(served(&format!("{parameter}={}", enc(&value))), want, "{parameter}={value}");
    }
    for bad in [
        "EQ_quantity=ten",
        "GT_quantity=",
        "LE_quantity=NaN",
        "orderBy=bizStep",
        "EXISTS_errorDeclaration=yes",
        "orderDirection=UP",
    ] {
        let a = get(&server.url(&format!("/events?{bad}")), None);
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(a.json()["type"], "epcisException:QueryParameterException", "{bad}");
        assert!(a.json()["detail"].as_str().unwrap().starts_with(bad.split('=').next().unwrap()));
    }
}
