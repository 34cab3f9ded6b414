//! Message application throughput and state-root computation among 10,000 accounts in a
//! `MemoryBlockstore`.
//!
//! `cargo bench -p flowcoin-state --bench apply`; figures go to docs/BENCHMARKS.md.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::{AccountState, ActorCode, ActorId, ActorState};
use flowcoin_state::apply::{ApplyContext, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, Message, NetworkParams, TokenAmount};

const ACCOUNTS: u32 = 10_000;
const BATCH: u32 = 1_000;

fn address(n: u32) -> Address {
    let mut key = [0u8; 32];
    key[..4].copy_from_slice(&n.to_be_bytes());
    Address::from_ed25519_public_key(&key)
}

/// A state with the singletons and `ACCOUNTS` funded accounts, not yet flushed.
fn populated() -> (StateTree<MemoryBlockstore>, Vec<ActorId>) {
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "bench").unwrap();
    let ids = (0..ACCOUNTS)
        .map(|n| {
            let address = address(n);
            let id = tree.register_new_address(&address).unwrap();
            let head = tree.put_state(&AccountState { address }).unwrap();
            let mut actor = ActorState::new(ActorCode::Account, head);
            actor.balance = TokenAmount::from_flw(1_000_000);
            tree.set_actor(id, actor).unwrap();
            id
        })
        .collect();
    (tree, ids)
}

fn transfers(c: &mut Criterion) {
    let (mut tree, ids) = populated();
    tree.flush().unwrap();
    let params = NetworkParams::devnet();
    let gas = GasSchedule::default();
    let ctx = ApplyContext {
        epoch: 1,
        base_fee: params.initial_base_fee,
        block_producer: ids[0],
        params: &params,
        gas: &gas,
        randomness: &flowcoin_crypto::randomness::NoRandomness,
        circulating_supply: TokenAmount::ZERO,
    };
    let mut nonces = vec![0u64; ids.len()];
    let mut next = 0usize;
    let mut g = c.benchmark_group("apply");
    g.throughput(Throughput::Elements(u64::from(BATCH)));
    g.bench_function("transfers_1000_among_10k", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let from = next % ids.len();
                let to = (next * 7919 + 1) % ids.len();
                next += 1;
                let m = Message {
                    from: address(from as u32),
                    to: Address::Id(ids[to]),
                    nonce: nonces[from],
                    value: TokenAmount::from_atto(1_000),
                    gas_limit: 400_000,
                    gas_fee_cap: TokenAmount::from_atto(200_000_000),
                    gas_premium: TokenAmount::from_atto(1_000),
                    ..Message::default()
                };
                let ret = apply_message(&mut tree, &m, &ctx).unwrap();
                assert_eq!(ret.receipt.exit_code, ExitCode::OK);
                nonces[from] += 1;
            }
        });
    });
    g.bench_function("transfers_1000_among_10k_then_flush", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let from = next % ids.len();
                let to = (next * 7919 + 1) % ids.len();
                next += 1;
                let m = Message {
                    from: Address::Id(ids[from]),
                    to: Address::Id(ids[to]),
                    nonce: nonces[from],
                    value: TokenAmount::from_atto(1_000),
                    gas_limit: 400_000,
                    gas_fee_cap: TokenAmount::from_atto(200_000_000),
                    gas_premium: TokenAmount::from_atto(1_000),
                    ..Message::default()
                };
                apply_message(&mut tree, &m, &ctx).unwrap();
                nonces[from] += 1;
            }
            black_box(tree.flush().unwrap());
        });
    });
    g.finish();
}

fn state_root(c: &mut Criterion) {
    let mut g = c.benchmark_group("state_root");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::from(ACCOUNTS)));
    g.bench_function("flush_10k_new_accounts", |b| {
        b.iter_batched(
            || populated().0,
            |mut tree| black_box(tree.flush().unwrap()),
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, transfers, state_root);
criterion_main!(benches);
