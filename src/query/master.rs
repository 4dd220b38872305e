//! Master data in the reports: who a party is (name, main address, first
//! contact), what a product and a location are, and every version of a
//! description for the audit view.
//!
//! A party known by several identities (a GLN and an internal code) is one
//! party in every report: it is shown by the identity its description in
//! force names first, and its holdings, notifications and complaints are
//! summed over all its identities. A party without master data is shown by
//! its own identity, with `master_data: false`.

use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::View;
use crate::index::{EntryPlace, Index, LabelKind, NONE};
use crate::model::{
    Address, Contact, ItemCode, LocationDescribed, LocationId, PartyDescribed, PartyId, PartyRole,
    ProductDescribed, Timestamp,
};

/// What the master data in force says of a party, as the reports show it.
///
/// Contacts are [`Contact`] values whose person, phone and e-mail are
/// [`Personal`](crate::model::Personal) fields: the query layer never
/// resolves a sealed value; the output does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartyDetails {
    /// Whether a description of the party is in force. `false`: the
    /// records name it only by its identity (no name, address or contact).
    pub master_data: bool,
    /// Its name.
    pub name: Option<String>,
    /// Every identity of the party (its GLN, its internal codes), the one
    /// shown first; only the party's own identity without master data.
    pub identities: Vec<String>,
    /// What it is to us.
    pub roles: Vec<PartyRole>,
    /// Its main address (the first of its description).
    pub address: Option<Address>,
    /// Whom to call: the first contact of its description.
    pub contact: Option<Contact>,
    /// The entry of the description in force.
    pub described: Option<EntryPlace>,
}

/// What the master data in force says of a product (none: no description).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProductDetails {
    /// Its description.
    pub description: String,
    /// Dosage or product form, possibly empty.
    pub form: String,
    /// Strength, possibly empty.
    pub strength: String,
    /// Storage conditions, possibly empty.
    pub storage: String,
    /// Shelf life in days, if it has one.
    pub shelf_life_days: Option<u32>,
}

/// One recorded version of a description, for the audit view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MasterVersion<T> {
    /// Where it is recorded.
    pub place: EntryPlace,
    /// When (the entry time).
    pub time: Timestamp,
    /// Whether a correction in force voids it.
    pub void: bool,
    /// Whether it is the description the queries use now.
    pub current: bool,
    /// The record as written.
    pub record: T,
}

/// An address on one line: `street, postal code city, region, country`,
/// leaving out the parts that are empty.
#[must_use]
pub fn address_line(a: &Address) -> String {
    let town: Vec<&str> =
        [a.postal_code.as_str(), a.city.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
    let town = town.join(" ");
    let parts: Vec<&str> =
        [a.street.as_str(), town.as_str(), a.region.as_str(), a.country.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
    parts.join(", ")
}

impl<'a> View<'a> {
    /// The party number that stands for `p`'s party (see the module
    /// documentation); [`NONE`] stays [`NONE`].
    pub(crate) fn who(&self, p: u32) -> u32 {
        if p == NONE { NONE } else { self.ix.directory().shown_party(p) }
    }

    /// The description in force of party number `p`.
    pub(crate) fn party_record(&self, p: u32) -> Option<&'a PartyDescribed> {
        let v = self.ix.directory().party_version(p)?;
        self.ix.party_versions.get(v as usize).map(|v| &*v.record)
    }

    /// The name of party number `p`, when it has master data.
    pub(crate) fn party_title(&self, p: u32) -> Option<&'a str> {
        self.party_record(p).map(|r| r.name.as_str())
    }

    /// [`View::party_title`], owned.
    pub(crate) fn party_display_name(&self, p: u32) -> Option<String> {
        self.party_title(p).map(Into::into)
    }

    /// What the master data says of party number `p`.
    pub(crate) fn party_details(&self, p: u32) -> PartyDetails {
        let ix = self.ix;
        let dir = ix.directory();
        let Some(v) = dir.party_version(p) else {
            return PartyDetails {
                master_data: false,
                name: None,
                identities: std::vec![self.party(p)],
                roles: Vec::new(),
                address: None,
                contact: None,
                described: None,
            };
        };
        let version = ix.party_versions.get(v as usize);
        let record = version.map(|v| &*v.record);
        let shown = self.who(p);
        let mut identities = std::vec![ix.labels.get(LabelKind::Party, shown).into()];
        for &m in dir.party_members(v) {
            if m != shown {
                identities.push(ix.labels.get(LabelKind::Party, m).into());
            }
        }
        PartyDetails {
            master_data: true,
            name: record.map(|r| r.name.as_str().into()),
            identities,
            roles: record.map(|r| r.roles.iter().copied().collect()).unwrap_or_default(),
            address: record.and_then(|r| r.addresses.first().cloned()),
            contact: record.and_then(|r| r.contacts.first().cloned()),
            described: version.and_then(|v| ix.place(v.entry)),
        }
    }

    /// The description in force of item number `i`.
    pub(crate) fn product_record(&self, i: u32) -> Option<&'a ProductDescribed> {
        let v = self.ix.directory().product_version(i)?;
        self.ix.product_versions.get(v as usize).map(|v| &*v.record)
    }

    /// The description in force of location number `l`.
    pub(crate) fn location_record(&self, l: u32) -> Option<&'a LocationDescribed> {
        if l == NONE {
            return None;
        }
        let v = self.ix.directory().location_version(l)?;
        self.ix.location_versions.get(v as usize).map(|v| &*v.record)
    }
}

