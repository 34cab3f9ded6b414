//! Sealing a sector (PreCommit 1 and 2): TreeD and CommD, labels, TreeC and CommC, the replica,
//! TreeR and CommRLast, CommR.
//!
//! Files of a sealed sector (design note; format version 1):
//!
//! ```text
//! <replica>                  the sealed sector: replica node = data node + last-layer label in Fr
//! <cache>/tree-d             TreeD above the unsealed sector (binary sha256-trunc254), see tree_file
//! <cache>/layer-1 … layer-L  the SDR labels of each layer (nodes × 32 bytes)
//! <cache>/columns            TreeC leaves: Poseidon of each node's column of labels
//! <cache>/tree-c             TreeC above the columns (8-ary Poseidon)
//! <cache>/tree-r             TreeR above the replica (8-ary Poseidon)
//! <cache>/p_aux              CommC ‖ CommRLast (as rust-fil-proofs writes it)
//! <cache>/sector.json        proof type, prover, sector number, ticket, replica_id and the commitments
//! ```
//!
//! Memory: two label layers (2 × sector size) during labeling, plus fixed-size chunk buffers;
//! the trees are built from files in bounded memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::cache::{CacheError, ParentCache};
use super::graph::{GraphError, SdrGraph};
use super::label::{LabelError, label_layer};
use super::params::{ParamsError, RegisteredSealProof, SdrParams, replica_id};
use super::tree_file::{PoseidonTree, Sha256Tree, TreeError, TreeFile};
use crate::fr::{FrError, fr_add_assign_nodes};
use crate::hasher::{NODE_SIZE, Node};
use crate::poseidon::{PoseidonError, comm_r, hash_node_bytes_many};

/// Nodes processed per chunk when streaming files (2 MiB of nodes).
const CHUNK_NODES: usize = 1 << 16;

/// Columns hashed per parallel task (a multiple of the 8 hashes a batched Poseidon computes at
/// once).
const TASK_COLUMNS: usize = 256;
/// Version of the sealed-sector file set written here.
pub const SEALED_FORMAT_VERSION: u32 = 1;

