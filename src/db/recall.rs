//! `recall --db`: the recall report computed in PostgreSQL from the rows
//! derived at sync (docs/POSTGRES.md says which fields of the in-memory
//! report it holds). Every step is an indexed lookup or a recursive query
//! from the recalled lots; only the report's own rows reach the client.

use std::collections::HashMap;
use std::format;
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::derive::{class_of, mv, status_of};
use super::{Db, DbError, seq_u64};
use crate::model::{Date, Disposition, LedgerId, Timestamp};
use crate::query::{Amount, Decimal, Discrepancy, LotRef, MassBalance, Totals};

/// A lot in the recall's scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbRecallLot {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Production steps from the nearest recalled lot.
    pub depth: u32,
    /// The last status in force.
    pub status: Option<Disposition>,
    /// The expiry of the last production in force that made it.
    pub expiry: Option<Date>,
    /// What is left at the plant.
    pub on_hand: Totals,
    /// Recalls in this report, not closed, whose scope holds this lot.
    pub under_recall: Vec<String>,
}

/// One customer's holding of one lot in one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbRecallLine {
    /// The customer (the identity master data shows for its party).
    pub customer: String,
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// The unit.
    pub unit: String,
    /// Shipped.
    pub shipped: Decimal,
    /// Returned.
    pub returned: Decimal,
    /// Retrieved by recall actions.
    pub retrieved: Decimal,
    /// shipped − returned − retrieved, at least zero.
    pub outstanding: Decimal,
    /// What came back beyond what was shipped.
    pub over_returned: Decimal,
    /// Ship-to locations of this lot at this customer, first use first.
    pub ship_to: Vec<String>,
    /// Orders that carried this lot to this customer, first use first.
    pub orders: Vec<String>,
    /// The first notification of the customer by a recall of this report.
    pub notified_at: Option<Timestamp>,
}

/// One shipment of an affected lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbShipment {
    /// The order.
    pub order: String,
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// How much.
    pub quantity: Decimal,
    /// The unit.
    pub unit: String,
    /// The entry time.
    pub shipped_at: Timestamp,
    /// The ship-to location; none for the main address.
    pub ship_to: Option<String>,
    /// The first delivery confirmation in force for this customer and order.
    pub delivered_at: Option<Timestamp>,
    /// The entry's ledger.
    pub ledger: LedgerId,
    /// The entry's sequence number.
    pub seq: u64,
}

/// A customer holding affected lots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbRecallCustomer {
    /// The customer.
    pub customer: String,
    /// Ship-to locations used, in text order.
    pub ship_to: Vec<String>,
    /// Whether a shipment went to the main address.
    pub main_address: bool,
    /// Shipped over all affected lots.
    pub shipped: Totals,
    /// Returned.
    pub returned: Totals,
    /// Retrieved.
    pub retrieved: Totals,
    /// The sum of each line's outstanding.
    pub outstanding: Totals,
    /// The sum of each line's over-returned.
    pub over_returned: Totals,
    /// Whether a recall of this report notified them.
    pub notified: bool,
    /// Every such notification, in time order.
    pub notified_at: Vec<Timestamp>,
    /// Their shipments of affected lots, in (ledger, seq) order.
    pub shipments: Vec<DbShipment>,
}

/// An opened recall touching the scope, and how far it has got: the
/// in-memory report's row, with `notified` in the order of the first
/// notification and `not_notified` in text order.
pub type DbRecallProgress = crate::query::RecallProgress;

/// The recall report computed in the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbRecall {
    /// The lots recalled.
    pub recalled: Vec<LotRef>,
    /// The scope: those lots and every lot made from them, by depth, item, lot.
    pub lots: Vec<DbRecallLot>,
    /// The customers, in text order.
    pub customers: Vec<DbRecallCustomer>,
    /// Per customer, lot and unit, by customer, item, lot, unit.
    pub customer_lots: Vec<DbRecallLine>,
    /// The mass balance of each lot of the scope, in scope order.
    pub balances: Vec<MassBalance>,
    /// Recalls opened on the scope, by number.
    pub recalls: Vec<DbRecallProgress>,
    /// Goods shipped by container or serial (kind 22 entries in force in
    /// the database): their quantities are not in this report.
    pub unit_shipments_not_counted: u64,
}

