//! `flowcoin chain`: the running daemon's chain: the head, tipsets, blocks, messages, and
//! waiting for a message to be executed.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Subcommand;
use flowcoin_node::auth::Permission;
use flowcoin_node::rpc::{FlowcoinApiClient as _, HeadInfo, MsgLookup};

use crate::node_api::{Api, flw, per_gas, print_json};
use crate::repo::Repo;

/// Chain commands.
#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// The head tipset: height, blocks, weight, and the base fee of the next epoch.
    Head {
        /// Print JSON (the API's `Flowcoin.ChainHead` result).
        #[arg(long)]
        json: bool,
    },
    /// The tipset at a height (the last one before it if that epoch had no block).
    Tipset {
        /// The epoch.
        height: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A block header by CID.
    Block {
        /// The block's CID.
        cid: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A signed message by CID (on the chain or pending).
    Message {
        /// The signed message's CID (as `wallet send` prints it).
        cid: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Wait until a message is executed and print its receipt; fails if the message failed.
    WaitMsg {
        /// The signed message's CID.
        cid: String,
        /// Give up after this long (`90`, `90s`, `5m`).
        #[arg(long, default_value = "5m", value_parser = parse_duration)]
        timeout: Duration,
        /// Print JSON (the API's `Flowcoin.StateSearchMsg` result).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a chain command.
pub fn run(repo: &Repo, command: ChainCommand) -> anyhow::Result<()> {
    let api = Api::connect(repo, Permission::Read)?;
    match command {
        ChainCommand::Head { json } => {
            let head = api.call(|c| c.chain_head())?;
            print_tipset(&head, json)
        }
        ChainCommand::Tipset { height, json } => {
            let tipset = api.call(|c| c.chain_get_tipset_by_height(height))?;
            print_tipset(&tipset, json)
        }
        ChainCommand::Block { cid, json } => {
            let block = api.call(|c| c.chain_get_block(cid))?;
            if json {
                return print_json(&block);
            }
            println!("block          {}", block.cid);
            println!("height         {}", block.height);
            println!("miner          {}", block.miner);
            println!("win count      {}", block.win_count);
            println!("timestamp      {} (Unix seconds)", block.timestamp);
            println!("parent weight  {}", block.parent_weight);
            println!("parent state   {}", block.parent_state_root);
            println!("base fee       {}", per_gas(&block.parent_base_fee));
            println!("parents        {}", block.parents.join(" "));
            println!("messages       {}", block.messages.len());
            for cid in &block.messages {
                println!("  {cid}");
            }
            Ok(())
        }
        ChainCommand::Message { cid, json } => {
            let m = api.call(|c| c.chain_get_message(cid))?;
            if json {
                return print_json(&m);
            }
            println!("message      {}", m.cid);
            println!("from         {}", m.from);
            println!("to           {}", m.to);
            println!("value        {}", flw(&m.value));
            println!("nonce        {}", m.nonce);
            println!("method       {}", m.method);
            println!("gas limit    {}", m.gas_limit);
            println!("gas fee cap  {}", per_gas(&m.gas_fee_cap));
            println!("gas premium  {}", per_gas(&m.gas_premium));
            if !m.params.is_empty() {
                println!("params       {}", m.params);
            }
            Ok(())
        }
        ChainCommand::WaitMsg { cid, timeout, json } => {
            let found = wait_for_message(&api, &cid, timeout)?;
            if json {
                print_json(&found)?;
            } else {
                print_lookup(&found);
            }
            let receipt = &found.receipt;
            anyhow::ensure!(
                receipt.exit_code == 0,
                "message {cid} failed: exit code {}{}",
                receipt.exit_code,
                receipt
                    .exit_code_name
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
            Ok(())
        }
    }
}

/// Polls `Flowcoin.StateSearchMsg` until the message is executed or `timeout` passes.
fn wait_for_message(api: &Api, cid: &str, timeout: Duration) -> anyhow::Result<MsgLookup> {
    let start = Instant::now();
    // Half an epoch: a new head is seen soon after it arrives, without busy polling.
    let interval = Duration::from_secs((api.block_delay / 2).clamp(1, 15));
    loop {
        if let Some(found) = api.call(|c| c.state_search_msg(cid.to_owned()))? {
            return Ok(found);
        }
        if start.elapsed() >= timeout {
            anyhow::bail!(
                "message {cid} was not executed within {}s (is it pending? see `flowcoin chain \
                 message {cid}`)",
                timeout.as_secs()
            );
        }
        std::thread::sleep(interval.min(timeout.saturating_sub(start.elapsed())));
    }
}

fn print_lookup(found: &MsgLookup) {
    let r = &found.receipt;
    println!("message    {}", found.message);
    println!("executed   at height {}", found.height);
    println!("tipset     {}", found.tip_set.join(" "));
    println!(
        "exit code  {}{}",
        r.exit_code,
        r.exit_code_name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    println!("gas used   {}", r.gas_used);
    println!(
        "return     {}",
        if r.return_data.is_empty() {
            "(none)"
        } else {
            &r.return_data
        }
    );
}

fn print_tipset(tipset: &HeadInfo, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(tipset);
    }
    println!("height         {}", tipset.height);
    println!("weight         {}", tipset.weight);
    println!("timestamp      {} (Unix seconds)", tipset.timestamp);
    println!("next base fee  {}", per_gas(&tipset.next_base_fee));
    for (cid, miner) in tipset.cids.iter().zip(&tipset.miners) {
        println!("block          {cid}  by {miner}");
    }
    Ok(())
}

/// Reads `90`, `90s`, `5m` or `1h`.
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .with_context(|| format!("{text:?} is not a duration (write e.g. 90s or 5m)"))?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => anyhow::bail!("unknown unit {other:?} in duration {text:?} (use s, m or h)"),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("m").is_err());
    }
}
