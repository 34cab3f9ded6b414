//! Poseidon over the BLS12-381 scalar field, bit-compatible with neptune as Filecoin uses it,
//! and the Poseidon Merkle trees of SDR (TreeC, TreeR).
//!
//! # The hash
//!
//! neptune's `Poseidon::new_with_preimage(preimage, &PoseidonConstants::new()).hash()`:
//! `Strength::Standard`, x^5 S-box, R_F = 8, R_P from neptune's round numbers, the Merkle-tree
//! domain tag 2^arity − 1 in `state[0]`, and the arity equal to the number of inputs. Filecoin
//! hashes tree nodes with it (arity 8, and 2 or 8 for the top of compound trees), TreeC columns
//! (arity = number of layers: 2 or 11), and CommR = hash of (CommC, CommRLast) with arity 2.
//! How the constants are derived is in [`PoseidonConstants`]'s module documentation; the
//! derivation runs once per arity and process, on first use. Nodes are 32-byte little-endian
//! field elements ([`crate::fr`]); functions that take nodes reject non-canonical ones with an
//! error where rust-fil-proofs would panic.
//!
//! # The trees
//!
//! [`TreeShape`] is Filecoin's base-sub-top shape ([`TreeShape::for_sector`]); the root of a
//! compound tree is that of one tree whose top levels have the sub and top arities, so CommC
//! and CommRLast come out as rust-fil-proofs computes them. [`PoseidonTree`] builds on every
//! core from a [`LeafSource`] (bytes, a [`FileLeaves`] file, or [`ColumnLeaves`] for TreeC) or
//! from leaves pushed into a [`TreeBuilder`], in bounded memory (see the `tree` module notes:
//! the kept levels, at most 1/7 of the leaves' size, plus about 40 MiB), keeps the levels above
//! [`TreeConfig::discard_rows`] and proves leaves with [`InclusionProof`]s laid out as
//! rust-fil-proofs lays out its `MerkleProof` paths. [`InclusionProof::verify`] never panics.
//!
//! ```
//! use flowcoin_proofs::fr::{Fr, node_from_fr};
//! use flowcoin_proofs::poseidon::{
//!     PoseidonTree, TreeConfig, TreeShape, comm_r, hash, hash2, hash_node_bytes,
//! };
//! use flowcoin_types::SectorSize;
//!
//! let inputs: Vec<Fr> = (0..2u64).map(Fr::from).collect();
//! let digest = hash(&inputs)?;
//! assert_eq!(digest, hash2(&inputs[0], &inputs[1]));
//! // neptune's known answer for arity 2 (big-endian hex).
//! let be: String = digest.to_bytes_be().iter().map(|b| format!("{b:02x}")).collect();
//! assert_eq!(be, "396508d75e76a56b739e0fd902efe161a6fba9339d05a69d2e203c369a02e7ff");
//!
//! // TreeR of a 2 KiB sector: 64 replica nodes, an oct-tree of height 2.
//! let replica: Vec<u8> = (0..64u64).flat_map(|i| node_from_fr(&Fr::from(i))).collect();
//! let shape = TreeShape::for_sector(SectorSize::Size2KiB)?;
//! let tree = PoseidonTree::build(shape, &replica[..], TreeConfig::default())?;
//! let level_1: Vec<u8> = replica.chunks(8 * 32).flat_map(|c| hash_node_bytes(c).unwrap()).collect();
//! assert_eq!(tree.root(), hash_node_bytes(&level_1)?);
//! let proof = tree.prove(42, &replica[..])?;
//! proof.verify(&shape, 42, &tree.root())?;
//!
//! // CommR from CommC and CommRLast.
//! let comm_c = node_from_fr(&Fr::from(7u64));
//! assert_eq!(comm_r(&comm_c, &tree.root())?, hash_node_bytes(&[comm_c, tree.root()].concat())?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod constants;
pub mod field;
mod leaves;
mod matrix;
mod permutation;
mod proof;
mod shape;
mod tree;
mod tree_error;

use ff::Field;

