//! The EPCIS export of a demo ledger: every entry kind the plant writes
//! becomes a valid EPCIS 2.0 event, every `eventID` is the CBV 2.0 hash of
//! the event as serialised, and the document validates against GS1's
//! official JSON schema when `LOTLEDGER_EPCIS_SCHEMA` names it (for
//! example `../shared/data/epcis/EPCIS-JSON-Schema.json`).
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use std::collections::BTreeSet;

use lotledger::chain::{Anchor, Verifier, Writer};
use lotledger::demo::{self, Plant, PlantConfig};
use lotledger::entry::Stamp;
use lotledger::frame::MAX_FRAME_LEN;
use lotledger::interop::epcis::{ExportOptions, document_hashes, export, ledger_entries};
use lotledger::model::*;

/// A ledger with every record kind: the demo plant's first entries, then a
/// recall, an attachment, a decimal receipt and a correction with a replacement.
fn every_kind() -> (LedgerId, Vec<u8>) {
    let id = LedgerId(*b"every-kind-test!");
    let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
    let mut last = None;
    for (stamp, record) in Plant::new(&PlantConfig::default()).take(400) {
        last = Some(stamp.clone());
        w.append(&stamp, &record).unwrap();
    }
    let mut stamp: Stamp = last.unwrap();
    let mut add = |w: &mut Writer<Vec<u8>, Vec<u8>>, r: Record| {
        stamp.time = Timestamp(stamp.time.0 + 60_000);
        w.append(&stamp, &r).unwrap()
    };
    let gtin_lot = LotId {
        item: ItemCode::Gtin(Gtin::parse("09506000134352").unwrap()),
        lot: "A/1 x".parse().unwrap(),
    };
    let raw = LotId {
        item: ItemCode::Internal("RM-0042".parse().unwrap()),
        lot: "S2611-07".parse().unwrap(),
    };
    let customer = PartyId::Internal("C 10001".parse().unwrap());
    add(
        &mut w,
        Record::Checkpointed(Checkpointed { size: 3, root: Digest([5; 32]), signature: None }),
    );
    let wrong = add(
        &mut w,
        Record::MaterialReceived(MaterialReceived {
            lot: raw.clone(),
            quantity: "12.50 KGM".parse().unwrap(),
            supplier: PartyId::Gln(Gln::parse("9506000000008").unwrap()),
            supplier_lot: None,
            order: Some("PO-1".parse().unwrap()),
        }),
    );
    let fixed = add(
        &mut w,
        Record::MaterialReceived(MaterialReceived {
            lot: raw.clone(),
            quantity: "125.0 KGM".parse().unwrap(),
            supplier: PartyId::Gln(Gln::parse("9506000000008").unwrap()),
            supplier_lot: Some("L-9".parse().unwrap()),
            order: Some("PO-1".parse().unwrap()),
        }),
    );
    add(
        &mut w,
        Record::Corrected(Corrected {
            target: EntryRef { seq: wrong.seq, hash: wrong.hash },
            reason: Text::new("decimal point").unwrap(),
            replacements: heapless::Vec::from_slice(&[fixed.seq]).unwrap(),
        }),
    );
    let mut lots = heapless::Vec::new();
    lots.push(gtin_lot.clone()).unwrap();
    let recall: Reference = "RC-1".parse().unwrap();
    add(
        &mut w,
        Record::RecallOpened(RecallOpened {
            recall: recall.clone(),
            class: RecallClass::I,
            lots,
            reason: Text::new("test").unwrap(),
        }),
    );
    for step in [
        RecallStep::CustomerNotified { customer: customer.clone() },
        RecallStep::Retrieved {
            customer: customer.clone(),
            lot: gtin_lot.clone(),
            quantity: Quantity::whole(3, Unit::Piece),
        },
        RecallStep::Closed { note: Text::default() },
    ] {
        add(&mut w, Record::RecallAction(RecallAction { recall: recall.clone(), step }));
    }
    add(
        &mut w,
        Record::Returned(Returned {
            lot: gtin_lot.clone(),
            quantity: Quantity::whole(2, Unit::Piece),
            from: customer.clone(),
            kind: ReturnKind::Exchange,
            reason: Text::new("true").unwrap(),
            complaint: None,
            order: None,
        }),
    );
    for subject in [Subject::Lot(gtin_lot.clone()), Subject::Recall(recall.clone())] {
        add(
            &mut w,
            Record::Attached(Attached {
                subject,
                kind: DocumentKind::Report,
                digest: Digest([7; 32]),
                name: Text::new("report.pdf").unwrap(),
            }),
        );
    }
    (id, w.into_parts().0)
}

#[test]
fn every_record_kind_exports_and_corrections_name_their_replacements() {
    let (id, bytes) = every_kind();
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let kinds: BTreeSet<RecordKind> = entries.iter().map(|(_, _, r)| r.kind()).collect();
    assert_eq!(kinds.len(), RecordKind::ALL.len(), "{kinds:?}");
    let ex = export(entries.clone(), &ExportOptions::new(id, Timestamp(1_780_000_000_000)));
    // Only the checkpoint entry has no EPCIS event, and it is reported.
    assert_eq!(ex.skipped.len(), 1, "{:?}", ex.skipped);
    let events = ex.document["epcisBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), entries.len() - 1);
    let decl = events.iter().rev().find(|e| e.get("errorDeclaration").is_some()).unwrap();
    let n = entries.len();
    let (wrong, fixed) = (n - 10, n - 9);
    assert_eq!(decl["eventID"], ex.event_ids[&(wrong as u64)].as_str());
    assert_eq!(
        decl["errorDeclaration"]["correctiveEventIDs"][0],
        ex.event_ids[&(fixed as u64)].as_str()
    );
    assert_eq!(decl["errorDeclaration"]["reason"], "incorrect_data");
    let hashes = document_hashes(&ex.document).unwrap();
    assert!(events.iter().zip(&hashes).all(|(e, h)| e["eventID"] == h.as_str()));
    // The decimal quantity is exact.
    let fixed_event =
        events.iter().find(|e| e["eventID"] == ex.event_ids[&(fixed as u64)].as_str()).unwrap();
    assert_eq!(fixed_event["quantityList"][0]["quantity"], serde_json::json!(125.0));
    validate(&ex.document);
}

/// Validates against the official schema when its path is given.
fn validate(document: &serde_json::Value) {
    let Ok(path) = std::env::var("LOTLEDGER_EPCIS_SCHEMA") else {
        println!("skipped: LOTLEDGER_EPCIS_SCHEMA is not set");
        return;
    };
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a broken event fails it.
    let mut broken = document.clone();
    broken["epcisBody"]["eventList"][0]["action"] = serde_json::json!("WATCH");
    assert!(!validator.is_valid(&broken));
}

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
    let (ex, entries) = demo_export(3000);
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
    let (ex, _) = demo_export(3000);
    validate(&ex.document);
}
