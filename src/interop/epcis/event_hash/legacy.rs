//! The event-hash canonicalizer as it was before it was made
//! allocation-light, kept frozen as the oracle of the differential test in
//! `super::tests` (random events hashed by both must give the same pre-hash
//! string). Test-only; never change it to follow the new code.
#![allow(dead_code, clippy::all, clippy::pedantic, missing_docs)]

use std::borrow::ToOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::super::uri::canonical_gs1_uri;

/// The CBV version this module's pre-hash rules implement.
pub const CBV_VERSION: &str = "CBV2.0";

/// Prefixes of the CBV 2.0 web vocabulary, by the field whose bare words they expand.
const BIZSTEP: &str = "https://ref.gs1.org/cbv/BizStep-";
const DISP: &str = "https://ref.gs1.org/cbv/Disp-";
const BTT: &str = "https://ref.gs1.org/cbv/BTT-";
const SDT: &str = "https://ref.gs1.org/cbv/SDT-";
const ER: &str = "https://ref.gs1.org/cbv/ER-";
const COMP: &str = "https://ref.gs1.org/cbv/Comp-";
/// The GS1 web vocabulary, where sensor measurement types and exceptions live.
const GS1_VOC: &str = "https://gs1.org/voc/";

/// Fields that are never part of the hash.
const IGNORED: [&str; 6] =
    ["eventID", "recordTime", "type", "errorDeclaration", "@context", "comment"];

/// Event fields hashed in the canonical order, before extensions.
const ORDERED: [&str; 20] = [
    "eventTime",
    "eventTimeZoneOffset",
    "certificationInfo",
    "parentID",
    "epcList",
    "inputEPCList",
    "childEPCs",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "action",
    "transformationID",
    "bizStep",
    "disposition",
    "persistentDisposition",
    "readPoint",
    "bizLocation",
    "sensorElementList",
];

const SENSOR_METADATA: [&str; 8] = [
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
];

const SENSOR_REPORT: [&str; 23] = [
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
];

/// What an event is hashed against: the document's JSON-LD prefixes and
/// the CBV terms its events use.
///
/// Build one per document with [`Canonicalizer::for_document`] and hash
/// each of its events with [`Canonicalizer::event_hash`].
#[derive(Clone, Debug, Default)]
pub struct Canonicalizer {
    prefixes: BTreeMap<String, String>,
    terms: BTreeSet<String>,
}

impl Canonicalizer {
    /// A canonicalizer that knows the standard EPCIS 2.0 prefixes (`gs1`,
    /// `cbv`, `epcis`, `cbvmda`) and no CBV terms yet.
    #[must_use]
    pub fn new() -> Self {
        let mut prefixes = BTreeMap::new();
        for (p, iri) in [
            ("gs1", "https://gs1.org/voc/"),
            ("cbv", "https://ref.gs1.org/cbv/"),
            ("epcis", "https://ref.gs1.org/epcis/"),
            ("cbvmda", "urn:epcglobal:cbv:mda"),
        ] {
            prefixes.insert(p.to_owned(), iri.to_owned());
        }
        Self { prefixes, terms: BTreeSet::new() }
    }

    /// The canonicalizer for an EPCIS document: its `@context` prefixes and
    /// the CBV terms of every event in its `epcisBody.eventList`.
    #[must_use]
    pub fn for_document(document: &Value) -> Self {
        let mut c = Self::new();
        if let Some(ctx) = document.get("@context") {
            c.add_context(ctx);
        }
        for event in document_events(document).unwrap_or_default() {
            c.add_terms(event);
        }
        c
    }

