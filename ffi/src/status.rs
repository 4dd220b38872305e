//! Status codes, their messages, and the guard that keeps panics inside.

use core::ffi::c_char;

/// A status code: [`LOTLEDGER_OK`] or one of the `LOTLEDGER_ERR_*` codes.
pub type LotledgerStatus = i32;

/// Success.
pub const LOTLEDGER_OK: LotledgerStatus = 0;
/// A pointer argument that must not be null was null.
pub const LOTLEDGER_ERR_NULL: LotledgerStatus = 1;
/// The handle was not opened, or was closed.
pub const LOTLEDGER_ERR_NOT_OPEN: LotledgerStatus = 2;
/// A panic inside the library was caught (std builds); report it as a bug.
pub const LOTLEDGER_ERR_PANIC: LotledgerStatus = 3;
/// An argument is out of its range (an unknown enum value, a count over a limit).
pub const LOTLEDGER_ERR_ARGUMENT: LotledgerStatus = 4;
/// The stamp's actor is empty, over 32 bytes, not UTF-8 or holds control characters.
pub const LOTLEDGER_ERR_BAD_ACTOR: LotledgerStatus = 10;
/// The stamp's station is bad (the actor's rule).
pub const LOTLEDGER_ERR_BAD_STATION: LotledgerStatus = 11;
/// An item is neither `gtin:` and a valid GTIN nor an internal code of 1 to 20 bytes.
pub const LOTLEDGER_ERR_BAD_ITEM: LotledgerStatus = 12;
/// A lot code is empty, over 20 bytes or holds control characters.
pub const LOTLEDGER_ERR_BAD_LOT: LotledgerStatus = 13;
/// A quantity is not a decimal, a space and a UN/ECE Rec 20 unit code.
pub const LOTLEDGER_ERR_BAD_QUANTITY: LotledgerStatus = 14;
/// A party is neither `gln:` and a valid GLN nor an internal code of 1 to 20 bytes.
pub const LOTLEDGER_ERR_BAD_PARTY: LotledgerStatus = 15;
/// A location is neither `gln:` and a valid GLN nor an internal code of 1 to 24 bytes.
pub const LOTLEDGER_ERR_BAD_LOCATION: LotledgerStatus = 16;
/// A reference (order, work order) or production line is empty, over 24 bytes or holds control characters.
pub const LOTLEDGER_ERR_BAD_REFERENCE: LotledgerStatus = 17;
/// A free text (reason) is over 64 bytes, not UTF-8 or holds control characters.
pub const LOTLEDGER_ERR_BAD_TEXT: LotledgerStatus = 18;
/// A date is not a calendar date.
pub const LOTLEDGER_ERR_BAD_DATE: LotledgerStatus = 19;
/// The record kind or an enum field (disposition status) has no meaning.
pub const LOTLEDGER_ERR_BAD_KIND: LotledgerStatus = 20;
/// A list is longer than its record allows (24 inputs, 8 outputs).
pub const LOTLEDGER_ERR_TOO_MANY: LotledgerStatus = 21;
/// The JSON line is not a valid entry of docs/JSON.md; `lotledger_last_error` says where.
pub const LOTLEDGER_ERR_BAD_JSON: LotledgerStatus = 22;
/// The writer's scratch buffer cannot hold the entry.
pub const LOTLEDGER_ERR_BUFFER_TOO_SMALL: LotledgerStatus = 30;
/// The caller's buffer has no room for the entry; nothing was written.
pub const LOTLEDGER_ERR_STORAGE_FULL: LotledgerStatus = 31;
/// A storage callback returned nonzero, or none was given for the operation.
pub const LOTLEDGER_ERR_STORAGE: LotledgerStatus = 32;
/// The entry is over the 4096-byte limit of a frame.
pub const LOTLEDGER_ERR_TOO_LARGE: LotledgerStatus = 33;
/// The ledger has used every sequence number.
pub const LOTLEDGER_ERR_SEQUENCE_EXHAUSTED: LotledgerStatus = 34;
/// The stored bytes do not verify; the failure struct says what and where.
pub const LOTLEDGER_ERR_VERIFY: LotledgerStatus = 40;
/// The flash region does not suit the flash (too few pages, unaligned, out of bounds).
pub const LOTLEDGER_ERR_FLASH_REGION: LotledgerStatus = 50;
/// The flash region is erased: no ledger (format it).
pub const LOTLEDGER_ERR_FLASH_BLANK: LotledgerStatus = 51;
/// The flash region holds no ledger page yet is not erased.
pub const LOTLEDGER_ERR_FLASH_UNRECOGNIZED: LotledgerStatus = 52;
/// The flash holds another ledger.
pub const LOTLEDGER_ERR_FLASH_WRONG_LEDGER: LotledgerStatus = 53;
/// Unconfirmed entries are missing from flash (not explained by power loss).
pub const LOTLEDGER_ERR_FLASH_MISSING: LotledgerStatus = 54;
/// A record before the newest page's end does not verify: corruption, not a torn write.
pub const LOTLEDGER_ERR_FLASH_CORRUPTED: LotledgerStatus = 55;
/// Every page holds unconfirmed entries: forward and confirm first.
pub const LOTLEDGER_ERR_FLASH_FULL: LotledgerStatus = 56;
/// Confirmation of an entry never appended.
pub const LOTLEDGER_ERR_FLASH_NOT_WRITTEN: LotledgerStatus = 57;
/// The page counter is exhausted.
pub const LOTLEDGER_ERR_FLASH_EXHAUSTED: LotledgerStatus = 58;
/// The batch or scratch buffer cannot hold the oldest stored entry.
pub const LOTLEDGER_ERR_FLASH_BUFFER_TOO_SMALL: LotledgerStatus = 59;
/// A flash driver callback returned nonzero; the entry may or may not be on flash.
pub const LOTLEDGER_ERR_FLASH_DRIVER: LotledgerStatus = 60;
/// The entry is larger than a flash page.
pub const LOTLEDGER_ERR_FLASH_TOO_LARGE: LotledgerStatus = 61;
/// The scan is not a valid GS1 element string, bracketed string or Digital Link.
pub const LOTLEDGER_ERR_GS1: LotledgerStatus = 70;
/// A file ledger operation failed; `lotledger_last_error` says what and where.
pub const LOTLEDGER_ERR_FILE: LotledgerStatus = 80;
/// A query failed (the lot or recall is unknown); `lotledger_last_error` says which.
pub const LOTLEDGER_ERR_QUERY: LotledgerStatus = 81;
/// A path or JSON argument is not UTF-8.
pub const LOTLEDGER_ERR_BAD_STRING: LotledgerStatus = 82;