pub use batch::hash_node_bytes_many;
pub use constants::{FULL_ROUNDS, PoseidonConstants, SUPPORTED_ARITIES, constants, partial_rounds};
pub use leaves::{ColumnLeaves, FileLeaves, LeafSource};
pub use proof::{InclusionProof, PathElement, ProofError};
pub use shape::{MAX_TREE_HEIGHT, TreeShape};
pub use tree::{MAX_CHUNK_LEAVES, PoseidonTree, TreeBuilder, TreeConfig, TreeError, tree_root};

use field::MontFr;

use crate::fr::{Fr, FrError};
use crate::hasher::{NODE_SIZE, Node};

/// Why a Poseidon hash could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoseidonError {
    /// The number of inputs is not an arity neptune (and so this module) has parameters for.
    #[error(
        "Poseidon over {arity} inputs is not supported (the arity must be one of 2, 4, 8, 11, \
         16, 24, 36)"
    )]
    UnsupportedArity {
        /// The number of inputs given.
        arity: usize,
    },
    /// An input node is not a canonical field element.
    #[error("input {index} of the Poseidon hash: {source}")]
    NonCanonicalInput {
        /// Position of the input.
        index: usize,
        /// The decoding error.
        source: FrError,
    },
    /// A byte buffer of inputs is not a whole number of 32-byte nodes.
    #[error("{len} bytes are not a whole number of {NODE_SIZE}-byte nodes")]
    NotWholeNodes {
        /// Length of the buffer in bytes.
        len: usize,
    },
    /// A byte buffer of inputs for many hashes is not a whole number of groups of `arity`
    /// nodes.
    #[error("{len} bytes are not a whole number of groups of {arity} {NODE_SIZE}-byte nodes")]
    NotWholeGroups {
        /// Length of the buffer in bytes.
        len: usize,
        /// Nodes per group.
        arity: usize,
    },
    /// The output buffer of many hashes does not have one slot per group of inputs.
    #[error("{groups} groups of inputs need {groups} output nodes, not {outputs}")]
    OutputLength {
        /// Groups of inputs.
        groups: usize,
        /// Slots in the output buffer.
        outputs: usize,
    },
}

/// Hashes `preimage` with arity `preimage.len()`.
pub fn hash(preimage: &[Fr]) -> Result<Fr, PoseidonError> {
    let mut inputs = Inputs::new(preimage.len())?;
    for (slot, fr) in inputs.slots().iter_mut().zip(preimage) {
        *slot = MontFr::from_fr(fr);
    }
    Ok(inputs.hash().to_fr())
}

/// The arity-2 hash: CommR = hash2(CommC, CommRLast), and the top of 8-8-2 trees.
pub fn hash2(a: &Fr, b: &Fr) -> Fr {
    let inputs = [MontFr::from_fr(a), MontFr::from_fr(b)];
    hash_fixed::<3>(&inputs, constants::arity2()).to_fr()
}

/// The arity-8 hash of Filecoin's oct-trees.
pub fn hash8(children: &[Fr; 8]) -> Fr {
    hash_fixed::<9>(&children.map(|c| MontFr::from_fr(&c)), constants::arity8()).to_fr()
}

/// The arity-11 hash of the TreeC columns of 11-layer sectors (32 GiB, 64 GiB).
pub fn hash11(column: &[Fr; 11]) -> Fr {
    hash_fixed::<12>(&column.map(|c| MontFr::from_fr(&c)), constants::arity11()).to_fr()
}

/// The permutation applied by its definition (no precomputed shortcuts): slow, and only here
/// as the reference the fast path is tested against.
pub fn hash_unoptimized(preimage: &[Fr]) -> Result<Fr, PoseidonError> {
    let arity = preimage.len();
    let c = constants(arity).ok_or(PoseidonError::UnsupportedArity { arity })?;
    let mut state: Vec<Fr> = std::iter::once(c.domain_tag())
        .chain(preimage.iter().copied())
        .collect();
    permutation::permute_plain(&mut state, c);
    Ok(state.get(1).copied().unwrap_or(Fr::ZERO))
}

/// The largest supported arity.
const MAX_ARITY: usize = 36;

