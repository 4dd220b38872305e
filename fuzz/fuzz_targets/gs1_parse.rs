//! Fuzz every GS1 parse entry point; whatever parses must round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotledger::interop::gs1::{ElementString, ParseOptions};

fn pairs(es: &ElementString) -> Vec<(String, String)> {
    es.iter().map(|(ai, v)| (ai.to_string(), v.to_string())).collect()
}

fn round_trip(es: &ElementString) {
    if es.is_empty() {
        return;
    }
    let mut buf = [0u8; 4096];
    let n = es.encode_scan(&mut buf).expect("fits");
    let back = ElementString::parse(&buf[..n]).expect("encoded scan parses");
    assert_eq!(pairs(&back), pairs(es));

    let n = es.encode_bracketed(&mut buf).expect("fits");
    let back =
        ElementString::parse_bracketed(&buf[..n], &ParseOptions::new()).expect("bracketed parses");
    assert_eq!(pairs(&back), pairs(es));
    assert_eq!(es.bracketed().to_string().as_bytes(), &buf[..n]);
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the separator for the raw forms.
    let (sep, rest) = data.split_first().map_or((0x1d, data), |(s, r)| (*s, r));
    let opts = ParseOptions::new().with_separator(sep);
    let lenient = opts.with_pairings(false);
    for o in [&opts, &lenient] {
        let results = [
            ElementString::parse_with(rest, o),
            ElementString::parse_scan(rest, o),
            ElementString::parse_element_string(rest, o),
            ElementString::parse_bracketed(rest, o),
            ElementString::parse_digital_link(rest, o),
        ];
        for r in results {
            match r {
                // Round trips run with pairing checks, so only for data that passed them.
                Ok(es) if o.check_pairings => round_trip(&es),
                Ok(_) => {}
                Err(e) => {
                    let _ = e.to_string();
                    let _ = (e.ai(), e.pos());
                }
            }
        }
    }
    let _ = ElementString::parse(data);
});
