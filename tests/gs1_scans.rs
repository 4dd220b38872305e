//! Scan strings and expected outcomes taken from the unit tests of GS1's
//! reference Barcode Syntax Engine (github.com/gs1/gs1-syntax-engine):
//!
//! - `src/c-lib/ai.c`: `test_ai_parseAIdata`, `test_ai_linters`,
//!   `test_ai_processAIdata`, `test_ai_validateAIs` (called
//!   `test_ai_validateAIassociations` in older revisions)
//! - `src/c-lib/scandata.c`: `test_scandata_processScanData`
//! - `src/c-lib/dl.c`: `test_dl_parseDLuri`
//!
//! The engine's `^` for FNC1 is written here as ASCII 29 (GS). Each engine
//! function checks a given scope: parsing and linting, or also pairing rules
//! (`validateAIassociations`). Vectors are run with pairing checks on only
//! where the engine's test checks them. Left out: cases that need the
//! engine's `permitUnknownAIs` or `permitConvenienceAlphas` options (this
//! crate has neither), and cases written for older dictionaries (`(8008)` as
//! `yymmddhh`, `(8007)AB1234` from before the IBAN length rule moved).

use lotledger::interop::gs1::{CouponError, ElementString, Error, LintError, ParseOptions};

fn lenient() -> ParseOptions {
    ParseOptions::new().with_pairings(false)
}

fn raw(s: &str) -> Vec<u8> {
    s.bytes().map(|b| if b == b'^' { 0x1d } else { b }).collect()
}

#[track_caller]
fn bracketed(ok: bool, input: &str, pairings: bool) {
    let opts = ParseOptions::new().with_pairings(pairings);
    let r = ElementString::parse_bracketed(input.as_bytes(), &opts);
    assert_eq!(r.is_ok(), ok, "{input}: {r:?}");
}

/// ai.c `test_ai_parseAIdata`: bracketed input, expected element string.
#[test]
fn engine_parse_ai_data() {
    let good = [
        ("(01)12345678901231", "0112345678901231"),
        ("(10)12345", "1012345"),
        ("(01)12345678901231(10)12345", "01123456789012311012345"),
        ("(3100)123456(10)12345", "31001234561012345"),
        ("(10)12345(11)991225", "1012345^11991225"),
        ("(3900)12345(11)991225", "390012345^11991225"),
        ("(10)12345\\(11)991225", "1012345(11)991225"),
        ("(10)12345\\(", "1012345("),
    ];
    for (input, expect) in good {
        let es = ElementString::parse_bracketed(input.as_bytes(), &lenient())
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(es.element_string('^').to_string(), expect, "{input}");
        assert_eq!(es.bracketed().to_string(), input, "{input}");
    }
    for input in [
        "(10)(11)98765",
        "(10)12345(11)",
        "(1A)12345",
        "1(12345",
        "12345",
        "()12345",
        "(1)12345",
        "(12345)12345",
        "(15",
        "(1",
        "(",
        "(01)123456789012312(10)12345",
        "(10)12345^",
        "(17)9(90)217",
    ] {
        bracketed(false, input, false);
    }
}

