//! How results reach a person or a script: an aligned table by default,
//! JSON with `--json`, CSV with `--csv` where rows fit.

use std::fmt::Write as _;
use std::io::{self, Write};

use std::path::PathBuf;
use std::sync::Mutex;

use lotledger::file::{Lookup, PersonalStore};
use lotledger::model::{Digest, Personal};
use serde::Serialize;

/// The output form chosen on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An aligned text table for people.
    Table,
    /// One JSON document.
    Json,
    /// Comma-separated values, one header row.
    Csv,
}

/// A table: a header and rows of text cells.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    /// A table with these column names, owned.
    pub fn with_columns(header: Vec<String>) -> Self {
        Self { header, rows: Vec::new() }
    }

    /// Adds a row; missing cells are blank.
    pub fn row<I: IntoIterator<Item = S>, S: ToString>(&mut self, cells: I) {
        self.rows.push(cells.into_iter().map(|c| c.to_string()).collect());
    }

    /// Aligned columns, the header underlined.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let mut text = String::new();
            for (i, w) in widths.iter().enumerate().take(columns) {
                let cell = cells.get(i).map_or("", String::as_str);
                let _ = write!(text, "{cell:<w$}  ");
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut out, &self.header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &rule);
        for row in &self.rows {
            line(&mut out, row);
        }
        out
    }

    /// RFC 4180 CSV, through the crate's one CSV writer
    /// (`interop::fsma::write_csv`, which also guards against spreadsheet
    /// formula injection).
    pub fn csv(&self) -> String {
        let table = lotledger::interop::fsma::Table {
            header: self.header.clone(),
            rows: self.rows.clone(),
        };
        let mut out = Vec::new();
        // Writing to memory cannot fail.
        let _ = lotledger::interop::fsma::write_csv(&mut out, &table, true);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The name of an enum value as its JSON form spells it (its serde name,
/// e.g. `on_hold`, `product_quality`, `II`), so that tables, flags and
/// JSON use one spelling. A value whose JSON form is not a string is shown
/// as that JSON text.
pub fn name<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A party's master data as table and CSV cells: name, main address, and
/// the first contact's function, person, phone and e-mail. A party
/// without master data shows `no master data` as its name.
pub fn party_cells(d: &lotledger::query::PartyDetails) -> [String; 6] {
    if !d.master_data {
        return [
            "no master data".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    let c = d.contact.as_ref();
    [
        d.name.clone().unwrap_or_default(),
        d.address.as_ref().map(lotledger::query::address_line).unwrap_or_default(),
        c.map(|c| c.function.as_str().to_owned()).unwrap_or_default(),
        c.map(|c| personal_text(&c.person)).unwrap_or_default(),
        c.map(|c| personal_text(&c.phone)).unwrap_or_default(),
        c.map(|c| personal_text(&c.email)).unwrap_or_default(),
    ]
}

/// The column names of [`party_cells`], after `who` (`customer`, `supplier`).
pub fn party_columns(who: &str) -> [String; 6] {
    [
        format!("{who} name"),
        "address".into(),
        "contact".into(),
        "person".into(),
        "phone".into(),
        "email".into(),
    ]
}

/// Writes `value` as pretty JSON and a newline to stdout.
pub fn print_json<T: Serialize>(value: &T) -> io::Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")
}

/// Writes `value` as pretty JSON with an `"unresolved"` member added when
/// it is a JSON object (every query result that is not a bare list), so a
/// script sees what the indexed ledgers could not resolve. A bare list is
/// written as it is; the warning then goes to stderr only
/// ([`warn_unresolved`]).
pub fn print_json_noted<T: Serialize>(
    value: &T,
    unresolved: &lotledger::index::Unresolved,
) -> io::Result<()> {
    print_json(&json_noted(value, unresolved)?)
}

/// The JSON [`print_json_noted`] writes: `value` with `"unresolved"` added
/// and personal fields resolved. What `serve`'s `/api/` answers too.
pub fn json_noted<T: Serialize>(
    value: &T,
    unresolved: &lotledger::index::Unresolved,
) -> io::Result<serde_json::Value> {
    let mut v = lotledger::query::json_with_unresolved(value, unresolved)?;
    resolve_personal_json(&mut v);
    Ok(v)
}

/// The warning block for references the indexed ledgers do not resolve,
/// or nothing when all resolve.
pub fn unresolved_block(u: &lotledger::index::Unresolved) -> String {
    if u.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "WARNING: the records point at things no indexed ledger holds ({} lots, {} recalls, {} complaints, {} corrections unresolved);\n\
         a ledger may be missing from this query, and the answer below may be incomplete.\n",
        u.lots, u.recalls, u.complaints, u.corrections
    );
    for e in &u.examples {
        let _ = writeln!(out, "  - {e}");
    }
    if u.total() > u.examples.len() as u64 {
        let _ = writeln!(out, "  - … and {} more", u.total() - u.examples.len() as u64);
    }
    out
}

/// Writes the warning block to stderr (always) and, for a table, at the
/// top of stdout; CSV and JSON stdout stay machine-readable.
pub fn warn_unresolved(u: &lotledger::index::Unresolved, format: Format) -> io::Result<()> {
    let block = unresolved_block(u);
    if block.is_empty() {
        return Ok(());
    }
    io::stderr().lock().write_all(block.as_bytes())?;
    if format == Format::Table {
        print(&block)?;
        print("\n")?;
    }
    Ok(())
}

/// The personal-data stores of the ledgers the command reads: personal
/// values are resolved against them when shown, never in the query layer.
static PERSONAL_STORES: Mutex<Vec<PersonalStore>> = Mutex::new(Vec::new());

/// Resolves personal values against the stores of these ledgers from now
/// on (each ledger's `personal/`, when it has one).
pub fn use_personal_stores(dirs: &[PathBuf]) {
    let stores = dirs.iter().filter_map(|d| PersonalStore::open(d)).collect();
    if let Ok(mut s) = PERSONAL_STORES.lock() {
        *s = stores;
    }
}

/// How a sealed value is shown: the value where a store holds it and it
/// opens its commitment; `TAMPERED` where a store's file fails the
/// commitment; `erased` after `lotledger erase`; `missing` where stores
/// exist and none has it; `sealed:` and the first 8 hex digits of the
/// commitment when no ledger read has a store.
pub fn sealed_text(c: &Digest) -> String {
    let unopened = || {
        let hex = c.to_string();
        format!("sealed:{}", hex.get(..8).unwrap_or(&hex))
    };
    let Ok(stores) = PERSONAL_STORES.lock() else { return unopened() };
    if stores.is_empty() {
        return unopened();
    }
    let mut best = "missing";
    for store in stores.iter() {
        match store.get(c) {
            Ok(Lookup::Value(v)) => return v,
            Ok(Lookup::Tampered) => best = "TAMPERED",
            Ok(Lookup::Erased) if best != "TAMPERED" => best = "erased",
            Err(_) if best == "missing" => best = "unreadable",
            _ => {}
        }
    }
    best.into()
}

/// A personal field as shown in tables, CSV and JSON (docs/PRIVACY.md): a
/// plain value as it is, a sealed one through [`sealed_text`].
pub fn personal_text<const N: usize>(p: &Personal<N>) -> String {
    match p {
        Personal::Plain(t) => t.as_str().to_owned(),
        Personal::Sealed(c) => sealed_text(c),
    }
}

/// Replaces every `{"sealed": "<64 hex>"}` object in `v` (the JSON form of
/// a sealed personal field) by its text ([`sealed_text`]), so query JSON
/// shows the same as the tables.
pub fn resolve_personal_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.len() == 1
                && let Some(serde_json::Value::String(hex)) = map.get("sealed")
                && let Ok(c) = Digest::from_hex(hex)
            {
                *v = serde_json::Value::String(sealed_text(&c));
                return;
            }
            map.values_mut().for_each(resolve_personal_json);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(resolve_personal_json),
        _ => {}
    }
}

