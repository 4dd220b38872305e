//! The rows derived from each entry for the queries in SQL (schema version
//! 2, docs/POSTGRES.md), written in the same transaction as the entries,
//! and the void state of corrected entries kept exact as corrections of
//! corrections arrive.

use std::borrow::ToOwned;
use std::string::{String, ToString};
use std::vec::Vec;

use postgres::Transaction;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

use super::{DbError, seq_i64};
use crate::model::{Disposition, LotId, Quantity, RecallClass, RecallStep, Record};

/// What a row of `lotledger.lot_moves` records of its lot.
pub(crate) mod mv {
    /// Received from a supplier (`party`: the supplier).
    pub const RECEIVED: i16 = 1;
    /// Made by a production (`expiry`: the production's).
    pub const PRODUCED: i16 = 2;
    /// Used by a production.
    pub const CONSUMED: i16 = 3;
    /// Shipped (`party`: the customer, `ord`, `ship_to`).
    pub const SHIPPED: i16 = 4;
    /// Returned by a customer (`party`).
    pub const RETURNED: i16 = 5;
    /// Retrieved from a customer by a recall action (`party`, `ord`: the recall).
    pub const RETRIEVED: i16 = 6;
    /// Destroyed.
    pub const DESTROYED: i16 = 7;
}

/// One row of `lotledger.lot_moves`.
pub(crate) struct Move {
    pub mv: i16,
    pub item: String,
    pub lot: String,
    pub party: Option<String>,
    pub unit: String,
    /// The recorded amount (a `u64`) stored bit for bit in a `bigint`;
    /// `lotledger.qty(amount, scale)` reads it back exactly.
    pub amount: i64,
    pub scale: i16,
    pub ord: Option<String>,
    pub ship_to: Option<String>,
    pub expiry: Option<i32>,
}

/// A row derived from one entry.
pub(crate) enum Derived {
    /// A production link: (input item, input lot, output item, output lot).
    Link([String; 4]),
    /// A correction: the target's seq and hash.
    Correction(i64, [u8; 32]),
    /// A quantity of a lot moving.
    Move(Move),
    /// A lot's status set.
    Disposition(String, String, i16),
    /// A recall opened: number, class, lots.
    Recall(String, i16, Vec<(String, String)>),
    /// A recall action: number, action (1 notified, 2 retrieved, 3
    /// closed), the customer, what was retrieved (unit, amount, scale).
    Action(String, i16, Option<String>, Option<(String, i64, i16)>),
    /// A delivery confirmed: customer, order.
    Delivery(String, String),
    /// A party description: its identities, the main one first.
    Party(Vec<String>),
    /// Goods shipped by container or serial (kind 22): its lines are not
    /// derived (docs/POSTGRES.md).
    UnitShipment,
}

fn lot_names(l: &LotId) -> (String, String) {
    (l.item.to_string(), l.lot.as_str().to_owned())
}

fn amount(q: &Quantity) -> i64 {
    i64::from_le_bytes(q.amount.to_le_bytes())
}

fn moved(mv: i16, lot: &LotId, q: &Quantity, party: Option<String>) -> Move {
    let (item, lot) = lot_names(lot);
    Move {
        mv,
        item,
        lot,
        party,
        unit: q.unit.code().to_owned(),
        amount: amount(q),
        scale: i16::from(q.scale),
        ord: None,
        ship_to: None,
        expiry: None,
    }
}

/// The status number stored in `lotledger.dispositions`.
pub(crate) fn status_number(d: Disposition) -> i16 {
    match d {
        Disposition::Quarantine => 0,
        Disposition::Released => 1,
        Disposition::OnHold => 2,
        Disposition::Rejected => 3,
    }
}

/// The status of a stored number.
pub(crate) fn status_of(n: i16) -> Option<Disposition> {
    match n {
        0 => Some(Disposition::Quarantine),
        1 => Some(Disposition::Released),
        2 => Some(Disposition::OnHold),
        3 => Some(Disposition::Rejected),
        _ => None,
    }
}

/// The class number stored in `lotledger.recalls`.
pub(crate) fn class_number(c: RecallClass) -> i16 {
    match c {
        RecallClass::I => 1,
        RecallClass::II => 2,
        RecallClass::III => 3,
    }
}

/// The class of a stored number.
pub(crate) fn class_of(n: i16) -> RecallClass {
    match n {
        1 => RecallClass::I,
        3 => RecallClass::III,
        _ => RecallClass::II,
    }
}

/// Whether entries of this kind number give derived rows.
pub(crate) fn derives(kind: crate::model::RecordKind) -> bool {
    use crate::model::RecordKind as K;
    matches!(
        kind,
        K::Produced
            | K::Corrected
            | K::MaterialReceived
            | K::Shipped
            | K::Returned
            | K::Destroyed
            | K::DispositionSet
            | K::RecallOpened
            | K::RecallAction
            | K::Delivered
            | K::PartyDescribed
            | K::GoodsShipped
    )
}

