//! The rows derived from each entry for the queries in SQL (schema version
//! 2, docs/POSTGRES.md), written in the same transaction as the entries,
//! and the void state of corrected entries kept exact as corrections of
//! corrections arrive.

use core::fmt;
use std::borrow::ToOwned;
use std::format;
use std::io::Write as _;
use std::string::{String, ToString};
use std::vec::Vec;

use postgres::Transaction;

use super::{DbError, seq_i64};
use crate::model::{Checkpointed, Disposition, LotId, Quantity, RecallClass, RecallStep, Record};

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
            | K::ComplaintRegistered
            | K::ComplaintRegisteredV1
            | K::ComplaintProgress
    )
}

/// The tables written by binary `COPY`, in the order they are written.
pub(crate) const ENTRIES: usize = 0;
const LINKS: usize = 1;
const MOVES: usize = 2;
const DISPOSITIONS: usize = 3;
const DELIVERIES: usize = 4;
const PARTIES: usize = 5;
const UNIT_SHIPMENTS: usize = 6;
const COMPLAINTS: usize = 7;
const TABLES: usize = 8;

/// Each table's `COPY`; `ledger_no` is the first column of every one.
const COPY_SQL: [&str; TABLES] = [
    "COPY lotledger.entries (ledger_no, seq, hash, time_ms, kind, actor, station, body, \
     frame_offset) FROM STDIN BINARY",
    "COPY lotledger.lot_links (ledger_no, seq, in_item, in_lot, out_item, out_lot) \
     FROM STDIN BINARY",
    "COPY lotledger.lot_moves (ledger_no, seq, time_ms, move, item, lot, party, unit, amount, \
     scale, ord, ship_to, expiry) FROM STDIN BINARY",
    "COPY lotledger.dispositions (ledger_no, seq, item, lot, status) FROM STDIN BINARY",
    "COPY lotledger.deliveries (ledger_no, seq, time_ms, customer, ord) FROM STDIN BINARY",
    "COPY lotledger.party_ids (ledger_no, seq, pos, party) FROM STDIN BINARY",
    "COPY lotledger.unit_shipments (ledger_no, seq) FROM STDIN BINARY",
    "COPY lotledger.complaint_entries (ledger_no, seq, complaint) FROM STDIN BINARY",
];

/// The binary `COPY` signature, flags and header extension length.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary `COPY` trailer (a field count of -1).
const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Rows of one table in the binary `COPY` format, encoded as they are
/// derived (from borrowed record data: no per-row allocation), with a
/// placeholder ledger number patched in once the database has given it.
#[derive(Default)]
pub(crate) struct Table {
    data: Vec<u8>,
    /// Per row: the index of its entry in the chunk, and where it starts.
    rows: Vec<(u32, usize)>,
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Table {
    /// Starts a row of `fields` fields for entry `entry`, its ledger number
    /// (the first field) a placeholder.
    fn row(&mut self, entry: u32, fields: i16, seq: i64) {
        self.rows.push((entry, self.data.len()));
        self.data.extend_from_slice(&fields.to_be_bytes());
        self.int4(0);
        self.int8(seq);
    }
    fn int2(&mut self, v: i16) {
        self.data.extend_from_slice(&2i32.to_be_bytes());
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    fn int4(&mut self, v: i32) {
        self.data.extend_from_slice(&4i32.to_be_bytes());
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    fn int8(&mut self, v: i64) {
        self.data.extend_from_slice(&8i32.to_be_bytes());
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.data.extend_from_slice(&len_i32(b.len()).to_be_bytes());
        self.data.extend_from_slice(b);
    }
    fn null(&mut self) {
        self.data.extend_from_slice(&(-1i32).to_be_bytes());
    }
    /// A text field written by `Display`, straight into the buffer.
    fn shown(&mut self, v: &dyn fmt::Display) {
        let at = self.data.len();
        self.data.extend_from_slice(&0i32.to_be_bytes());
        // Writing into a `Vec` fails only if `Display` does.
        let _ = write!(self.data, "{v}");
        let n = len_i32(self.data.len() - at - 4).to_be_bytes();
        if let Some(slot) = self.data.get_mut(at..at + 4) {
            slot.copy_from_slice(&n);
        }
    }
    fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(s) => self.bytes(s.as_bytes()),
            None => self.null(),
        }
    }
    fn lot(&mut self, l: &LotId) {
        self.shown(&l.item);
        self.bytes(l.lot.as_str().as_bytes());
    }
    /// The encoded rows of entries `from..` of the chunk.
    fn of_entries_from(&self, from: u32) -> &[u8] {
        let i = self.rows.partition_point(|(e, _)| *e < from);
        self.rows.get(i).and_then(|(_, at)| self.data.get(*at..)).unwrap_or_default()
    }
}

/// Rows derived from one entry that are written by `INSERT` (a handful in
/// any ledger), with the entry's seq and time.
pub(crate) struct Rare {
    entry: u32,
    seq: i64,
    time: i64,
    what: RareRow,
}

enum RareRow {
    /// A checkpoint entry: tree size, root, signed.
    Checkpoint(i64, [u8; 32], bool),
    /// A correction: the target's seq and hash.
    Correction(i64, [u8; 32]),
    /// A recall opened: number, class, lots.
    Recall(String, i16, Vec<(String, String)>),
    /// A recall action: number, action (1 notified, 2 retrieved, 3
    /// closed), the customer, what was retrieved (unit, amount, scale).
    Action(String, i16, Option<String>, Option<(String, i64, i16)>),
}

/// The rows of a run of consecutive entries of one ledger, every table's
/// encoded for `COPY`.
#[derive(Default)]
pub(crate) struct Rows {
    tables: [Table; TABLES],
    rare: Vec<Rare>,
}

fn amount(q: &Quantity) -> i64 {
    i64::from_le_bytes(q.amount.to_le_bytes())
}

/// A row of `lotledger.lot_moves` besides its lot, party and order.
struct Moved<'a> {
    mv: i16,
    lot: &'a LotId,
    q: &'a Quantity,
    party: Option<&'a dyn fmt::Display>,
    ord: Option<&'a str>,
    ship_to: Option<&'a dyn fmt::Display>,
    expiry: Option<i32>,
}

