//! C2SP signed notes (`golang.org/x/mod/sumdb/note`) with Ed25519.
//!
//! A checkpoint is only useful if anyone can check who vouched for it with
//! tools they already have. The signed-note format is what Go's checksum
//! database, Sigstore and the transparency-dev witnesses use:
//!
//! ```text
//! <text, one or more lines, each ending in \n>
//! <blank line>
//! — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>\n
//! — <another key name> <...>\n
//! ```
//!
//! The dash is U+2014 (em dash) followed by a space. The signature covers the
//! text only (up to and including its final newline). The key id is the
//! first four bytes of `SHA-256(name || 0x0A || 0x01 || public key)`; 0x01
//! names the Ed25519 algorithm. A verifier key is written
//! `<name>+<8 hex digits of key id>+<base64(0x01 || public key)>`.
//!
//! Parsing borrows from the input and never allocates; signing writes into a
//! caller buffer through [`NoteWriter`] and any [`Signer`], so the private
//! key may live in a secure element.

use core::convert::Infallible;
use core::fmt;

use base64ct::{Base64, Decoder, Encoding};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The first four bytes of the key hash that names a key in signature lines.
pub type KeyId = [u8; 4];

/// Most signature lines a note may carry (as in Go's implementation).
pub const MAX_SIGNATURES: usize = 100;

/// Algorithm byte for Ed25519 in key hashes and verifier keys.
const ALG_ED25519: u8 = 0x01;
/// Em dash and space that start a signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// Decoded length of an Ed25519 signature line payload: key id + signature.
const ED25519_SIG_LEN: usize = 4 + 64;

/// The key id of an Ed25519 key with `name`:
/// `SHA-256(name || "\n" || 0x01 || public_key)[..4]`.
#[must_use]
pub fn key_id(name: &str, public_key: &[u8; 32]) -> KeyId {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key);
    let digest: [u8; 32] = h.finalize().into();
    let [a, b, c, d, ..] = digest;
    [a, b, c, d]
}

/// Whether `name` can name a key: non-empty, no whitespace, no `+`.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Something that signs note texts with an Ed25519 key: a key in RAM
/// ([`Ed25519Signer`]), a secure element or an HSM.
pub trait Signer {
    /// What signing can fail with (e.g. the secure element's bus error).
    type Error;

    /// The key name written in signature lines; must be a valid name
    /// (non-empty, no whitespace, no `+`).
    fn name(&self) -> &str;

    /// The key id, [`key_id`]`(name, public key)`.
    fn key_id(&self) -> KeyId;

    /// Signs `msg` with Ed25519 (pure, not prehashed).
    ///
    /// # Errors
    ///
    /// Whatever the signing device fails with.
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], Self::Error>;
}

impl<S: Signer + ?Sized> Signer for &S {
    type Error = S::Error;

    fn name(&self) -> &str {
        (**self).name()
    }

    fn key_id(&self) -> KeyId {
        (**self).key_id()
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], Self::Error> {
        (**self).sign(msg)
    }
}

/// A [`Signer`] holding an ed25519-dalek key in memory.
pub struct Ed25519Signer<'n> {
    name: &'n str,
    key: SigningKey,
    id: KeyId,
}

impl fmt::Debug for Ed25519Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("name", &self.name)
            .field("key_id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<'n> Ed25519Signer<'n> {
    /// A signer for `key` under `name`.
    ///
    /// # Errors
    ///
    /// [`NoteError::InvalidName`] if `name` is empty or has whitespace or `+`.
    pub fn new(name: &'n str, key: SigningKey) -> Result<Self, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::InvalidName);
        }
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self { name, key, id })
    }

    /// A signer from a 32-byte Ed25519 seed (secret key).
    ///
    /// # Errors
    ///
    /// [`NoteError::InvalidName`] as for [`new`](Self::new).
    pub fn from_seed(name: &'n str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        Self::new(name, SigningKey::from_bytes(seed))
    }

    /// The matching verifier key, to publish.
    #[must_use]
    pub fn verifier_key(&self) -> VerifierKey<'n> {
        VerifierKey { name: self.name, id: self.id, key: self.key.verifying_key() }
    }
}

