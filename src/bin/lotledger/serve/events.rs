//! The EPCIS event table and the query side of the REST bindings: `GET
//! /events` with the standard parameters and pagination, one event by id,
//! and the top-level discovery resources.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use lotledger::model::Timestamp;

/// One event as the repository serves it, with the fields queries filter on.
pub struct Row {
    /// The event as JSON text: kept as text, not as a tree, because a tree
    /// takes several times the memory.
    pub json: Arc<str>,
    /// The prefixes of the document a captured event came in (the object
    /// parts of its `@context`), which the query document must define too.
    pub prefixes: Option<Arc<serde_json::Map<String, Value>>>,
    pub id: String,
    pub event_type: String,
    /// Milliseconds since the epoch; `None` when the event has no readable time.
    pub event_time: Option<i64>,
    pub record_time: i64,
    pub action: Option<String>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    /// Every EPC the event names (`epcList`, `parentID`, `childEPCs`,
    /// `inputEPCList`, `outputEPCList`).
    pub epcs: Vec<String>,
    /// The EPCs `MATCH_epc` looks at: `epcList` and `childEPCs`.
    pub direct_epcs: Vec<String>,
    /// Every `epcClass` of its quantity lists.
    pub epc_classes: Vec<String>,
    /// `(type as a bare CBV word or URI, value)`.
    pub biz_transactions: Vec<(String, String)>,
    pub transformation_id: Option<String>,
}

/// The last part of a CBV term, whatever form it is written in
/// (`shipping`, `urn:epcglobal:cbv:bizstep:shipping`,
/// `https://ref.gs1.org/cbv/BizStep-shipping`).
pub fn cbv_word(value: &str) -> String {
    for prefix in [
        "https://ref.gs1.org/cbv/BizStep-",
        "https://ref.gs1.org/cbv/Disp-",
        "https://ref.gs1.org/cbv/BTT-",
        "https://ref.gs1.org/cbv/SDT-",
        "urn:epcglobal:cbv:bizstep:",
        "urn:epcglobal:cbv:disp:",
        "urn:epcglobal:cbv:btt:",
        "urn:epcglobal:cbv:sdt:",
        "cbv:BizStep-",
        "cbv:Disp-",
        "cbv:BTT-",
    ] {
        if let Some(w) = value.strip_prefix(prefix) {
            return w.to_owned();
        }
    }
    value.to_owned()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn time_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis())
}

