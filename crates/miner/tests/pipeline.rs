//! The sealing pipeline against the real miner actor: pledge seals a 2 KiB committed-capacity
//! sector, the pipeline pre-commits it (paying the deposit the miner lacks), waits for the
//! seed, proves the seal and prove-commits it (paying the pledge); the sector gains power.
//! A new pipeline over the same disk and state (a restart) sees the same stages.

mod common;

use common::{CIRCULATING, MINER, miner_tree, send};
use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_miner::pipeline::{Pipeline, PipelineAction, SectorStage};
use flowcoin_miner::sectors::SectorStore;
use flowcoin_state::actor::miner::{METHOD_PRE_COMMIT_SECTOR, METHOD_PROVE_COMMIT_SECTOR};
use flowcoin_state::actor::power::power_state;
use flowcoin_types::message::to_cbor;
use flowcoin_types::{NetworkParams, StoragePower, TokenAmount};

fn apply(
    tree: &mut common::Tree,
    params: &NetworkParams,
    r: &FixedRandomness,
    epoch: u64,
    action: PipelineAction,
) {
    let (method, bytes, value) = match action {
        PipelineAction::PreCommit(p, v) => (METHOD_PRE_COMMIT_SECTOR, to_cbor("p", &p).unwrap(), v),
        PipelineAction::ProveCommit(p, v) => {
            (METHOD_PROVE_COMMIT_SECTOR, to_cbor("p", &p).unwrap(), v)
        }
    };
    send(tree, params, r, epoch, method, bytes, value);
}

#[test]
fn pledge_seals_pre_commits_waits_and_proves_a_sector() {
    let dir = tempfile::tempdir().unwrap();
    let store = SectorStore::new(dir.path().join("sectors"), dir.path().join("parents"));
    let params = NetworkParams::devnet();
    let randomness = FixedRandomness::new(b"pipeline".to_vec());
    let mut tree = miner_tree(&params, TokenAmount::from_flw(1_000), Vec::new());

    let mut pipeline = Pipeline::new(MINER, store.clone());
    let number = pipeline.pledge(&tree, 10, &randomness).unwrap();
    assert_eq!(number, 0);
    assert_eq!(
        pipeline.stages(&tree, &params, 10).unwrap(),
        [(0, SectorStage::Sealed)]
    );

    // Pre-commit: the miner has nothing, so the message carries the deposit.
    let actions = pipeline
        .on_epoch(&tree, &params, 10, CIRCULATING, &randomness)
        .unwrap();
    let [PipelineAction::PreCommit(pre, value)] = actions.as_slice() else {
        panic!("expected one pre-commit, got {actions:?}")
    };
    assert_eq!(pre.seal_rand_epoch, 9);
    assert!(!value.is_zero());
    apply(&mut tree, &params, &randomness, 10, actions[0].clone());
    // Not sent twice, then waiting for the seed (drawn at 10 + 3).
    assert!(
        pipeline
            .on_epoch(&tree, &params, 11, CIRCULATING, &randomness)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        pipeline.stages(&tree, &params, 12).unwrap(),
        [(0, SectorStage::WaitSeed(13))]
    );

    // After the seed: the seal proof is made for the chain's seed and prove-committed.
    let actions = pipeline
        .on_epoch(&tree, &params, 14, CIRCULATING, &randomness)
        .unwrap();
    assert!(
        matches!(actions.as_slice(), [PipelineAction::ProveCommit(p, _)] if p.sector_number == 0)
    );
    apply(&mut tree, &params, &randomness, 14, actions[0].clone());
    assert_eq!(
        power_state(&tree).unwrap().total_raw_power,
        StoragePower::from_bytes(2048)
    );

    // A restarted pipeline sees the sector proving and does nothing.
    let mut restarted = Pipeline::new(MINER, store);
    assert_eq!(
        restarted.stages(&tree, &params, 20).unwrap(),
        [(0, SectorStage::Proving)]
    );
    assert!(
        restarted
            .on_epoch(&tree, &params, 20, CIRCULATING, &randomness)
            .unwrap()
            .is_empty()
    );

    // A second pledge takes the next number; a ticket left too long goes stale.
    let next = restarted.pledge(&tree, 30, &randomness).unwrap();
    assert_eq!(next, 1);
    let late = 30 + params.miner.max_seal_ticket_age + 1;
    assert_eq!(
        restarted.stages(&tree, &params, late).unwrap()[1],
        (1, SectorStage::Stale)
    );
    assert!(
        restarted
            .on_epoch(&tree, &params, late, CIRCULATING, &randomness)
            .unwrap()
            .is_empty()
    );
}
