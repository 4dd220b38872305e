//! `lotledger where` (where a serialized unit or a container is, and its
//! whole history) and `lotledger verify-return` (is a returned unit
//! saleable).

use std::path::PathBuf;

use lotledger::interop::gs1::ElementString;
use lotledger::model::{ContainerId, Date, ItemCode, LotCode, PartyId, Sscc};
use lotledger::query::{self, ReturnCheck, UnitTarget, Verdict, WhereReport};

use crate::output::{self, Format, Table};
use crate::queries::{open_query, parse_date};
use crate::{CliError, Outcome};

/// A unit or container as people type or scan it: `GTIN/SERIAL`
/// (`09506000134352/A000001`, `gtin:…/…`, `ITEM/SERIAL` for an internal
/// item), a GS1 scan or element string with (01) and (21) or with (00),
/// `sscc:` and 18 digits, 18 digits, `00` and 18 digits, or a case number.
pub fn parse_target(text: &str) -> Result<UnitTarget, CliError> {
    let bad = |what: String| CliError::Usage(format!("{text:?}: {what}"));
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    if text.starts_with('(') || text.starts_with(']') || text.starts_with("http") {
        let scan = ElementString::parse(text).map_err(|e| bad(e.to_string()))?;
        return target_of_scan(&scan).ok_or_else(|| {
            bad("the scan names neither a GTIN (01) with a serial (21) nor an SSCC (00)".into())
        });
    }
    let sscc = text
        .strip_prefix("sscc:")
        .or((digits && text.len() == 18).then_some(text))
        .or(text.strip_prefix("00").filter(|s| digits && s.len() == 18));
    if let Some(s) = sscc {
        return Sscc::parse(s)
            .map(|s| UnitTarget::Container(ContainerId::Sscc(s)))
            .map_err(|e| bad(e.to_string()));
    }
    if let Some((item, serial)) = text.split_once('/') {
        let bare_gtin = item.len() == 14 && item.bytes().all(|b| b.is_ascii_digit());
        let item = match item.strip_prefix("gtin:").or(bare_gtin.then_some(item)) {
            Some(g) => {
                ItemCode::Gtin(lotledger::model::Gtin::parse(g).map_err(|e| bad(e.to_string()))?)
            }
            None => ItemCode::Internal(
                item.parse().map_err(|e: lotledger::model::IdErrorKind| bad(e.to_string()))?,
            ),
        };
        if serial.is_empty() || serial.len() > 20 {
            return Err(bad("a serial is 1 to 20 characters".into()));
        }
        return Ok(UnitTarget::Serial { item, serial: serial.into() });
    }
    if digits && !text.is_empty() {
        // A bare element string, such as 00106141412345678908.
        if let Ok(scan) = ElementString::parse(text)
            && let Some(t) = target_of_scan(&scan)
        {
            return Ok(t);
        }
    }
    text.parse()
        .map(|c| UnitTarget::Container(ContainerId::Internal(c)))
        .map_err(|e: lotledger::model::IdErrorKind| bad(e.to_string()))
}

fn target_of_scan(scan: &ElementString) -> Option<UnitTarget> {
    match (scan.item(), scan.get("21")) {
        (Some(item), Some(serial)) => Some(UnitTarget::Serial { item, serial: serial.into() }),
        _ => scan.container().map(UnitTarget::Container),
    }
}

fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date(i32::try_from(days).unwrap_or(0))
}

/// What `lotledger where` reads: ledger directories, or the PostgreSQL
/// repository (`--db`).
pub enum Source {
    /// The ledger directories.
    Dirs(Vec<PathBuf>),
    /// The database URL.
    Db(String),
}

impl Source {
    /// The source and the target of `where DIR... TARGET` or `where --db
    /// URL TARGET` (`args`: the positional arguments).
    ///
    /// # Errors
    /// Usage: directories and `--db` both given, or neither.
    pub fn of(mut args: Vec<String>, db: Option<String>) -> Result<(Self, String), CliError> {
        let target = args.pop().unwrap_or_default();
        let source = match db {
            Some(url) if args.is_empty() => Self::Db(url),
            Some(_) => {
                return Err(CliError::Usage(
                    "where: give ledger directories or --db URL, not both".into(),
                ));
            }
            None if args.is_empty() => {
                return Err(CliError::Usage(
                    "where: give the ledger directories (or --db URL), then the unit or container"
                        .into(),
                ));
            }
            None => Self::Dirs(args.into_iter().map(PathBuf::from).collect()),
        };
        Ok((source, target))
    }
}

