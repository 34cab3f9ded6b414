//! `flowcoin bench …`: throughput of import, CID computation and commP on generated data.

use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use clap::Subcommand;
use flowcoin_dag::store::{DiskStore, NullSink, PinInfo, PinKind};
use flowcoin_dag::unixfs::{ImportOptions, import_path};
use serde_json::json;

use crate::util::{human_bytes, print_json};

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import a generated file: CID only (--only-hash) and into a fresh store.
    Import {
        /// File size (e.g. 100MiB).
        #[arg(long, default_value = "100MiB")]
        size: String,
        /// Timed runs of each measurement (the best and the median are reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Seal a sector of generated data (PC1, PC2, commit), then prove and verify Winning PoSt:
    /// phase times and peak memory.
    Seal {
        /// Sector size: 2KiB, 8MiB or 512MiB (32GiB and 64GiB need a production machine).
        #[arg(long, default_value = "8MiB")]
        sector_size: flowcoin_types::SectorSize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// commP of a generated file.
    Commp {
        /// File size (e.g. 100MiB).
        #[arg(long, default_value = "100MiB")]
        size: String,
        /// Timed runs (the best and the median are reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a benchmark.
pub fn run(repo: &crate::repo::Repo, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Seal { sector_size, json } => bench_seal(repo, sector_size, json),
        BenchCommand::Import { size, runs, json } => bench_import(&size, runs, json),
        BenchCommand::Commp { size, runs, json } => bench_commp(&size, runs, json),
    }
}

/// A file of `size` pseudo-random (incompressible) bytes in a temporary directory.
fn generated_file(size: u64) -> anyhow::Result<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("data.bin");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    // xorshift64*: fast, incompressible enough for hashing and storage benchmarks.
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let v = s.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n])?;
        left -= n as u64;
    }
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok((dir, path))
}

fn parse_size(text: &str) -> anyhow::Result<u64> {
    Ok(flowcoin_types::parse_byte_size(text)?)
}

/// Runs `f` `runs` times; returns (best, median) seconds.
fn time_runs(runs: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((times[0], times[times.len() / 2]))
}

fn report(name: &str, size: u64, (best, median): (f64, f64)) -> serde_json::Value {
    let mibs = size as f64 / (1 << 20) as f64 / best;
    json!({"name": name, "bytes": size, "best_s": best, "median_s": median, "best_mib_per_s": mibs})
}

