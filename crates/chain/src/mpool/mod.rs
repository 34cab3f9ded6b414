//! The message pool: signed messages waiting for a block.
//!
//! [`Mpool`] holds messages that could be included on top of the current head, checks every
//! message on entry so that what it offers a block producer would pass the chain's checks
//! (`flowcoin_state::apply`, checks 1–6), orders them for a block ([`Mpool::select`]) and
//! follows the head ([`Mpool::head_change`]). It knows nothing of the network or the chain
//! store: the chain comes in through [`MpoolState`] (accounts and base fee at the head), the
//! rules through `NetworkParams` and the gas prices through `GasSchedule`. It is not
//! synchronised; a node wraps it in a lock.
//!
//! # Entry ([`Mpool::add`])
//!
//! Checks run cheapest first; the first that fails is the [`AddError`]:
//!
//! | # | check | error |
//! |---|---|---|
//! | 1 | version 0, params ≤ 1 MiB, nonce < 2^64 − 1, signed encoding ≤ `max_message_bytes` | [`Malformed`](AddError::Malformed), [`TooLarge`](AddError::TooLarge) |
//! | 2 | on-chain minimum ≤ gas limit ≤ block gas limit (apply checks 1, 2) | [`GasLimitBelowMinimum`](AddError::GasLimitBelowMinimum), [`GasLimitAboveBlockLimit`](AddError::GasLimitAboveBlockLimit) |
//! | 3 | fee cap ≥ `min_base_fee`, premium ≤ fee cap | [`FeeCapBelowMinBaseFee`](AddError::FeeCapBelowMinBaseFee), [`PremiumAboveFeeCap`](AddError::PremiumAboveFeeCap) |
//! | 4 | the same signed message (CID) is already pending: nothing changes | `Ok(`[`Added::AlreadyPending`]`)` |
//! | 5 | the sender resolves to a key address and the signature is that key's | [`UnknownSender`](AddError::UnknownSender), [`SignerNotSender`](AddError::SignerNotSender), [`BadSignature`](AddError::BadSignature) |
//! | 6 | the sender has an account (apply check 4) | [`UnknownSender`](AddError::UnknownSender) |
//! | 7 | nonce ≥ state nonce (apply check 5 can still pass) | [`NonceTooLow`](AddError::NonceTooLow) |
//! | 8 | same sender and nonce pending: premium ≥ max(⌈1.25 × pending⌉, pending + 1), fee cap not lower | [`ReplaceByFeeTooLow`](AddError::ReplaceByFeeTooLow), [`ReplaceLowersFeeCap`](AddError::ReplaceLowersFeeCap) |
//! | 9 | otherwise: nonce ≤ next nonce + `max_nonce_gap`; fewer than `max_per_sender` pending | [`NonceGap`](AddError::NonceGap), [`SenderFull`](AddError::SenderFull) |
//! | 10 | balance ≥ Σ (value + gas limit × fee cap) over the sender's pending messages from the state nonce on, this one included and a replaced one not (apply checks 6 and 9 for the whole queue) | [`InsufficientBalance`](AddError::InsufficientBalance) |
//! | 11 | room: at most `max_messages` and `max_total_bytes`, or evictions make room | [`PoolFull`](AddError::PoolFull) |
//!
//! The fee cap is checked against the *minimum* base fee, not the current one: a message that
//! cannot pay today's base fee may pay a later, lower one, and waits (selection skips it).
//! The signature is checked after the cheap checks and the duplicate test, since it costs far
//! more than all of them (a BLS verification is about a millisecond).
//!
//! **Nonces.** The *next nonce* of a sender is its state nonce plus its run of pending
//! messages without a gap ([`Mpool::next_nonce`]). A message may leave a gap (it waits until
//! the gap is filled) but at most `max_nonce_gap` nonces beyond the next nonce, so a sender
//! cannot park messages that may never become includable.
//!
//! **Replace by fee.** A message with a pending sender and nonce replaces the pending one when
//! its premium is at least 1.25× (Lotus's `ReplaceByFeeRatio`, rounded up, and always at
//! least 1 attoFLW more, so zero-premium messages cannot be swapped for free forever) and its
//! fee cap is not lower. The error names the premium that would replace.
//!
//! **Room.** When the pool is full (by count or by bytes), a new message may evict messages of
//! *other* senders with a strictly lower effective premium at the current base fee, always
//! the last pending nonce of its sender, lowest first, so eviction never leaves a nonce hole
//! (a hole would strand the sender's later messages). If the lowest candidate pays as much as
//! the newcomer, the newcomer is refused and the error names the premium to beat. The
//! per-sender limit evicts nothing: a sender that wants room replaces its own messages.
//!
//! # Effective premium
//!
//! What a message pays the block producer per gas at base fee `b` is
//! `min(premium, fee_cap − b)` ([`EffectivePremium`]); a message whose fee cap is below `b`
//! pays nothing and cannot be included at `b`. Eviction and selection rank by it.
//!
//! # Selection ([`Mpool::select`])
//!
//! For each sender the *includable run* is its pending messages from the state nonce on,
//! without a gap, stopping before the first whose fee cap is below the base fee (a later
//! nonce cannot go before it) or that the balance cannot cover together with the earlier
//! ones. Each run is cut into segments of non-increasing average effective premium (a
//! message is merged into the segment before it when it pays more, since it can only be had
//! with its predecessors: Lotus's message chains). Then greedily, best average first, a
//! segment is taken whole if its gas and count fit; if not, it is cut to its longest prefix
//! that fits and ranked again, and the sender's later segments are dropped. The result: each
//! sender's messages in nonce order from its state nonce, total gas ≤ the gas limit, at most
//! `max_block_messages` messages, higher payers first. It is deterministic (ties go to the
//! lower sender address).
//!
//! # Head changes ([`Mpool::head_change`])
//!
//! Called after the state behind [`MpoolState`] moved to the new head, with the messages of
//! the blocks reverted and applied. Included messages leave the pool, and so does every
//! pending message of their senders with a nonce below the new state nonce (another message
//! took that nonce). Messages of reverted blocks that the new chain does not include go back
//! in through all the checks of [`Mpool::add`]; those that fail (spent nonce, balance, room)
//! are dropped and counted in the [`HeadChangeReport`] and [`MpoolStats`].
//!
//! # Limits ([`MpoolConfig::default`])
//!
//! | limit | default | why |
//! |---|---|---|
//! | `max_messages` | 20,000 | a few blocks' worth (a block holds ≤ 10,000); Lotus keeps 30,000 |
//! | `max_total_bytes` | 128 MiB | count alone does not bound memory: a message may carry 1 MiB of params (seal proofs) |
//! | `max_per_sender` | 1,000 | Lotus's `MaxActorPendingMessages`; one sender cannot fill the pool |
//! | `max_message_bytes` | 1 MiB + 768 B | what the chain decodes (`SignedMessage::from_cbor`) |
//! | `max_nonce_gap` | 4 | Lotus's `MaxNonceGap` |
//! | `replace_by_fee` | 5/4 | Lotus's `ReplaceByFeeRatio` |
//! | `max_block_messages` | 10,000 | Filecoin's `BlockMessageLimit` |
//!
//! Every structure is bounded by these: the pool holds at most `max_messages` entries in a
//! map per sender and one CID index; selection and eviction build temporary lists of at
//! most the pool's size; a head change handles exactly the messages it is given.
//!
//! ```
//! use flowcoin_chain::mpool::{Added, Mpool, MpoolConfig, MpoolState, SenderState};
//! use flowcoin_crypto::message::sign_message;
//! use flowcoin_crypto::{SecretKey, ed25519};
//! use flowcoin_state::gas::GasSchedule;
//! use flowcoin_types::{Address, Message, NetworkParams, TokenAmount};
//!
//! struct Head(Address);
//! impl MpoolState for Head {
//!     fn actor(&self, address: &Address) -> Option<SenderState> {
//!         (*address == self.0).then_some(SenderState { nonce: 0, balance: TokenAmount::ONE_FLW })
//!     }
//!     fn base_fee(&self) -> TokenAmount {
//!         TokenAmount::from_atto(100)
//!     }
//! }
//!
//! let key = SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[7; 32]));
//! let from = key.public_key().address();
//! let params = NetworkParams::devnet();
//! let mut pool = Mpool::new(Head(from), params, GasSchedule::default(), MpoolConfig::default());
//! let message = Message {
//!     from,
//!     to: Address::Id(1001),
//!     gas_limit: 1_000_000,
//!     gas_fee_cap: TokenAmount::from_atto(200),
//!     gas_premium: TokenAmount::from_atto(50),
//!     ..Message::default()
//! };
//! let added = pool.add(sign_message(&key, &message)?)?;
//! assert!(matches!(added, Added::Pending { replaced: None, .. }));
//! assert_eq!(pool.next_nonce(&from), Some(1));
//! assert_eq!(pool.select(10_000_000, TokenAmount::from_atto(100)).len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod config;
mod error;
mod head_state;
mod select;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use cid::Cid;
use flowcoin_state::gas::GasSchedule;
use flowcoin_types::{Address, NetworkParams, SignedMessage, TokenAmount};

