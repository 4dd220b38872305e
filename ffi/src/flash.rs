//! The NOR flash store-and-forward (`lotledger::flash`, docs/FLASH.md) over
//! the caller's flash driver callbacks, in memory the caller owns.

use core::ffi::c_void;
use core::fmt;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use lotledger::chain::WriteError;
use lotledger::flash::{FlashError, FlashLedger, Region};

use crate::slot;
use crate::status::*;
use crate::verify::*;

/// The write unit the library uses: every write is `LOTLEDGER_FLASH_WRITE_SIZE`
/// bytes long (or a multiple) at an offset that is a multiple of it, and no
/// byte is written twice between erases. Flash with a write unit of 1, 2, 4
/// or 8 bytes takes such writes.
pub const LOTLEDGER_FLASH_WRITE_SIZE: usize = 8;
/// The erase page the library uses: every erase covers whole pages of
/// `LOTLEDGER_FLASH_PAGE_SIZE` bytes at multiples of it (flash with smaller
/// sectors erases several per call).
pub const LOTLEDGER_FLASH_PAGE_SIZE: usize = 4096;

/// The caller's NOR flash driver. Each callback returns 0 on success and
/// anything else on failure; `context` is passed to each unchanged. Offsets
/// are from the start of the flash (of `capacity` bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LotledgerFlashDriver {
    /// Passed to every callback.
    pub context: *mut c_void,
    /// The flash's size in bytes.
    pub capacity: u32,
    /// Reads `len` bytes at `offset` into `out` (any offset and length).
    pub read: Option<unsafe extern "C" fn(*mut c_void, u32, *mut u8, usize) -> i32>,
    /// Programs `len` bytes from `data` at `offset` (both multiples of
    /// `LOTLEDGER_FLASH_WRITE_SIZE`), into erased flash.
    pub write: Option<unsafe extern "C" fn(*mut c_void, u32, *const u8, usize) -> i32>,
    /// Erases `[from, to)`, whole pages of `LOTLEDGER_FLASH_PAGE_SIZE`, to 0xFF.
    pub erase: Option<unsafe extern "C" fn(*mut c_void, u32, u32) -> i32>,
}

/// A driver callback's nonzero return value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DriverError(i32);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flash driver returned {}", self.0)
    }
}

impl NorFlashError for DriverError {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

/// [`LotledgerFlashDriver`] as a [`NorFlash`].
struct Driver(LotledgerFlashDriver);

impl Driver {
    fn result(rc: i32) -> Result<(), DriverError> {
        if rc == 0 { Ok(()) } else { Err(DriverError(rc)) }
    }
}

impl ErrorType for Driver {
    type Error = DriverError;
}

impl ReadNorFlash for Driver {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), DriverError> {
        let read = self.0.read.ok_or(DriverError(-1))?;
        // SAFETY: the callback and its context are the caller's, valid while
        // the flash ledger is open (docs/C.md); `bytes` is writable for its length.
        Self::result(unsafe { read(self.0.context, offset, bytes.as_mut_ptr(), bytes.len()) })
    }

    fn capacity(&self) -> usize {
        self.0.capacity as usize
    }
}

impl NorFlash for Driver {
    const WRITE_SIZE: usize = LOTLEDGER_FLASH_WRITE_SIZE;
    const ERASE_SIZE: usize = LOTLEDGER_FLASH_PAGE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), DriverError> {
        let erase = self.0.erase.ok_or(DriverError(-1))?;
        // SAFETY: the callback and its context are the caller's (docs/C.md).
        Self::result(unsafe { erase(self.0.context, from, to) })
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), DriverError> {
        let write = self.0.write.ok_or(DriverError(-1))?;
        // SAFETY: the callback and its context are the caller's (docs/C.md);
        // `bytes` is readable for its length.
        Self::result(unsafe { write(self.0.context, offset, bytes.as_ptr(), bytes.len()) })
    }
}

type Inner = FlashLedger<Driver, &'static mut [u8]>;

/// Words of storage in a [`LotledgerFlash`].
pub const LOTLEDGER_FLASH_WORDS: usize = 64;

/// A ledger on NOR flash, in memory the caller owns. Its content is
/// private: open it with `lotledger_flash_format` or `lotledger_flash_open`,
/// and do not copy or move it while open.
#[repr(C)]
pub struct LotledgerFlash {
    /// Private.
    pub storage: [u64; LOTLEDGER_FLASH_WORDS],
    /// Private: whether the ledger is open.
    pub open: u32,
}

/// What `lotledger_flash_read_batch` copied out.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LotledgerBatch {
    /// The first entry's sequence number (the next one to write, if none).
    pub first_seq: u64,
    /// How many entries.
    pub count: u64,
    /// Bytes of whole frames at the start of the buffer.
    pub len: usize,
    /// Where the chain stood before the first entry.
    pub start: LotledgerHead,
}

