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
use lotledger::index::Index;
use lotledger::interop::epcis::export::Entry;
use lotledger::interop::epcis::{
    ExportOptions, Plan, Written, document_hashes, export, ledger_entries,
};
use lotledger::interop::scope::{Corrections, Scope};
use lotledger::model::*;

/// The corrections in force in a ledger, as the index decides them.
fn corrections(id: &LedgerId, bytes: &[u8]) -> Corrections {
    let mut index = Index::new();
    index.ingest_bytes(id, bytes).unwrap();
    Corrections::from_index(&index)
}

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
    // Every kind of the first form (0 to 15) with kind 16 for the complaint
    // registration in place of kind 8. Kinds 17 to 24 (master data,
    // serialized units) are in `serialized_demo_exports_every_unit_kind_valid_and_hashed`.
    let expected: BTreeSet<RecordKind> =
        RecordKind::ALL.iter().copied().filter(|k| k.number() <= 16 && k.number() != 8).collect();
    assert_eq!(kinds, expected);
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.corrections = corrections(&id, &bytes);
    let ex = export(entries.clone(), &options);
    // Only the checkpoint entry has no EPCIS event, and it is reported.
    assert_eq!(ex.skipped.len(), 1, "{:?}", ex.skipped);
    let events = ex.document["epcisBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), entries.len() - 1);
    let decl = events.iter().rev().find(|e| e.get("errorDeclaration").is_some()).unwrap();
    let n = entries.len();
    let (wrong, fixed) = (n - 10, n - 9);
    assert_eq!(decl["eventID"], ex.event_ids[&(wrong as u64)].as_str());
    // The voided entry's own event is the declaration: it is not also live.
    assert_eq!(events.iter().filter(|e| e["eventID"] == decl["eventID"]).count(), 1);
    assert_eq!(decl["errorDeclaration"]["ll:correction"]["ll:seq"], (n - 8).to_string());
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
) -> (lotledger::interop::epcis::Export, Vec<lotledger::interop::epcis::export::Entry>, usize) {
    let (id, bytes) = demo::ledger(n);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.corrections = corrections(&id, &bytes);
    options.owner = Some(PartyId::Gln(Gln::parse("9506000000008").unwrap()));
    options.site = Some(LocationId::Gln(Gln::parse("9506000000008").unwrap()));
    let voided = options.corrections.voided();
    (export(entries.clone(), &options), entries, voided)
}

#[test]
fn export_ids_are_the_event_hashes_of_the_serialised_document() {
    let (ex, entries, voided) = demo_export(3000);
    assert!(ex.skipped.is_empty(), "{:?}", ex.skipped);
    let text = serde_json::to_string_pretty(&ex.document).unwrap();
    let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = reparsed["epcisBody"]["eventList"].as_array().unwrap();
    let corrections = entries.iter().filter(|(_, _, r)| r.kind() == RecordKind::Corrected).count();
    assert_eq!(events.len(), entries.len(), "one event per entry, corrections included");
    assert!(corrections > 0, "the demo ledger has corrections");
    // Each entry the index holds void is an error declaration, nothing else.
    let declared = events.iter().filter(|e| e.get("errorDeclaration").is_some()).count();
    assert!(declared > 0);
    assert_eq!(declared, voided);

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
    let (ex, _, _) = demo_export(3000);
    validate(&ex.document);
}

