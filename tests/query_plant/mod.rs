//! A small plant written by hand across three ledgers (dock, line, sales),
//! shared by the `query_*` scenario tests. Every expected answer in those
//! tests was worked out by hand from the records below.
//!
//! ```text
//! dock   (ledger 1): receipts, incoming inspections, dispositions of raw lots
//! line   (ledger 2): productions, in-process/release tests, dispositions
//! sales  (ledger 3): shipments, returns, complaints, recall, corrections
//!
//! supplier V-ACME  -> RM-A/A1 100 KGM (supplier lot SA-77, PO-1)   accepted
//! supplier V-BETA  -> RM-B/B1  50 KGM (supplier lot SB-12, PO-2)   conditional
//! WO-1 (LINE-1): A1 40 KGM + B1 10 KGM -> IM-M/M1 50 KGM
//! WO-2 (LINE-2): M1 20 KGM + A1 10 KGM -> gtin/F1 1000 H87, expiry 2027-01-31
//! WO-3 (LINE-2): M1 30 KGM             -> gtin/F2  500 H87, expiry 2027-06-30
//! WO-4 (LINE-3): B1  5 KGM             -> gtin/F3  100 H87, expiry 2028-01-01
//! F1 released; F2 released then on hold; F3 released
//! shipped: F1 300 -> C-1 at LOC-1 (SO-1); F1 200 -> C-2 (SO-2);
//!          F2 100 -> C-1 (SO-3);          F3  50 -> C-3 (SO-4)
//!          F2 999 -> C-3 (SO-5) keyed by mistake, then corrected (void)
//! returned: C-1 gives back 20 of F1
//! ```
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]

use lotledger::chain::{Anchor, Receipt, Writer};
use lotledger::entry::Stamp;
use lotledger::frame::MAX_FRAME_LEN;
use lotledger::index::Index;
use lotledger::model::*;

/// 2026-03-02T00:00:00Z, the scenario's hour 0.
pub const T0: i64 = 1_772_409_600_000;

/// Hour `h` of the scenario.
pub fn t(h: i64) -> Timestamp {
    Timestamp(T0 + h * Timestamp::HOUR)
}

/// Minute `m` after hour `h`.
pub fn tm(h: i64, m: i64) -> Timestamp {
    Timestamp(T0 + h * Timestamp::HOUR + m * 60_000)
}

pub fn lot(item: &str, code: &str) -> LotId {
    LotId { item: ItemCode::Internal(item.parse().unwrap()), lot: code.parse().unwrap() }
}

/// A finished-goods lot of the scenario's product GTIN.
pub fn fg(code: &str) -> LotId {
    LotId {
        item: ItemCode::Gtin(Gtin::parse("09506000134352").unwrap()),
        lot: code.parse().unwrap(),
    }
}

pub const FG: &str = "gtin:09506000134352";

pub fn party(code: &str) -> PartyId {
    PartyId::Internal(code.parse().unwrap())
}

pub fn kg(n: u64) -> Quantity {
    Quantity::whole(n, Unit::Kilogram)
}

pub fn pcs(n: u64) -> Quantity {
    Quantity::whole(n, Unit::Piece)
}

pub fn r(s: &str) -> Reference {
    s.parse().unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap()
}

pub const DOCK: usize = 0;
pub const LINE: usize = 1;
pub const SALES: usize = 2;

/// Ledgers being written.
pub struct Plant {
    pub ledgers: Vec<(LedgerId, Writer<Vec<u8>, Vec<u8>>)>,
}

impl Default for Plant {
    fn default() -> Self {
        Self::new(3)
    }
}

