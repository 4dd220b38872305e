//! `lotledger sync LEDGER... --db URL` and `lotledger verify --db URL`: the
//! central repository on PostgreSQL (docs/POSTGRES.md).

use std::path::PathBuf;
use std::time::Duration;

use lotledger::db::{self, Db, DbError, DbVerdict, SyncReport};
use lotledger::model::LedgerId;
use serde::Serialize;

use crate::output::{self, Format, Table};
use crate::progress::{Progress, Unit};
use crate::{CliError, Outcome};

/// What `sync` was asked.
pub struct SyncArgs {
    /// The ledger directories.
    pub dirs: Vec<PathBuf>,
    /// The database URL (`--db`, else `LOTLEDGER_DB`).
    pub db: Option<String>,
    /// Entries per transaction.
    pub batch: usize,
    /// Keep shipping new entries.
    pub follow: bool,
    /// Seconds between polls with `--follow`, and between retries.
    pub interval: f64,
    /// Consecutive failed attempts to reach the database before giving up
    /// (`None`: never give up).
    pub retries: Option<u32>,
    /// The output form.
    pub format: Format,
}

/// The database URL: `--db`, else `LOTLEDGER_DB`.
fn url(db: Option<String>) -> Result<String, CliError> {
    db.filter(|s| !s.is_empty()).or_else(db::url_from_env).ok_or_else(|| {
        CliError::Usage("give the database with --db URL or the LOTLEDGER_DB variable".into())
    })
}

/// The exit code of a database error (docs/CLI.md).
fn cli_error(e: DbError) -> CliError {
    match e {
        DbError::Fork { .. } | DbError::Gap { .. } | DbError::Behind { .. } => {
            CliError::Check(e.to_string())
        }
        DbError::Ledger(lotledger::file::Error::Corrupted { .. }) | DbError::Stored { .. } => {
            CliError::Check(e.to_string())
        }
        DbError::UnknownLedger { .. } | DbError::UnknownLot(_) | DbError::UnknownRecall(_) => {
            CliError::NotFound(e.to_string())
        }
        _ => CliError::Storage(e.to_string()),
    }
}

/// Whether `e` is the database being away (restarting, unreachable, the
/// connection lost) rather than a refusal: worth retrying.
fn transient(e: &DbError) -> bool {
    match e {
        DbError::Postgres(e) => match e.as_db_error() {
            None => true,
            Some(db) => {
                let code = db.code().code();
                // 08: connection exception; 57: operator intervention
                // (admin shutdown, cannot connect now); 53: out of resources.
                code.starts_with("08") || code.starts_with("57") || code.starts_with("53")
            }
        },
        // Rows that could not be sent by `COPY`: the connection failed.
        DbError::Copy(_) => true,
        _ => false,
    }
}

#[derive(Serialize)]
struct SyncRow {
    ledger: String,
    dir: String,
    /// Entries stored before this run.
    from: u64,
    /// Entries this run stored.
    stored: u64,
    /// Entries stored now.
    entries: u64,
    /// The last entry stored, if any.
    head_seq: Option<u64>,
    batches: u64,
    bytes: u64,
}

fn sync_row(dir: &std::path::Path, r: &SyncReport) -> SyncRow {
    SyncRow {
        ledger: r.ledger.to_string(),
        dir: dir.display().to_string(),
        from: r.from,
        stored: r.stored,
        entries: r.to,
        head_seq: r.to.checked_sub(1),
        batches: r.batches,
        bytes: r.bytes,
    }
}

fn print_sync(rows: &[SyncRow], format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => output::print_json(&rows)?,
        Format::Table | Format::Csv => {
            let mut t = Table::new(&["ledger", "directory", "stored now", "entries", "head"]);
            for r in rows {
                let head = r.head_seq.map_or_else(|| "-".to_owned(), |s| format!("entry {s}"));
                t.row([
                    r.ledger.clone(),
                    r.dir.clone(),
                    r.stored.to_string(),
                    r.entries.to_string(),
                    head,
                ]);
            }
            output::print(&if format == Format::Csv { t.csv() } else { t.render() })?;
        }
    }
    Ok(())
}