/// ai.c `test_ai_linters`: each linter triggered through a real AI.
#[test]
fn engine_linters() {
    use LintError::*;
    let cases: &[(&str, Option<LintError>)] = &[
        ("(00)123456789012345675", None),
        ("(00)A23456789012345675", Some(NonDigitCharacter)),
        ("(10) ", Some(InvalidCset82Character)),
        ("(8010)123456_", Some(InvalidCset39Character)),
        ("(8013)123456ABOO", Some(InvalidCset32Character)),
        ("(8030)ABC:123", Some(InvalidCset64Character)),
        ("(8030)123=", Some(InvalidCset64Padding)),
        ("(00)123456789012345670", Some(IncorrectCheckDigit)),
        ("(8013)123456ABXX", Some(IncorrectCheckPair)),
        ("(8013)A", Some(TooShortForCheckPair)),
        ("(401)123", Some(TooShortForGcp)),
        ("(7023)12A4", Some(InvalidGcpPrefix)),
        ("(7040)1AB=", Some(InvalidImporterIndex)),
        ("(8001)12340000012311", Some(IllegalZeroValue)),
        ("(8003)112345678901281234567890123456", Some(NotZero)),
        ("(8011)023456789012", Some(IllegalZeroPrefix)),
        ("(4321)2", Some(NotZeroOrOne)),
        ("(8001)12341234512321", Some(InvalidWindingDirection)),
        ("(426)987", Some(NotIso3166)),
        ("(7030)987ABC", Some(NotIso3166Or999)),
        ("(4307)AA", Some(NotIso3166Alpha2)),
        ("(3910)9870", Some(NotIso4217)),
        ("(8007)FR12_45678901234", Some(InvalidIbanCharacter)),
        ("(8007)AB12345678901234", Some(IllegalIbanCountryCode)),
        ("(8007)FR12345678901234", Some(IncorrectIbanChecksum)),
        ("(4326)201300", Some(IllegalMonth)),
        ("(4326)201200", Some(IllegalDay)),
        ("(4324)2012252400", Some(IllegalHour)),
        ("(4324)2012252360", Some(IllegalMinute)),
        ("(8008)201225230060", Some(IllegalSecond)),
        ("(8026)123456789012310099", Some(ZeroPieceNumber)),
        ("(8026)123456789012310100", Some(ZeroTotalPieces)),
        ("(8026)123456789012310302", Some(PieceNumberExceedsTotal)),
        ("(4300)ABC%0g", Some(InvalidPercentSequence)),
        ("(8112)201234561234560123456", Some(Coupon(CouponError::InvalidFormatCode))),
        ("(8112)0", Some(Coupon(CouponError::MissingFunderVli))),
        ("(8112)07", Some(Coupon(CouponError::InvalidFunderLength))),
        ("(8112)01123456", Some(Coupon(CouponError::TruncatedFunder))),
        ("(8112)00123456", Some(Coupon(CouponError::TruncatedOfferCode))),
        ("(8112)00123456123456", Some(Coupon(CouponError::MissingSerialNumberVli))),
        ("(8112)001234561234560", Some(Coupon(CouponError::TruncatedSerialNumber))),
        ("(8110)71234567890123", Some(Coupon(CouponError::InvalidGcpLength))),
        ("(8110)012345", Some(Coupon(CouponError::TruncatedGcp))),
        ("(8110)0123456123456", Some(Coupon(CouponError::MissingSaveValueVli))),
        ("(8110)01234561234560", Some(Coupon(CouponError::InvalidSaveValueLength))),
        ("(8110)01234561234561", Some(Coupon(CouponError::TruncatedSaveValue))),
        ("(8110)012345612345611", Some(Coupon(CouponError::Missing1stPurchaseRequirementVli))),
        (
            "(8110)0123456123456116123456",
            Some(Coupon(CouponError::Invalid1stPurchaseRequirementLength)),
        ),
        ("(8110)0123456123456111", Some(Coupon(CouponError::Truncated1stPurchaseRequirement))),
        ("(8110)01234561234561111", Some(Coupon(CouponError::Missing1stPurchaseRequirementCode))),
        ("(8110)012345612345611115", Some(Coupon(CouponError::Invalid1stPurchaseRequirementCode))),
        ("(8110)012345612345611119", Some(Coupon(CouponError::Truncated1stPurchaseFamilyCode))),
        (
            "(8110)0123456123456111101231",
            Some(Coupon(CouponError::MissingAdditionalPurchaseRulesCode)),
        ),
        (
            "(8110)01234561234561111012314",
            Some(Coupon(CouponError::InvalidAdditionalPurchaseRulesCode)),
        ),
        (
            "(8110)01234561234561111012310",
            Some(Coupon(CouponError::Missing2ndPurchaseRequirementVli)),
        ),
        (
            "(8110)012345612345611110123106123456",
            Some(Coupon(CouponError::Invalid2ndPurchaseRequirementLength)),
        ),
        (
            "(8110)012345612345611110123101",
            Some(Coupon(CouponError::Truncated2ndPurchaseRequirement)),
        ),
        (
            "(8110)0123456123456111101231011",
            Some(Coupon(CouponError::Missing2ndPurchaseRequirementCode)),
        ),
        (
            "(8110)01234561234561111012310115",
            Some(Coupon(CouponError::Invalid2ndPurchaseRequirementCode)),
        ),
        (
            "(8110)01234561234561111012310119",
            Some(Coupon(CouponError::Truncated2ndPurchaseFamilyCode)),
        ),
        (
            "(8110)01234561234561111012310110123",
            Some(Coupon(CouponError::Missing2ndPurchaseGcpVli)),
        ),
        (
            "(8110)0123456123456111101231011012371234567890123",
            Some(Coupon(CouponError::Invalid2ndPurchaseGcpLength)),
        ),
        (
            "(8110)012345612345611110123101101230",
            Some(Coupon(CouponError::Truncated2ndPurchaseGcp)),
        ),
        (
            "(8110)0123456123456111101232",
            Some(Coupon(CouponError::Missing3rdPurchaseRequirementVli)),
        ),
        (
            "(8110)01234561234561111012320",
            Some(Coupon(CouponError::Invalid3rdPurchaseRequirementLength)),
        ),
        (
            "(8110)01234561234561111012321",
            Some(Coupon(CouponError::Truncated3rdPurchaseRequirement)),
        ),
        (
            "(8110)012345612345611110123211",
            Some(Coupon(CouponError::Missing3rdPurchaseRequirementCode)),
        ),
        (
            "(8110)0123456123456111101232115",
            Some(Coupon(CouponError::Invalid3rdPurchaseRequirementCode)),
        ),
        (
            "(8110)0123456123456111101232110",
            Some(Coupon(CouponError::Truncated3rdPurchaseFamilyCode)),
        ),
        ("(8110)0123456123456111101232110123", Some(Coupon(CouponError::Missing3rdPurchaseGcpVli))),
        (
            "(8110)012345612345611110123211012371234567890123",
            Some(Coupon(CouponError::Invalid3rdPurchaseGcpLength)),
        ),
        ("(8110)01234561234561111012321101230", Some(Coupon(CouponError::Truncated3rdPurchaseGcp))),
        ("(8110)0123456123456111101233", Some(Coupon(CouponError::TooShortForExpirationDate))),
        ("(8110)0123456123456111101233200010", Some(Coupon(CouponError::InvalidExpirationDate))),
        ("(8110)0123456123456111101234", Some(Coupon(CouponError::TooShortForStartDate))),
        ("(8110)0123456123456111101234200010", Some(Coupon(CouponError::InvalidStartDate))),
        (
            "(8110)01234561234561111012335006064500607",
            Some(Coupon(CouponError::ExpirationBeforeStart)),
        ),
        ("(8110)0123456123456111101236", Some(Coupon(CouponError::MissingRetailerGcpOrGlnVli))),
        ("(8110)01234561234561111012360", Some(Coupon(CouponError::InvalidRetailerGcpOrGlnLength))),
        ("(8110)01234561234561111012361", Some(Coupon(CouponError::TruncatedRetailerGcpOrGln))),
        ("(8110)0123456123456111101239", Some(Coupon(CouponError::MissingSaveValueCode))),
        ("(8110)01234561234561111012393", Some(Coupon(CouponError::InvalidSaveValueCode))),
        ("(8110)01234561234561111012390", Some(Coupon(CouponError::MissingSaveValueAppliesToItem))),
        (
            "(8110)012345612345611110123903",
            Some(Coupon(CouponError::InvalidSaveValueAppliesToItem)),
        ),
        ("(8110)012345612345611110123900", Some(Coupon(CouponError::MissingStoreCouponFlag))),
        ("(8110)0123456123456111101239000", Some(Coupon(CouponError::MissingDontMultiplyFlag))),
        ("(8110)01234561234561111012390002", Some(Coupon(CouponError::InvalidDontMultiplyFlag))),
        ("(8110)012345612345611110123900000", Some(Coupon(CouponError::ExcessData))),
        ("(4309)18000000010000000000", Some(InvalidLatitude)),
        ("(4309)00000000003600000001", Some(InvalidLongitude)),
        ("(4330)000000X", Some(NotHyphen)),
        ("(7252)5", Some(NotIso5218)),
        ("(7258)111", Some(PositionInSequenceMalformed)),
        ("(7258)0/3", Some(IllegalZeroPrefix)),
        ("(7258)2/1", Some(PositionExceedsEnd)),
        ("(8007)FR1234", Some(IbanTooShort)),
        ("(01)95012345678903(3103)000123", None),
        ("(01)95012345678902(3103)000123", Some(IncorrectCheckDigit)),
        ("(01)95012345678903(11)131313", Some(IllegalMonth)),
    ];
    for (input, expect) in cases {
        let got = match ElementString::parse_bracketed(input.as_bytes(), &lenient()) {
            Ok(_) => None,
            Err(Error::Lint { kind, .. }) => Some(kind),
            Err(e) => panic!("{input}: failed for a non-linter reason: {e}"),
        };
        assert_eq!(got, *expect, "{input}");
    }
}

