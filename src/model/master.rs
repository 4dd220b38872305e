//! Master data: who a party is, where a location is, what a product is.
//!
//! Each record is a whole statement about one identity at the time of its
//! entry. A later record about the same identity replaces the earlier one
//! for the queries; every version stays in the ledger and in `audit`.
//! Contacts that name a person are [`Personal`] fields, sealed by the
//! writer and erasable (`docs/PRIVACY.md`).

use heapless::Vec;
use serde::{Deserialize, Serialize};

use super::ids::{ItemCode, LocationId, PartyId};
use super::personal::Personal;
use super::quantity::Quantity;
use super::text::Text;

/// Most further identities of one party (a GLN and internal codes).
pub const MAX_ALSO_KNOWN_AS: usize = 3;
/// Most roles of one party.
pub const MAX_ROLES: usize = 4;
/// Most addresses of one party.
pub const MAX_ADDRESSES: usize = 2;
/// Most contacts of one party.
pub const MAX_CONTACTS: usize = 3;
/// Most further item codes of one product.
pub const MAX_ITEM_ALIASES: usize = 2;

/// What a party is to us.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// We ship to it.
    Customer,
    /// We receive from it.
    Supplier,
    /// It carries goods.
    Carrier,
    /// One of our own sites.
    OwnSite,
}

/// A postal address. Fields that do not apply are empty.
#[derive(Clone, Default, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street and number, or a post box.
    #[serde(default)]
    pub street: Text<64>,
    /// City or town.
    #[serde(default)]
    pub city: Text<40>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Text<12>,
    /// State, province or region.
    #[serde(default)]
    pub region: Text<40>,
    /// ISO 3166-1 alpha-2 country code (`CH`, `US`), or empty.
    #[serde(default)]
    pub country: Text<2>,
}

/// Someone to call at a party. The person, their telephone and their e-mail
/// are personal data.
#[derive(Clone, Default, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Their function (`QA manager`, `recall coordinator`); not personal.
    #[serde(default)]
    pub function: Text<32>,
    /// The person's name.
    #[serde(default)]
    pub person: Personal<48>,
    /// Telephone.
    #[serde(default)]
    pub phone: Personal<32>,
    /// E-mail.
    #[serde(default)]
    pub email: Personal<64>,
}

/// Master data of a party: customer, supplier, carrier or own site.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyDescribed {
    /// The identity the records use.
    pub party: PartyId,
    /// Other identities of the same party (its GLN beside an internal code,
    /// say): the queries treat them all as one party.
    #[serde(default)]
    pub also_known_as: Vec<PartyId, MAX_ALSO_KNOWN_AS>,
    /// Its name.
    pub name: Text<64>,
    /// What it is to us.
    #[serde(default)]
    pub roles: Vec<PartyRole, MAX_ROLES>,
    /// Its addresses, the main one first.
    #[serde(default)]
    pub addresses: Vec<Address, MAX_ADDRESSES>,
    /// Whom to call, the first for recalls.
    #[serde(default)]
    pub contacts: Vec<Contact, MAX_CONTACTS>,
}

/// What a location is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// A customer's delivery address.
    ShipTo,
    /// A warehouse.
    Warehouse,
    /// A production or office site.
    Site,
    /// Anything else.
    Other,
}

/// Master data of a location.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationDescribed {
    /// The location.
    pub location: LocationId,
    /// What it is.
    pub kind: LocationKind,
    /// Its name.
    pub name: Text<64>,
    /// Its address.
    #[serde(default)]
    pub address: Address,
    /// The party it belongs to, if known.
    pub owner: Option<PartyId>,
}

/// Master data of a product or material.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductDescribed {
    /// The item the records use.
    pub item: ItemCode,
    /// Other codes of the same item (an internal code beside its GTIN).
    #[serde(default)]
    pub also_known_as: Vec<ItemCode, MAX_ITEM_ALIASES>,
    /// Its description as FSMA 204 asks for it (`Romaine lettuce, whole head`).
    pub description: Text<64>,
    /// Dosage form or product form (`film-coated tablet`).
    #[serde(default)]
    pub form: Text<32>,
    /// Strength (`500 mg`).
    #[serde(default)]
    pub strength: Text<32>,
    /// The quantity in one trade unit (30 pieces), if it is packed.
    pub pack_size: Option<Quantity>,
    /// Shelf life in days, if it has one.
    pub shelf_life_days: Option<u32>,
    /// Storage conditions (`2-8 °C, protect from light`).
    #[serde(default)]
    pub storage: Text<64>,
}

#[cfg(test)]
mod tests {
    use std::string::ToString as _;

    use super::*;

    #[test]
    fn a_party_with_two_identities_round_trips_in_json_and_postcard() {
        let json = r#"{"party":{"internal":"C-100"},"also_known_as":[{"gln":"7612345000008"}],
            "name":"Apotheke am Markt","roles":["customer"],
            "addresses":[{"street":"Marktgasse 1","city":"Bern","postal_code":"3011","country":"CH"}],
            "contacts":[{"function":"recall coordinator","person":{"sealed":"0000000000000000000000000000000000000000000000000000000000000001"},"phone":"+41 31 000 00 00"}]}"#;
        let p: PartyDescribed = serde_json::from_str(json).unwrap();
        assert_eq!(p.also_known_as.len(), 1);
        assert_eq!(p.contacts[0].phone.as_plain(), Some("+41 31 000 00 00"));
        assert!(p.contacts[0].person.commitment().is_some());
        assert!(p.contacts[0].email.is_empty());
        let bytes = postcard::to_allocvec(&p).unwrap();
        assert_eq!(postcard::from_bytes::<PartyDescribed>(&bytes).unwrap(), p);
        let back: PartyDescribed =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"location":{"internal":"W1"},"kind":"warehouse","name":"W","adress":{},"owner":null}"#;
        let e = serde_json::from_str::<LocationDescribed>(json).unwrap_err().to_string();
        assert!(e.contains("unknown field `adress`"), "{e}");
    }
}
