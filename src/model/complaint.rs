//! Customer complaints: registration with every field an after-sales
//! procedure asks for, then each step to closure.
//!
//! Response times are measured from [`ComplaintRegistered::received_at`]
//! to the entry times of the [`ComplaintStep`]s that follow.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use super::ids::{Digest, LotId, PartyId, Reference};
use super::personal::Personal;
use super::quantity::Quantity;
use super::text::Text;
use super::time::Timestamp;

/// Most evidence digests (photos, documents) on one registration.
pub const MAX_EVIDENCE: usize = 4;

/// How a complaint reached us.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// By telephone.
    Phone,
    /// By e-mail.
    Email,
    /// Through a web form.
    Web,
    /// In person.
    Visit,
    /// By letter.
    Letter,
}

/// How serious a complaint is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A general complaint.
    General,
    /// A major complaint.
    Major,
    /// A crisis: possible harm or public attention.
    Crisis,
}

/// What a complaint is about.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintType {
    /// The product's quality.
    ProductQuality,
    /// Staff attitude or service.
    ServiceAttitude,
    /// Delivery and transport.
    Logistics,
    /// A contract dispute.
    ContractDispute,
    /// Misleading advertising.
    MisleadingAdvertising,
}

/// Who complained. The person and their contact are personal data: the
/// writer seals them ([`Personal::Sealed`]) so that they can be erased.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complainant {
    /// The person's name.
    #[serde(default)]
    pub person: Personal<48>,
    /// Their organisation, when it is a known party.
    pub organisation: Option<PartyId>,
    /// Telephone, e-mail or address.
    #[serde(default)]
    pub contact: Personal<64>,
}

/// A complaint was received and registered (kind 16). The complainant's
/// name and contact and the story (which may name people) are
/// [`Personal`] fields.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRegistered {
    /// The filing number.
    pub complaint: Reference,
    /// When it was received (response times run from here).
    pub received_at: Timestamp,
    /// How it reached us.
    pub channel: Channel,
    /// Who complained.
    pub complainant: Complainant,
    /// The customer account it concerns, if it is one of ours.
    pub customer: Option<PartyId>,
    /// The product name as the complainant gave it.
    #[serde(default)]
    pub product: Text<48>,
    /// The packaging form (bottle, blister, sachet, ...).
    #[serde(default)]
    pub packaging: Text<32>,
    /// The quantity concerned.
    pub quantity: Option<Quantity>,
    /// The production batch, when known.
    pub lot: Option<LotId>,
    /// The shipment's order or invoice, when known.
    pub order: Option<Reference>,
    /// Where it was bought.
    #[serde(default)]
    pub place_of_purchase: Text<64>,
    /// The story of purchase, storage and use.
    #[serde(default)]
    pub story: Personal<160>,
    /// What the complainant expects.
    #[serde(default)]
    pub expectation: Text<64>,
    /// SHA-256 digests of evidence photos and documents.
    #[serde(default)]
    pub evidence: Vec<Digest, MAX_EVIDENCE>,
    /// Severity.
    pub severity: Severity,
    /// Type.
    pub kind: ComplaintType,
}

/// Who complained, in the first form of the format (kind 8): plain text only.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplainantV1 {
    /// The person's name.
    #[serde(default)]
    pub person: Text<48>,
    /// Their organisation, when it is a known party.
    pub organisation: Option<PartyId>,
    /// Telephone, e-mail or address.
    #[serde(default)]
    pub contact: Text<64>,
}

/// A complaint registration in the first form of the format (kind 8,
/// `complaint_registered_v1`): the complainant in plain text, which can never
/// be erased from the ledger. Still read and indexed exactly like
/// [`ComplaintRegistered`]; new registrations use kind 16.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRegisteredV1 {
    /// The filing number.
    pub complaint: Reference,
    /// When it was received.
    pub received_at: Timestamp,
    /// How it reached us.
    pub channel: Channel,
    /// Who complained.
    pub complainant: ComplainantV1,
    /// The customer account it concerns, if it is one of ours.
    pub customer: Option<PartyId>,
    /// The product name as the complainant gave it.
    #[serde(default)]
    pub product: Text<48>,
    /// The packaging form.
    #[serde(default)]
    pub packaging: Text<32>,
    /// The quantity concerned.
    pub quantity: Option<Quantity>,
    /// The production batch, when known.
    pub lot: Option<LotId>,
    /// The shipment's order or invoice, when known.
    pub order: Option<Reference>,
    /// Where it was bought.
    #[serde(default)]
    pub place_of_purchase: Text<64>,
    /// The story of purchase, storage and use.
    #[serde(default)]
    pub story: Text<160>,
    /// What the complainant expects.
    #[serde(default)]
    pub expectation: Text<64>,
    /// SHA-256 digests of evidence photos and documents.
    #[serde(default)]
    pub evidence: Vec<Digest, MAX_EVIDENCE>,
    /// Severity.
    pub severity: Severity,
    /// Type.
    pub kind: ComplaintType,
}

