//! Block validation over the real chain store: two genesis miners with real 2 KiB sectors
//! produce a chain (null rounds, one- and two-block tipsets, messages) in which every block
//! passes `validate_block`; the heavier of two forks becomes the head; each rule refuses an
//! otherwise valid block with one field changed (re-signed unless the rule is the signature)
//! with its own `BlockError` variant; and the producer refuses what validation would.
//!
//! The fixture, with the node's `ValidationContext` and `Weigher` over the chain store, is in
//! `validate_support`.

mod support;
mod validate_support;

use flowcoin_chain::genesis;
use flowcoin_consensus::block_sig::{BlockSigError, sign_block};
use flowcoin_consensus::election::{ElectionError, VrfUse, make_ticket};
use flowcoin_consensus::produce::ProduceError;
use flowcoin_consensus::validate::{
    BlockError, ValidationContext, lookback_epoch, message_list_cid, validate_block,
};
use flowcoin_consensus::weight::compare_tipsets;
use flowcoin_consensus::winning_post::WinningPostError;
use flowcoin_crypto::message::{MessageSignatureError, sign_message};
use flowcoin_crypto::{SecretKey, ed25519};
use flowcoin_state::actor::ActorCode;
use flowcoin_state::actor::miner::miner_state;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::address::Protocol;
use flowcoin_types::block::{BlockHeader, ChainWeight};
use flowcoin_types::message::cbor_cid;
use flowcoin_types::tipset::Tipset;
use flowcoin_types::{Address, Message, SignedMessage, StoragePower, TokenAmount};
use support::SIZE;
use validate_support::{Chain, balance, bob, chain, premine_key, template, worker};

// ---------------------------------------------------------------------------------------
// Valid chains and fork choice.
// ---------------------------------------------------------------------------------------

#[test]
fn a_twenty_epoch_chain_of_produced_blocks_passes_validation() {
    let mut c = chain();
    let mut head = c.store.genesis().clone();
    let (mut nulls, mut pairs, mut tipsets, mut transfers) = (0, 0, 0, 0u64);
    for height in 1..=20 {
        // Messages the pool would give: one or two transfers, the second naming the sender
        // by ID; every winner of the epoch includes them (the tipset applies them once).
        let nonce = c.premine_nonce(&head);
        let mut messages = vec![c.transfer(nonce, false)];
        if height % 2 == 0 {
            messages.push(c.transfer(nonce + 1, true));
        }
        let blocks = c.epoch(&head, height, &[0, 1], &messages);
        if blocks.is_empty() {
            nulls += 1;
            continue;
        }
        if blocks.len() == 2 {
            pairs += 1;
        }
        let parent_weight = c.weight_of(&head);
        transfers += messages.len() as u64;
        head = c.extend(&blocks);
        tipsets += 1;
        // 4 sectors of 2 KiB: log2P = 13, 256·13 = 3328 per tipset, plus ⌊3328·wins/2⌋.
        let wins = head.total_win_count();
        assert_eq!(
            c.weight_of(&head),
            ChainWeight(parent_weight.0 + 3328 + 3328 * u128::from(wins) / 2)
        );
        c.store.set_head(&head).unwrap();
    }
    assert!(nulls > 0, "E = 1 leaves some epochs empty");
    assert!(pairs > 0, "both miners win some epoch together");
    assert_eq!(nulls + tipsets, 20);
    assert_eq!(c.store.head().unwrap(), head);
    assert_eq!(balance(&c, &head, &bob()), TokenAmount::from_flw(transfers));
    assert_eq!(c.premine_nonce(&head), transfers);
}

