//! Following the ledgers as they grow: every entry read once, verified
//! along the chain, handed to the index and kept (decoded) for the EPCIS
//! event table, whose rows for the new entries are added when something
//! new arrived (the table built again when they change earlier events).

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, mpsc};

use serde_json::Value;

use lotledger::chain::{Anchor, Chain};
use lotledger::entry::{Header, decode_record};
use lotledger::file::LedgerReader;
use lotledger::index::Index;
use lotledger::interop::epcis::{self, EventWriter, ExportOptions, ImportOptions, Plan, Written};
use lotledger::interop::scope::Corrections;
use lotledger::model::{
    Actor, Checkpointed, Digest, DocumentKind, LedgerId, PartyId, Record, Station, Timestamp,
};
use lotledger::proof::{MemoryStore, NodeId, NodeSource as _, checkpoint_note, leaf_hash, root_at};

use crate::CliError;

use super::events::{Render, Table};

/// One entry read: the number of its ledger, its header, hash and its
/// record's bytes as stored (decoded when needed: a decoded record holds
/// its lists at full capacity, many times the bytes).
pub struct Held {
    pub ledger: usize,
    pub header: Header,
    pub hash: Digest,
    pub record: Box<[u8]>,
}

impl Held {
    /// The record, `None` when this version cannot decode it.
    pub fn record(&self) -> Option<Record> {
        decode_record(&self.record).ok()
    }
}

/// Where the follower stands in one ledger.
struct Position {
    dir: PathBuf,
    id: LedgerId,
    chain: Chain,
    /// The first sequence number of the segment read last, and how many of
    /// its frame bytes were read.
    segment: Option<(u64, usize)>,
    /// Why following this ledger stopped (a frame that does not verify).
    failed: Option<String>,
    /// The Merkle tree of the entry hashes read (every complete node, two
    /// hashes an entry), from which inclusion proofs are made.
    tree: MemoryStore,
    /// The latest signed `checkpointed` entry read.
    signed: Option<Signed>,
}

/// A signed checkpoint entry: its number, its record, and the hash of the
/// entry before it (the last of the tree it signs; none for entry 0).
struct Signed {
    seq: u64,
    record: Checkpointed,
    head: Option<Digest>,
}

/// Every entry read so far, shared with the thread that renders the events
/// of the current table.
pub type Entries = Arc<RwLock<Vec<Held>>>;

/// The follower's state: positions and every entry read so far.
pub struct Follower {
    positions: Vec<Position>,
    entries: Entries,
    own_party: Option<PartyId>,
    /// The captured documents found among `entries[..scanned]`.
    captured: Captured,
    /// The corrections the current event table was built with.
    corrections: Corrections,
}

impl Follower {
    /// A follower of the ledgers in `dirs` (their ids `ids`) that has read nothing yet.
    pub fn new(dirs: &[PathBuf], ids: &[LedgerId], own_party: Option<PartyId>) -> Self {
        let positions = dirs
            .iter()
            .zip(ids)
            .map(|(dir, id)| Position {
                dir: dir.clone(),
                id: *id,
                chain: Chain::new(Anchor::genesis(id)),
                segment: None,
                failed: None,
                tree: MemoryStore::new(),
                signed: None,
            })
            .collect();
        let captured = Captured {
            recorded: vec![BTreeSet::new(); dirs.len()],
            described: vec![BTreeSet::new(); dirs.len()],
            ..Captured::default()
        };
        let corrections = Corrections::none();
        Self { positions, entries: Entries::default(), own_party, captured, corrections }
    }

    /// Reads what was appended since the last call, adds it to `index`
    /// (what the index does not hold yet) and keeps the entries. Returns
    /// how many entries were read.
    pub fn poll(&mut self, index: &Arc<std::sync::RwLock<Index>>) -> u64 {
        let mut read = 0u64;
        let Ok(mut entries) = self.entries.write() else { return 0 };
        for (n, p) in self.positions.iter_mut().enumerate() {
            if p.failed.is_some() {
                continue;
            }
            match poll_one(n, p, index, &mut entries) {
                Ok(r) => read += r,
                Err(e) => {
                    eprintln!("lotledger serve: {}: following stopped: {e}", p.dir.display());
                    p.failed = Some(format!(
                        "following stopped before entry {}: it could not be read or does not \
                         verify (the server's standard error says why)",
                        p.chain.anchor().next_seq
                    ));
                }
            }
        }
        read
    }

