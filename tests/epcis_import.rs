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