#[test]
fn the_fork_where_both_miners_publish_outweighs_the_one_where_one_does() {
    let mut c = chain();
    let genesis = c.store.genesis().clone();
    let prefix = c.grow(&genesis, 1..=2, &[0, 1]);
    let base = prefix.last().cloned().unwrap_or(genesis);
    // Fork B: miner 1001 withholds its blocks; fork A: both publish. Same epochs.
    let fork_b = c.grow(&base, 3..=14, &[0]);
    let fork_a = c.grow(&base, 3..=14, &[0, 1]);
    let (tip_a, tip_b) = (fork_a.last().unwrap(), fork_b.last().unwrap());
    assert!(fork_a.iter().any(|t| t.blocks().len() == 2));
    assert!(fork_b.iter().all(|t| t.blocks().len() == 1));
    c.store.set_head(tip_b).unwrap();
    assert_eq!(&c.store.head().unwrap(), tip_b);

    let (weight_a, weight_b) = (c.weight_of(tip_a), c.weight_of(tip_b));
    assert!(
        weight_a > weight_b,
        "two miners' blocks weigh more: {weight_a} vs {weight_b}"
    );
    assert_eq!(
        compare_tipsets(weight_a, tip_a, weight_b, tip_b),
        std::cmp::Ordering::Greater
    );
    let change = c.store.set_head(tip_a).unwrap();
    assert_eq!(&c.store.head().unwrap(), tip_a);
    let reverted: Vec<_> = fork_b.iter().rev().cloned().collect();
    assert_eq!(change.reverted, reverted);
    assert_eq!(change.applied, fork_a);
    // A block on the new head validates; one of fork B still does too (it is a valid fork).
    let next = (15..30)
        .find_map(|h| c.produce(tip_a, h, 0, Vec::new()))
        .unwrap();
    c.validate(&next.0, &next.1).unwrap();
    let on_b = (15..30)
        .find_map(|h| c.produce(tip_b, h, 0, Vec::new()))
        .unwrap();
    c.validate(&on_b.0, &on_b.1).unwrap();
}

// ---------------------------------------------------------------------------------------
// Rejections: one valid block, one field changed at a time.
// ---------------------------------------------------------------------------------------

/// A chain of a few tipsets and a valid block on its head by miner 1000, carrying two
/// transfers (nonce n by key address, n + 1 by ID address).
struct Fixture {
    c: Chain,
    parent: Tipset,
    header: BlockHeader,
    messages: Vec<SignedMessage>,
}

fn fixture() -> Fixture {
    let mut c = chain();
    let genesis = c.store.genesis().clone();
    let parent = c
        .grow(&genesis, 1..=3, &[0, 1])
        .last()
        .cloned()
        .unwrap_or(genesis);
    let nonce = c.premine_nonce(&parent);
    let messages = vec![c.transfer(nonce, false), c.transfer(nonce + 1, true)];
    let (header, messages) = (parent.height() + 1..parent.height() + 40)
        .find_map(|h| c.produce(&parent, h, 0, messages.clone()))
        .unwrap();
    c.validate(&header, &messages).unwrap();
    Fixture {
        c,
        parent,
        header,
        messages,
    }
}

impl Fixture {
    /// Validates the header after `change` and a fresh signature by miner 1000's worker.
    fn resigned(&self, change: impl FnOnce(&mut BlockHeader)) -> BlockError {
        let mut header = self.header.clone();
        change(&mut header);
        sign_block(&worker(0), &mut header).unwrap();
        self.refused(&header, &self.messages)
    }

    /// Validates the block with `messages`, the header relisted and re-signed.
    fn with_messages(&self, messages: &[SignedMessage]) -> BlockError {
        let mut header = self.header.clone();
        header.messages = message_list_cid(messages).unwrap();
        sign_block(&worker(0), &mut header).unwrap();
        self.refused(&header, messages)
    }

    fn refused(&self, header: &BlockHeader, messages: &[SignedMessage]) -> BlockError {
        let e = self.c.validate(header, messages).unwrap_err();
        // Every message names the thing: never empty.
        assert!(!e.to_string().is_empty());
        e
    }

    fn nonce(&self) -> u64 {
        self.c.premine_nonce(&self.parent)
    }

    /// A message from the premine changed by `change`, signed.
    fn message(&self, change: impl FnOnce(&mut Message)) -> SignedMessage {
        let mut message = self.c.transfer(self.nonce(), false).message;
        change(&mut message);
        sign_message(&premine_key(), &message).unwrap()
    }
}

