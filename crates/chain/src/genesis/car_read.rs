//! Reading a genesis CARv1 into memory, verifying every block (`flowcoin-dag`'s
//! [`CarReader`], which checks each section's bytes against its CID, BLAKE2b-256 chain objects
//! included).

use std::io::Read;
use std::path::Path;

use cid::Cid;
use flowcoin_dag::car::{CarReader, CarVersion};
use flowcoin_dag::store::MemoryBlockstore;

use super::car::{GenesisCarError, MAX_GENESIS_CAR_BLOCKS, MAX_GENESIS_CAR_BYTES};

/// A genesis CAR loaded into memory.
pub(crate) struct LoadedCar {
    /// The single root.
    pub(crate) root: Cid,
    /// Every block of the file.
    pub(crate) store: MemoryBlockstore,
    /// How many blocks the file holds.
    pub(crate) blocks: u64,
}

/// Reads the CARv1 at `path` (at most [`MAX_GENESIS_CAR_BYTES`] bytes and
/// [`MAX_GENESIS_CAR_BLOCKS`] blocks), checking every block against its CID.
pub(crate) fn load_car(path: &Path) -> Result<LoadedCar, GenesisCarError> {
    let read_err = |source| GenesisCarError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_GENESIS_CAR_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_GENESIS_CAR_BYTES {
        return Err(GenesisCarError::TooLarge {
            what: "bytes",
            limit: MAX_GENESIS_CAR_BYTES,
        });
    }
    let reader = CarReader::new(bytes.as_slice()).map_err(|source| GenesisCarError::Car {
        path: path.to_path_buf(),
        source,
    })?;
    if reader.header().version != CarVersion::V1 {
        return Err(malformed(
            path,
            0,
            "a genesis file is a CARv1, this is a CARv2",
        ));
    }
    let root = match reader.header().roots.as_slice() {
        [root] => *root,
        roots => return Err(GenesisCarError::RootCount { count: roots.len() }),
    };
    let mut reader = reader;
    let store = MemoryBlockstore::new();
    let mut blocks = 0u64;
    while let Some((cid, data, _offset)) =
        reader.next_block().map_err(|source| GenesisCarError::Car {
            path: path.to_path_buf(),
            source,
        })?
    {
        blocks = blocks.saturating_add(1);
        if blocks > MAX_GENESIS_CAR_BLOCKS {
            return Err(GenesisCarError::TooLarge {
                what: "blocks",
                limit: MAX_GENESIS_CAR_BLOCKS,
            });
        }
        store.insert(cid, data);
    }
    Ok(LoadedCar {
        root,
        store,
        blocks,
    })
}

fn malformed(path: &Path, offset: usize, reason: impl Into<String>) -> GenesisCarError {
    GenesisCarError::Malformed {
        path: path.to_path_buf(),
        offset: offset as u64,
        reason: reason.into(),
    }
}
