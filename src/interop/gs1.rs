//! GS1 element strings: the data in GS1 DataMatrix, GS1-128, GS1 QR Code and
//! GS1 DataBar symbols, their bracketed human-readable form, and GS1 Digital
//! Link URIs. `no_std`, no allocator, no panics on any input.
//!
//! A line controller reads scans from a scanner; this module turns them into a
//! validated set of Application Identifier (AI) values and back. Validation
//! follows GS1's Barcode Syntax Dictionary (the crate's own [`table`],
//! generated from it) and mirrors the decisions of GS1's reference Barcode
//! Syntax Engine: lengths, character sets, the dictionary's linters (check
//! digits, dates, code lists), and the `req`/`ex` pairing rules.
//!
//! # Input forms
//!
//! ```text
//! scan:        ]d2 01 09506000134352 17 261231 10 ABC123 <GS> 21 XYZ
//!              |   |  '-- fixed length, no separator      |
//!              |   '-- AI                                 '-- FNC1 as ASCII 29 (or a
//!              '-- symbology identifier (]d2 ]C1 ]e0 ]Q3;     configured byte) ends a
//!                  ]d1 ]Q1 carry plain data or a DL URI;      variable-length value
//!                  ]E0 ]E4 an EAN/UPC primary)
//! bracketed:   (01)09506000134352(17)261231(10)ABC123(21)XYZ   a '(' in a value is "\("
//! digital link: https://id.gs1.org/01/09506000134352/10/ABC123?17=261231
//!              stem ----------------' key  qualifiers --'  '-- attributes
//! ```
//!
//! # Storage
//!
//! [`ElementStringBuf`] owns its data in fixed capacity: `AIS` AI slots and
//! `DATA` bytes of concatenated values. [`ElementString`] picks 64 and 1024,
//! the reference engine's limits; exceeding them is [`Error::Capacity`].

mod dl;
mod encode;
mod error;
pub mod lint;
mod parse;
pub mod table;

use core::fmt;

pub use encode::{Bracketed, Unbracketed};
pub use error::Error;
pub use lint::{CouponError, LintError, Linter};
pub use parse::{GS, ParseOptions};

/// A character set of an AI component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cset {
    /// Digits.
    N,
    /// GS1 AI encodable character set 82.
    X,
    /// GS1 AI encodable character set 39.
    Y,
    /// GS1 AI encodable character set 64 (base64url).
    Z,
}

impl Cset {
    /// The dictionary's letter for the set.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            Cset::N => 'N',
            Cset::X => 'X',
            Cset::Y => 'Y',
            Cset::Z => 'Z',
        }
    }
}

/// One component of an AI's value, as the dictionary specifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Character set.
    pub cset: Cset,
    /// Minimum length.
    pub min: u8,
    /// Maximum length.
    pub max: u8,
    /// Whether the component may be left out (written `[...]`).
    pub optional: bool,
    /// Linters run on the component, in order.
    pub linters: &'static [Linter],
}

/// One entry of the AI table: a single AI or a range of AIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiEntry {
    /// First AI of the range.
    pub first: &'static str,
    /// Last AI of the range (equal to `first` for a single AI).
    pub last: &'static str,
    /// Predefined length: no FNC1 separator needed after it (flag `*`).
    pub fixed_length: bool,
    /// Allowed as a Digital Link data attribute (flag `?`).
    pub dl_data_attr: bool,
    /// The value's components.
    pub components: &'static [Component],
    /// Each `req=` attribute: one of its comma-separated groups must be
    /// present; `+` joins AIs that must all be present; `n` matches any digit.
    pub req: &'static [&'static str],
    /// Each `ex=` attribute: none of the listed AIs or patterns may be present.
    pub ex: &'static [&'static str],
    /// `dlpkey`: a Digital Link primary key, with `|`-separated alternative
    /// lists of ordered optional qualifiers (`Some("")` when it takes none).
    pub dlpkey: Option<&'static str>,
    /// GS1's short title.
    pub title: &'static str,
}

