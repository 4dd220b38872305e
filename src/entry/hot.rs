//! The record encoder for the kinds a plant writes most: shipments,
//! delivery confirmations, packing, inspections and dispositions (about 19
//! in 20 entries of a plant's stream). It writes postcard's bytes field by
//! field, without going through serde's derived code (one call through the
//! serializer per field, and the enum's dispatch for every value); every
//! other kind still goes through postcard. It is built with `std` only: on
//! a line controller the flash it would take (about 20 KiB, inlined) is
//! dearer than the time. A property test in
//! `tests/roundtrip.rs` checks that both give the same bytes for any record
//! of these kinds, so the stored format is postcard's whatever path wrote it.
//!
//! postcard's rules, as used here: an enum is its variant's index (in
//! declaration order) as a varint, then the variant's fields; a struct is
//! its fields in order; an integer wider than a byte is a varint (`u64`
//! and `u32` as they are); a `u8` is one byte; a string or a list is its
//! length as a varint, then its bytes or items; `Option` is 0, or 1 and
//! the value; a byte array is its bytes.

use super::{Cursor, EncodeError};
use crate::model::{
    Code, ContainerId, Delivered, Digest, Disposition, DispositionSet, Gln, Gtin, Inspected,
    InspectionResult, InspectionStage, ItemCode, LocationId, LotId, LotQuantity, Packable, Packed,
    PartyId, Quantity, Record, Shipped, Sscc, Text, Unit,
};

/// Encodes `record` when it is of a kind this encoder knows; `None` for
/// the others (the caller encodes those through postcard).
#[inline]
pub(super) fn encode(record: &Record, w: &mut Cursor<'_>) -> Option<Result<(), EncodeError>> {
    // The variant index is the kind number: `Record`'s variants are
    // declared in kind order (`RecordKind` says so for every kind).
    let kind = record.kind() as u64;
    let written = match record {
        Record::Shipped(r) => w.varint(kind).and_then(|()| r.put(w)),
        Record::Delivered(r) => w.varint(kind).and_then(|()| r.put(w)),
        Record::Packed(r) => w.varint(kind).and_then(|()| r.put(w)),
        Record::Inspected(r) => w.varint(kind).and_then(|()| r.put(w)),
        Record::DispositionSet(r) => w.varint(kind).and_then(|()| r.put(w)),
        _ => return None,
    };
    Some(written)
}

/// A value written as postcard writes it.
trait Put {
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError>;
}

impl<const N: usize> Put for Code<N> {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        w.str(self.as_str())
    }
}

impl<const N: usize> Put for Text<N> {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        w.str(self.as_str())
    }
}

/// GS1 keys are stored as their number.
macro_rules! put_number {
    ($($key:ty),*) => {$(
        impl Put for $key {
            #[inline(always)]
            fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
                w.varint(self.get())
            }
        }
    )*};
}
put_number!(Gtin, Gln, Sscc);

impl Put for Digest {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        w.bytes(&self.0)
    }
}

/// An enum whose variants each hold one value: the index, then the value.
macro_rules! put_either {
    ($($enum:ident { $a:ident, $b:ident }),*) => {$(
        impl Put for $enum {
            #[inline(always)]
            fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
                match self {
                    Self::$a(v) => w.varint(0).and_then(|()| v.put(w)),
                    Self::$b(v) => w.varint(1).and_then(|()| v.put(w)),
                }
            }
        }
    )*};
}
put_either!(
    ItemCode { Gtin, Internal },
    PartyId { Gln, Internal },
    LocationId { Gln, Internal },
    ContainerId { Sscc, Internal },
    Packable { Lot, Container }
);

/// An enum without data: its index, which is its discriminant (declared
/// in order, none given by hand). The match is exhaustive, so a variant
/// added later does not compile until it is listed here.
macro_rules! put_index {
    ($($enum:ident [$($variant:ident),*]),*) => {$(
        impl Put for $enum {
            #[inline(always)]
            fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
                match self {
                    $(Self::$variant)|* => w.varint(*self as u64),
                }
            }
        }
    )*};
}
put_index!(
    InspectionStage [Incoming, InProcess, Release],
    InspectionResult [Accepted, Rejected, Conditional],
    Disposition [Quarantine, Released, OnHold, Rejected]
);

impl Put for Unit {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        let index = match self {
            Self::Piece => 0,
            Self::One => 1,
            Self::Kilogram => 2,
            Self::Gram => 3,
            Self::Milligram => 4,
            Self::Tonne => 5,
            Self::Litre => 6,
            Self::Millilitre => 7,
            Self::Metre => 8,
            Self::SquareMetre => 9,
            Self::Other(code) => return w.varint(10).and_then(|()| w.str(code.as_str())),
        };
        w.varint(index)
    }
}

impl<T: Put> Put for Option<T> {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        match self {
            None => w.bytes(&[0]),
            Some(v) => w.bytes(&[1]).and_then(|()| v.put(w)),
        }
    }
}

impl<T: Put, const N: usize> Put for heapless::Vec<T, N> {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        w.varint(self.len() as u64)?;
        self.iter().try_for_each(|v| v.put(w))
    }
}

/// A struct: its fields in declaration order. The pattern names every
/// field, so a field added later does not compile until it is listed here.
macro_rules! put_fields {
    ($($struct:ident { $($field:ident),* }),*) => {$(
        impl Put for $struct {
            #[inline(always)]
            fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
                let $struct { $($field),* } = self;
                $($field.put(w)?;)*
                Ok(())
            }
        }
    )*};
}
put_fields!(
    LotId { item, lot },
    LotQuantity { lot, quantity },
    Shipped { lot, quantity, customer, ship_to, order },
    Delivered { order, customer },
    Packed { into, contents },
    Inspected { lot, stage, result, certificate, report, note },
    DispositionSet { lot, status, reason }
);

impl Put for Quantity {
    #[inline(always)]
    fn put(&self, w: &mut Cursor<'_>) -> Result<(), EncodeError> {
        let Quantity { amount, scale, unit } = self;
        w.varint(*amount)?;
        w.bytes(&[*scale])?;
        unit.put(w)
    }
}
