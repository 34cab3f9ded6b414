//! Importing CARs into the persistent store, and checking CARs without storing them.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use cid::Cid;

use super::read::{CarError, CarHeader, CarReader};
use crate::dagpb::PbNode;
use crate::hash::{DAG_PB, RAW};
use crate::links::links;
use crate::store::{BlockSink, DiskStore, PinInfo, PinKind, StoreError, now_secs};
use crate::unixfs::{DataType, UnixFsData};

/// Why a CAR import was refused. Nothing of a refused import is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CarImportError {
    /// A CAR is malformed or a block does not match its CID.
    #[error("{file}: {source}")]
    Car {
        /// The CAR file.
        file: String,
        /// What is wrong, with its offset.
        #[source]
        source: CarError,
    },
    /// A block could not be stored or decoded.
    #[error("{file}: block {cid} at byte {offset}: {source}")]
    Block {
        /// The CAR file.
        file: String,
        /// The block.
        cid: Cid,
        /// Offset of its section.
        offset: u64,
        /// The store's complaint.
        #[source]
        source: StoreError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No CAR named a root.
    #[error("the CAR lists no roots, so nothing would be pinned (flowcoin keeps only pinned data)")]
    NoRoots,
    /// A block reachable from a root is in neither the CARs nor the store.
    #[error(
        "incomplete DAG: block {missing} (reachable from root {root}) is missing; if these CARs are pieces of a split DAG, import all of them in one command"
    )]
    Missing {
        /// The root.
        root: Cid,
        /// The first missing block found.
        missing: Cid,
    },
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarImportReport {
    /// Roots pinned.
    pub roots: Vec<Cid>,
    /// Blocks read from the CARs.
    pub blocks: u64,
    /// Blocks the store did not have before.
    pub new_blocks: u64,
    /// Bytes of block data read.
    pub block_bytes: u64,
}

/// Imports CARs (v1 or v2) into `store` in one atomic batch and pins every root listed in their
/// headers. Every block is verified against its CID; every root's DAG must be complete in the
/// union of the CARs and the store. On any error nothing is kept.
pub fn import_cars<R: Read>(
    store: &DiskStore,
    inputs: Vec<(String, R)>,
) -> Result<CarImportReport, CarImportError> {
    let mut batch = store.batch()?;
    let mut roots: Vec<(Cid, String)> = Vec::new();
    let mut root_blocks: HashMap<Cid, Vec<u8>> = HashMap::new();
    let mut sizes: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut report = CarImportReport {
        roots: Vec::new(),
        blocks: 0,
        new_blocks: 0,
        block_bytes: 0,
    };
    for (file, input) in inputs {
        let mut reader = CarReader::new(input).map_err(|source| CarImportError::Car {
            file: file.clone(),
            source,
        })?;
        let header_roots = reader.header().roots.clone();
        for r in &header_roots {
            if !roots.iter().any(|(c, _)| c == r) {
                roots.push((*r, file.clone()));
            }
        }
        while let Some((cid, data, offset)) =
            reader.next_block().map_err(|source| CarImportError::Car {
                file: file.clone(),
                source,
            })?
        {
            report.blocks = report.blocks.saturating_add(1);
            report.block_bytes = report.block_bytes.saturating_add(data.len() as u64);
            sizes.insert(cid.hash().to_bytes(), data.len() as u64);
            if header_roots.contains(&cid) || roots.iter().any(|(c, _)| *c == cid) {
                root_blocks.insert(cid, data.clone());
            }
            batch
                .put(&cid, &data)
                .map_err(|source| CarImportError::Block {
                    file: file.clone(),
                    cid,
                    offset,
                    source,
                })?;
        }
    }
    if roots.is_empty() {
        return Err(CarImportError::NoRoots);
    }
    report.new_blocks = batch.new_blocks() as u64;
    for (root, file) in &roots {
        let dag_size = check_complete(&batch, root, &sizes, store)?;
        let (kind, size) = describe(
            root,
            root_blocks.get(root).map(Vec::as_slice),
            store,
            dag_size,
        )?;
        batch.pin(
            *root,
            PinInfo {
                name: file.clone(),
                kind,
                size,
                dag_size,
                created: now_secs(),
            },
        );
        report.roots.push(*root);
    }
    batch.commit()?;
    Ok(report)
}

