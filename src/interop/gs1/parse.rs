//! Parsers for the three input forms, and the validation they share.
//!
//! Every parser checks lengths before reading, indexes only through `get`,
//! and copies values into the caller's fixed-capacity [`ElementStringBuf`].

use super::lint::check_cset;
use super::{Ai, AiEntry, ElementStringBuf, Error, lookup, lookup_prefix};

/// ASCII 29, the group separator scanners send for FNC1.
pub const GS: u8 = 0x1d;

/// Longest value any AI takes; bounds the scratch space for decoding.
pub(crate) const MAX_VALUE: usize = 90;

/// How to read input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The byte standing for FNC1 in raw scans and element strings. ASCII 29
    /// (GS) by default; keyboard-wedge scanners are often set to remap it.
    pub separator: u8,
    /// Check the dictionary's `ex=` exclusions and that repeated AIs agree
    /// (always on in the reference engine's API), and, if
    /// `check_requisites` is also set, the `req=` rules. Off checks each AI
    /// alone, as the engine's lower-level parse functions do.
    pub check_pairings: bool,
    /// With `check_pairings`, also check `req=` rules and that a digital
    /// signature (8030) has a serialised key (the engine's default). Turn
    /// off to validate data from one of several carriers on the same item.
    pub check_requisites: bool,
    /// Accept GTIN-8, -12 and -13 in a Digital Link path's `/01/` and pad
    /// them to 14 digits (off by default, as in the reference engine).
    pub zero_suppressed_gtin_in_dl: bool,
}

impl ParseOptions {
    /// The defaults: GS separator, pairing and requisite rules checked, no
    /// zero-suppressed GTINs in Digital Link paths.
    #[must_use]
    pub const fn new() -> Self {
        ParseOptions {
            separator: GS,
            check_pairings: true,
            check_requisites: true,
            zero_suppressed_gtin_in_dl: false,
        }
    }

    /// The same options with another FNC1 separator byte.
    #[must_use]
    pub const fn with_separator(mut self, separator: u8) -> Self {
        self.separator = separator;
        self
    }

    /// The same options with all pairing checks switched on or off.
    #[must_use]
    pub const fn with_pairings(mut self, check: bool) -> Self {
        self.check_pairings = check;
        self
    }

    /// The same options with `req=` checks switched on or off.
    #[must_use]
    pub const fn with_requisites(mut self, check: bool) -> Self {
        self.check_requisites = check;
        self
    }
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self::new()
    }
}

fn ai_of(entry: &AiEntry, data: &[u8]) -> Option<Ai> {
    data.get(..entry.ai_len()).and_then(|b| core::str::from_utf8(b).ok()).and_then(Ai::new)
}

/// Validates `value` component by component; returns how many bytes the
/// components consumed (less than `value.len()` when the data runs on).
pub(crate) fn validate_value(
    entry: &AiEntry,
    ai: Ai,
    value: &[u8],
    pos: usize,
) -> Result<usize, Error> {
    if value.is_empty() {
        return Err(Error::EmptyValue { ai, pos });
    }
    let mut p = 0usize;
    for comp in entry.components {
        let rest = value.get(p..).unwrap_or(&[]);
        let len = rest.len().min(usize::from(comp.max));
        if comp.optional && len == 0 {
            continue;
        }
        if len < usize::from(comp.min) {
            return Err(Error::TooShort { ai, pos: pos + p });
        }
        let part = rest.get(..len).unwrap_or(&[]);
        check_cset(comp.cset, part).map_err(|(kind, off)| Error::Lint {
            ai,
            pos: pos + p + off,
            kind,
        })?;
        for linter in comp.linters {
            linter.check(part).map_err(|(kind, off)| Error::Lint {
                ai,
                pos: pos + p + off,
                kind,
            })?;
        }
        p += len;
    }
    Ok(p)
}

