//! The FSMA 204 electronic sortable spreadsheet, and the crate's one CSV
//! writer.
//!
//! Why: under FSMA 204 (21 CFR 1 subpart S) the FDA may ask for the
//! traceability records of some lots or some dates, as a sortable
//! spreadsheet, within 24 hours. [`rows`] picks the critical tracking
//! events (receiving, transformation, shipping) out of verified entries,
//! one row per event and traceability lot code (TLC) with its key data
//! elements; [`Table`] and [`write_csv`] write it. The same [`Table`] and
//! writer serve every CSV the crate produces (query results in the CLI), so
//! quoting and injection rules live in one place.
//!
//! The traceability lot code is the lot code qualified by its item: a GTIN
//! lot as the GS1 element string `(01)09506000134352(10)ABC123`, an
//! internal item as `ITEM/LOT`.

use std::borrow::ToOwned;
use std::format;
use std::io::{self, Write};
use std::string::{String, ToString};
use std::vec::Vec;

use std::collections::HashMap;

use crate::entry::Header;
use crate::index::Index;
use crate::interop::scope::{Corrections, Scope, Selector};
use crate::model::{
    Address, Digest, ItemCode, LedgerId, LocationId, LotId, LotQuantity, PartyId, Record,
};
use crate::query::{View, address_line};

/// A critical tracking event (21 CFR 1.1310 to 1.1350) the ledger records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Cte {
    /// Receiving (21 CFR 1.1345): material received from a supplier.
    Receiving,
    /// Transformation (21 CFR 1.1350): production from input lots.
    Transformation,
    /// Shipping (21 CFR 1.1340): a shipment to a customer.
    Shipping,
}

impl Cte {
    /// The name in the spreadsheet.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Cte::Receiving => "receiving",
            Cte::Transformation => "transformation",
            Cte::Shipping => "shipping",
        }
    }
}

/// The spreadsheet's columns, in order.
pub const COLUMNS: [&str; 24] = [
    "cte",
    "event_date",
    "event_time_utc",
    "traceability_lot_code",
    "item",
    "lot_code",
    "quantity",
    "unit",
    "location",
    "immediate_previous_source",
    "ship_from",
    "ship_to",
    "tlc_source",
    "supplier_lot_code",
    "reference_document_type",
    "reference_document_number",
    "input_traceability_lot_codes",
    "product_description",
    "location_description",
    "ship_from_description",
    "ship_to_description",
    "ledger",
    "entry_seq",
    "entry_hash",
];

/// One critical tracking event with its key data elements.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row {
    /// Which event.
    pub cte: Cte,
    /// The event's date (for a transformation, the production date).
    pub event_date: String,
    /// The entry's time, RFC 3339 UTC.
    pub event_time: String,
    /// The traceability lot code.
    pub tlc: String,
    /// The item: GTIN or internal code.
    pub item: String,
    /// The lot code alone.
    pub lot_code: String,
    /// The quantity, as a decimal.
    pub quantity: String,
    /// Its UN/ECE Rec 20 unit.
    pub unit: String,
    /// The station where the event was recorded.
    pub location: String,
    /// Receiving: the supplier.
    pub previous_source: String,
    /// Receiving: the supplier; shipping: empty (our own site).
    pub ship_from: String,
    /// Shipping: the customer and ship-to location.
    pub ship_to: String,
    /// Where the TLC was assigned: the supplier for receipts, the line for production.
    pub tlc_source: String,
    /// Receiving: the supplier's own lot code, when it differs.
    pub supplier_lot: String,
    /// Purchase order, work order or sales order.
    pub reference_type: String,
    /// Its number.
    pub reference: String,
    /// Transformation: the input TLCs with quantities, `;`-separated.
    pub inputs: String,
    /// The ledger.
    pub ledger: String,
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry's hash.
    pub hash: String,
    /// The product's description from master data (`product_described`
    /// in force); empty when the item has none.
    pub product_description: String,
    /// Our own site, where the event took place: the name and main address
    /// of the party described with the role `own_site`; empty without one.
    pub location_description: String,
    /// Receiving: the supplier's name and main address; shipping: our own
    /// site's. Empty when unknown.
    pub ship_from_description: String,
    /// Shipping: the ship-to location's name and address when it is
    /// described, otherwise the customer's name and main address. Empty
    /// when unknown.
    pub ship_to_description: String,
}

impl Row {
    /// The row's cells in [`COLUMNS`] order.
    #[must_use]
    pub fn cells(&self) -> Vec<String> {
        std::vec![
            self.cte.name().to_owned(),
            self.event_date.clone(),
            self.event_time.clone(),
            self.tlc.clone(),
            self.item.clone(),
            self.lot_code.clone(),
            self.quantity.clone(),
            self.unit.clone(),
            self.location.clone(),
            self.previous_source.clone(),
            self.ship_from.clone(),
            self.ship_to.clone(),
            self.tlc_source.clone(),
            self.supplier_lot.clone(),
            self.reference_type.clone(),
            self.reference.clone(),
            self.inputs.clone(),
            self.product_description.clone(),
            self.location_description.clone(),
            self.ship_from_description.clone(),
            self.ship_to_description.clone(),
            self.ledger.clone(),
            self.seq.to_string(),
            self.hash.clone(),
        ]
    }
}