impl Row {
    /// The row of `event`, whose id is `id`, recorded at `recorded`.
    pub fn new(event: Value, id: String, recorded: Timestamp) -> Self {
        let strings = |key: &str| -> Vec<String> {
            event
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut direct = strings("epcList");
        direct.extend(strings("childEPCs"));
        let mut epcs = direct.clone();
        epcs.extend(text(&event, "parentID"));
        epcs.extend(strings("inputEPCList"));
        epcs.extend(strings("outputEPCList"));
        let mut classes = Vec::new();
        for key in ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"]
        {
            if let Some(list) = event.get(key).and_then(Value::as_array) {
                classes.extend(list.iter().filter_map(|q| text(q, "epcClass")));
            }
        }
        let biz_transactions = event
            .get("bizTransactionList")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|b| {
                        Some((
                            text(b, "type").map(|t| cbv_word(&t)).unwrap_or_default(),
                            text(b, "bizTransaction")?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            event_type: text(&event, "type").unwrap_or_default(),
            event_time: text(&event, "eventTime").and_then(|t| time_ms(&t)),
            record_time: recorded.0,
            action: text(&event, "action"),
            biz_step: text(&event, "bizStep").map(|s| cbv_word(&s)),
            disposition: text(&event, "disposition").map(|s| cbv_word(&s)),
            read_point: event.pointer("/readPoint/id").and_then(Value::as_str).map(str::to_owned),
            biz_location: event
                .pointer("/bizLocation/id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            epcs,
            direct_epcs: direct,
            epc_classes: classes,
            biz_transactions,
            transformation_id: text(&event, "transformationID"),
            json: Arc::from(event.to_string()),
            prefixes: None,
            id,
        }
    }
}

/// Every event the repository serves, in ledger order, and an index by id.
#[derive(Default)]
pub struct Table {
    pub rows: Vec<Row>,
    pub by_id: HashMap<String, usize>,
}

impl Table {
    /// Adds a row; a second event with an id already served is left out.
    pub fn push(&mut self, row: Row) {
        if self.by_id.contains_key(&row.id) {
            return;
        }
        self.by_id.insert(row.id.clone(), self.rows.len());
        self.rows.push(row);
    }

    /// The distinct values of one field, sorted.
    pub fn distinct(&self, field: Discovery) -> Vec<String> {
        let mut out = BTreeSet::new();
        for r in &self.rows {
            match field {
                Discovery::EventTypes => {
                    out.insert(r.event_type.clone());
                }
                Discovery::Epcs => out.extend(r.epcs.iter().cloned()),
                Discovery::BizSteps => out.extend(r.biz_step.clone()),
                Discovery::BizLocations => out.extend(r.biz_location.clone()),
                Discovery::ReadPoints => out.extend(r.read_point.clone()),
                Discovery::Dispositions => out.extend(r.disposition.clone()),
            }
        }
        out.into_iter().collect()
    }
}

/// The top-level discovery resources.
#[derive(Clone, Copy, Debug)]
pub enum Discovery {
    EventTypes,
    Epcs,
    BizSteps,
    BizLocations,
    ReadPoints,
    Dispositions,
}

impl Discovery {
    /// The query parameter that selects the events of one value.
    pub const fn parameter(self) -> &'static str {
        match self {
            Self::EventTypes => "eventType",
            Self::Epcs => "MATCH_anyEPC",
            Self::BizSteps => "EQ_bizStep",
            Self::BizLocations => "EQ_bizLocation",
            Self::ReadPoints => "EQ_readPoint",
            Self::Dispositions => "EQ_disposition",
        }
    }
}

/// The event types of EPCIS 2.0.
pub const EVENT_TYPES: [&str; 5] = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// A query parameter that is wrong: its name and why.
#[derive(Debug)]
pub struct BadParameter(pub String);

/// One condition of a query.
enum Condition {
    EventType(BTreeSet<String>),
    Time { record: bool, from: bool, at: i64 },
    Action(BTreeSet<String>),
    BizStep(BTreeSet<String>),
    Disposition(BTreeSet<String>),
    ReadPoint(BTreeSet<String>),
    BizLocation(BTreeSet<String>),
    TransformationId(BTreeSet<String>),
    MatchEpc { any: bool, patterns: Vec<String> },
    MatchEpcClass(Vec<String>),
    BizTransaction { kind: String, values: BTreeSet<String> },
    EventId(BTreeSet<String>),
}

/// A parsed `GET /events` query: its conditions, page size and start.
pub struct Query {
    conditions: Vec<Condition>,
    pub per_page: usize,
    pub start: usize,
    /// The parameters that select events (not the page), for the next
    /// page's link and to check that a token belongs to this query.
    pub selecting: Vec<(String, String)>,
}

/// The default and largest page.
pub const PER_PAGE_DEFAULT: usize = 30;
pub const PER_PAGE_MAX: usize = 1000;

fn list(value: &str) -> BTreeSet<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// An EPC pattern: exact, or a prefix ending in `*`.
fn matches(pattern: &str, value: &str) -> bool {
    pattern.strip_suffix('*').map_or(pattern == value, |prefix| value.starts_with(prefix))
}

/// A fingerprint of the selecting parameters, carried in page tokens.
fn fingerprint(selecting: &[(String, String)]) -> u64 {
    // FNV-1a: stable across runs, which a token must be.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in selecting {
        for b in k.bytes().chain([0]).chain(v.bytes()).chain([1]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The opaque token of the page starting at event `start` of this query.
pub fn page_token(selecting: &[(String, String)], start: usize) -> String {
    format!("{start:x}-{:016x}", fingerprint(selecting))
}

impl Query {
    /// Parses the query string's pairs.
    ///
    /// # Errors
    /// The first parameter that is unknown or whose value is wrong.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, BadParameter> {
        let mut conditions = Vec::new();
        let mut per_page = PER_PAGE_DEFAULT;
        let mut token = None;
        let mut selecting = Vec::new();
        for (key, value) in pairs {
            let k = key.as_str();
            match k {
                "perPage" => {
                    per_page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=PER_PAGE_MAX).contains(n))
                        .ok_or_else(|| {
                            BadParameter(format!(
                                "perPage: {value:?} is not a whole number from 1 to {PER_PAGE_MAX}"
                            ))
                        })?;
                    continue;
                }
                "nextPageToken" => {
                    token = Some(value.clone());
                    continue;
                }
                _ => {}
            }
            let c = match k {
                "eventType" => {
                    let types = list(value);
                    if let Some(t) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
                        return Err(BadParameter(format!(
                            "eventType: {t:?} is no EPCIS event type"
                        )));
                    }
                    Condition::EventType(types)
                }
                "GE_eventTime" | "LT_eventTime" | "GE_recordTime" | "LT_recordTime" => {
                    let at = time_ms(value).ok_or_else(|| {
                        BadParameter(format!("{k}: {value:?} is not an RFC 3339 date-time"))
                    })?;
                    Condition::Time {
                        record: k.ends_with("recordTime"),
                        from: k.starts_with("GE"),
                        at,
                    }
                }
                "EQ_action" => {
                    let actions = list(value);
                    if let Some(a) =
                        actions.iter().find(|a| !["ADD", "OBSERVE", "DELETE"].contains(&a.as_str()))
                    {
                        return Err(BadParameter(format!(
                            "EQ_action: {a:?} is not ADD, OBSERVE or DELETE"
                        )));
                    }
                    Condition::Action(actions)
                }
                "EQ_bizStep" => {
                    Condition::BizStep(list(value).iter().map(|s| cbv_word(s)).collect())
                }
                "EQ_disposition" => {
                    Condition::Disposition(list(value).iter().map(|s| cbv_word(s)).collect())
                }
                "EQ_readPoint" => Condition::ReadPoint(list(value)),
                "EQ_bizLocation" => Condition::BizLocation(list(value)),
                "EQ_transformationID" => Condition::TransformationId(list(value)),
                "EQ_eventID" => Condition::EventId(list(value)),
                "MATCH_epc" | "MATCH_anyEPC" => Condition::MatchEpc {
                    any: k == "MATCH_anyEPC",
                    patterns: list(value).into_iter().collect(),
                },
                "MATCH_epcClass" | "MATCH_anyEPCClass" => {
                    Condition::MatchEpcClass(list(value).into_iter().collect())
                }
                _ => {
                    if let Some(kind) = k.strip_prefix("EQ_bizTransaction_") {
                        Condition::BizTransaction { kind: cbv_word(kind), values: list(value) }
                    } else {
                        return Err(BadParameter(format!(
                            "{k}: not a query parameter this repository implements (docs/SERVE.md lists them)"
                        )));
                    }
                }
            };
            conditions.push(c);
            selecting.push((key.clone(), value.clone()));
        }
        let mut start = 0;
        if let Some(t) = token {
            let (at, print) = t
                .split_once('-')
                .and_then(|(a, p)| Some((usize::from_str_radix(a, 16).ok()?, p.to_owned())))
                .ok_or_else(|| BadParameter(format!("nextPageToken: {t:?} is not a page token")))?;
            if print != format!("{:016x}", fingerprint(&selecting)) {
                return Err(BadParameter(
                    "nextPageToken: the token belongs to a query with other parameters".to_owned(),
                ));
            }
            start = at;
        }
        Ok(Self { conditions, per_page, start, selecting })
    }

    fn accepts(&self, r: &Row) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::EventType(t) => t.contains(&r.event_type),
            Condition::Time { record, from, at } => {
                let t = if *record { Some(r.record_time) } else { r.event_time };
                t.is_some_and(|t| if *from { t >= *at } else { t < *at })
            }
            Condition::Action(a) => r.action.as_ref().is_some_and(|x| a.contains(x)),
            Condition::BizStep(s) => r.biz_step.as_ref().is_some_and(|x| s.contains(x)),
            Condition::Disposition(s) => r.disposition.as_ref().is_some_and(|x| s.contains(x)),
            Condition::ReadPoint(s) => r.read_point.as_ref().is_some_and(|x| s.contains(x)),
            Condition::BizLocation(s) => r.biz_location.as_ref().is_some_and(|x| s.contains(x)),
            Condition::TransformationId(s) => {
                r.transformation_id.as_ref().is_some_and(|x| s.contains(x))
            }
            Condition::EventId(s) => s.contains(&r.id),
            Condition::MatchEpc { any, patterns } => {
                let epcs = if *any { &r.epcs } else { &r.direct_epcs };
                epcs.iter().any(|e| patterns.iter().any(|p| matches(p, e)))
            }
            Condition::MatchEpcClass(patterns) => {
                r.epc_classes.iter().any(|e| patterns.iter().any(|p| matches(p, e)))
            }
            Condition::BizTransaction { kind, values } => {
                r.biz_transactions.iter().any(|(t, v)| t == kind && values.contains(v))
            }
        })
    }

    /// The events of this page, and the start of the next page if there is one.
    pub fn run<'t>(&self, table: &'t Table) -> (Vec<&'t Row>, Option<usize>) {
        let mut page = Vec::with_capacity(self.per_page.min(64));
        let mut next = None;
        let mut seen = 0usize;
        for (i, r) in table.rows.iter().enumerate() {
            if !self.accepts(r) {
                continue;
            }
            if seen >= self.start {
                if page.len() == self.per_page {
                    next = Some(i);
                    break;
                }
                page.push(r);
            }
            seen += 1;
        }
        // The next page starts after as many matches as were skipped and shown.
        (page, next.map(|_| self.start + self.per_page))
    }
}

