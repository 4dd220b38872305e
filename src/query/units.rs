//! Serialized units and containers: `where` a serial or an SSCC is and its
//! whole history, the units and containers each customer received of given
//! lots (the recall report at unit level), and return verification.
//!
//! Answers follow the corrected view and are computed by replaying the unit
//! events in force (src/index/units.rs): a container in an event stands for
//! whatever it held at that entry.

use core::fmt;
use std::collections::{HashMap, HashSet};
use std::string::{String, ToString};
use std::vec::Vec;

use serde::Serialize;

use super::{LotRef, QueryError, View};
use crate::index::{
    DECOMMISSION_REASONS, EntryPlace, Index, NONE, Resolved, SerialKey, Status, UnitState,
    UnitWorld, serial_text, split_serial,
};
use crate::model::{ContainerId, Date, ItemCode, LotCode, PartyId, RecordKind, Timestamp};

/// What to look up: a serialized unit (GTIN or item code and serial) or a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitTarget {
    /// A serialized unit.
    Serial {
        /// Its item (the GTIN of an SGTIN).
        item: ItemCode,
        /// Its serial number.
        serial: String,
    },
    /// A container (an SSCC or a case number).
    Container(ContainerId),
}

impl fmt::Display for UnitTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Serial { item, serial } => write!(f, "{item}/{serial}"),
            Self::Container(c) => write!(f, "{c}"),
        }
    }
}

/// One event in the history of a unit or container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnitStep {
    /// When the entry was made.
    pub time: Timestamp,
    /// Where the entry is.
    pub entry: EntryPlace,
    /// The record kind (`commissioned`, `aggregated`, `packed`,
    /// `goods_shipped`, `goods_returned`, `decommissioned`).
    pub event: &'static str,
    /// What happened, in words (`shipped to gln:… on order SO-1`).
    pub what: String,
    /// The container the event named that held the unit, when it did not
    /// name the unit itself.
    pub via: Option<String>,
}

/// Serials `lo..=hi` of a key.
type Run = (SerialKey, u128, u128);

/// A run of consecutive serials of one lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SerialRun {
    /// The lot.
    pub lot: LotRef,
    /// The first serial.
    pub first: String,
    /// The last serial (equal to `first` for one).
    pub last: String,
    /// How many serials.
    pub count: u64,
}

impl fmt::Display for SerialRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 1 {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}..{}", self.first, self.last)
        }
    }
}

/// Where a unit or container is and how it got there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhereReport {
    /// What was looked up, as text (`gtin:…/SERIAL`, `sscc:…`).
    pub target: String,
    /// `serial` or `container`.
    pub kind: &'static str,
    /// The lot the serial was commissioned in (none for a container).
    pub lot: Option<LotRef>,
    /// The lot's expiry, when a production in force records one.
    pub expiry: Option<Date>,
    /// Whether the lot has expired by the day asked about (none: no expiry known).
    pub expired: Option<bool>,
    /// `in_stock`, `shipped`, `returned` or `decommissioned`.
    pub status: &'static str,
    /// The customer it was last shipped to or returned by.
    pub customer: Option<String>,
    /// The order of that shipment or return.
    pub order: Option<String>,
    /// The ship-to location of that shipment.
    pub ship_to: Option<String>,
    /// Why it was decommissioned.
    pub decommissioned: Option<&'static str>,
    /// The containers it is in, innermost first (case, then pallet).
    pub containers: Vec<String>,
    /// Recalls in force whose scope (the lots named and every lot made
    /// from them) holds its lot.
    pub recalls: Vec<String>,
    /// For a container: the serials it holds at any depth.
    pub serials: Vec<SerialRun>,
    /// For a container: the containers directly in it.
    pub holds: Vec<String>,
    /// Every event that concerned it, in entry order.
    pub history: Vec<UnitStep>,
}

const fn status_name(s: Status) -> &'static str {
    match s {
        Status::InStock => "in_stock",
        Status::Shipped => "shipped",
        Status::Returned => "returned",
        Status::Decommissioned => "decommissioned",
    }
}

impl<'a> View<'a> {
    fn container_name(&self, c: u32) -> String {
        self.ix.serialized.containers.value(c).map(ToString::to_string).unwrap_or_default()
    }

    /// The containers `c` is in, `c` first.
    fn chain(world: &UnitWorld, mut c: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while c != NONE && !out.contains(&c) {
            out.push(c);
            c = world.parent(c);
        }
        out
    }

