//! Token amounts: [`TokenAmount`] in attoFLW (1 FLW = 10^18 attoFLW), with checked arithmetic,
//! exact unit-aware text and Filecoin's byte encoding of BigInt amounts.
//!
//! A `u128` holds every amount the protocol can produce: the whole supply is 3.1·10^26 attoFLW,
//! about 2^88, far below 2^128. There is no `Sum` and no operator overloading: every addition or
//! subtraction says what it does on overflow.

use std::fmt;
use std::str::FromStr;

use crate::text::bounded;

/// An amount of FLW, counted in attoFLW (10^-18 FLW). Never negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenAmount(u128);

/// The text units [`TokenAmount`] reads, with their power of ten in attoFLW.
const UNITS: [(&str, u32); 7] = [
    ("FLW", 18),
    ("milliFLW", 15),
    ("microFLW", 12),
    ("nanoFLW", 9),
    ("picoFLW", 6),
    ("femtoFLW", 3),
    ("attoFLW", 0),
];

/// Decimal places of one FLW in attoFLW.
const FLW_DECIMALS: u32 = 18;

/// The most magnitude bytes a `u128` needs.
const MAX_MAGNITUDE_BYTES: usize = 16;

impl TokenAmount {
    /// No tokens.
    pub const ZERO: Self = Self(0);
    /// attoFLW in one FLW: 10^18.
    pub const ATTO_PER_FLW: u128 = 1_000_000_000_000_000_000;
    /// One FLW.
    pub const ONE_FLW: Self = Self(Self::ATTO_PER_FLW);
    /// Every FLW that will ever exist: 310,000,000 FLW.
    pub const TOTAL_SUPPLY: Self = Self::from_flw(310_000_000);
    /// The largest representable amount (about 3.4·10^20 FLW); only useful as a bound.
    pub const MAX: Self = Self(u128::MAX);

    /// An amount of `atto` attoFLW.
    pub const fn from_atto(atto: u128) -> Self {
        Self(atto)
    }

    /// An amount of `flw` whole FLW. Cannot overflow: (2^64 − 1)·10^18 < 2^128.
    pub const fn from_flw(flw: u64) -> Self {
        // Cannot wrap: see the doc comment.
        Self((flw as u128).wrapping_mul(Self::ATTO_PER_FLW))
    }

