//! Helpers shared by the unit tests.

use super::merkle::Hash;

/// Decodes 64 hex digits.
pub(crate) fn h(s: &str) -> Hash {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// Decodes up to 8 hex hashes into a fixed array; returns it and the count.
pub(crate) fn hashes(strs: &[&str]) -> ([Hash; 8], usize) {
    let mut out = [[0u8; 32]; 8];
    for (o, s) in out.iter_mut().zip(strs) {
        *o = h(s);
    }
    (out, strs.len())
}
