//! GS1 identifiers in URIs: EPC URIs (`urn:epc:id:sgtin:...`), EPC class
//! and pattern URIs, and GS1 Digital Link URIs, all brought to the one
//! *constrained canonical* Digital Link form that the CBV 2.0 event hash
//! requires (CBV 2.0 §8.9, rules 17 and 18): domain `https://id.gs1.org`,
//! no query string, only the finest level of identification.
//!
//! The conversions follow GS1's reference implementation of the event hash
//! (github.com/RalphTro/epcis-event-hash-generator, `dl_normaliser.py`)
//! rule for rule, including what it leaves alone: a value it cannot
//! normalise is hashed as written, so an independent implementation of the
//! same rules computes the same event id.

use std::borrow::ToOwned;
use std::format;
use std::string::String;
use std::vec::Vec;

use crate::interop::gs1::lint::check_digit;

/// The constrained canonical GS1 Digital Link form of `uri`, if it is an
/// EPC URI, an EPC class or pattern URI, or a GS1 Digital Link URI that
/// normalises; `None` for anything else (which is then hashed as written).
#[must_use]
pub fn canonical_gs1_uri(uri: &str) -> Option<String> {
    if !uri.contains('.') {
        return None;
    }
    if let Some(rest) = uri.strip_prefix("urn:epc:id:") {
        return epc_id(rest);
    }
    if let Some(rest) = uri.strip_prefix("urn:epc:class:lgtin:") {
        let [cp, ir, lot] = split3(rest)?;
        let gtin = gtin_body(cp, ir)?;
        return serial_ok(lot, 20).then(|| format!("{ID}/01/{gtin}/10/{}", web(lot)));
    }
    if let Some(rest) = uri.strip_prefix("urn:epc:idpat:") {
        return epc_pattern(rest);
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        return digital_link(uri);
    }
    None
}

const ID: &str = "https://id.gs1.org";

/// Whether [`canonical_gs1_uri`] leaves every URI made of `base` and then
/// text of percent-encoded characters (ASCII letters and digits, `-`, `.`,
/// `_`, `~` and `%`: what [`super::scheme::encode_into`] writes) as it is:
/// either its canonical form is itself or it has none. True for a Digital
/// Link serial base on the canonical domain (`https://id.gs1.org/01/` and
/// 14 digits and `/21/`: with such a serial it is already canonical, or
/// fails the final syntax check and is hashed as written), and for a base
/// that no GS1 form starts with (`urn:lotledger:unit:...:`). So an export
/// hashes its serialized units without canonicalising each one.
pub(crate) fn keeps_serial_uris(base: &str) -> bool {
    const FORMS: [&str; 5] =
        ["urn:epc:id:", "urn:epc:class:lgtin:", "urn:epc:idpat:", "http://", "https://"];
    let gtin_serial = base
        .strip_prefix("https://id.gs1.org/01/")
        .and_then(|rest| rest.strip_suffix("/21/"))
        .is_some_and(|gtin| n_digits(gtin, 14));
    gtin_serial || FORMS.iter().all(|f| !base.starts_with(f) && !f.starts_with(base))
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `body` followed by its GS1 check digit.
fn with_check(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 1);
    out.push_str(body);
    out.push(char::from(check_digit(body.as_bytes())));
    out
}

/// Company prefix and reference of `total` digits in all, the prefix 6 to 12.
fn cp_ref(cp: &str, reference: &str, total: usize) -> bool {
    digits(cp)
        && (6..=12).contains(&cp.len())
        && reference.bytes().all(|b| b.is_ascii_digit())
        && cp.len() + reference.len() == total
}

/// GTIN-14 from an SGTIN-style company prefix and item reference (with its
/// indicator digit first).
fn gtin_body(cp: &str, ir: &str) -> Option<String> {
    if !cp_ref(cp, ir, 13) {
        return None;
    }
    let (indicator, item) = ir.split_at_checked(1)?;
    Some(with_check(&format!("{indicator}{cp}{item}")))
}

/// Characters an EPC URI serial may hold (or a `%` escape).
fn serial_ok(s: &str, max: usize) -> bool {
    let mut count = 0;
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        count += 1;
        match b {
            b'%' => {
                let ok = bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                    && bytes.next().is_some_and(|h| h.is_ascii_hexdigit());
                if !ok {
                    return false;
                }
            }
            b'!' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'.' | b':' | b';' | b'=' | b'_'
            | b'-' => {}
            b if b.is_ascii_alphanumeric() => {}
            _ => return false,
        }
    }
    (1..=max).contains(&count)
}

