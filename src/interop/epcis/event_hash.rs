//! The CBV 2.0 event hash: a content-derived `eventID`
//! (`ni:///sha-256;<hex>?ver=CBV2.0`, RFC 6920) that any party can compute
//! from an event alone, whatever its serialisation or field order.
//!
//! Why: partners and regulators match events across systems by id. An id
//! derived from the content survives re-serialisation, and a changed event
//! gets a new id, so an export and a re-export of the same entry agree and
//! a tampered event does not pass as the original.
//!
//! The pre-hash string is built as GS1's reference implementation
//! (github.com/RalphTro/epcis-event-hash-generator) computes it for
//! `?ver=CBV2.0`, checked against every JSON-LD known-answer file it
//! publishes (`tests/epcis_event_hash.rs`):
//!
//! ```text
//! eventType=ObjectEvent eventTime=<UTC, ms, Z> eventTimeZoneOffset=...
//! certificationInfo= parentID=
//! epcList epc=<canonical DL> ...            (children sorted)
//! inputEPCList childEPCs quantityList childQuantityList
//! inputQuantityList outputEPCList outputQuantityList
//!   quantityElement epcClass= quantity= uom=  (elements sorted)
//! action= transformationID= bizStep= disposition=
//! persistentDisposition set= ... unset= ...
//! readPoint id= <extensions>   bizLocation id= <extensions>
//! sensorElementList sensorElement sensorMetadata ... sensorReport ...
//! then, sorted as strings: bizTransactionList type= bizTransaction= ...,
//! destinationList ..., sourceList ..., ilmd and user extensions
//! as {namespace}name=value
//! ```
//!
//! (written here with spaces; the real string has no separators). Values
//! are trimmed; bare CBV words and `urn:epcglobal:cbv:` URNs become
//! `https://ref.gs1.org/cbv/...` URIs, a sensor report's bare `type` and
//! `exception` `https://gs1.org/voc/...`; CURIEs are expanded; EPC and Digital
//! Link URIs become constrained canonical Digital Links ([`super::uri`]);
//! numbers lose trailing zeros; times become UTC with milliseconds.
//! `eventID`, `recordTime`, `errorDeclaration` and comments are not hashed,
//! so an error declaration carries the id of the event it declares wrong.
//!
//! Where the reference implementation and the standard's prose differ, the
//! reference wins (it is what partners run): the business transaction,
//! source and destination lists are sorted with the extensions instead of
//! taking their canonical place, each element's two fields keep the
//! document's order; `certificationInfo` is hashed; a bare string anywhere
//! in the document that names a vocabulary term used by the document is read
//! as that term; values that look like numbers are written as Python writes
//! them. Not followed: the reference's `ignoreFields` (a document-level list
//! of fields to skip, tied to an example domain in its code).

use core::fmt::Write as _;
use std::borrow::{Cow, ToOwned};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::format;
use std::string::{String, ToString};
use std::sync::Mutex;
use std::vec::Vec;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::uri::canonical_gs1_uri;

#[cfg(test)]
mod legacy;

/// The CBV version this module's pre-hash rules implement.
pub const CBV_VERSION: &str = "CBV2.0";

/// Prefixes of the CBV 2.0 web vocabulary, by the field whose bare words they expand.
pub(crate) const BIZSTEP: &str = "https://ref.gs1.org/cbv/BizStep-";
pub(crate) const DISP: &str = "https://ref.gs1.org/cbv/Disp-";
pub(crate) const BTT: &str = "https://ref.gs1.org/cbv/BTT-";
pub(crate) const SDT: &str = "https://ref.gs1.org/cbv/SDT-";
pub(crate) const ER: &str = "https://ref.gs1.org/cbv/ER-";
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
///
/// The pre-hash string is written into one buffer as the event is walked;
/// only the parts that must be sorted against each other are held as
/// strings of their own, and a bare string is matched against the
/// document's terms with one lookup.
#[derive(Debug, Default)]
pub struct Canonicalizer {
    prefixes: BTreeMap<String, String>,
    terms: BTreeSet<String>,
    /// Every tail of a term that follows a `-` or a `/` (how a bare string
    /// can name it), with the term, or `None` when two terms end so.
    tails: BTreeMap<String, Option<String>>,
    /// Bit `n` (`n` below 127) or bit 127 (longer) is set when some tail
    /// has that length: a string of no such length is not looked up.
    tail_lengths: u128,
    /// Bit `b` (`b` below 127) or bit 127 (any other byte) is set when some
    /// tail starts with byte `b`: a second filter before the lookup.
    tail_firsts: u128,
    /// The constrained canonical forms of web URIs met so far (a document
    /// names the same parties and lots again and again), at most
    /// [`URI_MEMO`] of them.
    uris: Mutex<HashMap<String, Option<String>>>,
}

/// The bit of [`Canonicalizer::tail_lengths`] for the length of `s`.
fn length_bit(s: &str) -> u128 {
    1 << s.len().min(127)
}

/// The bit of [`Canonicalizer::tail_firsts`] for the first byte of `s`
/// (bit 0, that of the NUL byte, for the empty string: a shared bit only
/// costs a lookup).
fn first_bit(s: &str) -> u128 {
    s.bytes().next().map_or(1, |b| 1 << b.min(127))
}