/// What the master data in force says of `party` (and of every identity
/// it is known by); `master_data: false` when nothing describes it.
/// `None` when no record names the party at all.
#[must_use]
pub fn party(index: &Index, party: &PartyId) -> Option<PartyDetails> {
    let p = index.parties.get(party)?;
    Some(View::new(index).party_details(p))
}

/// The description in force of `item` (or of an item it is known as).
#[must_use]
pub fn product(index: &Index, item: &ItemCode) -> Option<ProductDetails> {
    let i = index.items.get(item)?;
    View::new(index).product_record(i).map(|r| ProductDetails {
        description: r.description.as_str().into(),
        form: r.form.as_str().into(),
        strength: r.strength.as_str().into(),
        storage: r.storage.as_str().into(),
        shelf_life_days: r.shelf_life_days,
    })
}

fn versions<T: Clone, V>(
    index: &Index,
    rows: &[V],
    of: impl Fn(&V) -> (u32, &T, bool),
    current: Option<u32>,
) -> Vec<MasterVersion<T>> {
    rows.iter()
        .zip(0u32..)
        .filter_map(|(v, r)| {
            let (entry, record, mine) = of(v);
            let place = index.place(entry).filter(|_| mine)?;
            Some(MasterVersion {
                place,
                time: index.time(entry),
                void: index.is_void(entry),
                current: current == Some(r),
                record: record.clone(),
            })
        })
        .collect()
}

/// Every description ever recorded of `party`'s party (any of its
/// identities), in entry order, voided ones marked: the audit view.
#[must_use]
pub fn party_history(index: &Index, party: &PartyId) -> Vec<MasterVersion<PartyDescribed>> {
    let Some(p) = index.parties.get(party) else { return Vec::new() };
    let dir = index.directory();
    let current = dir.party_version(p);
    let members: Vec<u32> = match current {
        Some(v) => dir.party_members(v).to_vec(),
        None => std::vec![p],
    };
    versions(
        index,
        &index.party_versions,
        |v| (v.entry, &*v.record, v.ids.iter().any(|i| members.contains(i))),
        current,
    )
}

/// Every description ever recorded of `location`, in entry order.
#[must_use]
pub fn location_history(
    index: &Index,
    location: &LocationId,
) -> Vec<MasterVersion<LocationDescribed>> {
    let Some(l) = index.locations.get(location) else { return Vec::new() };
    let current = index.directory().location_version(l);
    versions(index, &index.location_versions, |v| (v.entry, &*v.record, v.location == l), current)
}

/// Every description ever recorded of `item` (or an item it is known as
/// in the description in force), in entry order.
#[must_use]
pub fn product_history(index: &Index, item: &ItemCode) -> Vec<MasterVersion<ProductDescribed>> {
    let Some(i) = index.items.get(item) else { return Vec::new() };
    let current = index.directory().product_version(i);
    let items: Vec<u32> = current
        .and_then(|v| index.product_versions.get(v as usize))
        .map_or_else(|| std::vec![i], |v| v.items.clone());
    versions(
        index,
        &index.product_versions,
        |v| (v.entry, &*v.record, v.items.iter().any(|x| items.contains(x))),
        current,
    )
}