    /// The amount in attoFLW.
    pub const fn atto(self) -> u128 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Self(sum)),
            None => None,
        }
    }

    /// `self − other`, or `None` if `other` is larger.
    pub const fn checked_sub(self, other: Self) -> Option<Self> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Self(difference)),
            None => None,
        }
    }

    /// `self − other`, or zero if `other` is larger.
    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// `self · factor`, or `None` on overflow.
    pub const fn checked_mul(self, factor: u128) -> Option<Self> {
        match self.0.checked_mul(factor) {
            Some(product) => Some(Self(product)),
            None => None,
        }
    }

    /// `self / divisor` rounded down, or `None` if `divisor` is zero.
    pub const fn checked_div(self, divisor: u128) -> Option<Self> {
        match self.0.checked_div(divisor) {
            Some(quotient) => Some(Self(quotient)),
            None => None,
        }
    }

    /// `floor(self · numerator / denominator)`, computed exactly with a 192-bit intermediate
    /// product, so it never overflows in the middle (this is how pro-rata shares are taken).
    ///
    /// Returns `None` if `denominator` is zero or the result does not fit in 128 bits (which
    /// cannot happen when `numerator ≤ denominator`).
    ///
    /// ```
    /// use flowcoin_types::TokenAmount;
    /// let reward = TokenAmount::MAX;
    /// assert_eq!(reward.mul_div_floor(2, 3), Some(TokenAmount::from_atto(u128::MAX / 3 * 2)));
    /// assert_eq!(TokenAmount::from_atto(10).mul_div_floor(1, 3), Some(TokenAmount::from_atto(3)));
    /// assert_eq!(TokenAmount::ONE_FLW.mul_div_floor(1, 0), None);
    /// ```
    pub fn mul_div_floor(self, numerator: u64, denominator: u64) -> Option<Self> {
        let numerator = u128::from(numerator);
        let denominator = u128::from(denominator);
        // Split self into 64-bit halves; each partial product fits in 128 bits:
        // (2^64 − 1)^2 + (2^64 − 1) < 2^128, so the wrapping operations never wrap.
        let low = u128::from(self.0 as u64).wrapping_mul(numerator);
        let high = (self.0 >> 64)
            .wrapping_mul(numerator)
            .wrapping_add(low >> 64);
        // Long division of the three 64-bit limbs (most significant first) by the divisor.
        let (top, remainder) = div_step(0, high >> 64, denominator)?;
        if top != 0 {
            // The quotient needs more than 128 bits.
            return None;
        }
        let (middle, remainder) = div_step(remainder, u128::from(high as u64), denominator)?;
        let (bottom, _) = div_step(remainder, u128::from(low as u64), denominator)?;
        Some(Self((middle << 64) | bottom))
    }

    /// The sum of `amounts`, or `None` on overflow. (`TokenAmount` has no `Sum` impl: a sum
    /// that silently wraps or panics is never what a ledger wants.)
    ///
    /// ```
    /// use flowcoin_types::TokenAmount;
    /// let parts = [TokenAmount::ONE_FLW, TokenAmount::from_atto(5)];
    /// assert_eq!(
    ///     TokenAmount::checked_sum(parts),
    ///     Some(TokenAmount::from_atto(1_000_000_000_000_000_005))
    /// );
    /// assert_eq!(TokenAmount::checked_sum([TokenAmount::MAX, TokenAmount::from_atto(1)]), None);
    /// ```
    pub fn checked_sum<I: IntoIterator<Item = Self>>(amounts: I) -> Option<Self> {
        amounts
            .into_iter()
            .try_fold(Self::ZERO, |total, amount| total.checked_add(amount))
    }

    /// The amount in attoFLW with its unit, e.g. `123 attoFLW` (the [`Display`](fmt::Display)
    /// form uses FLW).
    pub fn format_atto(self) -> String {
        format!("{} attoFLW", self.0)
    }

    /// The big-endian minimal byte form Filecoin uses for BigInt token amounts: empty for zero,
    /// otherwise a sign byte `0x00` (positive) followed by the magnitude without leading zeros.
    ///
    /// ```
    /// use flowcoin_types::TokenAmount;
    /// assert!(TokenAmount::ZERO.to_be_bytes_minimal().is_empty());
    /// assert_eq!(TokenAmount::from_atto(0x1234).to_be_bytes_minimal(), [0x00, 0x12, 0x34]);
    /// ```
    pub fn to_be_bytes_minimal(self) -> Vec<u8> {
        if self.0 == 0 {
            return Vec::new();
        }
        let magnitude = self.0.to_be_bytes();
        let first = magnitude
            .iter()
            .position(|&byte| byte != 0)
            .unwrap_or(magnitude.len());
        let mut bytes = Vec::with_capacity(MAX_MAGNITUDE_BYTES.saturating_add(1));
        bytes.push(0x00);
        bytes.extend(magnitude.iter().skip(first));
        bytes
    }

    /// Reads the byte form written by [`to_be_bytes_minimal`](Self::to_be_bytes_minimal).
    ///
    /// Only the canonical form is accepted, so every amount has exactly one encoding (and one
    /// hash): zero must be empty and the magnitude must not start with `0x00`. Filecoin's
    /// decoders also accept the non-minimal forms; ours does not.
    pub fn from_be_bytes(bytes: &[u8]) -> Result<Self, TokenBytesError> {
        let Some((&sign, magnitude)) = bytes.split_first() else {
            return Ok(Self::ZERO);
        };
        match sign {
            0x00 => {}
            0x01 => return Err(TokenBytesError::Negative),
            other => return Err(TokenBytesError::InvalidSign { byte: other }),
        }
        match magnitude.first() {
            None | Some(0) => return Err(TokenBytesError::NonMinimal),
            Some(_) => {}
        }
        if magnitude.len() > MAX_MAGNITUDE_BYTES {
            return Err(TokenBytesError::TooLong {
                magnitude_bytes: magnitude.len(),
            });
        }
        let value = magnitude
            .iter()
            .fold(0u128, |value, &byte| (value << 8) | u128::from(byte));
        Ok(Self(value))
    }
}

