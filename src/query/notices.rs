//! Recall and expiry notices: for each customer who received an affected
//! lot, what they received (lots, quantities, dates), what to do, and whom
//! to contact. The CLI (`lotledger notices`) renders each notice as a file;
//! this module only gathers what goes into them.
//!
//! What to do comes from a fixed template per recall class or for expiry
//! ([`what_to_do`], documented in `docs/QUERIES.md`), followed by the
//! recall's reason. Whom to contact is our own site: the party whose
//! description in force has the role `own_site` (the one described last
//! when there are several). A [`NoticeLine`] is a shipment of a lot
//! quantity; the serialized units and containers of the affected lots the
//! customer received are in [`Notice::units`].

use std::collections::HashMap;
use std::format;
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::{Decimal, PartyDetails, QueryError, SerialRun, Sums, Totals, View};
use crate::index::Index;
use crate::model::{Date, PartyRole, RecallClass, Reference, Timestamp};

/// What a batch of notices is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeKind {
    /// An opened recall.
    Recall {
        /// Its class.
        class: RecallClass,
        /// The reason it gives; empty when none.
        reason: String,
        /// When it was opened.
        opened_at: Timestamp,
    },
    /// Lots expiring in the field.
    Expiry {
        /// Lots expiring strictly before this date.
        before: Date,
    },
}

/// One shipment of an affected lot to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeLine {
    /// The item.
    pub item: String,
    /// The product description from master data; none without it.
    pub product: Option<String>,
    /// The lot code.
    pub lot: String,
    /// The lot's expiry date, if it has one.
    pub expiry: Option<Date>,
    /// How much was shipped.
    pub quantity: Decimal,
    /// The unit.
    pub unit: String,
    /// The sales order.
    pub order: String,
    /// When it was shipped.
    pub shipped_at: Timestamp,
    /// When the customer confirmed delivery of the order, if recorded.
    pub delivered_at: Option<Timestamp>,
    /// The ship-to location; none for the main address.
    pub ship_to: Option<String>,
}

/// The notice to one customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The customer, as the reports show them.
    pub customer: String,
    /// Their name, address and contact from master data.
    pub customer_details: PartyDetails,
    /// What they received of the affected lots, in entry order.
    pub lines: Vec<NoticeLine>,
    /// What the records say they still hold (shipped − returned − retrieved).
    pub outstanding: Totals,
    /// The serialized units and containers of affected lots they received
    /// (`goods_shipped` records in force), per lot in the order of
    /// [`Notice::lines`]; empty when none was serialized.
    pub units: Vec<NoticeUnits>,
}

/// The serialized goods of one affected lot a customer received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeUnits {
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// The containers (SSCCs, cases) shipped that held goods of the lot.
    pub containers: Vec<String>,
    /// The lot's serials they received, as runs of consecutive serials.
    pub serials: Vec<SerialRun>,
}

/// The notices of one recall or expiry run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeBatch {
    /// The reference every notice quotes: the recall number, or
    /// `EXPIRY-` and the date.
    pub reference: String,
    /// What it is about.
    pub about: NoticeKind,
    /// What the customer is asked to do.
    pub what_to_do: String,
    /// Whom they contact: our own site; none when no party with the role
    /// `own_site` is described.
    pub contact: Option<PartyDetails>,
    /// One notice per affected customer, in the order they first received
    /// an affected lot.
    pub notices: Vec<Notice>,
}

/// The instructions of a notice: a fixed text per recall class and for
/// expiry, then the recall's reason when it gives one.
#[must_use]
pub fn what_to_do(about: &NoticeKind) -> String {
    match about {
        NoticeKind::Recall { class, reason, .. } => {
            let base = match class {
                RecallClass::I => {
                    "Stop using and distributing the lots listed below at once. Quarantine all stock of them you hold and tell us the quantities within 24 hours; return or destroy it only as we instruct. If you passed any of it on, notify those customers."
                }
                RecallClass::II => {
                    "Stop distributing the lots listed below. Quarantine all stock of them you hold and tell us the quantities within 3 working days; we will arrange its return."
                }
                RecallClass::III => {
                    "Stop distributing the lots listed below and return the stock you hold with your next delivery or collection; tell us the quantities."
                }
            };
            if reason.is_empty() { base.into() } else { format!("{base} Reason: {reason}.") }
        }
        NoticeKind::Expiry { before } => format!(
            "The lots listed below expire before {before}. Do not sell or dispense them after their expiry date: take them out of saleable stock by then and return or destroy them as your procedures require; tell us the quantities."
        ),
    }
}