/// How many web URIs a [`Canonicalizer`] remembers the canonical form of.
const URI_MEMO: usize = 4096;

impl Clone for Canonicalizer {
    fn clone(&self) -> Self {
        Self {
            prefixes: self.prefixes.clone(),
            terms: self.terms.clone(),
            tails: self.tails.clone(),
            tail_lengths: self.tail_lengths,
            tail_firsts: self.tail_firsts,
            uris: Mutex::new(HashMap::new()),
        }
    }
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
        Self { prefixes, terms: BTreeSet::new(), ..Self::default() }
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
        let mut found = Vec::new();
        self.each_term(event, |t| found.push(t));
        for t in found {
            self.add_term(t);
        }
    }

    /// Adds the term a standard vocabulary value names (see
    /// [`Canonicalizer::add_terms`]), `prefix` being its field's vocabulary.
    pub(crate) fn add_vocabulary(&mut self, value: &str, prefix: &str) {
        if let Some(t) = self.vocabulary(value, prefix) {
            self.add_term(t);
        }
    }

    fn add_term(&mut self, term: String) {
        if self.terms.contains(&term) {
            return;
        }
        for (i, b) in term.bytes().enumerate() {
            if (b == b'-' || b == b'/')
                && let Some(tail) = term.get(i + 1..)
            {
                self.tail_lengths |= length_bit(tail);
                self.tail_firsts |= first_bit(tail);
                self.tails
                    .entry(tail.to_owned())
                    .and_modify(|t| *t = None)
                    .or_insert_with(|| Some(term.clone()));
            }
        }
        self.terms.insert(term);
    }

    /// Calls `found` with each CBV term that `event` uses in its standard
    /// vocabulary fields.
    fn each_term(&self, event: &Value, mut found: impl FnMut(String)) {
        let mut add = |v: Option<&Value>, prefix: &str| {
            if let Some(s) = v.and_then(Value::as_str)
                && let Some(t) = self.vocabulary(s, prefix)
            {
                found(t);
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
            .then(|| expanded.into_owned())
    }

    fn expand_value<'a>(&self, value: &'a str) -> Cow<'a, str> {
        if let Some((p, rest)) = value.split_once(':')
            && let Some(iri) = self.prefixes.get(p)
        {
            let mut s = String::with_capacity(iri.len() + rest.len());
            s.push_str(iri);
            s.push_str(rest);
            return Cow::Owned(s);
        }
        Cow::Borrowed(value)
    }

    pub(crate) fn expand_key_into(&self, key: &str, out: &mut String) {
        if let Some((p, local)) = key.split_once(':')
            && let Some(iri) = self.prefixes.get(p)
        {
            out.push('{');
            out.push_str(iri);
            out.push('}');
            out.push_str(local);
            return;
        }
        out.push_str(key);
    }

    /// A bare string that names exactly one CBV term of the document is that term.
    fn bare<'a>(&'a self, s: &'a str) -> &'a str {
        if self.tail_lengths & length_bit(s) == 0 || self.tail_firsts & first_bit(s) == 0 {
            return s;
        }
        match self.tails.get(s) {
            Some(Some(term)) => term,
            _ => s,
        }
    }

    /// Writes the canonical form of one value (not a time).
    fn canon_into(&self, raw: &str, out: &mut String) {
        let bare = self.bare(raw);
        // Text without a `:` that names no term (hashes, codes, names,
        // quantities: most values) has no prefix to expand, no CBV URN and
        // no GS1 URI form: it is a number or itself, trimmed.
        if !bare.contains(':') {
            let v = bare.trim();
            if !python_number_into(v, out) {
                out.push_str(v);
            }
            return;
        }
        let expanded = self.expand_value(bare);
        let v = web_vocabulary(expanded.trim());
        if !python_number_into(&v, out) {
            self.push_uri(&v, out);
        }
    }

    /// Writes the constrained canonical form of `v` if it is a GS1 URI that
    /// normalises ([`canonical_gs1_uri`]), else `v`; web URIs through the
    /// memo.
    fn push_uri(&self, v: &str, out: &mut String) {
        let web = v.starts_with("https://") || v.starts_with("http://");
        if !web {
            out.push_str(canonical_gs1_uri(v).as_deref().unwrap_or(v));
            return;
        }
        // A poisoned memo is only a slower one.
        let mut memo = self.uris.lock().ok();
        if let Some(known) = memo.as_ref().and_then(|m| m.get(v)) {
            out.push_str(known.as_deref().unwrap_or(v));
            return;
        }
        let canonical = canonical_gs1_uri(v);
        out.push_str(canonical.as_deref().unwrap_or(v));
        if let Some(m) = memo.as_mut()
            && m.len() < URI_MEMO
        {
            m.insert(v.to_owned(), canonical);
        }
    }

    /// Whether every value made of `base` and then percent-encoded text
    /// (ASCII letters and digits, `-`, `.`, `_`, `~` and `%`, none of them
    /// a `:` or a space: what [`super::scheme::encode_into`] writes) is its
    /// own canonical form, so that such values (the serial units of an
    /// export, a range of thousands at a time) are hashed as written. Each
    /// step of [`Self::canon_into`] leaves them alone: no term of the
    /// document ends so ([`Self::bare`]), the text before the first `:` is
    /// no prefix of the context, the base holds no CBV URN, it starts with
    /// a letter (no number) and ends with no space (nothing to trim), and
    /// [`canonical_gs1_uri`] keeps them ([`super::uri::keeps_serial_uris`]).
    pub(crate) fn hashes_as_written(&self, base: &str) -> bool {
        use core::ops::Bound;
        let no_term = self
            .tails
            .range::<str, _>((Bound::Included(base), Bound::Unbounded))
            .next()
            .is_none_or(|(tail, _)| !tail.starts_with(base));
        let no_prefix = base.split_once(':').is_none_or(|(p, _)| !self.prefixes.contains_key(p));
        base.starts_with(|c: char| c.is_ascii_alphabetic())
            && !base.ends_with(char::is_whitespace)
            && !base.contains("urn:epcglobal:cbv:")
            && no_term
            && no_prefix
            && super::uri::keeps_serial_uris(base)
    }

    /// `=value` when the canonical form of `raw` is not empty.
    pub(crate) fn push_value(&self, out: &mut String, raw: &str) {
        let mark = out.len();
        out.push('=');
        self.canon_into(raw, out);
        if out.len() == mark + 1 {
            out.truncate(mark);
        }
    }

    /// Writes the canonical form of the text of field `key`'s scalar value.
    fn text_into(&self, key: &str, text: &str, out: &mut String) {
        if is_time_key(key) {
            canonical_time_into(self.bare(text).trim(), out);
        } else {
            self.canon_into(text, out);
        }
    }

    /// `key=value` for a scalar field of text `text` in the ordered part,
    /// or nothing when the value's canonical form is empty.
    pub(crate) fn scalar_field(&self, out: &mut String, key: &str, text: &str) {
        let mark = out.len();
        out.push_str(key);
        out.push('=');
        let start = out.len();
        self.text_into(key, text, out);
        if out.len() == start {
            out.truncate(mark);
        }
    }

    /// `name` then `id=value` (a `readPoint` or `bizLocation` with only an
    /// `id`), or nothing when the value's canonical form is empty.
    pub(crate) fn id_field(&self, out: &mut String, name: &str, id: &str) {
        let mark = out.len();
        out.push_str(name);
        let start = out.len();
        self.scalar_field(out, "id", id);
        if out.len() == start {
            out.truncate(mark);
        }
    }

    /// `key=value` for a scalar field in the ordered part, or nothing.
    pub(crate) fn field(&self, out: &mut String, key: &str, v: Option<&Value>) {
        let Some(v) = v else { return };
        match v {
            Value::Object(_) | Value::Array(_) => {
                let mut parts = Vec::new();
                self.generic(key, v, &mut parts);
                parts.sort();
                out.extend(parts);
            }
            scalar => {
                if let Some(text) = scalar_text(scalar) {
                    self.scalar_field(out, key, &text);
                }
            }
        }
    }

    /// `key=value`, or nothing when the value is empty or not a scalar.
    fn keyed_scalar(&self, key: &str, v: &Value) -> Option<String> {
        self.keyed(key, &scalar_text(v)?)
    }

    /// `key=value` for the text of a scalar, or nothing when its canonical
    /// form is empty.
    pub(crate) fn keyed(&self, key: &str, text: &str) -> Option<String> {
        let mut s = String::with_capacity(key.len() + text.len() + 16);
        s.push_str(key);
        s.push('=');
        let start = s.len();
        self.text_into(key, text, &mut s);
        (s.len() > start).then_some(s)
    }

    /// `list` followed by its sorted `child=value` entries.
    fn id_list(&self, out: &mut String, list: &str, child: &str, v: Option<&Value>) {
        let items: Vec<String> =
            as_items(v).filter_map(|item| self.keyed_scalar(child, item)).collect();
        push_sorted(out, list, items);
    }

    fn quantity_list(&self, out: &mut String, list: &str, v: Option<&Value>) {
        const ELEMENT: &str = "quantityElement";
        let items: Vec<String> = as_items(v)
            .filter_map(|q| {
                let mut s = String::with_capacity(96);
                s.push_str(ELEMENT);
                for k in ["epcClass", "quantity", "uom"] {
                    self.field(&mut s, k, q.get(k));
                }
                (s.len() > ELEMENT.len()).then_some(s)
            })
            .collect();
        push_sorted(out, list, items);
    }

    /// A business transaction, source or destination list as the reference
    /// writes it: `list` then, sorted, one string per element made of the
    /// element's first two fields in the document's order (normally `type`
    /// and the value), each `name=value` (or the bare name when empty).
    /// Pushed to `parts` unless it has no element.
    fn pair_list(&self, list: &str, v: &Value, parts: &mut Vec<String>) {
        let items: Vec<String> = as_items(Some(v))
            .filter_map(|e| {
                let mut s = String::new();
                let fields = e
                    .as_object()?
                    .iter()
                    .filter(|(k, _)| !ignored_comment(k) && k.as_str() != "#text");
                for (k, v) in fields.take(2) {
                    s.push_str(k);
                    if let Some(t) = scalar_text(v) {
                        self.push_value(&mut s, &t);
                    }
                }
                (!s.is_empty()).then_some(s)
            })
            .collect();
        push_list(list, items, parts);
    }

    /// [`Canonicalizer::pair_list`] of elements that each hold two scalar
    /// fields, `(name, text)`, in that order.
    pub(crate) fn pair_list_of<'a>(
        &self,
        list: &str,
        elements: impl Iterator<Item = [(&'a str, &'a str); 2]>,
        parts: &mut Vec<String>,
    ) {
        let items: Vec<String> = elements
            .map(|fields| {
                let mut s = String::with_capacity(96);
                for (k, text) in fields {
                    s.push_str(k);
                    self.push_value(&mut s, text);
                }
                s
            })
            .filter(|s| !s.is_empty())
            .collect();
        push_list(list, items, parts);
    }

    /// `name`, the fields in `order`, then the object's other fields as
    /// extensions; nothing when none of them gives anything.
    fn with_extensions(&self, out: &mut String, name: &str, obj: &Value, order: &[&str]) {
        let mark = out.len();
        out.push_str(name);
        let start = out.len();
        for k in order {
            match obj.get(*k) {
                Some(Value::Array(items)) => {
                    let mut parts: Vec<String> =
                        items.iter().filter_map(|i| self.keyed_scalar(k, i)).collect();
                    parts.sort();
                    out.extend(parts);
                }
                other => self.field(out, k, other),
            }
        }
        let mut ext = Vec::new();
        for (k, v) in obj.as_object().into_iter().flatten() {
            if !order.contains(&k.as_str()) && !ignored_comment(k) {
                self.generic(k, v, &mut ext);
            }
        }
        ext.sort();
        out.extend(ext);
        if out.len() == start {
            out.truncate(mark);
        }
    }

    /// The generic form of a scalar extension of text `text`: `{ns}name=value`.
    pub(crate) fn generic_text(&self, key: &str, text: &str) -> String {
        let mut s = String::with_capacity(key.len() + text.len() + 40);
        self.generic_text_into(key, text, &mut s);
        s
    }

    /// [`Self::generic_text`], appended to `out`.
    pub(crate) fn generic_text_into(&self, key: &str, text: &str, out: &mut String) {
        self.expand_key_into(key, out);
        self.push_value(out, text);
    }

    /// The generic form of an extension element, pushed to `parts`:
    /// `{ns}name=value` followed by its children, arrays as repeated elements.
    pub(crate) fn generic(&self, key: &str, v: &Value, parts: &mut Vec<String>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| self.generic(key, i, parts)),
            Value::Object(map) => {
                let mut s = String::with_capacity(64);
                self.expand_key_into(key, &mut s);
                if let Some(t) = map.get("#text").and_then(scalar_text) {
                    self.push_value(&mut s, &t);
                }
                s.extend(self.children(map));
                parts.push(s);
            }
            scalar => {
                let mut s = String::with_capacity(64);
                self.expand_key_into(key, &mut s);
                if let Some(t) = scalar_text(scalar) {
                    self.push_value(&mut s, &t);
                }
                parts.push(s);
            }
        }
    }

    fn children(&self, map: &Map<String, Value>) -> Vec<String> {
        let mut children = Vec::new();
        for (k, v) in map {
            if k.as_str() != "#text" && !ignored_comment(k) && !k.starts_with("@xmlns") {
                self.generic(k, v, &mut children);
            }
        }
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
        let mut out = String::new();
        self.prehash_into(event, &mut out)?;
        Ok(out)
    }

    /// [`Canonicalizer::prehash`] appended to `out`, which a caller hashing
    /// many events can reuse.
    ///
    /// # Errors
    /// As [`Canonicalizer::prehash`]; `out` is then unchanged.
    pub fn prehash_into(&self, event: &Value, out: &mut String) -> Result<(), HashError> {
        let mut unknown = Vec::new();
        self.each_term(event, |t| {
            if !self.terms.contains(&t) {
                unknown.push(t);
            }
        });
        if unknown.is_empty() {
            return self.write_prehash(event, out);
        }
        let mut c = self.clone();
        for t in unknown {
            c.add_term(t);
        }
        c.write_prehash(event, out)
    }

    fn write_prehash(&self, event: &Value, s: &mut String) -> Result<(), HashError> {
        let obj = event.as_object().ok_or(HashError::NotAnEvent)?;
        let kind = obj.get("type").and_then(Value::as_str).ok_or(HashError::NotAnEvent)?;
        s.push_str("eventType=");
        s.push_str(kind);
        for k in ["eventTime", "eventTimeZoneOffset", "certificationInfo", "parentID"] {
            self.field(s, k, obj.get(k));
        }
        self.id_list(s, "epcList", "epc", obj.get("epcList"));
        self.id_list(s, "inputEPCList", "epc", obj.get("inputEPCList"));
        self.id_list(s, "childEPCs", "epc", obj.get("childEPCs"));
        self.quantity_list(s, "quantityList", obj.get("quantityList"));
        self.quantity_list(s, "childQuantityList", obj.get("childQuantityList"));
        self.quantity_list(s, "inputQuantityList", obj.get("inputQuantityList"));
        self.id_list(s, "outputEPCList", "epc", obj.get("outputEPCList"));
        self.quantity_list(s, "outputQuantityList", obj.get("outputQuantityList"));
        for k in ["action", "transformationID", "bizStep", "disposition"] {
            self.field(s, k, obj.get(k));
        }
        if let Some(p) = obj.get("persistentDisposition") {
            self.with_extensions(s, "persistentDisposition", p, &["set", "unset"]);
        }
        for k in ["readPoint", "bizLocation"] {
            if let Some(p) = obj.get(k) {
                self.with_extensions(s, k, p, &["id"]);
            }
        }
        let elements: Vec<String> = as_items(obj.get("sensorElementList"))
            .map(|e| self.sensor_element(e))
            .filter(|e| !e.is_empty())
            .collect();
        push_sorted(s, "sensorElementList", elements);
        let mut rest = Vec::new();
        for (k, v) in obj {
            let k = k.as_str();
            if ORDERED.contains(&k) || IGNORED.contains(&k) || ignored_comment(k) {
                continue;
            }
            match k {
                "bizTransactionList" | "sourceList" | "destinationList" => {
                    self.pair_list(k, v, &mut rest);
                }
                _ => self.generic(k, v, &mut rest),
            }
        }
        rest.sort();
        s.extend(rest);
        Ok(())
    }

    fn sensor_element(&self, element: &Value) -> String {
        const ELEMENT: &str = "sensorElement";
        let mut s = String::from(ELEMENT);
        if let Some(m) = element.get("sensorMetadata") {
            self.with_extensions(&mut s, "sensorMetadata", m, &SENSOR_METADATA);
        }
        let mut reports: Vec<String> = as_items(element.get("sensorReport"))
            .map(|r| {
                let mut report = String::new();
                self.with_extensions(&mut report, "sensorReport", r, &SENSOR_REPORT);
                report
            })
            .collect();
        reports.sort();
        s.extend(reports);
        let mut ext = Vec::new();
        for (k, v) in element.as_object().into_iter().flatten() {
            if !matches!(k.as_str(), "sensorMetadata" | "sensorReport") && !ignored_comment(k) {
                self.generic(k, v, &mut ext);
            }
        }
        ext.sort();
        s.extend(ext);
        if s.len() == ELEMENT.len() { String::new() } else { s }
    }

    /// The CBV 2.0 event hash of one event: `ni:///sha-256;<hex>?ver=CBV2.0`.
    ///
    /// # Errors
    /// As [`Canonicalizer::prehash`].
    pub fn event_hash(&self, event: &Value) -> Result<String, HashError> {
        let mut buffer = String::new();
        self.event_hash_with(event, &mut buffer)
    }

    /// [`Canonicalizer::event_hash`] with the pre-hash string built in
    /// `buffer` (cleared first), so that hashing many events reuses one
    /// allocation.
    ///
    /// # Errors
    /// As [`Canonicalizer::prehash`].
    pub fn event_hash_with(&self, event: &Value, buffer: &mut String) -> Result<String, HashError> {
        buffer.clear();
        self.prehash_into(event, buffer)?;
        Ok(ni_uri(buffer))
    }
}