/// `lotledger where`.
pub fn run(
    source: &Source,
    target: &str,
    at: Option<&str>,
    format: Format,
) -> Result<Outcome, CliError> {
    let parsed = parse_target(target)?;
    let today = at.map(parse_date).transpose()?.unwrap_or_else(today);
    match source {
        Source::Dirs(dirs) => {
            let (index, unresolved) = open_query(dirs, format)?;
            print(&index, &unresolved, &parsed, target, at, today, format)
        }
        Source::Db(url) => {
            let index = crate::db::where_index(url, &parsed)?;
            let none = lotledger::index::Unresolved::default();
            print(&index, &none, &parsed, target, at, today, format)
        }
    }
}

/// The report on `parsed` (as typed: `target`) printed in `format`.
fn print(
    index: &lotledger::index::Index,
    unresolved: &lotledger::index::Unresolved,
    parsed: &UnitTarget,
    target: &str,
    at: Option<&str>,
    today: Date,
    format: Format,
) -> Result<Outcome, CliError> {
    if format == Format::Json {
        output::print_json(&where_json(index, unresolved, target, at)?)?;
        return Ok(Outcome::Ok);
    }
    let report = report(index, parsed, today)?;
    if format == Format::Csv {
        output::print(&history(&report).csv())?;
    } else {
        output::print(&render(&report))?;
    }
    Ok(Outcome::Ok)
}

/// Where `target` is and its history, judged at `today`; not found with
/// the near matches.
fn report(
    index: &lotledger::index::Index,
    target: &UnitTarget,
    today: Date,
) -> Result<WhereReport, CliError> {
    query::where_is(index, target, Some(today)).map_err(|e| {
        let near = query::near_units(index, target);
        if near.is_empty() {
            CliError::NotFound(e.to_string())
        } else {
            CliError::NotFound(format!("{e}; near: {}", near.join(", ")))
        }
    })
}

/// `where --json`: what the CLI prints and `serve`'s `/api/where` answers.
pub fn where_json(
    index: &lotledger::index::Index,
    unresolved: &lotledger::index::Unresolved,
    target: &str,
    at: Option<&str>,
) -> Result<serde_json::Value, CliError> {
    let target = parse_target(target)?;
    let today = at.map(parse_date).transpose()?.unwrap_or_else(today);
    Ok(output::json_noted(&report(index, &target, today)?, unresolved)?)
}

fn history(report: &WhereReport) -> Table {
    let mut t = Table::new(&["time", "ledger", "entry", "event", "what", "via"]);
    for s in &report.history {
        t.row([
            s.time.to_string(),
            s.entry.ledger.to_string(),
            s.entry.seq.to_string(),
            s.event.to_owned(),
            s.what.clone(),
            s.via.clone().unwrap_or_default(),
        ]);
    }
    t
}

/// The summary lines and the history table.
fn render(r: &WhereReport) -> String {
    let mut text = format!("{} {}\n", r.kind, r.target);
    let mut line = |label: &str, value: String| text.push_str(&format!("  {label}: {value}\n"));
    if let Some(l) = &r.lot {
        line("lot", l.to_string());
    }
    if let Some(e) = r.expiry {
        let expired = if r.expired == Some(true) { " (EXPIRED)" } else { "" };
        line("expiry", format!("{e}{expired}"));
    }
    let mut status = r.status.replace('_', " ");
    if let Some(c) = &r.customer {
        let by = if r.status == "returned" { "by" } else { "to" };
        status.push_str(&format!(" {by} {c}"));
    }
    if let Some(o) = &r.order {
        status.push_str(&format!(" on order {o}"));
    }
    if let Some(s) = &r.ship_to {
        status.push_str(&format!(", ship to {s}"));
    }
    if let Some(d) = r.decommissioned {
        status.push_str(&format!(": {d}"));
    }
    line("status", status);
    if !r.containers.is_empty() {
        line("in", r.containers.join(" in "));
    }
    if !r.recalls.is_empty() {
        line("UNDER RECALL", r.recalls.join(", "));
    }
    if r.kind == "container" {
        line("holds", if r.holds.is_empty() { "no containers".into() } else { r.holds.join(" ") });
        let runs: Vec<String> =
            r.serials.iter().map(|s| format!("{} {s} ({})", s.lot, s.count)).collect();
        line("serials", if runs.is_empty() { "none".into() } else { runs.join(", ") });
    }
    text.push_str("\nhistory\n");
    text.push_str(&history(r).render());
    text
}