/// One step of long division by a 64-bit divisor: (`remainder`·2^64 + `limb`) / `divisor` and
/// its remainder, `None` if the divisor is zero. With `remainder < divisor < 2^64` and
/// `limb < 2^64` the dividend fits in 128 bits and the quotient in 64.
fn div_step(remainder: u128, limb: u128, divisor: u128) -> Option<(u128, u128)> {
    let dividend = (remainder << 64) | limb;
    Some((
        dividend.checked_div(divisor)?,
        dividend.checked_rem(divisor)?,
    ))
}

/// Writes `atto` as `<whole>[.<fraction>]` with `decimals` fractional digits, trailing zeros
/// trimmed.
fn write_decimal(f: &mut fmt::Formatter<'_>, atto: u128, decimals: u32) -> fmt::Result {
    let scale = 10u128.pow(decimals);
    let whole = atto.checked_div(scale).unwrap_or(0);
    let fraction = atto.checked_rem(scale).unwrap_or(0);
    if fraction == 0 {
        return write!(f, "{whole}");
    }
    let digits = format!("{fraction:0width$}", width = decimals as usize);
    write!(f, "{whole}.{}", digits.trim_end_matches('0'))
}

impl fmt::Display for TokenAmount {
    /// Exact FLW with trailing zeros trimmed: `1.5 FLW`, `0 FLW`, `0.000000000000000001 FLW`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(f, self.0, FLW_DECIMALS)?;
        f.write_str(" FLW")
    }
}

/// Why a text could not be read as a token amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenParseError {
    /// The text is empty or only whitespace.
    #[error("the token amount is empty (write e.g. 1.5 FLW or 1500000000000000000 attoFLW)")]
    Empty,
    /// The text starts with a minus sign.
    #[error("token amount \"{input}\" is negative (amounts are never below 0 FLW)")]
    Negative {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The number is not `digits` or `digits.digits`.
    #[error(
        "\"{input}\" is not a token amount (write digits with an optional decimal point and \
         unit, e.g. 1.5 FLW, 12 milliFLW or 7 attoFLW)"
    )]
    InvalidNumber {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The unit after the number is not known.
    #[error(
        "unknown unit \"{unit}\" in token amount \"{input}\" (use FLW, milliFLW, microFLW, \
         nanoFLW, picoFLW, femtoFLW or attoFLW)"
    )]
    UnknownUnit {
        /// The text as given (shortened if very long).
        input: String,
        /// The unit part of the text (shortened if very long).
        unit: String,
    },
    /// The number has more decimal places than the unit allows: it is finer than 1 attoFLW.
    #[error(
        "token amount \"{input}\" has more than {max_decimals} decimal places, finer than \
         1 attoFLW (amounts are exact; round it or use a smaller unit)"
    )]
    TooPrecise {
        /// The text as given (shortened if very long).
        input: String,
        /// The most decimal places the unit allows.
        max_decimals: u32,
    },
    /// The amount does not fit in 128 bits of attoFLW.
    #[error(
        "token amount \"{input}\" is too large (the largest is {} attoFLW)",
        u128::MAX
    )]
    Overflow {
        /// The text as given (shortened if very long).
        input: String,
    },
}