/// ai.c `test_ai_processAIdata`: raw AI data, `^` = FNC1 in first position.
#[test]
fn engine_process_ai_data() {
    let cases: &[(bool, &str)] = &[
        (false, "^"),
        (false, "^891234"),
        (true, "^991234"),
        (false, "^99~ABC"),
        (false, "^99ABC~"),
        (true, "^0112345678901231"),
        (false, "^01A2345678901231"),
        (false, "^011234567890123A"),
        (false, "^0112345678901234"),
        (false, "^011234567890123"),
        (false, "^01123456789012312"),
        (true, "^0112345678901231^"),
        (false, "^011234567890123^"),
        (false, "^01123456789012345^"),
        (false, "^01123456789012345^991234"),
        (true, "^0112345678901231991234"),
        (true, "^0112345678901231^991234"),
        (true, "^2421"),
        (true, "^24212"),
        (true, "^242123"),
        (true, "^2421234"),
        (true, "^24212345"),
        (true, "^242123456"),
        (true, "^242123456^10ABC123"),
        (true, "^242123456^"),
        (false, "^2421234567"),
        (true, "^81111234"),
        (false, "^8111123"),
        (false, "^811112345"),
        (true, "^81111234^10ABC123"),
        (true, "^800112341234512398"),
        (false, "^80011234123451239"),
        (false, "^8001123412345123981"),
        (true, "^800112341234512398^0112345678901231"),
        (false, "^80011234123451239^0112345678901231"),
        (false, "^8001123412345123981^01123456789012312"),
        (true, "^7007211225211231"),
        (true, "^7007211225"),
        (false, "^70072112252"),
        (false, "^700721122521"),
        (false, "^7007211225211"),
        (false, "^70072112252112"),
        (false, "^700721122521123"),
        (false, "^70072112252212311"),
        (true, "^800302112345678900ABC"),
        (false, "^800302112345678901ABC"),
        (true, "^800302112345678900"),
        (true, "^800302112345678900^10ABC123"),
        (true, "^800302112345678900ABCDEFGHIJKLMNOP"),
        (false, "^800302112345678900ABCDEFGHIJKLMNOPQ"),
        (true, "^7230121234567890123456789012345678"),
        (false, "^72301212345678901234567890123456789"),
        (true, "^7230123"),
        (false, "^723012"),
        (false, "^423"),
        (false, "^4235"),
        (false, "^42352"),
        (true, "^423528"),
        (false, "^4235285"),
        (false, "^42352852"),
        (true, "^423528528"),
        (false, "^4235285285"),
        (false, "^42352852852"),
        (true, "^423528528528"),
        (false, "^4235285285285"),
        (false, "^42352852852852"),
        (true, "^423528528528528"),
        (false, "^4235285285285285"),
        (false, "^42352852852852852"),
        (true, "^423528528528528528"),
        (false, "^4235285285285285285"),
    ];
    for (ok, input) in cases {
        let r = ElementString::parse_element_string(&raw(input), &lenient());
        assert_eq!(r.is_ok(), *ok, "{input}: {r:?}");
    }
}

