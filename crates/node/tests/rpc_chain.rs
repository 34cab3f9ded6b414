//! The chain, state, pool and miner methods over HTTP, on a node with a chain and a miner: a
//! devnet genesis with miner t01000 holding two real pre-sealed 2 KiB sectors; the test drives
//! the miner service epoch by epoch itself (no wall clock), pushes a transfer through
//! `MpoolPush`, finds it with `StateSearchMsg`, pledges a sector, and checks every method's
//! result against the state read directly, and its errors (unknown CIDs and actors, malformed
//! parameters, a node without a chain or a miner, too low a permission).

use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, Mutex};

use flowcoin_chain::genesis::{self, GenesisTemplate};
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{SecretKey, bls, ed25519};
use flowcoin_dag::store::{DiskStore, MemoryBlockstore};
use flowcoin_node::auth::{self, JwtSecret, Permission};
use flowcoin_node::chain::ChainService;
use flowcoin_node::client::ApiClient;
use flowcoin_node::miner::{MinerConfig, MinerService, sector_store};
use flowcoin_node::node::NodeState;
use flowcoin_node::rpc::FlowcoinApiClient;
use flowcoin_node::rpc::errors::{
    INVALID_PARAMS_CODE, NOT_FOUND_CODE, REFUSED_CODE, UNAVAILABLE_CODE,
};
use flowcoin_node::rpc::guard::FORBIDDEN_CODE;
use flowcoin_node::server::{self, ApiConfig, ServerHandle};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, Message, Network, NetworkParams, SectorSize, TokenAmount};
use jsonrpsee::core::ClientError;
use jsonrpsee::types::ErrorObjectOwned;

const MINER: u64 = 1000;

fn owner_key() -> SecretKey {
    SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32]))
}

fn worker_key() -> bls::SecretKey {
    bls::SecretKey::from_seed(&[12; 32]).unwrap()
}

fn text(address: Address) -> String {
    address.display(Network::Devnet).to_string()
}

/// Seals the miner's two sectors into `repo/sectors` and writes `repo/genesis.car` (as
/// tests/chain.rs does).
fn make_genesis(repo: &Path) {
    let owner = owner_key().public_key().address();
    let template = GenesisTemplate {
        network: Network::Devnet,
        timestamp: 1_700_000_000,
        premine: owner,
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses().unwrap(),
        miners: vec![
            flowcoin_miner::genesis::pre_seal(
                &sector_store(repo),
                &flowcoin_miner::genesis::PreSeal {
                    miner: MINER,
                    owner,
                    worker: Address::from_bls_public_key(worker_key().public_key().to_bytes()),
                    sector_size: SectorSize::Size2KiB,
                    sectors: 2,
                    expiration: 100_000,
                },
                |_| {},
            )
            .unwrap(),
        ],
    };
    let mut store = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store).unwrap();
    genesis::write_car(&built, &store, &repo.join("genesis.car")).unwrap();
}

/// A node's API over a chain service and miner service the test drives.
struct TestNode {
    chain: Arc<Mutex<ChainService>>,
    miner: Arc<Mutex<MinerService>>,
    secret: JwtSecret,
    servers: Vec<ServerHandle>,
}

impl TestNode {
    fn start(repo: &Path) -> Self {
        make_genesis(repo);
        let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
        let chain = ChainService::open(repo, disk, Some(&repo.join("genesis.car"))).unwrap();
        let miner = MinerService::new(
            MinerConfig {
                id: MINER,
                worker: Arc::new(worker_key()),
                // The owner pays the miner's gas (the worker holds no FLW).
                sender: Arc::new(owner_key()),
            },
            repo,
        );
        Self {
            chain: Arc::new(Mutex::new(chain)),
            miner: Arc::new(Mutex::new(miner)),
            secret: JwtSecret::from_bytes([42; 32]),
            servers: Vec::new(),
        }
    }

