//! `lotledger gs1 SCAN`: what a scanned GS1 barcode says, AI by AI, and
//! what it means for the ledger (the lot, the expiry, the container).

use serde::Serialize;

use lotledger::interop::gs1::{self, ElementString, ParseOptions};

use crate::output::{self, Format, Table};
use crate::{CliError, Outcome};

/// One AI of the scan.
#[derive(Serialize)]
struct Field<'a> {
    ai: String,
    title: &'static str,
    value: &'a str,
}

/// The scan, parsed.
#[derive(Serialize)]
struct Parsed<'a> {
    symbology: Option<&'a str>,
    fields: Vec<Field<'a>>,
    lot: Option<String>,
    expiry: Option<String>,
    container: Option<String>,
    /// What a logistic unit label says it holds: (02), (37), (10).
    contents: Option<Contents>,
}

/// The contents of a homogeneous logistic unit, as its label names them.
#[derive(Serialize)]
struct Contents {
    /// The item contained, AI (02).
    item: String,
    /// How many, AI (37).
    count: Option<u32>,
    /// Their lot: (02) with (10).
    lot: Option<String>,
}

pub fn run(
    scan: &str,
    separator: Option<char>,
    format: Format,
    year: u16,
) -> Result<Outcome, CliError> {
    let mut options = ParseOptions::new();
    if let Some(sep) = separator {
        let byte = u8::try_from(u32::from(sep)).map_err(|_| {
            CliError::Usage(format!("the separator {sep:?} is not a single ASCII character"))
        })?;
        options = options.with_separator(byte);
    }
    let parsed = ElementString::parse_with(scan, &options)
        .map_err(|e| CliError::Input(gs1_error(scan, &e)))?;
    // `]Q1` and `]d1` carry plain data; the library reads it as GS1 data
    // only when it is a Digital Link URI. Anything else holds no GS1 data.
    if parsed.iter().next().is_none() {
        let hint = match parsed.symbology() {
            Some("Q1") => " (a QR Code carries GS1 data as ]Q3, or as a Digital Link URI)",
            Some("d1") => " (a Data Matrix carries GS1 data as ]d2, or as a Digital Link URI)",
            _ => "",
        };
        return Err(CliError::Input(format!("not a GS1 scan: no GS1 data{hint}")));
    }
    let fields: Vec<Field<'_>> = parsed
        .iter()
        .map(|(ai, value)| Field {
            ai: ai.as_str().to_owned(),
            title: gs1::lookup(ai.as_str()).map_or("", |e| e.title),
            value,
        })
        .collect();
    let result = Parsed {
        symbology: parsed.symbology(),
        fields,
        lot: parsed.lot_id().map(|l| l.to_string()),
        expiry: parsed.expiry_date(year).map(|d| d.to_string()),
        container: parsed.container().map(|c| c.to_string()),
        contents: parsed.content_item().map(|item| Contents {
            item: item.to_string(),
            count: parsed.count(),
            lot: parsed.content_lot().map(|l| l.to_string()),
        }),
    };
    match format {
        Format::Json => output::print_json(&result)?,
        Format::Table | Format::Csv => {
            let mut t = Table::new(&["ai", "title", "value"]);
            for f in &result.fields {
                t.row([f.ai.as_str(), f.title, f.value]);
            }
            let mut text = if format == Format::Csv { t.csv() } else { t.render() };
            if format == Format::Table {
                for (label, v) in [
                    ("lot", &result.lot),
                    ("expiry", &result.expiry),
                    ("container", &result.container),
                ] {
                    if let Some(v) = v {
                        text.push_str(&format!("{label}: {v}\n"));
                    }
                }
                if let Some(c) = &result.contents {
                    let count = c.count.map_or_else(|| "items of".to_owned(), |n| format!("{n} x"));
                    text.push_str(&format!("contents: {count} {}", c.item));
                    if let Some(lot) = &c.lot {
                        text.push_str(&format!(", lot {lot}"));
                    }
                    text.push('\n');
                }
            }
            output::print(&text)?;
        }
    }
    Ok(Outcome::Ok)
}

fn gs1_error(scan: &str, e: &gs1::Error) -> String {
    match e.pos() {
        Some(at) => {
            format!("not a valid GS1 scan: {e}\n  {scan}\n  {:>width$}", "^", width = at + 1)
        }
        None => format!("not a valid GS1 scan: {e}"),
    }
}
