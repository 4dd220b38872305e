//! What the indexed records point at but no indexed ledger holds: the sign
//! that a ledger was left out of the query (the production ledger, a
//! site's dock), so that every answer built on them is incomplete.
//!
//! Computed on demand from the rows the index already keeps (no state of
//! its own), in one pass over the lots, complaint and recall numbers and
//! corrections; the examples are capped at [`UNRESOLVED_EXAMPLES`].

use std::format;
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::{CorrectionStatus, Index, LabelKind};
use crate::model::RecordKind;

/// At most this many examples are kept in [`Unresolved::examples`].
pub const UNRESOLVED_EXAMPLES: usize = 5;

/// References in the indexed records that no indexed ledger resolves.
/// All zero when the ledgers given are complete as far as the records can
/// tell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// Lots named by a record in force (shipped, consumed, inspected,
    /// recalled, …) that no indexed receipt or production brings in (one
    /// voided by a correction still counts as bringing it in: that ledger
    /// is indexed, and the lot's mass balance flags the gap).
    pub lots: u64,
    /// Recall numbers with actions in force but no opening in force.
    pub recalls: u64,
    /// Complaint numbers with steps but no registration in force.
    pub complaints: u64,
    /// Corrections whose target is no indexed entry of their ledger.
    pub corrections: u64,
    /// Up to [`UNRESOLVED_EXAMPLES`] of them, in words.
    pub examples: Vec<String>,
}

impl Unresolved {
    /// Whether nothing is unresolved.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lots == 0 && self.recalls == 0 && self.complaints == 0 && self.corrections == 0
    }

    /// How many references are unresolved in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.lots + self.recalls + self.complaints + self.corrections
    }

    fn example(&mut self, text: impl FnOnce() -> String) {
        if self.examples.len() < UNRESOLVED_EXAMPLES {
            self.examples.push(text());
        }
    }
}

fn kind_name(k: u8) -> &'static str {
    RecordKind::from_number(u32::from(k)).map_or("unknown", |k| k.name())
}

impl Index {
    /// What the indexed records reference that no indexed ledger contains:
    /// lots never received or produced, actions of recalls never opened,
    /// steps of complaints never registered, corrections of entries not
    /// indexed. Voided entries do not count as references.
    #[must_use]
    pub fn unresolved(&self) -> Unresolved {
        let mut u = Unresolved::default();
        let live = |e: &u32| !self.is_void(*e);
        let received = RecordKind::MaterialReceived.number();
        for (lot, node) in self.lot_nodes.iter().enumerate() {
            // A receipt or production voided by a correction still shows
            // the ledger that brings the lot in is indexed: the correction
            // explains the gap, and the mass balance flags the lot.
            let sourced = !node.produced_by.is_empty()
                || node.events.iter().any(|&e| u32::from(self.kind(e)) == received);
            if sourced {
                continue;
            }
            let consumed = node
                .consumed_by
                .iter()
                .filter_map(|&p| self.productions.get(p as usize))
                .any(|p| !self.is_void(p.entry));
            let shipped = node.shipments.iter().any(|s| !self.is_void(s.entry));
            let named = node.events.iter().copied().find(|e| live(e));
            if !(consumed || shipped || named.is_some()) {
                continue;
            }
            u.lots += 1;
            u.example(|| {
                let code = self.lots.value(u32::try_from(lot).unwrap_or(u32::MAX));
                let item =
                    self.lot_item.get(lot).map_or("", |&i| self.labels.get(LabelKind::Item, i));
                let how = if shipped {
                    "shipped".into()
                } else if consumed {
                    "consumed".into()
                } else {
                    format!("named by a {} record", named.map_or("", |e| kind_name(self.kind(e))))
                };
                format!(
                    "lot {item}/{} is {how} but no indexed ledger receives or produces it",
                    code.map_or("", |l| l.lot.as_str())
                )
            });
        }
        let mut numbers: Vec<(&u32, &Vec<u32>)> = self.recall_actions.iter().collect();
        numbers.sort_unstable_by_key(|(n, _)| **n);
        for (&number, actions) in numbers {
            let live_actions = actions
                .iter()
                .filter_map(|&a| self.actions.get(a as usize))
                .filter(|a| !self.is_void(a.entry))
                .count();
            if live_actions == 0 || self.recall_in_force(number).is_some() {
                continue;
            }
            u.recalls += 1;
            u.example(|| {
                let name = self.refs.value(number).map_or("", |r| r.as_str());
                format!("recall {name} has {live_actions} actions but no indexed ledger opens it")
            });
        }
        let mut numbers: Vec<(&u32, &Vec<u32>)> = self.complaint_steps.iter().collect();
        numbers.sort_unstable_by_key(|(n, _)| **n);
        for (&number, steps) in numbers {
            let live_steps = steps
                .iter()
                .filter_map(|&s| self.steps.get(s as usize))
                .filter(|s| !self.is_void(s.entry))
                .count();
            if live_steps == 0 || self.complaint_in_force(number).is_some() {
                continue;
            }
            u.complaints += 1;
            u.example(|| {
                let name = self.refs.value(number).map_or("", |r| r.as_str());
                format!(
                    "complaint {name} has {live_steps} steps but no indexed ledger registers it"
                )
            });
        }
        for c in &self.corrections {
            if c.status != CorrectionStatus::UnknownTarget || self.is_void(c.entry) {
                continue;
            }
            u.corrections += 1;
            u.example(|| match self.place(c.entry) {
                Some(p) => format!(
                    "correction at entry {} of ledger {} names entry {}, which is not indexed",
                    p.seq, p.ledger, c.target_seq
                ),
                None => format!("a correction names entry {}, which is not indexed", c.target_seq),
            });
        }
        u
    }
}