    /// Adds the prefixes an `@context` value defines (objects of `prefix: IRI`).
    pub fn add_context(&mut self, context: &Value) {
        match context {
            Value::Array(items) => items.iter().for_each(|i| self.add_context(i)),
            Value::Object(map) => {
                for (k, v) in map {
                    if let Some(iri) = v.as_str() {
                        self.prefixes.insert(k.clone(), iri.to_owned());
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds the CBV terms that `event` uses in its standard vocabulary fields.
    pub fn add_terms(&mut self, event: &Value) {
        let terms = self.terms_of(event);
        self.terms.extend(terms);
    }

    /// The CBV terms that `event` uses in its standard vocabulary fields.
    fn terms_of(&self, event: &Value) -> BTreeSet<String> {
        let mut terms = BTreeSet::new();
        let mut add = |v: Option<&Value>, prefix: &str| {
            if let Some(s) = v.and_then(Value::as_str)
                && let Some(t) = self.vocabulary(s, prefix)
            {
                terms.insert(t);
            }
        };
        add(event.get("bizStep"), BIZSTEP);
        add(event.get("disposition"), DISP);
        add(event.pointer("/errorDeclaration/reason"), ER);
        for key in ["set", "unset"] {
            let items = event.get("persistentDisposition").and_then(|p| p.get(key));
            for item in items.and_then(Value::as_array).into_iter().flatten() {
                add(Some(item), DISP);
            }
        }
        for (list, prefix) in
            [("bizTransactionList", BTT), ("sourceList", SDT), ("destinationList", SDT)]
        {
            for item in event.get(list).and_then(Value::as_array).into_iter().flatten() {
                add(item.get("type"), prefix);
            }
        }
        for element in as_items(event.get("sensorElementList")) {
            for report in as_items(element.get("sensorReport")) {
                add(report.get("type"), GS1_VOC);
                add(report.get("exception"), GS1_VOC);
                add(report.get("component"), COMP);
            }
        }
        terms
    }

    /// The web-vocabulary URI of a standard vocabulary value: a bare word
    /// gets `prefix`, a CURIE is expanded, a web URI stays.
    fn vocabulary(&self, value: &str, prefix: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if !value.contains(':') {
            return Some(format!("{prefix}{value}"));
        }
        let expanded = self.expand_value(value);
        (expanded.starts_with("https://ref.gs1.org/cbv/") || expanded.starts_with(GS1_VOC))
            .then_some(expanded)
    }

    fn expand_value(&self, value: &str) -> String {
        match value.split_once(':') {
            Some((p, rest)) => match self.prefixes.get(p) {
                Some(iri) => format!("{iri}{rest}"),
                None => value.to_owned(),
            },
            None => value.to_owned(),
        }
    }

    fn expand_key(&self, key: &str) -> String {
        match key.split_once(':') {
            Some((p, local)) => match self.prefixes.get(p) {
                Some(iri) => format!("{{{iri}}}{local}"),
                None => key.to_owned(),
            },
            None => key.to_owned(),
        }
    }

    /// A bare string that names exactly one CBV term of the document is that term.
    fn bare(&self, s: &str) -> String {
        let mut found = self.terms.iter().filter(|t| {
            t.strip_suffix(s).is_some_and(|head| head.ends_with('-') || head.ends_with('/'))
        });
        match (found.next(), found.next()) {
            (Some(t), None) => t.clone(),
            _ => s.to_owned(),
        }
    }

    /// The canonical form of one value (not a time).
    fn canon(&self, raw: &str) -> String {
        let v = self.expand_value(&self.bare(raw));
        let v = v.trim();
        let v = web_vocabulary(v);
        let v = python_number(&v).unwrap_or(v);
        canonical_gs1_uri(&v).unwrap_or(v)
    }

    fn scalar(&self, key: &str, v: &Value) -> Option<String> {
        let text = scalar_text(v)?;
        let lower = key.to_ascii_lowercase();
        let s = if lower.contains("time") && !lower.contains("offset") {
            canonical_time(self.bare(&text).trim())
        } else {
            self.canon(&text)
        };
        Some(s)
    }

    /// `key=value` for a scalar field in the ordered part, or nothing.
    fn field(&self, out: &mut String, key: &str, v: Option<&Value>) {
        let Some(v) = v else { return };
        match v {
            Value::Object(_) | Value::Array(_) => {
                let mut parts = self.generic(key, v);
                parts.sort();
                out.extend(parts);
            }
            _ => {
                if let Some(s) = self.scalar(key, v).filter(|s| !s.is_empty()) {
                    out.push_str(key);
                    out.push('=');
                    out.push_str(&s);
                }
            }
        }
    }

    /// `list` followed by its sorted `child=value` entries.
    fn id_list(&self, out: &mut String, list: &str, child: &str, v: Option<&Value>) {
        let items: Vec<String> = as_items(v)
            .filter_map(|item| {
                let s = self.scalar(child, item)?;
                (!s.is_empty()).then(|| format!("{child}={s}"))
            })
            .collect();
        push_sorted(out, list, items);
    }

    fn quantity_list(&self, out: &mut String, list: &str, v: Option<&Value>) {
        let items: Vec<String> = as_items(v)
            .filter_map(|q| {
                let mut s = String::new();
                for k in ["epcClass", "quantity", "uom"] {
                    self.field(&mut s, k, q.get(k));
                }
                (!s.is_empty()).then(|| format!("quantityElement{s}"))
            })
            .collect();
        push_sorted(out, list, items);
    }

    /// A business transaction, source or destination list as the reference
    /// writes it: `list` then, sorted, one string per element made of the
    /// element's first two fields in the document's order (normally `type`
    /// and the value), each `name=value` (or the bare name when empty).
    fn pair_list(&self, list: &str, v: Option<&Value>) -> Option<String> {
        let items: Vec<String> = as_items(v)
            .filter_map(|e| {
                let mut s = String::new();
                let fields = e
                    .as_object()?
                    .iter()
                    .filter(|(k, _)| !ignored_comment(k) && k.as_str() != "#text");
                for (k, v) in fields.take(2) {
                    s.push_str(k);
                    if let Some(t) = scalar_text(v).map(|t| self.canon(&t))
                        && !t.is_empty()
                    {
                        s.push('=');
                        s.push_str(&t);
                    }
                }
                (!s.is_empty()).then_some(s)
            })
            .collect();
        let mut out = String::new();
        push_sorted(&mut out, list, items);
        (!out.is_empty()).then_some(out)
    }

    /// Fields in `order`, then the object's other fields as extensions.
    fn with_extensions(&self, name: &str, obj: &Value, order: &[&str]) -> String {
        let mut s = String::new();
        for k in order {
            match obj.get(*k) {
                Some(Value::Array(items)) => {
                    let mut parts: Vec<String> = items
                        .iter()
                        .filter_map(|i| self.scalar(k, i).filter(|s| !s.is_empty()))
                        .map(|v| format!("{k}={v}"))
                        .collect();
                    parts.sort();
                    s.extend(parts);
                }
                other => self.field(&mut s, k, other),
            }
        }
        let mut ext: Vec<String> = obj
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !order.contains(&k.as_str()) && !ignored_comment(k))
            .flat_map(|(k, v)| self.generic(k, v))
            .collect();
        ext.sort();
        s.extend(ext);
        if s.is_empty() { s } else { format!("{name}{s}") }
    }

    /// The generic form of an extension element: `{ns}name=value` followed
    /// by its children, arrays as repeated elements.
    fn generic(&self, key: &str, v: &Value) -> Vec<String> {
        let name = self.expand_key(key);
        match v {
            Value::Array(items) => items.iter().flat_map(|i| self.generic(key, i)).collect(),
            Value::Object(map) => {
                let text = map.get("#text").and_then(scalar_text).map(|t| self.canon(&t));
                let children = self.children(map);
                let mut s = name;
                if let Some(t) = text.filter(|t| !t.is_empty()) {
                    s.push('=');
                    s.push_str(&t);
                }
                s.extend(children);
                std::vec![s]
            }
            scalar => {
                let mut s = name;
                if let Some(t) = scalar_text(scalar).map(|t| self.canon(&t))
                    && !t.is_empty()
                {
                    s.push('=');
                    s.push_str(&t);
                }
                std::vec![s]
            }
        }
    }

    fn children(&self, map: &Map<String, Value>) -> Vec<String> {
        let mut children: Vec<String> = map
            .iter()
            .filter(|(k, _)| {
                k.as_str() != "#text" && !ignored_comment(k) && !k.starts_with("@xmlns")
            })
            .flat_map(|(k, v)| self.generic(k, v))
            .collect();
        let keep_order =
            map.keys().any(|k| matches!(k.as_str(), "bizTransaction" | "source" | "destination"));
        if !keep_order {
            children.sort();
        }
        children
    }

    /// The pre-hash string of one event (a JSON object). The CBV terms the
    /// event itself uses are always known, whether or not the canonicalizer
    /// was built from its document.
    ///
    /// # Errors
    /// [`HashError::NotAnEvent`] when `event` is not an object with a string `type`.
    pub fn prehash(&self, event: &Value) -> Result<String, HashError> {
        let own = self.terms_of(event);
        if !own.is_subset(&self.terms) {
            let mut c = self.clone();
            c.terms.extend(own);
            return c.prehash_with_terms(event);
        }
        self.prehash_with_terms(event)
    }

    fn prehash_with_terms(&self, event: &Value) -> Result<String, HashError> {
        let obj = event.as_object().ok_or(HashError::NotAnEvent)?;
        let kind = obj.get("type").and_then(Value::as_str).ok_or(HashError::NotAnEvent)?;
        let mut s = format!("eventType={kind}");
        self.field(&mut s, "eventTime", obj.get("eventTime"));
        for k in ["eventTimeZoneOffset", "certificationInfo", "parentID"] {
            self.field(&mut s, k, obj.get(k));
        }
        self.id_list(&mut s, "epcList", "epc", obj.get("epcList"));
        self.id_list(&mut s, "inputEPCList", "epc", obj.get("inputEPCList"));
        self.id_list(&mut s, "childEPCs", "epc", obj.get("childEPCs"));
        self.quantity_list(&mut s, "quantityList", obj.get("quantityList"));
        self.quantity_list(&mut s, "childQuantityList", obj.get("childQuantityList"));
        self.quantity_list(&mut s, "inputQuantityList", obj.get("inputQuantityList"));
        self.id_list(&mut s, "outputEPCList", "epc", obj.get("outputEPCList"));
        self.quantity_list(&mut s, "outputQuantityList", obj.get("outputQuantityList"));
        for k in ["action", "transformationID", "bizStep", "disposition"] {
            self.field(&mut s, k, obj.get(k));
        }
        if let Some(p) = obj.get("persistentDisposition") {
            s.push_str(&self.with_extensions("persistentDisposition", p, &["set", "unset"]));
        }
        for k in ["readPoint", "bizLocation"] {
            if let Some(p) = obj.get(k) {
                s.push_str(&self.with_extensions(k, p, &["id"]));
            }
        }
        let elements: Vec<String> = as_items(obj.get("sensorElementList"))
            .map(|e| self.sensor_element(e))
            .filter(|e| !e.is_empty())
            .collect();
        push_sorted(&mut s, "sensorElementList", elements);
        let mut rest: Vec<String> = obj
            .iter()
            .filter(|(k, _)| {
                !ORDERED.contains(&k.as_str())
                    && !IGNORED.contains(&k.as_str())
                    && !ignored_comment(k)
            })
            .flat_map(|(k, v)| match k.as_str() {
                "bizTransactionList" | "sourceList" | "destinationList" => {
                    self.pair_list(k, Some(v)).into_iter().collect()
                }
                _ => self.generic(k, v),
            })
            .collect();
        rest.sort();
        s.extend(rest);
        Ok(s)
    }

    fn sensor_element(&self, element: &Value) -> String {
        let mut s = String::new();
        if let Some(m) = element.get("sensorMetadata") {
            s.push_str(&self.with_extensions("sensorMetadata", m, &SENSOR_METADATA));
        }
        let mut reports: Vec<String> = as_items(element.get("sensorReport"))
            .map(|r| self.with_extensions("sensorReport", r, &SENSOR_REPORT))
            .collect();
        reports.sort();
        s.extend(reports);
        let mut ext: Vec<String> = element
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| {
                !matches!(k.as_str(), "sensorMetadata" | "sensorReport") && !ignored_comment(k)
            })
            .flat_map(|(k, v)| self.generic(k, v))
            .collect();
        ext.sort();
        s.extend(ext);
        if s.is_empty() { s } else { format!("sensorElement{s}") }
    }

    /// The CBV 2.0 event hash of one event: `ni:///sha-256;<hex>?ver=CBV2.0`.
    ///
    /// # Errors
    /// As [`Canonicalizer::prehash`].
    pub fn event_hash(&self, event: &Value) -> Result<String, HashError> {
        self.prehash(event).map(|p| ni_uri(&p))
    }
}

/// The `ni:` URI of a pre-hash string.
#[must_use]
pub fn ni_uri(prehash: &str) -> String {
    let digest = Sha256::digest(prehash.as_bytes());
    let mut s = String::with_capacity(90);
    s.push_str("ni:///sha-256;");
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s.push_str("?ver=");
    s.push_str(CBV_VERSION);
    s
}

/// The event hashes of every event in an EPCIS document (see
/// [`document_events`]), in document order.
///
/// # Errors
/// [`HashError::NotADocument`] without an event list or event;
/// [`HashError::NotAnEvent`] for an event that is not an object with a `type`.
pub fn document_hashes(document: &Value) -> Result<Vec<String>, HashError> {
    let c = Canonicalizer::for_document(document);
    let events = document_events(document).ok_or(HashError::NotADocument)?;
    events.iter().map(|e| c.event_hash(e)).collect()
}

/// The events of an EPCIS document, a query document or a document of one
/// event: `epcisBody.eventList`, `epcisBody.queryResults.resultsBody.eventList`
/// or `epcisBody.event`, whichever it has, in that order of preference.
#[must_use]
pub fn document_events(document: &Value) -> Option<&[Value]> {
    let body = document.get("epcisBody")?;
    if let Some(list) = body.get("eventList") {
        return list.as_array().map(Vec::as_slice);
    }
    if let Some(list) = body.pointer("/queryResults/resultsBody/eventList") {
        return list.as_array().map(Vec::as_slice);
    }
    body.get("event").filter(|e| e.is_object()).map(core::slice::from_ref)
}

/// Why an event hash could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashError {
    /// The value is not an object with a string `type`.
    NotAnEvent,
    /// The value has no event list or event ([`document_events`]).
    NotADocument,
}

impl core::fmt::Display for HashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotAnEvent => f.write_str("not an EPCIS event: no string type"),
            Self::NotADocument => f.write_str(
                "not an EPCIS document: no epcisBody.eventList, \
                 epcisBody.queryResults.resultsBody.eventList or epcisBody.event",
            ),
        }
    }
}