    /// Per ledger: its id, how far the server has read and checked its
    /// chain (every frame from entry 0, `Chain::walk`), and why following
    /// it stopped, if it did (without the server's paths).
    pub fn status(&self) -> Value {
        let entries = self.entries.read().map(|e| e.iter().map(|e| e.ledger).collect::<Vec<_>>());
        let entries = entries.unwrap_or_default();
        let list: Vec<Value> = self
            .positions
            .iter()
            .enumerate()
            .map(|(n, p)| {
                serde_json::json!({
                    "ledger": p.id.to_string(),
                    "entries_read": entries.iter().filter(|&&l| l == n).count(),
                    "next_seq": p.chain.anchor().next_seq,
                    "head": p.chain.anchor().head.to_string(),
                    "following": p.failed.is_none(),
                    "stopped": p.failed,
                })
            })
            .collect();
        Value::Array(list)
    }

    /// Per ledger, its id and its latest `checkpointed` entry read (entry,
    /// time, tree size, root, and the signer's key name when signed), or
    /// `null` for a ledger with none.
    pub fn checkpoints(&self) -> Value {
        let Ok(entries) = self.entries.read() else { return Value::Null };
        let list: Vec<Value> = self
            .positions
            .iter()
            .enumerate()
            .map(|(n, p)| {
                let latest =
                    entries.iter().rev().filter(|e| e.ledger == n).find_map(|e| match e.record() {
                        Some(Record::Checkpointed(c)) => Some(serde_json::json!({
                            "seq": e.header.seq,
                            "time": e.header.time.to_string(),
                            "size": c.size,
                            "root": c.root.to_string(),
                            "signer": c.signature.as_ref().map(|s| s.name.to_string()),
                            "record": serde_json::to_value(Record::Checkpointed(c.clone())).ok(),
                        })),
                        _ => None,
                    });
                serde_json::json!({"ledger": p.id.to_string(), "checkpoint": latest})
            })
            .collect();
        Value::Array(list)
    }

    /// The proof bundle (`lotledger prove`'s JSON) of entry `seq` of the
    /// ledger with id `ledger` against the latest signed checkpoint it
    /// holds, the checkpoint's note rebuilt from the entry (no key needed:
    /// the client checks the signature with the key it trusts). The entry's
    /// frame is read again from its segment and must be the one the server
    /// verified. `NotFound` for an unknown ledger, no signed checkpoint or
    /// an entry beyond it.
    pub fn prove(&self, ledger: &LedgerId, seq: u64) -> Result<String, CliError> {
        let p = self
            .positions
            .iter()
            .find(|p| p.id == *ledger)
            .ok_or_else(|| CliError::NotFound(format!("ledger {ledger} is not served here")))?;
        let signed = p.signed.as_ref().ok_or_else(|| {
            CliError::NotFound(format!("ledger {ledger} holds no signed checkpoint entry"))
        })?;
        let size = signed.record.size;
        if seq >= size {
            return Err(CliError::NotFound(format!(
                "entry {seq} is not in the latest signed checkpoint (entry {}), a tree of {size} \
                 entries",
                signed.seq
            )));
        }
        let unmatched = || {
            CliError::Check(format!(
                "the signed checkpoint entry {} does not match the ledger's tree (run `lotledger \
                 verify`)",
                signed.seq
            ))
        };
        let root = root_at(&p.tree, size).map_err(|_| unmatched())?;
        if size != signed.seq || root != signed.record.root.0 {
            return Err(unmatched());
        }
        let mut buf = [0u8; 512];
        let note =
            checkpoint_note(ledger, &signed.record, signed.head.as_ref().map(|d| &d.0), &mut buf)
                .ok_or_else(unmatched)?;
        let note = String::from_utf8_lossy(note).into_owned();
        let leaf = p
            .tree
            .node(NodeId { level: 0, index: seq })
            .map_err(|e| CliError::Storage(e.to_string()))?;
        let (prev, body) = stored_entry(&p.dir, seq, &leaf)?;
        let bundle = crate::tree::proof_bundle(&p.tree, *ledger, seq, prev, &body, size, note)?;
        crate::tree::bundle_json(&bundle)
    }

