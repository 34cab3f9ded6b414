//! What the network tests share: a real network service on loopback and bounded waits.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_net::{Keypair, Multiaddr, NetConfig, NetEvent, NetHandle};
use tokio::sync::mpsc::Receiver;

pub const GUARD: Duration = Duration::from_secs(60);

pub struct Peer {
    pub handle: NetHandle,
    pub events: Receiver<NetEvent>,
    pub addr: Multiaddr,
    pub store: Arc<MemoryBlockstore>,
}

pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing after {GUARD:?}"))
}

pub async fn start(bootstrap: Vec<Multiaddr>) -> Peer {
    let mut config = NetConfig::new("testnet", Keypair::generate_ed25519());
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.bootstrap = bootstrap;
    let store = Arc::new(MemoryBlockstore::new());
    let (handle, mut events) = flowcoin_net::spawn(&config, store.clone()).unwrap();
    let addr = within("listening", async {
        loop {
            if let Some(NetEvent::Listening(a)) = events.recv().await {
                return a;
            }
        }
    })
    .await;
    Peer {
        handle,
        events,
        addr,
        store,
    }
}

/// Waits for the first event `pick` accepts, dropping the others.
pub async fn wait_for<T>(
    peer: &mut Peer,
    what: &str,
    mut pick: impl FnMut(NetEvent) -> Option<T>,
) -> T {
    within(what, async {
        loop {
            let event = peer.events.recv().await.expect("network stopped");
            if let Some(t) = pick(event) {
                return t;
            }
        }
    })
    .await
}
