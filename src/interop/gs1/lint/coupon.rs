//! The North American coupon linters, `couponcode` (AI 8110) and
//! `couponposoffer` (AI 8112), following GS1's `lint_couponcode.c` and
//! `lint_couponposoffer.c`: all digits, then fields introduced by variable
//! length indicators (VLIs).

use core::fmt;

use super::LintError;

/// What a coupon linter found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[expect(
    missing_docs,
    reason = "each variant is named after the field it reports, as in GS1's linter"
)]
pub enum CouponError {
    MissingFormatCode,
    InvalidFormatCode,
    MissingFunderVli,
    InvalidFunderLength,
    TruncatedFunder,
    TruncatedOfferCode,
    MissingSerialNumberVli,
    TruncatedSerialNumber,
    MissingGcpVli,
    InvalidGcpLength,
    TruncatedGcp,
    MissingSaveValueVli,
    InvalidSaveValueLength,
    TruncatedSaveValue,
    Missing1stPurchaseRequirementVli,
    Invalid1stPurchaseRequirementLength,
    Truncated1stPurchaseRequirement,
    Missing1stPurchaseRequirementCode,
    Invalid1stPurchaseRequirementCode,
    Truncated1stPurchaseFamilyCode,
    MissingAdditionalPurchaseRulesCode,
    InvalidAdditionalPurchaseRulesCode,
    Missing2ndPurchaseRequirementVli,
    Invalid2ndPurchaseRequirementLength,
    Truncated2ndPurchaseRequirement,
    Missing2ndPurchaseRequirementCode,
    Invalid2ndPurchaseRequirementCode,
    Truncated2ndPurchaseFamilyCode,
    Missing2ndPurchaseGcpVli,
    Invalid2ndPurchaseGcpLength,
    Truncated2ndPurchaseGcp,
    Missing3rdPurchaseRequirementVli,
    Invalid3rdPurchaseRequirementLength,
    Truncated3rdPurchaseRequirement,
    Missing3rdPurchaseRequirementCode,
    Invalid3rdPurchaseRequirementCode,
    Truncated3rdPurchaseFamilyCode,
    Missing3rdPurchaseGcpVli,
    Invalid3rdPurchaseGcpLength,
    Truncated3rdPurchaseGcp,
    TooShortForExpirationDate,
    InvalidExpirationDate,
    TooShortForStartDate,
    InvalidStartDate,
    ExpirationBeforeStart,
    MissingRetailerGcpOrGlnVli,
    InvalidRetailerGcpOrGlnLength,
    TruncatedRetailerGcpOrGln,
    MissingSaveValueCode,
    InvalidSaveValueCode,
    MissingSaveValueAppliesToItem,
    InvalidSaveValueAppliesToItem,
    MissingStoreCouponFlag,
    MissingDontMultiplyFlag,
    InvalidDontMultiplyFlag,
    ExcessData,
}

impl fmt::Display for CouponError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Debug name is the field and fault; lower-case it for Display.
        let mut buf = [0u8; 48];
        let mut w = Lower { buf: &mut buf, len: 0 };
        fmt::write(&mut w, format_args!("{self:?}"))?;
        let len = w.len;
        let text = buf.get(..len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("");
        write!(f, "coupon: {text}")
    }
}

/// Writes ASCII, turning `CamelCase` into `camel case`.
struct Lower<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for Lower<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b.is_ascii_uppercase() && self.len > 0 {
                self.push(b' ')?;
            }
            self.push(b.to_ascii_lowercase())?;
        }
        Ok(())
    }
}

impl Lower<'_> {
    fn push(&mut self, b: u8) -> fmt::Result {
        let slot = self.buf.get_mut(self.len).ok_or(fmt::Error)?;
        *slot = b;
        self.len += 1;
        Ok(())
    }
}

type R<T> = Result<T, (LintError, usize)>;

fn fail<T>(kind: CouponError, at: usize) -> R<T> {
    Err((LintError::Coupon(kind), at))
}

/// A cursor over the digits of a coupon code.
struct Cur<'a> {
    d: &'a [u8],
    p: usize,
}

