//! Property tests: encoding then parsing gives back the same AIs, and no
//! input makes any parser panic.

#![expect(clippy::unwrap_used, reason = "test code: a failed unwrap or index is a failed test")]

use lotledger::interop::gs1::{ElementString, ParseOptions};
use proptest::prelude::*;

const CSET82: &[u8] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn cset82(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CSET82), 1..=max)
        .prop_map(|v| String::from_utf8(v).unwrap())
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..10, n)
        .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

fn with_check_digit(body: String) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn date() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..13, 0u8..29).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

/// A valid set of AIs for a trade item, in random order.
fn trade_item() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        digits(13).prop_map(with_check_digit),
        prop::option::of(cset82(20)),
        prop::option::of(date()),
        prop::option::of(cset82(20)),
        prop::option::of((0u8..6, digits(6))),
        prop::option::of(cset82(90)),
        prop::option::of(cset82(30)),
        prop::option::of(digits(2)),
    )
        .prop_flat_map(|(gtin, batch, expiry, serial, weight, internal, order, variant)| {
            let mut v = vec![("01".to_string(), gtin)];
            if let Some(b) = batch {
                v.push(("10".into(), b));
            }
            if let Some(e) = expiry {
                v.push(("17".into(), e));
            }
            if let Some(s) = serial {
                v.push(("21".into(), s));
            }
            if let Some((d, w)) = weight {
                v.push((format!("310{d}"), w));
            }
            if let Some(i) = internal {
                v.push(("99".into(), i));
            }
            if let Some(o) = order {
                v.push(("400".into(), o));
            }
            if let Some(n) = variant {
                v.push(("20".into(), n));
            }
            Just(v).prop_shuffle()
        })
}

fn pairs(es: &ElementString) -> Vec<(String, String)> {
    es.iter().map(|(ai, v)| (ai.to_string(), v.to_string())).collect()
}

fn bracketed_input(ais: &[(String, String)]) -> String {
    ais.iter().map(|(ai, v)| format!("({ai}){}", v.replace('(', "\\("))).collect()
}

proptest! {
    #[test]
    fn encode_then_parse_gives_same_ais(ais in trade_item()) {
        let es = ElementString::parse(bracketed_input(&ais).as_bytes()).unwrap();
        prop_assert_eq!(pairs(&es), ais.clone());

        let mut buf = [0u8; 1200];
        let n = es.encode_scan(&mut buf).unwrap();
        let scanned = ElementString::parse(&buf[..n]).unwrap();
        prop_assert_eq!(pairs(&scanned), ais.clone());

        let n = es.encode_element_string(b'#', &mut buf).unwrap();
        let opts = ParseOptions::new().with_separator(b'#');
        let wedge = ElementString::parse_element_string(&buf[..n], &opts).unwrap();
        prop_assert_eq!(pairs(&wedge), ais.clone());

        let n = es.encode_bracketed(&mut buf).unwrap();
        let expected = bracketed_input(&ais);
        prop_assert_eq!(&buf[..n], expected.as_bytes());
        prop_assert_eq!(es.bracketed().to_string(), bracketed_input(&ais));
    }

    #[test]
    fn small_buffers_fail_cleanly(ais in trade_item(), len in 0usize..40) {
        let es = ElementString::parse(bracketed_input(&ais).as_bytes()).unwrap();
        let mut buf = vec![0u8; len];
        let _ = es.encode_scan(&mut buf);
        let _ = es.encode_bracketed(&mut buf);
    }

    #[test]
    fn no_input_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let opts = ParseOptions::new();
        let _ = ElementString::parse(&bytes);
        let _ = ElementString::parse_scan(&bytes, &opts);
        let _ = ElementString::parse_bracketed(&bytes, &opts);
        let _ = ElementString::parse_digital_link(&bytes, &opts);
        let _ = ElementString::parse_element_string(&bytes, &opts);
    }

    #[test]
    fn mutated_scans_never_panic(ais in trade_item(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let es = ElementString::parse(bracketed_input(&ais).as_bytes()).unwrap();
        let mut buf = [0u8; 1200];
        let n = es.encode_scan(&mut buf).unwrap();
        buf[at.index(n)] = byte;
        // Whatever parses to AIs must encode and parse again to the same AIs
        // (a mutated identifier such as `]d1` gives plain data, no AIs).
        if let Ok(back) = ElementString::parse(&buf[..n]).map_err(drop).and_then(|b| if b.is_empty() { Err(()) } else { Ok(b) }) {
            let mut again = [0u8; 1200];
            let m = back.encode_scan(&mut again).unwrap();
            let reparsed = ElementString::parse(&again[..m]).unwrap();
            prop_assert_eq!(pairs(&reparsed), pairs(&back));
        }
    }

    #[test]
    fn digital_link_prefixes_never_panic(tail in "[0-9A-Za-z/?&=%+#.:-]{0,80}") {
        let uri = format!("https://id.gs1.org/01/09506000134352{tail}");
        let _ = ElementString::parse(uri.as_bytes());
    }
}
