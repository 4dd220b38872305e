//! The std surface: a file ledger (docs/STORAGE.md) with a durability
//! mode, and the trace and recall queries (docs/QUERIES.md) returning JSON.

use core::ffi::c_char;
use std::ffi::CString;
use std::path::{Path, PathBuf};

use lotledger::file::{Durability, FileLedger, LedgerReader, Options, segment};
use lotledger::index::Index;
use lotledger::model::{Date, LotId, Timestamp};
use lotledger::query;

use crate::record::{self, LotledgerLot, LotledgerRecord, LotledgerStamp, cstr};
use crate::status::*;
use crate::verify::*;

/// An open file ledger: the only writer of its directory. Opaque; made by
/// `lotledger_file_create` or `lotledger_file_open`, freed by
/// `lotledger_file_close`.
pub struct LotledgerFile {
    ledger: FileLedger,
}

/// How appends are made durable (docs/STORAGE.md).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LotledgerDurability {
    /// `LOTLEDGER_DURABILITY_SYNC_EACH`, `_GROUP_COMMIT` or `_BUFFERED`.
    pub mode: u32,
    /// Group commit: entries per sync (at least 1).
    pub entries: u32,
    /// Group commit: milliseconds after which the next append syncs (0: no limit).
    pub millis: u32,
}

/// Every append is written and synced before it returns.
pub const LOTLEDGER_DURABILITY_SYNC_EACH: u32 = 0;
/// Appends are synced together every `entries` entries or `millis` ms.
pub const LOTLEDGER_DURABILITY_GROUP_COMMIT: u32 = 1;
/// Appends are buffered; synced only by `lotledger_file_sync`, at segment
/// rotation and on close (bulk import).
pub const LOTLEDGER_DURABILITY_BUFFERED: u32 = 2;

fn file_error(e: impl core::fmt::Display) -> LotledgerStatus {
    detail(LOTLEDGER_ERR_FILE, e)
}

/// # Safety
/// `dir` is null or a NUL-terminated string.
unsafe fn path(dir: *const c_char) -> Result<PathBuf, LotledgerStatus> {
    if dir.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: the caller's contract.
    unsafe { cstr(dir, LOTLEDGER_ERR_BAD_STRING) }.map(PathBuf::from)
}

/// # Safety
/// `d` is null or readable.
unsafe fn options(d: *const LotledgerDurability) -> Result<Options, LotledgerStatus> {
    // SAFETY: null is checked by `as_ref`; otherwise readable by the contract.
    let durability = match unsafe { d.as_ref() } {
        None => Durability::SyncEach,
        Some(d) => match d.mode {
            LOTLEDGER_DURABILITY_SYNC_EACH => Durability::SyncEach,
            LOTLEDGER_DURABILITY_GROUP_COMMIT => {
                Durability::GroupCommit { entries: d.entries, millis: d.millis }
            }
            LOTLEDGER_DURABILITY_BUFFERED => Durability::Buffered,
            _ => return Err(LOTLEDGER_ERR_ARGUMENT),
        },
    };
    let options = Options::new().durability(durability);
    options.check().map_err(file_error)?;
    Ok(options)
}

/// # Safety
/// `out` is null or writable.
unsafe fn hand_out(
    out: *mut *mut LotledgerFile,
    ledger: FileLedger,
) -> Result<(), LotledgerStatus> {
    if out.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    let handle = Box::into_raw(Box::new(LotledgerFile { ledger }));
    // SAFETY: not null; writable by the caller's contract.
    unsafe { out.write(handle) };
    Ok(())
}

/// # Safety
/// `f` is null or a handle from `lotledger_file_create`/`_open` not yet closed.
unsafe fn ledger<'a>(f: *mut LotledgerFile) -> Result<&'a mut FileLedger, LotledgerStatus> {
    // SAFETY: null is checked by `as_mut`; a live handle by the caller's contract.
    unsafe { f.as_mut() }.map(|h| &mut h.ledger).ok_or(LOTLEDGER_ERR_NULL)
}

/// Creates a new, empty ledger `ledger_id` in directory `dir` (created if
/// missing) and opens it for writing; `*out` receives the handle.
/// `durability` may be null (sync each append).
///
/// # Safety
/// `dir` is a NUL-terminated path; `ledger_id` points to 16 bytes;
/// `durability` is null or readable; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_create(
    dir: *const c_char,
    ledger_id: *const u8,
    durability: *const LotledgerDurability,
    out: *mut *mut LotledgerFile,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (dir, id, options) =
            unsafe { (path(dir)?, crate::verify::ledger_id(ledger_id)?, options(durability)?) };
        let ledger = FileLedger::create(&dir, id, options).map_err(file_error)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out(out, ledger) }
    })
}