pub use config::{MAX_SIGNED_MESSAGE_BYTES, MpoolConfig, MpoolState, SenderState};
pub use error::{AddError, Added, EffectivePremium, HeadChangeReport, MpoolStats};
pub use head_state::HeadState;

use check::{Measured, check_message, check_replacement, check_signature};

/// A pending message and what the pool computed of it on entry.
#[derive(Debug, Clone)]
struct Entry {
    signed: SignedMessage,
    /// The signed message's CID.
    cid: Cid,
    /// The signed message's encoded size.
    bytes: usize,
    /// value + gas limit × fee cap: the most the message can cost its sender.
    required: TokenAmount,
}

/// One sender's pending messages by nonce.
type Queue = BTreeMap<u64, Entry>;

/// What adding a message changes, decided before anything changes.
struct Plan {
    /// The messages' total cost to the sender, for the entry.
    required: TokenAmount,
    /// Whether a pending message with the same nonce is replaced.
    replaces: bool,
    /// Messages to evict (sender key address and nonce).
    evict: Vec<(Address, u64)>,
}

/// The message pool; see the [module documentation](self).
#[derive(Debug)]
pub struct Mpool<S> {
    state: S,
    params: NetworkParams,
    gas: GasSchedule,
    config: MpoolConfig,
    /// Pending messages by sender key address, then nonce (ordered, so everything the pool
    /// does is deterministic).
    senders: BTreeMap<Address, Queue>,
    /// Where each pending message is, by CID.
    by_cid: HashMap<Cid, (Address, u64)>,
    /// Number of pending messages.
    count: usize,
    /// Encoded bytes of pending messages.
    bytes: usize,
    stats: MpoolStats,
}

