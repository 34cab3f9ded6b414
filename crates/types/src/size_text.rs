//! Human-readable byte sizes ("2KiB", "512MiB", "1048576") for the CLI and config files.
//!
//! Only binary units are accepted: "MB" is ambiguous (10^6 or 2^20 bytes) and every size in the
//! protocol is a power of two, so a decimal unit is far more likely a mistake than a wish.

use std::fmt;

/// Why a text could not be read as a byte size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeParseError {
    /// The text is empty or only whitespace.
    #[error("the size is empty (write a byte count such as 1048576 or a size such as 512MiB)")]
    Empty,
    /// The text does not start with a whole number.
    #[error(
        "\"{input}\" does not start with a whole number of bytes (write e.g. 2048, 2KiB or 32GiB)"
    )]
    InvalidNumber {
        /// The text as given.
        input: String,
    },
    /// The unit after the number is not one of B, KiB, MiB, GiB, TiB, PiB.
    #[error(
        "unknown unit \"{unit}\" in \"{input}\" (use B, KiB, MiB, GiB, TiB or PiB; decimal units \
         such as MB are not accepted)"
    )]
    UnknownUnit {
        /// The text as given.
        input: String,
        /// The unit part of the text.
        unit: String,
    },
    /// The size does not fit in 64 bits.
    #[error("\"{input}\" is larger than the largest size, 2^64 - 1 bytes")]
    Overflow {
        /// The text as given.
        input: String,
    },
}

/// Binary units, largest first, with their shift (1 KiB = 1 << 10).
const UNITS: [(&str, u32); 5] = [
    ("PiB", 50),
    ("TiB", 40),
    ("GiB", 30),
    ("MiB", 20),
    ("KiB", 10),
];

/// Parses a byte count with an optional binary unit: `"1048576"`, `"128B"`, `"2KiB"`, `"8 MiB"`,
/// `"32gib"` (units are case-insensitive).
///
/// ```
/// use flowcoin_types::parse_byte_size;
/// assert_eq!(parse_byte_size("8MiB"), Ok(8 << 20));
/// assert_eq!(parse_byte_size("1048576"), Ok(1 << 20));
/// assert!(parse_byte_size("8MB").is_err());
/// ```
pub fn parse_byte_size(text: &str) -> Result<u64, SizeParseError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SizeParseError::Empty);
    }
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    let unit = unit.trim_start();
    if digits.is_empty() {
        return Err(SizeParseError::InvalidNumber {
            input: text.to_owned(),
        });
    }
    let number: u64 = digits.parse().map_err(|_| SizeParseError::Overflow {
        input: text.to_owned(),
    })?;
    let shift = if unit.is_empty() || unit.eq_ignore_ascii_case("B") {
        0
    } else {
        UNITS
            .iter()
            .find(|(name, _)| unit.eq_ignore_ascii_case(name))
            .map(|&(_, shift)| shift)
            .ok_or_else(|| unknown_unit(text, unit))?
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| SizeParseError::Overflow {
            input: text.to_owned(),
        })
}

fn unknown_unit(text: &str, unit: &str) -> SizeParseError {
    if unit.starts_with('.') || unit.starts_with(',') {
        return SizeParseError::InvalidNumber {
            input: text.to_owned(),
        };
    }
    SizeParseError::UnknownUnit {
        input: text.to_owned(),
        unit: unit.to_owned(),
    }
}

/// Writes `bytes` with the largest binary unit that divides it exactly ("2KiB", "127B"), so that
/// [`parse_byte_size`] reads the text back to the same number.
pub(crate) fn fmt_bytes(bytes: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for &(name, shift) in &UNITS {
        let unit = 1u64 << shift;
        if bytes >= unit && bytes.trailing_zeros() >= shift {
            return write!(f, "{}{name}", bytes >> shift);
        }
    }
    write!(f, "{bytes}B")
}

/// A `Display` adapter over [`fmt_bytes`], for error messages.
pub(crate) struct Bytes(pub(crate) u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_unit_sizes() {
        assert_eq!(parse_byte_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_byte_size("2KiB"), Ok(2048));
        assert_eq!(parse_byte_size(" 8 MiB "), Ok(8 << 20));
        assert_eq!(parse_byte_size("512mib"), Ok(512 << 20));
        assert_eq!(parse_byte_size("32GiB"), Ok(32 << 30));
        assert_eq!(parse_byte_size("128B"), Ok(128));
        assert_eq!(parse_byte_size("0"), Ok(0));
        assert_eq!(parse_byte_size("16383PiB"), Ok(16383 << 50));
    }

    #[test]
    fn rejects_bad_sizes_with_a_fix() {
        assert_eq!(parse_byte_size("  "), Err(SizeParseError::Empty));
        assert!(matches!(
            parse_byte_size("KiB"),
            Err(SizeParseError::InvalidNumber { .. })
        ));
        assert!(matches!(
            parse_byte_size("1.5GiB"),
            Err(SizeParseError::InvalidNumber { .. })
        ));
        assert!(matches!(
            parse_byte_size("-1"),
            Err(SizeParseError::InvalidNumber { .. })
        ));
        assert!(matches!(
            parse_byte_size("16384PiB"),
            Err(SizeParseError::Overflow { .. })
        ));
        assert!(matches!(
            parse_byte_size("99999999999999999999999"),
            Err(SizeParseError::Overflow { .. })
        ));
        let err = parse_byte_size("8MB").unwrap_err();
        assert!(err.to_string().contains("use B, KiB, MiB"), "{err}");
    }

    #[test]
    fn display_round_trips() {
        for bytes in [
            0,
            1,
            127,
            128,
            1000,
            2048,
            3 << 20,
            32 << 30,
            u64::MAX,
            1 << 63,
        ] {
            let text = Bytes(bytes).to_string();
            assert_eq!(parse_byte_size(&text), Ok(bytes), "{text}");
        }
        assert_eq!(Bytes(2048).to_string(), "2KiB");
        assert_eq!(Bytes(127).to_string(), "127B");
        assert_eq!(Bytes(64 << 30).to_string(), "64GiB");
    }
}
