//! The on-disk SDR parent cache: every node's 14 parents, generated once per graph and read
//! sequentially by the labeler.
//!
//! # Format
//!
//! `sdr-parents-n<nodes>-<porep_id hex>-api<version>.cache` holds, for node 0, 1, …, N − 1, its
//! [`DEGREE`] parents as `u32` little-endian (6 base, then 8 expander): 56 bytes per node and no
//! header, the same bytes as rust-fil-proofs' cache, so its SHA-256 is the digest Filecoin pins in
//! `parent_cache.json`. The same name with `.sha256` appended holds that digest as 64 lowercase
//! hex digits and a newline.
//!
//! Sizes: 3.5 KiB for 2 KiB sectors, 14 MiB for 8 MiB, 896 MiB for 512 MiB, 56 GiB for 32 GiB
//! and 112 GiB for 64 GiB.
//!
//! # Integrity
//!
//! Both files are written under a temporary name, fsynced and renamed, the cache first, then
//! the digest, then the directory is fsynced: a crash leaves either no digest file (the cache is
//! regenerated) or a complete pair. Before use, the length and the SHA-256 of the cache are
//! checked against the digest file, and against Filecoin's published digest where
//! [`known_digest`] has one, so a truncated, corrupt or mismatched cache is detected and
//! regenerated. That check reads the whole file (1.4 s for 512 MiB sectors; for 32 GiB, 56 GiB of
//! hashing, over a minute). The reader then also checks every parent it hands out against the
//! node count.
//!
//! # Cost
//!
//! Generation computes every node's parents on all rayon threads, in batches of
//! [`GENERATION_BATCH_NODES`] nodes (7 MiB of buffer), each hashed and appended to the file in
//! order: memory stays bounded whatever the sector size (11 MB peak RSS for 512 MiB). The work is
//! about 7.5 µs of CPU per node, almost all of it the 48 BLAKE2b compressions of the expander:
//! on two cores (release), about 1 s for 8 MiB, a minute for 512 MiB and over an hour for
//! 32 GiB (2^30 nodes, not tested).
//!
//! ```
//! use flowcoin_proofs::sdr::cache::ParentCache;
//! use flowcoin_proofs::sdr::graph::SdrGraph;
//! use flowcoin_proofs::sdr::params::{RegisteredSealProof, SealProofVersion};
//! use flowcoin_types::SectorSize;
//!
//! let dir = tempfile::tempdir()?;
//! let proof = RegisteredSealProof::new(SectorSize::Size2KiB, SealProofVersion::V1_1)?;
//! let graph = SdrGraph::for_proof(proof)?;
//! let cache = ParentCache::open_or_generate(dir.path(), &graph)?;
//! let mut reader = cache.reader()?;
//! for node in 0..64 {
//!     assert_eq!(reader.parents(node)?, graph.parents(node)?);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::graph::{DEGREE, GraphError, SdrGraph};
use super::label::{LabelError, ParentSource};
use super::params::{ApiVersion, porep_id};

/// Bytes per node in the cache: [`DEGREE`] `u32` parents.
pub const NODE_BYTES: usize = DEGREE * 4;

/// Nodes computed in parallel, hashed and written per step of generation (7 MiB).
pub const GENERATION_BATCH_NODES: usize = 1 << 17;

/// Nodes per rayon task during generation: small enough to balance two cores at the end of a
/// batch, large enough that task overhead is negligible (~5 ms of work).
const GENERATION_TASK_NODES: usize = 1 << 9;

/// Nodes a reader loads per window by default (7 MiB).
pub const DEFAULT_WINDOW_NODES: usize = 1 << 17;

/// Bytes read at a time when hashing a cache file.
const VERIFY_CHUNK: usize = 8 << 20;