impl Plant {
    pub fn new(n: usize) -> Self {
        let ledgers = (0..n)
            .map(|i| {
                let id = LedgerId([u8::try_from(i + 1).unwrap(); 16]);
                (id, Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&id)))
            })
            .collect();
        Self { ledgers }
    }

    /// Appends `record` to ledger `l` at `time` by `actor` at `station`.
    pub fn put(
        &mut self,
        l: usize,
        time: Timestamp,
        actor: &str,
        station: &str,
        record: Record,
    ) -> Receipt {
        let stamp =
            Stamp { time, actor: actor.parse().unwrap(), station: station.parse().unwrap() };
        self.ledgers[l].1.append(&stamp, &record).unwrap()
    }

    pub fn id(&self, l: usize) -> LedgerId {
        self.ledgers[l].0
    }

    pub fn bytes(&self, l: usize) -> &[u8] {
        self.ledgers[l].1.storage()
    }

    /// An index over every ledger.
    pub fn index(&self) -> Index {
        Index::from_ledgers(self.ledgers.iter().map(|(id, w)| (*id, w.storage().as_slice())))
            .unwrap()
    }

    pub fn receive(
        &mut self,
        h: i64,
        lot: &LotId,
        q: Quantity,
        supplier: &str,
        slot: &str,
        po: &str,
    ) {
        self.put(
            DOCK,
            t(h),
            "k.huber",
            "WH-DOCK-1",
            Record::MaterialReceived(MaterialReceived {
                lot: lot.clone(),
                quantity: q,
                supplier: party(supplier),
                supplier_lot: Some(slot.parse().unwrap()),
                order: Some(r(po)),
            }),
        );
    }

    pub fn inspect(
        &mut self,
        l: usize,
        h: i64,
        lot: &LotId,
        stage: InspectionStage,
        result: InspectionResult,
    ) {
        self.put(
            l,
            t(h),
            "a.novak",
            "QC-LAB",
            Record::Inspected(Inspected {
                lot: lot.clone(),
                stage,
                result,
                certificate: None,
                report: Some(r(&format!("REP-{}", lot.lot))),
                note: Text::default(),
            }),
        );
    }

    pub fn produce(
        &mut self,
        h: i64,
        wo: &str,
        line: &str,
        inputs: &[(&LotId, Quantity)],
        output: (&LotId, Quantity),
        expiry: Option<Date>,
    ) -> Receipt {
        let mut ins = heapless::Vec::new();
        for (l, q) in inputs {
            ins.push(LotQuantity { lot: (*l).clone(), quantity: q.clone() }).unwrap();
        }
        let mut outs = heapless::Vec::new();
        outs.push(LotQuantity { lot: output.0.clone(), quantity: output.1 }).unwrap();
        self.put(
            LINE,
            t(h),
            "j.meyer",
            line,
            Record::Produced(Produced {
                work_order: r(wo),
                line: line.parse().unwrap(),
                produced_on: t(h).date(),
                expiry,
                inputs: ins,
                outputs: outs,
            }),
        )
    }

    pub fn dispose(&mut self, l: usize, h: i64, lot: &LotId, status: Disposition) {
        self.put(
            l,
            t(h),
            "s.okafor",
            "QA-OFFICE",
            Record::DispositionSet(DispositionSet {
                lot: lot.clone(),
                status,
                reason: Text::default(),
            }),
        );
    }

    pub fn ship(
        &mut self,
        h: i64,
        lot: &LotId,
        q: Quantity,
        customer: &str,
        to: Option<&str>,
        so: &str,
    ) -> Receipt {
        self.put(
            SALES,
            t(h),
            "t.yilmaz",
            "SHIP-1",
            Record::Shipped(Shipped {
                lot: lot.clone(),
                quantity: q,
                customer: party(customer),
                ship_to: to.map(|x| LocationId::Internal(x.parse().unwrap())),
                order: r(so),
            }),
        )
    }

    pub fn give_back(&mut self, h: i64, lot: &LotId, q: Quantity, from: &str) {
        self.put(
            SALES,
            t(h),
            "m.weber",
            "WH-RETURNS",
            Record::Returned(Returned {
                lot: lot.clone(),
                quantity: q,
                from: party(from),
                kind: ReturnKind::Return,
                reason: "damaged".parse().unwrap(),
                complaint: None,
                order: None,
            }),
        );
    }

    pub fn correct(&mut self, l: usize, h: i64, target: EntryRef, why: &str) -> Receipt {
        self.put(
            l,
            t(h),
            "s.okafor",
            "QA-OFFICE",
            Record::Corrected(Corrected {
                target,
                reason: why.parse().unwrap(),
                replacements: heapless::Vec::new(),
            }),
        )
    }
}

/// The plant drawn in the module documentation.
pub fn standard() -> Plant {
    let mut p = Plant::default();
    let (a1, b1, m1) = (lot("RM-A", "A1"), lot("RM-B", "B1"), lot("IM-M", "M1"));
    let (f1, f2, f3) = (fg("F1"), fg("F2"), fg("F3"));
    p.receive(0, &a1, kg(100), "V-ACME", "SA-77", "PO-1");
    p.inspect(DOCK, 1, &a1, InspectionStage::Incoming, InspectionResult::Accepted);
    p.dispose(DOCK, 2, &a1, Disposition::Released);
    p.receive(3, &b1, kg(50), "V-BETA", "SB-12", "PO-2");
    p.inspect(DOCK, 4, &b1, InspectionStage::Incoming, InspectionResult::Conditional);
    p.dispose(DOCK, 5, &b1, Disposition::Released);
    p.produce(10, "WO-1", "LINE-1", &[(&a1, kg(40)), (&b1, kg(10))], (&m1, kg(50)), None);
    p.inspect(LINE, 11, &m1, InspectionStage::InProcess, InspectionResult::Accepted);
    p.produce(
        20,
        "WO-2",
        "LINE-2",
        &[(&m1, kg(20)), (&a1, kg(10))],
        (&f1, pcs(1000)),
        Some(date(2027, 1, 31)),
    );
    p.produce(21, "WO-3", "LINE-2", &[(&m1, kg(30))], (&f2, pcs(500)), Some(date(2027, 6, 30)));
    p.produce(22, "WO-4", "LINE-3", &[(&b1, kg(5))], (&f3, pcs(100)), Some(date(2028, 1, 1)));
    p.inspect(LINE, 23, &f1, InspectionStage::Release, InspectionResult::Accepted);
    p.dispose(LINE, 24, &f1, Disposition::Released);
    p.dispose(LINE, 24, &f2, Disposition::Released);
    p.dispose(LINE, 24, &f3, Disposition::Released);
    p.ship(30, &f1, pcs(300), "C-1", Some("LOC-1"), "SO-1");
    p.ship(31, &f1, pcs(200), "C-2", None, "SO-2");
    p.ship(32, &f2, pcs(100), "C-1", None, "SO-3");
    p.ship(33, &f3, pcs(50), "C-3", None, "SO-4");
    let wrong = p.ship(34, &f2, pcs(999), "C-3", None, "SO-5");
    p.correct(
        SALES,
        35,
        EntryRef { seq: wrong.seq, hash: wrong.hash },
        "keyed against the wrong lot",
    );
    p.give_back(40, &f1, pcs(20), "C-1");
    p.dispose(LINE, 50, &f2, Disposition::OnHold);
    p
}
