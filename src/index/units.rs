//! Serialized units and the containers they travel in (record kinds 4 and
//! 20..24): what each serial and each container is and where, kept so that
//! a `where` query, a unit-level recall and a return check are answered from
//! the index.
//!
//! The index keeps the events as compact rows ([`UnitEventRow`], with the
//! goods each names as [`GoodsRow`]s) and derives from them a state: every
//! commissioned serial with its status (in stock, shipped, returned,
//! decommissioned), the event that set it and the container it is in; every
//! container with the container it is in and the lot quantities it holds.
//! Serials are kept as intervals, never one by one: a serial is read as a
//! *head* (the text before its trailing digits), a digit count and a number,
//! so that `A000001`..`A010000` is one interval of one row whether it was
//! commissioned as a range or serial by serial, and the serial `A004711`
//! looked up alone falls inside it. Adjacent serials in the same state merge.
//!
//! A container in an event stands for whatever it holds at that entry, at
//! any depth (cases on a pallet). Shipping serialized goods counts toward the
//! lot-level shipped quantities: each serial is one piece (`H87`) of its lot,
//! a lot quantity in a container ships as recorded. Bad sequences (shipping
//! or packing a serial never commissioned, commissioning a serial twice,
//! packing or shipping a unit already shipped or decommissioned, returning a
//! unit never shipped, unpacking what a container does not hold, packing a
//! container into itself) are recorded as [`Problem`]s naming the entry; the
//! event still applies to the units it validly names.
//!
//! The state follows the corrected view: when a correction voids (or
//! un-voids) an event of these kinds, the state, the derived shipment lines
//! and the unit problems are rebuilt from the rows in force.

use std::collections::HashMap;
use std::string::{String, ToString as _};
use std::vec::Vec;

use super::*;
use crate::model::{
    Aggregated, AggregationAction, Commissioned, ContainerId, Decommissioned, Goods, GoodsReturned,
    GoodsShipped, Packable, Packed, RecordKind, SerialSpan, Unit,
};

/// One event of kinds 4 (packed), 20..24, as the index keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnitEventRow {
    pub entry: u32,
    /// The record kind number.
    pub kind: u8,
    /// The customer (shipped) or the party returning (returned), or [`NONE`].
    pub party: u32,
    /// Text arena offset of the order, or [`NONE`].
    pub order: u32,
    /// The ship-to location, or [`NONE`].
    pub ship_to: u32,
    /// Aggregation: 0 pack, 1 unpack. Decommissioning: the reason's number
    /// in [`DECOMMISSION_REASONS`]. Returns: 0 return, 1 exchange.
    pub detail: u8,
    /// The container packed or unpacked, or [`NONE`].
    pub parent: u32,
    /// Text arena offset of the return reason or decommissioning note, or [`NONE`].
    pub note: u32,
    /// The first of its rows in [`SerializedGoods::goods`].
    pub goods_start: u32,
    pub goods_len: u8,
}

/// The decommissioning reasons, by [`UnitEventRow::detail`].
pub(crate) const DECOMMISSION_REASONS: [&str; 6] =
    ["sample", "destroyed", "stolen", "dispensed", "damaged", "other"];

/// Goods one event names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GoodsRow {
    /// A quantity of a lot.
    Lot { lot: u32, qty: Qty },
    /// A container.
    Container { container: u32 },
    /// One serial of a lot (its text in the arena).
    One { lot: u32, serial: u32 },
    /// A range of serials of a lot (its prefix in the arena).
    Range { lot: u32, prefix: u32, first: u64, count: u32, width: u8 },
}

/// What became of a serialized unit or a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Commissioned (or packed, unpacked) and not shipped.
    InStock,
    /// Shipped, by the event named.
    Shipped,
    /// Returned after shipping.
    Returned,
    /// Decommissioned.
    Decommissioned,
}

/// The state of a run of serials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnitState {
    pub status: Status,
    /// The event row that set the status.
    pub event: u32,
    /// The container the units are directly in, or [`NONE`].
    pub container: u32,
}

/// Serials as intervals: the lot, the interned head and the digit count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SerialKey {
    pub lot: u32,
    pub head: u32,
    pub digits: u8,
}

/// Serials `lo..=hi` of a key, all in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub lo: u128,
    pub hi: u128,
    pub state: UnitState,
}

/// What the index knows of one container now.
#[derive(Clone, Debug)]
pub(crate) struct ContainerState {
    /// The container it is in, or [`NONE`].
    pub parent: u32,
    /// Lot quantities packed into it directly.
    pub lots: Vec<(u32, Qty)>,
    pub status: Status,
    /// The event row that set the status, or [`NONE`] (never shipped).
    pub event: u32,
}

