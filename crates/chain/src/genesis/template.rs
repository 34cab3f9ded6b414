//! The genesis template as a JSON file: [`GenesisTemplate::from_json`] reads the text form
//! (addresses with their network prefix and checksum, CIDs as text), [`read_template`] and
//! [`write_template`] move it to and from disk (the write is atomic). The format is in
//! `docs/GENESIS.md`.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use cid::Cid;
use cid::multibase::Base;
use flowcoin_types::address::AddressParseError;
use flowcoin_types::{Address, Network, SectorSize};
use serde::{Deserialize, Serialize};

use super::car::{commit_temp, temp_path};
use super::{GenesisMinerTemplate, GenesisSectorTemplate, GenesisTemplate, network_from_name};

/// The largest template file read (a template with 256 miners of 40 sectors each is about
/// 3 MiB).
pub const MAX_TEMPLATE_BYTES: u64 = 4 << 20;

/// Why a template file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The file could not be read.
    #[error("reading the template {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("writing the template {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The output path has no file name.
    #[error("{path} is not a file path (give a name such as template.json)")]
    NotAFilePath {
        /// The path given.
        path: PathBuf,
    },
    /// The file is larger than any template.
    #[error("the template is larger than {MAX_TEMPLATE_BYTES} bytes (is this a genesis template?)")]
    TooLarge,
    /// The text is not JSON of the template's shape.
    #[error(
        "not a genesis template: {0} (expected {{\"network\", \"timestamp\", \"premine\", \"team\", \"super_nodes\", \"miners\"}}, see docs/GENESIS.md)"
    )]
    Json(#[source] serde_json::Error),
    /// The template names a network this build does not know.
    #[error(
        "the template is for network {name:?}, which this build does not know (devnet or mainnet)"
    )]
    UnknownNetwork {
        /// The name in the template.
        name: String,
    },
    /// An address is not a valid address of the template's network.
    #[error("the template's {field} address: {source}")]
    Address {
        /// Which address.
        field: String,
        /// Why it is refused (wrong network prefix, bad checksum, …).
        #[source]
        source: AddressParseError,
    },
    /// A miner's `id` is not an ID address.
    #[error(
        "the template's {field} {text:?} is not an ID address (write the ID the sectors were sealed for, such as {}01000)",
        network.prefix()
    )]
    NotAnIdAddress {
        /// Which field.
        field: String,
        /// The text given.
        text: String,
        /// The template's network.
        network: Network,
    },
    /// A miner's sector size is not a sector size at all.
    #[error(
        "the template's {field} {bytes} is not a sector size (one of 2048, 8388608, 536870912, 34359738368, 68719476736 bytes)"
    )]
    SectorSize {
        /// Which field.
        field: String,
        /// The number given.
        bytes: u64,
    },
    /// A sector commitment is not a CID.
    #[error("the template's {field} {text:?} is not a CID: {reason}")]
    Cid {
        /// Which field.
        field: String,
        /// The text given.
        text: String,
        /// The parser's complaint.
        reason: String,
    },
    /// A peer ID is not base58btc text.
    #[error(
        "the template's {field} {text:?} is not a libp2p peer ID (base58btc text such as 12D3KooW…)"
    )]
    PeerId {
        /// Which field.
        field: String,
        /// The text given.
        text: String,
    },
}

/// The JSON form of [`GenesisTemplate`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    network: String,
    timestamp: u64,
    premine: String,
    team: String,
    super_nodes: Vec<String>,
    // Templates written before genesis miners existed have no list.
    #[serde(default)]
    miners: Vec<MinerFile>,
}

/// The JSON form of [`GenesisMinerTemplate`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinerFile {
    id: String,
    owner: String,
    worker: String,
    sector_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peer_id: Option<String>,
    sectors: Vec<SectorFile>,
}

/// The JSON form of [`GenesisSectorTemplate`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SectorFile {
    sector_number: u64,
    comm_r: String,
    comm_d: String,
    expiration: u64,
}