/// ai.c `test_ai_validateAIassociations`: pairing, exclusion and repeats.
#[test]
fn engine_associations() {
    let cases: &[(bool, &str)] = &[
        (true, "(400)ABC"),
        (true, "(400)ABC(400)ABC"),
        (true, "(400)ABC(99)DEF(400)ABC"),
        (true, "(99)ABC(400)XYZ(400)XYZ"),
        (false, "(400)ABC(400)AB"),
        (false, "(400)ABC(400)ABCD"),
        (false, "(400)ABC(400)ABC(400)XYZ"),
        (false, "(400)ABC(400)XYZ(400)ABC"),
        (false, "(400)ABC(400)XYZ(400)XYZ"),
        (false, "(400)ABC(99)DEF(400)XYZ"),
        (false, "(99)ABC(400)ABC(400)XYZ"),
        (false, "(01)12345678901231(02)12345678901231"),
        (false, "(99)ABC123(01)12345678901231(02)12345678901231"),
        (false, "(01)12345678901231(99)ABC123(02)12345678901231"),
        (false, "(01)12345678901231(02)12345678901231(99)ABC123"),
        (false, "(01)12345678901231(255)5412345000150"),
        (false, "(01)12345678901231(37)123"),
        (false, "(21)ABC123(235)XYZ"),
        (false, "(3940)1234(8111)9999"),
        (false, "(3940)1234(3941)9999"),
        (false, "(3955)123456(3929)123"),
        (false, "(02)12345678901231"),
        (false, "(02)12345678901231(37)123"),
        (false, "(99)AAA(02)12345678901231(37)123"),
        (false, "(02)12345678901231(99)AAA(37)123"),
        (false, "(02)12345678901231(37)123(99)AAA"),
        (true, "(02)12345678901231(37)123(00)123456789012345675"),
        (true, "(91)XXX(02)12345678901231(92)YYY(37)123(93)ZZZ(00)123456789012345675"),
        (false, "(21)ABC123"),
        (true, "(21)ABC123(01)12345678901231"),
        (true, "(21)ABC123(8006)123456789012310510"),
        (false, "(01)12345678901231(250)ABC123"),
        (true, "(01)12345678901231(21)XYZ999(250)ABC123"),
        (false, "(01)12345678901231(3925)12599"),
        (true, "(01)12345678901231(3925)12599(30)123"),
        (true, "(01)12345678901231(3925)12599(3100)654321"),
        (true, "(01)12345678901231(3925)12599(3105)654321"),
        (true, "(01)12345678901231(3925)12599(3160)654321"),
        (true, "(01)12345678901231(3925)12599(3165)654321"),
        (true, "(01)12345678901231(3925)12599(3295)654321"),
        (true, "(01)12345678901231(3925)12599(3500)654321"),
        (true, "(01)12345678901231(3925)12599(3575)654321"),
        (true, "(01)12345678901231(3925)12599(3600)654321"),
        (true, "(01)12345678901231(3925)12599(3695)654321"),
        (false, "(8030)DIGSIG"),
        (true, "(8030)DIGSIG(00)123456789012345675"),
        (false, "(8030)DIGSIG(01)12345678901231"),
        (true, "(8030)DIGSIG(01)12345678901231(21)ABC123"),
        (true, "(8030)DIGSIG(253)1234567890128X"),
        (true, "(8030)DIGSIG(255)12345678901280"),
        (true, "(8030)DIGSIG(8003)01234567890128X"),
        (true, "(8030)DIGSIG(8004)01234567890"),
        (false, "(8030)DIGSIG(8006)123456789012310102"),
        (true, "(8030)DIGSIG(8006)123456789012310102(21)ABC123"),
        (false, "(8030)DIGSIG(8010)1234567890"),
        (true, "(8030)DIGSIG(8010)1234567890(8011)123456789012"),
        (true, "(8030)DIGSIG(8017)123456789012345675"),
        (true, "(8030)DIGSIG(8018)123456789012345675"),
        // validateDigSigRequiresSerialisedKey
        (true, "(253)1234567890128"),
        (false, "(253)1234567890128(8030)ABC123"),
        (true, "(253)1234567890128X(8030)ABC123"),
        (true, "(255)1234567890128"),
        (false, "(255)1234567890128(8030)ABC123"),
        (true, "(255)12345678901280(8030)ABC123"),
        (true, "(8003)01234567890128"),
        (false, "(8003)01234567890128(8030)ABC123"),
        (true, "(8003)01234567890128X(8030)ABC123"),
    ];
    for (ok, input) in cases {
        // The engine's test first requires the data to parse without pairing checks.
        bracketed(true, input, false);
        bracketed(*ok, input, true);
    }
}

