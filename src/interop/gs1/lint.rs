//! The dictionary's linters: content checks run on each component of an AI value.
//!
//! Each linter mirrors the reference procedure of the same name in GS1's Barcode
//! Syntax Tests (the `lint_*.c` files of the GS1 Barcode Syntax Engine), including
//! its code lists; every linter the dictionary names is implemented.
//!
//! `gcppos1`/`gcppos2` (and the older `key`) check only what the reference does
//! without a GS1 Company Prefix database: that the first four characters of the
//! key are digits. The ISO 3166 alpha-2 list is the 249 assigned codes of
//! ISO 3166-1; the numeric country, currency and package type lists are
//! GS1's. Code lists change: a new code is rejected until the list is updated.

mod coupon;

pub use coupon::CouponError;

use core::fmt;

/// A named linter from the Barcode Syntax Dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Linter {
    /// GS1 mod-10 check digit in the last position.
    Csum,
    /// GS1 check character pair (mod 1021) in the last two positions.
    Csumalpha,
    /// Starts with a GS1 Company Prefix (at least four digits).
    Gcppos1,
    /// As `gcppos1`, after a leading indicator or extension digit.
    Gcppos2,
    /// Older dictionaries' name for `gcppos1`.
    Key,
    /// Contains at least one non-digit.
    Hasnondigit,
    /// Hour `HH`, 00 to 23.
    Hh,
    /// Minute `MI`, 00 to 59.
    Mi,
    /// Second `SS`, 00 to 59.
    Ss,
    /// Time `HHMI`.
    Hhmi,
    /// Older dictionaries' name for `hhmi`.
    Hhmm,
    /// The single character `-`.
    Hyphen,
    /// International Bank Account Number (ISO 13616).
    Iban,
    /// Importer index of AI 7040: `-`, `_`, digits or ASCII letters.
    Importeridx,
    /// ISO 3166-1 numeric country code.
    Iso3166,
    /// ISO 3166-1 numeric country code, or `999`.
    Iso3166999,
    /// ISO 3166-1 alpha-2 country code.
    Iso3166alpha2,
    /// ISO 4217 numeric currency code.
    Iso4217,
    /// ISO/IEC 5218 sex code: 0, 1, 2 or 9.
    Iso5218,
    /// Latitude as ten digits, 0 to 1800000000.
    Latitude,
    /// Longitude as ten digits, 0 to 3600000000.
    Longitude,
    /// AIDC media type code of AI 7241.
    Mediatype,
    /// Not all zeros.
    Nonzero,
    /// No leading zero (unless the value is a single digit).
    Nozeroprefix,
    /// UN/ECE Recommendation 21 package type, with GS1's additions.
    Packagetype,
    /// Percent-encoded text: every `%` starts a two hex digit escape.
    Pcenc,
    /// Piece number and total, `PPTT`, both non-zero, piece not above total.
    Pieceoftotal,
    /// Position in sequence, `<pos>/<end>`.
    Posinseqslash,
    /// Winding direction: 0, 1 or 9.
    Winding,
    /// 0 or 1.
    Yesno,
    /// Date `YYMMDD`, day 00 allowed (end of month).
    Yymmd0,
    /// Date `YYMMDD`.
    Yymmdd,
    /// Date `YYYYMMDD`.
    Yyyymmdd,
    /// Date `YYYYMMDD`, day 00 allowed.
    Yyyymmd0,
    /// The digit 0.
    Zero,
    /// North American coupon code of AI (8110).
    Couponcode,
    /// North American positive offer file coupon code of AI (8112).
    Couponposoffer,
}

/// Every linter, for lookups by name.
const ALL: &[(Linter, &str)] = &[
    (Linter::Csum, "csum"),
    (Linter::Csumalpha, "csumalpha"),
    (Linter::Gcppos1, "gcppos1"),
    (Linter::Gcppos2, "gcppos2"),
    (Linter::Key, "key"),
    (Linter::Hasnondigit, "hasnondigit"),
    (Linter::Hh, "hh"),
    (Linter::Mi, "mi"),
    (Linter::Ss, "ss"),
    (Linter::Hhmi, "hhmi"),
    (Linter::Hhmm, "hhmm"),
    (Linter::Hyphen, "hyphen"),
    (Linter::Iban, "iban"),
    (Linter::Importeridx, "importeridx"),
    (Linter::Iso3166, "iso3166"),
    (Linter::Iso3166999, "iso3166999"),
    (Linter::Iso3166alpha2, "iso3166alpha2"),
    (Linter::Iso4217, "iso4217"),
    (Linter::Iso5218, "iso5218"),
    (Linter::Latitude, "latitude"),
    (Linter::Longitude, "longitude"),
    (Linter::Mediatype, "mediatype"),
    (Linter::Nonzero, "nonzero"),
    (Linter::Nozeroprefix, "nozeroprefix"),
    (Linter::Packagetype, "packagetype"),
    (Linter::Pcenc, "pcenc"),
    (Linter::Pieceoftotal, "pieceoftotal"),
    (Linter::Posinseqslash, "posinseqslash"),
    (Linter::Winding, "winding"),
    (Linter::Yesno, "yesno"),
    (Linter::Yymmd0, "yymmd0"),
    (Linter::Yymmdd, "yymmdd"),
    (Linter::Yyyymmdd, "yyyymmdd"),
    (Linter::Yyyymmd0, "yyyymmd0"),
    (Linter::Zero, "zero"),
    (Linter::Couponcode, "couponcode"),
    (Linter::Couponposoffer, "couponposoffer"),
];

