//! The interchange layer: formats that lotledger reads from and writes to
//! the outside world, kept apart from the ledger's own model so that each
//! can change without the other. All of it is `no_std` and allocation-free
//! unless a module says otherwise.

#[cfg(feature = "std")]
pub mod epcis;
#[cfg(feature = "std")]
pub mod fsma;
pub mod gs1;
#[cfg(feature = "std")]
pub mod scope;