impl FromStr for TokenAmount {
    type Err = TokenParseError;

    /// Reads `<number> [unit]`: the number is `digits` or `digits.digits`, the unit one of
    /// `FLW` (the default when absent), `milliFLW`, `microFLW`, `nanoFLW`, `picoFLW`,
    /// `femtoFLW`, `attoFLW`, case-insensitive, with or without a space before it. The amount
    /// must be exact: at most as many decimal places as the unit has attoFLW digits.
    ///
    /// ```
    /// use flowcoin_types::TokenAmount;
    /// let atto = |a| TokenAmount::from_atto(a);
    /// assert_eq!("1.5 FLW".parse(), Ok(atto(1_500_000_000_000_000_000)));
    /// assert_eq!("1.5flw".parse(), Ok(atto(1_500_000_000_000_000_000)));
    /// assert_eq!("1.5".parse(), Ok(atto(1_500_000_000_000_000_000)));
    /// assert_eq!("12 milliFLW".parse(), Ok(atto(12_000_000_000_000_000)));
    /// assert_eq!("123 attoFLW".parse(), Ok(atto(123)));
    /// assert!("0.0000000000000000001 FLW".parse::<TokenAmount>().is_err());
    /// assert!("-1 FLW".parse::<TokenAmount>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(TokenParseError::Empty);
        }
        let input = || bounded(text);
        if trimmed.starts_with('-') {
            return Err(TokenParseError::Negative { input: input() });
        }
        let number_end = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(number_end);
        if number.is_empty() {
            return Err(TokenParseError::InvalidNumber { input: input() });
        }
        let unit = unit.trim_start();
        let decimals = if unit.is_empty() {
            FLW_DECIMALS
        } else {
            UNITS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(unit))
                .map(|&(_, decimals)| decimals)
                .ok_or_else(|| TokenParseError::UnknownUnit {
                    input: input(),
                    unit: bounded(unit),
                })?
        };
        let (whole, fraction) = match number.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (number, ""),
        };
        let well_formed = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && fraction.is_empty() != number.contains('.');
        if !well_formed {
            return Err(TokenParseError::InvalidNumber { input: input() });
        }
        // Trailing zeros add no precision: "1.50" is as exact as "1.5".
        let fraction = fraction.trim_end_matches('0');
        let fraction_len = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
        let Some(pad) = decimals.checked_sub(fraction_len) else {
            return Err(TokenParseError::TooPrecise {
                input: input(),
                max_decimals: decimals,
            });
        };
        let overflow = || TokenParseError::Overflow { input: input() };
        // whole · 10^decimals + fraction · 10^pad, all checked.
        let digits_value = |digits: &str| -> Result<u128, TokenParseError> {
            digits.bytes().try_fold(0u128, |value, digit| {
                value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u128::from(digit.wrapping_sub(b'0'))))
                    .ok_or_else(overflow)
            })
        };
        let whole_atto = digits_value(whole)?
            .checked_mul(10u128.pow(decimals))
            .ok_or_else(overflow)?;
        let fraction_atto = digits_value(fraction)?
            .checked_mul(10u128.pow(pad))
            .ok_or_else(overflow)?;
        whole_atto
            .checked_add(fraction_atto)
            .map(Self)
            .ok_or_else(overflow)
    }
}