/// Length check done before the linters, as the reference engine does for
/// bracketed and Digital Link input.
fn check_length(entry: &AiEntry, ai: Ai, value: &[u8], pos: usize) -> Result<(), Error> {
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

fn validate_whole(entry: &AiEntry, ai: Ai, value: &[u8], pos: usize) -> Result<(), Error> {
    check_length(entry, ai, value, pos)?;
    if validate_value(entry, ai, value, pos)? == value.len() {
        Ok(())
    } else {
        Err(Error::TooLong { ai, pos })
    }
}

impl<const AIS: usize, const DATA: usize> ElementStringBuf<AIS, DATA> {
    /// Parses any supported form, chosen by its first bytes: a scan with a
    /// symbology identifier (`]`), bracketed data (`(`), a Digital Link URI
    /// (`http://`, `https://`), or otherwise raw AI data with GS separators.
    /// Uses [`ParseOptions::new`].
    ///
    /// ```
    /// use lotledger::interop::gs1::{ElementString, Error};
    ///
    /// let scan = b"]d2010950600013435217261231\x1d10ABC123";
    /// let es = ElementString::parse(scan)?;
    /// assert_eq!(es.gtin(), Some("09506000134352"));
    /// assert_eq!(es.batch(), Some("ABC123"));
    /// let expiry = es.expiry().ok_or(Error::Empty)?;
    /// assert_eq!(expiry.to_ymd(2025), (2026, 12, 31));
    /// assert_eq!(es.bracketed().to_string(), "(01)09506000134352(17)261231(10)ABC123");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error`] naming the AI and byte position of the first fault.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::parse_with(input, &ParseOptions::new())
    }

    /// [`Self::parse`] with explicit options.
    ///
    /// # Errors
    ///
    /// As [`Self::parse`].
    pub fn parse_with(input: impl AsRef<[u8]>, opts: &ParseOptions) -> Result<Self, Error> {
        let input = input.as_ref();
        match input.first() {
            Some(b']') => Self::parse_scan(input, opts),
            Some(b'(') => Self::parse_bracketed(input, opts),
            Some(b'h' | b'H') => Self::parse_digital_link(input, opts),
            _ => Self::parse_element_string(input, opts),
        }
    }

    /// Parses a raw scan: a symbology identifier, then the data. `]d2`,
    /// `]C1`, `]e0` and `]Q3` carry AI data with FNC1 sent as
    /// `opts.separator`; `]d1` and `]Q1` carry plain data, which is read as a
    /// Digital Link URI if it is one and otherwise gives an empty result (as
    /// the reference engine accepts it); `]E0` and `]E4` carry an EAN-13/UPC
    /// or EAN-8, read as AI (01), optionally followed by `|]e0` and a
    /// composite component.
    ///
    /// # Errors
    ///
    /// As [`Self::parse`].
    pub fn parse_scan(input: &[u8], opts: &ParseOptions) -> Result<Self, Error> {
        let (Some(b']'), Some(id), Some(rest)) = (input.first(), input.get(1..3), input.get(3..))
        else {
            return Err(Error::MissingSymbologyId);
        };
        let mut out = Self::new();
        let sym = [id.first().copied().unwrap_or(0), id.get(1).copied().unwrap_or(0)];
        match id {
            b"d2" | b"C1" | b"e0" | b"Q3" => {
                out.read_element_string(rest, 3, opts.separator)?;
            }
            b"d1" | b"Q1" => {
                let dl = [&b"https://"[..], b"HTTPS://", b"http://", b"HTTP://"];
                if dl.iter().any(|s| rest.starts_with(s)) {
                    out.read_digital_link(rest, 3, opts)?;
                }
                out.symbology = Some(sym);
                return Ok(out);
            }
            b"E0" | b"E4" => {
                let n = if id == b"E0" { 13 } else { 8 };
                let primary = rest.get(..n).ok_or(Error::BadPrimary { pos: 3 })?;
                if !primary.iter().all(u8::is_ascii_digit)
                    || super::lint::Linter::Csum.check(primary).is_err()
                {
                    return Err(Error::BadPrimary { pos: 3 });
                }
                let mut gtin = [b'0'; 14];
                gtin.iter_mut().skip(14 - n).zip(primary).for_each(|(d, s)| *d = *s);
                let ai = Ai::new("01").ok_or(Error::BadPrimary { pos: 3 })?;
                out.push_raw(ai, &gtin, 3, None)?;
                let tail = rest.get(n..).unwrap_or(&[]);
                if !tail.is_empty() {
                    let cc = tail.strip_prefix(b"|]e0").ok_or(Error::BadPrimary { pos: 3 + n })?;
                    out.read_element_string(cc, 3 + n + 4, opts.separator)?;
                }
            }
            _ => return Err(Error::UnsupportedSymbology { pos: 1 }),
        }
        if opts.check_pairings {
            out.check_pairings(opts.check_requisites)?;
        }
        out.symbology = Some(sym);
        Ok(out)
    }

    /// Parses raw AI data (what follows the symbology identifier), with
    /// FNC1 as `opts.separator`. A leading separator (FNC1 in first
    /// position) is allowed.
    ///
    /// # Errors
    ///
    /// As [`Self::parse`].
    pub fn parse_element_string(input: &[u8], opts: &ParseOptions) -> Result<Self, Error> {
        let (data, base) = match input.split_first() {
            Some((b, rest)) if *b == opts.separator => (rest, 1),
            _ => (input, 0),
        };
        let mut out = Self::new();
        out.read_element_string(data, base, opts.separator)?;
        if opts.check_pairings {
            out.check_pairings(opts.check_requisites)?;
        }
        Ok(out)
    }

    fn read_element_string(&mut self, data: &[u8], base: usize, sep: u8) -> Result<(), Error> {
        if data.is_empty() {
            return Err(Error::Empty);
        }
        let mut i = 0usize;
        while let Some(rest) = data.get(i..).filter(|r| !r.is_empty()) {
            let entry = lookup_prefix(rest).ok_or(Error::UnknownAi { pos: base + i })?;
            let ai = ai_of(entry, rest).ok_or(Error::UnknownAi { pos: base + i })?;
            let vstart = i + entry.ai_len();
            let tail = data.get(vstart..).unwrap_or(&[]);
            let end = tail.iter().position(|b| *b == sep).unwrap_or(tail.len());
            let region = tail.get(..end).unwrap_or(&[]);
            let used = validate_value(entry, ai, region, base + vstart)?;
            if !entry.fixed_length && used != region.len() {
                return Err(Error::TooLong { ai, pos: base + vstart });
            }
            self.push_raw(ai, region.get(..used).unwrap_or(&[]), base + vstart, None)?;
            i = vstart + used;
            if data.get(i) == Some(&sep) {
                i += 1;
            }
        }
        Ok(())
    }

    /// Parses the bracketed human-readable form, `(01)...(10)...`. A `(`
    /// inside a value is written `\(`; `|` may separate the data of a linear
    /// symbol from that of its composite component, `(01)...|(99)...`.
    ///
    /// # Errors
    ///
    /// As [`Self::parse`].
    pub fn parse_bracketed(input: &[u8], opts: &ParseOptions) -> Result<Self, Error> {
        if input.is_empty() {
            return Err(Error::Empty);
        }
        let mut out = Self::new();
        let mut i = 0usize;
        while i < input.len() {
            if input.get(i) != Some(&b'(') {
                return Err(Error::Syntax { pos: i });
            }
            let after = input.get(i + 1..).unwrap_or(&[]);
            let close = after.iter().position(|b| *b == b')').ok_or(Error::Syntax { pos: i })?;
            let ai_text =
                after.get(..close).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("");
            let entry = lookup(ai_text).ok_or(Error::UnknownAi { pos: i + 1 })?;
            let ai = Ai::new(ai_text).ok_or(Error::UnknownAi { pos: i + 1 })?;
            let vpos = i + 1 + close + 1;
            let mut value: heapless::Vec<u8, { MAX_VALUE + 1 }> = heapless::Vec::new();
            let mut j = vpos;
            let mut overflow = false;
            while let Some(&b) = input.get(j) {
                if b == b'(' {
                    break;
                }
                // "|(" separates a linear symbol's data from its composite
                // component, as in the reference engine's bracketed form.
                if b == b'|' && input.get(j + 1) == Some(&b'(') && !value.is_empty() {
                    j += 1;
                    break;
                }
                let escaped = b == b'\\' && input.get(j + 1) == Some(&b'(');
                let byte = if escaped { b'(' } else { b };
                j += if escaped { 2 } else { 1 };
                overflow |= value.push(byte).is_err();
            }
            if overflow {
                return Err(Error::TooLong { ai, pos: vpos });
            }
            validate_whole(entry, ai, &value, vpos)?;
            out.push_raw(ai, &value, vpos, None)?;
            i = j;
        }
        if opts.check_pairings {
            out.check_pairings(opts.check_requisites)?;
        }
        Ok(out)
    }

    /// Parses a GS1 Digital Link URI (uncompressed): the path's primary key
    /// and qualifiers in one of the dictionary's `dlpkey` sequences, then
    /// query attributes. Values are percent-decoded (`+` is a space in the
    /// query only); non-numeric query parameters are ignored; a fragment is
    /// ignored.
    ///
    /// # Errors
    ///
    /// As [`Self::parse`].
    pub fn parse_digital_link(input: &[u8], opts: &ParseOptions) -> Result<Self, Error> {
        let mut out = Self::new();
        out.read_digital_link(input, 0, opts)?;
        Ok(out)
    }

    fn read_digital_link(
        &mut self,
        input: &[u8],
        base: usize,
        opts: &ParseOptions,
    ) -> Result<(), Error> {
        super::dl::read(self, input, base, opts)?;
        if opts.check_pairings {
            self.check_pairings(opts.check_requisites)?;
        }
        Ok(())
    }

    /// Checks pairing rules: repeated AIs must agree and `ex=` AIs must be
    /// absent; with `requisites`, one group of each `req=` must be present
    /// and, with a digital signature (8030), keys (253), (255) and (8003)
    /// must carry their serial component.
    pub(crate) fn check_pairings(&self, requisites: bool) -> Result<(), Error> {
        let signed = requisites && self.fields.iter().any(|f| f.ai.as_str() == "8030");
        for f in self.fields.iter().filter(|_| signed) {
            let unserialised = match f.ai.as_str() {
                "253" | "255" => f.len <= 13,
                "8003" => f.len <= 14,
                _ => false,
            };
            if unserialised {
                return Err(Error::DigSigNeedsSerial { ai: f.ai, pos: f.pos });
            }
        }
        for (n, f) in self.fields.iter().enumerate() {
            let value = self.value_bytes(f);
            if let Some(later) = self
                .fields
                .iter()
                .skip(n + 1)
                .find(|g| g.ai == f.ai && self.value_bytes(g) != value)
            {
                return Err(Error::RepeatedAiDiffers { ai: f.ai, pos: later.pos });
            }
            let Some(entry) = f.ai.entry() else { continue };
            for ex in entry.ex {
                for pat in ex.split(',') {
                    if let Some(with) = self.find_pattern(pat, f.ai) {
                        return Err(Error::InvalidPairing { ai: f.ai, with, pos: f.pos });
                    }
                }
            }
            for rule in entry.req.iter().filter(|_| requisites) {
                let met = rule.split(',').any(|group| {
                    group.split('+').all(|pat| self.find_pattern(pat, f.ai).is_some())
                });
                if !met {
                    return Err(Error::MissingRequired { ai: f.ai, rule, pos: f.pos });
                }
            }
        }
        Ok(())
    }

    /// The first AI matching `pat` (digits, then `n` wildcards) that is not
    /// `me` itself (compared over the pattern's length, as the reference does).
    fn find_pattern(&self, pat: &str, me: Ai) -> Option<Ai> {
        let prefix_len = pat.bytes().take_while(u8::is_ascii_digit).count();
        let prefix = pat.as_bytes().get(..prefix_len)?;
        let n = pat.len();
        fn head(s: &str, n: usize) -> &[u8] {
            s.as_bytes().get(..n.min(s.len())).unwrap_or(&[])
        }
        self.fields.iter().map(|f| f.ai).find(|ai| {
            ai.as_str().as_bytes().starts_with(prefix)
                && head(ai.as_str(), n) != head(me.as_str(), n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::ElementString;
    use super::*;

    fn ok(s: &str) -> bool {
        ElementString::parse_bracketed(s.as_bytes(), &ParseOptions::new().with_pairings(false))
            .is_ok()
    }

    #[test]
    fn bracketed_basics() {
        assert!(ok("(01)12345678901231"));
        assert!(ok("(10)12345\\(11)991225"));
        assert!(!ok("(10)(11)98765"));
        assert!(!ok("(17)9(90)217"));
        assert!(!ok("()12345"));
        assert!(!ok("(12345)12345"));
        assert!(!ok("("));
    }

    #[test]
    fn raw_positions_name_ai() {
        let e = ElementString::parse_element_string(b"0112345678901234", &ParseOptions::new());
        assert_eq!(
            e,
            Err(Error::Lint {
                ai: Ai::new("01").unwrap(),
                pos: 15,
                kind: super::super::LintError::IncorrectCheckDigit
            })
        );
    }

    #[test]
    fn custom_separator() {
        let opts = ParseOptions::new().with_separator(b'|').with_pairings(false);
        let es = ElementString::parse_scan(b"]d210ABC|11991225", &opts).unwrap();
        assert_eq!(es.get("11"), Some("991225"));
    }

    #[test]
    fn capacity_is_typed() {
        let r = super::super::ElementStringBuf::<1, 64>::parse_bracketed(
            b"(91)A(92)B",
            &ParseOptions::new(),
        );
        assert_eq!(r, Err(Error::Capacity { pos: 9 }));
    }
}