impl core::error::Error for HashError {}

fn ignored_comment(k: &str) -> bool {
    k == "comment" || k == "rdfs:comment"
}

fn as_items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    let items: &[Value] = match v {
        Some(Value::Array(items)) => items,
        Some(other) => core::slice::from_ref(other),
        None => &[],
    };
    items.iter()
}

fn push_sorted(out: &mut String, name: &str, mut items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    items.sort();
    out.push_str(name);
    out.extend(items);
}

/// The text of a JSON scalar as the reference implementation reads it.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("None".to_owned()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn web_vocabulary(v: &str) -> String {
    if !v.contains("urn:epcglobal:cbv:") {
        return v.to_owned();
    }
    v.replace("urn:epcglobal:cbv:bizstep:", BIZSTEP)
        .replace("urn:epcglobal:cbv:disp:", DISP)
        .replace("urn:epcglobal:cbv:btt:", BTT)
        .replace("urn:epcglobal:cbv:sdt:", SDT)
        .replace("urn:epcglobal:cbv:er:", ER)
}

/// A value that Python's `float()` reads, written as the reference
/// implementation writes it: integral values as integers, others in
/// Python's shortest round-trip form. `None` for anything else (including
/// infinities and NaN, which it leaves as written).
#[must_use]
pub fn python_number(s: &str) -> Option<String> {
    let f = python_float(s)?;
    if !f.is_finite() {
        return None;
    }
    if f == f.trunc() {
        if f == 0.0 {
            return Some("0".to_owned());
        }
        return Some(format!("{f:.0}"));
    }
    if f.abs() < 1e-4 {
        // Python switches to exponent form below 1e-4: "1e-05", "1.5e-07".
        let e = format!("{f:e}");
        let (mantissa, exp) = e.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let sign = if exp < 0 { '-' } else { '+' };
        return Some(format!("{mantissa}e{sign}{:02}", exp.unsigned_abs()));
    }
    Some(format!("{f}"))
}

