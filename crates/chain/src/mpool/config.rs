//! The pool's limits ([`MpoolConfig`]) and the chain's view it is given ([`MpoolState`]).

use flowcoin_types::message::MAX_MESSAGE_BYTES;
use flowcoin_types::{Address, Ratio, TokenAmount};

/// The largest signed message the chain decodes (`SignedMessage::from_cbor`'s limit): the
/// largest message plus room for the signature.
pub const MAX_SIGNED_MESSAGE_BYTES: usize = MAX_MESSAGE_BYTES + 256;

/// The limits of a message pool. [`Default`] gives the values the module documentation
/// explains; tests and nodes with little memory lower them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpoolConfig {
    /// The most messages the pool holds (Lotus's `MaxMsgs` high-water mark is 30,000).
    pub max_messages: usize,
    /// The most bytes (signed-message encodings) the pool holds.
    pub max_total_bytes: usize,
    /// The most messages one sender may have pending (Lotus's `MaxActorPendingMessages`).
    pub max_per_sender: usize,
    /// The largest signed message accepted, in encoded bytes.
    pub max_message_bytes: usize,
    /// How far a nonce may run ahead of the sender's next nonce (state nonce plus its
    /// contiguous pending run): nonce ≤ next + `max_nonce_gap` (Lotus's `MaxNonceGap`).
    pub max_nonce_gap: u64,
    /// A replacement's premium must be at least this multiple of the pending one's
    /// (Lotus's `ReplaceByFeeRatio`, 1.25).
    pub replace_by_fee: Ratio,
    /// The most messages [`select`](super::Mpool::select) returns for one block
    /// (Filecoin's `BlockMessageLimit`).
    pub max_block_messages: usize,
}

impl Default for MpoolConfig {
    fn default() -> Self {
        Self {
            max_messages: 20_000,
            max_total_bytes: 128 << 20,
            max_per_sender: 1_000,
            max_message_bytes: MAX_SIGNED_MESSAGE_BYTES,
            max_nonce_gap: 4,
            replace_by_fee: Ratio::new(5, 4),
            max_block_messages: flowcoin_types::block::MAX_BLOCK_MESSAGES,
        }
    }
}

/// What an account looks like in the state the pool checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderState {
    /// The nonce of the sender's next message on chain.
    pub nonce: u64,
    /// The sender's balance.
    pub balance: TokenAmount,
}

/// The pool's view of the chain: the state at the current head. The pool reads it at every
/// call, so an implementation over the chain store should answer for the head it has now;
/// [`Mpool::head_change`](super::Mpool::head_change) must be called after it moved.
pub trait MpoolState {
    /// The account at `address` (a key address, see [`key_address`](Self::key_address)), or
    /// `None` if the state has no account there.
    fn actor(&self, address: &Address) -> Option<SenderState>;

    /// The base fee of the next block.
    fn base_fee(&self) -> TokenAmount;

    /// The key address (ed25519 or BLS) that signs for `address`, or `None` if the state
    /// cannot tell. The default knows only key addresses themselves; a state that can look up
    /// ID addresses (the init actor's map) should override it so senders named by ID are
    /// accepted and share one queue with their key address.
    fn key_address(&self, address: &Address) -> Option<Address> {
        match address {
            Address::Ed25519(_) | Address::Bls(_) => Some(*address),
            _ => None,
        }
    }
}

impl<T: MpoolState + ?Sized> MpoolState for &T {
    fn actor(&self, address: &Address) -> Option<SenderState> {
        (**self).actor(address)
    }

    fn base_fee(&self) -> TokenAmount {
        (**self).base_fee()
    }

    fn key_address(&self, address: &Address) -> Option<Address> {
        (**self).key_address(address)
    }
}
