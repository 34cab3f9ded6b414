//! SDR parameters per sector size, registered proof types, `porep_id`, `replica_id` and the
//! interactive PoRep challenges (filecoin-spec §2.1, §2.2, §2.7 and §3).
//!
//! Every value here is Filecoin's: a sector sealed with these parameters has the same
//! `replica_id`, graph and challenges as one sealed by rust-fil-proofs. The known answers are in
//! `tests/sdr_params.rs`.

use std::fmt;
use std::str::FromStr;

use flowcoin_types::SectorSize;
use sha2::{Digest, Sha256};

use super::tree_file::{Levels, TreeError};

/// At most this many PoRep challenges go into one partition's circuit (rust-fil-proofs
/// `MAX_CHALLENGES_PER_PARTITION`).
pub const MAX_CHALLENGES_PER_PARTITION: u32 = 18;

/// The most PoRep challenges [`porep_challenges`] derives at once (Filecoin's largest use is
/// 2^18 synthetic challenges); it bounds the memory a request can take.
pub const MAX_POREP_CHALLENGES: u32 = 1 << 20;

/// WinningPoSt proves one sector per block (`WINNING_POST_SECTOR_COUNT`).
pub const WINNING_POST_SECTOR_COUNT: u32 = 1;

/// WinningPoSt opens 66 leaves of its sector (`WINNING_POST_CHALLENGE_COUNT`).
pub const WINNING_POST_CHALLENGE_COUNT: u32 = 66;

/// WindowPoSt opens 10 leaves of every sector it proves (`WINDOW_POST_CHALLENGE_COUNT`).
pub const WINDOW_POST_CHALLENGE_COUNT: u32 = 10;

/// Why a parameter lookup or a challenge derivation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// The sector size has no SDR parameter table (a size added to `SectorSize` but not here).
    #[error("sector size {0} has no SDR parameters (use 2KiB, 8MiB, 512MiB, 32GiB or 64GiB)")]
    UnsupportedSectorSize(SectorSize),
    /// The number is not a registered seal proof this implementation seals.
    #[error(
        "registered seal proof {id} is not supported (use 0–4 for StackedDrg V1 or 5–9 for V1_1)"
    )]
    UnknownSealProof {
        /// The rejected registered proof number.
        id: u64,
    },
    /// The number is not a registered PoSt proof.
    #[error(
        "registered PoSt proof {id} is not supported (use 0–4 for Winning, 5–9 for Window V1 \
         or 10–14 for Window V1_1)"
    )]
    UnknownPoStProof {
        /// The rejected registered proof number.
        id: u64,
    },
    /// The text is not an API version.
    #[error("API version {0:?} is not one of 1.0.0, 1.1.0 or 1.2.0")]
    UnknownApiVersion(String),
    /// Challenges are drawn from nodes 1..N, so a sector needs at least 2 nodes.
    #[error("cannot draw PoRep challenges from a sector of {nodes} nodes (it needs at least 2)")]
    TooFewNodes {
        /// The rejected node count.
        nodes: u64,
    },
    /// More challenges than [`MAX_POREP_CHALLENGES`].
    #[error(
        "{partitions} partitions of {per_partition} challenges are more than the 2^20 PoRep \
         challenges derived at once"
    )]
    TooManyChallenges {
        /// Requested partitions.
        partitions: u32,
        /// Requested challenges per partition.
        per_partition: u32,
    },
}

/// The version of the proofs API a proof type is verified under. It changes the graph (where the
/// predecessor sits among the base parents) and the PoSt challenge indexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    /// 1.0.0: seal V1, WinningPoSt, WindowPoSt V1. The predecessor is the last base parent.
    V1_0_0,
    /// 1.1.0: seal V1_1. The predecessor is the first base parent.
    V1_1_0,
    /// 1.2.0: WindowPoSt V1_1 (and Filecoin's Synthetic/NI seal proofs). Graph as in 1.1.0.
    V1_2_0,
}

impl ApiVersion {
    /// Whether base parent 0 is the predecessor v−1 (1.1.0 and later) rather than parent 5.
    pub const fn predecessor_first(self) -> bool {
        !matches!(self, Self::V1_0_0)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1_0_0 => "1.0.0",
            Self::V1_1_0 => "1.1.0",
            Self::V1_2_0 => "1.2.0",
        })
    }
}

