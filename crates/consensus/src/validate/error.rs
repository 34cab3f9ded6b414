//! Why a block is refused: [`BlockError`], one variant per rule, each naming the values it
//! expected and found.

use cid::Cid;
use flowcoin_crypto::message::MessageSignatureError;
use flowcoin_state::actor::{ActorCode, ActorId};
use flowcoin_state::state_tree::StateError;
use flowcoin_types::address::Protocol;
use flowcoin_types::block::ChainWeight;
use flowcoin_types::message::CborError;
use flowcoin_types::tipset::TipsetKey;
use flowcoin_types::{Address, StoragePower, TokenAmount};

use crate::block_sig::BlockSigError;
use crate::election::ElectionError;
use crate::winning_post::WinningPostError;

/// Why a [`ValidationContext`](super::ValidationContext) could not answer: the node's own
/// failure (a store read, an index lookup), never the block's.
pub type ContextError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a block is not valid, or could not be checked.
///
/// [`is_block_fault`](Self::is_block_fault) tells the two apart: a node marks a block bad only
/// when the block itself is at fault, and retries later otherwise (a parent it has not fetched
/// yet, a timestamp a little ahead of its clock, a store failure).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The header names its miner by a key or actor address.
    #[error(
        "the block's miner is an {protocol} address; a block names its miner by ID address \
         (f0…)"
    )]
    MinerNotId {
        /// The address's protocol.
        protocol: Protocol,
    },
    /// The parent tipset is not known to this node (not a block fault: fetch it, then retry).
    #[error("the parent tipset {parents:?} is not known: fetch and validate it first")]
    UnknownParent {
        /// The header's parents.
        parents: TipsetKey,
    },
    /// The height is not above the parent's.
    #[error("the block's height {height} is not above its parent tipset's height {parent_height}")]
    HeightNotAboveParent {
        /// The header's height.
        height: u64,
        /// The parent tipset's height.
        parent_height: u64,
    },
    /// The height is so large that its timestamp or randomness epoch overflows.
    #[error("height {height} is out of range: its timestamp or randomness epoch overflows")]
    HeightOutOfRange {
        /// The header's height.
        height: u64,
    },
    /// The timestamp is not the one the height gives.
    #[error(
        "the block's timestamp is {found}, expected {expected} (the parent's timestamp plus \
         one epoch length per epoch since the parent)"
    )]
    TimestampMismatch {
        /// The parent's smallest timestamp + epoch length × (height − parent height).
        expected: u64,
        /// The header's timestamp.
        found: u64,
    },
    /// The timestamp is further ahead of the local clock than the allowed drift (not a block
    /// fault: retry once the epoch has come, or check the clock).
    #[error(
        "the block's timestamp {timestamp} is more than {max_drift} s ahead of the local clock \
         ({now}): wait for its epoch, or check this machine's clock"
    )]
    TimestampInFuture {
        /// The header's timestamp.
        timestamp: u64,
        /// The local clock, seconds since the Unix epoch.
        now: u64,
        /// The allowed drift in seconds.
        max_drift: u64,
    },
    /// The parent weight is not the parent tipset's.
    #[error("the block names parent weight {found}, but the parent tipset weighs {expected}")]
    ParentWeightMismatch {
        /// The parent tipset's weight.
        expected: ChainWeight,
        /// The header's parent weight.
        found: ChainWeight,
    },
    /// The parent state root is not what executing the parent gives.
    #[error("the block names parent state {found}, but executing the parent gives {expected}")]
    ParentStateRootMismatch {
        /// The state root executing the parent gives.
        expected: Box<Cid>,
        /// The header's parent state root.
        found: Box<Cid>,
    },
    /// The parent receipts are not what executing the parent gives.
    #[error("the block names parent receipts {found}, but executing the parent gives {expected}")]
    ParentReceiptsMismatch {
        /// The receipts root executing the parent gives.
        expected: Box<Cid>,
        /// The header's parent receipts.
        found: Box<Cid>,
    },
    /// The parent base fee is not the base fee the parent's gas use leads to.
    #[error(
        "the block names base fee {found} atto, but the parent tipset's gas use gives {expected} \
         atto"
    )]
    ParentBaseFeeMismatch {
        /// The parent's next base fee.
        expected: TokenAmount,
        /// The header's parent base fee.
        found: TokenAmount,
    },
    /// The miner is not a miner actor with a power claim in the parent state.
    #[error("actor {miner} is not a miner with a power claim in the parent state")]
    NotAMiner {
        /// The header's miner.
        miner: ActorId,
    },
    /// The miner owes fee debt in the parent state and may not win until it is paid.
    #[error("miner {miner} owes {debt} atto of fee debt; it may not produce blocks until paid")]
    FeeDebt {
        /// The miner.
        miner: ActorId,
        /// Its fee debt.
        debt: TokenAmount,
    },
    /// The miner had no power claim at the lookback state (it did not exist yet).
    #[error("miner {miner} has no power claim at the lookback epoch {lookback_epoch}")]
    NoClaimAtLookback {
        /// The miner.
        miner: ActorId,
        /// The epoch whose state the election reads.
        lookback_epoch: u64,
    },
    /// The miner's power at the lookback state is below the network's minimum.
    #[error(
        "miner {miner} had {power} bytes of power at the lookback epoch {lookback_epoch}, below \
         the minimum of {minimum} bytes"
    )]
    BelowMinimumPower {
        /// The miner.
        miner: ActorId,
        /// Its raw power then.
        power: StoragePower,
        /// The network's minimum (`NetworkParams::min_miner_power`).
        minimum: u64,
        /// The epoch whose state the election reads.
        lookback_epoch: u64,
    },
    /// The state holds a miner whose worker key or sector size cannot be used (a state the
    /// actors never write).
    #[error("miner {miner}'s info is unusable: {reason}")]
    InvalidMinerInfo {
        /// The miner.
        miner: ActorId,
        /// What is wrong.
        reason: String,
    },
    /// The block signature is missing, malformed or not the worker's.
    #[error("bad block signature: {0}")]
    BadBlockSignature(#[source] BlockSigError),
    /// The ticket is not the worker's VRF over the ticket randomness.
    #[error("bad ticket: {0}")]
    BadTicket(#[source] ElectionError),
    /// The election proof's VRF is not the worker's over the election randomness.
    #[error("bad election proof: {0}")]
    BadElectionProof(#[source] ElectionError),
    /// The election proof claims no win.
    #[error("the election proof claims 0 wins; a block needs at least one")]
    ZeroWinCount,
    /// The election proof claims another win count than its VRF draws with the lookback power.
    #[error(
        "the election proof claims {claimed} wins, but its VRF output draws {computed} with \
         the miner's power at the lookback epoch"
    )]
    WinCountMismatch {
        /// The header's win count.
        claimed: u64,
        /// Recomputed from the VRF proof and the lookback power.
        computed: u64,
    },
    /// The miner had no provable sector at the lookback state.
    #[error("miner {miner} had no provable sector at the lookback epoch {lookback_epoch}")]
    NoProvableSectors {
        /// The miner.
        miner: ActorId,
        /// The epoch whose sector set Winning PoSt challenges.
        lookback_epoch: u64,
    },
    /// The Winning PoSt does not verify.
    #[error("bad Winning PoSt: {0}")]
    BadWinningPost(#[source] WinningPostError),
    /// More messages than a block may carry.
    #[error("the block carries {count} messages, at most {max} are allowed")]
    TooManyMessages {
        /// How many.
        count: usize,
        /// The limit ([`MAX_BLOCK_MESSAGES`](super::MAX_BLOCK_MESSAGES)).
        max: usize,
    },
    /// The header's message list is not the list of the messages given.
    #[error("the header's message list is {found}, but the block's messages list as {expected}")]
    MessageListMismatch {
        /// The CID of the [`MessageList`](flowcoin_types::block::MessageList) of the messages.
        expected: Box<Cid>,
        /// The header's `messages`.
        found: Box<Cid>,
    },
    /// The messages' gas limits add up to more than a block may use.
    #[error("the block's messages reserve {total} gas, above the block gas limit of {limit}")]
    BlockGasLimit {
        /// The sum of the gas limits.
        total: u128,
        /// `NetworkParams::block_gas_limit`.
        limit: u64,
    },
    /// A message's gas limit does not cover its on-chain cost.
    #[error("message {index}'s gas limit {gas_limit} is below its on-chain cost of {minimum}")]
    MessageGasBelowMinimum {
        /// The message's position in the block.
        index: usize,
        /// Its gas limit.
        gas_limit: u64,
        /// The gas its inclusion costs.
        minimum: u64,
    },
    /// A message's fee cap is below the block's base fee.
    #[error(
        "message {index}'s gas fee cap {fee_cap} atto is below the block's base fee {base_fee} \
         atto"
    )]
    MessageFeeCapBelowBaseFee {
        /// The message's position in the block.
        index: usize,
        /// Its fee cap.
        fee_cap: TokenAmount,
        /// The header's parent base fee.
        base_fee: TokenAmount,
    },
    /// A message's sender does not exist in the parent state.
    #[error("message {index}'s sender {from:?} does not exist in the parent state")]
    UnknownSender {
        /// The message's position in the block.
        index: usize,
        /// Its sender.
        from: Address,
    },
    /// A message's sender is not an account (only accounts sign messages).
    #[error("message {index}'s sender {from:?} is a {code:?} actor, not an account")]
    SenderNotAccount {
        /// The message's position in the block.
        index: usize,
        /// Its sender.
        from: Address,
        /// The sender's code.
        code: ActorCode,
    },
    /// A message's nonce is not its sender's next one (the parent state's nonce for the first
    /// message of the sender in the block, one more for each later one).
    #[error("message {index} from {from:?} has nonce {found}, expected {expected}")]
    MessageNonce {
        /// The message's position in the block.
        index: usize,
        /// Its sender.
        from: Address,
        /// The sender's next nonce.
        expected: u64,
        /// The message's nonce.
        found: u64,
    },
    /// A message's signature is not its sender's.
    #[error("message {index}'s signature is not its sender's: {source}")]
    MessageSignature {
        /// The message's position in the block.
        index: usize,
        /// Why the signature does not hold.
        source: MessageSignatureError,
    },
    /// The node could not supply what the check needs (not a block fault).
    #[error("could not read the {what}: {source}")]
    Unavailable {
        /// What was missing.
        what: &'static str,
        /// The context's error.
        source: ContextError,
    },
    /// A state the block is checked against could not be read (not a block fault).
    #[error("could not read the {what}: {source}")]
    State {
        /// Which state.
        what: &'static str,
        /// The state's error.
        source: StateError,
    },
    /// An object could not be encoded (not a block fault).
    #[error(transparent)]
    Encode(#[from] CborError),
}

