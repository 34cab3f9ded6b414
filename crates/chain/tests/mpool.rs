//! The message pool: every refusal of `add`, nonce and gap handling, replace-by-fee at its
//! exact threshold, the limits and eviction, selection order and bounds, head changes, and a
//! property test of selection over random pools. Messages are signed with real ed25519 and
//! BLS keys.

use std::collections::BTreeMap;

use flowcoin_chain::mpool::{
    AddError, Added, EffectivePremium, HeadChangeReport, Mpool, MpoolConfig, MpoolState,
    SenderState,
};
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{SecretKey, bls, ed25519};
use flowcoin_state::gas::GasSchedule;
use flowcoin_types::message::MAX_PARAMS_BYTES;
use flowcoin_types::{Address, Message, NetworkParams, SignedMessage, TokenAmount};
use proptest::prelude::*;

/// The base fee of the test head (the devnet minimum base fee is 100 attoFLW).
const BASE_FEE: u128 = 100;
/// A gas limit well above any test message's on-chain minimum (about 250,000).
const GAS: u64 = 1_000_000;

fn atto(n: u128) -> TokenAmount {
    TokenAmount::from_atto(n)
}

/// The chain's view: accounts by key address, ID addresses that resolve to key addresses.
#[derive(Debug, Clone)]
struct Head {
    accounts: BTreeMap<Address, SenderState>,
    ids: BTreeMap<Address, Address>,
    base_fee: TokenAmount,
}

impl Head {
    fn new() -> Self {
        Self {
            accounts: BTreeMap::new(),
            ids: BTreeMap::new(),
            base_fee: atto(BASE_FEE),
        }
    }

    fn fund(&mut self, address: Address, nonce: u64, balance: TokenAmount) {
        self.accounts
            .insert(address, SenderState { nonce, balance });
    }

    fn set_nonce(&mut self, address: Address, nonce: u64) {
        self.accounts.get_mut(&address).unwrap().nonce = nonce;
    }
}

impl MpoolState for Head {
    fn actor(&self, address: &Address) -> Option<SenderState> {
        self.accounts.get(address).copied()
    }

    fn base_fee(&self) -> TokenAmount {
        self.base_fee
    }

    fn key_address(&self, address: &Address) -> Option<Address> {
        match address {
            Address::Ed25519(_) | Address::Bls(_) => Some(*address),
            _ => self.ids.get(address).copied(),
        }
    }
}

/// A sender with its key.
struct Sender {
    key: SecretKey,
    address: Address,
}

impl Sender {
    fn ed25519(seed: u8) -> Self {
        Self::from_key(SecretKey::Ed25519(ed25519::SecretKey::from_seed(
            &[seed; 32],
        )))
    }

    fn bls(seed: u8) -> Self {
        Self::from_key(SecretKey::Bls(
            bls::SecretKey::from_seed(&[seed; 32]).unwrap(),
        ))
    }

    fn from_key(key: SecretKey) -> Self {
        let address = key.public_key().address();
        Self { key, address }
    }

    /// A transfer of nothing with this nonce, premium and fee cap.
    fn message(&self, nonce: u64, premium: u128, fee_cap: u128) -> Message {
        Message {
            from: self.address,
            to: Address::Id(1001),
            nonce,
            gas_limit: GAS,
            gas_fee_cap: atto(fee_cap),
            gas_premium: atto(premium),
            ..Message::default()
        }
    }

    fn sign(&self, message: &Message) -> SignedMessage {
        sign_message(&self.key, message).unwrap()
    }

    /// A signed transfer with this nonce and premium, fee cap 10,000.
    fn signed(&self, nonce: u64, premium: u128) -> SignedMessage {
        self.sign(&self.message(nonce, premium, 10_000))
    }
}

/// What one of [`Sender::message`]'s messages reserves: gas limit × fee cap.
fn reserve(fee_cap: u128) -> TokenAmount {
    atto(u128::from(GAS) * fee_cap)
}

fn pool_with(head: Head, config: MpoolConfig) -> Mpool<Head> {
    Mpool::new(
        head,
        NetworkParams::devnet(),
        GasSchedule::default(),
        config,
    )
}

/// A pool over `head` with the default limits.
fn pool(head: Head) -> Mpool<Head> {
    pool_with(head, MpoolConfig::default())
}

/// A head where each sender has 1 FLW and nonce 0.
fn funded(senders: &[&Sender]) -> Head {
    let mut head = Head::new();
    for sender in senders {
        head.fund(sender.address, 0, TokenAmount::ONE_FLW);
    }
    head
}

fn cid(signed: &SignedMessage) -> cid::Cid {
    signed.cid().unwrap()
}