/// The message for a status code: a static NUL-terminated English sentence,
/// never null, never to be freed. An unknown code gives "unknown status code".
#[unsafe(no_mangle)]
pub extern "C" fn lotledger_status_message(status: LotledgerStatus) -> *const c_char {
    let message: &'static core::ffi::CStr = match status {
        LOTLEDGER_OK => c"ok",
        LOTLEDGER_ERR_NULL => c"a required pointer argument is null",
        LOTLEDGER_ERR_NOT_OPEN => c"the handle is not open",
        LOTLEDGER_ERR_PANIC => c"internal error: the library panicked (a bug; please report it)",
        LOTLEDGER_ERR_ARGUMENT => c"an argument is out of range",
        LOTLEDGER_ERR_BAD_ACTOR => c"bad actor: 1 to 32 bytes of UTF-8 without control characters",
        LOTLEDGER_ERR_BAD_STATION => c"bad station: 1 to 32 bytes of UTF-8 without control characters",
        LOTLEDGER_ERR_BAD_ITEM => c"bad item: gtin:<8, 12, 13 or 14 digits with a valid check digit> or an internal code of 1 to 20 bytes",
        LOTLEDGER_ERR_BAD_LOT => c"bad lot code: 1 to 20 bytes without control characters",
        LOTLEDGER_ERR_BAD_QUANTITY => c"bad quantity: a decimal with at most 9 places, a space and a UN/ECE Rec 20 unit code, e.g. \"12.5 KGM\"",
        LOTLEDGER_ERR_BAD_PARTY => c"bad party: gln:<13 digits with a valid check digit> or an internal code of 1 to 20 bytes",
        LOTLEDGER_ERR_BAD_LOCATION => c"bad location: gln:<13 digits with a valid check digit> or an internal code of 1 to 24 bytes",
        LOTLEDGER_ERR_BAD_REFERENCE => c"bad reference or line: 1 to 24 bytes without control characters",
        LOTLEDGER_ERR_BAD_TEXT => c"bad text: at most 64 bytes of UTF-8 without control characters",
        LOTLEDGER_ERR_BAD_DATE => c"bad date: not a calendar date",
        LOTLEDGER_ERR_BAD_KIND => c"bad record kind or enum value",
        LOTLEDGER_ERR_TOO_MANY => c"too many items in a list: at most 24 inputs and 8 outputs",
        LOTLEDGER_ERR_BAD_JSON => c"bad JSON entry (see lotledger_last_error for the field)",
        LOTLEDGER_ERR_BUFFER_TOO_SMALL => c"the scratch buffer is too small for the entry",
        LOTLEDGER_ERR_STORAGE_FULL => c"the storage buffer is full; nothing was written",
        LOTLEDGER_ERR_STORAGE => c"a storage callback failed; the entry was not appended",
        LOTLEDGER_ERR_TOO_LARGE => c"the entry exceeds the 4096-byte frame limit",
        LOTLEDGER_ERR_SEQUENCE_EXHAUSTED => c"sequence numbers exhausted",
        LOTLEDGER_ERR_VERIFY => c"the bytes do not verify (see the failure struct for the entry, offset and kind)",
        LOTLEDGER_ERR_FLASH_REGION => c"the flash region needs at least 2 pages of 4096 bytes, page-aligned, inside the flash",
        LOTLEDGER_ERR_FLASH_BLANK => c"the flash region is blank: no ledger",
        LOTLEDGER_ERR_FLASH_UNRECOGNIZED => c"the flash region holds no ledger page",
        LOTLEDGER_ERR_FLASH_WRONG_LEDGER => c"the flash holds another ledger",
        LOTLEDGER_ERR_FLASH_MISSING => c"unconfirmed entries are missing from flash",
        LOTLEDGER_ERR_FLASH_CORRUPTED => c"a flash record does not verify: corruption, not a torn write",
        LOTLEDGER_ERR_FLASH_FULL => c"the flash is full of unconfirmed entries",
        LOTLEDGER_ERR_FLASH_NOT_WRITTEN => c"cannot confirm an entry that was not appended",
        LOTLEDGER_ERR_FLASH_EXHAUSTED => c"the flash page counter is exhausted",
        LOTLEDGER_ERR_FLASH_BUFFER_TOO_SMALL => c"the buffer cannot hold the oldest stored flash entry",
        LOTLEDGER_ERR_FLASH_DRIVER => c"a flash driver callback failed (reopen to learn whether the entry is on flash)",
        LOTLEDGER_ERR_FLASH_TOO_LARGE => c"the entry does not fit a flash page",
        LOTLEDGER_ERR_GS1 => c"the scan is not a valid GS1 element string, bracketed string or Digital Link URI",
        LOTLEDGER_ERR_FILE => c"the file ledger operation failed (see lotledger_last_error)",
        LOTLEDGER_ERR_QUERY => c"the query failed (see lotledger_last_error)",
        LOTLEDGER_ERR_BAD_STRING => c"a string argument is not UTF-8",
        _ => c"unknown status code",
    };
    message.as_ptr()
}