/// A small ledger of shipments and corrections: a report attached to the
/// lot whose name is a CBV word the document uses only later
/// (`in_transit`), shipment S1 voided by C1 and C1 voided by C2 (so S1
/// stands), and shipment S2 replaced by S2' through C3.
fn corrections_ledger() -> (LedgerId, Vec<u8>, LotId) {
    let id = LedgerId(*b"corrections-test");
    let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
    let lot = LotId {
        item: ItemCode::Gtin(Gtin::parse("09506000134352").unwrap()),
        lot: "B1".parse().unwrap(),
    };
    let mut stamp = Stamp {
        time: Timestamp(1_772_352_000_000),
        actor: "wh.kim".parse().unwrap(),
        station: "DOCK-1".parse().unwrap(),
    };
    let mut add = |r: Record| {
        stamp.time = Timestamp(stamp.time.0 + 60_000);
        w.append(&stamp, &r).unwrap()
    };
    let ship = |n: u64| {
        Record::Shipped(Shipped {
            lot: lot.clone(),
            quantity: Quantity::whole(n, Unit::Piece),
            customer: PartyId::Internal("C1".parse().unwrap()),
            ship_to: None,
            order: "SO-1".parse().unwrap(),
        })
    };
    let void = |target: lotledger::chain::Receipt, replacements: &[u64]| {
        Record::Corrected(Corrected {
            target: EntryRef { seq: target.seq, hash: target.hash },
            reason: Text::new("shipping").unwrap(),
            replacements: heapless::Vec::from_slice(replacements).unwrap(),
        })
    };
    add(Record::Attached(Attached {
        subject: Subject::Lot(lot.clone()),
        kind: DocumentKind::Report,
        digest: Digest([7; 32]),
        name: Text::new("in_transit").unwrap(),
    }));
    let s1 = add(ship(10));
    let s2 = add(ship(20));
    let s2_fixed = add(ship(2));
    add(void(s2, &[s2_fixed.seq]));
    let c1 = add(void(s1, &[]));
    add(void(c1, &[]));
    (id, w.into_parts().0, lot)
}

/// Guards issue 12 item 2 (corrections leaked into EPCIS: a void that was
/// itself voided still marked its shipment `did_not_occur`, and the record
/// that undid it was dropped) and the streaming export's first pass (an
/// event hashed before the document's later terms were known got an id the
/// reference computes differently).
#[test]
fn corrections_of_corrections_and_replacements_as_the_index_decides() {
    let (id, bytes, lot) = corrections_ledger();
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.corrections = corrections(&id, &bytes);
    let ex = export(entries.clone(), &options);
    let events = ex.document["epcisBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), 7, "one event per entry, every correction included");
    let decl = |seq: usize| events[seq].get("errorDeclaration");
    // S1 stands: its void was voided.
    assert!(decl(1).is_none(), "{}", events[1]);
    // S2 is declared wrong, replaced by S2'.
    let d = decl(2).unwrap();
    assert_eq!(d["reason"], "incorrect_data");
    assert_eq!(d["correctiveEventIDs"], serde_json::json!([ex.event_ids[&3]]));
    assert_eq!(d["ll:correction"]["ll:seq"], "4");
    assert!(decl(3).is_none() && decl(4).is_none());
    // C1 is itself declared wrong by C2, which stands.
    assert_eq!(decl(5).unwrap()["reason"], "did_not_occur");
    assert_eq!(decl(5).unwrap()["ll:correction"]["ll:seq"], "6");
    assert!(decl(6).is_none());
    assert!(events[6]["ll:record"].get("ll:corrected").is_some(), "{}", events[6]);
    // Every id is the hash the whole document gives, including the first
    // event's, whose bare `in_transit` is a term only later events use.
    let hashes = document_hashes(&ex.document).unwrap();
    assert!(events.iter().zip(&hashes).all(|(e, h)| e["eventID"] == h.as_str()));
    validate(&ex.document);

    // Under a lot scope the corrections come with the entries they correct.
    options.scope = Scope::lots([lot]);
    assert_eq!(export(entries.clone(), &options).document, ex.document);

    // Imported back, the voided shipment is not live; the two that stand are.
    let bytes = serde_json::to_vec(&ex.document).unwrap();
    let import_options = lotledger::interop::epcis::ImportOptions::new(
        PartyId::Internal("P".parse().unwrap()),
        "edi".parse().unwrap(),
        "GW".parse().unwrap(),
        Timestamp(0),
    );
    let imported = lotledger::interop::epcis::import(&bytes, &import_options).unwrap();
    let shipped: Vec<u64> = imported
        .records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Shipped(s) => Some(s.quantity.amount),
            _ => None,
        })
        .collect();
    assert_eq!(shipped, [10, 2]);
}

/// The demo plant with serialized finished goods and master data, as
/// `lotledger demo` writes it.
fn serialized_demo(n: usize) -> (LedgerId, Vec<u8>) {
    let config = PlantConfig { serialized: true, master_data: true, ..PlantConfig::default() };
    demo::ledger_with(n, &config)
}

