//! `flowcoin client …`: import, read, list and remove data; piece commitments; pieces.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use flowcoin_dag::store::{DiskStore, NullSink, PinKind};
use flowcoin_dag::unixfs::{
    CidVersion, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_LINKS, Exporter, ImportOptions, content_size,
    import_path,
};
use flowcoin_node::rpc::ImportInfo;
use serde_json::json;

use crate::repo::Repo;
use crate::util::{human_bytes, parse_cid, print_json};
use crate::{car_cmd, progress};

/// Client commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Import a file or directory as a UnixFS DAG (same CIDs as `ipfs add`) and pin it.
    Import(ImportArgs),
    /// Print a file (or a byte range of it).
    Cat {
        /// CID[/path/inside].
        target: String,
        /// First byte to print.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Number of bytes to print (default: to the end).
        #[arg(long)]
        length: Option<u64>,
    },
    /// Write a file or directory tree to disk.
    Get {
        /// CID[/path/inside].
        target: String,
        /// Where to write it (must not exist).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// List pinned roots with their sizes.
    Ls {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Unpin a root and delete every block no other pinned root reaches.
    Rm {
        /// The root CID.
        cid: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete every block no pinned root reaches.
    Gc {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what the blockstore holds.
    Stat {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read every block of every pinned DAG and check it against its CID.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compute the Filecoin piece commitment (commP) of a file.
    Commp {
        /// The file.
        path: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Split a stored DAG into CAR pieces that each fit a piece of at most SIZE, with commP.
    Pieces {
        /// The root CID.
        cid: String,
        /// Largest padded piece size (power of two ≥ 128, e.g. 8MiB or 32GiB).
        #[arg(long, value_name = "SIZE")]
        max_piece_size: String,
        /// Output directory for piece-NNNN.car and manifest.json (created; must be empty).
        #[arg(short, long)]
        output: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Options of `client import`, named and defaulted as in Kubo's `ipfs add`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// File or directory to import.
    path: PathBuf,
    /// CID version: 0 (Kubo's default) or 1 (implies --raw-leaves).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    cid_version: u8,
    /// Use raw blocks for leaves (default: true with CIDv1, false with CIDv0).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    raw_leaves: Option<bool>,
    /// Chunker: size-N (N bytes per leaf, at most 1048576).
    #[arg(long, default_value_t = format!("size-{DEFAULT_CHUNK_SIZE}"))]
    chunker: String,
    /// Most links per file node.
    #[arg(long, default_value_t = DEFAULT_MAX_LINKS)]
    max_links: usize,
    /// Hash function: sha2-256, sha2-512 or blake3 (anything but sha2-256 implies CIDv1).
    #[arg(long, default_value = "sha2-256")]
    hash: flowcoin_dag::hash::HashFn,
    /// Include files and directories whose names start with a dot.
    #[arg(long)]
    hidden: bool,
    /// Wrap the result in a directory that names it.
    #[arg(short = 'w', long)]
    wrap: bool,
    /// Only compute the root CID; store nothing.
    #[arg(long)]
    only_hash: bool,
    /// Print only the root CID.
    #[arg(short, long)]
    quiet: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl ImportArgs {
    fn options(&self) -> anyhow::Result<ImportOptions> {
        let mut cid_version = if self.cid_version == 1 {
            CidVersion::V1
        } else {
            CidVersion::V0
        };
        if self.hash != flowcoin_dag::hash::HashFn::Sha2_256 {
            cid_version = CidVersion::V1;
        }
        let opts = ImportOptions {
            cid_version,
            raw_leaves: self.raw_leaves.unwrap_or(cid_version == CidVersion::V1),
            chunk_size: ImportOptions::parse_chunker(&self.chunker)?,
            max_links: self.max_links,
            hash: self.hash,
            hidden: self.hidden,
            wrap: self.wrap,
            ..ImportOptions::default()
        };
        opts.validate()?;
        Ok(opts)
    }
}

/// Runs a client command.
pub fn run(repo: &Repo, cmd: ClientCommand) -> anyhow::Result<()> {
    match cmd {
        ClientCommand::Import(args) => import(repo, &args),
        ClientCommand::Cat {
            target,
            offset,
            length,
        } => {
            let store = repo.existing_store()?;
            let ex = Exporter::new(&store);
            let cid = ex.resolve_str(&target)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            ex.read_file(&cid, offset, length, &mut out)?;
            out.flush()?;
            Ok(())
        }
        ClientCommand::Get { target, output } if daemon_running(repo)? => {
            retrieve_via_daemon(repo, &target, &output)
        }
        ClientCommand::Get { target, output } => {
            let store = repo.existing_store()?;
            let ex = Exporter::new(&store);
            let hint = |e: flowcoin_dag::unixfs::ExportError| match e {
                flowcoin_dag::unixfs::ExportError::Store(
                    flowcoin_dag::store::StoreError::NotFound(_),
                ) => anyhow::anyhow!(
                    "{e} (without a running daemon only the local store is read; start \
                     `flowcoin daemon` to fetch it from the network)"
                ),
                e => e.into(),
            };
            let cid = ex.resolve_str(&target).map_err(hint)?;
            ex.get(&cid, &output).map_err(hint)?;
            eprintln!("saved {cid} to {}", output.display());
            Ok(())
        }
        ClientCommand::Ls { json } => ls(repo, json),
        ClientCommand::Rm { cid, json } => rm(repo, &cid, json),
        ClientCommand::Gc { json } => {
            let store = repo.existing_store()?;
            let report = store.gc()?;
            if json {
                print_json(&serde_json::to_value(report)?)
            } else {
                println!(
                    "removed {} blocks ({}), kept {}",
                    report.blocks_removed,
                    human_bytes(report.bytes_removed),
                    report.blocks_kept
                );
                Ok(())
            }
        }
        ClientCommand::Verify { json } => verify(repo, json),
        ClientCommand::Stat { json } => {
            let stats = repo.existing_store()?.stats()?;
            if json {
                return print_json(&serde_json::to_value(stats)?);
            }
            println!("pins:       {}", stats.pins);
            println!("blocks:     {}", stats.blocks);
            println!(
                "data:       {} in {} pack files",
                human_bytes(stats.live_bytes),
                stats.packs
            );
            println!("reclaiming: {}", human_bytes(stats.dead_bytes));
            Ok(())
        }
        ClientCommand::Commp { path, json } => commp(&path, json),
        ClientCommand::Pieces {
            cid,
            max_piece_size,
            output,
            json,
        } => car_cmd::pieces(repo, &cid, &max_piece_size, &output, json),
    }
}

/// How long an import or a fetch through the daemon may take (the API's default is 60 s).
const LONG_CALL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Whether a daemon holds the repository (its store is then reached through the API).
fn daemon_running(repo: &Repo) -> anyhow::Result<bool> {
    Ok(
        std::env::var(crate::node_api::API_INFO_ENV).is_ok_and(|v| !v.trim().is_empty())
            || flowcoin_node::node::read_api_url(repo.root())?.is_some(),
    )
}

/// An absolute form of `path` for the daemon (which may run in another directory).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// `client get` with a daemon running: it fetches what it does not have from the network
/// (DHT, then bitswap), pins it, and writes it.
fn retrieve_via_daemon(repo: &Repo, target: &str, output: &Path) -> anyhow::Result<()> {
    use flowcoin_node::rpc::FlowcoinApiClient as _;
    if std::fs::symlink_metadata(output).is_ok() {
        bail!("{} already exists", output.display());
    }
    let out = absolute(output)?;
    let api = crate::node_api::Api::connect_long(
        repo,
        flowcoin_node::auth::Permission::Admin,
        LONG_CALL,
    )?;
    let report =
        api.call(|c| c.client_retrieve(target.to_owned(), Some(out.display().to_string())))?;
    eprintln!(
        "saved {target} to {} ({} blocks, {} fetched from the network, {})",
        output.display(),
        report.blocks,
        report.fetched,
        human_bytes(report.bytes)
    );
    Ok(())
}

/// `client import` with a daemon running: the daemon imports, pins and announces it.
fn import_via_daemon(repo: &Repo, args: &ImportArgs, opts: &ImportOptions) -> anyhow::Result<()> {
    use flowcoin_node::rpc::FlowcoinApiClient as _;
    let params = flowcoin_node::rpc::ImportParams {
        cid_version: u8::from(opts.cid_version == CidVersion::V1),
        raw_leaves: opts.raw_leaves,
        chunk_size: opts.chunk_size,
        max_links: opts.max_links,
        hash: args.hash.to_string(),
        hidden: opts.hidden,
        wrap: opts.wrap,
    };
    let path = absolute(&args.path)?;
    let api = crate::node_api::Api::connect_long(
        repo,
        flowcoin_node::auth::Permission::Admin,
        LONG_CALL,
    )?;
    let info = api.call(|c| c.client_import(path.display().to_string(), Some(params)))?;
    report_import(args, &info, true)
}

fn import(repo: &Repo, args: &ImportArgs) -> anyhow::Result<()> {
    let opts = args.options()?;
    let path = &args.path;
    std::fs::symlink_metadata(path).with_context(|| format!("cannot import {}", path.display()))?;
    if !args.only_hash && daemon_running(repo)? {
        return import_via_daemon(repo, args, &opts);
    }
    let total = content_size(path, &opts)?;
    let bar = progress::bytes(total, "importing");
    let mut on_bytes = |n: u64| bar.inc(n);
    let entry = if args.only_hash {
        import_path(path, &opts, &mut NullSink, &mut on_bytes)?
    } else {
        let store = repo.store()?;
        let mut batch = store.batch()?;
        let entry = import_path(path, &opts, &mut batch, &mut on_bytes)?;
        batch.pin(entry.cid, entry.pin_info(path, &opts));
        bar.set_message("syncing");
        batch.commit()?;
        entry
    };
    bar.finish_and_clear();
    report_import(args, &ImportInfo::of(&entry), !args.only_hash)
}

/// Prints what an import made, here or in the daemon.
fn report_import(args: &ImportArgs, info: &ImportInfo, pinned: bool) -> anyhow::Result<()> {
    if args.json {
        return print_json(&json!({
            "root": info.root,
            "size": info.size,
            "dag_size": info.dag_size,
            "kind": info.kind,
            "name": args.path.display().to_string(),
            "pinned": pinned,
        }));
    }
    if args.quiet {
        println!("{}", info.root);
    } else {
        println!(
            "added {} {} ({})",
            info.root,
            args.path.display(),
            human_bytes(info.size)
        );
    }
    Ok(())
}

fn pin_kind_name(kind: PinKind) -> &'static str {
    match kind {
        PinKind::File => "file",
        PinKind::Directory => "directory",
        PinKind::Symlink => "symlink",
        PinKind::Dag => "dag",
    }
}

fn ls(repo: &Repo, json: bool) -> anyhow::Result<()> {
    let store = repo.existing_store()?;
    let mut pins = store.pins()?;
    pins.sort_by(|a, b| {
        a.1.created
            .cmp(&b.1.created)
            .then(a.0.to_bytes().cmp(&b.0.to_bytes()))
    });
    if json {
        let list: Vec<_> = pins
            .iter()
            .map(|(cid, p)| {
                json!({"cid": cid.to_string(), "name": p.name, "kind": pin_kind_name(p.kind),
                       "size": p.size, "dag_size": p.dag_size, "created": p.created})
            })
            .collect();
        return print_json(&json!(list));
    }
    for (cid, p) in &pins {
        println!(
            "{cid}  {:>10}  {:<9}  {}",
            human_bytes(p.size),
            pin_kind_name(p.kind),
            p.name
        );
    }
    Ok(())
}

fn rm(repo: &Repo, cid: &str, json: bool) -> anyhow::Result<()> {
    let cid = parse_cid(cid)?;
    let store = repo.existing_store()?;
    if !store.unpin(&cid)? {
        bail!("{cid} is not pinned (see `flowcoin client ls`)");
    }
    let report = gc_with_message(&store)?;
    if json {
        let mut v = serde_json::to_value(report)?;
        v["unpinned"] = json!(cid.to_string());
        return print_json(&v);
    }
    println!(
        "unpinned {cid}; removed {} blocks ({})",
        report.blocks_removed,
        human_bytes(report.bytes_removed)
    );
    Ok(())
}

fn gc_with_message(store: &DiskStore) -> anyhow::Result<flowcoin_dag::store::GcReport> {
    store.gc().context(
        "garbage collection failed (the pin was removed; run `flowcoin client gc` to retry)",
    )
}

fn verify(repo: &Repo, json: bool) -> anyhow::Result<()> {
    let store = repo.existing_store()?;
    let total = store.stats()?.live_bytes;
    let bar = progress::bytes(total, "verifying");
    let report = store.verify(&mut |n| bar.inc(n))?;
    bar.finish_and_clear();
    if json {
        print_json(&json!({
            "pins": report.pins,
            "blocks": report.blocks,
            "bytes": report.bytes,
            "ok": report.problems.is_empty(),
            "problems": report.problems.iter().map(|(c, p)| json!({"cid": c.to_string(), "problem": p})).collect::<Vec<_>>(),
        }))?;
    } else {
        println!(
            "{} pins, {} blocks ({}) checked",
            report.pins,
            report.blocks,
            human_bytes(report.bytes)
        );
        for (cid, problem) in &report.problems {
            println!("BAD {cid}: {problem}");
        }
    }
    if !report.problems.is_empty() {
        bail!("{} damaged or missing blocks", report.problems.len());
    }
    Ok(())
}

fn commp(path: &Path, json: bool) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        bail!(
            "{} is a directory: commP is computed over a file (for a DAG, export a CAR or use `client pieces`)",
            path.display()
        );
    }
    let bar = progress::bytes(meta.len(), "commP");
    let c = flowcoin_proofs::commp_of_file_with_progress(path, &|n| bar.inc(n))
        .with_context(|| format!("computing the commP of {}", path.display()))?;
    bar.finish_and_clear();
    print_commp(&c, json)
}

/// Prints a piece commitment in the `client commp` format.
pub fn print_commp(c: &flowcoin_proofs::PieceCommitment, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&commp_json(c));
    }
    println!("piece CID v1:  {}", c.piece_cid_v1());
    println!("piece CID v2:  {}", c.piece_cid_v2());
    println!(
        "padded size:   {} ({})",
        c.padded_size().bytes(),
        human_bytes(c.padded_size().bytes())
    );
    println!("unpadded size: {}", c.unpadded_size().bytes());
    println!("payload size:  {}", c.payload_size());
    Ok(())
}

/// The JSON object describing a piece commitment.
pub fn commp_json(c: &flowcoin_proofs::PieceCommitment) -> serde_json::Value {
    json!({
        "piece_cid_v1": c.piece_cid_v1().to_string(),
        "piece_cid_v2": c.piece_cid_v2().to_string(),
        "padded_size": c.padded_size().bytes(),
        "unpadded_size": c.unpadded_size().bytes(),
        "payload_size": c.payload_size(),
    })
}