/// The traceability lot code of a lot.
#[must_use]
pub fn traceability_lot_code(lot: &LotId) -> String {
    match &lot.item {
        ItemCode::Gtin(g) => format!("(01){g}(10){}", lot.lot),
        ItemCode::Internal(c) => format!("{c}/{}", lot.lot),
    }
}

fn item(lot: &LotId) -> String {
    match &lot.item {
        ItemCode::Gtin(g) => g.to_string(),
        ItemCode::Internal(c) => c.to_string(),
    }
}

fn split_quantity(q: &crate::model::Quantity) -> (String, String) {
    let text = q.to_string();
    let number = text.split(' ').next().unwrap_or_default().to_owned();
    (number, q.unit.code().to_owned())
}

/// The FSMA 204 rows of `entries` (in ledger order, all of `ledger`) that
/// `scope` selects, leaving out every entry a correction in force voids
/// (`corrections`), so that a sum over the sheet counts each event once:
/// one row per receipt, per shipment line, and per output lot of a
/// production. This holds the rows; [`entry_rows`] gives them one entry at
/// a time, for a streaming writer.
#[must_use]
pub fn rows<'a>(
    ledger: &LedgerId,
    entries: impl IntoIterator<Item = (&'a Header, &'a Digest, &'a Record)>,
    scope: &Scope,
    corrections: &Corrections,
) -> Vec<Row> {
    let mut selector = Selector::new(scope, corrections);
    let mut out = Vec::new();
    for (header, hash, record) in entries {
        if selector.select(ledger, header.seq, header.time, record)
            && !corrections.is_void(ledger, header.seq)
        {
            out.extend(entry_rows(ledger, header, hash, record));
        }
    }
    out
}

/// The FSMA 204 rows of one entry, whatever the scope and corrections:
/// one per receipt, per shipment line, and per output lot of a production;
/// none for other records.
#[must_use]
pub fn entry_rows(ledger: &LedgerId, header: &Header, hash: &Digest, record: &Record) -> Vec<Row> {
    let mut out = Vec::new();
    let base = |cte: Cte, lot: &LotId, q: &crate::model::Quantity| {
        let (quantity, unit) = split_quantity(q);
        Row {
            cte,
            event_date: header.time.date().to_string(),
            event_time: header.time.to_string(),
            tlc: traceability_lot_code(lot),
            item: item(lot),
            lot_code: lot.lot.to_string(),
            quantity,
            unit,
            location: header.station.to_string(),
            previous_source: String::new(),
            ship_from: String::new(),
            ship_to: String::new(),
            tlc_source: String::new(),
            supplier_lot: String::new(),
            reference_type: String::new(),
            reference: String::new(),
            inputs: String::new(),
            ledger: ledger.to_string(),
            seq: header.seq,
            hash: hash.to_string(),
            product_description: String::new(),
            location_description: String::new(),
            ship_from_description: String::new(),
            ship_to_description: String::new(),
        }
    };
    match record {
        Record::MaterialReceived(r) => {
            let mut row = base(Cte::Receiving, &r.lot, &r.quantity);
            row.previous_source = r.supplier.to_string();
            row.ship_from = r.supplier.to_string();
            row.tlc_source = r.supplier.to_string();
            row.supplier_lot = r.supplier_lot.as_ref().map(ToString::to_string).unwrap_or_default();
            if let Some(o) = &r.order {
                row.reference_type = "purchase order".to_owned();
                row.reference = o.to_string();
            }
            out.push(row);
        }
        Record::Shipped(r) => {
            let mut row = base(Cte::Shipping, &r.lot, &r.quantity);
            row.ship_to = match &r.ship_to {
                Some(to) => format!("{} at {to}", r.customer),
                None => r.customer.to_string(),
            };
            row.reference_type = "sales order".to_owned();
            row.reference = r.order.to_string();
            out.push(row);
        }
        Record::Produced(r) => {
            let inputs = r
                .inputs
                .iter()
                .map(|LotQuantity { lot, quantity }| {
                    format!("{} {quantity}", traceability_lot_code(lot))
                })
                .collect::<Vec<_>>()
                .join("; ");
            for o in &r.outputs {
                let mut row = base(Cte::Transformation, &o.lot, &o.quantity);
                row.event_date = r.produced_on.to_string();
                row.tlc_source = format!("line {}", r.line);
                row.reference_type = "work order".to_owned();
                row.reference = r.work_order.to_string();
                row.inputs.clone_from(&inputs);
                out.push(row);
            }
        }
        _ => {}
    }
    out
}