/// Issue 14 item 5: serials, containers and aggregation go out as EPCIS
/// events (SGTIN Digital Links in `epcList` and `childEPCs`, SSCC parents),
/// valid against the official schema, their ids the CBV 2.0 event hash.
#[test]
fn serialized_demo_exports_every_unit_kind_valid_and_hashed() {
    let (id, bytes) = serialized_demo(4000);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let count = |k: u32| entries.iter().filter(|(_, _, r)| r.kind().number() == k).count();
    for k in 17..=24 {
        assert!(count(k) > 0, "the demo writes no entry of kind {k}");
    }
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.corrections = corrections(&id, &bytes);
    options.owner = Some(PartyId::Gln(Gln::parse("9506000000008").unwrap()));
    options.site = Some(LocationId::Gln(Gln::parse("9506000000008").unwrap()));
    let ex = export(entries.clone(), &options);
    // Nothing is skipped: master data goes into the header.
    assert!(ex.skipped.is_empty(), "{:?}", ex.skipped);
    let events = ex.document["epcisBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), entries.len() - count(17) - count(18) - count(19));
    let vocabularies =
        ex.document["epcisHeader"]["epcisMasterData"]["vocabularyList"].as_array().unwrap();
    let vocabulary = |t: &str| -> &Vec<serde_json::Value> {
        vocabularies.iter().find(|v| v["type"] == t).unwrap()["vocabularyElementList"]
            .as_array()
            .unwrap()
    };
    let attribute = |element: &serde_json::Value, id: &str| -> Option<String> {
        element["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["attribute"].as_str().unwrap().to_owned())
    };
    // One element per identity (later records replace earlier ones), each named.
    let parties = vocabulary("urn:epcglobal:epcis:vtype:Party");
    let party_ids: BTreeSet<String> = entries
        .iter()
        .filter_map(|(_, _, r)| match r {
            Record::PartyDescribed(p) => Some(options.scheme.party(&p.party)),
            _ => None,
        })
        .collect();
    assert_eq!(parties.len(), party_ids.len());
    for p in parties {
        assert!(attribute(p, "urn:epcglobal:cbv:mda:name").is_some(), "{p}");
        // Contacts name persons: never in the export.
        let text = p.to_string();
        assert!(!text.contains('@') && !text.contains("+41"), "{text}");
    }
    let last_customer = entries.iter().rev().find_map(|(_, _, r)| match r {
        Record::PartyDescribed(p) if p.roles.contains(&PartyRole::Customer) => Some(p),
        _ => None,
    });
    let last_customer = last_customer.unwrap();
    let element = parties
        .iter()
        .find(|p| p["id"] == options.scheme.party(&last_customer.party).as_str())
        .unwrap();
    assert_eq!(
        attribute(element, "urn:epcglobal:cbv:mda:name").unwrap(),
        last_customer.name.as_str()
    );
    assert_eq!(
        attribute(element, "urn:epcglobal:cbv:mda:city"),
        last_customer.addresses.first().map(|a| a.city.as_str().to_owned())
    );
    let locations = vocabulary("urn:epcglobal:epcis:vtype:BusinessLocation");
    assert!(!locations.is_empty());
    let products = vocabulary("urn:epcglobal:epcis:vtype:EPCClass");
    assert!(
        products.iter().any(|p| p["id"].as_str().unwrap().starts_with("https://id.gs1.org/01/")
            && attribute(p, "urn:epcglobal:cbv:mda:descriptionShort").is_some())
    );
    let hashes = document_hashes(&ex.document).unwrap();
    assert!(events.iter().zip(&hashes).all(|(e, h)| e["eventID"] == h.as_str()));
    // Re-serialised and read again, the ids still match.
    let text = serde_json::to_string_pretty(&ex.document).unwrap();
    let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document_hashes(&reparsed).unwrap(), hashes);

    let by_step = |step: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e["bizStep"] == step).collect()
    };
    let commissioning = by_step("commissioning");
    let commissioned: Vec<&serde_json::Value> =
        commissioning.iter().copied().filter(|e| e["type"] == "ObjectEvent").collect();
    assert_eq!(commissioned.len(), count(20));
    for e in &commissioned {
        assert_eq!(e["action"], "ADD");
        assert_eq!(e["disposition"], "active");
        let epcs = e["epcList"].as_array().unwrap();
        assert!(epcs.len() >= 98, "{}", epcs.len());
        assert!(epcs.iter().all(|u| u.as_str().unwrap().starts_with("https://id.gs1.org/01/")));
        let lot = e["ilmd"]["cbvmda:lotNumber"].as_str().unwrap();
        // The demo's serials are the lot code and six digits.
        assert!(epcs[0].as_str().unwrap().ends_with(&format!("/21/{lot}000001")), "{}", epcs[0]);
    }
    let packing = by_step("packing");
    let aggregations = packing.iter().filter(|e| e["ll:record"].get("ll:aggregated").is_some());
    let mut sscc_parents = 0;
    for e in aggregations {
        assert_eq!(e["type"], "AggregationEvent");
        assert_eq!(e["action"], "ADD");
        let parent = e["parentID"].as_str().unwrap();
        if parent.starts_with("https://id.gs1.org/00/") {
            sscc_parents += 1;
            // Pallets hold cases (internal containers).
            assert!(
                e["childEPCs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c.as_str().unwrap().starts_with("urn:lotledger:container:"))
            );
        } else {
            assert!(parent.starts_with("urn:lotledger:container:"), "{parent}");
            assert_eq!(e["childEPCs"].as_array().unwrap().len(), 48);
        }
    }
    assert!(sscc_parents > 0);
    let shipped: Vec<_> = by_step("shipping")
        .into_iter()
        .filter(|e| e["ll:record"].get("ll:goods_shipped").is_some())
        .collect();
    assert_eq!(shipped.len(), count(22));
    assert!(shipped.iter().all(|e| e["disposition"] == "in_transit"
        && e["epcList"][0].as_str().unwrap().starts_with("https://id.gs1.org/00/")));
    let returned: Vec<_> =
        events.iter().filter(|e| e["ll:record"].get("ll:goods_returned").is_some()).collect();
    assert_eq!(returned.len(), count(23));
    assert!(returned.iter().all(|e| e["bizStep"] == "receiving" && e["disposition"] == "returned"));
    let decommissioned = by_step("sampling");
    assert_eq!(decommissioned.len(), count(24), "every demo decommissioning is a sample");
    assert!(decommissioned.iter().all(|e| e["action"] == "DELETE"
        && e["disposition"] == "inactive"
        && e["epcList"].as_array().unwrap().len() == 2));
    validate(&ex.document);
}