impl AiEntry {
    /// Number of digits of the AIs in this entry.
    #[must_use]
    pub fn ai_len(&self) -> usize {
        self.first.len()
    }

    /// Whether `ai` (digits only) falls in this entry.
    #[must_use]
    pub fn contains(&self, ai: &[u8]) -> bool {
        ai.len() == self.first.len() && ai >= self.first.as_bytes() && ai <= self.last.as_bytes()
    }

    /// Shortest valid value length.
    #[must_use]
    pub fn min_len(&self) -> usize {
        self.components.iter().filter(|c| !c.optional).map(|c| usize::from(c.min)).sum()
    }

    /// Longest valid value length.
    #[must_use]
    pub fn max_len(&self) -> usize {
        self.components.iter().map(|c| usize::from(c.max)).sum()
    }
}

/// Finds the table entry for an AI given exactly (e.g. `"3103"`).
#[must_use]
pub fn lookup(ai: &str) -> Option<&'static AiEntry> {
    let ai = ai.as_bytes();
    if !(2..=4).contains(&ai.len()) || !ai.iter().all(u8::is_ascii_digit) {
        return None;
    }
    table::TABLE.iter().find(|e| e.contains(ai))
}

/// Finds the entry whose AI is a prefix of `data`.
pub(crate) fn lookup_prefix(data: &[u8]) -> Option<&'static AiEntry> {
    (2..=4).find_map(|n| data.get(..n).and_then(|p| core::str::from_utf8(p).ok()).and_then(lookup))
}

/// An Application Identifier: two to four digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ai {
    digits: [u8; 4],
    len: u8,
}

impl Ai {
    /// Makes an AI from two to four ASCII digits (known to the table or not).
    #[must_use]
    pub fn new(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if !(2..=4).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut digits = [0u8; 4];
        digits.iter_mut().zip(b).for_each(|(d, s)| *d = *s);
        Some(Ai { digits, len: u8::try_from(b.len()).ok()? })
    }

    /// The AI's digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let d = self.digits.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(d).unwrap_or("")
    }

    /// The AI's table entry.
    #[must_use]
    pub fn entry(&self) -> Option<&'static AiEntry> {
        lookup(self.as_str())
    }
}

impl fmt::Display for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ai({})", self.as_str())
    }
}

/// A `YYMMDD` date from a GS1 date AI. Day `00` (end of month, allowed on
/// expiry and best-before dates) is kept: [`Date::day`] is then `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Two-digit year as written.
    pub yy: u8,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of month as written, 0 meaning "end of month".
    pub raw_day: u8,
}

impl Date {
    fn parse(v: &str) -> Option<Self> {
        let b = v.as_bytes();
        let two = |i: usize| -> Option<u8> {
            match b.get(i..i + 2)? {
                [x, y] if x.is_ascii_digit() && y.is_ascii_digit() => {
                    Some((x - b'0') * 10 + (y - b'0'))
                }
                _ => None,
            }
        };
        Some(Date { yy: two(0)?, month: two(2)?, raw_day: two(4)? })
    }

    /// The day, or `None` for day `00` (the last day of the month).
    #[must_use]
    pub fn day(&self) -> Option<u8> {
        (self.raw_day != 0).then_some(self.raw_day)
    }

    /// Whether the date was written with day `00`.
    #[must_use]
    pub fn is_end_of_month(&self) -> bool {
        self.raw_day == 0
    }

    /// The full year by GS1's rule (General Specifications 7.12): the year
    /// from 49 years before to 50 years after `current_year`.
    #[must_use]
    pub fn year(&self, current_year: u16) -> u16 {
        let century = current_year / 100 * 100;
        let diff = i32::from(self.yy) - i32::from(current_year % 100);
        let century = if diff >= 51 {
            century.saturating_sub(100)
        } else if diff <= -50 {
            century.saturating_add(100)
        } else {
            century
        };
        century.saturating_add(u16::from(self.yy))
    }

