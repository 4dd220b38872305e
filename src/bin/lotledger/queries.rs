//! The investigator's and auditor's commands: `trace`, `recall`,
//! `complaints`, `expiring`, `audit`. Each opens any number of ledger
//! directories into one index (lots, parties and items join across them)
//! and prints a table, `--json` or `--csv`.

use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lotledger::file::{Tail, segment};
use lotledger::index::cache::{self, CacheMode, OpenError};
use lotledger::index::{Index, Unresolved};
use lotledger::interop::gs1::ElementString;
use lotledger::model::{
    ComplaintType, Date, ItemCode, LotId, PartyId, Reference, Severity, Timestamp,
};
use lotledger::query::{
    self, AuditFilter, ClusterSpec, ComplaintFilter, ResponseCommitments, Totals,
};

use crate::output::{self, Format, Table};
use crate::progress::{Progress, Unit};
use crate::{CliError, Outcome};

/// Whether queries use the persistent index cache (`--no-cache` clears it):
/// set once by `main` before the command runs.
pub static USE_INDEX_CACHE: AtomicBool = AtomicBool::new(true);

/// An index over the ledgers in `dirs`, and how long opening took. It is
/// loaded from the index cache and caught up when the cache is valid,
/// otherwise built from the ledgers and the cache rewritten
/// (docs/INDEX.md); one line on standard error says which. While segment
/// files are read and indexed, a progress bar with the bytes read and their
/// total is drawn on standard error when it is a terminal.
pub fn open_index(dirs: &[PathBuf]) -> Result<(OpenedIndex, Duration), CliError> {
    let mode =
        if USE_INDEX_CACHE.load(Ordering::Relaxed) { CacheMode::Use } else { CacheMode::Refresh };
    open_index_with(dirs, mode)
}

/// The index a command answers from. It is never freed: the process exits
/// soon after the answer, and handing its memory back allocation by
/// allocation (about 0.2 s at 10 million entries) would only delay the
/// exit (docs/INDEX.md, "Cost").
pub type OpenedIndex = ManuallyDrop<Index>;

/// [`open_index`] with the cache used as `mode` says.
pub fn open_index_with(
    dirs: &[PathBuf],
    mode: CacheMode,
) -> Result<(OpenedIndex, Duration), CliError> {
    let started = Instant::now();
    if let Some(index) = crate::archive::index_with_archives(dirs)? {
        return Ok((ManuallyDrop::new(index), started.elapsed()));
    }
    let mut bar = Progress::new("indexing", 0, Unit::Bytes);
    let opened = cache::open_with_progress(dirs, mode, &mut |done, total| {
        bar.set_total(total);
        bar.set(done);
    });
    bar.finish();
    let opened = opened.map_err(|e| match e {
        OpenError::Storage(e) => crate::tree::read_error(e),
        OpenError::Ingest { .. } => CliError::Check(e.to_string()),
        other => CliError::Storage(other.to_string()),
    })?;
    if let Some(report) = &opened.cache {
        eprintln!("{report}");
    }
    for (dir, tail) in dirs.iter().zip(&opened.tails) {
        ledger_notes(dir, tail.as_ref())?;
    }
    output::use_personal_stores(dirs);
    Ok((ManuallyDrop::new(opened.index), started.elapsed()))
}

/// Says on standard error what of the ledger in `dir` the answers leave
/// out: segments archived before its first one present, and an incomplete
/// tail (an interrupted append) at the end of its last segment, as the
/// index found it.
fn ledger_notes(dir: &std::path::Path, tail: Option<&Tail>) -> Result<(), CliError> {
    let first = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().to_str().and_then(segment::parse_file_name))
        .min();
    if let Some(first) = first.filter(|f| *f > 0) {
        eprintln!(
            "lotledger: note: {} starts at entry {first}: the entries before it are not \
             here (archived) and not in these answers; {}",
            dir.display(),
            crate::archive::PASS_THE_ARCHIVE
        );
    }
    if let Some(t) = tail {
        eprintln!(
            "lotledger: note: {} ends in {} bytes at byte {} that are not a complete \
             entry (an interrupted append of entry {}); they are not in these answers",
            t.path.display(),
            t.len,
            t.offset,
            t.seq
        );
    }
    Ok(())
}

/// Opens the index for a query and warns (stderr; atop a table) about
/// references no indexed ledger resolves. Returns the index and what is
/// unresolved, for the JSON form.
pub fn open_query(dirs: &[PathBuf], format: Format) -> Result<(OpenedIndex, Unresolved), CliError> {
    let (index, _) = open_index(dirs)?;
    let unresolved = index.unresolved();
    output::warn_unresolved(&unresolved, format)?;
    Ok((index, unresolved))
}

/// A query's "not found" as the CLI reports it (exit 6), with the near
/// matches the records hold.
pub fn not_found(index: &Index, e: &query::QueryError) -> CliError {
    let near: Vec<String> = match e {
        query::QueryError::UnknownLot(l) => {
            query::near_lots(index, l).iter().map(ToString::to_string).collect()
        }
        query::QueryError::UnknownRecall(r) => query::near_recalls(index, r),
        query::QueryError::UnknownComplaint(c) => query::near_complaints(index, c),
        _ => Vec::new(),
    };
    if near.is_empty() {
        CliError::NotFound(e.to_string())
    } else {
        CliError::NotFound(format!("{e}; did you mean {}?", near.join(", ")))
    }
}