/// Published parent-cache digests (rust-fil-proofs `storage-proofs-porep/parent_cache.json`)
/// reproduced by this implementation: (nodes, registered seal proof id, API version, SHA-256).
/// filecoin-spec §2.3 gives the first three in full and the others as their first and last 8
/// hex digits, which these match (`tests/sdr_graph.rs`).
const KNOWN_DIGESTS: [(u64, u64, ApiVersion, &str); 6] = [
    (
        1 << 6,
        0,
        ApiVersion::V1_0_0,
        "3da49221e2ed55371b86d0bf3d6526fcf128af61bed904f966428db1b531750d",
    ),
    (
        1 << 6,
        5,
        ApiVersion::V1_1_0,
        "840057702eea7652cf97e04306c30fe57174714d90de156a25eddd6075c25b97",
    ),
    (
        1 << 18,
        6,
        ApiVersion::V1_1_0,
        "03cd13565ded97c240a5f52e54295ad127bd0461b57904cb3a4d79b097bbecab",
    ),
    (
        1 << 18,
        1,
        ApiVersion::V1_0_0,
        "a76604f2f59f2744c7151653bbb1d8596b6b57d295e6fa6c1f0c41d725b502ce",
    ),
    (
        1 << 24,
        2,
        ApiVersion::V1_0_0,
        "3adcc092423aa76d6a7184016893406da44dd974b219a89cd3ece25e4e3018f5",
    ),
    (
        1 << 24,
        7,
        ApiVersion::V1_1_0,
        "b5877d1963793efebc261fd8fde4dd6bc59e6b5c7abf52617a4ee023b8dc173a",
    ),
];

/// Filecoin's published digest of the parent cache of `graph`, if it is one of the graphs with
/// a digest this implementation reproduces (Filecoin porep_ids with nonce 0).
pub fn known_digest(graph: &SdrGraph) -> Option<[u8; 32]> {
    KNOWN_DIGESTS
        .iter()
        .find(|(nodes, id, api, _)| {
            *nodes == graph.nodes()
                && *api == graph.api_version()
                && porep_id(*id, 0) == *graph.porep_id()
        })
        .and_then(|(_, _, _, hex)| decode_hex(hex.as_bytes()))
}

/// Why a parent cache could not be opened, generated or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The cache or its digest file is not there (only from [`ParentCache::open`]).
    #[error("no SDR parent cache at {} (generate it with ParentCache::open_or_generate)", path.display())]
    Missing {
        /// The expected cache file.
        path: PathBuf,
    },
    /// The cache does not match its digest, its size or the published digest.
    #[error("the SDR parent cache {} is corrupt: {reason} (delete it to have it regenerated)", path.display())]
    Corrupt {
        /// The cache file.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// A freshly generated cache does not have Filecoin's published digest: a bug or a hardware
    /// fault, not a disk problem. The file is removed.
    #[error(
        "the SDR parent cache generated at {} has SHA-256 {actual}, but Filecoin's is {expected} \
         (the graph code or this machine computes wrong parents; do not seal with it)",
        path.display()
    )]
    WrongDigest {
        /// Where the cache was generated.
        path: PathBuf,
        /// The published digest.
        expected: String,
        /// The digest of what was generated.
        actual: String,
    },
    /// Writing the cache failed (usually no space left).
    #[error(
        "cannot write the SDR parent cache {} ({bytes} bytes, plus its digest): {source}",
        path.display()
    )]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Size of the whole cache.
        bytes: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Reading the cache failed.
    #[error("cannot read the SDR parent cache {}: {source}", path.display())]
    Read {
        /// The file being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The node is not in the cached graph.
    #[error("node {node} is outside the cached SDR graph of {nodes} nodes")]
    NodeOutOfRange {
        /// The requested node.
        node: u64,
        /// Nodes in the graph.
        nodes: u64,
    },
    /// Computing the parents failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// A verified parent cache on disk. Cheap to clone; open as many [`ParentReader`]s as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentCache {
    path: PathBuf,
    nodes: u64,
    digest: [u8; 32],
}

