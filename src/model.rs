//! The vocabulary: lots, parties, quantities, time and every record a lot's
//! life produces.
//!
//! Everything here is `no_std` without an allocator: identifiers and lists
//! are bounded and stored inline, and a value that does not fit is refused
//! with an error that hands it back. The model knows nothing of entries,
//! hashes or storage.

mod complaint;
mod gs1_key;
mod ids;
mod master;
pub mod personal;
mod quantity;
mod record;
mod serial;
mod text;
mod time;

pub use complaint::{
    Channel, Complainant, ComplainantV1, ComplaintProgress, ComplaintRegistered,
    ComplaintRegisteredV1, ComplaintStep, ComplaintType, InvestigationMethod, MAX_EVIDENCE, Remedy,
    RootCause, Severity,
};
pub use gs1_key::{Gln, Gtin, Sscc, gs1_check_digit, gs1_check_digit_ok};
pub use ids::{
    Actor, ContainerId, Digest, InternalCode, ItemCode, LedgerId, LocationId, LotCode, LotId,
    PartyId, Reference, Station,
};
pub use master::{
    Address, Contact, LocationDescribed, LocationKind, MAX_ADDRESSES, MAX_ALSO_KNOWN_AS,
    MAX_CONTACTS, MAX_ITEM_ALIASES, MAX_ROLES, PartyDescribed, PartyRole, ProductDescribed,
};
pub use personal::{Personal, PersonalField, PersonalValue};
pub use quantity::{Quantity, QuantityError, Unit, UnitCode, parse_decimal};
pub use record::{
    Attached, CheckpointSignature, Checkpointed, Corrected, Delivered, Destroyed, Disposition,
    DispositionSet, DocumentKind, EntryRef, ErasureSubject, Inspected, InspectionResult,
    InspectionStage, LotQuantity, MAX_ERASED, MAX_INPUTS, MAX_OUTPUTS, MAX_PACKED, MAX_RECALL_LOTS,
    MAX_REPLACEMENTS, MaterialReceived, Packable, Packed, PersonalDataErased, Produced,
    RecallAction, RecallClass, RecallOpened, RecallStep, Record, RecordKind, RetentionAction,
    RetentionApplied, ReturnKind, Returned, Shipped, Signature, Subject,
};
pub use serial::{
    Aggregated, AggregationAction, Commissioned, DecommissionReason, Decommissioned, Goods,
    GoodsReturned, GoodsShipped, LotSerials, MAX_GOODS, MAX_SPANS, RangeError, SERIAL_LEN, Serial,
    SerialRange, SerialSpan,
};
pub use text::{Code, IdError, IdErrorKind, Text};
pub use time::{Date, Timestamp};