/// Walks the DAG under `root` through the batch's link index; returns its size in bytes.
fn check_complete(
    batch: &crate::store::ImportBatch<'_>,
    root: &Cid,
    sizes: &HashMap<Vec<u8>, u64>,
    store: &DiskStore,
) -> Result<u64, CarImportError> {
    let mut seen = HashSet::new();
    let mut stack = vec![*root];
    let mut total = 0u64;
    while let Some(cid) = stack.pop() {
        if !seen.insert(cid.hash().to_bytes()) {
            continue;
        }
        let Some(children) = batch.links_of(&cid)? else {
            return Err(CarImportError::Missing {
                root: *root,
                missing: cid,
            });
        };
        let size = match sizes.get(&cid.hash().to_bytes()) {
            Some(&s) => s,
            None => store.block_len(&cid)?.unwrap_or(0),
        };
        total = total.saturating_add(size);
        stack.extend(children);
    }
    Ok(total)
}

/// Pin kind and content size of a root, from its block.
fn describe(
    root: &Cid,
    block: Option<&[u8]>,
    store: &DiskStore,
    dag_size: u64,
) -> Result<(PinKind, u64), StoreError> {
    use crate::store::Blockstore;
    let owned;
    let data = match block {
        Some(b) => b,
        None => {
            owned = store.get_required(root)?;
            &owned
        }
    };
    Ok(match root.codec() {
        RAW => (PinKind::File, data.len() as u64),
        DAG_PB => match PbNode::decode(data)
            .ok()
            .and_then(|n| n.data)
            .and_then(|d| UnixFsData::decode(&d).ok())
        {
            Some(u) if u.kind == DataType::File || u.kind == DataType::Raw => {
                (PinKind::File, u.filesize.unwrap_or(dag_size))
            }
            Some(u) if u.kind == DataType::Directory || u.kind == DataType::HamtShard => {
                (PinKind::Directory, dag_size)
            }
            Some(u) if u.kind == DataType::Symlink => (PinKind::Symlink, 0),
            _ => (PinKind::Dag, dag_size),
        },
        _ => (PinKind::Dag, dag_size),
    })
}

/// What [`inspect`] found in a CAR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectReport {
    /// CAR version (1 or 2).
    pub version: u8,
    /// Roots in the header.
    pub roots: Vec<Cid>,
    /// Blocks in the file (all verified).
    pub blocks: u64,
    /// Distinct blocks.
    pub distinct_blocks: u64,
    /// Bytes of block data.
    pub block_bytes: u64,
    /// Bytes of the whole file.
    pub file_bytes: u64,
    /// Blocks reachable from the roots that the CAR lacks (empty: the DAG is complete).
    pub missing: Vec<Cid>,
    /// Blocks present but not reachable from any root.
    pub unreachable: u64,
}

/// Reads a whole CAR, verifying every block hash, and checks that the DAG under its roots is
/// complete. Malformed input is an error naming the offset; an incomplete DAG is reported in
/// [`InspectReport::missing`] (up to 100 CIDs).
pub fn inspect<R: Read>(input: R) -> Result<InspectReport, CarError> {
    let mut reader = CarReader::new(input)?;
    let header: CarHeader = reader.header().clone();
    let mut graph: HashMap<Vec<u8>, Vec<Cid>> = HashMap::new();
    let mut report = InspectReport {
        version: if header.data_range.is_some() { 2 } else { 1 },
        roots: header.roots.clone(),
        blocks: 0,
        distinct_blocks: 0,
        block_bytes: 0,
        file_bytes: 0,
        missing: Vec::new(),
        unreachable: 0,
    };
    while let Some((cid, data, offset)) = reader.next_block()? {
        report.blocks = report.blocks.saturating_add(1);
        report.block_bytes = report.block_bytes.saturating_add(data.len() as u64);
        let children = links(&cid, &data).map_err(|e| CarError {
            offset,
            reason: e.to_string(),
            source: None,
        })?;
        graph.insert(cid.hash().to_bytes(), children);
    }
    report.file_bytes = reader.position();
    report.distinct_blocks = graph.len() as u64;
    let mut seen = HashSet::new();
    let mut stack = header.roots;
    while let Some(cid) = stack.pop() {
        if cid.hash().code() == crate::hash::IDENTITY {
            continue;
        }
        let k = cid.hash().to_bytes();
        if !seen.insert(k.clone()) {
            continue;
        }
        match graph.get(&k) {
            Some(children) => stack.extend(children.iter().copied()),
            None => {
                if report.missing.len() < 100 {
                    report.missing.push(cid);
                }
            }
        }
    }
    report.unreachable = graph.keys().filter(|k| !seen.contains(*k)).count() as u64;
    Ok(report)
}