    /// Serves the API over `state`; returns a client holding a token for `permission`.
    async fn serve(&mut self, state: NodeState, permission: Permission) -> ApiClient {
        let config = ApiConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..ApiConfig::default()
        };
        let server = server::serve(&config, Arc::new(state)).await.unwrap();
        let url = server.http_url();
        self.servers.push(server);
        let token = auth::create_token(&self.secret, permission).unwrap();
        ApiClient::connect(&url, Some(&token)).unwrap()
    }

    fn state(&self) -> NodeState {
        NodeState::new(NetworkParams::devnet(), self.secret.clone())
    }

    /// Runs the miner for epochs `from..=to`; returns the heights of the blocks made.
    async fn mine(&self, from: u64, to: u64) -> Vec<u64> {
        let chain = Arc::clone(&self.chain);
        let miner = Arc::clone(&self.miner);
        tokio::task::spawn_blocking(move || {
            let mut chain = chain.lock().unwrap();
            let mut miner = miner.lock().unwrap();
            (from..=to)
                .filter(|&height| {
                    let block = miner.work(&mut chain, height).unwrap().block;
                    // Pledged sectors seal in the background: wait, so the next epoch sees them.
                    miner.wait_sealed();
                    block
                })
                .collect()
        })
        .await
        .unwrap()
    }

    /// The head's height and state tree, read directly.
    fn head_state(&self) -> (u64, StateTree<flowcoin_node::chain::DiskView>) {
        let chain = self.chain.lock().unwrap();
        let executed = chain.head_executed().unwrap();
        let tree = StateTree::load(chain.store().blocks().disk(), &executed.state_root).unwrap();
        (chain.head().unwrap().height(), tree)
    }

    async fn stop(self) {
        for server in self.servers {
            server.stop().await.unwrap();
        }
    }
}

