//! Heads, receipts and failures as C structs, and verification of a byte range.

use lotledger::chain::{Anchor, Failure, FailureKind, Receipt, verify_records};
use lotledger::model::{Digest, LedgerId};

use crate::status::*;

/// An appended entry: its sequence number and SHA-256 hash.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LotledgerReceipt {
    /// The entry's sequence number (0 for the first).
    pub seq: u64,
    /// The entry's hash.
    pub hash: [u8; 32],
}

/// Where a chain stands: the next entry's sequence number and the hash it
/// links to (for a new ledger, 0 and the ledger's genesis hash).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LotledgerHead {
    /// The sequence number of the next entry; the number of entries from the start.
    pub next_seq: u64,
    /// The last entry's hash (the genesis hash when there is none).
    pub hash: [u8; 32],
}

/// A verification summary.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LotledgerReport {
    /// Entries verified.
    pub entries: u64,
    /// Bytes verified.
    pub bytes: u64,
    /// Where the verified chain ends.
    pub head: LotledgerHead,
}

/// The first thing found wrong, and where.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LotledgerFailure {
    /// The sequence number the entry there should have had.
    pub seq: u64,
    /// Byte offset of its frame from the start of the bytes given.
    pub offset: u64,
    /// One of the `LOTLEDGER_FAILURE_*` values.
    pub kind: u32,
}

/// A failure of a kind newer than this header.
pub const LOTLEDGER_FAILURE_OTHER: u32 = 0;
/// The frame is torn (the bytes end inside it), has a bad length, or fails its CRC.
pub const LOTLEDGER_FAILURE_FRAME: u32 = 1;
/// The entry's header or record cannot be decoded.
pub const LOTLEDGER_FAILURE_UNDECODABLE: u32 = 2;
/// The entry is of an unknown format version.
pub const LOTLEDGER_FAILURE_UNKNOWN_VERSION: u32 = 3;
/// The sequence number is not the next one.
pub const LOTLEDGER_FAILURE_SEQUENCE_GAP: u32 = 4;
/// The entry does not link to the previous entry's hash.
pub const LOTLEDGER_FAILURE_BROKEN_LINK: u32 = 5;
/// The chain verifies but does not end at the expected head.
pub const LOTLEDGER_FAILURE_HASH_MISMATCH: u32 = 6;

pub(crate) fn head_to_c(a: Anchor) -> LotledgerHead {
    LotledgerHead { next_seq: a.next_seq, hash: a.head.0 }
}

pub(crate) fn head_from_c(h: &LotledgerHead) -> Anchor {
    Anchor { next_seq: h.next_seq, head: Digest(h.hash) }
}

pub(crate) fn receipt_to_c(r: Receipt) -> LotledgerReceipt {
    LotledgerReceipt { seq: r.seq, hash: r.hash.0 }
}

pub(crate) fn failure_to_c(f: &Failure) -> LotledgerFailure {
    let kind = match f.kind {
        FailureKind::Frame(_) => LOTLEDGER_FAILURE_FRAME,
        FailureKind::Undecodable(_) => LOTLEDGER_FAILURE_UNDECODABLE,
        FailureKind::UnknownVersion(_) => LOTLEDGER_FAILURE_UNKNOWN_VERSION,
        FailureKind::SequenceGap { .. } => LOTLEDGER_FAILURE_SEQUENCE_GAP,
        FailureKind::BrokenLink { .. } => LOTLEDGER_FAILURE_BROKEN_LINK,
        FailureKind::HashMismatch { .. } => LOTLEDGER_FAILURE_HASH_MISMATCH,
        _ => LOTLEDGER_FAILURE_OTHER,
    };
    LotledgerFailure { seq: f.seq, offset: f.offset, kind }
}

/// Writes `value` through `out` when `out` is not null.
///
/// # Safety
/// `out` is null or valid for a write of `T`.
pub(crate) unsafe fn store<T>(out: *mut T, value: T) {
    // SAFETY: null is checked by `as_mut`; otherwise writable by the caller's contract.
    if let Some(slot) = unsafe { out.as_mut() } {
        *slot = value;
    }
}

/// The 16-byte ledger id at `id`.
///
/// # Safety
/// `id` is null or points to 16 readable bytes.
pub(crate) unsafe fn ledger_id(id: *const u8) -> Result<LedgerId, LotledgerStatus> {
    if id.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: not null, and 16 readable bytes by the caller's contract.
    Ok(LedgerId(unsafe { *id.cast::<[u8; 16]>() }))
}

/// The `len` bytes at `ptr` (an empty slice for `len == 0`).
///
/// # Safety
/// `ptr` is null or points to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], LotledgerStatus> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: not null, `len` readable bytes by the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// The genesis head of the ledger whose 16-byte id is at `ledger_id`: the
/// head a new ledger starts from.
///
/// # Safety
/// `ledger_id` points to 16 bytes; `head` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_genesis(
    ledger_id: *const u8,
    head: *mut LotledgerHead,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract.
        let id = unsafe { crate::verify::ledger_id(ledger_id)? };
        if head.is_null() {
            return Err(LOTLEDGER_ERR_NULL);
        }
        // SAFETY: not null; writable by the caller's contract.
        unsafe { store(head, head_to_c(Anchor::genesis(&id))) };
        Ok(())
    })
}

/// Verifies the entries in `bytes[0..len]`: every frame intact, every
/// entry numbered and linked in order from `start` (or, when `start` is
/// null, from the start of ledger `ledger_id`), every record decodable; and,
/// when `expected` is not null, that the chain ends at that head.
///
/// On success fills `report` (may be null). On `LOTLEDGER_ERR_VERIFY` fills
/// `failure` (may be null) with the first failure: the entry, its byte
/// offset in `bytes` and the kind. A torn last frame is a failure of kind
/// `LOTLEDGER_FAILURE_FRAME` at the offset where the intact part ends.
///
/// # Safety
/// `bytes` points to `len` readable bytes (or `len` is 0); `ledger_id` to 16
/// bytes when `start` is null; each pointer argument is null or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_verify(
    bytes: *const u8,
    len: usize,
    ledger_id: *const u8,
    start: *const LotledgerHead,
    expected: *const LotledgerHead,
    report: *mut LotledgerReport,
    failure: *mut LotledgerFailure,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (data, start, expected) = unsafe {
            let start = match start.as_ref() {
                Some(s) => head_from_c(s),
                None => Anchor::genesis(&crate::verify::ledger_id(ledger_id)?),
            };
            (crate::verify::bytes(bytes, len)?, start, expected.as_ref().map(head_from_c))
        };
        let checked = verify_records(data, start)
            .and_then(|r| expected.map_or(Ok(()), |e| r.expect_head(&e)).map(|()| r));
        match checked {
            Ok(r) => {
                let out =
                    LotledgerReport { entries: r.entries, bytes: r.bytes, head: head_to_c(r.head) };
                // SAFETY: null or writable by the caller's contract.
                unsafe { store(report, out) };
                Ok(())
            }
            Err(f) => {
                // SAFETY: null or writable by the caller's contract.
                unsafe { store(failure, failure_to_c(&f)) };
                Err(LOTLEDGER_ERR_VERIFY)
            }
        }
    })
}
