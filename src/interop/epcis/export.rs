//! Ledger entries to an EPCIS 2.0 `EPCISDocument`, streamed.
//!
//! Each entry becomes one event (see `docs/INTEROP.md` for the table).
//! Corrections are honoured as the index decides them
//! ([`Corrections`]): the event of a voided entry carries an
//! `errorDeclaration` (its `eventID` stays, the hash ignores
//! `errorDeclaration`) naming the correction in force and the ids of the
//! replacement events as `correctiveEventIDs`; a correction itself is an
//! event of its own whose record travels in `ll:record`, so a correction
//! that a later correction voids is an error-declared event in turn, and
//! the entry it had voided is live again. Every event also carries, in the
//! lotledger extension namespace (prefix `ll`), the entry it came from
//! (`ll:entry`: ledger, sequence number, hash, actor, station) and the
//! whole record (`ll:record`), so complaints, recall steps and every field
//! EPCIS has no place for travel too.
//!
//! A whole ledger is exported in two passes over its entries, neither of
//! which keeps them: [`Plan`] learns what the event hash needs, then
//! [`EventWriter`] writes the header, each event as it is read, and the
//! closing. [`export()`] runs both over entries held in memory.

use std::borrow::ToOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::format;
use std::io::{self, Write};
use std::string::{String, ToString};
use std::vec::Vec;

use serde_json::{Map, Value, json};

use super::event_hash::Canonicalizer;
use super::scheme::UriScheme;
use crate::chain::Verified;
use crate::entry::{DecodeError, Header};
use crate::interop::scope::{Corrections, Scope, Selector};
use crate::model::{
    ComplaintRegistered, ComplaintRegisteredV1, Digest, Disposition, InspectionResult, LedgerId,
    LocationId, LotId, Packable, PartyId, Quantity, RecallStep, Record, RecordKind, Subject,
    Timestamp,
};

/// The JSON-LD context of EPCIS 2.0.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The default IRI of the lotledger extension namespace (prefix `ll`).
pub const DEFAULT_NAMESPACE: &str = "urn:lotledger:epcis:";

/// One entry to export: its header, hash and record.
pub type Entry = (Header, Digest, Record);

/// How to export.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The ledger the entries come from (named in every `ll:entry`).
    pub ledger: LedgerId,
    /// How identifiers become URIs.
    pub scheme: UriScheme,
    /// IRI of the `ll` extension namespace.
    pub namespace: String,
    /// Our own company: the source of shipments, the destination of receipts.
    pub owner: Option<PartyId>,
    /// Our site: every event's `bizLocation`.
    pub site: Option<LocationId>,
    /// The document's `creationDate` (the caller's clock).
    pub created: Timestamp,
    /// Which entries to export.
    pub scope: Scope,
    /// Which entries corrections void ([`Corrections::from_index`]); their
    /// events carry an `errorDeclaration`. None by default.
    pub corrections: Corrections,
}

impl ExportOptions {
    /// Options for ledger `ledger` with the default scheme and namespace,
    /// everything in scope, created at `created`.
    #[must_use]
    pub fn new(ledger: LedgerId, created: Timestamp) -> Self {
        Self {
            ledger,
            scheme: UriScheme::default(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            owner: None,
            site: None,
            created,
            scope: Scope::all(),
            corrections: Corrections::none(),
        }
    }
}

/// An entry in scope that the export could not represent, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// Its sequence number.
    pub seq: u64,
    /// Its record kind.
    pub kind: RecordKind,
    /// Why it was left out.
    pub reason: &'static str,
}

/// The result of [`export()`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Export {
    /// The `EPCISDocument`.
    pub document: Value,
    /// Entry sequence number to the `eventID` of its event.
    pub event_ids: BTreeMap<u64, String>,
    /// Entries in scope that have no event, with the reason.
    pub skipped: Vec<Skipped>,
}

/// The entries of verified ledger bytes, records decoded.
///
/// # Errors
/// The sequence number and error of the first record that does not decode
/// (for example a kind written by a newer version).
pub fn ledger_entries<'a>(
    verified: impl IntoIterator<Item = Verified<'a>>,
) -> Result<Vec<Entry>, (u64, DecodeError)> {
    verified
        .into_iter()
        .map(|v| {
            let record = v.record().map_err(|e| (v.header.seq, e))?;
            Ok((v.header, v.hash, record))
        })
        .collect()
}

