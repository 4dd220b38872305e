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

use serde_json::{Value, json};

use super::event_hash::{
    self, Canonicalizer, SortedParts, ni_uri, push_all, push_sorted, scalar_text,
};
use super::scheme::{UriScheme, encode_into};
use crate::chain::Verified;
use crate::entry::{DecodeError, Header};
use crate::interop::scope::{Corrections, Scope, Selector};
use crate::model::{
    Address, AggregationAction, ComplaintRegistered, ComplaintRegisteredV1, DecommissionReason,
    Digest, Disposition, Goods, InspectionResult, ItemCode, LedgerId, LocationId, LocationKind,
    LotId, Packable, PartyId, PartyRole, Quantity, RecallStep, Record, RecordKind, SerialSpan,
    Subject, Timestamp,
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
                Ok(Written::NotSelected | Written::MasterData) | Err(_) => {}
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
    /// Master data (kinds 17 to 19): in the document header's
    /// `epcisMasterData`, the latest record of each identity.
    MasterData,
}

/// The first of the two passes of a streaming export: it reads every entry
/// once, in ledger order, to learn what the event hash needs before the
/// first event is written — the CBV terms the document's events use (a
/// bare word anywhere in an event is hashed as the document's term of that
/// name, see [`event_hash`]) and the `eventID`s of the
/// replacements that error declarations name. It keeps the few terms and
/// the events of those replacements only.
#[derive(Debug)]
pub struct Plan<'o> {
    x: Exporter<'o>,
    selector: Selector<'o>,
    canon: Canonicalizer,
    /// The vocabulary words met so far, by vocabulary (see [`Event::words`]).
    words: BTreeSet<(&'static str, &'static str)>,
    /// Replacements of voided entries, still to be met.
    wanted: BTreeSet<(LedgerId, u64)>,
    /// Their events, without ids.
    replacements: Vec<((LedgerId, u64), Event)>,
    /// The latest master data of each identity: by vocabulary type and
    /// element id, its attributes.
    master: BTreeMap<MasterKey, Vec<(String, String)>>,
    /// How many threads [`Self::observe_batch`] drafts on.
    threads: usize,
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
            words: BTreeSet::new(),
            wanted: options.corrections.replacements().collect(),
            replacements: Vec::new(),
            master: BTreeMap::new(),
            threads: parallelism(),
        }
    }

    /// Reads one entry of `ledger`. Call it for every entry, in ledger order.
    pub fn observe(&mut self, ledger: &LedgerId, header: &Header, hash: &Digest, record: &Record) {
        self.observe_batch(&[(ledger, header, hash, record)]);
    }

    /// [`Self::observe`] for a run of entries, in ledger order: their
    /// events are drafted on up to as many threads as the machine runs at
    /// once, the same terms learnt as one by one.
    pub fn observe_batch(&mut self, entries: &[BatchEntry<'_>]) {
        let mut todo = Vec::with_capacity(entries.len());
        for &(ledger, header, hash, record) in entries {
            if !self.selector.select(ledger, header.seq, header.time, record) {
                continue;
            }
            if let Some((key, attributes)) = self.x.master(record) {
                let voided = self
                    .x
                    .o
                    .corrections
                    .voided_by(ledger, header.seq)
                    .is_some_and(|v| !v.is_empty());
                if !voided {
                    self.master.insert(key, attributes);
                }
            } else if self.wanted.remove(&(*ledger, header.seq)) {
                let none = BTreeMap::new();
                if let Ok(event) = self.x.draft(ledger, header, hash, record, &none, true) {
                    self.learn(event.words());
                    self.replacements.push(((*ledger, header.seq), event));
                }
            } else {
                todo.push((ledger, header, hash, record));
            }
        }
        let x = &self.x;
        let found = in_chunks(&mut std::vec![(); self.threads], &todo, |_, run| {
            let none = BTreeMap::new();
            let mut words = BTreeSet::new();
            for &(ledger, header, hash, record) in run {
                if let Ok(event) = x.draft(ledger, header, hash, record, &none, false) {
                    words.extend(event.words());
                }
            }
            words
        });
        for words in found {
            self.learn(words);
        }
    }

    /// Drafts on `n` threads (at least one) from now on, and the writer
    /// renders on as many.
    #[must_use]
    pub fn with_threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Adds the vocabulary words an event uses to the document's terms.
    fn learn(&mut self, words: impl IntoIterator<Item = (&'static str, &'static str)>) {
        for (prefix, word) in words {
            if self.words.insert((prefix, word)) {
                self.canon.add_vocabulary(word, prefix);
            }
        }
    }

    /// The writer of the second pass, on `out`; the document's header is
    /// written at once.
    ///
    /// # Errors
    /// The I/O error of `out`.
    pub fn writer<W: Write>(self, mut out: W) -> io::Result<EventWriter<'o, W>> {
        let mut ids = BTreeMap::new();
        let mut prehash = String::new();
        for (at, event) in self.replacements {
            ids.insert(at, event.hash(&self.canon, &mut prehash));
        }
        let o = self.x.o;
        out.write_all(b"{\"@context\":")?;
        serde_json::to_writer(&mut out, &self.x.context())?;
        out.write_all(b",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":")?;
        serde_json::to_writer(&mut out, &o.created.to_string())?;
        write_master(&mut out, &self.master)?;
        out.write_all(b",\"epcisBody\":{\"eventList\":[")?;
        let threads = self.threads;
        let worker = Worker { canon: self.canon, prehash };
        let writer = EventWriter {
            x: self.x,
            selector: Selector::new(&o.scope, &o.corrections),
            shared: Shared { words: self.words, replacement_ids: ids },
            workers: std::vec![worker],
            out,
            events: 0,
        };
        Ok(writer.with_threads(threads))
    }
}

/// The second pass of a streaming export ([`Plan::writer`]): each entry's
/// event is written as soon as it is read, so memory stays the same
/// whatever the ledger's size.
///
/// [`EventWriter::write`] writes one entry on the calling thread;
/// [`EventWriter::write_batch`] writes a run of entries, drafting, hashing
/// and rendering their events on up to [`EventWriter::threads`] threads at
/// once (each with its own copy of the canonicaliser and buffers), and
/// writes them in the order given: the document is the same bytes either
/// way.
#[derive(Debug)]
pub struct EventWriter<'o, W> {
    x: Exporter<'o>,
    selector: Selector<'o>,
    /// What every thread reads: the terms and replacement ids of the plan.
    shared: Shared,
    /// One per thread that renders events.
    workers: Vec<Worker>,
    out: W,
    events: u64,
}

/// What the [`Plan`] learnt, read by every rendering thread.
#[derive(Debug)]
struct Shared {
    /// The vocabulary words the plan met: the terms each worker's
    /// canonicaliser knows.
    words: BTreeSet<(&'static str, &'static str)>,
    replacement_ids: BTreeMap<(LedgerId, u64), String>,
}

/// A rendering thread's own state: the plan's canonicaliser (with a memo of
/// its own) and the pre-hash string being built.
#[derive(Debug)]
struct Worker {
    canon: Canonicalizer,
    prehash: String,
}

/// One entry given to [`EventWriter::write_batch`]: its ledger, header,
/// hash and record.
pub type BatchEntry<'a> = (&'a LedgerId, &'a Header, &'a Digest, &'a Record);