    /// The EPCIS event table of every entry read, built by a thread that
    /// then renders its events' JSON on demand (until the table is dropped).
    pub fn table(&mut self, index: &Index, created: Timestamp) -> Table {
        let Ok(entries) = self.entries.read() else { return Table::default() };
        self.captured.scan(&self.positions, &entries, self.own_party.as_ref());
        let count = entries.len();
        drop(entries);
        let ids: Vec<LedgerId> = self.positions.iter().map(|p| p.id).collect();
        let Some(first) = ids.first() else { return Table::default() };
        let mut options = ExportOptions::new(*first, created);
        options.corrections = Corrections::from_index(index);
        self.corrections = options.corrections.clone();
        let build = Build {
            options,
            ids,
            dirs: self.positions.iter().map(|p| p.dir.clone()).collect(),
            entries: Arc::clone(&self.entries),
            count,
            documents: self.captured.documents.clone(),
        };
        let (built, table) = mpsc::channel();
        let (renderer, requests) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("lotledger-render".into())
            .spawn(move || build.run(&built, &requests));
        if let Err(e) = spawned {
            eprintln!("lotledger serve: the event table could not be built: {e}");
            return Table::default();
        }
        let mut table = table.recv().unwrap_or_default();
        table.renderer = Some(renderer);
        table
    }

    /// Brings `table` up to every entry read: the rows of the entries read
    /// since it was made are added to it, as a build over all of them
    /// would make them, or, when the new entries change what earlier
    /// events are (a correction the index now holds, the replacement a
    /// correction named, a CBV term no event used before), it is built
    /// again.
    pub fn update(&mut self, index: &Index, table: &RwLock<Table>, created: Timestamp) {
        let Ok(entries) = self.entries.read() else { return };
        self.captured.scan(&self.positions, &entries, self.own_party.as_ref());
        let count = entries.len();
        let (from, renderer) = match table.read() {
            Ok(t) => (t.covered, t.renderer.clone()),
            Err(_) => (0, None),
        };
        let corrections = Corrections::from_index(index);
        let replacements: BTreeSet<(LedgerId, u64)> = corrections.replacements().collect();
        let replacing = entries.get(from..).unwrap_or_default().iter().any(|e| {
            self.positions
                .get(e.ledger)
                .is_some_and(|p| replacements.contains(&(p.id, e.header.seq)))
        });
        drop(entries);
        let mut at = from;
        if let (Some(renderer), true) = (renderer, corrections == self.corrections && !replacing) {
            while at < count {
                let to = count.min(at + EXTEND_CHUNK);
                let documents = (at..to)
                    .filter_map(|i| self.captured.documents.get(&i).map(|d| (i, Arc::clone(d))))
                    .collect();
                let (reply, answer) = mpsc::channel();
                if renderer.send(Request::Extend(Extend { to, documents, reply })).is_err() {
                    break;
                }
                let Ok(Some(rows)) = answer.recv() else { break };
                let Ok(mut t) = table.write() else { return };
                for p in rows {
                    t.push(&p.event, &p.id, p.recorded, p.prefixes, p.entry);
                }
                t.covered = to;
                at = to;
            }
        }
        if at < count || from > count {
            let fresh = self.table(index, created);
            if let Ok(mut t) = table.write() {
                *t = fresh;
            }
        }
    }
}

