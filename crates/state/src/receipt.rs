//! Exit codes and message receipts.

use std::fmt;

use flowcoin_types::message::Bytes;
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// How a message ended. Values are Filecoin's where Filecoin has the same condition; two
/// Flowcoin-only checks use codes from Filecoin's reserved system range (13 and 14). Codes
/// from 16 on are returned by an actor's method (Filecoin's common actor codes): gas is
/// charged and the nonce bumped, and nothing else changes (the value is not moved either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExitCode(u32);

impl ExitCode {
    /// Success.
    pub const OK: Self = Self(0);
    /// The sender does not exist or is not an account (Filecoin SysErrSenderInvalid).
    /// Rejected: no state change.
    pub const SYS_SENDER_INVALID: Self = Self(1);
    /// The message's nonce is not the sender's next nonce (Filecoin SysErrSenderStateInvalid).
    /// Rejected: no state change.
    pub const SYS_SENDER_STATE_INVALID: Self = Self(2);
    /// The receiver has no such method (Filecoin SysErrInvalidMethod). Gas is charged, the
    /// nonce bumped, the value not moved.
    pub const SYS_INVALID_METHOD: Self = Self(3);
    /// The receiver does not exist and cannot be created: an unknown ID or actor address
    /// (Filecoin SysErrInvalidReceiver). Gas charged, nonce bumped.
    pub const SYS_INVALID_RECEIVER: Self = Self(5);
    /// The sender cannot pay the value after reserving the most the gas can cost (Filecoin
    /// SysErrInsufficientFunds). Gas charged, nonce bumped.
    pub const SYS_INSUFFICIENT_FUNDS: Self = Self(6);
    /// The gas limit does not cover the work (Filecoin SysErrOutOfGas). Below the on-chain
    /// message cost the message is rejected with no state change; later, all of the gas limit
    /// is charged and the nonce bumped.
    pub const SYS_OUT_OF_GAS: Self = Self(7);
    /// The message is invalid on its face: a gas limit above the block gas limit (Filecoin
    /// SysErrorIllegalArgument). Rejected: no state change.
    pub const SYS_ILLEGAL_ARGUMENT: Self = Self(10);
    /// The sender's balance is below gas limit × fee cap, the most the message can cost in
    /// gas (Flowcoin; Filecoin reports SysErrSenderStateInvalid). Rejected: no state change.
    pub const SYS_INSUFFICIENT_GAS_FUNDS: Self = Self(13);
    /// The gas fee cap is below the base fee, so the base fee cannot be burnt in full
    /// (Flowcoin; Filecoin applies the message and penalises the producer). Rejected: no
    /// state change.
    pub const SYS_FEE_CAP_TOO_LOW: Self = Self(14);
    /// The method's parameters do not decode as its parameter type (Filecoin
    /// ErrIllegalArgument).
    pub const ERR_ILLEGAL_ARGUMENT: Self = Self(16);
    /// The sender may not call this method on this actor (Filecoin ErrForbidden).
    pub const ERR_FORBIDDEN: Self = Self(18);
    /// The actor cannot pay what the method asks for, e.g. a withdrawal above what has
    /// vested (Filecoin ErrInsufficientFunds).
    pub const ERR_INSUFFICIENT_FUNDS: Self = Self(19);
    /// The actor's own state does not allow the call (Filecoin ErrIllegalState).
    pub const ERR_ILLEGAL_STATE: Self = Self(20);

    /// An exit code from its number.
    pub const fn new(code: u32) -> Self {
        Self(code)
    }

    /// The number.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Whether this is success.
    pub const fn is_success(self) -> bool {
        self.0 == 0
    }

    /// The code's name, if it is one of the above.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Ok",
            1 => "SysErrSenderInvalid",
            2 => "SysErrSenderStateInvalid",
            3 => "SysErrInvalidMethod",
            5 => "SysErrInvalidReceiver",
            6 => "SysErrInsufficientFunds",
            7 => "SysErrOutOfGas",
            10 => "SysErrIllegalArgument",
            13 => "SysErrInsufficientGasFunds",
            14 => "SysErrFeeCapTooLow",
            16 => "ErrIllegalArgument",
            18 => "ErrForbidden",
            19 => "ErrInsufficientFunds",
            20 => "ErrIllegalState",
            _ => return None,
        })
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "exit code {}", self.0),
        }
    }
}

/// The result of one message: `[exit_code, return_data, gas_used]` in DAG-CBOR (Filecoin's
/// receipt layout before events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// How it ended.
    pub exit_code: ExitCode,
    /// What the method returned (empty for a transfer).
    pub return_data: Vec<u8>,
    /// Gas charged for it (zero for a rejected message).
    pub gas_used: u64,
}

impl Serialize for Receipt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (
            self.exit_code,
            Bytes(self.return_data.clone()),
            self.gas_used,
        )
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Receipt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (exit_code, Bytes(return_data), gas_used) =
            <(ExitCode, Bytes, u64)>::deserialize(deserializer)?;
        Ok(Self {
            exit_code,
            return_data,
            gas_used,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::message::{from_cbor, to_cbor};

    #[test]
    fn receipt_round_trips_as_a_three_tuple() {
        let receipt = Receipt {
            exit_code: ExitCode::SYS_OUT_OF_GAS,
            return_data: vec![1, 2],
            gas_used: 1000,
        };
        let bytes = to_cbor("receipt", &receipt).unwrap();
        assert_eq!(bytes, [0x83, 0x07, 0x42, 1, 2, 0x19, 0x03, 0xe8]);
        assert_eq!(
            from_cbor::<Receipt>("receipt", &bytes, 64).unwrap(),
            receipt
        );
    }

    #[test]
    fn codes_are_distinct_and_named() {
        let codes = [
            ExitCode::OK,
            ExitCode::SYS_SENDER_INVALID,
            ExitCode::SYS_SENDER_STATE_INVALID,
            ExitCode::SYS_INVALID_METHOD,
            ExitCode::SYS_INVALID_RECEIVER,
            ExitCode::SYS_INSUFFICIENT_FUNDS,
            ExitCode::SYS_OUT_OF_GAS,
            ExitCode::SYS_ILLEGAL_ARGUMENT,
            ExitCode::SYS_INSUFFICIENT_GAS_FUNDS,
            ExitCode::SYS_FEE_CAP_TOO_LOW,
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            ExitCode::ERR_FORBIDDEN,
            ExitCode::ERR_INSUFFICIENT_FUNDS,
            ExitCode::ERR_ILLEGAL_STATE,
        ];
        let mut names: Vec<_> = codes.iter().map(|c| c.name().unwrap()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), codes.len());
        assert_eq!(ExitCode::SYS_OUT_OF_GAS.to_string(), "SysErrOutOfGas (7)");
        assert_eq!(ExitCode::new(99).to_string(), "exit code 99");
    }
}
