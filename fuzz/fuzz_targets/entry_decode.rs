//! Any bytes through the frame parser and the entry decoder: no panic, and
//! whatever decodes re-encodes to something that decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::{entry, frame};

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = frame::parse(data) {
        assert!(f.len <= data.len());
        let _ = entry::decode(f.body);
    }
    let _ = entry::decode_record(data);
    if let Ok((header, record)) = entry::decode(data) {
        let mut buf = [0u8; frame::MAX_FRAME_LEN];
        let n = entry::encode(&header, &record, &mut buf).expect("a decoded entry re-encodes");
        let (h2, r2) = entry::decode(&buf[..n]).expect("a re-encoded entry decodes");
        assert_eq!((h2, r2), (header, record));
    }
});
