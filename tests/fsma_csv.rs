//! The FSMA 204 sortable spreadsheet of a demo ledger: one row per
//! receiving, shipping and transformation output, selected by lots or by a
//! time window, written as RFC 4180 CSV that reads back cell for cell.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use lotledger::chain::{Anchor, Verifier};
use lotledger::demo;
use lotledger::interop::epcis::ledger_entries;
use lotledger::interop::fsma::{COLUMNS, Cte, Table, rows, traceability_lot_code, write_csv};
use lotledger::interop::scope::{Corrections, Scope};
use lotledger::model::*;

/// A small RFC 4180 reader, to check the writer against.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[test]
fn fsma_rows_for_a_lot_and_a_window() {
    let (id, bytes) = demo::ledger(3000);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let view = || entries.iter().map(|(h, d, r)| (h, d, r));

    let all = rows(&id, view(), &Scope::all(), &Corrections::none());
    let expected: usize = entries
        .iter()
        .map(|(_, _, r)| match r {
            Record::MaterialReceived(_) | Record::Shipped(_) => 1,
            Record::Produced(p) => p.outputs.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(all.len(), expected);
    for cte in [Cte::Receiving, Cte::Transformation, Cte::Shipping] {
        assert!(all.iter().any(|r| r.cte == cte), "{cte:?}");
    }

    // One finished lot: its production, every shipment, nothing else.
    let lot = entries
        .iter()
        .find_map(|(_, _, r)| match r {
            Record::Produced(p) => p
                .outputs
                .iter()
                .find(|o| matches!(o.lot.item, ItemCode::Gtin(_)))
                .map(|o| o.lot.clone()),
            _ => None,
        })
        .unwrap();
    let tlc = traceability_lot_code(&lot);
    assert!(tlc.starts_with("(01)0950600013") && tlc.contains("(10)"), "{tlc}");
    let scoped = rows(&id, view(), &Scope::lots([lot.clone()]), &Corrections::none());
    let shipments =
        entries.iter().filter(|(_, _, r)| matches!(r, Record::Shipped(s) if s.lot == lot)).count();
    assert_eq!(scoped.iter().filter(|r| r.cte == Cte::Shipping).count(), shipments);
    assert_eq!(scoped.iter().filter(|r| r.cte == Cte::Transformation && r.tlc == tlc).count(), 1);
    assert!(scoped.iter().all(|r| r.tlc == tlc || r.inputs.contains(&tlc)));

    // A time window keeps exactly the rows of entries inside it.
    let from = entries[1000].0.time;
    let until = entries[2000].0.time;
    let window = rows(&id, view(), &Scope::window(from, until), &Corrections::none());
    assert!(!window.is_empty());
    assert!(window.iter().all(|r| {
        let (h, _, _) = &entries[r.seq as usize];
        h.time >= from && h.time < until
    }));

    // CSV reads back cell for cell.
    let table = Table::fsma(&scoped);
    let mut out = Vec::new();
    write_csv(&mut out, &table, true).unwrap();
    let text = String::from_utf8(out).unwrap();
    let back = read_csv(&text);
    assert_eq!(back[0], COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    assert_eq!(&back[1..], &table.rows[..]);
}

/// Guards issue 12 item 2: the spreadsheet kept voided shipments, so a sum
/// over it over-counted. With the index's corrections, exactly the rows of
/// voided entries are left out.
#[test]
fn voided_entries_have_no_rows() {
    let (id, bytes) = demo::ledger(3000);
    let verified =
        Verifier::new(&bytes, Anchor::genesis(&id)).collect::<Result<Vec<_>, _>>().unwrap();
    let entries = ledger_entries(verified).unwrap();
    let view = || entries.iter().map(|(h, d, r)| (h, d, r));
    let mut index = lotledger::index::Index::new();
    index.ingest_bytes(&id, &bytes).unwrap();
    let corrections = Corrections::from_index(&index);
    let all = rows(&id, view(), &Scope::all(), &Corrections::none());
    let corrected = rows(&id, view(), &Scope::all(), &corrections);
    let voided_rows: Vec<&lotledger::interop::fsma::Row> =
        all.iter().filter(|r| corrections.is_void(&id, r.seq)).collect();
    assert!(!voided_rows.is_empty(), "the demo voids an entry with rows");
    assert_eq!(corrected.len(), all.len() - voided_rows.len());
    assert!(corrected.iter().all(|r| !corrections.is_void(&id, r.seq)));
}
