//! Shelf life: lots that expire before a date, what is left of them at the
//! plant, and what is still in the field with which customers, so the
//! customers to notify are listed.

use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::{Decimal, PartyDetails, Sums, Totals, View};
use crate::index::{Index, NONE};
use crate::model::{Date, Disposition};

/// A lot expiring before the date asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiringLot {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Its expiry date.
    pub expiry: Date,
    /// Its current status.
    pub status: Option<Disposition>,
    /// Quantity still at the plant.
    pub on_hand: Totals,
    /// Quantity still with customers (shipped − returned − retrieved).
    pub in_field: Totals,
}

/// A customer holding an expiring lot (a CSV row per customer, lot and unit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiryCustomerLine {
    /// The customer.
    pub customer: String,
    /// What master data says of the customer: name, main address, contact.
    pub customer_details: PartyDetails,
    /// Ship-to locations the lot went to (empty: the main address only).
    pub ship_to: Vec<String>,
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Its expiry date.
    pub expiry: Date,
    /// Quantity still with the customer.
    pub outstanding: Decimal,
    /// Its unit.
    pub unit: String,
}

/// Lots expiring before a date and who holds them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    /// The date asked: lots expiring strictly before it.
    pub before: Date,
    /// The lots, soonest expiry first.
    pub lots: Vec<ExpiringLot>,
    /// Customers still holding them, to notify.
    pub customers: Vec<ExpiryCustomerLine>,
}

impl View<'_> {
    /// Lots expiring before `before` (and on or after `from`), soonest first.
    pub(crate) fn expiring_lots(&self, before: Date, from: Option<Date>) -> Vec<(Date, u32)> {
        let mut hits: Vec<(Date, u32)> = (0..self.ix.lot_nodes.len())
            .filter_map(|l| u32::try_from(l).ok())
            .filter_map(|l| self.expiry(l).map(|d| (d, l)))
            .filter(|&(d, _)| d < before && from.is_none_or(|f| d >= f))
            .collect();
        hits.sort_unstable();
        hits
    }
}

/// Lots whose expiry date is before `before` (and on or after `from`, when
/// given), with the quantities on hand and in the field by customer.
#[must_use]
pub fn expiring(index: &Index, before: Date, from: Option<Date>) -> ExpiryReport {
    let view = View::new(index);
    let hits = view.expiring_lots(before, from);
    let mut lots = Vec::with_capacity(hits.len());
    let mut customers = Vec::new();
    for &(expiry, l) in &hits {
        let balance = view.mass_balance_of(l);
        let held = view.holdings_of(&[l]);
        let mut in_field = Sums::default();
        let r = view.lot_ref(l);
        for ((c, _, u), out) in held {
            in_field.add(u, out);
            if out > 0 {
                let mut ship_to: Vec<String> = Vec::new();
                for s in
                    view.shipments(l).filter(|s| view.who(s.customer) == c && s.ship_to != NONE)
                {
                    if let Some(loc) = view.location(s.ship_to)
                        && !ship_to.contains(&loc)
                    {
                        ship_to.push(loc);
                    }
                }
                customers.push(ExpiryCustomerLine {
                    customer: view.party(c),
                    customer_details: view.party_details(c),
                    ship_to,
                    item: r.item.clone(),
                    lot: r.lot.clone(),
                    expiry,
                    outstanding: Decimal(out),
                    unit: view.unit(u),
                });
            }
        }
        lots.push(ExpiringLot {
            item: r.item,
            lot: r.lot,
            expiry,
            status: view.status(l),
            on_hand: balance.on_hand,
            in_field: view.totals(&in_field),
        });
    }
    ExpiryReport { before, lots, customers }
}
