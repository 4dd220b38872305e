//! `export --format epcis|csv` and `import-epcis`: what partners and
//! regulators exchange. The CSV is the FSMA 204 sortable spreadsheet.

use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::entry::Header;
use lotledger::file::{Durability, FileLedger, LedgerReader, Options};
use lotledger::interop::epcis::{self, ExportOptions, ImportOptions};
use lotledger::interop::fsma;
use lotledger::interop::scope::{Corrections, Scope, Selector};
use lotledger::model::{Digest, LedgerId, LotId, Record, Reference, Timestamp};

use crate::output;
use crate::queries::{open_index, parse_lot, parse_party};
use crate::{CliError, Outcome};

pub fn now() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// The hook a progress display plugs into: called as an export reads its
/// entries, with how many it has read so far and how many it will read in
/// all (the EPCIS export reads every entry twice); `main` plugs in the
/// shared bar (`progress.rs`).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// What to export: lots (and a recall's affected lots) and a time window.
pub struct Selection {
    /// Write personal fields (`--with-personal-data`); left out by default.
    pub with_personal_data: bool,
    pub lots: Vec<String>,
    pub recall: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// What an export knows before it reads its entries: the scope, the
/// corrections in force and where each ledger stood when indexed. Built
/// from the index of all the ledgers, which is dropped before the entries
/// are streamed.
struct Prepared {
    scope: Scope,
    corrections: Corrections,
    /// Master data for the FSMA description columns.
    descriptions: fsma::Descriptions,
    /// Each ledger's next sequence number when indexed: the export stops
    /// there, so entries appended meanwhile do not escape the corrections.
    heads: Vec<u64>,
    entries: u64,
}

fn prepare(dirs: &[PathBuf], sel: &Selection) -> Result<Prepared, CliError> {
    let (index, _) = open_index(dirs)?;
    let mut lots: BTreeSet<LotId> =
        sel.lots.iter().map(|l| parse_lot(l)).collect::<Result<_, _>>()?;
    if let Some(number) = &sel.recall {
        let n: Reference =
            number.parse().map_err(|e| CliError::Usage(format!("recall {number:?}: {e}")))?;
        let report = lotledger::query::recall_by_number(&index, &n)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        for l in &report.lots {
            lots.insert(parse_lot(&format!("{}/{}", l.item, l.lot))?);
        }
    }
    let mut scope = Scope::all();
    if !lots.is_empty() || sel.recall.is_some() {
        scope.lots = Some(lots);
    }
    scope.from = sel.from;
    scope.until = sel.until;
    let mut heads = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let id = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?.ledger_id();
        heads.push(index.head(&id).map_or(0, |h| h.next_seq));
    }
    Ok(Prepared {
        scope,
        corrections: Corrections::from_index(&index),
        descriptions: fsma::Descriptions::from_index(&index),
        heads,
        entries: index.entries(),
    })
}

/// Entries handed from the reading thread to the exporting one at a time.
const BATCH: usize = 2048;
/// Batches in flight between the two threads: what bounds the memory the
/// pipeline adds (a few thousand decoded entries).
const IN_FLIGHT: usize = 2;

/// One entry read: the index of its ledger in `dirs`, the ledger's id, the
/// header, the hash and the record (`None` when it does not decode).
type Read = (usize, LedgerId, Header, Digest, Option<Record>);

/// Reads every entry of every ledger in `dirs` (each up to its indexed
/// head), in order, and gives `each` the decoded ones; returns how many
/// records could not be decoded (a kind written by a newer version).
fn for_each_entry(
    dirs: &[PathBuf],
    heads: &[u64],
    personal: &mut crate::personal::ExportPersonal,
    mut each: impl FnMut(&LedgerId, &Header, &Digest, &Record) -> io::Result<()>,
) -> Result<u64, CliError> {
    for_each_batch(dirs, heads, personal, |batch| {
        batch.iter().try_for_each(|&(id, header, hash, record)| each(id, header, hash, record))
    })
}

