//! Piece sizes: padded (a power of two ≥ 128, what a piece occupies in a sector) and unpadded
//! (127/128 of that, the payload bytes a piece can hold before Fr32 padding).

use std::fmt;
use std::str::FromStr;

use crate::size_text::{Bytes, SizeParseError, fmt_bytes, parse_byte_size};

/// Why a number is not a valid piece size, or a payload does not fit in any piece.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PieceSizeError {
    /// A padded piece size must be a power of two between 128 B and 2^63 B.
    #[error("piece size {size} is not a power of two ≥ 128 ({})", padded_hint(*.size))]
    NotPadded {
        /// The rejected size in bytes.
        size: u64,
    },
    /// An unpadded piece size must be 127·2^k bytes.
    #[error("unpadded piece size {size} is not 127·2^k ({})", unpadded_hint(*.size))]
    NotUnpadded {
        /// The rejected size in bytes.
        size: u64,
    },
    /// The payload is larger than the largest piece can hold.
    #[error(
        "a payload of {len} bytes does not fit in a piece (the largest piece holds {} bytes: \
         split the data into several pieces)",
        UnpaddedPieceSize::MAX.0
    )]
    PayloadTooLarge {
        /// The payload length in bytes.
        len: u64,
    },
    /// The text is not a size at all.
    #[error(transparent)]
    Parse(#[from] SizeParseError),
}

/// The padded size of a piece: a power of two from 128 B up to 2^63 B.
///
/// This is the size a piece takes in a sector after Fr32 padding, and the size that travels
/// beside a piece CID v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaddedPieceSize(u64);

/// The unpadded size of a piece: 127·2^k bytes, i.e. [`PaddedPieceSize`] · 127/128.
///
/// This is how many payload bytes a piece holds before Fr32 padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnpaddedPieceSize(u64);

impl PaddedPieceSize {
    /// The smallest piece, 128 B (one Fr32 quad).
    pub const MIN: Self = Self(128);
    /// The largest piece this type represents, 2^63 B (far above any sector size).
    pub const MAX: Self = Self(1 << 63);

    /// Validates a padded size: a power of two from 128 to 2^63.
    pub const fn new(bytes: u64) -> Result<Self, PieceSizeError> {
        if bytes >= Self::MIN.0 && bytes.is_power_of_two() {
            Ok(Self(bytes))
        } else {
            Err(PieceSizeError::NotPadded { size: bytes })
        }
    }

    /// The piece of `2^log2` bytes, if `log2` is from 7 to 63.
    pub const fn from_log2(log2: u32) -> Option<Self> {
        if log2 >= 7 && log2 <= 63 {
            Some(Self(1 << log2))
        } else {
            None
        }
    }

    /// The smallest piece whose unpadded capacity holds `len` payload bytes (at least 128 B).
    ///
    /// ```
    /// use flowcoin_types::PaddedPieceSize;
    /// assert_eq!(PaddedPieceSize::for_payload(0)?.bytes(), 128);
    /// assert_eq!(PaddedPieceSize::for_payload(127)?.bytes(), 128);
    /// assert_eq!(PaddedPieceSize::for_payload(128)?.bytes(), 256);
    /// # Ok::<(), flowcoin_types::PieceSizeError>(())
    /// ```
    pub fn for_payload(len: u64) -> Result<Self, PieceSizeError> {
        let quads = len.div_ceil(127).max(1);
        quads
            .checked_next_power_of_two()
            .and_then(|q| q.checked_mul(128))
            .map(Self)
            .ok_or(PieceSizeError::PayloadTooLarge { len })
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// log2 of the size in bytes (7 for 128 B, 35 for 32 GiB).
    pub const fn log2(self) -> u32 {
        self.0.trailing_zeros()
    }

    /// The payload capacity of this piece (size · 127/128).
    pub const fn unpadded(self) -> UnpaddedPieceSize {
        // Cannot wrap: x / 128 ≤ x.
        UnpaddedPieceSize(self.0.wrapping_sub(self.0 / 128))
    }
}

impl UnpaddedPieceSize {
    /// The smallest piece, 127 B.
    pub const MIN: Self = Self(127);
    /// The largest piece this type represents, 2^63 · 127/128 B.
    pub const MAX: Self = PaddedPieceSize::MAX.unpadded();

