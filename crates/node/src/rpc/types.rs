//! What the chain, state, pool and miner methods return, as JSON.
//!
//! Field names are PascalCase, as Lotus's. Amounts are attoFLW and powers bytes, both as
//! decimal strings (they may exceed 2^53, which JSON numbers cannot carry exactly); CIDs are
//! strings; addresses are in the network's text form (`t01000`, `t1…`); byte strings
//! (params, return values, signatures) are hex.

use serde::{Deserialize, Serialize};

/// A tipset, as `Flowcoin.ChainHead` and `Flowcoin.ChainGetTipSetByHeight` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HeadInfo {
    /// Its epoch.
    pub height: u64,
    /// The CIDs of its blocks, in tipset order.
    pub cids: Vec<String>,
    /// Its weight (a decimal string: it may exceed 2^53).
    pub weight: String,
    /// The smallest timestamp of its blocks (seconds since the Unix epoch).
    pub timestamp: u64,
    /// The miners that made its blocks.
    pub miners: Vec<String>,
    /// The base fee its children pay per unit of gas (attoFLW): what a message sent now
    /// must at least offer in its fee cap.
    pub next_base_fee: String,
}

/// A block header, as `Flowcoin.ChainGetBlock` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockInfo {
    /// The block's CID.
    pub cid: String,
    /// The miner that made it.
    pub miner: String,
    /// Its epoch.
    pub height: u64,
    /// The CIDs of the parent tipset's blocks.
    pub parents: Vec<String>,
    /// The parent tipset's weight.
    pub parent_weight: String,
    /// The state its parent led to (what its messages apply to).
    pub parent_state_root: String,
    /// The receipts of the parent's messages.
    pub parent_message_receipts: String,
    /// The base fee its messages pay (attoFLW).
    pub parent_base_fee: String,
    /// When it was made (seconds since the Unix epoch).
    pub timestamp: u64,
    /// How many times its miner won the election.
    pub win_count: u64,
    /// The CID of its message list.
    pub message_list: String,
    /// The CIDs of its signed messages, in order.
    pub messages: Vec<String>,
}

/// A signed message, as `Flowcoin.ChainGetMessage` and `Flowcoin.MpoolPending` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageInfo {
    /// The signed message's CID (what blocks list and `MpoolPush` returns).
    pub cid: String,
    /// Encoding version.
    pub version: u64,
    /// The receiver.
    pub to: String,
    /// The sender.
    pub from: String,
    /// The sender's sequence number.
    pub nonce: u64,
    /// The value moved (attoFLW).
    pub value: String,
    /// The most gas it may use.
    pub gas_limit: u64,
    /// The most it pays per unit of gas (attoFLW).
    pub gas_fee_cap: String,
    /// The tip per unit of gas (attoFLW).
    pub gas_premium: String,
    /// The method called (0: a plain transfer).
    pub method: u64,
    /// The method's parameters (hex of DAG-CBOR; empty for none).
    pub params: String,
    /// The signature: a scheme byte and the scheme's bytes (hex).
    pub signature: String,
}

/// A message receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiptInfo {
    /// How it ended (0: success).
    pub exit_code: u32,
    /// The exit code's name (`Ok`, `SysErrOutOfGas`, …), if it has one.
    pub exit_code_name: Option<String>,
    /// What the method returned (hex; empty for a transfer).
    #[serde(rename = "Return")]
    pub return_data: String,
    /// Gas charged for it.
    pub gas_used: u64,
}

/// Where a message was executed, as `Flowcoin.StateSearchMsg` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MsgLookup {
    /// The signed message's CID.
    pub message: String,
    /// Its receipt.
    pub receipt: ReceiptInfo,
    /// The CIDs of the blocks of the tipset that included and executed it.
    pub tip_set: Vec<String>,
    /// That tipset's epoch.
    pub height: u64,
}

/// An actor in the head's state, as `Flowcoin.StateGetActor` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActorInfo {
    /// Its ID address.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its code's name (`flw/1/account`, `flw/1/storageminer`, …).
    pub code: String,
    /// The root of its own state.
    pub head: String,
    /// Its nonce (messages sent, for an account).
    pub nonce: u64,
    /// Its balance (attoFLW).
    pub balance: String,
    /// For an account, the key address it holds; else null.
    pub key_address: Option<String>,
}

/// The network's power, as `Flowcoin.StatePower` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkPower {
    /// The epoch of the state read (the head's).
    pub height: u64,
    /// Raw power of every miner (bytes).
    pub total_raw_power: String,
    /// Raw power of the miners at or above the minimum (bytes): what elections divide by.
    pub total_eligible_power: String,
    /// Miners.
    pub miner_count: u64,
    /// Miners at or above the minimum power.
    pub miners_above_min: u64,
}