/// What the clerk gives `verify-return`.
pub struct ReturnArgs<'a> {
    pub scan: Option<&'a str>,
    pub gtin: Option<&'a str>,
    pub serial: Option<&'a str>,
    pub lot: Option<&'a str>,
    pub expiry: Option<&'a str>,
    pub customer: Option<&'a str>,
    pub at: Option<&'a str>,
    pub year: u16,
}

/// `lotledger verify-return`: exit 0 saleable, 1 not saleable, 6 unknown.
pub fn verify_return(
    dirs: &[PathBuf],
    args: &ReturnArgs<'_>,
    format: Format,
) -> Result<Outcome, CliError> {
    let check = return_check(args)?;
    let (index, unresolved) = open_query(dirs, format)?;
    let v = query::verify_return(&index, &check);
    let verdict = match v.verdict {
        Verdict::Saleable => "saleable".to_owned(),
        Verdict::NotSaleable => format!("not saleable: {}", v.reasons.join("; ")),
        Verdict::Unknown => format!("unknown: {}", v.reasons.join("; ")),
    };
    match format {
        Format::Json => output::print_json_noted(&v, &unresolved)?,
        Format::Csv => {
            let mut t = Table::new(&["item", "serial", "verdict", "reasons"]);
            t.row([
                check.item.to_string(),
                check.serial.clone(),
                output::name(&v.verdict),
                v.reasons.join("; "),
            ]);
            output::print(&t.csv())?;
        }
        Format::Table => {
            let mut text = format!("{}/{}: {verdict}\n", check.item, check.serial);
            if let Some(u) = &v.unit {
                text.push('\n');
                text.push_str(&render(u));
            }
            output::print(&text)?;
        }
    }
    match v.verdict {
        Verdict::Saleable => Ok(Outcome::Ok),
        Verdict::NotSaleable => Ok(Outcome::CheckFailed),
        Verdict::Unknown => Err(CliError::NotFound(verdict)),
    }
}

fn return_check(a: &ReturnArgs<'_>) -> Result<ReturnCheck, CliError> {
    let usage = |m: String| CliError::Usage(m);
    let (mut item, mut serial, mut lot, mut expiry) = (None, None, None, None);
    if let Some(scan) = a.scan {
        let s = ElementString::parse(scan)
            .map_err(|e| CliError::Input(format!("not a valid GS1 scan {scan:?}: {e}")))?;
        item = s.item();
        serial = s.get("21").map(str::to_owned);
        lot = s.batch().map(str::to_owned);
        expiry = s.expiry_date(a.year);
        if item.is_none() || serial.is_none() {
            return Err(CliError::Input(format!(
                "the scan {scan:?} names no GTIN (01) and serial (21)"
            )));
        }
    }
    if let Some(g) = a.gtin {
        let g = g.strip_prefix("gtin:").unwrap_or(g);
        item = Some(ItemCode::Gtin(
            lotledger::model::Gtin::parse(g).map_err(|e| usage(format!("--gtin {g:?}: {e}")))?,
        ));
    }
    if let Some(s) = a.serial {
        serial = Some(s.to_owned());
    }
    if let Some(l) = a.lot {
        lot = Some(l.to_owned());
    }
    if let Some(e) = a.expiry {
        expiry = Some(parse_date(e)?);
    }
    let (Some(item), Some(serial)) = (item, serial) else {
        return Err(usage("give --scan ']d201…21…', or --gtin and --serial".into()));
    };
    let lot: Option<LotCode> =
        lot.map(|l| l.parse().map_err(|e| usage(format!("lot {l:?}: {e}")))).transpose()?;
    let customer: Option<PartyId> = a.customer.map(crate::queries::parse_party).transpose()?;
    let today = a.at.map(parse_date).transpose()?.unwrap_or_else(today);
    Ok(ReturnCheck { item, serial, lot, expiry, customer, today })
}
