//! The sector sizes Flowcoin seals: 2 KiB, 8 MiB, 512 MiB (tests and devnet), 32 GiB and 64 GiB
//! (production).

use std::fmt;
use std::str::FromStr;

use crate::piece_size::{PaddedPieceSize, UnpaddedPieceSize};
use crate::size_text::{Bytes, SizeParseError, parse_byte_size};

/// Why a size is not a supported sector size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SectorSizeError {
    /// The size is valid bytes but not one of the sector sizes the protocol seals.
    #[error(
        "sector size {} is not supported (use one of 2KiB, 8MiB, 512MiB, 32GiB or 64GiB)",
        Bytes(*.bytes)
    )]
    Unsupported {
        /// The rejected size in bytes.
        bytes: u64,
    },
    /// The text is not a size at all.
    #[error(transparent)]
    Parse(#[from] SizeParseError),
}

/// A sector size the protocol seals. The numbers of layers and challenges per size live with
/// the proofs; this type only names the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SectorSize {
    /// 2 KiB: unit tests.
    Size2KiB,
    /// 8 MiB: integration tests and the devnet.
    Size8MiB,
    /// 512 MiB: large tests and the devnet.
    Size512MiB,
    /// 32 GiB: production.
    Size32GiB,
    /// 64 GiB: production.
    Size64GiB,
}

impl SectorSize {
    /// Every supported size, smallest first.
    pub const ALL: [Self; 5] = [
        Self::Size2KiB,
        Self::Size8MiB,
        Self::Size512MiB,
        Self::Size32GiB,
        Self::Size64GiB,
    ];

    /// The sector size in bytes (this is also the padded size of a piece filling the sector).
    pub const fn bytes(self) -> u64 {
        1 << self.log2()
    }

    /// log2 of the size in bytes (11 for 2 KiB, 35 for 32 GiB).
    pub const fn log2(self) -> u32 {
        match self {
            Self::Size2KiB => 11,
            Self::Size8MiB => 23,
            Self::Size512MiB => 29,
            Self::Size32GiB => 35,
            Self::Size64GiB => 36,
        }
    }

    /// The padded size of a piece that fills the whole sector.
    pub const fn padded_piece_size(self) -> PaddedPieceSize {
        match PaddedPieceSize::from_log2(self.log2()) {
            Some(size) => size,
            // Every variant's log2 is between 7 and 63 (checked by a test).
            None => PaddedPieceSize::MAX,
        }
    }

    /// How many payload bytes the sector holds (size · 127/128).
    pub const fn unpadded_size(self) -> UnpaddedPieceSize {
        self.padded_piece_size().unpadded()
    }

    /// The number of 32-byte nodes in the sector.
    pub const fn nodes(self) -> u64 {
        self.bytes() / 32
    }

    /// Sectors per Window PoSt partition (Filecoin's `window_post_partition_sectors`: 2 for
    /// the test sizes, 2349 for 32 GiB, 2300 for 64 GiB).
    pub const fn window_post_partition_sectors(self) -> u64 {
        match self {
            Self::Size2KiB | Self::Size8MiB | Self::Size512MiB => 2,
            Self::Size32GiB => 2349,
            Self::Size64GiB => 2300,
        }
    }
}

impl From<SectorSize> for PaddedPieceSize {
    fn from(size: SectorSize) -> Self {
        size.padded_piece_size()
    }
}

impl From<SectorSize> for u64 {
    fn from(size: SectorSize) -> Self {
        size.bytes()
    }
}

impl TryFrom<u64> for SectorSize {
    type Error = SectorSizeError;

    fn try_from(bytes: u64) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|size| size.bytes() == bytes)
            .ok_or(SectorSizeError::Unsupported { bytes })
    }
}

impl TryFrom<PaddedPieceSize> for SectorSize {
    type Error = SectorSizeError;

    fn try_from(size: PaddedPieceSize) -> Result<Self, Self::Error> {
        Self::try_from(size.bytes())
    }
}

/// Shows `2KiB`, `8MiB`, `512MiB`, `32GiB` or `64GiB`.
impl fmt::Display for SectorSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Bytes(self.bytes()), f)
    }
}

/// Reads `"2KiB"`, `"32GiB"` (units are case-insensitive) or a byte count such as `"8388608"`.
impl FromStr for SectorSize {
    type Err = SectorSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::try_from(parse_byte_size(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_trip_through_text_and_bytes() {
        let names = ["2KiB", "8MiB", "512MiB", "32GiB", "64GiB"];
        for (size, name) in SectorSize::ALL.into_iter().zip(names) {
            assert_eq!(size.to_string(), name);
            assert_eq!(name.parse::<SectorSize>(), Ok(size));
            assert_eq!(size.bytes().to_string().parse::<SectorSize>(), Ok(size));
            assert_eq!(SectorSize::try_from(size.bytes()), Ok(size));
            assert_eq!(
                PaddedPieceSize::new(size.bytes()),
                Ok(size.padded_piece_size())
            );
            assert_eq!(SectorSize::try_from(size.padded_piece_size()), Ok(size));
            assert_eq!(size.unpadded_size().bytes(), size.bytes() / 128 * 127);
            assert_eq!(size.nodes() * 32, size.bytes());
        }
        assert_eq!("32gib".parse::<SectorSize>(), Ok(SectorSize::Size32GiB));
    }

    #[test]
    fn unsupported_sizes_name_the_supported_ones() {
        let err = "4KiB".parse::<SectorSize>().unwrap_err();
        assert_eq!(err, SectorSizeError::Unsupported { bytes: 4096 });
        assert_eq!(
            err.to_string(),
            "sector size 4KiB is not supported (use one of 2KiB, 8MiB, 512MiB, 32GiB or 64GiB)"
        );
        assert!(matches!(
            "big".parse::<SectorSize>(),
            Err(SectorSizeError::Parse(_))
        ));
        assert!(SectorSize::try_from(0).is_err());
    }
}