/// Below this many entries, a batch is worked on one thread: starting a
/// thread costs more than it saves.
const PER_THREAD: usize = 32;

/// The entries a thread claims at a time in [`in_chunks`]: few enough that
/// a chunk with an event of a hundred thousand serial numbers does not hold
/// the other threads up, enough that claiming costs nothing.
const CHUNK: usize = 8;

/// How many threads an export drafts and renders on: as many as the
/// machine runs at once, at most 8.
fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Cuts `items` into chunks of [`CHUNK`] and has up to one thread per state
/// of `states` (the first this one; one thread per [`PER_THREAD`] items at
/// most) claim them in turn, each giving its chunks with its state to `f`;
/// the results, in the order of the chunks. Threads claim the next chunk
/// when done with one, so a costly entry does not leave the others idle.
/// A panic on a thread is resumed here.
fn in_chunks<S: Send, I: Sync, R: Send>(
    states: &mut [S],
    items: &[I],
    f: impl Fn(&mut S, &[I]) -> R + Sync,
) -> Vec<R> {
    use core::sync::atomic::{AtomicUsize, Ordering};
    let chunks: Vec<&[I]> = items.chunks(CHUNK).collect();
    let threads = states.len().min(items.len() / PER_THREAD).max(1);
    let next = AtomicUsize::new(0);
    let work = |state: &mut S| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else {
                return done;
            };
            done.push((i, f(state, chunk)));
        }
    };
    let work = &work;
    let mut states = states.iter_mut().take(threads);
    let here = states.next();
    let mut all = std::thread::scope(|scope| {
        let spawned: Vec<_> = states.map(|state| scope.spawn(move || work(state))).collect();
        let mut all = here.map(work).unwrap_or_default();
        for handle in spawned {
            match handle.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    all.sort_unstable_by_key(|&(i, _)| i);
    all.into_iter().map(|(_, r)| r).collect()
}

impl Worker {
    /// Drafts, hashes and renders the event of a selected, non-master-data
    /// entry, appending its JSON (after `,\n`) to `json`.
    fn render(
        &mut self,
        x: &Exporter<'_>,
        shared: &Shared,
        (ledger, header, hash, record): BatchEntry<'_>,
        json: &mut Vec<u8>,
    ) -> io::Result<Written> {
        let event = match x.draft(ledger, header, hash, record, &shared.replacement_ids, true) {
            Ok(event) => event,
            Err(reason) => {
                return Ok(Written::Skipped(Skipped {
                    seq: header.seq,
                    kind: record.kind(),
                    reason,
                }));
            }
        };
        let id = if event.words().all(|w| shared.words.contains(&w)) {
            event.hash(&self.canon, &mut self.prehash)
        } else {
            // An entry the plan did not see: its own terms count too, as
            // for any event hashed outside its document.
            let mut canon = self.canon.clone();
            for (prefix, word) in event.words() {
                canon.add_vocabulary(word, prefix);
            }
            event.hash(&canon, &mut self.prehash)
        };
        json.extend_from_slice(b",\n");
        event.write_json(json, &id)?;
        Ok(Written::Event(id))
    }
}

impl<W: Write> EventWriter<'_, W> {
    /// What becomes of an entry before any event is drafted: `None` when it
    /// is selected and has an event to render.
    fn triage(&mut self, ledger: &LedgerId, header: &Header, record: &Record) -> Option<Written> {
        if !self.selector.select(ledger, header.seq, header.time, record) {
            return Some(Written::NotSelected);
        }
        matches!(
            record,
            Record::PartyDescribed(_) | Record::LocationDescribed(_) | Record::ProductDescribed(_)
        )
        .then_some(Written::MasterData)
    }

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
        let written = self.write_batch(&[(ledger, header, hash, record)])?;
        Ok(written.into_iter().next().unwrap_or(Written::NotSelected))
    }

    /// Writes the events of a run of entries, in order, as [`Self::write`]
    /// would one by one, rendering them on up to [`Self::threads`] threads;
    /// what became of each entry, in the same order.
    ///
    /// # Errors
    /// The I/O error of the output (events rendered before it may be
    /// written or not).
    pub fn write_batch(&mut self, entries: &[BatchEntry<'_>]) -> io::Result<Vec<Written>> {
        let mut written: Vec<Option<Written>> = entries
            .iter()
            .map(|&(ledger, header, _, record)| self.triage(ledger, header, record))
            .collect();
        let todo: Vec<(usize, BatchEntry<'_>)> = entries
            .iter()
            .zip(&written)
            .enumerate()
            .filter(|(_, (_, w))| w.is_none())
            .map(|(i, (&entry, _))| (i, entry))
            .collect();
        let (x, shared) = (&self.x, &self.shared);
        let chunks = in_chunks(&mut self.workers, &todo, |worker, chunk| {
            // Room for a chunk of common events (about 1.5 KB each) without
            // growing; a chunk with a commissioning of thousands grows.
            let mut json = Vec::with_capacity(CHUNK * 2048);
            let rendered: io::Result<Vec<Written>> = chunk
                .iter()
                .map(|&(_, entry)| worker.render(x, shared, entry, &mut json))
                .collect();
            rendered.map(|rendered| (json, rendered))
        });
        for (chunk, result) in todo.chunks(CHUNK).zip(chunks) {
            let (json, rendered) = result?;
            // The first event of the document follows `[` without a comma.
            let from = usize::from(self.events == 0 && !json.is_empty());
            self.out.write_all(json.get(from..).unwrap_or_default())?;
            for (&(i, _), w) in chunk.iter().zip(rendered) {
                self.events += u64::from(matches!(w, Written::Event(_)));
                if let Some(slot) = written.get_mut(i) {
                    *slot = Some(w);
                }
            }
        }
        Ok(written.into_iter().map(|w| w.unwrap_or(Written::NotSelected)).collect())
    }

    /// How many threads [`Self::write_batch`] renders on (by default, as
    /// many as the plan's, [`Plan::with_threads`]: as many as the machine
    /// runs at once, at most 8).
    #[must_use]
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Renders on `n` threads (at least one) from now on.
    #[must_use]
    pub fn with_threads(mut self, n: usize) -> Self {
        let Some(model) = self.workers.first() else {
            return self;
        };
        let more: Vec<Worker> = (self.workers.len()..n.max(1)).map(|_| model.fresh()).collect();
        self.workers.truncate(n.max(1));
        self.workers.extend(more);
        self
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

impl Worker {
    /// A worker with the same canonicaliser (its memo empty) and no events.
    fn fresh(&self) -> Self {
        Self { canon: self.canon.clone(), prehash: String::new() }
    }
}

#[derive(Debug)]
struct Exporter<'o> {
    o: &'o ExportOptions,
}

/// A lot in a quantity list: its `epcClass` and, when known, its quantity
/// (a JSON number) and unit.
#[derive(Clone, Debug)]
struct Class {
    epc_class: String,
    quantity: Option<(Value, String)>,
}

/// A business transaction, source or destination: its `type` and value,
/// `key` naming the value's field (`bizTransaction`, `source`, `destination`).
#[derive(Clone, Debug)]
struct Pair {
    kind: &'static str,
    key: &'static str,
    value: String,
}

/// The `errorDeclaration` of a voided entry's event.
#[derive(Clone, Debug)]
struct Declaration {
    time: String,
    reason: &'static str,
    corrective: Vec<String>,
    ledger: String,
    seq: String,
}

/// The `ll:entry` of an event: where it comes from.
#[derive(Clone, Debug)]
struct EntryRef {
    ledger: String,
    seq: String,
    hash: String,
    actor: String,
    station: String,
}

/// One entry's event, as the export writes it, with its fields in the
/// order they are written (`type` and `eventID` first, in the order GS1's
/// examples use). Written as JSON by [`Event::write_json`] and hashed by
/// [`Event::hash`] straight from these fields: no JSON tree is built but
/// for the record in `ll:record`.
#[derive(Clone, Debug)]
struct Event {
    kind: &'static str,
    time: String,
    parent: Option<String>,
    /// The `epcList`: `None` for none, empty for an `ObjectEvent` about no
    /// lot (the schema wants an `epcList` or a `quantityList`).
    epcs: Option<Vec<Epc>>,
    quantities: Vec<Class>,
    inputs: Vec<Class>,
    outputs: Vec<Class>,
    transformation: Option<String>,
    children: Vec<Epc>,
    child_quantities: Vec<Class>,
    action: Option<&'static str>,
    biz_step: Option<&'static str>,
    disposition: Option<&'static str>,
    read_point: String,
    biz_location: Option<String>,
    transactions: Vec<Pair>,
    sources: Vec<Pair>,
    destinations: Vec<Pair>,
    /// The `ilmd` fields (key with its prefix, text), in the order written.
    ilmd: Vec<(&'static str, String)>,
    /// `ll:entry` and the record's JSON form, when the export carries its
    /// extensions; `ll:record` is that form with every key in the `ll`
    /// namespace, nulls dropped and booleans as strings ([`Ll`]), so that no
    /// key collides with an EPCIS field and every hasher reads it alike.
    extensions: Option<(EntryRef, Value)>,
    error: Option<Declaration>,
}

/// The time zone offset of every event: times are written in UTC.
const OFFSET: &str = "+00:00";
/// The JSON-LD key of the expiry date in `ilmd`.
const EXPIRY: &str = "cbvmda:itemExpirationDate";
/// The JSON-LD key of the lot number in `ilmd`.
const LOT_NUMBER: &str = "cbvmda:lotNumber";

/// One element, or a run of elements, of an `epcList` or `childEPCs`.
#[derive(Clone, Debug)]
enum Epc {
    /// One URI (an SSCC, an internal container).
    Uri(String),
    /// Serials of one item: `base` followed by each serial,
    /// percent-encoded. A range is expanded only as it is written or
    /// hashed, one serial at a time.
    Serials { base: String, span: SerialSpan },
}

impl Epc {
    /// Calls `f(k, base, serial, follows)` with every URI, in order, `k`
    /// being the number of its element in `list`: a URI given whole as
    /// `(uri, None)`, a unit as its element's base and its percent-encoded
    /// serial, built in one reused buffer (a range's numbers are written
    /// after its encoded prefix, as [`crate::model::SerialRange::serial`]
    /// writes them). `follows` says the serial sorts after the one before
    /// it as text: a later number of a range whose numbers all have the
    /// same count of digits.
    fn each(
        list: &[Self],
        mut f: impl FnMut(usize, &str, Option<&str>, bool) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut serial = String::with_capacity(64);
        for (k, e) in list.iter().enumerate() {
            match e {
                Self::Uri(u) => f(k, u, None, false)?,
                Self::Serials { base, span: SerialSpan::One(one) } => {
                    serial.clear();
                    encode_into(one.as_str(), &mut serial);
                    f(k, base, Some(&serial), false)?;
                }
                Self::Serials { base, span: SerialSpan::Range(r) } => {
                    serial.clear();
                    encode_into(r.prefix(), &mut serial);
                    let stem = serial.len();
                    let width = usize::from(r.width());
                    let last = r.first().saturating_add(u64::from(r.count()).saturating_sub(1));
                    let one_width = digits(r.first()).max(width) == digits(last).max(width);
                    for (i, n) in (0..u64::from(r.count()))
                        .filter_map(|i| r.first().checked_add(i))
                        .enumerate()
                    {
                        // The next number of a range is the one before plus
                        // one, added to its digits in place.
                        if i == 0 || !increment(&mut serial, stem) {
                            serial.truncate(stem);
                            push_padded(n, width, &mut serial);
                        }
                        f(k, base, Some(&serial), one_width && i > 0)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The base of a unit element.
    fn base(&self) -> Option<&str> {
        match self {
            Self::Uri(_) => None,
            Self::Serials { base, .. } => Some(base),
        }
    }
}

/// How many decimal digits `n` has.
const fn digits(n: u64) -> usize {
    if n == 0 { 1 } else { n.ilog10() as usize + 1 }
}

/// Adds one to the decimal number `s` ends with after byte `stem` (ASCII
/// digits only, as [`push_padded`] writes them), keeping its width; false,
/// and `s` unchanged, when every digit is a 9 (the number needs one more).
fn increment(s: &mut String, stem: usize) -> bool {
    let Some(p) = s.as_bytes().get(stem..).and_then(|d| d.iter().rposition(|&b| b != b'9')) else {
        return false;
    };
    let at = stem + p;
    let Some(&d) = s.as_bytes().get(at) else { return false };
    let nines = s.len() - at - 1;
    s.truncate(at);
    s.push(char::from(d + 1));
    s.extend(core::iter::repeat_n('0', nines));
    true
}

/// Appends `n` in decimal, left-padded with zeros to `width` digits.
fn push_padded(n: u64, width: usize, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    let written = digits.get(at..).unwrap_or_default();
    out.extend(core::iter::repeat_n('0', width.saturating_sub(written.len())));
    out.extend(written.iter().map(|&b| char::from(b)));
}

/// Pushes `name` and the sorted `epc=` parts of `list` onto the pre-hash
/// string `s`, as [`Canonicalizer`] does for an EPC list (its elements
/// sorted as strings). The parts are appended as they come while they are
/// in order, which a range of serials of one width is, so a 10,000-serial
/// range is hashed without a list of 10,000 strings; only a list out of
/// order is collected and sorted. A unit whose base the canonicalizer
/// keeps as written ([`Canonicalizer::hashes_as_written`]) is pushed as
/// `epc=` and its URI, without canonicalising each one.
fn push_epcs(c: &Canonicalizer, s: &mut String, name: &str, list: &[Epc]) {
    if list.is_empty() {
        return;
    }
    let plain: Vec<bool> =
        list.iter().map(|e| e.base().is_some_and(|b| c.hashes_as_written(b))).collect();
    let mut uri = String::with_capacity(96);
    // The `epc=` part of one URI, onto `out`.
    let mut part = |out: &mut String, k: usize, base: &str, serial: Option<&str>| {
        if let Some(serial) = serial
            && plain.get(k).copied().unwrap_or(false)
        {
            out.push_str("epc=");
            out.push_str(base);
            out.push_str(serial);
            return;
        }
        uri.clear();
        uri.push_str(base);
        uri.push_str(serial.unwrap_or_default());
        if let Some(p) = c.keyed("epc", &uri) {
            out.push_str(&p);
        }
    };
    let mark = s.len();
    s.push_str(name);
    // Where the last part pushed starts, once one is.
    let mut last: Option<usize> = None;
    let mut in_order = true;
    let _ = Epc::each(list, |k, base, serial, follows| {
        let at = s.len();
        part(s, k, base, serial);
        if s.len() == at {
            return Ok(());
        }
        // A plain part is `epc=`, the base and the serial: one that
        // follows the one before it in its range sorts after it.
        let sorted = follows && plain.get(k).copied().unwrap_or(false);
        if let Some(before) = last
            && !sorted
            && s.get(at..) < s.get(before..at)
        {
            in_order = false;
            return Err(io::Error::other("out of order"));
        }
        last = Some(at);
        Ok(())
    });
    if in_order {
        if last.is_none() {
            // No element has a canonical form: nothing is hashed.
            s.truncate(mark);
        }
        return;
    }
    s.truncate(mark);
    let mut parts = Vec::new();
    let _ = Epc::each(list, |k, base, serial, _| {
        let mut p = String::new();
        part(&mut p, k, base, serial);
        if !p.is_empty() {
            parts.push(p);
        }
        Ok(())
    });
    push_sorted(s, name, parts);
}

impl Event {
    /// The CBV vocabulary words the event uses in its standard fields, with
    /// their vocabulary's prefix: what [`Canonicalizer::add_terms`] learns
    /// from the event's JSON.
    fn words(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        let one = [
            self.biz_step.map(|w| (event_hash::BIZSTEP, w)),
            self.disposition.map(|w| (event_hash::DISP, w)),
            self.error.as_ref().map(|d| (event_hash::ER, d.reason)),
        ];
        one.into_iter()
            .flatten()
            .chain(self.transactions.iter().map(|p| (event_hash::BTT, p.kind)))
            .chain(self.sources.iter().map(|p| (event_hash::SDT, p.kind)))
            .chain(self.destinations.iter().map(|p| (event_hash::SDT, p.kind)))
    }

    /// The event's `eventID`: its CBV 2.0 event hash, the pre-hash string
    /// built in `buffer`. Writes exactly what [`Canonicalizer::prehash`]
    /// writes for the event's JSON (the order is that of
    /// `Canonicalizer::write_prehash`, restricted to the fields an export
    /// writes; `tests::direct_hash_agrees_with_the_json_hash` checks it).
    fn hash(&self, c: &Canonicalizer, buffer: &mut String) -> String {
        let s = buffer;
        s.clear();
        s.push_str("eventType=");
        s.push_str(self.kind);
        c.scalar_field(s, "eventTime", &self.time);
        c.scalar_field(s, "eventTimeZoneOffset", OFFSET);
        if let Some(p) = &self.parent {
            c.scalar_field(s, "parentID", p);
        }
        // An empty epcList hashes as nothing.
        push_epcs(c, s, "epcList", self.epcs.as_deref().unwrap_or_default());
        let quantities = |list: &[Class]| -> Vec<String> {
            list.iter()
                .filter_map(|q| {
                    const ELEMENT: &str = "quantityElement";
                    let mut e = String::with_capacity(96);
                    e.push_str(ELEMENT);
                    c.scalar_field(&mut e, "epcClass", &q.epc_class);
                    if let Some((amount, unit)) = &q.quantity {
                        c.field(&mut e, "quantity", Some(amount));
                        c.scalar_field(&mut e, "uom", unit);
                    }
                    (e.len() > ELEMENT.len()).then_some(e)
                })
                .collect()
        };
        push_epcs(c, s, "childEPCs", &self.children);
        push_sorted(s, "quantityList", quantities(&self.quantities));
        push_sorted(s, "childQuantityList", quantities(&self.child_quantities));
        push_sorted(s, "inputQuantityList", quantities(&self.inputs));
        push_sorted(s, "outputQuantityList", quantities(&self.outputs));
        for (k, v) in [
            ("action", self.action),
            ("transformationID", self.transformation.as_deref()),
            ("bizStep", self.biz_step),
            ("disposition", self.disposition),
        ] {
            if let Some(v) = v {
                c.scalar_field(s, k, v);
            }
        }
        c.id_field(s, "readPoint", &self.read_point);
        if let Some(l) = &self.biz_location {
            c.id_field(s, "bizLocation", l);
        }
        let mut rest = Vec::new();
        for (list, pairs) in [
            ("bizTransactionList", &self.transactions),
            ("sourceList", &self.sources),
            ("destinationList", &self.destinations),
        ] {
            if !pairs.is_empty() {
                let elements = pairs.iter().map(|p| [("type", p.kind), (p.key, p.value.as_str())]);
                c.pair_list_of(list, elements, &mut rest);
            }
        }
        if !self.ilmd.is_empty() {
            let mut ilmd = String::with_capacity(80);
            c.expand_key_into("ilmd", &mut ilmd);
            let mut fields: Vec<String> =
                self.ilmd.iter().map(|(k, v)| c.generic_text(k, v)).collect();
            fields.sort();
            ilmd.extend(fields);
            rest.push(ilmd);
        }
        if let Some((entry, record)) = &self.extensions {
            let mut e = String::with_capacity(256);
            c.expand_key_into("ll:entry", &mut e);
            let mut fields = SortedParts::default();
            for (k, v) in [
                ("ll:ledger", &entry.ledger),
                ("ll:seq", &entry.seq),
                ("ll:hash", &entry.hash),
                ("ll:actor", &entry.actor),
                ("ll:station", &entry.station),
            ] {
                fields.push_with(|out| c.generic_text_into(k, v, out));
            }
            fields.join_sorted_into(&mut e);
            rest.push(e);
            Ll(record).parts(c, "ll:record", &mut rest);
        }
        // errorDeclaration is not hashed.
        rest.sort();
        push_all(s, &rest);
        ni_uri(s)
    }

    /// Appends the event as compact JSON with `eventID` `id`.
    fn write_json(&self, out: &mut Vec<u8>, id: &str) -> io::Result<()> {
        let mut j = Json(out);
        j.raw("{\"type\":");
        j.str(self.kind)?;
        j.key("eventID");
        j.str(id)?;
        j.key("eventTime");
        j.str(&self.time)?;
        j.key("eventTimeZoneOffset");
        j.str(OFFSET)?;
        if let Some(p) = &self.parent {
            j.key("parentID");
            j.str(p)?;
        }
        if let Some(epcs) = &self.epcs {
            j.epcs("epcList", epcs)?;
        }
        j.classes("quantityList", &self.quantities)?;
        j.classes("inputQuantityList", &self.inputs)?;
        j.classes("outputQuantityList", &self.outputs)?;
        if let Some(t) = &self.transformation {
            j.key("transformationID");
            j.str(t)?;
        }
        if !self.children.is_empty() {
            j.epcs("childEPCs", &self.children)?;
        }
        j.classes("childQuantityList", &self.child_quantities)?;
        for (k, v) in
            [("action", self.action), ("bizStep", self.biz_step), ("disposition", self.disposition)]
        {
            if let Some(v) = v {
                j.key(k);
                j.str(v)?;
            }
        }
        j.key("readPoint");
        j.raw("{\"id\":");
        j.str(&self.read_point)?;
        j.raw("}");
        if let Some(l) = &self.biz_location {
            j.key("bizLocation");
            j.raw("{\"id\":");
            j.str(l)?;
            j.raw("}");
        }
        j.pairs("bizTransactionList", &self.transactions)?;
        j.pairs("sourceList", &self.sources)?;
        j.pairs("destinationList", &self.destinations)?;
        for (i, (k, v)) in self.ilmd.iter().enumerate() {
            if i == 0 {
                j.key("ilmd");
                j.raw("{");
            } else {
                j.raw(",");
            }
            j.str(k)?;
            j.raw(":");
            j.str(v)?;
        }
        if !self.ilmd.is_empty() {
            j.raw("}");
        }
        if let Some((entry, record)) = &self.extensions {
            j.key("ll:entry");
            for (i, (k, v)) in [
                ("ll:ledger", &entry.ledger),
                ("ll:seq", &entry.seq),
                ("ll:hash", &entry.hash),
                ("ll:actor", &entry.actor),
                ("ll:station", &entry.station),
            ]
            .into_iter()
            .enumerate()
            {
                j.raw(if i == 0 { "{" } else { "," });
                j.str(k)?;
                j.raw(":");
                j.str(v)?;
            }
            j.raw("}");
            j.key("ll:record");
            Ll(record).write(&mut j)?;
        }
        if let Some(d) = &self.error {
            j.key("errorDeclaration");
            j.raw("{\"declarationTime\":");
            j.str(&d.time)?;
            j.raw(",\"reason\":");
            j.str(d.reason)?;
            if !d.corrective.is_empty() {
                j.raw(",\"correctiveEventIDs\":");
                for (i, id) in d.corrective.iter().enumerate() {
                    j.raw(if i == 0 { "[" } else { "," });
                    j.str(id)?;
                }
                j.raw("]");
            }
            j.raw(",\"ll:correction\":{\"ll:ledger\":");
            j.str(&d.ledger)?;
            j.raw(",\"ll:seq\":");
            j.str(&d.seq)?;
            j.raw("}}");
        }
        j.raw("}");
        Ok(())
    }
}

/// A compact JSON writer over a byte buffer (strings escaped by serde_json).
struct Json<'a>(&'a mut Vec<u8>);

impl Json<'_> {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        serde_json::to_writer(&mut *self.0, s).map_err(io::Error::from)
    }

    fn value(&mut self, v: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut *self.0, v).map_err(io::Error::from)
    }

    /// `,"key":` (every key but the first, `type`, follows a field).
    fn key(&mut self, key: &str) {
        self.0.push(b',');
        self.0.push(b'"');
        self.raw(key);
        self.0.extend_from_slice(b"\":");
    }

    /// `,"key":[...]` with every URI of `list`, an empty list as `[]`. A
    /// unit whose base needs no escaping is written as it is (its encoded
    /// serial never does), without going through the string escaper.
    fn epcs(&mut self, key: &str, list: &[Epc]) -> io::Result<()> {
        self.key(key);
        let plain: Vec<bool> = list
            .iter()
            .map(|e| {
                e.base().is_some_and(|b| !b.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20))
            })
            .collect();
        let mut uri = String::with_capacity(96);
        let mut first = true;
        Epc::each(list, |k, base, serial, _| {
            self.raw(if first { "[" } else { "," });
            first = false;
            match serial {
                Some(serial) if plain.get(k).copied().unwrap_or(false) => {
                    self.0.push(b'"');
                    self.raw(base);
                    self.raw(serial);
                    self.0.push(b'"');
                    Ok(())
                }
                Some(serial) => {
                    uri.clear();
                    uri.push_str(base);
                    uri.push_str(serial);
                    self.str(&uri)
                }
                None => self.str(base),
            }
        })?;
        self.raw(if first { "[]" } else { "]" });
        Ok(())
    }

    fn classes(&mut self, key: &str, list: &[Class]) -> io::Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        self.key(key);
        for (i, c) in list.iter().enumerate() {
            self.raw(if i == 0 { "[{\"epcClass\":" } else { ",{\"epcClass\":" });
            self.str(&c.epc_class)?;
            if let Some((amount, unit)) = &c.quantity {
                self.raw(",\"quantity\":");
                self.value(amount)?;
                self.raw(",\"uom\":");
                self.str(unit)?;
            }
            self.raw("}");
        }
        self.raw("]");
        Ok(())
    }

    fn pairs(&mut self, key: &str, list: &[Pair]) -> io::Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        self.key(key);
        for (i, p) in list.iter().enumerate() {
            self.raw(if i == 0 { "[{\"type\":" } else { ",{\"type\":" });
            self.str(p.kind)?;
            self.raw(",\"");
            self.raw(p.key);
            self.raw("\":");
            self.str(&p.value)?;
            self.raw("}");
        }
        self.raw("]");
        Ok(())
    }
}

impl Exporter<'_> {
    /// The event of one entry: with `extensions`, its `ll:entry` and
    /// `ll:record`; when a correction in force voids the entry, with an
    /// `errorDeclaration` naming the earliest such correction and the
    /// `eventID`s (from `ids`) of its replacements.
    fn draft(
        &self,
        ledger: &LedgerId,
        header: &Header,
        hash: &Digest,
        record: &Record,
        ids: &BTreeMap<(LedgerId, u64), String>,
        extensions: bool,
    ) -> Result<Event, &'static str> {
        if let Some(reason) = no_counterpart(record) {
            return Err(reason);
        }
        if self.time(header.time).is_none() {
            return Err("time outside years 0000 to 9999: EPCIS times have four-digit years");
        }
        let mut event = self
            .event(ledger, header, hash, record, extensions)
            .ok_or("no EPCIS counterpart: a record kind this version of the export does not map")?;
        if let Some(voider) =
            self.o.corrections.voided_by(ledger, header.seq).and_then(<[_]>::first)
        {
            let time =
                self.time(voider.time).ok_or("correction time outside years 0000 to 9999")?;
            let reason =
                if voider.replacements.is_empty() { "did_not_occur" } else { "incorrect_data" };
            event.error = Some(Declaration {
                time,
                reason,
                corrective: voider
                    .replacements
                    .iter()
                    .filter_map(|r| ids.get(&(*ledger, *r)).cloned())
                    .collect(),
                ledger: ledger.to_string(),
                seq: voider.seq.to_string(),
            });
        }
        Ok(event)
    }

    /// The master data element of a master data record: its vocabulary
    /// type and id, and its CBV attributes (empty fields left out; no
    /// contact, since contacts name persons).
    fn master(&self, record: &Record) -> Option<(MasterKey, Vec<(String, String)>)> {
        let s = &self.o.scheme;
        let mut attrs: Vec<(String, String)> = Vec::new();
        let mut put = |key: &str, value: &str| {
            if !value.is_empty() {
                let key = if key.contains(':') { key.to_owned() } else { format!("{MDA}{key}") };
                attrs.push((key, value.to_owned()));
            }
        };
        let address = |put: &mut dyn FnMut(&str, &str), a: &Address| {
            put("streetAddressOne", a.street.as_str());
            put("city", a.city.as_str());
            put("state", a.region.as_str());
            put("postalCode", a.postal_code.as_str());
            put("countryCode", a.country.as_str());
        };
        let key = match record {
            Record::PartyDescribed(p) => {
                put("name", p.name.as_str());
                if let Some(a) = p.addresses.first() {
                    address(&mut put, a);
                }
                let roles: Vec<&str> = p.roles.iter().map(|r| role_name(*r)).collect();
                put(&format!("{}roles", self.o.namespace), &roles.join(" "));
                (VTYPE_PARTY, s.party(&p.party))
            }
            Record::LocationDescribed(l) => {
                put("name", l.name.as_str());
                address(&mut put, &l.address);
                if let Some(owner) = &l.owner {
                    put("urn:epcglobal:cbv:owning_party", &s.party(owner));
                }
                put(&format!("{}kind", self.o.namespace), location_kind_name(l.kind));
                (VTYPE_LOCATION, s.location(&l.location))
            }
            Record::ProductDescribed(p) => {
                put("descriptionShort", p.description.as_str());
                put("dosageFormType", p.form.as_str());
                put("strengthDescription", p.strength.as_str());
                if let Some(q) = &p.pack_size {
                    put("netContentDescription", &q.to_string());
                }
                if let Some(days) = p.shelf_life_days {
                    put(&format!("{}shelfLifeDays", self.o.namespace), &days.to_string());
                }
                put(&format!("{}storage", self.o.namespace), p.storage.as_str());
                let id = match &p.item {
                    ItemCode::Gtin(g) => format!("https://id.gs1.org/01/{g}"),
                    ItemCode::Internal(c) => s.code("item", c.as_str()),
                };
                (VTYPE_PRODUCT, id)
            }
            _ => return None,
        };
        Some((key, attrs))
    }

    fn context(&self) -> Value {
        json!([EPCIS_CONTEXT, { "ll": self.o.namespace }, { "cbvmda": "urn:epcglobal:cbv:mda:" }])
    }

    fn time(&self, t: Timestamp) -> Option<String> {
        use chrono::Datelike;
        let dt = t.to_datetime()?;
        (0..=9999).contains(&dt.year()).then(|| t.to_string())
    }

    fn class(&self, lot: &LotId, quantity: Option<&Quantity>) -> Class {
        Class {
            epc_class: self.o.scheme.lot(lot),
            quantity: quantity.map(|q| (number(q), q.unit.code().to_owned())),
        }
    }

    /// The goods of an event as EPCs (containers, serials) and lot quantities.
    fn goods(&self, goods: &[Goods]) -> (Vec<Epc>, Vec<Class>) {
        let s = &self.o.scheme;
        let mut epcs = Vec::new();
        let mut lots = Vec::new();
        for g in goods {
            match g {
                Goods::Lot(q) => lots.push(self.class(&q.lot, Some(&q.quantity))),
                Goods::Container(c) => epcs.push(Epc::Uri(s.container(c))),
                Goods::Serials(u) => epcs
                    .push(Epc::Serials { base: s.unit_base(&u.lot.item), span: u.serials.clone() }),
            }
        }
        (epcs, lots)
    }

    /// An `ObjectEvent`'s `epcList` and `quantityList` from its goods; an
    /// empty `epcList` when it has neither.
    fn object_goods(&self, e: &mut Event, goods: &[Goods]) {
        let (epcs, lots) = self.goods(goods);
        if !epcs.is_empty() || lots.is_empty() {
            e.epcs = Some(epcs);
        }
        e.quantities = lots;
    }

    /// What a shipment's event says besides its goods: shipping, in
    /// transit, the order, our party and site as source, the customer and
    /// ship-to as destination (kinds 3 and 22 alike).
    fn shipping(
        &self,
        e: &mut Event,
        order: &str,
        customer: &PartyId,
        ship_to: Option<&LocationId>,
    ) {
        e.biz_step = Some("shipping");
        e.disposition = Some("in_transit");
        e.transactions.push(self.order("po", order));
        if let Some(owner) = &self.o.owner {
            e.sources.push(self.party("source", owner));
        }
        if let Some(site) = &self.o.site {
            e.sources.push(self.location("source", site));
        }
        e.destinations.push(self.party("destination", customer));
        if let Some(to) = ship_to {
            e.destinations.push(self.location("destination", to));
        }
    }

    fn order(&self, kind: &'static str, order: &str) -> Pair {
        Pair { kind, key: "bizTransaction", value: self.o.scheme.code("order", order) }
    }

    fn party(&self, key: &'static str, party: &PartyId) -> Pair {
        Pair { kind: "owning_party", key, value: self.o.scheme.party(party) }
    }

    fn location(&self, key: &'static str, location: &LocationId) -> Pair {
        Pair { kind: "location", key, value: self.o.scheme.location(location) }
    }

    /// The event of one entry, without its `eventID` and error declaration.
    fn event(
        &self,
        ledger: &LedgerId,
        header: &Header,
        hash: &Digest,
        record: &Record,
        extensions: bool,
    ) -> Option<Event> {
        let time = self.time(header.time)?;
        let s = &self.o.scheme;
        let (kind, action) = match record {
            Record::Produced(_) => ("TransformationEvent", None),
            Record::Packed(_) => ("AggregationEvent", Some("ADD")),
            Record::Aggregated(a) => (
                "AggregationEvent",
                Some(match a.action {
                    AggregationAction::Pack => "ADD",
                    AggregationAction::Unpack => "DELETE",
                }),
            ),
            Record::Commissioned(_) => ("ObjectEvent", Some("ADD")),
            Record::Destroyed(_) | Record::Decommissioned(_) => ("ObjectEvent", Some("DELETE")),
            _ => ("ObjectEvent", Some("OBSERVE")),
        };
        let mut e = Event {
            kind,
            time,
            parent: None,
            epcs: None,
            quantities: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            transformation: None,
            children: Vec::new(),
            child_quantities: Vec::new(),
            action,
            biz_step: None,
            disposition: None,
            read_point: s.code("station", header.station.as_str()),
            biz_location: self.o.site.as_ref().map(|site| s.location(site)),
            transactions: Vec::new(),
            sources: Vec::new(),
            destinations: Vec::new(),
            ilmd: Vec::new(),
            extensions: None,
            error: None,
        };
        match record {
            Record::MaterialReceived(r) => {
                e.quantities.push(self.class(&r.lot, Some(&r.quantity)));
                e.biz_step = Some("receiving");
                e.disposition = Some("in_progress");
                if let Some(o) = &r.order {
                    e.transactions.push(self.order("po", o.as_str()));
                }
                e.sources.push(self.party("source", &r.supplier));
                if let Some(owner) = &self.o.owner {
                    e.destinations.push(self.party("destination", owner));
                }
            }
            Record::Inspected(r) => {
                e.quantities.push(self.class(&r.lot, None));
                e.biz_step = Some("inspecting");
                e.disposition = Some(match r.result {
                    InspectionResult::Rejected => "non_conformant",
                    InspectionResult::Accepted | InspectionResult::Conditional => "conformant",
                });
            }
            Record::Produced(r) => {
                e.inputs = r.inputs.iter().map(|q| self.class(&q.lot, Some(&q.quantity))).collect();
                e.outputs =
                    r.outputs.iter().map(|q| self.class(&q.lot, Some(&q.quantity))).collect();
                e.transformation = Some(s.code("workorder", r.work_order.as_str()));
                e.biz_step = Some("commissioning");
                e.transactions.push(Pair {
                    kind: "prodorder",
                    key: "bizTransaction",
                    value: s.code("workorder", r.work_order.as_str()),
                });
                e.ilmd.extend(r.expiry.map(|x| (EXPIRY, x.to_string())));
            }
            Record::DispositionSet(r) => {
                e.quantities.push(self.class(&r.lot, None));
                e.disposition = Some(match r.status {
                    Disposition::Released => "active",
                    Disposition::Quarantine | Disposition::OnHold => "non_sellable_other",
                    Disposition::Rejected => "non_conformant",
                });
            }
            Record::Packed(r) => {
                e.parent = Some(s.container(&r.into));
                for c in &r.contents {
                    match c {
                        Packable::Container(c) => e.children.push(Epc::Uri(s.container(c))),
                        Packable::Lot(q) => {
                            e.child_quantities.push(self.class(&q.lot, Some(&q.quantity)));
                        }
                    }
                }
                e.biz_step = Some("packing");
            }
            Record::Shipped(r) => {
                e.quantities.push(self.class(&r.lot, Some(&r.quantity)));
                self.shipping(&mut e, r.order.as_str(), &r.customer, r.ship_to.as_ref());
            }
            Record::Delivered(r) => {
                e.epcs = Some(Vec::new());
                e.biz_step = Some("accepting");
                e.transactions.push(self.order("po", r.order.as_str()));
                e.destinations.push(self.party("destination", &r.customer));
            }
            Record::Returned(r) => {
                e.quantities.push(self.class(&r.lot, Some(&r.quantity)));
                e.biz_step = Some("receiving");
                e.disposition = Some("returned");
                if let Some(o) = &r.order {
                    e.transactions.push(self.order("po", o.as_str()));
                }
                e.sources.push(self.party("source", &r.from));
            }
            Record::ComplaintRegistered(ComplaintRegistered { lot, quantity, .. })
            | Record::ComplaintRegisteredV1(ComplaintRegisteredV1 { lot, quantity, .. }) => {
                match lot {
                    Some(lot) => e.quantities.push(self.class(lot, quantity.as_ref())),
                    None => e.epcs = Some(Vec::new()),
                }
            }
            // A correction is a ledger record with no EPCIS counterpart of
            // its own: it travels in `ll:record`; the entry it voids carries
            // the `errorDeclaration`.
            Record::ComplaintProgress(_) | Record::Corrected(_) => e.epcs = Some(Vec::new()),
            Record::Attached(a) => match &a.subject {
                Subject::Lot(lot) => e.quantities.push(self.class(lot, None)),
                _ => e.epcs = Some(Vec::new()),
            },
            Record::RecallOpened(r) => {
                e.quantities.extend(r.lots.iter().map(|l| self.class(l, None)));
                e.disposition = Some("recalled");
            }
            Record::RecallAction(r) => match &r.step {
                RecallStep::Retrieved { customer, lot, quantity } => {
                    e.quantities.push(self.class(lot, Some(quantity)));
                    e.biz_step = Some("receiving");
                    e.disposition = Some("recalled");
                    e.sources.push(self.party("source", customer));
                }
                RecallStep::CustomerNotified { customer } => {
                    e.epcs = Some(Vec::new());
                    e.destinations.push(self.party("destination", customer));
                }
                _ => e.epcs = Some(Vec::new()),
            },
            Record::Destroyed(r) => {
                e.quantities.push(self.class(&r.lot, Some(&r.quantity)));
                e.biz_step = Some("destroying");
                e.disposition = Some("destroyed");
            }
            Record::Commissioned(r) => {
                let base = s.unit_base(&r.lot.item);
                e.epcs = Some(
                    r.serials
                        .iter()
                        .map(|span| Epc::Serials { base: base.clone(), span: span.clone() })
                        .collect(),
                );
                e.biz_step = Some("commissioning");
                e.disposition = Some("active");
                e.ilmd.push((LOT_NUMBER, r.lot.lot.as_str().to_owned()));
            }
            Record::Aggregated(r) => {
                e.parent = Some(s.container(&r.parent));
                let (epcs, lots) = self.goods(&r.contents);
                e.children = epcs;
                e.child_quantities = lots;
                e.biz_step = Some(match r.action {
                    AggregationAction::Pack => "packing",
                    AggregationAction::Unpack => "unpacking",
                });
            }
            Record::GoodsShipped(r) => {
                self.object_goods(&mut e, &r.goods);
                self.shipping(&mut e, r.order.as_str(), &r.customer, r.ship_to.as_ref());
            }
            Record::GoodsReturned(r) => {
                self.object_goods(&mut e, &r.goods);
                e.biz_step = Some("receiving");
                e.disposition = Some("returned");
                if let Some(o) = &r.order {
                    e.transactions.push(self.order("po", o.as_str()));
                }
                e.sources.push(self.party("source", &r.from));
                if let Some(owner) = &self.o.owner {
                    e.destinations.push(self.party("destination", owner));
                }
            }
            Record::Decommissioned(r) => {
                self.object_goods(&mut e, &r.goods);
                let (step, disposition) = decommission_terms(r.reason);
                e.biz_step = Some(step);
                e.disposition = Some(disposition);
            }
            _ => return None,
        }
        if extensions {
            let entry = EntryRef {
                ledger: hex(&ledger.0),
                seq: header.seq.to_string(),
                hash: hex(&hash.0),
                actor: header.actor.to_string(),
                station: header.station.to_string(),
            };
            e.extensions = Some((entry, serde_json::to_value(record).unwrap_or_default()));
        }
        Some(e)
    }
}

