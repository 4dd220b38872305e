//! Short texts (order numbers, work orders, report numbers) packed one after
//! another in one buffer: the length as one character (U+0000 to U+00FF:
//! one byte below 128, two above), then the text. A row keeps a `u32`
//! offset instead of an owned string, which at millions of shipments is
//! most of the difference between a compact index and a large one. The
//! buffer is a `String`, so reading a text back checks two character
//! boundaries rather than validating UTF-8 again.
//!
//! [`Labels`] keeps the text of each item, party and location as results
//! show it, once per identity, so that query results can borrow it rather
//! than format it again for every line.

use core::fmt::{self, Write as _};
use std::boxed::Box;
use std::string::String;
use std::vec::Vec;

use super::rows::NONE;

/// The packed texts.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextArena {
    text: String,
    /// Whether a text was refused because the arena is full: the index
    /// checks this after every entry and refuses to go on
    /// ([`crate::index::IngestError::Full`]), so no text goes missing unseen.
    full: bool,
}

impl TextArena {
    /// Stores `text` (cut to 255 bytes at a character boundary; every text
    /// the index stores is shorter) and returns its offset, or [`NONE`]
    /// when the arena has reached 4 GiB (then [`Self::is_full`] says so).
    pub(crate) fn push(&mut self, text: &str) -> u32 {
        self.push_below(text, NONE)
    }

    /// [`Self::push`] with offsets below `limit` only.
    fn push_below(&mut self, text: &str, limit: u32) -> u32 {
        let mut end = text.len().min(255);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let Some(offset) = u32::try_from(self.text.len()).ok().filter(|&o| o < limit) else {
            self.full = true;
            return NONE;
        };
        let len = u8::try_from(end).unwrap_or(u8::MAX);
        self.text.push(char::from(len));
        self.text.push_str(text.get(..end).unwrap_or_default());
        offset
    }

    /// Whether a text was refused for want of room (see [`Self::push`]).
    pub(crate) const fn is_full(&self) -> bool {
        self.full
    }

    /// Gives back spare capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
    }

    /// The whole buffer, for the index cache.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// An arena holding `text` as [`TextArena::as_str`] gave it.
    pub(crate) const fn from_string(text: String) -> Self {
        Self { text, full: false }
    }

    /// The text at `offset`; empty for [`NONE`] or a bad offset.
    pub(crate) fn get(&self, offset: u32) -> &str {
        if offset == NONE {
            return "";
        }
        let start = offset as usize;
        let Some(len) = self.text.get(start..).and_then(|rest| rest.chars().next()) else {
            return "";
        };
        let body = start + len.len_utf8();
        self.text.get(body..body + len as usize).unwrap_or_default()
    }
}

/// Which identities a label names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LabelKind {
    /// Items, by interned item number.
    Item,
    /// Parties, by interned party number.
    Party,
    /// Locations, by interned location number.
    Location,
}

/// The shown text of each interned item, party and location, per kind in
/// the order the interner numbered them. There are few of them (hundreds
/// to thousands, against millions of entries), so each is its own string:
/// looking one up is one load.
#[derive(Clone, Debug, Default)]
pub(crate) struct Labels {
    items: Vec<Box<str>>,
    parties: Vec<Box<str>>,
    locations: Vec<Box<str>>,
}

impl Labels {
    fn list(&self, kind: LabelKind) -> &Vec<Box<str>> {
        match kind {
            LabelKind::Item => &self.items,
            LabelKind::Party => &self.parties,
            LabelKind::Location => &self.locations,
        }
    }

    /// Writes the label of identity `id` of `kind` when it is the next one
    /// of its kind (the interner has just numbered it); otherwise does
    /// nothing.
    pub(crate) fn note(&mut self, kind: LabelKind, id: u32, value: &impl fmt::Display) {
        let list = match kind {
            LabelKind::Item => &mut self.items,
            LabelKind::Party => &mut self.parties,
            LabelKind::Location => &mut self.locations,
        };
        if list.len() == id as usize {
            let mut text = String::new();
            let _ = write!(text, "{value}");
            list.push(text.into_boxed_str());
        }
    }

    /// The labels of each kind (items, parties, locations), for the index cache.
    pub(crate) fn lists(&self) -> [&Vec<Box<str>>; 3] {
        [&self.items, &self.parties, &self.locations]
    }

    /// Labels from lists as [`Labels::lists`] gave them.
    pub(crate) const fn from_lists(
        items: Vec<Box<str>>,
        parties: Vec<Box<str>>,
        locations: Vec<Box<str>>,
    ) -> Self {
        Self { items, parties, locations }
    }

    /// The label of identity `id` of `kind`; empty when it has none.
    pub(crate) fn get(&self, kind: LabelKind, id: u32) -> &str {
        self.list(kind).get(id as usize).map_or("", |t| t)
    }

    /// Gives back spare capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.items.shrink_to_fit();
        self.parties.shrink_to_fit();
        self.locations.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_written_once_per_identity() {
        let mut l = Labels::default();
        l.note(LabelKind::Party, 0, &"gln:4012345000009");
        l.note(LabelKind::Item, 0, &"gtin:04012345000016");
        // Seen again (id 0 already labelled): not written twice.
        l.note(LabelKind::Party, 0, &"something else");
        l.note(LabelKind::Party, 1, &"CUST-7");
        // Out of order ids are ignored rather than misplaced.
        l.note(LabelKind::Location, 3, &"DOCK-3");
        assert_eq!(l.get(LabelKind::Party, 0), "gln:4012345000009");
        assert_eq!(l.get(LabelKind::Party, 1), "CUST-7");
        assert_eq!(l.get(LabelKind::Item, 0), "gtin:04012345000016");
        assert_eq!(l.get(LabelKind::Item, 1), "");
        assert_eq!(l.get(LabelKind::Location, 3), "");
        assert_eq!(l.get(LabelKind::Location, NONE), "");
        assert_eq!(l.parties.len(), 2);
    }

    #[test]
    fn a_full_arena_says_so() {
        // Guards that a text refused for want of room is flagged (the
        // index then refuses the entry) rather than silently stored empty.
        let mut a = TextArena::default();
        assert_eq!(a.push_below("SO-1", 8), 0);
        assert!(!a.is_full());
        assert_eq!(a.push_below("SO-2", 8), 5);
        assert_eq!(a.push_below("SO-3", 8), NONE);
        assert!(a.is_full());
        assert_eq!(a.get(5), "SO-2");
    }

    #[test]
    fn push_get() {
        let mut a = TextArena::default();
        let x = a.push("SO0000001");
        let y = a.push("");
        let z = a.push("é");
        let long = "x".repeat(200);
        let w = a.push(&long);
        let cut = a.push(&"é".repeat(200));
        assert_eq!(a.get(x), "SO0000001");
        assert_eq!(a.get(y), "");
        assert_eq!(a.get(z), "é");
        assert_eq!(a.get(w), long);
        // 255 bytes would split a character: cut to 254.
        assert_eq!(a.get(cut), "é".repeat(127));
        assert_eq!(a.get(NONE), "");
        // Not the start of a text: empty or some text, never a panic.
        assert_eq!(a.get(u32::MAX - 1), "");
        let _ = a.get(x + 1);
        // One length byte below 128, two from 128.
        assert_eq!(a.text.len(), (1 + 9) + 1 + (1 + 2) + (2 + 200) + (2 + 254));
    }
}