/// One pass over every ledger: what each stored.
fn sync_pass(db: &mut Db, args: &SyncArgs) -> Result<Vec<SyncRow>, DbError> {
    let mut rows = Vec::with_capacity(args.dirs.len());
    for dir in &args.dirs {
        let mut bar = Progress::new("syncing", 0, Unit::Entries);
        let report = db.sync_ledger(dir, args.batch, |stored, read| {
            bar.set_total(read);
            bar.set(stored);
        })?;
        bar.finish();
        rows.push(sync_row(dir, &report));
    }
    Ok(rows)
}

/// Fresh planner statistics (`Db::analyze`) after a pass that grew the
/// database by a tenth or more. The entries are stored already, so a
/// failure is a warning, not the pass's error; the connection is dropped
/// (`false`) and the next pass connects again.
fn analyze_after(db: &mut Db, rows: &[SyncRow]) -> bool {
    let before: u64 = rows.iter().map(|r| r.from).sum();
    let stored: u64 = rows.iter().map(|r| r.stored).sum();
    if stored == 0 || stored.saturating_mul(10) < before {
        return true;
    }
    match db.analyze() {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "lotledger: warning: ANALYZE after storing {stored} entries failed ({e}); \
                 queries may be planned on old statistics until autovacuum refreshes them"
            );
            false
        }
    }
}