/// A master data element's vocabulary type and id.
type MasterKey = (&'static str, String);

/// The vocabulary type of business locations.
pub const VTYPE_LOCATION: &str = "urn:epcglobal:epcis:vtype:BusinessLocation";
/// The vocabulary type of parties.
pub const VTYPE_PARTY: &str = "urn:epcglobal:epcis:vtype:Party";
/// The vocabulary type of product classes.
pub const VTYPE_PRODUCT: &str = "urn:epcglobal:epcis:vtype:EPCClass";
/// The prefix of CBV master data attributes.
const MDA: &str = "urn:epcglobal:cbv:mda:";

/// Writes `,"epcisHeader":{"epcisMasterData":{"vocabularyList":[...]}}`
/// with one vocabulary per type, unless there is no master data.
fn write_master<W: Write>(
    out: &mut W,
    master: &BTreeMap<MasterKey, Vec<(String, String)>>,
) -> io::Result<()> {
    if master.is_empty() {
        return Ok(());
    }
    out.write_all(b",\"epcisHeader\":{\"epcisMasterData\":{\"vocabularyList\":[")?;
    let mut current: Option<&str> = None;
    for ((vtype, id), attributes) in master {
        if current != Some(vtype) {
            if current.is_some() {
                out.write_all(b"]},")?;
            }
            out.write_all(b"{\"type\":")?;
            serde_json::to_writer(&mut *out, vtype)?;
            out.write_all(b",\"vocabularyElementList\":[")?;
            current = Some(vtype);
        } else {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"id\":")?;
        serde_json::to_writer(&mut *out, id)?;
        out.write_all(b",\"attributes\":[")?;
        for (i, (attr, value)) in attributes.iter().enumerate() {
            out.write_all(if i == 0 { b"{\"id\":" } else { b",{\"id\":" })?;
            serde_json::to_writer(&mut *out, attr)?;
            out.write_all(b",\"attribute\":")?;
            serde_json::to_writer(&mut *out, value)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}]}}")
}