/// The JSON-RPC error of a failed call.
fn rpc_error<T: Debug>(result: Result<T, ClientError>) -> ErrorObjectOwned {
    match result {
        Err(ClientError::Call(e)) => e,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// Asserts the call failed with `code` and a message containing `needle`.
fn assert_error<T: Debug>(result: Result<T, ClientError>, code: i32, needle: &str) {
    let e = rpc_error(result);
    assert_eq!(e.code(), code, "{e:?}");
    assert!(
        e.message().contains(needle),
        "{:?} lacks {needle:?}",
        e.message()
    );
}

/// A CID that names nothing the node has.
const ABSENT_CID: &str = "bafy2bzaceaxm23epjsmh75yvzcecsrbavlmkcxnva66bkdebdcnyw3bjrc74u";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_state_pool_and_miner_methods_answer_from_the_running_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = TestNode::start(dir.path());
    let state = node
        .state()
        .with_chain(Arc::clone(&node.chain), Some(Arc::clone(&node.miner)));
    let api = node.serve(state, Permission::Write).await;
    let read_only = {
        let state = node
            .state()
            .with_chain(Arc::clone(&node.chain), Some(Arc::clone(&node.miner)));
        node.serve(state, Permission::Read).await
    };

    // Genesis: the head is at 0, with the initial base fee.
    let head = api.chain_head().await.unwrap();
    assert_eq!(head.height, 0);
    assert_eq!(
        head.next_base_fee,
        NetworkParams::devnet().initial_base_fee.atto().to_string()
    );

    let made = node.mine(1, 5).await;
    assert!(!made.is_empty(), "a miner with all the power wins");
    let head = api.chain_head().await.unwrap();
    assert_eq!(head.height, *made.last().unwrap());
    assert_eq!(head.miners, vec!["t01000".to_owned()]);
    assert_eq!(head.cids.len(), 1);

    // Tipsets by height: each epoch with a block, the one before over a null round, and
    // nothing above the head.
    for height in 0..=head.height {
        let tipset = api.chain_get_tipset_by_height(height).await.unwrap();
        let expected = made.iter().copied().filter(|&h| h <= height).max();
        assert_eq!(tipset.height, expected.unwrap_or(0), "at {height}");
    }
    assert_eq!(
        api.chain_get_tipset_by_height(head.height).await.unwrap(),
        head
    );
    assert_error(
        api.chain_get_tipset_by_height(head.height + 1).await,
        NOT_FOUND_CODE,
        "above the head",
    );

    // Blocks.
    let block = api.chain_get_block(head.cids[0].clone()).await.unwrap();
    assert_eq!(block.cid, head.cids[0]);
    assert_eq!(block.miner, "t01000");
    assert_eq!(block.height, head.height);
    assert!(block.win_count >= 1);
    let parent = api
        .chain_get_tipset_by_height(head.height - 1)
        .await
        .unwrap();
    assert_eq!(block.parents, parent.cids);
    assert_eq!(block.parent_weight, parent.weight);
    assert_eq!(block.parent_base_fee, parent.next_base_fee);
    assert_error(
        api.chain_get_block(ABSENT_CID.to_owned()).await,
        NOT_FOUND_CODE,
        "is not known to this node",
    );
    assert_error(
        api.chain_get_block("not-a-cid".to_owned()).await,
        INVALID_PARAMS_CODE,
        "is not a CID",
    );

    // A transfer through the pool, signed here and pushed as hex of its DAG-CBOR.
    let owner = owner_key();
    let from = owner.public_key().address();
    let bob = Address::from_ed25519_public_key(&[77; 32]);
    let nonce = api.mpool_get_nonce(text(from)).await.unwrap();
    let transfer = Message {
        from,
        to: bob,
        nonce,
        value: TokenAmount::from_flw(42),
        gas_limit: 3_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
        gas_premium: TokenAmount::from_atto(1_000),
        ..Message::default()
    };
    let signed = sign_message(&owner, &transfer).unwrap();
    let hex_cbor = hex::encode(signed.to_cbor().unwrap());
    assert_error(
        read_only.mpool_push(hex_cbor.clone()).await,
        FORBIDDEN_CODE,
        "needs the write permission",
    );
    let cid = api.mpool_push(hex_cbor.clone()).await.unwrap();
    assert_eq!(cid, signed.cid().unwrap().to_string());
    // Pushing it again is harmless: the same CID.
    assert_eq!(api.mpool_push(hex_cbor).await.unwrap(), cid);
    assert_eq!(api.mpool_get_nonce(text(from)).await.unwrap(), nonce + 1);
    let pending = api.mpool_pending().await.unwrap();
    let mine = pending.iter().find(|m| m.cid == cid).expect("pending");
    assert_eq!(mine.from, text(from));
    assert_eq!(mine.to, text(bob));
    assert_eq!(mine.value, TokenAmount::from_flw(42).atto().to_string());
    assert_eq!(mine.nonce, nonce);
    assert_eq!(&api.chain_get_message(cid.clone()).await.unwrap(), mine);
    assert_eq!(api.state_search_msg(cid.clone()).await.unwrap(), None);
    assert_eq!(api.chain_get_receipt(cid.clone()).await.unwrap(), None);

    // What the pool refuses: not hex, not a signed message, a bad signature.
    assert_error(
        api.mpool_push("zz".to_owned()).await,
        INVALID_PARAMS_CODE,
        "hex of a signed message",
    );
    assert_error(
        api.mpool_push("8200".to_owned()).await,
        INVALID_PARAMS_CODE,
        "signed message",
    );
    let mut forged = sign_message(
        &owner,
        &Message {
            nonce: nonce + 1,
            ..transfer.clone()
        },
    )
    .unwrap();
    forged.message.value = TokenAmount::from_flw(1_000);
    assert_error(
        api.mpool_push(hex::encode(forged.to_cbor().unwrap())).await,
        REFUSED_CODE,
        "the message pool refused the message",
    );

    // Executed at the next block: found, with its receipt.
    let from_height = head.height + 1;
    let made = node.mine(from_height, from_height + 2).await;
    let included = *made.first().expect("a block");
    let lookup = api
        .state_search_msg(cid.clone())
        .await
        .unwrap()
        .expect("executed");
    assert_eq!(lookup.message, cid);
    assert_eq!(lookup.height, included);
    assert_eq!(lookup.receipt.exit_code, 0);
    assert_eq!(lookup.receipt.exit_code_name.as_deref(), Some("Ok"));
    assert_eq!(lookup.receipt.return_data, "");
    assert!(lookup.receipt.gas_used > 0 && lookup.receipt.gas_used <= transfer.gas_limit);
    assert_eq!(
        lookup.tip_set,
        api.chain_get_tipset_by_height(included).await.unwrap().cids
    );
    let in_block = api
        .chain_get_block(lookup.tip_set[0].clone())
        .await
        .unwrap();
    assert!(in_block.messages.contains(&cid));
    assert_eq!(
        api.chain_get_receipt(cid.clone()).await.unwrap(),
        Some(lookup.receipt.clone())
    );
    // From the chain store now, no longer pending.
    assert!(
        api.mpool_pending()
            .await
            .unwrap()
            .iter()
            .all(|m| m.cid != cid)
    );
    assert_eq!(
        api.chain_get_message(cid.clone()).await.unwrap().nonce,
        nonce
    );
    assert_eq!(
        api.state_search_msg(ABSENT_CID.to_owned()).await.unwrap(),
        None
    );
    assert_error(
        api.chain_get_message(ABSENT_CID.to_owned()).await,
        NOT_FOUND_CODE,
        "neither on the chain nor pending",
    );

    // Balances and actors.
    let (height, tree) = node.head_state();
    assert_eq!(
        api.wallet_balance(text(bob)).await.unwrap(),
        TokenAmount::from_flw(42).atto().to_string()
    );
    let bob_id = tree.lookup_id(&bob).unwrap().unwrap();
    assert_eq!(
        api.state_lookup_id(text(bob)).await.unwrap(),
        text(Address::Id(bob_id))
    );
    let actor = api.state_get_actor(text(bob)).await.unwrap();
    assert_eq!(actor.id, text(Address::Id(bob_id)));
    assert_eq!(actor.code, "flw/1/account");
    assert_eq!(actor.key_address, Some(text(bob)));
    assert_eq!(actor.balance, TokenAmount::from_flw(42).atto().to_string());
    assert_eq!(actor.nonce, 0);
    let sender = api.state_get_actor(text(from)).await.unwrap();
    let on_chain = tree
        .get_actor(tree.lookup_id(&from).unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(sender.nonce, on_chain.nonce);
    assert_eq!(sender.balance, on_chain.balance.atto().to_string());
    assert_eq!(
        api.state_get_actor("t01000".to_owned()).await.unwrap().code,
        "flw/1/storageminer"
    );
    let stranger = Address::from_ed25519_public_key(&[99; 32]);
    assert_eq!(api.wallet_balance(text(stranger)).await.unwrap(), "0");
    assert_error(
        api.state_get_actor(text(stranger)).await,
        NOT_FOUND_CODE,
        "not found in the state",
    );
    assert_error(
        api.state_lookup_id(text(stranger)).await,
        NOT_FOUND_CODE,
        "not found",
    );
    assert_error(
        api.mpool_get_nonce(text(stranger)).await,
        NOT_FOUND_CODE,
        "send it some FLW first",
    );
    assert_error(
        api.wallet_balance("f01000".to_owned()).await,
        INVALID_PARAMS_CODE,
        "mainnet",
    );
    assert_error(
        api.state_get_actor("nonsense".to_owned()).await,
        INVALID_PARAMS_CODE,
        "nonsense",
    );

    // Power, miner info, sectors, the proving deadline, the supply.
    let network = api.state_power().await.unwrap();
    assert_eq!(network.height, height);
    assert_eq!(network.total_raw_power, "4096");
    assert_eq!(network.total_eligible_power, "4096");
    assert_eq!(network.miner_count, 1);
    assert_eq!(network.miners_above_min, 1);
    let power = api.state_miner_power("t01000".to_owned()).await.unwrap();
    assert_eq!(power.miner, "t01000");
    assert_eq!(power.raw_power, "4096");
    assert_eq!(power.total_raw_power, "4096");
    assert!(power.has_min_power);
    assert_error(
        api.state_miner_power(text(bob)).await,
        NOT_FOUND_CODE,
        "is not a miner",
    );
    assert_error(
        api.state_miner_info("t09999".to_owned()).await,
        NOT_FOUND_CODE,
        "not found",
    );

    let info = api.state_miner_info("t01000".to_owned()).await.unwrap();
    let (miner_actor, miner_state) = flowcoin_state::actor::miner::miner_state(&tree, MINER)
        .unwrap()
        .unwrap();
    assert_eq!(info.miner, "t01000");
    assert_eq!(
        info.owner,
        text(tree.lookup_id(&from).unwrap().map(Address::Id).unwrap())
    );
    assert_eq!(info.worker, text(Address::Id(miner_state.info.worker)));
    assert_eq!(
        info.worker_key,
        text(Address::from_bls_public_key(
            worker_key().public_key().to_bytes()
        ))
    );
    assert_eq!(info.sector_size, 2048);
    assert_eq!(info.balance, miner_actor.balance.atto().to_string());
    assert_ne!(info.balance, "0", "block rewards arrive");
    assert_eq!(info.initial_pledge, "0", "genesis sectors carry no pledge");
    assert_eq!(info.next_sector_number, miner_state.next_sector_number);

    let sectors = api.state_miner_sectors("t01000".to_owned()).await.unwrap();
    let numbers: Vec<u64> = sectors.sectors.iter().map(|s| s.sector_number).collect();
    assert_eq!(numbers, [0, 1]);
    assert!(sectors.pre_commits.is_empty());
    assert!(sectors.sectors.iter().all(|s| s.faulty_since.is_none()));
    assert!(sectors.sectors.iter().all(|s| s.expiration == 100_000));

    let params = NetworkParams::devnet();
    let deadline = api
        .state_miner_proving_deadline("t01000".to_owned())
        .await
        .unwrap();
    let window = params.challenge_window();
    assert_eq!(deadline.current_epoch, height);
    assert_eq!(deadline.challenge_window, window);
    assert_eq!(deadline.deadlines, params.deadlines);
    assert_eq!(deadline.proving_period, params.proving_period);
    assert_eq!(
        deadline.index,
        (height / window + MINER % params.deadlines) % params.deadlines
    );
    assert!(deadline.open <= height && height < deadline.close);
    assert_eq!(deadline.close - deadline.open, window);
    assert_eq!(
        deadline.challenge,
        deadline
            .open
            .saturating_sub(params.wpost_challenge_lookback)
    );
    assert_eq!(
        deadline.fault_cutoff,
        deadline
            .open
            .saturating_sub(params.miner.fault_declaration_cutoff)
    );
    let expected_sectors = sectors
        .sectors
        .iter()
        .filter(|s| s.deadline == deadline.index)
        .count() as u64;
    assert_eq!(deadline.live_sectors, expected_sectors);
    assert_eq!(deadline.faulty_sectors, 0);

    let supply = api.state_circulating_supply().await.unwrap();
    assert_eq!(supply.height, height);
    assert_eq!(
        supply.circulating,
        flowcoin_state::supply::circulating_supply(&tree, height)
            .unwrap()
            .atto()
            .to_string()
    );
    assert_eq!(
        supply.total,
        TokenAmount::from_flw(310_000_000).atto().to_string()
    );
    let unmined: u128 = supply.unmined.parse().unwrap();
    assert!(
        unmined < TokenAmount::from_flw(217_000_000).atto(),
        "rewards were paid"
    );
    let burnt: u128 = supply.burnt.parse().unwrap();
    assert!(burnt > 0, "the transfer's base fee was burnt");

    // Pledging a sector: the miner seals it and pre-commits it at the next epochs.
    assert_eq!(
        api.miner_address().await.unwrap().as_deref(),
        Some("t01000")
    );
    assert_error(
        read_only.miner_pledge().await,
        FORBIDDEN_CODE,
        "needs the write permission",
    );
    assert_eq!(api.miner_pledge().await.unwrap(), "t01000");
    let mut next = height + 1;
    let committed = loop {
        node.mine(next, next).await;
        let s = api.state_miner_sectors("t01000".to_owned()).await.unwrap();
        if s.sectors.len() + s.pre_commits.len() == 3 || next > height + 5 {
            break s;
        }
        next += 1;
    };
    let new_sector = committed
        .pre_commits
        .iter()
        .map(|p| p.sector_number)
        .chain(committed.sectors.iter().map(|s| s.sector_number))
        .find(|&n| n >= 2);
    assert_eq!(new_sector, Some(2), "{committed:?}");

    // A node with a chain and no miner, and a node with no chain.
    let no_miner = {
        let state = node.state().with_chain(Arc::clone(&node.chain), None);
        node.serve(state, Permission::Admin).await
    };
    assert_eq!(no_miner.miner_address().await.unwrap(), None);
    assert_error(
        no_miner.miner_pledge().await,
        UNAVAILABLE_CODE,
        "does not mine",
    );
    assert_eq!(
        no_miner.chain_head().await.unwrap(),
        api.chain_head().await.unwrap()
    );
    let no_chain = {
        let state = node.state();
        node.serve(state, Permission::Admin).await
    };
    let runs_no_chain = "this node runs no chain";
    assert_error(no_chain.chain_head().await, UNAVAILABLE_CODE, runs_no_chain);
    assert_error(
        no_chain.chain_get_tipset_by_height(0).await,
        UNAVAILABLE_CODE,
        runs_no_chain,
    );
    assert_error(
        no_chain.chain_get_block(ABSENT_CID.to_owned()).await,
        UNAVAILABLE_CODE,
        runs_no_chain,
    );
    assert_error(
        no_chain.chain_get_message(ABSENT_CID.to_owned()).await,
        UNAVAILABLE_CODE,
        runs_no_chain,
    );
    assert_error(
        no_chain.chain_get_receipt(ABSENT_CID.to_owned()).await,
        UNAVAILABLE_CODE,
        runs_no_chain,
    );
    assert_error(
        no_chain.state_search_msg(ABSENT_CID.to_owned()).await,
        UNAVAILABLE_CODE,
        runs_no_chain,
    );
    for result in [
        no_chain
            .state_get_actor("t01000".to_owned())
            .await
            .map(drop),
        no_chain
            .state_lookup_id("t01000".to_owned())
            .await
            .map(drop),
        no_chain.wallet_balance("t01000".to_owned()).await.map(drop),
        no_chain.state_power().await.map(drop),
        no_chain
            .state_miner_power("t01000".to_owned())
            .await
            .map(drop),
        no_chain
            .state_miner_info("t01000".to_owned())
            .await
            .map(drop),
        no_chain
            .state_miner_sectors("t01000".to_owned())
            .await
            .map(drop),
        no_chain
            .state_miner_proving_deadline("t01000".to_owned())
            .await
            .map(drop),
        no_chain.state_circulating_supply().await.map(drop),
        no_chain
            .mpool_get_nonce("t01000".to_owned())
            .await
            .map(drop),
        no_chain.mpool_pending().await.map(drop),
        no_chain.mpool_push("00".to_owned()).await.map(drop),
    ] {
        assert_error(result, UNAVAILABLE_CODE, runs_no_chain);
    }
    assert_eq!(no_chain.miner_address().await.unwrap(), None);
    assert_error(
        no_chain.miner_pledge().await,
        UNAVAILABLE_CODE,
        "does not mine",
    );

    node.stop().await;
}