    /// What event row `i` did, in words.
    fn describe(&self, i: u32) -> (&'static str, String, u32) {
        let ix = self.ix;
        let Some(ev) = ix.serialized.events.get(i as usize) else {
            return ("", String::new(), NONE);
        };
        let kind = RecordKind::from_number(u32::from(ev.kind));
        let name = kind.map_or("unknown", RecordKind::name);
        let order = (ev.order != NONE).then(|| ix.text.get(ev.order));
        let what = match kind {
            Some(RecordKind::Commissioned) => {
                let lots: Vec<String> =
                    self.event_lots(i).iter().map(|&l| self.lot_ref(l).to_string()).collect();
                std::format!("commissioned in lot {}", lots.join(", "))
            }
            Some(RecordKind::Packed | RecordKind::Aggregated) if ev.detail == 0 => {
                std::format!("packed into {}", self.container_name(ev.parent))
            }
            Some(RecordKind::Aggregated) => {
                std::format!("unpacked from {}", self.container_name(ev.parent))
            }
            Some(RecordKind::GoodsShipped) => {
                let mut s = std::format!(
                    "shipped to {} on order {}",
                    self.party_name(ev.party),
                    order.unwrap_or("")
                );
                if let Some(l) = self.location_name(ev.ship_to) {
                    s.push_str(&std::format!(", ship to {l}"));
                }
                s
            }
            Some(RecordKind::GoodsReturned) => {
                let mut s = std::format!(
                    "{} by {}",
                    if ev.detail == 1 { "exchanged" } else { "returned" },
                    self.party_name(ev.party)
                );
                if let Some(o) = order {
                    s.push_str(&std::format!(" (order {o})"));
                }
                if ev.note != NONE {
                    s.push_str(&std::format!(": {}", ix.text.get(ev.note)));
                }
                s
            }
            Some(RecordKind::Decommissioned) => {
                let mut s = std::format!(
                    "decommissioned: {}",
                    DECOMMISSION_REASONS.get(usize::from(ev.detail)).copied().unwrap_or("other")
                );
                if ev.note != NONE {
                    s.push_str(&std::format!(" ({})", ix.text.get(ev.note)));
                }
                s
            }
            _ => String::new(),
        };
        (name, what, ev.entry)
    }

    fn event_lots(&self, i: u32) -> Vec<u32> {
        let mut world = UnitWorld::default();
        let mut lots = Vec::new();
        for g in self.ix.resolve_goods(&mut world, i) {
            let lot = match g {
                Resolved::Serials(k, _, _) => k.lot,
                Resolved::Lot(l, _) => l,
                Resolved::Container(_) => continue,
            };
            if !lots.contains(&lot) {
                lots.push(lot);
            }
        }
        lots
    }

    fn step(&self, i: u32, via: Option<u32>) -> Option<UnitStep> {
        let (event, what, entry) = self.describe(i);
        Some(UnitStep {
            time: self.ix.time(entry),
            entry: self.ix.place(entry)?,
            event,
            what,
            via: via.map(|c| self.container_name(c)),
        })
    }

    /// Recalls in force whose scope holds `lot`.
    fn recalls_of(&self, lot: u32) -> Vec<String> {
        let ix = self.ix;
        let mut numbers: Vec<u32> = ix.recall_by_number.keys().copied().collect();
        numbers.sort_unstable();
        numbers
            .into_iter()
            .filter_map(|n| ix.recall_in_force(n))
            .filter(|r| self.closure(&r.lots, true).lots.iter().any(|&(l, _)| l == lot))
            .filter_map(|r| ix.refs.value(r.number).map(|x| x.as_str().into()))
            .collect()
    }

    /// The serial `serial` of `item`: its key and number, if commissioned.
    fn find_serial(&self, item: &ItemCode, serial: &str) -> Option<(SerialKey, u128, UnitState)> {
        let ix = self.ix;
        let world = &ix.serialized.world;
        let item = ix.items.get(item)?;
        let (head, digits, n) = split_serial(serial);
        let head = world.head_no(head)?;
        let mut lots: Vec<u32> = world.keys_of_lot.keys().copied().collect();
        lots.sort_unstable();
        lots.into_iter()
            .filter(|&l| ix.lot_item.get(l as usize) == Some(&item))
            .map(|lot| SerialKey { lot, head, digits })
            .find_map(|k| world.state(&k, n).map(|s| (k, n, s)))
    }

