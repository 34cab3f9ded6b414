//! Applying a message to the state tree: validation, gas, the value transfer, and the fee
//! split.
//!
//! [`apply_message`] runs these checks in order. The first group rejects the message with
//! **no state change at all** (not even the nonce): in each case the sender cannot be made to
//! pay, because it does not exist, the message is not its next one, or its balance (or the fee
//! cap) cannot cover the gas the message reserves. Such a message should not have been
//! included; charging the block producer for it is left to block validation.
//!
//! | # | check | exit code |
//! |---|---|---|
//! | 1 | gas limit ≤ the block gas limit | [`ExitCode::SYS_ILLEGAL_ARGUMENT`] |
//! | 2 | gas limit ≥ the on-chain message cost ([`GasSchedule::on_chain_message`]) | [`ExitCode::SYS_OUT_OF_GAS`] |
//! | 3 | gas fee cap ≥ base fee | [`ExitCode::SYS_FEE_CAP_TOO_LOW`] |
//! | 4 | sender resolves to an existing account actor | [`ExitCode::SYS_SENDER_INVALID`] |
//! | 5 | nonce = sender's nonce (and below `u64::MAX`) | [`ExitCode::SYS_SENDER_STATE_INVALID`] |
//! | 6 | sender balance ≥ gas limit × gas fee cap | [`ExitCode::SYS_INSUFFICIENT_GAS_FUNDS`] |
//!
//! Past these, the message is **applied**: the nonce is bumped and gas is charged whatever
//! happens next. Steps 7–12 run in a state transaction ([`StateTree::begin`]): if any of them
//! fails, everything they wrote (a new account, the transfer, the method's changes, even
//! when the method fails halfway through) is reverted, and only the nonce and the gas stay.
//!
//! | # | step (gas charged) | failure |
//! |---|---|---|
//! | 7 | dispatch and receiver lookup (`send_base + actor_lookup`) | [`ExitCode::SYS_OUT_OF_GAS`] |
//! | 8 | receiver: an existing ID, a known address, or a new key address (ed25519/BLS), for which an account is created (`create_account`) | [`ExitCode::SYS_INVALID_RECEIVER`] for an unknown ID or actor address; out of gas |
//! | 9 | value ≤ balance − gas limit × fee cap | [`ExitCode::SYS_INSUFFICIENT_FUNDS`] |
//! | 10 | value transfer, if non-zero (`transfer_funds + actor_update`) | out of gas |
//! | 11 | method: 0 (Send) for any receiver, or one the receiver's code defines (see below) | [`ExitCode::SYS_INVALID_METHOD`] |
//! | 12 | the method's own checks | its `ERR_*` code, the reason in [`ApplyRet::failure_reason`] |
//!
//! Methods (message `method` ≠ 0) get the value already in the receiver's balance and an
//! [`InvokeContext`]; params are DAG-CBOR of the method's own type, and a return value goes to
//! the receipt's `return_data`.
//!
//! | receiver code | method | what | gas on top of steps 7–10 |
//! |---|---|---|---|
//! | vesting | 2 ([`METHOD_WITHDRAW`]) | the beneficiary withdraws vested tokens ([`vesting`](crate::actor::vesting)) | `actor_lookup`; for a non-zero amount, `transfer_funds + 2 × actor_update` |
//! | power | 2 ([`METHOD_CREATE_MINER`]) | creates a miner ([`power`]) | `create_account + 3 × actor_update` |
//! | miner | 2–8 | the sector lifecycle ([`miner::methods`]) | `actor_lookup` per state read, `actor_update` per write or sector, `verify_seal` per seal proof, `verify_post_per_sector` per sector of a Window PoSt partition |
//!
//! The reward actor pays block rewards through
//! [`award_block_reward`](crate::actor::award_block_reward) and deadlines are processed by
//! [`miner::cron`]; both run from [`crate::epoch::apply_epoch`], not from messages.
//!
//! Out of gas charges the whole gas limit. Then the fee is split ([`compute_gas_outputs`]):
//! `gas_used × base_fee` (plus any over-estimation burn) goes to the burnt-funds actor,
//! `gas_used × min(premium, fee_cap − base_fee)` to the block producer, and the sender keeps
//! the rest. The sum of all balances never changes.
//!
//! [`ApplyError`] is for faults of the node, never of the message: a missing or corrupt state,
//! a missing burnt-funds or producer actor. The block cannot be applied on this state then.

