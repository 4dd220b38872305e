//! Short texts (order numbers, work orders, report numbers) packed one after
//! another in one buffer: a length byte, then the UTF-8. A row keeps a `u32`
//! offset instead of an owned string, which at millions of shipments is
//! most of the difference between a compact index and a large one.

use std::vec::Vec;

use super::rows::NONE;

/// The packed texts.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextArena {
    bytes: Vec<u8>,
}

impl TextArena {
    /// Stores `text` (cut to 255 bytes at a character boundary; every text
    /// the index stores is shorter) and returns its offset, or [`NONE`]
    /// when the arena has reached 4 GiB.
    pub(crate) fn push(&mut self, text: &str) -> u32 {
        let mut end = text.len().min(255);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let Ok(offset) = u32::try_from(self.bytes.len()) else { return NONE };
        if offset == NONE {
            return NONE;
        }
        let len = u8::try_from(end).unwrap_or(u8::MAX);
        self.bytes.push(len);
        self.bytes.extend_from_slice(text.as_bytes().get(..end).unwrap_or_default());
        offset
    }

    /// Gives back spare capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// The text at `offset`; empty for [`NONE`] or a bad offset.
    pub(crate) fn get(&self, offset: u32) -> &str {
        if offset == NONE {
            return "";
        }
        let start = offset as usize;
        let Some(&len) = self.bytes.get(start) else { return "" };
        let body = self.bytes.get(start + 1..start + 1 + usize::from(len)).unwrap_or_default();
        core::str::from_utf8(body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get() {
        let mut a = TextArena::default();
        let x = a.push("SO0000001");
        let y = a.push("");
        let z = a.push("é");
        assert_eq!(a.get(x), "SO0000001");
        assert_eq!(a.get(y), "");
        assert_eq!(a.get(z), "é");
        assert_eq!(a.get(NONE), "");
        assert_eq!(a.bytes.len(), 1 + 9 + 1 + 1 + 2);
    }
}
