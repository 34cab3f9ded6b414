//! What [`Mpool::add`](super::Mpool::add) answers: [`Added`] or the reason it refused,
//! [`AddError`]; and the ranking of messages by what they pay, [`EffectivePremium`].

use std::cmp::Ordering;
use std::fmt;

use cid::Cid;
use flowcoin_types::{Address, Message, TokenAmount};

/// A message the pool took (or already had).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Added {
    /// The message is now pending.
    Pending {
        /// Its CID (the signed message's, as blocks list it).
        cid: Cid,
        /// The pending message with the same sender and nonce it replaced by fee.
        replaced: Option<Cid>,
        /// Messages of other senders removed to make room (each the last of its sender).
        evicted: Vec<Cid>,
    },
    /// The same signed message was already pending; nothing changed (do not relay it again).
    AlreadyPending {
        /// Its CID.
        cid: Cid,
    },
}

impl Added {
    /// The message's CID.
    pub fn cid(&self) -> Cid {
        match self {
            Self::Pending { cid, .. } | Self::AlreadyPending { cid } => *cid,
        }
    }
}

/// Why the pool refused a message. Each variant says what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddError {
    /// The message can never be valid on chain as encoded.
    #[error("malformed message: {reason}")]
    Malformed {
        /// What is wrong and what to change.
        reason: String,
    },
    /// The message (or a part of it) is larger than the pool accepts.
    #[error("{what} of {len} bytes exceeds the limit of {max} bytes (make it smaller)")]
    TooLarge {
        /// What is too large ("signed message", "params").
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The sender has no account the state knows, so it cannot pay for gas.
    #[error(
        "the chain has no account for sender {from:?} (fund the address first, or send from \
         its key address)"
    )]
    UnknownSender {
        /// The message's `from`.
        from: Address,
    },
    /// The signature is by another key or scheme than the sender's.
    #[error(
        "the signature is not by sender {from:?}'s key (sign with the key of the `from` address)"
    )]
    SignerNotSender {
        /// The message's `from`.
        from: Address,
    },
    /// The signature bytes are malformed or do not verify.
    #[error("bad signature from {from:?}: {reason} (sign the message's CID with the sender's key)")]
    BadSignature {
        /// The message's `from`.
        from: Address,
        /// What the verifier found.
        reason: String,
    },
    /// The gas limit exceeds what a block may use, so no block can include the message.
    #[error(
        "gas limit {gas_limit} exceeds the block gas limit {block_gas_limit} (lower the gas limit)"
    )]
    GasLimitAboveBlockLimit {
        /// The message's gas limit.
        gas_limit: u64,
        /// The network's block gas limit.
        block_gas_limit: u64,
    },
    /// The gas limit does not cover the cost of including the message.
    #[error(
        "gas limit {gas_limit} is below {minimum}, the gas of merely including this message \
         (raise the gas limit to at least {minimum})"
    )]
    GasLimitBelowMinimum {
        /// The message's gas limit.
        gas_limit: u64,
        /// The on-chain cost of the message's size.
        minimum: u64,
    },
    /// The fee cap is below the least base fee the chain can ever have.
    #[error(
        "fee cap {} per gas is below the minimum base fee {} (raise the fee cap)",
        fee_cap.format_atto(),
        min_base_fee.format_atto()
    )]
    FeeCapBelowMinBaseFee {
        /// The message's fee cap.
        fee_cap: TokenAmount,
        /// The network's minimum base fee.
        min_base_fee: TokenAmount,
    },
    /// The premium exceeds the fee cap, which bounds the whole price per gas.
    #[error(
        "gas premium {} exceeds the fee cap {} (lower the premium or raise the fee cap)",
        premium.format_atto(),
        fee_cap.format_atto()
    )]
    PremiumAboveFeeCap {
        /// The message's premium.
        premium: TokenAmount,
        /// The message's fee cap.
        fee_cap: TokenAmount,
    },
    /// The nonce was already used on chain.
    #[error(
        "nonce {nonce} is already used on chain (the sender's state nonce is {state_nonce}; \
         use the next nonce)"
    )]
    NonceTooLow {
        /// The message's nonce.
        nonce: u64,
        /// The sender's nonce in the state.
        state_nonce: u64,
    },
    /// The nonce runs too far ahead of the sender's next nonce.
    #[error(
        "nonce {nonce} is more than {max_gap} beyond the sender's next nonce {next_nonce} \
         (send nonces {next_nonce} onward first)"
    )]
    NonceGap {
        /// The message's nonce.
        nonce: u64,
        /// The sender's state nonce plus its contiguous pending messages.
        next_nonce: u64,
        /// The largest gap allowed.
        max_gap: u64,
    },
    /// The balance cannot pay for this message together with the sender's other pending ones.
    #[error(
        "sender balance {balance} cannot cover {} (value + gas limit × fee cap of this and \
         {other_pending} other pending messages; fund the account, or lower value, gas limit \
         or fee cap)",
        required.map_or_else(|| "an amount beyond 2^128 attoFLW".to_owned(), |r| r.to_string())
    )]
    InsufficientBalance {
        /// What all of them may cost (`None`: the sum overflows).
        required: Option<TokenAmount>,
        /// The sender's balance.
        balance: TokenAmount,
        /// How many other pending messages of the sender count.
        other_pending: usize,
    },
    /// A message with the same sender and nonce is pending and this one does not pay
    /// enough more to replace it.
    #[error(
        "a message with nonce {nonce} is pending with premium {}; a replacement needs a \
         premium of at least {} (has {})",
        pending_premium.format_atto(),
        required_premium.map_or_else(|| "more than 2^128 attoFLW".to_owned(), TokenAmount::format_atto),
        premium.format_atto()
    )]
    ReplaceByFeeTooLow {
        /// The nonce both messages have.
        nonce: u64,
        /// The pending message's premium.
        pending_premium: TokenAmount,
        /// This message's premium.
        premium: TokenAmount,
        /// The least premium that replaces (`None`: none can).
        required_premium: Option<TokenAmount>,
    },
    /// A replacement may not lower the fee cap.
    #[error(
        "a message with nonce {nonce} is pending with fee cap {}; a replacement may not lower \
         it (has {})",
        pending_fee_cap.format_atto(),
        fee_cap.format_atto()
    )]
    ReplaceLowersFeeCap {
        /// The nonce both messages have.
        nonce: u64,
        /// The pending message's fee cap.
        pending_fee_cap: TokenAmount,
        /// This message's fee cap.
        fee_cap: TokenAmount,
    },
    /// The sender already has as many pending messages as one sender may.
    #[error("sender {from:?} already has {limit} pending messages (wait for some to be included)")]
    SenderFull {
        /// The sender (its key address).
        from: Address,
        /// The per-sender limit.
        limit: usize,
    },
    /// The pool is full and this message does not pay more than any message it could evict.
    #[error(
        "the message pool is full and this message's effective premium ({premium}) does not \
         beat {} (raise the premium)",
        to_beat.map_or_else(|| "any evictable message".to_owned(), |p| format!("the lowest evictable one, {p}"))
    )]
    PoolFull {
        /// This message's effective premium at the current base fee.
        premium: EffectivePremium,
        /// The lowest effective premium among evictable messages (`None`: nothing can be
        /// evicted).
        to_beat: Option<EffectivePremium>,
    },
}

