//! `flowcoin proofs …`: seal, verify a seal, unseal, and prove and verify PoSt, on files.
//!
//! A sealed sector lives in one directory (`--out` of `seal`): `unsealed` (the Fr32-padded
//! data), `sealed` (the replica), `cache/` (TreeD, labels, TreeC, TreeR, p_aux),
//! `seal-proof` (the vanilla seal-commit proof for the seed) and `sector.json` (its public
//! values). The other commands read that directory.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Subcommand, ValueEnum};
use flowcoin_proofs::fr32::Fr32Writer;
use flowcoin_proofs::sdr::commit::{SealPublicInputs, prove_seal, verify_seal};
use flowcoin_proofs::sdr::params::{
    PoStProofKind, RegisteredPoStProof, RegisteredSealProof, SealProofVersion,
};
use flowcoin_proofs::sdr::post::{
    PostProof, PrivateSector, PublicSector, prove_window, prove_winning, verify_window,
    verify_winning,
};
use flowcoin_proofs::sdr::proof::SealProof;
use flowcoin_proofs::sdr::seal::{SealInputs, SealProgress, SealedSector, SectorCache, seal};
use flowcoin_proofs::sdr::unseal::{UnsealInputs, unseal_range};
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_types::{NetworkAddress, SectorSize, UnpaddedPieceSize};
use indicatif::ProgressBar;
use serde_json::{Value, json};

use crate::progress;
use crate::repo::Repo;
use crate::util::print_json;

