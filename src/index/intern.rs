//! Interning: each distinct lot, item, party, location, actor or station is
//! kept once and named everywhere else by a `u32`.
//!
//! The map is keyed by a 64-bit hash of the value, not by the value, so a
//! value is stored once (in the list) rather than twice; the rare value whose
//! hash collides with another's goes to a small exact map, so lookups are
//! always exact. The hash is not keyed: the index reads ledgers the plant
//! wrote itself, not text from strangers.

use core::hash::{BuildHasher, Hash, Hasher};
use std::collections::HashMap;
use std::vec::Vec;

/// A fast 64-bit hasher (multiply-rotate over 8-byte words, murmur3 finish).
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct FastHasher(u64);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w.iter_mut().zip(rest).for_each(|(o, b)| *o = *b);
            self.write_u64(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Builds [`FastHasher`]s.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct FastBuild;

impl BuildHasher for FastBuild {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher::default()
    }
}

/// A hasher for keys that already are hashes.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed with this; fold anything else.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds [`IdentityHasher`]s.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IdentityBuild;

impl BuildHasher for IdentityBuild {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher::default()
    }
}

/// The 64-bit hash of a value.
pub(crate) fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    FastBuild.hash_one(value)
}

/// Distinct values of `T`, each numbered from 0 in the order first seen.
#[derive(Clone, Debug)]
pub(crate) struct Interner<T> {
    values: Vec<T>,
    by_hash: HashMap<u64, u32, IdentityBuild>,
    collided: HashMap<T, u32, FastBuild>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            by_hash: HashMap::with_hasher(IdentityBuild),
            collided: HashMap::with_hasher(FastBuild),
        }
    }
}

impl<T: Hash + Eq + Clone> Interner<T> {
    /// The number of `value`, if it was seen.
    pub(crate) fn get(&self, value: &T) -> Option<u32> {
        let h = hash_of(value);
        match self.by_hash.get(&h) {
            Some(&id) if self.values.get(id as usize) == Some(value) => Some(id),
            Some(_) => self.collided.get(value).copied(),
            None => None,
        }
    }

    /// The number of `value`, numbering it if it is new; `None` when
    /// `u32::MAX - 1` values are already numbered.
    pub(crate) fn intern(&mut self, value: &T) -> Option<u32> {
        let h = hash_of(value);
        match self.by_hash.get(&h) {
            Some(&id) if self.values.get(id as usize) == Some(value) => return Some(id),
            Some(_) => {
                if let Some(&id) = self.collided.get(value) {
                    return Some(id);
                }
                let id = self.next_id()?;
                self.values.push(value.clone());
                self.collided.insert(value.clone(), id);
                return Some(id);
            }
            None => {}
        }
        let id = self.next_id()?;
        self.values.push(value.clone());
        self.by_hash.insert(h, id);
        Some(id)
    }

    fn next_id(&self) -> Option<u32> {
        u32::try_from(self.values.len()).ok().filter(|&n| n < u32::MAX - 1)
    }

    /// The value numbered `id`.
    pub(crate) fn value(&self, id: u32) -> Option<&T> {
        self.values.get(id as usize)
    }

    /// Gives back spare capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.values.shrink_to_fit();
        self.by_hash.shrink_to_fit();
    }

    /// The values, in the order they were numbered.
    pub(crate) fn values(&self) -> &[T] {
        &self.values
    }

    /// An interner holding `values` numbered in order (as [`Interner::values`]
    /// gave them); `None` when a value repeats or there are too many.
    pub(crate) fn from_values(values: Vec<T>) -> Option<Self> {
        use std::collections::hash_map::Entry;
        let mut by_hash = HashMap::with_capacity_and_hasher(values.len(), IdentityBuild);
        let mut collided = HashMap::with_hasher(FastBuild);
        for (i, v) in values.iter().enumerate() {
            let id = u32::try_from(i).ok().filter(|&n| n < u32::MAX - 1)?;
            match by_hash.entry(hash_of(v)) {
                Entry::Vacant(slot) => {
                    slot.insert(id);
                }
                Entry::Occupied(slot) => {
                    let first = values.get(*slot.get() as usize);
                    if first == Some(v) || collided.insert(v.clone(), id).is_some() {
                        return None;
                    }
                }
            }
        }
        Some(Self { values, by_hash, collided })
    }

    /// How many distinct values.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intern_is_exact_and_stable() {
        let mut i = Interner::<u64>::default();
        let a = i.intern(&7).unwrap();
        let b = i.intern(&8).unwrap();
        assert_ne!(a, b);
        assert_eq!(i.intern(&7), Some(a));
        assert_eq!(i.get(&8), Some(b));
        assert_eq!(i.get(&9), None);
        assert_eq!(i.value(b), Some(&8));
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn collisions_stay_exact() {
        // Force a collision by planting a wrong id under a value's hash.
        let mut i = Interner::<u64>::default();
        let a = i.intern(&1).unwrap();
        let h2 = hash_of(&2u64);
        i.by_hash.insert(h2, a);
        let b = i.intern(&2).unwrap();
        assert_ne!(a, b);
        assert_eq!(i.get(&2), Some(b));
        assert_eq!(i.get(&1), Some(a));
        assert_eq!(i.intern(&2), Some(b));
    }

    /// Guards the index cache's rebuild of an interner: the same numbers,
    /// and a list with a repeated value refused.
    #[test]
    fn from_values_keeps_numbers_and_refuses_repeats() {
        let mut i = Interner::<u64>::default();
        for v in [5u64, 9, 1, 7] {
            i.intern(&v);
        }
        let j = Interner::from_values(i.values().to_vec()).unwrap();
        for v in [5u64, 9, 1, 7] {
            assert_eq!(j.get(&v), i.get(&v));
        }
        assert_eq!(j.get(&2), None);
        assert!(Interner::from_values(std::vec![1u64, 2, 1]).is_none());
    }
}
