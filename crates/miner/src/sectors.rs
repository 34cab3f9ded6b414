//! The sector store: a miner's sealed sectors on disk, under `sectors/` in the data
//! directory, one directory per sector:
//!
//! ```text
//! sectors/f0<miner>/<sector number>/
//!   sector.json   public values (format below), written last, atomically
//!   unsealed      the Fr32-padded data (zeros for a committed-capacity sector)
//!   sealed        the replica
//!   cache/        TreeD, TreeC, TreeR, label layers (what flowcoin-proofs writes)
//!   seal-proof    the vanilla seal proof for the recorded seed, once proven
//! ```
//!
//! `sector.json` is the format `flowcoin proofs seal` writes (its fields are hex strings), so a
//! sector sealed by hand or pre-sealed for genesis is adopted by copying its directory here
//! ([`SectorStore::adopt`]).
//!
//! [`SectorStore::check`] is the fault detector: a sector whose replica or TreeR is missing,
//! has the wrong size, or whose recorded CommR is not the one on chain cannot be proven, and
//! the PoSt prover skips it (the chain then marks it faulty).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use flowcoin_proofs::hasher::Node;
use flowcoin_proofs::sdr::commit::prove_seal;
use flowcoin_proofs::sdr::params::{RegisteredSealProof, SealProofVersion};
use flowcoin_proofs::sdr::post::PrivateSector;
use flowcoin_proofs::sdr::seal::{
    NoProgress, SEALED_FORMAT_VERSION, SealInputs, SealTimings, SealedSector, SectorCache, seal,
};
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::prover_id;
use flowcoin_types::SectorSize;
use serde::{Deserialize, Serialize};