/// Writes `entries` (in ledger order, all of `options.ledger`) as an EPCIS
/// 2.0 document, held in memory: a convenience over [`Plan`] and
/// [`EventWriter`] for small exports and tests. It keeps every entry, so
/// for a whole ledger use those two, which stream.
///
/// Entries outside `options.scope` are left out; a correction is exported
/// when the entry it corrects is. Every `eventID` is the CBV 2.0 event hash
/// of the event as written.
#[must_use]
pub fn export(entries: impl IntoIterator<Item = Entry>, options: &ExportOptions) -> Export {
    let entries: Vec<Entry> = entries.into_iter().collect();
    let ledger = options.ledger;
    let mut plan = Plan::new(options);
    for (header, hash, record) in &entries {
        plan.observe(&ledger, header, hash, record);
    }
    let mut event_ids = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut document = Value::Null;
    // Writing to memory cannot fail.
    if let Ok(mut writer) = plan.writer(Vec::new()) {
        for (header, hash, record) in &entries {
            match writer.write(&ledger, header, hash, record) {
                Ok(Written::Event(id)) => {
                    event_ids.insert(header.seq, id);
                }
                Ok(Written::Skipped(s)) => skipped.push(s),
                Ok(Written::NotSelected) | Err(_) => {}
            }
        }
        if let Ok(bytes) = writer.finish() {
            document = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        }
    }
    Export { document, event_ids, skipped }
}

/// What became of one entry given to [`EventWriter::write`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Written {
    /// Written as an event with this `eventID`.
    Event(String),
    /// Selected, but it has no EPCIS event.
    Skipped(Skipped),
    /// Outside the scope.
    NotSelected,
}

/// The first of the two passes of a streaming export: it reads every entry
/// once, in ledger order, to learn what the event hash needs before the
/// first event is written — the CBV terms the document's events use (a
/// bare word anywhere in an event is hashed as the document's term of that
/// name, see [`event_hash`](super::event_hash)) and the `eventID`s of the
/// replacements that error declarations name. It keeps the few terms and
/// the events of those replacements only.
#[derive(Debug)]
pub struct Plan<'o> {
    x: Exporter<'o>,
    selector: Selector<'o>,
    canon: Canonicalizer,
    /// Replacements of voided entries, still to be met.
    wanted: BTreeSet<(LedgerId, u64)>,
    /// Their events, without ids.
    replacements: Vec<((LedgerId, u64), Map<String, Value>)>,
}

impl<'o> Plan<'o> {
    /// A plan for an export with `options`.
    #[must_use]
    pub fn new(options: &'o ExportOptions) -> Self {
        let x = Exporter { o: options };
        let mut canon = Canonicalizer::new();
        canon.add_context(&x.context());
        Self {
            x,
            selector: Selector::new(&options.scope, &options.corrections),
            canon,
            wanted: options.corrections.replacements().collect(),
            replacements: Vec::new(),
        }
    }

    /// Reads one entry of `ledger`. Call it for every entry, in ledger order.
    pub fn observe(&mut self, ledger: &LedgerId, header: &Header, hash: &Digest, record: &Record) {
        if !self.selector.select(ledger, header.seq, header.time, record) {
            return;
        }
        let vocabulary = self.x.draft(ledger, header, hash, record, &BTreeMap::new(), false);
        if let Ok(event) = vocabulary {
            self.canon.add_terms(&Value::Object(event));
        }
        if self.wanted.remove(&(*ledger, header.seq))
            && let Ok(event) = self.x.draft(ledger, header, hash, record, &BTreeMap::new(), true)
        {
            self.replacements.push(((*ledger, header.seq), event));
        }
    }

