//! The chain and message-pool methods' work on the [`ChainService`]. These run on a blocking
//! thread with the chain service locked (reading the store is disk I/O), see
//! [`FlowcoinRpc`](super::FlowcoinRpc).

use std::collections::BTreeMap;

use cid::Cid;
use flowcoin_chain::mpool::MAX_SIGNED_MESSAGE_BYTES;
use flowcoin_chain::store::{ChainError, ChainStore};
use flowcoin_dag::store::Blockstore as _;
use flowcoin_state::receipt::Receipt;
use flowcoin_types::block::{BlockHeader, MessageList};
use flowcoin_types::message::from_cbor;
use flowcoin_types::tipset::Tipset;
use flowcoin_types::{Address, Network, SignedMessage};
use jsonrpsee::types::ErrorObjectOwned;

use super::errors::{REFUSED_CODE, error, internal, invalid, not_found};
use super::types::{BlockInfo, HeadInfo, MessageInfo, MsgLookup, ReceiptInfo};
use crate::chain::{ChainService, NodeBlocks};

/// What the methods here return.
pub(crate) type Rpc<T> = Result<T, ErrorObjectOwned>;

/// The largest message list read back (a block lists at most 10,000 CIDs of ~40 bytes).
const MAX_MESSAGE_LIST_BYTES: usize = 1 << 20;

/// How many epochs `StateSearchMsg` looks back from the head, in units of finality.
pub const SEARCH_FINALITIES: u64 = 4;

/// Maps a chain store error about the object `cid`, a `what`, to an API error.
fn store_error(what: &str, cid: &Cid, e: ChainError) -> ErrorObjectOwned {
    match e {
        ChainError::Missing { .. } => not_found(format!("{what} {cid} is not known to this node")),
        ChainError::Cbor(e) => invalid(format!("{cid} is not a {what}: {e}")),
        e => internal(e),
    }
}

/// The head tipset, as `ChainHead` returns it.
pub(crate) fn chain_head(chain: &ChainService) -> Rpc<HeadInfo> {
    let head = chain.head().map_err(internal)?;
    tipset_info(chain, &head)
}

/// The tipset at `height` on the head's chain, or the last one before it over null rounds.
pub(crate) fn tipset_by_height(chain: &ChainService, height: u64) -> Rpc<HeadInfo> {
    let head = chain.head().map_err(internal)?;
    let tipset = chain
        .store()
        .tipset_at_or_before(&head, height)
        .map_err(internal)?
        .ok_or_else(|| {
            not_found(format!(
                "height {height} is above the head (height {})",
                head.height()
            ))
        })?;
    tipset_info(chain, &tipset)
}

fn tipset_info(chain: &ChainService, tipset: &Tipset) -> Rpc<HeadInfo> {
    let network = chain.params().network;
    let meta = chain.store().meta(tipset.key()).map_err(internal)?;
    let weight = meta
        .as_ref()
        .map(|m| m.weight.to_string())
        .unwrap_or_default();
    let next_base_fee = meta
        .and_then(|m| m.executed)
        .map(|e| e.next_base_fee.atto().to_string())
        .unwrap_or_default();
    Ok(HeadInfo {
        height: tipset.height(),
        cids: tipset.key().0.iter().map(ToString::to_string).collect(),
        weight,
        timestamp: tipset.min_timestamp(),
        miners: tipset
            .blocks()
            .iter()
            .map(|b| b.miner.display(network).to_string())
            .collect(),
        next_base_fee,
    })
}

/// The block header `cid`.
pub(crate) fn get_block(chain: &ChainService, cid: &Cid) -> Rpc<BlockInfo> {
    let store = chain.store();
    let header = store.block(cid).map_err(|e| store_error("block", cid, e))?;
    let list = message_list(store, &header)?;
    let network = chain.params().network;
    Ok(BlockInfo {
        cid: cid.to_string(),
        miner: header.miner.display(network).to_string(),
        height: header.height,
        parents: header.parents.iter().map(ToString::to_string).collect(),
        parent_weight: header.parent_weight.to_string(),
        parent_state_root: header.parent_state_root.to_string(),
        parent_message_receipts: header.parent_message_receipts.to_string(),
        parent_base_fee: header.parent_base_fee.atto().to_string(),
        timestamp: header.timestamp,
        win_count: header.election_proof.win_count,
        message_list: header.messages.to_string(),
        messages: list.messages.iter().map(ToString::to_string).collect(),
    })
}

/// A block's message list (the CIDs only).
fn message_list(store: &ChainStore<NodeBlocks>, header: &BlockHeader) -> Rpc<MessageList> {
    let bytes = store
        .blocks()
        .get(&header.messages)
        .map_err(internal)?
        .ok_or_else(|| {
            internal(format!(
                "the message list {} of a stored block is missing",
                header.messages
            ))
        })?;
    from_cbor("message list", &bytes, MAX_MESSAGE_LIST_BYTES).map_err(internal)
}

/// The signed message `cid`: from the chain store, or pending in the pool.
pub(crate) fn get_message(chain: &ChainService, cid: &Cid) -> Rpc<MessageInfo> {
    let network = chain.params().network;
    match chain.store().message(cid) {
        Ok(signed) => message_info(&signed, network),
        Err(ChainError::Missing { .. }) => match chain.mpool().get(cid) {
            Some(signed) => message_info(signed, network),
            None => Err(not_found(format!(
                "message {cid} is neither on the chain nor pending in this node's pool"
            ))),
        },
        Err(e) => Err(store_error("signed message", cid, e)),
    }
}