/// The inputs of one hash, on the stack: the hash functions are called millions of times per
/// sector, and an allocation per call would show.
struct Inputs {
    values: [MontFr; MAX_ARITY],
    arity: usize,
    constants: &'static PoseidonConstants,
}

impl Inputs {
    /// Room for `arity` inputs, if the arity is supported.
    fn new(arity: usize) -> Result<Self, PoseidonError> {
        let constants = constants(arity).ok_or(PoseidonError::UnsupportedArity { arity })?;
        Ok(Self {
            values: [MontFr::ZERO; MAX_ARITY],
            arity,
            constants,
        })
    }

    fn slots(&mut self) -> &mut [MontFr] {
        self.values.get_mut(..self.arity).unwrap_or_default()
    }

    /// Each supported arity gets a permutation specialised to its width.
    fn hash(&self) -> MontFr {
        let inputs = self.values.get(..self.arity).unwrap_or_default();
        let c = self.constants;
        match self.arity {
            2 => hash_fixed::<3>(inputs, c),
            4 => hash_fixed::<5>(inputs, c),
            8 => hash_fixed::<9>(inputs, c),
            11 => hash_fixed::<12>(inputs, c),
            16 => hash_fixed::<17>(inputs, c),
            24 => hash_fixed::<25>(inputs, c),
            _ => hash_fixed::<37>(inputs, c),
        }
    }
}

/// Hashes `W − 1` inputs: state = [domain tag, inputs…], digest = state[1] after the
/// permutation. Callers pass exactly `W − 1` inputs and the constants of that arity.
#[inline]
fn hash_fixed<const W: usize>(inputs: &[MontFr], c: &PoseidonConstants) -> MontFr {
    let mut state = [MontFr::ZERO; W];
    if let Some((tag, rest)) = state.split_first_mut() {
        *tag = c.mont_domain_tag();
        rest.iter_mut().zip(inputs).for_each(|(s, x)| *s = *x);
    }
    permutation::permute(&mut state, c);
    state.get(1).copied().unwrap_or(MontFr::ZERO)
}

/// Hashes nodes (32-byte little-endian field elements) with arity `nodes.len()`.
pub fn hash_nodes(nodes: &[Node]) -> Result<Node, PoseidonError> {
    let mut inputs = Inputs::new(nodes.len())?;
    for (index, (slot, node)) in inputs.slots().iter_mut().zip(nodes).enumerate() {
        *slot = decode_input(index, node)?;
    }
    Ok(inputs.hash().to_node())
}

/// Hashes consecutive 32-byte nodes packed in one buffer (e.g. the children of a tree node as
/// stored in a level), with arity `children.len() / 32`.
pub fn hash_node_bytes(children: &[u8]) -> Result<Node, PoseidonError> {
    let (nodes, rest) = children.as_chunks::<NODE_SIZE>();
    if !rest.is_empty() {
        return Err(PoseidonError::NotWholeNodes {
            len: children.len(),
        });
    }
    hash_nodes(nodes)
}

/// The TreeC leaf of one node: the Poseidon hash of its column, the node's label in every SDR
/// layer (layer 1 first), with arity = number of layers (rust-fil-proofs
/// `hash_single_column`). Labels are sha256-trunc254 values, always canonical.
pub fn column_hash(labels: &[Node]) -> Result<Node, PoseidonError> {
    hash_nodes(labels)
}

/// CommR = Poseidon_arity2(CommC, CommRLast), on 32-byte little-endian nodes (rust-fil-proofs
/// storage-proofs-porep `stacked/vanilla/proof.rs`: `hash2(&comm_c, &comm_r_last)`).
pub fn comm_r(comm_c: &Node, comm_r_last: &Node) -> Result<Node, PoseidonError> {
    hash_nodes(&[*comm_c, *comm_r_last])
}

fn decode_input(index: usize, node: &Node) -> Result<MontFr, PoseidonError> {
    MontFr::from_node(node).ok_or(PoseidonError::NonCanonicalInput {
        index,
        source: FrError::NonCanonical { node: *node },
    })
}