#[test]
fn the_miner_must_be_an_id_address_of_a_miner() {
    let f = fixture();
    let premine = f.c.premine;
    let e = f.resigned(|h| h.miner = premine);
    assert!(
        matches!(
            e,
            BlockError::MinerNotId {
                protocol: Protocol::Ed25519
            }
        ),
        "{e}"
    );
    let account = f.c.premine_id;
    let e = f.resigned(|h| h.miner = Address::Id(account));
    assert!(
        matches!(e, BlockError::NotAMiner { miner } if miner == account),
        "{e}"
    );
    assert!(e.is_block_fault());
}

#[test]
fn the_parent_must_be_known_and_below_the_block() {
    let f = fixture();
    let e = f.resigned(|h| h.parents = vec![cbor_cid(b"a tipset nobody has")]);
    assert!(matches!(e, BlockError::UnknownParent { .. }), "{e}");
    assert!(!e.is_block_fault(), "fetch the parent, then retry");
    let parent_height = f.parent.height();
    let e = f.resigned(|h| h.height = parent_height);
    assert!(
        matches!(e, BlockError::HeightNotAboveParent { height, parent_height: p }
            if height == parent_height && p == parent_height),
        "{e}"
    );
}

#[test]
fn the_timestamp_must_be_the_heights_and_not_ahead_of_the_clock() {
    let f = fixture();
    let expected = f.header.timestamp;
    assert_eq!(
        expected,
        f.parent.min_timestamp() + 2 * (f.header.height - f.parent.height())
    );
    let e = f.resigned(|h| h.timestamp += 1);
    assert!(
        matches!(e, BlockError::TimestampMismatch { expected: x, found } if x == expected && found == expected + 1),
        "{e}"
    );
    // One second of drift is allowed, two are not.
    let at = |now| validate_block(&f.header, &f.messages, &f.c.context(now));
    at(expected - 1).unwrap();
    let e = at(expected - 2).unwrap_err();
    assert!(
        matches!(e, BlockError::TimestampInFuture { timestamp, now, max_drift: 1 }
            if timestamp == expected && now == expected - 2),
        "{e}"
    );
    assert!(!e.is_block_fault());
}

#[test]
fn the_parent_weight_state_receipts_and_base_fee_must_be_the_parents() {
    let f = fixture();
    let weight = f.header.parent_weight;
    let e = f.resigned(|h| h.parent_weight = ChainWeight(weight.0 + 1));
    assert!(
        matches!(e, BlockError::ParentWeightMismatch { expected, found }
            if expected == weight && found == ChainWeight(weight.0 + 1)),
        "{e}"
    );
    let root = f.header.parent_state_root;
    let other = f.c.store.genesis().parent_state_root().unwrap();
    let e = f.resigned(|h| h.parent_state_root = other);
    assert!(
        matches!(&e, BlockError::ParentStateRootMismatch { expected, found }
            if **expected == root && **found == other),
        "{e}"
    );
    let receipts = f.header.parent_message_receipts;
    let e = f.resigned(|h| h.parent_message_receipts = cbor_cid(b"other receipts"));
    assert!(
        matches!(&e, BlockError::ParentReceiptsMismatch { expected, .. } if **expected == receipts),
        "{e}"
    );
    let fee = f.header.parent_base_fee;
    let higher = fee.checked_add(TokenAmount::from_atto(1)).unwrap();
    let e = f.resigned(|h| h.parent_base_fee = higher);
    assert!(
        matches!(e, BlockError::ParentBaseFeeMismatch { expected, found }
            if expected == fee && found == higher),
        "{e}"
    );
}

#[test]
fn a_miner_below_the_minimum_power_at_the_lookback_is_refused() {
    let f = fixture();
    let mut ctx = f.c.context(f.header.timestamp);
    ctx.params.min_miner_power = 3 * SIZE.bytes();
    let e = validate_block(&f.header, &f.messages, &ctx).unwrap_err();
    let lookback = lookback_epoch(
        f.header.height,
        f.parent.height(),
        f.c.params.power_lookback,
    );
    assert!(
        matches!(e, BlockError::BelowMinimumPower { miner: 1000, power, minimum, lookback_epoch }
            if power == StoragePower(4096) && minimum == 6144 && lookback_epoch == lookback),
        "{e}"
    );
}

