//! A partner's EPCIS 2.0 document to ledger records.
//!
//! What the vocabulary has a place for becomes records: receiving and
//! shipping of lots (LGTIN class plus quantity), inspections, destruction,
//! transformations and packing. Everything else is kept, never dropped:
//! the first record is an [`Attached`] record with the SHA-256 of the
//! original bytes (kind [`DocumentKind::Interchange`]), so the document
//! stored beside the ledger is tied to it, and the [`Import`] report names
//! every field that went only there, by JSON pointer, with the reason.
//!
//! Any byte string is safe to import: bad JSON and documents that are not
//! EPCIS are typed errors with a JSON pointer; a bad event or field is
//! reported and skipped, never a panic.

use std::borrow::ToOwned;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::event_hash::{Canonicalizer, canonical_time};
use super::export::record_from;
use super::scheme::{UriScheme, decode};
use crate::entry::Stamp;
use crate::model::RecordKind;
use crate::model::{
    Actor, Attached, Code, Date, Destroyed, Digest, DocumentKind, Inspected, InspectionResult,
    InspectionStage, LocationId, LotId, LotQuantity, MaterialReceived, Packable, Packed, PartyId,
    Produced, Quantity, Record, Reference, Shipped, Station, Subject, Text, Timestamp, Unit,
    parse_decimal,
};

/// How to import.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ImportOptions {
    /// How URIs map back to identifiers (internal codes under its base).
    pub scheme: UriScheme,
    /// IRI of the lotledger extension namespace; events that carry an
    /// `ll:record` in it (a lotledger export) import that record exactly.
    pub namespace: String,
    /// The partner who sent the document: the supplier of a receipt that
    /// names no source party.
    pub partner: PartyId,
    /// Who imports (the actor of every entry).
    pub actor: Actor,
    /// Where (the station of every entry).
    pub station: Station,
    /// When the document was received (the time of the attachment entry).
    pub received: Timestamp,
    /// The document's file name or title.
    pub name: Text<64>,
    /// What the attachment record is about; `None` for the first lot
    /// imported, or order `EPCIS` when no lot was.
    pub subject: Option<Subject>,
}

impl ImportOptions {
    /// Options for a document from `partner`, imported by `actor` at `station`.
    #[must_use]
    pub fn new(partner: PartyId, actor: Actor, station: Station, received: Timestamp) -> Self {
        Self {
            scheme: UriScheme::default(),
            namespace: super::export::DEFAULT_NAMESPACE.to_owned(),
            partner,
            actor,
            station,
            received,
            name: Text::default(),
            subject: None,
        }
    }
}

/// A field that became no record; it is kept only in the original document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unmapped {
    /// Where, as a JSON pointer into the document (RFC 6901).
    pub pointer: String,
    /// Why.
    pub reason: String,
}

/// An event whose `eventID` is a CBV 2.0 hash that differs from the one computed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdMismatch {
    /// The event's JSON pointer.
    pub pointer: String,
    /// The `eventID` in the document.
    pub given: String,
    /// The hash computed by [`super::event_hash`].
    pub computed: String,
}

/// The result of an import.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Import {
    /// The records to append, in order; the first is the attachment.
    pub records: Vec<(Stamp, Record)>,
    /// SHA-256 of the original document bytes.
    pub digest: Digest,
    /// Pointers of the fields that were mapped into records.
    pub kept: Vec<String>,
    /// Fields kept only in the original document, with the reason.
    pub unmapped: Vec<Unmapped>,
    /// Events whose hash-based id does not match their content.
    pub id_mismatches: Vec<IdMismatch>,
}

/// Why a document could not be imported at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// Where, as a JSON pointer (empty for the whole document).
    pub pointer: String,
    /// What.
    pub kind: ImportErrorKind,
}

/// What was wrong with the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportErrorKind {
    /// The bytes are not JSON.
    NotJson {
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
    },
    /// The JSON is not an `EPCISDocument` (or `EPCISQueryDocument`).
    NotADocument,
    /// There is no event list where the document type needs one.
    NoEventList,
}

impl core::fmt::Display for ImportError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kind {
            ImportErrorKind::NotJson { line, column } => {
                write!(f, "not JSON: error at line {line}, column {column}")
            }
            ImportErrorKind::NotADocument => {
                write!(f, "not an EPCIS document at {:?}: type is not EPCISDocument", self.pointer)
            }
            ImportErrorKind::NoEventList => write!(f, "no event list at {:?}", self.pointer),
        }
    }
}

