//! GS1 Digital Link URIs (uncompressed form).
//!
//! ```text
//! https://example.com/some/stem/01/09520123456788/10/ABC%2F1?17=201225&x=y#frag
//! scheme  domain     stem ----'  key  value      qualifier  attributes    ignored
//! ```
//!
//! The path is read from its end in `/AI/value` pairs until a primary key AI
//! (one with `dlpkey` in the dictionary); what precedes it is the stem. The
//! key and its qualifiers must form one of the key's ordered qualifier
//! sequences; query attributes must be AIs flagged `?`, must not repeat an AI,
//! and must not be qualifiers that belong in the path.

use super::parse::MAX_VALUE;
use super::parse::{ParseOptions, validate_value};
use super::{Ai, ElementStringBuf, Error, lookup};

const MAX_PATH_AIS: usize = 8;

fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:[]".contains(&b)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `src` into `out`; `+` is a space in query components.
/// A `%` not followed by two hex digits stays literal, as in the reference.
fn unescape<const N: usize>(
    src: &[u8],
    query: bool,
    out: &mut heapless::Vec<u8, N>,
) -> Result<(), Option<usize>> {
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        let escape =
            match (b, src.get(i + 1).copied().and_then(hex), src.get(i + 2).copied().and_then(hex))
            {
                (b'%', Some(hi), Some(lo)) => Some((hi << 4) | lo),
                _ => None,
            };
        let byte = match escape {
            Some(0) => return Err(Some(i)),
            Some(v) => {
                i += 3;
                v
            }
            None => {
                i += 1;
                if query && b == b'+' { b' ' } else { b }
            }
        };
        out.push(byte).map_err(|_| None)?;
    }
    Ok(())
}

/// Whether `seq` (primary key first) is a key-qualifier sequence the
/// dictionary's `dlpkey` attributes allow.
pub(crate) fn is_valid_sequence(seq: &[Ai]) -> bool {
    let Some((key, quals)) = seq.split_first() else {
        return false;
    };
    let Some(spec) = key.entry().and_then(|e| e.dlpkey) else {
        return false;
    };
    if quals.is_empty() {
        return true;
    }
    spec.split('|').filter(|alt| !alt.is_empty()).any(|alt| {
        let mut allowed = alt.split(',');
        quals.iter().all(|q| allowed.any(|a| a == q.as_str()))
    })
}

fn is_primary_key(ai: Ai) -> bool {
    is_valid_sequence(&[ai])
}

