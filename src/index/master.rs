//! Master data in the index: every description of a party, location or
//! product with its entry, and the [`Directory`] of what is in force.
//!
//! Each `party_described`, `location_described` and `product_described`
//! record is kept whole as a version (there are few of them: one per
//! identity, plus its updates), its identities interned like every other
//! party, location and item. What the queries use is derived from the
//! versions when first asked after a change, so that it always follows the
//! corrections in force:
//!
//! - parties: the identities a version names (`party` and `also_known_as`)
//!   are one party, and so are identities linked through several versions
//!   (union-find over the interned party numbers, versions in force only).
//!   The party's description is its group's latest version in force, by
//!   entry order, and the group is shown by that version's `party`;
//! - products: the same over items (`item` and `also_known_as`);
//! - locations: the latest version in force of each location.
//!
//! A voided version drops out, so the one before it is in force again; the
//! audit view keeps every version with its entry.

use std::boxed::Box;
use std::collections::HashMap;
use std::vec::Vec;

use super::{FastBuild, Index, IngestError, LabelKind, NONE};
use crate::model::{LocationDescribed, PartyDescribed, ProductDescribed};

/// One description of a party, as recorded.
#[derive(Clone, Debug)]
pub(crate) struct PartyVersion {
    pub entry: u32,
    /// The interned identities it names: `party` first, then `also_known_as`.
    pub ids: Vec<u32>,
    pub record: Box<PartyDescribed>,
}

/// One description of a location, as recorded.
#[derive(Clone, Debug)]
pub(crate) struct LocationVersion {
    pub entry: u32,
    /// The interned location.
    pub location: u32,
    pub record: Box<LocationDescribed>,
}

/// One description of a product, as recorded.
#[derive(Clone, Debug)]
pub(crate) struct ProductVersion {
    pub entry: u32,
    /// The interned items it names: `item` first, then `also_known_as`.
    pub items: Vec<u32>,
    pub record: Box<ProductDescribed>,
}

/// The master data in force, derived from the versions (see the
/// [module documentation](self)).
#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// Per interned party: the party that stands for its group.
    party_shown: Vec<u32>,
    /// Per interned party: the version row in force for its group, or [`NONE`].
    party_version: Vec<u32>,
    /// Per interned item: the version row in force for its group, or [`NONE`].
    product_version: Vec<u32>,
    /// The version row in force of each described location.
    location_version: HashMap<u32, u32, FastBuild>,
    /// The interned parties of each party version in force for a group, in
    /// number order.
    party_members: HashMap<u32, Vec<u32>, FastBuild>,
}

impl Directory {
    /// The party that stands for `p`'s group: the identity its description
    /// in force names first, or `p` itself when it has none.
    pub(crate) fn shown_party(&self, p: u32) -> u32 {
        self.party_shown.get(p as usize).copied().unwrap_or(p)
    }

    /// The row in `Index::party_versions` describing `p`, if any.
    pub(crate) fn party_version(&self, p: u32) -> Option<u32> {
        self.party_version.get(p as usize).copied().filter(|&v| v != NONE)
    }

    /// Every interned identity of the party that version row `v` describes.
    pub(crate) fn party_members(&self, v: u32) -> &[u32] {
        self.party_members.get(&v).map(Vec::as_slice).unwrap_or_default()
    }

    /// The row in `Index::product_versions` describing item `i`, if any.
    pub(crate) fn product_version(&self, i: u32) -> Option<u32> {
        self.product_version.get(i as usize).copied().filter(|&v| v != NONE)
    }

    /// The row in `Index::location_versions` describing location `l`, if any.
    pub(crate) fn location_version(&self, l: u32) -> Option<u32> {
        self.location_version.get(&l).copied()
    }
}

/// Union-find over `n` numbers, iterative (no recursion on input).
struct Groups(Vec<u32>);

impl Groups {
    fn new(n: usize) -> Self {
        Self((0..n).filter_map(|i| u32::try_from(i).ok()).collect())
    }

    fn find(&mut self, mut x: u32) -> u32 {
        let mut root = x;
        while let Some(&p) = self.0.get(root as usize) {
            if p == root {
                break;
            }
            root = p;
        }
        // Path compression.
        while let Some(p) = self.0.get_mut(x as usize) {
            let next = *p;
            if next == root {
                break;
            }
            *p = root;
            x = next;
        }
        root
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if let Some(p) = self.0.get_mut(rb as usize) {
            *p = ra;
        }
    }