impl Default for ContainerState {
    fn default() -> Self {
        Self { parent: NONE, lots: Vec::new(), status: Status::InStock, event: NONE }
    }
}

/// The state derived from the unit events in force.
#[derive(Clone, Debug, Default)]
pub(crate) struct UnitWorld {
    heads: HashMap<String, u32>,
    pub head_text: Vec<String>,
    pub pieces: HashMap<SerialKey, Vec<Piece>>,
    /// The keys of each lot.
    pub keys_of_lot: HashMap<u32, Vec<SerialKey>>,
    pub containers: Vec<ContainerState>,
    /// The containers directly in each container (kept with each
    /// container's `parent`, through [`UnitWorld::set_parent`]).
    children: HashMap<u32, Vec<u32>>,
    /// The serial keys that have, or had, units directly in each container
    /// (a superset: [`UnitWorld::held_in`] checks each piece's container).
    keys_in: HashMap<u32, Vec<SerialKey>>,
    /// Per event row: whether it was applied (not void when last replayed).
    applied: Vec<bool>,
    /// The time of the latest event applied.
    last_time: i64,
    /// Events arrived out of time order (ledgers ingested one after the
    /// other) or a correction changed what is in force: rebuild.
    dirty: bool,
}

/// The rows of serialized goods and the state derived from them.
#[derive(Clone, Debug, Default)]
pub(crate) struct SerializedGoods {
    pub containers: Interner<ContainerId>,
    pub events: Vec<UnitEventRow>,
    pub goods: Vec<GoodsRow>,
    /// Derived from the rows; rebuilt after loading the cache.
    pub world: UnitWorld,
}

/// What applying one event changes outside the unit state.
#[derive(Default)]
pub(crate) struct Effects {
    /// Lot-level shipment lines: (lot, quantity).
    pub shipped: Vec<(u32, Qty)>,
    pub problems: Vec<ProblemKind>,
}

impl Effects {
    fn problem(&mut self, p: ProblemKind) {
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }
}

/// `serial` as head, digit count and number: the trailing digits (up to 20)
/// are the number.
pub(crate) fn split_serial(serial: &str) -> (&str, u8, u128) {
    let digits = serial.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (head, tail) = serial.split_at(serial.len() - digits);
    let n = tail.parse::<u128>().unwrap_or(0);
    (head, u8::try_from(digits).unwrap_or(u8::MAX), n)
}

/// `n` written with `digits` digits.
pub(crate) fn serial_text(head: &str, digits: u8, n: u128) -> String {
    if digits == 0 {
        return head.to_string();
    }
    std::format!("{head}{n:0w$}", w = usize::from(digits))
}

const fn pow10(k: u32) -> u128 {
    let mut p = 1u128;
    let mut i = 0;
    while i < k {
        p *= 10;
        i += 1;
    }
    p
}

/// The canonical intervals of a range: (head, digit count, lo, hi) per run
/// of serials with the same number of trailing digits.
pub(crate) fn range_intervals(
    prefix: &str,
    first: u64,
    count: u32,
    width: u8,
) -> Vec<(String, u8, u128, u128)> {
    let (head, k, v) = split_serial(prefix);
    let mut out = Vec::new();
    if count == 0 {
        return out;
    }
    let last = u128::from(first) + u128::from(count) - 1;
    let mut lo = u128::from(first);
    while lo <= last {
        // Rest length of `lo`: its digits, at least `width`.
        let d = (lo.checked_ilog10().unwrap_or(0) + 1).max(u32::from(width));
        let group_end = pow10(d) - 1;
        let hi = last.min(group_end);
        let rest = u8::try_from(d).unwrap_or(u8::MAX);
        let base = v * pow10(d);
        out.push((head.to_string(), k.saturating_add(rest), base + lo, base + hi));
        lo = hi + 1;
    }
    out
}

impl UnitWorld {
    fn head(&mut self, head: &str) -> u32 {
        if let Some(&h) = self.heads.get(head) {
            return h;
        }
        let h = u32::try_from(self.head_text.len()).unwrap_or(NONE);
        self.heads.insert(head.to_string(), h);
        self.head_text.push(head.to_string());
        h
    }

    /// The head's number, if any serial with it was seen.
    pub(crate) fn head_no(&self, head: &str) -> Option<u32> {
        self.heads.get(head).copied()
    }