/// Percent-encodes what GS1 Digital Link requires and EPC URIs allow.
fn web(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '!' => out.push_str("%21"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '*' => out.push_str("%2A"),
            '+' => out.push_str("%2B"),
            ',' => out.push_str("%2C"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
    out
}

fn split2(s: &str) -> Option<[&str; 2]> {
    let (a, b) = s.split_once('.')?;
    Some([a, b])
}

fn split3(s: &str) -> Option<[&str; 3]> {
    let (a, rest) = s.split_once('.')?;
    let (b, c) = rest.split_once('.')?;
    Some([a, b, c])
}

fn epc_id(rest: &str) -> Option<String> {
    let (scheme, body) = rest.split_once(':')?;
    match scheme {
        "sgtin" => {
            let [cp, ir, serial] = split3(body)?;
            let gtin = gtin_body(cp, ir)?;
            serial_ok(serial, 20).then(|| format!("{ID}/01/{gtin}/21/{}", web(serial)))
        }
        "sscc" => {
            let [cp, sr] = split2(body)?;
            if !cp_ref(cp, sr, 17) {
                return None;
            }
            let (ext, serial) = sr.split_at_checked(1)?;
            Some(format!("{ID}/00/{}", with_check(&format!("{ext}{cp}{serial}"))))
        }
        "sgln" => {
            let [cp, lr, ext] = split3(body)?;
            if !cp_ref(cp, lr, 12) || !serial_ok(ext, 20) {
                return None;
            }
            let gln = with_check(&format!("{cp}{lr}"));
            Some(if ext == "0" {
                format!("{ID}/414/{gln}")
            } else {
                format!("{ID}/414/{gln}/254/{}", web(ext))
            })
        }
        "grai" => {
            let [cp, at, serial] = split3(body)?;
            (cp_ref(cp, at, 12) && serial_ok(serial, 16))
                .then(|| format!("{ID}/8003/{}{}", with_check(&format!("0{cp}{at}")), web(serial)))
        }
        "giai" => {
            let [cp, asset] = split2(body)?;
            (cp_ref(cp, "", cp.len()) && serial_ok(asset, 30 - cp.len()))
                .then(|| format!("{ID}/8004/{cp}{}", web(asset)))
        }
        "gsrn" | "gsrnp" => {
            let [cp, sr] = split2(body)?;
            let ai = if scheme == "gsrn" { "8018" } else { "8017" };
            cp_ref(cp, sr, 17).then(|| format!("{ID}/{ai}/{}", with_check(&format!("{cp}{sr}"))))
        }
        "gdti" => {
            let [cp, dt, serial] = split3(body)?;
            (cp_ref(cp, dt, 12) && serial_ok(serial, 17))
                .then(|| format!("{ID}/253/{}{}", with_check(&format!("{cp}{dt}")), web(serial)))
        }
        "sgcn" => {
            let [cp, cr, serial] = split3(body)?;
            (cp_ref(cp, cr, 12) && digits(serial) && serial.len() <= 12)
                .then(|| format!("{ID}/255/{}{serial}", with_check(&format!("{cp}{cr}"))))
        }
        "ginc" => {
            let [cp, reference] = split2(body)?;
            (cp_ref(cp, "", cp.len()) && serial_ok(reference, 30 - cp.len()))
                .then(|| format!("{ID}/401/{cp}{}", web(reference)))
        }
        "gsin" => {
            let [cp, sr] = split2(body)?;
            cp_ref(cp, sr, 16).then(|| format!("{ID}/402/{}", with_check(&format!("{cp}{sr}"))))
        }
        "pgln" => {
            let [cp, pr] = split2(body)?;
            cp_ref(cp, pr, 12).then(|| format!("{ID}/417/{}", with_check(&format!("{cp}{pr}"))))
        }
        "cpi" => {
            let (cp, rest) = body.split_once('.')?;
            let (cpref, serial) = rest.rsplit_once('.')?;
            (cp_ref(cp, "", cp.len()) && digits(serial) && serial.len() <= 12 && !cpref.is_empty())
                .then(|| format!("{ID}/8010/{}/8011/{serial}", web(&format!("{cp}{cpref}"))))
        }
        "itip" => {
            let mut parts = body.splitn(5, '.');
            let (cp, ir, piece, total, serial) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            let gtin = gtin_body(cp, ir)?;
            (piece.len() == 2
                && total.len() == 2
                && digits(piece)
                && digits(total)
                && serial_ok(serial, 20))
            .then(|| format!("{ID}/8006/{gtin}{piece}{total}/21/{}", web(serial)))
        }
        "upui" => {
            let [cp, ir, tpx] = split3(body)?;
            let gtin = gtin_body(cp, ir)?;
            serial_ok(tpx, 28).then(|| format!("{ID}/01/{gtin}/235/{}", web(tpx)))
        }
        _ => None,
    }
}

fn epc_pattern(rest: &str) -> Option<String> {
    let (scheme, body) = rest.split_once(':')?;
    let body = body.strip_suffix(".*")?;
    match scheme {
        "sgtin" | "upui" => {
            let [cp, ir] = split2(body)?;
            Some(format!("{ID}/01/{}", gtin_body(cp, ir)?))
        }
        "grai" => {
            let [cp, at] = split2(body)?;
            cp_ref(cp, at, 12).then(|| format!("{ID}/8003/{}", with_check(&format!("0{cp}{at}"))))
        }
        "gdti" | "sgcn" => {
            let [cp, r] = split2(body)?;
            let ai = if scheme == "gdti" { "253" } else { "255" };
            cp_ref(cp, r, 12).then(|| format!("{ID}/{ai}/{}", with_check(&format!("{cp}{r}"))))
        }
        "cpi" => {
            let [cp, cpref] = split2(body)?;
            cp_ref(cp, "", cp.len()).then(|| format!("{ID}/8010/{}", web(&format!("{cp}{cpref}"))))
        }
        "itip" => {
            let mut parts = body.splitn(4, '.');
            let (cp, ir, piece, total) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            let gtin = gtin_body(cp, ir)?;
            (piece.len() == 2 && total.len() == 2 && digits(piece) && digits(total))
                .then(|| format!("{ID}/8006/{gtin}{piece}{total}"))
        }
        _ => None,
    }
}

/// Primary keys a Digital Link path may carry, by AI or short name.
const DL_KEYS: [&str; 28] = [
    "01", "gtin", "8006", "itip", "8010", "cpid", "414", "gln", "417", "party", "8017", "gsrnp",
    "8018", "gsrn", "255", "gcn", "00", "sscc", "253", "gdti", "401", "ginc", "402", "gsin",
    "8003", "grai", "8004", "giai",
];

const SHORT_NAMES: [(&str, &str); 17] = [
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
];

/// Keys in the order the reference implementation looks for them when it
/// moves a URI onto the canonical domain.
const REBASE_ORDER: [&str; 14] = [
    "/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/", "/8003/", "/8004/",
    "/8006/", "/8010/", "/8017/", "/8018/",
];

const CANONICAL_KEYS: [&str; 14] = [
    "01", "8006", "8010", "414", "417", "8017", "8018", "255", "00", "253", "401", "402", "8003",
    "8004",
];

/// A character GS1 Digital Link values may hold unescaped, as the
/// reference implementation's final syntax check accepts them.
fn dl_char(b: u8) -> bool {
    matches!(b, 0x22 | 0x27 | 0x2D | 0x2E | 0x30..=0x39 | 0x3B..=0x3F | 0x41..=0x5A | 0x5F | 0x61..=0x7A)
}

fn dl_chars(s: &str, max: usize) -> bool {
    s.len() <= max && s.bytes().all(dl_char)
}

fn n_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn leading_digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn digital_link(uri: &str) -> Option<String> {
    let after_scheme = uri.split_once("://").map(|(_, r)| r)?;
    let path_start = after_scheme.find('/')?;
    let path = after_scheme.get(path_start..)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let has_key = segments.windows(2).any(|w| match w {
        [key, value] => DL_KEYS.contains(key) && value.len() > 4 && leading_digits(value) >= 4,
        _ => false,
    });
    if !has_key {
        return None;
    }
    let mut uri = uri.split('?').next().unwrap_or_default().to_owned();
    for (short, ai) in SHORT_NAMES {
        if uri.contains(short) {
            uri = uri.replace(short, ai);
        }
    }
    if !is_canonical_prefix(&uri)
        && let Some(pos) = REBASE_ORDER.iter().find_map(|k| uri.find(k))
    {
        uri = format!("{ID}{}", uri.get(pos..)?);
    }
    if let Some(rest) = uri.strip_prefix("https://id.gs1.org/01/") {
        let pad = match leading_digits(rest) {
            n if n >= 14 => "",
            13 => "0",
            12 => "00",
            8..=11 => "000000",
            _ => "",
        };
        if !pad.is_empty() {
            uri = uri.replace("/01/", &format!("/01/{pad}"));
        }
    }
    uri = strip_cpv(uri);
    uri = strip_lot_when_serial(uri);
    valid_canonical(&uri).then_some(uri)
}

fn is_canonical_prefix(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("https://id.gs1.org/") else { return false };
    let Some((key, value)) = rest.split_once('/') else { return false };
    let value = value.split('/').next().unwrap_or_default();
    CANONICAL_KEYS.contains(&key) && value.len() > 4 && leading_digits(value) >= 4
}

/// `(key AI, key value, remainder)` of a URI on the canonical domain whose
/// key is GTIN or ITIP.
fn gtin_or_itip(uri: &str) -> Option<(&str, &str, &str)> {
    let rest = uri.strip_prefix("https://id.gs1.org/")?;
    let (ai, rest) = rest.split_once('/')?;
    let width = match ai {
        "01" => 14,
        "8006" => 18,
        _ => return None,
    };
    let (key, rest) = rest.split_at_checked(width)?;
    n_digits(key, width).then_some((ai, key, rest))
}

fn strip_cpv(uri: String) -> String {
    let Some((ai, key, rest)) = gtin_or_itip(&uri) else { return uri };
    let Some(cpv) = rest.strip_prefix("/22/") else { return uri };
    let cpv_ok = cpv.len() <= 20 && cpv.bytes().all(|b| b == b'/' || dl_char(b));
    if !cpv_ok {
        return uri;
    }
    match cpv.find('/') {
        None => format!("{ID}/{ai}/{key}"),
        Some(p) => format!("{ID}/{ai}/{key}{}", cpv.get(p..).unwrap_or_default()),
    }
}

fn strip_lot_when_serial(uri: String) -> String {
    let Some((ai, key, rest)) = gtin_or_itip(&uri) else { return uri };
    let Some(rest) = rest.strip_prefix("/10/") else { return uri };
    let Some((lot, serial)) = rest.split_once("/21/") else { return uri };
    if dl_chars(lot, 20) && dl_chars(serial, 20) {
        format!("{ID}/{ai}/{key}/21/{serial}")
    } else {
        uri
    }
}

fn valid_canonical(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("https://id.gs1.org/") else { return false };
    let Some((ai, rest)) = rest.split_once('/') else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    let fixed_then = |n: usize, max: usize| {
        rest.len() >= n
            && rest.get(..n).is_some_and(|d| n_digits(d, n))
            && rest.get(n..).is_some_and(|t| dl_chars(t, max))
    };
    match (ai, parts.as_slice()) {
        ("00", [k]) => n_digits(k, 18),
        ("01", [k]) => n_digits(k, 14),
        ("01", [k, q, v]) => {
            n_digits(k, 14)
                && match *q {
                    "21" | "10" => dl_chars(v, 20),
                    "235" => dl_chars(v, 28),
                    _ => false,
                }
        }
        ("253", [_]) => fixed_then(13, 17),
        ("255", [_]) => rest.len() <= 25 && fixed_then(13, 12) && n_digits(rest, rest.len()),
        ("401" | "8004", [v]) => dl_chars(v, 30),
        ("402", [k]) => n_digits(k, 17),
        ("414", [k]) => n_digits(k, 13),
        ("414", [k, "254", v]) => n_digits(k, 13) && dl_chars(v, 20),
        ("417", [k]) => n_digits(k, 13),
        ("8003", [_]) => fixed_then(14, 16),
        ("8006", [k]) => n_digits(k, 18),
        ("8006", [k, "21" | "10", v]) => n_digits(k, 18) && dl_chars(v, 20),
        ("8010", _) => {
            let cpid_ok = |s: &str| {
                s.bytes().all(|b| matches!(b, b'#' | b'-' | b'/' | b'0'..=b'9' | b'A'..=b'Z'))
            };
            match rest.split_once("/8011/") {
                Some((cpid, serial)) => {
                    cpid.len() <= 30
                        && cpid_ok(cpid)
                        && serial.len() <= 12
                        && serial.bytes().all(|b| b.is_ascii_digit())
                }
                None => rest.len() <= 30 && cpid_ok(rest),
            }
        }
        ("8017" | "8018", [k]) => n_digits(k, 18),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epc_uris_to_digital_link() {
        let cases = [
            (
                "urn:epc:id:sgtin:0614141.107346.2017",
                "https://id.gs1.org/01/10614141073464/21/2017",
            ),
            ("urn:epc:id:sscc:4012345.1112223334", "https://id.gs1.org/00/140123451122233341"),
            ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
            ("urn:epc:id:sgln:4012345.00022.0", "https://id.gs1.org/414/4012345000221"),
            ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
            (
                "urn:epc:id:gdti:0614141.00001.1618034",
                "https://id.gs1.org/253/06141410000121618034",
            ),
            ("urn:epc:id:gsrn:0614141.0000010253", "https://id.gs1.org/8018/061414100000102534"),
            ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
            (
                "urn:epc:class:lgtin:4012345.012345.998877",
                "https://id.gs1.org/01/04012345123456/10/998877",
            ),
            ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
        ];
        for (epc, dl) in cases {
            assert_eq!(canonical_gs1_uri(epc).as_deref(), Some(dl), "{epc}");
        }
    }

    /// Guards the export's shortcut: URIs of a base that
    /// `keeps_serial_uris` accepts canonicalise to themselves or not at
    /// all, with serials of every character an encoded serial holds; and
    /// the bases it must refuse are refused.
    #[test]
    fn serial_uris_of_kept_bases_stay_as_written() {
        let serials = ["1", "A000001", "x-y.z_~", "%2F%3A", "ABCDEFGHIJKLMNOPQRSTU", "0.1", "%41"];
        for base in ["https://id.gs1.org/01/09506000134352/21/", "urn:lotledger:unit:RM-1:"] {
            assert!(keeps_serial_uris(base), "{base}");
            for serial in serials {
                let uri = format!("{base}{serial}");
                let got = canonical_gs1_uri(&uri);
                assert!(got.is_none() || got.as_deref() == Some(uri.as_str()), "{uri}: {got:?}");
            }
        }
        // The 20-character serial is canonical; the 21-character one is not.
        let base = "https://id.gs1.org/01/09506000134352/21/";
        assert!(canonical_gs1_uri(&format!("{base}ABCDEFGHIJKLMNOPQRST")).is_some());
        assert!(canonical_gs1_uri(&format!("{base}ABCDEFGHIJKLMNOPQRSTU")).is_none());
        for base in [
            "https://id.gs1.org/01/9506000134352/21/",
            "https://example.org/01/09506000134352/21/",
            "https://id.gs1.org/01/09506000134352/10/",
            "urn:epc:id:sgtin:0614141.107346.",
            "urn:epc:",
            "http",
            "",
        ] {
            assert!(!keeps_serial_uris(base), "{base}");
        }
        // Refused for a reason: these do change.
        assert_eq!(
            canonical_gs1_uri("urn:epc:id:sgtin:0614141.107346.2017").as_deref(),
            Some("https://id.gs1.org/01/10614141073464/21/2017")
        );
        assert_eq!(
            canonical_gs1_uri("https://id.gs1.org/01/9506000134352/21/7").as_deref(),
            Some("https://id.gs1.org/01/09506000134352/21/7")
        );
    }

    #[test]
    fn digital_links_are_constrained() {
        let cases = [
            ("https://example.org/8004/401234599999", Some("https://id.gs1.org/8004/401234599999")),
            (
                "https://example.com/253/4012345000054987",
                Some("https://id.gs1.org/253/4012345000054987"),
            ),
            (
                "https://brand.example/gtin/9506000134352/lot/ABC/ser/7?17=261231",
                Some("https://id.gs1.org/01/09506000134352/21/7"),
            ),
            (
                "https://id.gs1.org/01/09506000134352/22/V1",
                Some("https://id.gs1.org/01/09506000134352"),
            ),
            ("http://transaction.acme.com/po/12345678", None),
            ("https://www.ncbi.nlm.nih.gov/taxonomy/1126011", None),
            ("https://ref.gs1.org/cbv/BizStep-receiving", None),
            ("https://id.gs1.org/01/09506000134352/10/A%2FB", None),
        ];
        for (uri, want) in cases {
            assert_eq!(canonical_gs1_uri(uri).as_deref(), want, "{uri}");
        }
    }
}