fn poll_one(
    n: usize,
    p: &mut Position,
    index: &Arc<std::sync::RwLock<Index>>,
    out: &mut Vec<Held>,
) -> Result<u64, String> {
    let reader = LedgerReader::open(&p.dir).map_err(|e| e.to_string())?;
    let mut read = 0;
    for seg in reader.segments_from(p.chain.anchor().next_seq).map_err(|e| e.to_string())? {
        let seg = seg.map_err(|e| e.to_string())?;
        let first = seg.header.start.next_seq;
        let mut pos = match p.segment {
            Some((f, pos)) if f == first => pos,
            _ => 0,
        };
        let frames = seg.frames();
        let indexed = index.read().map_or(0, |i| i.head(&p.id).map_or(0, |h| h.next_seq));
        let mut index_from: Option<usize> = None;
        let mut failure = None;
        let mut last = p.chain.anchor().head;
        let (tree, signed) = (&mut p.tree, &mut p.signed);
        let walked = p.chain.walk(frames, &mut pos, |w| {
            if w.step.header.seq >= indexed && index_from.is_none() {
                index_from = Some(w.offset);
            }
            let seq = w.step.header.seq;
            if let Ok(Record::Checkpointed(record)) = decode_record(w.step.record_bytes)
                && record.signature.is_some()
            {
                let head = (seq > 0).then_some(last);
                *signed = Some(Signed { seq, record, head });
            }
            last = w.step.hash;
            if tree.push_entry(&w.step.hash.0).is_err() {
                failure = Some(format!("entry {seq}: the Merkle tree is full"));
                return ControlFlow::Break(());
            }
            match w.step.header.to_header() {
                Ok(header) => {
                    let record = w.step.record_bytes.into();
                    out.push(Held { ledger: n, header, hash: w.step.hash, record });
                    read += 1;
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    failure = Some(format!("entry {}: {e}", w.step.header.seq));
                    ControlFlow::Break(())
                }
            }
        });
        p.segment = Some((first, pos));
        if let (Some(from), Some(label)) =
            (index_from, seg.path.file_name().and_then(|f| f.to_str()))
        {
            let bytes = frames.get(from..pos).unwrap_or_default();
            let mut index = index.write().map_err(|_| "the index lock is poisoned".to_owned())?;
            index.ingest_segment(&p.id, label, bytes).map_err(|e| e.to_string())?;
        }
        walked.map_err(|e| format!("{} at byte {pos}: {e}", seg.path.display()))?;
        if let Some(f) = failure {
            return Err(f);
        }
    }
    Ok(read)
}

/// Entry `seq` of the ledger in `dir` as stored: the hash it links to and
/// its body, read from its segment along the chain, which must give the
/// leaf `leaf` the server computed when it read the entry.
fn stored_entry(dir: &Path, seq: u64, leaf: &[u8; 32]) -> Result<(Digest, Vec<u8>), CliError> {
    let storage = |e: &dyn std::fmt::Display| {
        eprintln!("lotledger serve: {}: proving entry {seq}: {e}", dir.display());
        CliError::Storage(format!(
            "entry {seq} could not be read again (the server's standard error says why)"
        ))
    };
    let reader = LedgerReader::open(dir).map_err(|e| storage(&e))?;
    let seg = reader
        .segments_from(seq)
        .map_err(|e| storage(&e))?
        .next()
        .ok_or_else(|| storage(&"no segment holds it"))?
        .map_err(|e| storage(&e))?;
    let mut chain = Chain::new(seg.header.start);
    let mut last = seg.header.start.head;
    let mut found = None;
    let mut pos = 0;
    let walked = chain.walk(seg.frames(), &mut pos, |w| {
        if w.step.header.seq == seq {
            found = Some((last, w.body.to_vec(), w.step.hash));
            return ControlFlow::Break(());
        }
        last = w.step.hash;
        ControlFlow::Continue(())
    });
    match found {
        Some((prev, body, hash)) if leaf_hash(&hash.0) == *leaf => Ok((prev, body)),
        Some(_) => Err(storage(&"it is no longer the entry the server verified")),
        None => match walked {
            Err(kind) => Err(storage(&format!("its segment no longer verifies: {kind}"))),
            Ok(()) => Err(storage(&"it is not in the segment that should hold it")),
        },
    }
}

/// A writer into a buffer the caller reads between writes.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

/// A document kept beside a ledger by an import (`attachments/DIGEST.jsonld`),
/// read when its bytes still have the digest the ledger records.
fn kept_document(dir: &Path, digest: &Digest) -> Option<Vec<u8>> {
    use sha2::Digest as _;
    let bytes = std::fs::read(dir.join("attachments").join(format!("{digest}.jsonld"))).ok()?;
    let actual: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    (actual == digest.0).then_some(bytes)
}

/// What the thread that builds an event table and renders its events needs.
struct Build {
    options: ExportOptions,
    ids: Vec<LedgerId>,
    dirs: Vec<PathBuf>,
    entries: Entries,
    /// How many of the entries the table holds.
    count: usize,
    documents: HashMap<usize, Arc<Document>>,
}

