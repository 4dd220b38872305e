//! The EPCIS event table and the query side of the REST bindings: `GET
//! /events` with the standard parameters and pagination, one event by id,
//! and the top-level discovery resources.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, mpsc};

use serde_json::{Value, json};

use lotledger::model::Timestamp;

/// One event as the repository serves it, with the fields queries filter
/// on, compactly: every string but the JSON is a number in the table's
/// [`Strings`], and EPCs are runs of serial numbers ([`Run`]).
pub struct Row {
    /// The event's JSON.
    json: Json,
    /// The prefixes of the document a captured event came in (the object
    /// parts of its `@context`), which the query document must define too.
    pub prefixes: Option<Arc<serde_json::Map<String, Value>>>,
    pub id: Arc<str>,
    event_type: Option<Sym>,
    /// Milliseconds since the epoch; `None` when the event has no readable time.
    event_time: Option<i64>,
    record_time: i64,
    action: Option<Sym>,
    biz_step: Option<Sym>,
    disposition: Option<Sym>,
    read_point: Option<Sym>,
    biz_location: Option<Sym>,
    transformation_id: Option<Sym>,
    /// Its EPCs in four sections (`MATCH_epc`'s `epcList` and
    /// `childEPCs`, `parentID`, `inputEPCList`, `outputEPCList`), each its
    /// own runs, and where the first three sections end.
    epcs: Box<[Run]>,
    epc_ends: [u32; 3],
    /// The `epcClass`es of its quantity lists in three sections
    /// (`quantityList` and `childQuantityList`, `inputQuantityList`,
    /// `outputQuantityList`), and where the first two end.
    epc_classes: Box<[Sym]>,
    class_ends: [u32; 2],
    /// Every `quantity` of its quantity lists.
    quantities: Box<[f64]>,
    /// Its `persistentDisposition`: `(true, d)` for each `set` value,
    /// `(false, d)` for each `unset` one (bare CBV words).
    persistent: Box<[(bool, Sym)]>,
    /// Its `errorDeclaration`, if it has one.
    error: Option<Box<Declared>>,
    /// `(type as a bare CBV word or URI, value)`.
    biz_transactions: Box<[(Sym, Sym)]>,
}

/// An event's `errorDeclaration`: what the error-declaration parameters
/// look at.
struct Declared {
    /// `declarationTime`, in milliseconds since the epoch, if readable.
    time: Option<i64>,
    /// `reason`, as a bare CBV word (`incorrect_data`) when it is a CBV one.
    reason: Option<Sym>,
    /// `correctiveEventIDs`.
    corrective: Box<[Sym]>,
}

/// Where a row's JSON comes from.
enum Json {
    /// A captured event, kept as text (not as a tree, which takes several
    /// times the memory).
    Text(Arc<str>),
    /// The event of this entry (its position among the entries read),
    /// rendered again when asked for by the table's renderer.
    Entry(u32),
}

/// A request to the thread that built a table (`super::follow::Request`):
/// the JSON of the events of these entries, each `None` when it cannot be
/// rendered.
pub struct Render {
    pub entries: Vec<u32>,
    pub reply: mpsc::Sender<Vec<Option<String>>>,
}

/// A string's number in [`Strings`].
type Sym = u32;

/// The strings the rows name, each stored once.
#[derive(Default)]
pub struct Strings {
    list: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, Sym>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = Sym::try_from(self.list.len()).unwrap_or(Sym::MAX);
        let text: Arc<str> = Arc::from(s);
        self.list.push(Arc::clone(&text));
        self.ids.insert(text, id);
        id
    }

    fn get(&self, id: Sym) -> &str {
        usize::try_from(id).ok().and_then(|i| self.list.get(i)).map_or("", |s| s)
    }

    fn find(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }
}

/// EPCs that differ only in a number at their end: `stem` followed by the
/// numbers `first .. first + count`, each written with `width` digits
/// (zero-padded). An EPC that does not end in 1 to 18 digits is a run of
/// one with `width` 0: the stem is the whole EPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    stem: Sym,
    width: u8,
    count: u32,
    first: u64,
}

/// The most digits of an EPC's last number a [`Run`] holds.
const RUN_DIGITS: usize = 18;