/// A lot as people type it: `ITEM/LOT` (`gtin:09506000134352/B260001`,
/// `RM-ACRYL-ADH/R260001`; a bare 14-digit GTIN such as
/// `09506000134352/B260001` is read as `gtin:`), or a GS1 scan naming GTIN
/// and batch.
pub fn parse_lot(text: &str) -> Result<LotId, CliError> {
    if text.starts_with('(') || text.starts_with(']') || text.starts_with("http") {
        let scan = ElementString::parse(text)
            .map_err(|e| CliError::Usage(format!("lot {text:?}: {e}")))?;
        return scan
            .lot_id()
            .ok_or_else(|| CliError::Usage(format!("the scan {text:?} names no GTIN and batch")));
    }
    let (item, lot) = text.rsplit_once('/').ok_or_else(|| {
        CliError::Usage(format!("lot {text:?}: write ITEM/LOT, e.g. gtin:09506000134352/B260001"))
    })?;
    let bad = |what: &str| CliError::Usage(format!("lot {text:?}: {what}"));
    let bare_gtin = item.len() == 14 && item.bytes().all(|b| b.is_ascii_digit());
    let item = match item.strip_prefix("gtin:").or(bare_gtin.then_some(item)) {
        Some(g) => {
            ItemCode::Gtin(lotledger::model::Gtin::parse(g).map_err(|e| bad(&e.to_string()))?)
        }
        None => ItemCode::Internal(
            item.parse().map_err(|e: lotledger::model::IdErrorKind| bad(&e.to_string()))?,
        ),
    };
    Ok(LotId {
        item,
        lot: lot.parse().map_err(|e: lotledger::model::IdErrorKind| bad(&e.to_string()))?,
    })
}

/// A party as people type it: `gln:` and 13 digits, or the internal code.
pub fn parse_party(text: &str) -> Result<PartyId, CliError> {
    parse_party_as(text, "customer")
}

/// [`parse_party`], its errors naming the party as `role`.
fn parse_party_as(text: &str, role: &str) -> Result<PartyId, CliError> {
    let bad = |what: String| CliError::Usage(format!("{role} {text:?}: {what}"));
    match text.strip_prefix("gln:") {
        Some(g) => {
            lotledger::model::Gln::parse(g).map(PartyId::Gln).map_err(|e| bad(e.to_string()))
        }
        None => text
            .parse()
            .map(PartyId::Internal)
            .map_err(|e: lotledger::model::IdErrorKind| bad(e.to_string())),
    }
}

/// A time as people type it: RFC 3339, or a date (its start, UTC).
pub fn parse_time(text: &str) -> Result<Timestamp, CliError> {
    Timestamp::parse_rfc3339(text)
        .ok()
        .or_else(|| parse_date(text).ok().map(Date::start))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{text:?} is not a time (2026-03-02T08:00:00Z) or a date (2026-03-02)"
            ))
        })
}

/// A date, `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, CliError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Date::from_naive)
        .map_err(|_| CliError::Usage(format!("{text:?} is not a date (2026-03-02)")))
}

fn status(s: Option<lotledger::model::Disposition>) -> String {
    s.map_or("-".into(), |d| output::name(&d))
}

fn render(format: Format, table: &Table) -> Result<(), CliError> {
    output::print(&if format == Format::Csv { table.csv() } else { table.render() })?;
    Ok(())
}

/// Where a trace or recall starts: our lot, or the lots a supplier's lot
/// was received as.
pub enum Start {
    /// `--lot LOT`.
    Lot(String),
    /// `--supplier-lot CODE [--supplier PARTY]`.
    SupplierLot(query::ReceiptFilter),
}

/// The receipt filter of `--supplier-lot CODE` and `--supplier PARTY`.
pub fn receipt_filter(
    supplier_lot: Option<String>,
    supplier: Option<&str>,
) -> Result<query::ReceiptFilter, CliError> {
    Ok(query::ReceiptFilter {
        supplier: supplier.map(|s| parse_party_as(s, "supplier")).transpose()?,
        supplier_lot,
    })
}

/// "No receipt matches" as the CLI reports it (exit 6), with the supplier
/// lots (or, without `--supplier-lot`, the suppliers) the receipts record
/// near the one asked for.
fn receipt_not_found(
    index: &Index,
    filter: &query::ReceiptFilter,
    e: &query::QueryError,
) -> CliError {
    let near = match (&filter.supplier_lot, &filter.supplier) {
        (Some(code), _) => query::near_supplier_lots(index, code),
        (None, Some(p)) => query::near_suppliers(index, &p.to_string()),
        (None, None) => Vec::new(),
    };
    if near.is_empty() || matches!(e, query::QueryError::OnlyVoidedReceipts(_)) {
        CliError::NotFound(e.to_string())
    } else {
        CliError::NotFound(format!("{e}; did you mean {}?", near.join(", ")))
    }
}

