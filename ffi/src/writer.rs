//! A ledger writer over a caller's buffer or storage callbacks, in memory
//! the caller owns (no allocation).

use core::ffi::c_void;

use lotledger::chain::{Anchor, Failure, FailureKind, Verifier, WriteError, Writer};
use lotledger::entry::{DecodeError, Stamp};
use lotledger::frame::{self, FrameError};
use lotledger::model::Record;
use lotledger::storage::{SliceStorage, Storage};

use crate::slot;
use crate::status::*;
use crate::verify::*;

/// Storage the caller implements: `read` and `write` at a byte offset, and
/// `sync` to make written bytes durable. Each returns 0 on success and
/// anything else on failure. `context` is passed to each unchanged.
///
/// `write` is called once per entry, at the offset where the stored bytes
/// end, with the whole frame. If it fails after writing part of it, the
/// partial frame is overwritten by the next append; after a restart, the
/// open call reports it as a failure at that offset (open again with the
/// length cut there). `read` is called only by the open call, to verify what
/// is stored. `sync` is called by `lotledger_writer_sync` only; it may be null.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LotledgerStorageCallbacks {
    /// Passed to every callback.
    pub context: *mut c_void,
    /// Reads `len` bytes at `offset` into `out`.
    pub read: Option<unsafe extern "C" fn(*mut c_void, u64, *mut u8, usize) -> i32>,
    /// Writes `len` bytes from `data` at `offset`.
    pub write: Option<unsafe extern "C" fn(*mut c_void, u64, *const u8, usize) -> i32>,
    /// Makes everything written so far durable; may be null.
    pub sync: Option<unsafe extern "C" fn(*mut c_void) -> i32>,
}

/// Where a writer's frames go.
enum Backend {
    Buffer(SliceStorage<'static>),
    Callbacks { callbacks: LotledgerStorageCallbacks, len: u64 },
}

impl Backend {
    fn len(&self) -> u64 {
        match self {
            Self::Buffer(s) => s.as_bytes().len() as u64,
            Self::Callbacks { len, .. } => *len,
        }
    }
}

impl Storage for Backend {
    type Error = LotledgerStatus;