impl GenesisTemplate {
    /// Reads a template's JSON text. Addresses must carry the prefix of the template's own
    /// network; whether the template can be built is checked by
    /// [`validate`](Self::validate) (and [`build_genesis`](super::build_genesis)).
    pub fn from_json(text: &str) -> Result<Self, TemplateError> {
        if text.len() as u64 > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLarge);
        }
        let file: TemplateFile = serde_json::from_str(text).map_err(TemplateError::Json)?;
        let network =
            network_from_name(&file.network).ok_or_else(|| TemplateError::UnknownNetwork {
                name: file.network.clone(),
            })?;
        let address = |field: &dyn Fn() -> String, text: &str| {
            Address::from_str_checked(text, network).map_err(|source| TemplateError::Address {
                field: field(),
                source,
            })
        };
        let super_nodes = file
            .super_nodes
            .iter()
            .enumerate()
            .map(|(n, text)| address(&|| format!("super node {n}"), text))
            .collect::<Result<_, _>>()?;
        let miners = file
            .miners
            .iter()
            .enumerate()
            .map(|(n, miner)| miner_from_file(network, n, miner))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            network,
            timestamp: file.timestamp,
            premine: address(&|| "premine".to_owned(), &file.premine)?,
            team: address(&|| "team".to_owned(), &file.team)?,
            super_nodes,
            miners,
        })
    }

    /// The template as pretty-printed JSON text, addresses in the text form of its network.
    pub fn to_json(&self) -> Result<String, TemplateError> {
        let text = |address: Address| address.display(self.network).to_string();
        let file = TemplateFile {
            network: self.network.to_string(),
            timestamp: self.timestamp,
            premine: text(self.premine),
            team: text(self.team),
            super_nodes: self.super_nodes.iter().copied().map(text).collect(),
            miners: self
                .miners
                .iter()
                .map(|miner| MinerFile {
                    id: text(Address::Id(miner.id)),
                    owner: text(miner.owner),
                    worker: text(miner.worker),
                    sector_size: miner.sector_size.bytes(),
                    peer_id: (!miner.peer_id.is_empty())
                        .then(|| Base::Base58Btc.encode(&miner.peer_id)),
                    sectors: miner
                        .sectors
                        .iter()
                        .map(|sector| SectorFile {
                            sector_number: sector.sector_number,
                            comm_r: sector.comm_r.to_string(),
                            comm_d: sector.comm_d.to_string(),
                            expiration: sector.expiration,
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut json = serde_json::to_string_pretty(&file).map_err(TemplateError::Json)?;
        json.push('\n');
        Ok(json)
    }
}

/// Reads miner number `n` (from 0) of a template file.
fn miner_from_file(
    network: Network,
    n: usize,
    miner: &MinerFile,
) -> Result<GenesisMinerTemplate, TemplateError> {
    let name = || format!("miner {n}");
    let address = |what: &str, text: &str| {
        Address::from_str_checked(text, network).map_err(|source| TemplateError::Address {
            field: format!("{}'s {what}", name()),
            source,
        })
    };
    let id = address("id", &miner.id)?
        .id()
        .ok_or_else(|| TemplateError::NotAnIdAddress {
            field: format!("{}'s id", name()),
            text: miner.id.clone(),
            network,
        })?;
    let sector_size =
        SectorSize::try_from(miner.sector_size).map_err(|_| TemplateError::SectorSize {
            field: format!("{}'s sector_size", name()),
            bytes: miner.sector_size,
        })?;
    let peer_id = match &miner.peer_id {
        None => Vec::new(),
        Some(text) => Base::Base58Btc
            .decode(text)
            .ok()
            .filter(|bytes| !bytes.is_empty())
            .ok_or_else(|| TemplateError::PeerId {
                field: format!("{}'s peer_id", name()),
                text: text.clone(),
            })?,
    };
    let cid = |field: &str, number: u64, text: &str| {
        Cid::try_from(text).map_err(|e| TemplateError::Cid {
            field: format!("{}'s sector {number} {field}", name()),
            text: text.to_owned(),
            reason: e.to_string(),
        })
    };
    let sectors = miner
        .sectors
        .iter()
        .map(|s| {
            Ok(GenesisSectorTemplate {
                sector_number: s.sector_number,
                comm_r: cid("comm_r", s.sector_number, &s.comm_r)?,
                comm_d: cid("comm_d", s.sector_number, &s.comm_d)?,
                expiration: s.expiration,
            })
        })
        .collect::<Result<_, TemplateError>>()?;
    Ok(GenesisMinerTemplate {
        id,
        owner: address("owner", &miner.owner)?,
        worker: address("worker", &miner.worker)?,
        sector_size,
        peer_id,
        sectors,
    })
}

/// Reads the template file at `path` (at most [`MAX_TEMPLATE_BYTES`]).
pub fn read_template(path: &Path) -> Result<GenesisTemplate, TemplateError> {
    let read = |source| TemplateError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut text = String::new();
    File::open(path)
        .and_then(|f| {
            f.take(MAX_TEMPLATE_BYTES.saturating_add(1))
                .read_to_string(&mut text)
        })
        .map_err(read)?;
    GenesisTemplate::from_json(&text)
}

/// Writes `template` as JSON at `path`: to a temporary file in the same directory, fsynced,
/// then renamed over `path` (a crash leaves the old file or the new one, never half of one).
pub fn write_template(path: &Path, template: &GenesisTemplate) -> Result<(), TemplateError> {
    let json = template.to_json()?;
    let (tmp, dir) = temp_path(path).ok_or_else(|| TemplateError::NotAFilePath {
        path: path.to_path_buf(),
    })?;
    let write = |path: &Path, source| TemplateError::Write {
        path: path.to_path_buf(),
        source,
    };
    let result = File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(json.as_bytes())?;
            file.sync_all()
        })
        .map_err(|e| write(&tmp, e))
        .and_then(|()| commit_temp(&tmp, path, &dir).map_err(|e| write(path, e)));
    if result.is_err() {
        // Best effort: the temporary file is useless now.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