impl Linter {
    /// The linter's name as written in the dictionary.
    #[must_use]
    pub fn name(self) -> &'static str {
        ALL.iter().find(|(l, _)| *l == self).map_or("", |(_, n)| *n)
    }

    /// Looks a linter up by its dictionary name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().find(|(_, n)| *n == name).map(|(l, _)| *l)
    }

    /// Runs the linter on one component's bytes.
    ///
    /// # Errors
    ///
    /// The failed check and the byte offset within `data` where it failed.
    pub fn check(self, data: &[u8]) -> Result<(), (LintError, usize)> {
        match self {
            Linter::Csum => csum(data),
            Linter::Csumalpha => csumalpha(data),
            Linter::Gcppos1 | Linter::Key => gcp(data),
            Linter::Gcppos2 => gcp(data.get(1..).unwrap_or(&[])).map_err(|(e, p)| (e, p + 1)),
            Linter::Hasnondigit => {
                if data.iter().any(|b| !b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err((LintError::RequiresNonDigit, 0))
                }
            }
            Linter::Hh => hour(data),
            Linter::Mi => minute(data),
            Linter::Ss => match two_digits(data) {
                Some(v) if v <= 59 => Ok(()),
                _ => Err((LintError::IllegalSecond, 0)),
            },
            Linter::Hhmi | Linter::Hhmm => {
                hour(data.get(..2).unwrap_or(data))?;
                minute(data.get(2..).unwrap_or(&[])).map_err(|(e, p)| (e, p + 2))
            }
            Linter::Hyphen => one_of(data, b"-", LintError::NotHyphen),
            Linter::Iban => iban(data),
            Linter::Importeridx => match data {
                [b] if *b == b'-' || *b == b'_' || b.is_ascii_alphanumeric() => Ok(()),
                [_] => Err((LintError::InvalidImporterIndex, 0)),
                _ => Err((LintError::ImporterIndexLength, 0)),
            },
            Linter::Iso3166 => in_numeric_list(data, ISO3166, LintError::NotIso3166),
            Linter::Iso3166999 => {
                if data == b"999" {
                    Ok(())
                } else {
                    in_numeric_list(data, ISO3166, LintError::NotIso3166Or999)
                }
            }
            Linter::Iso3166alpha2 => {
                if ISO3166_ALPHA2.iter().any(|c| c.as_slice() == data) {
                    Ok(())
                } else {
                    Err((LintError::NotIso3166Alpha2, 0))
                }
            }
            Linter::Iso4217 => in_numeric_list(data, ISO4217, LintError::NotIso4217),
            Linter::Iso5218 => one_of(data, b"0129", LintError::NotIso5218),
            Linter::Latitude => bounded(data, 1_800_000_000, LintError::InvalidLatitude),
            Linter::Longitude => bounded(data, 3_600_000_000, LintError::InvalidLongitude),
            Linter::Mediatype => match two_digits(data) {
                Some(v) if (1..=10).contains(&v) || (80..=99).contains(&v) => Ok(()),
                _ => Err((LintError::InvalidMediaType, 0)),
            },
            Linter::Nonzero => {
                if data.iter().all(|b| *b == b'0') {
                    Err((LintError::IllegalZeroValue, 0))
                } else {
                    Ok(())
                }
            }
            Linter::Nozeroprefix => {
                if data.len() > 1 && data.first() == Some(&b'0') {
                    Err((LintError::IllegalZeroPrefix, 0))
                } else {
                    Ok(())
                }
            }
            Linter::Packagetype => {
                if PACKAGE_TYPES.iter().any(|c| c.as_bytes() == data) {
                    Ok(())
                } else {
                    Err((LintError::InvalidPackageType, 0))
                }
            }
            Linter::Pcenc => pcenc(data),
            Linter::Pieceoftotal => piece_of_total(data),
            Linter::Posinseqslash => pos_in_seq(data),
            Linter::Winding => one_of(data, b"019", LintError::InvalidWindingDirection),
            Linter::Yesno => one_of(data, b"01", LintError::NotZeroOrOne),
            Linter::Yymmd0 => date(data, false, true),
            Linter::Yymmdd => date(data, false, false),
            Linter::Yyyymmdd => date(data, true, false),
            Linter::Yyyymmd0 => date(data, true, true),
            Linter::Zero => one_of(data, b"0", LintError::NotZero),
            Linter::Couponcode => coupon::couponcode(data),
            Linter::Couponposoffer => coupon::couponposoffer(data),
        }
    }
}

