//! EPCIS import: a partner's document becomes records plus a report that
//! accounts for every event; nothing is dropped silently. With
//! `LOTLEDGER_EPCIS_EXAMPLES` naming GS1's official examples directory
//! (`../shared/data/epcis/examples/`), every example imports cleanly;
//! without it, small inline documents exercise the same paths.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use lotledger::chain::{Anchor, Verifier};
use lotledger::demo;
use lotledger::interop::epcis::{
    EventProblem, ExportOptions, ImportErrorKind, ImportOptions, export, import, ledger_entries,
};
use lotledger::model::*;
use sha2::{Digest as _, Sha256};

fn options() -> ImportOptions {
    ImportOptions::new(
        PartyId::Gln(Gln::parse("5412345000013").unwrap()),
        "edi.import".parse().unwrap(),
        "EDI-GW".parse().unwrap(),
        Timestamp(1_780_000_000_000),
    )
}

/// Every event of the document produced a record or is reported.
fn accounted(doc: &serde_json::Value, im: &lotledger::interop::epcis::Import, list: &str) {
    let n = doc.pointer(list).and_then(|l| l.as_array()).map_or(0, Vec::len);
    for i in 0..n {
        let p = format!("{list}/{i}");
        let covered = im
            .kept
            .iter()
            .chain(im.unmapped.iter().map(|u| &u.pointer))
            .any(|k| k == &p || k.starts_with(&format!("{p}/")));
        assert!(covered, "event {p} neither mapped nor reported");
    }
}

#[test]
fn our_shipment_and_a_receipt_become_records() {
    let doc = br#"{
      "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": "https://ns.example.com/"}],
      "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T10:00:00Z",
      "epcisBody": {"eventList": [
        {"type": "ObjectEvent", "eventTime": "2026-03-01T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
         "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT-7", "quantity": 12.5, "uom": "KGM"}],
         "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-991"}],
         "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/4012345000009"}],
         "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:9506000.00000"},
                             {"type": "location", "destination": "https://id.gs1.org/414/9506000000008"}],
         "ex:temperature": "4"},
        {"type": "ObjectEvent", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
         "action": "OBSERVE", "bizStep": "receiving",
         "quantityList": [{"epcClass": "https://id.gs1.org/01/04012345123456/10/LOT-7", "quantity": 12, "uom": "KGM"},
                          {"epcClass": "urn:epc:idpat:sgtin:4012345.066666.*", "quantity": 1}],
         "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 4}]}]},
        {"type": "TransactionEvent", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "ADD"}
      ]}}"#;
    let mut opts = options();
    opts.own_party = Some(PartyId::Gln(Gln::parse("4012345000009").unwrap()));
    let im = import(doc, &opts).unwrap();
    assert_eq!(im.digest, Digest(Sha256::digest(doc).into()));
    let (first, rest) = im.records.split_first().unwrap();
    match &first.1 {
        Record::Attached(a) => {
            assert_eq!(a.kind, DocumentKind::Interchange);
            assert_eq!(a.digest, im.digest);
        }
        other => panic!("first record is {other:?}"),
    }
    assert_eq!(rest.len(), 2, "{rest:#?}");
    let lot = LotId {
        item: ItemCode::Gtin(Gtin::parse("04012345123456").unwrap()),
        lot: "LOT-7".parse().unwrap(),
    };
    match &rest[0].1 {
        Record::Shipped(s) => {
            assert_eq!(s.lot, lot);
            assert_eq!(s.quantity, Quantity::new(125, 1, Unit::Kilogram).unwrap());
            assert_eq!(s.customer, PartyId::Gln(Gln::parse("9506000000008").unwrap()));
            assert_eq!(s.ship_to, Some(LocationId::Gln(Gln::parse("9506000000008").unwrap())));
            assert_eq!(s.order.as_str(), "PO-991");
            assert_eq!(rest[0].0.time, Timestamp::parse_rfc3339("2026-03-01T08:00:00Z").unwrap());
        }
        other => panic!("{other:?}"),
    }
    match &rest[1].1 {
        Record::MaterialReceived(r) => {
            assert_eq!(r.lot, lot);
            assert_eq!(r.supplier, options().partner, "no source: the partner is the supplier");
        }
        other => panic!("{other:?}"),
    }
    let unmapped: Vec<&str> = im.unmapped.iter().map(|u| u.pointer.as_str()).collect();
    for p in [
        "/epcisBody/eventList/0/ex:temperature",
        "/epcisBody/eventList/1/quantityList/1",
        "/epcisBody/eventList/1/sensorElementList",
        "/epcisBody/eventList/2",
    ] {
        assert!(unmapped.contains(&p), "{p} not reported in {unmapped:?}");
    }
    accounted(&serde_json::from_slice(doc).unwrap(), &im, "/epcisBody/eventList");
}