    fn key(&mut self, lot: u32, head: &str, digits: u8) -> SerialKey {
        let key = SerialKey { lot, head: self.head(head), digits };
        let keys = self.keys_of_lot.entry(lot).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
        key
    }

    /// The state of serial `n` of `key`.
    pub(crate) fn state(&self, key: &SerialKey, n: u128) -> Option<UnitState> {
        let pieces = self.pieces.get(key)?;
        let i = pieces.partition_point(|p| p.hi < n);
        pieces.get(i).filter(|p| p.lo <= n).map(|p| p.state)
    }

    /// Applies `f` to every part of `lo..=hi` of `key`: to each run in one
    /// state (`Some`) and each gap (`None`), with the run's length; what `f`
    /// returns replaces it (`None`: no state).
    fn update(
        &mut self,
        key: SerialKey,
        lo: u128,
        hi: u128,
        mut f: impl FnMut(Option<UnitState>, u128) -> Option<UnitState>,
    ) {
        let pieces = self.pieces.entry(key).or_default();
        let start = pieces.partition_point(|p| p.hi < lo);
        let mut end = start;
        let mut new = Vec::new();
        let mut cursor = lo;
        while let Some(p) = pieces.get(end).copied().filter(|p| p.lo <= hi) {
            if p.lo > cursor
                && let Some(s) = f(None, p.lo - cursor)
            {
                new.push(Piece { lo: cursor, hi: p.lo - 1, state: s });
            }
            if p.lo < lo {
                new.push(Piece { lo: p.lo, hi: lo - 1, state: p.state });
            }
            let (a, b) = (p.lo.max(lo), p.hi.min(hi));
            if let Some(s) = f(Some(p.state), b - a + 1) {
                new.push(Piece { lo: a, hi: b, state: s });
            }
            if p.hi > hi {
                new.push(Piece { lo: hi + 1, hi: p.hi, state: p.state });
            }
            cursor = p.hi.saturating_add(1);
            end += 1;
        }
        if cursor <= hi
            && let Some(s) = f(None, hi - cursor + 1)
        {
            new.push(Piece { lo: cursor, hi, state: s });
        }
        let holders: Vec<u32> =
            new.iter().map(|p| p.state.container).filter(|&c| c != NONE).collect();
        pieces.splice(start..end, new);
        // Merge neighbours in the same state.
        let mut merged: Vec<Piece> = Vec::with_capacity(pieces.len());
        for p in pieces.drain(..) {
            match merged.last_mut() {
                Some(m) if m.state == p.state && m.hi + 1 == p.lo => m.hi = p.hi,
                _ => merged.push(p),
            }
        }
        *pieces = merged;
        for c in holders {
            let keys = self.keys_in.entry(c).or_default();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }

    /// Puts container `c` into `parent` ([`NONE`]: into none).
    fn set_parent(&mut self, c: u32, parent: u32) {
        let old = self.parent(c);
        if old == parent {
            return;
        }
        if let Some(siblings) = self.children.get_mut(&old) {
            siblings.retain(|&x| x != c);
        }
        if let Some(x) = self.container(c) {
            x.parent = parent;
            if parent != NONE {
                self.children.entry(parent).or_default().push(c);
            }
        }
    }

    /// The state of container `c`, made when first needed (`None` only
    /// for [`NONE`]).
    fn container(&mut self, c: u32) -> Option<&mut ContainerState> {
        if c == NONE {
            return None;
        }
        let i = c as usize;
        if self.containers.len() <= i {
            self.containers.resize_with(i + 1, ContainerState::default);
        }
        self.containers.get_mut(i)
    }

    /// The container `c` is in, or [`NONE`].
    pub(crate) fn parent(&self, c: u32) -> u32 {
        self.containers.get(c as usize).map_or(NONE, |s| s.parent)
    }

    /// Whether `c` is `ancestor` or inside it, at any depth.
    pub(crate) fn within(&self, mut c: u32, ancestor: u32) -> bool {
        for _ in 0..=self.containers.len() {
            if c == NONE {
                return false;
            }
            if c == ancestor {
                return true;
            }
            c = self.parent(c);
        }
        false
    }

    /// `c` and every container inside it, at any depth: `c` first, then
    /// the others in ascending order.
    pub(crate) fn closure(&self, c: u32) -> Vec<u32> {
        let mut out = std::vec![c];
        let mut next = 0;
        // Packing refuses cycles; the bound guards against one all the same.
        while let Some(&x) = out.get(next)
            && out.len() <= self.containers.len() + 1
        {
            next += 1;
            for &child in self.children.get(&x).into_iter().flatten() {
                if !out.contains(&child) {
                    out.push(child);
                }
            }
        }
        if let Some(rest) = out.get_mut(1..) {
            rest.sort_unstable();
        }
        out
    }

    /// The runs of serials directly in any of `containers`: (key, lo, hi),
    /// by key, then in serial order.
    pub(crate) fn held_in(&self, containers: &[u32]) -> Vec<(SerialKey, u128, u128)> {
        let mut keys: Vec<SerialKey> =
            containers.iter().filter_map(|c| self.keys_in.get(c)).flatten().copied().collect();
        keys.sort_unstable();
        keys.dedup();
        let mut out = Vec::new();
        for key in keys {
            for p in self.pieces.get(&key).into_iter().flatten() {
                if containers.contains(&p.state.container) {
                    out.push((key, p.lo, p.hi));
                }
            }
        }
        out
    }
}

/// A unit event's goods resolved to intervals and containers.
pub(crate) enum Resolved {
    Lot(u32, Qty),
    Container(u32),
    Serials(SerialKey, u128, u128),
}

impl Index {
    /// Adds a unit event: its rows, then its effect on the state.
    pub(super) fn add_unit_event(
        &mut self,
        e: u32,
        kind: RecordKind,
        rest: &[u8],
    ) -> Result<bool, IngestError> {
        macro_rules! take {
            ($t:ty) => {
                match postcard::take_from_bytes::<$t>(rest) {
                    Ok((value, [])) => value,
                    _ => return Ok(false),
                }
            };
        }
        let goods_start = u32::try_from(self.serialized.goods.len()).map_err(|_| full_units())?;
        let mut row = UnitEventRow {
            entry: e,
            kind: u8::try_from(kind.number()).unwrap_or(KIND_UNKNOWN),
            party: NONE,
            order: NONE,
            ship_to: NONE,
            detail: 0,
            parent: NONE,
            note: NONE,
            goods_start,
            goods_len: 0,
        };
        match kind {
            RecordKind::Packed => {
                let p: Packed = take!(Packed);
                row.parent = self.container_no(&p.into)?;
                for c in &p.contents {
                    match c {
                        Packable::Lot(lq) => {
                            self.add_goods(e, &Goods::Lot(lq.clone()))?;
                        }
                        Packable::Container(id) => {
                            self.add_goods(e, &Goods::Container(id.clone()))?;
                        }
                    }
                }
                row.goods_len = u8::try_from(p.contents.len()).unwrap_or(u8::MAX);
            }
            RecordKind::Commissioned => {
                let c: Commissioned = take!(Commissioned);
                for s in &c.serials {
                    let g = Goods::Serials(crate::model::LotSerials {
                        lot: c.lot.clone(),
                        serials: s.clone(),
                    });
                    self.add_goods(e, &g)?;
                }
                if c.serials.is_empty() {
                    let lot = self.lot(&c.lot)?;
                    self.lot_event(lot, e);
                }
                row.goods_len = u8::try_from(c.serials.len()).unwrap_or(u8::MAX);
            }
            RecordKind::Aggregated => {
                let a: Aggregated = take!(Aggregated);
                row.parent = self.container_no(&a.parent)?;
                row.detail = u8::from(a.action == AggregationAction::Unpack);
                row.goods_len = self.add_all_goods(e, &a.contents)?;
            }
            RecordKind::GoodsShipped => {
                let s: GoodsShipped = take!(GoodsShipped);
                row.party = self.party(&s.customer)?;
                row.order = self.text.push(s.order.as_str());
                if let Some(l) = &s.ship_to {
                    let id = self.locations.intern(l).ok_or_else(full_units)?;
                    self.labels.note(LabelKind::Location, id, l);
                    row.ship_to = id;
                }
                row.goods_len = self.add_all_goods(e, &s.goods)?;
            }
            RecordKind::GoodsReturned => {
                let r: GoodsReturned = take!(GoodsReturned);
                row.party = self.party(&r.from)?;
                row.order = r.order.map_or(NONE, |o| self.text.push(o.as_str()));
                row.detail = u8::from(r.kind == crate::model::ReturnKind::Exchange);
                row.note = if r.reason.as_str().is_empty() {
                    NONE
                } else {
                    self.text.push(r.reason.as_str())
                };
                row.goods_len = self.add_all_goods(e, &r.goods)?;
            }
            RecordKind::Decommissioned => {
                let d: Decommissioned = take!(Decommissioned);
                row.detail = d.reason as u8;
                row.note =
                    if d.note.as_str().is_empty() { NONE } else { self.text.push(d.note.as_str()) };
                row.goods_len = self.add_all_goods(e, &d.goods)?;
            }
            _ => return Ok(false),
        }
        let i = u32::try_from(self.serialized.events.len()).map_err(|_| full_units())?;
        self.serialized.events.push(row);
        let time = self.entries.time.get(e as usize).copied().unwrap_or_default();
        let mut world = core::mem::take(&mut self.serialized.world);
        // Events are applied in time order: one older than the last applied
        // (another ledger's, ingested after) waits for the rebuild that
        // ends the ingest call.
        let in_order = !world.dirty && time >= world.last_time;
        let effects = if in_order {
            world.last_time = time;
            Some(self.apply_unit_event(&mut world, i))
        } else {
            world.dirty = true;
            None
        };
        world.applied.push(in_order);
        self.serialized.world = world;
        if let Some(fx) = effects {
            self.take_effects(i, fx)?;
        }
        Ok(true)
    }

