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
pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
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
