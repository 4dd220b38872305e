#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// Merkle tree, signed checkpoints, inclusion and consistency proofs (RFC 9162, C2SP).
pub mod proof;