    fn runs(&self, world: &UnitWorld, runs: &[(SerialKey, u128, u128)]) -> Vec<SerialRun> {
        let mut sorted = runs.to_vec();
        sorted.sort_unstable();
        let mut merged: Vec<(SerialKey, u128, u128)> = Vec::new();
        for (k, lo, hi) in sorted {
            match merged.last_mut() {
                Some((mk, _, mhi)) if *mk == k && mhi.saturating_add(1) >= lo => {
                    *mhi = (*mhi).max(hi);
                }
                _ => merged.push((k, lo, hi)),
            }
        }
        merged
            .into_iter()
            .map(|(k, lo, hi)| {
                let head = world.head_text.get(k.head as usize).map_or("", String::as_str);
                SerialRun {
                    lot: self.lot_ref(k.lot),
                    first: serial_text(head, k.digits, lo),
                    last: serial_text(head, k.digits, hi),
                    count: u64::try_from(hi - lo + 1).unwrap_or(u64::MAX),
                }
            })
            .collect()
    }
}

/// Where a serialized unit or container is now, and every event that
/// concerned it (directly or through a container that held it), with the
/// lot's expiry judged at `today` and the recalls whose scope holds its lot.
///
/// # Errors
/// [`QueryError::UnknownUnit`] when no commissioning in force names the
/// serial, or no record names the container.
pub fn where_is(
    index: &Index,
    target: &UnitTarget,
    today: Option<Date>,
) -> Result<WhereReport, QueryError> {
    let view = View::new(index);
    let unknown = || QueryError::UnknownUnit(target.to_string());
    let world = &index.serialized.world;
    match target {
        UnitTarget::Serial { item, serial } => {
            let (key, n, state) = view.find_serial(item, serial).ok_or_else(unknown)?;
            let mut history = Vec::new();
            let _ = index.replay_units(|w, i| {
                let direct = index.resolve_goods(w, i).iter().any(|g| {
                    matches!(*g, Resolved::Serials(k, lo, hi) if k == key && lo <= n && n <= hi)
                });
                let chain = w.state(&key, n).map_or_else(Vec::new, |s| View::chain(w, s.container));
                let via = if direct { None } else { via_of(index, w, i, &chain) };
                if direct || via.is_some() {
                    history.extend(view.step(i, via));
                }
            });
            let expiry = view.expiry(key.lot);
            Ok(WhereReport {
                target: target.to_string(),
                kind: "serial",
                lot: Some(view.lot_ref(key.lot)),
                expiry,
                expired: expiry.zip(today).map(|(e, t)| e < t),
                containers: View::chain(world, state.container)
                    .into_iter()
                    .map(|c| view.container_name(c))
                    .collect(),
                recalls: view.recalls_of(key.lot),
                serials: Vec::new(),
                holds: Vec::new(),
                history,
                ..last_event(&view, state.status, state.event)
            })
        }
        UnitTarget::Container(id) => {
            let c = index.serialized.containers.get(id).ok_or_else(unknown)?;
            let mut history = Vec::new();
            let _ = index.replay_units(|w, i| {
                let Some(ev) = index.serialized.events.get(i as usize) else { return };
                let chain = View::chain(w, c);
                let named = ev.parent == c
                    || index
                        .resolve_goods(w, i)
                        .iter()
                        .any(|g| matches!(*g, Resolved::Container(x) if x == c));
                let via = if named { None } else { via_of(index, w, i, &chain) };
                if named || via.is_some() {
                    history.extend(view.step(i, via));
                }
            });
            let st = world.containers.get(c as usize);
            let inside = world.closure(c);
            Ok(WhereReport {
                target: target.to_string(),
                kind: "container",
                lot: None,
                expiry: None,
                expired: None,
                containers: View::chain(world, world.parent(c))
                    .into_iter()
                    .map(|x| view.container_name(x))
                    .collect(),
                recalls: Vec::new(),
                serials: view.runs(world, &world.held_in(&inside)),
                holds: (0..world.containers.len())
                    .filter_map(|x| u32::try_from(x).ok())
                    .filter(|&x| world.parent(x) == c)
                    .map(|x| view.container_name(x))
                    .collect(),
                history,
                ..last_event(
                    &view,
                    st.map_or(Status::InStock, |s| s.status),
                    st.map_or(NONE, |s| s.event),
                )
            })
        }
    }
}

/// The container of `chain` that event row `i` names (in its goods, or as
/// the container it empties), if any.
fn via_of(index: &Index, w: &mut UnitWorld, i: u32, chain: &[u32]) -> Option<u32> {
    let ev = index.serialized.events.get(i as usize)?;
    let goods = index.resolve_goods(w, i);
    if u32::from(ev.kind) == RecordKind::Aggregated.number() && ev.detail == 1 && goods.is_empty() {
        return chain.contains(&ev.parent).then_some(ev.parent);
    }
    goods.iter().find_map(|g| match *g {
        Resolved::Container(x) if chain.contains(&x) => Some(x),
        _ => None,
    })
}