    /// The writer of the second pass, on `out`; the document's header is
    /// written at once.
    ///
    /// # Errors
    /// The I/O error of `out`.
    pub fn writer<W: Write>(self, mut out: W) -> io::Result<EventWriter<'o, W>> {
        let mut ids = BTreeMap::new();
        for (at, event) in self.replacements {
            if let Ok(id) = self.canon.event_hash(&Value::Object(event)) {
                ids.insert(at, id);
            }
        }
        let o = self.x.o;
        out.write_all(b"{\"@context\":")?;
        serde_json::to_writer(&mut out, &self.x.context())?;
        out.write_all(b",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":")?;
        serde_json::to_writer(&mut out, &o.created.to_string())?;
        out.write_all(b",\"epcisBody\":{\"eventList\":[")?;
        Ok(EventWriter {
            x: self.x,
            selector: Selector::new(&o.scope, &o.corrections),
            canon: self.canon,
            replacement_ids: ids,
            out,
            events: 0,
        })
    }
}

/// The second pass of a streaming export ([`Plan::writer`]): each entry's
/// event is written as soon as it is read, so memory stays the same
/// whatever the ledger's size.
#[derive(Debug)]
pub struct EventWriter<'o, W> {
    x: Exporter<'o>,
    selector: Selector<'o>,
    canon: Canonicalizer,
    replacement_ids: BTreeMap<(LedgerId, u64), String>,
    out: W,
    events: u64,
}

impl<W: Write> EventWriter<'_, W> {
    /// Writes the event of one entry of `ledger`, if it is selected. Give
    /// it the same entries, in the same order, as the [`Plan`].
    ///
    /// # Errors
    /// The I/O error of the output.
    pub fn write(
        &mut self,
        ledger: &LedgerId,
        header: &Header,
        hash: &Digest,
        record: &Record,
    ) -> io::Result<Written> {
        if !self.selector.select(ledger, header.seq, header.time, record) {
            return Ok(Written::NotSelected);
        }
        let event = match self.x.draft(ledger, header, hash, record, &self.replacement_ids, true) {
            Ok(event) => Value::Object(event),
            Err(reason) => {
                return Ok(Written::Skipped(Skipped {
                    seq: header.seq,
                    kind: record.kind(),
                    reason,
                }));
            }
        };
        let id = self.canon.event_hash(&event).unwrap_or_default();
        let Value::Object(event) = event else { return Ok(Written::NotSelected) };
        let event = with_id(event, id.clone());
        self.out.write_all(if self.events == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &event)?;
        self.events += 1;
        Ok(Written::Event(id))
    }

    /// How many events have been written.
    #[must_use]
    pub const fn events(&self) -> u64 {
        self.events
    }

    /// Closes the document and hands back the output, flushed.
    ///
    /// # Errors
    /// The I/O error of the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"\n]}}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `type` and `eventID` first, then the rest in order.
fn with_id(event: Map<String, Value>, id: String) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(t) = event.get("type") {
        out.insert("type".to_owned(), t.clone());
    }
    out.insert("eventID".to_owned(), Value::String(id));
    for (k, v) in event {
        if k != "type" {
            out.insert(k, v);
        }
    }
    out
}

#[derive(Debug)]
struct Exporter<'o> {
    o: &'o ExportOptions,
}

/// A `(key, value)` list as a JSON object, in order.
fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

