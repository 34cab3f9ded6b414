//! A miner's whole life with real 2 KiB proofs, through message application and deadline
//! processing: create the miner, pre-commit (deposit locked), prove-commit with a real seal
//! proof against the chain's seed (power, pledge), prove a Window PoSt, miss one (faulty,
//! power gone, fault fee), declare recovery and prove again (power back), terminate (fee,
//! pledge released), withdraw. Every step checks the balances against the formulas of
//! `monies` and that the sum of all balances never changes.

mod common;

use std::path::PathBuf;

use common::{Tree, add_account, balance, key_address, total_balance, tree_with_reward_pool};
use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_proofs::sdr::params::{
    PoStProofKind, RegisteredPoStProof, RegisteredSealProof, SealProofVersion,
};
use flowcoin_proofs::sdr::post::{PrivateSector, prove_window};
use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SealedSector, SectorCache, seal};
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::miner::cron::{DeadlineReport, end_of_epoch};
use flowcoin_state::actor::miner::monies::{self, RewardEnv};
use flowcoin_state::actor::miner::{
    self, DeclareFaultsParams, METHOD_DECLARE_FAULTS_RECOVERED, METHOD_PRE_COMMIT_SECTOR,
    METHOD_PROVE_COMMIT_SECTOR, METHOD_SUBMIT_WINDOWED_POST, METHOD_TERMINATE_SECTORS,
    METHOD_WITHDRAW_BALANCE, MinerState, PoStPartition, PreCommitSectorParams,
    ProveCommitSectorParams, SubmitWindowedPoStParams, TerminateSectorsParams,
    WithdrawBalanceParams,
};
use flowcoin_state::actor::power::{
    CreateMinerParams, CreateMinerReturn, METHOD_CREATE_MINER, STORAGE_POWER_ACTOR_ID, power_state,
};
use flowcoin_state::actor::{ActorId, BURNT_FUNDS_ACTOR_ID};
use flowcoin_state::apply::{ApplyContext, ApplyRet, Outcome, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::economics::RewardSchedule;
use flowcoin_types::message::{Bytes, from_cbor, to_cbor};
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, StoragePower, TokenAmount};

const SIZE: SectorSize = SectorSize::Size2KiB;
const CIRCULATING: TokenAmount = TokenAmount::from_flw(80_000_000);

struct Net {
    tree: Tree,
    params: NetworkParams,
    gas: GasSchedule,
    randomness: FixedRandomness,
    owner: ActorId,
    producer: ActorId,
    total: TokenAmount,
}

impl Net {
    fn new() -> Self {
        let params = NetworkParams::devnet();
        let mut tree = tree_with_reward_pool(&params);
        let owner = add_account(&mut tree, key_address(1), TokenAmount::from_flw(10_000));
        add_account(
            &mut tree,
            Address::from_bls_public_key([9; 48]),
            TokenAmount::from_flw(1),
        );
        let producer = add_account(&mut tree, key_address(3), TokenAmount::ZERO);
        let total = total_balance(&tree);
        Self {
            tree,
            params,
            gas: GasSchedule::default(),
            randomness: FixedRandomness::new(b"miner lifecycle".to_vec()),
            owner,
            producer,
            total,
        }
    }

    /// Applies a message from the owner at `epoch`; checks conservation.
    fn send(
        &mut self,
        epoch: u64,
        to: Address,
        method: u64,
        params: Vec<u8>,
        value: TokenAmount,
    ) -> ApplyRet {
        let nonce = self.tree.get_actor(self.owner).unwrap().unwrap().nonce;
        let message = Message {
            from: key_address(1),
            to,
            nonce,
            value,
            method,
            params,
            gas_limit: 200_000_000,
            gas_fee_cap: TokenAmount::from_atto(200_000_000),
            gas_premium: TokenAmount::from_atto(1_000),
            ..Message::default()
        };
        let ctx = ApplyContext {
            epoch,
            base_fee: self.params.initial_base_fee,
            block_producer: self.producer,
            params: &self.params,
            gas: &self.gas,
            randomness: &self.randomness,
            circulating_supply: CIRCULATING,
        };
        let ret = apply_message(&mut self.tree, &message, &ctx).unwrap();
        assert_eq!(ret.outcome, Outcome::Applied);
        assert_eq!(
            total_balance(&self.tree),
            self.total,
            "balances not conserved"
        );
        ret
    }

