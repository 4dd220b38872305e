//! Encoding parsed AI data back to element strings and to the bracketed form.
//!
//! In an element string an AI of predefined length (flag `*` in the
//! dictionary) needs no separator after it; every other AI is followed by
//! FNC1 unless it is last. That is the placement the reference engine emits
//! when generating scan data, so `parse(encode(x)) == x`.

use core::fmt;

use super::{ElementStringBuf, Error};

/// The bracketed form, `(01)...(10)...`, as a [`fmt::Display`].
/// A `(` inside a value is written `\(`.
#[derive(Clone, Copy)]
pub struct Bracketed<'a, const AIS: usize, const DATA: usize>(&'a ElementStringBuf<AIS, DATA>);

/// The element string with a chosen FNC1 separator byte, as a [`fmt::Display`]
/// (the separator must be ASCII to display; see
/// [`ElementStringBuf::encode_element_string`] for bytes).
#[derive(Clone, Copy)]
pub struct Unbracketed<'a, const AIS: usize, const DATA: usize> {
    es: &'a ElementStringBuf<AIS, DATA>,
    separator: char,
}

impl<const AIS: usize, const DATA: usize> fmt::Display for Bracketed<'_, AIS, DATA> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (ai, value) in self.0.iter() {
            write!(f, "({ai})")?;
            for part in value.split('(').enumerate() {
                if part.0 > 0 {
                    f.write_str("\\(")?;
                }
                f.write_str(part.1)?;
            }
        }
        Ok(())
    }
}

impl<const AIS: usize, const DATA: usize> fmt::Display for Unbracketed<'_, AIS, DATA> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.es.len();
        for (i, (ai, value)) in self.es.iter().enumerate() {
            write!(f, "{ai}{value}")?;
            let fixed = ai.entry().is_some_and(|e| e.fixed_length);
            if !fixed && i + 1 < n {
                write!(f, "{}", self.separator)?;
            }
        }
        Ok(())
    }
}

/// Writes into a byte slice, failing instead of truncating.
struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len.checked_add(bytes.len()).ok_or(Error::BufferTooSmall)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(Error::BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

impl<const AIS: usize, const DATA: usize> ElementStringBuf<AIS, DATA> {
    /// The bracketed human-readable form, for `{}` formatting.
    #[must_use]
    pub fn bracketed(&self) -> Bracketed<'_, AIS, DATA> {
        Bracketed(self)
    }

    /// The element string with `separator` for FNC1, for `{}` formatting.
    #[must_use]
    pub fn element_string(&self, separator: char) -> Unbracketed<'_, AIS, DATA> {
        Unbracketed { es: self, separator }
    }

    /// Writes the element string (no symbology identifier, no leading FNC1)
    /// into `out`, with `separator` for FNC1. Returns the length written.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `out` cannot hold it.
    pub fn encode_element_string(&self, separator: u8, out: &mut [u8]) -> Result<usize, Error> {
        let mut w = SliceWriter { buf: out, len: 0 };
        let n = self.fields.len();
        for (i, f) in self.fields.iter().enumerate() {
            w.put(f.ai.as_str().as_bytes())?;
            w.put(self.value_bytes(f))?;
            let fixed = f.ai.entry().is_some_and(|e| e.fixed_length);
            if !fixed && i + 1 < n {
                w.put(&[separator])?;
            }
        }
        Ok(w.len)
    }

    /// Writes a scan as a GS1 DataMatrix reader sends it: `]d2`, then the
    /// element string with ASCII 29 (GS) for FNC1. Returns the length written.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `out` cannot hold it.
    pub fn encode_scan(&self, out: &mut [u8]) -> Result<usize, Error> {
        let prefix = out.get_mut(..3).ok_or(Error::BufferTooSmall)?;
        prefix.copy_from_slice(b"]d2");
        let rest = out.get_mut(3..).ok_or(Error::BufferTooSmall)?;
        Ok(3 + self.encode_element_string(super::parse::GS, rest)?)
    }

    /// Writes the bracketed form into `out`. Returns the length written.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `out` cannot hold it.
    pub fn encode_bracketed(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut w = SliceWriter { buf: out, len: 0 };
        for f in &self.fields {
            w.put(b"(")?;
            w.put(f.ai.as_str().as_bytes())?;
            w.put(b")")?;
            for b in self.value_bytes(f) {
                if *b == b'(' {
                    w.put(b"\\")?;
                }
                w.put(&[*b])?;
            }
        }
        Ok(w.len)
    }
}
