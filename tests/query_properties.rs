//! Properties on the demo plant's record stream:
//! - every lot in a forward trace has the start lot in its backward trace,
//!   and the other way round;
//! - the mass balance of a closed plant is zero: per lot and unit, what the
//!   index reports equals a plain replay of the decoded records (with
//!   corrections applied by a separate, backward-walking model), and a plant
//!   without corrections never goes below zero;
//! - an index fed the ledger in pieces answers as one built at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use lotledger::chain::{Anchor, Verifier, Writer};
use lotledger::demo::{Plant, PlantConfig};
use lotledger::index::Index;
use lotledger::model::*;
use lotledger::query::{self, Decimal, Discrepancy, Totals};
use proptest::prelude::*;

const ENTRIES: usize = 30_000;

struct Demo {
    id: LedgerId,
    bytes: Vec<u8>,
    index: Index,
    lots: Vec<LotId>,
}

fn decoded(id: &LedgerId, bytes: &[u8]) -> Vec<(u64, Digest, Record)> {
    Verifier::new(bytes, Anchor::genesis(id))
        .map(|v| {
            let v = v.unwrap();
            (v.header.seq, v.hash, v.record().unwrap())
        })
        .collect()
}

fn lots_of(records: &[(u64, Digest, Record)]) -> Vec<LotId> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (_, _, r) in records {
        let mut add = |l: &LotId| {
            if seen.insert(l.clone()) {
                out.push(l.clone());
            }
        };
        match r {
            Record::MaterialReceived(m) => add(&m.lot),
            Record::Produced(p) => {
                p.inputs.iter().chain(p.outputs.iter()).for_each(|q| add(&q.lot))
            }
            _ => {}
        }
    }
    out
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (id, bytes) = lotledger::demo::ledger(ENTRIES);
        let mut index = Index::new();
        index.ingest_bytes(&id, &bytes).unwrap();
        let lots = lots_of(&decoded(&id, &bytes));
        Demo { id, bytes, index, lots }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn forward_then_backward_returns_to_the_start(i in any::<prop::sample::Index>()) {
        let d = demo();
        let start = &d.lots[i.index(d.lots.len())];
        let name = (start.item.to_string(), start.lot.as_str().to_string());
        let fwd = query::trace_forward(&d.index, start).unwrap();
        for l in &fwd.lots {
            let lot = d.lots.iter().find(|x| x.item.to_string() == l.item && x.lot.as_str() == l.lot).unwrap();
            let back = query::trace_backward(&d.index, lot).unwrap();
            prop_assert!(back.lots.iter().any(|b| (b.item, b.lot) == (name.0.as_str(), name.1.as_str())));
        }
        let back = query::trace_backward(&d.index, start).unwrap();
        for l in &back.lots {
            let lot = d.lots.iter().find(|x| x.item.to_string() == l.item && x.lot.as_str() == l.lot).unwrap();
            let fwd = query::trace_forward(&d.index, lot).unwrap();
            prop_assert!(fwd.lots.iter().any(|f| (f.item, f.lot) == (name.0.as_str(), name.1.as_str())));
        }
    }
}

/// Per lot and unit: (received, produced, returned, consumed, shipped, destroyed).
type Model = HashMap<LotId, BTreeMap<String, [i128; 6]>>;

/// Replays decoded records, voiding what corrections in force void. Void
/// status is found walking backward (a correction always comes after its
/// target), independently of the index's forward bookkeeping.
fn replay(records: &[(u64, Digest, Record)]) -> Model {
    let by_seq: HashMap<u64, usize> = records.iter().enumerate().map(|(i, r)| (r.0, i)).collect();
    let mut voiders: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, (seq, _, r)) in records.iter().enumerate() {
        if let Record::Corrected(c) = r
            && c.target.seq < *seq
            && let Some(&t) = by_seq.get(&c.target.seq)
            && records[t].1 == c.target.hash
        {
            voiders.entry(t).or_default().push(i);
        }
    }
    let mut void = vec![false; records.len()];
    for i in (0..records.len()).rev() {
        void[i] = voiders.get(&i).is_some_and(|cs| cs.iter().any(|&c| !void[c]));
    }
    let mut m: Model = HashMap::new();
    let mut add = |lot: &LotId, q: &Quantity, k: usize| {
        m.entry(lot.clone()).or_default().entry(q.unit.code().to_string()).or_default()[k] +=
            q.normalized().unwrap();
    };
    for (i, (_, _, r)) in records.iter().enumerate() {
        if void[i] {
            continue;
        }
        match r {
            Record::MaterialReceived(x) => add(&x.lot, &x.quantity, 0),
            Record::Produced(p) => {
                p.outputs.iter().for_each(|q| add(&q.lot, &q.quantity, 1));
                p.inputs.iter().for_each(|q| add(&q.lot, &q.quantity, 3));
            }
            Record::Returned(x) => add(&x.lot, &x.quantity, 2),
            Record::Shipped(x) => add(&x.lot, &x.quantity, 4),
            Record::Destroyed(x) => add(&x.lot, &x.quantity, 5),
            _ => {}
        }
    }
    m
}