impl Moved<'_> {
    fn plain<'a>(mv: i16, lot: &'a LotId, q: &'a Quantity) -> Moved<'a> {
        Moved { mv, lot, q, party: None, ord: None, ship_to: None, expiry: None }
    }
}

impl Rows {
    /// The rows of entry `entry` (its index in this run): its
    /// `lotledger.entries` row, `frame_offset` the offset of its frame in
    /// the ledger's frames put end to end from genesis (schema version 4).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn entry(
        &mut self,
        entry: u32,
        seq: i64,
        hash: &[u8; 32],
        time: i64,
        kind: i32,
        header: &crate::entry::Header,
        body: &[u8],
        frame_offset: i64,
    ) {
        let t = &mut self.tables[ENTRIES];
        t.row(entry, 9, seq);
        t.bytes(hash);
        t.int8(time);
        t.int4(kind);
        t.bytes(header.actor.as_str().as_bytes());
        t.bytes(header.station.as_str().as_bytes());
        t.bytes(body);
        t.int8(frame_offset);
    }

    /// A checkpoint entry's row.
    pub(crate) fn checkpoint(&mut self, entry: u32, seq: i64, c: &Checkpointed) {
        let what = RareRow::Checkpoint(seq_i64(c.size), c.root.0, c.signature.is_some());
        self.rare.push(Rare { entry, seq, time: 0, what });
    }

    fn moved(&mut self, entry: u32, seq: i64, time: i64, m: &Moved<'_>) {
        let t = &mut self.tables[MOVES];
        t.row(entry, 13, seq);
        t.int8(time);
        t.int2(m.mv);
        t.lot(m.lot);
        match m.party {
            Some(p) => t.shown(p),
            None => t.null(),
        }
        t.bytes(m.q.unit.code().as_bytes());
        t.int8(amount(m.q));
        t.int2(i16::from(m.q.scale));
        t.opt_text(m.ord);
        match m.ship_to {
            Some(p) => t.shown(p),
            None => t.null(),
        }
        match m.expiry {
            Some(d) => t.int4(d),
            None => t.null(),
        }
    }

    /// The rows derived from `record`, entry `entry` of this run; `links`
    /// also the production links and corrections (migration 2 leaves out
    /// what migration 1 derived already).
    pub(crate) fn derive(&mut self, entry: u32, seq: i64, time: i64, record: &Record, links: bool) {
        let rare = |what| Rare { entry, seq, time, what };
        match record {
            Record::Produced(p) => {
                if links {
                    for i in &p.inputs {
                        for o in p.outputs.iter().filter(|o| o.lot != i.lot) {
                            let t = &mut self.tables[LINKS];
                            t.row(entry, 6, seq);
                            t.lot(&i.lot);
                            t.lot(&o.lot);
                        }
                    }
                }
                for i in &p.inputs {
                    self.moved(entry, seq, time, &Moved::plain(mv::CONSUMED, &i.lot, &i.quantity));
                }
                for o in &p.outputs {
                    let mut m = Moved::plain(mv::PRODUCED, &o.lot, &o.quantity);
                    m.expiry = p.expiry.map(|d| d.0);
                    self.moved(entry, seq, time, &m);
                }
            }
            Record::Corrected(c) if links => {
                self.rare.push(rare(RareRow::Correction(seq_i64(c.target.seq), c.target.hash.0)))
            }
            Record::MaterialReceived(r) => {
                let mut m = Moved::plain(mv::RECEIVED, &r.lot, &r.quantity);
                m.party = Some(&r.supplier);
                self.moved(entry, seq, time, &m);
            }
            Record::Shipped(s) => {
                let mut m = Moved::plain(mv::SHIPPED, &s.lot, &s.quantity);
                m.party = Some(&s.customer);
                m.ord = Some(s.order.as_str());
                m.ship_to = s.ship_to.as_ref().map(|l| l as &dyn fmt::Display);
                self.moved(entry, seq, time, &m);
            }
            Record::Returned(r) => {
                let mut m = Moved::plain(mv::RETURNED, &r.lot, &r.quantity);
                m.party = Some(&r.from);
                self.moved(entry, seq, time, &m);
            }
            Record::Destroyed(d) => {
                self.moved(entry, seq, time, &Moved::plain(mv::DESTROYED, &d.lot, &d.quantity));
            }
            Record::DispositionSet(d) => {
                let t = &mut self.tables[DISPOSITIONS];
                t.row(entry, 5, seq);
                t.lot(&d.lot);
                t.int2(status_number(d.status));
            }
            Record::RecallOpened(r) => self.rare.push(rare(RareRow::Recall(
                r.recall.as_str().to_owned(),
                class_number(r.class),
                r.lots.iter().map(|l| (l.item.to_string(), l.lot.as_str().to_owned())).collect(),
            ))),
            Record::RecallAction(a) => {
                let number = a.recall.as_str().to_owned();
                match &a.step {
                    RecallStep::CustomerNotified { customer } => self
                        .rare
                        .push(rare(RareRow::Action(number, 1, Some(customer.to_string()), None))),
                    RecallStep::Retrieved { customer, lot, quantity } => {
                        let mut m = Moved::plain(mv::RETRIEVED, lot, quantity);
                        m.party = Some(customer);
                        m.ord = Some(&number);
                        self.moved(entry, seq, time, &m);
                        let q = (
                            quantity.unit.code().to_owned(),
                            amount(quantity),
                            i16::from(quantity.scale),
                        );
                        let what = RareRow::Action(number, 2, Some(customer.to_string()), Some(q));
                        self.rare.push(rare(what));
                    }
                    RecallStep::Closed { .. } => {
                        self.rare.push(rare(RareRow::Action(number, 3, None, None)));
                    }
                }
            }
            Record::Delivered(d) => {
                let t = &mut self.tables[DELIVERIES];
                t.row(entry, 5, seq);
                t.int8(time);
                t.shown(&d.customer);
                t.bytes(d.order.as_str().as_bytes());
            }
            Record::PartyDescribed(p) => {
                let mut ids: Vec<String> = Vec::with_capacity(1 + p.also_known_as.len());
                for id in core::iter::once(&p.party).chain(p.also_known_as.iter()) {
                    let s = id.to_string();
                    if !ids.contains(&s) {
                        ids.push(s);
                    }
                }
                let t = &mut self.tables[PARTIES];
                for (i, id) in ids.iter().enumerate() {
                    t.row(entry, 4, seq);
                    t.int2(i16::try_from(i).unwrap_or(i16::MAX));
                    t.bytes(id.as_bytes());
                }
            }
            Record::GoodsShipped(_) => self.tables[UNIT_SHIPMENTS].row(entry, 2, seq),
            Record::ComplaintRegistered(c) => self.complaint(entry, seq, &c.complaint),
            Record::ComplaintRegisteredV1(c) => self.complaint(entry, seq, &c.complaint),
            Record::ComplaintProgress(p) => self.complaint(entry, seq, &p.complaint),
            _ => {}
        }
    }

    /// A row of `lotledger.complaint_entries`: an entry of complaint `number`.
    fn complaint(&mut self, entry: u32, seq: i64, number: &crate::model::Reference) {
        let t = &mut self.tables[COMPLAINTS];
        t.row(entry, 3, seq);
        t.bytes(number.as_str().as_bytes());
    }

    /// Sets every row's ledger number.
    pub(crate) fn patch(&mut self, no: i32) {
        let no = no.to_be_bytes();
        for t in &mut self.tables {
            for (_, at) in &t.rows {
                // The field count (2 bytes) and the field length (4).
                if let Some(slot) = t.data.get_mut(at + 6..at + 10) {
                    slot.copy_from_slice(&no);
                }
            }
        }
    }
}

