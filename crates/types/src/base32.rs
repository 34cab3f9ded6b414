//! RFC 4648 base32 with the lowercase alphabet and no padding, as Filecoin addresses use it.
//!
//! The decoder accepts only the canonical form (the one the encoder writes): lowercase symbols,
//! no `=`, no impossible lengths and zero bits after the last whole byte, so every byte string
//! has exactly one text.

/// The symbols for the values 0 to 31.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Why a text is not canonical base32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base32Error {
    /// A character outside the lowercase alphabet.
    InvalidSymbol {
        /// The offending character.
        symbol: char,
    },
    /// A length no byte string encodes to (1, 3 or 6 symbols past a multiple of 8).
    InvalidLength,
    /// The unused bits of the last symbol are not zero.
    NonZeroTrailingBits,
}

/// The number of symbols [`encode`] writes for `byte_len` bytes: ⌈8·len / 5⌉.
pub(crate) const fn encoded_len(byte_len: usize) -> usize {
    byte_len.saturating_mul(8).saturating_add(4) / 5
}

/// Low `bits` bits set (`bits` < 64).
fn low_mask(bits: u32) -> u64 {
    1u64.wrapping_shl(bits).wrapping_sub(1)
}

/// The symbol for the low five bits of `value`.
fn symbol(value: u64) -> char {
    let index = usize::try_from(value & 31).unwrap_or(0);
    ALPHABET.get(index).copied().map_or('a', char::from)
}

/// The value of a symbol, if it is one.
fn value(symbol: char) -> Option<u64> {
    match symbol {
        'a'..='z' => Some(u64::from(symbol).wrapping_sub(u64::from('a'))),
        '2'..='7' => Some(
            u64::from(symbol)
                .wrapping_sub(u64::from('2'))
                .wrapping_add(26),
        ),
        _ => None,
    }
}

/// Encodes `bytes` as lowercase unpadded base32.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(encoded_len(bytes.len()));
    // At most 12 bits are pending: 4 left over plus the 8 of a new byte.
    let mut pending: u64 = 0;
    let mut pending_bits: u32 = 0;
    for &byte in bytes {
        pending = pending.wrapping_shl(8) | u64::from(byte);
        pending_bits = pending_bits.wrapping_add(8);
        while pending_bits >= 5 {
            pending_bits = pending_bits.wrapping_sub(5);
            text.push(symbol(pending.wrapping_shr(pending_bits)));
        }
        pending &= low_mask(pending_bits);
    }
    if pending_bits > 0 {
        text.push(symbol(
            pending.wrapping_shl(5u32.wrapping_sub(pending_bits)),
        ));
    }
    text
}

/// Decodes canonical lowercase unpadded base32.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Base32Error> {
    let mut bytes = Vec::with_capacity(text.len().saturating_mul(5) / 8);
    // At most 12 bits are pending: 7 left over plus the 5 of a new symbol.
    let mut pending: u64 = 0;
    let mut pending_bits: u32 = 0;
    for symbol in text.chars() {
        let value = value(symbol).ok_or(Base32Error::InvalidSymbol { symbol })?;
        pending = pending.wrapping_shl(5) | value;
        pending_bits = pending_bits.wrapping_add(5);
        if pending_bits >= 8 {
            pending_bits = pending_bits.wrapping_sub(8);
            bytes.push(pending.wrapping_shr(pending_bits).to_le_bytes()[0]);
        }
        pending &= low_mask(pending_bits);
    }
    if pending_bits >= 5 {
        return Err(Base32Error::InvalidLength);
    }
    if pending != 0 {
        return Err(Base32Error::NonZeroTrailingBits);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    use super::*;

    #[test]
    fn rfc4648_vectors_lowercased_without_padding() {
        // RFC 4648 §10, lowercased, padding removed.
        let vectors = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).as_deref(), Ok(plain.as_bytes()));
        }
    }

    #[test]
    fn rejects_non_canonical_text() {
        assert_eq!(
            decode("MZXW6"),
            Err(Base32Error::InvalidSymbol { symbol: 'M' })
        );
        assert_eq!(
            decode("my======"),
            Err(Base32Error::InvalidSymbol { symbol: '=' })
        );
        assert_eq!(
            decode("m1"),
            Err(Base32Error::InvalidSymbol { symbol: '1' })
        );
        assert_eq!(
            decode("mé"),
            Err(Base32Error::InvalidSymbol { symbol: 'é' })
        );
        for bad_length in ["m", "mzx", "mzxw6y"] {
            assert_eq!(decode(bad_length), Err(Base32Error::InvalidLength));
        }
        // "my" is "f"; "mz" has a non-zero bit after the byte.
        assert_eq!(decode("mz"), Err(Base32Error::NonZeroTrailingBits));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            rng_seed: RngSeed::Fixed(0x00ba_5e32),
            ..ProptestConfig::default()
        })]

        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let text = encode(&bytes);
            prop_assert_eq!(text.len(), encoded_len(bytes.len()));
            prop_assert_eq!(decode(&text), Ok(bytes));
        }

        #[test]
        fn decoding_is_canonical(text in "[a-z2-7A-Z0-9=]{0,40}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }
}