#[test]
fn bad_input_is_a_typed_error_with_a_pointer() {
    let e = import(b"{\"type\": ", &options()).unwrap_err();
    assert!(matches!(e.kind, ImportErrorKind::NotJson { line: 1, .. }), "{e}");
    let e = import(br#"{"type": "Invoice"}"#, &options()).unwrap_err();
    assert_eq!((e.kind, e.pointer.as_str()), (ImportErrorKind::NotADocument, "/type"));
    let e = import(br#"{"type": "EPCISDocument", "epcisBody": {}}"#, &options()).unwrap_err();
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ImportErrorKind::NoEventList, "/epcisBody/eventList")
    );
    // A value in the list that is not an event object is reported.
    let im = import(br#"{"type": "EPCISDocument", "epcisBody": {"eventList": [1]}}"#, &options())
        .unwrap();
    assert_eq!(im.unmapped.len(), 1);
    // An event without a valid eventTime is refused, naming it and the field.
    let e = import(br#"{"type": "EPCISDocument", "epcisBody": {"eventList": [1, {"type": 2, "eventID": "urn:uuid:x"}]}}"#, &options()).unwrap_err();
    assert_eq!(e.kind, ImportErrorKind::InvalidEvent(EventProblem::Missing));
    assert_eq!(e.pointer, "/epcisBody/eventList/1/eventTime");
    let ev = e.event.as_ref().unwrap();
    assert_eq!((ev.index, ev.event_id.as_deref()), (1, Some("urn:uuid:x")));
    assert!(e.to_string().contains("event 1 (eventID \"urn:uuid:x\")"), "{e}");
    let e = import(br#"{"type": "EPCISDocument", "epcisBody": {"eventList": [{"eventTime": "x", "eventTimeZoneOffset": "+00:00"}]}}"#, &options()).unwrap_err();
    assert_eq!(e.kind, ImportErrorKind::InvalidEvent(EventProblem::BadTime));
}

/// A one-event document around `event` (JSON object text).
fn one(event: &str) -> Vec<u8> {
    format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
      "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T10:00:00Z",
      "epcisBody": {{"eventList": [{event}]}}}}"#
    )
    .into_bytes()
}

const RECEIPT: &str = r#"{"type": "ObjectEvent", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
   "action": "OBSERVE", "bizStep": "receiving", "eventID": "urn:uuid:r1",
   "quantityList": [{"epcClass": "https://id.gs1.org/01/04012345123456/10/LOT-7", "quantity": 12, "uom": "KGM"}]}"#;

/// `RECEIPT` with `from` replaced by `to` (the replacement must happen).
fn receipt_with(from: &str, to: &str) -> Vec<u8> {
    assert!(RECEIPT.contains(from), "{from}");
    one(&RECEIPT.replacen(from, to, 1))
}

fn problem(bytes: &[u8]) -> (EventProblem, String) {
    let e = import(bytes, &options()).unwrap_err();
    match e.kind {
        ImportErrorKind::InvalidEvent(p) => {
            assert_eq!(e.event.as_ref().map(|e| e.index), Some(0), "{e}");
            (p, e.pointer)
        }
        other => panic!("{other:?}: {e}"),
    }
}