/// (item, lot) pairs as two text arrays, the query parameters.
fn arrays(lots: &[(String, String)]) -> (Vec<&str>, Vec<&str>) {
    lots.iter().map(|(i, l)| (i.as_str(), l.as_str())).unzip()
}

fn parse_sum(text: &str) -> i128 {
    text.parse().unwrap_or(0)
}

fn add(sums: &mut Vec<(String, i128)>, unit: &str, v: i128) {
    match sums.iter_mut().find(|(u, _)| u == unit) {
        Some((_, s)) => *s = s.saturating_add(v),
        None => sums.push((unit.into(), v)),
    }
}

fn totals(sums: &[(String, i128)]) -> Totals {
    let mut a: Vec<Amount> =
        sums.iter().map(|(u, v)| Amount { quantity: Decimal(*v), unit: u.clone() }).collect();
    a.sort_by(|x, y| x.unit.cmp(&y.unit));
    Totals(a)
}

const NOT_VOID_M: &str = "NOT EXISTS (SELECT 1 FROM lotledger.voided v WHERE v.ledger_no = m.ledger_no AND v.seq = m.seq)";

/// Per-unit sums: (unit, value at scale 9).
type Sums = Vec<(String, i128)>;

/// An opening in force: (ledger_no, seq, time, number, class).
type Opening = (i32, i64, i64, String, i16);

/// Per (customer, item, lot, unit): shipped, returned, retrieved.
type Holding = ((String, String, String, String), [i128; 3]);

