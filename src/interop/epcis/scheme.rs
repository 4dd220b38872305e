//! How the ledger's identifiers are written as URIs in EPCIS, and read back.

use core::fmt::Write as _;
use std::borrow::ToOwned;
use std::format;
use std::string::String;
use std::vec::Vec;

use super::uri::canonical_gs1_uri;
use crate::interop::gs1::{ElementString, ParseOptions};
use crate::model::{
    ContainerId, Gln, Gtin, ItemCode, LocationId, LotCode, LotId, PartyId, Serial, Sscc,
};

/// Writes identifiers as URIs: GS1 keys as GS1 Digital Link URIs on
/// `https://id.gs1.org`, internal codes under a configurable base.
///
/// With the default base `urn:lotledger:`:
///
/// | identifier                | URI                                                  |
/// |---------------------------|------------------------------------------------------|
/// | lot of a GTIN             | `https://id.gs1.org/01/09506000134352/10/ABC123`     |
/// | lot of an internal item   | `urn:lotledger:lot:RM-0042:S2611-07`                 |
/// | party with a GLN          | `https://id.gs1.org/417/9506000000008`               |
/// | location with a GLN       | `https://id.gs1.org/414/9506000000008`               |
/// | SSCC                      | `https://id.gs1.org/00/106141412345678908`           |
/// | unit of a GTIN (SGTIN)    | `https://id.gs1.org/01/09506000134352/21/S0001`      |
/// | unit of an internal item  | `urn:lotledger:unit:RM-0042:S0001`                   |
/// | internal party, location, container, order | `urn:lotledger:party:C10001` ... |
///
/// Internal codes are percent-encoded (everything but `A-Z a-z 0-9 - . _ ~`),
/// so any code round-trips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriScheme {
    base: String,
}

impl Default for UriScheme {
    fn default() -> Self {
        Self { base: "urn:lotledger:".to_owned() }
    }
}

const DL: &str = "https://id.gs1.org";

impl UriScheme {
    /// A scheme whose internal URIs start with `base` (for example
    /// `https://plant.example.com/id/` or `urn:acme:`).
    #[must_use]
    pub fn new(base: &str) -> Self {
        Self { base: base.to_owned() }
    }

    /// The base internal URIs start with.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    fn internal(&self, kind: &str, code: &str) -> String {
        let mut s = String::with_capacity(self.base.len() + kind.len() + code.len() + 8);
        s.push_str(&self.base);
        s.push_str(kind);
        s.push(':');
        encode_into(code, &mut s);
        s
    }

    /// A lot (EPCIS `epcClass`): an LGTIN as a Digital Link, or an internal item and lot.
    #[must_use]
    pub fn lot(&self, lot: &LotId) -> String {
        match &lot.item {
            ItemCode::Gtin(g) => {
                let mut s = String::with_capacity(DL.len() + 26 + lot.lot.as_str().len());
                s.push_str(DL);
                // Writing into a String cannot fail.
                let _ = write!(s, "/01/{g}/10/");
                encode_into(lot.lot.as_str(), &mut s);
                s
            }
            ItemCode::Internal(c) => {
                let mut s = self.internal("lot", c.as_str());
                s.push(':');
                encode_into(lot.lot.as_str(), &mut s);
                s
            }
        }
    }

    /// A party (source or destination of type `owning_party`).
    #[must_use]
    pub fn party(&self, party: &PartyId) -> String {
        match party {
            PartyId::Gln(g) => format!("{DL}/417/{g}"),
            PartyId::Internal(c) => self.internal("party", c.as_str()),
        }
    }

    /// A location (source or destination of type `location`).
    #[must_use]
    pub fn location(&self, location: &LocationId) -> String {
        match location {
            LocationId::Gln(g) => format!("{DL}/414/{g}"),
            LocationId::Internal(c) => self.internal("location", c.as_str()),
        }
    }

    /// The text a serialized unit's URI starts with, its serial
    /// (percent-encoded) following: an SGTIN as a GS1 Digital Link
    /// (`https://id.gs1.org/01/<GTIN>/21/`), a unit of an internal item
    /// under the base (`urn:lotledger:unit:<item>:`).
    #[must_use]
    pub fn unit_base(&self, item: &ItemCode) -> String {
        match item {
            ItemCode::Gtin(g) => format!("{DL}/01/{g}/21/"),
            ItemCode::Internal(c) => format!("{}unit:{}:", self.base, encode(c.as_str())),
        }
    }

    /// A serialized unit (an `epcList` or `childEPCs` element).
    #[must_use]
    pub fn unit(&self, item: &ItemCode, serial: &str) -> String {
        let mut s = self.unit_base(item);
        encode_into(serial, &mut s);
        s
    }

    /// The item and serial a unit URI names: an SGTIN (Digital Link on any
    /// domain, or `urn:epc:id:sgtin`) or one of this scheme's internal units.
    #[must_use]
    pub fn parse_unit(&self, uri: &str) -> Option<(ItemCode, Serial)> {
        if let Some(rest) =
            uri.strip_prefix(self.base.as_str()).and_then(|r| r.strip_prefix("unit:"))
        {
            let (item, serial) = rest.split_once(':')?;
            return Some((
                ItemCode::Internal(decode(item)?.parse().ok()?),
                decode(serial)?.parse().ok()?,
            ));
        }
        let es = gs1(uri)?;
        let gtin = Gtin::parse(es.gtin()?).ok()?;
        let serial: Serial = es.get("21")?.parse().ok()?;
        Some((ItemCode::Gtin(gtin), serial))
    }

    /// A container (an aggregation's `parentID` or child).
    #[must_use]
    pub fn container(&self, container: &ContainerId) -> String {
        match container {
            ContainerId::Sscc(s) => format!("{DL}/00/{s}"),
            ContainerId::Internal(c) => self.internal("container", c.as_str()),
        }
    }

    /// Any other internal code of a kind (`order`, `workorder`, `station`,
    /// `line`, `complaint`, `recall`).
    #[must_use]
    pub fn code(&self, kind: &str, code: &str) -> String {
        self.internal(kind, code)
    }

    /// The internal code of `kind` that `uri` names, if it is one of ours.
    #[must_use]
    pub fn parse_code(&self, kind: &str, uri: &str) -> Option<String> {
        let rest = uri.strip_prefix(self.base.as_str())?.strip_prefix(kind)?.strip_prefix(':')?;
        decode(rest)
    }

    /// The lot an `epcClass` names: an LGTIN (Digital Link on any domain,
    /// or `urn:epc:class:lgtin`) or one of this scheme's internal lots.
    #[must_use]
    pub fn parse_lot(&self, uri: &str) -> Option<LotId> {
        if let Some(rest) =
            uri.strip_prefix(self.base.as_str()).and_then(|r| r.strip_prefix("lot:"))
        {
            let (item, lot) = rest.split_once(':')?;
            return Some(LotId {
                item: ItemCode::Internal(decode(item)?.parse().ok()?),
                lot: decode(lot)?.parse().ok()?,
            });
        }
        let es = gs1(uri)?;
        let gtin = Gtin::parse(es.gtin()?).ok()?;
        let lot: LotCode = es.batch()?.parse().ok()?;
        Some(LotId { item: ItemCode::Gtin(gtin), lot })
    }

    /// The party a source or destination names: a GLN (party `417` or
    /// location `414`, Digital Link or EPC URI) or one of ours.
    #[must_use]
    pub fn parse_party(&self, uri: &str) -> Option<PartyId> {
        if let Some(code) = self.parse_code("party", uri) {
            return code.parse().ok().map(PartyId::Internal);
        }
        gln(uri).map(PartyId::Gln)
    }

    /// The location a source or destination names.
    #[must_use]
    pub fn parse_location(&self, uri: &str) -> Option<LocationId> {
        if let Some(code) = self.parse_code("location", uri) {
            return code.parse().ok().map(LocationId::Internal);
        }
        gln(uri).map(LocationId::Gln)
    }

    /// The container a `parentID` or child EPC names: an SSCC or one of ours.
    #[must_use]
    pub fn parse_container(&self, uri: &str) -> Option<ContainerId> {
        if let Some(code) = self.parse_code("container", uri) {
            return code.parse().ok().map(ContainerId::Internal);
        }
        let es = gs1(uri)?;
        Sscc::parse(es.get("00")?).ok().map(ContainerId::Sscc)
    }
}