/// Guards item 14 of issue 11: these events were imported silently as
/// receipts; each is now refused before anything is returned to write,
/// naming the event and the field.
#[test]
fn invalid_events_are_refused_naming_event_and_field() {
    assert_eq!(import(&one(RECEIPT), &options()).unwrap().records.len(), 2, "the good receipt");
    let ev = "/epcisBody/eventList/0";
    let cases: [(&str, &str, EventProblem, &str); 7] = [
        (r#""action": "OBSERVE", "#, "", EventProblem::Missing, "/action"),
        (r#""action": "OBSERVE""#, r#""action": "CREATE""#, EventProblem::BadAction, "/action"),
        (
            r#""action": "OBSERVE""#,
            r#""action": "DELETE""#,
            EventProblem::ActionContradictsStep,
            "/action",
        ),
        (r#""eventTimeZoneOffset": "+00:00","#, "", EventProblem::Missing, "/eventTimeZoneOffset"),
        (r#""+00:00""#, r#""UTC""#, EventProblem::BadTimeZoneOffset, "/eventTimeZoneOffset"),
        (r#""uom": "KGM""#, r#""uom": "kilo""#, EventProblem::UnknownUnit, "/quantityList/0/uom"),
        (
            r#""quantity": 12"#,
            r#""quantity": 0"#,
            EventProblem::BadQuantity,
            "/quantityList/0/quantity",
        ),
    ];
    for (from, to, want, field) in cases {
        let (got, pointer) = problem(&receipt_with(from, to));
        assert_eq!(
            (got, pointer.as_str()),
            (want, format!("{ev}{field}").as_str()),
            "{from} -> {to}"
        );
    }
}

/// Guards item 14: a transformation or aggregation with empty lists was
/// written as an empty `produced`/`packed`; a GDTI transformationID was cut
/// to its serial.
#[test]
fn empty_lists_are_refused_and_ids_never_cut() {
    let transformation = |id: &str, outputs: &str| {
        one(&format!(
            r#"{{"type": "TransformationEvent", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
          "transformationID": "{id}",
          "inputQuantityList": [{{"epcClass": "https://id.gs1.org/01/04012345123456/10/LOT-7", "quantity": 2}}],
          "outputQuantityList": [{outputs}]}}"#
        ))
    };
    let out = r#"{"epcClass": "https://id.gs1.org/01/04012345123463/10/OUT-1", "quantity": 1}"#;
    let (p, ptr) = problem(&transformation("WO-1", ""));
    assert_eq!(
        (p, ptr.as_str()),
        (EventProblem::EmptyList, "/epcisBody/eventList/0/outputQuantityList")
    );
    // A GDTI keeps its whole value (company prefix, document type, check digit, serial) ...
    let im =
        import(&transformation("urn:epc:id:gdti:0614141.00001.1234", out), &options()).unwrap();
    match &im.records[1].1 {
        Record::Produced(p) => assert_eq!(p.work_order.as_str(), "06141410000121234"),
        other => panic!("{other:?}"),
    }
    // ... and one too long for a work order is refused, not cut short.
    let (p, ptr) = problem(&transformation("urn:epc:id:gdti:0614141.00001.123456789012345", out));
    assert_eq!(
        (p, ptr.as_str()),
        (EventProblem::TooLong, "/epcisBody/eventList/0/transformationID")
    );
    let packing = one(
        r#"{"type": "AggregationEvent", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "parentID": "urn:epc:id:sscc:0614141.1234567890", "childEPCs": []}"#,
    );
    let (p, ptr) = problem(&packing);
    assert_eq!(
        (p, ptr.as_str()),
        (EventProblem::EmptyList, "/epcisBody/eventList/0/childQuantityList")
    );
}

/// Guards item 14: a supplier's shipping event addressed to us became our
/// own `shipped` record. A shipping event is ours only when its sourceList
/// names our own party.
#[test]
fn a_suppliers_shipment_to_us_is_not_our_shipment() {
    let doc = one(
        r#"{"type": "ObjectEvent", "eventTime": "2026-03-01T09:00:00Z", "eventTimeZoneOffset": "+00:00",
         "action": "OBSERVE", "bizStep": "shipping",
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT-7", "quantity": 5}],
         "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-991"}],
         "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/5412345000013"}],
         "destinationList": [{"type": "owning_party", "destination": "https://id.gs1.org/417/4012345000009"}]}"#,
    );
    for own in [None, Some(PartyId::Gln(Gln::parse("4012345000009").unwrap()))] {
        let mut opts = options();
        opts.own_party = own;
        let im = import(&doc, &opts).unwrap();
        assert!(
            !im.records.iter().any(|(_, r)| matches!(r, Record::Shipped(_))),
            "{:?}",
            im.records
        );
        assert!(
            im.unmapped.iter().any(|u| u.pointer == "/epcisBody/eventList/0"
                && u.reason.contains("shipping event of another party")),
            "{:?}",
            im.unmapped
        );
    }
}

