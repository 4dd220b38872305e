//! The records a lot's life produces, from receipt to recall.
//!
//! One [`Record`] is the event inside one ledger entry. Who made it, where
//! and when belong to the entry, not to the record. The variant order is the
//! record kind number in the ledger format and never changes: new kinds are
//! added at the end (see `docs/FORMAT.md`).

use core::fmt;

use heapless::Vec;
use serde::{Deserialize, Serialize};

use super::complaint::{ComplaintProgress, ComplaintRegistered, ComplaintRegisteredV1};
use super::ids::{ContainerId, Digest, LocationId, LotCode, LotId, PartyId, Reference};
use super::master::{LocationDescribed, PartyDescribed, ProductDescribed};
use super::personal::{PersonalField, SealKey, seal_field};
use super::quantity::Quantity;
use super::serial::{Aggregated, Commissioned, Decommissioned, GoodsReturned, GoodsShipped};
use super::text::{Code, Text};
use super::time::Date;

/// Most input lots one production record can consume.
pub const MAX_INPUTS: usize = 24;
/// Most output lots one production record can produce.
pub const MAX_OUTPUTS: usize = 8;
/// Most items one packing record can put into a container.
pub const MAX_PACKED: usize = 16;
/// Most lots one recall record can name.
pub const MAX_RECALL_LOTS: usize = 8;
/// Most replacement entries one correction can name.
pub const MAX_REPLACEMENTS: usize = 4;
/// Most commitments one erasure record names.
pub const MAX_ERASED: usize = 16;

/// A quantity of a lot.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotQuantity {
    /// The lot.
    pub lot: LotId,
    /// How much of it.
    pub quantity: Quantity,
}

/// A pointer to an earlier entry of the same ledger, by sequence number and hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry's hash.
    pub hash: Digest,
}

/// Raw material received from a supplier into one of our lots.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialReceived {
    /// The lot as we keep it (material code and lot code).
    pub lot: LotId,
    /// How much was received.
    pub quantity: Quantity,
    /// Who supplied it.
    pub supplier: PartyId,
    /// The supplier's own lot code, when it differs from ours.
    pub supplier_lot: Option<LotCode>,
    /// The purchase order.
    pub order: Option<Reference>,
}

/// When in a lot's life an inspection happened.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStage {
    /// Incoming inspection of received material.
    Incoming,
    /// In-process control during production.
    InProcess,
    /// Release testing of a finished lot.
    Release,
}

/// What an inspection found.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// Conforms.
    Accepted,
    /// Does not conform.
    Rejected,
    /// Accepted on a condition stated in the note.
    Conditional,
}

/// An inspection or test of a lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspected {
    /// The lot inspected.
    pub lot: LotId,
    /// Incoming, in-process or release.
    pub stage: InspectionStage,
    /// The result.
    pub result: InspectionResult,
    /// SHA-256 of the certificate of analysis or test report, if any.
    pub certificate: Option<Digest>,
    /// Sample or test report number.
    pub report: Option<Reference>,
    /// Conditions or remarks; empty when there are none.
    #[serde(default)]
    pub note: Text<64>,
}

/// A production step: a work order on a line consumes input lots and
/// produces output lots.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Produced {
    /// The work order.
    pub work_order: Reference,
    /// The production line.
    pub line: Code<24>,
    /// The production date.
    pub produced_on: Date,
    /// The expiry date of the outputs, if they have one.
    pub expiry: Option<Date>,
    /// Lots consumed, with the quantity of each.
    pub inputs: Vec<LotQuantity, MAX_INPUTS>,
    /// Lots produced, with the quantity of each.
    pub outputs: Vec<LotQuantity, MAX_OUTPUTS>,
}

/// A lot's quality status.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Not yet released; may not be used or shipped.
    Quarantine,
    /// Released by QA.
    Released,
    /// Blocked pending investigation.
    OnHold,
    /// Rejected; to be destroyed or returned.
    Rejected,
}