impl core::error::Error for ImportError {}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Imports an EPCIS 2.0 JSON-LD document.
///
/// # Errors
/// [`ImportError`] when `bytes` are not JSON or not an EPCIS document with
/// an event list. Problems inside events are reported in
/// [`Import::unmapped`], not errors.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<Import, ImportError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError {
        pointer: String::new(),
        kind: ImportErrorKind::NotJson { line: e.line(), column: e.column() },
    })?;
    let (list_ptr, events) = match doc.get("type").and_then(Value::as_str) {
        Some("EPCISDocument") => ("/epcisBody/eventList", doc.pointer("/epcisBody/eventList")),
        Some("EPCISQueryDocument") => (
            "/epcisBody/queryResults/resultsBody/eventList",
            doc.pointer("/epcisBody/queryResults/resultsBody/eventList"),
        ),
        _ => {
            return Err(ImportError {
                pointer: "/type".to_owned(),
                kind: ImportErrorKind::NotADocument,
            });
        }
    };
    let events = events.and_then(Value::as_array).ok_or_else(|| ImportError {
        pointer: list_ptr.to_owned(),
        kind: ImportErrorKind::NoEventList,
    })?;

    let mut canon = Canonicalizer::new();
    if let Some(ctx) = doc.get("@context") {
        canon.add_context(ctx);
    }
    events.iter().for_each(|e| canon.add_terms(e));
    let own_prefix = own_prefix(doc.get("@context"), &options.namespace);

    let mut im = Importer { o: options, out: Import::default(), own_prefix };
    im.out.digest = Digest(Sha256::digest(bytes).into());
    for (key, _) in doc.as_object().into_iter().flatten() {
        if !matches!(
            key.as_str(),
            "@context" | "type" | "schemaVersion" | "creationDate" | "epcisBody" | "id"
        ) {
            im.unmapped(&format!("/{}", escape(key)), "document header field");
        }
    }
    for (i, event) in events.iter().enumerate() {
        let ptr = format!("{list_ptr}/{i}");
        im.check_id(&canon, &ptr, event);
        im.event(&ptr, event);
    }

    let subject = options.subject.clone().or_else(|| {
        im.out
            .records
            .iter()
            .find_map(|(_, r)| crate::interop::scope::record_lots(r).first().map(|l| (*l).clone()))
            .map(Subject::Lot)
            .or_else(|| Reference::new("EPCIS").ok().map(Subject::Order))
    });
    if let Some(subject) = subject {
        let stamp = Stamp {
            time: options.received,
            actor: options.actor.clone(),
            station: options.station.clone(),
        };
        let attached = Record::Attached(Attached {
            subject,
            kind: DocumentKind::Interchange,
            digest: im.out.digest,
            name: options.name.clone(),
        });
        im.out.records.insert(0, (stamp, attached));
    }
    Ok(im.out)
}

/// The prefix the document's context gives our namespace, if any.
fn own_prefix(context: Option<&Value>, namespace: &str) -> Option<String> {
    match context? {
        Value::Array(items) => items.iter().find_map(|i| own_prefix(Some(i), namespace)),
        Value::Object(map) => {
            map.iter().find(|(_, v)| v.as_str() == Some(namespace)).map(|(k, _)| k.clone())
        }
        _ => None,
    }
}

struct Importer<'o> {
    o: &'o ImportOptions,
    out: Import,
    own_prefix: Option<String>,
}

/// A bare CBV word from a bizStep or disposition in any of its spellings.
fn bare<'a>(v: Option<&'a Value>, web: &str, urn: &str) -> Option<&'a str> {
    let s = v?.as_str()?;
    Some(
        s.strip_prefix(web)
            .or_else(|| s.strip_prefix(urn))
            .or_else(|| s.strip_prefix("cbv:").and_then(|r| r.split_once('-').map(|(_, w)| w)))
            .unwrap_or(s),
    )
}

