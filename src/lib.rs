#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod chain;
#[cfg(feature = "std")]
pub mod demo;
pub mod entry;
pub mod frame;
pub mod model;
pub mod storage;
pub mod varint;
