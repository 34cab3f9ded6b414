//! `flowcoin state`: the running daemon's state at its head: actors, power, token supply.

use clap::Subcommand;
use flowcoin_node::auth::Permission;
use flowcoin_node::rpc::FlowcoinApiClient as _;

use crate::node_api::{Api, flw, power, print_json};
use crate::repo::Repo;

/// State commands.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// An actor: its ID, code, nonce and balance.
    Actor {
        /// Its address (ID, key or actor address of the daemon's network), or the name of a
        /// key in the keystore.
        address: String,
        /// Print JSON (the API's `Flowcoin.StateGetActor` result).
        #[arg(long)]
        json: bool,
    },
    /// The network's power, or a miner's.
    Power {
        /// A miner (e.g. t01000); without it, the network's totals.
        miner: Option<String>,
        /// Print JSON (`Flowcoin.StateMinerPower` or `Flowcoin.StatePower`).
        #[arg(long)]
        json: bool,
    },
    /// The token supply: circulating, burnt, not yet mined, total.
    Supply {
        /// Print JSON (the API's `Flowcoin.StateCirculatingSupply` result).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a state command.
pub fn run(repo: &Repo, command: StateCommand) -> anyhow::Result<()> {
    let api = Api::connect(repo, Permission::Read)?;
    match command {
        StateCommand::Actor { address, json } => {
            let address = api.text(crate::wallet_cmd::resolve(&api, repo, &address)?);
            let actor = api.call(|c| c.state_get_actor(address))?;
            if json {
                return print_json(&actor);
            }
            println!("id       {}", actor.id);
            if let Some(key) = &actor.key_address {
                println!("address  {key}");
            }
            println!("code     {}", actor.code);
            println!("balance  {}", flw(&actor.balance));
            println!("nonce    {}", actor.nonce);
            println!("head     {}", actor.head);
            Ok(())
        }
        StateCommand::Power {
            miner: Some(miner),
            json,
        } => {
            let p = api.call(|c| c.state_miner_power(miner))?;
            if json {
                return print_json(&p);
            }
            println!("miner           {}", p.miner);
            println!("raw power       {}", power(&p.raw_power));
            println!("network power   {}", power(&p.total_raw_power));
            println!("eligible power  {}", power(&p.total_eligible_power));
            println!(
                "may win blocks  {}",
                if p.has_min_power {
                    "yes"
                } else {
                    "no (below the minimum power)"
                }
            );
            Ok(())
        }
        StateCommand::Power { miner: None, json } => {
            let p = api.call(|c| c.state_power())?;
            if json {
                return print_json(&p);
            }
            println!("height          {}", p.height);
            println!("raw power       {}", power(&p.total_raw_power));
            println!("eligible power  {}", power(&p.total_eligible_power));
            println!(
                "miners          {} ({} at or above the minimum power)",
                p.miner_count, p.miners_above_min
            );
            Ok(())
        }
        StateCommand::Supply { json } => {
            let s = api.call(|c| c.state_circulating_supply())?;
            if json {
                return print_json(&s);
            }
            println!("height       {}", s.height);
            println!("circulating  {}", flw(&s.circulating));
            println!("burnt        {}", flw(&s.burnt));
            println!("not mined    {}", flw(&s.unmined));
            println!("total        {}", flw(&s.total));
            Ok(())
        }
    }
}
