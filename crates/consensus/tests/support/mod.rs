//! What the integration tests share: sealing real 2 KiB sectors for a miner.

use std::path::{Path, PathBuf};

use flowcoin_proofs::sdr::params::{RegisteredSealProof, SealProofVersion};
use flowcoin_proofs::sdr::post::PrivateSector;
use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SealedSector, SectorCache, seal};
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner;
use flowcoin_types::SectorSize;

/// The sector size every test seals.
pub const SIZE: SectorSize = SectorSize::Size2KiB;

/// Seals sector `number` of miner `miner` under `dir` with data depending on `number`.
pub fn seal_sector(dir: &Path, miner: ActorId, number: u64) -> (SealedSector, PrivateSector) {
    let sub = dir.join(format!("miner-{miner}-sector-{number}"));
    std::fs::create_dir_all(&sub).unwrap();
    let unsealed = sub.join("unsealed");
    // Fr32-valid data: every 32-byte node below the field modulus.
    let mut data: Vec<u8> = (0..SIZE.bytes())
        .map(|i| ((i * 7 + number * 13) % 251) as u8)
        .collect();
    for node in data.chunks_mut(32) {
        node[31] &= 0x3f;
    }
    std::fs::write(&unsealed, &data).unwrap();
    let inputs = SealInputs {
        proof: RegisteredSealProof::new(SIZE, SealProofVersion::V1_1).unwrap(),
        prover_id: miner::prover_id(miner),
        sector_number: number,
        ticket: [number as u8 + 1; 32],
    };
    let cache = SectorCache::new(sub.join("cache"));
    let replica: PathBuf = sub.join("sealed");
    let sealed = seal(
        &inputs,
        &unsealed,
        &replica,
        &cache,
        &dir.join("parents"),
        &mut NoProgress,
    )
    .unwrap();
    let private = PrivateSector {
        sector_number: number,
        replica,
        tree_r: cache.tree_r(),
        comm_c: sealed.comm_c,
        comm_r_last: sealed.comm_r_last,
    };
    (sealed, private)
}