/// The `ni:` URI of a pre-hash string.
#[must_use]
pub fn ni_uri(prehash: &str) -> String {
    let digest = Sha256::digest(prehash.as_bytes());
    let mut s = String::with_capacity(90);
    s.push_str("ni:///sha-256;");
    for b in digest.iter() {
        for nibble in [b >> 4, b & 0xf] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
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

pub(crate) fn push_sorted(out: &mut String, name: &str, mut items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    items.sort();
    out.push_str(name);
    push_all(out, &items);
}

/// Parts of a pre-hash string that are sorted before they are joined, kept
/// in one buffer (a part is a range of it) so that a part costs no
/// allocation of its own.
#[derive(Debug, Default)]
pub(crate) struct SortedParts {
    buf: String,
    ranges: Vec<core::ops::Range<usize>>,
}

impl SortedParts {
    /// Adds the part `write` appends to the buffer (nothing when it appends
    /// nothing).
    pub(crate) fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        let start = self.buf.len();
        write(&mut self.buf);
        if self.buf.len() > start {
            self.ranges.push(start..self.buf.len());
        }
    }

    /// Adds `part`.
    pub(crate) fn push(&mut self, part: &str) {
        self.push_with(|b| b.push_str(part));
    }

    /// Appends the parts to `out` in sorted order (as strings).
    pub(crate) fn join_sorted_into(&mut self, out: &mut String) {
        let buf = self.buf.as_str();
        self.ranges.sort_unstable_by(|a, b| buf.get(a.clone()).cmp(&buf.get(b.clone())));
        out.reserve(buf.len());
        for r in &self.ranges {
            out.push_str(buf.get(r.clone()).unwrap_or_default());
        }
    }
}

/// Appends every one of `items` to `out`, growing it once.
pub(crate) fn push_all(out: &mut String, items: &[String]) {
    out.reserve(items.iter().map(String::len).sum());
    for i in items {
        out.push_str(i);
    }
}

/// `list` followed by its sorted `items`, pushed to `parts` as one part,
/// unless there are no items.
fn push_list(list: &str, items: Vec<String>, parts: &mut Vec<String>) {
    let mut out = String::new();
    push_sorted(&mut out, list, items);
    if !out.is_empty() {
        parts.push(out);
    }
}

/// The text of a JSON scalar as the reference implementation reads it.
pub(crate) fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Null => Some(Cow::Borrowed("None")),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Whether a field's value is read as a time: its name holds `time` but
/// not `offset`, in any case (as the reference decides).
fn is_time_key(key: &str) -> bool {
    let holds =
        |word: &[u8]| key.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word));
    holds(b"time") && !holds(b"offset")
}

