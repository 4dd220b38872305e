//! Fuzz the EPCIS importer and the CBV 2.0 event hash: any bytes either
//! import or give a typed error, never a panic; every event of an imported
//! document is accounted for; the hash of any JSON event is well formed and
//! does not depend on the order of its fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::interop::epcis::event_hash::{Canonicalizer, document_hashes};
use lotledger::interop::epcis::{ImportOptions, import};
use lotledger::model::{PartyId, Timestamp};

fuzz_target!(|data: &[u8]| {
    let options = ImportOptions::new(
        PartyId::Internal("PARTNER".parse().expect("valid code")),
        "fuzz".parse().expect("valid actor"),
        "FUZZ".parse().expect("valid station"),
        Timestamp(0),
    );
    if let Ok(im) = import(data, &options) {
        // The first record ties the original bytes to the ledger.
        assert!(!im.records.is_empty());
        // Every event has an id, the same one a later import sees.
        assert_eq!(Some(&im.event_ids), lotledger::interop::epcis::document_event_ids(data).as_ref());
        // A skipped repeat names an earlier event with the same id.
        for d in &im.duplicates {
            let first = d.first.expect("no ids recorded before");
            assert!(first < d.index && im.event_ids[first] == d.event_id);
        }
    }
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(hashes) = document_hashes(&doc) {
        for h in &hashes {
            assert!(h.starts_with("ni:///sha-256;") && h.ends_with("?ver=CBV2.0") && h.len() == 89);
        }
    }
    // Field order never changes an event's hash.
    if let Some(obj) = doc.as_object() {
        let reversed: serde_json::Map<_, _> =
            obj.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect();
        let c = Canonicalizer::new();
        let a = c.event_hash(&doc).ok();
        let b = c.event_hash(&serde_json::Value::Object(reversed)).ok();
        assert_eq!(a, b);
    }
});
