//! The checks of a block's messages (filecoin-spec §4.4 rule 10, Lotus `checkBlockMessages`).
//!
//! Without state ([`check_message_list`]): at most [`MAX_BLOCK_MESSAGES`], the header's
//! `messages` is the CID of their [`MessageList`], and their gas limits add up to at most the
//! block gas limit.
//!
//! Against the parent state ([`check_messages_against_state`]), each message in order, so that
//! none of them is one `apply_message` would reject without charging anybody (its checks 1–5:
//! such a message is free block space for the producer):
//!
//! 1. the gas limit covers the message's on-chain cost;
//! 2. the fee cap is at least the block's base fee;
//! 3. the sender exists and is an account;
//! 4. the nonce is the sender's next one: its nonce in the parent state for its first message
//!    in the block, one more for each later message (senders are told apart by ID, so a sender
//!    named once by key address and once by ID address has one sequence);
//! 5. the signature is that of the account's key.
//!
//! Not checked, as in Lotus: whether the sender can pay (`apply_message` check 6) — its
//! balance moves with every message before it, and a message that cannot pay is rejected with
//! a receipt when applied. A message may appear in several blocks of a tipset; each block is
//! checked on its own against the parent state, and the tipset applies the message once.

use std::collections::BTreeMap;

use cid::Cid;
use flowcoin_crypto::message::verify_message;
use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::{AccountState, ActorCode, ActorId};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::{BlockHeader, MessageList};
use flowcoin_types::message::{CborError, cbor_cid, to_cbor};
use flowcoin_types::{Address, NetworkParams, SignedMessage, TokenAmount};

use super::MAX_BLOCK_MESSAGES;
use super::error::BlockError;

/// The CID of the [`MessageList`] naming `messages` in order: what a header's `messages` must
/// be.
///
/// # Errors
/// [`CborError`] if a message cannot be encoded.
pub fn message_list_cid(messages: &[SignedMessage]) -> Result<Cid, CborError> {
    let list = MessageList {
        messages: messages
            .iter()
            .map(SignedMessage::cid)
            .collect::<Result<_, _>>()?,
    };
    Ok(cbor_cid(&to_cbor("message list", &list)?))
}

/// The sum of the messages' gas limits (a `u128` cannot overflow for 2^64 messages).
pub fn total_gas_limit(messages: &[SignedMessage]) -> u128 {
    messages.iter().fold(0u128, |sum, m| {
        sum.saturating_add(u128::from(m.message.gas_limit))
    })
}

/// Checks the message count and the block gas limit (what a producer must respect too).
///
/// # Errors
/// [`BlockError::TooManyMessages`], [`BlockError::BlockGasLimit`].
pub fn check_message_bounds(
    messages: &[SignedMessage],
    params: &NetworkParams,
) -> Result<(), BlockError> {
    check_message_count(messages)?;
    check_gas_total(messages, params)
}

fn check_message_count(messages: &[SignedMessage]) -> Result<(), BlockError> {
    if messages.len() > MAX_BLOCK_MESSAGES {
        return Err(BlockError::TooManyMessages {
            count: messages.len(),
            max: MAX_BLOCK_MESSAGES,
        });
    }
    Ok(())
}

fn check_gas_total(messages: &[SignedMessage], params: &NetworkParams) -> Result<(), BlockError> {
    let total = total_gas_limit(messages);
    if total > u128::from(params.block_gas_limit) {
        return Err(BlockError::BlockGasLimit {
            total,
            limit: params.block_gas_limit,
        });
    }
    Ok(())
}

/// The checks that need no state: [`check_message_bounds`], then that the header lists exactly
/// these messages.
///
/// # Errors
/// [`BlockError::TooManyMessages`], [`BlockError::MessageListMismatch`],
/// [`BlockError::BlockGasLimit`]; [`BlockError::Encode`].
pub fn check_message_list(
    header: &BlockHeader,
    messages: &[SignedMessage],
    params: &NetworkParams,
) -> Result<(), BlockError> {
    // The count first: a flood of messages is refused before any of them is hashed.
    check_message_count(messages)?;
    let listed = message_list_cid(messages)?;
    if listed != header.messages {
        return Err(BlockError::MessageListMismatch {
            expected: Box::new(listed),
            found: Box::new(header.messages),
        });
    }
    check_gas_total(messages, params)
}

/// Checks each message against the parent state (see the module documentation), with the
/// block's base fee `base_fee`.
///
/// # Errors
/// [`BlockError::MessageGasBelowMinimum`], [`BlockError::MessageFeeCapBelowBaseFee`],
/// [`BlockError::UnknownSender`], [`BlockError::SenderNotAccount`],
/// [`BlockError::MessageNonce`], [`BlockError::MessageSignature`]; [`BlockError::State`] and
/// [`BlockError::Encode`] when they cannot be checked.
pub fn check_messages_against_state<S: Blockstore>(
    parent_state: &StateTree<S>,
    messages: &[SignedMessage],
    base_fee: TokenAmount,
    gas: &GasSchedule,
) -> Result<(), BlockError> {
    // At most MAX_BLOCK_MESSAGES senders (checked before this runs).
    let mut next_nonce: BTreeMap<ActorId, u64> = BTreeMap::new();
    for (index, signed) in messages.iter().enumerate() {
        let message = &signed.message;
        let minimum = gas
            .on_chain_message(message.to_cbor()?.len())
            .unwrap_or(u64::MAX);
        if message.gas_limit < minimum {
            return Err(BlockError::MessageGasBelowMinimum {
                index,
                gas_limit: message.gas_limit,
                minimum,
            });
        }
        if message.gas_fee_cap < base_fee {
            return Err(BlockError::MessageFeeCapBelowBaseFee {
                index,
                fee_cap: message.gas_fee_cap,
                base_fee,
            });
        }
        let (sender, key_address, state_nonce) = sender_account(parent_state, index, message.from)?;
        let expected = next_nonce.get(&sender).copied().unwrap_or(state_nonce);
        // The chain never applies nonce 2^64 − 1 (the sender's nonce could not move past it).
        if message.nonce != expected || expected == u64::MAX {
            return Err(BlockError::MessageNonce {
                index,
                from: message.from,
                expected,
                found: message.nonce,
            });
        }
        next_nonce.insert(sender, expected.saturating_add(1));
        verify_message(signed, &key_address)
            .map_err(|source| BlockError::MessageSignature { index, source })?;
    }
    Ok(())
}

/// The sender's ID, key address and nonce in `state`.
fn sender_account<S: Blockstore>(
    state: &StateTree<S>,
    index: usize,
    from: Address,
) -> Result<(ActorId, Address, u64), BlockError> {
    let read = BlockError::state("parent state's message senders");
    let found = match state.lookup_id(&from) {
        Ok(Some(id)) => state.get_actor(id).map(|actor| actor.map(|a| (id, a))),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    }
    .map_err(read)?;
    let Some((id, actor)) = found else {
        return Err(BlockError::UnknownSender { index, from });
    };
    if actor.code != ActorCode::Account {
        return Err(BlockError::SenderNotAccount {
            index,
            from,
            code: actor.code,
        });
    }
    let account: AccountState = state
        .get_state("account state", &actor.head)
        .map_err(BlockError::state("parent state's sender account"))?;
    Ok((id, account.address, actor.nonce))
}