/// A signed message for the API.
pub(crate) fn message_info(signed: &SignedMessage, network: Network) -> Rpc<MessageInfo> {
    let m = &signed.message;
    let text = |a: Address| a.display(network).to_string();
    Ok(MessageInfo {
        cid: signed.cid().map_err(internal)?.to_string(),
        version: m.version,
        to: text(m.to),
        from: text(m.from),
        nonce: m.nonce,
        value: m.value.atto().to_string(),
        gas_limit: m.gas_limit,
        gas_fee_cap: m.gas_fee_cap.atto().to_string(),
        gas_premium: m.gas_premium.atto().to_string(),
        method: m.method,
        params: hex::encode(&m.params),
        signature: hex::encode(&signed.signature),
    })
}

/// Looks for the executed message `cid` in the head's chain, at most `finality ×
/// SEARCH_FINALITIES` epochs back; `None` if it is not there (pending, unknown, or older).
pub(crate) fn search_message(chain: &ChainService, cid: &Cid) -> Rpc<Option<MsgLookup>> {
    let store = chain.store();
    let mut tipset = chain.head().map_err(internal)?;
    let lookback = chain.params().finality.saturating_mul(SEARCH_FINALITIES);
    let floor = tipset.height().saturating_sub(lookback);
    // The genesis tipset has no messages; a chain never reaches below it.
    while tipset.height() > 0 && tipset.height() >= floor {
        if let Some(receipt) = receipt_in(store, &tipset, cid)? {
            return Ok(Some(MsgLookup {
                message: cid.to_string(),
                receipt: receipt_info(&receipt),
                tip_set: tipset.key().0.iter().map(ToString::to_string).collect(),
                height: tipset.height(),
            }));
        }
        tipset = store.load_tipset(&tipset.parents()).map_err(internal)?;
    }
    Ok(None)
}

/// The receipt of message `cid` if `tipset` includes it.
///
/// Receipts are one per distinct message in application order: the tipset's blocks in order,
/// each block's messages in order, a message seen earlier in the tipset (by the unsigned
/// message's CID, as `apply_epoch` dedupes) applied once.
fn receipt_in(store: &ChainStore<NodeBlocks>, tipset: &Tipset, cid: &Cid) -> Rpc<Option<Receipt>> {
    let mut listed = false;
    for block in tipset.blocks() {
        if message_list(store, block)?.messages.contains(cid) {
            listed = true;
            break;
        }
    }
    if !listed {
        return Ok(None);
    }
    let executed = store
        .meta(tipset.key())
        .map_err(internal)?
        .and_then(|m| m.executed)
        .ok_or_else(|| internal(format!("tipset at {} is not executed", tipset.height())))?;
    let receipts = store.receipts(&executed).map_err(internal)?;
    let mut applied: BTreeMap<Cid, usize> = BTreeMap::new();
    for block in tipset.blocks() {
        for signed in store.block_messages(block).map_err(internal)? {
            let next = applied.len();
            let index = *applied
                .entry(signed.message.cid().map_err(internal)?)
                .or_insert(next);
            if signed.cid().map_err(internal)? == *cid {
                return receipts.get(index).cloned().map(Some).ok_or_else(|| {
                    internal(format!(
                        "tipset at {} has fewer receipts than messages",
                        tipset.height()
                    ))
                });
            }
        }
    }
    Ok(None)
}

fn receipt_info(receipt: &Receipt) -> ReceiptInfo {
    ReceiptInfo {
        exit_code: receipt.exit_code.value(),
        exit_code_name: receipt.exit_code.name().map(str::to_owned),
        return_data: hex::encode(&receipt.return_data),
        gas_used: receipt.gas_used,
    }
}

/// The nonce `address`'s next message should have.
pub(crate) fn next_nonce(chain: &ChainService, address: &Address) -> Rpc<u64> {
    chain.mpool().next_nonce(address).ok_or_else(|| {
        not_found(format!(
            "{} has no account on chain (send it some FLW first)",
            address.display(chain.params().network)
        ))
    })
}

/// Every pending message, by sender, then nonce.
pub(crate) fn pending(chain: &ChainService) -> Rpc<Vec<MessageInfo>> {
    let network = chain.params().network;
    chain
        .mpool()
        .iter()
        .map(|signed| message_info(signed, network))
        .collect()
}

/// Decodes `hex_cbor` (hex of a signed message's DAG-CBOR) and adds it to the pool.
pub(crate) fn push(chain: &mut ChainService, hex_cbor: &str) -> Rpc<String> {
    let text = hex_cbor.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() > MAX_SIGNED_MESSAGE_BYTES.saturating_mul(2) {
        return Err(invalid(format!(
            "the signed message is larger than {MAX_SIGNED_MESSAGE_BYTES} bytes"
        )));
    }
    let bytes = hex::decode(text).map_err(|e| {
        invalid(format!(
            "MpoolPush takes the hex of a signed message's DAG-CBOR: {e}"
        ))
    })?;
    let signed = SignedMessage::from_cbor(&bytes).map_err(|e| invalid(e.to_string()))?;
    let added = chain.push_message(signed).map_err(|e| {
        error(
            REFUSED_CODE,
            format!("the message pool refused the message: {e}"),
        )
    })?;
    Ok(added.cid().to_string())
}