impl ParentCache {
    /// The cache file name of `graph`: node count, porep_id and API version identify the graph.
    pub fn file_name(graph: &SdrGraph) -> String {
        format!(
            "sdr-parents-n{}-{}-api{}.cache",
            graph.nodes(),
            encode_hex(graph.porep_id()),
            graph.api_version()
        )
    }

    /// Opens the cache of `graph` in `dir` after checking it; generates it first (creating `dir`)
    /// when it is missing, truncated, corrupt or unreadable.
    ///
    /// Two processes that find the cache missing at once both generate it; each renames a
    /// complete file into place, so either result is whole (and they are identical).
    pub fn open_or_generate(dir: &Path, graph: &SdrGraph) -> Result<Self, CacheError> {
        Self::open_or_generate_with_progress(dir, graph, |_, _| {})
    }

    /// [`Self::open_or_generate`], calling `progress(done, total)` in nodes while generating.
    pub fn open_or_generate_with_progress(
        dir: &Path,
        graph: &SdrGraph,
        progress: impl FnMut(u64, u64),
    ) -> Result<Self, CacheError> {
        // Missing, corrupt or unreadable: a fresh file is the repair, and if it cannot be
        // written, that error (with the path and size) is the one to report.
        Self::open(dir, graph).or_else(|_| Self::generate_with_progress(dir, graph, progress))
    }

    /// Opens the cache of `graph` in `dir` without generating it: [`CacheError::Missing`] if it
    /// or its digest is absent, [`CacheError::Corrupt`] if it does not match.
    pub fn open(dir: &Path, graph: &SdrGraph) -> Result<Self, CacheError> {
        let path = dir.join(Self::file_name(graph));
        let digest_path = digest_path(&path);
        let corrupt = |reason: String| CacheError::Corrupt {
            path: path.clone(),
            reason,
        };
        let recorded = match fs::read(&digest_path) {
            Ok(text) => parse_digest_file(&text)
                .ok_or_else(|| corrupt(format!("{} is not a digest", digest_path.display())))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CacheError::Missing { path });
            }
            Err(source) => {
                return Err(CacheError::Read {
                    path: digest_path,
                    source,
                });
            }
        };
        if let Some(known) = known_digest(graph).filter(|known| *known != recorded) {
            return Err(corrupt(format!(
                "its digest file says {}, Filecoin's digest is {}",
                encode_hex(&recorded),
                encode_hex(&known)
            )));
        }
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CacheError::Missing { path });
            }
            Err(source) => return Err(CacheError::Read { path, source }),
        };
        let expected_len = cache_bytes(graph.nodes());
        let len = file
            .metadata()
            .map_err(|source| CacheError::Read {
                path: path.clone(),
                source,
            })?
            .len();
        if len != expected_len {
            return Err(corrupt(format!("{len} bytes instead of {expected_len}")));
        }
        let actual = hash_file(file, len).map_err(|source| CacheError::Read {
            path: path.clone(),
            source,
        })?;
        if actual != recorded {
            return Err(corrupt(format!(
                "SHA-256 {} instead of the recorded {}",
                encode_hex(&actual),
                encode_hex(&recorded)
            )));
        }
        Ok(Self {
            path,
            nodes: graph.nodes(),
            digest: actual,
        })
    }

    /// Generates the cache of `graph` in `dir` (creating `dir`), replacing any existing one.
    pub fn generate(dir: &Path, graph: &SdrGraph) -> Result<Self, CacheError> {
        Self::generate_with_progress(dir, graph, |_, _| {})
    }

    /// [`Self::generate`], calling `progress(done, total)` in nodes after every batch.
    pub fn generate_with_progress(
        dir: &Path,
        graph: &SdrGraph,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Self, CacheError> {
        let path = dir.join(Self::file_name(graph));
        let bytes = cache_bytes(graph.nodes());
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source| CacheError::Write {
                path,
                bytes,
                source,
            }
        };
        fs::create_dir_all(dir).map_err(write_error(dir))?;
        let digest = write_atomically(&path, bytes, |file| {
            write_parents(file, graph, &mut progress).map_err(|e| match e {
                WriteFailure::Io(source) => write_error(&path)(source),
                WriteFailure::Graph(e) => CacheError::Graph(e),
            })
        })?;
        if let Some(expected) = known_digest(graph).filter(|known| *known != digest) {
            // Nothing may use a cache that is known to be wrong; removal is best effort.
            let _ = fs::remove_file(&path);
            return Err(CacheError::WrongDigest {
                path,
                expected: encode_hex(&expected),
                actual: encode_hex(&digest),
            });
        }
        let digest_file = digest_path(&path);
        let text = format!("{}\n", encode_hex(&digest));
        write_atomically(&digest_file, bytes, |file| {
            file.write_all(text.as_bytes())
                .map_err(write_error(&digest_file))
        })?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(write_error(dir))?;
        Ok(Self {
            path,
            nodes: graph.nodes(),
            digest,
        })
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Nodes in the cached graph.
    pub const fn nodes(&self) -> u64 {
        self.nodes
    }

    /// SHA-256 of the cache file (checked when it was opened).
    pub const fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// A reader with the default window of [`DEFAULT_WINDOW_NODES`] nodes.
    pub fn reader(&self) -> Result<ParentReader, CacheError> {
        self.reader_with_window(DEFAULT_WINDOW_NODES)
    }

    /// A reader that loads `window_nodes` nodes (at least 1) per read.
    pub fn reader_with_window(&self, window_nodes: usize) -> Result<ParentReader, CacheError> {
        let file = File::open(&self.path).map_err(|source| CacheError::Read {
            path: self.path.clone(),
            source,
        })?;
        let window_nodes = usize::try_from(self.nodes)
            .map_or(window_nodes, |nodes| window_nodes.min(nodes))
            .max(1);
        Ok(ParentReader {
            file,
            path: self.path.clone(),
            nodes: self.nodes,
            window: vec![0; window_nodes.saturating_mul(NODE_BYTES)],
            window_nodes,
            window_start: 0,
            window_len: 0,
            next: 0,
        })
    }
}