pub(crate) fn read<const AIS: usize, const DATA: usize>(
    out: &mut ElementStringBuf<AIS, DATA>,
    input: &[u8],
    base: usize,
    opts: &ParseOptions,
) -> Result<(), Error> {
    if let Some(p) = input.iter().position(|b| !is_uri_char(*b)) {
        return Err(Error::Uri { pos: base + p });
    }
    let scheme_len = [&b"https://"[..], b"HTTPS://", b"http://", b"HTTP://"]
        .iter()
        .find(|s| input.starts_with(s))
        .map(|s| s.len())
        .ok_or(Error::Uri { pos: base })?;
    let after = input.get(scheme_len..).unwrap_or(&[]);
    let dom_len =
        after.iter().position(|b| *b == b'/').ok_or(Error::Uri { pos: base + scheme_len })?;
    let domain = after.get(..dom_len).unwrap_or(&[]);
    if domain.is_empty() {
        return Err(Error::Uri { pos: base + scheme_len });
    }
    if let Some(p) = domain.iter().position(|b| !is_domain_char(*b)) {
        return Err(Error::Uri { pos: base + scheme_len + p });
    }
    let pi_start = scheme_len + dom_len;
    let rest = input.get(pi_start..).unwrap_or(&[]);
    let rest =
        rest.get(..rest.iter().position(|b| *b == b'#').unwrap_or(rest.len())).unwrap_or(&[]);
    let q = rest.iter().position(|b| *b == b'?');
    let path = rest.get(..q.unwrap_or(rest.len())).unwrap_or(&[]);
    let query = q.and_then(|q| rest.get(q + 1..)).unwrap_or(&[]);
    let query_start = pi_start + q.map_or(rest.len(), |q| q + 1);

    // Offsets of each '/'-separated path component (the path starts with '/').
    let mut comps: heapless::Vec<(usize, usize), { 2 * MAX_PATH_AIS + 16 }> = heapless::Vec::new();
    let mut start = 1usize;
    for (i, b) in path.iter().enumerate().skip(1) {
        if *b == b'/' {
            comps.push((start, i)).map_err(|_| Error::Uri { pos: base + pi_start + i })?;
            start = i + 1;
        }
    }
    comps.push((start, path.len())).map_err(|_| Error::Uri { pos: base + pi_start + start })?;
    let text = |(s, e): (usize, usize)| {
        path.get(s..e).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
    };

    // Walk back in (AI, value) pairs to the rightmost primary key.
    let mut key_at = None;
    let mut k = comps.len();
    while k >= 2 {
        let Some(ai) =
            comps.get(k - 2).and_then(|c| Ai::new(text(*c))).filter(|a| a.entry().is_some())
        else {
            break;
        };
        if is_primary_key(ai) {
            key_at = Some(k - 2);
            break;
        }
        k -= 2;
    }
    let key_at = key_at.ok_or(Error::NoPrimaryKey)?;

    let mut seq: heapless::Vec<Ai, MAX_PATH_AIS> = heapless::Vec::new();
    let pairs = comps.get(key_at..).unwrap_or(&[]);
    for (order, pair) in pairs.chunks(2).enumerate() {
        let (Some(&a), Some(&v)) = (pair.first(), pair.get(1)) else {
            break;
        };
        let ai = Ai::new(text(a)).ok_or(Error::UnknownAi { pos: base + pi_start + a.0 })?;
        let entry = ai.entry().ok_or(Error::UnknownAi { pos: base + pi_start + a.0 })?;
        let vpos = base + pi_start + v.0;
        let raw = path.get(v.0..v.1).unwrap_or(&[]);
        let mut value: heapless::Vec<u8, { MAX_VALUE_BUF }> = heapless::Vec::new();
        unescape(raw, false, &mut value).map_err(|e| match e {
            Some(off) => Error::IllegalNul { pos: vpos + off },
            None => Error::TooLong { ai, pos: vpos },
        })?;
        if opts.zero_suppressed_gtin_in_dl && ai.as_str() == "01" {
            pad_gtin(&mut value);
        }
        check_length(entry, ai, &value, vpos)?;
        let order = u8::try_from(order).map_err(|_| Error::Capacity { pos: vpos })?;
        seq.push(ai).map_err(|_| Error::InvalidKeyQualifiers { ai, pos: vpos })?;
        out.push_raw(ai, &value, vpos, Some(order))?;
    }
    let path_count = out.fields.len();

    let mut i = 0usize;
    for param in query.split(|b| *b == b'&') {
        let ppos = base + query_start + i;
        i += param.len() + 1;
        let Some(eq) = param.iter().position(|b| *b == b'=') else {
            continue;
        };
        let key = param.get(..eq).unwrap_or(&[]);
        if key.is_empty() || !key.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let key = core::str::from_utf8(key).unwrap_or("");
        let ai = Ai::new(key).ok_or(Error::UnknownAi { pos: ppos })?;
        let entry = lookup(key).ok_or(Error::UnknownAi { pos: ppos })?;
        let vpos = ppos + eq + 1;
        let raw = param.get(eq + 1..).unwrap_or(&[]);
        let mut value: heapless::Vec<u8, { MAX_VALUE_BUF }> = heapless::Vec::new();
        unescape(raw, true, &mut value).map_err(|e| match e {
            Some(off) => Error::IllegalNul { pos: vpos + off },
            None => Error::TooLong { ai, pos: vpos },
        })?;
        if ai.as_str() == "01" {
            pad_gtin(&mut value);
        }
        check_length(entry, ai, &value, vpos)?;
        out.push_raw(ai, &value, vpos, None)?;
    }

    if !is_valid_sequence(&seq) {
        let key = seq.first().copied().ok_or(Error::NoPrimaryKey)?;
        return Err(Error::InvalidKeyQualifiers { ai: key, pos: base + pi_start });
    }
    for (n, f) in out.fields.iter().enumerate() {
        if let Some(dup) = out.fields.iter().skip(n + 1).find(|g| g.ai == f.ai) {
            return Err(Error::DuplicateAi { ai: f.ai, pos: dup.pos });
        }
    }
    for f in out.fields.iter().skip(path_count) {
        let entry = f.ai.entry().ok_or(Error::UnknownAi { pos: f.pos })?;
        if !entry.dl_data_attr {
            return Err(Error::NotDataAttribute { ai: f.ai, pos: f.pos });
        }
        for j in 1..=seq.len() {
            let mut trial: heapless::Vec<Ai, { MAX_PATH_AIS + 1 }> = heapless::Vec::new();
            for (n, a) in seq.iter().enumerate() {
                if n == j {
                    trial.push(f.ai).map_err(|_| Error::Capacity { pos: f.pos })?;
                }
                trial.push(*a).map_err(|_| Error::Capacity { pos: f.pos })?;
            }
            if j == seq.len() {
                trial.push(f.ai).map_err(|_| Error::Capacity { pos: f.pos })?;
            }
            if is_valid_sequence(&trial) {
                return Err(Error::ShouldBeInPath { ai: f.ai, pos: f.pos });
            }
        }
    }
    for f in &out.fields {
        let entry = f.ai.entry().ok_or(Error::UnknownAi { pos: f.pos })?;
        let value = out.value_bytes(f);
        if validate_value(entry, f.ai, value, f.pos)? != value.len() {
            return Err(Error::TooLong { ai: f.ai, pos: f.pos });
        }
    }
    Ok(())
}