impl Signer for Ed25519Signer<'_> {
    type Error = Infallible;

    fn name(&self) -> &str {
        self.name
    }

    fn key_id(&self) -> KeyId {
        self.id
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], Infallible> {
        use ed25519_dalek::Signer as _;
        Ok(self.key.sign(msg).to_bytes())
    }
}

/// A named Ed25519 public key that notes are verified against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierKey<'a> {
    name: &'a str,
    id: KeyId,
    key: VerifyingKey,
}

impl<'a> VerifierKey<'a> {
    /// A verifier key for `key` under `name`.
    ///
    /// # Errors
    ///
    /// [`NoteError::InvalidName`] if the name is not a valid key name.
    pub fn new(name: &'a str, key: VerifyingKey) -> Result<Self, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::InvalidName);
        }
        Ok(Self { name, id: key_id(name, key.as_bytes()), key })
    }

    /// Parses `<name>+<8 hex digits>+<base64(0x01 || 32-byte key)>`.
    ///
    /// # Errors
    ///
    /// [`NoteError::VerifierKey`] if malformed, [`NoteError::UnknownAlgorithm`]
    /// for a key type other than Ed25519, [`NoteError::KeyIdMismatch`] if the
    /// hex id is not the key's.
    pub fn parse(s: &'a str) -> Result<Self, NoteError> {
        let (name, rest) = s.split_once('+').ok_or(NoteError::VerifierKey)?;
        let (hex, b64) = rest.split_once('+').ok_or(NoteError::VerifierKey)?;
        if !is_valid_name(name) || hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NoteError::VerifierKey);
        }
        let id = u32::from_str_radix(hex, 16).map_err(|_| NoteError::VerifierKey)?.to_be_bytes();
        let mut raw = [0u8; 33];
        let decoded = Base64::decode(b64, &mut raw).map_err(|_| NoteError::VerifierKey)?;
        let (&alg, public) = decoded.split_first().ok_or(NoteError::VerifierKey)?;
        if alg != ALG_ED25519 {
            return Err(NoteError::UnknownAlgorithm { alg });
        }
        let public: [u8; 32] = public.try_into().map_err(|_| NoteError::VerifierKey)?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| NoteError::VerifierKey)?;
        let this = Self { name, id: key_id(name, &public), key };
        if this.id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(this)
    }

    /// The key name.
    #[must_use]
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// The key id.
    #[must_use]
    pub const fn key_id(&self) -> KeyId {
        self.id
    }

    /// The Ed25519 public key.
    #[must_use]
    pub const fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether `signature` is this key's signature of `msg` (strict Ed25519
    /// verification: canonical encodings, no small-order keys).
    #[must_use]
    pub fn verify(&self, msg: &[u8], signature: &[u8; 64]) -> bool {
        self.key.verify_strict(msg, &Signature::from_bytes(signature)).is_ok()
    }
}

impl fmt::Display for VerifierKey<'_> {
    /// `<name>+<hex key id>+<base64(0x01 || public key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = [0u8; 33];
        let (alg, public) = raw.split_at_mut(1);
        alg.copy_from_slice(&[ALG_ED25519]);
        public.copy_from_slice(self.key.as_bytes());
        let mut b64 = [0u8; 44];
        let b64 = Base64::encode(&raw, &mut b64).map_err(|_| fmt::Error)?;
        write!(f, "{}+{:08x}+{}", self.name, u32::from_be_bytes(self.id), b64)
    }
}