fn print_reports(reports: &[serde_json::Value], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&json!(reports));
    }
    for r in reports {
        println!(
            "{:<28} {:>10}  best {:>8.3} s  median {:>8.3} s  {:>8.0} MiB/s",
            r["name"].as_str().unwrap_or_default(),
            human_bytes(r["bytes"].as_u64().unwrap_or(0)),
            r["best_s"].as_f64().unwrap_or(0.0),
            r["median_s"].as_f64().unwrap_or(0.0),
            r["best_mib_per_s"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}

fn bench_import(size: &str, runs: usize, json: bool) -> anyhow::Result<()> {
    let size = parse_size(size)?;
    let (_dir, path) = generated_file(size)?;
    let mut reports = Vec::new();
    for (name, opts) in [
        ("cid kubo-default", ImportOptions::default()),
        ("cid cid-v1 raw", ImportOptions::cid_v1()),
    ] {
        let t = time_runs(runs, || {
            import_path(&path, &opts, &mut NullSink, &mut |_| {})?;
            Ok(())
        })?;
        reports.push(report(name, size, t));
    }
    for (name, opts) in [
        ("import kubo-default", ImportOptions::default()),
        ("import cid-v1 raw", ImportOptions::cid_v1()),
    ] {
        let t = time_runs(runs, || {
            let store_dir =
                tempfile::tempdir_in(path.parent().unwrap_or(std::path::Path::new(".")))?;
            let store = DiskStore::open(store_dir.path())?;
            let mut batch = store.batch()?;
            let e = import_path(&path, &opts, &mut batch, &mut |_| {})?;
            batch.pin(
                e.cid,
                PinInfo {
                    name: "bench".into(),
                    kind: PinKind::File,
                    size: e.size,
                    dag_size: e.tsize,
                    created: 0,
                },
            );
            batch.commit()?;
            Ok(())
        })?;
        reports.push(report(name, size, t));
    }
    print_reports(&reports, json)
}

fn bench_commp(size: &str, runs: usize, json: bool) -> anyhow::Result<()> {
    let size = parse_size(size)?;
    let (_dir, path) = generated_file(size)?;
    let t = time_runs(runs, || {
        flowcoin_proofs::commp_of_file(&path)?;
        Ok(())
    })?;
    print_reports(&[report("commp", size, t)], json)
}

/// Peak resident memory of this process so far, from /proc/self/status (VmHWM), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn bench_seal(
    repo: &crate::repo::Repo,
    size: flowcoin_types::SectorSize,
    json: bool,
) -> anyhow::Result<()> {
    use flowcoin_proofs::sdr::commit::{SealPublicInputs, prove_seal, verify_seal};
    use flowcoin_proofs::sdr::params::{
        PoStProofKind, RegisteredPoStProof, RegisteredSealProof, SealProofVersion,
    };
    use flowcoin_proofs::sdr::post::{PrivateSector, PublicSector, prove_winning, verify_winning};
    use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SectorCache, seal};
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let unsealed = dir.path().join("unsealed");
    // Random sector content, fr32-shaped: the top two bits of every node clear.
    let (_gen, data) = generated_file(size.bytes())?;
    let mut bytes = std::fs::read(&data)?;
    for node in bytes.chunks_mut(32) {
        node[31] &= 0x3f;
    }
    std::fs::write(&unsealed, &bytes)?;
    drop(bytes);
    let parents = repo.root().join("cache").join("parents");
    let proof = RegisteredSealProof::new(size, SealProofVersion::V1_1)?;
    let inputs = SealInputs {
        proof,
        prover_id: [1; 32],
        sector_number: 1,
        ticket: [2; 32],
    };
    let cache = SectorCache::new(dir.path().join("cache"));
    let replica = dir.path().join("sealed");
    let start = Instant::now();
    let sealed = seal(
        &inputs,
        &unsealed,
        &replica,
        &cache,
        &parents,
        &mut NoProgress,
    )?;
    let t = Instant::now();
    let seed = [3u8; 32];
    let seal_proof = prove_seal(&sealed, &seed, &unsealed, &replica, &cache)?;
    let commit = t.elapsed();
    let public = SealPublicInputs {
        proof,
        prover_id: inputs.prover_id,
        sector_number: 1,
        ticket: inputs.ticket,
        seed,
        comm_d: sealed.comm_d,
        comm_r: sealed.comm_r,
    };
    let t = Instant::now();
    verify_seal(&public, &seal_proof)?;
    let verify = t.elapsed();
    let total = start.elapsed();
    let post = RegisteredPoStProof::new(size, PoStProofKind::Winning)?;
    let private = [PrivateSector {
        sector_number: 1,
        replica,
        tree_r: cache.tree_r(),
        comm_c: sealed.comm_c,
        comm_r_last: sealed.comm_r_last,
    }];
    let public_set = [PublicSector {
        sector_number: 1,
        comm_r: sealed.comm_r,
    }];
    let t = Instant::now();
    let post_proof = prove_winning(post, &[1; 32], &[4; 32], &private)?;
    verify_winning(post, &[1; 32], &[4; 32], &public_set, &post_proof)?;
    let winning = t.elapsed();
    let s = |d: std::time::Duration| d.as_secs_f64();
    let tm = &sealed.timings;
    let report = json!({
        "sector_size": size.bytes(),
        "parent_cache_s": s(tm.parent_cache),
        "pc1_labels_s": s(tm.labels),
        "pc2_s": s(tm.tree_d + tm.tree_c + tm.encode + tm.tree_r),
        "tree_d_s": s(tm.tree_d),
        "tree_c_s": s(tm.tree_c),
        "encode_s": s(tm.encode),
        "tree_r_s": s(tm.tree_r),
        "commit_s": s(commit),
        "verify_seal_s": s(verify),
        "seal_total_s": s(total),
        "winning_post_prove_verify_s": s(winning),
        "peak_rss_bytes": peak_rss(),
    });
    if json {
        return print_json(&report);
    }
    println!("sector {}:", human_bytes(size.bytes()));
    for (k, v) in report.as_object().into_iter().flatten() {
        println!("  {k:<30} {v}");
    }
    Ok(())
}