/// Guards item 14: the same event twice in one document was recorded twice.
#[test]
fn a_repeated_event_is_recorded_once_and_reported() {
    let doc = one(&format!("{RECEIPT}, {RECEIPT}"));
    let im = import(&doc, &options()).unwrap();
    assert_eq!(im.records.len(), 2, "attachment and one receipt: {:?}", im.records);
    assert_eq!(im.event_ids, ["urn:uuid:r1", "urn:uuid:r1"]);
    assert_eq!(im.duplicates.len(), 1);
    assert_eq!((im.duplicates[0].index, im.duplicates[0].first), (1, Some(0)));
    // An event the ledger already holds from an earlier document is skipped too.
    let mut opts = options();
    opts.recorded.insert("urn:uuid:r1".to_owned());
    let again = import(&one(RECEIPT), &opts).unwrap();
    assert_eq!(again.records.len(), 1, "only the attachment: {:?}", again.records);
    assert_eq!(again.duplicates[0].first, None);
    // Without eventIDs, the CBV 2.0 hash identifies the event.
    let bare = RECEIPT.replace(r#""eventID": "urn:uuid:r1","#, "");
    let im = import(&one(&format!("{bare}, {bare}")), &options()).unwrap();
    assert_eq!(im.duplicates.len(), 1);
    assert!(im.event_ids[0].starts_with("ni:///sha-256;"));
}

#[test]
fn own_export_imports_without_loss() {
    let (id, bytes) = demo::ledger(1500);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let ex = export(entries.clone(), &ExportOptions::new(id, Timestamp(1_780_000_000_000)));
    let text = serde_json::to_vec(&ex.document).unwrap();
    let im = import(&text, &options()).unwrap();
    assert!(im.id_mismatches.is_empty(), "{:?}", im.id_mismatches.first());
    let originals: Vec<&Record> =
        entries.iter().map(|(_, _, r)| r).filter(|r| r.kind() != RecordKind::Corrected).collect();
    let imported: Vec<&Record> = im.records.iter().skip(1).map(|(_, r)| r).collect();
    assert_eq!(imported, originals);
    for ((stamp, _), (header, _, _)) in im
        .records
        .iter()
        .skip(1)
        .zip(entries.iter().filter(|(_, _, r)| r.kind() != RecordKind::Corrected))
    {
        assert_eq!(stamp.time, header.time);
    }
    // Corrections refer to the source ledger's entries: the export writes
    // each as an event of its own (docs/INTEROP.md), which the import
    // reports as unmapped, kept in the original; none is dropped silently.
    let corrections = entries.len() - originals.len();
    let reasons: Vec<&str> = im.unmapped.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(im.unmapped.len(), corrections, "{reasons:?}");
}

#[test]
fn gs1_examples_import_cleanly() {
    let Ok(dir) = std::env::var("LOTLEDGER_EPCIS_EXAMPLES") else {
        println!("skipped: LOTLEDGER_EPCIS_EXAMPLES is not set");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty());
    let mut records = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "jsonld" || e == "json"))
    {
        let bytes = std::fs::read(path).unwrap();
        let im = import(&bytes, &options()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        accounted(&doc, &im, "/epcisBody/eventList");
        assert!(matches!(im.records[0].1, Record::Attached(_)));
        records += im.records.len() - 1;
        println!(
            "{}: {} records, {} fields kept, {} unmapped, {} eventID mismatches",
            path.file_name().unwrap().to_string_lossy(),
            im.records.len() - 1,
            im.kept.len(),
            im.unmapped.len(),
            im.id_mismatches.len()
        );
        for u in &im.unmapped {
            println!("    unmapped {}: {}", u.pointer, u.reason);
        }
        for m in &im.id_mismatches {
            println!("    eventID {} given {} computed {}", m.pointer, m.given, m.computed);
        }
    }
    assert!(records > 0, "the examples hold receipts, transformations or packing");
}

