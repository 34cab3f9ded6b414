//! Real swarms on loopback: hello, gossip with validation, chain exchange, bitswap, the DHT's
//! provider records, and a misbehaving peer's ban.
//!
//! Waits are bounded by `within` (a guard against hanging, not a timing assertion).

use std::time::Duration;

use cid::Cid;
use flowcoin_dag::hash::{HashFn, RAW};
use flowcoin_net::{Misbehaviour, Multiaddr, NetEvent, PeerId, Topic, Verdict};

mod common;
use common::{GUARD, start, wait_for, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_exchange_hellos_gossip_chain_data_and_blocks() {
    let mut a = start(vec![]).await;
    a.handle.set_hello(b"hello from a".to_vec()).await.unwrap();
    let mut b = start(vec![a.addr.clone()]).await;
    b.handle.set_hello(b"hello from b".to_vec()).await.unwrap();
    let a_id = a.handle.local_peer_id();
    let b_id = b.handle.local_peer_id();

    // Each side sends its hello when they connect and answers the other's: both learn both.
    let at_a = wait_for(&mut a, "hello at a", |e| match e {
        NetEvent::Hello { peer, payload } => Some((peer, payload)),
        _ => None,
    })
    .await;
    assert_eq!(at_a, (b_id, b"hello from b".to_vec()));
    let at_b = wait_for(&mut b, "hello at b", |e| match e {
        NetEvent::Hello { peer, payload } => Some((peer, payload)),
        _ => None,
    })
    .await;
    assert_eq!(at_b, (a_id, b"hello from a".to_vec()));

    // Gossip: published until B's subscription has reached A (each attempt a new payload, as
    // gossip drops duplicates).
    let mut got = None;
    for attempt in 0..60u32 {
        let data = format!("block {attempt}").into_bytes();
        a.handle.publish(Topic::Blocks, data).await.unwrap();
        if let Ok(Some(NetEvent::Gossip { topic, id, data })) =
            tokio::time::timeout(Duration::from_millis(500), async {
                loop {
                    match b.events.recv().await {
                        Some(e @ NetEvent::Gossip { .. }) => return Some(e),
                        Some(_) => {}
                        None => return None,
                    }
                }
            })
            .await
        {
            got = Some((topic, id, data));
            break;
        }
    }
    let (topic, id, data) = got.expect("gossip never arrived");
    assert_eq!(topic, Topic::Blocks);
    assert_eq!(id.source, a_id);
    assert!(data.starts_with(b"block "));
    b.handle.report(id, Verdict::Accept).await.unwrap();

    // Chain exchange: B asks, A answers what it was asked for.
    let ask = b.handle.chain_request(a_id, b"tipsets please".to_vec());
    let answer = async {
        let (id, payload) = wait_for(&mut a, "chain request at a", |e| match e {
            NetEvent::ChainRequest { peer, id, payload } if peer == b_id => Some((id, payload)),
            _ => None,
        })
        .await;
        assert_eq!(payload, b"tipsets please");
        a.handle
            .respond(id, b"here they are".to_vec())
            .await
            .unwrap();
    };
    let (response, ()) = tokio::join!(ask, answer);
    assert_eq!(response.unwrap(), b"here they are");

    // Bitswap: B fetches a block only A has, checked against its CID.
    let data = b"a block that only a has".to_vec();
    let cid = Cid::new_v1(RAW, HashFn::Sha2_256.digest(&data));
    a.store.insert(cid, data.clone());
    let fetched = within("bitswap", b.handle.get_block(cid, GUARD))
        .await
        .unwrap();
    assert_eq!(fetched, data);
    // A block no one has times out with an error saying which.
    let missing = Cid::new_v1(RAW, HashFn::Sha2_256.digest(b"nobody has this"));
    let err = within(
        "bitswap timeout",
        b.handle.get_block(missing, Duration::from_secs(3)),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains(&missing.to_string()), "{err}");
    assert!(
        b.store.is_empty(),
        "bitswap must not store unverified blocks"
    );

    let peers = b.handle.peers().await.unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].peer_id, a_id.to_string());
    assert_eq!(peers[0].score, 0);
    let addrs = a.handle.addrs().await.unwrap();
    assert_eq!(addrs.addrs, vec![a.addr.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_gossiping_invalid_blocks_is_banned_and_refused() {
    let mut a = start(vec![]).await;
    let mut b = start(vec![a.addr.clone()]).await;
    let a_id = a.handle.local_peer_id();
    wait_for(&mut a, "connected", |e| {
        matches!(e, NetEvent::Connected(_)).then_some(())
    })
    .await;

    let mut got = None;
    for attempt in 0..60u32 {
        let data = format!("bad block {attempt}").into_bytes();
        a.handle.publish(Topic::Blocks, data).await.unwrap();
        if let Ok(Some(id)) = tokio::time::timeout(Duration::from_millis(500), async {
            loop {
                match b.events.recv().await {
                    Some(NetEvent::Gossip { id, .. }) => return Some(id),
                    Some(_) => {}
                    None => return None,
                }
            }
        })
        .await
        {
            got = Some(id);
            break;
        }
    }
    let id = got.expect("gossip never arrived");
    b.handle
        .report(id, Verdict::Reject(Misbehaviour::InvalidBlock))
        .await
        .unwrap();
    let banned = wait_for(&mut b, "ban", |e| match e {
        NetEvent::Banned(p) => Some(p),
        _ => None,
    })
    .await;
    assert_eq!(banned, a_id);
    wait_for(&mut b, "disconnect", |e| {
        matches!(e, NetEvent::Disconnected(p) if p == a_id).then_some(())
    })
    .await;
    let peers = b.handle.peers().await.unwrap();
    assert!(peers.iter().all(|p| p.peer_id != a_id.to_string()));
    // A dials again: refused while the ban lasts.
    a.handle.dial(b.addr.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peers = b.handle.peers().await.unwrap();
    assert!(
        peers.iter().all(|p| p.peer_id != a_id.to_string()),
        "a banned peer got back in: {peers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_are_found_through_the_dht_and_operators_can_block_peers() {
    let hub = start(vec![]).await;
    let mut a = start(vec![hub.addr.clone()]).await;
    let mut c = start(vec![hub.addr.clone()]).await;
    let hub_id = hub.handle.local_peer_id();
    let a_id: PeerId = a.handle.local_peer_id();
    wait_for(&mut a, "a connected", |e| {
        matches!(e, NetEvent::Connected(_)).then_some(())
    })
    .await;
    wait_for(&mut c, "c connected", |e| {
        matches!(e, NetEvent::Connected(_)).then_some(())
    })
    .await;

    let data = b"pinned root".to_vec();
    let cid = Cid::new_v1(RAW, HashFn::Sha2_256.digest(&data));
    a.store.insert(cid, data.clone());
    // Identify must have told the hub's DHT about A before A's record can be stored there:
    // retried until C finds A (bounded).
    let mut found = Vec::new();
    for _ in 0..30 {
        a.handle.provide(cid).await.unwrap();
        found = within("providers", c.handle.find_providers(cid))
            .await
            .unwrap();
        if found.contains(&a_id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(found.contains(&a_id), "providers: {found:?}");
    // C dials the provider it found (by id: the DHT knows its addresses) and fetches.
    c.handle
        .dial(Multiaddr::empty().with(libp2p_p2p(a_id)))
        .await
        .unwrap();
    let fetched = within("bitswap", c.handle.get_block(cid, GUARD))
        .await
        .unwrap();
    assert_eq!(fetched, data);

    // An operator's block cuts the peer off until it is lifted.
    c.handle.block(hub_id).await.unwrap();
    wait_for(&mut c, "hub cut off", |e| {
        matches!(e, NetEvent::Disconnected(p) if p == hub_id).then_some(())
    })
    .await;
    c.handle.unblock(hub_id).await.unwrap();
    wait_for(&mut c, "hub back", |e| {
        matches!(e, NetEvent::Connected(p) if p == hub_id).then_some(())
    })
    .await;
}

fn libp2p_p2p(peer: PeerId) -> flowcoin_net::multiaddr::Protocol<'static> {
    flowcoin_net::multiaddr::Protocol::P2p(peer)
}
