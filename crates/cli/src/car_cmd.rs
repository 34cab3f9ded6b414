//! `flowcoin car …` and the piece splitting behind `flowcoin client pieces`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use flowcoin_dag::car::{export_car, import_cars, inspect};
use flowcoin_dag::pieces::split_dag;
use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::CommpWriter;
use flowcoin_types::{PaddedPieceSize, UnpaddedPieceSize};
use serde_json::json;

use crate::client::commp_json;
use crate::progress;
use crate::repo::Repo;
use crate::util::{human_bytes, parse_cid, print_json};

/// CAR commands.
#[derive(Debug, Subcommand)]
pub enum CarCommand {
    /// Write the DAG under a root as a CARv1 (blocks in depth-first pre-order, as `ipfs dag export`).
    Export {
        /// The root CID.
        cid: String,
        /// Output file ("-" for stdout).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Import CARv1/CARv2 files in one atomic step and pin their roots.
    Import {
        /// CAR files (all pieces of a split DAG go in one command).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify every block of a CAR and check its DAG is complete.
    Inspect {
        /// The CAR file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a CAR command.
pub fn run(repo: &Repo, cmd: CarCommand) -> anyhow::Result<()> {
    match cmd {
        CarCommand::Export { cid, output } => export(repo, &cid, &output),
        CarCommand::Import { files, json } => import(repo, &files, json),
        CarCommand::Inspect { file, json } => inspect_cmd(&file, json),
    }
}

fn export(repo: &Repo, cid: &str, output: &Path) -> anyhow::Result<()> {
    let cid = parse_cid(cid)?;
    let store = repo.existing_store()?;
    if !store.has(&cid)? {
        bail!("{cid} is not in the store (import it first, or see `flowcoin client ls`)");
    }
    if output == Path::new("-") {
        let stdout = std::io::stdout();
        let stats = export_car(
            &store,
            &cid,
            BufWriter::with_capacity(1 << 20, stdout.lock()),
        )?;
        eprintln!(
            "exported {} blocks ({})",
            stats.blocks,
            human_bytes(stats.bytes)
        );
        return Ok(());
    }
    let stats = write_atomically(output, |w| Ok(export_car(&store, &cid, w)?))?;
    eprintln!(
        "exported {} blocks ({}) to {}",
        stats.blocks,
        human_bytes(stats.bytes),
        output.display()
    );
    Ok(())
}

/// Writes a file under a temporary name, fsyncs it and renames it into place.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let result = write(&mut w).and_then(|v| {
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename into {}", path.display()))?;
        Ok(v)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn import(repo: &Repo, files: &[PathBuf], json: bool) -> anyhow::Result<()> {
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress::bytes(total, "importing");
    let mut inputs = Vec::new();
    for f in files {
        let file = File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
        inputs.push((f.display().to_string(), bar.wrap_read(file)));
    }
    let store = repo.store()?;
    let report = import_cars(&store, inputs)?;
    bar.finish_and_clear();
    if json {
        return print_json(&json!({
            "roots": report.roots.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "blocks": report.blocks,
            "new_blocks": report.new_blocks,
            "block_bytes": report.block_bytes,
        }));
    }
    for r in &report.roots {
        println!("pinned {r}");
    }
    println!(
        "{} blocks ({} new, {})",
        report.blocks,
        report.new_blocks,
        human_bytes(report.block_bytes)
    );
    Ok(())
}

fn inspect_cmd(file: &Path, json: bool) -> anyhow::Result<()> {
    let f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress::bytes(len, "verifying");
    let report = inspect(bar.wrap_read(f)).with_context(|| file.display().to_string())?;
    bar.finish_and_clear();
    let complete = report.missing.is_empty();
    if json {
        print_json(&json!({
            "version": report.version,
            "roots": report.roots.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "blocks": report.blocks,
            "distinct_blocks": report.distinct_blocks,
            "block_bytes": report.block_bytes,
            "file_bytes": report.file_bytes,
            "complete": complete,
            "missing": report.missing.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "unreachable_blocks": report.unreachable,
        }))?;
    } else {
        println!("version:   {}", report.version);
        for r in &report.roots {
            println!("root:      {r}");
        }
        println!(
            "blocks:    {} ({} distinct), all hashes verified",
            report.blocks, report.distinct_blocks
        );
        println!(
            "data:      {} in a {} file",
            human_bytes(report.block_bytes),
            human_bytes(report.file_bytes)
        );
        if report.unreachable > 0 {
            println!("unreachable from the roots: {} blocks", report.unreachable);
        }
        if complete {
            println!("DAG:       complete");
        }
    }
    if !complete {
        let first = report
            .missing
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        bail!(
            "incomplete DAG: {} block(s) reachable from the roots are missing, first {first}",
            report.missing.len()
        );
    }
    Ok(())
}

/// `flowcoin client pieces`: splits a stored DAG into CAR pieces with their commP.
pub fn pieces(
    repo: &Repo,
    cid: &str,
    max_piece_size: &str,
    out_dir: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let cid = parse_cid(cid)?;
    let padded: PaddedPieceSize = max_piece_size.parse()?;
    let capacity = UnpaddedPieceSize::from(padded).bytes();
    let store = repo.existing_store()?;
    if !store.has(&cid)? {
        bail!("{cid} is not in the store (import it first)");
    }
    if out_dir.exists() && std::fs::read_dir(out_dir)?.next().is_some() {
        bail!(
            "{} is not empty (choose a new directory)",
            out_dir.display()
        );
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let total = store.pin_info(&cid)?.map_or(0, |p| p.dag_size);
    let bar = progress::bytes(total, "splitting");
    let mut commps = Vec::new();
    let pieces = split_dag(
        &store,
        &cid,
        capacity,
        |i| {
            let path = out_dir.join(format!("piece-{i:04}.car"));
            let file = File::create(&path)?;
            Ok(Tee {
                file: BufWriter::with_capacity(1 << 20, file),
                commp: CommpWriter::new(),
                bar: &bar,
            })
        },
        |tee, _stats| {
            let file = tee.file.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            commps.push(tee.commp.finish().map_err(std::io::Error::other)?);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    let list: Vec<_> = pieces
        .iter()
        .zip(&commps)
        .map(|(p, c)| {
            let mut v = commp_json(c);
            v["file"] = json!(format!("piece-{:04}.car", p.index));
            v["car_bytes"] = json!(p.car_bytes);
            v["blocks"] = json!(p.blocks);
            v
        })
        .collect();
    let manifest =
        json!({"root": cid.to_string(), "max_piece_size": padded.bytes(), "pieces": list});
    let manifest_path = out_dir.join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    if json {
        return print_json(&manifest);
    }
    for (p, c) in pieces.iter().zip(&commps) {
        println!(
            "piece-{:04}.car  {}  {} blocks  {} in a {} piece",
            p.index,
            c.piece_cid_v1(),
            p.blocks,
            human_bytes(p.car_bytes),
            human_bytes(c.padded_size().bytes())
        );
    }
    println!(
        "{} pieces in {} (manifest.json lists them)",
        pieces.len(),
        out_dir.display()
    );
    Ok(())
}

/// Writes a piece to its file and its commP hasher at once.
struct Tee<'a> {
    file: BufWriter<File>,
    commp: CommpWriter,
    bar: &'a indicatif::ProgressBar,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write_all(buf)?;
        self.commp.write_all(buf)?;
        self.bar.inc(buf.len() as u64);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