impl<S: MpoolState> Mpool<S> {
    /// An empty pool checking messages against `state`, the network's `params` and `gas`
    /// prices, within the limits of `config`.
    pub fn new(state: S, params: NetworkParams, gas: GasSchedule, config: MpoolConfig) -> Self {
        Self {
            state,
            params,
            gas,
            config,
            senders: BTreeMap::new(),
            by_cid: HashMap::new(),
            count: 0,
            bytes: 0,
            stats: MpoolStats::default(),
        }
    }

    /// Checks `signed` and adds it; see the [module documentation](self) for the rules.
    pub fn add(&mut self, signed: SignedMessage) -> Result<Added, AddError> {
        let measured = check_message(&signed, &self.params, &self.gas, &self.config)?;
        if self.by_cid.contains_key(&measured.cid) {
            return Ok(Added::AlreadyPending { cid: measured.cid });
        }
        let from = signed.message.from;
        let key = self
            .state
            .key_address(&from)
            .ok_or(AddError::UnknownSender { from })?;
        check_signature(&signed, &key)?;
        let sender = self
            .state
            .actor(&key)
            .ok_or(AddError::UnknownSender { from })?;
        let plan = self.plan(&key, sender, &signed, measured)?;
        Ok(self.commit(key, signed, measured, plan))
    }