    fn add_all_goods(&mut self, e: u32, goods: &[Goods]) -> Result<u8, IngestError> {
        for g in goods {
            self.add_goods(e, g)?;
        }
        Ok(u8::try_from(goods.len()).unwrap_or(u8::MAX))
    }

    fn add_goods(&mut self, e: u32, g: &Goods) -> Result<(), IngestError> {
        let row = match g {
            Goods::Lot(lq) => {
                let lot = self.lot(&lq.lot)?;
                self.lot_event(lot, e);
                let unit = self.units.intern(&lq.quantity.unit).ok_or_else(full_units)?;
                let q = &lq.quantity;
                GoodsRow::Lot { lot, qty: Qty { amount: q.amount, unit, scale: q.scale } }
            }
            Goods::Container(c) => GoodsRow::Container { container: self.container_no(c)? },
            Goods::Serials(s) => {
                let lot = self.lot(&s.lot)?;
                self.lot_event(lot, e);
                match &s.serials {
                    SerialSpan::One(serial) => {
                        GoodsRow::One { lot, serial: self.text.push(serial.as_str()) }
                    }
                    SerialSpan::Range(r) => GoodsRow::Range {
                        lot,
                        prefix: self.text.push(r.prefix()),
                        first: r.first(),
                        count: r.count(),
                        width: r.width(),
                    },
                }
            }
        };
        self.serialized.goods.push(row);
        Ok(())
    }

