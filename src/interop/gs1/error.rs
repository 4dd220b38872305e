//! Errors from parsing, validating and encoding GS1 element strings.

use core::fmt;

use super::Ai;
use super::lint::LintError;

/// Why a GS1 element string, scan or Digital Link URI was rejected.
///
/// `pos` is a byte offset into the input: where the AI or value in question
/// starts, plus the offset of the fault inside the value when known. For
/// Digital Link URIs the offset inside a value counts decoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input holds no AI data.
    Empty,
    /// A scan does not start with a symbology identifier such as `]d2`.
    MissingSymbologyId,
    /// The symbology identifier is not one that carries GS1 data.
    UnsupportedSymbology {
        /// Offset of the identifier.
        pos: usize,
    },
    /// An EAN/UPC primary message is malformed or has a bad check digit.
    BadPrimary {
        /// Offset of the primary message.
        pos: usize,
    },
    /// No known AI starts here.
    UnknownAi {
        /// Offset of the data that is not a known AI.
        pos: usize,
    },
    /// Bracketed input is malformed (unbalanced or misplaced brackets).
    Syntax {
        /// Offset of the fault.
        pos: usize,
    },
    /// An AI has an empty value.
    EmptyValue {
        /// The AI.
        ai: Ai,
        /// Offset of the AI.
        pos: usize,
    },
    /// A value (or one of its components) is shorter than allowed.
    TooShort {
        /// The AI.
        ai: Ai,
        /// Offset of the value or component.
        pos: usize,
    },
    /// A value is longer than allowed.
    TooLong {
        /// The AI.
        ai: Ai,
        /// Offset of the value.
        pos: usize,
    },
    /// A value failed a character set or linter check.
    Lint {
        /// The AI.
        ai: Ai,
        /// Offset of the offending data.
        pos: usize,
        /// The failed check.
        kind: LintError,
    },
    /// The same AI appears twice with different values.
    RepeatedAiDiffers {
        /// The AI.
        ai: Ai,
        /// Offset of the later occurrence.
        pos: usize,
    },
    /// The same AI appears twice in a Digital Link URI.
    DuplicateAi {
        /// The AI.
        ai: Ai,
        /// Offset of the later occurrence.
        pos: usize,
    },
    /// Two AIs that must not appear together do (dictionary `ex=`).
    InvalidPairing {
        /// The AI whose rule is broken.
        ai: Ai,
        /// The AI it must not appear with.
        with: Ai,
        /// Offset of `ai`.
        pos: usize,
    },
    /// An AI lacks the AIs it requires (dictionary `req=`).
    MissingRequired {
        /// The AI whose rule is broken.
        ai: Ai,
        /// The unmet rule as written in the dictionary, e.g. `01,02`.
        rule: &'static str,
        /// Offset of `ai`.
        pos: usize,
    },
    /// A digital signature, AI (8030), needs this key to carry its optional
    /// serial component.
    DigSigNeedsSerial {
        /// The key AI: (253), (255) or (8003).
        ai: Ai,
        /// Offset of the key's value.
        pos: usize,
    },
    /// A Digital Link URI is malformed (scheme, domain or characters).
    Uri {
        /// Offset of the fault.
        pos: usize,
    },
    /// A Digital Link URI's path holds no primary key.
    NoPrimaryKey,
    /// The path's key and qualifiers are not a sequence the dictionary allows.
    InvalidKeyQualifiers {
        /// The primary key AI.
        ai: Ai,
        /// Offset of the key in the path.
        pos: usize,
    },
    /// An AI in the query is not allowed as a Digital Link data attribute.
    NotDataAttribute {
        /// The AI.
        ai: Ai,
        /// Offset of the query parameter.
        pos: usize,
    },
    /// An AI in the query belongs in the path as a key qualifier.
    ShouldBeInPath {
        /// The AI.
        ai: Ai,
        /// Offset of the query parameter.
        pos: usize,
    },
    /// A percent escape decodes to a NUL byte.
    IllegalNul {
        /// Offset of the escape's value.
        pos: usize,
    },
    /// More AIs or value bytes than the fixed capacity holds.
    Capacity {
        /// Offset of the AI that did not fit.
        pos: usize,
    },
    /// The output buffer is too small for the encoding.
    BufferTooSmall,
}