/// A signed note is malformed, or its signatures do not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is not UTF-8.
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        at: usize,
    },
    /// The note has an ASCII control character other than newline.
    ControlCharacter {
        /// Byte offset of the character.
        at: usize,
    },
    /// There is no blank line before the signature block.
    NoSignatures,
    /// A signature line is malformed.
    SignatureLine {
        /// Line number within the signature block, from 1.
        line: usize,
    },
    /// More than [`MAX_SIGNATURES`] signature lines.
    TooManySignatures,
    /// A known key's signature does not verify.
    InvalidSignature {
        /// The key id of the failing key.
        key_id: KeyId,
    },
    /// No signature is from any of the given keys.
    NoKnownSignature,
    /// A key name is empty or contains whitespace or `+`.
    InvalidName,
    /// The note text is empty or does not end in a newline.
    InvalidText,
    /// A verifier key string is malformed.
    VerifierKey,
    /// A verifier key is for an algorithm other than Ed25519.
    UnknownAlgorithm {
        /// The algorithm byte.
        alg: u8,
    },
    /// A verifier key's id does not match its name and key.
    KeyIdMismatch,
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUtf8 { at } => write!(f, "note is not utf-8 at byte {at}"),
            Self::ControlCharacter { at } => write!(f, "control character at byte {at}"),
            Self::NoSignatures => f.write_str("no signature block after blank line"),
            Self::SignatureLine { line } => write!(f, "malformed signature line {line}"),
            Self::TooManySignatures => f.write_str("too many signatures"),
            Self::InvalidSignature { key_id } => {
                write!(f, "invalid signature for key {:08x}", u32::from_be_bytes(*key_id))
            }
            Self::NoKnownSignature => f.write_str("no signature from a known key"),
            Self::InvalidName => f.write_str("invalid key name"),
            Self::InvalidText => f.write_str("note text must be non-empty and end in newline"),
            Self::VerifierKey => f.write_str("malformed verifier key"),
            Self::UnknownAlgorithm { alg } => write!(f, "unknown key algorithm {alg:#04x}"),
            Self::KeyIdMismatch => f.write_str("key id does not match key"),
            Self::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: need {needed} bytes, have {available}")
            }
        }
    }
}

impl core::error::Error for NoteError {}

/// Signing a note failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError<E> {
    /// The signer failed.
    Signer(E),
    /// The note or buffer is unusable (name, text, space, count).
    Note(NoteError),
    /// The checkpoint body cannot be written.
    Checkpoint(super::CheckpointError),
}

impl<E: fmt::Display> fmt::Display for SignError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signer(e) => write!(f, "signer: {e}"),
            Self::Note(e) => fmt::Display::fmt(e, f),
            Self::Checkpoint(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display + core::error::Error + 'static> core::error::Error
    for SignError<E>
{
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Signer(e) => Some(e),
            Self::Note(e) => Some(e),
            Self::Checkpoint(e) => Some(e),
        }
    }
}

impl<E> From<NoteError> for SignError<E> {
    fn from(e: NoteError) -> Self {
        Self::Note(e)
    }
}

/// Checks UTF-8 and the absence of control characters other than `\n`.
fn check_chars(msg: &[u8]) -> Result<&str, NoteError> {
    let text = core::str::from_utf8(msg).map_err(|e| NoteError::NotUtf8 { at: e.valid_up_to() })?;
    match text.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(at) => Err(NoteError::ControlCharacter { at }),
        None => Ok(text),
    }
}

/// One parsed signature line: `— <name> <base64>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureLine<'a> {
    /// The key name.
    pub name: &'a str,
    /// The key id (first four decoded bytes).
    pub key_id: KeyId,
    /// The base64 payload as written (key id and signature).
    pub base64: &'a str,
}

impl SignatureLine<'_> {
    /// The 64-byte signature if the payload has Ed25519's length.
    #[must_use]
    pub fn ed25519_signature(&self) -> Option<[u8; 64]> {
        let mut raw = [0u8; ED25519_SIG_LEN];
        let decoded = Base64::decode(self.base64, &mut raw).ok()?;
        let sig = decoded.get(4..)?;
        sig.try_into().ok()
    }
}