use flowcoin_types::message::{CborError, METHOD_SEND};
use flowcoin_types::{Address, Message, NetworkParams, TokenAmount};

use flowcoin_crypto::randomness::RandomnessSource;

use crate::actor::power::{self, METHOD_CREATE_MINER};
use crate::actor::vesting::WithdrawCall;
use crate::actor::{
    AccountState, ActorCode, ActorId, ActorState, BURNT_FUNDS_ACTOR_ID, METHOD_WITHDRAW,
    VestingState, miner,
};
use crate::gas::{GasOutputs, GasSchedule, compute_gas_outputs};
use crate::receipt::{ExitCode, Receipt};
use crate::runtime::{CallError, GasMeter, InvokeContext, credit, transfer};
use crate::state_tree::{StateError, StateTree};
use flowcoin_dag::store::Blockstore;

/// What a message is applied in: the epoch, the fees, the block's producer, and what the
/// chain supplies (randomness, the epoch's circulating supply).
#[derive(Clone, Copy)]
pub struct ApplyContext<'a> {
    /// The epoch the message's block is in.
    pub epoch: u64,
    /// The base fee of that epoch, per gas unit.
    pub base_fee: TokenAmount,
    /// The actor that gets the tips.
    pub block_producer: ActorId,
    /// The network's constants.
    pub params: &'a NetworkParams,
    /// The gas prices.
    pub gas: &'a GasSchedule,
    /// Where seal tickets, seeds and Window PoSt challenges come from (the chain's tickets).
    pub randomness: &'a dyn RandomnessSource,
    /// The circulating supply at this epoch (`supply::circulating_supply` of the parent
    /// state), for the pledge formula.
    pub circulating_supply: TokenAmount,
}

impl std::fmt::Debug for ApplyContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyContext")
            .field("epoch", &self.epoch)
            .field("base_fee", &self.base_fee)
            .field("block_producer", &self.block_producer)
            .field("circulating_supply", &self.circulating_supply)
            .finish_non_exhaustive()
    }
}

/// The result of applying one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRet {
    /// The receipt the chain records.
    pub receipt: Receipt,
    /// Whether the message was applied or rejected, and why it was rejected.
    pub outcome: Outcome,
    /// The fee split (all zero for a rejected message).
    pub gas: GasOutputs,
    /// Why an actor method refused the call, for people (the receipt has only the exit code);
    /// `None` for success and for the system exit codes, which say it all.
    pub failure_reason: Option<String>,
}

/// Whether a message changed the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nonce bumped and gas charged; the receipt says whether the call itself succeeded.
    Applied,
    /// Nothing changed.
    Rejected(Rejection),
}

/// Why a message was rejected without any state change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The gas limit exceeds what a block may use.
    GasLimitAboveBlockLimit {
        /// The message's gas limit.
        gas_limit: u64,
        /// The block gas limit.
        block_gas_limit: u64,
    },
    /// The gas limit does not even cover including the message.
    GasLimitBelowMinimum {
        /// The message's gas limit.
        gas_limit: u64,
        /// The on-chain cost of the message.
        minimum: u64,
    },
    /// The fee cap is below the base fee.
    FeeCapBelowBaseFee {
        /// The message's fee cap.
        fee_cap: TokenAmount,
        /// The epoch's base fee.
        base_fee: TokenAmount,
    },
    /// The sender address resolves to no actor.
    SenderNotFound,
    /// The sender is not an account actor.
    SenderNotAccount {
        /// The sender's actual code.
        code: ActorCode,
    },
    /// The nonce is not the sender's next one (or the sender's nonce is exhausted).
    NonceMismatch {
        /// The sender's nonce.
        expected: u64,
        /// The message's nonce.
        found: u64,
    },
    /// The balance cannot cover gas limit × fee cap (`None`: the product overflows).
    InsufficientGasFunds {
        /// The most the gas can cost.
        required: Option<TokenAmount>,
        /// The sender's balance.
        balance: TokenAmount,
    },
}

