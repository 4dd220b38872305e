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
}

/// `import-epcis DIR FILE`: a partner's EPCIS document as ledger entries,
/// headed by the document's digest; fields without a place are reported.
pub fn import_epcis(
    dir: &Path,
    file: &Path,
    partner: &str,
    actor: &str,
    station: &str,
    json: bool,
) -> Result<Outcome, CliError> {
    let bytes = std::fs::read(file)?;
    let partner = parse_party(partner)?;
    let actor = actor.parse().map_err(|e| CliError::Usage(format!("--actor {actor:?}: {e}")))?;
    let station =
        station.parse().map_err(|e| CliError::Usage(format!("--station {station:?}: {e}")))?;
    let mut options = ImportOptions::new(partner, actor, station, now());
    if let Some(name) = file.file_name().and_then(|n| n.to_str()) {
        options.name = lotledger::model::Text::new(name).unwrap_or_default();
    }
    let import = epcis::import(&bytes, &options)
        .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
    let (mut ledger, _) = FileLedger::open(dir, Options::new().durability(Durability::Buffered))
        .map_err(|e| CliError::Storage(e.to_string()))?;
    let mut first = None;
    for (stamp, record) in &import.records {
        let a = ledger.append(stamp, record).map_err(|e| CliError::Storage(e.to_string()))?;
        first.get_or_insert(a.receipt.seq);
    }
    let head = ledger.close().map_err(|e| CliError::Storage(e.to_string()))?;
    // The original beside the ledger, named by the digest the ledger records.
    let kept_dir = dir.join("attachments");
    std::fs::create_dir_all(&kept_dir)?;
    let original = kept_dir.join(format!("{}.jsonld", import.digest));
    std::fs::write(&original, &bytes)?;
    let report = ImportReport {
        file: file.display().to_string(),
        document_digest: import.digest.to_string(),
        original_kept_at: original.display().to_string(),
        entries_written: import.records.len(),
        first_seq: first,
        head_seq: head.next_seq.checked_sub(1),
        kept: import.kept.clone(),
        unmapped: import.unmapped.iter().map(|u| serde_json::json!({"pointer": u.pointer, "reason": u.reason})).collect(),
        id_mismatches: import
            .id_mismatches
            .iter()
            .map(|m| serde_json::json!({"pointer": m.pointer, "given": m.given, "computed": m.computed}))
            .collect(),
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
