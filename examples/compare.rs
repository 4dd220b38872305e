//! Side by side on one machine, in one run, at equal work: lotledger
//! against SQLite (rusqlite: a lean append-only chain table and an indexed
//! schema, WAL, `synchronous=FULL`, a commit every 1,000 rows, the same
//! entry hashes computed in the application), JSON lines (serde_json, a
//! hash chain, `fdatasync` every 1,000 lines), and the machine's limits: the
//! SHA-256 compression function over the same bytes, and plain `write` +
//! `fdatasync` of the same bytes on the same schedule. Every store is fed
//! the same record stream from the demo plant, and every fsync each side
//! makes is counted and printed.
//!
//! ```text
//! cargo run --release --example compare -- [--events N] [--rounds R] [--json]
//! ```
//!
//! The method, and why each row is what it is, is in `docs/PERFORMANCE.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::std_instead_of_core,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::panic,
    clippy::too_many_lines,
    missing_docs
)]

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lotledger::chain::{self, Anchor, Verifier, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::entry::{self, ENTRY_MIDSTATE, Stamp};
use lotledger::file::{
    self, Durability, FileLedger, LedgerReader, Options, SegmentFile, SegmentHeader,
};
use lotledger::frame;
use lotledger::index::Index;
use lotledger::index::cache::{self, CacheMode, Source};
use lotledger::interop::epcis;
use lotledger::model::{Corrected, Digest, EntryRef, LedgerId, LotId, Record, Text, Timestamp};
use lotledger::query;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sha2::block_api::compress256;
use sha2::{Digest as _, Sha256};

const BATCH: usize = 1_000;
const LEDGER: LedgerId = LedgerId(*b"compare-ledger-1");
const EPCIS_EVENTS: usize = 20_000;
const TRACE_RUNS: usize = 11;
/// Runs of the cold one-shot queries and of the raw write + fdatasync limit
/// (the best is reported).
const BEST_OF: usize = 3;
/// SQLite commits between two checkpoints (the harness runs them, so that
/// it can count them; `wal_autocheckpoint` is off).
const CHECKPOINT_EVERY: usize = 16;
/// The segment size of the parallel row that gives the speedup.
const SMALL_SEGMENT: u64 = 8 << 20;

struct Args {
    events: usize,
    rounds: usize,
    json: bool,
}

fn args() -> Args {
    let mut a = Args { events: 1_000_000, rounds: 5, json: false };
    let mut it = std::env::args().skip(1);
    let number = |v: Option<String>, what: &str| -> usize {
        v.and_then(|v| v.replace(['_', ','], "").parse().ok())
            .unwrap_or_else(|| panic!("{what} takes a number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => a.json = true,
            "--events" => a.events = number(it.next(), "--events"),
            "--rounds" => a.rounds = number(it.next(), "--rounds"),
            other => panic!(
                "unknown argument {other}; usage: compare [--events N] [--rounds R] [--json]"
            ),
        }
    }
    assert!(a.events > 0, "--events must be at least 1");
    assert!(a.rounds > 0, "--rounds must be at least 1");
    a
}

fn min(v: &[Duration]) -> Duration {
    v.iter().copied().min().unwrap()
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn segment_bytes(dir: &Path) -> u64 {
    segment_paths(dir).iter().map(|p| fs::metadata(p).unwrap().len()).sum()
}

fn segment_paths(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == file::segment::EXTENSION))
        .collect();
    v.sort();
    v
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// SHA-256(prev || bytes): the JSON-lines chain.
fn link(prev: &[u8; 32], bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(bytes);
    h.finalize().into()
}

/// A directory on the real disk (not tmpfs): under the target directory.
fn scratch() -> tempfile::TempDir {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::current_exe().ok()?.parent()?.parent()?.parent().map(Path::to_path_buf)
        })
        .unwrap_or_else(std::env::temp_dir);
    fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new().prefix("compare-").tempdir_in(base).unwrap()
}

/// A segment file that counts its syncs (`fdatasync`).
#[derive(Debug)]
struct Counted {
    file: File,
    syncs: Arc<AtomicU64>,
}

impl SegmentFile for Counted {
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)
    }
    fn sync(&mut self) -> std::io::Result<()> {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.file.sync_data()
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)
    }
    fn duplicate(&self) -> std::io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(Self { file: self.file.try_clone()?, syncs: Arc::clone(&self.syncs) }))
    }
}

/// Options whose segment files count their syncs into the returned counter.
fn counted(options: Options) -> (Options, Arc<AtomicU64>) {
    let syncs = Arc::new(AtomicU64::new(0));
    let theirs = Arc::clone(&syncs);
    let options = options.wrap_files(Arc::new(move |file, _: &Path| -> Box<dyn SegmentFile> {
        Box::new(Counted { file, syncs: Arc::clone(&theirs) })
    }));
    (options, syncs)
}

/// A durable append's figures: time, fsyncs made.
#[derive(Clone, Copy)]
struct Durable {
    time: Duration,
    fsyncs: u64,
}

/// Writes the index cache as `lotledger::index::cache` writes it: a
/// temporary file, synced, renamed over the cache, the directory synced.
/// Returns the fsyncs made (2).
fn write_cache(index: &Index, path: &Path) -> u64 {
    let dir = path.parent().unwrap();
    let temp = dir.join(".index.cache.compare.tmp");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&temp).unwrap());
    cache::write_to(index, &mut out).unwrap();
    let f = out.into_inner().unwrap();
    f.sync_all().unwrap();
    drop(f);
    fs::rename(&temp, path).unwrap();
    File::open(dir).unwrap().sync_all().unwrap();
    2
}

/// The segment file name of a path, as the index labels segments.
fn label(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_owned()
}

/// The blocks `entry::hash` compresses for each entry (previous hash, body,
/// padding), laid out one entry after another, and where each entry's
/// blocks start. The first 32 bytes of each entry's first block are where
/// the raw loop copies the previous hash.
fn padded_blocks(mem: &[u8], bodies: &[(usize, usize)]) -> (Vec<[u8; 64]>, Vec<usize>) {
    let mut blocks: Vec<[u8; 64]> = Vec::with_capacity(bodies.len() * 2);
    let mut starts = Vec::with_capacity(bodies.len() + 1);
    let mut msg = Vec::with_capacity(frame::MAX_FRAME_LEN + 128);
    for &(s, e) in bodies {
        starts.push(blocks.len());
        msg.clear();
        msg.extend_from_slice(&[0u8; 32]);
        msg.extend_from_slice(&mem[s..e]);
        let bits = ((entry::ENTRY_DOMAIN.len() + 32 + (e - s)) as u64) * 8;
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bits.to_be_bytes());
        blocks.extend(msg.chunks_exact(64).map(|c| <[u8; 64]>::try_from(c).unwrap()));
    }
    starts.push(blocks.len());
    (blocks, starts)
}