    /// Validates an unpadded size: 127·2^k bytes with k from 0 to 56.
    pub const fn new(bytes: u64) -> Result<Self, PieceSizeError> {
        if bytes >= Self::MIN.0
            && bytes <= Self::MAX.0
            && bytes.is_multiple_of(127)
            && (bytes / 127).is_power_of_two()
        {
            Ok(Self(bytes))
        } else {
            Err(PieceSizeError::NotUnpadded { size: bytes })
        }
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// The padded size of this piece (size · 128/127).
    pub const fn padded(self) -> PaddedPieceSize {
        // Cannot wrap: the size is at most 127 · 2^56, so size / 127 · 128 ≤ 2^63.
        PaddedPieceSize((self.0 / 127).wrapping_mul(128))
    }
}

impl From<PaddedPieceSize> for UnpaddedPieceSize {
    fn from(padded: PaddedPieceSize) -> Self {
        padded.unpadded()
    }
}

impl From<UnpaddedPieceSize> for PaddedPieceSize {
    fn from(unpadded: UnpaddedPieceSize) -> Self {
        unpadded.padded()
    }
}

impl From<PaddedPieceSize> for u64 {
    fn from(size: PaddedPieceSize) -> Self {
        size.0
    }
}

impl From<UnpaddedPieceSize> for u64 {
    fn from(size: UnpaddedPieceSize) -> Self {
        size.0
    }
}

impl TryFrom<u64> for PaddedPieceSize {
    type Error = PieceSizeError;

    fn try_from(bytes: u64) -> Result<Self, Self::Error> {
        Self::new(bytes)
    }
}

impl TryFrom<u64> for UnpaddedPieceSize {
    type Error = PieceSizeError;

    fn try_from(bytes: u64) -> Result<Self, Self::Error> {
        Self::new(bytes)
    }
}

/// Shows the size with the largest exact binary unit: `128B`, `2KiB`, `32GiB`.
impl fmt::Display for PaddedPieceSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(self.0, f)
    }
}

/// Shows the size with the largest exact binary unit: `127B`, `2032KiB`.
impl fmt::Display for UnpaddedPieceSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(self.0, f)
    }
}

/// Reads `"2KiB"`, `"8MiB"`, `"32GiB"` or a plain byte count such as `"1048576"`.
impl FromStr for PaddedPieceSize {
    type Err = PieceSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::new(parse_byte_size(text)?)
    }
}

/// Reads `"127"`, `"508B"`, `"2032KiB"`: 127·2^k bytes, with or without a binary unit.
impl FromStr for UnpaddedPieceSize {
    type Err = PieceSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::new(parse_byte_size(text)?)
    }
}

/// The nearest valid padded sizes around an invalid one, for error messages.
fn padded_hint(size: u64) -> String {
    if size < PaddedPieceSize::MIN.0 {
        return format!("the smallest valid size is {}", PaddedPieceSize::MIN.0);
    }
    let lower = 1u64 << size.ilog2();
    match lower.checked_mul(2) {
        Some(upper) => format!("the nearest valid sizes are {lower} and {upper}"),
        None => format!("the largest valid size is {lower}"),
    }
}