impl FromStr for ApiVersion {
    type Err = ParamsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "1.0.0" => Ok(Self::V1_0_0),
            "1.1.0" => Ok(Self::V1_1_0),
            "1.2.0" => Ok(Self::V1_2_0),
            _ => Err(ParamsError::UnknownApiVersion(text.to_owned())),
        }
    }
}

/// Position of a sector size in Filecoin's registered-proof numbering (2 KiB = 0 … 64 GiB = 4).
fn size_index(size: SectorSize) -> Result<u64, ParamsError> {
    match size {
        SectorSize::Size2KiB => Ok(0),
        SectorSize::Size8MiB => Ok(1),
        SectorSize::Size512MiB => Ok(2),
        SectorSize::Size32GiB => Ok(3),
        SectorSize::Size64GiB => Ok(4),
        other => Err(ParamsError::UnsupportedSectorSize(other)),
    }
}

/// The size at `index % 5` of the registered-proof numbering.
fn size_at(id: u64) -> Option<SectorSize> {
    let index = usize::try_from(id.checked_rem(5)?).ok()?;
    SectorSize::ALL.get(index).copied()
}

/// The seal proof generations this implementation seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SealProofVersion {
    /// StackedDrg*V1 (ids 0–4), API 1.0.0: retired on Filecoin mainnet, kept for its graph.
    V1,
    /// StackedDrg*V1_1 (ids 5–9), API 1.1.0: what Flowcoin seals.
    V1_1,
}

/// A registered seal proof type: a sector size and a proof version, numbered as on chain
/// (`RegisteredSealProof` in go-state-types and rust-filecoin-proofs-api).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisteredSealProof {
    id: u64,
    sector_size: SectorSize,
    version: SealProofVersion,
}

impl RegisteredSealProof {
    /// The seal proof for `sector_size` in `version`.
    pub fn new(sector_size: SectorSize, version: SealProofVersion) -> Result<Self, ParamsError> {
        let base = match version {
            SealProofVersion::V1 => 0u64,
            SealProofVersion::V1_1 => 5,
        };
        let id = base
            .checked_add(size_index(sector_size)?)
            .ok_or(ParamsError::UnsupportedSectorSize(sector_size))?;
        Ok(Self {
            id,
            sector_size,
            version,
        })
    }

    /// The seal proof numbered `id` on chain (0–9; Synthetic and NI PoRep, 10–19, are not sealed
    /// here).
    pub fn from_id(id: u64) -> Result<Self, ParamsError> {
        let version = match id {
            0..=4 => SealProofVersion::V1,
            5..=9 => SealProofVersion::V1_1,
            _ => return Err(ParamsError::UnknownSealProof { id }),
        };
        let sector_size = size_at(id).ok_or(ParamsError::UnknownSealProof { id })?;
        Ok(Self {
            id,
            sector_size,
            version,
        })
    }

    /// The number on chain.
    pub const fn id(self) -> u64 {
        self.id
    }

    /// The sector size this proof type seals.
    pub const fn sector_size(self) -> SectorSize {
        self.sector_size
    }

    /// The proof generation.
    pub const fn version(self) -> SealProofVersion {
        self.version
    }

    /// The API version the proof is made and verified under.
    pub const fn api_version(self) -> ApiVersion {
        match self.version {
            SealProofVersion::V1 => ApiVersion::V1_0_0,
            SealProofVersion::V1_1 => ApiVersion::V1_1_0,
        }
    }

    /// The 32-byte porep_id with nonce 0, the one Filecoin uses on chain.
    pub const fn porep_id(self) -> [u8; 32] {
        porep_id(self.id, 0)
    }
}

/// Which proof of spacetime a registered PoSt proof is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoStProofKind {
    /// StackedDrgWinning*V1 (ids 0–4), API 1.0.0.
    Winning,
    /// StackedDrgWindow*V1 (ids 5–9), API 1.0.0.
    WindowV1,
    /// StackedDrgWindow*V1P1 on chain, `…V1_2` in filecoin-proofs-api (ids 10–14), API 1.2.0.
    WindowV1_1,
}

