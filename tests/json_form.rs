//! docs/JSON.md: every example line parses as an entry, every record kind
//! has one, and each survives the ledger's bytes unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;

use lotledger::chain::{Anchor, Verifier, Writer};
use lotledger::entry::NewEntry;
use lotledger::model::{LedgerId, RecordKind};

const DOC: &str = include_str!("../docs/JSON.md");

/// The JSON objects in the ```json blocks under "One example of each".
fn examples() -> Vec<String> {
    let section =
        DOC.split("## One example of each record kind").nth(1).expect("the examples section");
    section
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_kind_has_a_documented_example_that_parses() {
    let mut kinds = BTreeSet::new();
    let id = LedgerId([1; 16]);
    let mut w = Writer::new(Vec::new(), vec![0u8; 4096], Anchor::genesis(&id));
    let mut parsed = Vec::new();
    for text in examples() {
        let entry: NewEntry = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        kinds.insert(entry.record.kind());
        w.append(&entry.stamp(), &entry.record).unwrap();
        parsed.push(entry);
    }
    assert_eq!(
        kinds.len(),
        RecordKind::ALL.len(),
        "kinds without an example: {:?}",
        RecordKind::ALL.iter().filter(|k| !kinds.contains(k)).collect::<Vec<_>>()
    );
    let bytes = w.into_parts().0;
    for (v, entry) in Verifier::new(&bytes, Anchor::genesis(&id)).zip(&parsed) {
        let v = v.unwrap();
        assert_eq!(v.record().unwrap(), entry.record);
        assert_eq!(v.header.time, entry.time);
    }
}

#[test]
fn bad_lines_name_the_field() {
    let bad = r#"{"time":"2026-03-02T08:00:00Z","actor":"a","station":"s","record":{"shipped":{"lot":{"item":{"gtin":"09506000134353"},"lot":"B1"},"quantity":"1 H87","customer":{"internal":"C1"},"order":"SO1"}}}"#;
    let err = serde_json::from_str::<NewEntry>(bad).unwrap_err().to_string();
    assert!(err.contains("09506000134353"), "{err}");
    let unknown = r#"{"time":0,"actor":"a","station":"s","colour":"red","record":{"delivered":{"order":"SO1","customer":{"internal":"C1"}}}}"#;
    assert!(serde_json::from_str::<NewEntry>(unknown).unwrap_err().to_string().contains("colour"));
    let too_long = r#"{"time":0,"actor":"a","station":"s","record":{"delivered":{"order":"SO-0123456789-0123456789-0123","customer":{"internal":"C1"}}}}"#;
    assert!(
        serde_json::from_str::<NewEntry>(too_long)
            .unwrap_err()
            .to_string()
            .contains("longer than the 24 allowed")
    );
}