/// The lots a trace or recall starts from, and the receipts that named
/// them when it starts from a supplier's lot.
fn start_lots<'a>(
    index: &'a Index,
    start: &Start,
) -> Result<(Vec<LotId>, Option<Vec<query::ReceiptMatch<'a>>>), CliError> {
    match start {
        Start::Lot(l) => Ok((vec![parse_lot(l)?], None)),
        Start::SupplierLot(filter) => {
            let lots = query::received_lots(index, filter)
                .map_err(|e| receipt_not_found(index, filter, &e))?;
            Ok((lots, Some(query::receipts(index, filter))))
        }
    }
}

/// The table of receipts `receipts` and `trace --supplier-lot` print.
fn receipts_table(rows: &[query::ReceiptMatch<'_>]) -> Table {
    let mut t = Table::new(&[
        "ledger",
        "seq",
        "received",
        "item",
        "lot",
        "quantity",
        "supplier",
        "supplier lot",
        "order",
        "void",
    ]);
    for m in rows {
        let r = &m.receipt;
        t.row([
            r.ledger.to_string(),
            r.seq.to_string(),
            r.received_at.to_string(),
            r.item.into(),
            r.lot.into(),
            format!("{} {}", r.quantity, r.unit),
            r.supplier.into(),
            r.supplier_lot.unwrap_or_default().into(),
            r.order.unwrap_or_default().into(),
            if m.void { "VOID".into() } else { String::new() },
        ]);
    }
    t
}

/// The heading of a trace or recall that starts from a supplier's lot.
fn received_as(filter: &query::ReceiptFilter, lots: &[LotId]) -> String {
    let names: Vec<String> = lots.iter().map(ToString::to_string).collect();
    format!(
        "{} was received as {} lots: {}
",
        filter.describe(),
        lots.len(),
        names.join(", ")
    )
}

/// `lotledger receipts DIR... [--supplier PARTY] [--supplier-lot CODE]`.
pub fn receipts(
    dirs: &[PathBuf],
    filter: &query::ReceiptFilter,
    format: Format,
) -> Result<Outcome, CliError> {
    let (index, _) = open_query(dirs, format)?;
    let rows = query::receipts(&index, filter);
    if rows.is_empty() && (filter.supplier.is_some() || filter.supplier_lot.is_some()) {
        let e = query::QueryError::NoReceipt(filter.describe());
        return Err(receipt_not_found(&index, filter, &e));
    }
    if format == Format::Json {
        output::print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    render(format, &receipts_table(&rows))?;
    Ok(Outcome::Ok)
}

/// `lotledger trace DIR... (--lot LOT | --supplier-lot CODE [--supplier
/// PARTY]) [--backward] [--graph dot|mermaid]`. From a supplier's lot, each
/// of our lots it was received as is traced in turn.
pub fn trace(
    dirs: &[PathBuf],
    start: &Start,
    backward: bool,
    graph: Option<&str>,
    format: Format,
) -> Result<Outcome, CliError> {
    if let Start::Lot(l) = start {
        parse_lot(l)?;
    }
    // A graph is for a renderer: the warning then goes to stderr only.
    let warn_as = if graph.is_some() { Format::Json } else { format };
    let (index, unresolved) = open_query(dirs, warn_as)?;
    let (lots, matched) = start_lots(&index, start)?;
    let (Start::SupplierLot(filter), Some(matched)) = (start, matched) else {
        let lot = lots.first().ok_or_else(|| CliError::Usage("give --lot LOT".into()))?;
        return trace_one(&index, &unresolved, lot, backward, graph, format);
    };
    if let Some(kind) = graph {
        let [lot] = lots.as_slice() else {
            return Err(CliError::Usage(format!(
                "{}; --graph draws one lot: give --lot with one of them",
                received_as(filter, &lots).trim_end()
            )));
        };
        return trace_one(&index, &unresolved, lot, backward, Some(kind), format);
    }
    match format {
        Format::Json => output::print_json(&trace_json(&index, &unresolved, start, backward)?)?,
        Format::Csv => render(format, &traces_csv(&index, &lots, backward)?)?,
        Format::Table => {
            output::print(&received_as(filter, &lots))?;
            render(format, &receipts_table(&matched))?;
            for lot in &lots {
                output::print("\n")?;
                trace_one(&index, &unresolved, lot, backward, None, format)?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// The columns of a trace's lots table.
const LOT_COLUMNS: [&str; 5] = ["depth", "item", "lot", "status", "expiry"];
/// The columns of a forward trace's shipments table.
const SHIPMENT_COLUMNS: [&str; 8] =
    ["item", "lot", "customer", "customer name", "ship to", "quantity", "shipped", "order"];

fn lot_cells(l: &query::TracedLot<'_>) -> [String; 5] {
    [
        l.depth.to_string(),
        l.item.into(),
        l.lot.into(),
        status(l.status),
        l.expiry.map_or("-".into(), |d| d.to_string()),
    ]
}

fn shipment_cells(s: &query::ShipmentLine<'_>) -> [String; 8] {
    [
        s.item().into(),
        s.lot().into(),
        s.customer().into(),
        s.customer_name().unwrap_or("no master data").into(),
        s.ship_to().unwrap_or_default().into(),
        format!("{} {}", s.quantity(), s.unit()),
        s.shipped_at().to_string(),
        s.order().into(),
    ]
}

/// The CSV of several traces (`trace --supplier-lot ... --csv`): the rows
/// of each (shipments forward, lots backward) after a first column `from
/// lot` naming the lot it started from, so that a shipment reached from two
/// received lots is seen as such.
fn traces_csv(index: &Index, lots: &[LotId], backward: bool) -> Result<Table, CliError> {
    let q = |e: query::QueryError| not_found(index, &e);
    let columns: &[&str] = if backward { &LOT_COLUMNS } else { &SHIPMENT_COLUMNS };
    let header: Vec<&str> = core::iter::once("from lot").chain(columns.iter().copied()).collect();
    let mut table = Table::new(&header);
    for lot in lots {
        let from = lot.to_string();
        if backward {
            for l in &query::trace_backward(index, lot).map_err(q)?.lots {
                table.row(core::iter::once(from.clone()).chain(lot_cells(l)));
            }
        } else {
            for s in &query::trace_forward(index, lot).map_err(q)?.shipments {
                table.row(core::iter::once(from.clone()).chain(shipment_cells(s)));
            }
        }
    }
    Ok(table)
}

/// The lots a trace reached, nearest first.
fn traced_lots_table(traced: &[query::TracedLot<'_>]) -> Table {
    let mut lots = Table::new(&LOT_COLUMNS);
    for l in traced {
        lots.row(lot_cells(l));
    }
    lots
}

/// The shipments a forward trace found.
fn shipments_table(t: &query::ForwardTrace<'_>) -> Table {
    let mut shipments = Table::new(&SHIPMENT_COLUMNS);
    for s in &t.shipments {
        shipments.row(shipment_cells(s));
    }
    shipments
}

/// One lot's trace in the chosen form.
fn trace_one(
    index: &Index,
    unresolved: &Unresolved,
    lot: &LotId,
    backward: bool,
    graph: Option<&str>,
    format: Format,
) -> Result<Outcome, CliError> {
    let q = |e: query::QueryError| not_found(index, &e);
    if let Some(kind) = graph {
        let g = query::genealogy(index, lot).map_err(q)?;
        output::print(&if kind == "dot" { g.to_dot() } else { g.to_mermaid() })?;
        return Ok(Outcome::Ok);
    }
    if format == Format::Json {
        let start = Start::Lot(lot.to_string());
        output::print_json(&trace_json(index, unresolved, &start, backward)?)?;
        return Ok(Outcome::Ok);
    }
    if backward {
        let t = query::trace_backward(index, lot).map_err(q)?;
        let lots = traced_lots_table(&t.lots);
        if format == Format::Csv {
            return render(format, &lots).map(|()| Outcome::Ok);
        }
        let mut receipts = Table::new(&[
            "item",
            "lot",
            "supplier",
            "supplier name",
            "supplier lot",
            "quantity",
            "order",
            "received",
        ]);
        for r in &t.receipts {
            receipts.row([
                r.item.into(),
                r.lot.into(),
                r.supplier.into(),
                r.supplier_name.unwrap_or("no master data").into(),
                r.supplier_lot.unwrap_or_default().into(),
                format!("{} {}", r.quantity, r.unit),
                r.order.unwrap_or_default().into(),
                r.received_at.to_string(),
            ]);
        }
        let mut inspections =
            Table::new(&["item", "lot", "stage", "result", "certificate", "at", "by"]);
        for i in &t.inspections {
            inspections.row([
                i.item.into(),
                i.lot.into(),
                output::name(&i.stage),
                output::name(&i.result),
                i.certificate.map_or("-".into(), |c| c.to_string()),
                i.inspected_at.to_string(),
                i.actor.into(),
            ]);
        }
        output::print(&format!("backward trace of {}: {} lots in it\n\n", t.start, t.lots.len()))?;
        render(format, &lots)?;
        output::print(&format!("\nreceipts ({})\n", t.receipts.len()))?;
        render(format, &receipts)?;
        output::print(&format!("\ninspections ({})\n", t.inspections.len()))?;
        render(format, &inspections)?;
        return Ok(Outcome::Ok);
    }
    let t = query::trace_forward(index, lot).map_err(q)?;
    let shipments = shipments_table(&t);
    if format == Format::Csv {
        return render(format, &shipments).map(|()| Outcome::Ok);
    }
    let lots = traced_lots_table(&t.lots);
    output::print(&format!(
        "forward trace of {}: {} lots derived, {} shipments\n\n",
        t.start,
        t.lots.len(),
        t.shipments.len()
    ))?;
    render(format, &lots)?;
    output::print("\nshipments\n")?;
    render(format, &shipments)?;
    Ok(Outcome::Ok)
}

fn totals(t: &Totals) -> String {
    let s = t.to_string();
    if s.is_empty() { "0".into() } else { s }
}

/// `lotledger recall DIR... --lot LOT... | --recall NUMBER |
/// --supplier-lot CODE [--supplier PARTY]`.
pub fn recall(
    dirs: &[PathBuf],
    lots: &[String],
    number: Option<&str>,
    from: Option<&query::ReceiptFilter>,
    format: Format,
) -> Result<Outcome, CliError> {
    let lots = lots.iter().map(|l| parse_lot(l)).collect::<Result<Vec<_>, _>>()?;
    let (index, unresolved) = open_query(dirs, format)?;
    if format == Format::Json {
        output::print_json(&recall_json(&index, &unresolved, &lots, number, from)?)?;
        return Ok(Outcome::Ok);
    }
    let q = |e: query::QueryError| not_found(&index, &e);
    if let Some(filter) = from {
        let (lots, matched) = start_lots(&index, &Start::SupplierLot(filter.clone()))?;
        let report = query::recall(&index, &lots).map_err(q)?;
        if format == Format::Table {
            output::print(&received_as(filter, &lots))?;
            render(format, &receipts_table(&matched.unwrap_or_default()))?;
            output::print("\n")?;
        }
        print_recall(&report, &unresolved, format)?;
        return Ok(Outcome::Ok);
    }
    let report = recall_report(&index, &lots, number)?;
    print_recall(&report, &unresolved, format)?;
    Ok(Outcome::Ok)
}

/// The recall report of lots or of a recall recorded under `number`.
fn recall_report(
    index: &Index,
    lots: &[LotId],
    number: Option<&str>,
) -> Result<query::RecallReport, CliError> {
    let q = |e: query::QueryError| not_found(index, &e);
    match number {
        Some(n) => {
            let n: Reference =
                n.parse().map_err(|e| CliError::Usage(format!("recall number {n:?}: {e}")))?;
            query::recall_by_number(index, &n).map_err(q)
        }
        None => query::recall(index, lots).map_err(q),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(v).map_err(|e| CliError::Io(e.into()))
}

fn noted<T: serde::Serialize>(
    v: &T,
    unresolved: &Unresolved,
) -> Result<serde_json::Value, CliError> {
    Ok(output::json_noted(v, unresolved)?)
}

/// `trace --json`: one lot's forward or backward trace; from a supplier's
/// lot, the receipts matched and the trace of each lot received as it.
/// What the CLI prints and `serve`'s `/api/trace` answers.
pub fn trace_json(
    index: &Index,
    unresolved: &Unresolved,
    start: &Start,
    backward: bool,
) -> Result<serde_json::Value, CliError> {
    let q = |e: query::QueryError| not_found(index, &e);
    let (lots, matched) = start_lots(index, start)?;
    let one = |lot: &LotId| {
        if backward {
            to_json(&query::trace_backward(index, lot).map_err(q)?)
        } else {
            to_json(&query::trace_forward(index, lot).map_err(q)?)
        }
    };
    let (Start::SupplierLot(filter), Some(matched)) = (start, matched) else {
        let lot = lots.first().ok_or_else(|| CliError::Usage("give --lot LOT".into()))?;
        return noted(&one(lot)?, unresolved);
    };
    let traces = lots.iter().map(one).collect::<Result<Vec<_>, _>>()?;
    let doc = serde_json::json!({
        "supplier_lot": filter.supplier_lot,
        "supplier": filter.supplier.as_ref().map(ToString::to_string),
        "receipts": matched,
        "traces": traces,
    });
    noted(&doc, unresolved)
}

/// The genealogy `trace --graph` draws, as JSON: every lot reached (its
/// generation: negative for inputs, positive for outputs) and every
/// production link among them. What `serve`'s `/api/genealogy` answers.
#[cfg(feature = "serve")]
pub fn genealogy_json(
    index: &Index,
    unresolved: &Unresolved,
    lot: &str,
) -> Result<serde_json::Value, CliError> {
    let lot = parse_lot(lot)?;
    noted(&query::genealogy(index, &lot).map_err(|e| not_found(index, &e))?, unresolved)
}

/// `recall --json`: the report of lots, of a recorded recall, or of the
/// lots received as a supplier's lot (with `received_as`).
pub fn recall_json(
    index: &Index,
    unresolved: &Unresolved,
    lots: &[LotId],
    number: Option<&str>,
    from: Option<&query::ReceiptFilter>,
) -> Result<serde_json::Value, CliError> {
    if let Some(filter) = from {
        let (lots, matched) = start_lots(index, &Start::SupplierLot(filter.clone()))?;
        let report = query::recall(index, &lots).map_err(|e| not_found(index, &e))?;
        let mut doc = to_json(&report)?;
        if let serde_json::Value::Object(map) = &mut doc {
            map.insert("received_as".into(), to_json(&matched)?);
        }
        return noted(&doc, unresolved);
    }
    noted(&recall_report(index, lots, number)?, unresolved)
}

/// `complaints --json` (and `--timeline`, `--clusters`, `--counts`, which
/// are JSON only).
pub fn complaints_json(
    index: &Index,
    unresolved: &Unresolved,
    args: &ComplaintsArgs,
) -> Result<serde_json::Value, CliError> {
    let commitments = ResponseCommitments::default();
    if let Some(number) = &args.timeline {
        let n: Reference =
            number.parse().map_err(|e| CliError::Usage(format!("complaint {number:?}: {e}")))?;
        let t = query::complaint_timeline(index, &n, &commitments, args.now)
            .map_err(|e| not_found(index, &e))?;
        return noted(&t, unresolved);
    }
    if let Some((min, window_ms)) = args.clusters {
        return noted(
            &query::complaint_clusters(index, &ClusterSpec { min, window_ms }),
            unresolved,
        );
    }
    if args.counts {
        return noted(
            &query::complaint_counts(index, args.filter.from, args.filter.to),
            unresolved,
        );
    }
    noted(&query::complaints(index, &args.filter, &commitments, args.now), unresolved)
}

/// `expiring --json`.
pub fn expiring_json(
    index: &Index,
    unresolved: &Unresolved,
    before: Date,
    from: Option<Date>,
) -> Result<serde_json::Value, CliError> {
    noted(&query::expiring(index, before, from), unresolved)
}

/// `audit --json` (`--report` is JSON only).
pub fn audit_json(
    index: &Index,
    unresolved: &Unresolved,
    view: &AuditView,
) -> Result<serde_json::Value, CliError> {
    match view {
        AuditView::Report => noted(&query::verification(index), unresolved),
        AuditView::Corrections => noted(&query::corrections(index), unresolved),
        AuditView::Entries(filter) => noted(&query::audit_entries(index, filter), unresolved),
    }
}

/// Prints a recall report in the chosen form.
pub fn print_recall(
    report: &query::RecallReport,
    unresolved: &Unresolved,
    format: Format,
) -> Result<(), CliError> {
    if format == Format::Json {
        output::print_json_noted(report, unresolved)?;
        return Ok(());
    }
    let details: std::collections::HashMap<&str, &query::PartyDetails> =
        report.customers.iter().map(|c| (c.customer.as_str(), &c.customer_details)).collect();
    let party = |customer: &str| details.get(customer).map(|d| output::party_cells(d));
    let mut header = vec!["customer".to_owned()];
    header.extend(output::party_columns("customer"));
    header.extend(
        [
            "item",
            "lot",
            "unit",
            "shipped",
            "returned",
            "retrieved",
            "outstanding",
            "over-returned",
            "ship to",
            "orders",
            "notified",
            "containers",
            "serials",
        ]
        .map(String::from),
    );
    let mut lines = Table::with_columns(header);
    for c in &report.customer_lots {
        let mut row = vec![c.customer.clone()];
        row.extend(party(&c.customer).unwrap_or_default());
        lines.row(row.into_iter().chain([
            c.item.clone(),
            c.lot.clone(),
            c.unit.clone(),
            c.shipped.to_string(),
            c.returned.to_string(),
            c.retrieved.to_string(),
            c.outstanding.to_string(),
            c.over_returned.to_string(),
            if c.ship_to.is_empty() { "main address".to_owned() } else { c.ship_to.join(" ") },
            c.orders.join(" "),
            c.notified_at.map_or_else(|| "no".to_owned(), |t| t.to_string()),
            c.containers.join(" "),
            c.serials.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
        ]));
    }
    if format == Format::Csv {
        return render(format, &lines);
    }
    let recalled: Vec<String> = report.recalled.iter().map(ToString::to_string).collect();
    output::print(&format!(
        "recall of {}: {} affected lots, {} customers\n",
        recalled.join(", "),
        report.lots.len(),
        report.customers.len()
    ))?;
    if !report.without_master_data.is_empty() {
        output::print(&format!(
            "\nWARNING: {} of {} customers have NO MASTER DATA (no name, address or contact to reach them): {}\n",
            report.without_master_data.len(),
            report.customers.len(),
            report.without_master_data.join(", ")
        ))?;
    }
    output::print("\n")?;
    let mut lots = Table::new(&["depth", "item", "lot", "status", "expiry", "on hand"]);
    for l in &report.lots {
        lots.row([
            l.depth.to_string(),
            l.item.clone(),
            l.lot.clone(),
            if l.under_recall.is_empty() {
                status(l.status)
            } else {
                format!("{} UNDER RECALL {}", status(l.status), l.under_recall.join(" "))
            },
            l.expiry.map_or("-".into(), |d| d.to_string()),
            totals(&l.on_hand),
        ]);
    }
    output::print("affected lots\n")?;
    render(format, &lots)?;
    output::print("\ncustomers to contact\n")?;
    let mut header = vec!["customer".to_owned()];
    header.extend(output::party_columns("customer"));
    header.extend(
        ["ship to", "shipped", "returned", "retrieved", "outstanding", "over-returned", "notified"]
            .map(String::from),
    );
    let mut customers = Table::with_columns(header);
    for c in &report.customers {
        let ship_to =
            if c.ship_to.is_empty() { "main address".to_owned() } else { c.ship_to.join(" ") };
        let mut row = vec![c.customer.clone()];
        row.extend(output::party_cells(&c.customer_details));
        customers.row(row.into_iter().chain([
            ship_to,
            totals(&c.shipped),
            totals(&c.returned),
            totals(&c.retrieved),
            totals(&c.outstanding),
            totals(&c.over_returned),
            match (c.notified_at.first(), c.open_complaints.is_empty()) {
                (Some(t), _) => t.to_string(),
                (None, true) => "NO".into(),
                (None, false) => format!("NO, open complaint {}", c.open_complaints.join(" ")),
            },
        ]));
    }
    render(format, &customers)?;
    output::print("\nshipments of affected lots\n")?;
    let mut shipments = Table::new(&[
        "customer",
        "order",
        "shipped",
        "item",
        "lot",
        "quantity",
        "ship to",
        "delivered",
    ]);
    for c in &report.customers {
        for s in &c.shipments {
            shipments.row([
                c.customer.clone(),
                s.order.clone(),
                s.shipped_at.to_string(),
                s.item.clone(),
                s.lot.clone(),
                format!("{} {}", s.quantity, s.unit),
                s.ship_to.clone().unwrap_or_else(|| "main address".into()),
                s.delivered_at.map_or_else(|| "in transit".into(), |t| t.to_string()),
            ]);
        }
    }
    render(format, &shipments)?;
    let serialized: Vec<_> = report
        .customer_lots
        .iter()
        .filter(|c| !c.containers.is_empty() || !c.serials.is_empty())
        .collect();
    if !serialized.is_empty() {
        output::print("\nserialized units received\n")?;
        let mut units = Table::new(&["customer", "item", "lot", "containers", "serials"]);
        for c in serialized {
            units.row([
                c.customer.clone(),
                c.item.clone(),
                c.lot.clone(),
                c.containers.join(" "),
                c.serials.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            ]);
        }
        render(format, &units)?;
    }
    output::print("\nmass balance\n")?;
    let mut balances = Table::new(&[
        "item",
        "lot",
        "received",
        "produced",
        "returned",
        "retrieved",
        "consumed",
        "shipped",
        "destroyed",
        "on hand",
        "discrepancies",
    ]);
    for b in &report.balances {
        let flags: Vec<String> = b.discrepancies.iter().map(ToString::to_string).collect();
        balances.row([
            b.item.clone(),
            b.lot.clone(),
            totals(&b.received),
            totals(&b.produced),
            totals(&b.returned),
            totals(&b.retrieved),
            totals(&b.consumed),
            totals(&b.shipped),
            totals(&b.destroyed),
            totals(&b.on_hand),
            flags.join("; "),
        ]);
    }
    render(format, &balances)?;
    for r in &report.recalls {
        output::print(&format!(
            "\nrecall {} (class {}, opened {}): {} of {} customers notified, retrieved {}, outstanding {}{}{}\n",
            r.recall,
            output::name(&r.class),
            r.opened_at,
            r.notified.len(),
            r.customers,
            totals(&r.retrieved),
            totals(&r.outstanding),
            if r.over_returned.0.is_empty() {
                String::new()
            } else {
                format!(", over-returned {} (not netted)", r.over_returned)
            },
            r.closed_at.map(|t| format!(", closed {t}")).unwrap_or_default()
        ))?;
    }
    Ok(())
}

/// What `complaints` shows.
pub struct ComplaintsArgs {
    pub filter: ComplaintFilter,
    pub now: Timestamp,
    pub timeline: Option<String>,
    pub clusters: Option<(usize, i64)>,
    pub counts: bool,
}

/// `lotledger complaints DIR... [filters]`.
pub fn complaints(
    dirs: &[PathBuf],
    args: &ComplaintsArgs,
    format: Format,
) -> Result<Outcome, CliError> {
    let (index, unresolved) = open_query(dirs, format)?;
    print_complaints(&index, &unresolved, args, format)
}

/// Prints what `complaints` shows of `index`: for ledger directories and,
/// over the complaint entries selected in PostgreSQL, for `--db`.
pub fn print_complaints(
    index: &Index,
    unresolved: &Unresolved,
    args: &ComplaintsArgs,
    format: Format,
) -> Result<Outcome, CliError> {
    if format == Format::Json || args.timeline.is_some() || args.clusters.is_some() || args.counts {
        output::print_json(&complaints_json(index, unresolved, args)?)?;
        return Ok(Outcome::Ok);
    }
    let commitments = ResponseCommitments::default();
    let rows = query::complaints(index, &args.filter, &commitments, args.now);
    let mut t = Table::new(&[
        "complaint",
        "received",
        "severity",
        "type",
        "customer",
        "customer name",
        "lot",
        "complainant",
        "contact",
        "open",
        "last step",
        "overdue",
    ]);
    for r in &rows {
        let overdue: Vec<String> = r.overdue.iter().map(output::name).collect();
        t.row([
            r.complaint.clone(),
            r.received_at.to_string(),
            output::name(&r.severity),
            output::name(&r.kind),
            r.customer.clone().unwrap_or_default(),
            match (&r.customer, &r.customer_name) {
                (_, Some(n)) => n.clone(),
                (Some(_), None) => "no master data".into(),
                (None, None) => String::new(),
            },
            r.lot.clone().unwrap_or_default(),
            output::personal_text(&r.person),
            output::personal_text(&r.contact),
            if r.open { "open".into() } else { "closed".into() },
            r.last_step.unwrap_or("registered").to_owned(),
            overdue.join(" "),
        ]);
    }
    render(format, &t)?;
    Ok(Outcome::Ok)
}

/// `lotledger expiring DIR... --before DATE`.
pub fn expiring(
    dirs: &[PathBuf],
    before: Date,
    from: Option<Date>,
    format: Format,
) -> Result<Outcome, CliError> {
    let (index, unresolved) = open_query(dirs, format)?;
    print_expiring(&index, &unresolved, before, from, format)
}

/// Prints what `expiring` shows of `index`: for ledger directories and,
/// over the entries selected in PostgreSQL, for `--db`.
pub fn print_expiring(
    index: &Index,
    unresolved: &Unresolved,
    before: Date,
    from: Option<Date>,
    format: Format,
) -> Result<Outcome, CliError> {
    if format == Format::Json {
        output::print_json(&expiring_json(index, unresolved, before, from)?)?;
        return Ok(Outcome::Ok);
    }
    let report = query::expiring(index, before, from);
    let mut header = vec!["customer".to_owned()];
    header.extend(output::party_columns("customer"));
    header.extend(["ship to", "item", "lot", "expiry", "outstanding"].map(String::from));
    let mut customers = Table::with_columns(header);
    for c in &report.customers {
        let mut row = vec![c.customer.clone()];
        row.extend(output::party_cells(&c.customer_details));
        customers.row(row.into_iter().chain([
            c.ship_to.join(" "),
            c.item.clone(),
            c.lot.clone(),
            c.expiry.to_string(),
            format!("{} {}", c.outstanding, c.unit),
        ]));
    }
    if format == Format::Csv {
        return render(format, &customers).map(|()| Outcome::Ok);
    }
    let mut lots = Table::new(&["item", "lot", "expiry", "status", "on hand", "in the field"]);
    for l in &report.lots {
        lots.row([
            l.item.clone(),
            l.lot.clone(),
            l.expiry.to_string(),
            status(l.status),
            totals(&l.on_hand),
            totals(&l.in_field),
        ]);
    }
    output::print(&format!("lots expiring before {}: {}\n\n", report.before, report.lots.len()))?;
    render(format, &lots)?;
    output::print("\ncustomers to notify\n")?;
    render(format, &customers)?;
    Ok(Outcome::Ok)
}

/// What `audit` shows.
pub enum AuditView {
    /// Entries matching the filter.
    Entries(AuditFilter),
    /// Every correction with the entry it corrects.
    Corrections,
    /// The verification report.
    Report,
}

/// `lotledger audit DIR...`.
pub fn audit(dirs: &[PathBuf], view: &AuditView, format: Format) -> Result<Outcome, CliError> {
    let (index, unresolved) = open_query(dirs, format)?;
    if format == Format::Json || matches!(view, AuditView::Report) {
        output::print_json(&audit_json(&index, &unresolved, view)?)?;
        return Ok(Outcome::Ok);
    }
    match view {
        AuditView::Report => {}
        AuditView::Corrections => print_corrections(&query::corrections(&index), format)?,
        AuditView::Entries(filter) => {
            print_audit_rows(&query::audit_entries(&index, filter), format)?;
        }
    }
    Ok(Outcome::Ok)
}

/// The table (or CSV) of `audit --corrections`.
pub fn print_corrections(c: &[query::CorrectionLine], format: Format) -> Result<(), CliError> {
    let mut t = Table::new(&[
        "ledger",
        "correction",
        "at",
        "by",
        "corrects",
        "status",
        "in force",
        "reason",
    ]);
    for line in c {
        let target = line
            .target
            .as_ref()
            .map_or("-".into(), |r| format!("entry {} ({}, {})", r.seq, r.kind, r.time));
        t.row([
            line.correction.ledger.to_string(),
            format!("entry {}", line.correction.seq),
            line.correction.time.to_string(),
            line.correction.actor.clone(),
            target,
            line.status.to_owned(),
            if line.in_force { "yes".into() } else { "no".into() },
            line.reason.clone(),
        ]);
    }
    render(format, &t)
}

/// The table (or CSV) of `audit`'s entries.
pub fn print_audit_rows(rows: &[query::AuditRow], format: Format) -> Result<(), CliError> {
    let mut t = Table::new(&["ledger", "seq", "time", "actor", "station", "kind", "void"]);
    for r in rows {
        t.row([
            r.ledger.to_string(),
            r.seq.to_string(),
            r.time.to_string(),
            r.actor.clone(),
            r.station.clone(),
            r.kind.to_owned(),
            if r.void { "VOID".into() } else { String::new() },
        ]);
    }
    render(format, &t)
}

/// Parses `audit --kind`: a record kind's snake_case name, as in the JSON
/// form; anything else is refused, listing the kinds.
pub fn parse_kind(s: &str) -> Result<String, CliError> {
    match lotledger::model::RecordKind::from_name(s) {
        Some(k) => Ok(k.name().into()),
        None => {
            let all: Vec<&str> =
                lotledger::model::RecordKind::ALL.iter().map(|k| k.name()).collect();
            Err(CliError::Usage(format!("kind {s:?}: one of {}", all.join(", "))))
        }
    }
}

/// Parses `--severity`.
pub fn parse_severity(s: &str) -> Result<Severity, CliError> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| CliError::Usage(format!("severity {s:?}: general, major or crisis")))
}

/// Parses `--type`.
pub fn parse_type(s: &str) -> Result<ComplaintType, CliError> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| {
        CliError::Usage(format!(
            "type {s:?}: product_quality, service_attitude, logistics, contract_dispute or misleading_advertising"
        ))
    })
}