impl Cur<'_> {
    fn left(&self) -> usize {
        self.d.len().saturating_sub(self.p)
    }

    /// The next digit's value, or `missing` if the data ends here.
    fn digit(&self, missing: CouponError) -> R<u8> {
        match self.d.get(self.p) {
            Some(b) => Ok(b - b'0'),
            None => fail(missing, 0),
        }
    }

    /// Whether the next digit is the optional field indicator `ind`.
    fn at_field(&self, ind: u8) -> bool {
        self.d.get(self.p) == Some(&(b'0' + ind))
    }

    /// Skips `n` digits, or reports `truncated`.
    fn take(&mut self, n: usize, truncated: CouponError) -> R<()> {
        if self.left() < n {
            return fail(truncated, self.p);
        }
        self.p += n;
        Ok(())
    }

    /// Reads a VLI accepted by `ok`, then skips the field of `len(vli)` digits.
    fn vli_field(
        &mut self,
        missing: CouponError,
        ok: impl Fn(u8) -> bool,
        invalid: CouponError,
        len: impl Fn(u8) -> usize,
        truncated: CouponError,
    ) -> R<()> {
        let v = self.digit(missing)?;
        if !ok(v) {
            return fail(invalid, self.p);
        }
        self.p += 1;
        self.take(len(v), truncated)
    }

    /// Reads a single-digit code accepted by `ok`.
    fn code(
        &mut self,
        missing: CouponError,
        ok: impl Fn(u8) -> bool,
        invalid: CouponError,
    ) -> R<()> {
        let v = self.digit(missing)?;
        if !ok(v) {
            return fail(invalid, self.p);
        }
        self.p += 1;
        Ok(())
    }

    fn done(&self) -> R<()> {
        if self.left() == 0 { Ok(()) } else { fail(CouponError::ExcessData, self.p) }
    }
}

fn all_digits(d: &[u8]) -> R<()> {
    match d.iter().position(|b| !b.is_ascii_digit()) {
        Some(p) => Err((LintError::NonDigitCharacter, p)),
        None => Ok(()),
    }
}

/// `couponposoffer`: format code, funder ID, offer code, serial number.
pub(crate) fn couponposoffer(d: &[u8]) -> R<()> {
    use CouponError::*;
    all_digits(d)?;
    let mut c = Cur { d, p: 0 };
    c.code(MissingFormatCode, |v| v <= 1, InvalidFormatCode)?;
    c.vli_field(
        MissingFunderVli,
        |v| v <= 6,
        InvalidFunderLength,
        |v| usize::from(v) + 6,
        TruncatedFunder,
    )?;
    c.take(6, TruncatedOfferCode)?;
    c.vli_field(
        MissingSerialNumberVli,
        |_| true,
        MissingSerialNumberVli,
        |v| usize::from(v) + 6,
        TruncatedSerialNumber,
    )?;
    c.done()
}

/// One purchase requirement: VLI and value, code, family code.
fn purchase(c: &mut Cur<'_>, e: [CouponError; 6]) -> R<()> {
    let [missing_vli, invalid_len, truncated, missing_code, invalid_code, truncated_family] = e;
    c.vli_field(missing_vli, |v| (1..=5).contains(&v), invalid_len, usize::from, truncated)?;
    c.code(missing_code, |v| v <= 4 || v == 9, invalid_code)?;
    c.take(3, truncated_family)
}

/// A purchase GCP: VLI 0 to 6 (length plus 6) or 9 (none).
fn purchase_gcp(
    c: &mut Cur<'_>,
    missing: CouponError,
    invalid: CouponError,
    truncated: CouponError,
) -> R<()> {
    c.vli_field(
        missing,
        |v| v <= 6 || v == 9,
        invalid,
        |v| if v == 9 { 0 } else { usize::from(v) + 6 },
        truncated,
    )
}

fn date(c: &mut Cur<'_>, too_short: CouponError, invalid: CouponError) -> R<usize> {
    let start = c.p;
    if c.left() < 6 {
        return fail(too_short, c.p);
    }
    let field = c.d.get(start..start + 6).unwrap_or(&[]);
    if super::date(field, false, false).is_err() {
        return fail(invalid, start);
    }
    c.p += 6;
    Ok(start)
}