impl BlockError {
    /// Whether the block itself is invalid (mark it bad, never ask for it again), as opposed to
    /// this node not being able to check it now ([`UnknownParent`](Self::UnknownParent),
    /// [`TimestampInFuture`](Self::TimestampInFuture), [`Unavailable`](Self::Unavailable),
    /// [`State`](Self::State), [`Encode`](Self::Encode), and randomness the chain could not
    /// draw).
    pub fn is_block_fault(&self) -> bool {
        !matches!(
            self,
            Self::UnknownParent { .. }
                | Self::TimestampInFuture { .. }
                | Self::Unavailable { .. }
                | Self::State { .. }
                | Self::Encode(_)
                | Self::BadBlockSignature(BlockSigError::Encode(_))
                | Self::BadTicket(ElectionError::Randomness { .. })
                | Self::BadElectionProof(ElectionError::Randomness { .. })
                | Self::BadWinningPost(WinningPostError::Randomness(_))
        )
    }

    /// A [`BlockError::State`] for a failed read of `what`.
    pub(crate) fn state(what: &'static str) -> impl FnOnce(StateError) -> Self {
        move |source| Self::State { what, source }
    }

    /// A [`BlockError::Unavailable`] for a failed context call about `what`.
    pub(crate) fn unavailable(what: &'static str) -> impl FnOnce(ContextError) -> Self {
        move |source| Self::Unavailable { what, source }
    }
}