fn amount(t: &Totals, unit: &str) -> i128 {
    t.get(unit).0
}

fn check_balances(index: &Index, model: &Model) -> usize {
    let mut negative = 0;
    for (lot, units) in model {
        let b = query::mass_balance(index, lot).unwrap();
        for (unit, v) in units {
            let [received, produced, returned, consumed, shipped, destroyed] = *v;
            assert_eq!(amount(&b.received, unit), received, "{lot} {unit}");
            assert_eq!(amount(&b.produced, unit), produced, "{lot} {unit}");
            assert_eq!(amount(&b.returned, unit), returned, "{lot} {unit}");
            assert_eq!(amount(&b.consumed, unit), consumed, "{lot} {unit}");
            assert_eq!(amount(&b.shipped, unit), shipped, "{lot} {unit}");
            assert_eq!(amount(&b.destroyed, unit), destroyed, "{lot} {unit}");
            // In minus out minus on hand is zero, exactly.
            let balance = received + produced + returned
                - consumed
                - shipped
                - destroyed
                - amount(&b.on_hand, unit);
            assert_eq!(balance, 0, "{lot} {unit}");
        }
        negative += usize::from(
            b.discrepancies.iter().any(|d| matches!(d, Discrepancy::NegativeOnHand { .. })),
        );
    }
    negative
}

#[test]
fn closed_plant_balances_to_zero() {
    // A plant never told its receipts makes no corrections: a closed plant.
    let id = LedgerId([9; 16]);
    let mut w =
        Writer::new(Vec::new(), vec![0u8; lotledger::frame::MAX_FRAME_LEN], Anchor::genesis(&id));
    for (stamp, record) in Plant::new(&PlantConfig::default()).take(ENTRIES) {
        w.append(&stamp, &record).unwrap();
    }
    let bytes = w.into_parts().0;
    let mut index = Index::new();
    index.ingest_bytes(&id, &bytes).unwrap();
    let records = decoded(&id, &bytes);
    let model = replay(&records);
    assert!(model.len() > 100);
    assert_eq!(check_balances(&index, &model), 0, "no lot of a closed plant goes below zero");
    // Plant-wide, per unit: everything received or produced is consumed,
    // shipped, destroyed or on hand.
    let mut plant: BTreeMap<String, i128> = BTreeMap::new();
    for lot in model.keys() {
        let b = query::mass_balance(&index, lot).unwrap();
        for (totals, sign) in [
            (&b.received, 1),
            (&b.produced, 1),
            (&b.returned, 1),
            (&b.consumed, -1),
            (&b.shipped, -1),
            (&b.destroyed, -1),
            (&b.on_hand, -1),
        ] {
            for a in &totals.0 {
                *plant.entry(a.unit.clone()).or_default() += sign * a.quantity.0;
            }
        }
    }
    assert!(plant.values().all(|&v| v == 0), "{plant:?}");
    assert_eq!(Decimal(0).to_string(), "0");
}

#[test]
fn demo_plant_with_corrections_matches_a_replay() {
    let d = demo();
    let records = decoded(&d.id, &d.bytes);
    assert!(records.iter().any(|r| matches!(r.2, Record::Corrected(_))));
    let model = replay(&records);
    check_balances(&d.index, &model);
}

#[test]
fn fed_in_pieces_equals_built_at_once() {
    let d = demo();
    let mut ix = Index::new();
    // Feed growing prefixes cut at frame boundaries, as an appender would.
    let offsets: Vec<usize> = Verifier::new(&d.bytes, Anchor::genesis(&d.id))
        .map(|v| v.unwrap().offset as usize)
        .collect();
    let mut fed = 0;
    for (k, &cut) in offsets.iter().enumerate().step_by(997) {
        fed += ix.ingest_bytes(&d.id, &d.bytes[..cut]).unwrap();
        assert_eq!(fed, k as u64);
    }
    fed += ix.ingest_bytes(&d.id, &d.bytes).unwrap();
    assert_eq!(fed, ENTRIES as u64);
    assert_eq!(ix.head(&d.id), d.index.head(&d.id));
    assert_eq!(ix.stats(), d.index.stats());
    let recall = Code::<24>::new("RC-2026-001").unwrap();
    let report = query::recall_by_number(&ix, &recall).unwrap();
    assert!(!report.customers.is_empty());
    assert_eq!(report, query::recall_by_number(&d.index, &recall).unwrap());
    let rc = query::ResponseCommitments::default();
    let now = Timestamp(i64::MAX / 2);
    let f = query::ComplaintFilter { overdue: true, ..query::ComplaintFilter::default() };
    let overdue = query::complaints(&ix, &f, &rc, now);
    assert!(!overdue.is_empty());
    assert_eq!(overdue, query::complaints(&d.index, &f, &rc, now));
    assert_eq!(query::corrections(&ix), query::corrections(&d.index));
}