/// A ledger of one commissioning of serials 7 to 9 of lot B1 (width 4), one
/// aggregation of those three units onto an SSCC pallet, and a
/// commissioning whose serials are out of string order (998 to 1002
/// unpadded, then `A1`), with their entries.
fn units_ledger() -> (LedgerId, Vec<Entry>) {
    let id = LedgerId(*b"units-test-ledgr");
    let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
    let lot = LotId {
        item: ItemCode::Gtin(Gtin::parse("09506000134352").unwrap()),
        lot: "B1".parse().unwrap(),
    };
    let mut stamp = Stamp {
        time: Timestamp(1_772_352_000_000),
        actor: "pk.lee".parse().unwrap(),
        station: "SER-1".parse().unwrap(),
    };
    let span =
        |first, count, width| SerialSpan::Range(SerialRange::new("", first, count, width).unwrap());
    let mut serials = heapless::Vec::new();
    serials.push(span(7, 3, 4)).unwrap();
    w.append(&stamp, &Record::Commissioned(Commissioned { lot: lot.clone(), serials })).unwrap();
    stamp.time = Timestamp(stamp.time.0 + 60_000);
    let mut contents = heapless::Vec::new();
    contents.push(Goods::Serials(LotSerials { lot: lot.clone(), serials: span(7, 3, 4) })).unwrap();
    let pallet = ContainerId::Sscc(Sscc::parse("106141412345678908").unwrap());
    let packed = Aggregated { parent: pallet, action: AggregationAction::Pack, contents };
    w.append(&stamp, &Record::Aggregated(packed)).unwrap();
    stamp.time = Timestamp(stamp.time.0 + 60_000);
    let mut serials = heapless::Vec::new();
    serials.push(span(998, 5, 0)).unwrap();
    serials.push(SerialSpan::One("A1".parse().unwrap())).unwrap();
    w.append(&stamp, &Record::Commissioned(Commissioned { lot, serials })).unwrap();
    let bytes = w.into_parts().0;
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    (id, ledger_entries(verified).unwrap())
}

