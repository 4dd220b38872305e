//! LEB128 varints as postcard writes them: 7 bits a byte, least
//! significant group first, the high bit set on every byte but the last.

/// The most bytes a `u64` varint takes.
pub const MAX_LEN_U64: usize = 10;

/// Why a varint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The bytes ended inside the varint.
    Truncated,
    /// More than 64 bits, or longer than ten bytes.
    Overflow,
}

/// Writes `value` as a minimal varint into `out`; returns the bytes used.
#[must_use]
pub fn encode(mut value: u64, out: &mut [u8; MAX_LEN_U64]) -> usize {
    let mut n = 0;
    for slot in out.iter_mut() {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        n += 1;
        if value == 0 {
            *slot = byte;
            break;
        }
        *slot = byte | 0x80;
    }
    n
}

/// The number of bytes `value` takes as a minimal varint.
#[must_use]
pub const fn len(value: u64) -> usize {
    let bits = 64 - value.leading_zeros() as usize;
    if bits == 0 { 1 } else { bits.div_ceil(7) }
}

/// Reads a varint from the start of `bytes`; returns it and the bytes used.
///
/// # Errors
/// [`VarintError::Truncated`] when `bytes` end first, [`VarintError::Overflow`]
/// when the value does not fit in 64 bits.
#[inline(always)]
pub fn decode(bytes: &[u8]) -> Result<(u64, usize), VarintError> {
    // One byte: lengths, counts, kinds and small numbers.
    if let Some(&b) = bytes.first()
        && b < 0x80
    {
        return Ok((u64::from(b), 1));
    }
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().take(MAX_LEN_U64).enumerate() {
        let group = u64::from(b & 0x7f);
        if i == MAX_LEN_U64 - 1 && b > 1 {
            return Err(VarintError::Overflow);
        }
        value |= group << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    if bytes.len() >= MAX_LEN_U64 {
        Err(VarintError::Overflow)
    } else {
        Err(VarintError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_edges() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut buf = [0; MAX_LEN_U64];
            let n = encode(v, &mut buf);
            assert_eq!(n, len(v));
            assert_eq!(decode(&buf[..n]), Ok((v, n)));
            assert_eq!(decode(&buf[..n - 1]), Err(VarintError::Truncated));
        }
        assert_eq!(decode(&[0xac, 0x02]), Ok((300, 2)));
        assert_eq!(decode(&[0xff; 10]), Err(VarintError::Overflow));
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(VarintError::Overflow)
        );
    }
}
