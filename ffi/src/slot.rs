//! Rust state kept in memory the C caller owns, without an allocator: a
//! handle type is a `#[repr(C)]` struct with an array of `u64` big
//! enough for the Rust value (checked at compile time) and a marker saying
//! whether it holds one.

use core::mem::{align_of, size_of};

/// Written to a handle's `open` field when it holds a value.
pub(crate) const OPEN: u32 = 0x4C4C_4F50; // "LLOP"

/// Fails the build unless `T` fits `N` words of 8 bytes.
pub(crate) const fn fits<T, const N: usize>() {
    assert!(size_of::<T>() <= N * 8, "handle storage too small for its Rust value");
    assert!(align_of::<T>() <= 8, "handle storage under-aligned for its Rust value");
}

/// Moves `value` into `storage` and marks it open.
///
/// # Safety
/// `storage` must not hold a value that still needs dropping (the values
/// stored here own no heap memory).
pub(crate) unsafe fn put<T, const N: usize>(storage: &mut [u64; N], open: &mut u32, value: T) {
    const { fits::<T, N>() };
    // SAFETY: `fits` proved at compile time that `T` fits the array and
    // needs no more than the 8-byte alignment of its `u64`s; the array is
    // borrowed mutably. `write` neither reads nor drops the old bytes.
    unsafe { storage.as_mut_ptr().cast::<T>().write(value) };
    *open = OPEN;
}

/// The value in `storage`, if `open` says it holds one.
///
/// # Safety
/// When `open == OPEN`, `storage` must hold a `T` written by [`put`] with
/// the same `T` (each handle type stores exactly one Rust type).
pub(crate) unsafe fn get<T, const N: usize>(storage: &mut [u64; N], open: u32) -> Option<&mut T> {
    const { fits::<T, N>() };
    if open != OPEN {
        return None;
    }
    // SAFETY: `put` wrote a valid, aligned `T` here and marked it open; the
    // borrow of `storage` makes this the only reference while it lives.
    Some(unsafe { &mut *storage.as_mut_ptr().cast::<T>() })
}
