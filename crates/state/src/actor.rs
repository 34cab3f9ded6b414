//! Actors as the state tree stores them: [`ActorState`], the built-in [`ActorCode`]s, the
//! singleton actor IDs, and the states of the actors this crate already runs (init, account,
//! system) or that genesis creates ([`reward`], [`vesting`], [`super_nodes`]: one module per
//! actor, so adding an actor is a local change).

use cid::Cid;
use flowcoin_types::{Address, TokenAmount};
use multihash::Multihash;
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::receipt::ExitCode;
use flowcoin_types::cbor_tuple;

pub mod miner;
pub mod power;
pub mod reward;
pub mod super_nodes;
pub mod vesting;

pub use power::{PowerState, STORAGE_POWER_ACTOR_ID};
pub use reward::{BlockRewardPaid, RewardError, RewardState, award_block_reward};
pub use super_nodes::{SuperNode, SuperNodeRegistryState};
pub use vesting::{METHOD_WITHDRAW, VestingState, WithdrawParams};

/// An actor's short numeric ID (its `f0…` address).
pub type ActorId = u64;

/// The system actor.
pub const SYSTEM_ACTOR_ID: ActorId = 0;
/// The init actor: assigns IDs and maps key addresses to them.
pub const INIT_ACTOR_ID: ActorId = 1;
/// The reward actor: mints block rewards.
pub const REWARD_ACTOR_ID: ActorId = 2;
// 3 is kept free (Filecoin's cron actor: Flowcoin runs deadline processing from the chain);
// 4 is the storage power actor, [`STORAGE_POWER_ACTOR_ID`].
/// The burnt-funds actor: an account nobody holds the key of; gas base fees are sent here.
pub const BURNT_FUNDS_ACTOR_ID: ActorId = 99;
/// The first ID the init actor assigns to a new actor (IDs below are for singletons).
pub const FIRST_NON_SINGLETON_ID: ActorId = 100;

/// The multicodec of a built-in actor code CID's content ("raw").
const RAW: u64 = 0x55;
/// The identity multihash code: the code name is the "hash".
const IDENTITY: u64 = 0x00;

/// The kinds of built-in actor.
///
/// On chain an actor's code is a CID, as in Filecoin before code bundles: CIDv1, codec raw,
/// identity multihash of the name `flw/1/<kind>` (e.g. `flw/1/account`), so the code is
/// readable from the CID and changing the actor's behaviour means a new name (`flw/2/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ActorCode {
    /// The system actor (ID 0).
    System,
    /// The init actor (ID 1).
    Init,
    /// A key-holding account.
    Account,
    /// The reward actor (ID 2).
    Reward,
    /// A vesting schedule (the team allocation).
    Vesting,
    /// The super-node registry.
    SuperNodes,
    /// The storage power actor.
    Power,
    /// A storage miner.
    Miner,
}

impl ActorCode {
    /// Every built-in code.
    pub const ALL: [ActorCode; 8] = [
        Self::System,
        Self::Init,
        Self::Account,
        Self::Reward,
        Self::Vesting,
        Self::SuperNodes,
        Self::Power,
        Self::Miner,
    ];

    /// The code's name, as in its CID.
    pub const fn name(self) -> &'static str {
        match self {
            Self::System => "flw/1/system",
            Self::Init => "flw/1/init",
            Self::Account => "flw/1/account",
            Self::Reward => "flw/1/reward",
            Self::Vesting => "flw/1/vesting",
            Self::SuperNodes => "flw/1/supernodes",
            Self::Power => "flw/1/storagepower",
            Self::Miner => "flw/1/storageminer",
        }
    }

    /// The code CID: CIDv1, raw, identity multihash of [`name`](Self::name).
    pub fn cid(self) -> Cid {
        // Names are at most 18 bytes: they always fit the 64-byte multihash.
        let hash = Multihash::<64>::wrap(IDENTITY, self.name().as_bytes()).unwrap_or_default();
        Cid::new_v1(RAW, hash)
    }

    /// The code a CID names, if it is a built-in one.
    pub fn from_cid(cid: &Cid) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.cid() == *cid)
    }
}

impl Serialize for ActorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.cid().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ActorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let cid = Cid::deserialize(deserializer)?;
        Self::from_cid(&cid)
            .ok_or_else(|| de::Error::custom(format!("{cid} is not a built-in actor code")))
    }
}