    fn container_no(&mut self, c: &ContainerId) -> Result<u32, IngestError> {
        self.serialized.containers.intern(c).ok_or_else(full_units)
    }

    /// The goods of event row `i`, resolved against `world` (serials to
    /// intervals, interning heads as needed).
    pub(crate) fn resolve_goods(&self, world: &mut UnitWorld, i: u32) -> Vec<Resolved> {
        let Some(ev) = self.serialized.events.get(i as usize) else { return Vec::new() };
        let start = ev.goods_start as usize;
        let rows =
            self.serialized.goods.get(start..start + usize::from(ev.goods_len)).unwrap_or_default();
        let mut out = Vec::with_capacity(rows.len());
        for g in rows {
            match *g {
                GoodsRow::Lot { lot, qty } => out.push(Resolved::Lot(lot, qty)),
                GoodsRow::Container { container } => out.push(Resolved::Container(container)),
                GoodsRow::One { lot, serial } => {
                    let (head, digits, n) = split_serial(self.text.get(serial));
                    let key = world.key(lot, head, digits);
                    out.push(Resolved::Serials(key, n, n));
                }
                GoodsRow::Range { lot, prefix, first, count, width } => {
                    let prefix = self.text.get(prefix);
                    for (head, digits, lo, hi) in range_intervals(prefix, first, count, width) {
                        let key = world.key(lot, &head, digits);
                        out.push(Resolved::Serials(key, lo, hi));
                    }
                }
            }
        }
        out
    }