fn copy_io(e: std::io::Error) -> DbError {
    DbError::Copy(e)
}

/// The tables of the rows derived for the queries, written on other
/// connections by [`write_side`], a group on each: `lot_moves`, the
/// largest, alone, and the others.
pub(crate) const SIDE: [&[usize]; 2] =
    [&[MOVES], &[LINKS, DISPOSITIONS, DELIVERIES, PARTIES, UNIT_SHIPMENTS, COMPLAINTS]];

/// Every table of [`SIDE`].
const SIDE_TABLES: core::ops::Range<usize> = 1..TABLES;

/// Writes the rows of `parts` (each a run of entries and the first of its
/// entries to write, their ledger numbers patched already) of the tables
/// `tables`, each by one binary `COPY`. Returns the entries written (rows
/// of `lotledger.entries`).
pub(crate) fn copy_tables(
    tx: &mut Transaction<'_>,
    tables: impl IntoIterator<Item = usize>,
    parts: &[(&Rows, u32)],
) -> Result<u64, DbError> {
    let mut entries = 0;
    for t in tables {
        let Some(sql) = COPY_SQL.get(t) else { continue };
        let pieces: Vec<&[u8]> = parts
            .iter()
            .map(|(rows, from)| rows.tables.get(t).map_or(&[][..], |t| t.of_entries_from(*from)))
            .filter(|p| !p.is_empty())
            .collect();
        if pieces.is_empty() {
            continue;
        }
        let mut w = tx.copy_in(*sql)?;
        w.write_all(COPY_HEADER).map_err(copy_io)?;
        for p in pieces {
            // In pieces, so that the server works on the first while the
            // rest are sent.
            for piece in p.chunks(1 << 17) {
                w.write_all(piece).map_err(copy_io)?;
            }
        }
        w.write_all(COPY_TRAILER).map_err(copy_io)?;
        let n = w.finish()?;
        if t == ENTRIES {
            entries = n;
        }
    }
    Ok(entries)
}