/// Writes text to stdout.
pub fn print(text: &str) -> io::Result<()> {
    io::stdout().lock().write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the interim rendering of personal fields: plain text as
    /// it is, a sealed value as `sealed:` and 8 hex digits, never more.
    #[test]
    fn personal_text_shows_plain_or_the_commitment_prefix() {
        use lotledger::model::{Digest, Personal};
        assert_eq!(personal_text(&Personal::<16>::plain("Anna Muster").unwrap()), "Anna Muster");
        let mut d = [0u8; 32];
        d[0] = 0xab;
        d[3] = 0x01;
        assert_eq!(personal_text(&Personal::<16>::Sealed(Digest(d))), "sealed:ab000001");
    }

    #[test]
    fn table_aligns_and_csv_quotes() {
        let mut t = Table::new(&["ai", "value"]);
        t.row(["01", "09506000134352"]);
        t.row(["10", "A,B \"x\""]);
        assert_eq!(
            t.render(),
            "ai  value\n--  --------------\n01  09506000134352\n10  A,B \"x\"\n"
        );
        assert_eq!(t.csv(), "ai,value\r\n01,09506000134352\r\n10,\"A,B \"\"x\"\"\"\r\n");
        // A cell a spreadsheet would run as a formula is defused.
        let mut f = Table::new(&["x"]);
        f.row(["=HYPERLINK(1)"]);
        assert!(!f.csv().contains("\r\n=HYPERLINK"), "{}", f.csv());
    }
}
