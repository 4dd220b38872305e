#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod chain;
#[cfg(feature = "postgres")]
pub mod db;
#[cfg(feature = "std")]
pub mod demo;
pub mod entry;
#[cfg(feature = "std")]
pub mod file;
#[cfg(feature = "flash")]
pub mod flash;
pub mod forward;
pub mod frame;
#[cfg(feature = "std")]
pub mod index;
/// Interchange formats: GS1 element strings and Digital Link URIs.
pub mod interop;
pub mod model;
/// Merkle tree, signed checkpoints, inclusion and consistency proofs (RFC 9162, C2SP).
pub mod proof;
#[cfg(feature = "std")]
pub mod query;
pub mod storage;
pub mod varint;
