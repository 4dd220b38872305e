//! Near matches for a lot, recall or complaint that is not found, so that
//! a typo or a wrong item prefix is answered with what the records hold.

use std::string::String;
use std::vec::Vec;

use super::{LotRef, View};
use crate::index::Index;
use crate::model::LotId;

/// At most this many suggestions are given.
pub const SUGGESTIONS: usize = 5;

/// Levenshtein distance over ASCII-case-folded characters, or `None` when
/// it exceeds `max` (the rows are cut off early).
pub(super) fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        let mut best = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let cost = usize::from(ca != cb);
            let v = (prev + cost).min(above.saturating_add(1)).min(left.saturating_add(1));
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = v;
            }
            best = best.min(v);
        }
        if best > max {
            return None;
        }
    }
    row.last().copied().filter(|&d| d <= max)
}

/// How far a typed text may be from a suggestion: one edit in short
/// texts, two from eight characters on.
pub(super) fn tolerance(text: &str) -> usize {
    if text.chars().count() >= 8 { 2 } else { 1 }
}

/// Keeps the [`SUGGESTIONS`] nearest of `(distance, candidate)`, ties in
/// the order found.
pub(super) fn nearest<T>(mut found: Vec<(usize, T)>) -> Vec<T> {
    found.sort_by_key(|(d, _)| *d);
    found.into_iter().take(SUGGESTIONS).map(|(_, t)| t).collect()
}

/// Lots the records name that are near `lot`: the same lot code under
/// another item first, then lot codes one or two edits away (any item).
#[must_use]
pub fn near_lots(index: &Index, lot: &LotId) -> Vec<LotRef> {
    let view = View::new(index);
    let code = lot.lot.as_str();
    let max = tolerance(code);
    let mut found = Vec::new();
    for l in 0..u32::try_from(index.lots.len()).unwrap_or(u32::MAX) {
        let Some(known) = index.lots.value(l) else { continue };
        if known == lot {
            continue;
        }
        if let Some(d) = distance(code, known.lot.as_str(), max) {
            // The same code under another item ranks before any edit.
            let rank = if d == 0 { 0 } else { d + 1 };
            found.push((rank, view.lot_ref(l)));
        }
    }
    nearest(found)
}

/// Numbers near `number` among the recalls opened (`recalls`) or the
/// complaints registered (otherwise).
fn near_numbers(index: &Index, number: &str, recalls: bool) -> Vec<String> {
    let max = tolerance(number);
    let mut keys: Vec<u32> = if recalls {
        index.recall_by_number.keys().copied().collect()
    } else {
        index.complaint_by_number.keys().copied().collect()
    };
    keys.sort_unstable();
    let found = keys
        .into_iter()
        .filter(|&n| {
            if recalls {
                index.recall_in_force(n).is_some()
            } else {
                index.complaint_in_force(n).is_some()
            }
        })
        .filter_map(|n| index.refs.value(n))
        .filter_map(|r| distance(number, r.as_str(), max).map(|d| (d, r.as_str().into())))
        .filter(|(_, r): &(usize, String)| r != number)
        .collect();
    nearest(found)
}

/// Recall numbers opened (and in force) near `number`.
#[must_use]
pub fn near_recalls(index: &Index, number: &str) -> Vec<String> {
    near_numbers(index, number, true)
}

/// Complaint numbers registered (and in force) near `number`.
#[must_use]
pub fn near_complaints(index: &Index, number: &str) -> Vec<String> {
    near_numbers(index, number, false)
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn distance_counts_edits_and_stops_past_the_limit() {
        assert_eq!(distance("B260001", "B260001", 1), Some(0));
        assert_eq!(distance("B260001", "b260001", 1), Some(0));
        assert_eq!(distance("B260001", "B260002", 1), Some(1));
        assert_eq!(distance("B26001", "B260001", 1), Some(1));
        assert_eq!(distance("RC-2026-001", "RC-2026-010", 2), Some(2));
        assert_eq!(distance("B260001", "X999999", 2), None);
        assert_eq!(distance("", "ab", 1), None);
    }
}
