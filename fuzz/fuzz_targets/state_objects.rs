//! State objects read from the blockstore or received during sync: a HAMT node (under the CID
//! of its bytes) and an actor state must decode or fail cleanly, never panic; iterating a
//! decoded node whose children are missing must fail cleanly too; an actor, miner, power,
//! deadline or sector state that decodes re-encodes to the same bytes, and so does a genesis
//! block.
#![no_main]

use flowcoin_chain::genesis::{GenesisBlock, MAX_GENESIS_BLOCK_BYTES};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::ActorState;
use flowcoin_state::actor::miner::{Deadline, MinerState, SectorOnChain};
use flowcoin_state::actor::power::PowerState;
use flowcoin_state::hamt::Hamt;
use flowcoin_types::message::{cbor_cid, from_cbor, to_cbor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cid = cbor_cid(data);
    if let Ok(hamt) = Hamt::<ActorState>::from_root_block(&cid, data) {
        let store = MemoryBlockstore::default();
        let _ = hamt.for_each(&store, |_, _| {});
    }
    if let Ok(hamt) = Hamt::<u64>::from_root_block(&cid, data) {
        let store = MemoryBlockstore::default();
        let _ = hamt.get(&store, b"key");
    }
    if let Ok(actor) = from_cbor::<ActorState>("actor", data, 1 << 16) {
        assert_eq!(to_cbor("actor", &actor).unwrap(), data);
    }
    if let Ok(state) = from_cbor::<MinerState>("miner", data, 1 << 20) {
        assert_eq!(to_cbor("miner", &state).unwrap(), data);
    }
    if let Ok(state) = from_cbor::<PowerState>("power", data, 1 << 16) {
        assert_eq!(to_cbor("power", &state).unwrap(), data);
    }
    if let Ok(deadline) = from_cbor::<Deadline>("deadline", data, 1 << 20) {
        assert_eq!(to_cbor("deadline", &deadline).unwrap(), data);
    }
    if let Ok(sector) = from_cbor::<SectorOnChain>("sector", data, 1 << 16) {
        assert_eq!(to_cbor("sector", &sector).unwrap(), data);
    }
    if let Ok(block) = from_cbor::<GenesisBlock>("genesis block", data, MAX_GENESIS_BLOCK_BYTES) {
        assert_eq!(to_cbor("genesis block", &block).unwrap(), data);
    }
});
