//! Recall scope: affected lots, the customers holding them, mass balance,
//! and how far an open recall has got.
//!
//! Outstanding at a customer = shipped − returned − retrieved (by a recall
//! action), per lot and unit, and never below zero: what a customer gave
//! back beyond what was shipped to them is reported apart, as
//! `over_returned` (and flagged in the lot's mass balance), so it never
//! cancels another customer's or another lot's stock in a total. On hand at the plant = received + produced +
//! returned + retrieved − consumed − shipped − destroyed.

use std::collections::{HashMap, HashSet};
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::{
    Decimal, LotRef, PartyDetails, QueryError, SerialRun, Sums, Totals, View, find_row, lot_numbers,
};
use crate::index::{ActionKind, EntryPlace, Index};
use crate::model::{Date, Disposition, LotId, RecallClass, RecordKind, Reference, Timestamp};

/// A lot in a recall's scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedLot {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Production steps from the nearest recalled lot (0: named in the recall).
    pub depth: u32,
    /// The current status.
    pub status: Option<Disposition>,
    /// The expiry date, if any.
    pub expiry: Option<Date>,
    /// The quantity still at the plant.
    pub on_hand: Totals,
    /// Recalls in force and not closed whose scope holds this lot.
    pub under_recall: Vec<String>,
}

/// Something in a mass balance that does not add up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Discrepancy {
    /// More left the lot than came in.
    NegativeOnHand {
        /// The unit.
        unit: String,
        /// The (negative) balance.
        on_hand: Decimal,
    },
    /// The lot's records use more than one unit; sums are kept apart.
    MixedUnits,
    /// The lot was used, shipped or destroyed but never received or produced.
    NoSource,
    /// A customer returned more of the lot than was shipped to them.
    MoreBackThanShipped {
        /// The customer.
        customer: String,
        /// The unit.
        unit: String,
    },
}

impl core::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NegativeOnHand { unit, on_hand } => {
                write!(f, "negative on hand ({on_hand} {unit})")
            }
            Self::MixedUnits => f.write_str("mixed units"),
            Self::NoSource => f.write_str("never received or produced"),
            Self::MoreBackThanShipped { customer, unit } => {
                write!(f, "more back from {customer} than shipped ({unit})")
            }
        }
    }
}

/// The mass balance of one lot, per unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MassBalance {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Received from suppliers.
    pub received: Totals,
    /// Produced (as a production output).
    pub produced: Totals,
    /// Returned by customers.
    pub returned: Totals,
    /// Retrieved from customers by recall actions.
    pub retrieved: Totals,
    /// Consumed (as a production input).
    pub consumed: Totals,
    /// Shipped to customers.
    pub shipped: Totals,
    /// Destroyed.
    pub destroyed: Totals,
    /// What is left: in − out.
    pub on_hand: Totals,
    /// What does not add up; empty when the lot balances.
    pub discrepancies: Vec<Discrepancy>,
}

/// One shipment of an affected lot to a customer, as the recall report
/// lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecallShipment {
    /// The sales order.
    pub order: String,
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// How much.
    pub quantity: Decimal,
    /// The unit.
    pub unit: String,
    /// When it was shipped (the entry time).
    pub shipped_at: Timestamp,
    /// The ship-to location; none for the customer's main address.
    pub ship_to: Option<String>,
    /// When the customer confirmed delivery of the order (the first
    /// `delivered` record in force for this customer and order); none
    /// while it is in transit, as far as the records say.
    pub delivered_at: Option<Timestamp>,
    /// Where the shipment is recorded.
    pub place: EntryPlace,
}

