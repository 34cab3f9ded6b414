//! Proof-of-Spacetime: Winning PoSt (one sector drawn from the sector set, 66 leaves) and
//! Window PoSt (every sector of a partition, 10 leaves each, faulty sectors skipped and
//! listed) — challenge derivation as in rust-fil-proofs (filecoin-spec §3.1–3.3), vanilla
//! proofs and their verification.
//!
//! A PoSt opening is a replica node with its TreeR path under CommRLast; each proven sector
//! also carries CommC and CommRLast, which must hash to the sector's on-chain CommR.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::params::{ApiVersion, RegisteredPoStProof, SdrParams};
use super::proof::{DecodeError, KIND_WINDOW_POST, KIND_WINNING_POST, Opening, Reader, Writer};
use super::seal::SealError;
use super::tree_file::{Levels, PoseidonTree, TreeFile, path_index, root_from_path};
use crate::hasher::{NODE_SIZE, Node};
use crate::poseidon::comm_r;

/// Most sectors or openings a PoSt proof may carry.
const MAX_ITEMS: usize = 4096;

/// Index into `sector_set` of the sector a Winning PoSt proves:
/// u64_LE(SHA-256(prover_id ‖ randomness ‖ u64_LE(0))[0..8]) mod |set|.
pub fn winning_sector_index(prover_id: &Node, randomness: &Node, set_len: usize) -> Option<usize> {
    let digest = Sha256::new()
        .chain_update(prover_id)
        .chain_update(randomness)
        .chain_update(0u64.to_le_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8)?);
    let idx = u64::from_le_bytes(first).checked_rem(set_len as u64)?;
    usize::try_from(idx).ok()
}

/// The leaves challenged in one sector: leaf n = u64_LE(SHA-256(randomness ‖ u64_LE(sector) ‖
/// u64_LE(idx))[0..8]) mod nodes, with idx = n under API 1.2.0 and
/// idx = sector_index · count + n before.
pub fn leaf_challenges(
    randomness: &Node,
    sector_number: u64,
    sector_index: u64,
    count: u32,
    nodes: u64,
    api: ApiVersion,
) -> Vec<u64> {
    (0..u64::from(count))
        .filter_map(|n| {
            let idx = if api == ApiVersion::V1_2_0 {
                Some(n)
            } else {
                sector_index.checked_mul(u64::from(count))?.checked_add(n)
            }?;
            let digest = Sha256::new()
                .chain_update(randomness)
                .chain_update(sector_number.to_le_bytes())
                .chain_update(idx.to_le_bytes())
                .finalize();
            let mut first = [0u8; 8];
            first.copy_from_slice(digest.get(..8)?);
            u64::from_le_bytes(first).checked_rem(nodes)
        })
        .collect()
}

/// What a prover needs of one of its sealed sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateSector {
    /// The sector number.
    pub sector_number: u64,
    /// The sealed replica file.
    pub replica: PathBuf,
    /// Its TreeR file.
    pub tree_r: PathBuf,
    /// CommC.
    pub comm_c: Node,
    /// CommRLast.
    pub comm_r_last: Node,
}

/// A sector's public PoSt inputs: its number and CommR on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicSector {
    /// The sector number.
    pub sector_number: u64,
    /// Its CommR.
    pub comm_r: Node,
}

/// The openings proving one sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorPostProof {
    /// The sector.
    pub sector_number: u64,
    /// CommC.
    pub comm_c: Node,
    /// CommRLast.
    pub comm_r_last: Node,
    /// One TreeR opening per challenged leaf, in challenge order.
    pub openings: Vec<Opening>,
}

/// A vanilla PoSt proof (Winning: one sector, nothing skipped; Window: one partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostProof {
    /// Proven sectors, in partition order (faulty ones left out).
    pub sectors: Vec<SectorPostProof>,
    /// Sectors of the partition declared faulty and not proven.
    pub skipped: Vec<u64>,
}

/// Why a PoSt proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PostVerifyError {
    /// The proof proves other sectors than the challenge selects.
    #[error("the proof covers sectors {got:?}, but the challenge selects {expected:?}")]
    Sectors {
        /// Proven and skipped sector numbers in the proof.
        got: Vec<u64>,
        /// What the verifier expected.
        expected: Vec<u64>,
    },
    /// CommC and CommRLast do not hash to the sector's CommR.
    #[error("sector {0}: CommC and CommRLast do not hash to its CommR")]
    CommR(u64),
    /// Wrong number of openings.
    #[error("sector {sector}: {got} openings, {expected} challenges")]
    Count {
        /// The sector.
        sector: u64,
        /// Openings in the proof.
        got: usize,
        /// Challenges drawn.
        expected: usize,
    },
    /// An opening is for another leaf or does not lead to CommRLast.
    #[error("sector {sector}: the opening of leaf {leaf} does not verify")]
    Opening {
        /// The sector.
        sector: u64,
        /// The challenged leaf.
        leaf: u64,
    },
    /// Parameters failed for the proof type.
    #[error("{0}")]
    Params(String),
}