    /// Applies event row `i` to `world`; returns what it changes elsewhere.
    pub(crate) fn apply_unit_event(&self, world: &mut UnitWorld, i: u32) -> Effects {
        let mut fx = Effects::default();
        let Some(ev) = self.serialized.events.get(i as usize).copied() else { return fx };
        let goods = self.resolve_goods(world, i);
        let kind = RecordKind::from_number(u32::from(ev.kind));
        let piece = self.units.get(&Unit::Piece);
        match kind {
            Some(RecordKind::Commissioned) => {
                for g in &goods {
                    if let Resolved::Serials(key, lo, hi) = *g {
                        world.update(key, lo, hi, |old, _| match old {
                            Some(s) => {
                                fx.problem(ProblemKind::SerialCommissionedTwice);
                                Some(s)
                            }
                            None => Some(UnitState {
                                status: Status::InStock,
                                event: i,
                                container: NONE,
                            }),
                        });
                    }
                }
            }
            Some(RecordKind::Packed | RecordKind::Aggregated) if ev.detail == 0 => {
                let parent = ev.parent;
                let _ = world.container(parent);
                for g in &goods {
                    match *g {
                        Resolved::Serials(key, lo, hi) => {
                            world.update(key, lo, hi, |old, _| match old {
                                None => {
                                    fx.problem(ProblemKind::SerialNotCommissioned);
                                    None
                                }
                                Some(s) => {
                                    if matches!(s.status, Status::Shipped | Status::Decommissioned)
                                    {
                                        fx.problem(ProblemKind::UnitNotAvailable);
                                    }
                                    Some(UnitState { container: parent, ..s })
                                }
                            });
                        }
                        Resolved::Container(c) => {
                            if world.within(parent, c) {
                                fx.problem(ProblemKind::ContainerCycle);
                            } else {
                                world.set_parent(c, parent);
                            }
                        }
                        Resolved::Lot(lot, qty) => {
                            if let Some(x) = world.container(parent) {
                                add_qty(&mut x.lots, lot, qty);
                            }
                        }
                    }
                }
            }
            Some(RecordKind::Aggregated) => {
                let parent = ev.parent;
                if goods.is_empty() {
                    for (key, lo, hi) in world.held_in(&[parent]) {
                        world.update(key, lo, hi, |old, _| {
                            old.map(|s| UnitState { container: NONE, ..s })
                        });
                    }
                    for c in world.children.get(&parent).cloned().unwrap_or_default() {
                        world.set_parent(c, NONE);
                    }
                    if let Some(x) = world.container(parent) {
                        x.lots.clear();
                    }
                }
                for g in &goods {
                    match *g {
                        Resolved::Serials(key, lo, hi) => {
                            world.update(key, lo, hi, |old, _| match old {
                                Some(s) if s.container == parent => {
                                    Some(UnitState { container: NONE, ..s })
                                }
                                other => {
                                    fx.problem(ProblemKind::NotInContainer);
                                    other
                                }
                            });
                        }
                        Resolved::Container(c) => {
                            if world.parent(c) == parent {
                                world.set_parent(c, NONE);
                            } else {
                                fx.problem(ProblemKind::NotInContainer);
                            }
                        }
                        Resolved::Lot(lot, qty) => {
                            let taken = world
                                .container(parent)
                                .is_some_and(|x| take_qty(&mut x.lots, lot, qty));
                            if !taken {
                                fx.problem(ProblemKind::NotInContainer);
                            }
                        }
                    }
                }
            }
            Some(
                k @ (RecordKind::GoodsShipped
                | RecordKind::GoodsReturned
                | RecordKind::Decommissioned),
            ) => {
                let (status, ok): (Status, fn(Status) -> bool) = match k {
                    RecordKind::GoodsShipped => {
                        (Status::Shipped, |s| matches!(s, Status::InStock | Status::Returned))
                    }
                    RecordKind::GoodsReturned => (Status::Returned, |s| s == Status::Shipped),
                    _ => (Status::Decommissioned, |s| s != Status::Decommissioned),
                };
                let refused = if k == RecordKind::GoodsReturned {
                    ProblemKind::UnitNotShipped
                } else {
                    ProblemKind::UnitNotAvailable
                };
                let shipping = k == RecordKind::GoodsShipped;
                let mut runs: Vec<(SerialKey, u128, u128)> = Vec::new();
                for g in &goods {
                    match *g {
                        Resolved::Serials(key, lo, hi) => runs.push((key, lo, hi)),
                        Resolved::Container(c) => {
                            let inside = world.closure(c);
                            runs.extend(world.held_in(&inside));
                            for x in inside {
                                let Some(st) = world.container(x) else { continue };
                                if !ok(st.status) {
                                    fx.problem(refused);
                                }
                                st.status = status;
                                st.event = i;
                                if shipping {
                                    fx.shipped.extend(st.lots.iter().copied());
                                }
                            }
                        }
                        Resolved::Lot(lot, qty) => {
                            if shipping {
                                fx.shipped.push((lot, qty));
                            }
                        }
                    }
                }
                for (key, lo, hi) in runs {
                    let mut moved = 0u64;
                    world.update(key, lo, hi, |old, n| match old {
                        None => {
                            fx.problem(ProblemKind::SerialNotCommissioned);
                            None
                        }
                        Some(s) => {
                            if !ok(s.status) {
                                fx.problem(refused);
                            }
                            moved = moved.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
                            Some(UnitState { status, event: i, ..s })
                        }
                    });
                    if shipping && moved > 0 {
                        // Each serial is one piece of its lot.
                        if let Some(unit) = piece {
                            fx.shipped.push((key.lot, Qty { amount: moved, unit, scale: 0 }));
                        } else {
                            fx.shipped.push((key.lot, Qty { amount: moved, unit: NONE, scale: 0 }));
                        }
                    }
                }
            }
            _ => {}
        }
        fx
    }