/// An EPC as its stem, its last number and the number's width (`0`, `0`
/// when it does not end in 1 to 18 digits). Two EPCs are equal exactly
/// when their splits are.
fn split_epc(epc: &str) -> (&str, u64, u8) {
    let digits = epc.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > RUN_DIGITS {
        return (epc, 0, 0);
    }
    let at = epc.len() - digits;
    match (epc.get(..at), epc.get(at..).and_then(|d| d.parse().ok()), u8::try_from(digits)) {
        (Some(stem), Some(n), Ok(w)) => (stem, n, w),
        _ => (epc, 0, 0),
    }
}

impl Run {
    /// Every EPC of the run, in order.
    fn each<'s>(&self, strings: &'s Strings) -> impl Iterator<Item = String> + 's {
        let (stem, width, first) = (strings.get(self.stem), usize::from(self.width), self.first);
        (0..u64::from(self.count)).map(move |k| {
            if width == 0 { stem.to_owned() } else { format!("{stem}{:0width$}", first + k) }
        })
    }

    /// Whether the run names `pattern`: exactly, or by prefix when it ends in `*`.
    fn matches(&self, strings: &Strings, pattern: &str) -> bool {
        let Some(prefix) = pattern.strip_suffix('*') else {
            let (stem, n, width) = split_epc(pattern);
            return strings.find(stem) == Some(self.stem)
                && width == self.width
                && (self.first..self.first + u64::from(self.count)).contains(&n);
        };
        let stem = strings.get(self.stem);
        if prefix.len() <= stem.len() {
            return stem.starts_with(prefix);
        }
        let Some(rest) = prefix.strip_prefix(stem) else { return false };
        let width = usize::from(self.width);
        if rest.len() > width || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        // The numbers whose `width` digits begin with `rest`.
        let Ok(lead) = rest.parse::<u128>() else { return false };
        let Ok(shift) = u32::try_from(width - rest.len()) else { return false };
        let scale = 10u128.pow(shift);
        let (low, high) = (lead * scale, (lead + 1) * scale);
        let (first, end) =
            (u128::from(self.first), u128::from(self.first) + u128::from(self.count));
        first < high && low < end
    }
}

