//! The Window PoSt scheduler against the real miner actor with real 2 KiB sectors: it proves
//! each deadline in its window, declares a sector whose replica disappeared faulty before the
//! cutoff (power drops), declares it recovered once the file is back, and the next proof
//! restores the power.

mod common;

use common::{MINER, Tree, miner_tree, send};
use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_miner::scheduler::{Action, PostScheduler};
use flowcoin_miner::sectors::SectorStore;
use flowcoin_state::actor::miner::{
    self, GenesisSector, METHOD_DECLARE_FAULTS, METHOD_DECLARE_FAULTS_RECOVERED,
    METHOD_SUBMIT_WINDOWED_POST,
};
use flowcoin_state::actor::power::power_state;
use flowcoin_types::message::to_cbor;
use flowcoin_types::{NetworkParams, SectorSize, StoragePower, TokenAmount};

const SIZE: SectorSize = SectorSize::Size2KiB;

struct Chain {
    tree: Tree,
    params: NetworkParams,
    randomness: FixedRandomness,
}

impl Chain {
    fn power(&self) -> StoragePower {
        power_state(&self.tree).unwrap().total_raw_power
    }

    fn act(&mut self, epoch: u64, actions: Vec<Action>) {
        for action in actions {
            let (method, params) = match action {
                Action::SubmitPost(p) => (METHOD_SUBMIT_WINDOWED_POST, to_cbor("p", &p).unwrap()),
                Action::DeclareFaults(p, _) => (METHOD_DECLARE_FAULTS, to_cbor("p", &p).unwrap()),
                Action::DeclareRecoveries(p) => {
                    (METHOD_DECLARE_FAULTS_RECOVERED, to_cbor("p", &p).unwrap())
                }
            };
            send(
                &mut self.tree,
                &self.params,
                &self.randomness,
                epoch,
                method,
                params,
                TokenAmount::ZERO,
            );
        }
    }
}

#[test]
fn the_scheduler_proves_declares_faults_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let store = SectorStore::new(dir.path().join("sectors"), dir.path().join("parents"));
    let metas: Vec<_> = (0..2)
        .map(|n| store.seal_cc(MINER, n, SIZE, [n as u8 + 1; 32]).unwrap())
        .collect();

    let params = NetworkParams::devnet();
    let tree = miner_tree(
        &params,
        TokenAmount::from_flw(100),
        metas
            .iter()
            .map(|m| GenesisSector {
                sector_number: m.sector_number,
                comm_r: m.comm_r().unwrap(),
                comm_d: m.comm_d().unwrap(),
                expiration: 10_000,
            })
            .collect(),
    );
    let mut chain = Chain {
        tree,
        params: params.clone(),
        randomness: FixedRandomness::new(b"scheduler".to_vec()),
    };
    assert_eq!(chain.power(), StoragePower::from_bytes(2 * SIZE.bytes()));
    let mut scheduler = PostScheduler::new(MINER, store.clone());
    let state = miner::miner_state(&chain.tree, MINER).unwrap().unwrap().1;
    let sectors = miner::sectors(&chain.tree, &state).unwrap();
    let d1 = sectors[1].deadline;

    // Every epoch of one proving period: each deadline with sectors is proven in its window,
    // so deadline processing finds nothing missed.
    let period = params.proving_period;
    let mut posts = 0;
    for epoch in 1..=period {
        let actions = scheduler
            .on_epoch(&chain.tree, &params, epoch, &chain.randomness)
            .unwrap();
        posts += actions
            .iter()
            .filter(|a| matches!(a, Action::SubmitPost(_)))
            .count();
        chain.act(epoch, actions);
        let reports = miner::cron::end_of_epoch(
            &mut chain.tree,
            &params,
            epoch,
            TokenAmount::from_flw(1_000_000),
        )
        .unwrap();
        assert!(
            reports.iter().all(|r| r.detected_faults.is_empty()),
            "epoch {epoch}"
        );
    }
    assert_eq!(posts, 2, "one proof per deadline holding a sector");
    assert_eq!(chain.power(), StoragePower::from_bytes(2 * SIZE.bytes()));

    // Sector 1's replica disappears: declared faulty before its deadline's cutoff.
    let replica = store.sector_dir(MINER, 1).join("sealed");
    let backup = dir.path().join("sealed.bak");
    std::fs::rename(&replica, &backup).unwrap();
    let state = miner::miner_state(&chain.tree, MINER).unwrap().unwrap().1;
    let next = state.next_deadline(&params, d1, period);
    let before = next.open - params.challenge_window();
    let actions = scheduler
        .on_epoch(&chain.tree, &params, before, &chain.randomness)
        .unwrap();
    let declared: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::DeclareFaults(p, reasons) => Some((p.sectors.clone(), reasons.len())),
            _ => None,
        })
        .collect();
    assert_eq!(declared, [(vec![1], 1)]);
    chain.act(before, actions);
    assert_eq!(chain.power(), StoragePower::from_bytes(SIZE.bytes()));
    // Not declared again right away.
    let again = scheduler
        .on_epoch(&chain.tree, &params, before + 1, &chain.randomness)
        .unwrap();
    assert!(!again.iter().any(|a| matches!(a, Action::DeclareFaults(..))));

    // The file is back: a recovery is declared for the following period's window, and the
    // proof in that window restores the power.
    std::fs::rename(&backup, &replica).unwrap();
    let later = state.next_deadline(&params, d1, next.close);
    let before = later.open - params.challenge_window();
    let actions = scheduler
        .on_epoch(&chain.tree, &params, before, &chain.randomness)
        .unwrap();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::DeclareRecoveries(p) if p.sectors == [1]))
    );
    chain.act(before, actions);
    let actions = scheduler
        .on_epoch(&chain.tree, &params, later.open, &chain.randomness)
        .unwrap();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::SubmitPost(p) if p.deadline == d1))
    );
    chain.act(later.open, actions);
    assert_eq!(chain.power(), StoragePower::from_bytes(2 * SIZE.bytes()));
}
