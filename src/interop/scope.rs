//! Which entries an export covers: a set of lots (a recall scope, a trace
//! result), a time window, or both. The EPCIS export and the FSMA 204
//! spreadsheet select entries through this one type, so both answer the
//! same request with the same entries.

use std::collections::BTreeSet;
use std::vec::Vec;

use crate::model::{LotId, Packable, RecallStep, Record, Subject, Timestamp};

/// A selection of entries. The default selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only entries that name at least one of these lots; `None` for any.
    pub lots: Option<BTreeSet<LotId>>,
    /// Only entries made at or after this time.
    pub from: Option<Timestamp>,
    /// Only entries made before this time.
    pub until: Option<Timestamp>,
}

impl Scope {
    /// Everything.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// Entries naming any of `lots`.
    #[must_use]
    pub fn lots(lots: impl IntoIterator<Item = LotId>) -> Self {
        Self { lots: Some(lots.into_iter().collect()), ..Self::default() }
    }

    /// Entries made in `[from, until)`.
    #[must_use]
    pub fn window(from: Timestamp, until: Timestamp) -> Self {
        Self { from: Some(from), until: Some(until), ..Self::default() }
    }

    /// Whether an entry made at `time` with `record` is selected.
    #[must_use]
    pub fn matches(&self, time: Timestamp, record: &Record) -> bool {
        if self.from.is_some_and(|f| time < f) || self.until.is_some_and(|u| time >= u) {
            return false;
        }
        match &self.lots {
            None => true,
            Some(set) => record_lots(record).iter().any(|l| set.contains(*l)),
        }
    }
}

/// Every lot a record names.
#[must_use]
pub fn record_lots(record: &Record) -> Vec<&LotId> {
    match record {
        Record::MaterialReceived(r) => std::vec![&r.lot],
        Record::Inspected(r) => std::vec![&r.lot],
        Record::Produced(r) => r.inputs.iter().chain(r.outputs.iter()).map(|q| &q.lot).collect(),
        Record::DispositionSet(r) => std::vec![&r.lot],
        Record::Packed(r) => r
            .contents
            .iter()
            .filter_map(|c| match c {
                Packable::Lot(q) => Some(&q.lot),
                Packable::Container(_) => None,
            })
            .collect(),
        Record::Shipped(r) => std::vec![&r.lot],
        Record::Returned(r) => std::vec![&r.lot],
        Record::ComplaintRegistered(r) => r.lot.iter().collect(),
        Record::RecallOpened(r) => r.lots.iter().collect(),
        Record::RecallAction(r) => match &r.step {
            RecallStep::Retrieved { lot, .. } => std::vec![lot],
            _ => Vec::new(),
        },
        Record::Destroyed(r) => std::vec![&r.lot],
        Record::Attached(r) => match &r.subject {
            Subject::Lot(l) => std::vec![l],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}