/// The runs of a list of EPCs, consecutive numbers joined.
fn runs(strings: &mut Strings, epcs: impl IntoIterator<Item = impl AsRef<str>>) -> Box<[Run]> {
    let mut out: Vec<Run> = Vec::new();
    for epc in epcs {
        let (stem, n, width) = split_epc(epc.as_ref());
        let stem = strings.intern(stem);
        if let Some(last) = out.last_mut() {
            let next = last.first.checked_add(u64::from(last.count));
            if width > 0
                && last.stem == stem
                && last.width == width
                && next == Some(n)
                && last.count < u32::MAX
            {
                last.count += 1;
                continue;
            }
        }
        out.push(Run { stem, width, count: 1, first: n });
    }
    out.into_boxed_slice()
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
        "https://ref.gs1.org/cbv/ER-",
        "urn:epcglobal:cbv:bizstep:",
        "urn:epcglobal:cbv:disp:",
        "urn:epcglobal:cbv:btt:",
        "urn:epcglobal:cbv:sdt:",
        "urn:epcglobal:cbv:er:",
        "cbv:BizStep-",
        "cbv:Disp-",
        "cbv:BTT-",
        "cbv:ER-",
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

/// Every event the repository serves, in ledger order, an index by id,
/// and the strings the rows name.
#[derive(Default)]
pub struct Table {
    pub rows: Vec<Row>,
    pub by_id: HashMap<Arc<str>, usize>,
    strings: Strings,
    /// The thread that renders the events of exported entries and adds
    /// the rows of new ones.
    pub renderer: Option<mpsc::Sender<super::follow::Request>>,
    /// How many of the entries read the rows stand for (the first ones).
    pub covered: usize,
}

impl Table {
    /// Adds the row of `event`, whose id is `id`, recorded at `recorded`,
    /// from a captured document with `prefixes` (none for an exported
    /// entry), the event of the entry at position `entry` (rendered again
    /// when served) or, without one, kept as text; a second event with an
    /// id already served is left out.
    pub fn push(
        &mut self,
        event: &Value,
        id: &str,
        recorded: Timestamp,
        prefixes: Option<Arc<serde_json::Map<String, Value>>>,
        entry: Option<u32>,
    ) {
        if self.by_id.contains_key(id) {
            return;
        }
        let strings = |key: &str| -> Vec<&str> {
            event
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        };
        let mut direct = strings("epcList");
        direct.extend(strings("childEPCs"));
        let parent: Vec<&str> = event.get("parentID").and_then(Value::as_str).into_iter().collect();
        let s = &mut self.strings;
        let mut epcs = Vec::new();
        let mut epc_ends = [0u32; 3];
        for (k, section) in
            [direct, parent, strings("inputEPCList"), strings("outputEPCList")].iter().enumerate()
        {
            epcs.extend(runs(s, section).iter().copied());
            if let Some(end) = epc_ends.get_mut(k) {
                *end = u32::try_from(epcs.len()).unwrap_or(u32::MAX);
            }
        }
        let mut classes = Vec::new();
        let mut class_ends = [0u32; 2];
        let mut quantities = Vec::new();
        for key in ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"]
        {
            let end = match key {
                "inputQuantityList" => class_ends.get_mut(0),
                "outputQuantityList" => class_ends.get_mut(1),
                _ => None,
            };
            if let Some(end) = end {
                *end = u32::try_from(classes.len()).unwrap_or(u32::MAX);
            }
            if let Some(list) = event.get(key).and_then(Value::as_array) {
                classes.extend(
                    list.iter()
                        .filter_map(|q| q.get("epcClass").and_then(Value::as_str))
                        .map(|c| s.intern(c)),
                );
                quantities.extend(list.iter().filter_map(|q| q.get("quantity")?.as_f64()));
            }
        }
        let biz_transactions = event
            .get("bizTransactionList")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|b| {
                        let kind = text(b, "type").map(|t| cbv_word(&t)).unwrap_or_default();
                        let value = b.get("bizTransaction").and_then(Value::as_str)?;
                        Some((s.intern(&kind), s.intern(value)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut persistent = Vec::new();
        for (set, key) in [(true, "set"), (false, "unset")] {
            let values = event.get("persistentDisposition").and_then(|p| p.get(key));
            for d in values.and_then(Value::as_array).into_iter().flatten() {
                persistent.extend(d.as_str().map(|d| (set, s.intern(&cbv_word(d)))));
            }
        }
        let mut field = |v: Option<String>| v.map(|v| s.intern(&v));
        let event_type = field(text(event, "type"));
        let action = field(text(event, "action"));
        let biz_step = field(text(event, "bizStep").map(|v| cbv_word(&v)));
        let disposition = field(text(event, "disposition").map(|v| cbv_word(&v)));
        let read_point =
            field(event.pointer("/readPoint/id").and_then(Value::as_str).map(str::to_owned));
        let biz_location =
            field(event.pointer("/bizLocation/id").and_then(Value::as_str).map(str::to_owned));
        let transformation_id = field(text(event, "transformationID"));
        let error = event.get("errorDeclaration").filter(|e| !e.is_null()).map(|d| {
            Box::new(Declared {
                time: text(d, "declarationTime").and_then(|t| time_ms(&t)),
                reason: text(d, "reason").map(|r| s.intern(&cbv_word(&r))),
                corrective: d
                    .get("correctiveEventIDs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|c| s.intern(c))
                    .collect(),
            })
        });
        let id: Arc<str> = Arc::from(id);
        let row = Row {
            json: entry.map_or_else(|| Json::Text(Arc::from(event.to_string())), Json::Entry),
            prefixes,
            id: Arc::clone(&id),
            event_type,
            event_time: text(event, "eventTime").and_then(|t| time_ms(&t)),
            record_time: recorded.0,
            action,
            biz_step,
            disposition,
            read_point,
            biz_location,
            transformation_id,
            epcs: epcs.into_boxed_slice(),
            epc_ends,
            epc_classes: classes.into_boxed_slice(),
            class_ends,
            quantities: quantities.into_boxed_slice(),
            persistent: persistent.into_boxed_slice(),
            error,
            biz_transactions,
        };
        self.by_id.insert(id, self.rows.len());
        self.rows.push(row);
    }

    /// The distinct values of one field, sorted.
    pub fn distinct(&self, field: Discovery) -> Vec<String> {
        let s = &self.strings;
        let name = |v: Option<Sym>| v.map(|v| s.get(v).to_owned());
        let mut out = BTreeSet::new();
        for r in &self.rows {
            match field {
                Discovery::EventTypes => {
                    out.insert(name(r.event_type).unwrap_or_default());
                }
                Discovery::Epcs => {
                    for run in &r.epcs {
                        out.extend(run.each(s));
                    }
                }
                Discovery::BizSteps => out.extend(name(r.biz_step)),
                Discovery::BizLocations => out.extend(name(r.biz_location)),
                Discovery::ReadPoints => out.extend(name(r.read_point)),
                Discovery::Dispositions => out.extend(name(r.disposition)),
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

/// A query that `maxEventCount` refuses: more events match than it (the
/// number) allows.
#[derive(Debug)]
pub struct TooLarge(pub usize);

/// One condition of a query.
enum Condition {
    EventType(BTreeSet<String>),
    Time {
        record: bool,
        from: bool,
        at: i64,
    },
    Action(BTreeSet<String>),
    BizStep(BTreeSet<String>),
    Disposition(BTreeSet<String>),
    ReadPoint(BTreeSet<String>),
    BizLocation(BTreeSet<String>),
    TransformationId(BTreeSet<String>),
    /// An EPC of these sections of [`Row::epcs`] matches a pattern.
    MatchEpc {
        sections: &'static [usize],
        patterns: Vec<String>,
    },
    /// An EPC class of these sections of [`Row::epc_classes`] matches a pattern.
    MatchEpcClass {
        sections: &'static [usize],
        patterns: Vec<String>,
    },
    BizTransaction {
        kind: String,
        values: BTreeSet<String>,
    },
    EventId(BTreeSet<String>),
    /// `set` or (else) `unset` of its `persistentDisposition` names one of these.
    Persistent {
        set: bool,
        values: BTreeSet<String>,
    },
    /// It has an `errorDeclaration`.
    ErrorDeclared,
    /// It has an `errorDeclaration` whose `declarationTime` is at or after
    /// (`from`) or before `at`.
    DeclaredAt {
        from: bool,
        at: i64,
    },
    /// It has an `errorDeclaration` with one of these reasons (bare CBV words).
    ErrorReason(BTreeSet<String>),
    /// It has an `errorDeclaration` naming one of these corrective events.
    CorrectiveEventId(BTreeSet<String>),
    /// A quantity of one of its quantity lists compares so with the value.
    Quantity {
        wanted: std::cmp::Ordering,
        or_equal: bool,
        value: f64,
    },
}

/// How a query's events are ordered: by `recordTime` (else `eventTime`),
/// ascending or not.
#[derive(Clone, Copy)]
struct Order {
    record: bool,
    ascending: bool,
}

/// A parsed `GET /events` query: its conditions, page size and start.
pub struct Query {
    conditions: Vec<Condition>,
    order: Option<Order>,
    /// `eventCountLimit`: only the first this many matching events.
    limit: Option<usize>,
    /// `maxEventCount`: more matching events than this is an error.
    max: Option<usize>,
    pub per_page: usize,
    pub start: usize,
    /// The parameters that select events (not the page), for the next
    /// page's link and to check that a token belongs to this query.
    pub selecting: Vec<(String, String)>,
}

/// Section `k` of `all`, whose sections but the last end at `ends`.
fn section<'a, T>(all: &'a [T], ends: &[u32], k: usize) -> &'a [T] {
    let at = |i: Option<usize>| {
        i.and_then(|i| ends.get(i)).map_or(all.len(), |&e| usize::try_from(e).unwrap_or(all.len()))
    };
    let start = if k == 0 { 0 } else { at(k.checked_sub(1)) };
    all.get(start..at(Some(k))).unwrap_or_default()
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
        let (mut order_by, mut ascending) = (None, false);
        let (mut limit, mut max) = (None, None);
        for (key, value) in pairs {
            let k = key.as_str();
            match k {
                "eventCountLimit" | "maxEventCount" => {
                    let n = value.parse::<usize>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                        BadParameter(format!("{k}: {value:?} is not a whole number of 1 or more"))
                    })?;
                    if k == "eventCountLimit" {
                        limit = Some(n)
                    } else {
                        max = Some(n)
                    }
                    if limit.is_some() && max.is_some() {
                        return Err(BadParameter(
                            "eventCountLimit and maxEventCount are mutually exclusive".to_owned(),
                        ));
                    }
                    selecting.push((key.clone(), value.clone()));
                    continue;
                }
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
                "orderBy" | "orderDirection" => {
                    let (choices, yes) = if k == "orderBy" {
                        (["eventTime", "recordTime"], "recordTime")
                    } else {
                        (["DESC", "ASC"], "ASC")
                    };
                    if !choices.contains(&value.as_str()) {
                        return Err(BadParameter(format!(
                            "{k}: {value:?} is not {} or {} (what this repository takes)",
                            choices[0], choices[1]
                        )));
                    }
                    if k == "orderBy" {
                        order_by = Some(value == yes);
                    } else {
                        ascending = value == yes;
                    }
                    selecting.push((key.clone(), value.clone()));
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
                // With descendants: lotledger's master data describes no
                // location hierarchy (no location has a child), so a
                // location's descendants are none and WD_ selects as EQ_.
                "EQ_readPoint" | "WD_readPoint" => Condition::ReadPoint(list(value)),
                "EQ_bizLocation" | "WD_bizLocation" => Condition::BizLocation(list(value)),
                "EQ_transformationID" => Condition::TransformationId(list(value)),
                "EQ_eventID" => Condition::EventId(list(value)),
                "MATCH_epc" | "MATCH_parentID" | "MATCH_inputEPC" | "MATCH_outputEPC"
                | "MATCH_anyEPC" => Condition::MatchEpc {
                    sections: match k {
                        "MATCH_epc" => &[0],
                        "MATCH_parentID" => &[1],
                        "MATCH_inputEPC" => &[2],
                        "MATCH_outputEPC" => &[3],
                        _ => &[0, 1, 2, 3],
                    },
                    patterns: list(value).into_iter().collect(),
                },
                "MATCH_epcClass"
                | "MATCH_inputEPCClass"
                | "MATCH_outputEPCClass"
                | "MATCH_anyEPCClass" => Condition::MatchEpcClass {
                    sections: match k {
                        "MATCH_epcClass" => &[0],
                        "MATCH_inputEPCClass" => &[1],
                        "MATCH_outputEPCClass" => &[2],
                        _ => &[0, 1, 2],
                    },
                    patterns: list(value).into_iter().collect(),
                },
                "EQ_persistentDisposition_set" | "EQ_persistentDisposition_unset" => {
                    Condition::Persistent {
                        set: k.ends_with("_set"),
                        values: list(value).iter().map(|d| cbv_word(d)).collect(),
                    }
                }
                "GE_errorDeclarationTime" | "LT_errorDeclarationTime" => {
                    let at = time_ms(value).ok_or_else(|| {
                        BadParameter(format!("{k}: {value:?} is not an RFC 3339 date-time"))
                    })?;
                    Condition::DeclaredAt { from: k.starts_with("GE"), at }
                }
                "EQ_errorReason" => {
                    Condition::ErrorReason(list(value).iter().map(|r| cbv_word(r)).collect())
                }
                "EQ_correctiveEventID" => Condition::CorrectiveEventId(list(value)),
                "EXISTS_errorDeclaration" => match value.as_str() {
                    "true" => Condition::ErrorDeclared,
                    // False selects every event, as if the parameter were omitted.
                    "false" => {
                        selecting.push((key.clone(), value.clone()));
                        continue;
                    }
                    _ => {
                        return Err(BadParameter(format!("{k}: {value:?} is not true or false")));
                    }
                },
                "EQ_quantity" | "GT_quantity" | "GE_quantity" | "LT_quantity" | "LE_quantity" => {
                    use std::cmp::Ordering::{Equal, Greater, Less};
                    let value =
                        value.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(
                            || BadParameter(format!("{k}: {value:?} is not a number")),
                        )?;
                    let (wanted, or_equal) = match k.get(..2) {
                        Some("GT") => (Greater, false),
                        Some("GE") => (Greater, true),
                        Some("LT") => (Less, false),
                        Some("LE") => (Less, true),
                        _ => (Equal, true),
                    };
                    Condition::Quantity { wanted, or_equal, value }
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
        let order = order_by.map(|record| Order { record, ascending });
        Ok(Self { conditions, order, limit, max, per_page, start, selecting })
    }

    fn accepts(&self, r: &Row, s: &Strings) -> bool {
        let is_in =
            |set: &BTreeSet<String>, v: Option<Sym>| v.is_some_and(|v| set.contains(s.get(v)));
        self.conditions.iter().all(|c| match c {
            Condition::EventType(t) => is_in(t, r.event_type),
            Condition::Time { record, from, at } => {
                let t = if *record { Some(r.record_time) } else { r.event_time };
                t.is_some_and(|t| if *from { t >= *at } else { t < *at })
            }
            Condition::Action(a) => is_in(a, r.action),
            Condition::BizStep(set) => is_in(set, r.biz_step),
            Condition::Disposition(set) => is_in(set, r.disposition),
            Condition::ReadPoint(set) => is_in(set, r.read_point),
            Condition::BizLocation(set) => is_in(set, r.biz_location),
            Condition::TransformationId(set) => is_in(set, r.transformation_id),
            Condition::EventId(set) => set.contains(&*r.id),
            Condition::MatchEpc { sections, patterns } => sections.iter().any(|&k| {
                section(&r.epcs, &r.epc_ends, k)
                    .iter()
                    .any(|run| patterns.iter().any(|p| run.matches(s, p)))
            }),
            Condition::MatchEpcClass { sections, patterns } => sections.iter().any(|&k| {
                section(&r.epc_classes, &r.class_ends, k)
                    .iter()
                    .any(|&e| patterns.iter().any(|p| matches(p, s.get(e))))
            }),
            Condition::BizTransaction { kind, values } => r
                .biz_transactions
                .iter()
                .any(|&(t, v)| s.get(t) == kind && values.contains(s.get(v))),
            Condition::Persistent { set, values } => {
                r.persistent.iter().any(|&(is_set, d)| is_set == *set && values.contains(s.get(d)))
            }
            Condition::ErrorDeclared => r.error.is_some(),
            Condition::DeclaredAt { from, at } => r
                .error
                .as_ref()
                .and_then(|d| d.time)
                .is_some_and(|t| if *from { t >= *at } else { t < *at }),
            Condition::ErrorReason(set) => r.error.as_ref().is_some_and(|d| is_in(set, d.reason)),
            Condition::CorrectiveEventId(set) => r
                .error
                .as_ref()
                .is_some_and(|d| d.corrective.iter().any(|&c| set.contains(s.get(c)))),
            Condition::Quantity { wanted, or_equal, value } => r.quantities.iter().any(|q| {
                q.partial_cmp(value).is_some_and(|o| o == *wanted || (*or_equal && o.is_eq()))
            }),
        })
    }

    /// The events of this page, and the start of the next page if there is one.
    ///
    /// # Errors
    /// [`TooLarge`] when more events match than `maxEventCount` allows.
    pub fn run<'t>(&self, table: &'t Table) -> Result<(Vec<&'t Row>, Option<usize>), TooLarge> {
        if let Some(max) = self.max {
            let matching = table
                .rows
                .iter()
                .filter(|r| self.accepts(r, &table.strings))
                .take(max.saturating_add(1))
                .count();
            if matching > max {
                return Err(TooLarge(max));
            }
        }
        let Some(order) = self.order else { return Ok(self.run_in_ledger_order(table)) };
        let key = |r: &Row| if order.record { Some(r.record_time) } else { r.event_time };
        let mut matched: Vec<(Option<i64>, &Row)> = table
            .rows
            .iter()
            .filter(|r| self.accepts(r, &table.strings))
            .map(|r| (key(r), r))
            .collect();
        // Stable: events of the same time stay in ledger order; events
        // without a time come last.
        matched.sort_by(|(a, _), (b, _)| match (a, b) {
            (Some(a), Some(b)) if order.ascending => a.cmp(b),
            (Some(a), Some(b)) => b.cmp(a),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        if let Some(limit) = self.limit {
            matched.truncate(limit);
        }
        let end = self.start.saturating_add(self.per_page);
        let page = matched.iter().skip(self.start).take(self.per_page).map(|(_, r)| *r).collect();
        Ok((page, (matched.len() > end).then_some(end)))
    }

    /// [`Query::run`] without `orderBy`: the events in ledger order, the
    /// rows read only as far as the page's end.
    fn run_in_ledger_order<'t>(&self, table: &'t Table) -> (Vec<&'t Row>, Option<usize>) {
        let mut page = Vec::with_capacity(self.per_page.min(64));
        let mut next = None;
        let mut seen = 0usize;
        for (i, r) in table.rows.iter().enumerate() {
            if !self.accepts(r, &table.strings) {
                continue;
            }
            if self.limit.is_some_and(|l| seen >= l) {
                break;
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
///
/// # Errors
/// When the table's renderer does not give an event's JSON (the detail for
/// the answer).
pub fn query_document(
    table: &Table,
    events: &[&Row],
    created: Timestamp,
) -> Result<String, &'static str> {
    let wanted: Vec<u32> = events
        .iter()
        .filter_map(|r| match r.json {
            Json::Entry(i) => Some(i),
            Json::Text(_) => None,
        })
        .collect();
    let mut rendered = Vec::new();
    if !wanted.is_empty() {
        let (reply, answer) = mpsc::channel();
        let request = super::follow::Request::Render(Render { entries: wanted, reply });
        let sent = table.renderer.as_ref().map(|r| r.send(request));
        if !matches!(sent, Some(Ok(()))) {
            return Err("the events could not be rendered (the renderer stopped)");
        }
        rendered = answer.recv().map_err(|_| "the events could not be rendered")?;
    }
    let mut rendered = rendered.into_iter();
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
        match &r.json {
            Json::Text(text) => out.push_str(text),
            Json::Entry(_) => out.push_str(
                &rendered
                    .next()
                    .flatten()
                    .ok_or("an event could not be rendered from its entry")?,
            ),
        }
    }
    out.push_str("]}}}}");
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs match what the EPCs they stand for match, one by one.
    #[test]
    fn runs_match_as_their_epcs_do() {
        let epcs: Vec<String> =
            ["B260004000098", "B260004000099", "B260004000100", "B260004000101"]
                .iter()
                .map(|s| format!("https://id.gs1.org/01/09506000134345/21/{s}"))
                .chain(
                    [
                        "https://id.gs1.org/00/340123450000000253",
                        "urn:epc:id:sscc:0614141.1234567890",
                        "urn:lotledger:container:PALLET-A",
                        "x0123456789012345678901",
                        "007",
                        "008",
                    ]
                    .map(str::to_owned),
                )
                .collect();
        let mut strings = Strings::default();
        let runs = runs(&mut strings, &epcs);
        assert!(runs.len() < epcs.len(), "{runs:?}");
        let expanded: Vec<String> = runs.iter().flat_map(|r| r.each(&strings)).collect();
        assert_eq!(expanded, epcs);
        let mut patterns: Vec<String> = Vec::new();
        for e in &epcs {
            for cut in 0..=e.len() {
                patterns.push(format!("{}*", &e[..cut]));
            }
            patterns.push(e.clone());
            patterns.push(format!("{e}0"));
            patterns.push(format!("{e}0*"));
        }
        patterns.extend([
            "https://id.gs1.org/01/09506000134345/21/B2600040001*".to_owned(),
            "https://id.gs1.org/01/09506000134345/21/B26000400009*".to_owned(),
            "https://id.gs1.org/01/09506000134345/21/B260004000102".to_owned(),
            "009".to_owned(),
            "0*".to_owned(),
            "*".to_owned(),
        ]);
        for p in &patterns {
            for (run, one) in runs.iter().map(|r| (r, r.each(&strings).collect::<Vec<_>>())) {
                let want = one.iter().any(|e| matches(p, e));
                assert_eq!(run.matches(&strings, p), want, "{p} against {one:?}");
            }
        }
    }
}