/// One customer's holding of one lot, in one unit (a CSV row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerLotLine {
    /// The customer.
    pub customer: String,
    /// The customer's name from master data; none without it.
    pub customer_name: Option<String>,
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// The unit.
    pub unit: String,
    /// Shipped to the customer.
    pub shipped: Decimal,
    /// Returned by the customer.
    pub returned: Decimal,
    /// Retrieved from the customer by recall actions.
    pub retrieved: Decimal,
    /// Still in the customer's hands: shipped − returned − retrieved, or
    /// zero when more came back.
    pub outstanding: Decimal,
    /// What came back beyond what was shipped (returned + retrieved −
    /// shipped, when positive).
    pub over_returned: Decimal,
    /// The ship-to locations this lot went to at this customer (empty:
    /// only the main address).
    pub ship_to: Vec<String>,
    /// The sales orders that carried this lot to this customer, in entry order.
    pub orders: Vec<String>,
    /// When a recall in this report first recorded notifying the
    /// customer; none if none did.
    pub notified_at: Option<Timestamp>,
    /// Containers (SSCCs, cases) shipped to the customer that held goods of
    /// this lot (on the customer's first line of the lot).
    pub containers: Vec<String>,
    /// The serials of this lot shipped to the customer, compressed into
    /// runs of consecutive serials (on the customer's first line of the lot).
    pub serials: Vec<SerialRun>,
}

/// A customer who received affected lots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecallCustomer {
    /// The customer.
    pub customer: String,
    /// What master data says of them: name, main address, first contact
    /// (`master_data: false` when nothing describes them: no one to call).
    pub customer_details: PartyDetails,
    /// Ship-to locations used (empty: only the main address).
    pub ship_to: Vec<String>,
    /// Whether any shipment went to the main address (no ship-to).
    pub main_address: bool,
    /// Shipped, over all affected lots.
    pub shipped: Totals,
    /// Returned.
    pub returned: Totals,
    /// Retrieved by recall actions.
    pub retrieved: Totals,
    /// Still in the customer's hands: the sum of each lot's outstanding,
    /// each at least zero.
    pub outstanding: Totals,
    /// What came back beyond what was shipped, summed over lots.
    pub over_returned: Totals,
    /// Whether a recall in this report recorded notifying them.
    pub notified: bool,
    /// Every notification of them recorded by a recall in this report, in
    /// time order.
    pub notified_at: Vec<Timestamp>,
    /// Each shipment of an affected lot to them, in entry order, with its
    /// order, date, ship-to and delivery confirmation.
    pub shipments: Vec<RecallShipment>,
    /// Their open complaints (registration in force, not closed or
    /// archived) that name an affected lot. A customer not notified with
    /// an open complaint here is the first one to call.
    pub open_complaints: Vec<String>,
}

/// How far a recall has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecallProgress {
    /// The recall number.
    pub recall: String,
    /// Its class.
    pub class: RecallClass,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// The lots it names.
    pub lots: Vec<LotRef>,
    /// Customers who received any lot in its scope.
    pub customers: usize,
    /// Customers notified so far.
    pub notified: Vec<String>,
    /// Customers in scope not yet notified.
    pub not_notified: Vec<String>,
    /// Quantity retrieved so far.
    pub retrieved: Totals,
    /// Quantity still in the field in its scope: the sum over customers
    /// and lots of each outstanding, each at least zero.
    pub outstanding: Totals,
    /// What came back beyond what was shipped, summed apart.
    pub over_returned: Totals,
    /// When it was closed, if it was.
    pub closed_at: Option<Timestamp>,
}

/// Everything a recall investigator needs for one or more lots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecallReport {
    /// The lots the recall starts from.
    pub recalled: Vec<LotRef>,
    /// Those lots and every lot derived from them.
    pub lots: Vec<AffectedLot>,
    /// Customers who received affected lots, with quantities.
    pub customers: Vec<RecallCustomer>,
    /// The same per customer, lot and unit (CSV rows).
    pub customer_lots: Vec<CustomerLotLine>,
    /// The mass balance of each affected lot.
    pub balances: Vec<MassBalance>,
    /// Recalls already opened on any of these lots, with their progress.
    pub recalls: Vec<RecallProgress>,
    /// Customers in `customers` without master data: there is no name,
    /// address or contact to reach them by.
    pub without_master_data: Vec<String>,
}

