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
use std::collections::{BTreeMap, BTreeSet};
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::event_hash::{Canonicalizer, canonical_time};
use super::export::record_from;
use super::scheme::{UriScheme, decode};
use super::uri::canonical_gs1_uri;
use crate::entry::Stamp;
use crate::model::{
    Actor, Aggregated, AggregationAction, Attached, Code, Commissioned, ContainerId, Date,
    DecommissionReason, Decommissioned, Destroyed, Digest, DocumentKind, Goods, GoodsReturned,
    GoodsShipped, Inspected, InspectionResult, InspectionStage, ItemCode, LocationId, LotId,
    LotQuantity, LotSerials, MAX_GOODS, MAX_SPANS, MaterialReceived, Packable, Packed, PartyId,
    Produced, Quantity, Record, Reference, ReturnKind, SerialRange, SerialSpan, Shipped, Station,
    Subject, Text, Timestamp, Unit, parse_decimal,
};
use crate::model::{
    Address, IdErrorKind, LocationDescribed, LocationKind, PartyDescribed, PartyRole,
    ProductDescribed, RecordKind,
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
    /// Our own party. A `shipping` event becomes a `shipped` record only
    /// when its `sourceList` names this party (owning or possessing): a
    /// partner's shipping event addressed to us is their shipment, not
    /// ours. `None`: no shipping event is ours, each is reported.
    pub own_party: Option<PartyId>,
    /// Ids of events already in the ledger (from documents imported
    /// before, see [`Import::event_ids`]): such an event is skipped and
    /// listed in [`Import::duplicates`].
    pub recorded: BTreeSet<String>,
    /// The master data the ledger already describes, as [`master_keys`]
    /// gives them for its party, location and product records. A
    /// partner's document never supersedes these: a header element about
    /// one of them is listed in [`Import::unmapped`], not imported.
    pub described: BTreeSet<String>,
}

/// The keys under which a master data record describes something, its
/// main identity and every other identity it names (`party:…`,
/// `location:…`, `product:…`, each followed by the identifier as
/// displayed); empty for any other record. What [`ImportOptions::described`]
/// holds.
#[must_use]
pub fn master_keys(record: &Record) -> Vec<String> {
    match record {
        Record::PartyDescribed(p) => core::iter::once(&p.party)
            .chain(p.also_known_as.iter())
            .map(|id| format!("party:{id}"))
            .collect(),
        Record::LocationDescribed(l) => std::vec![format!("location:{}", l.location)],
        Record::ProductDescribed(p) => core::iter::once(&p.item)
            .chain(p.also_known_as.iter())
            .map(|id| format!("product:{id}"))
            .collect(),
        _ => Vec::new(),
    }
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
            own_party: None,
            recorded: BTreeSet::new(),
            described: BTreeSet::new(),
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
    /// Every event's id, in document order: its `eventID`, or its CBV 2.0
    /// event hash when it has none (or, for a value that is no event, its
    /// JSON pointer).
    pub event_ids: Vec<String>,
    /// Events skipped because they are already recorded: an earlier event
    /// of the document, or one of [`ImportOptions::recorded`], has the same id.
    pub duplicates: Vec<Duplicate>,
}

/// An event skipped as already recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Duplicate {
    /// Its index in the event list.
    pub index: usize,
    /// The id it shares (see [`Import::event_ids`]).
    pub event_id: String,
    /// The index of the earlier event of this document with that id;
    /// `None` when the ledger already holds it from an earlier document.
    pub first: Option<usize>,
}

/// Why a document could not be imported at all. Nothing of it is to be
/// written: the whole document is checked before any record is returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// Where, as a JSON pointer (empty for the whole document): for an
    /// event, the field at fault.
    pub pointer: String,
    /// The event at fault, if one is.
    pub event: Option<EventRef>,
    /// What.
    pub kind: ImportErrorKind,
}

/// Which event of the document an [`ImportError`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventRef {
    /// Its index in the event list, from 0.
    pub index: usize,
    /// Its `eventID`, if it has one.
    pub event_id: Option<String>,
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
    /// An event breaks the EPCIS standard or says something other than the
    /// record it would become; [`ImportError::event`] names it and
    /// [`ImportError::pointer`] the field.
    InvalidEvent(EventProblem),
}

/// What is wrong with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventProblem {
    /// A field the standard requires is missing.
    Missing,
    /// `action` is not `ADD`, `OBSERVE` or `DELETE`.
    BadAction,
    /// `action` contradicts the business step (`DELETE` with `receiving`,
    /// `ADD` with `destroying`): the record would say something else.
    ActionContradictsStep,
    /// `eventTime` is not an RFC 3339 date-time.
    BadTime,
    /// `eventTimeZoneOffset` is not `+HH:MM` or `-HH:MM`.
    BadTimeZoneOffset,
    /// `uom` is not a UN/ECE Recommendation 20 code (2 or 3 of `A-Z 0-9`).
    UnknownUnit,
    /// `quantity` is not a positive number the ledger holds exactly
    /// (zero, negative, not a number, or out of range).
    BadQuantity,
    /// A list the record needs has no element (a transformation without
    /// input or output lots, an aggregation without contents).
    EmptyList,
    /// A value does not fit the record field whole (a `transformationID`
    /// longer than a work order); it is never cut short.
    TooLong,
    /// A value is not a valid code (not a string, or with control
    /// characters or edge spaces).
    BadValue,
    /// A list has more elements than the record holds.
    TooMany,
}