/// Why bytes are not the canonical byte form of a token amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenBytesError {
    /// The sign byte is `0x01`: a negative BigInt, which is never a token amount.
    #[error("token amount bytes have sign byte 0x01 (negative); amounts are never negative")]
    Negative,
    /// The sign byte is neither `0x00` nor `0x01`.
    #[error("token amount bytes start with 0x{byte:02x}, not a sign byte (0x00 or 0x01)")]
    InvalidSign {
        /// The first byte.
        byte: u8,
    },
    /// Zero written as `[0x00]`, or a magnitude with leading zero bytes.
    #[error(
        "token amount bytes are not minimal (zero is the empty string and the magnitude has no \
         leading zero bytes)"
    )]
    NonMinimal,
    /// The magnitude is longer than 16 bytes.
    #[error("token amount magnitude has {magnitude_bytes} bytes; at most 16 fit in 128 bits")]
    TooLong {
        /// The number of magnitude bytes after the sign byte.
        magnitude_bytes: usize,
    },
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    use super::*;

    fn atto(value: u128) -> TokenAmount {
        TokenAmount::from_atto(value)
    }

    #[test]
    fn constants() {
        assert_eq!(TokenAmount::ONE_FLW.atto(), 10u128.pow(18));
        assert_eq!(
            TokenAmount::TOTAL_SUPPLY.atto(),
            310_000_000 * 10u128.pow(18)
        );
        assert!(TokenAmount::ZERO.is_zero());
        assert_eq!(
            TokenAmount::from_flw(u64::MAX).atto(),
            u128::from(u64::MAX) * 10u128.pow(18)
        );
    }

    #[test]
    fn display_is_exact_and_trimmed() {
        assert_eq!(atto(1_500_000_000_000_000_000).to_string(), "1.5 FLW");
        assert_eq!(TokenAmount::ZERO.to_string(), "0 FLW");
        assert_eq!(atto(1).to_string(), "0.000000000000000001 FLW");
        assert_eq!(TokenAmount::TOTAL_SUPPLY.to_string(), "310000000 FLW");
        assert_eq!(atto(10).to_string(), "0.00000000000000001 FLW");
        assert_eq!(
            TokenAmount::MAX.to_string(),
            "340282366920938463463.374607431768211455 FLW"
        );
        assert_eq!(atto(123).format_atto(), "123 attoFLW");
    }

    #[test]
    fn parses_units_case_insensitively() {
        let cases: [(&str, u128); 12] = [
            ("1.5 FLW", 1_500_000_000_000_000_000),
            ("1.5FLW", 1_500_000_000_000_000_000),
            ("1.5", 1_500_000_000_000_000_000),
            ("  2 flw ", 2_000_000_000_000_000_000),
            ("1500000000000000000 attoFLW", 1_500_000_000_000_000_000),
            ("12 milliFLW", 12_000_000_000_000_000),
            ("1.25 MICROflw", 1_250_000_000_000),
            ("3 nanoFLW", 3_000_000_000),
            ("4 picoFLW", 4_000_000),
            ("5 femtoFLW", 5_000),
            ("0.000000000000000001", 1),
            ("1.50000000000000000000000", 1_500_000_000_000_000_000),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<TokenAmount>(), Ok(atto(expected)), "{text}");
        }
        assert_eq!(
            "340282366920938463463.374607431768211455 FLW".parse(),
            Ok(TokenAmount::MAX)
        );
    }

    #[test]
    fn rejects_bad_text_with_a_reason() {
        let too_precise = "0.0000000000000000001 FLW".parse::<TokenAmount>();
        assert!(matches!(
            too_precise,
            Err(TokenParseError::TooPrecise {
                max_decimals: 18,
                ..
            })
        ));
        assert!(
            too_precise
                .unwrap_err()
                .to_string()
                .contains("\"0.0000000000000000001 FLW\" has more than 18 decimal places")
        );
        assert!(matches!(
            "1.5 attoFLW".parse::<TokenAmount>(),
            Err(TokenParseError::TooPrecise {
                max_decimals: 0,
                ..
            })
        ));
        assert_eq!("".parse::<TokenAmount>(), Err(TokenParseError::Empty));
        assert_eq!("  ".parse::<TokenAmount>(), Err(TokenParseError::Empty));
        assert!(matches!(
            "-1 FLW".parse::<TokenAmount>(),
            Err(TokenParseError::Negative { .. })
        ));
        for junk in [
            "abc", "1.", ".5", "1..2", "1.2.3", "+1", "1,5", "1_000", "FLW", "0x10",
        ] {
            let err = junk.parse::<TokenAmount>().unwrap_err();
            assert!(
                matches!(
                    err,
                    TokenParseError::InvalidNumber { .. } | TokenParseError::UnknownUnit { .. }
                ),
                "{junk}: {err:?}"
            );
            assert!(err.to_string().contains(junk), "{junk}: {err}");
        }
        let err = "5 kFLW".parse::<TokenAmount>().unwrap_err();
        assert_eq!(
            err,
            TokenParseError::UnknownUnit {
                input: "5 kFLW".into(),
                unit: "kFLW".into()
            }
        );
        assert!(matches!(
            "340282366920938463463.374607431768211456 FLW".parse::<TokenAmount>(),
            Err(TokenParseError::Overflow { .. })
        ));
        assert!(matches!(
            "1000000000000000000000000000000000000000000 attoFLW".parse::<TokenAmount>(),
            Err(TokenParseError::Overflow { .. })
        ));
    }

    #[test]
    fn long_junk_is_shortened_in_errors() {
        let junk = "x".repeat(10_000);
        let message = junk.parse::<TokenAmount>().unwrap_err().to_string();
        assert!(message.len() < 400, "{}", message.len());
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(atto(2).checked_add(atto(3)), Some(atto(5)));
        assert_eq!(TokenAmount::MAX.checked_add(atto(1)), None);
        assert_eq!(atto(2).checked_sub(atto(3)), None);
        assert_eq!(atto(2).saturating_sub(atto(3)), TokenAmount::ZERO);
        assert_eq!(atto(3).checked_mul(7), Some(atto(21)));
        assert_eq!(TokenAmount::MAX.checked_mul(2), None);
        assert_eq!(atto(7).checked_div(2), Some(atto(3)));
        assert_eq!(atto(7).checked_div(0), None);
        assert!(atto(1) < atto(2));
        assert_eq!(TokenAmount::checked_sum([]), Some(TokenAmount::ZERO));
    }

    #[test]
    fn mul_div_floor_edges() {
        let supply = TokenAmount::TOTAL_SUPPLY;
        assert_eq!(supply.mul_div_floor(u64::MAX, u64::MAX), Some(supply));
        assert_eq!(
            supply.mul_div_floor(u64::MAX, 1),
            supply.checked_mul(u128::from(u64::MAX))
        );
        assert_eq!(
            TokenAmount::MAX.mul_div_floor(u64::MAX, u64::MAX),
            Some(TokenAmount::MAX)
        );
        assert_eq!(TokenAmount::MAX.mul_div_floor(2, 1), None);
        assert_eq!(
            TokenAmount::MAX.mul_div_floor(0, 1),
            Some(TokenAmount::ZERO)
        );
        assert_eq!(atto(100).mul_div_floor(1, 3), Some(atto(33)));
    }

    #[test]
    fn byte_form_vectors() {
        assert_eq!(TokenAmount::ZERO.to_be_bytes_minimal(), Vec::<u8>::new());
        assert_eq!(atto(1).to_be_bytes_minimal(), [0x00, 0x01]);
        assert_eq!(atto(256).to_be_bytes_minimal(), [0x00, 0x01, 0x00]);
        // 1 FIL/FLW = 10^18 = 0x0de0b6b3a7640000, as in Filecoin's BigInt bytes.
        assert_eq!(
            TokenAmount::ONE_FLW.to_be_bytes_minimal(),
            [0x00, 0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0x00, 0x00]
        );
        let mut max = vec![0x00];
        max.extend([0xff; 16]);
        assert_eq!(TokenAmount::MAX.to_be_bytes_minimal(), max);
        assert_eq!(TokenAmount::from_be_bytes(&max), Ok(TokenAmount::MAX));
        assert_eq!(TokenAmount::from_be_bytes(&[]), Ok(TokenAmount::ZERO));
    }

    #[test]
    fn byte_form_rejects_non_canonical() {
        use TokenBytesError::*;
        assert_eq!(TokenAmount::from_be_bytes(&[0x01, 0x05]), Err(Negative));
        assert_eq!(TokenAmount::from_be_bytes(&[0x01]), Err(Negative));
        assert_eq!(
            TokenAmount::from_be_bytes(&[0x02, 0x05]),
            Err(InvalidSign { byte: 2 })
        );
        assert_eq!(TokenAmount::from_be_bytes(&[0x00]), Err(NonMinimal));
        assert_eq!(
            TokenAmount::from_be_bytes(&[0x00, 0x00, 0x05]),
            Err(NonMinimal)
        );
        let mut long = vec![0x00, 0x01];
        long.extend([0u8; 16]);
        assert_eq!(
            TokenAmount::from_be_bytes(&long),
            Err(TooLong {
                magnitude_bytes: 17
            })
        );
    }

    /// An independent mul_div_floor: a·n/d = (a/d)·n + ((a%d)·n)/d, exact because
    /// (a%d)·n < d·n < 2^128; if (a/d)·n overflows, so does the true result.
    fn reference_mul_div(a: u128, n: u64, d: u64) -> Option<u128> {
        // a·n/d = (a/d)·n + ((a%d)·n)/d, exact since (a%d)·n < d·n ≤ 2^128.
        let d = u128::from(d);
        let n = u128::from(n);
        let whole = (a / d).checked_mul(n)?;
        let part = (a % d) * n / d;
        whole.checked_add(part)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            rng_seed: RngSeed::Fixed(0x0070_4e17),
            ..ProptestConfig::default()
        })]

        #[test]
        fn text_round_trip(value in any::<u128>()) {
            let amount = atto(value);
            prop_assert_eq!(amount.to_string().parse::<TokenAmount>(), Ok(amount));
            let atto_text = amount.format_atto();
            prop_assert_eq!(atto_text.parse::<TokenAmount>(), Ok(amount));
        }

        #[test]
        fn small_amounts_round_trip(value in 0u128..1_000_000_000_000_000_000_000) {
            let amount = atto(value);
            prop_assert_eq!(amount.to_string().parse::<TokenAmount>(), Ok(amount));
        }

        #[test]
        fn byte_round_trip(value in any::<u128>()) {
            let amount = atto(value);
            let bytes = amount.to_be_bytes_minimal();
            prop_assert!(bytes.len() <= 17);
            prop_assert_eq!(TokenAmount::from_be_bytes(&bytes), Ok(amount));
        }

        #[test]
        fn byte_decoding_is_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
            if let Ok(amount) = TokenAmount::from_be_bytes(&bytes) {
                prop_assert_eq!(amount.to_be_bytes_minimal(), bytes);
            }
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<TokenAmount>();
        }

        #[test]
        fn parsing_number_like_text_never_panics(text in "[-+0-9. ]{0,45}[a-zA-Z]{0,9}") {
            if let Ok(amount) = text.parse::<TokenAmount>() {
                prop_assert_eq!(amount.to_string().parse::<TokenAmount>(), Ok(amount));
            }
        }

        #[test]
        fn mul_div_matches_reference(a in any::<u128>(), n in any::<u64>(), d in 1u64..) {
            prop_assert_eq!(
                atto(a).mul_div_floor(n, d).map(TokenAmount::atto),
                reference_mul_div(a, n, d)
            );
        }

        #[test]
        fn pro_rata_shares_never_exceed_whole(
            a in 0u128..=TokenAmount::TOTAL_SUPPLY.atto(),
            d in 1u64..,
            n_seed in any::<u64>(),
        ) {
            let n = n_seed % d.saturating_add(1);
            let n = n.min(d);
            let share = atto(a).mul_div_floor(n, d).unwrap();
            prop_assert!(share <= atto(a));
        }
    }
}
