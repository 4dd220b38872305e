//! The EPCIS export of a demo ledger: every entry kind the plant writes
//! becomes a valid EPCIS 2.0 event, every `eventID` is the CBV 2.0 hash of
//! the event as serialised, and the document validates against GS1's
//! official JSON schema when `LOTLEDGER_EPCIS_SCHEMA` names it (for
//! example `../shared/data/epcis/EPCIS-JSON-Schema.json`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use std::collections::BTreeSet;

use lotledger::chain::{Anchor, Verifier};
use lotledger::demo;
use lotledger::interop::epcis::{ExportOptions, document_hashes, export, ledger_entries};
use lotledger::model::{Gln, LocationId, PartyId, RecordKind, Timestamp};

fn demo_export(
    n: usize,
) -> (lotledger::interop::epcis::Export, Vec<lotledger::interop::epcis::export::Entry>) {
    let (id, bytes) = demo::ledger(n);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.owner = Some(PartyId::Gln(Gln::parse("9506000000008").unwrap()));
    options.site = Some(LocationId::Gln(Gln::parse("9506000000008").unwrap()));
    (export(entries.clone(), &options), entries)
}

#[test]
fn export_ids_are_the_event_hashes_of_the_serialised_document() {
    let (ex, entries) = demo_export(4000);
    assert!(ex.skipped.is_empty(), "{:?}", ex.skipped);
    let text = serde_json::to_string_pretty(&ex.document).unwrap();
    let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = reparsed["epcisBody"]["eventList"].as_array().unwrap();
    let corrections = entries.iter().filter(|(_, _, r)| r.kind() == RecordKind::Corrected).count();
    assert_eq!(
        events.len(),
        entries.len(),
        "one event per entry, corrections as error declarations"
    );
    assert!(corrections > 0, "the demo ledger has corrections");
    let declared = events.iter().filter(|e| e.get("errorDeclaration").is_some()).count();
    assert_eq!(declared, corrections);

    let recomputed = document_hashes(&reparsed).unwrap();
    for (event, hash) in events.iter().zip(&recomputed) {
        assert_eq!(event["eventID"].as_str().unwrap(), hash);
    }
    // An error declaration carries the id of the event it declares wrong.
    let ids: BTreeSet<&str> = ex.event_ids.values().map(String::as_str).collect();
    for e in events.iter().filter(|e| e.get("errorDeclaration").is_some()) {
        assert!(ids.contains(e["eventID"].as_str().unwrap()));
    }
    // Distinct entries get distinct ids.
    assert_eq!(ids.len(), ex.event_ids.len());
    let kinds: BTreeSet<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(kinds.is_superset(&BTreeSet::from([
        "ObjectEvent",
        "TransformationEvent",
        "AggregationEvent"
    ])));
}

#[test]
fn export_validates_against_the_official_schema() {
    let Ok(path) = std::env::var("LOTLEDGER_EPCIS_SCHEMA") else {
        println!("skipped: LOTLEDGER_EPCIS_SCHEMA is not set");
        return;
    };
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let (ex, _) = demo_export(4000);
    let errors: Vec<String> = validator
        .iter_errors(&ex.document)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a broken event fails it.
    let mut broken = ex.document.clone();
    broken["epcisBody"]["eventList"][0]["action"] = serde_json::json!("WATCH");
    assert!(!validator.is_valid(&broken));
}