/// Parses one signature line (without its newline).
fn parse_signature_line(line: &str, number: usize) -> Result<SignatureLine<'_>, NoteError> {
    let bad = NoteError::SignatureLine { line: number };
    let rest = line.strip_prefix(SIG_PREFIX).ok_or(bad)?;
    let (name, b64) = rest.split_once(' ').ok_or(bad)?;
    if !is_valid_name(name) || b64.is_empty() {
        return Err(bad);
    }
    // Decode in pieces to check the whole payload without a size limit.
    let mut decoder = Decoder::<Base64>::new(b64.as_bytes()).map_err(|_| bad)?;
    if decoder.remaining_len() < 5 {
        return Err(bad);
    }
    let mut key_id = [0u8; 4];
    decoder.decode(&mut key_id).map_err(|_| bad)?;
    let mut scratch = [0u8; 48];
    while !decoder.is_finished() {
        let n = decoder.remaining_len().min(scratch.len());
        let chunk = scratch.get_mut(..n).ok_or(bad)?;
        decoder.decode(chunk).map_err(|_| bad)?;
    }
    Ok(SignatureLine { name, key_id, base64: b64 })
}

/// A parsed signed note, borrowing the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note<'a> {
    text: &'a str,
    signatures: &'a str,
}

impl<'a> Note<'a> {
    /// Parses a signed note: checks characters, splits text from signatures
    /// at the last blank line and checks every signature line's syntax.
    /// Signatures are not verified here; see [`verify`](Self::verify).
    ///
    /// # Errors
    ///
    /// [`NoteError`] saying what is malformed and where.
    pub fn parse(msg: &'a [u8]) -> Result<Self, NoteError> {
        let msg = check_chars(msg)?;
        let split = msg.rfind("\n\n").ok_or(NoteError::NoSignatures)?;
        let (text, signatures) = msg.split_at(split + 1);
        let signatures = signatures.get(1..).unwrap_or("");
        if signatures.is_empty() || !signatures.ends_with('\n') {
            return Err(NoteError::NoSignatures);
        }
        let note = Self { text, signatures };
        let mut count = 0usize;
        for (i, line) in note.lines().enumerate() {
            parse_signature_line(line, i + 1)?;
            count += 1;
            if count > MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
        }
        Ok(note)
    }

    /// The signed text, ending in a newline.
    #[must_use]
    pub const fn text(&self) -> &'a str {
        self.text
    }

    fn lines(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let sigs = self.signatures;
        sigs.strip_suffix('\n').unwrap_or(sigs).split('\n')
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> impl Iterator<Item = SignatureLine<'a>> + use<'a> {
        self.lines().enumerate().filter_map(|(i, line)| parse_signature_line(line, i + 1).ok())
    }

    /// Verifies the signatures from `keys`: every signature whose name and
    /// key id match a key must verify, and at least one must. Signatures
    /// from other keys (witnesses, other algorithms) are ignored.
    ///
    /// Returns how many of `keys` signed the note.
    ///
    /// # Errors
    ///
    /// [`NoteError::InvalidSignature`] if a known key's signature is wrong,
    /// [`NoteError::NoKnownSignature`] if none of `keys` signed.
    pub fn verify(&self, keys: &[VerifierKey<'_>]) -> Result<usize, NoteError> {
        let mut verified = 0usize;
        for (k, key) in keys.iter().enumerate() {
            // A key listed twice counts once.
            if keys.get(..k).is_some_and(|before| before.iter().any(|b| b == key)) {
                continue;
            }
            let mut signed = false;
            for sig in self.signatures() {
                if sig.name != key.name || sig.key_id != key.id {
                    continue;
                }
                let ok =
                    sig.ed25519_signature().is_some_and(|s| key.verify(self.text.as_bytes(), &s));
                if !ok {
                    return Err(NoteError::InvalidSignature { key_id: key.id });
                }
                signed = true;
            }
            if signed {
                verified += 1;
            }
        }
        if verified == 0 {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified)
    }
}

/// Writes a signed note into a caller buffer: the text, a blank line, then
/// one signature line per [`sign`](Self::sign) call.
///
/// ```
/// use lotledger::proof::{Ed25519Signer, Note, NoteWriter};
///
/// let signer = Ed25519Signer::from_seed("example.com/log", &[7; 32])?;
/// let mut buf = [0u8; 256];
/// let mut w = NoteWriter::new(&mut buf, "hello\n")?;
/// w.sign(&signer)?;
/// let len = w.finish();
/// let note = Note::parse(&buf[..len])?;
/// assert_eq!(note.verify(&[signer.verifier_key()])?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NoteWriter<'b> {
    buf: &'b mut [u8],
    text_len: usize,
    len: usize,
    signatures: usize,
}

