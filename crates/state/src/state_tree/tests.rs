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

#[test]
fn revert_restores_actors_registrations_and_the_root() {
    let mut t = tree();
    let a = Address::from_ed25519_public_key(&[1; 32]);
    let id = t.register_new_address(&a).unwrap();
    let head = t.put_state(&AccountState { address: a }).unwrap();
    t.set_actor(id, ActorState::new(ActorCode::Account, head))
        .unwrap();
    let before = t.flush().unwrap();

    t.begin().unwrap();
    assert!(matches!(t.begin(), Err(StateError::Transaction(_))));
    let b = Address::from_ed25519_public_key(&[2; 32]);
    let b_id = t.register_new_address(&b).unwrap();
    let b_head = t.put_state(&AccountState { address: b }).unwrap();
    t.set_actor(b_id, ActorState::new(ActorCode::Account, b_head))
        .unwrap();
    let mut changed = t.get_actor(id).unwrap().unwrap();
    changed.balance = TokenAmount::from_flw(5);
    t.set_actor(id, changed.clone()).unwrap();
    changed.nonce = 9;
    t.set_actor(id, changed).unwrap();
    t.delete_actor(BURNT_FUNDS_ACTOR_ID).unwrap();
    assert!(matches!(t.flush(), Err(StateError::Transaction(_))));
    t.revert().unwrap();

    assert_eq!(t.lookup_id(&b).unwrap(), None);
    assert_eq!(t.get_actor(b_id).unwrap(), None);
    assert_eq!(t.get_actor(id).unwrap().unwrap().nonce, 0);
    assert!(t.get_actor(BURNT_FUNDS_ACTOR_ID).unwrap().is_some());
    assert_eq!(t.flush().unwrap(), before);
    // The next registration reuses the reverted ID.
    assert_eq!(t.register_new_address(&b).unwrap(), b_id);
}

#[test]
fn commit_keeps_changes_and_ends_the_transaction() {
    let mut t = tree();
    t.begin().unwrap();
    let b = Address::from_ed25519_public_key(&[2; 32]);
    let id = t.register_new_address(&b).unwrap();
    t.commit().unwrap();
    assert!(matches!(t.commit(), Err(StateError::Transaction(_))));
    assert!(matches!(t.revert(), Err(StateError::Transaction(_))));
    let root = t.flush().unwrap();
    let loaded = StateTree::load(t.into_store(), &root).unwrap();
    assert_eq!(loaded.lookup_id(&b).unwrap(), Some(id));
}