    /// Records the effects of event row `i`: its shipment lines and problems.
    fn take_effects(&mut self, i: u32, fx: Effects) -> Result<(), IngestError> {
        let Some(ev) = self.serialized.events.get(i as usize).copied() else { return Ok(()) };
        let mut shipped = fx.shipped;
        if shipped.iter().any(|(_, q)| q.unit == NONE) {
            let unit = self.units.intern(&Unit::Piece).ok_or_else(full_units)?;
            for (_, q) in &mut shipped {
                if q.unit == NONE {
                    q.unit = unit;
                }
            }
        }
        let time = self.entries.time.get(ev.entry as usize).copied().unwrap_or_default();
        for (lot, q) in shipped {
            if let Some(node) = self.lot_nodes.get_mut(lot as usize) {
                node.shipments.push(ShipmentRow {
                    amount: q.amount,
                    time,
                    entry: ev.entry,
                    customer: ev.party,
                    ship_to: ev.ship_to,
                    order: ev.order,
                    unit: q.unit,
                    scale: q.scale,
                });
            }
        }
        if !fx.problems.is_empty()
            && let Some(place) = self.place(ev.entry)
        {
            for kind in fx.problems {
                self.problems.push(Problem { ledger: place.ledger, seq: place.seq, kind });
            }
        }
        Ok(())
    }

    /// The event rows in the order they apply: by entry time, then entry
    /// number (ledgers are ingested one after the other, so entry numbers
    /// alone interleave them wrongly).
    pub(crate) fn unit_order(&self) -> Vec<u32> {
        let events = &self.serialized.events;
        let mut order: Vec<u32> = (0..events.len()).filter_map(|i| u32::try_from(i).ok()).collect();
        let key = |i: &u32| {
            let e = events.get(*i as usize).map_or(NONE, |ev| ev.entry);
            (self.entries.time.get(e as usize).copied().unwrap_or_default(), e)
        };
        if !order.is_sorted_by_key(key) {
            order.sort_by_key(key);
        }
        order
    }

    /// Replays the unit events in force from an empty state, in time
    /// order, calling `observe(world before, event row)` before each.
    pub(crate) fn replay_units(&self, mut observe: impl FnMut(&mut UnitWorld, u32)) -> UnitWorld {
        let mut world = UnitWorld {
            applied: std::vec![false; self.serialized.events.len()],
            ..UnitWorld::default()
        };
        for i in self.unit_order() {
            let Some(ev) = self.serialized.events.get(i as usize) else { continue };
            let live = !self.is_void(ev.entry);
            if live {
                observe(&mut world, i);
                let _ = self.apply_unit_event(&mut world, i);
                world.last_time = world.last_time.max(self.time(ev.entry).0);
            }
            if let Some(a) = world.applied.get_mut(i as usize) {
                *a = live;
            }
        }
        world
    }

    /// Rebuilds the unit state from the rows (after loading the cache, which
    /// keeps only the rows).
    pub(crate) fn rebuild_unit_world(&mut self) {
        self.serialized.world = self.replay_units(|_, _| {});
    }

    /// After a correction: notes whether it changed what unit events are
    /// in force (the state is then rebuilt when the ingest call ends).
    pub(super) fn refresh_units(&mut self) {
        let world = &self.serialized.world;
        let changed = self
            .serialized
            .events
            .iter()
            .zip(world.applied.iter())
            .any(|(ev, &applied)| applied == self.is_void(ev.entry));
        if changed {
            self.serialized.world.dirty = true;
        }
    }