/// The nearest valid unpadded sizes around an invalid one, for error messages.
fn unpadded_hint(size: u64) -> String {
    let min = UnpaddedPieceSize::MIN.0;
    if size < min {
        return format!("the smallest valid size is {min}");
    }
    let max = UnpaddedPieceSize::MAX.0;
    if size >= max {
        return format!("the largest valid size is {max} ({})", Bytes(max));
    }
    let lower = min << (size / min).ilog2();
    format!("the nearest valid sizes are {lower} and {}", lower << 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_sizes_are_powers_of_two_from_128() {
        assert_eq!(
            PaddedPieceSize::new(128).map(PaddedPieceSize::bytes),
            Ok(128)
        );
        assert_eq!(
            PaddedPieceSize::new(1 << 63).map(PaddedPieceSize::bytes),
            Ok(1 << 63)
        );
        for bad in [0, 1, 64, 127, 129, 3000, u64::MAX] {
            assert_eq!(
                PaddedPieceSize::new(bad),
                Err(PieceSizeError::NotPadded { size: bad })
            );
        }
    }

    #[test]
    fn error_messages_name_the_nearest_valid_sizes() {
        let err = PaddedPieceSize::new(3000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "piece size 3000 is not a power of two ≥ 128 (the nearest valid sizes are 2048 and \
             4096)"
        );
        let err = PaddedPieceSize::new(100).unwrap_err().to_string();
        assert!(err.ends_with("(the smallest valid size is 128)"), "{err}");
        let err = PaddedPieceSize::new(u64::MAX).unwrap_err().to_string();
        assert!(
            err.contains("the largest valid size is 9223372036854775808"),
            "{err}"
        );
        let err = UnpaddedPieceSize::new(1000).unwrap_err().to_string();
        assert!(
            err.ends_with("(the nearest valid sizes are 508 and 1016)"),
            "{err}"
        );
        let err = UnpaddedPieceSize::new(5).unwrap_err().to_string();
        assert!(err.ends_with("(the smallest valid size is 127)"), "{err}");
        let err = UnpaddedPieceSize::new(u64::MAX).unwrap_err().to_string();
        assert!(err.contains("the largest valid size is"), "{err}");
    }

    #[test]
    fn padded_and_unpadded_convert_both_ways() {
        for log2 in 7..=63 {
            let padded = PaddedPieceSize::new(1 << log2).unwrap();
            let unpadded = padded.unpadded();
            assert_eq!(unpadded.bytes(), (1u64 << log2) / 128 * 127);
            assert_eq!(UnpaddedPieceSize::new(unpadded.bytes()), Ok(unpadded));
            assert_eq!(PaddedPieceSize::from(unpadded), padded);
            assert_eq!(UnpaddedPieceSize::from(padded), unpadded);
            assert_eq!(padded.log2(), log2);
            assert_eq!(PaddedPieceSize::from_log2(log2), Some(padded));
        }
        for bad in [0, 126, 128, 254 + 127, 1000, UnpaddedPieceSize::MAX.0 * 2] {
            assert!(UnpaddedPieceSize::new(bad).is_err(), "{bad}");
        }
        assert_eq!(PaddedPieceSize::from_log2(6), None);
        assert_eq!(PaddedPieceSize::from_log2(64), None);
    }

    #[test]
    fn for_payload_picks_the_smallest_piece_that_holds_it() {
        let cases = [
            (0, 128),
            (1, 128),
            (127, 128),
            (128, 256),
            (254, 256),
            (255, 512),
            (1016, 1024),
            (1017, 2048),
            (104_857_600, 134_217_728),
        ];
        for (len, padded) in cases {
            assert_eq!(
                PaddedPieceSize::for_payload(len).map(u64::from),
                Ok(padded),
                "{len}"
            );
        }
        let max = UnpaddedPieceSize::MAX.bytes();
        assert_eq!(PaddedPieceSize::for_payload(max), Ok(PaddedPieceSize::MAX));
        assert_eq!(
            PaddedPieceSize::for_payload(max + 1),
            Err(PieceSizeError::PayloadTooLarge { len: max + 1 })
        );
        assert!(PaddedPieceSize::for_payload(u64::MAX).is_err());
    }

    #[test]
    fn parses_and_displays_human_sizes() {
        for (text, bytes) in [
            ("2KiB", 2048),
            ("8MiB", 8 << 20),
            ("512MiB", 512 << 20),
            ("32GiB", 32 << 30),
            ("1048576", 1 << 20),
        ] {
            let size: PaddedPieceSize = text.parse().unwrap();
            assert_eq!(size.bytes(), bytes);
            assert_eq!(size.to_string().parse::<PaddedPieceSize>(), Ok(size));
        }
        assert_eq!(PaddedPieceSize::MIN.to_string(), "128B");
        assert_eq!(
            "2032KiB".parse::<UnpaddedPieceSize>().map(u64::from),
            Ok(2032 << 10)
        );
        assert!(matches!(
            "3000".parse::<PaddedPieceSize>(),
            Err(PieceSizeError::NotPadded { .. })
        ));
        assert!(matches!(
            "2KB".parse::<PaddedPieceSize>(),
            Err(PieceSizeError::Parse(_))
        ));
    }
}