/// Issue 14 item 5, worked by hand: a commissioning of a range of three
/// serials and an aggregation onto an SSCC, field for field.
#[test]
fn commissioning_and_aggregation_by_hand() {
    let (id, entries) = units_ledger();
    let ex = export(entries, &ExportOptions::new(id, Timestamp(1_780_000_000_000)));
    assert!(ex.skipped.is_empty(), "{:?}", ex.skipped);
    let events = ex.document["epcisBody"]["eventList"].as_array().unwrap();
    let hashes = document_hashes(&ex.document).unwrap();
    assert!(events.iter().zip(&hashes).all(|(e, h)| e["eventID"] == h.as_str()));
    let plain = |e: &serde_json::Value| {
        let mut e = e.clone();
        let m = e.as_object_mut().unwrap();
        assert!(m.remove("eventID").is_some() && m.remove("ll:entry").is_some());
        assert!(m.remove("ll:record").is_some());
        e
    };
    assert_eq!(
        plain(&events[0]),
        serde_json::json!({
            "type": "ObjectEvent",
            "eventTime": "2026-03-01T08:00:00.000Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": [
                "https://id.gs1.org/01/09506000134352/21/0007",
                "https://id.gs1.org/01/09506000134352/21/0008",
                "https://id.gs1.org/01/09506000134352/21/0009"
            ],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": "urn:lotledger:station:SER-1"},
            "ilmd": {"cbvmda:lotNumber": "B1"}
        })
    );
    assert_eq!(
        plain(&events[1]),
        serde_json::json!({
            "type": "AggregationEvent",
            "eventTime": "2026-03-01T08:01:00.000Z",
            "eventTimeZoneOffset": "+00:00",
            "parentID": "https://id.gs1.org/00/106141412345678908",
            "childEPCs": [
                "https://id.gs1.org/01/09506000134352/21/0007",
                "https://id.gs1.org/01/09506000134352/21/0008",
                "https://id.gs1.org/01/09506000134352/21/0009"
            ],
            "action": "ADD",
            "bizStep": "packing",
            "readPoint": {"id": "urn:lotledger:station:SER-1"}
        })
    );
    // The same EPCs as EPC URIs (company prefix 9506000) hash alike: the
    // hash brings both to the canonical Digital Link.
    let mut epc_uris = events[1].clone();
    epc_uris["parentID"] = "urn:epc:id:sscc:0614141.1234567890".into();
    epc_uris["childEPCs"] = serde_json::json!([
        "urn:epc:id:sgtin:9506000.013435.0009",
        "urn:epc:id:sgtin:9506000.013435.0007",
        "urn:epc:id:sgtin:9506000.013435.0008"
    ]);
    let canon = lotledger::interop::epcis::Canonicalizer::for_document(&ex.document);
    assert_eq!(canon.event_hash(&epc_uris).unwrap(), events[1]["eventID"].as_str().unwrap());
    // Serials out of string order are written in ledger order and hashed sorted.
    let third = events[2]["epcList"].as_array().unwrap();
    let tails: Vec<&str> =
        third.iter().map(|u| u.as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert_eq!(tails, ["998", "999", "1000", "1001", "1002", "A1"]);
    let mut reordered = events[2].clone();
    let mut sorted = third.clone();
    sorted.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    reordered["epcList"] = serde_json::Value::Array(sorted);
    assert_eq!(canon.event_hash(&reordered).unwrap(), events[2]["eventID"].as_str().unwrap());
    validate(&ex.document);
}

/// A streaming export fed in batches and drafted on several threads writes
/// the same document, byte for byte, and says the same of every entry, as
/// one fed entry by entry on one thread: batches of every size (one entry,
/// fewer than a thread's share, many), on one to three threads.
#[test]
fn batched_export_on_threads_writes_the_same_document() {
    let (id, bytes) = demo::ledger(2_500);
    let mut index = Index::new();
    index.ingest_bytes(&id, &bytes).unwrap();
    let mut options = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    options.corrections = Corrections::from_index(&index);
    assert!(options.corrections.voided() > 0, "the demo ledger has corrections in force");
    let verified = Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>();
    let entries = ledger_entries(verified.unwrap()).unwrap();

    let mut plan = Plan::new(&options).with_threads(1);
    for (header, hash, record) in &entries {
        plan.observe(&id, header, hash, record);
    }
    let mut writer = plan.writer(Vec::new()).unwrap();
    let mut one_by_one = Vec::new();
    for (header, hash, record) in &entries {
        one_by_one.push(writer.write(&id, header, hash, record).unwrap());
    }
    let expected = writer.finish().unwrap();
    let events = one_by_one.iter().filter(|w| matches!(w, Written::Event(_))).count();
    assert!(events > 2_000, "{events}");

    let batch: Vec<_> = entries.iter().map(|(h, d, r)| (&id, h, d, r)).collect();
    for threads in 1..=3 {
        for size in [1, 20, 97, 1_000] {
            let mut plan = Plan::new(&options).with_threads(threads);
            batch.chunks(size).for_each(|run| plan.observe_batch(run));
            let mut writer = plan.writer(Vec::new()).unwrap();
            assert_eq!(writer.threads(), threads);
            let mut written = Vec::new();
            for run in batch.chunks(size) {
                written.extend(writer.write_batch(run).unwrap());
            }
            assert_eq!(writer.events(), events as u64);
            let document = writer.finish().unwrap();
            assert!(document == expected, "{threads} threads, batches of {size}");
            assert_eq!(written, one_by_one, "{threads} threads, batches of {size}");
        }
    }
    // And the ids are the reference hashes of the events as written.
    let document: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    let ids: Vec<String> = one_by_one
        .into_iter()
        .filter_map(|w| if let Written::Event(id) = w { Some(id) } else { None })
        .collect();
    assert_eq!(document_hashes(&document).unwrap(), ids);
}

/// The export writes and hashes unit URIs without canonicalising each one
/// when their base allows it: the event ids must still be the reference
/// event hash of the written events, for GTIN and internal items, serials
/// that need percent-encoding, ranges that grow a digit (out of string
/// order) and ranges of one width.
#[test]
fn unit_uris_hash_as_the_reference_hash_does() {
    let id = LedgerId(*b"units-odd-serial");
    let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id));
    let mut stamp = Stamp {
        time: Timestamp(1_772_352_000_000),
        actor: "pk.lee".parse().unwrap(),
        station: "SER-1".parse().unwrap(),
    };
    let gtin = ItemCode::Gtin(Gtin::parse("09506000134352").unwrap());
    let internal = ItemCode::Internal("RM-0042".parse().unwrap());
    for item in [gtin, internal] {
        let lot = LotId { item, lot: "B1".parse().unwrap() };
        let mut serials = heapless::Vec::new();
        for (prefix, first, count, width) in
            [("", 7, 3, 4), ("x/y+", 98, 5, 0), ("A~b:", 1, 12, 2), ("%", 5, 2, 0)]
        {
            let range = SerialRange::new(prefix, first, count, width).unwrap();
            serials.push(SerialSpan::Range(range)).unwrap();
        }
        for one in ["Z(1)*", "a,b;c", "12345678901234567890"] {
            serials.push(SerialSpan::One(one.parse().unwrap())).unwrap();
        }
        w.append(&stamp, &Record::Commissioned(Commissioned { lot, serials })).unwrap();
        stamp.time = Timestamp(stamp.time.0 + 60_000);
    }
    let bytes = w.into_parts().0;
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let ex = export(ledger_entries(verified).unwrap(), &ExportOptions::new(id, Timestamp(0)));
    assert!(ex.skipped.is_empty(), "{:?}", ex.skipped);
    let events = ex.document["epcisBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let hashes = document_hashes(&ex.document).unwrap();
    for (e, h) in events.iter().zip(&hashes) {
        assert_eq!(e["eventID"], h.as_str(), "{e}");
        assert_eq!(e["epcList"].as_array().unwrap().len(), 3 + 5 + 12 + 2 + 3);
    }
    let uris = |n: usize| -> Vec<&str> {
        events[n]["epcList"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect()
    };
    assert_eq!(uris(0)[3], "https://id.gs1.org/01/09506000134352/21/x%2Fy%2B98");
    assert_eq!(uris(0)[8], "https://id.gs1.org/01/09506000134352/21/A~b%3A01");
    assert_eq!(uris(1)[0], "urn:lotledger:unit:RM-0042:0007");
    assert_eq!(uris(1)[20], "urn:lotledger:unit:RM-0042:%255");
    validate(&ex.document);
}