/// A party role as the master data attribute `ll:roles` lists it.
pub(crate) const fn role_name(r: PartyRole) -> &'static str {
    match r {
        PartyRole::Customer => "customer",
        PartyRole::Supplier => "supplier",
        PartyRole::Carrier => "carrier",
        PartyRole::OwnSite => "own_site",
    }
}

/// A location kind as the master data attribute `ll:kind` names it.
pub(crate) const fn location_kind_name(k: LocationKind) -> &'static str {
    match k {
        LocationKind::ShipTo => "ship_to",
        LocationKind::Warehouse => "warehouse",
        LocationKind::Site => "site",
        LocationKind::Other => "other",
    }
}

/// Why an entry of a kind with no EPCIS event is left out, or `None`.
fn no_counterpart(record: &Record) -> Option<&'static str> {
    Some(match record {
        // A ledger's own anchor, not a traceability event: EPCIS has none.
        Record::Checkpointed(_) => {
            "a checkpoint entry: the ledger's own anchor, not a traceability event"
        }
        Record::PartyDescribed(_) => {
            "master data (record kind 17, party): in the document header's \
             epcisMasterData, not an event"
        }
        Record::LocationDescribed(_) => {
            "master data (record kind 18, location): in the document header's \
             epcisMasterData, not an event"
        }
        Record::ProductDescribed(_) => {
            "master data (record kind 19, product): in the document header's \
             epcisMasterData, not an event"
        }
        Record::PersonalDataErased(_) => {
            "no EPCIS counterpart: record kind 25 (personal data erased, a ledger-internal act)"
        }
        Record::RetentionApplied(_) => {
            "no EPCIS counterpart: record kind 26 (retention applied, a ledger-internal act)"
        }
        _ => return None,
    })
}