/// An actor in the state tree: the DAG-CBOR tuple `[code, head, nonce, balance]` (Filecoin's
/// `ActorV4` layout; the balance is a Filecoin big integer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorState {
    /// What kind of actor it is.
    pub code: ActorCode,
    /// The root of the actor's own state.
    pub head: Cid,
    /// For accounts, the number of messages sent; the next message must carry it.
    pub nonce: u64,
    /// The tokens it holds.
    pub balance: TokenAmount,
}

cbor_tuple!(ActorState {
    code: ActorCode,
    head: Cid,
    nonce: u64,
    balance: TokenAmount,
});

impl ActorState {
    /// A fresh actor of `code` with state `head`, no messages and no tokens.
    pub fn new(code: ActorCode, head: Cid) -> Self {
        Self {
            code,
            head,
            nonce: 0,
            balance: TokenAmount::ZERO,
        }
    }
}

/// The init actor's state: `[address_map, next_id, network_name]` (Filecoin's layout), the
/// address map a HAMT from address bytes to actor ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitState {
    /// Root of the HAMT mapping non-ID address bytes to IDs.
    pub address_map: Cid,
    /// The ID the next new actor gets.
    pub next_id: ActorId,
    /// The network's name (set at genesis).
    pub network_name: String,
}

cbor_tuple!(InitState {
    address_map: Cid,
    next_id: ActorId,
    network_name: String,
});

/// An account actor's state: `[address]`, the key address it was created for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// The account's key address (an ID address for the burnt-funds actor).
    pub address: Address,
}

cbor_tuple!(AccountState { address: Address });

/// The system actor's state: the empty tuple `[]` for now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemState;

impl Serialize for SystemState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        <[u8; 0]>::serialize(&[], serializer)
    }
}

impl<'de> Deserialize<'de> for SystemState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <[u8; 0]>::deserialize(deserializer).map(|_| Self)
    }
}

/// Why an actor's method refused a call: the receipt's exit code, and a reason for people
/// ([`ApplyRet::failure_reason`](crate::apply::ApplyRet::failure_reason); it is not part of
/// the receipt, so its wording is not consensus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodError {
    /// The exit code the receipt carries (one of the `ERR_*` codes).
    pub exit_code: ExitCode,
    /// What was wrong and what would fix it.
    pub reason: String,
}

impl MethodError {
    /// A refusal with `exit_code` because of `reason`.
    pub fn new(exit_code: ExitCode, reason: impl Into<String>) -> Self {
        Self {
            exit_code,
            reason: reason.into(),
        }
    }
}

/// The key bytes of actor `id` in the state tree and address maps: its ID address in byte form
/// (`0x00` and the ID as an unsigned LEB128 varint), as Filecoin keys its state tree.
pub fn id_key(id: ActorId) -> Vec<u8> {
    Address::Id(id).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::message::{cbor_cid, from_cbor, to_cbor};

    #[test]
    fn code_cids_round_trip_and_are_distinct() {
        for code in ActorCode::ALL {
            assert_eq!(ActorCode::from_cid(&code.cid()), Some(code));
        }
        let mut cids: Vec<_> = ActorCode::ALL.iter().map(|c| c.cid()).collect();
        cids.sort();
        cids.dedup();
        assert_eq!(cids.len(), ActorCode::ALL.len());
        assert_eq!(ActorCode::from_cid(&cbor_cid(b"x")), None);
    }

    #[test]
    fn actor_state_is_a_four_tuple_and_round_trips() {
        let actor = ActorState {
            code: ActorCode::Account,
            head: cbor_cid(b"head"),
            nonce: 5,
            balance: TokenAmount::from_atto(0x1234),
        };
        let bytes = to_cbor("actor", &actor).unwrap();
        assert_eq!(bytes[0], 0x84);
        assert_eq!(
            from_cbor::<ActorState>("actor", &bytes, 1024).unwrap(),
            actor
        );
        // An unknown code is refused.
        let mut other = bytes;
        let name = b"flw/1/account";
        let at = other.windows(name.len()).position(|w| w == name).unwrap();
        other[at] = b'x';
        assert!(from_cbor::<ActorState>("actor", &other, 1024).is_err());
    }

    #[test]
    fn id_keys_are_id_address_bytes() {
        assert_eq!(id_key(0), [0x00, 0x00]);
        assert_eq!(id_key(1000), [0x00, 0xe8, 0x07]);
    }

    #[test]
    fn system_state_is_the_empty_array() {
        assert_eq!(to_cbor("system", &SystemState).unwrap(), [0x80]);
    }
}