/// A request to the thread of a table: render events, or the rows of
/// entries read since.
pub enum Request {
    Render(Render),
    Extend(Extend),
}

/// The rows of the entries from where the table stands to `to`, `None`
/// when they cannot be added to it and the table must be built again.
pub struct Extend {
    to: usize,
    /// The captured documents among them, by position.
    documents: Vec<(usize, Arc<Document>)>,
    reply: mpsc::Sender<Option<Vec<Pending>>>,
}

/// A row to add: [`Table::push`]'s arguments.
pub struct Pending {
    event: Value,
    id: String,
    recorded: Timestamp,
    prefixes: Option<Prefixes>,
    entry: Option<u32>,
}

/// The most entries one [`Extend`] asks for (their events are held until
/// the rows are added).
const EXTEND_CHUNK: usize = 64;

/// The values of the standard vocabulary fields of an event with their
/// field's vocabulary: what `Canonicalizer::add_terms` learns the CBV terms
/// of the document from (`bizStep`, `disposition`, the error declaration's
/// `reason`, `persistentDisposition`, the types of business transactions,
/// sources and destinations, the sensor reports' `type`, `exception`,
/// `component`). A value of a field met before names the same term.
fn vocabulary_values(event: &Value) -> Vec<(&'static str, String)> {
    fn items(v: Option<&Value>) -> Vec<&Value> {
        match v {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        }
    }
    let mut out = Vec::new();
    let mut add = |field: &'static str, v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str) {
            out.push((field, s.to_owned()));
        }
    };
    add("bizStep", event.get("bizStep"));
    add("disposition", event.get("disposition"));
    add("reason", event.pointer("/errorDeclaration/reason"));
    for key in ["set", "unset"] {
        for item in items(event.get("persistentDisposition").and_then(|p| p.get(key))) {
            add("disposition", Some(item));
        }
    }
    for (list, field) in
        [("bizTransactionList", "btt"), ("sourceList", "sdt"), ("destinationList", "sdt")]
    {
        for item in items(event.get(list)) {
            add(field, item.get("type"));
        }
    }
    for element in items(event.get("sensorElementList")) {
        for report in items(element.get("sensorReport")) {
            add("sensor", report.get("type"));
            add("sensor", report.get("exception"));
            add("component", report.get("component"));
        }
    }
    out
}

/// The second pass of the export over the entries, kept by the table's
/// thread: it writes an entry's event when asked, and makes the rows of
/// entries read later as a build over all of them would.
struct Extender<'o> {
    writer: EventWriter<'o, Shared>,
    buffer: Shared,
    personal: crate::personal::ExportPersonal,
    ids: Vec<LedgerId>,
    documents: HashMap<usize, Arc<Document>>,
    /// Per ledger: how many entries of the import of a captured document
    /// are still to come, and their actor and station.
    importing: HashMap<usize, (usize, Actor, Station)>,
    /// The vocabulary values (`vocabulary_values`) of every event the
    /// table was built from: the CBV terms its event hashes know.
    vocabulary: BTreeSet<(&'static str, String)>,
    /// How many entries the rows stand for.
    count: usize,
}

type Sink<'s> = dyn FnMut(&Value, &str, Timestamp, Option<Prefixes>, Option<u32>) + 's;

