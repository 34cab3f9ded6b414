//! [`StoragePower`]: bytes of proven storage, as the power actor counts them.

use std::fmt;

/// Bytes of proven storage (raw byte power). A `u128`, so network totals never overflow; on
/// chain it is a Filecoin big integer (the byte form of [`TokenAmount`](crate::TokenAmount)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoragePower(pub u128);

impl StoragePower {
    /// No power.
    pub const ZERO: Self = Self(0);

    /// Power of `bytes` bytes.
    pub const fn from_bytes(bytes: u64) -> Self {
        Self(bytes as u128)
    }

    /// The sum, `None` on overflow.
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Self(sum)),
            None => None,
        }
    }

    /// The difference, `None` below zero.
    pub const fn checked_sub(self, other: Self) -> Option<Self> {
        match self.0.checked_sub(other.0) {
            Some(diff) => Some(Self(diff)),
            None => None,
        }
    }

    /// Whether it is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for StoragePower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} B", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{from_cbor, to_cbor};

    #[test]
    fn power_is_a_big_integer_on_chain() {
        assert_eq!(to_cbor("power", &StoragePower::ZERO).unwrap(), [0x40]);
        let p = StoragePower(2048);
        let bytes = to_cbor("power", &p).unwrap();
        assert_eq!(bytes, [0x43, 0x00, 0x08, 0x00]);
        assert_eq!(from_cbor::<StoragePower>("power", &bytes, 64).unwrap(), p);
        assert!(from_cbor::<StoragePower>("power", &[0x43, 0x01, 0x08, 0x00], 64).is_err());
        assert_eq!(StoragePower(1).checked_sub(StoragePower(2)), None);
    }
}
