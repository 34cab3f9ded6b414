//! Method params and actor states: every value round-trips through its DAG-CBOR tuple, the
//! encoding is canonical (re-encoding the decoded value gives the same bytes), and truncated
//! bytes are refused, never a panic.

use cid::Cid;
use flowcoin_state::actor::WithdrawParams;
use flowcoin_state::actor::miner::{
    Deadline, DeclareFaultsParams, Partition, PoStPartition, PreCommitSectorParams,
    ProveCommitSectorParams, SectorOnChain, SubmitWindowedPoStParams, WithdrawBalanceParams,
};
use flowcoin_state::actor::power::{Claim, CreateMinerParams};
use flowcoin_types::message::{Bytes, from_cbor, to_cbor};
use flowcoin_types::{Address, StoragePower, TokenAmount};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = to_cbor("value", value).unwrap();
    let back: T = from_cbor("value", &bytes, 1 << 20).unwrap();
    assert_eq!(&back, value);
    assert_eq!(to_cbor("value", &back).unwrap(), bytes);
    for cut in 0..bytes.len() {
        assert!(from_cbor::<T>("value", &bytes[..cut], 1 << 20).is_err());
    }
}

fn amount() -> impl Strategy<Value = TokenAmount> {
    any::<u128>().prop_map(TokenAmount::from_atto)
}

fn sealed() -> impl Strategy<Value = Cid> {
    any::<[u8; 32]>().prop_map(|c| flowcoin_proofs::sealed_cid(&c))
}

fn numbers() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(any::<u64>(), 0..20)
}

proptest! {
    #[test]
    fn withdraw_params_round_trip(a in amount()) {
        round_trip(&WithdrawParams { amount: a });
        round_trip(&WithdrawBalanceParams { amount: a });
    }

    #[test]
    fn pre_and_prove_commit_params_round_trip(
        n in any::<u64>(), r in sealed(), d in any::<[u8; 32]>(), t in any::<u64>(), e in any::<u64>(),
        proof in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        round_trip(&PreCommitSectorParams {
            sector_number: n,
            sealed_cid: r,
            unsealed_cid: flowcoin_proofs::unsealed_cid(&d),
            seal_rand_epoch: t,
            expiration: e,
        });
        round_trip(&ProveCommitSectorParams { sector_number: n, proof: Bytes(proof) });
    }

    #[test]
    fn post_and_sector_list_params_round_trip(
        deadline in any::<u64>(),
        parts in proptest::collection::vec((any::<u64>(), proptest::collection::vec(any::<u8>(), 0..64)), 0..4),
        sectors in numbers(),
    ) {
        round_trip(&SubmitWindowedPoStParams {
            deadline,
            partitions: parts.into_iter().map(|(index, p)| PoStPartition { index, proof: Bytes(p) }).collect(),
        });
        round_trip(&DeclareFaultsParams { sectors });
    }

    #[test]
    fn miner_objects_round_trip(
        a in numbers(), b in numbers(), c in numbers(), proven in numbers(),
        n in any::<u64>(), r in sealed(), pledge in amount(), since in proptest::option::of(any::<u64>()),
    ) {
        round_trip(&Deadline {
            partitions: vec![Partition { sectors: a, faults: b, recoveries: c }],
            proven,
        });
        round_trip(&SectorOnChain {
            sector_number: n,
            sealed_cid: r,
            unsealed_cid: r,
            activation_epoch: n / 2,
            expiration: n,
            initial_pledge: pledge,
            deadline: n % 48,
            partition: n % 7,
            faulty_since: since,
        });
    }

    #[test]
    fn power_objects_round_trip(size in any::<u64>(), power in any::<u128>(), key in any::<[u8; 48]>(), peer in proptest::collection::vec(any::<u8>(), 0..64)) {
        round_trip(&Claim { sector_size: size, raw_power: StoragePower(power) });
        round_trip(&CreateMinerParams {
            owner: Address::Id(size),
            worker: Address::from_bls_public_key(key),
            sector_size: size,
            peer_id: Bytes(peer),
        });
    }
}