    /// The messages for a block on the current head at `base_fee`, using at most `gas_limit`
    /// gas; see the [module documentation](self#selection-mpoolselect).
    pub fn select(&self, gas_limit: u64, base_fee: TokenAmount) -> Vec<SignedMessage> {
        let max_count = self.config.max_block_messages;
        let runs: Vec<_> = self
            .senders
            .iter()
            .filter_map(|(address, queue)| {
                let sender = self.state.actor(address)?;
                Some(select::includable_run(queue, sender, base_fee, max_count))
            })
            .collect();
        select::select(&runs, gas_limit, max_count)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Follows the head: `reverted` are the messages of the blocks that left the chain,
    /// `applied` those of the blocks that joined it; the state must already be the new
    /// head's. See the [module documentation](self#head-changes-mpoolhead_change).
    pub fn head_change(
        &mut self,
        reverted: &[SignedMessage],
        applied: &[SignedMessage],
    ) -> HeadChangeReport {
        let mut report = HeadChangeReport::default();
        let mut applied_cids = HashSet::with_capacity(applied.len());
        let mut touched = BTreeSet::new();
        for signed in applied {
            if let Ok(cid) = signed.cid() {
                applied_cids.insert(cid);
                if let Some((address, nonce)) = self.by_cid.get(&cid).copied()
                    && self.remove(&address, nonce).is_some()
                {
                    report.included = report.included.saturating_add(1);
                }
            }
            if let Some(key) = self.state.key_address(&signed.message.from) {
                touched.insert(key);
            }
        }
        for key in touched {
            // A sender the state no longer knows can send nothing: drop all its messages.
            let nonce = self.state.actor(&key).map_or(u64::MAX, |actor| actor.nonce);
            report.stale = report.stale.saturating_add(self.remove_below(&key, nonce));
        }

        let mut back: Vec<&SignedMessage> = reverted
            .iter()
            .filter(|signed| signed.cid().is_ok_and(|cid| !applied_cids.contains(&cid)))
            .collect();
        // A sender's messages go back in nonce order, so none fails the gap check.
        back.sort_by_key(|signed| signed.message.nonce);
        for signed in back {
            match self.add(signed.clone()) {
                Ok(_) => report.readded = report.readded.saturating_add(1),
                Err(_) => report.dropped = report.dropped.saturating_add(1),
            }
        }

        let stats = &mut self.stats;
        stats.included = stats.included.saturating_add(as_u64(report.included));
        stats.stale = stats.stale.saturating_add(as_u64(report.stale));
        stats.readded = stats.readded.saturating_add(as_u64(report.readded));
        stats.reverted_dropped = stats
            .reverted_dropped
            .saturating_add(as_u64(report.dropped));
        report
    }

    /// The pending messages of `address` (any address the state resolves to the sender's
    /// key address), in nonce order.
    pub fn pending(&self, address: &Address) -> impl Iterator<Item = &SignedMessage> + '_ {
        self.state
            .key_address(address)
            .and_then(|key| self.senders.get(&key))
            .into_iter()
            .flat_map(|queue| queue.values().map(|entry| &entry.signed))
    }

    /// The nonce the sender's next new message should have: its state nonce plus its
    /// pending messages without a gap. `None` if the state has no account for `address`.
    pub fn next_nonce(&self, address: &Address) -> Option<u64> {
        let key = self.state.key_address(address)?;
        let sender = self.state.actor(&key)?;
        Some(next_nonce(self.senders.get(&key), sender.nonce))
    }

    /// The pending message with this CID (the signed message's).
    pub fn get(&self, cid: &Cid) -> Option<&SignedMessage> {
        let (address, nonce) = self.by_cid.get(cid)?;
        self.senders
            .get(address)?
            .get(nonce)
            .map(|entry| &entry.signed)
    }

    /// Whether a message with this CID is pending.
    pub fn contains(&self, cid: &Cid) -> bool {
        self.by_cid.contains_key(cid)
    }