#[test]
fn a_miner_without_a_claim_at_the_lookback_is_refused() {
    let mut f = fixture();
    // The state of a genesis without miners stands in for a lookback before the miner existed.
    let params = f.c.params.clone();
    let empty = genesis::build_genesis(&template(false), &params, f.c.store.blocks_mut())
        .unwrap()
        .block
        .state_root;
    let mut ctx = f.c.context(f.header.timestamp);
    ctx.lookback_override = Some(empty);
    let e = validate_block(&f.header, &f.messages, &ctx).unwrap_err();
    assert!(
        matches!(e, BlockError::NoClaimAtLookback { miner: 1000, .. }),
        "{e}"
    );
}

#[test]
fn a_miner_with_fee_debt_in_the_parent_state_is_refused() {
    let mut f = fixture();
    // The parent state with 1 atto of fee debt on miner 1000, as if a penalty went unpaid.
    let root = f.header.parent_state_root;
    let mut tree = StateTree::load(f.c.store.blocks_mut(), &root).unwrap();
    let (mut actor, mut state) = miner_state(&tree, 1000).unwrap().unwrap();
    state.fee_debt = TokenAmount::from_atto(1);
    actor.head = tree.put_state(&state).unwrap();
    tree.set_actor(1000, actor).unwrap();
    let indebted = tree.flush().unwrap();
    drop(tree);

    let mut header = f.header.clone();
    header.parent_state_root = indebted;
    sign_block(&worker(0), &mut header).unwrap();
    let mut ctx = f.c.context(header.timestamp);
    ctx.parent_state_override = Some(indebted);
    let e = validate_block(&header, &f.messages, &ctx).unwrap_err();
    assert!(
        matches!(e, BlockError::FeeDebt { miner: 1000, debt } if debt == TokenAmount::from_atto(1)),
        "{e}"
    );
}

#[test]
fn the_block_signature_must_be_the_lookback_workers() {
    let f = fixture();
    let sig = |header: &BlockHeader| f.refused(header, &f.messages);
    let mut unsigned = f.header.clone();
    unsigned.block_sig.0.clear();
    assert!(matches!(
        sig(&unsigned),
        BlockError::BadBlockSignature(BlockSigError::Missing)
    ));
    let mut garbage = f.header.clone();
    garbage.block_sig.0 = vec![0xff; 96];
    assert!(matches!(
        sig(&garbage),
        BlockError::BadBlockSignature(BlockSigError::Malformed(_))
    ));
    let mut other_worker = f.header.clone();
    sign_block(&worker(1), &mut other_worker).unwrap();
    assert!(matches!(
        sig(&other_worker),
        BlockError::BadBlockSignature(BlockSigError::Invalid)
    ));
    // Any field changed after signing, here the Winning PoSt.
    let mut changed = f.header.clone();
    changed.win_post_proof.0[100] ^= 1;
    assert!(matches!(
        sig(&changed),
        BlockError::BadBlockSignature(BlockSigError::Invalid)
    ));
}

#[test]
fn the_ticket_must_be_the_workers_vrf_for_the_height() {
    let f = fixture();
    let ctx = f.c.context(0);
    let randomness = ctx.randomness(&f.parent).unwrap();
    let later = make_ticket(&worker(0), randomness.as_ref(), 1000, f.header.height + 1).unwrap();
    let e = f.resigned(|h| h.ticket = later);
    assert!(
        matches!(
            e,
            BlockError::BadTicket(ElectionError::BadVrf {
                what: VrfUse::Ticket,
                ..
            })
        ),
        "{e}"
    );
    let e = f.resigned(|h| h.ticket.vrf_proof.0.truncate(10));
    assert!(matches!(e, BlockError::BadTicket(_)), "{e}");
}