/// Proof commands.
#[derive(Debug, Subcommand)]
pub enum ProofsCommand {
    /// Seal data into a sector (PC1, PC2) and prove it for a seed (C1).
    Seal {
        /// Sector size: 2KiB, 8MiB, 512MiB, 32GiB or 64GiB.
        #[arg(long)]
        sector_size: SectorSize,
        /// Prover id, 32 bytes as 64 hex digits (or give --miner).
        #[arg(long, required_unless_present = "miner", conflicts_with = "miner")]
        prover_id: Option<String>,
        /// The miner the sector is for, by ID: t01000, f01000 or 1000. Its prover id is the
        /// ID's LEB128 bytes zero-padded to 32, which the chain checks; genesis miners are
        /// 1000, 1001, … in template order.
        #[arg(long, value_name = "ID")]
        miner: Option<String>,
        /// Sector number.
        #[arg(long)]
        sector_number: u64,
        /// Sealing ticket, 32 bytes hex.
        #[arg(long)]
        ticket: String,
        /// Interactive seed, 32 bytes hex.
        #[arg(long)]
        seed: String,
        /// The data to seal (at most the sector's capacity; zero-filled to it).
        #[arg(long)]
        data: PathBuf,
        /// Directory for the sector (created; must not hold a sector already).
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify a sector's seal proof against its public values.
    VerifySeal {
        /// The sector directory (its sector.json and seal-proof).
        #[arg(long)]
        sector: PathBuf,
        /// Verify this proof file instead of the directory's seal-proof.
        #[arg(long)]
        proof: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recover the original data (or a byte range of it) from a sealed sector.
    Unseal {
        /// The sector directory.
        #[arg(long)]
        sector: PathBuf,
        /// Output file ("-" for stdout).
        #[arg(short, long)]
        output: PathBuf,
        /// First byte of the original data.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Bytes to recover (default: the data length recorded at sealing).
        #[arg(long)]
        length: Option<u64>,
        /// Ignore the labels in the sector's cache and regenerate the key.
        #[arg(long)]
        no_cache: bool,
    },
    /// Prove Winning or Window PoSt over sealed sectors.
    Post {
        /// Which proof.
        #[arg(long, value_enum)]
        kind: PostKind,
        /// Randomness, 32 bytes hex.
        #[arg(long)]
        randomness: String,
        /// Sector directories: the sector set (Winning) or the partition (Window), in order.
        #[arg(long, required = true, num_args = 1..)]
        sectors: Vec<PathBuf>,
        /// Sector numbers declared faulty (Window PoSt skips them).
        #[arg(long, value_delimiter = ',')]
        faulty: Vec<u64>,
        /// Proof file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify a Winning or Window PoSt proof.
    VerifyPost {
        /// Which proof.
        #[arg(long, value_enum)]
        kind: PostKind,
        /// Randomness, 32 bytes hex.
        #[arg(long)]
        randomness: String,
        /// Sector directories (only their public sector.json is read), in order.
        #[arg(long, required = true, num_args = 1..)]
        sectors: Vec<PathBuf>,
        /// The proof file.
        #[arg(long)]
        proof: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Kinds of PoSt.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PostKind {
    /// One sector drawn from the set, 66 leaves.
    Winning,
    /// Every sector of a partition, 10 leaves each.
    Window,
}

/// Runs a proofs command.
pub fn run(repo: &Repo, cmd: ProofsCommand) -> anyhow::Result<()> {
    match cmd {
        ProofsCommand::Seal {
            sector_size,
            prover_id,
            miner,
            sector_number,
            ticket,
            seed,
            data,
            out,
            json,
        } => {
            let (prover_id, miner_id) = match (prover_id, miner) {
                (_, Some(miner)) => {
                    let id = parse_miner_id(&miner)?;
                    (flowcoin_state::actor::miner::prover_id(id), Some(id))
                }
                (Some(hex), None) => (hex32(&hex, "--prover-id")?, None),
                (None, None) => bail!("give the sector's --miner ID or its --prover-id"),
            };
            let inputs = SealInputs {
                proof: RegisteredSealProof::new(sector_size, SealProofVersion::V1_1)?,
                prover_id,
                sector_number,
                ticket: hex32(&ticket, "--ticket")?,
            };
            let seed = hex32(&seed, "--seed")?;
            let report = seal_cmd(repo, &inputs, miner_id, &seed, &data, &out)?;
            if json {
                print_json(&report)
            } else {
                print_report(&report);
                Ok(())
            }
        }
        ProofsCommand::VerifySeal {
            sector,
            proof,
            json,
        } => {
            let meta = SectorMeta::load(&sector)?;
            let path = proof.unwrap_or_else(|| sector.join("seal-proof"));
            let decoded = read_seal_proof(&path)?;
            let t = Instant::now();
            let result = verify_seal(&meta.public()?, &decoded);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if json {
                print_json(
                    &json!({"valid": result.is_ok(), "error": result.as_ref().err().map(ToString::to_string), "verify_ms": ms}),
                )?;
            } else if result.is_ok() {
                println!(
                    "seal proof of sector {} is valid ({ms:.1} ms)",
                    meta.sector_number
                );
            }
            result.map_err(|e| anyhow::anyhow!("the seal proof is invalid: {e}"))
        }
        ProofsCommand::Unseal {
            sector,
            output,
            offset,
            length,
            no_cache,
        } => {
            let meta = SectorMeta::load(&sector)?;
            let length = length.unwrap_or(meta.data_len.saturating_sub(offset));
            let cache = SectorCache::new(sector.join("cache"));
            let bar = progress::bytes(0, "relabeling");
            let mut on_progress = |layer: u32, done: u64| {
                bar.set_length(meta.nodes());
                bar.set_message(format!("unseal: layer {layer}"));
                bar.set_position(done);
            };
            let write = |out: &mut dyn Write, on_progress: &mut dyn FnMut(u32, u64)| {
                unseal_range(
                    &meta.unseal_inputs()?,
                    &sector.join("sealed"),
                    (!no_cache).then_some(&cache),
                    &parents_dir(repo),
                    offset,
                    length,
                    out,
                    on_progress,
                )
                .context("unsealing failed")
            };
            if output == Path::new("-") {
                let stdout = std::io::stdout();
                let mut out = BufWriter::new(stdout.lock());
                write(&mut out, &mut on_progress)?;
                out.flush()?;
            } else {
                let mut out = BufWriter::new(
                    File::create(&output)
                        .with_context(|| format!("cannot create {}", output.display()))?,
                );
                write(&mut out, &mut on_progress)?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            }
            bar.finish_and_clear();
            Ok(())
        }
        ProofsCommand::Post {
            kind,
            randomness,
            sectors,
            faulty,
            output,
            json,
        } => {
            let randomness = hex32(&randomness, "--randomness")?;
            let metas = sectors
                .iter()
                .map(|d| SectorMeta::load(d))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let first = metas.first().context("no sectors given")?;
            let private: Vec<PrivateSector> = metas
                .iter()
                .zip(&sectors)
                .map(|(m, d)| {
                    Ok(PrivateSector {
                        sector_number: m.sector_number,
                        replica: d.join("sealed"),
                        tree_r: d.join("cache").join("tree-r"),
                        comm_c: hex32(&m.comm_c, "comm_c")?,
                        comm_r_last: hex32(&m.comm_r_last, "comm_r_last")?,
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            let t = Instant::now();
            let (proof, window) = match kind {
                PostKind::Winning => (
                    prove_winning(
                        post_proof(first.sector_size()?, PoStProofKind::Winning)?,
                        &hex32(&first.prover_id, "prover_id")?,
                        &randomness,
                        &private,
                    )?,
                    false,
                ),
                PostKind::Window => (
                    prove_window(
                        post_proof(first.sector_size()?, PoStProofKind::WindowV1_1)?,
                        &randomness,
                        &private,
                        &faulty,
                    )?,
                    true,
                ),
            };
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let bytes = proof.encode(window);
            write_file(&output, &bytes)?;
            let proven: Vec<u64> = proof.sectors.iter().map(|s| s.sector_number).collect();
            if json {
                return print_json(
                    &json!({"proven": proven, "skipped": proof.skipped, "proof_bytes": bytes.len(), "prove_ms": ms}),
                );
            }
            println!(
                "proved sectors {proven:?} (skipped {:?}) in {ms:.1} ms; {} bytes written to {}",
                proof.skipped,
                bytes.len(),
                output.display()
            );
            Ok(())
        }
        ProofsCommand::VerifyPost {
            kind,
            randomness,
            sectors,
            proof,
            json,
        } => {
            let randomness = hex32(&randomness, "--randomness")?;
            let metas = sectors
                .iter()
                .map(|d| SectorMeta::load(d))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let first = metas.first().context("no sectors given")?;
            let public: Vec<PublicSector> = metas
                .iter()
                .map(|m| {
                    Ok(PublicSector {
                        sector_number: m.sector_number,
                        comm_r: hex32(&m.comm_r, "comm_r")?,
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            let bytes = std::fs::read(&proof)
                .with_context(|| format!("cannot read {}", proof.display()))?;
            let window = matches!(kind, PostKind::Window);
            let decoded = PostProof::decode(&bytes, window)
                .with_context(|| format!("{} is not a {kind:?} PoSt proof", proof.display()))?;
            let t = Instant::now();
            let result = match kind {
                PostKind::Winning => verify_winning(
                    post_proof(first.sector_size()?, PoStProofKind::Winning)?,
                    &hex32(&first.prover_id, "prover_id")?,
                    &randomness,
                    &public,
                    &decoded,
                ),
                PostKind::Window => verify_window(
                    post_proof(first.sector_size()?, PoStProofKind::WindowV1_1)?,
                    &randomness,
                    &public,
                    &decoded,
                ),
            };
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if json {
                print_json(
                    &json!({"valid": result.is_ok(), "error": result.as_ref().err().map(ToString::to_string), "verify_ms": ms}),
                )?;
            } else if result.is_ok() {
                println!("{kind:?} PoSt proof is valid ({ms:.1} ms)");
            }
            result.map_err(|e| anyhow::anyhow!("the PoSt proof is invalid: {e}"))
        }
    }
}

/// Reads and decodes the seal proof file at `path`.
fn read_seal_proof(path: &Path) -> anyhow::Result<SealProof> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    SealProof::decode(&bytes).with_context(|| format!("{} is not a seal proof", path.display()))
}

/// Reads the sealed sector in `dir` and verifies its seal proof (`dir/seal-proof`) against
/// its public values, as `proofs verify-seal` does; returns the public values.
pub(crate) fn verified_sector(dir: &Path) -> anyhow::Result<(SectorMeta, SealPublicInputs)> {
    let meta = SectorMeta::load(dir)?;
    let public = meta.public()?;
    let proof = read_seal_proof(&dir.join("seal-proof"))?;
    verify_seal(&public, &proof).map_err(|e| {
        anyhow::anyhow!(
            "the seal proof of {} is invalid: {e} (the sector or its proof is damaged: seal it again)",
            dir.display()
        )
    })?;
    Ok((meta, public))
}

/// Reads a miner ID: an ID address of either network (`t01000`, `f01000`) or the bare ID.
pub(crate) fn parse_miner_id(text: &str) -> anyhow::Result<u64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .with_context(|| format!("--miner {text:?} is larger than any actor ID"));
    }
    let parsed: NetworkAddress = text.parse().with_context(|| {
        format!("--miner {text:?} is not a miner ID (write t01000, f01000 or 1000)")
    })?;
    parsed.address.id().with_context(|| {
        format!(
            "--miner {text:?} is a key or actor address; the prover id comes from the miner's ID address (t01000, f01000 or 1000)"
        )
    })
}

fn post_proof(size: SectorSize, kind: PoStProofKind) -> anyhow::Result<RegisteredPoStProof> {
    Ok(RegisteredPoStProof::new(size, kind)?)
}

/// Where parent caches live: `$FLOWCOIN_PATH/cache/parents`.
fn parents_dir(repo: &Repo) -> PathBuf {
    repo.root().join("cache").join("parents")
}

/// Parses 32 bytes of hex.
fn hex32(text: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(text.trim_start_matches("0x"))
        .with_context(|| format!("{what}: {text:?} is not hex"))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        anyhow::anyhow!("{what}: {} bytes given, 32 needed (64 hex digits)", b.len())
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// A sector's public values, as `sector.json` records them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SectorMeta {
    format_version: u32,
    registered_seal_proof: u64,
    prover_id: String,
    /// The miner ID the prover id was made from, when sealed with `--miner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) miner_id: Option<u64>,
    pub(crate) sector_number: u64,
    ticket: String,
    seed: String,
    data_len: u64,
    replica_id: String,
    comm_d: String,
    comm_c: String,
    comm_r_last: String,
    comm_r: String,
    comm_d_cid: String,
    comm_r_cid: String,
}

impl SectorMeta {
    fn load(dir: &Path) -> anyhow::Result<SectorMeta> {
        let path = dir.join("sector.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} is not a sealed sector directory (no readable sector.json)",
                dir.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is corrupt", path.display()))
    }
    fn proof(&self) -> anyhow::Result<RegisteredSealProof> {
        Ok(RegisteredSealProof::from_id(self.registered_seal_proof)?)
    }
    pub(crate) fn sector_size(&self) -> anyhow::Result<SectorSize> {
        Ok(self.proof()?.sector_size())
    }
    fn nodes(&self) -> u64 {
        self.sector_size().map_or(0, |s| s.bytes() / 32)
    }
    fn public(&self) -> anyhow::Result<SealPublicInputs> {
        Ok(SealPublicInputs {
            proof: self.proof()?,
            prover_id: hex32(&self.prover_id, "prover_id")?,
            sector_number: self.sector_number,
            ticket: hex32(&self.ticket, "ticket")?,
            seed: hex32(&self.seed, "seed")?,
            comm_d: hex32(&self.comm_d, "comm_d")?,
            comm_r: hex32(&self.comm_r, "comm_r")?,
        })
    }
    fn unseal_inputs(&self) -> anyhow::Result<UnsealInputs> {
        Ok(UnsealInputs {
            proof: self.proof()?,
            prover_id: hex32(&self.prover_id, "prover_id")?,
            sector_number: self.sector_number,
            ticket: hex32(&self.ticket, "ticket")?,
            comm_d: hex32(&self.comm_d, "comm_d")?,
        })
    }
}

/// Progress bars for sealing: one bar per label layer, a message per phase.
struct Bars {
    bar: ProgressBar,
    layers: u32,
}

impl SealProgress for Bars {
    fn phase(&mut self, name: &str) {
        self.bar.set_message(name.to_owned());
    }
    fn layer(&mut self, layer: u32, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar
            .set_message(format!("labels: layer {layer}/{}", self.layers));
        self.bar.set_position(done);
    }
}

/// Writes the Fr32-padded sector: the data, zero-filled to the sector's capacity.
fn write_unsealed(data: &Path, size: SectorSize, out: &Path) -> anyhow::Result<u64> {
    let capacity = u64::from(UnpaddedPieceSize::from(size.padded_piece_size()));
    let len = std::fs::metadata(data)
        .with_context(|| format!("cannot read {}", data.display()))?
        .len();
    if len > capacity {
        bail!(
            "{} is {len} bytes, more than a {size} sector holds ({capacity} bytes of data)",
            data.display()
        );
    }
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = Fr32Writer::pad(BufWriter::with_capacity(1 << 20, file));
    std::io::copy(&mut File::open(data)?.take(len), &mut w)?;
    std::io::copy(&mut std::io::repeat(0).take(capacity - len), &mut w)?;
    let inner = w.finish()?.into_inner().map_err(|e| e.into_error())?;
    inner.sync_all()?;
    Ok(len)
}

fn seal_cmd(
    repo: &Repo,
    inputs: &SealInputs,
    miner_id: Option<u64>,
    seed: &[u8; 32],
    data: &Path,
    out: &Path,
) -> anyhow::Result<Value> {
    if out.join("sector.json").exists() {
        bail!(
            "{} already holds a sealed sector (choose another --out)",
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let size = inputs.proof.sector_size();
    let t = Instant::now();
    let unsealed = out.join("unsealed");
    let data_len = write_unsealed(data, size, &unsealed)?;
    let add_piece = t.elapsed();
    let replica = out.join("sealed");
    let cache = SectorCache::new(out.join("cache"));
    let layers = flowcoin_proofs::sdr::params::SdrParams::for_sector(size)?.layers;
    let mut bars = Bars {
        bar: progress::bytes(0, "sealing"),
        layers,
    };
    bars.bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} nodes eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let sealed: SealedSector = seal(
        inputs,
        &unsealed,
        &replica,
        &cache,
        &parents_dir(repo),
        &mut bars,
    )
    .context("sealing failed")?;
    bars.bar.set_message("commit");
    let t = Instant::now();
    let proof = prove_seal(&sealed, seed, &unsealed, &replica, &cache)
        .context("proving the seal failed")?;
    let commit = t.elapsed();
    bars.bar.finish_and_clear();
    let proof_bytes = proof.encode();
    write_file(&out.join("seal-proof"), &proof_bytes)?;
    let hex = hex::encode;
    let meta = SectorMeta {
        format_version: flowcoin_proofs::sdr::seal::SEALED_FORMAT_VERSION,
        registered_seal_proof: inputs.proof.id(),
        prover_id: hex(inputs.prover_id),
        miner_id,
        sector_number: inputs.sector_number,
        ticket: hex(inputs.ticket),
        seed: hex(*seed),
        data_len,
        replica_id: hex(sealed.replica_id),
        comm_d: hex(sealed.comm_d),
        comm_c: hex(sealed.comm_c),
        comm_r_last: hex(sealed.comm_r_last),
        comm_r: hex(sealed.comm_r),
        comm_d_cid: unsealed_cid(&sealed.comm_d).to_string(),
        comm_r_cid: sealed_cid(&sealed.comm_r).to_string(),
    };
    write_file(&out.join("sector.json"), &serde_json::to_vec_pretty(&meta)?)?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let t = &sealed.timings;
    let pc1 = t.parent_cache + t.labels;
    let pc2 = t.tree_c + t.encode + t.tree_r;
    Ok(json!({
        "sector_size": size.bytes(),
        "sector_number": inputs.sector_number,
        "prover_id": meta.prover_id,
        "miner_id": miner_id,
        "comm_d": meta.comm_d,
        "comm_r": meta.comm_r,
        "comm_c": meta.comm_c,
        "comm_r_last": meta.comm_r_last,
        "replica_id": meta.replica_id,
        "comm_d_cid": meta.comm_d_cid,
        "comm_r_cid": meta.comm_r_cid,
        "proof_bytes": proof_bytes.len(),
        "timings_ms": {
            "add_piece": ms(add_piece),
            "tree_d": ms(t.tree_d),
            "parent_cache": ms(t.parent_cache),
            "labels": ms(t.labels),
            "pc1": ms(pc1),
            "tree_c": ms(t.tree_c),
            "encode": ms(t.encode),
            "tree_r": ms(t.tree_r),
            "pc2": ms(pc2 + t.tree_d),
            "commit": ms(commit),
        },
    }))
}

fn print_report(r: &Value) {
    match r["miner_id"].as_u64() {
        Some(miner) => println!(
            "sealed sector {} ({} bytes) for miner ID {miner}",
            r["sector_number"], r["sector_size"]
        ),
        None => println!(
            "sealed sector {} ({} bytes)",
            r["sector_number"], r["sector_size"]
        ),
    }
    println!(
        "comm_d  {}  {}",
        r["comm_d"].as_str().unwrap_or_default(),
        r["comm_d_cid"].as_str().unwrap_or_default()
    );
    println!(
        "comm_r  {}  {}",
        r["comm_r"].as_str().unwrap_or_default(),
        r["comm_r_cid"].as_str().unwrap_or_default()
    );
    let t = &r["timings_ms"];
    println!(
        "PC1 {:.0} ms (labels {:.0}), PC2 {:.0} ms (TreeD {:.0}, TreeC {:.0}, encode {:.0}, TreeR {:.0}), commit {:.0} ms; proof {} bytes",
        t["pc1"].as_f64().unwrap_or(0.0),
        t["labels"].as_f64().unwrap_or(0.0),
        t["pc2"].as_f64().unwrap_or(0.0),
        t["tree_d"].as_f64().unwrap_or(0.0),
        t["tree_c"].as_f64().unwrap_or(0.0),
        t["encode"].as_f64().unwrap_or(0.0),
        t["tree_r"].as_f64().unwrap_or(0.0),
        t["commit"].as_f64().unwrap_or(0.0),
        r["proof_bytes"]
    );
}