/// scandata.c `test_scandata_processScanData`.
#[test]
fn engine_process_scan_data() {
    let cases: &[(bool, &str)] = &[
        (false, ""),
        (false, "ABC"),
        (false, "]"),
        (false, "]X"),
        (false, "]XX"),
        (false, "]e0"),
        (true, "]Q1"),
        (true, "]Q1TESTING"),
        (true, "]Q1^TESTING"),
        (true, "]Q1\\^TESTING"),
        (false, "]Q3"),
        (true, "]Q3011231231231233310ABC123^99TESTING"),
        (true, "]Q1https://example.com/01/12312312312333?99=TEST"),
        (true, "]Q1HTTPS://example.com/01/12312312312333?99=TEST"),
        (true, "]Q1HtTps://example.com/01/12312312312333?99=TEST"),
        (true, "]d1"),
        (true, "]d1TESTING"),
        (false, "]d2"),
        (true, "]d2011231231231233310ABC123^99TESTING"),
        (true, "]d1https://example.com/01/12312312312333?99=TEST"),
        (true, "]d1HTTPS://example.com/01/12312312312333?99=TEST"),
        (true, "]d1HtTps://example.com/01/12312312312333?99=TEST"),
        (true, "]e0011231231231233310ABC123^99TESTING"),
        (true, "]e0011231231231233310ABC123^99TESTING^98XYZ"),
        (true, "]e0011231231231233310ABC123^1199122598TESTING^97XYZ"),
        (false, "]C1"),
        (true, "]C1011231231231233310ABC123^99TESTING"),
        (false, "]E0"),
        (false, "]E0123456789012"),
        (false, "]E012345678901234"),
        (false, "]E01234ABC890123"),
        (false, "]E02112345678901"),
        (true, "]E02112345678900"),
        (true, "]E02112345678900|]e099COMPOSITE^98XYZ"),
        (false, "]E4"),
        (false, "]E41234567"),
        (false, "]E4123456789"),
        (false, "]E412ABC678"),
        (false, "]E402345674"),
        (true, "]E402345673"),
        (true, "]E402345673|]e099COMPOSITE^98XYZ"),
    ];
    for (ok, input) in cases {
        let r = ElementString::parse_scan(&raw(input), &lenient());
        assert_eq!(r.is_ok(), *ok, "{input}: {r:?}");
    }
    // AI extraction checks from the same test.
    let es =
        ElementString::parse_scan(b"]Q1https://example.com/01/12312312312333?99=TEST", &lenient())
            .unwrap();
    assert_eq!(es.element_string('^').to_string(), "011231231231233399TEST");
    let es =
        ElementString::parse_scan(b"]Q1HtTps://example.com/01/12312312312333?99=TEST", &lenient())
            .unwrap();
    assert!(es.is_empty());
    let es = ElementString::parse_scan(b"]E02112345678900", &lenient()).unwrap();
    assert_eq!(es.gtin(), Some("02112345678900"));
}