impl<'b> NoteWriter<'b> {
    /// Starts a note by copying `text` (non-empty, ending in `\n`) into `buf`.
    ///
    /// # Errors
    ///
    /// [`NoteError::InvalidText`], a character error, or
    /// [`NoteError::BufferTooSmall`].
    pub fn new(buf: &'b mut [u8], text: &str) -> Result<Self, NoteError> {
        let available = buf.len();
        let dst = buf
            .get_mut(..text.len())
            .ok_or(NoteError::BufferTooSmall { needed: text.len() + 1, available })?;
        dst.copy_from_slice(text.as_bytes());
        Self::with_text(buf, text.len())
    }

    /// Starts a note whose text the caller already wrote to `buf[..text_len]`
    /// (e.g. with [`Checkpoint::write_body`](super::Checkpoint::write_body)).
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    pub fn with_text(buf: &'b mut [u8], text_len: usize) -> Result<Self, NoteError> {
        let too_small =
            NoteError::BufferTooSmall { needed: text_len.saturating_add(1), available: buf.len() };
        let text = buf.get(..text_len).ok_or(too_small)?;
        check_chars(text)?;
        if !text.ends_with(b"\n") {
            return Err(NoteError::InvalidText);
        }
        let blank = buf.get_mut(text_len).ok_or(too_small)?;
        *blank = b'\n';
        Ok(Self { buf, text_len, len: text_len + 1, signatures: 0 })
    }