    /// Ends an ingest call: when events came out of time order or a
    /// correction changed what is in force, rebuilds the unit state, the
    /// shipment lines derived from unit events and the unit problems.
    pub(crate) fn settle_units(&mut self) -> Result<(), IngestError> {
        if !self.serialized.world.dirty {
            return Ok(());
        }
        let shipped = u8::try_from(RecordKind::GoodsShipped.number()).unwrap_or(KIND_UNKNOWN);
        let kinds = &self.entries.kind;
        for node in &mut self.lot_nodes {
            node.shipments.retain(|s| kinds.get(s.entry as usize) != Some(&shipped));
        }
        self.problems.retain(|p| !p.kind.is_unit());
        let mut effects = Vec::new();
        let mut world = UnitWorld {
            applied: std::vec![false; self.serialized.events.len()],
            ..UnitWorld::default()
        };
        for i in self.unit_order() {
            let Some(ev) = self.serialized.events.get(i as usize) else { continue };
            let live = !self.is_void(ev.entry);
            if live {
                effects.push((i, self.apply_unit_event(&mut world, i)));
                world.last_time = world.last_time.max(self.time(ev.entry).0);
            }
            if let Some(a) = world.applied.get_mut(i as usize) {
                *a = live;
            }
        }
        self.serialized.world = world;
        for (i, fx) in effects {
            self.take_effects(i, fx)?;
        }
        for node in &mut self.lot_nodes {
            node.shipments.sort_by_key(|s| s.entry);
        }
        Ok(())
    }
}

fn full_units() -> IngestError {
    IngestError::Full { what: "serialized goods" }
}

fn add_qty(lots: &mut Vec<(u32, Qty)>, lot: u32, qty: Qty) {
    match lots.iter_mut().find(|(l, q)| *l == lot && q.unit == qty.unit && q.scale == qty.scale) {
        Some((_, q)) => q.amount = q.amount.saturating_add(qty.amount),
        None => lots.push((lot, qty)),
    }
}

/// Takes `qty` of `lot` out; false when the container holds less.
fn take_qty(lots: &mut Vec<(u32, Qty)>, lot: u32, qty: Qty) -> bool {
    let found =
        lots.iter().position(|(l, q)| *l == lot && q.unit == qty.unit && q.scale == qty.scale);
    match found {
        Some(i) => {
            let Some((_, q)) = lots.get_mut(i) else { return false };
            if q.amount < qty.amount {
                return false;
            }
            q.amount -= qty.amount;
            if q.amount == 0 {
                lots.remove(i);
            }
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_split_into_head_digits_and_number() {
        assert_eq!(split_serial("A000042"), ("A", 6, 42));
        assert_eq!(split_serial("XYZ"), ("XYZ", 0, 0));
        assert_eq!(split_serial("12"), ("", 2, 12));
        assert_eq!(serial_text("A", 6, 42), "A000042");
        assert_eq!(serial_text("XYZ", 0, 0), "XYZ");
    }

    #[test]
    fn ranges_become_intervals_by_digit_count() {
        // 998..1002 unpadded: three-digit 998, 999 and four-digit 1000..1002.
        let r = range_intervals("", 998, 5, 0);
        assert_eq!(r, std::vec![("".into(), 3, 998, 999), ("".into(), 4, 1000, 1002)]);
        // A trailing digit in the prefix joins the number: "A1" + 05 = A105.
        let r = range_intervals("A1", 5, 2, 2);
        assert_eq!(r, std::vec![("A".into(), 3, 105, 106)]);
        // The same serial, read alone, lands in that interval.
        assert_eq!(split_serial("A106"), ("A", 3, 106));
    }

    #[test]
    fn updates_split_and_merge_runs() {
        let mut w = UnitWorld::default();
        let key = w.key(0, "A", 6);
        let s = |event| UnitState { status: Status::InStock, event, container: NONE };
        w.update(key, 1, 100, |_, _| Some(s(0)));
        w.update(key, 10, 19, |old, n| {
            assert_eq!(n, 10);
            old.map(|_| s(1))
        });
        assert_eq!(w.pieces[&key].len(), 3);
        assert_eq!(w.state(&key, 10).map(|s| s.event), Some(1));
        assert_eq!(w.state(&key, 20).map(|s| s.event), Some(0));
        assert_eq!(w.state(&key, 101), None);
        // Setting them back merges the three runs into one.
        w.update(key, 10, 19, |old, _| old.map(|_| s(0)));
        assert_eq!(w.pieces[&key], std::vec![Piece { lo: 1, hi: 100, state: s(0) }]);
        // A gap is offered as None with its length.
        let mut gaps = 0;
        w.update(key, 95, 110, |old, n| {
            if old.is_none() {
                gaps += n;
            }
            old
        });
        assert_eq!(gaps, 10);
    }
}
