//! What an actor method runs with: the [`InvokeContext`] (epoch, caller, network constants,
//! randomness), a gas meter, and the errors that tell a refused call ([`CallError::Refused`],
//! undone by message application) from a fault of the node ([`CallError::Node`]).
//!
//! Methods write to the state tree directly; message application wraps each call in a state
//! transaction ([`StateTree::begin`]) and reverts it when the call fails, so a method may fail
//! at any point without leaving half its changes behind.

use flowcoin_crypto::randomness::{DomainSeparationTag, RANDOMNESS_LEN, RandomnessSource};
use flowcoin_dag::store::Blockstore;
use flowcoin_types::message::{CborError, from_cbor, to_cbor};
use flowcoin_types::{Address, NetworkParams, TokenAmount};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::actor::{ActorId, MethodError};
use crate::apply::ApplyError;
use crate::gas::GasSchedule;
use crate::receipt::ExitCode;
use crate::state_tree::{StateError, StateTree};

/// Who calls a method, when, and with what around it.
#[derive(Clone, Copy)]
pub struct InvokeContext<'a> {
    /// The epoch of the message.
    pub epoch: u64,
    /// The sender's actor ID.
    pub caller: ActorId,
    /// The sender's address as the message gave it, and the message's nonce (new actor
    /// addresses are derived from them).
    pub origin: (Address, u64),
    /// The actor whose method runs.
    pub receiver: ActorId,
    /// What the message sent along (already in the receiver's balance).
    pub value: TokenAmount,
    /// The circulating supply of the epoch (the chain computes it once per epoch).
    pub circulating_supply: TokenAmount,
    /// The network's constants.
    pub params: &'a NetworkParams,
    /// The gas prices.
    pub gas: &'a GasSchedule,
    /// Where seal tickets, seeds and PoSt challenges come from.
    pub randomness: &'a dyn RandomnessSource,
}

impl std::fmt::Debug for InvokeContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvokeContext")
            .field("epoch", &self.epoch)
            .field("caller", &self.caller)
            .field("receiver", &self.receiver)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl InvokeContext<'_> {
    /// The randomness for `tag` at `epoch` with `entropy`, masked to a field element
    /// (`[31] &= 0x3f`, as Lotus does before handing randomness to the proofs). A source that
    /// has no randomness for the epoch is a fault of the node, not of the message.
    pub fn draw(
        &self,
        tag: DomainSeparationTag,
        epoch: u64,
        entropy: &[u8],
    ) -> Result<[u8; RANDOMNESS_LEN], CallError> {
        draw_masked(self.randomness, tag, epoch, entropy).map_err(CallError::Node)
    }
}

/// [`InvokeContext::draw`] for callers outside message application (a prover building the
/// proof the actor will check draws the same value).
pub fn draw_masked(
    source: &dyn RandomnessSource,
    tag: DomainSeparationTag,
    epoch: u64,
    entropy: &[u8],
) -> Result<[u8; RANDOMNESS_LEN], ApplyError> {
    let epoch = i64::try_from(epoch)
        .map_err(|_| ApplyError::Randomness(format!("epoch {epoch} is out of range")))?;
    let mut value = source
        .randomness(tag, epoch, entropy)
        .map_err(|e| ApplyError::Randomness(e.to_string()))?;
    if let Some(last) = value.last_mut() {
        *last &= 0x3f;
    }
    Ok(value)
}

/// Why a method call did not succeed.
#[derive(Debug)]
pub enum CallError {
    /// A system exit code (out of gas, unknown method): the receipt says it all.
    Exit(ExitCode),
    /// The method refused the call; undone, with the reason for people.
    Refused(MethodError),
    /// The node's state is missing or damaged: the block cannot be applied.
    Node(ApplyError),
}

impl From<StateError> for CallError {
    fn from(error: StateError) -> Self {
        Self::Node(ApplyError::State(error))
    }
}

