//! Known-answer test of the CBV 2.0 event hash against GS1's reference
//! implementation (github.com/RalphTro/epcis-event-hash-generator): the
//! documents and the `eventID`s it computes for them (`?ver=CBV2.0`) are in
//! `tests/data/epcis_hash/` (see its README for the exact source files).
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use std::path::Path;

use lotledger::interop::epcis::event_hash::{Canonicalizer, document_hashes};

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/epcis_hash");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.jsonld"))).unwrap())
            .unwrap();
    let expected = std::fs::read_to_string(dir.join(format!("{name}.hashes"))).unwrap();
    let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
    let got = document_hashes(&doc).unwrap();
    assert_eq!(got.len(), expected.len(), "{name}: number of events");
    let canon = Canonicalizer::for_document(&doc);
    let events = doc.pointer("/epcisBody/eventList").unwrap().as_array().unwrap();
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "{name} event {i}: pre-hash {}", canon.prehash(&events[i]).unwrap());
    }
}

#[test]
fn single_event() {
    check("epcisDocWithSingleEvent");
}

#[test]
fn shipping_and_transporting() {
    check("epcisDocWithShippingAndTransportingEvent");
}

#[test]
fn various_event_types() {
    check("epcisDocWithVariousEventTypes");
}

#[test]
fn field_order_and_ignored_fields_do_not_change_the_hash() {
    let a: serde_json::Value = serde_json::json!({
        "type": "ObjectEvent", "eventTime": "2022-02-16T20:33:31.116-06:00", "eventTimeZoneOffset": "-06:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2017"],
        "action": "OBSERVE", "bizStep": "shipping"
    });
    let b: serde_json::Value = serde_json::json!({
        "bizStep": "urn:epcglobal:cbv:bizstep:shipping", "action": "OBSERVE",
        "epcList": ["https://id.gs1.org/01/10614141073464/21/2017", "https://example.com/01/10614141073464/21/2018?x=1"],
        "eventTimeZoneOffset": "-06:00", "eventTime": "2022-02-17T02:33:31.116Z", "type": "ObjectEvent",
        "eventID": "urn:uuid:1", "recordTime": "2030-01-01T00:00:00Z",
        "errorDeclaration": {"declarationTime": "2030-01-01T00:00:00Z"}
    });
    let c = Canonicalizer::new();
    assert_eq!(c.event_hash(&a).unwrap(), c.event_hash(&b).unwrap());
    let mut changed = a.clone();
    changed["action"] = serde_json::json!("ADD");
    assert_ne!(c.event_hash(&a).unwrap(), c.event_hash(&changed).unwrap());
}