/// A QC or QA disposition decision.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionSet {
    /// The lot.
    pub lot: LotId,
    /// Its new status.
    pub status: Disposition,
    /// Why; empty when routine.
    #[serde(default)]
    pub reason: Text<64>,
}

/// Something packed into a container.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Packable {
    /// A quantity of a lot.
    Lot(LotQuantity),
    /// A smaller container (a case onto a pallet).
    Container(ContainerId),
}

/// Packing or aggregation: contents into a case or an SSCC pallet.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packed {
    /// The container filled.
    pub into: ContainerId,
    /// What went in.
    pub contents: Vec<Packable, MAX_PACKED>,
}

/// A shipment line: a quantity of a lot to a customer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipped {
    /// The lot shipped.
    pub lot: LotId,
    /// How much.
    pub quantity: Quantity,
    /// The customer.
    pub customer: PartyId,
    /// The ship-to location when it is not the customer's main address.
    pub ship_to: Option<LocationId>,
    /// The sales order or invoice.
    pub order: Reference,
}

/// The customer confirmed delivery of an order.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    /// The sales order or invoice delivered.
    pub order: Reference,
    /// The customer who confirmed.
    pub customer: PartyId,
}

/// Whether goods came back for credit or for replacement.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnKind {
    /// Returned for credit or refund.
    Return,
    /// Returned in exchange for replacement goods.
    Exchange,
}

/// Goods came back from a customer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Returned {
    /// The lot returned.
    pub lot: LotId,
    /// How much.
    pub quantity: Quantity,
    /// Who returned it.
    pub from: PartyId,
    /// Return or exchange.
    pub kind: ReturnKind,
    /// Why.
    #[serde(default)]
    pub reason: Text<64>,
    /// The complaint it settles, if any.
    pub complaint: Option<Reference>,
    /// The order it was shipped on, if known.
    pub order: Option<Reference>,
}

/// The class of a recall (FDA convention: I is the most serious).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum RecallClass {
    /// Reasonable probability of serious harm.
    I,
    /// Temporary or reversible harm possible.
    II,
    /// Unlikely to cause harm.
    III,
}

/// The quality department opened a recall.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallOpened {
    /// The recall number.
    pub recall: Reference,
    /// Its class.
    pub class: RecallClass,
    /// The lots recalled (their derived lots are found by tracing forward).
    pub lots: Vec<LotId, MAX_RECALL_LOTS>,
    /// Why.
    #[serde(default)]
    pub reason: Text<128>,
}

/// One step of carrying out a recall.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum RecallStep {
    /// A customer was notified.
    CustomerNotified {
        /// The customer.
        customer: PartyId,
    },
    /// Goods were retrieved from a customer.
    Retrieved {
        /// The customer.
        customer: PartyId,
        /// The lot.
        lot: LotId,
        /// How much came back.
        quantity: Quantity,
    },
    /// The recall was closed.
    Closed {
        /// Closing remarks.
        #[serde(default)]
        note: Text<128>,
    },
}

/// Progress of a recall.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallAction {
    /// The recall number.
    pub recall: Reference,
    /// What was done.
    pub step: RecallStep,
}

/// A quantity of a lot was destroyed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destroyed {
    /// The lot.
    pub lot: LotId,
    /// How much.
    pub quantity: Quantity,
    /// Why and how.
    #[serde(default)]
    pub reason: Text<64>,
    /// The recall it belongs to, if any.
    pub recall: Option<Reference>,
}

/// A correction: an earlier entry was wrong. The original stays in the
/// ledger; this names it, says why, and points at any replacement entries
/// (written before this one).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corrected {
    /// The entry corrected.
    pub target: EntryRef,
    /// Why it was wrong.
    #[serde(default)]
    pub reason: Text<128>,
    /// Sequence numbers of the entries that replace it; empty when it is
    /// simply void.
    #[serde(default)]
    pub replacements: Vec<u64, MAX_REPLACEMENTS>,
}

