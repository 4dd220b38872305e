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

/// Every JSON object inside `value`, by path, for adding a key to each.
fn object_paths(value: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        serde_json::Value::Object(map) => {
            out.push(path.clone());
            for (k, v) in map {
                path.push(k.clone());
                object_paths(v, path, out);
                path.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                object_paths(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn object_at<'a>(value: &'a mut serde_json::Value, path: &[String]) -> &'a mut serde_json::Value {
    path.iter().fold(value, |v, k| match v {
        serde_json::Value::Array(items) => &mut items[k.parse::<usize>().unwrap()],
        other => &mut other[k.as_str()],
    })
}

/// Whether the object at `path` is an enum's choice: renaming its only key
/// makes the entry an "unknown variant".
fn names_one_choice(value: &serde_json::Value, path: &[String]) -> bool {
    let mut probe = value.clone();
    let object = object_at(&mut probe, path).as_object_mut().unwrap();
    if object.len() != 1 {
        return false;
    }
    let (key, inner) = object.iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
    object.remove(&key);
    object.insert(format!("{key}_x"), inner);
    serde_json::from_value::<NewEntry>(probe)
        .is_err_and(|e| e.to_string().contains("unknown variant"))
}

/// Guards issue 11 item 6: a key the form does not know, added to any object
/// of any documented example (the entry, the record, every nested struct, an
/// enum's struct variant), is refused, never dropped; inside a struct the
/// error names it. On the old code `shipto` beside `ship_to` parsed.
#[test]
fn an_unknown_key_at_any_level_of_any_example_is_refused() {
    let mut checked = 0;
    for text in examples() {
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut paths = Vec::new();
        object_paths(&value, &mut Vec::new(), &mut paths);
        for path in paths {
            let mut changed = value.clone();
            // An object naming one choice ({"gtin": ...}, {"shipped": {...}})
            // gets a second key; any other object an unknown field.
            let one_choice = names_one_choice(&value, &path);
            let object = object_at(&mut changed, &path);
            object.as_object_mut().unwrap().insert("qty".into(), serde_json::json!(1));
            let line = serde_json::to_string(&changed).unwrap();
            let err = serde_json::from_str::<NewEntry>(&line)
                .expect_err(&format!("`qty` added at {path:?} was accepted: {line}"))
                .to_string();
            if !one_choice {
                assert!(err.contains("unknown field `qty`"), "{path:?}: {err}");
            }
            checked += 1;
        }
    }
    assert!(checked > 90, "only {checked} objects checked");
}

/// Guards issue 12 item 9: every enum value of the JSON form is snake_case
/// (the names docs/JSON.md lists), in output and input; other spellings
/// are refused. The recall classes `I`, `II`, `III` and the Rec 20 unit
/// codes are codes, not names, and keep their official spelling.
#[test]
fn enum_values_are_snake_case_in_and_out() {
    use lotledger::model::{
        Channel, ComplaintType, Disposition, DocumentKind, InspectionResult, InspectionStage,
        InvestigationMethod, Remedy, ReturnKind, RootCause, Severity,
    };
    fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug>(
        value: T,
        name: &str,
    ) {
        assert_eq!(serde_json::to_value(&value).unwrap(), serde_json::json!(name));
        assert_eq!(serde_json::from_value::<T>(serde_json::json!(name)).unwrap(), value);
        let camel: String = name.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
        if camel != name {
            assert!(serde_json::from_value::<T>(serde_json::json!(camel)).is_err(), "{camel}");
        }
        let kebab = name.replace('_', "-");
        if kebab != name {
            assert!(serde_json::from_value::<T>(serde_json::json!(kebab)).is_err(), "{kebab}");
        }
    }
    check(Disposition::OnHold, "on_hold");
    check(Disposition::Quarantine, "quarantine");
    check(ComplaintType::ProductQuality, "product_quality");
    check(ComplaintType::ServiceAttitude, "service_attitude");
    check(ComplaintType::ContractDispute, "contract_dispute");
    check(ComplaintType::MisleadingAdvertising, "misleading_advertising");
    check(InspectionStage::InProcess, "in_process");
    check(InspectionResult::Conditional, "conditional");
    check(DocumentKind::CertificateOfAnalysis, "certificate_of_analysis");
    check(DocumentKind::DeliveryNote, "delivery_note");
    check(InvestigationMethod::OnSite, "on_site");
    check(InvestigationMethod::ThirdParty, "third_party");
    check(InvestigationMethod::RecordReview, "record_review");
    check(RootCause::Production, "production");
    check(Remedy::NoFault, "no_fault");
    check(ReturnKind::Exchange, "exchange");
    check(Severity::Crisis, "crisis");
    check(Channel::Email, "email");
    for kind in RecordKind::ALL {
        assert!(
            kind.name().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{kind}"
        );
    }
}