/// The records of `records` written to a new ledger, indexed.
fn index_of(records: &[(lotledger::entry::Stamp, Record)]) -> lotledger::index::Index {
    use lotledger::chain::Writer;
    let id = LedgerId(*b"imported-ledger!");
    let mut w =
        Writer::new(Vec::new(), vec![0u8; lotledger::frame::MAX_FRAME_LEN], Anchor::genesis(&id));
    for (stamp, record) in records {
        w.append(stamp, record).unwrap();
    }
    let mut index = lotledger::index::Index::new();
    index.ingest_bytes(&id, &w.into_parts().0).unwrap();
    index
}

/// Issue 14 item 5: the serialized demo's unit events (kinds 20 to 24),
/// exported and imported back from their EPCIS fields alone (`ll:record`
/// and `ll:entry` removed, as a partner's system would send them), give a
/// ledger whose `where` answers are the original's for shipped, returned,
/// sampled and never-packed units and for pallets and cases.
#[test]
fn unit_events_round_trip_through_epcis_fields_alone() {
    use lotledger::query::{self, UnitTarget};
    let config = demo::PlantConfig { serialized: true, master_data: true, ..Default::default() };
    let (id, bytes) = demo::ledger_with(4000, &config);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let all = ledger_entries(verified).unwrap();
    let units: Vec<_> =
        all.iter().filter(|(_, _, r)| (20..=24).contains(&r.kind().number())).cloned().collect();
    let owner = PartyId::Gln(Gln::parse("9506000000008").unwrap());
    let mut eo = ExportOptions::new(id, Timestamp(1_780_000_000_000));
    eo.owner = Some(owner.clone());
    let mut doc = export(units.clone(), &eo).document;
    for e in doc["epcisBody"]["eventList"].as_array_mut().unwrap() {
        let m = e.as_object_mut().unwrap();
        assert!(m.remove("ll:record").is_some() && m.remove("ll:entry").is_some());
        m.remove("eventID");
    }
    let mut io = options();
    io.own_party = Some(owner);
    let im = import(&serde_json::to_vec(&doc).unwrap(), &io).unwrap();
    let unmapped: Vec<_> =
        im.unmapped.iter().filter(|u| !u.pointer.ends_with("/readPoint")).collect();
    assert!(unmapped.is_empty(), "{unmapped:#?}");
    let imported: Vec<&Record> = im.records.iter().skip(1).map(|(_, r)| r).collect();
    // One record per entry, of the same kind; commissioning ranges come back
    // as ranges of the same serials.
    assert_eq!(imported.len(), units.len());
    let mut samples = 0;
    for ((_, _, original), back) in units.iter().zip(&imported) {
        assert_eq!(original.kind(), back.kind());
        match (original, back) {
            (Record::Commissioned(a), Record::Commissioned(b)) => {
                assert_eq!(a.lot, b.lot);
                // One range each, possibly split differently into prefix and number.
                assert_eq!(b.serials.len(), a.serials.len());
                assert_eq!(expand(&a.serials), expand(&b.serials));
            }
            (Record::Aggregated(a), Record::Aggregated(b)) => {
                assert_eq!((&a.parent, a.action), (&b.parent, b.action));
                assert_eq!(goods(&a.contents), goods(&b.contents));
            }
            (Record::GoodsShipped(a), Record::GoodsShipped(b)) => {
                assert_eq!(
                    (&a.customer, &a.ship_to, &a.order),
                    (&b.customer, &b.ship_to, &b.order)
                );
                assert_eq!(goods(&a.goods), goods(&b.goods));
            }
            (Record::GoodsReturned(a), Record::GoodsReturned(b)) => {
                assert_eq!((&a.from, &a.order), (&b.from, &b.order));
                assert_eq!(goods(&a.goods), goods(&b.goods));
            }
            (Record::Decommissioned(a), Record::Decommissioned(b)) => {
                // A sample travels as bizStep `sampling`: its reason survives.
                assert_eq!(a.reason, b.reason);
                samples += usize::from(a.reason == DecommissionReason::Sample);
                assert_eq!(goods(&a.goods), goods(&b.goods));
            }
            _ => unreachable!(),
        }
    }
    assert!(samples > 0, "the demo takes samples by serial");
    let before =
        index_of(&units.iter().map(|(h, _, r)| (stamp_of(h), r.clone())).collect::<Vec<_>>());
    let after = index_of(&im.records);
    let (mut targets, mut returned, mut containers) = (Vec::new(), Vec::new(), Vec::new());
    for (_, _, r) in &units {
        match r {
            Record::Commissioned(c) if targets.len() < 12 => {
                let SerialSpan::Range(range) = &c.serials[0] else { panic!() };
                for i in [0, 49, 96, range.count() - 1] {
                    let serial = range.serial(i).unwrap().as_str().to_owned();
                    targets.push(UnitTarget::Serial { item: c.lot.item.clone(), serial });
                }
            }
            Record::GoodsReturned(g) if returned.len() < 3 => {
                let Goods::Serials(s) = &g.goods[0] else { panic!() };
                let SerialSpan::One(serial) = &s.serials else { panic!() };
                let serial = serial.as_str().to_owned();
                returned.push(UnitTarget::Serial { item: s.lot.item.clone(), serial });
            }
            Record::Aggregated(a) if containers.len() < 6 => {
                containers.push(UnitTarget::Container(a.parent.clone()));
            }
            _ => {}
        }
    }
    assert_eq!((targets.len(), returned.len(), containers.len()), (12, 3, 6));
    targets.extend(returned);
    targets.extend(containers);
    let mut statuses = std::collections::BTreeSet::new();
    for t in &targets {
        let a = query::where_is(&before, t, None).unwrap();
        let b = query::where_is(&after, t, None).unwrap();
        statuses.insert(a.status);
        assert_eq!(
            (&a.status, &a.customer, &a.order, &a.ship_to, &a.decommissioned, &a.containers),
            (&b.status, &b.customer, &b.order, &b.ship_to, &b.decommissioned, &b.containers),
            "{t}"
        );
        assert_eq!(a.lot.map(|l| l.lot), b.lot.map(|l| l.lot), "{t}");
        assert_eq!(a.serials, b.serials, "{t}");
        assert_eq!(a.history.len(), b.history.len(), "{t}");
    }
    // Shipped, returned, sampled and still at the plant all came up.
    assert!(statuses.len() >= 4, "{statuses:?}");
}

