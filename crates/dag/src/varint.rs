//! Unsigned LEB128 varints as used by multiformats, protobuf and CAR.

/// Largest encoding of a `u64` (ceil(64 / 7)).
pub const MAX_LEN: usize = 10;

/// Why a varint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VarintError {
    /// The input ended inside the varint.
    #[error("truncated varint")]
    Truncated,
    /// The value does not fit in 64 bits (or, for multiformats varints, in 9 bytes).
    #[error("varint overflows 64 bits")]
    Overflow,
    /// A multiformats varint with needless trailing zero groups.
    #[error("varint is not minimally encoded")]
    NotMinimal,
}

/// Longest multiformats varint: 9 bytes, i.e. values below 2^63.
pub const MAX_MULTIFORMATS_LEN: usize = 9;

/// Decodes a multiformats unsigned varint (as in CAR files): at most 9 bytes and minimally
/// encoded, as go-varint requires, so that every value has exactly one encoding.
pub fn decode_canonical(input: &[u8]) -> Result<(u64, usize), VarintError> {
    let (value, used) = decode(input)?;
    if used > MAX_MULTIFORMATS_LEN {
        return Err(VarintError::Overflow);
    }
    if used > 1 && input.get(used.saturating_sub(1)) == Some(&0) {
        return Err(VarintError::NotMinimal);
    }
    Ok((value, used))
}

/// Appends the varint encoding of `value` to `out`.
pub fn encode(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The number of bytes [`encode`] writes for `value`.
pub fn encoded_len(value: u64) -> usize {
    let bits = 64usize.saturating_sub((value | 1).leading_zeros() as usize);
    bits.div_ceil(7)
}

/// Decodes a varint from the start of `input`: the value and the number of bytes it took.
pub fn decode(input: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value: u64 = 0;
    let mut shift: u32 = 0;
    let mut used: usize = 0;
    for &byte in input.iter().take(MAX_LEN) {
        used = used.saturating_add(1);
        // The tenth byte may only contribute the 64th bit.
        if used == MAX_LEN && byte > 1 {
            return Err(VarintError::Overflow);
        }
        value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte & 0x80 == 0 {
            return Ok((value, used));
        }
        shift = shift.saturating_add(7);
    }
    if input.len() >= MAX_LEN {
        Err(VarintError::Overflow)
    } else {
        Err(VarintError::Truncated)
    }
}

/// Reads a canonical multiformats varint (see [`decode_canonical`]) from a byte stream.
/// `Ok(None)` means the stream ended cleanly before the first byte.
pub fn read<R: std::io::Read + ?Sized>(r: &mut R) -> std::io::Result<Option<(u64, usize)>> {
    let mut buf = [0u8; MAX_LEN];
    for (i, slot) in buf.iter_mut().enumerate() {
        let n = read_byte(r, slot)?;
        if n == 0 {
            if i == 0 {
                return Ok(None);
            }
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                VarintError::Truncated,
            ));
        }
        if *slot & 0x80 == 0 {
            return decode_canonical(buf.get(..=i).unwrap_or_default())
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e));
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        VarintError::Overflow,
    ))
}

fn read_byte<R: std::io::Read + ?Sized>(r: &mut R, byte: &mut u8) -> std::io::Result<usize> {
    loop {
        match r.read(std::slice::from_mut(byte)) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let mut v = Vec::new();
        encode(300, &mut v);
        assert_eq!(v, [0xac, 0x02]);
        assert_eq!(decode(&[0xac, 0x02, 0xff]), Ok((300, 2)));
        assert_eq!(decode(&[0x80]), Err(VarintError::Truncated));
        assert_eq!(decode(&[]), Err(VarintError::Truncated));
        assert_eq!(decode(&[0xff; 11]), Err(VarintError::Overflow));
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(VarintError::Overflow)
        );
        assert_eq!(
            decode_canonical(&[0x81, 0x00]),
            Err(VarintError::NotMinimal)
        );
        assert_eq!(
            decode_canonical(&[0x80, 0x00]),
            Err(VarintError::NotMinimal)
        );
        assert_eq!(decode_canonical(&[0x00]), Ok((0, 1)));
        assert_eq!(decode_canonical(&[0xff; 9]), Err(VarintError::Truncated));
        assert_eq!(
            decode_canonical(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            Ok((i64::MAX as u64, 9))
        );
        assert_eq!(
            decode_canonical(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(VarintError::Overflow)
        );
        let mut max = Vec::new();
        encode(u64::MAX, &mut max);
        assert_eq!(max.len(), MAX_LEN);
        assert_eq!(decode(&max), Ok((u64::MAX, MAX_LEN)));
    }

    proptest! {
        #[test]
        fn round_trip(v: u64) {
            let mut buf = Vec::new();
            encode(v, &mut buf);
            prop_assert_eq!(buf.len(), encoded_len(v));
            prop_assert_eq!(decode(&buf), Ok((v, buf.len())));
            let mut r = &buf[..];
            if v < 1 << 63 {
                prop_assert_eq!(read(&mut r).unwrap(), Some((v, buf.len())));
                prop_assert_eq!(decode_canonical(&buf), Ok((v, buf.len())));
            } else {
                prop_assert!(read(&mut r).is_err());
            }
        }

        #[test]
        fn decode_never_panics(bytes: Vec<u8>) {
            let _ = decode(&bytes);
        }
    }
}