    /// For each number, the row of the latest of `versions` (in entry
    /// order, in force) whose identities hold a member of its group.
    fn latest<'v>(&mut self, versions: impl Iterator<Item = (u32, &'v [u32])> + Clone) -> Vec<u32> {
        for (_, ids) in versions.clone() {
            if let Some((&first, rest)) = ids.split_first() {
                for &other in rest {
                    self.union(first, other);
                }
            }
        }
        let n = self.0.len();
        let mut by_root = std::vec![NONE; n];
        for (row, ids) in versions {
            if let Some(&first) = ids.first() {
                let root = self.find(first);
                if let Some(slot) = by_root.get_mut(root as usize) {
                    *slot = row;
                }
            }
        }
        (0..n)
            .filter_map(|i| u32::try_from(i).ok())
            .map(|i| {
                let root = self.find(i);
                by_root.get(root as usize).copied().unwrap_or(NONE)
            })
            .collect()
    }
}

impl Index {
    /// The master data in force, derived on first use after a change.
    pub(crate) fn directory(&self) -> &Directory {
        self.directory.get_or_init(|| self.derive_directory())
    }

    fn derive_directory(&self) -> Directory {
        let parties = &self.party_versions;
        let in_force = |entry: u32| !self.is_void(entry);
        let rows = |len: usize| (0..len).filter_map(|r| u32::try_from(r).ok());
        let party_version = Groups::new(self.parties.len()).latest(
            rows(parties.len())
                .zip(parties.iter())
                .filter(|(_, v)| in_force(v.entry))
                .map(|(r, v)| (r, v.ids.as_slice())),
        );
        let party_shown = party_version
            .iter()
            .zip(rows(party_version.len()))
            .map(|(&v, p)| {
                parties.get(v as usize).and_then(|v| v.ids.first().copied()).unwrap_or(p)
            })
            .collect();
        let mut party_members: HashMap<u32, Vec<u32>, FastBuild> = HashMap::default();
        for (&v, p) in party_version.iter().zip(rows(party_version.len())) {
            if v != NONE {
                party_members.entry(v).or_default().push(p);
            }
        }
        let products = &self.product_versions;
        let product_version = Groups::new(self.items.len()).latest(
            rows(products.len())
                .zip(products.iter())
                .filter(|(_, v)| in_force(v.entry))
                .map(|(r, v)| (r, v.items.as_slice())),
        );
        let mut location_version = HashMap::default();
        for (r, v) in rows(self.location_versions.len()).zip(&self.location_versions) {
            if in_force(v.entry) {
                location_version.insert(v.location, r);
            }
        }
        Directory { party_shown, party_version, product_version, location_version, party_members }
    }

    /// Indexes a party description of entry `e`.
    pub(super) fn add_party_described(
        &mut self,
        e: u32,
        p: PartyDescribed,
    ) -> Result<(), IngestError> {
        let mut ids = Vec::with_capacity(1 + p.also_known_as.len());
        for id in core::iter::once(&p.party).chain(p.also_known_as.iter()) {
            let n = self.party(id)?;
            if !ids.contains(&n) {
                ids.push(n);
            }
        }
        self.party_versions.push(PartyVersion { entry: e, ids, record: Box::new(p) });
        Ok(())
    }

    /// Indexes a location description of entry `e`.
    pub(super) fn add_location_described(
        &mut self,
        e: u32,
        l: LocationDescribed,
    ) -> Result<(), IngestError> {
        let location =
            self.locations.intern(&l.location).ok_or(IngestError::Full { what: "locations" })?;
        self.labels.note(LabelKind::Location, location, &l.location);
        if let Some(owner) = &l.owner {
            self.party(owner)?;
        }
        self.location_versions.push(LocationVersion { entry: e, location, record: Box::new(l) });
        Ok(())
    }

    /// Indexes a product description of entry `e`.
    pub(super) fn add_product_described(
        &mut self,
        e: u32,
        p: ProductDescribed,
    ) -> Result<(), IngestError> {
        let mut items = Vec::with_capacity(1 + p.also_known_as.len());
        for code in core::iter::once(&p.item).chain(p.also_known_as.iter()) {
            let n = self.items.intern(code).ok_or(IngestError::Full { what: "items" })?;
            self.labels.note(LabelKind::Item, n, code);
            if !items.contains(&n) {
                items.push(n);
            }
        }
        self.product_versions.push(ProductVersion { entry: e, items, record: Box::new(p) });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the union-find: identities linked through two versions are one
    /// group, and the later version of the group is the one in force.
    #[test]
    fn linked_identities_share_the_latest_version() {
        let mut g = Groups::new(5);
        let versions: Vec<(u32, Vec<u32>)> =
            std::vec![(0, std::vec![0, 1]), (1, std::vec![2]), (2, std::vec![1, 3])];
        let latest = g.latest(versions.iter().map(|(r, ids)| (*r, ids.as_slice())));
        // 0, 1 and 3 are one party described last by row 2; 2 by row 1; 4 by none.
        assert_eq!(latest, std::vec![2, 2, 1, 2, NONE]);
    }
}