fn stamp_of(h: &lotledger::entry::Header) -> lotledger::entry::Stamp {
    lotledger::entry::Stamp { time: h.time, actor: h.actor.clone(), station: h.station.clone() }
}

/// Every serial the spans name, in order.
fn expand(spans: &[SerialSpan]) -> Vec<String> {
    let mut out = Vec::new();
    for span in spans {
        match span {
            SerialSpan::One(s) => out.push(s.as_str().to_owned()),
            SerialSpan::Range(r) => {
                out.extend((0..r.count()).map(|i| r.serial(i).unwrap().as_str().to_owned()));
            }
        }
    }
    out
}

/// Goods with every serial listed: what they name, whatever their spans.
fn goods(list: &[Goods]) -> Vec<String> {
    let mut out = Vec::new();
    for g in list {
        match g {
            Goods::Serials(s) => out.extend(
                expand(core::slice::from_ref(&s.serials))
                    .into_iter()
                    .map(|x| format!("{}/{}: {x}", s.lot.item, s.lot.lot)),
            ),
            other => out.push(format!("{other:?}")),
        }
    }
    out
}

/// Issue 14 item 5: master data goes out in the header's `epcisMasterData`
/// and comes back as records: the latest version of each party, location
/// and product, without contacts (personal data is never exported) and
/// further identities.
#[test]
fn master_data_comes_back_from_the_header() {
    use std::collections::BTreeMap;
    let config = demo::PlantConfig { master_data: true, ..Default::default() };
    let (id, bytes) = demo::ledger_with(1500, &config);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let ex = export(entries.clone(), &ExportOptions::new(id, Timestamp(1_780_000_000_000)));
    let im = import(&serde_json::to_vec(&ex.document).unwrap(), &options()).unwrap();
    assert!(
        !im.unmapped.iter().any(|u| u.pointer.starts_with("/epcisHeader")),
        "{:#?}",
        im.unmapped
    );
    let (mut parties, mut locations, mut products) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (_, _, r) in &entries {
        match r {
            Record::PartyDescribed(p) => drop(parties.insert(p.party.to_string(), p.clone())),
            Record::LocationDescribed(l) => {
                drop(locations.insert(l.location.to_string(), l.clone()));
            }
            Record::ProductDescribed(p) => drop(products.insert(p.item.to_string(), p.clone())),
            _ => {}
        }
    }
    assert!(!parties.is_empty() && !locations.is_empty() && !products.is_empty());
    let (mut np, mut nl, mut nd) = (0, 0, 0);
    for (_, r) in &im.records {
        match r {
            Record::PartyDescribed(b) => {
                np += 1;
                let a = &parties[&b.party.to_string()];
                assert_eq!((&a.name, &a.roles), (&b.name, &b.roles));
                assert_eq!(a.addresses.first(), b.addresses.first());
                assert!(b.contacts.is_empty() && b.also_known_as.is_empty());
            }
            Record::LocationDescribed(b) => {
                nl += 1;
                assert_eq!(&locations[&b.location.to_string()], b);
            }
            Record::ProductDescribed(b) => {
                nd += 1;
                let mut a = products[&b.item.to_string()].clone();
                a.also_known_as.clear();
                assert_eq!(&a, b);
            }
            _ => {}
        }
    }
    assert_eq!((np, nl, nd), (parties.len(), locations.len(), products.len()));
}