    /// Deadline processing for every epoch in `from..=to`.
    fn run_cron(&mut self, from: u64, to: u64) -> Vec<DeadlineReport> {
        let mut reports = Vec::new();
        for epoch in from..=to {
            reports.extend(end_of_epoch(&mut self.tree, &self.params, epoch, CIRCULATING).unwrap());
            assert_eq!(
                total_balance(&self.tree),
                self.total,
                "balances not conserved"
            );
        }
        reports
    }

    fn miner(&self, id: ActorId) -> MinerState {
        miner::miner_state(&self.tree, id).unwrap().unwrap().1
    }

    fn power(&self) -> StoragePower {
        power_state(&self.tree).unwrap().total_raw_power
    }

    fn env(&self, epoch: u64) -> RewardEnv {
        RewardEnv {
            epoch_reward: RewardSchedule::new(self.params.epoch_duration).block_reward(epoch),
            network_power: self.power(),
            circulating_supply: CIRCULATING,
            epoch_secs: self.params.epoch_duration.secs(),
        }
    }
}

/// A sealed 2 KiB sector on disk.
struct Sealed {
    _dir: tempfile::TempDir,
    sealed: SealedSector,
    replica: PathBuf,
    cache: SectorCache,
}

fn seal_sector(miner: ActorId, number: u64, ticket: [u8; 32]) -> Sealed {
    let dir = tempfile::tempdir().unwrap();
    let unsealed = dir.path().join("unsealed");
    // Fr32-valid data: every 32-byte node below the field modulus.
    let mut data: Vec<u8> = (0..SIZE.bytes()).map(|i| (i * 7 % 251) as u8).collect();
    for node in data.chunks_mut(32) {
        node[31] &= 0x3f;
    }
    std::fs::write(&unsealed, &data).unwrap();
    let replica = dir.path().join("sealed");
    let cache = SectorCache::new(dir.path().join("cache"));
    let inputs = SealInputs {
        proof: RegisteredSealProof::new(SIZE, SealProofVersion::V1_1).unwrap(),
        prover_id: miner::prover_id(miner),
        sector_number: number,
        ticket,
    };
    let sealed = seal(
        &inputs,
        &unsealed,
        &replica,
        &cache,
        &dir.path().join("parents"),
        &mut NoProgress,
    )
    .unwrap();
    Sealed {
        _dir: dir,
        sealed,
        replica,
        cache,
    }
}

fn window_post(net: &Net, miner_id: ActorId, s: &Sealed, open_epoch: u64) -> (u64, Vec<u8>) {
    let state = net.miner(miner_id);
    let info = state.deadline_at(&net.params, open_epoch);
    let randomness = miner::window_post_randomness(&net.randomness, miner_id, &info).unwrap();
    let proof = prove_window(
        RegisteredPoStProof::new(SIZE, PoStProofKind::WindowV1_1).unwrap(),
        &randomness,
        &[PrivateSector {
            sector_number: s.sealed.inputs.sector_number,
            replica: s.replica.clone(),
            tree_r: s.cache.tree_r(),
            comm_c: s.sealed.comm_c,
            comm_r_last: s.sealed.comm_r_last,
        }],
        &[],
    )
    .unwrap();
    let params = SubmitWindowedPoStParams {
        deadline: info.index,
        partitions: vec![PoStPartition {
            index: 0,
            proof: Bytes(proof.encode(true)),
        }],
    };
    (info.index, to_cbor("post", &params).unwrap())
}