/// `lotledger sync`.
pub fn sync(args: SyncArgs) -> Result<Outcome, CliError> {
    let url = url(args.db.clone())?;
    let pause = Duration::from_secs_f64(args.interval.clamp(0.01, 3600.0));
    let mut failures = 0u32;
    let mut db: Option<Db> = None;
    let mut first = true;
    loop {
        let result = match db.as_mut() {
            Some(d) => sync_pass(d, &args),
            None => match Db::connect(&url) {
                Ok(d) => sync_pass(db.insert(d), &args),
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(rows) => {
                if failures > 0 {
                    eprintln!("lotledger: the database is back; resuming");
                }
                failures = 0;
                if !args.follow {
                    if let Some(d) = db.as_mut() {
                        analyze_after(d, &rows);
                    }
                    print_sync(&rows, args.format)?;
                    return Ok(Outcome::Ok);
                }
                for r in rows.iter().filter(|r| r.stored > 0 || first) {
                    eprintln!(
                        "lotledger: ledger {}: {} new entries stored, {} in the database",
                        r.ledger, r.stored, r.entries
                    );
                }
                first = false;
                if db.as_mut().is_some_and(|d| !analyze_after(d, &rows)) {
                    db = None;
                }
            }
            Err(e) if transient(&e) => {
                db = None;
                failures += 1;
                if args.retries.is_some_and(|n| failures > n) {
                    return Err(cli_error(e));
                }
                eprintln!("lotledger: {e}; retrying in {:.1} s", pause.as_secs_f64());
            }
            Err(e) => return Err(cli_error(e)),
        }
        std::thread::sleep(pause);
    }
}

#[derive(Serialize)]
struct VerifyRow {
    ledger: String,
    ok: bool,
    entries: u64,
    checkpoints: u64,
    /// Checkpoint entries whose signature a given key verified.
    signatures_verified: u64,
    head_hash: Option<String>,
    /// The entry where the chain breaks.
    failed_seq: Option<u64>,
    failure: Option<String>,
}

fn failed_seq(v: &DbVerdict) -> Option<u64> {
    use lotledger::db::DbFailure as F;
    v.failure.as_ref().map(|f| match f {
        F::Missing { seq, .. } | F::HashMismatch { seq } | F::BadBody { seq, .. } => *seq,
        F::Checkpoint { seq } | F::Signature { seq, .. } => *seq,
        F::Head { entries, .. } => *entries,
        _ => v.entries,
    })
}

/// `lotledger verify --db URL [--ledger ID]`: exit 1 when a ledger's stored
/// chain does not verify.
pub fn verify(
    db: Option<String>,
    ledger: Option<&str>,
    keys: &[String],
    format: Format,
) -> Result<Outcome, CliError> {
    let url = url(db)?;
    let parsed = crate::proof::parse_keys(keys)?;
    let mut db = Db::connect(&url).map_err(cli_error)?;
    let ledgers = match ledger {
        Some(text) => vec![LedgerId::from_hex(text.trim()).map_err(|at| {
            CliError::Usage(format!("--ledger: not a ledger id (32 hex digits): bad at {at}"))
        })?],
        None => db.ledgers().map_err(cli_error)?,
    };
    let mut rows = Vec::with_capacity(ledgers.len());
    for id in &ledgers {
        let mut signatures = 0u64;
        let v = db
            .verify_with(id, |seq, record, head| {
                if parsed.is_empty() {
                    return Ok(());
                }
                crate::tree::check_entry_signature(id, seq, record, head, &parsed)?;
                signatures += 1;
                Ok(())
            })
            .map_err(cli_error)?;
        rows.push(VerifyRow {
            ledger: id.to_string(),
            ok: v.failure.is_none(),
            entries: v.entries,
            checkpoints: v.checkpoints,
            signatures_verified: signatures,
            head_hash: v.head.map(|h| h.to_string()),
            failed_seq: failed_seq(&v),
            failure: v.failure.as_ref().map(ToString::to_string),
        });
    }
    if ledger.is_none() {
        for no in db.orphans().map_err(cli_error)? {
            rows.push(VerifyRow {
                ledger: format!("number {no}"),
                ok: false,
                entries: 0,
                checkpoints: 0,
                signatures_verified: 0,
                head_hash: None,
                failed_seq: None,
                failure: Some(format!(
                    "rows are stored under ledger number {no}, which lotledger.ledgers does not hold \
                     (its row was deleted)"
                )),
            });
        }
    }
    let ok = rows.iter().all(|r| r.ok);
    if format == Format::Json {
        output::print_json(&rows)?;
    } else {
        let mut text = String::new();
        if rows.is_empty() {
            text.push_str("the database holds no ledger\n");
        }
        for r in &rows {
            match &r.failure {
                None => text.push_str(&format!(
                    "ledger {}: OK, {} entries, {} checkpoints checked{}{}\n",
                    r.ledger,
                    r.entries,
                    r.checkpoints,
                    if keys.is_empty() {
                        String::new()
                    } else {
                        format!(", {} signatures verified", r.signatures_verified)
                    },
                    r.head_hash.as_ref().map_or_else(String::new, |h| format!(", head {h}")),
                )),
                Some(why) => text.push_str(&format!("ledger {}: FAILED: {why}\n", r.ledger)),
            }
        }
        output::print(&text)?;
    }
    Ok(if ok { Outcome::Ok } else { Outcome::CheckFailed })
}

#[derive(Serialize)]
struct TracedRow {
    item: String,
    lot: String,
    depth: u32,
}

#[derive(Serialize)]
struct TraceAnswer {
    start: String,
    direction: &'static str,
    lots: Vec<TracedRow>,
}

/// `lotledger trace --db URL --lot LOT [--backward]`: the lots reached,
/// nearest first, computed in the database.
pub fn trace(url: &str, lot: &str, backward: bool, format: Format) -> Result<Outcome, CliError> {
    let id = crate::queries::parse_lot(lot)?;
    let (item, code) = (id.item.to_string(), id.lot.as_str().to_owned());
    let mut db = Db::connect(url).map_err(cli_error)?;
    let mut lots = db.trace_lots(&item, &code, !backward).map_err(cli_error)?;
    if lots.is_empty() {
        // No production link names it: the trace is the lot alone.
        lots.push((item, code, 0));
    }
    let answer = TraceAnswer {
        start: id.to_string(),
        direction: if backward { "backward" } else { "forward" },
        lots: lots.into_iter().map(|(item, lot, depth)| TracedRow { item, lot, depth }).collect(),
    };
    match format {
        Format::Json => output::print_json(&answer)?,
        Format::Table | Format::Csv => {
            let mut t = Table::new(&["item", "lot", "depth"]);
            for l in &answer.lots {
                t.row([l.item.clone(), l.lot.clone(), l.depth.to_string()]);
            }
            if format == Format::Csv {
                output::print(&t.csv())?;
            } else {
                output::print(&format!(
                    "{} trace of {} (lots, computed in the database)\n{}",
                    answer.direction,
                    answer.start,
                    t.render()
                ))?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// `lotledger recall --db URL (--lot LOT... | --recall NUMBER)`: the recall
/// report computed in the database (docs/POSTGRES.md: the fields it holds).
pub fn recall(
    url: &str,
    lots: &[String],
    number: Option<&str>,
    format: Format,
) -> Result<Outcome, CliError> {
    if lots.is_empty() && number.is_none() {
        return Err(CliError::Usage("give --lot LOT (repeatable) or --recall NUMBER".into()));
    }
    let mut seeds = Vec::with_capacity(lots.len());
    for l in lots {
        let id = crate::queries::parse_lot(l)?;
        seeds.push((id.item.to_string(), id.lot.as_str().to_owned()));
    }
    let mut db = Db::connect(url).map_err(cli_error)?;
    let report = match number {
        Some(n) => db.recall_by_number(n.trim()),
        None => db.recall(&seeds),
    }
    .map_err(cli_error)?;
    match format {
        Format::Json => output::print_json(&report)?,
        Format::Csv => {
            let mut t = Table::new(&[
                "customer",
                "item",
                "lot",
                "unit",
                "shipped",
                "returned",
                "retrieved",
                "outstanding",
                "over_returned",
                "orders",
                "ship_to",
            ]);
            for l in &report.customer_lots {
                t.row([
                    l.customer.clone(),
                    l.item.clone(),
                    l.lot.clone(),
                    l.unit.clone(),
                    l.shipped.to_string(),
                    l.returned.to_string(),
                    l.retrieved.to_string(),
                    l.outstanding.to_string(),
                    l.over_returned.to_string(),
                    l.orders.join(" "),
                    l.ship_to.join(" "),
                ]);
            }
            output::print(&t.csv())?;
        }
        Format::Table => {
            let mut lots =
                Table::new(&["item", "lot", "depth", "status", "on hand", "under recall"]);
            for l in &report.lots {
                lots.row([
                    l.item.clone(),
                    l.lot.clone(),
                    l.depth.to_string(),
                    l.status.map_or_else(|| "-".into(), |s| format!("{s:?}").to_lowercase()),
                    l.on_hand.to_string(),
                    l.under_recall.join(" "),
                ]);
            }
            let mut customers = Table::new(&[
                "customer",
                "shipped",
                "returned",
                "retrieved",
                "outstanding",
                "notified",
                "shipments",
            ]);
            for c in &report.customers {
                customers.row([
                    c.customer.clone(),
                    c.shipped.to_string(),
                    c.returned.to_string(),
                    c.retrieved.to_string(),
                    c.outstanding.to_string(),
                    if c.notified { "yes" } else { "no" }.to_owned(),
                    c.shipments.len().to_string(),
                ]);
            }
            let mut text = format!(
                "recall of {} (computed in the database)\n\naffected lots\n{}\ncustomers\n{}",
                report.recalled.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                lots.render(),
                customers.render()
            );
            for r in &report.recalls {
                text.push_str(&format!(
                    "\nrecall {}: {} customers, {} notified, outstanding {}{}\n",
                    r.recall,
                    r.customers,
                    r.notified.len(),
                    r.outstanding,
                    r.closed_at.map_or_else(String::new, |t| format!(", closed {t}"))
                ));
            }
            if report.unit_shipments_not_counted > 0 {
                text.push_str(&format!(
                    "\nnote: {} shipments of goods by container or serial are not counted here \
                     (docs/POSTGRES.md); run recall on the ledger directories for them\n",
                    report.unit_shipments_not_counted
                ));
            }
            output::print(&text)?;
        }
    }
    Ok(Outcome::Ok)
}

/// `lotledger audit --db URL [--corrections] [filters]`: the entries or
/// corrections selected in the database, printed as `audit DIR` prints
/// them (the same JSON).
pub fn audit(
    url: &str,
    view: &crate::queries::AuditView,
    format: Format,
) -> Result<Outcome, CliError> {
    use crate::queries::AuditView;
    let mut db = Db::connect(url).map_err(cli_error)?;
    let none = lotledger::index::Unresolved::default();
    match view {
        AuditView::Report => {
            return Err(CliError::Usage(
                "audit --report reads the ledger directories; for the database use verify --db"
                    .into(),
            ));
        }
        AuditView::Corrections => {
            let lines = db.corrections().map_err(cli_error)?;
            if format == Format::Json {
                output::print_json(&output::json_noted(&lines, &none)?)?;
            } else {
                crate::queries::print_corrections(&lines, format)?;
            }
        }
        AuditView::Entries(filter) => {
            let rows = db.audit_entries(filter).map_err(cli_error)?;
            if format == Format::Json {
                output::print_json(&output::json_noted(&rows, &none)?)?;
            } else {
                crate::queries::print_audit_rows(&rows, format)?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// `lotledger complaints --db URL [filters | --timeline N | --clusters N |
/// --counts]`: the complaint entries (of complaint `N` alone for a
/// timeline), the party descriptions and the corrections naming them,
/// selected in the database and put in an index of their own; the report is
/// then computed and printed by the code `complaints DIR` runs
/// (docs/POSTGRES.md).
pub fn complaints(
    url: &str,
    args: &crate::queries::ComplaintsArgs,
    format: Format,
) -> Result<Outcome, CliError> {
    let mut db = Db::connect(url).map_err(cli_error)?;
    let number = args.timeline.as_deref();
    let mut index = db.complaint_index(number).map_err(cli_error)?;
    let unknown =
        number.and_then(|n| n.parse::<lotledger::model::Reference>().ok()).is_some_and(|n| {
            let rc = lotledger::query::ResponseCommitments::default();
            lotledger::query::complaint_timeline(&index, &n, &rc, args.now).is_err()
        });
    if unknown {
        // For the near matches the error names: every complaint.
        index = db.complaint_index(None).map_err(cli_error)?;
    }
    crate::queries::print_complaints(&index, &lotledger::index::Unresolved::default(), args, format)
}

/// `lotledger expiring --db URL --before DATE [--from DATE]`: the entries
/// of the lots made with an expiry in the window, the master data, the
/// serialized goods' events and the corrections naming them, selected in
/// the database and put in an index of their own; the report is computed
/// and printed by the code `expiring DIR` runs (docs/POSTGRES.md).
pub fn expiring(
    url: &str,
    before: lotledger::model::Date,
    from: Option<lotledger::model::Date>,
    format: Format,
) -> Result<Outcome, CliError> {
    let mut db = Db::connect(url).map_err(cli_error)?;
    let index = db.expiring_index(before, from).map_err(cli_error)?;
    let none = lotledger::index::Unresolved::default();
    crate::queries::print_expiring(&index, &none, before, from, format)
}

/// `lotledger where --db URL TARGET`: the index of the entries the report
/// on `target` reads, selected in the database (`Db::where_index`); the
/// report is computed and printed by the code `where DIR` runs
/// (docs/POSTGRES.md).
pub fn where_index(
    url: &str,
    target: &lotledger::query::UnitTarget,
) -> Result<lotledger::index::Index, CliError> {
    let mut db = Db::connect(url).map_err(cli_error)?;
    db.where_index(target).map_err(cli_error)
}