#[test]
fn the_election_proof_must_verify_and_claim_its_win_count() {
    let f = fixture();
    // A valid BLS signature of the worker, over the ticket's input instead of the election's.
    let ticket_bytes = f.header.ticket.vrf_proof.clone();
    let e = f.resigned(|h| h.election_proof.vrf_proof = ticket_bytes);
    assert!(
        matches!(
            e,
            BlockError::BadElectionProof(ElectionError::BadVrf {
                what: VrfUse::Election,
                ..
            })
        ),
        "{e}"
    );
    let e = f.resigned(|h| h.election_proof.win_count = 0);
    assert!(matches!(e, BlockError::ZeroWinCount), "{e}");
    let wins = f.header.election_proof.win_count;
    let e = f.resigned(|h| h.election_proof.win_count = wins + 1);
    assert!(
        matches!(e, BlockError::WinCountMismatch { claimed, computed }
            if claimed == wins + 1 && computed == wins),
        "{e}"
    );
}

#[test]
fn the_winning_post_must_prove_the_challenged_lookback_sector() {
    let f = fixture();
    let len = f.header.win_post_proof.0.len();
    for i in [40, len / 2, len - 1] {
        let e = f.resigned(|h| h.win_post_proof.0[i] ^= 0x01);
        assert!(matches!(e, BlockError::BadWinningPost(_)), "byte {i}: {e}");
    }
    let e = f.resigned(|h| h.win_post_proof.0.truncate(len / 2));
    assert!(
        matches!(e, BlockError::BadWinningPost(WinningPostError::Decode(_))),
        "{e}"
    );
}

#[test]
fn the_message_list_count_and_gas_must_fit_the_header_and_the_block() {
    let f = fixture();
    let flood = vec![f.messages[0].clone(); 10_001];
    let e = f.refused(&f.header, &flood);
    assert!(
        matches!(
            e,
            BlockError::TooManyMessages {
                count: 10_001,
                max: 10_000
            }
        ),
        "{e}"
    );
    let e = f.refused(&f.header, &f.messages[..1]);
    assert!(
        matches!(&e, BlockError::MessageListMismatch { found, .. } if **found == f.header.messages),
        "{e}"
    );
    let nonce = f.nonce();
    let big = |n| {
        f.message(|m| {
            m.nonce = n;
            m.gas_limit = 6_000_000_000;
        })
    };
    let e = f.with_messages(&[big(nonce), big(nonce + 1)]);
    assert!(
        matches!(
            e,
            BlockError::BlockGasLimit {
                total: 12_000_000_000,
                limit: 10_000_000_000
            }
        ),
        "{e}"
    );
}

#[test]
fn each_message_must_pay_for_itself_at_the_base_fee() {
    let f = fixture();
    let e = f.with_messages(&[f.message(|m| m.gas_limit = 1_000)]);
    assert!(
        matches!(e, BlockError::MessageGasBelowMinimum { index: 0, gas_limit: 1_000, minimum }
            if minimum > 38_863),
        "{e}"
    );
    let base_fee = f.header.parent_base_fee;
    let low = base_fee.checked_sub(TokenAmount::from_atto(1)).unwrap();
    let e = f.with_messages(&[f.message(|m| m.gas_fee_cap = low)]);
    assert!(
        matches!(e, BlockError::MessageFeeCapBelowBaseFee { index: 0, fee_cap, base_fee: b }
            if fee_cap == low && b == base_fee),
        "{e}"
    );
}