#[test]
fn miner_lifecycle_with_real_2kib_proofs() {
    let mut net = Net::new();
    let worker = Address::from_bls_public_key([9; 48]);

    // Create the miner with 100 FLW.
    let create = CreateMinerParams {
        owner: key_address(1),
        worker,
        sector_size: SIZE.bytes(),
        peer_id: Bytes(b"12D3KooW".to_vec()),
    };
    let ret = net.send(
        1,
        Address::Id(STORAGE_POWER_ACTOR_ID),
        METHOD_CREATE_MINER,
        to_cbor("p", &create).unwrap(),
        TokenAmount::from_flw(100),
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    let created: CreateMinerReturn = from_cbor("r", &ret.receipt.return_data, 256).unwrap();
    let Address::Id(id) = created.id_address else {
        panic!("not an ID address")
    };
    assert_eq!(balance(&net.tree, id), TokenAmount::from_flw(100));
    assert_eq!(
        net.tree.lookup_id(&created.robust_address).unwrap(),
        Some(id)
    );

    // Pre-commit sector 0 at epoch 10 with the ticket of epoch 9.
    let ticket = miner::seal_ticket(&net.randomness, id, 9).unwrap();
    let s = seal_sector(id, 0, ticket);
    let pre = PreCommitSectorParams {
        sector_number: 0,
        sealed_cid: sealed_cid(&s.sealed.comm_r),
        unsealed_cid: unsealed_cid(&s.sealed.comm_d),
        seal_rand_epoch: 9,
        expiration: 10 + 500,
    };
    let deposit =
        monies::pre_commit_deposit(&net.env(10), &net.params.miner, SIZE.bytes()).unwrap();
    assert!(!deposit.is_zero());
    let ret = net.send(
        10,
        Address::Id(id),
        METHOD_PRE_COMMIT_SECTOR,
        to_cbor("p", &pre).unwrap(),
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    assert_eq!(net.miner(id).pre_commit_deposits, deposit);
    // The same number again is refused, and changes nothing but gas.
    let before = net.miner(id);
    let ret = net.send(
        11,
        Address::Id(id),
        METHOD_PRE_COMMIT_SECTOR,
        to_cbor("p", &pre).unwrap(),
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_ILLEGAL_ARGUMENT);
    assert!(ret.failure_reason.unwrap().contains("already used"));
    assert_eq!(net.miner(id), before);

    // Prove-commit: the seed of epoch 13 is drawn after the delay of 3.
    let seed = miner::seal_seed(&net.randomness, &net.params, id, 10).unwrap();
    let proof = flowcoin_proofs::sdr::commit::prove_seal(
        &s.sealed,
        &seed,
        &s._dir.path().join("unsealed"),
        &s.replica,
        &s.cache,
    )
    .unwrap()
    .encode();
    let prove = |proof: Vec<u8>| {
        to_cbor(
            "p",
            &ProveCommitSectorParams {
                sector_number: 0,
                proof: Bytes(proof),
            },
        )
        .unwrap()
    };
    let ret = net.send(
        13,
        Address::Id(id),
        METHOD_PROVE_COMMIT_SECTOR,
        prove(proof.clone()),
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_ILLEGAL_ARGUMENT);
    assert!(ret.failure_reason.unwrap().contains("drawn at epoch 13"));
    // A corrupted proof fails verification and leaves the pre-commit in place.
    let mut bad = proof.clone();
    let last = bad.len() - 5;
    bad[last] ^= 1;
    let ret = net.send(
        14,
        Address::Id(id),
        METHOD_PROVE_COMMIT_SECTOR,
        prove(bad),
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_ILLEGAL_ARGUMENT);
    assert!(
        ret.failure_reason
            .unwrap()
            .contains("seal proof of sector 0")
    );
    assert_eq!(net.miner(id).pre_commit_deposits, deposit);
    assert_eq!(net.power(), StoragePower::ZERO);

    let pledge = monies::initial_pledge(&net.env(14), &net.params.miner, SIZE.bytes()).unwrap();
    let ret = net.send(
        14,
        Address::Id(id),
        METHOD_PROVE_COMMIT_SECTOR,
        prove(proof),
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    let state = net.miner(id);
    assert_eq!(state.pre_commit_deposits, TokenAmount::ZERO);
    assert_eq!(state.initial_pledge, pledge);
    assert_eq!(net.power(), StoragePower::from_bytes(SIZE.bytes()));
    let sectors = miner::sectors(&net.tree, &state).unwrap();
    assert_eq!(sectors.len(), 1);
    let provable = miner::provable_sectors(&net.tree, &state).unwrap();
    assert_eq!(provable.len(), 1);
    assert_eq!(provable[0].comm_r, s.sealed.comm_r);
    let dl = sectors[0].deadline;

    // Its first window: prove it; nothing is faulty at the close.
    let first = state.next_deadline(&net.params, dl, 14);
    let mut reports = net.run_cron(15, first.open - 1);
    let (index, post) = window_post(&net, id, &s, first.open);
    assert_eq!(index, dl);
    let ret = net.send(
        first.open,
        Address::Id(id),
        METHOD_SUBMIT_WINDOWED_POST,
        post.clone(),
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    // Twice in one window is refused.
    let ret = net.send(
        first.open + 1,
        Address::Id(id),
        METHOD_SUBMIT_WINDOWED_POST,
        post,
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_ILLEGAL_ARGUMENT);
    reports.extend(net.run_cron(first.open, first.close - 1));
    assert!(
        reports
            .iter()
            .all(|r| r.detected_faults.is_empty() && r.fees.is_zero())
    );
    assert_eq!(net.power(), StoragePower::from_bytes(SIZE.bytes()));

    // The next period's window passes without a proof: faulty, power gone, fault fee burnt.
    let second = net.miner(id).next_deadline(&net.params, dl, first.close);
    assert_eq!(second.open, first.open + net.params.proving_period);
    net.run_cron(first.close, second.close - 2);
    let burnt_before = balance(&net.tree, BURNT_FUNDS_ACTOR_ID);
    let miner_before = balance(&net.tree, id);
    let fee =
        monies::fault_fee(&net.env(second.close - 1), &net.params.miner, SIZE.bytes()).unwrap();
    assert!(!fee.is_zero());
    let reports = net.run_cron(second.close - 1, second.close - 1);
    let report = reports.iter().find(|r| r.miner == id).unwrap();
    assert_eq!(report.detected_faults, [0]);
    assert_eq!(report.fees, fee);
    assert_eq!(net.power(), StoragePower::ZERO);
    assert_eq!(
        balance(&net.tree, id),
        miner_before.checked_sub(fee).unwrap()
    );
    assert_eq!(
        balance(&net.tree, BURNT_FUNDS_ACTOR_ID),
        burnt_before.checked_add(fee).unwrap()
    );
    let faulty = miner::sectors(&net.tree, &net.miner(id)).unwrap();
    assert_eq!(faulty[0].faulty_since, Some(second.close - 1));
    assert!(
        miner::provable_sectors(&net.tree, &net.miner(id))
            .unwrap()
            .is_empty()
    );

    // Declare the recovery before the cutoff, then prove it in the next window.
    let third = net.miner(id).next_deadline(&net.params, dl, second.close);
    let recover = to_cbor("p", &DeclareFaultsParams { sectors: vec![0] }).unwrap();
    // Too late: at the cutoff.
    let ret = net.send(
        third.fault_cutoff,
        Address::Id(id),
        METHOD_DECLARE_FAULTS_RECOVERED,
        recover.clone(),
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_ILLEGAL_ARGUMENT);
    let ret = net.send(
        third.fault_cutoff - 1,
        Address::Id(id),
        METHOD_DECLARE_FAULTS_RECOVERED,
        recover,
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    assert_eq!(net.power(), StoragePower::ZERO);
    net.run_cron(second.close, third.open - 1);
    let (_, post) = window_post(&net, id, &s, third.open);
    let ret = net.send(
        third.open,
        Address::Id(id),
        METHOD_SUBMIT_WINDOWED_POST,
        post,
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    assert_eq!(net.power(), StoragePower::from_bytes(SIZE.bytes()));
    let reports = net.run_cron(third.open, third.close - 1);
    assert!(
        reports
            .iter()
            .all(|r| r.detected_faults.is_empty() && r.fees.is_zero())
    );
    assert_eq!(
        miner::sectors(&net.tree, &net.miner(id)).unwrap()[0].faulty_since,
        None
    );

    // Terminate: the fee is burnt, the rest of the pledge unlocked, the power gone.
    let epoch = third.close;
    let age = epoch - 14;
    let fee = monies::termination_fee(
        &net.env(epoch),
        &net.params.miner,
        SIZE.bytes(),
        pledge,
        age,
    )
    .unwrap();
    assert!(!fee.is_zero() && fee < pledge);
    let miner_before = balance(&net.tree, id);
    let terminate = to_cbor("p", &TerminateSectorsParams { sectors: vec![0] }).unwrap();
    let ret = net.send(
        epoch,
        Address::Id(id),
        METHOD_TERMINATE_SECTORS,
        terminate.clone(),
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    assert_eq!(
        balance(&net.tree, id),
        miner_before.checked_sub(fee).unwrap()
    );
    let state = net.miner(id);
    assert_eq!(state.initial_pledge, TokenAmount::ZERO);
    assert_eq!(state.fee_debt, TokenAmount::ZERO);
    assert!(miner::sectors(&net.tree, &state).unwrap().is_empty());
    assert_eq!(net.power(), StoragePower::ZERO);
    // Terminating it again is refused.
    let ret = net.send(
        epoch + 1,
        Address::Id(id),
        METHOD_TERMINATE_SECTORS,
        terminate,
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_ILLEGAL_ARGUMENT);

    // Everything left is available: the owner withdraws it all, not a token more.
    let available = balance(&net.tree, id);
    let too_much = WithdrawBalanceParams {
        amount: available.checked_add(TokenAmount::from_atto(1)).unwrap(),
    };
    let ret = net.send(
        epoch + 2,
        Address::Id(id),
        METHOD_WITHDRAW_BALANCE,
        to_cbor("p", &too_much).unwrap(),
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_INSUFFICIENT_FUNDS);
    let owner_before = balance(&net.tree, net.owner);
    let ret = net.send(
        epoch + 3,
        Address::Id(id),
        METHOD_WITHDRAW_BALANCE,
        to_cbor("p", &WithdrawBalanceParams { amount: available }).unwrap(),
        TokenAmount::ZERO,
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    assert_eq!(balance(&net.tree, id), TokenAmount::ZERO);
    let gas = ret.gas.sender_cost().unwrap();
    assert_eq!(
        balance(&net.tree, net.owner),
        owner_before
            .checked_add(available)
            .unwrap()
            .checked_sub(gas)
            .unwrap()
    );
    // The state still flushes and reloads.
    let root = net.tree.flush().unwrap();
    let reloaded = StateTree::load(net.tree.into_store(), &root).unwrap();
    assert!(miner::miner_state(&reloaded, id).unwrap().is_some());
}

/// A genesis miner (sectors active without proofs) that never proves: every sector goes
/// faulty at its deadline's first close and pays the fault fee each period; with no balance
/// the fees become fee debt, which blocks pre-commits; the sector that expires first leaves
/// without a fee; the others are terminated after `fault_max_age`; a pre-commit never proven
/// loses its deposit.
#[test]
fn deadline_processing_faults_expires_terminates_and_burns_stale_deposits() {
    let mut net = Net::new();
    let genesis = miner::GenesisMiner {
        owner: key_address(1),
        worker: Address::from_bls_public_key([9; 48]),
        sector_size: SIZE,
        peer_id: Vec::new(),
        seed: b"genesis miner".to_vec(),
        sectors: (0..3)
            .map(|n| miner::GenesisSector {
                sector_number: n,
                comm_r: [n as u8 + 1; 32],
                comm_d: [7; 32],
                // Sector 0 expires early; the others outlive the fault age.
                expiration: if n == 0 { 100 } else { 5_000 },
            })
            .collect(),
    };
    let id = miner::create_genesis_miner(&mut net.tree, &net.params, &genesis).unwrap();
    assert_eq!(net.power(), StoragePower::from_bytes(3 * SIZE.bytes()));
    assert_eq!(
        net.tree.get_actor(id).unwrap().unwrap().code,
        flowcoin_state::actor::ActorCode::Miner
    );

    // One full proving period without proofs: everything is faulty, fees became debt.
    let reports = net.run_cron(1, net.params.proving_period);
    let mine: Vec<_> = reports.iter().filter(|r| r.miner == id).collect();
    let detected: Vec<u64> = mine
        .iter()
        .flat_map(|r| r.detected_faults.clone())
        .collect();
    assert_eq!(detected.len(), 3);
    assert_eq!(net.power(), StoragePower::ZERO);
    let state = net.miner(id);
    assert!(!state.fee_debt.is_zero());
    assert_eq!(balance(&net.tree, id), TokenAmount::ZERO);

    // Fee debt blocks pre-commits until paid.
    let pre = PreCommitSectorParams {
        sector_number: 10,
        sealed_cid: sealed_cid(&[5; 32]),
        unsealed_cid: unsealed_cid(&[6; 32]),
        seal_rand_epoch: 70,
        expiration: 71 + 500,
    };
    let ret = net.send(
        71,
        Address::Id(id),
        METHOD_PRE_COMMIT_SECTOR,
        to_cbor("p", &pre).unwrap(),
        TokenAmount::ZERO,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::ERR_INSUFFICIENT_FUNDS);
    assert!(ret.failure_reason.unwrap().contains("owes"));
    // Sending enough with the message repays the debt and pays the deposit.
    let debt = net.miner(id).fee_debt;
    let ret = net.send(
        72,
        Address::Id(id),
        METHOD_PRE_COMMIT_SECTOR,
        to_cbor("p", &pre).unwrap(),
        TokenAmount::from_flw(50),
    );
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
    let state = net.miner(id);
    assert_eq!(state.fee_debt, TokenAmount::ZERO);
    let deposit = state.pre_commit_deposits;
    assert!(!deposit.is_zero());
    assert_eq!(
        balance(&net.tree, id),
        TokenAmount::from_flw(50).checked_sub(debt).unwrap()
    );

    // Run past the fault age: sector 0 expired (no fee), 1 and 2 terminated; the pre-commit
    // was never proven and its deposit burnt.
    let end = net.params.fault_max_age + 2 * net.params.proving_period;
    let reports = net.run_cron(net.params.proving_period + 1, end);
    let mine: Vec<_> = reports.iter().filter(|r| r.miner == id).collect();
    let expired: Vec<u64> = mine.iter().flat_map(|r| r.expired.clone()).collect();
    let terminated: Vec<u64> = mine.iter().flat_map(|r| r.terminated.clone()).collect();
    let stale: Vec<u64> = mine
        .iter()
        .flat_map(|r| r.expired_pre_commits.clone())
        .collect();
    assert_eq!(expired, [0]);
    let mut terminated = terminated;
    terminated.sort();
    assert_eq!(terminated, [1, 2]);
    assert_eq!(stale, [10]);
    let burnt: TokenAmount = mine
        .iter()
        .map(|r| r.deposits_burnt)
        .fold(TokenAmount::ZERO, |a, b| a.checked_add(b).unwrap());
    assert_eq!(burnt, deposit);
    let state = net.miner(id);
    assert!(miner::sectors(&net.tree, &state).unwrap().is_empty());
    assert!(miner::pre_commits(&net.tree, &state).unwrap().is_empty());
    assert_eq!(state.pre_commit_deposits, TokenAmount::ZERO);
}