/// Runs one call's body and turns its result into a status code. In std
/// builds a panic is caught and reported as [`LOTLEDGER_ERR_PANIC`]; the
/// firmware build has no unwinding (panic = abort, and a halting handler).
pub(crate) fn guard(body: impl FnOnce() -> Result<(), LotledgerStatus>) -> LotledgerStatus {
    #[cfg(feature = "std")]
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .unwrap_or(Err(LOTLEDGER_ERR_PANIC));
    #[cfg(not(feature = "std"))]
    let result = body();
    match result {
        Ok(()) => LOTLEDGER_OK,
        Err(code) => code,
    }
}

#[cfg(feature = "std")]
std::thread_local! {
    static LAST_ERROR: core::cell::RefCell<std::ffi::CString> =
        core::cell::RefCell::new(std::ffi::CString::default());
}

/// Records the detail of a failure for [`lotledger_last_error`] and hands
/// back `status`, for `map_err`.
#[cfg(feature = "std")]
pub(crate) fn detail(status: LotledgerStatus, what: impl core::fmt::Display) -> LotledgerStatus {
    let text = what.to_string().replace('\0', " ");
    let text = std::ffi::CString::new(text).unwrap_or_default();
    LAST_ERROR.with(|last| *last.borrow_mut() = text);
    status
}

/// The detail of the last call on this thread that failed with
/// `LOTLEDGER_ERR_BAD_JSON`, `LOTLEDGER_ERR_FILE` or `LOTLEDGER_ERR_QUERY`
/// (std builds): what failed and where (the JSON field path, the file and
/// the entry). An empty string before any such failure. The pointer stays
/// valid until the next failing call on the same thread; do not free it.
#[cfg(feature = "std")]
#[unsafe(no_mangle)]
pub extern "C" fn lotledger_last_error() -> *const c_char {
    LAST_ERROR.with(|last| last.borrow().as_ptr())
}