/// Why a sector operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SectorError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// `sector.json` is missing or malformed.
    #[error("{path} is not a readable sector description: {reason}")]
    Meta {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Sealing or proving failed.
    #[error("{0}")]
    Proofs(String),
    /// The sector already exists.
    #[error("sector {number} of miner f0{miner} already exists at {path}")]
    Exists {
        /// The miner.
        miner: ActorId,
        /// The sector.
        number: u64,
        /// Its directory.
        path: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SectorError + '_ {
    move |source| SectorError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A sector's public values, as `sector.json` records them (hex for 32-byte values; the
/// same file `flowcoin proofs seal` writes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectorMeta {
    /// `SEALED_FORMAT_VERSION` of flowcoin-proofs.
    pub format_version: u32,
    /// The registered seal proof id (sector size and version).
    pub registered_seal_proof: u64,
    /// The prover id (hex).
    pub prover_id: String,
    /// The miner the prover id was made from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miner_id: Option<u64>,
    /// The sector number.
    pub sector_number: u64,
    /// The seal ticket (hex).
    pub ticket: String,
    /// The chain epoch the ticket was drawn at, when sealed by the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_epoch: Option<u64>,
    /// The interactive seed the seal proof answers (hex; empty until proven).
    pub seed: String,
    /// Bytes of payload in the sector.
    pub data_len: u64,
    /// replica_id (hex).
    pub replica_id: String,
    /// CommD (hex).
    pub comm_d: String,
    /// CommC (hex).
    pub comm_c: String,
    /// CommRLast (hex).
    pub comm_r_last: String,
    /// CommR (hex).
    pub comm_r: String,
    /// CommD as a CID.
    pub comm_d_cid: String,
    /// CommR as a CID.
    pub comm_r_cid: String,
}

fn hex32(text: &str, what: &str) -> Result<Node, String> {
    let bytes = hex::decode(text).map_err(|e| format!("{what} is not hex: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{what} has {} bytes, 32 expected", b.len()))
}

impl SectorMeta {
    /// The proof type.
    pub fn proof(&self) -> Result<RegisteredSealProof, String> {
        RegisteredSealProof::from_id(self.registered_seal_proof).map_err(|e| e.to_string())
    }

    /// The sector size.
    pub fn sector_size(&self) -> Result<SectorSize, String> {
        self.proof().map(|p| p.sector_size())
    }

    /// CommR.
    pub fn comm_r(&self) -> Result<Node, String> {
        hex32(&self.comm_r, "comm_r")
    }

    /// CommD.
    pub fn comm_d(&self) -> Result<Node, String> {
        hex32(&self.comm_d, "comm_d")
    }

    /// The values the proofs need, rebuilt from the file.
    pub fn sealed(&self) -> Result<SealedSector, String> {
        Ok(SealedSector {
            inputs: SealInputs {
                proof: self.proof()?,
                prover_id: hex32(&self.prover_id, "prover_id")?,
                sector_number: self.sector_number,
                ticket: hex32(&self.ticket, "ticket")?,
            },
            replica_id: hex32(&self.replica_id, "replica_id")?,
            comm_d: self.comm_d()?,
            comm_c: hex32(&self.comm_c, "comm_c")?,
            comm_r_last: hex32(&self.comm_r_last, "comm_r_last")?,
            comm_r: self.comm_r()?,
            timings: SealTimings::default(),
        })
    }

    fn from_sealed(sealed: &SealedSector, miner: Option<ActorId>, data_len: u64) -> Self {
        let h = hex::encode;
        Self {
            format_version: SEALED_FORMAT_VERSION,
            registered_seal_proof: sealed.inputs.proof.id(),
            prover_id: h(sealed.inputs.prover_id),
            miner_id: miner,
            sector_number: sealed.inputs.sector_number,
            ticket: h(sealed.inputs.ticket),
            ticket_epoch: None,
            seed: String::new(),
            data_len,
            replica_id: h(sealed.replica_id),
            comm_d: h(sealed.comm_d),
            comm_c: h(sealed.comm_c),
            comm_r_last: h(sealed.comm_r_last),
            comm_r: h(sealed.comm_r),
            comm_d_cid: unsealed_cid(&sealed.comm_d).to_string(),
            comm_r_cid: sealed_cid(&sealed.comm_r).to_string(),
        }
    }

    /// Reads `dir/sector.json`.
    pub fn load(dir: &Path) -> Result<Self, SectorError> {
        let path = dir.join("sector.json");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        serde_json::from_str(&text).map_err(|e| SectorError::Meta {
            path,
            reason: e.to_string(),
        })
    }
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SectorError> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Why a sector cannot be proven (what the fault detector reports).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SectorFault {
    /// The sector's directory or description is missing or unreadable.
    #[error("sector {0}: no readable sector.json")]
    NoMeta(u64),
    /// A file is missing.
    #[error("sector {number}: {file} is missing")]
    Missing {
        /// The sector.
        number: u64,
        /// The file.
        file: &'static str,
    },
    /// A file has the wrong size.
    #[error("sector {number}: {file} has {got} bytes, {expected} expected")]
    Size {
        /// The sector.
        number: u64,
        /// The file.
        file: &'static str,
        /// Its size.
        got: u64,
        /// The size it must have.
        expected: u64,
    },
    /// The recorded CommR is not the chain's.
    #[error("sector {0}: the CommR on disk is not the one on chain")]
    CommR(u64),
    /// The replica's bytes are damaged: its openings do not verify against CommR.
    #[error("sector {0}: the replica is damaged (its openings do not verify)")]
    Corrupt(u64),
}

/// A committed-capacity sector to seal: decided on the chain, sealed away from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PledgeJob {
    /// The miner.
    pub miner: ActorId,
    /// The sector number.
    pub number: u64,
    /// The sector size.
    pub size: SectorSize,
    /// The seal ticket.
    pub ticket: Node,
    /// The chain epoch it was drawn at.
    pub ticket_epoch: u64,
}

/// A miner's sectors on disk.
#[derive(Debug, Clone)]
pub struct SectorStore {
    root: PathBuf,
    parents: PathBuf,
}

impl SectorStore {
    /// The store under `root` (`<repo>/sectors`), with parent caches in `parents`
    /// (`<repo>/cache/parents`).
    pub fn new(root: impl Into<PathBuf>, parents: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            parents: parents.into(),
        }
    }

    /// The directory of sector `number` of `miner`.
    pub fn sector_dir(&self, miner: ActorId, number: u64) -> PathBuf {
        self.root
            .join(format!("f0{miner}"))
            .join(number.to_string())
    }

    /// Seals a committed-capacity (all-zero) sector `number` for `miner` with `ticket`.
    pub fn seal_cc(
        &self,
        miner: ActorId,
        number: u64,
        size: SectorSize,
        ticket: Node,
    ) -> Result<SectorMeta, SectorError> {
        self.seal_cc_at(miner, number, size, ticket, None)
    }

    /// [`seal_cc`](Self::seal_cc), recording the chain epoch the ticket was drawn at.
    pub fn seal_cc_at(
        &self,
        miner: ActorId,
        number: u64,
        size: SectorSize,
        ticket: Node,
        ticket_epoch: Option<u64>,
    ) -> Result<SectorMeta, SectorError> {
        let dir = self.sector_dir(miner, number);
        if dir.join("sector.json").exists() {
            return Err(SectorError::Exists {
                miner,
                number,
                path: dir,
            });
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let unsealed = dir.join("unsealed");
        let file = File::create(&unsealed).map_err(io(&unsealed))?;
        file.set_len(size.bytes()).map_err(io(&unsealed))?;
        file.sync_all().map_err(io(&unsealed))?;
        let inputs = SealInputs {
            proof: RegisteredSealProof::new(size, SealProofVersion::V1_1)
                .map_err(|e| SectorError::Proofs(e.to_string()))?,
            prover_id: prover_id(miner),
            sector_number: number,
            ticket,
        };
        let sealed = seal(
            &inputs,
            &unsealed,
            &dir.join("sealed"),
            &SectorCache::new(dir.join("cache")),
            &self.parents,
            &mut NoProgress,
        )
        .map_err(|e| SectorError::Proofs(e.to_string()))?;
        let meta = SectorMeta {
            ticket_epoch,
            ..SectorMeta::from_sealed(&sealed, Some(miner), 0)
        };
        self.write_meta(&dir, &meta)?;
        Ok(meta)
    }

    fn write_meta(&self, dir: &Path, meta: &SectorMeta) -> Result<(), SectorError> {
        let json = serde_json::to_vec_pretty(meta).map_err(|e| SectorError::Meta {
            path: dir.join("sector.json"),
            reason: e.to_string(),
        })?;
        write_atomic(&dir.join("sector.json"), &json)
    }

    /// Seals the committed-capacity sector `job` describes.
    pub fn seal(&self, job: &PledgeJob) -> Result<SectorMeta, SectorError> {
        self.seal_cc_at(
            job.miner,
            job.number,
            job.size,
            job.ticket,
            Some(job.ticket_epoch),
        )
    }

    /// The description of sector `number`.
    pub fn meta(&self, miner: ActorId, number: u64) -> Result<SectorMeta, SectorError> {
        SectorMeta::load(&self.sector_dir(miner, number))
    }

    /// Proves the seal of sector `number` for `seed`, records the seed and the proof, and
    /// returns the encoded vanilla proof.
    pub fn prove_commit(
        &self,
        miner: ActorId,
        number: u64,
        seed: Node,
    ) -> Result<Vec<u8>, SectorError> {
        let dir = self.sector_dir(miner, number);
        let mut meta = SectorMeta::load(&dir)?;
        let sealed = meta.sealed().map_err(|reason| SectorError::Meta {
            path: dir.join("sector.json"),
            reason,
        })?;
        let proof = prove_seal(
            &sealed,
            &seed,
            &dir.join("unsealed"),
            &dir.join("sealed"),
            &SectorCache::new(dir.join("cache")),
        )
        .map_err(|e| SectorError::Proofs(e.to_string()))?
        .encode();
        write_atomic(&dir.join("seal-proof"), &proof)?;
        meta.seed = hex::encode(seed);
        self.write_meta(&dir, &meta)?;
        Ok(proof)
    }

    /// The numbers of `miner`'s sectors on disk (those with a description), ascending.
    pub fn list(&self, miner: ActorId) -> Result<Vec<u64>, SectorError> {
        let dir = self.root.join(format!("f0{miner}"));
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut numbers = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let number = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(number) = number
                && entry.path().join("sector.json").exists()
            {
                numbers.push(number);
            }
        }
        numbers.sort_unstable();
        Ok(numbers)
    }

    /// Takes a sealed sector directory made elsewhere (`flowcoin proofs seal --miner`, a
    /// genesis pre-seal) into the store, by copying its files. Its prover id must be
    /// `miner`'s.
    pub fn adopt(&self, miner: ActorId, from: &Path) -> Result<SectorMeta, SectorError> {
        let meta = SectorMeta::load(from)?;
        if meta.prover_id != hex::encode(prover_id(miner)) {
            return Err(SectorError::Meta {
                path: from.join("sector.json"),
                reason: format!("it was sealed for another prover id than miner f0{miner}'s"),
            });
        }
        let dir = self.sector_dir(miner, meta.sector_number);
        if dir.join("sector.json").exists() {
            return Err(SectorError::Exists {
                miner,
                number: meta.sector_number,
                path: dir,
            });
        }
        copy_dir(from, &dir)?;
        Ok(meta)
    }

    /// What a prover needs of sector `number`.
    pub fn private_sector(
        &self,
        miner: ActorId,
        number: u64,
    ) -> Result<PrivateSector, SectorError> {
        let dir = self.sector_dir(miner, number);
        let meta = SectorMeta::load(&dir)?;
        let sealed = meta.sealed().map_err(|reason| SectorError::Meta {
            path: dir.join("sector.json"),
            reason,
        })?;
        Ok(PrivateSector {
            sector_number: number,
            replica: dir.join("sealed"),
            tree_r: SectorCache::new(dir.join("cache")).tree_r(),
            comm_c: sealed.comm_c,
            comm_r_last: sealed.comm_r_last,
        })
    }

    /// Checks that sector `number` can be proven against the chain's CommR `comm_r`.
    pub fn check(&self, miner: ActorId, number: u64, comm_r: &Node) -> Result<(), SectorFault> {
        let dir = self.sector_dir(miner, number);
        let meta = SectorMeta::load(&dir).map_err(|_| SectorFault::NoMeta(number))?;
        if meta.comm_r().ok().as_ref() != Some(comm_r) {
            return Err(SectorFault::CommR(number));
        }
        let size = meta
            .sector_size()
            .map_err(|_| SectorFault::NoMeta(number))?;
        let replica = dir.join("sealed");
        let len = |path: &Path, file: &'static str| {
            std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|_| SectorFault::Missing { number, file })
        };
        let got = len(&replica, "the replica")?;
        if got != size.bytes() {
            return Err(SectorFault::Size {
                number,
                file: "the replica",
                got,
                expected: size.bytes(),
            });
        }
        let tree_r = SectorCache::new(dir.join("cache")).tree_r();
        if len(&tree_r, "TreeR")? == 0 {
            return Err(SectorFault::Missing {
                number,
                file: "TreeR",
            });
        }
        Ok(())
    }
}

/// Copies the files of `from` into `to` (one level of subdirectories, as a sector has).
fn copy_dir(from: &Path, to: &Path) -> Result<(), SectorError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    let mut meta_file = None;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else if entry.file_name() == "sector.json" {
            meta_file = Some((path, target));
        } else {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    // The description last, so a half-copied sector has none.
    if let Some((path, target)) = meta_file {
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        write_atomic(&target, &bytes)?;
    }
    Ok(())
}
