//! EPCIS 2.0 JSON-LD: the interchange format partners and regulators use for
//! traceability events, with CBV 2.0 content-hash event ids.
//!
//! Why a separate layer: the ledger's records are compact and exact; EPCIS
//! is verbose and shared. [`export()`] writes ledger entries as an
//! `EPCISDocument` whose every `eventID` is the CBV 2.0 event hash
//! ([`event_hash`]); [`import()`] turns a partner's document into records
//! plus a report of what had no place in the vocabulary, and keeps the
//! original by digest so nothing is lost. Identifiers go out as GS1 Digital
//! Link URIs where they are GS1 keys and through a configurable URI scheme
//! where they are internal codes ([`UriScheme`]).
//!
//! Requires the `std` feature.
//!
//! ```
//! use lotledger::chain::{Anchor, Verifier, Writer};
//! use lotledger::entry::Stamp;
//! use lotledger::interop::epcis::{ExportOptions, ImportOptions, export, import, ledger_entries};
//! use lotledger::model::*;
//!
//! let ledger = LedgerId([7; 16]);
//! let mut w = Writer::new(Vec::new(), [0u8; 512], Anchor::genesis(&ledger));
//! let stamp = Stamp { time: Timestamp(1_772_352_000_000), actor: "wh.kim".parse()?, station: "DOCK-1".parse()? };
//! let lot = LotId { item: ItemCode::Gtin(Gtin::parse("09506000134352")?), lot: "ABC123".parse()? };
//! let record = Record::MaterialReceived(MaterialReceived {
//!     lot,
//!     quantity: "12.5 KGM".parse()?,
//!     supplier: PartyId::Gln(Gln::parse("9506000000008")?),
//!     supplier_lot: None,
//!     order: Some("PO-4711".parse()?),
//! });
//! w.append(&stamp, &record)?;
//!
//! let verified = Verifier::new(w.storage(), Anchor::genesis(&ledger)).collect::<Result<Vec<_>, _>>()?;
//! let entries = ledger_entries(verified).map_err(|(_, e)| e)?;
//! let exported = export(entries, &ExportOptions::new(ledger, Timestamp(1_772_400_000_000)));
//! let event = &exported.document["epcisBody"]["eventList"][0];
//! assert_eq!(event["bizStep"], "receiving");
//! assert_eq!(event["quantityList"][0]["epcClass"], "https://id.gs1.org/01/09506000134352/10/ABC123");
//! assert!(event["eventID"].as_str().is_some_and(|id| id.starts_with("ni:///sha-256;")));
//!
//! // A lotledger export imports back exactly, after the attachment of the original.
//! let bytes = serde_json::to_vec(&exported.document)?;
//! let options = ImportOptions::new(PartyId::Gln(Gln::parse("9506000000008")?), "edi".parse()?, "GW".parse()?, Timestamp(0));
//! let imported = import(&bytes, &options)?;
//! assert_eq!(imported.records[1].1, record);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod event_hash;
pub mod export;
pub mod import;
mod scheme;
pub mod uri;

pub use event_hash::{Canonicalizer, HashError, document_hashes};
pub use export::{
    BatchEntry, EventWriter, Export, ExportOptions, Plan, Skipped, Written, export, ledger_entries,
};
pub use import::{
    Duplicate, EventProblem, EventRef, IdMismatch, Import, ImportError, ImportErrorKind,
    ImportOptions, Unmapped, document_event_ids, import, master_keys,
};
pub use scheme::UriScheme;
