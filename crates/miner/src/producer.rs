//! The block producer: `flowcoin_consensus::produce` runs the election and assembles the
//! block under the same rules validation checks; this module supplies what only the miner
//! has, the Winning PoSt proven from its sector store.

use flowcoin_consensus::produce::{
    BlockInputs, ProduceError, WinningPostTask, produce_block as produce,
};
use flowcoin_consensus::validate::ContextError;
use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::sdr::post::prove_winning;
use flowcoin_types::SignedMessage;
use flowcoin_types::block::BlockHeader;

use crate::sectors::SectorStore;

/// Proves the Winning PoSt `task` names from the sector store of `miner`: only the
/// challenged sector is read (its challenges depend on the randomness and its number alone).
pub fn prove_task(
    store: &SectorStore,
    miner: flowcoin_state::actor::ActorId,
    task: &WinningPostTask,
) -> Result<Vec<u8>, ContextError> {
    let number = task.sector.sector_number;
    let fail =
        |e: String| -> ContextError { format!("winning PoSt of sector {number}: {e}").into() };
    let sector = store
        .private_sector(miner, task.sector.sector_number)
        .map_err(|e| fail(e.to_string()))?;
    let proof = prove_winning(
        task.proof_type,
        &task.prover_id,
        &task.randomness,
        &[sector],
    )
    .map_err(|e| fail(e.to_string()))?;
    Ok(proof.encode(false))
}

/// Produces `inputs.miner`'s block with `messages`, proving from `store`: `None` when it does
/// not win.
pub fn produce_block<S: Blockstore>(
    inputs: &BlockInputs<'_, S>,
    store: &SectorStore,
    messages: Vec<SignedMessage>,
) -> Result<Option<(BlockHeader, Vec<SignedMessage>)>, ProduceError> {
    produce(inputs, messages, |task| {
        prove_task(store, inputs.miner, task)
    })
}