impl Error {
    /// The AI the error is about, if it is about one.
    #[must_use]
    pub fn ai(&self) -> Option<Ai> {
        match self {
            Error::EmptyValue { ai, .. }
            | Error::TooShort { ai, .. }
            | Error::TooLong { ai, .. }
            | Error::Lint { ai, .. }
            | Error::RepeatedAiDiffers { ai, .. }
            | Error::DuplicateAi { ai, .. }
            | Error::InvalidPairing { ai, .. }
            | Error::MissingRequired { ai, .. }
            | Error::DigSigNeedsSerial { ai, .. }
            | Error::InvalidKeyQualifiers { ai, .. }
            | Error::NotDataAttribute { ai, .. }
            | Error::ShouldBeInPath { ai, .. } => Some(*ai),
            _ => None,
        }
    }

    /// The byte offset in the input the error points at, if any.
    #[must_use]
    pub fn pos(&self) -> Option<usize> {
        match self {
            Error::Empty
            | Error::MissingSymbologyId
            | Error::NoPrimaryKey
            | Error::BufferTooSmall => None,
            Error::UnsupportedSymbology { pos }
            | Error::BadPrimary { pos }
            | Error::UnknownAi { pos }
            | Error::Syntax { pos }
            | Error::EmptyValue { pos, .. }
            | Error::TooShort { pos, .. }
            | Error::TooLong { pos, .. }
            | Error::Lint { pos, .. }
            | Error::RepeatedAiDiffers { pos, .. }
            | Error::DuplicateAi { pos, .. }
            | Error::InvalidPairing { pos, .. }
            | Error::MissingRequired { pos, .. }
            | Error::DigSigNeedsSerial { pos, .. }
            | Error::Uri { pos }
            | Error::InvalidKeyQualifiers { pos, .. }
            | Error::NotDataAttribute { pos, .. }
            | Error::ShouldBeInPath { pos, .. }
            | Error::IllegalNul { pos }
            | Error::Capacity { pos } => Some(*pos),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Empty => f.write_str("no ai data"),
            Error::MissingSymbologyId => f.write_str("missing symbology identifier"),
            Error::UnsupportedSymbology { pos } => {
                write!(f, "unsupported symbology identifier at {pos}")
            }
            Error::BadPrimary { pos } => write!(f, "bad ean/upc primary message at {pos}"),
            Error::UnknownAi { pos } => write!(f, "no known ai at {pos}"),
            Error::Syntax { pos } => write!(f, "malformed bracketed data at {pos}"),
            Error::EmptyValue { ai, pos } => write!(f, "ai ({ai}) at {pos}: empty value"),
            Error::TooShort { ai, pos } => write!(f, "ai ({ai}) at {pos}: value too short"),
            Error::TooLong { ai, pos } => write!(f, "ai ({ai}) at {pos}: value too long"),
            Error::Lint { ai, pos, kind } => write!(f, "ai ({ai}) at {pos}: {kind}"),
            Error::RepeatedAiDiffers { ai, pos } => {
                write!(f, "ai ({ai}) at {pos}: repeated with a different value")
            }
            Error::DuplicateAi { ai, pos } => write!(f, "ai ({ai}) at {pos}: duplicated"),
            Error::InvalidPairing { ai, with, pos } => {
                write!(f, "ai ({ai}) at {pos}: must not appear with ({with})")
            }
            Error::MissingRequired { ai, rule, pos } => {
                write!(f, "ai ({ai}) at {pos}: requires one of {rule}")
            }
            Error::DigSigNeedsSerial { ai, pos } => {
                write!(f, "ai ({ai}) at {pos}: needs a serial component with a digital signature")
            }
            Error::Uri { pos } => write!(f, "malformed digital link uri at {pos}"),
            Error::NoPrimaryKey => f.write_str("no primary key in digital link path"),
            Error::InvalidKeyQualifiers { ai, pos } => {
                write!(f, "ai ({ai}) at {pos}: invalid key qualifier sequence")
            }
            Error::NotDataAttribute { ai, pos } => {
                write!(f, "ai ({ai}) at {pos}: not a digital link data attribute")
            }
            Error::ShouldBeInPath { ai, pos } => {
                write!(f, "ai ({ai}) at {pos}: belongs in the uri path")
            }
            Error::IllegalNul { pos } => write!(f, "percent escape decodes to nul at {pos}"),
            Error::Capacity { pos } => write!(f, "capacity exceeded at {pos}"),
            Error::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

impl core::error::Error for Error {}