fn digest_of(state: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// The raw compression chain over entries `from..to`: for each, copy the
/// previous hash into its first block, then compress its blocks from the
/// domain tag's midstate. Returns the last hash.
fn raw_chain(
    blocks: &mut [[u8; 64]],
    starts: &[usize],
    from: usize,
    to: usize,
    prev: [u8; 32],
) -> [u8; 32] {
    let mut prev = prev;
    for i in from..to {
        let (a, b) = (starts[i], starts[i + 1]);
        blocks[a][..32].copy_from_slice(&prev);
        let mut state = ENTRY_MIDSTATE;
        compress256(&mut state, &blocks[a..b]);
        prev = digest_of(state);
    }
    prev
}

/// Two raw compression chains over `0..half` and `half..n`, interleaved
/// entry by entry on one core. Returns both last hashes.
fn raw_two_chains(
    blocks: &mut [[u8; 64]],
    starts: &[usize],
    half: usize,
    n: usize,
    prev_a: [u8; 32],
    prev_b: [u8; 32],
) -> ([u8; 32], [u8; 32]) {
    let (mut pa, mut pb) = (prev_a, prev_b);
    for i in 0..n - half {
        let j = half + i;
        let mut sa = ENTRY_MIDSTATE;
        let mut sb = ENTRY_MIDSTATE;
        if i < half {
            let (a, b) = (starts[i], starts[i + 1]);
            blocks[a][..32].copy_from_slice(&pa);
            compress256(&mut sa, &blocks[a..b]);
        }
        let (c, d) = (starts[j], starts[j + 1]);
        blocks[c][..32].copy_from_slice(&pb);
        compress256(&mut sb, &blocks[c..d]);
        if i < half {
            pa = digest_of(sa);
        }
        pb = digest_of(sb);
    }
    (pa, pb)
}

/// The fields a relational schema would pull out of a record.
struct Row {
    kind: i64,
    lot: Option<(String, String)>,
    customer: Option<String>,
    quantity: Option<i64>,
    /// (output item, output lot, input item, input lot)
    edges: Vec<(String, String, String, String)>,
    /// The entry a correction voids or replaces, and the hash it names.
    corrects: Option<(i64, [u8; 32])>,
}

fn lot_parts(l: &LotId) -> (String, String) {
    (l.item.to_string(), l.lot.as_str().to_owned())
}

fn row(record: &Record) -> Row {
    let mut r = Row {
        kind: record.kind() as i64,
        lot: None,
        customer: None,
        quantity: None,
        edges: Vec::new(),
        corrects: None,
    };
    match record {
        Record::MaterialReceived(m) => {
            r.lot = Some(lot_parts(&m.lot));
            r.customer = Some(m.supplier.to_string());
            r.quantity = Some(m.quantity.amount as i64);
        }
        Record::Produced(p) => {
            if let Some(o) = p.outputs.first() {
                r.lot = Some(lot_parts(&o.lot));
                r.quantity = Some(o.quantity.amount as i64);
            }
            for o in &p.outputs {
                let (oi, ol) = lot_parts(&o.lot);
                for i in &p.inputs {
                    let (ii, il) = lot_parts(&i.lot);
                    r.edges.push((oi.clone(), ol.clone(), ii, il));
                }
            }
        }
        Record::Shipped(s) => {
            r.lot = Some(lot_parts(&s.lot));
            r.customer = Some(s.customer.to_string());
            r.quantity = Some(s.quantity.amount as i64);
        }
        Record::Corrected(c) => r.corrects = Some((c.target.seq as i64, c.target.hash.0)),
        _ => {}
    }
    r
}

/// seq, item, lot, customer, quantity of a shipment found by the SQLite trace.
type ShipmentRow = (i64, String, String, Option<String>, Option<i64>);

/// Which SQLite schema a load builds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Schema {
    /// `chain(seq INTEGER PRIMARY KEY, record BLOB, hash BLOB)`: append
    /// only, no secondary index.
    Lean,
    /// The columns a query needs, the production edges and the corrections,
    /// with four covering secondary indexes.
    Indexed,
    /// `entries(seq INTEGER PRIMARY KEY, record BLOB)`: the smallest table
    /// that keeps the records (for its size only; no chain, not durable).
    Minimal,
}

/// Opens a SQLite database with the pragmas every load uses.
fn sqlite_open(path: &Path, schema: Schema) -> Connection {
    let db = Connection::open(path).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    let sync = if schema == Schema::Minimal { "OFF" } else { "FULL" };
    db.pragma_update(None, "synchronous", sync).unwrap();
    // 256 MiB of page cache: the working set of every query here.
    db.pragma_update(None, "cache_size", -262_144).unwrap();
    // Checkpoints are run (and counted) by the load itself.
    db.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    db.execute_batch(match schema {
        Schema::Lean => {
            "CREATE TABLE chain(seq INTEGER PRIMARY KEY, record BLOB NOT NULL, hash BLOB NOT NULL);"
        }
        Schema::Minimal => "CREATE TABLE entries(seq INTEGER PRIMARY KEY, record BLOB NOT NULL);",
        Schema::Indexed => {
            "CREATE TABLE entries(
                seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,
                station TEXT NOT NULL, kind INTEGER NOT NULL, lot_item TEXT, lot_code TEXT,
                customer TEXT, quantity INTEGER, record BLOB NOT NULL, hash BLOB NOT NULL);
             CREATE INDEX entries_lot ON entries(lot_item, lot_code, kind, customer, quantity);
             CREATE INDEX entries_customer ON entries(customer);
             CREATE TABLE production_inputs(
                seq INTEGER NOT NULL, output_item TEXT NOT NULL, output_lot TEXT NOT NULL,
                input_item TEXT NOT NULL, input_lot TEXT NOT NULL);
             CREATE INDEX production_inputs_input
                ON production_inputs(input_item, input_lot, seq, output_item, output_lot);
             CREATE TABLE corrections(
                seq INTEGER PRIMARY KEY, target_seq INTEGER NOT NULL, target_hash BLOB NOT NULL);
             CREATE INDEX corrections_target ON corrections(target_seq, target_hash);"
        }
    })
    .unwrap();
    db
}