impl fmt::Display for Linter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a linter (or a character set check) rejected a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LintError {
    /// A non-digit in a numeric (N) component.
    NonDigitCharacter,
    /// A character outside GS1 character set 82 (X).
    InvalidCset82Character,
    /// A character outside GS1 character set 39 (Y).
    InvalidCset39Character,
    /// A character outside GS1 character set 64 (Z, base64url).
    InvalidCset64Character,
    /// Bad `=` padding in a character set 64 component.
    InvalidCset64Padding,
    /// A check character outside GS1 character set 32.
    InvalidCset32Character,
    /// The mod-10 check digit is wrong.
    IncorrectCheckDigit,
    /// Too short to carry a check digit.
    TooShortForCheckDigit,
    /// The check character pair is wrong.
    IncorrectCheckPair,
    /// Too short to carry a check character pair.
    TooShortForCheckPair,
    /// Too long for the check character pair algorithm.
    TooLongForCheckPair,
    /// Too short to start with a GS1 Company Prefix.
    TooShortForGcp,
    /// Does not start with a GS1 Company Prefix.
    InvalidGcpPrefix,
    /// The importer index is not one character.
    ImporterIndexLength,
    /// The importer index character is not allowed.
    InvalidImporterIndex,
    /// Must not be all zeros.
    IllegalZeroValue,
    /// Must be zero.
    NotZero,
    /// Must not start with zero.
    IllegalZeroPrefix,
    /// Must be 0 or 1.
    NotZeroOrOne,
    /// Winding direction must be 0, 1 or 9.
    InvalidWindingDirection,
    /// Not an ISO 3166 numeric country code.
    NotIso3166,
    /// Not an ISO 3166 numeric country code nor 999.
    NotIso3166Or999,
    /// Not an ISO 3166 alpha-2 country code.
    NotIso3166Alpha2,
    /// Not an ISO 4217 numeric currency code.
    NotIso4217,
    /// Not an ISO/IEC 5218 sex code.
    NotIso5218,
    /// The IBAN is too short.
    IbanTooShort,
    /// The IBAN contains a character other than a digit or capital letter.
    InvalidIbanCharacter,
    /// The IBAN does not start with a country code.
    IllegalIbanCountryCode,
    /// The IBAN check digits are wrong.
    IncorrectIbanChecksum,
    /// Month outside 01 to 12.
    IllegalMonth,
    /// Day outside the month (or 00 where not allowed).
    IllegalDay,
    /// Hour outside 00 to 23.
    IllegalHour,
    /// Minute outside 00 to 59.
    IllegalMinute,
    /// Second outside 00 to 59.
    IllegalSecond,
    /// Piece number is zero.
    ZeroPieceNumber,
    /// Total number of pieces is zero.
    ZeroTotalPieces,
    /// Piece number exceeds the total.
    PieceNumberExceedsTotal,
    /// A `%` not followed by two hex digits.
    InvalidPercentSequence,
    /// Latitude out of range.
    InvalidLatitude,
    /// Longitude out of range.
    InvalidLongitude,
    /// Must be a hyphen.
    NotHyphen,
    /// Unknown AIDC media type.
    InvalidMediaType,
    /// Unknown package type code.
    InvalidPackageType,
    /// Must contain a non-digit.
    RequiresNonDigit,
    /// Not of the form `<pos>/<end>`.
    PositionInSequenceMalformed,
    /// Position exceeds the end of the sequence.
    PositionExceedsEnd,
    /// A coupon code field is missing, malformed or truncated.
    Coupon(CouponError),
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            LintError::NonDigitCharacter => "non-digit character",
            LintError::InvalidCset82Character => "character outside cset 82",
            LintError::InvalidCset39Character => "character outside cset 39",
            LintError::InvalidCset64Character => "character outside cset 64",
            LintError::InvalidCset64Padding => "bad cset 64 padding",
            LintError::InvalidCset32Character => "check character outside cset 32",
            LintError::IncorrectCheckDigit => "incorrect check digit",
            LintError::TooShortForCheckDigit => "too short for a check digit",
            LintError::IncorrectCheckPair => "incorrect check character pair",
            LintError::TooShortForCheckPair => "too short for a check character pair",
            LintError::TooLongForCheckPair => "too long for a check character pair",
            LintError::TooShortForGcp => "too short for a company prefix",
            LintError::InvalidGcpPrefix => "invalid company prefix",
            LintError::ImporterIndexLength => "importer index must be one character",
            LintError::InvalidImporterIndex => "invalid importer index",
            LintError::IllegalZeroValue => "zero value not allowed",
            LintError::NotZero => "must be zero",
            LintError::IllegalZeroPrefix => "zero prefix not allowed",
            LintError::NotZeroOrOne => "must be 0 or 1",
            LintError::InvalidWindingDirection => "invalid winding direction",
            LintError::NotIso3166 => "not an iso 3166 country code",
            LintError::NotIso3166Or999 => "not an iso 3166 country code or 999",
            LintError::NotIso3166Alpha2 => "not an iso 3166 alpha-2 country code",
            LintError::NotIso4217 => "not an iso 4217 currency code",
            LintError::NotIso5218 => "not an iso 5218 sex code",
            LintError::IbanTooShort => "iban too short",
            LintError::InvalidIbanCharacter => "invalid iban character",
            LintError::IllegalIbanCountryCode => "invalid iban country code",
            LintError::IncorrectIbanChecksum => "incorrect iban checksum",
            LintError::IllegalMonth => "illegal month",
            LintError::IllegalDay => "illegal day",
            LintError::IllegalHour => "illegal hour",
            LintError::IllegalMinute => "illegal minute",
            LintError::IllegalSecond => "illegal second",
            LintError::ZeroPieceNumber => "zero piece number",
            LintError::ZeroTotalPieces => "zero total pieces",
            LintError::PieceNumberExceedsTotal => "piece number exceeds total",
            LintError::InvalidPercentSequence => "invalid percent sequence",
            LintError::InvalidLatitude => "invalid latitude",
            LintError::InvalidLongitude => "invalid longitude",
            LintError::NotHyphen => "must be a hyphen",
            LintError::InvalidMediaType => "invalid media type",
            LintError::InvalidPackageType => "invalid package type",
            LintError::RequiresNonDigit => "must contain a non-digit",
            LintError::PositionInSequenceMalformed => "malformed position in sequence",
            LintError::PositionExceedsEnd => "position exceeds end",
            LintError::Coupon(c) => return c.fmt(f),
        };
        f.write_str(s)
    }
}