impl Db {
    /// The lots reached from `seeds` through production links in force
    /// (forward or backward), each with its fewest steps, by depth, item,
    /// lot.
    fn closure(
        &mut self,
        seeds: &[(String, String)],
        forward: bool,
    ) -> Result<Vec<(String, String, u32)>, DbError> {
        let (from, to) = if forward { ("in", "out") } else { ("out", "in") };
        let sql = format!(
            "WITH RECURSIVE walk(item, lot, depth) AS (
                 SELECT s.item, s.lot, 0 FROM unnest($1::text[], $2::text[]) AS s(item, lot)
                 UNION
                 SELECT l.{to}_item, l.{to}_lot, w.depth + 1
                 FROM walk w JOIN lotledger.lot_links l
                   ON l.{from}_item = w.item AND l.{from}_lot = w.lot
                 WHERE w.depth < 10000
                   AND NOT EXISTS (SELECT 1 FROM lotledger.voided v
                                   WHERE v.ledger_no = l.ledger_no AND v.seq = l.seq))
             SELECT item, lot, min(depth) FROM walk GROUP BY item, lot ORDER BY 3, 1, 2"
        );
        let (items, codes) = arrays(seeds);
        Ok(self
            .client
            .query(sql.as_str(), &[&items, &codes])?
            .iter()
            .map(|r| (r.get(0), r.get(1), u32::try_from(r.get::<_, i32>(2)).unwrap_or(0)))
            .collect())
    }

    /// Whether any derived row names the lot.
    fn lot_known(&mut self, item: &str, lot: &str) -> Result<bool, DbError> {
        Ok(self
            .client
            .query_opt(
                "SELECT 1 WHERE EXISTS (SELECT 1 FROM lotledger.lot_moves WHERE item = $1 AND lot = $2)
                 OR EXISTS (SELECT 1 FROM lotledger.lot_links WHERE in_item = $1 AND in_lot = $2)
                 OR EXISTS (SELECT 1 FROM lotledger.lot_links WHERE out_item = $1 AND out_lot = $2)
                 OR EXISTS (SELECT 1 FROM lotledger.dispositions WHERE item = $1 AND lot = $2)
                 OR EXISTS (SELECT 1 FROM lotledger.recall_lots WHERE item = $1 AND lot = $2)",
                &[&item, &lot],
            )?
            .is_some())
    }

    /// Per (customer, item, lot, unit) of `lots`: shipped, returned and
    /// retrieved, customers shown as master data shows their party.
    fn holdings(&mut self, lots: &[(String, String)]) -> Result<Vec<Holding>, DbError> {
        let (items, codes) = arrays(lots);
        let sql = format!(
            "SELECT lotledger.shown_party(m.party), m.item, m.lot, m.unit,
                    trunc(coalesce(sum(lotledger.qty(m.amount, m.scale)) FILTER (WHERE m.move = {s}), 0))::text,
                    trunc(coalesce(sum(lotledger.qty(m.amount, m.scale)) FILTER (WHERE m.move = {r}), 0))::text,
                    trunc(coalesce(sum(lotledger.qty(m.amount, m.scale)) FILTER (WHERE m.move = {t}), 0))::text
             FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS s(item, lot)) s
             JOIN lotledger.lot_moves m ON m.item = s.item AND m.lot = s.lot
             WHERE m.move IN ({s}, {r}, {t}) AND {NOT_VOID_M}
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            s = mv::SHIPPED,
            r = mv::RETURNED,
            t = mv::RETRIEVED,
        );
        Ok(self
            .client
            .query(sql.as_str(), &[&items, &codes])?
            .iter()
            .map(|r| {
                let key = (r.get(0), r.get(1), r.get(2), r.get(3));
                let v = [parse_sum(r.get(4)), parse_sum(r.get(5)), parse_sum(r.get(6))];
                (key, v)
            })
            .collect())
    }

    /// The openings in force (the last one not void of each number) that
    /// name any of `lots`, by number: (ledger_no, seq, time, number, class).
    fn recalls_naming(&mut self, lots: &[(String, String)]) -> Result<Vec<Opening>, DbError> {
        let (items, codes) = arrays(lots);
        let rows = self.client.query(
            "WITH named AS (SELECT DISTINCT r.number FROM lotledger.recall_lots rl
                            JOIN lotledger.recalls r ON r.ledger_no = rl.ledger_no AND r.seq = rl.seq
                            JOIN unnest($1::text[], $2::text[]) AS s(item, lot)
                              ON rl.item = s.item AND rl.lot = s.lot),
                  inforce AS (SELECT DISTINCT ON (r.number) r.ledger_no, r.seq, r.time_ms, r.number, r.class
                              FROM lotledger.recalls r JOIN named USING (number)
                              WHERE NOT EXISTS (SELECT 1 FROM lotledger.voided v
                                                WHERE v.ledger_no = r.ledger_no AND v.seq = r.seq)
                              ORDER BY r.number, r.ledger_no DESC, r.seq DESC)
             SELECT i.ledger_no, i.seq, i.time_ms, i.number, i.class FROM inforce i
             WHERE EXISTS (SELECT 1 FROM lotledger.recall_lots rl
                           JOIN unnest($1::text[], $2::text[]) AS s(item, lot)
                             ON rl.item = s.item AND rl.lot = s.lot
                           WHERE rl.ledger_no = i.ledger_no AND rl.seq = i.seq)
             ORDER BY i.number",
            &[&items, &codes],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect())
    }

    /// The lots an opening names, in its order.
    fn recall_lots(&mut self, no: i32, seq: i64) -> Result<Vec<(String, String)>, DbError> {
        Ok(self
            .client
            .query(
                "SELECT item, lot FROM lotledger.recall_lots WHERE ledger_no = $1 AND seq = $2 \
                 ORDER BY pos",
                &[&no, &seq],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    /// The recall report for the lots the recall `number` names (its
    /// opening in force).
    ///
    /// # Errors
    /// [`DbError::UnknownRecall`]; [`DbError::Postgres`].
    pub fn recall_by_number(&mut self, number: &str) -> Result<DbRecall, DbError> {
        let row = self.client.query_opt(
            "SELECT r.ledger_no, r.seq FROM lotledger.recalls r WHERE r.number = $1
               AND NOT EXISTS (SELECT 1 FROM lotledger.voided v
                               WHERE v.ledger_no = r.ledger_no AND v.seq = r.seq)
             ORDER BY r.ledger_no DESC, r.seq DESC LIMIT 1",
            &[&number],
        )?;
        let Some(row) = row else { return Err(DbError::UnknownRecall(number.into())) };
        let lots = self.recall_lots(row.get(0), row.get(1))?;
        self.recall_report(&lots)
    }

    /// The recall report for `lots` ((item, lot) pairs), computed in the
    /// database: the scope with depths, status, expiry and stock; per
    /// customer the shipments with orders, ship-to and delivery, shipped,
    /// returned, retrieved and outstanding quantities; mass balances; the
    /// recalls opened on the scope with their progress.
    ///
    /// # Errors
    /// [`DbError::UnknownLot`] for a lot no derived row names;
    /// [`DbError::Postgres`].
    pub fn recall(&mut self, lots: &[(String, String)]) -> Result<DbRecall, DbError> {
        for (item, lot) in lots {
            if !self.lot_known(item, lot)? {
                return Err(DbError::UnknownLot(format!("{item}/{lot}")));
            }
        }
        self.recall_report(lots)
    }

    #[expect(clippy::too_many_lines, reason = "one report, assembled in steps")]
    fn recall_report(&mut self, seeds: &[(String, String)]) -> Result<DbRecall, DbError> {
        let scope = self.closure(seeds, true)?;
        let scope_lots: Vec<(String, String)> =
            scope.iter().map(|(i, l, _)| (i.clone(), l.clone())).collect();
        let (items, codes) = arrays(&scope_lots);

        // Recalls touching the scope: naming a lot of it, or a lot the
        // seeds were made from (whose scope then holds a seed).
        let mut touching = scope_lots.clone();
        for (i, l, _) in self.closure(seeds, false)? {
            if !touching.iter().any(|(a, b)| *a == i && *b == l) {
                touching.push((i, l));
            }
        }
        let openings = self.recalls_naming(&touching)?;
        let numbers: Vec<&str> = openings.iter().map(|o| o.3.as_str()).collect();

        // Notifications by those recalls, per customer, in time order.
        let mut notified: HashMap<String, Vec<Timestamp>> = HashMap::new();
        for r in self.client.query(
            "SELECT lotledger.shown_party(a.customer), a.time_ms FROM lotledger.recall_actions a
             WHERE a.number = ANY($1) AND a.action = 1
               AND NOT EXISTS (SELECT 1 FROM lotledger.voided v
                               WHERE v.ledger_no = a.ledger_no AND v.seq = a.seq)",
            &[&numbers],
        )? {
            notified.entry(r.get(0)).or_default().push(Timestamp(r.get(1)));
        }
        for t in notified.values_mut() {
            t.sort_unstable();
        }

        // Shipments of the scope with their delivery confirmation.
        let sql = format!(
            "SELECT c.customer, m.ord, m.item, m.lot, trunc(lotledger.qty(m.amount, m.scale))::text,
                    m.unit, m.time_ms, m.ship_to, g.ledger_id, m.seq,
                    (SELECT d.time_ms FROM lotledger.deliveries d
                     WHERE d.ord = m.ord
                       AND NOT EXISTS (SELECT 1 FROM lotledger.voided v
                                       WHERE v.ledger_no = d.ledger_no AND v.seq = d.seq)
                       AND lotledger.shown_party(d.customer) = c.customer
                     ORDER BY d.ledger_no, d.seq LIMIT 1)
             FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS s(item, lot)) s
             JOIN lotledger.lot_moves m ON m.item = s.item AND m.lot = s.lot
             JOIN lotledger.ledgers g ON g.ledger_no = m.ledger_no
             CROSS JOIN LATERAL (SELECT lotledger.shown_party(m.party) AS customer) c
             WHERE m.move = {} AND {NOT_VOID_M}
             ORDER BY g.ledger_id, m.seq",
            mv::SHIPPED
        );
        let mut shipments: HashMap<String, Vec<DbShipment>> = HashMap::new();
        for r in self.client.query(sql.as_str(), &[&items, &codes])? {
            let id: Vec<u8> = r.get(8);
            shipments.entry(r.get(0)).or_default().push(DbShipment {
                order: r.get(1),
                item: r.get(2),
                lot: r.get(3),
                quantity: Decimal(parse_sum(r.get(4))),
                unit: r.get(5),
                shipped_at: Timestamp(r.get(6)),
                ship_to: r.get(7),
                delivered_at: r.get::<_, Option<i64>>(10).map(Timestamp),
                ledger: <[u8; 16]>::try_from(id.as_slice()).map(LedgerId).unwrap_or_default(),
                seq: seq_u64(r.get(9)),
            });
        }

        // Per customer, lot and unit.
        let held = self.holdings(&scope_lots)?;
        let mut customer_lots = Vec::with_capacity(held.len());
        let mut per_customer: Vec<(String, [Sums; 5])> = Vec::new();
        for ((c, item, lot, unit), [s, r, t]) in &held {
            let (out, over) = ((s - r - t).max(0), (r + t - s).max(0));
            let (mut tos, mut orders) = (Vec::new(), Vec::new());
            for sh in shipments.get(c).into_iter().flatten() {
                if sh.item == *item && sh.lot == *lot {
                    if let Some(to) = &sh.ship_to
                        && !tos.contains(to)
                    {
                        tos.push(to.clone());
                    }
                    if !orders.contains(&sh.order) {
                        orders.push(sh.order.clone());
                    }
                }
            }
            customer_lots.push(DbRecallLine {
                customer: c.clone(),
                item: item.clone(),
                lot: lot.clone(),
                unit: unit.clone(),
                shipped: Decimal(*s),
                returned: Decimal(*r),
                retrieved: Decimal(*t),
                outstanding: Decimal(out),
                over_returned: Decimal(over),
                ship_to: tos,
                orders,
                notified_at: notified.get(c).and_then(|t| t.first().copied()),
            });
            if per_customer.last().is_none_or(|(last, _)| last != c) {
                per_customer.push((c.clone(), Default::default()));
            }
            if let Some((_, sums)) = per_customer.last_mut() {
                for (sum, v) in sums.iter_mut().zip([*s, *r, *t, out]) {
                    add(sum, unit, v);
                }
                if over > 0 {
                    add(&mut sums[4], unit, over);
                }
            }
        }
        let customers = per_customer
            .into_iter()
            .map(|(c, [s, r, t, out, over])| {
                let list = shipments.remove(&c).unwrap_or_default();
                let mut tos: Vec<String> = list.iter().filter_map(|s| s.ship_to.clone()).collect();
                tos.sort();
                tos.dedup();
                DbRecallCustomer {
                    ship_to: tos,
                    main_address: list.iter().any(|s| s.ship_to.is_none()),
                    shipped: totals(&s),
                    returned: totals(&r),
                    retrieved: totals(&t),
                    outstanding: totals(&out),
                    over_returned: totals(&over),
                    notified: notified.contains_key(&c),
                    notified_at: notified.get(&c).cloned().unwrap_or_default(),
                    shipments: list,
                    customer: c,
                }
            })
            .collect();

        // Mass balances, status and expiry of each lot of the scope.
        let sql = format!(
            "SELECT m.item, m.lot, m.move, m.unit, trunc(sum(lotledger.qty(m.amount, m.scale)))::text
             FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS s(item, lot)) s
             JOIN lotledger.lot_moves m ON m.item = s.item AND m.lot = s.lot
             WHERE {NOT_VOID_M}
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        );
        let mut moves: HashMap<(String, String), [Sums; 7]> = HashMap::new();
        for r in self.client.query(sql.as_str(), &[&items, &codes])? {
            let m: i16 = r.get(2);
            let sums = moves.entry((r.get(0), r.get(1))).or_default();
            if let Some(s) = usize::try_from(m - 1).ok().and_then(|i| sums.get_mut(i)) {
                add(s, r.get(3), parse_sum(r.get(4)));
            }
        }
        let mut status: HashMap<(String, String), Disposition> = HashMap::new();
        for r in self.client.query(
            "SELECT DISTINCT ON (d.item, d.lot) d.item, d.lot, d.status
             FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS s(item, lot)) s
             JOIN lotledger.dispositions d ON d.item = s.item AND d.lot = s.lot
             WHERE NOT EXISTS (SELECT 1 FROM lotledger.voided v
                               WHERE v.ledger_no = d.ledger_no AND v.seq = d.seq)
             ORDER BY d.item, d.lot, d.ledger_no DESC, d.seq DESC",
            &[&items, &codes],
        )? {
            if let Some(s) = status_of(r.get(2)) {
                status.insert((r.get(0), r.get(1)), s);
            }
        }
        let sql = format!(
            "SELECT DISTINCT ON (m.item, m.lot) m.item, m.lot, m.expiry
             FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS s(item, lot)) s
             JOIN lotledger.lot_moves m ON m.item = s.item AND m.lot = s.lot
             WHERE m.move = {} AND m.expiry IS NOT NULL AND {NOT_VOID_M}
             ORDER BY m.item, m.lot, m.ledger_no DESC, m.seq DESC",
            mv::PRODUCED
        );
        let mut expiry: HashMap<(String, String), Date> = HashMap::new();
        for r in self.client.query(sql.as_str(), &[&items, &codes])? {
            expiry.insert((r.get(0), r.get(1)), Date(r.get(2)));
        }
        let balances: Vec<MassBalance> = scope_lots
            .iter()
            .map(|key| {
                let [received, produced, consumed, shipped, returned, retrieved, destroyed] =
                    moves.remove(key).unwrap_or_default();
                let mut on_hand: Vec<(String, i128)> = Vec::new();
                for (sums, sign) in [
                    (&received, 1),
                    (&produced, 1),
                    (&returned, 1),
                    (&retrieved, 1),
                    (&consumed, -1),
                    (&shipped, -1),
                    (&destroyed, -1),
                ] {
                    for (u, v) in sums {
                        add(&mut on_hand, u, v.saturating_mul(sign));
                    }
                }
                on_hand.sort();
                let mut discrepancies = Vec::new();
                for (u, v) in &on_hand {
                    if *v < 0 {
                        discrepancies.push(Discrepancy::NegativeOnHand {
                            unit: u.clone(),
                            on_hand: Decimal(*v),
                        });
                    }
                }
                if on_hand.len() > 1 {
                    discrepancies.push(Discrepancy::MixedUnits);
                }
                let sourced = !(received.is_empty() && produced.is_empty());
                let used = !(consumed.is_empty() && shipped.is_empty() && destroyed.is_empty());
                if used && !sourced {
                    discrepancies.push(Discrepancy::NoSource);
                }
                for ((c, item, lot, unit), [s, r, t]) in &held {
                    if (item, lot) == (&key.0, &key.1) && s - r - t < 0 {
                        discrepancies.push(Discrepancy::MoreBackThanShipped {
                            customer: c.clone(),
                            unit: unit.clone(),
                        });
                    }
                }
                MassBalance {
                    item: key.0.clone(),
                    lot: key.1.clone(),
                    received: totals(&received),
                    produced: totals(&produced),
                    returned: totals(&returned),
                    retrieved: totals(&retrieved),
                    consumed: totals(&consumed),
                    shipped: totals(&shipped),
                    destroyed: totals(&destroyed),
                    on_hand: totals(&on_hand),
                    discrepancies,
                }
            })
            .collect();

        // Each recall's progress over its own scope.
        let mut recalls = Vec::with_capacity(openings.len());
        let mut open_scopes: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for (no, seq, time, number, class) in &openings {
            let lots = self.recall_lots(*no, *seq)?;
            let own: Vec<(String, String)> =
                self.closure(&lots, true)?.into_iter().map(|(i, l, _)| (i, l)).collect();
            let held = self.holdings(&own)?;
            let mut in_scope: Vec<String> = Vec::new();
            let (mut outstanding, mut over_returned) = (Vec::new(), Vec::new());
            for ((c, _, _, unit), [s, r, t]) in &held {
                if *s > 0 && !in_scope.contains(c) {
                    in_scope.push(c.clone());
                }
                add(&mut outstanding, unit, (s - r - t).max(0));
                let over = (r + t - s).max(0);
                if over > 0 {
                    add(&mut over_returned, unit, over);
                }
            }
            let mut told: Vec<String> = Vec::new();
            let mut retrieved = Vec::new();
            let mut closed_at = None;
            for r in self.client.query(
                "SELECT a.action, lotledger.shown_party(a.customer), a.time_ms, a.unit,
                        trunc(lotledger.qty(a.amount, a.scale))::text
                 FROM lotledger.recall_actions a WHERE a.number = $1
                   AND NOT EXISTS (SELECT 1 FROM lotledger.voided v
                                   WHERE v.ledger_no = a.ledger_no AND v.seq = a.seq)
                 ORDER BY a.ledger_no, a.seq",
                &[number],
            )? {
                match r.get::<_, i16>(0) {
                    1 => {
                        let c: Option<String> = r.get(1);
                        if let Some(c) = c
                            && !told.contains(&c)
                        {
                            told.push(c);
                        }
                    }
                    2 => {
                        let (u, q): (Option<String>, Option<String>) = (r.get(3), r.get(4));
                        add(&mut retrieved, &u.unwrap_or_default(), q.map_or(0, |q| parse_sum(&q)));
                    }
                    _ => closed_at = Some(Timestamp(r.get(2))),
                }
            }
            let mut not_notified: Vec<String> =
                in_scope.iter().filter(|c| !told.contains(c)).cloned().collect();
            not_notified.sort();
            if closed_at.is_none() {
                open_scopes.push((number.clone(), own));
            }
            recalls.push(DbRecallProgress {
                recall: number.clone(),
                class: class_of(*class),
                opened_at: Timestamp(*time),
                lots: lots
                    .iter()
                    .map(|(item, lot)| LotRef { item: item.clone(), lot: lot.clone() })
                    .collect(),
                customers: in_scope.len(),
                notified: told,
                not_notified,
                retrieved: totals(&retrieved),
                outstanding: totals(&outstanding),
                over_returned: totals(&over_returned),
                closed_at,
            });
        }

        let lots = scope
            .iter()
            .zip(&balances)
            .map(|((item, lot, depth), b)| {
                let key = (item.clone(), lot.clone());
                DbRecallLot {
                    item: item.clone(),
                    lot: lot.clone(),
                    depth: *depth,
                    status: status.get(&key).copied(),
                    expiry: expiry.get(&key).copied(),
                    on_hand: b.on_hand.clone(),
                    under_recall: open_scopes
                        .iter()
                        .filter(|(_, s)| s.contains(&key))
                        .map(|(n, _)| n.clone())
                        .collect(),
                }
            })
            .collect();
        let unit_shipments: i64 = self
            .client
            .query_one(
                "SELECT count(*) FROM lotledger.unit_shipments u
                 WHERE NOT EXISTS (SELECT 1 FROM lotledger.voided v
                                   WHERE v.ledger_no = u.ledger_no AND v.seq = u.seq)",
                &[],
            )?
            .get(0);
        Ok(DbRecall {
            recalled: seeds
                .iter()
                .map(|(item, lot)| LotRef { item: item.clone(), lot: lot.clone() })
                .collect(),
            lots,
            customers,
            customer_lots,
            balances,
            recalls,
            unit_shipments_not_counted: u64::try_from(unit_shipments).unwrap_or(0),
        })
    }
}