/// Loads every record into `db` in transactions of [`BATCH`] rows, the
/// entry hashes chained in the application (`entry::hash`, the ledger's
/// own), and a `PRAGMA wal_checkpoint(PASSIVE)` every [`CHECKPOINT_EVERY`]
/// commits. Returns the time and the fsyncs SQLite made: one per commit
/// (the WAL, `synchronous=FULL`) and two per checkpoint that copied pages
/// (the WAL, then the database file), as SQLite's WAL documentation has it;
/// `docs/PERFORMANCE.md` says how this count was checked against the
/// kernel's.
fn sqlite_load(
    db: &mut Connection,
    schema: Schema,
    records: &[(Stamp, Record)],
    mem: &[u8],
    bodies: &[(usize, usize)],
) -> (Durable, Digest) {
    let t = Instant::now();
    let mut prev = entry::genesis(&LEDGER);
    let mut fsyncs = 0;
    for (chunk_no, chunk) in records.chunks(BATCH).enumerate() {
        let tx = db.transaction().unwrap();
        {
            let mut lean =
                tx.prepare_cached("INSERT INTO chain(seq, record, hash) VALUES (?1, ?2, ?3)").ok();
            let mut minimal =
                tx.prepare_cached("INSERT INTO entries(seq, record) VALUES (?1, ?2)").ok();
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO entries(seq, time, actor, station, kind, lot_item, lot_code,
                     customer, quantity, record, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .ok();
            let mut edge = tx
                .prepare_cached(
                    "INSERT INTO production_inputs(seq, output_item, output_lot, input_item, input_lot)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .ok();
            let mut fix = tx
                .prepare_cached(
                    "INSERT INTO corrections(seq, target_seq, target_hash) VALUES (?1, ?2, ?3)",
                )
                .ok();
            for (k, (stamp, record)) in chunk.iter().enumerate() {
                let seq = chunk_no * BATCH + k;
                let (s, e) = bodies[seq];
                let body = &mem[s..e];
                match schema {
                    Schema::Minimal => {
                        minimal.as_mut().unwrap().execute(params![seq as i64, body]).unwrap();
                        continue;
                    }
                    Schema::Lean => {
                        let hash = entry::hash(&prev, body);
                        lean.as_mut()
                            .unwrap()
                            .execute(params![seq as i64, body, &hash.0[..]])
                            .unwrap();
                        prev = hash;
                    }
                    Schema::Indexed => {
                        let hash = entry::hash(&prev, body);
                        let r = row(record);
                        let (item, lot) = r.lot.map_or((None, None), |(i, l)| (Some(i), Some(l)));
                        ins.as_mut()
                            .unwrap()
                            .execute(params![
                                seq as i64,
                                stamp.time.0,
                                stamp.actor.as_str(),
                                stamp.station.as_str(),
                                r.kind,
                                item,
                                lot,
                                r.customer,
                                r.quantity,
                                body,
                                &hash.0[..],
                            ])
                            .unwrap();
                        for (oi, ol, ii, il) in &r.edges {
                            edge.as_mut()
                                .unwrap()
                                .execute(params![seq as i64, oi, ol, ii, il])
                                .unwrap();
                        }
                        if let Some((target, target_hash)) = r.corrects {
                            fix.as_mut()
                                .unwrap()
                                .execute(params![seq as i64, target, &target_hash[..]])
                                .unwrap();
                        }
                        prev = hash;
                    }
                }
            }
        }
        tx.commit().unwrap();
        fsyncs += 1;
        if (chunk_no + 1) % CHECKPOINT_EVERY == 0 && schema != Schema::Minimal {
            let copied: i64 =
                db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(2)).unwrap();
            if copied > 0 {
                fsyncs += 2;
            }
        }
    }
    let time = t.elapsed();
    if schema == Schema::Minimal {
        fsyncs = 0;
    }
    (Durable { time, fsyncs }, prev)
}

/// The size of a SQLite database after `wal_checkpoint(TRUNCATE)`.
fn sqlite_size(db: &Connection, path: &Path) -> u64 {
    db.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
    let wal = path.with_extension("sqlite-wal");
    fs::metadata(path).unwrap().len() + fs::metadata(wal).map_or(0, |m| m.len())
}

/// The forward trace in SQL: a recursive CTE from the raw-material lot over
/// the production edges, then the shipments (`kind = 5`) of every derived
/// lot. A correction voids its target only when it names the target's hash
/// (compared on its first 64 bits with the hash stored in the target's row,
/// as lotledger's index compares it, docs/QUERIES.md), and only while it is
/// not itself voided that way: lotledger's rule.
const TRACE_SQL: &str = "WITH RECURSIVE
    void(seq) AS (
        SELECT c.target_seq FROM corrections c
        JOIN entries t ON t.seq = c.target_seq
            AND substr(t.hash, 1, 8) = substr(c.target_hash, 1, 8)
        WHERE NOT EXISTS (SELECT 1 FROM corrections c2
            JOIN entries t2 ON t2.seq = c2.target_seq
                AND substr(t2.hash, 1, 8) = substr(c2.target_hash, 1, 8)
            WHERE c2.target_seq = c.seq)),
    derived(item, lot) AS (
        SELECT ?1, ?2
        UNION
        SELECT p.output_item, p.output_lot FROM derived d
        CROSS JOIN production_inputs p ON p.input_item = d.item AND p.input_lot = d.lot
        WHERE p.seq NOT IN void)
    SELECT e.seq, e.lot_item, e.lot_code, e.customer, e.quantity FROM derived d
    CROSS JOIN entries e ON e.lot_item = d.item AND e.lot_code = d.lot
    WHERE e.kind = 5 AND e.seq NOT IN void
    ORDER BY e.seq";

fn sqlite_trace(db: &Connection, item: &str, lot: &str) -> Vec<ShipmentRow> {
    let mut stmt = db.prepare_cached(TRACE_SQL).unwrap();
    stmt.query_map(params![item, lot], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The five columns SQLite's trace rows hold, read from lotledger's trace.
fn lotledger_trace(index: &Index, start: &LotId) -> Vec<u64> {
    let tr = query::trace_forward(index, start).unwrap();
    let rows: Vec<(u64, &str, &str, &str, query::Decimal)> = tr
        .shipments
        .iter()
        .map(|l| (l.seq(), l.item(), l.lot(), l.customer(), l.quantity()))
        .collect();
    rows.iter().map(|r| r.0).collect()
}

/// The trace start: of the first 64 raw-material lots consumed by
/// production, the one whose forward trace reaches the most shipments (a
/// recall investigator's question worth timing).
fn trace_start(records: &[(Stamp, Record)], index: &Index) -> LotId {
    let mut consumed: Vec<LotId> = Vec::new();
    for (_, r) in records {
        if let Record::Produced(p) = r {
            for i in &p.inputs {
                if !consumed.contains(&i.lot)
                    && records
                        .iter()
                        .any(|(_, r)| matches!(r, Record::MaterialReceived(m) if m.lot == i.lot))
                {
                    consumed.push(i.lot.clone());
                }
            }
        }
        if consumed.len() >= 64 {
            break;
        }
    }
    consumed
        .iter()
        .max_by_key(|l| query::trace_forward(index, l).map_or(0, |t| t.shipments.len()))
        .cloned()
        .or_else(|| {
            records.iter().find_map(|(_, r)| match r {
                Record::MaterialReceived(m) => Some(m.lot.clone()),
                _ => None,
            })
        })
        .expect("a receipt")
}

/// Appends every record to a new `FileLedger` in `dir`; with `cache`, keeps
/// the persistent index cache current as it goes: after each group commit
/// the group's frames (the bytes just written, here taken from `mem`) are
/// verified and added to an in-memory [`Index`], and the cache file is
/// rewritten whenever the entries added since it was last written reach a
/// sixteenth of those it holds (`lotledger::index::cache`'s own rule), and
/// once at the end, so that it is current when the last entry is durable.
/// Returns the time until the last entry is durable (and, with `cache`, the
/// cache written), the fsyncs made, and the time spent on the cache alone.
fn lotledger_load(
    dir: &Path,
    options: Options,
    records: &[(Stamp, Record)],
    mem: &[u8],
    frames: &[(usize, usize)],
    cache: bool,
) -> (Durable, Duration) {
    let (options, syncs) = counted(options);
    let cache_path = dir.join(cache::FILE_NAME);
    let t = Instant::now();
    let mut ledger = FileLedger::create(dir, LEDGER, options).unwrap();
    let mut index = Index::new();
    let mut segment = ledger.current_segment().to_path_buf();
    let mut indexed = 0; // entries added to `index`
    let mut cached = 0; // entries the cache file holds
    let mut cache_fsyncs = 0;
    let mut cache_time = Duration::ZERO;
    let ingest = |index: &mut Index, from: usize, to: usize, segment: &Path| {
        if to > from {
            let bytes = &mem[frames[from].0..frames[to - 1].1];
            index.ingest_segment(&LEDGER, &label(segment), bytes).unwrap();
        }
    };
    for (i, (stamp, record)) in records.iter().enumerate() {
        let _appended = ledger.append(stamp, record).unwrap();
        if !cache {
            continue;
        }
        let c = Instant::now();
        if ledger.current_segment() != segment {
            // Entry `i` opened a new segment: the ones before it close the old.
            ingest(&mut index, indexed, i, &segment);
            indexed = i;
            segment = ledger.current_segment().to_path_buf();
        }
        if (i + 1) % BATCH == 0 {
            ingest(&mut index, indexed, i + 1, &segment);
            indexed = i + 1;
            if (indexed - cached) * 16 >= cached {
                cache_fsyncs += write_cache(&index, &cache_path);
                cached = indexed;
            }
        }
        cache_time += c.elapsed();
    }
    ledger.sync().unwrap();
    if cache {
        let c = Instant::now();
        ingest(&mut index, indexed, records.len(), &segment);
        if records.len() > cached {
            cache_fsyncs += write_cache(&index, &cache_path);
        }
        cache_time += c.elapsed();
    }
    let time = t.elapsed();
    ledger.close().unwrap();
    let segments = segment_paths(dir).len() as u64;
    // Every segment file's sync went through the counter; each segment's
    // creation also synced the directory once.
    let fsyncs = syncs.load(Ordering::Relaxed) + segments + cache_fsyncs;
    (Durable { time, fsyncs }, cache_time)
}

/// Byte ranges (start, end) into an encoded ledger.
type Spans = Vec<(usize, usize)>;

/// The (start, end) of every frame of `mem`, and of every frame's body.
fn split_frames(mem: &[u8]) -> (Spans, Spans) {
    let (mut frames, mut bodies) = (Vec::new(), Vec::new());
    let mut pos = 0;
    while pos < mem.len() {
        let f = frame::parse(&mem[pos..]).unwrap();
        let body_start = f.body.as_ptr() as usize - mem.as_ptr() as usize;
        bodies.push((body_start, body_start + f.body.len()));
        let end = body_start + f.body.len() + frame::CRC_LEN;
        frames.push((pos, end));
        pos = end;
    }
    (frames, bodies)
}

/// Bytes per entry of the stream `lotledger demo` writes (master data and
/// serialized units: parties, locations, products, commissioning,
/// aggregation, shipments by SSCC), which the timed rows do not use: the
/// SQLite trace there knows lots, not containers. Stored the same ways as
/// the timed stream's bytes: lotledger's segments and index cache, lean
/// SQLite and the (seq, record) table.
struct UnitsPlantBytes {
    entries: usize,
    /// Entries of kinds 17 to 24 (master data and units).
    unit_and_master_entries: usize,
    median_frame: usize,
    frames: u64,
    segments: u64,
    cache: u64,
    sqlite_lean: u64,
    sqlite_minimal: u64,
}

fn units_plant_bytes(n: usize, root: &Path) -> UnitsPlantBytes {
    let config =
        PlantConfig { master_data: true, serialized: true, ..PlantConfig::for_events(n as u64) };
    let mut plant = Plant::new(&config);
    let mut records: Vec<(Stamp, Record)> = Vec::with_capacity(n);
    let mut w = Writer::new(Vec::new(), vec![0u8; frame::MAX_FRAME_LEN], Anchor::genesis(&LEDGER));
    while records.len() < n {
        let Some((stamp, record)) = plant.next() else { break };
        let receipt = w.append(&stamp, &record).unwrap();
        if receipt.seq % 97 == 0 {
            plant.note_receipt(receipt);
        }
        records.push((stamp, record));
    }
    let mem = w.into_parts().0;
    let (frames, bodies) = split_frames(&mem);
    let mut lens: Vec<usize> = frames.iter().map(|(s, e)| e - s).collect();
    lens.sort_unstable();
    let dir = root.join("units-plant");
    // Group commit: the bytes are those of any durability.
    let options =
        Options::new().durability(Durability::GroupCommit { entries: BATCH as u32, millis: 0 });
    let mut ledger = FileLedger::create(&dir, LEDGER, options).unwrap();
    for (stamp, record) in &records {
        let _appended = ledger.append(stamp, record).unwrap();
    }
    ledger.sync().unwrap();
    drop(ledger);
    drop(cache::open(&[&dir], CacheMode::Use).unwrap());
    let lean_path = root.join("units-lean.sqlite");
    let mut lean = sqlite_open(&lean_path, Schema::Lean);
    let _ = sqlite_load(&mut lean, Schema::Lean, &records, &mem, &bodies);
    let min_path = root.join("units-minimal.sqlite");
    let mut minimal = sqlite_open(&min_path, Schema::Minimal);
    let _ = sqlite_load(&mut minimal, Schema::Minimal, &records, &mem, &bodies);
    UnitsPlantBytes {
        entries: records.len(),
        unit_and_master_entries: records
            .iter()
            .filter(|(_, r)| (17..=24).contains(&(r.kind() as u16)))
            .count(),
        median_frame: lens.get(lens.len() / 2).copied().unwrap_or(0),
        frames: mem.len() as u64,
        segments: segment_bytes(&dir),
        cache: fs::metadata(dir.join(cache::FILE_NAME)).unwrap().len(),
        sqlite_lean: sqlite_size(&lean, &lean_path),
        sqlite_minimal: sqlite_size(&minimal, &min_path),
    }
}

fn main() {
    let a = args();
    let n = a.events;
    let rounds = a.rounds;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let say = |s: String| {
        if !a.json {
            eprintln!("{s}");
        }
    };

    // ---- The record stream, encoded once ----
    // The demo plant's corrections name earlier receipts, so the receipts
    // are fed back as in `demo::ledger`. Two corrections are added at the
    // end, naming two shipments of the traced lot: one with the shipment's
    // hash (it voids the shipment) and one with a wrong hash, wrong in its
    // first byte (it voids nothing). Both stores must agree on both.
    let t = Instant::now();
    let mut plant = Plant::new(&PlantConfig::for_events(n.saturating_sub(2).max(1) as u64));
    let mut records: Vec<(Stamp, Record)> = Vec::with_capacity(n);
    let mut w = Writer::new(Vec::new(), vec![0u8; frame::MAX_FRAME_LEN], Anchor::genesis(&LEDGER));
    while records.len() < n.saturating_sub(2).max(1) {
        let Some((stamp, record)) = plant.next() else { break };
        let receipt = w.append(&stamp, &record).unwrap();
        if receipt.seq % 97 == 0 {
            plant.note_receipt(receipt);
        }
        records.push((stamp, record));
    }
    let mut probe = Index::new();
    probe.ingest_segment(&LEDGER, "memory", w.storage()).unwrap();
    let start = trace_start(&records, &probe);
    let traced = lotledger_trace(&probe, &start);
    drop(probe);
    let hashes: Vec<Digest> =
        Verifier::new(w.storage(), Anchor::genesis(&LEDGER)).map(|v| v.unwrap().hash).collect();
    // (the shipment voided, the shipment a wrong-hash correction names)
    let probes = match traced.as_slice() {
        [voided, .., kept] if records.len() + 2 <= n => {
            let mut wrong = hashes[*kept as usize];
            wrong.0[0] ^= 1;
            for (seq, hash) in [(*voided, hashes[*voided as usize]), (*kept, wrong)] {
                let (stamp, _) = records.last().unwrap().clone();
                let record = Record::Corrected(Corrected {
                    target: EntryRef { seq, hash },
                    reason: Text::new("compare: correction probe").unwrap(),
                    replacements: heapless::Vec::new(),
                });
                w.append(&stamp, &record).unwrap();
                records.push((stamp, record));
            }
            Some((*voided, *kept))
        }
        _ => None,
    };
    drop(hashes);
    let mem = w.into_parts().0;
    let n = records.len();
    let (frames, bodies) = split_frames(&mem);
    assert_eq!(frames.len(), n);
    let body_bytes: usize = bodies.iter().map(|(s, e)| e - s).sum();
    say(format!(
        "{n} demo-plant records, {} bytes encoded ({:.1} bytes/entry, bodies {body_bytes} bytes), made in {:.1?}",
        mem.len(),
        mem.len() as f64 / n as f64,
        t.elapsed()
    ));

    let root = scratch();
    say(format!("scratch directory: {}", root.path().display()));

    // ---- Durable append, every store on the same schedule ----
    // Plain write + fdatasync of the same frame bytes, 1,000 entries a
    // batch, serial: best of BEST_OF.
    let raw_path = root.path().join("raw.bin");
    let mut raw_times = Vec::new();
    let mut raw_fsyncs = 0;
    for _ in 0..BEST_OF {
        let _ = fs::remove_file(&raw_path);
        raw_fsyncs = 0;
        let t = Instant::now();
        let mut f = File::create(&raw_path).unwrap();
        for chunk in frames.chunks(BATCH) {
            let (s, e) = (chunk[0].0, chunk[chunk.len() - 1].1);
            f.write_all(&mem[s..e]).unwrap();
            f.sync_data().unwrap();
            raw_fsyncs += 1;
        }
        raw_times.push(t.elapsed());
    }
    let raw = Durable { time: min(&raw_times), fsyncs: raw_fsyncs };
    say(format!("write + fdatasync: {:?} (best of {BEST_OF}: {raw_times:.2?})", raw.time));

    // lotledger: group commit every 1,000 entries, the default segment
    // size; with the background syncer (the default), without it (the same
    // schedule as SQLite and the raw limit), and without it while keeping
    // the index cache current.
    let group =
        Options::new().durability(Durability::GroupCommit { entries: BATCH as u32, millis: 0 });
    let bg_dir = root.path().join("lotledger-background");
    let (ll_bg, _) = lotledger_load(&bg_dir, group.clone(), &records, &mem, &frames, false);
    say(format!(
        "lotledger durable append, background sync: {:.2?}, {} fsyncs",
        ll_bg.time, ll_bg.fsyncs
    ));
    let fg_dir = root.path().join("lotledger-foreground");
    let fg = group.clone().background_sync(false);
    let (ll_fg, _) = lotledger_load(&fg_dir, fg.clone(), &records, &mem, &frames, false);
    say(format!(
        "lotledger durable append, sync in the appender: {:.2?}, {} fsyncs",
        ll_fg.time, ll_fg.fsyncs
    ));
    let cache_dir = root.path().join("lotledger-cache");
    let (ll_cache, cache_time) = lotledger_load(&cache_dir, fg, &records, &mem, &frames, true);
    say(format!(
        "lotledger durable append + index cache kept current: {:.2?} ({cache_time:.2?} of it the index and cache), {} fsyncs",
        ll_cache.time, ll_cache.fsyncs
    ));
    let ll_segments = segment_bytes(&fg_dir);
    assert_eq!(ll_segments, segment_bytes(&cache_dir));
    let cache_bytes = fs::metadata(cache_dir.join(cache::FILE_NAME)).unwrap().len();
    let ll_segment_count = segment_paths(&fg_dir).len();

    // SQLite: lean (the chain alone) and indexed (what the queries need).
    let lean_path = root.path().join("lean.sqlite");
    let mut lean = sqlite_open(&lean_path, Schema::Lean);
    let (sq_lean, lean_head) = sqlite_load(&mut lean, Schema::Lean, &records, &mem, &bodies);
    say(format!("SQLite lean durable insert: {:.2?}, {} fsyncs", sq_lean.time, sq_lean.fsyncs));
    let idx_path = root.path().join("indexed.sqlite");
    let mut indexed = sqlite_open(&idx_path, Schema::Indexed);
    let (sq_idx, idx_head) = sqlite_load(&mut indexed, Schema::Indexed, &records, &mem, &bodies);
    say(format!("SQLite indexed durable insert: {:.2?}, {} fsyncs", sq_idx.time, sq_idx.fsyncs));
    let head = LedgerReader::open(&fg_dir).unwrap().verify().unwrap().head.head;
    assert_eq!(lean_head, head, "SQLite's chain is the ledger's");
    assert_eq!(idx_head, head, "SQLite's chain is the ledger's");
    let min_path = root.path().join("minimal.sqlite");
    let mut minimal = sqlite_open(&min_path, Schema::Minimal);
    let _ = sqlite_load(&mut minimal, Schema::Minimal, &records, &mem, &bodies);
    indexed.execute_batch("ANALYZE").unwrap();
    let lean_bytes = sqlite_size(&lean, &lean_path);
    let idx_bytes = sqlite_size(&indexed, &idx_path);
    let min_bytes = sqlite_size(&minimal, &min_path);
    drop(minimal);
    let units = units_plant_bytes(n, root.path());
    say(format!(
        "demo plant with master data and serialized units: {} entries ({} of kinds 17-24), median frame {} bytes",
        units.entries, units.unit_and_master_entries, units.median_frame
    ));

    // JSON lines: one object per line, the hash chained over the line.
    let jl_path = root.path().join("ledger.jsonl");
    let t = Instant::now();
    let mut jl_fsyncs = 0;
    {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&jl_path).unwrap());
        let mut prev = [0u8; 32];
        let mut line = Vec::with_capacity(1024);
        for (seq, (stamp, record)) in records.iter().enumerate() {
            line.clear();
            serde_json::to_writer(
                &mut line,
                &json!({ "seq": seq, "stamp": stamp, "record": record }),
            )
            .unwrap();
            let hash = link(&prev, &line);
            // Append the chain fields to the object: `{...,"prev":..,"hash":..}`.
            line.pop();
            writeln!(line, ",\"prev\":\"{}\",\"hash\":\"{}\"}}", hex(&prev), hex(&hash)).unwrap();
            out.write_all(&line).unwrap();
            prev = hash;
            if (seq + 1) % BATCH == 0 || seq + 1 == n {
                out.flush().unwrap();
                out.get_ref().sync_data().unwrap();
                jl_fsyncs += 1;
            }
        }
    }
    let jl = Durable { time: t.elapsed(), fsyncs: jl_fsyncs };
    let jl_bytes = fs::metadata(&jl_path).unwrap().len();
    say(format!("JSON lines durable append: {:.2?}, {jl_fsyncs} fsyncs", jl.time));

    // 8 MiB segments for the parallel row (written without syncing: only
    // the files matter; its syncs at rotation are counted for the total).
    let small_dir = root.path().join("lotledger-8mib");
    let (small_opts, small_syncs) =
        counted(Options::new().durability(Durability::Buffered).segment_size(SMALL_SEGMENT));
    {
        let mut l = FileLedger::create(&small_dir, LEDGER, small_opts).unwrap();
        for (stamp, record) in &records {
            let _ = l.append(stamp, record).unwrap();
        }
        l.close().unwrap();
    }
    let small_fsyncs = small_syncs.load(Ordering::Relaxed) + segment_paths(&small_dir).len() as u64;

    // ---- CPU figures, min of `rounds` ----
    // Each round runs every CPU-bound measurement back to back; each figure
    // is the fastest round (the one the scheduler disturbed least) and each
    // ratio the ratio of the fastest rounds. Every round's times go to stderr.
    let (mut blocks, starts) = padded_blocks(&mem, &bodies);
    let genesis = entry::genesis(&LEDGER);
    let half = n / 2;
    let mid_prev = if half == 0 { genesis.0 } else { entry_hash_at(&mem, &bodies, half - 1) };
    let mut t_raw = Vec::new();
    let mut t_raw2 = Vec::new();
    let mut t_hash = Vec::new();
    let mut t_verify_mem = Vec::new();
    let mut t_verify_reader = Vec::new();
    let mut t_index = Vec::new();
    let mut t_append = Vec::new();
    let mut store: Vec<u8> = Vec::with_capacity(mem.len());
    let mut batch: Vec<(Stamp, Record)> = Vec::with_capacity(BATCH);
    for _ in 0..rounds {
        // The machine's limit: the compression function over the blocks
        // `entry::hash` compresses, one serial chain.
        let t = Instant::now();
        let last = raw_chain(&mut blocks, &starts, 0, n, genesis.0);
        t_raw.push(t.elapsed());
        assert_eq!(last, head.0, "the raw loop hashes what the ledger hashes");
        // The same, two independent chains (the halves) interleaved on one core.
        let t = Instant::now();
        let (pa, pb) = raw_two_chains(&mut blocks, &starts, half, n, genesis.0, mid_prev);
        t_raw2.push(t.elapsed());
        assert_eq!((pa, pb), (mid_prev, head.0));
        // `entry::hash` over the pre-split bodies: the verifier's hash alone.
        let t = Instant::now();
        let mut prev = genesis;
        for &(s, e) in &bodies {
            prev = entry::hash(&prev, &mem[s..e]);
        }
        t_hash.push(t.elapsed());
        assert_eq!(prev, head);
        // Verify in memory: frames, CRCs, headers, links, hashes.
        let t = Instant::now();
        let report = chain::verify(&mem, Anchor::genesis(&LEDGER)).unwrap();
        t_verify_mem.push(t.elapsed());
        assert_eq!(report.entries, n as u64);
        // Verify as `lotledger verify` does: open the directory, read the
        // segment files through `LedgerReader`, check every entry.
        let t = Instant::now();
        let report = LedgerReader::open(&fg_dir).unwrap().verify().unwrap();
        t_verify_reader.push(t.elapsed());
        assert_eq!(report.entries, n as u64);
        // Open + index as a query without a cache does.
        let t = Instant::now();
        let opened = cache::open(&[&fg_dir], CacheMode::Off).unwrap();
        t_index.push(t.elapsed());
        assert_eq!(opened.index.entries(), n as u64);
        drop(opened);
        // In-memory append: encode, hash, frame, store. Line software builds
        // a record just before appending it, so the record is in cache; a
        // `Record` takes 3.7 KB in memory (its bounded lists are inline), and
        // reading a million of them from one 3.7 GB array would time the
        // memory system rather than the append. So each batch of 1,000 is
        // copied out (untimed), then appended (timed).
        store.clear();
        let mut w = Writer::new(store, vec![0u8; frame::MAX_FRAME_LEN], Anchor::genesis(&LEDGER));
        let mut appending = Duration::ZERO;
        for part in records.chunks(BATCH) {
            batch.clear();
            batch.extend_from_slice(part);
            let t = Instant::now();
            for (stamp, record) in &batch {
                w.append(stamp, record).unwrap();
            }
            appending += t.elapsed();
        }
        store = w.into_parts().0;
        t_append.push(appending);
        assert!(store == mem, "the same bytes");
    }
    drop((store, batch, blocks, starts));
    let ms = |v: &[Duration]| -> String {
        v.iter().map(|d| format!("{:.1}", d.as_secs_f64() * 1e3)).collect::<Vec<_>>().join(" ")
    };
    say(format!(
        "per round (ms): raw compression {}; two chains {}; entry::hash {}; verify in memory {}; verify (LedgerReader) {}; open + index {}; append in memory {}",
        ms(&t_raw),
        ms(&t_raw2),
        ms(&t_hash),
        ms(&t_verify_mem),
        ms(&t_verify_reader),
        ms(&t_index),
        ms(&t_append)
    ));
    let raw_limit = min(&t_raw);
    let of_raw = |d: Duration| raw_limit.as_secs_f64() / d.as_secs_f64();

    // ---- Parallel verification of segment files ----
    let parallel = |dir: &Path| -> (usize, Duration, Duration) {
        let paths = segment_paths(dir);
        let segments: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
        let verify_segment = |bytes: &[u8], path: &Path| -> u64 {
            let header = SegmentHeader::decode(bytes, path).unwrap();
            chain::verify(&bytes[file::segment::HEADER_LEN..], header.start).unwrap().entries
        };
        let (mut one, mut all) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            let k: u64 = segments.iter().zip(&paths).map(|(b, p)| verify_segment(b, p)).sum();
            one.push(t.elapsed());
            assert_eq!(k, n as u64);
            let t = Instant::now();
            let k: u64 = std::thread::scope(|s| {
                let handles: Vec<_> = (0..cores)
                    .map(|c| {
                        let (segments, paths) = (&segments, &paths);
                        s.spawn(move || {
                            segments
                                .iter()
                                .zip(paths)
                                .skip(c)
                                .step_by(cores)
                                .map(|(b, p)| verify_segment(b, p))
                                .sum::<u64>()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum()
            });
            all.push(t.elapsed());
            assert_eq!(k, n as u64);
        }
        (segments.len(), min(&one), min(&all))
    };
    let (default_segs, def_one, def_all) = parallel(&fg_dir);
    let (small_segs, small_one, small_all) = parallel(&small_dir);
    say(format!(
        "parallel verify: {default_segs} default segments {def_one:.2?} → {def_all:.2?}; {small_segs} 8 MiB segments {small_one:.2?} → {small_all:.2?}"
    ));

    // ---- Trace: warm and cold one-shot ----
    // lotledger cold: open the ledger through its current cache, then the
    // first answer (what one CLI call costs with the cache); and the same
    // without a cache (index built from the ledger).
    let mut cold_cache = Vec::new();
    let mut cold_build = Vec::new();
    let mut ll_seqs = Vec::new();
    for _ in 0..BEST_OF {
        let t = Instant::now();
        let opened = cache::open(&[&cache_dir], CacheMode::Use).unwrap();
        ll_seqs = lotledger_trace(&opened.index, &start);
        cold_cache.push(t.elapsed());
        let report = opened.cache.unwrap();
        assert_eq!(
            report.source,
            Source::Cache { cached: n as u64, caught_up: 0 },
            "the cache kept current during the append is current"
        );
        let t = Instant::now();
        let opened = cache::open(&[&fg_dir], CacheMode::Off).unwrap();
        assert_eq!(lotledger_trace(&opened.index, &start), ll_seqs);
        cold_build.push(t.elapsed());
    }
    let index = cache::open(&[&cache_dir], CacheMode::Use).unwrap().index;
    let _warm_up = lotledger_trace(&index, &start);
    let mut ll_warm = Vec::new();
    let mut ll_trace_lots = 0;
    for _ in 0..TRACE_RUNS {
        // The trace, and the five columns SQLite's rows hold read from every
        // shipment line (borrowed from the index, not copied).
        let t = Instant::now();
        let seqs = lotledger_trace(&index, &start);
        ll_warm.push(t.elapsed());
        assert_eq!(seqs, ll_seqs);
        ll_trace_lots = query::trace_forward(&index, &start).unwrap().lots.len();
    }
    let recall_number = "RC-2026-001".parse().unwrap();
    let ll_recall = query::recall_by_number(&index, &recall_number).ok().map(|_| {
        let mut v = Vec::new();
        for _ in 0..TRACE_RUNS {
            let t = Instant::now();
            let r = query::recall_by_number(&index, &recall_number).unwrap();
            v.push(t.elapsed());
            std::hint::black_box(r);
        }
        median(&v)
    });
    drop(index);

    // SQLite warm: the indexed database, its page cache holding the working
    // set after one untimed run. Cold: a new connection, then the first answer.
    let (si, sl) = lot_parts(&start);
    {
        let mut stmt = indexed.prepare(&format!("EXPLAIN QUERY PLAN {TRACE_SQL}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params![si, sl], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        say(format!("SQLite trace plan: {}", plan.join("; ")));
    }
    let sq_rows = sqlite_trace(&indexed, &si, &sl);
    let sq_seqs: Vec<u64> = sq_rows.iter().map(|r| r.0 as u64).collect();
    let mut sq_warm = Vec::new();
    for _ in 0..TRACE_RUNS {
        let t = Instant::now();
        let rows = sqlite_trace(&indexed, &si, &sl);
        sq_warm.push(t.elapsed());
        assert_eq!(rows.len(), sq_rows.len());
    }
    drop(indexed);
    let mut sq_cold = Vec::new();
    for _ in 0..BEST_OF {
        let t = Instant::now();
        let db = Connection::open(&idx_path).unwrap();
        let rows = sqlite_trace(&db, &si, &sl);
        sq_cold.push(t.elapsed());
        assert_eq!(rows.len(), sq_rows.len());
    }
    // The same answer: the same shipments in the same (ledger) order, and
    // the same correction semantics: the probe correction with the right
    // hash voided its shipment on both sides, the one with a wrong hash
    // voided nothing.
    if ll_seqs != sq_seqs {
        let at = ll_seqs.iter().zip(&sq_seqs).take_while(|(a, b)| a == b).count();
        panic!(
            "lotledger's and SQLite's forward traces of {start} differ: {} and {} shipments, first difference at position {at} ({:?} and {:?})",
            ll_seqs.len(),
            sq_seqs.len(),
            ll_seqs.get(at),
            sq_seqs.get(at)
        );
    }
    if let Some((voided, kept)) = probes {
        assert!(!ll_seqs.contains(&voided), "a correction with the right hash voids");
        assert!(ll_seqs.contains(&kept), "a correction with a wrong hash voids nothing");
    }
    say(format!(
        "trace of {start}: {} shipments; lotledger warm {:.2?}, cold {:.2?} (cache) / {:.2?} (built); SQLite warm {:.2?}, cold {:.2?}",
        ll_seqs.len(),
        median(&ll_warm),
        min(&cold_cache),
        min(&cold_build),
        median(&sq_warm),
        min(&sq_cold)
    ));

    // SQLite verify: read every row of the lean chain in order, recompute.
    let t = Instant::now();
    {
        let mut stmt = lean.prepare("SELECT record, hash FROM chain ORDER BY seq").unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut prev = genesis;
        let mut count = 0;
        while let Some(r) = rows.next().unwrap() {
            let body = r.get_ref(0).unwrap().as_blob().unwrap();
            let stored = r.get_ref(1).unwrap().as_blob().unwrap();
            let h = entry::hash(&prev, body);
            assert_eq!(stored, &h.0[..]);
            prev = h;
            count += 1;
        }
        assert_eq!(count, n);
    }
    let sq_verify = t.elapsed();
    drop(lean);

    // JSON lines verify: parse each line, re-serialise the hashed part, recompute.
    let t = Instant::now();
    {
        let reader = BufReader::with_capacity(1 << 20, File::open(&jl_path).unwrap());
        let mut prev = [0u8; 32];
        let mut count = 0;
        let mut buf = Vec::with_capacity(1024);
        for line in reader.lines() {
            let line = line.unwrap();
            let mut v: serde_json::Map<String, Value> = serde_json::from_str(&line).unwrap();
            let stored = v.remove("hash").unwrap();
            let stored_prev = v.remove("prev").unwrap();
            assert_eq!(stored_prev.as_str().unwrap(), hex(&prev));
            buf.clear();
            serde_json::to_writer(&mut buf, &v).unwrap();
            let h = link(&prev, &buf);
            assert_eq!(stored.as_str().unwrap(), hex(&h));
            prev = h;
            count += 1;
        }
        assert_eq!(count, n);
    }
    let jl_verify = t.elapsed();

    // ---- EPCIS 2.0 size of the first entries ----
    let first = EPCIS_EVENTS.min(n);
    let verified: Vec<_> =
        Verifier::new(&mem, Anchor::genesis(&LEDGER)).take(first).map(Result::unwrap).collect();
    let ll_first_bytes = frames[first - 1].1;
    let entries = epcis::export::ledger_entries(verified).unwrap();
    let export =
        epcis::export::export(entries, &epcis::export::ExportOptions::new(LEDGER, Timestamp(0)));
    let epcis_events = export.event_ids.len();
    let epcis_bytes = serde_json::to_vec(&export.document).unwrap().len();
    let epcis_per_event = epcis_bytes as f64 / epcis_events.max(1) as f64;

    let other_fsyncs = small_fsyncs;
    let total_fsyncs = raw_fsyncs * BEST_OF as u64
        + ll_bg.fsyncs
        + ll_fg.fsyncs
        + ll_cache.fsyncs
        + sq_lean.fsyncs
        + sq_idx.fsyncs
        + jl.fsyncs
        + other_fsyncs;
    say(format!(
        "fsyncs counted in this run: {total_fsyncs} (the rows', the raw limit's {BEST_OF} runs and {other_fsyncs} for the 8 MiB-segment copy; not counted: SQLite's schema creation, ANALYZE, final checkpoint and close)"
    ));
    drop(root);

    // ---- Report ----
    let per = |b: u64| b as f64 / n as f64;
    let r = |d: Duration| rate(n, d);
    let v_reader = min(&t_verify_reader);
    let v_mem = min(&t_verify_mem);
    let summary = json!({
        "events": n,
        "cores": cores,
        "kernel": kernel(),
        "rounds": rounds,
        "append_mem_vs_raw_compression": of_raw(min(&t_append)),
        "verify_vs_raw_compression": of_raw(v_reader),
        "verify_in_memory_vs_raw_compression": of_raw(v_mem),
        "open_index_vs_raw_compression": of_raw(min(&t_index)),
        "entry_hash_vs_raw_compression": of_raw(min(&t_hash)),
        "durable_append_vs_sqlite_lean": sq_lean.time.as_secs_f64() / ll_fg.time.as_secs_f64(),
        "durable_append_vs_sqlite_indexed": sq_idx.time.as_secs_f64() / ll_fg.time.as_secs_f64(),
        "durable_append_cache_vs_sqlite_indexed": sq_idx.time.as_secs_f64() / ll_cache.time.as_secs_f64(),
        "durable_append_vs_fsync": raw.time.as_secs_f64() / ll_fg.time.as_secs_f64(),
        "durable_append_background_vs_fsync": raw.time.as_secs_f64() / ll_bg.time.as_secs_f64(),
        "verify_parallel_speedup_default_segments": def_one.as_secs_f64() / def_all.as_secs_f64(),
        "verify_parallel_speedup_8mib_segments": small_one.as_secs_f64() / small_all.as_secs_f64(),
        "trace_warm_vs_sqlite": median(&sq_warm).as_secs_f64() / median(&ll_warm).as_secs_f64(),
        "trace_cold_vs_sqlite": min(&sq_cold).as_secs_f64() / min(&cold_cache).as_secs_f64(),
        "rates_per_second": {
            "raw_compression": r(raw_limit),
            "raw_compression_two_chains": r(min(&t_raw2)),
            "entry_hash": r(min(&t_hash)),
            "write_fsync": r(raw.time),
            "lotledger_append_mem": r(min(&t_append)),
            "lotledger_append_durable_background": r(ll_bg.time),
            "lotledger_append_durable": r(ll_fg.time),
            "lotledger_append_durable_cache_current": r(ll_cache.time),
            "lotledger_verify": r(v_reader),
            "lotledger_verify_in_memory": r(v_mem),
            "lotledger_open_index": r(min(&t_index)),
            "lotledger_verify_default_segments_1_core": r(def_one),
            "lotledger_verify_default_segments_all_cores": r(def_all),
            "lotledger_verify_8mib_segments_1_core": r(small_one),
            "lotledger_verify_8mib_segments_all_cores": r(small_all),
            "sqlite_lean_insert_durable": r(sq_lean.time),
            "sqlite_indexed_insert_durable": r(sq_idx.time),
            "sqlite_verify": r(sq_verify),
            "json_lines_append_durable": r(jl.time),
            "json_lines_verify": r(jl_verify),
        },
        "fsyncs": {
            "write_fsync": raw.fsyncs,
            "lotledger_background": ll_bg.fsyncs,
            "lotledger": ll_fg.fsyncs,
            "lotledger_cache_current": ll_cache.fsyncs,
            "sqlite_lean": sq_lean.fsyncs,
            "sqlite_indexed": sq_idx.fsyncs,
            "json_lines": jl.fsyncs,
        },
        "seconds": {
            "lotledger_cache_upkeep": cache_time.as_secs_f64(),
            "lotledger_trace_warm": median(&ll_warm).as_secs_f64(),
            "lotledger_trace_cold_cache": min(&cold_cache).as_secs_f64(),
            "lotledger_trace_cold_built": min(&cold_build).as_secs_f64(),
            "lotledger_recall_report": ll_recall.map(|d| d.as_secs_f64()),
            "sqlite_trace_warm": median(&sq_warm).as_secs_f64(),
            "sqlite_trace_cold": min(&sq_cold).as_secs_f64(),
        },
        "trace": {
            "start": start.to_string(),
            "lotledger_lots": ll_trace_lots,
            "shipments": ll_seqs.len(),
            "correction_probes": probes.map(|(v, k)| json!({ "voided": v, "wrong_hash": k })),
        },
        "segments": { "default": default_segs, "small": small_segs, "small_bytes": SMALL_SEGMENT },
        "bytes_per_entry_on_disk": {
            "lotledger": per(ll_segments),
            "lotledger_index_cache": per(cache_bytes),
            "lotledger_with_index_cache": per(ll_segments + cache_bytes),
            "encoded_frames": per(mem.len() as u64),
            "sqlite_lean": per(lean_bytes),
            "sqlite_minimal": per(min_bytes),
            "sqlite_indexed": per(idx_bytes),
            "json_lines": per(jl_bytes),
        },
        "bytes_per_entry_units_plant": {
            "entries": units.entries,
            "unit_and_master_entries": units.unit_and_master_entries,
            "median_frame": units.median_frame,
            "encoded_frames": units.frames as f64 / units.entries as f64,
            "lotledger": units.segments as f64 / units.entries as f64,
            "lotledger_with_index_cache": (units.segments + units.cache) as f64 / units.entries as f64,
            "sqlite_lean": units.sqlite_lean as f64 / units.entries as f64,
            "sqlite_minimal": units.sqlite_minimal as f64 / units.entries as f64,
        },
        "epcis": {
            "entries": first,
            "events": epcis_events,
            "bytes": epcis_bytes,
            "bytes_per_event": epcis_per_event,
            "lotledger_bytes_same_entries": ll_first_bytes,
        },
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary).unwrap());
        return;
    }

    let k = |d: Duration| format!("{:.0}k/s", rate(n, d) / 1000.0);
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let x = |v: f64| format!("{v:.2}×");
    let vs = |base: Duration, ll: Duration| x(base.as_secs_f64() / ll.as_secs_f64());
    println!(
        "Same {n} demo-plant records through each store (entries per second unless noted; CPU rows: fastest of {rounds} rounds).\n"
    );
    println!("| operation | lotledger | SQLite | JSON lines | limit | ratio |");
    println!("|---|---:|---:|---:|---:|---|");
    println!(
        "| SHA-256 limits (one chain; two chains on one core) | | | | {} ; {} | `entry::hash` alone {} ({} of the limit) |",
        k(raw_limit),
        k(min(&t_raw2)),
        k(min(&t_hash)),
        x(of_raw(min(&t_hash)))
    );
    println!(
        "| append in memory (encode, hash, frame) | {} | | | {} | {} of the limit |",
        k(min(&t_append)),
        k(raw_limit),
        x(of_raw(min(&t_append)))
    );
    println!(
        "| durable append, sync every {BATCH} in the appender (fsyncs) | {} ({}) | lean {} ({}); indexed {} ({}) | {} ({}) | {} ({}, best of {BEST_OF}) | {} lean SQLite, {} indexed SQLite, {} of the limit |",
        k(ll_fg.time),
        ll_fg.fsyncs,
        k(sq_lean.time),
        sq_lean.fsyncs,
        k(sq_idx.time),
        sq_idx.fsyncs,
        k(jl.time),
        jl.fsyncs,
        k(raw.time),
        raw.fsyncs,
        vs(sq_lean.time, ll_fg.time),
        vs(sq_idx.time, ll_fg.time),
        vs(raw.time, ll_fg.time)
    );
    println!(
        "| durable append, background sync (fsyncs) | {} ({}) | | | | {} of the serial limit |",
        k(ll_bg.time),
        ll_bg.fsyncs,
        vs(raw.time, ll_bg.time)
    );
    println!(
        "| durable append, index cache kept current (fsyncs) | {} ({}) | indexed {} ({}) | | | {} indexed SQLite |",
        k(ll_cache.time),
        ll_cache.fsyncs,
        k(sq_idx.time),
        sq_idx.fsyncs,
        vs(sq_idx.time, ll_cache.time)
    );
    println!(
        "| verify: open, `LedgerReader::verify` | {} | {} (lean, read + rehash) | {} | {} | {} of the limit, {} SQLite |",
        k(v_reader),
        k(sq_verify),
        k(jl_verify),
        k(raw_limit),
        x(of_raw(v_reader)),
        vs(sq_verify, v_reader)
    );
    println!(
        "| verify in memory (`chain::verify`) | {} | | | {} | {} of the limit |",
        k(v_mem),
        k(raw_limit),
        x(of_raw(v_mem))
    );
    println!(
        "| open + index (no cache) | {} | | | {} | {} of the limit |",
        k(min(&t_index)),
        k(raw_limit),
        x(of_raw(min(&t_index)))
    );
    println!(
        "| verify segments, 1 → {cores} cores, {default_segs} default (64 MiB) segments | {} → {} | | | | {} speedup |",
        k(def_one),
        k(def_all),
        vs(def_one, def_all)
    );
    println!(
        "| verify segments, 1 → {cores} cores, {small_segs} segments of 8 MiB | {} → {} | | | | {} speedup |",
        k(small_one),
        k(small_all),
        vs(small_one, small_all)
    );
    println!(
        "| forward trace from {start}, warm (median of {TRACE_RUNS}) | {} | {} (covering indexes) | | | {} SQLite's speed |",
        ms(median(&ll_warm)),
        ms(median(&sq_warm)),
        vs(median(&sq_warm), median(&ll_warm))
    );
    println!(
        "| forward trace, cold one-shot: open + first answer (best of {BEST_OF}) | {} (cache); {} (no cache) | {} | | | {} SQLite's speed (cache) |",
        ms(min(&cold_cache)),
        ms(min(&cold_build)),
        ms(min(&sq_cold)),
        vs(min(&sq_cold), min(&cold_cache))
    );
    println!(
        "| recall report RC-2026-001 | {} | | | | |",
        ll_recall.map_or_else(|| "no such recall in this stream".to_owned(), ms)
    );
    println!(
        "| bytes per entry on disk | {:.1}; {:.1} with the index cache | lean {:.1}; (seq, record) {:.1}; indexed {:.1} | {:.1} | {:.1} (frames) | {} of lean SQLite, {} with the cache against indexed |",
        per(ll_segments),
        per(ll_segments + cache_bytes),
        per(lean_bytes),
        per(min_bytes),
        per(idx_bytes),
        per(jl_bytes),
        per(mem.len() as u64),
        x(per(ll_segments) / per(lean_bytes)),
        x(per(ll_segments + cache_bytes) / per(idx_bytes))
    );
    let upe = |b: u64| b as f64 / units.entries as f64;
    println!(
        "| bytes per entry, demo with master data and units ({} of {} entries of kinds 17-24, median frame {} B) | {:.1}; {:.1} with the index cache | lean {:.1}; (seq, record) {:.1} | | {:.1} (frames) | {} of lean SQLite |",
        units.unit_and_master_entries,
        units.entries,
        units.median_frame,
        upe(units.segments),
        upe(units.segments + units.cache),
        upe(units.sqlite_lean),
        upe(units.sqlite_minimal),
        upe(units.frames),
        x(upe(units.segments) / upe(units.sqlite_lean))
    );
    println!(
        "| EPCIS 2.0 JSON, first {first} entries | {:.1} bytes/entry | | | | {epcis_per_event:.0} bytes per event ({epcis_events} events), {} of lotledger |",
        ll_first_bytes as f64 / first as f64,
        x(epcis_bytes as f64 / ll_first_bytes as f64)
    );
    println!(
        "\nForward trace: {ll_trace_lots} lots, {} shipments on both sides; {ll_segment_count} segment files.",
        ll_seqs.len()
    );
    println!(
        "Machine: {cores} cores, Linux {}, scratch on the disk under the target directory.",
        kernel()
    );
}

/// The hash of entry `i`, recomputed from the bodies.
fn entry_hash_at(mem: &[u8], bodies: &[(usize, usize)], i: usize) -> [u8; 32] {
    let mut prev = entry::genesis(&LEDGER);
    for &(s, e) in &bodies[..=i] {
        prev = entry::hash(&prev, &mem[s..e]);
    }
    prev.0
}

fn hex(b: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::with_capacity(64), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn kernel() -> String {
    std::process::Command::new("uname")
        .arg("-r")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned())
}