    fn append(&mut self, frame: &[u8]) -> Result<(), LotledgerStatus> {
        match self {
            Self::Buffer(s) => s.append(frame).map_err(|_| LOTLEDGER_ERR_STORAGE_FULL),
            Self::Callbacks { callbacks, len } => {
                let write = callbacks.write.ok_or(LOTLEDGER_ERR_STORAGE)?;
                // SAFETY: the callback and its context are the caller's, valid
                // while the writer is open (docs/C.md); `frame` is readable for
                // its length during the call.
                let rc = unsafe { write(callbacks.context, *len, frame.as_ptr(), frame.len()) };
                if rc != 0 {
                    return Err(LOTLEDGER_ERR_STORAGE);
                }
                *len += frame.len() as u64;
                Ok(())
            }
        }
    }
}

type Inner = Writer<Backend, &'static mut [u8]>;

/// Words of storage in a [`LotledgerWriter`].
pub const LOTLEDGER_WRITER_WORDS: usize = 16;

/// A ledger writer, in memory the caller owns (a local, a static, a struct
/// field). Its content is private: open it with
/// `lotledger_writer_open_buffer` or `lotledger_writer_open_callbacks`, and
/// do not copy or move it while open.
#[repr(C)]
pub struct LotledgerWriter {
    /// Private.
    pub storage: [u64; LOTLEDGER_WRITER_WORDS],
    /// Private: whether the writer is open.
    pub open: u32,
}

/// # Safety
/// `w` is null or points to a writer struct.
unsafe fn inner<'a>(w: *mut LotledgerWriter) -> Result<&'a mut Inner, LotledgerStatus> {
    // SAFETY: null is checked by `as_mut`; a writer struct by the caller's contract.
    let w = unsafe { w.as_mut() }.ok_or(LOTLEDGER_ERR_NULL)?;
    // SAFETY: an open writer's storage holds an `Inner` put there by `open`.
    unsafe { slot::get::<Inner, LOTLEDGER_WRITER_WORDS>(&mut w.storage, w.open) }
        .ok_or(LOTLEDGER_ERR_NOT_OPEN)
}

/// # Safety
/// `ptr` is null or points to `len` writable bytes that stay valid, and are
/// touched by nobody else, until the writer is closed.
unsafe fn buffer(ptr: *mut u8, len: usize) -> Result<&'static mut [u8], LotledgerStatus> {
    if ptr.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: not null; `len` writable bytes reserved for the writer until
    // it is closed, by the caller's contract (docs/C.md: ownership).
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// # Safety
/// `w` is null or points to a writer struct; `scratch` follows [`buffer`].
unsafe fn open(
    w: *mut LotledgerWriter,
    backend: Backend,
    scratch: &'static mut [u8],
    head: Anchor,
) -> Result<(), LotledgerStatus> {
    // SAFETY: null is checked by `as_mut`; a writer struct by the caller's contract.
    let w = unsafe { w.as_mut() }.ok_or(LOTLEDGER_ERR_NULL)?;
    // SAFETY: the writer's storage holds nothing that needs dropping.
    unsafe {
        slot::put::<Inner, LOTLEDGER_WRITER_WORDS>(
            &mut w.storage,
            &mut w.open,
            Writer::new(backend, scratch, head),
        )
    };
    Ok(())
}

fn write_error(e: WriteError<LotledgerStatus>) -> LotledgerStatus {
    match e {
        WriteError::Storage(code) => code,
        WriteError::Encode(_) => LOTLEDGER_ERR_BUFFER_TOO_SMALL,
        WriteError::TooLarge { .. } => LOTLEDGER_ERR_TOO_LARGE,
        WriteError::SequenceExhausted => LOTLEDGER_ERR_SEQUENCE_EXHAUSTED,
        _ => LOTLEDGER_ERR_VERIFY,
    }
}

/// Opens a writer over the caller's buffer `store[0..capacity]`, whose first
/// `len` bytes already hold entries of ledger `ledger_id` (0 for a new
/// ledger). Those bytes are verified first; on `LOTLEDGER_ERR_VERIFY`,
/// `failure` (may be null) says where they stop verifying (a torn last
/// entry: open again with `len` = `failure->offset`).
///
/// `scratch[0..scratch_len]` is where each entry is encoded: 4102 bytes fit
/// any entry, 256 fit the usual ones. Both buffers belong to the writer
/// until `lotledger_writer_close`.
///
/// # Safety
/// `w` points to a writer struct; `store` to `capacity` writable bytes with
/// `len <= capacity`; `scratch` to `scratch_len` writable bytes, separate
/// from `store`; `ledger_id` to 16 bytes; `failure` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_open_buffer(
    w: *mut LotledgerWriter,
    store: *mut u8,
    capacity: usize,
    len: usize,
    ledger_id: *const u8,
    scratch: *mut u8,
    scratch_len: usize,
    failure: *mut LotledgerFailure,
) -> LotledgerStatus {
    guard(|| {
        if len > capacity {
            return Err(LOTLEDGER_ERR_ARGUMENT);
        }
        // SAFETY: the caller's contract for each pointer.
        let (id, store, scratch) = unsafe {
            (
                crate::verify::ledger_id(ledger_id)?,
                buffer(store, capacity)?,
                buffer(scratch, scratch_len)?,
            )
        };
        let start = Anchor::genesis(&id);
        let stored = SliceStorage::with_len(store, len);
        let head = match lotledger::chain::verify_records(stored.as_bytes(), start) {
            Ok(report) => report.head,
            Err(f) => {
                // SAFETY: null or writable by the caller's contract.
                unsafe { store_failure(failure, &f) };
                return Err(LOTLEDGER_ERR_VERIFY);
            }
        };
        // SAFETY: the caller's contract.
        unsafe { open(w, Backend::Buffer(stored), scratch, head) }
    })
}

/// # Safety
/// `failure` is null or writable.
unsafe fn store_failure(failure: *mut LotledgerFailure, f: &Failure) {
    // SAFETY: the caller's contract, passed on.
    unsafe { store(failure, failure_to_c(f)) };
}

