//! Side by side on one machine, in one run: lotledger against SQLite
//! (rusqlite, WAL, `synchronous=FULL`, transactions of 1,000 rows, the same
//! hash chain computed in the application), JSON lines (serde_json, the
//! same hash chain, fsync every 1,000 lines), and the physical limits: raw
//! SHA-256 over the same encoded bytes and plain `write` + `fdatasync` of
//! the same bytes at the same batch size. Every store is fed the same
//! record stream from the demo plant.
//!
//! ```text
//! cargo run --release --example compare -- [--events N] [--json]
//! ```
//!
//! The method is in `docs/PERFORMANCE.md`.
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
use std::time::{Duration, Instant};

use lotledger::chain::{self, Anchor, Verifier, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::entry::Stamp;
use lotledger::file::{self, Durability, FileLedger, Options, SegmentHeader};
use lotledger::frame;
use lotledger::index::Index;
use lotledger::interop::epcis;
use lotledger::model::{LedgerId, LotId, Record, Timestamp};
use lotledger::query;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const BATCH: usize = 1_000;
const LEDGER: LedgerId = LedgerId(*b"compare-ledger-1");
const EPCIS_EVENTS: usize = 20_000;
const TRACE_RUNS: usize = 11;
/// Rounds of the CPU-bound measurements (medians and median ratios are reported).
const CPU_RUNS: usize = 5;

struct Args {
    events: usize,
    json: bool,
}

fn args() -> Args {
    let mut a = Args { events: 1_000_000, json: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => a.json = true,
            "--events" => {
                a.events = it
                    .next()
                    .and_then(|v| v.replace(['_', ','], "").parse().ok())
                    .expect("--events takes a number")
            }
            other => panic!("unknown argument {other}; usage: compare [--events N] [--json]"),
        }
    }
    assert!(a.events > 0, "--events must be at least 1");
    a
}

/// The median over rounds of `base[i] / other[i]`: how many times faster
/// `other` ran than `base` in the same round.
fn median_ratio(base: &[Duration], other: &[Duration]) -> f64 {
    let mut r: Vec<f64> =
        base.iter().zip(other).map(|(b, o)| b.as_secs_f64() / o.as_secs_f64()).collect();
    r.sort_by(f64::total_cmp);
    r[r.len() / 2]
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// SHA-256(prev || bytes): the chain every store here keeps.
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

/// The fields a relational schema would pull out of a record.
struct Row {
    kind: i64,
    lot: Option<(String, String)>,
    customer: Option<String>,
    quantity: Option<i64>,
    /// (output item, output lot, input item, input lot)
    edges: Vec<(String, String, String, String)>,
    /// The entry a correction voids or replaces.
    corrects: Option<i64>,
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
        Record::Corrected(c) => r.corrects = Some(c.target.seq as i64),
        _ => {}
    }
    r
}

/// seq, item, lot, customer, quantity of a shipment found by the SQLite trace.
type ShipmentRow = (i64, String, String, Option<String>, Option<i64>);

struct Figures {
    /// seconds
    secs: f64,
    /// entries per second
    rate: f64,
}

fn fig(n: usize, d: Duration) -> Figures {
    Figures { secs: d.as_secs_f64(), rate: rate(n, d) }
}