/// The CBV business step and disposition of a decommissioning.
const fn decommission_terms(reason: DecommissionReason) -> (&'static str, &'static str) {
    match reason {
        DecommissionReason::Destroyed => ("destroying", "destroyed"),
        DecommissionReason::Dispensed => ("dispensing", "dispensed"),
        DecommissionReason::Stolen => ("decommissioning", "stolen"),
        DecommissionReason::Damaged => ("decommissioning", "damaged"),
        DecommissionReason::Sample => ("sampling", "inactive"),
        DecommissionReason::Other => ("decommissioning", "inactive"),
    }
}

/// Lowercase hex, as the ids' `Display` writes them.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    s
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

/// A JSON value read with every object key in the `ll` namespace, object
/// members that are null left out and booleans as strings: how a record's
/// JSON form travels in `ll:record`. Written and hashed as that value would
/// be, without building it.
struct Ll<'a>(&'a Value);

impl Ll<'_> {
    /// Writes the value as compact JSON.
    fn write(&self, j: &mut Json<'_>) -> io::Result<()> {
        match self.0 {
            Value::Object(map) => {
                let mut first = true;
                for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                    j.raw(if first { "{" } else { "," });
                    first = false;
                    if k.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
                        j.raw("\"ll:");
                        j.raw(k);
                        j.raw("\"");
                    } else {
                        j.str(&format!("ll:{k}"))?;
                    }
                    j.raw(":");
                    Ll(v).write(j)?;
                }
                j.raw(if first { "{}" } else { "}" });
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    j.raw(if i == 0 { "[" } else { "," });
                    Ll(v).write(j)?;
                }
                j.raw(if items.is_empty() { "[]" } else { "]" });
            }
            Value::Bool(b) => j.str(if *b { "true" } else { "false" })?,
            other => j.value(other)?,
        }
        Ok(())
    }

    /// Pushes the value's generic pre-hash parts under `key` (already in the
    /// namespace), as [`Canonicalizer::generic`] does for the value itself.
    /// In an object none of the keys is `#text`, a comment or one that
    /// keeps its children's order, since all are in the namespace.
    fn parts(&self, c: &Canonicalizer, key: &str, parts: &mut Vec<String>) {
        match self.0 {
            Value::Array(items) => items.iter().for_each(|i| Ll(i).parts(c, key, parts)),
            Value::Object(map) => {
                let mut s = String::with_capacity(128);
                c.expand_key_into(key, &mut s);
                let mut children = SortedParts::default();
                let mut nested = Vec::new();
                let mut child = String::from("ll:");
                for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                    child.truncate(3);
                    child.push_str(k);
                    if let Value::Array(_) | Value::Object(_) = v {
                        nested.clear();
                        Ll(v).parts(c, &child, &mut nested);
                        nested.iter().for_each(|p| children.push(p));
                    } else {
                        // A boolean's text is the string it travels as.
                        let text = scalar_text(v).unwrap_or_default();
                        children.push_with(|out| c.generic_text_into(&child, &text, out));
                    }
                }
                children.join_sorted_into(&mut s);
                parts.push(s);
            }
            scalar => {
                // A boolean's text is the string it travels as.
                let text = scalar_text(scalar).unwrap_or_default();
                parts.push(c.generic_text(key, &text));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SerialRange;

    #[test]
    fn range_serials_count_up_as_the_range_writes_them() {
        for (prefix, first, count, width) in [
            ("A", 995, 10, 3),
            ("L1-", 99_990, 20, 2),
            ("", 0, 12, 1),
            ("X%", 5, 3, 6),
            ("B", 999_999_997, 5, 1),
            ("", u64::MAX - 2, 3, 20),
            ("Z", 0, 1, 0),
        ] {
            let r = SerialRange::new(prefix, first, count, width).unwrap();
            let list = [Epc::Serials { base: "b/".into(), span: SerialSpan::Range(r.clone()) }];
            let mut got = Vec::new();
            Epc::each(&list, |_, _, s, _| {
                got.push(s.unwrap_or_default().to_owned());
                Ok(())
            })
            .unwrap();
            let want: Vec<String> = (0..count)
                .map(|i| {
                    let mut s = String::new();
                    encode_into(r.serial(i).unwrap().as_str(), &mut s);
                    s
                })
                .collect();
            assert_eq!(got, want, "{prefix:?} from {first}, {count} of width {width}");
        }
    }

    #[test]
    fn increment_carries_and_leaves_all_nines_alone() {
        let step = |s: &str, stem: usize| {
            let mut t = String::from(s);
            let done = increment(&mut t, stem);
            (done, t)
        };
        assert_eq!(step("A0", 1), (true, "A1".into()));
        assert_eq!(step("A000999", 1), (true, "A001000".into()));
        assert_eq!(step("9-19", 2), (true, "9-20".into()));
        assert_eq!(step("A999", 1), (false, "A999".into()));
        assert_eq!(step("A", 1), (false, "A".into()));
        let mut s = String::from("P");
        push_padded(7, 3, &mut s);
        assert_eq!(s, "P007");
        push_padded(123_456, 2, &mut s);
        assert_eq!(s, "P007123456");
        s.clear();
        push_padded(5, 22, &mut s);
        assert_eq!(s, "0000000000000000000005");
    }
}