/// A registered PoSt proof type, numbered as on chain (`RegisteredPoStProof`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisteredPoStProof {
    id: u64,
    sector_size: SectorSize,
    kind: PoStProofKind,
}

impl RegisteredPoStProof {
    /// The PoSt proof of `kind` for sectors of `sector_size`.
    pub fn new(sector_size: SectorSize, kind: PoStProofKind) -> Result<Self, ParamsError> {
        let base = match kind {
            PoStProofKind::Winning => 0u64,
            PoStProofKind::WindowV1 => 5,
            PoStProofKind::WindowV1_1 => 10,
        };
        let id = base
            .checked_add(size_index(sector_size)?)
            .ok_or(ParamsError::UnsupportedSectorSize(sector_size))?;
        Ok(Self {
            id,
            sector_size,
            kind,
        })
    }

    /// The PoSt proof numbered `id` on chain (0–14).
    pub fn from_id(id: u64) -> Result<Self, ParamsError> {
        let kind = match id {
            0..=4 => PoStProofKind::Winning,
            5..=9 => PoStProofKind::WindowV1,
            10..=14 => PoStProofKind::WindowV1_1,
            _ => return Err(ParamsError::UnknownPoStProof { id }),
        };
        let sector_size = size_at(id).ok_or(ParamsError::UnknownPoStProof { id })?;
        Ok(Self {
            id,
            sector_size,
            kind,
        })
    }

    /// The number on chain.
    pub const fn id(self) -> u64 {
        self.id
    }

    /// The sector size this proof type proves.
    pub const fn sector_size(self) -> SectorSize {
        self.sector_size
    }

    /// Winning or Window, and which Window version.
    pub const fn kind(self) -> PoStProofKind {
        self.kind
    }

    /// The API version: 1.2.0 for Window V1_1, 1.0.0 otherwise.
    pub const fn api_version(self) -> ApiVersion {
        match self.kind {
            PoStProofKind::Winning | PoStProofKind::WindowV1 => ApiVersion::V1_0_0,
            PoStProofKind::WindowV1_1 => ApiVersion::V1_2_0,
        }
    }
}

/// porep_id = u64_LE(registered_proof_id) ‖ u64_LE(nonce) ‖ 16 zero bytes
/// (rust-filecoin-proofs-api `RegisteredSealProof::porep_id`).
pub const fn porep_id(registered_proof_id: u64, nonce: u64) -> [u8; 32] {
    let [i0, i1, i2, i3, i4, i5, i6, i7] = registered_proof_id.to_le_bytes();
    let [n0, n1, n2, n3, n4, n5, n6, n7] = nonce.to_le_bytes();
    [
        i0, i1, i2, i3, i4, i5, i6, i7, n0, n1, n2, n3, n4, n5, n6, n7, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0,
    ]
}

/// replica_id = SHA-256(prover_id ‖ u64_BE(sector_number) ‖ ticket ‖ comm_d ‖ porep_id) with
/// byte 31 masked by 0x3F so that it is a valid Fr (rust-fil-proofs `generate_replica_id`).
pub fn replica_id(
    prover_id: &[u8; 32],
    sector_number: u64,
    ticket: &[u8; 32],
    comm_d: &[u8; 32],
    porep_id: &[u8; 32],
) -> [u8; 32] {
    let mut out: [u8; 32] = Sha256::new()
        .chain_update(prover_id)
        .chain_update(sector_number.to_be_bytes())
        .chain_update(ticket)
        .chain_update(comm_d)
        .chain_update(porep_id)
        .finalize()
        .into();
    if let Some(last) = out.last_mut() {
        *last &= 0x3f;
    }
    out
}