impl Extender<'_> {
    /// The event of an entry as the export writes it, with its id and
    /// `recordTime`. The writer renders any entry alone: the whole ledger
    /// is selected, so what it writes of an entry does not depend on the
    /// entries written before it.
    fn event(&mut self, e: &Held) -> Option<(Value, String)> {
        let mut r = e.record()?;
        self.personal.apply(e.ledger, &mut r);
        let id = self.ids.get(e.ledger)?;
        let written = self.writer.write(id, &e.header, &e.hash, &r);
        let bytes = self.buffer.take();
        let Ok(Written::Event(event_id)) = written else { return None };
        let text = bytes.strip_prefix(b",").unwrap_or(&bytes);
        let mut event = serde_json::from_slice::<Value>(text).ok()?;
        if let Some(o) = event.as_object_mut() {
            o.insert("recordTime".into(), Value::String(e.header.time.to_string()));
        }
        Some((event, event_id))
    }

    /// The rows of entry `i` (`e`), whose event is `rendered`: a captured
    /// document's events in place of its attachment, nothing for the
    /// entries its import wrote, else the entry's event.
    fn rows(&mut self, i: usize, e: &Held, rendered: Option<(Value, String)>, sink: &mut Sink<'_>) {
        let mut covered = false;
        if let Some(doc) = self.documents.get(&i) {
            for (event, id) in &doc.events {
                sink(event, id, e.header.time, Some(Arc::clone(&doc.prefixes)), None);
            }
            let left = doc.written.saturating_sub(1);
            self.importing
                .insert(e.ledger, (left, e.header.actor.clone(), e.header.station.clone()));
            covered = true;
        } else if let Some((left, actor, station)) = self.importing.get_mut(&e.ledger) {
            if *left > 0 && e.header.actor == *actor && e.header.station == *station {
                *left -= 1;
                covered = true;
            } else {
                self.importing.remove(&e.ledger);
            }
        }
        if let (false, Some((json, id))) = (covered, rendered) {
            sink(&json, &id, e.header.time, None, u32::try_from(i).ok());
        }
    }

    /// The rows of the first `count` entries, into `table`.
    fn build(&mut self, entries: &[Held], table: &mut Table) {
        for (i, e) in entries.iter().enumerate() {
            // Written even when covered: the writer sees every entry once.
            let rendered = self.event(e);
            if let Some((json, _)) = &rendered {
                self.vocabulary.extend(vocabulary_values(json));
            }
            self.rows(i, e, rendered, &mut |ev, id, at, prefixes, entry| {
                table.push(ev, id, at, prefixes, entry);
            });
        }
        self.count = entries.len();
    }

    /// The rows of the entries from `self.count` to `to`, or `None` when
    /// one of their events names a vocabulary value the table's events do
    /// not: a term the document's event hashes would then know, which may
    /// change the hash of an earlier event (the table is built again).
    fn extend(&mut self, entries: &[Held], to: usize) -> Option<Vec<Pending>> {
        let new = entries.get(self.count..to)?;
        let rendered: Vec<Option<(Value, String)>> = new.iter().map(|e| self.event(e)).collect();
        let known = |(json, _): &(Value, String)| {
            vocabulary_values(json).iter().all(|v| self.vocabulary.contains(v))
        };
        if !rendered.iter().flatten().all(known) {
            return None;
        }
        let mut out = Vec::new();
        for (k, (e, r)) in new.iter().zip(rendered).enumerate() {
            self.rows(self.count + k, e, r, &mut |ev, id, at, prefixes, entry| {
                let (event, id) = (ev.clone(), id.to_owned());
                out.push(Pending { event, id, recorded: at, prefixes, entry });
            });
        }
        self.count = to;
        Some(out)
    }
}

impl Build {
    /// Builds the event table of the first `count` entries and sends it on
    /// `built`: every entry's event as the EPCIS export writes it (two
    /// passes over the entries, as `export --format epcis`), except that an
    /// imported (captured) document whose original is kept beside the
    /// ledger stands for itself: its events as sent, with their own
    /// `eventID`s, in place of the entries its import wrote. The rows keep
    /// what queries filter on; the JSON of an exported entry's event is
    /// rendered again, by the same writer, for each `Render` request, and
    /// the rows of entries read later are made for each `Extend`, until
    /// the table (the requests' sender) is dropped.
    fn run(self, built: &mpsc::Sender<Table>, requests: &mpsc::Receiver<Request>) {
        let mut personal = crate::personal::ExportPersonal::new(&self.dirs, false);
        let mut plan = Plan::new(&self.options);
        let Ok(held) = self.entries.read() else { return };
        let entries = held.get(..self.count).unwrap_or_default();
        // Each pass decodes the records again rather than holding them all.
        for e in entries {
            if let (Some(mut r), Some(id)) = (e.record(), self.ids.get(e.ledger)) {
                personal.apply(e.ledger, &mut r);
                plan.observe(id, &e.header, &e.hash, &r);
            }
        }
        let buffer = Shared::default();
        let Ok(writer) = plan.writer(buffer.clone()) else { return };
        buffer.take();
        let mut x = Extender {
            writer,
            buffer,
            personal,
            ids: self.ids.clone(),
            documents: self.documents.clone(),
            importing: HashMap::new(),
            vocabulary: BTreeSet::new(),
            count: 0,
        };
        let mut table = Table::default();
        x.build(entries, &mut table);
        table.covered = x.count;
        drop(held);
        if built.send(table).is_err() {
            return;
        }
        for request in requests {
            let Ok(entries) = self.entries.read() else { return };
            // An answer no longer awaited cannot be sent, which is no matter.
            let _ = match request {
                Request::Render(Render { entries: wanted, reply }) => {
                    let texts = wanted
                        .iter()
                        .map(|&i| {
                            let e = usize::try_from(i).ok().and_then(|i| entries.get(i))?;
                            x.event(e).map(|(json, _)| json.to_string())
                        })
                        .collect();
                    reply.send(texts).is_ok()
                }
                Request::Extend(Extend { to, documents, reply }) => {
                    x.documents.extend(documents);
                    reply.send(x.extend(&entries, to)).is_ok()
                }
            };
        }
    }
}