/// What an attached document is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A supplier's certificate of analysis.
    CertificateOfAnalysis,
    /// A photo, e.g. complaint evidence.
    Photo,
    /// A test or investigation report.
    Report,
    /// A proof of delivery.
    DeliveryNote,
    /// An interchange document kept whole (for example an EPCIS document).
    Interchange,
    /// Anything else.
    Other,
}

/// What a document is attached to.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A lot.
    Lot(LotId),
    /// A complaint, by filing number.
    Complaint(Reference),
    /// A recall, by number.
    Recall(Reference),
    /// An order, by number.
    Order(Reference),
    /// An entry of this ledger.
    Entry(EntryRef),
}

/// The SHA-256 digest of an external document, tying it to the record.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attached {
    /// What the document is about.
    pub subject: Subject,
    /// What kind of document it is.
    pub kind: DocumentKind,
    /// SHA-256 of the document's bytes.
    pub digest: Digest,
    /// Its file name or title.
    #[serde(default)]
    pub name: Text<64>,
}

/// An Ed25519 signature (64 bytes): hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple as _;
        if s.is_human_readable() {
            return s.collect_str(&format_args!("{self:?}"));
        }
        let mut t = s.serialize_tuple(64)?;
        for b in &self.0 {
            t.serialize_element(b)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Signature;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a 64-byte signature (128 hex digits)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Signature, E> {
                let (a, b) = v.split_at_checked(64).ok_or_else(|| E::custom("128 hex digits"))?;
                let a = Digest::from_hex(a).map_err(|_| E::custom("128 hex digits"))?;
                let b = Digest::from_hex(b).map_err(|_| E::custom("128 hex digits"))?;
                let mut out = [0u8; 64];
                out.iter_mut().zip(a.0.iter().chain(b.0.iter())).for_each(|(o, x)| *o = *x);
                Ok(Signature(out))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Signature, A::Error> {
                let mut out = [0u8; 64];
                for (i, o) in out.iter_mut().enumerate() {
                    *o = seq
                        .next_element()?
                        .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                Ok(Signature(out))
            }
        }
        if d.is_human_readable() { d.deserialize_str(V) } else { d.deserialize_tuple(64, V) }
    }
}

/// Who signed a checkpoint entry: the signed-note key name, its 4-byte key
/// id and the Ed25519 signature over the checkpoint text (`docs/PROOFS.md`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSignature {
    /// The signer's key name.
    pub name: Code<64>,
    /// The key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
    pub key_id: [u8; 4],
    /// The signature over the checkpoint body.
    pub signature: Signature,
}

/// A checkpoint written into the ledger: the RFC 9162 Merkle root of the
/// `size` entries before this one (entries `0..size`), and optionally the
/// signature of the C2SP checkpoint text it stands for (origin from the
/// ledger id, `size`, `root`, and the chain head line naming entry
/// `size - 1`), so the signed note can be rebuilt from the ledger alone.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpointed {
    /// How many entries the tree covers: entries `0..size`.
    pub size: u64,
    /// The tree's root.
    pub root: Digest,
    /// The signature, when one was made.
    pub signature: Option<CheckpointSignature>,
}

/// Whose personal data an erasure removed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureSubject {
    /// A complainant, by complaint number.
    Complaint(Reference),
    /// A party's contacts.
    Party(PartyId),
    /// Values named by their commitments only.
    Values,
}

/// Personal data was erased from the personal-data store: who asked and why
/// (the entry's actor and time say who did it and when), and the
/// commitments whose values and keys are gone. It holds none of the data.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalDataErased {
    /// Whose data.
    pub subject: ErasureSubject,
    /// The commitments erased (one erasure may take several entries).
    pub commitments: Vec<Digest, MAX_ERASED>,
    /// Why (`GDPR art. 17 request of 2026-11-30`); must not hold the data.
    #[serde(default)]
    pub reason: Text<128>,
}

/// What happened to old segments under the retention policy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    /// Moved into an archive that verifies on its own.
    Archived,
    /// An archive past its retention was disposed of.
    Disposed,
}