/// dl.c `test_dl_parseDLuri`: URI, expected element string (`None`: fails).
#[test]
fn engine_parse_dl_uri() {
    let cases: &[(&str, Option<&str>)] = &[
        ("", None),
        ("ftp://", None),
        ("http://", None),
        ("http:///", None),
        ("http://a", None),
        ("http://a/", None),
        ("http://a/b", None),
        ("http://a/b/", None),
        ("http://a/00/006141411234567890", Some("00006141411234567890")),
        ("HTTP://a/00/006141411234567890", Some("00006141411234567890")),
        ("https://a/00/006141411234567890", Some("00006141411234567890")),
        ("HTTPS://a/00/006141411234567890", Some("00006141411234567890")),
        ("HtTp://a/b/00/006141411234567890", None),
        ("https://00/006141411234567890", None),
        ("https://a/01/12312312312333", Some("0112312312312333")),
        ("https://xn--fsq.xn--0zwm56d/01/12312312312333", Some("0112312312312333")),
        ("https://a./01/12312312312333", Some("0112312312312333")),
        ("https://a:65535/01/12312312312333", Some("0112312312312333")),
        ("https://192.0.2.1/01/12312312312333", Some("0112312312312333")),
        ("https://3232235777/01/12312312312333", Some("0112312312312333")),
        ("https://0300.0250.01.01/01/12312312312333", Some("0112312312312333")),
        ("https://0xC0.0xA8.0x01.0x01/01/12312312312333", Some("0112312312312333")),
        ("https://[2001:db8::1]/01/12312312312333", Some("0112312312312333")),
        ("https://[fe80::1%25lo]/01/12312312312333", None),
        ("https://$a/006141411234567890", None),
        ("https://a$/006141411234567890", None),
        ("https://a/stem/00/006141411234567890", Some("00006141411234567890")),
        ("https://a/more/stem/00/006141411234567890", Some("00006141411234567890")),
        ("https://a/00/faux/00/006141411234567890", Some("00006141411234567890")),
        ("https://a/gtin/12312312312333", None),
        ("https://a/01/2112345678900", None),
        ("https://a/01/416000336108", None),
        ("https://a/01/02345673", None),
        (
            "https://a/01/12312312312333/22/TEST/10/ABC/21/XYZ",
            Some("011231231231233322TEST^10ABC^21XYZ"),
        ),
        ("https://a/01/12312312312333/235/TEST", Some("0112312312312333235TEST")),
        ("https://a/253/1231231231232", Some("2531231231231232")),
        ("https://a/253/1231231231232TEST5678901234567", Some("2531231231231232TEST5678901234567")),
        ("https://a/253/1231231231232TEST56789012345678", None),
        ("https://a/8018/123456789012345675/8019/123", Some("8018123456789012345675^8019123")),
        ("https://a/stem/00/006141411234567890/", None),
        ("https://a/stem/00/006141411234567890?", Some("00006141411234567890")),
        ("https://a/stem/00/006141411234567890?99=ABC", Some("0000614141123456789099ABC")),
        ("https://a/stem/401/12345678?99=ABC", Some("40112345678^99ABC")),
        ("https://a/01/12312312312333?99=ABC&98=XYZ", Some("011231231231233399ABC^98XYZ")),
        ("https://a/01/12312312312333?99=", None),
        ("https://a/01/12312312312333?99=ABC&999=faux", None),
        (
            "https://a/01/12312312312333?&&&99=ABC&&&&&&98=XYZ&&&",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?99=ABC&unknown=666&98=XYZ",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?unknown=666&99=ABC&98=XYZ",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?99=ABC&98=XYZ&unknown=666",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?unknown1=555&99=ABC&unknown2=666&98=XYZ&unknown3=777",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?99=ABC&singleton&98=XYZ",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?singleton&99=ABC&98=XYZ",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?99=ABC&98=XYZ&singleton",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333?singleton1&unknown1=555&99=ABC&singleton2&unknown2=6666&98=XYZ&unknown3=777&singleton3",
            Some("011231231231233399ABC^98XYZ"),
        ),
        (
            "https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ%2f987",
            Some("011231231231233322ABC-123^99ABC^98XYZ/987"),
        ),
        (
            "https://a/01/12312312312333/22/ABC+123?99=ABC&98=XYZ%2f987",
            Some("011231231231233322ABC+123^99ABC^98XYZ/987"),
        ),
        ("https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ+987", None),
        (
            "https://a/01/12312312312333/22/test/10/abc/21/xyz#",
            Some("011231231231233322test^10abc^21xyz"),
        ),
        (
            "https://a/01/12312312312333/22/test/10/abc/21/xyz#fragment",
            Some("011231231231233322test^10abc^21xyz"),
        ),
        ("https://a/stem/00/006141411234567890?99=ABC#", Some("0000614141123456789099ABC")),
        ("https://a/stem/00/006141411234567890?99=ABC#fragment", Some("0000614141123456789099ABC")),
        ("https://id.gs1.org/01/09520123456788", Some("0109520123456788")),
        ("https://id.gs1.org/01/09520123456788/22/2A", Some("0109520123456788222A")),
        ("https://id.gs1.org/01/09520123456788/10/ABC123", Some("010952012345678810ABC123")),
        ("https://id.gs1.org/01/09520123456788/21/12345", Some("01095201234567882112345")),
        (
            "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426",
            Some("010952012345678810ABC1^2112345^17180426"),
        ),
        ("https://id.gs1.org/01/09520123456788?3103=000195", Some("01095201234567883103000195")),
        (
            "https://example.com/01/09520123456788?3103=000195&3922=0299&17=201225",
            Some("0109520123456788310300019539220299^17201225"),
        ),
        (
            "https://id.gs1.org/01/09520123456788?17=201225&3103=000195&3922=0299",
            Some("010952012345678817201225310300019539220299"),
        ),
        ("https://id.gs1.org/00/952012345678912345", Some("00952012345678912345")),
        (
            "https://id.gs1.org/00/952012345678912345?02=09520123456788&37=25&10=ABC123",
            Some("0095201234567891234502095201234567883725^10ABC123"),
        ),
        ("https://id.gs1.org/414/9520123456788", Some("4149520123456788")),
        ("https://id.gs1.org/414/9520123456788/254/32a%2Fb", Some("414952012345678825432a/b")),
        (
            "https://example.com/8004/9520614141234567?01=9520123456788",
            Some("80049520614141234567^0109520123456788"),
        ),
        ("https://example.com/01/09520123456788?10=ABC123", None),
        (
            "https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123",
            Some("0109520123456788235XYZ^10ABC123"),
        ),
        ("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&01=09520123456788", None),
        ("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&10=ABC123", None),
        ("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&99=XYZ789", None),
        ("https://example.com/01/09520123456788/89/ABC123?99=XYZ", None),
        ("https://example.com/01/09520123456788?99=XYZ&89=ABC123", None),
    ];
    for (input, expect) in cases {
        let r = ElementString::parse_digital_link(input.as_bytes(), &lenient());
        match (r, expect) {
            (Ok(es), Some(e)) => assert_eq!(es.element_string('^').to_string(), *e, "{input}"),
            (Err(_), None) => {}
            (r, _) => panic!("{input}: expected {expect:?}, got {r:?}"),
        }
    }
    // Zero-suppressed GTINs in the path, when enabled.
    let mut opts = lenient();
    opts.zero_suppressed_gtin_in_dl = true;
    for (input, gtin) in [
        ("https://a/01/2112345678900", "02112345678900"),
        ("https://a/01/416000336108", "00416000336108"),
        ("https://a/01/02345673", "00000002345673"),
        ("https://brand.example.com/some-extra/pathinfo/01/9520123456788", "09520123456788"),
    ] {
        let es = ElementString::parse_digital_link(input.as_bytes(), &opts).unwrap();
        assert_eq!(es.gtin(), Some(gtin), "{input}");
    }
}

