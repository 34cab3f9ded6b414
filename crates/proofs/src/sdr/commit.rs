//! Seal commit (C1): vanilla proofs that a replica was sealed as claimed, and their
//! verification (filecoin-spec §2.7–2.8).
//!
//! For each challenged node the prover opens the data node in TreeD, the replica node in TreeR,
//! and the columns (labels in every layer) of the node and of its 14 parents in TreeC. The
//! verifier checks every path, that CommR = Poseidon(CommC, CommRLast), that every label of
//! the node recomputes from its parents' labels, and that replica = data + last label.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::graph::{GraphError, SdrGraph};
use super::label::{BASE_DEGREE, DEGREE, label_from_parents};
use super::params::{RegisteredSealProof, SdrParams, replica_id};
use super::proof::{ChallengeProof, ColumnOpening, Opening, SealProof};
use super::seal::{SealError, SealedSector, SectorCache};
use super::tree_file::{
    Levels, PathLevel, PoseidonTree, Sha256Tree, TreeFile, TreeHasher, path_index, root_from_path,
};
use crate::fr::fr_add;
use crate::hasher::{NODE_SIZE, Node};
use crate::poseidon::{column_hash, comm_r};

/// The public inputs of a seal proof: what the chain knows about the sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealPublicInputs {
    /// The proof type.
    pub proof: RegisteredSealProof,
    /// The miner's prover id.
    pub prover_id: Node,
    /// The sector number.
    pub sector_number: u64,
    /// The sealing ticket.
    pub ticket: Node,
    /// The interactive seed drawn after pre-commit.
    pub seed: Node,
    /// CommD.
    pub comm_d: Node,
    /// CommR.
    pub comm_r: Node,
}

/// Why a seal proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealVerifyError {
    /// Poseidon(CommC, CommRLast) is not the claimed CommR.
    #[error("CommC and CommRLast in the proof do not hash to CommR")]
    CommR,
    /// The proof answers other challenges than the seed draws.
    #[error("challenge {index} is node {got}, but the seed draws node {expected}")]
    Challenge {
        /// Position of the challenge.
        index: usize,
        /// Node in the proof.
        got: u64,
        /// Node the seed draws.
        expected: u64,
    },
    /// Wrong number of challenges.
    #[error("the proof has {got} challenges, the sector needs {expected}")]
    ChallengeCount {
        /// In the proof.
        got: usize,
        /// Required.
        expected: usize,
    },
    /// An inclusion path does not lead to its commitment (or to another leaf).
    #[error("challenge {challenge}: the {what} opening does not verify")]
    Opening {
        /// The challenged node.
        challenge: u64,
        /// Which opening (data, replica, column, parent column k).
        what: String,
    },
    /// A label does not recompute from the parents' labels.
    #[error("challenge {challenge}: the layer-{layer} label does not recompute from its parents")]
    Label {
        /// The challenged node.
        challenge: u64,
        /// The layer.
        layer: u32,
    },
    /// replica ≠ data + key.
    #[error("challenge {challenge}: the replica node is not the data node plus the key")]
    Encoding {
        /// The challenged node.
        challenge: u64,
    },
    /// A value in the proof is not a field element.
    #[error("challenge {challenge}: {what} is not a canonical field element")]
    NotCanonical {
        /// The challenged node.
        challenge: u64,
        /// What.
        what: String,
    },
    /// Parameters or graph failed for the proof type.
    #[error("{0}")]
    Params(String),
}

/// Produces the vanilla seal proof of a sealed sector for `seed`.
pub fn prove_seal(
    sealed: &SealedSector,
    seed: &Node,
    unsealed: &Path,
    replica: &Path,
    cache: &SectorCache,
) -> Result<SealProof, SealError> {
    let proof = sealed.inputs.proof;
    let params = SdrParams::for_sector(proof.sector_size())?;
    let graph = SdrGraph::for_proof(proof)?;
    let nodes = params.nodes;
    let tree_d = TreeFile::open(&cache.tree_d(), &params.tree_d_levels()?)?;
    let tree_r = TreeFile::open(&cache.tree_r(), &params.tree_r_levels()?)?;
    let tree_c = TreeFile::open(&cache.tree_c(), &params.tree_r_levels()?)?;
    let layers: Vec<_> = (1..=params.layers).map(|l| cache.layer(l)).collect();
    let mut challenges = Vec::new();
    for node in params
        .porep_challenges(&sealed.replica_id, seed)?
        .into_iter()
        .flatten()
    {
        let data = Opening {
            index: node,
            node: read_node(unsealed, node)?,
            path: tree_d.path(unsealed, node)?,
        };
        let replica_opening = Opening {
            index: node,
            node: read_node(replica, node)?,
            path: tree_r.path(replica, node)?,
        };
        let column = column_opening(&layers, &tree_c, &cache.columns(), node)?;
        let parent_nodes = u32::try_from(node)
            .map_err(|_| GraphError::NodeOutOfRange { node, nodes })
            .and_then(|n| graph.parents(n))?;
        let parents = parent_nodes
            .iter()
            .map(|&p| column_opening(&layers, &tree_c, &cache.columns(), u64::from(p)))
            .collect::<Result<_, _>>()?;
        challenges.push(ChallengeProof {
            node,
            data,
            replica: replica_opening,
            column,
            parents,
        });
    }
    Ok(SealProof {
        comm_c: sealed.comm_c,
        comm_r_last: sealed.comm_r_last,
        challenges,
    })
}