/// Verifies the `len` bytes behind `callbacks`, one frame at a time read
/// into `scratch`, and returns the head they end at.
fn verify_stored(
    callbacks: &LotledgerStorageCallbacks,
    len: u64,
    scratch: &mut [u8],
    start: Anchor,
) -> Result<Anchor, Result<Failure, LotledgerStatus>> {
    let mut head = start;
    let mut pos = 0u64;
    while pos < len {
        let read = callbacks.read.ok_or(Err(LOTLEDGER_ERR_STORAGE))?;
        let want = usize::try_from(len - pos).unwrap_or(usize::MAX).min(scratch.len());
        // SAFETY: the callback and its context are the caller's (docs/C.md);
        // `scratch` is writable for `want <= scratch.len()` bytes.
        if unsafe { read(callbacks.context, pos, scratch.as_mut_ptr(), want) } != 0 {
            return Err(Err(LOTLEDGER_ERR_STORAGE));
        }
        let chunk = scratch.get(..want).unwrap_or_default();
        let fail = |kind| Failure { seq: head.next_seq, offset: pos, kind };
        let frame_len = match frame::parse(chunk) {
            Ok(f) => f.len,
            // The frame goes on past what the scratch buffer holds.
            Err(FrameError::Truncated { .. }) if (want as u64) < len - pos => {
                return Err(Err(LOTLEDGER_ERR_BUFFER_TOO_SMALL));
            }
            Err(e) => return Err(Ok(fail(FailureKind::Frame(e)))),
        };
        let one = chunk.get(..frame_len).unwrap_or_default();
        match Verifier::new(one, head).next() {
            Some(Ok(v)) => {
                // Records are checked as `lotledger_verify` checks them: a
                // malformed one fails, one of a newer kind does not.
                match v.record() {
                    Ok(_) | Err(DecodeError::UnknownKind(_)) => {}
                    Err(e) => {
                        let kind = FailureKind::Undecodable(e);
                        return Err(Ok(Failure { seq: v.header.seq, offset: pos, kind }));
                    }
                }
                head = Anchor { next_seq: v.header.seq + 1, head: v.hash };
            }
            Some(Err(mut f)) => {
                f.offset += pos;
                return Err(Ok(f));
            }
            None => return Err(Err(LOTLEDGER_ERR_VERIFY)),
        }
        pos += frame_len as u64;
    }
    Ok(head)
}

/// Opens a writer over the caller's storage `callbacks`, which already hold
/// `len` bytes of entries of ledger `ledger_id` (0 for a new ledger). Those
/// bytes are read back through `read` and verified first; on
/// `LOTLEDGER_ERR_VERIFY`, `failure` (may be null) says where they stop
/// verifying (a torn last entry: open again with `len` = `failure->offset`).
/// `scratch` must hold the largest stored frame (4102 bytes hold any).
///
/// # Safety
/// `w` points to a writer struct; the callbacks and their context stay valid
/// until `lotledger_writer_close`; `scratch` points to `scratch_len`
/// writable bytes owned by the writer until then; `ledger_id` to 16 bytes;
/// `failure` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_open_callbacks(
    w: *mut LotledgerWriter,
    callbacks: LotledgerStorageCallbacks,
    len: u64,
    ledger_id: *const u8,
    scratch: *mut u8,
    scratch_len: usize,
    failure: *mut LotledgerFailure,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (id, scratch) =
            unsafe { (crate::verify::ledger_id(ledger_id)?, buffer(scratch, scratch_len)?) };
        let head = match verify_stored(&callbacks, len, scratch, Anchor::genesis(&id)) {
            Ok(head) => head,
            Err(Ok(f)) => {
                // SAFETY: null or writable by the caller's contract.
                unsafe { store_failure(failure, &f) };
                return Err(LOTLEDGER_ERR_VERIFY);
            }
            Err(Err(code)) => return Err(code),
        };
        // SAFETY: the caller's contract.
        unsafe { open(w, Backend::Callbacks { callbacks, len }, scratch, head) }
    })
}

