//! `export --format epcis|csv` and `import-epcis`: what partners and
//! regulators exchange. The CSV is the FSMA 204 sortable spreadsheet.

use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::file::{Durability, FileLedger, LedgerReader, Options};
use lotledger::interop::epcis::{self, ExportOptions, ImportOptions};
use lotledger::interop::fsma;
use lotledger::interop::scope::Scope;
use lotledger::model::{LotId, Reference, Timestamp};

use crate::output;
use crate::queries::{open_index, parse_lot, parse_party};
use crate::{CliError, Outcome};

fn now() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// One entry as the exporters take it.
type ExportEntry = (lotledger::entry::Header, lotledger::model::Digest, lotledger::model::Record);

/// What to export: lots (and a recall's affected lots) and a time window.
pub struct Selection {
    pub lots: Vec<String>,
    pub recall: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

fn scope(dir: &Path, sel: &Selection) -> Result<Scope, CliError> {
    let mut lots: BTreeSet<LotId> =
        sel.lots.iter().map(|l| parse_lot(l)).collect::<Result<_, _>>()?;
    if let Some(number) = &sel.recall {
        let (index, _) = open_index(&[PathBuf::from(dir)])?;
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
    Ok(scope)
}

fn entries(dir: &Path) -> Result<(lotledger::model::LedgerId, Vec<ExportEntry>), CliError> {
    let reader = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?;
    let mut out = Vec::new();
    for e in reader.entries().map_err(|e| CliError::Storage(e.to_string()))? {
        let e = e.map_err(|e| CliError::Check(e.to_string()))?;
        // A record of a kind this version does not know cannot be mapped;
        // the export reports how many were left out.
        if let Ok(record) = e.record() {
            out.push((e.header, e.hash, record));
        }
    }
    Ok((reader.ledger_id(), out))
}

/// `export DIR --format epcis`: an EPCIS 2.0 document on standard output.
pub fn export_epcis(dir: &Path, sel: &Selection) -> Result<Outcome, CliError> {
    let scope = scope(dir, sel)?;
    let (id, entries) = entries(dir)?;
    let mut options = ExportOptions::new(id, now());
    options.scope = scope;
    let ex = epcis::export(entries, &options);
    output::print_json(&ex.document)?;
    if let Some(first) = ex.skipped.first() {
        eprintln!(
            "lotledger: {} entries have no EPCIS event (for example entry {}: {})",
            ex.skipped.len(),
            first.seq,
            first.reason
        );
    }
    Ok(Outcome::Ok)
}

/// `export DIR --format csv`: the FSMA 204 sortable spreadsheet.
pub fn export_csv(dir: &Path, sel: &Selection) -> Result<Outcome, CliError> {
    let scope = scope(dir, sel)?;
    let (id, entries) = entries(dir)?;
    let rows = fsma::rows(&id, entries.iter().map(|(h, d, r)| (h, d, r)), &scope);
    let mut out = io::BufWriter::new(io::stdout().lock());
    fsma::write_csv(&mut out, &fsma::Table::fsma(&rows), true)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct ImportReport {
    file: String,
    document_digest: String,
    original_kept_at: String,
    entries_written: usize,
    first_seq: Option<u64>,
    head_seq: Option<u64>,
    kept: Vec<String>,
    unmapped: Vec<serde_json::Value>,
    id_mismatches: Vec<serde_json::Value>,
    already_recorded: Vec<serde_json::Value>,
    not_checked_for_repeats: Vec<String>,
}

/// What the ledger already holds from earlier imports.
struct PriorImports {
    /// The document digests of its `interchange` attachments, with the entry.
    documents: std::collections::BTreeMap<String, u64>,
    /// The ids of the events of those documents.
    events: BTreeSet<String>,
    /// Documents whose events could not be read: the original beside the
    /// ledger is missing or does not have the recorded digest.
    unchecked: Vec<String>,
}

/// Every `interchange` attachment of the ledger, and the event ids of the
/// originals kept beside it (each checked against the digest the ledger
/// records, so only what the ledger vouches for counts).
fn prior_imports(dir: &Path) -> Result<PriorImports, CliError> {
    use lotledger::model::{DocumentKind, Record};
    let reader = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?;
    let mut prior = PriorImports {
        documents: std::collections::BTreeMap::new(),
        events: BTreeSet::new(),
        unchecked: Vec::new(),
    };
    for e in reader.entries().map_err(|e| CliError::Storage(e.to_string()))? {
        let e = e.map_err(|e| CliError::Check(e.to_string()))?;
        let Ok(Record::Attached(a)) = e.record() else { continue };
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
    let prior = prior_imports(dir)?;
    options.recorded = prior.events.clone();
    let import = epcis::import(&bytes, &options)
        .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
    let digest = import.digest.to_string();
    if let Some(seq) = prior.documents.get(&digest) {
        return Err(CliError::Input(format!(
            "{}: this document (SHA-256 {digest}) was imported before (entry {seq}); nothing written",
            file.display()
        )));
    }
    // The original beside the ledger first, named by the digest the ledger
    // will record: if writing entries fails, it is already there.
    let kept_dir = dir.join("attachments");
    let original = kept_dir.join(format!("{digest}.jsonld"));
    std::fs::create_dir_all(&kept_dir).and_then(|()| std::fs::write(&original, &bytes)).map_err(
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
    for (stamp, record) in &import.records {
        match ledger.append(stamp, record) {
            Ok(a) => written.push(a.receipt.seq),
            Err(e) => {
                let done = span(&written);
                let closed = ledger.close().map_or_else(
                    |c| format!("; closing the ledger failed too, so they may not be durable: {c}"),
                    |_| String::new(),
                );
                return Err(CliError::Storage(format!(
                    "{}: writing failed after {} of {total} entries ({done} are in the ledger{closed}; \
                     the document's records from number {} on are not): {e}",
                    file.display(),
                    written.len(),
                    written.len() + 1
                )));
            }
        }
    }
    let head = ledger.close().map_err(|e| {
        CliError::Storage(format!(
            "{}: {} of {total} entries appended ({}) but closing the ledger failed, so they may not be durable: {e}",
            file.display(),
            written.len(),
            span(&written)
        ))
    })?;
    let report = ImportReport {
        file: file.display().to_string(),
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
    if json {
        output::print_json(&report)?;
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
