//! What the index knows of one entry beyond its bytes: whether a
//! correction in force voids it, which corrections name it, and, when it is
//! a correction itself, what became of it. `lotledger show` prints this
//! beside the entry read from its ledger.

use std::vec::Vec;

use serde::Serialize;

use super::{CorrectionLine, corrections};
use crate::index::Index;
use crate::model::LedgerId;

/// The corrections around one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryStatus {
    /// Whether a correction in force voids it.
    pub void: bool,
    /// Every correction naming it (its ledger, its sequence number), applied
    /// or flagged, in ledger order; a correction of one of these restores it.
    pub corrected_by: Vec<CorrectionLine>,
    /// When the entry is a correction: its status, target and replacements.
    pub correction: Option<CorrectionLine>,
}

/// The corrections around entry `seq` of `ledger`, or `None` when the
/// index does not hold that entry.
#[must_use]
pub fn entry_status(index: &Index, ledger: &LedgerId, seq: u64) -> Option<EntryStatus> {
    let e = index.entry_of(index.ledger_no(ledger)?, seq)?;
    let mut corrected_by = Vec::new();
    let mut correction = None;
    for line in corrections(index) {
        if line.correction.ledger != *ledger {
            continue;
        }
        if line.correction.seq == seq {
            correction = Some(line);
        } else if line.target_seq == seq {
            corrected_by.push(line);
        }
    }
    Some(EntryStatus { void: index.is_void(e), corrected_by, correction })
}