impl core::error::Error for LintError {}

/// GS1 AI encodable character set 82, in the order that gives each its value.
pub(crate) const CSET82: &[u8] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// GS1 character set 32, used for check character pairs.
const CSET32: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Character set 82 membership.
#[must_use]
pub(crate) fn is_cset82(b: u8) -> bool {
    CSET82.contains(&b)
}

/// Character set 39 membership: `#`, `-`, `/`, digits, capitals.
#[must_use]
pub(crate) fn is_cset39(b: u8) -> bool {
    matches!(b, b'#' | b'-' | b'/') || b.is_ascii_digit() || b.is_ascii_uppercase()
}

fn is_cset64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Checks a component against its character set.
pub(crate) fn check_cset(cset: super::Cset, data: &[u8]) -> Result<(), (LintError, usize)> {
    use super::Cset;
    let (ok, err): (fn(u8) -> bool, LintError) = match cset {
        Cset::N => (|b: u8| b.is_ascii_digit(), LintError::NonDigitCharacter),
        Cset::X => (is_cset82, LintError::InvalidCset82Character),
        Cset::Y => (is_cset39, LintError::InvalidCset39Character),
        Cset::Z => return cset64(data),
    };
    match data.iter().position(|b| !ok(*b)) {
        Some(p) => Err((err, p)),
        None => Ok(()),
    }
}

fn cset64(data: &[u8]) -> Result<(), (LintError, usize)> {
    let pads = data.iter().rev().take_while(|b| **b == b'=').count();
    let len = data.len() - pads;
    if pads > 2 || (pads > 0 && !data.len().is_multiple_of(3)) {
        return Err((LintError::InvalidCset64Padding, len));
    }
    match data.get(..len).unwrap_or(&[]).iter().position(|b| !is_cset64(*b)) {
        Some(p) => Err((LintError::InvalidCset64Character, p)),
        None => Ok(()),
    }
}

