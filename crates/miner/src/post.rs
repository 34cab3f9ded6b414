//! Proving space-time from the sector store: a Window PoSt partition (skipping sectors the
//! fault detector finds unprovable, which the chain then marks faulty). The Winning PoSt is
//! `producer::prove_task`.

use flowcoin_proofs::hasher::Node;
use flowcoin_proofs::sdr::params::{PoStProofKind, RegisteredPoStProof};
use flowcoin_proofs::sdr::post::{PrivateSector, PublicSector, prove_window, verify_window};
use flowcoin_state::actor::ActorId;
use flowcoin_types::SectorSize;

use crate::sectors::{SectorError, SectorFault, SectorStore};

/// A partition's proof and the sectors it had to skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionProof {
    /// The encoded Window PoSt (`PostProof::encode(_, true)`).
    pub proof: Vec<u8>,
    /// Sectors left out, with why.
    pub skipped: Vec<SectorFault>,
}

fn post_type(size: SectorSize, kind: PoStProofKind) -> Result<RegisteredPoStProof, SectorError> {
    RegisteredPoStProof::new(size, kind).map_err(|e| SectorError::Proofs(e.to_string()))
}

/// Proves one Window PoSt partition of `miner`: `partition` lists its sectors in order with
/// their on-chain CommR; sectors in `declared_faulty`, any the fault detector rejects, and any
/// whose openings do not verify (a damaged replica) are skipped.
pub fn prove_partition(
    store: &SectorStore,
    miner: ActorId,
    size: SectorSize,
    randomness: &Node,
    partition: &[PublicSector],
    declared_faulty: &[u64],
) -> Result<PartitionProof, SectorError> {
    let mut sectors = Vec::with_capacity(partition.len());
    let mut skip: Vec<u64> = declared_faulty.to_vec();
    let mut skipped = Vec::new();
    for sector in partition {
        let number = sector.sector_number;
        if declared_faulty.contains(&number) {
            sectors.push(placeholder(number));
            continue;
        }
        let loaded = store.check(miner, number, &sector.comm_r).and_then(|()| {
            store
                .private_sector(miner, number)
                .map_err(|_| SectorFault::NoMeta(number))
        });
        match loaded {
            Ok(private) => sectors.push(private),
            Err(fault) => {
                // Skipped sectors keep their slot; the prover never opens them.
                sectors.push(placeholder(number));
                skip.push(number);
                skipped.push(fault);
            }
        }
    }
    let proof_type = post_type(size, PoStProofKind::WindowV1_1)?;
    let prove = |skip: &[u64]| {
        prove_window(proof_type, randomness, &sectors, skip)
            .map_err(|e| SectorError::Proofs(e.to_string()))
    };
    let mut proof = prove(&skip)?;
    // The proof is checked before it is sent: a replica whose bytes were damaged (same size,
    // so the fault detector passed it) gives openings that do not verify. Each sector is then
    // checked alone, and the damaged ones are skipped like missing ones.
    if verify_window(proof_type, randomness, partition, &proof).is_err() {
        for (public, private) in partition.iter().zip(&sectors) {
            if skip.contains(&public.sector_number) {
                continue;
            }
            let alone = prove_window(proof_type, randomness, std::slice::from_ref(private), &[]);
            let good = alone.is_ok_and(|p| {
                verify_window(proof_type, randomness, std::slice::from_ref(public), &p).is_ok()
            });
            if !good {
                skip.push(public.sector_number);
                skipped.push(SectorFault::Corrupt(public.sector_number));
            }
        }
        proof = prove(&skip)?;
    }
    Ok(PartitionProof {
        proof: proof.encode(true),
        skipped,
    })
}

/// A sector the prover will not open (skipped, or not the one challenged).
fn placeholder(sector_number: u64) -> PrivateSector {
    PrivateSector {
        sector_number,
        replica: Default::default(),
        tree_r: Default::default(),
        comm_c: [0; 32],
        comm_r_last: [0; 32],
    }
}