fn nonces(messages: &[SignedMessage], sender: &Sender) -> Vec<u64> {
    messages
        .iter()
        .filter(|m| m.message.from == sender.address)
        .map(|m| m.message.nonce)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn refuses_a_signature_that_does_not_verify() {
    let alice = Sender::ed25519(1);
    let carol = Sender::bls(3);
    let mut pool = pool(funded(&[&alice, &carol]));
    for sender in [&alice, &carol] {
        // Changed after signing.
        let mut signed = sender.signed(0, 10);
        signed.message.gas_premium = atto(11);
        assert!(
            matches!(pool.add(signed), Err(AddError::BadSignature { .. })),
            "{:?}",
            sender.address
        );
        // Cut short, emptied, garbage.
        let signed = sender.signed(0, 10);
        for bytes in [
            signed.signature[..signed.signature.len() - 1].to_vec(),
            Vec::new(),
            vec![0xff; 97],
        ] {
            let broken = SignedMessage {
                signature: bytes,
                ..signed.clone()
            };
            assert!(matches!(
                pool.add(broken),
                Err(AddError::BadSignature { .. } | AddError::SignerNotSender { .. })
            ));
        }
    }
    assert_eq!(pool.pending_count(), 0);
}

#[test]
fn refuses_a_signature_by_another_key_than_the_sender() {
    let alice = Sender::ed25519(1);
    let mallory = Sender::ed25519(2);
    let carol = Sender::bls(3);
    let dave = Sender::bls(4);
    let mut pool = pool(funded(&[&alice, &carol]));
    // Same scheme, other key; other scheme.
    for (signer, victim) in [(&mallory, &alice), (&carol, &alice), (&alice, &carol)] {
        let signed = signer.sign(&victim.message(0, 10, 10_000));
        assert_eq!(
            pool.add(signed),
            Err(AddError::SignerNotSender {
                from: victim.address
            })
        );
    }
    // A BLS address is the key itself: another key's signature simply does not verify.
    let signed = dave.sign(&carol.message(0, 10, 10_000));
    assert!(matches!(
        pool.add(signed),
        Err(AddError::BadSignature { .. })
    ));
    assert_eq!(pool.pending_count(), 0);
}

#[test]
fn refuses_malformed_and_oversized_messages() {
    let alice = Sender::ed25519(1);
    let mut pool = pool_with(
        funded(&[&alice]),
        MpoolConfig {
            max_message_bytes: 2_000,
            ..MpoolConfig::default()
        },
    );
    let version = Message {
        version: 1,
        ..alice.message(0, 10, 10_000)
    };
    assert!(matches!(
        pool.add(alice.sign(&version)),
        Err(AddError::Malformed { .. })
    ));
    let exhausted = alice.message(u64::MAX, 10, 10_000);
    assert!(matches!(
        pool.add(alice.sign(&exhausted)),
        Err(AddError::Malformed { .. })
    ));
    let huge = Message {
        params: vec![0; MAX_PARAMS_BYTES + 1],
        ..alice.message(0, 10, 10_000)
    };
    assert!(matches!(
        pool.add(alice.sign(&huge)),
        Err(AddError::TooLarge { what: "params", len, .. }) if len == MAX_PARAMS_BYTES + 1
    ));
    let large = Message {
        params: vec![0; 2_000],
        gas_limit: 10_000_000,
        ..alice.message(0, 10, 10_000)
    };
    assert!(matches!(
        pool.add(alice.sign(&large)),
        Err(AddError::TooLarge {
            what: "signed message",
            max: 2_000,
            ..
        })
    ));
    assert_eq!(pool.pending_count(), 0);
}

#[test]
fn refuses_gas_limits_outside_the_chain_bounds() {
    let alice = Sender::ed25519(1);
    let params = NetworkParams::devnet();
    let mut pool = pool(funded(&[&alice]));

    let above = Message {
        gas_limit: params.block_gas_limit + 1,
        ..alice.message(0, 10, 100)
    };
    assert_eq!(
        pool.add(alice.sign(&above)),
        Err(AddError::GasLimitAboveBlockLimit {
            gas_limit: params.block_gas_limit + 1,
            block_gas_limit: params.block_gas_limit,
        })
    );

    // The minimum depends on the encoded size; every limit tried encodes in 5 bytes.
    let probe = Message {
        gas_limit: 100_000,
        ..alice.message(0, 10, 10_000)
    };
    let minimum = GasSchedule::default()
        .on_chain_message(probe.to_cbor().unwrap().len())
        .unwrap();
    assert!((65_536..1 << 32).contains(&minimum));
    let below = Message {
        gas_limit: minimum - 1,
        ..probe.clone()
    };
    assert_eq!(
        pool.add(alice.sign(&below)),
        Err(AddError::GasLimitBelowMinimum {
            gas_limit: minimum - 1,
            minimum
        })
    );
    let exact = Message {
        gas_limit: minimum,
        ..probe
    };
    assert!(pool.add(alice.sign(&exact)).is_ok());
}

#[test]
fn refuses_a_fee_cap_below_the_minimum_base_fee_or_under_the_premium() {
    let alice = Sender::ed25519(1);
    let min_base_fee = NetworkParams::devnet().min_base_fee;
    let mut pool = pool(funded(&[&alice]));
    let low = alice.message(0, 0, min_base_fee.atto() - 1);
    assert_eq!(
        pool.add(alice.sign(&low)),
        Err(AddError::FeeCapBelowMinBaseFee {
            fee_cap: atto(min_base_fee.atto() - 1),
            min_base_fee,
        })
    );
    let premium = alice.message(0, 501, 500);
    assert_eq!(
        pool.add(alice.sign(&premium)),
        Err(AddError::PremiumAboveFeeCap {
            premium: atto(501),
            fee_cap: atto(500),
        })
    );
    // At the minimum, with the whole cap as premium: accepted.
    assert!(pool.add(alice.sign(&alice.message(0, 100, 100))).is_ok());
}

#[test]
fn refuses_unknown_senders() {
    let alice = Sender::ed25519(1);
    let stranger = Sender::bls(9);
    let mut pool = pool(funded(&[&alice]));
    assert_eq!(
        pool.add(stranger.signed(0, 10)),
        Err(AddError::UnknownSender {
            from: stranger.address
        })
    );
    // An ID address the state cannot resolve.
    let by_id = Message {
        from: Address::Id(4242),
        ..alice.message(0, 10, 10_000)
    };
    assert_eq!(
        pool.add(alice.sign(&by_id)),
        Err(AddError::UnknownSender {
            from: Address::Id(4242)
        })
    );
}

#[test]
fn refuses_used_nonces_and_large_gaps() {
    let alice = Sender::ed25519(1);
    let mut head = Head::new();
    head.fund(alice.address, 5, TokenAmount::ONE_FLW);
    let mut pool = pool(head);

    assert_eq!(
        pool.add(alice.signed(4, 10)),
        Err(AddError::NonceTooLow {
            nonce: 4,
            state_nonce: 5
        })
    );
    assert_eq!(pool.next_nonce(&alice.address), Some(5));
    assert_eq!(
        pool.add(alice.signed(10, 10)),
        Err(AddError::NonceGap {
            nonce: 10,
            next_nonce: 5,
            max_gap: 4
        })
    );
    // A gap of exactly four is allowed; the next nonce stays at the first hole.
    pool.add(alice.signed(9, 10)).unwrap();
    assert_eq!(pool.next_nonce(&alice.address), Some(5));
    pool.add(alice.signed(5, 10)).unwrap();
    pool.add(alice.signed(6, 10)).unwrap();
    assert_eq!(pool.next_nonce(&alice.address), Some(7));
    // The gap is measured from the next nonce, so it moves with the contiguous run.
    assert!(matches!(
        pool.add(alice.signed(12, 10)),
        Err(AddError::NonceGap { next_nonce: 7, .. })
    ));
    pool.add(alice.signed(11, 10)).unwrap();
    pool.add(alice.signed(7, 10)).unwrap();
    pool.add(alice.signed(8, 10)).unwrap();
    assert_eq!(pool.next_nonce(&alice.address), Some(10));
    let pending: Vec<u64> = pool
        .pending(&alice.address)
        .map(|m| m.message.nonce)
        .collect();
    assert_eq!(pending, [5, 6, 7, 8, 9, 11]);
}

#[test]
fn refuses_messages_the_balance_cannot_cover_together() {
    let alice = Sender::ed25519(1);
    let mut head = Head::new();
    // Exactly two messages' reservations plus a value of 5.
    let balance = atto(reserve(10_000).atto() * 2 + 5);
    head.fund(alice.address, 0, balance);
    let mut pool = pool(head);

    pool.add(alice.signed(0, 10)).unwrap();
    let with_value = Message {
        value: atto(6),
        ..alice.message(1, 10, 10_000)
    };
    assert_eq!(
        pool.add(alice.sign(&with_value)),
        Err(AddError::InsufficientBalance {
            required: Some(atto(balance.atto() + 1)),
            balance,
            other_pending: 1,
        })
    );
    let exact = Message {
        value: atto(5),
        ..with_value
    };
    pool.add(alice.sign(&exact)).unwrap();
    assert!(matches!(
        pool.add(alice.signed(2, 10)),
        Err(AddError::InsufficientBalance {
            other_pending: 2,
            ..
        })
    ));
    // A reservation that overflows can never be covered.
    let overflow = Message {
        gas_fee_cap: TokenAmount::MAX,
        ..alice.message(2, 10, 10_000)
    };
    assert!(matches!(
        pool.add(alice.sign(&overflow)),
        Err(AddError::InsufficientBalance { required: None, .. })
    ));
}

#[test]
fn a_duplicate_is_already_pending_and_changes_nothing() {
    let alice = Sender::ed25519(1);
    let mut pool = pool(funded(&[&alice]));
    let signed = alice.signed(0, 10);
    let added = pool.add(signed.clone()).unwrap();
    assert_eq!(
        added,
        Added::Pending {
            cid: cid(&signed),
            replaced: None,
            evicted: Vec::new()
        }
    );
    assert_eq!(
        pool.add(signed.clone()).unwrap(),
        Added::AlreadyPending { cid: cid(&signed) }
    );
    assert_eq!(pool.pending_count(), 1);
    assert_eq!(pool.get(&cid(&signed)), Some(&signed));
    assert!(pool.contains(&cid(&signed)));
    assert_eq!(pool.stats().added, 1);
}

// ---------------------------------------------------------------------------------------------
// Replace by fee

#[test]
fn replace_by_fee_needs_exactly_a_quarter_more_premium_and_no_lower_fee_cap() {
    let alice = Sender::ed25519(1);
    let mut pool = pool(funded(&[&alice]));
    let first = alice.sign(&alice.message(0, 1_000, 10_000));
    pool.add(first.clone()).unwrap();

    let short = alice.sign(&alice.message(0, 1_249, 10_000));
    assert_eq!(
        pool.add(short),
        Err(AddError::ReplaceByFeeTooLow {
            nonce: 0,
            pending_premium: atto(1_000),
            premium: atto(1_249),
            required_premium: Some(atto(1_250)),
        })
    );
    let lower_cap = alice.sign(&alice.message(0, 1_250, 9_999));
    assert_eq!(
        pool.add(lower_cap),
        Err(AddError::ReplaceLowersFeeCap {
            nonce: 0,
            pending_fee_cap: atto(10_000),
            fee_cap: atto(9_999),
        })
    );
    let enough = alice.sign(&alice.message(0, 1_250, 10_000));
    assert_eq!(
        pool.add(enough.clone()).unwrap(),
        Added::Pending {
            cid: cid(&enough),
            replaced: Some(cid(&first)),
            evicted: Vec::new()
        }
    );
    assert_eq!(pool.pending_count(), 1);
    assert_eq!(pool.get(&cid(&first)), None);
    assert_eq!(pool.get(&cid(&enough)), Some(&enough));
    assert_eq!(pool.stats().replaced, 1);

    // A zero premium is replaced only by a positive one.
    let bob = Sender::bls(2);
    pool.state_mut().fund(bob.address, 0, TokenAmount::ONE_FLW);
    pool.add(bob.sign(&bob.message(0, 0, 10_000))).unwrap();
    let same = bob.sign(&Message {
        value: atto(1),
        ..bob.message(0, 0, 10_000)
    });
    assert!(matches!(
        pool.add(same),
        Err(AddError::ReplaceByFeeTooLow { required_premium: Some(p), .. }) if p == atto(1)
    ));
    pool.add(bob.sign(&bob.message(0, 1, 10_000))).unwrap();
}

#[test]
fn a_replacement_is_checked_against_the_balance_without_the_message_it_replaces() {
    let alice = Sender::ed25519(1);
    let mut head = Head::new();
    head.fund(alice.address, 0, reserve(10_000));
    let mut pool = pool(head);
    pool.add(alice.signed(0, 10)).unwrap();
    // The same reservation again fits, since the replaced one no longer counts.
    pool.add(alice.signed(0, 20)).unwrap();
    // A larger fee cap does not.
    assert!(matches!(
        pool.add(alice.sign(&alice.message(0, 40, 10_001))),
        Err(AddError::InsufficientBalance {
            other_pending: 0,
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// Limits and eviction

#[test]
fn a_sender_cannot_exceed_its_limit_but_can_still_replace() {
    let alice = Sender::ed25519(1);
    let mut pool = pool_with(
        funded(&[&alice]),
        MpoolConfig {
            max_per_sender: 3,
            ..MpoolConfig::default()
        },
    );
    for nonce in 0..3 {
        pool.add(alice.signed(nonce, 10)).unwrap();
    }
    assert_eq!(
        pool.add(alice.signed(3, 10_000)),
        Err(AddError::SenderFull {
            from: alice.address,
            limit: 3
        })
    );
    pool.add(alice.signed(2, 100)).unwrap();
    assert_eq!(pool.pending_count(), 3);
}

#[test]
fn a_full_pool_evicts_the_lowest_premium_last_nonce_of_another_sender() {
    let [alice, bob, carol, dave] = [1, 2, 3, 4].map(Sender::ed25519);
    let mut pool = pool_with(
        funded(&[&alice, &bob, &carol, &dave]),
        MpoolConfig {
            max_messages: 3,
            ..MpoolConfig::default()
        },
    );
    // Alice's first message pays least, but only her last one may go.
    pool.add(alice.signed(0, 10)).unwrap();
    pool.add(alice.signed(1, 500)).unwrap();
    let bob0 = bob.signed(0, 100);
    pool.add(bob0.clone()).unwrap();

    let carol0 = carol.signed(0, 200);
    assert_eq!(
        pool.add(carol0.clone()).unwrap(),
        Added::Pending {
            cid: cid(&carol0),
            replaced: None,
            evicted: vec![cid(&bob0)]
        }
    );
    assert_eq!(pool.pending_count(), 3);
    assert_eq!(pool.stats().evicted, 1);

    // Nothing evictable pays less than 200 now.
    assert_eq!(
        pool.add(dave.signed(0, 150)),
        Err(AddError::PoolFull {
            premium: EffectivePremium::Tip(atto(150)),
            to_beat: Some(EffectivePremium::Tip(atto(200))),
        })
    );
    // An equal premium does not evict either.
    assert!(matches!(
        pool.add(dave.signed(0, 200)),
        Err(AddError::PoolFull { .. })
    ));
    // A sender never evicts its own messages: Carol's second message evicts Alice's last.
    let carol1 = carol.signed(1, 1_000);
    let added = pool.add(carol1).unwrap();
    assert!(matches!(added, Added::Pending { ref evicted, .. } if evicted.len() == 1));
    let alice_left: Vec<u64> = pool
        .pending(&alice.address)
        .map(|m| m.message.nonce)
        .collect();
    assert_eq!(alice_left, [0]);
}

#[test]
fn eviction_ranks_by_effective_premium_at_the_base_fee() {
    let [alice, bob, carol] = [1, 2, 3].map(Sender::ed25519);
    let mut pool = pool_with(
        funded(&[&alice, &bob, &carol]),
        MpoolConfig {
            max_messages: 2,
            ..MpoolConfig::default()
        },
    );
    // Alice's premium is the highest, but her fee cap leaves only 50 above the base fee.
    let alice0 = alice.sign(&alice.message(0, 150, 150));
    pool.add(alice0.clone()).unwrap();
    pool.add(bob.sign(&bob.message(0, 80, 10_000))).unwrap();
    let added = pool.add(carol.sign(&carol.message(0, 60, 10_000))).unwrap();
    assert!(matches!(added, Added::Pending { evicted, .. } if evicted == vec![cid(&alice0)]));
}

#[test]
fn the_byte_limit_evicts_as_many_messages_as_needed() {
    let [alice, bob, carol] = [1, 2, 3].map(Sender::ed25519);
    let small = alice.signed(0, 10);
    let small_len = small.to_cbor().unwrap().len();
    let big = Message {
        params: vec![7; small_len + 10],
        gas_limit: 10_000_000,
        ..carol.message(0, 1_000, 10_000)
    };
    let big = carol.sign(&big);
    let big_len = big.to_cbor().unwrap().len();
    let mut pool = pool_with(
        funded(&[&alice, &bob, &carol]),
        MpoolConfig {
            max_total_bytes: big_len + small_len,
            ..MpoolConfig::default()
        },
    );
    pool.add(small.clone()).unwrap();
    pool.add(alice.signed(1, 20)).unwrap();
    pool.add(bob.signed(0, 30)).unwrap();
    assert_eq!(pool.pending_count(), 3);
    assert_eq!(pool.pending_bytes(), 3 * small_len);
    // Two small messages must go: Alice's last (20), then her first (10), never Bob's (30).
    let added = pool.add(big).unwrap();
    let Added::Pending { evicted, .. } = added else {
        panic!("not added: {added:?}");
    };
    assert_eq!(evicted.len(), 2);
    assert!(evicted.contains(&cid(&small)));
    assert_eq!(pool.pending(&alice.address).count(), 0);
    assert_eq!(pool.pending(&bob.address).count(), 1);
    assert_eq!(pool.pending_bytes(), big_len + small_len);
}

// ---------------------------------------------------------------------------------------------
// Selection

#[test]
fn select_orders_senders_by_premium_and_each_sender_by_nonce() {
    let alice = Sender::ed25519(1);
    let bob = Sender::bls(2);
    let carol = Sender::ed25519(3);
    let mut pool = pool(funded(&[&alice, &bob, &carol]));
    // Added out of order on purpose.
    let a1 = alice.signed(1, 50);
    let a0 = alice.signed(0, 300);
    let b0 = bob.signed(0, 200);
    let c0 = carol.signed(0, 100);
    for signed in [&a1, &c0, &b0, &a0] {
        pool.add(signed.clone()).unwrap();
    }
    let chosen = pool.select(100 * GAS, atto(BASE_FEE));
    assert_eq!(chosen, [a0, b0, c0, a1]);
}

#[test]
fn select_ranks_a_cheap_message_with_the_rich_one_behind_it() {
    let alice = Sender::ed25519(1);
    let bob = Sender::ed25519(2);
    let mut pool = pool(funded(&[&alice, &bob]));
    // Alice: 10 for one unit of gas, then 1,000 for two: (10 + 2,000) / 3 = 670 on
    // average, more than Bob's 300.
    let a0 = alice.signed(0, 10);
    let a1 = alice.sign(&Message {
        gas_limit: 2 * GAS,
        ..alice.message(1, 1_000, 10_000)
    });
    let b0 = bob.signed(0, 300);
    for signed in [&a0, &a1, &b0] {
        pool.add(signed.clone()).unwrap();
    }
    let chosen = pool.select(100 * GAS, atto(BASE_FEE));
    assert_eq!(chosen, [a0.clone(), a1, b0.clone()]);
    // With room for two units, Alice's pair does not fit and is cut to her first message,
    // which alone pays 10 and now ranks below Bob.
    let chosen = pool.select(2 * GAS, atto(BASE_FEE));
    assert_eq!(chosen, [b0, a0]);
}

#[test]
fn select_respects_the_gas_limit_and_the_message_limit() {
    let senders: Vec<Sender> = (1..=4).map(Sender::ed25519).collect();
    let refs: Vec<&Sender> = senders.iter().collect();
    let mut pool = pool_with(
        funded(&refs),
        MpoolConfig {
            max_block_messages: 3,
            ..MpoolConfig::default()
        },
    );
    for (i, sender) in senders.iter().enumerate() {
        pool.add(sender.signed(0, 100 * (i as u128 + 1))).unwrap();
        pool.add(sender.signed(1, 1)).unwrap();
    }
    // Two and a half messages' gas: the two best.
    let chosen = pool.select(5 * GAS / 2, atto(BASE_FEE));
    let premiums: Vec<u128> = chosen
        .iter()
        .map(|m| m.message.gas_premium.atto())
        .collect();
    assert_eq!(premiums, [400, 300]);
    // Plenty of gas: the message limit stops at three.
    let chosen = pool.select(100 * GAS, atto(BASE_FEE));
    let premiums: Vec<u128> = chosen
        .iter()
        .map(|m| m.message.gas_premium.atto())
        .collect();
    assert_eq!(premiums, [400, 300, 200]);
    // Less gas than any message: nothing.
    assert!(pool.select(GAS - 1, atto(BASE_FEE)).is_empty());
}

#[test]
fn select_skips_fee_caps_below_the_base_fee_and_what_follows_them() {
    let alice = Sender::ed25519(1);
    let bob = Sender::ed25519(2);
    let mut pool = pool(funded(&[&alice, &bob]));
    pool.add(alice.sign(&alice.message(0, 100, 150))).unwrap();
    let b0 = bob.sign(&bob.message(0, 10, 10_000));
    pool.add(b0.clone()).unwrap();
    pool.add(bob.sign(&bob.message(1, 100, 199))).unwrap();
    pool.add(bob.sign(&bob.message(2, 100, 10_000))).unwrap();
    // At 200 Alice cannot pay, nor Bob's nonce 1, which holds back nonce 2.
    assert_eq!(pool.select(100 * GAS, atto(200)), [b0]);
    // At 100 everything pays; effective premiums: Alice min(100, 50) = 50, Bob 10, 99, 100.
    let chosen = pool.select(100 * GAS, atto(100));
    assert_eq!(chosen.len(), 4);
    assert_eq!(nonces(&chosen, &bob), [0, 1, 2]);
}

#[test]
fn select_starts_at_the_state_nonce_stops_at_gaps_and_at_the_balance() {
    let alice = Sender::ed25519(1);
    let mut head = Head::new();
    head.fund(alice.address, 5, TokenAmount::ONE_FLW);
    let mut pool = pool(head);
    for nonce in [5, 6, 8, 9] {
        pool.add(alice.signed(nonce, 10)).unwrap();
    }
    assert_eq!(
        nonces(&pool.select(100 * GAS, atto(BASE_FEE)), &alice),
        [5, 6]
    );
    // The balance fell since: only one message is covered.
    pool.state_mut().fund(alice.address, 5, reserve(10_000));
    assert_eq!(nonces(&pool.select(100 * GAS, atto(BASE_FEE)), &alice), [5]);
    // The state moved on without a head change: stale messages are not offered.
    pool.state_mut()
        .fund(alice.address, 6, TokenAmount::ONE_FLW);
    assert_eq!(nonces(&pool.select(100 * GAS, atto(BASE_FEE)), &alice), [6]);
}

// ---------------------------------------------------------------------------------------------
// Head changes

#[test]
fn head_change_removes_included_and_stale_messages() {
    let alice = Sender::ed25519(1);
    let bob = Sender::ed25519(2);
    let mut pool = pool(funded(&[&alice, &bob]));
    let a0 = alice.signed(0, 10);
    let a1 = alice.signed(1, 10);
    let a2 = alice.signed(2, 10);
    let b0 = bob.signed(0, 10);
    for signed in [&a0, &a1, &a2, &b0] {
        pool.add(signed.clone()).unwrap();
    }
    // The block includes a0 and another message with Alice's nonce 1.
    let other_a1 = alice.signed(1, 77);
    pool.state_mut().set_nonce(alice.address, 2);
    let report = pool.head_change(&[], &[a0.clone(), other_a1]);
    assert_eq!(
        report,
        HeadChangeReport {
            included: 1,
            stale: 1,
            readded: 0,
            dropped: 0
        }
    );
    assert_eq!(pool.get(&cid(&a0)), None);
    assert_eq!(pool.get(&cid(&a1)), None);
    assert_eq!(pool.pending_count(), 2);
    assert_eq!(pool.next_nonce(&alice.address), Some(3));
    let all: Vec<&SignedMessage> = pool.iter().collect();
    assert!(all.contains(&&a2) && all.contains(&&b0));
    assert_eq!(pool.stats().included, 1);
    assert_eq!(pool.stats().stale, 1);
}

#[test]
fn head_change_puts_reverted_messages_back() {
    let alice = Sender::ed25519(1);
    let mut head = Head::new();
    head.fund(alice.address, 2, TokenAmount::ONE_FLW);
    let mut pool = pool(head);
    let a0 = alice.signed(0, 10);
    let a1 = alice.signed(1, 10);
    let a2 = alice.signed(2, 10);
    pool.add(a2.clone()).unwrap();
    // The block with a0 and a1 is reverted: the state is back at nonce 0. Given in any order.
    pool.state_mut().set_nonce(alice.address, 0);
    let report = pool.head_change(&[a1.clone(), a0.clone()], &[]);
    assert_eq!(report.readded, 2);
    assert_eq!(report.dropped, 0);
    let pending: Vec<&SignedMessage> = pool.pending(&alice.address).collect();
    assert_eq!(pending, [&a0, &a1, &a2]);
    assert_eq!(pool.next_nonce(&alice.address), Some(3));
    assert_eq!(pool.stats().readded, 2);
}

#[test]
fn head_change_drops_reverted_messages_that_are_no_longer_valid() {
    let alice = Sender::ed25519(1);
    let bob = Sender::ed25519(2);
    let carol = Sender::ed25519(3);
    let mut head = Head::new();
    head.fund(alice.address, 1, TokenAmount::ONE_FLW);
    head.fund(bob.address, 1, TokenAmount::ONE_FLW);
    head.fund(carol.address, 1, TokenAmount::ONE_FLW);
    let mut pool = pool(head);
    let a0 = alice.signed(0, 10);
    let b0 = bob.signed(0, 10);
    let c0 = carol.signed(0, 10);
    // A reorg: the old block had a0, b0 and c0; the new one has a0 again and another message
    // with Bob's nonce 0; Carol is back at nonce 0 but has spent her balance meanwhile.
    let other_b0 = bob.signed(0, 99);
    pool.state_mut().set_nonce(carol.address, 0);
    pool.state_mut().fund(carol.address, 0, atto(1));
    let report = pool.head_change(&[a0.clone(), b0, c0], &[a0, other_b0]);
    assert_eq!(
        report,
        HeadChangeReport {
            included: 0,
            stale: 0,
            readded: 0,
            dropped: 2
        }
    );
    assert_eq!(pool.pending_count(), 0);
    assert_eq!(pool.stats().reverted_dropped, 2);
}

#[test]
fn senders_named_by_id_share_the_queue_of_their_key_address() {
    let alice = Sender::bls(1);
    let mut head = funded(&[&alice]);
    head.ids.insert(Address::Id(1000), alice.address);
    let mut pool = pool(head);
    let by_id = alice.sign(&Message {
        from: Address::Id(1000),
        ..alice.message(0, 10, 10_000)
    });
    pool.add(by_id.clone()).unwrap();
    pool.add(alice.signed(1, 10)).unwrap();
    assert_eq!(pool.pending(&Address::Id(1000)).count(), 2);
    assert_eq!(pool.pending(&alice.address).count(), 2);
    assert_eq!(pool.next_nonce(&Address::Id(1000)), Some(2));
    assert_eq!(pool.next_nonce(&Address::Id(7)), None);
    // The ID-named message is the one for nonce 0, whichever name is used to replace it.
    assert!(matches!(
        pool.add(alice.signed(0, 10)),
        Err(AddError::ReplaceByFeeTooLow { .. })
    ));
    assert_eq!(pool.select(100 * GAS, atto(BASE_FEE)).first(), Some(&by_id));
}

// ---------------------------------------------------------------------------------------------
// Property: whatever was added, a selection is a valid block body.

/// One random `add`: sender, nonce above the state nonce, premium, fee cap above the
/// premium (or not), gas limit.
fn any_add() -> impl Strategy<Value = (usize, u64, u128, u128, u64)> {
    (
        0..4usize,
        0..6u64,
        0..2_000u128,
        0..2_000u128,
        300_000..3_000_000u64,
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: proptest::test_runner::RngSeed::Fixed(2026),
        ..ProptestConfig::default()
    })]

    #[test]
    fn selection_is_contiguous_from_the_state_nonce_and_within_the_gas_limit(
        adds in prop::collection::vec(any_add(), 1..40),
        state_nonces in prop::array::uniform4(0..3u64),
        balances in prop::array::uniform4(1..20u128),
        base_fee in 100..2_500u128,
        gas_limit in 0..20_000_000u64,
    ) {
        let senders = [Sender::ed25519(1), Sender::ed25519(2), Sender::bls(3), Sender::ed25519(4)];
        let mut head = Head::new();
        for (i, sender) in senders.iter().enumerate() {
            // Between one and nineteen 3-million-gas reservations at a fee cap of 2,000.
            head.fund(sender.address, state_nonces[i], atto(balances[i] * 6_000_000_000));
        }
        let config = MpoolConfig {
            max_messages: 12,
            max_per_sender: 5,
            max_block_messages: 6,
            ..MpoolConfig::default()
        };
        let mut pool = pool_with(head.clone(), config.clone());
        for (sender, offset, premium, cap_extra, gas) in adds {
            let who = &senders[sender];
            let message = Message {
                gas_limit: gas,
                ..who.message(state_nonces[sender] + offset, premium, (premium + cap_extra).max(100))
            };
            let _ = pool.add(who.sign(&message));
        }

        prop_assert!(pool.pending_count() <= config.max_messages);
        prop_assert_eq!(pool.iter().count(), pool.pending_count());
        for sender in &senders {
            prop_assert!(pool.pending(&sender.address).count() <= config.max_per_sender);
        }

        let chosen = pool.select(gas_limit, atto(base_fee));
        prop_assert!(chosen.len() <= config.max_block_messages);
        let gas: u64 = chosen.iter().map(|m| m.message.gas_limit).sum();
        prop_assert!(gas <= gas_limit);
        for (i, sender) in senders.iter().enumerate() {
            let mine: Vec<&SignedMessage> =
                chosen.iter().filter(|m| m.message.from == sender.address).collect();
            let expected: Vec<u64> =
                (state_nonces[i]..).take(mine.len()).collect();
            let found: Vec<u64> = mine.iter().map(|m| m.message.nonce).collect();
            prop_assert_eq!(found, expected);
            let mut cost = 0u128;
            for m in &mine {
                prop_assert!(m.message.gas_fee_cap.atto() >= base_fee);
                prop_assert!(pool.contains(&m.cid().unwrap()));
                cost += m.message.required_funds().unwrap().atto();
            }
            prop_assert!(cost <= head.accounts[&sender.address].balance.atto());
        }

        // Applying the selection and following the head leaves nothing already used.
        let mut applied = head.clone();
        for m in &chosen {
            let account = applied.accounts.get_mut(&m.message.from).unwrap();
            account.nonce = m.message.nonce + 1;
        }
        *pool.state_mut() = applied.clone();
        let before = pool.pending_count();
        let report = pool.head_change(&[], &chosen);
        prop_assert_eq!(report.included, chosen.len());
        prop_assert_eq!(pool.pending_count(), before - report.included - report.stale);
        for m in pool.iter() {
            prop_assert!(m.message.nonce >= applied.accounts[&m.message.from].nonce);
        }
        // And reverting it puts the selection back.
        *pool.state_mut() = head.clone();
        let report = pool.head_change(&chosen, &[]);
        prop_assert_eq!(report.readded, chosen.len());
        prop_assert_eq!(report.dropped, 0);
        prop_assert_eq!(pool.pending_count(), before);
        for m in &chosen {
            prop_assert!(pool.contains(&m.cid().unwrap()));
        }
    }
}