/// The status fields of a report from the event that set the status.
fn last_event(view: &View<'_>, status: Status, event: u32) -> WhereReport {
    let ix = view.ix;
    let ev = ix.serialized.events.get(event as usize).filter(|_| event != NONE);
    let party = ev.filter(|e| e.party != NONE).map(|e| view.party(e.party));
    WhereReport {
        target: String::new(),
        kind: "",
        lot: None,
        expiry: None,
        expired: None,
        status: status_name(status),
        customer: if matches!(status, Status::Shipped | Status::Returned) { party } else { None },
        order: ev
            .filter(|e| e.order != NONE && matches!(status, Status::Shipped | Status::Returned))
            .map(|e| ix.text.get(e.order).into()),
        ship_to: ev.filter(|_| status == Status::Shipped).and_then(|e| view.location(e.ship_to)),
        decommissioned: ev
            .filter(|_| status == Status::Decommissioned)
            .map(|e| DECOMMISSION_REASONS.get(usize::from(e.detail)).copied().unwrap_or("other")),
        containers: Vec::new(),
        recalls: Vec::new(),
        serials: Vec::new(),
        holds: Vec::new(),
        history: Vec::new(),
    }
}

/// Serialized goods of the given lots that shipments in force carried to
/// one customer: the containers shipped that held any, and the serials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UnitsReceived {
    /// Containers (SSCCs, cases) shipped that held goods of the lot.
    pub containers: Vec<String>,
    /// The serials of the lot shipped, as runs.
    pub serials: Vec<SerialRun>,
}

impl View<'_> {
    /// Per (customer, lot) of `lots`: the containers and serials shipped.
    pub(crate) fn units_received(&self, lots: &[u32]) -> HashMap<(u32, u32), UnitsReceived> {
        let ix = self.ix;
        let wanted: HashSet<u32> = lots.iter().copied().collect();
        let mut containers: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
        let mut serials: HashMap<(u32, u32), Vec<Run>> = HashMap::new();
        let shipped = RecordKind::GoodsShipped.number();
        let world = ix.replay_units(|w, i| {
            let Some(ev) = ix.serialized.events.get(i as usize) else { return };
            if u32::from(ev.kind) != shipped {
                return;
            }
            for g in ix.resolve_goods(w, i) {
                match g {
                    Resolved::Serials(k, lo, hi) if wanted.contains(&k.lot) => {
                        // Only the serials commissioned count as shipped.
                        for (a, b) in commissioned_parts(w, k, lo, hi) {
                            serials.entry((ev.party, k.lot)).or_default().push((k, a, b));
                        }
                    }
                    Resolved::Container(c) => {
                        let inside = w.closure(c);
                        let mut lots_in: Vec<u32> = Vec::new();
                        for (k, lo, hi) in w.held_in(&inside) {
                            if wanted.contains(&k.lot) {
                                serials.entry((ev.party, k.lot)).or_default().push((k, lo, hi));
                                lots_in.push(k.lot);
                            }
                        }
                        for x in &inside {
                            for &(l, _) in
                                w.containers.get(*x as usize).map_or(&[][..], |s| &s.lots)
                            {
                                if wanted.contains(&l) {
                                    lots_in.push(l);
                                }
                            }
                        }
                        for l in lots_in {
                            let list = containers.entry((ev.party, l)).or_default();
                            if !list.contains(&c) {
                                list.push(c);
                            }
                        }
                    }
                    _ => {}
                }
            }
        });
        let mut out: HashMap<(u32, u32), UnitsReceived> = HashMap::new();
        for (k, cs) in containers {
            out.entry(k).or_default().containers =
                cs.iter().map(|&c| self.container_name(c)).collect();
        }
        for (k, runs) in serials {
            out.entry(k).or_default().serials = self.runs(&world, &runs);
        }
        out
    }
}

/// The parts of `lo..=hi` of `key` that are commissioned in `w`.
fn commissioned_parts(w: &UnitWorld, key: SerialKey, lo: u128, hi: u128) -> Vec<(u128, u128)> {
    w.pieces
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|p| p.hi >= lo && p.lo <= hi)
        .map(|p| (p.lo.max(lo), p.hi.min(hi)))
        .collect()
}