/// The interactive PoRep challenges (stacked/vanilla/challenges.rs): for partition k and
/// i in 0..cpp, with j = cpp·k + i, node = (LE(SHA-256(replica_id ‖ seed ‖ u32_LE(j))) mod
/// (N − 1)) + 1. Node 0 is never challenged. Returns one list per partition.
///
/// At most [`MAX_POREP_CHALLENGES`] challenges are derived (the table asks for at most 10 × 18).
pub fn porep_challenges(
    replica_id: &[u8; 32],
    seed: &[u8; 32],
    nodes: u64,
    partitions: u32,
    challenges_per_partition: u32,
) -> Result<Vec<Vec<u64>>, ParamsError> {
    let modulus = nodes
        .checked_sub(1)
        .filter(|&m| m > 0)
        .ok_or(ParamsError::TooFewNodes { nodes })?;
    let too_many = ParamsError::TooManyChallenges {
        partitions,
        per_partition: challenges_per_partition,
    };
    challenges_per_partition
        .checked_mul(partitions)
        .filter(|&total| total <= MAX_POREP_CHALLENGES)
        .ok_or_else(|| too_many.clone())?;
    let prefix = Sha256::new().chain_update(replica_id).chain_update(seed);
    (0..partitions)
        .map(|k| {
            (0..challenges_per_partition)
                .map(|i| {
                    let j = challenges_per_partition
                        .checked_mul(k)
                        .and_then(|base| base.checked_add(i))
                        .ok_or_else(|| too_many.clone())?;
                    let digest: [u8; 32] = prefix
                        .clone()
                        .chain_update(j.to_le_bytes())
                        .finalize()
                        .into();
                    let reduced = le_bytes_mod(&digest, modulus);
                    // reduced < modulus = N − 1, so reduced + 1 < N cannot overflow.
                    reduced.checked_add(1).ok_or_else(|| too_many.clone())
                })
                .collect()
        })
        .collect()
}

/// The 256-bit little-endian integer `bytes` reduced modulo `modulus` (> 0), exactly: Horner's
/// rule over 64-bit limbs, most significant first, in 128-bit arithmetic.
fn le_bytes_mod(bytes: &[u8; 32], modulus: u64) -> u64 {
    let modulus = u128::from(modulus);
    let mut rest = 0u128;
    for limb in bytes.chunks_exact(8).rev() {
        let mut word = [0u8; 8];
        word.copy_from_slice(limb);
        // rest < modulus < 2^64, so rest · 2^64 + word < 2^128.
        let value = (rest << 64) | u128::from(u64::from_le_bytes(word));
        rest = value.checked_rem(modulus).unwrap_or(0);
    }
    u64::try_from(rest).unwrap_or(0)
}

/// The shape of TreeR and TreeC: arity of the base trees, of the sub-tree level above them
/// (0: none) and of the top level (0: none). Filecoin writes it as base-sub-top, e.g. 8-8-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreeShape {
    /// Arity of each base tree over the nodes (8 for every size).
    pub base_arity: u32,
    /// Number of base trees joined by the sub-tree level (0: a single base tree).
    pub sub_arity: u32,
    /// Number of sub-trees joined by the top level (0: no top level).
    pub top_arity: u32,
}

/// Everything a sector size fixes for SDR PoRep and PoSt (filecoin-spec §2.1 and §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SdrParams {
    /// The sector size these parameters belong to.
    pub sector_size: SectorSize,
    /// 32-byte nodes in the sector (size / 32).
    pub nodes: u64,
    /// SDR layers (labels are computed `layers` times over all nodes).
    pub layers: u32,
    /// The shape of TreeR and TreeC.
    pub tree_shape: TreeShape,
    /// PoRep partitions (one SNARK each).
    pub porep_partitions: u32,
    /// The minimum number of PoRep challenges the security argument asks for.
    pub porep_min_challenges: u32,
    /// Challenges per partition: ceil(min / partitions), at most 18.
    pub porep_challenges_per_partition: u32,
    /// Sectors in one WindowPoSt partition (the circuit's fixed size).
    pub window_post_sectors_per_partition: u32,
    /// Sectors a WinningPoSt proves (1).
    pub winning_post_sector_count: u32,
    /// Leaves a WinningPoSt opens (66).
    pub winning_post_challenge_count: u32,
    /// Leaves a WindowPoSt opens per sector (10).
    pub window_post_challenge_count: u32,
}