/// Why sealing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The unsealed sector is not exactly one sector.
    #[error("the unsealed sector {path} is {got} bytes, but a {size} sector is {expected} bytes")]
    UnsealedSize {
        /// The file.
        path: String,
        /// Its size.
        got: u64,
        /// The sector size in bytes.
        expected: u64,
        /// The sector size, for people.
        size: String,
    },
    /// The unsealed sector holds a node that is not Fr32 data.
    #[error("the unsealed sector is not Fr32-padded data: {0}")]
    NotFr32(#[source] FrError),
    /// A tree failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The parent cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The graph failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Labeling failed.
    #[error(transparent)]
    Label(#[from] LabelError),
    /// Poseidon refused an input.
    #[error(transparent)]
    Poseidon(#[from] PoseidonError),
    /// The proof type has no parameters.
    #[error(transparent)]
    Params(#[from] ParamsError),
}

fn io_err(path: &Path, source: std::io::Error) -> SealError {
    SealError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What the sealer needs besides the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealInputs {
    /// The proof type (sector size and version).
    pub proof: RegisteredSealProof,
    /// The miner's prover id (32 bytes).
    pub prover_id: Node,
    /// The sector number.
    pub sector_number: u64,
    /// The sealing randomness from the chain.
    pub ticket: Node,
}

/// Time spent in each phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SealTimings {
    /// TreeD over the unsealed sector.
    pub tree_d: Duration,
    /// Generating or checking the parent cache.
    pub parent_cache: Duration,
    /// Labeling all layers (PC1).
    pub labels: Duration,
    /// Column hashes and TreeC.
    pub tree_c: Duration,
    /// Encoding the replica.
    pub encode: Duration,
    /// TreeR.
    pub tree_r: Duration,
}

/// A sealed sector's public values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedSector {
    /// The inputs it was sealed with.
    pub inputs: SealInputs,
    /// replica_id.
    pub replica_id: Node,
    /// CommD.
    pub comm_d: Node,
    /// CommC.
    pub comm_c: Node,
    /// CommRLast.
    pub comm_r_last: Node,
    /// CommR = Poseidon(CommC, CommRLast).
    pub comm_r: Node,
    /// Where the time went.
    pub timings: SealTimings,
}

/// Receives progress while a sector is sealed.
pub trait SealProgress {
    /// A phase starts (`"tree-d"`, `"parents"`, `"labels"`, `"tree-c"`, `"encode"`, `"tree-r"`).
    fn phase(&mut self, _name: &str) {}
    /// `done` of `total` nodes of `layer` are labeled.
    fn layer(&mut self, _layer: u32, _done: u64, _total: u64) {}
}

/// Ignores progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl SealProgress for NoProgress {}

/// The files of a sealed sector's cache directory.
#[derive(Debug, Clone)]
pub struct SectorCache {
    dir: PathBuf,
}

impl SectorCache {
    /// The cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SectorCache { dir: dir.into() }
    }
    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// TreeD.
    pub fn tree_d(&self) -> PathBuf {
        self.dir.join("tree-d")
    }
    /// Labels of `layer` (from 1).
    pub fn layer(&self, layer: u32) -> PathBuf {
        self.dir.join(format!("layer-{layer}"))
    }
    /// TreeC leaves.
    pub fn columns(&self) -> PathBuf {
        self.dir.join("columns")
    }
    /// TreeC.
    pub fn tree_c(&self) -> PathBuf {
        self.dir.join("tree-c")
    }
    /// TreeR.
    pub fn tree_r(&self) -> PathBuf {
        self.dir.join("tree-r")
    }
    /// CommC ‖ CommRLast.
    pub fn p_aux(&self) -> PathBuf {
        self.dir.join("p_aux")
    }
}

/// Seals `unsealed` (an Fr32-padded sector file) into `replica`, writing the cache files into
/// `cache`; `parents_dir` holds the shared parent caches (generated on first use).
pub fn seal(
    inputs: &SealInputs,
    unsealed: &Path,
    replica: &Path,
    cache: &SectorCache,
    parents_dir: &Path,
    progress: &mut dyn SealProgress,
) -> Result<SealedSector, SealError> {
    let params = SdrParams::for_sector(inputs.proof.sector_size())?;
    let nodes = params.nodes;
    let size = nodes.saturating_mul(NODE_SIZE as u64);
    let got = std::fs::metadata(unsealed)
        .map_err(|e| io_err(unsealed, e))?
        .len();
    if got != size {
        return Err(SealError::UnsealedSize {
            path: unsealed.display().to_string(),
            got,
            expected: size,
            size: inputs.proof.sector_size().to_string(),
        });
    }
    std::fs::create_dir_all(cache.dir()).map_err(|e| io_err(cache.dir(), e))?;
    let mut timings = SealTimings::default();

    progress.phase("tree-d");
    let t = Instant::now();
    let comm_d = TreeFile::build(
        unsealed,
        &params.tree_d_levels()?,
        &Sha256Tree,
        &cache.tree_d(),
    )?
    .root();
    timings.tree_d = t.elapsed();
    let replica_id = replica_id(
        &inputs.prover_id,
        inputs.sector_number,
        &inputs.ticket,
        &comm_d,
        &inputs.proof.porep_id(),
    );

    progress.phase("parents");
    let t = Instant::now();
    let graph = SdrGraph::for_proof(inputs.proof)?;
    let parent_cache = ParentCache::open_or_generate(parents_dir, &graph)?;
    timings.parent_cache = t.elapsed();

    progress.phase("labels");
    let t = Instant::now();
    let key = label_all_layers(&replica_id, &parent_cache, &params, cache, progress)?;
    timings.labels = t.elapsed();

    progress.phase("tree-c");
    let t = Instant::now();
    write_columns(cache, &params)?;
    let tree_shape = params.tree_r_levels()?;
    let comm_c = TreeFile::build(
        &cache.columns(),
        &tree_shape,
        &PoseidonTree,
        &cache.tree_c(),
    )?
    .root();
    timings.tree_c = t.elapsed();

    progress.phase("encode");
    let t = Instant::now();
    encode(unsealed, &key, replica)?;
    drop(key);
    timings.encode = t.elapsed();

    progress.phase("tree-r");
    let t = Instant::now();
    let comm_r_last = TreeFile::build(replica, &tree_shape, &PoseidonTree, &cache.tree_r())?.root();
    timings.tree_r = t.elapsed();
    let comm_r = comm_r(&comm_c, &comm_r_last)?;

    let mut p_aux = [0u8; 2 * NODE_SIZE];
    p_aux
        .get_mut(..NODE_SIZE)
        .unwrap_or_default()
        .copy_from_slice(&comm_c);
    p_aux
        .get_mut(NODE_SIZE..)
        .unwrap_or_default()
        .copy_from_slice(&comm_r_last);
    write_synced(&cache.p_aux(), &p_aux)?;
    Ok(SealedSector {
        inputs: *inputs,
        replica_id,
        comm_d,
        comm_c,
        comm_r_last,
        comm_r,
        timings,
    })
}

/// Labels every layer, writing each to the cache; returns the last layer (the key).
fn label_all_layers(
    replica_id: &Node,
    parent_cache: &ParentCache,
    params: &SdrParams,
    cache: &SectorCache,
    progress: &mut dyn SealProgress,
) -> Result<Vec<u8>, SealError> {
    let bytes =
        usize::try_from(params.nodes.saturating_mul(NODE_SIZE as u64)).unwrap_or(usize::MAX);
    let mut reader = parent_cache.reader()?;
    let mut prev: Option<Vec<u8>> = None;
    let mut cur = vec![0u8; bytes];
    for layer in 1..=params.layers {
        label_layer(
            replica_id,
            layer,
            &mut reader,
            prev.as_deref(),
            &mut cur,
            &mut |done| progress.layer(layer, done, params.nodes),
        )?;
        write_synced(&cache.layer(layer), &cur)?;
        // The finished layer becomes the previous one; its buffer is reused for the next.
        let next = prev.take().unwrap_or_else(|| vec![0u8; bytes]);
        prev = Some(std::mem::replace(&mut cur, next));
    }
    Ok(prev.unwrap_or_default())
}

/// Writes the TreeC leaves: for each node the Poseidon hash of its labels in every layer.
fn write_columns(cache: &SectorCache, params: &SdrParams) -> Result<(), SealError> {
    let layers: Vec<(PathBuf, File)> = (1..=params.layers)
        .map(|l| {
            let p = cache.layer(l);
            File::open(&p)
                .map(|f| (p.clone(), f))
                .map_err(|e| io_err(&p, e))
        })
        .collect::<Result<_, _>>()?;
    let out_path = cache.columns();
    let mut out = BufWriter::with_capacity(
        1 << 20,
        File::create(&out_path).map_err(|e| io_err(&out_path, e))?,
    );
    let mut bufs: Vec<Vec<u8>> = layers
        .iter()
        .map(|_| vec![0u8; CHUNK_NODES.saturating_mul(NODE_SIZE)])
        .collect();
    let mut done = 0u64;
    while done < params.nodes {
        let n = params.nodes.saturating_sub(done).min(CHUNK_NODES as u64) as usize;
        let at = done.saturating_mul(NODE_SIZE as u64);
        for ((path, file), buf) in layers.iter().zip(bufs.iter_mut()) {
            let chunk = buf
                .get_mut(..n.saturating_mul(NODE_SIZE))
                .unwrap_or_default();
            file.read_exact_at(chunk, at).map_err(|e| io_err(path, e))?;
        }
        let mut hashes = vec![[0u8; NODE_SIZE]; n];
        hashes
            .par_chunks_mut(TASK_COLUMNS)
            .enumerate()
            .try_for_each(|(task, out)| {
                let first = task.saturating_mul(TASK_COLUMNS);
                let mut columns = Vec::with_capacity(
                    out.len()
                        .saturating_mul(bufs.len())
                        .saturating_mul(NODE_SIZE),
                );
                for i in first..first.saturating_add(out.len()) {
                    let start = i.saturating_mul(NODE_SIZE);
                    for layer in &bufs {
                        let label = layer.get(start..start.saturating_add(NODE_SIZE));
                        columns.extend_from_slice(label.unwrap_or(&[0u8; NODE_SIZE]));
                    }
                }
                hash_node_bytes_many(bufs.len(), &columns, out)
            })?;
        for h in &hashes {
            out.write_all(h).map_err(|e| io_err(&out_path, e))?;
        }
        done = done.saturating_add(n as u64);
    }
    let file = out
        .into_inner()
        .map_err(|e| io_err(&out_path, e.into_error()))?;
    file.sync_all().map_err(|e| io_err(&out_path, e))
}

/// Writes the replica: each unsealed node plus the key's node, in the field.
fn encode(unsealed: &Path, key: &[u8], replica: &Path) -> Result<(), SealError> {
    let input = File::open(unsealed).map_err(|e| io_err(unsealed, e))?;
    let tmp = replica.with_extension("tmp");
    let mut out =
        BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(|e| io_err(&tmp, e))?);
    let mut buf = vec![0u8; CHUNK_NODES.saturating_mul(NODE_SIZE)];
    for (i, key_chunk) in key.chunks(buf.len()).enumerate() {
        let data = buf.get_mut(..key_chunk.len()).unwrap_or_default();
        let at = (i as u64)
            .saturating_mul(CHUNK_NODES as u64)
            .saturating_mul(NODE_SIZE as u64);
        input
            .read_exact_at(data, at)
            .map_err(|e| io_err(unsealed, e))?;
        fr_add_assign_nodes(data, key_chunk).map_err(SealError::NotFr32)?;
        out.write_all(data).map_err(|e| io_err(&tmp, e))?;
    }
    let file = out.into_inner().map_err(|e| io_err(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, replica).map_err(|e| io_err(replica, e))
}

/// Writes a whole file under a temporary name, fsyncs it and renames it into place.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SealError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
    f.sync_all().map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}