fn web_vocabulary(v: &str) -> Cow<'_, str> {
    if !v.contains("urn:epcglobal:cbv:") {
        return Cow::Borrowed(v);
    }
    Cow::Owned(
        v.replace("urn:epcglobal:cbv:bizstep:", BIZSTEP)
            .replace("urn:epcglobal:cbv:disp:", DISP)
            .replace("urn:epcglobal:cbv:btt:", BTT)
            .replace("urn:epcglobal:cbv:sdt:", SDT)
            .replace("urn:epcglobal:cbv:er:", ER),
    )
}

/// A value that Python's `float()` reads, written as the reference
/// implementation writes it: integral values as integers, others in
/// Python's shortest round-trip form. `None` for anything else (including
/// infinities and NaN, which it leaves as written).
#[must_use]
pub fn python_number(s: &str) -> Option<String> {
    // Only a digit or a point can follow the sign of a finite number
    // (infinities and NaN are left as written), so most text stops here.
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    if let Some(digits) = plain_integer(s) {
        return Some(digits.to_owned());
    }
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

/// Appends [`python_number`] of `s` to `out` when `s` is a number; false
/// (and nothing appended) when it is not. Up to 15 plain digits are
/// appended without an allocation.
fn python_number_into(s: &str, out: &mut String) -> bool {
    if let Some(digits) = plain_integer(s) {
        out.push_str(digits);
        return true;
    }
    match python_number(s) {
        Some(n) => {
            out.push_str(&n);
            true
        }
        None => false,
    }
}

/// Up to 15 plain digits, which a double holds exactly: the integer as
/// written, without leading zeros (`"0"` for zeros only).
fn plain_integer(s: &str) -> Option<&str> {
    if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = s.trim_start_matches('0');
    Some(if digits.is_empty() { "0" } else { digits })
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
    let mut out = String::with_capacity(24);
    canonical_time_into(text, &mut out);
    out
}

/// [`canonical_time`] appended to `out`.
fn canonical_time_into(text: &str, out: &mut String) {
    match parse_time(text) {
        // Writing to a String cannot fail.
        Some(t) => drop(write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1_000_000
        )),
        None => out.push_str(text),
    }
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
    // The first six digits of the fraction (all digits, checked above),
    // padded with zeros.
    let mut micros: u32 = 0;
    for i in 0..6 {
        let digit = fraction.as_bytes().get(i).map_or(0, |b| b - b'0');
        micros = micros * 10 + u32::from(digit);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_appended_as_python_number_writes_them() {
        for s in [
            "200",
            "007",
            "000",
            "0",
            "",
            "999999999999999",
            "9999999999999999",
            "23.0",
            "+1_000",
            "1e3",
            "-0",
            "abc",
            "12a",
            "1.5e-7",
            "inf",
            " 7",
        ] {
            let mut out = String::from(">");
            let appended = python_number_into(s, &mut out);
            assert_eq!(appended, python_number(s).is_some(), "{s:?}");
            assert_eq!(out, format!(">{}", python_number(s).unwrap_or_default()), "{s:?}");
        }
    }

    #[test]
    fn sorted_parts_join_in_string_order() {
        let mut parts = SortedParts::default();
        for p in ["b=2", "a=10", "", "a=1", "b=2"] {
            parts.push(p);
        }
        parts.push_with(|_| {});
        let mut out = String::from("x");
        parts.join_sorted_into(&mut out);
        assert_eq!(out, "xa=1a=10b=2b=2");
    }

    #[test]
    fn plain_text_and_terms_canonicalise_as_before() {
        // Text without a colon takes the short path: a term's tail still
        // becomes the term, numbers are Python's, the rest trimmed text.
        let mut c = Canonicalizer::new();
        c.add_vocabulary("shipping", BIZSTEP);
        let canon = |raw: &str| {
            let mut out = String::new();
            c.canon_into(raw, &mut out);
            out
        };
        assert_eq!(canon("shipping"), "https://ref.gs1.org/cbv/BizStep-shipping");
        assert_eq!(canon(" QA-OFFICE "), "QA-OFFICE");
        assert_eq!(canon("0768"), "768");
        assert_eq!(canon("Shipping"), "Shipping");
        assert_eq!(canon("cbv:BizStep-shipping"), "https://ref.gs1.org/cbv/BizStep-shipping");
    }

    #[test]
    fn numbers_as_python_writes_them() {
        assert_eq!(python_number("200").as_deref(), Some("200"));
        assert_eq!(python_number("007").as_deref(), Some("7"));
        assert_eq!(python_number("000").as_deref(), Some("0"));
        assert_eq!(python_number("999999999999999").as_deref(), Some("999999999999999"));
        assert_eq!(python_number("9999999999999999").as_deref(), Some("10000000000000000"));
        assert_eq!(python_number("23.0").as_deref(), Some("23"));
        assert_eq!(python_number("26.20").as_deref(), Some("26.2"));
        assert_eq!(python_number("+1_000").as_deref(), Some("1000"));
        assert_eq!(python_number("1e3").as_deref(), Some("1000"));
        assert_eq!(python_number("-0").as_deref(), Some("0"));
        assert_eq!(python_number("0.00001").as_deref(), Some("1e-05"));
        assert_eq!(python_number("0.0001").as_deref(), Some("0.0001"));
        assert_eq!(python_number("12345678901234567890").as_deref(), Some("12345678901234567168"));
        assert_eq!(python_number("2013-06-08"), None);
        assert_eq!(python_number("1__0"), None);
        assert_eq!(python_number("nan"), None);
        assert_eq!(python_number("."), None);
        assert_eq!(python_number("e5"), None);
    }

    #[test]
    fn times_to_utc_milliseconds() {
        assert_eq!(canonical_time("2022-02-16T20:33:31.116000-06:00"), "2022-02-17T02:33:31.116Z");
        assert_eq!(canonical_time("2019-10-21T00:05:00-06:00"), "2019-10-21T06:05:00.000Z");
        assert_eq!(canonical_time("2005-04-05T02:33:31Z"), "2005-04-05T02:33:31.000Z");
        assert_eq!(canonical_time("2020-01-01T00:00:00.0005Z"), "2020-01-01T00:00:00.000Z");
        assert_eq!(canonical_time("2020-01-01T00:00:00.0015Z"), "2020-01-01T00:00:00.002Z");
        assert_eq!(canonical_time("2020-12-31T23:59:59.9996+00:00"), "2021-01-01T00:00:00.000Z");
        assert_eq!(canonical_time("yesterday"), "yesterday");
    }
    /// A bare string is read as the document's term only when exactly one
    /// term ends so: `location` is both `BTT-location` and `SDT-location`
    /// here, so it stays as written; `receiving` names one term. Worked by
    /// hand from the rules in docs/INTEROP.md (the lists and extensions
    /// sorted after the ordered fields, `b` < `s` < `{`).
    #[test]
    fn bare_words_name_a_term_only_when_one_term_ends_so() {
        let document = serde_json::json!({
            "@context": [{ "example": "https://ex.com/" }],
            "epcisBody": { "eventList": [{
                "type": "ObjectEvent",
                "bizStep": "receiving",
                "bizTransactionList": [{ "type": "location", "bizTransaction": "x" }],
                "sourceList": [{ "type": "location", "source": "y" }],
                "example:a": "location",
                "example:b": "receiving",
            }]},
        });
        let c = Canonicalizer::for_document(&document);
        let event = &document_events(&document).unwrap()[0];
        assert_eq!(
            c.prehash(event).unwrap(),
            "eventType=ObjectEvent\
             bizStep=https://ref.gs1.org/cbv/BizStep-receiving\
             bizTransactionListtype=locationbizTransaction=x\
             sourceListtype=locationsource=y\
             {https://ex.com/}a=location\
             {https://ex.com/}b=https://ref.gs1.org/cbv/BizStep-receiving"
        );
    }

    /// Strings a hasher has to treat specially: CBV words (bare, as URNs,
    /// as CURIEs and web URIs), times in several forms, numbers, EPC and
    /// Digital Link URIs, padding, empties.
    const VALUES: [&str; 40] = [
        "receiving",
        "shipping",
        "in_progress",
        "active",
        "owning_party",
        "location",
        "po",
        "did_not_occur",
        "Disp-active",
        "cbv/BizStep-receiving",
        "urn:epcglobal:cbv:bizstep:shipping",
        "urn:epcglobal:cbv:disp:in_transit",
        "cbv:BTT-po",
        "gs1:Temperature",
        "https://ref.gs1.org/cbv/SDT-location",
        "2026-01-02T06:06:53.732Z",
        "2022-02-16T20:33:31.116000-06:00",
        "2019-10-21T00:05:00+0100",
        "2013-06-08",
        "4000",
        "12.50",
        " 7 ",
        "1e-7",
        "1_000",
        "-0.0",
        "0x1A",
        "urn:epc:id:sgtin:0614141.107346.2017",
        "urn:epc:class:lgtin:4012345.012345.998877",
        "urn:epc:id:sscc:0614141.1234567890",
        "https://id.gs1.org/417/5412345000662",
        "https://example.com/01/9520123456788/10/ABC?x=1",
        "http://id.gs1.org/01/09506000134352/10/L.1/21/7",
        "urn:lotledger:lot:RM-LINER-SIL:R260001",
        "ll:thing",
        "unknown:thing",
        "",
        "  ",
        "None",
        "true",
        "émile & co",
    ];
    /// Field names: standard, time-like, prefixed extensions, the ones the
    /// reference keeps in order or skips.
    const KEYS: [&str; 24] = [
        "eventTime",
        "eventTimeZoneOffset",
        "recordTime",
        "parentID",
        "action",
        "bizStep",
        "disposition",
        "transformationID",
        "certificationInfo",
        "ll:record",
        "ll:seq",
        "ll:startTime",
        "ll:timeOffset",
        "cbvmda:lotNumber",
        "example:ext",
        "type",
        "source",
        "bizTransaction",
        "#text",
        "@xmlns:ex",
        "comment",
        "id",
        "value",
        "uom",
    ];

    fn value_strategy() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            6 => proptest::sample::select(&VALUES[..]).prop_map(|s| Value::String(s.to_owned())),
            1 => any::<i32>().prop_map(Value::from),
            1 => (-1e9f64..1e9f64).prop_map(Value::from),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => Just(Value::Null),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(&KEYS[..]), inner), 0..4)
                    .prop_map(|pairs| Value::Object(
                        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                    )),
            ]
        })
    }

    /// Standard event fields with random values, plus random extensions.
    fn event_strategy() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        const FIELDS: [&str; 23] = [
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
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "sensorElementList",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "errorDeclaration",
        ];
        let quantity = (value_strategy(), value_strategy(), value_strategy())
            .prop_map(|(c, q, u)| serde_json::json!({ "epcClass": c, "quantity": q, "uom": u }));
        let pair = (proptest::sample::select(&KEYS[..]), value_strategy(), value_strategy())
            .prop_map(|(k, t, v)| {
                let mut m = Map::new();
                m.insert("type".to_owned(), t);
                m.insert(k.to_owned(), v);
                Value::Object(m)
            });
        let sensor =
            (value_strategy(), value_strategy(), value_strategy()).prop_map(|(t, v, x)| {
                serde_json::json!([{
                    "sensorMetadata": { "time": t, "ex:extra": x },
                    "sensorReport": [{ "type": v, "value": t, "component": x }, { "exception": v }]
                }])
            });
        let field = prop_oneof![
            3 => value_strategy(),
            1 => proptest::collection::vec(quantity, 0..3).prop_map(Value::Array),
            1 => proptest::collection::vec(pair, 0..3).prop_map(Value::Array),
            1 => sensor,
        ];
        (
            proptest::sample::select(&["ObjectEvent", "TransformationEvent"][..]),
            proptest::collection::vec((proptest::sample::select(&FIELDS[..]), field), 0..10),
            proptest::collection::vec(
                (proptest::sample::select(&KEYS[..]), value_strategy()),
                0..4,
            ),
        )
            .prop_map(|(kind, fields, extensions)| {
                let mut m = Map::new();
                m.insert("type".to_owned(), Value::String(kind.to_owned()));
                for (k, v) in fields.into_iter() {
                    m.insert(k.to_owned(), v);
                }
                for (k, v) in extensions {
                    if k != "type" {
                        m.insert(k.to_owned(), v);
                    }
                }
                Value::Object(m)
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The allocation-light canonicalizer writes the same pre-hash
        /// string as the one it replaced (frozen in `legacy`), for random
        /// documents of random events: with the document's terms and
        /// prefixes, and for an event hashed without its document.
        #[test]
        fn prehash_agrees_with_the_replaced_canonicalizer(
            events in proptest::collection::vec(event_strategy(), 1..4),
        ) {
            let document = serde_json::json!({
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                             { "ll": "urn:lotledger:epcis:" }, { "example": "https://ex.com/" }],
                "epcisBody": { "eventList": events },
            });
            let new = Canonicalizer::for_document(&document);
            let old = legacy::Canonicalizer::for_document(&document);
            let alone = Canonicalizer::new();
            let old_alone = legacy::Canonicalizer::new();
            for e in document_events(&document).unwrap_or_default() {
                proptest::prop_assert_eq!(new.prehash(e), old.prehash(e).map_err(|_| HashError::NotAnEvent));
                proptest::prop_assert_eq!(alone.prehash(e), old_alone.prehash(e).map_err(|_| HashError::NotAnEvent));
            }
        }
    }

    /// The same on every event of an export of the demo plant (the events
    /// the export's speed is measured on), including error declarations.
    #[test]
    fn demo_export_prehash_agrees_with_the_replaced_canonicalizer() {
        use crate::chain::{Anchor, Verifier};
        use crate::interop::epcis::{ExportOptions, export, ledger_entries};
        let (id, bytes) = crate::demo::ledger(3000);
        let mut index = crate::index::Index::new();
        index.ingest_bytes(&id, &bytes).unwrap();
        let verified: Vec<_> =
            Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<_, _>>().unwrap();
        let mut options = ExportOptions::new(id, crate::model::Timestamp(1_780_000_000_000));
        options.corrections = crate::interop::scope::Corrections::from_index(&index);
        let exported = export(ledger_entries(verified).unwrap(), &options);
        let new = Canonicalizer::for_document(&exported.document);
        let old = legacy::Canonicalizer::for_document(&exported.document);
        let events = document_events(&exported.document).unwrap();
        assert!(events.len() > 2000);
        assert!(events.iter().any(|e| e.get("errorDeclaration").is_some()));
        for e in events {
            assert_eq!(new.prehash(e).unwrap(), old.prehash(e).unwrap());
            assert_eq!(e["eventID"], new.event_hash(e).unwrap());
        }
    }
}
