//! The checks of a message that need no pool state: encoding and size, gas and fee bounds,
//! the signature; and the replace-by-fee threshold.

use cid::Cid;
use flowcoin_crypto::message::{MessageSignatureError, verify_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_types::message::{MAX_PARAMS_BYTES, cbor_cid};
use flowcoin_types::{Address, Message, NetworkParams, Ratio, SignedMessage, TokenAmount};

use super::config::MpoolConfig;
use super::error::AddError;

/// A message that passed [`check_message`]: its CID and encoded size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measured {
    /// The signed message's CID.
    pub cid: Cid,
    /// The signed message's encoded size.
    pub bytes: usize,
}

/// Checks what does not depend on the chain state or the pool: the encoding, the size, the
/// gas limit between the on-chain minimum and the block gas limit (apply checks 1 and 2), a
/// fee cap of at least the minimum base fee (check 3 can then pass at some base fee) and a
/// premium within the fee cap.
pub(super) fn check_message(
    signed: &SignedMessage,
    params: &NetworkParams,
    gas: &GasSchedule,
    config: &MpoolConfig,
) -> Result<Measured, AddError> {
    let message = &signed.message;
    if message.version != 0 {
        return Err(AddError::Malformed {
            reason: format!(
                "message version {} is not supported (use version 0)",
                message.version
            ),
        });
    }
    if message.params.len() > MAX_PARAMS_BYTES {
        return Err(AddError::TooLarge {
            what: "params",
            len: message.params.len(),
            max: MAX_PARAMS_BYTES,
        });
    }
    if message.nonce == u64::MAX {
        return Err(AddError::Malformed {
            reason: "nonce 2^64 − 1 can never be applied (the chain refuses a sender whose \
                     nonce is exhausted)"
                .to_owned(),
        });
    }
    let encoded = signed.to_cbor().map_err(|e| AddError::Malformed {
        reason: e.to_string(),
    })?;
    if encoded.len() > config.max_message_bytes {
        return Err(AddError::TooLarge {
            what: "signed message",
            len: encoded.len(),
            max: config.max_message_bytes,
        });
    }
    if message.gas_limit > params.block_gas_limit {
        return Err(AddError::GasLimitAboveBlockLimit {
            gas_limit: message.gas_limit,
            block_gas_limit: params.block_gas_limit,
        });
    }
    // The chain charges for the unsigned message's encoding (apply check 2).
    let message_len = message
        .to_cbor()
        .map_err(|e| AddError::Malformed {
            reason: e.to_string(),
        })?
        .len();
    let minimum = gas.on_chain_message(message_len).unwrap_or(u64::MAX);
    if message.gas_limit < minimum {
        return Err(AddError::GasLimitBelowMinimum {
            gas_limit: message.gas_limit,
            minimum,
        });
    }
    if message.gas_fee_cap < params.min_base_fee {
        return Err(AddError::FeeCapBelowMinBaseFee {
            fee_cap: message.gas_fee_cap,
            min_base_fee: params.min_base_fee,
        });
    }
    if message.gas_premium > message.gas_fee_cap {
        return Err(AddError::PremiumAboveFeeCap {
            premium: message.gas_premium,
            fee_cap: message.gas_fee_cap,
        });
    }
    Ok(Measured {
        cid: cbor_cid(&encoded),
        bytes: encoded.len(),
    })
}

/// Checks that `signed` is signed by the key behind `key_address`, the sender's key address.
pub(super) fn check_signature(
    signed: &SignedMessage,
    key_address: &Address,
) -> Result<(), AddError> {
    let from = signed.message.from;
    verify_message(signed, key_address).map_err(|error| match error {
        MessageSignatureError::SchemeMismatch { .. } | MessageSignatureError::KeyMismatch(_) => {
            AddError::SignerNotSender { from }
        }
        MessageSignatureError::NotKeyAddress(_) => AddError::UnknownSender { from },
        other => AddError::BadSignature {
            from,
            reason: other.to_string(),
        },
    })
}

/// Checks that `replacement` may replace `pending` (same sender and nonce): a premium of at
/// least [`min_replacement_premium`] and a fee cap not lower.
pub(super) fn check_replacement(
    pending: &Message,
    replacement: &Message,
    ratio: Ratio,
) -> Result<(), AddError> {
    let required_premium = min_replacement_premium(pending.gas_premium, ratio);
    if required_premium.is_none_or(|required| replacement.gas_premium < required) {
        return Err(AddError::ReplaceByFeeTooLow {
            nonce: replacement.nonce,
            pending_premium: pending.gas_premium,
            premium: replacement.gas_premium,
            required_premium,
        });
    }
    if replacement.gas_fee_cap < pending.gas_fee_cap {
        return Err(AddError::ReplaceLowersFeeCap {
            nonce: replacement.nonce,
            pending_fee_cap: pending.gas_fee_cap,
            fee_cap: replacement.gas_fee_cap,
        });
    }
    Ok(())
}

/// The least premium that replaces a pending message with premium `pending`:
/// `⌈pending × ratio⌉`, and at least `pending + 1` so a replacement always pays strictly more
/// (otherwise zero-premium messages could be swapped for free forever). `None` if no amount
/// is large enough (or the ratio's denominator is zero).
pub(super) fn min_replacement_premium(pending: TokenAmount, ratio: Ratio) -> Option<TokenAmount> {
    let floor = pending.mul_div_floor(ratio.num, ratio.den)?;
    // pending × num − floor × den is the remainder of the division, below den < 2^64, so the
    // difference taken modulo 2^128 is exact.
    let remainder = pending
        .atto()
        .wrapping_mul(u128::from(ratio.num))
        .wrapping_sub(floor.atto().wrapping_mul(u128::from(ratio.den)));
    let ceil = if remainder == 0 {
        floor
    } else {
        floor.checked_add(TokenAmount::from_atto(1))?
    };
    Some(ceil.max(pending.checked_add(TokenAmount::from_atto(1))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atto(n: u128) -> TokenAmount {
        TokenAmount::from_atto(n)
    }

    #[test]
    fn replacement_threshold_is_the_ceiling_of_the_ratio_and_strictly_more() {
        let ratio = Ratio::new(5, 4);
        assert_eq!(min_replacement_premium(atto(1000), ratio), Some(atto(1250)));
        assert_eq!(min_replacement_premium(atto(1001), ratio), Some(atto(1252)));
        assert_eq!(min_replacement_premium(atto(0), ratio), Some(atto(1)));
        assert_eq!(min_replacement_premium(atto(1), ratio), Some(atto(2)));
        assert_eq!(min_replacement_premium(atto(4), ratio), Some(atto(5)));
        assert_eq!(min_replacement_premium(TokenAmount::MAX, ratio), None);
        assert_eq!(min_replacement_premium(atto(1), Ratio::new(1, 0)), None);
        let big = atto(u128::MAX / 2);
        assert_eq!(
            min_replacement_premium(big, ratio),
            Some(atto(u128::MAX / 8 * 5 + 4))
        );
    }
}