impl Exporter<'_> {
    /// The event of one entry, without its `eventID`: with `extensions`, its
    /// `ll:entry` and `ll:record`; when a correction in force voids the entry,
    /// with an `errorDeclaration` naming the earliest such correction and the
    /// `eventID`s (from `ids`) of its replacements.
    fn draft(
        &self,
        ledger: &LedgerId,
        header: &Header,
        hash: &Digest,
        record: &Record,
        ids: &BTreeMap<(LedgerId, u64), String>,
        extensions: bool,
    ) -> Result<Map<String, Value>, &'static str> {
        if let Record::Checkpointed(_) = record {
            // A ledger's own anchor, not a traceability event: EPCIS has none.
            return Err("a checkpoint entry: the ledger's own anchor, not a traceability event");
        }
        let mut event = self
            .event(ledger, header, hash, record, extensions)
            .ok_or("time outside years 0000 to 9999 or unknown kind")?;
        if let Some(voider) =
            self.o.corrections.voided_by(ledger, header.seq).and_then(<[_]>::first)
        {
            let time =
                self.time(voider.time).ok_or("correction time outside years 0000 to 9999")?;
            let reason =
                if voider.replacements.is_empty() { "did_not_occur" } else { "incorrect_data" };
            let mut decl = Map::new();
            decl.insert("declarationTime".to_owned(), Value::String(time));
            decl.insert("reason".to_owned(), Value::String(reason.to_owned()));
            let corrective: Vec<Value> = voider
                .replacements
                .iter()
                .filter_map(|r| ids.get(&(*ledger, *r)).cloned().map(Value::String))
                .collect();
            if !corrective.is_empty() {
                decl.insert("correctiveEventIDs".to_owned(), Value::Array(corrective));
            }
            decl.insert(
                "ll:correction".to_owned(),
                obj([
                    ("ll:ledger", Value::String(ledger.to_string())),
                    ("ll:seq", Value::String(voider.seq.to_string())),
                ]),
            );
            event.insert("errorDeclaration".to_owned(), Value::Object(decl));
        }
        Ok(event)
    }

    fn context(&self) -> Value {
        json!([EPCIS_CONTEXT, { "ll": self.o.namespace }, { "cbvmda": "urn:epcglobal:cbv:mda:" }])
    }

    fn time(&self, t: Timestamp) -> Option<String> {
        use chrono::Datelike;
        let dt = t.to_datetime()?;
        (0..=9999).contains(&dt.year()).then(|| t.to_string())
    }

    fn entry(&self, ledger: &LedgerId, header: &Header, hash: &Digest) -> Value {
        obj([
            ("ll:ledger", Value::String(ledger.to_string())),
            ("ll:seq", Value::String(header.seq.to_string())),
            ("ll:hash", Value::String(hash.to_string())),
            ("ll:actor", Value::String(header.actor.to_string())),
            ("ll:station", Value::String(header.station.to_string())),
        ])
    }

    fn class(&self, lot: &LotId, quantity: Option<&Quantity>) -> Value {
        let mut m = Map::new();
        m.insert("epcClass".to_owned(), Value::String(self.o.scheme.lot(lot)));
        if let Some(q) = quantity {
            m.insert("quantity".to_owned(), number(q));
            m.insert("uom".to_owned(), Value::String(q.unit.code().to_owned()));
        }
        Value::Object(m)
    }

    fn order(&self, kind: &str, order: &str) -> Value {
        obj([("type", json!(kind)), ("bizTransaction", json!(self.o.scheme.code("order", order)))])
    }

    fn party(&self, role: &str, key: &str, party: &PartyId) -> Value {
        obj([("type", json!(role)), (key, json!(self.o.scheme.party(party)))])
    }

    fn location(&self, key: &str, location: &LocationId) -> Value {
        obj([("type", json!("location")), (key, json!(self.o.scheme.location(location)))])
    }

    /// The event of one entry, without its `eventID`.
    fn event(
        &self,
        ledger: &LedgerId,
        header: &Header,
        hash: &Digest,
        record: &Record,
        extensions: bool,
    ) -> Option<Map<String, Value>> {
        let time = self.time(header.time)?;
        let s = &self.o.scheme;
        let mut e = Map::new();
        let mut put = |k: &str, v: Value| {
            e.insert(k.to_owned(), v);
        };
        let (event_type, action) = match record {
            Record::Produced(_) => ("TransformationEvent", None),
            Record::Packed(_) => ("AggregationEvent", Some("ADD")),
            Record::Destroyed(_) => ("ObjectEvent", Some("DELETE")),
            _ => ("ObjectEvent", Some("OBSERVE")),
        };
        put("type", json!(event_type));
        put("eventTime", json!(time));
        put("eventTimeZoneOffset", json!("+00:00"));
        let mut quantities: Vec<Value> = Vec::new();
        let mut biz_step = None;
        let mut disposition = None;
        let mut transactions: Vec<Value> = Vec::new();
        let mut sources: Vec<Value> = Vec::new();
        let mut destinations: Vec<Value> = Vec::new();
        let mut body: Vec<(&str, Value)> = Vec::new();
        match record {
            Record::MaterialReceived(r) => {
                quantities.push(self.class(&r.lot, Some(&r.quantity)));
                biz_step = Some("receiving");
                disposition = Some("in_progress");
                if let Some(o) = &r.order {
                    transactions.push(self.order("po", o.as_str()));
                }
                sources.push(self.party("owning_party", "source", &r.supplier));
                if let Some(owner) = &self.o.owner {
                    destinations.push(self.party("owning_party", "destination", owner));
                }
            }
            Record::Inspected(r) => {
                quantities.push(self.class(&r.lot, None));
                biz_step = Some("inspecting");
                disposition = Some(match r.result {
                    InspectionResult::Rejected => "non_conformant",
                    InspectionResult::Accepted | InspectionResult::Conditional => "conformant",
                });
            }
            Record::Produced(r) => {
                let inputs: Vec<Value> =
                    r.inputs.iter().map(|q| self.class(&q.lot, Some(&q.quantity))).collect();
                let outputs: Vec<Value> =
                    r.outputs.iter().map(|q| self.class(&q.lot, Some(&q.quantity))).collect();
                if !inputs.is_empty() {
                    body.push(("inputQuantityList", Value::Array(inputs)));
                }
                if !outputs.is_empty() {
                    body.push(("outputQuantityList", Value::Array(outputs)));
                }
                body.push(("transformationID", json!(s.code("workorder", r.work_order.as_str()))));
                biz_step = Some("commissioning");
                transactions.push(obj([
                    ("type", json!("prodorder")),
                    ("bizTransaction", json!(s.code("workorder", r.work_order.as_str()))),
                ]));
            }
            Record::DispositionSet(r) => {
                quantities.push(self.class(&r.lot, None));
                disposition = Some(match r.status {
                    Disposition::Released => "active",
                    Disposition::Quarantine | Disposition::OnHold => "non_sellable_other",
                    Disposition::Rejected => "non_conformant",
                });
            }
            Record::Packed(r) => {
                body.push(("parentID", json!(s.container(&r.into))));
                let children: Vec<Value> = r
                    .contents
                    .iter()
                    .filter_map(|c| match c {
                        Packable::Container(c) => Some(json!(s.container(c))),
                        Packable::Lot(_) => None,
                    })
                    .collect();
                let lots: Vec<Value> = r
                    .contents
                    .iter()
                    .filter_map(|c| match c {
                        Packable::Lot(q) => Some(self.class(&q.lot, Some(&q.quantity))),
                        Packable::Container(_) => None,
                    })
                    .collect();
                if !children.is_empty() {
                    body.push(("childEPCs", Value::Array(children)));
                }
                if !lots.is_empty() {
                    body.push(("childQuantityList", Value::Array(lots)));
                }
                biz_step = Some("packing");
            }
            Record::Shipped(r) => {
                quantities.push(self.class(&r.lot, Some(&r.quantity)));
                biz_step = Some("shipping");
                disposition = Some("in_transit");
                transactions.push(self.order("po", r.order.as_str()));
                if let Some(owner) = &self.o.owner {
                    sources.push(self.party("owning_party", "source", owner));
                }
                if let Some(site) = &self.o.site {
                    sources.push(self.location("source", site));
                }
                destinations.push(self.party("owning_party", "destination", &r.customer));
                if let Some(to) = &r.ship_to {
                    destinations.push(self.location("destination", to));
                }
            }
            Record::Delivered(r) => {
                body.push(("epcList", json!([])));
                biz_step = Some("accepting");
                transactions.push(self.order("po", r.order.as_str()));
                destinations.push(self.party("owning_party", "destination", &r.customer));
            }
            Record::Returned(r) => {
                quantities.push(self.class(&r.lot, Some(&r.quantity)));
                biz_step = Some("receiving");
                disposition = Some("returned");
                if let Some(o) = &r.order {
                    transactions.push(self.order("po", o.as_str()));
                }
                sources.push(self.party("owning_party", "source", &r.from));
            }
            Record::ComplaintRegistered(ComplaintRegistered { lot, quantity, .. })
            | Record::ComplaintRegisteredV1(ComplaintRegisteredV1 { lot, quantity, .. }) => {
                match lot {
                    Some(lot) => quantities.push(self.class(lot, quantity.as_ref())),
                    None => body.push(("epcList", json!([]))),
                }
            }
            // A correction is a ledger record with no EPCIS counterpart of
            // its own: it travels in `ll:record`; the entry it voids carries
            // the `errorDeclaration`.
            Record::ComplaintProgress(_) | Record::Corrected(_) => {
                body.push(("epcList", json!([])));
            }
            Record::Attached(a) => match &a.subject {
                Subject::Lot(lot) => quantities.push(self.class(lot, None)),
                _ => body.push(("epcList", json!([]))),
            },
            Record::RecallOpened(r) => {
                quantities.extend(r.lots.iter().map(|l| self.class(l, None)));
                disposition = Some("recalled");
            }
            Record::RecallAction(r) => match &r.step {
                RecallStep::Retrieved { customer, lot, quantity } => {
                    quantities.push(self.class(lot, Some(quantity)));
                    biz_step = Some("receiving");
                    disposition = Some("recalled");
                    sources.push(self.party("owning_party", "source", customer));
                }
                RecallStep::CustomerNotified { customer } => {
                    body.push(("epcList", json!([])));
                    destinations.push(self.party("owning_party", "destination", customer));
                }
                _ => body.push(("epcList", json!([]))),
            },
            Record::Destroyed(r) => {
                quantities.push(self.class(&r.lot, Some(&r.quantity)));
                biz_step = Some("destroying");
                disposition = Some("destroyed");
            }
            _ => return None,
        }
        for (k, v) in body.iter().filter(|(k, _)| *k == "parentID" || *k == "epcList") {
            put(k, v.clone());
        }
        if !quantities.is_empty() {
            put("quantityList", Value::Array(quantities));
        }
        for (k, v) in body.iter().filter(|(k, _)| *k != "parentID" && *k != "epcList") {
            put(k, v.clone());
        }
        if let Some(a) = action {
            put("action", json!(a));
        }
        if let Some(b) = biz_step {
            put("bizStep", json!(b));
        }
        if let Some(d) = disposition {
            put("disposition", json!(d));
        }
        put("readPoint", json!({ "id": s.code("station", header.station.as_str()) }));
        if let Some(site) = &self.o.site {
            put("bizLocation", json!({ "id": s.location(site) }));
        }
        if !transactions.is_empty() {
            put("bizTransactionList", Value::Array(transactions));
        }
        if !sources.is_empty() {
            put("sourceList", Value::Array(sources));
        }
        if !destinations.is_empty() {
            put("destinationList", Value::Array(destinations));
        }
        if let Record::Produced(r) = record
            && let Some(expiry) = r.expiry
        {
            put("ilmd", json!({ "cbvmda:itemExpirationDate": expiry.to_string() }));
        }
        if extensions {
            put("ll:entry", self.entry(ledger, header, hash));
            put("ll:record", prefixed(serde_json::to_value(record).unwrap_or_default()));
        }
        Some(e)
    }
}