fn digit(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

/// The GS1 mod-10 check digit for `body` (the digits before the check digit).
#[must_use]
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| digit(*b) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    // (10 - sum % 10) % 10 is always below 10.
    b'0' + u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

fn csum(data: &[u8]) -> Result<(), (LintError, usize)> {
    let Some((last, body)) = data.split_last() else {
        return Err((LintError::TooShortForCheckDigit, 0));
    };
    if check_digit(body) == *last {
        Ok(())
    } else {
        Err((LintError::IncorrectCheckDigit, body.len()))
    }
}

const PRIMES: [u32; 23] =
    [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83];

fn csumalpha(data: &[u8]) -> Result<(), (LintError, usize)> {
    if data.len() < 2 {
        return Err((LintError::TooShortForCheckPair, 0));
    }
    let split = data.len() - 2;
    let (body, pair) = data.split_at(split);
    if body.len() > PRIMES.len() {
        return Err((LintError::TooLongForCheckPair, 0));
    }
    let mut pair_vals = [0u32; 2];
    for (i, (b, v)) in pair.iter().zip(pair_vals.iter_mut()).enumerate() {
        match CSET32.iter().position(|c| c == b) {
            Some(p) => *v = u32::try_from(p).unwrap_or(0),
            None => return Err((LintError::InvalidCset32Character, split + i)),
        }
    }
    let mut sum = 0u32;
    for (b, w) in body.iter().rev().zip(PRIMES.iter()) {
        let Some(v) = CSET82.iter().position(|c| c == b) else {
            return Err((LintError::InvalidCset82Character, 0));
        };
        sum += u32::try_from(v).unwrap_or(0) * w;
    }
    sum %= 1021;
    if pair_vals == [sum >> 5, sum & 31] {
        Ok(())
    } else {
        Err((LintError::IncorrectCheckPair, split))
    }
}

fn gcp(data: &[u8]) -> Result<(), (LintError, usize)> {
    let Some(prefix) = data.get(..4) else {
        return Err((LintError::TooShortForGcp, 0));
    };
    match prefix.iter().position(|b| !b.is_ascii_digit()) {
        Some(p) => Err((LintError::InvalidGcpPrefix, p)),
        None => Ok(()),
    }
}

fn two_digits(data: &[u8]) -> Option<u32> {
    match data {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some(digit(*a) * 10 + digit(*b)),
        _ => None,
    }
}

fn number(data: &[u8]) -> Option<u64> {
    if data.is_empty() || data.len() > 19 || !data.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(data.iter().fold(0u64, |acc, b| acc * 10 + u64::from(digit(*b))))
}

fn hour(data: &[u8]) -> Result<(), (LintError, usize)> {
    match two_digits(data) {
        Some(v) if v <= 23 => Ok(()),
        _ => Err((LintError::IllegalHour, 0)),
    }
}

fn minute(data: &[u8]) -> Result<(), (LintError, usize)> {
    match two_digits(data) {
        Some(v) if v <= 59 => Ok(()),
        _ => Err((LintError::IllegalMinute, 0)),
    }
}

fn one_of(data: &[u8], allowed: &[u8], err: LintError) -> Result<(), (LintError, usize)> {
    match data {
        [b] if allowed.contains(b) => Ok(()),
        _ => Err((err, 0)),
    }
}

fn bounded(data: &[u8], max: u64, err: LintError) -> Result<(), (LintError, usize)> {
    match number(data) {
        Some(v) if v <= max => Ok(()),
        _ => Err((err, 0)),
    }
}

fn in_numeric_list(data: &[u8], list: &[u16], err: LintError) -> Result<(), (LintError, usize)> {
    if data.len() == 3
        && let Some(v) = number(data).and_then(|v| u16::try_from(v).ok())
        && list.binary_search(&v).is_ok()
    {
        return Ok(());
    }
    Err((err, 0))
}

/// Gregorian leap year.
#[must_use]
pub(crate) fn is_leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Days in `month` (1 to 12) of a year that is or is not leap.
#[must_use]
pub(crate) fn days_in_month(month: u32, leap: bool) -> u32 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn date(data: &[u8], four_digit_year: bool, day_zero: bool) -> Result<(), (LintError, usize)> {
    let ylen = if four_digit_year { 4 } else { 2 };
    let year = data.get(..ylen).and_then(number).unwrap_or(0);
    let leap = if four_digit_year {
        is_leap(year)
    } else {
        // YY is read in 2000 to 2099 for the leap year rule, as the reference does.
        year.is_multiple_of(4)
    };
    let month = data.get(ylen..ylen + 2).and_then(two_digits);
    let month = match month {
        Some(m) if (1..=12).contains(&m) => m,
        _ => return Err((LintError::IllegalMonth, ylen)),
    };
    match data.get(ylen + 2..).and_then(two_digits) {
        Some(0) if day_zero => Ok(()),
        Some(d) if d >= 1 && d <= days_in_month(month, leap) => Ok(()),
        _ => Err((LintError::IllegalDay, ylen + 2)),
    }
}

fn iban(data: &[u8]) -> Result<(), (LintError, usize)> {
    // The reference's order: a country code needs four characters, then the
    // country is checked before the overall length.
    if data.len() < 4 {
        return Err((LintError::IbanTooShort, 0));
    }
    let cc = data.get(..2).unwrap_or(&[]);
    if !ISO3166_ALPHA2.iter().any(|c| c.as_slice() == cc) {
        return Err((LintError::IllegalIbanCountryCode, 0));
    }
    if data.len() <= 10 {
        return Err((LintError::IbanTooShort, 0));
    }
    let mut rem = 0u32;
    let rotated = data.iter().enumerate().skip(4).chain(data.iter().enumerate().take(4));
    for (pos, b) in rotated {
        let v = match b {
            b'0'..=b'9' => digit(*b),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return Err((LintError::InvalidIbanCharacter, pos)),
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    if rem == 1 { Ok(()) } else { Err((LintError::IncorrectIbanChecksum, 2)) }
}

fn pcenc(data: &[u8]) -> Result<(), (LintError, usize)> {
    let mut i = 0;
    while let Some(b) = data.get(i) {
        if *b == b'%' {
            let hex = data.get(i + 1..i + 3).unwrap_or(&[]);
            if hex.len() != 2 || !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err((LintError::InvalidPercentSequence, i));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn piece_of_total(data: &[u8]) -> Result<(), (LintError, usize)> {
    let half = data.len() / 2;
    let piece = data.get(..half).and_then(number).unwrap_or(0);
    let total = data.get(half..).and_then(number).unwrap_or(0);
    if piece == 0 {
        Err((LintError::ZeroPieceNumber, 0))
    } else if total == 0 {
        Err((LintError::ZeroTotalPieces, half))
    } else if piece > total {
        Err((LintError::PieceNumberExceedsTotal, 0))
    } else {
        Ok(())
    }
}

fn pos_in_seq(data: &[u8]) -> Result<(), (LintError, usize)> {
    let slash = data.iter().position(|b| *b == b'/');
    let (pos, end) = match slash {
        Some(s) => (data.get(..s).unwrap_or(&[]), data.get(s + 1..).unwrap_or(&[])),
        None => return Err((LintError::PositionInSequenceMalformed, 0)),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(pos) || !all_digits(end) {
        return Err((LintError::PositionInSequenceMalformed, 0));
    }
    if pos.first() == Some(&b'0') {
        return Err((LintError::IllegalZeroPrefix, 0));
    }
    if end.first() == Some(&b'0') {
        return Err((LintError::IllegalZeroPrefix, pos.len() + 1));
    }
    if (pos.len(), pos) > (end.len(), end) {
        return Err((LintError::PositionExceedsEnd, 0));
    }
    Ok(())
}

/// ISO 3166-1 numeric country codes, as listed by GS1's `lint_iso3166.c`.
const ISO3166: &[u16] = &[
    4, 8, 10, 12, 16, 20, 24, 28, 31, 32, 36, 40, 44, 48, 50, 51, 52, 56, 60, 64, 68, 70, 72, 74,
    76, 84, 86, 90, 92, 96, 100, 104, 108, 112, 116, 120, 124, 132, 136, 140, 144, 148, 152, 156,
    158, 162, 166, 170, 174, 175, 178, 180, 184, 188, 191, 192, 196, 203, 204, 208, 212, 214, 218,
    222, 226, 231, 232, 233, 234, 238, 239, 242, 246, 248, 250, 254, 258, 260, 262, 266, 268, 270,
    275, 276, 288, 292, 296, 300, 304, 308, 312, 316, 320, 324, 328, 332, 334, 336, 340, 344, 348,
    352, 356, 360, 364, 368, 372, 376, 380, 384, 388, 392, 398, 400, 404, 408, 410, 414, 417, 418,
    422, 426, 428, 430, 434, 438, 440, 442, 446, 450, 454, 458, 462, 466, 470, 474, 478, 480, 484,
    492, 496, 498, 499, 500, 504, 508, 512, 516, 520, 524, 528, 531, 533, 534, 535, 540, 548, 554,
    558, 562, 566, 570, 574, 578, 580, 581, 583, 584, 585, 586, 591, 598, 600, 604, 608, 612, 616,
    620, 624, 626, 630, 634, 638, 642, 643, 646, 652, 654, 659, 660, 662, 663, 666, 670, 674, 678,
    682, 686, 688, 690, 694, 702, 703, 704, 705, 706, 710, 716, 724, 728, 729, 732, 740, 744, 748,
    752, 756, 760, 762, 764, 768, 772, 776, 780, 784, 788, 792, 795, 796, 798, 800, 804, 807, 818,
    826, 831, 832, 833, 834, 840, 850, 854, 858, 860, 862, 876, 882, 887, 894,
];

/// ISO 4217 numeric currency codes, as listed by GS1's `lint_iso4217.c`.
const ISO4217: &[u16] = &[
    8, 12, 32, 36, 44, 48, 50, 51, 52, 60, 64, 68, 72, 84, 90, 96, 104, 108, 116, 124, 132, 136,
    144, 152, 156, 170, 174, 188, 191, 192, 203, 208, 214, 222, 230, 232, 238, 242, 262, 270, 292,
    320, 324, 328, 332, 340, 344, 348, 352, 356, 360, 364, 368, 376, 388, 392, 398, 400, 404, 408,
    410, 414, 417, 418, 422, 426, 430, 434, 446, 454, 458, 462, 480, 484, 496, 498, 504, 512, 516,
    524, 532, 533, 548, 554, 558, 566, 578, 586, 590, 598, 600, 604, 608, 634, 643, 646, 654, 682,
    690, 694, 702, 704, 706, 710, 728, 748, 752, 756, 760, 764, 776, 780, 784, 788, 800, 807, 818,
    826, 834, 840, 858, 860, 882, 886, 901, 925, 927, 928, 929, 930, 931, 932, 933, 934, 936, 938,
    940, 941, 943, 944, 946, 947, 948, 949, 950, 951, 952, 953, 955, 956, 957, 958, 959, 960, 961,
    962, 963, 964, 965, 967, 968, 969, 970, 971, 972, 973, 975, 976, 977, 978, 979, 980, 981, 984,
    985, 986, 990, 994, 997, 999,
];

/// ISO 3166-1 alpha-2 country codes (all 249 assigned codes).
const ISO3166_ALPHA2: &[[u8; 2]] = &[
    *b"AD", *b"AE", *b"AF", *b"AG", *b"AI", *b"AL", *b"AM", *b"AO", *b"AQ", *b"AR", *b"AS", *b"AT",
    *b"AU", *b"AW", *b"AX", *b"AZ", *b"BA", *b"BB", *b"BD", *b"BE", *b"BF", *b"BG", *b"BH", *b"BI",
    *b"BJ", *b"BL", *b"BM", *b"BN", *b"BO", *b"BQ", *b"BR", *b"BS", *b"BT", *b"BV", *b"BW", *b"BY",
    *b"BZ", *b"CA", *b"CC", *b"CD", *b"CF", *b"CG", *b"CH", *b"CI", *b"CK", *b"CL", *b"CM", *b"CN",
    *b"CO", *b"CR", *b"CU", *b"CV", *b"CW", *b"CX", *b"CY", *b"CZ", *b"DE", *b"DJ", *b"DK", *b"DM",
    *b"DO", *b"DZ", *b"EC", *b"EE", *b"EG", *b"EH", *b"ER", *b"ES", *b"ET", *b"FI", *b"FJ", *b"FK",
    *b"FM", *b"FO", *b"FR", *b"GA", *b"GB", *b"GD", *b"GE", *b"GF", *b"GG", *b"GH", *b"GI", *b"GL",
    *b"GM", *b"GN", *b"GP", *b"GQ", *b"GR", *b"GS", *b"GT", *b"GU", *b"GW", *b"GY", *b"HK", *b"HM",
    *b"HN", *b"HR", *b"HT", *b"HU", *b"ID", *b"IE", *b"IL", *b"IM", *b"IN", *b"IO", *b"IQ", *b"IR",
    *b"IS", *b"IT", *b"JE", *b"JM", *b"JO", *b"JP", *b"KE", *b"KG", *b"KH", *b"KI", *b"KM", *b"KN",
    *b"KP", *b"KR", *b"KW", *b"KY", *b"KZ", *b"LA", *b"LB", *b"LC", *b"LI", *b"LK", *b"LR", *b"LS",
    *b"LT", *b"LU", *b"LV", *b"LY", *b"MA", *b"MC", *b"MD", *b"ME", *b"MF", *b"MG", *b"MH", *b"MK",
    *b"ML", *b"MM", *b"MN", *b"MO", *b"MP", *b"MQ", *b"MR", *b"MS", *b"MT", *b"MU", *b"MV", *b"MW",
    *b"MX", *b"MY", *b"MZ", *b"NA", *b"NC", *b"NE", *b"NF", *b"NG", *b"NI", *b"NL", *b"NO", *b"NP",
    *b"NR", *b"NU", *b"NZ", *b"OM", *b"PA", *b"PE", *b"PF", *b"PG", *b"PH", *b"PK", *b"PL", *b"PM",
    *b"PN", *b"PR", *b"PS", *b"PT", *b"PW", *b"PY", *b"QA", *b"RE", *b"RO", *b"RS", *b"RU", *b"RW",
    *b"SA", *b"SB", *b"SC", *b"SD", *b"SE", *b"SG", *b"SH", *b"SI", *b"SJ", *b"SK", *b"SL", *b"SM",
    *b"SN", *b"SO", *b"SR", *b"SS", *b"ST", *b"SV", *b"SX", *b"SY", *b"SZ", *b"TC", *b"TD", *b"TF",
    *b"TG", *b"TH", *b"TJ", *b"TK", *b"TL", *b"TM", *b"TN", *b"TO", *b"TR", *b"TT", *b"TV", *b"TW",
    *b"TZ", *b"UA", *b"UG", *b"UM", *b"US", *b"UY", *b"UZ", *b"VA", *b"VC", *b"VE", *b"VG", *b"VI",
    *b"VN", *b"VU", *b"WF", *b"WS", *b"YE", *b"YT", *b"ZA", *b"ZM", *b"ZW",
];

/// PackageTypeCode values, as listed by GS1's `lint_packagetype.c`.
const PACKAGE_TYPES: &[&str] = &[
    "1A", "1B", "1D", "1F", "1G", "1W", "200", "201", "202", "203", "204", "205", "206", "210",
    "211", "212", "2C", "3A", "3H", "43", "44", "4A", "4B", "4C", "4D", "4F", "4G", "4H", "5H",
    "5L", "5M", "6H", "6P", "7A", "7B", "8", "8A", "8B", "8C", "9", "AA", "AB", "AC", "AD", "AF",
    "AG", "AH", "AI", "AJ", "AL", "AM", "AP", "APE", "AT", "AV", "B4", "BB", "BC", "BD", "BE",
    "BF", "BG", "BGE", "BH", "BI", "BJ", "BK", "BL", "BM", "BME", "BN", "BO", "BP", "BQ", "BR",
    "BRI", "BS", "BT", "BU", "BV", "BW", "BX", "BY", "BZ", "CA", "CB", "CBL", "CC", "CCE", "CD",
    "CE", "CF", "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT",
    "CU", "CV", "CW", "CX", "CY", "CZ", "DA", "DB", "DC", "DG", "DH", "DI", "DJ", "DK", "DL", "DM",
    "DN", "DP", "DPE", "DR", "DS", "DT", "DU", "DV", "DW", "DX", "DY", "E1", "E2", "E3", "EC",
    "ED", "EE", "EF", "EG", "EH", "EI", "EN", "FB", "FC", "FD", "FE", "FI", "FL", "FO", "FOB",
    "FP", "FPE", "FR", "FT", "FW", "FX", "GB", "GI", "GL", "GR", "GU", "GY", "GZ", "HA", "HB",
    "HC", "HG", "HN", "HR", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IK", "IL", "IN", "IZ",
    "JB", "JC", "JG", "JR", "JT", "JY", "KG", "KI", "LAB", "LE", "LG", "LT", "LU", "LV", "LZ",
    "MA", "MB", "MC", "ME", "MPE", "MR", "MS", "MT", "MW", "MX", "NA", "NE", "NF", "NG", "NS",
    "NT", "NU", "NV", "OA", "OB", "OC", "OD", "OE", "OF", "OK", "OPE", "OT", "OU", "P2", "PA",
    "PAE", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PLP", "PN", "PO",
    "POP", "PP", "PPE", "PR", "PT", "PU", "PUE", "PV", "PX", "PY", "PZ", "QA", "QB", "QC", "QD",
    "QF", "QG", "QH", "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QS", "RB1", "RB2", "RB3",
    "RCB", "RD", "RG", "RJ", "RK", "RL", "RO", "RT", "RZ", "S1", "SA", "SB", "SC", "SD", "SE",
    "SEC", "SH", "SI", "SK", "SL", "SM", "SO", "SP", "SS", "ST", "STL", "SU", "SV", "SW", "SX",
    "SY", "SZ", "T1", "TB", "TC", "TD", "TE", "TEV", "TG", "THE", "TI", "TK", "TL", "TN", "TO",
    "TR", "TRE", "TS", "TT", "TTE", "TU", "TV", "TW", "TWE", "TY", "TZ", "UC", "UN", "UUE", "VA",
    "VG", "VI", "VK", "VL", "VN", "VO", "VP", "VQ", "VR", "VS", "VY", "WA", "WB", "WC", "WD", "WF",
    "WG", "WH", "WJ", "WK", "WL", "WM", "WN", "WP", "WQ", "WR", "WRP", "WS", "WT", "WU", "WV",
    "WW", "WX", "WY", "WZ", "X11", "X12", "X15", "X16", "X17", "X18", "X19", "X20", "X3", "XA",
    "XB", "XC", "XD", "XF", "XG", "XH", "XJ", "XK", "YA", "YB", "YC", "YD", "YF", "YG", "YH", "YJ",
    "YK", "YL", "YM", "YN", "YP", "YQ", "YR", "YS", "YT", "YV", "YW", "YX", "YY", "YZ", "ZA", "ZB",
    "ZC", "ZD", "ZF", "ZG", "ZH", "ZJ", "ZK", "ZL", "ZM", "ZN", "ZP", "ZQ", "ZR", "ZS", "ZT", "ZU",
    "ZV", "ZW", "ZX", "ZY", "ZZ",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        assert_eq!(csum(b"24012345678905"), Ok(()));
        assert!(csum(b"24012345678909").is_err());
        assert_eq!(csum(b"2112233789657"), Ok(()));
        assert_eq!(csum(b"416000336108"), Ok(()));
        assert_eq!(csum(b"02345680"), Ok(()));
        assert_eq!(check_digit(b"0234568"), b'0');
    }

    #[test]
    fn check_pair() {
        assert_eq!(csumalpha(b"1987654Ad4X4bL5ttr2310c2K"), Ok(()));
        assert_eq!(
            csumalpha(b"1987654Ad4X4bL5ttr2310c2L").map_err(|e| e.0),
            Err(LintError::IncorrectCheckPair)
        );
        assert_eq!(
            csumalpha(b"123456ABOO").map_err(|e| e.0),
            Err(LintError::InvalidCset32Character)
        );
        assert_eq!(csumalpha(b"A").map_err(|e| e.0), Err(LintError::TooShortForCheckPair));
    }

    #[test]
    fn cset64_padding() {
        for ok in ["", "123", "12", "12=", "1=="] {
            assert_eq!(cset64(ok.as_bytes()), Ok(()), "{ok}");
        }
        for bad in ["===", "123=", "12==", "1===", "1234=", "123==", "12==="] {
            assert_eq!(
                cset64(bad.as_bytes()).map_err(|e| e.0),
                Err(LintError::InvalidCset64Padding),
                "{bad}"
            );
        }
        assert_eq!(cset64(b"AB C").map_err(|e| e.0), Err(LintError::InvalidCset64Character));
    }

    #[test]
    fn dates() {
        assert_eq!(date(b"200229", false, false), Ok(()));
        assert!(date(b"210229", false, false).is_err());
        assert_eq!(date(b"201200", false, true), Ok(()));
        assert_eq!(date(b"201200", false, false).map_err(|e| e.0), Err(LintError::IllegalDay));
        assert_eq!(date(b"201300", false, true).map_err(|e| e.0), Err(LintError::IllegalMonth));
        assert_eq!(date(b"19000229", true, false).map_err(|e| e.0), Err(LintError::IllegalDay));
        assert_eq!(date(b"20000229", true, false), Ok(()));
    }

    #[test]
    fn iban_cases() {
        assert_eq!(iban(b"GB98MIDL07009312345678"), Ok(()));
        assert_eq!(iban(b"BE71096123456769"), Ok(()));
        assert_eq!(
            iban(b"BE71096123456760").map_err(|e| e.0),
            Err(LintError::IncorrectIbanChecksum)
        );
        assert_eq!(iban(b"BE71").map_err(|e| e.0), Err(LintError::IbanTooShort));
        assert_eq!(
            iban(b"XX361234567890").map_err(|e| e.0),
            Err(LintError::IllegalIbanCountryCode)
        );
        assert_eq!(
            iban(b"LC14BOSLxx3456789012345678901230").map_err(|e| e.0),
            Err(LintError::InvalidIbanCharacter)
        );
    }

    #[test]
    fn names_round_trip() {
        for (l, n) in ALL {
            assert_eq!(Linter::from_name(n), Some(*l));
            assert_eq!(l.name(), *n);
        }
        assert_eq!(Linter::from_name("nonsense"), None);
    }

    #[test]
    fn lists_are_sorted() {
        assert!(ISO3166.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO4217.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn small_linters() {
        assert_eq!(pos_in_seq(b"1/2"), Ok(()));
        assert_eq!(pos_in_seq(b"3/2").map_err(|e| e.0), Err(LintError::PositionExceedsEnd));
        assert_eq!(pos_in_seq(b"0/2").map_err(|e| e.0), Err(LintError::IllegalZeroPrefix));
        assert_eq!(
            pos_in_seq(b"12/").map_err(|e| e.0),
            Err(LintError::PositionInSequenceMalformed)
        );
        assert_eq!(pcenc(b"ABC%0g").map_err(|e| e.0), Err(LintError::InvalidPercentSequence));
        assert_eq!(pcenc(b"A%20B"), Ok(()));
        assert_eq!(
            piece_of_total(b"0302").map_err(|e| e.0),
            Err(LintError::PieceNumberExceedsTotal)
        );
        assert_eq!(
            Linter::Latitude.check(b"1800000001").map_err(|e| e.0),
            Err(LintError::InvalidLatitude)
        );
        assert_eq!(Linter::Longitude.check(b"3600000000"), Ok(()));
    }
}
