//! GS1 scan parsing: a raw scan with its symbology identifier, a bracketed
//! element string, an unbracketed one, or a Digital Link URI.

use lotledger::interop::gs1::ElementString;

use crate::status::*;
use crate::verify::{bytes, store};

/// What a scan names. Each text is NUL-terminated, empty when the scan does
/// not carry that AI.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LotledgerScan {
    /// AI (01) as an item for a `LotledgerLot`: `gtin:` and 14 digits.
    pub item: [u8; 20],
    /// AI (01), 14 digits.
    pub gtin: [u8; 15],
    /// AI (10), the batch or lot, up to 20 characters.
    pub batch: [u8; 21],
    /// AI (21), the serial number, up to 20 characters.
    pub serial: [u8; 21],
    /// AI (00), the SSCC, 18 digits.
    pub sscc: [u8; 19],
    /// AI (17), the expiry date as written: two-digit year (`expiry_yy`),
    /// month, and day (0 meaning the end of the month). `has_expiry` is 1
    /// when the scan carries one.
    pub has_expiry: u8,
    /// Two-digit year of the expiry date.
    pub expiry_yy: u8,
    /// Month of the expiry date, 1 to 12.
    pub expiry_month: u8,
    /// Day of the expiry date, 0 for the end of the month.
    pub expiry_day: u8,
    /// How many AI elements the scan holds.
    pub elements: u32,
}

/// Copies `text` into `out` with a NUL after it; `false` when it does not fit.
fn put(out: &mut [u8], parts: &[&str]) -> bool {
    let mut at = 0usize;
    for part in parts {
        let Some(dst) = out.get_mut(at..at + part.len()) else { return false };
        dst.copy_from_slice(part.as_bytes());
        at += part.len();
    }
    out.get_mut(at).map(|b| *b = 0).is_some()
}

/// Parses the scan `input[0..len]` (what a scanner sends, including a
/// `]d2`-style symbology identifier and GS separators, or `(01)...`, or a
/// Digital Link `https://...`) with the GS1 rules (check digits, lengths,
/// character sets, dates) and fills `scan`. `LOTLEDGER_ERR_GS1` when it is
/// not valid; nothing is guessed.
///
/// Uses about 2 KiB of stack.
///
/// # Safety
/// `input` points to `len` readable bytes; `scan` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lotledger_gs1_parse(
    input: *const u8,
    len: usize,
    scan: *mut LotledgerScan,
) -> LotledgerStatus {
    guard(|| {
        if scan.is_null() {
            return Err(LOTLEDGER_ERR_NULL);
        }
        // SAFETY: the caller's contract.
        let data = unsafe { bytes(input, len)? };
        let es = ElementString::parse(data).map_err(|_| LOTLEDGER_ERR_GS1)?;
        let mut out = LotledgerScan {
            item: [0; 20],
            gtin: [0; 15],
            batch: [0; 21],
            serial: [0; 21],
            sscc: [0; 19],
            has_expiry: 0,
            expiry_yy: 0,
            expiry_month: 0,
            expiry_day: 0,
            elements: u32::try_from(es.len()).unwrap_or(u32::MAX),
        };
        let fits = [
            es.gtin().is_none_or(|g| put(&mut out.item, &["gtin:", g]) && put(&mut out.gtin, &[g])),
            es.batch().is_none_or(|b| put(&mut out.batch, &[b])),
            es.serial().is_none_or(|s| put(&mut out.serial, &[s])),
            es.sscc().is_none_or(|s| put(&mut out.sscc, &[s])),
        ];
        if fits.contains(&false) {
            return Err(LOTLEDGER_ERR_GS1);
        }
        if let Some(d) = es.expiry() {
            out.has_expiry = 1;
            out.expiry_yy = d.yy;
            out.expiry_month = d.month;
            out.expiry_day = d.raw_day;
        }
        // SAFETY: not null; writable by the caller's contract.
        unsafe { store(scan, out) };
        Ok(())
    })
}