/// A quantity as an exact JSON number.
fn number(q: &Quantity) -> Value {
    if q.scale == 0 {
        return json!(q.amount);
    }
    let text = q.to_string();
    let digits = text.split(' ').next().unwrap_or("0");
    digits.parse::<f64>().ok().map_or(Value::Null, |f| json!(f))
}

/// A record's JSON form with every key in the `ll` namespace, nulls
/// dropped and booleans as strings, so that no key collides with an EPCIS
/// field and every hasher reads it alike.
fn prefixed(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (format!("ll:{k}"), prefixed(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prefixed).collect()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other,
    }
}

/// The record an `ll:record` value holds (the inverse of the export's
/// form): keys unprefixed, and, if the record does not read as it is,
/// `"true"`/`"false"` read back as booleans.
pub(crate) fn record_from(v: &Value) -> Option<Record> {
    serde_json::from_value(unprefixed(v, false))
        .or_else(|_| serde_json::from_value(unprefixed(v, true)))
        .ok()
}

fn unprefixed(v: &Value, bools: bool) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.strip_prefix("ll:").unwrap_or(k).to_owned(), unprefixed(v, bools)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| unprefixed(i, bools)).collect()),
        Value::String(s) if bools && (s == "true" || s == "false") => Value::Bool(s == "true"),
        other => other.clone(),
    }
}
