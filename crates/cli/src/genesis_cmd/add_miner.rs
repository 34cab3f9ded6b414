//! `flowcoin genesis add-miner`: adds a miner with pre-sealed sectors to a genesis template,
//! after verifying every sector's seal proof and that it was sealed for the miner's ID.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use cid::multibase::Base;
use flowcoin_chain::genesis::{
    GenesisMinerTemplate, GenesisSectorTemplate, build_genesis, read_template, write_template,
};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::miner::prover_id;
use flowcoin_types::{Address, Network, NetworkParams, SectorSize};
use serde_json::json;

use crate::proofs_cmd::verified_sector;
use crate::util::print_json;

/// The arguments of `genesis add-miner`.
pub(super) struct AddMiner {
    pub(super) template: PathBuf,
    pub(super) owner: String,
    pub(super) worker: String,
    pub(super) sectors: Vec<PathBuf>,
    pub(super) expiration: Option<u64>,
    pub(super) peer_id: Option<String>,
    pub(super) json: bool,
}

/// Runs `genesis add-miner`.
pub(super) fn run(args: &AddMiner) -> anyhow::Result<()> {
    let path = &args.template;
    if std::fs::symlink_metadata(path).is_err() {
        bail!(
            "the template {} does not exist: write one with `flowcoin genesis template --network devnet -o {}`, then add miners to it",
            path.display(),
            path.display()
        );
    }
    let mut template = read_template(path)
        .with_context(|| format!("{} is not a usable genesis template", path.display()))?;
    let network = template.network;
    let params = NetworkParams::for_network(network);
    let id = template
        .next_miner_id()
        .context("the template cannot take another miner")?;
    let name = |id: u64| Address::Id(id).display(network).to_string();
    let address = |flag: &str, text: &str| {
        Address::from_str_checked(text, network).with_context(|| format!("--{flag} {text:?}"))
    };
    let owner = address("owner", &args.owner)?;
    let worker = address("worker", &args.worker)?;
    let peer_id = match &args.peer_id {
        None => Vec::new(),
        Some(text) => Base::Base58Btc
            .decode(text)
            .ok()
            .filter(|bytes| !bytes.is_empty())
            .with_context(|| {
                format!("--peer-id {text:?} is not a libp2p peer ID (base58btc, 12D3KooW…)")
            })?,
    };
    let expiration = args.expiration.unwrap_or(params.miner.max_sector_lifetime);

    let mut sector_size: Option<(SectorSize, &Path)> = None;
    let mut sectors = Vec::with_capacity(args.sectors.len());
    for dir in &args.sectors {
        let (size, sector) = read_sector(dir, id, network, expiration)?;
        match sector_size {
            None => sector_size = Some((size, dir)),
            Some((first, first_dir)) if first != size => bail!(
                "{} holds a {size} sector but {} a {first} one: a miner's sectors all have one size",
                dir.display(),
                first_dir.display()
            ),
            Some(_) => {}
        }
        sectors.push(sector);
    }
    let (sector_size, _) = sector_size.context("give at least one --sector DIR")?;
    let miner = GenesisMinerTemplate {
        id,
        owner,
        worker,
        sector_size,
        peer_id,
        sectors,
    };
    template.miners.push(miner.clone());
    // What is written must build: the builder's checks (BLS worker, allowed size, distinct
    // sector numbers, lifetimes) run before the file changes.
    build_genesis(&template, &params, &mut MemoryBlockstore::new())
        .with_context(|| format!("miner {} cannot be added", name(id)))?;
    write_template(path, &template)
        .with_context(|| format!("writing the template {}", path.display()))?;

    let text = |address: Address| address.display(network).to_string();
    let next = template.next_miner_id().map(name);
    if args.json {
        return print_json(&json!({
            "template": path.display().to_string(),
            "id": name(id),
            "owner": text(owner),
            "worker": text(worker),
            "sector_size": sector_size.bytes(),
            "sectors": miner.sectors.iter().map(|s| json!({
                "sector_number": s.sector_number,
                "comm_r": s.comm_r.to_string(),
                "comm_d": s.comm_d.to_string(),
                "expiration": s.expiration,
            })).collect::<Vec<_>>(),
            "raw_power": miner.raw_power().0.to_string(),
            "next_miner": next,
        }));
    }
    println!(
        "added miner {} to {}: owner {}, worker {}",
        name(id),
        path.display(),
        text(owner),
        text(worker)
    );
    for sector in &miner.sectors {
        println!(
            "  sector {} (seal proof verified)  CommR {}  CommD {}",
            sector.sector_number, sector.comm_r, sector.comm_d
        );
    }
    println!(
        "{} sectors of {sector_size}, raw power {}, expiring at epoch {expiration}; the next miner is {}",
        miner.sectors.len(),
        miner.raw_power(),
        next.unwrap_or_else(|| "none (the template is full)".to_owned())
    );
    Ok(())
}

/// Reads the sealed sector in `dir` for miner `id`: checks that it was sealed for that miner
/// and verifies its seal proof.
fn read_sector(
    dir: &Path,
    id: u64,
    network: Network,
    expiration: u64,
) -> anyhow::Result<(SectorSize, GenesisSectorTemplate)> {
    let name = |id: u64| Address::Id(id).display(network).to_string();
    let (meta, public) = verified_sector(dir)?;
    if let Some(recorded) = meta.miner_id
        && prover_id(recorded) != public.prover_id
    {
        bail!(
            "{}/sector.json says miner ID {recorded} but holds another prover id (the file is damaged: seal the sector again)",
            dir.display()
        );
    }
    if public.prover_id != prover_id(id) {
        let sealed_for = miner_of_prover_id(&public.prover_id).map_or_else(
            || format!("prover id {}", hex::encode(public.prover_id)),
            |other| format!("miner {}", name(other)),
        );
        bail!(
            "{} was sealed for {sealed_for}, but the next genesis miner of the template is {} (genesis miners get IDs 1000, 1001, … in template order): seal its sectors with `flowcoin proofs seal --miner {} …`",
            dir.display(),
            name(id),
            name(id)
        );
    }
    let size = meta.sector_size()?;
    Ok((
        size,
        GenesisSectorTemplate {
            sector_number: meta.sector_number,
            comm_r: sealed_cid(&public.comm_r),
            comm_d: unsealed_cid(&public.comm_d),
            expiration,
        },
    ))
}

/// The miner ID whose prover id is `prover` (LEB128 of the ID, zero-padded), if any.
fn miner_of_prover_id(prover: &[u8; 32]) -> Option<u64> {
    let mut id = 0u64;
    for (i, byte) in prover.iter().take(10).enumerate() {
        id |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            // Bits shifted out of 64 or bytes after the end make another prover id.
            return (prover_id(id) == *prover).then_some(id);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prover_ids_name_their_miner() {
        for id in [0, 1, 127, 128, 1000, 1001, u64::MAX] {
            assert_eq!(miner_of_prover_id(&prover_id(id)), Some(id), "{id}");
        }
        assert_eq!(miner_of_prover_id(&[1; 32]), None);
        assert_eq!(miner_of_prover_id(&[0xff; 32]), None);
    }
}