#[derive(Default)]
struct Balance {
    received: Sums,
    produced: Sums,
    returned: Sums,
    retrieved: Sums,
    consumed: Sums,
    shipped: Sums,
    destroyed: Sums,
}

#[derive(Default, Clone, Copy)]
struct Held {
    shipped: i128,
    returned: i128,
    retrieved: i128,
}

impl Held {
    /// Still at the customer, never below zero.
    fn outstanding(self) -> i128 {
        (self.shipped - self.returned - self.retrieved).max(0)
    }

    /// Back beyond what was shipped, never below zero.
    fn over_returned(self) -> i128 {
        (self.returned + self.retrieved - self.shipped).max(0)
    }
}

impl View<'_> {
    fn balance(&self, lot: u32) -> Balance {
        let ix = self.ix;
        let mut b = Balance::default();
        for e in self.lot_events(lot, RecordKind::MaterialReceived) {
            if let Some(r) = find_row(&ix.receipts, |r| r.entry, e) {
                b.received.add(r.qty.unit, r.qty.normalized());
            }
        }
        for e in self.lot_events(lot, RecordKind::Returned) {
            if let Some(r) = find_row(&ix.returns, |r| r.entry, e) {
                b.returned.add(r.qty.unit, r.qty.normalized());
            }
        }
        for e in self.lot_events(lot, RecordKind::Destroyed) {
            if let Some(r) = find_row(&ix.destructions, |r| r.entry, e) {
                b.destroyed.add(r.qty.unit, r.qty.normalized());
            }
        }
        for e in self.lot_events(lot, RecordKind::RecallAction) {
            if let Some(ActionKind::Retrieved { lot: l, qty, .. }) =
                find_row(&ix.actions, |r| r.entry, e).map(|a| a.action)
                && l == lot
            {
                b.retrieved.add(qty.unit, qty.normalized());
            }
        }
        if let Some(node) = ix.lot_nodes.get(lot as usize) {
            for (_, p) in self.productions(&node.produced_by) {
                for lq in self.outputs(p).iter().filter(|lq| lq.lot == lot) {
                    b.produced.add(lq.qty.unit, lq.qty.normalized());
                }
            }
            for (_, p) in self.productions(&node.consumed_by) {
                for lq in self.inputs(p).iter().filter(|lq| lq.lot == lot) {
                    b.consumed.add(lq.qty.unit, lq.qty.normalized());
                }
            }
        }
        for s in self.shipments(lot) {
            b.shipped.add(s.unit, s.qty().normalized());
        }
        b
    }

    fn on_hand(b: &Balance) -> Sums {
        let mut s = Sums::default();
        for (sums, sign) in [
            (&b.received, 1),
            (&b.produced, 1),
            (&b.returned, 1),
            (&b.retrieved, 1),
            (&b.consumed, -1),
            (&b.shipped, -1),
            (&b.destroyed, -1),
        ] {
            s.add_all(sums, sign);
        }
        s
    }

    pub(crate) fn mass_balance_of(&self, lot: u32) -> MassBalance {
        let b = self.balance(lot);
        let on_hand = Self::on_hand(&b);
        let mut discrepancies = Vec::new();
        for &(u, v) in &on_hand.0 {
            if v < 0 {
                discrepancies
                    .push(Discrepancy::NegativeOnHand { unit: self.unit(u), on_hand: Decimal(v) });
            }
        }
        if on_hand.0.len() > 1 {
            discrepancies.push(Discrepancy::MixedUnits);
        }
        let sourced = !(b.received.0.is_empty() && b.produced.0.is_empty());
        let used = !(b.consumed.0.is_empty() && b.shipped.0.is_empty() && b.destroyed.0.is_empty());
        if used && !sourced {
            discrepancies.push(Discrepancy::NoSource);
        }
        for ((customer, unit), held) in self.holdings(&[lot]).1 {
            if held.shipped - held.returned - held.retrieved < 0 {
                discrepancies.push(Discrepancy::MoreBackThanShipped {
                    customer: self.party(customer),
                    unit: self.unit(unit),
                });
            }
        }
        let r = self.lot_ref(lot);
        MassBalance {
            item: r.item,
            lot: r.lot,
            received: self.totals(&b.received),
            produced: self.totals(&b.produced),
            returned: self.totals(&b.returned),
            retrieved: self.totals(&b.retrieved),
            consumed: self.totals(&b.consumed),
            shipped: self.totals(&b.shipped),
            destroyed: self.totals(&b.destroyed),
            on_hand: self.totals(&on_hand),
            discrepancies,
        }
    }

    /// Per (customer, lot, unit) holdings of `lots` in first-shipped order,
    /// and the same summed per (customer, unit) for the last lot only when
    /// one lot is given (used by the mass balance).
    #[expect(clippy::type_complexity, reason = "two views of one pass, private")]
    fn holdings(&self, lots: &[u32]) -> (Vec<((u32, u32, u32), Held)>, Vec<((u32, u32), Held)>) {
        let ix = self.ix;
        let mut order: HashMap<(u32, u32, u32), usize> = HashMap::new();
        let mut rows: Vec<((u32, u32, u32), Held)> = Vec::new();
        let mut slot = |key: (u32, u32, u32), rows: &mut Vec<((u32, u32, u32), Held)>| {
            let n = rows.len();
            let i = *order.entry(key).or_insert(n);
            if i == n {
                rows.push((key, Held::default()));
            }
            i
        };
        for &lot in lots {
            for s in self.shipments(lot) {
                let i = slot((self.who(s.customer), lot, s.unit), &mut rows);
                if let Some((_, h)) = rows.get_mut(i) {
                    h.shipped += s.qty().normalized();
                }
            }
            for e in self.lot_events(lot, RecordKind::Returned) {
                if let Some(r) = find_row(&ix.returns, |r| r.entry, e) {
                    let i = slot((self.who(r.from), lot, r.qty.unit), &mut rows);
                    if let Some((_, h)) = rows.get_mut(i) {
                        h.returned += r.qty.normalized();
                    }
                }
            }
            for e in self.lot_events(lot, RecordKind::RecallAction) {
                if let Some(ActionKind::Retrieved { customer, lot: l, qty }) =
                    find_row(&ix.actions, |r| r.entry, e).map(|a| a.action)
                    && l == lot
                {
                    let i = slot((self.who(customer), lot, qty.unit), &mut rows);
                    if let Some((_, h)) = rows.get_mut(i) {
                        h.retrieved += qty.normalized();
                    }
                }
            }
        }
        let per_customer = rows.iter().map(|&((c, _, u), h)| ((c, u), h)).collect();
        (rows, per_customer)
    }

    /// Outstanding per (customer, lot, unit) for `lots`.
    pub(crate) fn holdings_of(&self, lots: &[u32]) -> Vec<((u32, u32, u32), i128)> {
        let (rows, _) = self.holdings(lots);
        rows.into_iter().map(|(k, h)| (k, h.outstanding())).collect()
    }

    /// Whether recall number `number` has a closing action in force.
    fn recall_closed(&self, number: u32) -> bool {
        let ix = self.ix;
        ix.recall_actions.get(&number).is_some_and(|actions| {
            actions
                .iter()
                .filter_map(|&a| ix.actions.get(a as usize))
                .any(|a| matches!(a.action, ActionKind::Closed) && !ix.is_void(a.entry))
        })
    }

    fn progress(&self, row: &crate::index::RecallRow) -> RecallProgress {
        let ix = self.ix;
        let scope = self.closure(&row.lots, true);
        let lots: Vec<u32> = scope.lots.iter().map(|&(l, _)| l).collect();
        let (held, _) = self.holdings(&lots);
        let mut customers: Vec<u32> = Vec::new();
        let (mut outstanding, mut over_returned) = (Sums::default(), Sums::default());
        for &((c, _, u), h) in &held {
            if h.shipped > 0 && !customers.contains(&c) {
                customers.push(c);
            }
            outstanding.add(u, h.outstanding());
            if h.over_returned() > 0 {
                over_returned.add(u, h.over_returned());
            }
        }
        let mut notified: Vec<u32> = Vec::new();
        let mut retrieved = Sums::default();
        let mut closed_at = None;
        let actions = ix.recall_actions.get(&row.number).map(Vec::as_slice).unwrap_or_default();
        for a in actions.iter().filter_map(|&a| ix.actions.get(a as usize)) {
            if ix.is_void(a.entry) {
                continue;
            }
            match a.action {
                ActionKind::Notified { customer } => {
                    let customer = self.who(customer);
                    if !notified.contains(&customer) {
                        notified.push(customer);
                    }
                }
                ActionKind::Retrieved { qty, .. } => retrieved.add(qty.unit, qty.normalized()),
                ActionKind::Closed => closed_at = Some(ix.time(a.entry)),
            }
        }
        let not_notified =
            customers.iter().filter(|c| !notified.contains(c)).map(|&c| self.party(c)).collect();
        RecallProgress {
            recall: ix.refs.value(row.number).map(|r| r.as_str().into()).unwrap_or_default(),
            class: row.class,
            opened_at: ix.time(row.entry),
            lots: row.lots.iter().map(|&l| self.lot_ref(l)).collect(),
            customers: customers.len(),
            notified: notified.iter().map(|&c| self.party(c)).collect(),
            not_notified,
            retrieved: self.totals(&retrieved),
            outstanding: self.totals(&outstanding),
            over_returned: self.totals(&over_returned),
            closed_at,
        }
    }

    fn recall_report(&self, seeds: &[u32]) -> RecallReport {
        let ix = self.ix;
        let closure = self.closure(seeds, true);
        let lots: Vec<u32> = closure.lots.iter().map(|&(l, _)| l).collect();
        let in_scope: HashSet<u32> = lots.iter().copied().collect();
        // Recalls already opened that touch this scope.
        let recalls: Vec<&crate::index::RecallRow> = ix
            .recalls
            .iter()
            .filter(|r| ix.recall_in_force(r.number).is_some_and(|f| f.entry == r.entry))
            .filter(|r| {
                r.lots.iter().any(|l| in_scope.contains(l))
                    || self.closure(&r.lots, true).lots.iter().any(|(l, _)| seeds.contains(l))
            })
            .collect();
        let mut notified: HashMap<u32, Vec<Timestamp>> = HashMap::new();
        for r in &recalls {
            let actions = ix.recall_actions.get(&r.number).map(Vec::as_slice).unwrap_or_default();
            for a in actions.iter().filter_map(|&a| ix.actions.get(a as usize)) {
                if let ActionKind::Notified { customer } = a.action
                    && !ix.is_void(a.entry)
                {
                    notified.entry(self.who(customer)).or_default().push(ix.time(a.entry));
                }
            }
        }
        for times in notified.values_mut() {
            times.sort_unstable();
        }
        // The first delivery confirmation in force per (customer, order),
        // for the orders that carried an affected lot only: the ledger's
        // other deliveries are passed over without being kept.
        let mut delivered: HashMap<(u32, &str), Option<Timestamp>> = HashMap::new();
        for &l in &lots {
            for s in self.shipments(l) {
                let order = self.text_str(s.order).unwrap_or_default();
                delivered.insert((self.who(s.customer), order), None);
            }
        }
        if !delivered.is_empty() {
            for d in ix.deliveries.iter().filter(|d| !ix.is_void(d.entry)) {
                let order = self.text_str(d.order).unwrap_or_default();
                if let Some(at @ None) = delivered.get_mut(&(self.who(d.customer), order)) {
                    *at = Some(ix.time(d.entry));
                }
            }
        }
        let mut shipped_to: HashMap<u32, Vec<RecallShipment>> = HashMap::new();
        let mut lot_orders: HashMap<(u32, u32), (Vec<String>, Vec<String>)> = HashMap::new();
        for &l in &lots {
            let r = self.lot_ref(l);
            for s in self.shipments(l) {
                let customer = self.who(s.customer);
                let order = self.text_str(s.order).unwrap_or_default();
                let ship_to = self.location(s.ship_to);
                let (tos, orders) = lot_orders.entry((customer, l)).or_default();
                if let Some(to) = &ship_to
                    && !tos.contains(to)
                {
                    tos.push(to.clone());
                }
                if !orders.iter().any(|o| o == order) {
                    orders.push(order.into());
                }
                let Some(place) = ix.place(s.entry) else { continue };
                shipped_to.entry(customer).or_default().push(RecallShipment {
                    order: order.into(),
                    item: r.item.clone(),
                    lot: r.lot.clone(),
                    quantity: Decimal(s.qty().normalized()),
                    unit: self.unit(s.unit),
                    shipped_at: Timestamp(s.time),
                    ship_to,
                    delivered_at: delivered.get(&(customer, order)).copied().flatten(),
                    place,
                });
            }
        }
        for list in shipped_to.values_mut() {
            list.sort_by_key(|s| (s.place.ledger, s.place.seq));
        }
        // Open complaints naming an affected lot, per customer.
        let mut complaints: HashMap<u32, Vec<String>> = HashMap::new();
        for &l in &lots {
            for e in self.lot_events(l, RecordKind::ComplaintRegistered) {
                let Some(c) = find_row(&ix.complaints, |c| c.entry, e) else { continue };
                let in_force = ix.complaint_in_force(c.number).is_some_and(|f| f.entry == e);
                if in_force && c.customer != crate::index::NONE && self.complaint_open(c) {
                    let number = ix.refs.value(c.number).map(|n| n.as_str().into());
                    let list = complaints.entry(self.who(c.customer)).or_default();
                    if let Some(n) = number
                        && !list.contains(&n)
                    {
                        list.push(n);
                    }
                }
            }
        }
        let (held, _) = self.holdings(&lots);
        let mut customer_order: Vec<u32> = Vec::new();
        let mut per_customer: HashMap<u32, [Sums; 5]> = HashMap::new();
        let mut customer_lots = Vec::with_capacity(held.len());
        let mut units = self.units_received(&lots);
        for &((c, l, u), h) in &held {
            if !customer_order.contains(&c) {
                customer_order.push(c);
            }
            let sums = per_customer.entry(c).or_default();
            let (out, over) = (h.outstanding(), h.over_returned());
            for (s, v) in sums.iter_mut().zip([h.shipped, h.returned, h.retrieved, out]) {
                s.add(u, v);
            }
            if let Some(over_sum) = sums.get_mut(4)
                && over > 0
            {
                over_sum.add(u, over);
            }
            let r = self.lot_ref(l);
            let (ship_to, orders) = lot_orders.get(&(c, l)).cloned().unwrap_or_default();
            customer_lots.push(CustomerLotLine {
                customer: self.party(c),
                customer_name: self.party_display_name(c),
                item: r.item,
                lot: r.lot,
                unit: self.unit(u),
                shipped: Decimal(h.shipped),
                returned: Decimal(h.returned),
                retrieved: Decimal(h.retrieved),
                outstanding: Decimal(out),
                over_returned: Decimal(over),
                ship_to,
                orders,
                notified_at: notified.get(&c).and_then(|t| t.first().copied()),
                containers: units
                    .get_mut(&(c, l))
                    .map(|u| core::mem::take(&mut u.containers))
                    .unwrap_or_default(),
                serials: units
                    .get_mut(&(c, l))
                    .map(|u| core::mem::take(&mut u.serials))
                    .unwrap_or_default(),
            });
        }
        let mut ship_tos: HashMap<u32, (Vec<u32>, bool)> = HashMap::new();
        for &l in &lots {
            for s in self.shipments(l) {
                let (list, main) = ship_tos.entry(self.who(s.customer)).or_default();
                if s.ship_to == crate::index::NONE {
                    *main = true;
                } else if !list.contains(&s.ship_to) {
                    list.push(s.ship_to);
                }
            }
        }
        let customers = customer_order
            .iter()
            .map(|&c| {
                let sums = per_customer.remove(&c).unwrap_or_default();
                let [shipped, returned, retrieved, outstanding, over_returned] = sums;
                let (locs, main_address) = ship_tos.remove(&c).unwrap_or_default();
                RecallCustomer {
                    customer: self.party(c),
                    customer_details: self.party_details(c),
                    ship_to: locs.iter().filter_map(|&l| self.location(l)).collect(),
                    main_address,
                    shipped: self.totals(&shipped),
                    returned: self.totals(&returned),
                    retrieved: self.totals(&retrieved),
                    outstanding: self.totals(&outstanding),
                    over_returned: self.totals(&over_returned),
                    notified: notified.contains_key(&c),
                    notified_at: notified.get(&c).cloned().unwrap_or_default(),
                    shipments: shipped_to.remove(&c).unwrap_or_default(),
                    open_complaints: complaints.remove(&c).unwrap_or_default(),
                }
            })
            .collect::<Vec<RecallCustomer>>();
        let without_master_data = customers
            .iter()
            .filter(|c| !c.customer_details.master_data)
            .map(|c| c.customer.clone())
            .collect();
        let balances: Vec<MassBalance> = lots.iter().map(|&l| self.mass_balance_of(l)).collect();
        // Which open recalls hold each lot in their scope.
        let open_scopes: Vec<(String, HashSet<u32>)> = recalls
            .iter()
            .filter(|r| !self.recall_closed(r.number))
            .map(|r| {
                let name = ix.refs.value(r.number).map(|n| n.as_str().into()).unwrap_or_default();
                (name, self.closure(&r.lots, true).lots.iter().map(|&(l, _)| l).collect())
            })
            .collect();
        let affected = closure
            .lots
            .iter()
            .zip(&balances)
            .map(|(&(l, depth), b)| {
                let r = self.lot_ref(l);
                AffectedLot {
                    item: r.item,
                    lot: r.lot,
                    depth,
                    status: self.status(l),
                    expiry: self.expiry(l),
                    on_hand: b.on_hand.clone(),
                    under_recall: open_scopes
                        .iter()
                        .filter(|(_, scope)| scope.contains(&l))
                        .map(|(name, _)| name.clone())
                        .collect(),
                }
            })
            .collect();
        RecallReport {
            recalled: seeds.iter().map(|&l| self.lot_ref(l)).collect(),
            lots: affected,
            customers,
            customer_lots,
            balances,
            recalls: recalls.iter().map(|r| self.progress(r)).collect(),
            without_master_data,
        }
    }
}