impl View<'_> {
    /// Our own site: the latest party description in force with the role
    /// `own_site`.
    fn own_site(&self) -> Option<PartyDetails> {
        self.own_site_party().map(|p| self.party_details(p))
    }

    /// The description of [`View::own_site`].
    pub(crate) fn own_site_record(&self) -> Option<&crate::model::PartyDescribed> {
        self.own_site_party().and_then(|p| self.party_record(p))
    }

    fn own_site_party(&self) -> Option<u32> {
        let ix = self.ix;
        let dir = ix.directory();
        ix.party_versions
            .iter()
            .filter(|v| !ix.is_void(v.entry) && v.record.roles.contains(&PartyRole::OwnSite))
            .filter_map(|v| v.ids.first().copied())
            // Only a version still in force for its party counts.
            .filter(|&p| {
                dir.party_version(p)
                    .and_then(|r| ix.party_versions.get(r as usize))
                    .is_some_and(|r| r.record.roles.contains(&PartyRole::OwnSite))
            })
            .last()
    }

    /// One notice per customer who received any of `lots`; with
    /// `held_only`, only customers still holding some of a lot, and only
    /// the lots they hold.
    fn notices(&self, lots: &[u32], held_only: bool) -> Vec<Notice> {
        let ix = self.ix;
        let mut held: HashMap<(u32, u32), Sums> = HashMap::new();
        for ((c, l, u), out) in self.holdings_of(lots) {
            held.entry((c, l)).or_default().add(u, out);
        }
        let holds =
            |c: u32, l: u32| held.get(&(c, l)).is_some_and(|s| s.0.iter().any(|&(_, v)| v > 0));
        let mut delivered: HashMap<(u32, &str), Timestamp> = HashMap::new();
        for d in ix.deliveries.iter().filter(|d| !ix.is_void(d.entry)) {
            let order = self.text_str(d.order).unwrap_or_default();
            delivered.entry((self.who(d.customer), order)).or_insert_with(|| ix.time(d.entry));
        }
        let mut received = self.units_received(lots);
        let mut order: Vec<u32> = Vec::new();
        let mut lines: HashMap<u32, Vec<(u32, NoticeLine)>> = HashMap::new();
        for &l in lots {
            let r = self.lot_ref(l);
            let item = ix.lot_item.get(l as usize).copied().unwrap_or(crate::index::NONE);
            let product = self.product_record(item).map(|p| p.description.as_str().into());
            for s in self.shipments(l) {
                let c = self.who(s.customer);
                if held_only && !holds(c, l) {
                    continue;
                }
                if !order.contains(&c) {
                    order.push(c);
                }
                let o = self.text_str(s.order).unwrap_or_default();
                lines.entry(c).or_default().push((
                    s.entry,
                    NoticeLine {
                        item: r.item.clone(),
                        product: product.clone(),
                        lot: r.lot.clone(),
                        expiry: self.expiry(l),
                        quantity: Decimal(s.qty().normalized()),
                        unit: self.unit(s.unit),
                        order: o.into(),
                        shipped_at: Timestamp(s.time),
                        delivered_at: delivered.get(&(c, o)).copied(),
                        ship_to: self.location(s.ship_to),
                    },
                ));
            }
        }
        // Customers in the order of their first affected shipment.
        order.sort_by_key(|c| lines.get(c).and_then(|l| l.iter().map(|(e, _)| *e).min()));
        order
            .iter()
            .map(|&c| {
                let mut mine = lines.remove(&c).unwrap_or_default();
                mine.sort_by_key(|(e, _)| *e);
                let mut outstanding = Sums::default();
                for (&(hc, hl), sums) in &held {
                    if hc == c && (!held_only || holds(c, hl)) {
                        outstanding.add_all(sums, 1);
                    }
                }
                let mut units = Vec::new();
                for &l in lots {
                    if held_only && !holds(c, l) {
                        continue;
                    }
                    if let Some(u) = received.remove(&(c, l))
                        && !(u.containers.is_empty() && u.serials.is_empty())
                    {
                        let r = self.lot_ref(l);
                        units.push(NoticeUnits {
                            item: r.item,
                            lot: r.lot,
                            containers: u.containers,
                            serials: u.serials,
                        });
                    }
                }
                Notice {
                    customer: self.party(c),
                    customer_details: self.party_details(c),
                    lines: mine.into_iter().map(|(_, l)| l).collect(),
                    outstanding: self.totals(&outstanding),
                    units,
                }
            })
            .collect()
    }
}

/// The notices of recall `number`: one per customer who received a lot in
/// its scope (the lots it names and every lot made from them).
///
/// # Errors
/// [`QueryError::UnknownRecall`] when no recall with this number is in force.
pub fn recall_notices(index: &Index, number: &Reference) -> Result<NoticeBatch, QueryError> {
    let unknown = || QueryError::UnknownRecall(number.as_str().into());
    let n = index.refs.get(number).ok_or_else(unknown)?;
    let row = index.recall_in_force(n).ok_or_else(unknown)?;
    let view = View::new(index);
    let lots: Vec<u32> = view.closure(&row.lots, true).lots.iter().map(|&(l, _)| l).collect();
    let about = NoticeKind::Recall {
        class: row.class,
        reason: view.text(row.reason).unwrap_or_default(),
        opened_at: index.time(row.entry),
    };
    Ok(NoticeBatch {
        reference: number.as_str().into(),
        what_to_do: what_to_do(&about),
        about,
        contact: view.own_site(),
        notices: view.notices(&lots, false),
    })
}

/// The notices for lots expiring before `before` (and on or after `from`,
/// when given): one per customer still holding some of them, listing only
/// the lots they hold.
#[must_use]
pub fn expiry_notices(index: &Index, before: Date, from: Option<Date>) -> NoticeBatch {
    let view = View::new(index);
    let lots: Vec<u32> = view.expiring_lots(before, from).into_iter().map(|(_, l)| l).collect();
    let about = NoticeKind::Expiry { before };
    NoticeBatch {
        reference: format!("EXPIRY-{before}"),
        what_to_do: what_to_do(&about),
        about,
        contact: view.own_site(),
        notices: view.notices(&lots, true),
    }
}