impl SdrParams {
    /// The parameters of `sector_size`. Fails only for a size added to `SectorSize` without a row
    /// here; every size in `SectorSize::ALL` has one.
    pub fn for_sector(sector_size: SectorSize) -> Result<Self, ParamsError> {
        // (layers, shape, partitions, min challenges, per partition, WindowPoSt sectors)
        let (layers, (base_arity, sub_arity, top_arity), partitions, min, per_partition, window) =
            match sector_size {
                SectorSize::Size2KiB | SectorSize::Size8MiB | SectorSize::Size512MiB => {
                    (2, (8, 0, 0), 1, 2, 2, 2)
                }
                SectorSize::Size32GiB => (11, (8, 8, 0), 10, 176, 18, 2349),
                SectorSize::Size64GiB => (11, (8, 8, 2), 10, 176, 18, 2300),
                other => return Err(ParamsError::UnsupportedSectorSize(other)),
            };
        Ok(Self {
            sector_size,
            nodes: sector_size.nodes(),
            layers,
            tree_shape: TreeShape {
                base_arity,
                sub_arity,
                top_arity,
            },
            porep_partitions: partitions,
            porep_min_challenges: min,
            porep_challenges_per_partition: per_partition,
            window_post_sectors_per_partition: window,
            winning_post_sector_count: WINNING_POST_SECTOR_COUNT,
            winning_post_challenge_count: WINNING_POST_CHALLENGE_COUNT,
            window_post_challenge_count: WINDOW_POST_CHALLENGE_COUNT,
        })
    }

    /// The shape of TreeD: a binary tree over every node.
    pub fn tree_d_levels(&self) -> Result<Levels, TreeError> {
        Levels::uniform(self.nodes, 2)
    }

    /// The shape of TreeC and TreeR: oct-trees over equal runs of nodes, joined by the sub level
    /// (if any), joined by the top level (if any). For 64 GiB (8-8-2): nine levels of 8 in each
    /// of 16 base trees, a level of 8, a level of 2.
    pub fn tree_r_levels(&self) -> Result<Levels, TreeError> {
        let shape = self.tree_shape;
        let joined = [shape.sub_arity, shape.top_arity]
            .into_iter()
            .filter(|&a| a != 0)
            .map(|a| a as usize);
        let groups = joined
            .clone()
            .try_fold(1u64, |p, a| p.checked_mul(a as u64));
        let base_leaves = groups.and_then(|g| self.nodes.checked_div(g)).unwrap_or(0);
        let base = Levels::uniform(base_leaves, shape.base_arity as usize)?;
        let mut arities = base.arities().to_vec();
        arities.extend(joined);
        Levels::new(self.nodes, arities)
    }

    /// All PoRep challenges of a sector: partitions × challenges per partition (180 for 32 GiB).
    pub const fn porep_challenges_total(&self) -> u32 {
        // At most 10 × 18 in the table.
        self.porep_partitions
            .saturating_mul(self.porep_challenges_per_partition)
    }

    /// The interactive PoRep challenges of a sector of this size (see [`porep_challenges`]).
    pub fn porep_challenges(
        &self,
        replica_id: &[u8; 32],
        seed: &[u8; 32],
    ) -> Result<Vec<Vec<u64>>, ParamsError> {
        porep_challenges(
            replica_id,
            seed,
            self.nodes,
            self.porep_partitions,
            self.porep_challenges_per_partition,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact reduction agrees with a schoolbook one on values that exercise every limb.
    #[test]
    fn le_bytes_mod_matches_bytewise_reduction() {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        for modulus in [1, 2, 63, 262_143, (1 << 30) - 1, u64::MAX, u64::MAX - 58] {
            let mut expected = 0u128;
            for &b in bytes.iter().rev() {
                expected = ((expected << 8) | u128::from(b)) % u128::from(modulus);
            }
            assert_eq!(
                u128::from(le_bytes_mod(&bytes, modulus)),
                expected,
                "{modulus}"
            );
        }
        assert_eq!(le_bytes_mod(&[0xff; 32], u64::MAX), 0);
    }

    #[test]
    fn porep_id_layout() {
        let id = porep_id(0x0102, 0x0a0b);
        assert_eq!(&id[..10], &[2, 1, 0, 0, 0, 0, 0, 0, 0x0b, 0x0a]);
        assert!(id[10..].iter().all(|&b| b == 0));
    }
}