/// Whether `parts` hold rows of the tables `group`.
pub(crate) fn has_rows(group: &[usize], parts: &[(&Rows, u32)]) -> bool {
    parts.iter().any(|(rows, from)| {
        group
            .iter()
            .filter_map(|t| rows.tables.get(*t))
            .any(|t| !t.of_entries_from(*from).is_empty())
    })
}

/// Writes the rows derived by `INSERT` of `parts` (ledger number `no`),
/// and brings `lotledger.voided` up to date for the corrections among
/// them.
pub(crate) fn write_rare_rows(
    tx: &mut Transaction<'_>,
    no: i32,
    parts: &[(&Rows, u32)],
) -> Result<(), DbError> {
    for (rows, from) in parts {
        for r in rows.rare.iter().filter(|r| r.entry >= *from) {
            write_rare(tx, no, r)?;
        }
    }
    Ok(())
}

/// Every row of `parts`, in one transaction (the migration's re-derivation).
pub(crate) fn write(
    tx: &mut Transaction<'_>,
    no: i32,
    parts: &[(&Rows, u32)],
) -> Result<u64, DbError> {
    let entries = copy_tables(tx, 0..TABLES, parts)?;
    write_rare_rows(tx, no, parts)?;
    Ok(entries)
}

/// The rows of the tables `group` (of [`SIDE`]) of `parts` (entries of
/// ledger number `no` from `from_seq` on), in their own transaction on
/// `client`, committed before the entries' (docs/POSTGRES.md, "Several
/// connections"): with a row of
/// `lotledger.derive_pending` that the entries' transaction deletes, so
/// that rows committed for entries that then never were are found and
/// removed by the next batch ([`clear_pending`]).
pub(crate) fn write_side(
    client: &mut postgres::Client,
    group: &[usize],
    no: i32,
    from_seq: i64,
    parts: &[(&Rows, u32)],
) -> Result<(), DbError> {
    let mut tx = client.transaction()?;
    // Durable with the entries' commit, which comes after this one.
    tx.batch_execute("SET LOCAL synchronous_commit = off")?;
    tx.execute(
        "INSERT INTO lotledger.derive_pending (ledger_no, from_seq) VALUES ($1, $2)",
        &[&no, &from_seq],
    )?;
    copy_tables(&mut tx, group.iter().copied(), parts)?;
    tx.commit()?;
    Ok(())
}