/// The master data the spreadsheet's description columns come from: the
/// descriptions in force in an index, as text (`name, address`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Descriptions {
    products: HashMap<ItemCode, String>,
    parties: HashMap<PartyId, String>,
    locations: HashMap<LocationId, String>,
    own_site: String,
}

fn name_and_address(name: &str, address: Option<&Address>) -> String {
    match address.map(address_line).filter(|a| !a.is_empty()) {
        Some(a) => format!("{name}, {a}"),
        None => name.to_owned(),
    }
}

impl Descriptions {
    /// The descriptions in force in `index` (corrections applied; a party
    /// or item known by several identities is described under each).
    #[must_use]
    pub fn from_index(index: &Index) -> Self {
        let view = View::new(index);
        let mut d = Self::default();
        for (p, id) in index.parties.values().iter().zip(0u32..) {
            if let Some(r) = view.party_record(id) {
                let text = name_and_address(r.name.as_str(), r.addresses.first());
                d.parties.insert(p.clone(), text);
            }
        }
        for (item, id) in index.items.values().iter().zip(0u32..) {
            if let Some(r) = view.product_record(id) {
                d.products.insert(item.clone(), r.description.as_str().to_owned());
            }
        }
        for (l, id) in index.locations.values().iter().zip(0u32..) {
            if let Some(r) = view.location_record(id) {
                d.locations.insert(l.clone(), name_and_address(r.name.as_str(), Some(&r.address)));
            }
        }
        if let Some(own) = view.own_site_record() {
            d.own_site = name_and_address(own.name.as_str(), own.addresses.first());
        }
        d
    }

    /// Fills the description columns of `rows`, the rows of `record`.
    pub fn describe(&self, record: &Record, rows: &mut [Row]) {
        let party = |p: &PartyId| self.parties.get(p).cloned().unwrap_or_default();
        for row in rows.iter_mut() {
            row.location_description.clone_from(&self.own_site);
            match record {
                Record::MaterialReceived(r) => {
                    row.product_description = self.product(&r.lot.item);
                    row.ship_from_description = party(&r.supplier);
                }
                Record::Shipped(r) => {
                    row.product_description = self.product(&r.lot.item);
                    row.ship_from_description.clone_from(&self.own_site);
                    row.ship_to_description = r
                        .ship_to
                        .as_ref()
                        .and_then(|l| self.locations.get(l).cloned())
                        .unwrap_or_else(|| party(&r.customer));
                }
                Record::Produced(r) => {
                    let item = r.outputs.iter().find(|o| traceability_lot_code(&o.lot) == row.tlc);
                    if let Some(o) = item {
                        row.product_description = self.product(&o.lot.item);
                    }
                }
                _ => {}
            }
        }
    }

    fn product(&self, item: &ItemCode) -> String {
        self.products.get(item).cloned().unwrap_or_default()
    }
}

/// A table of text cells: a header row and data rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The FSMA 204 spreadsheet of `rows`.
    #[must_use]
    pub fn fsma(rows: &[Row]) -> Self {
        Self {
            header: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows.iter().map(Row::cells).collect(),
        }
    }
}

/// Writes `table` as CSV (RFC 4180: comma-separated, CRLF line ends,
/// fields with a comma, quote or line break quoted, quotes doubled).
///
/// With `guard_formulas`, a cell that a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or carriage return) is written
/// with a leading `'`, so opening the file never executes data.
///
/// # Errors
/// The writer's I/O error.
pub fn write_csv(mut w: impl Write, table: &Table, guard_formulas: bool) -> io::Result<()> {
    write_row(&mut w, &table.header, guard_formulas)?;
    for row in &table.rows {
        write_row(&mut w, row, guard_formulas)?;
    }
    w.flush()
}

/// Writes one CSV row (CRLF-terminated), quoted and guarded as
/// [`write_csv`] does, for writers that stream rows as they are made.
///
/// # Errors
/// The writer's I/O error.
pub fn write_row(w: &mut impl Write, cells: &[String], guard: bool) -> io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let risky = guard && cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quote = risky || cell.contains([',', '"', '\n', '\r']);
        if quote {
            w.write_all(b"\"")?;
            if risky {
                w.write_all(b"'")?;
            }
            w.write_all(cell.replace('"', "\"\"").as_bytes())?;
            w.write_all(b"\"")?;
        } else {
            w.write_all(cell.as_bytes())?;
        }
    }
    w.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_guard() {
        let table = Table {
            header: std::vec!["a".to_owned(), "b".to_owned()],
            rows: std::vec![std::vec!["x,\"y\"".to_owned(), "=1+1".to_owned()]],
        };
        let mut out = Vec::new();
        write_csv(&mut out, &table, true).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a,b\r\n\"x,\"\"y\"\"\",\"'=1+1\"\r\n");
        let mut out = Vec::new();
        write_csv(&mut out, &table, false).unwrap();
        assert!(String::from_utf8(out).unwrap().ends_with(",=1+1\r\n"));
    }
}