/// Entries `first_seq..end_seq` were archived or their archive disposed of,
/// recorded in the live ledger (`docs/STORAGE.md`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionApplied {
    /// Archived or disposed.
    pub action: RetentionAction,
    /// The first entry concerned.
    pub first_seq: u64,
    /// One past the last entry concerned.
    pub end_seq: u64,
    /// SHA-256 of the archive's manifest.
    pub manifest: Digest,
    /// Why (the policy that applied).
    #[serde(default)]
    pub reason: Text<128>,
}

/// One event in a lot's life: the payload of a ledger entry.
///
/// The variant index is the record kind number stored in the ledger.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[expect(
    clippy::large_enum_variant,
    reason = "no allocator in the core: a record lives inline, sized by its largest kind"
)]
pub enum Record {
    /// Kind 0: raw material receipt.
    MaterialReceived(MaterialReceived),
    /// Kind 1: inspection (incoming, in-process, release).
    Inspected(Inspected),
    /// Kind 2: production (inputs to outputs).
    Produced(Produced),
    /// Kind 3: QC/QA disposition.
    DispositionSet(DispositionSet),
    /// Kind 4: packing and aggregation.
    Packed(Packed),
    /// Kind 5: shipment.
    Shipped(Shipped),
    /// Kind 6: delivery confirmation.
    Delivered(Delivered),
    /// Kind 7: return or exchange.
    Returned(Returned),
    /// Kind 8: complaint registration, first form (plain-text complainant).
    ComplaintRegisteredV1(ComplaintRegisteredV1),
    /// Kind 9: complaint progress.
    ComplaintProgress(ComplaintProgress),
    /// Kind 10: recall opened.
    RecallOpened(RecallOpened),
    /// Kind 11: recall action.
    RecallAction(RecallAction),
    /// Kind 12: destruction.
    Destroyed(Destroyed),
    /// Kind 13: correction of an earlier entry.
    Corrected(Corrected),
    /// Kind 14: digest of an external document.
    Attached(Attached),
    /// Kind 15: the Merkle root of the entries before this one, optionally signed.
    Checkpointed(Checkpointed),
    /// Kind 16: complaint registration with erasable personal fields.
    ComplaintRegistered(ComplaintRegistered),
    /// Kind 17: party master data.
    PartyDescribed(PartyDescribed),
    /// Kind 18: location master data.
    LocationDescribed(LocationDescribed),
    /// Kind 19: product master data.
    ProductDescribed(ProductDescribed),
    /// Kind 20: serial numbers commissioned for a lot.
    Commissioned(Commissioned),
    /// Kind 21: packing into or unpacking from a container.
    Aggregated(Aggregated),
    /// Kind 22: a shipment by container, serials or lot quantity.
    GoodsShipped(GoodsShipped),
    /// Kind 23: a return by container, serials or lot quantity.
    GoodsReturned(GoodsReturned),
    /// Kind 24: units left the supply chain.
    Decommissioned(Decommissioned),
    /// Kind 25: personal data erased from the personal-data store.
    PersonalDataErased(PersonalDataErased),
    /// Kind 26: segments archived or an archive disposed of.
    RetentionApplied(RetentionApplied),
}

/// Calls `$f` on every personal field of `$record`, through `$borrow`
/// (`&` or `&mut`): the one list of which fields of which kinds are
/// personal, for [`Record::for_each_personal`] and its `_mut` twin.
macro_rules! personal_fields {
    ($record:expr, $f:expr, $($borrow:tt)+) => {
        match $record {
            Record::ComplaintRegistered(c) => {
                $f($($borrow)+ c.complainant.person);
                $f($($borrow)+ c.complainant.contact);
                $f($($borrow)+ c.story);
            }
            Record::PartyDescribed(p) => {
                for contact in $($borrow)+ p.contacts {
                    $f($($borrow)+ contact.person);
                    $f($($borrow)+ contact.phone);
                    $f($($borrow)+ contact.email);
                }
            }
            _ => {}
        }
    };
}