    /// Signs the text with `signer` and appends its signature line.
    ///
    /// # Errors
    ///
    /// [`SignError::Signer`] if the signer fails; [`SignError::Note`] for an
    /// invalid signer name, a full buffer or too many signatures. The note
    /// is unchanged on error.
    pub fn sign<S: Signer>(&mut self, signer: &S) -> Result<(), SignError<S::Error>> {
        let name = signer.name();
        if !is_valid_name(name) {
            return Err(NoteError::InvalidName.into());
        }
        if self.signatures >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures.into());
        }
        // "— " + name + " " + base64(68 bytes) + "\n"
        const B64_LEN: usize = 92;
        let needed = self.len + SIG_PREFIX.len() + name.len() + 1 + B64_LEN + 1;
        let available = self.buf.len();
        if needed > available {
            return Err(NoteError::BufferTooSmall { needed, available }.into());
        }
        let text = self.buf.get(..self.text_len).unwrap_or_default();
        let signature = signer.sign(text).map_err(SignError::Signer)?;
        let mut raw = [0u8; ED25519_SIG_LEN];
        let (id, sig) = raw.split_at_mut(4);
        id.copy_from_slice(&signer.key_id());
        sig.copy_from_slice(&signature);
        let mut b64 = [0u8; B64_LEN];
        let b64 = Base64::encode(&raw, &mut b64)
            .map_err(|_| NoteError::BufferTooSmall { needed, available })?;
        let mut at = self.len;
        for part in [SIG_PREFIX, name, " ", b64, "\n"] {
            let end = at + part.len();
            if let Some(dst) = self.buf.get_mut(at..end) {
                dst.copy_from_slice(part.as_bytes());
            }
            at = end;
        }
        self.len = at;
        self.signatures += 1;
        Ok(())
    }

    /// The note written so far.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Ends the note; returns its length in the buffer.
    #[must_use]
    pub fn finish(self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // golang.org/x/mod sumdb/note/note_test.go: TestNewSigner / TestSign /
    // TestOpen. The private key string is
    // "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    // whose base64 part is 0x01 || the 32-byte Ed25519 seed.
    const PETER_SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter_signer() -> Ed25519Signer<'static> {
        let mut raw = [0u8; 33];
        Base64::decode(PETER_SKEY_B64, &mut raw).unwrap();
        assert_eq!(raw[0], ALG_ED25519);
        Ed25519Signer::from_seed("PeterNeumann", raw[1..].try_into().unwrap()).unwrap()
    }

    fn concat<'b>(buf: &'b mut [u8], parts: &[&str]) -> &'b [u8] {
        let mut at = 0;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
        }
        &buf[..at]
    }

    #[test]
    fn verifier_key_round_trip() {
        let key = VerifierKey::parse(PETER_VKEY).unwrap();
        assert_eq!(key.name(), "PeterNeumann");
        assert_eq!(key.key_id(), [0xc7, 0x4f, 0x20, 0xa3]);
        let mut s = [0u8; 128];
        let mut w = Cursor(&mut s, 0);
        core::fmt::write(&mut w, format_args!("{key}")).unwrap();
        let n = w.1;
        assert_eq!(core::str::from_utf8(&s[..n]).unwrap(), PETER_VKEY);
        assert_eq!(peter_signer().verifier_key(), key);
    }

    struct Cursor<'a>(&'a mut [u8], usize);
    impl core::fmt::Write for Cursor<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.1 + s.len();
            self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }

    #[test]
    fn bad_verifier_keys() {
        // From TestNewVerifier: wrong-length key and unknown algorithm, each
        // with an adjusted key hash.
        assert_eq!(
            VerifierKey::parse(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            ),
            Err(NoteError::VerifierKey)
        );
        assert_eq!(
            VerifierKey::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(NoteError::UnknownAlgorithm { alg: 0x65 })
        );
        assert_eq!(
            VerifierKey::parse(
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(NoteError::KeyIdMismatch)
        );
        // Every proper substring fails, as in TestNewVerifier.
        for i in 0..PETER_VKEY.len() {
            for j in i + 1..=PETER_VKEY.len() {
                if i != 0 || j != PETER_VKEY.len() {
                    assert!(VerifierKey::parse(&PETER_VKEY[i..j]).is_err(), "{i}..{j}");
                }
            }
        }
    }

    #[test]
    fn sign_matches_go_vector() {
        let signer = peter_signer();
        assert_eq!(signer.key_id(), [0xc7, 0x4f, 0x20, 0xa3]);
        let mut buf = [0u8; 512];
        let mut w = NoteWriter::new(&mut buf, TEXT).unwrap();
        w.sign(&signer).unwrap();
        let n = w.finish();
        let mut want = [0u8; 512];
        let want = concat(&mut want, &[TEXT, "\n", PETER_SIG]);
        assert_eq!(&buf[..n], want);
    }

    #[test]
    fn open_like_go() {
        let peter = VerifierKey::parse(PETER_VKEY).unwrap();
        let enoch = VerifierKey::parse(ENOCH_VKEY).unwrap();
        let mut buf = [0u8; 1024];
        let msg = concat(&mut buf, &[TEXT, "\n", PETER_SIG, ENOCH_SIG]);
        let note = Note::parse(msg).unwrap();
        assert_eq!(note.text(), TEXT);
        assert_eq!(note.signatures().count(), 2);
        assert_eq!(note.verify(&[peter]), Ok(1));
        assert_eq!(note.verify(&[peter, enoch]), Ok(2));
        assert_eq!(note.verify(&[enoch, enoch]), Ok(1));
        assert_eq!(note.verify(&[]), Err(NoteError::NoKnownSignature));

        // Invalid signature: "ABCD" spliced in at byte 60 of the line.
        let mut bad = [0u8; 512];
        let bad = concat(&mut bad, &[TEXT, "\n", &PETER_SIG[..60], "ABCD", &PETER_SIG[60..]]);
        let note = Note::parse(bad).unwrap();
        assert_eq!(
            note.verify(&[peter]),
            Err(NoteError::InvalidSignature { key_id: [0xc7, 0x4f, 0x20, 0xa3] })
        );
    }

    #[test]
    fn malformed_notes_like_go() {
        let mut buf = [0u8; 512];
        let no_nl = &PETER_SIG[..PETER_SIG.len() - 1];
        let cases: [(&[&str], NoteError); 6] = [
            (&[TEXT], NoteError::NoSignatures),
            (&[TEXT, "\n"], NoteError::NoSignatures),
            (&[TEXT, "\n", no_nl], NoteError::NoSignatures),
            (&["\x01", TEXT, "\n", PETER_SIG], NoteError::ControlCharacter { at: 0 }),
            (
                &[
                    TEXT,
                    "\n",
                    "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
                ],
                NoteError::SignatureLine { line: 1 },
            ),
            (&[TEXT, "\n", PETER_SIG, "Unexpected line.\n"], NoteError::SignatureLine { line: 2 }),
        ];
        for (parts, want) in cases {
            let msg = concat(&mut buf, parts);
            assert_eq!(Note::parse(msg), Err(want), "{parts:?}");
        }
        let mut raw = [0u8; 300];
        raw[..TEXT.len()].copy_from_slice(TEXT.as_bytes());
        raw[3] = 0xff;
        assert_eq!(Note::parse(&raw[..TEXT.len()]), Err(NoteError::NotUtf8 { at: 3 }));
    }

    #[test]
    fn too_many_signatures() {
        let mut buf = [0u8; 16 * 1024];
        let mut at = 0;
        for part in core::iter::once(TEXT)
            .chain(core::iter::once("\n"))
            .chain(core::iter::repeat_n(PETER_SIG, MAX_SIGNATURES + 1))
        {
            buf[at..at + part.len()].copy_from_slice(part.as_bytes());
            at += part.len();
        }
        assert_eq!(Note::parse(&buf[..at]), Err(NoteError::TooManySignatures));
    }

    #[test]
    fn writer_errors() {
        let signer = peter_signer();
        let mut small = [0u8; 4];
        assert!(matches!(NoteWriter::new(&mut small, TEXT), Err(NoteError::BufferTooSmall { .. })));
        let mut buf = [0u8; 150];
        assert_eq!(
            NoteWriter::with_text(&mut buf, usize::MAX).err(),
            Some(NoteError::BufferTooSmall { needed: usize::MAX, available: 150 })
        );
        assert_eq!(NoteWriter::new(&mut buf, "no newline").err(), Some(NoteError::InvalidText));
        let mut w = NoteWriter::new(&mut buf, TEXT).unwrap();
        assert!(matches!(w.sign(&signer), Err(SignError::Note(NoteError::BufferTooSmall { .. }))));
        assert_eq!(w.as_bytes().len(), TEXT.len() + 1);
        assert_eq!(Ed25519Signer::from_seed("a+b", &[0; 32]).err(), Some(NoteError::InvalidName));
    }

    #[test]
    fn two_signers_for_rotation() {
        let old = Ed25519Signer::from_seed("example.com/log", &[1; 32]).unwrap();
        let new = Ed25519Signer::from_seed("example.com/log", &[2; 32]).unwrap();
        assert_ne!(old.key_id(), new.key_id());
        let mut buf = [0u8; 512];
        let mut w = NoteWriter::new(&mut buf, "body\n").unwrap();
        w.sign(&old).unwrap();
        w.sign(&new).unwrap();
        let n = w.finish();
        let note = Note::parse(&buf[..n]).unwrap();
        assert_eq!(note.verify(&[old.verifier_key()]), Ok(1));
        assert_eq!(note.verify(&[new.verifier_key()]), Ok(1));
        assert_eq!(note.verify(&[old.verifier_key(), new.verifier_key()]), Ok(2));
    }
}