    /// Every pending message, by sender key address, then nonce.
    pub fn iter(&self) -> impl Iterator<Item = &SignedMessage> + '_ {
        self.senders
            .values()
            .flat_map(|queue| queue.values().map(|entry| &entry.signed))
    }

    /// The number of pending messages.
    pub fn pending_count(&self) -> usize {
        self.count
    }

    /// The encoded size of all pending messages, in bytes.
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// What the pool did since it was created.
    pub fn stats(&self) -> MpoolStats {
        self.stats
    }

    /// The limits.
    pub fn config(&self) -> &MpoolConfig {
        &self.config
    }

    /// The chain's view the pool checks against.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The chain's view, to move it to a new head (then call
    /// [`head_change`](Self::head_change)).
    pub fn state_mut(&mut self) -> &mut S {
        &mut self.state
    }

    /// Checks 7–11 of the module documentation against the state and the pool.
    fn plan(
        &self,
        key: &Address,
        sender: SenderState,
        signed: &SignedMessage,
        measured: Measured,
    ) -> Result<Plan, AddError> {
        let message = &signed.message;
        let nonce = message.nonce;
        if nonce < sender.nonce {
            return Err(AddError::NonceTooLow {
                nonce,
                state_nonce: sender.nonce,
            });
        }
        let queue = self.senders.get(key);
        let pending = queue.and_then(|queue| queue.get(&nonce));
        if let Some(pending) = pending {
            check_replacement(&pending.signed.message, message, self.config.replace_by_fee)?;
        } else {
            let next_nonce = next_nonce(queue, sender.nonce);
            let max_gap = self.config.max_nonce_gap;
            if nonce > next_nonce.saturating_add(max_gap) {
                return Err(AddError::NonceGap {
                    nonce,
                    next_nonce,
                    max_gap,
                });
            }
            if queue.map_or(0, Queue::len) >= self.config.max_per_sender {
                return Err(AddError::SenderFull {
                    from: *key,
                    limit: self.config.max_per_sender,
                });
            }
        }

        let others: Vec<TokenAmount> = queue
            .into_iter()
            .flat_map(|queue| queue.range(sender.nonce..))
            .filter(|(other, _)| **other != nonce)
            .map(|(_, entry)| entry.required)
            .collect();
        let required = message.required_funds();
        let total = required.and_then(|own| {
            TokenAmount::checked_sum(others.iter().copied().chain(std::iter::once(own)))
        });
        let (Some(required), Some(total)) = (required, total) else {
            return Err(AddError::InsufficientBalance {
                required: None,
                balance: sender.balance,
                other_pending: others.len(),
            });
        };
        if total > sender.balance {
            return Err(AddError::InsufficientBalance {
                required: Some(total),
                balance: sender.balance,
                other_pending: others.len(),
            });
        }

        let freed_bytes = pending.map_or(0, |pending| pending.bytes);
        let evict = self.plan_evictions(
            key,
            EffectivePremium::of(message, self.state.base_fee()),
            usize::from(pending.is_none()),
            measured.bytes.saturating_sub(freed_bytes),
        )?;
        Ok(Plan {
            required,
            replaces: pending.is_some(),
            evict,
        })
    }

    /// The messages to evict so that `new_count` more messages and `new_bytes` more bytes
    /// fit: the last pending messages of senders other than `exclude`, lowest effective
    /// premium first, each strictly below `premium`.
    fn plan_evictions(
        &self,
        exclude: &Address,
        premium: EffectivePremium,
        new_count: usize,
        new_bytes: usize,
    ) -> Result<Vec<(Address, u64)>, AddError> {
        let mut over_count = self
            .count
            .saturating_add(new_count)
            .saturating_sub(self.config.max_messages);
        let mut over_bytes = self
            .bytes
            .saturating_add(new_bytes)
            .saturating_sub(self.config.max_total_bytes);
        if over_count == 0 && over_bytes == 0 {
            return Ok(Vec::new());
        }
        let base_fee = self.state.base_fee();
        let rank = |address: &Address, nonce: u64, entry: &Entry| {
            Reverse((
                EffectivePremium::of(&entry.signed.message, base_fee),
                *address,
                nonce,
            ))
        };
        // The candidates: each sender's last message; when one is evicted, the one before it.
        let mut tails: BinaryHeap<_> = self
            .senders
            .iter()
            .filter(|(address, _)| *address != exclude)
            .filter_map(|(address, queue)| {
                let (nonce, entry) = queue.last_key_value()?;
                Some(rank(address, *nonce, entry))
            })
            .collect();
        let mut evict = Vec::new();
        while over_count > 0 || over_bytes > 0 {
            let Some(Reverse((lowest, address, nonce))) = tails.pop() else {
                return Err(AddError::PoolFull {
                    premium,
                    to_beat: None,
                });
            };
            if lowest >= premium {
                return Err(AddError::PoolFull {
                    premium,
                    to_beat: Some(lowest),
                });
            }
            let Some(queue) = self.senders.get(&address) else {
                continue;
            };
            if let Some(entry) = queue.get(&nonce) {
                over_count = over_count.saturating_sub(1);
                over_bytes = over_bytes.saturating_sub(entry.bytes);
                evict.push((address, nonce));
            }
            if let Some((before, entry)) = queue.range(..nonce).next_back() {
                tails.push(rank(&address, *before, entry));
            }
        }
        Ok(evict)
    }

    /// Carries out `plan`: evicts, replaces, inserts.
    fn commit(
        &mut self,
        key: Address,
        signed: SignedMessage,
        measured: Measured,
        plan: Plan,
    ) -> Added {
        let evicted: Vec<Cid> = plan
            .evict
            .into_iter()
            .filter_map(|(address, nonce)| self.remove(&address, nonce))
            .map(|entry| entry.cid)
            .collect();
        let nonce = signed.message.nonce;
        let replaced = if plan.replaces {
            self.remove(&key, nonce).map(|entry| entry.cid)
        } else {
            None
        };
        self.by_cid.insert(measured.cid, (key, nonce));
        self.senders.entry(key).or_default().insert(
            nonce,
            Entry {
                signed,
                cid: measured.cid,
                bytes: measured.bytes,
                required: plan.required,
            },
        );
        self.count = self.count.saturating_add(1);
        self.bytes = self.bytes.saturating_add(measured.bytes);
        let stats = &mut self.stats;
        stats.added = stats.added.saturating_add(1);
        stats.replaced = stats.replaced.saturating_add(u64::from(replaced.is_some()));
        stats.evicted = stats.evicted.saturating_add(as_u64(evicted.len()));
        Added::Pending {
            cid: measured.cid,
            replaced,
            evicted,
        }
    }

    /// Removes one pending message.
    fn remove(&mut self, address: &Address, nonce: u64) -> Option<Entry> {
        let queue = self.senders.get_mut(address)?;
        let entry = queue.remove(&nonce)?;
        if queue.is_empty() {
            self.senders.remove(address);
        }
        self.forget(&entry);
        Some(entry)
    }

    /// Removes the sender's pending messages with a nonce below `nonce`; returns how many.
    fn remove_below(&mut self, address: &Address, nonce: u64) -> usize {
        let Some(queue) = self.senders.get_mut(address) else {
            return 0;
        };
        let keep = queue.split_off(&nonce);
        let removed = std::mem::replace(queue, keep);
        if queue.is_empty() {
            self.senders.remove(address);
        }
        for entry in removed.values() {
            self.forget(entry);
        }
        removed.len()
    }

    /// Updates the index and totals for an entry taken out of its queue.
    fn forget(&mut self, entry: &Entry) {
        self.by_cid.remove(&entry.cid);
        self.count = self.count.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(entry.bytes);
    }
}

/// The state nonce plus the run of pending nonces after it without a gap.
fn next_nonce(queue: Option<&Queue>, state_nonce: u64) -> u64 {
    let mut next = state_nonce;
    for nonce in queue
        .into_iter()
        .flat_map(|queue| queue.range(state_nonce..).map(|(n, _)| *n))
    {
        match next.checked_add(1) {
            Some(after) if nonce == next => next = after,
            _ => break,
        }
    }
    next
}

/// A count as a `u64` for the statistics (saturating; `usize` is at most 64 bits here).
fn as_u64(count: usize) -> u64 {
    u64::try_from(count).unwrap_or(u64::MAX)
}
