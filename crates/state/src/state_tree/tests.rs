use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_types::TokenAmount;

use super::*;

fn tree() -> StateTree<MemoryBlockstore> {
    StateTree::with_singletons(MemoryBlockstore::new(), "test").unwrap()
}

#[test]
fn singletons_exist_with_their_codes() {
    let t = tree();
    for (id, code) in [
        (SYSTEM_ACTOR_ID, ActorCode::System),
        (INIT_ACTOR_ID, ActorCode::Init),
        (REWARD_ACTOR_ID, ActorCode::Reward),
        (BURNT_FUNDS_ACTOR_ID, ActorCode::Account),
    ] {
        assert_eq!(t.get_actor(id).unwrap().unwrap().code, code);
    }
    assert_eq!(t.get_actor(FIRST_NON_SINGLETON_ID).unwrap(), None);
}

#[test]
fn registration_assigns_sequential_ids_and_survives_flush() {
    let mut t = tree();
    let a = Address::new_actor(b"a");
    let b = Address::from_bls_public_key([3; 48]);
    assert_eq!(t.register_new_address(&a).unwrap(), 100);
    assert_eq!(t.register_new_address(&b).unwrap(), 101);
    assert!(matches!(
        t.register_new_address(&a),
        Err(StateError::AddressAlreadyRegistered { id: 100, .. })
    ));
    assert!(matches!(
        t.register_new_address(&Address::Id(5)),
        Err(StateError::IdAddress(_))
    ));
    let old_head = t.get_actor(INIT_ACTOR_ID).unwrap().unwrap().head;
    let root = t.flush().unwrap();
    let new_head = t.get_actor(INIT_ACTOR_ID).unwrap().unwrap().head;
    assert_ne!(old_head, new_head);
    let init: InitState = t.get_state("init", &new_head).unwrap();
    assert_eq!(init.next_id, 102);
    let t = StateTree::load(t.into_store(), &root).unwrap();
    assert_eq!(t.lookup_id(&a).unwrap(), Some(100));
    assert_eq!(t.lookup_id(&b).unwrap(), Some(101));
    assert_eq!(t.lookup_id(&Address::new_actor(b"c")).unwrap(), None);
    assert_eq!(t.lookup_id(&Address::Id(7)).unwrap(), Some(7));
}

#[test]
fn replacing_init_with_unflushed_registrations_is_refused() {
    let mut t = tree();
    let init = t.get_actor(INIT_ACTOR_ID).unwrap().unwrap();
    t.register_new_address(&Address::new_actor(b"x")).unwrap();
    assert!(matches!(
        t.set_actor(INIT_ACTOR_ID, init),
        Err(StateError::InitStateUnflushed)
    ));
    t.flush().unwrap();
    let flushed = t.get_actor(INIT_ACTOR_ID).unwrap().unwrap();
    t.set_actor(INIT_ACTOR_ID, flushed).unwrap();
    assert_eq!(t.lookup_id(&Address::new_actor(b"x")).unwrap(), Some(100));
}

#[test]
fn unsupported_version_and_missing_root_are_errors() {
    let mut store = MemoryBlockstore::new();
    let bytes = to_cbor("root", &(2u64, cbor_cid(b"x"), 5u64)).unwrap();
    let cid = cbor_cid(&bytes);
    store.put(&cid, &bytes).unwrap();
    assert!(matches!(
        StateTree::load(&store, &cid),
        Err(StateError::UnsupportedVersion { version: 2 })
    ));
    let missing = cbor_cid(b"nothing");
    let err = StateTree::load(&store, &missing).unwrap_err();
    assert!(err.to_string().contains(&missing.to_string()), "{err}");
}

#[test]
fn actor_round_trips_through_flush_and_load() {
    let mut t = tree();
    let actor = ActorState {
        code: ActorCode::Account,
        head: cbor_cid(b"h"),
        nonce: 9,
        balance: TokenAmount::from_flw(3),
    };
    t.set_actor(1234, actor.clone()).unwrap();
    let root = t.flush().unwrap();
    assert_eq!(t.flush().unwrap(), root);
    let mut t = StateTree::load(t.into_store(), &root).unwrap();
    assert_eq!(t.get_actor(1234).unwrap(), Some(actor.clone()));
    assert_eq!(t.delete_actor(1234).unwrap(), Some(actor));
    assert_eq!(t.get_actor(1234).unwrap(), None);
    assert_ne!(t.flush().unwrap(), root);
}
