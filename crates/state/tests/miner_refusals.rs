//! Every refusal of the miner actor's methods: the exit code, a reason that says what is
//! wrong, and no change to the miner, the power table or any balance beyond the caller's gas.

mod common;

use common::{Tree, add_account, key_address, total_balance, tree_with_reward_pool};
use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::{
    self, DeclareFaultsParams, GenesisMiner, GenesisSector, METHOD_DECLARE_FAULTS,
    METHOD_DECLARE_FAULTS_RECOVERED, METHOD_PRE_COMMIT_SECTOR, METHOD_PROVE_COMMIT_SECTOR,
    METHOD_SUBMIT_WINDOWED_POST, METHOD_TERMINATE_SECTORS, METHOD_WITHDRAW_BALANCE, PoStPartition,
    PreCommitSectorParams, ProveCommitSectorParams, SubmitWindowedPoStParams,
    TerminateSectorsParams, WithdrawBalanceParams,
};
use flowcoin_state::actor::power::power_state;
use flowcoin_state::apply::{ApplyContext, ApplyRet, Outcome, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_types::message::{Bytes, to_cbor};
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, TokenAmount};

struct Fixture {
    tree: Tree,
    params: NetworkParams,
    gas: GasSchedule,
    randomness: FixedRandomness,
    miner: ActorId,
    producer: ActorId,
}

fn worker() -> Address {
    Address::from_bls_public_key([9; 48])
}

impl Fixture {
    fn new() -> Self {
        let params = NetworkParams::devnet();
        let mut tree = tree_with_reward_pool(&params);
        add_account(&mut tree, key_address(1), TokenAmount::from_flw(1_000));
        add_account(&mut tree, worker(), TokenAmount::from_flw(1));
        add_account(&mut tree, key_address(5), TokenAmount::from_flw(1));
        let producer = add_account(&mut tree, key_address(3), TokenAmount::ZERO);
        let miner = miner::create_genesis_miner(
            &mut tree,
            &params,
            &GenesisMiner {
                owner: key_address(1),
                worker: worker(),
                sector_size: SectorSize::Size2KiB,
                peer_id: Vec::new(),
                seed: b"m".to_vec(),
                sectors: (0..2)
                    .map(|n| GenesisSector {
                        sector_number: n,
                        comm_r: [n as u8 + 1; 32],
                        comm_d: [0; 32],
                        expiration: 5_000,
                    })
                    .collect(),
            },
        )
        .unwrap();
        Self {
            tree,
            params,
            gas: GasSchedule::default(),
            randomness: FixedRandomness::new(b"refusals".to_vec()),
            miner,
            producer,
        }
    }

    fn send(
        &mut self,
        from: Address,
        epoch: u64,
        method: u64,
        params: Vec<u8>,
        value: TokenAmount,
    ) -> ApplyRet {
        let id = self.tree.lookup_id(&from).unwrap().unwrap();
        let nonce = self.tree.get_actor(id).unwrap().unwrap().nonce;
        let message = Message {
            from,
            to: Address::Id(self.miner),
            nonce,
            value,
            method,
            params,
            gas_limit: 200_000_000,
            gas_fee_cap: TokenAmount::from_atto(200_000_000),
            ..Message::default()
        };
        let ctx = ApplyContext {
            epoch,
            base_fee: self.params.initial_base_fee,
            block_producer: self.producer,
            params: &self.params,
            gas: &self.gas,
            randomness: &self.randomness,
            circulating_supply: TokenAmount::from_flw(1_000_000),
        };
        apply_message(&mut self.tree, &message, &ctx).unwrap()
    }

    /// Sends and checks the refusal: code, reason, and nothing changed but gas.
    fn refused(
        &mut self,
        from: Address,
        epoch: u64,
        method: u64,
        params: Vec<u8>,
        code: ExitCode,
        reason: &str,
    ) {
        let miner_before = miner::miner_state(&self.tree, self.miner).unwrap().unwrap();
        let power_before = power_state(&self.tree).unwrap();
        let total = total_balance(&self.tree);
        let ret = self.send(from, epoch, method, params, TokenAmount::from_atto(1));
        assert_eq!(ret.outcome, Outcome::Applied);
        assert_eq!(
            ret.receipt.exit_code, code,
            "{reason}: {:?}",
            ret.failure_reason
        );
        if !reason.is_empty() {
            let got = ret.failure_reason.unwrap_or_default();
            assert!(got.contains(reason), "expected {reason:?} in {got:?}");
        }
        assert_eq!(
            miner::miner_state(&self.tree, self.miner).unwrap().unwrap(),
            miner_before
        );
        assert_eq!(power_state(&self.tree).unwrap(), power_before);
        assert_eq!(total_balance(&self.tree), total);
    }
}

fn cbor<T: serde::Serialize>(value: &T) -> Vec<u8> {
    to_cbor("params", value).unwrap()
}

fn pre_commit(number: u64, epoch: u64) -> PreCommitSectorParams {
    PreCommitSectorParams {
        sector_number: number,
        sealed_cid: sealed_cid(&[7; 32]),
        unsealed_cid: unsealed_cid(&[8; 32]),
        seal_rand_epoch: epoch - 1,
        expiration: epoch + 500,
    }
}

