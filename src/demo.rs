//! A simulated plant that writes a realistic stream of records from a fixed
//! seed: the same seed always gives the same stream.
//!
//! It makes medicated patches. Suppliers deliver raw materials (some are
//! rejected at incoming inspection); intermediates are mixed from many raw
//! lots; finished lots are made from intermediates and packaging, tested,
//! held or released, packed onto SSCC pallets and shipped in many small
//! lines to hundreds of distributors, hospitals and pharmacies. Customers
//! confirm delivery, return goods and complain; staff correct mistakes;
//! one recall is in progress. Benchmarks, tests and `lotledger demo` use it.

#![expect(
    clippy::indexing_slicing,
    reason = "a simulation outside the core: every index is rng.index(len) of a non-empty list"
)]

use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

use crate::chain::Receipt;
use crate::entry::Stamp;
use crate::model::*;

/// A small, fast, deterministic random number generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// 32 random bytes, standing in for the digest of a document.
    pub fn digest(&mut self) -> Digest {
        let mut d = [0u8; 32];
        for chunk in d.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        Digest(d)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index into a slice of `len` (> 0) items.
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// A count in `lo..=hi`.
    pub fn count(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.index(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
}

/// How big a plant to simulate.
#[derive(Clone, Debug)]
pub struct PlantConfig {
    /// The random seed.
    pub seed: u64,
    /// Number of customers (distributors, hospitals, pharmacies).
    pub customers: usize,
    /// Number of suppliers.
    pub suppliers: usize,
    /// When the simulation starts.
    pub start: Timestamp,
    /// How many times the daily volume of a plant of the default size
    /// (about 100 records a day): receipts, batches and orders all scale.
    pub scale: u32,
    /// Whether the plant writes master data (its own site, every customer,
    /// ship-to location, supplier, material and product before first use,
    /// and weekly customer updates). Off by default, so the record stream
    /// of a seed stays what it was; `lotledger demo` turns it on.
    pub master_data: bool,
    /// Whether the plant serializes the lots of its first 4 products (commissioning, cases on SSCC
    /// pallets shipped by SSCC, retention samples, returns by serial). Off
    /// by default for the same reason; `lotledger demo` turns it on.
    pub serialized: bool,
}

impl PlantConfig {
    /// A plant sized so that `events` records span about one year.
    #[must_use]
    pub fn for_events(events: u64) -> Self {
        let scale = u32::try_from(events.div_ceil(36_500)).unwrap_or(u32::MAX).max(1);
        Self {
            scale,
            customers: 400 + 40 * usize::try_from(scale.min(40)).unwrap_or(40),
            ..Self::default()
        }
    }
}

impl Default for PlantConfig {
    fn default() -> Self {
        Self {
            seed: 2026,
            customers: 400,
            suppliers: 12,
            start: Timestamp(1_767_225_600_000),
            scale: 1,
            master_data: false,
            serialized: false,
        }
    }
}

const MINUTE: i64 = 60_000;

fn code<const N: usize>(s: &str) -> Code<N> {
    // Every identifier the simulation makes is short and printable.
    Code::new(s).unwrap_or_else(|_| Code::new("?").unwrap_or_default())
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_default()
}

/// A personal field kept plain: the demo's complainants are invented, and the
/// core demo has no personal-data store.
fn personal<const N: usize>(s: &str) -> Personal<N> {
    Personal::Plain(text(s))
}

fn demo_address(street: &str, city: &str, postal_code: &str, country: &str) -> Address {
    Address {
        street: text(street),
        city: text(city),
        postal_code: text(postal_code),
        region: Text::default(),
        country: text(country),
    }
}

fn internal_lot(item: &str, lot: &str) -> LotId {
    LotId { item: ItemCode::Internal(code(item)), lot: code(lot) }
}

/// `body` with its GS1 check digit appended.
const fn with_check(body: u64) -> u64 {
    body * 10 + gs1_check_digit(body)
}

fn gln_from(body: u64) -> Option<Gln> {
    Gln::new(with_check(body % 1_000_000_000_000)).ok()
}

#[derive(Clone, Debug)]
struct StockLot {
    id: LotId,
    on_hand: u64,
    scale: u8,
    unit: Unit,
}

#[derive(Clone, Debug)]
struct OpenComplaint {
    number: Reference,
    severity: Severity,
    step: u8,
}

/// The simulated plant: an iterator of `(Stamp, Record)` in time order.
#[derive(Debug)]
pub struct Plant {
    rng: Rng,
    now: Timestamp,
    day: u32,
    queue: VecDeque<(Stamp, Record)>,
    raw: Vec<StockLot>,
    intermediates: Vec<StockLot>,
    finished: Vec<StockLot>,
    customers: Vec<PartyId>,
    ship_tos: Vec<Option<LocationId>>,
    suppliers: Vec<PartyId>,
    products: Vec<Gtin>,
    complaints: Vec<OpenComplaint>,
    recent: Vec<Receipt>,
    counters: [u64; 8],
    recall_open: bool,
    scale: usize,
    /// [`PlantConfig::serialized`].
    serialize: bool,
    /// Serialized lots made so far (see [`Plant::serialize_lot`]).
    serialized_lots: u64,
    /// Which parties and products have their master data written.
    master: MasterState,
}

/// What master data the demo has written (see [`Plant::describe_customer`]).
#[derive(Clone, Debug, Default)]
struct MasterState {
    /// [`PlantConfig::master_data`].
    enabled: bool,
    own_site: bool,
    customers: Vec<bool>,
    suppliers: Vec<bool>,
    products: Vec<bool>,
    materials: Vec<bool>,
    /// Customer updates written so far.
    updates: u64,
    /// Whether the record last yielded is master data.
    last_yielded: bool,
    /// Whether each of `Plant::recent` is master data.
    recent_is_master: Vec<bool>,
}

fn is_master_data(r: &Record) -> bool {
    matches!(
        r,
        Record::PartyDescribed(_) | Record::LocationDescribed(_) | Record::ProductDescribed(_)
    )
}

const RAW_MATERIALS: [(&str, Unit, u64); 12] = [
    ("RM-ACRYL-ADH", Unit::Kilogram, 500),
    ("RM-PET-FILM", Unit::SquareMetre, 4000),
    ("RM-LINER-SIL", Unit::SquareMetre, 4000),
    ("RM-NICOTINE", Unit::Kilogram, 20),
    ("RM-LIDOCAINE", Unit::Kilogram, 25),
    ("RM-ESTRADIOL", Unit::Gram, 900),
    ("RM-GLYCEROL", Unit::Litre, 200),
    ("RM-ETHANOL", Unit::Litre, 400),
    ("PM-POUCH-ALU", Unit::Piece, 50_000),
    ("PM-CARTON-7", Unit::Piece, 20_000),
    ("PM-LEAFLET", Unit::Piece, 40_000),
    ("PM-SHIPPER", Unit::Piece, 2_000),
];

/// How many of the 16 products are serialized (their lots get serials,
/// cases and SSCC pallets shipped by SSCC).
const SERIALIZED_PRODUCTS: usize = 4;

const ACTORS: [&str; 12] = [
    "k.huber",
    "m.weber",
    "a.novak",
    "l.chen",
    "s.okafor",
    "j.meyer",
    "p.rossi",
    "e.kowalski",
    "t.yilmaz",
    "r.fischer",
    "n.sato",
    "d.moreau",
];

impl Plant {
    /// A plant configured by `config`.
    #[must_use]
    pub fn new(config: &PlantConfig) -> Self {
        let mut rng = Rng::new(config.seed);
        let customers: Vec<PartyId> = (0..config.customers)
            .map(|i| match gln_from(401_234_500_000 + i as u64 * 7) {
                Some(gln) if i % 3 == 0 => PartyId::Gln(gln),
                _ => PartyId::Internal(code(&format!("C{:05}", 10_000 + i))),
            })
            .collect();
        let ship_tos = (0..config.customers)
            .map(|i| match i % 5 {
                0 => Some(LocationId::Internal(code(&format!("C{:05}-{}", 10_000 + i, 1 + i % 3)))),
                1 => gln_from(401_234_510_000 + i as u64 * 13).map(LocationId::Gln),
                _ => None,
            })
            .collect();
        let suppliers = (0..config.suppliers)
            .map(|i| match gln_from(541_234_500_000 + i as u64 * 11) {
                Some(gln) if i % 2 == 0 => PartyId::Gln(gln),
                _ => PartyId::Internal(code(&format!("V{:04}", 3000 + i))),
            })
            .collect();
        let products =
            (0..16).filter_map(|i| Gtin::new(with_check(950_600_013_400 + i * 17)).ok()).collect();
        let _ = rng.next_u64();
        Self {
            rng,
            now: config.start,
            day: 0,
            queue: VecDeque::new(),
            raw: Vec::new(),
            intermediates: Vec::new(),
            finished: Vec::new(),
            customers,
            ship_tos,
            suppliers,
            products,
            complaints: Vec::new(),
            recent: Vec::new(),
            counters: [0; 8],
            recall_open: false,
            scale: usize::try_from(config.scale.max(1)).unwrap_or(1),
            master: MasterState { enabled: config.master_data, ..MasterState::default() },
            serialize: config.serialized,
            serialized_lots: 0,
        }
    }

    fn next_number(&mut self, counter: usize) -> u64 {
        let slot = self.counters.get_mut(counter);
        match slot {
            Some(c) => {
                *c += 1;
                *c
            }
            None => 0,
        }
    }

    fn stamp(&mut self, actor: usize, station: &str, minutes: i64) -> Stamp {
        // A bigger plant does more in parallel: its clock advances less per record.
        let step = (minutes * MINUTE + self.rng.below(60_000) as i64) / self.scale as i64;
        self.now = Timestamp(self.now.0 + step);
        Stamp {
            time: self.now,
            actor: code(ACTORS.get(actor % ACTORS.len()).copied().unwrap_or("sys")),
            station: code(station),
        }
    }

    fn stamp_any(
        &mut self,
        first_actor: usize,
        actors: usize,
        station: &str,
        minutes: i64,
    ) -> Stamp {
        let actor = first_actor + self.rng.index(actors);
        self.stamp(actor, station, minutes)
    }

    fn push(&mut self, stamp: Stamp, record: Record) {
        self.queue.push_back((stamp, record));
    }

    fn lot_code(&mut self, prefix: &str, counter: usize) -> String {
        let n = self.next_number(counter);
        format!("{prefix}{}{n:04}", 26 + self.day / 365)
    }

    fn simulate_day(&mut self) {
        self.day += 1;
        // Start the working day at 06:00.
        let day_ms = 24 * 60 * MINUTE;
        self.now = Timestamp((self.now.0 / day_ms + 1) * day_ms + 6 * 60 * MINUTE);
        self.update_master_data();
        self.receive_materials();
        self.produce_intermediates();
        self.produce_finished();
        self.ship();
        self.handle_complaints();
        self.maybe_recall();
        self.maybe_correct();
    }

    fn receive_materials(&mut self) {
        let deliveries = self.rng.between(2, 5) * self.scale as u64;
        for _ in 0..deliveries {
            let (item, unit, qty) = RAW_MATERIALS[self.rng.index(RAW_MATERIALS.len())].clone();
            let lot = self.lot_code("R", 0);
            let id = internal_lot(item, &lot);
            let supplier_no = self.rng.index(self.suppliers.len());
            self.describe_supplier(supplier_no);
            self.describe_material(item);
            let supplier = self.suppliers[supplier_no].clone();
            let quantity = Quantity::whole(qty, unit.clone());
            let po = format!("45{:08}", 1000 + self.next_number(1));
            let supplier_lot = format!(
                "{}{:05}",
                ["A", "LT", "B-", "X"][self.rng.index(4)],
                self.rng.below(100_000)
            );
            let s = self.stamp_any(0, 2, "WH-DOCK-1", 20);
            self.push(
                s,
                Record::MaterialReceived(MaterialReceived {
                    lot: id.clone(),
                    quantity,
                    supplier,
                    supplier_lot: Some(code(&supplier_lot)),
                    order: Some(code(&po)),
                }),
            );
            let rejected = self.rng.chance(60);
            let conditional = !rejected && self.rng.chance(40);
            let with_coa = self.rng.chance(700);
            let certificate = with_coa.then(|| self.rng.digest());
            let s = self.stamp_any(2, 2, "QC-LAB", 90);
            self.push(
                s,
                Record::Inspected(Inspected {
                    lot: id.clone(),
                    stage: InspectionStage::Incoming,
                    result: if rejected {
                        InspectionResult::Rejected
                    } else if conditional {
                        InspectionResult::Conditional
                    } else {
                        InspectionResult::Accepted
                    },
                    certificate,
                    report: None,
                    note: text(if conditional { "use within 30 days" } else { "" }),
                }),
            );
            let status = if rejected { Disposition::Rejected } else { Disposition::Released };
            let s = self.stamp(4, "QA-OFFICE", 15);
            self.push(
                s,
                Record::DispositionSet(DispositionSet {
                    lot: id.clone(),
                    status,
                    reason: text(if rejected { "assay out of spec" } else { "" }),
                }),
            );
            if rejected {
                let s = self.stamp(1, "WH-DOCK-1", 60);
                self.push(
                    s,
                    Record::Destroyed(Destroyed {
                        lot: id,
                        quantity: Quantity::whole(qty, unit),
                        reason: text("rejected at incoming inspection"),
                        recall: None,
                    }),
                );
            } else {
                self.raw.push(StockLot { id, on_hand: qty, scale: 0, unit });
            }
        }
        // Keep the stock list short: the oldest lots are used up.
        let keep = 40 * self.scale;
        if self.raw.len() > keep {
            self.raw.drain(..self.raw.len() - keep);
        }
    }

    fn take_inputs(
        &mut self,
        from_raw: usize,
        from_intermediate: usize,
    ) -> heapless::Vec<LotQuantity, MAX_INPUTS> {
        let mut inputs = heapless::Vec::new();
        for (pool_is_raw, count) in [(true, from_raw), (false, from_intermediate)] {
            for _ in 0..count {
                let pool = if pool_is_raw { &mut self.raw } else { &mut self.intermediates };
                if pool.is_empty() {
                    break;
                }
                let i = self.rng.index(pool.len());
                let Some(lot) = pool.get_mut(i) else { break };
                if lot.on_hand == 0 || inputs.iter().any(|q: &LotQuantity| q.lot == lot.id) {
                    continue;
                }
                let take = (lot.on_hand / 4).max(1).min(lot.on_hand);
                lot.on_hand -= take;
                let q = LotQuantity {
                    lot: lot.id.clone(),
                    quantity: Quantity { amount: take, scale: lot.scale, unit: lot.unit.clone() },
                };
                if inputs.push(q).is_err() {
                    break;
                }
            }
        }
        inputs
    }

    fn produce_intermediates(&mut self) {
        for _ in 0..self.scale {
            self.produce_intermediate();
        }
        let keep = 12 * self.scale;
        if self.intermediates.len() > keep {
            self.intermediates.drain(..self.intermediates.len() - keep);
        }
    }

    fn produce_intermediate(&mut self) {
        if self.raw.len() < 4 {
            return;
        }
        let n_inputs = self.rng.count(3, 8);
        let inputs = self.take_inputs(n_inputs, 0);
        let lot = self.lot_code("M", 2);
        let id = internal_lot(["IM-BLEND-N", "IM-BLEND-L", "IM-LAMINATE"][self.rng.index(3)], &lot);
        let amount = self.rng.between(300, 900);
        let mut outputs = heapless::Vec::new();
        let _ = outputs.push(LotQuantity {
            lot: id.clone(),
            quantity: Quantity::whole(amount, Unit::Kilogram),
        });
        let wo = format!("WO{:07}", self.next_number(3));
        let produced_on = self.now.date();
        let s = self.stamp_any(5, 3, "LINE-1-MIX", 120);
        self.push(
            s,
            Record::Produced(Produced {
                work_order: code(&wo),
                line: code("LINE-1"),
                produced_on,
                expiry: None,
                inputs,
                outputs,
            }),
        );
        let s = self.stamp(2, "QC-LAB", 60);
        self.push(
            s,
            Record::Inspected(Inspected {
                lot: id.clone(),
                stage: InspectionStage::InProcess,
                result: InspectionResult::Accepted,
                certificate: None,
                report: Some(code(&format!("IPC-{lot}"))),
                note: Text::default(),
            }),
        );
        self.intermediates.push(StockLot { id, on_hand: amount, scale: 0, unit: Unit::Kilogram });
    }

    fn produce_finished(&mut self) {
        if self.intermediates.is_empty() {
            return;
        }
        let batches = self.rng.between(1, 2) * self.scale as u64;
        for _ in 0..batches {
            let (raw, intermediate) = (self.rng.count(2, 4), self.rng.count(1, 2));
            let inputs = self.take_inputs(raw, intermediate);
            let product_no = self.rng.index(self.products.len());
            self.describe_product(product_no);
            let gtin = self.products[product_no];
            let lot = self.lot_code("B", 4);
            let id = LotId { item: ItemCode::Gtin(gtin), lot: code(&lot) };
            let cartons = self.rng.between(8_000, 30_000);
            let produced_on = self.now.date();
            let expiry = Date(produced_on.0 + 730);
            let mut outputs = heapless::Vec::new();
            let _ = outputs.push(LotQuantity {
                lot: id.clone(),
                quantity: Quantity::whole(cartons, Unit::Piece),
            });
            let wo = format!("WO{:07}", self.next_number(3));
            let line = ["LINE-2", "LINE-3"][self.rng.index(2)];
            let s = self.stamp_any(5, 3, line, 240);
            self.push(
                s,
                Record::Produced(Produced {
                    work_order: code(&wo),
                    line: code(line),
                    produced_on,
                    expiry: Some(expiry),
                    inputs,
                    outputs,
                }),
            );
            let s = self.stamp(4, "QA-OFFICE", 5);
            self.push(
                s,
                Record::DispositionSet(DispositionSet {
                    lot: id.clone(),
                    status: Disposition::Quarantine,
                    reason: Text::default(),
                }),
            );
            for _ in 0..self.rng.between(1, 3) {
                let s = self.stamp_any(2, 2, "QC-LAB", 45);
                self.push(
                    s,
                    Record::Inspected(Inspected {
                        lot: id.clone(),
                        stage: InspectionStage::InProcess,
                        result: InspectionResult::Accepted,
                        certificate: None,
                        report: None,
                        note: Text::default(),
                    }),
                );
            }
            let fail = self.rng.chance(30);
            let s = self.stamp(3, "QC-LAB", 180);
            let certificate = Some(self.rng.digest());
            self.push(
                s,
                Record::Inspected(Inspected {
                    lot: id.clone(),
                    stage: InspectionStage::Release,
                    result: if fail {
                        InspectionResult::Rejected
                    } else {
                        InspectionResult::Accepted
                    },
                    certificate,
                    report: Some(code(&format!("CoA-{lot}"))),
                    note: Text::default(),
                }),
            );
            if fail {
                let s = self.stamp(4, "QA-OFFICE", 30);
                self.push(
                    s,
                    Record::DispositionSet(DispositionSet {
                        lot: id.clone(),
                        status: Disposition::OnHold,
                        reason: text("release test OOS"),
                    }),
                );
                continue;
            }
            let s = self.stamp(4, "QA-OFFICE", 30);
            self.push(
                s,
                Record::DispositionSet(DispositionSet {
                    lot: id.clone(),
                    status: Disposition::Released,
                    reason: Text::default(),
                }),
            );
            // Cases of 48 cartons onto pallets of up to 16 cases.
            let pallets = (cartons / (48 * 16)).clamp(1, 6);
            for _ in 0..pallets {
                let body = 34_012_345_000_000_000 + self.next_number(5);
                let Ok(sscc) = Sscc::new(with_check(body)) else { continue };
                let mut contents = heapless::Vec::new();
                let _ = contents.push(Packable::Lot(LotQuantity {
                    lot: id.clone(),
                    quantity: Quantity::whole(768, Unit::Piece),
                }));
                let s = self.stamp(6, "PACK-1", 20);
                self.push(s, Record::Packed(Packed { into: ContainerId::Sscc(sscc), contents }));
            }
            let shipped = if self.serialize
                && self.products.iter().take(SERIALIZED_PRODUCTS).any(|g| *g == gtin)
            {
                self.serialize_lot(&id, cartons)
            } else {
                0
            };
            self.finished.push(StockLot {
                id,
                on_hand: cartons - shipped,
                scale: 0,
                unit: Unit::Piece,
            });
        }
        let keep = 24 * self.scale;
        if self.finished.len() > keep {
            self.finished.drain(..self.finished.len() - keep);
        }
    }

    /// Serialization of a released lot of a serialized product (the first
    /// [`SERIALIZED_PRODUCTS`] GTINs, as DSCSA or the EU FMD require): its
    /// `cartons` serials commissioned as one range (the lot code, then six
    /// digits), two cases of 48 packed and put on an SSCC pallet that ships
    /// to a customer by its SSCC, two cartons taken as retention samples,
    /// and every third lot a carton returned by serial. Returns how many
    /// cartons shipped.
    fn serialize_lot(&mut self, id: &LotId, cartons: u64) -> u64 {
        const CASE: u32 = 48;
        let Ok(count) = u32::try_from(cartons) else { return 0 };
        if count < 2 * CASE + 2 {
            return 0;
        }
        self.serialized_lots += 1;
        let lot_serials = |first: u64, n: u32| {
            SerialRange::new(id.lot.as_str(), first, n, 6).ok().map(|r| {
                Goods::Serials(LotSerials { lot: id.clone(), serials: SerialSpan::Range(r) })
            })
        };
        let Ok(all) = SerialRange::new(id.lot.as_str(), 1, count, 6) else { return 0 };
        let s = self.stamp(6, "SER-1", 10);
        let mut serials = heapless::Vec::new();
        let _ = serials.push(SerialSpan::Range(all));
        self.push(s, Record::Commissioned(Commissioned { lot: id.clone(), serials }));
        let n = self.serialized_lots;
        let mut cases: heapless::Vec<Goods, MAX_GOODS> = heapless::Vec::new();
        for k in 0..2u64 {
            let case = ContainerId::Internal(code(&format!("CS{:07}", n * 2 + k)));
            let mut contents = heapless::Vec::new();
            if let Some(g) = lot_serials(1 + k * u64::from(CASE), CASE) {
                let _ = contents.push(g);
            }
            let s = self.stamp(6, "PACK-1", 4);
            self.push(
                s,
                Record::Aggregated(Aggregated {
                    parent: case.clone(),
                    action: AggregationAction::Pack,
                    contents,
                }),
            );
            let _ = cases.push(Goods::Container(case));
        }
        let body = 34_012_345_000_000_000 + self.next_number(5);
        let Ok(sscc) = Sscc::new(with_check(body)) else { return 0 };
        let pallet = ContainerId::Sscc(sscc);
        let s = self.stamp(6, "PACK-1", 6);
        self.push(
            s,
            Record::Aggregated(Aggregated {
                parent: pallet.clone(),
                action: AggregationAction::Pack,
                contents: cases,
            }),
        );
        let c = usize::try_from(n.wrapping_mul(7)).unwrap_or(0) % self.customers.len().max(1);
        let Some(customer) = self.customers.get(c).cloned() else { return 0 };
        let ship_to = self.ship_tos.get(c).cloned().flatten();
        let order = code::<24>(&format!("SO{:07}", self.next_number(6)));
        let mut goods = heapless::Vec::new();
        let _ = goods.push(Goods::Container(pallet));
        let s = self.stamp_any(8, 2, "SHIP-1", 20);
        self.push(
            s,
            Record::GoodsShipped(GoodsShipped {
                customer: customer.clone(),
                ship_to,
                order: order.clone(),
                goods,
            }),
        );
        let mut samples = heapless::Vec::new();
        if let Some(g) = lot_serials(u64::from(count) - 1, 2) {
            let _ = samples.push(g);
        }
        let s = self.stamp(3, "QC-LAB", 15);
        self.push(
            s,
            Record::Decommissioned(Decommissioned {
                reason: DecommissionReason::Sample,
                note: text("retention sample"),
                recall: None,
                goods: samples,
            }),
        );
        if n.is_multiple_of(3) {
            let mut back = heapless::Vec::new();
            let serial = format!("{}{:06}", id.lot.as_str(), 1 + n % u64::from(2 * CASE));
            let _ = back.push(Goods::Serials(LotSerials {
                lot: id.clone(),
                serials: SerialSpan::One(code(&serial)),
            }));
            let s = self.stamp(1, "WH-RETURNS", 60);
            self.push(
                s,
                Record::GoodsReturned(GoodsReturned {
                    from: customer,
                    kind: ReturnKind::Return,
                    reason: text("saleable return"),
                    complaint: None,
                    order: Some(order),
                    goods: back,
                }),
            );
        }
        u64::from(2 * CASE)
    }

    fn ship(&mut self) {
        if self.finished.is_empty() {
            return;
        }
        let orders = self.rng.between(20, 60) * self.scale as u64;
        for _ in 0..orders {
            let c = self.rng.index(self.customers.len());
            self.describe_customer(c);
            let customer = self.customers[c].clone();
            let ship_to = self.ship_tos.get(c).cloned().flatten();
            let order = code::<24>(&format!("SO{:07}", self.next_number(6)));
            let lines = self.rng.between(1, 3);
            for _ in 0..lines {
                let i = self.rng.index(self.finished.len());
                let Some(lot) = self.finished.get_mut(i) else { continue };
                if lot.on_hand == 0 {
                    continue;
                }
                let qty = self.rng.between(1, 40).min(lot.on_hand) * 12;
                let qty = qty.min(lot.on_hand);
                lot.on_hand -= qty;
                let id = lot.id.clone();
                let s = self.stamp_any(8, 2, "SHIP-1", 3);
                self.push(
                    s,
                    Record::Shipped(Shipped {
                        lot: id.clone(),
                        quantity: Quantity::whole(qty, Unit::Piece),
                        customer: customer.clone(),
                        ship_to: ship_to.clone(),
                        order: order.clone(),
                    }),
                );
                if self.rng.chance(8) {
                    self.register_complaint(&id, &customer, &order);
                }
                if self.rng.chance(5) {
                    let back = (qty / 2).max(1);
                    let s = self.stamp(1, "WH-RETURNS", 30);
                    let kind = if self.rng.chance(500) {
                        ReturnKind::Exchange
                    } else {
                        ReturnKind::Return
                    };
                    self.push(
                        s,
                        Record::Returned(Returned {
                            lot: id,
                            quantity: Quantity::whole(back, Unit::Piece),
                            from: customer.clone(),
                            kind,
                            reason: text("damaged in transit"),
                            complaint: None,
                            order: Some(order.clone()),
                        }),
                    );
                }
            }
            if self.rng.chance(900) {
                let s = self.stamp(10, "CS-DESK", 2);
                self.push(s, Record::Delivered(Delivered { order, customer }));
            }
        }
    }

    /// A stamp for master data, from the master-data desk. It draws nothing
    /// from the random stream, so adding master data leaves the rest of the
    /// simulation as it was.
    fn master_stamp(&mut self) -> Stamp {
        self.now = Timestamp(self.now.0 + 1_000);
        Stamp { time: self.now, actor: code("s.okafor"), station: code("MD-DESK") }
    }

    /// Writes master data once per identity, just before its first use,
    /// so that every party, location and product the records name is
    /// described. Once a week one customer is updated: every other update
    /// moves its address, the others add a contact.
    fn update_master_data(&mut self) {
        if !self.master.enabled {
            return;
        }
        if !self.master.own_site {
            self.master.own_site = true;
            let s = self.master_stamp();
            let mut site = PartyDescribed {
                party: PartyId::Internal(code("SITE-01")),
                also_known_as: heapless::Vec::new(),
                name: text("Example Transdermal Works AG"),
                roles: heapless::Vec::new(),
                addresses: heapless::Vec::new(),
                contacts: heapless::Vec::new(),
            };
            let _ = site.roles.push(PartyRole::OwnSite);
            let _ = site.addresses.push(demo_address("Plant Road 1", "Examplestadt", "4000", "CH"));
            let _ = site.contacts.push(Contact {
                function: text("QA recall desk"),
                person: personal("Robin Sample"),
                phone: personal("+41 61 555 01 00"),
                email: personal("recall@transdermal.example"),
            });
            self.push(s, Record::PartyDescribed(site));
        }
        let n = self.customers.len();
        if !self.day.is_multiple_of(7) || n == 0 {
            return;
        }
        let c = (self.day as usize * 31) % n;
        if !self.master.customers.get(c).copied().unwrap_or(false) {
            return;
        }
        self.master.updates += 1;
        let moved = self.master.updates % 2 == 1;
        let s = self.master_stamp();
        let record = self.customer_record(c, moved, !moved);
        self.push(s, Record::PartyDescribed(record));
    }

    /// The description of customer `c`: a name, an address, a contact.
    /// Every third GLN customer is also known by its internal code.
    fn customer_record(&self, c: usize, moved: bool, second_contact: bool) -> PartyDescribed {
        const TOWNS: [&str; 8] = [
            "Northbrook",
            "Eastfield",
            "Westerly",
            "Southmere",
            "Brookhaven",
            "Millbridge",
            "Oakridge",
            "Fairhaven",
        ];
        const KINDS: [&str; 4] =
            ["Pharmacy", "Hospital Pharmacy", "Medical Supply", "Pharma Distribution"];
        const FIRST: [&str; 6] = ["Alex", "Sam", "Kim", "Jo", "Chris", "Noa"];
        const LAST: [&str; 5] = ["Sample", "Example", "Demo", "Testwell", "Placeholder"];
        let town = TOWNS[c % TOWNS.len()];
        let party = self.customers[c].clone();
        let mut also_known_as = heapless::Vec::new();
        if matches!(party, PartyId::Gln(_)) && c.is_multiple_of(9) {
            let _ = also_known_as.push(PartyId::Internal(code(&format!("C{:05}", 10_000 + c))));
        }
        let mut p = PartyDescribed {
            party,
            also_known_as,
            name: text(&format!("{town} {} No. {}", KINDS[c % KINDS.len()], 1 + c / 8)),
            roles: heapless::Vec::new(),
            addresses: heapless::Vec::new(),
            contacts: heapless::Vec::new(),
        };
        let _ = p.roles.push(PartyRole::Customer);
        let street = if moved {
            format!("New Example Street {}", 1 + c % 89)
        } else {
            format!("Example Street {}", 1 + c % 97)
        };
        let postal = format!("{}", 10_000 + (c * 37) % 89_999);
        let _ = p.addresses.push(demo_address(&street, town, &postal, "DE"));
        let _ = p.contacts.push(Contact {
            function: text("recall coordinator"),
            person: personal(&format!("{} {}", FIRST[c % FIRST.len()], LAST[c % LAST.len()])),
            phone: personal(&format!("+49 30 5550 {:04}", c % 10_000)),
            email: personal(&format!("recall@c{}.example", 10_000 + c)),
        });
        if second_contact {
            let _ = p.contacts.push(Contact {
                function: text("QA manager"),
                person: personal(&format!(
                    "{} {}",
                    FIRST[(c + 1) % FIRST.len()],
                    LAST[(c + 2) % LAST.len()]
                )),
                phone: personal(&format!("+49 30 5551 {:04}", c % 10_000)),
                email: Personal::default(),
            });
        }
        p
    }

    /// Customer `c`'s master data and that of its ship-to location, the
    /// first time it is used.
    fn describe_customer(&mut self, c: usize) {
        if !self.master.enabled {
            return;
        }
        if self.master.customers.len() < self.customers.len() {
            self.master.customers.resize(self.customers.len(), false);
        }
        if self.master.customers.get(c).copied().unwrap_or(true) {
            return;
        }
        self.master.customers[c] = true;
        let s = self.master_stamp();
        let record = self.customer_record(c, false, false);
        let town = record.addresses.first().map(|a| a.city.clone()).unwrap_or_default();
        let owner = record.party.clone();
        self.push(s, Record::PartyDescribed(record));
        if let Some(location) = self.ship_tos.get(c).cloned().flatten() {
            let s = self.master_stamp();
            self.push(
                s,
                Record::LocationDescribed(LocationDescribed {
                    location,
                    kind: LocationKind::ShipTo,
                    name: text(&format!("{} goods-in {}", town.as_str(), 1 + c % 3)),
                    address: demo_address(
                        &format!("Dock Lane {}", 1 + c % 53),
                        town.as_str(),
                        &format!("{}", 10_000 + (c * 41) % 89_999),
                        "DE",
                    ),
                    owner: Some(owner),
                }),
            );
        }
    }

    /// Supplier `i`'s master data, the first time it is used.
    fn describe_supplier(&mut self, i: usize) {
        if !self.master.enabled {
            return;
        }
        const NAMES: [&str; 6] = [
            "Acme Adhesives GmbH",
            "Sample Films Ltd",
            "Example Fine Chemicals SA",
            "Demo Packaging BV",
            "Placeholder Pharma Ingredients",
            "Testwell Liners Inc",
        ];
        if self.master.suppliers.len() < self.suppliers.len() {
            self.master.suppliers.resize(self.suppliers.len(), false);
        }
        if self.master.suppliers.get(i).copied().unwrap_or(true) {
            return;
        }
        self.master.suppliers[i] = true;
        let s = self.master_stamp();
        let mut p = PartyDescribed {
            party: self.suppliers[i].clone(),
            also_known_as: heapless::Vec::new(),
            name: text(&format!("{} {}", NAMES[i % NAMES.len()], 1 + i / NAMES.len())),
            roles: heapless::Vec::new(),
            addresses: heapless::Vec::new(),
            contacts: heapless::Vec::new(),
        };
        let _ = p.roles.push(PartyRole::Supplier);
        let _ = p.addresses.push(demo_address(
            &format!("Supplier Park {}", 1 + i),
            "Sampleton",
            &format!("{}", 20_000 + i * 7),
            "NL",
        ));
        self.push(s, Record::PartyDescribed(p));
    }

    /// Finished product `i`'s master data, the first time it is made.
    fn describe_product(&mut self, i: usize) {
        if !self.master.enabled {
            return;
        }
        const ACTIVES: [(&str, &str); 4] = [
            ("Nicotine", "21 mg/24 h"),
            ("Lidocaine", "700 mg"),
            ("Estradiol", "50 µg/24 h"),
            ("Nicotine", "14 mg/24 h"),
        ];
        if self.master.products.len() < self.products.len() {
            self.master.products.resize(self.products.len(), false);
        }
        if self.master.products.get(i).copied().unwrap_or(true) {
            return;
        }
        self.master.products[i] = true;
        let (active, strength) = ACTIVES[i % ACTIVES.len()];
        let pack = [7u64, 14, 28, 30][i % 4];
        let s = self.master_stamp();
        self.push(
            s,
            Record::ProductDescribed(ProductDescribed {
                item: ItemCode::Gtin(self.products[i]),
                also_known_as: heapless::Vec::new(),
                description: text(&format!(
                    "{active} transdermal patch {strength}, {pack} patches"
                )),
                form: text("transdermal patch"),
                strength: text(strength),
                pack_size: Some(Quantity::whole(pack, Unit::Piece)),
                shelf_life_days: Some(730),
                storage: text("below 25 °C, in the sealed pouch"),
            }),
        );
    }

    /// Raw or packaging material `item`'s master data, the first time it is received.
    fn describe_material(&mut self, item: &str) {
        if !self.master.enabled {
            return;
        }
        let Some(i) = RAW_MATERIALS.iter().position(|(name, _, _)| *name == item) else { return };
        if self.master.materials.len() < RAW_MATERIALS.len() {
            self.master.materials.resize(RAW_MATERIALS.len(), false);
        }
        if self.master.materials.get(i).copied().unwrap_or(true) {
            return;
        }
        self.master.materials[i] = true;
        let s = self.master_stamp();
        let description = item.trim_start_matches("RM-").trim_start_matches("PM-").to_lowercase();
        self.push(
            s,
            Record::ProductDescribed(ProductDescribed {
                item: ItemCode::Internal(code(item)),
                also_known_as: heapless::Vec::new(),
                description: text(&format!("{description} (material)")),
                form: Text::default(),
                strength: Text::default(),
                pack_size: None,
                shelf_life_days: None,
                storage: Text::default(),
            }),
        );
    }

    fn register_complaint(&mut self, lot: &LotId, customer: &PartyId, order: &Reference) {
        let number = code::<24>(&format!("CMP-{:06}", self.next_number(7)));
        let severity = match self.rng.below(100) {
            0..=79 => Severity::General,
            80..=97 => Severity::Major,
            _ => Severity::Crisis,
        };
        let kind = match self.rng.below(10) {
            0..=4 => ComplaintType::ProductQuality,
            5..=6 => ComplaintType::Logistics,
            7 => ComplaintType::ServiceAttitude,
            8 => ComplaintType::ContractDispute,
            _ => ComplaintType::MisleadingAdvertising,
        };
        let received_at = Timestamp(self.now.0 - 30 * MINUTE);
        let mut evidence = heapless::Vec::new();
        if self.rng.chance(600) {
            let _ = evidence.push(self.rng.digest());
        }
        let s = self.stamp(11, "CS-DESK", 10);
        let channel =
            [Channel::Phone, Channel::Email, Channel::Web, Channel::Visit][self.rng.index(4)];
        let quantity = Some(Quantity::whole(self.rng.between(1, 20), Unit::Piece));
        self.push(
            s,
            Record::ComplaintRegistered(ComplaintRegistered {
                complaint: number.clone(),
                received_at,
                channel,
                complainant: Complainant {
                    person: personal("Pharmacist on duty"),
                    organisation: Some(customer.clone()),
                    contact: personal("+49 30 1234567"),
                },
                customer: Some(customer.clone()),
                product: text("Lidocaine 5% patch"),
                packaging: text("carton of 10 pouches"),
                quantity,
                lot: Some(lot.clone()),
                order: Some(order.clone()),
                place_of_purchase: text("hospital pharmacy"),
                story: personal(
                    "Patches lose adhesion after a few hours; stored at room temperature.",
                ),
                expectation: text("replacement"),
                evidence,
                severity,
                kind,
            }),
        );
        self.complaints.push(OpenComplaint { number, severity, step: 0 });
    }

    fn handle_complaints(&mut self) {
        let mut open = core::mem::take(&mut self.complaints);
        for c in &mut open {
            // A few complaints are left waiting: they show up as overdue.
            if self.rng.chance(150) {
                continue;
            }
            let step = match c.step {
                0 => ComplaintStep::Acknowledged,
                1 => ComplaintStep::Investigated {
                    method: InvestigationMethod::Sampling,
                    findings: text("retained samples tested; adhesion within spec"),
                    root_cause: Some(
                        [RootCause::Usage, RootCause::Production, RootCause::Transport]
                            [self.rng.index(3)],
                    ),
                },
                2 if c.severity != Severity::General => {
                    ComplaintStep::Planned { note: text("CAPA opened; line audit scheduled") }
                }
                2 | 3 => ComplaintStep::Resolved {
                    remedy: [Remedy::Exchange, Remedy::Refund, Remedy::NoFault][self.rng.index(3)],
                    capa: None,
                    note: Text::default(),
                },
                4 => ComplaintStep::CustomerResponse { accepted: true, note: Text::default() },
                5 => ComplaintStep::FollowedUp { satisfaction: 4, note: Text::default() },
                _ => ComplaintStep::Closed,
            };
            let skip_plan = c.step == 2 && c.severity == Severity::General;
            c.step += if skip_plan { 2 } else { 1 };
            let s = self.stamp(11, "CS-DESK", 5);
            self.push(
                s,
                Record::ComplaintProgress(ComplaintProgress { complaint: c.number.clone(), step }),
            );
        }
        open.retain(|c| c.step <= 6);
        self.complaints = open;
    }

    fn maybe_recall(&mut self) {
        if self.recall_open || self.day < 60 || self.raw.is_empty() {
            return;
        }
        // The supplier of an active ingredient or adhesive reports a problem:
        // the lot that went into the most product (oldest in stock, most used).
        let Some(lot) = self
            .raw
            .iter()
            .filter(
                |l| matches!(&l.id.item, ItemCode::Internal(c) if c.as_str().starts_with("RM-")),
            )
            .min_by_key(|l| l.on_hand)
            .map(|l| l.id.clone())
        else {
            return;
        };
        self.recall_open = true;
        let mut lots = heapless::Vec::new();
        let _ = lots.push(lot.clone());
        let s = self.stamp(4, "QA-OFFICE", 10);
        self.push(
            s,
            Record::RecallOpened(RecallOpened {
                recall: code("RC-2026-001"),
                class: RecallClass::II,
                lots,
                reason: text("supplier reported contamination of this lot"),
            }),
        );
        for c in self.customers.iter().take(5).cloned().collect::<Vec<_>>() {
            let s = self.stamp(4, "QA-OFFICE", 10);
            self.push(
                s,
                Record::RecallAction(RecallAction {
                    recall: code("RC-2026-001"),
                    step: RecallStep::CustomerNotified { customer: c },
                }),
            );
        }
    }

    fn maybe_correct(&mut self) {
        if self.recent.is_empty() || !self.rng.chance(100) {
            return;
        }
        let i = self.rng.index(self.recent.len());
        let Some(target) = self.correction_target(i) else { return };
        let s = self.stamp(4, "QA-OFFICE", 10);
        self.push(
            s,
            Record::Corrected(Corrected {
                target: EntryRef { seq: target.seq, hash: target.hash },
                reason: text("wrong quantity keyed in"),
                replacements: heapless::Vec::new(),
            }),
        );
    }

    /// Tells the plant where one of its records was stored, so that later
    /// corrections can name it by sequence number and hash. A plant that is
    /// never told makes no corrections.
    pub fn note_receipt(&mut self, receipt: Receipt) {
        if self.recent.len() >= 32 {
            self.recent.remove(0);
            if !self.master.recent_is_master.is_empty() {
                self.master.recent_is_master.remove(0);
            }
        }
        self.recent.push(receipt);
        self.master.recent_is_master.push(self.master.last_yielded);
    }

    /// The receipt a correction picked as `i`, or the nearest earlier one
    /// (else later) that is not master data: the demo corrects events only.
    fn correction_target(&self, i: usize) -> Option<Receipt> {
        let is_master = |k: usize| self.master.recent_is_master.get(k).copied().unwrap_or(false);
        let k = (0..=i).rev().chain(i + 1..self.recent.len()).find(|&k| !is_master(k))?;
        self.recent.get(k).copied()
    }
}

impl Iterator for Plant {
    type Item = (Stamp, Record);

    fn next(&mut self) -> Option<Self::Item> {
        while self.queue.is_empty() {
            self.simulate_day();
        }
        let next = self.queue.pop_front();
        self.master.last_yielded = next.as_ref().is_some_and(|(_, r)| is_master_data(r));
        next
    }
}

/// The default plant's first `n` entries written to an in-memory ledger.
/// Returns the ledger id and the stored bytes.
#[must_use]
pub fn ledger(n: usize) -> (LedgerId, Vec<u8>) {
    ledger_with(n, &PlantConfig::default())
}

/// [`ledger`] for the plant `config` describes.
#[must_use]
pub fn ledger_with(n: usize, config: &PlantConfig) -> (LedgerId, Vec<u8>) {
    let id = LedgerId(*b"lotledger-demo-1");
    let mut w = crate::chain::Writer::new(
        Vec::new(),
        vec![0u8; crate::frame::MAX_FRAME_LEN],
        crate::chain::Anchor::genesis(&id),
    );
    let mut plant = Plant::new(config);
    for _ in 0..n {
        let Some((stamp, record)) = plant.next() else { break };
        // Vec storage cannot fail and the buffer fits any entry.
        if let Ok(receipt) = w.append(&stamp, &record)
            && receipt.seq % 97 == 0
        {
            plant.note_receipt(receipt);
        }
    }
    (id, w.into_parts().0)
}
