//! The power actor: `CreateMiner` and its refusals, and the eligible-power bookkeeping the
//! election divides by (miners below the minimum are counted in the raw total only).

mod common;

use common::{add_account, key_address, total_balance};
use flowcoin_crypto::randomness::NoRandomness;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::miner::{self, GenesisMiner, GenesisSector};
use flowcoin_state::actor::power::{
    CreateMinerParams, METHOD_CREATE_MINER, STORAGE_POWER_ACTOR_ID, miner_ids, miner_power,
    power_state,
};
use flowcoin_state::apply::{ApplyContext, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::message::{Bytes, to_cbor};
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, StoragePower, TokenAmount};

fn worker() -> Address {
    Address::from_bls_public_key([9; 48])
}

fn genesis_miner(seed: u8, sectors: u64) -> GenesisMiner {
    GenesisMiner {
        owner: key_address(1),
        worker: worker(),
        sector_size: SectorSize::Size2KiB,
        peer_id: Vec::new(),
        seed: vec![seed],
        sectors: (0..sectors)
            .map(|n| GenesisSector {
                sector_number: n,
                comm_r: [n as u8 + 1; 32],
                comm_d: [0; 32],
                expiration: 1000,
            })
            .collect(),
    }
}

#[test]
fn eligible_power_counts_only_miners_at_the_minimum() {
    let mut params = NetworkParams::devnet();
    params.min_miner_power = 2 * SectorSize::Size2KiB.bytes();
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    add_account(&mut tree, key_address(1), TokenAmount::ZERO);
    add_account(&mut tree, worker(), TokenAmount::ZERO);
    let small = miner::create_genesis_miner(&mut tree, &params, &genesis_miner(1, 1)).unwrap();
    let big = miner::create_genesis_miner(&mut tree, &params, &genesis_miner(2, 3)).unwrap();
    let state = power_state(&tree).unwrap();
    assert_eq!(state.total_raw_power, StoragePower::from_bytes(4 * 2048));
    assert_eq!(
        state.total_eligible_power,
        StoragePower::from_bytes(3 * 2048)
    );
    assert_eq!((state.miner_count, state.miners_above_min), (2, 1));
    let p = miner_power(&tree, small, params.min_miner_power)
        .unwrap()
        .unwrap();
    assert!(!p.eligible);
    assert_eq!(p.raw_power, StoragePower::from_bytes(2048));
    let p = miner_power(&tree, big, params.min_miner_power)
        .unwrap()
        .unwrap();
    assert!(p.eligible);
    assert_eq!(p.total_eligible_power, StoragePower::from_bytes(3 * 2048));
    assert_eq!(miner_power(&tree, 1, params.min_miner_power).unwrap(), None);
    let mut ids = miner_ids(&tree).unwrap();
    ids.sort();
    assert_eq!(ids, [small, big]);
}

#[test]
fn create_miner_refuses_bad_owners_workers_sizes_and_params() {
    let params = NetworkParams::devnet();
    let gas = GasSchedule::default();
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    let owner = add_account(&mut tree, key_address(1), TokenAmount::from_flw(10));
    add_account(&mut tree, worker(), TokenAmount::ZERO);
    let producer = add_account(&mut tree, key_address(3), TokenAmount::ZERO);
    let total = total_balance(&tree);
    let good = CreateMinerParams {
        owner: key_address(1),
        worker: worker(),
        sector_size: 2048,
        peer_id: Bytes(vec![1; 38]),
    };
    let cases: Vec<(Vec<u8>, ExitCode, &str)> = vec![
        (vec![0x80], ExitCode::ERR_ILLEGAL_ARGUMENT, "[owner, worker"),
        (
            to_cbor(
                "p",
                &CreateMinerParams {
                    worker: key_address(1),
                    ..good.clone()
                },
            )
            .unwrap(),
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            "not a BLS key",
        ),
        (
            to_cbor(
                "p",
                &CreateMinerParams {
                    owner: key_address(7),
                    ..good.clone()
                },
            )
            .unwrap(),
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            "is not an account",
        ),
        (
            to_cbor(
                "p",
                &CreateMinerParams {
                    sector_size: 1 << 35,
                    ..good.clone()
                },
            )
            .unwrap(),
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            "not one this network allows",
        ),
        (
            to_cbor(
                "p",
                &CreateMinerParams {
                    peer_id: Bytes(vec![0; 200]),
                    ..good.clone()
                },
            )
            .unwrap(),
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            "peer ID",
        ),
        (to_cbor("p", &good).unwrap(), ExitCode::OK, ""),
    ];
    for (nonce, (params_bytes, code, reason)) in cases.into_iter().enumerate() {
        let message = Message {
            from: key_address(1),
            to: Address::Id(STORAGE_POWER_ACTOR_ID),
            nonce: nonce as u64,
            value: TokenAmount::ONE_FLW,
            method: METHOD_CREATE_MINER,
            params: params_bytes,
            gas_limit: 5_000_000,
            gas_fee_cap: TokenAmount::from_atto(200_000_000),
            ..Message::default()
        };
        let ctx = ApplyContext {
            epoch: 1,
            base_fee: params.initial_base_fee,
            block_producer: producer,
            params: &params,
            gas: &gas,
            randomness: &NoRandomness,
            circulating_supply: TokenAmount::ZERO,
        };
        let before = power_state(&tree).unwrap();
        let ret = apply_message(&mut tree, &message, &ctx).unwrap();
        assert_eq!(
            ret.receipt.exit_code, code,
            "case {nonce}: {:?}",
            ret.failure_reason
        );
        assert_eq!(total_balance(&tree), total);
        if code == ExitCode::OK {
            assert_eq!(power_state(&tree).unwrap().miner_count, 1);
        } else {
            assert!(ret.failure_reason.unwrap().contains(reason), "case {nonce}");
            // Nothing but gas and nonce: the value came back, no miner exists.
            assert_eq!(power_state(&tree).unwrap(), before);
            assert_eq!(
                tree.get_actor(STORAGE_POWER_ACTOR_ID)
                    .unwrap()
                    .unwrap()
                    .balance,
                TokenAmount::ZERO
            );
        }
    }
    assert_eq!(tree.get_actor(owner).unwrap().unwrap().nonce, 6);
}