/// A partner's `sampling` DELETE of a commissioned unit is a sample taken
/// out of the supply chain; a `sampling` OBSERVE (the unit stays) is not a
/// decommissioning and is reported as unmapped.
#[test]
fn a_sampling_delete_is_a_sample_and_an_observe_is_unmapped() {
    let unit = "https://id.gs1.org/01/04012345123456/21/S0001";
    let commissioning = format!(
        r#"{{"type": "ObjectEvent", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
           "action": "ADD", "bizStep": "commissioning", "epcList": ["{unit}"],
           "ilmd": {{"cbvmda:lotNumber": "LOT-7"}}}}"#
    );
    let sampling = |action: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "eventTime": "2026-03-03T09:00:00Z", "eventTimeZoneOffset": "+00:00",
               "action": "{action}", "bizStep": "sampling", "disposition": "inactive", "epcList": ["{unit}"]}}"#
        )
    };
    let doc = |action: &str| -> Vec<u8> {
        let mut bytes = one(&format!("{commissioning}, {}", sampling(action)));
        // `one` has no cbvmda prefix in its context: add it.
        let text = String::from_utf8(bytes).unwrap().replacen(
            r#"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]"#,
            r#"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"cbvmda": "urn:epcglobal:cbv:mda:"}]"#,
            1,
        );
        bytes = text.into_bytes();
        bytes
    };
    let im = import(&doc("DELETE"), &options()).unwrap();
    let reasons: Vec<_> = im
        .records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Decommissioned(d) => Some(d.reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, [DecommissionReason::Sample], "{:#?}", im.unmapped);

    let im = import(&doc("OBSERVE"), &options()).unwrap();
    assert!(!im.records.iter().any(|(_, r)| matches!(r, Record::Decommissioned(_))));
    assert!(
        im.unmapped.iter().any(|u| u.pointer.starts_with("/epcisBody/eventList/1")),
        "{:#?}",
        im.unmapped
    );
}