/// Where a flash ledger stands.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LotledgerFlashState {
    /// The chain's head: the next sequence number and the last hash.
    pub head: LotledgerHead,
    /// Entries below this sequence number are confirmed.
    pub confirmed: u64,
    /// Entries below this sequence number are confirmed on flash (a reboot
    /// offers those from here on again).
    pub durable_confirmed: u64,
    /// Entries appended but not yet confirmed.
    pub pending: u64,
}

fn flash_error(e: FlashError<DriverError>) -> LotledgerStatus {
    match e {
        FlashError::Flash(_) => LOTLEDGER_ERR_FLASH_DRIVER,
        FlashError::Region(_) => LOTLEDGER_ERR_FLASH_REGION,
        FlashError::Blank => LOTLEDGER_ERR_FLASH_BLANK,
        FlashError::Unrecognized => LOTLEDGER_ERR_FLASH_UNRECOGNIZED,
        FlashError::WrongLedger { .. } => LOTLEDGER_ERR_FLASH_WRONG_LEDGER,
        FlashError::Missing { .. } => LOTLEDGER_ERR_FLASH_MISSING,
        FlashError::Corrupted { .. } => LOTLEDGER_ERR_FLASH_CORRUPTED,
        FlashError::BufferTooSmall { .. } => LOTLEDGER_ERR_FLASH_BUFFER_TOO_SMALL,
        FlashError::TooLarge { .. } => LOTLEDGER_ERR_FLASH_TOO_LARGE,
        FlashError::Full => LOTLEDGER_ERR_FLASH_FULL,
        FlashError::NotWritten { .. } => LOTLEDGER_ERR_FLASH_NOT_WRITTEN,
        FlashError::Exhausted => LOTLEDGER_ERR_FLASH_EXHAUSTED,
        _ => LOTLEDGER_ERR_VERIFY,
    }
}

fn append_error(e: WriteError<FlashError<DriverError>>) -> LotledgerStatus {
    match e {
        WriteError::Storage(f) => flash_error(f),
        WriteError::Encode(_) => LOTLEDGER_ERR_BUFFER_TOO_SMALL,
        WriteError::TooLarge { .. } => LOTLEDGER_ERR_TOO_LARGE,
        WriteError::SequenceExhausted => LOTLEDGER_ERR_SEQUENCE_EXHAUSTED,
        _ => LOTLEDGER_ERR_VERIFY,
    }
}

/// # Safety
/// `f` is null or points to a flash ledger struct.
unsafe fn inner<'a>(f: *mut LotledgerFlash) -> Result<&'a mut Inner, LotledgerStatus> {
    // SAFETY: null is checked by `as_mut`; a flash struct by the caller's contract.
    let f = unsafe { f.as_mut() }.ok_or(LOTLEDGER_ERR_NULL)?;
    // SAFETY: an open flash struct's storage holds an `Inner` put there by `start`.
    unsafe { slot::get::<Inner, LOTLEDGER_FLASH_WORDS>(&mut f.storage, f.open) }
        .ok_or(LOTLEDGER_ERR_NOT_OPEN)
}

/// Shared by format and open: checks the arguments, builds the ledger with
/// `make` and stores it in `f`.
///
/// # Safety
/// The contract of `lotledger_flash_open`.
unsafe fn start(
    f: *mut LotledgerFlash,
    ledger_id: *const u8,
    scratch: *mut u8,
    scratch_len: usize,
    make: impl FnOnce(
        lotledger::model::LedgerId,
        &'static mut [u8],
    ) -> Result<Inner, FlashError<DriverError>>,
) -> Result<(), LotledgerStatus> {
    // SAFETY: null is checked by `as_mut`; a flash struct by the caller's contract.
    let f = unsafe { f.as_mut() }.ok_or(LOTLEDGER_ERR_NULL)?;
    if scratch.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: the caller's contract.
    let id = unsafe { crate::verify::ledger_id(ledger_id)? };
    // SAFETY: not null; `scratch_len` writable bytes owned by the flash
    // ledger until it is closed, by the caller's contract (docs/C.md).
    let scratch = unsafe { core::slice::from_raw_parts_mut(scratch, scratch_len) };
    let ledger = make(id, scratch).map_err(flash_error)?;
    // SAFETY: the storage holds nothing that needs dropping.
    unsafe { slot::put::<Inner, LOTLEDGER_FLASH_WORDS>(&mut f.storage, &mut f.open, ledger) };
    Ok(())
}

/// Erases `region_pages` pages of 4096 bytes from `region_start` and starts
/// ledger `ledger_id` there. `scratch` (256 bytes fit the usual entries,
/// 4102 any) belongs to the ledger until `lotledger_flash_close`.
///
/// # Safety
/// `f` points to a flash struct; the driver's callbacks and context stay
/// valid until `lotledger_flash_close`; `ledger_id` points to 16 bytes;
/// `scratch` to `scratch_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_format(
    f: *mut LotledgerFlash,
    driver: LotledgerFlashDriver,
    region_start: u32,
    region_pages: u32,
    ledger_id: *const u8,
    scratch: *mut u8,
    scratch_len: usize,
) -> LotledgerStatus {
    let region = Region { start: region_start, pages: region_pages };
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            start(f, ledger_id, scratch, scratch_len, |id, buf| {
                FlashLedger::format(Driver(driver), region, id, buf)
            })
        }
    })
}