/// Appends `record` with `stamp` as the next entry and fills `receipt` (may
/// be null) with its sequence number and hash. On any error nothing was
/// appended and the head did not move.
///
/// # Safety
/// `w` points to a writer struct; `stamp` and `record` point to structs as
/// the header describes them, borrowed for the call; `receipt` is null or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_append(
    w: *mut LotledgerWriter,
    stamp: *const crate::record::LotledgerStamp,
    record: *const crate::record::LotledgerRecord,
    receipt: *mut LotledgerReceipt,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (writer, stamp, record) =
            unsafe { (inner(w)?, crate::record::stamp(stamp)?, crate::record::record(record)?) };
        // SAFETY: null or writable by the caller's contract.
        unsafe { append(writer, &stamp, &record, receipt) }
    })
}

/// # Safety
/// `receipt` is null or writable.
unsafe fn append(
    writer: &mut Inner,
    stamp: &Stamp,
    record: &Record,
    receipt: *mut LotledgerReceipt,
) -> Result<(), LotledgerStatus> {
    let r = writer.append(stamp, record).map_err(write_error)?;
    // SAFETY: the caller's contract, passed on.
    unsafe { store(receipt, receipt_to_c(r)) };
    Ok(())
}

/// As `lotledger_writer_append`, with the entry given as one JSON object of
/// docs/JSON.md (`{"time": ..., "actor": ..., "station": ..., "record":
/// {...}}`), `json[0..len]` in UTF-8. Std builds only. On
/// `LOTLEDGER_ERR_BAD_JSON`, `lotledger_last_error` names the field.
///
/// # Safety
/// `w` points to a writer struct; `json` to `len` readable bytes; `receipt`
/// is null or writable.
#[cfg(feature = "std")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_append_json(
    w: *mut LotledgerWriter,
    json: *const u8,
    len: usize,
    receipt: *mut LotledgerReceipt,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (writer, text) = unsafe { (inner(w)?, crate::verify::bytes(json, len)?) };
        let text = core::str::from_utf8(text).map_err(|_| LOTLEDGER_ERR_BAD_STRING)?;
        let (stamp, record) = crate::record::from_json(text)?;
        // SAFETY: null or writable by the caller's contract.
        unsafe { append(writer, &stamp, &record, receipt) }
    })
}

/// Fills `head` with where the chain stands, and `stored` (may be null)
/// with the number of bytes of entries stored (for a buffer writer, the
/// bytes of `store` in use; keep it to open again after a restart).
///
/// # Safety
/// `w` points to a writer struct; `head` and `stored` are null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_head(
    w: *mut LotledgerWriter,
    head: *mut LotledgerHead,
    stored: *mut u64,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        unsafe {
            let writer = inner(w)?;
            store(head, head_to_c(writer.head()));
            store(stored, writer.storage().len());
        }
        Ok(())
    })
}

/// Calls the storage's `sync` callback (a no-op for a buffer writer, or
/// when `sync` is null): `LOTLEDGER_ERR_STORAGE` if it fails.
///
/// # Safety
/// `w` points to a writer struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_sync(w: *mut LotledgerWriter) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract.
        let writer = unsafe { inner(w)? };
        if let Backend::Callbacks { callbacks, .. } = writer.storage_mut()
            && let Some(sync) = callbacks.sync
            // SAFETY: the callback and its context are the caller's (docs/C.md).
            && unsafe { sync(callbacks.context) } != 0
        {
            return Err(LOTLEDGER_ERR_STORAGE);
        }
        Ok(())
    })
}

/// Closes the writer: its buffers and callbacks are the caller's again.
/// Closing a closed writer does nothing.
///
/// # Safety
/// `w` is null or points to a writer struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_writer_close(w: *mut LotledgerWriter) -> LotledgerStatus {
    guard(|| {
        // SAFETY: null is checked by `as_mut`; a writer struct by the caller's contract.
        let w = unsafe { w.as_mut() }.ok_or(LOTLEDGER_ERR_NULL)?;
        w.open = 0;
        Ok(())
    })
}
