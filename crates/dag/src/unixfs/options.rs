//! Import options, with Kubo's defaults and limits.

use crate::hash::HashFn;

/// Kubo's default chunk size (`size-262144`).
pub const DEFAULT_CHUNK_SIZE: usize = 262_144;
/// Kubo's largest accepted chunk size (`ChunkSizeLimit`, 1 MiB).
pub const MAX_CHUNK_SIZE: usize = 1_048_576;
/// Kubo's default number of links per file node (boxo `DefaultLinksPerBlock`).
pub const DEFAULT_MAX_LINKS: usize = 174;
/// Kubo's threshold for switching a directory to a HAMT: the estimated directory block size
/// Σ (len(name) + len(cid bytes)), 256 KiB.
pub const DEFAULT_HAMT_THRESHOLD: usize = 262_144;
/// Fanout of the HAMTs Kubo writes.
pub const HAMT_FANOUT: usize = 256;

/// CID version of the nodes an import produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CidVersion {
    /// CIDv0 (base58 `Qm…`), Kubo's default; requires sha2-256.
    #[default]
    V0,
    /// CIDv1 (base32 `bafy…`).
    V1,
}

/// How to turn files into UnixFS DAGs. `Default` is Kubo's default (`ipfs add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// CID version of dag-pb nodes.
    pub cid_version: CidVersion,
    /// Leaves as raw blocks (CIDv1, codec raw) instead of UnixFS dag-pb nodes.
    pub raw_leaves: bool,
    /// Bytes per leaf (fixed-size chunker `size-N`).
    pub chunk_size: usize,
    /// Most links per internal file node.
    pub max_links: usize,
    /// Hash function of every block.
    pub hash: HashFn,
    /// Include hidden files (names starting with `.`) when importing a directory.
    pub hidden: bool,
    /// Wrap the imported file or directory in a directory that names it.
    pub wrap: bool,
    /// Directory size estimate at which a directory becomes a HAMT.
    pub hamt_threshold: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            cid_version: CidVersion::V0,
            raw_leaves: false,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_links: DEFAULT_MAX_LINKS,
            hash: HashFn::Sha2_256,
            hidden: false,
            wrap: false,
            hamt_threshold: DEFAULT_HAMT_THRESHOLD,
        }
    }
}

/// Why a set of options is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// The chunker string is not `size-N`.
    #[error("chunker {0:?} is not supported (use size-N, for example size-262144)")]
    Chunker(String),
    /// Chunk size out of range.
    #[error("chunk size {0} is out of range (use 1 to 1048576 bytes, as Kubo allows)")]
    ChunkSize(usize),
    /// Fewer than two links per node cannot build a tree.
    #[error("max links {0} is too small (use at least 2)")]
    MaxLinks(usize),
    /// CIDv0 only exists for sha2-256.
    #[error("CIDv0 requires sha2-256 (use --cid-version 1 with another hash)")]
    V0Hash,
}

impl ImportOptions {
    /// Kubo's `--cid-version 1` profile: CIDv1 with raw leaves, other settings default.
    pub fn cid_v1() -> Self {
        ImportOptions {
            cid_version: CidVersion::V1,
            raw_leaves: true,
            ..Self::default()
        }
    }

    /// Parses Kubo's chunker syntax (`size-N`) into a chunk size.
    pub fn parse_chunker(spec: &str) -> Result<usize, OptionsError> {
        let n = spec
            .strip_prefix("size-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| OptionsError::Chunker(spec.to_owned()))?;
        if n == 0 || n > MAX_CHUNK_SIZE {
            return Err(OptionsError::ChunkSize(n));
        }
        Ok(n)
    }

    /// Checks the options are consistent.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.chunk_size == 0 || self.chunk_size > MAX_CHUNK_SIZE {
            return Err(OptionsError::ChunkSize(self.chunk_size));
        }
        if self.max_links < 2 {
            return Err(OptionsError::MaxLinks(self.max_links));
        }
        if self.cid_version == CidVersion::V0 && self.hash != HashFn::Sha2_256 {
            return Err(OptionsError::V0Hash);
        }
        Ok(())
    }
}