/// Proves one sector: opens each challenged leaf of its replica in TreeR.
pub fn prove_sector(
    sector: &PrivateSector,
    challenges: &[u64],
    levels: &Levels,
) -> Result<SectorPostProof, SealError> {
    let tree = TreeFile::open(&sector.tree_r, levels)?;
    let replica = std::fs::File::open(&sector.replica).map_err(|e| io_err(&sector.replica, e))?;
    let mut openings = Vec::with_capacity(challenges.len());
    for &leaf in challenges {
        let mut node = [0u8; NODE_SIZE];
        std::os::unix::fs::FileExt::read_exact_at(
            &replica,
            &mut node,
            leaf.saturating_mul(NODE_SIZE as u64),
        )
        .map_err(|e| io_err(&sector.replica, e))?;
        openings.push(Opening {
            index: leaf,
            node,
            path: tree.path(&sector.replica, leaf)?,
        });
    }
    Ok(SectorPostProof {
        sector_number: sector.sector_number,
        comm_c: sector.comm_c,
        comm_r_last: sector.comm_r_last,
        openings,
    })
}

fn io_err(path: &Path, source: std::io::Error) -> SealError {
    SealError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn params(proof: RegisteredPoStProof) -> Result<SdrParams, PostVerifyError> {
    SdrParams::for_sector(proof.sector_size()).map_err(|e| PostVerifyError::Params(e.to_string()))
}

/// Proves a Winning PoSt: draws the sector from `sectors` (the miner's provable sector set, in
/// chain order) and opens its 66 challenged leaves.
pub fn prove_winning(
    proof: RegisteredPoStProof,
    prover_id: &Node,
    randomness: &Node,
    sectors: &[PrivateSector],
) -> Result<PostProof, SealError> {
    let p = SdrParams::for_sector(proof.sector_size())?;
    let index = winning_sector_index(prover_id, randomness, sectors.len()).ok_or_else(|| {
        io_err(
            Path::new("sector set"),
            std::io::Error::other("the sector set is empty"),
        )
    })?;
    let sector = sectors.get(index).ok_or_else(|| {
        io_err(
            Path::new("sector set"),
            std::io::Error::other("index out of range"),
        )
    })?;
    let challenges = leaf_challenges(
        randomness,
        sector.sector_number,
        0,
        p.winning_post_challenge_count,
        p.nodes,
        proof.api_version(),
    );
    Ok(PostProof {
        sectors: vec![prove_sector(sector, &challenges, &p.tree_r_levels()?)?],
        skipped: Vec::new(),
    })
}

/// Verifies a Winning PoSt against the sector set it was drawn from.
pub fn verify_winning(
    proof_type: RegisteredPoStProof,
    prover_id: &Node,
    randomness: &Node,
    sector_set: &[PublicSector],
    proof: &PostProof,
) -> Result<(), PostVerifyError> {
    let p = params(proof_type)?;
    let chosen = winning_sector_index(prover_id, randomness, sector_set.len())
        .and_then(|i| sector_set.get(i))
        .ok_or_else(|| PostVerifyError::Params("the sector set is empty".into()))?;
    let got: Vec<u64> = proof
        .sectors
        .iter()
        .map(|s| s.sector_number)
        .chain(proof.skipped.iter().copied())
        .collect();
    if got != [chosen.sector_number] || !proof.skipped.is_empty() {
        return Err(PostVerifyError::Sectors {
            got,
            expected: vec![chosen.sector_number],
        });
    }
    let challenges = leaf_challenges(
        randomness,
        chosen.sector_number,
        0,
        p.winning_post_challenge_count,
        p.nodes,
        proof_type.api_version(),
    );
    proof.sectors.first().map_or(
        Err(PostVerifyError::Sectors {
            got: Vec::new(),
            expected: vec![chosen.sector_number],
        }),
        |s| verify_sector_openings(s, chosen, &challenges, &tree_r_levels(&p)?),
    )
}

/// Proves a Window PoSt partition: every sector not in `faulty`, 10 leaves each.
pub fn prove_window(
    proof: RegisteredPoStProof,
    randomness: &Node,
    partition: &[PrivateSector],
    faulty: &[u64],
) -> Result<PostProof, SealError> {
    let p = SdrParams::for_sector(proof.sector_size())?;
    let levels = p.tree_r_levels()?;
    let mut sectors = Vec::new();
    let mut skipped = Vec::new();
    for (i, sector) in partition.iter().enumerate() {
        if faulty.contains(&sector.sector_number) {
            skipped.push(sector.sector_number);
            continue;
        }
        let challenges = leaf_challenges(
            randomness,
            sector.sector_number,
            i as u64,
            p.window_post_challenge_count,
            p.nodes,
            proof.api_version(),
        );
        sectors.push(prove_sector(sector, &challenges, &levels)?);
    }
    Ok(PostProof { sectors, skipped })
}

/// Verifies a Window PoSt partition: every sector is proven or listed as skipped, in
/// partition order, and each proven sector's openings verify.
pub fn verify_window(
    proof_type: RegisteredPoStProof,
    randomness: &Node,
    partition: &[PublicSector],
    proof: &PostProof,
) -> Result<(), PostVerifyError> {
    let p = params(proof_type)?;
    let mut proven = proof.sectors.iter();
    let mut skipped = proof.skipped.iter();
    let expected: Vec<u64> = partition.iter().map(|s| s.sector_number).collect();
    let got = || {
        proof
            .sectors
            .iter()
            .map(|s| s.sector_number)
            .chain(proof.skipped.iter().copied())
            .collect::<Vec<_>>()
    };
    let mismatch = || PostVerifyError::Sectors {
        got: got(),
        expected: expected.clone(),
    };
    if proof.sectors.len().saturating_add(proof.skipped.len()) != partition.len() {
        return Err(mismatch());
    }
    let mut next_proven = proven.next();
    let mut next_skipped = skipped.next();
    for (i, public) in partition.iter().enumerate() {
        if next_proven.is_some_and(|s| s.sector_number == public.sector_number) {
            let challenges = leaf_challenges(
                randomness,
                public.sector_number,
                i as u64,
                p.window_post_challenge_count,
                p.nodes,
                proof_type.api_version(),
            );
            if let Some(s) = next_proven {
                verify_sector_openings(s, public, &challenges, &tree_r_levels(&p)?)?;
            }
            next_proven = proven.next();
        } else if next_skipped == Some(&public.sector_number) {
            next_skipped = skipped.next();
        } else {
            return Err(mismatch());
        }
    }
    Ok(())
}

/// Verifies one sector's openings against the given leaf challenges and its CommR (what the
/// Winning and Window verifiers do for each proven sector).
pub fn verify_sector_openings(
    s: &SectorPostProof,
    public: &PublicSector,
    challenges: &[u64],
    levels: &Levels,
) -> Result<(), PostVerifyError> {
    if s.sector_number != public.sector_number {
        return Err(PostVerifyError::Sectors {
            got: vec![s.sector_number],
            expected: vec![public.sector_number],
        });
    }
    if comm_r(&s.comm_c, &s.comm_r_last).ok() != Some(public.comm_r) {
        return Err(PostVerifyError::CommR(s.sector_number));
    }
    if s.openings.len() != challenges.len() {
        return Err(PostVerifyError::Count {
            sector: s.sector_number,
            got: s.openings.len(),
            expected: challenges.len(),
        });
    }
    for (o, &leaf) in s.openings.iter().zip(challenges) {
        let ok = o.index == leaf
            && path_index(&o.path, levels) == Some(leaf)
            && root_from_path(&o.node, &o.path, levels, &PoseidonTree).as_ref()
                == Some(&s.comm_r_last);
        if !ok {
            return Err(PostVerifyError::Opening {
                sector: s.sector_number,
                leaf,
            });
        }
    }
    Ok(())
}

impl PostProof {
    /// The binary encoding (`kind` 2 for Winning, 3 for Window PoSt).
    pub fn encode(&self, window: bool) -> Vec<u8> {
        let mut w = Writer::header(if window {
            KIND_WINDOW_POST
        } else {
            KIND_WINNING_POST
        });
        w.u16(self.sectors.len());
        for s in &self.sectors {
            w.u64(s.sector_number);
            w.node(&s.comm_c);
            w.node(&s.comm_r_last);
            w.u16(s.openings.len());
            s.openings.iter().for_each(|o| w.opening(o));
        }
        w.u16(self.skipped.len());
        self.skipped.iter().for_each(|&n| w.u64(n));
        w.out
    }

    /// Decodes a proof; never panics on any input.
    pub fn decode(bytes: &[u8], window: bool) -> Result<PostProof, DecodeError> {
        let mut r = Reader::header(
            bytes,
            if window {
                KIND_WINDOW_POST
            } else {
                KIND_WINNING_POST
            },
        )?;
        let n = r.count(MAX_ITEMS, "sectors")?;
        let mut sectors = Vec::with_capacity(n);
        for _ in 0..n {
            let sector_number = r.u64()?;
            let comm_c = r.node()?;
            let comm_r_last = r.node()?;
            let k = r.count(MAX_ITEMS, "openings")?;
            let mut openings = Vec::with_capacity(k);
            for _ in 0..k {
                openings.push(r.opening()?);
            }
            sectors.push(SectorPostProof {
                sector_number,
                comm_c,
                comm_r_last,
                openings,
            });
        }
        let f = r.count(MAX_ITEMS, "skipped sectors")?;
        let mut skipped = Vec::with_capacity(f);
        for _ in 0..f {
            skipped.push(r.u64()?);
        }
        r.finish()?;
        Ok(PostProof { sectors, skipped })
    }
}

/// The shape of TreeR for the verifiers, whose errors are [`PostVerifyError`].
fn tree_r_levels(p: &SdrParams) -> Result<Levels, PostVerifyError> {
    p.tree_r_levels()
        .map_err(|e| PostVerifyError::Params(e.to_string()))
}
