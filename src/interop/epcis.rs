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

pub mod event_hash;
pub mod export;
pub mod import;
mod scheme;
pub mod uri;

pub use event_hash::{Canonicalizer, HashError, document_hashes};
pub use export::{Export, ExportOptions, Skipped, export, ledger_entries};
pub use import::{
    IdMismatch, Import, ImportError, ImportErrorKind, ImportOptions, Unmapped, import,
};
pub use scheme::UriScheme;