/// A miner's power, as `Flowcoin.StateMinerPower` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerPowerInfo {
    /// The miner.
    pub miner: String,
    /// Its raw power (bytes of proven, non-faulty sectors).
    pub raw_power: String,
    /// Raw power of every miner (bytes).
    pub total_raw_power: String,
    /// Raw power of the miners at or above the minimum (bytes).
    pub total_eligible_power: String,
    /// Whether it has at least the minimum power (may win blocks).
    pub has_min_power: bool,
}

/// A miner's keys and money, as `Flowcoin.StateMinerInfo` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerInfo {
    /// The miner.
    pub miner: String,
    /// The owner's ID address.
    pub owner: String,
    /// The worker's ID address.
    pub worker: String,
    /// The worker's BLS key address.
    pub worker_key: String,
    /// Bytes per sector.
    pub sector_size: u64,
    /// The libp2p peer ID (hex; empty if unset).
    pub peer_id: String,
    /// Its balance (attoFLW).
    pub balance: String,
    /// The part not locked (attoFLW).
    pub available_balance: String,
    /// Locked for pre-committed sectors (attoFLW).
    pub pre_commit_deposits: String,
    /// Locked for active sectors (attoFLW).
    pub initial_pledge: String,
    /// Penalties not yet paid (attoFLW).
    pub fee_debt: String,
    /// The smallest number the next pre-commit may use.
    pub next_sector_number: u64,
}

/// A live sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SectorInfo {
    /// Its number.
    pub sector_number: u64,
    /// CommR as a CID.
    pub sealed_cid: String,
    /// CommD as a CID.
    pub unsealed_cid: String,
    /// The epoch it was activated.
    pub activation: u64,
    /// The epoch it expires.
    pub expiration: u64,
    /// Pledge locked for it (attoFLW).
    pub initial_pledge: String,
    /// Its deadline.
    pub deadline: u64,
    /// Its partition in the deadline.
    pub partition: u64,
    /// The epoch it became faulty, or null.
    pub faulty_since: Option<u64>,
}

/// A pre-committed sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreCommitInfo {
    /// Its number.
    pub sector_number: u64,
    /// CommR as a CID.
    pub sealed_cid: String,
    /// CommD as a CID.
    pub unsealed_cid: String,
    /// The epoch of its seal ticket.
    pub seal_rand_epoch: u64,
    /// The epoch it will expire.
    pub expiration: u64,
    /// The epoch it was pre-committed.
    pub pre_commit_epoch: u64,
    /// Deposit locked for it (attoFLW).
    pub deposit: String,
}

/// A miner's sectors, as `Flowcoin.StateMinerSectors` returns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerSectors {
    /// Live sectors, by number.
    pub sectors: Vec<SectorInfo>,
    /// Pre-committed sectors not yet proven, by number.
    pub pre_commits: Vec<PreCommitInfo>,
}

/// A miner's current proving deadline, as `Flowcoin.StateMinerProvingDeadline` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvingDeadline {
    /// The epoch the deadline is for (the head's).
    pub current_epoch: u64,
    /// The deadline open at that epoch.
    pub index: u64,
    /// The first epoch of its window.
    pub open: u64,
    /// The first epoch after its window.
    pub close: u64,
    /// The epoch whose randomness challenges its proofs.
    pub challenge: u64,
    /// Faults and recoveries for it must be declared before this epoch.
    pub fault_cutoff: u64,
    /// Deadlines per proving period.
    pub deadlines: u64,
    /// Epochs per proving period.
    pub proving_period: u64,
    /// Epochs per deadline window.
    pub challenge_window: u64,
    /// Partitions in this deadline.
    pub partitions: u64,
    /// Live sectors in this deadline.
    pub live_sectors: u64,
    /// Faulty sectors in this deadline.
    pub faulty_sectors: u64,
    /// The partitions proven in this window so far.
    pub proven_partitions: Vec<u64>,
}

/// The token supply, as `Flowcoin.StateCirculatingSupply` returns it (attoFLW).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SupplyInfo {
    /// The epoch of the state read (the head's).
    pub height: u64,
    /// Tokens anyone may spend: every balance but the unmined rewards, burnt funds, unvested
    /// team tokens and miners' locked deposits and pledges.
    pub circulating: String,
    /// Tokens burnt (base fees, penalties).
    pub burnt: String,
    /// Mining rewards not yet paid out.
    pub unmined: String,
    /// Every token that will ever exist.
    pub total: String,
}