/// The JSON-LD context of EPCIS 2.0, with the lotledger prefix the exported
/// events use.
pub fn context() -> Value {
    json!([
        lotledger::interop::epcis::export::EPCIS_CONTEXT,
        {"ll": lotledger::interop::epcis::export::DEFAULT_NAMESPACE}
    ])
}

/// The prefixes the object parts of a document's `@context` define.
pub fn prefixes_of(context: Option<&Value>) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let parts = match context {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for part in parts {
        if let Some(o) = part.as_object() {
            out.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    out
}

/// An `EPCISQueryDocument` holding `events`: its context is EPCIS 2.0's
/// with the `ll` prefix and the prefixes of the captured documents the
/// events came in (a prefix defined twice keeps its first meaning).
pub fn query_document(events: &[&Row], created: Timestamp) -> String {
    let mut context = context();
    if let Some(Value::Object(own)) = context.get_mut(1) {
        for p in events.iter().filter_map(|r| r.prefixes.as_ref()) {
            for (k, v) in p.iter() {
                own.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let head = json!({
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created.to_string(),
    });
    let mut out = head.to_string();
    // The head is an object: its closing brace gives way to the body.
    out.pop();
    out.push_str(
        ",\"epcisBody\":{\"queryResults\":{\"queryName\":\"SimpleEventQuery\",\"resultsBody\":{\"eventList\":[",
    );
    for (i, r) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&r.json);
    }
    out.push_str("]}}}}");
    out
}

/// The next page's link: `path` and the query's parameters but the first
/// `implicit` ones (which the path stands for).
pub fn next_link(path: &str, query: &Query, next: usize, implicit: usize) -> String {
    let mut q: Vec<String> = query
        .selecting
        .iter()
        .skip(implicit)
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    q.push(format!("perPage={}", query.per_page));
    q.push(format!("nextPageToken={}", page_token(&query.selecting, next)));
    format!("{path}?{}", q.join("&"))
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