/// The rows derived from `record`.
pub(crate) fn derive(record: &Record) -> Vec<Derived> {
    let mut out = Vec::new();
    match record {
        Record::Produced(p) => {
            for i in &p.inputs {
                for o in p.outputs.iter().filter(|o| o.lot != i.lot) {
                    let (a, b) = lot_names(&i.lot);
                    let (c, d) = lot_names(&o.lot);
                    out.push(Derived::Link([a, b, c, d]));
                }
            }
            for i in &p.inputs {
                out.push(Derived::Move(moved(mv::CONSUMED, &i.lot, &i.quantity, None)));
            }
            for o in &p.outputs {
                let mut m = moved(mv::PRODUCED, &o.lot, &o.quantity, None);
                m.expiry = p.expiry.map(|d| d.0);
                out.push(Derived::Move(m));
            }
        }
        Record::Corrected(c) => {
            out.push(Derived::Correction(seq_i64(c.target.seq), c.target.hash.0))
        }
        Record::MaterialReceived(r) => out.push(Derived::Move(moved(
            mv::RECEIVED,
            &r.lot,
            &r.quantity,
            Some(r.supplier.to_string()),
        ))),
        Record::Shipped(s) => {
            let mut m = moved(mv::SHIPPED, &s.lot, &s.quantity, Some(s.customer.to_string()));
            m.ord = Some(s.order.as_str().to_owned());
            m.ship_to = s.ship_to.as_ref().map(ToString::to_string);
            out.push(Derived::Move(m));
        }
        Record::Returned(r) => out.push(Derived::Move(moved(
            mv::RETURNED,
            &r.lot,
            &r.quantity,
            Some(r.from.to_string()),
        ))),
        Record::Destroyed(d) => {
            out.push(Derived::Move(moved(mv::DESTROYED, &d.lot, &d.quantity, None)))
        }
        Record::DispositionSet(d) => {
            let (item, lot) = lot_names(&d.lot);
            out.push(Derived::Disposition(item, lot, status_number(d.status)));
        }
        Record::RecallOpened(r) => out.push(Derived::Recall(
            r.recall.as_str().to_owned(),
            class_number(r.class),
            r.lots.iter().map(lot_names).collect(),
        )),
        Record::RecallAction(a) => {
            let number = a.recall.as_str().to_owned();
            match &a.step {
                RecallStep::CustomerNotified { customer } => {
                    out.push(Derived::Action(number, 1, Some(customer.to_string()), None));
                }
                RecallStep::Retrieved { customer, lot, quantity } => {
                    let mut m = moved(mv::RETRIEVED, lot, quantity, Some(customer.to_string()));
                    m.ord = Some(number.clone());
                    out.push(Derived::Move(m));
                    let q = (
                        quantity.unit.code().to_owned(),
                        amount(quantity),
                        i16::from(quantity.scale),
                    );
                    out.push(Derived::Action(number, 2, Some(customer.to_string()), Some(q)));
                }
                RecallStep::Closed { .. } => out.push(Derived::Action(number, 3, None, None)),
            }
        }
        Record::Delivered(d) => {
            out.push(Derived::Delivery(d.customer.to_string(), d.order.as_str().to_owned()));
        }
        Record::PartyDescribed(p) => {
            let mut ids: Vec<String> = Vec::with_capacity(1 + p.also_known_as.len());
            for id in core::iter::once(&p.party).chain(p.also_known_as.iter()) {
                let s = id.to_string();
                if !ids.contains(&s) {
                    ids.push(s);
                }
            }
            out.push(Derived::Party(ids));
        }
        Record::GoodsShipped(_) => out.push(Derived::UnitShipment),
        _ => {}
    }
    out
}

/// One entry's derived rows, as written.
pub(crate) struct EntryRows<'a> {
    pub seq: i64,
    pub time: i64,
    pub derived: &'a [Derived],
}