/// The recall scope of `lots`: every lot derived from them with its status
/// and quantity on hand; every customer who received any of them, with
/// shipped, returned, retrieved and outstanding quantities and ship-to
/// locations; the mass balance of each affected lot with discrepancies
/// flagged; and the progress of recalls already opened on them.
///
/// # Errors
/// [`QueryError::UnknownLot`] for a lot no record names.
pub fn recall(index: &Index, lots: &[LotId]) -> Result<RecallReport, QueryError> {
    let view = View::new(index);
    let seeds = lot_numbers(&view, lots)?;
    Ok(view.recall_report(&seeds))
}

/// As [`recall`], for the lots an opened recall names.
///
/// # Errors
/// [`QueryError::UnknownRecall`] when no recall with this number was opened.
pub fn recall_by_number(index: &Index, number: &Reference) -> Result<RecallReport, QueryError> {
    let unknown = || QueryError::UnknownRecall(number.as_str().into());
    let n = index.refs.get(number).ok_or_else(unknown)?;
    let row = index.recall_in_force(n).ok_or_else(unknown)?;
    Ok(View::new(index).recall_report(&row.lots))
}

/// The mass balance of one lot: received or produced against consumed,
/// shipped, destroyed and on hand, with discrepancies flagged.
///
/// # Errors
/// [`QueryError::UnknownLot`] when no record names the lot.
pub fn mass_balance(index: &Index, lot: &LotId) -> Result<MassBalance, QueryError> {
    let view = View::new(index);
    let l = view.lot_no(lot)?;
    Ok(view.mass_balance_of(l))
}