type Prefixes = Arc<serde_json::Map<String, Value>>;

/// A captured document: its events (each with its id), the prefixes of
/// its context, and how many entries its import wrote (the attachment
/// included).
pub struct Document {
    events: Vec<(Value, String)>,
    prefixes: Prefixes,
    written: usize,
}

/// The captured documents among the entries read, by the position of
/// their attachment entry, found as the entries are read: what a document's
/// import wrote depends only on the entries before it.
#[derive(Default)]
struct Captured {
    documents: HashMap<usize, Arc<Document>>,
    /// How many entries were scanned.
    scanned: usize,
    /// Per ledger, the ids of the events of its documents so far, and what
    /// its master data describes (`ImportOptions::recorded`, `described`).
    recorded: Vec<BTreeSet<String>>,
    described: Vec<BTreeSet<String>>,
}

impl Captured {
    /// Scans the entries not scanned yet for `interchange` attachments
    /// whose original is kept and still has its digest. How many entries
    /// its import wrote is found by importing the original again as it was
    /// imported then (with the event ids and master data the ledger held
    /// before it); the table takes that many entries after the attachment,
    /// as long as they have its actor and station.
    fn scan(&mut self, positions: &[Position], entries: &[Held], own_party: Option<&PartyId>) {
        for (i, e) in entries.iter().enumerate().skip(self.scanned) {
            let Some(record) = e.record() else { continue };
            let (Some(recorded), Some(described)) =
                (self.recorded.get_mut(e.ledger), self.described.get_mut(e.ledger))
            else {
                continue;
            };
            described.extend(epcis::master_keys(&record));
            let Record::Attached(a) = record else { continue };
            if a.kind != DocumentKind::Interchange {
                continue;
            }
            let Some(p) = positions.get(e.ledger) else { continue };
            let Some(bytes) = kept_document(&p.dir, &a.digest) else { continue };
            let Ok(doc) = serde_json::from_slice::<Value>(&bytes) else { continue };
            let Some(ids) = epcis::import::document_event_ids(&bytes) else { continue };
            // The partner only fills fields in; it changes no count.
            let Ok(code) = "EPCIS".parse() else { continue };
            let mut options = ImportOptions::new(
                PartyId::Internal(code),
                e.header.actor.clone(),
                e.header.station.clone(),
                e.header.time,
            );
            options.own_party = own_party.cloned();
            options.recorded = recorded.clone();
            options.described = described.clone();
            let written = epcis::import(&bytes, &options).map_or(1, |im| im.records.len());
            let events = epcis::event_hash::document_events(&doc).unwrap_or_default();
            let mut seen = BTreeSet::new();
            let list: Vec<(Value, String)> = events
                .iter()
                .zip(&ids)
                .filter(|(_, id)| !recorded.contains(*id) && seen.insert((*id).clone()))
                .map(|(ev, id)| {
                    let mut ev = ev.clone();
                    if let Some(o) = ev.as_object_mut() {
                        o.insert("eventID".into(), Value::String(id.clone()));
                        o.insert("recordTime".into(), Value::String(e.header.time.to_string()));
                    }
                    (ev, id.clone())
                })
                .collect();
            recorded.extend(ids);
            let prefixes = Arc::new(super::events::prefixes_of(doc.get("@context")));
            self.documents.insert(i, Arc::new(Document { events: list, prefixes, written }));
        }
        self.scanned = entries.len();
    }
}