impl From<crate::hamt::HamtError> for CallError {
    fn from(error: crate::hamt::HamtError) -> Self {
        Self::Node(ApplyError::State(StateError::Hamt(error)))
    }
}

impl From<ApplyError> for CallError {
    fn from(error: ApplyError) -> Self {
        Self::Node(error)
    }
}

impl From<MethodError> for CallError {
    fn from(error: MethodError) -> Self {
        Self::Refused(error)
    }
}

/// A refusal with `exit_code` because of `reason`.
pub(crate) fn refuse(exit_code: ExitCode, reason: impl Into<String>) -> CallError {
    CallError::Refused(MethodError::new(exit_code, reason))
}

/// Decodes a method's params (canonical DAG-CBOR of `T`, at most `max_len` bytes); a refusal
/// with [`ExitCode::ERR_ILLEGAL_ARGUMENT`] naming `shape` otherwise.
pub(crate) fn decode_params<T: Serialize + DeserializeOwned>(
    what: &'static str,
    shape: &str,
    params: &[u8],
    max_len: usize,
) -> Result<T, CallError> {
    from_cbor(what, params, max_len).map_err(|e| {
        refuse(
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            format!("{e} (the method takes the DAG-CBOR array {shape})"),
        )
    })
}

/// Encodes a method's return value.
pub(crate) fn encode_return<T: Serialize>(
    what: &'static str,
    value: &T,
) -> Result<Vec<u8>, CallError> {
    to_cbor(what, value).map_err(|e: CborError| CallError::Node(ApplyError::Encode(e)))
}

/// Gas used so far against the limit.
#[derive(Debug, Clone, Copy)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    /// A meter with `used` of `limit` already spent.
    pub(crate) fn new(limit: u64, used: u64) -> Self {
        Self {
            limit,
            used: used.min(limit),
        }
    }

    /// Gas used.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Charges `amount`; past the limit, uses all of it and reports out of gas.
    pub fn charge(&mut self, amount: u64) -> Result<(), CallError> {
        match self.used.checked_add(amount) {
            Some(used) if used <= self.limit => {
                self.used = used;
                Ok(())
            }
            _ => {
                self.used = self.limit;
                Err(CallError::Exit(ExitCode::SYS_OUT_OF_GAS))
            }
        }
    }

    /// Charges `amount` `times` times.
    pub fn charge_n(&mut self, amount: u64, times: u64) -> Result<(), CallError> {
        self.charge(amount.saturating_mul(times))
    }
}

/// Adds `amount` to actor `id`'s balance (nothing for zero).
pub(crate) fn credit<S: Blockstore>(
    tree: &mut StateTree<S>,
    id: ActorId,
    amount: TokenAmount,
    role: &'static str,
) -> Result<(), ApplyError> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut actor = tree
        .get_actor(id)?
        .ok_or(ApplyError::MissingActor { id, role })?;
    actor.balance = actor
        .balance
        .checked_add(amount)
        .ok_or(ApplyError::BalanceOverflow { id })?;
    tree.set_actor(id, actor)?;
    Ok(())
}

/// Moves `amount` from actor `from` to actor `to`; the caller has checked `from` holds it
/// (a shortfall is an inconsistency of the caller's accounting, reported as a node fault).
pub(crate) fn transfer<S: Blockstore>(
    tree: &mut StateTree<S>,
    from: ActorId,
    to: ActorId,
    amount: TokenAmount,
) -> Result<(), ApplyError> {
    if amount.is_zero() || from == to {
        return Ok(());
    }
    let mut actor = tree.get_actor(from)?.ok_or(ApplyError::MissingActor {
        id: from,
        role: "payer",
    })?;
    actor.balance = actor
        .balance
        .checked_sub(amount)
        .ok_or(ApplyError::MethodPlan(
            "a transfer exceeds the payer's balance",
        ))?;
    tree.set_actor(from, actor)?;
    credit(tree, to, amount, "payee")
}