impl Record {
    /// Calls `f` on every [`Personal`](super::Personal) field of this
    /// record, in the order of the record's JSON form (kind 16's
    /// complainant person, contact and story; kind 17's contacts, each
    /// person, phone, email). Kind 8 (`complaint_registered_v1`) has plain
    /// text fields only and no personal ones.
    pub fn for_each_personal(&self, f: &mut dyn FnMut(&dyn PersonalField)) {
        personal_fields!(self, f, &);
    }

    /// As [`Self::for_each_personal`], able to change each field (to seal
    /// it, or to put a value from the store back in).
    pub fn for_each_personal_mut(&mut self, f: &mut dyn FnMut(&mut dyn PersonalField)) {
        personal_fields!(self, f, &mut);
    }

    /// Seals every plain non-empty personal field ([`seal_field`]): each
    /// gets a fresh key from `random`, and `keep` stores (commitment, key,
    /// value) before the field is replaced by the commitment. Returns how
    /// many fields were sealed.
    ///
    /// # Errors
    ///
    /// The first error `keep` returned; the fields after it are left plain
    /// (the record must then not be written).
    pub fn seal_personal<E>(
        &mut self,
        random: &mut dyn FnMut() -> SealKey,
        keep: &mut dyn FnMut(&Digest, &SealKey, &str) -> Result<(), E>,
    ) -> Result<usize, E> {
        let mut sealed = 0usize;
        let mut failed = None;
        self.for_each_personal_mut(&mut |field| {
            if failed.is_some() {
                return;
            }
            match seal_field(field, random, keep) {
                Ok(Some(_)) => sealed += 1,
                Ok(None) => {}
                Err(e) => failed = Some(e),
            }
        });
        failed.map_or(Ok(sealed), Err)
    }
}