impl core::fmt::Display for EventProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Missing => "required field missing",
            Self::BadAction => "action is not ADD, OBSERVE or DELETE",
            Self::ActionContradictsStep => "action contradicts the bizStep",
            Self::BadTime => "not an RFC 3339 date-time",
            Self::BadTimeZoneOffset => "not a time zone offset +HH:MM or -HH:MM",
            Self::UnknownUnit => "not a UN/ECE Rec 20 unit code",
            Self::BadQuantity => "quantity is not a positive number the ledger holds exactly",
            Self::EmptyList => "empty: the record needs at least one element",
            Self::TooLong => {
                "too long for the record field (never cut short): at most 24 characters"
            }
            Self::BadValue => "not a valid code (a string without control characters)",
            Self::TooMany => "more elements than the record holds",
        })
    }
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
            ImportErrorKind::InvalidEvent(problem) => {
                if let Some(e) = &self.event {
                    write!(f, "event {}", e.index)?;
                    if let Some(id) = &e.event_id {
                        write!(f, " (eventID {id:?})")?;
                    }
                    f.write_str(", ")?;
                }
                write!(f, "field {:?}: {problem}; nothing imported", self.pointer)
            }
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
        event: None,
        kind: ImportErrorKind::NotJson { line: e.line(), column: e.column() },
    })?;
    let (list_ptr, events) = event_list(&doc)?;
    let canon = canonicalizer(&doc, events);
    let own_prefix = own_prefix(doc.get("@context"), &options.namespace);

    let mut im = Importer {
        o: options,
        out: Import::default(),
        own_prefix,
        index: 0,
        event_id: None,
        units: BTreeMap::new(),
        unit_containers: BTreeSet::new(),
    };
    im.out.digest = Digest(Sha256::digest(bytes).into());
    for (key, value) in doc.as_object().into_iter().flatten() {
        if key == "epcisHeader" {
            im.header(value);
            continue;
        }
        if !matches!(
            key.as_str(),
            "@context" | "type" | "schemaVersion" | "creationDate" | "epcisBody" | "id"
        ) {
            im.unmapped(&format!("/{}", escape(key)), "document header field");
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        let ptr = format!("{list_ptr}/{i}");
        let given = event.get("eventID").and_then(Value::as_str).map(ToOwned::to_owned);
        let id = event_id(&canon, event, &ptr);
        im.out.event_ids.push(id.clone());
        // An error declaration carries the id of the event it declares
        // wrong: it is no repeat (and is reported, not imported).
        let declaration = event.get("errorDeclaration").is_some();
        if !declaration && let Some(&first) = seen.get(&id) {
            im.out.duplicates.push(Duplicate { index: i, event_id: id, first: Some(first) });
            continue;
        }
        if !declaration && options.recorded.contains(&id) {
            im.out.duplicates.push(Duplicate { index: i, event_id: id, first: None });
            continue;
        }
        if !declaration {
            seen.insert(id, i);
        }
        im.index = i;
        im.event_id = given;
        im.check_id(&canon, &ptr, event);
        im.event(&ptr, event)?;
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

/// The event list of a document and its JSON pointer, chosen by the
/// document's type.
fn event_list(doc: &Value) -> Result<(&'static str, &[Value]), ImportError> {
    let list_ptr = match doc.get("type").and_then(Value::as_str) {
        Some("EPCISDocument") => "/epcisBody/eventList",
        Some("EPCISQueryDocument") => "/epcisBody/queryResults/resultsBody/eventList",
        _ => {
            return Err(ImportError {
                pointer: "/type".to_owned(),
                event: None,
                kind: ImportErrorKind::NotADocument,
            });
        }
    };
    let events = doc.pointer(list_ptr).and_then(Value::as_array).ok_or_else(|| ImportError {
        pointer: list_ptr.to_owned(),
        event: None,
        kind: ImportErrorKind::NoEventList,
    })?;
    Ok((list_ptr, events))
}

/// The canonicalizer for `events` of `doc`: its context and their terms.
fn canonicalizer(doc: &Value, events: &[Value]) -> Canonicalizer {
    let mut canon = Canonicalizer::new();
    if let Some(ctx) = doc.get("@context") {
        canon.add_context(ctx);
    }
    events.iter().for_each(|e| canon.add_terms(e));
    canon
}

/// The id of one event of a document: its `eventID`, else its CBV 2.0
/// event hash, else (a value that is no event) `pointer`.
fn event_id(canon: &Canonicalizer, event: &Value, pointer: &str) -> String {
    event
        .get("eventID")
        .and_then(Value::as_str)
        .map(ToOwned::to_owned)
        .or_else(|| canon.event_hash(event).ok())
        .unwrap_or_else(|| pointer.to_owned())
}

/// The ids of the events of an EPCIS document (JSON bytes), as
/// [`Import::event_ids`] gives them, whether or not the document imports
/// today: what a ledger that imported it holds. `None` when [`import`]
/// would refuse the bytes as no JSON, no EPCIS document or no event list.
#[must_use]
pub fn document_event_ids(bytes: &[u8]) -> Option<Vec<String>> {
    let doc: Value = serde_json::from_slice(bytes).ok()?;
    let (list, events) = event_list(&doc).ok()?;
    let canon = canonicalizer(&doc, events);
    Some(
        events
            .iter()
            .enumerate()
            .map(|(i, e)| event_id(&canon, e, &format!("{list}/{i}")))
            .collect(),
    )
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
    /// The event being imported: its index and `eventID`.
    index: usize,
    event_id: Option<String>,
    /// The lot of every unit commissioned by an earlier event of the
    /// document (an SGTIN does not name its lot).
    units: BTreeMap<(ItemCode, String), LotId>,
    /// The containers that earlier aggregations of the document filled
    /// with units: packing them is packing units.
    unit_containers: BTreeSet<ContainerId>,
}

/// A run of consecutive serials of one lot being rebuilt from an EPC list:
/// the text before the number, the first number, how many, the width.
struct Run {
    lot: LotId,
    prefix: String,
    first: u64,
    count: u32,
    width: u8,
    /// The serial as written, when the run is one serial that is no number.
    text: String,
}

impl Run {
    /// A run of the one serial `serial`: its trailing digits (at most 19)
    /// are the number, zero-padded to their width when they start with 0.
    fn new(lot: LotId, serial: &str) -> Self {
        let digits = serial.bytes().rev().take_while(u8::is_ascii_digit).count().min(19);
        let (prefix, number) = serial.split_at(serial.len() - digits);
        let first = number.parse::<u64>().ok();
        let width = if number.len() > 1 && number.starts_with('0') {
            u8::try_from(number.len()).unwrap_or(0)
        } else {
            0
        };
        Self {
            lot,
            prefix: prefix.to_owned(),
            first: first.unwrap_or(0),
            count: u32::from(first.is_some()),
            width,
            text: serial.to_owned(),
        }
    }

    /// Extends the run by `serial` when it is the next serial of the run.
    fn extend(&mut self, lot: &LotId, serial: &str) -> bool {
        if self.count == 0 || &self.lot != lot || self.count == u32::MAX {
            return false;
        }
        let Some(next) = self.first.checked_add(u64::from(self.count)) else { return false };
        let want = format!("{}{next:0w$}", self.prefix, w = usize::from(self.width));
        if want != serial {
            return false;
        }
        self.count += 1;
        true
    }

    /// The run as goods: one serial, or a range.
    fn span(&self) -> Option<SerialSpan> {
        if self.count <= 1 {
            return self.text.parse().ok().map(SerialSpan::One);
        }
        SerialRange::new(&self.prefix, self.first, self.count, self.width)
            .ok()
            .map(SerialSpan::Range)
    }
}

/// `items` in records of at most `N` each (at least one record).
fn chunked<T: Clone, const N: usize>(items: &[T]) -> Vec<heapless::Vec<T, N>> {
    let mut out: Vec<heapless::Vec<T, N>> =
        items.chunks(N).map(|c| heapless::Vec::from_slice(c).unwrap_or_default()).collect();
    if out.is_empty() {
        out.push(heapless::Vec::new());
    }
    out
}

/// Whether the event has a non-empty `epcList`.
fn has_epcs(e: &Map<String, Value>) -> bool {
    e.get("epcList").and_then(Value::as_array).is_some_and(|l| !l.is_empty())
}

/// The actions the EPCIS standard defines.
const ACTIONS: [&str; 3] = ["ADD", "OBSERVE", "DELETE"];

/// `+HH:MM` or `-HH:MM` with HH at most 14 and MM below 60.
fn valid_offset(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    let digits =
        |r: core::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() == 6
        && matches!(b.first(), Some(b'+' | b'-'))
        && b.get(3) == Some(&b':')
        && digits(1..3)
        && digits(4..6)
        && s.get(1..3).and_then(|h| h.parse::<u8>().ok()).is_some_and(|h| h <= 14)
        && s.get(4..6).and_then(|m| m.parse::<u8>().ok()).is_some_and(|m| m < 60)
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
    /// The error for `problem` at `pointer` in the current event.
    fn fail(&self, pointer: String, problem: EventProblem) -> ImportError {
        ImportError {
            pointer,
            event: Some(EventRef { index: self.index, event_id: self.event_id.clone() }),
            kind: ImportErrorKind::InvalidEvent(problem),
        }
    }

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

    fn event(&mut self, ptr: &str, event: &Value) -> Result<(), ImportError> {
        let Some(e) = event.as_object() else {
            self.unmapped(ptr, "event is not an object");
            return Ok(());
        };
        let time_ptr = format!("{ptr}/eventTime");
        let Some(time) = e.get("eventTime") else {
            return Err(self.fail(time_ptr, EventProblem::Missing));
        };
        let time = time
            .as_str()
            .and_then(|t| Timestamp::parse_rfc3339(&canonical_time(t)).ok())
            .ok_or_else(|| self.fail(time_ptr, EventProblem::BadTime))?;
        let offset_ptr = format!("{ptr}/eventTimeZoneOffset");
        match e.get("eventTimeZoneOffset") {
            None => return Err(self.fail(offset_ptr, EventProblem::Missing)),
            Some(v) if !valid_offset(v) => {
                return Err(self.fail(offset_ptr, EventProblem::BadTimeZoneOffset));
            }
            Some(_) => {}
        }
        let kind = e.get("type").and_then(Value::as_str).unwrap_or_default();
        let action_ptr = format!("{ptr}/action");
        let action = e.get("action");
        if matches!(
            kind,
            "ObjectEvent" | "AggregationEvent" | "TransactionEvent" | "AssociationEvent"
        ) {
            match action {
                None => return Err(self.fail(action_ptr, EventProblem::Missing)),
                Some(a) if !a.as_str().is_some_and(|a| ACTIONS.contains(&a)) => {
                    return Err(self.fail(action_ptr, EventProblem::BadAction));
                }
                Some(_) => {}
            }
        }
        let action = action.and_then(Value::as_str).unwrap_or_default();
        if e.contains_key("errorDeclaration") {
            self.unmapped(
                ptr,
                "error declaration: a correction names entries of the partner's ledger, not ours",
            );
            return Ok(());
        }
        if let Some(prefix) = &self.own_prefix
            && let Some(r) = e.get(&format!("{prefix}:record"))
            && let Some(record) = record_from(r)
            && record.kind() != RecordKind::Corrected
        {
            self.out.records.push((self.stamp(time), record));
            self.out.kept.push(ptr.to_owned());
            return Ok(());
        }
        let step = bare(
            e.get("bizStep"),
            "https://ref.gs1.org/cbv/BizStep-",
            "urn:epcglobal:cbv:bizstep:",
        );
        // The actions each mapped business step allows; another one means
        // something else than the record (DELETE: the objects cease to exist).
        let allowed: &[&str] = match (kind, step) {
            ("ObjectEvent", Some("receiving" | "shipping" | "inspecting")) => &["ADD", "OBSERVE"],
            ("ObjectEvent", Some("destroying" | "decommissioning" | "dispensing")) => {
                &["DELETE", "OBSERVE"]
            }
            ("ObjectEvent", Some("commissioning")) => &["ADD"],
            _ => &ACTIONS,
        };
        if kind == "ObjectEvent" && !allowed.contains(&action) {
            return Err(self.fail(action_ptr, EventProblem::ActionContradictsStep));
        }
        let disposition =
            bare(e.get("disposition"), "https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:");
        let units = has_epcs(e);
        let used: &[&str] = match (kind, step) {
            ("ObjectEvent", Some("commissioning")) if units => self.commissioning(ptr, e, time)?,
            ("ObjectEvent", Some("receiving")) if units && disposition == Some("returned") => {
                self.goods_returned(ptr, e, time)?
            }
            ("ObjectEvent", Some("shipping")) if units => self.goods_shipped(ptr, e, time)?,
            ("ObjectEvent", Some(step @ ("decommissioning" | "dispensing" | "destroying")))
                if units =>
            {
                self.decommissioning(ptr, e, time, step, disposition)?
            }
            // A sample taken out of the supply chain; a sampling OBSERVE
            // (the units stay) is no decommissioning.
            ("ObjectEvent", Some("sampling")) if units && action == "DELETE" => {
                self.decommissioning(ptr, e, time, "sampling", disposition)?
            }
            ("AggregationEvent", _) if action == "DELETE" || self.holds_units(e) => {
                self.aggregation(ptr, e, time, action)?
            }
            ("ObjectEvent", Some("receiving")) => self.receiving(ptr, e, time)?,
            ("ObjectEvent", Some("shipping")) => self.shipping(ptr, e, time)?,
            ("ObjectEvent", Some("inspecting")) => self.inspecting(ptr, e, time)?,
            ("ObjectEvent", Some("destroying")) => self.destroying(ptr, e, time)?,
            ("TransformationEvent", _) => self.transformation(ptr, e, time)?,
            ("AggregationEvent", _) if action == "ADD" => self.packing(ptr, e, time)?,
            _ => {
                self.unmapped(
                    ptr,
                    &format!(
                        "no record kind for a {kind} with bizStep {}",
                        step.unwrap_or("(none)")
                    ),
                );
                return Ok(());
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
        Ok(())
    }

    /// The lots and quantities of a quantity list. An element whose
    /// `epcClass` is no lot is reported; a bad `quantity` or `uom` is an error.
    fn quantities(
        &mut self,
        ptr: &str,
        list: Option<&Value>,
        need_quantity: bool,
    ) -> Result<Vec<(LotId, Option<Quantity>)>, ImportError> {
        let mut out = Vec::new();
        let Some(items) = list.and_then(Value::as_array) else { return Ok(out) };
        for (i, q) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            let quantity = match q.get("quantity") {
                None => None,
                Some(n) => Some(
                    quantity(n, q.get("uom"))
                        .map_err(|(field, problem)| self.fail(format!("{p}/{field}"), problem))?,
                ),
            };
            let Some(lot) =
                q.get("epcClass").and_then(Value::as_str).and_then(|c| self.o.scheme.parse_lot(c))
            else {
                self.unmapped(&p, "epcClass is not a lot (LGTIN or internal lot URI)");
                continue;
            };
            if need_quantity && quantity.is_none() {
                self.unmapped(&p, "no quantity");
                continue;
            }
            out.push((lot, quantity));
        }
        Ok(out)
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

    /// The order of the first business transaction of one of `types` (or
    /// the first of any type), whole. One that does not fit an order
    /// reference whole is reported and gives no order (never cut short).
    fn order(&mut self, ptr: &str, e: &Map<String, Value>, types: &[&str]) -> Option<Reference> {
        let items = e.get("bizTransactionList").and_then(Value::as_array)?;
        let pick = |(_, item): &(usize, &Value)| {
            let ty =
                bare(item.get("type"), "https://ref.gs1.org/cbv/BTT-", "urn:epcglobal:cbv:btt:");
            types.is_empty() || ty.is_some_and(|t| types.contains(&t))
        };
        let mut all = items.iter().enumerate();
        let (i, item) = all.clone().find(pick).or_else(|| all.next())?;
        let uri = item.get("bizTransaction").and_then(Value::as_str)?;
        match self.reference("order", uri) {
            Ok(order) => Some(order),
            Err(problem) => {
                self.unmapped(
                    &format!("{ptr}/bizTransactionList/{i}/bizTransaction"),
                    &format!("no order recorded: {problem}"),
                );
                None
            }
        }
    }

    /// A reference from a URI, never cut short: one of our scheme's codes of
    /// `kind`; the identifier of a CBV business transaction URN
    /// (`urn:epcglobal:cbv:bt:<GLN>:<id>`); the GDTI of a GDTI EPC URI or
    /// Digital Link; else the whole value.
    fn reference(&self, kind: &str, uri: &str) -> Result<Reference, EventProblem> {
        let code = if let Some(code) = self.o.scheme.parse_code(kind, uri) {
            code
        } else if let Some((_, id)) =
            uri.strip_prefix("urn:epcglobal:cbv:bt:").and_then(|r| r.split_once(':'))
        {
            decode(id).unwrap_or_else(|| id.to_owned())
        } else if let Some(gdti) = canonical_gs1_uri(uri)
            .and_then(|dl| dl.strip_prefix("https://id.gs1.org/253/").map(ToOwned::to_owned))
        {
            decode(&gdti).unwrap_or(gdti)
        } else {
            uri.to_owned()
        };
        Reference::new(&code).map_err(|e| match e.kind {
            IdErrorKind::TooLong { .. } => EventProblem::TooLong,
            _ => EventProblem::BadValue,
        })
    }

    fn receiving(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let lots = self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), true)?;
        let order = self.order(ptr, e, &["po", "desadv", "inv"]);
        if let Some(own) = &self.o.own_party
            && let Some(to) = self.party(ptr, e, "destinationList", "destination")
            && &to != own
        {
            self.unmapped(ptr, "receiving event of another party: the destination is not ours");
            return Ok(&[]);
        }
        let supplier =
            self.party(ptr, e, "sourceList", "source").unwrap_or_else(|| self.o.partner.clone());
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
        Ok(&["quantityList", "sourceList", "destinationList", "bizTransactionList", "disposition"])
    }

    fn shipping(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let lots = self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), true)?;
        let order = self.order(ptr, e, &["po", "inv", "desadv", "bol"]);
        let from = self.party(ptr, e, "sourceList", "source");
        if self.o.own_party.is_none() || from != self.o.own_party {
            self.unmapped(
                ptr,
                "shipping event of another party: its sourceList names no owning or possessing \
                 party that is ours (--own-party), so it is not our shipment",
            );
            return Ok(&[]);
        }
        let Some(customer) = self.party(ptr, e, "destinationList", "destination") else {
            self.unmapped(ptr, "shipping event names no destination party");
            return Ok(&[]);
        };
        let Some(order) = order else {
            self.unmapped(ptr, "shipping event names no business transaction");
            return Ok(&[]);
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
        Ok(&["quantityList", "sourceList", "destinationList", "bizTransactionList", "disposition"])
    }

    fn inspecting(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let result = match bare(
            e.get("disposition"),
            "https://ref.gs1.org/cbv/Disp-",
            "urn:epcglobal:cbv:disp:",
        ) {
            Some("conformant") => InspectionResult::Accepted,
            Some("non_conformant") => InspectionResult::Rejected,
            _ => {
                self.unmapped(ptr, "inspection without a conformant or non_conformant disposition");
                return Ok(&[]);
            }
        };
        for (lot, _) in
            self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), false)?
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
        Ok(&["quantityList", "disposition"])
    }

    fn destroying(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        for (lot, quantity) in
            self.quantities(&format!("{ptr}/quantityList"), e.get("quantityList"), true)?
        {
            let Some(quantity) = quantity else { continue };
            let reason = Text::new("EPCIS destroying").unwrap_or_default();
            let r = Destroyed { lot, quantity, reason, recall: None };
            self.out.records.push((self.stamp(time), Record::Destroyed(r)));
        }
        Ok(&["quantityList", "disposition"])
    }

    /// The lots of a quantity list into a bounded list: at least one, and
    /// no more than it holds.
    fn lot_list<const N: usize>(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        key: &str,
    ) -> Result<heapless::Vec<LotQuantity, N>, ImportError> {
        let p = format!("{ptr}/{key}");
        let mut out = heapless::Vec::new();
        for (lot, quantity) in self.quantities(&p, e.get(key), true)? {
            let Some(quantity) = quantity else { continue };
            if out.push(LotQuantity { lot, quantity }).is_err() {
                return Err(self.fail(p, EventProblem::TooMany));
            }
        }
        if out.is_empty() {
            return Err(self.fail(p, EventProblem::EmptyList));
        }
        Ok(out)
    }

    fn transformation(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let work_order = match e.get("transformationID") {
            Some(t) => {
                let p = format!("{ptr}/transformationID");
                let t = t.as_str().ok_or_else(|| self.fail(p.clone(), EventProblem::BadValue))?;
                Some(self.reference("workorder", t).map_err(|problem| self.fail(p, problem))?)
            }
            None => self.order(ptr, e, &["prodorder"]),
        };
        let Some(work_order) = work_order else {
            self.unmapped(ptr, "transformation without a transformationID or production order");
            return Ok(&[]);
        };
        let read_point = e.get("readPoint").and_then(|r| r.get("id")).and_then(Value::as_str);
        let line = read_point
            .and_then(|id| self.o.scheme.parse_code("line", id))
            .and_then(|c| Code::<24>::new(&c).ok());
        let line = match (line, read_point) {
            (Some(line), _) => line,
            (None, read_point) => {
                if read_point.is_some() {
                    self.unmapped(
                        &format!("{ptr}/readPoint"),
                        "readPoint is not one of our line URIs: the line is recorded as EPCIS",
                    );
                }
                Code::new("EPCIS").map_err(|_| self.fail(ptr.to_owned(), EventProblem::BadValue))?
            }
        };
        let expiry = e.get("ilmd").and_then(Value::as_object).and_then(|m| {
            m.iter()
                .find(|(k, _)| k.ends_with("itemExpirationDate"))
                .and_then(|(_, v)| v.as_str())
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(Date::from_naive)
        });
        let inputs = self.lot_list(ptr, e, "inputQuantityList")?;
        let outputs = self.lot_list(ptr, e, "outputQuantityList")?;
        let r = Produced { work_order, line, produced_on: time.date(), expiry, inputs, outputs };
        self.out.records.push((self.stamp(time), Record::Produced(r)));
        Ok(&[
            "transformationID",
            "bizTransactionList",
            "readPoint",
            "ilmd",
            "inputQuantityList",
            "outputQuantityList",
        ])
    }

    /// The header's master data as records (stamped at the time the
    /// document was received, before the events): parties, business
    /// locations and product classes; anything else in the header is reported.
    fn header(&mut self, header: &Value) {
        let Some(map) = header.as_object() else {
            self.unmapped("/epcisHeader", "document header field");
            return;
        };
        for (key, value) in map {
            let p = format!("/epcisHeader/{}", escape(key));
            let list = (key == "epcisMasterData")
                .then(|| value.get("vocabularyList").and_then(Value::as_array))
                .flatten();
            let Some(list) = list else {
                self.unmapped(&p, "document header field");
                continue;
            };
            for (i, vocabulary) in list.iter().enumerate() {
                let vp = format!("{p}/vocabularyList/{i}");
                let vtype = vocabulary.get("type").and_then(Value::as_str).unwrap_or_default();
                let elements = vocabulary.get("vocabularyElementList").and_then(Value::as_array);
                for (j, element) in elements.into_iter().flatten().enumerate() {
                    let ep = format!("{vp}/vocabularyElementList/{j}");
                    match self.master_record(vtype, element) {
                        Ok(record)
                            if master_keys(&record)
                                .iter()
                                .any(|k| self.o.described.contains(k)) =>
                        {
                            self.unmapped(
                                &ep,
                                "already described in this ledger: a partner's document does not supersede it",
                            );
                        }
                        Ok(record) => {
                            let stamp = self.stamp(self.o.received);
                            self.out.records.push((stamp, record));
                            self.out.kept.push(ep);
                        }
                        Err(reason) => self.unmapped(&ep, reason),
                    }
                }
            }
        }
    }

    /// One master data element as a record, or why not.
    fn master_record(&self, vtype: &str, element: &Value) -> Result<Record, &'static str> {
        let id = element.get("id").and_then(Value::as_str).ok_or("element without an id")?;
        let ns = self.o.namespace.as_str();
        let attr = |name: &str| -> Option<String> {
            element.get("attributes")?.as_array()?.iter().find_map(|a| {
                let aid = a.get("id")?.as_str()?;
                let matches = aid == name
                    || aid.strip_prefix("urn:epcglobal:cbv:mda:").is_some_and(|n| n == name)
                    || aid.strip_prefix("urn:epcglobal:cbv:mda#").is_some_and(|n| n == name)
                    || aid.strip_prefix(ns).is_some_and(|n| n == name);
                if !matches {
                    return None;
                }
                match a.get("attribute")? {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }
            })
        };
        let text = |name: &str| attr(name).unwrap_or_default();
        let address = || -> Result<Address, &'static str> {
            Ok(Address {
                street: Text::new(&text("streetAddressOne")).map_err(|_| "street too long")?,
                city: Text::new(&text("city")).map_err(|_| "city too long")?,
                postal_code: Text::new(&text("postalCode")).map_err(|_| "postal code too long")?,
                region: Text::new(&text("state")).map_err(|_| "state too long")?,
                country: Text::new(&text("countryCode")).map_err(|_| "country code too long")?,
            })
        };
        let s = &self.o.scheme;
        match vtype {
            "urn:epcglobal:epcis:vtype:Party" => {
                let party =
                    s.parse_party(id).ok_or("party id is not a GLN or internal party URI")?;
                let name = attr("name").ok_or("party without a name")?;
                let mut roles = heapless::Vec::new();
                for word in text("roles").split_whitespace() {
                    let role = [
                        PartyRole::Customer,
                        PartyRole::Supplier,
                        PartyRole::Carrier,
                        PartyRole::OwnSite,
                    ]
                    .into_iter()
                    .find(|r| super::export::role_name(*r) == word)
                    .ok_or("unknown party role")?;
                    roles.push(role).map_err(|_| "too many roles")?;
                }
                let a = address()?;
                let mut addresses = heapless::Vec::new();
                if a != Address::default() {
                    let _ = addresses.push(a);
                }
                Ok(Record::PartyDescribed(PartyDescribed {
                    party,
                    also_known_as: heapless::Vec::new(),
                    name: Text::new(&name).map_err(|_| "name too long")?,
                    roles,
                    addresses,
                    contacts: heapless::Vec::new(),
                }))
            }
            "urn:epcglobal:epcis:vtype:BusinessLocation" => {
                let location = s
                    .parse_location(id)
                    .ok_or("location id is not a GLN or internal location URI")?;
                let name = attr("name").ok_or("location without a name")?;
                let kind = match attr("kind").as_deref() {
                    None => LocationKind::Other,
                    Some(k) => [
                        LocationKind::ShipTo,
                        LocationKind::Warehouse,
                        LocationKind::Site,
                        LocationKind::Other,
                    ]
                    .into_iter()
                    .find(|x| super::export::location_kind_name(*x) == k)
                    .ok_or("unknown location kind")?,
                };
                let owner = match attr("urn:epcglobal:cbv:owning_party") {
                    Some(o) => Some(s.parse_party(&o).ok_or("owner is not a party URI")?),
                    None => None,
                };
                Ok(Record::LocationDescribed(LocationDescribed {
                    location,
                    kind,
                    name: Text::new(&name).map_err(|_| "name too long")?,
                    address: address()?,
                    owner,
                }))
            }
            "urn:epcglobal:epcis:vtype:EPCClass" => {
                let item = match s.parse_code("item", id) {
                    Some(code) => ItemCode::Internal(code.parse().map_err(|_| "bad item code")?),
                    None => {
                        let gtin = canonical_gs1_uri(id)
                            .and_then(|dl| {
                                dl.strip_prefix("https://id.gs1.org/01/").map(ToOwned::to_owned)
                            })
                            .and_then(|g| crate::model::Gtin::parse(&g).ok())
                            .ok_or("product id is not a GTIN class or internal item URI")?;
                        ItemCode::Gtin(gtin)
                    }
                };
                let description =
                    attr("descriptionShort").ok_or("product without a descriptionShort")?;
                let pack_size = match attr("netContentDescription") {
                    Some(q) => Some(
                        q.parse::<Quantity>()
                            .map_err(|_| "netContentDescription is not a quantity")?,
                    ),
                    None => None,
                };
                let shelf_life_days = match attr("shelfLifeDays") {
                    Some(d) => Some(d.parse().map_err(|_| "shelfLifeDays is not a whole number")?),
                    None => None,
                };
                Ok(Record::ProductDescribed(ProductDescribed {
                    item,
                    also_known_as: heapless::Vec::new(),
                    description: Text::new(&description).map_err(|_| "description too long")?,
                    form: Text::new(&text("dosageFormType")).map_err(|_| "form too long")?,
                    strength: Text::new(&text("strengthDescription"))
                        .map_err(|_| "strength too long")?,
                    pack_size,
                    shelf_life_days,
                    storage: Text::new(&text("storage")).map_err(|_| "storage too long")?,
                }))
            }
            _ => Err("no record kind for this vocabulary type"),
        }
    }

    /// Whether an aggregation's children name a serialized unit, or a
    /// container an earlier aggregation of the document filled with units.
    fn holds_units(&self, e: &Map<String, Value>) -> bool {
        e.get("childEPCs").and_then(Value::as_array).into_iter().flatten().any(|c| {
            c.as_str().is_some_and(|c| {
                self.o.scheme.parse_unit(c).is_some()
                    || self
                        .o
                        .scheme
                        .parse_container(c)
                        .is_some_and(|c| self.unit_containers.contains(&c))
            })
        })
    }

    /// The goods an EPC list and a quantity list name: containers, serials
    /// of units commissioned earlier in the document (consecutive serials
    /// of a lot as one range) and lot quantities. Any other EPC is reported.
    fn goods(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        epc_key: &str,
        quantity_key: &str,
    ) -> Result<Vec<Goods>, ImportError> {
        let mut out = Vec::new();
        let mut run: Option<Run> = None;
        let flush = |run: &mut Option<Run>, out: &mut Vec<Goods>| {
            if let Some(r) = run.take()
                && let Some(span) = r.span()
            {
                out.push(Goods::Serials(LotSerials { lot: r.lot, serials: span }));
            }
        };
        for (i, epc) in e.get(epc_key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            let Some(uri) = epc.as_str() else {
                self.unmapped(&format!("{ptr}/{epc_key}/{i}"), "EPC is not a string");
                continue;
            };
            if let Some(c) = self.o.scheme.parse_container(uri) {
                flush(&mut run, &mut out);
                out.push(Goods::Container(c));
                continue;
            }
            let Some((item, serial)) = self.o.scheme.parse_unit(uri) else {
                self.unmapped(
                    &format!("{ptr}/{epc_key}/{i}"),
                    "EPC is not an SSCC, SGTIN or internal container or unit URI",
                );
                continue;
            };
            let Some(lot) = self.units.get(&(item, serial.as_str().to_owned())).cloned() else {
                self.unmapped(
                    &format!("{ptr}/{epc_key}/{i}"),
                    "unit not commissioned earlier in the document: its lot is unknown",
                );
                continue;
            };
            if run.as_mut().is_some_and(|r| r.extend(&lot, serial.as_str())) {
                continue;
            }
            flush(&mut run, &mut out);
            run = Some(Run::new(lot, serial.as_str()));
        }
        flush(&mut run, &mut out);
        let p = format!("{ptr}/{quantity_key}");
        for (lot, quantity) in self.quantities(&p, e.get(quantity_key), true)? {
            if let Some(quantity) = quantity {
                out.push(Goods::Lot(LotQuantity { lot, quantity }));
            }
        }
        Ok(out)
    }

    fn commissioning(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let lot_code = e.get("ilmd").and_then(Value::as_object).and_then(|m| {
            m.iter().find(|(k, _)| k.ends_with("lotNumber")).and_then(|(_, v)| v.as_str())
        });
        let Some(lot_code) = lot_code.and_then(|l| l.parse::<crate::model::LotCode>().ok()) else {
            self.unmapped(
                ptr,
                "commissioning without an ilmd lotNumber: the units' lot is unknown",
            );
            return Ok(&[]);
        };
        // The units of each item, in document order, as runs.
        let mut by_item: Vec<(ItemCode, Vec<SerialSpan>)> = Vec::new();
        let mut run: Option<Run> = None;
        let mut item_of_run: Option<ItemCode> = None;
        let mut finish = |run: &mut Option<Run>, item: &Option<ItemCode>| {
            if let (Some(r), Some(item)) = (run.take(), item)
                && let Some(span) = r.span()
            {
                match by_item.iter_mut().find(|(i, _)| i == item) {
                    Some((_, spans)) => spans.push(span),
                    None => by_item.push((item.clone(), std::vec![span])),
                }
            }
        };
        for (i, epc) in e.get("epcList").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            let Some((item, serial)) = epc.as_str().and_then(|u| self.o.scheme.parse_unit(u))
            else {
                self.unmapped(
                    &format!("{ptr}/epcList/{i}"),
                    "EPC is not an SGTIN or internal unit URI",
                );
                continue;
            };
            let lot = LotId { item: item.clone(), lot: lot_code.clone() };
            self.units.insert((item.clone(), serial.as_str().to_owned()), lot.clone());
            if item_of_run.as_ref() == Some(&item)
                && run.as_mut().is_some_and(|r| r.extend(&lot, serial.as_str()))
            {
                continue;
            }
            finish(&mut run, &item_of_run);
            run = Some(Run::new(lot, serial.as_str()));
            item_of_run = Some(item);
        }
        finish(&mut run, &item_of_run);
        for (item, spans) in by_item {
            for serials in chunked::<_, MAX_SPANS>(&spans) {
                let lot = LotId { item: item.clone(), lot: lot_code.clone() };
                self.out
                    .records
                    .push((self.stamp(time), Record::Commissioned(Commissioned { lot, serials })));
            }
        }
        Ok(&["epcList", "ilmd", "disposition", "readPoint"])
    }

    fn aggregation(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
        action: &str,
    ) -> Result<&'static [&'static str], ImportError> {
        let Some(parent) = e
            .get("parentID")
            .and_then(Value::as_str)
            .and_then(|p| self.o.scheme.parse_container(p))
        else {
            self.unmapped(ptr, "aggregation without an SSCC or internal container parentID");
            return Ok(&[]);
        };
        let action =
            if action == "DELETE" { AggregationAction::Unpack } else { AggregationAction::Pack };
        let goods = self.goods(ptr, e, "childEPCs", "childQuantityList")?;
        if goods.is_empty() && action == AggregationAction::Pack {
            return Err(self.fail(format!("{ptr}/childEPCs"), EventProblem::EmptyList));
        }
        self.unit_containers.insert(parent.clone());
        for contents in chunked::<_, MAX_GOODS>(&goods) {
            let r = Aggregated { parent: parent.clone(), action, contents };
            self.out.records.push((self.stamp(time), Record::Aggregated(r)));
        }
        Ok(&["parentID", "childEPCs", "childQuantityList", "readPoint"])
    }

    fn goods_shipped(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let from = self.party(ptr, e, "sourceList", "source");
        if self.o.own_party.is_none() || from != self.o.own_party {
            self.unmapped(
                ptr,
                "shipping event of another party: its sourceList names no owning or possessing \
                 party that is ours (--own-party), so it is not our shipment",
            );
            return Ok(&[]);
        }
        let Some(customer) = self.party(ptr, e, "destinationList", "destination") else {
            self.unmapped(ptr, "shipping event names no destination party");
            return Ok(&[]);
        };
        let Some(order) = self.order(ptr, e, &["po", "inv", "desadv", "bol"]) else {
            self.unmapped(ptr, "shipping event names no business transaction");
            return Ok(&[]);
        };
        let ship_to = self.location(e, "destinationList", "destination");
        let goods = self.goods(ptr, e, "epcList", "quantityList")?;
        if goods.is_empty() {
            return Ok(&[]);
        }
        for goods in chunked::<_, MAX_GOODS>(&goods) {
            let r = GoodsShipped {
                customer: customer.clone(),
                ship_to: ship_to.clone(),
                order: order.clone(),
                goods,
            };
            self.out.records.push((self.stamp(time), Record::GoodsShipped(r)));
        }
        Ok(&[
            "epcList",
            "quantityList",
            "sourceList",
            "destinationList",
            "bizTransactionList",
            "disposition",
        ])
    }

    fn goods_returned(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let from =
            self.party(ptr, e, "sourceList", "source").unwrap_or_else(|| self.o.partner.clone());
        let order = self.order(ptr, e, &["po", "inv", "desadv", "rma"]);
        let goods = self.goods(ptr, e, "epcList", "quantityList")?;
        if goods.is_empty() {
            return Ok(&[]);
        }
        for goods in chunked::<_, MAX_GOODS>(&goods) {
            let r = GoodsReturned {
                from: from.clone(),
                kind: ReturnKind::Return,
                reason: Text::default(),
                complaint: None,
                order: order.clone(),
                goods,
            };
            self.out.records.push((self.stamp(time), Record::GoodsReturned(r)));
        }
        Ok(&[
            "epcList",
            "quantityList",
            "sourceList",
            "destinationList",
            "bizTransactionList",
            "disposition",
        ])
    }

    fn decommissioning(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
        step: &str,
        disposition: Option<&str>,
    ) -> Result<&'static [&'static str], ImportError> {
        let reason = match (step, disposition) {
            ("sampling", _) => DecommissionReason::Sample,
            ("destroying", _) => DecommissionReason::Destroyed,
            ("dispensing", _) => DecommissionReason::Dispensed,
            (_, Some("stolen")) => DecommissionReason::Stolen,
            (_, Some("damaged")) => DecommissionReason::Damaged,
            (_, Some("destroyed")) => DecommissionReason::Destroyed,
            (_, Some("dispensed")) => DecommissionReason::Dispensed,
            _ => DecommissionReason::Other,
        };
        let goods = self.goods(ptr, e, "epcList", "quantityList")?;
        if goods.is_empty() {
            return Ok(&[]);
        }
        for goods in chunked::<_, MAX_GOODS>(&goods) {
            let note = Text::new(&format!("EPCIS {step}")).unwrap_or_default();
            let r = Decommissioned { reason, note, recall: None, goods };
            self.out.records.push((self.stamp(time), Record::Decommissioned(r)));
        }
        Ok(&["epcList", "quantityList", "disposition"])
    }

    fn packing(
        &mut self,
        ptr: &str,
        e: &Map<String, Value>,
        time: Timestamp,
    ) -> Result<&'static [&'static str], ImportError> {
        let Some(into) = e
            .get("parentID")
            .and_then(Value::as_str)
            .and_then(|p| self.o.scheme.parse_container(p))
        else {
            self.unmapped(ptr, "aggregation without an SSCC or internal container parentID");
            return Ok(&[]);
        };
        let mut contents = heapless::Vec::new();
        for (i, child) in
            e.get("childEPCs").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            match child.as_str().and_then(|c| self.o.scheme.parse_container(c)) {
                Some(c) => {
                    if contents.push(Packable::Container(c)).is_err() {
                        return Err(self.fail(format!("{ptr}/childEPCs"), EventProblem::TooMany));
                    }
                }
                None => self.unmapped(
                    &format!("{ptr}/childEPCs/{i}"),
                    "child is not a container (serialised items have no record)",
                ),
            }
        }
        let p = format!("{ptr}/childQuantityList");
        for (lot, quantity) in self.quantities(&p, e.get("childQuantityList"), true)? {
            let Some(quantity) = quantity else { continue };
            if contents.push(Packable::Lot(LotQuantity { lot, quantity })).is_err() {
                return Err(self.fail(p, EventProblem::TooMany));
            }
        }
        if contents.is_empty() {
            return Err(self.fail(p, EventProblem::EmptyList));
        }
        let r = Packed { into, contents };
        self.out.records.push((self.stamp(time), Record::Packed(r)));
        Ok(&["parentID", "childEPCs", "childQuantityList"])
    }
}

