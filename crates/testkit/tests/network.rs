//! Real nodes on loopback, each mining on the wall clock (2 s epochs): they agree on one chain,
//! messages gossip into every pool, a stopped node catches up when it comes back, a split
//! network converges on the heaviest chain without losing a transaction, and a peer that
//! gossips invalid blocks is banned while the rest go on.
//!
//! Waits are bounded by generous guards (protection against hanging, not measurements).

use std::time::Duration;

use flowcoin_chain::wire::GossipBlock;
use flowcoin_crypto::{SecretKey, ed25519};
use flowcoin_net::{Keypair, NetConfig, NetEvent, Topic};
use flowcoin_state::state_tree::StateTree;
use flowcoin_testkit::{TestNetwork, owner_key, premine_key};
use flowcoin_types::message::to_cbor;
use flowcoin_types::{Address, TokenAmount};

const GUARD: Duration = Duration::from_secs(120);

/// The nodes' logs, shown when a test fails (`RUST_LOG` filters them; default `info`).
fn logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// The balance of `address` at node `i`'s head (zero if it has no actor yet).
async fn balance(net: &TestNetwork, i: usize, address: Address) -> anyhow::Result<TokenAmount> {
    net.with_chain(i, move |c| {
        let root = c.head_executed()?.state_root;
        let tree = StateTree::load(c.store().blocks().disk(), &root)?;
        Ok(match tree.lookup_id(&address)? {
            Some(id) => tree.get_actor(id)?.map_or(TokenAmount::ZERO, |a| a.balance),
            None => TokenAmount::ZERO,
        })
    })
    .await
}

fn recipient(seed: u8) -> Address {
    SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[seed; 32]))
        .public_key()
        .address()
}

fn flw(n: u64) -> TokenAmount {
    TokenAmount::from_flw(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_agree_gossip_messages_and_a_stopped_node_catches_up() {
    logs();
    let mut net = TestNetwork::start(3, 2).await.unwrap();
    let first = net.wait_agree(4, GUARD).await.unwrap();

    // A transfer pushed at the node that does not mine reaches the miners' pools by gossip
    // and lands on the one chain.
    let to = recipient(50);
    net.transfer(2, premine_key(), to, flw(3)).await.unwrap();
    net.wait_until("the transfer lands everywhere", GUARD, || async {
        for i in 0..3 {
            if balance(&net, i, to).await? != flw(3) {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await
    .unwrap();

    // A miner stops; the others go on; back, it fetches what it missed and agrees again.
    net.stop(1).await.unwrap();
    let without = net.head(0).await.unwrap().height();
    net.wait_until("the others go on", GUARD, || async {
        Ok(net.head(0).await?.height() >= without + 4)
    })
    .await
    .unwrap();
    net.restart(1).await.unwrap();
    let again = net.wait_agree(without + 6, GUARD).await.unwrap();
    assert!(again.height() > first.height());
    assert_eq!(balance(&net, 1, to).await.unwrap(), flw(3));
    net.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_network_converges_on_the_heaviest_chain_and_keeps_both_sides_transfers() {
    logs();
    let net = TestNetwork::start(4, 3).await.unwrap();
    net.wait_agree(3, GUARD).await.unwrap();

    // Two miners on one side, one on the other (with the node that does not mine).
    net.partition(&[0, 1], &[2, 3]).await.unwrap();
    let to = recipient(60);
    net.transfer(0, premine_key(), to, flw(5)).await.unwrap();
    net.transfer(3, owner_key(2).unwrap(), to, flw(7))
        .await
        .unwrap();
    // Both sides go on with their own transfer.
    net.wait_until("each side sees its own transfer", GUARD, || async {
        Ok(balance(&net, 0, to).await? == flw(5) && balance(&net, 3, to).await? == flw(7))
    })
    .await
    .unwrap();
    let split_a = net.head(0).await.unwrap();
    let split_b = net.head(2).await.unwrap();
    assert_ne!(split_a, split_b, "the sides made their own chains");

    net.heal(&[0, 1], &[2, 3]).await.unwrap();
    let joined = net
        .wait_agree(split_a.height().max(split_b.height()) + 1, GUARD)
        .await
        .unwrap();
    assert!(joined.height() > split_a.height());
    // The losing side's transfer went back to the pools and lands on the winning chain.
    net.wait_until("both transfers land", GUARD, || async {
        for i in 0..4 {
            if balance(&net, i, to).await? != flw(12) {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await
    .unwrap();
    net.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_gossiping_invalid_blocks_is_disconnected_while_the_rest_go_on() {
    logs();
    let net = TestNetwork::start(2, 1).await.unwrap();
    let head = net.wait_agree(2, GUARD).await.unwrap();

    // A rogue peer on the same network: it forges blocks from a real one (a changed
    // timestamp breaks the miner's signature) and gossips them.
    let mut config = NetConfig::new("devnet", Keypair::generate_ed25519());
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.bootstrap = net
        .net(0)
        .unwrap()
        .addrs()
        .await
        .unwrap()
        .addrs
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    let store = std::sync::Arc::new(flowcoin_dag::store::MemoryBlockstore::new());
    let (rogue, mut events) = flowcoin_net::spawn(&config, store).unwrap();
    let rogue_id = rogue.local_peer_id();
    let node0 = net.net(0).unwrap().local_peer_id();
    let (header, messages) = {
        let block = head.blocks().first().unwrap().clone();
        let messages = net
            .with_chain(0, move |c| Ok(c.store().block_messages(&block)?))
            .await
            .unwrap();
        (head.blocks().first().unwrap().clone(), messages)
    };
    let mut disconnected = false;
    for k in 1..=60u64 {
        let mut forged = header.clone();
        forged.timestamp += k;
        let bytes = to_cbor("gossip block", &GossipBlock(forged, messages.clone())).unwrap();
        rogue.publish(Topic::Blocks, bytes).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
            if matches!(event, NetEvent::Disconnected(p) if p == node0) {
                disconnected = true;
            }
        }
        if disconnected {
            break;
        }
    }
    assert!(disconnected, "node0 never dropped the rogue peer");
    let peers = net.net(0).unwrap().peers().await.unwrap();
    assert!(
        peers.iter().all(|p| p.peer_id != rogue_id.to_string()),
        "{peers:?}"
    );
    // The honest nodes go on together.
    net.wait_agree(head.height() + 3, GUARD).await.unwrap();
    rogue.shutdown().await;
    net.shutdown().await.unwrap();
}
