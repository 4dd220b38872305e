//! Which entries an export covers: a set of lots (a recall scope, a trace
//! result), a time window, or both. The EPCIS export and the FSMA 204
//! spreadsheet select entries through this one type, so both answer the
//! same request with the same entries.
//!
//! [`Corrections`] is the index's decision on which entries are void (a
//! [`Corrected`](crate::model::Corrected) record in force voids its target;
//! see the [index](crate::index) documentation), taken once so that every
//! export honours exactly the corrections the queries honour.

use std::collections::{BTreeMap, BTreeSet};
use std::vec::Vec;

use crate::index::Index;
use crate::model::{LedgerId, LotId, Packable, RecallStep, Record, Subject, Timestamp};

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

    /// Whether `time` is inside the time window.
    #[must_use]
    pub fn in_window(&self, time: Timestamp) -> bool {
        !(self.from.is_some_and(|f| time < f) || self.until.is_some_and(|u| time >= u))
    }

    /// Whether an entry made at `time` with `record` is selected, by the
    /// record alone. A correction names no lot, so under a lot scope it is
    /// not selected here; [`Selector`] selects it with its target.
    #[must_use]
    pub fn matches(&self, time: Timestamp, record: &Record) -> bool {
        if !self.in_window(time) {
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
        Record::ComplaintRegisteredV1(r) => r.lot.iter().collect(),
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

/// A correction in force that voids an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Voider {
    /// The correction entry's sequence number (same ledger as its target).
    pub seq: u64,
    /// When the correction was made.
    pub time: Timestamp,
    /// The entries that replace the voided one; empty when it is simply void.
    pub replacements: Vec<u64>,
}

/// Which entries corrections void: the index's decision (sequence number
/// and hash of the target must match; a correction that is itself void
/// voids nothing, so corrections of corrections come out as the index
/// says), kept for the entries concerned only, so it is small next to the
/// index it comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corrections {
    /// Voided entries and the corrections in force voiding them, earliest first.
    voided: BTreeMap<(LedgerId, u64), Vec<Voider>>,
    /// Every entry a correction names as its target, applied or not.
    targets: BTreeSet<(LedgerId, u64)>,
}

impl Corrections {
    /// No corrections: nothing is void.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// The corrections in force in `index`.
    #[must_use]
    pub fn from_index(index: &Index) -> Self {
        let mut out = Self::default();
        for row in &index.corrections {
            if let Some(place) = index.place(row.entry) {
                out.targets.insert((place.ledger, row.target_seq));
            }
        }
        for (&target, voiders) in &index.voiders {
            if !index.is_void(target) {
                continue;
            }
            let Some(place) = index.place(target) else { continue };
            let mut list: Vec<Voider> = voiders
                .iter()
                .filter(|&&c| !index.is_void(c))
                .filter_map(|&c| {
                    let row = index.corrections.get(*index.correction_of.get(&c)? as usize)?;
                    Some(Voider {
                        seq: index.place(c)?.seq,
                        time: index.time(c),
                        replacements: row.replacements.clone(),
                    })
                })
                .collect();
            list.sort_by_key(|v| v.seq);
            if !list.is_empty() {
                out.voided.insert((place.ledger, place.seq), list);
            }
        }
        out
    }

    /// The corrections in force voiding entry `seq` of `ledger`, earliest
    /// first; `None` when it is not void.
    #[must_use]
    pub fn voided_by(&self, ledger: &LedgerId, seq: u64) -> Option<&[Voider]> {
        self.voided.get(&(*ledger, seq)).map(Vec::as_slice)
    }

    /// Whether entry `seq` of `ledger` is void.
    #[must_use]
    pub fn is_void(&self, ledger: &LedgerId, seq: u64) -> bool {
        self.voided.contains_key(&(*ledger, seq))
    }

    /// How many entries are void.
    #[must_use]
    pub fn voided(&self) -> usize {
        self.voided.len()
    }

    /// Every entry that replaces a voided one.
    pub fn replacements(&self) -> impl Iterator<Item = (LedgerId, u64)> + '_ {
        self.voided.iter().flat_map(|((l, _), vs)| {
            vs.iter().flat_map(move |v| v.replacements.iter().map(move |&r| (*l, r)))
        })
    }
}

/// Applies a [`Scope`] to entries read in ledger order, one at a time: an
/// entry is selected by [`Scope::matches`], and a correction is selected
/// when it is in the time window and the entry it corrects was selected.
/// It remembers only the selected entries that some correction names, so
/// its memory does not grow with the ledger.
#[derive(Clone, Debug)]
pub struct Selector<'a> {
    scope: &'a Scope,
    corrections: &'a Corrections,
    selected_targets: BTreeSet<(LedgerId, u64)>,
}

impl<'a> Selector<'a> {
    /// A selector for `scope`, knowing the correction targets of `corrections`.
    #[must_use]
    pub fn new(scope: &'a Scope, corrections: &'a Corrections) -> Self {
        Self { scope, corrections, selected_targets: BTreeSet::new() }
    }

    /// Whether entry `seq` of `ledger`, made at `time` with `record`, is
    /// selected. Call it once per entry, in ledger order.
    pub fn select(
        &mut self,
        ledger: &LedgerId,
        seq: u64,
        time: Timestamp,
        record: &Record,
    ) -> bool {
        let selected = match record {
            Record::Corrected(c) => {
                self.scope.in_window(time)
                    && (self.scope.lots.is_none()
                        || self.selected_targets.contains(&(*ledger, c.target.seq)))
            }
            _ => self.scope.matches(time, record),
        };
        if selected
            && self.scope.lots.is_some()
            && self.corrections.targets.contains(&(*ledger, seq))
        {
            self.selected_targets.insert((*ledger, seq));
        }
        selected
    }
}