/// Room for a decoded value: one more than the longest AI value, so that
/// overlong input is reported as too long rather than truncated.
const MAX_VALUE_BUF: usize = MAX_VALUE + 1;

fn pad_gtin<const N: usize>(value: &mut heapless::Vec<u8, N>) {
    if matches!(value.len(), 8 | 12 | 13) {
        let mut padded = [b'0'; 14];
        let skip = 14 - value.len();
        padded.iter_mut().skip(skip).zip(value.iter()).for_each(|(d, s)| *d = *s);
        value.clear();
        // 14 bytes always fit: N is at least MAX_VALUE_BUF.
        let _ = value.extend_from_slice(&padded);
    }
}

fn check_length(entry: &super::AiEntry, ai: Ai, value: &[u8], pos: usize) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::EmptyValue { ai, pos })
    } else if value.len() < entry.min_len() {
        Err(Error::TooShort { ai, pos })
    } else if value.len() > entry.max_len() {
        Err(Error::TooLong { ai, pos })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ai(s: &str) -> Ai {
        Ai::new(s).unwrap()
    }

    #[test]
    fn sequences() {
        assert!(is_valid_sequence(&[ai("01")]));
        assert!(is_valid_sequence(&[ai("01"), ai("22"), ai("10"), ai("21")]));
        assert!(is_valid_sequence(&[ai("01"), ai("10"), ai("21")]));
        assert!(is_valid_sequence(&[ai("01"), ai("235")]));
        assert!(!is_valid_sequence(&[ai("01"), ai("10"), ai("22")]));
        assert!(!is_valid_sequence(&[ai("01"), ai("22"), ai("235")]));
        assert!(!is_valid_sequence(&[ai("00"), ai("10")]));
        assert!(!is_valid_sequence(&[ai("10")]));
        assert!(is_valid_sequence(&[ai("414"), ai("7040")]));
    }

    #[test]
    fn unescaping() {
        let mut v: heapless::Vec<u8, 16> = heapless::Vec::new();
        unescape(b"A%4fB+%2", true, &mut v).unwrap();
        assert_eq!(v.as_slice(), b"AOB %2");
        v.clear();
        unescape(b"A+B", false, &mut v).unwrap();
        assert_eq!(v.as_slice(), b"A+B");
        assert_eq!(unescape(b"A%00B", false, &mut v), Err(Some(1)));
    }
}