/// Opens the ledger in `dir` for writing: verifies it and recovers a torn
/// tail (docs/STORAGE.md); `*out` receives the handle.
///
/// # Safety
/// As `lotledger_file_create`, without `ledger_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_open(
    dir: *const c_char,
    durability: *const LotledgerDurability,
    out: *mut *mut LotledgerFile,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (dir, options) = unsafe { (path(dir)?, options(durability)?) };
        let (ledger, _) = FileLedger::open(&dir, options).map_err(file_error)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out(out, ledger) }
    })
}

/// Appends `record` with `stamp`; fills `receipt` (may be null). Durable on
/// return under `LOTLEDGER_DURABILITY_SYNC_EACH`.
///
/// # Safety
/// `f` is an open handle; `stamp` and `record` as the header describes them;
/// `receipt` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_append(
    f: *mut LotledgerFile,
    stamp: *const LotledgerStamp,
    record: *const LotledgerRecord,
    receipt: *mut LotledgerReceipt,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (ledger, stamp, record) =
            unsafe { (ledger(f)?, record::stamp(stamp)?, record::record(record)?) };
        let appended = ledger.append(&stamp, &record).map_err(file_error)?;
        // SAFETY: null or writable by the caller's contract.
        unsafe { store(receipt, receipt_to_c(appended.receipt)) };
        Ok(())
    })
}

/// As `lotledger_file_append`, with the entry as one JSON object of
/// docs/JSON.md in `json[0..len]`. On `LOTLEDGER_ERR_BAD_JSON`,
/// `lotledger_last_error` names the field.
///
/// # Safety
/// `f` is an open handle; `json` points to `len` readable bytes; `receipt`
/// is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_append_json(
    f: *mut LotledgerFile,
    json: *const u8,
    len: usize,
    receipt: *mut LotledgerReceipt,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        let (ledger, text) = unsafe { (ledger(f)?, bytes(json, len)?) };
        let text = core::str::from_utf8(text).map_err(|_| LOTLEDGER_ERR_BAD_STRING)?;
        let (stamp, record) = record::from_json(text)?;
        let appended = ledger.append(&stamp, &record).map_err(file_error)?;
        // SAFETY: null or writable by the caller's contract.
        unsafe { store(receipt, receipt_to_c(appended.receipt)) };
        Ok(())
    })
}

/// Writes and syncs every entry appended so far; fills `head` (may be null)
/// with the durable head.
///
/// # Safety
/// `f` is an open handle; `head` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_sync(
    f: *mut LotledgerFile,
    head: *mut LotledgerHead,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract.
        let ledger = unsafe { ledger(f)? };
        let anchor = ledger.sync().map_err(file_error)?;
        // SAFETY: null or writable by the caller's contract.
        unsafe { store(head, head_to_c(anchor)) };
        Ok(())
    })
}

/// Syncs and closes the ledger and frees the handle (also when the final
/// sync fails, which the status then reports). A null handle does nothing.
///
/// # Safety
/// `f` is null or an open handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_close(f: *mut LotledgerFile) -> LotledgerStatus {
    guard(|| {
        if f.is_null() {
            return Ok(());
        }
        // SAFETY: a handle from `hand_out` (Box::into_raw), closed once.
        let handle = unsafe { Box::from_raw(f) };
        handle.ledger.close().map(|_| ()).map_err(file_error)
    })
}

/// Reads and verifies every segment of the ledger in `dir` (it may be open
/// for writing elsewhere) and fills `report` (may be null). On
/// `LOTLEDGER_ERR_FILE`, `lotledger_last_error` says what is wrong and where.
///
/// # Safety
/// `dir` is a NUL-terminated path; `report` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_file_verify(
    dir: *const c_char,
    report: *mut LotledgerReport,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract.
        let dir = unsafe { path(dir)? };
        let r = LedgerReader::open(&dir).and_then(|r| r.verify()).map_err(file_error)?;
        let out = LotledgerReport { entries: r.entries, bytes: 0, head: head_to_c(r.head) };
        // SAFETY: null or writable by the caller's contract.
        unsafe { store(report, out) };
        Ok(())
    })
}