/// A returned unit to check: what the scan (or the clerk) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnCheck {
    /// The item (GTIN) and serial.
    pub item: ItemCode,
    /// The serial number.
    pub serial: String,
    /// The lot printed on the pack, if read.
    pub lot: Option<LotCode>,
    /// The expiry printed on the pack, if read.
    pub expiry: Option<Date>,
    /// Who is returning it, if known.
    pub customer: Option<PartyId>,
    /// The day to judge expiry at.
    pub today: Date,
}

/// The verdict on a returned unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// One we commissioned, with that lot and expiry, shipped to this
    /// customer, and not recalled, expired, decommissioned or returned.
    Saleable,
    /// Known, but refused for the reasons given.
    NotSaleable,
    /// No commissioning in force names it.
    Unknown,
}

/// The answer of [`verify_return`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnVerdict {
    /// The verdict.
    pub verdict: Verdict,
    /// Why it is not saleable (empty when it is); for an unknown unit, what was asked.
    pub reasons: Vec<String>,
    /// Where the unit is and its history, when it is known.
    pub unit: Option<WhereReport>,
}

/// Return verification for a saleable return (DSCSA): is this GTIN +
/// serial + lot + expiry one we commissioned, shipped to this customer, and
/// not recalled, expired, decommissioned or already returned?
#[must_use]
pub fn verify_return(index: &Index, check: &ReturnCheck) -> ReturnVerdict {
    let target = UnitTarget::Serial { item: check.item.clone(), serial: check.serial.clone() };
    let Ok(unit) = where_is(index, &target, Some(check.today)) else {
        return ReturnVerdict {
            verdict: Verdict::Unknown,
            reasons: std::vec![std::format!("{target} was never commissioned in these ledgers")],
            unit: None,
        };
    };
    let mut reasons = Vec::new();
    if let (Some(lot), Some(known)) = (&check.lot, &unit.lot)
        && lot.as_str() != known.lot
    {
        reasons.push(std::format!("lot {lot} does not match: commissioned in lot {}", known.lot));
    }
    match (check.expiry, unit.expiry) {
        (Some(given), Some(known)) if given != known => {
            reasons.push(std::format!("expiry {given} does not match: the lot expires {known}"))
        }
        _ => {}
    }
    match unit.status {
        "in_stock" => reasons.push("never shipped".into()),
        "returned" => reasons.push(std::format!(
            "already returned by {}",
            unit.customer.as_deref().unwrap_or("a customer")
        )),
        "decommissioned" => reasons
            .push(std::format!("decommissioned ({})", unit.decommissioned.unwrap_or("other"))),
        _ => {
            if let (Some(want), Some(got)) = (&check.customer, &unit.customer)
                && want.to_string() != *got
            {
                reasons.push(std::format!("shipped to {got}, not to {want}"));
            }
        }
    }
    if !unit.recalls.is_empty() {
        reasons.push(std::format!("its lot is under recall {}", unit.recalls.join(", ")));
    }
    if unit.expired == Some(true) {
        reasons.push(std::format!(
            "expired on {}",
            unit.expiry.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    ReturnVerdict {
        verdict: if reasons.is_empty() { Verdict::Saleable } else { Verdict::NotSaleable },
        reasons,
        unit: Some(unit),
    }
}

/// Serials and containers the records name that are close to `target`
/// (same item, or a container whose text shares its start), for a "did
/// you mean" after [`QueryError::UnknownUnit`]; at most five.
#[must_use]
pub fn near_units(index: &Index, target: &UnitTarget) -> Vec<String> {
    let view = View::new(index);
    let world = &index.serialized.world;
    let mut out = Vec::new();
    match target {
        UnitTarget::Serial { item, .. } => {
            let Some(item_no) = index.items.get(item) else { return out };
            let mut keys: Vec<SerialKey> = world
                .pieces
                .keys()
                .copied()
                .filter(|k| index.lot_item.get(k.lot as usize) == Some(&item_no))
                .collect();
            keys.sort_unstable();
            for k in keys {
                let runs: Vec<(SerialKey, u128, u128)> =
                    world.pieces.get(&k).into_iter().flatten().map(|p| (k, p.lo, p.hi)).collect();
                for r in view.runs(world, &runs) {
                    if out.len() < 5 {
                        out.push(std::format!("{item}/{r} (lot {})", r.lot.lot));
                    }
                }
            }
        }
        UnitTarget::Container(c) => {
            let text = c.to_string();
            let stem = text.get(..text.len().saturating_sub(4)).unwrap_or("");
            for v in index.serialized.containers.values() {
                let s = v.to_string();
                if s.starts_with(stem) && out.len() < 5 {
                    out.push(s);
                }
            }
        }
    }
    out
}