/// Reads a parent cache through one reusable window of consecutive nodes: asking for the nodes
/// in order (as the labeler does, layer after layer) costs one large read per window, and any
/// node can be asked for at the price of a reload. Every parent is checked to be < N.
#[derive(Debug)]
pub struct ParentReader {
    file: File,
    path: PathBuf,
    nodes: u64,
    /// `window_nodes · NODE_BYTES` bytes, the first `window_len` nodes valid.
    window: Vec<u8>,
    window_nodes: usize,
    window_start: u64,
    window_len: usize,
    /// The node [`Iterator::next`] yields.
    next: u64,
}

impl ParentReader {
    /// Nodes in the cached graph.
    pub const fn nodes(&self) -> u64 {
        self.nodes
    }

    /// The 14 parents of `node` (6 base, then 8 expander).
    pub fn parents(&mut self, node: u32) -> Result<[u32; DEGREE], CacheError> {
        let node = u64::from(node);
        let offset = match node.checked_sub(self.window_start) {
            Some(offset) if offset < self.window_len as u64 => offset,
            _ => {
                self.load(node)?;
                0
            }
        };
        let start = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_mul(NODE_BYTES))
            .unwrap_or(usize::MAX);
        let bytes = start
            .checked_add(NODE_BYTES)
            .and_then(|end| self.window.get(start..end))
            .ok_or(CacheError::NodeOutOfRange {
                node,
                nodes: self.nodes,
            })?;
        let mut parents = [0u32; DEGREE];
        for (parent, word) in parents.iter_mut().zip(bytes.chunks_exact(4)) {
            let mut le = [0u8; 4];
            le.copy_from_slice(word);
            *parent = u32::from_le_bytes(le);
            if u64::from(*parent) >= self.nodes {
                return Err(CacheError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("node {node} has parent {parent}"),
                });
            }
        }
        Ok(parents)
    }

    /// Makes [`Iterator::next`] continue at `node` (≤ N; N ends the iteration).
    pub fn seek(&mut self, node: u64) -> Result<(), CacheError> {
        if node > self.nodes {
            return Err(CacheError::NodeOutOfRange {
                node,
                nodes: self.nodes,
            });
        }
        self.next = node;
        Ok(())
    }

    /// Loads the window that starts at `node`.
    fn load(&mut self, node: u64) -> Result<(), CacheError> {
        let out_of_range = CacheError::NodeOutOfRange {
            node,
            nodes: self.nodes,
        };
        let remaining = self
            .nodes
            .checked_sub(node)
            .filter(|&n| n > 0)
            .ok_or(out_of_range)?;
        let len =
            usize::try_from(remaining).map_or(self.window_nodes, |r| r.min(self.window_nodes));
        let bytes = len.saturating_mul(NODE_BYTES);
        let read_error = |source| CacheError::Read {
            path: self.path.clone(),
            source,
        };
        // Invalidate first, so a failed read leaves no stale window behind.
        self.window_len = 0;
        let buffer = self
            .window
            .get_mut(..bytes)
            .ok_or_else(|| read_error(io::Error::other("window larger than its buffer")))?;
        self.file
            .seek(SeekFrom::Start(cache_bytes(node)))
            .and_then(|_| self.file.read_exact(buffer))
            .map_err(read_error)?;
        self.window_start = node;
        self.window_len = len;
        Ok(())
    }
}