/// Removes what a sync left committed on its second connection without the
/// entries it was derived from (killed between the two commits): the
/// [`SIDE`] rows of ledger `no` from `head` (the entries stored) on, when
/// `lotledger.derive_pending` says there may be some. Run under the
/// ledger's advisory lock; whether there were (the caller then commits
/// before writing rows again, or the second connection's inserts would wait
/// on rows this transaction removes, while it waits for them).
pub(crate) fn clear_pending(tx: &mut Transaction<'_>, no: i32, head: i64) -> Result<bool, DbError> {
    let pending: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM lotledger.derive_pending WHERE ledger_no = $1)",
            &[&no],
        )?
        .get(0);
    if !pending {
        return Ok(false);
    }
    for sql in COPY_SQL.get(SIDE_TABLES).unwrap_or_default() {
        // The table's name: "COPY lotledger.NAME (...".
        let Some(table) = sql.split_whitespace().nth(1) else { continue };
        tx.execute(
            &format!("DELETE FROM {table} WHERE ledger_no = $1 AND seq >= $2"),
            &[&no, &head],
        )?;
    }
    tx.execute("DELETE FROM lotledger.derive_pending WHERE ledger_no = $1", &[&no])?;
    Ok(true)
}

fn write_rare(tx: &mut Transaction<'_>, no: i32, r: &Rare) -> Result<(), DbError> {
    match &r.what {
        RareRow::Checkpoint(size, root, signed) => {
            tx.execute(
                "INSERT INTO lotledger.checkpoints (ledger_no, seq, size, root, signed) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[&no, &r.seq, size, &&root[..], signed],
            )?;
        }
        RareRow::Recall(number, class, lots) => {
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
        RareRow::Action(number, action, customer, q) => {
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
        RareRow::Correction(target, hash) => {
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

/// The kinds migration 2 derives rows from.
pub(crate) const KINDS_V2: &[crate::model::RecordKind] = {
    use crate::model::RecordKind as K;
    &[
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
};

/// The kinds migration 5 derives `lotledger.complaint_entries` from.
pub(crate) const KINDS_V5: &[crate::model::RecordKind] = {
    use crate::model::RecordKind as K;
    &[K::ComplaintRegistered, K::ComplaintRegisteredV1, K::ComplaintProgress]
};

/// A migration for a database that holds entries already: derives the
/// rows of the stored entries of `kinds` from their bytes, ledger by
/// ledger, in pages (migration 2 with [`KINDS_V2`], then the void state of
/// every corrected entry when `voids`; migration 5 with [`KINDS_V5`]).
pub(crate) fn rederive(
    tx: &mut Transaction<'_>,
    kinds: &[crate::model::RecordKind],
    voids: bool,
) -> Result<(), DbError> {
    let kinds: Vec<i32> = kinds.iter().map(|k| i32::try_from(k.number()).unwrap_or(-1)).collect();
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
            let mut rows = Rows::default();
            for (i, r) in page.iter().enumerate() {
                let body: &[u8] = r.get(2);
                let record = crate::entry::decode_header_ref(body)
                    .ok()
                    .and_then(|(_, rest)| crate::entry::decode_record(rest).ok());
                if let Some(rec) = record {
                    let i = u32::try_from(i).unwrap_or(u32::MAX);
                    rows.derive(i, r.get(0), r.get(1), &rec, false);
                }
            }
            rows.patch(no);
            write(tx, no, &[(&rows, 0)])?;
        }
        if !voids {
            continue;
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