/// gs1encoders.c `test_api_dataStr`, `test_api_getAIdataStr`, `test_api_getHRI`:
/// full-flow inputs, pairing rules checked.
#[test]
fn engine_api() {
    let es = ElementString::parse(b"(01)12312312312333(10)ABC123|(99)COMPOSITE").unwrap();
    assert_eq!(es.len(), 3);
    let es = ElementString::parse(raw("^41512312312312328020REF00112991225^99123123").as_slice())
        .unwrap();
    assert_eq!(es.get("8020"), Some("REF00112991225"));
    let es = ElementString::parse(raw("^011231231231233310ABC(123").as_slice()).unwrap();
    assert_eq!(es.bracketed().to_string(), "(01)12312312312333(10)ABC\\(123");
    let es = ElementString::parse(b"https://example.org/01/12312312312333/10/ABC123").unwrap();
    assert_eq!(es.bracketed().to_string(), "(01)12312312312333(10)ABC123");
    assert!(ElementString::parse(b"HtTp://example.org/01/12312312312333/10/ABC123").is_err());
    let es = ElementString::parse(
        b"https://a/01/12312312312333/22/TESTING?singleton&99=ABC%2d123&compound1=QWERTY&98=XYZ&compound2=12345",
    )
    .unwrap();
    let got: Vec<String> = es.iter().map(|(ai, v)| format!("({ai}) {v}")).collect();
    assert_eq!(got, ["(01) 12312312312333", "(22) TESTING", "(99) ABC-123", "(98) XYZ"]);
    let es = ElementString::parse(b"]e0011231231231233310ABC123\x1d99XYZ").unwrap();
    assert_eq!(es.symbology(), Some("e0"));
    assert_eq!(es.element_string('^').to_string(), "011231231231233310ABC123^99XYZ");
}

