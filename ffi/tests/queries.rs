//! The std query surface from C's side of the ABI: complaints, expiry and the
//! audit report return the JSON the library's own queries give, with the
//! `unresolved` block a caller needs to see that a ledger may be missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::ffi::{CStr, CString, c_char};

use lotledger_ffi::*;

const LINES: &[&str] = &[
    r#"{"time":"2026-01-02T08:00:00Z","actor":"line-2","station":"LINE-2","record":{"produced":{"work_order":"WO1","line":"LINE-2","produced_on":"2026-01-02","expiry":"2026-03-01","inputs":[],"outputs":[{"lot":{"item":{"gtin":"09506000134352"},"lot":"B260001"},"quantity":"1000 H87"}]}}}"#,
    r#"{"time":"2026-01-03T08:00:00Z","actor":"m.weber","station":"WH","record":{"shipped":{"lot":{"item":{"gtin":"09506000134352"},"lot":"B260001"},"quantity":"200 H87","customer":{"gln":"4012345000009"},"order":"SO1"}}}"#,
    r#"{"time":"2026-01-04T09:00:00Z","actor":"d.moreau","station":"CS","record":{"complaint_registered":{"complaint":"CMP-1","received_at":"2026-01-04T08:00:00Z","channel":"phone","complainant":{"organisation":{"gln":"4012345000009"}},"customer":{"gln":"4012345000009"},"lot":{"item":{"gtin":"09506000134352"},"lot":"B260001"},"severity":"general","kind":"product_quality"}}}"#,
    // A step of a complaint no ledger registers: one unresolved complaint.
    r#"{"time":"2026-01-04T10:00:00Z","actor":"d.moreau","station":"CS","record":{"complaint_progress":{"complaint":"CMP-404","step":"acknowledged"}}}"#,
];

fn take(out: *mut c_char) -> serde_json::Value {
    assert!(!out.is_null());
    // SAFETY: a string the library handed out, freed right after.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    // SAFETY: from the library, freed once.
    unsafe { lotledger_string_free(out) };
    serde_json::from_str(&text).unwrap()
}

fn ledger() -> (tempfile::TempDir, CString) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = CString::new(tmp.path().join("l").to_str().unwrap()).unwrap();
    let mut f = core::ptr::null_mut();
    // SAFETY: valid path, 16-byte id, default durability, writable out.
    let s = unsafe {
        lotledger_file_create(dir.as_ptr(), [3u8; 16].as_ptr(), core::ptr::null(), &mut f)
    };
    assert_eq!(s, LOTLEDGER_OK);
    let mut receipt = LotledgerReceipt { seq: 0, hash: [0; 32] };
    for line in LINES {
        // SAFETY: an open ledger and a line of `len` bytes.
        let s = unsafe {
            lotledger_file_append_json(f, line.as_ptr().cast(), line.len(), &mut receipt)
        };
        assert_eq!(s, LOTLEDGER_OK, "{line}");
    }
    // SAFETY: opened above, closed once.
    assert_eq!(unsafe { lotledger_file_close(f) }, LOTLEDGER_OK);
    (tmp, dir)
}

#[test]
fn complaints_expiry_and_audit_report_as_json() {
    let (_tmp, dir) = ledger();
    let mut out = core::ptr::null_mut();
    let now = 1_767_600_000_000; // 2026-01-05T08:00:00Z: the 4 h acknowledgement is overdue
    // SAFETY: valid path, writable out.
    assert_eq!(unsafe { lotledger_complaints(dir.as_ptr(), now, 1, &mut out) }, LOTLEDGER_OK);
    let c = take(out);
    assert_eq!(c["complaints"].as_array().unwrap().len(), 1);
    assert_eq!(c["complaints"][0]["complaint"], "CMP-1");
    assert!(
        c["complaints"][0]["overdue"].as_array().unwrap().iter().any(|o| o == "acknowledge"),
        "{c}"
    );
    assert_eq!(c["unresolved"]["complaints"], 1, "{c}");

    // Expiry 2026-03-01 is day 20513; before day 20514 it is listed, before 20513 not.
    // SAFETY: as above.
    assert_eq!(unsafe { lotledger_expiring(dir.as_ptr(), 20_514, &mut out) }, LOTLEDGER_OK);
    let e = take(out);
    assert_eq!(e["lots"].as_array().unwrap().len(), 1, "{e}");
    assert_eq!(e["customers"][0]["customer"], "gln:4012345000009", "{e}");
    // SAFETY: as above.
    assert_eq!(unsafe { lotledger_expiring(dir.as_ptr(), 20_513, &mut out) }, LOTLEDGER_OK);
    assert_eq!(take(out)["lots"].as_array().unwrap().len(), 0);

    // SAFETY: as above.
    assert_eq!(unsafe { lotledger_audit_report(dir.as_ptr(), &mut out) }, LOTLEDGER_OK);
    let a = take(out);
    assert_eq!(a["ledgers"][0]["entries"], 4, "{a}");
    assert!(a.get("unresolved").is_some());
}

#[test]
fn query_calls_refuse_null_pointers_and_missing_ledgers() {
    let mut out = core::ptr::null_mut();
    // SAFETY: null path and null out are what is being refused.
    unsafe {
        assert_eq!(lotledger_complaints(core::ptr::null(), 0, 0, &mut out), LOTLEDGER_ERR_NULL);
        assert_eq!(
            lotledger_audit_report(c"/nonexistent/ledger".as_ptr(), core::ptr::null_mut()),
            LOTLEDGER_ERR_NULL
        );
        assert_ne!(lotledger_expiring(c"/nonexistent/ledger".as_ptr(), 0, &mut out), LOTLEDGER_OK);
    }
    assert!(out.is_null());
}