/// [`for_each_entry`] a batch of up to [`BATCH`] decoded entries at a time.
///
/// Reading, checking and decoding run on a thread of their own, ahead of
/// `each` by at most [`IN_FLIGHT`] batches, so an export's own work
/// overlaps the ledger's reading on a second core.
fn for_each_batch(
    dirs: &[PathBuf],
    heads: &[u64],
    personal: &mut crate::personal::ExportPersonal,
    mut each: impl FnMut(&[epcis::BatchEntry<'_>]) -> io::Result<()>,
) -> Result<u64, CliError> {
    personal.reset();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Read>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_entries(dirs, heads, &tx));
        let mut undecoded = 0;
        let mut consumed: Result<(), CliError> = Ok(());
        for mut batch in &rx {
            // Used in place: a record is a few kilobytes, and moving each
            // one out of its batch was a tenth of an EPCIS export's time.
            for (n, _, _, _, record) in &mut batch {
                match record {
                    Some(record) => personal.apply(*n, record),
                    None => undecoded += 1,
                }
            }
            let entries: Vec<epcis::BatchEntry<'_>> = batch
                .iter()
                .filter_map(|(_, id, header, hash, record)| {
                    record.as_ref().map(|r| (id, header, hash, r))
                })
                .collect();
            if let Err(e) = each(&entries) {
                consumed = Err(e.into());
                break;
            }
        }
        // Hanging up stops the reader at its next batch.
        drop(rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(CliError::Storage("the ledger reader stopped".to_owned())));
        consumed?;
        read?;
        Ok(undecoded)
    })
}