/// A JSON number and a UN/ECE Rec 20 code as an exact, positive quantity
/// (pieces when no unit); else the field at fault and why.
fn quantity(n: &Value, uom: Option<&Value>) -> Result<Quantity, (&'static str, EventProblem)> {
    let bad = ("quantity", EventProblem::BadQuantity);
    let text = match n {
        Value::Number(n) => n.to_string(),
        _ => return Err(bad),
    };
    let text = text.strip_suffix(".0").unwrap_or(&text);
    let (amount, scale) = parse_decimal(text).map_err(|_| bad)?;
    if amount == 0 {
        return Err(bad);
    }
    let unit = match uom {
        None => Unit::Piece,
        Some(u) => {
            let code = u.as_str().filter(|c| {
                (2..=3).contains(&c.len())
                    && c.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            });
            code.and_then(|c| Unit::from_code(c).ok()).ok_or(("uom", EventProblem::UnknownUnit))?
        }
    };
    Quantity::new(amount, scale, unit).map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_to_quantities() {
        let q = quantity(&serde_json::json!(12.5), Some(&serde_json::json!("KGM"))).unwrap();
        assert_eq!((q.amount, q.scale, q.unit), (125, 1, Unit::Kilogram));
        assert_eq!(quantity(&serde_json::json!(200), None).map(|q| q.unit), Ok(Unit::Piece));
        let bad = Err(("quantity", EventProblem::BadQuantity));
        assert_eq!(quantity(&serde_json::json!(-1), None), bad);
        assert_eq!(quantity(&serde_json::json!(1e-7), None), bad);
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }

    /// Guards item 14 of issue 11: a zero quantity and a unit that is no
    /// Rec 20 code were imported as receipts.
    #[test]
    fn zero_quantities_and_unknown_units_are_refused() {
        let bad = Err(("quantity", EventProblem::BadQuantity));
        assert_eq!(quantity(&serde_json::json!(0), None), bad);
        assert_eq!(quantity(&serde_json::json!(0.0), Some(&serde_json::json!("KGM"))), bad);
        let unit = Err(("uom", EventProblem::UnknownUnit));
        for u in [serde_json::json!("kg"), serde_json::json!("KILO"), serde_json::json!(5)] {
            assert_eq!(quantity(&serde_json::json!(1), Some(&u)), unit, "{u}");
        }
    }

    #[test]
    fn time_zone_offsets() {
        for ok in ["+00:00", "-06:00", "+14:00", "+05:45"] {
            assert!(valid_offset(&serde_json::json!(ok)), "{ok}");
        }
        for bad in ["Z", "+0100", "+1:00", "+15:00", "+01:60", "01:00", "+01:00 "] {
            assert!(!valid_offset(&serde_json::json!(bad)), "{bad}");
        }
    }
}