impl Iterator for ParentReader {
    type Item = Result<[u32; DEGREE], CacheError>;

    /// The parents of the next node, from 0 (or where [`ParentReader::seek`] put it) to N − 1.
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.nodes {
            return None;
        }
        let node = u32::try_from(self.next).ok()?;
        self.next = self.next.saturating_add(1);
        Some(self.parents(node))
    }
}

/// The labeler's view: nodes in order, layer after layer. The reader has random access, so a new
/// layer needs no rewind; the window it holds is reused when the layer starts in it.
impl ParentSource for ParentReader {
    fn parents(&mut self, v: u64) -> Result<[u32; DEGREE], LabelError> {
        let node = u32::try_from(v).map_err(|_| {
            LabelError::Parents(format!("node {v} is outside the cached SDR graph"))
        })?;
        ParentReader::parents(self, node).map_err(|e| LabelError::Parents(e.to_string()))
    }

    fn rewind(&mut self) -> Result<(), LabelError> {
        Ok(())
    }
}

/// Cache size in bytes for `nodes` nodes (at most 2^32 · 56, no overflow).
fn cache_bytes(nodes: u64) -> u64 {
    nodes.saturating_mul(NODE_BYTES as u64)
}

fn digest_path(cache: &Path) -> PathBuf {
    let mut name = cache.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Why writing the parents stopped.
enum WriteFailure {
    Io(io::Error),
    Graph(GraphError),
}

/// Computes all parents of `graph` batch by batch on the rayon pool, appending each batch to
/// `file` and to the running SHA-256.
fn write_parents(
    file: &mut File,
    graph: &SdrGraph,
    progress: &mut impl FnMut(u64, u64),
) -> Result<[u8; 32], WriteFailure> {
    let nodes = graph.nodes();
    let batch_nodes =
        usize::try_from(nodes).map_or(GENERATION_BATCH_NODES, |n| n.min(GENERATION_BATCH_NODES));
    let mut batch = vec![0u8; batch_nodes.saturating_mul(NODE_BYTES)];
    let mut hasher = Sha256::new();
    let mut start = 0u64;
    while start < nodes {
        let count = usize::try_from(nodes.saturating_sub(start))
            .map_or(batch_nodes, |left| left.min(batch_nodes));
        let bytes = batch
            .get_mut(..count.saturating_mul(NODE_BYTES))
            .ok_or_else(|| WriteFailure::Io(io::Error::other("batch larger than its buffer")))?;
        bytes
            .par_chunks_mut(GENERATION_TASK_NODES.saturating_mul(NODE_BYTES))
            .enumerate()
            .try_for_each(|(task, chunk)| {
                let first = start
                    .saturating_add((task as u64).saturating_mul(GENERATION_TASK_NODES as u64));
                fill_parents(graph, first, chunk)
            })
            .map_err(WriteFailure::Graph)?;
        hasher.update(&*bytes);
        file.write_all(bytes).map_err(WriteFailure::Io)?;
        start = start.saturating_add(count as u64);
        progress(start, nodes);
    }
    file.sync_all().map_err(WriteFailure::Io)?;
    Ok(hasher.finalize().into())
}

/// Writes the parents of nodes `first, first + 1, …` into `out`, 56 bytes per node.
fn fill_parents(graph: &SdrGraph, first: u64, out: &mut [u8]) -> Result<(), GraphError> {
    for (node, bytes) in (first..).zip(out.chunks_exact_mut(NODE_BYTES)) {
        let node = u32::try_from(node).map_err(|_| GraphError::NodeOutOfRange {
            node,
            nodes: graph.nodes(),
        })?;
        let parents = graph.parents(node)?;
        for (word, parent) in bytes.chunks_exact_mut(4).zip(parents) {
            word.copy_from_slice(&parent.to_le_bytes());
        }
    }
    Ok(())
}

/// Hashes the first `len` bytes of `file`.
fn hash_file(mut file: File, len: u64) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; VERIFY_CHUNK];
    let mut left = len;
    while left > 0 {
        let take = usize::try_from(left).map_or(VERIFY_CHUNK, |l| l.min(VERIFY_CHUNK));
        let chunk = buffer
            .get_mut(..take)
            .ok_or_else(|| io::Error::other("chunk larger than its buffer"))?;
        file.read_exact(chunk)?;
        hasher.update(&*chunk);
        left = left.saturating_sub(take as u64);
    }
    Ok(hasher.finalize().into())
}