/// Reads a GS1 key URI with the crate's GS1 parser, after bringing EPC
/// URIs to Digital Link form.
fn gs1(uri: &str) -> Option<ElementString> {
    let dl;
    let text = if uri.starts_with("urn:epc:") {
        dl = canonical_gs1_uri(uri)?;
        dl.as_str()
    } else {
        uri
    };
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return None;
    }
    let opts = ParseOptions::new().with_pairings(false);
    ElementString::parse_digital_link(text.as_bytes(), &opts).ok()
}

fn gln(uri: &str) -> Option<Gln> {
    let es = gs1(uri)?;
    let value = es.get("417").or_else(|| es.get("414"))?;
    Gln::parse(value).ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
#[must_use]
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(s, &mut out);
    out
}

/// [`encode`] onto the end of `out`.
pub(crate) fn encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0xf] {
                let digit = char::from_digit(u32::from(nibble), 16).unwrap_or('0');
                out.push(digit.to_ascii_uppercase());
            }
        }
    }
}

/// Decodes `%XX` escapes; `None` for a bad escape or bytes that are not UTF-8.
#[must_use]
pub(crate) fn decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip() {
        let s = UriScheme::default();
        let lot = LotId {
            item: ItemCode::Internal("RM 42/é".parse().unwrap()),
            lot: "S:1%".parse().unwrap(),
        };
        assert_eq!(s.parse_lot(&s.lot(&lot)), Some(lot));
        let gtin = Gtin::parse("09506000134352").unwrap();
        let lot = LotId { item: ItemCode::Gtin(gtin), lot: "ABC123".parse().unwrap() };
        assert_eq!(s.lot(&lot), "https://id.gs1.org/01/09506000134352/10/ABC123");
        assert_eq!(s.parse_lot(&s.lot(&lot)), Some(lot.clone()));
        assert_eq!(
            s.parse_lot("urn:epc:class:lgtin:950600.0013435.ABC123").map(|l| l.lot),
            Some(lot.lot)
        );
        let gln = Gln::parse("9506000000008").unwrap();
        assert_eq!(s.parse_party(&s.party(&PartyId::Gln(gln))), Some(PartyId::Gln(gln)));
        assert_eq!(
            s.parse_party("urn:epc:id:pgln:4012345.00000").map(|p| matches!(p, PartyId::Gln(_))),
            Some(true)
        );
        let sscc = ContainerId::Sscc(Sscc::parse("106141412345678908").unwrap());
        assert_eq!(s.parse_container(&s.container(&sscc)), Some(sscc));
        assert_eq!(s.parse_lot("https://example.com/other"), None);
    }
}