/// Python's `float()` grammar: sign, digits with single underscores
/// between them, fraction, exponent; or inf/infinity/nan.
fn python_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return Some(if lower == "nan" { f64::NAN } else { f64::INFINITY });
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let group = |g: &str| {
        !g.is_empty()
            && !g.starts_with('_')
            && !g.ends_with('_')
            && !g.contains("__")
            && g.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    };
    let int_ok = int.is_empty() || group(int);
    let frac_ok = frac.is_none_or(|f| f.is_empty() || group(f));
    let has_digits = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    let exp_ok = exponent.is_none_or(|e| group(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !(int_ok && frac_ok && has_digits && exp_ok) {
        return None;
    }
    s.replace('_', "").parse::<f64>().ok()
}

/// A timestamp in UTC with milliseconds (`2005-04-05T02:33:31.116Z`), or
/// the text as written when it is not an ISO 8601 date-time.
#[must_use]
pub fn canonical_time(text: &str) -> String {
    parse_time(text).map_or_else(
        || text.to_owned(),
        |t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.nanosecond() / 1_000_000
            )
        },
    )
}

/// Parses `YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH[:MM]]` into UTC,
/// microseconds rounded half to even to milliseconds. A time without an
/// offset is taken as UTC.
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    if y.len() != 4 || m.len() != 2 || day.len() != 2 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, day.parse().ok()?)?;
    let split = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at_checked(split)?;
    let (hms, fraction) = match clock.split_once(['.', ',']) {
        Some((hms, f)) => (hms, f),
        None => (clock, ""),
    };
    let mut parts = hms.split(':');
    let h: u32 = two_digits(parts.next()?)?;
    let min: u32 = two_digits(parts.next()?)?;
    let sec: u32 = parts.next().map_or(Some(0), two_digits)?;
    if parts.next().is_some() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let micros: u32 = {
        let mut f: String = fraction.chars().take(6).collect();
        while f.len() < 6 {
            f.push('0');
        }
        f.parse().ok()?
    };
    let offset_secs: i64 = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let z = z.get(1..)?;
            let (zh, zm) = match z.split_once(':') {
                Some((a, b)) => (a, b),
                None if z.len() == 4 => z.split_at_checked(2)?,
                None => (z, "00"),
            };
            let zh: i64 = i64::from(two_digits(zh)?);
            let zm: i64 = i64::from(two_digits(zm)?);
            sign * (zh * 3600 + zm * 60)
        }
    };
    let time = NaiveTime::from_hms_opt(h, min, sec)?;
    let local = NaiveDateTime::new(date, time);
    let millis = round_half_even(micros, 1000);
    let utc = local.checked_sub_signed(Duration::seconds(offset_secs))?;
    utc.checked_add_signed(Duration::milliseconds(i64::from(millis)))
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `value / unit` rounded half to even (Python's `round(x, -3)`).
fn round_half_even(value: u32, unit: u32) -> u32 {
    let q = value / unit;
    let r = value % unit;
    let half = unit / 2;
    if r > half || (r == half && q % 2 == 1) { q + 1 } else { q }
}