fn main() {
    let a = args();
    let n = a.events;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let say = |s: String| {
        if !a.json {
            eprintln!("{s}");
        }
    };

    // The record stream, encoded once (the demo plant's corrections name
    // earlier receipts, so the receipts are fed back as in `demo::ledger`).
    let t = Instant::now();
    let mut plant = Plant::new(&PlantConfig::for_events(n as u64));
    let mut records: Vec<(Stamp, Record)> = Vec::with_capacity(n);
    let mut w = Writer::new(Vec::new(), vec![0u8; frame::MAX_FRAME_LEN], Anchor::genesis(&LEDGER));
    for _ in 0..n {
        let Some((stamp, record)) = plant.next() else { break };
        let receipt = w.append(&stamp, &record).unwrap();
        if receipt.seq % 97 == 0 {
            plant.note_receipt(receipt);
        }
        records.push((stamp, record));
    }
    let mem = w.into_parts().0;
    let n = records.len();
    // Frame and body ranges of the encoded stream.
    let mut frames: Vec<(usize, usize)> = Vec::with_capacity(n);
    let mut bodies: Vec<(usize, usize)> = Vec::with_capacity(n);
    let mut pos = 0;
    while pos < mem.len() {
        let f = frame::parse(&mem[pos..]).unwrap();
        let body_start = f.body.as_ptr() as usize - mem.as_ptr() as usize;
        bodies.push((body_start, body_start + f.body.len()));
        let end = body_start + f.body.len() + frame::CRC_LEN;
        frames.push((pos, end));
        pos = end;
    }
    assert_eq!(frames.len(), n);
    let body_bytes: usize = bodies.iter().map(|(s, e)| e - s).sum();
    say(format!(
        "{n} demo-plant records, {} bytes encoded ({:.1} bytes/entry, bodies {body_bytes} bytes), made in {:.1?}",
        mem.len(),
        mem.len() as f64 / n as f64,
        t.elapsed()
    ));

    // ---- CPU figures, side by side ----
    // Each round times the SHA-256 limit, lotledger's one-core verify and
    // its in-memory append back to back (verify right after SHA-256: both
    // read the same bytes), so a change of load during the run
    // touches all three alike; the ratios are the medians of the per-round
    // ratios. The append writes into a buffer kept from round to round (as a
    // device's RAM or a reused buffer would be), so the kernel's first-touch
    // page faults on a fresh allocation are not counted as append work.
    let mut sha_times = Vec::new();
    let mut mem_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut store: Vec<u8> = Vec::with_capacity(mem.len());
    let mut batch: Vec<(Stamp, Record)> = Vec::with_capacity(BATCH);
    for _ in 0..CPU_RUNS {
        // Raw SHA-256 over the same bodies, chained as the ledger chains them.
        let t = Instant::now();
        let mut prev = [0u8; 32];
        for &(s, e) in &bodies {
            prev = link(&prev, &mem[s..e]);
        }
        std::hint::black_box(prev);
        sha_times.push(t.elapsed());
        // Verify on one core: frames, CRCs, headers, links, hashes.
        let t = Instant::now();
        let report = chain::verify(&mem, Anchor::genesis(&LEDGER)).unwrap();
        verify_times.push(t.elapsed());
        assert_eq!(report.entries, n as u64);
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
        mem_times.push(appending);
        assert!(store == mem, "the same bytes");
    }
    drop((store, batch));
    let append_vs_sha = median_ratio(&sha_times, &mem_times);
    let verify_vs_sha = median_ratio(&sha_times, &verify_times);
    let per_round = |other: &[Duration]| -> String {
        let r = sha_times.iter().zip(other).map(|(s, o)| s.as_secs_f64() / o.as_secs_f64());
        r.map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" ")
    };
    let ms = |v: &[Duration]| -> String {
        v.iter().map(|d| format!("{:.0}", d.as_secs_f64() * 1e3)).collect::<Vec<_>>().join(" ")
    };
    say(format!(
        "per round: SHA-256 {} ms, append {} ms ({}× of SHA-256), verify {} ms ({}×)",
        ms(&sha_times),
        ms(&mem_times),
        per_round(&mem_times),
        ms(&verify_times),
        per_round(&verify_times)
    ));
    let sha = fig(n, median(sha_times));
    let ll_mem = fig(n, median(mem_times));
    let ll_verify = fig(n, median(verify_times));
    say(format!("raw SHA-256: {:.2}s, {:.0}/s", sha.secs, sha.rate));
    say(format!(
        "lotledger in-memory append: {:.2}s, {:.0}/s; verify: {:.2}s, {:.0}/s",
        ll_mem.secs, ll_mem.rate, ll_verify.secs, ll_verify.rate
    ));

    let root = scratch();
    say(format!("scratch directory: {}", root.path().display()));

    // Plain write + fdatasync of the same frame bytes, 1,000 entries a batch.
    let raw_path = root.path().join("raw.bin");
    let t = Instant::now();
    {
        let mut f = File::create(&raw_path).unwrap();
        for chunk in frames.chunks(BATCH) {
            let (s, e) = (chunk[0].0, chunk[chunk.len() - 1].1);
            f.write_all(&mem[s..e]).unwrap();
            f.sync_data().unwrap();
        }
    }
    let fsync = fig(n, t.elapsed());
    say(format!("write + fdatasync: {:.2}s, {:.0}/s", fsync.secs, fsync.rate));

    // ---- lotledger ----
    // Durable file append, group commit every 1,000 entries.
    let ll_dir = root.path().join("lotledger");
    let options = Options::new()
        .segment_size(8 << 20)
        .durability(Durability::GroupCommit { entries: BATCH as u32, millis: 0 });
    let t = Instant::now();
    let mut ledger = FileLedger::create(&ll_dir, LEDGER, options).unwrap();
    for (stamp, record) in &records {
        let _appended = ledger.append(stamp, record).unwrap();
    }
    ledger.sync().unwrap();
    let ll_durable = fig(n, t.elapsed());
    ledger.close().unwrap();
    let ll_bytes = dir_size(&ll_dir);
    say(format!(
        "lotledger durable append: {:.2}s, {:.0}/s, {ll_bytes} bytes on disk",
        ll_durable.secs, ll_durable.rate
    ));

    // Verify the segment files on one core and on all cores (each segment
    // header carries its anchor), in alternating rounds as above.
    let mut seg_paths: Vec<PathBuf> = fs::read_dir(&ll_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == file::segment::EXTENSION))
        .collect();
    seg_paths.sort();
    let segments: Vec<Vec<u8>> = seg_paths.iter().map(|p| fs::read(p).unwrap()).collect();
    let verify_segment = |bytes: &[u8], path: &Path| -> u64 {
        let header = SegmentHeader::decode(bytes, path).unwrap();
        chain::verify(&bytes[file::segment::HEADER_LEN..], header.start).unwrap().entries
    };
    let verify_one_core =
        || -> u64 { segments.iter().zip(&seg_paths).map(|(b, p)| verify_segment(b, p)).sum() };
    let verify_all_cores = || -> u64 {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..cores)
                .map(|c| {
                    let (segments, seg_paths) = (&segments, &seg_paths);
                    s.spawn(move || {
                        segments
                            .iter()
                            .zip(seg_paths)
                            .skip(c)
                            .step_by(cores)
                            .map(|(b, p)| verify_segment(b, p))
                            .sum::<u64>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        })
    };
    let mut one_times = Vec::new();
    let mut all_times = Vec::new();
    for _ in 0..CPU_RUNS {
        let t = Instant::now();
        assert_eq!(verify_one_core(), n as u64);
        one_times.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(verify_all_cores(), n as u64);
        all_times.push(t.elapsed());
    }
    let speedup = median_ratio(&one_times, &all_times);
    let ll_verify_seg1 = fig(n, median(one_times));
    let ll_verify_par = fig(n, median(all_times));
    say(format!(
        "lotledger verify: {:.0}/s in memory, {:.0}/s segments on 1 core, {:.0}/s on {cores} cores ({} segments)",
        ll_verify.rate,
        ll_verify_seg1.rate,
        ll_verify_par.rate,
        segments.len()
    ));
    drop(segments);

    // Open (read the segment files) plus index.
    let t = Instant::now();
    let mut index = Index::new();
    for p in &seg_paths {
        let bytes = fs::read(p).unwrap();
        let header = SegmentHeader::decode(&bytes, p).unwrap();
        assert_eq!(header.ledger, LEDGER);
        index
            .ingest_segment(&LEDGER, &p.display().to_string(), &bytes[file::segment::HEADER_LEN..])
            .unwrap();
    }
    let ll_index = fig(n, t.elapsed());
    assert_eq!(index.entries(), n as u64);
    say(format!("lotledger open + index: {:.2}s, {:.0}/s", ll_index.secs, ll_index.rate));

    // The trace start: of the first 64 raw-material lots consumed by
    // production, the one whose forward trace reaches the most shipments
    // (a recall investigator's question worth timing).
    let mut consumed: Vec<LotId> = Vec::new();
    for (_, r) in &records {
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
    let start = consumed
        .iter()
        .max_by_key(|l| query::trace_forward(&index, l).map_or(0, |t| t.shipments.len()))
        .cloned()
        .or_else(|| {
            records.iter().find_map(|(_, r)| match r {
                Record::MaterialReceived(m) => Some(m.lot.clone()),
                _ => None,
            })
        })
        .expect("a receipt");
    let mut trace_times = Vec::new();
    let mut ll_trace_shipments = 0;
    let mut ll_trace_lots = 0;
    let mut ll_trace_seqs: Vec<u64> = Vec::new();
    for _ in 0..TRACE_RUNS {
        // The trace, and the five columns SQLite's rows hold read from every
        // shipment line (borrowed from the index, not copied).
        let t = Instant::now();
        let tr = query::trace_forward(&index, &start).unwrap();
        let rows: Vec<(u64, &str, &str, &str, query::Decimal)> = tr
            .shipments
            .iter()
            .map(|l| (l.seq(), l.item(), l.lot(), l.customer(), l.quantity()))
            .collect();
        trace_times.push(t.elapsed());
        std::hint::black_box(&rows);
        ll_trace_shipments = tr.shipments.len();
        ll_trace_lots = tr.lots.len();
        ll_trace_seqs = tr.shipments.iter().map(query::ShipmentLine::seq).collect();
    }
    let ll_trace = median(trace_times);
    say(format!(
        "lotledger forward trace of {start}: {ll_trace:.2?} (median of {TRACE_RUNS}), {ll_trace_lots} lots, {ll_trace_shipments} shipments"
    ));
    let recall_number = "RC-2026-001".parse().unwrap();
    let ll_recall = query::recall_by_number(&index, &recall_number).ok().map(|_| {
        let mut v = Vec::new();
        for _ in 0..TRACE_RUNS {
            let t = Instant::now();
            let r = query::recall_by_number(&index, &recall_number).unwrap();
            v.push(t.elapsed());
            std::hint::black_box(r);
        }
        median(v)
    });
    say(format!("lotledger recall report: {ll_recall:.2?}"));
    drop(index);

    // ---- SQLite ----
    let db_path = root.path().join("ledger.sqlite");
    let db = Connection::open(&db_path).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.pragma_update(None, "synchronous", "FULL").unwrap();
    db.execute_batch(
        "CREATE TABLE entries(
            seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,
            station TEXT NOT NULL, kind INTEGER NOT NULL, lot_item TEXT, lot_code TEXT,
            customer TEXT, quantity INTEGER, record BLOB NOT NULL,
            prev_hash BLOB NOT NULL, hash BLOB NOT NULL);
         CREATE INDEX entries_lot ON entries(lot_item, lot_code, kind);
         CREATE INDEX entries_customer ON entries(customer);
         CREATE TABLE production_inputs(
            seq INTEGER NOT NULL, output_item TEXT NOT NULL, output_lot TEXT NOT NULL,
            input_item TEXT NOT NULL, input_lot TEXT NOT NULL);
         CREATE INDEX production_inputs_input ON production_inputs(input_item, input_lot);
         CREATE TABLE corrections(seq INTEGER PRIMARY KEY, target_seq INTEGER NOT NULL);
         CREATE INDEX corrections_target ON corrections(target_seq);",
    )
    .unwrap();
    let t = Instant::now();
    let mut db = db;
    let mut prev = [0u8; 32];
    for (chunk_no, chunk) in records.chunks(BATCH).enumerate() {
        let tx = db.transaction().unwrap();
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO entries(seq, time, actor, station, kind, lot_item, lot_code,
                     customer, quantity, record, prev_hash, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .unwrap();
            let mut edge = tx
                .prepare_cached(
                    "INSERT INTO production_inputs(seq, output_item, output_lot, input_item, input_lot)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .unwrap();
            let mut fix = tx
                .prepare_cached("INSERT INTO corrections(seq, target_seq) VALUES (?1, ?2)")
                .unwrap();
            for (k, (stamp, record)) in chunk.iter().enumerate() {
                let seq = chunk_no * BATCH + k;
                // The same canonical bytes the ledger hashes: the entry body.
                let (s, e) = bodies[seq];
                let body = &mem[s..e];
                let hash = link(&prev, body);
                let r = row(record);
                let (item, lot) = r.lot.map_or((None, None), |(i, l)| (Some(i), Some(l)));
                ins.execute(params![
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
                    &prev[..],
                    &hash[..],
                ])
                .unwrap();
                for (oi, ol, ii, il) in &r.edges {
                    edge.execute(params![seq as i64, oi, ol, ii, il]).unwrap();
                }
                if let Some(target) = r.corrects {
                    fix.execute(params![seq as i64, target]).unwrap();
                }
                prev = hash;
            }
        }
        tx.commit().unwrap();
    }
    let sq_durable = fig(n, t.elapsed());
    // Statistics for the planner, as a maintained database would have.
    db.execute_batch("ANALYZE").unwrap();
    db.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
    let sq_bytes = fs::metadata(&db_path).unwrap().len()
        + fs::metadata(root.path().join("ledger.sqlite-wal")).map_or(0, |m| m.len());
    say(format!(
        "SQLite durable insert: {:.2}s, {:.0}/s, {sq_bytes} bytes on disk",
        sq_durable.secs, sq_durable.rate
    ));

    // SQLite verify: read every row in order and recompute the chain.
    let t = Instant::now();
    {
        let mut stmt =
            db.prepare("SELECT record, prev_hash, hash FROM entries ORDER BY seq").unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut prev = [0u8; 32];
        let mut count = 0;
        while let Some(r) = rows.next().unwrap() {
            let body = r.get_ref(0).unwrap().as_blob().unwrap();
            let stored_prev = r.get_ref(1).unwrap().as_blob().unwrap();
            let stored = r.get_ref(2).unwrap().as_blob().unwrap();
            assert_eq!(stored_prev, &prev[..]);
            let h = link(&prev, body);
            assert_eq!(stored, &h[..]);
            prev = h;
            count += 1;
        }
        assert_eq!(count, n);
    }
    let sq_verify = fig(n, t.elapsed());
    say(format!("SQLite verify: {:.2}s, {:.0}/s", sq_verify.secs, sq_verify.rate));

    // SQLite trace: recursive CTE from the raw-material lot, then shipments.
    // An entry is void when a correction names it (and that correction is
    // not itself void); a voided production or shipment does not count.
    let trace_sql = "WITH RECURSIVE derived(item, lot) AS (
            SELECT ?1, ?2
            UNION
            SELECT p.output_item, p.output_lot FROM derived d
            CROSS JOIN production_inputs p ON p.input_item = d.item AND p.input_lot = d.lot
            WHERE NOT EXISTS (SELECT 1 FROM corrections c WHERE c.target_seq = p.seq
                AND NOT EXISTS (SELECT 1 FROM corrections c2 WHERE c2.target_seq = c.seq)))
        SELECT e.seq, e.lot_item, e.lot_code, e.customer, e.quantity FROM derived d
        CROSS JOIN entries e ON e.lot_item = d.item AND e.lot_code = d.lot
        WHERE e.kind = 5
          AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.target_seq = e.seq
              AND NOT EXISTS (SELECT 1 FROM corrections c2 WHERE c2.target_seq = c.seq))
        ORDER BY e.seq";
    let (si, sl) = lot_parts(&start);
    {
        let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {trace_sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params![si, sl], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        say(format!("SQLite trace plan: {}", plan.join("; ")));
    }
    let mut sq_times = Vec::new();
    let mut sq_trace_shipments = 0;
    let mut sq_trace_seqs: Vec<u64> = Vec::new();
    for _ in 0..TRACE_RUNS {
        let t = Instant::now();
        let mut stmt = db.prepare_cached(trace_sql).unwrap();
        let rows: Vec<ShipmentRow> = stmt
            .query_map(params![si, sl], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        sq_times.push(t.elapsed());
        sq_trace_shipments = rows.len();
        sq_trace_seqs = rows.iter().map(|r| r.0 as u64).collect();
    }
    let sq_trace = median(sq_times);
    say(format!("SQLite trace: {sq_trace:.2?}, {sq_trace_shipments} shipments"));
    // The same answer: the same shipments, in the same (ledger) order.
    assert_eq!(
        ll_trace_seqs, sq_trace_seqs,
        "lotledger's and SQLite's forward traces of {start} name different shipments"
    );
    drop(db);

    // ---- JSON lines ----
    // One object per line, the hash chained over the line's record JSON.
    let jl_path = root.path().join("ledger.jsonl");
    let t = Instant::now();
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
            if (seq + 1) % BATCH == 0 {
                out.flush().unwrap();
                out.get_ref().sync_data().unwrap();
            }
        }
        out.flush().unwrap();
        out.get_ref().sync_data().unwrap();
    }
    let jl_durable = fig(n, t.elapsed());
    let jl_bytes = fs::metadata(&jl_path).unwrap().len();
    say(format!(
        "JSON lines durable append: {:.2}s, {:.0}/s, {jl_bytes} bytes",
        jl_durable.secs, jl_durable.rate
    ));
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
    let jl_verify = fig(n, t.elapsed());
    say(format!("JSON lines verify: {:.2}s, {:.0}/s", jl_verify.secs, jl_verify.rate));

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
    say(format!(
        "EPCIS 2.0: {epcis_events} events of the first {first} entries, {epcis_bytes} bytes"
    ));

    drop(root);

    // ---- Report ----
    let ll_bpe = ll_bytes as f64 / n as f64;
    let sq_bpe = sq_bytes as f64 / n as f64;
    let jl_bpe = jl_bytes as f64 / n as f64;
    let raw_bpe = mem.len() as f64 / n as f64;
    let summary = json!({
        "events": n,
        "cores": cores,
        "kernel": kernel(),
        "append_mem_vs_sha256": append_vs_sha,
        "durable_append_vs_sqlite": ll_durable.rate / sq_durable.rate,
        "durable_append_vs_json_lines": ll_durable.rate / jl_durable.rate,
        "durable_append_vs_fsync": ll_durable.rate / fsync.rate,
        "verify_vs_sha256": verify_vs_sha,
        "verify_vs_sqlite": ll_verify.rate / sq_verify.rate,
        "verify_parallel_speedup": speedup,
        "bytes_per_entry": ll_bpe,
        "bytes_vs_sqlite": ll_bpe / sq_bpe,
        "bytes_vs_json_lines": ll_bpe / jl_bpe,
        "trace_vs_sqlite": sq_trace.as_secs_f64() / ll_trace.as_secs_f64(),
        "rates_per_second": {
            "sha256": sha.rate,
            "write_fsync": fsync.rate,
            "lotledger_append_mem": ll_mem.rate,
            "lotledger_append_durable": ll_durable.rate,
            "lotledger_verify_1_core": ll_verify.rate,
            "lotledger_verify_segments_1_core": ll_verify_seg1.rate,
            "lotledger_verify_segments_all_cores": ll_verify_par.rate,
            "lotledger_open_index": ll_index.rate,
            "sqlite_insert_durable": sq_durable.rate,
            "sqlite_verify": sq_verify.rate,
            "json_lines_append_durable": jl_durable.rate,
            "json_lines_verify": jl_verify.rate,
        },
        "seconds": {
            "lotledger_trace_forward": ll_trace.as_secs_f64(),
            "lotledger_recall_report": ll_recall.map(|d| d.as_secs_f64()),
            "sqlite_trace_cte": sq_trace.as_secs_f64(),
        },
        "trace": {
            "start": start.to_string(),
            "lotledger_lots": ll_trace_lots,
            "lotledger_shipments": ll_trace_shipments,
            "sqlite_shipments": sq_trace_shipments,
        },
        "bytes_per_entry_on_disk": {
            "lotledger": ll_bpe,
            "encoded_frames": raw_bpe,
            "sqlite": sq_bpe,
            "json_lines": jl_bpe,
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

    let k = |r: f64| format!("{:.0}k/s", r / 1000.0);
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let x = |v: f64| format!("{v:.2}×");
    println!("Same {n} demo-plant records through each store (entries per second unless noted).\n");
    println!("| operation | lotledger | SQLite | JSON lines | limit | ratio |");
    println!("|---|---:|---:|---:|---:|---|");
    println!(
        "| append in memory (encode, hash, frame) | {} | | | {} (SHA-256 chain) | {} of SHA-256 |",
        k(ll_mem.rate),
        k(sha.rate),
        x(append_vs_sha)
    );
    println!(
        "| durable append, sync every {BATCH} | {} | {} | {} | {} (write + fdatasync) | {} SQLite, {} JSON lines, {} of the limit |",
        k(ll_durable.rate),
        k(sq_durable.rate),
        k(jl_durable.rate),
        k(fsync.rate),
        x(ll_durable.rate / sq_durable.rate),
        x(ll_durable.rate / jl_durable.rate),
        x(ll_durable.rate / fsync.rate)
    );
    println!(
        "| verify the chain, 1 core | {} | {} | {} | {} (SHA-256 chain) | {} of SHA-256, {} SQLite |",
        k(ll_verify.rate),
        k(sq_verify.rate),
        k(jl_verify.rate),
        k(sha.rate),
        x(verify_vs_sha),
        x(ll_verify.rate / sq_verify.rate)
    );
    println!(
        "| verify segment files, 1 → {cores} cores | {} → {} | | | | {} speedup |",
        k(ll_verify_seg1.rate),
        k(ll_verify_par.rate),
        x(speedup)
    );
    println!("| open + index | {} | | | | |", k(ll_index.rate));
    println!(
        "| forward trace from {start} (median of {TRACE_RUNS}) | {} | {} (recursive CTE) | | | {} faster |",
        ms(ll_trace),
        ms(sq_trace),
        x(sq_trace.as_secs_f64() / ll_trace.as_secs_f64())
    );
    println!(
        "| recall report RC-2026-001 | {} | | | | |",
        ll_recall.map_or_else(|| "no such recall in this stream".to_owned(), ms)
    );
    println!(
        "| bytes per entry on disk | {ll_bpe:.1} | {sq_bpe:.1} | {jl_bpe:.1} | {raw_bpe:.1} (frames) | {} of SQLite, {} of JSON lines |",
        x(ll_bpe / sq_bpe),
        x(ll_bpe / jl_bpe)
    );
    println!(
        "| EPCIS 2.0 JSON, first {first} entries | {:.1} bytes/entry | | | | {epcis_per_event:.0} bytes per event ({epcis_events} events), {} of lotledger |",
        ll_first_bytes as f64 / first as f64,
        x(epcis_bytes as f64 / ll_first_bytes as f64)
    );
    println!(
        "\nForward trace: lotledger {ll_trace_lots} lots, {ll_trace_shipments} shipments; SQLite {sq_trace_shipments} shipments."
    );
    println!(
        "Machine: {cores} cores, Linux {}, scratch on the disk under the target directory.",
        kernel()
    );
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