/// What a message pays the block producer per gas at a base fee:
/// `min(premium, fee_cap − base_fee)`, Filecoin's effective gas premium. A message whose fee
/// cap is below the base fee cannot be included at all and ranks below every one that can,
/// the further below the lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EffectivePremium {
    /// The fee cap is this much per gas below the base fee.
    BelowBaseFee(TokenAmount),
    /// The tip per gas.
    Tip(TokenAmount),
}

impl EffectivePremium {
    /// The effective premium of `message` at `base_fee`.
    pub fn of(message: &Message, base_fee: TokenAmount) -> Self {
        match message.gas_fee_cap.checked_sub(base_fee) {
            Some(room) => Self::Tip(message.gas_premium.min(room)),
            None => Self::BelowBaseFee(base_fee.saturating_sub(message.gas_fee_cap)),
        }
    }
}

impl Ord for EffectivePremium {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::BelowBaseFee(a), Self::BelowBaseFee(b)) => b.cmp(a),
            (Self::BelowBaseFee(_), Self::Tip(_)) => Ordering::Less,
            (Self::Tip(_), Self::BelowBaseFee(_)) => Ordering::Greater,
            (Self::Tip(a), Self::Tip(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for EffectivePremium {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for EffectivePremium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tip(tip) => write!(f, "{} per gas", tip.format_atto()),
            Self::BelowBaseFee(short) => {
                write!(
                    f,
                    "fee cap {} per gas below the base fee",
                    short.format_atto()
                )
            }
        }
    }
}

/// What [`Mpool::head_change`](super::Mpool::head_change) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadChangeReport {
    /// Pending messages removed because the new chain includes them.
    pub included: usize,
    /// Pending messages removed because their nonce is below the sender's new state nonce
    /// (another message with that nonce was included).
    pub stale: usize,
    /// Messages of reverted blocks back in the pool.
    pub readded: usize,
    /// Messages of reverted blocks the pool refused (no longer valid, or no room).
    pub dropped: usize,
}

/// Running totals of what the pool did since it was created (saturating).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MpoolStats {
    /// Messages added (new or replacing).
    pub added: u64,
    /// Messages replaced by fee.
    pub replaced: u64,
    /// Messages evicted to make room.
    pub evicted: u64,
    /// Messages removed because a block included them.
    pub included: u64,
    /// Messages removed because their nonce was used on chain.
    pub stale: u64,
    /// Messages of reverted blocks re-added.
    pub readded: u64,
    /// Messages of reverted blocks refused on re-adding.
    pub reverted_dropped: u64,
}