/// Distinguishes the temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates `path` through a temporary file in the same directory that `write` fills; the
/// temporary is fsynced and renamed into place, or removed on failure. `cache_bytes` is the size
/// of the whole cache, for the error message.
fn write_atomically<T>(
    path: &Path,
    cache_bytes: u64,
    write: impl FnOnce(&mut File) -> Result<T, CacheError>,
) -> Result<T, CacheError> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(name);
    let write_error = |source| CacheError::Write {
        path: path.to_owned(),
        bytes: cache_bytes,
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(write_error)?;
    let result = write(&mut file).and_then(|value| {
        file.sync_all().map_err(write_error)?;
        drop(file);
        fs::rename(&tmp, path).map_err(write_error)?;
        Ok(value)
    });
    if result.is_err() {
        // Best effort: the original error is what the caller needs to see.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for &byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

/// 64 lowercase hex digits as 32 bytes.
fn decode_hex(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c.wrapping_sub(b'0')),
            b'a'..=b'f' => Some(c.wrapping_sub(b'a').wrapping_add(10)),
            _ => None,
        };
        let (high, low) = match pair {
            [high, low] => (digit(*high)?, digit(*low)?),
            _ => return None,
        };
        *byte = (high << 4) | low;
    }
    Some(out)
}

/// The digest file's content: 64 hex digits, optionally followed by a newline.
fn parse_digest_file(text: &[u8]) -> Option<[u8; 32]> {
    decode_hex(text.strip_suffix(b"\n").unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(29));
        let text = encode_hex(&bytes);
        assert_eq!(decode_hex(text.as_bytes()), Some(bytes));
        assert_eq!(
            parse_digest_file(format!("{text}\n").as_bytes()),
            Some(bytes)
        );
        assert_eq!(decode_hex(text.to_uppercase().as_bytes()), None);
        assert_eq!(decode_hex(&text.as_bytes()[1..]), None);
    }
}