impl Importer<'_> {
    fn unmapped(&mut self, pointer: &str, reason: &str) {
        self.out.unmapped.push(Unmapped { pointer: pointer.to_owned(), reason: reason.to_owned() });
    }

    fn stamp(&self, time: Timestamp) -> Stamp {
        Stamp { time, actor: self.o.actor.clone(), station: self.o.station.clone() }
    }

    fn check_id(&mut self, canon: &Canonicalizer, ptr: &str, event: &Value) {
        let Some(given) = event.get("eventID").and_then(Value::as_str) else { return };
        if !(given.starts_with("ni:///sha-256;") && given.ends_with("?ver=CBV2.0")) {
            return;
        }
        if let Ok(computed) = canon.event_hash(event)
            && !computed.eq_ignore_ascii_case(given)
        {
            self.out.id_mismatches.push(IdMismatch {
                pointer: format!("{ptr}/eventID"),
                given: given.to_owned(),
                computed,
            });
        }
    }

    fn event(&mut self, ptr: &str, event: &Value) {
        let Some(e) = event.as_object() else {
            self.unmapped(ptr, "event is not an object");
            return;
        };
        let Some(time) = e
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(|t| Timestamp::parse_rfc3339(&canonical_time(t)).ok())
        else {
            self.unmapped(ptr, "event has no valid eventTime");
            return;
        };
        if e.contains_key("errorDeclaration") {
            self.unmapped(
                ptr,
                "error declaration: a correction names entries of the partner's ledger, not ours",
            );
            return;
        }
        if let Some(prefix) = &self.own_prefix
            && let Some(r) = e.get(&format!("{prefix}:record"))
            && let Some(record) = record_from(r)
            && record.kind() != RecordKind::Corrected
        {
            self.out.records.push((self.stamp(time), record));
            self.out.kept.push(ptr.to_owned());
            return;
        }
        let kind = e.get("type").and_then(Value::as_str).unwrap_or_default();
        let step = bare(
            e.get("bizStep"),
            "https://ref.gs1.org/cbv/BizStep-",
            "urn:epcglobal:cbv:bizstep:",
        );
        let used: &[&str] = match (kind, step) {
            ("ObjectEvent", Some("receiving")) => self.receiving(ptr, e, time),
            ("ObjectEvent", Some("shipping")) => self.shipping(ptr, e, time),
            ("ObjectEvent", Some("inspecting")) => self.inspecting(ptr, e, time),
            ("ObjectEvent", Some("destroying")) => self.destroying(ptr, e, time),
            ("TransformationEvent", _) => self.transformation(ptr, e, time),
            ("AggregationEvent", _) if e.get("action").and_then(Value::as_str) == Some("ADD") => {
                self.packing(ptr, e, time)
            }
            _ => {
                self.unmapped(
                    ptr,
                    &format!(
                        "no record kind for a {kind} with bizStep {}",
                        step.unwrap_or("(none)")
                    ),
                );
                return;
            }
        };
        for key in e.keys() {
            let common = matches!(
                key.as_str(),
                "type"
                    | "eventTime"
                    | "eventTimeZoneOffset"
                    | "eventID"
                    | "recordTime"
                    | "action"
                    | "bizStep"
            );
            let p = format!("{ptr}/{}", escape(key));
            if common || used.contains(&key.as_str()) {
                self.out.kept.push(p);
            } else {
                self.unmapped(&p, "no field for it in the record");
            }
        }
    }

    /// The lots and quantities of a quantity list; elements that do not
    /// parse are reported.
    fn quantities(
        &mut self,
        ptr: &str,
        list: Option<&Value>,
        need_quantity: bool,
    ) -> Vec<(LotId, Option<Quantity>)> {
        let mut out = Vec::new();
        let Some(items) = list.and_then(Value::as_array) else { return out };
        for (i, q) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            let Some(lot) =
                q.get("epcClass").and_then(Value::as_str).and_then(|c| self.o.scheme.parse_lot(c))
            else {
                self.unmapped(&p, "epcClass is not a lot (LGTIN or internal lot URI)");
                continue;
            };
            let quantity = match q.get("quantity") {
                None => None,
                Some(n) => match quantity(n, q.get("uom")) {
                    Some(q) => Some(q),
                    None => {
                        self.unmapped(&format!("{p}/quantity"), "quantity or uom out of range");
                        continue;
                    }
                },
            };
            if need_quantity && quantity.is_none() {
                self.unmapped(&p, "no quantity");
                continue;
            }
            out.push((lot, quantity));
        }
        out
    }

    fn party(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        list: &str,
        key: &str,
    ) -> Option<PartyId> {
        let items = e.get(list).and_then(Value::as_array)?;
        for role in ["owning_party", "possessing_party"] {
            for (i, item) in items.iter().enumerate() {
                let ty = bare(
                    item.get("type"),
                    "https://ref.gs1.org/cbv/SDT-",
                    "urn:epcglobal:cbv:sdt:",
                );
                if ty != Some(role) {
                    continue;
                }
                let uri = item.get(key).and_then(Value::as_str).unwrap_or_default();
                match self.o.scheme.parse_party(uri) {
                    Some(p) => return Some(p),
                    None => self.unmapped(
                        &format!("{ptr}/{list}/{i}"),
                        "party is not a GLN or internal party URI",
                    ),
                }
            }
        }
        None
    }

    fn location(&self, e: &Map<String, Value>, list: &str, key: &str) -> Option<LocationId> {
        e.get(list)?.as_array()?.iter().find_map(|item| {
            let ty =
                bare(item.get("type"), "https://ref.gs1.org/cbv/SDT-", "urn:epcglobal:cbv:sdt:");
            (ty == Some("location"))
                .then(|| self.o.scheme.parse_location(item.get(key)?.as_str()?))
                .flatten()
        })
    }

    fn order(&self, e: &Map<String, Value>, types: &[&str]) -> Option<Reference> {
        let items = e.get("bizTransactionList")?.as_array()?;
        let pick = |item: &&Value| {
            let ty =
                bare(item.get("type"), "https://ref.gs1.org/cbv/BTT-", "urn:epcglobal:cbv:btt:");
            types.is_empty() || ty.is_some_and(|t| types.contains(&t))
        };
        let uri = items.iter().find(pick).or(items.first())?.get("bizTransaction")?.as_str()?;
        self.reference("order", uri)
    }

    fn reference(&self, kind: &str, uri: &str) -> Option<Reference> {
        if let Some(code) = self.o.scheme.parse_code(kind, uri) {
            return Reference::new(&code).ok();
        }
        let tail = uri.rsplit(['/', ':']).next().unwrap_or(uri);
        Reference::new(&decode(tail)?).ok()
    }

    fn receiving(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> &'static [&'static str] {
        let lots = self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), true);
        let supplier =
            self.party(ptr, e, "sourceList", "source").unwrap_or_else(|| self.o.partner.clone());
        let order = self.order(e, &["po", "desadv", "inv"]);
        for (lot, quantity) in lots {
            let Some(quantity) = quantity else { continue };
            let r = MaterialReceived {
                lot,
                quantity,
                supplier: supplier.clone(),
                supplier_lot: None,
                order: order.clone(),
            };
            self.out.records.push((self.stamp(time), Record::MaterialReceived(r)));
        }
        &["quantityList", "sourceList", "bizTransactionList", "disposition"]
    }

    fn shipping(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> &'static [&'static str] {
        let lots = self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), true);
        let Some(customer) = self.party(ptr, e, "destinationList", "destination") else {
            self.unmapped(ptr, "shipping event names no destination party");
            return &[];
        };
        let Some(order) = self.order(e, &["po", "inv", "desadv", "bol"]) else {
            self.unmapped(ptr, "shipping event names no business transaction");
            return &[];
        };
        let ship_to = self.location(e, "destinationList", "destination");
        for (lot, quantity) in lots {
            let Some(quantity) = quantity else { continue };
            let r = Shipped {
                lot,
                quantity,
                customer: customer.clone(),
                ship_to: ship_to.clone(),
                order: order.clone(),
            };
            self.out.records.push((self.stamp(time), Record::Shipped(r)));
        }
        &["quantityList", "destinationList", "bizTransactionList", "disposition"]
    }

    fn inspecting(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> &'static [&'static str] {
        let result = match bare(
            e.get("disposition"),
            "https://ref.gs1.org/cbv/Disp-",
            "urn:epcglobal:cbv:disp:",
        ) {
            Some("conformant") => InspectionResult::Accepted,
            Some("non_conformant") => InspectionResult::Rejected,
            _ => {
                self.unmapped(ptr, "inspection without a conformant or non_conformant disposition");
                return &[];
            }
        };
        for (lot, _) in
            self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), false)
        {
            let r = Inspected {
                lot,
                stage: InspectionStage::Incoming,
                result,
                certificate: None,
                report: None,
                note: Text::default(),
            };
            self.out.records.push((self.stamp(time), Record::Inspected(r)));
        }
        &["quantityList", "disposition"]
    }

    fn destroying(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> &'static [&'static str] {
        for (lot, quantity) in
            self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), true)
        {
            let Some(quantity) = quantity else { continue };
            let reason = Text::new("EPCIS destroying").unwrap_or_default();
            let r = Destroyed { lot, quantity, reason, recall: None };
            self.out.records.push((self.stamp(time), Record::Destroyed(r)));
        }
        &["quantityList", "disposition"]
    }

    fn transformation(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> &'static [&'static str] {
        let work_order = e
            .get("transformationID")
            .and_then(Value::as_str)
            .and_then(|t| self.reference("workorder", t))
            .or_else(|| self.order(e, &["prodorder"]));
        let Some(work_order) = work_order else {
            self.unmapped(ptr, "transformation without a transformationID or production order");
            return &[];
        };
        let line = e
            .get("readPoint")
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .and_then(|id| self.reference("line", id))
            .and_then(|r| Code::<24>::new(r.as_str()).ok())
            .or_else(|| Code::new("EPCIS").ok());
        let Some(line) = line else { return &[] };
        let expiry = e.get("ilmd").and_then(Value::as_object).and_then(|m| {
            m.iter()
                .find(|(k, _)| k.ends_with("itemExpirationDate"))
                .and_then(|(_, v)| v.as_str())
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(Date::from_naive)
        });
        let mut inputs = heapless::Vec::new();
        for (lot, quantity) in
            self.quantities(&format!("{ptr}/inputQuantityList"), e.get("inputQuantityList"), true)
        {
            let Some(quantity) = quantity else { continue };
            if inputs.push(LotQuantity { lot, quantity }).is_err() {
                self.unmapped(
                    &format!("{ptr}/inputQuantityList"),
                    "more inputs than a production record holds",
                );
                break;
            }
        }
        let mut outputs = heapless::Vec::new();
        for (lot, quantity) in
            self.quantities(&format!("{ptr}/outputQuantityList"), e.get("outputQuantityList"), true)
        {
            let Some(quantity) = quantity else { continue };
            if outputs.push(LotQuantity { lot, quantity }).is_err() {
                self.unmapped(
                    &format!("{ptr}/outputQuantityList"),
                    "more outputs than a production record holds",
                );
                break;
            }
        }
        let r = Produced { work_order, line, produced_on: time.date(), expiry, inputs, outputs };
        self.out.records.push((self.stamp(time), Record::Produced(r)));
        &[
            "transformationID",
            "bizTransactionList",
            "readPoint",
            "ilmd",
            "inputQuantityList",
            "outputQuantityList",
        ]
    }

    fn packing(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> &'static [&'static str] {
        let Some(into) = e
            .get("parentID")
            .and_then(Value::as_str)
            .and_then(|p| self.o.scheme.parse_container(p))
        else {
            self.unmapped(ptr, "aggregation without an SSCC or internal container parentID");
            return &[];
        };
        let mut contents = heapless::Vec::new();
        let mut full = false;
        for (i, child) in
            e.get("childEPCs").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            match child.as_str().and_then(|c| self.o.scheme.parse_container(c)) {
                Some(c) => full |= contents.push(Packable::Container(c)).is_err(),
                None => self.unmapped(
                    &format!("{ptr}/childEPCs/{i}"),
                    "child is not a container (serialised items have no record)",
                ),
            }
        }
        for (lot, quantity) in
            self.quantities(&format!("{ptr}/childQuantityList"), e.get("childQuantityList"), true)
        {
            let Some(quantity) = quantity else { continue };
            full |= contents.push(Packable::Lot(LotQuantity { lot, quantity })).is_err();
        }
        if full {
            self.unmapped(ptr, "more contents than a packing record holds");
        }
        let r = Packed { into, contents };
        self.out.records.push((self.stamp(time), Record::Packed(r)));
        &["parentID", "childEPCs", "childQuantityList"]
    }
}

/// A JSON number and a UN/ECE Rec 20 code as an exact quantity (pieces when no unit).
fn quantity(n: &Value, uom: Option<&Value>) -> Option<Quantity> {
    let text = match n {
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let text = text.strip_suffix(".0").unwrap_or(&text);
    let (amount, scale) = parse_decimal(text).ok()?;
    let unit = match uom {
        None => Unit::Piece,
        Some(u) => Unit::from_code(u.as_str()?).ok()?,
    };
    Quantity::new(amount, scale, unit).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_to_quantities() {
        let q = quantity(&serde_json::json!(12.5), Some(&serde_json::json!("KGM"))).unwrap();
        assert_eq!((q.amount, q.scale, q.unit), (125, 1, Unit::Kilogram));
        assert_eq!(quantity(&serde_json::json!(200), None).map(|q| q.unit), Some(Unit::Piece));
        assert_eq!(quantity(&serde_json::json!(-1), None), None);
        assert_eq!(quantity(&serde_json::json!(1e-7), None), None);
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
