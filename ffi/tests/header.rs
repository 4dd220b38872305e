//! The checked-in header is what cbindgen generates from this crate now.
//! Guards against a changed function or struct without a regenerated
//! `include/lotledger.h` (C callers would compile against a stale ABI).
//! Regenerate with `LOTLEDGER_BLESS=1 cargo test -p lotledger-ffi --test header`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

#[test]
fn checked_in_header_is_generated_from_the_crate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/lotledger.h");
    if std::env::var_os("LOTLEDGER_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/lotledger.h");
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ffi/include/lotledger.h differs from what cbindgen generates; run \
         LOTLEDGER_BLESS=1 cargo test -p lotledger-ffi --test header and commit it"
    );
}