/// `couponcode`: the North American coupon code of AI (8110).
pub(crate) fn couponcode(d: &[u8]) -> R<()> {
    use CouponError::*;
    all_digits(d)?;
    let mut c = Cur { d, p: 0 };
    c.vli_field(MissingGcpVli, |v| v <= 6, InvalidGcpLength, |v| usize::from(v) + 6, TruncatedGcp)?;
    c.take(6, TruncatedOfferCode)?;
    c.vli_field(
        MissingSaveValueVli,
        |v| (1..=5).contains(&v),
        InvalidSaveValueLength,
        usize::from,
        TruncatedSaveValue,
    )?;
    purchase(
        &mut c,
        [
            Missing1stPurchaseRequirementVli,
            Invalid1stPurchaseRequirementLength,
            Truncated1stPurchaseRequirement,
            Missing1stPurchaseRequirementCode,
            Invalid1stPurchaseRequirementCode,
            Truncated1stPurchaseFamilyCode,
        ],
    )?;
    if c.at_field(1) {
        c.p += 1;
        c.code(MissingAdditionalPurchaseRulesCode, |v| v <= 3, InvalidAdditionalPurchaseRulesCode)?;
        purchase(
            &mut c,
            [
                Missing2ndPurchaseRequirementVli,
                Invalid2ndPurchaseRequirementLength,
                Truncated2ndPurchaseRequirement,
                Missing2ndPurchaseRequirementCode,
                Invalid2ndPurchaseRequirementCode,
                Truncated2ndPurchaseFamilyCode,
            ],
        )?;
        purchase_gcp(
            &mut c,
            Missing2ndPurchaseGcpVli,
            Invalid2ndPurchaseGcpLength,
            Truncated2ndPurchaseGcp,
        )?;
    }
    if c.at_field(2) {
        c.p += 1;
        purchase(
            &mut c,
            [
                Missing3rdPurchaseRequirementVli,
                Invalid3rdPurchaseRequirementLength,
                Truncated3rdPurchaseRequirement,
                Missing3rdPurchaseRequirementCode,
                Invalid3rdPurchaseRequirementCode,
                Truncated3rdPurchaseFamilyCode,
            ],
        )?;
        purchase_gcp(
            &mut c,
            Missing3rdPurchaseGcpVli,
            Invalid3rdPurchaseGcpLength,
            Truncated3rdPurchaseGcp,
        )?;
    }
    let mut expiry = None;
    if c.at_field(3) {
        c.p += 1;
        expiry = Some(date(&mut c, TooShortForExpirationDate, InvalidExpirationDate)?);
    }
    if c.at_field(4) {
        c.p += 1;
        let start = date(&mut c, TooShortForStartDate, InvalidStartDate)?;
        if let Some(exp) = expiry {
            let (s, e) = (d.get(start..start + 6), d.get(exp..exp + 6));
            if s > e {
                return fail(ExpirationBeforeStart, exp.saturating_sub(1));
            }
        }
    }
    if c.at_field(5) {
        c.p += 1;
        c.vli_field(
            MissingSerialNumberVli,
            |_| true,
            MissingSerialNumberVli,
            |v| usize::from(v) + 6,
            TruncatedSerialNumber,
        )?;
    }
    if c.at_field(6) {
        c.p += 1;
        c.vli_field(
            MissingRetailerGcpOrGlnVli,
            |v| (1..=7).contains(&v),
            InvalidRetailerGcpOrGlnLength,
            |v| usize::from(v) + 6,
            TruncatedRetailerGcpOrGln,
        )?;
    }
    if c.at_field(9) {
        c.p += 1;
        c.code(MissingSaveValueCode, |v| matches!(v, 0..=2 | 5 | 6), InvalidSaveValueCode)?;
        c.code(MissingSaveValueAppliesToItem, |v| v <= 2, InvalidSaveValueAppliesToItem)?;
        c.code(MissingStoreCouponFlag, |_| true, MissingStoreCouponFlag)?;
        c.code(MissingDontMultiplyFlag, |v| v <= 1, InvalidDontMultiplyFlag)?;
    }
    c.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(r: R<()>) -> Option<CouponError> {
        match r {
            Err((LintError::Coupon(k), _)) => Some(k),
            _ => None,
        }
    }

    #[test]
    fn posoffer() {
        assert_eq!(couponposoffer(b"001234561234560123456"), Ok(()));
        assert_eq!(couponposoffer(b"061234567890121234569123456789012345"), Ok(()));
        assert_eq!(kind(couponposoffer(b"")), Some(CouponError::MissingFormatCode));
        assert_eq!(kind(couponposoffer(b"07")), Some(CouponError::InvalidFunderLength));
        assert_eq!(kind(couponposoffer(b"0012345612345601234567")), Some(CouponError::ExcessData));
        assert_eq!(
            couponposoffer(b"a01234561234560123456").map_err(|e| e.0),
            Err(LintError::NonDigitCharacter)
        );
    }

    #[test]
    fn code() {
        assert_eq!(couponcode(b"012345612345611110123"), Ok(()));
        assert_eq!(kind(couponcode(b"")), Some(CouponError::MissingGcpVli));
        assert_eq!(
            kind(couponcode(b"012345612345611110")),
            Some(CouponError::Truncated1stPurchaseFamilyCode)
        );
        assert_eq!(
            kind(couponcode(b"01234561234566123456")),
            Some(CouponError::InvalidSaveValueLength)
        );
    }

    #[test]
    fn display_is_lowercase() {
        let mut buf = [0u8; 64];
        let mut w = Lower { buf: &mut buf, len: 0 };
        fmt::write(&mut w, format_args!("{}", CouponError::ExpirationBeforeStart)).unwrap();
        let len = w.len;
        assert_eq!(&buf[..len], b"coupon: expiration before start");
    }
}