impl From<ComplaintRegisteredV1> for ComplaintRegistered {
    /// The same registration with its texts as plain [`Personal`] fields.
    fn from(v: ComplaintRegisteredV1) -> Self {
        Self {
            complaint: v.complaint,
            received_at: v.received_at,
            channel: v.channel,
            complainant: Complainant {
                person: Personal::Plain(v.complainant.person),
                organisation: v.complainant.organisation,
                contact: Personal::Plain(v.complainant.contact),
            },
            customer: v.customer,
            product: v.product,
            packaging: v.packaging,
            quantity: v.quantity,
            lot: v.lot,
            order: v.order,
            place_of_purchase: v.place_of_purchase,
            story: Personal::Plain(v.story),
            expectation: v.expectation,
            evidence: v.evidence,
            severity: v.severity,
            kind: v.kind,
        }
    }
}

/// How an investigation was carried out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestigationMethod {
    /// An on-site check.
    OnSite,
    /// Sampling and testing.
    Sampling,
    /// Verification by a third party.
    ThirdParty,
    /// A review of records.
    RecordReview,
}

/// Where the fault lay.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    /// Product design.
    Design,
    /// Production.
    Production,
    /// Transport.
    Transport,
    /// The way it was used.
    Usage,
    /// Service.
    Service,
}

/// How a complaint was settled.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    /// Goods taken back.
    Return,
    /// Goods exchanged.
    Exchange,
    /// Money refunded.
    Refund,
    /// Goods repaired.
    Repair,
    /// Compensation paid.
    Compensation,
    /// No fault found; the customer bears the cost.
    NoFault,
}

/// One step in handling a complaint.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStep {
    /// The complainant was told we have it (commitment: 4 hours).
    Acknowledged,
    /// Severity or type changed after a first look.
    Reclassified {
        /// New severity.
        severity: Severity,
        /// New type.
        kind: ComplaintType,
    },
    /// An investigation reported.
    Investigated {
        /// How.
        method: InvestigationMethod,
        /// What was found.
        #[serde(default)]
        findings: Text<128>,
        /// The root cause, once known.
        root_cause: Option<RootCause>,
    },
    /// A plan for a complex complaint was given (commitment: 48 hours).
    Planned {
        /// The plan.
        #[serde(default)]
        note: Text<128>,
    },
    /// A resolution was decided and offered (commitment: 24 hours for
    /// general complaints, a definite answer within 72 hours).
    Resolved {
        /// The remedy.
        remedy: Remedy,
        /// The corrective and preventive action, if one was opened.
        capa: Option<Reference>,
        /// Details.
        #[serde(default)]
        note: Text<128>,
    },
    /// The customer accepted or refused the resolution.
    CustomerResponse {
        /// Whether they accepted.
        accepted: bool,
        /// What they said.
        #[serde(default)]
        note: Text<128>,
    },
    /// A follow-up visit or call.
    FollowedUp {
        /// Satisfaction from 1 (very unhappy) to 5 (very happy); other
        /// values are refused when encoding and decoding (docs/FORMAT.md).
        #[serde(
            serialize_with = "satisfaction::serialize",
            deserialize_with = "satisfaction::deserialize"
        )]
        satisfaction: u8,
        /// Remarks.
        #[serde(default)]
        note: Text<128>,
    },
    /// Closed.
    Closed,
    /// Archived (kept at least 5 years).
    Archived,
}

/// Progress on a registered complaint.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintProgress {
    /// The filing number.
    pub complaint: Reference,
    /// What happened.
    pub step: ComplaintStep,
}

/// The 1 to 5 range of [`ComplaintStep::FollowedUp::satisfaction`], a rule of
/// the format: a value outside it is not written and does not decode.
mod satisfaction {
    use serde::{Deserialize as _, Deserializer, Serializer};

    const RANGE: core::ops::RangeInclusive<u8> = 1..=5;

    #[expect(clippy::trivially_copy_pass_by_ref, reason = "the signature serde calls")]
    pub(super) fn serialize<S: Serializer>(value: &u8, s: S) -> Result<S::Ok, S::Error> {
        if !RANGE.contains(value) {
            return Err(serde::ser::Error::custom("satisfaction must be 1 to 5"));
        }
        s.serialize_u8(*value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        let value = u8::deserialize(d)?;
        if !RANGE.contains(&value) {
            return Err(serde::de::Error::custom("satisfaction must be 1 to 5"));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{DecodeError, decode_record};
    use crate::model::Record;

    fn followed_up(satisfaction: u8) -> Record {
        Record::ComplaintProgress(ComplaintProgress {
            complaint: "C-1".parse().unwrap(),
            step: ComplaintStep::FollowedUp { satisfaction, note: Text::default() },
        })
    }

    /// Guards issue 11 item 8 (outside verifier): FORMAT.md's 1 to 5 range
    /// of satisfaction is a decoding rule; before, 0 and 9 decoded.
    #[test]
    fn satisfaction_outside_1_to_5_is_not_written_and_does_not_decode() {
        let mut buf = [0u8; 64];
        let bytes = postcard::to_slice(&followed_up(5), &mut buf).unwrap().to_vec();
        assert_eq!(decode_record(&bytes), Ok(followed_up(5)));
        // An empty note is one zero byte; the satisfaction is the byte before it.
        let at = bytes.len() - 2;
        for bad in [0u8, 6, 9, 255] {
            let mut b = bytes.clone();
            b[at] = bad;
            assert_eq!(decode_record(&b), Err(DecodeError::BadValue), "{bad}");
            let e = postcard::to_slice(&followed_up(bad), &mut buf).unwrap_err();
            assert_eq!(e, postcard::Error::SerdeSerCustom, "{bad}");
        }
    }
}