#[test]
fn each_sender_must_be_an_existing_account_signing_its_message() {
    let f = fixture();
    let stranger_key = SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[99; 32]));
    let stranger = stranger_key.public_key().address();
    let message = Message {
        from: stranger,
        ..f.messages[0].message.clone()
    };
    let e = f.with_messages(&[sign_message(&stranger_key, &message).unwrap()]);
    assert!(
        matches!(e, BlockError::UnknownSender { index: 0, from } if from == stranger),
        "{e}"
    );
    let e = f.with_messages(&[f.message(|m| m.from = Address::Id(1000))]);
    assert!(
        matches!(
            e,
            BlockError::SenderNotAccount {
                index: 0,
                code: ActorCode::Miner,
                ..
            }
        ),
        "{e}"
    );
    // The premine's message signed by another key, and a flipped signature byte.
    let forged = sign_message(&stranger_key, &f.messages[0].message).unwrap();
    let e = f.with_messages(&[forged]);
    assert!(
        matches!(
            e,
            BlockError::MessageSignature {
                index: 0,
                source: MessageSignatureError::KeyMismatch(_)
            }
        ),
        "{e}"
    );
    let mut flipped = f.messages[1].clone();
    flipped.signature[5] ^= 0x01;
    let e = f.with_messages(&[f.messages[0].clone(), flipped]);
    assert!(
        matches!(e, BlockError::MessageSignature { index: 1, .. }),
        "{e}"
    );
}

#[test]
fn nonces_must_follow_on_from_the_parent_state_per_sender() {
    let f = fixture();
    let n = f.nonce();
    let at = |nonce: u64, by_id: bool| f.c.transfer(nonce, by_id);
    let e = f.with_messages(&[at(n + 1, false)]);
    assert!(
        matches!(e, BlockError::MessageNonce { index: 0, expected, found, .. }
            if expected == n && found == n + 1),
        "{e}"
    );
    let e = f.with_messages(&[at(n, false), at(n + 2, true)]);
    assert!(
        matches!(e, BlockError::MessageNonce { index: 1, expected, found, .. }
            if expected == n + 1 && found == n + 2),
        "{e}"
    );
    // The same message twice: the sender by key and by ID is one sequence.
    let e = f.with_messages(&[at(n, true), at(n, false)]);
    assert!(
        matches!(e, BlockError::MessageNonce { index: 1, expected, found, .. }
            if expected == n + 1 && found == n),
        "{e}"
    );
    // In order, by either address, they pass.
    let messages = vec![at(n, true), at(n + 1, false), at(n + 2, true)];
    let mut header = f.header.clone();
    header.messages = message_list_cid(&messages).unwrap();
    sign_block(&worker(0), &mut header).unwrap();
    f.c.validate(&header, &messages).unwrap();
}

#[test]
fn the_producer_refuses_what_validation_would() {
    let f = fixture();
    let (parent, height, params) = (&f.parent, f.header.height, &f.c.params);
    // The same inputs give the same block: signatures and proofs are deterministic.
    let again = f.c.produce(parent, height, 0, f.messages.clone()).unwrap();
    assert_eq!(again.0, f.header);

    let e =
        f.c.try_produce(parent, height, 0, &worker(1), params, Vec::new())
            .unwrap_err();
    let own = Address::Bls(worker(0).public_key().to_bytes());
    assert!(
        matches!(e, ProduceError::WrongWorker { miner: 1000, expected } if expected == own),
        "{e}"
    );
    let mut strict = params.clone();
    strict.min_miner_power = 3 * SIZE.bytes();
    let e =
        f.c.try_produce(parent, height, 0, &worker(0), &strict, Vec::new())
            .unwrap_err();
    assert!(
        matches!(
            e,
            ProduceError::Ineligible {
                miner: 1000,
                source: BlockError::BelowMinimumPower { .. }
            }
        ),
        "{e}"
    );
    let e =
        f.c.try_produce(parent, parent.height(), 0, &worker(0), params, Vec::new())
            .unwrap_err();
    assert!(
        matches!(
            e,
            ProduceError::Ineligible {
                source: BlockError::HeightNotAboveParent { .. },
                ..
            }
        ),
        "{e}"
    );
    let flood = vec![f.messages[0].clone(); 10_001];
    let e =
        f.c.try_produce(parent, height, 0, &worker(0), params, flood)
            .unwrap_err();
    assert!(
        matches!(
            e,
            ProduceError::Messages(BlockError::TooManyMessages { count: 10_001, .. })
        ),
        "{e}"
    );
}