/// The line's own cases: day 00, pairing of 10/17 and 37, keyboard wedges.
#[test]
fn line_cases() {
    let es = ElementString::parse(b"(01)09506000134352(17)261200(10)ABC123").unwrap();
    let exp = es.expiry().unwrap();
    assert!(exp.is_end_of_month());
    assert_eq!(exp.day(), None);
    assert_eq!(exp.to_ymd(2025), (2026, 12, 31));
    // (10) and (17) need (01) or (02); (37) goes with (02), not (01).
    assert!(ElementString::parse(b"(10)ABC").is_err());
    assert!(ElementString::parse(b"(17)261231").is_err());
    assert!(matches!(
        ElementString::parse(b"(00)123456789012345675(01)09506000134352(37)10"),
        Err(Error::InvalidPairing { .. })
    ));
    // Without requisite checks (one of several carriers), exclusions still hold.
    let partial = ParseOptions::new().with_requisites(false);
    assert!(ElementString::parse_with(b"(10)ABC(17)261231", &partial).is_ok());
    assert!(ElementString::parse_with(b"(01)09506000134352(37)10", &partial).is_err());
    assert!(ElementString::parse_with(b"(400)A(400)B", &partial).is_err());
    let es = ElementString::parse(b"(00)123456789012345675(02)09506000134352(37)10").unwrap();
    assert_eq!(es.count(), Some(10));
    assert_eq!(es.sscc(), Some("123456789012345675"));
    // A wedge that sends FNC1 as '#'.
    let opts = ParseOptions::new().with_separator(b'#');
    let es = ElementString::parse_with(b"]d20109506000134352\x3021XYZ#10LOT7", &opts);
    assert!(es.is_err(), "0x30 is not a separator");
    let es = ElementString::parse_with(b"]d2010950600013435221XYZ#10LOT7", &opts).unwrap();
    assert_eq!((es.serial(), es.batch()), (Some("XYZ"), Some("LOT7")));
    // Errors name the AI and position.
    let err = ElementString::parse(b"]d20109506000134353").unwrap_err();
    assert_eq!(err.ai().map(|a| a.to_string()), Some("01".to_string()));
    assert_eq!(err.pos(), Some(18));
    assert_eq!(err.to_string(), "ai (01) at 18: incorrect check digit");
}