    /// `(year, month, day)` with day `00` resolved to the month's last day.
    #[must_use]
    pub fn to_ymd(&self, current_year: u16) -> (u16, u8, u8) {
        let year = self.year(current_year);
        let leap = lint::is_leap(u64::from(year));
        let last = u8::try_from(lint::days_in_month(u32::from(self.month), leap)).unwrap_or(31);
        (year, self.month, self.day().unwrap_or(last))
    }
}

/// Position of one AI and its value inside an [`ElementStringBuf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) ai: Ai,
    pub(crate) start: usize,
    pub(crate) len: usize,
    /// Byte offset of the value in the parsed input, for error reports.
    pub(crate) pos: usize,
    /// Order in a Digital Link path (`None` for attributes and non-DL input).
    pub(crate) path: Option<u8>,
}

/// Parsed and validated GS1 AI data, in fixed capacity: at most `AIS` AIs
/// and `DATA` bytes of values. AIs keep the order of the input; two values
/// are equal when they hold the same (AI, value) sequence.
#[derive(Clone)]
pub struct ElementStringBuf<const AIS: usize, const DATA: usize> {
    pub(crate) fields: heapless::Vec<Field, AIS>,
    pub(crate) data: heapless::Vec<u8, DATA>,
    pub(crate) symbology: Option<[u8; 2]>,
}

/// [`ElementStringBuf`] with the reference engine's capacities: 64 AIs and
/// 1024 bytes of values.
pub type ElementString = ElementStringBuf<64, 1024>;

impl<const AIS: usize, const DATA: usize> PartialEq for ElementStringBuf<AIS, DATA> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<const AIS: usize, const DATA: usize> Eq for ElementStringBuf<AIS, DATA> {}

impl<const AIS: usize, const DATA: usize> Default for ElementStringBuf<AIS, DATA> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const AIS: usize, const DATA: usize> fmt::Debug for ElementStringBuf<AIS, DATA> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ElementString({})", self.bracketed())
    }
}

impl<const AIS: usize, const DATA: usize> ElementStringBuf<AIS, DATA> {
    /// An empty set of AIs.
    #[must_use]
    pub const fn new() -> Self {
        ElementStringBuf {
            fields: heapless::Vec::new(),
            data: heapless::Vec::new(),
            symbology: None,
        }
    }

    /// Number of AIs (repeats included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no AI was found (plain, non-GS1 data in a `]d1`/`]Q1` scan).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The symbology identifier of the scan this came from, without `]`.
    #[must_use]
    pub fn symbology(&self) -> Option<&str> {
        self.symbology.as_ref().and_then(|s| core::str::from_utf8(s).ok())
    }

    fn value_of(&self, f: &Field) -> &str {
        let bytes = self.data.get(f.start..f.start + f.len).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }

    /// Every (AI, value) pair, in input order.
    pub fn iter(&self) -> impl Iterator<Item = (Ai, &str)> + '_ {
        self.fields.iter().map(move |f| (f.ai, self.value_of(f)))
    }

    /// The value of the first occurrence of `ai` (e.g. `"10"`).
    #[must_use]
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.ai.as_str() == ai).map(|f| self.value_of(f))
    }

    /// GTIN, AI (01), as its 14 digits.
    #[must_use]
    pub fn gtin(&self) -> Option<&str> {
        self.get("01")
    }

    /// GTIN, AI (01), as a number.
    #[must_use]
    pub fn gtin_u64(&self) -> Option<u64> {
        self.gtin().and_then(|g| g.parse().ok())
    }

    /// GTIN of contained trade items, AI (02).
    #[must_use]
    pub fn content_gtin(&self) -> Option<&str> {
        self.get("02")
    }

    /// Batch or lot number, AI (10).
    #[must_use]
    pub fn batch(&self) -> Option<&str> {
        self.get("10")
    }

    /// Serial number, AI (21).
    #[must_use]
    pub fn serial(&self) -> Option<&str> {
        self.get("21")
    }

    /// SSCC, AI (00), as its 18 digits.
    #[must_use]
    pub fn sscc(&self) -> Option<&str> {
        self.get("00")
    }

    /// Count of trade items, AI (37).
    #[must_use]
    pub fn count(&self) -> Option<u32> {
        self.get("37").and_then(|c| c.parse().ok())
    }

    /// Date of a `YYMMDD` date AI such as `"17"`.
    #[must_use]
    pub fn date(&self, ai: &str) -> Option<Date> {
        let entry = lookup(ai)?;
        let first = entry.components.first()?;
        if !first.linters.iter().any(|l| matches!(l, Linter::Yymmdd | Linter::Yymmd0)) {
            return None;
        }
        self.get(ai).and_then(Date::parse)
    }

    /// Expiry (use by) date, AI (17).
    #[must_use]
    pub fn expiry(&self) -> Option<Date> {
        self.date("17")
    }

    /// Best before date, AI (15).
    #[must_use]
    pub fn best_before(&self) -> Option<Date> {
        self.date("15")
    }

    /// Production date, AI (11).
    #[must_use]
    pub fn production_date(&self) -> Option<Date> {
        self.date("11")
    }

    /// Global Location Numbers, AIs (410) to (417), as (AI, 13 digits).
    pub fn glns(&self) -> impl Iterator<Item = (Ai, &str)> + '_ {
        self.iter().filter(|(ai, _)| {
            matches!(ai.as_str(), "410" | "411" | "412" | "413" | "414" | "415" | "416" | "417")
        })
    }

    /// Physical location GLN, AI (414).
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        self.get("414")
    }

    /// Appends an AI and its raw value bytes without validation.
    pub(crate) fn push_raw(
        &mut self,
        ai: Ai,
        value: &[u8],
        pos: usize,
        path: Option<u8>,
    ) -> Result<(), Error> {
        let start = self.data.len();
        self.data.extend_from_slice(value).map_err(|_| Error::Capacity { pos })?;
        self.fields
            .push(Field { ai, start, len: value.len(), pos, path })
            .map_err(|_| Error::Capacity { pos })
    }

    pub(crate) fn value_bytes(&self, f: &Field) -> &[u8] {
        self.data.get(f.start..f.start + f.len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn century_window() {
        let d = |yy| Date { yy, month: 1, raw_day: 1 };
        assert_eq!(d(75).year(2026), 2075);
        assert_eq!(d(77).year(2026), 1977);
        assert_eq!(d(30).year(2090), 2130);
        assert_eq!(d(41).year(2090), 2041);
        assert_eq!(d(40).year(2090), 2140);
        assert_eq!(Date { yy: 24, month: 2, raw_day: 0 }.to_ymd(2025), (2024, 2, 29));
        assert_eq!(Date { yy: 25, month: 2, raw_day: 0 }.to_ymd(2025), (2025, 2, 28));
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("3103").map(|e| e.first), Some("3100"));
        assert!(lookup("3106").is_none());
        assert!(lookup("01x").is_none());
        assert_eq!(lookup_prefix(b"2351234").map(|e| e.first), Some("235"));
        assert!(lookup_prefix(b"23").is_none());
        assert_eq!(Ai::new("8020").map(|a| a.as_str() == "8020"), Some(true));
        assert!(Ai::new("1").is_none() && Ai::new("12345").is_none() && Ai::new("1a").is_none());
    }

    #[test]
    fn dates_only_for_date_ais() {
        let es = ElementString::parse(b"(01)09506000134352(11)250101(15)250200(10)X").unwrap();
        assert_eq!(es.production_date().map(|d| d.to_ymd(2025)), Some((2025, 1, 1)));
        assert_eq!(es.best_before().map(|d| d.day()), Some(None));
        assert_eq!(es.date("10"), None);
        assert_eq!(es.expiry(), None);
    }
}