/// A fault of the node's state (never of the message): the block cannot be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Reading or writing the state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The message could not be encoded to measure it.
    #[error("encoding the message: {0}")]
    Encode(#[from] CborError),
    /// An actor the fee split pays into does not exist.
    #[error("the {role} actor {id} does not exist in this state")]
    MissingActor {
        /// Its ID.
        id: ActorId,
        /// What it is for ("burnt funds", "block producer", "sender").
        role: &'static str,
    },
    /// A balance would exceed 2^128 attoFLW (impossible with the fixed supply).
    #[error("the balance of actor {id} would overflow")]
    BalanceOverflow {
        /// The actor.
        id: ActorId,
    },
    /// The gas arithmetic failed where validation guaranteed it could not (a bug).
    #[error("gas accounting inconsistency: {0}")]
    GasAccounting(&'static str),
    /// An actor's accounting broke an invariant it keeps (a bug or a damaged state).
    #[error("actor state inconsistency: {0}")]
    MethodPlan(&'static str),
    /// An actor's HAMT could not be read or written.
    #[error(transparent)]
    Hamt(#[from] crate::hamt::HamtError),
    /// The chain could not supply randomness a method needs.
    #[error("randomness unavailable: {0}")]
    Randomness(String),
}

/// Applies `message` to `tree`; see the [module documentation](self) for the rules.
pub fn apply_message<S: Blockstore>(
    tree: &mut StateTree<S>,
    message: &Message,
    ctx: &ApplyContext<'_>,
) -> Result<ApplyRet, ApplyError> {
    for (id, role) in [
        (BURNT_FUNDS_ACTOR_ID, "burnt funds"),
        (ctx.block_producer, "block producer"),
    ] {
        if tree.get_actor(id)?.is_none() {
            return Err(ApplyError::MissingActor { id, role });
        }
    }
    let encoded_len = message.to_cbor()?.len();
    let (sender_id, sender) = match validate(tree, message, ctx, encoded_len)? {
        Ok(sender) => sender,
        Err((rejection, exit_code)) => return Ok(rejected(rejection, exit_code)),
    };
    // Validation checked the limit covers this.
    let minimum = ctx.gas.on_chain_message(encoded_len).unwrap_or(u64::MAX);
    let mut meter = GasMeter::new(message.gas_limit, minimum);
    let reserved = message
        .gas_fee_cap
        .checked_mul(u128::from(message.gas_limit))
        .ok_or(ApplyError::GasAccounting("gas reservation overflows"))?;
    let available = sender.balance.saturating_sub(reserved);

    // The nonce is bumped whatever the call does.
    let mut bumped = sender;
    bumped.nonce = bumped
        .nonce
        .checked_add(1)
        .ok_or(ApplyError::GasAccounting("nonce overflow after validation"))?;
    tree.set_actor(sender_id, bumped)?;

    tree.begin()?;
    let result = execute(tree, message, ctx, sender_id, &mut meter, available);
    let (exit_code, failure_reason, return_data) = match result {
        Ok(return_data) => {
            tree.commit()?;
            (ExitCode::OK, None, return_data)
        }
        Err(error) => {
            tree.revert()?;
            match error {
                CallError::Exit(code) => (code, None, Vec::new()),
                CallError::Refused(refusal) => {
                    (refusal.exit_code, Some(refusal.reason), Vec::new())
                }
                CallError::Node(error) => return Err(error),
            }
        }
    };

    let gas = compute_gas_outputs(
        meter.used(),
        message.gas_limit,
        ctx.base_fee,
        message.gas_fee_cap,
        message.gas_premium,
        ctx.gas.overestimation_burn,
    )
    .ok_or(ApplyError::GasAccounting("fee split out of range"))?;
    let cost = gas
        .sender_cost()
        .ok_or(ApplyError::GasAccounting("sender cost overflows"))?;
    let mut sender = tree.get_actor(sender_id)?.ok_or(ApplyError::MissingActor {
        id: sender_id,
        role: "sender",
    })?;
    sender.balance = sender
        .balance
        .checked_sub(cost)
        .ok_or(ApplyError::GasAccounting(
            "sender cannot pay after validation",
        ))?;
    tree.set_actor(sender_id, sender)?;
    let burn = gas
        .total_burn()
        .ok_or(ApplyError::GasAccounting("burn overflows"))?;
    credit(tree, BURNT_FUNDS_ACTOR_ID, burn, "burnt funds")?;
    credit(tree, ctx.block_producer, gas.miner_tip, "block producer")?;

    Ok(ApplyRet {
        receipt: Receipt {
            exit_code,
            return_data,
            gas_used: meter.used(),
        },
        outcome: Outcome::Applied,
        gas,
        failure_reason,
    })
}

/// A message that failed checks 1–6, or the sender's ID and actor.
type Validated = Result<(ActorId, ActorState), (Rejection, ExitCode)>;

/// Checks 1–6 of the module documentation.
fn validate<S: Blockstore>(
    tree: &StateTree<S>,
    message: &Message,
    ctx: &ApplyContext<'_>,
    encoded_len: usize,
) -> Result<Validated, ApplyError> {
    let block_gas_limit = ctx.params.block_gas_limit;
    if message.gas_limit > block_gas_limit {
        return Ok(Err((
            Rejection::GasLimitAboveBlockLimit {
                gas_limit: message.gas_limit,
                block_gas_limit,
            },
            ExitCode::SYS_ILLEGAL_ARGUMENT,
        )));
    }
    let minimum = ctx.gas.on_chain_message(encoded_len).unwrap_or(u64::MAX);
    if message.gas_limit < minimum {
        return Ok(Err((
            Rejection::GasLimitBelowMinimum {
                gas_limit: message.gas_limit,
                minimum,
            },
            ExitCode::SYS_OUT_OF_GAS,
        )));
    }
    if message.gas_fee_cap < ctx.base_fee {
        return Ok(Err((
            Rejection::FeeCapBelowBaseFee {
                fee_cap: message.gas_fee_cap,
                base_fee: ctx.base_fee,
            },
            ExitCode::SYS_FEE_CAP_TOO_LOW,
        )));
    }
    let sender = match tree.lookup_id(&message.from)? {
        Some(id) => tree.get_actor(id)?.map(|actor| (id, actor)),
        None => None,
    };
    let Some((sender_id, sender)) = sender else {
        return Ok(Err((
            Rejection::SenderNotFound,
            ExitCode::SYS_SENDER_INVALID,
        )));
    };
    if sender.code != ActorCode::Account {
        return Ok(Err((
            Rejection::SenderNotAccount { code: sender.code },
            ExitCode::SYS_SENDER_INVALID,
        )));
    }
    if message.nonce != sender.nonce || sender.nonce == u64::MAX {
        return Ok(Err((
            Rejection::NonceMismatch {
                expected: sender.nonce,
                found: message.nonce,
            },
            ExitCode::SYS_SENDER_STATE_INVALID,
        )));
    }
    let required = message
        .gas_fee_cap
        .checked_mul(u128::from(message.gas_limit));
    if required.is_none_or(|required| required > sender.balance) {
        return Ok(Err((
            Rejection::InsufficientGasFunds {
                required,
                balance: sender.balance,
            },
            ExitCode::SYS_INSUFFICIENT_GAS_FUNDS,
        )));
    }
    Ok(Ok((sender_id, sender)))
}

/// Steps 7–12, inside the message's transaction: resolves the receiver, moves the value and
/// runs the method. Returns the method's return bytes.
fn execute<S: Blockstore>(
    tree: &mut StateTree<S>,
    message: &Message,
    ctx: &ApplyContext<'_>,
    sender_id: ActorId,
    meter: &mut GasMeter,
    available: TokenAmount,
) -> Result<Vec<u8>, CallError> {
    let gas = ctx.gas;
    meter.charge(gas.send_base)?;
    meter.charge(gas.actor_lookup)?;
    let receiver = match tree.lookup_id(&message.to)? {
        Some(id) => tree.get_actor(id)?.map(|actor| (id, Some(actor))),
        None => match message.to {
            Address::Ed25519(_) | Address::Bls(_) => {
                meter.charge(gas.create_account)?;
                Some((create_account(tree, &message.to)?, None))
            }
            // ID and actor addresses cannot be created by a transfer.
            _ => None,
        },
    };
    let Some((receiver_id, receiver)) = receiver else {
        return Err(CallError::Exit(ExitCode::SYS_INVALID_RECEIVER));
    };
    if message.value > available {
        return Err(CallError::Exit(ExitCode::SYS_INSUFFICIENT_FUNDS));
    }
    if !message.value.is_zero() {
        meter.charge(gas.transfer_funds)?;
        meter.charge(gas.actor_update)?;
        transfer(tree, sender_id, receiver_id, message.value)?;
    }
    if message.method == METHOD_SEND {
        return Ok(Vec::new());
    }
    let invoke = InvokeContext {
        epoch: ctx.epoch,
        caller: sender_id,
        origin: (message.from, message.nonce),
        receiver: receiver_id,
        value: message.value,
        circulating_supply: ctx.circulating_supply,
        params: ctx.params,
        gas: ctx.gas,
        randomness: ctx.randomness,
    };
    let code = receiver.map(|actor| actor.code);
    match (code, message.method) {
        (Some(ActorCode::Vesting), METHOD_WITHDRAW) => {
            vesting_withdraw(tree, &invoke, meter, &message.params)
        }
        (Some(ActorCode::Power), METHOD_CREATE_MINER) => {
            power::invoke_create_miner(tree, &invoke, meter, &message.params)
        }
        (Some(ActorCode::Miner), method) => {
            miner::methods::invoke(tree, &invoke, meter, method, &message.params)
        }
        _ => Err(CallError::Exit(ExitCode::SYS_INVALID_METHOD)),
    }
}

/// Vesting `Withdraw` on `ctx.receiver` for `ctx.caller`.
fn vesting_withdraw<S: Blockstore>(
    tree: &mut StateTree<S>,
    ctx: &InvokeContext<'_>,
    meter: &mut GasMeter,
    params: &[u8],
) -> Result<Vec<u8>, CallError> {
    meter.charge(ctx.gas.actor_lookup)?;
    let vesting = tree
        .get_actor(ctx.receiver)?
        .ok_or(ApplyError::MissingActor {
            id: ctx.receiver,
            role: "vesting",
        })?;
    let state: VestingState = tree.get_state("vesting state", &vesting.head)?;
    let call = WithdrawCall {
        caller: ctx.caller,
        beneficiary: tree.lookup_id(&state.beneficiary)?,
        epoch: ctx.epoch,
        balance: vesting.balance,
    };
    let (amount, state) = state.plan_withdraw(call, params)?;
    if amount.is_zero() {
        return Ok(Vec::new());
    }
    meter.charge(ctx.gas.transfer_funds)?;
    meter.charge_n(ctx.gas.actor_update, 2)?;
    let mut vesting = vesting;
    vesting.head = tree.put_state(&state)?;
    tree.set_actor(ctx.receiver, vesting)?;
    transfer(tree, ctx.receiver, ctx.caller, amount)?;
    Ok(Vec::new())
}

/// Registers `address` with the init actor and creates its account actor.
fn create_account<S: Blockstore>(
    tree: &mut StateTree<S>,
    address: &Address,
) -> Result<ActorId, ApplyError> {
    let id = tree.register_new_address(address)?;
    let head = tree.put_state(&AccountState { address: *address })?;
    tree.set_actor(id, ActorState::new(ActorCode::Account, head))?;
    Ok(id)
}

/// The result of a rejected message.
fn rejected(rejection: Rejection, exit_code: ExitCode) -> ApplyRet {
    ApplyRet {
        receipt: Receipt {
            exit_code,
            return_data: Vec::new(),
            gas_used: 0,
        },
        outcome: Outcome::Rejected(rejection),
        gas: GasOutputs::default(),
        failure_reason: None,
    }
}