/// Opens ledger `ledger_id` in the region after a reboot: verifies every
/// entry on flash, rebuilds the head and what is left to forward. A write
/// torn by power loss is recovered from; what power loss cannot explain is
/// refused (`LOTLEDGER_ERR_FLASH_CORRUPTED`, `_MISSING`, `_WRONG_LEDGER`;
/// `_BLANK` for an erased region: format it).
///
/// # Safety
/// As `lotledger_flash_format`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_open(
    f: *mut LotledgerFlash,
    driver: LotledgerFlashDriver,
    region_start: u32,
    region_pages: u32,
    ledger_id: *const u8,
    scratch: *mut u8,
    scratch_len: usize,
) -> LotledgerStatus {
    let region = Region { start: region_start, pages: region_pages };
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            start(f, ledger_id, scratch, scratch_len, |id, buf| {
                FlashLedger::open(Driver(driver), region, id, buf)
            })
        }
    })
}

/// Appends `record` with `stamp`; `LOTLEDGER_OK` means it is on flash.
/// Fills `receipt` (may be null). After `LOTLEDGER_ERR_FLASH_DRIVER` the
/// entry may or may not be on flash: `lotledger_flash_open` after the
/// reboot says which.
///
/// # Safety
/// `f` points to a flash struct; `stamp` and `record` to structs as the
/// header describes them; `receipt` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_append(
    f: *mut LotledgerFlash,
    stamp: *const crate::record::LotledgerStamp,
    record: *const crate::record::LotledgerRecord,
    receipt: *mut LotledgerReceipt,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (ledger, stamp, record) =
            unsafe { (inner(f)?, crate::record::stamp(stamp)?, crate::record::record(record)?) };
        let r = ledger.append(&stamp, &record).map_err(append_error)?;
        // SAFETY: null or writable by the caller's contract.
        unsafe { store(receipt, receipt_to_c(r)) };
        Ok(())
    })
}

/// Copies the oldest unconfirmed entries, as whole verified frames, into
/// `out[0..capacity]`, as many as fit, and describes them in `batch`. Send
/// `out[0..batch->len]` to the line PC, then confirm what it holds.
///
/// # Safety
/// `f` points to a flash struct; `out` to `capacity` writable bytes;
/// `batch` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_read_batch(
    f: *mut LotledgerFlash,
    out: *mut u8,
    capacity: usize,
    batch: *mut LotledgerBatch,
) -> LotledgerStatus {
    guard(|| {
        if out.is_null() || batch.is_null() {
            return Err(LOTLEDGER_ERR_NULL);
        }
        // SAFETY: the caller's contract.
        let ledger = unsafe { inner(f)? };
        // SAFETY: not null; `capacity` writable bytes by the caller's contract.
        let out = unsafe { core::slice::from_raw_parts_mut(out, capacity) };
        let b = ledger.read_batch(out).map_err(flash_error)?;
        let c = LotledgerBatch {
            first_seq: b.first_seq,
            count: b.count,
            len: b.len,
            start: head_to_c(b.start),
        };
        // SAFETY: not null; writable by the caller's contract.
        unsafe { store(batch, c) };
        Ok(())
    })
}

/// Records that the line PC holds every entry up to and including
/// `up_to_seq`: they are not offered again, and pages holding only
/// confirmed entries are erased. Confirming again is safe.
///
/// # Safety
/// `f` points to a flash struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_confirm(
    f: *mut LotledgerFlash,
    up_to_seq: u64,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract.
        let ledger = unsafe { inner(f)? };
        ledger.confirm(up_to_seq).map_err(flash_error)
    })
}

/// Fills `state` with the head and how far forwarding stands.
///
/// # Safety
/// `f` points to a flash struct; `state` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_state(
    f: *mut LotledgerFlash,
    state: *mut LotledgerFlashState,
) -> LotledgerStatus {
    guard(|| {
        if state.is_null() {
            return Err(LOTLEDGER_ERR_NULL);
        }
        // SAFETY: the caller's contract.
        let ledger = unsafe { inner(f)? };
        let s = LotledgerFlashState {
            head: head_to_c(ledger.head()),
            confirmed: ledger.confirmed(),
            durable_confirmed: ledger.durable_confirmed(),
            pending: ledger.pending(),
        };
        // SAFETY: not null; writable by the caller's contract.
        unsafe { store(state, s) };
        Ok(())
    })
}

/// Closes the flash ledger: the driver and scratch buffer are the caller's
/// again. Closing a closed ledger does nothing.
///
/// # Safety
/// `f` is null or points to a flash struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_flash_close(f: *mut LotledgerFlash) -> LotledgerStatus {
    guard(|| {
        // SAFETY: null is checked by `as_mut`; a flash struct by the caller's contract.
        let f = unsafe { f.as_mut() }.ok_or(LOTLEDGER_ERR_NULL)?;
        f.open = 0;
        Ok(())
    })
}