/// An index of the ledger in `dir`, every segment verified.
fn index(dir: &Path) -> Result<Index, LotledgerStatus> {
    let id = LedgerReader::open(dir).map_err(file_error)?.ledger_id();
    let mut segments = Vec::new();
    for item in
        std::fs::read_dir(dir).map_err(|e| file_error(format_args!("{}: {e}", dir.display())))?
    {
        let item = item.map_err(|e| file_error(format_args!("{}: {e}", dir.display())))?;
        if let Some(first) = item.file_name().to_str().and_then(segment::parse_file_name) {
            segments.push((first, item.path()));
        }
    }
    segments.sort_unstable();
    let mut index = Index::new();
    for (_, seg) in segments {
        let bytes =
            std::fs::read(&seg).map_err(|e| file_error(format_args!("{}: {e}", seg.display())))?;
        let frames = bytes.get(segment::HEADER_LEN..).unwrap_or_default();
        let label = seg.file_name().and_then(|n| n.to_str()).unwrap_or("segment").to_owned();
        index
            .ingest_segment(&id, &label, frames)
            .map_err(|e| detail(LOTLEDGER_ERR_QUERY, format_args!("{}: {e}", seg.display())))?;
    }
    Ok(index)
}

/// The JSON of a query result.
/// The query's JSON as the command-line tool prints it: the result with
/// the `unresolved` block of the index (docs/QUERIES.md).
fn to_json(
    index: &Index,
    value: Result<impl serde::Serialize, query::QueryError>,
) -> Result<String, LotledgerStatus> {
    let value = value.map_err(|e| detail(LOTLEDGER_ERR_QUERY, e))?;
    let noted = query::json_with_unresolved(&value, &index.unresolved())
        .map_err(|e| detail(LOTLEDGER_ERR_QUERY, e))?;
    serde_json::to_string(&noted).map_err(|e| detail(LOTLEDGER_ERR_QUERY, e))
}

/// Hands `text` out as a C string the caller frees with `lotledger_string_free`.
///
/// # Safety
/// `out` is null or writable.
unsafe fn string_out(out: *mut *mut c_char, text: String) -> Result<(), LotledgerStatus> {
    if out.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // JSON escapes control characters, so the text holds no NUL.
    let text = CString::new(text).map_err(|e| detail(LOTLEDGER_ERR_QUERY, e))?;
    // SAFETY: not null; writable by the caller's contract.
    unsafe { out.write(text.into_raw()) };
    Ok(())
}

/// Runs `run` over the ledger in `dir` and hands its JSON out.
///
/// # Safety
/// `dir` is a NUL-terminated path; `out` is writable.
unsafe fn query_dir(
    dir: *const c_char,
    out: *mut *mut c_char,
    run: impl FnOnce(&Index) -> Result<String, LotledgerStatus>,
) -> Result<(), LotledgerStatus> {
    if out.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: the caller's contract.
    let dir = unsafe { path(dir)? };
    let text = run(&index(&dir)?)?;
    // SAFETY: the caller's contract.
    unsafe { string_out(out, text) }
}

/// # Safety
/// `lot` is null or points to a lot struct.
unsafe fn one_lot(lot: *const LotledgerLot) -> Result<LotId, LotledgerStatus> {
    // SAFETY: null is checked by `as_ref`; the rest is the caller's contract.
    unsafe { record::lot(lot.as_ref().ok_or(LOTLEDGER_ERR_NULL)?) }
}

/// Traces `lot` forward through the ledger in `dir`: every lot made from
/// it and every shipment of them. `*json` receives the JSON that
/// `lotledger trace --format json` prints (docs/QUERIES.md); free it with
/// `lotledger_string_free`. `LOTLEDGER_ERR_QUERY` when the ledger names
/// no such lot (`lotledger_last_error` says which).
///
/// # Safety
/// `dir` is a NUL-terminated path; `lot` points to a lot struct; `json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_trace_forward(
    dir: *const c_char,
    lot: *const LotledgerLot,
    json: *mut *mut c_char,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        unsafe {
            let lot = one_lot(lot)?;
            query_dir(dir, json, |index| to_json(index, query::trace_forward(index, &lot)))
        }
    })
}

/// Traces `lot` backward: the lots it was made from, their receipts and
/// inspections, as the JSON of `lotledger trace --backward --format json`.
/// Otherwise as `lotledger_trace_forward`.
///
/// # Safety
/// As `lotledger_trace_forward`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_trace_backward(
    dir: *const c_char,
    lot: *const LotledgerLot,
    json: *mut *mut c_char,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        unsafe {
            let lot = one_lot(lot)?;
            query_dir(dir, json, |index| to_json(index, query::trace_backward(index, &lot)))
        }
    })
}