/// The reading side of [`for_each_entry`]: sends the entries in batches
/// until every ledger is read up to its head or the receiver hangs up.
fn read_entries(
    dirs: &[PathBuf],
    heads: &[u64],
    tx: &std::sync::mpsc::SyncSender<Vec<Read>>,
) -> Result<(), CliError> {
    let mut batch = Vec::with_capacity(BATCH);
    for (n, (dir, &head)) in dirs.iter().zip(heads).enumerate() {
        let reader = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?;
        let id = reader.ledger_id();
        for e in reader.entries().map_err(|e| CliError::Storage(e.to_string()))? {
            let e = e.map_err(|e| CliError::Check(e.to_string()))?;
            if e.header.seq >= head {
                break;
            }
            let record = e.record().ok();
            batch.push((n, id, e.header, e.hash, record));
            if batch.len() == BATCH
                && tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err()
            {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(())
}

fn report_undecoded(undecoded: u64) {
    if undecoded > 0 {
        eprintln!(
            "lotledger: {undecoded} entries hold records of a kind this version cannot read; they are not in the export"
        );
    }
}

/// `export DIR... --format epcis`: one EPCIS 2.0 document on standard
/// output, streamed: a first pass learns the terms and replacement ids the
/// event hash needs, the second writes each event as it is read.
pub fn export_epcis(
    dirs: &[PathBuf],
    sel: &Selection,
    progress: Progress<'_>,
) -> Result<Outcome, CliError> {
    let prepared = prepare(dirs, sel)?;
    let first = LedgerReader::open(
        dirs.first()
            .ok_or_else(|| CliError::Usage("give at least one ledger directory".to_owned()))?,
    )
    .map_err(|e| CliError::Storage(e.to_string()))?
    .ledger_id();
    let mut options = ExportOptions::new(first, now());
    options.scope = prepared.scope;
    options.corrections = prepared.corrections;
    let total = prepared.entries * 2;
    let mut done = 0u64;
    let mut personal = crate::personal::ExportPersonal::new(dirs, sel.with_personal_data);
    let mut plan = epcis::Plan::new(&options);
    for_each_batch(dirs, &prepared.heads, &mut personal, |batch| {
        plan.observe_batch(batch);
        done += batch.len() as u64;
        progress(done, total);
        Ok(())
    })?;
    let mut writer = plan.writer(io::BufWriter::with_capacity(1 << 16, io::stdout().lock()))?;
    // Per kind: how many were skipped, and the first one's sequence number and reason.
    let mut skipped: std::collections::BTreeMap<u32, (u64, u64, &'static str, &'static str)> =
        std::collections::BTreeMap::new();
    let undecoded = for_each_batch(dirs, &prepared.heads, &mut personal, |batch| {
        for written in writer.write_batch(batch)? {
            if let epcis::Written::Skipped(s) = written {
                let e =
                    skipped.entry(s.kind.number()).or_insert((0, s.seq, s.kind.name(), s.reason));
                e.0 += 1;
            }
        }
        done += batch.len() as u64;
        progress(done, total);
        Ok(())
    })?;
    writer.finish()?;
    personal.note("EPCIS");
    if !skipped.is_empty() {
        let n: u64 = skipped.values().map(|e| e.0).sum();
        eprintln!("lotledger: {n} entries have no EPCIS event:");
        for (kind, (count, seq, name, reason)) in &skipped {
            eprintln!("  kind {kind} {name}: {count} (for example entry {seq}: {reason})");
        }
    }
    report_undecoded(undecoded);
    Ok(Outcome::Ok)
}

/// `export DIR... --format csv`: the FSMA 204 sortable spreadsheet,
/// streamed row by row, without the entries corrections void.
pub fn export_csv(
    dirs: &[PathBuf],
    sel: &Selection,
    progress: Progress<'_>,
) -> Result<Outcome, CliError> {
    let prepared = prepare(dirs, sel)?;
    let corrections = &prepared.corrections;
    let mut selector = Selector::new(&prepared.scope, corrections);
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let header: Vec<String> = fsma::COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    fsma::write_row(&mut out, &header, true)?;
    let mut done = 0u64;
    let mut voided = 0u64;
    let mut personal = crate::personal::ExportPersonal::new(dirs, sel.with_personal_data);
    let undecoded =
        for_each_entry(dirs, &prepared.heads, &mut personal, |id, header, hash, record| {
            if selector.select(id, header.seq, header.time, record) {
                if corrections.is_void(id, header.seq) {
                    voided += u64::from(!fsma::entry_rows(id, header, hash, record).is_empty());
                } else {
                    let mut rows = fsma::entry_rows(id, header, hash, record);
                    prepared.descriptions.describe(record, &mut rows);
                    for row in &rows {
                        fsma::write_row(&mut out, &row.cells(), true)?;
                    }
                }
            }
            done += 1;
            progress(done, prepared.entries);
            Ok(())
        })?;
    out.flush()?;
    eprintln!(
        "lotledger: the FSMA 204 spreadsheet has no personal-data columns: no personal data is \
         in it{}",
        if sel.with_personal_data { " (--with-personal-data changes nothing here)" } else { "" }
    );
    if voided > 0 {
        eprintln!(
            "lotledger: {voided} entries that corrections void are left out of the spreadsheet"
        );
    }
    report_undecoded(undecoded);
    Ok(Outcome::Ok)
}

/// What an import wrote and found: the `--json` report of `import-epcis`
/// and the report of a capture job of `serve`.
#[derive(Serialize)]
pub struct ImportReport {
    pub file: String,
    pub document_digest: String,
    pub original_kept_at: String,
    pub entries_written: usize,
    pub first_seq: Option<u64>,
    pub head_seq: Option<u64>,
    pub kept: Vec<String>,
    pub unmapped: Vec<serde_json::Value>,
    pub id_mismatches: Vec<serde_json::Value>,
    pub already_recorded: Vec<serde_json::Value>,
    pub not_checked_for_repeats: Vec<String>,
}

/// What the ledger already holds from earlier imports.
struct PriorImports {
    /// The document digests of its `interchange` attachments, with the entry.
    documents: std::collections::BTreeMap<String, u64>,
    /// The ids of the events of those documents.
    events: BTreeSet<String>,
    /// What its master data records describe (`epcis::master_keys`).
    described: BTreeSet<String>,
    /// Documents whose events could not be read: the original beside the
    /// ledger is missing or does not have the recorded digest.
    unchecked: Vec<String>,
}

/// Every `interchange` attachment of the ledger, and the event ids of the
/// originals kept beside it (each checked against the digest the ledger
/// records, so only what the ledger vouches for counts).
fn prior_imports(dir: &Path, bars: bool) -> Result<PriorImports, CliError> {
    use lotledger::model::{DocumentKind, Record};
    let reader = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?;
    let mut prior = PriorImports {
        documents: std::collections::BTreeMap::new(),
        events: BTreeSet::new(),
        described: BTreeSet::new(),
        unchecked: Vec::new(),
    };
    let files = crate::progress::LedgerFiles::of(&[dir]);
    let unit = crate::progress::Unit::Bytes;
    let mut bar = bars.then(|| crate::progress::Progress::new("reading", files.total(), unit));
    for e in reader.entries().map_err(|e| CliError::Storage(e.to_string()))? {
        let e = e.map_err(|e| CliError::Check(e.to_string()))?;
        if let Some(bar) = &mut bar {
            bar.set(files.at(0, e.segment, e.offset));
        }
        let Ok(record) = e.record() else { continue };
        prior.described.extend(epcis::master_keys(&record));
        let Record::Attached(a) = record else { continue };
        if a.kind != DocumentKind::Interchange {
            continue;
        }
        let digest = a.digest.to_string();
        if prior.documents.contains_key(&digest) {
            continue;
        }
        prior.documents.insert(digest.clone(), e.header.seq);
        let original = dir.join("attachments").join(format!("{digest}.jsonld"));
        let ids = std::fs::read(&original)
            .ok()
            .filter(|b| sha256(b) == digest)
            .and_then(|b| epcis::document_event_ids(&b));
        match ids {
            Some(ids) => prior.events.extend(ids),
            None => prior.unchecked.push(format!(
                "entry {}: {} is missing or not the recorded document",
                e.header.seq,
                original.display()
            )),
        }
    }
    Ok(prior)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    lotledger::model::Digest(sha2::Sha256::digest(bytes).into()).to_string()
}

/// `import-epcis DIR FILE`: a partner's EPCIS document as ledger entries,
/// headed by the document's digest; fields without a place are reported.
/// The whole document is checked before anything is written; a document
/// imported before is refused, and events the ledger already holds are
/// skipped and listed.
pub fn import_epcis(
    dir: &Path,
    file: &Path,
    partner: &str,
    own_party: Option<&str>,
    actor: &str,
    station: &str,
    json: bool,
) -> Result<Outcome, CliError> {
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Storage(format!("reading {}: {e}", file.display())))?;
    let partner = parse_party(partner)?;
    let actor = actor.parse().map_err(|e| CliError::Usage(format!("--actor {actor:?}: {e}")))?;
    let station =
        station.parse().map_err(|e| CliError::Usage(format!("--station {station:?}: {e}")))?;
    let mut options = ImportOptions::new(partner, actor, station, now());
    if let Some(name) = file.file_name().and_then(|n| n.to_str()) {
        options.name = lotledger::model::Text::new(name).unwrap_or_default();
    }
    options.own_party = own_party
        .map(|p| {
            parse_party(p).map_err(|_| CliError::Usage(format!("--own-party {p:?}: not a party")))
        })
        .transpose()?;
    let (report, import) =
        import_document(dir, &bytes, &file.display().to_string(), options, true)?;
    print_import(&report, &import, json)
}

/// The import of one EPCIS document into the ledger in `dir`, what
/// `import-epcis` and `serve`'s capture share: the ledger's earlier imports
/// are read (`options.recorded` and `options.described` are set from them),
/// the document is checked whole, a document imported before is refused,
/// the original is kept beside the ledger under its digest, and the records
/// are appended under the ledger lock and closed (synced). `name` names the
/// document in messages; `bars` draws progress bars on a terminal.
///
/// # Errors
/// [`CliError::Input`] for a document that cannot be imported (nothing is
/// written), [`CliError::Storage`] when the ledger cannot be read or
/// written (saying what is in the ledger).
pub fn import_document(
    dir: &Path,
    bytes: &[u8],
    name: &str,
    mut options: ImportOptions,
    bars: bool,
) -> Result<(ImportReport, epcis::Import), CliError> {
    let prior = prior_imports(dir, bars)?;
    options.recorded = prior.events.clone();
    options.described = prior.described.clone();
    let import =
        epcis::import(bytes, &options).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    let digest = import.digest.to_string();
    if let Some(seq) = prior.documents.get(&digest) {
        return Err(CliError::Input(format!(
            "{name}: this document (SHA-256 {digest}) was imported before (entry {seq}); nothing written"
        )));
    }
    // The original beside the ledger first, named by the digest the ledger
    // will record: if writing entries fails, it is already there.
    let kept_dir = dir.join("attachments");
    let original = kept_dir.join(format!("{digest}.jsonld"));
    std::fs::create_dir_all(&kept_dir).and_then(|()| std::fs::write(&original, bytes)).map_err(
        |e| {
            CliError::Storage(format!(
                "keeping the original at {}: {e}; nothing written",
                original.display()
            ))
        },
    )?;
    let (mut ledger, _) = FileLedger::open(dir, Options::new().durability(Durability::Buffered))
        .map_err(|e| CliError::Storage(format!("{e}; nothing written")))?;
    let total = import.records.len();
    let mut written: Vec<u64> = Vec::with_capacity(total);
    let span = |w: &[u64]| match (w.first(), w.last()) {
        (Some(a), Some(b)) => format!("entries {a} to {b}"),
        _ => "no entries".to_owned(),
    };
    let unit = crate::progress::Unit::Entries;
    let mut bar = bars.then(|| crate::progress::Progress::new("importing", total as u64, unit));
    for (stamp, record) in &import.records {
        if let Some(bar) = &mut bar {
            bar.set(written.len() as u64);
        }
        match ledger.append(stamp, record) {
            Ok(a) => written.push(a.receipt.seq),
            Err(e) => {
                let done = span(&written);
                let closed = ledger.close().map_or_else(
                    |c| format!("; closing the ledger failed too, so they may not be durable: {c}"),
                    |_| String::new(),
                );
                return Err(CliError::Storage(format!(
                    "{name}: writing failed after {} of {total} entries ({done} are in the ledger{closed}; \
                     the document's records from number {} on are not): {e}",
                    written.len(),
                    written.len() + 1
                )));
            }
        }
    }
    if let Some(mut bar) = bar {
        bar.finish();
    }
    let head = ledger.close().map_err(|e| {
        CliError::Storage(format!(
            "{name}: {} of {total} entries appended ({}) but closing the ledger failed, so they may not be durable: {e}",
            written.len(),
            span(&written)
        ))
    })?;
    let report = ImportReport {
        file: name.to_owned(),
        document_digest: digest,
        original_kept_at: original.display().to_string(),
        entries_written: written.len(),
        first_seq: written.first().copied(),
        head_seq: head.next_seq.checked_sub(1),
        kept: import.kept.clone(),
        unmapped: import.unmapped.iter().map(|u| serde_json::json!({"pointer": u.pointer, "reason": u.reason})).collect(),
        id_mismatches: import
            .id_mismatches
            .iter()
            .map(|m| serde_json::json!({"pointer": m.pointer, "given": m.given, "computed": m.computed}))
            .collect(),
        already_recorded: import
            .duplicates
            .iter()
            .map(|d| serde_json::json!({"index": d.index, "event_id": d.event_id, "earlier_index": d.first}))
            .collect(),
        not_checked_for_repeats: prior.unchecked,
    };
    Ok((report, import))
}

/// Prints what [`import_document`] did, as text or JSON.
fn print_import(
    report: &ImportReport,
    import: &epcis::Import,
    json: bool,
) -> Result<Outcome, CliError> {
    if json {
        output::print_json(report)?;
    } else {
        let mut text = format!(
            "imported {}: {} entries written (entries {} to {}), document digest {}\n",
            report.file,
            report.entries_written,
            report.first_seq.map_or("-".into(), |s| s.to_string()),
            report.head_seq.map_or("-".into(), |s| s.to_string()),
            report.document_digest
        );
        text.push_str(&format!("the original document is kept at {}\n", report.original_kept_at));
        text.push_str(&format!(
            "fields kept in the records' extension fields: {}\n",
            report.kept.len()
        ));
        if !import.duplicates.is_empty() {
            text.push_str(&format!(
                "{} events already recorded, skipped:\n",
                import.duplicates.len()
            ));
            for d in &import.duplicates {
                let from = d.first.map_or("an earlier document".to_owned(), |i| {
                    format!("event {i} of this document")
                });
                text.push_str(&format!(
                    "  event {} ({}), recorded from {from}\n",
                    d.index, d.event_id
                ));
            }
        }
        for u in &report.not_checked_for_repeats {
            text.push_str(&format!("not checked for repeated events: {u}\n"));
        }
        for u in &import.unmapped {
            text.push_str(&format!(
                "not mapped to a record field (kept in the original): {} ({})\n",
                u.pointer, u.reason
            ));
        }
        for m in &import.id_mismatches {
            text.push_str(&format!(
                "eventID differs from the CBV 2.0 hash at {}: given {}, computed {}\n",
                m.pointer, m.given, m.computed
            ));
        }
        output::print(&text)?;
    }
    Ok(Outcome::Ok)
}
