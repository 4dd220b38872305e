//! Any bytes through the frame parser and the entry decoder: no panic,
//! whatever decodes re-encodes to something that decodes to the same value,
//! and the hand-written header reader and writer agree with postcard.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::{entry, frame};

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = frame::parse(data) {
        assert!(f.len <= data.len());
        let _ = entry::decode(f.body);
    }
    let _ = entry::decode_record(data);
    // The header reader gives postcard's answer: the same header and rest,
    // or an error where postcard has one.
    let ours = entry::decode_header(data);
    if data.first() == Some(&entry::FORMAT_VERSION) {
        let theirs = postcard::take_from_bytes::<entry::Header>(data);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ => panic!("header reader {ours:?} but postcard {theirs:?}"),
        }
    }
    if let Ok((header, record)) = entry::decode(data) {
        let mut buf = [0u8; frame::MAX_FRAME_LEN];
        let n = entry::encode(&header, &record, &mut buf).expect("a decoded entry re-encodes");
        let mut theirs = [0u8; frame::MAX_FRAME_LEN];
        let expected =
            postcard::to_slice(&(&header, &record), &mut theirs).expect("postcard encodes");
        assert_eq!(&buf[..n], &*expected, "the header writer writes postcard's bytes");
        let (h2, r2) = entry::decode(&buf[..n]).expect("a re-encoded entry decodes");
        assert_eq!((h2, r2), (header, record));
    }
});