/// The recall report for `lots[0..count]` over the ledger in `dir`: the
/// lots affected, the customers to notify with what each received, mass
/// balance and progress, as the JSON of `lotledger recall --format json`.
/// Free it with `lotledger_string_free`.
///
/// # Safety
/// `dir` is a NUL-terminated path; `lots` points to `count` lot structs;
/// `json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_recall(
    dir: *const c_char,
    lots: *const LotledgerLot,
    count: usize,
    json: *mut *mut c_char,
) -> LotledgerStatus {
    guard(|| {
        if count == 0 {
            return Err(LOTLEDGER_ERR_ARGUMENT);
        }
        if lots.is_null() {
            return Err(LOTLEDGER_ERR_NULL);
        }
        // SAFETY: not null; `count` lot structs by the caller's contract.
        let given = unsafe { core::slice::from_raw_parts(lots, count) };
        let mut ids = Vec::with_capacity(count);
        for l in given {
            // SAFETY: the caller's contract for its strings.
            ids.push(unsafe { record::lot(l)? });
        }
        // SAFETY: the caller's contract for each pointer.
        unsafe { query_dir(dir, json, |index| to_json(index, query::recall(index, &ids))) }
    })
}

/// The complaint rows, in an object so that the `unresolved` block can go
/// beside them (a C caller has no standard error to be warned on).
#[derive(serde::Serialize)]
struct ComplaintList {
    complaints: Vec<query::ComplaintRow>,
}

/// The complaints of the ledger in `dir` as they stood at `now_ms`
/// (milliseconds since 1970-01-01 UTC), with their state and overdue
/// commitments against the default response times (4 h acknowledge, 24 h
/// resolve a general complaint, 48 h plan a complex one, 72 h definite
/// answer): `{"complaints": [...], "unresolved": {...}}`, the list being
/// what `lotledger complaints DIR --now T --json` prints (with `--open` when
/// `open_only` is not 0). Free it with `lotledger_string_free`.
///
/// # Safety
/// `dir` is a NUL-terminated path; `json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_complaints(
    dir: *const c_char,
    now_ms: i64,
    open_only: core::ffi::c_int,
    json: *mut *mut c_char,
) -> LotledgerStatus {
    guard(|| {
        let filter = query::ComplaintFilter {
            open: (open_only != 0).then_some(true),
            ..query::ComplaintFilter::default()
        };
        let commitments = query::ResponseCommitments::DEFAULT;
        let now = Timestamp(now_ms);
        // SAFETY: the caller's contract for each pointer.
        unsafe {
            query_dir(dir, json, |index| {
                to_json(
                    index,
                    Ok(ComplaintList {
                        complaints: query::complaints(index, &filter, &commitments, now),
                    }),
                )
            })
        }
    })
}

/// Lots of the ledger in `dir` whose expiry date is before `before_day`
/// (days since 1970-01-01), with the quantities on hand and in the field by
/// customer, as the JSON of `lotledger expiring DIR --before DATE --json`.
/// Free it with `lotledger_string_free`.
///
/// # Safety
/// `dir` is a NUL-terminated path; `json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_expiring(
    dir: *const c_char,
    before_day: i32,
    json: *mut *mut c_char,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        unsafe {
            query_dir(dir, json, |index| {
                to_json(index, Ok(query::expiring(index, Date(before_day), None)))
            })
        }
    })
}

/// The auditor's verification report of the ledger in `dir`: per ledger
/// the entries, bytes, time span, head hash and segments verified (every
/// entry is verified as the index is built), the corrections and the
/// entries the index could not use, as the JSON of `lotledger audit DIR
/// --report --json`. Free it with `lotledger_string_free`.
///
/// # Safety
/// `dir` is a NUL-terminated path; `json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_audit_report(
    dir: *const c_char,
    json: *mut *mut c_char,
) -> LotledgerStatus {
    guard(|| {
        // SAFETY: the caller's contract for each pointer.
        unsafe { query_dir(dir, json, |index| to_json(index, Ok(query::verification(index)))) }
    })
}

/// Frees a string the library handed out (query results). Null does nothing.
///
/// # Safety
/// `s` is null or a string from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: made by `CString::into_raw` in `string_out`, freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}