fn copy(
    tx: &mut Transaction<'_>,
    sql: &str,
    types: &[Type],
    rows: &[EntryRows<'_>],
    has: impl Fn(&Derived) -> bool,
    mut each: impl FnMut(&EntryRows<'_>, &Derived, &mut BinaryCopyInWriter<'_>) -> Result<(), DbError>,
) -> Result<(), DbError> {
    if !rows.iter().any(|r| r.derived.iter().any(&has)) {
        return Ok(());
    }
    let sink = tx.copy_in(sql)?;
    let mut w = BinaryCopyInWriter::new(sink, types);
    for r in rows {
        for d in r.derived.iter().filter(|d| has(d)) {
            each(r, d, &mut w)?;
        }
    }
    w.finish()?;
    Ok(())
}

/// Writes the derived rows of `rows` (entries of ledger number `no`);
/// `links` also the production links and corrections (migration 2 leaves
/// out what migration 1 derived already). Then brings `lotledger.voided`
/// up to date for the corrections among them.
pub(crate) fn write(
    tx: &mut Transaction<'_>,
    no: i32,
    rows: &[EntryRows<'_>],
    links: bool,
) -> Result<(), DbError> {
    if links {
        copy(
            tx,
            "COPY lotledger.lot_links (ledger_no, seq, in_item, in_lot, out_item, out_lot) \
             FROM STDIN BINARY",
            &[Type::INT4, Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT],
            rows,
            |d| matches!(d, Derived::Link(_)),
            |r, d, w| match d {
                Derived::Link([a, b, c, e]) => Ok(w.write(&[&no, &r.seq, a, b, c, e])?),
                _ => Ok(()),
            },
        )?;
    }
    copy(
        tx,
        "COPY lotledger.lot_moves (ledger_no, seq, time_ms, move, item, lot, party, unit, amount, \
         scale, ord, ship_to, expiry) FROM STDIN BINARY",
        &[
            Type::INT4,
            Type::INT8,
            Type::INT8,
            Type::INT2,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::INT2,
            Type::TEXT,
            Type::TEXT,
            Type::INT4,
        ],
        rows,
        |d| matches!(d, Derived::Move(_)),
        |r, d, w| match d {
            Derived::Move(m) => Ok(w.write(&[
                &no, &r.seq, &r.time, &m.mv, &m.item, &m.lot, &m.party, &m.unit, &m.amount,
                &m.scale, &m.ord, &m.ship_to, &m.expiry,
            ])?),
            _ => Ok(()),
        },
    )?;
    copy(
        tx,
        "COPY lotledger.dispositions (ledger_no, seq, item, lot, status) FROM STDIN BINARY",
        &[Type::INT4, Type::INT8, Type::TEXT, Type::TEXT, Type::INT2],
        rows,
        |d| matches!(d, Derived::Disposition(..)),
        |r, d, w| match d {
            Derived::Disposition(item, lot, s) => Ok(w.write(&[&no, &r.seq, item, lot, s])?),
            _ => Ok(()),
        },
    )?;
    copy(
        tx,
        "COPY lotledger.deliveries (ledger_no, seq, time_ms, customer, ord) FROM STDIN BINARY",
        &[Type::INT4, Type::INT8, Type::INT8, Type::TEXT, Type::TEXT],
        rows,
        |d| matches!(d, Derived::Delivery(..)),
        |r, d, w| match d {
            Derived::Delivery(c, o) => Ok(w.write(&[&no, &r.seq, &r.time, c, o])?),
            _ => Ok(()),
        },
    )?;
    copy(
        tx,
        "COPY lotledger.party_ids (ledger_no, seq, pos, party) FROM STDIN BINARY",
        &[Type::INT4, Type::INT8, Type::INT2, Type::TEXT],
        rows,
        |d| matches!(d, Derived::Party(_)),
        |r, d, w| match d {
            Derived::Party(ids) => {
                for (i, p) in ids.iter().enumerate() {
                    let pos = i16::try_from(i).unwrap_or(i16::MAX);
                    w.write(&[&no, &r.seq, &pos, p])?;
                }
                Ok(())
            }
            _ => Ok(()),
        },
    )?;
    copy(
        tx,
        "COPY lotledger.unit_shipments (ledger_no, seq) FROM STDIN BINARY",
        &[Type::INT4, Type::INT8],
        rows,
        |d| matches!(d, Derived::UnitShipment),
        |r, d, w| match d {
            Derived::UnitShipment => Ok(w.write(&[&no, &r.seq])?),
            _ => Ok(()),
        },
    )?;
    for r in rows {
        for d in r.derived {
            match d {
                Derived::Recall(number, class, lots) => {
                    tx.execute(
                        "INSERT INTO lotledger.recalls (ledger_no, seq, time_ms, number, class) \
                         VALUES ($1, $2, $3, $4, $5)",
                        &[&no, &r.seq, &r.time, number, class],
                    )?;
                    for (i, (item, lot)) in lots.iter().enumerate() {
                        let pos = i16::try_from(i).unwrap_or(i16::MAX);
                        tx.execute(
                            "INSERT INTO lotledger.recall_lots (ledger_no, seq, pos, item, lot) \
                             VALUES ($1, $2, $3, $4, $5)",
                            &[&no, &r.seq, &pos, item, lot],
                        )?;
                    }
                }
                Derived::Action(number, action, customer, q) => {
                    let (unit, amount, scale) = match q {
                        Some((u, a, s)) => (Some(u), Some(*a), Some(*s)),
                        None => (None, None, None),
                    };
                    tx.execute(
                        "INSERT INTO lotledger.recall_actions \
                         (ledger_no, seq, time_ms, number, action, customer, unit, amount, scale) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        &[&no, &r.seq, &r.time, number, action, customer, &unit, &amount, &scale],
                    )?;
                }
                Derived::Correction(target, hash) if links => {
                    tx.execute(
                        "INSERT INTO lotledger.corrections \
                         (ledger_no, seq, target_seq, target_hash, applied) \
                         SELECT $1, $2, $3, $4::bytea, EXISTS (SELECT 1 FROM lotledger.entries e \
                             WHERE e.ledger_no = $1 AND e.seq = $3 AND $3 < $2 \
                             AND substring(e.hash FROM 1 FOR 8) = substring($4::bytea FROM 1 FOR 8))",
                        &[&no, &r.seq, target, &&hash[..]],
                    )?;
                    refresh_void(tx, no, *target)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Recomputes whether entry `t` of ledger `no` is void (an applied
/// correction of it is not itself void), and follows a change down the
/// chain of corrections of corrections, as the in-memory index does.
pub(crate) fn refresh_void(tx: &mut Transaction<'_>, no: i32, mut t: i64) -> Result<(), DbError> {
    // A chain is at most as long as the ledger; bounded anyway.
    for _ in 0..1_000_000 {
        let row = tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM lotledger.corrections c \
                 WHERE c.ledger_no = $1 AND c.target_seq = $2 AND c.applied \
                 AND NOT EXISTS (SELECT 1 FROM lotledger.voided v \
                                 WHERE v.ledger_no = c.ledger_no AND v.seq = c.seq)), \
             EXISTS (SELECT 1 FROM lotledger.voided WHERE ledger_no = $1 AND seq = $2)",
            &[&no, &t],
        )?;
        let (now_void, was_void): (bool, bool) = (row.get(0), row.get(1));
        if now_void == was_void {
            return Ok(());
        }
        if now_void {
            tx.execute(
                "INSERT INTO lotledger.voided (ledger_no, seq) VALUES ($1, $2)",
                &[&no, &t],
            )?;
        } else {
            tx.execute(
                "DELETE FROM lotledger.voided WHERE ledger_no = $1 AND seq = $2",
                &[&no, &t],
            )?;
        }
        let next = tx.query_opt(
            "SELECT target_seq FROM lotledger.corrections \
             WHERE ledger_no = $1 AND seq = $2 AND applied",
            &[&no, &t],
        )?;
        match next {
            Some(r) => t = r.get(0),
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Migration 2 for a database that holds entries already: derives the new
/// rows from each stored entry's bytes, ledger by ledger, in pages, and
/// the void state of every corrected entry.
pub(crate) fn rederive(tx: &mut Transaction<'_>) -> Result<(), DbError> {
    use crate::model::RecordKind as K;
    let kinds: Vec<i32> = [
        K::Produced,
        K::MaterialReceived,
        K::Shipped,
        K::Returned,
        K::Destroyed,
        K::DispositionSet,
        K::RecallOpened,
        K::RecallAction,
        K::Delivered,
        K::PartyDescribed,
        K::GoodsShipped,
    ]
    .iter()
    .map(|k| i32::try_from(k.number()).unwrap_or(-1))
    .collect();
    let ledgers: Vec<i32> = tx
        .query("SELECT ledger_no FROM lotledger.ledgers ORDER BY ledger_no", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for no in ledgers {
        let mut after: i64 = -1;
        loop {
            let page = tx.query(
                "SELECT seq, time_ms, body FROM lotledger.entries \
                 WHERE ledger_no = $1 AND seq > $2 AND kind = ANY($3) ORDER BY seq LIMIT 20000",
                &[&no, &after, &kinds],
            )?;
            let Some(last) = page.last() else { break };
            after = last.get(0);
            let derived: Vec<(i64, i64, Vec<Derived>)> = page
                .iter()
                .map(|r| {
                    let body: &[u8] = r.get(2);
                    let d = crate::entry::decode_header_ref(body)
                        .ok()
                        .and_then(|(_, rest)| crate::entry::decode_record(rest).ok())
                        .map(|rec| {
                            derive(&rec)
                                .into_iter()
                                .filter(|d| {
                                    !matches!(d, Derived::Link(_) | Derived::Correction(..))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (r.get(0), r.get(1), d)
                })
                .collect();
            let rows: Vec<EntryRows<'_>> = derived
                .iter()
                .map(|(seq, time, d)| EntryRows { seq: *seq, time: *time, derived: d })
                .collect();
            write(tx, no, &rows, false)?;
        }
        let corrected: Vec<i64> = tx
            .query(
                "SELECT target_seq FROM lotledger.corrections WHERE ledger_no = $1 AND applied \
                 ORDER BY seq",
                &[&no],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for t in corrected {
            refresh_void(tx, no, t)?;
        }
    }
    Ok(())
}