fn read_node(path: &Path, index: u64) -> Result<Node, SealError> {
    let f = File::open(path).map_err(|e| SealError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut n = [0u8; NODE_SIZE];
    f.read_exact_at(&mut n, index.saturating_mul(NODE_SIZE as u64))
        .map_err(|e| SealError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
    Ok(n)
}

fn column_opening(
    layers: &[std::path::PathBuf],
    tree_c: &TreeFile,
    columns: &Path,
    node: u64,
) -> Result<ColumnOpening, SealError> {
    let labels = layers
        .iter()
        .map(|l| read_node(l, node))
        .collect::<Result<_, _>>()?;
    Ok(ColumnOpening {
        index: node,
        labels,
        path: tree_c.path(columns, node)?,
    })
}

/// Verifies a vanilla seal proof against the sector's public inputs.
pub fn verify_seal(public: &SealPublicInputs, proof: &SealProof) -> Result<(), SealVerifyError> {
    let p = |e: &dyn std::fmt::Display| SealVerifyError::Params(e.to_string());
    let params = SdrParams::for_sector(public.proof.sector_size()).map_err(|e| p(&e))?;
    let graph = SdrGraph::for_proof(public.proof).map_err(|e| p(&e))?;
    if comm_r(&proof.comm_c, &proof.comm_r_last).ok() != Some(public.comm_r) {
        return Err(SealVerifyError::CommR);
    }
    let rid = replica_id(
        &public.prover_id,
        public.sector_number,
        &public.ticket,
        &public.comm_d,
        &public.proof.porep_id(),
    );
    let expected: Vec<u64> = params
        .porep_challenges(&rid, &public.seed)
        .map_err(|e| p(&e))?
        .into_iter()
        .flatten()
        .collect();
    if expected.len() != proof.challenges.len() {
        return Err(SealVerifyError::ChallengeCount {
            got: proof.challenges.len(),
            expected: expected.len(),
        });
    }
    let shapes = params
        .tree_d_levels()
        .and_then(|d| Ok((d, params.tree_r_levels()?)))
        .map_err(|e| p(&e))?;
    for (index, (c, &want)) in proof.challenges.iter().zip(&expected).enumerate() {
        if c.node != want {
            return Err(SealVerifyError::Challenge {
                index,
                got: c.node,
                expected: want,
            });
        }
        verify_challenge(public, proof, &graph, &rid, c, params.layers, &shapes)?;
    }
    Ok(())
}

/// Checks that `opening` is leaf `index` of a tree of shape `levels` with root `root`.
fn opening_ok(
    leaf: &Node,
    path: &[PathLevel],
    index: u64,
    levels: &Levels,
    root: &Node,
    hasher: &dyn TreeHasher,
) -> bool {
    path_index(path, levels) == Some(index)
        && root_from_path(leaf, path, levels, hasher).as_ref() == Some(root)
}

#[allow(clippy::too_many_arguments)]
fn verify_challenge(
    public: &SealPublicInputs,
    proof: &SealProof,
    graph: &SdrGraph,
    rid: &Node,
    c: &ChallengeProof,
    layers: u32,
    (tree_d, tree_r): &(Levels, Levels),
) -> Result<(), SealVerifyError> {
    let node = c.node;
    let bad = |what: &str| SealVerifyError::Opening {
        challenge: node,
        what: what.to_owned(),
    };
    if c.data.index != node
        || !opening_ok(
            &c.data.node,
            &c.data.path,
            node,
            tree_d,
            &public.comm_d,
            &Sha256Tree,
        )
    {
        return Err(bad("data (TreeD)"));
    }
    if c.replica.index != node
        || !opening_ok(
            &c.replica.node,
            &c.replica.path,
            node,
            tree_r,
            &proof.comm_r_last,
            &PoseidonTree,
        )
    {
        return Err(bad("replica (TreeR)"));
    }
    let column_ok = |col: &ColumnOpening, index: u64| {
        col.index == index
            && col.labels.len() == layers as usize
            && column_hash(&col.labels).is_ok_and(|h| {
                opening_ok(&h, &col.path, index, tree_r, &proof.comm_c, &PoseidonTree)
            })
    };
    if !column_ok(&c.column, node) {
        return Err(bad("column (TreeC)"));
    }
    let parents = u32::try_from(node)
        .ok()
        .and_then(|n| graph.parents(n).ok())
        .ok_or_else(|| {
            SealVerifyError::Params(format!("node {node} has no parents in the graph"))
        })?;
    if c.parents.len() != DEGREE {
        return Err(bad("parent columns (count)"));
    }
    for (k, (col, &parent)) in c.parents.iter().zip(&parents).enumerate() {
        if !column_ok(col, u64::from(parent)) {
            return Err(bad(&format!("parent column {k}")));
        }
    }
    for layer in 1..=layers {
        let l = (layer as usize).saturating_sub(1);
        let mut labels: Vec<&Node> = Vec::with_capacity(DEGREE);
        for (k, col) in c.parents.iter().enumerate() {
            // Base parents come from this layer, expander parents from the one below.
            let source = if k < BASE_DEGREE {
                col.labels.get(l)
            } else if layer > 1 {
                col.labels.get(l.saturating_sub(1))
            } else {
                None
            };
            if let Some(label) = source {
                labels.push(label);
            }
        }
        let want = label_from_parents(rid, layer, node, &labels);
        if c.column.labels.get(l) != Some(&want) {
            return Err(SealVerifyError::Label {
                challenge: node,
                layer,
            });
        }
    }
    let key = c
        .column
        .labels
        .last()
        .ok_or_else(|| bad("column (empty)"))?;
    let encoded = fr_add(&c.data.node, key).map_err(|_| SealVerifyError::NotCanonical {
        challenge: node,
        what: "the data node".into(),
    })?;
    if encoded != c.replica.node {
        return Err(SealVerifyError::Encoding { challenge: node });
    }
    Ok(())
}