macro_rules! record_kinds {
    ($($variant:ident = $n:literal, $name:literal;)*) => {
        /// The kind of a [`Record`], as numbered in the ledger format.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        #[non_exhaustive]
        pub enum RecordKind {
            $(
                #[doc = concat!("Kind ", $n, ": `", $name, "`.")]
                $variant = $n,
            )*
        }

        impl RecordKind {
            /// Every kind this version knows, in kind-number order.
            pub const ALL: &'static [RecordKind] = &[$(RecordKind::$variant),*];

            /// The kind with this number, if this version knows it.
            #[must_use]
            pub const fn from_number(n: u32) -> Option<Self> {
                match n {
                    $($n => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The kind number stored in the ledger.
            #[must_use]
            pub const fn number(self) -> u32 {
                self as u32
            }

            /// The snake_case name, as in the JSON form.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The kind with this snake_case name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.name() == name)
            }
        }

        impl Record {
            /// This record's kind.
            #[must_use]
            pub const fn kind(&self) -> RecordKind {
                match self {
                    $(Record::$variant(_) => RecordKind::$variant,)*
                }
            }
        }
    };
}

record_kinds! {
    MaterialReceived = 0, "material_received";
    Inspected = 1, "inspected";
    Produced = 2, "produced";
    DispositionSet = 3, "disposition_set";
    Packed = 4, "packed";
    Shipped = 5, "shipped";
    Delivered = 6, "delivered";
    Returned = 7, "returned";
    ComplaintRegisteredV1 = 8, "complaint_registered_v1";
    ComplaintProgress = 9, "complaint_progress";
    RecallOpened = 10, "recall_opened";
    RecallAction = 11, "recall_action";
    Destroyed = 12, "destroyed";
    Corrected = 13, "corrected";
    Attached = 14, "attached";
    Checkpointed = 15, "checkpointed";
    ComplaintRegistered = 16, "complaint_registered";
    PartyDescribed = 17, "party_described";
    LocationDescribed = 18, "location_described";
    ProductDescribed = 19, "product_described";
    Commissioned = 20, "commissioned";
    Aggregated = 21, "aggregated";
    GoodsShipped = 22, "goods_shipped";
    GoodsReturned = 23, "goods_returned";
    Decommissioned = 24, "decommissioned";
    PersonalDataErased = 25, "personal_data_erased";
    RetentionApplied = 26, "retention_applied";
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(all(test, feature = "std"))]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;
    use crate::model::personal::{PersonalValue, commitment};
    use std::borrow::ToOwned as _;

    /// A complaint with all three personal fields filled (story empty is
    /// left plain) and a party with one contact.
    fn records() -> (Record, Record) {
        let complaint = serde_json::from_str(
            r#"{"complaint_registered": {"complaint": "C-1", "received_at": "2026-01-04T02:27:01Z",
            "channel": "phone", "complainant": {"person": "Jane Doe", "organisation": null,
            "contact": "+41 79 555 01 23"}, "customer": null, "quantity": null, "lot": null,
            "order": null, "severity": "general", "kind": "product_quality"}}"#,
        )
        .unwrap();
        let party = serde_json::from_str(
            r#"{"party_described": {"party": {"internal": "C1"}, "name": "Apotheke",
            "contacts": [{"function": "qa", "person": "Anna", "phone": "", "email": "a@x.org"}]}}"#,
        )
        .unwrap();
        (complaint, party)
    }

    /// Guards the visitor's list of personal fields: the values of kinds 16
    /// and 17 in JSON order, and nothing for a kind without personal fields.
    #[test]
    fn visitor_sees_every_personal_field() {
        let (complaint, party) = records();
        let mut seen = std::vec::Vec::new();
        complaint.for_each_personal(&mut |f| {
            if let PersonalValue::Plain(v) = f.value() {
                seen.push((v.to_owned(), f.bound()));
            }
        });
        party.for_each_personal(&mut |f| {
            if let PersonalValue::Plain(v) = f.value() {
                seen.push((v.to_owned(), f.bound()));
            }
        });
        let expected = [
            ("Jane Doe", 48),
            ("+41 79 555 01 23", 64),
            ("", 160),
            ("Anna", 48),
            ("", 32),
            ("a@x.org", 64),
        ];
        let expected: std::vec::Vec<_> =
            expected.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect();
        assert_eq!(seen, expected);
        let mut none = 0;
        let delivered: Record = serde_json::from_str(
            r#"{"delivered": {"order": "SO-1", "customer": {"internal": "C1"}}}"#,
        )
        .unwrap();
        delivered.for_each_personal(&mut |_| none += 1);
        assert_eq!(none, 0);
    }

    /// Guards sealing: only plain non-empty fields are sealed, each with its
    /// own key, the stored triple opens the commitment, and a failing store
    /// leaves the rest plain and reports the error.
    #[test]
    fn seal_personal_seals_plain_non_empty_fields() {
        let (mut complaint, _) = records();
        let mut next = 0u8;
        let mut kept = std::vec::Vec::new();
        let n = complaint
            .seal_personal::<()>(
                &mut || {
                    next += 1;
                    [next; 32]
                },
                &mut |c, k, v| {
                    kept.push((*c, *k, v.to_owned()));
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(kept[0].2, "Jane Doe");
        assert_eq!(kept[0].0, commitment(&[1; 32], "Jane Doe"));
        assert_eq!(kept[1].0, commitment(&[2; 32], "+41 79 555 01 23"));
        let Record::ComplaintRegistered(c) = &complaint else { panic!() };
        assert_eq!(c.complainant.person.commitment(), Some(&kept[0].0));
        assert_eq!(c.complainant.contact.commitment(), Some(&kept[1].0));
        assert!(c.story.is_empty());
        // Sealed already: nothing more to seal.
        assert_eq!(complaint.seal_personal::<()>(&mut || [0; 32], &mut |_, _, _| Ok(())), Ok(0));

        let (mut party, _) = (records().1, ());
        let e = party.seal_personal(&mut || [9; 32], &mut |_, _, _| Err("disk full"));
        assert_eq!(e, Err("disk full"));
        let Record::PartyDescribed(p) = &party else { panic!() };
        assert_eq!(p.contacts[0].person.as_plain(), Some("Anna"));
        assert_eq!(p.contacts[0].email.as_plain(), Some("a@x.org"));
    }
}