#[test]
fn every_miner_method_refusal_changes_nothing_but_gas() {
    let mut f = Fixture::new();
    let owner = key_address(1);
    let stranger = key_address(5);
    let e = 20;

    // Who may call.
    f.refused(
        stranger,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&pre_commit(2, e)),
        ExitCode::ERR_FORBIDDEN,
        "neither",
    );
    f.refused(
        worker(),
        e,
        METHOD_WITHDRAW_BALANCE,
        cbor(&WithdrawBalanceParams {
            amount: TokenAmount::ZERO,
        }),
        ExitCode::ERR_FORBIDDEN,
        "owner",
    );
    f.refused(owner, e, 99, Vec::new(), ExitCode::SYS_INVALID_METHOD, "");

    // PreCommitSector.
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        vec![0x80],
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "[sector_number",
    );
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&pre_commit(1, e)),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "already used",
    );
    let swapped = PreCommitSectorParams {
        sealed_cid: unsealed_cid(&[7; 32]),
        ..pre_commit(2, e)
    };
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&swapped),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "sealed_cid must be",
    );
    let future_ticket = PreCommitSectorParams {
        seal_rand_epoch: e,
        ..pre_commit(2, e)
    };
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&future_ticket),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "seal ticket epoch",
    );
    let old_ticket = PreCommitSectorParams {
        seal_rand_epoch: 0,
        ..pre_commit(2, 250)
    };
    f.refused(
        owner,
        250,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&old_ticket),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "at most 200 epochs old",
    );
    let short = PreCommitSectorParams {
        expiration: e + 10,
        ..pre_commit(2, e)
    };
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&short),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "expiration",
    );
    let long = PreCommitSectorParams {
        expiration: e + 30_000_000,
        ..pre_commit(2, e)
    };
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&long),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "expiration",
    );
    // The miner holds nothing yet: the deposit cannot be paid.
    f.refused(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&pre_commit(2, e)),
        ExitCode::ERR_INSUFFICIENT_FUNDS,
        "pre-commit deposit",
    );

    // Fund it and pre-commit sector 2 for the ProveCommitSector cases.
    let ret = f.send(
        owner,
        e,
        METHOD_PRE_COMMIT_SECTOR,
        cbor(&pre_commit(2, e)),
        TokenAmount::from_flw(100),
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    let prove = |n: u64, proof: Vec<u8>| {
        cbor(&ProveCommitSectorParams {
            sector_number: n,
            proof: Bytes(proof),
        })
    };
    f.refused(
        owner,
        e + 5,
        METHOD_PROVE_COMMIT_SECTOR,
        prove(9, vec![1]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "not pre-committed",
    );
    f.refused(
        owner,
        e + 5,
        METHOD_PROVE_COMMIT_SECTOR,
        prove(2, vec![1, 2, 3]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "seal proof of sector 2",
    );
    f.refused(
        owner,
        e + 301,
        METHOD_PROVE_COMMIT_SECTOR,
        prove(2, vec![1]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "had to be proven by epoch",
    );

    // SubmitWindowedPoSt.
    let state = miner::miner_state(&f.tree, f.miner).unwrap().unwrap().1;
    let open = state.deadline_at(&f.params, e);
    let other = (open.index + 1) % f.params.deadlines;
    let post = |deadline: u64, index: u64, proof: Vec<u8>| {
        cbor(&SubmitWindowedPoStParams {
            deadline,
            partitions: vec![PoStPartition {
                index,
                proof: Bytes(proof),
            }],
        })
    };
    f.refused(
        owner,
        e,
        METHOD_SUBMIT_WINDOWED_POST,
        post(other, 0, vec![]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "is not open at epoch",
    );
    f.refused(
        owner,
        e,
        METHOD_SUBMIT_WINDOWED_POST,
        post(open.index, 5, vec![]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "has no partition 5",
    );
    let sectors = miner::sectors(&f.tree, &state).unwrap();
    let dl = sectors[0].deadline;
    let window = state.next_deadline(&f.params, dl, e);
    f.refused(
        owner,
        window.open,
        METHOD_SUBMIT_WINDOWED_POST,
        post(dl, 0, vec![1, 2]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "Window PoSt of partition 0",
    );

    // DeclareFaults, DeclareFaultsRecovered, TerminateSectors, WithdrawBalance.
    let list = |sectors: Vec<u64>| cbor(&DeclareFaultsParams { sectors });
    f.refused(
        owner,
        e,
        METHOD_DECLARE_FAULTS,
        list(vec![0, 42]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "sector 42 is not an active sector",
    );
    f.refused(
        owner,
        e,
        METHOD_DECLARE_FAULTS_RECOVERED,
        list(vec![0]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "is not faulty",
    );
    f.refused(
        owner,
        window.fault_cutoff,
        METHOD_DECLARE_FAULTS,
        list(vec![0]),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "declarations close",
    );
    f.refused(
        owner,
        e,
        METHOD_DECLARE_FAULTS,
        list((0..10_001).collect()),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "at most 10000",
    );
    f.refused(
        owner,
        e,
        METHOD_TERMINATE_SECTORS,
        cbor(&TerminateSectorsParams {
            sectors: vec![1, 7],
        }),
        ExitCode::ERR_ILLEGAL_ARGUMENT,
        "sector 7 is not an active sector",
    );
    let available = miner::miner_state(&f.tree, f.miner)
        .unwrap()
        .map(|(actor, s)| s.available_balance(actor.balance))
        .unwrap();
    let too_much = WithdrawBalanceParams {
        amount: available.checked_add(TokenAmount::from_atto(2)).unwrap(),
    };
    f.refused(
        owner,
        e,
        METHOD_WITHDRAW_BALANCE,
        cbor(&too_much),
        ExitCode::ERR_INSUFFICIENT_FUNDS,
        "is available",
    );
}
